/* dt_pareto: non-domination ranks, hypervolume, each point's contribution and the knee
 * of a front (dt_pareto.h).
 *
 * Hypervolume: 2 objectives by sorting and sweeping a staircase (n log n); 3 by
 * sweeping the third objective upwards and keeping the 2-D staircase of the points
 * passed so far, whose area times each slab's height adds up (n^2 at worst, from the
 * insertions); more by slicing along the last objective, each slab the hypervolume of
 * one objective fewer over the points below it (exact, and no inclusion-exclusion; the
 * cost grows by a factor n per objective beyond 3, fine for the few hundred points of a
 * study). Points are first cut to the part that lies below ref, dominated ones dropped.
 *
 * Every function allocates its own scratch and frees it; none keeps state. It does not
 * select subsets (the TPE's hypervolume subset selection is its own), nor normalize
 * objectives, except the knee's scaling. */
#include "dt_pareto.h"
#include "dt_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 1 when a dominates b: no worse everywhere, better somewhere. */
int dt_pareto_dominates(const double *a, const double *b, int m)
{
    int better = 0;
    for (int j = 0; j < m; j++) {
        if (a[j] > b[j]) return 0;
        if (a[j] < b[j]) better = 1;
    }
    return better;
}

/* 1 when a is no worse than b in every objective (a dominates or equals b). */
static int dt_pareto__weakly(const double *a, const double *b, int m)
{
    for (int j = 0; j < m; j++)
        if (a[j] > b[j]) return 0;
    return 1;
}

/* Lexicographic order over row indices: the rows are a context that qsort cannot pass
 * (qsort_r is not C11), so the sort is a merge sort of our own (stable). */
typedef struct dt_pareto__lex {
    const double *pts;
    int m;
} dt_pareto__lex;

/* <0, 0, >0 as row a sorts before, with, after row b (objective 0 first). */
static int dt_pareto__lexcmp(const dt_pareto__lex *c, int a, int b)
{
    const double *x = c->pts + (size_t)a * c->m, *y = c->pts + (size_t)b * c->m;
    for (int j = 0; j < c->m; j++)
        if (x[j] != y[j]) return x[j] < y[j] ? -1 : 1;
    return 0;
}

