/* Tests of dt_out: the best trial, how a trial's cfg and best.cfg
 * scale the learning-rate schedule with the trial's length, and the base files read
 * once per study (the trial's .data and the runner's setup derived from them). */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "dt_out.h"
#include "dt_test.h"
#include "dt_test_space.h"

#define TMP "tests/tmp/out"

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

/* Finalists: the top search trials (finalists' own runs never), their runs with new
 * seeds (running ones and those that count; an interrupted one is no run), the mean and
 * std of those that completed, the choice by the mean once every seed has completed,
 * and the noise floor. */
static void test_finalists(void)
{
    dt_sweep sw = {0};
    sw.maximize = 1;
    sw.final_top = 2;
    sw.final_seeds = 3;
    /* Search trials 0-4; 5-10 finalists' runs. */
    struct { double v; int final, of; dt_state st; dt_fate fate; } rows[] = {
        {0.80, 0, -1, DT_COMPLETE, DT_FATE_COUNTS}, {0.90, 0, -1, DT_COMPLETE, DT_FATE_COUNTS},
        {0.85, 0, -1, DT_COMPLETE, DT_FATE_COUNTS}, {0.95, 0, -1, DT_PRUNED, DT_FATE_COUNTS},
        {0.90, 0, -1, DT_COMPLETE, DT_FATE_COUNTS},
        {0.88, 1, 1, DT_COMPLETE, DT_FATE_COUNTS}, {0.86, 1, 1, DT_COMPLETE, DT_FATE_COUNTS},
        {NAN, 1, 1, DT_FAIL, DT_FATE_INTERRUPTED}, {0.99, 1, 4, DT_COMPLETE, DT_FATE_COUNTS},
        {NAN, 1, 4, DT_RUNNING, DT_FATE_COUNTS}, {0.97, 1, 99, DT_COMPLETE, DT_FATE_COUNTS},
    };
    int n = (int)(sizeof rows / sizeof *rows);
    dt_trial t[16];
    for (int i = 0; i < n; i++) {
        dt_trial_init(&t[i], 0);
        t[i].number = i;
        t[i].value = rows[i].v;
        t[i].final = rows[i].final;
        t[i].rerun_of = rows[i].of;
        t[i].state = rows[i].st;
        t[i].fate = rows[i].fate;
    }
    CHECK(dt_out_best(&sw, t, n) == 1);   /* a finalist's 0.99 is no search result */
    dt_finalist f[2];
    CHECK(dt_out_finalists(&sw, t, n, f) == 2);
    CHECK(f[0].trial == 1 && f[1].trial == 4);   /* the tie at 0.90: the lower number first */
    CHECK(f[0].runs == 2 && f[0].done == 2);     /* the interrupted run is none */
    CHECK_NEAR(f[0].mean, 0.87, 1e-12);
    CHECK_NEAR(f[0].std, sqrt(0.0002), 1e-12);
    CHECK(f[1].runs == 2 && f[1].done == 1);     /* one still running */
    CHECK_NEAR(f[1].mean, 0.99, 1e-12);
    CHECK(isnan(f[1].std));
    CHECK(dt_out_final_choice(&sw, f, 2) == -1); /* no finalist has its 3 seeds */
    double pooled, spread;
    CHECK(dt_out_noise(f, 2, &pooled, &spread) == 0);   /* one finalist with two runs */
    sw.final_seeds = 2;
    CHECK(dt_out_final_choice(&sw, f, 2) == 0);  /* trial 1's 0.87 over 2 seeds; trial 4 has 1 */
    t[9].state = DT_COMPLETE, t[9].value = 0.95;
    CHECK(dt_out_finalists(&sw, t, n, f) == 2);
    CHECK(dt_out_final_choice(&sw, f, 2) == 1);  /* trial 4: (0.99 + 0.95) / 2 */
    CHECK(dt_out_noise(f, 2, &pooled, &spread) == 1);
    CHECK_NEAR(pooled, sqrt((0.0002 + 0.0008) / 2), 1e-12);
    CHECK_NEAR(spread, sqrt(2 * 0.05 * 0.05), 1e-12);
    sw.maximize = 0;                             /* minimized: the lowest values */
    CHECK(dt_out_finalists(&sw, t, n, f) == 2);
    CHECK(f[0].trial == 0 && f[1].trial == 2);
    CHECK(f[0].runs == 0 && isnan(f[0].mean));
    sw.final_top = 0;
    CHECK(dt_out_finalists(&sw, t, n, f) == 0);
    for (int i = 0; i < n; i++) dt_trial_free(&t[i]);
}

