/* dt_pruner: decides, one reported value at a time, whether a trial goes on.
 *
 * The scheduler passes every intermediate value either runner reports (every
 * iteration's loss, every periodic metric) to dt_pruner_decide and stops the trial
 * when it answers 1. The pruner keeps its own record of what every trial reported,
 * so that pruners that compare trials (median, percentile, ASHA, Hyperband) need
 * nothing else.
 *
 * Resume: for each stored trial, replay its stored values in order with
 * dt_pruner_record, then, when it has finished (COMPLETE, PRUNED or FAIL), call
 * dt_pruner_finish with its state. Record runs the very code of decide, so what a
 * trial's values built the first time is built again: its series, and its value at
 * each ASHA rung it reached. One approximation: should values stored after the report
 * that pruned a trial (its run takes a moment to stop) pass the next ASHA rung, they
 * put it into that rung too; rungs are normally hundreds of iterations apart.
 *
 * Every pruner, `none` included, stops a trial whose loss or metric is nan or inf:
 * a diverged Darknet never recovers and never stops by itself.
 * Pruners know nothing of Darknet. */
#ifndef DT_PRUNER_H
#define DT_PRUNER_H

#include <stddef.h>

#include "dt_trial.h"

typedef enum {
    DT_PRUNER_NONE, DT_PRUNER_MEDIAN, DT_PRUNER_PERCENTILE, DT_PRUNER_ASHA,
    DT_PRUNER_HYPERBAND, DT_PRUNER_THRESHOLD, DT_PRUNER_PATIENCE
} dt_pruner_kind;
/* "none", "median", ... (index = kind), NULL-terminated. */
extern const char *const dt_pruner_names[];
const char *dt_pruner_name(dt_pruner_kind k);   /* "?" when out of range */

/* The [pruner] keys (Optuna's pruners, with Darknet iterations as steps), and four
 * facts of the study they depend on. A zeroed struct is pruner none; zero also means
 * the default for interval, min_trials, reduction_factor (3), min_resource (automatic)
 * and brackets (automatic). */
typedef struct dt_pruner_opts {
    dt_pruner_kind kind;
    long warmup;           /* no pruning before this iteration (n_warmup_steps) */
    int on_loss;           /* 1: compare losses, 0: compare the metric */
    int startup_trials;    /* median/percentile: completed trials before any pruning (n_startup_trials) */
    long interval;         /* median/percentile: decide every N iterations after warmup (interval_steps) */
    int min_trials;        /* median/percentile: trials with a value at that step needed (n_min_trials) */
    double percentile;     /* percentile: keep trials above this percentile */
    long min_resource;     /* asha/hyperband: iterations of the first rung */
    int reduction_factor;  /* asha/hyperband: 1/rf of the trials go on at each rung */
    int min_early_stopping_rate; /* asha: skips the first rungs */
    int wait;              /* asha: trials wait at each rung (ASHA as Li et al. wrote it), see below */
    int brackets;          /* hyperband: number of brackets */
    double lower, upper;   /* threshold bounds; NAN where not given */
    long patience;         /* patience: iterations without improvement before pruning */
    double min_delta;      /* patience: what counts as an improvement */
    dt_pruner_kind wrap;   /* patience: the pruner it wraps */
    /* Of the study: */
    int maximize;          /* the metric is maximized (a loss is always minimized) */
    unsigned long long seed;  /* hyperband draws each trial's bracket from (seed, number) */
    long max_batches;      /* iterations of a full trial: the automatic rungs and brackets */
    long eval_interval;    /* validations every N iterations: the automatic first rung on the metric */
} dt_pruner_opts;

typedef struct dt_pruner dt_pruner;

/* Creates the pruner o describes; -1 with a message in err when its settings are
 * impossible (the sweep refuses those before). Free with dt_pruner_free. */
int dt_pruner_create(dt_pruner **out, const dt_pruner_opts *o, dt_err *err);
void dt_pruner_free(dt_pruner *p);   /* NULL is fine */

/* Holds trial `number` (>= 0) off until iteration `until`, and compares it `lag`
 * iterations younger than it is: its value at iteration i stands beside the others'
 * at i - lag (the others' own lag taken off theirs). For a trial's own warm-up
 * (Darknet's burn_in: the rate is still ramping up; lag: the iterations at full rate
 * the ramp forgoes, dt_burn_in_lag), so that a trial that warmed up is neither judged
 * during its warm-up nor against trials that trained at full rate for longer; on top
 * of the pruner's `warmup`, which counts compared iterations. ASHA's rungs before
 * until - lag are skipped, not filled. Call before the trial's first value, on resume
 * before the replay. */
void dt_pruner_hold(dt_pruner *p, int number, long until, long lag);
/* Records a value as dt_pruner_decide would, without an answer (values replayed
 * from the store). number >= 0. */
void dt_pruner_record(dt_pruner *p, int number, dt_point pt);
/* dt_pruner_decide's answers: a stop is true, and a divergence is told apart from the
 * pruner's judgement, so that the caller can keep it as data. */
enum { DT_PRUNE_GO = 0, DT_PRUNE_STOP = 1, DT_PRUNE_DIVERGED = 2, DT_PRUNE_WAIT = 3 };
/* Records pt for trial `number` (>= 0; -1: a finalist's run, checked for divergence
 * only) and decides: DT_PRUNE_GO, DT_PRUNE_STOP (the pruner's rule), DT_PRUNE_DIVERGED
 * (pt is nan or inf, whatever the pruner), with a short reason ("diverged: loss nan at
 * iteration 12", "median: best loss 1.93 worse than the median 1.41 of 6 trials at
 * iteration 100") written into reason (n bytes). Within a trial steps must grow; a
 * value at a step already seen is ignored. */
int dt_pruner_decide(dt_pruner *p, int number, dt_point pt, char *reason, size_t n);
/* asha with wait (Li et al., arXiv:1810.05934, promotion-based): instead of deciding a
 * trial the moment it reaches a rung, on the few values the rung holds then, decide
 * answers DT_PRUNE_WAIT at every rung: the caller pauses the trial and, whenever a
 * trial could start, first asks dt_pruner_promotable which waiting trial goes on: one
 * among the floor(n/rf) best of the n trials at its rung, the highest rung first, the
 * best there. Once nothing is left to start and nothing runs, the trials still waiting
 * are pruned, with dt_pruner_left_waiting's reason. Stopping-based ASHA decides early
 * trials against nobody and later ones against a few: replayed over the demo's space
 * (bench/prune.sh, part 2, two recordings), waiting (rf 2) kept the best in every seed, and
 * in 88-100% of other orders, at 37% of the iterations, where deciding at once kept 7
 * seeds of 10 at 40-41%. */
/* The index into numbers[0..n) of the waiting trial that goes on next, -1 none. */
int dt_pruner_promotable(const dt_pruner *p, const int *numbers, int n);
/* Trial `number` leaves its rung for the next (the caller resumes it). */
void dt_pruner_go_on(dt_pruner *p, int number);
/* Why a trial still waiting at the end is pruned (n bytes into reason). */
void dt_pruner_left_waiting(const dt_pruner *p, int number, char *reason, size_t n);
/* Tells the pruner a trial ended, with its final state: at the end of a run, and on
 * resume after replaying its values. COMPLETE trials become the references of median
 * and percentile. */
void dt_pruner_finish(dt_pruner *p, int number, dt_state state);
/* Hyperband: the bracket of trial `number`, a function of the study seed and the
 * number alone (0 for every other pruner). For logs and tests. */
int dt_pruner_bracket(const dt_pruner *p, int number);

#endif
