/* dt_train: Darknet's classifier and detector training loops in the in-process
 * runner's child (see dt_train.h). Compiled without GPU and CUDNN, as the Debian libdarknet is:
 * darknet.h's structs change shape with those macros. make gpu and make native compile
 * it again with their build's macros (darknet/build.sh writes them in flags.mk). */
#include "dt_train.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darknet.h"
#include "dt_map.h"
#include "dt_rng.h"
#include "dt_darknet.h"

/* Exported by libdarknet (src/image.c) but not declared in darknet.h: scale, aspect
 * and rotation jitter, then a crop of w x h; and im resized to w x h, drawn at
 * (dx, dy) on canvas (pixels outside the canvas dropped). */
image random_augment_image(image im, float angle, float aspect, int low, int high, int w, int h);
void place_image(image im, int w, int h, int dx, int dy, image canvas);

/* pjreddie's train_detector with random=1: a new size every 10 iterations, 608 in the last 200. */
#define DT_TRAIN_RESIZE_EVERY 10
#define DT_TRAIN_RESIZE_LAST 200
#define DT_TRAIN_RESIZE_MAX 608
/* validate_detector's thresholds: every detection above .005, NMS at IoU .45; the
 * precision/recall/IoU of the log count detections above .25 (AlexeyAB's `map`). */
#define DT_TRAIN_DET_THRESH .005f
#define DT_TRAIN_DET_NMS .45f
#define DT_TRAIN_PR_THRESH .25

/* Predictions before the timed ones: the first calls pay for page faults in the
 * layers' buffers (on a GPU, for the first launch of each kernel and cuBLAS's set-up). */
#define DT_TRAIN_WARMUP 3

/* The training state of one child. */
typedef struct dt_train__ctx {
    const dt_train_spec *spec;
    network *net;
    dt_rng rng;          /* which images make each batch */
    data batch;          /* net->batch * subdivisions rows; X and y point into xbuf, ybuf */
    float *xbuf, *ybuf;
    float *pixels;       /* scratch: one decoded image as floats, CHW */
    size_t pixels_cap;
    size_t xcap;         /* floats xbuf holds */
    /* Detectors: the last layer's settings, as train_detector reads them. */
    int det_random, det_max_boxes, det_w, det_h;  /* det_w x det_h: the cfg's own size */
    float det_jitter;
    dt_label_box *boxes; /* scratch: one image's boxes, shuffled and moved */
    int boxes_cap;
} dt_train__ctx;

/* Sends one record with a single write(); returns 0, -1 when the parent is gone. */
static int dt_train__send(const dt_train__ctx *c, const dt_train_rec *rec)
{
    for (;;) {
        ssize_t w = write(c->spec->fd, rec, sizeof *rec);
        if (w == (ssize_t)sizeof *rec) return 0;
        if (w < 0 && errno == EINTR) continue;
        return -1;
    }
}

/* A record of this kind with every value NAN. */
static dt_train_rec dt_train__rec(int kind, long iteration)
{
    dt_train_rec r = {.kind = kind, .iteration = iteration};
    r.loss = r.avg = r.rate = r.seconds = r.metric = r.top1 = r.topk = r.ms = NAN;
    return r;
}

/* Image s as Darknet's load_image_color gives it: 3 planes (CHW) of floats in
 * [0, 1], grey copied into each plane. The image's data is the context's scratch
 * buffer, valid until the next call; never free it. */
static image dt_train__image(dt_train__ctx *c, const dt_sample *s)
{
    size_t plane = (size_t)s->w * s->h, need = 3 * plane;
    if (need > c->pixels_cap) {
        free(c->pixels);
        c->pixels = dt_xmalloc(need * sizeof *c->pixels);
        c->pixels_cap = need;
    }
    for (int k = 0; k < 3; k++) {
        const uint8_t *src = s->px + (s->c == 1 ? 0 : k);
        float *dst = c->pixels + k * plane;
        /* Darknet divides in double, then stores a float: the same rounding here. */
        for (size_t p = 0; p < plane; p++) dst[p] = (float)(src[p * s->c] / 255.);
    }
    image im = {.w = s->w, .h = s->h, .c = 3, .data = c->pixels};
    return im;
}

