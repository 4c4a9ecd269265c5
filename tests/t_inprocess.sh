#!/usr/bin/env bash
# End to end with runner = libdarknet (in-process) on the Fashion-MNIST subsets: the
# baseline and 3 random trials validated every 50 iterations, a rate of 50 pruned as
# diverged; then a study in which Darknet crashes on one trial's cfg (time_steps = 0),
# which fails alone with its reason, and the same trial run twice gives the same top-1.
set -u
. tests/lib.sh
out=tests/tmp/inprocess
rm -rf "$out" tests/tmp/inprocess-broken tests/tmp/inprocess-again && mkdir -p tests/tmp
d=$PWD/data/fashion
printf 'classes=10\ntrain=%s\nvalid=%s\nlabels=%s\nbackup=backup\n' \
    "$d/train-6k.list" "$d/valid-1k.list" "$d/labels.txt" > tests/tmp/fashion-small.data
check_grep "version names the runner" 'runners: exec, libdarknet with the CPU libdarknet' <("$DARKTUNE" --version)

"$DARKTUNE" run tests/study/inprocess.ini > "$out.log" 2>&1
check_eq "exit status" "$?" 0
csv=$out/trials.csv
check_eq "rows" "$(tail -n +2 "$csv" | wc -l)" 4
check_eq "baseline is trial 0 with the base cfg's rate" "$(awk -F, '$1 == 0 { print $4 }' "$csv")" "0.01"
check_eq "every diverging rate pruned" "$(awk -F, '$4 == 50 && $2 != "PRUNED"' "$csv" | wc -l)" 0
check "a diverging rate was tried" grep -q ',PRUNED,,50,' "$csv"
check_grep "pruned as diverged" 'PRUNED +diverged: loss (nan|inf)' "$out/report.txt"
check_eq "store: the diverged trials marked as such, the others not" \
  "$(sqlite3 "$out/study.db" "select number from trial where diverged = 1" | tr '\n' ' ')" \
  "$(sqlite3 "$out/study.db" "select number from trial where reason like 'diverged%'" | tr '\n' ' ')"
check "store: a diverged trial at all" test "$(sqlite3 "$out/study.db" 'select count(*) from trial where diverged = 1')" -gt 0
# The best trial's weights are kept, and the report says on which host and where.
check_grep "report: the best weights' host and path" "^weights    $(hostname):/.*/trials/[0-9]+/backup/.*weights\$" \
  "$out/report.txt"
w=$(sed -n 's/^weights    [^:]*://p' "$out/report.txt")
check "report: the weights file is there" test -s "$w"
check_eq "diverged trials stopped within a few iterations" "$(awk -F, '$4 == 50 && $6 > 10' "$csv" | wc -l)" 0
check_eq "others complete" "$(awk -F, 'NR > 1 && $4 != 50 && $2 != "COMPLETE"' "$csv" | wc -l)" 0
check_eq "completed trials learned" "$(awk -F, '$2 == "COMPLETE" && $3 < 0.6' "$csv" | wc -l)" 0
# Two metric points (iterations 50 and 100) and 100 loss points per completed trial.
db=$out/study.db
q() { sqlite3 "$db" "$1"; }
check_eq "metric points at 50 and 100" \
    "$(q "SELECT DISTINCT group_concat(step) FROM (SELECT p.number, p.step FROM point p JOIN trial t ON t.study = p.study AND t.number = p.number WHERE t.state = 'COMPLETE' AND p.kind = 1 ORDER BY p.number, p.step) GROUP BY number")" "50,100"
check_eq "loss points every iteration" \
    "$(q "SELECT DISTINCT count(*) FROM point p JOIN trial t ON t.study = p.study AND t.number = p.number WHERE t.state = 'COMPLETE' AND p.kind = 0 GROUP BY p.number")" 100
check_eq "final value is the last metric point" \
    "$(q "SELECT count(*) FROM trial t WHERE t.state = 'COMPLETE' AND abs(t.value - (SELECT value FROM point p WHERE p.study = t.study AND p.number = t.number AND p.kind = 1 AND p.step = 100)) > 1e-9")" 0
