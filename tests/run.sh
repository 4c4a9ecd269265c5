#!/usr/bin/env bash
# Runs every test: the C unit tests (build/tests/test_*), then the shell tests
# (tests/t_*.sh: end to end with the Debian darknet). Each prints
# "NAME: N passed, N failed"; this script adds them up and ends with the total.
# --unit runs the C tests only.
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0 broken=()
run() {
  local name=$1; shift
  local out rc
  out=$("$@" 2>&1); rc=$?
  printf '%s\n' "$out" | sed 's/^/  /'
  local line p f
  line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
  p=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  [ -n "$line" ] || { p=0; f=1; }
  pass=$((pass + p)); fail=$((fail + f))
  if [ $rc -ne 0 ] || [ "$f" != 0 ] || [ -z "$line" ]; then broken+=("$name (exit $rc)"); fi
  echo "$name: done (exit $rc)"
}
for t in build/tests/test_*; do [ -x "$t" ] && run "$(basename "$t")" "$t"; done
if [ "${1:-}" != "--unit" ]; then
  for t in tests/t_*.sh; do [ -f "$t" ] && run "$(basename "$t")" bash "$t"; done
fi
echo
if [ ${#broken[@]} -gt 0 ]; then printf 'FAILED: %s\n' "${broken[@]}"; fi
echo "total: $pass passed, $fail failed"
[ ${#broken[@]} -eq 0 ]
