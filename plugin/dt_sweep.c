/* dt_sweep: a sweep file (../shared/SWEEPS.md) read with inih; the public calls.
 *
 * Two passes. Reading, here: inih hands every key to dt_sweep__on_key. Each darktune
 * key is declared once, in its section's table (name, type, field, default, limits),
 * and its parsing, its default and the "did you mean" candidates all come from that
 * table; [space] lines go to dt_param_parse. Checking, in dt_sweep_check.c: whatever
 * needs the whole file, the base cfg, the .data file or the Darknet program.
 *
 * It does not write trial cfgs, start Darknet or open the storage. */
#include "dt_sweep.h"
#include "dt_sweep_impl.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dt_cfg.h"
#include "dt_pack.h"
#include "dt_table.h"

/* Bounds of numbers no study needs more of: past them a value is a typo, and within
 * them nothing overflows or allocates without measure (cpu_slots sizes an array,
 * grid_points a grid, trials the store). */
#define DT_SWEEP__MAX_TRIALS 1000000
#define DT_SWEEP__MAX_ITERS 1e9             /* Darknet counts iterations in an int */
#define DT_SWEEP__MAX_SECONDS (366 * 86400.0)
/* A sweep is a few hundred bytes; anything past this is the wrong file. */
#define DT_SWEEP__MAX_BYTES (1 << 20)

/* ---- The keys, declared once. */

/* Words of the enumerated keys, in the order of their C enums (index = value). */
const char *const dt_sweep__directions[] = {"minimize", "maximize", NULL};
/* dt_fork_names and "auto", which is not a dt_fork: it stays in sw->fork only until
 * the program is looked at. */
static const char *const dt_sweep__forks[] = {"pjreddie", "alexeyab", "hankai", "auto", NULL};
static const char *const dt_sweep__ons[] = {"metric", "loss", NULL};
static const char *const dt_sweep__schedules[] = {"as-is", "scaled", NULL};

typedef enum dt_sweep__type {
    DT_SWEEP__STR,      /* char *, copied */
    DT_SWEEP__INT,      /* int in [min, max] */
    DT_SWEEP__LONG,     /* long in [min, max] */
    DT_SWEEP__AUTOINT,  /* int in [min, max], or "auto" stored as 0 */
    DT_SWEEP__ALLLONG,  /* long in [min, max], or "all" stored as 0 */
    DT_SWEEP__AUTOFRAC, /* double in (min, max] (min excluded), or "auto" stored as 0 */
    DT_SWEEP__SEED,     /* unsigned long long */
    DT_SWEEP__REAL,     /* finite double in [min, max] */
    DT_SWEEP__DURATION, /* double, seconds: 90s, 15m, 2h */
    DT_SWEEP__BOOL,     /* int, 0 or 1 */
    DT_SWEEP__AUTOBOOL, /* int, 0 or 1, or "auto" stored as -1 */
    DT_SWEEP__ENUM,     /* int: index of the word in names */
    DT_SWEEP__GPUS,     /* gpus_auto, ngpus, gpus[]: auto | none | 0,1,3 */
} dt_sweep__type;

typedef struct dt_sweep__key {
    const char *name;
    dt_sweep__type type;
    size_t off;                /* the field in dt_sweep */
    const char *def;           /* default, parsed like a written value; NULL: none, or derived later */
    const char *const *names;  /* ENUM: the words */
    double min, max;           /* numbers: the allowed range */
} dt_sweep__key;

#define DT_SWEEP__AT(field) offsetof(dt_sweep, field)
/* ENUM and BOOL keys write an int into enum fields. */
_Static_assert(sizeof(dt_metric) == sizeof(int) && sizeof(dt_fork) == sizeof(int), "enums are ints");

static const dt_sweep__key dt_sweep__study_keys[] = {
    {"name", DT_SWEEP__STR, DT_SWEEP__AT(name), NULL, NULL, 0, 0},
    {"output", DT_SWEEP__STR, DT_SWEEP__AT(output), NULL, NULL, 0, 0},    /* <sweep dir>/runs/<name> */
    {"storage", DT_SWEEP__STR, DT_SWEEP__AT(storage), NULL, NULL, 0, 0},  /* <output>/study.db */
    {"direction", DT_SWEEP__ENUM, DT_SWEEP__AT(maximize), NULL, dt_sweep__directions, 0, 0}, /* from metric */
    {"metric", DT_SWEEP__ENUM, DT_SWEEP__AT(metric), NULL, dt_metric_names, 0, 0},         /* from task */
    {"objectives", DT_SWEEP__STR, DT_SWEEP__AT(objectives), NULL, NULL, 0, 0},   /* checked with the metric */
    {"choose", DT_SWEEP__STR, DT_SWEEP__AT(choose_text), NULL, NULL, 0, 0},
    {"trials", DT_SWEEP__INT, DT_SWEEP__AT(trials), "20", NULL, 1, DT_SWEEP__MAX_TRIALS},
    {"timeout", DT_SWEEP__DURATION, DT_SWEEP__AT(timeout_s), NULL, NULL, 1, DT_SWEEP__MAX_SECONDS},
    {"seed", DT_SWEEP__SEED, DT_SWEEP__AT(seed), "0", NULL, 0, 0},
    {"baseline", DT_SWEEP__BOOL, DT_SWEEP__AT(baseline), "yes", NULL, 0, 0},
    {"heartbeat", DT_SWEEP__DURATION, DT_SWEEP__AT(heartbeat_s), "5s", NULL, 1, 3600},
    {"grace", DT_SWEEP__DURATION, DT_SWEEP__AT(grace_s), "1m", NULL, 1, 86400},
    {"retries", DT_SWEEP__INT, DT_SWEEP__AT(retries), "1", NULL, 0, 100},
};

