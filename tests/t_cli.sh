#!/usr/bin/env bash
# The command line: bad sweeps and options are refused with FILE:LINE and exit 2,
# before anything runs or is stored.
set -u
. tests/lib.sh
tmp=tests/tmp/cli
rm -rf "$tmp" && mkdir -p "$tmp"
# The catalogue of bad sweeps, cfgs and .data files is tests/t_bad.sh.
"$DARKTUNE" run tests/study/faults.ini --trials 0 > /dev/null 2> "$tmp/stderr"
check_eq "--trials 0" "$?" 2
check_grep "--trials 0 message" "--trials wants a whole number" "$tmp/stderr"
"$DARKTUNE" run tests/study/faults.ini --bogus > /dev/null 2> "$tmp/stderr"
check_eq "unknown option" "$?" 2
check_grep "unknown option message" "unknown option '--bogus'" "$tmp/stderr"
"$DARKTUNE" run "$tmp/missing.ini" > /dev/null 2> "$tmp/stderr"
check_eq "missing sweep" "$?" 2
check_grep "missing sweep message" "missing.ini" "$tmp/stderr"
"$DARKTUNE" status tests/study/faults.ini --output "$tmp/none" > /dev/null 2> "$tmp/stderr"
check_eq "status of a study never run" "$?" 1
check_grep "status message" "no study yet" "$tmp/stderr"
# A GPU the machine does not have is bad input too, refused before anything is stored.
printf '[study]\nname = nogpu\n[darknet]\nrunner = libdarknet\ndata = %s\ncfg = %s\ngpus = 63\n[space]\nmomentum = uniform(0.8, 0.9)\n' \
    "$PWD/cfg/fashion.data" "$PWD/cfg/fashion.cfg" > "$tmp/gpu.ini"
"$DARKTUNE" run "$tmp/gpu.ini" --output "$tmp/gpuout" > /dev/null 2> "$tmp/stderr"
check_eq "missing GPU" "$?" 2
check_grep "missing GPU message" "gpu.ini:7: gpus names GPU 63, but this machine has" "$tmp/stderr"
check "missing GPU: nothing written" test ! -e "$tmp/gpuout"
# Files that are no sweep: refused with exit 2 and what is wrong, at once (no endless read).
for bad in "tests|is a folder; give the sweep file" "/dev/zero|is not a regular file" "/dev/null|is not a regular file"; do
    "$DARKTUNE" run "${bad%%|*}" > /dev/null 2> "$tmp/stderr"
    check_eq "${bad%%|*}: exit status" "$?" 2
    check_grep "${bad%%|*}: message" "${bad#*|}" "$tmp/stderr"
done
printf '[study]\nname = a\001\000b\n' > "$tmp/nul.ini"
"$DARKTUNE" run "$tmp/nul.ini" > /dev/null 2> "$tmp/stderr"
check_eq "NUL byte: exit status" "$?" 2
check_grep "NUL byte: message" "nul.ini:2: a NUL byte in the line" "$tmp/stderr"
head -c 1100000 /dev/zero | tr '\0' ';' > "$tmp/big.ini"
"$DARKTUNE" run "$tmp/big.ini" > /dev/null 2> "$tmp/stderr"
check_eq "1 MB sweep: exit status" "$?" 2
check_grep "1 MB sweep: message" "big.ini' is 1100000 bytes; a sweep file is at most 1048576" "$tmp/stderr"
# A UTF-8 byte order mark (Windows editors) is accepted: the sweep reads as without it.
{ printf '\xef\xbb\xbf'; cat tests/sweeps/minimal.ini; } > tests/sweeps/tmp-bom.ini
"$DARKTUNE" status tests/sweeps/tmp-bom.ini --output "$tmp/bom" > /dev/null 2> "$tmp/stderr"
check_eq "BOM: read like the same sweep without it (no study yet: exit 1)" "$?" 1
check_grep "BOM: no study yet" "no study yet" "$tmp/stderr"
rm -f tests/sweeps/tmp-bom.ini
# A study resumed (or joined by a worker) with another sweep is refused before any
# trial runs, with the first difference named; --force goes on.
"$DARKTUNE" run tests/study/table.ini --output "$tmp/edited" > /dev/null 2>&1
sed 's/^momentum .*/momentum      = uniform(0.6, 0.95)/' tests/study/table.ini > tests/study/tmp-edited.ini
rows=$(wc -l < "$tmp/edited/trials.csv")
for cmd in run worker; do
    "$DARKTUNE" $cmd tests/study/tmp-edited.ini --output "$tmp/edited" --trials 35 > /dev/null 2> "$tmp/stderr"
    check_eq "edited sweep, $cmd: exit status" "$?" 2
    check_grep "edited sweep, $cmd: the difference named" \
        "study 'table' in '.*/edited/study.db' ran with another sweep: \[space\] momentum was uniform\(0.5, 0.95\), is now uniform\(0.6, 0.95\)" "$tmp/stderr"
