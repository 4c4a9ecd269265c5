#!/usr/bin/env bash
# No trial process outlives its study, not even a daemon a trial program starts with
# setsid (a session and process group of its own, the terminal's hangup ignored):
#  a. a study that ends normally leaves none;
#  b. darktune killed with SIGKILL leaves none, without waiting for a next darktune
#     (the trial's supervisor hears its parent die);
#  c. darktune and the supervisors of its trials killed with SIGKILL (nothing of
#     darktune's left to act): the next darktune on this host ends the trial's
#     process group (recorded in the store with its leader's start time, so that a pid
#     used again is left alone) and, where the machine lets darktune make cgroups,
#     the trial's cgroup (recorded beside it), daemon included, before it runs on.
# a and b run twice: in a cgroup of their own where the machine allows it, and with
# DARKTUNE_CGROUP=none (process groups and the supervisor alone).
set -u
. tests/lib.sh
tmp=tests/tmp/orphans
rm -rf "$tmp" && mkdir -p "$tmp"
f=tests/study/tmp-orphans.ini
alive() { case $(ps -o stat= -p "$1" 2>/dev/null) in "" | Z*) return 1 ;; *) return 0 ;; esac; }
# gone PID: true once PID has ended (waits up to 5 s).
gone() { for _ in $(seq 50); do alive "$1" || return 0; sleep 0.1; done; return 1; }
# daemons DIR: the pids of the setsid daemons of the trials under DIR still running.
daemons() { pgrep -f "^dt-orphan $PWD/$1/" | tr '\n' ' '; }
no_daemons() { for _ in $(seq 50); do [ -z "$(daemons "$1")" ] && return 0; sleep 0.1; done; return 1; }
# study NAME MODE: the sweep of a one-trial study of tests/fake/train_setsid.sh.
study() {
  sed -e "s/^name .*/name    = orphans-$1/" -e "s|^output .*|output  = ../tmp/orphans/$1|" \
      -e "s|^command .*|command      = ../fake/train_setsid.sh {data} {cfg} $2|" -e 's/^trials .*/trials  = 1/' \
      -e 's/^cpu_slots .*/cpu_slots    = 1/' -e 's/^learning_rate .*/learning_rate = choice(0.02)/' \
      tests/study/interrupt.ini > "$f"
}
# wait_trial DIR: waits for the hanging trial under DIR to have started its daemon and
# its child (the last thing it does).
wait_trial() { for _ in $(seq 100); do [ -s "$1"/trials/0/sleeper.pid ] && break; sleep 0.1; done; }
# Whether this machine lets darktune make cgroups: a cgroup v2 hierarchy, and our own
# cgroup in it writable (darktune's test is the same).
cg=
mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
[ -n "$mnt" ] && [ -n "$own" ] && [ -w "$mnt${own%/}/cgroup.procs" ] && cg=yes
# no_cgroups PID: darktune PID's trial cgroups (darktune.PID.*) are all gone (waits up to 5 s).
no_cgroups() {
  for _ in $(seq 50); do
    ls -d "$mnt${own%/}/darktune.$1."* > /dev/null 2>&1 || return 0
    sleep 0.1
  done
  return 1
}

for mode in cgroup none; do
  if [ "$mode" = cgroup ] && [ -z "$cg" ]; then
    skip "no writable cgroup v2 here: the cgroup runs of a and b (their 'none' runs still check)"
    continue
  fi
  env=(env)
  [ "$mode" = none ] && env=(env DARKTUNE_CGROUP=none)
  # a. A normal end.
  study "a-$mode" ""
  "${env[@]}" "$DARKTUNE" run "$f" > "$tmp/a-$mode.log" 2>&1 &
  pid=$!
  wait "$pid"
  check_eq "a ($mode): the study ends well" "$?" 0
  check "a ($mode): the daemon started" test -s "$tmp/a-$mode/trials/0/daemon.pid"
  check "a ($mode): the daemon is gone when the study ends" no_daemons "$tmp/a-$mode"
  [ "$mode" = cgroup ] && check "a ($mode): no cgroup of darktune's is left" no_cgroups "$pid"
  # b. darktune killed with SIGKILL while the trial runs.
  study "b-$mode" hang
  "${env[@]}" "$DARKTUNE" run "$f" > "$tmp/b-$mode.log" 2>&1 &
  pid=$!
  wait_trial "$tmp/b-$mode"
  check "b ($mode): the daemon started" test -s "$tmp/b-$mode/trials/0/daemon.pid"
  kill -9 "$pid"; wait "$pid" 2>/dev/null
  check "b ($mode): the daemon is gone after darktune's SIGKILL" no_daemons "$tmp/b-$mode"
  check "b ($mode): the trial program is gone" gone "$(cat "$tmp/b-$mode/trials/0/program.pid")"
  check "b ($mode): its child is gone" gone "$(cat "$tmp/b-$mode/trials/0/sleeper.pid")"
  if [ "$mode" = cgroup ]; then
    check_grep "b ($mode): the trial's cgroup is in the store" "^[0-9]+:[0-9]+:/.+/darktune\.[0-9]+\.[0-9]+$" \
      <(sqlite3 "$tmp/b-$mode/study.db" "select process from trial where number = 0")
    check "b ($mode): no cgroup of darktune's is left" no_cgroups "$pid"
  else
    check_grep "b ($mode): the process group alone is in the store" '^[0-9]+:[0-9]+$' \
      <(sqlite3 "$tmp/b-$mode/study.db" "select process from trial where number = 0")
  fi
