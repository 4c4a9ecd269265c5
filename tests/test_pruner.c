/* test_pruner: hand-made learning curves whose right decisions are known, for every
 * pruner: where median and percentile prune and where they must not (warm-up,
 * interval, startup trials, min_trials, direction), ASHA promotions against a hand
 * computation of Optuna's rule, Hyperband brackets, patience, divergence, and a
 * resume that replays stored values and must decide as the first run did. */
#include "dt_pruner.h"
#include "dt_rng.h"
#include "dt_test.h"

#include <stdlib.h>

#define MAXSTEP 400

/* Options with the [pruner] defaults of SWEEPS.md, comparing the loss. */
static dt_pruner_opts opts(dt_pruner_kind kind)
{
    return (dt_pruner_opts){.kind = kind, .on_loss = 1, .startup_trials = 5, .interval = 1, .min_trials = 1,
                            .percentile = 25, .reduction_factor = 3, .lower = NAN, .upper = NAN,
                            .seed = 7, .max_batches = 1000};
}

static dt_pruner *make(const dt_pruner_opts *o)
{
    dt_pruner *p = NULL;
    dt_err err = {0};
    CHECK(dt_pruner_create(&p, o, &err) == 0);
    return p;
}

static dt_point pt(int kind, long step, double value)
{
    return (dt_point){.step = step, .kind = kind, .value = value};
}

/* A learning curve: its value at each step, given a level a. */
typedef double (*curve_fn)(long step, double a);

static double sqrt_curve(long step, double a) { return a + 1 / sqrt((double)step); }
static double flat_curve(long step, double a) { (void)step; return a; }
static double ramp_curve(long step, double a) { return a * step / 100; }

/* Reports f(step, a) for trial `number` every `every` iterations up to `upto`, and
 * finishes it (PRUNED or COMPLETE). Returns the iteration it was pruned at, 0 if none;
 * the reason lands in reason (may be NULL). */
static long run(dt_pruner *p, int number, int kind, curve_fn f, double a, long upto, long every, char *reason)
{
    char buf[256];
    for (long s = every; s <= upto; s += every) {
        if (dt_pruner_decide(p, number, pt(kind, s, f(s, a)), buf, sizeof buf)) {
            if (reason) snprintf(reason, 256, "%s", buf);
            dt_pruner_finish(p, number, DT_PRUNED);
            return s;
        }
    }
    dt_pruner_finish(p, number, DT_COMPLETE);
    return 0;
}

/* Five complete trials a + 1/sqrt(step), a = 1.0 .. 1.4, steps 1..upto. */
static void five_done(dt_pruner *p, long upto)
{
    for (int i = 0; i < 5; i++) CHECK(run(p, i, DT_POINT_LOSS, sqrt_curve, 1.0 + 0.1 * i, upto, 1, NULL) == 0);
}

static void test_median(void)
{
    char why[256] = "";
    dt_pruner_opts o = opts(DT_PRUNER_MEDIAN);
    o.warmup = 10;
    o.interval = 5;
    dt_pruner *p = make(&o);
    five_done(p, 100);
    /* Median at step 10: 1.2 + 1/sqrt(10); the worse trial goes at the warm-up, not before. */
    CHECK(run(p, 5, DT_POINT_LOSS, sqrt_curve, 2.0, 100, 1, why) == 10);
    CHECK_STR(why, "median: best loss 2.316 worse than the median 1.516 of 5 trials at iteration 10");
    /* A flat 1.2 + 1/sqrt(10.5) is better than the median up to step 10, worse from 11:
     * pruned at 15, the next step on the grid 10, 15, 20, ... */
    CHECK(run(p, 6, DT_POINT_LOSS, flat_curve, 1.2 + 1 / sqrt(10.5), 100, 1, NULL) == 15);
    CHECK(run(p, 7, DT_POINT_LOSS, sqrt_curve, 0.9, 100, 1, NULL) == 0);
    dt_pruner_free(p);

    o.interval = 1;
    p = make(&o);
    five_done(p, 100);
    CHECK(run(p, 5, DT_POINT_LOSS, flat_curve, 1.2 + 1 / sqrt(10.5), 100, 1, NULL) == 11);
    /* A trial's best so far counts, not its last value: 1.0 then 5.0 stays. */
    CHECK(dt_pruner_decide(p, 6, pt(DT_POINT_LOSS, 1, 1.0), why, sizeof why) == 0);
    for (long s = 2; s <= 100; s++) CHECK(dt_pruner_decide(p, 6, pt(DT_POINT_LOSS, s, 5.0), why, sizeof why) == 0);
    dt_pruner_free(p);
}

