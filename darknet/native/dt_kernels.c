/* dt_kernels.c: faster CPU kernels for Darknet, compiled into the native build only
 * (make native: darknet/build.sh copies this file into Darknet's src/ and builds it
 * with -DDT_KERNELS; darknet/patches/04-native-kernels.patch leaves Darknet's own
 * versions of these functions out under that macro and adds this object).
 *
 * Why: a profile of cfg/fashion.cfg training with the plain -march=native build spent
 * over three quarters of its time in these nine functions, which are correct but leave
 * the CPU idle: gemm_cpu loads and stores a row of C for every multiply-add,
 * im2col/col2im test the bounds of every pixel, the batch-norm sums accumulate into
 * memory that may alias their input (no register, no vectors), and
 * activate_array/gradient_array switch on the activation for every element. With
 * these, that training runs twice as fast again (41.7 against 21.0 ms per iteration on
 * a 2-core znver3, side by side). Each function here keeps Darknet's name, signature and result
 * (the same sums in the same order where it is cheap; sums of a reduction in vector
 * lanes where that is where the time goes) and is checked against the Debian
 * libdarknet's own function on random shapes by tests/native_kernels.c.
 *
 * Plain C with GCC's vector extensions: -march=native picks the instructions (AVX2 and
 * FMA on current x86-64, two 128-bit halves on Zen 1, SSE on older CPUs). */
#ifdef DT_KERNELS
#include <math.h>
#include <string.h>

#include "darknet.h"
#include "activations.h"

/* Eight floats, at any alignment, aliasing float arrays. */
typedef float v8 __attribute__((vector_size(32), aligned(4), may_alias));

static inline v8 ld(const float *p) { return *(const v8 *)p; }
static inline void st(float *p, v8 v) { *(v8 *)p = v; }
static inline float hsum(v8 v)
{
    float s = 0;
    for (int i = 0; i < 8; i++) s += v[i];
    return s;
}

/* C[i][j] += alpha * sum_k a(i,k) * B[k][j], a(i,k) = A[i*si + k*sk]: gemm_nn (si = lda,
 * sk = 1) and gemm_tn (si = 1, sk = lda). Four rows of C by 16 columns stay in
 * registers while k runs, so each B row segment loaded feeds 4 rows and C is touched
 * once per block instead of once per k. Per element the sum runs in Darknet's order.
 * (Measured on conv shapes: twice the multiply-adds per second of Darknet's loops built
 * with -march=native, near the FMA units' peak.) */
static void gemm_rows(int M, int N, int K, float alpha, const float *A, int si, int sk,
                      const float *B, int ldb, float *C, int ldc)
{
    int j = 0;
    /* Column panels outside, rows inside: the K x 16 panel of B stays in L1 while
     * every block of rows passes over it. */
    for (; j + 16 <= N; j += 16) {
        int i = 0;
        for (; i + 4 <= M; i += 4) {
            const float *a0 = A + (size_t)i * si, *a1 = a0 + si, *a2 = a1 + si, *a3 = a2 + si;
            float *c0 = C + (size_t)i * ldc + j, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
            v8 x00 = ld(c0), x01 = ld(c0 + 8), x10 = ld(c1), x11 = ld(c1 + 8);
            v8 x20 = ld(c2), x21 = ld(c2 + 8), x30 = ld(c3), x31 = ld(c3 + 8);
            for (int k = 0; k < K; k++) {
                const float *b = B + (size_t)k * ldb + j;
                v8 b0 = ld(b), b1 = ld(b + 8);
                size_t ak = (size_t)k * sk;
                float p0 = alpha * a0[ak], p1 = alpha * a1[ak], p2 = alpha * a2[ak], p3 = alpha * a3[ak];
                x00 += p0 * b0; x01 += p0 * b1;
                x10 += p1 * b0; x11 += p1 * b1;
                x20 += p2 * b0; x21 += p2 * b1;
                x30 += p3 * b0; x31 += p3 * b1;
            }
            st(c0, x00); st(c0 + 8, x01); st(c1, x10); st(c1 + 8, x11);
            st(c2, x20); st(c2 + 8, x21); st(c3, x30); st(c3 + 8, x31);
        }
        for (; i < M; i++) {
            const float *a = A + (size_t)i * si;
            float *c = C + (size_t)i * ldc + j;
            v8 x0 = ld(c), x1 = ld(c + 8);
            for (int k = 0; k < K; k++) {
                const float *b = B + (size_t)k * ldb + j;
                float p = alpha * a[(size_t)k * sk];
                x0 += p * ld(b); x1 += p * ld(b + 8);
            }
            st(c, x0); st(c + 8, x1);
        }
    }
    /* The last N % 16 columns, one element at a time. */
    for (int i = 0; i < M && j < N; i++) {
        const float *a = A + (size_t)i * si;
        float *c = C + (size_t)i * ldc;
        for (int jj = j; jj < N; jj++) {
            float s = c[jj];
            for (int k = 0; k < K; k++) s += alpha * a[(size_t)k * sk] * B[(size_t)k * ldb + jj];
            c[jj] = s;
        }
    }
}

