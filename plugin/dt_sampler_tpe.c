/* dt_sampler_tpe: the tree-structured Parzen estimator (TPE), as Optuna's TPESampler
 * documents and implements it (Bergstra et al. 2011; Watanabe 2023 for the parts).
 *
 * For trial N: the finished trials numbered below N are ranked (complete ones by value,
 * then pruned ones by their last intermediate value, later steps first) and the first
 * gamma(n) of them are "good", the rest "bad"; running trials are added to the bad ones
 * (the constant liar: a point being trained is treated as worst, so parallel workers
 * spread out). Failed trials are ignored. Over each set two Parzen estimators are built,
 * l(x) on the good and g(x) on the bad trials: a mixture with one kernel per trial plus a
 * prior kernel spanning the range, old trials fading (Optuna's default weights). Then
 * n_ei candidates drawn from l are scored by log l(x) - log g(x), and the best is N's
 * suggestion. Before startup_trials trials have finished, N gets exactly what the random
 * sampler would give it.
 *
 * Parameters are modelled in their transformed space: log for log and logint, a grid
 * step as a continuous range widened by half a step on each side whose kernels give each
 * grid point the probability mass of its cell; a choice is a categorical kernel.
 * Multivariate (the default): one kernel is a product over the parameters that are
 * active together, and candidates are drawn jointly; conditional parameters form their
 * own groups (all parameters under one [space:KEY=VALUE] section), each modelled on the
 * trials where that group was active, like Optuna's group = True. Univariate: each
 * parameter alone, with the neighbour-distance bandwidths of the original TPE.
 *
 * Seeded from (seed, N) alone, with no state kept between calls: a trial's suggestion is
 * a function of the trials before it. It does not decide when a study stops, and does
 * not handle several objectives or constraints. */
#include "dt_sampler_tpe.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DT_TPE__PRIOR_WEIGHT 1.0  /* weight of the prior kernel, as a trial's (Optuna's prior_weight) */
#define DT_TPE__FLAT 25           /* default_weights: the last 25 observations weigh 1 */
#define DT_TPE__GAMMA_CAP 25      /* default_gamma: at most 25 good trials */
#define DT_TPE__STREAM 0x7470650000000000ULL /* "tpe": model draws, apart from random's streams */
#define DT_TPE__LOG_SQRT_2PI 0.91893853320467274178
#define DT_TPE__TAIL_MAX 6.0      /* one-sided tails beyond 6 sigma (under 1e-9) count as 0 */
#define DT_TPE__TAIL_N 6144       /* the tail table's intervals on [0, TAIL_MAX] */

/* One tuned parameter as the estimators see it. */
typedef struct dt_tpe__dim {
    int p;            /* index in the space */
    int group;        /* which group (set of co-active parameters) it belongs to */
    int cat;          /* CHOICE: categorical kernels */
    int nc;           /* CHOICE: number of choices */
    int log;          /* LOG, LOGINT: modelled in log space */
    double step;      /* INT, LOGINT: grid step; 0 for continuous */
    double low, high; /* the distribution's bounds, in its own units */
    double lo, hi;    /* the model's bounds: widened by step/2 on a grid, then logged where log */
} dt_tpe__dim;

/* Parameters active together: those under one condition (parent index, value), or none (-1). */
typedef struct dt_tpe__group {
    int cond;
    const char *cond_value;
    int n;            /* tuned parameters */
    int *dims;        /* indices into dt_tpe.dims */
} dt_tpe__group;

struct dt_tpe {
    const dt_space *space;
    unsigned long long seed;
    int startup;      /* finished trials before the model is used */
    int ncand;        /* n_ei_candidates */
    int multivariate;
    double gamma;     /* fraction of good trials; 0: Optuna's min(ceil(0.1 n), 25) */
    int maximize;
    int ndims, ngroups;
    dt_tpe__dim *dims;
    dt_tpe__group *groups;
    /* erfc(z / sqrt 2) at z = i * TAIL_MAX / TAIL_N: every kernel's truncation to the
     * range needs its tails, and interpolating this table (error under 1e-8) costs a
     * fraction of an erfc call. */
    double tail[DT_TPE__TAIL_N + 2];
};

