/* Tests of dt_out's pure parts: the best trial, and the edge rule. */
#include <math.h>
#include <stdlib.h>

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
    CHECK(dt_out_edges(&sw, &t, &b) == 2);
    CHECK(b.p && strstr(b.p, "edge: momentum = 0.98 is at the upper end of its range 0.5..0.99") != NULL);
    CHECK(b.p && strstr(b.p, "edge: burn_in = 0 is at the lower end of its range 0..400") != NULL);
    CHECK(b.p && strstr(b.p, "learning_rate") == NULL);
    dt_buf_free(&b);

    /* 1.2e-4 sits at 2% of the log range: flagged; an inactive value is not. */
    dt_value_num(&sw.space.p[0], 1.2e-4, &t.values[0]);
    t.values[1].active = 0;
    CHECK(dt_out_edges(&sw, &t, &b) == 2);
    CHECK(b.p && strstr(b.p, "edge: learning_rate = 0.00012 is at the lower end") != NULL);
    CHECK(b.p && strstr(b.p, "momentum") == NULL);
    dt_buf_free(&b);
    dt_trial_free(&t);
    dt_space_free(&sw.space);
}

/* The best trial: complete ones only, by the direction, the lower number on ties. */
static void test_best(void)
{
    dt_sweep sw = {0};
    dt_trial t[4];
    double values[4] = {0.5, 0.9, 0.9, 0.95};
    dt_state states[4] = {DT_COMPLETE, DT_COMPLETE, DT_COMPLETE, DT_PRUNED};
    for (int i = 0; i < 4; i++) {
        dt_trial_init(&t[i], 1);
        t[i].number = i;
        t[i].value = values[i];
        t[i].state = states[i];
    }
    sw.maximize = 1;
    CHECK(dt_out_best(&sw, t, 4) == 1);
    sw.maximize = 0;
    CHECK(dt_out_best(&sw, t, 4) == 0);
    t[0].value = NAN;
    CHECK(dt_out_best(&sw, t, 4) == 1);
    CHECK(dt_out_best(&sw, t, 1) == -1);
    for (int i = 0; i < 4; i++) dt_trial_free(&t[i]);
}

int main(void)
{
    test_edges();
    test_best();
    return dt_test_done("out");
}