/* C[i][j] += alpha * dot(A row i, B row j) (gemm_nt: the weight gradient). Four rows of
 * A against two of B: six vector loads feed eight multiply-adds. */
static float dot(const float *a, const float *b, int K)
{
    v8 s = {0};
    int k = 0;
    for (; k + 8 <= K; k += 8) s += ld(a + k) * ld(b + k);
    float t = hsum(s);
    for (; k < K; k++) t += a[k] * b[k];
    return t;
}

static void gemm_nt(int M, int N, int K, float alpha, const float *A, int lda,
                    const float *B, int ldb, float *C, int ldc)
{
    int i = 0;
    for (; i + 4 <= M; i += 4) {
        const float *a0 = A + (size_t)i * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
        float *c0 = C + (size_t)i * ldc, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
        int j = 0;
        for (; j + 2 <= N; j += 2) {
            const float *b0 = B + (size_t)j * ldb, *b1 = b0 + ldb;
            v8 s00 = {0}, s01 = {0}, s10 = {0}, s11 = {0}, s20 = {0}, s21 = {0}, s30 = {0}, s31 = {0};
            int k = 0;
            for (; k + 8 <= K; k += 8) {
                v8 u = ld(b0 + k), v = ld(b1 + k), x;
                x = ld(a0 + k); s00 += x * u; s01 += x * v;
                x = ld(a1 + k); s10 += x * u; s11 += x * v;
                x = ld(a2 + k); s20 += x * u; s21 += x * v;
                x = ld(a3 + k); s30 += x * u; s31 += x * v;
            }
            float t[8] = {hsum(s00), hsum(s01), hsum(s10), hsum(s11),
                          hsum(s20), hsum(s21), hsum(s30), hsum(s31)};
            for (; k < K; k++) {
                float u = b0[k], v = b1[k];
                t[0] += a0[k] * u; t[1] += a0[k] * v; t[2] += a1[k] * u; t[3] += a1[k] * v;
                t[4] += a2[k] * u; t[5] += a2[k] * v; t[6] += a3[k] * u; t[7] += a3[k] * v;
            }
            c0[j] += alpha * t[0]; c0[j + 1] += alpha * t[1];
            c1[j] += alpha * t[2]; c1[j + 1] += alpha * t[3];
            c2[j] += alpha * t[4]; c2[j + 1] += alpha * t[5];
            c3[j] += alpha * t[6]; c3[j + 1] += alpha * t[7];
        }
        for (; j < N; j++) {
            const float *b = B + (size_t)j * ldb;
            c0[j] += alpha * dot(a0, b, K); c1[j] += alpha * dot(a1, b, K);
            c2[j] += alpha * dot(a2, b, K); c3[j] += alpha * dot(a3, b, K);
        }
    }
    for (; i < M; i++)
        for (int j = 0; j < N; j++)
            C[(size_t)i * ldc + j] += alpha * dot(A + (size_t)i * lda, B + (size_t)j * ldb, K);
}

/* Neither Darknet layer calls this one on the CPU; kept simple. */
static void gemm_tt(int M, int N, int K, float alpha, const float *A, int lda,
                    const float *B, int ldb, float *C, int ldc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = 0;
            for (int k = 0; k < K; k++) s += A[i + (size_t)k * lda] * B[k + (size_t)j * ldb];
            C[(size_t)i * ldc + j] += alpha * s;
        }
}

void gemm_cpu(int TA, int TB, int M, int N, int K, float ALPHA, float *A, int lda,
              float *B, int ldb, float BETA, float *C, int ldc)
{
    if (BETA != 1)  /* Darknet multiplies even by 0: a nan in C stays nan */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] *= BETA;
    if (!TA && !TB) gemm_rows(M, N, K, ALPHA, A, lda, 1, B, ldb, C, ldc);
    else if (TA && !TB) gemm_rows(M, N, K, ALPHA, A, 1, lda, B, ldb, C, ldc);
    else if (!TA && TB) gemm_nt(M, N, K, ALPHA, A, lda, B, ldb, C, ldc);
    else gemm_tt(M, N, K, ALPHA, A, lda, B, ldb, C, ldc);
}

/* The output columns w whose image column off + w*stride (off: the kernel column less
 * the pad) lies inside the image: [*lo, *hi). Outside it im2col writes zeros, col2im
 * adds nothing. */
static void inside(int wc, int width, int off, int stride, int *lo, int *hi)
{
    int a = 0, b = wc;
    while (a < b && off + a * stride < 0) a++;
    while (b > a && off + (b - 1) * stride >= width) b--;
    *lo = a, *hi = b;
}

/* One row of the column matrix at a time: zeros where the kernel hangs over the edge,
 * a copy (stride 1) or a strided gather in between. */