done
check_eq "edited sweep: no trial ran" "$(wc -l < "$tmp/edited/trials.csv")" "$rows"
"$DARKTUNE" run tests/study/tmp-edited.ini --output "$tmp/edited" --trials 35 --force > /dev/null 2>&1
check_eq "edited sweep, --force: exit status" "$?" 0
check_eq "edited sweep, --force: the trials ran" "$(tail -n +2 "$tmp/edited/trials.csv" | wc -l)" 35
rm -f tests/study/tmp-edited.ini
# status reads a study it cannot write (a read-only copy, WAL mode): nothing is created
# beside it. As root, the reader is user nobody (root writes anything).
"$DARKTUNE" run tests/study/table.ini --output "$tmp/ro" > /dev/null 2>&1
chmod -R a-w "$tmp/ro"
as=()
[ "$(id -u)" = 0 ] && id nobody > /dev/null 2>&1 && as=(runuser -u nobody --)
"${as[@]}" "$DARKTUNE" status tests/study/table.ini --output "$tmp/ro" > "$tmp/ro.out" 2> "$tmp/stderr"
check_eq "read-only study: status exit status" "$?" 0
check_grep "read-only study: its trials" "^study 'table' \(maximize top1\): 30 trials" "$tmp/ro.out"
check_eq "read-only study: nothing written beside it" "$(ls "$tmp/ro")" "$(printf 'best.cfg\nreport.html\nreport.txt\nstudy.db\ntrials\ntrials.csv')"
chmod -R u+w "$tmp/ro"
# A study whose every trial failed ends with exit 1 and the first reason.
sed -e 's/^name .*/name    = allfail/' -e 's|^command .*|command      = ../fake/train_crash.sh {data} {cfg}|' -e 's/^trials .*/trials  = 2/' \
    tests/study/interrupt.ini > tests/study/tmp-allfail.ini
"$DARKTUNE" run tests/study/tmp-allfail.ini --output "$tmp/allfail" > /dev/null 2> "$tmp/stderr"
check_eq "all trials failed: exit status" "$?" 1
check_grep "all trials failed: says so" "every trial failed \(2\), so there is no best.cfg; the first, trial 0: crashed" "$tmp/stderr"
rm -f tests/study/tmp-allfail.ini
# The machine cannot take a trial's files (here a file where its folder goes; a full
# disk or a permission alike): the study stops with exit 1, the trial does not count,
# and on the next run its configuration runs again.
mkdir -p "$tmp/machine/trials" && : > "$tmp/machine/trials/1"
"$DARKTUNE" run tests/study/table.ini --output "$tmp/machine" --trials 5 > /dev/null 2> "$tmp/stderr"
check_eq "files cannot be written: exit status" "$?" 1
check_grep "files cannot be written: says so" "cannot write trial 1's files: .*trials/1.*the study stops" "$tmp/stderr"
check_eq "files cannot be written: the trial does not count" \
  "$(sqlite3 "$tmp/machine/study.db" "select state || ' ' || fate from trial where number = 1")" "FAIL interrupted"
rm "$tmp/machine/trials/1"
"$DARKTUNE" run tests/study/table.ini --output "$tmp/machine" --trials 5 > /dev/null 2>&1
check_eq "files cannot be written: resumed, exit status" "$?" 0
check_eq "files cannot be written: resumed, the budget met" \
  "$(sqlite3 "$tmp/machine/study.db" "select count(*) from trial where fate = 'counts'")" 5
check_eq "files cannot be written: resumed, trial 1 ran again" \
  "$(sqlite3 "$tmp/machine/study.db" "select count(*) from trial where rerun_of = 1")" 1
# A .data file and a base cfg saved on Windows (lines ending in CR LF) train as with LF:
# the trial's copies end their lines in LF alone, as pjreddie's darknet needs (it keeps
# the CR in each value; so does the fake, which reads them with sed).
sed 's/$/\r/' tests/study/fake.data > tests/study/tmp-crlf.data
sed 's/$/\r/' tests/study/fake.cfg > tests/study/tmp-crlf.cfg
sed -e 's/^name .*/name    = crlf/' -e 's/^data .*/data         = tmp-crlf.data/' \
    -e 's/^cfg .*/cfg          = tmp-crlf.cfg/' -e 's/^learning_rate .*/learning_rate = choice(0.02)/' \
    tests/study/interrupt.ini > tests/study/tmp-crlf.ini
"$DARKTUNE" run tests/study/tmp-crlf.ini --output "$tmp/crlf" > /dev/null 2> "$tmp/stderr"
check_eq "CR LF .data and cfg: exit status" "$?" 0
check_eq "CR LF .data and cfg: every trial completes" \
  "$(sqlite3 "$tmp/crlf/study.db" "select count(*) from trial where state = 'COMPLETE'")" 2
check "CR LF .data and cfg: the trial's copies have no CR" \
  test -s "$tmp/crlf/trials/0/trial.data" -a -z "$(tr -cd '\r' < "$tmp/crlf/trials/0/trial.data")" \
  -a -z "$(tr -cd '\r' < "$tmp/crlf/trials/0/trial.cfg")"
rm -f tests/study/tmp-crlf.ini tests/study/tmp-crlf.data tests/study/tmp-crlf.cfg
"$DARKTUNE" frobnicate > /dev/null 2>&1
check_eq "unknown command" "$?" 2
finish t_cli
