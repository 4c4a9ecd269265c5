#!/usr/bin/env bash
# make bench-sampler: darktune's TPE and random samplers beside Optuna's, in one run.
#  speed:   ms per suggestion of 8 parameters after 100, 1,000 and 10,000 finished
#           trials, multivariate and univariate, and the ratio Optuna / darktune;
#  quality: median over the first HEAD (20) seeds of the best-so-far regret after 25,
#           50 and 100 trials on the functions of bench/problems.h (the same ones are
#           written in bench/optuna_bench.py), and on "darknet-table": real Darknet runs
#           replayed from bench/fashion.table (`make bench-record`; skipped when absent);
#           then, over all SEEDS (100) seeds, each problem's medians after 100 trials
#           and whether darktune's and Optuna's TPE differ beyond chance (rank-sum z).
# Optuna (the latest) is installed into bench/.venv by pip, or taken from Debian's
# python3-optuna where PyPI is out of reach.
set -eu
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-100} HEAD=${HEAD:-20} TRIALS=${TRIALS:-100}
bin=build/bench/sampler_bench
out=bench/out/sampler
mkdir -p "$out"
py=bench/.venv/bin/python
if ! "$py" -c 'import optuna' 2>/dev/null; then
  python3 -m venv bench/.venv && bench/.venv/bin/pip install -q --upgrade optuna ||
    { py=python3; python3 -c 'import optuna' 2>/dev/null || apt-get install -y -qq python3-optuna >/dev/null; }
fi
echo "Optuna $("$py" -c 'import optuna; print(optuna.__version__)'), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"

echo
echo "speed: ms per suggestion, 8 parameters (log, uniform, stepped int, log int, categorical)"
printf '%8s  %12s %12s %7s   %12s %12s %7s\n' trials "darktune mv" "optuna mv" ratio "darktune uni" "optuna uni" ratio
# darktune's timing takes milliseconds and Optuna's seconds: darktune is timed three
# times, before, between and after Optuna's, and the median kept, so that both sample
# the same spell of this shared machine (its speed drifts by a third over minutes).
med3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
dt() { "$bin" speed "$1" "$2" | awk '{ print $4 }'; }
for n in 100 1000 10000; do
  dm1=$(dt tpe "$n") du1=$(dt tpe-uni "$n")
  om=$("$py" bench/optuna_bench.py speed tpe "$n" | awk '{ print $4 }')
  dm2=$(dt tpe "$n") du2=$(dt tpe-uni "$n")
  ou=$("$py" bench/optuna_bench.py speed tpe-uni "$n" | awk '{ print $4 }')
  dm3=$(dt tpe "$n") du3=$(dt tpe-uni "$n")
  dm=$(med3 "$dm1" "$dm2" "$dm3") du=$(med3 "$du1" "$du2" "$du3")
  awk -v n="$n" -v dm="$dm" -v om="$om" -v du="$du" -v ou="$ou" \
    'BEGIN { printf "%8d  %12.3f %12.1f %6.0fx   %12.3f %12.1f %6.0fx\n", n, dm, om, om / dm, du, ou, ou / du }'
done

echo
echo "quality: median regret after 25 / 50 / $TRIALS trials over seeds 0-$((HEAD - 1)) (lower is better)"
: > "$out/rows"
for s in random tpe; do "$bin" quality "$s" "$SEEDS" "$TRIALS" | sed 's/^\([^ ]*\) /\1 darktune-/' >> "$out/rows"; done
for s in random tpe; do "$py" bench/optuna_bench.py quality "$s" "$SEEDS" "$TRIALS" >> "$out/rows"; done
# The first HEAD seeds make the table; all SEEDS seeds make the check beneath it: two
# samplers as close as these differ by chance on 20 seeds, so the rank-sum z over all
# seeds says whether a difference is real (|z| > 2: likely; negative: darktune lower;
# median and ranksum_z are bench/stats.awk's).
awk -v T="$TRIALS" -v H="$HEAD" -v S="$SEEDS" -f bench/stats.awk -f <(cat <<'EOF'
  {
    for (k = 4; k <= 6; k++) if ($3 < H) head[$1 " " $2 " " k] = head[$1 " " $2 " " k] " " $k
    all[$1 " " $2] = all[$1 " " $2] " " $6; probs[$1] = 1
  }
  END {
    split("darktune-random darktune-tpe optuna-random optuna-tpe", order, " ")
    printf "%-16s", "problem"; for (i = 1; i <= 4; i++) printf " %24s", order[i]; printf "\n"
    wins = 0; np = 0; sum = 0
    for (p in probs) {
      printf "%-16s", p
      for (i = 1; i <= 4; i++)
        printf " %24s", sprintf("%.3g / %.3g / %.3g", median(head[p " " order[i] " 4"]), median(head[p " " order[i] " 5"]),
                                median(head[p " " order[i] " 6"]))
      printf "\n"
      d = median(head[p " darktune-tpe 6"]); o = median(head[p " optuna-tpe 6"])
      np++; if (d <= o) wins++
      sum += (o > 0 ? log((d + 1e-12) / (o + 1e-12)) : 0)
    }
    printf "\ndarktune TPE no worse than Optuna TPE after %d trials on %d of %d problems; geometric mean regret ratio %.2f\n",
           T, wins, np, exp(sum / np)
    if (S > H) {
      printf "\nover all %d seeds, after %d trials: median regret, and the rank-sum z of darktune TPE against Optuna TPE\n", S, T
      printf "%-16s %14s %14s %8s\n", "problem", "darktune-tpe", "optuna-tpe", "z"
      for (p in probs)
        printf "%-16s %14.3g %14.3g %+8.2f\n", p, median(all[p " darktune-tpe"]), median(all[p " optuna-tpe"]),
               ranksum_z(all[p " darktune-tpe"], all[p " optuna-tpe"])
    }
  }
EOF
) "$out/rows"
