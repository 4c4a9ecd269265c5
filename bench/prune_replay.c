/* bench/prune_replay: a pruner's decisions replayed over a study trained without
 * pruning. bench/prune.sh trains the demo's space to the end once per seed (pruner
 * none), then asks each pruner what it would have done with those very curves:
 *
 *   prune_replay SWEEP.ini [ORDER N]
 *   prune_replay SWEEP.ini --ranks STEP...
 *   prune_replay SWEEP.ini --halving|--promote RF FIRST [ORDER N]
 *
 * SWEEP.ini is the recorded study's sweep with [pruner] replaced; its `storage`
 * names the recorded store. The in-process trainer seeds each trial from the study
 * seed and its number, so a trial cut short by a pruner would have trained the first
 * part of the recorded curve: the replay is what a run with that pruner trains,
 * except for one thing: trials are judged in number order, one at a time, where a run
 * with 2 slots judges each against the trials that happened to finish before it.
 * Each trial gets its burn-in hold and lag first, as dt_sched does.
 *
 * ORDER N: replay N of the recorded trials in an order drawn from seed ORDER instead
 * of all of them in number order. The recorded order is one draw among many, and
 * which trials come first decides much of what a pruner does (the first trials at a
 * rung go on unopposed), so a verdict on a pruner wants many orders.
 *
 * Prints one line: iterations trained, iterations of the recording, the best
 * COMPLETE value and its trial, complete and pruned counts, and the best value of
 * the replayed trials without pruning. With PRUNE_REPLAY_TRIALS=1 in the
 * environment, also one line per trial on stderr: its number, recorded final value,
 * burn-in and the pruner's reason, for reading why a best was lost. With
 * PRUNE_REPLAY_NOLAG=1, trials that warmed up are compared at their own iterations
 * (no lag, as before dt_burn_in_lag), to measure what the lag changes. With
 * PRUNE_REPLAY_WINDOW=W (1..64), the loss series is the mean of the last W raw losses
 * instead of Darknet's avg loss, which trails the raw loss by about ten iterations: to
 * ask whether a loss with less lag ranks the trials better at a pruner's first rungs;
 * with PRUNE_REPLAY_AHEAD=A as well, the least-squares line through those W raw losses
 * read A iterations on: whether a loss extrapolated ranks them better still.
 *
 * --ranks: how well the compared series ranks the trials at each STEP, the question
 * every pruner answers: Spearman's rank correlation between each COMPLETE trial's
 * value at STEP, as the pruner sees it (its first report at or past STEP + its lag,
 * not inside its burn-in), and its final value, both oriented so that 1 means the
 * same order; and how many of them stood ahead of the trial with the best final value
 * there (what a cut at STEP decides: asha keeps the top n/rf). Prints "STEP rho
 * ahead n" for each STEP on one line.
 *
 * --halving and --promote: what successive halving could keep if it were not bound to
 * decide each trial when it reaches a rung, as the asha of dt_pruner (Optuna's
 * stopping-based SuccessiveHalvingPruner) must. Rungs lie at FIRST, FIRST x RF, ...
 * below max_batches (RF > 1, fractions too), each trial's value at a rung read as the
 * pruner sees it (hold and lag included), trials in number order:
 * --halving: synchronous successive halving, each cut waiting for every trial: the
 *   best ceil(n/RF) of the n trials at a rung go on;
 * --promote: ASHA as Li et al. wrote it (arXiv:1810.05934), with one worker: a trial
 *   stops at each rung and waits; whenever the worker is free, it resumes the best
 *   waiting trial of the highest rung that stands among the floor(n/RF) best of its
 *   rung's n, else it starts the next trial; when neither is left, the waiting are
 *   pruned: what [pruner] wait = yes does with one slot (t_table.sh checks they agree).
 * Both print the line of a replay; ORDER N as for a replay. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt_out.h"
#include "dt_rng.h"
#include "dt_pruner.h"
#include "dt_store.h"
#include "dt_sweep.h"

static void die(const char *msg)
{
    fprintf(stderr, "prune_replay: %s\n", msg);
    exit(1);
}

/* A whole number of at least 0 from the command line, or a clear stop: a bad STEP
 * read as 0 would rank the trials at their first reports and say nothing of it. */
static long whole(const char *arg, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < 0) {
        fprintf(stderr, "prune_replay: %s '%s' is not a whole number of at least 0\n", what, arg);
        exit(2);
    }
    return v;
}

/* Reports in the order the scheduler sees them: by iteration, the loss first. */
static int by_step(const void *a, const void *b)
{
    const dt_point *x = a, *y = b;
    if (x->step != y->step) return x->step < y->step ? -1 : 1;
    return x->kind - y->kind;
}