static const dt_sweep__key dt_sweep__darknet_keys[] = {
    {"task", DT_SWEEP__ENUM, DT_SWEEP__AT(task), NULL, dt_task_names, 0, 0},  /* from the cfg's layers */
    {"runner", DT_SWEEP__ENUM, DT_SWEEP__AT(runner), "libdarknet", dt_runner_names, 0, 0},
    {"fork", DT_SWEEP__ENUM, DT_SWEEP__AT(fork), "auto", dt_sweep__forks, 0, 0},
    {"data", DT_SWEEP__STR, DT_SWEEP__AT(data), NULL, NULL, 0, 0},
    {"cfg", DT_SWEEP__STR, DT_SWEEP__AT(cfg), NULL, NULL, 0, 0},
    {"weights", DT_SWEEP__STR, DT_SWEEP__AT(weights), NULL, NULL, 0, 0},
    {"max_batches", DT_SWEEP__LONG, DT_SWEEP__AT(max_batches), NULL, NULL, 1, DT_SWEEP__MAX_ITERS}, /* from the cfg */
    {"eval_interval", DT_SWEEP__LONG, DT_SWEEP__AT(eval_interval), "0", NULL, 0, DT_SWEEP__MAX_ITERS},
    {"eval_images", DT_SWEEP__ALLLONG, DT_SWEEP__AT(eval_images), "500", NULL, 1, 1e9},
    {"schedule", DT_SWEEP__ENUM, DT_SWEEP__AT(schedule_scaled), "scaled", dt_sweep__schedules, 0, 0},
    {"gpus", DT_SWEEP__GPUS, 0, "auto", NULL, 0, DT_MAX_GPUS},
    {"trials_per_gpu", DT_SWEEP__AUTOINT, DT_SWEEP__AT(trials_per_gpu), "1", NULL, 1, DT_PACK_MAX},
    {"cpu_slots", DT_SWEEP__AUTOINT, DT_SWEEP__AT(cpu_slots), "auto", NULL, 1, 1024},
    {"command", DT_SWEEP__STR, DT_SWEEP__AT(command), NULL, NULL, 0, 0},
    {"eval_command", DT_SWEEP__STR, DT_SWEEP__AT(eval_command), NULL, NULL, 0, 0},
    {"hang_timeout", DT_SWEEP__DURATION, DT_SWEEP__AT(hang_s), "10m", NULL, 1, DT_SWEEP__MAX_SECONDS},
    {"trial_timeout", DT_SWEEP__DURATION, DT_SWEEP__AT(trial_timeout_s), NULL, NULL, 1, DT_SWEEP__MAX_SECONDS},
    {"table", DT_SWEEP__STR, DT_SWEEP__AT(table), NULL, NULL, 0, 0},
};

static const dt_sweep__key dt_sweep__sampler_keys[] = {
    {"type", DT_SWEEP__ENUM, DT_SWEEP__AT(sampler.kind), "random", dt_sampler_names, 0, 0},
    {"startup_trials", DT_SWEEP__INT, DT_SWEEP__AT(sampler.tpe.startup_trials), "10", NULL, 0, DT_SWEEP__MAX_TRIALS},
    {"grid_points", DT_SWEEP__INT, DT_SWEEP__AT(sampler.grid_points), "5", NULL, 1, 1000},
    {"ei_candidates", DT_SWEEP__AUTOINT, DT_SWEEP__AT(sampler.tpe.ei_candidates), "auto", NULL, 1, 100000},
    /* auto: joint kernels for one objective, one per parameter for several (Optuna's defaults) */
    {"multivariate", DT_SWEEP__AUTOBOOL, DT_SWEEP__AT(sampler.tpe.multivariate), "auto", NULL, 0, 0},
    {"gamma", DT_SWEEP__AUTOFRAC, DT_SWEEP__AT(sampler.tpe.gamma), "auto", NULL, 0, 1},
    {"warm_start", DT_SWEEP__STR, DT_SWEEP__AT(warm_start), NULL, NULL, 0, 0},
};

