/* dt_lrfind: the learning-rate range test: its schedule, its curve, the rule that
 * reads a range off the curve, the curve drawn (SVG, text) and written (CSV), and
 * the run itself (see dt_lrfind.h). */
#include "dt_lrfind.h"

#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt_gpu.h"
#include "dt_out.h"
#include "dt_runner.h"

int dt_lrfind_check(const dt_lrfind_opts *o, dt_err *err)
{
    if (!(o->from > 0) || !isfinite(o->from))
        return dt_errf(err, "--from must be a learning rate above 0, not %g", o->from);
    if (!(o->to > 0) || !isfinite(o->to))
        return dt_errf(err, "--to must be a learning rate above 0, not %g", o->to);
    if (!(o->from < o->to))
        return dt_errf(err, "--from %g must be below --to %g: the rate grows from one to the other", o->from, o->to);
    if (o->iterations < DT_LRFIND_MIN_ITERATIONS || o->iterations > DT_LRFIND_MAX_ITERATIONS)
        return dt_errf(err, "--iterations must be from %ld to %ld, not %ld", DT_LRFIND_MIN_ITERATIONS,
                       DT_LRFIND_MAX_ITERATIONS, o->iterations);
    /* Darknet keeps both rates as floats: each end must be a float other than 0. */
    if ((float)o->from < 1e-30f || (float)o->to > 1e30f)
        return dt_errf(err, "--from %g and --to %g must lie between 1e-30 and 1e30 (Darknet's floats)", o->from,
                       o->to);
    return 0;
}

double dt_lrfind_gamma(const dt_lrfind_opts *o)
{
    /* from * gamma^iterations = to. In logs: no overflow for any range that passes the check. */
    return exp((log(o->to) - log(o->from)) / (double)o->iterations);
}

/* The shortest %g text that reads back (as Darknet reads it: strtod, then a float)
 * as the float f. */
static void dt_lrfind__float_text(float f, char *buf, size_t n)
{
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(buf, n, "%.*g", digits, (double)f);
        if ((float)strtod(buf, NULL) == f) return;
    }
}

void dt_lrfind_texts(const dt_lrfind_opts *o, char *lr, char *gamma, size_t n)
{
    dt_lrfind__float_text((float)o->from, lr, n);
    dt_lrfind__float_text((float)dt_lrfind_gamma(o), gamma, n);
}

double dt_lrfind_rate(const dt_lrfind_opts *o, long iteration)
{
    /* Darknet's exp policy: learning_rate * pow(gamma, batch_num), both floats
     * widened to double; the result is then a float again. */
    float lr = (float)o->from, gamma = (float)dt_lrfind_gamma(o);
    return (float)((double)lr * pow((double)gamma, (double)iteration));
}

int dt_lrfind_schedule(dt_cfg *c, const dt_lrfind_opts *o, dt_fork fork, dt_err *err)
{
    char lr[32], gamma[32], its[32];
    dt_lrfind_texts(o, lr, gamma, sizeof lr);
    snprintf(its, sizeof its, "%ld", o->iterations);
    if (dt_cfg_set(c, "net", "learning_rate", lr) != 0) return dt_errf(err, "the cfg has no [net] section");
    dt_cfg_set(c, "net", "policy", "exp");
    dt_cfg_set(c, "net", "gamma", gamma);
    /* burn_in would scale the first rates by (i / burn_in)^power: none. */
    dt_cfg_set(c, "net", "burn_in", "0");
    dt_cfg_set(c, "net", "max_batches", its);
    dt_cfg_drop_policy_keys(c, fork);
    return 0;
}

void dt_lrfind_curve_init(dt_lrfind_curve *c, long iterations)
{
    memset(c, 0, sizeof *c);
    c->window = iterations / 20.0 > 2 ? iterations / 20.0 : 2;
    c->beta = 1 - 1 / c->window;
    c->best = INFINITY;
}

void dt_lrfind_curve_free(dt_lrfind_curve *c)
{
    free(c->p);
    memset(c, 0, sizeof *c);
}

