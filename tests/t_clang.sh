#!/usr/bin/env bash
# darktune built by clang (make clang-check: warnings as errors) passes the unit tests
# and the command line's refusals, and the case that only clang's build got wrong
# (a policy list joined before it was read: `policy = sig` crashed it).
set -u
. tests/lib.sh
b=build/clang
if [ ! -x "$b/darktune" ]; then
  skip "no clang build in $b: make clang-check (make test does it) builds it with Debian's clang"
  finish t_clang
  exit 0
fi
for t in "$b"/tests/test_*; do
  out=$("$t" 2>&1)
  check "clang: $(basename "$t") passes" test $? -eq 0
  check_grep "clang: $(basename "$t") ran checks" '[1-9][0-9]* passed, 0 failed' <(printf '%s\n' "$out")
done
out=$(DARKTUNE=$PWD/$b/darktune bash tests/t_cli.sh 2>&1)
check "clang: t_cli passes" test $? -eq 0
check_grep "clang: t_cli's summary" '^t_cli: [1-9][0-9]* passed, 0 failed' <(printf '%s\n' "$out")
tmp=tests/tmp/clang && rm -rf "$tmp" && mkdir -p "$tmp"
sed 's/^learning_rate = .*/policy = sig/' tests/sweeps/minimal.ini > tests/sweeps/tmp-sig.ini
"$b/darktune" run tests/sweeps/tmp-sig.ini --output "$tmp/out" > /dev/null 2> "$tmp/stderr"
check_eq "clang: policy = sig is refused, not a crash" "$?" 2
check_grep "clang: ... with the policies the fork knows" "policy 'sig' is not supported by .*; it knows constant, step" \
  "$tmp/stderr"
rm -f tests/sweeps/tmp-sig.ini
finish t_clang
