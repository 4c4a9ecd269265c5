#!/usr/bin/env bash
# make bench-pareto: darktune's TPE with several objectives (MOTPE) beside Optuna's
# TPESampler, in one run, on the problems of bench/problems.h (bench/optuna_pareto.py
# writes them again): ZDT1, ZDT2, ZDT3 (10 variables, reference point (1.1, 11)) and
# DTLZ2 (3 objectives, 12 variables, reference point (3.5, 3.5, 3.5)).
#  quality: over SEEDS (20) seeds, the median hypervolume after 50, 100 and TRIALS (200)
#           trials of each side's TPE with its defaults (with several objectives, both
#           model each variable apart), of each with multivariate kernels (-mv), and of
#           darktune's random sampler; then the rank-sum z of darktune's TPE against
#           Optuna's after TRIALS trials, defaults and -mv each (positive: darktune's
#           hypervolumes larger, better; |z| > 2: a difference beyond chance). Each seed
#           runs both sides, in alternating order; two seeds at a time (one per core).
#  speed:   ms per suggestion after SPEED_N (500) finished trials, per problem, each
#           side's default TPE, and the ratio Optuna / darktune; nothing else running. Optuna is timed over
#           SPEED_REPS (7) suggestions, darktune over 31, three times (before, between
#           and after Optuna's) and the median kept.
# Optuna (the latest) is installed into bench/.venv by pip when missing.
set -eu
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-20} TRIALS=${TRIALS:-200} SPEED_N=${SPEED_N:-500} SPEED_REPS=${SPEED_REPS:-7}
bin=build/bench/pareto_bench
out=bench/out/pareto
mkdir -p "$out"
rm -f "$out"/rows.*   # an earlier run's seeds would join this one's
py=bench/.venv/bin/python
if ! "$py" -c 'import optuna' 2>/dev/null; then
  python3 -m venv bench/.venv && bench/.venv/bin/pip install -q --upgrade optuna
fi
echo "Optuna $("$py" -c 'import optuna; print(optuna.__version__)'), $(nproc) cores," \
     "load $(cut -d' ' -f1 /proc/loadavg)," \
     "$(date -u '+%Y-%m-%d %H:%M UTC')"

# One seed, both sides; even seeds darktune first, odd seeds Optuna first.
one_seed() {
  local s=$1 f=$out/rows.$1
  : > "$f"
  darktune() { for smp in tpe tpe-mv random; do "$bin" quality "$smp" "$s" "$TRIALS" >> "$f"; done; }
  optuna() { for smp in tpe tpe-mv; do "$py" bench/optuna_pareto.py quality "$smp" "$s" "$TRIALS" >> "$f"; done; }
  if [ $((s % 2)) -eq 0 ]; then darktune; optuna; else optuna; darktune; fi
}
seeds_of() { local s; for ((s = $1; s < SEEDS; s += 2)); do one_seed "$s"; done; }
t0=$(date +%s)
seeds_of 0 & a=$!
seeds_of 1 & b=$!
wait "$a" "$b"
cat "$out"/rows.* > "$out/rows"
echo "quality: $SEEDS seeds in $(( $(date +%s) - t0 )) s"

echo
echo "quality: median hypervolume after 50 / 100 / $TRIALS trials over $SEEDS seeds (higher is better)"
awk -v T="$TRIALS" -f bench/stats.awk -f <(cat <<'EOF'
  { for (k = 4; k <= 6; k++) v[$1 " " $2 " " k] = v[$1 " " $2 " " k] " " $k
    if (!($1 in seen)) { seen[$1] = 1; probs[++np] = $1 } }
  END {
    split("darktune-tpe optuna-tpe darktune-tpe-mv optuna-tpe-mv darktune-random", order, " ")
    printf "%-7s", "problem"; for (i = 1; i <= 5; i++) printf " %26s", order[i]; printf "\n"
    for (q = 1; q <= np; q++) {
      p = probs[q]; printf "%-7s", p
      for (i = 1; i <= 5; i++)
        printf " %26s", sprintf("%.3f / %.3f / %.3f", median(v[p " " order[i] " 4"]), median(v[p " " order[i] " 5"]),
                                median(v[p " " order[i] " 6"]))
      printf "\n"
    }
    printf "\nrank-sum z of darktune against Optuna after %d trials (positive: darktune larger)\n", T
    printf "%-7s %12s %12s\n", "problem", "tpe", "tpe-mv"
    for (q = 1; q <= np; q++) {
      p = probs[q]
      printf "%-7s %+12.2f %+12.2f\n", p, ranksum_z(v[p " darktune-tpe 6"], v[p " optuna-tpe 6"]),
             ranksum_z(v[p " darktune-tpe-mv 6"], v[p " optuna-tpe-mv 6"])
    }
  }
EOF
) "$out/rows"

echo
echo "speed: ms per suggestion after $SPEED_N trials" \
     "(darktune: the median of three rounds, one before Optuna's, two after)"
: > "$out/speed"
dt_round() { local smp; for smp in tpe tpe-mv; do "$bin" speed "$smp" "$SPEED_N" >> "$out/speed"; done; }
dt_round
"$py" bench/optuna_pareto.py speed "$SPEED_N" "$SPEED_REPS" > "$out/speed.optuna"
dt_round
dt_round
awk -f bench/stats.awk -f <(cat <<'EOF'
  NR == FNR { o[$2] = $5; next }
  { d[$2 " " $3] = d[$2 " " $3] " " $5; if (!($2 in seen)) { seen[$2] = 1; probs[++np] = $2 } }
  END {
    printf "%-7s %14s %12s %8s %16s\n", "problem", "darktune-tpe", "optuna-tpe", "ratio", "(darktune-tpe-mv)"
    for (q = 1; q <= np; q++) {
      p = probs[q]; a = median(d[p " darktune-tpe"]); b = median(d[p " darktune-tpe-mv"])
      printf "%-7s %14.3f %12.1f %7.0fx %16.3f\n", p, a, o[p], o[p] / a, b
    }
  }
EOF
) "$out/speed.optuna" "$out/speed"