static const dt_sweep__key dt_sweep__pruner_keys[] = {
    {"type", DT_SWEEP__ENUM, DT_SWEEP__AT(pruner.kind), "none", dt_pruner_names, 0, 0},
    {"warmup", DT_SWEEP__LONG, DT_SWEEP__AT(pruner.warmup), "0", NULL, 0, DT_SWEEP__MAX_ITERS},
    {"on", DT_SWEEP__ENUM, DT_SWEEP__AT(pruner.on_loss), NULL, dt_sweep__ons, 0, 0},  /* from eval_interval */
    {"lower", DT_SWEEP__REAL, DT_SWEEP__AT(pruner.lower), NULL, NULL, -DBL_MAX, DBL_MAX},  /* NAN: none */
    {"upper", DT_SWEEP__REAL, DT_SWEEP__AT(pruner.upper), NULL, NULL, -DBL_MAX, DBL_MAX},
    {"startup_trials", DT_SWEEP__INT, DT_SWEEP__AT(pruner.startup_trials), "5", NULL, 0, DT_SWEEP__MAX_TRIALS},
    {"interval", DT_SWEEP__LONG, DT_SWEEP__AT(pruner.interval), "1", NULL, 1, DT_SWEEP__MAX_ITERS},
    {"min_trials", DT_SWEEP__INT, DT_SWEEP__AT(pruner.min_trials), "1", NULL, 1, DT_SWEEP__MAX_TRIALS},
    {"percentile", DT_SWEEP__REAL, DT_SWEEP__AT(pruner.percentile), "25", NULL, 0, 100},
    /* min_resource absent: 0, the pruner's own choice */
    {"min_resource", DT_SWEEP__LONG, DT_SWEEP__AT(pruner.min_resource), NULL, NULL, 1, DT_SWEEP__MAX_ITERS},
    {"reduction_factor", DT_SWEEP__INT, DT_SWEEP__AT(pruner.reduction_factor), "3", NULL, 2, 100},
    {"min_early_stopping_rate", DT_SWEEP__INT, DT_SWEEP__AT(pruner.min_early_stopping_rate), "0", NULL, 0, 64},
    {"wait", DT_SWEEP__BOOL, DT_SWEEP__AT(pruner.wait), "no", NULL, 0, 0},
    {"brackets", DT_SWEEP__AUTOINT, DT_SWEEP__AT(pruner.brackets), "auto", NULL, 1, 64},
    {"patience", DT_SWEEP__LONG, DT_SWEEP__AT(pruner.patience), NULL, NULL, 1, DT_SWEEP__MAX_ITERS},
    {"min_delta", DT_SWEEP__REAL, DT_SWEEP__AT(pruner.min_delta), "0", NULL, 0, DBL_MAX},
    {"wrap", DT_SWEEP__ENUM, DT_SWEEP__AT(pruner.wrap), "none", dt_pruner_names, 0, 0},
};

static const dt_sweep__key dt_sweep__final_keys[] = {
    {"top", DT_SWEEP__INT, DT_SWEEP__AT(final_top), "0", NULL, 0, 100},
    {"seeds", DT_SWEEP__INT, DT_SWEEP__AT(final_seeds), "3", NULL, 1, 100},
};



/* The sections, indexed by the enum above; [space] holds [net] fields, not a table. */
static const struct dt_sweep__section {
    const char *name;
    const dt_sweep__key *keys;
    int n;
} dt_sweep__sections[DT_SWEEP__NSECTIONS] = {
    {"study", dt_sweep__study_keys, DT_SWEEP__COUNT(dt_sweep__study_keys)},
    {"darknet", dt_sweep__darknet_keys, DT_SWEEP__COUNT(dt_sweep__darknet_keys)},
    {"sampler", dt_sweep__sampler_keys, DT_SWEEP__COUNT(dt_sweep__sampler_keys)},
    {"pruner", dt_sweep__pruner_keys, DT_SWEEP__COUNT(dt_sweep__pruner_keys)},
    {"final", dt_sweep__final_keys, DT_SWEEP__COUNT(dt_sweep__final_keys)},
    {"space", NULL, 0},
};

const char *dt_sweep__section_name(int sec)
{
    return dt_sweep__sections[sec].name;
}




/* Writes "FILE:LINE: message" (or "FILE: message" when line is 0) into err; returns -1. */
static int dt_sweep__vfail(dt_err *err, const char *file, int line, const char *fmt, va_list ap)
{
    char msg[sizeof err->msg];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (line > 0) return dt_errf(err, "%s:%d: %s", file, line, msg);
    return dt_errf(err, "%s: %s", file, msg);
}

/* A refusal at a line of the sweep file. */
int dt_sweep__fail(dt_sweep__ctx *c, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dt_sweep__vfail(c->err, c->sw->path, line, fmt, ap);
    va_end(ap);
    c->failed = 1;
    return -1;
}

/* A refusal at a line of another file (the base cfg). */
int dt_sweep__fail_in(dt_sweep__ctx *c, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dt_sweep__vfail(c->err, file, line, fmt, ap);
    va_end(ap);
    c->failed = 1;
    return -1;
}

/* The index of word in a NULL-terminated list, or -1. */
int dt_sweep__index(const char *word, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(word, names[i]) == 0) return i;
    return -1;
}

/* "a, b, c" from a NULL-terminated list (n < 0) or from n names, into b. */
void dt_sweep__join(dt_buf *b, const char *const *names, int n, const char *sep)
{
    dt_buf_add(b, "", 0);
    for (int i = 0; n < 0 ? names[i] != NULL : i < n; i++)
        dt_buf_printf(b, "%s%s", i ? sep : "", names[i]);
}

/* dt_nearest, plus one swap of neighbouring letters ("sapce"), which plain edit
 * distance counts as two edits and so misses in short words. */
const char *dt_sweep__near(const char *word, const char *const *names, int n)
{
    const char *hint = dt_nearest(word, names, n);
    size_t len = strlen(word);
    for (int i = 0; !hint && i < n; i++) {
        if (strlen(names[i]) != len) continue;
        size_t k = 0;
        while (k < len && word[k] == names[i][k]) k++;
        if (k + 1 < len && word[k] == names[i][k + 1] && word[k + 1] == names[i][k] &&
            strcmp(word + k + 2, names[i] + k + 2) == 0)
            hint = names[i];
    }
    return hint;
}

/* Parses one written value (or a table default) of key k into its field of sw.
 * err gets "what is wrong" without FILE:LINE, which the caller prepends. */