/* Fills c->batch with random training images, augmented as train_classifier's
 * loader does (load_data_augment with args.min/max = min_ratio/max_ratio * w,
 * size = w): random_augment_image, a flip with probability 1/2, random_distort_image. */
static void dt_train__fill_batch(dt_train__ctx *c)
{
    network *net = c->net;
    const dt_dataset *ds = c->spec->train;
    int n = dt_dataset_count(ds);
    int low = (int)(net->min_ratio * net->w), high = (int)(net->max_ratio * net->w);
    for (int i = 0; i < c->batch.X.rows; i++) {
        dt_sample s;
        dt_dataset_get(ds, (int)dt_rng_below(&c->rng, (uint64_t)n), &s);
        image im = dt_train__image(c, &s);
        image crop = random_augment_image(im, net->angle, net->aspect, low, high, net->w, net->w);
        if (rand() % 2) flip_image(crop);
        random_distort_image(crop, net->hue, net->saturation, net->exposure);
        memcpy(c->batch.X.vals[i], crop.data, sizeof(float) * (size_t)c->batch.X.cols);
        free_image(crop);
        memset(c->batch.y.vals[i], 0, sizeof(float) * (size_t)c->batch.y.cols);
        c->batch.y.vals[i][s.cls] = 1;
    }
}

/* The i-th of n images spread evenly over the valid list (all of it when n is its
 * length): a subset that a list sorted by class cannot bias, the same for every trial. */
static int dt_train__pick(const dt_train__ctx *c, int i, int n)
{
    return (int)((long long)i * dt_dataset_count(c->spec->valid) / n);
}

/* Validates on n images of the valid list (dt_train__pick) as `darknet classifier valid` does
 * (validate_classifier_single: resize_min to the net's width, centre crop,
 * network_predict, top_k), net->batch images per forward pass instead of one: the
 * buffers are sized for the training batch, and inference rows are independent
 * (batch norm uses its rolling statistics), so the answers are the same. */
static void dt_train__validate(dt_train__ctx *c, int n, double *top1, double *topk)
{
    network *net = c->net;
    const dt_dataset *ds = c->spec->valid;
    int b = net->batch, k = c->spec->topk;
    int classes = c->spec->classes;
    float *in = dt_xcalloc((size_t)b * net->inputs, sizeof *in);
    int *idx = dt_xcalloc((size_t)k, sizeof *idx);
    int *truth = dt_xcalloc((size_t)b, sizeof *truth);
    long hit1 = 0, hitk = 0;
    for (int first = 0; first < n; first += b) {
        int m = n - first < b ? n - first : b;
        for (int j = 0; j < m; j++) {
            dt_sample s;
            dt_dataset_get(ds, dt_train__pick(c, first + j, n), &s);
            truth[j] = s.cls;
            image im = dt_train__image(c, &s);
            image resized = resize_min(im, net->w);
            image crop = crop_image(resized, (resized.w - net->w) / 2, (resized.h - net->h) / 2, net->w, net->h);
            memcpy(in + (size_t)j * net->inputs, crop.data, sizeof(float) * (size_t)net->inputs);
            if (resized.data != im.data) free_image(resized);
            free_image(crop);
        }
        float *out = network_predict(net, in);
        for (int j = 0; j < m; j++) {
            float *p = out + (size_t)j * net->outputs;
            if (net->hierarchy) hierarchy_predictions(p, net->outputs, net->hierarchy, 1, 1);
            top_k(p, classes, k, idx);
            hit1 += idx[0] == truth[j];
            for (int q = 0; q < k; q++) hitk += idx[q] == truth[j];
        }
    }
    free(in), free(idx), free(truth);
    *top1 = (double)hit1 / n;
    *topk = (double)hitk / n;
}

