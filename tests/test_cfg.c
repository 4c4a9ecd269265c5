/* test_cfg: dt_cfg round-trips Darknet's own cfgs byte for byte, edits match hand-written
 * golden files, and the Darknet tables say what each fork's parser reads. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "dt_cfg.h"
#include "dt_test.h"

#define DARKNET_CFG_DIR "/usr/share/darknet/cfg"
#define GOLDEN_DIR "tests/golden/cfg"

/* Parses text and returns the cfg, or NULL after a failed check. */
static dt_cfg *parse(const char *text)
{
    dt_cfg *c = NULL;
    dt_err err = {0};
    int rc = dt_cfg_parse(&c, text, strlen(text), "test.cfg", &err);
    CHECK(rc == 0);
    if (rc != 0) fprintf(stderr, "  %s\n", err.msg);
    return c;
}

/* 1 when the cfg's text is exactly want. */
static int text_is(const dt_cfg *c, const char *want)
{
    size_t len;
    char *got = dt_cfg_text(c, &len);
    int same = len == strlen(want) && memcmp(got, want, len) == 0;
    if (!same) fprintf(stderr, "  expected:\n%s\n  got:\n%s\n", want, got);
    free(got);
    return same;
}

/* 1 when parse + text gives back exactly the bytes [text, text+len). */
static int round_trips(const char *text, size_t len, const char *name)
{
    dt_cfg *c = NULL;
    dt_err err = {0};
    if (dt_cfg_parse(&c, text, len, name, &err) != 0) {
        fprintf(stderr, "  %s\n", err.msg);
        return 0;
    }
    size_t out_len;
    char *out = dt_cfg_text(c, &out_len);
    int same = out_len == len && memcmp(out, text, len) == 0;
    free(out);
    dt_cfg_free(c);
    return same;
}

/* (1) Every .cfg and .data shipped with Debian's darknet, and crafted corner cases. */
static void test_round_trip(void)
{
    DIR *d = opendir(DARKNET_CFG_DIR);
    CHECK(d != NULL);
    int files = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        int cfg = n > 4 && strcmp(e->d_name + n - 4, ".cfg") == 0;
        int data = n > 5 && strcmp(e->d_name + n - 5, ".data") == 0;
        if (!cfg && !data) continue;
        char *path = dt_xasprintf("%s/%s", DARKNET_CFG_DIR, e->d_name);
        char *buf;
        size_t len;
        dt_err err = {0};
        if (dt_read_file(path, &buf, &len, &err) == 0) {
            int ok = round_trips(buf, len, path);
            if (!ok) fprintf(stderr, "  round trip failed: %s\n", path);
            CHECK(ok);
            free(buf);
            files++;
        }
        free(path);
    }
    if (d) closedir(d);
    CHECK(files >= 40);   /* the package ships 52 such files; a broken glob must not pass */

    const char *crafted[] = {
        "",
        "\n",
        "[net]\r\nbatch=1\r\n\r\n[convolutional]\r\nfilters=8\r\n",
        "[net]\nbatch=1",
        "[net]\r\nbatch=1",
        "# hash comment\n; semicolon comment\n[net]\n  ; indented\nbatch = 2 \n",
        "classes= 10\ntrain  = data/train.list\n\n[net]\nbatch=1\n",
        "\t[ net ]  \n\tbatch\t=\t3\t\n\n\n",
        "a=1\r",
        "mixed=1\r\nendings=2\nlast=3",
    };
    for (size_t i = 0; i < sizeof crafted / sizeof crafted[0]; i++)
        CHECK(round_trips(crafted[i], strlen(crafted[i]), "crafted"));

    /* What the crafted inputs mean, not only that they come back. */
    dt_cfg *c = parse("classes= 10\ntrain  = data/train.list\n\n[net]\nbatch=1\n");
    if (c) {
        CHECK(dt_cfg_nsections(c) == 2);
        CHECK_STR(dt_cfg_section(c, 0), "");
        CHECK_STR(dt_cfg_section(c, 1), "net");
        CHECK_STR(dt_cfg_get(c, "", "train", NULL), "data/train.list");
        CHECK_STR(dt_cfg_get(c, "", "classes", NULL), "10");
        CHECK(dt_cfg_get(c, "net", "train", NULL) == NULL);
        dt_cfg_free(c);
    }
    c = parse("\t[ net ]  \n\tbatch\t=\t3\t\n# x\n; y\n");
    if (c) {
        const char *const *keys, *const *vals;
        const int *lines;
        CHECK(dt_cfg_nsections(c) == 1);
        CHECK_STR(dt_cfg_section(c, 0), "net");
        CHECK(dt_cfg_keys(c, 0, &keys, &vals, &lines) == 1);
        CHECK_STR(keys[0], "batch");
        CHECK_STR(vals[0], "3");
        CHECK(lines[0] == 2);
        dt_cfg_free(c);
    }
    c = parse("");
    if (c) {
        CHECK(dt_cfg_nsections(c) == 1);   /* an empty .data file still takes keys */
        CHECK(dt_cfg_set(c, "", "classes", "10") == 0);
        CHECK(text_is(c, "classes=10\n"));
        dt_cfg_free(c);
    }

    /* Lines Darknet could not read are refused with file and line. */
    dt_cfg *bad = NULL;
    dt_err err = {0};
    const char *text = "[net]\nbatch=1\nlearning_rate 0.1\n";
    CHECK(dt_cfg_parse(&bad, text, strlen(text), "x.cfg", &err) == -1);
    CHECK(bad == NULL);
    CHECK(strncmp(err.msg, "x.cfg:3: ", 9) == 0);
    text = "[net\nbatch=1\n";
    CHECK(dt_cfg_parse(&bad, text, strlen(text), "y.cfg", &err) == -1);
    CHECK(strncmp(err.msg, "y.cfg:1: ", 9) == 0);
    text = "[ ]\nbatch=1\n";
    CHECK(dt_cfg_parse(&bad, text, strlen(text), "z.cfg", &err) == -1);
    text = "[net]\n=1\n";
    CHECK(dt_cfg_parse(&bad, text, strlen(text), "z.cfg", &err) == -1);
    CHECK(strncmp(err.msg, "z.cfg:2: ", 9) == 0);
    CHECK(dt_cfg_read(&bad, "tests/tmp/does-not-exist.cfg", &err) == -1);
}

