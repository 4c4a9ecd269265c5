/* dt_fanova: a random forest of regression trees, then the functional ANOVA of each
 * tree over the boxes it cuts the search space into (see dt_fanova.h for what is
 * computed and why it follows Optuna).
 *
 * Layout: the usable trials become m rows of ncol encoded columns (x, column-major),
 * each column with its range [lo, lo + width]. The columns of one parameter (one for
 * a number, one per choice) are contiguous: a group. Every box is kept in fractions
 * of the column's width, so that a box's volume is a fraction of the space's (the
 * volumes only ever weigh one box against another, so the scale is free, and
 * fractions cannot underflow the way a product of ten learning-rate widths can).
 *
 * Growing a tree: each column keeps its rows sorted by value (sorted once for the
 * forest), and a node owns the same slice [start, end) of every column's order; a
 * split partitions each slice stably, so no node sorts anything. A node's best split
 * scans each column once: O(rows x columns) per node.
 *
 * Costs, for m trials, c columns, t trees: growing O(t c m depth); the decomposition
 * of one parameter in one tree visits the tree once per cell of the parameter's grid
 * (the tree's thresholds on it), O(cells x nodes) at worst. */
#include "dt_fanova.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DT_FANOVA__STREAM 0x666e760000000000ULL /* "fnv": one stream per tree, apart from the samplers' */

/* The usable trials, encoded. */
typedef struct dt_fanova__data {
    int m;              /* rows: usable trials */
    int ncol;           /* encoded columns */
    int ngroup;         /* assessed parameters */
    int *group_param;   /* [ngroup] the parameter's index in the space */
    int *group_first;   /* [ngroup + 1] first column of each group; group g is [first[g], first[g + 1]) */
    int *col_group;     /* [ncol] */
    double *lo, *width; /* [ncol] the column's range: [lo, lo + width], width > 0 */
    double *x;          /* [ncol * m] x[c * m + i]: row i's value in column c */
    double *y;          /* [m] the objective */
    int *sorted;        /* [ncol * m] each column's rows by increasing value */
} dt_fanova__data;

typedef struct dt_fanova__node {
    int col;            /* the column it splits on; -1 for a leaf */
    int left, right;    /* children (x <= thr goes left) */
    double thr;
    double value;       /* a leaf's prediction; after dt_fanova__stats, the volume-weighted mean of the subtree */
    double volume;      /* the fraction of the space in the node's box (set by dt_fanova__stats) */
} dt_fanova__node;

/* One tree and the buffers growing it and decomposing it need: made once for the
 * forest, reused by every tree (llm.c style: the buffers live in one struct). */
typedef struct dt_fanova__tree {
    const dt_fanova__data *d;
    int n, cap;            /* nodes used and allocated (2m - 1 at most: a leaf holds a row at least) */
    dt_fanova__node *node;
    double *box;           /* [cap * 2 * ncol] a node's box: lo then hi per column, fractions of the range */
    double *w;             /* [m] bootstrap counts */
    int *ord;              /* [ncol * m] each column's in-bag rows in node order */
    int *tmp;              /* [m] partition buffer */
    unsigned char *goes_left; /* [m] */
    int *cols;             /* [ncol] the columns in this node's visiting order */
    int *stack;            /* [5 * cap] growing: start, end, depth, parent, side; decomposing: node ids */
    /* Decomposition of one group. */
    unsigned char *in_group;  /* [ncol] */
    unsigned char *reaches;   /* [cap] the node's subtree splits on the group */
    double *outside;          /* [cap] the node's volume over the columns outside the group */
    double *cuts;             /* [m + 2] one column's cell edges */
    double **mid, **size;     /* [group columns][cells] midpoints and widths of each column's cells */
    int *ncells, *at;         /* [group columns] */
    double *point;            /* [ncol] the grid point (group columns only) */
} dt_fanova__tree;

/* qsort has no context argument: rows are sorted as (value, row) pairs instead. */
typedef struct dt_fanova__pair {
    double v;
    int row;
} dt_fanova__pair;

static int dt_fanova__cmp_pair(const void *a, const void *b)
{
    const dt_fanova__pair *p = a, *q = b;
    if (p->v != q->v) return p->v < q->v ? -1 : 1;
    return (p->row > q->row) - (p->row < q->row);
}

