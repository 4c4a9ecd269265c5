# bench/e2e_summary.awk: the summary of make bench-e2e (bench/e2e.sh), read from its
# rows: seed side wall ms_per_iteration number state value t iterations, one line per
# trial (value "-" unless COMPLETE; t: seconds from the study's launch to the trial's
# finish). Set n, the number of seeds: awk -v n=5 -f bench/e2e_summary.awk rows.
# Prints the medians over seeds: the best top-1 of each side, and the wall time each
# needed to reach the peer's median best (a seed that never reaches it counts as
# infinite); how rare that target is; then two measures that do not hang on a score few
# trials reach: the time to the median score of the peer's complete trials, and each
# side's best so far at a quarter, half, three quarters and all of the peer's median
# wall time. tests/t_e2e.sh checks every line on rows worked out by hand.
#
# With an even number of seeds the median is the middle value on the cautious side: the
# lower of the two bests (more than half the seeds reached it), the later of the two
# times (more than half the seeds had reached the target by then).
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
  printf "median wall time to reach Optuna's median best %.4f: darktune %s, Optuna %s", mo,
         td < 1e29 ? sprintf("%.0f s", td) : "never", to < 1e29 ? sprintf("%.0f s", to) : "never"
  if (td < 1e29 && to < 1e29) printf ": darktune / Optuna = %.2fx (goal: at most 0.5x)\n", td / to; else printf "\n"
  # How rare the target is, and how few trials can finish by half the time the peer took:
  # what decides whether any side can reach it in that time.
  for (r in v) { split(key[r], a, " "); done[a[2]]++; hit[a[2]] += v[r] >= mo - 1e-6
                 if (to < 1e29 && t[r] <= to / 2) { early[a[2]]++; ehit[a[2]] += v[r] >= mo - 1e-6 } }
  printf "complete trials scoring at least %.4f: Optuna %d of %d, darktune %d of %d", mo,
         hit["optuna"], done["optuna"], hit["darktune"], done["darktune"]
  if (to < 1e29) printf "; finished by %.0f s (half Optuna's time): Optuna %.1f per seed (%d at least %.4f), darktune %.1f (%d)",
                        to / 2, early["optuna"] / n, ehit["optuna"], mo, early["darktune"] / n, ehit["darktune"]
  printf "\n"
  # Measures the rare target cannot blur: the time to a score that half of all the
  # complete trials of the peer reached (their median), and the best so far of each
  # side at fractions of the median wall time of the peer (0 before a first result).
  for (r in v) { split(key[r], a, " "); if (a[2] == "optuna") all = all " " v[r] }
  mc = median(all, 0); to2 = reach("optuna", mc); td2 = reach("darktune", mc)
  printf "median wall time to reach %.4f, the median of Optuna's complete trials: darktune %s, Optuna %s", mc,
         td2 < 1e29 ? sprintf("%.0f s", td2) : "never", to2 < 1e29 ? sprintf("%.0f s", to2) : "never"
  if (td2 < 1e29 && to2 < 1e29) printf " (%.2fx)", td2 / to2
  printf "\n"
  for (s in seeds) if ((s " optuna") in wall) wo = wo " " wall[s " optuna"]
  W = median(wo, 0)
  printf "median best so far at a quarter, half, three quarters and all of Optuna's median wall time (%.0f s):", W
  for (f = 1; f <= 4; f++)
    printf "%s %.4f / %.4f", (f > 1 ? "," : ""), best_by("darktune", W * f / 4), best_by("optuna", W * f / 4)
  printf " (darktune / Optuna)\n"
}