/* Validates, prints the result to the log and reports it as a METRIC record. */
static int dt_train__evaluate(dt_train__ctx *c, long iteration, int n, double *top1, double *topk)
{
    double t0 = dt_now();
    dt_train__validate(c, n, top1, topk);
    printf("%ld: top 1: %f, top %d: %f, %d images, %lf seconds (validation)\n", iteration, *top1, c->spec->topk,
           *topk, n, dt_now() - t0);
    dt_train_rec r = dt_train__rec(DT_REC_METRIC, iteration);
    r.top1 = *top1;
    r.topk = *topk;
    r.metric = c->spec->metric == DT_METRIC_TOP5 ? *topk : *top1;
    return dt_train__send(c, &r);
}

/* Points the batch's rows into xbuf and ybuf for the network's current input size,
 * growing xbuf when a resize made the input larger. */
static void dt_train__rows(dt_train__ctx *c, int ycols)
{
    network *net = c->net;
    int imgs = c->batch.X.rows;
    size_t need = (size_t)imgs * net->inputs;
    if (need > c->xcap) {
        free(c->xbuf);
        c->xbuf = dt_xmalloc(sizeof(float) * need);
        c->xcap = need;
    }
    c->batch.X.cols = net->inputs;
    c->batch.y.cols = ycols;
    for (int i = 0; i < imgs; i++) {
        c->batch.X.vals[i] = c->xbuf + (size_t)i * net->inputs;
        c->batch.y.vals[i] = c->ybuf + (size_t)i * ycols;
    }
}

/* Darknet's constrain(0, 1, v). */
static float dt_train__unit(float v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* One image's truth row as fill_truth_detection writes it: its boxes shuffled with
 * rand() (randomize_boxes), moved by the placement (x' = x * sx - dx, in the canvas's
 * units) and the flip, clipped to the image, cut to max_boxes, and those that became
 * thinner than .001 skipped; then x y w h class per box, zeros after the last. A box
 * centred at exactly (0, 0), which Darknet turns into a 999999-wide truth, is dropped. */
static void dt_train__truth(dt_train__ctx *c, const dt_sample *s, float *truth, int flip, float dx, float dy,
                            float sx, float sy)
{
    memset(truth, 0, sizeof(float) * (size_t)c->batch.y.cols);
    int n = s->nboxes;
    if (n == 0) return;
    if (n > c->boxes_cap) {
        free(c->boxes);
        c->boxes = dt_xmalloc(sizeof *c->boxes * (size_t)n);
        c->boxes_cap = n;
    }
    dt_label_box *b = c->boxes;
    memcpy(b, s->boxes, sizeof *b * (size_t)n);
    for (int i = 0; i < n; i++) {
        int j = rand() % n;
        dt_label_box t = b[i];
        b[i] = b[j];
        b[j] = t;
    }
    if (n > c->det_max_boxes) n = c->det_max_boxes;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (b[i].x == 0 && b[i].y == 0) continue;
        float left = (b[i].x - b[i].w / 2) * sx - dx, right = (b[i].x + b[i].w / 2) * sx - dx;
        float top = (b[i].y - b[i].h / 2) * sy - dy, bottom = (b[i].y + b[i].h / 2) * sy - dy;
        if (flip) {
            float swap = left;
            left = 1.f - right;
            right = 1.f - swap;
        }
        left = dt_train__unit(left), right = dt_train__unit(right);
        top = dt_train__unit(top), bottom = dt_train__unit(bottom);
        float w = dt_train__unit(right - left), h = dt_train__unit(bottom - top);
        if (w < .001f || h < .001f) continue;
        float *t = truth + 5 * k++;
        t[0] = (left + right) / 2;
        t[1] = (top + bottom) / 2;
        t[2] = w;
        t[3] = h;
        t[4] = (float)b[i].cls;
    }
}

/* Fills c->batch with random training images as load_data_detection does: the
 * image resized to a random aspect ratio (jitter) filling the canvas's longer side,
 * placed at a random offset on a grey (.5) canvas of the network's size,
 * random_distort_image, a flip with probability 1/2, and its boxes moved alike. */
