/* dt_sampler: random and grid samplers behind one handle.
 *
 * Random draws trial N's values from a generator seeded with (seed, N) alone, so a
 * trial's values never depend on which other trials exist or when they finished.
 * Grid enumerates the space once, in an order shuffled by the seed (as Optuna does,
 * so that a budget smaller than the grid still spreads over all of it), and hands
 * out the first row no trial has used yet.
 *
 * TPE lives in dt_sampler_tpe.c; this handle only dispatches to it.
 *
 * It does not decide which sampler a sweep gets (the caller resolves auto). */
#include "dt_sampler.h"
#include "dt_sampler_tpe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Grid shuffle stream: far from any trial number, which streams the random sampler uses. */
#define DT_SAMPLER__GRID_STREAM 0x67726964ULL /* "grid" */

const char *const dt_sampler_names[] = {"random", "grid", "tpe", "auto", NULL};

const char *dt_sampler_name(dt_sampler_kind k)
{
    return k >= DT_SAMPLER_RANDOM && k <= DT_SAMPLER_AUTO ? dt_sampler_names[k] : "?";
}

struct dt_sampler {
    dt_sampler_kind kind;
    const dt_space *space; /* the caller's; it outlives the sampler */
    unsigned long long seed;
    dt_value *rows;        /* grid: nrows rows of space->n values */
    long nrows;
    int *order;            /* grid: row indices in the order they are handed out */
    dt_tpe *tpe;           /* tpe: the model */
};

/* Creates a random, grid or TPE sampler; the grid is enumerated and shuffled here, so
 * its size errors come before any trial runs. */
int dt_sampler_create(dt_sampler **out, const dt_sampler_opts *o, const dt_space *space,
                      unsigned long long seed, dt_err *err)
{
    dt_sampler_kind kind = o->kind;
    if (kind != DT_SAMPLER_RANDOM && kind != DT_SAMPLER_GRID && kind != DT_SAMPLER_TPE)
        return dt_errf(err, "sampler kind %d cannot be created: resolve 'auto' first", (int)kind);

    dt_sampler *s = dt_xcalloc(1, sizeof *s);
    s->kind = kind;
    s->space = space;
    s->seed = seed;
    if (kind == DT_SAMPLER_TPE && dt_tpe_create(&s->tpe, space, seed, &o->tpe, err) < 0) {
        free(s);
        return -1;
    }
    if (kind == DT_SAMPLER_GRID) {
        int points = o->grid_points > 0 ? o->grid_points : DT_SAMPLER_GRID_POINTS;
        if (dt_space_grid(space, points, DT_SAMPLER_GRID_MAX, &s->rows, &s->nrows, err) < 0) {
            if (err) {
                size_t len = strlen(err->msg);
                snprintf(err->msg + len, sizeof err->msg - len, "; lower grid_points or use sampler random");
            }
            free(s);
            return -1;
        }
        s->order = dt_xmalloc((size_t)s->nrows * sizeof *s->order);
        for (long i = 0; i < s->nrows; i++) s->order[i] = (int)i;
        dt_rng rng;
        dt_rng_seed(&rng, seed, DT_SAMPLER__GRID_STREAM);
        dt_rng_shuffle(&rng, s->order, (int)s->nrows);
    }
    *out = s;
    return 0;
}

/* Whether a trial other than `number` (and not the baseline, which runs the base cfg
 * rather than a grid point) already has these values, whatever its state. */
static int dt_sampler__used(const dt_sampler *s, const dt_value *row, const dt_trial *trials,
                            int ntrials, int number)
{
    for (int t = 0; t < ntrials; t++) {
        const dt_trial *tr = &trials[t];
        if (tr->number == number || tr->baseline || !tr->values) continue;
        if (dt_values_equal(s->space, row, tr->values)) return 1;
    }
    return 0;
}

/* Random: a fresh generator for (seed, number). Grid: the first unused row in shuffled
 * order; 1 once every row has a trial. TPE: the model's pick (random's draw at first). */
int dt_sampler_suggest(dt_sampler *s, const dt_trial *trials, int ntrials, int number,
                       dt_value *vals, dt_err *err)
{
    int n = s->space->n;
    if (s->kind == DT_SAMPLER_RANDOM) {
        dt_rng rng;
        dt_rng_seed(&rng, s->seed, (uint64_t)number);
        dt_space_sample(s->space, &rng, vals);
        return 0;
    }
    if (s->kind == DT_SAMPLER_TPE) return dt_tpe_suggest(s->tpe, trials, ntrials, number, vals, err);
    for (long i = 0; i < s->nrows; i++) {
        const dt_value *row = s->rows + (size_t)s->order[i] * (size_t)n;
        if (dt_sampler__used(s, row, trials, ntrials, number)) continue;
        memcpy(vals, row, (size_t)n * sizeof *vals);
        return 0;
    }
    return 1;
}

/* Grid rows, or -1: random never runs out. */
long dt_sampler_size(const dt_sampler *s)
{
    return s->kind == DT_SAMPLER_GRID ? s->nrows : -1;
}

/* Frees the sampler (not the space it was given); NULL is fine. */
void dt_sampler_free(dt_sampler *s)
{
    if (!s) return;
    free(s->rows);
    free(s->order);
    dt_tpe_free(s->tpe);
    free(s);
}
