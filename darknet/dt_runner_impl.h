/* dt_runner_impl: what each runner implements, for dt_runner.c's dispatch only.
 *
 * A runner is a table of the dt_run_* operations over its own state; dt_runner.c
 * picks the table by spec->runner and forwards every call. The contracts are those
 * of dt_runner.h. What a runner's runs share over a study (its share of the
 * dt_runner_ctx) is made and freed by its ctx_create and ctx_free, and handed to
 * each start. Nothing but the runners and the dispatch includes this header. */
#ifndef DT_RUNNER_IMPL_H
#define DT_RUNNER_IMPL_H

#include "dt_runner.h"

typedef struct dt_runner_ops {
    const char *name;                                               /* as in sweep files */
    /* *shared gets what the runs borrow, made from setup (the context's own copy,
     * valid as long as *shared). NULL hooks: the runner shares nothing. */
    int (*ctx_create)(void **shared, const dt_runner_setup *setup, dt_err *err);  /* *shared NULL on failure */
    void (*ctx_free)(void *shared);
    /* shared: the context's share, NULL when the run has no context. */
    int (*start)(void **state, void *shared, const dt_run_spec *spec, dt_err *err);  /* *state NULL on failure */
    int (*fd)(const void *state);
    int (*next)(void *state, dt_event *ev);
    void (*stop)(void *state);
    void (*outcome)(const void *state, dt_run_result *res);
    void (*free)(void *state);                                      /* NULL is fine */
    /* The process group of the run's program (its own session), 0 when none: what a
     * later darktune ends when this one died without ending it. NULL: 0. */
    long (*group)(const void *state);
    /* The folder of that program's cgroup, NULL when none (see dt_exec.h). NULL: none. */
    const char *(*cgroup)(const void *state);
    /* Pauses (1) or resumes (0) the run's program; its time limits do not count the
     * pause. NULL: nothing runs between two reads (the table runner). */
    void (*pause)(void *state, int paused);
} dt_runner_ops;

extern const dt_runner_ops dt_runner_exec_ops;  /* dt_runner_exec.c: an external darknet program */
extern const dt_runner_ops dt_runner_lib_ops;   /* dt_runner_lib.c: libdarknet in a forked child */
extern const dt_runner_ops dt_runner_table_ops; /* dt_runner_table.c: a recorded run replayed; its
                                                 * share holds the dt_table */
/* The table in the table runner's share of a context (NULL for NULL). */
const dt_table *dt_runner_table_shared(const void *shared);

/* dt_runner_lib.c: the inference time of trained weights, measured in a forked child
 * with libdarknet (dt_train_time), for a runner whose training ran elsewhere (exec).
 * The child prints to log (appended) and dies with this process; hang_s > 0 kills a
 * child silent for that long. */
typedef struct dt_lib_timer dt_lib_timer;
int dt_lib_timer_start(dt_lib_timer **out, const char *cfg, const char *weights, int gpu, int reps, const char *log,
                       double hang_s, dt_err *err);
/* The descriptor to poll, -1 once it is over. */
int dt_lib_timer_fd(const dt_lib_timer *t);
/* 0: still timing; 1: done, *ms set (median milliseconds per image); -1: failed, why
 * says how (the child's end and its last line, such as the weights' size check). */
int dt_lib_timer_poll(dt_lib_timer *t, double *ms, char *why, size_t n);
/* Kills a child that still runs (NULL is fine). */
void dt_lib_timer_free(dt_lib_timer *t);

#endif
