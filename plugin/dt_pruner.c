/* dt_pruner: Optuna's pruners over Darknet iterations, and the divergence check
 * every pruner shares.
 *
 * Each trial keeps the values of the compared series (`on`: the loss of every
 * iteration, or the periodic metric) as costs, lower is better: cost = value, or
 * -value for a maximized metric, so that every rule below is written once. Values
 * of the other series are only checked for divergence. Steps are iterations.
 *
 * - threshold: after the warm-up, a value below `lower` or above `upper` prunes.
 * - median, percentile (Optuna's PercentilePruner): at the first report at or after
 *   each step warmup + k * interval, once startup_trials trials have completed, the
 *   trial's best value so far is compared with the percentile of the values that
 *   COMPLETE trials reported at that very step (at least min_trials of them).
 * - asha (SuccessiveHalvingPruner): rung r lies at min_resource * rf^(s + r)
 *   iterations, s = min_early_stopping_rate. The first report at or past a rung puts
 *   its value into the rung; the trial goes on only when at most n/rf - 1 values of
 *   the rung (n of them, its own included, every trial whatever its state) are
 *   better, or none while the rung holds fewer than rf values.
 * - hyperband: asha brackets, bracket b with s = b, each comparing its own trials.
 *   A trial's bracket is drawn from (seed, trial number) with Optuna's weights.
 * - patience: a trial whose best value of its last `patience` iterations is not
 *   better by more than min_delta than its best before them has stalled; a stalled
 *   trial is pruned when the wrapped pruner agrees (none: always).
 *
 * No pruner but the divergence check decides at max_batches, the trial's end.
 * `warmup` holds every pruner off before that iteration (asha then puts the first
 * value after the warm-up into the rungs it has passed, as Optuna does). A trial's
 * own hold (its burn-in) does too, but asha skips the rungs before it: a trial is
 * judged against values of the same iteration, never by its warm-up's. A trial's lag
 * (what its burn-in forgoes) shifts its steps: every rule above sees step - lag, so
 * a trial just out of its warm-up meets the others where they had trained as much.
 *
 * Costs per report: O(1) for none, threshold and asha between rungs; O(1) amortised
 * for patience; O(c) for median and percentile at a pruning step
 * (c completed trials; O(c log s) when trials report at different steps, s reports);
 * O(n) of a rung's n values when a trial reaches it.
 * Memory: two numbers per report of the compared series (three for patience),
 * kept only by median, percentile and patience.
 *
 * dt_pruner_record runs the same code as dt_pruner_decide and drops the answer, so a
 * resumed study rebuilds the same state from the stored values (see dt_pruner.h).
 * This module knows nothing of Darknet, the store or the scheduler. */
#include "dt_pruner.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt_rng.h"

const char *const dt_pruner_names[] = {"none", "median", "percentile", "asha", "hyperband",
                                       "threshold", "patience", NULL};

const char *dt_pruner_name(dt_pruner_kind k)
{
    return k >= DT_PRUNER_NONE && k <= DT_PRUNER_PATIENCE ? dt_pruner_names[k] : "?";
}

/* Rungs per bracket: rf >= 2 and min_resource >= 1 put rung 63 past LONG_MAX. */
#define DT_PRUNER__RUNGS 64
/* Mixed into the study seed for bracket draws, so that they are independent of the
 * sampler's draws from (seed, trial number). */
#define DT_PRUNER__BRACKET_SEED 0x6879706572626e64ULL

/* One rung of one bracket: the costs trials had when they reached it. */
typedef struct dt_pruner__rung {
    double *v;
    int n, cap;
} dt_pruner__rung;

/* What the pruner knows of one trial. */
typedef struct dt_pruner__trial {
    int seen;            /* 1 once initialised */
    dt_state state;
    int bracket;         /* hyperband: its bracket; 0 otherwise */
    int rung;            /* asha/hyperband: rungs it has reached */
    int waits;           /* asha with wait: 1 while it waits at rung - 1 */
    double wait_cost;    /* its cost there */
    long wait_at;        /* the iteration of that rung */
    long last;           /* step of its last compared value, -1 before any */
    long hold;           /* no decision before this step (dt_pruner_hold) */
    long lag;            /* compared as if at step - lag (dt_pruner_hold) */
    double best;         /* lowest cost so far, INFINITY before any */
    long n, cap;         /* compared values (median, percentile, patience) */
    long *steps;         /* increasing */
    double *costs;
    long *dq;            /* patience: indices whose costs increase, the window's minimum first */
    long dq_head, dq_n;
    long before;         /* patience: values [0, before) lie before the window */
    double before_best;  /* patience: their lowest cost */
} dt_pruner__trial;

