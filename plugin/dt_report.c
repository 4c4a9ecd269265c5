/* dt_report: report.html (see dt_report.h).
 *
 * Each plot is an <svg> of fixed size written by hand: a frame with ticks (decades on
 * a log axis), then the marks. A value is mapped to pixels by dt_report__axis, which
 * also knows log and categorical axes, so every plot places its marks one way. Colours
 * come from one ramp (dark blue for the worst value, yellow for the best), so a colour
 * means the same in every plot. Curves are thinned to at most DT_REPORT__POINTS points
 * each, so that a study of a thousand trials stays a file of a few megabytes. */
#include "dt_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt_fanova.h"
#include "dt_flags.h"
#include "dt_front.h"
#include "dt_out.h"

#define DT_REPORT__POINTS 200

/* One axis: a range of values onto [a, b] pixels, linear, log, or categories. */
typedef struct dt_report__axis {
    double lo, hi;       /* values; log axes hold them as given (> 0) */
    int log;
    int ncat;            /* > 0: categories 0..ncat-1, evenly spaced */
    double a, b;         /* pixels of lo and hi */
} dt_report__axis;

static double dt_report__px(const dt_report__axis *x, double v)
{
    if (x->ncat > 0) return x->a + (x->b - x->a) * (v + 0.5) / x->ncat;
    double t = x->log ? log(v / x->lo) / log(x->hi / x->lo) : (v - x->lo) / (x->hi - x->lo);
    if (!isfinite(t)) t = 0.5;
    return x->a + (x->b - x->a) * t;
}

/* Widens [lo, hi] a little on each side, or around a single value. */
static void dt_report__pad(dt_report__axis *x)
{
    if (x->ncat) return;
    if (!(x->lo < x->hi)) {
        double v = isfinite(x->lo) ? x->lo : 1;
        x->lo = x->log ? v / 2 : v - (fabs(v) > 0 ? fabs(v) * 0.1 : 1);
        x->hi = x->log ? v * 2 : v + (fabs(v) > 0 ? fabs(v) * 0.1 : 1);
        return;
    }
    if (x->log) {
        double f = pow(x->hi / x->lo, 0.04);
        x->lo /= f, x->hi *= f;
    } else {
        double d = (x->hi - x->lo) * 0.04;
        x->lo -= d, x->hi += d;
    }
}

/* The ramp: t in [0, 1] (1 best) to a colour. */
static void dt_report__colour(double t, char *buf, size_t n)
{
    /* viridis at 0, 1/4, 1/2, 3/4 and 1: ordered in lightness, readable in grey print. */
    static const unsigned char stops[5][3] = {
        {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    if (!isfinite(t)) t = 0;
    t = fmin(1, fmax(0, t)) * 4;
    int i = t >= 4 ? 3 : (int)t;
    double f = t - i;
    int c[3];
    for (int k = 0; k < 3; k++) c[k] = (int)lround(stops[i][k] + f * (stops[i + 1][k] - stops[i][k]));
    snprintf(buf, n, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* HTML-escaped text. */
static void dt_report__esc(dt_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': dt_buf_add(b, "&lt;", 4); break;
        case '>': dt_buf_add(b, "&gt;", 4); break;
        case '&': dt_buf_add(b, "&amp;", 5); break;
        case '"': dt_buf_add(b, "&quot;", 6); break;
        default: dt_buf_add(b, s, 1);
        }
    }
}

/* A tick label: short, "1e-04" style only where it must be. */
static void dt_report__num(double v, char *buf, size_t n)
{
    if (v != 0 && (fabs(v) < 1e-3 || fabs(v) >= 1e5)) snprintf(buf, n, "%.0e", v);
    else snprintf(buf, n, "%.4g", v);
}

/* Ticks of an axis into t (at most 12); returns how many. Linear: steps of 1, 2 or 5
 * times a power of ten, about 5 of them; log: decades, with 2 and 5 when the range
 * spans fewer than three. */
static int dt_report__ticks(const dt_report__axis *x, double *t)
{
    int n = 0;
    if (x->ncat) {
        for (int i = 0; i < x->ncat && n < 12; i++) t[n++] = i;
        return n;
    }
    if (x->log) {
        int few = log10(x->hi / x->lo) < 3;
        for (double d = pow(10, floor(log10(x->lo))); d <= x->hi && n < 12; d *= 10)
            for (int m = 1; m <= 5 && n < 12; m += m == 1 ? 1 : 3)
                if ((m == 1 || few) && d * m >= x->lo && d * m <= x->hi) t[n++] = d * m;
        return n;
    }
    double raw = (x->hi - x->lo) / 5, p = pow(10, floor(log10(raw))), step = p;
    if (raw / p > 5) step = 10 * p;
    else if (raw / p > 2) step = 5 * p;
    else if (raw / p > 1) step = 2 * p;
    for (double v = ceil(x->lo / step) * step; v <= x->hi && n < 12; v += step) t[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    return n;
}

/* The frame of a plot: its box, ticks and tick labels on both axes, axis titles.
 * cats: the category names of a categorical x axis (NULL otherwise). */
static void dt_report__frame(dt_buf *b, const dt_report__axis *x, const dt_report__axis *y, const char *xtitle,
                             const char *ytitle, char *const *xcats)
{
    dt_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"box\"/>\n", x->a, y->b,
                  x->b - x->a, y->a - y->b);
    double t[12];
    char s[32];
    int n = dt_report__ticks(x, t);
    for (int i = 0; i < n; i++) {
        double px = dt_report__px(x, t[i]);
        dt_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"tick\"/>", px, y->a, px,
                      y->a + 4);
        if (xcats) snprintf(s, sizeof s, "%.12s", xcats[(int)t[i]]);
        else dt_report__num(t[i], s, sizeof s);
        dt_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", px, y->a + 16);
        dt_report__esc(b, s);
        dt_buf_printf(b, "</text>\n");
    }
    n = dt_report__ticks(y, t);
    for (int i = 0; i < n; i++) {
        double py = dt_report__px(y, t[i]);
        dt_report__num(t[i], s, sizeof s);
        dt_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", x->a, py, x->b, py, x->a - 6,
                      py + 4, s);
    }
    dt_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"title\">", (x->a + x->b) / 2,
                  y->a + 34);
    dt_report__esc(b, xtitle);
    dt_buf_printf(b, "</text><text transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\" "
                  "class=\"title\">", x->a - 46, (y->a + y->b) / 2);
    dt_report__esc(b, ytitle);
    dt_buf_printf(b, "</text>\n");
}

