#!/usr/bin/env bash
# What main did before a change, today's darktune still does (tests/golden/study-v1,
# made by commit 0958981):
# - the table-runner studies tests/study/table.ini and table-median.ini write the very
#   trials.csv that main wrote (same sweep, same seed: same trials);
# - a study.db main left behind (schema version 1: 4 finished trials, 2 interrupted by
#   SIGINT and run again, 2 left RUNNING by kill -9) opens, is brought to the current
#   schema (version 2: each trial's fate, seed and rerun as columns), and resumes to the
#   trials.csv main wrote when it resumed it (the seconds column aside);
# - a store of a newer schema than this darktune reads is refused, untouched.
set -u
. tests/lib.sh
g=tests/golden/study-v1
tmp=tests/tmp/migrate
rm -rf "$tmp" && mkdir -p "$tmp"

for s in table table-median; do
  "$DARKTUNE" run "tests/study/$s.ini" --output "$tmp/$s" > "$tmp/$s.log" 2>&1
  check_eq "$s: exit status" "$?" 0
  check "$s: the trials.csv main wrote" cmp "$g/$s.csv" "$tmp/$s/trials.csv"
done

# Without the seconds (wall time of the resumed trials) and with the state and value.
cut_seconds() { awk -F, -v OFS=, '{ NF--; print }' "$1"; }
mkdir -p "$tmp/fixture"
cp "$g/study.db" "$tmp/fixture/"
"$DARKTUNE" run "$g/fixture.ini" --output "$tmp/fixture" > "$tmp/fixture.log" 2>&1
check_eq "fixture: exit status" "$?" 0
check_grep "fixture: resumed" "resuming study 'fixture': 6 finished trials kept, 2 configurations to run again" "$tmp/fixture.log"
check_eq "fixture: the trials.csv main wrote" "$(cut_seconds "$tmp/fixture/trials.csv")" "$(cut_seconds "$g/trials.csv")"
cmp -s "$g/study.db" "$tmp/fixture/study.db" && bad "fixture: the copy was not written"
check "fixture: the committed study.db is untouched" git diff --quiet -- "$g/study.db"

# The fates as data: trials 4 and 5 (SIGINT) were run again by 6 and 7 with their seeds,
# 8 and 9 (left RUNNING) became interrupted on resume and were run again by 10 and 11.
db=$tmp/fixture/study.db
fates() { sqlite3 "$1" "select number, state, fate, seed_trial, ifnull(rerun_of, '-') from trial order by number" |
          tr '\n' ' '; }
check_eq "fixture: schema version" "$(sqlite3 "$db" 'pragma user_version')" 6
check_eq "fixture: no trial is a finalist's run" "$(sqlite3 "$db" 'select count(*) from trial where final != 0')" 0
check_eq "fixture: fates, seeds and reruns" "$(fates "$db")" \
  "0|COMPLETE|counts|0|- 1|COMPLETE|counts|1|- 2|COMPLETE|counts|2|- 3|COMPLETE|counts|3|- \
4|FAIL|interrupted|4|- 5|FAIL|interrupted|5|- 6|COMPLETE|counts|4|4 7|COMPLETE|counts|5|5 \
8|FAIL|interrupted|8|- 9|FAIL|interrupted|9|- 10|COMPLETE|counts|8|8 11|COMPLETE|counts|9|9 "
check_eq "fixture: the reasons kept for people" \
  "$(sqlite3 "$db" "select number || ': ' || reason from trial where reason is not null" | tr '\n' ' ')" \
  "4: interrupted (signal) 5: interrupted (signal) 8: interrupted (darktune stopped) \
9: interrupted (darktune stopped) "

# Opened without running (status), the migration alone: RUNNING trials stay RUNNING.
mkdir -p "$tmp/status"
cp "$g/study.db" "$tmp/status/"
"$DARKTUNE" status "$g/fixture.ini" --output "$tmp/status" > "$tmp/status.log" 2>&1
check_eq "status: exit status" "$?" 0
check_eq "status: schema version" "$(sqlite3 "$tmp/status/study.db" 'pragma user_version')" 6
check_eq "status: the migration's fates" "$(fates "$tmp/status/study.db")" \
  "0|COMPLETE|counts|0|- 1|COMPLETE|counts|1|- 2|COMPLETE|counts|2|- 3|COMPLETE|counts|3|- \
4|FAIL|interrupted|4|- 5|FAIL|interrupted|5|- 6|COMPLETE|counts|4|4 7|COMPLETE|counts|5|5 \
8|RUNNING|counts|8|- 9|RUNNING|counts|9|- "

# A newer darktune's store: refused with a message naming it, and left as it was.
mkdir -p "$tmp/future"
cp "$g/study.db" "$tmp/future/"
sqlite3 "$tmp/future/study.db" 'pragma user_version = 7'
cp "$tmp/future/study.db" "$tmp/future.db"
"$DARKTUNE" run "$g/fixture.ini" --output "$tmp/future" > "$tmp/future.log" 2>&1
status=$?
check "future: exit status not 0 (got $status)" test "$status" -ne 0
check_grep "future: the message names the file" \
  "'$PWD/$tmp/future/study.db' is a store of a newer darktune \(schema version 7; this one reads 6 at most\)" \
  "$tmp/future.log"
check "future: the file is untouched" cmp -s "$tmp/future.db" "$tmp/future/study.db"
check_eq "future: no trial ran" "$(ls "$tmp/future")" study.db
finish t_migrate