/* Whether parameter p's distribution holds a single value: nothing to assess. */
static int dt_fanova__single(const dt_param *p)
{
    switch (p->kind) {
    case DT_FIXED: return 1;
    case DT_CHOICE: return p->nchoices < 2;
    case DT_INT: return !(p->high > p->low) || p->high - p->low < (p->step > 0 ? p->step : 1);
    default: return !(p->high > p->low);
    }
}

/* Whether value v lies in p's distribution (a baseline's cfg value may not). */
static int dt_fanova__inside(const dt_param *p, const dt_value *v)
{
    if (p->kind == DT_CHOICE) return v->idx >= 0 && v->idx < p->nchoices;
    return isfinite(v->num) && v->num >= p->low && v->num <= p->high;
}

static void dt_fanova__data_free(dt_fanova__data *d)
{
    free(d->group_param);
    free(d->group_first);
    free(d->col_group);
    free(d->lo);
    free(d->width);
    free(d->x);
    free(d->y);
    free(d->sorted);
}

/* Picks the usable trials and the assessed parameters, and encodes them into d.
 * share gets 0 for parameters that cannot vary and NAN for conditional ones left out. */
static void dt_fanova__encode(const dt_space *sp, const dt_trial *trials, int n, double *share, dt_fanova__data *d)
{
    memset(d, 0, sizeof *d);
    int *rows = dt_xmalloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) {
        const dt_trial *t = &trials[i];
        if (t->state != DT_COMPLETE || !isfinite(t->value) || !t->values) continue;
        int ok = 1;
        for (int j = 0; j < sp->n && ok; j++)
            if (!dt_fanova__single(&sp->p[j]) && t->values[j].active) ok = dt_fanova__inside(&sp->p[j], &t->values[j]);
        if (ok) rows[d->m++] = i;
    }
    /* The assessed parameters: can vary, and are active in every usable trial. */
    d->group_param = dt_xmalloc(sizeof(int) * (size_t)(sp->n + 1));
    d->group_first = dt_xmalloc(sizeof(int) * (size_t)(sp->n + 2));
    for (int j = 0; j < sp->n; j++) {
        const dt_param *p = &sp->p[j];
        share[j] = 0;
        if (dt_fanova__single(p)) continue;
        int all = 1;
        for (int r = 0; r < d->m && all; r++) all = trials[rows[r]].values[j].active;
        if (!all) {
            share[j] = NAN;
            continue;
        }
        d->group_first[d->ngroup] = d->ncol;
        d->group_param[d->ngroup++] = j;
        d->ncol += p->kind == DT_CHOICE ? p->nchoices : 1;
    }
    d->group_first[d->ngroup] = d->ncol;
    int nc = d->ncol > 0 ? d->ncol : 1, m = d->m > 0 ? d->m : 1;
    d->col_group = dt_xmalloc(sizeof(int) * (size_t)nc);
    d->lo = dt_xmalloc(sizeof(double) * (size_t)nc);
    d->width = dt_xmalloc(sizeof(double) * (size_t)nc);
    d->x = dt_xcalloc((size_t)nc * (size_t)m, sizeof(double));
    d->y = dt_xmalloc(sizeof(double) * (size_t)m);
    d->sorted = dt_xmalloc(sizeof(int) * (size_t)nc * (size_t)m);
    for (int r = 0; r < d->m; r++) d->y[r] = trials[rows[r]].value;
    for (int g = 0; g < d->ngroup; g++) {
        const dt_param *p = &sp->p[d->group_param[g]];
        int c0 = d->group_first[g];
        for (int c = c0; c < d->group_first[g + 1]; c++) {
            d->col_group[c] = g;
            /* A choice's column is 1 in the trials that took it; its range is [0, 1]. */
            d->lo[c] = p->kind == DT_CHOICE ? 0 : p->low;
            d->width[c] = p->kind == DT_CHOICE ? 1 : p->high - p->low;
        }
        for (int r = 0; r < d->m; r++) {
            const dt_value *v = &trials[rows[r]].values[d->group_param[g]];
            if (p->kind == DT_CHOICE) d->x[(size_t)(c0 + v->idx) * (size_t)d->m + (size_t)r] = 1;
            else d->x[(size_t)c0 * (size_t)d->m + (size_t)r] = v->num;
        }
    }
    dt_fanova__pair *pairs = dt_xmalloc(sizeof *pairs * (size_t)m);
    for (int c = 0; c < d->ncol; c++) {
        const double *xc = d->x + (size_t)c * (size_t)d->m;
        for (int r = 0; r < d->m; r++) pairs[r] = (dt_fanova__pair){xc[r], r};
        qsort(pairs, (size_t)d->m, sizeof *pairs, dt_fanova__cmp_pair);
        for (int r = 0; r < d->m; r++) d->sorted[(size_t)c * (size_t)d->m + (size_t)r] = pairs[r].row;
    }
    free(pairs);
    free(rows);
}