/* What every plot needs to know of the study. */
typedef struct dt_report__ctx {
    const dt_sweep *sw;
    const dt_trial *t;
    int n;
    const dt_curve *curves;
    int best;             /* index of the best trial, -1 none */
    double vlo, vhi;      /* the range of COMPLETE values */
    dt_buf *b;
} dt_report__ctx;

/* 1 when the trial has an objective value to draw. */
static int dt_report__valued(const dt_trial *t)
{
    return t->state == DT_COMPLETE && isfinite(t->value);
}

/* 1 for a search trial with a value: what the search's plots draw (finalists' runs,
 * which repeat configurations, have their own). */
static int dt_report__searched(const dt_trial *t)
{
    return dt_report__valued(t) && !t->final;
}

/* The colour of a value: its place between the worst and the best of the study. */
static void dt_report__vcolour(const dt_report__ctx *c, double v, char *buf, size_t n)
{
    double t = c->vhi > c->vlo ? (v - c->vlo) / (c->vhi - c->vlo) : 1;
    dt_report__colour(c->sw->maximize ? t : 1 - t, buf, n);
}

static void dt_report__svg_open(dt_buf *b, int w, int h, const char *what)
{
    dt_buf_printf(b, "<svg class=\"plot\" data-plot=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "role=\"img\">\n", what, w, h, w, h);
}

/* Optimization history: values against trial number, the best so far as a step line,
 * pruned (grey) and failed (red) trials as ticks along the bottom. */
static void dt_report__history(dt_report__ctx *c)
{
    dt_buf *b = c->b;
    int last = 0;
    for (int i = 0; i < c->n; i++) last = c->t[i].number > last ? c->t[i].number : last;
    dt_report__axis x = {.lo = 0, .hi = last, .a = 70, .b = 880};
    dt_report__axis y = {.lo = c->vlo, .hi = c->vhi, .a = 250, .b = 20};
    dt_report__pad(&x);
    dt_report__pad(&y);
    dt_report__svg_open(b, 900, 300, "history");
    dt_report__frame(b, &x, &y, "trial", dt_metric_name(c->sw->metric), NULL);
    dt_buf path = {0};
    int have = 0;
    double best = NAN;
    for (int i = 0; i < c->n; i++) {
        const dt_trial *t = &c->t[i];
        if (t->final) continue;
        double px = dt_report__px(&x, t->number);
        if (!dt_report__valued(t)) {
            if (t->state == DT_PRUNED || t->state == DT_FAIL)
                dt_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"mark %s\"><title>trial "
                              "%d %s</title></line>\n", px, y.a - 2, px, y.a - 12,
                              t->state == DT_PRUNED ? "pruned" : "failed", t->number, dt_state_name(t->state));
            continue;
        }
        char col[8];
        dt_report__vcolour(c, t->value, col, sizeof col);
        dt_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" class=\"mark\"><title>trial %d: %.6g"
                      "</title></circle>\n", px, dt_report__px(&y, t->value), col, t->number, t->value);
        if (isnan(best) || (c->sw->maximize ? t->value > best : t->value < best)) {
            double py = dt_report__px(&y, t->value);
            if (have) dt_buf_printf(&path, " H%.1f V%.1f", px, py);
            else dt_buf_printf(&path, "M%.1f %.1f", px, py);
            have = 1;
            best = t->value;
        }
    }
    if (have)
        dt_buf_printf(b, "<path d=\"%s H%.1f\" class=\"mark bestline\"/>\n", path.p, dt_report__px(&x, last));
    dt_buf_free(&path);
    dt_buf_printf(b, "<text x=\"880\" y=\"14\" text-anchor=\"end\">line: best so far; ticks at the bottom: "
                  "<tspan class=\"pruned-t\">pruned</tspan>, <tspan class=\"failed-t\">failed</tspan></text>\n"
                  "</svg>\n");
}

/* One series of every trial against iterations (kind: dt_point_kind). Returns 0 when
 * no trial has a value of that kind (nothing is drawn). */