/* Sorts idx[0..n-1] lexicographically by their rows (merge sort, stable; tmp: n ints). */
static void dt_pareto__lexsort(const dt_pareto__lex *c, int *idx, int *tmp, int n)
{
    if (n < 2) return;
    int h = n / 2;
    dt_pareto__lexsort(c, idx, tmp, h);
    dt_pareto__lexsort(c, idx + h, tmp, n - h);
    int i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = dt_pareto__lexcmp(c, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
    while (i < h) tmp[k++] = idx[i++];
    while (j < n) tmp[k++] = idx[j++];
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

/* Ranks in lexicographic order: a point's dominators all sort before it, so one pass
 * gives each point 1 + the largest rank among those that dominate it. Equal points sit
 * side by side and take the first one's rank. Two objectives: the classic staircase
 * (the least second objective of each front so far, ascending over fronts), a binary
 * search per point; more: every earlier point is compared (n^2 m). */
void dt_pareto_ranks(const double *pts, int n, int m, int *rank)
{
    if (n <= 0) return;
    int *idx = dt_xmalloc(2 * (size_t)n * sizeof *idx), *tmp = idx + n;
    dt_pareto__lex c = {pts, m};
    for (int i = 0; i < n; i++) idx[i] = i;
    dt_pareto__lexsort(&c, idx, tmp, n);
    if (m == 1) {
        for (int q = 0; q < n; q++)
            rank[idx[q]] = q == 0 ? 0 : rank[idx[q - 1]] + (pts[idx[q]] != pts[idx[q - 1]]);
    } else if (m == 2) {
        double *front_min = dt_xmalloc((size_t)n * sizeof *front_min);
        int nf = 0;
        for (int q = 0; q < n; q++) {
            int i = idx[q];
            if (q > 0 && dt_pareto__lexcmp(&c, i, idx[q - 1]) == 0) {
                rank[i] = rank[idx[q - 1]];
                continue;
            }
            /* Every earlier distinct point with a second objective <= this one's dominates it. */
            double y = pts[(size_t)i * 2 + 1];
            int lo = 0, hi = nf;
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (front_min[mid] <= y) lo = mid + 1;
                else hi = mid;
            }
            rank[i] = lo;
            if (lo == nf) nf++;
            front_min[lo] = y;
        }
        free(front_min);
    } else {
        for (int q = 0; q < n; q++) {
            int i = idx[q], r = 0;
            if (q > 0 && dt_pareto__lexcmp(&c, i, idx[q - 1]) == 0) {
                rank[i] = rank[idx[q - 1]];
                continue;
            }
            for (int p = 0; p < q; p++) {
                int k = idx[p];
                if (rank[k] + 1 > r && dt_pareto_dominates(pts + (size_t)k * m, pts + (size_t)i * m, m))
                    r = rank[k] + 1;
            }
            rank[i] = r;
        }
    }
    free(idx);
}

/* ---- Hypervolume. */

static int dt_pareto__cmp_x(const void *pa, const void *pb)
{
    const double *a = pa, *b = pb;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

/* 2 objectives over n rows strictly below ref (sorted here, in place). */
static double dt_pareto__hv2(double *p, int n, const double *ref)
{
    qsort(p, (size_t)n, 2 * sizeof *p, dt_pareto__cmp_x);
    double hv = 0, ylast = ref[1];
    for (int i = 0; i < n; i++) {
        if (p[2 * i + 1] >= ylast) continue;   /* dominated by a point already swept */
        hv += (ref[0] - p[2 * i]) * (ylast - p[2 * i + 1]);
        ylast = p[2 * i + 1];
    }
    return hv;
}

static int dt_pareto__cmp_z(const void *pa, const void *pb)
{
    const double *a = pa, *b = pb;
    if (a[2] != b[2]) return a[2] < b[2] ? -1 : 1;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

/* 3 objectives over n rows strictly below ref (sorted here, in place). The staircase
 * of the points swept so far (their 2-D front: xs ascending, ys descending) and its
 * area are kept as the third objective rises; each slab up to the next point's third
 * value adds the area times its height. A new point that no step covers replaces the
 * steps it covers, and the area is summed again (the insertion is linear anyway). */
static double dt_pareto__hv3(double *p, int n, const double *ref)
{
    qsort(p, (size_t)n, 3 * sizeof *p, dt_pareto__cmp_z);
    double *xs = dt_xmalloc(2 * (size_t)(n + 1) * sizeof *xs), *ys = xs + n + 1;
    int ns = 0;
    double area = 0, hv = 0;
    for (int i = 0; i < n; i++) {
        double x = p[3 * i], y = p[3 * i + 1];
        int lo = 0, hi = ns;   /* at: the first step with xs >= x */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (xs[mid] < x) lo = mid + 1;
            else hi = mid;
        }
        int at = lo;
        int covered = (at > 0 && ys[at - 1] <= y) || (at < ns && xs[at] == x && ys[at] <= y);
        if (!covered) {
            int end = at;   /* steps at .. end - 1: x and y no better than the new point's */
            while (end < ns && ys[end] >= y) end++;
            memmove(xs + at + 1, xs + end, (size_t)(ns - end) * sizeof *xs);
            memmove(ys + at + 1, ys + end, (size_t)(ns - end) * sizeof *ys);
            ns -= end - at - 1;
            xs[at] = x;
            ys[at] = y;
            area = 0;
            double top = ref[1];
            for (int k = 0; k < ns; k++) {
                area += (ref[0] - xs[k]) * (top - ys[k]);
                top = ys[k];
            }
        }
        double znext = i + 1 < n ? p[3 * (i + 1) + 2] : ref[2];
        hv += area * (znext - p[3 * i + 2]);
    }
    free(xs);
    return hv;
}

/* Drops the rows of p (n x m) that another row weakly dominates (the first of equal
 * rows stays); returns how many are left, packed at the front in their order. */
static int dt_pareto__keep_front(double *p, int n, int m)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        const double *x = p + (size_t)i * m;
        int out = 0;
        for (int j = 0; j < k && !out; j++) out = dt_pareto__weakly(p + (size_t)j * m, x, m);
        if (out) continue;
        /* The new row may dominate rows kept before it. */
        int w = 0;
        for (int j = 0; j < k; j++)
            if (!dt_pareto__weakly(x, p + (size_t)j * m, m)) {
                if (w != j) memmove(p + (size_t)w * m, p + (size_t)j * m, (size_t)m * sizeof *p);
                w++;
            }
        if (w != i) memmove(p + (size_t)w * m, x, (size_t)m * sizeof *p);
        k = w + 1;
    }
    return k;
}

