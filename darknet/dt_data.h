/* dt_data: a Darknet image list (classifier or detector), decoded once into memory.
 *
 * The in-process runner decodes the study's train and valid lists in the parent,
 * before any trial forks: every child then reads the same pixels copy-on-write and
 * no trial spends its time in PNG decoding. Each image keeps its own size and its
 * decoded channel count (1 for grey, 3 for colour: grey+alpha and RGBA lose their
 * alpha, as Darknet's 3-channel loader does); the trainer expands grey to three
 * equal channels, which is what Darknet's load_image_color gives.
 *
 * Classes follow Darknet's rule: an image's class is the label whose text occurs in
 * the image's path (strstr). Where Darknet only warns and trains on an all-zero
 * truth, a path that matches no label, or more than one, is refused here.
 *
 * Detection lists: each image's boxes come from its label file, found by Darknet's
 * rule (dt_label_path) and parsed as "class x y w h" lines (YOLO units: centre and
 * size relative to the image). Where Darknet's fscanf stops silently at the first
 * malformed line, such a line (or a class outside the .data's classes, which would
 * write outside the network's outputs) is refused here with FILE:LINE. An image
 * without a label file has no boxes (background), as in AlexeyAB's Darknet; the
 * Debian pjreddie darknet stops there instead ("Couldn't open file"), so such
 * images are counted (dt_dataset_unlabelled) for the log to say so.
 *
 * Deliberately not here: augmentation, batches, floats (that is dt_train, the
 * only code that knows Darknet's image type). Nothing here includes darknet.h. */
#ifndef DT_DATA_H
#define DT_DATA_H

#include <stdint.h>

#include "dt_util.h"

typedef struct dt_dataset dt_dataset;

/* One ground-truth box of a detection image, as its label file says it. */
typedef struct dt_label_box {
    int cls;            /* 0 <= cls < classes */
    float x, y, w, h;   /* centre and size, fractions of the image's width and height */
} dt_label_box;

/* One decoded image, pointing into its dataset (valid while the dataset lives). */
typedef struct dt_sample {
    const uint8_t *px;  /* h rows of w pixels of c interleaved bytes (HWC, stb's order) */
    int w, h, c;        /* c: 1 (grey) or 3 (RGB) */
    int cls;            /* classifier lists: index of its label; detection lists: -1 */
    const dt_label_box *boxes;  /* detection lists: its boxes in file order (NULL when none) */
    int nboxes;
    const char *path;   /* as written in the list, resolved against the base folder */
} dt_sample;

/* Reads a Darknet labels file: one label a line, blank lines skipped, surrounding
 * blanks trimmed. classes > 0 keeps the first `classes` labels (Darknet compares
 * only those) and refuses a file with fewer; 0 keeps them all. *labels is an array
 * of *n strings the caller frees with dt_labels_free. */
int dt_labels_read(const char *path, int classes, char ***labels, int *n, dt_err *err);
void dt_labels_free(char **labels, int n);

/* Whether a list file (images, labels) names anything: 1 when it has a line that is
 * not blank, 0 when it has none (reading stops at the first such line, so a long
 * list costs one line), -1 with err when it cannot be read. */
int dt_list_has_entry(const char *path, dt_err *err);

/* The class of an image path by Darknet's rule: returns the number of labels whose
 * text occurs in path; *cls is the first of them (-1 when none). */
int dt_label_match(const char *path, char *const *labels, int n, int *cls);

/* Decodes every image of the list file at `list` (one path a line; relative paths
 * are taken against base_dir, or the current folder when base_dir is NULL) with
 * `threads` threads (<= 0: one per online CPU). Every path is matched to exactly
 * one label before anything is decoded. On failure *out is NULL and err says which
 * line of which file is wrong ("LIST:LINE: 'PATH' matches no label of LABELS"). */
int dt_dataset_load(dt_dataset **out, const char *list, const char *base_dir, char *const *labels, int nlabels,
                    int threads, dt_err *err);
/* Decodes a detection list: as dt_dataset_load, but each image's boxes are read
 * from its label file (dt_label_path of the path as the list writes it, resolved
 * like the image) before anything is decoded; classes bounds the class column.
 * A malformed label line fails with "LABELS:LINE: ..." (the label file's own line). */
int dt_dataset_load_detection(dt_dataset **out, const char *list, const char *base_dir, int classes, int threads,
                              dt_err *err);
/* The label file of an image path by Darknet's rule (pjreddie's fill_truth_detection:
 * the first "images", then the first "JPEGImages", then the first "raw" become
 * "labels"; then the first ".jpg", ".png", ".JPG", ".JPEG" each become ".txt").
 * Caller frees. */
char *dt_label_path(const char *image_path);
/* Parses the text of a label file (modified in place): one "class x y w h" a line,
 * blank lines skipped, a class a whole number in [0, classes), four finite numbers,
 * w and h not negative. *boxes (caller frees; NULL when *n is 0) gets them in order.
 * On a bad line: -1 and "FILE:LINE: what is wrong". */
int dt_boxes_parse(char *text, const char *file, int classes, dt_label_box **boxes, int *n, dt_err *err);
int dt_dataset_count(const dt_dataset *ds);
/* Detection lists: images that had no label file (trained as background). */
int dt_dataset_unlabelled(const dt_dataset *ds);
/* Detection lists: boxes over all images. */
long dt_dataset_boxes(const dt_dataset *ds);
/* Fills *s with image i, 0 <= i < dt_dataset_count(ds). */
void dt_dataset_get(const dt_dataset *ds, int i, dt_sample *s);
/* Seconds the decoding took (wall clock), for reports. */
double dt_dataset_seconds(const dt_dataset *ds);
/* The threads that decoded it. */
int dt_dataset_threads(const dt_dataset *ds);
void dt_dataset_free(dt_dataset *ds);  /* NULL is fine */

#endif
