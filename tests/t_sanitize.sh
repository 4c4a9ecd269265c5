#!/usr/bin/env bash
# The unit tests built with AddressSanitizer and UndefinedBehaviorSanitizer (make
# sanitize-check, build/asan): each passes with no finding in darktune's own code.
# Leaks inside Debian's libdarknet are suppressed by function name (tests/lsan.supp).
set -u
. tests/lib.sh
b=build/asan/tests
if ! ls "$b"/test_* > /dev/null 2>&1; then
  skip "no sanitizer build in $b: make sanitize-check (make test does it) builds it with Debian's clang"
  finish t_sanitize; exit 0
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "$b"/test_*; do
  name=$(basename "$t")
  out=$("$t" 2>&1); rc=$?
  check_eq "$name under ASan and UBSan: exit status" "$rc" 0
  if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' <<<"$out"; then
    bad "$name: a sanitizer finding"
    grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' <<<"$out" | head -n 30 >&2
  else ok; fi
done
finish t_sanitize
