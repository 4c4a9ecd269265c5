/* test_tpe_numbers: dt_sampler_tpe's own numerics, which stand in for libm and qsort in
 * its hot loops: the erfc fitted when a sampler is created, the vectorizable log, and
 * the bucket sort behind the neighbour bandwidths, all in plugin/dt_sampler_tpe_num.h.
 * erfc against libm's long double erfcl over the fitted range; log against logl, in
 * ulps; the sort against qsort by (value, index) on random, crowded (the radix
 * fallback), tied, grid-like and signed-zero data. */
#include "dt_sampler_tpe_num.h"
#include "dt_rng.h"
#include "dt_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "dt_test.h"

/* The largest relative error of dt_tpe__erfc on [lo, hi] in n steps; *at where. */
static double erfc_error(const double *c, double lo, double hi, int n, double *at)
{
    double worst = 0;
    for (int i = 0; i <= n; i++) {
        double y = lo + (hi - lo) * i / n;
        long double ref = erfcl(y);
        double e = fabs((double)((dt_tpe__erfc(c, y) - ref) / ref));
        if (e > worst) {
            worst = e;
            *at = y;
        }
    }
    return worst;
}

static void test_erfc(void)
{
    double c[DT_TPE__ERFC_N];
    dt_tpe__erfc_fit(c);
    double at = 0, near = erfc_error(c, 0, 6, 600000, &at);
    printf("  erfc: worst relative error %.2g on [0, 6] (at %.4f)\n", near, at);
    CHECK(near < 1e-14);
    double far = erfc_error(c, 6, DT_TPE__ERFC_YMAX, 600000, &at);
    printf("  erfc: worst relative error %.2g on [6, %g] (at %.4f)\n", far, DT_TPE__ERFC_YMAX, at);
    CHECK(far < 1e-14);
    /* Past the range: erfc(YMAX), tiny and positive, never a NaN or a negative mass. */
    double beyond = dt_tpe__erfc(c, 40);
    CHECK(beyond > 0 && beyond < 1e-300);
}

static void test_log(void)
{
    double worst = 0, at = 0;
    for (int i = 0; i <= 2000000; i++) {
        double x = exp(-744 + 1453.0 * i / 2000000) * (1 + 1e-7 * (i % 97));
        long double ref = logl(x);
        if (ref == 0) continue;
        double r = (double)ref, ulp = nextafter(fabs(r), INFINITY) - fabs(r);
        double e = fabs((double)(dt_tpe__log(x) - ref)) / ulp;
        if (e > worst) {
            worst = e;
            at = x;
        }
    }
    printf("  log: worst error %.2f ulp (at %.6g), subnormals included\n", worst, at);
    CHECK(worst < 2.5);
    CHECK(dt_tpe__log(1) == 0);
    CHECK(dt_tpe__log(2) == log(2));
}

/* qsort's order for the reference: by value, then index. */
static int by_value_index(const void *pa, const void *pb)
{
    const dt_tpe__keyed *a = pa, *b = pb;
    if (a->v != b->v) return a->v < b->v ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* Sorts v[0..n-1] both ways; whether the orders agree. */
static int sort_agrees(const double *v, int n)
{
    dt_tpe__keyed *a = dt_xmalloc((size_t)n * 3 * sizeof *a), *ref = a + 2 * n;
    uint32_t *cnt = dt_xmalloc((size_t)(n + 1) * sizeof *cnt);
    for (int k = 0; k < n; k++) ref[k] = a[k] = (dt_tpe__keyed){v[k], k, 0};
    dt_tpe__sort(a, a + n, n, cnt);
    qsort(ref, (size_t)n, sizeof *ref, by_value_index);
    int same = 1;
    for (int k = 0; k < n; k++) same &= a[k].i == ref[k].i;
    free(cnt);
    free(a);
    return same;
}

static void test_sort(void)
{
    enum { N = 3000 };
    static double v[N];
    dt_rng rng;
    dt_rng_seed(&rng, 7, 0);
    int sizes[] = {1, 2, 5, 32, 33, 100, 999, N};
    for (int si = 0; si < 8; si++) {
        int n = sizes[si];
        for (int k = 0; k < n; k++) v[k] = dt_rng_uniform(&rng) * 20 - 10;
        CHECK(sort_agrees(v, n));                              /* spread out */
        for (int k = 0; k < n; k++) v[k] = k % 50 == 7 ? k % 3 : 0.3 + 1e-12 * dt_rng_uniform(&rng);
        CHECK(sort_agrees(v, n));                              /* crowded: the radix sort finishes */
        for (int k = 0; k < n; k++) v[k] = k % 4 == 1 ? 1.7e308 : k % 4 == 2 ? -1.7e308 : dt_rng_uniform(&rng);
        CHECK(sort_agrees(v, n));                              /* a range past DBL_MAX: radix alone */
        for (int k = 0; k < n; k++) v[k] = (double)(int)(dt_rng_uniform(&rng) * 21) * 50;
        CHECK(sort_agrees(v, n));                              /* a grid: ties galore */
        for (int k = 0; k < n; k++) v[k] = k % 3 == 0 ? -0.0 : k % 3 == 1 ? 0.0 : -1e-300;
        CHECK(sort_agrees(v, n));                              /* -0.0 and 0.0 tie */
        for (int k = 0; k < n; k++) v[k] = k % 10 ? 1 : 1e300 * (k % 20 ? 1 : -1);
        CHECK(sort_agrees(v, n));                              /* outliers */
    }
}

int main(void)
{
    test_erfc();
    test_log();
    test_sort();
    return dt_test_done("tpe_numbers");
}