static void dt_train__fill_detection(dt_train__ctx *c)
{
    network *net = c->net;
    const dt_dataset *ds = c->spec->train;
    int n = dt_dataset_count(ds), w = net->w, h = net->h;
    /* load_thread: an unset saturation or exposure means 1 (no change). */
    float sat = net->saturation ? net->saturation : 1, expo = net->exposure ? net->exposure : 1;
    dt_train__rows(c, net->truths);
    for (int i = 0; i < c->batch.X.rows; i++) {
        dt_sample s;
        dt_dataset_get(ds, (int)dt_rng_below(&c->rng, (uint64_t)n), &s);
        image orig = dt_train__image(c, &s);
        image sized = {.w = w, .h = h, .c = 3, .data = c->batch.X.vals[i]};
        fill_image(sized, .5f);
        float dw = c->det_jitter * orig.w, dh = c->det_jitter * orig.h;
        float num = orig.w + rand_uniform(-dw, dw);
        float new_ar = num / (orig.h + rand_uniform(-dh, dh));
        float nw, nh;
        if (new_ar < 1) {
            nh = h;
            nw = nh * new_ar;
        } else {
            nw = w;
            nh = nw / new_ar;
        }
        float dx = rand_uniform(0, w - nw), dy = rand_uniform(0, h - nh);
        /* Darknet passes these floats to place_image's int parameters: truncated. */
        place_image(orig, (int)nw, (int)nh, (int)dx, (int)dy, sized);
        random_distort_image(sized, net->hue, sat, expo);
        int flip = rand() % 2;
        if (flip) flip_image(sized);
        dt_train__truth(c, &s, c->batch.y.vals[i], flip, -dx / w, -dy / h, nw / w, nh / h);
    }
}

/* mAP@0.5 on n images of the valid list (dt_train__pick) as validate_detector computes its detections
 * (one image at a time, letterboxed to the network, get_network_boxes at .005 in
 * the image's own units, do_nms_sort at .45; every class of a box above .005 is one
 * detection), scored by dt_map against the label files' boxes. Runs at the cfg's
 * own size and batch 1 (only the first image of a batch yields boxes), then puts
 * the training size and batch back. */
static void dt_train__validate_detection(dt_train__ctx *c, int n, dt_map_result *res, long *ndets)
{
    network *net = c->net;
    const dt_dataset *ds = c->spec->valid;
    int classes = c->spec->classes;
    int batch = net->batch, tw = net->w, th = net->h;
    if (tw != c->det_w || th != c->det_h) resize_network(net, c->det_w, c->det_h);
    set_batch_network(net, 1);
    dt_map *m = dt_map_create(classes);
    dt_box *gt = NULL;
    int *gt_cls = NULL, gt_cap = 0, det_cap = 0;
    dt_det *det = NULL;
    for (int i = 0; i < n; i++) {
        dt_sample s;
        dt_dataset_get(ds, dt_train__pick(c, i, n), &s);
        image orig = dt_train__image(c, &s);
        image sized = letterbox_image(orig, net->w, net->h);
        network_predict(net, sized.data);
        free_image(sized);
        int nboxes = 0;
        detection *dets = get_network_boxes(net, orig.w, orig.h, DT_TRAIN_DET_THRESH, .5f, 0, 1, &nboxes);
        do_nms_sort(dets, nboxes, classes, DT_TRAIN_DET_NMS);
        if (nboxes * classes > det_cap) {
            det_cap = nboxes * classes;
            free(det);
            det = dt_xmalloc(sizeof *det * (size_t)det_cap);
        }
        int ndet = 0;
        for (int k = 0; k < nboxes; k++)
            for (int j = 0; j < classes; j++) {
                if (!(dets[k].prob[j] > DT_TRAIN_DET_THRESH)) continue;
                box b = dets[k].bbox;
                det[ndet++] = (dt_det){{b.x, b.y, b.w, b.h}, j, dets[k].prob[j]};
            }
        free_detections(dets, nboxes);
        if (s.nboxes > gt_cap) {
            gt_cap = s.nboxes;
            free(gt), free(gt_cls);
            gt = dt_xmalloc(sizeof *gt * (size_t)gt_cap);
            gt_cls = dt_xmalloc(sizeof *gt_cls * (size_t)gt_cap);
        }
        for (int k = 0; k < s.nboxes; k++) {
            gt[k] = (dt_box){s.boxes[k].x, s.boxes[k].y, s.boxes[k].w, s.boxes[k].h};
            gt_cls[k] = s.boxes[k].cls;
        }
        dt_map_add(m, gt, gt_cls, s.nboxes, det, ndet);
        *ndets += ndet;
    }
    dt_map_compute(m, DT_TRAIN_PR_THRESH, res);
    dt_map_free(m);
    free(gt), free(gt_cls), free(det);
    set_batch_network(net, batch);
    if (tw != c->det_w || th != c->det_h) resize_network(net, tw, th);
}

