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
 * the nearest run of a recorded table, dt_table.h, at once and in-process).
 *
 * What a study's runs share lives in one runner context (dt_runner_ctx), made once
 * per study from a dt_runner_setup that the tuner fills with what it has already
 * read and checked (the .data's lists, classes and top; the table's path): the
 * loaded table, the labels, the images decoded once. Runs borrow from it; no
 * runner keeps anything in static variables. */
#ifndef DT_RUNNER_H
#define DT_RUNNER_H

#include "dt_table.h"
#include "dt_util.h"

/* What every run of a study shares, as the tuner settled it before the first trial.
 * Strings are copied by dt_runner_ctx_create; NULL where a runner does not use them. */
typedef struct dt_runner_setup {
    int runner;                /* dt_runner_kind */
    int task;                  /* dt_task */
    int metric;                /* dt_metric */
    long eval_interval;        /* > 0: periodic validations, which need the valid list even for loss */
    const char *data;          /* the study's .data file, named in messages */
    /* libdarknet: what the trial's .data says, as it writes it (absolute paths). */
    const char *workdir;       /* absolute: relative image paths in the lists are taken here */
    const char *train;         /* the train list */
    const char *valid;         /* the valid list, NULL when the .data has none */
    const char *labels;        /* classifier: the labels file, NULL when none */
    long classes;              /* the .data's classes, 0 when it has none. Classifier: the labels
                                * compared (0: all); detector: from 1 to 100000, the bound of the
                                * label files' class column */
    long top;                  /* classifier: the k of top-k, from 1 to 1000 (more than the labels: all) */
    /* table: the recorded table to replay (absolute), and the table already loaded
     * from it (borrowed: it must outlive the context), or NULL to load it here. */
    const char *table;
    const dt_table *loaded;
} dt_runner_setup;

typedef struct dt_runner_ctx dt_runner_ctx;

/* Makes the context of a study's runs and checks the setup against what its runner
 * needs: libdarknet reads the labels (a classifier's) now, and decodes each list
 * once, in the first run that needs it (in this process, before the fork, so that
 * every later trial's child shares the pixels copy-on-write); table loads the table
 * now. Returns 0, or -1 with a message in err and *out NULL. */
int dt_runner_ctx_create(dt_runner_ctx **out, const dt_runner_setup *setup, dt_err *err);
/* Frees what the context owns (NULL is fine). Every run started with it must have
 * been freed first: a table run replays a row of the context's table. A forked
 * child never frees it: it leaves with _exit, and the parent's copy is the parent's. */
void dt_runner_ctx_free(dt_runner_ctx *ctx);
/* The setup as the context keeps it (its own copies of the strings). */
const dt_runner_setup *dt_runner_ctx_setup(const dt_runner_ctx *ctx);
/* runner = table: the loaded table, NULL for the other runners. */
const dt_table *dt_runner_ctx_table(const dt_runner_ctx *ctx);

typedef struct dt_run_spec {
    dt_runner_ctx *ctx;        /* the study's context; its runner, task and metric are the run's.
                                * libdarknet and table need it; exec may do without (NULL) */
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
    /* libdarknet: the trial's randomness is seeded from (seed, trial); the lists,
     * classes and top come from the context, not from `data`. */
    unsigned long long seed;   /* the study seed */
    int trial;                 /* the trial number its seed derives from (its own, or the
                                * first trial of a configuration that runs again) */
    long eval_interval;        /* validate every N iterations (0: only at the end) */
    long eval_images;          /* those on N images spread over the valid list (0: all); the final one on all */
    int time_reps;             /* > 0: after training, the final weights predict one image this many
                                * times (after a warm-up) and the median is the run's ms.
                                * libdarknet: in the trial's child, on its device; exec: in a
                                * libdarknet child after the metric, the run failing when the
                                * weights do not fit what pjreddie's loader reads for the cfg;
                                * table: refused at start (a table has no weights) */
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
    int diverged;            /* when !ok: the loss went nan or inf (reason starts "diverged") */
    char final_weights[4096];/* the weights file the run left, "" when none */
    double ms;               /* time_reps > 0: median milliseconds per image; NAN when not measured */
} dt_run_result;

typedef struct dt_run dt_run;

/* Starts a run; spec->ctx (when given) must outlive it. Refuses a spec whose runner,
 * task or metric differ from its context's. */
int dt_run_start(dt_run **out, const dt_run_spec *spec, dt_err *err);
/* The process group of the run's program, 0 when it has none of its own (libdarknet's
 * child dies with its parent; a table run is no process): a darktune that finds the
 * run's trial left by a dead darktune ends this group. */
long dt_run_group(const dt_run *r);
/* The folder of that program's cgroup, NULL when it has none (no program, or a machine
 * where darktune makes no cgroups): what a later darktune ends when neither this one
 * nor the program's supervisor could (both killed). Valid until the run's next call. */
const char *dt_run_cgroup(const dt_run *r);
/* Descriptor to poll for readiness, -1 when the runner has nothing to wait on. */
int dt_run_fd(const dt_run *r);
/* Next event: 1 filled, 0 none now (poll again; also checks hang and timeout),
 * -1 the run is over (then call dt_run_outcome). */
int dt_run_next(dt_run *r, dt_event *ev);
/* Stops the run now (prune, timeout, interrupt); dt_run_next then returns -1. */
void dt_run_stop(dt_run *r);
/* Pauses (paused 1: its program is stopped where it is, and dt_run_next should not be
 * called) or resumes (0) the run; neither its hang watch nor its timeout counts the
 * pause. Runner exec does neither (the sweep refuses what would ask it to). */
void dt_run_pause(dt_run *r, int paused);
/* The outcome, once dt_run_next has returned -1. */
void dt_run_outcome(const dt_run *r, dt_run_result *res);
void dt_run_free(dt_run *r);

#endif
