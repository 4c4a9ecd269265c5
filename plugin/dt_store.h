/* dt_store: every study, trial, parameter, intermediate value and state, kept in SQLite.
 *
 * Each call that changes something is one transaction: it commits whole or changes
 * nothing, so a darktune killed at any moment leaves a store that resumes cleanly.
 * WAL mode and a busy timeout let `darktune status` read while a study runs.
 * The store knows the search space only to align stored parameters with it by name;
 * it knows nothing of Darknet. */
#ifndef DT_STORE_H
#define DT_STORE_H

#include "dt_trial.h"

typedef struct dt_store dt_store;

/* Opens (creating when absent, with its folder) the SQLite file at path. A store of an
 * older schema version is migrated to the current one (in one transaction; if it fails,
 * the file is unchanged); one of a newer version is refused. */
int dt_store_open(dt_store **out, const char *path, dt_err *err);
void dt_store_close(dt_store *st);   /* NULL is fine */

/* Finds the study called name or creates it. A study of that name with another
 * direction ("maximize"/"minimize") or metric is refused: its values would mean
 * something else. *id identifies it in the calls below. */
int dt_store_study(dt_store *st, const char *name, const char *direction, const char *metric,
                   long long *id, dt_err *err);

/* Every trial of the study in number order, parameters aligned with space by name
 * (a stored parameter not in the space is ignored; a space parameter not stored is
 * inactive). last_value/last_step hold the last intermediate value of kind
 * (dt_point_kind: the series the pruner compares). */
int dt_store_load(dt_store *st, long long study, const dt_space *space, int kind, dt_trial **out, int *n,
                  dt_err *err);

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

#endif