/* Validates a detector, prints mAP and the rest to the log, reports a METRIC record. */
static int dt_train__evaluate_detection(dt_train__ctx *c, long iteration, int n, double *map)
{
    double t0 = dt_now();
    dt_map_result res;
    long ndets = 0;
    dt_train__validate_detection(c, n, &res, &ndets);
    printf("%ld: mAP@0.5 %f, precision %f, recall %f, avg IoU %f (at %.2f), %d classes, %d images, %ld detections, "
           "%lf seconds (validation)\n", iteration, res.map, res.precision, res.recall, res.avg_iou,
           DT_TRAIN_PR_THRESH, res.nclasses, n, ndets, dt_now() - t0);
    *map = res.map;
    dt_train_rec r = dt_train__rec(DT_REC_METRIC, iteration);
    r.metric = res.map;
    return dt_train__send(c, &r);
}

/* Refuses a network that Darknet's detector loader could not feed either, and reads
 * the last layer's settings as train_detector does. */
static int dt_train__check_detection(dt_train__ctx *c)
{
    network *net = c->net;
    const char *cfg = c->spec->cfg;
    layer l = net->layers[net->n - 1];
    if (l.type != YOLO && l.type != REGION) {
        fprintf(stderr, "darktune: %s: the last layer is not [yolo] or [region]: train_detector's truth layout "
                "does not fit it\n", cfg);
        return -1;
    }
    if (net->inputs != net->w * net->h * 3) {
        fprintf(stderr, "darktune: %s: the detector loader gives 3-channel images, but [net] has channels=%d\n",
                cfg, net->c);
        return -1;
    }
    if (l.classes != c->spec->classes) {
        fprintf(stderr, "darktune: %s: the last [%s] has classes=%d, but the .data file says classes=%d\n", cfg,
                l.type == YOLO ? "yolo" : "region", l.classes, c->spec->classes);
        return -1;
    }
    if (net->truths < 5) {
        fprintf(stderr, "darktune: %s: the network takes %d truth values, fewer than one box\n", cfg, net->truths);
        return -1;
    }
    if (net->max_batches <= 0) {
        fprintf(stderr, "darktune: %s: max_batches must be set (Darknet would train forever)\n", cfg);
        return -1;
    }
    c->det_random = l.random;
    c->det_jitter = l.jitter;
    /* The yolo layer reads l.max_boxes boxes from rows of net->truths floats. */
    c->det_max_boxes = l.max_boxes < net->truths / 5 ? l.max_boxes : net->truths / 5;
    c->det_w = net->w;
    c->det_h = net->h;
    return 0;
}

/* Refuses a network that Darknet's classifier loader could not feed either. */
static int dt_train__check(const dt_train__ctx *c)
{
    const network *net = c->net;
    if (net->inputs != net->w * net->h * 3 || net->w != net->h) {
        fprintf(stderr, "darktune: %s: the classifier loader gives square 3-channel images, but [net] has "
                "width=%d height=%d channels=%d\n", c->spec->cfg, net->w, net->h, net->c);
        return -1;
    }
    if (net->truths != c->spec->classes) {
        fprintf(stderr, "darktune: %s: the network outputs %d values, but the .data file says classes=%d\n",
                c->spec->cfg, net->truths, c->spec->classes);
        return -1;
    }
    if (net->max_batches <= 0) {
        fprintf(stderr, "darktune: %s: max_batches must be set (Darknet would train forever)\n", c->spec->cfg);
        return -1;
    }
    return 0;
}

