#!/usr/bin/env bash
# Ownership under valgrind: the runner context (a table loaded once, images decoded
# once and shared by forked trials), the base cfg and .data read once per study, and
# the copies derived from them. The unit tests that make and free them, and a table
# study run end to end, leave nothing behind: no invalid access, no leak, and no block
# of darktune's own still reachable at exit (a cache in a static variable would be
# one). Forked children train under valgrind too, silently: they leave with _exit.
# Without valgrind, says it is skipped and checks nothing.
set -u
. tests/lib.sh
tmp=tests/tmp/valgrind
rm -rf "$tmp" && mkdir -p "$tmp"
if ! command -v valgrind > /dev/null; then
  echo "t_valgrind: skipped: valgrind is not installed"
  finish t_valgrind
  exit
fi

# vg NAME COMMAND...: runs it under valgrind; its exit status, and no frame of
# darktune's (dt_*) in the report, where only leaks, reachable blocks and errors have stacks.
vg() {
  local name=$1; shift
  valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    --child-silent-after-fork=yes --num-callers=40 --log-file="$tmp/$name.vg" "$@" > "$tmp/$name.out" 2>&1
  check_eq "$name: exit status under valgrind" "$?" 0
  check_eq "$name: no error, leak or reachable block of darktune's (see $tmp/$name.vg)" \
    "$(grep -cE '(by|at) 0x[0-9A-F]+: (dt_|cmd_|main)' "$tmp/$name.vg")" 0
}

vg test_runner build/tests/test_runner
vg test_table build/tests/test_table
vg test_out build/tests/test_out
vg test_cfg build/tests/test_cfg
vg table-study "$DARKTUNE" run tests/study/table.ini --output "$tmp/table"
"$DARKTUNE" run tests/study/table.ini --output "$tmp/table-plain" > "$tmp/table-plain.out" 2>&1
# (but for the seconds, the last column)
check_eq "table study: the same trials.csv as without valgrind" "$(sed 's/,[^,]*$//' "$tmp/table/trials.csv")" \
  "$(sed 's/,[^,]*$//' "$tmp/table-plain/trials.csv")"
finish t_valgrind
