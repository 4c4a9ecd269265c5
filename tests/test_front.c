/* dt_front: which trials make a study's front, and which one best.cfg deploys. The
 * trials below are map50 (maximized) against ms (minimized), the deployment question:
 *
 *   trial  state     map50   ms
 *   0      COMPLETE  0.50    4     front (fastest)
 *   1      COMPLETE  0.60    6     front
 *   2      COMPLETE  0.55    7     dominated by 1
 *   3      COMPLETE  0.70   12     front
 *   4      PRUNED    0.90    1     not complete: takes no part
 *   5      COMPLETE  0.72   30     front (most accurate)
 *   6      COMPLETE  0.80    -     no ms measured: takes no part
 *   7      COMPLETE  0.70   12     equal to 3: on the front too; choose keeps the earlier
 *   8      COMPLETE  0.99    2     a finalist's run: not a search trial */
#include "dt_front.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dt_test.h"

static dt_trial trials[9];

static void setup(void)
{
    static const struct { dt_state st; double map, ms; } rows[] = {
        {DT_COMPLETE, 0.50, 4}, {DT_COMPLETE, 0.60, 6}, {DT_COMPLETE, 0.55, 7}, {DT_COMPLETE, 0.70, 12},
        {DT_PRUNED, 0.90, 1},   {DT_COMPLETE, 0.72, 30}, {DT_COMPLETE, 0.80, NAN}, {DT_COMPLETE, 0.70, 12},
        {DT_COMPLETE, 0.99, 2},
    };
    for (int i = 0; i < 9; i++) {
        dt_trial_init(&trials[i], 0);
        trials[i].number = i;
        trials[i].state = rows[i].st;
        trials[i].value = rows[i].map;
        trials[i].ms = rows[i].ms;
    }
    trials[8].final = 1;
    trials[8].rerun_of = 1;
}

static dt_sweep sweep(const char *choose)
{
    dt_sweep sw;
    memset(&sw, 0, sizeof sw);
    sw.metric = DT_METRIC_MAP50;
    sw.maximize = 1;
    sw.nobj = 2;
    sw.obj[0] = (dt_objective){DT_OBJ_METRIC, 1};
    sw.obj[1] = (dt_objective){DT_OBJ_MS, 0};
    sw.choose_text = (char *)choose;
    return sw;
}

static void test_front(void)
{
    dt_sweep sw = sweep(NULL);
    int idx[9];
    int m = dt_front_trials(&sw, trials, 9, idx);
    CHECK(m == 5);
    int want[] = {0, 1, 3, 5, 7};
    for (int i = 0; i < m && m == 5; i++) CHECK(idx[i] == want[i]);
    /* Read as a trade-off curve: by ms, fastest first; equal ms keeps number order. */
    dt_front_sort(&sw, trials, idx, m);
    int sorted[] = {0, 1, 3, 7, 5};
    for (int i = 0; i < m && m == 5; i++) CHECK(idx[i] == sorted[i]);
    /* Nothing complete: no front. */
    CHECK(dt_front_trials(&sw, trials + 4, 1, idx) == 0);
    char why[256];
    CHECK(dt_front_best(&sw, trials + 4, 1, why, sizeof why) == -1);
}

static void test_knee(void)
{
    dt_sweep sw = sweep(NULL);
    char why[256];
    /* Scaled over the front: map50 0.50..0.72 and ms 4..30. Distances to the ideal
     * corner (map50 0.72, ms 4): trial 1 (0.545, 0.077), trial 3 (0.091, 0.308): 3. */
    CHECK(dt_front_best(&sw, trials, 9, why, sizeof why) == 3);
    CHECK(strstr(why, "the front's knee (the sweep has no choose)") == why);
}

static void test_choose(void)
{
    char why[256];
    dt_sweep sw = sweep("map50 where ms <= 10");
    sw.choose.set = 1;
    sw.choose.target = 0;
    sw.choose.ncons = 1;
    sw.choose.cons[0].obj = 1;
    sw.choose.cons[0].op = DT_CHOOSE_LE;
    sw.choose.cons[0].bound = 10;
    CHECK(dt_front_best(&sw, trials, 9, why, sizeof why) == 1);   /* 0.60 at 6 ms; 4 was pruned, 8 a finalist */
    CHECK_STR(why, "chosen by choose = map50 where ms <= 10");
    sw.choose.cons[0].bound = 12;                                  /* 3 and 7 tie: the earlier */
    CHECK(dt_front_best(&sw, trials, 9, why, sizeof why) == 3);
    sw.choose.cons[0].op = DT_CHOOSE_LT;                           /* < 12: back to 1 */
    CHECK(dt_front_best(&sw, trials, 9, why, sizeof why) == 1);
    /* The fastest trial with map50 above 0.65. */
    sw.choose_text = "ms where map50 > 0.65";
    sw.choose.target = 1;
    sw.choose.cons[0] = (dt_choose_cond){0, DT_CHOOSE_GT, 0.65};
    CHECK(dt_front_best(&sw, trials, 9, why, sizeof why) == 3);
    /* Two conditions, and a tie in the target broken by the other objective: among
     * ms >= 6 and map50 >= 0.5, the fastest is 1 (6 ms). */
    sw.choose.ncons = 2;
    sw.choose.cons[0] = (dt_choose_cond){1, DT_CHOOSE_GE, 6};
    sw.choose.cons[1] = (dt_choose_cond){0, DT_CHOOSE_GE, 0.5};
    CHECK(dt_front_best(&sw, trials, 9, why, sizeof why) == 1);
    /* Nobody meets it: the knee, and the reason says so. */
    sw.choose_text = "map50 where ms <= 1";
    sw.choose.target = 0;
    sw.choose.ncons = 1;
    sw.choose.cons[0] = (dt_choose_cond){1, DT_CHOOSE_LE, 1};
    CHECK(dt_front_best(&sw, trials, 9, why, sizeof why) == 3);
    CHECK_STR(why, "the front's knee: no trial meets choose = map50 where ms <= 1");
}

static void test_table(void)
{
    dt_sweep sw = sweep(NULL);
    dt_buf b = {0};
    dt_front_table(&sw, trials, 9, &b);
    CHECK(b.p && strstr(b.p, "front: 5 trials that no other trial beats in every objective "
                             "(map50 higher, ms lower is better)") == b.p);
    CHECK(b.p && strstr(b.p, "*     3        0.7         12\n"));   /* the knee, marked */
    CHECK(b.p && strstr(b.p, "      5       0.72         30\n"));
    /* Rows by ms: 0 (4 ms) before 1 (6 ms) before 5 (30 ms). */
    const char *r0 = b.p ? strstr(b.p, "      0        0.5") : NULL, *r5 = b.p ? strstr(b.p, "      5") : NULL;
    CHECK(r0 && r5 && r0 < r5);
    dt_buf_free(&b);
}

int main(void)
{
    setup();
    test_front();
    test_knee();
    test_choose();
    test_table();
    for (int i = 0; i < 9; i++) dt_trial_free(&trials[i]);
    return dt_test_done("front");
}
