/* dt_pruner: none and threshold, and the divergence check every pruner shares.
 *
 * Threshold follows Optuna's ThresholdPruner: after the warm-up, a value below
 * `lower` or above `upper` prunes the trial. Which series is compared (the loss
 * of each iteration or the periodic metric) is the sweep's `on`. Values of the
 * other series are only checked for divergence. */
#include "dt_pruner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct dt_pruner {
    dt_pruner_kind kind;
    long warmup;         /* iterations before which only divergence prunes */
    int on;              /* the dt_point_kind compared against the thresholds */
    double lower, upper; /* NAN: no bound */
};

int dt_pruner_create(dt_pruner **out, const dt_sweep *sw, dt_err *err)
{
    if (sw->pruner != DT_PRUNER_NONE && sw->pruner != DT_PRUNER_THRESHOLD)
        return dt_errf(err, "pruner '%s' is not available yet", dt_pruner_name(sw->pruner));
    dt_pruner *p = dt_xcalloc(1, sizeof *p);
    p->kind = sw->pruner;
    p->warmup = sw->warmup;
    p->on = sw->on_loss ? DT_POINT_LOSS : DT_POINT_METRIC;
    p->lower = sw->lower;
    p->upper = sw->upper;
    *out = p;
    return 0;
}

void dt_pruner_free(dt_pruner *p)
{
    free(p);
}

void dt_pruner_record(dt_pruner *p, int number, dt_point pt)
{
    /* none and threshold decide from the value at hand alone: nothing to keep. */
    (void)p, (void)number, (void)pt;
}

int dt_pruner_decide(dt_pruner *p, int number, dt_point pt, char *reason, size_t n)
{
    const char *what = pt.kind == DT_POINT_LOSS ? "loss" : "metric";
    dt_pruner_record(p, number, pt);
    if (!isfinite(pt.value)) {
        snprintf(reason, n, "diverged: %s %s at iteration %ld", what,
                 isnan(pt.value) ? "nan" : pt.value > 0 ? "inf" : "-inf", pt.step);
        return 1;
    }
    if (p->kind != DT_PRUNER_THRESHOLD || pt.kind != p->on || pt.step < p->warmup) return 0;
    if (!isnan(p->lower) && pt.value < p->lower) {
        snprintf(reason, n, "%s %g below the threshold %g at iteration %ld", what, pt.value, p->lower, pt.step);
        return 1;
    }
    if (!isnan(p->upper) && pt.value > p->upper) {
        snprintf(reason, n, "%s %g above the threshold %g at iteration %ld", what, pt.value, p->upper, pt.step);
        return 1;
    }
    return 0;
}

void dt_pruner_finish(dt_pruner *p, int number, dt_state state)
{
    (void)p, (void)number, (void)state;
}
