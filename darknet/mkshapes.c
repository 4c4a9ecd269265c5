/* mkshapes: a small detection data set that darktune makes itself, once.
 *
 *   mkshapes OUT_DIR [N_TRAIN N_VALID SEED]      (defaults 4000 500 1)
 *
 * Each image is 64x64 RGB: 1 to 4 filled shapes (square, circle, triangle), each of a
 * random colour that stands out from the background, 8 to 30 pixels across, placed at
 * random with limited overlap, on a textured background (noise, a gradient, or stripes).
 * OUT_DIR receives
 *   images/train/NNNNN.png   N_TRAIN images     images/valid/NNNNN.png   N_VALID images
 *   labels/train/NNNNN.txt   one "class x y w h" line per shape (centre and size as
 *   labels/valid/NNNNN.txt   fractions of the image: Darknet's YOLO label format)
 *   shapes.names             the class names, in class order
 *   train.list, valid.list   absolute paths of every image
 *   .complete                written last: the absolute OUT_DIR and the arguments
 *
 * Darknet's detector finds an image's labels by rewriting its path: the first
 * "images" becomes "labels", then the first "JPEGImages" and "raw" become "labels",
 * and the first ".jpg", ".png", ".JPG", ".JPEG" becomes ".txt" (pjreddie's
 * fill_truth_detection). Each rewrite touches the first match in the whole path, so
 * a folder named e.g. "/data/raw" would send Darknet elsewhere: mkshapes applies the
 * same rule to every path it writes and refuses an OUT_DIR where it misses.
 *
 * Same (N_TRAIN, N_VALID, SEED), same bytes: image i of a split draws from its own
 * dt_rng stream, and stb's PNG writer is deterministic.
 *
 * When .complete names OUT_DIR and the same arguments, nothing is done. When it names
 * another folder with the same arguments (the data was moved), only the lists and the
 * marker are rewritten. Otherwise everything is made again (files of a larger earlier
 * set stay on disk, unlisted).
 * This is a command: it prints and exits. It does not draw rotated shapes: their boxes
 * would no longer be tight. */
#include "dt_rng.h"
#include "dt_util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>

#define MKS_SIDE 64          /* pixels; the cfg's input size, so Darknet does not resample */
#define MKS_MIN_SIZE 8       /* pixels; a shape's box side; 8 is still clearly a shape at 64x64 */
#define MKS_MAX_SIZE 30
#define MKS_MAX_OBJECTS 4
#define MKS_MAX_COVER 0.15   /* at most this fraction of a box may lie under another box */
#define MKS_PLACE_TRIES 50   /* placement attempts per shape before the image keeps fewer */
#define MKS_SUPERSAMPLE 4    /* 4x4 samples per pixel: anti-aliased edges, as a camera sees them */
#define MKS_MIN_CONTRAST 90.0 /* RGB distance (0..441) between a shape and every background colour */
#define MKS_CLASSES 3

static const char *const MKS_NAMES[MKS_CLASSES] = {"square", "circle", "triangle"};

/* Streams: split s, image i draws from stream (s << 32) + i, so that images are
 * independent of each other and of N_TRAIN / N_VALID. */
enum { MKS_TRAIN = 1, MKS_VALID = 2 };

typedef struct mks_split {
    const char *name;        /* "train" or "valid": the folder under images/ and labels/ */
    int id;                  /* MKS_TRAIN or MKS_VALID: the high half of the rng stream */
    long n;
} mks_split;

/* One shape: class, and its box in pixels (x0, y0 top left, side s: every shape here
 * fills a square box, the triangle with its apex at the top middle). */
typedef struct mks_shape {
    int cls;
    double x0, y0, s;
} mks_shape;

typedef struct mks_rgb {
    double c[3];             /* 0..255 */
} mks_rgb;

static double mks_clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static mks_rgb mks_random_colour(dt_rng *r)
{
    mks_rgb c;
    for (int k = 0; k < 3; k++) c.c[k] = 255.0 * dt_rng_uniform(r);
    return c;
}

static double mks_distance(mks_rgb a, mks_rgb b)
{
    double d = 0;
    for (int k = 0; k < 3; k++) d += (a.c[k] - b.c[k]) * (a.c[k] - b.c[k]);
    return sqrt(d);
}