int dt_lrfind_curve_add(dt_lrfind_curve *c, long iteration, double rate, double loss)
{
    if (c->diverged) return 1;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 128;
        c->p = dt_xrealloc(c->p, sizeof *c->p * (size_t)c->cap);
    }
    dt_lrfind_point *p = &c->p[c->n++];
    *p = (dt_lrfind_point){.iteration = iteration, .rate = rate, .loss = loss, .smoothed = NAN};
    if (!isfinite(loss)) {
        snprintf(c->why, sizeof c->why, "loss %s", isnan(loss) ? "nan" : "inf");
        c->diverged = 1;
        return 1;
    }
    c->ema = c->beta * c->ema + (1 - c->beta) * loss;
    p->smoothed = c->ema / (1 - pow(c->beta, c->n));
    /* Judged once a whole window is in the average, so one bad first batch is not
     * divergence; and only against a positive minimum (a ratio means nothing else). */
    if (c->n >= c->window && c->best > 0 && p->smoothed > DT_LRFIND_DIVERGE * c->best) {
        snprintf(c->why, sizeof c->why, "smoothed loss %.3g, over %gx its minimum %.3g", p->smoothed,
                 DT_LRFIND_DIVERGE, c->best);
        c->diverged = 1;
        return 1;
    }
    if (p->smoothed < c->best) c->best = p->smoothed;
    return 0;
}

/* x rounded to 2 significant digits, up (dir > 0) or down, as the double that its
 * decimal text reads as. Darknet's rates are floats: a value within float noise of
 * a 2-digit number (0.0099999808 for 0.01: the float gamma's error grows with each
 * power) is that number. */
static double dt_lrfind__round2(double x, int dir)
{
    int e = (int)floor(log10(x)) - 1;
    double q = x / pow(10, e);
    double r = fabs(q - nearbyint(q)) < 1e-4 * q ? nearbyint(q) : dir > 0 ? ceil(q) : floor(q);
    char text[32];
    snprintf(text, sizeof text, "%.0fe%d", r, e);
    return strtod(text, NULL);
}

int dt_lrfind_suggest(const dt_lrfind_curve *c, const dt_lrfind_opts *o, dt_lrfind_pick *pk)
{
    memset(pk, 0, sizeof *pk);
    pk->steep = pk->minimum = pk->end = -1;
    /* The points with a smoothed loss: all but a last one whose loss was not finite. */
    int m = c->n;
    if (m && isnan(c->p[m - 1].smoothed)) m--;
    if (c->n) {
        pk->end = c->n - 1;
        pk->end_rate = c->p[pk->end].rate;
        pk->diverged = c->diverged;
    }
    if (m < 3) {
        if (c->diverged)
            snprintf(pk->why, sizeof pk->why, "the loss diverged at once (%s at rate %.3g, iteration %ld): start "
                     "lower (--from)", c->why, pk->end_rate, c->p[pk->end].iteration);
        else snprintf(pk->why, sizeof pk->why, "too few iterations to read (%d)", c->n);
        return -1;
    }
    for (int i = 0; i < m; i++)
        if (pk->minimum < 0 || c->p[i].smoothed < c->p[pk->minimum].smoothed) pk->minimum = i;
    /* The steepest descent: the most negative slope of the smoothed loss against
     * ln(rate), as a centred difference over a window each side (on Darknet's
     * batch-to-batch noise a narrower one wanders along a long descent), up to the
     * minimum (past it the loss no longer falls). */
    int h = (int)lround(c->window);
    double steepest = 0;
    for (int i = 1; i <= pk->minimum; i++) {
        int a = i - h > 0 ? i - h : 0, b = i + h < m ? i + h : m - 1;
        double dx = log(c->p[b].rate) - log(c->p[a].rate);
        if (!(dx > 0)) continue;
        double slope = (c->p[b].smoothed - c->p[a].smoothed) / dx;
        if (slope < steepest) {
            steepest = slope;
            pk->steep = i;
        }
    }
    double first = c->p[0].smoothed, low = c->p[pk->minimum].smoothed;
    if (pk->steep < 0 || !(low < first * 0.9)) {
        snprintf(pk->why, sizeof pk->why, "the smoothed loss never fell by a tenth (%.3g at rate %.3g, at best %.3g "
                 "at %.3g): %s", first, c->p[0].rate, low, c->p[pk->minimum].rate,
                 c->diverged ? "it diverged first; start lower (--from)" : "try higher rates (--to) or more "
                 "iterations");
        return -1;
    }
    pk->steep_rate = c->p[pk->steep].rate;
    double a = pk->steep_rate / DT_LRFIND_BELOW_STEEP, b = pk->end_rate / DT_LRFIND_BELOW_END;
    if (a < o->from) {
        a = o->from;
        pk->low_clamped = 1;
    }
    if (b > o->to) b = o->to;
    /* Inwards, so that the range stays inside [from, to] once rounded. */
    a = dt_lrfind__round2(a, 1);
    b = dt_lrfind__round2(b, -1);
    if (a < o->from) a = o->from;
    if (b > o->to) b = o->to;
    pk->low = a;
    pk->high = b;
    if (!(a < b)) {
        snprintf(pk->why, sizeof pk->why, "the steepest descent (%.3g) and the %s (%.3g) are too close for a range",
                 pk->steep_rate, pk->diverged ? "divergence" : "last rate", pk->end_rate);
        return -1;
    }
    pk->ok = 1;
    return 0;
}