/* Reads a golden file; NULL after a failed check. */
static char *golden(const char *name, size_t *len)
{
    char *path = dt_xasprintf("%s/%s", GOLDEN_DIR, name), *buf = NULL;
    dt_err err = {0};
    int rc = dt_read_file(path, &buf, len, &err);
    CHECK(rc == 0);
    if (rc != 0) fprintf(stderr, "  %s\n", err.msg);
    free(path);
    return rc == 0 ? buf : NULL;
}

/* (2) A fixed sequence of edits against hand-written expected files. */
static void test_golden(void)
{
    dt_cfg *c = NULL;
    dt_err err = {0};
    size_t len;
    CHECK(dt_cfg_read(&c, GOLDEN_DIR "/base.cfg", &err) == 0);
    char *want = golden("tuned.expected", &len);
    if (c && want) {
        CHECK(dt_cfg_set(c, "net", "learning_rate", "0.0025") == 0);
        CHECK(dt_cfg_set(c, "net", "momentum", "0.95") == 0);     /* drops momentum=0.8 */
        CHECK(dt_cfg_set(c, "net", "policy", "poly") == 0);
        dt_cfg_drop_policy_keys(c, DT_FORK_PJREDDIE);               /* steps, scales go; power stays */
        CHECK(dt_cfg_unset(c, "net", "saturation") == 1);
        CHECK(dt_cfg_set(c, "net", "hue", ".1") == 0);             /* absent: after exposure */
        CHECK(dt_cfg_set(c, "convolutional", "filters", "32") == 0);
        CHECK(dt_cfg_set(c, "network", "max_batches", "800") == 0);
        dt_cfg_prepend_comment(c, " darktune trial 7: learning_rate=0.0025");
        CHECK(text_is(c, want));

        /* Written to disk, it reads back the same. */
        CHECK(dt_mkdirs("tests/tmp", &err) == 0);
        CHECK(dt_cfg_write(c, "tests/tmp/tuned.cfg", &err) == 0);
        dt_cfg *again = NULL;
        CHECK(dt_cfg_read(&again, "tests/tmp/tuned.cfg", &err) == 0);
        if (again) CHECK(text_is(again, want));
        dt_cfg_free(again);
        remove("tests/tmp/tuned.cfg");
    }
    dt_cfg_free(c);
    free(want);

    c = NULL;
    CHECK(dt_cfg_read(&c, GOLDEN_DIR "/base.data", &err) == 0);
    want = golden("tuned.data.expected", &len);
    if (c && want) {
        CHECK(dt_cfg_set(c, "", "backup", "runs/t7/backup") == 0);
        CHECK(dt_cfg_set(c, "", "names", "data/labels.txt") == 0);
        CHECK(dt_cfg_unset(c, "", "top") == 1);
        CHECK(text_is(c, want));
    }
    dt_cfg_free(c);
    free(want);
}

