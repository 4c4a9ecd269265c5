/* dt_runner_table: dt_runner for `runner = table`: a trial replays the recorded run
 * (dt_table) nearest to its [net] values, at once and in this process.
 *
 * What a sampler and a pruner see is real Darknet behaviour (bench/record.sh records
 * it), for the price of reading a file: studies of hundreds of trials run in
 * seconds, reproducibly. The trial's values come from its own cfg (spec->cfg, as
 * the scheduler wrote it): for each table parameter, the cfg's [net] value, else
 * Darknet's default (dt_cfg_net_default), else the trial cannot start. Parameters
 * the table does not record are ignored. The replay is one ITER event per recorded
 * iteration up to max_batches, each recorded top-1 at its iteration, then the
 * outcome. There is no descriptor to wait on (fd -1) and nothing sleeps.
 *
 * The table is loaded once per study, with the study's dt_runner_ctx, and every run
 * replays a row of it: the context must outlive its runs. */
#include "dt_runner_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt_cfg.h"
#include "dt_darknet.h"
#include "dt_table.h"

typedef struct dt_run_table {
    const dt_table_row *row;  /* the row replayed */
    int metric;               /* dt_metric: top1 or loss */
    long eval;                /* the table's eval_interval */
    long n;                   /* iterations to replay: the row's, at most max_batches */
    int nmet;                 /* top-1s to replay: those recorded at iterations <= n */
    long it;                  /* iterations replayed */
    int k;                    /* top-1s replayed */
    int over;                 /* dt_run_next says -1 from now on */
    dt_run_result res;
} dt_run_table;

/* The context's share: the table, and whether the context loaded it (and frees it). */
typedef struct dt_rtab__shared {
    dt_table *table;
    int owned;
} dt_rtab__shared;

/* The table at setup->table (or the one the tuner loaded already), for a metric it
 * recorded. */
static int dt_rtab__ctx_create(void **shared, const dt_runner_setup *setup, dt_err *err)
{
    *shared = NULL;
    if (!setup->table) return dt_errf(err, "runner table: the setup names no table file");
    if (setup->metric != DT_METRIC_TOP1 && setup->metric != DT_METRIC_LOSS)
        return dt_errf(err, "runner table replays top-1 and loss only, not %s", dt_metric_name(setup->metric));
    dt_rtab__shared *sh = dt_xcalloc(1, sizeof *sh);
    sh->table = (dt_table *)setup->loaded;
    if (!sh->table) {
        if (dt_table_load(&sh->table, setup->table, err) != 0) {
            free(sh);
            return -1;
        }
        sh->owned = 1;
    }
    *shared = sh;
    return 0;
}

const dt_table *dt_runner_table_shared(const void *shared)
{
    return shared ? ((const dt_rtab__shared *)shared)->table : NULL;
}

/* Frees the table, once its runs are gone, when the context loaded it. */
static void dt_rtab__ctx_free(void *shared)
{
    dt_rtab__shared *sh = shared;
    if (!sh) return;
    if (sh->owned) dt_table_free(sh->table);
    free(sh);
}

/* The trial's value of each table parameter, from its cfg or Darknet's defaults,
 * into vals (texts valid while cfg lives). */
static int dt_rtab__values(const dt_table *t, const dt_cfg *cfg, const char *cfg_path, const char **vals,
                           dt_err *err)
{
    for (int j = 0; j < dt_table_nparams(t); j++) {
        const char *name = dt_table_param(t, j, NULL);
        vals[j] = dt_cfg_get(cfg, "net", name, NULL);
        if (!vals[j]) vals[j] = dt_cfg_net_default(name);
        if (!vals[j])
            return dt_errf(err, "%s: [net] has no '%s', which the table records and Darknet has no default for",
                           cfg_path, name);
    }
    return 0;
}

/* Notes the replayed row in the trial's log (best effort: the log is for people). */
static void dt_rtab__note(const dt_run_spec *spec, const dt_table *t, int row, double dist)
{
    FILE *f = fopen(spec->log, "w");
    if (!f) return;
    const dt_table_row *r = dt_table_row_at(t, row);
    fprintf(f, "darktune: runner table: replaying %s:%d (row %d, distance %.4g):",
            dt_runner_ctx_setup(spec->ctx)->table, r->line, row, dist);
    for (int j = 0; j < dt_table_nparams(t); j++) fprintf(f, " %s=%s", dt_table_param(t, j, NULL), r->text[j]);
    fprintf(f, "\n");
    fclose(f);
}