static void test_startup_and_min_trials(void)
{
    dt_pruner_opts o = opts(DT_PRUNER_MEDIAN);
    o.warmup = 10;
    dt_pruner *p = make(&o);
    for (int i = 0; i < 4; i++) run(p, i, DT_POINT_LOSS, sqrt_curve, 1.0 + 0.1 * i, 100, 1, NULL);
    /* Four complete, a fifth running or pruned: no pruning yet. */
    dt_pruner_finish(p, 4, DT_PRUNED);
    CHECK(run(p, 5, DT_POINT_LOSS, sqrt_curve, 3.0, 100, 1, NULL) == 0);   /* completes: the fifth */
    CHECK(run(p, 6, DT_POINT_LOSS, sqrt_curve, 3.0, 100, 1, NULL) == 10);
    dt_pruner_free(p);

    o.min_trials = 6;
    p = make(&o);
    five_done(p, 100);
    CHECK(run(p, 5, DT_POINT_LOSS, sqrt_curve, 3.0, 100, 1, NULL) == 0);
    CHECK(run(p, 6, DT_POINT_LOSS, sqrt_curve, 3.0, 100, 1, NULL) == 10);   /* six now */
    dt_pruner_free(p);

    /* Only values at the same step count: complete trials stopped at 50. */
    o.min_trials = 1;
    o.warmup = 60;
    p = make(&o);
    five_done(p, 50);
    CHECK(run(p, 5, DT_POINT_LOSS, sqrt_curve, 3.0, 100, 1, NULL) == 0);
    dt_pruner_free(p);
}

static void test_percentile(void)
{
    char why[256] = "";
    dt_pruner_opts o = opts(DT_PRUNER_PERCENTILE);
    /* Complete flat losses 1..5: 25th percentile 2, 75th 4, 30th 2.2 (interpolated),
     * 100th 5; a trial equal to the percentile stays. */
    double expect[][3] = {{25, 3, 1}, {25, 2, 0}, {75, 3, 0}, {75, 4.5, 1}, {100, 4.5, 0}, {30, 2.1, 0},
                          {30, 2.3, 1}};
    for (int k = 0; k < 7; k++) {
        o.percentile = expect[k][0];
        dt_pruner *p = make(&o);
        for (int i = 0; i < 5; i++) run(p, i, DT_POINT_LOSS, flat_curve, i + 1, 20, 1, NULL);
        CHECK((run(p, 5, DT_POINT_LOSS, flat_curve, expect[k][1], 20, 1, why) == 1) == (int)expect[k][2]);
        dt_pruner_free(p);
    }
    CHECK_STR(why, "percentile: best loss 2.3 worse than the 30th percentile 2.2 of 5 trials at iteration 1");

    /* The loss is minimized even in a study that maximizes its metric. */
    o.percentile = 25;
    o.maximize = 1;
    dt_pruner *p = make(&o);
    for (int i = 0; i < 5; i++) run(p, i, DT_POINT_LOSS, flat_curve, i + 1, 20, 1, NULL);
    CHECK(run(p, 5, DT_POINT_LOSS, flat_curve, 1.5, 20, 1, NULL) == 0);
    CHECK(run(p, 6, DT_POINT_LOSS, flat_curve, 2.5, 20, 1, NULL) == 1);
    dt_pruner_free(p);
}