/* A copy edits apart from its original: a study derives every trial's cfg from one
 * parsed base cfg, which must come out of each trial unchanged. */
static void test_dup(void)
{
    const char *text = "# base\r\n[net]\r\nbatch = 64\r\n\r\n[convolutional]\r\nfilters=8";
    dt_cfg *base = parse(text);
    if (!base) return;
    dt_cfg *a = dt_cfg_dup(base), *b = dt_cfg_dup(base);
    CHECK(text_is(a, text));
    CHECK(dt_cfg_set(a, "net", "batch", "32") == 0);
    CHECK(dt_cfg_set(a, "net", "momentum", "0.9") == 0);   /* added with the file's \r\n */
    CHECK(dt_cfg_set(a, "convolutional", "size", "3") == 0);  /* after a last line without one */
    dt_cfg_prepend_comment(a, " trial 1");
    CHECK(text_is(a, "# trial 1\r\n# base\r\n[net]\r\nbatch = 32\r\nmomentum=0.9\r\n\r\n"
                     "[convolutional]\r\nfilters=8\r\nsize=3"));
    CHECK(text_is(base, text));
    CHECK_STR(dt_cfg_get(base, "net", "batch", NULL), "64");
    CHECK(dt_cfg_get(base, "net", "momentum", NULL) == NULL);
    dt_cfg_free(a);
    /* The other copy still reads as the base did, its index included. */
    CHECK(text_is(b, text));
    int line = 0;
    CHECK_STR(dt_cfg_get(b, "convolutional", "filters", &line), "8");
    CHECK(line == 6);
    /* As Darknet reads it: "\n" alone, the last line still without one. */
    dt_cfg_unix_eol(b);
    CHECK(text_is(b, "# base\n[net]\nbatch = 64\n\n[convolutional]\nfilters=8"));
    CHECK(text_is(base, text));
    dt_cfg_free(b);
    dt_cfg_free(base);
    dt_cfg *empty = parse("");
    if (!empty) return;
    dt_cfg *e = dt_cfg_dup(empty);
    CHECK(dt_cfg_set(e, "", "classes", "10") == 0);
    CHECK(text_is(e, "classes=10\n"));
    CHECK(text_is(empty, ""));
    dt_cfg_free(e);
    dt_cfg_free(empty);
}