/* The [net] text of a cfg: "key=value" lines joined by '|', comments kept. */
static char *net_of(dt_cfg *c)
{
    size_t len;
    char *t = dt_cfg_text(c, &len);
    for (char *p = t; *p; p++)
        if (*p == '\n') *p = '|';
    return t;
}

/* A detector-like base cfg: 300 iterations, steps at 80% and 90%, burn_in a third. */
static const char schedule_cfg[] =
    "[net]\nbatch=64\nlearning_rate=0.01\npolicy=steps\nburn_in=100\nsteps=240,270\nscales=.1,.1\n"
    "max_batches=300\n\n[convolutional]\nfilters=8\n";

/* A two-head detector at 64x64 for the size tests. */
static const char size_cfg[] =
    "[net]\nbatch=16\nwidth=64\nheight=64\nmax_batches=100\n\n[convolutional]\nfilters=24\n\n"
    "[yolo]\nanchors = 8,8, 16,16\n\n[yolo]\nanchors=4,6\n";

/* width in the space, height = same(width): both written from width's value, the
 * [yolo] anchors (input pixels) scaled with them, and the deployed cfg keeps them. */
static void test_size(void)
{
    dt_cfg *base, *c;
    dt_err err;
    CHECK(dt_cfg_parse(&base, size_cfg, sizeof size_cfg - 1, "det.cfg", &err) == 0);
    dt_sweep sw = {0};
    sw.cfg = "det.cfg";
    sw.name = "s";
    sw.max_batches = 100;
    sw.base_max_batches = 100;
    dt_test_add(&sw.space, "width", "choice(64, 96)", NULL, NULL);
    dt_test_add(&sw.space, "height", "same(width)", NULL, NULL);
    CHECK(dt_space_resolve(&sw.space, &err) == 0);
    dt_trial t;
    dt_trial_init(&t, sw.space.n);
    dt_value_choice(&sw.space.p[0], 1, &t.values[0]);
    dt_value_choice(&sw.space.p[1], 0, &t.values[1]);
    t.values[0].active = t.values[1].active = 1;
    dt_buf notes = {0};
    CHECK(dt_out_trial_cfg(&sw, base, t.values, &c, &notes, &err) == 0);
    char *text = net_of(c);
    CHECK_STR(text, "# darktune: anchors of 2 [yolo] layers scaled by 1.5 x 1.5 for 96x96 (base 64x64)|[net]|batch=16|"
                    "width=96|height=96|max_batches=100||[convolutional]|filters=24||[yolo]|anchors = 12,12, 24,24||"
                    "[yolo]|anchors=6,9|");
    CHECK_STR(notes.p, "anchors of 2 [yolo] layers scaled by 1.5 x 1.5 for 96x96 (base 64x64)\n");
    free(text);
    dt_cfg_free(c);
    CHECK_NEAR(dt_out_net_value(&sw, &t, "height", NULL), 96, 0);
    CHECK(dt_out_deploy_cfg(&sw, base, &t, &c, &err) == 0);
    CHECK_STR(dt_cfg_get(c, "net", "height", NULL), "96");
    CHECK_STR(dt_cfg_get(c, "yolo", "anchors", NULL), "12,12, 24,24");
    dt_cfg_free(c);
    /* The base size: nothing scaled, nothing said. */
    dt_buf_free(&notes);
    dt_value_choice(&sw.space.p[0], 0, &t.values[0]);
    CHECK(dt_out_trial_cfg(&sw, base, t.values, &c, &notes, &err) == 0);
    CHECK_STR(dt_cfg_get(c, "yolo", "anchors", NULL), "8,8, 16,16");
    CHECK(notes.len == 0);
    dt_cfg_free(c);
    dt_trial_free(&t);
    dt_space_free(&sw.space);
    dt_cfg_free(base);
}

