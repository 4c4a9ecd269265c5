/* dt_sampler_tpe: the tree-structured Parzen estimator (TPE), as Optuna's TPESampler
 * documents and implements it (Bergstra et al. 2011; Watanabe 2023 for the parts).
 *
 * For trial N: the finished trials numbered below N are ranked (complete ones by value,
 * then pruned ones by the last value the pruner compared, later steps first: a loss
 * lower-better, the metric in the study's direction) and the first
 * gamma(n) of them are "good", the rest "bad"; running trials are added to the bad ones
 * (the constant liar: a point being trained is treated as worst, so parallel workers
 * spread out). Failed trials are ignored. Over each set two Parzen estimators are built,
 * l(x) on the good and g(x) on the bad trials: a mixture with one kernel per trial plus a
 * prior kernel spanning the range, old trials fading (Optuna's default weights). Then
 * candidates drawn from l are scored by log l(x) - log g(x), and the best is N's
 * suggestion: Optuna's 24 candidates, more as the good trials grow in multivariate mode
 * (dt_tpe__ncand: the one default where darktune departs from Optuna, on evidence).
 * Before startup_trials trials have finished, N gets exactly what the random sampler
 * would give it.
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
 * Several objectives (opts nobj >= 2, each minimized or maximized): Optuna's MOTPE, as
 * its latest TPESampler does it (dt_tpe__split_mo): the good trials are the first
 * ceil(0.1 n) by non-domination rank, the last rank they reach filled by greedy
 * hypervolume subset selection; l weighs its observations alike (no fading), and the
 * candidates are Optuna's 24. Optuna then models each parameter apart by default, and
 * so does multivariate = -1 here (joint kernels, measured by bench/pareto.sh, lose
 * hypervolume on ZDT1, ZDT3 and DTLZ2: separable problems, where mixing the good
 * trials' coordinates pays).
 *
 * Seeded from (seed, N) alone, with no state kept between calls: a trial's suggestion is
 * a function of the trials before it. It does not decide when a study stops, and does
 * not handle constraints. */
#include "dt_sampler_tpe.h"
#include "dt_pareto.h"
#include "dt_sampler_tpe_num.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* x86-64 builds carry a second, AVX2 copy of the vectorized loops (densities, cell
 * masses, logs), picked at load time where the CPU has AVX2 (gcc's target_clones):
 * twice the doubles per instruction, and the same results to the bit, as AVX2 alone
 * brings no fused multiply-add and the sums are kept in explicit lanes. It takes glibc
 * (the clones are picked through an ifunc); elsewhere, the one portable build. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define DT_TPE__SIMD __attribute__((target_clones("avx2", "default")))
#define DT_TPE__INLINE static inline __attribute__((always_inline)) /* into each clone, AVX2 there */
#else
#define DT_TPE__SIMD
#define DT_TPE__INLINE static inline
#endif

#define DT_TPE__PRIOR_WEIGHT 1.0  /* weight of the prior kernel, as a trial's (Optuna's prior_weight) */
#define DT_TPE__FLAT 25           /* default_weights: the last 25 observations weigh 1 */
#define DT_TPE__GAMMA_CAP 25      /* default_gamma: at most 25 good trials */
#define DT_TPE__NCAND 24          /* candidates: Optuna's n_ei_candidates, and the least by default */
#define DT_TPE__NCAND_PER_KERNEL 4 /* multivariate default: candidates per kernel of l ... */
#define DT_TPE__NCAND_MAX 48      /* ... up to this many (see dt_tpe__ncand) */
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
    double lowtol, hightol; /* those widened by 1e-9 of the range: what observations may hold */
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
    int ncand;        /* n_ei_candidates set by the sweep; 0: dt_tpe__ncand's default */
    int multivariate;
    double gamma;     /* fraction of good trials; 0: Optuna's min(ceil(0.1 n), 25) */
    int maximize;
    int nobj;         /* objectives: 1, or 2 .. DT_OBJ_MAX for MOTPE */
    dt_objective obj[DT_OBJ_MAX];
    int ndims, ngroups;
    dt_tpe__dim *dims;
    dt_tpe__group *groups;
    /* erfc(z / sqrt 2) at z = i * TAIL_MAX / TAIL_N: every kernel's truncation to the
     * range needs its tails, and interpolating this table (error under 1e-8) costs a
     * fraction of an erfc call. */
    double tail[DT_TPE__TAIL_N + 2];
    /* dt_tpe__erfc's polynomial, fitted when the sampler is created. */
    double erfc_c[DT_TPE__ERFC_N];
};

/* One Parzen estimator over nd dimensions: nk kernels (observations, then the prior).
 * Every array lives in one allocation (mem), not a dozen: two estimators are built per
 * suggestion and unit. */
