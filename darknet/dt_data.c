/* dt_data: Darknet classifier and detection lists decoded once with stb_image (see dt_data.h). */
#include "dt_data.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Our own static copy of stb_image: libdarknet exports its own stbi_* symbols, and
 * two global definitions of one name would bind Darknet's calls to ours. */
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
/* stb declares functions it never defines when static; GCC reports that at the
 * end of the file, so this one stays off for the whole file. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

#define DT_DATA_MAX_THREADS 16

struct dt_dataset {
    int n;
    char **paths;       /* resolved paths, n of them */
    int *cls;           /* class of each (-1: a detection list) */
    dt_label_box **boxes; /* detection lists: boxes of each (NULL when none), else NULL */
    int *nboxes;
    int unlabelled;     /* detection lists: images without a label file */
    long total_boxes;
    uint8_t **px;       /* stb's buffers, one an image */
    int *w, *h, *c;
    double seconds;
    int threads;
};

/* Splits text into its lines in place: trims each, skips blank ones. Returns the
 * number of lines; (*lines)[i] point into text, (*nums)[i] are 1-based line numbers.
 * Caller frees both arrays (not the strings). */
static int dt_data__lines(char *text, char ***lines, int **nums)
{
    int cap = 1024, n = 0, no = 0;
    *lines = dt_xmalloc(sizeof **lines * (size_t)cap);
    *nums = dt_xmalloc(sizeof **nums * (size_t)cap);
    char *s = text;
    while (*s) {
        char *nl = strchr(s, '\n');
        if (nl) *nl = '\0';
        no++;
        char *t = dt_trim(s);
        if (*t) {
            if (n == cap) {
                cap *= 2;
                *lines = dt_xrealloc(*lines, sizeof **lines * (size_t)cap);
                *nums = dt_xrealloc(*nums, sizeof **nums * (size_t)cap);
            }
            (*lines)[n] = t;
            (*nums)[n++] = no;
        }
        if (!nl) break;
        s = nl + 1;
    }
    return n;
}

/* Reads an image list into its non-blank lines (see dt_data__lines); a list with no
 * image is refused. Returns the count, or -1 with nothing left to free. */
static int dt_data__read_list(const char *list, char **text, char ***lines, int **nums, dt_err *err)
{
    size_t len;
    if (dt_read_file(list, text, &len, err) != 0) return -1;
    int n = dt_data__lines(*text, lines, nums);
    if (n == 0) {
        free(*lines), free(*nums), free(*text);
        return dt_errf(err, "'%s' lists no image", list);
    }
    return n;
}

/* Reads the labels file (see dt_data.h): trimmed, non-blank lines, the first `classes`. */
int dt_labels_read(const char *path, int classes, char ***labels, int *n, dt_err *err)
{
    char *text, **lines;
    int *nums;
    size_t len;
    *labels = NULL;
    *n = 0;
    if (dt_read_file(path, &text, &len, err) != 0) return -1;
    int m = dt_data__lines(text, &lines, &nums);
    if (m == 0 || (classes > 0 && m < classes)) {
        dt_errf(err, "'%s' has %d label%s, but the .data file says classes=%d", path, m, m == 1 ? "" : "s",
                classes);
        free(lines), free(nums), free(text);
        return -1;
    }
    if (classes > 0) m = classes;
    *labels = dt_xcalloc((size_t)m, sizeof **labels);
    for (int i = 0; i < m; i++) (*labels)[i] = dt_xstrdup(lines[i]);
    *n = m;
    free(lines), free(nums), free(text);
    return 0;
}