/* (3) Section aliases, duplicates, where new keys land, terminators kept. */
static void test_edits(void)
{
    dt_cfg *c = parse("[network]\nbatch=64\nlearning_rate=0.1\n\n# conv\n[convolutional]\nfilters=8\n");
    if (c) {
        int line = 0;
        CHECK_STR(dt_cfg_get(c, "net", "learning_rate", &line), "0.1");
        CHECK(line == 3);
        CHECK(dt_cfg_get(c, "net", "filters", NULL) == NULL);
        CHECK(dt_cfg_get(c, "convolutional", "batch", NULL) == NULL);
        CHECK(dt_cfg_set(c, "net", "momentum", "0.9") == 0);
        CHECK(text_is(c, "[network]\nbatch=64\nlearning_rate=0.1\nmomentum=0.9\n\n# conv\n"
                         "[convolutional]\nfilters=8\n"));
        CHECK(dt_cfg_get(c, "net", "momentum", &line) && line == 4);
        CHECK(dt_cfg_set(c, "yolo", "random", "1") == -1);
        CHECK(dt_cfg_set(c, "net", "bad key", "1") == -1);
        CHECK(dt_cfg_set(c, "net", "decay", "1\n[x]") == -1);
        CHECK(dt_cfg_unset(c, "net", "absent") == 0);
        dt_cfg_free(c);
    }

    c = parse("[net]\nbatch=1\nmomentum=0.9\nbatch=2\n[conv]\nbatch=3\n");
    if (c) {
        CHECK(dt_cfg_set(c, "net", "batch", "4") == 0);
        CHECK(text_is(c, "[net]\nbatch=4\nmomentum=0.9\n[conv]\nbatch=3\n"));
        const char *const *keys, *const *vals;
        const int *lines;
        CHECK(dt_cfg_keys(c, 0, &keys, &vals, &lines) == 2);
        CHECK_STR(vals[0], "4");
        CHECK(lines[1] == 3);
        CHECK(dt_cfg_keys(c, 1, &keys, &vals, &lines) == 1);
        CHECK(lines[0] == 5);
        dt_cfg_free(c);
    }

    /* A header with no keys: the new key goes right under it. */
    c = parse("[net]\n\n# nothing yet\n[avgpool]\n");
    if (c) {
        CHECK(dt_cfg_set(c, "net", "batch", "8") == 0);
        CHECK(text_is(c, "[net]\nbatch=8\n\n# nothing yet\n[avgpool]\n"));
        dt_cfg_free(c);
    }

    /* A last header without a newline: the key goes under it, the file still ends bare. */
    c = parse("# x\n[net]");
    if (c) {
        CHECK(dt_cfg_set(c, "network", "batch", "8") == 0);
        CHECK(text_is(c, "# x\n[net]\nbatch=8"));
        dt_cfg_free(c);
    }

    /* Keys before the first header form section "", which ends at that header. */
    c = parse("top=1\n\n[net]\nbatch=1\n");
    if (c) {
        CHECK(dt_cfg_set(c, "", "names", "a.names") == 0);
        CHECK(text_is(c, "top=1\nnames=a.names\n\n[net]\nbatch=1\n"));
        CHECK(dt_cfg_get(c, "", "batch", NULL) == NULL);
        dt_cfg_free(c);
    }
    c = parse("[net]\nbatch=1\n");
    if (c) {
        CHECK(dt_cfg_nsections(c) == 1);
        CHECK(dt_cfg_set(c, "", "classes", "10") == -1);   /* a cfg with headers has no "" */
        dt_cfg_free(c);
    }

    /* CRLF files stay CRLF, and a missing final newline stays missing. */
    c = parse("[net]\r\nbatch=1\r\nlearning_rate = 0.1");
    if (c) {
        CHECK(dt_cfg_set(c, "net", "learning_rate", "0.2") == 0);
        CHECK(text_is(c, "[net]\r\nbatch=1\r\nlearning_rate = 0.2"));
        CHECK(dt_cfg_set(c, "net", "decay", "0.01") == 0);
        CHECK(text_is(c, "[net]\r\nbatch=1\r\nlearning_rate = 0.2\r\ndecay=0.01"));
        CHECK(dt_cfg_unset(c, "net", "decay") == 1);
        CHECK(text_is(c, "[net]\r\nbatch=1\r\nlearning_rate = 0.2"));
        dt_cfg_prepend_comment(c, " trial 3");
        CHECK(text_is(c, "# trial 3\r\n[net]\r\nbatch=1\r\nlearning_rate = 0.2"));
        dt_cfg_free(c);
    }

    /* The whole rest of the line is the value (Darknet does not strip comments). */
    c = parse("[net]\npolicy=steps # tuned\n");
    if (c) {
        CHECK_STR(dt_cfg_get(c, "net", "policy", NULL), "steps # tuned");
        CHECK(dt_cfg_set(c, "net", "policy", "poly") == 0);
        CHECK(text_is(c, "[net]\npolicy=poly\n"));
        dt_cfg_free(c);
    }
}

