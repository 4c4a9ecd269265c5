#!/usr/bin/env bash
# The catalogue of bad input (tests/bad/): every malformed sweep (sweeps/), base cfg
# (cfg/) and .data file (data/) is refused with exit status 2 (or the status of an
# optional "; exit: N" line), the message of its "; expect: TEXT" first line on stderr,
# and nothing stored: the --output folder does not exist afterwards. A cfg or .data
# entry is the file pair NAME.cfg or NAME.data and the sweep NAME.ini that uses it.
# Malformed Darknet output is no refusal (a trial ignores the line or fails), so
# log/lines.txt is a golden list instead: each line with what dt_logparse makes of it,
# checked by build/tests/test_logparse. Each line there counts as one entry.
set -u
. tests/lib.sh
tmp=tests/tmp/bad
rm -rf "$tmp" && mkdir -p "$tmp"
n=0
for f in tests/bad/sweeps/*.ini tests/bad/cfg/*.ini tests/bad/data/*.ini; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    want=$(sed -n '1s/^; *expect: *//p' "$f")
    code=$(sed -n 's/^; *exit: *\([0-9]*\).*/\1/p' "$f" | head -n 1)
    out="$tmp/$n"
    check "$f: has an '; expect:' first line" test -n "$want"
    "$DARKTUNE" run "$f" --output "$out" > "$tmp/stdout" 2> "$tmp/stderr"
    rc=$?
    check_eq "$f: exit status" "$rc" "${code:-2}"
    if grep -qF -- "$want" "$tmp/stderr"; then ok; else
        bad "$f: message '$want'"; sed 's/^/    /' "$tmp/stderr" | tail -n 5 >&2
    fi
    check "$f: nothing written" test ! -e "$out"
done
lines=$(grep -cv -e '^#' -e '^$' tests/bad/log/lines.txt)
if [ -x build/tests/test_logparse ]; then
    build/tests/test_logparse > "$tmp/logparse" 2>&1
    check_eq "log/lines.txt: build/tests/test_logparse exit status" "$?" 0
    check_grep "log/lines.txt: checked" "^logparse: [0-9]+ passed, 0 failed" "$tmp/logparse"
else
    skip "build/tests/test_logparse is missing: make unit builds it (log/lines.txt unchecked)"
fi
echo "catalogue: $n refused files, $lines log lines: $((n + lines)) entries"
check "catalogue: at least 150 entries" test $((n + lines)) -ge 150
finish t_bad
