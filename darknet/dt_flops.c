/* dt_flops: a cfg's operations per image, as Darknet counts them (see dt_flops.h).
 *
 * The walk follows pjreddie's parse_network_cfg (the Debian darknet, 2018): [net]
 * gives the input's width, height and channels; every later section is one layer
 * whose output (w, h, c and the flat size `outputs`) is the next layer's input.
 * Layers that Darknet makes flat (softmax, cost, detection, a route of unequal
 * sizes) output w = h = c = 0, and a layer that needs an image after them is refused,
 * as Darknet refuses it ("Layer before convolutional layer must output image").
 *
 * What counts: Darknet prints "BFLOPs" for [convolutional] layers alone, as
 * 2 * filters * size^2 * (channels / groups) * out_h * out_w: one multiply and one
 * add per weight and output pixel. No fork prints a count for [connected], [local],
 * [deconvolutional], pooling, route, shortcut or the detection heads (pjreddie's
 * connected layer prints "connected in -> out" and nothing more; AlexeyAB's the
 * same), so they add 0 here too: the number is Darknet's own, comparable with its
 * console and with users' figures (yolov3-tiny's "5.6 BFLOPs"). For the networks
 * darktune tunes, convolutions are all but the whole cost (fashion.cfg's
 * [connected] head is 31,360 operations against 8.2 million in its convolutions).
 *
 * Not here: AlexeyAB-only layers and keys ([sam], [scale_channels], stride_x,
 * dilation, ...) and recurrent layers: refused by name, never guessed. [Gaussian_yolo]
 * is walked (a head: no count, its input's channels checked). */
#include "dt_flops.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* No layer of a real network comes near this: a bound that keeps every product
 * below in range (and refuses a typo such as width=4160000). */
#define DT_FLOPS__MAX_DIM 1000000L
#define DT_FLOPS__MAX_OUTPUTS (1L << 40)

/* What a layer hands the next one. */
typedef struct dt_flops__shape {
    long w, h, c;     /* 0, 0, 0: a flat output */
    long outputs;     /* w * h * c for an image; a flat layer's own count */
} dt_flops__shape;

/* The walk over one cfg: where messages point, and each layer's output so far. */
typedef struct dt_flops__walk {
    const dt_cfg *cfg;
    int sec;                  /* the section being read */
    const char *type;         /* its name, without brackets */
    dt_flops__shape *out;     /* out[l]: layer l's output (l = section - 1) */
    dt_err *err;
} dt_flops__walk;