/* One Parzen estimator over nd dimensions: nk kernels (observations, then the prior). */
typedef struct dt_tpe__pe {
    int nk, nd;
    int first;        /* the first continuous dimension, -1 when none */
    double *w;        /* nk: mixture weights, summing to 1 */
    double *base;     /* nk: log weight plus each kernel's log density terms that do not depend on x */
    double *mu;       /* nd x nk, numeric dimensions, transformed space */
    double *sig;      /* nd x nk */
    double *isig;     /* nd x nk: 1 / sig */
    double **logp;    /* nd: categorical, nc x nk log probabilities (choice-major); NULL otherwise */
    int *nu;          /* nd: grid dimensions: distinct (mu, sig) pairs */
    double *umu, *uisig, *ulsig; /* nd x nk: those pairs' mu, 1 / sig, log sig */
    int *inv;         /* nd x nk: kernel -> its pair */
} dt_tpe__pe;

/* A finished trial's place in the ranking. */
typedef struct dt_tpe__rank {
    int i;            /* index into the caller's trials */
    int cls;          /* 0 complete, 1 pruned */
    double k1, k2;    /* sort keys, smaller is better */
    int number;
} dt_tpe__rank;

/* Creates the sampler: reads the options and splits the tuned parameters into groups
 * of co-active ones, in space order (a parent's group before its children's). */
int dt_tpe_create(dt_tpe **out, const dt_space *space, unsigned long long seed, const dt_sweep *opts,
                  dt_err *err)
{
    dt_tpe *t = dt_xcalloc(1, sizeof *t);
    t->space = space;
    t->seed = seed;
    t->startup = opts ? opts->startup_trials : 10;
    t->ncand = opts && opts->ei_candidates > 0 ? opts->ei_candidates : 24;
    t->multivariate = opts ? opts->multivariate : 1;
    t->gamma = opts && opts->gamma > 0 && opts->gamma <= 1 ? opts->gamma : 0;
    t->maximize = opts ? opts->maximize : 0;
    if (t->startup < 0) t->startup = 0;
    for (int i = 0; i <= DT_TPE__TAIL_N + 1; i++)
        t->tail[i] = erfc(i * (DT_TPE__TAIL_MAX / DT_TPE__TAIL_N) * M_SQRT1_2);

    t->dims = dt_xcalloc((size_t)(space->n > 0 ? space->n : 1), sizeof *t->dims);
    t->groups = dt_xcalloc((size_t)(space->n > 0 ? space->n : 1), sizeof *t->groups);
    for (int i = 0; i < space->n; i++) {
        const dt_param *p = &space->p[i];
        if (p->kind == DT_FIXED) continue;
        if (p->kind == DT_CHOICE && p->nchoices < 1) {
            dt_tpe_free(t);
            return dt_errf(err, "parameter '%s' has no choices", p->name);
        }
        int g = 0;
        while (g < t->ngroups && !(t->groups[g].cond == p->cond &&
                                   (p->cond < 0 || strcmp(t->groups[g].cond_value, p->cond_value) == 0)))
            g++;
        if (g == t->ngroups) {
            t->groups[g].cond = p->cond;
            t->groups[g].cond_value = p->cond_value;
            t->groups[g].dims = dt_xmalloc((size_t)space->n * sizeof(int));
            t->ngroups++;
        }
        dt_tpe__dim *d = &t->dims[t->ndims];
        d->p = i;
        d->group = g;
        d->cat = p->kind == DT_CHOICE;
        d->nc = p->nchoices;
        d->log = p->kind == DT_LOG || p->kind == DT_LOGINT;
        d->step = p->kind == DT_INT || p->kind == DT_LOGINT ? (p->step > 0 ? p->step : 1) : 0;
        d->low = p->low;
        d->high = p->high;
        d->lo = p->low - d->step / 2;
        d->hi = p->high + d->step / 2;
        if (d->log) {
            d->lo = log(d->lo);
            d->hi = log(d->hi);
        }
        t->groups[g].dims[t->groups[g].n++] = t->ndims++;
    }
    *out = t;
    return 0;
}

/* Frees the groups and the sampler. */
void dt_tpe_free(dt_tpe *t)
{
    if (!t) return;
    for (int g = 0; g < t->ngroups; g++) free(t->groups[g].dims);
    free(t->groups);
    free(t->dims);
    free(t);
}

/* ---- Numbers. */

/* log of the standard normal's mass on [a, b], a < b, accurate in both tails (erfc on
 * the far side; a tail under 1e-9 is left out); where even
 * that underflows, the density at the nearer end times the width. */
