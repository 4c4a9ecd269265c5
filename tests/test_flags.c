/* Tests of dt_flags: the tuning guide's red flags, each on trials made to show it
 * and on trials just short of it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dt_flags.h"
#include "dt_out.h"
#include "dt_test.h"
#include "dt_test_space.h"

/* The edge rule looks at each numeric value's place in its range, on a log scale for
 * log distributions, and flags the outer 5% at either end. */
static void test_edges(void)
{
    dt_sweep sw = {0};
    dt_test_add(&sw.space, "learning_rate", "log(1e-4, 1)", NULL, NULL);
    dt_test_add(&sw.space, "momentum", "uniform(0.5, 0.99)", NULL, NULL);
    dt_test_add(&sw.space, "burn_in", "int(0, 400, step=50)", NULL, NULL);
    dt_test_add(&sw.space, "policy", "choice(constant, steps)", NULL, NULL);
    dt_test_add(&sw.space, "subdivisions", "1", NULL, NULL);
    dt_trial t;
    dt_trial_init(&t, sw.space.n);
    /* 6e-4 is 19% of the way along log(1e-4, 1), though only 0.05% of the linear range. */
    dt_value_num(&sw.space.p[0], 6e-4, &t.values[0]);
    dt_value_num(&sw.space.p[1], 0.98, &t.values[1]);   /* 98% of the way: upper end */
    dt_value_num(&sw.space.p[2], 0, &t.values[2]);      /* lower end */
    dt_value_choice(&sw.space.p[3], 1, &t.values[3]);   /* choices have no ends */
    dt_value_choice(&sw.space.p[4], 0, &t.values[4]);
    dt_buf b = {0};
    CHECK(dt_flags_edges(&sw, &t, &b) == 2);
    CHECK(b.p && strstr(b.p, "edge: momentum = 0.98 is at the upper end of its range 0.5..0.99") != NULL);
    CHECK(b.p && strstr(b.p, "edge: burn_in = 0 is at the lower end of its range 0..400") != NULL);
    CHECK(b.p && strstr(b.p, "learning_rate") == NULL);
    dt_buf_free(&b);

    /* 1.2e-4 sits at 2% of the log range: flagged; an inactive value is not. */
    dt_value_num(&sw.space.p[0], 1.2e-4, &t.values[0]);
    t.values[1].active = 0;
    CHECK(dt_flags_edges(&sw, &t, &b) == 2);
    CHECK(b.p && strstr(b.p, "edge: learning_rate = 0.00012 is at the lower end") != NULL);
    CHECK(b.p && strstr(b.p, "momentum") == NULL);
    dt_buf_free(&b);
    dt_trial_free(&t);
    dt_space_free(&sw.space);
}

/* A TPE study maximizing, with a baseline and 3 random trials: trials 0-3 are its
 * random start. */
static dt_sweep tpe_study(void)
{
    dt_sweep sw = {0};
    sw.sampler.kind = DT_SAMPLER_TPE;
    sw.baseline = 1;
    sw.sampler.tpe.startup_trials = 3;
    sw.maximize = 1;
    return sw;
}

/* The random-start flag: a TPE study whose best came from its random start and whose
 * model trials (5 or more of them) never beat it. */
static void test_random_start(void)
{
    dt_sweep sw = tpe_study();
    dt_test_add(&sw.space, "momentum", "uniform(0.5, 0.99)", NULL, NULL);
    dt_trial t[10];
    for (int i = 0; i < 10; i++) {
        dt_trial_init(&t[i], 1);
        t[i].number = i;
        t[i].state = DT_COMPLETE;
        t[i].value = i == 2 ? 0.9 : 0.5;
        dt_value_num(&sw.space.p[0], 0.7, &t[i].values[0]);
    }
    dt_buf b = {0};
    CHECK(dt_flags(&sw, t, 10, NULL, &b) == 1);
    CHECK(b.p && strstr(b.p, "flag: the best, trial 2, was found in the random start (trials 0-3) and none of the 6 "
                             "TPE trials after it did better") != NULL);
    dt_buf_free(&b);
    CHECK(dt_flags(&sw, t, 8, NULL, &b) == 0);   /* 4 model trials: too few to say */
    t[6].value = 0.95;
    CHECK(dt_flags(&sw, t, 10, NULL, &b) == 0);
    t[6].value = 0.5;
    sw.sampler.kind = DT_SAMPLER_RANDOM;            /* no model to blame */
    CHECK(dt_flags(&sw, t, 10, NULL, &b) == 0);
    dt_buf_free(&b);
    for (int i = 0; i < 10; i++) dt_trial_free(&t[i]);
    dt_space_free(&sw.space);
}

