/* mkfashion: turns the Debian Fashion-MNIST package into Darknet classifier data, once.
 *
 *   mkfashion SRC_DIR OUT_DIR
 *
 * SRC_DIR holds {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz (Debian package
 * dataset-fashion-mnist: /usr/share/datasets/fashion-mnist). OUT_DIR receives
 *   train/NNNNN.<label>.png   60,000 28x28 grey PNGs     valid/NNNNN.<label>.png   10,000
 *   labels.txt                one label per line, in class order
 *   train.list, valid.list    absolute paths of every image
 *   train-6k.list             the first 6,000 training images (the set is shuffled already)
 *   valid-1k.list             the first 1,000 test images
 *   .complete                 written last: the absolute OUT_DIR the lists point into
 *
 * Darknet's classifier finds an image's class by searching its whole path for each
 * label (strstr) and wants exactly one hit, so the labels carry an "fm-" prefix that
 * no folder name is likely to contain, and none is a substring of another
 * ("fm-shirt" is not inside "fm-tshirt"). OUT_DIR itself is refused when it contains one.
 *
 * Grey PNGs keep the files small; Darknet's classifier loader decodes every image to
 * 3 channels anyway, so the cfg keeps channels=3.
 *
 * When .complete names OUT_DIR, nothing is done. When it names another folder (the
 * data was moved), only the lists and the marker are rewritten.
 * This is a command: it prints and exits; it does not download anything. */
#include "dt_util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>

#define MKF_SIDE 28          /* pixels; Fashion-MNIST images are 28x28 grey */
#define MKF_CLASSES 10
#define MKF_TRAIN_SUBSET 6000
#define MKF_VALID_SUBSET 1000

/* Class order is the dataset's: label byte i means MKF_LABELS[i]. */
static const char *const MKF_LABELS[MKF_CLASSES] = {
    "fm-tshirt", "fm-trouser", "fm-pullover", "fm-dress", "fm-coat",
    "fm-sandal", "fm-shirt", "fm-sneaker", "fm-bag", "fm-boot",
};

/* One split as read from the package: n labels and, when pixels is not NULL,
 * n images of MKF_SIDE*MKF_SIDE bytes each (row-major, 0 = white background). */
typedef struct mkf_split {
    const char *name;        /* "train" or "valid": the folder under OUT_DIR */
    const char *src_prefix;  /* "train" or "t10k": the package's file names */
    long n;
    unsigned char *labels;   /* n bytes, each < MKF_CLASSES */
    unsigned char *pixels;   /* n * 784 bytes or NULL */
} mkf_split;

static uint32_t mkf_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Reads exactly len bytes from f. Returns 0, or -1 with a message naming path
 * ("truncated" when the file ends early). */
static int mkf_gzread_all(gzFile f, const char *path, unsigned char *buf, size_t len, dt_err *err)
{
    while (len > 0) {
        unsigned chunk = len > (1u << 30) ? (1u << 30) : (unsigned)len;
        int got = gzread(f, buf, chunk);
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            return dt_errf(err, "cannot read '%s': %s", path, zerr == Z_ERRNO ? strerror(errno) : msg);
        }
        if (got == 0) return dt_errf(err, "'%s' is truncated", path);
        buf += got;
        len -= (size_t)got;
    }
    return 0;
}

/* Reads one gzipped IDX file: checks the magic number (2049 labels, 2051 images),
 * the dimensions, and that nothing follows the data. *out (caller frees) holds
 * count * item bytes; *count is the first dimension. */
static int mkf_read_idx(const char *path, uint32_t magic, unsigned char **out, long *count, dt_err *err)
{
    errno = 0;  /* gzopen leaves errno alone when it fails for want of memory */
    gzFile f = gzopen(path, "rb");
    if (!f) return dt_errf(err, "cannot open '%s': %s", path, errno ? strerror(errno) : "out of memory");
    /* labels: magic, n; images: magic, n, rows, cols (big-endian 32-bit each) */
    size_t hdr_len = magic == 2051 ? 16 : 8;
    unsigned char hdr[16];
    unsigned char *data = NULL;
    if (mkf_gzread_all(f, path, hdr, hdr_len, err) != 0) goto fail;
    if (mkf_be32(hdr) != magic) {
        dt_errf(err, "'%s' is not an IDX %s file (magic %u, expected %u)", path,
                magic == 2051 ? "image" : "label", (unsigned)mkf_be32(hdr), (unsigned)magic);
        goto fail;
    }
    uint32_t n = mkf_be32(hdr + 4);
    size_t item = 1;
    if (magic == 2051) {
        uint32_t rows = mkf_be32(hdr + 8), cols = mkf_be32(hdr + 12);
        if (rows != MKF_SIDE || cols != MKF_SIDE) {
            dt_errf(err, "'%s' holds %ux%u images, expected %dx%d", path, (unsigned)rows, (unsigned)cols,
                    MKF_SIDE, MKF_SIDE);
            goto fail;
        }
        item = MKF_SIDE * MKF_SIDE;
    }
    if (n == 0 || n > 1000000) {
        dt_errf(err, "'%s' claims %u items; expected 1 to 1,000,000", path, (unsigned)n);
        goto fail;
    }
    data = dt_xmalloc((size_t)n * item);
    if (mkf_gzread_all(f, path, data, (size_t)n * item, err) != 0) goto fail;
    unsigned char extra;
    if (gzread(f, &extra, 1) != 0) {
        dt_errf(err, "'%s' has data after its %u items", path, (unsigned)n);
        goto fail;
    }
    gzclose(f);
    *out = data;
    *count = (long)n;
    return 0;
fail:
    free(data);
    gzclose(f);
    return -1;
}

