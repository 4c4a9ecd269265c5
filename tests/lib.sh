# Shared by the shell tests: check helpers that count, and a closing summary line.
# Source it from the repo root; call `finish NAME` last.
pass=0 fail=0 skipped=0
ok()   { pass=$((pass + 1)); }
bad()  { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# skip REASON: a check (or a whole test) that cannot run here, counted and shown as
# "SKIP: REASON" (tests/run.sh lists these after its total). Say what is missing and
# how to get it: skip "data/shapes is missing: make data-shapes draws it".
skip() { skipped=$((skipped + 1)); echo "SKIP: $*"; }
# check DESCRIPTION COMMAND...: the command must succeed.
check() { local what=$1; shift; if "$@"; then ok; else bad "$what"; fi; }
# check_eq DESCRIPTION GOT WANT
check_eq() { if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', want '$3'"; fi; }
# check_grep DESCRIPTION PATTERN FILE: an extended regex must match a line of FILE.
check_grep() { if grep -Eq -- "$2" "$3"; then ok; else bad "$1: no line matches '$2' in $3"; sed 's/^/    /' "$3" | tail -n 20 >&2; fi; }
# tests/tmp/fashion-small.data: Fashion-MNIST's 6,000-image train and 1,000-image valid subsets.
fashion_small_data() {
  local d=$PWD/data/fashion
  mkdir -p tests/tmp
  printf 'classes=10\ntrain=%s\nvalid=%s\nlabels=%s\nbackup=backup\n' \
      "$d/train-6k.list" "$d/valid-1k.list" "$d/labels.txt" > tests/tmp/fashion-small.data
}
# need_optuna DIR: the latest Optuna in bench/.venv, pip installing it there when it is
# missing (its log in DIR/pip.log); 0 when bench/.venv/bin/python imports it, else 1 with
# pip's last words in $optuna_why.
need_optuna() {
  local py=bench/.venv/bin/python
  if ! "$py" -c 'import optuna' 2> /dev/null; then
    echo "installing Optuna into bench/.venv"
    { [ -x "$py" ] || python3 -m venv bench/.venv; } > "$1/pip.log" 2>&1
    bench/.venv/bin/pip install -q optuna >> "$1/pip.log" 2>&1
  fi
  "$py" -c 'import optuna' 2> /dev/null && return 0
  optuna_why=$(grep -v '^\s*$' "$1/pip.log" 2> /dev/null | tail -n 1)
  return 1
}
# darknet_build TARGET DIR: `make TARGET` (darknet/build.sh), its log shown indented; it
# must succeed and leave DIR/libdarknet.so and DIR/darknet.
darknet_build() {
  local log=tests/tmp/$1-build.log t0
  mkdir -p tests/tmp
  t0=$(date +%s)
  make --no-print-directory "$1" > "$log" 2>&1
  check_eq "make $1 exit status" "$?" 0
  sed 's/^/    /' "$log"
  echo "make $1: $(($(date +%s) - t0)) s"
  check "$2/libdarknet.so built" test -f "$2/libdarknet.so"
  check "$2/darknet built" test -x "$2/darknet"
}
# darknet_build_cached TARGET: `make TARGET` again fetches, patches and compiles nothing,
# in under 10 s.
darknet_build_cached() {
  local log=tests/tmp/$1-build.log t0 t1
  t0=$(date +%s)
  make --no-print-directory "$1" > "$log" 2>&1
  check_eq "cached make $1 exit status" "$?" 0
  t1=$(date +%s)
  echo "make $1 again (cached): $((t1 - t0)) s"
  check_grep "cached make $1 compiled nothing" 'up to date' "$log"
  check "cached make $1 under 10 s" test $((t1 - t0)) -lt 10
}
finish() { echo "$1: $pass passed, $fail failed, $skipped skipped"; [ "$fail" -eq 0 ]; }
DARKTUNE=${DARKTUNE:-$PWD/darktune}
