/* dt_fanova: each parameter's share of the objective's variance over the finished
 * trials, by functional ANOVA over a random forest (Hutter, Hoos and Leyton-Brown,
 * "An Efficient Approach for Assessing Hyperparameter Importance", ICML 2014),
 * computed as Optuna's FanovaImportanceEvaluator computes it, so that darktune's
 * report and optuna-dashboard tell a user the same thing about the same trials.
 *
 * What Optuna does, and so what this does:
 * - The trials: COMPLETE ones with a finite value (pruned and failed trials have no
 *   objective of their own). A trial with a value outside its distribution (a
 *   baseline whose cfg value lies outside the range, or is none of the choices) is
 *   left out: it has no place in the space the forest partitions.
 * - The parameters: those active in every one of those trials (Optuna's intersection
 *   search space). A conditional parameter inactive in some of them is not assessed
 *   (its share is NAN); the choice it hangs on carries its effect. A parameter that
 *   cannot vary (fixed, one choice, low = high) has share 0.
 * - The encoding: numbers as they are, on their [low, high] range, log distributions
 *   included (Optuna's evaluator turns transform_log off: a log parameter's cells are
 *   weighed by their linear width); each choice is a 0/1 column of its own.
 * - The forest: 64 regression trees, each grown to purity (depth at most 64, a leaf
 *   may hold one trial) on a bootstrap sample of the trials, every column a candidate
 *   at every split, the split that most reduces the squared error winning: what
 *   sklearn's RandomForestRegressor does with Optuna's settings.
 * - The decomposition, per tree: the tree cuts the space into boxes; its total
 *   variance is the variance of its prediction over the space (each box weighed by
 *   its volume). A parameter's marginal prediction averages the tree over every other
 *   parameter; its variance (over the parameter's own cells, all of a choice's columns
 *   together) divided by the total is the parameter's fraction in that tree. Its
 *   importance is the mean fraction over the trees with a variance, and the shares
 *   are the importances normalized to sum to 1 (1/n each when they are all 0).
 *
 * Randomness: the bootstrap and the order in which a split visits the columns (which
 * breaks ties) come from dt_rng streams of the given seed, one per tree. Same trials,
 * same seed, same shares. They cannot be Optuna's numbers to the digit (its random
 * streams are numpy's), only close: 64 trees average the draws out.
 *
 * Differences from sklearn kept on purpose: two values split whenever they differ
 * (sklearn refuses to split values within 1e-7 of each other, which lumps a
 * learning rate's smallest values together), and a node's variance is computed in two
 * passes (sklearn's one pass can read a pure node as impure). Neither changes what a
 * forest predicts over ranges darktune's users tune.
 *
 * Not here: pairwise interactions, per-tree standard deviations, plotting. */
#ifndef DT_FANOVA_H
#define DT_FANOVA_H

#include <stdint.h>

#include "dt_space.h"
#include "dt_trial.h"

#define DT_FANOVA_TREES 64   /* Optuna's n_trees */
#define DT_FANOVA_DEPTH 64   /* Optuna's max_depth */

/* Each parameter's share of the variance of trials[i].value over the finished trials
 * (see above), in share[0 .. sp->n): shares of the assessed parameters sum to 1;
 * 0 for a parameter that cannot vary; NAN for a conditional parameter that is
 * inactive in some of the trials. The direction of the study does not matter (a
 * variance is the same for -value). Seeded: same inputs, same shares.
 *
 * Returns the number of trials the forest was fitted on (at least 2), or -1 with err
 * when no importance can be assessed: fewer than 2 usable trials, no parameter that
 * can vary and is active in all of them, or every trial with the same value (nothing
 * to share). share is filled in any case (with 0 for every assessed parameter on
 * failure). About 30 ms for 300 trials of 10 parameters. */
int dt_fanova_importance(const dt_space *sp, /* the study's space (resolved) */
                         const dt_trial *trials, int n, /* every trial of the study, any state */
                         uint64_t seed,                 /* the study's seed */
                         double *share,                 /* out: sp->n shares */
                         dt_err *err);

#endif