static void dt_fanova__tree_init(dt_fanova__tree *t, const dt_fanova__data *d)
{
    memset(t, 0, sizeof *t);
    t->d = d;
    size_t m = (size_t)d->m, nc = (size_t)d->ncol;
    t->cap = 2 * d->m;
    size_t cap = (size_t)t->cap;
    t->node = dt_xmalloc(sizeof *t->node * cap);
    t->box = dt_xmalloc(sizeof(double) * cap * 2 * nc);
    t->w = dt_xmalloc(sizeof(double) * m);
    t->ord = dt_xmalloc(sizeof(int) * nc * m);
    t->tmp = dt_xmalloc(sizeof(int) * m);
    t->goes_left = dt_xmalloc(m);
    t->cols = dt_xmalloc(sizeof(int) * nc);
    t->stack = dt_xmalloc(sizeof(int) * 5 * cap);
    t->in_group = dt_xcalloc(nc, 1);
    t->reaches = dt_xmalloc(cap);
    t->outside = dt_xmalloc(sizeof(double) * cap);
    t->cuts = dt_xmalloc(sizeof(double) * (m + 2));
    t->mid = dt_xcalloc(nc, sizeof(double *));
    t->size = dt_xcalloc(nc, sizeof(double *));
    for (size_t c = 0; c < nc; c++) {
        t->mid[c] = dt_xmalloc(sizeof(double) * (m + 1));
        t->size[c] = dt_xmalloc(sizeof(double) * (m + 1));
    }
    t->ncells = dt_xmalloc(sizeof(int) * nc);
    t->at = dt_xmalloc(sizeof(int) * nc);
    t->point = dt_xmalloc(sizeof(double) * nc);
}

static void dt_fanova__tree_free(dt_fanova__tree *t)
{
    for (int c = 0; c < t->d->ncol; c++) {
        free(t->mid[c]);
        free(t->size[c]);
    }
    free(t->mid);
    free(t->size);
    free(t->node);
    free(t->box);
    free(t->w);
    free(t->ord);
    free(t->tmp);
    free(t->goes_left);
    free(t->cols);
    free(t->stack);
    free(t->in_group);
    free(t->reaches);
    free(t->outside);
    free(t->cuts);
    free(t->ncells);
    free(t->at);
    free(t->point);
}

/* The best split of the in-bag rows ord[c][s, e) (k of them, weighted sum sw, sum of
 * weighted values swy): the column, threshold and count going left that maximize
 * sl^2/wl + sr^2/wr (the squared error's reduction, up to a constant). The columns
 * are visited in a random order and a later one must do strictly better, as sklearn
 * does, so that ties go to a random column. Returns 0 when every column is constant here. */
