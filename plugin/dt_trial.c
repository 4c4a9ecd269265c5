/* dt_trial: state and fate names, what a trial's fate means, and the small amount of
 * memory management trials need. */
#include "dt_trial.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const dt_trial__names[] = {"RUNNING", "COMPLETE", "PRUNED", "FAIL"};

const char *dt_state_name(dt_state s)
{
    return (unsigned)s < 4 ? dt_trial__names[s] : "?";
}

int dt_state_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, dt_trial__names[i]) == 0) return i;
    return -1;
}

static const char *const dt_trial__fates[] = {"counts", "interrupted", "oom", "lost", "imported"};
#define DT_TRIAL__NFATES ((int)(sizeof dt_trial__fates / sizeof *dt_trial__fates))

const char *dt_fate_name(dt_fate f)
{
    return (unsigned)f < (unsigned)DT_TRIAL__NFATES ? dt_trial__fates[f] : "?";
}

int dt_fate_parse(const char *name)
{
    for (int i = 0; i < DT_TRIAL__NFATES; i++)
        if (strcmp(name, dt_trial__fates[i]) == 0) return i;
    return -1;
}

int dt_trial_counts(const dt_trial *t)
{
    return t->state != DT_RUNNING && t->fate == DT_FATE_COUNTS;
}

/* A linear scan over rerun_of: a study holds hundreds of trials and few cut short.
 * An imported trial ran elsewhere: there is nothing of it to run again here. */
int dt_trial_runs_again(const dt_trial *t, const dt_trial *trials, int n)
{
    /* A finalist's run cut short is not run again as such: its finalist simply lacks a
     * run, which the next finalist run gives it. */
    if (t->state == DT_RUNNING || t->fate == DT_FATE_COUNTS || t->fate == DT_FATE_IMPORTED || t->final) return 0;
    for (int i = 0; i < n; i++)
        if (trials[i].rerun_of == t->number) return 0;
    return 1;
}

double dt_trial_objective(const dt_trial *t, const dt_objective *o)
{
    switch (o->what) {
    case DT_OBJ_MS: return t->ms;
    case DT_OBJ_BFLOPS: return t->bflops;
    default: return t->value;
    }
}

void dt_trial_init(dt_trial *t, int nvalues)
{
    memset(t, 0, sizeof *t);
    t->value = NAN;
    t->ms = NAN;
    t->bflops = NAN;
    t->last_value = NAN;
    t->last_step = -1;
    t->last_kind = DT_POINT_METRIC;
    t->seed_trial = -1;
    t->rerun_of = -1;
    t->values = dt_xcalloc((size_t)(nvalues > 0 ? nvalues : 1), sizeof *t->values);
}

void dt_trial_free(dt_trial *t)
{
    if (!t) return;
    free(t->values);
    t->values = NULL;
}

void dt_trials_free(dt_trial *ts, int n)
{
    if (!ts) return;
    for (int i = 0; i < n; i++) dt_trial_free(&ts[i]);
    free(ts);
}

void dt_curves_free(dt_curve *c, int n)
{
    if (!c) return;
    for (int i = 0; i < n; i++) free(c[i].pts);
    free(c);
}