typedef struct dt_tpe__pe {
    int nk, nd;
    double *w;        /* nk: mixture weights, summing to 1 */
    double *base;     /* nk: each kernel's log density terms that do not depend on x (not the weight:
                       * dt_tpe__pe_logpdf multiplies by w, saving a log per kernel) */
    double *mu;       /* nd x nk, numeric dimensions, transformed space */
    double *sig;      /* nd x nk */
    double *isig;     /* nd x nk: 1 / sig */
    double *hsig;     /* nd x nk, continuous dimensions: sqrt(1/2) / sig, so that -z^2/2 is one square */
    double **logp;    /* nd: categorical, nc x nk log probabilities (choice-major); NULL otherwise */
    int *nu;          /* nd: grid dimensions: distinct (mu, sig) pairs */
    double *umu, *uisig, *ulsig; /* nd x nk: those pairs' mu, 1 / sig, log sig */
    int *inv;         /* nd x nk: kernel -> its pair */
    /* Leaves (dt_tpe__pe_order; nl = 0 where the kernels are not in leaves): kernels
     * starts[i] .. starts[i + 1] - 1 form leaf i, and per leaf, for bounds: */
    int nl;
    int *starts;      /* nl + 1 */
    double *bmax;     /* nl: the largest base */
    double *lmin, *lmax; /* nd x nl, numeric dimensions: the extent of mu */
    double *lh;       /* nd x nl: continuous: the least hsig; grid: the largest sig */
    double *lls;      /* nd x nl, grid dimensions: log of the least sig */
    double **lcat;    /* nd: categorical, nc x nl: the largest log probability of each choice */
    double margin;    /* PRUNE_MARGIN + log(1 / the least weight) */
    void *mem;
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
int dt_tpe_create(dt_tpe **out, const dt_space *space, unsigned long long seed, const dt_tpe_opts *opts,
                  dt_err *err)
{
    dt_tpe_opts o = opts ? *opts : DT_TPE_OPTS_DEFAULT;
    dt_tpe *t = dt_xcalloc(1, sizeof *t);
    t->space = space;
    t->seed = seed;
    t->startup = o.startup_trials;
    t->ncand = o.ei_candidates > 0 ? o.ei_candidates : 0;
    t->multivariate = o.multivariate;
    t->gamma = o.gamma > 0 && o.gamma <= 1 ? o.gamma : 0;
    t->maximize = o.maximize;
    t->nobj = o.nobj >= 2 ? (o.nobj > DT_OBJ_MAX ? DT_OBJ_MAX : o.nobj) : 1;
    if (t->nobj > 1) memcpy(t->obj, o.obj, (size_t)t->nobj * sizeof *t->obj);
    if (o.multivariate < 0) t->multivariate = t->nobj < 2;   /* Optuna's default for each */
    if (t->startup < 0) t->startup = 0;
    for (int i = 0; i <= DT_TPE__TAIL_N + 1; i++)
        t->tail[i] = erfc(i * (DT_TPE__TAIL_MAX / DT_TPE__TAIL_N) * M_SQRT1_2);
    dt_tpe__erfc_fit(t->erfc_c);

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
        d->lowtol = d->low - 1e-9 * (d->high - d->low);
        d->hightol = d->high + 1e-9 * (d->high - d->low);
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

/* log of the standard normal's mass on [a, b] for a <= 0 <= b (a kernel centred in its
 * range), from the tail table, up to about 1e-8. For these truncations the table beats
 * dt_tpe__erfc: most kernels are more than TAIL_MAX sigmas from one end or both, and
 * a vectorized loop would compute those tails anyway. */
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

/* Optuna's default_gamma (with several objectives its default_gamma_multiobjective:
 * no cap), or ceil(fraction * n) when the sweep sets gamma. */
static int dt_tpe__gamma(const dt_tpe *t, int n)
{
    int g = t->gamma > 0 ? (int)ceil(t->gamma * n) : (int)ceil(0.1 * n);
    if (t->gamma <= 0 && t->nobj < 2 && g > DT_TPE__GAMMA_CAP) g = DT_TPE__GAMMA_CAP;
    return g < 0 ? 0 : g > n ? n : g;
}

/* Candidates per suggestion given ngood good trials: the sweep's ei_candidates when set;
 * else, in multivariate mode, four per kernel of l (the good trials and the prior), from
 * Optuna's 24 (reached at 5 good trials, 50 finished) up to 48; univariate: 24.
 * Why: more candidates push the suggestion closer to the argmax of l/g, exploiting the
 * model more (Watanabe 2023, on n_ei_candidates); that pays once l has several good
 * kernels, not before. Measured against the fixed 24 (rank-sum z over 800 seeds, best
 * after 100 trials, 15 test functions of 2-8 dimensions besides bench/problems.h's 5):
 * better on 9 of 20 problems (z > 2: Ackley, Levy, sphere, Hartmann-6, log Rosenbrock,
 * ...), worse on none (every z > -0.2; after 200 trials, > -1.4); the same up to 50
 * trials. A fixed 48 or 64 from the start helps the continuous problems as much but
 * harms the recorded Darknet table (z near -2.7: early on, l is too crude to exploit);
 * in univariate mode growing them harmed (z down to -2.3), each parameter then being
 * pushed to its own marginal argmax. Those figures are for a cap of 64; the cap of 48
 * changes nothing up to 110 trials, after 200 trials it is as safe (every z > -0.9 on
 * 200 seeds) for 4 wins instead of 7, and it keeps a suggestion at 1,000 trials and 8
 * parameters near 0.45 ms, where 64 took 0.6 (and 24, 0.33). */
static int dt_tpe__ncand(const dt_tpe *t, int ngood)
{
    if (t->ncand > 0) return t->ncand;
    if (!t->multivariate || t->nobj > 1) return DT_TPE__NCAND;   /* MOTPE: measured for one objective only */
    int nc = DT_TPE__NCAND_PER_KERNEL * (ngood + 1);
    return nc < DT_TPE__NCAND ? DT_TPE__NCAND : nc > DT_TPE__NCAND_MAX ? DT_TPE__NCAND_MAX : nc;
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
                                       isnan(tr->last_value) ? INFINITY
                                       : tr->last_kind == DT_POINT_LOSS ? tr->last_value : sign * tr->last_value,
                                       tr->number};
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

/* ---- Several objectives (MOTPE). */

/* Rows a and b (m values) in lexicographic order: <0, 0, >0. */
static int dt_tpe__lexcmp(const double *a, const double *b, int m)
{
    for (int j = 0; j < m; j++)
        if (a[j] != b[j]) return a[j] < b[j] ? -1 : 1;
    return 0;
}

/* Greedy hypervolume subset selection, as Optuna's _solve_hssp: picks s of the n rows
 * of lv (m objectives, minimized; one non-domination rank, in trial order) into sel
 * (row indices), each pick the row whose hypervolume contribution to the rows picked
 * so far is the largest. Optuna's details, which decide the ties: rows are taken in
 * lexicographic order with duplicates dropped (the first of equal rows kept); with
 * fewer distinct rows than s, every distinct row and then the first duplicates in trial
 * order; the reference point is 1.1 x the worst value of each objective (0.9 x where it
 * is negative, 1e-12 where 0), and where it is not finite the first s distinct rows;
 * the first of equal contributions wins. With two objectives each row's contribution is
 * the rectangle up to its picked neighbours (Optuna's rect_diags, the same arithmetic,
 * so the same ties). With more, its own box less the hypervolume of the picked rows
 * raised to it, computed lazily: a contribution only shrinks as rows are picked
 * (submodularity), so a row whose last value is below the best of this round needs no
 * new one. Optuna computes these otherwise (differences of whole hypervolumes), so
 * contributions equal in exact arithmetic (values on a grid) differ by rounding, each
 * side its own way: within 1e-12 of the largest box they count as equal, and the first
 * wins, as exact arithmetic would have it. */
static void dt_tpe__hssp(const double *lv, int n, int m, int s, int *sel)
{
    int *u = dt_xmalloc(4 * (size_t)n * sizeof *u), *tmp = u + n, *used = tmp + n, *pos = used + n;
    /* Lexicographic, stable (insertion: the rows of one rank are few). */
    for (int i = 0; i < n; i++) {
        int k = i;
        while (k > 0 && dt_tpe__lexcmp(lv + (size_t)u[k - 1] * m, lv + (size_t)i * m, m) > 0) {
            u[k] = u[k - 1];
            k--;
        }
        u[k] = i;
    }
    int nu = 0;
    for (int i = 0; i < n; i++)
        if (nu == 0 || dt_tpe__lexcmp(lv + (size_t)u[nu - 1] * m, lv + (size_t)u[i] * m, m) != 0) u[nu++] = u[i];
    if (nu <= s) {
        memset(used, 0, (size_t)n * sizeof *used);
        for (int i = 0; i < nu; i++) used[u[i]] = 1;
        int extra = s - nu;
        for (int i = 0; i < n && extra > 0; i++)
            if (!used[i]) {
                used[i] = 1;
                extra--;
            }
        for (int i = 0, k = 0; i < n; i++)
            if (used[i]) sel[k++] = i;
        free(u);
        return;
    }
    double ref[DT_OBJ_MAX];
    int finite = 1;
    for (int j = 0; j < m; j++) {
        double w = -INFINITY;
        for (int i = 0; i < n; i++) w = lv[(size_t)i * m + j] > w ? lv[(size_t)i * m + j] : w;
        ref[j] = 1.1 * w > 0.9 * w ? 1.1 * w : 0.9 * w;
        if (ref[j] == 0) ref[j] = 1e-12;
        finite &= isfinite(ref[j]);
    }
    if (!finite) {
        memcpy(sel, u, (size_t)s * sizeof *sel);
        free(u);
        return;
    }
    /* Remaining candidates: pos[0..left-1], indices into u, in lexicographic order. */
    double *contrib = dt_xmalloc((size_t)nu * (1 + 3 * (size_t)m) * sizeof *contrib);
    double *diag = contrib + nu, *picked = diag + (size_t)nu * m, *lim = picked + (size_t)nu * m;
    int left = nu;
    double tol = 0;   /* two objectives: exact ties only, as Optuna's */
    memset(used, 0, (size_t)nu * sizeof *used);   /* used[i]: row u[i]'s contribution is exact this round */
    for (int i = 0; i < nu; i++) {
        pos[i] = i;
        const double *x = lv + (size_t)u[i] * m;
        double c = 1;
        for (int j = 0; j < m; j++) {
            diag[(size_t)i * m + j] = ref[j];
            c *= ref[j] - x[j];
        }
        contrib[i] = c;
        if (m > 2 && 1e-12 * c > tol) tol = 1e-12 * c;
    }
    for (int k = 0; k < s; k++) {
        if (m == 2) {
            for (int q = 0; q < left; q++) {
                const double *x = lv + (size_t)u[pos[q]] * 2, *d = diag + (size_t)pos[q] * 2;
                contrib[pos[q]] = (d[0] - x[0]) * (d[1] - x[1]);
            }
        } else if (k > 0) {
            /* The rows picked so far (k of them), the last one in picked[k - 1]. */
            double best = -INFINITY;
            const double *last = picked + (size_t)(k - 1) * m;
            /* A cheap bound first: what the last pick alone leaves of a row's box. */
            for (int q = 0; q < left; q++) {
                const double *x = lv + (size_t)u[pos[q]] * m;
                double box = 1, inter = 1;
                for (int j = 0; j < m; j++) {
                    box *= ref[j] - x[j];
                    inter *= ref[j] - (x[j] > last[j] ? x[j] : last[j]);
                }
                if (box - inter < contrib[pos[q]]) contrib[pos[q]] = box - inter;
            }
            /* Then exact values, largest bound first, until the bounds fall below the best. */
            for (;;) {
                int at = -1;
                for (int q = 0; q < left; q++)
                    if (!used[pos[q]] && (at < 0 || contrib[pos[q]] > contrib[pos[at]])) at = q;
                if (at < 0 || contrib[pos[at]] < best - tol) break;
                int i = pos[at];
                const double *x = lv + (size_t)u[i] * m;
                double box = 1;
                for (int p = 0; p < k; p++)
                    for (int j = 0; j < m; j++) {
                        double v = picked[(size_t)p * m + j];
                        lim[(size_t)p * m + j] = v > x[j] ? v : x[j];
                    }
                for (int j = 0; j < m; j++) box *= ref[j] - x[j];
                double c = box - dt_pareto_hv(lim, k, m, ref);
                contrib[i] = c > 0 ? c : 0;
                used[i] = 1;
                if (contrib[i] > best) best = contrib[i];
            }
            for (int q = 0; q < left; q++) used[pos[q]] = 0;
        }
        int at = 0;
        for (int q = 1; q < left; q++)
            if (contrib[pos[q]] > contrib[pos[at]] + tol) at = q;
        int i = pos[at];
        const double *x = lv + (size_t)u[i] * m;
        sel[k] = u[i];
        memcpy(picked + (size_t)k * m, x, (size_t)m * sizeof *x);
        memmove(pos + at, pos + at + 1, (size_t)(left - at - 1) * sizeof *pos);
        left--;
        if (m == 2) {
            /* Rows before the pick (smaller first objective) are bounded by its first
             * objective now, rows after it by its second. */
            for (int q = 0; q < left; q++) {
                double *d = diag + (size_t)pos[q] * 2;
                if (q < at) d[0] = x[0] < d[0] ? x[0] : d[0];
                else d[1] = x[1] < d[1] ? x[1] : d[1];
            }
        }
    }
    free(contrib);
    free(u);
}

/* MOTPE's split (Optuna's _split_trials with _split_complete_trials_multi_objective).
 * Complete trials with every objective (maximized ones negated) fill the good places
 * first: whole non-domination ranks while they fit, then the rank that does not fit
 * whole by dt_tpe__hssp. Pruned trials fill what is left, in number order: Optuna
 * ranks pruned trials by their last intermediate value, which a study of several
 * objectives never has, so they all tie. Running trials are bad (the constant liar);
 * failed ones, and complete ones lacking an objective, are left out. Returns the number
 * of complete and pruned trials, as dt_tpe__split does. */
static int dt_tpe__split_mo(const dt_tpe *t, const dt_trial *trials, int ntrials, int number, signed char *below)
{
    int m = t->nobj, nc = 0, np = 0;
    size_t cap = (size_t)(ntrials > 0 ? ntrials : 1);
    int *ci = dt_xmalloc(3 * cap * sizeof *ci), *pi = ci + cap, *rank = pi + cap;
    double *lv = dt_xmalloc(cap * (size_t)m * sizeof *lv);
    for (int i = 0; i < ntrials; i++) {
        const dt_trial *tr = &trials[i];
        below[i] = -1;
        if (tr->number >= number || !tr->values) continue;
        if (tr->state == DT_RUNNING) {
            below[i] = 0;
        } else if (tr->state == DT_COMPLETE) {
            int j = 0;
            for (; j < m; j++) {
                double v = dt_trial_objective(tr, &t->obj[j]);
                if (isnan(v)) break;
                lv[(size_t)nc * m + j] = t->obj[j].maximize ? -v : v;
            }
            if (j < m) continue;
            below[i] = 0;
            ci[nc++] = i;
        } else if (tr->state == DT_PRUNED) {
            below[i] = 0;
            pi[np++] = i;
        }
    }
    int nbelow = dt_tpe__gamma(t, nc + np), want = nbelow < nc ? nbelow : nc;
    if (want == nc) {
        for (int k = 0; k < nc; k++) below[ci[k]] = 1;
    } else if (want > 0) {
        dt_pareto_ranks(lv, nc, m, rank);
        /* The last rank that fits whole: counts per rank, summed while within want. */
        int *count = dt_xcalloc((size_t)nc + 1, sizeof *count);
        for (int k = 0; k < nc; k++) count[rank[k]]++;
        int last = -1, taken = 0;
        while (taken + count[last + 1] <= want) taken += count[++last];
        free(count);
        for (int k = 0; k < nc; k++)
            if (rank[k] <= last) below[ci[k]] = 1;
        if (taken < want) {
            /* Rows of rank last + 1, in trial order, into lv's front (rank[] keeps their places). */
            int nt = 0;
            for (int k = 0; k < nc; k++)
                if (rank[k] == last + 1) {
                    memmove(lv + (size_t)nt * m, lv + (size_t)k * m, (size_t)m * sizeof *lv);
                    rank[nt++] = ci[k];
                }
            int *sel = dt_xmalloc((size_t)(want - taken) * sizeof *sel);
            dt_tpe__hssp(lv, nt, m, want - taken, sel);
            for (int k = 0; k < want - taken; k++) below[rank[sel[k]]] = 1;
            free(sel);
        }
    }
    /* Pruned trials by number (trials may come in any order): the first ones take what is left. */
    int rest = nbelow - want;
    for (int k = 1; k < np; k++)
        for (int q = k; q > 0 && trials[pi[q - 1]].number > trials[pi[q]].number; q--) {
            int x = pi[q];
            pi[q] = pi[q - 1];
            pi[q - 1] = x;
        }
    for (int k = 0; k < np && k < rest; k++) below[pi[k]] = 1;
    free(ci);
    free(lv);
    return nc + np;
}

/* The split for one objective or several (dt_sampler_tpe.h). */
int dt_tpe_split(const dt_tpe *t, const dt_trial *trials, int ntrials, int number, signed char *below)
{
    return t->nobj > 1 ? dt_tpe__split_mo(t, trials, ntrials, number, below)
                       : dt_tpe__split(t, trials, ntrials, number, below);
}

/* ---- Parzen estimators. */

/* Whether trial values hold a usable value of every dimension in dims; writes the
 * internal values into row: a category's index, or the number (clamped to the range;
 * still in its own units: dt_tpe__pe_build takes the logs, a column at a time). */
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
        double x = v->num;
        if (!(x >= d->lowtol && x <= d->hightol)) return 0;  /* outside the distribution, or NaN */
        x = x < d->low ? d->low : x;
        row[j] = x > d->high ? d->high : x;
    }
    return 1;
}

