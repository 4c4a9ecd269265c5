/* dt_pruner: decides, one reported value at a time, whether a trial goes on.
 *
 * The scheduler passes every intermediate value either runner reports (every
 * iteration's loss, every periodic metric) to dt_pruner_decide and stops the trial
 * when it answers 1. The pruner keeps its own record of what every trial reported,
 * so that pruners that compare trials (median, ASHA: next issue) need nothing else;
 * on resume the scheduler replays stored values through dt_pruner_record.
 *
 * Every pruner, `none` included, stops a trial whose loss or metric is nan or inf:
 * a diverged Darknet never recovers and never stops by itself.
 * Pruners know nothing of Darknet. */
#ifndef DT_PRUNER_H
#define DT_PRUNER_H

#include <stddef.h>

#include "dt_sweep.h"
#include "dt_trial.h"

typedef struct dt_pruner dt_pruner;

int dt_pruner_create(dt_pruner **out, const dt_sweep *sw, dt_err *err);
void dt_pruner_free(dt_pruner *p);

/* Records a value without deciding anything (values replayed from the store). */
void dt_pruner_record(dt_pruner *p, int number, dt_point pt);
/* Records pt for trial `number` and decides: 0 go on, 1 prune, with a short reason
 * ("diverged: loss nan at iteration 12", "metric 0.08 below the threshold 0.2 at
 * iteration 100") written into reason (n bytes). */
int dt_pruner_decide(dt_pruner *p, int number, dt_point pt, char *reason, size_t n);
/* Tells the pruner a trial ended, with its final state. */
void dt_pruner_finish(dt_pruner *p, int number, dt_state state);

#endif