/* n complete trials numbered from 0, value v[i], one parameter learning_rate. */
static dt_trial *make(dt_sweep *sw, int n, const double *v)
{
    if (sw->space.n == 0) dt_test_add(&sw->space, "learning_rate", "log(1e-4, 1)", NULL, NULL);
    dt_trial *t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++) {
        dt_trial_init(&t[i], sw->space.n);
        t[i].number = i;
        t[i].state = DT_COMPLETE;
        t[i].value = v ? v[i] : 0.5 + 0.01 * i;
        dt_value_num(&sw->space.p[0], 0.01 * (i + 1), &t[i].values[0]);
    }
    return t;
}

static int has(const dt_buf *b, const char *s)
{
    return b->p && strstr(b->p, s) != NULL;
}

/* More than 80% of the trials the pruner judged were pruned: the setting to relax is
 * named; divergences are not the pruner's judgement and do not count. */
static void test_pruned(void)
{
    dt_sweep sw = {0};
    sw.maximize = 1;
    sw.pruner.kind = DT_PRUNER_ASHA;
    sw.pruner.reduction_factor = 3;
    dt_trial *t = make(&sw, 10, NULL);
    for (int i = 1; i < 10; i++) t[i].state = DT_PRUNED, t[i].value = NAN;   /* 9 of 10 */
    dt_buf b = {0};
    CHECK(dt_flags(&sw, t, 10, NULL, &b) == 1);
    CHECK(has(&b, "flag: the asha pruner pruned 9 of the 10 trials it judged (90%): it may be too aggressive; "
                  "raise min_resource (now automatic) or lower reduction_factor (now 3) in [pruner]"));
    dt_buf_free(&b);
    /* Two of them diverged: 7 of 8 judged is 87.5%, still flagged; three: 6 of 7, 86%. */
    snprintf(t[1].reason, sizeof t[1].reason, "diverged: loss nan at iteration 3");
    snprintf(t[2].reason, sizeof t[2].reason, "diverged: loss inf at iteration 9");
    t[1].diverged = t[2].diverged = 1;
    CHECK(dt_flags(&sw, t, 10, NULL, &b) == 2);   /* and the diverged flag */
    CHECK(has(&b, "pruned 7 of the 8 trials"));
    dt_buf_free(&b);
    /* 8 of 10 is 80%: not more than 80%. */
    t[1].reason[0] = t[2].reason[0] = '\0';
    t[1].diverged = t[2].diverged = 0;
    t[1].state = DT_COMPLETE, t[1].value = 0.1;
    CHECK(dt_flags(&sw, t, 10, NULL, &b) == 0);
    sw.pruner.kind = DT_PRUNER_MEDIAN;
    sw.pruner.warmup = 50;
    sw.pruner.startup_trials = 5;
    t[3].state = DT_PRUNED;
    t[1].state = DT_PRUNED;
    CHECK(dt_flags(&sw, t, 10, NULL, &b) == 1);
    CHECK(has(&b, "raise warmup (now 50) or startup_trials (now 5) in [pruner]"));
    dt_buf_free(&b);
    dt_trials_free(t, 10);
    dt_space_free(&sw.space);
}

