/* dt_out: the files a study leaves for its user, and the cfgs its trials train.
 *
 * - the trial's cfg: the base cfg with the trial's [net] values rewritten in place,
 *   max_batches set to the sweep's, step fractions turned into iterations, the base
 *   cfg's schedule shrunk with a trial shorter than it (schedule = scaled), and the
 *   keys the chosen policy does not read removed;
 * - the trial's .data: the base .data with every path made absolute and `backup`
 *   pointing into the trial's folder, so parallel trials never share weights files;
 * - trials.csv, best.cfg (deployable: the base cfg's own max_batches, the best
 *   trial's values, a heading comment naming study, trial and value) and report.txt;
 * - the runner's setup: what the .data tells the in-process runner (lists, classes, top).
 * The base cfg and .data are read once per study (dt_out_base); every cfg and .data
 * written is a copy of them, changed. Nothing here runs anything or decides anything
 * about the study. */
#ifndef DT_OUT_H
#define DT_OUT_H

#include "dt_cfg.h"
#include "dt_runner.h"
#include "dt_sweep.h"
#include "dt_trial.h"

/* The base files of a study, read once: the base cfg as it is, and the base .data
 * with every path in it (train, valid, labels, names, map, eval) made absolute
 * (dt_sweep_data_path; a file that is nowhere yet, beside the .data). A struct on the
 * caller's stack: dt_out_base_read fills it (zeroed again on failure), dt_out_base_free
 * empties it. */
typedef struct dt_out_base {
    dt_cfg *cfg;   /* the base cfg */
    dt_cfg *data;  /* the base .data, its paths absolute: each trial's .data but for backup and top */
} dt_out_base;
int dt_out_base_read(dt_out_base *b, const dt_sweep *sw, dt_err *err);
void dt_out_base_free(dt_out_base *b);

/* What the study's runners share (dt_runner_ctx_create), as the trial's .data says it:
 * the runner, task, metric and table of the sweep; for runner libdarknet, the lists
 * and labels (absolute), classes (0 when absent) and top (1 when absent, 5 for metric
 * top5). Its strings point into b and sw. Fails on a classes or top that is not a
 * whole number, naming the .data. */
int dt_out_runner_setup(const dt_sweep *sw, const dt_out_base *b, dt_runner_setup *setup, dt_err *err);

/* The baseline's values: the base cfg's own [net] values for every parameter of the
 * space (Darknet's default where the cfg has none), fixed parameters as fixed, its
 * schedule (burn_in, steps, ...) scaled to the trial's length (dt_sweep_schedule_scale). */
int dt_out_baseline_values(const dt_sweep *sw, const dt_cfg *base, dt_value *vals, dt_err *err);

/* The cfg that a trial with these values trains, for sw->max_batches iterations: a
 * copy of base (the parsed base cfg, left as it is) with the sweep's values as they
 * are, the base cfg's schedule keys the sweep leaves alone scaled to the trial, a
 * detector's [yolo] anchors scaled with a changed width or height (dt_cfg_scale_anchors;
 * each change said in a comment at the top), lines ending in "\n" (a base cfg saved on
 * Windows is one Darknet reads, dt_cfg_unix_eol). notes (may be NULL) gets a line
 * about the anchors when they were scaled, for the trial's log. Caller frees *out. */
int dt_out_trial_cfg(const dt_sweep *sw, const dt_cfg *base, const dt_value *vals, dt_cfg **out, dt_buf *notes,
                     dt_err *err);

/* The deployable cfg of trial t (best.cfg): the base cfg's own max_batches, the trial's
 * schedule values scaled back to it (the baseline's: the base cfg's own), its anchors
 * as it trained them. */
int dt_out_deploy_cfg(const dt_sweep *sw, const dt_cfg *base, const dt_trial *t, dt_cfg **out, dt_err *err);

