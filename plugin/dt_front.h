/* dt_front: a study of several objectives ([study] objectives) judged as a whole.
 *
 * No trial is simply the best when one is more accurate and another faster: the study's
 * answer is its Pareto front, the trials no other trial beats in every objective, each a
 * deployable trade-off. One of them is still deployed as best.cfg: the one [study]
 * choose names ("map50 where ms <= 20"), or, without choose, the front's knee (each
 * objective scaled over the front, the trial nearest the ideal corner).
 * Only COMPLETE search trials with every objective take part (finalists' runs are not
 * search trials). Nothing here writes files or knows Darknet. */
#ifndef DT_FRONT_H
#define DT_FRONT_H

#include "dt_sweep.h"
#include "dt_trial.h"

/* The front: idx[0..return) get the indices (into trials) of the trials on it, in number
 * order; idx has room for n. 0 when no trial has every objective yet. */
int dt_front_trials(const dt_sweep *sw, const dt_trial *trials, int n, int *idx);

/* The trial best.cfg deploys (an index into trials, on the front), -1 when none has every
 * objective. why (NULL: not wanted) says which rule chose it, for best.cfg's heading and
 * the report: "choose = map50 where ms <= 20", or why the knee ("the front's knee (no
 * choose in the sweep)", "the front's knee: no trial has ms <= 20"). */
int dt_front_best(const dt_sweep *sw, const dt_trial *trials, int n, char *why, size_t whysz);

/* The front for people, one row per trial with its objectives and tuned values,
 * sorted by the objective after the metric (a trade-off curve reads in order), the
 * deployed trial marked '*'; "front: none yet" when empty. */
void dt_front_table(const dt_sweep *sw, const dt_trial *trials, int n, dt_buf *out);

/* The objective a trade-off is read along (the x axis of a front, the rows' order): the
 * first that is not the metric (ms, bflops). */
int dt_front_key(const dt_sweep *sw);

/* The front's rows in that order (idx as dt_front_trials fills it). */
void dt_front_sort(const dt_sweep *sw, const dt_trial *trials, int *idx, int m);

#endif