static int dt_sweep__set(dt_sweep *sw, const dt_sweep__key *k, const char *v, dt_err *err)
{
    void *field = (char *)sw + k->off;
    switch (k->type) {
    case DT_SWEEP__STR:
        free(*(char **)field);
        *(char **)field = dt_xstrdup(v);
        return 0;
    case DT_SWEEP__INT:
    case DT_SWEEP__LONG:
    case DT_SWEEP__AUTOINT:
    case DT_SWEEP__ALLLONG: {
        long x = 0;
        const char *word = k->type == DT_SWEEP__AUTOINT ? "auto" : k->type == DT_SWEEP__ALLLONG ? "all" : NULL;
        int is_word = word && strcmp(v, word) == 0;
        if (!is_word && (dt_parse_long(v, &x) < 0 || x < k->min))
            return dt_errf(err, "%s must be %s%sa whole number of at least %.0f, not '%s'", k->name,
                           word ? word : "", word ? " or " : "", k->min, v);
        if (!is_word && x > k->max)
            return dt_errf(err, "%s must be %s%sa whole number from %.0f to %.0f, not '%s'", k->name,
                           word ? word : "", word ? " or " : "", k->min, k->max, v);
        if (k->type == DT_SWEEP__LONG || k->type == DT_SWEEP__ALLLONG) *(long *)field = x;
        else *(int *)field = (int)x;
        return 0;
    }
    case DT_SWEEP__SEED: {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(v, &end, 10);
        if (!isdigit((unsigned char)v[0]) || *end || errno == ERANGE)
            return dt_errf(err, "%s must be a whole number of at least 0, not '%s'", k->name, v);
        *(unsigned long long *)field = x;
        return 0;
    }
    case DT_SWEEP__REAL: {
        double x;
        if (dt_parse_double(v, &x) < 0 || !isfinite(x) || x < k->min || x > k->max) {
            if (k->min > -DBL_MAX)
                return dt_errf(err, "%s must be a number from %g to %g, not '%s'", k->name, k->min, k->max, v);
            return dt_errf(err, "%s must be a number, not '%s'", k->name, v);
        }
        *(double *)field = x;
        return 0;
    }
    case DT_SWEEP__AUTOFRAC: {
        double x = 0;
        if (strcmp(v, "auto") != 0 &&
            (dt_parse_double(v, &x) < 0 || !isfinite(x) || x <= k->min || x > k->max))
            return dt_errf(err, "%s must be auto or a number above %g and at most %g, not '%s'", k->name, k->min,
                           k->max, v);
        *(double *)field = x;
        return 0;
    }
    case DT_SWEEP__DURATION: {
        double x;
        if (dt_parse_duration(v, &x) < 0)
            return dt_errf(err, "%s '%s' is not a duration; write 90s, 15m, 2h or 1d", k->name, v);
        /* 0 would read as "no limit" where the key's absence already says so. */
        if (x < k->min || x > k->max)
            return dt_errf(err, "%s '%s' is out of range: from %gs to %gd%s", k->name, v, k->min, k->max / 86400,
                           x == 0 ? "; leave the key out for no limit" : "");
        *(double *)field = x;
        return 0;
    }
    case DT_SWEEP__AUTOBOOL:
        if (strcmp(v, "auto") == 0) {
            *(int *)field = -1;
            return 0;
        }
        __attribute__((fallthrough));   /* yes or no */
    case DT_SWEEP__BOOL: {
        int b = dt_parse_bool(v);
        if (b < 0) return dt_errf(err, "%s '%s' is neither yes nor no%s", k->name, v,
                                  k->type == DT_SWEEP__AUTOBOOL ? " (nor auto)" : "");
        *(int *)field = b;
        return 0;
    }
    case DT_SWEEP__ENUM: {
        int i = dt_sweep__index(v, k->names);
        if (i >= 0) {
            *(int *)field = i;
            return 0;
        }
        int n = 0;
        while (k->names[n]) n++;
        const char *hint = dt_sweep__near(v, k->names, n);
        dt_buf list = {0};
        dt_sweep__join(&list, k->names, -1, ", ");
        if (hint) dt_errf(err, "%s '%s' is not one of %s; did you mean '%s'?", k->name, v, list.p, hint);
        else dt_errf(err, "%s '%s' is not one of %s", k->name, v, list.p);
        dt_buf_free(&list);
        return -1;
    }
    case DT_SWEEP__GPUS: {
        sw->gpus_auto = strcmp(v, "auto") == 0;
        sw->ngpus = 0;
        if (sw->gpus_auto || strcmp(v, "none") == 0) return 0;
        char *copy = dt_xstrdup(v);
        int bad = 0;
        for (char *s = copy, *comma; !bad && s; s = comma ? comma + 1 : NULL) {
            comma = strchr(s, ',');
            if (comma) *comma = '\0';
            long g;
            bad = dt_parse_long(s, &g) < 0 || g < 0 || g > INT_MAX || sw->ngpus == DT_MAX_GPUS;
            for (int i = 0; !bad && i < sw->ngpus; i++) bad = sw->gpus[i] == g;
            if (!bad) sw->gpus[sw->ngpus++] = (int)g;
        }
        free(copy);
        if (bad)
            return dt_errf(err, "gpus '%s' must be auto, none, or a list of distinct GPU numbers like 0,1,3 "
                           "(at most %d)", v, DT_MAX_GPUS);
        return 0;
    }
    }
    return dt_errf(err, "%s: unknown key type", k->name);
}