int dt_lrfind_write_csv(const dt_lrfind_curve *c, const char *path, dt_err *err)
{
    dt_buf b = {0};
    dt_buf_printf(&b, "iteration,rate,loss,smoothed\n");
    for (int i = 0; i < c->n; i++) {
        const dt_lrfind_point *p = &c->p[i];
        dt_buf_printf(&b, "%ld,%.9g,%.9g,", p->iteration, p->rate, p->loss);
        if (!isnan(p->smoothed)) dt_buf_printf(&b, "%.9g", p->smoothed);
        dt_buf_add(&b, "\n", 1);
    }
    int rc = dt_write_file(path, b.p, b.len, err);
    dt_buf_free(&b);
    return rc;
}

/* The loss axis of both pictures: 0 to a round number above the smoothed curve
 * before its divergence point (losses above it, the blow-up among them, are drawn
 * at the top); *step: its tick spacing. */
static double dt_lrfind__top(const dt_lrfind_curve *c, double *step)
{
    double top = 0;
    int n = c->diverged && c->n > 1 ? c->n - 1 : c->n;
    for (int i = 0; i < n; i++)
        if (isfinite(c->p[i].smoothed) && c->p[i].smoothed > top) top = c->p[i].smoothed;
    if (!(top > 0))
        for (int i = 0; i < c->n; i++)
            if (isfinite(c->p[i].loss) && c->p[i].loss > top) top = c->p[i].loss;
    if (!(top > 0)) top = 1;
    double raw = top / 5, mag = pow(10, floor(log10(raw))), s = 10 * mag;
    const double nice[] = {1, 2, 2.5, 5};
    for (size_t k = 0; k < sizeof nice / sizeof *nice; k++)
        if (nice[k] * mag >= raw) {
            s = nice[k] * mag;
            break;
        }
    *step = s;
    return ceil(top / s - 1e-9) * s;
}

/* The SVG's plot area, in pixels. */
#define SVG_W 760
#define SVG_H 480
#define SVG_X0 70.0
#define SVG_X1 735.0
#define SVG_Y0 50.0
#define SVG_Y1 400.0

static double dt_lrfind__sx(const dt_lrfind_opts *o, double rate)
{
    double l0 = log10(o->from), l1 = log10(o->to);
    return SVG_X0 + (log10(rate) - l0) / (l1 - l0) * (SVG_X1 - SVG_X0);
}

static double dt_lrfind__sy(double v, double top)
{
    if (v > top) v = top;
    if (v < 0) v = 0;
    return SVG_Y1 - v / top * (SVG_Y1 - SVG_Y0);
}

/* text with &, <, >, " escaped for XML. */
static void dt_lrfind__xml(dt_buf *out, const char *text)
{
    for (const char *s = text; *s; s++) {
        switch (*s) {
        case '&': dt_buf_printf(out, "&amp;"); break;
        case '<': dt_buf_printf(out, "&lt;"); break;
        case '>': dt_buf_printf(out, "&gt;"); break;
        case '"': dt_buf_printf(out, "&quot;"); break;
        default: dt_buf_add(out, s, 1);
        }
    }
}