/* Sorts idx[0..n-1] by key[idx] ascending (merge sort, stable; tmp: n ints). */
static void dt_pareto__keysort(const double *key, int *idx, int *tmp, int n)
{
    if (n < 2) return;
    int h = n / 2;
    dt_pareto__keysort(key, idx, tmp, h);
    dt_pareto__keysort(key, idx + h, tmp, n - h);
    int i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = key[idx[j]] < key[idx[i]] ? idx[j++] : idx[i++];
    while (i < h) tmp[k++] = idx[i++];
    while (j < n) tmp[k++] = idx[j++];
    memcpy(idx, tmp, (size_t)n * sizeof *idx);
}

static double dt_pareto__hvm(double *p, int n, int m, const double *ref);

/* More than 3 objectives: slabs along the last one. With the rows sorted by it, the
 * slab from row i's value to the next row's is the (m-1)-objective hypervolume of rows
 * 0..i (their first m-1 objectives, dominated ones dropped) times its height. */
static double dt_pareto__slice(double *p, int n, int m, const double *ref)
{
    int mm = m - 1;
    int *idx = dt_xmalloc(2 * (size_t)n * sizeof *idx);
    double *z = dt_xmalloc((size_t)n * sizeof *z), *sorted = dt_xmalloc((size_t)n * m * sizeof *sorted);
    for (int i = 0; i < n; i++) {
        idx[i] = i;
        z[i] = p[(size_t)i * m + mm];
    }
    dt_pareto__keysort(z, idx, idx + n, n);
    for (int i = 0; i < n; i++) memcpy(sorted + (size_t)i * m, p + (size_t)idx[i] * m, (size_t)m * sizeof *p);
    memcpy(p, sorted, (size_t)n * m * sizeof *p);
    free(idx);
    free(z);
    free(sorted);
    double *front = dt_xmalloc((size_t)n * mm * sizeof *front), *work = dt_xmalloc((size_t)n * mm * sizeof *work);
    int nf = 0;
    double hv = 0;
    for (int i = 0; i < n; i++) {
        memcpy(front + (size_t)nf * mm, p + (size_t)i * m, (size_t)mm * sizeof *front);
        nf = dt_pareto__keep_front(front, nf + 1, mm);
        double znext = i + 1 < n ? p[(size_t)(i + 1) * m + mm] : ref[mm];
        double h = znext - p[(size_t)i * m + mm];
        if (h <= 0) continue;
        memcpy(work, front, (size_t)nf * mm * sizeof *work);
        hv += h * dt_pareto__hvm(work, nf, mm, ref);
    }
    free(front);
    free(work);
    return hv;
}

/* The hypervolume of n rows of m objectives, every row strictly below ref (p is scratch). */
static double dt_pareto__hvm(double *p, int n, int m, const double *ref)
{
    if (n == 0) return 0;
    if (m == 1) {
        double lo = p[0];
        for (int i = 1; i < n; i++) lo = p[i] < lo ? p[i] : lo;
        return ref[0] - lo;
    }
    if (m == 2) return dt_pareto__hv2(p, n, ref);
    if (m == 3) return dt_pareto__hv3(p, n, ref);
    return dt_pareto__slice(p, n, m, ref);
}

