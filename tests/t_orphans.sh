#!/usr/bin/env bash
# No trial program outlives its study: one that ignores SIGHUP survives a darktune
# killed with SIGKILL (its terminal's hangup does not reach it), and the next darktune
# on this host ends its process group (recorded in the store with its leader's start
# time, so that a pid used again is left alone) before it runs the study on.
set -u
. tests/lib.sh
tmp=tests/tmp/orphans
rm -rf "$tmp" && mkdir -p "$tmp"
f=tests/study/tmp-orphans.ini
sed -e 's/^name .*/name    = orphans/' -e 's|^output .*|output  = ../tmp/orphans/out|' \
    -e 's|^command .*|command      = ../fake/train_nohup.sh {data} {cfg}|' -e 's/^trials .*/trials  = 1/' \
    -e 's/^cpu_slots .*/cpu_slots    = 1/' tests/study/interrupt.ini > "$f"
"$DARKTUNE" run "$f" > "$tmp/run.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$tmp"/out/trials/0/sleeper.pid ] && break; sleep 0.1; done
kill -9 "$pid"; wait "$pid" 2>/dev/null
sleeper=$(cat "$tmp"/out/trials/0/sleeper.pid 2>/dev/null)
alive() { case $(ps -o stat= -p "$1" 2>/dev/null) in "" | Z*) return 1 ;; *) return 0 ;; esac; }
check "the trial program outlived darktune's SIGKILL" alive "${sleeper:-0}"
check_grep "its process group is in the store" '^[0-9]+:[0-9]+$' <(sqlite3 "$tmp/out/study.db" "select process from trial where number = 0")
# The next darktune: it ends the orphan, records the trial as interrupted, runs on.
sed -i 's/^hang_timeout .*/hang_timeout = 1s/' "$f"
timeout 20 "$DARKTUNE" run "$f" > "$tmp/run2.log" 2>&1
sleep 0.5
check "the orphan is gone after the next run" test -n "${sleeper:-}" -a "$(alive "${sleeper:-0}" && echo yes)" != yes
check_grep "the trial was recorded as interrupted" "1 trial left running by a darktune that stopped" "$tmp/run2.log"
[ -n "${sleeper:-}" ] && kill -9 "$sleeper" 2>/dev/null
pkill -f "$PWD/$tmp/out" 2>/dev/null
rm -f "$f"
finish t_orphans