/* Reads lines until one is not blank (see dt_data.h). */
int dt_list_has_entry(const char *path, dt_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return dt_errf(err, "cannot open '%s': %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int found = 0;
    while (!found && getline(&line, &cap, f) >= 0) found = *dt_trim(line) != '\0';
    int bad = ferror(f);
    free(line);
    fclose(f);
    if (bad) return dt_errf(err, "cannot read '%s'", path);
    return found;
}

/* Frees what dt_labels_read made (NULL is fine). */
void dt_labels_free(char **labels, int n)
{
    if (!labels) return;
    for (int i = 0; i < n; i++) free(labels[i]);
    free(labels);
}

/* Darknet's rule (fill_truth): every label whose text occurs in the path counts. */
int dt_label_match(const char *path, char *const *labels, int n, int *cls)
{
    int count = 0;
    *cls = -1;
    for (int i = 0; i < n; i++) {
        if (!strstr(path, labels[i])) continue;
        if (count++ == 0) *cls = i;
    }
    return count;
}

/* What one decoding thread does and what it found. */
typedef struct dt_data__job {
    dt_dataset *ds;
    int first, step;    /* images first, first + step, ... */
    int bad;            /* the lowest index that failed, -1 none */
    char why[160];
} dt_data__job;

/* Decodes one image into ds; returns 0, or -1 with the reason in why. Grey+alpha
 * and RGBA drop their alpha in place (Darknet decodes 3 channels, alpha ignored). */
static int dt_data__decode(dt_dataset *ds, int i, char *why, size_t n)
{
    int w, h, c;
    uint8_t *px = stbi_load(ds->paths[i], &w, &h, &c, 0);
    if (!px) {
        snprintf(why, n, "%s", stbi_failure_reason() ? stbi_failure_reason() : "unknown error");
        return -1;
    }
    if (c == 2 || c == 4) {
        int keep = c - 1;
        for (size_t p = 0; p < (size_t)w * h; p++)
            memmove(px + p * keep, px + p * c, (size_t)keep);
        c = keep;
    }
    ds->px[i] = px;
    ds->w[i] = w;
    ds->h[i] = h;
    ds->c[i] = c;
    return 0;
}

/* A decoding thread: its share of the images, stopping at the first failure. */
static void *dt_data__worker(void *arg)
{
    dt_data__job *job = arg;
    for (int i = job->first; i < job->ds->n; i += job->step)
        if (dt_data__decode(job->ds, i, job->why, sizeof job->why) != 0) {
            job->bad = i;
            break;
        }
    return NULL;
}

/* Decodes every image of ds (paths set) on `threads` threads, each taking every
 * threads-th image; nums are the list's line numbers, for the message. */
static int dt_data__decode_all(dt_dataset *ds, const char *list, const int *nums, int threads, dt_err *err)
{
    int n = ds->n;
    if (threads <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (int)cpus : 1;
    }
    if (threads > DT_DATA_MAX_THREADS) threads = DT_DATA_MAX_THREADS;
    if (threads > n) threads = n;
    dt_data__job jobs[DT_DATA_MAX_THREADS];
    pthread_t tids[DT_DATA_MAX_THREADS];
    int started[DT_DATA_MAX_THREADS] = {0};
    for (int t = 0; t < threads; t++)
        jobs[t] = (dt_data__job){.ds = ds, .first = t, .step = threads, .bad = -1};
    /* Job 0 runs on this thread; a job whose thread cannot start runs here too. */
    for (int t = 1; t < threads; t++)
        started[t] = pthread_create(&tids[t], NULL, dt_data__worker, &jobs[t]) == 0;
    for (int t = 0; t < threads; t++)
        if (!started[t]) dt_data__worker(&jobs[t]);
    for (int t = 1; t < threads; t++)
        if (started[t]) pthread_join(tids[t], NULL);
    int bad = -1;
    const char *why = "";
    for (int t = 0; t < threads; t++)
        if (jobs[t].bad >= 0 && (bad < 0 || jobs[t].bad < bad)) bad = jobs[t].bad, why = jobs[t].why;
    ds->threads = threads;
    if (bad >= 0) return dt_errf(err, "%s:%d: cannot decode '%s': %s", list, nums[bad], ds->paths[bad], why);
    return 0;
}

/* A dataset of n images with its arrays allocated (detection: the box arrays too). */
static dt_dataset *dt_data__new(int n, int detection)
{
    dt_dataset *ds = dt_xcalloc(1, sizeof *ds);
    ds->n = n;
    ds->paths = dt_xcalloc((size_t)n, sizeof *ds->paths);
    ds->cls = dt_xcalloc((size_t)n, sizeof *ds->cls);
    ds->px = dt_xcalloc((size_t)n, sizeof *ds->px);
    ds->w = dt_xcalloc((size_t)n, sizeof *ds->w);
    ds->h = dt_xcalloc((size_t)n, sizeof *ds->h);
    ds->c = dt_xcalloc((size_t)n, sizeof *ds->c);
    if (detection) {
        ds->boxes = dt_xcalloc((size_t)n, sizeof *ds->boxes);
        ds->nboxes = dt_xcalloc((size_t)n, sizeof *ds->nboxes);
    }
    return ds;
}

/* Both loaders' end: the images decoded when all went well so far, the list's text
 * and lines freed, and the dataset handed over (or freed on an error). */
static int dt_data__finish(dt_dataset *ds, int rc, const char *list, char *text, char **lines, int *nums,
                           int threads, double t0, dt_dataset **out, dt_err *err)
{
    if (rc == 0) rc = dt_data__decode_all(ds, list, nums, threads, err);
    free(lines), free(nums), free(text);
    if (rc != 0) {
        dt_dataset_free(ds);
        return -1;
    }
    ds->seconds = dt_now() - t0;
    *out = ds;
    return 0;
}

/* Reads the list, gives every path its class (refusing none or two), then decodes
 * the images. */
int dt_dataset_load(dt_dataset **out, const char *list, const char *base_dir, char *const *labels, int nlabels,
                    int threads, dt_err *err)
{
    *out = NULL;
    char *text, **lines;
    int *nums;
    int n = dt_data__read_list(list, &text, &lines, &nums, err);
    if (n < 0) return -1;
    double t0 = dt_now();
    dt_dataset *ds = dt_data__new(n, 0);
    int rc = 0;
    /* Classes first: a list with a bad path is refused before seconds of decoding. */
    for (int i = 0; i < n && rc == 0; i++) {
        ds->paths[i] = base_dir && lines[i][0] != '/' ? dt_path_join(base_dir, lines[i]) : dt_xstrdup(lines[i]);
        int matches = dt_label_match(lines[i], labels, nlabels, &ds->cls[i]);
        if (matches == 0)
            rc = dt_errf(err, "%s:%d: '%s' matches no label (Darknet would train it on an all-zero truth)", list,
                         nums[i], lines[i]);
        else if (matches > 1) {
            int second = -1;
            for (int k = ds->cls[i] + 1; k < nlabels && second < 0; k++)
                if (strstr(lines[i], labels[k])) second = k;
            rc = dt_errf(err, "%s:%d: '%s' matches %d labels ('%s', '%s'%s): its class is ambiguous", list, nums[i],
                         lines[i], matches, labels[ds->cls[i]], labels[second], matches > 2 ? ", ..." : "");
        }
    }
    return dt_data__finish(ds, rc, list, text, lines, nums, threads, t0, out, err);
}

/* Replaces the first occurrence of find in s (a malloc'd string) by rep, as
 * Darknet's find_replace does; returns the (possibly new) string. */
static char *dt_data__replace_first(char *s, const char *find, const char *rep)
{
    char *p = strstr(s, find);
    if (!p) return s;
    char *r = dt_xasprintf("%.*s%s%s", (int)(p - s), s, rep, p + strlen(find));
    free(s);
    return r;
}

/* Darknet's label path rule (see dt_data.h): each replacement on the previous result. */
char *dt_label_path(const char *image_path)
{
    static const char *const rules[][2] = {
        {"images", "labels"}, {"JPEGImages", "labels"}, {"raw", "labels"},
        {".jpg", ".txt"}, {".png", ".txt"}, {".JPG", ".txt"}, {".JPEG", ".txt"},
    };
    char *s = dt_xstrdup(image_path);
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) s = dt_data__replace_first(s, rules[i][0], rules[i][1]);
    return s;
}

