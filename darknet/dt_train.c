/* dt_train: Darknet's classifier training loop in the in-process runner's child
 * (see dt_train.h). Compiled without GPU and CUDNN, as the Debian libdarknet is:
 * darknet.h's structs change shape with those macros. */
#include "dt_train.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darknet.h"
#include "dt_rng.h"
#include "dt_sweep.h"

/* Exported by libdarknet (src/image.c) but not declared in darknet.h: scale, aspect
 * and rotation jitter, then a crop of w x h. */
image random_augment_image(image im, float angle, float aspect, int low, int high, int w, int h);

/* The training state of one child. */
typedef struct dt_train__ctx {
    const dt_train_spec *spec;
    network *net;
    dt_rng rng;          /* which images make each batch */
    data batch;          /* net->batch * subdivisions rows; X and y point into xbuf, ybuf */
    float *xbuf, *ybuf;
    float *pixels;       /* scratch: one decoded image as floats, CHW */
    size_t pixels_cap;
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
    r.loss = r.avg = r.rate = r.seconds = r.metric = r.top1 = r.topk = NAN;
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

/* Validates on the whole valid list as `darknet classifier valid` does
 * (validate_classifier_single: resize_min to the net's width, centre crop,
 * network_predict, top_k), net->batch images per forward pass instead of one: the
 * buffers are sized for the training batch, and inference rows are independent
 * (batch norm uses its rolling statistics), so the answers are the same. */
static void dt_train__validate(dt_train__ctx *c, double *top1, double *topk)
{
    network *net = c->net;
    const dt_dataset *ds = c->spec->valid;
    int n = dt_dataset_count(ds), b = net->batch, k = c->spec->topk;
    int classes = c->spec->classes;
    float *in = dt_xcalloc((size_t)b * net->inputs, sizeof *in);
    int *idx = dt_xcalloc((size_t)k, sizeof *idx);
    int *truth = dt_xcalloc((size_t)b, sizeof *truth);
    long hit1 = 0, hitk = 0;
    for (int first = 0; first < n; first += b) {
        int m = n - first < b ? n - first : b;
        for (int j = 0; j < m; j++) {
            dt_sample s;
            dt_dataset_get(ds, first + j, &s);
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
static int dt_train__evaluate(dt_train__ctx *c, long iteration, double *top1, double *topk)
{
    double t0 = dt_now();
    dt_train__validate(c, top1, topk);
    printf("%ld: top 1: %f, top %d: %f, %d images, %lf seconds (validation)\n", iteration, *top1, c->spec->topk,
           *topk, dt_dataset_count(c->spec->valid), dt_now() - t0);
    dt_train_rec r = dt_train__rec(DT_REC_METRIC, iteration);
    r.top1 = *top1;
    r.topk = *topk;
    r.metric = c->spec->metric == DT_METRIC_TOP5 ? *topk : *top1;
    return dt_train__send(c, &r);
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

/* The child's whole life: seed, load the network, train to max_batches with a
 * report per iteration, validate every eval_interval and at the end, save, DONE. */
int dt_train_run(const dt_train_spec *spec)
{
    dt_train__ctx c = {.spec = spec};
    dt_rng_seed(&c.rng, spec->seed, spec->stream);
    /* Darknet's weight initialisation and augmentation draw from rand(). */
    srand((unsigned)dt_rng_u64(&c.rng));
    char *weights = spec->weights ? dt_xstrdup(spec->weights) : NULL;
    char *cfg = dt_xstrdup(spec->cfg);
    /* clear = 0: a starting weights file keeps its iteration count, as
     * `darknet classifier train` does without -clear. */
    c.net = load_network(cfg, weights, 0);
    free(cfg), free(weights);
    network *net = c.net;
    if (dt_train__check(&c) != 0) return 1;

    int imgs = net->batch * net->subdivisions, n = dt_dataset_count(spec->train);
    c.xbuf = dt_xmalloc(sizeof(float) * (size_t)imgs * net->inputs);
    c.ybuf = dt_xmalloc(sizeof(float) * (size_t)imgs * spec->classes);
    c.batch.X = (matrix){.rows = imgs, .cols = net->inputs, .vals = dt_xcalloc((size_t)imgs, sizeof(float *))};
    c.batch.y = (matrix){.rows = imgs, .cols = spec->classes, .vals = dt_xcalloc((size_t)imgs, sizeof(float *))};
    for (int i = 0; i < imgs; i++) {
        c.batch.X.vals[i] = c.xbuf + (size_t)i * net->inputs;
        c.batch.y.vals[i] = c.ybuf + (size_t)i * spec->classes;
    }
    c.batch.shallow = 1;  /* our buffers: free_data must never see them */

    printf("%s\nLearning Rate: %g, Momentum: %g, Decay: %g\n", spec->cfg, net->learning_rate, net->momentum,
           net->decay);
    printf("%d %d\n%d\n", (int)(net->min_ratio * net->w), (int)(net->max_ratio * net->w), n);

    float avg = -1;
    double top1 = NAN, topk = NAN;
    long evaluated = -1;
    while ((long)get_current_batch(net) < net->max_batches) {
        double t0 = dt_now();
        dt_train__fill_batch(&c);
        printf("Loaded: %lf seconds\n", dt_now() - t0);
        t0 = dt_now();
        float loss = train_network(net, c.batch);
        double secs = dt_now() - t0;
        if (avg == -1) avg = loss;
        avg = avg * .9f + loss * .1f;
        long it = (long)get_current_batch(net);
        float rate = get_current_rate(net);
        printf("%ld, %.3f: %f, %f avg, %f rate, %lf seconds, %ld images\n", it, (float)(*net->seen) / n, loss, avg,
               rate, secs, (long)*net->seen);
        dt_train_rec r = dt_train__rec(DT_REC_ITER, it);
        r.loss = loss;
        r.avg = avg;
        r.rate = rate;
        r.seconds = secs;
        if (dt_train__send(&c, &r) != 0) return 1;
        if (spec->valid && spec->eval_interval > 0 && it % spec->eval_interval == 0) {
            if (dt_train__evaluate(&c, it, &top1, &topk) != 0) return 1;
            evaluated = it;
        }
    }
    long it = (long)get_current_batch(net);
    if (spec->valid && evaluated != it && dt_train__evaluate(&c, it, &top1, &topk) != 0) return 1;
    printf("Saving weights to %s\n", spec->weights_out);
    fflush(stdout);
    char *out = dt_xstrdup(spec->weights_out);
    save_weights(net, out);
    free(out);

    dt_train_rec done = dt_train__rec(DT_REC_DONE, it);
    done.avg = avg;
    done.top1 = top1;
    done.topk = topk;
    done.metric = spec->metric == DT_METRIC_LOSS ? avg : spec->metric == DT_METRIC_TOP5 ? topk : top1;
    int rc = dt_train__send(&c, &done) == 0 ? 0 : 1;
    free(c.batch.X.vals), free(c.batch.y.vals), free(c.xbuf), free(c.ybuf), free(c.pixels);
    free_network(net);
    return rc;
}
