/* dt_pareto: non-domination and hypervolume, what a study of several objectives is
 * judged by.
 *
 * Points are n rows of m values (row-major), every objective minimized: callers negate
 * the ones they maximize. A point dominates another when it is no worse in every
 * objective and better in one. Nothing here knows trials, samplers or files. */
#ifndef DT_PARETO_H
#define DT_PARETO_H

/* 1 when a dominates b (m objectives, minimized). */
int dt_pareto_dominates(const double *a, const double *b, int m);

/* Non-domination rank of each point: 0 for the points nothing dominates (the front),
 * 1 for the front of what is left without them, and so on. Equal points share a rank. */
void dt_pareto_ranks(const double *pts, int n, int m, int *rank);

/* The hypervolume dominated by the points and bounded by ref: the measure of the set
 * of vectors that some point dominates and that dominate ref. A point not better than
 * ref in every objective adds nothing. Exact for any m (2 and 3 by sweeps, more by slicing). */
double dt_pareto_hv(const double *pts, int n, int m, const double *ref);

/* contrib[i]: the hypervolume lost when point i is taken away (0 for a dominated point). */
void dt_pareto_contrib(const double *pts, int n, int m, const double *ref, double *contrib);

/* The knee of a front (pts: non-dominated points): each objective scaled to [0, 1] over
 * the front, the point nearest the ideal (0, ..., 0); ties: the lower index. -1 when n is 0. */
int dt_pareto_knee(const double *pts, int n, int m);

#endif
