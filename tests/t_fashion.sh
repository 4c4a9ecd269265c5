#!/usr/bin/env bash
# End to end with the Debian darknet on Fashion-MNIST: the baseline and a grid of 6,
# one learning rate diverging; then best.cfg checked against trials.csv, and the
# same command run again resumes a finished study without training anything.
set -u
. tests/lib.sh
out=tests/tmp/fashion
rm -rf "$out" && mkdir -p tests/tmp
fashion_small_data
"$DARKTUNE" run tests/study/fashion.ini > "$out.log" 2>&1
check_eq "exit status" "$?" 0
csv=$out/trials.csv
check_eq "header" "$(head -n 1 "$csv")" "number,state,value,learning_rate,momentum,iterations,seconds"
check_eq "rows" "$(tail -n +2 "$csv" | wc -l)" 7
check_eq "diverging rate pruned twice" "$(awk -F, '$4 == 50 && $2 == "PRUNED"' "$csv" | wc -l)" 2
check_grep "pruned as diverged" 'PRUNED +diverged: loss (nan|inf)' "$out/report.txt"
check_eq "others complete" "$(awk -F, '$4 != 50 && $2 == "COMPLETE"' "$csv" | wc -l)" 5
check_eq "baseline is trial 0 with the base cfg's rate" "$(awk -F, '$1 == 0 { print $4 "," $5 }' "$csv")" "0.01,0.9"
# Darknet learned: every completed trial beats chance (10%) by far.
check_eq "completed trials learned" "$(awk -F, '$2 == "COMPLETE" && $3 < 0.4' "$csv" | wc -l)" 0
# Diverged trials stop early instead of training all 60 iterations.
check_eq "diverged trials stopped early" "$(awk -F, '$4 == 50 && $6 >= 60' "$csv" | wc -l)" 0

# best.cfg is the best row of trials.csv, written into the base cfg.
best=$(awk -F, '$2 == "COMPLETE" && (b == "" || $3 > b) { b = $3; r = $0 } END { print r }' "$csv")
n=$(cut -d, -f1 <<<"$best") lr=$(cut -d, -f4 <<<"$best") mom=$(cut -d, -f5 <<<"$best")
cfgval() { sed -n "s/^$1=//p" "$out/best.cfg"; }
check_eq "best.cfg learning_rate" "$(cfgval learning_rate)" "$lr"
check_eq "best.cfg momentum" "$(cfgval momentum)" "$mom"
check_eq "best.cfg keeps the base max_batches" "$(cfgval max_batches)" 200
check_grep "best.cfg heading" "^# darktune: study 'fashion-e2e', trial $n" "$out/best.cfg"
# Apart from the heading and the tuned lines it is the base cfg, byte for byte.
check_eq "best.cfg is the base cfg otherwise" \
    "$(grep -v '^# darktune\|^# trials ran\|^learning_rate=\|^momentum=' "$out/best.cfg" | md5sum)" \
    "$(grep -v '^learning_rate=\|^momentum=' cfg/fashion.cfg | md5sum)"
# Deployable: the Debian darknet trains with it as it is (3 iterations here).
sed 's/^max_batches=.*/max_batches=3/' "$out/best.cfg" > tests/tmp/best3.cfg
(cd tests/tmp && darknet classifier train fashion-small.data best3.cfg < /dev/null > best3.log 2>&1)
check_grep "darknet trains best.cfg" '^3, [0-9.]+: [0-9.]+, [0-9.]+ avg' tests/tmp/best3.log
check_grep "darktune best names the trial" "^best trial $n" <("$DARKTUNE" best tests/study/fashion.ini)
check "trial folders" test -f "$out/trials/3/trial.cfg" -a -f "$out/trials/3/log.txt" -a -f "$out/trials/3/trial.data"
check_eq "trial cfg has the trial's max_batches" "$(sed -n 's/^max_batches=//p' "$out/trials/3/trial.cfg")" 60
check "the best trial's weights are kept" test -f "$out/trials/$n/backup/trial.weights"
check_eq "no other weights are kept" "$(find "$out/trials" -name '*.weights' | wc -l)" 1

# Running again: the budget is spent, nothing new runs, nothing is lost.
before=$(md5sum < "$csv")
"$DARKTUNE" run tests/study/fashion.ini > "$out.log2" 2>&1
check_eq "second run exit" "$?" 0
check_grep "second run resumes" "resuming study 'fashion-e2e': 7 finished" "$out.log2"
check_eq "second run changes nothing" "$(md5sum < "$csv")" "$before"
finish t_fashion
