/* native_kernels REF.so NEW.so: darknet/native/dt_kernels.c against Darknet's own
 * kernels. Loads both libdarknets (each in its own scope: they export the same names),
 * runs each of the nine kernels on the same random inputs over a grid of shapes (odd
 * sizes, tails shorter than a vector, padded leading dimensions, strides, pads, every
 * activation) and compares the outputs:
 *   exactly     im2col, col2im, the LINEAR and LEAKY activations and gradients
 *   to rounding gemm (a bound of K ulps of the sum of |terms|), the batch-norm sums
 *               (relative 1e-4: the sums run in vector lanes, in another order), the
 *               other activations (1e-5: Darknet's own code, compiled for this CPU)
 * Prints one line per kernel with the cases run; exits 1 on any mismatch (the first
 * ten printed) or when a kernel is missing from either library. Used by tests/t_native.sh. */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darknet.h"  /* the Debian package's: ACTIVATION */

typedef void gemm_fn(int, int, int, int, int, float, float *, int, float *, int, float, float *, int);
typedef void im2col_fn(float *, int, int, int, int, int, int, float *);
typedef void stat_fn(float *, int, int, int, float *);                /* mean_cpu */
typedef void stat2_fn(float *, float *, int, int, int, float *);      /* variance_cpu, mean_delta_cpu */
typedef void vdelta_fn(float *, float *, float *, float *, int, int, int, float *);
typedef void act_fn(float *, int, ACTIVATION);
typedef void grad_fn(const float *, int, ACTIVATION, float *);

static void *lib[2];
static int failures;

static void *sym(int which, const char *name)
{
    void *f = dlsym(lib[which], name);
    if (!f) {
        fprintf(stderr, "native_kernels: %s has no %s\n", which ? "the new library" : "the reference", name);
        exit(1);
    }
    return f;
}

/* xorshift64*: the same inputs on every run. */
static uint64_t rng = 0x9e3779b97f4a7c15u;
static float uni(void)
{
    rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
    return (float)((rng * 2685821657736338717u) >> 40) / (float)(1 << 24) * 2 - 1;  /* [-1, 1) */
}
static float *rnd(size_t n)
{
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = uni();
    return p;
}
static float *copy(const float *p, size_t n) { return memcpy(malloc(n * sizeof *p), p, n * sizeof *p); }

static void mismatch(const char *what, size_t i, float want, float got)
{
    if (failures++ < 10) fprintf(stderr, "MISMATCH %s at %zu: reference %.9g, new %.9g\n", what, i, want, got);
}
static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b)); }
static void exact(const char *what, const float *want, const float *got, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!same_bits(want[i], got[i])) { mismatch(what, i, want[i], got[i]); return; }
}
/* Within rel of the reference (plus abs near zero); equal infinities and nans agree. */
static void close_to(const char *what, const float *want, const float *got, size_t n, double rel, double abs)
{
    for (size_t i = 0; i < n; i++)
        if (!same_bits(want[i], got[i]) && want[i] != got[i] && !(fabs(want[i] - got[i]) <= rel * fabs(want[i]) + abs)) {
            mismatch(what, i, want[i], got[i]);
            return;
        }
}