static void test_metric_direction(void)
{
    char why[256] = "";
    dt_pruner_opts o = opts(DT_PRUNER_PERCENTILE);
    o.on_loss = 0;
    o.maximize = 1;
    o.warmup = 15;
    o.eval_interval = 10;
    dt_pruner *p = make(&o);
    /* Complete metrics 0.1..0.5 every 10 iterations; maximized, Optuna keeps trials
     * above the (100 - 25)th percentile: 0.4. The first report at or past 15 is 20. */
    for (int i = 0; i < 5; i++) run(p, i, DT_POINT_METRIC, flat_curve, 0.1 * (i + 1), 100, 10, NULL);
    CHECK(run(p, 5, DT_POINT_METRIC, flat_curve, 0.35, 100, 10, why) == 20);
    CHECK_STR(why, "percentile: best metric 0.35 worse than the 75th percentile 0.4 of 5 trials at iteration 20");
    CHECK(run(p, 6, DT_POINT_METRIC, flat_curve, 0.45, 100, 10, NULL) == 0);
    /* Losses are only checked for divergence when the metric is compared. */
    for (long s = 1; s <= 100; s++) CHECK(dt_pruner_decide(p, 7, pt(DT_POINT_LOSS, s, 1e6), why, sizeof why) == 0);
    dt_pruner_free(p);

    o.maximize = 0;   /* a metric to minimize: the 25th percentile, 0.2 */
    p = make(&o);
    for (int i = 0; i < 5; i++) run(p, i, DT_POINT_METRIC, flat_curve, 0.1 * (i + 1), 100, 10, NULL);
    CHECK(run(p, 5, DT_POINT_METRIC, flat_curve, 0.35, 100, 10, NULL) == 20);
    CHECK(run(p, 6, DT_POINT_METRIC, flat_curve, 0.15, 100, 10, NULL) == 0);
    dt_pruner_free(p);

    /* Interval 20 after a warm-up of 15: decisions at the first reports at or past
     * 15, 35, 55, ... (20, 40, 60). Complete metrics rise as 0.1..0.5 * step / 100,
     * their 75th percentile as 0.004 * step: a flat 0.18 is worse from 50 on. */
    o.maximize = 1;
    o.interval = 20;
    p = make(&o);
    for (int i = 0; i < 5; i++) run(p, i, DT_POINT_METRIC, ramp_curve, 0.1 * (i + 1), 100, 10, NULL);
    CHECK(run(p, 5, DT_POINT_METRIC, flat_curve, 0.18, 100, 10, NULL) == 60);
    dt_pruner_free(p);
    o.interval = 1;
    p = make(&o);
    for (int i = 0; i < 5; i++) run(p, i, DT_POINT_METRIC, ramp_curve, 0.1 * (i + 1), 100, 10, NULL);
    CHECK(run(p, 5, DT_POINT_METRIC, flat_curve, 0.18, 100, 10, NULL) == 50);
    dt_pruner_free(p);
}

static void test_noisy(void)
{
    dt_pruner_opts o = opts(DT_PRUNER_MEDIAN);
    o.warmup = 20;
    o.interval = 10;
    dt_pruner *p = make(&o);
    dt_rng r;
    dt_rng_seed(&r, 42, 0);
    long pruned[12] = {0};
    /* Ten complete trials 1.0..1.45 + 3/sqrt(step), then a bad (2.5) and a good (0.8)
     * one, all with Gaussian noise of 0.1 on every iteration. */
    for (int i = 0; i < 12; i++) {
        double a = i < 10 ? 1.0 + 0.05 * i : i == 10 ? 2.5 : 0.8;
        char why[256];
        for (long s = 1; s <= 200 && !pruned[i]; s++)
            if (dt_pruner_decide(p, i, pt(DT_POINT_LOSS, s, a + 3 / sqrt((double)s) + 0.1 * dt_rng_normal(&r)),
                                 why, sizeof why))
                pruned[i] = s;
        dt_pruner_finish(p, i, pruned[i] ? DT_PRUNED : DT_COMPLETE);
    }
    CHECK(pruned[10] == 20);
    CHECK(pruned[11] == 0);
    dt_pruner_free(p);
}

static void test_asha(void)
{
    char why[256] = "";
    dt_pruner_opts o = opts(DT_PRUNER_ASHA);
    o.min_resource = 10;
    dt_pruner *p = make(&o);
    /* Rung 0 at iteration 10, values arriving in this order. Optuna's rule, by hand:
     * n values, k = max(n/3 - 1, 0), promoted when at most k are lower.
     * 5 (n1 k0: 0 lower) 3 (n2: 0) 8 (n3 k0: 2) 1 (n4: 0) 2 (n5 k0: 1) 4 (n6 k1: 3)
     * 7 (n7 k1: 5) 2.5 (n8 k1: 2) 1.5 (n9 k2: 1). */
    double v[9] = {5, 3, 8, 1, 2, 4, 7, 2.5, 1.5};
    long want[9] = {0, 0, 10, 0, 10, 10, 10, 10, 0};
    for (int i = 0; i < 9; i++) CHECK(run(p, i, DT_POINT_LOSS, flat_curve, v[i], 10, 1, why) == want[i]);
    CHECK_STR(why, "asha: loss 2.5 not in the top 1/3 of 8 trials at rung 0 (iteration 10)");
    /* Rung 1 (iteration 30), reached by trials 0, 1, 3, 8 in this order: 5 (n1), 3 (n2:
     * 0 lower), 1 (n3: 0), 1.5 (n4 k0: 1 lower, pruned). */
    for (int i = 0; i < 4; i++) {
        int t = (int[]){0, 1, 3, 8}[i];
        CHECK(dt_pruner_decide(p, t, pt(DT_POINT_LOSS, 30, v[t]), why, sizeof why) == (t == 8));
    }
    dt_pruner_free(p);

    /* min_early_stopping_rate 1: the first rung is at 30, not 10. */
    o.min_early_stopping_rate = 1;
    p = make(&o);
    CHECK(run(p, 0, DT_POINT_LOSS, flat_curve, 1, 100, 1, NULL) == 0);
    CHECK(run(p, 1, DT_POINT_LOSS, flat_curve, 2, 100, 1, why) == 30);
    CHECK_STR(why, "asha: loss 2 not in the top 1/3 of 2 trials at rung 0 (iteration 30)");
    dt_pruner_free(p);

    /* Automatic first rung: max_batches / 8 for the loss, eval_interval for the metric. */
    o.min_early_stopping_rate = 0;
    o.min_resource = 0;
    o.max_batches = 270;
    p = make(&o);
    run(p, 0, DT_POINT_LOSS, flat_curve, 1, 270, 1, NULL);
    CHECK(run(p, 1, DT_POINT_LOSS, flat_curve, 2, 270, 1, NULL) == 33);
    dt_pruner_free(p);
    o.on_loss = 0;
    o.maximize = 1;
    o.eval_interval = 50;
    p = make(&o);
    run(p, 0, DT_POINT_METRIC, flat_curve, 0.9, 270, 10, NULL);
    CHECK(run(p, 1, DT_POINT_METRIC, flat_curve, 0.95, 270, 10, NULL) == 0);   /* higher is better */
    CHECK(run(p, 2, DT_POINT_METRIC, flat_curve, 0.5, 270, 10, NULL) == 50);
    dt_pruner_free(p);
}