static void test_schedule(void)
{
    dt_cfg *base;
    dt_err err;
    CHECK(dt_cfg_parse(&base, schedule_cfg, sizeof schedule_cfg - 1, "base.cfg", &err) == 0);
    dt_sweep sw = {0};
    sw.cfg = "base.cfg";
    sw.name = "s";
    sw.max_batches = 150;
    sw.base_max_batches = 300;
    sw.base_burn_in = 100;
    sw.base_power = 4;
    sw.schedule_scaled = 1;
    dt_test_add(&sw.space, "learning_rate", "log(1e-4, 1)", NULL, NULL);
    CHECK_NEAR(dt_sweep_schedule_scale(&sw), 0.5, 0);
    dt_trial t;
    dt_trial_init(&t, sw.space.n);
    dt_value_num(&sw.space.p[0], 0.02, &t.values[0]);
    dt_cfg *c;
    char *text;
    long lag;

    /* The trial: the base cfg's schedule halved with it, and a comment saying so. */
    CHECK(dt_out_trial_cfg(&sw, base, t.values, &c, NULL, &err) == 0);
    text = net_of(c);
    CHECK_STR(text, "# darktune: the base cfg's schedule scaled to this trial's 150 of its 300 iterations: "
                    "burn_in 100 -> 50, steps 240,270 -> 120,135|[net]|batch=64|learning_rate=0.02|policy=steps|"
                    "burn_in=50|steps=120,135|scales=.1,.1|max_batches=150||[convolutional]|filters=8|");
    free(text);
    dt_cfg_free(c);
    CHECK(dt_out_burn_in(&sw, t.values, &lag) == 50);
    CHECK(lag == 40);   /* power 4: the ramp trains 50 / 5 iterations' worth */
    /* Deployed: the base cfg's own length and schedule. */
    CHECK(dt_out_deploy_cfg(&sw, base, &t, &c, &err) == 0);
    CHECK_STR(dt_cfg_get(c, "net", "max_batches", NULL), "300");
    CHECK_STR(dt_cfg_get(c, "net", "burn_in", NULL), "100");
    CHECK_STR(dt_cfg_get(c, "net", "steps", NULL), "240,270");
    dt_cfg_free(c);

    /* as-is: nothing scaled, the base cfg's steps stay where they were. */
    sw.schedule_scaled = 0;
    CHECK(dt_out_trial_cfg(&sw, base, t.values, &c, NULL, &err) == 0);
    CHECK_STR(dt_cfg_get(c, "net", "burn_in", NULL), "100");
    CHECK_STR(dt_cfg_get(c, "net", "steps", NULL), "240,270");
    CHECK(strstr(dt_cfg_get(c, "net", "batch", NULL), "64") != NULL);
    dt_cfg_free(c);
    CHECK(dt_out_burn_in(&sw, t.values, NULL) == 100);
    sw.schedule_scaled = 1;
    dt_trial_free(&t);
    dt_space_free(&sw.space);

    /* burn_in tuned: the trial trains the sampled value as it is, best.cfg scales it
     * back to the base cfg's length; the baseline trains the base cfg's burn_in scaled
     * and deploys the base cfg's own. */
    memset(&sw.space, 0, sizeof sw.space);
    dt_test_add(&sw.space, "burn_in", "int(0, 100)", NULL, NULL);
    dt_trial_init(&t, sw.space.n);
    dt_value_num(&sw.space.p[0], 30, &t.values[0]);
    CHECK(dt_out_trial_cfg(&sw, base, t.values, &c, NULL, &err) == 0);
    CHECK_STR(dt_cfg_get(c, "net", "burn_in", NULL), "30");
    CHECK_STR(dt_cfg_get(c, "net", "steps", NULL), "120,135");
    dt_cfg_free(c);
    CHECK(dt_out_burn_in(&sw, t.values, &lag) == 30);
    CHECK(lag == 24);
    /* Inactive (a condition left it out): the trial's cfg keeps the base cfg's burn_in
     * as it is, not scaled, and so does what the pruners spare. */
    t.values[0].active = 0;
    CHECK(dt_out_trial_cfg(&sw, base, t.values, &c, NULL, &err) == 0);
    CHECK_STR(dt_cfg_get(c, "net", "burn_in", NULL), "100");
    dt_cfg_free(c);
    CHECK(dt_out_burn_in(&sw, t.values, &lag) == 100);
    CHECK(lag == 80);
    t.values[0].active = 1;
    CHECK(dt_out_deploy_cfg(&sw, base, &t, &c, &err) == 0);
    CHECK_STR(dt_cfg_get(c, "net", "burn_in", NULL), "60");
    CHECK_STR(dt_cfg_get(c, "net", "steps", NULL), "240,270");
    dt_cfg_free(c);
    CHECK(dt_out_baseline_values(&sw, base, t.values, &err) == 0);
    CHECK_STR(t.values[0].text, "50");
    t.baseline = 1;
    CHECK(dt_out_deploy_cfg(&sw, base, &t, &c, &err) == 0);
    CHECK_STR(dt_cfg_get(c, "net", "burn_in", NULL), "100");
    dt_cfg_free(c);
    dt_trial_free(&t);
    dt_space_free(&sw.space);

    /* power tuned too (burn_in's ramp and poly share it): the trial's own counts. */
    memset(&sw.space, 0, sizeof sw.space);
    dt_test_add(&sw.space, "burn_in", "int(0, 100)", NULL, NULL);
    dt_test_add(&sw.space, "power", "uniform(1, 4)", NULL, NULL);
    dt_trial_init(&t, sw.space.n);
    dt_value_num(&sw.space.p[0], 30, &t.values[0]);
    dt_value_num(&sw.space.p[1], 2, &t.values[1]);
    CHECK(dt_out_burn_in(&sw, t.values, &lag) == 30);
    CHECK(lag == 20);
    /* No burn-in, or power 0 (no ramp: (i/b)^0 = 1), forgo nothing; power 1 half. */
    CHECK(dt_burn_in_lag(0, 4) == 0 && dt_burn_in_lag(100, 0) == 0 && dt_burn_in_lag(100, 1) == 50);
    dt_trial_free(&t);
    dt_space_free(&sw.space);

    /* Step fractions in the space follow whichever length the cfg has. */
    memset(&sw.space, 0, sizeof sw.space);
    dt_test_add(&sw.space, "steps", "0.5, 0.8", NULL, NULL);
    CHECK(sw.space.p[0].kind == DT_FIXED);
    dt_trial_init(&t, sw.space.n);
    dt_value_choice(&sw.space.p[0], 0, &t.values[0]);
    CHECK(dt_out_trial_cfg(&sw, base, t.values, &c, NULL, &err) == 0);
    CHECK_STR(dt_cfg_get(c, "net", "steps", NULL), "75,120");
    CHECK_STR(dt_cfg_get(c, "net", "burn_in", NULL), "50");
    dt_cfg_free(c);
    CHECK(dt_out_deploy_cfg(&sw, base, &t, &c, &err) == 0);
    CHECK_STR(dt_cfg_get(c, "net", "steps", NULL), "150,240");
    dt_cfg_free(c);
    dt_trial_free(&t);
    dt_space_free(&sw.space);
    /* Every cfg above was a copy: the parsed base cfg is as it was read. */
    size_t len;
    text = dt_cfg_text(base, &len);
    CHECK(len == sizeof schedule_cfg - 1 && memcmp(text, schedule_cfg, len) == 0);
    free(text);
    dt_cfg_free(base);
}