/* Milliseconds of one image through net, at batch 1 and its current size:
 * DT_TRAIN_WARMUP predictions, then reps timed ones on the monotonic clock; the
 * median, which one preempted call cannot move. The image is zeros: Darknet's layers
 * do the same arithmetic whatever the pixels. network_predict returns once the output
 * is in host memory (on a GPU, pjreddie's forward pass ends in a blocking copy of the
 * output), so each call is timed whole. Leaves the network at batch 1. */
static double dt_train__time(network *net, int reps)
{
    set_batch_network(net, 1);
    float *in = dt_xcalloc((size_t)net->inputs, sizeof *in);
    double *t = dt_xcalloc((size_t)reps, sizeof *t);
    for (int i = 0; i < DT_TRAIN_WARMUP; i++) network_predict(net, in);
    for (int i = 0; i < reps; i++) {
        double t0 = dt_now();
        network_predict(net, in);
        t[i] = (dt_now() - t0) * 1e3;
    }
    double ms = dt_median(t, reps);   /* sorts t: t[0] is the fastest */
    printf("darktune: %d predictions of one %dx%d image (after %d to warm up): median %f ms, fastest %f ms\n",
           reps, net->w, net->h, DT_TRAIN_WARMUP, ms, t[0]);
    free(in), free(t);
    return ms;
}

/* Darknet builds its layers on the GPU when gpu_index >= 0 at load time: the child
 * picks its device before load_network. */
static void dt_train__use_gpu(int gpu)
{
#ifdef GPU
    gpu_index = gpu;
    if (gpu >= 0) cuda_set_device(gpu);
#else
    (void)gpu;
    gpu_index = -1;
#endif
}

const char *dt_train_build(void)
{
#if defined(GPU) && defined(CUDNN)
    return "CUDA + cuDNN";
#elif defined(GPU)
    return "CUDA";
#elif defined(DT_DARKNET_NATIVE)
    return "native CPU (-march=native)";
#else
    return "CPU";
#endif
}

int dt_train_gpu_only(void)
{
#ifdef GPU
    return 1;
#else
    return 0;
#endif
}

/* The child's whole life: seed, load the network, train to max_batches with a
 * report per iteration, validate every eval_interval and at the end, save, DONE. */
