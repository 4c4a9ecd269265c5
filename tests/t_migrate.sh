#!/usr/bin/env bash
# What main did before a change, today's darktune still does (tests/golden/study-v1,
# made by commit 0958981):
# - the table-runner studies tests/study/table.ini and table-median.ini write the very
#   trials.csv that main wrote (same sweep, same seed: same trials);
# - a study.db main left behind (4 finished trials, 2 interrupted by SIGINT, 2 left
#   RUNNING by kill -9) opens, is brought to the current schema, and resumes to the
#   trials.csv main wrote when it resumed it (the seconds column aside).
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
finish t_migrate