/* "FILE:LINE: [type] what" into err; LINE is line when > 0, else the section's header. */
static int dt_flops__fail(const dt_flops__walk *k, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int dt_flops__fail(const dt_flops__walk *k, int line, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (line <= 0) line = dt_cfg_section_line(k->cfg, k->sec);
    dt_errf(k->err, "%s:%d: [%s] %s", dt_cfg_name(k->cfg), line, k->type, what);
    k->err->line = line;
    return -1;
}

/* The value of key in the current section (the first one, as Darknet's option_find),
 * NULL when absent; *line gets its line. */
static const char *dt_flops__val(const dt_flops__walk *k, const char *key, int *line)
{
    const char *const *keys, *const *vals;
    const int *lines;
    int n = dt_cfg_keys(k->cfg, k->sec, &keys, &vals, &lines);
    for (int i = 0; i < n; i++)
        if (strcmp(keys[i], key) == 0) {
            *line = lines[i];
            return vals[i];
        }
    *line = 0;
    return NULL;
}

/* An integer key, def when absent. Darknet reads it with atoi (so "3x" is 3 and
 * "x" is 0): a value that is not a whole number is refused here, not guessed. */
static int dt_flops__int(const dt_flops__walk *k, const char *key, long def, long *out)
{
    int line;
    const char *v = dt_flops__val(k, key, &line);
    if (!v) {
        *out = def;
        return 0;
    }
    if (dt_parse_long(v, out) != 0 || *out < -DT_FLOPS__MAX_DIM || *out > DT_FLOPS__MAX_DIM)
        return dt_flops__fail(k, line, "%s=%s: not an integer from %ld to %ld", key, v, -DT_FLOPS__MAX_DIM,
                              DT_FLOPS__MAX_DIM);
    return 0;
}

/* A key that must be at least min. */
static int dt_flops__int_min(const dt_flops__walk *k, const char *key, long def, long min, long *out)
{
    if (dt_flops__int(k, key, def, out) != 0) return -1;
    if (*out >= min) return 0;
    int line;
    dt_flops__val(k, key, &line);
    return dt_flops__fail(k, line, "%s=%ld: must be at least %ld", key, *out, min);
}

/* The layer index a route or shortcut names: negative counts back from layer l. */
static int dt_flops__index(const dt_flops__walk *k, int l, const char *key, const char *text, int line, long *at)
{
    if (dt_parse_long(text, at) != 0) return dt_flops__fail(k, line, "%s: '%s' is not a layer number", key, text);
    long abs = *at < 0 ? l + *at : *at;
    if (abs < 0 || abs >= l)
        return dt_flops__fail(k, line, "%s: layer %ld is not an earlier layer (this is layer %d)", key, *at, l);
    *at = abs;
    return 0;
}

/* in must be an image, for a layer that reads one. */
static int dt_flops__image(const dt_flops__walk *k, const dt_flops__shape *in)
{
    if (in->w > 0 && in->h > 0 && in->c > 0) return 0;
    return dt_flops__fail(k, 0, "needs an image as input, but the layer before it outputs a flat vector of %ld",
                          in->outputs);
}

/* An image output; refused when it is empty or too large. */
static int dt_flops__set_image(const dt_flops__walk *k, dt_flops__shape *o, long w, long h, long c)
{
    if (w <= 0 || h <= 0 || c <= 0)
        return dt_flops__fail(k, 0, "its output would be %ld x %ld x %ld: the input is too small for it", w, h, c);
    if (w > DT_FLOPS__MAX_DIM || h > DT_FLOPS__MAX_DIM || c > DT_FLOPS__MAX_DIM ||
        (double)w * h * c > (double)DT_FLOPS__MAX_OUTPUTS)
        return dt_flops__fail(k, 0, "its output %ld x %ld x %ld is too large", w, h, c);
    *o = (dt_flops__shape){w, h, c, w * h * c};
    return 0;
}

/* Refuses the keys AlexeyAB's fork added to a layer that change its output size or
 * its work (listed in keys, NULL-terminated): pjreddie's parser ignores them, so a
 * count that ignored them too would be wrong for the fork that reads them. */
static int dt_flops__forked_keys(const dt_flops__walk *k, const char *const *keys)
{
    for (; *keys; keys++) {
        int line;
        const char *v = dt_flops__val(k, *keys, &line);
        if (v) return dt_flops__fail(k, line, "%s=%s: AlexeyAB's key, which changes the layer's size or work; "
                                     "dt_flops counts pjreddie's layers", *keys, v);
    }
    return 0;
}

/* [convolutional]: pad=1 means padding = size/2 (pjreddie ignores `padding` then). */
static int dt_flops__conv(const dt_flops__walk *k, const dt_flops__shape *in, dt_flops__shape *o, double *ops)
{
    static const char *const forked[] = {"stride_x", "stride_y", "dilation", "antialiasing", "share_index",
                                         "sway", "rotate", "stretch", "stretch_sway", NULL};
    long n, size, stride, pad, padding, groups;
    if (dt_flops__forked_keys(k, forked) || dt_flops__int_min(k, "filters", 1, 1, &n) || dt_flops__int_min(k, "size", 1, 1, &size) ||
        dt_flops__int_min(k, "stride", 1, 1, &stride) || dt_flops__int(k, "pad", 0, &pad) ||
        dt_flops__int_min(k, "padding", 0, 0, &padding) || dt_flops__int_min(k, "groups", 1, 1, &groups) ||
        dt_flops__image(k, in))
        return -1;
    if (pad) padding = size / 2;
    if (in->c % groups != 0) {
        int line;
        dt_flops__val(k, "groups", &line);
        return dt_flops__fail(k, line, "groups=%ld does not divide its %ld input channels", groups, in->c);
    }
    long ow = (in->w + 2 * padding - size) / stride + 1, oh = (in->h + 2 * padding - size) / stride + 1;
    if (in->w + 2 * padding < size || in->h + 2 * padding < size) ow = oh = 0;
    if (dt_flops__set_image(k, o, ow, oh, n) != 0) return -1;
    *ops = 2.0 * n * size * size * (double)(in->c / groups) * oh * ow;
    return 0;
}

/* [deconvolutional]: the transposed convolution; Darknet prints no count for it. */
static int dt_flops__deconv(const dt_flops__walk *k, const dt_flops__shape *in, dt_flops__shape *o)
{
    long n, size, stride, pad, padding;
    if (dt_flops__int_min(k, "filters", 1, 1, &n) || dt_flops__int_min(k, "size", 1, 1, &size) ||
        dt_flops__int_min(k, "stride", 1, 1, &stride) || dt_flops__int(k, "pad", 0, &pad) ||
        dt_flops__int_min(k, "padding", 0, 0, &padding) || dt_flops__image(k, in))
        return -1;
    if (pad) padding = size / 2;
    return dt_flops__set_image(k, o, (in->w - 1) * stride + size - 2 * padding,
                               (in->h - 1) * stride + size - 2 * padding, n);
}

/* [local]: unshared weights; pjreddie's local_out_height: pad=1 keeps the size (at
 * stride 1), pad=0 loses `size` pixels. Darknet prints no count for it. */
static int dt_flops__local(const dt_flops__walk *k, const dt_flops__shape *in, dt_flops__shape *o)
{
    long n, size, stride, pad;
    if (dt_flops__int_min(k, "filters", 1, 1, &n) || dt_flops__int_min(k, "size", 1, 1, &size) ||
        dt_flops__int_min(k, "stride", 1, 1, &stride) || dt_flops__int(k, "pad", 0, &pad) ||
        dt_flops__image(k, in))
        return -1;
    long cut = pad ? 1 : size;
    if (in->w < cut || in->h < cut) return dt_flops__set_image(k, o, 0, 0, n);
    return dt_flops__set_image(k, o, (in->w - cut) / stride + 1, (in->h - cut) / stride + 1, n);
}

/* [maxpool]: size defaults to stride, padding to size - 1 (pjreddie and AlexeyAB),
 * and the padding is the total of both sides: out = (w + padding - size) / stride + 1. */
static int dt_flops__maxpool(const dt_flops__walk *k, const dt_flops__shape *in, dt_flops__shape *o)
{
    static const char *const forked[] = {"stride_x", "stride_y", "maxpool_depth", "out_channels", "antialiasing",
                                         NULL};
    long stride, size, padding;
    if (dt_flops__forked_keys(k, forked) || dt_flops__int_min(k, "stride", 1, 1, &stride) || dt_flops__int_min(k, "size", stride, 1, &size) ||
        dt_flops__int_min(k, "padding", size - 1, 0, &padding) || dt_flops__image(k, in))
        return -1;
    if (in->w + padding < size || in->h + padding < size) return dt_flops__set_image(k, o, 0, 0, in->c);
    return dt_flops__set_image(k, o, (in->w + padding - size) / stride + 1, (in->h + padding - size) / stride + 1,
                               in->c);
}

/* [route]: the named layers' outputs one after the other. Channels add up when every
 * one has the first one's width and height; otherwise Darknet makes the output flat. */
static int dt_flops__route(const dt_flops__walk *k, int l, dt_flops__shape *o)
{
    int line;
    const char *v = dt_flops__val(k, "layers", &line);
    if (!v || !*v) return dt_flops__fail(k, 0, "has no layers=");
    char *list = dt_xstrdup(v);
    int first = 1, rc = 0;
    *o = (dt_flops__shape){0, 0, 0, 0};
    for (char *save = NULL, *item = strtok_r(list, ",", &save); item && rc == 0; item = strtok_r(NULL, ",", &save)) {
        long at;
        if ((rc = dt_flops__index(k, l, "layers", dt_trim(item), line, &at)) != 0) break;
        const dt_flops__shape *s = &k->out[at];
        if (first) {
            *o = *s;
            first = 0;
            continue;
        }
        o->outputs += s->outputs;
        if (s->w == o->w && s->h == o->h && o->c > 0) o->c += s->c;
        else o->w = o->h = o->c = 0;
    }
    free(list);
    if (rc == 0 && first) rc = dt_flops__fail(k, line, "layers=%s names no layer", v);
    return rc;
}

/* [shortcut]: adds layer `from` to its input; the output is the input's shape. */
static int dt_flops__shortcut(const dt_flops__walk *k, int l, const dt_flops__shape *in, dt_flops__shape *o)
{
    int line;
    const char *v = dt_flops__val(k, "from", &line);
    long at;
    if (!v) return dt_flops__fail(k, 0, "has no from=");
    if (dt_flops__index(k, l, "from", v, line, &at) != 0 || dt_flops__image(k, in) != 0) return -1;
    *o = *in;
    return 0;
}

/* [upsample]: stride s multiplies width and height; a negative one divides them. */
static int dt_flops__upsample(const dt_flops__walk *k, const dt_flops__shape *in, dt_flops__shape *o)
{
    long s;
    if (dt_flops__int(k, "stride", 2, &s) || dt_flops__image(k, in)) return -1;
    if (s == 0) return dt_flops__fail(k, 0, "stride=0");
    if (s < 0) return dt_flops__set_image(k, o, in->w / -s, in->h / -s, in->c);
    return dt_flops__set_image(k, o, in->w * s, in->h * s, in->c);
}

/* [reorg]: pjreddie's space-to-depth by stride (or back, reverse=1); extra=N makes
 * the output flat with N values more. */
static int dt_flops__reorg(const dt_flops__walk *k, const dt_flops__shape *in, dt_flops__shape *o)
{
    long s, reverse, extra;
    if (dt_flops__int_min(k, "stride", 1, 1, &s) || dt_flops__int(k, "reverse", 0, &reverse) ||
        dt_flops__int_min(k, "extra", 0, 0, &extra) || dt_flops__image(k, in))
        return -1;
    if (extra) {
        *o = (dt_flops__shape){0, 0, 0, in->outputs + extra};
        return 0;
    }
    if (reverse) return dt_flops__set_image(k, o, in->w * s, in->h * s, in->c / (s * s));
    return dt_flops__set_image(k, o, in->w / s, in->h / s, in->c * s * s);
}

/* How many boxes a [yolo]'s mask names (num when there is no mask): pjreddie counts
 * the commas. */
static long dt_flops__mask_count(const dt_flops__walk *k, long num)
{
    int line;
    const char *m = dt_flops__val(k, "mask", &line);
    if (!m) return num;
    long n = 1;
    for (const char *p = m; *p; p++) n += *p == ',';
    return n;
}

/* [yolo], [Gaussian_yolo], [region]: a head over its input's grid, which must hold
 * exactly boxes x (classes + per_box) channels (Darknet asserts it). */
static int dt_flops__head(const dt_flops__walk *k, const dt_flops__shape *in, dt_flops__shape *o, int yolo,
                          long per_box)
{
    long classes, num, coords = 4;
    if (dt_flops__int_min(k, "classes", 20, 0, &classes) || dt_flops__int_min(k, "num", 1, 1, &num) ||
        (!yolo && dt_flops__int_min(k, "coords", 4, 0, &coords)) || dt_flops__image(k, in))
        return -1;
    long boxes = yolo ? dt_flops__mask_count(k, num) : num;
    long want = boxes * (classes + (yolo ? per_box : coords + 1));
    if (in->c != want)
        return dt_flops__fail(k, 0, "wants %ld channels (%ld boxes x (classes %ld + %ld)), but its input has %ld: "
                              "set filters=%ld in the layer before it", want, boxes, classes, want / boxes - classes,
                              in->c, want);
    *o = *in;
    return 0;
}

/* [crop]: crop_width x crop_height of the image (pjreddie's first layer of some classifiers). */
static int dt_flops__crop(const dt_flops__walk *k, const dt_flops__shape *in, dt_flops__shape *o)
{
    long ch, cw;
    if (dt_flops__int_min(k, "crop_height", 1, 1, &ch) || dt_flops__int_min(k, "crop_width", 1, 1, &cw) ||
        dt_flops__image(k, in))
        return -1;
    return dt_flops__set_image(k, o, cw, ch, in->c);
}

/* One layer: its output into *o and its operations into *ops. */
static int dt_flops__layer(const dt_flops__walk *k, int l, const dt_flops__shape *in, dt_flops__shape *o,
                           double *ops)
{
    const char *t = k->type;
    *ops = 0;
#define IS(a) (strcmp(t, a) == 0)
    if (IS("convolutional") || IS("conv")) return dt_flops__conv(k, in, o, ops);
    if (IS("deconvolutional") || IS("deconv")) return dt_flops__deconv(k, in, o);
    if (IS("local")) return dt_flops__local(k, in, o);
    if (IS("maxpool") || IS("max")) return dt_flops__maxpool(k, in, o);
    if (IS("route")) return dt_flops__route(k, l, o);
    if (IS("shortcut")) return dt_flops__shortcut(k, l, in, o);
    if (IS("upsample")) return dt_flops__upsample(k, in, o);
    if (IS("reorg")) return dt_flops__reorg(k, in, o);
    if (IS("yolo")) return dt_flops__head(k, in, o, 1, 5);
    if (IS("Gaussian_yolo")) return dt_flops__head(k, in, o, 1, 9);   /* 4 coordinates, 4 sigmas, objectness */
    if (IS("region")) return dt_flops__head(k, in, o, 0, 0);
    if (IS("crop")) return dt_flops__crop(k, in, o);
    if (IS("avgpool") || IS("avg")) {
        if (dt_flops__image(k, in) != 0) return -1;
        *o = (dt_flops__shape){1, 1, in->c, in->c};
        return 0;
    }
    if (IS("connected") || IS("conn")) {
        long n;
        if (dt_flops__int_min(k, "output", 1, 1, &n) != 0) return -1;
        *o = (dt_flops__shape){1, 1, n, n};
        return 0;
    }
    /* Same shape out as in. */
    if (IS("dropout") || IS("activation") || IS("logistic") || IS("l2norm") || IS("batchnorm") ||
        IS("normalization") || IS("lrn")) {
        *o = *in;
        return 0;
    }
    /* Flat: the values go on, the image is gone. */
    if (IS("softmax") || IS("soft") || IS("cost") || IS("detection")) {
        *o = (dt_flops__shape){0, 0, 0, in->outputs};
        return 0;
    }
#undef IS
    if (strcmp(t, "net") == 0 || strcmp(t, "network") == 0) return dt_flops__fail(k, 0, "comes after the first layer");
    return dt_flops__fail(k, 0, "a layer type darktune cannot count (it walks pjreddie's convolutional, "
                          "deconvolutional, local, connected, maxpool, avgpool, route, shortcut, upsample, reorg, "
                          "crop, dropout, softmax, cost, yolo, region, detection layers and a few more)");
}

int dt_flops_layers(const dt_cfg *c, double *layer, int n, dt_err *err)
{
    int nsec = dt_cfg_nsections(c);
    dt_flops__walk k = {.cfg = c, .sec = 0, .type = "net", .err = err};
    if (nsec < 1 || (strcmp(dt_cfg_section(c, 0), "net") != 0 && strcmp(dt_cfg_section(c, 0), "network") != 0))
        return dt_errf(err, "%s:%d: the first section must be [net] or [network]", dt_cfg_name(c),
                       dt_cfg_section_line(c, 0));
    long w, h, ch, inputs;
    if (dt_flops__int_min(&k, "width", 0, 0, &w) || dt_flops__int_min(&k, "height", 0, 0, &h) ||
        dt_flops__int_min(&k, "channels", 0, 0, &ch) || dt_flops__int_min(&k, "inputs", w * h * ch, 0, &inputs))
        return -1;
    dt_flops__shape in = {w, h, ch, inputs};
    if (nsec < 2) return dt_errf(err, "%s: no layer after [net]", dt_cfg_name(c));
    k.out = dt_xcalloc((size_t)nsec, sizeof *k.out);
    for (int s = 1; s < nsec; s++) {
        k.sec = s;
        k.type = dt_cfg_section(c, s);
        double ops;
        if (dt_flops__layer(&k, s - 1, &in, &k.out[s - 1], &ops) != 0) {
            free(k.out);
            return -1;
        }
        if (s - 1 < n) layer[s - 1] = ops / 1e9;
        in = k.out[s - 1];
    }
    free(k.out);
    return nsec - 1;
}

int dt_flops_cfg(const dt_cfg *c, double *bflops, dt_err *err)
{
    *bflops = 0;
    int n = dt_flops_layers(c, NULL, 0, err);
    if (n < 0) return -1;
    double *layer = dt_xcalloc((size_t)n, sizeof *layer);
    dt_flops_layers(c, layer, n, err);
    /* Summed in layer order, as a reader adds up Darknet's table. */
    for (int i = 0; i < n; i++) *bflops += layer[i];
    free(layer);
    return 0;
}