static void check_gemm(void)
{
    gemm_fn *ref = (gemm_fn *)sym(0, "gemm_cpu"), *new = (gemm_fn *)sym(1, "gemm_cpu");
    static const int dims[] = {1, 3, 4, 5, 8, 15, 16, 17, 33, 70};
    static const float alphas[] = {1, -0.5f}, betas[] = {1, 0, 0.25f};
    int n = 0;
    char what[96];
    for (int t = 0; t < 4; t++)
        for (int a = 0; a < 10; a++)
            for (int b = 0; b < 10; b++)
                for (int c = 0; c < 10; c += 3) {
                    int TA = t >> 1, TB = t & 1, M = dims[a], N = dims[b], K = dims[c] * 3 + (t == 2);
                    int pad = (a + b) % 3;  /* leading dimensions beyond the minimum, sometimes */
                    int lda = (TA ? M : K) + pad, ldb = (TB ? K : N) + pad, ldc = N + pad;
                    size_t na = (size_t)(TA ? K : M) * lda, nb = (size_t)(TB ? N : K) * ldb, nc = (size_t)M * ldc;
                    float alpha = alphas[(a + c) % 2], beta = betas[(b + c) % 3];
                    float *A = rnd(na), *B = rnd(nb), *C = rnd(nc), *C0 = copy(C, nc), *C1 = copy(C, nc);
                    ref(TA, TB, M, N, K, alpha, A, lda, B, ldb, beta, C0, ldc);
                    new(TA, TB, M, N, K, alpha, A, lda, B, ldb, beta, C1, ldc);
                    /* Two float sums of the same K + 1 terms in other orders differ by at
                     * most (K + 1) ulps of the sum of the terms' magnitudes, on each side. */
                    for (int i = 0; i < M; i++)
                        for (int j = 0; j < N; j++) {
                            double mag = fabs(beta * C[(size_t)i * ldc + j]);
                            for (int k = 0; k < K; k++)
                                mag += fabs(alpha * (TA ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) *
                                            (TB ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j]));
                            size_t e = (size_t)i * ldc + j;
                            if (!(fabs(C0[e] - C1[e]) <= 2 * (K + 1) * 6e-8 * mag + 1e-30)) {
                                snprintf(what, sizeof what, "gemm_cpu(%d, %d, M %d, N %d, K %d, alpha %g, beta %g)",
                                         TA, TB, M, N, K, alpha, beta);
                                mismatch(what, e, C0[e], C1[e]);
                                i = M;
                                break;
                            }
                        }
                    free(A), free(B), free(C), free(C0), free(C1);
                    n++;
                }
    printf("gemm_cpu: %d cases (all four transposes)\n", n);
}

static void check_im2col(void)
{
    im2col_fn *r1 = (im2col_fn *)sym(0, "im2col_cpu"), *n1 = (im2col_fn *)sym(1, "im2col_cpu");
    im2col_fn *r2 = (im2col_fn *)sym(0, "col2im_cpu"), *n2 = (im2col_fn *)sym(1, "col2im_cpu");
    int n = 0;
    char what[96];
    for (int ch = 1; ch <= 3; ch++)
        for (int h = 1; h <= 9; h += 2)
            for (int w = 1; w <= 10; w += 3)
                for (int k = 1; k <= 5; k++)
                    for (int s = 1; s <= 3; s++)
                        for (int p = 0; p <= k; p++) {
                            int hc = (h + 2 * p - k) / s + 1, wc = (w + 2 * p - k) / s + 1;
                            if (h + 2 * p < k || w + 2 * p < k) continue;
                            size_t nim = (size_t)ch * h * w, ncol = (size_t)ch * k * k * hc * wc;
                            float *im = rnd(nim), *c0 = rnd(ncol), *c1 = copy(c0, ncol);
                            snprintf(what, sizeof what, "im2col_cpu(c %d, h %d, w %d, size %d, stride %d, pad %d)", ch, h, w, k, s, p);
                            r1(im, ch, h, w, k, s, p, c0);
                            n1(im, ch, h, w, k, s, p, c1);
                            exact(what, c0, c1, ncol);
                            float *i0 = rnd(nim), *i1 = copy(i0, nim);
                            snprintf(what, sizeof what, "col2im_cpu(c %d, h %d, w %d, size %d, stride %d, pad %d)", ch, h, w, k, s, p);
                            r2(c0, ch, h, w, k, s, p, i0);
                            n2(c0, ch, h, w, k, s, p, i1);
                            exact(what, i0, i1, nim);
                            free(im), free(c0), free(c1), free(i0), free(i1);
                            n++;
                        }
    printf("im2col_cpu, col2im_cpu: %d shapes each\n", n);
}

