/* test_sampler: random suggestions are a function of (seed, trial number) alone;
 * the grid hands out every row once, in a seed-dependent order, then reports 1. */
#include "dt_sampler.h"
#include "dt_test.h"
#include "dt_test_space.h"

#include <stdlib.h>

/* lr (3 grid points) x policy, with steps fixed under steps and power under poly: 15 grid rows. */
static void make_space(dt_space *s)
{
    dt_err err = {0};
    dt_test_add(s, "learning_rate", "log(1e-4, 1e-1)", NULL, NULL);
    dt_test_add(s, "policy", "choice(constant, steps, poly)", NULL, NULL);
    dt_test_add(s, "steps", "0.8, 0.9", "policy", "steps");
    dt_test_add(s, "power", "uniform(1, 4)", "policy", "poly");
    dt_test_add(s, "burn_in", "int(0, 400, step=50)", NULL, NULL);
    CHECK(dt_space_resolve(s, &err) == 0);
}

/* Asks the sampler for trial `number` given trials[0..n-1]; the result goes into trials[n]. */
static int suggest(dt_sampler *sm, const dt_space *s, dt_trial *trials, int n, int number)
{
    dt_err err = {0};
    dt_trial_init(&trials[n], s->n);
    trials[n].number = number;
    return dt_sampler_suggest(sm, trials, n, number, trials[n].values, &err);
}

static void test_random(void)
{
    dt_space s = {0};
    make_space(&s);
    dt_err err = {0};
    dt_sampler *a, *b, *c;
    CHECK(dt_sampler_create(&a, &(dt_sampler_opts){.kind = DT_SAMPLER_RANDOM}, &s, 7, &err) == 0);
    CHECK(dt_sampler_create(&b, &(dt_sampler_opts){.kind = DT_SAMPLER_RANDOM}, &s, 7, &err) == 0);
    CHECK(dt_sampler_create(&c, &(dt_sampler_opts){.kind = DT_SAMPLER_RANDOM}, &s, 8, &err) == 0);
    CHECK(dt_sampler_size(a) == -1);

    enum { N = 10 };
    dt_trial ta[N], tb[N], tc[N];
    int same = 0, same_other_seed = 0, distinct = 0;
    for (int i = 0; i < N; i++) {
        CHECK(suggest(a, &s, ta, i, i) == 0);
        CHECK(suggest(b, &s, tb, i, i) == 0);
        CHECK(suggest(c, &s, tc, i, i) == 0);
        same += dt_values_equal(&s, ta[i].values, tb[i].values);
        same_other_seed += dt_values_equal(&s, ta[i].values, tc[i].values);
        distinct += i > 0 && !dt_values_equal(&s, ta[i].values, ta[i - 1].values);
    }
    CHECK(same == N);
    CHECK(same_other_seed == 0);
    CHECK(distinct == N - 1);

    /* Trial 7 alone, with no history, gets what it got after trials 0..6. */
    dt_trial lone[1];
    CHECK(suggest(b, &s, lone, 0, 7) == 0);
    CHECK(dt_values_equal(&s, lone[0].values, ta[7].values));
    dt_trial_free(&lone[0]);

    for (int i = 0; i < N; i++) {
        dt_trial_free(&ta[i]);
        dt_trial_free(&tb[i]);
        dt_trial_free(&tc[i]);
    }
    dt_sampler_free(a);
    dt_sampler_free(b);
    dt_sampler_free(c);
    dt_space_free(&s);
}

/* Runs a grid sampler to exhaustion, a baseline trial 0 first; returns how many
 * suggestions it made and leaves them in trials[1..]. */
static int run_grid(const dt_space *s, unsigned long long seed, dt_trial *trials, int cap)
{
    dt_err err = {0};
    dt_sampler *g;
    dt_sampler_opts opts = {.kind = DT_SAMPLER_GRID, .grid_points = 3};
    CHECK(dt_sampler_create(&g, &opts, s, seed, &err) == 0);
    CHECK(dt_sampler_size(g) == 3 * (1 + 1 + 3) * 9);

    /* The baseline holds a grid point's values but does not use it up. */
    dt_trial_init(&trials[0], s->n);
    trials[0].baseline = 1;
    int n = 1, rc = 0;
    while (n < cap && (rc = suggest(g, s, trials, n, n)) == 0) n++;
    CHECK(n < cap);
    CHECK(rc == 1);
    dt_trial_free(&trials[n]);
    dt_sampler_free(g);
    return n - 1;
}