/* Parses label-file text (see dt_data.h): fields split on blanks, each checked. */
int dt_boxes_parse(char *text, const char *file, int classes, dt_label_box **boxes, int *n, dt_err *err)
{
    char **lines;
    int *nums;
    *boxes = NULL;
    *n = 0;
    int m = dt_data__lines(text, &lines, &nums), rc = 0;
    dt_label_box *b = m ? dt_xcalloc((size_t)m, sizeof *b) : NULL;
    for (int i = 0; i < m && rc == 0; i++) {
        char *save = NULL, *f[6];
        int k = 0;
        for (char *t = strtok_r(lines[i], " \t\r", &save); t && k < 6; t = strtok_r(NULL, " \t\r", &save)) f[k++] = t;
        long cls;
        double v[4];
        if (k != 5) {
            rc = dt_errf(err, "%s:%d: %s fields where a label line has 5 (class x y w h)", file, nums[i],
                         k > 5 ? "more than 5" : k == 1 ? "1" : k == 2 ? "2" : k == 3 ? "3" : "4");
            break;
        }
        if (dt_parse_long(f[0], &cls) != 0) {
            rc = dt_errf(err, "%s:%d: class '%s' is not a whole number", file, nums[i], f[0]);
            break;
        }
        if (cls < 0 || cls >= classes) {
            rc = dt_errf(err, "%s:%d: class %ld is outside 0..%d (the .data file says classes=%d)", file, nums[i],
                         cls, classes - 1, classes);
            break;
        }
        static const char *const names[] = {"x", "y", "w", "h"};
        for (int j = 0; j < 4 && rc == 0; j++)
            if (dt_parse_double(f[j + 1], &v[j]) != 0 || !isfinite(v[j]))
                rc = dt_errf(err, "%s:%d: %s '%s' is not a finite number", file, nums[i], names[j], f[j + 1]);
            else if (j >= 2 && v[j] < 0)
                rc = dt_errf(err, "%s:%d: %s = %s is negative", file, nums[i], names[j], f[j + 1]);
        if (rc != 0) break;
        b[i] = (dt_label_box){(int)cls, (float)v[0], (float)v[1], (float)v[2], (float)v[3]};
    }
    free(lines), free(nums);
    if (rc != 0 || m == 0) {
        free(b);
        return rc;
    }
    *boxes = b;
    *n = m;
    return 0;
}

