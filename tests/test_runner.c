/* test_runner: the runner context (dt_runner_ctx) of runner = libdarknet: what its
 * setup must hold (refused at creation, with the .data named), the labels read once,
 * each list decoded once in this process by the first run that needs it and shared
 * by the later ones (forked children train on it), a list that fails decoding tried
 * again, and every run freed before the context. Run from the repository root;
 * writes under tests/tmp/runner-unit/. The table runner's context is test_table's. */
#include "dt_darknet.h"
#include "dt_runner.h"
#include "dt_test.h"
#include "dt_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TMP "tests/tmp/runner-unit"
#include "dt_test_run.h"

/* What the setup must hold, refused when the context is made. */
static void test_refusals(char *dir)
{
    dt_runner_ctx *ctx;
    dt_err err;
    dt_runner_setup su = classifier_setup(dir);
    su.train = NULL;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == -1 && ctx == NULL);
    CHECK_STR(err.msg, "fake.data has no 'train' list");
    su = classifier_setup(dir);
    su.labels = NULL;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == -1);
    CHECK_STR(err.msg, "fake.data has no 'labels' (runner libdarknet reads the images itself)");
    su = classifier_setup(dir);
    su.valid = NULL;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == -1);
    CHECK_STR(err.msg, "fake.data has no 'valid' list");
    /* The loss without periodic validations needs no valid list; with them it does. */
    su.metric = DT_METRIC_LOSS;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == 0);
    dt_runner_ctx_free(ctx);
    su.eval_interval = 10;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == -1);
    su = classifier_setup(dir);
    su.top = 0;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == -1);
    CHECK_STR(err.msg, "fake.data: classes = 2, top = 0: out of range");
    su.top = 1001;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == -1);
    su = classifier_setup(dir);
    su.classes = -3;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == -1);
    su.classes = 3;   /* the labels file has two */
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == -1);
    CHECK_STR(err.msg, "'" TMP "/labels.txt' has 2 labels, but the .data file says classes=3");
    su = classifier_setup(dir);
    su.task = DT_TASK_DETECTOR;
    su.classes = 0;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == -1);
    CHECK_STR(err.msg, "fake.data: classes = 0: out of range");
    su.runner = 9;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == -1);
    CHECK_STR(err.msg, "unknown runner 9");
    /* exec shares nothing: its context holds the setup alone. */
    su = (dt_runner_setup){.runner = DT_RUNNER_EXEC, .task = DT_TASK_CLASSIFIER, .metric = DT_METRIC_TOP1};
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == 0);
    if (ctx) CHECK(dt_runner_ctx_table(ctx) == NULL && dt_runner_ctx_setup(ctx)->train == NULL);
    dt_runner_ctx_free(ctx);
}

/* Two trials of one context: the first decodes the list (once, though the .data names
 * it as train and valid), the second finds it decoded; both children train on it. */
static void test_decoded_once(char *dir)
{
    dt_runner_ctx *ctx;
    dt_err err;
    dt_runner_setup su = classifier_setup(dir);
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == 0);
    if (!ctx) return;
    dt_run_spec spec = {.ctx = ctx, .runner = DT_RUNNER_LIBDARKNET, .task = DT_TASK_CLASSIFIER,
                        .metric = DT_METRIC_TOP1, .workdir = dir, .trial_dir = TMP, .cfg = TMP "/tiny.cfg",
                        .backup = TMP, .log = TMP "/log-0.txt", .gpu = -1, .max_batches = 2, .hang_s = 60,
                        .seed = 1};
    dt_run *a = NULL, *b = NULL;
    CHECK(dt_run_start(&a, &spec, &err) == 0);
    spec.log = TMP "/log-1.txt";
    spec.trial = 1;
    CHECK(dt_run_start(&b, &spec, &err) == 0);
    if (!a || !b) {
        fprintf(stderr, "  %s\n", err.msg);
        dt_run_free(a);
        dt_run_free(b);
        dt_runner_ctx_free(ctx);
        return;
    }
    dt_run_result ra = finish(a), rb = finish(b);
    CHECK(ra.ok == 1 && rb.ok == 1);
    if (!ra.ok) fprintf(stderr, "  trial 0: %s\n", ra.reason);
    CHECK(ra.iterations == 2 && rb.iterations == 2);
    CHECK(ra.metric >= 0 && ra.metric <= 1);
    CHECK(count_lines(TMP "/log-0.txt", "darktune: decoded 4 images of " TMP "/train.list") == 1);
    CHECK(count_lines(TMP "/log-0.txt", "darktune: decoded") == 1);
    CHECK(count_lines(TMP "/log-1.txt", "darktune: decoded") == 0);
    /* Runs go first, then the context. */
    dt_run_free(a);
    dt_run_free(b);
    dt_runner_ctx_free(ctx);
}

/* A list that does not decode fails the trial's start, and the next one's the same
 * way (nothing half-decoded is kept); the loss without validations never decodes the
 * valid list. */
static void test_decode_again(char *dir)
{
    dt_runner_ctx *ctx;
    dt_err err;
    dt_runner_setup su = classifier_setup(dir);
    su.train = TMP "/broken.list";
    su.valid = TMP "/valid-missing.list";
    su.metric = DT_METRIC_LOSS;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == 0);
    if (!ctx) return;
    dt_run_spec spec = {.ctx = ctx, .runner = DT_RUNNER_LIBDARKNET, .task = DT_TASK_CLASSIFIER,
                        .metric = DT_METRIC_LOSS, .workdir = dir, .cfg = TMP "/tiny.cfg", .backup = TMP,
                        .log = TMP "/log-2.txt", .gpu = -1, .max_batches = 2, .hang_s = 60};
    dt_run *r = NULL;
    for (int i = 0; i < 2; i++) {
        CHECK(dt_run_start(&r, &spec, &err) == -1 && r == NULL);
        CHECK(strncmp(err.msg, TMP "/broken.list:2: cannot decode '", 37) == 0);
    }
    write_text(TMP "/broken.list", "0.cat.png\n1.dog.png\n");
    CHECK(dt_run_start(&r, &spec, &err) == 0);
    if (r) {
        dt_run_result res = finish(r);
        CHECK(res.ok == 1);
        dt_run_free(r);
    }
    CHECK(count_lines(TMP "/log-2.txt", "darktune: decoded") == 1);
    /* A run that validates needs the valid list, which this .data lacks. */
    spec.eval_interval = 1;
    CHECK(dt_run_start(&r, &spec, &err) == -1);
    CHECK(strstr(err.msg, "valid-missing.list") != NULL);
    dt_runner_ctx_free(ctx);
}

int main(void)
{
    write_classifier_files();
    write_text(TMP "/broken.list", "0.cat.png\n9.dog.png\n");
    /* A classifier small enough to train two iterations in a moment. */
    write_text(TMP "/tiny.cfg", "[net]\nbatch=2\nsubdivisions=1\nheight=8\nwidth=8\nchannels=3\nmin_crop=8\n"
                                "max_crop=8\nlearning_rate=0.01\nmax_batches=2\n\n[connected]\noutput=2\n"
                                "activation=linear\n\n[softmax]\n");
    char *dir = dt_abspath(TMP);
    test_refusals(dir);
    test_decoded_once(dir);
    test_decode_again(dir);
    free(dir);
    return dt_test_done("runner");
}
