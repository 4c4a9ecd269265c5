/* test_table: the recorded-runs table (dt_table: reader, refusals with FILE:LINE,
 * nearest row) and the table runner's replay (dt_runner_table through dt_run_*).
 * Run from the repository root; reads tests/golden/table/, writes under tests/tmp/table-unit/. */
#include "dt_runner.h"
#include "dt_sweep.h"
#include "dt_table.h"
#include "dt_test.h"
#include "dt_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TINY "tests/golden/table/tiny.table"
#define TMP "tests/tmp/table-unit"

/* The golden table reads back as written. */
static void test_read(void)
{
    dt_table *t;
    dt_err err;
    CHECK(dt_table_load(&t, TINY, &err) == 0);
    if (!t) return;
    CHECK(dt_table_nparams(t) == 3);
    dt_table_kind k;
    CHECK_STR(dt_table_param(t, 0, &k), "learning_rate");
    CHECK(k == DT_TABLE_LOG);
    CHECK_STR(dt_table_param(t, 1, &k), "momentum");
    CHECK(k == DT_TABLE_LINEAR);
    CHECK_STR(dt_table_param(t, 2, &k), "batch");
    CHECK(k == DT_TABLE_CATEGORICAL);
    CHECK(dt_table_find(t, "batch") == 2);
    CHECK(dt_table_find(t, "decay") == -1);
    CHECK(dt_table_iterations(t) == 20);
    CHECK(dt_table_eval_interval(t) == 5);
    CHECK(dt_table_nrows(t) == 16);
    double lo, hi;
    dt_table_range(t, 0, &lo, &hi);
    CHECK_NEAR(lo, 0.001, 1e-12);
    CHECK_NEAR(hi, 1, 1e-12);
    dt_table_range(t, 2, &lo, &hi);
    CHECK(isnan(lo) && isnan(hi));
    const char *const *words;
    CHECK(dt_table_words(t, 2, &words) == 2);
    CHECK_STR(words[0], "32");
    CHECK_STR(words[1], "64");

    const dt_table_row *r = dt_table_row_at(t, 0);
    CHECK_STR(r->text[0], "0.001");
    CHECK_NEAR(r->num[1], 0.5, 1e-12);
    CHECK(r->nloss == 20 && r->nmetric == 4);
    CHECK_NEAR(r->loss[0], 2.566, 1e-9);
    CHECK_NEAR(r->metric[3], 0.2586, 1e-9);
    CHECK_NEAR(r->final, 0.2586, 1e-9);
    CHECK(r->line == 10);
    /* The diverged rows: cut short, ending in inf and nan, no top-1 at all. */
    r = dt_table_row_at(t, 14);
    CHECK(r->nloss == 4 && r->nmetric == 0 && isinf(r->loss[3]));
    CHECK_NEAR(r->final, 0.1, 1e-12);
    r = dt_table_row_at(t, 15);
    CHECK(r->nloss == 3 && isnan(r->loss[2]));
    /* 0.9 is reached by rows 9, 10 and 11: the first wins. */
    CHECK(dt_table_best(t) == 9);
    dt_table_free(t);

    CHECK(dt_table_load(&t, "tests/golden/table/none.table", &err) == -1);
    CHECK(t == NULL);
    CHECK(strstr(err.msg, "none.table") != NULL);
}

/* Hand-made rows: log and linear distances scaled by the recorded range,
 * categorical mismatches count 1, ties go to the lower row. */