struct dt_pruner {
    dt_pruner_kind kind;
    dt_pruner_kind wrap;   /* patience: the pruner it wraps */
    int on;                /* the dt_point_kind compared */
    double sign;           /* cost = sign * value: 1 minimizes, -1 maximizes */
    const char *what;      /* "loss" or "metric" */
    long warmup;
    int keep;              /* 1: keep every compared value */

    double lower, upper;   /* threshold; NAN: no bound */

    double percentile;     /* median: 50 */
    int startup, min_trials;
    long interval;

    long every;            /* the compared series' spacing: eval_interval for the metric, else 1 */
    long end;              /* max_batches: a trial there has trained its whole length (0: unknown) */

    long min_resource;     /* asha/hyperband, resolved */
    int rf, mesr;
    int hyperband;         /* 1: brackets; 0: plain asha (one bracket) */
    int wait;              /* asha: trials wait at each rung until they rank (dt_pruner_promotable) */
    int nbrackets;
    double *budget;        /* hyperband: each bracket's weight */
    double total;
    unsigned long long seed;
    dt_pruner__rung *rungs;   /* nbrackets * DT_PRUNER__RUNGS */

    long patience;
    double min_delta;

    dt_pruner__trial *trials; /* indexed by trial number */
    int ntrials;
    int *complete;            /* numbers of COMPLETE trials */
    int ncomplete, capcomplete;
    double *scratch;          /* capcomplete values */
};

/* 1 when kind itself, or the pruner patience wraps, is k. */
static int dt_pruner__uses(const dt_pruner *p, dt_pruner_kind k)
{
    return p->kind == k || (p->kind == DT_PRUNER_PATIENCE && p->wrap == k);
}

/* The iteration of rung (s + r), or LONG_MAX past what a long holds. */
static long dt_pruner__rung_step(const dt_pruner *p, int rate)
{
    long at = p->min_resource;
    for (int i = 0; i < rate; i++) {
        if (at > LONG_MAX / p->rf) return LONG_MAX;
        at *= p->rf;
    }
    return at;
}

/* Hyperband's brackets and their weights. Optuna: floor(log_rf(max / min)) + 1
 * brackets, bracket b weighted ceil(B * rf^s / (s + 1)) with s = B - 1 - b, so the
 * brackets that prune early get more trials, as in the Hyperband paper. */
static void dt_pruner__brackets(dt_pruner *p, const dt_pruner_opts *o)
{
    int nb = o->brackets;
    if (nb <= 0)
        for (nb = 1; nb < DT_PRUNER__RUNGS && dt_pruner__rung_step(p, nb) <= o->max_batches; nb++) {}
    p->nbrackets = nb;
    p->budget = dt_xcalloc((size_t)nb, sizeof *p->budget);
    for (int b = 0; b < nb; b++) {
        int s = nb - 1 - b;
        /* Capped so that 64 of them still add up to a finite total. */
        p->budget[b] = fmin(ceil(nb * pow(p->rf, s) / (s + 1)), 1e300);
        p->total += p->budget[b];
    }
}

/* The bracket of trial `number`: a draw from (seed, number) over the weights, so
 * that it is the same after a resume and spread like Optuna's allocation. */
static int dt_pruner__bracket_of(const dt_pruner *p, int number)
{
    dt_rng r;
    dt_rng_seed(&r, p->seed ^ DT_PRUNER__BRACKET_SEED, (uint64_t)number);
    double u = dt_rng_uniform(&r) * p->total;
    for (int b = 0; b < p->nbrackets - 1; b++) {
        if (u < p->budget[b]) return b;
        u -= p->budget[b];
    }
    return p->nbrackets - 1;
}

/* Resolves the [pruner] settings once: automatic first rung, brackets, the
 * direction of the compared series. */