/* Every finished trial within 0.5% of the others: flat. */
static void test_flat(void)
{
    dt_sweep sw = {0};
    sw.maximize = 1;
    double v[4] = {0.800, 0.802, 0.803, 0.8035};
    dt_trial *t = make(&sw, 4, v);
    dt_buf b = {0};
    CHECK(dt_flags(&sw, t, 4, NULL, &b) == 1);
    CHECK(has(&b, "flag: all 4 finished trials lie within 0.5% of each other"));
    dt_buf_free(&b);
    t[3].value = 0.805;   /* 0.625% apart */
    CHECK(dt_flags(&sw, t, 4, NULL, &b) == 0);
    CHECK(dt_flags(&sw, t, 2, NULL, &b) == 0);   /* two trials say nothing */
    dt_trials_free(t, 4);
    dt_space_free(&sw.space);
}

/* Diverged trials: the smallest learning_rate among them is named as an upper bound. */
static void test_diverged(void)
{
    dt_sweep sw = {0};
    sw.maximize = 1;
    dt_trial *t = make(&sw, 6, NULL);   /* rates 0.01 .. 0.06 */
    for (int i = 3; i < 6; i++) {
        t[i].state = i == 5 ? DT_FAIL : DT_PRUNED;
        t[i].value = NAN;
        snprintf(t[i].reason, sizeof t[i].reason, "diverged: loss nan at iteration %d", i);
        t[i].diverged = 1;
    }
    dt_buf b = {0};
    CHECK(dt_flags(&sw, t, 6, NULL, &b) == 1);
    CHECK(has(&b, "flag: 3 trials diverged (loss nan or inf); the smallest learning_rate that did, 0.04 (trial 3), "
                  "is an upper bound"));
    dt_buf_free(&b);
    /* A trial pruned for another reason, or cut short by the machine, is no divergence;
     * the flag is read, not the reason's words (trial 3 keeps them). */
    t[3].diverged = 0;
    t[4].fate = DT_FATE_INTERRUPTED;
    CHECK(dt_flags(&sw, t, 6, NULL, &b) == 1);
    CHECK(has(&b, "flag: 1 trial diverged (loss nan or inf); the smallest learning_rate that did, 0.06 (trial 5)"));
    dt_buf_free(&b);
    dt_trials_free(t, 6);
    dt_space_free(&sw.space);
}

/* The best still improving over its last quarter: on the metric when it has 4 values
 * or more, else on the loss, which must fall by more than 3%. */
static void test_improving(void)
{
    dt_point p[400];
    int n = 0;
    for (int i = 1; i <= 200; i++) p[n++] = (dt_point){i, DT_POINT_LOSS, 2.0 / (1 + 0.05 * i)};
    dt_curve c = {p, n};
    double from, to;
    int kind;
    /* 2/(1+0.05i): from about 0.19 at 160 to 0.17 at 190, 10% lower. */
    CHECK(dt_flags_improving(&c, 1, &from, &to, &kind) == 1);
    CHECK(kind == DT_POINT_LOSS && from > to);
    n = 0;
    for (int i = 1; i <= 200; i++) p[n++] = (dt_point){i, DT_POINT_LOSS, 0.5 + 0.01 * (i % 2)};   /* flat */
    c.n = n;
    CHECK(dt_flags_improving(&c, 1, &from, &to, &kind) == 0);
    /* Metric values every 25 iterations, still rising at the end: the metric decides. */
    for (int i = 25; i <= 200; i += 25) p[n++] = (dt_point){i, DT_POINT_METRIC, 0.5 + i / 1000.0};
    c.n = n;
    CHECK(dt_flags_improving(&c, 1, &from, &to, &kind) == 1);
    CHECK(kind == DT_POINT_METRIC);
    CHECK_NEAR(from, 0.675, 1e-9);   /* 175 */
    CHECK_NEAR(to, 0.7, 1e-9);       /* 200 */
    /* Minimized, the same rise is a worsening. */
    CHECK(dt_flags_improving(&c, 0, &from, &to, &kind) == 0);

    dt_sweep sw = {0};
    sw.maximize = 1;
    dt_trial *t = make(&sw, 3, NULL);
    dt_buf b = {0};
    CHECK(dt_flags(&sw, t, 3, &c, &b) == 1);
    CHECK(has(&b, "flag: the best, trial 2, was still improving over its last quarter (metric 0.675 -> 0.7): "
                  "train longer"));
    dt_buf_free(&b);
    CHECK(dt_flags(&sw, t, 3, NULL, &b) == 0);   /* no curve, no verdict */
    dt_trials_free(t, 3);
    dt_space_free(&sw.space);
}