/* asha with wait: every arrival at a rung waits; dt_pruner_promotable lets on one of
 * the floor(n/rf) best of a rung, the highest rung first, the best there. */
static void test_asha_wait(void)
{
    char why[256] = "";
    dt_pruner_opts o = opts(DT_PRUNER_ASHA);
    o.min_resource = 10;
    o.reduction_factor = 2;
    o.wait = 1;
    dt_pruner *p = make(&o);
    int all[4] = {0, 1, 2, 3};
    /* Rung 0 (iteration 10): 5, then 3: one of two may go on, the 3 (index 1). */
    CHECK(dt_pruner_decide(p, 0, pt(DT_POINT_LOSS, 9, 5), why, sizeof why) == DT_PRUNE_GO);
    CHECK(dt_pruner_decide(p, 0, pt(DT_POINT_LOSS, 10, 5), why, sizeof why) == DT_PRUNE_WAIT);
    CHECK(dt_pruner_promotable(p, all, 1) == -1);   /* alone at its rung: floor(1/2) = 0 go on */
    CHECK(dt_pruner_decide(p, 1, pt(DT_POINT_LOSS, 10, 3), why, sizeof why) == DT_PRUNE_WAIT);
    CHECK(dt_pruner_promotable(p, all, 2) == 1);
    dt_pruner_go_on(p, 1);
    CHECK(dt_pruner_promotable(p, all, 2) == -1);   /* the 5 has the 3 ahead: 1 lower, 1 may go on */
    /* Trial 1 reaches rung 1 (iteration 20) alone and waits; trial 2 arrives at rung 0
     * with 1, the best of three: rung 0 lets one go on (floor(3/2)), and already did. */
    CHECK(dt_pruner_decide(p, 1, pt(DT_POINT_LOSS, 20, 2), why, sizeof why) == DT_PRUNE_WAIT);
    CHECK(dt_pruner_decide(p, 2, pt(DT_POINT_LOSS, 10, 1), why, sizeof why) == DT_PRUNE_WAIT);
    CHECK(dt_pruner_promotable(p, all, 3) == 2);   /* 0 lower than 1 < floor(3/2) */
    dt_pruner_go_on(p, 2);
    /* Trial 3 at rung 0 with 4 (2 lower, floor(4/2) = 2: not); trial 2 at rung 1 with
     * 0.5: both of rung 1 waiting, the one of two that goes on is the highest rung's best. */
    CHECK(dt_pruner_decide(p, 3, pt(DT_POINT_LOSS, 10, 4), why, sizeof why) == DT_PRUNE_WAIT);
    CHECK(dt_pruner_decide(p, 2, pt(DT_POINT_LOSS, 20, 0.5), why, sizeof why) == DT_PRUNE_WAIT);
    CHECK(dt_pruner_promotable(p, all, 4) == 2);
    dt_pruner_go_on(p, 2);
    CHECK(dt_pruner_promotable(p, all, 4) == -1);
    /* The values a trial reports once it went on pass no rung until the next. */
    CHECK(dt_pruner_decide(p, 2, pt(DT_POINT_LOSS, 21, 0.4), why, sizeof why) == DT_PRUNE_GO);
    dt_pruner_left_waiting(p, 0, why, sizeof why);
    CHECK_STR(why, "asha: loss 5 not in the top 1/2 of 4 trials at rung 0 (iteration 10), where it waited until "
                   "no trial was left to start");
    dt_pruner_left_waiting(p, 1, why, sizeof why);
    CHECK_STR(why, "asha: loss 2 not in the top 1/2 of 2 trials at rung 1 (iteration 20), where it waited until "
                   "no trial was left to start");
    /* The end of a trial is no rung: it completes. */
    CHECK(dt_pruner_decide(p, 2, pt(DT_POINT_LOSS, 1000, 0.3), why, sizeof why) == DT_PRUNE_GO);
    /* Divergence still stops at once. */
    CHECK(dt_pruner_decide(p, 3, pt(DT_POINT_LOSS, 11, NAN), why, sizeof why) == DT_PRUNE_DIVERGED);
    dt_pruner_free(p);
}

