/* dt_lrfind: the learning-rate range test (`darktune lrfind`).
 *
 * One short training run of the sweep's base cfg (the baseline's values, as trial 0
 * would train them) in which the rate grows exponentially, iteration by iteration,
 * from `from` to `to`: Darknet's own policy=exp with the gamma computed here and
 * burn_in=0, so that Darknet computes every rate itself, in-process and with any
 * external darknet program alike. Each iteration's (rate, loss) goes into a curve,
 * smoothed as it comes; the run stops as soon as the loss diverges. The curve then
 * gives a `learning_rate = log(A, B)` range for [space] (dt_lrfind_suggest says how),
 * and is drawn as an SVG, as text for a terminal, and written as a CSV.
 *
 * Nothing here prints or exits: the command (cmd_lrfind.c) prints what these return.
 * The curve, the rule and the pictures know nothing of Darknet, and are tested on
 * made-up curves; only dt_lrfind_schedule and dt_lrfind_run touch a cfg or a run. */
#ifndef DT_LRFIND_H
#define DT_LRFIND_H

#include <signal.h>

#include "dt_cfg.h"
#include "dt_sweep.h"
#include "dt_util.h"

/* Defaults: fastai's lr_find range reaches from 1e-7; Darknet's rates of interest
 * start higher, and 100 iterations (fastai's too) take seconds on a CPU. */
#define DT_LRFIND_FROM 1e-6
#define DT_LRFIND_TO 10.0
#define DT_LRFIND_ITERATIONS 100L
#define DT_LRFIND_MIN_ITERATIONS 10L
#define DT_LRFIND_MAX_ITERATIONS 100000L

/* The test's schedule: iteration i (1..iterations, Darknet's count after its update)
 * trains at from * gamma^i, so that the last one is at `to`. */
typedef struct dt_lrfind_opts {
    double from, to;    /* learning rates, 0 < from < to */
    long iterations;    /* DT_LRFIND_MIN_ITERATIONS .. DT_LRFIND_MAX_ITERATIONS */
} dt_lrfind_opts;

/* Returns 0, or -1 with a message naming the option (--from, --to, --iterations). */
int dt_lrfind_check(const dt_lrfind_opts *o, dt_err *err);

/* (to / from)^(1 / iterations): the exp policy's gamma that takes the rate from
 * `from` to `to` over the test. */
double dt_lrfind_gamma(const dt_lrfind_opts *o);

/* learning_rate and gamma as the cfg says them: the shortest decimal texts that Darknet,
 * which keeps both as floats, reads back as the floats nearest from and the gamma. */
void dt_lrfind_texts(const dt_lrfind_opts *o, char *lr, char *gamma, size_t n);

/* The rate Darknet trains iteration i at: its floats learning_rate * gamma^i. */
double dt_lrfind_rate(const dt_lrfind_opts *o, long iteration);

/* Rewrites c's [net] for the test: learning_rate = from, policy = exp, gamma,
 * burn_in = 0, max_batches = iterations, and drops what exp does not read (steps,
 * scales, power, ...) as fork reads them. -1 with a message when c has no [net]. */
int dt_lrfind_schedule(dt_cfg *c, const dt_lrfind_opts *o, dt_fork fork, dt_err *err);

/* One iteration of the test. smoothed: NAN for a loss that is not finite. */
typedef struct dt_lrfind_point {
    long iteration;
    double rate, loss, smoothed;
} dt_lrfind_point;

/* The curve, smoothed as points arrive: an exponential moving average, debiased
 * (divided by 1 - beta^k, so that the first values are not pulled towards 0), whose
 * weights reach over about a twentieth of the test (window = iterations / 20, at
 * least 2; beta = 1 - 1 / window): 5 iterations of 100, a third of a decade of rate
 * at the defaults. A struct on the caller's stack: init, add, free. */
typedef struct dt_lrfind_curve {
    dt_lrfind_point *p;
    int n, cap;
    double window, beta;
    double ema;         /* the average before debiasing */
    double best;        /* the smallest smoothed loss so far (INFINITY: none) */
    int diverged;       /* 1: the last point diverged (no point is added after it) */
    char why[160];      /* how it diverged: "loss inf", "smoothed loss 4x its minimum" */
} dt_lrfind_curve;

/* The smoothed loss above this many times its minimum is divergence, as in the
 * usual range test (fastai, Smith's), once a whole window has been seen. */
#define DT_LRFIND_DIVERGE 4.0

