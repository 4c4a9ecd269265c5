#!/usr/bin/env bash
# make bench-prune: the same 30 random configurations of bench/prune.ini trained with
# the in-process Debian libdarknet, once without pruning and once with each pruner,
# side by side in one run. Prints total iterations trained (and the share of no
# pruning's), the best top-1 (and its distance to no pruning's), and wall time.
set -eu
cd "$(dirname "$0")/.."
out=bench/out/prune
mkdir -p "$out"
pruners=${PRUNERS:-"none median percentile asha hyperband patience"}
declare -A body=(
  [none]="type = none"
  [median]=$'type = median\nstartup_trials = 5\nwarmup = 50'
  [percentile]=$'type = percentile\npercentile = 25\nstartup_trials = 5\nwarmup = 50'
  [asha]=$'type = asha\nmin_resource = 25\nreduction_factor = 3'
  [hyperband]=$'type = hyperband\nmin_resource = 25\nreduction_factor = 3'
  [patience]=$'type = patience\npatience = 75\nwrap = none'
)
for p in $pruners; do
  dir=$out/$p
  rm -rf "$dir" && mkdir -p "$dir"
  # The same sweep with only [pruner] replaced; paths made absolute for its new folder.
  awk -v body="${body[$p]}" -v root="$PWD" '
    /^\[pruner\]/ { print; print body; skip = 1; next }
    /^\[/ { skip = 0 }
    skip { next }
    { sub(/= \.\.\//, "= " root "/"); print }' bench/prune.ini > "$dir/sweep.ini"
  start=$(date +%s%N)
  ./darktune run "$dir/sweep.ini" --output "$dir" > "$dir/run.log" 2>&1 || { tail "$dir/run.log"; exit 1; }
  secs=$(( ($(date +%s%N) - start) / 1000000000 ))
  awk -F, -v p="$p" -v t="$secs" '
    NR > 1 { it += $(NF - 1); if ($2 == "COMPLETE" && $3 > best) best = $3; n[$2]++ }
    END { printf "%s %d %.4f %.1f %d %d\n", p, it, best, t, n["COMPLETE"], n["PRUNED"] }' "$dir/trials.csv" >> "$out/rows.$$"
done
echo
echo "pruning on Fashion-MNIST, 30 random configurations x 200 iterations, in-process, $(nproc) cores"
printf '%-11s %11s %9s %9s %8s %9s %9s\n' pruner iterations "vs none" "best top1" "Δ points" complete pruned
awk -v ref="$(awk '$1 == "none"' "$out/rows.$$")" '
  BEGIN { split(ref, r, " ") }
  { share = r[2] ? 100 * $2 / r[2] : 0; d = r[3] != "" ? 100 * ($3 - r[3]) : 0
    printf "%-11s %11d %8.0f%% %9.4f %+8.1f %9d %9d   %.0f s\n", $1, $2, share, $3, d, $5, $6, $4 }' "$out/rows.$$"
rm -f "$out/rows.$$"
