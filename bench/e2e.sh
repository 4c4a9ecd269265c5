#!/usr/bin/env bash
# make bench-e2e: darktune against what a Darknet user would write today, end to end,
# side by side in one run. The peer (bench/e2e_peer.py) is the latest Optuna, TPE and
# MedianPruner (pruning on the training loss) driving the Debian `darknet classifier
# train` by subprocess; darktune runs bench/e2e.ini (TPE, median on the loss,
# in-process, with ./darktune-native: Darknet built for this CPU).
# Both: the same space (learning_rate, momentum, decay), TRIALS (30) trials of ITERS
# (300) iterations of cfg/fashion.cfg on the first 10,000 training images, two at a
# time, top-1 on the first 2,000 validation images as the objective.
# For each seed of SEEDS (a list, "1 2 3 4 5"), both studies run one after the other,
# the order alternating (odd seeds: Optuna first). Prints per seed and side the wall
# time, the best top-1, when each side first reached the peer's final best, the
# trials' fates, the iterations trained and Darknet's own ms per iteration; then the
# medians over seeds: the best top-1 of each side, and the wall time each needed to
# reach the peer's median best (a seed that never reaches it counts as infinite); then
# two measures that do not hang on a score few trials reach: the time to the median
# score of the peer's complete trials, and each side's best so far at a quarter, half,
# three quarters and all of the peer's median wall time.
# Times are from each study's launch (process start, imports and image decoding
# included) to the finish of the trial that reached the value. Last, each side's chosen
# cfg is trained again and scored on held-out images (bench/e2e_heldout.sh).
# Run from the repository root after `make all data`; about 25 minutes on 2 cores.
set -eu
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-"1 2 3 4 5"} TRIALS=${TRIALS:-30} ITERS=${ITERS:-300}
# INI: darktune's sweep (other settings to compare); SIDES: "darktune" alone reuses the
# peer's rows of an earlier run for the table.
INI=${INI:-bench/e2e.ini} SIDES=${SIDES:-"optuna darktune"}
# DARKTUNE: the darktune that runs it; ./darktune-native (make native: Darknet built for
# this CPU) unless told ./darktune, which trains with the Debian libdarknet as the peer does.
DARKTUNE=${DARKTUNE:-./darktune-native}
root=$PWD out=$PWD/bench/out/e2e
[ -e data/fashion/.complete ] || { echo "bench-e2e: data/fashion is not ready: run make data" >&2; exit 1; }
mkdir -p "$out"
py=bench/.venv/bin/python
if ! "$py" -c 'import optuna' 2>/dev/null; then
  python3 -m venv bench/.venv && bench/.venv/bin/pip install -q --upgrade optuna ||
    { py=python3; python3 -c 'import optuna' 2>/dev/null || apt-get install -y -qq python3-optuna >/dev/null; }
fi

# The shared data: 10,000 training and 2,000 validation images, absolute paths.
head -n 10000 data/fashion/train.list > "$out/train-10k.list"
head -n 2000 data/fashion/valid.list > "$out/valid-2k.list"
printf 'classes=10\ntrain=%s\nvalid=%s\nlabels=%s\ntop=5\nbackup=%s\n' "$out/train-10k.list" \
    "$out/valid-2k.list" "$root/data/fashion/labels.txt" "$out/backup" > "$out/e2e.data"

now() { date +%s.%N; }
# Darknet's own ms per iteration over the logs given: "Loaded: S seconds" plus the
# iteration line's "S seconds", the median over every iteration of every trial.
iter_ms() {
  awk '/^Loaded: / { l = $2 } / rate, [0-9.]+ seconds, / { for (i = 1; i <= NF; i++) if ($i == "seconds,") s = $(i - 1);
       print 1000 * (l + s); l = 0 }' "$@" /dev/null |
    sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Each run appends its trials to $out/rows: seed side wall ms_per_iteration number state value t iterations