/* Fills px (MKS_SIDE^2 * 3 doubles, row-major RGB, 0..255 before clamping) with one
 * of three textures; bg[0], bg[1] receive the two colours it mixes (equal for noise), so that
 * shapes can be coloured apart from both. */
static void mks_background(dt_rng *r, double *px, mks_rgb bg[2])
{
    int kind = (int)dt_rng_below(r, 3);
    bg[0] = mks_random_colour(r);
    bg[1] = kind == 0 ? bg[0] : mks_random_colour(r);
    double angle = 2.0 * M_PI * dt_rng_uniform(r);
    double ca = cos(angle), sa = sin(angle);
    double period = 4.0 + 10.0 * dt_rng_uniform(r);      /* stripes: pixels per light+dark pair */
    double noise = 6.0 + 20.0 * dt_rng_uniform(r);       /* grain, 0..255 units, on every kind */
    for (int y = 0; y < MKS_SIDE; y++) {
        for (int x = 0; x < MKS_SIDE; x++) {
            /* t in [0, 1]: how much of bg[1] this pixel takes */
            double u = ((x - MKS_SIDE / 2.0) * ca + (y - MKS_SIDE / 2.0) * sa);
            double t = 0;
            if (kind == 1) t = mks_clamp(0.5 + u / (MKS_SIDE * 1.42), 0, 1);
            if (kind == 2) t = 0.5 + 0.5 * sin(2.0 * M_PI * u / period);
            for (int k = 0; k < 3; k++) {
                double v = (1 - t) * bg[0].c[k] + t * bg[1].c[k] + noise * dt_rng_normal(r);
                px[(y * MKS_SIDE + x) * 3 + k] = v;
            }
        }
    }
}

/* 1 when the point (x, y), in pixels, lies inside the shape. */
static int mks_inside(const mks_shape *sh, double x, double y)
{
    double cx = sh->x0 + sh->s / 2, cy = sh->y0 + sh->s / 2;
    switch (sh->cls) {
    case 0:
        return x >= sh->x0 && x <= sh->x0 + sh->s && y >= sh->y0 && y <= sh->y0 + sh->s;
    case 1:
        return (x - cx) * (x - cx) + (y - cy) * (y - cy) <= sh->s * sh->s / 4;
    default: {
        /* apex (cx, y0), base from (x0, y0+s) to (x0+s, y0+s): inside when between the
         * apex and base rows and between the two slanted edges */
        if (y < sh->y0 || y > sh->y0 + sh->s) return 0;
        double half = (y - sh->y0) / 2;   /* half width at depth y - y0 (width = s at the base) */
        return x >= cx - half && x <= cx + half;
    }
    }
}

/* Paints the shape with colour c, blending edge pixels by the fraction of their
 * MKS_SUPERSAMPLE^2 samples that fall inside; a little grain keeps it from being flat. */
static void mks_paint(dt_rng *r, double *px, const mks_shape *sh, mks_rgb c)
{
    int xa = (int)floor(sh->x0), xb = (int)ceil(sh->x0 + sh->s);
    int ya = (int)floor(sh->y0), yb = (int)ceil(sh->y0 + sh->s);
    const int ss = MKS_SUPERSAMPLE;
    double grain = 4.0 * dt_rng_uniform(r);
    for (int y = ya; y < yb && y < MKS_SIDE; y++) {
        for (int x = xa; x < xb && x < MKS_SIDE; x++) {
            int hits = 0;
            for (int j = 0; j < ss; j++)
                for (int i = 0; i < ss; i++) hits += mks_inside(sh, x + (i + 0.5) / ss, y + (j + 0.5) / ss);
            if (hits == 0) continue;
            double a = (double)hits / (ss * ss);
            for (int k = 0; k < 3; k++) {
                double *p = &px[(y * MKS_SIDE + x) * 3 + k];
                *p = (1 - a) * *p + a * (c.c[k] + grain * dt_rng_normal(r));
            }
        }
    }
}

/* Area of the overlap of two boxes, in square pixels. */
static double mks_overlap(const mks_shape *a, const mks_shape *b)
{
    double w = fmin(a->x0 + a->s, b->x0 + b->s) - fmax(a->x0, b->x0);
    double h = fmin(a->y0 + a->s, b->y0 + b->s) - fmax(a->y0, b->y0);
    return w > 0 && h > 0 ? w * h : 0;
}

/* Draws one image into rgb (MKS_SIDE^2 * 3 bytes) and its shapes into shapes;
 * returns how many (1..MKS_MAX_OBJECTS). */
