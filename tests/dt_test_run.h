/* dt_test_run: what the tests of runs (test_runner, test_train) share: small files and
 * PNGs under the includer's TMP folder, a run driven to its end, the classifier setup
 * over TMP's lists. Define TMP before including it. */
#ifndef DT_TEST_RUN_H
#define DT_TEST_RUN_H

#include <string.h>
#include <time.h>

#include "dt_runner.h"
#include "dt_test.h"
#include "dt_util.h"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_image_write.h>

static void write_text(const char *path, const char *text)
{
    dt_err err;
    CHECK(dt_write_file(path, text, strlen(text), &err) == 0);
}

/* An 8x8 RGB PNG under TMP, its pixels from seed. */
static void write_png(const char *name, int seed)
{
    unsigned char px[8 * 8 * 3];
    for (int i = 0; i < (int)sizeof px; i++) px[i] = (unsigned char)(i * 37 + seed * 91);
    char *path = dt_xasprintf("%s/%s", TMP, name);
    CHECK(stbi_write_png(path, 8, 8, 3, px, 8 * 3) != 0);
    free(path);
}

/* How many lines of the file hold needle (0 when it cannot be read). */
static int count_lines(const char *path, const char *needle)
{
    char *text;
    size_t len;
    dt_err err;
    if (dt_read_file(path, &text, &len, &err) != 0) return 0;
    int n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) n += strstr(line, needle) != NULL;
    free(text);
    return n;
}

/* Runs to the end; returns the outcome. */
static dt_run_result finish(dt_run *r)
{
    dt_run_result res;
    dt_event ev;
    int rc;
    double end = dt_now() + 60;
    while ((rc = dt_run_next(r, &ev)) != -1 && dt_now() < end)
        if (rc == 0) {
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    if (rc != -1) dt_run_stop(r);
    dt_run_outcome(r, &res);
    return res;
}

/* The files classifier_setup names: TMP made, four PNGs of cats and dogs by name
 * (Darknet's label rule), train.list over them, labels.txt. */
static void write_classifier_files(void)
{
    dt_err err;
    CHECK(dt_mkdirs(TMP, &err) == 0);
    write_png("0.cat.png", 0);
    write_png("1.dog.png", 1);
    write_png("2.cat.png", 2);
    write_png("3.dog.png", 3);
    write_text(TMP "/train.list", "0.cat.png\n1.dog.png\n2.cat.png\n3.dog.png\n");
    write_text(TMP "/labels.txt", "cat\ndog\n");
}

/* A classifier setup over TMP's lists: train and valid the same list, labels cat, dog. */
static dt_runner_setup classifier_setup(char *dir)
{
    return (dt_runner_setup){.runner = DT_RUNNER_LIBDARKNET, .task = DT_TASK_CLASSIFIER,
                             .metric = DT_METRIC_TOP1, .data = "fake.data", .workdir = dir,
                             .train = TMP "/train.list", .valid = TMP "/train.list", .labels = TMP "/labels.txt",
                             .classes = 2, .top = 1};
}

#endif