/* (4) Fractions of max_batches become iterations. */
static void test_steps(void)
{
    char out[64];
    dt_err err = {0};
    CHECK(dt_cfg_steps_to_iterations("0.8, 0.9", 600, out, sizeof out, &err) == 0);
    CHECK_STR(out, "480,540");
    CHECK(dt_cfg_steps_to_iterations("400,0.9", 600, out, sizeof out, &err) == 0);
    CHECK_STR(out, "400,540");
    CHECK(dt_cfg_steps_to_iterations(" 0.5 ", 3, out, sizeof out, &err) == 0);
    CHECK_STR(out, "2");                                  /* 1.5 rounds half away from zero */
    CHECK(dt_cfg_steps_to_iterations("0,600", 600, out, sizeof out, &err) == 0);
    CHECK_STR(out, "0,600");
    CHECK(dt_cfg_steps_to_iterations("0.8,abc", 600, out, sizeof out, &err) == -1);
    CHECK(strstr(err.msg, "'abc'") != NULL);
    CHECK(dt_cfg_steps_to_iterations("-0.5", 600, out, sizeof out, &err) == -1);
    CHECK(strstr(err.msg, "negative") != NULL);
    CHECK(dt_cfg_steps_to_iterations("601", 600, out, sizeof out, &err) == -1);
    CHECK(strstr(err.msg, "beyond") != NULL);
    CHECK(dt_cfg_steps_to_iterations("1.5", 600, out, sizeof out, &err) == -1);
    CHECK(dt_cfg_steps_to_iterations("0.8,,0.9", 600, out, sizeof out, &err) == -1);
    CHECK(dt_cfg_steps_to_iterations("", 600, out, sizeof out, &err) == -1);
    CHECK(dt_cfg_steps_to_iterations("nan", 600, out, sizeof out, &err) == -1);
    CHECK(dt_cfg_steps_to_iterations("500,0.5", 600, out, sizeof out, &err) == -1);   /* 300 after 500 */
    CHECK(strstr(err.msg, "'0.5' comes after a later step (500); steps must not go down") != NULL);
    CHECK(dt_cfg_steps_to_iterations("300,0.5", 600, out, sizeof out, &err) == 0);    /* equal: kept */
    CHECK(dt_cfg_steps_to_iterations("0.5", 0, out, sizeof out, &err) == -1);
    CHECK(dt_cfg_steps_to_iterations("0.8,0.9", 600, out, 7, &err) == -1);   /* "480,540" needs 8 */
    CHECK(dt_cfg_steps_to_iterations("0.8,0.9", 600, out, 8, &err) == 0);
}