static void test_nearest(void)
{
    static const char text[] =
        "darktune-table 1\n"
        "params lr:log m:linear opt:categorical\n"
        "iterations 2\n"
        "eval_interval 1\n"
        "row 0.001 0 a | 1,1 | 0.1,0.2 | 0.2\n"
        "row 0.1 1 a | 1,1 | 0.3,0.4 | 0.4\n"
        "row 0.01 0.5 b | 1,1 | 0.5,0.6 | 0.6\n"
        "row 0.01 0.5 64 | 1,1 | 0.5,0.6 | 0.6\n";
    dt_table *t;
    dt_err err;
    CHECK(dt_table_parse(&t, text, "hand", &err) == 0);
    if (!t) return;
    int row = -9;
    double d = -1;
    /* lr and m halfway between rows 0 and 1 (log10 -2 of -3..-1; 0.5 of 0..1), opt as
     * theirs: 0.5 + 0.5 each; row 2 is exact but for opt: 1. A three-way tie: row 0. */
    const char *q1[] = {"0.01", "0.5", "a"};
    CHECK(dt_table_nearest(t, q1, &row, &d, &err) == 0);
    CHECK(row == 0);
    CHECK_NEAR(d, 1.0, 1e-12);
    /* Exactly a row: distance 0. */
    const char *q2[] = {"0.01", "0.5", "b"};
    CHECK(dt_table_nearest(t, q2, &row, &d, &err) == 0);
    CHECK(row == 2);
    CHECK_NEAR(d, 0, 1e-12);
    /* lr 0.0505 is halfway in linear units but -1.297 in log10: much nearer row 1
     * (|-1.297 + 1| / 2 + 0.5 = 0.648) than row 0 (0.852 + 0.5) or row 2 (0.352 + 1). */
    const char *q3[] = {"0.0505", "0.5", "a"};
    CHECK(dt_table_nearest(t, q3, &row, &d, &err) == 0);
    CHECK(row == 1);
    CHECK_NEAR(d, fabs(log10(0.0505) + 1) / 2 + 0.5, 1e-12);
    /* Numbers as categorical words: "64.0" is the word "64". */
    const char *q4[] = {"0.01", "0.5", "64.0"};
    CHECK(dt_table_nearest(t, q4, &row, &d, &err) == 0);
    CHECK(row == 3);
    CHECK_NEAR(d, 0, 1e-12);
    /* Values outside the recorded range are fine; non-numbers and log values <= 0 are not. */
    const char *q5[] = {"10", "2", "z"};
    CHECK(dt_table_nearest(t, q5, &row, &d, &err) == 0);
    CHECK(row == 1);
    const char *q6[] = {"fast", "0.5", "a"};
    CHECK(dt_table_nearest(t, q6, &row, &d, &err) == -1);
    CHECK_STR(err.msg, "lr 'fast' is not a number");
    const char *q7[] = {"0", "0.5", "a"};
    CHECK(dt_table_nearest(t, q7, &row, &d, &err) == -1);
    CHECK_STR(err.msg, "lr 0 must be above 0 to compare with the table (log)");
    dt_table_free(t);
}