static void test_hyperband(void)
{
    char why[256] = "";
    dt_pruner_opts o = opts(DT_PRUNER_HYPERBAND);
    o.min_resource = 10;
    o.max_batches = 270;   /* rungs 10, 30, 90, 270: four brackets */
    dt_pruner *p = make(&o), *q = make(&o);
    int count[5] = {0}, same = 1;
    for (int i = 0; i < 200; i++) {
        int b = dt_pruner_bracket(p, i);
        CHECK(b >= 0 && b < 4);
        if (b >= 0 && b < 4) count[b]++;
        same &= b == dt_pruner_bracket(q, i);
    }
    CHECK(same);
    /* Optuna's weights 27 : 12 : 6 : 4 (out of 49): 110, 49, 24, 16 of 200 expected. */
    CHECK(count[0] > 80 && count[0] < 140);
    CHECK(count[1] > count[3] && count[2] > 0 && count[3] > 0);
    dt_pruner_free(q);
    o.seed = 8;
    q = make(&o);
    same = 1;
    for (int i = 0; i < 50; i++) same &= dt_pruner_bracket(p, i) == dt_pruner_bracket(q, i);
    CHECK(!same);
    dt_pruner_free(q);

    /* Trials of bracket 1 (first rung at 30) do not count in bracket 0 (first rung at 10). */
    int in[2][2], nin[2] = {0, 0};
    for (int i = 0; i < 200; i++) {
        int b = dt_pruner_bracket(p, i);
        if (b < 2 && nin[b] < 2) in[b][nin[b]++] = i;
    }
    CHECK(nin[0] == 2 && nin[1] == 2);
    CHECK(run(p, in[1][0], DT_POINT_LOSS, flat_curve, 1, 30, 1, NULL) == 0);
    CHECK(run(p, in[0][0], DT_POINT_LOSS, flat_curve, 2, 270, 1, NULL) == 0);
    CHECK(run(p, in[0][1], DT_POINT_LOSS, flat_curve, 3, 270, 1, why) == 10);
    CHECK_STR(why, "hyperband: loss 3 not in the top 1/3 of 2 trials at rung 0 of bracket 0 (iteration 10)");
    CHECK(run(p, in[1][1], DT_POINT_LOSS, flat_curve, 3, 270, 1, why) == 30);
    CHECK_STR(why, "hyperband: loss 3 not in the top 1/3 of 2 trials at rung 0 of bracket 1 (iteration 30)");
    dt_pruner_free(p);

    o.brackets = 2;
    p = make(&o);
    int seen[2] = {0};
    for (int i = 0; i < 50; i++) {
        int b = dt_pruner_bracket(p, i);
        CHECK(b == 0 || b == 1);
        if (b == 0 || b == 1) seen[b] = 1;
    }
    CHECK(seen[0] && seen[1]);
    dt_pruner_free(p);
}

/* 100 - step until step 20, then 80 for good. */
static double plateau_curve(long step, double a) { return step < 20 ? 100 - step : 80 + a; }
/* Improves by a per iteration, forever. */
static double slope_curve(long step, double a) { return 100 - a * step; }

/* One trial's losses f(step, a) up to `upto` before a fresh pruner o: where it was
 * pruned (0: never). */
static long alone(const dt_pruner_opts *o, curve_fn f, double a, long upto)
{
    dt_pruner *p = make(o);
    long at = run(p, 0, DT_POINT_LOSS, f, a, upto, 1, NULL);
    dt_pruner_free(p);
    return at;
}

