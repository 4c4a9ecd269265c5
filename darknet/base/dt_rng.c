/* dt_rng: xoshiro256** (Blackman & Vigna), state filled by splitmix64. */
#include "dt_rng.h"

#include <math.h>

static uint64_t dt_rng__splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t dt_rng__rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void dt_rng_seed(dt_rng *r, uint64_t seed, uint64_t stream)
{
    /* Mix the stream in through its own splitmix step so that (seed, stream) pairs
     * that differ by one bit still give unrelated sequences. */
    uint64_t x = seed;
    uint64_t y = stream ^ 0x5851f42d4c957f2dULL;
    uint64_t k = dt_rng__splitmix(&x) ^ dt_rng__splitmix(&y);
    for (int i = 0; i < 4; i++) r->s[i] = dt_rng__splitmix(&k);
}

uint64_t dt_rng_u64(dt_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = dt_rng__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = dt_rng__rotl(s[3], 45);
    return out;
}

double dt_rng_uniform(dt_rng *r)
{
    return (double)(dt_rng_u64(r) >> 11) * 0x1.0p-53;
}

double dt_rng_normal(dt_rng *r)
{
    /* Box-Muller; 1 - u keeps log's argument in (0, 1]. */
    double u = 1.0 - dt_rng_uniform(r), v = dt_rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

uint64_t dt_rng_below(dt_rng *r, uint64_t n)
{
    /* Rejection keeps every value equally likely (Lemire's threshold). */
    uint64_t limit = -n % n;
    for (;;) {
        uint64_t x = dt_rng_u64(r);
        if (x >= limit) return x % n;
    }
}

void dt_rng_shuffle(dt_rng *r, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)dt_rng_below(r, (uint64_t)i + 1);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