/* Remembers where section/key was set, for dt_sweep_line. */
static void dt_sweep__note(dt_sweep *sw, const char *section, const char *key, int line)
{
    sw->lines = dt_xrealloc(sw->lines, (size_t)(sw->nlines + 1) * sizeof *sw->lines);
    sw->lines[sw->nlines].section = dt_xstrdup(section);
    sw->lines[sw->nlines].key = dt_xstrdup(key);
    sw->lines[sw->nlines].line = line;
    sw->nlines++;
}

/* The table entry of key in section sec, or NULL. */
static const dt_sweep__key *dt_sweep__find_key(int sec, const char *key)
{
    const struct dt_sweep__section *s = &dt_sweep__sections[sec];
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->keys[i].name, key) == 0) return &s->keys[i];
    return NULL;
}

/* Refuses a key its section does not have, with the likeliest intended one. */
static int dt_sweep__unknown_key(dt_sweep__ctx *c, const char *key)
{
    const struct dt_sweep__section *s = &dt_sweep__sections[c->sec];
    const char *names[32];
    for (int i = 0; i < s->n; i++) names[i] = s->keys[i].name;
    const char *hint = dt_sweep__near(key, names, s->n);
    if (hint)
        return dt_sweep__fail(c, c->line, "unknown key '%s' in [%s]; did you mean '%s'?", key, c->secname, hint);
    for (int sec = 0; sec < DT_SWEEP__SPACE; sec++)
        if (dt_sweep__find_key(sec, key))
            return dt_sweep__fail(c, c->line, "unknown key '%s' in [%s]; it belongs in [%s]", key, c->secname,
                                  dt_sweep__sections[sec].name);
    for (int fork = DT_FORK_PJREDDIE; fork <= DT_FORK_HANKAI; fork++)
        if (dt_cfg_net_key_known(fork, key))
            return dt_sweep__fail(c, c->line, "unknown key '%s' in [%s]; [net] fields go in [space]", key,
                                  c->secname);
    dt_buf list = {0};
    dt_sweep__join(&list, names, s->n, ", ");
    dt_sweep__fail(c, c->line, "unknown key '%s' in [%s] (it has %s)", key, c->secname, list.p);
    dt_buf_free(&list);
    return -1;
}

/* One [space] line: a [net] field and its distribution (the field is checked
 * against the fork later, once the fork is known). */
static int dt_sweep__on_param(dt_sweep__ctx *c, const char *name, const char *value)
{
    int first = dt_space_find(&c->sw->space, name);
    if (first >= 0)
        return dt_sweep__fail(c, c->line, "duplicate key '%s' (first set at line %d)", name,
                              c->sw->space.p[first].line);
    dt_param p = {0};
    dt_err e;
    if (dt_param_parse(&p, value, &e) < 0) return dt_sweep__fail(c, c->line, "%s: %s", name, e.msg);
    p.name = dt_xstrdup(name);
    p.line = c->line;
    p.cond = -1;
    p.cond_key = dt_xstrdup(c->cond_key);
    p.cond_value = dt_xstrdup(c->cond_value);
    dt_space_add(&c->sw->space, p);
    return 0;
}

/* inih's handler: one key = value of the current section. Returns 1 to go on, 0 to stop. */
static int dt_sweep__on_key(void *user, const char *section, const char *name, const char *value)
{
    dt_sweep__ctx *c = user;
    dt_sweep *sw = c->sw;
    if (c->failed) return 0;
    if (c->sec < 0) {
        dt_sweep__fail(c, c->line, "'%s' is outside any section; start with [study]", name);
        return 0;
    }
    if (c->sec == DT_SWEEP__SPACE) {
        if (dt_sweep__on_param(c, name, value) < 0) return 0;
        dt_sweep__note(sw, c->secname, name, c->line);
        return 1;
    }
    const dt_sweep__key *k = dt_sweep__find_key(c->sec, name);
    if (!k) {
        dt_sweep__unknown_key(c, name);
        return 0;
    }
    int first = dt_sweep_line(sw, dt_sweep__sections[c->sec].name, name);
    if (first) {
        dt_sweep__fail(c, c->line, "duplicate key '%s' in [%s] (first set at line %d)", name, c->secname, first);
        return 0;
    }
    /* The table's section name, not the header as written ("[ study ]"), keys the line table. */
    dt_sweep__note(sw, dt_sweep__sections[c->sec].name, name, c->line);
    if (!*value) {
        /* "weights =" says "none", as SWEEPS.md writes it: only keys whose absence
         * means none may be empty; any other empty key would quietly take a default. */
        if (strcmp(name, "weights") == 0 || strcmp(name, "eval_command") == 0) return 1;
        dt_sweep__fail(c, c->line, "'%s =' has no value; give one, or leave the line out for the default", name);
        return 0;
    }
    dt_err e;
    if (dt_sweep__set(sw, k, value, &e) < 0) {
        dt_sweep__fail(c, c->line, "%s", e.msg);
        return 0;
    }
    return 1;
}

/* A trimmed copy of the n bytes at s. */
static char *dt_sweep__trimmed(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    char *t = dt_xmalloc(n + 1);
    memcpy(t, s, n);
    t[n] = '\0';
    return t;
}

/* Notes a "[section]" line as the reader passes it to inih: which section the next
 * keys belong to, refusing one darktune does not know. */
