#!/usr/bin/env bash
# Ctrl-C (SIGINT) stops darktune cleanly: every running trial's process group is
# killed, the trials are recorded as interrupted, the exit status says so (130),
# and the next run starts their configurations again.
set -u
. tests/lib.sh
out=tests/tmp/interrupt
rm -rf "$out"
"$DARKTUNE" run tests/study/interrupt.ini > "$out.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ "$(ls "$out"/trials/*/sleeper.pid 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
check_eq "exit status after SIGINT" "$?" 130
check_grep "says how to resume" "run the same command again to resume" "$out.log"
check_eq "both trials recorded as interrupted" "$(grep -c 'FAIL *interrupted (signal)' "$out/report.txt")" 2
gone() { case $(ps -o stat= -p "$1") in "" | Z*) return 0 ;; *) return 1 ;; esac; }
for f in "$out"/trials/*/sleeper.pid; do check "$f: the trial's child is gone" gone "$(cat "$f")"; done
"$DARKTUNE" status tests/study/interrupt.ini > "$out.status"
check_grep "status shows them" "^ +1 +FAIL" "$out.status"
finish t_interrupt
