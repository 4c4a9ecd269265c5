/* dt_trial: one trial of a study, as the scheduler, samplers, pruners and store see it.
 * Plain data: no module owns a dt_trial's behaviour; dt_trials_free releases arrays of them. */
#ifndef DT_TRIAL_H
#define DT_TRIAL_H

#include "dt_space.h"

typedef enum dt_state {
    DT_RUNNING = 0,
    DT_COMPLETE = 1,
    DT_PRUNED = 2,
    DT_FAIL = 3,
} dt_state;

/* "RUNNING", "COMPLETE", "PRUNED", "FAIL"; dt_state_parse returns -1 for anything else. */
const char *dt_state_name(dt_state s);
int dt_state_parse(const char *name);

/* What a finished trial means for the budget and whether its configuration runs again.
 * The scheduler reads this, never the reason: the reason is for people. A trial cut
 * short by darktune (or by its packing of a GPU) has no outcome of its own, so it does
 * not count, and its configuration runs again with its seed (dt_trial.seed_trial). */
typedef enum dt_fate {
    DT_FATE_COUNTS = 0,       /* an outcome (COMPLETE, PRUNED or FAIL): counts against the budget */
    DT_FATE_INTERRUPTED = 1,  /* stopped by darktune (a signal, the study timeout, a darktune that died) */
    DT_FATE_OOM = 2,          /* out of GPU memory beside other trials: runs again as a retry, with
                               * fewer trials on its GPU */
    DT_FATE_LOST = 3,         /* its worker stopped beating (killed, its machine down): runs again,
                               * as many times as [study] retries allows; after that it counts */
    DT_FATE_IMPORTED = 4,     /* ran elsewhere (an Optuna journal: darktune import, [sampler]
                               * warm_start): the sampler learns from it; it never counts, never
                               * runs again, and is no trial of the study's own (dt_store_imported) */
} dt_fate;

/* "counts", "interrupted", "oom", "lost", "imported" (the store's words); dt_fate_parse returns -1 for anything else.
 */
const char *dt_fate_name(dt_fate f);
int dt_fate_parse(const char *name);

/* What an intermediate value measures. */
typedef enum dt_point_kind {
    DT_POINT_LOSS = 0,    /* the training loss of one iteration (Darknet's avg loss) */
    DT_POINT_METRIC = 1,  /* a periodic validation result (top1, top5, map50 as a fraction) */
} dt_point_kind;

typedef struct dt_point {
    long step;            /* iteration */
    int kind;             /* dt_point_kind */
    double value;
} dt_point;

/* What a study optimizes, one entry per objective ([study] objectives): the trial's
 * metric (its value: top1, top5, map50 or the loss), its inference time or its size.
 * A study of one objective has one entry, the metric. */
typedef enum dt_obj_what {
    DT_OBJ_METRIC = 0,   /* t->value */
    DT_OBJ_MS = 1,       /* t->ms: milliseconds per image, measured with the trial's final weights */
    DT_OBJ_BFLOPS = 2,   /* t->bflops: billions of floating-point operations per image, from its cfg */
} dt_obj_what;
#define DT_OBJ_MAX 3     /* each at most once */

typedef struct dt_objective {
    int what;            /* dt_obj_what */
    int maximize;        /* 1: larger is better */
} dt_objective;

typedef struct dt_trial {
    int number;           /* 0 is the baseline when the study has one */
    dt_state state;
    double value;         /* the metric (the objective of a study of one); NAN while running or none */
    double ms;            /* inference milliseconds per image (DT_OBJ_MS); NAN when not measured */
    double bflops;        /* BFLOPs per image of its cfg (DT_OBJ_BFLOPS); NAN when not computed */
    long iterations;      /* iterations trained */
    double seconds;       /* wall time of the trial */
    double started;       /* unix time */
    double finished;      /* unix time, 0 while running */
    char reason[256];     /* PRUNED/FAIL: why, for people, in a few words ("diverged: loss nan at iteration 12") */
    int diverged;         /* PRUNED/FAIL: its loss or metric went nan or inf (the reason says where) */
    int baseline;         /* 1: this trial runs the base cfg's own values */
    dt_fate fate;         /* DT_FATE_COUNTS while running */
    /* The trial whose number seeds this one's randomness: its own number, or for a
     * configuration run again, the seed_trial of the trial it runs again, so that
     * running again trains what the first run would have. -1 before the store numbers it. */
    int seed_trial;
    int rerun_of;         /* the trial whose configuration this one runs again, -1 none */
    int final;            /* 1: a finalist's run ([final]): rerun_of's configuration, a new seed */
    char worker[128];     /* the process that runs it: "host:pid:start" ("" before workers) */
    double heartbeat;     /* when that process last said it was alive (the store's clock), 0 none */
    char weights[512];    /* its final weights, on the worker's host ("" none) */
    char process[512];    /* where its program runs: "pgid:start[:cgroup]" ("" none) */
    /* The last value of the series the pruner compares (NAN if none) and its
     * iteration: what ranks pruned trials for the TPE. */
    double last_value;
    long last_step;
    int last_kind;        /* dt_point_kind of last_value: a loss is lower-better whatever the direction */
    dt_value *values;     /* space->n entries, owned by the trial */
} dt_trial;

/* Whether t counts against the study's budget: it has finished with an outcome of its own. */
int dt_trial_counts(const dt_trial *t);

/* Whether t's configuration must run again: t was cut short (fate not DT_FATE_COUNTS)
 * and no trial of trials (n of them, t among them or not) runs it again yet (rerun_of). */
int dt_trial_runs_again(const dt_trial *t, const dt_trial *trials, int n);

/* t's value for objective o (value, ms or bflops); NAN when it has none. */
double dt_trial_objective(const dt_trial *t, const dt_objective *o);

/* Zeroed, value/ms/bflops/last_value NAN, last_kind metric, seed_trial and rerun_of -1, values allocated. */
void dt_trial_init(dt_trial *t, int nvalues);
void dt_trial_free(dt_trial *t);                /* frees values; t itself is the caller's */
void dt_trials_free(dt_trial *ts, int n);       /* frees each trial and the array */

/* One trial's intermediate values (both kinds), in step order: what the report draws
 * and the red flags read. */
typedef struct dt_curve {
    dt_point *pts;
    int n;
} dt_curve;
void dt_curves_free(dt_curve *c, int n);        /* frees each curve's points and the array */

#endif