static double dt_tpe__log_mass(double a, double b)
{
    double m;
    if (a > 0) {
        m = 0.5 * (erfc(a * M_SQRT1_2) - erfc(b * M_SQRT1_2));
    } else if (b < 0) {
        m = 0.5 * (erfc(-b * M_SQRT1_2) - erfc(-a * M_SQRT1_2));
    } else {
        /* A tail beyond 6 sigma (under 1e-9) moves the log by under 1e-9: skipped, so
         * that a kernel pays for one erfc, not two (kernels are rarely near both ends). */
        double ta = a < -6 ? 0 : erfc(-a * M_SQRT1_2), tb = b > 6 ? 0 : erfc(b * M_SQRT1_2);
        if (ta == 0 && tb == 0) return 0;
        return log1p(-0.5 * (ta + tb));
    }
    if (m > 1e-300) return log(m);
    double z = a > 0 ? a : -b;
    return -0.5 * z * z - DT_TPE__LOG_SQRT_2PI + log(b - a);
}

/* log of the standard normal's mass on [a, b] for a <= 0 <= b (a kernel centred in its
 * range), from the tail table; as dt_tpe__log_mass, up to about 1e-8. */
static double dt_tpe__log_inner_mass(const dt_tpe *t, double a, double b)
{
    double tails = 0, scale = DT_TPE__TAIL_N / DT_TPE__TAIL_MAX;
    double z[2] = {-a, b};
    for (int i = 0; i < 2; i++) {
        if (z[i] >= DT_TPE__TAIL_MAX) continue;
        double u = z[i] * scale;
        int k = (int)u;
        tails += t->tail[k] + (u - k) * (t->tail[k + 1] - t->tail[k]);
    }
    double x = 0.5 * tails;
    return x < 1e-4 ? -x - 0.5 * x * x : log1p(-x);   /* the series is exact to 1e-13 there */
}

/* A draw from N(mu, sig) truncated to [lo, hi], by rejection: kernels are centred in the
 * range with sig at most its width, so at least a third of the draws land inside. */
static double dt_tpe__truncnorm(dt_rng *rng, double mu, double sig, double lo, double hi)
{
    for (int i = 0; i < 1000; i++) {
        double x = mu + sig * dt_rng_normal(rng);
        if (x >= lo && x <= hi) return x;
    }
    return mu < lo ? lo : mu > hi ? hi : mu;
}

/* e^x for x in [-37, 0] with a relative error under 1e-8, several times cheaper than
 * libm's exp: 2^x/ln2 split into an integer power (built in the exponent bits) and
 * 2^f for |f| <= 1/2 (Taylor to degree 7). It only feeds sums that rank candidates. */