/* Copies the rows of pts strictly below ref into a new array (*out, freed by the caller). */
static int dt_pareto__below_ref(const double *pts, int n, int m, const double *ref, double **out)
{
    double *p = dt_xmalloc((size_t)(n > 0 ? n : 1) * m * sizeof *p);
    int k = 0;
    for (int i = 0; i < n; i++) {
        const double *x = pts + (size_t)i * m;
        int j = 0;
        while (j < m && x[j] < ref[j]) j++;
        if (j < m) continue;
        memcpy(p + (size_t)k++ * m, x, (size_t)m * sizeof *p);
    }
    *out = p;
    return k;
}

double dt_pareto_hv(const double *pts, int n, int m, const double *ref)
{
    if (m < 1) return 0;
    double *p;
    int k = dt_pareto__below_ref(pts, n, m, ref, &p);
    if (m > 3) k = dt_pareto__keep_front(p, k, m);
    double hv = dt_pareto__hvm(p, k, m, ref);
    free(p);
    return hv;
}

/* A point's contribution as its own box less what the others cover of it: the
 * hypervolume of the others each raised to the point (max per objective), under the
 * same ref. Taking the difference of two whole hypervolumes instead would lose the small
 * contributions to rounding. A point that another one equals or dominates adds nothing. */
void dt_pareto_contrib(const double *pts, int n, int m, const double *ref, double *contrib)
{
    if (n <= 0) return;
    double *lim = dt_xmalloc((size_t)n * (m > 0 ? m : 1) * sizeof *lim);
    for (int i = 0; i < n; i++) {
        const double *x = pts + (size_t)i * m;
        contrib[i] = 0;
        int j = 0;
        while (j < m && x[j] < ref[j]) j++;
        if (m < 1 || j < m) continue;
        int k = 0, covered = 0;
        for (int q = 0; q < n && !covered; q++) {
            if (q == i) continue;
            const double *y = pts + (size_t)q * m;
            if (dt_pareto__weakly(y, x, m)) covered = 1;
            double *row = lim + (size_t)k * m;
            int inside = 1;
            for (int c = 0; c < m; c++) {
                row[c] = y[c] > x[c] ? y[c] : x[c];
                inside &= row[c] < ref[c];
            }
            k += inside;
        }
        if (covered) continue;
        double box = 1;
        for (int c = 0; c < m; c++) box *= ref[c] - x[c];
        if (m > 3) k = dt_pareto__keep_front(lim, k, m);
        double c = box - dt_pareto__hvm(lim, k, m, ref);
        contrib[i] = c > 0 ? c : 0;
    }
    free(lim);
}

/* Scaled to [0, 1] per objective over the front (an objective equal on every point
 * scales to 0), the point nearest the origin by Euclidean distance; the first on ties. */
int dt_pareto_knee(const double *pts, int n, int m)
{
    if (n <= 0) return -1;
    double *lo = dt_xmalloc(2 * (size_t)(m > 0 ? m : 1) * sizeof *lo), *hi = lo + m;
    for (int c = 0; c < m; c++) lo[c] = hi[c] = pts[c];
    for (int i = 1; i < n; i++)
        for (int c = 0; c < m; c++) {
            double v = pts[(size_t)i * m + c];
            lo[c] = v < lo[c] ? v : lo[c];
            hi[c] = v > hi[c] ? v : hi[c];
        }
    int best = 0;
    double bestd = INFINITY;
    for (int i = 0; i < n; i++) {
        double d = 0;
        for (int c = 0; c < m; c++) {
            double s = hi[c] > lo[c] ? (pts[(size_t)i * m + c] - lo[c]) / (hi[c] - lo[c]) : 0;
            d += s * s;
        }
        if (d < bestd) {
            bestd = d;
            best = i;
        }
    }
    free(lo);
    return best;
}