/* dt_run_start for runner = table. */
static int dt_rtab__start(void **out, void *shared, const dt_run_spec *spec, dt_err *err)
{
    *out = NULL;
    /* A recorded table holds learning curves, not networks: no weights to time, and a
     * made-up ms would steer a study on a number no machine measured. */
    if (spec->time_reps > 0)
        return dt_errf(err, "runner 'table' cannot measure ms: a recorded table has no weights to time "
                            "(time_reps = %d)", spec->time_reps);
    const dt_table *t = ((const dt_rtab__shared *)shared)->table;
    dt_cfg *cfg;
    if (dt_cfg_read(&cfg, spec->cfg, err) != 0) return -1;
    const char **vals = dt_xcalloc((size_t)dt_table_nparams(t) + 1, sizeof *vals);
    int row = -1;
    double dist = NAN;
    dt_err e;
    int rc = dt_rtab__values(t, cfg, spec->cfg, vals, err);
    if (rc == 0 && dt_table_nearest(t, vals, &row, &dist, &e) != 0) rc = dt_errf(err, "%s: %s", spec->cfg, e.msg);
    free(vals);
    dt_cfg_free(cfg);
    if (rc != 0) return -1;
    dt_rtab__note(spec, t, row, dist);

    dt_run_table *r = dt_xcalloc(1, sizeof *r);
    r->row = dt_table_row_at(t, row);
    r->metric = spec->metric;
    r->eval = dt_table_eval_interval(t);
    r->n = spec->max_batches < r->row->nloss ? spec->max_batches : r->row->nloss;
    for (int i = 0; i < r->row->nmetric && r->eval * (i + 1) <= r->n; i++) r->nmet = i + 1;
    r->res.metric = r->res.final_loss = r->res.ms = NAN;
    *out = r;
    return 0;
}

/* Nothing to wait on: every event is ready at once. */
static int dt_rtab__fd(const void *state)
{
    return -1;
}

/* The verdict once the replay is through: the final top-1 of a whole row, the last
 * replayed one of a row cut short by max_batches, a failure for a row that
 * diverged (the pruner normally stops it on its nan first). */
static void dt_rtab__finish(dt_run_table *r)
{
    const dt_table_row *row = r->row;
    r->over = 1;
    r->res.final_loss = r->n > 0 ? row->loss[r->n - 1] : NAN;
    if (r->n == row->nloss && !isfinite(row->loss[r->n - 1])) {
        r->res.ok = 0;
        r->res.diverged = 1;
        snprintf(r->res.reason, sizeof r->res.reason, "diverged: loss %g at iteration %ld (as recorded)",
                 row->loss[r->n - 1], r->n);
        return;
    }
    if (r->metric == DT_METRIC_LOSS) {
        r->res.ok = 1;
        r->res.metric = r->res.final_loss;
        return;
    }
    if (r->n == row->nloss) {
        r->res.ok = 1;
        r->res.metric = row->final;
        return;
    }
    if (r->nmet == 0) {
        r->res.ok = 0;
        snprintf(r->res.reason, sizeof r->res.reason,
                 "no top-1 recorded by iteration %ld (the table validates every %ld)", r->n, r->eval);
        return;
    }
    r->res.ok = 1;
    r->res.metric = row->metric[r->nmet - 1];
}

/* The next event of the replay: an iteration's loss, then the top-1 recorded at
 * that iteration when there is one. */
static int dt_rtab__next(void *state, dt_event *ev)
{
    dt_run_table *r = state;
    if (r->over) return -1;
    memset(ev, 0, sizeof *ev);
    /* The top-1 is due right after its iteration (k < nmet and it = eval * (k + 1)). */
    if (r->metric != DT_METRIC_LOSS && r->k < r->nmet && r->it == r->eval * (r->k + 1)) {
        ev->kind = DT_EV_METRIC;
        ev->iteration = r->it;
        ev->loss = ev->avg_loss = ev->rate = ev->seconds = NAN;
        ev->metric = r->row->metric[r->k++];
        return 1;
    }
    if (r->it < r->n) {
        double loss = r->row->loss[r->it++];
        ev->kind = DT_EV_ITER;
        ev->iteration = r->it;
        ev->loss = ev->avg_loss = loss;
        ev->rate = NAN;      /* not recorded */
        ev->seconds = 0;
        ev->metric = NAN;
        return 1;
    }
    dt_rtab__finish(r);
    return -1;
}

/* The next call returns -1, the run a failure "stopped". */
static void dt_rtab__stop(void *state)
{
    dt_run_table *r = state;
    if (r->over) return;
    r->over = 1;
    r->res.ok = 0;
    r->res.metric = NAN;
    r->res.final_loss = r->it > 0 ? r->row->loss[r->it - 1] : NAN;
    snprintf(r->res.reason, sizeof r->res.reason, "stopped");
}

/* Copies the result, with the iterations replayed. */
static void dt_rtab__outcome(const void *state, dt_run_result *res)
{
    const dt_run_table *r = state;
    *res = r->res;
    res->iterations = r->it;
}

/* The table stays with the context; only the run goes. */
static void dt_rtab__free(void *state)
{
    free(state);
}

const dt_runner_ops dt_runner_table_ops = {
    "table", dt_rtab__ctx_create, dt_rtab__ctx_free,
    dt_rtab__start, dt_rtab__fd, dt_rtab__next, dt_rtab__stop, dt_rtab__outcome, dt_rtab__free,
    NULL, NULL,   /* no process */
    NULL,         /* nothing runs between two reads: not reading is the pause */
};
