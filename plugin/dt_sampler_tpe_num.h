/* dt_sampler_tpe_num: the numbers dt_sampler_tpe.c computes its own way, for speed,
 * kept apart so that the sampler reads as the algorithm: an erfc fitted at creation and
 * a log, both in straight-line code that gcc vectorizes (libm's are a call per value,
 * with branches); a cheap e^x for the log-sum-exps; 2^n from the exponent bits; a
 * four-lane max; and the bucket sort (radix sort fallback) behind the bandwidths.
 * Private to dt_sampler_tpe.c, which inlines all of it into its AVX2 clones, and to
 * tests/test_tpe_numbers.c, which checks it against erfcl, logl and qsort. */
#ifndef DT_SAMPLER_TPE_NUM_H
#define DT_SAMPLER_TPE_NUM_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define DT_TPE__ERFC_N 22         /* dt_tpe__erfc's polynomial: coefficients (even: two chains) */
#define DT_TPE__ERFC_YMAX 26.5    /* and its range, [0, YMAX]: erfc(26.5) is 1.4e-307 */

/* ---- Fast numbers: an erfc and a log that gcc vectorizes.
 *
 * Grid cells' masses need erfc at each cell edge for each kernel: thousands of calls
 * per suggestion, which libm makes one at a time, with branches. Here erfc(y) =
 * t e^(-y^2 + G(t)), t = 1 / (1 + y/2) (the form of Numerical Recipes' erfcc), with G a
 * polynomial of degree ERFC_N - 1 in s, t mapped onto [-1, 1] over y in [0, ERFC_YMAX]:
 * the Chebyshev interpolant of the exact G, fitted in long double at creation. Relative
 * error under 1e-14 (tests/test_tpe_numbers.c checks it against erfcl); and the same
 * straight-line code for every y, so that gcc vectorizes a loop of it. */

/* t at y = ERFC_YMAX: s = -1 there, and 1 at y = 0. */
#define DT_TPE__ERFC_TMIN (1 / (1 + 0.5 * DT_TPE__ERFC_YMAX))

/* G(t) = log erfc(y) + y^2 - log t, exactly (to long double): from erfcl where it does
 * not underflow, else from the asymptotic series (at y > 20, eight terms are exact). */
static long double dt_tpe__erfc_g(long double t)
{
    long double y = 2 * (1 - t) / t;
    if (y <= 20) return logl(erfcl(y)) + y * y - logl(t);
    long double u = 1 / (2 * y * y), term = 1, sum = 1;
    for (int k = 1; k <= 8; k++) {
        term *= -(2 * k - 1) * u;
        sum += term;
    }
    return logl(sum / (y * sqrtl(3.14159265358979323846264338327950288L))) - logl(t);
}

/* Fits c (ERFC_N monomial coefficients in s) by interpolating G at the Chebyshev nodes. */
static void dt_tpe__erfc_fit(double *c)
{
    enum { N = DT_TPE__ERFC_N };
    const long double pi = 3.14159265358979323846264338327950288L;
    long double f[N], cheb[N], tprev[N], tcur[N], tnext[N], mono[N];
    long double tmin = DT_TPE__ERFC_TMIN, tmid = (1 + tmin) / 2, thalf = (1 - tmin) / 2;
    for (int i = 0; i < N; i++) f[i] = dt_tpe__erfc_g(tmid + thalf * cosl(pi * (i + 0.5L) / N));
    for (int k = 0; k < N; k++) {
        long double sum = 0;
        for (int i = 0; i < N; i++) sum += f[i] * cosl(pi * k * (i + 0.5L) / N);
        cheb[k] = (k ? 2 : 1) * sum / N;
    }
    /* T_k(s) in powers of s, by T_k+1 = 2 s T_k - T_k-1. */
    for (int j = 0; j < N; j++) tprev[j] = tcur[j] = mono[j] = 0;
    tprev[0] = 1;
    tcur[1] = 1;
    mono[0] = cheb[0];
    mono[1] = cheb[1];
    for (int k = 2; k < N; k++) {
        for (int j = 0; j < N; j++) tnext[j] = (j ? 2 * tcur[j - 1] : 0) - tprev[j];
        for (int j = 0; j < N; j++) {
            mono[j] += cheb[k] * tnext[j];
            tprev[j] = tcur[j];
            tcur[j] = tnext[j];
        }
    }
    for (int j = 0; j < N; j++) c[j] = (double)mono[j];
}

