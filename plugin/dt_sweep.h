/* dt_sweep: a sweep file (INI, parsed with inih) turned into a validated study spec.
 *
 * ../shared/SWEEPS.md is the contract. Everything is checked before anything runs:
 * unknown sections and keys (with a "did you mean" hint), bad values, impossible
 * combinations, [net] fields the Darknet in use does not read, missing files and
 * programs. Each refusal is one message "FILE:LINE: what is wrong" in err; the
 * caller prints it and exits 2. Paths in the sweep are relative to its folder and
 * are stored here absolute.
 *
 * This module reads the base cfg and the .data file only to validate the sweep
 * against them (through darknet/dt_cfg); it starts nothing and writes nothing. */
#ifndef DT_SWEEP_H
#define DT_SWEEP_H

#include "dt_darknet.h"
#include "dt_pruner.h"
#include "dt_sampler.h"
#include "dt_space.h"
#include "dt_util.h"


#define DT_MAX_GPUS 64

/* [study] choose = OBJ [where OBJ OP NUMBER [and ...]]: which trial best.cfg deploys in
 * a study of several objectives (the front's knee when the sweep has no choose). */
#define DT_CHOOSE_MAX 4
typedef enum { DT_CHOOSE_LE, DT_CHOOSE_LT, DT_CHOOSE_GE, DT_CHOOSE_GT } dt_choose_op;
typedef struct dt_choose_cond {
    int obj;               /* index into sw->obj */
    dt_choose_op op;
    double bound;
} dt_choose_cond;
typedef struct dt_choose {
    int set;               /* 0: no choose key */
    int target;            /* index into sw->obj: the objective the chosen trial is best in */
    int ncons;
    dt_choose_cond cons[DT_CHOOSE_MAX];
} dt_choose;

typedef struct dt_sweep {
    char *path;            /* the sweep file as given */
    char *dir;             /* its folder, absolute */

    /* [study] */
    char *name;
    char *output;          /* absolute */
    char *storage;         /* absolute file path, or a postgresql:// URI */
    int maximize;          /* 1: maximize, 0: minimize */
    dt_metric metric;
    int trials;            /* finished trials (complete + pruned + failed) to stop at */
    double timeout_s;      /* study wall-clock budget, 0 = none */
    unsigned long long seed;
    int baseline;          /* 1: trial 0 runs the base cfg's values */
    double heartbeat_s;    /* a worker says it is alive this often (5s) */
    double grace_s;        /* ... and is taken for lost when it has not for this long (1m) */
    int retries;           /* a lost trial's configuration runs again this many times at most (1) */
    /* What the study optimizes: obj[0..nobj), the metric among them once (nobj is 1 and
     * obj[0] the metric in maximize's direction unless `objectives` names more). */
    int nobj;
    dt_objective obj[DT_OBJ_MAX];
    char *objectives;      /* key `objectives` as written, NULL when absent */
    char *choose_text;     /* key `choose` as written, NULL when absent */
    dt_choose choose;

    /* [darknet] */
    dt_task task;
    dt_runner_kind runner;
    dt_fork fork;          /* key `fork`, default auto: detected from the program */
    char *data;            /* absolute path of the .data file */
    char *cfg;             /* absolute path of the base cfg */
    char *weights;         /* absolute, or NULL */
    long max_batches;      /* iterations of a full trial */
    long eval_interval;    /* 0 = no periodic validation */
    long eval_images;      /* periodic validations on N images spread over the valid list (500); 0 = all */
    int schedule_scaled;   /* key `schedule`: 1 scaled (default), 0 as-is; see dt_sweep_schedule_scale */
    long base_max_batches; /* the base cfg's own max_batches, 0 when it has none */
    long base_burn_in;     /* the base cfg's own burn_in (0) */
    double base_power;     /* the base cfg's own power (Darknet's default 4): burn_in's ramp and poly's */
    int gpus_auto;         /* gpus = auto */
    int ngpus;             /* explicit list; 0 with gpus_auto = 0 means none */
    int gpus[DT_MAX_GPUS];
    int trials_per_gpu;    /* 0 = auto */
    int cpu_slots;         /* 0 = auto: one per core */
    char *command;         /* exec: training command template */
    char *eval_command;    /* exec: evaluation command template, NULL when none */
    double hang_s;         /* key `hang_timeout`: no output this long means hung (default 10m) */
    double trial_timeout_s;/* key `trial_timeout`: 0 = none */
    char *table;           /* runner = table: the recorded table (absolute), NULL otherwise */

    /* [sampler]: sampler.kind is never AUTO after dt_sweep_load (auto is resolved there);
     * sampler.tpe.maximize is filled by dt_sweep_sampler. */
    dt_sampler_opts sampler;
    int sampler_auto;      /* type = auto: sampler was chosen by dt_sweep_resolve_sampler */
    char sampler_why[160]; /* type = auto: why that one, e.g. "5 parameters, 40 trials: ..."; else "" */
    char *warm_start;      /* key `warm_start`: an Optuna journal (absolute) whose trials TPE learns
                            * from, read when the study starts (dt_sched); NULL none. A path, so not
                            * part of dt_sweep_identity, as the table is not */

    /* [pruner]: the study's facts in it are filled by dt_sweep_pruner. */
    dt_pruner_opts pruner;

    /* [final]: after the search, the top configurations trained again with new seeds
     * (their mean chooses best.cfg); top = 0: none. Not part of the study's identity:
     * finalists may be asked of a study that has run. */
    int final_top;
    int final_seeds;

    /* [space] and [space:KEY=VALUE] */
    dt_space space;

    /* What the checks read, kept for the study (read once per study): the base cfg
     * as parsed, and runner = table's recorded table (NULL for other runners). */
    struct dt_cfg *base;
    struct dt_table *table_data;

    /* Where each key was set, for messages about values checked later:
     * dt_sweep_line(sw, "darknet", "max_batches") -> its line, or 0. */
    int nlines;
    struct { char *section, *key; int line; } *lines;
} dt_sweep;