/* One polyline through the points' losses (smoothed: 1) that are finite. */
static void dt_lrfind__polyline(dt_buf *out, const dt_lrfind_curve *c, const dt_lrfind_opts *o, double top,
                                int smoothed, const char *attrs)
{
    dt_buf_printf(out, "<polyline class=\"%s\" fill=\"none\" %s points=\"", smoothed ? "smoothed" : "loss", attrs);
    for (int i = 0, k = 0; i < c->n; i++) {
        double v = smoothed ? c->p[i].smoothed : c->p[i].loss;
        if (!isfinite(v)) continue;
        dt_buf_printf(out, "%s%.1f,%.1f", k++ ? " " : "", dt_lrfind__sx(o, c->p[i].rate), dt_lrfind__sy(v, top));
    }
    dt_buf_printf(out, "\"/>\n");
}

/* A dashed vertical line at rate with a label at its top. */
static void dt_lrfind__marker(dt_buf *out, const dt_lrfind_opts *o, double rate, const char *colour,
                              const char *label, int row)
{
    double x = dt_lrfind__sx(o, rate);
    dt_buf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\" "
                  "stroke-dasharray=\"5 4\"/>\n", x, SVG_Y0, x, SVG_Y1, colour);
    dt_buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" text-anchor=\"%s\">%s</text>\n",
                  x + (x > (SVG_X0 + SVG_X1) / 2 ? -4 : 4), SVG_Y0 + 14 + 14 * row, colour,
                  x > (SVG_X0 + SVG_X1) / 2 ? "end" : "start", label);
}

void dt_lrfind_svg(const dt_lrfind_curve *c, const dt_lrfind_opts *o, const dt_lrfind_pick *pk,
                   const char *title, dt_buf *out)
{
    double step, top = dt_lrfind__top(c, &step);
    dt_buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "font-family=\"sans-serif\" font-size=\"12\">\n<title>", SVG_W, SVG_H, SVG_W, SVG_H);
    dt_lrfind__xml(out, title);
    dt_buf_printf(out, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", SVG_W, SVG_H);
    dt_buf_printf(out, "<text x=\"%.0f\" y=\"28\" font-size=\"15\">", SVG_X0);
    dt_lrfind__xml(out, title);
    dt_buf_printf(out, "</text>\n");
    if (pk && pk->ok) {
        double a = dt_lrfind__sx(o, pk->low), b = dt_lrfind__sx(o, pk->high);
        dt_buf_printf(out, "<rect class=\"range\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                      "fill=\"#2ca02c\" fill-opacity=\"0.13\"/>\n", a, SVG_Y0, b - a, SVG_Y1 - SVG_Y0);
    }
    /* Grid and tick labels: every decade of rate, every step of loss. */
    for (int d = (int)ceil(log10(o->from) - 1e-9); d <= (int)floor(log10(o->to) + 1e-9); d++) {
        double x = dt_lrfind__sx(o, pow(10, d));
        dt_buf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", x, SVG_Y0, x, SVG_Y1, x,
                      SVG_Y1 + 17, pow(10, d));
    }
    for (double v = 0; v <= top + step / 2; v += step) {
        double y = dt_lrfind__sy(v, top);
        dt_buf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", SVG_X0, y, SVG_X1, y,
                      SVG_X0 - 6, y + 4, v);
    }
    dt_buf_printf(out, "<polyline fill=\"none\" stroke=\"#333\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\"/>\n",
                  SVG_X0, SVG_Y0, SVG_X0, SVG_Y1, SVG_X1, SVG_Y1);
    dt_buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">learning rate (log scale)</text>\n",
                  (SVG_X0 + SVG_X1) / 2, SVG_Y1 + 36);
    dt_buf_printf(out, "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">loss"
                  "</text>\n", (SVG_Y0 + SVG_Y1) / 2, (SVG_Y0 + SVG_Y1) / 2);
    dt_lrfind__polyline(out, c, o, top, 0, "stroke=\"#9ecae1\" stroke-width=\"1\"");
    dt_lrfind__polyline(out, c, o, top, 1, "stroke=\"#08519c\" stroke-width=\"2\"");
    char label[96];
    if (pk && pk->steep >= 0) {
        snprintf(label, sizeof label, "steepest descent %.3g", pk->steep_rate);
        dt_lrfind__marker(out, o, pk->steep_rate, "#e6550d", label, 0);
    }
    if (pk && pk->end >= 0 && pk->diverged) {
        snprintf(label, sizeof label, "diverged %.3g", pk->end_rate);
        dt_lrfind__marker(out, o, pk->end_rate, "#d62728", label, 1);
    }
    /* The legend, and the answer in the words [space] takes. */
    double ly = SVG_Y1 + 60;
    dt_buf_printf(out, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#9ecae1\"/>"
                  "<text x=\"%.0f\" y=\"%.0f\">loss</text>\n", SVG_X0, ly - 4, SVG_X0 + 24, ly - 4, SVG_X0 + 30, ly);
    dt_buf_printf(out, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#08519c\" stroke-width=\"2\"/>"
                  "<text x=\"%.0f\" y=\"%.0f\">smoothed</text>\n", SVG_X0 + 70, ly - 4, SVG_X0 + 94, ly - 4,
                  SVG_X0 + 100, ly);
    dt_buf_printf(out, "<text x=\"%.0f\" y=\"%.0f\">", SVG_X0 + 190, ly);
    if (pk && pk->ok) dt_buf_printf(out, "suggested (shaded): learning_rate = log(%.4g, %.4g)", pk->low, pk->high);
    else if (pk) dt_lrfind__xml(out, pk->why);
    dt_buf_printf(out, "</text>\n</svg>\n");
}