/* (5) What each fork reads, and which keys each policy keeps. */
static void test_tables(void)
{
    CHECK(dt_cfg_policy_known(DT_FORK_PJREDDIE, "steps"));
    CHECK(dt_cfg_policy_known(DT_FORK_PJREDDIE, "sigmoid"));
    CHECK(!dt_cfg_policy_known(DT_FORK_PJREDDIE, "sgdr"));
    CHECK(!dt_cfg_policy_known(DT_FORK_PJREDDIE, "sig"));     /* the enum name, not the word */
    CHECK(dt_cfg_policy_known(DT_FORK_ALEXEYAB, "sgdr"));
    CHECK(dt_cfg_policy_known(DT_FORK_HANKAI, "sgdr"));
    CHECK(!dt_cfg_policy_known(DT_FORK_ALEXEYAB, "Steps"));
    const char *const *names;
    CHECK(dt_cfg_policies(DT_FORK_PJREDDIE, &names) == 7);
    CHECK(dt_cfg_policies(DT_FORK_ALEXEYAB, &names) == 8);

    CHECK(dt_cfg_net_key_known(DT_FORK_PJREDDIE, "learning_rate"));
    CHECK(dt_cfg_net_key_known(DT_FORK_PJREDDIE, "max_batches"));
    CHECK(dt_cfg_net_key_known(DT_FORK_PJREDDIE, "burn_in"));
    CHECK(!dt_cfg_net_key_known(DT_FORK_PJREDDIE, "learning_rat"));
    CHECK(!dt_cfg_net_key_known(DT_FORK_PJREDDIE, "mosaic"));
    CHECK(!dt_cfg_net_key_known(DT_FORK_PJREDDIE, "sgdr_cycle"));
    CHECK(dt_cfg_net_key_known(DT_FORK_ALEXEYAB, "mosaic"));
    CHECK(dt_cfg_net_key_known(DT_FORK_ALEXEYAB, "sgdr_cycle"));
    CHECK(dt_cfg_net_key_known(DT_FORK_HANKAI, "label_smooth_eps"));
    CHECK(!dt_cfg_net_key_known(DT_FORK_ALEXEYAB, "learning_rat"));
    CHECK(!dt_cfg_net_key_known(DT_FORK_HANKAI, "notruth"));
    CHECK(!dt_cfg_net_key_known(7, "batch"));
    const char *const *keys;
    int n = dt_cfg_net_keys(DT_FORK_PJREDDIE, &keys);
    CHECK(n == 36);
    CHECK_STR(dt_nearest("learning_rat", keys, n), "learning_rate");

    /* steps with burn-in: step/scale/gamma/sgdr go, power stays for the burn-in. */
    dt_cfg *c = parse("[net]\npolicy=steps\nsteps=1,2\nscales=.1,.1\nstep=5\nscale=.5\ngamma=.9\n"
                      "sgdr_cycle=10\nsgdr_mult=2\nburn_in=100\npower=4\n");
    if (c) {
        dt_cfg_drop_policy_keys(c, DT_FORK_ALEXEYAB);
        CHECK(text_is(c, "[net]\npolicy=steps\nsteps=1,2\nscales=.1,.1\nburn_in=100\npower=4\n"));
        dt_cfg_free(c);
    }
    /* sigmoid reads gamma and step; no burn-in, no poly: power goes. */
    c = parse("[net]\npolicy=sigmoid\nstep=5\nscale=.5\ngamma=.9\nsteps=1\npower=4\n");
    if (c) {
        dt_cfg_drop_policy_keys(c, DT_FORK_PJREDDIE);
        CHECK(text_is(c, "[net]\npolicy=sigmoid\nstep=5\ngamma=.9\n"));
        dt_cfg_free(c);
    }
    /* sgdr: known to AlexeyAB (keeps sgdr_*), constant to pjreddie (drops them). */
    const char *sgdr = "[net]\npolicy=sgdr\nsgdr_cycle=100\nsgdr_mult=2\ngamma=.9\nlearning_rate_min=1e-5\n";
    c = parse(sgdr);
    if (c) {
        dt_cfg_drop_policy_keys(c, DT_FORK_HANKAI);
        CHECK(text_is(c, "[net]\npolicy=sgdr\nsgdr_cycle=100\nsgdr_mult=2\nlearning_rate_min=1e-5\n"));
        dt_cfg_free(c);
    }
    c = parse(sgdr);
    if (c) {
        dt_cfg_drop_policy_keys(c, DT_FORK_PJREDDIE);
        CHECK(text_is(c, "[net]\npolicy=sgdr\nlearning_rate_min=1e-5\n"));
        dt_cfg_free(c);
    }
    /* No policy key means constant: exp's gamma goes. */
    c = parse("[net]\ngamma=.99\nexposure=1.5\n");
    if (c) {
        dt_cfg_drop_policy_keys(c, DT_FORK_PJREDDIE);
        CHECK(text_is(c, "[net]\nexposure=1.5\n"));
        dt_cfg_free(c);
    }
}

/* Schedule scaling: iterations times f, rounded, a positive one at least 1; step
 * fractions kept; exp's gamma to the power 1/f, sigmoid's divided by f; keys a
 * policy does not read untouched. */