static int dt_sweep__header(dt_sweep__ctx *c, const char *text)
{
    while (isspace((unsigned char)*text)) text++;
    const char *close = strchr(text, ']');
    if (*text != '[' || !close) return 0;   /* a key, a comment, or a line inih refuses */
    free(c->secname);
    free(c->cond_key);
    free(c->cond_value);
    c->secname = dt_sweep__trimmed(text + 1, (size_t)(close - text - 1));
    c->cond_key = c->cond_value = NULL;
    c->sec = -1;

    const char *name = c->secname, *colon = strchr(name, ':');
    const char *names[DT_SWEEP__NSECTIONS];
    for (int i = 0; i < DT_SWEEP__NSECTIONS; i++) {
        names[i] = dt_sweep__sections[i].name;
        if (colon || strcmp(name, names[i]) != 0) continue;
        c->sec = i;
        if (!c->header[i]) c->header[i] = c->line;
        return 0;
    }
    if (!colon) {
        const char *hint = dt_sweep__near(name, names, DT_SWEEP__NSECTIONS);
        if (hint) return dt_sweep__fail(c, c->line, "unknown section [%s]; did you mean [%s]?", name, hint);
        return dt_sweep__fail(c, c->line, "unknown section [%s]; sections are [study], [darknet], [sampler], "
                              "[pruner], [space] and [space:KEY=VALUE]", name);
    }
    char *prefix = dt_sweep__trimmed(name, (size_t)(colon - name));
    int space = strcmp(prefix, "space") == 0;
    int near = !space && dt_sweep__near(prefix, names + DT_SWEEP__SPACE, 1) != NULL;
    free(prefix);
    if (near) return dt_sweep__fail(c, c->line, "unknown section [%s]; did you mean [space%s]?", name, colon);
    if (!space) return dt_sweep__fail(c, c->line, "unknown section [%s]; only [space:KEY=VALUE] has a ':'", name);
    const char *eq = strchr(colon, '=');
    if (eq) {
        c->cond_key = dt_sweep__trimmed(colon + 1, (size_t)(eq - colon - 1));
        c->cond_value = dt_sweep__trimmed(eq + 1, strlen(eq + 1));
    }
    if (!eq || !*c->cond_key || !*c->cond_value)
        return dt_sweep__fail(c, c->line, "section [%s] needs a condition KEY=VALUE, as in [space:policy=steps]",
                              name);
    c->sec = DT_SWEEP__SPACE;
    free(c->secname);   /* one spelling for dt_sweep_line, however the header was spaced */
    c->secname = dt_xasprintf("space:%s=%s", c->cond_key, c->cond_value);
    name = c->secname;
    c->conds = dt_xrealloc(c->conds, (size_t)(c->nconds + 1) * sizeof *c->conds);
    c->conds[c->nconds++] = (dt_sweep__cond){dt_xstrdup(name), dt_xstrdup(c->cond_key), c->line};
    return 0;
}

/* inih's fgets-style reader: counts lines (inih's handler gets no line numbers in
 * this build) and sees section headers before inih does. Returning NULL ends the
 * parse, which is how a refusal here stops inih. */
static char *dt_sweep__read(char *str, int num, void *stream)
{
    dt_sweep__ctx *c = stream;
    if (c->failed || !fgets(str, num, c->f)) return NULL;
    c->line++;
    size_t n = strlen(str);
    if (n == (size_t)num - 1 && str[n - 1] != '\n') {
        dt_sweep__fail(c, c->line, "line is longer than %d characters", num - 3);
        return NULL;
    }
    return dt_sweep__header(c, str) < 0 ? NULL : str;
}

/* The sweep file whole, refused unless it is a regular file of at most
 * DT_SWEEP__MAX_BYTES without a NUL byte: a device (/dev/zero), a folder or a
 * binary file given by mistake gets a message, not an endless or garbled read. */
static int dt_sweep__slurp(const char *path, char **text, size_t *len, dt_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0) return dt_errf(err, "cannot open '%s': %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) return dt_errf(err, "'%s' is a folder; give the sweep file (an .ini) in it", path);
    if (!S_ISREG(st.st_mode)) return dt_errf(err, "'%s' is not a regular file; a sweep is an .ini file", path);
    if (st.st_size > DT_SWEEP__MAX_BYTES)
        return dt_errf(err, "'%s' is %lld bytes; a sweep file is at most %d (is it the right file?)", path,
                       (long long)st.st_size, DT_SWEEP__MAX_BYTES);
    if (dt_read_file(path, text, len, err) != 0) return -1;
    const char *nul = memchr(*text, '\0', *len);
    if (nul) {
        int line = 1;
        for (const char *q = *text; q < nul; q++) line += *q == '\n';
        free(*text);
        *text = NULL;
        return dt_errf(err, "%s:%d: a NUL byte in the line; a sweep is a text file", path, line);
    }
    return 0;
}

/* ---- Public. */

/* Defaults from the tables, then inih with the reader and handler above, then the
 * checks (dt_sweep__check). */