/* 2^n from sh = n + 1.5 * 2^52 (n a small integer: the rounding trick of the exps
 * below leaves it in sh's low bits), built as a double's exponent field. */
static inline double dt_tpe__pow2(double sh)
{
    const double magic = 0x1.8p52;
    uint64_t sb, mb;
    memcpy(&sb, &sh, sizeof sb);
    memcpy(&mb, &magic, sizeof mb);
    sb = (sb - mb + 1023) << 52;
    double scale;
    memcpy(&scale, &sb, sizeof scale);
    return scale;
}

/* erfc(y) for y >= 0 (beyond ERFC_YMAX, erfc(ERFC_YMAX)); c from dt_tpe__erfc_fit. */
static inline double dt_tpe__erfc(const double *c, double y)
{
    const double magic = 0x1.8p52, ln2hi = 0x1.62e42fee00000p-1, ln2lo = 0x1.a39ef35793c76p-33;
    y = y < DT_TPE__ERFC_YMAX ? y : DT_TPE__ERFC_YMAX;
    double t = 1 / (1 + 0.5 * y), s = (2 * t - (1 + DT_TPE__ERFC_TMIN)) * (1 / (1 - DT_TPE__ERFC_TMIN));
    /* Even and odd coefficients as two polynomials in s^2: two chains of multiply-adds
     * of half the length, which the CPU runs side by side. */
    double s2 = s * s, ge = c[DT_TPE__ERFC_N - 2], go = c[DT_TPE__ERFC_N - 1];
#pragma GCC unroll 16
    for (int k = DT_TPE__ERFC_N - 4; k >= 0; k -= 2) {
        ge = ge * s2 + c[k];
        go = go * s2 + c[k + 1];
    }
    double g = ge + s * go;
    /* y^2 = hi + lo exactly (Dekker: y cut into two halves of 26 bits), as e^-y^2 near
     * e^-700 needs y^2 to 1e-16 of 1, not of 700. */
    uint64_t bits;
    memcpy(&bits, &y, sizeof bits);
    bits &= ~(uint64_t)0x7ffffff;
    double yh, yl;
    memcpy(&yh, &bits, sizeof yh);
    yl = y - yh;
    double hi = y * y, lo = ((yh * yh - hi) + 2 * yh * yl) + yl * yl;
    /* e^(g - hi - lo) = 2^n e^r: n by rounding, r reduced with ln 2 in two parts (the
     * first times n is exact, and -hi minus it too, being within a factor of 2), then
     * Taylor to degree 12 for |r| <= ln(2)/2 (error under 2e-16). */
    double x = g - hi, sh = x * M_LOG2E + magic, n = sh - magic;
    double r = ((-hi - n * ln2hi) + (g - lo)) - n * ln2lo;
    double r2 = r * r;
    double pe = 1 + r2 * (1.0 / 2 + r2 * (1.0 / 24 + r2 * (1.0 / 720 + r2 * (1.0 / 40320 + r2 * (1.0 / 3628800 +
                r2 * (1.0 / 479001600))))));
    double po = 1 + r2 * (1.0 / 6 + r2 * (1.0 / 120 + r2 * (1.0 / 5040 + r2 * (1.0 / 362880 + r2 * (1.0 / 39916800)))));
    double p = pe + r * po;
    return t * p * dt_tpe__pow2(sh);
}

/* log(x) for x > 0 finite, within about 2 ulp of libm's, in straight-line code that
 * gcc vectorizes (libm's log is a call per value): x = 2^e m with m in [sqrt(1/2),
 * sqrt(2)), log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172, by its series to
 * s^23 (the next term is under 1e-18 of it); e ln 2 added with ln 2 in two parts. */