int dt_pruner_create(dt_pruner **out, const dt_pruner_opts *o, dt_err *err)
{
    if (o->kind == DT_PRUNER_PATIENCE && (o->wrap == DT_PRUNER_PATIENCE || o->patience < 1))
        return dt_errf(err, "pruner patience needs patience >= 1 and cannot wrap patience");
    if ((o->kind == DT_PRUNER_PERCENTILE || o->wrap == DT_PRUNER_PERCENTILE) &&
        !(o->percentile >= 0 && o->percentile <= 100))
        return dt_errf(err, "percentile %g is not between 0 and 100", o->percentile);
    dt_pruner *p = dt_xcalloc(1, sizeof *p);
    p->kind = o->kind;
    p->wrap = o->kind == DT_PRUNER_PATIENCE ? o->wrap : DT_PRUNER_NONE;
    p->on = o->on_loss ? DT_POINT_LOSS : DT_POINT_METRIC;
    p->sign = p->on == DT_POINT_METRIC && o->maximize ? -1 : 1;
    p->what = p->on == DT_POINT_LOSS ? "loss" : "metric";
    p->warmup = o->warmup;
    p->every = p->on == DT_POINT_METRIC && o->eval_interval > 1 ? o->eval_interval : 1;
    p->end = o->max_batches;
    p->lower = o->lower;
    p->upper = o->upper;
    p->percentile = dt_pruner__uses(p, DT_PRUNER_MEDIAN) ? 50 : o->percentile;
    p->startup = o->startup_trials;
    p->min_trials = o->min_trials > 1 ? o->min_trials : 1;
    p->interval = o->interval > 1 ? o->interval : 1;
    p->patience = o->patience;
    p->min_delta = o->min_delta;
    p->keep = dt_pruner__uses(p, DT_PRUNER_MEDIAN) || dt_pruner__uses(p, DT_PRUNER_PERCENTILE) ||
              p->kind == DT_PRUNER_PATIENCE;
    p->seed = o->seed;
    p->rf = o->reduction_factor >= 2 ? o->reduction_factor : 3;
    p->hyperband = dt_pruner__uses(p, DT_PRUNER_HYPERBAND);
    p->wait = o->wait && p->kind == DT_PRUNER_ASHA;
    p->nbrackets = 1;
    if (p->hyperband || dt_pruner__uses(p, DT_PRUNER_ASHA)) {
        /* Automatic first rung: the first validation when the metric is compared, else
         * an eighth of the trial. Earlier rungs judge the loss while it says little:
         * Darknet's avg loss trails the raw loss by about ten iterations, and a high rate,
         * often the best at the end, has the highest loss at the start. Replayed over
         * curves trained to the end in many orders (bench/prune_replay.c: bench-prune's
         * demo space and bench-e2e's), a first rung at a twentieth of the trial or
         * earlier kept the best in 64-71% of the orders, at an eighth in 77-88%. */
        p->min_resource = o->min_resource;
        if (p->min_resource <= 0 && p->on == DT_POINT_METRIC && o->eval_interval > 0)
            p->min_resource = o->eval_interval;
        if (p->min_resource <= 0)
            p->min_resource = o->max_batches / 8 > 1 ? o->max_batches / 8 : 1;
        p->mesr = p->hyperband ? 0 : o->min_early_stopping_rate;
        if (p->hyperband) dt_pruner__brackets(p, o);
        p->rungs = dt_xcalloc((size_t)p->nbrackets * DT_PRUNER__RUNGS, sizeof *p->rungs);
    }
    *out = p;
    return 0;
}

/* Frees the pruner and every trial's record; NULL is fine. */
void dt_pruner_free(dt_pruner *p)
{
    if (!p) return;
    for (int i = 0; i < p->ntrials; i++) {
        free(p->trials[i].steps);
        free(p->trials[i].costs);
        free(p->trials[i].dq);
    }
    if (p->rungs)
        for (int i = 0; i < p->nbrackets * DT_PRUNER__RUNGS; i++) free(p->rungs[i].v);
    free(p->rungs);
    free(p->budget);
    free(p->trials);
    free(p->complete);
    free(p->scratch);
    free(p);
}