int dt_sweep_load(dt_sweep *sw, const char *path, dt_err *err)
{
    dt_sweep__ctx c = {.sw = sw, .err = err, .sec = -1};
    sw->path = dt_xstrdup(path);
    char *dir = dt_dirname(path);
    sw->dir = dt_abspath(dir);
    free(dir);
    sw->pruner.lower = sw->pruner.upper = NAN;
    for (int s = 0; s < DT_SWEEP__SPACE; s++)
        for (int k = 0; k < dt_sweep__sections[s].n; k++)
            if (dt_sweep__sections[s].keys[k].def) dt_sweep__set(sw, &dt_sweep__sections[s].keys[k],
                                                                 dt_sweep__sections[s].keys[k].def, NULL);

    char *text = NULL;
    size_t len = 0;
    if (dt_sweep__slurp(path, &text, &len, err) != 0) {
        dt_sweep_free(sw);
        return -1;
    }
    /* A UTF-8 byte order mark (Windows editors write one) is not part of line 1. */
    size_t skip = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    c.f = fmemopen(text + skip, len - skip, "r");
    if (!c.f) {
        dt_errf(err, "cannot read '%s': %s", path, strerror(errno));
        free(text);
        dt_sweep_free(sw);
        return -1;
    }
    /* inih's options are process-wide; darktune reads INI files only here. Both ';'
     * and '#' start comments (inline ones after white space), one line per value,
     * lines up to 4 KiB in a heap buffer (the stack one is fixed at 200 bytes). */
    ini_start_comment_prefixes = ";#";
    ini_allow_inline_comments = 1;
    ini_inline_comment_prefixes = ";#";
    ini_allow_multiline = 0;
    ini_stop_on_first_error = 1;
    ini_allow_no_value = 0;
    ini_use_stack = 0;
    ini_allow_realloc = 0;
    ini_max_line = ini_initial_alloc = 4096;
    int rc = len - skip ? ini_parse_stream(dt_sweep__read, &c, dt_sweep__on_key, &c) : 0;
    fclose(c.f);
    free(text);
    if (!c.failed && rc > 0)
        dt_sweep__fail(&c, rc, "cannot read this line: expected [section], key = value, or a comment");
    else if (!c.failed && rc != 0)
        dt_sweep__fail(&c, 0, "cannot read the file (inih error %d)", rc);

    if (!c.failed && dt_sweep__check(&c) < 0) c.failed = 1;
    if (!c.failed) dt_sweep_resolve_sampler(sw);

    if (!c.failed) sw->base = c.cfg;   /* the study reads the base cfg from here */
    else dt_cfg_free(c.cfg);
    free(c.secname);
    free(c.cond_key);
    free(c.cond_value);
    for (int i = 0; i < c.nconds; i++) {
        free(c.conds[i].section);
        free(c.conds[i].key);
    }
    free(c.conds);
    if (c.failed) {
        dt_sweep_free(sw);
        return -1;
    }
    return 0;
}

/* Frees what the sweep owns and zeroes it; a zeroed sweep frees to nothing. */
void dt_sweep_free(dt_sweep *sw)
{
    if (!sw) return;
    dt_cfg_free(sw->base);
    dt_table_free(sw->table_data);
    char **strs[] = {&sw->path, &sw->dir, &sw->name, &sw->output, &sw->storage, &sw->data, &sw->cfg,
                     &sw->weights, &sw->command, &sw->eval_command, &sw->table, &sw->warm_start,
                     &sw->objectives, &sw->choose_text};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) free(*strs[i]);
    dt_space_free(&sw->space);
    for (int i = 0; i < sw->nlines; i++) {
        free(sw->lines[i].section);
        free(sw->lines[i].key);
    }
    free(sw->lines);
    memset(sw, 0, sizeof *sw);
}

/* Where section/key was set (section as "study", "space", "space:policy=steps"), or 0. */
int dt_sweep_line(const dt_sweep *sw, const char *section, const char *key)
{
    for (int i = 0; i < sw->nlines; i++)
        if (strcmp(sw->lines[i].section, section) == 0 && strcmp(sw->lines[i].key, key) == 0)
            return sw->lines[i].line;
    return 0;
}

double dt_sweep_schedule_scale(const dt_sweep *sw)
{
    if (!sw->schedule_scaled || sw->base_max_batches <= sw->max_batches || sw->max_batches < 1) return 1;
    return (double)sw->max_batches / (double)sw->base_max_batches;
}

dt_sampler_opts dt_sweep_sampler(const dt_sweep *sw)
{
    dt_sampler_opts o = sw->sampler;
    o.tpe.maximize = sw->maximize;
    o.tpe.nobj = sw->nobj;
    memcpy(o.tpe.obj, sw->obj, sizeof o.tpe.obj);
    return o;
}

void dt_sweep_objectives_text(const dt_sweep *sw, dt_buf *out)
{
    for (int j = 0; j < sw->nobj; j++)
        dt_buf_printf(out, "%s%s %s", j ? ", " : "", sw->obj[j].maximize ? "maximize" : "minimize",
                      dt_sweep_objective_name(sw, j));
}

int dt_sweep_objective_index(const dt_sweep *sw, int what)
{
    for (int i = 0; i < sw->nobj; i++)
        if (sw->obj[i].what == what) return i;
    return -1;
}

const char *dt_sweep_objective_name(const dt_sweep *sw, int i)
{
    switch (sw->obj[i].what) {
    case DT_OBJ_MS: return "ms";
    case DT_OBJ_BFLOPS: return "bflops";
    default: return dt_metric_name(sw->metric);
    }
}

dt_pruner_opts dt_sweep_pruner(const dt_sweep *sw)
{
    dt_pruner_opts o = sw->pruner;
    o.maximize = sw->maximize;
    o.seed = sw->seed;
    o.max_batches = sw->max_batches;
    o.eval_interval = sw->eval_interval;
    return o;
}