void dt_lrfind_ascii(const dt_lrfind_curve *c, const dt_lrfind_opts *o, const dt_lrfind_pick *pk, int width,
                     int height, dt_buf *out)
{
    if (width < 20) width = 20;
    if (height < 4) height = 4;
    double step, top = dt_lrfind__top(c, &step);
    double l0 = log10(o->from), l1 = log10(o->to);
    char *grid = dt_xmalloc((size_t)width * height);
    memset(grid, ' ', (size_t)width * height);
#define COL(rate) ((int)lround((log10(rate) - l0) / (l1 - l0) * (width - 1)))
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < c->n; i++) {
            double v = pass ? c->p[i].smoothed : c->p[i].loss;
            if (!isfinite(v)) continue;
            int col = COL(c->p[i].rate), row = (int)lround((1 - (v > top ? top : v) / top) * (height - 1));
            if (col >= 0 && col < width && row >= 0 && row < height) grid[row * width + col] = pass ? '*' : '.';
        }
    for (int r = 0; r < height; r++) {
        if (r == 0) dt_buf_printf(out, "%8.3g |", top);
        else if (r == height - 1) dt_buf_printf(out, "%8s |", "0");
        else dt_buf_printf(out, "%8s |", r == height / 2 ? "loss" : "");
        int len = width;
        while (len > 0 && grid[r * width + len - 1] == ' ') len--;
        dt_buf_add(out, grid + (size_t)r * width, (size_t)len);
        dt_buf_add(out, "\n", 1);
    }
    dt_buf_printf(out, "%8s +", "");
    for (int i = 0; i < width; i++) dt_buf_add(out, "-", 1);
    dt_buf_add(out, "\n", 1);
    /* The decades under the axis, each label starting at its column where it fits. */
    char *line = dt_xmalloc((size_t)width + 16);
    memset(line, ' ', (size_t)width + 16);
    int used = 0;
    for (int d = (int)ceil(l0 - 1e-9); d <= (int)floor(l1 + 1e-9); d++) {
        char label[16];
        snprintf(label, sizeof label, "%g", pow(10, d));
        int col = COL(pow(10, d)), len = (int)strlen(label);
        if (col < used || col + len > width + 15) continue;
        memcpy(line + col, label, (size_t)len);
        used = col + len + 1;
    }
    int len = width + 15;
    while (len > 0 && line[len - 1] == ' ') len--;
    dt_buf_printf(out, "%8s  ", "rate");
    dt_buf_add(out, line, (size_t)len);
    dt_buf_add(out, "\n", 1);
    /* The range [===], the steepest descent s and the divergence x. */
    memset(line, ' ', (size_t)width + 16);
    if (pk && pk->ok) {
        int a = COL(pk->low), b = COL(pk->high);
        for (int i = a; i <= b && i < width; i++) line[i] = '=';
        if (a >= 0 && a < width) line[a] = '[';
        if (b >= 0 && b < width) line[b] = ']';
    }
    if (pk && pk->steep >= 0 && COL(pk->steep_rate) < width) line[COL(pk->steep_rate)] = 's';
    if (pk && pk->diverged && pk->end >= 0 && COL(pk->end_rate) < width) line[COL(pk->end_rate)] = 'x';