static inline double dt_tpe__exp_neg(double x)
{
    double t = x * M_LOG2E, n = nearbyint(t), f = (t - n) * M_LN2;
    double p = 1 + f * (1 + f * (1.0 / 2 + f * (1.0 / 6 + f * (1.0 / 24 + f * (1.0 / 120 + f * (1.0 / 720 +
               f * (1.0 / 5040)))))));
    uint64_t bits = (uint64_t)((int64_t)n + 1023) << 52;
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* log(sum(exp(a[0..n-1]))) without overflow; the terms too small to count are not computed. */
static double dt_tpe__logsumexp(const double *a, int n)
{
    double m = -INFINITY;
    for (int k = 0; k < n; k++)
        if (a[k] > m) m = a[k];
    if (!isfinite(m)) return m;
    double s = 0;
    for (int k = 0; k < n; k++)   /* e^-37 < 2^-53: such terms cannot change the sum */
        if (a[k] - m > -37) s += dt_tpe__exp_neg(a[k] - m);
    return m + log(s);
}

/* ---- Ranking the trials. */

/* Orders ranks best first: complete before pruned; complete by signed value; pruned by
 * (-last step, signed last value); ties by trial number (Optuna's sort is stable). */
static int dt_tpe__cmp_rank(const void *pa, const void *pb)
{
    const dt_tpe__rank *a = pa, *b = pb;
    if (a->cls != b->cls) return a->cls < b->cls ? -1 : 1;
    if (a->k1 != b->k1) return a->k1 < b->k1 ? -1 : 1;
    if (a->k2 != b->k2) return a->k2 < b->k2 ? -1 : 1;
    return (a->number > b->number) - (a->number < b->number);
}

/* Optuna's default_gamma, or ceil(fraction * n) when the sweep sets gamma. */
static int dt_tpe__gamma(const dt_tpe *t, int n)
{
    int g = t->gamma > 0 ? (int)ceil(t->gamma * n) : (int)ceil(0.1 * n);
    if (t->gamma <= 0 && g > DT_TPE__GAMMA_CAP) g = DT_TPE__GAMMA_CAP;
    return g < 0 ? 0 : g > n ? n : g;
}

/* Sorts the usable trials into good (below[i] = 1) and bad (0); ignored ones get -1.
 * Returns the number of finished (complete or pruned) trials among them. Only the
 * first gamma(n) places matter: when they are few (the default caps them at 25), they
 * are kept by insertion instead of sorting every trial. */
static int dt_tpe__split(const dt_tpe *t, const dt_trial *trials, int ntrials, int number, signed char *below)
{
    dt_tpe__rank *r = dt_xmalloc((size_t)(ntrials > 0 ? ntrials : 1) * sizeof *r);
    int n = 0;
    double sign = t->maximize ? -1.0 : 1.0;
    for (int i = 0; i < ntrials; i++) {
        const dt_trial *tr = &trials[i];
        below[i] = -1;
        if (tr->number >= number || !tr->values) continue;
        if (tr->state == DT_RUNNING) {
            below[i] = 0;
            continue;
        }
        if (tr->state == DT_COMPLETE) {
            if (isnan(tr->value)) continue;
            r[n] = (dt_tpe__rank){i, 0, sign * tr->value, 0, tr->number};
        } else if (tr->state == DT_PRUNED) {
            if (tr->last_step < 0) r[n] = (dt_tpe__rank){i, 1, 1, 0, tr->number};
            else r[n] = (dt_tpe__rank){i, 1, -(double)tr->last_step,
                                       isnan(tr->last_metric) ? INFINITY : sign * tr->last_metric, tr->number};
        } else {
            continue;
        }
        below[i] = 0;
        n++;
    }
    int nbelow = dt_tpe__gamma(t, n);
    if (nbelow > 64) {
        qsort(r, (size_t)n, sizeof *r, dt_tpe__cmp_rank);
    } else {
        /* r[0..kept-1] stays sorted: the best so far. */
        int kept = 0;
        for (int k = 0; k < n; k++) {
            if (kept == nbelow && (kept == 0 || dt_tpe__cmp_rank(&r[k], &r[kept - 1]) >= 0)) continue;
            dt_tpe__rank x = r[k];
            int at = kept < nbelow ? kept++ : kept - 1;
            while (at > 0 && dt_tpe__cmp_rank(&x, &r[at - 1]) < 0) {
                r[at] = r[at - 1];
                at--;
            }
            r[at] = x;
        }
    }
    for (int k = 0; k < nbelow; k++) below[r[k].i] = 1;
    free(r);
    return n;
}

/* ---- Parzen estimators. */

/* Whether trial values hold a usable value of every dimension in dims; writes the
 * internal values (category index, or number in the transformed space) into row. */
static int dt_tpe__observe(const dt_tpe *t, const int *dims, int nd, const dt_value *vals, double *row)
{
    for (int j = 0; j < nd; j++) {
        const dt_tpe__dim *d = &t->dims[dims[j]];
        const dt_value *v = &vals[d->p];
        if (!v->active) return 0;
        if (d->cat) {
            if (v->idx < 0 || v->idx >= d->nc) return 0;   /* a baseline's own word */
            row[j] = v->idx;
            continue;
        }
        double x = v->num, tol = 1e-9 * (d->high - d->low);
        if (!isfinite(x) || x < d->low - tol || x > d->high + tol) return 0;  /* outside the distribution */
        x = x < d->low ? d->low : x > d->high ? d->high : x;
        row[j] = d->log ? log(x) : x;
    }
    return 1;
}

/* A value and where it came from, for sorting. */
typedef struct dt_tpe__keyed {
    double v;
    int i;
} dt_tpe__keyed;

/* The sort order: by value, then index (so the result is the stable one). */
static int dt_tpe__before(const dt_tpe__keyed *x, const dt_tpe__keyed *y)
{
    return x->v < y->v || (x->v == y->v && x->i < y->i);
}

/* Sorts a[0..n-1] with tmp as scratch: a bottom-up merge sort, as qsort's indirect
 * comparisons dominated univariate suggestions. */
static void dt_tpe__sort(dt_tpe__keyed *a, dt_tpe__keyed *tmp, int n)
{
    /* Runs of 16 by insertion, then merge passes between a and tmp in turn (no copy
     * back per pass): with one sort per dimension per suggestion, this is hot. */
    enum { RUN = 16 };
    for (int lo = 0; lo < n; lo += RUN) {
        int hi = lo + RUN < n ? lo + RUN : n;
        for (int k = lo + 1; k < hi; k++) {
            dt_tpe__keyed x = a[k];
            int j = k;
            for (; j > lo && dt_tpe__before(&x, &a[j - 1]); j--) a[j] = a[j - 1];
            a[j] = x;
        }
    }
    dt_tpe__keyed *src = a, *dst = tmp;
    for (int width = RUN; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            int x = lo, y = mid, k = lo;
            while (x < mid && y < hi) dst[k++] = dt_tpe__before(&src[y], &src[x]) ? src[y++] : src[x++];
            while (x < mid) dst[k++] = src[x++];
            while (y < hi) dst[k++] = src[y++];
        }
        dt_tpe__keyed *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, (size_t)n * sizeof *a);
}