static int dt_fanova__best_split(dt_fanova__tree *t, dt_rng *rng, int s, int e, double sw, double swy, int *col,
                                 double *thr)
{
    const dt_fanova__data *d = t->d;
    double best = -INFINITY;
    int found = 0;
    for (int c = 0; c < d->ncol; c++) t->cols[c] = c;
    dt_rng_shuffle(rng, t->cols, d->ncol);
    for (int ci = 0; ci < d->ncol; ci++) {
        int c = t->cols[ci];
        const int *o = t->ord + (size_t)c * (size_t)d->m;
        const double *xc = d->x + (size_t)c * (size_t)d->m;
        if (xc[o[s]] == xc[o[e - 1]]) continue;   /* constant in this node */
        double wl = 0, sl = 0;
        for (int p = s + 1; p < e; p++) {
            int r = o[p - 1];
            wl += t->w[r];
            sl += t->w[r] * d->y[r];
            double a = xc[r], b = xc[o[p]];
            if (b == a) continue;                 /* only between two different values */
            double wr = sw - wl, sr = swy - sl;
            double gain = sl * sl / wl + sr * sr / wr;
            if (gain > best) {
                best = gain;
                found = 1;
                *col = c;
                /* Halves first: no overflow; b itself must go right. */
                *thr = a / 2 + b / 2;
                if (*thr >= b) *thr = a;
            }
        }
    }
    return found;
}

/* Grows one tree on the rows with bootstrap weight t->w > 0, depth first (left
 * child first), each node's box kept in t->box. */
static void dt_fanova__grow(dt_fanova__tree *t, dt_rng *rng)
{
    const dt_fanova__data *d = t->d;
    size_t m = (size_t)d->m, nc = (size_t)d->ncol;
    int k = 0;
    for (int c = 0; c < d->ncol; c++) {
        int kc = 0;
        for (int i = 0; i < d->m; i++) {
            int r = d->sorted[(size_t)c * m + (size_t)i];
            if (t->w[r] > 0) t->ord[(size_t)c * m + (size_t)kc++] = r;
        }
        k = kc;
    }
    t->n = 0;
    int sp = 0;
    int *st = t->stack;
    st[sp++] = 0, st[sp++] = k, st[sp++] = 0, st[sp++] = -1, st[sp++] = 0;
    while (sp > 0) {
        int side = st[--sp], parent = st[--sp], depth = st[--sp], e = st[--sp], s = st[--sp];
        int id = t->n++;
        dt_fanova__node *nd = &t->node[id];
        double *box = t->box + (size_t)id * 2 * nc;
        if (parent < 0) {
            for (size_t c = 0; c < nc; c++) box[c] = 0, box[nc + c] = 1;
        } else {
            const dt_fanova__node *pn = &t->node[parent];
            memcpy(box, t->box + (size_t)parent * 2 * nc, sizeof(double) * 2 * nc);
            double f = (pn->thr - d->lo[pn->col]) / d->width[pn->col];
            box[(size_t)pn->col + (side ? 0 : nc)] = f;   /* left: hi = thr; right: lo = thr */
            if (side) t->node[parent].right = id;
            else t->node[parent].left = id;
        }
        /* Mean and variance of the node's rows, weighted by their bootstrap counts. */
        const int *o = t->ord;   /* column 0's order: any column holds the node's rows */
        double sw = 0, swy = 0, ss = 0;
        for (int p = s; p < e; p++) sw += t->w[o[p]], swy += t->w[o[p]] * d->y[o[p]];
        double mean = swy / sw;
        for (int p = s; p < e; p++) ss += t->w[o[p]] * (d->y[o[p]] - mean) * (d->y[o[p]] - mean);
        nd->col = -1;
        nd->left = nd->right = -1;
        nd->value = mean;
        nd->thr = 0;
        /* sklearn's stopping rules with Optuna's settings (min_samples_split 2,
         * min_samples_leaf 1): one row, the depth limit, or a pure node. */
        int col;
        double thr;
        if (e - s < 2 || depth >= DT_FANOVA_DEPTH || ss / sw <= DBL_EPSILON ||
            !dt_fanova__best_split(t, rng, s, e, sw, swy, &col, &thr))
            continue;
        nd->col = col;
        nd->thr = thr;
        const double *xc = d->x + (size_t)col * m;
        for (int p = s; p < e; p++) t->goes_left[o[p]] = xc[o[p]] <= thr;
        int nl = 0;
        for (int c = 0; c < d->ncol; c++) {
            int *oc = t->ord + (size_t)c * m;
            int l = s, r = 0;
            for (int p = s; p < e; p++) {
                if (t->goes_left[oc[p]]) oc[l++] = oc[p];
                else t->tmp[r++] = oc[p];
            }
            memcpy(oc + l, t->tmp, sizeof(int) * (size_t)r);
            nl = l - s;
        }
        /* Right pushed first: the left child is grown (and numbered) first. */
        st[sp++] = s + nl, st[sp++] = e, st[sp++] = depth + 1, st[sp++] = id, st[sp++] = 1;
        st[sp++] = s, st[sp++] = s + nl, st[sp++] = depth + 1, st[sp++] = id, st[sp++] = 0;
    }
}

