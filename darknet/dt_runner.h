/* dt_runner: one trial's training run, whichever way Darknet is driven.
 *
 * start -> (poll fd, next event)* -> result. Events are what the pruner needs: every
 * iteration's loss and every periodic metric. The runner decides nothing: the
 * scheduler (the parent) reads events, asks the pruner, and calls dt_run_stop.
 * Three runners sit behind these calls (dt_runner.c dispatches on spec->runner):
 * `exec` (dt_runner_exec.c: an external darknet program under a pty, its console
 * parsed; then eval_command for the final metric), `libdarknet`
 * (dt_runner_lib.c: a forked child trains with libdarknet on images the parent
 * decoded once; classifiers, on the CPU) and `table` (dt_runner_table.c: replays
 * the nearest run of a recorded table, dt_table.h, at once and in-process). */
#ifndef DT_RUNNER_H
#define DT_RUNNER_H

#include "dt_util.h"

typedef struct dt_run_spec {
    int runner;                /* dt_runner_kind */
    int task;                  /* dt_task */
    int metric;                /* dt_metric */
    const char *workdir;       /* absolute: commands run here (the sweep file's folder) */
    const char *trial_dir;     /* absolute: trials/<n>, exists */
    const char *cfg;           /* absolute: the trial's cfg, written */
    const char *data;          /* absolute: the trial's .data, written, backup inside trial_dir */
    const char *backup;        /* absolute: the trial's backup folder, exists */
    const char *weights;       /* starting weights or NULL */
    const char *log;           /* absolute: the trial's log.txt */
    int gpu;                   /* -1: CPU */
    const char *command;       /* exec: training command template */
    const char *eval_command;  /* exec: evaluation command template or NULL */
    long max_batches;
    double hang_s;             /* no output for this long: the trial hung */
    double timeout_s;          /* 0: none */
    /* libdarknet: the trial's randomness is seeded from (seed, trial); the train,
     * valid and labels lists, classes and top are read from `data`. */
    unsigned long long seed;   /* the study seed */
    int trial;                 /* the trial number its seed derives from (its own, or the
                                * first trial of a configuration that runs again) */
    long eval_interval;        /* validate every N iterations (0: only at the end) */
    long eval_images;          /* those on N images spread over the valid list (0: all); the final one on all */
    /* table: the recorded table to replay (absolute), NULL for the other runners. */
    const char *table;
} dt_run_spec;

typedef enum dt_event_kind { DT_EV_ITER = 1, DT_EV_METRIC = 2 } dt_event_kind;

typedef struct dt_event {
    dt_event_kind kind;
    long iteration;
    double loss;      /* ITER: raw loss of the iteration */
    double avg_loss;  /* ITER: Darknet's running average (NAN when not printed) */
    double rate;      /* ITER: learning rate */
    double seconds;   /* ITER: seconds of this iteration */
    double metric;    /* METRIC: the objective's metric as a fraction (top1/top5/map50) */
} dt_event;

typedef struct dt_run_result {
    int ok;                  /* 1: training reached its end and the metric was read */
    double metric;           /* the final metric (NAN when none) */
    double final_loss;       /* the last average loss (NAN when none) */
    long iterations;         /* iterations seen */
    char reason[256];        /* when !ok: what went wrong ("crashed: killed by signal 11", "hung: ...") */
    int oom;                 /* when !ok: the GPU ran out of memory (reason starts "out of GPU memory") */
    char final_weights[4096];/* the weights file the run left, "" when none */
} dt_run_result;

typedef struct dt_run dt_run;

int dt_run_start(dt_run **out, const dt_run_spec *spec, dt_err *err);
/* Descriptor to poll for readiness, -1 when the runner has nothing to wait on. */
int dt_run_fd(const dt_run *r);
/* Next event: 1 filled, 0 none now (poll again; also checks hang and timeout),
 * -1 the run is over (then call dt_run_outcome). */
int dt_run_next(dt_run *r, dt_event *ev);
/* Stops the run now (prune, timeout, interrupt); dt_run_next then returns -1. */
void dt_run_stop(dt_run *r);
/* The outcome, once dt_run_next has returned -1. */
void dt_run_outcome(const dt_run *r, dt_run_result *res);
void dt_run_free(dt_run *r);

#endif