/* The loss series as the mean of the last w raw losses (PRUNE_REPLAY_WINDOW). The store
 * keeps Darknet's avg loss of every iteration, avg_t = 0.9 avg_(t-1) + 0.1 loss_t (the
 * first avg is the first loss), so loss_t = 10 avg_t - 9 avg_(t-1). With ahead > 0
 * (PRUNE_REPLAY_AHEAD), the least-squares line through those w raw losses, read ahead
 * iterations past the report: a trial whose loss falls fast is ranked by where it is
 * heading, not by where it is. */
#define MAX_WINDOW 64
static void raw_window(dt_point *pts, int np, int w, long ahead)
{
    double ring[MAX_WINDOW], step[MAX_WINDOW], prev = NAN;
    int seen = 0;
    for (int k = 0; k < np; k++) {
        if (pts[k].kind != DT_POINT_LOSS || !isfinite(pts[k].value)) continue;
        double avg = pts[k].value, raw = isnan(prev) ? avg : 10 * avg - 9 * prev;
        prev = avg;
        ring[seen % w] = raw;
        step[seen % w] = (double)pts[k].step;
        seen++;
        int m = seen < w ? seen : w;
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int j = 0; j < m; j++) {
            sx += step[j], sy += ring[j];
            sxx += step[j] * step[j], sxy += step[j] * ring[j];
        }
        double mx = sx / m, my = sy / m, vx = sxx / m - mx * mx;
        pts[k].value = ahead > 0 && m > 1 && vx > 0
                     ? my + (sxy / m - mx * my) / vx * ((double)pts[k].step + ahead - mx)
                     : my;
    }
}

static int window(void)
{
    const char *env = getenv("PRUNE_REPLAY_WINDOW");
    long w = env && *env ? whole(env, "PRUNE_REPLAY_WINDOW") : 0;
    if (w > MAX_WINDOW) die("PRUNE_REPLAY_WINDOW is at most 64 iterations");
    return (int)w;
}

static long ahead(void)
{
    const char *env = getenv("PRUNE_REPLAY_AHEAD");
    return env && *env ? whole(env, "PRUNE_REPLAY_AHEAD") : 0;
}

/* A trial's reports, in the order the scheduler sees them, the loss windowed when w > 0
 * (and read ahead iterations on). */
static dt_point *points(dt_store *st, long long id, int number, int w, long ahead, int *np)
{
    dt_point *pts;
    dt_err err;
    if (dt_store_points(st, id, number, &pts, np, &err) != 0) die(err.msg);
    qsort(pts, (size_t)*np, sizeof *pts, by_step);
    if (w) raw_window(pts, *np, w, ahead);
    return pts;
}

/* The index of a trial's value at `at` as a pruner sees it: its first report of kind at
 * or past at + lag, not inside its burn-in (hold); np when there is none. */
static int seen_at(const dt_point *pts, int np, dt_point_kind kind, long hold, long lag, long at)
{
    int k = 0;
    while (k < np && ((int)pts[k].kind != (int)kind || pts[k].step < hold || pts[k].step - lag < at)) k++;
    return k;
}

/* v first: a pointer to it is a pointer to v, so dt_cmp_double sorts these by v. */
typedef struct ranked {
    double v;
    int i;
} ranked;

/* Replaces v[0..n) by their ranks, ties sharing their mean rank. */
static void to_ranks(double *v, int n)
{
    ranked *r = dt_xmalloc((size_t)n * sizeof *r);
    for (int i = 0; i < n; i++) r[i] = (ranked){v[i], i};
    qsort(r, (size_t)n, sizeof *r, dt_cmp_double);
    for (int i = 0, k; i < n; i = k) {
        for (k = i; k < n && r[k].v == r[i].v; k++) {}
        for (int j = i; j < k; j++) v[r[j].i] = (i + k - 1) / 2.0;
    }
    free(r);
}

