#!/usr/bin/env bash
# kill -9 of darktune in the middle of a study, then the same command again: every
# finished trial is kept as it was, the interrupted ones are recorded and their
# configurations run again, and the budget is met exactly.
set -u
. tests/lib.sh
out=tests/tmp/resume
rm -rf "$out" && mkdir -p tests/tmp
fashion_small_data
csv=$out/trials.csv
finished() { [ -f "$csv" ] && awk -F, 'NR > 1 && $2 != "RUNNING"' "$csv" | wc -l || echo 0; }

"$DARKTUNE" run tests/study/resume.ini > "$out.log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ "$(finished)" -ge 2 ] && break; sleep 0.1; done
sleep 1                       # let the next trials get going
kill -9 "$pid"; wait "$pid" 2>/dev/null
kept=$(awk -F, 'NR > 1 && $2 != "RUNNING"' "$csv")
check "some trials finished before the kill" test "$(wc -l <<<"$kept")" -ge 2
sleep 1
check_eq "no darknet left running for this study" "$(pgrep -f "$PWD/$out/trials" | wc -l)" 0

"$DARKTUNE" run tests/study/resume.ini > "$out.log2" 2>&1
check_eq "resume exit status" "$?" 0
check_grep "resume says what it kept" "resuming study 'resume': [0-9]+ finished trials? kept, [1-9][0-9]* configurations? to run again" "$out.log2"
# Every row finished before the kill is still there, unchanged.
while IFS= read -r row; do
    check "kept: ${row%%,*}" grep -qxF -- "$row" "$csv"
done <<<"$kept"
check_eq "budget met" "$(awk -F, 'NR > 1 && $2 != "RUNNING" && $2 != "FAIL"' "$csv" | wc -l)" 6
interrupted=$(grep -c 'interrupted (darktune stopped)' "$out/report.txt")
check "interrupted trials recorded" test "$interrupted" -ge 1
# Each interrupted configuration ran again: its values appear on a later finished row.
for n in $(awk '/interrupted \(darktune stopped\)/ { print $2 }' "$out/report.txt"); do
    vals=$(awk -F, -v n="$n" '$1 == n { print $4 "," $5 }' "$csv")
    again=$(awk -F, -v n="$n" -v v="$vals" '$1 > n && $4 "," $5 == v && $2 != "FAIL"' "$csv" | wc -l)
    check_eq "trial $n ran again" "$again" 1
    # ... with the interrupted trial's seed, so that it trains what that trial would have.
    check_grep "trial $n's seed kept" "configuration of interrupted trial $n again \(the seed of trial $n\)" "$out.log2"
done
finish t_resume