#undef COL
    len = width;
    while (len > 0 && line[len - 1] == ' ') len--;
    dt_buf_printf(out, "%8s  ", "");
    dt_buf_add(out, line, (size_t)len);
    dt_buf_printf(out, "\n%8s  . loss  * smoothed  s steepest descent  x divergence  [==] suggested range\n", "");
    free(line);
    free(grid);
}

/* Where the test's run writes, and what it has made: freed by dt_lrfind__done. */
typedef struct dt_lrfind__files {
    char *cfg, *data, *backup, *log;
    dt_out_base base;
    dt_runner_ctx *ctx;
    dt_run *run;
    dt_value *vals;
} dt_lrfind__files;

static void dt_lrfind__done(dt_lrfind__files *f)
{
    dt_run_free(f->run);
    dt_runner_ctx_free(f->ctx);
    dt_out_base_free(&f->base);
    free(f->cfg), free(f->data), free(f->backup), free(f->log), free(f->vals);
}

/* Writes the test's cfg and .data into dir: the base cfg with the baseline's values
 * (the base cfg's own for every parameter of the space, the sweep's fixed ones), as
 * trial 0 would train them but for the length and the schedule, which are the test's. */
static int dt_lrfind__files_write(const dt_sweep *sw, const dt_lrfind_opts *o, const char *dir,
                                  dt_lrfind__files *f, dt_err *err)
{
    f->cfg = dt_path_join(dir, "lrfind.cfg");
    f->data = dt_path_join(dir, "lrfind.data");
    f->backup = dt_path_join(dir, "backup");
    f->log = dt_path_join(dir, "log.txt");
    if (dt_mkdirs(f->backup, err) != 0 || dt_out_base_read(&f->base, sw, err) != 0) return -1;
    /* The sweep as a trial of the test's length, its schedule left alone (the test
     * replaces it): a shallow copy, read only. */
    dt_sweep t = *sw;
    t.max_batches = o->iterations;
    t.schedule_scaled = 0;
    f->vals = dt_xcalloc((size_t)sw->space.n + 1, sizeof *f->vals);
    dt_cfg *c = NULL;
    if (dt_out_baseline_values(&t, f->base.cfg, f->vals, err) != 0 ||
        dt_out_trial_cfg(&t, f->base.cfg, f->vals, &c, NULL, err) != 0)
        return -1;
    int rc = dt_lrfind_schedule(c, o, sw->fork, err);
    if (rc == 0) {
        char lr[32], gamma[32];
        dt_lrfind_texts(o, lr, gamma, sizeof lr);
        char *note = dt_xasprintf(" darktune lrfind: the learning-rate range test: the base cfg's values, "
                                  "learning_rate=%s policy=exp gamma=%s burn_in=0 max_batches=%ld: iteration i "
                                  "trains at %s * %s^i, up to %g", lr, gamma, o->iterations, lr, gamma, o->to);
        dt_cfg_prepend_comment(c, note);
        free(note);
        rc = dt_cfg_write(c, f->cfg, err);
    }
    dt_cfg_free(c);
    if (rc == 0) rc = dt_out_trial_data(&t, f->base.data, f->backup, f->data, err);
    return rc;
}