static void test_patience(void)
{
    char why[256] = "";
    dt_pruner_opts o = opts(DT_PRUNER_PATIENCE);
    o.patience = 5;
    dt_pruner *p = make(&o);
    /* Best 80 at 20; 21..25 are the five iterations without improvement. */
    CHECK(run(p, 0, DT_POINT_LOSS, plateau_curve, 0, 200, 1, why) == 25);
    CHECK_STR(why, "patience: best loss 80 of the last 5 iterations not better than 80 before them at iteration 25");
    CHECK(run(p, 1, DT_POINT_LOSS, plateau_curve, 0.5, 200, 1, NULL) == 25);
    CHECK(run(p, 2, DT_POINT_LOSS, slope_curve, 1, 200, 1, NULL) == 0);
    dt_pruner_free(p);

    /* A trial whose stall would be seen at its last iteration has trained its whole
     * length: it completes. Without a known max_batches it is pruned there. */
    o.max_batches = 25;
    CHECK(alone(&o, plateau_curve, 0, 25) == 0);
    o.max_batches = 0;
    CHECK(alone(&o, plateau_curve, 0, 25) == 25);
    o.max_batches = 1000;

    /* min_delta: 0.01 per iteration is 0.05 per window, not more than 0.1; the first
     * window with something before it (steps 2..6) already stalls. */
    o.min_delta = 0.1;
    CHECK(alone(&o, slope_curve, 0.01, 200) == 6);
    o.min_delta = 0.04;
    CHECK(alone(&o, slope_curve, 0.01, 200) == 0);

    /* Patience shorter than the metric's interval: the window is the last report alone. */
    o.min_delta = 0;
    o.patience = 3;
    o.on_loss = 0;
    o.maximize = 1;
    p = make(&o);
    double m[] = {0.1, 0.2, 0.3, 0.35, 0.35};
    long at = 0;
    for (int i = 0; i < 5 && !at; i++)
        if (dt_pruner_decide(p, 0, pt(DT_POINT_METRIC, 10 * (i + 1), m[i]), why, sizeof why)) at = 10 * (i + 1);
    CHECK(at == 50);
    dt_pruner_free(p);

    /* Wrapping median: a stalled trial goes only when the median says so too. */
    o = opts(DT_PRUNER_PATIENCE);
    o.patience = 5;
    o.wrap = DT_PRUNER_MEDIAN;
    p = make(&o);
    for (int i = 0; i < 5; i++) run(p, i, DT_POINT_LOSS, flat_curve, i + 1, 50, 1, NULL);
    CHECK(run(p, 5, DT_POINT_LOSS, flat_curve, 2, 50, 1, NULL) == 0);
    CHECK(run(p, 6, DT_POINT_LOSS, flat_curve, 4, 50, 1, why) == 6);
    CHECK_STR(why, "patience: best loss 4 of the last 5 iterations not better than 4 before them at iteration 6; "
                   "median: best loss 4 worse than the median 2.5 of 6 trials at iteration 6");
    CHECK(run(p, 7, DT_POINT_LOSS, slope_curve, 0.001, 50, 1, NULL) == 0);   /* improving, if slowly */
    dt_pruner_free(p);
}

static void test_threshold(void)
{
    char why[256] = "";
    dt_pruner_opts o = opts(DT_PRUNER_THRESHOLD);
    o.upper = 20;
    o.warmup = 10;
    dt_pruner *p = make(&o);
    CHECK(dt_pruner_decide(p, 0, pt(DT_POINT_LOSS, 9, 25), why, sizeof why) == 0);
    CHECK(dt_pruner_decide(p, 0, pt(DT_POINT_METRIC, 10, 25), why, sizeof why) == 0);
    CHECK(dt_pruner_decide(p, 0, pt(DT_POINT_LOSS, 10, 25), why, sizeof why) == 1);
    CHECK_STR(why, "loss 25 above the threshold 20 at iteration 10");
    dt_pruner_free(p);
}

static void test_divergence(void)
{
    for (int k = DT_PRUNER_NONE; k <= DT_PRUNER_PATIENCE; k++) {
        char why[256] = "";
        dt_pruner_opts o = opts((dt_pruner_kind)k);
        o.upper = 1e9;
        o.patience = 5;
        dt_pruner *p = make(&o);
        CHECK(dt_pruner_decide(p, 0, pt(DT_POINT_LOSS, 11, 3.0), why, sizeof why) == 0);
        CHECK(dt_pruner_decide(p, 0, pt(DT_POINT_LOSS, 12, NAN), why, sizeof why) == DT_PRUNE_DIVERGED);
        CHECK_STR(why, "diverged: loss nan at iteration 12");
        CHECK(dt_pruner_decide(p, 1, pt(DT_POINT_METRIC, 3, INFINITY), why, sizeof why) == DT_PRUNE_DIVERGED);
        CHECK_STR(why, "diverged: metric inf at iteration 3");
        CHECK(dt_pruner_decide(p, 2, pt(DT_POINT_LOSS, 1, -INFINITY), why, sizeof why) == DT_PRUNE_DIVERGED);
        CHECK_STR(why, "diverged: loss -inf at iteration 1");
        dt_pruner_free(p);
    }
}