static int mks_draw(dt_rng *r, unsigned char *rgb, mks_shape shapes[MKS_MAX_OBJECTS])
{
    double px[MKS_SIDE * MKS_SIDE * 3];
    mks_rgb bg[2];
    mks_background(r, px, bg);
    int want = 1 + (int)dt_rng_below(r, MKS_MAX_OBJECTS), n = 0;
    for (int tries = 0; n < want && tries < MKS_PLACE_TRIES * want; tries++) {
        mks_shape sh;
        sh.cls = (int)dt_rng_below(r, MKS_CLASSES);
        sh.s = MKS_MIN_SIZE + (MKS_MAX_SIZE - MKS_MIN_SIZE) * dt_rng_uniform(r);
        sh.x0 = (MKS_SIDE - sh.s) * dt_rng_uniform(r);
        sh.y0 = (MKS_SIDE - sh.s) * dt_rng_uniform(r);
        int ok = 1;
        for (int k = 0; k < n && ok; k++) {
            double o = mks_overlap(&sh, &shapes[k]);
            double smaller = fmin(sh.s, shapes[k].s);
            if (o > MKS_MAX_COVER * smaller * smaller) ok = 0;
        }
        if (!ok) continue;
        mks_rgb c;
        do c = mks_random_colour(r);
        while (mks_distance(c, bg[0]) < MKS_MIN_CONTRAST || mks_distance(c, bg[1]) < MKS_MIN_CONTRAST);
        mks_paint(r, px, &sh, c);
        shapes[n++] = sh;
    }
    for (int i = 0; i < MKS_SIDE * MKS_SIDE * 3; i++) rgb[i] = (unsigned char)lround(mks_clamp(px[i], 0, 255));
    return n;
}

/* OUT_DIR/images/<split>/NNNNN.png; caller frees. */
static char *mks_image_path(const char *out_dir, const mks_split *s, long i)
{
    return dt_xasprintf("%s/images/%s/%05ld.png", out_dir, s->name, i);
}

/* OUT_DIR/labels/<split>/NNNNN.txt; caller frees. */
static char *mks_label_path(const char *out_dir, const mks_split *s, long i)
{
    return dt_xasprintf("%s/labels/%s/%05ld.txt", out_dir, s->name, i);
}

/* Replaces the first `from` in s (in place, s has room for PATH_MAX bytes). */
static void mks_replace_first(char *s, const char *from, const char *to)
{
    char *p = strstr(s, from);
    if (!p) return;
    size_t flen = strlen(from), tlen = strlen(to), rest = strlen(p + flen);
    if ((size_t)(p - s) + tlen + rest + 1 > PATH_MAX) return;
    memmove(p + tlen, p + flen, rest + 1);
    memcpy(p, to, tlen);
}

/* Checks that Darknet's label rule (see the header) takes image i's path to the label
 * file mkshapes writes. */
static int mks_check_label_rule(const char *out_dir, const mks_split *s, dt_err *err)
{
    char *img = mks_image_path(out_dir, s, 0);
    char *lab = mks_label_path(out_dir, s, 0);
    char got[PATH_MAX];
    int rc = 0;
    if (strlen(img) + 16 >= sizeof got) {
        rc = dt_errf(err, "output folder '%s' is too long a path for Darknet", out_dir);
    } else {
        strcpy(got, img);
        static const char *const rule[][2] = {
            {"images", "labels"}, {"JPEGImages", "labels"}, {"raw", "labels"}, {".jpg", ".txt"},
            {".png", ".txt"},     {".JPG", ".txt"},         {".JPEG", ".txt"},
        };
        for (size_t k = 0; k < sizeof rule / sizeof rule[0]; k++) mks_replace_first(got, rule[k][0], rule[k][1]);
        if (strcmp(got, lab) != 0)
            rc = dt_errf(err, "output folder '%s' contains a word Darknet rewrites when it looks for labels "
                              "(images, raw, .png, ...): it would read '%s' instead of '%s'; choose another folder",
                         out_dir, got, lab);
    }
    free(img);
    free(lab);
    return rc;
}