/* Trial `number` (>= 0), created on first sight. The pointer is valid until the
 * next call, which may move the array. */
static dt_pruner__trial *dt_pruner__trial_get(dt_pruner *p, int number)
{
    if (number >= p->ntrials) {
        int n = p->ntrials ? p->ntrials : 16;
        while (n <= number) n *= 2;
        p->trials = dt_xrealloc(p->trials, (size_t)n * sizeof *p->trials);
        memset(p->trials + p->ntrials, 0, (size_t)(n - p->ntrials) * sizeof *p->trials);
        p->ntrials = n;
    }
    dt_pruner__trial *t = &p->trials[number];
    if (!t->seen) {
        t->seen = 1;
        t->last = -1;
        t->best = INFINITY;
        t->before_best = INFINITY;
        t->bracket = p->hyperband ? dt_pruner__bracket_of(p, number) : 0;
    }
    return t;
}

/* Hyperband's bracket of a trial, for logs and tests; 0 for other pruners. */
int dt_pruner_bracket(const dt_pruner *p, int number)
{
    return p->hyperband && number >= 0 ? dt_pruner__bracket_of(p, number) : 0;
}

/* Appends one compared value. Patience's deque then drops the values the new one
 * beats: none of them can be a window's minimum again. */
static void dt_pruner__append(const dt_pruner *p, dt_pruner__trial *t, long step, double cost)
{
    int patience = p->kind == DT_PRUNER_PATIENCE;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->steps = dt_xrealloc(t->steps, (size_t)t->cap * sizeof *t->steps);
        t->costs = dt_xrealloc(t->costs, (size_t)t->cap * sizeof *t->costs);
        if (patience) t->dq = dt_xrealloc(t->dq, (size_t)t->cap * sizeof *t->dq);
    }
    t->steps[t->n] = step;
    t->costs[t->n] = cost;
    if (patience) {
        while (t->dq_n > t->dq_head && t->costs[t->dq[t->dq_n - 1]] >= cost) t->dq_n--;
        t->dq[t->dq_n++] = t->n;
    }
    t->n++;
}