static inline double dt_tpe__log(double x)
{
    const double magic = 0x1.8p52, ln2hi = 0x1.62e42fee00000p-1, ln2lo = 0x1.a39ef35793c76p-33;
    const uint64_t half_root = 0x3fe6a09e667f3bcdULL;   /* sqrt(1/2)'s bits */
    double sub = x < 0x1p-1022 ? 54 : 0;                /* subnormals: scaled up first */
    x = x < 0x1p-1022 ? x * 0x1p54 : x;
    uint64_t u, mb;
    memcpy(&u, &x, sizeof u);
    /* Taking sqrt(1/2)'s bits away moves the exponent's boundary to sqrt(1/2); the bias
     * of 1024 keeps the difference positive, so that the shift is a logical one. */
    uint64_t v = u - half_root + ((uint64_t)1024 << 52);
    uint64_t eb = (v >> 52) - 1024, ebits;
    memcpy(&ebits, &magic, sizeof ebits);
    ebits += eb;
    double e;
    memcpy(&e, &ebits, sizeof e);
    e -= magic;
    e -= sub;
    mb = (v & 0x000fffffffffffffULL) + half_root;
    double m;
    memcpy(&m, &mb, sizeof m);
    double f = m - 1, sv = f / (2 + f), z = sv * sv, z2 = z * z;
    /* 1/3 + z/5 + ... + z^10/23, as even and odd powers of z: two short chains. */
    double pe = 1.0 / 3 + z2 * (1.0 / 7 + z2 * (1.0 / 11 + z2 * (1.0 / 15 + z2 * (1.0 / 19 + z2 * (1.0 / 23)))));
    double po = 1.0 / 5 + z2 * (1.0 / 9 + z2 * (1.0 / 13 + z2 * (1.0 / 17 + z2 * (1.0 / 21))));
    double q = pe + z * po;
    return e * ln2hi + (2 * sv + (2 * sv * z * q + e * ln2lo));
}

/* e^x for x in [-708, 0] with a relative error under 1e-8, several times cheaper than
 * libm's exp: 2^x/ln2 split into an integer power (built in the exponent bits) and
 * 2^f for |f| <= 1/2 (Taylor to degree 7). It only feeds sums that rank candidates.
 * Rounding to an integer by adding and taking away 1.5 * 2^52 (which leaves the integer
 * in the low bits) instead of nearbyint lets gcc vectorize loops that call it. */
static inline double dt_tpe__exp_neg(double x)
{
    const double magic = 0x1.8p52;
    double t = x * M_LOG2E, sh = t + magic, n = sh - magic, f = (t - n) * M_LN2;
    double p = 1 + f * (1 + f * (1.0 / 2 + f * (1.0 / 6 + f * (1.0 / 24 + f * (1.0 / 120 + f * (1.0 / 720 +
               f * (1.0 / 5040)))))));
    return p * dt_tpe__pow2(sh);
}

/* The largest of a[0..n-1] (n >= 1), in four lanes: without -ffast-math gcc keeps a
 * single running max scalar (it may not reorder the comparisons); lanes it vectorizes. */
static inline double dt_tpe__max(const double *a, int n)
{
    double lane[4] = {a[0], a[0], a[0], a[0]};
    int n4 = n & ~3;
    for (int k = 0; k < n4; k += 4)
        for (int q = 0; q < 4; q++) lane[q] = a[k + q] > lane[q] ? a[k + q] : lane[q];
    for (int k = n4; k < n; k++) lane[0] = a[k] > lane[0] ? a[k] : lane[0];
    double m = lane[0] > lane[1] ? lane[0] : lane[1], m2 = lane[2] > lane[3] ? lane[2] : lane[3];
    return m > m2 ? m : m2;
}

/* A value, where it came from, and its bucket while sorting. */
typedef struct dt_tpe__keyed {
    double v;
    int i, b;
} dt_tpe__keyed;

/* An integer key whose unsigned order is the order of finite doubles: the sign bit
 * flipped for positives, every bit for negatives. Adding 0.0 first makes -0.0 and 0.0
 * one key, as they compare equal. */
static inline uint64_t dt_tpe__key(double v)
{
    uint64_t u;
    v += 0.0;
    memcpy(&u, &v, sizeof u);
    return u ^ ((uint64_t)((int64_t)u >> 63) | 0x8000000000000000ULL);
}

/* Sorts a[0..n-1] by value with tmp as scratch: a byte-wise LSD radix sort on
 * dt_tpe__key, stable, so equal values keep their order. A byte that is the same in
 * every key (the exponent's, often) costs no pass. */
