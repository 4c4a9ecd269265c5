#!/usr/bin/env bash
# make bench-e2e's summary (bench/e2e_summary.awk) on rows worked out by hand
# (tests/golden/e2e/rows: three seeds, two or three trials a side, a pruned trial on
# each side, a seed in which each side never reaches the target). Every number below
# was counted from those rows, not copied from the script's output: with three seeds
# the medians are the middle values; with two (seeds 1 and 2), the cautious ones (the
# lower best, the later time).
set -u
. tests/lib.sh
tmp=tests/tmp/e2e-sh
rm -rf "$tmp" && mkdir -p "$tmp"
rows=tests/golden/e2e/rows

# Three seeds. Bests: Optuna 0.85 0.84 0.86, darktune 0.86 0.85 0.80. To 0.85: Optuna
# 50 s, never, 40 s; darktune 40 s, 60 s, never. By 25 s (half of 50) Optuna finished
# one trial (0.80), darktune two (0.84, 0.83). The median of Optuna's six complete
# scores, the lower middle one: 0.82, reached by Optuna at 50, 30, 40 s and darktune at
# 10, 25 s and never. Optuna's median wall: 110 s.
awk -v n=3 -f bench/e2e_summary.awk "$rows" > "$tmp/three.out" 2>&1
check_eq "three seeds: exit status" "$?" 0
cat > "$tmp/three.want" <<'WANT'

median over 3 seeds: best top-1 darktune 0.8500, Optuna 0.8500 (+0.0 points)
median wall time to reach Optuna's median best 0.8500: darktune 60 s, Optuna 50 s: darktune / Optuna = 1.20x (goal: at most 0.5x)
complete trials scoring at least 0.8500: Optuna 2 of 6, darktune 2 of 5; finished by 25 s (half Optuna's time): Optuna 0.3 per seed (0 at least 0.8500), darktune 0.7 (0)
median wall time to reach 0.8200, the median of Optuna's complete trials: darktune 25 s, Optuna 40 s (0.62x)
median best so far at a quarter, half, three quarters and all of Optuna's median wall time (110 s): 0.8300 / 0.0000, 0.8300 / 0.8500, 0.8500 / 0.8500, 0.8500 / 0.8500 (darktune / Optuna)
WANT
check "three seeds: the summary counted by hand" diff -u "$tmp/three.want" "$tmp/three.out"

# Seeds 1 and 2: the lower best (Optuna 0.84, darktune 0.85), the later time to 0.84
# (Optuna 50 s and 90 s, darktune 10 s and 60 s).
awk '$1 < 3' "$rows" | awk -v n=2 -f bench/e2e_summary.awk > "$tmp/two.out" 2>&1
check_grep "two seeds: the lower of the two bests" \
  '^median over 2 seeds: best top-1 darktune 0\.8500, Optuna 0\.8400 \(\+1\.0 points\)$' "$tmp/two.out"
check_grep "two seeds: the later of the two times" \
  '^median wall time to reach Optuna.s median best 0\.8400: darktune 60 s, Optuna 90 s: darktune / Optuna = 0\.67x' \
  "$tmp/two.out"
check_grep "two seeds: best so far, zero before a first result" \
  '\(100 s\): 0\.8300 / 0\.0000, 0\.8300 / 0\.8200, 0\.8500 / 0\.8200, 0\.8500 / 0\.8400 ' "$tmp/two.out"

# A side that never reaches the target in most seeds: "never", and no ratio.
awk '$2 == "optuna" || ($1 == 3 && $2 == "darktune")' "$rows" | awk -v n=3 -f bench/e2e_summary.awk > "$tmp/never.out" 2>&1
check_grep "never reached: said, with no ratio" \
  '^median wall time to reach Optuna.s median best 0\.8500: darktune never, Optuna 50 s$' "$tmp/never.out"

finish t_e2e
