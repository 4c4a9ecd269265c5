/* dt_data: a Darknet classifier image list, decoded once into memory.
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
 * Deliberately not here: augmentation, batches, floats (that is dt_train, the
 * only code that knows Darknet's image type). Nothing here includes darknet.h. */
#ifndef DT_DATA_H
#define DT_DATA_H

#include <stdint.h>

#include "dt_util.h"

typedef struct dt_dataset dt_dataset;

/* One decoded image, pointing into its dataset (valid while the dataset lives). */
typedef struct dt_sample {
    const uint8_t *px;  /* h rows of w pixels of c interleaved bytes (HWC, stb's order) */
    int w, h, c;        /* c: 1 (grey) or 3 (RGB) */
    int cls;            /* index of its label */
    const char *path;   /* as written in the list, resolved against the base folder */
} dt_sample;

/* Reads a Darknet labels file: one label a line, blank lines skipped, surrounding
 * blanks trimmed. classes > 0 keeps the first `classes` labels (Darknet compares
 * only those) and refuses a file with fewer; 0 keeps them all. *labels is an array
 * of *n strings the caller frees with dt_labels_free. */
int dt_labels_read(const char *path, int classes, char ***labels, int *n, dt_err *err);
void dt_labels_free(char **labels, int n);

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
int dt_dataset_count(const dt_dataset *ds);
/* Fills *s with image i, 0 <= i < dt_dataset_count(ds). */
void dt_dataset_get(const dt_dataset *ds, int i, dt_sample *s);
/* Seconds the decoding took (wall clock), for reports. */
double dt_dataset_seconds(const dt_dataset *ds);
/* The threads that decoded it. */
int dt_dataset_threads(const dt_dataset *ds);
void dt_dataset_free(dt_dataset *ds);  /* NULL is fine */

#endif
