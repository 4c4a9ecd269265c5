/* dt_runner: the dispatch in front of the runners (see dt_runner.h): dt_run_start
 * picks exec, libdarknet or table by spec->runner; every other call goes to the
 * runner that started the run. The runners themselves are dt_runner_exec.c,
 * dt_runner_lib.c and dt_runner_table.c, behind the table of dt_runner_impl.h. */
#include "dt_runner.h"

#include <stdlib.h>

#include "dt_runner_impl.h"
#include "dt_darknet.h"

struct dt_run {
    const dt_runner_ops *ops;
    void *state;  /* the runner's own */
};

/* Starts the run with the runner spec->runner names. */
int dt_run_start(dt_run **out, const dt_run_spec *spec, dt_err *err)
{
    *out = NULL;
    const dt_runner_ops *ops;
    if (spec->runner == DT_RUNNER_EXEC) ops = &dt_runner_exec_ops;
    else if (spec->runner == DT_RUNNER_LIBDARKNET) ops = &dt_runner_lib_ops;
    else if (spec->runner == DT_RUNNER_TABLE) ops = &dt_runner_table_ops;
    else return dt_errf(err, "unknown runner %d", spec->runner);
    void *state = NULL;
    if (ops->start(&state, spec, err) != 0) return -1;
    dt_run *r = dt_xcalloc(1, sizeof *r);
    r->ops = ops;
    r->state = state;
    *out = r;
    return 0;
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