/* x in the fewest digits that read back as x: 0.95, not 0.94999999999999996. */
static const char *dt_sweep__num(double x, char *buf, size_t n)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, n, "%.*g", digits, x);
        if (strtod(buf, NULL) == x) break;
    }
    return buf;
}

/* One parameter as its distribution reads, canonically (dt_sweep__num's digits). */
static void dt_sweep__param_text(dt_buf *b, const dt_param *p)
{
    char lo[32], hi[32], st[32];
    if (p->kind == DT_FIXED) {
        dt_buf_printf(b, "%s", p->choices[0]);
        return;
    }
    if (p->kind == DT_CHOICE) {
        dt_buf_printf(b, "choice(");
        for (int i = 0; i < p->nchoices; i++) dt_buf_printf(b, "%s%s", i ? ", " : "", p->choices[i]);
        dt_buf_printf(b, ")");
        return;
    }
    dt_buf_printf(b, "%s(%s, %s", dt_kind_name(p->kind), dt_sweep__num(p->low, lo, sizeof lo),
                  dt_sweep__num(p->high, hi, sizeof hi));
    if (p->kind == DT_INT && p->step != 1) dt_buf_printf(b, ", step=%s", dt_sweep__num(p->step, st, sizeof st));
    dt_buf_printf(b, ")");
}

void dt_sweep_identity(const dt_sweep *sw, dt_buf *out)
{
    const dt_pruner_opts *p = &sw->pruner;
    const dt_sampler_opts *o = &sw->sampler;
    char g[32], pc[32], lo[32], up[32], md[32];
    dt_buf_printf(out, "[study] metric = %s\n[study] direction = %s\n[study] seed = %llu\n[study] baseline = %d\n",
                  dt_metric_name(sw->metric), sw->maximize ? "maximize" : "minimize", sw->seed, sw->baseline);
    /* Only a study of several objectives says so: the identity of every study of one
     * stays what it was, and such stores resume. */
    if (sw->nobj > 1) {
        dt_buf_printf(out, "[study] objectives = ");
        for (int i = 0; i < sw->nobj; i++)
            dt_buf_printf(out, "%s%s:%s", i ? ", " : "", dt_sweep_objective_name(sw, i),
                          sw->obj[i].maximize ? "maximize" : "minimize");
        dt_buf_printf(out, "\n");
    }
    dt_buf_printf(out, "[darknet] task = %s\n[darknet] runner = %s\n[darknet] fork = %s\n[darknet] max_batches = %ld\n"
                  "[darknet] eval_interval = %ld\n[darknet] eval_images = %ld\n[darknet] schedule = %s\n",
                  dt_task_names[sw->task], dt_runner_names[sw->runner], dt_fork_names[sw->fork], sw->max_batches,
                  sw->eval_interval, sw->eval_images, sw->schedule_scaled ? "scaled" : "as-is");
    /* type = auto is what the sweep says: the choice it makes depends on --trials. */
    dt_buf_printf(out, "[sampler] type = %s\n[sampler] startup_trials = %d\n[sampler] grid_points = %d\n"
                  "[sampler] ei_candidates = %d\n[sampler] multivariate = %d\n[sampler] gamma = %s\n",
                  sw->sampler_auto ? "auto" : dt_sampler_name(o->kind), o->tpe.startup_trials, o->grid_points,
                  o->tpe.ei_candidates, o->tpe.multivariate < 0 ? sw->nobj < 2 : o->tpe.multivariate,
                  dt_sweep__num(o->tpe.gamma, g, sizeof g));
    dt_buf_printf(out, "[pruner] type = %s\n[pruner] warmup = %ld\n[pruner] on = %s\n[pruner] startup_trials = %d\n"
                  "[pruner] interval = %ld\n[pruner] min_trials = %d\n[pruner] percentile = %s\n"
                  "[pruner] min_resource = %ld\n[pruner] reduction_factor = %d\n[pruner] min_early_stopping_rate = %d\n"
                  "[pruner] brackets = %d\n[pruner] lower = %s\n[pruner] upper = %s\n[pruner] patience = %ld\n"
                  "[pruner] min_delta = %s\n[pruner] wrap = %s\n",
                  dt_pruner_name(p->kind), p->warmup, p->on_loss ? "loss" : "metric", p->startup_trials, p->interval,
                  p->min_trials, dt_sweep__num(p->percentile, pc, sizeof pc), p->min_resource, p->reduction_factor,
                  p->min_early_stopping_rate, p->brackets, dt_sweep__num(p->lower, lo, sizeof lo),
                  dt_sweep__num(p->upper, up, sizeof up), p->patience, dt_sweep__num(p->min_delta, md, sizeof md),
                  dt_pruner_name(p->wrap));
    /* Only when set: studies stored before the key existed keep their identity. */
    if (p->wait) dt_buf_printf(out, "[pruner] wait = yes\n");
    for (int i = 0; i < sw->space.n; i++) {
        const dt_param *q = &sw->space.p[i];
        if (q->cond_key) dt_buf_printf(out, "[space:%s=%s] %s = ", q->cond_key, q->cond_value, q->name);
        else dt_buf_printf(out, "[space] %s = ", q->name);
        dt_sweep__param_text(out, q);
        dt_buf_printf(out, "\n");
    }
}
