#!/usr/bin/env bash
# make bench-e2e: darktune against what a Darknet user would write today, end to end,
# side by side in one run. The peer (bench/e2e_peer.py) is the latest Optuna, TPE and
# MedianPruner (pruning on the training loss) driving the Debian `darknet classifier
# train` by subprocess; darktune runs bench/e2e.ini (TPE, its pruner, in-process).
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
# Run from the repository root after `make all data`; about 30 minutes on 2 cores.
set -eu
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-"1 2 3 4 5"} TRIALS=${TRIALS:-30} ITERS=${ITERS:-300}
# INI: darktune's sweep (other settings to compare); SIDES: "darktune" alone reuses the
# peer's rows of an earlier run for the table.
INI=${INI:-bench/e2e.ini} SIDES=${SIDES:-"optuna darktune"}
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
# (t: seconds from the study's launch to the trial's finish; value empty unless COMPLETE).
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
  ./darktune run "$dir/sweep.ini" --output "$dir" > "$dir/run.log" 2>&1 || { echo "darktune failed (seed $1):" >&2; tail "$dir/run.log" >&2; exit 1; }
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

# The medians over seeds; a side that never reached the target in a seed counts as
# infinite. With an even number of seeds the median is the middle value on the cautious
# side: the lower of the two bests (more than half the seeds reached it), the later of
# the two times (more than half the seeds had reached the target by then).
awk -v n="$(wc -w <<<"$SEEDS")" '
  function median(list, upper,   m, i, j, t, a) {
    m = split(list, a, " ")
    for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return a[m % 2 ? (m + 1) / 2 : m / 2 + (upper ? 1 : 0)] + 0
  }
  # Over the seeds, the median time at which SIDE first finished a trial scoring at least
  # TARGET (1e30, infinite, in a seed where it never did).
  function reach(side, target,   r, s, a, first, l) {
    for (r in v) { split(key[r], a, " ")
      if (a[2] == side && v[r] >= target - 1e-6 && (!(a[1] in first) || t[r] < first[a[1]])) first[a[1]] = t[r] }
    for (s in seeds) l = l " " (s in first ? first[s] : 1e30)
    return median(l, 1)
  }
  # Over the seeds, the median best score SIDE had finished by time T (0 before any).
  function best_by(side, T,   r, s, b, l) {
    for (s in seeds) { b = 0; for (r in v) if (key[r] == s " " side && t[r] <= T && v[r] > b) b = v[r]; l = l " " b }
    return median(l, 0)
  }
  { seeds[$1] = 1; wall[$1 " " $2] = $3
    if ($6 == "COMPLETE") { if ($7 > best[$1 " " $2]) best[$1 " " $2] = $7; v[NR] = $7; t[NR] = $8; key[NR] = $1 " " $2 } }
  END {
    for (s in seeds) { bo = bo " " best[s " optuna"] + 0; bd = bd " " best[s " darktune"] + 0 }
    mo = median(bo, 0); md = median(bd, 0)
    printf "\nmedian over %d seed%s: best top-1 darktune %.4f, Optuna %.4f (%+.1f points)\n", n, n == 1 ? "" : "s", md, mo, 100 * (md - mo)
    to = reach("optuna", mo); td = reach("darktune", mo)
    printf "median wall time to reach Optuna'"'"'s median best %.4f: darktune %s, Optuna %s", mo,
           td < 1e29 ? sprintf("%.0f s", td) : "never", to < 1e29 ? sprintf("%.0f s", to) : "never"
    if (td < 1e29 && to < 1e29) printf ": darktune / Optuna = %.2fx (goal: at most 0.5x)\n", td / to; else printf "\n"
    # How rare the target is, and how few trials can finish by half the time the peer took:
    # what decides whether any side can reach it in that time.
    for (r in v) { split(key[r], a, " "); done[a[2]]++; hit[a[2]] += v[r] >= mo - 1e-6
                   if (to < 1e29 && t[r] <= to / 2) { early[a[2]]++; ehit[a[2]] += v[r] >= mo - 1e-6 } }
    printf "complete trials scoring at least %.4f: Optuna %d of %d, darktune %d of %d", mo,
           hit["optuna"], done["optuna"], hit["darktune"], done["darktune"]
    if (to < 1e29) printf "; finished by %.0f s (half Optuna'"'"'s time): Optuna %.1f per seed (%d at least %.4f), darktune %.1f (%d)",
                          to / 2, early["optuna"] / n, ehit["optuna"], mo, early["darktune"] / n, ehit["darktune"]
    printf "\n"
    # Measures the rare target cannot blur: the time to a score that half of all the
    # complete trials of the peer reached (their median), and the best so far of each
    # side at fractions of the median wall time of the peer (0 before a first result).
    for (r in v) { split(key[r], a, " "); if (a[2] == "optuna") all = all " " v[r] }
    mc = median(all, 0); to2 = reach("optuna", mc); td2 = reach("darktune", mc)
    printf "median wall time to reach %.4f, the median of Optuna'"'"'s complete trials: darktune %s, Optuna %s", mc,
           td2 < 1e29 ? sprintf("%.0f s", td2) : "never", to2 < 1e29 ? sprintf("%.0f s", to2) : "never"
    if (td2 < 1e29 && to2 < 1e29) printf " (%.2fx)", td2 / to2
    printf "\n"
    for (s in seeds) if ((s " optuna") in wall) wo = wo " " wall[s " optuna"]
    W = median(wo, 0)
    printf "median best so far at a quarter, half, three quarters and all of Optuna'"'"'s median wall time (%.0f s):", W
    for (f = 1; f <= 4; f++)
      printf "%s %.4f / %.4f", (f > 1 ? "," : ""), best_by("darktune", W * f / 4), best_by("optuna", W * f / 4)
    printf " (darktune / Optuna)\n"
  }' "$out/rows"

# What the chosen cfgs are worth beyond the validation that chose them.
SEEDS="$SEEDS" ITERS="$ITERS" bash bench/e2e_heldout.sh
