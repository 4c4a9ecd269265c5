#!/usr/bin/env bash
# A study whose trials crash, hang and diverge (tests/fake/darknet_by_lr.sh): each
# ends alone, with its reason, and the study finishes its budget.
set -u
. tests/lib.sh
out=tests/tmp/faults
rm -rf "$out"
"$DARKTUNE" run tests/study/faults.ini > "$out.log" 2>&1
check_eq "exit status" "$?" 0
csv=$out/trials.csv
check "trials.csv written" test -f "$csv"
check_eq "rows" "$(tail -n +2 "$csv" | wc -l)" 8
row() { awk -F, -v lr="$1" '$4 == lr { print $2 }' "$csv"; }
check_eq "crash is FAIL" "$(row 7)" FAIL
check_eq "hang is FAIL" "$(row 8)" FAIL
check_eq "nan is PRUNED" "$(row 9)" PRUNED
check_eq "good rate completes" "$(row 0.02)" COMPLETE
# Garbled iteration lines are no data: said in the trial's log, the trial completes.
check_eq "garbled lines: the trial completes" "$(row 6)" COMPLETE
n6=$(awk -F, '$4 == "6" { print $1 }' "$csv")
check_grep "garbled lines: past max_batches, in the log" \
  "^darktune: ignored a line whose iteration 500 is past max_batches: 500, 0.500" "$out/trials/$n6/log.txt"
check_grep "garbled lines: going back, in the log" \
  "^darktune: ignored a line whose iteration 3 goes back: 3, 0.003" "$out/trials/$n6/log.txt"
# Training that ends without weights is not evaluated: it fails, saying so.
check_eq "no weights: FAIL" "$(row 5)" FAIL
check_grep "no weights: the reason" 'trial +[0-9]+ +FAIL +no weights: training reached iteration 20 but left no weights' \
  "$out/report.txt"
check_grep "crash reason" 'trial +[0-9]+ +FAIL .*signal 11' "$out/report.txt"
check_grep "hang reason" 'trial +[0-9]+ +FAIL .*hung' "$out/report.txt"
check_grep "divergence reason" 'trial +[0-9]+ +PRUNED .*diverged' "$out/report.txt"
check_grep "best is lr 0.02" 'learning_rate = 0.02$' "$out/report.txt"
check_grep "best.cfg has the best rate" '^learning_rate=0.02$' "$out/best.cfg"
# The hung trial's own child (a sleep) went down with its process group.
pid=$(cat "$out"/trials/*/sleeper.pid 2>/dev/null | head -n 1)
check "hung trial left its sleeper pid" test -n "$pid"
# Gone, or a zombie that only waits for init to reap it (containers' init may not).
gone() { case $(ps -o stat= -p "$1") in "" | Z*) return 0 ;; *) return 1 ;; esac; }
if [ -n "$pid" ]; then check "hung trial's child is gone" gone "$pid"; fi
# Only the best trial keeps weights.
check_eq "weights kept" "$(find "$out/trials" -name '*.weights' | wc -l)" 1
finish t_faults
