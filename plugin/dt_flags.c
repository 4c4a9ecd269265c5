/* dt_flags: the tuning guide's red flags (see dt_flags.h). Each rule is a few lines of
 * arithmetic over the trials; the thresholds are the guide's where it gives one (0.5%
 * for a flat study) and stated beside the rule where darktune chose them. */
#include "dt_flags.h"

#include <math.h>
#include <stdio.h>

#include "dt_out.h"

/* Trials the pruner judged and pruned, above this share, suggest it is too aggressive. */
#define DT_FLAGS__PRUNED 0.80
/* Finished trials whose values all lie within this share of each other: a flat study. */
#define DT_FLAGS__FLAT 0.005

int dt_flags_edges(const dt_sweep *sw, const dt_trial *t, dt_buf *b)
{
    int n = 0;
    for (int i = 0; i < sw->space.n; i++) {
        const dt_param *p = &sw->space.p[i];
        const dt_value *v = &t->values[i];
        if (!v->active || isnan(v->num) || p->kind == DT_FIXED || p->kind == DT_CHOICE || p->high <= p->low)
            continue;
        int lg = p->kind == DT_LOG || p->kind == DT_LOGINT;
        double pos = lg ? log(v->num / p->low) / log(p->high / p->low) : (v->num - p->low) / (p->high - p->low);
        if (pos > 0.05 && pos < 0.95) continue;
        dt_buf_printf(b, "edge: %s = %s is at the %s end of its range %g..%g: the best value may lie beyond it; "
                      "widen the range\n", p->name, v->text, pos <= 0.05 ? "lower" : "upper", p->low, p->high);
        n++;
    }
    return n;
}

/* The best came from TPE's random start (the baseline and the first startup_trials)
 * and at least 5 of the model's trials finished after it without beating it. */
static int dt_flags__random_start(const dt_sweep *sw, const dt_trial *trials, int n, const dt_trial *best,
                                  dt_buf *b)
{
    int start = dt_out_tpe_start(sw), after = 0;
    for (int i = 0; i < n; i++) after += trials[i].number >= start && dt_trial_counts(&trials[i]) && !trials[i].final;
    if (sw->sampler.kind != DT_SAMPLER_TPE || best->number >= start || after < 5) return 0;
    dt_buf_printf(b, "flag: the best, trial %d, was found in the random start (trials 0-%d) and none of the %d "
                  "TPE trials after it did better: run more trials, or narrow the space around it\n",
                  best->number, start - 1, after);
    return 1;
}

/* A divergence is the diverged check every pruner shares, not the pruner's judgement. */
static int dt_flags__diverged(const dt_trial *t)
{
    return (t->state == DT_PRUNED || t->state == DT_FAIL) && t->diverged;
}

/* Over 80% of the trials the pruner judged (5 at least) were pruned by it: name the
 * setting that relaxes the chosen pruner. */
static int dt_flags__pruned(const dt_sweep *sw, const dt_trial *trials, int n, dt_buf *b)
{
    int judged = 0, pruned = 0;
    for (int i = 0; i < n; i++) {
        const dt_trial *t = &trials[i];
        if (!dt_trial_counts(t) || t->baseline || t->final || dt_flags__diverged(t)) continue;
        if (t->state == DT_COMPLETE || t->state == DT_PRUNED) judged++;
        pruned += t->state == DT_PRUNED;
    }
    if (judged < 5 || pruned <= DT_FLAGS__PRUNED * judged) return 0;
    const dt_pruner_opts *o = &sw->pruner;
    char relax[160];
    switch (o->kind) {
    case DT_PRUNER_MEDIAN:
    case DT_PRUNER_PERCENTILE:
        snprintf(relax, sizeof relax, "raise warmup (now %ld) or startup_trials (now %d)%s", o->warmup,
                 o->startup_trials, o->kind == DT_PRUNER_PERCENTILE ? ", or lower percentile" : "");
        break;
    case DT_PRUNER_ASHA:
    case DT_PRUNER_HYPERBAND:
        snprintf(relax, sizeof relax, "raise min_resource%s or lower reduction_factor (now %d)",
                 o->min_resource ? "" : " (now automatic)", o->reduction_factor ? o->reduction_factor : 3);
        break;
    case DT_PRUNER_PATIENCE:
        snprintf(relax, sizeof relax, "raise patience (now %ld)", o->patience);
        break;
    default:
        snprintf(relax, sizeof relax, "loosen lower and upper");
    }
    dt_buf_printf(b, "flag: the %s pruner pruned %d of the %d trials it judged (%.0f%%): it may be too aggressive; "
                  "%s in [pruner]\n", dt_pruner_name(o->kind), pruned, judged, 100.0 * pruned / judged, relax);
    return 1;
}