static int dt_report__curves(dt_report__ctx *c, int kind)
{
    if (!c->curves) return 0;
    double lo = INFINITY, hi = -INFINITY;
    long last = 0;
    int m = 0;
    /* The loss starts high and may blow up: its axis ends at the 95th percentile of
     * the first values, so that the end of training, where trials differ, is legible. */
    double *firsts = dt_xcalloc((size_t)c->n + 1, sizeof *firsts);
    int nf = 0;
    for (int i = 0; i < c->n; i++) {
        int first = 1;
        for (int k = 0; k < c->curves[i].n; k++) {
            const dt_point *p = &c->curves[i].pts[k];
            if (p->kind != kind || !isfinite(p->value)) continue;
            lo = fmin(lo, p->value);
            hi = fmax(hi, p->value);
            last = p->step > last ? p->step : last;
            if (first) firsts[nf++] = p->value;
            first = 0;
            m++;
        }
    }
    if (!m) {
        free(firsts);
        return 0;
    }
    if (kind == DT_POINT_LOSS && nf) {
        qsort(firsts, (size_t)nf, sizeof *firsts, dt_cmp_double);
        hi = fmin(hi, firsts[(int)(0.95 * (nf - 1))]);
    }
    free(firsts);
    dt_report__axis x = {.lo = 0, .hi = last, .a = 70, .b = 880};
    dt_report__axis y = {.lo = lo, .hi = hi, .a = 250, .b = 20};
    dt_report__pad(&y);
    const char *what = kind == DT_POINT_LOSS ? "loss" : "metric";
    dt_report__svg_open(c->b, 900, 300, what);
    dt_buf_printf(c->b, "<clipPath id=\"clip-%s\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
                  "</clipPath>\n", what, x.a, y.b, x.b - x.a, y.a - y.b);
    dt_report__frame(c->b, &x, &y, "iteration",
                     kind == DT_POINT_LOSS ? "training loss" : dt_metric_name(c->sw->metric), NULL);
    dt_buf_printf(c->b, "<g clip-path=\"url(#clip-%s)\">\n", what);
    /* The best last, so that it is drawn over the others. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < c->n; i++) {
            if ((i == c->best) != pass) continue;
            const dt_curve *cv = &c->curves[i];
            int cnt = 0;
            for (int k = 0; k < cv->n; k++) cnt += cv->pts[k].kind == kind && isfinite(cv->pts[k].value);
            if (!cnt) continue;
            int stride = (cnt + DT_REPORT__POINTS - 1) / DT_REPORT__POINTS, j = 0;
            const char *cls = i == c->best ? "best" : c->t[i].state == DT_COMPLETE ? "complete" : "stopped";
            dt_buf_printf(c->b, "<polyline class=\"mark %s\" points=\"", cls);
            for (int k = 0; k < cv->n; k++) {
                const dt_point *p = &cv->pts[k];
                if (p->kind != kind || !isfinite(p->value)) continue;
                /* Every stride-th value, and the last: a curve ends where its trial stopped. */
                int at = j++;
                if (at % stride && at != cnt - 1) continue;
                dt_buf_printf(c->b, "%.1f,%.1f ", dt_report__px(&x, p->step), dt_report__px(&y, p->value));
            }
            dt_buf_printf(c->b, "\"><title>trial %d (%s)</title></polyline>\n", c->t[i].number,
                          dt_state_name(c->t[i].state));
            /* Where a pruned or failed trial stopped: a dot, seen even when it has one value. */
            if (c->t[i].state == DT_PRUNED || c->t[i].state == DT_FAIL)
                for (int k = cv->n - 1; k >= 0; k--)
                    if (cv->pts[k].kind == kind && isfinite(cv->pts[k].value)) {
                        dt_buf_printf(c->b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" class=\"mark end\"/>\n",
                                      dt_report__px(&x, cv->pts[k].step), dt_report__px(&y, cv->pts[k].value));
                        break;
                    }
        }
    }
    dt_buf_printf(c->b, "</g><text x=\"880\" y=\"14\" text-anchor=\"end\"><tspan class=\"best-t\">best trial</tspan>, "
                  "completed, <tspan class=\"pruned-t\">pruned or failed</tspan> (ending where they stopped)</text>"
                  "</svg>\n");
    return 1;
}

/* Parameters a plot shows: those of the space that vary. */
static int dt_report__varies(const dt_param *p)
{
    return p->kind != DT_FIXED;
}

/* The axis of parameter i over the trials where it is active: log for log
 * distributions, categories for choice (a baseline's word outside them gets a place of
 * its own at the end). Returns 0 when no trial has it active. */
static int dt_report__param_axis(const dt_report__ctx *c, int i, double a, double b, dt_report__axis *x,
                                 char ***cats)
{
    const dt_param *p = &c->sw->space.p[i];
    memset(x, 0, sizeof *x);
    x->a = a, x->b = b;
    x->lo = INFINITY, x->hi = -INFINITY;
    *cats = NULL;
    int any = 0;
    for (int k = 0; k < c->n; k++) {
        const dt_value *v = &c->t[k].values[i];
        if (!v->active) continue;
        any = 1;
        if (p->kind != DT_CHOICE && isfinite(v->num)) {
            x->lo = fmin(x->lo, v->num);
            x->hi = fmax(x->hi, v->num);
        }
    }
    if (!any) return 0;
    if (p->kind == DT_CHOICE) {
        x->ncat = p->nchoices;
        *cats = p->choices;
        return 1;
    }
    x->lo = fmin(x->lo, p->low);
    x->hi = fmax(x->hi, p->high);
    x->log = (p->kind == DT_LOG || p->kind == DT_LOGINT) && x->lo > 0;
    dt_report__pad(x);
    return 1;
}

/* Where a trial's value of parameter i lies on its axis (NAN: inactive, or a word
 * that is none of the choices). */