/* The baseline beat every tuned trial (5 at least). */
static void test_baseline(void)
{
    dt_sweep sw = {0};
    sw.maximize = 1;
    double v[6] = {0.9, 0.5, 0.6, 0.7, 0.4, 0.3};
    dt_trial *t = make(&sw, 6, v);
    t[0].baseline = 1;
    dt_buf b = {0};
    CHECK(dt_flags(&sw, t, 6, NULL, &b) == 1);
    CHECK(has(&b, "flag: the baseline (the base cfg's own values) beat all 5 tuned trials"));
    dt_buf_free(&b);
    t[3].value = 0.95;
    CHECK(dt_flags(&sw, t, 6, NULL, &b) == 0);
    /* With several objectives best.cfg is a pick from the front, not a winner: the
     * baseline, alone on the front here (top-1 and fastest), is not said to beat anyone. */
    t[3].value = 0.7;
    sw.nobj = 2;
    sw.obj[0] = (dt_objective){DT_OBJ_METRIC, 1};
    sw.obj[1] = (dt_objective){DT_OBJ_MS, 0};
    for (int i = 0; i < 6; i++) t[i].ms = 1 + i;
    CHECK(dt_out_best(&sw, t, 6) == 0);
    CHECK(dt_flags(&sw, t, 6, NULL, &b) == 0);
    dt_trials_free(t, 6);
    dt_space_free(&sw.space);
}

/* report.txt's phases: the random start (baseline and startup_trials) against the
 * model's trials, each with its counts, best and median; none before the model has
 * proposed, nor for another sampler or several objectives. */
static void test_phases(void)
{
    dt_sweep sw = tpe_study();
    /* trials 0-3 the random start, 4-8 the model's: 8 pruned, 6 a finalist's run */
    const double v[9] = {0.80, 0.70, 0.90, 0.75, 0.85, 0.88, 0.99, 0.86, NAN};
    dt_trial *t = make(&sw, 9, v);
    t[8].state = DT_PRUNED;
    t[6].final = 1;
    dt_buf b = {0};
    CHECK(dt_out_phases(&sw, t, 4, &b) == 0);   /* nothing of the model's yet */
    CHECK(b.len == 0);
    CHECK(dt_out_phases(&sw, t, 9, &b) == 1);
    CHECK_STR(b.p, "phases     random start (trials 0-3): 4 complete, 0 pruned; best 0.9, median 0.775\n"
                   "           the model (trials 4-8): 3 complete, 1 pruned; best 0.88, median 0.86\n");
    dt_buf_free(&b);
    sw.maximize = 0;   /* minimizing: the best is the lowest */
    t[1].state = DT_FAIL;   /* failed: neither complete nor pruned */
    CHECK(dt_out_phases(&sw, t, 9, &b) == 1);
    CHECK(has(&b, "random start (trials 0-3): 3 complete, 0 pruned; best 0.75, median 0.8\n"));
    CHECK(has(&b, "the model (trials 4-8): 3 complete, 1 pruned; best 0.85, median 0.86\n"));
    dt_buf_free(&b);
    sw.nobj = 2;
    CHECK(dt_out_phases(&sw, t, 9, &b) == 0);
    sw.nobj = 1;
    sw.sampler.kind = DT_SAMPLER_RANDOM;
    CHECK(dt_out_phases(&sw, t, 9, &b) == 0);
    CHECK(b.len == 0);
    dt_buf_free(&b);
    dt_trials_free(t, 9);
    dt_space_free(&sw.space);
}

int main(void)
{
    test_edges();
    test_random_start();
    test_pruned();
    test_flat();
    test_diverged();
    test_improving();
    test_baseline();
    test_phases();
    return dt_test_done("flags");
}
