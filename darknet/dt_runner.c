/* dt_runner: the dispatch in front of the runners (see dt_runner.h): dt_run_start
 * picks exec, libdarknet or table by spec->runner; every other call goes to the
 * runner that started the run. The runners themselves are dt_runner_exec.c,
 * dt_runner_lib.c and dt_runner_table.c, behind the table of dt_runner_impl.h.
 * The context is here too: the setup copied, and the runner's share of it. */
#include "dt_runner.h"

#include <stdlib.h>

#include "dt_runner_impl.h"
#include "dt_darknet.h"

struct dt_run {
    const dt_runner_ops *ops;
    void *state;  /* the runner's own */
};

struct dt_runner_ctx {
    const dt_runner_ops *ops;
    dt_runner_setup setup;  /* its strings owned here */
    void *shared;           /* the runner's share (decoded images, the table), NULL when none */
};

/* The runner kind's operations, NULL for an unknown kind. */
static const dt_runner_ops *dt_runner__ops(int runner)
{
    if (runner == DT_RUNNER_EXEC) return &dt_runner_exec_ops;
    if (runner == DT_RUNNER_LIBDARKNET) return &dt_runner_lib_ops;
    if (runner == DT_RUNNER_TABLE) return &dt_runner_table_ops;
    return NULL;
}

/* A task's word for messages. */
static const char *dt_runner__task(int task)
{
    return task == DT_TASK_CLASSIFIER || task == DT_TASK_DETECTOR ? dt_task_names[task] : "?";
}

/* Copies the setup, then lets the runner make its share from that copy. */
int dt_runner_ctx_create(dt_runner_ctx **out, const dt_runner_setup *setup, dt_err *err)
{
    *out = NULL;
    const dt_runner_ops *ops = dt_runner__ops(setup->runner);
    if (!ops) return dt_errf(err, "unknown runner %d", setup->runner);
    dt_runner_ctx *ctx = dt_xcalloc(1, sizeof *ctx);
    ctx->ops = ops;
    ctx->setup = *setup;
    ctx->setup.data = dt_xstrdup(setup->data);
    ctx->setup.workdir = dt_xstrdup(setup->workdir);
    ctx->setup.train = dt_xstrdup(setup->train);
    ctx->setup.valid = dt_xstrdup(setup->valid);
    ctx->setup.labels = dt_xstrdup(setup->labels);
    ctx->setup.table = dt_xstrdup(setup->table);
    if (ops->ctx_create && ops->ctx_create(&ctx->shared, &ctx->setup, err) != 0) {
        dt_runner_ctx_free(ctx);
        return -1;
    }
    *out = ctx;
    return 0;
}

/* The runner's share, then the copied strings (NULL is fine). */
void dt_runner_ctx_free(dt_runner_ctx *ctx)
{
    if (!ctx) return;
    if (ctx->shared && ctx->ops->ctx_free) ctx->ops->ctx_free(ctx->shared);
    char *strs[] = {(char *)ctx->setup.data, (char *)ctx->setup.workdir, (char *)ctx->setup.train,
                    (char *)ctx->setup.valid, (char *)ctx->setup.labels, (char *)ctx->setup.table};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) free(strs[i]);
    free(ctx);
}

const dt_runner_setup *dt_runner_ctx_setup(const dt_runner_ctx *ctx)
{
    return &ctx->setup;
}

/* The table runner's share is the table itself. */
const dt_table *dt_runner_ctx_table(const dt_runner_ctx *ctx)
{
    return dt_runner_table_shared(ctx->ops == &dt_runner_table_ops ? ctx->shared : NULL);
}

/* Starts the run with the runner spec->runner names, on its context's share. */
int dt_run_start(dt_run **out, const dt_run_spec *spec, dt_err *err)
{
    *out = NULL;
    const dt_runner_ops *ops = dt_runner__ops(spec->runner);
    if (!ops) return dt_errf(err, "unknown runner %d", spec->runner);
    const dt_runner_ctx *ctx = spec->ctx;
    if (!ctx && ops->ctx_create)
        return dt_errf(err, "runner %s needs the study's context (dt_runner_ctx_create)", ops->name);
    if (ctx && (ctx->ops != ops || ctx->setup.task != spec->task || ctx->setup.metric != spec->metric))
        return dt_errf(err, "the run (runner %s, %s, %s) differs from its context (runner %s, %s, %s)", ops->name,
                       dt_runner__task(spec->task), dt_metric_name(spec->metric), ctx->ops->name,
                       dt_runner__task(ctx->setup.task), dt_metric_name(ctx->setup.metric));
    void *state = NULL;
    if (ops->start(&state, ctx ? ctx->shared : NULL, spec, err) != 0) return -1;
    dt_run *r = dt_xcalloc(1, sizeof *r);
    r->ops = ops;
    r->state = state;
    *out = r;
    return 0;
}

long dt_run_group(const dt_run *r)
{
    return r->ops->group ? r->ops->group(r->state) : 0;
}

const char *dt_run_cgroup(const dt_run *r)
{
    return r->ops->cgroup ? r->ops->cgroup(r->state) : NULL;
}

/* Forwards to the run's runner. */
int dt_run_fd(const dt_run *r)
{
    return r->ops->fd(r->state);
}

/* Forwards to the run's runner. */
int dt_run_next(dt_run *r, dt_event *ev)
{
    return r->ops->next(r->state, ev);
}

/* Forwards to the run's runner. */
/* Forwards to the run's runner, which may have nothing to pause. */
void dt_run_pause(dt_run *r, int paused)
{
    if (r->ops->pause) r->ops->pause(r->state, paused);
}

void dt_run_stop(dt_run *r)
{
    r->ops->stop(r->state);
}

/* Forwards to the run's runner. */
void dt_run_outcome(const dt_run *r, dt_run_result *res)
{
    r->ops->outcome(r->state, res);
}

/* Frees the runner's state, then the run (NULL is fine). */
void dt_run_free(dt_run *r)
{
    if (!r) return;
    r->ops->free(r->state);
    free(r);
}