/* Writes image i of s and its label file. */
static int mks_write_one(const char *out_dir, const mks_split *s, uint64_t seed, long i, dt_err *err)
{
    dt_rng r;
    dt_rng_seed(&r, seed, ((uint64_t)s->id << 32) + (uint64_t)i);
    unsigned char rgb[MKS_SIDE * MKS_SIDE * 3];
    mks_shape shapes[MKS_MAX_OBJECTS];
    int n = mks_draw(&r, rgb, shapes);

    char *img = mks_image_path(out_dir, s, i);
    int rc = 0;
    errno = 0;
    if (!stbi_write_png(img, MKS_SIDE, MKS_SIDE, 3, rgb, MKS_SIDE * 3))
        rc = dt_errf(err, "cannot write '%s': %s", img, errno ? strerror(errno) : "stb_image_write failed");
    free(img);
    if (rc != 0) return rc;

    dt_buf b = {0};
    for (int k = 0; k < n; k++) {
        const mks_shape *sh = &shapes[k];
        dt_buf_printf(&b, "%d %.6f %.6f %.6f %.6f\n", sh->cls, (sh->x0 + sh->s / 2) / MKS_SIDE,
                      (sh->y0 + sh->s / 2) / MKS_SIDE, sh->s / MKS_SIDE, sh->s / MKS_SIDE);
    }
    char *lab = mks_label_path(out_dir, s, i);
    rc = dt_write_file(lab, b.p, b.len, err);
    free(lab);
    dt_buf_free(&b);
    return rc;
}

/* Writes every image of s and its label file. */
static int mks_write_split(const char *out_dir, const mks_split *s, uint64_t seed, dt_err *err)
{
    char *idir = dt_xasprintf("%s/images/%s", out_dir, s->name);
    char *ldir = dt_xasprintf("%s/labels/%s", out_dir, s->name);
    int rc = dt_mkdirs(idir, err);
    if (rc == 0) rc = dt_mkdirs(ldir, err);
    free(idir);
    free(ldir);
    for (long i = 0; rc == 0 && i < s->n; i++) rc = mks_write_one(out_dir, s, seed, i, err);
    return rc;
}

/* Writes the image paths of s to OUT_DIR/<s->name>.list. */
static int mks_write_list(const char *out_dir, const mks_split *s, dt_err *err)
{
    dt_buf b = {0};
    for (long i = 0; i < s->n; i++) {
        char *path = mks_image_path(out_dir, s, i);
        dt_buf_printf(&b, "%s\n", path);
        free(path);
    }
    char *list = dt_xasprintf("%s/%s.list", out_dir, s->name);
    int rc = dt_write_file(list, b.p ? b.p : "", b.len, err);
    free(list);
    dt_buf_free(&b);
    return rc;
}

/* shapes.names, both lists, then .complete ("OUT_DIR\nN_TRAIN N_VALID SEED\n"): the
 * marker comes last so that a run cut short leaves no marker and is redone in full. */
static int mks_write_lists(const char *out_dir, const mks_split *train, const mks_split *valid, const char *args,
                           dt_err *err)
{
    dt_buf b = {0};
    for (int c = 0; c < MKS_CLASSES; c++) dt_buf_printf(&b, "%s\n", MKS_NAMES[c]);
    char *names = dt_xasprintf("%s/shapes.names", out_dir);
    int rc = dt_write_file(names, b.p, b.len, err);
    free(names);
    dt_buf_free(&b);
    if (rc == 0) rc = mks_write_list(out_dir, train, err);
    if (rc == 0) rc = mks_write_list(out_dir, valid, err);
    if (rc != 0) return rc;
    char *marker = dt_xasprintf("%s/.complete", out_dir);
    char *text = dt_xasprintf("%s\n%s\n", out_dir, args);
    rc = dt_write_file(marker, text, strlen(text), err);
    free(text);
    free(marker);
    return rc;
}

/* 1 when every image and label file of s is present under out_dir (after a move). */
static int mks_present(const char *out_dir, const mks_split *s)
{
    int ok = 1;
    for (long i = 0; ok && i < s->n; i++) {
        char *img = mks_image_path(out_dir, s, i), *lab = mks_label_path(out_dir, s, i);
        ok = dt_file_exists(img) && dt_file_exists(lab);
        free(img);
        free(lab);
    }
    return ok;
}