static double dt_report__param_at(const dt_report__ctx *c, int i, int k, const dt_report__axis *x)
{
    const dt_value *v = &c->t[k].values[i];
    if (!v->active) return NAN;
    if (x->ncat) return v->idx >= 0 ? dt_report__px(x, v->idx) : NAN;
    return isfinite(v->num) ? dt_report__px(x, v->num) : NAN;
}

/* Parallel coordinates: one vertical axis per parameter that varies, the objective
 * last; each completed trial a line in its value's colour, broken where a parameter
 * is inactive; the best drawn last, thick. */
static void dt_report__parallel(dt_report__ctx *c)
{
    const dt_space *sp = &c->sw->space;
    int *idx = dt_xcalloc((size_t)sp->n + 1, sizeof *idx), m = 0;
    for (int i = 0; i < sp->n; i++)
        if (dt_report__varies(&sp->p[i])) idx[m++] = i;
    if (!m || c->best < 0) {
        free(idx);
        return;
    }
    dt_report__axis *ax = dt_xcalloc((size_t)m + 1, sizeof *ax);
    char ***cats = dt_xcalloc((size_t)m + 1, sizeof *cats);
    double gap = 780.0 / m;
    dt_report__svg_open(c->b, 900, 320, "parallel");
    for (int j = 0; j <= m; j++) {
        double xj = 60 + gap * j;
        if (j < m) {
            if (!dt_report__param_axis(c, idx[j], 270, 30, &ax[j], &cats[j])) ax[j].ncat = -1;
        } else {
            ax[j] = (dt_report__axis){.lo = c->vlo, .hi = c->vhi, .a = 270, .b = 30};
            dt_report__pad(&ax[j]);
        }
        dt_buf_printf(c->b, "<line x1=\"%.1f\" y1=\"30\" x2=\"%.1f\" y2=\"270\" class=\"axis\"/>"
                      "<text x=\"%.1f\" y=\"292\" text-anchor=\"middle\" class=\"title\">", xj, xj, xj);
        dt_report__esc(c->b, j < m ? sp->p[idx[j]].name : dt_metric_name(c->sw->metric));
        dt_buf_printf(c->b, "</text>\n");
        if (ax[j].ncat < 0) continue;
        double t[12];
        int nt = dt_report__ticks(&ax[j], t);
        for (int k = 0; k < nt; k++) {
            char s[32];
            if (ax[j].ncat) snprintf(s, sizeof s, "%.12s", cats[j][(int)t[k]]);
            else dt_report__num(t[k], s, sizeof s);
            dt_buf_printf(c->b, "<text x=\"%.1f\" y=\"%.1f\" class=\"small\">", xj + 4,
                          dt_report__px(&ax[j], t[k]) + 3);
            dt_report__esc(c->b, s);
            dt_buf_printf(c->b, "</text>");
        }
        dt_buf_printf(c->b, "\n");
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < c->n; k++) {
            if (!dt_report__searched(&c->t[k]) || (k == c->best) != pass) continue;
            char col[8];
            dt_report__vcolour(c, c->t[k].value, col, sizeof col);
            dt_buf_printf(c->b, "<path class=\"mark%s\" stroke=\"%s\" d=\"", k == c->best ? " best" : "", col);
            int pen = 0;
            for (int j = 0; j <= m; j++) {
                double py = j < m ? (ax[j].ncat < 0 ? NAN : dt_report__param_at(c, idx[j], k, &ax[j]))
                                  : dt_report__px(&ax[j], c->t[k].value);
                if (isnan(py)) {
                    pen = 0;
                    continue;
                }
                dt_buf_printf(c->b, "%c%.1f %.1f ", pen ? 'L' : 'M', 60 + gap * j, py);
                pen = 1;
            }
            dt_buf_printf(c->b, "\"><title>trial %d: %.6g</title></path>\n", c->t[k].number, c->t[k].value);
        }
    }
    dt_buf_printf(c->b, "</svg>\n");
    free(ax);
    free(cats);
    free(idx);
}

/* One slice plot per parameter that varies: the objective against its value, each
 * completed trial where the parameter is active, coloured by trial number. */
static void dt_report__slices(dt_report__ctx *c)
{
    const dt_space *sp = &c->sw->space;
    if (c->best < 0) return;
    dt_buf_printf(c->b, "<div class=\"slices\">\n");
    int last = 1;
    for (int k = 0; k < c->n; k++) last = c->t[k].number > last ? c->t[k].number : last;
    for (int i = 0; i < sp->n; i++) {
        if (!dt_report__varies(&sp->p[i])) continue;
        dt_report__axis x, y = {.lo = c->vlo, .hi = c->vhi, .a = 190, .b = 12};
        char **cats;
        if (!dt_report__param_axis(c, i, 60, 280, &x, &cats)) continue;
        dt_report__pad(&y);
        dt_report__svg_open(c->b, 292, 240, "slice");
        dt_report__frame(c->b, &x, &y, sp->p[i].name, dt_metric_name(c->sw->metric), cats);
        for (int k = 0; k < c->n; k++) {
            if (!dt_report__searched(&c->t[k])) continue;
            double px = dt_report__param_at(c, i, k, &x);
            if (isnan(px)) continue;
            /* Categories: spread the trials of a category over part of its width. */
            if (x.ncat) px += ((c->t[k].number * 37) % 21 - 10) * (x.b - x.a) / x.ncat / 50;
            char col[8];
            dt_report__colour((double)c->t[k].number / last, col, sizeof col);
            dt_buf_printf(c->b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" class=\"mark%s\"><title>trial "
                          "%d: %s = %s, %.6g</title></circle>\n", px, dt_report__px(&y, c->t[k].value), col,
                          k == c->best ? " best" : "", c->t[k].number, sp->p[i].name, c->t[k].values[i].text,
                          c->t[k].value);
        }
        dt_buf_printf(c->b, "</svg>\n");
    }
    dt_buf_printf(c->b, "</div><p class=\"note\">Colour: trial number, dark for the first trials, yellow for the "
                  "last; the best trial is ringed.</p>\n");
}

