/* dt_optuna: studies in Optuna's JournalStorage format, both ways.
 *
 * A journal is the JSON-lines operation log that optuna.storages.JournalStorage keeps
 * in a JournalFileBackend file: one operation a line, each an object with an op_code
 * and a worker_id; Optuna rebuilds a study by replaying them in order. The facts used
 * here come from reading Optuna 5.1 (optuna/storages/journal/_storage.py,
 * optuna/distributions.py); no code of it is copied.
 *
 * Writing (dt_optuna_write): a darktune study as Optuna's study.optimize would have
 * logged it, trial after trial: create study (directions), study user attributes,
 * then per trial create trial (datetime_start), one set param per active parameter
 * with its distribution, user attributes, one set intermediate value per point of the
 * series the pruner compared, set state and values (datetime_complete). Mapping:
 *   uniform(a, b)  FloatDistribution(low=a, high=b, log=false, step=null)
 *   log(a, b)      FloatDistribution(low=a, high=b, log=true, step=null)
 *   int(a, b, s)   IntDistribution(low=a, high=b, log=false, step=s)
 *   logint(a, b)   IntDistribution(low=a, high=b, log=true, step=1)
 *   choice(...)    CategoricalDistribution(choices): a choice that is a number is a JSON number
 *   fixed values   not parameters (Optuna has nothing fixed); not written
 *   COMPLETE 1 with its value; PRUNED 2 with darktune's value (null when none);
 *   FAIL 3 (interrupted, out of memory and lost trials too: their fate is a user
 *   attribute); RUNNING stays 0 (no state operation).
 * Conditional parameters appear only in the trials where they are active, as with
 * Optuna's define-by-run. A value the distribution does not hold (the baseline's own
 * cfg values can lie outside the space) is left out of the parameters and kept in the
 * user attribute darktune_outside_space.
 *
 * Reading (dt_optuna_read): replays a journal as Optuna does (a study's trials
 * numbered in creation order; operations on a deleted study or a finished trial
 * ignored; a parameter whose distribution conflicts with the one it had first in the
 * study ignored) and refuses, with FILE:LINE, what Optuna would fail on (a line that is
 * not JSON, a missing or ill-typed field, an unknown op_code, state or distribution, a
 * categorical index out of range). Then the trials of one study are fitted to the
 * sweep's space: COMPLETE trials with a finite value and PRUNED ones (ranked by their
 * last intermediate value, as TPE ranks pruned trials) whose parameters have the
 * space's names, distribution kinds (float to uniform/log, int to int/logint,
 * categorical to choice) and values within its ranges, active exactly where the
 * space's conditions hold; every other trial is skipped, counted by reason.
 *
 * It reads and writes files and memory only: no store, no sweep. */
#ifndef DT_OPTUNA_H
#define DT_OPTUNA_H

#include "dt_space.h"
#include "dt_trial.h"
#include "dt_util.h"

/* Optuna's StudyDirection and TrialState numbers, as the journal holds them. */
enum { DT_OPTUNA_MINIMIZE = 1, DT_OPTUNA_MAXIMIZE = 2 };
enum { DT_OPTUNA_RUNNING = 0, DT_OPTUNA_COMPLETE = 1, DT_OPTUNA_PRUNED = 2, DT_OPTUNA_FAIL = 3, DT_OPTUNA_WAITING = 4 };

/* What the written journal says of the study. */
typedef struct dt_optuna_study {
    const char *name;      /* the study's name */
    int maximize;
    const char *metric;    /* what the value is ("top1"), a study user attribute */
    int series;            /* dt_point_kind of the intermediate values written */
    const char *series_name; /* its name ("loss", "top1"), a study user attribute */
    const dt_space *space; /* the trials' values are aligned with it */
    /* Several objectives (nobj >= 2): one direction and one value per objective, in
     * this order, and no intermediate values (Optuna refuses report() in a study of
     * several); nobj <= 1: the one objective, the trial's value and maximize. */
    int nobj;
    const dt_objective *obj;
    const char *objectives;  /* their names ("map50, ms"), a study user attribute; NULL none */
} dt_optuna_study;

/* Appends the journal of a study to out: trials[0..n), numbered 0 to n-1 in order
 * (Optuna numbers trials by creation), and for each, pts[i][0..npts[i]) its points in
 * step order (only those of kind st->series are written; of equal steps the last).
 * Fails when the numbers are not 0 to n-1. */
int dt_optuna_write(dt_buf *out, const dt_optuna_study *st, const dt_trial *trials, int n, dt_point *const *pts,
                    const int *npts, dt_err *err);

/* Trials of one reason for being left out, in a dt_optuna_in. */
typedef struct dt_optuna_skip {
    char why[192];         /* "state FAIL", "learning_rate outside log(0.001, 1)" */
    int count;
    int first;             /* the first such trial's number */
} dt_optuna_skip;

/* What dt_optuna_read found. */
typedef struct dt_optuna_in {
    char study[256];       /* the study read */
    int total;             /* its trials */
    dt_trial *trials;      /* those that fit: COMPLETE or PRUNED, values aligned with the space,
                            * number = Optuna's number, last_value/last_step = the last
                            * intermediate value (last_kind DT_POINT_METRIC), reason says where from */
    int n;
    int complete, pruned;  /* of the n */
    dt_optuna_skip *skips; /* the others, by reason, in order of first appearance */
    int nskips;
    int cut;               /* a last line without its newline (a writer cut short), left out as
                            * Optuna leaves it: its number; 0 none */
} dt_optuna_in;

/* What to read: the space to fit, the sweep's direction, and which study. */
typedef struct dt_optuna_want {
    const dt_space *space;
    int maximize;
    const char *study;     /* this study (an error when absent); NULL: the journal's only
                            * study, or else the one called fallback */
    const char *fallback;
} dt_optuna_want;

/* Reads the journal at path (name: how messages call it; NULL: path). Returns 0 with
 * *in filled (free with dt_optuna_in_free), or -1 with "FILE:LINE: what is wrong" in
 * err (or "FILE: ..." about the whole file: no such study, another direction, several
 * objectives). */
int dt_optuna_read(const char *path, const dt_optuna_want *w, dt_optuna_in *in, dt_err *err);
/* The same from memory: the len bytes at text. */
int dt_optuna_parse(const char *name, const char *text, size_t len, const dt_optuna_want *w, dt_optuna_in *in,
                    dt_err *err);
void dt_optuna_in_free(dt_optuna_in *in);

/* "35 fit (30 complete, 5 pruned), 5 left out: 2 state FAIL (first: trial 7); 3 ..."
 * appended to b. */
void dt_optuna_summary(const dt_optuna_in *in, dt_buf *b);

#endif