static void test_schedule_scale(void)
{
    char out[128];
    CHECK(dt_cfg_schedule_scale("burn_in", "1000", "steps", 1.0 / 30, out, sizeof out) == 1);
    CHECK_STR(out, "33");
    CHECK(dt_cfg_schedule_scale("steps", "-1, 100,80000", "steps", 0.001, out, sizeof out) == 1);
    CHECK_STR(out, "-1,1,80");
    CHECK(dt_cfg_schedule_scale("steps", "0.8, 0.9", "steps", 0.5, out, sizeof out) == 1);
    CHECK_STR(out, "0.8,0.9");
    CHECK(dt_cfg_schedule_scale("burn_in", "0", NULL, 0.5, out, sizeof out) == 1);
    CHECK_STR(out, "0");
    CHECK(dt_cfg_schedule_scale("step", "1000", "step", 0.25, out, sizeof out) == 1);
    CHECK_STR(out, "250");
    CHECK(dt_cfg_schedule_scale("gamma", "0.99", "exp", 0.5, out, sizeof out) == 1);
    CHECK_STR(out, "0.9801");
    CHECK(dt_cfg_schedule_scale("gamma", "0.1", "sigmoid", 0.5, out, sizeof out) == 1);
    CHECK_STR(out, "0.2");
    CHECK(dt_cfg_schedule_scale("sgdr_cycle", "1000", "sgdr", 0.1, out, sizeof out) == 1);
    CHECK_STR(out, "100");
    snprintf(out, sizeof out, "untouched");
    CHECK(dt_cfg_schedule_scale("steps", "240,270", "poly", 0.5, out, sizeof out) == 0);
    CHECK(dt_cfg_schedule_scale("gamma", "0.99", "steps", 0.5, out, sizeof out) == 0);
    CHECK(dt_cfg_schedule_scale("learning_rate", "0.01", "steps", 0.5, out, sizeof out) == 0);
    CHECK_STR(out, "untouched");
    CHECK(dt_cfg_schedule_scale("steps", "240,x", "steps", 0.5, out, sizeof out) == -1);
    CHECK(dt_cfg_schedule_scale("burn_in", "100", "steps", 0, out, sizeof out) == -1);

    /* A whole [net]: what the skip list names stays, the rest scales, notes say what. */
    const char text[] = "[net]\npolicy=sigmoid\nstep=400\ngamma=0.05\nburn_in=100\nsteps=10,20\n";
    dt_cfg *c;
    dt_err err;
    CHECK(dt_cfg_parse(&c, text, sizeof text - 1, "t.cfg", &err) == 0);
    const char *skip[] = {"burn_in", NULL};
    dt_buf note = {0};
    CHECK(dt_cfg_scale_schedule(c, 0.5, skip, &note) == 2);
    CHECK_STR(note.p, "step 400 -> 200, gamma 0.05 -> 0.1");
    CHECK_STR(dt_cfg_get(c, "net", "burn_in", NULL), "100");
    CHECK_STR(dt_cfg_get(c, "net", "steps", NULL), "10,20");   /* sigmoid does not read steps */
    CHECK(dt_cfg_scale_schedule(c, 1, NULL, NULL) == 0);
    dt_buf_free(&note);
    dt_cfg_free(c);
}

/* The cfg's text with every occurrence of from replaced by to; caller frees. */
static char *replaced(const char *text, const char *from, const char *to)
{
    dt_buf b = {0};
    dt_buf_add(&b, "", 0);
    for (const char *p = text, *hit; *p; p = hit + strlen(from)) {
        hit = strstr(p, from);
        if (!hit) {
            dt_buf_add(&b, p, strlen(p));
            break;
        }
        dt_buf_add(&b, p, (size_t)(hit - p));
        dt_buf_add(&b, to, strlen(to));
    }
    return b.p;
}

/* Anchors follow the input size where they are in pixels ([yolo]), and stay where
 * they are in grid cells ([region]); everything else in the file stays as it was. */