/* The index of the first value at step >= step (t->n when none): binary search. */
static long dt_pruner__lower_bound(const dt_pruner__trial *t, long step)
{
    long lo = 0, hi = t->n;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (t->steps[mid] < step) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Puts the k-th smallest of a[0..n-1] at a[k], smaller ones before, larger after
 * (Hoare's selection: O(n) on average). */
static void dt_pruner__select(double *a, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = a[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                double x = a[i];
                a[i++] = a[j];
                a[j--] = x;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return;
    }
}

/* The q-th quantile (0..1) of a[0..n-1], n > 0, interpolated linearly between the
 * two nearest ranks like numpy.percentile. Reorders a. */
static double dt_pruner__quantile(double *a, int n, double q)
{
    double h = q * (n - 1);
    int k = (int)floor(h);
    if (k >= n - 1) k = n - 1;
    dt_pruner__select(a, n, k);
    double lo = a[k];
    if (h <= k) return lo;
    double hi = a[k + 1];
    for (int i = k + 2; i < n; i++) hi = fmin(hi, a[i]);
    return lo + (h - k) * (hi - lo);
}

/* "25th", "50th", "12.5th": a percentile as people say it. */
static const char *dt_pruner__ordinal(double q, char *buf, size_t n)
{
    long i = (long)q;
    const char *suffix = "th";
    if (i == q && (i % 100 < 11 || i % 100 > 13))
        suffix = i % 10 == 1 ? "st" : i % 10 == 2 ? "nd" : i % 10 == 3 ? "rd" : "th";
    snprintf(buf, n, "%g%s", q, suffix);
    return buf;
}

/* threshold: the raw value against the bounds. */
static int dt_pruner__threshold(const dt_pruner *p, long step, double value, char *reason, size_t n)
{
    if (!isnan(p->lower) && value < p->lower) {
        snprintf(reason, n, "%s %g below the threshold %g at iteration %ld", p->what, value, p->lower, step);
        return 1;
    }
    if (!isnan(p->upper) && value > p->upper) {
        snprintf(reason, n, "%s %g above the threshold %g at iteration %ld", p->what, value, p->upper, step);
        return 1;
    }
    return 0;
}

/* median, percentile. prev: the step of the trial's previous value (-1: none). */
static int dt_pruner__percentile(dt_pruner *p, const dt_pruner__trial *t, long step, long prev, char *reason,
                                 size_t n)
{
    if (p->ncomplete == 0 || p->ncomplete < p->startup) return 0;
    /* Optuna's _is_first_in_interval_step: decide at the first report at or after each
     * step of the grid warmup + k * interval, even when reports skip the grid itself. */
    long grid = (step - p->warmup) / p->interval * p->interval + p->warmup;
    if (prev >= grid) return 0;
    int m = 0;
    long hint = t->n - 1;   /* trials usually report at the same steps: try that index first */
    for (int i = 0; i < p->ncomplete; i++) {
        const dt_pruner__trial *c = &p->trials[p->complete[i]];
        long j = hint < c->n && c->steps[hint] == step ? hint : dt_pruner__lower_bound(c, step);
        if (j < c->n && c->steps[j] == step) p->scratch[m++] = c->costs[j];
    }
    if (m < p->min_trials) return 0;
    /* In costs the percentile is the same for both directions; for a maximized metric
     * it is Optuna's (100 - percentile)th percentile of the values. */
    double q = dt_pruner__quantile(p->scratch, m, p->percentile / 100);
    if (!(t->best > q)) return 0;
    if (p->percentile == 50) {
        snprintf(reason, n, "%s: best %s %.4g worse than the median %.4g of %d trials at iteration %ld",
                 dt_pruner_name(p->kind == DT_PRUNER_PATIENCE ? p->wrap : p->kind), p->what, p->sign * t->best,
                 p->sign * q, m, step);
    } else {
        char ord[32];
        snprintf(reason, n, "percentile: best %s %.4g worse than the %s percentile %.4g of %d trials at iteration %ld",
                 p->what, p->sign * t->best,
                 dt_pruner__ordinal(p->sign < 0 ? 100 - p->percentile : p->percentile, ord, sizeof ord),
                 p->sign * q, m, step);
    }
    return 1;
}

/* asha, hyperband: puts the cost into every rung the trial has passed and answers 1
 * at the first where it is not promotable (Optuna's _is_trial_promotable_to_next_rung). */
static int dt_pruner__asha(dt_pruner *p, dt_pruner__trial *t, long step, double cost, char *reason, size_t n)
{
    int rate0 = p->hyperband ? t->bracket : p->mesr;
    t->waits = 0;   /* a value past the rung it waited at: it went on */
    while (t->rung < DT_PRUNER__RUNGS - 1 && dt_pruner__rung_step(p, rate0 + t->rung) < t->hold - t->lag) t->rung++;
    for (;;) {
        long at = dt_pruner__rung_step(p, rate0 + t->rung);
        if (step < at) return 0;
        dt_pruner__rung *r = &p->rungs[t->bracket * DT_PRUNER__RUNGS + t->rung];
        if (r->n == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 16;
            r->v = dt_xrealloc(r->v, (size_t)r->cap * sizeof *r->v);
        }
        r->v[r->n++] = cost;
        if (p->wait) {
            /* Every trial stops at each rung; dt_pruner_promotable says who goes on. */
            t->rung++;
            t->waits = 1;
            t->wait_cost = cost;
            t->wait_at = at;
            return DT_PRUNE_WAIT;
        }
        /* Promoted when the cost is at most the k-th lowest (from 0) of the rung, k =
         * n/rf - 1, or the lowest while the rung holds fewer than rf: when at most k
         * costs are strictly lower. */
        int k = r->n / p->rf - 1, better = 0;
        if (k < 0) k = 0;
        for (int i = 0; i < r->n; i++) better += r->v[i] < cost;
        int rung = t->rung++;
        if (better > k) {
            char where[32] = "";
            if (p->hyperband) snprintf(where, sizeof where, " of bracket %d", t->bracket);
            char its[64];
            if (step == at) snprintf(its, sizeof its, "iteration %ld", at);
            else snprintf(its, sizeof its, "iteration %ld, its value at %ld", at, step);
            snprintf(reason, n, "%s: %s %.4g not in the top 1/%d of %d trials at rung %d%s (%s)",
                     p->hyperband ? "hyperband" : "asha", p->what, p->sign * cost, p->rf, r->n, rung, where, its);
            return 1;
        }
    }
}

/* patience: 1 when the best cost of the window (steps > step - patience) is not
 * lower by more than min_delta than the best before it. Both bounds only move
 * forward, so each value enters and leaves once. */
static int dt_pruner__stalled(const dt_pruner *p, dt_pruner__trial *t, long step, char *reason, size_t n)
{
    long start = step - p->patience + 1;
    for (; t->before < t->n && t->steps[t->before] < start; t->before++)
        t->before_best = fmin(t->before_best, t->costs[t->before]);
    if (t->before == 0) return 0;
    while (t->dq[t->dq_head] < t->before) t->dq_head++;   /* the newest value is always in it */
    double recent = t->costs[t->dq[t->dq_head]];
    if (recent < t->before_best - p->min_delta) return 0;
    snprintf(reason, n, "patience: best %s %.4g of the last %ld iterations not better than %.4g before them "
             "at iteration %ld", p->what, p->sign * recent, p->patience, p->sign * t->before_best, step);
    return 1;
}

/* The answer of pruner `kind` for the compared value just appended. */
static int dt_pruner__verdict(dt_pruner *p, dt_pruner_kind kind, dt_pruner__trial *t, dt_point pt, long prev,
                              char *reason, size_t n)
{
    double cost = p->sign * pt.value;
    switch (kind) {
    case DT_PRUNER_THRESHOLD:
        return dt_pruner__threshold(p, pt.step, pt.value, reason, n);
    case DT_PRUNER_MEDIAN:
    case DT_PRUNER_PERCENTILE:
        return dt_pruner__percentile(p, t, pt.step, prev, reason, n);
    case DT_PRUNER_ASHA:
    case DT_PRUNER_HYPERBAND:
        return dt_pruner__asha(p, t, pt.step, cost, reason, n);
    case DT_PRUNER_PATIENCE: {
        /* The wrapped pruner always runs, so that asha's rungs hold every trial
         * whether or not patience lets the answer through. */
        char inner[256];
        int wrapped = p->wrap == DT_PRUNER_NONE ||
                      dt_pruner__verdict(p, p->wrap, t, pt, prev, inner, sizeof inner);
        if (!dt_pruner__stalled(p, t, pt.step, reason, n) || !wrapped) return 0;
        if (p->wrap != DT_PRUNER_NONE && n > 0) {
            size_t used = strlen(reason);
            if (used < n) snprintf(reason + used, n - used, "; %s", inner);
        }
        return 1;
    }
    default:
        return 0;
    }
}

/* Divergence first (either series, every pruner), then the compared series: the
 * value joins the trial's record and, past the warm-up, the pruner answers. */
int dt_pruner_decide(dt_pruner *p, int number, dt_point pt, char *reason, size_t n)
{
    const char *what = pt.kind == DT_POINT_LOSS ? "loss" : "metric";
    if (!isfinite(pt.value)) {
        snprintf(reason, n, "diverged: %s %s at iteration %ld", what,
                 isnan(pt.value) ? "nan" : pt.value > 0 ? "inf" : "-inf", pt.step);
        return DT_PRUNE_DIVERGED;
    }
    if (pt.kind != p->on || number < 0) return 0;
    dt_pruner__trial *t = dt_pruner__trial_get(p, number);
    /* Steps only grow within a trial; a repeated or older step is ignored, as Optuna
     * ignores a second report for a step. */
    if (pt.step <= t->last) return 0;
    long prev = t->last;
    t->last = pt.step;
    double cost = p->sign * pt.value;
    t->best = fmin(t->best, cost);
    long at = pt.step;
    pt.step -= t->lag;
    if (prev >= 0) prev -= t->lag;
    if (p->keep) dt_pruner__append(p, t, pt.step, cost);
    /* A trial at its last iteration has cost all it will: stopping it saves nothing
     * and would throw its full-length result away (patience did, on a validation
     * 0.5 points under an earlier one). */
    if (pt.step < p->warmup || at < t->hold || (p->end > 0 && at >= p->end)) return 0;
    int verdict = dt_pruner__verdict(p, p->kind, t, pt, prev, reason, n);
    if (verdict == DT_PRUNE_WAIT) return DT_PRUNE_WAIT;
    if (!verdict) return 0;
    size_t used = n > 0 ? strlen(reason) : 0;
    if (t->lag && used + 1 < n)
        snprintf(reason + used, n - used, ", this trial's %ld (%ld iterations behind for its burn_in)", at, t->lag);
    return DT_PRUNE_STOP;
}

void dt_pruner_hold(dt_pruner *p, int number, long until, long lag)
{
    if (number < 0) return;
    dt_pruner__trial *t = dt_pruner__trial_get(p, number);
    t->hold = until;
    /* Whole evaluation intervals only: shifted validations then fall on the steps the
     * others validated at, where median and percentile find their values. */
    t->lag = lag > 0 ? lag / p->every * p->every : 0;
}

/* Replay: the very code of decide, so that the state rebuilt is the one decide built. */
void dt_pruner_record(dt_pruner *p, int number, dt_point pt)
{
    char reason[256];
    (void)dt_pruner_decide(p, number, pt, reason, sizeof reason);
}

/* A trial's end: COMPLETE trials become references for median and percentile (once,
 * should the scheduler tell twice). */
void dt_pruner_finish(dt_pruner *p, int number, dt_state state)
{
    if (number < 0) return;
    dt_pruner__trial *t = dt_pruner__trial_get(p, number);
    if (state == DT_COMPLETE && t->state != DT_COMPLETE) {
        if (p->ncomplete == p->capcomplete) {
            p->capcomplete = p->capcomplete ? 2 * p->capcomplete : 16;
            p->complete = dt_xrealloc(p->complete, (size_t)p->capcomplete * sizeof *p->complete);
            p->scratch = dt_xrealloc(p->scratch, (size_t)p->capcomplete * sizeof *p->scratch);
        }
        p->complete[p->ncomplete++] = number;
    }
    t->state = state;
    t->waits = 0;
}

/* The rung trial t waits at, as the standing of its cost there: how many of the
 * rung's costs are lower, and how many may go on (Li et al.'s floor(n / rf)). */
static const dt_pruner__rung *dt_pruner__waiting(const dt_pruner *p, const dt_pruner__trial *t, int *better, int *quota)
{
    const dt_pruner__rung *r = &p->rungs[t->bracket * DT_PRUNER__RUNGS + t->rung - 1];
    *better = 0;
    for (int i = 0; i < r->n; i++) *better += r->v[i] < t->wait_cost;
    *quota = r->n / p->rf;
    return r;
}

int dt_pruner_promotable(const dt_pruner *p, const int *numbers, int n)
{
    int pick = -1;
    for (int i = 0; i < n; i++) {
        if (numbers[i] < 0 || numbers[i] >= p->ntrials || !p->trials[numbers[i]].waits) continue;
        const dt_pruner__trial *t = &p->trials[numbers[i]];
        int better, quota;
        dt_pruner__waiting(p, t, &better, &quota);
        if (better >= quota) continue;
        const dt_pruner__trial *b = pick >= 0 ? &p->trials[numbers[pick]] : NULL;
        if (!b || t->rung > b->rung || (t->rung == b->rung && t->wait_cost < b->wait_cost)) pick = i;
    }
    return pick;
}

void dt_pruner_go_on(dt_pruner *p, int number)
{
    if (number >= 0 && number < p->ntrials) p->trials[number].waits = 0;
}

void dt_pruner_left_waiting(const dt_pruner *p, int number, char *reason, size_t n)
{
    if (number < 0 || number >= p->ntrials || !p->trials[number].waits) {
        snprintf(reason, n, "asha: waited at a rung, and no trial is left to start");
        return;
    }
    const dt_pruner__trial *t = &p->trials[number];
    int better, quota;
    const dt_pruner__rung *r = dt_pruner__waiting(p, t, &better, &quota);
    snprintf(reason, n, "asha: %s %.4g not in the top 1/%d of %d trials at rung %d (iteration %ld), "
             "where it waited until no trial was left to start", p->what, p->sign * t->wait_cost, p->rf, r->n,
             t->rung - 1, t->wait_at);
}