/* Volumes and volume-weighted means, leaves up (children are numbered after their
 * parent), and the tree's total variance: of its prediction over the whole space. */
static double dt_fanova__stats(dt_fanova__tree *t)
{
    size_t nc = (size_t)t->d->ncol;
    double vmax = 0;
    for (int i = t->n - 1; i >= 0; i--) {
        dt_fanova__node *nd = &t->node[i];
        if (nd->col < 0) {
            const double *box = t->box + (size_t)i * 2 * nc;
            double v = 1;
            for (size_t c = 0; c < nc; c++) v *= box[nc + c] - box[c];
            nd->volume = v;
            if (fabs(nd->value) > vmax) vmax = fabs(nd->value);
            continue;
        }
        const dt_fanova__node *l = &t->node[nd->left], *r = &t->node[nd->right];
        nd->volume = l->volume + r->volume;
        nd->value = nd->volume > 0 ? (l->value * l->volume + r->value * r->volume) / nd->volume
                                   : (l->value + r->value) / 2;
    }
    const dt_fanova__node *root = &t->node[0];
    if (root->col < 0 || !(root->volume > 0)) return 0;
    double var = 0;
    for (int i = 0; i < t->n; i++) {
        const dt_fanova__node *nd = &t->node[i];
        if (nd->col < 0) var += nd->volume * (nd->value - root->value) * (nd->value - root->value);
    }
    var /= root->volume;
    /* Leaves that all predict the same give a variance of rounding errors only;
     * dividing by it would turn noise into fractions. */
    double noise = 16 * DBL_EPSILON * vmax;
    return var > noise * noise ? var : 0;
}

/* The variance of group g's marginal prediction in the tree: the tree averaged over
 * every column outside the group, at each cell of the grid the tree's thresholds on
 * the group's columns cut, each cell weighed by its volume. */
static double dt_fanova__marginal(dt_fanova__tree *t, int g)
{
    const dt_fanova__data *d = t->d;
    size_t nc = (size_t)d->ncol;
    int c0 = d->group_first[g], ng = d->group_first[g + 1] - c0;
    memset(t->in_group, 0, nc);
    for (int c = c0; c < c0 + ng; c++) t->in_group[c] = 1;
    /* Whether a subtree splits on the group, and each node's volume outside the group. */
    for (int i = t->n - 1; i >= 0; i--) {
        const dt_fanova__node *nd = &t->node[i];
        t->reaches[i] = nd->col >= 0 && (t->in_group[nd->col] || t->reaches[nd->left] || t->reaches[nd->right]);
        const double *box = t->box + (size_t)i * 2 * nc;
        double v = 1;
        for (size_t c = 0; c < nc; c++)
            if (!t->in_group[c]) v *= box[nc + c] - box[c];
        t->outside[i] = v;
    }
    /* Each group column's cells: between its range's ends and the tree's thresholds on it. */
    long cells = 1;
    for (int j = 0; j < ng; j++) {
        int c = c0 + j, nt = 0;
        t->cuts[nt++] = 0;
        for (int i = 0; i < t->n; i++)
            if (t->node[i].col == c) t->cuts[nt++] = (t->node[i].thr - d->lo[c]) / d->width[c];
        t->cuts[nt++] = 1;
        qsort(t->cuts + 1, (size_t)(nt - 2), sizeof(double), dt_cmp_double);
        int u = 0;
        for (int i = 0; i + 1 < nt; i++) {
            if (t->cuts[i + 1] == t->cuts[i]) continue;   /* the same threshold at two nodes */
            t->mid[j][u] = (t->cuts[i] + t->cuts[i + 1]) / 2;
            t->size[j][u++] = t->cuts[i + 1] - t->cuts[i];
        }
        t->ncells[j] = u;
        t->at[j] = 0;
        cells *= u;
    }
    if (cells <= 1) return 0;
    /* Walk the grid (an odometer over the group's columns). */
    double sw = 0, swv = 0, swvv = 0;
    for (long cell = 0; cell < cells; cell++) {
        double weight = 1;
        for (int j = 0; j < ng; j++) {
            t->point[c0 + j] = t->mid[j][t->at[j]];
            weight *= t->size[j][t->at[j]];
        }
        double pw = 0, pwv = 0;
        int sp = 0;
        t->stack[sp++] = 0;
        while (sp > 0) {
            int i = t->stack[--sp];
            const dt_fanova__node *nd = &t->node[i];
            if (nd->col >= 0 && t->in_group[nd->col]) {
                double f = (nd->thr - d->lo[nd->col]) / d->width[nd->col];
                t->stack[sp++] = t->point[nd->col] <= f ? nd->left : nd->right;
            } else if (nd->col >= 0 && t->reaches[i]) {
                t->stack[sp++] = nd->right;
                t->stack[sp++] = nd->left;
            } else {
                /* Nothing below splits on the group: the subtree's mean stands for it. */
                pw += t->outside[i];
                pwv += t->outside[i] * nd->value;
            }
        }
        double v = pw > 0 ? pwv / pw : 0;
        sw += weight;
        swv += weight * v;
        swvv += weight * v * v;
        for (int j = 0; j < ng && ++t->at[j] == t->ncells[j]; j++) t->at[j] = 0;
    }
    /* Two passes would be more exact, but the weighted second moment here is of a few
     * hundred values of one scale; the clip below keeps rounding from going negative. */
    double mean = swv / sw, var = swvv / sw - mean * mean;
    return var > 0 ? var : 0;
}

