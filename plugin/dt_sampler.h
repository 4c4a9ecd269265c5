/* dt_sampler: where the next trial's values come from.
 *
 * One interface for every sampler: given the space, every trial so far (finished
 * and running) and the number of the trial to fill, write its values. Samplers
 * know nothing of Darknet, files or storage. Randomness is seeded from the study
 * seed and the trial number, so a trial's suggestion is the same whatever order
 * parallel trials finish in, and the same sweep and seed give the same trials. */
#ifndef DT_SAMPLER_H
#define DT_SAMPLER_H

#include "dt_sweep.h"
#include "dt_trial.h"

typedef struct dt_sampler dt_sampler;

/* Creates a sampler of the given kind (not AUTO: the caller resolves it) for the space. */
int dt_sampler_create(dt_sampler **out, dt_sampler_kind kind, const dt_space *space,
                      unsigned long long seed, const dt_sweep *opts, dt_err *err);
/* Fills vals (space->n entries) for trial `number`. trials: all trials of the study
 * in number order, whatever their state. Returns 0 with a suggestion, 1 when the
 * sampler has nothing left to suggest (a grid fully used), -1 on error. */
int dt_sampler_suggest(dt_sampler *s, const dt_trial *trials, int ntrials, int number,
                       dt_value *vals, dt_err *err);
/* Number of distinct points the sampler can give, or -1 when unbounded. */
long dt_sampler_size(const dt_sampler *s);
void dt_sampler_free(dt_sampler *s);

#endif