static void dt_tpe__radix_sort(dt_tpe__keyed *a, dt_tpe__keyed *tmp, int n)
{
    uint32_t cnt[8][256];
    memset(cnt, 0, sizeof cnt);
    for (int x = 0; x < n; x++) {
        uint64_t k = dt_tpe__key(a[x].v);
        for (int d = 0; d < 8; d++) cnt[d][(k >> (8 * d)) & 255]++;
    }
    dt_tpe__keyed *src = a, *dst = tmp;
    for (int d = 0; d < 8; d++) {
        uint32_t *c = cnt[d], sum = 0;
        if (c[(dt_tpe__key(src[0].v) >> (8 * d)) & 255] == (uint32_t)n) continue;
        for (int b = 0; b < 256; b++) {
            uint32_t v = c[b];
            c[b] = sum;
            sum += v;
        }
        for (int x = 0; x < n; x++) dst[c[(dt_tpe__key(src[x].v) >> (8 * d)) & 255]++] = src[x];
        dt_tpe__keyed *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, (size_t)n * sizeof *a);
}

/* Sorts a[0..n-1] (entered in index order) by value, ties in index order, with tmp (n)
 * and cnt (n + 1) as scratch. With one sort per dimension per estimator per suggestion,
 * comparison sorts (qsort, then a merge sort) were a third of a suggestion at 1,000
 * trials. Here: one stable counting pass into n buckets of equal width between the
 * smallest and the largest value (the bucket is a monotone function of the value, so
 * buckets come in order and equal values share one), then one insertion pass, which
 * only moves values that met in a bucket. When that moves more than 8n entries (values
 * crowded near an optimum), the radix sort finishes instead, so crowding never costs
 * quadratic time. Both passes are stable: equal values stay in index order. */
static void dt_tpe__sort(dt_tpe__keyed *a, dt_tpe__keyed *tmp, int n, uint32_t *cnt)
{
    if (n <= 32) {
        for (int k = 1; k < n; k++) {
            dt_tpe__keyed x = a[k];
            int j = k;
            for (; j > 0 && x.v < a[j - 1].v; j--) a[j] = a[j - 1];
            a[j] = x;
        }
        return;
    }
    /* Four lanes, so that the comparisons do not wait on each other. */
    double lo4[4], hi4[4];
    for (int q = 0; q < 4; q++) lo4[q] = hi4[q] = a[0].v;
    for (int k = 0; k + 4 <= n; k += 4)
        for (int q = 0; q < 4; q++) {
            double v = a[k + q].v;
            lo4[q] = v < lo4[q] ? v : lo4[q];
            hi4[q] = v > hi4[q] ? v : hi4[q];
        }
    for (int k = n & ~3; k < n; k++) {
        lo4[0] = a[k].v < lo4[0] ? a[k].v : lo4[0];
        hi4[0] = a[k].v > hi4[0] ? a[k].v : hi4[0];
    }
    double lo = lo4[0], hi = hi4[0];
    for (int q = 1; q < 4; q++) {
        lo = lo4[q] < lo ? lo4[q] : lo;
        hi = hi4[q] > hi ? hi4[q] : hi;
    }
    if (!(hi > lo)) return;   /* all equal: index order is the order */
    double scale = n / (hi - lo);
    if (!isfinite(scale) || scale <= 0) {
        dt_tpe__radix_sort(a, tmp, n);
        return;
    }
    memset(cnt, 0, (size_t)(n + 1) * sizeof *cnt);
    for (int k = 0; k < n; k++) {
        int b = (int)((a[k].v - lo) * scale);
        b = b > n - 1 ? n - 1 : b;
        a[k].b = b;
        cnt[b + 1]++;
    }
    for (int b = 0; b < n; b++) cnt[b + 1] += cnt[b];
    for (int k = 0; k < n; k++) tmp[cnt[a[k].b]++] = a[k];
    long moves = 0, budget = 8L * n;
    for (int k = 1; k < n; k++) {
        dt_tpe__keyed x = tmp[k];
        int j = k;
        for (; j > 0 && x.v < tmp[j - 1].v; j--) tmp[j] = tmp[j - 1];
        tmp[j] = x;
        moves += k - j;
        if (moves > budget) {
            dt_tpe__radix_sort(tmp, a, n);
            break;
        }
    }
    memcpy(a, tmp, (size_t)n * sizeof *a);
}

#endif
