#!/usr/bin/env bash
# Several workers on one study, on one SQLite file and on PostgreSQL (a throwaway
# cluster on loopback, tests/pg.sh; skipped with the reason when the server is not
# installed):
# - 4 workers, 200 quick trials: every trial number once, no configuration run
#   again twice, the budget exact, every worker ran trials, and the same best as one
#   worker with the same seed (a random sampler: a trial's values depend on the seed
#   and its number only);
# - kill -9 of a worker in mid-trial: the others notice its silence (heartbeat, grace)
#   and run its configurations again, and the budget is met exactly; with retries = 0
#   its trials count as failed instead;
# - PostgreSQL restarted in mid-study: the workers reconnect and finish;
# - on PostgreSQL, test_db passes and a table study writes the trials.csv it writes on
#   SQLite; an unreachable database or an unknown user is bad input (exit 2).
set -u
. tests/lib.sh
. tests/pg.sh
tmp=tests/tmp/workers
rm -rf "$tmp" && mkdir -p "$tmp"
rm -f tests/study/tmp-workers-*.ini

# sweep BASE NAME STORAGE: tests/study/tmp-workers-NAME.ini, BASE with that study name,
# storage and output (beside the studies, for their relative paths; .gitignore'd).
sweep() {
  local f=tests/study/tmp-workers-$2.ini
  awk -v name="$2" -v storage="$3" '
    /^\[study\]/ { print; print "storage = " storage; print "output  = ../tmp/workers/" name; next }
    /^(name|output|storage) *=/ { if ($1 == "name") print "name = " name; next }
    { print }' "$1" > "$f"
  echo "$f"
}
# The many-workers study: 200 quick trials of the fake darknet (a few milliseconds
# each, so that four workers share them), no pruner (whose decisions depend on which
# trials finished first).
sed -e 's/^trials .*/trials    = 200/' -e 's|^command .*|command      = ../fake/darknet_by_lr.sh train {data} {cfg}|' \
    tests/study/workers.ini > tests/study/tmp-workers-base.ini

# q ENGINE STORAGE SQL: one value from the store.
q() {
  if [ "$1" = sqlite ]; then sqlite3 "$2" "$3"; else "$PG_BIN/psql" -q -tA "$2" -c "$3"; fi
}

# many ENGINE STORAGE: 4 workers (one of them `run`, which writes the outputs) on 200 trials.
many() {
  local engine=$1 storage=$2 name=many-$1 f pids=() rc
  f=$(sweep tests/study/tmp-workers-base.ini "$name" "$storage")
  for w in 1 2 3; do "$DARKTUNE" worker "$f" > "$tmp/$name-w$w.log" 2>&1 & pids+=($!); done
  "$DARKTUNE" run "$f" > "$tmp/$name-run.log" 2>&1 & pids+=($!)
  rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=$?; done
  check_eq "$engine: 4 workers exit 0" "$rc" 0
  local csv=$tmp/$name/trials.csv db=$storage id
  [ "$engine" = sqlite ] && db=$tmp/$name/study.db
  [ "$engine" = sqlite ] || db=$storage
  id=$(q "$engine" "$db" "select id from study where name = '$name'")
  check_eq "$engine: 200 trials, numbered 0..199 once each" \
    "$(q "$engine" "$db" "select count(*) || ' ' || count(distinct number) || ' ' || min(number) || ' ' || max(number) from trial where study = $id")" \
    "200 200 0 199"
  check_eq "$engine: the budget is exact (200 trials count)" \
    "$(q "$engine" "$db" "select count(*) from trial where study = $id and fate = 'counts' and state != 'RUNNING'")" 200
  check_eq "$engine: no configuration run again twice" \
    "$(q "$engine" "$db" "select count(*) from (select rerun_of from trial where study = $id and rerun_of is not null group by rerun_of having count(*) > 1) x")" 0
  check_eq "$engine: every worker ran trials" "$(q "$engine" "$db" "select count(distinct worker) from trial where study = $id")" 4
  check_eq "$engine: the same best as one worker" "$(grep '^best ' "$tmp/$name/report.txt" | sed 's/trial [0-9]*/trial/')" \
    "$(grep '^best ' "$tmp/one/report.txt" | sed 's/trial [0-9]*/trial/')"
  check_eq "$engine: trials.csv has every trial" "$(tail -n +2 "$csv" | wc -l)" 200
  ! grep -q "database is locked" "$tmp/$name"-*.log
  check "$engine: no 'database is locked'" test $? -eq 0
}

