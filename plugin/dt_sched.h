/* dt_sched: runs a study to its budget: slots, trials, reports, pruning, storage.
 *
 * The scheduler is the parent of every trial. It opens the store, resumes what a
 * previous darktune left (RUNNING trials become FAIL "interrupted" and their
 * configurations run again), runs the baseline first, asks the sampler for the
 * rest, starts one runner per free slot, passes every report to the pruner, stops
 * the trials it prunes, and records every state change in the store before
 * rewriting the outputs. It prints nothing: the command gives it hooks. */
#ifndef DT_SCHED_H
#define DT_SCHED_H

#include <signal.h>

#include "dt_sweep.h"
#include "dt_trial.h"

/* What a running trial is doing, for a live status line. */
typedef struct dt_live {
    int number;
    long iteration;
    double loss;          /* its last loss, NAN before any */
    double metric;        /* its last periodic metric, NAN before any */
} dt_live;

typedef struct dt_sched_hooks {
    void *user;
    /* A line of information ("resuming: ...", "slots: ..."). */
    void (*note)(void *user, const char *msg);
    /* A trial ended. best: the best trial so far (NULL when none); done/budget:
     * finished trials and the study's budget; elapsed and eta in seconds (eta < 0:
     * unknown). */
    void (*finished)(void *user, const dt_trial *t, const dt_trial *best, int done, int budget,
                     double elapsed, double eta);
    /* About twice a second while trials run: this worker's running trials, the best
     * trial so far (NULL when none), finished trials and the budget, elapsed and eta
     * in seconds (eta < 0: unknown). */
    void (*tick)(void *user, const dt_live *live, int nlive, const dt_trial *best, int done, int budget,
                 double elapsed, double eta);
    /* 1: a worker (darktune worker): it runs trials and writes none of the outputs
     * (trials.csv, report.txt, best.cfg), which darktune run and best write. */
    int worker;
    /* 1: run a study whose stored sweep differs from this one (--force). */
    int force;
} dt_sched_hooks;

/* Runs the study, as one of its workers: others may run it at once, on this machine
 * (one SQLite file) or on others (PostgreSQL), sharing its budget; each trial's
 * process beats a heartbeat into the store, and a worker that stops beating for the
 * sweep's grace period has its trials interrupted and run again by the others.
 * *stop becoming nonzero (a signal handler sets it) stops every running trial of this
 * worker, records them as interrupted, and returns 1. Returns 0 when the budget is
 * spent (or the sampler has nothing left) and no worker runs a trial, -2 when the
 * store cannot be opened or refuses the study (bad input: nothing ran), -1 on a
 * runtime error. */
int dt_sched_run(const dt_sweep *sw, const dt_sched_hooks *hooks, volatile sig_atomic_t *stop,
                 dt_err *err);

/* Checks the sweep against this machine before anything runs: every GPU that gpus
 * names must exist. Returns -1 with "FILE:LINE: message" otherwise. */
int dt_sched_check(const dt_sweep *sw, dt_err *err);

/* Reads the study's trials from its store without running anything (status, best).
 * Returns -1 with a message when the store or the study does not exist. */
int dt_sched_load(const dt_sweep *sw, dt_trial **trials, int *n, dt_err *err);

/* Every trial's intermediate values (dt_sched_load's trials): (*curves)[i] for
 * trials[i], both kinds, in the order they were written. Free with dt_curves_free. */
int dt_sched_curves(const dt_sweep *sw, const dt_trial *trials, int n, dt_curve **curves, dt_err *err);

/* Writes the study's outputs from its store (trials as dt_sched_load gave them):
 * trials.csv, best.cfg and report.txt with its red flags, and with html, report.html.
 * flags (NULL: not wanted) gets the red flags, a line each. */
int dt_sched_outputs(const dt_sweep *sw, const dt_trial *trials, int n, int html, dt_buf *flags, dt_err *err);

#endif