/* Bandwidths, per dimension, as current Optuna computes them in both modes: each
 * observation's sigma is the larger gap to its neighbours among the sorted observations
 * (the range's ends stand beside the first and the last); with two or more, the first
 * and the last look inwards only (consider_endpoints = False). The prior's centre is
 * not among the neighbours (older TPEs put it there). */
static void dt_tpe__neighbour_sigmas(const double *mus, int m, double lo, double hi, double *sig)
{
    dt_tpe__keyed *s = dt_xmalloc((size_t)m * 2 * sizeof *s);
    for (int k = 0; k < m; k++) s[k] = (dt_tpe__keyed){mus[k], k};
    dt_tpe__sort(s, s + m, m);
    for (int k = 0; k < m; k++) {
        double x = s[k].v, left = k > 0 ? s[k - 1].v : lo, right = k < m - 1 ? s[k + 1].v : hi;
        double sg = fmax(x - left, right - x);
        if (m >= 2 && k == 0) sg = right - x;
        if (m >= 2 && k == m - 1) sg = x - left;
        sig[s[k].i] = sg;
    }
    free(s);
}

/* Builds the estimator over dims from m observations (rows of nd internal values, oldest
 * first). Weights: Optuna's default_weights (flat for the last 25, a ramp from 1/m before),
 * then the prior's, normalized. Bandwidths from neighbours (dt_tpe__neighbour_sigmas),
 * clipped to [range / min(100, 1 + kernels), range]
 * (the "magic clip"). The prior kernel sits at the centre with the range as its sigma;
 * for a choice it is uniform, and each observation's row is its one-hot plus the prior's
 * share spread evenly. */