int dt_fanova_importance(const dt_space *sp, const dt_trial *trials, int n, uint64_t seed, double *share, dt_err *err)
{
    dt_fanova__data d;
    dt_fanova__encode(sp, trials, n, share, &d);
    if (d.m < 2) {
        dt_fanova__data_free(&d);
        return dt_errf(err, "parameter importance needs 2 complete trials, %s %d", d.m == 1 ? "there is" : "there are",
                       d.m);
    }
    if (d.ngroup == 0) {
        dt_fanova__data_free(&d);
        return dt_errf(err, "parameter importance needs a parameter that varies and is active in every complete trial");
    }
    dt_fanova__tree t;
    dt_fanova__tree_init(&t, &d);
    double *frac = dt_xcalloc((size_t)d.ngroup, sizeof(double));
    int used = 0;
    for (int k = 0; k < DT_FANOVA_TREES; k++) {
        dt_rng rng;
        dt_rng_seed(&rng, seed, DT_FANOVA__STREAM ^ (uint64_t)k);
        memset(t.w, 0, sizeof(double) * (size_t)d.m);
        for (int i = 0; i < d.m; i++) t.w[dt_rng_below(&rng, (uint64_t)d.m)] += 1;
        dt_fanova__grow(&t, &rng);
        double total = dt_fanova__stats(&t);
        if (total <= 0) continue;   /* a tree that predicts one value has nothing to share */
        used++;
        for (int g = 0; g < d.ngroup; g++) frac[g] += dt_fanova__marginal(&t, g) / total;
    }
    int rc = d.m;
    if (used == 0) {
        int same = 1;
        for (int i = 1; i < d.m && same; i++) same = d.y[i] == d.y[0];
        if (same)
            rc = dt_errf(err, "parameter importance needs different values: all %d complete trials have %g", d.m,
                         d.y[0]);
        else
            rc = dt_errf(err, "parameter importance needs trials at different points: all %d complete trials have "
                         "the same parameters", d.m);
    } else {
        double sum = 0;
        for (int g = 0; g < d.ngroup; g++) sum += frac[g] / used;
        /* Optuna's normalization, its all-zero case included (pure interactions). */
        for (int g = 0; g < d.ngroup; g++) share[d.group_param[g]] = sum > 0 ? frac[g] / used / sum : 1.0 / d.ngroup;
    }
    free(frac);
    dt_fanova__tree_free(&t);
    dt_fanova__data_free(&d);
    return rc;
}
