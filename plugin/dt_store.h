/* dt_store: every study, trial, parameter, intermediate value and state, kept in a
 * SQLite file or in PostgreSQL (storage = postgresql://user@host:port/db).
 *
 * Each call that changes something is one transaction: it commits whole or changes
 * nothing, so a darktune killed at any moment leaves a store that resumes cleanly.
 * Several workers share one study: on one machine through one SQLite file (WAL, busy
 * timeouts), on many through PostgreSQL. Writers take the store's write lock, so that
 * numbering a trial, checking the budget and claiming a configuration to run again
 * are one atomic step (dt_store_claim).
 * The store knows the search space only to align stored parameters with it by name;
 * it knows nothing of Darknet. */
#ifndef DT_STORE_H
#define DT_STORE_H

#include "dt_trial.h"

typedef struct dt_store dt_store;

/* dt_store_claim's answers besides 0 (claimed) and -1 (an error). */
#define DT_STORE_SPENT 1   /* the budget is spent: trials that count (running ones too) reach it */
#define DT_STORE_TAKEN 2   /* another worker runs this configuration again, or the baseline, already */

/* An intermediate value of some trial, as another worker wrote it. */
typedef struct dt_trial_point {
    int number;
    dt_point pt;
} dt_trial_point;

/* Opens target: a PostgreSQL URI, or a SQLite file (created when absent, with its
 * folder). A store of an
 * older schema version is migrated to the current one (in one transaction; if it fails,
 * the file is unchanged); one of a newer version is refused. */
int dt_store_open(dt_store **out, const char *path, dt_err *err);
void dt_store_close(dt_store *st);   /* NULL is fine */
/* For reading (status, best): as dt_store_open, except that a SQLite file this process
 * cannot write (a read-only copy of a study) is read as it stands, writing nothing. */
int dt_store_open_read(dt_store **out, const char *target, dt_err *err);

/* Finds the study called name or creates it. A study of that name with another
 * direction ("maximize"/"minimize") or metric is refused: its values would mean
 * something else. *id identifies it in the calls below. */
int dt_store_study(dt_store *st, const char *name, const char *direction, const char *metric,
                   long long *id, dt_err *err);

/* What defines the study (dt_sweep_identity: its space, sampler, pruner, seed, ...):
 * recorded the first time; then a sweep that differs is refused with the first
 * difference named ("[space] learning_rate was log(1e-4, 0.1), is now ..."), unless
 * force, which records the new one. Trials of another sweep would mix silently. */
int dt_store_study_sweep(dt_store *st, long long id, const char *sweep, int force, dt_err *err);

/* The study called name, without creating it: 0 with *id, 1 when the store has none. */
int dt_store_find_study(dt_store *st, const char *name, long long *id, dt_err *err);

/* Every trial of the study (not the imported ones) in number order, parameters aligned with space by name
 * (a stored parameter not in the space is ignored; a space parameter not stored is
 * inactive). last_value/last_step hold the last intermediate value of kind
 * (dt_point_kind: the series the pruner compares). */
int dt_store_load(dt_store *st, long long study, const dt_space *space, int kind, dt_trial **out, int *n,
                  dt_err *err);

/* Trials run elsewhere that the study's sampler learns from (an Optuna journal's:
 * dt_optuna_read), marked as such: numbered below 0 (the first of ts lowest), fate
 * DT_FATE_IMPORTED, worker = source (the journal). Their state (COMPLETE, PRUNED),
 * value, last_value/last_step (the last intermediate value, in the study's direction),
 * iterations, seconds, reason and parameters are kept. Whatever source imported before
 * is replaced, in the same transaction; other sources' trials stay. dt_store_load
 * never returns them: they are not the study's trials and count for nothing. */
int dt_store_import(dt_store *st, long long study, const dt_space *space, const char *source, const dt_trial *ts,
                    int n, dt_err *err);
/* Every imported trial of the study, in number order (the oldest import's last), with
 * last_kind DT_POINT_METRIC and parameters aligned with space by name. */