/* Each malformed table is refused at its line. */
static void test_refusals(void)
{
    static const char head[] = "darktune-table 1\nparams lr:log b:categorical\niterations 4\neval_interval 2\n";
    static const struct {
        const char *body;   /* after head, or the whole text when it starts with '!' */
        const char *msg;
    } cases[] = {
        {"!params lr:log\n", "bad:1: 'params' here: expected darktune-table (a table starts with 'darktune-table 1')"},
        {"!# comment\n\ndarktune-table 2\n", "bad:3: table version '2' is not one this darktune reads (1)"},
        {"!darktune-table 1\nparams lr:cubic\n", "bad:2: parameter 'lr' has kind 'cubic'; kinds are log, linear and "
                                                 "categorical"},
        {"!darktune-table 1\nparams lr\n", "bad:2: parameter 'lr' must be written NAME:KIND (log, linear or "
                                           "categorical)"},
        {"!darktune-table 1\nparams lr:log lr:linear\n", "bad:2: parameter 'lr' is named twice"},
        {"!darktune-table 1\nparams lr:log\niterations 0\n", "bad:3: iterations '0' must be a whole number of at "
                                                             "least 1"},
        {"!darktune-table 1\nparams lr:log\niterations 4\n", "bad:3: the table ends before an eval_interval line"},
        {"", "bad:4: the table has no rows"},
        {"!", "bad:1: the table ends before 'darktune-table 1'"},
        {"rows 0.1 a | 1,1,1,1 | 0.5,0.5 | 0.5\n", "bad:5: unknown line 'rows': expected row"},
        {"row 0.1 | 1,1,1,1 | 0.5,0.5 | 0.5\n", "bad:5: the row has 1 value, params names 2"},
        {"row 0.1 a b | 1,1,1,1 | 0.5,0.5 | 0.5\n", "bad:5: the row has more than 2 values, params names 2"},
        {"row 0.1 a | 1,1,1,1 | 0.5\n", "bad:5: a row has 4 fields separated by '|' (values | losses | top-1s | "
                                        "final top-1), this one has 3"},
        {"row 0 a | 1,1,1,1 | 0.5,0.5 | 0.5\n", "bad:5: lr 0 must be above 0 (its kind is log)"},
        {"row x a | 1,1,1,1 | 0.5,0.5 | 0.5\n", "bad:5: lr 'x' is not a number (its kind is log)"},
        {"row 0.1 a | 1,x,1,1 | 0.5,0.5 | 0.5\n", "bad:5: loss value 2, 'x', is not a number"},
        {"row 0.1 a | 1,1,1,1,1 | 0.5,0.5 | 0.5\n", "bad:5: the row has 5 losses, more than the table's 4 "
                                                    "iterations"},
        {"row 0.1 a |  | | 0.5\n", "bad:5: the row has no loss values"},
        {"row 0.1 a | 1,1,1 | 0.5 | 0.5\n", "bad:5: the row stops at iteration 3 of 4 without diverging (its last "
                                            "loss, 1, is finite)"},
        {"row 0.1 a | 1,1,inf | 0.5,0.5 | 0.1\n", "bad:5: the row has 2 top-1 values, but 1 evaluation fit in its 3 "
                                                  "iterations (eval_interval 2)"},
        {"row 0.1 a | 1,1,1,1 | 0.5,50 | 0.5\n", "bad:5: top-1 value 2, 50, is not a fraction in [0, 1]"},
        {"row 0.1 a | 1,1,1,1 | 0.5,0.5 | nan\n", "bad:5: the final top-1 'nan' is not a fraction in [0, 1]"},
        {"row 0.1 a | 1,1,1,1 | 0.5,0.5 | 0.5\n\n# fine so far\nrow 0.1 a | 1 | 0.5,0.5 | 0.5\n",
         "bad:8: the row stops at iteration 1 of 4 without diverging (its last loss, 1, is finite)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *b = cases[i].body;
        char *text = b[0] == '!' ? dt_xstrdup(b + 1) : dt_xasprintf("%s%s", head, b);
        dt_table *t = (dt_table *)1;
        dt_err err = {0};
        CHECK(dt_table_parse(&t, text, "bad", &err) == -1);
        CHECK(t == NULL);
        CHECK_STR(err.msg, cases[i].msg);
        free(text);
    }
    /* The same body, well formed, is accepted (the cases above fail for their reason). */
    dt_table *t;
    dt_err err;
    char *ok = dt_xasprintf("%srow 0.1 a | 1,1,1,1 | 0.5,0.5 | 0.5\nrow 0.1 a | 1,nan |  | 0.1\n", head);
    CHECK(dt_table_parse(&t, ok, "ok", &err) == 0);
    dt_table_free(t);
    free(ok);
}

/* A trial cfg with these [net] lines, written under TMP. Returns its path (static). */
static const char *trial_cfg(const char *net)
{
    static char path[] = TMP "/trial.cfg";
    dt_err err;
    char *text = dt_xasprintf("[net]\n%s\n[softmax]\n", net);
    CHECK(dt_mkdirs(TMP, &err) == 0);
    CHECK(dt_write_file(path, text, strlen(text), &err) == 0);
    free(text);
    return path;
}

/* Replays a run to its end (or until stop_at events), counting its events. */
static void replay(dt_run *r, int stop_at, int *iters, int *metrics, long *last_metric_it, double *last_metric)
{
    dt_event ev;
    int rc, n = 0;
    *iters = *metrics = 0;
    while ((rc = dt_run_next(r, &ev)) == 1) {
        if (ev.kind == DT_EV_ITER) (*iters)++;
        if (ev.kind == DT_EV_METRIC) {
            (*metrics)++;
            *last_metric_it = ev.iteration;
            *last_metric = ev.metric;
        }
        if (++n == stop_at) dt_run_stop(r);
    }
    CHECK(rc == -1);
    CHECK(dt_run_next(r, &ev) == -1);
}

/* The runner: nearest row from the trial's cfg, Darknet defaults for what it lacks,
 * cut short by max_batches, stopped, diverged. */
static void test_runner(void)
{
    dt_runner_setup su = {.runner = DT_RUNNER_TABLE, .task = DT_TASK_CLASSIFIER, .metric = DT_METRIC_TOP1,
                          .table = TINY};
    dt_runner_ctx *ctx, *ctx_loss;
    dt_err err;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == 0);
    su.metric = DT_METRIC_LOSS;
    CHECK(dt_runner_ctx_create(&ctx_loss, &su, &err) == 0);
    if (!ctx || !ctx_loss) return;
    dt_run_spec spec = {.ctx = ctx, .runner = DT_RUNNER_TABLE, .task = DT_TASK_CLASSIFIER, .metric = DT_METRIC_TOP1,
                        .log = TMP "/log.txt", .max_batches = 20, .gpu = -1};
    dt_run *r;
    dt_run_result res;
    int it, met;
    long mit = 0;
    double m = NAN;

    /* The whole of row 11 (0.1, 0.9, 64); momentum absent: Darknet's 0.9. */
    spec.cfg = trial_cfg("learning_rate=0.12\nbatch=64\npolicy=poly");
    CHECK(dt_run_start(&r, &spec, &err) == 0);
    if (!r) return;
    CHECK(dt_run_fd(r) == -1);
    replay(r, 0, &it, &met, &mit, &m);
    CHECK(it == 20 && met == 4 && mit == 20);
    CHECK_NEAR(m, 0.9, 1e-12);
    dt_run_outcome(r, &res);
    CHECK(res.ok == 1 && res.iterations == 20);
    CHECK_NEAR(res.metric, 0.9, 1e-12);
    CHECK_NEAR(res.final_loss, 0.4, 1e-12);
    dt_run_free(r);
    char *log;
    size_t len;
    CHECK(dt_read_file(TMP "/log.txt", &log, &len, &err) == 0);
    CHECK(strstr(log, "tiny.table:21 (row 11, distance") != NULL);
    free(log);

    /* max_batches 12 of 20: two top-1s, the outcome is the second (row 4: 0.01, 0.5, 32). */
    spec.cfg = trial_cfg("learning_rate=0.01\nmomentum=0.5\nbatch=32");
    spec.max_batches = 12;
    CHECK(dt_run_start(&r, &spec, &err) == 0);
    replay(r, 0, &it, &met, &mit, &m);
    CHECK(it == 12 && met == 2 && mit == 10);
    dt_run_outcome(r, &res);
    CHECK(res.ok == 1 && res.iterations == 12);
    CHECK_NEAR(res.metric, 0.5474, 1e-12);
    CHECK_NEAR(res.final_loss, 1.42, 1e-12);
    dt_run_free(r);

    /* metric = loss: no top-1 events, the outcome is the last loss. */
    spec.metric = DT_METRIC_LOSS;
    spec.ctx = ctx_loss;
    CHECK(dt_run_start(&r, &spec, &err) == 0);
    replay(r, 0, &it, &met, &mit, &m);
    CHECK(it == 12 && met == 0);
    dt_run_outcome(r, &res);
    CHECK(res.ok == 1);
    CHECK_NEAR(res.metric, 1.42, 1e-12);
    dt_run_free(r);
    spec.metric = DT_METRIC_TOP1;
    spec.ctx = ctx;

    /* More iterations than recorded: replay the 20 there are, then finish. */
    spec.max_batches = 1000;
    CHECK(dt_run_start(&r, &spec, &err) == 0);
    replay(r, 0, &it, &met, &mit, &m);
    CHECK(it == 20 && met == 4);
    dt_run_outcome(r, &res);
    CHECK(res.ok == 1 && res.iterations == 20);
    CHECK_NEAR(res.metric, 0.5597, 1e-12);
    dt_run_free(r);

    /* Stopped after 7 events: -1 from then on, ok = 0. */
    CHECK(dt_run_start(&r, &spec, &err) == 0);
    replay(r, 7, &it, &met, &mit, &m);
    CHECK(it == 6 && met == 1);
    dt_run_outcome(r, &res);
    CHECK(res.ok == 0 && res.iterations == 6 && res.diverged == 0);
    CHECK_STR(res.reason, "stopped");
    dt_run_free(r);

    /* A diverged row nobody stops: its nan is replayed, then a failure. */
    spec.cfg = trial_cfg("learning_rate=0.9\nmomentum=0.95\nbatch=64");
    CHECK(dt_run_start(&r, &spec, &err) == 0);
    dt_event ev;
    double last = 0;
    it = 0;
    while (dt_run_next(r, &ev) == 1) last = ev.loss, it++;
    CHECK(it == 3 && isnan(last));
    dt_run_outcome(r, &res);
    CHECK(res.ok == 0 && res.iterations == 3 && res.diverged == 1);
    CHECK_STR(res.reason, "diverged: loss nan at iteration 3 (as recorded)");
    dt_run_free(r);

    /* A table has no weights to time: a run asked for its ms is refused, not made up. */
    spec.time_reps = 5;
    CHECK(dt_run_start(&r, &spec, &err) == -1);
    CHECK_STR(err.msg, "runner 'table' cannot measure ms: a recorded table has no weights to time (time_reps = 5)");
    spec.time_reps = 0;

    /* A value that is not a number; a table parameter with no value and no default. */
    spec.cfg = trial_cfg("learning_rate=fast");
    CHECK(dt_run_start(&r, &spec, &err) == -1);
    CHECK(strstr(err.msg, "trial.cfg: learning_rate 'fast' is not a number") != NULL);
    static const char nodef[] = "darktune-table 1\nparams height:linear\niterations 1\neval_interval 0\n"
                                "row 28 | 1 | | 0.5\n";
    CHECK(dt_write_file(TMP "/nodef.table", nodef, strlen(nodef), &err) == 0);
    su.metric = DT_METRIC_TOP1;
    su.table = TMP "/nodef.table";
    dt_runner_ctx *ctx_nodef;
    CHECK(dt_runner_ctx_create(&ctx_nodef, &su, &err) == 0);
    spec.ctx = ctx_nodef;
    CHECK(dt_run_start(&r, &spec, &err) == -1);
    CHECK(strstr(err.msg, "[net] has no 'height', which the table records and Darknet has no default for") != NULL);
    dt_runner_ctx_free(ctx_nodef);
    dt_runner_ctx_free(ctx_loss);
    dt_runner_ctx_free(ctx);
}