# kill_running ENGINE DB PID: SIGKILL to worker PID once it runs a trial (its name in
# the store is host:PID:start), at most 10 s from now.
kill_running() {
  local i
  for i in $(seq 100); do
    [ "$(q "$1" "$2" "select count(*) from trial where state = 'RUNNING' and worker like '%:$3:%'" 2>/dev/null)" \
      -gt 0 ] 2>/dev/null && break
    sleep 0.1
  done
  kill -9 "$3"; wait "$3" 2>/dev/null
}

# lost ENGINE STORAGE: 3 workers on 16 slow trials; one is killed with SIGKILL.
lost() {
  local engine=$1 storage=$2 name=lost-$1 f db id
  f=$(sweep tests/study/workers.ini "$name" "$storage")
  "$DARKTUNE" run "$f" > "$tmp/$name-run.log" 2>&1 & local a=$!
  "$DARKTUNE" worker "$f" > "$tmp/$name-w1.log" 2>&1 & local b=$!
  "$DARKTUNE" worker "$f" > "$tmp/$name-w2.log" 2>&1 & local c=$!
  db=$storage
  [ "$engine" = sqlite ] && db=$tmp/$name/study.db
  sleep 1.5   # past its first trials: it is killed in the middle of the study
  kill_running "$engine" "$db" "$b"
  wait "$a"; local ra=$?
  wait "$c"; local rc=$?
  check_eq "$engine: the workers left exit 0 after one was killed" "$ra $rc" "0 0"
  db=$storage
  [ "$engine" = sqlite ] && db=$tmp/$name/study.db
  id=$(q "$engine" "$db" "select id from study where name = '$name'")
  check_eq "$engine: the budget is exact" \
    "$(q "$engine" "$db" "select count(*) from trial where study = $id and fate = 'counts' and state != 'RUNNING'")" 16
  local gone
  gone=$(q "$engine" "$db" "select count(*) from trial where study = $id and fate = 'lost'")
  check "$engine: the killed worker's trials were lost (${gone})" test "$gone" -ge 1
  check_eq "$engine: each ran again, once" \
    "$(q "$engine" "$db" "select count(*) from trial t where study = $id and fate = 'lost' and (select count(*) from trial r where r.study = t.study and r.rerun_of = t.number and r.fate = 'counts') != 1")" 0
  check_grep "$engine: the others said so" "of a worker that stopped beating: recorded as lost" \
    <(cat "$tmp/$name-run.log" "$tmp/$name-w2.log")
  check_eq "$engine: nothing left running" \
    "$(q "$engine" "$db" "select count(*) from trial where study = $id and state = 'RUNNING'")" 0
}

one=$(sweep tests/study/tmp-workers-base.ini one "../tmp/workers/one/study.db")
"$DARKTUNE" run "$one" > "$tmp/one.log" 2>&1
check_eq "one worker: exit status" "$?" 0
many sqlite "../tmp/workers/many-sqlite/study.db"
lost sqlite "../tmp/workers/lost-sqlite/study.db"
# retries = 0: a lost trial is not run again; it counts, as a failure that says so.
f=$(sweep tests/study/workers.ini noretry "../tmp/workers/noretry/study.db")
sed -i 's/^grace .*/grace     = 4s\nretries   = 0/' "$f"
"$DARKTUNE" run "$f" > "$tmp/noretry-run.log" 2>&1 & a=$!
"$DARKTUNE" worker "$f" > "$tmp/noretry-w.log" 2>&1 & b=$!
sleep 1.5
kill_running sqlite "$tmp/noretry/study.db" "$b"
wait "$a"
check_eq "retries = 0: the worker left exits 0" "$?" 0
db=$tmp/noretry/study.db
check "retries = 0: lost trials count as failed" \
  test "$(sqlite3 "$db" "select count(*) from trial where fate = 'counts' and reason like 'worker lost%no retry left'")" -ge 1
check_eq "retries = 0: none ran again" "$(sqlite3 "$db" "select count(*) from trial where rerun_of is not null")" 0
check_eq "retries = 0: the budget is exact" "$(sqlite3 "$db" "select count(*) from trial where fate = 'counts'")" 16