/* Loads a split's labels, and its images when want_pixels; checks that the two
 * files agree on the count and that every label is a known class. */
static int mkf_split_load(mkf_split *s, const char *src_dir, int want_pixels, dt_err *err)
{
    char *lpath = dt_xasprintf("%s/%s-labels-idx1-ubyte.gz", src_dir, s->src_prefix);
    int rc = mkf_read_idx(lpath, 2049, &s->labels, &s->n, err);
    for (long i = 0; rc == 0 && i < s->n; i++) {
        if (s->labels[i] >= MKF_CLASSES)
            rc = dt_errf(err, "'%s': item %ld has label %d, expected 0 to %d", lpath, i, s->labels[i],
                         MKF_CLASSES - 1);
    }
    free(lpath);
    if (rc != 0 || !want_pixels) return rc;

    char *ipath = dt_xasprintf("%s/%s-images-idx3-ubyte.gz", src_dir, s->src_prefix);
    long n_img = 0;
    rc = mkf_read_idx(ipath, 2051, &s->pixels, &n_img, err);
    if (rc == 0 && n_img != s->n)
        rc = dt_errf(err, "'%s' holds %ld images but its labels file holds %ld", ipath, n_img, s->n);
    free(ipath);
    return rc;
}

static void mkf_split_free(mkf_split *s)
{
    free(s->labels);
    free(s->pixels);
    s->labels = s->pixels = NULL;
}

/* OUT_DIR/<split>/NNNNN.<label>.png; caller frees. */
static char *mkf_image_path(const char *out_dir, const mkf_split *s, long i)
{
    return dt_xasprintf("%s/%s/%05ld.%s.png", out_dir, s->name, i, MKF_LABELS[s->labels[i]]);
}

/* Writes every image of s as a 1-channel PNG. */
static int mkf_write_images(const char *out_dir, const mkf_split *s, dt_err *err)
{
    char *dir = dt_xasprintf("%s/%s", out_dir, s->name);
    int rc = dt_mkdirs(dir, err);
    free(dir);
    for (long i = 0; rc == 0 && i < s->n; i++) {
        char *path = mkf_image_path(out_dir, s, i);
        const unsigned char *px = s->pixels + (size_t)i * MKF_SIDE * MKF_SIDE;
        errno = 0;
        if (!stbi_write_png(path, MKF_SIDE, MKF_SIDE, 1, px, MKF_SIDE))
            rc = dt_errf(err, "cannot write '%s': %s", path, errno ? strerror(errno) : "stb_image_write failed");
        free(path);
    }
    return rc;
}

/* Writes the first `limit` image paths of s (all when limit >= n) to OUT_DIR/<file>. */
static int mkf_write_list(const char *out_dir, const char *file, const mkf_split *s, long limit, dt_err *err)
{
    dt_buf b = {0};
    for (long i = 0; i < s->n && i < limit; i++) {
        char *path = mkf_image_path(out_dir, s, i);
        dt_buf_printf(&b, "%s\n", path);
        free(path);
    }
    char *list = dt_xasprintf("%s/%s", out_dir, file);
    int rc = dt_write_file(list, b.p ? b.p : "", b.len, err);
    free(list);
    dt_buf_free(&b);
    return rc;
}

/* labels.txt, the four lists, then .complete: the marker comes last so that a run
 * cut short leaves no marker and is redone in full. */
static int mkf_write_lists(const char *out_dir, const mkf_split *train, const mkf_split *valid, dt_err *err)
{
    dt_buf b = {0};
    for (int c = 0; c < MKF_CLASSES; c++) dt_buf_printf(&b, "%s\n", MKF_LABELS[c]);
    char *labels = dt_xasprintf("%s/labels.txt", out_dir);
    int rc = dt_write_file(labels, b.p, b.len, err);
    free(labels);
    dt_buf_free(&b);
    if (rc == 0) rc = mkf_write_list(out_dir, "train.list", train, train->n, err);
    if (rc == 0) rc = mkf_write_list(out_dir, "valid.list", valid, valid->n, err);
    if (rc == 0) rc = mkf_write_list(out_dir, "train-6k.list", train, MKF_TRAIN_SUBSET, err);
    if (rc == 0) rc = mkf_write_list(out_dir, "valid-1k.list", valid, MKF_VALID_SUBSET, err);
    if (rc != 0) return rc;
    char *marker = dt_xasprintf("%s/.complete", out_dir);
    char *line = dt_xasprintf("%s\n", out_dir);
    rc = dt_write_file(marker, line, strlen(line), err);
    free(line);
    free(marker);
    return rc;
}