/* fANOVA importance as bars, largest first. */
static void dt_report__importance(dt_report__ctx *c)
{
    const dt_space *sp = &c->sw->space;
    double *share = dt_xcalloc((size_t)sp->n + 1, sizeof *share);
    /* The search's trials: finalists' runs repeat configurations the forest has seen. */
    dt_trial *search = dt_xcalloc((size_t)c->n + 1, sizeof *search);
    int m = 0;
    for (int k = 0; k < c->n; k++)
        if (!c->t[k].final) search[m++] = c->t[k];
    dt_err err;
    int fitted = dt_fanova_importance(sp, search, m, c->sw->seed, share, &err);
    free(search);
    if (fitted < 0) {
        dt_buf_printf(c->b, "<p class=\"note\">");
        dt_report__esc(c->b, err.msg);
        dt_buf_printf(c->b, "</p>\n");
        free(share);
        return;
    }
    /* A conditional parameter inactive in some trials has no share (NAN): named below. */
    int *order = dt_xcalloc((size_t)sp->n + 1, sizeof *order);
    m = 0;
    for (int i = 0; i < sp->n; i++)
        if (dt_report__varies(&sp->p[i]) && !isnan(share[i])) order[m++] = i;
    for (int i = 1; i < m; i++)   /* insertion sort: a handful of parameters */
        for (int j = i; j > 0 && share[order[j]] > share[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    dt_report__svg_open(c->b, 900, 30 + 26 * m, "importance");
    for (int j = 0; j < m; j++) {
        double w = 600 * share[order[j]], yy = 14 + 26 * j;
        dt_buf_printf(c->b, "<text x=\"190\" y=\"%.1f\" text-anchor=\"end\">", yy + 13);
        dt_report__esc(c->b, sp->p[order[j]].name);
        dt_buf_printf(c->b, "</text><rect x=\"200\" y=\"%.1f\" width=\"%.1f\" height=\"18\" class=\"mark bar\"/>"
                      "<text x=\"%.1f\" y=\"%.1f\">%.2f</text>\n", yy, fmax(w, 1), 206 + w, yy + 13, share[order[j]]);
    }
    dt_buf_printf(c->b, "</svg>\n<p class=\"note\">Each parameter's share of the variance of the %s over "
                  "%d finished trials, from a random forest (fANOVA, as Optuna's FanovaImportanceEvaluator).",
                  dt_metric_name(c->sw->metric), fitted);
    for (int i = 0; i < sp->n; i++)
        if (dt_report__varies(&sp->p[i]) && isnan(share[i])) {
            dt_buf_printf(c->b, " ");
            dt_report__esc(c->b, sp->p[i].name);
            dt_buf_printf(c->b, " is left out: it is active in some trials only.");
        }
    dt_buf_printf(c->b, "</p>\n");
    free(order);
    free(share);
}

/* Learning rate against batch, coloured by value: the pair Darknet users tune
 * together (a larger batch takes a larger rate). */
static void dt_report__rate_batch(dt_report__ctx *c)
{
    int vr = 0, vb = 0;
    dt_report__axis x = {.lo = INFINITY, .hi = -INFINITY, .a = 70, .b = 560, .log = 1};
    dt_report__axis y = {.lo = INFINITY, .hi = -INFINITY, .a = 250, .b = 20, .log = 1};
    for (int k = 0; k < c->n; k++) {
        if (!dt_report__searched(&c->t[k])) continue;
        double r = dt_out_net_value(c->sw, &c->t[k], "learning_rate", &vr),
               bt = dt_out_net_value(c->sw, &c->t[k], "batch", &vb);
        if (!(r > 0) || !(bt > 0)) continue;
        x.lo = fmin(x.lo, r), x.hi = fmax(x.hi, r);
        y.lo = fmin(y.lo, bt), y.hi = fmax(y.hi, bt);
    }
    if (!isfinite(x.lo) || !(vr || vb)) {
        dt_buf_printf(c->b, "<p class=\"note\">Neither learning_rate nor batch varies in this space.</p>\n");
        return;
    }
    dt_report__pad(&x);
    dt_report__pad(&y);
    dt_report__svg_open(c->b, 600, 300, "rate-batch");
    dt_report__frame(c->b, &x, &y, "learning_rate", "batch", NULL);
    for (int k = 0; k < c->n; k++) {
        if (!dt_report__searched(&c->t[k])) continue;
        double r = dt_out_net_value(c->sw, &c->t[k], "learning_rate", &vr),
               bt = dt_out_net_value(c->sw, &c->t[k], "batch", &vb);
        if (!(r > 0) || !(bt > 0)) continue;
        char col[8];
        dt_report__vcolour(c, c->t[k].value, col, sizeof col);
        dt_buf_printf(c->b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" class=\"mark%s\"><title>trial %d: "
                      "learning_rate %g, batch %g: %.6g</title></circle>\n", dt_report__px(&x, r),
                      dt_report__px(&y, bt), col, k == c->best ? " best" : "", c->t[k].number, r, bt, c->t[k].value);
    }
    dt_buf_printf(c->b, "</svg>\n");
}

/* The front of a study of several objectives: every trial with all its objectives as a
 * grey dot at (the objective after the metric, the metric), the front's trials coloured
 * and joined in order, the one best.cfg deploys ringed. A third objective is in each
 * dot's title. */
static void dt_report__front(dt_report__ctx *c)
{
    const dt_sweep *sw = c->sw;
    int key = dt_front_key(sw), met = dt_sweep_objective_index(sw, DT_OBJ_METRIC);
    int *idx = dt_xmalloc(sizeof *idx * (size_t)(c->n + 1));
    int m = dt_front_trials(sw, c->t, c->n, idx);
    dt_front_sort(sw, c->t, idx, m);
    dt_report__axis x = {.lo = INFINITY, .hi = -INFINITY, .a = 70, .b = 560};
    dt_report__axis y = {.lo = c->vlo, .hi = c->vhi, .a = 250, .b = 20};
    for (int k = 0; k < c->n; k++) {
        double v = dt_trial_objective(&c->t[k], &sw->obj[key]);
        if (!dt_report__searched(&c->t[k]) || !isfinite(v)) continue;
        x.lo = fmin(x.lo, v), x.hi = fmax(x.hi, v);
    }
    if (!m || !isfinite(x.lo)) {
        dt_buf_printf(c->b, "<p>No trial has completed with every objective yet.</p>\n");
        free(idx);
        return;
    }
    dt_report__pad(&x);
    dt_report__pad(&y);
    dt_report__svg_open(c->b, 600, 300, "front");
    dt_report__frame(c->b, &x, &y, dt_sweep_objective_name(sw, key), dt_sweep_objective_name(sw, met), NULL);
    for (int k = 0; k < c->n; k++) {
        const dt_trial *t = &c->t[k];
        double v = dt_trial_objective(t, &sw->obj[key]);
        if (!dt_report__searched(t) || !isfinite(v)) continue;
        dt_buf_printf(c->b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" class=\"mark pruned\"><title>trial %d: %s %.6g, "
                      "%s %.6g</title></circle>\n", dt_report__px(&x, v), dt_report__px(&y, t->value), t->number,
                      dt_sweep_objective_name(sw, key), v, dt_sweep_objective_name(sw, met), t->value);
    }
    dt_buf path = {0};
    for (int j = 0; j < m; j++) {
        const dt_trial *t = &c->t[idx[j]];
        dt_buf_printf(&path, "%s%.1f %.1f", j ? " L" : "M", dt_report__px(&x, dt_trial_objective(t, &sw->obj[key])),
                      dt_report__px(&y, t->value));
    }
    dt_buf_printf(c->b, "<path d=\"%s\" class=\"mark bestline\"/>\n", path.p ? path.p : "");
    dt_buf_free(&path);
    for (int j = 0; j < m; j++) {
        const dt_trial *t = &c->t[idx[j]];
        char col[8];
        dt_report__vcolour(c, t->value, col, sizeof col);
        dt_buf_printf(c->b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" class=\"mark%s\"><title>trial %d "
                      "(pareto/%d.cfg):", dt_report__px(&x, dt_trial_objective(t, &sw->obj[key])),
                      dt_report__px(&y, t->value), col, idx[j] == c->best ? " best" : "", t->number, t->number);
        for (int o = 0; o < sw->nobj; o++)
            dt_buf_printf(c->b, " %s %.6g", dt_sweep_objective_name(sw, o), dt_trial_objective(t, &sw->obj[o]));
        dt_buf_printf(c->b, "</title></circle>\n");
    }
    dt_buf_printf(c->b, "<text x=\"560\" y=\"14\" text-anchor=\"end\">line: the front (%d trials); ringed: "
                  "best.cfg</text>\n</svg>\n", m);
    free(idx);
}

/* Finalists: each one's runs over seeds as dots, its mean as a bar with ± one std,
 * and its search value as a ring; the noise floor under it. */
static void dt_report__finalists(dt_report__ctx *c)
{
    const dt_sweep *sw = c->sw;
    dt_finalist *f = dt_xcalloc((size_t)sw->final_top + 1, sizeof *f);
    int m = dt_out_finalists(sw, c->t, c->n, f);
    dt_report__axis y = {.lo = INFINITY, .hi = -INFINITY, .a = 230, .b = 20};
    for (int j = 0; j < m; j++) {
        int number = c->t[f[j].trial].number;
        for (int k = 0; k < c->n; k++)
            if ((k == f[j].trial || (c->t[k].final && c->t[k].rerun_of == number)) && dt_report__valued(&c->t[k])) {
                y.lo = fmin(y.lo, c->t[k].value);
                y.hi = fmax(y.hi, c->t[k].value);
            }
    }
    if (!m || !isfinite(y.lo)) {
        dt_buf_printf(c->b, "<p>No finalist yet.</p>\n");
        free(f);
        return;
    }
    dt_report__pad(&y);
    dt_report__axis x = {.ncat = m, .a = 70, .b = 70 + 120 * m};
    char **names = dt_xcalloc((size_t)m, sizeof *names);
    for (int j = 0; j < m; j++) names[j] = dt_xasprintf("trial %d", c->t[f[j].trial].number);
    dt_report__svg_open(c->b, 100 + 120 * m, 280, "finalists");
    dt_report__frame(c->b, &x, &y, "finalist (its search trial)", dt_metric_name(sw->metric), names);
    for (int j = 0; j < m; j++) {
        double px = dt_report__px(&x, j);
        const dt_trial *t0 = &c->t[f[j].trial];
        dt_buf_printf(c->b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" class=\"mark search\"><title>trial %d (search): "
                      "%.6g</title></circle>\n", px - 18, dt_report__px(&y, t0->value), t0->number, t0->value);
        for (int k = 0; k < c->n; k++)
            if (c->t[k].final && c->t[k].rerun_of == t0->number && dt_report__valued(&c->t[k]))
                dt_buf_printf(c->b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" class=\"mark seed\"><title>trial %d "
                              "(seed run): %.6g</title></circle>\n", px + 6, dt_report__px(&y, c->t[k].value),
                              c->t[k].number, c->t[k].value);
        if (f[j].done) {
            double sd = isnan(f[j].std) ? 0 : f[j].std, my = dt_report__px(&y, f[j].mean);
            dt_buf_printf(c->b, "<path d=\"M%.1f %.1f H%.1f M%.1f %.1f V%.1f\" class=\"mark meanbar\"><title>mean "
                          "%.4f ± %.4f over %d seeds</title></path>\n", px - 4, my, px + 16, px + 6,
                          dt_report__px(&y, f[j].mean - sd), dt_report__px(&y, f[j].mean + sd), f[j].mean, sd,
                          f[j].done);
        }
    }
    dt_buf_printf(c->b, "</svg>\n");
    for (int j = 0; j < m; j++) free(names[j]);
    free(names);
    dt_buf_printf(c->b, "<p class=\"note\">Ring: the trial's own value in the search; dots: its runs with new "
                  "seeds; bar: their mean ± one std.");
    double pooled, spread;
    if (dt_out_noise(f, m, &pooled, &spread))
        dt_buf_printf(c->b, " Noise floor: one configuration's std over seeds %.4f against a spread of %.4f between "
                      "the finalists' means%s.", pooled, spread,
                      spread <= pooled ? ": their ranking is within the noise" : "");
    int ch = dt_out_final_choice(sw, f, m);
    if (ch >= 0) dt_buf_printf(c->b, " best.cfg deploys trial %d's configuration, chosen by the mean.",
                               c->t[f[ch].trial].number);
    dt_buf_printf(c->b, "</p>\n");
    free(f);
}

/* The baseline beside the best: values and the objective. */
static void dt_report__versus(dt_report__ctx *c)
{
    int base = -1;
    for (int k = 0; k < c->n; k++)
        if (c->t[k].baseline && dt_trial_counts(&c->t[k])) base = k;
    const dt_space *sp = &c->sw->space;
    dt_buf_printf(c->b, "<table><tr><th>parameter</th><th>baseline%s</th><th>best (trial %d)</th></tr>\n",
                  base < 0 ? " (none: [study] baseline = no)" : "", c->t[c->best].number);
    for (int i = 0; i < sp->n; i++) {
        if (!dt_report__varies(&sp->p[i])) continue;
        dt_buf_printf(c->b, "<tr><td>");
        dt_report__esc(c->b, sp->p[i].name);
        dt_buf_printf(c->b, "</td><td>");
        if (base >= 0 && c->t[base].values[i].active) dt_report__esc(c->b, c->t[base].values[i].text);
        dt_buf_printf(c->b, "</td><td>");
        if (c->t[c->best].values[i].active) dt_report__esc(c->b, c->t[c->best].values[i].text);
        dt_buf_printf(c->b, "</td></tr>\n");
    }
    char bv[64] = "", v[64];
    if (base >= 0) dt_out_value(c->t[base].value, bv, sizeof bv);
    if (base >= 0 && !bv[0]) snprintf(bv, sizeof bv, "%s", dt_state_name(c->t[base].state));
    dt_out_value(c->t[c->best].value, v, sizeof v);
    dt_buf_printf(c->b, "<tr class=\"value\"><td>%s</td><td>%s</td><td>%s</td></tr></table>\n",
                  dt_metric_name(c->sw->metric), bv, v);
}

static const char dt_report__css[] =
    "body{font:14px/1.45 sans-serif;color:#222;max-width:940px;margin:24px auto;padding:0 12px}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ccc}"
    "section{break-inside:avoid}svg{display:block;margin:4px 0;font-size:11px}"
    "svg text{fill:#333}.title{font-size:12px;font-weight:bold}.small{font-size:9px}"
    ".box{fill:none;stroke:#999}.tick{stroke:#999}.grid{stroke:#eee}.axis{stroke:#888}"
    ".bestline{fill:none;stroke:#d9480f;stroke-width:2}.pruned{stroke:#999;stroke-width:2}"
    ".failed{stroke:#c92a2a;stroke-width:2}.pruned-t{fill:#888}.failed-t{fill:#c92a2a}.best-t{fill:#d9480f}"
    "polyline.mark{fill:none;stroke-width:1;opacity:.55}polyline.complete{stroke:#3b528b}"
    "polyline.stopped{stroke:#aaa}polyline.best{stroke:#d9480f;stroke-width:2.5;opacity:1}"
    "path.mark{fill:none;stroke-width:1.2;opacity:.7}path.best{stroke-width:3.5;opacity:1}"
    "circle.best{stroke:#d9480f;stroke-width:2}circle.end{fill:#aaa}.bar{fill:#3b528b}"
    "circle.search{fill:none;stroke:#d9480f;stroke-width:2}circle.seed{fill:#3b528b}"
    ".meanbar{fill:none;stroke:#21918c;stroke-width:3}"
    ".slices{display:flex;flex-wrap:wrap;gap:8px}.slices svg{margin:0}"
    "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 10px;text-align:left}"
    "tr.value td{font-weight:bold}.flags li{color:#a61e4d}.note{color:#666;font-size:12px}"
    "@media print{body{margin:0}h2{break-after:avoid}}";

int dt_report_html(const dt_sweep *sw, const dt_trial *trials, int n, const dt_curve *curves, dt_err *err)
{
    dt_buf b = {0};
    dt_report__ctx c = {.sw = sw, .t = trials, .n = n, .curves = curves, .best = dt_out_best(sw, trials, n),
                        .vlo = INFINITY, .vhi = -INFINITY, .b = &b};
    int count[4] = {0};
    long its = 0;
    for (int i = 0; i < n; i++) {
        count[trials[i].state]++;
        its += trials[i].iterations;
        if (dt_report__searched(&trials[i])) {
            c.vlo = fmin(c.vlo, trials[i].value);
            c.vhi = fmax(c.vhi, trials[i].value);
        }
    }
    dt_buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>darktune: ");
    dt_report__esc(&b, sw->name);
    dt_buf_printf(&b, "</title><style>%s</style></head><body>\n<h1>darktune study ", dt_report__css);
    dt_report__esc(&b, sw->name);
    dt_buf_printf(&b, "</h1>\n<p>");
    dt_sweep_objectives_text(sw, &b);
    dt_buf_printf(&b, "; %s sampler, %s pruner; %d complete, %d pruned, %d failed, %d running; %ld "
                  "iterations trained.<br>Sweep: ", dt_sampler_name(sw->sampler.kind), dt_pruner_name(sw->pruner.kind),
                  count[DT_COMPLETE], count[DT_PRUNED], count[DT_FAIL], count[DT_RUNNING], its);
    dt_report__esc(&b, sw->path);
    dt_buf_printf(&b, "</p>\n");
    dt_buf phases = {0};   /* a TPE study: its random start beside the model's trials, as report.txt has them */
    if (dt_out_phases(sw, trials, n, &phases)) {
        dt_buf_printf(&b, "<pre class=\"phases\">");
        dt_report__esc(&b, phases.p);
        dt_buf_printf(&b, "</pre>\n");
    }
    dt_buf_free(&phases);

    dt_buf flags = {0};
    const dt_curve *bc = curves && c.best >= 0 ? &curves[c.best] : NULL;
    int nflags = dt_flags(sw, trials, n, bc, &flags);
    dt_buf_printf(&b, "<section><h2>Red flags</h2>\n");
    if (nflags) {
        dt_buf_printf(&b, "<ul class=\"flags\">\n");
        for (char *line = flags.p, *end; line && *line; line = end + 1) {
            end = strchr(line, '\n');
            if (!end) end = line + strlen(line) - 1;
            *end = '\0';
            dt_buf_printf(&b, "<li>");
            dt_report__esc(&b, line);
            dt_buf_printf(&b, "</li>\n");
        }
        dt_buf_printf(&b, "</ul>\n");
    } else {
        dt_buf_printf(&b, "<p>None.</p>\n");
    }
    dt_buf_free(&flags);
    dt_buf_printf(&b, "</section>\n");

    if (c.best >= 0) {
        dt_buf_printf(&b, "<section><h2>Baseline and best</h2>\n");
        dt_report__versus(&c);
        dt_buf_printf(&b, "</section>\n");
    }
    if (sw->nobj > 1) {
        char why[256];
        dt_front_best(sw, trials, n, why, sizeof why);
        dt_buf_printf(&b, "<section><h2>Pareto front</h2>\n<p>best.cfg: ");
        dt_report__esc(&b, why[0] ? why : "none yet");
        dt_buf_printf(&b, "; every trial on the front has its cfg in pareto/.</p>\n");
        dt_report__front(&c);
        dt_buf_printf(&b, "</section>\n");
    }
    dt_buf_printf(&b, "<section><h2>Optimization history</h2>\n");
    if (c.best >= 0) dt_report__history(&c);
    else dt_buf_printf(&b, "<p>No trial has completed yet.</p>\n");
    dt_buf_printf(&b, "</section>\n<section><h2>Intermediate values</h2>\n");
    int drawn = dt_report__curves(&c, DT_POINT_METRIC);
    drawn += dt_report__curves(&c, DT_POINT_LOSS);
    if (!drawn) dt_buf_printf(&b, "<p>No intermediate values stored.</p>\n");
    dt_buf_printf(&b, "</section>\n");
    if (sw->final_top > 0) {
        dt_buf_printf(&b, "<section><h2>Finalists over seeds</h2>\n");
        dt_report__finalists(&c);
        dt_buf_printf(&b, "</section>\n");
    }
    if (c.best >= 0) {
        dt_buf_printf(&b, "<section><h2>Parallel coordinates</h2>\n");
        dt_report__parallel(&c);
        dt_buf_printf(&b, "</section>\n<section><h2>Slices</h2>\n");
        dt_report__slices(&c);
        dt_buf_printf(&b, "</section>\n<section><h2>Parameter importance (fANOVA)</h2>\n");
        dt_report__importance(&c);
        dt_buf_printf(&b, "</section>\n<section><h2>Learning rate and batch</h2>\n");
        dt_report__rate_batch(&c);
        dt_buf_printf(&b, "</section>\n");
    }
    dt_buf_printf(&b, "<p class=\"note\">Written by darktune from the study's store.</p>\n</body></html>\n");
    char *path = dt_path_join(sw->output, "report.html");
    int rc = dt_write_file(path, b.p, b.len, err);
    free(path);
    dt_buf_free(&b);
    return rc;
}