/* Every finished trial (3 at least) within 0.5% of the others. */
static int dt_flags__flat(const dt_sweep *sw, const dt_trial *trials, int n, dt_buf *b)
{
    int m = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        const dt_trial *t = &trials[i];
        if (!dt_trial_counts(t) || t->final || t->state != DT_COMPLETE || isnan(t->value)) continue;
        lo = fmin(lo, trials[i].value);
        hi = fmax(hi, trials[i].value);
        m++;
    }
    if (m < 3 || hi - lo > DT_FLAGS__FLAT * fmax(fabs(lo), fabs(hi))) return 0;
    dt_buf_printf(b, "flag: all %d finished trials lie within 0.5%% of each other (%s %.6g..%.6g): the space is too "
                  "narrow or the metric does not see these parameters; widen the space, or check the metric\n", m,
                  dt_metric_name(sw->metric), lo, hi);
    return 1;
}

/* Diverged trials, and the smallest learning_rate among them: an upper bound. */
static int dt_flags__diverged_rates(const dt_sweep *sw, const dt_trial *trials, int n, dt_buf *b)
{
    int m = 0, at = -1;
    double low = INFINITY;
    for (int i = 0; i < n; i++) {
        if (!dt_trial_counts(&trials[i]) || !dt_flags__diverged(&trials[i])) continue;
        m++;
        double r = dt_out_net_value(sw, &trials[i], "learning_rate", NULL);
        if (r < low) low = r, at = i;
    }
    if (!m) return 0;
    if (at < 0) {
        dt_buf_printf(b, "flag: %d trial%s diverged (loss nan or inf)\n", m, m == 1 ? "" : "s");
        return 1;
    }
    dt_buf_printf(b, "flag: %d trial%s diverged (loss nan or inf); the smallest learning_rate that did, %g (trial "
                  "%d), is an upper bound: keep learning_rate's range below it\n", m, m == 1 ? "" : "s", low,
                  trials[at].number);
    return 1;
}

int dt_flags_improving(const dt_curve *c, int maximize, double *from, double *to, int *kind)
{
    int metrics = 0;
    for (int i = 0; i < c->n; i++) metrics += c->pts[i].kind == DT_POINT_METRIC;
    *kind = metrics >= 4 ? DT_POINT_METRIC : DT_POINT_LOSS;
    long last = -1;
    for (int i = 0; i < c->n; i++)
        if (c->pts[i].kind == *kind && isfinite(c->pts[i].value)) last = c->pts[i].step;
    if (last < 4) return 0;
    /* The last quarter, (3/4 last, last], cut in two halves at 7/8. */
    double q = 0.75 * (double)last, mid = 0.875 * (double)last, s[2] = {0, 0};
    int k[2] = {0, 0};
    for (int i = 0; i < c->n; i++) {
        const dt_point *p = &c->pts[i];
        if (p->kind != *kind || !isfinite(p->value) || (double)p->step <= q) continue;
        int h = (double)p->step > mid;
        s[h] += p->value;
        k[h]++;
    }
    if (!k[0] || !k[1]) return 0;
    *from = s[0] / k[0];
    *to = s[1] / k[1];
    double gain = *kind == DT_POINT_METRIC && maximize ? *to - *from : *from - *to;
    return gain > (*kind == DT_POINT_METRIC ? 0.01 : 0.03) * fabs(*from);
}

int dt_flags(const dt_sweep *sw, const dt_trial *trials, int n, const dt_curve *best_curve, dt_buf *b)
{
    int flags = dt_flags__pruned(sw, trials, n, b) + dt_flags__flat(sw, trials, n, b) +
                dt_flags__diverged_rates(sw, trials, n, b);
    int best = dt_out_best(sw, trials, n);
    if (best < 0) return flags;
    const dt_trial *t = &trials[best];
    /* With several objectives the best is a rule's pick from the front (dt_front), not a
     * trial that beat the others: the flags that say what beat what do not apply. */
    int ranked = sw->nobj <= 1;
    flags += dt_flags_edges(sw, t, b) + (ranked ? dt_flags__random_start(sw, trials, n, t, b) : 0);
    double from, to;
    int kind;
    if (best_curve && dt_flags_improving(best_curve, sw->maximize, &from, &to, &kind)) {
        dt_buf_printf(b, "flag: the best, trial %d, was still improving over its last quarter (%s %.4g -> %.4g): "
                      "train longer (max_batches)\n", t->number, kind == DT_POINT_METRIC ? "metric" : "loss", from,
                      to);
        flags++;
    }
    int others = 0;
    for (int i = 0; i < n; i++) others += !trials[i].baseline && !trials[i].final && trials[i].state == DT_COMPLETE;
    if (ranked && t->baseline && others >= 5) {
        dt_buf_printf(b, "flag: the baseline (the base cfg's own values) beat all %d tuned trials: widen the space, "
                      "or run more trials\n", others);
        flags++;
    }
    return flags;
}
