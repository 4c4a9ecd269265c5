/* test_train: what the in-process child (dt_train) does after training, and training
 * at other sizes. time_reps: the trained network is timed (ms finite, positive, in the
 * log, larger at twice the width and height; NAN without time_reps); the exec runner
 * times a program's final weights in a libdarknet child and refuses, with the reason,
 * weights that do not fit the cfg; the shapes detector trains at 96x96 and 128x128
 * (anchors scaled by dt_cfg_scale_anchors) and with subdivisions 2 and 4, and is timed
 * at its size. Run from the repository root; writes under tests/tmp/train-unit/. Not
 * under valgrind (t_valgrind runs test_runner): it trains real networks. */
#include "dt_cfg.h"
#include "dt_darknet.h"
#include "dt_runner.h"
#include "dt_test.h"
#include "dt_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TMP "tests/tmp/train-unit"
#include "dt_test_run.h"

/* A classifier of three 3x3 convolutions of 16 filters at side x side, average-pooled
 * into 2 classes: its convolutions' work grows with side squared. */
static void write_conv_cfg(const char *name, int side, int filters)
{
    char *path = dt_xasprintf("%s/%s", TMP, name);
    char *text = dt_xasprintf("[net]\nbatch=2\nsubdivisions=1\nheight=%d\nwidth=%d\nchannels=3\nmin_crop=%d\n"
                              "max_crop=%d\nlearning_rate=0.01\nmax_batches=2\n", side, side, side, side);
    for (int i = 0; i < 3; i++) {
        char *conv = dt_xasprintf("%s\n[convolutional]\nfilters=%d\nsize=3\npad=1\nactivation=leaky\n", text,
                                  i ? 16 : filters);
        free(text);
        text = conv;
    }
    char *all = dt_xasprintf("%s\n[avgpool]\n\n[connected]\noutput=2\nactivation=linear\n\n[softmax]\n", text);
    write_text(path, all);
    free(all), free(text), free(path);
}

/* A short in-process training run with time_reps; returns its outcome. */
static dt_run_result timed_run(dt_runner_ctx *ctx, char *dir, const char *cfg, const char *log, int reps)
{
    dt_run_spec spec = {.ctx = ctx, .runner = DT_RUNNER_LIBDARKNET, .task = DT_TASK_CLASSIFIER,
                        .metric = DT_METRIC_TOP1, .workdir = dir, .trial_dir = TMP, .cfg = cfg, .backup = TMP,
                        .log = log, .gpu = -1, .max_batches = 2, .hang_s = 60, .seed = 1, .time_reps = reps};
    dt_run *r = NULL;
    dt_err err;
    dt_run_result res = {.ok = 0, .ms = NAN};
    CHECK(dt_run_start(&r, &spec, &err) == 0);
    if (!r) {
        fprintf(stderr, "  %s\n", err.msg);
        return res;
    }
    res = finish(r);
    dt_run_free(r);
    if (!res.ok) fprintf(stderr, "  %s: %s\n", cfg, res.reason);
    return res;
}

/* The exec runner on a "program" that leaves the given weights as its own and prints
 * one iteration line; the final weights are then timed in a libdarknet child. */
static dt_run_result exec_timed(char *dir, const char *cfg, const char *weights, int reps)
{
    const char *base = dt_basename(cfg);
    char *cmd = dt_xasprintf("cp %s {backup}/%.*s.weights && echo '2, 0.500: 0.700000, 0.700000 avg, 0.010000 rate, "
                             "0.100000 seconds, 4 images'", weights, (int)(strlen(base) - 4), base);
    char *backup = dt_xasprintf("%s/exec-backup", dir);   /* paths absolute, as the tuner gives them */
    dt_run_spec spec = {.runner = DT_RUNNER_EXEC, .task = DT_TASK_CLASSIFIER, .metric = DT_METRIC_LOSS,
                        .workdir = dir, .trial_dir = dir, .cfg = cfg, .backup = backup,
                        .log = TMP "/log-exec.txt", .gpu = -1, .command = cmd, .max_batches = 2, .hang_s = 60,
                        .time_reps = reps};
    dt_err err;
    CHECK(dt_mkdirs(backup, &err) == 0);
    unlink(TMP "/log-exec.txt");   /* the exec runner appends to a trial's log */
    dt_run *r = NULL;
    dt_run_result res = {.ok = 0, .ms = NAN};
    CHECK(dt_run_start(&r, &spec, &err) == 0);
    free(cmd), free(backup);
    if (!r) {
        fprintf(stderr, "  %s\n", err.msg);
        return res;
    }
    res = finish(r);
    dt_run_free(r);
    return res;
}