int dt_train_run(const dt_train_spec *spec)
{
    dt_train__ctx c = {.spec = spec};
    int detector = spec->task == DT_TASK_DETECTOR;
    dt_rng_seed(&c.rng, spec->seed, spec->stream);
    /* Darknet's weight initialisation and augmentation draw from rand(). */
    srand((unsigned)dt_rng_u64(&c.rng));
    dt_train__use_gpu(spec->gpu);
    char *weights = spec->weights ? dt_xstrdup(spec->weights) : NULL;
    char *cfg = dt_xstrdup(spec->cfg);
    /* clear = 0: a starting weights file keeps its iteration count, as
     * `darknet classifier train` and `darknet detector train` do without -clear. */
    c.net = load_network(cfg, weights, 0);
    free(cfg), free(weights);
    network *net = c.net;
    if ((detector ? dt_train__check_detection(&c) : dt_train__check(&c)) != 0) return 1;

    int imgs = net->batch * net->subdivisions, n = dt_dataset_count(spec->train);
    int ycols = detector ? net->truths : spec->classes;
    c.ybuf = dt_xmalloc(sizeof(float) * (size_t)imgs * ycols);
    c.batch.X = (matrix){.rows = imgs, .cols = net->inputs, .vals = dt_xcalloc((size_t)imgs, sizeof(float *))};
    c.batch.y = (matrix){.rows = imgs, .cols = ycols, .vals = dt_xcalloc((size_t)imgs, sizeof(float *))};
    dt_train__rows(&c, ycols);
    c.batch.shallow = 1;  /* our buffers: free_data must never see them */

    printf("%s\nLearning Rate: %g, Momentum: %g, Decay: %g\n", spec->cfg, net->learning_rate, net->momentum,
           net->decay);
    if (detector) {
        printf("%d images, %ld boxes, jitter %g, max_boxes %d, random %d\n", n, dt_dataset_boxes(spec->train),
               c.det_jitter, c.det_max_boxes, c.det_random);
        if (dt_dataset_unlabelled(spec->train))
            printf("darktune: %d training images have no label file: trained as background (pjreddie's darknet "
                   "stops at them with 'Couldn't open file')\n", dt_dataset_unlabelled(spec->train));
    } else {
        printf("%d %d\n%d\n", (int)(net->min_ratio * net->w), (int)(net->max_ratio * net->w), n);
    }

    float avg = -1;
    double top1 = NAN, topk = NAN, map = NAN;
    long evaluated = -1, count = 0;
    /* Periodic validations are the pruner's: a fixed subset, the same for every trial,
     * judges like with like at a fraction of the cost. */
    int all = spec->valid ? dt_dataset_count(spec->valid) : 0;
    int part = spec->eval_images > 0 && spec->eval_images < all ? (int)spec->eval_images : all;
    while ((long)get_current_batch(net) < net->max_batches) {
        if (detector && c.det_random && count++ % DT_TRAIN_RESIZE_EVERY == 0) {
            int dim = (rand() % 10 + 10) * 32;
            if ((long)get_current_batch(net) + DT_TRAIN_RESIZE_LAST > net->max_batches) dim = DT_TRAIN_RESIZE_MAX;
            printf("Resizing\n%d\n", dim);
            resize_network(net, dim, dim);
        }
        double t0 = dt_now();
        if (detector) dt_train__fill_detection(&c);
        else dt_train__fill_batch(&c);
        printf("Loaded: %lf seconds\n", dt_now() - t0);
        t0 = dt_now();
        float loss = train_network(net, c.batch);
        double secs = dt_now() - t0;
        if (avg == -1) avg = loss;
        /* Each train loop's own arithmetic: the detector's in double, the classifier's in float. */
        avg = detector ? (float)(avg * .9 + loss * .1) : avg * .9f + loss * .1f;
        long it = (long)get_current_batch(net);
        float rate = get_current_rate(net);
        if (detector)
            printf("%ld: %f, %f avg, %f rate, %lf seconds, %ld images\n", it, loss, avg, rate, secs, it * imgs);
        else
            printf("%ld, %.3f: %f, %f avg, %f rate, %lf seconds, %ld images\n", it, (float)(*net->seen) / n, loss,
                   avg, rate, secs, (long)*net->seen);
        dt_train_rec r = dt_train__rec(DT_REC_ITER, it);
        r.loss = loss;
        r.avg = avg;
        r.rate = rate;
        r.seconds = secs;
        if (dt_train__send(&c, &r) != 0) return 1;
        if (spec->valid && spec->eval_interval > 0 && it % spec->eval_interval == 0 &&
            (part == all || it < net->max_batches)) {
            int rc = detector ? dt_train__evaluate_detection(&c, it, part, &map)
                              : dt_train__evaluate(&c, it, part, &top1, &topk);
            if (rc != 0) return 1;
            evaluated = it;
        }
    }
    /* The trial's value: the whole valid list, once, at the end. */
    long it = (long)get_current_batch(net);
    if (spec->valid && (evaluated != it || part < all)) {
        int rc = detector ? dt_train__evaluate_detection(&c, it, all, &map)
                          : dt_train__evaluate(&c, it, all, &top1, &topk);
        if (rc != 0) return 1;
    }
    /* The weights do not depend on the input size a random=1 resize left. */
    printf("Saving weights to %s\n", spec->weights_out);
    fflush(stdout);
    char *out = dt_xstrdup(spec->weights_out);
    save_weights(net, out);
    free(out);

    /* The deployed network: the cfg's own size (a random=1 resize may have left
     * another), one image at a time. */
    double ms = NAN;
    if (spec->time_reps > 0) {
        if (detector && (net->w != c.det_w || net->h != c.det_h)) resize_network(net, c.det_w, c.det_h);
        ms = dt_train__time(net, spec->time_reps);
    }

    dt_train_rec done = dt_train__rec(DT_REC_DONE, it);
    done.ms = ms;
    done.avg = avg;
    done.top1 = top1;
    done.topk = topk;
    if (spec->metric == DT_METRIC_LOSS) done.metric = avg;
    else done.metric = detector ? map : spec->metric == DT_METRIC_TOP5 ? topk : top1;
    int rc = dt_train__send(&c, &done) == 0 ? 0 : 1;
    free(c.batch.X.vals), free(c.batch.y.vals), free(c.xbuf), free(c.ybuf), free(c.pixels), free(c.boxes);
    free_network(net);
    return rc;
}

