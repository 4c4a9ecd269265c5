#!/usr/bin/env bash
# Runs every test: the C unit tests (build/tests/test_*), then the shell tests
# (tests/t_*.sh: end to end with the Debian darknet). Each prints
# "NAME: N passed, N failed, N skipped" (the older "NAME: N passed, N failed" reads as 0
# skipped) and a "SKIP: REASON" line per skip; this script adds them up and ends with
#   total: N passed, N failed, N skipped
# then one line per skip, "skipped: TEST: REASON". Only unindented lines count (a test's
# own output of a nested run, shown indented, does not). A test with no summary line, a
# failure or a non-zero exit is listed as FAILED and makes the exit status 1.
# --unit runs the C tests only. DT_TESTS (paths, one a line or space-separated: a
# .sh runs with bash, anything else is executed) replaces the tests found, so that
# tests/t_runner.sh can check this counting on fake tests.
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0 skip=0 broken=() skips=()
run() {
  local name=$1; shift
  local out rc
  out=$("$@" 2>&1); rc=$?
  printf '%s\n' "$out" | sed 's/^/  /'
  local line p f s reason n=0
  line=$(printf '%s\n' "$out" | grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' | tail -n 1)
  p=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  s=0; [[ $line =~ ([0-9]+)\ skipped$ ]] && s=${BASH_REMATCH[1]}
  [ -n "$line" ] || { p=0; f=1; s=0; }
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
  while IFS= read -r reason; do
    skips+=("$name: ${reason#SKIP: }"); n=$((n + 1))
  done < <(printf '%s\n' "$out" | grep -E '^SKIP: ')
  [ "$n" -lt "$s" ] && skips+=("$name: $((s - n)) skipped without a SKIP: line to say why")
  if [ $rc -ne 0 ] || [ "$f" != 0 ] || [ -z "$line" ]; then broken+=("$name (exit $rc)"); fi
  echo "$name: done (exit $rc)"
}
# run_path PATH: a shell test with bash, anything else as it is (one that is not
# there prints no summary line, so it counts as broken).
run_path() {
  case $1 in
    *.sh) run "$(basename "$1")" bash "$1" ;;
    *) run "$(basename "$1")" "$1" ;;
  esac
}
if [ -n "${DT_TESTS:-}" ]; then
  for t in $DT_TESTS; do run_path "$t"; done
else
  for t in build/tests/test_*; do [ -x "$t" ] && run_path "$t"; done
  if [ "${1:-}" != "--unit" ]; then
    for t in tests/t_*.sh; do [ -f "$t" ] && run_path "$t"; done
  fi
fi
echo
if [ ${#broken[@]} -gt 0 ]; then printf 'FAILED: %s\n' "${broken[@]}"; fi
echo "total: $pass passed, $fail failed, $skip skipped"
if [ ${#skips[@]} -gt 0 ]; then printf 'skipped: %s\n' "${skips[@]}"; fi
[ ${#broken[@]} -eq 0 ]
