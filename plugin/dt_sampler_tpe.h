/* dt_sampler_tpe: the tree-structured Parzen estimator behind dt_sampler's handle.
 *
 * Private to the sampler module: dt_sampler.c creates, asks and frees it for
 * `type = tpe`; nothing else should include this header. It knows the space, the
 * trials and its options, nothing of sweeps, Darknet or storage. */
#ifndef DT_SAMPLER_TPE_H
#define DT_SAMPLER_TPE_H

#include "dt_sampler.h"

typedef struct dt_tpe dt_tpe;

/* Creates a TPE sampler for the space (the caller's; it must outlive the sampler).
 * opts may be NULL: DT_TPE_OPTS_DEFAULT then (10 startup trials, 24 candidates growing
 * to 48, multivariate for one objective, Optuna's gamma, minimize). Fails only on a space it cannot model. */
int dt_tpe_create(dt_tpe **out, const dt_space *space, unsigned long long seed, const dt_tpe_opts *opts,
                  dt_err *err);

/* Fills vals (space->n entries) for trial `number` from trials[0..ntrials-1] (any
 * order, any state; only trials numbered below `number` are read). Returns 0. */
int dt_tpe_suggest(dt_tpe *t, const dt_trial *trials, int ntrials, int number, dt_value *vals, dt_err *err);

/* Which trials the model for trial `number` would take as good: below[i] (ntrials
 * entries) 1 good, 0 bad (running trials among them), -1 left out (failed, later, or
 * without a value of every objective). Returns the number of complete and pruned trials
 * counted. dt_tpe_suggest splits by it; open so that tests can check the split itself
 * (tests/t_pareto.sh: against Optuna's, several objectives). */
int dt_tpe_split(const dt_tpe *t, const dt_trial *trials, int ntrials, int number, signed char *below);

/* Frees the sampler (not the space); NULL is fine. */
void dt_tpe_free(dt_tpe *t);

#endif
