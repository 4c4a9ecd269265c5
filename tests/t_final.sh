#!/usr/bin/env bash
# [final]: after the search, the top configurations train again with new seeds, as
# trials of their own (resumable like any other), and best.cfg is chosen by their mean.
# - tests/study/final.ini (exec, a fake darknet of about a second per trial): 6 search
#   trials, then 2 finalists x 2 seeds; killed with -9 while finalists run, resumed,
#   it ends with exactly 2 runs that count per finalist;
# - the table study run first without [final], then with it: the finalists run on the
#   stored search, which gains no trial;
# - finalists' runs are not pruned, and the report shows them.
set -u
. tests/lib.sh
tmp=tests/tmp/final-sh
rm -rf "$tmp" && mkdir -p "$tmp"

# In one go (SLOW=0: the fake trains at once).
out=$tmp/once
SLOW=0 "$DARKTUNE" run tests/study/final.ini --output "$out" > "$tmp/once.log" 2>&1
check_eq "once: exit status" "$?" 0
check_eq "once: 6 search trials and 4 finalist runs" "$(tail -n +2 "$out/trials.csv" | wc -l)" 10
check_eq "once: trials.csv names the finalist of each run" "$(head -n 1 "$out/trials.csv" | awk -F, '{ print $NF }')" \
  finalist_of
# The finalists are the two best search values, each with two runs.
top2=$(awk -F, 'NR > 1 && $NF == "" && $2 == "COMPLETE" { print $3, $1 }' "$out/trials.csv" | sort -k1,1gr -k2,2n |
       head -n 2 | awk '{ print $2 }' | sort -n | tr '\n' ' ')
runs=$(awk -F, 'NR > 1 && $NF != "" { print $NF }' "$out/trials.csv" | sort -n | uniq -c | awk '{ print $2 ":" $1 }' |
       tr '\n' ' ')
check_eq "once: the finalists are the top 2" "$(awk -F, 'NR > 1 && $NF != "" { print $NF }' "$out/trials.csv" |
  sort -nu | tr '\n' ' ')" "$top2"
check_eq "once: two runs each" "$(echo "$runs" | grep -o ':2' | wc -l)" 2
check_grep "once: best.cfg chosen by the mean" '^# chosen by the mean of 2 seeds: top1 = ' "$out/best.cfg"
check_grep "once: report.txt, mean ± std per finalist" '^ +trial [0-9]+: 0\.[0-9]+ ± 0\.[0-9]+ over 2 of 2 seeds' \
  "$out/report.txt"
check_grep "once: report.txt, the noise floor" "^noise +one configuration's std over seeds" "$out/report.txt"
check_grep "once: report.txt, which best.cfg deploys" "^best.cfg +trial [0-9]+'s configuration, chosen by the mean" \
  "$out/report.txt"
check_grep "once: report.html draws them" 'data-plot="finalists"' "$out/report.html"

# Killed with -9 while finalists run: the store shows a finalist RUNNING, then kill.
out=$tmp/killed
SLOW=1 "$DARKTUNE" run tests/study/final.ini --output "$out" > "$tmp/killed.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  [ "$(sqlite3 "$out/study.db" "SELECT count(*) FROM trial WHERE final = 1 AND state = 'RUNNING'" 2>/dev/null)" \
    -ge 1 ] 2>/dev/null && break
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
running=$(sqlite3 "$out/study.db" "SELECT count(*) FROM trial WHERE final = 1 AND state = 'RUNNING'")
check "killed: while a finalist ran ($running running)" test "${running:-0}" -ge 1
pkill -9 -f "train_slow.sh .*$out" 2>/dev/null
SLOW=0 "$DARKTUNE" run tests/study/final.ini --output "$out" > "$tmp/resumed.log" 2>&1
check_eq "resumed: exit status" "$?" 0
check_eq "resumed: 6 search trials that count" \
  "$(sqlite3 "$out/study.db" "SELECT count(*) FROM trial WHERE final = 0 AND fate = 'counts'")" 6
check_eq "resumed: 2 runs that count per finalist, 2 finalists" \
  "$(sqlite3 "$out/study.db" "SELECT group_concat(k) FROM (SELECT count(*) AS k FROM trial WHERE final = 1
     AND fate = 'counts' GROUP BY rerun_of)")" "2,2"
check "resumed: the interrupted finalist runs are kept, not counted" test \
  "$(sqlite3 "$out/study.db" "SELECT count(*) FROM trial WHERE final = 1 AND fate = 'interrupted'")" -ge 1
check_grep "resumed: best.cfg chosen by the mean" '^# chosen by the mean of 2 seeds' "$out/best.cfg"

# Finalists asked of a study that has run: the table study, then the same with [final].
out=$tmp/later
"$DARKTUNE" run tests/study/table.ini --output "$out" > "$tmp/later1.log" 2>&1
check_eq "later: search exit status" "$?" 0
g=tests/study/tmp-final-later.ini
sed 's/^\[space\]/[final]\ntop = 3\nseeds = 2\n\n[space]/' tests/study/table.ini > "$g"
"$DARKTUNE" run "$g" --output "$out" > "$tmp/later2.log" 2>&1
check_eq "later: finalists exit status (the sweep's identity ignores [final])" "$?" 0
check_eq "later: no search trial added" \
  "$(awk -F, 'NR > 1 && $NF == ""' "$out/trials.csv" | wc -l)" 30
check_eq "later: 3 finalists x 2 seeds" "$(awk -F, 'NR > 1 && $NF != ""' "$out/trials.csv" | wc -l)" 6
# ASHA judged the search; it judges no finalist run (each trains its 20 iterations).
check_eq "later: no finalist run pruned" "$(awk -F, 'NR > 1 && $NF != "" && $2 != "COMPLETE"' "$out/trials.csv" |
  wc -l)" 0
check_eq "later: each finalist run trains to the end" \
  "$(awk -F, 'NR > 1 && $NF != "" { print $(NF - 2) }' "$out/trials.csv" | sort -u)" 20
# A larger budget afterwards: the search goes on from its own trials (the TPE does not
# take the finalists' runs for observations), then finalists as the new top has them.
"$DARKTUNE" run "$g" --output "$out" --trials 33 > "$tmp/later3.log" 2>&1
check_eq "later, 33 trials: exit status" "$?" 0
check_eq "later, 33 trials: 3 more search trials" "$(awk -F, 'NR > 1 && $NF == ""' "$out/trials.csv" | wc -l)" 33
check "later, 33 trials: each finalist has its 2 runs" test "$(awk -F, 'NR > 1 && $NF != "" && $2 == "COMPLETE" { n[$NF]++ }
  END { for (k in n) if (n[k] < 2) bad = 1; print bad ? 1 : 0 }' "$out/trials.csv")" = 0
rm -f "$g"
finish final