/* The context: the table loaded once, when the context is made (a missing file or a
 * metric it did not record fails there), shared by the runs (which go on when the file
 * is gone), and a run that does not fit its context refused. */
static void test_ctx(void)
{
    dt_err err;
    dt_runner_ctx *ctx;
    dt_runner_setup su = {.runner = DT_RUNNER_TABLE, .task = DT_TASK_CLASSIFIER, .metric = DT_METRIC_TOP1,
                          .table = TMP "/missing.table"};
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == -1 && ctx == NULL);
    CHECK(strstr(err.msg, "cannot open 'tests/tmp/table-unit/missing.table'") != NULL);
    su.table = NULL;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == -1);
    CHECK_STR(err.msg, "runner table: the setup names no table file");
    su.table = TINY;
    su.metric = DT_METRIC_TOP5;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == -1);
    CHECK_STR(err.msg, "runner table replays top-1 and loss only, not top5");

    /* A copy of the tiny table, gone once the context has it. */
    char *text;
    size_t len;
    CHECK(dt_read_file(TINY, &text, &len, &err) == 0);
    CHECK(dt_mkdirs(TMP, &err) == 0 && dt_write_file(TMP "/copy.table", text, len, &err) == 0);
    free(text);
    su.metric = DT_METRIC_TOP1;
    su.table = TMP "/copy.table";
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == 0);
    if (!ctx) return;
    CHECK(remove(TMP "/copy.table") == 0);
    su.table = "changed after";   /* the context keeps its own copy of the setup */
    CHECK_STR(dt_runner_ctx_setup(ctx)->table, TMP "/copy.table");
    const dt_table *t = dt_runner_ctx_table(ctx);
    CHECK(t && dt_table_nrows(t) > 0);

    /* Two runs at once on the one table: both replay whole rows. */
    dt_run_spec spec = {.ctx = ctx, .runner = DT_RUNNER_TABLE, .task = DT_TASK_CLASSIFIER,
                        .metric = DT_METRIC_TOP1, .log = TMP "/log-a.txt", .max_batches = 20, .gpu = -1};
    dt_run *a = NULL, *b = NULL;
    spec.cfg = trial_cfg("learning_rate=0.12\nbatch=64\npolicy=poly");
    CHECK(dt_run_start(&a, &spec, &err) == 0);
    spec.cfg = trial_cfg("learning_rate=0.01\nmomentum=0.5\nbatch=32");
    spec.log = TMP "/log-b.txt";
    CHECK(dt_run_start(&b, &spec, &err) == 0);
    if (!a || !b) return;
    int it, met;
    long mit;
    double m;
    replay(a, 0, &it, &met, &mit, &m);
    CHECK(it == 20 && met == 4);
    CHECK_NEAR(m, 0.9, 1e-12);
    replay(b, 0, &it, &met, &mit, &m);
    CHECK(it == 20 && met == 4);
    dt_run_free(a);
    dt_run_free(b);
    CHECK(dt_read_file(TMP "/log-b.txt", &text, &len, &err) == 0);
    CHECK(text && strstr(text, "replaying " TMP "/copy.table:") != NULL);
    free(text);

    /* A run of another metric, task or runner than its context's; none at all. */
    spec.metric = DT_METRIC_LOSS;
    CHECK(dt_run_start(&a, &spec, &err) == -1 && a == NULL);
    CHECK_STR(err.msg, "the run (runner table, classifier, loss) differs from its context (runner table, "
                       "classifier, top1)");
    spec.metric = DT_METRIC_TOP1;
    spec.task = DT_TASK_DETECTOR;
    CHECK(dt_run_start(&a, &spec, &err) == -1);
    spec.task = DT_TASK_CLASSIFIER;
    spec.runner = DT_RUNNER_EXEC;
    CHECK(dt_run_start(&a, &spec, &err) == -1);
    spec.runner = DT_RUNNER_TABLE;
    spec.ctx = NULL;
    CHECK(dt_run_start(&a, &spec, &err) == -1);
    CHECK_STR(err.msg, "runner table needs the study's context (dt_runner_ctx_create)");
    dt_runner_ctx_free(ctx);
    dt_runner_ctx_free(NULL);
}

int main(void)
{
    test_read();
    test_nearest();
    test_refusals();
    test_runner();
    test_ctx();
    return dt_test_done("table");
}
