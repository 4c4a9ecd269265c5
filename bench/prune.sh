#!/usr/bin/env bash
# make bench-prune, in three parts (PART=1, 2 or 3 runs one):
# 1. the same 30 random configurations of bench/prune.ini trained with the in-process
#    Debian libdarknet, once without pruning and once with each pruner, side by side
#    in one run. Prints total iterations trained (and the share of no pruning's), the
#    best top-1 (and its distance to no pruning's), and wall time.
# 2. the demo's space (bench/prune-demo.ini: burn_in and the policy included), 24
#    random configurations per seed (DEMO_SEEDS, 1..10) trained to the end without
#    pruning (kept in bench/out/prune-demo/seed-N: a second run reuses a finished
#    seed), then median and asha replayed over those curves (bench/prune_replay.c),
#    each on the periodic top-1 (500 images every 25 iterations) and on the training
#    loss (median-loss; asha-loss: first rung at an eighth of the trial, the default,
#    the top half goes on, as in bench/e2e-asha.ini).
#    Prints per seed the best top-1 without pruning, each pruner's best and its share
#    of the iterations, then in how many seeds each kept a best within 0.5 points;
#    then the same over ORDERS (20) other orders of each seed's trials; last, how well
#    the loss and the validations rank the trials at the rungs (prune_replay --ranks),
#    and what successive halving keeps when trials wait at a rung (prune_replay
#    --halving and --promote, which is what [pruner] wait = yes does; WAITS=RF:FIRST...).
#    EVAL_IMAGES=N (or all) records with the periodic validations on N images instead
#    (kept apart, in bench/out/prune-demo-eval-N): do less noisy validations rank better?
# 3. the same replays on a detector: bench/prune-shapes.ini, 16 random configurations of
#    the tiny YOLO on the shapes data trained to the end (mAP@0.5 every 50 iterations;
#    SHAPES_SEEDS, 1 2), so that defaults chosen on Fashion-MNIST are checked on a detector.
# DARKTUNE=./darktune-native trains with the native build (make native), about 3x faster.
set -eu
cd "$(dirname "$0")/.."
part=${PART:-all}
darktune=${DARKTUNE:-./darktune}
eval_images=${EVAL_IMAGES:-}
case $part in all | 1 | 2 | 3) ;; *) echo "bench-prune: PART=$part: it is 1, 2 or 3 (or unset: all three)" >&2; exit 2 ;; esac
out=bench/out/prune
mkdir -p "$out"
pruners=${PRUNERS:-"none median percentile asha hyperband patience"}
[ "$part" != all ] && [ "$part" != 1 ] && pruners=""
declare -A body=(
  [none]="type = none"
  [median]=$'type = median\nstartup_trials = 5\nwarmup = 50'
  [percentile]=$'type = percentile\npercentile = 25\nstartup_trials = 5\nwarmup = 50'
  [asha]=$'type = asha\nmin_resource = 25\nreduction_factor = 3'
  [hyperband]=$'type = hyperband\nmin_resource = 25\nreduction_factor = 3'
  [patience]=$'type = patience\npatience = 75\nwrap = none'
  [median-loss]=$'type = median\non = loss\nstartup_trials = 5\nwarmup = 50'
  [asha-loss]=$'type = asha\non = loss\nreduction_factor = 2'
  # variants for REPLAY: median's warm-up at an eighth of the trial; asha with rf 3
  [median-loss-25]=$'type = median\non = loss\nstartup_trials = 5\nwarmup = 25'
  [asha-loss-rf3]=$'type = asha\non = loss\nreduction_factor = 3'
  # the series prune_replay --ranks reads
  [ranks-loss]=$'type = median\non = loss'
  [ranks-metric]=$'type = median'
)
# with_pruner SWEEP PRUNER [EXTRA]: SWEEP with [pruner] replaced by PRUNER's body, paths
# made absolute, EXTRA lines put into [study].
with_pruner() {
  awk -v body="${body[$2]}" -v root="$PWD" -v extra="${3:-}" '
    /^\[pruner\]/ { print; print body; skip = 1; next }
    /^\[study\]/ { print; if (extra != "") print extra; next }
    /^\[/ { skip = 0 }
    skip { next }
    { sub(/= \.\.\//, "= " root "/"); print }' "$1"
}
for p in $pruners; do
  dir=$out/$p
  rm -rf "$dir" && mkdir -p "$dir"
  # The same sweep with only [pruner] replaced; paths made absolute for its new folder.
  with_pruner bench/prune.ini "$p" > "$dir/sweep.ini"
  start=$(date +%s%N)
  "$darktune" run "$dir/sweep.ini" --output "$dir" > "$dir/run.log" 2>&1 || { tail "$dir/run.log"; exit 1; }
  secs=$(( ($(date +%s%N) - start) / 1000000000 ))
  awk -F, -v p="$p" -v t="$secs" '
    NR > 1 { it += $(NF - 1); if ($2 == "COMPLETE" && $3 > best) best = $3; n[$2]++ }
    END { printf "%s %d %.4f %.1f %d %d\n", p, it, best, t, n["COMPLETE"], n["PRUNED"] }' "$dir/trials.csv" >> "$out/rows.$$"
done
if [ -n "$pruners" ]; then
echo
echo "pruning on Fashion-MNIST, 30 random configurations x 200 iterations, in-process, $(nproc) cores"
printf '%-11s %11s %9s %9s %8s %9s %9s\n' pruner iterations "vs none" "best top1" "Δ points" complete pruned
awk -v ref="$(awk '$1 == "none"' "$out/rows.$$")" '
  BEGIN { split(ref, r, " ") }
  { share = r[2] ? 100 * $2 / r[2] : 0; d = r[3] != "" ? 100 * ($3 - r[3]) : 0
    printf "%-11s %11d %8.0f%% %9.4f %+8.1f %9d %9d   %.0f s\n", $1, $2, share, $3, d, $5, $6, $4 }' "$out/rows.$$"
rm -f "$out/rows.$$"
fi

# replay_part TITLE SWEEP DIR SEEDS REPLAYED: for each seed, SWEEP's random configurations
# trained to the end without pruning (kept in DIR/seed-N: a second run reuses a finished
# seed), then each pruner of REPLAYED replayed over those curves: once in the
# recording's own order (what a study with that seed would have done), then in ORDERS
# (20) other orders of the same trials, because which trials come first decides much
# of what a pruner does (the first at a rung go on unopposed). Last, how well each
# series ranks the trials at the steps of RANKS (a pruner's rungs), over the seeds.
replay_part() {
  local title=$1 sweep=$2 dir=$3 seeds=$4 replayed=$5 ranks=$6 orders=${ORDERS:-20} rows s d n p k
  [ -n "$eval_images" ] && dir=$dir-eval-$eval_images
  mkdir -p "$dir"
  rows=$dir/rows.$$
  : > "$rows" && : > "$rows.ranks" && : > "$rows.halving"
  for s in $seeds; do
    d=$PWD/$dir/seed-$s
    if ! grep -q '^done:' "$d/run.log" 2>/dev/null; then
      rm -rf "$d" && mkdir -p "$d"
      with_pruner "$sweep" none | sed "s/^seed .*/seed     = $s/" |
        awk -v n="$eval_images" '{ print } /^\[darknet\]/ && n != "" { print "eval_images   = " n }' > "$d/sweep.ini"
      "$darktune" run "$d/sweep.ini" --output "$d" > "$d/run.log" 2>&1 || { tail "$d/run.log"; exit 1; }
    fi
    n=$(($(wc -l < "$d/trials.csv") - 1))
    # rows: seed pruner order(0: recorded) and prune_replay's line
    for p in $replayed; do
      with_pruner "$d/sweep.ini" "$p" "output = $d" > "$d/replay-$p.ini"
      echo "$s $p 0 $(build/bench/prune_replay "$d/replay-$p.ini")" >> "$rows"
      for k in $(seq "$orders"); do echo "$s $p $k $(build/bench/prune_replay "$d/replay-$p.ini" "$k" "$n")" >> "$rows"; done
    done
    # rows.ranks: seed series, then prune_replay --ranks: step rho ahead n, per step
    for p in loss metric; do
      with_pruner "$d/sweep.ini" "ranks-$p" "output = $d" > "$d/ranks-$p.ini"
      echo "$s $p $(build/bench/prune_replay "$d/ranks-$p.ini" --ranks $ranks)" >> "$rows.ranks"
    done
    # rows.halving: seed mode order(0: recorded) and the replay's line: halving (each cut
    # waits for every trial: the order changes nothing) and promotion ASHA, what
    # `wait = yes` does (t_table.sh checks they agree), on the loss, for each RF:FIRST of
    # WAITS (default: rf 2 from the first rung, rf 3 from a fifth later)
    local first=${ranks%% *} w rf
    for w in ${WAITS:-2:$first 3:$((first + first / 5))}; do
      rf=${w%%:*}
      echo "$s halving-$w 0 $(build/bench/prune_replay "$d/ranks-loss.ini" --halving "$rf" "${w#*:}")" >> "$rows.halving"
      echo "$s promote-$w 0 $(build/bench/prune_replay "$d/ranks-loss.ini" --promote "$rf" "${w#*:}")" >> "$rows.halving"
      for k in $(seq "$orders"); do
        echo "$s promote-$w $k $(build/bench/prune_replay "$d/ranks-loss.ini" --promote "$rf" "${w#*:}" "$k" "$n")" \
          >> "$rows.halving"
      done
    done
  done
  echo
  echo "$title"
  printf '%-5s %10s' seed "none best"
  for p in $replayed; do printf ' %12s %8s %8s' "$p best" "Δ points" "its"; done
  echo
  # prune_replay's fields from $4: trained recorded best number complete pruned none
  awk -v list="$replayed" '
    $3 == 0 { none[$1] = $10; b[$1, $2] = $6; sh[$1, $2] = $4 / $5; if (!($1 in seen)) { seen[$1]; seed[++ns] = $1 } }
    END { np = split(list, p, " ")
          for (i = 1; i <= ns; i++) { s = seed[i]; printf "%-5s %10.4f", s, none[s]
            for (j = 1; j <= np; j++) printf " %12.4f %+8.1f %7.0f%%", b[s, p[j]], 100 * (b[s, p[j]] - none[s]), 100 * sh[s, p[j]]
            print "" } }' "$rows"
  echo
  for p in $replayed; do
    # median is bench/stats.awk's
    awk -v p="$p" -v orders="$orders" -f bench/stats.awk -f <(cat <<'EOF'
      $2 != p { next }
      { kept = $6 >= $10 - 0.005 - 1e-9
        if ($3 == 0) { k0 += kept; n0++; s0 = s0 " " $4 / $5 } else { k1 += kept; n1++; s1 = s1 " " $4 / $5 } }
      END { printf "%s: best within 0.5 points of no pruning in %d of %d seeds, median share of the iterations %.0f%%",
                   p, k0, n0, 100 * median(s0)
            if (n1) printf "; over %d orders of each: in %.0f%% of %d replays, median share %.0f%%",
                           orders, 100 * k1 / n1, n1, 100 * median(s1)
            print "" }
EOF
    ) "$rows"
  done
  echo
  echo "how each series ranks the complete trials at each step (as the pruners see it, lag included):"
  echo "Spearman's rho with the final value (median over seeds), and in how many seeds the trial"
  echo "with the best final value stood in the top half and the top third of them there"
  awk -f bench/stats.awk -f <(cat <<'EOF'
    { for (i = 3; i + 3 <= NF; i += 4) {
        k = $2 SUBSEP $i; if (!(k in n)) { steps[$2] = steps[$2] " " $i }
        n[k]++; rho[k] = rho[k] " " $(i + 1)
        half[k] += $(i + 2) < $(i + 3) / 2; third[k] += $(i + 2) < $(i + 3) / 3 } }
    END { for (si = 1; si <= 2; si++) { s = si == 1 ? "loss" : "metric"; ns = split(steps[s], st, " ")
            for (j = 1; j <= ns; j++) { k = s SUBSEP st[j]
              printf "  %-6s at %4d: rho %5.2f, best in the top half in %d of %d seeds, top third in %d\n",
                     s, st[j], median(rho[k]), half[k], n[k], third[k] } } }
EOF
  ) "$rows.ranks"
  echo
  echo "successive halving on the loss if trials wait at a rung (rf:first rung): synchronous halving, each cut"
  echo "waiting for every trial (prune_replay --halving), and promotion ASHA, one slot (--promote: [pruner] wait = yes):"
  awk -f bench/stats.awk -f <(cat <<'EOF'
    !(($2) in seen) { seen[$2]; mode[++nm] = $2 }
    { k = $2 SUBSEP ($3 > 0); kept[k] += $6 >= $10 - 0.005 - 1e-9; n[k]++; share[k] = share[k] " " $4 / $5 }
    END { for (j = 1; j <= nm; j++) { m = mode[j]; k = m SUBSEP 0; o = m SUBSEP 1
            printf "  %-12s best within 0.5 points of no pruning in %d of %d seeds, median share of the iterations %.0f%%",
                   m, kept[k], n[k], 100 * median(share[k])
            if (n[o]) printf "; over %d orders of each: in %.0f%% of %d replays, median share %.0f%%",
                             n[o] / n[k], 100 * kept[o] / n[o], n[o], 100 * median(share[o])
            print "" } }
EOF
  ) "$rows.halving"
  rm -f "$rows" "$rows.ranks" "$rows.halving"
}

# Part 2: the demo's space, DEMO_SEEDS (1..10), median and asha replayed.
if [ "$part" = all ] || [ "$part" = 2 ]; then
  replay_part "pruning over the demo's space (bench/prune-demo.ini: 24 random configurations x 200 iterations per seed),
each pruner replayed over the curves trained without pruning, in the order they were drawn" \
    bench/prune-demo.ini bench/out/prune-demo "${DEMO_SEEDS:-1 2 3 4 5 6 7 8 9 10}" \
    "${REPLAY:-median asha median-loss asha-loss}" "25 50 100"
fi

# Part 3: the same pruners on a detector (bench/prune-shapes.ini: the tiny YOLO on the
# shapes data, mAP@0.5), SHAPES_SEEDS (1 2): do the defaults chosen on Fashion-MNIST hold?
if [ "$part" = all ] || [ "$part" = 3 ]; then
  replay_part "pruning a detector (bench/prune-shapes.ini: 16 random configurations x 400 iterations of the tiny YOLO,
mAP@0.5 every 50 iterations), each pruner replayed over the curves trained without pruning" \
    bench/prune-shapes.ini bench/out/prune-shapes "${SHAPES_SEEDS:-1 2}" \
    "${REPLAY:-median asha median-loss asha-loss}" "50 100 200"
fi