if [ -x "$PG_BIN/initdb" ]; then
  pg=$PWD/$tmp/pg
  port=$((56000 + RANDOM % 1000))
  if pg_start "$pg" "$port"; then
    # dt_db's own tests, on PostgreSQL; and a study on PostgreSQL writes the very
    # trials.csv it writes on SQLite (same sweep, same seed).
    DT_TEST_PG=$PG_URI build/tests/test_db > "$tmp/test_db.log" 2>&1
    check_eq "postgres: test_db passes" "$?" 0
    check_grep "postgres: test_db ran its PostgreSQL part" "^db: (6[0-9]|[7-9][0-9]) passed, 0 failed" "$tmp/test_db.log"
    f=$(sweep tests/study/table.ini table-pg "$PG_URI")
    "$DARKTUNE" run "$f" > "$tmp/table-pg.log" 2>&1
    check_eq "postgres: the table study: exit status" "$?" 0
    check "postgres: the table study writes SQLite's trials.csv" cmp tests/golden/study-v1/table.csv "$tmp/table-pg/trials.csv"
    # Brought back to schema version 5 (no diverged column: the reason the only record of
    # a divergence), the store is migrated when it is opened, the divergences kept.
    id=$(q postgres "$PG_URI" "select id from study where name = 'table-pg'")
    div="select number from trial where study = $id and diverged = 1 order by number"
    want=$(q postgres "$PG_URI" "$div" | tr '\n' ' ')
    check "postgres: the table study has diverged trials" test -n "$want"
    q postgres "$PG_URI" "alter table trial drop column diverged; update darktune_meta set value = '5' where key = 'version'"
    "$DARKTUNE" status "$f" > "$tmp/migrate-pg.log" 2>&1
    check_eq "postgres: status on a version 5 store: exit status" "$?" 0
    check_eq "postgres: the store migrated to version 6" \
      "$(q postgres "$PG_URI" "select value from darktune_meta where key = 'version'")" 6
    check_eq "postgres: the divergences read back from the reasons" "$(q postgres "$PG_URI" "$div" | tr '\n' ' ')" "$want"
    many postgres "$PG_URI"
    lost postgres "$PG_URI"
    # A restart of the database in mid-study: the workers reconnect and finish.
    f=$(sweep tests/study/workers.ini restart "$PG_URI")
    "$DARKTUNE" run "$f" > "$tmp/restart-run.log" 2>&1 & a=$!
    "$DARKTUNE" worker "$f" > "$tmp/restart-w.log" 2>&1 & b=$!
    sleep 2
    pg_restart "$pg"
    wait "$a"; ra=$?
    wait "$b"; rb=$?
    check_eq "postgres: both workers finish across a restart" "$ra $rb" "0 0"
    id=$(q postgres "$PG_URI" "select id from study where name = 'restart'")
    check_eq "postgres: the budget is exact across the restart" \
      "$(q postgres "$PG_URI" "select count(*) from trial where study = $id and fate = 'counts' and state != 'RUNNING'")" 16
    # Bad input, refused with exit 2 before anything runs: a database nobody listens
    # at (its host and port named), a user the server does not know.
    for bad in "postgresql://darktune@127.0.0.1:1/darktune|127.0.0.1.*port 1" \
               "postgresql://nobody@127.0.0.1:$port/darktune|role \"nobody\" does not exist"; do
      f=$(sweep tests/study/workers.ini unreachable "${bad%%|*}")
      "$DARKTUNE" run "$f" > /dev/null 2> "$tmp/bad.err"
      check_eq "postgres: ${bad%%|*}: exit status" "$?" 2
      check_grep "postgres: ${bad%%|*}: message" "cannot connect to .*${bad#*|}" "$tmp/bad.err"
      check "postgres: ${bad%%|*}: no output folder" test ! -e "$tmp/unreachable"
    done
    pg_stop "$pg"
  else
    bad "postgres: the throwaway cluster did not start (see $pg/server.log)"
  fi
else
  skip "no PostgreSQL server (apt-get install postgresql; make deps does): the PostgreSQL workers are not tested"
fi
rm -f tests/study/tmp-workers-*.ini
finish t_workers