int dt_lrfind_run(const dt_sweep *sw, const dt_lrfind_opts *o, const char *dir, const dt_lrfind_hooks *hooks,
                  volatile sig_atomic_t *stop, dt_lrfind_curve *c, dt_err *err)
{
    if (sw->runner == DT_RUNNER_TABLE)
        return dt_errf(err, "runner = table replays recorded runs: the range test needs a training run "
                       "(runner = libdarknet or exec)");
    dt_lrfind__files f = {0};
    if (dt_lrfind__files_write(sw, o, dir, &f, err) != 0) {
        dt_lrfind__done(&f);
        return -1;
    }
    /* The loss is all the test reads: no validation, no eval_command. */
    dt_runner_setup setup;
    if (dt_out_runner_setup(sw, &f.base, &setup, err) != 0) {
        dt_lrfind__done(&f);
        return -1;
    }
    setup.metric = DT_METRIC_LOSS;
    setup.eval_interval = 0;
    if (dt_runner_ctx_create(&f.ctx, &setup, err) != 0) {
        dt_lrfind__done(&f);
        return -1;
    }
    int gpu = sw->ngpus ? sw->gpus[0] : sw->gpus_auto && dt_gpu_count() > 0 ? 0 : -1;
    dt_run_spec spec = {
        .ctx = f.ctx, .runner = sw->runner, .task = sw->task, .metric = DT_METRIC_LOSS, .workdir = sw->dir,
        .trial_dir = dir, .cfg = f.cfg, .data = f.data, .backup = f.backup, .weights = NULL, .log = f.log,
        .gpu = gpu, .command = sw->command, .eval_command = NULL, .max_batches = o->iterations,
        .hang_s = sw->hang_s, .timeout_s = sw->trial_timeout_s, .seed = sw->seed, .trial = 0,
    };
    if (gpu >= 0) dt_gpu_pin_order();
    if (dt_run_start(&f.run, &spec, err) != 0) {
        f.run = NULL;
        dt_lrfind__done(&f);
        return -1;
    }
    int rc = 0, stopped = 0;
    long last = 0;
    for (;;) {
        if (*stop && !stopped) {
            dt_run_stop(f.run);
            stopped = 1;
            rc = 1;
        }
        dt_event ev;
        int got = dt_run_next(f.run, &ev);
        if (got < 0) break;
        if (got == 0) {
            int fd = dt_run_fd(f.run);
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            poll(&pfd, fd >= 0 ? 1 : 0, 250);
            continue;
        }
        /* Iterations only, each once and in order (a garbled line is not data). */
        if (ev.kind != DT_EV_ITER || stopped || ev.iteration <= last) continue;
        last = ev.iteration;
        double want = dt_lrfind_rate(o, ev.iteration);
        /* Darknet's rate as it reports it: in full in-process, with 6 decimals (%f)
         * from pjreddie's console. */
        if (isfinite(ev.rate) && fabs(ev.rate - want) > 0.01 * want + 1e-6) {
            dt_run_stop(f.run);
            stopped = 1;
            rc = dt_errf(err, "Darknet trained iteration %ld at rate %g where policy=exp with gamma %.9g gives "
                         "%g: this Darknet does not follow the test's schedule (see %s)", ev.iteration, ev.rate,
                         (double)(float)dt_lrfind_gamma(o), want, f.log);
            continue;
        }
        int diverged = dt_lrfind_curve_add(c, ev.iteration, want, ev.loss);
        if (hooks && hooks->iteration) hooks->iteration(hooks->user, &c->p[c->n - 1], o->iterations);
        if (diverged) {
            dt_run_stop(f.run);
            stopped = 1;
        }
    }
    if (rc == 0 && !stopped) {
        dt_run_result res;
        dt_run_outcome(f.run, &res);
        if (!res.ok && last < o->iterations)
            rc = dt_errf(err, "the run ended at iteration %ld of %ld: %s (see %s)", last, o->iterations, res.reason,
                         f.log);
        else if (c->n == 0)
            rc = dt_errf(err, "the run printed no iteration (see %s)", f.log);
    }
    dt_lrfind__done(&f);
    return rc;
}
