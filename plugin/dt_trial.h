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

typedef struct dt_trial {
    int number;           /* 0 is the baseline when the study has one */
    dt_state state;
    double value;         /* the objective; NAN while running or when there is none */
    long iterations;      /* iterations trained */
    double seconds;       /* wall time of the trial */
    double started;       /* unix time */
    double finished;      /* unix time, 0 while running */
    char reason[256];     /* PRUNED/FAIL: why, in a few words ("diverged at iteration 12") */
    int baseline;         /* 1: this trial runs the base cfg's own values */
    /* The last value of the series the pruner compares (NAN if none) and its
     * iteration: what ranks pruned trials for the TPE. */
    double last_value;
    long last_step;
    int last_kind;        /* dt_point_kind of last_value: a loss is lower-better whatever the direction */
    dt_value *values;     /* space->n entries, owned by the trial */
} dt_trial;

void dt_trial_init(dt_trial *t, int nvalues);   /* zeroed, value/last_value NAN, last_kind metric, values allocated */
void dt_trial_free(dt_trial *t);                /* frees values; t itself is the caller's */
void dt_trials_free(dt_trial *ts, int n);       /* frees each trial and the array */

#endif