void im2col_cpu(float *data_im, int channels, int height, int width, int ksize, int stride,
                int pad, float *data_col)
{
    int hc = (height + 2 * pad - ksize) / stride + 1, wc = (width + 2 * pad - ksize) / stride + 1;
    for (int c = 0; c < channels * ksize * ksize; c++) {
        int kw = c % ksize, kh = c / ksize % ksize, ci = c / ksize / ksize, off = kw - pad, lo, hi;
        const float *plane = data_im + (size_t)ci * height * width;
        inside(wc, width, off, stride, &lo, &hi);
        for (int h = 0; h < hc; h++) {
            float *dst = data_col + ((size_t)c * hc + h) * wc;
            int row = kh + h * stride - pad;
            if (row < 0 || row >= height) {
                memset(dst, 0, sizeof(float) * wc);
                continue;
            }
            const float *src = plane + (size_t)row * width;  /* column w reads src[off + w * stride] */
            memset(dst, 0, sizeof(float) * lo);
            if (stride == 1) memcpy(dst + lo, src + (off + lo), sizeof(float) * (hi - lo));
            else for (int w = lo; w < hi; w++) dst[w] = src[off + w * stride];
            memset(dst + hi, 0, sizeof(float) * (wc - hi));
        }
    }
}

/* The adjoint: each column element is added to its pixel, in Darknet's order. */
void col2im_cpu(float *data_col, int channels, int height, int width, int ksize, int stride,
                int pad, float *data_im)
{
    int hc = (height + 2 * pad - ksize) / stride + 1, wc = (width + 2 * pad - ksize) / stride + 1;
    for (int c = 0; c < channels * ksize * ksize; c++) {
        int kw = c % ksize, kh = c / ksize % ksize, ci = c / ksize / ksize, off = kw - pad, lo, hi;
        float *plane = data_im + (size_t)ci * height * width;
        inside(wc, width, off, stride, &lo, &hi);
        for (int h = 0; h < hc; h++) {
            int row = kh + h * stride - pad;
            if (row < 0 || row >= height) continue;
            const float *src = data_col + ((size_t)c * hc + h) * wc;
            float *dst = plane + (size_t)row * width;
            /* stride 1 spelt out: a constant stride lets the compiler vectorize the adds */
            if (stride == 1) for (int w = lo; w < hi; w++) dst[off + w] += src[w];
            else for (int w = lo; w < hi; w++) dst[off + w * stride] += src[w];
        }
    }
}

/* Batch-norm statistics per filter over batch x spatial. The sums run in a local
 * (vector lanes under -Ofast), not in the output array, which could alias x. */
void mean_cpu(float *x, int batch, int filters, int spatial, float *mean)
{
    float scale = 1. / (batch * spatial);
    for (int i = 0; i < filters; i++) {
        float s = 0;
        for (int j = 0; j < batch; j++) {
            const float *p = x + ((size_t)j * filters + i) * spatial;
            for (int k = 0; k < spatial; k++) s += p[k];
        }
        mean[i] = s * scale;
    }
}

void variance_cpu(float *x, float *mean, int batch, int filters, int spatial, float *variance)
{
    float scale = 1. / (batch * spatial - 1);
    for (int i = 0; i < filters; i++) {
        float s = 0, m = mean[i];
        for (int j = 0; j < batch; j++) {
            const float *p = x + ((size_t)j * filters + i) * spatial;
            for (int k = 0; k < spatial; k++) s += (p[k] - m) * (p[k] - m);
        }
        variance[i] = s * scale;
    }
}

void mean_delta_cpu(float *delta, float *variance, int batch, int filters, int spatial, float *mean_delta)
{
    for (int i = 0; i < filters; i++) {
        float s = 0;
        for (int j = 0; j < batch; j++) {
            const float *d = delta + ((size_t)j * filters + i) * spatial;
            for (int k = 0; k < spatial; k++) s += d[k];
        }
        mean_delta[i] = s * (-1. / sqrt(variance[i] + .00001f));
    }
}

void variance_delta_cpu(float *x, float *delta, float *mean, float *variance, int batch,
                        int filters, int spatial, float *variance_delta)
{
    for (int i = 0; i < filters; i++) {
        float s = 0, m = mean[i];
        for (int j = 0; j < batch; j++) {
            size_t o = ((size_t)j * filters + i) * spatial;
            for (int k = 0; k < spatial; k++) s += delta[o + k] * (x[o + k] - m);
        }
        variance_delta[i] = s * (-.5 * pow(variance[i] + .00001f, (float)(-3. / 2.)));
    }
}

/* The activation chosen once per array, not once per element. The two that Darknet's
 * cfgs use most have their own loops, with Darknet's arithmetic (the forward .1 is a
 * double, the gradient's a float);
 * every other activation goes through Darknet's activate() and gradient(). */
void activate_array(float *x, const int n, const ACTIVATION a)
{
    switch (a) {
    case LINEAR: return;
    case LEAKY:
        for (int i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : .1 * x[i];
        return;
    default:
        for (int i = 0; i < n; i++) x[i] = activate(x[i], a);
    }
}

void gradient_array(const float *x, const int n, const ACTIVATION a, float *delta)
{
    switch (a) {
    case LINEAR: return;
    case LEAKY:
        for (int i = 0; i < n; i++) delta[i] *= x[i] > 0 ? 1.f : .1f;
        return;
    default:
        for (int i = 0; i < n; i++) delta[i] *= gradient(x[i], a);
    }
}
#endif
