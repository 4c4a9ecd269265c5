/* dt_rng: explicit, seeded randomness (xoshiro256**, seeded through splitmix64).
 *
 * Every random draw in darktune comes from a dt_rng that the caller seeds from the
 * study seed and a stream number (usually the trial number), so that a trial's
 * suggestion does not depend on the order in which parallel trials finished.
 * There is no global generator, and nothing is seeded from the clock. */
#ifndef DT_RNG_H
#define DT_RNG_H

#include <stdint.h>

typedef struct dt_rng {
    uint64_t s[4];
} dt_rng;

/* Same (seed, stream), same sequence, on every machine. */
void dt_rng_seed(dt_rng *r, uint64_t seed, uint64_t stream);
uint64_t dt_rng_u64(dt_rng *r);
double dt_rng_uniform(dt_rng *r);                 /* [0, 1), 53 random bits */
double dt_rng_normal(dt_rng *r);                  /* mean 0, standard deviation 1 */
uint64_t dt_rng_below(dt_rng *r, uint64_t n);     /* uniform in [0, n), no modulo bias; n > 0 */
void dt_rng_shuffle(dt_rng *r, int *a, int n);    /* Fisher-Yates */

#endif