/* 1 when every image the labels name is present under out_dir (after a move). */
static int mkf_images_present(const char *out_dir, const mkf_split *s)
{
    for (long i = 0; i < s->n; i++) {
        char *path = mkf_image_path(out_dir, s, i);
        int ok = dt_file_exists(path);
        free(path);
        if (!ok) return 0;
    }
    return 1;
}

/* The absolute folder the marker names, or NULL when there is no marker. Caller frees. */
static char *mkf_marker_dir(const char *out_dir)
{
    char *marker = dt_xasprintf("%s/.complete", out_dir);
    char *buf = NULL;
    size_t len = 0;
    int rc = dt_file_exists(marker) ? dt_read_file(marker, &buf, &len, NULL) : -1;
    free(marker);
    if (rc != 0) return NULL;
    dt_trim(buf);
    return buf;
}

static void mkf_die(const dt_err *err)
{
    fprintf(stderr, "mkfashion: %s\n", err->msg);
    exit(1);
}

/* Darknet would find the label inside the folder name as well as in the file name,
 * two classes for every image: refuse such a folder. */
static void mkf_check_folder(const char *dir)
{
    for (int c = 0; c < MKF_CLASSES; c++) {
        if (strstr(dir, MKF_LABELS[c])) {
            fprintf(stderr, "mkfashion: output folder '%s' contains the label '%s', which Darknet would "
                            "match in every image's path: choose another folder\n", dir, MKF_LABELS[c]);
            exit(1);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mkfashion SRC_DIR OUT_DIR\n"
                        "  SRC_DIR: the Fashion-MNIST .gz files (/usr/share/datasets/fashion-mnist)\n"
                        "  OUT_DIR: where the PNGs, lists and labels.txt go (created)\n");
        return 1;
    }
    const char *src_dir = argv[1];
    dt_err err = {0};
    double t0 = dt_now();

    /* Checked before creating anything, then again once symbolic links are resolved. */
    char *as_given = dt_abspath(argv[2]);
    mkf_check_folder(as_given);
    free(as_given);
    if (dt_mkdirs(argv[2], &err) != 0) mkf_die(&err);
    char out_dir[PATH_MAX];
    if (!realpath(argv[2], out_dir)) {
        fprintf(stderr, "mkfashion: cannot resolve '%s': %s\n", argv[2], strerror(errno));
        return 1;
    }
    mkf_check_folder(out_dir);

    char *done = mkf_marker_dir(out_dir);
    if (done && strcmp(done, out_dir) == 0) {
        printf("✓ fashion-mnist data ready in %s\n", out_dir);
        free(done);
        return 0;
    }

    mkf_split train = {.name = "train", .src_prefix = "train"};
    mkf_split valid = {.name = "valid", .src_prefix = "t10k"};
    if (done) {
        /* Moved: the PNGs are here already; only the absolute paths in the lists are stale. */
        if (mkf_split_load(&train, src_dir, 0, &err) != 0 || mkf_split_load(&valid, src_dir, 0, &err) != 0)
            mkf_die(&err);
        if (mkf_images_present(out_dir, &train) && mkf_images_present(out_dir, &valid)) {
            fprintf(stderr, "mkfashion: data moved from %s; rewriting the lists\n", done);
            if (mkf_write_lists(out_dir, &train, &valid, &err) != 0) mkf_die(&err);
            printf("✓ fashion-mnist data ready in %s\n", out_dir);
            free(done);
            mkf_split_free(&train);
            mkf_split_free(&valid);
            return 0;
        }
        fprintf(stderr, "mkfashion: images missing in %s; making them again\n", out_dir);
        mkf_split_free(&train);
        mkf_split_free(&valid);
    }
    free(done);

    fprintf(stderr, "mkfashion: reading Fashion-MNIST from %s\n", src_dir);
    if (mkf_split_load(&train, src_dir, 1, &err) != 0 || mkf_split_load(&valid, src_dir, 1, &err) != 0)
        mkf_die(&err);
    fprintf(stderr, "mkfashion: writing %ld + %ld PNG images into %s\n", train.n, valid.n, out_dir);
    if (mkf_write_images(out_dir, &train, &err) != 0 || mkf_write_images(out_dir, &valid, &err) != 0)
        mkf_die(&err);
    if (mkf_write_lists(out_dir, &train, &valid, &err) != 0) mkf_die(&err);
    printf("✓ fashion-mnist data ready in %s (%ld train, %ld valid images, %.1f s)\n", out_dir, train.n,
           valid.n, dt_now() - t0);
    mkf_split_free(&train);
    mkf_split_free(&valid);
    return 0;
}