static void dt_tpe__pe_build(dt_tpe__pe *pe, const dt_tpe *t, const int *dims, int nd, const double *obs, int m)
{
    int nk = m + 1;
    memset(pe, 0, sizeof *pe);
    pe->nk = nk;
    pe->nd = nd;
    pe->first = -1;
    for (int j = nd - 1; j >= 0; j--)
        if (!t->dims[dims[j]].cat && t->dims[dims[j]].step == 0) pe->first = j;
    pe->w = dt_xmalloc((size_t)nk * sizeof *pe->w);
    pe->base = dt_xmalloc((size_t)nk * sizeof *pe->base);
    size_t nn = (size_t)nd * (size_t)nk;
    pe->mu = dt_xmalloc(nn * sizeof *pe->mu);
    pe->sig = dt_xmalloc(nn * sizeof *pe->sig);
    pe->isig = dt_xmalloc(nn * sizeof *pe->isig);
    pe->logp = dt_xcalloc((size_t)nd, sizeof *pe->logp);
    pe->nu = dt_xcalloc((size_t)nd, sizeof *pe->nu);
    pe->umu = dt_xmalloc(nn * sizeof *pe->umu);
    pe->uisig = dt_xmalloc(nn * sizeof *pe->uisig);
    pe->ulsig = dt_xmalloc(nn * sizeof *pe->ulsig);
    pe->inv = dt_xmalloc(nn * sizeof *pe->inv);

    double sum = 0;
    for (int k = 0; k < m; k++) {
        double w = 1.0;
        int ramp = m - DT_TPE__FLAT;
        if (ramp > 0 && k < ramp) w = ramp == 1 ? 1.0 / m : 1.0 / m + k * (1.0 - 1.0 / m) / (ramp - 1);
        pe->w[k] = w;
        sum += w;
    }
    pe->w[m] = DT_TPE__PRIOR_WEIGHT;
    sum += DT_TPE__PRIOR_WEIGHT;
    for (int k = 0; k < nk; k++) {
        pe->w[k] /= sum;
        pe->base[k] = log(pe->w[k]);
    }

    /* Open addressing over (mu, sig) for the grid dimensions' distinct pairs. */
    int hsize = 1;
    while (hsize < 2 * nk) hsize <<= 1;
    int *slot = dt_xmalloc((size_t)hsize * sizeof *slot);
    for (int j = 0; j < nd; j++) {
        const dt_tpe__dim *d = &t->dims[dims[j]];
        if (d->cat) {
            int nc = d->nc;
            double *lp = dt_xmalloc((size_t)nc * (size_t)nk * sizeof *lp);
            double share = DT_TPE__PRIOR_WEIGHT / nk;
            double lshare = log(share / (nc * share + 1.0)), lhit = log((share + 1.0) / (nc * share + 1.0));
            for (int c = 0; c < nc; c++) {
                for (int k = 0; k < m; k++) lp[(size_t)c * nk + k] = (int)obs[(size_t)k * nd + j] == c ? lhit : lshare;
                lp[(size_t)c * nk + m] = -log((double)nc);
            }
            pe->logp[j] = lp;
            continue;
        }
        double *mu = pe->mu + (size_t)j * nk, *sig = pe->sig + (size_t)j * nk, *isig = pe->isig + (size_t)j * nk;
        double range = d->hi - d->lo;
        for (int k = 0; k < m; k++) mu[k] = obs[(size_t)k * nd + j];
        mu[m] = 0.5 * (d->lo + d->hi);
        /* Each kernel's width is the distance to its farther neighbour, in multivariate
         * mode too: Optuna dropped Scott's rule (0.2 n^(-1/(d+4)) of the range) for it,
         * and on Hartmann-6 and Branin the neighbour widths find optima 3-4x closer. */
        if (m > 0) dt_tpe__neighbour_sigmas(mu, m, d->lo, d->hi, sig);
        double minsig = range / fmin(100.0, 1.0 + nk), maxsig = range, lsig = 0;
        for (int k = 0; k < m; k++) sig[k] = sig[k] < minsig ? minsig : sig[k] > maxsig ? maxsig : sig[k];
        sig[m] = range;
        for (int k = 0; k < nk; k++) {
            isig[k] = 1.0 / sig[k];
            pe->base[k] -= dt_tpe__log_inner_mass(t, (d->lo - mu[k]) * isig[k], (d->hi - mu[k]) * isig[k]);
            if (d->step > 0) continue;
            if (k == 0 || sig[k] != sig[k - 1]) lsig = log(sig[k]);
            pe->base[k] -= lsig + DT_TPE__LOG_SQRT_2PI;
        }
        if (d->step == 0) continue;
        /* A grid point's mass depends on the kernel through (mu, sig) only, and on a grid
         * few pairs are distinct: each distinct pair is scored once per candidate. */
        double *umu = pe->umu + (size_t)j * nk, *uisig = pe->uisig + (size_t)j * nk;
        double *ulsig = pe->ulsig + (size_t)j * nk;
        int *inv = pe->inv + (size_t)j * nk, nu = 0;
        for (int h = 0; h < hsize; h++) slot[h] = -1;
        for (int k = 0; k < nk; k++) {
            uint64_t a, b;
            memcpy(&a, &mu[k], sizeof a);
            memcpy(&b, &sig[k], sizeof b);
            uint64_t hv = (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL;
            int h = (int)(hv >> 40) & (hsize - 1);
            while (slot[h] >= 0 && !(umu[slot[h]] == mu[k] && uisig[slot[h]] == isig[k])) h = (h + 1) & (hsize - 1);
            if (slot[h] < 0) {
                slot[h] = nu;
                umu[nu] = mu[k];
                uisig[nu] = isig[k];
                ulsig[nu] = log(sig[k]);
                nu++;
            }
            inv[k] = slot[h];
        }
        pe->nu[j] = nu;
    }
    free(slot);
}

/* Frees what dt_tpe__pe_build allocated. */
static void dt_tpe__pe_free(dt_tpe__pe *pe)
{
    for (int j = 0; j < pe->nd; j++) free(pe->logp[j]);
    free(pe->logp);
    free(pe->w);
    free(pe->base);
    free(pe->mu);
    free(pe->sig);
    free(pe->isig);
    free(pe->nu);
    free(pe->umu);
    free(pe->uisig);
    free(pe->ulsig);
    free(pe->inv);
}

/* Draws ncand points from the mixture into cand (ncand x nd): a kernel by weight, then
 * each dimension from that kernel. Continuous values stay in the transformed space; grid
 * values are snapped to the grid in the parameter's own units; choices are indices. */
static void dt_tpe__pe_sample(const dt_tpe__pe *pe, const dt_tpe *t, const int *dims, dt_rng *rng, int ncand,
                              double *cand)
{
    int nk = pe->nk, nd = pe->nd;
    for (int c = 0; c < ncand; c++) {
        double u = dt_rng_uniform(rng), acc = 0;
        int k = 0;
        while (k < nk - 1 && (acc += pe->w[k]) <= u) k++;
        for (int j = 0; j < nd; j++) {
            const dt_tpe__dim *d = &t->dims[dims[j]];
            double *x = &cand[(size_t)c * nd + j];
            if (d->cat) {
                double v = dt_rng_uniform(rng), a = 0;
                int ch = 0;
                while (ch < d->nc - 1 && (a += exp(pe->logp[j][(size_t)ch * nk + k])) <= v) ch++;
                *x = ch;
                continue;
            }
            size_t at = (size_t)j * nk + (size_t)k;
            double y = dt_tpe__truncnorm(rng, pe->mu[at], pe->sig[at], d->lo, d->hi);
            if (d->step > 0) {
                if (d->log) y = exp(y);
                y = d->low + round((y - d->low) / d->step) * d->step;
                y = y < d->low ? d->low : y > d->high ? d->high : y;
            }
            *x = y;
        }
    }
}

/* Log density of the mixture at each candidate (out[c]); acc and lm are nk scratch. */
static void dt_tpe__pe_logpdf(const dt_tpe__pe *pe, const dt_tpe *t, const int *dims, const double *cand, int ncand,
                              double *out, double *acc, double *lm)
{
    int nk = pe->nk, nd = pe->nd;
    for (int c = 0; c < ncand; c++) {
        /* The first continuous dimension writes acc from base (no separate copy: in
         * univariate mode that copy was a good part of the work); the others add to it. */
        int j0 = pe->first;
        if (j0 >= 0) {
            double x = cand[(size_t)c * nd + j0];
            const double *mu = pe->mu + (size_t)j0 * nk, *is = pe->isig + (size_t)j0 * nk, *b = pe->base;
            for (int k = 0; k < nk; k++) {
                double z = (x - mu[k]) * is[k];
                acc[k] = b[k] - 0.5 * z * z;
            }
        } else {
            memcpy(acc, pe->base, (size_t)nk * sizeof *acc);
        }
        for (int j = 0; j < nd; j++) {
            if (j == j0) continue;
            const dt_tpe__dim *d = &t->dims[dims[j]];
            double x = cand[(size_t)c * nd + j];
            if (d->cat) {
                const double *row = pe->logp[j] + (size_t)x * nk;
                for (int k = 0; k < nk; k++) acc[k] += row[k];
            } else if (d->step == 0) {
                const double *mu = pe->mu + (size_t)j * nk, *is = pe->isig + (size_t)j * nk;
                for (int k = 0; k < nk; k++) {
                    double z = (x - mu[k]) * is[k];
                    acc[k] -= 0.5 * z * z;
                }
            } else {
                /* The cell [x - step/2, x + step/2] (logged where log). Narrower than a
                 * tenth of sigma, its mass is the density at its centre times its width,
                 * corrected to second order (relative error under 1e-4): no erfc needed. */
                double left = x - d->step / 2, right = x + d->step / 2;
                if (d->log) {
                    left = log(left);
                    right = log(right);
                }
                double mid = 0.5 * (left + right), width = right - left, lwidth = log(width);
                const double *umu = pe->umu + (size_t)j * nk, *uis = pe->uisig + (size_t)j * nk;
                const double *uls = pe->ulsig + (size_t)j * nk;
                const int *inv = pe->inv + (size_t)j * nk;
                for (int u = 0; u < pe->nu[j]; u++) {
                    double w = width * uis[u];
                    if (w <= 0.1) {
                        double z = (mid - umu[u]) * uis[u], e = (z * z - 1) * w * w / 24;
                        lm[u] = -0.5 * z * z - DT_TPE__LOG_SQRT_2PI + lwidth - uls[u] + e - 0.5 * e * e;
                    } else {
                        lm[u] = dt_tpe__log_mass((left - umu[u]) * uis[u], (right - umu[u]) * uis[u]);
                    }
                }
                for (int k = 0; k < nk; k++) acc[k] += lm[inv[k]];
            }
        }
        out[c] = dt_tpe__logsumexp(acc, nk);
    }
}

/* ---- Suggesting. */

/* Samples one unit (a group, or one parameter in univariate mode) into vals: the good
 * and bad trials where every dimension of the unit holds a usable value make l and g;
 * the candidate from l with the largest log l - log g wins. */
static void dt_tpe__sample_unit(const dt_tpe *t, const int *dims, int nd, const dt_trial *trials, int ntrials,
                                const signed char *below, dt_rng *rng, dt_value *vals)
{
    double *obs_l = dt_xmalloc((size_t)(ntrials + 1) * (size_t)nd * sizeof *obs_l);
    double *obs_g = dt_xmalloc((size_t)(ntrials + 1) * (size_t)nd * sizeof *obs_g);
    int ml = 0, mg = 0;
    for (int i = 0; i < ntrials; i++) {
        if (below[i] < 0) continue;
        double *row = below[i] ? obs_l + (size_t)ml * nd : obs_g + (size_t)mg * nd;
        if (!dt_tpe__observe(t, dims, nd, trials[i].values, row)) continue;
        if (below[i]) ml++;
        else mg++;
    }
    dt_tpe__pe l, g;
    dt_tpe__pe_build(&l, t, dims, nd, obs_l, ml);
    dt_tpe__pe_build(&g, t, dims, nd, obs_g, mg);

    int nc = t->ncand, nk = (ml > mg ? ml : mg) + 1;
    double *cand = dt_xmalloc((size_t)nc * (size_t)nd * sizeof *cand);
    double *ll = dt_xmalloc((size_t)nc * 2 * sizeof *ll), *lg = ll + nc;
    double *scratch = dt_xmalloc((size_t)nk * 2 * sizeof *scratch);
    dt_tpe__pe_sample(&l, t, dims, rng, nc, cand);
    dt_tpe__pe_logpdf(&l, t, dims, cand, nc, ll, scratch, scratch + nk);
    dt_tpe__pe_logpdf(&g, t, dims, cand, nc, lg, scratch, scratch + nk);
    int best = 0;
    for (int c = 1; c < nc; c++)
        if (ll[c] - lg[c] > ll[best] - lg[best]) best = c;

    for (int j = 0; j < nd; j++) {
        const dt_tpe__dim *d = &t->dims[dims[j]];
        const dt_param *p = &t->space->p[d->p];
        double x = cand[(size_t)best * nd + j];
        if (d->cat) dt_value_choice(p, (int)x, &vals[d->p]);
        else dt_value_num(p, d->step == 0 && d->log ? exp(x) : x, &vals[d->p]);
    }
    free(scratch);
    free(ll);
    free(cand);
    dt_tpe__pe_free(&l);
    dt_tpe__pe_free(&g);
    free(obs_l);
    free(obs_g);
}

/* Whether a condition (parent index or -1, value) holds given the values settled so far. */
static int dt_tpe__holds(const dt_value *vals, int cond, const char *value)
{
    return cond < 0 || (vals[cond].active && strcmp(vals[cond].text, value) == 0);
}

/* Sets the fixed texts whose condition holds by now, in space order (parents first), so
 * that a group depending on a fixed parent sees it. */
static void dt_tpe__fix(const dt_space *s, dt_value *vals)
{
    for (int i = 0; i < s->n; i++)
        if (s->p[i].kind == DT_FIXED && !vals[i].active && dt_tpe__holds(vals, s->p[i].cond, s->p[i].cond_value))
            dt_value_choice(&s->p[i], 0, &vals[i]);
}

/* Random until startup_trials trials have finished (the random sampler's very draw for
 * this trial), then the model, group by group in space order: a group whose condition
 * does not hold is left inactive. */
int dt_tpe_suggest(dt_tpe *t, const dt_trial *trials, int ntrials, int number, dt_value *vals, dt_err *err)
{
    const dt_space *s = t->space;
    signed char *below = dt_xmalloc((size_t)(ntrials > 0 ? ntrials : 1));
    int finished = dt_tpe__split(t, trials, ntrials, number, below);
    dt_rng rng;
    if (finished < t->startup) {
        dt_rng_seed(&rng, t->seed, (uint64_t)number);
        dt_space_sample(s, &rng, vals);
        free(below);
        return 0;
    }
    dt_rng_seed(&rng, t->seed, DT_TPE__STREAM ^ (uint64_t)number);
    for (int i = 0; i < s->n; i++) {
        memset(&vals[i], 0, sizeof vals[i]);
        vals[i].num = NAN;
        vals[i].idx = -1;
    }
    for (int gi = 0; gi < t->ngroups; gi++) {
        const dt_tpe__group *g = &t->groups[gi];
        dt_tpe__fix(s, vals);
        if (!dt_tpe__holds(vals, g->cond, g->cond_value)) continue;
        if (t->multivariate) {
            dt_tpe__sample_unit(t, g->dims, g->n, trials, ntrials, below, &rng, vals);
        } else {
            for (int j = 0; j < g->n; j++) dt_tpe__sample_unit(t, &g->dims[j], 1, trials, ntrials, below, &rng, vals);
        }
    }
    dt_tpe__fix(s, vals);
    dt_space_activate(s, vals);
    free(below);
    (void)err;
    return 0;
}