/* Trial i's loss in the resume scenario: levels and plateaus that differ by trial. */
static double resume_loss(int i, long s)
{
    long cap = 8 + (i * 7) % 13;
    return 1.0 + (i * 37 % 11) / 10.0 + 2 / sqrt((double)(s < cap ? s : cap));
}

/* Runs trials 0..n-1 for 40 iterations each on p, deciding live from trial `from`
 * on and replaying trials before it (their first `stop[i]` iterations, as the store
 * kept them) through record and finish. Writes the iteration each was pruned at. */
static void resume_scenario(dt_pruner *p, int n, int from, long *stop)
{
    char why[256];
    for (int i = 0; i < n; i++) {
        if (i < from) {
            long upto = stop[i] ? stop[i] : 40;
            for (long s = 1; s <= upto; s++) dt_pruner_record(p, i, pt(DT_POINT_LOSS, s, resume_loss(i, s)));
            dt_pruner_finish(p, i, stop[i] ? DT_PRUNED : DT_COMPLETE);
            continue;
        }
        stop[i] = 0;
        for (long s = 1; s <= 40 && !stop[i]; s++)
            if (dt_pruner_decide(p, i, pt(DT_POINT_LOSS, s, resume_loss(i, s)), why, sizeof why)) stop[i] = s;
        dt_pruner_finish(p, i, stop[i] ? DT_PRUNED : DT_COMPLETE);
    }
}

static void test_resume(void)
{
    dt_pruner_kind kinds[] = {DT_PRUNER_MEDIAN, DT_PRUNER_PERCENTILE, DT_PRUNER_ASHA, DT_PRUNER_HYPERBAND,
                              DT_PRUNER_PATIENCE};
    for (int k = 0; k < 5; k++) {
        dt_pruner_opts o = opts(kinds[k]);
        o.startup_trials = 3;
        o.warmup = 5;
        o.interval = 3;
        o.min_resource = 5;
        o.reduction_factor = 2;
        o.max_batches = 40;
        o.patience = 4;
        o.wrap = kinds[k] == DT_PRUNER_PATIENCE ? DT_PRUNER_PERCENTILE : DT_PRUNER_NONE;
        long first[24], again[24];
        dt_pruner *p = make(&o);
        resume_scenario(p, 24, 0, first);
        dt_pruner_free(p);
        int npruned = 0;
        for (int i = 0; i < 24; i++) npruned += first[i] != 0;
        CHECK(npruned > 0 && npruned < 24);   /* the scenario decides something */
        memcpy(again, first, sizeof again);
        p = make(&o);
        resume_scenario(p, 24, 12, again);
        dt_pruner_free(p);
        CHECK(memcmp(first, again, sizeof first) == 0);
    }
}

/* The setups of test_hold and test_lag. median (warm-up 10) after five_done. */
static dt_pruner *median_after_five(void)
{
    dt_pruner_opts o = opts(DT_PRUNER_MEDIAN);
    o.warmup = 10;
    dt_pruner *p = make(&o);
    five_done(p, 100);
    return p;
}

/* asha with rungs at 10, 30, 90, after trials 0-2 filled rung 0 with 1, 2, 3 (2 and 3
 * pruned there). */
static dt_pruner *asha_after_three(void)
{
    dt_pruner_opts o = opts(DT_PRUNER_ASHA);
    o.min_resource = 10;
    dt_pruner *p = make(&o);
    CHECK(run(p, 0, DT_POINT_LOSS, flat_curve, 1, 100, 1, NULL) == 0);
    CHECK(run(p, 1, DT_POINT_LOSS, flat_curve, 2, 100, 1, NULL) == 10);
    CHECK(run(p, 2, DT_POINT_LOSS, flat_curve, 3, 100, 1, NULL) == 10);
    return p;
}

/* A trial's own warm-up (its burn_in): median says nothing before it however bad the
 * trial looks, and asha skips the rungs before it rather than filling them with the
 * warm-up's values, so it is first compared with the others' values at one iteration. */
