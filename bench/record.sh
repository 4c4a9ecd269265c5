#!/usr/bin/env bash
# make bench-record: records bench/fashion.table, the table of real Darknet runs that
# `runner = table` replays and the sampler benchmark's "darknet-table" problem reads
# (format: darknet/dt_table.h).
#
#   bench/record.sh                      run the grid study of bench/record.ini (every
#                                        configuration, ~10 minutes of both cores), then export
#   bench/record.sh export STORE TABLE   export only: the study's trials in STORE into TABLE
#
# Exported: every COMPLETE trial, and every trial PRUNED as diverged with its curve up
# to the nan/inf (so that a replay shows the divergence to the replaying pruner) and
# a final top-1 of CHANCE (0.1: chance on Fashion-MNIST's 10 classes, which is what
# Darknet reports for a net whose outputs are nan). Other trials (failed,
# interrupted) are left out with a note. The study's name, iterations and evaluation
# interval are read from bench/record.ini; each parameter's kind (log, linear,
# categorical) is declared in KINDS. STUDY, ITERATIONS, EVAL_INTERVAL, KINDS and
# CHANCE can be set in the environment (tests/t_table.sh exports a fake store).
set -eu
cd "$(dirname "$0")/.."
ini=bench/record.ini
# The value of KEY in record.ini (first occurrence, comment and blanks stripped).
ini_get() {
  awk -v k="$1" '{ line = $0; sub(/[;#].*/, "", line) }
    line ~ "^[ \t]*" k "[ \t]*=" { sub(/^[^=]*=/, "", line); gsub(/^[ \t]+|[ \t]+$/, "", line); print line; exit }' "$ini"
}
STUDY=${STUDY:-$(ini_get name)}
ITERATIONS=${ITERATIONS:-$(ini_get max_batches)}
EVAL_INTERVAL=${EVAL_INTERVAL:-$(ini_get eval_interval)}
KINDS=${KINDS:-"learning_rate:log momentum:linear decay:log batch:categorical policy:categorical"}
CHANCE=${CHANCE:-0.1}

# export_table STORE TABLE: writes TABLE (through a temporary file: never half a table).
export_table() {
  local db=$1 out=$2 sid names cols="" kinds="" n=0 p name
  command -v sqlite3 > /dev/null || { echo "record.sh: the sqlite3 program is missing (apt-get install sqlite3)" >&2; return 1; }
  [ -f "$db" ] || { echo "record.sh: no store '$db'" >&2; return 1; }
  sid=$(sqlite3 "$db" "SELECT id FROM study WHERE name = '$STUDY'")
  [ -n "$sid" ] || { echo "record.sh: no study '$STUDY' in $db" >&2; return 1; }
  names=$(sqlite3 "$db" "SELECT DISTINCT name FROM param WHERE study = $sid ORDER BY name")
  for name in $names; do
    case " $KINDS " in *" $name:"*) ;; *) echo "record.sh: parameter '$name' has no kind in KINDS ($KINDS)" >&2; return 1 ;; esac
  done
  for p in $KINDS; do
    name=${p%%:*}
    cols="$cols, (SELECT text FROM param p WHERE p.study = t.study AND p.number = t.number AND p.name = '$name')"
    n=$((n + 1))
  done
  # Trials: number, state, final value, then the parameters' texts in KINDS order.
  sqlite3 -separator ' ' -nullvalue '?' "$db" \
    "SELECT t.number, t.state, printf('%.4g', t.value) $cols FROM trial t WHERE t.study = $sid
       AND (t.state = 'COMPLETE' OR (t.state = 'PRUNED' AND t.reason LIKE 'diverged%'))
     ORDER BY t.number" > "$out.trials"
  # Points: number, kind (0 loss, 1 top-1), step, value as the table writes it (SQLite
  # stores a NaN as NULL).
  sqlite3 -separator ' ' "$db" \
    "SELECT number, kind, step, CASE WHEN value IS NULL THEN 'nan' WHEN value > 1.7e308 THEN 'inf'
       WHEN value < -1.7e308 THEN '-inf' ELSE printf('%.4g', value) END
     FROM point WHERE study = $sid ORDER BY number, kind, step" > "$out.points"
  local left
  left=$(sqlite3 "$db" "SELECT count(*) FROM trial WHERE study = $sid AND NOT (state = 'COMPLETE'
                         OR (state = 'PRUNED' AND reason LIKE 'diverged%'))")
  [ "$left" = 0 ] || echo "record.sh: $left trial(s) neither complete nor diverged: left out" >&2
  {
    echo "# Real Darknet runs recorded by bench/record.sh from study '$STUDY' (bench/record.ini)."
    echo "# Format: darknet/dt_table.h. Diverged rows stop at their nan/inf; final top-1 $CHANCE (chance)."
    echo "darktune-table 1"
    echo "params $KINDS"
    echo "iterations $ITERATIONS"
    echo "eval_interval $EVAL_INTERVAL"
    awk -v np="$n" -v iters="$ITERATIONS" -v ev="$EVAL_INTERVAL" -v chance="$CHANCE" '
      NR == FNR {   # points: curves by trial, checking that steps run 1, 2, ... and ev, 2 ev, ...
        k = $1 " " $2; cnt[k]++
        want = $2 == 0 ? cnt[k] : cnt[k] * ev
        if ($3 != want) bad[$1] = sprintf("%s step %s where %s was expected", $2 ? "top-1" : "loss", $3, want)
        curve[k] = (cnt[k] > 1 ? curve[k] "," : "") $4; last[k] = $4
        next
      }
      {
        num = $1; state = $2; l = num " 0"; m = num " 1"
        if (num in bad) { printf "record.sh: trial %s left out: %s\n", num, bad[num] > "/dev/stderr"; next }
        if (!(l in cnt)) { printf "record.sh: trial %s left out: no loss recorded\n", num > "/dev/stderr"; next }
        for (i = 4; i < 4 + np; i++) if ($i == "?") { printf "record.sh: trial %s left out: a parameter has no value\n", num > "/dev/stderr"; next }
        finite = last[l] != "nan" && last[l] != "inf" && last[l] != "-inf"
        if (state == "COMPLETE" && cnt[l] != iters) { printf "record.sh: trial %s left out: %d iterations of %d\n", num, cnt[l], iters > "/dev/stderr"; next }
        if (state != "COMPLETE" && finite) { printf "record.sh: trial %s left out: diverged with a finite last loss\n", num > "/dev/stderr"; next }
        row = "row"
        for (i = 4; i < 4 + np; i++) row = row " " $i
        printf "%s | %s | %s | %s\n", row, curve[l], (m in curve) ? curve[m] : "", state == "COMPLETE" ? $3 : chance
      }' "$out.points" "$out.trials"
  } > "$out.tmp"
  rm -f "$out.trials" "$out.points"
  mv "$out.tmp" "$out"
  echo "record.sh: $(grep -c '^row' "$out") rows written to $out"
}

if [ "${1:-}" = export ]; then
  [ $# -eq 3 ] || { echo "usage: bench/record.sh export STORE TABLE" >&2; exit 2; }
  export_table "$2" "$3"
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: bench/record.sh | bench/record.sh export STORE TABLE" >&2; exit 2; }
out=bench/out/record
# A fresh recording: an old store would resume (and keep) an older study.
rm -rf "$out"
start=$(date +%s)
./darktune run "$ini" --output "$out"
echo "record.sh: recorded in $(( $(date +%s) - start )) s, $(nproc) cores"
export_table "$out/study.db" bench/fashion.table