/* time_reps: the in-process child times the trained network (ms finite, positive,
 * in the log, and larger for the same network at twice the width and height); the
 * exec runner times a program's final weights in a libdarknet child, and refuses,
 * with the reason, weights that do not fit the cfg; without time_reps ms is NAN. */
static void test_time(char *dir)
{
    dt_runner_ctx *ctx;
    dt_err err;
    dt_runner_setup su = classifier_setup(dir);
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == 0);
    if (!ctx) return;
    write_conv_cfg("conv32.cfg", 32, 16);
    write_conv_cfg("conv64.cfg", 64, 16);
    write_conv_cfg("conv-exec.cfg", 32, 16);
    write_conv_cfg("conv-other.cfg", 32, 24);
    dt_run_result plain = timed_run(ctx, dir, TMP "/conv32.cfg", TMP "/log-time-0.txt", 0);
    CHECK(plain.ok == 1 && isnan(plain.ms));
    dt_run_result small = timed_run(ctx, dir, TMP "/conv32.cfg", TMP "/log-time-32.txt", 9);
    dt_run_result large = timed_run(ctx, dir, TMP "/conv64.cfg", TMP "/log-time-64.txt", 9);
    CHECK(small.ok == 1 && large.ok == 1);
    CHECK(isfinite(small.ms) && small.ms > 0);
    CHECK(isfinite(large.ms) && large.ms > 0);
    /* 4 times the work; 1.5 leaves room for a busy machine. */
    CHECK(large.ms > 1.5 * small.ms);
    printf("in-process: %.3f ms at 32x32, %.3f ms at 64x64\n", small.ms, large.ms);
    CHECK(count_lines(TMP "/log-time-32.txt", "darktune: 9 predictions of one 32x32 image (after 3 to warm up): "
                                              "median ") == 1);
    CHECK(count_lines(TMP "/log-time-0.txt", "predictions of one") == 0);

    char *trained = dt_xasprintf("%s/conv32.weights", dir);   /* the exec command runs in dir */
    dt_run_result ex = exec_timed(dir, TMP "/conv-exec.cfg", trained, 5);
    CHECK(ex.ok == 1 && isfinite(ex.ms) && ex.ms > 0);
    if (!ex.ok) fprintf(stderr, "  exec: %s\n", ex.reason);
    printf("exec: %.3f ms at 32x32\n", ex.ms);
    CHECK(count_lines(TMP "/log-exec.txt", "darktune: timing " TMP "/conv-exec.cfg with ") == 1);
    /* The same file under a cfg with 24 filters in its first layer: refused, never timed. */
    dt_run_result other = exec_timed(dir, TMP "/conv-other.cfg", trained, 5);
    free(trained);
    CHECK(other.ok == 0 && isnan(other.ms));
    const char *want = "cannot time the final weights: exit status 1; last output: darktune: cannot time '";
    CHECK(strncmp(other.reason, want, strlen(want)) == 0);
    CHECK(strstr(other.reason, "but pjreddie's libdarknet reads") != NULL);
    if (other.ok || !strstr(other.reason, "pjreddie's libdarknet reads")) fprintf(stderr, "  %s\n", other.reason);
    dt_runner_ctx_free(ctx);
}

/* cfg/shapes-yolo.cfg (64x64) at side x side with its anchors scaled, batch and
 * subdivisions as given, written under TMP as name. */