/* Bandwidths, per dimension, as current Optuna computes them in both modes: each
 * observation's sigma is the larger gap to its neighbours among the sorted observations
 * (the range's ends stand beside the first and the last); with two or more, the first
 * and the last look inwards only (consider_endpoints = False). The prior's centre is
 * not among the neighbours (older TPEs put it there). s (2m) and cnt (m + 1) are scratch. */
static void dt_tpe__neighbour_sigmas(const double *mus, int m, double lo, double hi, double *sig, dt_tpe__keyed *s,
                                     uint32_t *cnt)
{
    for (int k = 0; k < m; k++) s[k] = (dt_tpe__keyed){mus[k], k, 0};
    dt_tpe__sort(s, s + m, m, cnt);
    if (m == 1) {
        sig[s[0].i] = s[0].v - lo > hi - s[0].v ? s[0].v - lo : hi - s[0].v;
        return;
    }
    sig[s[0].i] = s[1].v - s[0].v;
    for (int k = 1; k < m - 1; k++) {
        double x = s[k].v, dl = x - s[k - 1].v, dr = s[k + 1].v - x;
        sig[s[k].i] = dl > dr ? dl : dr;
    }
    sig[s[m - 1].i] = s[m - 1].v - s[m - 2].v;
}

/* x[k] = log x[k], k < n (all positive). */
DT_TPE__SIMD static void dt_tpe__log_all(double *x, int n)
{
    for (int k = 0; k < n; k++) x[k] = dt_tpe__log(x[k]);
}

