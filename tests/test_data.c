/* Tests of dt_data: labels by Darknet's strstr rule (and the refusals where Darknet
 * would train on an all-zero truth), pixels equal to stb_image's own decoding, the
 * same answer with 1 and 2 threads, and the real Fashion-MNIST valid list; for
 * detection lists, the label file rule (pjreddie's replacements, first occurrence
 * only), "class x y w h" parsing with FILE:LINE refusals, and a small list with an
 * unlabelled image. */
#include <stdlib.h>
#include <string.h>

#include "dt_data.h"
#include "dt_test.h"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#define TMP "tests/tmp/data"

/* Writes a w x h PNG of c channels with a recognizable pattern; returns its path. */
static const char *write_png(const char *name, int w, int h, int c)
{
    static char path[256];
    unsigned char px[64 * 64 * 4];
    for (int i = 0; i < w * h * c; i++) px[i] = (unsigned char)(i * 37 + c * 11);
    snprintf(path, sizeof path, "%s/%s", TMP, name);
    stbi_write_png(path, w, h, c, px, w * c);
    return path;
}

static void write_text(const char *path, const char *text)
{
    dt_write_file(path, text, strlen(text), NULL);
}

static void test_labels(void)
{
    char **labels;
    int n;
    dt_err err;
    write_text(TMP "/labels.txt", "cat\n\n  dog \nbird\n");
    CHECK(dt_labels_read(TMP "/labels.txt", 0, &labels, &n, &err) == 0);
    CHECK(n == 3);
    CHECK_STR(labels[1], "dog");
    int cls;
    CHECK(dt_label_match("/x/12.dog.png", labels, n, &cls) == 1 && cls == 1);
    CHECK(dt_label_match("/x/12.cow.png", labels, n, &cls) == 0 && cls == -1);
    CHECK(dt_label_match("/cat/12.dog.png", labels, n, &cls) == 2 && cls == 0);
    dt_labels_free(labels, n);
    /* classes=2: Darknet compares the first two labels only */
    CHECK(dt_labels_read(TMP "/labels.txt", 2, &labels, &n, &err) == 0 && n == 2);
    dt_labels_free(labels, n);
    CHECK(dt_labels_read(TMP "/labels.txt", 5, &labels, &n, &err) == -1);
    CHECK_STR(err.msg, "'tests/tmp/data/labels.txt' has 3 labels, but the .data file says classes=5");
}

static void test_decode_and_refusals(void)
{
    char *labels[] = {"cat", "dog"};
    dt_err err;
    write_png("0.cat.png", 5, 4, 1);
    write_png("1.dog.png", 3, 3, 3);
    write_png("2.dog.png", 2, 2, 4);
    write_png("3.cat.png", 4, 2, 2);
    /* relative entries are taken against the base folder (here: none, so the current one) */
    dt_dataset *ds[2];
    write_text(TMP "/list.txt", "0.cat.png\n");
    CHECK(dt_dataset_load(&ds[0], TMP "/list.txt", NULL, labels, 2, 1, &err) == -1);
    CHECK_STR(err.msg, "tests/tmp/data/list.txt:1: cannot decode '0.cat.png': can't fopen");
    write_text(TMP "/list.txt", "0.cat.png\n1.dog.png\n\n2.dog.png\n3.cat.png\n");
    for (int t = 0; t < 2; t++) {
        ds[t] = NULL;
        CHECK(dt_dataset_load(&ds[t], TMP "/list.txt", TMP, labels, 2, t + 1, &err) == 0);
        if (!ds[t]) return;
        CHECK(dt_dataset_count(ds[t]) == 4);
        CHECK(dt_dataset_threads(ds[t]) == t + 1);
    }
    static const int want_c[] = {1, 3, 3, 1}, want_cls[] = {0, 1, 1, 0};
    for (int i = 0; i < 4; i++) {
        dt_sample s, s2;
        dt_dataset_get(ds[0], i, &s);
        dt_dataset_get(ds[1], i, &s2);
        CHECK(s.c == want_c[i] && s.cls == want_cls[i]);
        /* stb's own decoding: native channels for grey and RGB; alpha dropped otherwise */
        int w, h, c;
        unsigned char *ref = stbi_load(s.path, &w, &h, &c, s.c);
        CHECK(ref && w == s.w && h == s.h);
        if (ref) CHECK(memcmp(ref, s.px, (size_t)w * h * s.c) == 0);
        CHECK(memcmp(s.px, s2.px, (size_t)s.w * s.h * s.c) == 0);  /* 1 and 2 threads agree */
        stbi_image_free(ref);
    }
    dt_dataset_free(ds[0]);
    dt_dataset_free(ds[1]);

    /* A path of no class, and one of two classes: refused with the path and its line. */
    dt_dataset *bad;
    write_text(TMP "/list.txt", "0.cat.png\n\n1.cow.png\n");
    CHECK(dt_dataset_load(&bad, TMP "/list.txt", TMP, labels, 2, 2, &err) == -1 && bad == NULL);
    CHECK_STR(err.msg, "tests/tmp/data/list.txt:3: '1.cow.png' matches no label (Darknet would train it on an "
                       "all-zero truth)");
    write_text(TMP "/list.txt", "catdog/1.dog.png\n");
    CHECK(dt_dataset_load(&bad, TMP "/list.txt", TMP, labels, 2, 2, &err) == -1);
    CHECK_STR(err.msg, "tests/tmp/data/list.txt:1: 'catdog/1.dog.png' matches 2 labels ('cat', 'dog'): its class "
                       "is ambiguous");
    write_text(TMP "/list.txt", "0.cat.png\n9.cat.png\n");
    CHECK(dt_dataset_load(&bad, TMP "/list.txt", TMP, labels, 2, 2, &err) == -1);
    CHECK(strncmp(err.msg, "tests/tmp/data/list.txt:2: cannot decode 'tests/tmp/data/9.cat.png': ", 69) == 0);
    write_text(TMP "/list.txt", "\n");
    CHECK(dt_dataset_load(&bad, TMP "/list.txt", TMP, labels, 2, 2, &err) == -1);
    CHECK_STR(err.msg, "'tests/tmp/data/list.txt' lists no image");
}

