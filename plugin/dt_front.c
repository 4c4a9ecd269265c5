/* dt_front: the Pareto front of a study of several objectives, and the trial of it that
 * best.cfg deploys. See dt_front.h. */
#include "dt_front.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt_pareto.h"

/* 1 when t takes part (a COMPLETE search trial with every objective), its objectives
 * then in pt, each turned to be minimized as dt_pareto wants. */
static int dt_front__point(const dt_sweep *sw, const dt_trial *t, double *pt)
{
    if (t->state != DT_COMPLETE || t->final) return 0;
    for (int j = 0; j < sw->nobj; j++) {
        double v = dt_trial_objective(t, &sw->obj[j]);
        if (!isfinite(v)) return 0;
        pt[j] = sw->obj[j].maximize ? -v : v;
    }
    return 1;
}

int dt_front_trials(const dt_sweep *sw, const dt_trial *trials, int n, int *idx)
{
    int m = sw->nobj, k = 0, f = 0;
    double *pts = dt_xmalloc(sizeof *pts * (size_t)(n * m + 1));
    int *at = dt_xmalloc(sizeof *at * (size_t)(n + 1)), *rank = dt_xmalloc(sizeof *rank * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        if (dt_front__point(sw, &trials[i], &pts[k * m])) at[k++] = i;
    dt_pareto_ranks(pts, k, m, rank);
    for (int j = 0; j < k; j++)
        if (rank[j] == 0) idx[f++] = at[j];
    free(pts), free(at), free(rank);
    return f;
}

/* 1 when t meets every condition of the sweep's choose. */
static int dt_front__meets(const dt_sweep *sw, const dt_trial *t)
{
    const dt_choose *c = &sw->choose;
    for (int k = 0; k < c->ncons; k++) {
        double v = dt_trial_objective(t, &sw->obj[c->cons[k].obj]), b = c->cons[k].bound;
        int ok = c->cons[k].op == DT_CHOOSE_LE   ? v <= b
                 : c->cons[k].op == DT_CHOOSE_LT ? v < b
                 : c->cons[k].op == DT_CHOOSE_GE ? v >= b
                                                 : v > b;
        if (!ok) return 0;
    }
    return 1;
}

/* 1 when a (a point of dt_front__point) is before b for choose: better in the target,
 * then, on a tie, in each other objective in the study's order, so that the choice is
 * never a trial another candidate dominates. */
static int dt_front__before(const dt_sweep *sw, const double *a, const double *b)
{
    int t = sw->choose.target;
    if (a[t] != b[t]) return a[t] < b[t];
    for (int j = 0; j < sw->nobj; j++)
        if (j != t && a[j] != b[j]) return a[j] < b[j];
    return 0;   /* equal: the earlier trial stays */
}

int dt_front_best(const dt_sweep *sw, const dt_trial *trials, int n, char *why, size_t whysz)
{
    char dummy[8];
    if (!why) why = dummy, whysz = sizeof dummy;
    why[0] = 0;
    int m = sw->nobj, best = -1;
    double pt[DT_OBJ_MAX], bpt[DT_OBJ_MAX];
    if (sw->choose.set) {
        for (int i = 0; i < n; i++) {
            if (!dt_front__point(sw, &trials[i], pt) || !dt_front__meets(sw, &trials[i])) continue;
            if (best < 0 || dt_front__before(sw, pt, bpt)) best = i, memcpy(bpt, pt, sizeof pt);
        }
        if (best >= 0) {
            snprintf(why, whysz, "chosen by choose = %s", sw->choose_text);
            return best;
        }
    }
    int *idx = dt_xmalloc(sizeof *idx * (size_t)(n + 1));
    int f = dt_front_trials(sw, trials, n, idx);
    if (f > 0) {
        double *pts = dt_xmalloc(sizeof *pts * (size_t)(f * m));
        for (int j = 0; j < f; j++) dt_front__point(sw, &trials[idx[j]], &pts[j * m]);
        best = idx[dt_pareto_knee(pts, f, m)];
        free(pts);
        if (sw->choose.set)
            snprintf(why, whysz, "the front's knee: no trial meets choose = %s", sw->choose_text);
        else
            snprintf(why, whysz, "the front's knee (the sweep has no choose): each objective scaled over the "
                     "front, nearest the ideal corner");
    }
    free(idx);
    return best;
}

int dt_front_key(const dt_sweep *sw)
{
    for (int j = 0; j < sw->nobj; j++)
        if (sw->obj[j].what != DT_OBJ_METRIC) return j;
    return 0;
}

void dt_front_sort(const dt_sweep *sw, const dt_trial *trials, int *idx, int m)
{
    const dt_objective *o = &sw->obj[dt_front_key(sw)];
    for (int i = 1; i < m; i++) {   /* a front is a handful of trials: insertion keeps ties in number order */
        int x = idx[i], j = i;
        double v = dt_trial_objective(&trials[x], o) * (o->maximize ? -1 : 1);
        while (j > 0 && dt_trial_objective(&trials[idx[j - 1]], o) * (o->maximize ? -1 : 1) > v) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = x;
    }
}

void dt_front_table(const dt_sweep *sw, const dt_trial *trials, int n, dt_buf *out)
{
    int *idx = dt_xmalloc(sizeof *idx * (size_t)(n + 1));
    int m = dt_front_trials(sw, trials, n, idx), chosen = dt_front_best(sw, trials, n, NULL, 0);
    if (!m) {
        dt_buf_printf(out, "front: none yet (no trial has completed with every objective)\n");
        free(idx);
        return;
    }
    dt_front_sort(sw, trials, idx, m);
    dt_buf_printf(out, "front: %d trial%s that no other trial beats in every objective (", m, m == 1 ? "" : "s");
    for (int j = 0; j < sw->nobj; j++)
        dt_buf_printf(out, "%s%s %s", j ? ", " : "", dt_sweep_objective_name(sw, j),
                      sw->obj[j].maximize ? "higher" : "lower");
    dt_buf_printf(out, " is better)\n  trial");
    for (int j = 0; j < sw->nobj; j++) dt_buf_printf(out, " %10s", dt_sweep_objective_name(sw, j));
    for (int k = 0; k < sw->space.n; k++)
        if (sw->space.p[k].kind != DT_FIXED) dt_buf_printf(out, "  %s", sw->space.p[k].name);
    dt_buf_printf(out, "\n");
    for (int i = 0; i < m; i++) {
        const dt_trial *t = &trials[idx[i]];
        dt_buf_printf(out, "%c %5d", idx[i] == chosen ? '*' : ' ', t->number);
        for (int j = 0; j < sw->nobj; j++) dt_buf_printf(out, " %10.4g", dt_trial_objective(t, &sw->obj[j]));
        for (int k = 0; k < sw->space.n; k++)
            if (sw->space.p[k].kind != DT_FIXED)
                dt_buf_printf(out, "  %*s", (int)strlen(sw->space.p[k].name),
                              t->values[k].active ? t->values[k].text : "-");
        dt_buf_printf(out, "\n");
    }
    free(idx);
}
