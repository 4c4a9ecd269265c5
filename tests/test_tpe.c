/* test_tpe: the TPE sampler. Reproducible from (seed, trial number) alone; random's very
 * draws until startup_trials have finished; Optuna's 24 candidates until 50 trials, more
 * after in multivariate mode only, a count set by the sweep kept; better than random on
 * a quadratic, Branin and a log-scaled optimum (medians over seeds); finds the best
 * choice; conditional parameters set only where active and modelled only from trials
 * where they were; the constant liar spreads parallel suggestions; pruned trials ranked
 * by step then last value; failed trials ignored. Ends with a timing line (not a check). */
#include "dt_pareto.h"
#include "dt_sampler.h"
#include "dt_sampler_tpe.h"
#include "dt_test.h"
#include "dt_test_space.h"

#include <stdlib.h>
#include <time.h>

#define SEEDS 21

/* TPE options as a sweep would give them (candidates auto, Optuna's gamma). */
static dt_tpe_opts opts_of(int startup, int multivariate, int maximize)
{
    return (dt_tpe_opts){.startup_trials = startup, .multivariate = multivariate, .maximize = maximize};
}

/* Whether every value is a point of its distribution and set exactly where active. */
static int valid(const dt_space *s, const dt_value *v)
{
    dt_value copy[64];
    memcpy(copy, v, (size_t)s->n * sizeof *v);
    dt_space_activate(s, copy);
    for (int i = 0; i < s->n; i++) {
        const dt_param *p = &s->p[i];
        if (copy[i].active != v[i].active) return 0;
        if (!v[i].active) {
            if (v[i].text[0] || !isnan(v[i].num)) return 0;
            continue;
        }
        if (p->kind == DT_CHOICE && (v[i].idx < 0 || v[i].idx >= p->nchoices)) return 0;
        if (p->kind == DT_UNIFORM || p->kind == DT_LOG || p->kind == DT_INT || p->kind == DT_LOGINT) {
            if (!(v[i].num >= p->low && v[i].num <= p->high)) return 0;
            if (p->kind == DT_INT && fmod(v[i].num - p->low, p->step) != 0) return 0;
            if (p->kind == DT_LOGINT && v[i].num != floor(v[i].num)) return 0;
        }
    }
    return 1;
}

typedef double (*objective)(const dt_space *s, const dt_value *v);

static double f_quad(const dt_space *s, const dt_value *v)
{
    return (v[0].num - 1.3) * (v[0].num - 1.3);
}

static double f_branin(const dt_space *s, const dt_value *v)
{
    double x = v[0].num, y = v[1].num, b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
    return (y - b * x * x + c * x - 6) * (y - b * x * x + c * x - 6) + 10 * (1 - t) * cos(x) + 10;
}

static double f_log(const dt_space *s, const dt_value *v)
{
    double e = log10(v[0].num) + 3;
    return e * e;
}

/* choice(a..e): "c" is best by 1; x adds at most 0.25. */
static double f_cat(const dt_space *s, const dt_value *v)
{
    return (v[0].idx == 2 ? 0 : 1) + 0.01 * v[1].num * v[1].num;
}

/* poly is best, at power 3.5; the other policies cost 2. */
static double f_cond(const dt_space *s, const dt_value *v)
{
    if (strcmp(v[0].text, "poly") == 0) return (v[1].num - 3.5) * (v[1].num - 3.5) + 0.1 * v[2].num * v[2].num;
    return 2 + 0.1 * v[2].num * v[2].num;
}

/* Runs n sequential trials with the given sampler kind; returns the best value and
 * leaves the trials in tr (caller frees). Counts invalid suggestions in *bad. */
static double study(dt_sampler_kind kind, const dt_space *s, unsigned long long seed, const dt_tpe_opts *o, int n,
                    objective f, dt_trial *tr, int *bad)
{
    dt_sampler *sm;
    dt_err err = {0};
    CHECK(dt_sampler_create(&sm, &(dt_sampler_opts){.kind = kind, .tpe = *o}, s, seed, &err) == 0);
    double best = INFINITY;
    for (int i = 0; i < n; i++) {
        dt_trial_init(&tr[i], s->n);
        tr[i].number = i;
        if (dt_sampler_suggest(sm, tr, i, i, tr[i].values, &err) != 0) (*bad)++;
        if (!valid(s, tr[i].values)) (*bad)++;
        tr[i].value = f(s, tr[i].values);
        tr[i].state = DT_COMPLETE;
        if (tr[i].value < best) best = tr[i].value;
    }
    dt_sampler_free(sm);
    return best;
}