/* The real data: 1,000 grey 28x28 PNGs, classes from their names. */
static void test_fashion(void)
{
    const char *list = "data/fashion/valid-1k.list";
    if (!dt_file_exists(list)) {
        SKIP("the Fashion-MNIST images are missing (%s): make data writes them", list);
        return;
    }
    char **labels;
    int n;
    dt_err err;
    CHECK(dt_labels_read("data/fashion/labels.txt", 10, &labels, &n, &err) == 0);
    dt_dataset *ds = NULL;
    CHECK(dt_dataset_load(&ds, list, NULL, labels, n, 0, &err) == 0);
    if (ds) {
        CHECK(dt_dataset_count(ds) == 1000);
        printf("data: decoded %d images in %.3f s with %d threads\n", dt_dataset_count(ds), dt_dataset_seconds(ds),
               dt_dataset_threads(ds));
        int counts[10] = {0}, same = 1;
        for (int i = 0; i < dt_dataset_count(ds); i++) {
            dt_sample s;
            dt_dataset_get(ds, i, &s);
            counts[s.cls]++;
            CHECK_STR(strstr(s.path, labels[s.cls]) ? labels[s.cls] : "none", labels[s.cls]);
            if (i % 100) continue;
            int w, h, c;
            unsigned char *ref = stbi_load(s.path, &w, &h, &c, 3);
            /* grey kept as one channel; Darknet's 3 channels are that one, three times */
            for (int p = 0; ref && p < w * h; p++)
                same &= ref[3 * p] == s.px[p] && ref[3 * p + 1] == s.px[p] && ref[3 * p + 2] == s.px[p];
            CHECK(ref && s.w == 28 && s.h == 28 && s.c == 1);
            stbi_image_free(ref);
        }
        CHECK(same);
        int all = 1;
        for (int k = 0; k < 10; k++) all &= counts[k] > 50;
        CHECK(all);
    }
    dt_dataset_free(ds);
    dt_labels_free(labels, n);
}

