/* dt_flags: the tuning guide's red flags, read off a study's trials.
 *
 * Each flag is one line a user can act on, the same in report.txt, report.html, at the
 * end of `run` and in `darktune best`:
 * - edge: the best value of a parameter lies at an end of its range (within 5% of it,
 *   in the space its distribution is uniform in): widen the range;
 * - the best came from TPE's random start and the model's trials never beat it;
 * - more than 80% of the trials the pruner judged were pruned: which setting to relax;
 * - every finished trial lies within 0.5% of the others: the space or the metric is flat;
 * - trials diverged: the smallest learning_rate that did is an upper bound;
 * - the best trial was still improving over its last quarter: train longer;
 * - the baseline (the base cfg's own values) beat every tuned trial.
 * Only trials that count (dt_trial_counts) are read, and finalists' runs ([final]) only
 * where a divergence is concerned: the rest judge the search. Nothing here touches a file. */
#ifndef DT_FLAGS_H
#define DT_FLAGS_H

#include "dt_sweep.h"
#include "dt_trial.h"

/* The edge rule for trial t: one line per parameter into b; returns how many. */
int dt_flags_edges(const dt_sweep *sw, const dt_trial *t, dt_buf *b);

/* Every red flag of the study, one line each into b; returns how many. best_curve: the
 * best trial's values, for the still-improving flag (NULL: that flag is not checked). */
int dt_flags(const dt_sweep *sw, const dt_trial *trials, int n, const dt_curve *best_curve, dt_buf *b);

/* Whether a curve's last quarter still improves: on the periodic metric when it has
 * at least 4 values, else on the loss; the mean of the quarter's second half against
 * its first half, better by more than 1% for a metric (3% for the loss, which keeps
 * falling slowly long after the metric has settled). *from and *to get the two means. */
int dt_flags_improving(const dt_curve *c, int maximize, double *from, double *to, int *kind);

#endif