/* Carves n bytes, 16-aligned, from *at (a bump allocator over one block). */
static void *dt_tpe__carve(char **at, size_t n)
{
    void *p = *at;
    *at += (n + 15) & ~(size_t)15;
    return p;
}

/* ---- Skipping negligible kernels.
 *
 * With many trials, g's kernels are narrow (their widths clipped at a hundredth of the
 * range) and a candidate's density is all in the few kernels near it: at 1,000 trials
 * and 8 parameters, most kernels lie hundreds of log units below the largest. So g's
 * kernels are put in the leaves of a k-d tree (dt_tpe__pe_order), and each leaf gets
 * an upper bound of its kernels' log densities at a candidate from its extent: the
 * largest base; per continuous dimension, -(distance to the leaf's mu interval x the
 * least 1/(sig sqrt 2))^2; per choice, the largest log probability of the candidate's
 * choice; per grid dimension, log of the cell's width x the highest density any kernel
 * of the leaf could have on it (its narrowest sigma, its widest at the interval's
 * distance), at most 0 (a mass), plus GRID_SLACK. A leaf whose bound is below the
 * candidate's running maximum by more than PRUNE_MARGIN + log(1 / the least weight) is
 * skipped: each skipped term is then under e^-PRUNE_MARGIN x its weight relative to
 * the largest term, all of them together under e^-40 = 4e-18 of the sum, far below
 * what moves a score by 1e-9. A candidate scores its leaves by descending bound, so
 * that its maximum is high early, and stops at the first one below the cut. What
 * changes against scoring every kernel is rounding: terms summed in another order,
 * negligible ones left out. With libm's exp, scores then agree to 1e-14; with exp_neg
 * they differ by up to 4e-9, its own 1e-8 error falling differently (it depends on the
 * running maximum), as far from libm's scores as before. Only g gets leaves (l is
 * sampled from, in its kernels' order), from PRUNE_MIN kernels and with a numeric
 * dimension. At 1,000 trials and 8 parameters a candidate scores 5 of 65 leaves, and a
 * suggestion takes 0.8 of the time it took scoring every kernel (the estimators' build
 * and the grid cells' masses are most of what is left). */
#define DT_TPE__LEAF 16          /* kernels per leaf */
#define DT_TPE__PRUNE_MIN 256    /* kernels from which leaves are used: below, every kernel is scored */
#define DT_TPE__PRUNE_MARGIN 40.0 /* e^-40 = 4e-18 */
#define DT_TPE__GRID_SLACK 1.0   /* the grid bound leaves out the narrow cells' correction (at most 0.5) */

/* Puts the kernels of pe (at least one numeric dimension) in leaves: the observations
 * split in halves by rank, level after level, each level along the next numeric
 * dimension in turn (a k-d tree whose nodes of a level share one dimension, so that a
 * level is one pass over that dimension's sorted order), until a leaf holds at most
 * LEAF; the prior kernel a leaf of its own. Every numeric column is permuted in place
 * into leaf order, then each leaf's extent is taken (the choices' rows are built in that
 * order afterwards, by dt_tpe__cat_rows). ord (numeric dimensions x m): each one's
 * observations in ascending order. Scratch: node (m), perm (nk), tmp (nk doubles). */
static void dt_tpe__pe_order(dt_tpe__pe *pe, const dt_tpe *t, const int *dims, const int *ord, int nnum, int *node,
                             int *perm, double *tmp)
{
    int nk = pe->nk, nd = pe->nd, m = nk - 1, levels = 0;
    while (((m + (1 << levels) - 1) >> levels) > DT_TPE__LEAF) levels++;
    if (nnum == 1) levels = 0;   /* one dimension: its sorted order, cut every LEAF */
    int nn = 1 << levels;   /* leaves of observations: under 2 m / LEAF, so 3 nn ints fit in tmp */
    int *size = (int *)tmp, *next = size + nn, *cnt = next + nn;
    memset(node, 0, (size_t)m * sizeof *node);
    size[0] = m;
    for (int lv = 0; lv < levels; lv++) {
        int width = 1 << lv;
        const int *o = ord + (size_t)(lv % nnum) * (size_t)m;
        memset(cnt, 0, (size_t)width * sizeof *cnt);
        /* The lower half by rank (ties in index order) goes left. */
        for (int q = 0; q < m; q++) {
            int k = o[q], b = node[k];
            node[k] = 2 * b + (cnt[b]++ >= size[b] / 2);
        }
        for (int b = 0; b < width; b++) {
            next[2 * b] = size[b] / 2;
            next[2 * b + 1] = size[b] - size[b] / 2;
        }
        memcpy(size, next, 2 * (size_t)width * sizeof *size);
    }
    int nl = 0;
    if (nnum == 1) {
        memcpy(perm, ord, (size_t)m * sizeof *perm);
        for (int k = 0; k < m; k += DT_TPE__LEAF) pe->starts[nl++] = k;
    } else {
        for (int b = 0, at = 0; b < nn; b++) {
            pe->starts[nl++] = at;
            cnt[b] = at;
            at += size[b];
        }
        for (int k = 0; k < m; k++) perm[cnt[node[k]]++] = k;
    }
    perm[m] = m;
    pe->starts[nl++] = m;
    pe->starts[nl] = nk;
    pe->nl = nl;

    /* Every column in that order. */
    double *cols[2] = {pe->w, pe->base};
    for (int i = 0; i < 2; i++) {
        for (int q = 0; q < nk; q++) tmp[q] = cols[i][perm[q]];
        memcpy(cols[i], tmp, (size_t)nk * sizeof *tmp);
    }
    for (int j = 0; j < nd; j++) {
        const dt_tpe__dim *d = &t->dims[dims[j]];
        size_t o = (size_t)j * nk;
        if (d->cat) continue;   /* dt_tpe__cat_rows builds them in this order */
        /* What dt_tpe__pe_logpdf reads (sig, isig: read no more once built; a grid's
         * pairs stay where they are, inv is permuted). */
        double *arr[2] = {pe->mu + o, pe->hsig + o};
        for (int i = 0; i < (d->step == 0 ? 2 : 1); i++) {
            for (int q = 0; q < nk; q++) tmp[q] = arr[i][perm[q]];
            memcpy(arr[i], tmp, (size_t)nk * sizeof *tmp);
        }
        if (d->step > 0) {
            int *inv = pe->inv + o, *ti = (int *)tmp;
            for (int q = 0; q < nk; q++) ti[q] = inv[perm[q]];
            memcpy(inv, ti, (size_t)nk * sizeof *ti);
        }
    }

    /* The leaves' extents. */
    double wmin = 1;
    for (int k = 0; k < nk; k++) wmin = pe->w[k] < wmin ? pe->w[k] : wmin;
    pe->margin = DT_TPE__PRUNE_MARGIN - log(wmin);
    for (int l = 0; l < nl; l++) {
        double b = -INFINITY;
        for (int q = pe->starts[l]; q < pe->starts[l + 1]; q++) b = pe->base[q] > b ? pe->base[q] : b;
        pe->bmax[l] = b;
    }
    for (int j = 0; j < nd; j++) {
        const dt_tpe__dim *d = &t->dims[dims[j]];
        if (d->cat) continue;
        size_t o = (size_t)j * nk, lo_ = (size_t)j * nl;
        /* continuous: the least 1/(sig sqrt 2); grid: the narrowest and widest sig */
        const double *mu = pe->mu + o, *hs = pe->hsig + o, *sig = pe->sig + o;
        for (int l = 0; l < nl; l++) {
            double lo = INFINITY, hi = -INFINITY, a = INFINITY, b = -INFINITY;
            for (int q = pe->starts[l]; q < pe->starts[l + 1]; q++) {
                double v = d->step == 0 ? hs[q] : sig[perm[q]];
                lo = mu[q] < lo ? mu[q] : lo;
                hi = mu[q] > hi ? mu[q] : hi;
                a = v < a ? v : a;
                b = v > b ? v : b;
            }
            pe->lmin[lo_ + l] = lo;
            pe->lmax[lo_ + l] = hi;
            pe->lh[lo_ + l] = d->step == 0 ? a : b;
            pe->lls[lo_ + l] = d->step == 0 ? 0 : log(a);
        }
    }
}