# (t: seconds from the study's launch to the trial's finish; value "-" unless COMPLETE).
run_peer() {  # SEED
  local dir=$out/$1/optuna t0 t1
  rm -rf "$dir" && mkdir -p "$dir"
  t0=$(now)
  "$py" bench/e2e_peer.py "$1" "$dir" --data "$out/e2e.data" --cfg cfg/fashion.cfg --trials "$TRIALS" \
      --iters "$ITERS" --jobs 2 > "$dir/run.log" 2>&1 || { echo "optuna peer failed (seed $1):" >&2; tail "$dir/run.log" >&2; exit 1; }
  t1=$(now)
  awk -F, -v s="$1" -v t0="$t0" -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
      -v ms="$(iter_ms "$dir"/trials/*/train.log)" \
      'NR > 1 { printf "%s optuna %s %s %s %s %s %s %s\n", s, w, ms, $1, $2, $2 == "COMPLETE" ? $3 : "-", $7 - t0, $5 }' \
      "$dir/peer.csv" >> "$out/rows"
}
run_darktune() {  # SEED
  local dir=$out/$1/darktune t0 t1
  rm -rf "$dir" && mkdir -p "$dir"
  # bench/e2e.ini with its paths made absolute, and this run's seed, trials and iterations.
  awk -v root="$root" -v seed="$1" -v trials="$TRIALS" -v iters="$ITERS" '
    { sub(/= \.\.\//, "= " root "/") }
    /^seed[ \t]*=/ { $0 = "seed = " seed }
    /^trials[ \t]*=/ { $0 = "trials = " trials }
    /^max_batches[ \t]*=/ { $0 = "max_batches = " iters }
    { print }' "$INI" > "$dir/sweep.ini"
  t0=$(now)
  "$DARKTUNE" run "$dir/sweep.ini" --output "$dir" > "$dir/run.log" 2>&1 || { echo "darktune failed (seed $1):" >&2; tail "$dir/run.log" >&2; exit 1; }
  t1=$(now)
  sqlite3 -separator ' ' "$dir/study.db" "SELECT number, state, CASE WHEN state = 'COMPLETE' THEN value ELSE '-' END,
      finished, iterations FROM trial ORDER BY number" |
    awk -v s="$1" -v t0="$t0" -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
        -v ms="$(iter_ms "$dir"/trials/*/log.txt)" \
        '{ printf "%s darktune %s %s %s %s %s %s %s\n", s, w, ms, $1, $2, $3, $4 - t0, $5 }' >> "$out/rows"
}

# Keep the peer's rows of the seeds run when only darktune runs again.
if [ "$SIDES" = darktune ]; then touch "$out/rows"; awk '$2 == "optuna"' "$out/rows" > "$out/rows.new"; mv "$out/rows.new" "$out/rows"
else : > "$out/rows"; fi
echo "Optuna $("$py" -c 'import optuna; print(optuna.__version__)'), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg);" \
     "$TRIALS trials x $ITERS iterations, 2 at a time, 10k train / 2k valid images, seeds: $SEEDS"
echo "darktune: $DARKTUNE, $("$DARKTUNE" --version | sed 's/.*libdarknet with the //; s/, table)$//')"
echo "reach s: when the side first reached the Optuna study's final best of that seed (from the study's launch)"
printf '%4s %-9s %7s %9s %8s %8s %6s %6s %10s %6s\n' seed side "wall s" "best top1" "reach s" complete pruned failed iterations ms/it
# per seed: each side's row; "reach s": when the side first reached the peer's final best of that seed
table() {  # SEED
  awk -v s="$1" '
    $1 != s { next }
    { w[$2] = $3; ms[$2] = $4; n[$2 " " $6]++; it[$2] += $9
      if ($6 == "COMPLETE") { v[$2 " " NR] = $7; t[$2 " " NR] = $8; if ($7 > best[$2]) best[$2] = $7 } }
    END {
      for (k in v) { split(k, a, " ")
        if (("optuna" in best) && v[k] >= best["optuna"] - 1e-6 && (!((a[1]) in reach) || t[k] < reach[a[1]])) reach[a[1]] = t[k] }
      split("optuna darktune", sides, " ")
      for (i = 1; i <= 2; i++) { d = sides[i]
        printf "%4d %-9s %7.0f %9.4f %8s %8d %6d %6d %10d %6.1f\n", s, d, w[d], best[d],
               d in reach ? sprintf("%.0f", reach[d]) : "-", n[d " COMPLETE"], n[d " PRUNED"], n[d " FAIL"], it[d], ms[d] }
    }' "$out/rows"
}
for s in $SEEDS; do
  if [ "$SIDES" = darktune ]; then run_darktune "$s"
  elif (( s % 2 )); then run_peer "$s"; run_darktune "$s"; else run_darktune "$s"; run_peer "$s"; fi
  table "$s"
done

# The medians over seeds and the measures of pace (bench/e2e_summary.awk says how).
awk -v n="$(wc -w <<<"$SEEDS")" -f bench/e2e_summary.awk "$out/rows"

# What the chosen cfgs are worth beyond the validation that chose them.
SEEDS="$SEEDS" ITERS="$ITERS" bash bench/e2e_heldout.sh
