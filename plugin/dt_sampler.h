/* dt_sampler: where the next trial's values come from.
 *
 * One interface for every sampler: given the space, every trial so far (finished
 * and running) and the number of the trial to fill, write its values. Samplers
 * know nothing of Darknet, files or storage. Randomness is seeded from the study
 * seed and the trial number, so a trial's suggestion is the same whatever order
 * parallel trials finish in, and the same sweep and seed give the same trials. */
#ifndef DT_SAMPLER_H
#define DT_SAMPLER_H

#include "dt_space.h"
#include "dt_trial.h"

typedef enum { DT_SAMPLER_RANDOM, DT_SAMPLER_GRID, DT_SAMPLER_TPE, DT_SAMPLER_AUTO } dt_sampler_kind;
/* "random", "grid", "tpe", "auto" (index = kind), NULL-terminated. */
extern const char *const dt_sampler_names[];
const char *dt_sampler_name(dt_sampler_kind k);   /* "?" when out of range */

/* TPE's options ([sampler] keys), and the study's direction. */
typedef struct dt_tpe_opts {
    int startup_trials;  /* finished trials drawn at random before the model is used (10) */
    int ei_candidates;   /* candidates drawn from l(x) and scored per suggestion; 0 = auto (24 to 64) */
    int multivariate;    /* 1: joint kernels over co-active parameters; 0: one per parameter; -1: as
                          * Optuna's default, joint for one objective, one per parameter for several
                          * (bench/pareto.sh: joint kernels lose hypervolume on ZDT and DTLZ2) */
    double gamma;        /* fraction of finished trials taken as good; 0 = auto (Optuna's) */
    int maximize;        /* the study maximizes its metric (filled from [study]) */
    /* More than one objective ([study] objectives, filled from it): the good trials are
     * split off by non-domination rank and hypervolume contribution (Optuna's MOTPE);
     * maximize is then unused. nobj <= 1: the one objective is value and maximize. */
    int nobj;
    dt_objective obj[DT_OBJ_MAX];
} dt_tpe_opts;
/* TPE's defaults: a zeroed dt_tpe_opts would start the model at once. */
#define DT_TPE_OPTS_DEFAULT ((dt_tpe_opts){.startup_trials = 10, .multivariate = -1})

#define DT_SAMPLER_GRID_MAX 1000000L   /* rows of a grid: every row is kept in memory */
#define DT_SAMPLER_GRID_POINTS 5       /* grid: values per continuous parameter by default */

/* A sampler's options: the kind and each kind's own. */
typedef struct dt_sampler_opts {
    dt_sampler_kind kind;  /* never AUTO when creating a sampler */
    int grid_points;       /* grid: values per continuous parameter; 0 = 5 */
    dt_tpe_opts tpe;
} dt_sampler_opts;

typedef struct dt_sampler dt_sampler;

/* Creates a sampler of o->kind (not AUTO: the caller resolves it) for the space (the
 * caller's; it must outlive the sampler). */
int dt_sampler_create(dt_sampler **out, const dt_sampler_opts *o, const dt_space *space,
                      unsigned long long seed, dt_err *err);
/* Fills vals (space->n entries) for trial `number`. trials: all trials of the study
 * in number order, whatever their state. Returns 0 with a suggestion, 1 when the
 * sampler has nothing left to suggest (a grid fully used), -1 on error. */
int dt_sampler_suggest(dt_sampler *s, const dt_trial *trials, int ntrials, int number,
                       dt_value *vals, dt_err *err);
/* Number of distinct points the sampler can give, or -1 when unbounded. */
long dt_sampler_size(const dt_sampler *s);
void dt_sampler_free(dt_sampler *s);

#endif