/* Parses and validates the sweep at path into *sw (zeroed by the caller).
 * Returns 0, or -1 with "FILE:LINE: message" in err; *sw is then freed already. */
int dt_sweep_load(dt_sweep *sw, const char *path, dt_err *err);
void dt_sweep_free(dt_sweep *sw);
int dt_sweep_line(const dt_sweep *sw, const char *section, const char *key);
/* A file named in the .data file, found as Darknet users mean it: beside the .data
 * file first, then in the sweep's folder (where commands run), then in the current
 * folder. Absolute, caller frees; NULL when it is in none of them. */
char *dt_sweep_data_path(const dt_sweep *sw, const char *rel);

/* type = auto: picks grid, random or tpe from the space and sw->trials, and says why
 * in sw->sampler_why. dt_sweep_load calls it; call it again after changing trials
 * (--trials). Does nothing for a sweep that names its sampler. */
void dt_sweep_resolve_sampler(dt_sweep *sw);

/* How much a trial's schedule is shrunk against the base cfg's: max_batches over the
 * base cfg's max_batches when schedule = scaled and the trial is the shorter, else 1. */
double dt_sweep_schedule_scale(const dt_sweep *sw);

/* "map50", "ms", "bflops": the name of sw->obj[i]. */
const char *dt_sweep_objective_name(const dt_sweep *sw, int i);
/* "maximize map50, minimize ms": what the study optimizes, for people, appended to out. */
void dt_sweep_objectives_text(const dt_sweep *sw, dt_buf *out);
/* The index in sw->obj of the objective what (dt_obj_what), -1 when the study has none. */
int dt_sweep_objective_index(const dt_sweep *sw, int what);

/* What defines a study, one "[section] key = value" line each: the metric, seed,
 * trial length, sampler, pruner and every [space] parameter (not the budget, the
 * paths, the machine's slots). Two sweeps with the same text run the same study;
 * the store refuses a study resumed or joined with another (dt_store_study_sweep). */
void dt_sweep_identity(const dt_sweep *sw, dt_buf *out);

/* The sampler's and the pruner's options with what they need of the study filled in
 * (direction, seed, trial length), as they are when the study runs. */
dt_sampler_opts dt_sweep_sampler(const dt_sweep *sw);
dt_pruner_opts dt_sweep_pruner(const dt_sweep *sw);

#endif
