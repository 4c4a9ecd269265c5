/* dt_train: the in-process runner's child: Darknet's classifier or detector training
 * loop over images dt_data decoded before the fork, reporting to the parent over a pipe.
 *
 * It does what `darknet classifier train` then `darknet classifier valid` do, with
 * libdarknet's own functions: load_network, per iteration a batch of random images
 * with Darknet's augmentation (random_augment_image, a random flip,
 * random_distort_image), train_network; validation as validate_classifier_single
 * (resize_min, centre crop, network_predict, top-k); save_weights at the end.
 * Detectors as `darknet detector train` (train_detector, load_data_detection: the
 * last layer's jitter as a random aspect placement on a grey canvas, HSV distortion,
 * a flip, boxes moved, clipped and shuffled into max_boxes x (x y w h class) truth;
 * random=1 resizes the net to (rand() % 10 + 10) * 32 every 10 iterations, 608 in the
 * last 200) and mAP@0.5 as validate_detector then dt_map (letterboxed input,
 * get_network_boxes at .005, do_nms_sort at .45), at the cfg's own size.
 * Darknet's rand() is seeded from the trial's seed, and the images of each batch are
 * drawn with a dt_rng from the same seed, so that a trial is repeatable.
 *
 * The parent reads fixed-size dt_train_rec records, each sent with one write()
 * (smaller than PIPE_BUF, so never interleaved or split). The child's stdout and
 * stderr are the trial's log: Darknet prints there (and prints its own errors before
 * calling exit()), and so does this loop, in pjreddie's words, so that the log reads
 * as darknet's would. This is the only darktune file that includes darknet.h; this
 * header does not (darknet.h defines list, image, data, error, ...). */
#ifndef DT_TRAIN_H
#define DT_TRAIN_H

#include <stdint.h>

#include "dt_data.h"

typedef enum dt_rec_kind { DT_REC_ITER = 1, DT_REC_METRIC = 2, DT_REC_DONE = 3 } dt_rec_kind;

/* One report of the child. ITER: iteration (Darknet's get_current_batch after the
 * update), loss, avg, rate, seconds (of train_network). METRIC: iteration, metric,
 * top1, topk (detectors: metric is mAP@0.5, top1 and topk NAN). DONE: iteration,
 * avg, metric (the final one), top1, topk, and ms (NAN unless time_reps > 0; a timing
 * child, dt_train_time, sends a DONE with ms alone). Fields a kind does not use are
 * NAN. 80 bytes, native layout (parent and child are one binary, so a record never
 * meets a reader of another size; ms went last so that the older fields kept their
 * places). */
typedef struct dt_train_rec {
    int32_t kind;       /* dt_rec_kind */
    int32_t pad;
    int64_t iteration;
    double loss, avg, rate, seconds;
    double metric;      /* what the study optimizes: top1, topk, or the average loss */
    double top1, topk;  /* fractions */
    double ms;          /* DONE: median milliseconds of one image through the final network */
} dt_train_rec;

typedef struct dt_train_spec {
    const char *cfg;          /* the trial's cfg */
    const char *weights;      /* starting weights or NULL */
    const char *weights_out;  /* where the final weights go (<backup>/<cfgbase>.weights) */
    int task;                 /* dt_task: classifier or detector */
    const dt_dataset *train;  /* detector: a detection list (dt_dataset_load_detection) */
    const dt_dataset *valid;  /* NULL: no validation (metric loss without eval_interval) */
    int classes;              /* the .data's classes: truth columns, labels compared */
    int topk;                 /* classifier: the .data's `top` (Darknet's default 1) */
    int metric;               /* dt_metric: top1, top5, map50 or loss */
    long eval_interval;       /* validate every N iterations; 0: only at the end */
    long eval_images;         /* those validations on N images spread over the valid list (0: all); the end's on all */
    uint64_t seed, stream;    /* the study seed and the trial number */
    int gpu;                  /* CUDA device of the trial, -1: the CPU */
    int fd;                   /* the pipe's write end */
    int time_reps;            /* > 0: after saving, time this many predictions of one image (DONE's ms) */
} dt_train_spec;

/* Which libdarknet this binary was built against, for people: "CPU" (Debian's),
 * "native CPU (-march=native)" (make native), "CUDA" or "CUDA + cuDNN" (make gpu;
 * darknet.h's GPU and CUDNN macros, which must match the library's build). */
const char *dt_train_build(void);

/* 1 when that libdarknet is a CUDA build: pjreddie's puts every layer's arrays on the
 * GPU whatever gpu_index says, so the in-process runner cannot train on the CPU. */
int dt_train_gpu_only(void);

/* Trains, validates, saves, reports; meant to run in a forked child with its stdout
 * and stderr on the trial's log. Returns the exit status the child should _exit
 * with: 0 after DONE was sent. Darknet itself may exit() or crash on the way. */
int dt_train_run(const dt_train_spec *spec);

/* The inference time of a trained network, for a run that trained elsewhere (the exec
 * runner's program): loads spec->cfg with spec->weights (required) on spec->gpu,
 * checks that the weights file holds exactly what pjreddie's loader reads for this cfg
 * (a file made for other layers would load as garbage and time a network that does not
 * exist), then times it as dt_train_run does and sends one DONE record with ms alone.
 * Meant for a forked child with its output on the trial's log; returns the exit status
 * (0 after DONE was sent; 1 with the reason printed to stderr). */
int dt_train_time(const dt_train_spec *spec);

#endif