static void check_batchnorm(void)
{
    static const int batches[] = {1, 2, 5}, filters[] = {1, 3, 16}, spatials[] = {1, 7, 49, 196};
    stat_fn *mean[2];
    stat2_fn *var[2], *mdelta[2];
    vdelta_fn *vdelta[2];
    for (int v = 0; v < 2; v++) {
        mean[v] = (stat_fn *)sym(v, "mean_cpu"), var[v] = (stat2_fn *)sym(v, "variance_cpu");
        mdelta[v] = (stat2_fn *)sym(v, "mean_delta_cpu"), vdelta[v] = (vdelta_fn *)sym(v, "variance_delta_cpu");
    }
    int n = 0;
    for (int b = 0; b < 3; b++)
        for (int f = 0; f < 3; f++)
            for (int s = 0; s < 4; s++) {
                int B = batches[b], F = filters[f], S = spatials[s];
                if (B * S < 2) continue;  /* variance divides by batch * spatial - 1 */
                size_t nx = (size_t)B * F * S;
                float *x = rnd(nx), *d = rnd(nx), *m = rnd(F), *vr = rnd(F), out[2][16];
                for (int i = 0; i < F; i++) vr[i] = fabsf(vr[i]) + 0.1f;
                for (int v = 0; v < 2; v++) mean[v](x, B, F, S, out[v]);
                close_to("mean_cpu", out[0], out[1], F, 1e-4, 1e-6);
                for (int v = 0; v < 2; v++) var[v](x, m, B, F, S, out[v]);
                close_to("variance_cpu", out[0], out[1], F, 1e-4, 1e-6);
                for (int v = 0; v < 2; v++) mdelta[v](d, vr, B, F, S, out[v]);
                close_to("mean_delta_cpu", out[0], out[1], F, 1e-4, 1e-6);
                for (int v = 0; v < 2; v++) vdelta[v](x, d, m, vr, B, F, S, out[v]);
                close_to("variance_delta_cpu", out[0], out[1], F, 1e-4, 1e-6);
                free(x), free(d), free(m), free(vr);
                n++;
            }
    printf("mean_cpu, variance_cpu, mean_delta_cpu, variance_delta_cpu: %d shapes each\n", n);
}

/* Every value of darknet.h's ACTIVATION (LOGISTIC .. SELU), on inputs that cross each
 * activation's kinks, on lengths that leave a tail. LINEAR and LEAKY have their own
 * loops and must agree exactly; the others call Darknet's activate() and gradient(),
 * which -march=native compiles with fused multiply-adds: to 1e-5. */
static void compare(ACTIVATION a, const char *what, const float *want, const float *got, size_t n)
{
    if (a == LINEAR || a == LEAKY) exact(what, want, got, n);
    else close_to(what, want, got, n, 1e-5, 1e-5);
}

static void check_activations(void)
{
    enum { LEN = 203, ACTIVATIONS = SELU + 1 };
    act_fn *act[2] = {(act_fn *)sym(0, "activate_array"), (act_fn *)sym(1, "activate_array")};
    grad_fn *grad[2] = {(grad_fn *)sym(0, "gradient_array"), (grad_fn *)sym(1, "gradient_array")};
    float x[LEN];
    for (int i = 0; i < LEN; i++) x[i] = (i - LEN / 2) * 0.05f;
    x[0] = -0.0f, x[1] = 0, x[2] = 60, x[3] = -60;  /* not far beyond: STAIR casts floor(x) to int */
    char what[64];
    for (int a = 0; a < ACTIVATIONS; a++)
        for (int len = LEN - 8; len <= LEN; len++) {
            float y0[LEN], y1[LEN], d0[LEN], d1[LEN];
            memcpy(y0, x, sizeof x), memcpy(y1, x, sizeof x);
            act[0](y0, len, a);
            act[1](y1, len, a);
            snprintf(what, sizeof what, "activate_array(activation %d, n %d)", a, len);
            compare(a, what, y0, y1, LEN);
            for (int i = 0; i < LEN; i++) d0[i] = d1[i] = x[(i * 7) % LEN];
            grad[0](y0, len, a, d0);
            grad[1](y0, len, a, d1);
            snprintf(what, sizeof what, "gradient_array(activation %d, n %d)", a, len);
            compare(a, what, d0, d1, LEN);
        }
    printf("activate_array, gradient_array: %d activations\n", ACTIVATIONS);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: native_kernels REFERENCE.so NEW.so\n");
        return 2;
    }
    for (int i = 0; i < 2; i++)
        if (!(lib[i] = dlopen(argv[i + 1], RTLD_NOW | RTLD_LOCAL))) {
            fprintf(stderr, "native_kernels: %s\n", dlerror());
            return 1;
        }
    check_gemm();
    check_im2col();
    check_batchnorm();
    check_activations();
    if (failures) fprintf(stderr, "native_kernels: %d kernel case%s differ\n", failures, failures == 1 ? "" : "s");
    return failures != 0;
}