static void free_trials(dt_trial *tr, int n)
{
    for (int i = 0; i < n; i++) dt_trial_free(&tr[i]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *a, int n)
{
    qsort(a, (size_t)n, sizeof *a, cmp_double);
    return a[n / 2];
}

/* Best after 60 trials, TPE (multivariate or not) against random, over SEEDS seeds. */
static void compare(const char *name, const dt_space *s, objective f, int multivariate, double *tpe_med,
                    double *rnd_med)
{
    dt_trial tr[60];
    double bt[SEEDS], br[SEEDS];
    int bad = 0;
    dt_tpe_opts o = opts_of(10, multivariate, 0);
    for (int k = 0; k < SEEDS; k++) {
        bt[k] = study(DT_SAMPLER_TPE, s, 100 + k, &o, 60, f, tr, &bad);
        free_trials(tr, 60);
        br[k] = study(DT_SAMPLER_RANDOM, s, 100 + k, &o, 60, f, tr, &bad);
        free_trials(tr, 60);
    }
    CHECK(bad == 0);
    *tpe_med = median(bt, SEEDS);
    *rnd_med = median(br, SEEDS);
    printf("  %-28s best after 60, median of %d seeds: tpe %.4g, random %.4g\n", name, SEEDS, *tpe_med, *rnd_med);
}

static void test_beats_random(void)
{
    double t, r;
    dt_space q = {0};
    dt_test_add(&q, "x", "uniform(-5, 5)", NULL, NULL);
    compare("quadratic (multivariate)", &q, f_quad, 1, &t, &r);
    CHECK(t < r / 4);
    compare("quadratic (univariate)", &q, f_quad, 0, &t, &r);
    CHECK(t < r / 4);
    dt_space_free(&q);

    dt_space b = {0};
    dt_test_add(&b, "x", "uniform(-5, 10)", NULL, NULL);
    dt_test_add(&b, "y", "uniform(0, 15)", NULL, NULL);
    compare("branin (multivariate)", &b, f_branin, 1, &t, &r);
    CHECK(t - 0.397887 < (r - 0.397887) / 2);
    compare("branin (univariate)", &b, f_branin, 0, &t, &r);
    CHECK(t - 0.397887 < (r - 0.397887) / 2);
    dt_space_free(&b);

    dt_space l = {0};
    dt_test_add(&l, "lr", "log(1e-5, 1)", NULL, NULL);
    compare("log optimum at 1e-3", &l, f_log, 1, &t, &r);
    CHECK(t < r / 4);
    dt_space_free(&l);
}

/* Same seed, same trials; another seed, others; a suggestion depends only on the
 * trials numbered below it, not on later ones nor on what the sampler did before. */
static void test_reproducible(void)
{
    dt_space s = {0};
    dt_test_add(&s, "x", "uniform(-5, 5)", NULL, NULL);
    dt_test_add(&s, "k", "int(0, 20)", NULL, NULL);
    dt_test_add(&s, "c", "choice(a, b, c)", NULL, NULL);
    dt_tpe_opts o = opts_of(10, 1, 0);
    dt_trial a[40], b[40], c[40];
    int bad = 0, same = 0, same_other = 0;
    study(DT_SAMPLER_TPE, &s, 5, &o, 40, f_quad, a, &bad);
    study(DT_SAMPLER_TPE, &s, 5, &o, 40, f_quad, b, &bad);
    study(DT_SAMPLER_TPE, &s, 6, &o, 40, f_quad, c, &bad);
    for (int i = 0; i < 40; i++) {
        same += dt_values_equal(&s, a[i].values, b[i].values);
        same_other += dt_values_equal(&s, a[i].values, c[i].values);
    }
    CHECK(bad == 0);
    CHECK(same == 40);
    CHECK(same_other == 0);

    dt_sampler *sm;
    dt_err err = {0};
    CHECK(dt_sampler_create(&sm, &(dt_sampler_opts){.kind = DT_SAMPLER_TPE, .tpe = o}, &s, 5, &err) == 0);
    dt_value v[3], w[3];
    /* Other questions first, then trial 30 with all 40 trials in view (the later ten ignored). */
    CHECK(dt_sampler_suggest(sm, a, 12, 12, w, &err) == 0);
    CHECK(dt_sampler_suggest(sm, a, 35, 35, w, &err) == 0);
    CHECK(dt_sampler_suggest(sm, a, 40, 30, v, &err) == 0);
    CHECK(dt_values_equal(&s, v, a[30].values));
    CHECK_STR(v[0].text, a[30].values[0].text);
    /* Later trials, even running ones, change nothing about trial 30. */
    a[35].state = DT_RUNNING;
    CHECK(dt_sampler_suggest(sm, a, 40, 30, v, &err) == 0);
    CHECK(dt_values_equal(&s, v, a[30].values));
    dt_sampler_free(sm);
    free_trials(a, 40);
    free_trials(b, 40);
    free_trials(c, 40);
    dt_space_free(&s);
}

/* Until startup_trials have finished (failed and running ones do not count), TPE gives
 * exactly the random sampler's values; after, the model's. */
static void test_startup(void)
{
    dt_space s = {0};
    dt_test_add(&s, "x", "uniform(-5, 5)", NULL, NULL);
    dt_test_add(&s, "lr", "log(1e-4, 1e-1)", NULL, NULL);
    dt_test_add(&s, "b", "choice(32, 64, 128)", NULL, NULL);
    dt_tpe_opts o = opts_of(10, 1, 0);
    dt_trial t[30], r[30];
    int bad = 0;
    study(DT_SAMPLER_TPE, &s, 9, &o, 30, f_quad, t, &bad);
    study(DT_SAMPLER_RANDOM, &s, 9, &o, 30, f_quad, r, &bad);
    int same_startup = 0, same_after = 0;
    for (int i = 0; i < 30; i++) {
        if (i < 10) same_startup += dt_values_equal(&s, t[i].values, r[i].values);
        else same_after += dt_values_equal(&s, t[i].values, r[i].values);
    }
    CHECK(same_startup == 10);
    CHECK(same_after == 0);

    /* 14 trials, 5 of them failed and 1 running: 8 finished, so trial 14 is still random. */
    for (int i = 0; i < 5; i++) {
        t[i].state = DT_FAIL;
        t[i].value = NAN;
    }
    t[13].state = DT_RUNNING;
    t[13].value = NAN;
    dt_sampler *sm, *rs;
    dt_err err = {0};
    dt_value v[3], w[3];
    CHECK(dt_sampler_create(&sm, &(dt_sampler_opts){.kind = DT_SAMPLER_TPE, .tpe = o}, &s, 9, &err) == 0);
    CHECK(dt_sampler_create(&rs, &(dt_sampler_opts){.kind = DT_SAMPLER_RANDOM, .tpe = o}, &s, 9, &err) == 0);
    CHECK(dt_sampler_suggest(sm, t, 14, 14, v, &err) == 0);
    CHECK(dt_sampler_suggest(rs, t, 14, 14, w, &err) == 0);
    CHECK(dt_values_equal(&s, v, w));
    t[13].state = DT_COMPLETE;   /* ... two more finished: the model takes over */
    t[13].value = 1;
    t[12].value = 0.5;
    t[4].state = DT_PRUNED;
    CHECK(dt_sampler_suggest(sm, t, 14, 14, v, &err) == 0);
    CHECK(!dt_values_equal(&s, v, w));
    CHECK(bad == 0);
    dt_sampler_free(sm);
    dt_sampler_free(rs);
    free_trials(t, 30);
    free_trials(r, 30);
    dt_space_free(&s);
}

/* ei_candidates: auto is Optuna's 24 until 5 good trials (50 finished), then more in
 * multivariate mode (a candidate beyond the 24th sometimes wins), never more in
 * univariate mode; a count the sweep sets is used as it is. */
static void test_candidates(void)
{
    dt_space s = {0};
    dt_test_add(&s, "x", "uniform(-5, 10)", NULL, NULL);
    dt_test_add(&s, "y", "uniform(0, 15)", NULL, NULL);
    dt_tpe_opts o = opts_of(10, 1, 0);
    dt_trial t[100];
    int bad = 0, early_same = 0, late_same = 0, uni_same = 0;
    study(DT_SAMPLER_TPE, &s, 11, &o, 100, f_branin, t, &bad);
    for (int mv = 0; mv <= 1; mv++) {
        dt_tpe_opts autos = opts_of(10, mv, 0), fixed = opts_of(10, mv, 0);
        fixed.ei_candidates = 24;
        dt_sampler *sa, *sf;
        dt_err err = {0};
        CHECK(dt_sampler_create(&sa, &(dt_sampler_opts){.kind = DT_SAMPLER_TPE, .tpe = autos}, &s, 12, &err) == 0);
        CHECK(dt_sampler_create(&sf, &(dt_sampler_opts){.kind = DT_SAMPLER_TPE, .tpe = fixed}, &s, 12, &err) == 0);
        for (int n = 11; n < 100; n++) {
            dt_value v[2], w[2];
            CHECK(dt_sampler_suggest(sa, t, n, n, v, &err) == 0);
            CHECK(dt_sampler_suggest(sf, t, n, n, w, &err) == 0);
            int same = dt_values_equal(&s, v, w);
            if (!mv) uni_same += same;
            else if (n <= 50) early_same += same;
            else if (n >= 80) late_same += same;
        }
        dt_sampler_free(sa);
        dt_sampler_free(sf);
    }
    printf("    candidates: auto as 24 on %d of 40 suggestions up to 50 trials, %d of 20 from 80 "
           "(multivariate); %d of 89 (univariate)\n", early_same, late_same, uni_same);
    CHECK(bad == 0);
    CHECK(early_same == 40);
    CHECK(late_same < 18);
    CHECK(uni_same == 89);
    free_trials(t, 100);
    dt_space_free(&s);
}

/* With one clearly best choice of five, TPE picks it far more often than 1 in 5. */
static void test_categorical(void)
{
    dt_space s = {0};
    dt_test_add(&s, "c", "choice(a, b, c, d, e)", NULL, NULL);
    dt_test_add(&s, "x", "uniform(-5, 5)", NULL, NULL);
    int picked[2] = {0, 0}, total = 0, bad = 0;
    for (int mv = 0; mv < 2; mv++) {
        dt_tpe_opts o = opts_of(10, mv, 0);
        for (int k = 0; k < 5; k++) {
            dt_trial t[50];
            study(DT_SAMPLER_TPE, &s, 40 + k, &o, 50, f_cat, t, &bad);
            for (int i = 10; i < 50; i++) picked[mv] += t[i].values[0].idx == 2;
            if (mv == 0) total += 40;
            free_trials(t, 50);
        }
    }
    printf("  categorical: best of 5 choices picked in %d%% (multivariate), %d%% (univariate) after startup\n",
           100 * picked[1] / total, 100 * picked[0] / total);
    CHECK(picked[1] > total * 45 / 100);   /* chance: 20% */
    CHECK(picked[0] > total * 45 / 100);
    CHECK(bad == 0);
    dt_space_free(&s);
}

/* Conditional: a parameter is set only where its condition holds; its model reads only
 * the trials where it was active (junk left in inactive values changes nothing); the
 * model does learn it there. */
static void test_conditional(void)
{
    dt_space s = {0};
    dt_test_add(&s, "policy", "choice(constant, steps, poly)", NULL, NULL);
    dt_test_add(&s, "power", "uniform(1, 4)", "policy", "poly");
    dt_test_add(&s, "x", "uniform(-5, 5)", NULL, NULL);
    dt_test_add(&s, "steps", "0.5, 0.75", "policy", "steps");
    dt_test_add(&s, "gamma", "int(1, 9)", "policy", "steps");
    dt_err err = {0};
    CHECK(dt_space_resolve(&s, &err) == 0);
    int bad = 0, junk_same = 0, asked = 0;
    double near = 0;
    int npoly = 0;
    for (int mv = 0; mv < 2; mv++) {
        dt_tpe_opts o = opts_of(10, mv, 0);
        for (int k = 0; k < 4; k++) {
            dt_trial t[60];
            study(DT_SAMPLER_TPE, &s, 70 + k, &o, 60, f_cond, t, &bad);
            for (int i = 30; i < 60; i++) {
                int pi = dt_space_find(&s, "power");
                if (t[i].values[pi].active) {
                    near += fabs(t[i].values[pi].num - 3.5);
                    npoly++;
                }
            }
            /* Junk in every inactive value: the next suggestions must not move. */
            dt_sampler *sm;
            CHECK(dt_sampler_create(&sm, &(dt_sampler_opts){.kind = DT_SAMPLER_TPE, .tpe = o}, &s, 70 + k, &err) == 0);
            for (int n = 20; n < 60; n += 8) {
                dt_value clean[5], dirty[5];
                CHECK(dt_sampler_suggest(sm, t, n, n, clean, &err) == 0);
                dt_trial *junk = calloc((size_t)n, sizeof *junk);
                for (int i = 0; i < n; i++) {
                    junk[i] = t[i];
                    junk[i].values = malloc(5 * sizeof(dt_value));
                    memcpy(junk[i].values, t[i].values, 5 * sizeof(dt_value));
                    for (int j = 0; j < 5; j++)
                        if (!junk[i].values[j].active) {
                            junk[i].values[j].num = 1.0;
                            junk[i].values[j].idx = 0;
                            snprintf(junk[i].values[j].text, DT_TEXT, "1");
                        }
                }
                CHECK(dt_sampler_suggest(sm, junk, n, n, dirty, &err) == 0);
                junk_same += dt_values_equal(&s, clean, dirty) && strcmp(clean[1].text, dirty[1].text) == 0;
                asked++;
                for (int i = 0; i < n; i++) free(junk[i].values);
                free(junk);
            }
            dt_sampler_free(sm);
            free_trials(t, 60);
        }
    }
    CHECK(bad == 0);
    CHECK(junk_same == asked);
    CHECK(npoly > 40);
    printf("  conditional: power active in %d of 240 late trials, mean |power - 3.5| %.3f (uniform: 1.08)\n",
           npoly, npoly ? near / npoly : 0);
    CHECK(npoly > 0 && near / npoly < 0.5);
    dt_space_free(&s);
}

/* Constant liar: with other workers training the best point so far, the next
 * suggestions are never that point and keep off its immediate neighbourhood (the
 * running trials count as bad kernels there), while without running trials they
 * crowd around it. */
static void test_liar(void)
{
    dt_space s = {0};
    dt_test_add(&s, "x", "uniform(-5, 5)", NULL, NULL);
    double free_dist = 0, busy_dist = 0;
    int asked = 0, at_best = 0, bad = 0, near_free = 0, near_busy = 0;
    for (int seed = 0; seed < 6; seed++) {
        dt_tpe_opts o = opts_of(10, 1, 0);
        dt_trial t[44];
        int best = study(DT_SAMPLER_TPE, &s, 200 + (unsigned long long)seed, &o, 40, f_quad, t, &bad) >= 0 ? 0 : 0;
        for (int i = 1; i < 40; i++)
            if (t[i].value < t[best].value) best = i;
        double xb = t[best].values[0].num;
        dt_sampler *sm;
        dt_err err = {0};
        CHECK(dt_sampler_create(&sm, &(dt_sampler_opts){.kind = DT_SAMPLER_TPE, .tpe = o}, &s,
                                300 + (unsigned long long)seed, &err) == 0);
        for (int i = 40; i < 44; i++) {   /* four workers on the best point */
            dt_trial_init(&t[i], 1);
            t[i].number = i;
            t[i].state = DT_RUNNING;
            t[i].values[0] = t[best].values[0];
        }
        for (int n = 44; n < 64; n++) {
            dt_value v, w;
            CHECK(dt_sampler_suggest(sm, t, 40, n, &v, &err) == 0);   /* no one running */
            CHECK(dt_sampler_suggest(sm, t, 44, n, &w, &err) == 0);   /* four on xb */
            free_dist += fabs(v.num - xb);
            busy_dist += fabs(w.num - xb);
            near_free += fabs(v.num - xb) < 0.25;   /* a fortieth of the range */
            near_busy += fabs(w.num - xb) < 0.25;
            at_best += strcmp(w.text, t[best].values[0].text) == 0;
            asked++;
        }
        dt_sampler_free(sm);
        free_trials(t, 44);
    }
    printf("  constant liar: mean distance from the best point %.3f with no trial running, %.3f with four on it;"
           " within 0.25 of it: %d and %d of %d\n", free_dist / asked, busy_dist / asked, near_free, near_busy, asked);
    CHECK(bad == 0);
    CHECK(at_best == 0);
    CHECK(near_busy == 0 && near_free >= 2);
    dt_space_free(&s);
}

/* How many of 20 suggestions (trials 10..29) fall below k = 20, given these 10 trials
 * (gamma(10) = 1: the single best trial is all of l). */
static int low_side(const dt_space *s, dt_trial *t, int maximize)
{
    dt_tpe_opts o = opts_of(5, 1, maximize);
    dt_sampler *sm;
    dt_err err = {0};
    CHECK(dt_sampler_create(&sm, &(dt_sampler_opts){.kind = DT_SAMPLER_TPE, .tpe = o}, s, 3, &err) == 0);
    int low = 0;
    for (int n = 10; n < 30; n++) {
        dt_value v;
        CHECK(dt_sampler_suggest(sm, t, 10, n, &v, &err) == 0);
        low += v.num < 20;
    }
    dt_sampler_free(sm);
    return low;
}

/* Pruned trials rank after complete ones, by later step first, then by their last
 * intermediate value in the study's direction. Trial A sits at k = 4, B at k = 36, the
 * other eight in the middle; whichever ranks first draws the suggestions to its side. */
static void test_pruned(void)
{
    dt_space s = {0};
    dt_test_add(&s, "k", "int(0, 40)", NULL, NULL);
    dt_trial t[10];
    for (int i = 0; i < 10; i++) {
        dt_trial_init(&t[i], 1);
        t[i].number = i;
        t[i].state = DT_PRUNED;
        t[i].last_step = 100;
        t[i].last_value = 0.5;
        dt_value_num(&s.p[0], i == 0 ? 4 : i == 1 ? 36 : 10 + 2 * i, &t[i].values[0]);
    }
    int a_later, b_later, a_lower, b_lower, b_complete;
    t[0].last_step = 300;                 /* A went furthest: best whatever its value */
    a_later = low_side(&s, t, 0);
    t[0].last_step = 100;
    t[1].last_step = 300;
    t[1].last_value = 0.9;
    b_later = low_side(&s, t, 0);
    t[1].last_step = 100;                 /* same steps: A's 0.1 against B's 0.9 */
    t[0].last_value = 0.1;
    a_lower = low_side(&s, t, 0);
    b_lower = low_side(&s, t, 1);
    /* Pruned on the loss: lower is better whatever the study's direction. */
    for (int i = 0; i < 10; i++) t[i].last_kind = DT_POINT_LOSS;
    int a_loss = low_side(&s, t, 1);
    for (int i = 0; i < 10; i++) t[i].last_kind = DT_POINT_METRIC;
    t[1].state = DT_COMPLETE;             /* a complete trial, however bad, outranks them all */
    t[1].value = 1e9;
    b_complete = low_side(&s, t, 0);
    printf("  pruned ranking: suggestions on A's side (of 20): A latest %d, B latest %d, A lower minimizing %d, "
           "maximizing %d, A lower loss maximizing %d, B complete %d\n", a_later, b_later, a_lower, b_lower, a_loss,
           b_complete);
    CHECK(a_later >= 15);
    CHECK(b_later <= 5);
    CHECK(a_lower >= 15);
    CHECK(b_lower <= 5);
    CHECK(a_loss >= 15);
    CHECK(b_complete <= 5);
    free_trials(t, 10);
    dt_space_free(&s);
}

/* Failed trials are ignored: adding some changes no suggestion; a baseline whose word
 * is not a choice and whose number is outside the range still counts where it can. */
static void test_failed_and_baseline(void)
{
    dt_space s = {0};
    dt_test_add(&s, "x", "uniform(-5, 5)", NULL, NULL);
    dt_test_add(&s, "c", "choice(a, b)", NULL, NULL);
    dt_tpe_opts o = opts_of(10, 1, 0);
    dt_trial t[30], u[36];
    int bad = 0, same = 0;
    study(DT_SAMPLER_TPE, &s, 21, &o, 30, f_quad, t, &bad);
    /* u: the same 30 trials with 6 failed ones interleaved, numbers kept apart. */
    for (int i = 0, j = 0; i < 36; i++) {
        dt_trial_init(&u[i], 2);
        if (i % 6 == 5) {
            u[i].number = -1 - i;     /* apart from the others' numbers; only FAIL keeps it out */
            u[i].state = DT_FAIL;
            dt_value_num(&s.p[0], 1.3, &u[i].values[0]);
            dt_value_choice(&s.p[1], 0, &u[i].values[1]);
            continue;
        }
        u[i].number = t[j].number;
        u[i].state = t[j].state;
        u[i].value = t[j].value;
        memcpy(u[i].values, t[j].values, 2 * sizeof(dt_value));
        j++;
    }
    dt_sampler *sm;
    dt_err err = {0};
    CHECK(dt_sampler_create(&sm, &(dt_sampler_opts){.kind = DT_SAMPLER_TPE, .tpe = o}, &s, 21, &err) == 0);
    for (int n = 30; n < 40; n++) {
        dt_value a[2], b[2];
        CHECK(dt_sampler_suggest(sm, t, 30, n, a, &err) == 0);
        CHECK(dt_sampler_suggest(sm, u, 36, n, b, &err) == 0);
        same += dt_values_equal(&s, a, b);
    }
    CHECK(same == 10);

    t[0].baseline = 1;
    dt_value_text(&s.p[0], "12", &t[0].values[0]);     /* outside uniform(-5, 5) */
    dt_value_text(&s.p[1], "zzz", &t[0].values[1]);    /* not a choice */
    t[0].value = -1;                                   /* and the best trial */
    dt_value v[2];
    CHECK(dt_sampler_suggest(sm, t, 30, 30, v, &err) == 0);
    CHECK(valid(&s, v));
    dt_sampler_free(sm);
    CHECK(bad == 0);
    free_trials(t, 30);
    free_trials(u, 36);
    dt_space_free(&s);
}

/* ---- Several objectives (MOTPE). */

/* A dt_tpe of nobj objectives (metric, ms, bflops in turn), maximize[j] each. */
static dt_tpe *mo_tpe(const dt_space *s, int nobj, const int *maximize, unsigned long long seed, int multivariate)
{
    dt_tpe_opts o = opts_of(10, multivariate, 0);
    o.nobj = nobj;
    for (int j = 0; j < nobj; j++) o.obj[j] = (dt_objective){.what = j, .maximize = maximize ? maximize[j] : 0};
    dt_tpe *t = NULL;
    dt_err err = {0};
    CHECK(dt_tpe_create(&t, s, seed, &o, &err) == 0);
    return t;
}

/* Sets trial i's objectives (metric, ms, bflops) and state. */
static void mo_set(dt_trial *t, int number, dt_state state, double f0, double f1, double f2)
{
    t->number = number;
    t->state = state;
    t->value = f0;
    t->ms = f1;
    t->bflops = f2;
}

/* The split on a set made by hand: 30 complete trials, so ceil(0.1 x 30) = 3 are good.
 * P = (0, 0) alone on rank 0; rank 1 is Q1 = (1, 10), Q2 = (5, 5), Q3 = (10, 1), one
 * place too many, so the hypervolume subset selection picks two: reference point
 * 1.1 x (10, 10); Q2 first (6 x 6 = 36 against 10 and 10), then Q1 and Q3 each add
 * 4 x 1, and the first in lexicographic order, Q1, wins the tie (as Optuna's argmax).
 * The other 26 are dominated by Q2. Besides them: a complete trial without its second
 * objective, a running and a failed one (left out, bad, left out). The same with the
 * second objective maximized (negated); then pruned trials filling places in number
 * order, whatever the array's order. */
static void test_mo_split(void)
{
    dt_space s = {0};
    dt_test_add(&s, "x", "uniform(0, 1)", NULL, NULL);
    dt_trial t[33];
    for (int i = 0; i < 33; i++) dt_trial_init(&t[i], 1);
    /* Numbers shuffled against the array's order: the split must not care. */
    mo_set(&t[0], 7, DT_COMPLETE, 5, 5, NAN);     /* Q2 */
    mo_set(&t[1], 3, DT_COMPLETE, 10, 1, NAN);    /* Q3 */
    mo_set(&t[2], 12, DT_COMPLETE, 0, 0, NAN);    /* P */
    mo_set(&t[3], 0, DT_COMPLETE, 1, 10, NAN);    /* Q1 */
    for (int i = 4; i < 30; i++) mo_set(&t[i], 100 + i, DT_COMPLETE, 6 + i % 5, 6 + i / 5, NAN);
    mo_set(&t[30], 1, DT_COMPLETE, -1, NAN, NAN);  /* no second objective: would be best */
    mo_set(&t[31], 2, DT_RUNNING, NAN, NAN, NAN);
    mo_set(&t[32], 4, DT_FAIL, -5, -5, NAN);
    signed char below[33];
    dt_tpe *tp = mo_tpe(&s, 2, NULL, 1, 1);
    int n = dt_tpe_split(tp, t, 33, 1000, below);
    int want[33] = {1, 0, 1, 1};
    for (int i = 4; i < 30; i++) want[i] = 0;
    want[30] = -1, want[31] = 0, want[32] = -1;
    int same = 1;
    for (int i = 0; i < 33; i++) same &= below[i] == want[i];
    CHECK(n == 30);
    CHECK(same);
    dt_tpe_free(tp);

    /* Maximizing the second objective of the negated values: the same split. */
    for (int i = 0; i < 30; i++) t[i].ms = -t[i].ms;
    tp = mo_tpe(&s, 2, (int[]){0, 1}, 1, 1);
    dt_tpe_split(tp, t, 33, 1000, below);
    same = 1;
    for (int i = 0; i < 33; i++) same &= below[i] == want[i];
    CHECK(same);
    /* Only trials numbered below the one to fill: before 8, Q2 (7), Q3 (3) and Q1 (0)
     * are the complete trials (1 has no second objective), ceil(0.3) = 1 good: the
     * front is all three, and the subset selection picks Q2. */
    n = dt_tpe_split(tp, t, 33, 8, below);
    CHECK(n == 3);
    CHECK(below[0] == 1 && below[1] == 0 && below[3] == 0 && below[2] == -1);
    dt_tpe_free(tp);

    /* Pruned trials: 1 complete and 19 pruned, ceil(2.0) = 2 good: the complete one and
     * the pruned one of the lowest number (array order reversed). */
    dt_trial u[20];
    for (int i = 0; i < 20; i++) {
        dt_trial_init(&u[i], 1);
        mo_set(&u[i], 40 - i, i == 5 ? DT_COMPLETE : DT_PRUNED, i == 5 ? 9 : NAN, i == 5 ? 9 : NAN, NAN);
        u[i].last_step = 100 + i;   /* a pruned trial's curve: MOTPE ranks none by it */
        u[i].last_value = i;
    }
    tp = mo_tpe(&s, 2, NULL, 1, 1);
    n = dt_tpe_split(tp, u, 20, 1000, below);
    int good = 0;
    for (int i = 0; i < 20; i++) good += below[i] == 1;
    CHECK(n == 20);
    CHECK(good == 2 && below[5] == 1 && below[19] == 1);
    dt_tpe_free(tp);
    free_trials(t, 33);
    free_trials(u, 20);
    dt_space_free(&s);
}

/* ZDT1 with 5 variables: f1 = x1, g = 1 + 9 mean(x2..x5), f2 = g (1 - sqrt(f1 / g)). */
static void zdt1(const dt_value *v, double *f)
{
    double g = 0;
    for (int i = 1; i < 5; i++) g += v[i].num;
    g = 1 + 9 * g / 4;
    f[0] = v[0].num;
    f[1] = g * (1 - sqrt(f[0] / g));
}

/* One study of n trials on ZDT1 (TPE with 2 objectives, or random); its trials' values
 * into vals (n x 5, may be NULL); returns the hypervolume to (1.1, 11). */
static double mo_study(dt_sampler_kind kind, const dt_space *s, unsigned long long seed, int multivariate, int n,
                       double *vals)
{
    dt_sampler_opts so = {.kind = kind, .tpe = opts_of(10, multivariate, 0)};
    so.tpe.nobj = 2;
    so.tpe.obj[0] = (dt_objective){DT_OBJ_METRIC, 0};
    so.tpe.obj[1] = (dt_objective){DT_OBJ_MS, 0};
    dt_sampler *sm;
    dt_err err = {0};
    CHECK(dt_sampler_create(&sm, &so, s, seed, &err) == 0);
    dt_trial *t = calloc((size_t)n, sizeof *t);
    double *f = malloc(2 * (size_t)n * sizeof *f), ref[2] = {1.1, 11};
    int bad = 0;
    for (int i = 0; i < n; i++) {
        dt_trial_init(&t[i], s->n);
        t[i].number = i;
        bad += dt_sampler_suggest(sm, t, i, i, t[i].values, &err) != 0 || !valid(s, t[i].values);
        zdt1(t[i].values, f + 2 * i);
        t[i].value = f[2 * i];
        t[i].ms = f[2 * i + 1];
        t[i].state = DT_COMPLETE;
        for (int j = 0; vals && j < 5; j++) vals[i * 5 + j] = t[i].values[j].num;
    }
    CHECK(bad == 0);
    double hv = dt_pareto_hv(f, n, 2, ref);
    dt_sampler_free(sm);
    free_trials(t, n);
    free(t);
    free(f);
    return hv;
}

/* The same seed gives the same study, another seed another; the default models each
 * parameter apart; and on ZDT1 MOTPE's front
 * after 100 trials covers more than random's: on most of 9 seeds, and in the median. */
static void test_mo_zdt1(void)
{
    dt_space s = {0};
    for (int i = 0; i < 5; i++) {
        char name[8];
        snprintf(name, sizeof name, "x%d", i + 1);
        dt_test_add(&s, name, "uniform(0, 1)", NULL, NULL);
    }
    double a[60 * 5], b[60 * 5], c[60 * 5], d[60 * 5];
    mo_study(DT_SAMPLER_TPE, &s, 5, 0, 60, a);
    mo_study(DT_SAMPLER_TPE, &s, 5, 0, 60, b);
    mo_study(DT_SAMPLER_TPE, &s, 6, 0, 60, c);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(memcmp(a + 50, c + 50, 10 * 5 * sizeof *a) != 0);
    /* multivariate = -1 (the default) is Optuna's: one kernel per parameter with several objectives. */
    mo_study(DT_SAMPLER_TPE, &s, 5, -1, 60, d);
    CHECK(memcmp(a, d, sizeof a) == 0);
    mo_study(DT_SAMPLER_TPE, &s, 5, 1, 60, d);
    CHECK(memcmp(a + 50, d + 50, 10 * 5 * sizeof *a) != 0);

    enum { NS = 9 };
    for (int mv = 0; mv < 2; mv++) {
        double ht[NS], hr[NS];
        int wins = 0;
        for (int k = 0; k < NS; k++) {
            ht[k] = mo_study(DT_SAMPLER_TPE, &s, 200 + k, mv, 100, NULL);
            hr[k] = mo_study(DT_SAMPLER_RANDOM, &s, 200 + k, mv, 100, NULL);
            wins += ht[k] > hr[k];
        }
        double mt = median(ht, NS), mr = median(hr, NS);
        printf("  ZDT1 (5 variables), hypervolume to (1.1, 11) after 100 trials, median of %d seeds: MOTPE %s %.3f,"
               " random %.3f; MOTPE ahead on %d\n", NS, mv ? "multivariate" : "univariate", mt, mr, wins);
        CHECK(wins >= NS - 1);
        CHECK(mt > mr);
    }
    dt_space_free(&s);
}

/* --split FILE (tests/pareto_optuna.py write-split): per study "study ID M MAX...",
 * then "t NUMBER STATE V..." per trial; prints "below ID NUMBERS..." (the good trials'
 * numbers, ascending) as dt_tpe_split finds them for a trial after the last. */
static int run_split(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "test_tpe: cannot open '%s'\n", path);
        return 1;
    }
    dt_space s = {0};
    dt_test_add(&s, "x", "uniform(0, 1)", NULL, NULL);
    char line[512];
    int cap = 1024, n = 0, id = -1, m = 0, maxi[DT_OBJ_MAX] = {0};
    dt_trial *t = calloc((size_t)cap, sizeof *t);
    signed char *below = malloc((size_t)cap);
    for (int more = 1; more;) {
        more = fgets(line, sizeof line, f) != NULL;
        if ((!more || strncmp(line, "study ", 6) == 0) && id >= 0) {
            dt_tpe *tp = mo_tpe(&s, m, maxi, 1, 1);
            dt_tpe_split(tp, t, n, 1 << 30, below);
            printf("below %d", id);
            for (int k = 0; k < n; k++)   /* written in number order */
                if (below[k] == 1) printf(" %d", t[k].number);
            printf("\n");
            dt_tpe_free(tp);
            free_trials(t, n);
            n = 0;
        }
        if (!more) break;
        char *at = line, *end;
        if (strncmp(line, "study ", 6) == 0) {
            id = (int)strtol(at + 6, &end, 10);
            m = (int)strtol(end, &end, 10);
            for (int j = 0; j < m && j < DT_OBJ_MAX; j++) maxi[j] = (int)strtol(end, &end, 10);
            continue;
        }
        if (n == cap) break;   /* more trials than the script writes */
        dt_trial *tr = &t[n++];
        dt_trial_init(tr, 1);
        tr->number = (int)strtol(at + 2, &end, 10);
        while (*end == ' ') end++;
        tr->state = strncmp(end, "complete", 8) == 0 ? DT_COMPLETE : strncmp(end, "pruned", 6) == 0 ? DT_PRUNED
                    : strncmp(end, "running", 7) == 0 ? DT_RUNNING : DT_FAIL;
        while (*end && *end != ' ') end++;
        double v[DT_OBJ_MAX] = {NAN, NAN, NAN};
        for (int j = 0; j < m && j < DT_OBJ_MAX; j++) v[j] = strtod(end, &end);
        tr->value = v[0];
        tr->ms = v[1];
        tr->bflops = v[2];
    }
    fclose(f);
    free(t);
    free(below);
    dt_space_free(&s);
    return 0;
}