/* The floats pjreddie's load_weights reads for layer l (load_convolutional_weights,
 * load_connected_weights, ...), or -1 for a layer whose count this does not know. */
static long dt_train__layer_floats(const layer *l)
{
    if (l->dontload) return 0;
    long scales = l->dontloadscales ? 0 : 1;
    switch (l->type) {
    case CONVOLUTIONAL:
    case DECONVOLUTIONAL:
        return (long)l->nweights + l->n + (l->batch_normalize ? 3 * scales * l->n : 0);
    case CONNECTED:
        return (long)l->outputs + (long)l->outputs * l->inputs + (l->batch_normalize ? 3 * scales * l->outputs : 0);
    case BATCHNORM:
        return 3L * l->c;
    case LOCAL:
        return (long)l->outputs + (long)l->size * l->size * l->c * l->n * l->out_w * l->out_h;
    case RNN:
    case GRU:
    case LSTM:
    case CRNN:
        return -1;
    default:
        return 0;
    }
}

/* 0 when the weights file is exactly as long as pjreddie's loader reads for net: a
 * header (major, minor, revision, then `seen` as 8 bytes from format 0.2 on, else 4)
 * and each layer's floats. Else -1, said on stderr. */
static int dt_train__weights_fit(const network *net, const char *path)
{
    FILE *f = fopen(path, "rb");
    int32_t v[3] = {0, 0, 0};
    if (!f || fread(v, sizeof *v, 3, f) != 3 || fseek(f, 0, SEEK_END) != 0) {
        fprintf(stderr, "darktune: cannot read the weights header of '%s'\n", path);
        if (f) fclose(f);
        return -1;
    }
    long size = ftell(f);
    fclose(f);
    long header = 12 + ((v[0] * 10 + v[1]) >= 2 && v[0] < 1000 && v[1] < 1000 ? 8 : 4), floats = 0;
    for (int i = 0; i < net->n; i++) {
        long n = dt_train__layer_floats(&net->layers[i]);
        if (n < 0) {
            fprintf(stderr, "darktune: cannot time '%s': layer %d is recurrent, whose weights this check does not "
                    "count\n", path, i);
            return -1;
        }
        floats += n;
    }
    if (size == header + 4 * floats) return 0;
    fprintf(stderr, "darktune: cannot time '%s': it has %ld bytes, but pjreddie's libdarknet reads %ld for this cfg "
            "(a %ld-byte header and %ld weights): it was written for another network, or by a fork whose layers "
            "pjreddie's parser does not build alike\n", path, size, header + 4 * floats, header, floats);
    return -1;
}

int dt_train_time(const dt_train_spec *spec)
{
    if (spec->time_reps <= 0 || !spec->weights) {
        fprintf(stderr, "darktune: nothing to time (no weights, or time_reps %d)\n", spec->time_reps);
        return 1;
    }
    dt_train__use_gpu(spec->gpu);
    char *cfg = dt_xstrdup(spec->cfg), *weights = dt_xstrdup(spec->weights);
    network *net = load_network(cfg, weights, 0);
    free(cfg), free(weights);
    if (dt_train__weights_fit(net, spec->weights) != 0) return 1;
    dt_train__ctx c = {.spec = spec};
    dt_train_rec done = dt_train__rec(DT_REC_DONE, (long)get_current_batch(net));
    done.ms = dt_train__time(net, spec->time_reps);
    int rc = dt_train__send(&c, &done) == 0 ? 0 : 1;
    free_network(net);
    return rc;
}