static void test_grid(void)
{
    dt_space s = {0};
    make_space(&s);
    dt_err err = {0};
    dt_value *rows;
    long nrows;
    CHECK(dt_space_grid(&s, 3, 1000000, &rows, &nrows, &err) == 0);

    enum { CAP = 200 };
    static dt_trial t1[CAP], t2[CAP];
    int n1 = run_grid(&s, 1, t1, CAP);
    CHECK(n1 == nrows);

    int missing = 0, twice = 0;
    for (long r = 0; r < nrows; r++) {
        int hits = 0;
        for (int i = 1; i <= n1; i++) hits += dt_values_equal(&s, rows + r * s.n, t1[i].values);
        missing += hits == 0;
        twice += hits > 1;
    }
    CHECK(missing == 0 && twice == 0);

    /* The order is shuffled, by the seed. */
    int n2 = run_grid(&s, 2, t2, CAP);
    CHECK(n2 == n1);
    int same_place = 0, enum_order = 0;
    for (int i = 1; i <= n1; i++) {
        same_place += dt_values_equal(&s, t1[i].values, t2[i].values);
        enum_order += dt_values_equal(&s, t1[i].values, rows + (i - 1) * s.n);
    }
    CHECK(same_place < n1 / 4);
    CHECK(enum_order < n1 / 4);

    /* A baseline equal to a grid row leaves that row to be suggested. */
    dt_sampler *g;
    dt_sampler_opts opts = {.kind = DT_SAMPLER_GRID, .grid_points = 3};
    CHECK(dt_sampler_create(&g, &opts, &s, 1, &err) == 0);
    dt_trial base[2];
    dt_trial_init(&base[0], s.n);
    base[0].baseline = 1;
    memcpy(base[0].values, t1[1].values, (size_t)s.n * sizeof *base[0].values);
    CHECK(suggest(g, &s, base, 1, 1) == 0);
    CHECK(dt_values_equal(&s, base[1].values, t1[1].values));
    dt_trial_free(&base[0]);
    dt_trial_free(&base[1]);
    dt_sampler_free(g);

    for (int i = 0; i <= n1; i++) dt_trial_free(&t1[i]);
    for (int i = 0; i <= n2; i++) dt_trial_free(&t2[i]);
    free(rows);
    dt_space_free(&s);
}

static void test_errors(void)
{
    dt_space s = {0};
    make_space(&s);
    dt_err err = {0};
    dt_sampler *g = NULL;
    dt_sampler_opts tpe = {.kind = DT_SAMPLER_TPE, .tpe = DT_TPE_OPTS_DEFAULT};
    CHECK(dt_sampler_create(&g, &tpe, &s, 1, &err) == 0);
    CHECK(dt_sampler_size(g) == -1);
    dt_sampler_free(g);
    CHECK(dt_sampler_create(&g, &(dt_sampler_opts){.kind = DT_SAMPLER_AUTO}, &s, 1, &err) == -1);
    CHECK(strstr(err.msg, "auto") != NULL);

    /* Default 5 points: 5 lr * (1 + 1 + 5) * 9 burn_in. */
    CHECK(dt_sampler_create(&g, &(dt_sampler_opts){.kind = DT_SAMPLER_GRID}, &s, 1, &err) == 0);
    CHECK(dt_sampler_size(g) == 5 * 7 * 9);
    dt_sampler_free(g);

    dt_test_add(&s, "a", "int(1, 1000)", NULL, NULL);
    dt_test_add(&s, "b", "int(1, 1000)", NULL, NULL);
    CHECK(dt_space_resolve(&s, &err) == 0);
    CHECK(dt_sampler_create(&g, &(dt_sampler_opts){.kind = DT_SAMPLER_GRID}, &s, 1, &err) == -1);
    CHECK(strstr(err.msg, "the grid has 315000000 rows, over the limit of 1000000; lower grid_points") != NULL);
    dt_sampler_free(NULL);
    dt_space_free(&s);
}

int main(void)
{
    test_random();
    test_grid();
    test_errors();
    return dt_test_done("sampler");
}