/* A choice's rows of pe (dimension j, nc choices): each observation's one-hot plus the
 * prior's share, the prior uniform; kernel q being observation perm[q] (perm NULL: q).
 * Where pe has leaves, also their largest entries (lcat). ci (m) is scratch. */
static void dt_tpe__cat_rows(dt_tpe__pe *pe, int j, int nc, const double *obs, const int *perm, int *ci)
{
    int nk = pe->nk, nd = pe->nd, m = nk - 1, nl = pe->nl;
    double *lp = pe->logp[j];
    double share = DT_TPE__PRIOR_WEIGHT / nk;
    double lshare = log(share / (nc * share + 1.0)), lhit = log((share + 1.0) / (nc * share + 1.0));
    for (int k = 0; k < m; k++) ci[k] = (int)obs[(size_t)(perm ? perm[k] : k) * nd + j];
    /* A select over whole rows, no branch per entry: with random choices that branch
     * was mispredicted half the time. */
    for (int c = 0; c < nc; c++) {
        double *row = lp + (size_t)c * nk;
        for (int k = 0; k < m; k++) row[k] = ci[k] == c ? lhit : lshare;
        row[m] = -log((double)nc);
    }
    if (!nl) return;
    /* A leaf's largest entry of choice c: lhit where one of its observations chose c;
     * the prior's leaf (the last) holds the prior alone. */
    double *lc = pe->lcat[j];
    for (int l = 0; l < nl - 1; l++) {
        for (int c = 0; c < nc; c++) lc[(size_t)c * nl + l] = lshare;
        for (int k = pe->starts[l]; k < pe->starts[l + 1]; k++) lc[(size_t)ci[k] * nl + l] = lhit;
    }
    for (int c = 0; c < nc; c++) lc[(size_t)c * nl + nl - 1] = -log((double)nc);
}

/* Builds the estimator over dims from m observations (rows of nd internal values, oldest
 * first). Weights: Optuna's default_weights (flat for the last 25, a ramp from 1/m before),
 * or with flat all alike (MOTPE's l), then the prior's, normalized. Bandwidths from
 * neighbours (dt_tpe__neighbour_sigmas), clipped to [range / min(100, 1 + kernels), range]
 * (the "magic clip"). The prior kernel sits at the centre with the range as its sigma;
 * for a choice it is uniform, and each observation's row is its one-hot plus the prior's
 * share spread evenly. */
static void dt_tpe__pe_build(dt_tpe__pe *pe, const dt_tpe *t, const int *dims, int nd, const double *obs, int m,
                             int leaves, int flat)
{
    int nk = m + 1, numeric = 0;
    size_t nn = (size_t)nd * (size_t)nk, cats = 0, bytes = 0, ncat = 0;
    for (int j = 0; j < nd; j++) {
        if (t->dims[dims[j]].cat) cats += (size_t)t->dims[dims[j]].nc * (size_t)nk;
        if (t->dims[dims[j]].cat) ncat += (size_t)t->dims[dims[j]].nc;
        else numeric = 1;
    }
    leaves = leaves && nk >= DT_TPE__PRUNE_MIN && numeric;
    size_t nlf = leaves ? (size_t)(2 * m / DT_TPE__LEAF + 2) : 0;
    /* The estimator's arrays (w, base; mu, sig, isig, hsig; logp, nu; umu, uisig, ulsig,
     * inv; the choices' rows), then scratch: sort keys (2 nk), choice indices or sort
     * counts (nk), and the product of each kernel's continuous sigmas relative to their
     * ranges (nk); with leaves, theirs (starts; bmax; lmin, lmax, lh, lls; lcat's rows)
     * and dt_tpe__pe_order's scratch (perm, tmp, the numeric dimensions' orders). */
    size_t sizes[] = {nk * sizeof(double), nk * sizeof(double),
                      nn * sizeof(double), nn * sizeof(double), nn * sizeof(double), nn * sizeof(double),
                      nd * sizeof(double *), nd * sizeof(int),
                      nn * sizeof(double), nn * sizeof(double), nn * sizeof(double), nn * sizeof(int),
                      cats * sizeof(double),
                      2 * (size_t)nk * sizeof(dt_tpe__keyed), nk * sizeof(int), nk * sizeof(double),
                      (nlf + 1) * sizeof(int), nlf * sizeof(double), 4 * nd * nlf * sizeof(double),
                      nd * sizeof(double *), ncat * nlf * sizeof(double),
                      (leaves ? nk : 0) * sizeof(int), (leaves ? nk : 0) * sizeof(double),
                      (leaves ? nn : 0) * sizeof(int)};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) bytes += (sizes[i] + 15) & ~(size_t)15;
    memset(pe, 0, sizeof *pe);
    pe->mem = dt_xmalloc(bytes);
    char *at = pe->mem;
    pe->nk = nk;
    pe->nd = nd;
    pe->w = dt_tpe__carve(&at, sizes[0]);
    pe->base = dt_tpe__carve(&at, sizes[1]);
    pe->mu = dt_tpe__carve(&at, sizes[2]);
    pe->sig = dt_tpe__carve(&at, sizes[3]);
    pe->isig = dt_tpe__carve(&at, sizes[4]);
    pe->hsig = dt_tpe__carve(&at, sizes[5]);
    pe->logp = dt_tpe__carve(&at, sizes[6]);
    pe->nu = dt_tpe__carve(&at, sizes[7]);
    pe->umu = dt_tpe__carve(&at, sizes[8]);
    pe->uisig = dt_tpe__carve(&at, sizes[9]);
    pe->ulsig = dt_tpe__carve(&at, sizes[10]);
    pe->inv = dt_tpe__carve(&at, sizes[11]);
    double *catbuf = dt_tpe__carve(&at, sizes[12]);
    dt_tpe__keyed *keys = dt_tpe__carve(&at, sizes[13]);
    int *ci = dt_tpe__carve(&at, sizes[14]);
    double *rsig = dt_tpe__carve(&at, sizes[15]);
    pe->starts = dt_tpe__carve(&at, sizes[16]);
    pe->bmax = dt_tpe__carve(&at, sizes[17]);
    pe->lmin = dt_tpe__carve(&at, sizes[18]);
    pe->lmax = pe->lmin + nd * nlf;
    pe->lh = pe->lmax + nd * nlf;
    pe->lls = pe->lh + nd * nlf;
    pe->lcat = dt_tpe__carve(&at, sizes[19]);
    double *lcatbuf = dt_tpe__carve(&at, sizes[20]);
    int *perm = dt_tpe__carve(&at, sizes[21]);
    double *tmp = dt_tpe__carve(&at, sizes[22]);
    int *ord = dt_tpe__carve(&at, sizes[23]), nnum = 0;
    memset(pe->logp, 0, sizes[6]);
    memset(pe->nu, 0, sizes[7]);

    double sum = 0;
    for (int k = 0; k < m; k++) {
        double w = 1.0;
        int ramp = m - DT_TPE__FLAT;
        if (!flat && ramp > 0 && k < ramp) w = ramp == 1 ? 1.0 / m : 1.0 / m + k * (1.0 - 1.0 / m) / (ramp - 1);
        pe->w[k] = w;
        sum += w;
    }
    pe->w[m] = DT_TPE__PRIOR_WEIGHT;
    sum += DT_TPE__PRIOR_WEIGHT;
    for (int k = 0; k < nk; k++) {
        pe->w[k] /= sum;
        pe->base[k] = 0;
        rsig[k] = 1;
    }

    /* Open addressing over (mu, sig) for the grid dimensions' distinct pairs. */
    int hsize = 1;
    while (hsize < 2 * nk) hsize <<= 1;
    int *slot = dt_xmalloc((size_t)hsize * sizeof *slot);
    int ncont = 0;
    for (int j = 0; j < nd; j++) {
        const dt_tpe__dim *d = &t->dims[dims[j]];
        if (d->cat) {
            pe->logp[j] = catbuf;
            catbuf += (size_t)d->nc * (size_t)nk;
            pe->lcat[j] = lcatbuf;
            lcatbuf += (size_t)d->nc * nlf;
            /* With leaves, once the order is known (dt_tpe__cat_rows). */
            if (!leaves) dt_tpe__cat_rows(pe, j, d->nc, obs, NULL, ci);
            continue;
        }
        double *mu = pe->mu + (size_t)j * nk, *sig = pe->sig + (size_t)j * nk, *isig = pe->isig + (size_t)j * nk;
        double range = d->hi - d->lo;
        for (int k = 0; k < m; k++) mu[k] = obs[(size_t)k * nd + j];
        if (d->log) dt_tpe__log_all(mu, m);   /* observations come in their own units */
        mu[m] = 0.5 * (d->lo + d->hi);
        /* Each kernel's width is the distance to its farther neighbour, in multivariate
         * mode too: Optuna dropped Scott's rule (0.2 n^(-1/(d+4)) of the range) for it,
         * and on Hartmann-6 and Branin the neighbour widths find optima 3-4x closer. */
        if (m > 0) dt_tpe__neighbour_sigmas(mu, m, d->lo, d->hi, sig, keys, (uint32_t *)ci);
        if (leaves) {   /* the sort's order, kept for the leaves */
            for (int k = 0; k < m; k++) ord[(size_t)nnum * m + k] = keys[k].i;
            nnum++;
        }
        double minsig = range / fmin(100.0, 1.0 + nk), maxsig = range, irange = 1 / range;
        for (int k = 0; k < m; k++) {
            double sg = sig[k] < minsig ? minsig : sig[k];
            sig[k] = sg > maxsig ? maxsig : sg;
        }
        sig[m] = range;
        for (int k = 0; k < nk; k++) {
            isig[k] = 1.0 / sig[k];
            pe->base[k] -= dt_tpe__log_inner_mass(t, (d->lo - mu[k]) * isig[k], (d->hi - mu[k]) * isig[k]);
        }
        if (d->step == 0) {
            /* log sig over the continuous dimensions as log range plus one log of the
             * product of sig / range (each in [1/100, 1]): one log per kernel, not one per
             * kernel and dimension; flushed every 64 dimensions, before it could underflow. */
            double *hsig = pe->hsig + (size_t)j * nk;
            for (int k = 0; k < nk; k++) {
                rsig[k] *= sig[k] * irange;
                hsig[k] = isig[k] * M_SQRT1_2;
            }
            double lr = log(range) + DT_TPE__LOG_SQRT_2PI;
            for (int k = 0; k < nk; k++) pe->base[k] -= lr;
            if (++ncont % 64 == 0) {
                dt_tpe__log_all(rsig, nk);
                for (int k = 0; k < nk; k++) {
                    pe->base[k] -= rsig[k];
                    rsig[k] = 1;
                }
            }
            continue;
        }
        /* A grid point's mass depends on the kernel through (mu, sig) only, and on a grid
         * few pairs are distinct: each distinct pair is scored once per candidate value. */
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
    if (ncont % 64) {
        dt_tpe__log_all(rsig, nk);
        for (int k = 0; k < nk; k++) pe->base[k] -= rsig[k];
    }
    free(slot);
    if (leaves) {
        dt_tpe__pe_order(pe, t, dims, ord, nnum, ci, perm, tmp);
        for (int j = 0; j < nd; j++)
            if (t->dims[dims[j]].cat) dt_tpe__cat_rows(pe, j, t->dims[dims[j]].nc, obs, perm, ci);
    }
}

