# bench/stats.awk: the statistics the benchmark scripts share (bench/sampler.sh,
# bench/pareto.sh load it with -f before their own program). Any POSIX awk.

# The median of a space-separated list of numbers.
function median(list,   n, i, j, t, a) {
  n = split(list, a, " ")
  for (i = 2; i <= n; i++)
    for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

# Mann-Whitney rank-sum z of list x against list y (ties share their mean rank):
# positive when x's values tend to be the larger.
function ranksum_z(x, y,   nx, ny, a, b, n, v, w, i, j, k, t, r, sum) {
  nx = split(x, a, " "); ny = split(y, b, " "); n = 0
  for (i = 1; i <= nx; i++) { v[++n] = a[i] + 0; w[n] = 1 }
  for (i = 1; i <= ny; i++) { v[++n] = b[i] + 0; w[n] = 0 }
  for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
    t = v[j]; v[j] = v[j - 1]; v[j - 1] = t; t = w[j]; w[j] = w[j - 1]; w[j - 1] = t }
  sum = 0
  for (i = 1; i <= n; i = k) {
    for (k = i; k <= n && v[k] == v[i]; k++) {}
    r = (i + k - 1) / 2
    for (j = i; j < k; j++) if (w[j]) sum += r
  }
  return (sum - nx * (nx + 1) / 2 - nx * ny / 2) / sqrt(nx * ny * (nx + ny + 1) / 12)
}