/* What schedule = scaled does to the base cfg's own schedule keys (those the space
 * leaves alone) in a trial, as "burn_in 1000 -> 33, steps 4800,5400 -> 160,180";
 * nothing when it changes nothing. For the run's header. */
void dt_out_schedule_note(const dt_sweep *sw, const dt_cfg *base, dt_buf *note);

/* The burn_in a trial with these values trains (its own, or the base cfg's scaled
 * as in its cfg): iterations whose rate is still ramping up, which pruners spare.
 * lag (may be NULL): how many iterations at full rate that ramp forgoes, with the
 * trial's power (its own or the base cfg's), dt_burn_in_lag: pruners compare the
 * trial with the others as that many iterations younger. */
long dt_out_burn_in(const dt_sweep *sw, const dt_value *vals, long *lag);

/* Writes the trial's .data at path: a copy of data (dt_out_base's, paths absolute)
 * with backup = backup_dir, and top = 5 when the metric is top5; lines end in "\n"
 * whatever the .data's did (as the trial's cfg, dt_out_trial_cfg). */
int dt_out_trial_data(const dt_sweep *sw, const dt_cfg *data, const char *backup_dir, const char *path,
                      dt_err *err);

/* The index of the best COMPLETE search trial (ties: the lower number; finalists' runs
 * are not search trials), -1 when none. */
int dt_out_best(const dt_sweep *sw, const dt_trial *trials, int n);

/* The first trial number the TPE's model proposes: the baseline and the random start
 * (startup_trials) come before it. */
int dt_out_tpe_start(const dt_sweep *sw);

/* For a TPE study of one objective whose model has proposed a trial that counts: two
 * lines, the random start's trials and the model's, each with how many completed or were
 * pruned and the best and median of the complete ones. A single best can be luck; the
 * medians show whether the model's proposals beat chance. Returns 1 when written, else 0. */
int dt_out_phases(const dt_sweep *sw, const dt_trial *trials, int n, dt_buf *b);

/* One finalist ([final]): a configuration of the search trained again with new seeds. */
typedef struct dt_finalist {
    int trial;            /* index into trials of the search trial whose configuration it is */
    int runs;             /* its finalist runs that count or still run */
    int done;             /* those of them COMPLETE, with a value */
    double mean, std;     /* of those values (NAN when none; std NAN below two) */
} dt_finalist;

/* The finalists, best first: the sw->final_top best COMPLETE search trials (ties: the
 * lower number), with their runs, into f (sw->final_top entries); returns how many. */
int dt_out_finalists(const dt_sweep *sw, const dt_trial *trials, int n, dt_finalist *f);

/* Which finalist best.cfg deploys: the best mean among those whose runs have all
 * finished, every one of the [final] seeds COMPLETE; -1 while none has. */
int dt_out_final_choice(const dt_sweep *sw, const dt_finalist *f, int m);

/* The finalists' noise floor: the pooled std of one configuration over seeds (from
 * those with two runs or more) and the spread (std) of the finalists' means; 0 when
 * fewer than two finalists have two runs. */
int dt_out_noise(const dt_finalist *f, int m, double *pooled, double *spread);

/* trials.csv, best.cfg (from base, the parsed base cfg) and report.txt in sw->output,
 * all rewritten whole; report.txt ends with the red flags (dt_flags), best_curve being
 * the best trial's values (NULL: the flags that need them are left out). */
int dt_out_write_all(const dt_sweep *sw, const dt_cfg *base, const dt_trial *trials, int n, const dt_curve *best_curve,
                     dt_err *err);

/* The value of [net] field name that trial t trains: the space's (NAN while the
 * parameter is inactive), else the base cfg's, else Darknet's default; NAN when that is
 * no number. *varies (NULL: not wanted) gets 1 when the space samples the field. */
double dt_out_net_value(const dt_sweep *sw, const dt_trial *t, const char *name, int *varies);

/* Formats an objective value for people: "0.8123", "" for NAN. */
void dt_out_value(double v, char *buf, size_t n);

#endif