void dt_lrfind_curve_init(dt_lrfind_curve *c, long iterations);
/* Adds one iteration (rates must grow). Returns 1 when the curve has now diverged:
 * a loss that is nan or inf, or a smoothed loss above DT_LRFIND_DIVERGE times its
 * smallest so far; the caller stops the run. 0 otherwise; a point after divergence
 * is ignored (returns 1). */
int dt_lrfind_curve_add(dt_lrfind_curve *c, long iteration, double rate, double loss);
void dt_lrfind_curve_free(dt_lrfind_curve *c);

/* What the curve suggests: indexes into c->p (-1: none) and the range. */
typedef struct dt_lrfind_pick {
    int ok;             /* 1: low < high were found */
    int steep;          /* the steepest descent of the smoothed loss */
    int minimum;        /* the smallest smoothed loss */
    int end;            /* the divergence point, or the last point when the loss never diverged */
    int diverged;       /* 0: it never diverged up to the last rate (high is then a lower bound) */
    double steep_rate, end_rate;
    double low, high;   /* the suggestion: 2 significant digits (or from, to themselves), inside [from, to] */
    int low_clamped;    /* 1: steep_rate / 10 lay below from, so low is from */
    char why[256];      /* when !ok: why there is no suggestion, and what to change */
} dt_lrfind_pick;

/* How far below each point the range ends sit (the rule below). */
#define DT_LRFIND_BELOW_STEEP 10.0
#define DT_LRFIND_BELOW_END 10.0

/* The rule. The steepest descent is where the smoothed loss falls fastest per unit
 * of log rate (a centred difference over a window on each side), searched from
 * the start to the smoothed minimum. low = steep_rate / 10: a decade below it the
 * loss has only begun to fall, and smaller rates learn too little in a trial. The
 * end is the divergence point; high = end_rate / 10: the loss blew up within a few
 * iterations of reaching that rate, so a decade below it is the largest rate a whole
 * training can be expected to survive (without a divergence, the last rate: high is
 * then a lower bound). Both are clamped to [from, to] and rounded inwards to 2
 * significant digits. The smoothing lags the losses by about a window, so the
 * steepest descent found lies up to a third of a decade above the raw curve's. No
 * suggestion (ok = 0, why) when the test diverged before the loss fell, or the loss
 * fell by less than a tenth. */
int dt_lrfind_suggest(const dt_lrfind_curve *c, const dt_lrfind_opts *o, dt_lrfind_pick *pk);

/* iteration,rate,loss,smoothed; one line per point (smoothed empty where undefined). */
int dt_lrfind_write_csv(const dt_lrfind_curve *c, const char *path, dt_err *err);

/* Loss against rate on a log axis from `from` to `to`: the raw losses, the smoothed
 * curve, the steepest descent, the divergence and the suggested range shaded. One
 * self-contained SVG document (no script, no link, no font from elsewhere); title is
 * escaped. pk may be NULL (no suggestion). */
void dt_lrfind_svg(const dt_lrfind_curve *c, const dt_lrfind_opts *o, const dt_lrfind_pick *pk,
                   const char *title, dt_buf *out);

/* The same as text for a terminal: width x height characters of plot ('.' raw,
 * '*' smoothed), the rate axis with its decades, and the range marked under it. */
void dt_lrfind_ascii(const dt_lrfind_curve *c, const dt_lrfind_opts *o, const dt_lrfind_pick *pk, int width,
                     int height, dt_buf *out);

/* Progress of the run, for the command's status line. */
typedef struct dt_lrfind_hooks {
    void *user;
    void (*iteration)(void *user, const dt_lrfind_point *p, long iterations);
} dt_lrfind_hooks;

/* Runs the test for the sweep in dir (created; it gets lrfind.cfg, lrfind.data,
 * log.txt and backup/) with the sweep's runner (libdarknet or exec; not table), and
 * fills c (initialised by the caller with o->iterations). Every rate Darknet reports
 * is checked against dt_lrfind_rate (within 1%, or the 1e-6 that %f prints): a
 * Darknet that does not follow policy=exp stops the test with an error. *stop
 * becoming nonzero stops the run. Returns 0 when the run reached its end or
 * diverged, 1 when stopped, -1 with a message (the run failed first, or the rates
 * disagreed). */
int dt_lrfind_run(const dt_sweep *sw, const dt_lrfind_opts *o, const char *dir, const dt_lrfind_hooks *hooks,
                  volatile sig_atomic_t *stop, dt_lrfind_curve *c, dt_err *err);

#endif