int dt_store_imported(dt_store *st, long long study, const dt_space *space, dt_trial **out, int *n, dt_err *err);

/* Adds a RUNNING trial with its parameters, t->baseline, t->seed_trial and t->rerun_of
 * (-1: none). The store picks t->number (one more than the highest so far, so that
 * several workers never collide), sets t->started, t->fate (counts) and, when it is -1,
 * t->seed_trial to the number. */
int dt_store_create_trial(dt_store *st, long long study, const dt_space *space, dt_trial *t,
                          dt_err *err);

/* Appends intermediate values of a trial, all in one transaction. */
int dt_store_add_points(dt_store *st, long long study, int number, const dt_point *pts, int n,
                        dt_err *err);

/* Records a trial's end: state, fate, value, iterations, seconds, reason, finished time. */
int dt_store_finish_trial(dt_store *st, long long study, const dt_trial *t, dt_err *err);

/* Marks every RUNNING trial of the study FAIL, fate DT_FATE_INTERRUPTED, with the given
 * reason (a darktune that was killed left them); returns how many in *n. */
int dt_store_fail_running(dt_store *st, long long study, const char *reason, int *n, dt_err *err);

/* The intermediate values of one trial, in step order; caller frees *out. */
int dt_store_points(dt_store *st, long long study, int number, dt_point **out, int *n, dt_err *err);

/* The path or URI (without a password) the store was opened with, for messages. */
const char *dt_store_name(const dt_store *st);

/* Adds a RUNNING trial for worker (a name, NULL for none) unless the budget is spent:
 * in one transaction, search trials whose fate counts (running ones included) are
 * compared with budget, a configuration to run again (t->rerun_of) or the baseline
 * (t->baseline) is checked not to be run by another worker already, then the trial is
 * numbered and written with its parameters and a first heartbeat. A finalist's run
 * (t->final, the configuration of trial t->rerun_of with a new seed) has a budget of
 * its own: it is DT_STORE_TAKEN once that configuration has `budget` finalist runs
 * that count (running ones included). Returns 0 (t numbered, as
 * dt_store_create_trial), DT_STORE_SPENT, DT_STORE_TAKEN, or -1. */
int dt_store_claim(dt_store *st, long long study, const dt_space *space, dt_trial *t, int budget,
                   const char *worker, dt_err *err);
/* The parameters of trial t (claimed with none: its values come from its number),
 * in one transaction. */
int dt_store_set_params(dt_store *st, long long study, const dt_space *space, const dt_trial *t, dt_err *err);
/* Where trial number's program runs: "pgid:start" (dt_process_start), then ":CGROUP"
 * (the folder of its cgroup) when it has one, so that a darktune finding it left by a
 * dead one on this host ends it. */
int dt_store_set_process(dt_store *st, long long study, int number, const char *process, dt_err *err);
/* worker is alive: every RUNNING trial of it gets the store's time as its heartbeat. */
int dt_store_heartbeat(dt_store *st, long long study, const char *worker, dt_err *err);
/* Marks RUNNING trials of worker (a process known to be gone; NULL: trials of a store
 * from before workers, which name none) FAIL, interrupted, with reason, as
 * dt_store_fail_running does. *n gets how many. */
int dt_store_fail_worker(dt_store *st, long long study, const char *worker, const char *reason, int *n,
                         dt_err *err);
/* Trials whose worker stopped beating for grace seconds (or that never beat: a store
 * from before workers) become FAIL, fate lost (their configuration runs again), or
 * fate counts once that configuration was lost `retries` times already. */
int dt_store_fail_silent(dt_store *st, long long study, double grace, int retries, const char *reason, int *n,
                         dt_err *err);
/* The intermediate values written after point id `after` (0: all), in the order they
 * were written, with their trials' numbers; *last gets the newest id (unchanged when
 * there is none). Caller frees *out. */
int dt_store_points_since(dt_store *st, long long study, long long after, dt_trial_point **out, int *n,
                          long long *last, dt_err *err);

#endif