static void write_text(const char *path, const char *text)
{
    dt_err err;
    CHECK(dt_write_file(path, text, strlen(text), &err) == 0);
}

/* The base files read once: the .data's paths made absolute (beside the .data, or
 * beside the sweep), the trial's .data and cfg derived from them with the files gone,
 * and the runner's setup as the trial's .data says it. */
static void test_base(void)
{
    dt_err err;
    CHECK(dt_mkdirs(TMP "/sweep", &err) == 0 && dt_mkdirs(TMP "/data", &err) == 0);
    write_text(TMP "/data/base.data", "classes= 3\ntrain = train.list\nvalid=valid.list\nlabels=labels.txt\n"
                                      "top=2\nnames=nowhere.names\n");
    write_text(TMP "/data/train.list", "a.png\n");
    write_text(TMP "/sweep/valid.list", "b.png\n");   /* beside the sweep, not the .data */
    write_text(TMP "/data/labels.txt", "a\nb\nc\n");
    write_text(TMP "/sweep/base.cfg", schedule_cfg);
    char *dir = dt_abspath(TMP);
    dt_sweep sw = {0};
    sw.dir = dt_path_join(dir, "sweep");
    sw.cfg = dt_path_join(dir, "sweep/base.cfg");
    sw.data = dt_path_join(dir, "data/base.data");
    sw.max_batches = 300;
    sw.runner = DT_RUNNER_LIBDARKNET;
    sw.metric = DT_METRIC_TOP1;
    dt_out_base b;
    CHECK(dt_out_base_read(&b, &sw, &err) == 0);
    if (!b.cfg) return;
    char *want = dt_xasprintf("classes= 3\ntrain = %s/data/train.list\nvalid=%s/sweep/valid.list\n"
                              "labels=%s/data/labels.txt\ntop=2\nnames=%s/data/nowhere.names\n", dir, dir, dir, dir);
    size_t len;
    char *text = dt_cfg_text(b.data, &len);
    CHECK_STR(text, want);
    free(text);

    /* Nothing reads the files again. */
    unlink(sw.cfg);
    unlink(sw.data);
    CHECK(dt_out_trial_data(&sw, b.data, "/x/backup", TMP "/trial.data", &err) == 0);
    char *got = NULL;
    CHECK(dt_read_file(TMP "/trial.data", &got, &len, &err) == 0);
    char *want_trial = dt_xasprintf("%sbackup=/x/backup\n", want);
    CHECK_STR(got, want_trial);
    free(got);
    free(want_trial);
    sw.metric = DT_METRIC_TOP5;
    CHECK(dt_out_trial_data(&sw, b.data, "/x/backup", TMP "/trial.data", &err) == 0);
    CHECK(dt_read_file(TMP "/trial.data", &got, &len, &err) == 0);
    CHECK(got && strstr(got, "\ntop=5\n") && strstr(got, "backup=/x/backup\n"));
    free(got);
    dt_cfg *c;
    CHECK(dt_out_trial_cfg(&sw, b.cfg, NULL, &c, NULL, &err) == 0);
    CHECK_STR(dt_cfg_get(c, "net", "max_batches", NULL), "300");
    dt_cfg_free(c);

    /* The setup: the lists as the trial's .data says them; top 5 for top5. */
    dt_runner_setup su;
    CHECK(dt_out_runner_setup(&sw, &b, &su, &err) == 0);
    CHECK(su.runner == DT_RUNNER_LIBDARKNET && su.metric == DT_METRIC_TOP5 && su.classes == 3 && su.top == 5);
    CHECK(su.train && strstr(su.train, "/data/train.list") && su.train[0] == '/');
    CHECK(su.valid && strstr(su.valid, "/sweep/valid.list"));
    CHECK(su.labels && strstr(su.labels, "/data/labels.txt"));
    CHECK(su.data == sw.data && su.workdir == sw.dir);
    sw.metric = DT_METRIC_TOP1;
    CHECK(dt_out_runner_setup(&sw, &b, &su, &err) == 0);
    CHECK(su.top == 2);
    dt_cfg_set(b.data, "", "top", "two");
    CHECK(dt_out_runner_setup(&sw, &b, &su, &err) == -1);
    char *msg = dt_xasprintf("%s: top = 'two' is not a whole number", sw.data);
    CHECK_STR(err.msg, msg);
    free(msg);
    /* exec leaves the .data to Darknet: no lists, nothing parsed. */
    sw.runner = DT_RUNNER_EXEC;
    CHECK(dt_out_runner_setup(&sw, &b, &su, &err) == 0);
    CHECK(su.runner == DT_RUNNER_EXEC && !su.train && !su.labels && su.top == 1);

    dt_out_base_free(&b);
    CHECK(b.cfg == NULL && b.data == NULL);
    dt_out_base_free(&b);   /* twice is fine */
    /* A .data that is not there: nothing is left half-read. */
    write_text(TMP "/sweep/base.cfg", schedule_cfg);
    CHECK(dt_out_base_read(&b, &sw, &err) == -1);
    CHECK(b.cfg == NULL && b.data == NULL);
    free(want);
    free(dir);
    free(sw.dir);
    free(sw.cfg);
    free(sw.data);
}