done

# c. darktune and its trial's supervisor killed with SIGKILL (darktune stopped first,
# so that it cannot act between the two). With DARKTUNE_CGROUP=none the store holds
# the process group alone ("pgid:start", as before cgroups): the next darktune ends the
# group, but a daemon that left it is out of reach then (the reason for cgroups).
for mode in cgroup none; do
  [ "$mode" = cgroup ] && [ -z "$cg" ] && continue
  env=(env)
  [ "$mode" = none ] && env=(env DARKTUNE_CGROUP=none)
  c=c-$mode
  study "$c" hang
  "${env[@]}" "$DARKTUNE" run "$f" > "$tmp/$c.log" 2>&1 &
  pid=$!
  wait_trial "$tmp/$c"
  process=$(sqlite3 "$tmp/$c/study.db" "select process from trial where number = 0")
  kill -STOP "$pid"
  supervisors=$(pgrep -P "$pid" | tr '\n' ' ')
  check "c ($mode): the trial has a supervisor, darktune's child" test -n "$supervisors"
  # shellcheck disable=SC2086
  kill -9 $supervisors "$pid"; wait "$pid" 2>/dev/null
  program=$(cat "$tmp/$c/trials/0/program.pid") sleeper=$(cat "$tmp/$c/trials/0/sleeper.pid")
  daemon=$(cat "$tmp/$c/trials/0/daemon.pid")
  sleep 0.5
  check "c ($mode): the trial program outlived darktune and its supervisor" alive "$program"
  check "c ($mode): the daemon too" alive "$daemon"
  cgdir=${process#*:*:}
  [ "$cgdir" = "$process" ] && cgdir=
  if [ "$mode" = cgroup ]; then
    check_grep "c ($mode): its process group and cgroup are in the store" '^[0-9]+:[0-9]+:/' <(echo "$process")
    check "c ($mode): its cgroup is still there" test -n "$cgdir" -a -d "$cgdir"
  else
    check_grep "c ($mode): its process group is in the store" '^[0-9]+:[0-9]+$' <(echo "$process")
  fi
  # The next darktune: it ends the orphans, records the trial as interrupted, runs on.
  sed -i 's/^hang_timeout .*/hang_timeout = 1s/' "$f"
  timeout 20 "${env[@]}" "$DARKTUNE" run "$f" > "$tmp/$c-2.log" 2>&1
  check "c ($mode): the trial program is gone after the next run" gone "$program"
  check "c ($mode): its child too" gone "$sleeper"
  if [ "$mode" = cgroup ]; then
    check "c ($mode): the daemon is gone after the next run (its cgroup ended)" gone "$daemon"
    check "c ($mode): its cgroup is removed" test ! -e "$cgdir"
  else
    kill -9 "$daemon" 2>/dev/null
  fi
  check "c ($mode): nothing of the rerun is left either" no_daemons "$tmp/$c"
  check_grep "c ($mode): the trial was recorded as interrupted" "1 trial left running by a darktune that stopped" \
    "$tmp/$c-2.log"
done

# Whatever a failed check left: the processes the fake programs named, by their pids.
for p in $(daemons "$tmp") $(cat "$tmp"/*/trials/*/*.pid 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
rm -f "$f"
finish t_orphans