/* Reads the list, then every image's label file (refusing a malformed one before
 * any decoding), then decodes the images. */
int dt_dataset_load_detection(dt_dataset **out, const char *list, const char *base_dir, int classes, int threads,
                              dt_err *err)
{
    *out = NULL;
    char *text, **lines;
    int *nums;
    if (classes < 1) return dt_errf(err, "classes = %d: a detection list needs classes >= 1", classes);
    int n = dt_data__read_list(list, &text, &lines, &nums, err);
    if (n < 0) return -1;
    double t0 = dt_now();
    dt_dataset *ds = dt_data__new(n, 1);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        ds->paths[i] = base_dir && lines[i][0] != '/' ? dt_path_join(base_dir, lines[i]) : dt_xstrdup(lines[i]);
        ds->cls[i] = -1;
        char *rel = dt_label_path(lines[i]);
        char *lpath = base_dir && rel[0] != '/' ? dt_path_join(base_dir, rel) : dt_xstrdup(rel);
        free(rel);
        if (strcmp(lpath, ds->paths[i]) == 0)
            rc = dt_errf(err, "%s:%d: '%s' has no label file name by Darknet's rule (its path has no 'images' "
                         "and does not end in .jpg, .png, .JPG or .JPEG)", list, nums[i], lines[i]);
        else if (!dt_file_exists(lpath)) {
            ds->unlabelled++;
        } else {
            char *ltext;
            size_t llen;
            rc = dt_read_file(lpath, &ltext, &llen, err);
            if (rc == 0) {
                rc = dt_boxes_parse(ltext, lpath, classes, &ds->boxes[i], &ds->nboxes[i], err);
                ds->total_boxes += ds->nboxes[i];
                free(ltext);
            }
        }
        free(lpath);
    }
    return dt_data__finish(ds, rc, list, text, lines, nums, threads, t0, out, err);
}

/* The number of images. */
int dt_dataset_count(const dt_dataset *ds)
{
    return ds->n;
}

/* Image i, pointing into the dataset. */
void dt_dataset_get(const dt_dataset *ds, int i, dt_sample *s)
{
    s->px = ds->px[i];
    s->w = ds->w[i];
    s->h = ds->h[i];
    s->c = ds->c[i];
    s->cls = ds->cls[i];
    s->boxes = ds->boxes ? ds->boxes[i] : NULL;
    s->nboxes = ds->nboxes ? ds->nboxes[i] : 0;
    s->path = ds->paths[i];
}

/* Images of a detection list without a label file. */
int dt_dataset_unlabelled(const dt_dataset *ds)
{
    return ds->unlabelled;
}

/* Boxes of a detection list, all images together. */
long dt_dataset_boxes(const dt_dataset *ds)
{
    return ds->total_boxes;
}

/* Wall seconds of dt_dataset_load. */
double dt_dataset_seconds(const dt_dataset *ds)
{
    return ds->seconds;
}

/* Threads dt_dataset_load used. */
int dt_dataset_threads(const dt_dataset *ds)
{
    return ds->threads;
}

/* Frees the pixels, the paths and the dataset (NULL is fine). */
void dt_dataset_free(dt_dataset *ds)
{
    if (!ds) return;
    for (int i = 0; i < ds->n; i++) {
        free(ds->paths ? ds->paths[i] : NULL);
        if (ds->px && ds->px[i]) stbi_image_free(ds->px[i]);
        if (ds->boxes) free(ds->boxes[i]);
    }
    free(ds->boxes), free(ds->nboxes);
    free(ds->paths), free(ds->cls), free(ds->px), free(ds->w), free(ds->h), free(ds->c);
    free(ds);
}