/* Milliseconds of CPU time per suggestion with 8 parameters and n finished trials (CPU
 * time, so that other work on a shared machine does not count). */
static double time_suggest(int n, int multivariate)
{
    dt_space s = {0};
    dt_test_add(&s, "learning_rate", "log(1e-5, 1e-1)", NULL, NULL);
    dt_test_add(&s, "momentum", "uniform(0.5, 0.99)", NULL, NULL);
    dt_test_add(&s, "decay", "log(1e-6, 1e-2)", NULL, NULL);
    dt_test_add(&s, "power", "uniform(1, 4)", NULL, NULL);
    dt_test_add(&s, "burn_in", "int(0, 1000, step=50)", NULL, NULL);
    dt_test_add(&s, "max_crop", "logint(32, 512)", NULL, NULL);
    dt_test_add(&s, "batch", "choice(16, 32, 64, 128)", NULL, NULL);
    dt_test_add(&s, "policy", "choice(constant, steps, poly, exp)", NULL, NULL);
    dt_trial *t = calloc((size_t)n + 1, sizeof *t);
    dt_rng rng;
    dt_rng_seed(&rng, 1, 2);
    for (int i = 0; i < n; i++) {
        dt_trial_init(&t[i], s.n);
        t[i].number = i;
        t[i].state = DT_COMPLETE;
        dt_space_sample(&s, &rng, t[i].values);
        t[i].value = dt_rng_uniform(&rng);
    }
    dt_tpe_opts o = opts_of(10, multivariate, 0);
    dt_sampler *sm;
    dt_err err = {0};
    CHECK(dt_sampler_create(&sm, &(dt_sampler_opts){.kind = DT_SAMPLER_TPE, .tpe = o}, &s, 1, &err) == 0);
    dt_value v[8];
    int reps = n >= 1000 ? 50 : 200, ok = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    for (int r = 0; r < reps; r++) ok += dt_sampler_suggest(sm, t, n, n + r, v, &err) == 0 && valid(&s, v);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    CHECK(ok == reps);
    dt_sampler_free(sm);
    free_trials(t, n);
    free(t);
    dt_space_free(&s);
    return ((double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6) / reps;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--split") == 0) return run_split(argv[2]);
    test_reproducible();
    test_startup();
    test_candidates();
    test_beats_random();
    test_categorical();
    test_conditional();
    test_liar();
    test_pruned();
    test_failed_and_baseline();
    test_mo_split();
    test_mo_zdt1();
    printf("  timing, 8 parameters: %.3f ms per suggestion at 100 trials, %.3f ms at 1000 (multivariate); "
           "%.3f / %.3f ms (univariate)\n",
           time_suggest(100, 1), time_suggest(1000, 1), time_suggest(100, 0), time_suggest(1000, 0));
    return dt_test_done("tpe");
}