/* Spearman's rho of x and y (n pairs): Pearson's correlation of their ranks. */
static double spearman(double *x, double *y, int n)
{
    to_ranks(x, n);
    to_ranks(y, n);
    double m = (n - 1) / 2.0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        sxy += (x[i] - m) * (y[i] - m);
        sxx += (x[i] - m) * (x[i] - m);
        syy += (y[i] - m) * (y[i] - m);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

static void ranks(const dt_sweep *sw, dt_store *st, long long id, const dt_trial *trials, int n, const long *steps,
                  int nsteps)
{
    dt_point_kind kind = sw->pruner.on_loss ? DT_POINT_LOSS : DT_POINT_METRIC;
    /* goodness: higher is better for both series */
    double sign = kind == DT_POINT_LOSS || !sw->maximize ? -1 : 1, fsign = sw->maximize ? 1 : -1;
    /* step s's pairs are x[s*n + 0..m[s]), y likewise; each trial's points are read once */
    double *x = dt_xmalloc((size_t)nsteps * n * sizeof *x), *y = dt_xmalloc((size_t)nsteps * n * sizeof *y);
    int *m = dt_xcalloc((size_t)nsteps, sizeof *m), *best = dt_xmalloc((size_t)nsteps * sizeof *best);
    int w = window();
    long a = ahead();
    for (int s = 0; s < nsteps; s++) best[s] = -1;
    for (int i = 0; i < n; i++) {
        if (trials[i].state != DT_COMPLETE) continue;
        int np;
        dt_point *pts = points(st, id, trials[i].number, w, a, &np);
        long lag, hold = dt_out_burn_in(sw, trials[i].values, &lag);
        for (int s = 0; s < nsteps; s++) {
            int k = seen_at(pts, np, kind, hold, lag, steps[s]);
            if (k == np) continue;
            double *xs = x + (size_t)s * n, *ys = y + (size_t)s * n;
            xs[m[s]] = sign * pts[k].value;
            ys[m[s]] = fsign * trials[i].value;
            if (best[s] < 0 || ys[m[s]] > ys[best[s]]) best[s] = m[s];
            m[s]++;
        }
        free(pts);
    }
    for (int s = 0; s < nsteps; s++) {
        double *xs = x + (size_t)s * n, *ys = y + (size_t)s * n;
        int ahead = 0;
        for (int i = 0; i < m[s]; i++) ahead += xs[i] > xs[best[s]];
        printf("%s%ld %.3f %d %d", s ? " " : "", steps[s], m[s] > 2 ? spearman(xs, ys, m[s]) : NAN, ahead,
               m[s]);
    }
    printf("\n");
    free(x);
    free(y);
    free(m);
    free(best);
}

/* The order trials are replayed in: all n in number order when count is 0, else the
 * first count of an order drawn from seed. Sets *m to how many. */
static int *draw_order(int n, long seed, long count, int *m)
{
    int *order = dt_xmalloc((size_t)n * sizeof *order);
    for (int i = 0; i < n; i++) order[i] = i;
    *m = n;
    if (count) {
        if (count > n) die("N must be between 1 and the recorded trials");
        dt_rng r;
        dt_rng_seed(&r, (uint64_t)seed, 0);
        dt_rng_shuffle(&r, order, n);
        *m = (int)count;
    }
    return order;
}

/* Replays the pruner over the recorded trials (all in number order when count is 0,
 * else COUNT of them in an order drawn from SEED) and prints the line the header
 * describes. */
static void replay(const dt_sweep *sw, dt_store *st, long long id, dt_trial *trials, int n, dt_pruner *p,
                   long seed, long count)
{
    int m, w = window(), *order = draw_order(n, seed, count, &m);
    long a = ahead();
    long trained = 0, recorded = 0;
    double none = NAN;
    int best = -1, complete = 0, pruned = 0;
    const char *env = getenv("PRUNE_REPLAY_TRIALS");
    int verbose = env && *env == '1';
    env = getenv("PRUNE_REPLAY_NOLAG");
    int nolag = env && *env == '1';
    for (int o = 0; o < m; o++) {
        int i = order[o];
        dt_trial *t = &trials[i];
        int np;
        dt_point *pts = points(st, id, t->number, w, a, &np);
        long lag, until = dt_out_burn_in(sw, t->values, &lag);
        if (nolag) lag = 0;
        dt_pruner_hold(p, t->number, until, lag);
        long stop = -1;
        char reason[256];
        for (int k = 0; k < np && stop < 0; k++)
            if (dt_pruner_decide(p, t->number, pts[k], reason, sizeof reason)) stop = pts[k].step;
        free(pts);
        if (verbose)
            fprintf(stderr, "trial %3d  %s %.4f  burn_in %ld  %s\n", t->number, dt_state_name(t->state), t->value,
                    until, stop >= 0 ? reason : "kept");
        recorded += t->iterations;
        if (t->state == DT_COMPLETE && (isnan(none) || (sw->maximize ? t->value > none : t->value < none)))
            none = t->value;
        /* A trial the recording itself stopped (diverged) ends as it did there. */
        int done = stop < 0 && t->state == DT_COMPLETE;
        trained += stop >= 0 ? stop : t->iterations;
        dt_pruner_finish(p, t->number, done ? DT_COMPLETE : DT_PRUNED);
        if (!done) {
            pruned++;
            continue;
        }
        complete++;
        if (best < 0 || (sw->maximize ? t->value > trials[best].value : t->value < trials[best].value)) best = i;
    }
    printf("%ld %ld %.4f %d %d %d %.4f\n", trained, recorded, best >= 0 ? trials[best].value : NAN,
           best >= 0 ? trials[best].number : -1, complete, pruned, none);
    free(order);
}

/* --halving and --promote (see the top). */
#define MAX_RUNGS 64
static void halving(const dt_sweep *sw, dt_store *st, long long id, const dt_trial *trials, int n, double rf,
                    long first, int promote, long seed, long count)
{
    int m, *order = draw_order(n, seed, count, &m);
    long rung[MAX_RUNGS + 1];
    int nr = 0;
    for (double r = (double)first; lround(r) < sw->max_batches && nr < MAX_RUNGS; r *= rf)
        if (nr == 0 || lround(r) > rung[nr - 1]) rung[nr++] = lround(r);
    rung[nr] = sw->max_batches;
    /* cost[i * nr + k]: trial i's value at rung k, lower is better; INFINITY when the
     * trial has none there (the recording stopped it first: it cannot go on) */
    dt_point_kind kind = sw->pruner.on_loss ? DT_POINT_LOSS : DT_POINT_METRIC;
    double sign = kind == DT_POINT_LOSS || !sw->maximize ? 1 : -1, none = NAN;
    double *cost = dt_xmalloc((size_t)n * (size_t)(nr ? nr : 1) * sizeof *cost);
    int w = window();
    long a = ahead();
    for (int i = 0; i < n; i++) {
        int np;
        dt_point *pts = points(st, id, trials[i].number, w, a, &np);
        long lag, hold = dt_out_burn_in(sw, trials[i].values, &lag);
        for (int k = 0; k < nr; k++) {
            int j = seen_at(pts, np, kind, hold, lag, rung[k]);
            cost[i * nr + k] = j < np ? sign * pts[j].value : INFINITY;
        }
        free(pts);
    }
    /* at[i]: the stretches trial i has trained, so it waits at rung at[i] - 1 (at nr + 1:
     * it ended; -1: cut); entered[k * n ..]: the trials that reached rung k (k = nr: the
     * end), in the order they came */
    int *at = dt_xmalloc((size_t)n * sizeof *at);
    int *entered = dt_xmalloc((size_t)n * (size_t)(nr + 1) * sizeof *entered), *size = dt_xcalloc((size_t)nr + 1, sizeof *size);
    long trained = 0, recorded = 0;
    for (int i = 0; i < n; i++) at[i] = -1;   /* not replayed */
    for (int o = 0; o < m; o++) {
        int i = order[o];
        at[i] = 0;
        recorded += trials[i].iterations;
        if (trials[i].state == DT_COMPLETE &&
            (isnan(none) || (sw->maximize ? trials[i].value > none : trials[i].value < none)))
            none = trials[i].value;
    }
    /* trains trial i from its rung to the next; a trial the recording stopped first
     * (diverged) ends there, in no rung, as the scheduler stops it */
    #define ADVANCE(i)                                                                      \
        do {                                                                                \
            long from = at[i] ? rung[at[i] - 1] : 0, to = rung[at[i]];                      \
            if (to > trials[i].iterations) {                                                \
                trained += trials[i].iterations > from ? trials[i].iterations - from : 0;  \
                at[i] = -1;                                                                 \
                break;                                                                      \
            }                                                                               \
            trained += to - from;                                                           \
            entered[at[i] * n + size[at[i]]++] = i;                                         \
            at[i]++;                                                                        \
        } while (0)
    if (!promote) {
        for (int k = 0; k <= nr; k++) {
            for (int i = 0; i < n; i++)
                if (at[i] == k) ADVANCE(i);
            int here = size[k];
            if (k == nr) break;
            /* the rung's best ceil(here/rf) go on: ranks by cost, ties to the earlier trial */
            int keep = (int)ceil(here / rf - 1e-9);
            for (int j = 0; j < here; j++) {
                int i = entered[k * n + j], better = 0;
                for (int q = 0; q < here; q++) {
                    int o = entered[k * n + q];
                    better += cost[o * nr + k] < cost[i * nr + k] || (cost[o * nr + k] == cost[i * nr + k] && o < i);
                }
                if (better >= keep || isinf(cost[i * nr + k])) at[i] = -1;   /* cut */
            }
        }
    } else {
        for (int next = 0;;) {
            int job = -1;
            for (int k = nr - 1; k >= 0 && job < 0; k--) {
                int quota = (int)floor(size[k] / rf + 1e-9);
                for (int j = 0; j < size[k]; j++) {
                    int i = entered[k * n + j], better = 0;
                    if (at[i] != k + 1 || isinf(cost[i * nr + k])) continue;   /* gone on, or cannot */
                    for (int q = 0; q < size[k]; q++) better += cost[entered[k * n + q] * nr + k] < cost[i * nr + k];
                    if (better < quota && (job < 0 || cost[i * nr + k] < cost[job * nr + k])) job = i;
                }
            }
            if (job >= 0) {
                ADVANCE(job);
                continue;
            }
            if (next == m) break;
            ADVANCE(order[next]);
            next++;
        }
    }
    #undef ADVANCE
    int best = -1, complete = 0;
    for (int i = 0; i < n; i++) {
        if (at[i] != nr + 1 || trials[i].state != DT_COMPLETE) continue;
        complete++;
        if (best < 0 || (sw->maximize ? trials[i].value > trials[best].value : trials[i].value < trials[best].value))
            best = i;
    }
    printf("%ld %ld %.4f %d %d %d %.4f\n", trained, recorded, best >= 0 ? trials[best].value : NAN,
           best >= 0 ? trials[best].number : -1, complete, m - complete, none);
    free(order);
    free(cost);
    free(at);
    free(entered);
    free(size);
}

int main(int argc, char **argv)
{
    int rank_mode = argc >= 4 && strcmp(argv[2], "--ranks") == 0;
    int waits = (argc == 5 || argc == 7) && (strcmp(argv[2], "--halving") == 0 || strcmp(argv[2], "--promote") == 0);
    int promote = waits && strcmp(argv[2], "--promote") == 0;
    if (argc != 2 && argc != 4 && !rank_mode && !waits) {
        fprintf(stderr, "usage: prune_replay SWEEP.ini [ORDER N]\n       prune_replay SWEEP.ini --ranks STEP...\n"
                        "       prune_replay SWEEP.ini --halving|--promote RF FIRST [ORDER N]\n");
        return 2;
    }
    double rf = 0;
    long first = 0;
    if (waits) {
        char *end;
        rf = strtod(argv[3], &end);
        if (end == argv[3] || *end || !(rf > 1) || !isfinite(rf)) {
            fprintf(stderr, "prune_replay: RF '%s' is not a number above 1\n", argv[3]);
            return 2;
        }
        first = whole(argv[4], "FIRST");
        if (first < 1) die("FIRST must be at least 1 iteration");
    }
    /* the numbers first: a typo stops here, before the store is opened */
    int nsteps = rank_mode ? argc - 3 : 0;
    long *steps = dt_xmalloc((size_t)(nsteps + 1) * sizeof *steps), seed = 0, count = 0;
    for (int i = 0; i < nsteps; i++) steps[i] = whole(argv[3 + i], "STEP");
    if ((argc == 4 && !rank_mode) || (waits && argc == 7)) {
        seed = whole(argv[argc - 2], "ORDER");
        count = whole(argv[argc - 1], "N");
        if (count < 1) die("N must be between 1 and the recorded trials");
    }
    dt_sweep sw = {0};
    dt_err err;
    if (dt_sweep_load(&sw, argv[1], &err) != 0) die(err.msg);
    dt_store *st;
    long long id;
    dt_trial *trials;
    int n;
    dt_pruner *p;
    dt_pruner_opts popts = dt_sweep_pruner(&sw);
    if (dt_store_open(&st, sw.storage, &err) != 0 ||
        dt_store_study(st, sw.name, sw.maximize ? "maximize" : "minimize", dt_metric_name(sw.metric), &id, &err) ||
        dt_store_load(st, id, &sw.space, sw.pruner.on_loss ? DT_POINT_LOSS : DT_POINT_METRIC, &trials, &n, &err) != 0 ||
        dt_pruner_create(&p, &popts, &err) != 0)
        die(err.msg);
    if (rank_mode)
        ranks(&sw, st, id, trials, n, steps, nsteps);
    else if (waits)
        halving(&sw, st, id, trials, n, rf, first, promote, seed, count);
    else
        replay(&sw, st, id, trials, n, p, seed, count);
    free(steps);
    dt_pruner_free(p);
    dt_trials_free(trials, n);
    dt_store_close(st);
    dt_sweep_free(&sw);
    return 0;
}
