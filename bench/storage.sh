#!/usr/bin/env bash
# make bench-storage, in two parts, side by side in one run:
# 1. what the store costs per trial (claim with 2 parameters, 100 intermediate values,
#    finish): darktune's store (bench/store_bench.c) beside Optuna's RDB storage
#    (bench/store_peer.py: ask, 100 reports, tell) on the same databases: a SQLite file
#    and a throwaway PostgreSQL cluster on loopback (tests/pg.sh). REPS rounds (5), the
#    two sides alternating, TRIALS trials each (100); medians.
# 2. trials per second with 1, 2, 4 and 8 workers on one study (SQLite, one slot each),
#    every trial taking SLOW seconds (1: tests/fake/train_slow.sh), TRIALS2 trials
#    (64); the ratio to one worker (8 workers: at most 8x). The wall time counts from
#    starting the workers to the last one's exit: start-up and the end included.
# The latest Optuna and psycopg2 go into bench/.venv (pip) when missing.
set -eu
cd "$(dirname "$0")/.."
. tests/pg.sh
reps=${REPS:-5} trials=${TRIALS:-100} trials2=${TRIALS2:-64}
out=bench/out/storage
rm -rf "$out" && mkdir -p "$out"
py=bench/.venv/bin/python
if ! "$py" -c 'import optuna, psycopg2' 2> /dev/null; then
  [ -x "$py" ] || python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q --upgrade optuna psycopg2-binary
fi
pg_start "$PWD/$out/pg" $((57000 + RANDOM % 1000)) > /dev/null
trap 'pg_stop "$PWD/$out/pg"' EXIT
pg_peer=${PG_URI/postgresql:/postgresql+psycopg2:}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "store cost per trial (claim + 100 values + finish), $trials trials x $reps rounds, medians"
printf '%-11s %14s %14s %8s\n' database "darktune ms" "Optuna ms" ratio
for db in sqlite postgresql; do
  : > "$out/dt.$db"; : > "$out/op.$db"
  for r in $(seq "$reps"); do
    dt() {
      if [ $db = sqlite ]; then rm -f "$out/dt.db"*; build/bench/store_bench "$out/dt.db" "$trials"
      else build/bench/store_bench "$PG_URI" "$trials"; fi >> "$out/dt.$db"; }
    op() {
      if [ $db = sqlite ]; then rm -f "$out/op.db"; "$py" bench/store_peer.py "sqlite:///$out/op.db" "$trials"
      else "$py" bench/store_peer.py "$pg_peer" "$trials"; fi >> "$out/op.$db"; }
    if [ $((r % 2)) = 1 ]; then dt; op; else op; dt; fi
  done
  a=$(median < "$out/dt.$db"); b=$(median < "$out/op.$db")
  printf '%-11s %14.3f %14.3f %7.0fx\n' "$db" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b / a }')"
done

echo
echo "workers on one study (SQLite): $trials2 trials of ${SLOW:-1} s, one slot per worker"
printf '%-8s %10s %12s %10s\n' workers seconds trials/s "vs one"
export SLOW=${SLOW:-1}
base=
for w in 1 2 4 8; do
  f=tests/study/tmp-bench-w$w.ini
  sed -e "s/^name .*/name      = bench-w$w/" -e "s/^trials .*/trials    = $trials2/" -e 's/^cpu_slots .*/cpu_slots    = 1/' \
      -e "/^\[study\]/a output    = ../../$out/w$w" tests/study/workers.ini > "$f"
  start=$(date +%s%N)
  for i in $(seq "$w"); do ./darktune worker "$f" > "$out/w$w-$i.log" 2>&1 & done
  wait
  secs=$(awk -v t="$(( $(date +%s%N) - start ))" 'BEGIN { printf "%.2f", t / 1e9 }')
  rm -f "$f"
  done_=$(sqlite3 "$out/w$w/study.db" "select count(*) from trial where fate = 'counts' and state != 'RUNNING'")
  [ "$done_" = "$trials2" ] || { echo "w$w: $done_ trials, not $trials2" >&2; exit 1; }
  rate=$(awk -v n="$trials2" -v s="$secs" 'BEGIN { printf "%.2f", n / s }')
  [ -n "$base" ] || base=$rate
  printf '%-8s %10s %12s %9.1fx\n' "$w" "$secs" "$rate" "$(awk -v r="$rate" -v b="$base" 'BEGIN { print r / b }')"
done