/* The marker's two lines (folder, arguments), or -1 when there is no marker. Caller frees both. */
static int mks_read_marker(const char *out_dir, char **dir, char **args)
{
    char *marker = dt_xasprintf("%s/.complete", out_dir);
    char *buf = NULL;
    size_t len = 0;
    int rc = dt_file_exists(marker) ? dt_read_file(marker, &buf, &len, NULL) : -1;
    free(marker);
    if (rc != 0) return -1;
    char *nl = strchr(buf, '\n');
    if (nl) *nl = '\0';
    *args = dt_xstrdup(dt_trim(nl ? nl + 1 : buf + len));
    *dir = dt_xstrdup(dt_trim(buf));
    free(buf);
    return 0;
}

static void mks_die(const dt_err *err)
{
    fprintf(stderr, "mkshapes: %s\n", err->msg);
    exit(1);
}

/* Parses argv[i] as a count within [lo, hi], or exits naming the argument. */
static long mks_arg(const char *s, const char *what, long lo, long hi)
{
    long v;
    if (dt_parse_long(s, &v) != 0 || v < lo || v > hi) {
        fprintf(stderr, "mkshapes: %s '%s' is not a whole number from %ld to %ld\n", what, s, lo, hi);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 5) {
        fprintf(stderr, "usage: mkshapes OUT_DIR [N_TRAIN N_VALID SEED]\n"
                        "  OUT_DIR: where images/, labels/, the lists and shapes.names go (created)\n"
                        "  N_TRAIN, N_VALID: images per split (default 4000, 500); SEED: default 1\n");
        return 2;
    }
    mks_split train = {.name = "train", .id = MKS_TRAIN, .n = 4000};
    mks_split valid = {.name = "valid", .id = MKS_VALID, .n = 500};
    long seed = 1;
    if (argc == 5) {
        /* five digits in the file names */
        train.n = mks_arg(argv[2], "N_TRAIN", 1, 99999);
        valid.n = mks_arg(argv[3], "N_VALID", 1, 99999);
        seed = mks_arg(argv[4], "SEED", 0, LONG_MAX);
    }
    char *args = dt_xasprintf("%ld %ld %ld", train.n, valid.n, seed);
    dt_err err = {0};
    double t0 = dt_now();

    if (dt_mkdirs(argv[1], &err) != 0) mks_die(&err);
    char out_dir[PATH_MAX];
    if (!realpath(argv[1], out_dir)) {
        fprintf(stderr, "mkshapes: cannot resolve '%s': %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (mks_check_label_rule(out_dir, &train, &err) != 0 || mks_check_label_rule(out_dir, &valid, &err) != 0)
        mks_die(&err);

    char *done_dir = NULL, *done_args = NULL;
    if (mks_read_marker(out_dir, &done_dir, &done_args) == 0 && strcmp(done_args, args) == 0) {
        if (strcmp(done_dir, out_dir) == 0) {
            printf("✓ shapes data ready in %s\n", out_dir);
            free(done_dir);
            free(done_args);
            free(args);
            return 0;
        }
        if (mks_present(out_dir, &train) && mks_present(out_dir, &valid)) {
            fprintf(stderr, "mkshapes: data moved from %s; rewriting the lists\n", done_dir);
            if (mks_write_lists(out_dir, &train, &valid, args, &err) != 0) mks_die(&err);
            printf("✓ shapes data ready in %s\n", out_dir);
            return 0;
        }
        fprintf(stderr, "mkshapes: files missing in %s; making them again\n", out_dir);
    } else if (done_args) {
        fprintf(stderr, "mkshapes: %s was made with arguments '%s', not '%s'; making it again\n", out_dir,
                done_args, args);
    }
    free(done_dir);
    free(done_args);

    /* No marker while writing: a run cut short is redone in full. */
    char *marker = dt_xasprintf("%s/.complete", out_dir);
    if (remove(marker) != 0 && errno != ENOENT) {
        fprintf(stderr, "mkshapes: cannot remove '%s': %s\n", marker, strerror(errno));
        return 1;
    }
    free(marker);

    fprintf(stderr, "mkshapes: drawing %ld + %ld images (seed %ld) into %s\n", train.n, valid.n, seed, out_dir);
    if (mks_write_split(out_dir, &train, (uint64_t)seed, &err) != 0 ||
        mks_write_split(out_dir, &valid, (uint64_t)seed, &err) != 0)
        mks_die(&err);
    if (mks_write_lists(out_dir, &train, &valid, args, &err) != 0) mks_die(&err);
    printf("✓ shapes data ready in %s (%ld train, %ld valid images, %.1f s)\n", out_dir, train.n, valid.n,
           dt_now() - t0);
    free(args);
    return 0;
}