static int write_shapes_cfg(const char *name, int side, const char *batch, const char *subdivisions)
{
    dt_cfg *c = NULL;
    dt_err err;
    CHECK(dt_cfg_read(&c, "cfg/shapes-yolo.cfg", &err) == 0);
    if (!c) return -1;
    char num[16];
    snprintf(num, sizeof num, "%d", side);
    dt_cfg_set(c, "net", "width", num);
    dt_cfg_set(c, "net", "height", num);
    dt_cfg_set(c, "net", "batch", batch);
    dt_cfg_set(c, "net", "subdivisions", subdivisions);
    dt_cfg_set(c, "net", "max_batches", "3");
    CHECK(dt_cfg_scale_anchors(c, 64, 64, side, side, NULL, &err) == (side != 64 ? 2 : 0));
    char *path = dt_xasprintf("%s/%s", TMP, name);
    CHECK(dt_cfg_write(c, path, &err) == 0);
    free(path);
    dt_cfg_free(c);
    return 0;
}

/* The shapes detector trained in-process at sizes other than its cfg's 64x64 (its
 * anchors scaled, dt_cfg_scale_anchors) and with subdivisions > 1: 3 iterations each
 * end well, and each is timed. Needs data/shapes (make data-shapes). */
static void test_detector_sizes(void)
{
    if (!dt_file_exists("data/shapes/train.list")) {
        SKIP("data/shapes is missing: make data-shapes draws it (about 10 s)");
        return;
    }
    char *root = dt_abspath(".");
    char *train = dt_xasprintf("%s/data/shapes/train.list", root);
    dt_runner_setup su = {.runner = DT_RUNNER_LIBDARKNET, .task = DT_TASK_DETECTOR, .metric = DT_METRIC_LOSS,
                          .data = "cfg/shapes.data", .workdir = root, .train = train, .classes = 3, .top = 1};
    dt_runner_ctx *ctx;
    dt_err err;
    CHECK(dt_runner_ctx_create(&ctx, &su, &err) == 0);
    static const struct { const char *cfg; int side; const char *batch, *subdivisions; } runs[] = {
        {"shapes-96.cfg", 96, "8", "1"},
        {"shapes-128.cfg", 128, "8", "2"},   /* 4 images per forward pass, 2 passes per update */
        {"shapes-64-sub4.cfg", 64, "8", "4"},
    };
    for (size_t i = 0; ctx && i < sizeof runs / sizeof *runs; i++) {
        if (write_shapes_cfg(runs[i].cfg, runs[i].side, runs[i].batch, runs[i].subdivisions) != 0) continue;
        char *cfg = dt_xasprintf("%s/%s", TMP, runs[i].cfg);
        char *log = dt_xasprintf("%s/log-%s.txt", TMP, runs[i].cfg);
        dt_run_spec spec = {.ctx = ctx, .runner = DT_RUNNER_LIBDARKNET, .task = DT_TASK_DETECTOR,
                            .metric = DT_METRIC_LOSS, .workdir = root, .trial_dir = TMP, .cfg = cfg, .backup = TMP,
                            .log = log, .gpu = -1, .max_batches = 3, .hang_s = 120, .seed = 3, .time_reps = 3};
        dt_run *r = NULL;
        CHECK(dt_run_start(&r, &spec, &err) == 0);
        if (r) {
            dt_run_result res = finish(r);
            CHECK(res.ok == 1 && res.iterations == 3 && isfinite(res.final_loss));
            CHECK(isfinite(res.ms) && res.ms > 0);
            if (!res.ok) fprintf(stderr, "  %s: %s\n", runs[i].cfg, res.reason);
            printf("%s: loss %f, %.3f ms\n", runs[i].cfg, res.final_loss, res.ms);
            dt_run_free(r);
        } else {
            fprintf(stderr, "  %s\n", err.msg);
        }
        char *want = dt_xasprintf("of one %dx%d image", runs[i].side, runs[i].side);
        CHECK(count_lines(log, want) == 1);
        free(want), free(cfg), free(log);
    }
    dt_runner_ctx_free(ctx);
    free(train), free(root);
}

int main(void)
{
    write_classifier_files();
    char *dir = dt_abspath(TMP);
    test_time(dir);
    test_detector_sizes();
    free(dir);
    return dt_test_done("train");
}