static void test_hold(void)
{
    char why[256] = "";
    dt_pruner *p = median_after_five();
    dt_pruner_hold(p, 5, 40, 0);
    CHECK(run(p, 5, DT_POINT_LOSS, sqrt_curve, 2.0, 100, 1, why) == 40);
    CHECK_STR(why, "median: best loss 2.158 worse than the median 1.358 of 5 trials at iteration 40");
    dt_pruner_hold(p, 6, 40, 0);   /* held, but as good as the best: never pruned */
    CHECK(run(p, 6, DT_POINT_LOSS, sqrt_curve, 1.0, 100, 1, NULL) == 0);
    dt_pruner_free(p);

    /* Trial 3 warms up to 20: it skips rung 0 (which keeps 3 values) and is judged at
     * rung 1. */
    p = asha_after_three();
    dt_pruner_hold(p, 3, 20, 0);
    CHECK(run(p, 3, DT_POINT_LOSS, ramp_curve, 50, 100, 1, why) == 30);
    CHECK_STR(why, "asha: loss 15 not in the top 1/3 of 2 trials at rung 1 (iteration 30)");
    /* Trial 4 also skips rung 0: rung 0 still holds 3 values, so trial 5's value 1.5
     * is the 2nd of 4 there (k = 0): pruned, as it would be without trial 4. */
    dt_pruner_hold(p, 4, 20, 0);
    CHECK(run(p, 4, DT_POINT_LOSS, flat_curve, 0.5, 100, 1, NULL) == 0);
    CHECK(run(p, 5, DT_POINT_LOSS, flat_curve, 1.5, 100, 1, why) == 10);
    CHECK_STR(why, "asha: loss 1.5 not in the top 1/3 of 4 trials at rung 0 (iteration 10)");
    dt_pruner_free(p);
}

/* The curve of five_done 30 iterations late: flat at a + 1 until then, as a trial
 * whose burn-in ramp left it 30 iterations behind. */
static double late_curve(long step, double a) { return step <= 31 ? a + 1 : a + 1 / sqrt((double)(step - 30)); }

/* A trial's lag (what its burn-in forgoes): it is compared with the others' values of
 * `lag` iterations earlier, so that one just out of its warm-up that learns as fast as
 * the best is kept, and one that learns slower still goes. */
static void test_lag(void)
{
    char why[256] = "";
    dt_pruner *p = median_after_five();
    /* Without its lag, the late trial at 1.15 is worse than the median at 40 (1.466
     * against 1.358) and would go; 30 iterations younger it is better at every step.
     * Completed, it is a reference at its shifted steps: 1.466 at 10. */
    dt_pruner_hold(p, 5, 40, 30);
    CHECK(run(p, 5, DT_POINT_LOSS, late_curve, 1.15, 100, 1, NULL) == 0);
    dt_pruner_hold(p, 6, 40, 30);
    CHECK(run(p, 6, DT_POINT_LOSS, late_curve, 1.3, 100, 1, why) == 40);
    CHECK_STR(why, "median: best loss 1.616 worse than the median 1.491 of 6 trials at iteration 10, "
                   "this trial's 40 (30 iterations behind for its burn_in)");
    /* Had trial 5 stood among them with its value at its own iteration 10 (its flat
     * 2.15), the median would be 1.566 and this trial kept. */
    CHECK(run(p, 7, DT_POINT_LOSS, sqrt_curve, 1.25, 100, 1, why) == 10);
    CHECK_STR(why, "median: best loss 1.566 worse than the median 1.491 of 6 trials at iteration 10");
    dt_pruner_free(p);

    /* A trial held to 20 with a lag of 15 is 5 at its hold's end: it fills rung 0 with
     * its value at 25. */
    p = asha_after_three();
    dt_pruner_hold(p, 3, 20, 15);
    CHECK(run(p, 3, DT_POINT_LOSS, flat_curve, 0.5, 100, 1, NULL) == 0);
    dt_pruner_hold(p, 4, 20, 15);
    CHECK(run(p, 4, DT_POINT_LOSS, flat_curve, 2.5, 100, 1, why) == 25);
    CHECK_STR(why, "asha: loss 2.5 not in the top 1/3 of 5 trials at rung 0 (iteration 10), "
                   "this trial's 25 (15 iterations behind for its burn_in)");
    dt_pruner_free(p);
}

int main(void)
{
    dt_err err = {0};
    dt_pruner *p = NULL;
    dt_pruner_opts o = opts(DT_PRUNER_PATIENCE);
    CHECK(dt_pruner_create(&p, &o, &err) == -1 && p == NULL);   /* patience without patience */
    CHECK(strstr(err.msg, "patience") != NULL);
    dt_pruner_free(NULL);

    test_median();
    test_startup_and_min_trials();
    test_percentile();
    test_metric_direction();
    test_noisy();
    test_asha();
    test_asha_wait();
    test_hyperband();
    test_patience();
    test_threshold();
    test_divergence();
    test_resume();
    test_hold();
    test_lag();
    return dt_test_done("pruner");
}