/* The label file of an image path, as fill_truth_detection finds it. */
static void test_label_path(void)
{
    static const char *const cases[][2] = {
        {"data/shapes/images/train/00001.png", "data/shapes/labels/train/00001.txt"},
        {"VOC2007/JPEGImages/000005.jpg", "VOC2007/labels/000005.txt"},
        {"a/b.JPEG", "a/b.txt"},
        {"a/b.JPG", "a/b.txt"},
        /* first occurrence only: the second "images" stays */
        {"images/x/images/1.jpg", "labels/x/images/1.txt"},
        /* "raw" anywhere becomes "labels", as in pjreddie's rule */
        {"drawings/images/1.png", "dlabelsings/labels/1.txt"},
        /* each extension once, in order: ".jpg", then ".png" */
        {"images/a.jpg.png", "labels/a.txt.txt"},
        {"pics/a.bmp", "pics/a.bmp"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = dt_label_path(cases[i][0]);
        CHECK_STR(got, cases[i][1]);
        free(got);
    }
}

/* "class x y w h" lines: values, blank lines, and each refusal with FILE:LINE. */
static void test_boxes_parse(void)
{
    dt_label_box *b;
    int n;
    dt_err err;
    char ok[] = "0 0.5 0.25 0.1 0.2\n\n  2\t1e-1 .9 0 1  \r\n";
    CHECK(dt_boxes_parse(ok, "l.txt", 3, &b, &n, &err) == 0);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(b[0].cls == 0 && b[0].x == 0.5f && b[0].y == 0.25f && b[0].w == 0.1f && b[0].h == 0.2f);
        CHECK(b[1].cls == 2 && b[1].x == 0.1f && b[1].y == 0.9f && b[1].w == 0 && b[1].h == 1);
    }
    free(b);
    char empty[] = "\n  \n";
    CHECK(dt_boxes_parse(empty, "e.txt", 3, &b, &n, &err) == 0 && n == 0 && b == NULL);
    static const char *const bad[][2] = {
        {"0 .5 .5 .1 .1\n1 .5 .5 .1\n", "l.txt:2: 4 fields where a label line has 5 (class x y w h)"},
        {"0 .5 .5 .1 .1 7\n", "l.txt:1: more than 5 fields"},
        {"\n\n1.5 .5 .5 .1 .1\n", "l.txt:3: class '1.5' is not a whole number"},
        {"3 .5 .5 .1 .1\n", "l.txt:1: class 3 is outside 0..2 (the .data file says classes=3)"},
        {"-1 .5 .5 .1 .1\n", "l.txt:1: class -1 is outside 0..2"},
        {"0 .5 abc .1 .1\n", "l.txt:1: y 'abc' is not a finite number"},
        {"0 nan .5 .1 .1\n", "l.txt:1: x 'nan' is not a finite number"},
        {"0 .5 .5 -.1 .1\n", "l.txt:1: w = -.1 is negative"},
        {"0 .5 .5 .1 .1,\n", "l.txt:1: h '.1,' is not a finite number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *text = dt_xstrdup(bad[i][0]);
        err.msg[0] = '\0';
        int rc = dt_boxes_parse(text, "l.txt", 3, &b, &n, &err);
        CHECK(rc == -1 && b == NULL && n == 0);
        if (!strstr(err.msg, bad[i][1])) {
            dt_test_fail++;
            fprintf(stderr, "bad label %zu: expected \"%s\", got \"%s\"\n", i, bad[i][1], err.msg);
        } else dt_test_pass++;
        free(text);
    }
}

/* A detection list: boxes from the label files, an image without one counted as
 * background, a malformed label file refused with its own FILE:LINE. */
static void test_detection_list(void)
{
    dt_mkdirs(TMP "/det/images", NULL);
    dt_mkdirs(TMP "/det/labels", NULL);
    write_png("det/images/a.png", 8, 6, 3);
    write_png("det/images/b.png", 8, 6, 3);
    write_text(TMP "/det/labels/a.txt", "1 0.5 0.5 0.25 0.5\n0 0.1 0.2 0.1 0.1\n");
    remove(TMP "/det/labels/b.txt");
    write_text(TMP "/det/list.txt", "det/images/a.png\ndet/images/b.png\n");
    dt_dataset *ds;
    dt_err err;
    CHECK(dt_dataset_load_detection(&ds, TMP "/det/list.txt", TMP, 2, 1, &err) == 0);
    if (ds) {
        CHECK(dt_dataset_count(ds) == 2 && dt_dataset_unlabelled(ds) == 1 && dt_dataset_boxes(ds) == 2);
        dt_sample s;
        dt_dataset_get(ds, 0, &s);
        CHECK(s.w == 8 && s.h == 6 && s.c == 3 && s.cls == -1 && s.nboxes == 2);
        CHECK(s.nboxes == 2 && s.boxes[0].cls == 1 && s.boxes[0].h == 0.5f && s.boxes[1].x == 0.1f);
        dt_dataset_get(ds, 1, &s);
        CHECK(s.nboxes == 0 && s.boxes == NULL);
    }
    dt_dataset_free(ds);
    /* class 2 with classes = 2: refused with the label file's path and line */
    write_text(TMP "/det/labels/b.txt", "0 .5 .5 .1 .1\n2 .5 .5 .1 .1\n");
    CHECK(dt_dataset_load_detection(&ds, TMP "/det/list.txt", TMP, 2, 1, &err) == -1 && ds == NULL);
    CHECK(strstr(err.msg, TMP "/det/labels/b.txt:2: class 2 is outside 0..1") != NULL);
    /* a path with no label name by the rule */
    write_text(TMP "/det/list2.txt", "det/pics/a.bmp\n");
    CHECK(dt_dataset_load_detection(&ds, TMP "/det/list2.txt", TMP, 2, 1, &err) == -1);
    CHECK(strstr(err.msg, "list2.txt:1: 'det/pics/a.bmp' has no label file name") != NULL);
}

int main(void)
{
    dt_mkdirs(TMP, NULL);
    test_labels();
    test_decode_and_refusals();
    test_fashion();
    test_label_path();
    test_boxes_parse();
    test_detection_list();
    return dt_test_done("data");
}