/* A .data and a base cfg saved on Windows: the trial's copies end their lines in
 * "\n" alone, so that no path or section read by pjreddie's darknet ends in "\r". */
static void test_crlf(void)
{
    dt_err err;
    CHECK(dt_mkdirs(TMP "/crlf", &err) == 0);
    write_text(TMP "/crlf/base.data", "classes=3\r\ntrain=train.list\r\nvalid=train.list\r\n");
    write_text(TMP "/crlf/train.list", "a.png\r\n");
    write_text(TMP "/crlf/base.cfg", "[net]\r\nbatch=1\r\nmax_batches=10\r\n\r\n[softmax]\r\n");
    char *dir = dt_abspath(TMP "/crlf");
    dt_sweep sw = {0};
    sw.dir = dt_xstrdup(dir);
    sw.cfg = dt_path_join(dir, "base.cfg");
    sw.data = dt_path_join(dir, "base.data");
    sw.max_batches = 10;
    sw.runner = DT_RUNNER_EXEC;
    sw.metric = DT_METRIC_TOP1;
    dt_out_base b;
    CHECK(dt_out_base_read(&b, &sw, &err) == 0);
    if (!b.cfg) return;
    CHECK(dt_out_trial_data(&sw, b.data, "/x/backup", TMP "/crlf/trial.data", &err) == 0);
    char *got = NULL, *want = dt_xasprintf("classes=3\ntrain=%s/train.list\nvalid=%s/train.list\nbackup=/x/backup\n",
                                           dir, dir);
    size_t len;
    CHECK(dt_read_file(TMP "/crlf/trial.data", &got, &len, &err) == 0);
    CHECK_STR(got, want);
    free(got);
    dt_cfg *c;
    CHECK(dt_out_trial_cfg(&sw, b.cfg, NULL, &c, NULL, &err) == 0);
    if (c) {
        char *text = dt_cfg_text(c, &len);
        CHECK_STR(text, "[net]\nbatch=1\nmax_batches=10\n\n[softmax]\n");
        free(text);
    }
    dt_cfg_free(c);
    dt_out_base_free(&b);
    free(want), free(dir), free(sw.dir), free(sw.cfg), free(sw.data);
}

int main(void)
{
    test_best();
    test_finalists();
    test_schedule();
    test_size();
    test_base();
    test_crlf();
    return dt_test_done("out");
}