n=$(awk -F, '$2 == "COMPLETE" && (b == "" || $3 > b) { b = $3; n = $1 } END { print n }' "$csv")
check "the best trial's weights are kept" test -s "$out/trials/$n/backup/trial.weights"
check_eq "no other weights are kept" "$(find "$out/trials" -name '*.weights' | wc -l)" 1
check_grep "decoded once, noted in the first log" '^darktune: decoded 6000 images of .*train-6k.list' "$out/trials/0/log.txt"
check_eq "decoded once for the study" "$(cat "$out"/trials/*/log.txt | grep -c '^darktune: decoded')" 2
check_grep "the log reads like darknet's" '^100, [0-9.]+: [0-9.]+, [0-9.]+ avg, [0-9.]+ rate, [0-9.]+ seconds, 6400 images' \
    "$out/trials/0/log.txt"
check_grep "validation in the log" '^100: top 1: 0\.[0-9]+' "$out/trials/0/log.txt"
check_grep "periodic validation on 500 of the 1,000 images (eval_images)" '^50: top 1: .*, 500 images' \
    "$out/trials/0/log.txt"
check_grep "the trial's value on all of them" '^100: top 1: .*, 1000 images' "$out/trials/0/log.txt"

# A trial Darknet crashes on fails alone, with the reason and Darknet's last line.
"$DARKTUNE" run tests/study/inprocess-broken.ini > tests/tmp/inprocess-broken.log 2>&1
check_eq "broken study exit status" "$?" 0
bcsv=tests/tmp/inprocess-broken/trials.csv
check_eq "time_steps 0 fails" "$(awk -F, '$4 == 0 { print $2 }' "$bcsv")" FAIL
check_eq "time_steps 1 completes" "$(awk -F, '$4 == 1 { print $2 }' "$bcsv")" COMPLETE
check_grep "the reason and darknet's last line" \
    'FAIL +crashed: killed by signal 8 \(Floating point exception\); last output: [0-9]+$' \
    tests/tmp/inprocess-broken/report.txt
# Same study seed and trial number: the same images, the same rand(), the same top-1.
"$DARKTUNE" run tests/study/inprocess-broken.ini --output tests/tmp/inprocess-again > /dev/null 2>&1
check_eq "repeatable" "$(awk -F, '$4 == 1 { print $3 }' tests/tmp/inprocess-again/trials.csv)" \
    "$(awk -F, '$4 == 1 { print $3 }' "$bcsv")"
# [pruner] wait = yes in-process: a trial that reaches a rung is stopped (SIGSTOP) with
# what it trained, its core given to another, and resumed (SIGCONT) once it ranks among
# the best half there; the last left waiting are pruned. A resumed trial reads on where
# it stopped: every iteration's loss, none lost or doubled. Nothing stays stopped.
sed -e 's|^output .*|output   = ../tmp/inprocess-wait|' -e 's|^trials .*|trials   = 6|' \
    -e 's|^max_batches .*|max_batches   = 60|' -e '/^eval_interval/d' \
    -e 's|^learning_rate .*|learning_rate = choice(0.002, 0.005, 0.02, 0.05)|' tests/study/inprocess.ini > tests/study/tmp-wait.ini
printf '\n[pruner]\ntype = asha\non = loss\nmin_resource = 15\nreduction_factor = 2\nwait = yes\n' >> tests/study/tmp-wait.ini
wout=tests/tmp/inprocess-wait
rm -rf "$wout"
"$DARKTUNE" run tests/study/tmp-wait.ini > "$wout.log" 2>&1
check_eq "wait: exit status" "$?" 0
rm -f tests/study/tmp-wait.ini
check_grep "wait: a trial waited at a rung and went on" 'trial [0-9]+ goes on from iteration (15|30)' "$wout.log"
check_grep "wait: those left waiting are pruned, saying why" \
  'PRUNED +asha: loss .* where it waited until no trial was left to start' "$wout/report.txt"
check_eq "wait: every trial complete or pruned" \
  "$(awk -F, 'NR > 1 && $2 != "COMPLETE" && $2 != "PRUNED"' "$wout/trials.csv" | wc -l)" 0
check_eq "wait: a complete trial has each of its 60 losses once" \
  "$(sqlite3 "$wout/study.db" "SELECT DISTINCT count(*) || ' ' || count(DISTINCT p.step) || ' ' || min(p.step) || ' ' || max(p.step)
     FROM point p JOIN trial t ON t.study = p.study AND t.number = p.number
     WHERE t.state = 'COMPLETE' AND p.kind = 0 GROUP BY p.number")" "60 60 1 60"
check "wait: some trial complete" grep -q ',COMPLETE,' "$wout/trials.csv"
check_eq "wait: no trial's process left stopped" "$(ps -eo stat=,comm= | awk '$1 ~ /^T/ && $2 ~ /darktune/' | wc -l)" 0
finish t_inprocess