/* Frees what dt_tpe__pe_build allocated. */
static void dt_tpe__pe_free(dt_tpe__pe *pe)
{
    free(pe->mem);
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


/* erfc(|z| / sqrt 2) of each pair u of a grid dimension at the edge e: z = (e - mu) / sig. */
static inline void dt_tpe__edge_tails(const dt_tpe *t, const double *umu, const double *uis, int nu, double e,
                                      double *out)
{
    for (int u = 0; u < nu; u++) out[u] = dt_tpe__erfc(t->erfc_c, fabs((e - umu[u]) * uis[u]) * M_SQRT1_2);
}

/* For one grid dimension j of pe: the log mass of each distinct (mu, sig) pair u on the
 * cell of each distinct candidate value ux[i] (ascending), into lm[i * nu + u]. Cells
 * are scored per distinct value, not per candidate (candidates drawn from l repeat
 * values); the tails at an edge shared by two neighbouring cells are computed once.
 * A cell's mass is, with a and b its ends in sigmas from the kernel's centre: in a tail
 * (a > 0, or b < 0), the difference of the tails beyond its ends, the far one being the
 * smaller (accurate where 1 - tail would round away); else 1 minus both tails, a tail
 * beyond 6 sigma (under 1e-9) left out as it moves the log by under 1e-9. A cell
 * narrower than a tenth of sigma takes the density at its centre times its width,
 * corrected to second order (relative error under 1e-4). Where a tail's mass is below
 * 1e-280, the density at the nearer end times the width. */
DT_TPE__SIMD static void dt_tpe__cell_masses(const dt_tpe *t, const dt_tpe__pe *pe, int j, const dt_tpe__dim *d,
                                             const double *ux, int nux, double *lm, double *scratch)
{
    int nk = pe->nk, nu = pe->nu[j];
    const double *umu = pe->umu + (size_t)j * nk, *uis = pe->uisig + (size_t)j * nk;
    const double *uls = pe->ulsig + (size_t)j * nk;
    double *tl = scratch, *tr = tl + nu, *m = tr + nu;   /* tails at the left and right edges; masses */
    double prev_right = NAN;
    for (int i = 0; i < nux; i++) {
        double left = ux[i] - d->step / 2, right = ux[i] + d->step / 2;
        if (d->log) {
            left = log(left);
            right = log(right);
        }
        double mid = 0.5 * (left + right), width = right - left, lwidth = log(width);
        if (left == prev_right) {
            double *x = tl;
            tl = tr;
            tr = x;
        } else {
            dt_tpe__edge_tails(t, umu, uis, nu, left, tl);
        }
        dt_tpe__edge_tails(t, umu, uis, nu, right, tr);
        prev_right = right;
        for (int u = 0; u < nu; u++) {
            double a = (left - umu[u]) * uis[u], b = (right - umu[u]) * uis[u];
            double ta = a < -6 ? 0 : tl[u], tb = b > 6 ? 0 : tr[u];
            m[u] = a > 0 ? 0.5 * (tl[u] - tr[u]) : b < 0 ? 0.5 * (tr[u] - tl[u]) : 1 - 0.5 * (ta + tb);
        }
        /* Every case computed and one selected, so that the loop vectorizes. */
        double *row = lm + (size_t)i * nu;
        for (int u = 0; u < nu; u++) {
            double w = width * uis[u], zm = (mid - umu[u]) * uis[u], e = (zm * zm - 1) * w * w / 24;
            double narrow = -0.5 * zm * zm - DT_TPE__LOG_SQRT_2PI + lwidth - uls[u] + e - 0.5 * e * e;
            double a = (left - umu[u]) * uis[u], b = (right - umu[u]) * uis[u], z = a > 0 ? a : -b;
            int tiny = !(m[u] > 1e-280);
            double lg = dt_tpe__log(tiny ? b - a : m[u]);
            double wide = tiny ? -0.5 * z * z - DT_TPE__LOG_SQRT_2PI + lg : lg;
            row[u] = w <= 0.1 ? narrow : wide;
        }
    }
}

/* Kernels per block in dt_tpe__pe_logpdf: a block's columns of every dimension (a few
 * KB) stay in L1 cache while all candidates are scored against them. */
#define DT_TPE__BLOCK 128

/* Columns of an estimator's kernels as dt_tpe__lse_block reads them: base and w (nk),
 * mu and hsig (nd x nk: continuous dimensions), inv (nd x nk: grid dimensions); a
 * choice's log probabilities come through the candidate's rows. */
typedef struct dt_tpe__cols {
    const double *base, *w, *mu, *hs;
    const int *inv;
    size_t nk;
} dt_tpe__cols;

/* One candidate x against kernels k0 .. k0 + nb - 1 (nb <= BLOCK) of the columns: the
 * log densities into a block, then the online log-sum-exp (*mx the running maximum, *sm
 * the sum of weighted exponentials scaled to it). rows: the candidate's rows (nd). */
DT_TPE__INLINE void dt_tpe__lse_block(const dt_tpe *t, const int *dims, int nd, const dt_tpe__cols *cl, int k0,
                                     int nb, const double *x, const double *const *rows, double *mx, double *sm)
{
    double acc[DT_TPE__BLOCK];
    size_t nk = cl->nk;
    memcpy(acc, cl->base + k0, (size_t)nb * sizeof *acc);
    for (int j = 0; j < nd; j++) {
        const dt_tpe__dim *d = &t->dims[dims[j]];
        const double *row = rows[j];
        if (d->cat) {
            row += k0;
            for (int k = 0; k < nb; k++) acc[k] += row[k];
        } else if (d->step == 0) {
            double xj = x[j];
            const double *mu = cl->mu + (size_t)j * nk + k0, *hs = cl->hs + (size_t)j * nk + k0;
            for (int k = 0; k < nb; k++) {
                double z = (xj - mu[k]) * hs[k];
                acc[k] -= z * z;
            }
        } else {
            const int *inv = cl->inv + (size_t)j * nk + k0;
            for (int k = 0; k < nb; k++) acc[k] += row[inv[k]];
        }
    }
    double bm = dt_tpe__max(acc, nb);
    if (bm > *mx) {
        double dm = *mx - bm;
        *sm *= dt_tpe__exp_neg(dm < -700 ? -700 : dm);
        *mx = bm;
    }
    /* e^-700 is as good as 0 here: clamping keeps exp_neg in range, and the loop
     * free of branches so that it vectorizes. */
    double m = *mx, lane[4] = {0, 0, 0, 0};
    const double *w = cl->w + k0;
    int k4 = nb & ~3;   /* four lanes, summed at the end, as in dt_tpe__max */
    for (int k = 0; k < k4; k += 4)
        for (int q = 0; q < 4; q++) {
            double dk = acc[k + q] - m;
            lane[q] += w[k + q] * dt_tpe__exp_neg(dk < -700 ? -700 : dk);
        }
    for (int k = k4; k < nb; k++) {
        double dk = acc[k] - m;
        lane[0] += w[k] * dt_tpe__exp_neg(dk < -700 ? -700 : dk);
    }
    double s = (lane[0] + lane[1]) + (lane[2] + lane[3]);
    *sm += s;
}

/* Through the leaves (see dt_tpe__pe_order): bounds (2 nl) is scratch; mx and sm
 * as dt_tpe__pe_logpdf keeps them, and rows as it prepares them. */
DT_TPE__INLINE void dt_tpe__logpdf_leaves(const dt_tpe__pe *pe, const dt_tpe *t, const int *dims, const double *cand,
                                          int ncand, const double *const *rows, double *bounds, double *mx,
                                          double *sm)
{
    int nk = pe->nk, nd = pe->nd, nl = pe->nl;
    const int *starts = pe->starts;
    int *list = (int *)(bounds + nl);   /* leaves to score (nl) */
    dt_tpe__cols cl = {pe->base, pe->w, pe->mu, pe->hsig, pe->inv, (size_t)nk};
    for (int c = 0; c < ncand; c++) {
        const double *x = cand + (size_t)c * nd;
        double *bound = bounds;
        memcpy(bound, pe->bmax, (size_t)nl * sizeof *bound);
        for (int j = 0; j < nd; j++) {
            const dt_tpe__dim *d = &t->dims[dims[j]];
            const double *lmin = pe->lmin + (size_t)j * nl, *lmax = pe->lmax + (size_t)j * nl;
            const double *lh = pe->lh + (size_t)j * nl, *lls = pe->lls + (size_t)j * nl;
            if (d->cat) {
                const double *cm = pe->lcat[j] + (size_t)x[j] * nl;
                for (int l = 0; l < nl; l++) bound[l] += cm[l];
            } else if (d->step == 0) {
                double xj = x[j];
                for (int l = 0; l < nl; l++) {
                    double dl = lmin[l] - xj, dr = xj - lmax[l], dist = dl > dr ? dl : dr;
                    dist = dist > 0 ? dist * lh[l] : 0;
                    bound[l] -= dist * dist;
                }
            } else {
                /* The cell in the model's space, as dt_tpe__cell_masses takes it. */
                double left = x[j] - d->step / 2, right = x[j] + d->step / 2;
                if (d->log) {
                    left = log(left);
                    right = log(right);
                }
                double lw = log(right - left) - DT_TPE__LOG_SQRT_2PI;
                for (int l = 0; l < nl; l++) {
                    double dl = lmin[l] - right, dr = left - lmax[l], dist = dl > dr ? dl : dr;
                    dist = dist > 0 ? dist / lh[l] : 0;
                    double gb = lw - lls[l] - 0.5 * dist * dist;
                    bound[l] += (gb < 0 ? gb : 0) + DT_TPE__GRID_SLACK;
                }
            }
        }
        /* First the leaf of the best bound (the maximum in four lanes, then where it
         * is), so that the running maximum is high from the start; then, of the leaves
         * above the cut (a dozen of 65 at 1,000 trials), the best one at a time until
         * the best left falls below the cut as the maximum now stands. */
        const double *const *r = rows + (size_t)c * nd;
        double best = dt_tpe__max(bound, nl);
        int b = 0;
        while (b < nl - 1 && bound[b] != best) b++;
        int k0 = starts[b], n = starts[b + 1] - k0;
        /* Full leaves with a constant count: loops without remainders. */
        if (n == DT_TPE__LEAF) dt_tpe__lse_block(t, dims, nd, &cl, k0, DT_TPE__LEAF, x, r, &mx[c], &sm[c]);
        else if (n > 0) dt_tpe__lse_block(t, dims, nd, &cl, k0, n, x, r, &mx[c], &sm[c]);
        bound[b] = -INFINITY;
        double cut = mx[c] - pe->margin;
        int nlist = 0;
        for (int l = 0; l < nl; l++) {
            list[nlist] = l;
            nlist += bound[l] >= cut;
        }
        while (nlist > 0) {
            int i = 0;
            for (int q = 1; q < nlist; q++) i = bound[list[q]] > bound[list[i]] ? q : i;
            if (bound[list[i]] < mx[c] - pe->margin) break;
            k0 = starts[list[i]];
            n = starts[list[i] + 1] - k0;
            list[i] = list[--nlist];
            if (n == DT_TPE__LEAF) dt_tpe__lse_block(t, dims, nd, &cl, k0, DT_TPE__LEAF, x, r, &mx[c], &sm[c]);
            else if (n > 0) dt_tpe__lse_block(t, dims, nd, &cl, k0, n, x, r, &mx[c], &sm[c]);
        }
    }
}

/* Log density of the mixture at each candidate (out[c]). Kernels are taken a block at a
 * time, every candidate against each block, and the log-sum-exp over kernels runs
 * online: per candidate a running maximum and a sum of weighted exponentials scaled to
 * it, rescaled when a block raises the maximum (the maximum is of the unweighted log
 * densities: each weight is at most 1, and the largest term's weight keeps the sum
 * above 0). Scoring candidate by candidate instead
 * streamed all of the estimator (nd x nk x 16 bytes) from L2 once per candidate.
 * Where the estimator has leaves, through them (dt_tpe__logpdf_leaves) instead. */
DT_TPE__SIMD static void dt_tpe__pe_logpdf(const dt_tpe__pe *pe, const dt_tpe *t, const int *dims, const double *cand,
                                           int ncand, double *out)
{
    int nk = pe->nk, nd = pe->nd;
    /* Per candidate and dimension, besides the value: the row to add (a choice's log
     * probabilities; a grid value's pair masses, read through inv). */
    size_t ngrid = 0;
    for (int j = 0; j < nd; j++)
        if (!t->dims[dims[j]].cat && t->dims[dims[j]].step > 0) ngrid += (size_t)pe->nu[j] * (size_t)ncand;
    /* mx and sm (nc), the distinct values ux (nc), the scratch of dt_tpe__cell_masses
     * (3 nk), the grid masses, with leaves their bounds and a list (2 nl), the rows (nc x nd). */
    size_t nc = (size_t)ncand, nbnd = 2 * (size_t)pe->nl;
    double *mx = dt_xmalloc(nc * nd * sizeof(double *) + (3 * nc + 3 * (size_t)nk + ngrid + nbnd) * sizeof(double));
    double *sm = mx + nc, *ux = sm + nc, *scratch = ux + nc, *lmbuf = scratch + 3 * (size_t)nk;
    double *bound = lmbuf + ngrid;
    const double **rows = (const double **)(bound + nbnd);
    for (int j = 0; j < nd; j++) {
        const dt_tpe__dim *d = &t->dims[dims[j]];
        if (d->cat) {
            for (int c = 0; c < ncand; c++)
                rows[(size_t)c * nd + j] = pe->logp[j] + (size_t)cand[(size_t)c * nd + j] * (size_t)nk;
        } else if (d->step > 0) {
            /* The distinct values among the candidates, ascending (insertion: few). */
            int nux = 0;
            for (int c = 0; c < ncand; c++) {
                double x = cand[(size_t)c * nd + j];
                int at = 0;
                while (at < nux && ux[at] < x) at++;
                if (at < nux && ux[at] == x) continue;
                memmove(ux + at + 1, ux + at, (size_t)(nux - at) * sizeof *ux);
                ux[at] = x;
                nux++;
            }
            dt_tpe__cell_masses(t, pe, j, d, ux, nux, lmbuf, scratch);
            for (int c = 0; c < ncand; c++) {
                double x = cand[(size_t)c * nd + j];
                int i = 0;
                while (ux[i] != x) i++;
                rows[(size_t)c * nd + j] = lmbuf + (size_t)i * pe->nu[j];
            }
            lmbuf += (size_t)nux * pe->nu[j];
        }
    }
    for (int c = 0; c < ncand; c++) {
        mx[c] = -INFINITY;
        sm[c] = 0;
    }
    if (pe->nl) {
        dt_tpe__logpdf_leaves(pe, t, dims, cand, ncand, rows, bound, mx, sm);
    } else {
        dt_tpe__cols cl = {pe->base, pe->w, pe->mu, pe->hsig, pe->inv, (size_t)nk};
        for (int k0 = 0; k0 < nk; k0 += DT_TPE__BLOCK) {
            int nb = nk - k0 < DT_TPE__BLOCK ? nk - k0 : DT_TPE__BLOCK;
            for (int c = 0; c < ncand; c++)
                dt_tpe__lse_block(t, dims, nd, &cl, k0, nb, cand + (size_t)c * nd, rows + (size_t)c * nd, &mx[c],
                                  &sm[c]);
        }
    }
    for (int c = 0; c < ncand; c++) out[c] = isfinite(mx[c]) ? mx[c] + log(sm[c]) : mx[c];
    free(mx);
}

/* ---- Suggesting. */

/* Samples one unit (a group, or one parameter in univariate mode) into vals: the good
 * and bad trials where every dimension of the unit holds a usable value make l and g;
 * of nc candidates from l, the one with the largest log l - log g wins. */
static void dt_tpe__sample_unit(const dt_tpe *t, const int *dims, int nd, const dt_trial *trials, int ntrials,
                                const signed char *below, int nc, dt_rng *rng, dt_value *vals)
{
    double *obs_l = dt_xmalloc((size_t)(ntrials + 1) * (size_t)nd * 2 * sizeof *obs_l);
    double *obs_g = obs_l + (size_t)(ntrials + 1) * (size_t)nd;
    int ml = 0, mg = 0;
    for (int i = 0; i < ntrials; i++) {
        if (below[i] < 0) continue;
        double *row = below[i] ? obs_l + (size_t)ml * nd : obs_g + (size_t)mg * nd;
        if (!dt_tpe__observe(t, dims, nd, trials[i].values, row)) continue;
        if (below[i]) ml++;
        else mg++;
    }
    dt_tpe__pe l, g;
    dt_tpe__pe_build(&l, t, dims, nd, obs_l, ml, 0, t->nobj > 1);
    dt_tpe__pe_build(&g, t, dims, nd, obs_g, mg, 1, 0);

    int nuc = 0;
    double *cand = dt_xmalloc((size_t)nc * (2 * (size_t)nd + 4) * sizeof *cand + (size_t)nc * sizeof(int));
    double *uc = cand + (size_t)nc * nd, *ll = uc + (size_t)nc * nd, *lg = ll + nc, *ull = lg + nc, *ulg = ull + nc;
    int *rep = (int *)(ulg + nc);
    dt_tpe__pe_sample(&l, t, dims, rng, nc, cand);
    /* A candidate equal to an earlier one (a choice or a grid value drawn again: most of
     * them, when the unit is one such parameter) is scored once. */
    for (int c = 0; c < nc; c++) {
        const double *x = cand + (size_t)c * nd;
        int u = 0;
        while (u < nuc && memcmp(uc + (size_t)u * nd, x, (size_t)nd * sizeof *x) != 0) u++;
        if (u == nuc) memcpy(uc + (size_t)nuc++ * nd, x, (size_t)nd * sizeof *x);
        rep[c] = u;
    }
    dt_tpe__pe_logpdf(&l, t, dims, uc, nuc, ull);
    dt_tpe__pe_logpdf(&g, t, dims, uc, nuc, ulg);
    for (int c = 0; c < nc; c++) {
        ll[c] = ull[rep[c]];
        lg[c] = ulg[rep[c]];
    }
    /* The first candidate wins ties, as np.argmax's does; "tie" meaning within 1e-9, as
     * candidates of a unit of choices often tie exactly, and their computed scores then
     * differ only by rounding (the order of a sum, exp_neg's 1e-8): left to that noise,
     * the winner would change with every rewrite of the density loops. */
    int best = 0;
    for (int c = 1; c < nc; c++)
        if (ll[c] - lg[c] > ll[best] - lg[best] + 1e-9) best = c;

    for (int j = 0; j < nd; j++) {
        const dt_tpe__dim *d = &t->dims[dims[j]];
        const dt_param *p = &t->space->p[d->p];
        double x = cand[(size_t)best * nd + j];
        if (d->cat) dt_value_choice(p, (int)x, &vals[d->p]);
        else dt_value_num(p, d->step == 0 && d->log ? exp(x) : x, &vals[d->p]);
    }
    free(cand);
    dt_tpe__pe_free(&l);
    dt_tpe__pe_free(&g);
    free(obs_l);
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
    int finished = dt_tpe_split(t, trials, ntrials, number, below);
    dt_rng rng;
    if (finished < t->startup) {
        dt_rng_seed(&rng, t->seed, (uint64_t)number);
        dt_space_sample(s, &rng, vals);
        free(below);
        return 0;
    }
    dt_rng_seed(&rng, t->seed, DT_TPE__STREAM ^ (uint64_t)number);
    int nc = dt_tpe__ncand(t, dt_tpe__gamma(t, finished));
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
            dt_tpe__sample_unit(t, g->dims, g->n, trials, ntrials, below, nc, &rng, vals);
        } else {
            for (int j = 0; j < g->n; j++)
                dt_tpe__sample_unit(t, &g->dims[j], 1, trials, ntrials, below, nc, &rng, vals);
        }
    }
    dt_tpe__fix(s, vals);
    dt_space_activate(s, vals);
    free(below);
    (void)err;
    return 0;
}