static void test_anchors(void)
{
    dt_err err;
    dt_buf note = {0};
    dt_cfg *c = NULL;
    CHECK(dt_cfg_read(&c, DARKNET_CFG_DIR "/yolov3-tiny.cfg", &err) == 0);
    if (!c) return;
    char *before = dt_cfg_text(c, NULL);
    /* 416 -> 624: 1.5 both ways; the separators ("," and ",  ") stay. */
    CHECK(dt_cfg_scale_anchors(c, 416, 416, 624, 624, &note, &err) == 2);
    char *want = replaced(before, "anchors = 10,14,  23,27,  37,58,  81,82,  135,169,  344,319",
                          "anchors = 15,21,  34.5,40.5,  55.5,87,  121.5,123,  202.5,253.5,  516,478.5");
    CHECK(text_is(c, want));
    CHECK_STR(note.p, "anchors of 2 [yolo] layers scaled by 1.5 x 1.5 for 624x624 (base 416x416)");
    free(want);
    dt_cfg_free(c);
    /* Not square: widths by 608/416, heights by 320/416, 2 decimals at most. */
    c = parse("[net]\nwidth=416\nheight=416\n[yolo]\nmask=0\nanchors=10,14, 0.01,0.01\n\n"
              "[Gaussian_yolo]\nanchors = 416,416\n");
    note.len = 0;
    CHECK(dt_cfg_scale_anchors(c, 416, 416, 608, 320, &note, &err) == 2);
    CHECK(text_is(c, "[net]\nwidth=416\nheight=416\n[yolo]\nmask=0\nanchors=14.62,10.77, 0.01,0.01\n\n"
                     "[Gaussian_yolo]\nanchors = 608,320\n"));
    CHECK_STR(note.p, "anchors of 2 [yolo] and [Gaussian_yolo] layers scaled by 1.462 x 0.7692 for 608x320 "
                      "(base 416x416)");
    dt_cfg_free(c);
    free(before);
    /* [region] anchors are in grid cells: yolov2-tiny's stay, said in the note. */
    CHECK(dt_cfg_read(&c, DARKNET_CFG_DIR "/yolov2-tiny.cfg", &err) == 0);
    if (c) {
        before = dt_cfg_text(c, NULL);
        note.len = 0;
        CHECK(dt_cfg_scale_anchors(c, 416, 416, 608, 608, &note, &err) == 0);
        CHECK(text_is(c, before));
        CHECK_STR(note.p, "[region] anchors are in grid cells and stay");
        free(before);
        dt_cfg_free(c);
    }
    /* The same size changes nothing; a bad value fails with its line and changes nothing. */
    c = parse("[net]\n[yolo]\nanchors=10,14\n[yolo]\nanchors=10,20,3\n");
    note.len = 0;
    CHECK(dt_cfg_scale_anchors(c, 64, 64, 64, 64, &note, &err) == 0);
    CHECK_STR(note.p, "anchors of 2 [yolo] layers kept: the input stays 64x64");
    CHECK(text_is(c, "[net]\n[yolo]\nanchors=10,14\n[yolo]\nanchors=10,20,3\n"));
    dt_cfg_free(c);
    c = parse("[net]\n[yolo]\nanchors=10,14\n[yolo]\nanchors=10,x,3\n");
    CHECK(dt_cfg_scale_anchors(c, 64, 64, 128, 128, NULL, &err) == -1);
    CHECK_STR(err.msg, "test.cfg:5: [yolo] anchors: 'x' is not a positive number");
    CHECK(err.line == 5);
    CHECK(text_is(c, "[net]\n[yolo]\nanchors=10,14\n[yolo]\nanchors=10,x,3\n"));
    CHECK(dt_cfg_scale_anchors(c, 0, 64, 128, 128, NULL, &err) == -1);
    CHECK_STR(err.msg, "test.cfg: cannot scale anchors from 0x64 to 128x128");
    dt_cfg_free(c);
    /* A cfg without anchors: nothing to do, nothing said. */
    c = parse("[net]\nwidth=28\n[convolutional]\nfilters=2\n");
    note.len = 0;
    note.p[0] = '\0';
    CHECK(dt_cfg_scale_anchors(c, 28, 28, 56, 56, &note, &err) == 0);
    CHECK_STR(note.p, "");
    dt_cfg_free(c);
    dt_buf_free(&note);
}

int main(void)
{
    test_round_trip();
    test_golden();
    test_dup();
    test_edits();
    test_steps();
    test_tables();
    test_schedule_scale();
    test_anchors();
    return dt_test_done("cfg");
}
