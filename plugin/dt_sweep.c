/* dt_sweep: a sweep file (../shared/SWEEPS.md) read with inih, then validated whole.
 *
 * Two passes. Reading: inih hands every key to dt_sweep__on_key. Each darktune key
 * is declared once, in its section's table (name, type, field, default, limits),
 * and its parsing, its default and the "did you mean" candidates all come from
 * that table; [space] lines go to dt_param_parse. Validating: whatever needs the
 * whole file, the base cfg, the .data file or the Darknet program (defaults that
 * depend on other keys, files, the fork, [net] fields and their ranges,
 * batch/subdivisions, steps/scales, conditions) is checked afterwards, each
 * message at the line of the key at fault.
 *
 * It does not write trial cfgs, start Darknet or open the storage. */
#include "dt_sweep.h"

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
#include "dt_table.h"

/* ---- The keys, declared once. */

/* Words of the enumerated keys, in the order of their C enums (index = value). */
static const char *const dt_sweep__directions[] = {"minimize", "maximize", NULL};
/* dt_fork_names and "auto", which is not a dt_fork: it stays in sw->fork only until
 * the program is looked at. */
static const char *const dt_sweep__forks[] = {"pjreddie", "alexeyab", "hankai", "auto", NULL};
#define DT_SWEEP__FORK_AUTO 3
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
    {"trials", DT_SWEEP__INT, DT_SWEEP__AT(trials), "20", NULL, 1, INT_MAX},
    {"timeout", DT_SWEEP__DURATION, DT_SWEEP__AT(timeout_s), "0", NULL, 0, 0},
    {"seed", DT_SWEEP__SEED, DT_SWEEP__AT(seed), "0", NULL, 0, 0},
    {"baseline", DT_SWEEP__BOOL, DT_SWEEP__AT(baseline), "yes", NULL, 0, 0},
};

static const dt_sweep__key dt_sweep__darknet_keys[] = {
    {"task", DT_SWEEP__ENUM, DT_SWEEP__AT(task), NULL, dt_task_names, 0, 0},  /* from the cfg's layers */
    {"runner", DT_SWEEP__ENUM, DT_SWEEP__AT(runner), "libdarknet", dt_runner_names, 0, 0},
    {"fork", DT_SWEEP__ENUM, DT_SWEEP__AT(fork), "auto", dt_sweep__forks, 0, 0},
    {"data", DT_SWEEP__STR, DT_SWEEP__AT(data), NULL, NULL, 0, 0},
    {"cfg", DT_SWEEP__STR, DT_SWEEP__AT(cfg), NULL, NULL, 0, 0},
    {"weights", DT_SWEEP__STR, DT_SWEEP__AT(weights), NULL, NULL, 0, 0},
    {"max_batches", DT_SWEEP__LONG, DT_SWEEP__AT(max_batches), NULL, NULL, 1, LONG_MAX}, /* from the cfg */
    {"eval_interval", DT_SWEEP__LONG, DT_SWEEP__AT(eval_interval), "0", NULL, 0, LONG_MAX},
    {"eval_images", DT_SWEEP__ALLLONG, DT_SWEEP__AT(eval_images), "500", NULL, 1, LONG_MAX},
    {"schedule", DT_SWEEP__ENUM, DT_SWEEP__AT(schedule_scaled), "scaled", dt_sweep__schedules, 0, 0},
    {"gpus", DT_SWEEP__GPUS, 0, "auto", NULL, 0, DT_MAX_GPUS},
    {"trials_per_gpu", DT_SWEEP__AUTOINT, DT_SWEEP__AT(trials_per_gpu), "1", NULL, 1, INT_MAX},
    {"cpu_slots", DT_SWEEP__AUTOINT, DT_SWEEP__AT(cpu_slots), "auto", NULL, 1, INT_MAX},
    {"command", DT_SWEEP__STR, DT_SWEEP__AT(command), NULL, NULL, 0, 0},
    {"eval_command", DT_SWEEP__STR, DT_SWEEP__AT(eval_command), NULL, NULL, 0, 0},
    {"hang_timeout", DT_SWEEP__DURATION, DT_SWEEP__AT(hang_s), "10m", NULL, 0, 0},
    {"trial_timeout", DT_SWEEP__DURATION, DT_SWEEP__AT(trial_timeout_s), "0", NULL, 0, 0},
    {"table", DT_SWEEP__STR, DT_SWEEP__AT(table), NULL, NULL, 0, 0},
};

static const dt_sweep__key dt_sweep__sampler_keys[] = {
    {"type", DT_SWEEP__ENUM, DT_SWEEP__AT(sampler.kind), "random", dt_sampler_names, 0, 0},
    {"startup_trials", DT_SWEEP__INT, DT_SWEEP__AT(sampler.tpe.startup_trials), "10", NULL, 0, INT_MAX},
    {"grid_points", DT_SWEEP__INT, DT_SWEEP__AT(sampler.grid_points), "5", NULL, 1, INT_MAX},
    {"ei_candidates", DT_SWEEP__AUTOINT, DT_SWEEP__AT(sampler.tpe.ei_candidates), "auto", NULL, 1, 100000},
    {"multivariate", DT_SWEEP__BOOL, DT_SWEEP__AT(sampler.tpe.multivariate), "yes", NULL, 0, 0},
    {"gamma", DT_SWEEP__AUTOFRAC, DT_SWEEP__AT(sampler.tpe.gamma), "auto", NULL, 0, 1},
};

static const dt_sweep__key dt_sweep__pruner_keys[] = {
    {"type", DT_SWEEP__ENUM, DT_SWEEP__AT(pruner.kind), "none", dt_pruner_names, 0, 0},
    {"warmup", DT_SWEEP__LONG, DT_SWEEP__AT(pruner.warmup), "0", NULL, 0, LONG_MAX},
    {"on", DT_SWEEP__ENUM, DT_SWEEP__AT(pruner.on_loss), NULL, dt_sweep__ons, 0, 0},  /* from eval_interval */
    {"lower", DT_SWEEP__REAL, DT_SWEEP__AT(pruner.lower), NULL, NULL, -DBL_MAX, DBL_MAX},  /* NAN: none */
    {"upper", DT_SWEEP__REAL, DT_SWEEP__AT(pruner.upper), NULL, NULL, -DBL_MAX, DBL_MAX},
    {"startup_trials", DT_SWEEP__INT, DT_SWEEP__AT(pruner.startup_trials), "5", NULL, 0, INT_MAX},
    {"interval", DT_SWEEP__LONG, DT_SWEEP__AT(pruner.interval), "1", NULL, 1, LONG_MAX},
    {"min_trials", DT_SWEEP__INT, DT_SWEEP__AT(pruner.min_trials), "1", NULL, 1, INT_MAX},
    {"percentile", DT_SWEEP__REAL, DT_SWEEP__AT(pruner.percentile), "25", NULL, 0, 100},
    {"min_resource", DT_SWEEP__LONG, DT_SWEEP__AT(pruner.min_resource), NULL, NULL, 1, LONG_MAX}, /* 0: pruner's */
    {"reduction_factor", DT_SWEEP__INT, DT_SWEEP__AT(pruner.reduction_factor), "3", NULL, 2, INT_MAX},
    {"min_early_stopping_rate", DT_SWEEP__INT, DT_SWEEP__AT(pruner.min_early_stopping_rate), "0", NULL, 0, 64},
    {"brackets", DT_SWEEP__AUTOINT, DT_SWEEP__AT(pruner.brackets), "auto", NULL, 1, 64},
    {"patience", DT_SWEEP__LONG, DT_SWEEP__AT(pruner.patience), NULL, NULL, 1, LONG_MAX},
    {"min_delta", DT_SWEEP__REAL, DT_SWEEP__AT(pruner.min_delta), "0", NULL, 0, DBL_MAX},
    {"wrap", DT_SWEEP__ENUM, DT_SWEEP__AT(pruner.wrap), "none", dt_pruner_names, 0, 0},
};

enum { DT_SWEEP__STUDY, DT_SWEEP__DARKNET, DT_SWEEP__SAMPLER, DT_SWEEP__PRUNER, DT_SWEEP__SPACE,
       DT_SWEEP__NSECTIONS };

#define DT_SWEEP__COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

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
    {"space", NULL, 0},
};


/* ---- Reading state. */

/* One [space:KEY=VALUE] header, to check its KEY once the whole space is known. */
typedef struct dt_sweep__cond {
    char *section;  /* as written, without brackets */
    char *key;
    int line;
} dt_sweep__cond;

typedef struct dt_sweep__ctx {
    dt_sweep *sw;
    dt_err *err;
    FILE *f;
    int line;            /* the line the reader gave last: the one inih is handling */
    int failed;          /* err holds the message: stop reading */
    int sec;             /* the current section (DT_SWEEP__STUDY, ...), -1 before any */
    char *secname;       /* the current section as written, for the line table and messages */
    char *cond_key, *cond_value;  /* the current [space:KEY=VALUE], NULL elsewhere */
    int header[DT_SWEEP__NSECTIONS];  /* line of each section's first header, 0 when absent */
    dt_sweep__cond *conds;
    int nconds;
    dt_cfg *cfg;         /* the base cfg, once read */
} dt_sweep__ctx;

/* Writes "FILE:LINE: message" (or "FILE: message" when line is 0) into err; returns -1. */
static int dt_sweep__vfail(dt_err *err, const char *file, int line, const char *fmt, va_list ap)
{
    char msg[sizeof err->msg];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (line > 0) return dt_errf(err, "%s:%d: %s", file, line, msg);
    return dt_errf(err, "%s: %s", file, msg);
}

/* A refusal at a line of the sweep file. */
static int dt_sweep__fail(dt_sweep__ctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int dt_sweep__fail(dt_sweep__ctx *c, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dt_sweep__vfail(c->err, c->sw->path, line, fmt, ap);
    va_end(ap);
    c->failed = 1;
    return -1;
}

/* A refusal at a line of another file (the base cfg). */
static int dt_sweep__fail_in(dt_sweep__ctx *c, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int dt_sweep__fail_in(dt_sweep__ctx *c, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dt_sweep__vfail(c->err, file, line, fmt, ap);
    va_end(ap);
    c->failed = 1;
    return -1;
}

/* The index of word in a NULL-terminated list, or -1. */
static int dt_sweep__index(const char *word, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(word, names[i]) == 0) return i;
    return -1;
}

/* "a, b, c" from a NULL-terminated list (n < 0) or from n names, into b. */
static void dt_sweep__join(dt_buf *b, const char *const *names, int n, const char *sep)
{
    dt_buf_add(b, "", 0);
    for (int i = 0; n < 0 ? names[i] != NULL : i < n; i++)
        dt_buf_printf(b, "%s%s", i ? sep : "", names[i]);
}

/* dt_nearest, plus one swap of neighbouring letters ("sapce"), which plain edit
 * distance counts as two edits and so misses in short words. */
static const char *dt_sweep__near(const char *word, const char *const *names, int n)
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
        if (!is_word && (dt_parse_long(v, &x) < 0 || x < k->min || x > k->max))
            return dt_errf(err, "%s must be %s%sa whole number of at least %.0f, not '%s'", k->name,
                           word ? word : "", word ? " or " : "", k->min, v);
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
    case DT_SWEEP__DURATION:
        if (dt_parse_duration(v, (double *)field) < 0)
            return dt_errf(err, "%s '%s' is not a duration; write 90s, 15m, 2h or 1d", k->name, v);
        return 0;
    case DT_SWEEP__BOOL: {
        int b = dt_parse_bool(v);
        if (b < 0) return dt_errf(err, "%s '%s' is neither yes nor no", k->name, v);
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
    if (!*value) return 1;   /* "weights =": left at its default */
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

/* ---- Validation: what needs the whole file, the base cfg, the .data or the program. */

/* The line of the sweep's key, or its section's header line when the key is absent. */
static int dt_sweep__key_line(dt_sweep__ctx *c, int sec, const char *key)
{
    int line = dt_sweep_line(c->sw, dt_sweep__sections[sec].name, key);
    return line ? line : c->header[sec];
}

/* Refuses a required key that has no value. */
static int dt_sweep__need(dt_sweep__ctx *c, int sec, const char *key, const char *value)
{
    const char *s = dt_sweep__sections[sec].name;
    int line = dt_sweep_line(c->sw, s, key);
    if (value) return 0;
    if (line) return dt_sweep__fail(c, line, "%s needs a value", key);
    if (c->header[sec]) return dt_sweep__fail(c, c->header[sec], "[%s] needs '%s'", s, key);
    return dt_sweep__fail(c, 0, "no [%s] section (it needs '%s')", s, key);
}

/* [study]: the name, then output and storage made absolute (defaults derived from the name). */
static int dt_sweep__check_study(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    if (dt_sweep__need(c, DT_SWEEP__STUDY, "name", sw->name) < 0) return -1;
    size_t ok = strspn(sw->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
    if (sw->name[ok] || sw->name[0] == '.')   /* the name becomes a folder under runs/ */
        return dt_sweep__fail(c, dt_sweep_line(sw, "study", "name"),
                              "name '%s' may hold only letters, digits, '-', '_' and '.' (not first)", sw->name);
    char *out = sw->output ? dt_xstrdup(sw->output) : dt_xasprintf("runs/%s", sw->name);
    free(sw->output);
    sw->output = dt_path_join(sw->dir, out);
    free(out);
    if (!sw->storage) {
        sw->storage = dt_path_join(sw->output, "study.db");
    } else if (strncmp(sw->storage, "postgresql://", 13) == 0 || strncmp(sw->storage, "postgres://", 11) == 0) {
        return dt_sweep__fail(c, dt_sweep_line(sw, "study", "storage"),
                              "storage '%s' is not available yet; use a file (SQLite)", sw->storage);
    } else {
        char *abs = dt_path_join(sw->dir, sw->storage);
        free(sw->storage);
        sw->storage = abs;
    }
    return 0;
}

/* Values the contract names but this build cannot run yet, and pruner bounds. */
static int dt_sweep__check_available(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    int pline = dt_sweep__key_line(c, DT_SWEEP__PRUNER, "type");
    int wline = dt_sweep_line(sw, "pruner", "wrap");
    if (sw->pruner.kind == DT_PRUNER_PATIENCE && !dt_sweep_line(sw, "pruner", "patience"))
        return dt_sweep__fail(c, pline, "pruner patience needs patience = N (iterations without improvement)");
    if (wline && sw->pruner.kind != DT_PRUNER_PATIENCE)
        return dt_sweep__fail(c, wline, "wrap applies to type = patience only");
    if (sw->pruner.wrap == DT_PRUNER_PATIENCE)
        return dt_sweep__fail(c, wline, "patience cannot wrap patience");
    if (dt_sweep_line(sw, "pruner", "patience") && sw->pruner.kind != DT_PRUNER_PATIENCE)
        return dt_sweep__fail(c, dt_sweep_line(sw, "pruner", "patience"),
                              "patience applies to type = patience (wrap = %s to keep this pruner)",
                              dt_pruner_name(sw->pruner.kind));
    /* threshold needs a bound, whether it runs alone or inside patience. */
    dt_pruner_kind bounds = sw->pruner.kind == DT_PRUNER_PATIENCE ? sw->pruner.wrap : sw->pruner.kind;
    if (sw->pruner.kind == DT_PRUNER_PATIENCE && wline) pline = wline;
    if (bounds == DT_PRUNER_THRESHOLD && isnan(sw->pruner.lower) && isnan(sw->pruner.upper))
        return dt_sweep__fail(c, pline, "pruner threshold needs lower, upper or both");
    if (!isnan(sw->pruner.lower) && !isnan(sw->pruner.upper) && sw->pruner.lower >= sw->pruner.upper)
        return dt_sweep__fail(c, dt_sweep_line(sw, "pruner", "upper"), "upper %g must be above lower %g",
                              sw->pruner.upper, sw->pruner.lower);
    return 0;
}

/* Makes *path absolute against the sweep's folder; key names it in the message when
 * the file is not there. */
static int dt_sweep__file(dt_sweep__ctx *c, const char *key, char **path)
{
    if (!*path) return 0;
    char *abs = dt_path_join(c->sw->dir, *path);
    if (!dt_file_exists(abs)) {
        dt_sweep__fail(c, dt_sweep_line(c->sw, "darknet", key), "%s file '%s' not found (looked for %s)", key,
                       *path, abs);
        free(abs);
        return -1;
    }
    free(*path);
    *path = abs;
    return 0;
}

/* 1 when the cfg has a section called name. */
static int dt_sweep__has_section(const dt_cfg *cfg, const char *name)
{
    for (int i = 0; i < dt_cfg_nsections(cfg); i++)
        if (strcmp(dt_cfg_section(cfg, i), name) == 0) return 1;
    return 0;
}

/* data, cfg and weights exist; the base cfg reads as a Darknet cfg with a [net]. */
static int dt_sweep__check_files(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    if (dt_sweep__need(c, DT_SWEEP__DARKNET, "data", sw->data) < 0 ||
        dt_sweep__need(c, DT_SWEEP__DARKNET, "cfg", sw->cfg) < 0)
        return -1;
    if (dt_sweep__file(c, "data", &sw->data) < 0 || dt_sweep__file(c, "cfg", &sw->cfg) < 0 ||
        dt_sweep__file(c, "weights", &sw->weights) < 0)
        return -1;
    int line = dt_sweep_line(sw, "darknet", "cfg");
    dt_err e;
    if (dt_cfg_read(&c->cfg, sw->cfg, &e) < 0) return dt_sweep__fail(c, line, "%s", e.msg);
    if (!dt_sweep__has_section(c->cfg, "net") && !dt_sweep__has_section(c->cfg, "network"))
        return dt_sweep__fail(c, line, "the base cfg has no [net] section");
    return 0;
}

/* Checks one command template: known placeholders, {cfg} and {data} when needed,
 * a program that exists. *prog gets that program's path (caller frees). */
static int dt_sweep__check_command(dt_sweep__ctx *c, const char *key, const char *cmd, int needs_files,
                                   char **prog)
{
    int line = dt_sweep_line(c->sw, "darknet", key);
    int n = DT_PH_COUNT;
    for (const char *s = strchr(cmd, '{'); s; s = strchr(s, '{')) {
        const char *close = strchr(s, '}');
        if (!close) return dt_sweep__fail(c, line, "unclosed '{' in %s", key);
        char *name = dt_xstrdup(s + 1);
        name[close - s - 1] = '\0';
        int known = 0;
        for (int i = 0; i < n; i++) known |= strcmp(name, dt_placeholder_names[i]) == 0;
        const char *hint = known ? NULL : dt_sweep__near(name, dt_placeholder_names, n);
        if (!known && hint)
            dt_sweep__fail(c, line, "unknown placeholder {%s} in %s; did you mean {%s}?", name, key, hint);
        else if (!known) dt_sweep__fail(c, line, "unknown placeholder {%s} in %s (known: %s)", name, key,
                                        dt_placeholder_list);
        free(name);
        if (!known) return -1;
        s = close + 1;
    }
    if (needs_files && (!strstr(cmd, "{cfg}") || !strstr(cmd, "{data}")))
        return dt_sweep__fail(c, line, "%s must pass {cfg} and {data}, the trial's own copies", key);
    size_t len = strcspn(cmd, " \t");
    char *word = dt_xstrdup(cmd);
    word[len] = '\0';
    if (!len || strchr(word, '{')) {
        free(word);
        return dt_sweep__fail(c, line, "%s must start with a program, not a placeholder", key);
    }
    /* A relative path with a '/' means the sweep's folder, where the commands run. */
    char *path = strchr(word, '/') ? dt_path_join(c->sw->dir, word) : dt_xstrdup(word);
    *prog = dt_which(path);
    if (!*prog)
        dt_sweep__fail(c, line, "program '%s' not found%s", word,
                       strchr(word, '/') ? " (relative to the sweep's folder)" : " in PATH");
    free(path);
    free(word);
    return *prog ? 0 : -1;
}

/* runner = exec: the commands, their programs, and the fork when it is auto. */
static int dt_sweep__check_exec(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    char *prog = NULL, *eval_prog = NULL;
    int need = sw->runner == DT_RUNNER_EXEC ? dt_sweep__need(c, DT_SWEEP__DARKNET, "command", sw->command) : 0;
    if (need < 0) return -1;
    if (sw->command && dt_sweep__check_command(c, "command", sw->command, 1, &prog) < 0) return -1;
    if (sw->eval_command && dt_sweep__check_command(c, "eval_command", sw->eval_command, 0, &eval_prog) < 0) {
        free(prog);
        return -1;
    }
    if ((int)sw->fork == DT_SWEEP__FORK_AUTO) sw->fork = prog ? dt_fork_detect(prog) : DT_FORK_PJREDDIE;
    free(prog);
    free(eval_prog);
    return 0;
}

/* runner = table: the table file exists and loads (its own FILE:LINE in the message),
 * the metric is one it recorded, eval_interval is the table's (its default), and
 * each parameter it records has a value in every trial: from [space], the base
 * cfg or Darknet's defaults. */
static int dt_sweep__check_table(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    int line = dt_sweep_line(sw, "darknet", "table");
    if (sw->runner != DT_RUNNER_TABLE) {
        if (line) return dt_sweep__fail(c, line, "table applies to runner = table only");
        return 0;
    }
    if (dt_sweep__need(c, DT_SWEEP__DARKNET, "table", sw->table) < 0 || dt_sweep__file(c, "table", &sw->table) < 0)
        return -1;
    dt_table *t;
    dt_err e;
    if (dt_table_load(&t, sw->table, &e) != 0) return dt_sweep__fail(c, line, "bad table: %s", e.msg);
    int rc = 0, mline = dt_sweep_line(sw, "study", "metric");
    if (mline && sw->metric != DT_METRIC_TOP1 && sw->metric != DT_METRIC_LOSS)
        rc = dt_sweep__fail(c, mline, "runner table replays top-1 and loss; metric %s was not recorded",
                            dt_metric_name(sw->metric));
    int eline = dt_sweep_line(sw, "darknet", "eval_interval");
    if (rc == 0 && !eline) sw->eval_interval = dt_table_eval_interval(t);
    else if (rc == 0 && sw->eval_interval != dt_table_eval_interval(t))
        rc = dt_sweep__fail(c, eline, "eval_interval %ld differs from the table's %ld (runner table replays the "
                            "recorded evaluations)", sw->eval_interval, dt_table_eval_interval(t));
    for (int j = 0; j < dt_table_nparams(t) && rc == 0; j++) {
        const char *name = dt_table_param(t, j, NULL);
        int k = dt_space_find(&sw->space, name);
        /* A conditional parameter falls back to the base cfg when inactive. */
        if (k >= 0 && !sw->space.p[k].cond_key) continue;
        if (dt_cfg_get(c->cfg, "net", name, NULL) || dt_cfg_net_default(name)) continue;
        rc = dt_sweep__fail(c, line, "the table records '%s', which neither [space] nor the base cfg sets and "
                            "Darknet has no default for", name);
    }
    dt_table_free(t);
    return rc;
}

/* 1 when the cfg ends in a detection layer, so that the task can default to it. */
static int dt_sweep__is_detector(const dt_cfg *cfg)
{
    static const char *const heads[] = {"yolo", "region", "detection", "Gaussian_yolo", NULL};
    for (int i = 0; i < dt_cfg_nsections(cfg); i++)
        if (dt_sweep__index(dt_cfg_section(cfg, i), heads) >= 0) return 1;
    return 0;
}

/* task, metric, direction, pruner `on` and max_batches: defaults and their combinations. */
static int dt_sweep__check_objective(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    if (!dt_sweep_line(sw, "darknet", "task"))
        sw->task = dt_sweep__is_detector(c->cfg) ? DT_TASK_DETECTOR : DT_TASK_CLASSIFIER;
    int detector = sw->task == DT_TASK_DETECTOR;
    int mline = dt_sweep_line(sw, "study", "metric");
    if (!mline) sw->metric = detector ? DT_METRIC_MAP50 : DT_METRIC_TOP1;
    else if (detector && (sw->metric == DT_METRIC_TOP1 || sw->metric == DT_METRIC_TOP5))
        return dt_sweep__fail(c, mline, "metric %s does not apply to task detector; use map50 or loss",
                              dt_metric_name(sw->metric));
    else if (!detector && sw->metric == DT_METRIC_MAP50)
        return dt_sweep__fail(c, mline, "metric map50 does not apply to task classifier; use top1, top5 or loss");

    int higher = sw->metric != DT_METRIC_LOSS;   /* accuracies grow, losses shrink */
    int dline = dt_sweep_line(sw, "study", "direction");
    if (!dline) sw->maximize = higher;
    else if (sw->maximize != higher)
        return dt_sweep__fail(c, dline, "direction %s does not fit metric %s (%s is better)",
                              dt_sweep__directions[sw->maximize], dt_metric_name(sw->metric),
                              higher ? "higher" : "lower");

    /* A metric during training: periodic validation, or AlexeyAB/hank-ai detectors run with -map. */
    int periodic = sw->runner == DT_RUNNER_LIBDARKNET || sw->runner == DT_RUNNER_TABLE
                       ? sw->eval_interval > 0
                       : sw->fork != DT_FORK_PJREDDIE && detector && sw->command && strstr(sw->command, "-map");
    int oline = dt_sweep_line(sw, "pruner", "on");
    if (!oline) sw->pruner.on_loss = sw->metric == DT_METRIC_LOSS || !periodic;
    else if (!sw->pruner.on_loss && sw->metric != DT_METRIC_LOSS && !periodic && sw->pruner.kind != DT_PRUNER_NONE)
        return dt_sweep__fail(c, oline, "on = metric, but no metric is reported during training; set "
                              "eval_interval or use on = loss");

    const char *v = dt_cfg_get(c->cfg, "net", "max_batches", NULL);
    if (!v || dt_parse_long(v, &sw->base_max_batches) < 0 || sw->base_max_batches < 1) sw->base_max_batches = 0;
    v = dt_cfg_get(c->cfg, "net", "burn_in", NULL);
    if (!v || dt_parse_long(v, &sw->base_burn_in) < 0 || sw->base_burn_in < 0) sw->base_burn_in = 0;
    if (!dt_sweep_line(sw, "darknet", "max_batches")) {
        if (!sw->base_max_batches)
            return dt_sweep__fail(c, c->header[DT_SWEEP__DARKNET], "max_batches is set neither here nor in "
                                  "the base cfg's [net]");
        sw->max_batches = sw->base_max_batches;
    }
    return 0;
}

/* Finds a list named in the .data file: beside the .data first, then in the sweep's
 * folder (where the commands run), then in the current folder. Caller frees. */
char *dt_sweep_data_path(const dt_sweep *sw, const char *rel)
{
    char *ddir = dt_dirname(sw->data);
    const char *dirs[] = {ddir, sw->dir, "."};
    char *found = NULL;
    for (int i = 0; i < 3 && !found; i++) {
        char *p = dt_path_join(dirs[i], rel);
        if (dt_file_exists(p)) found = dt_abspath(p);
        free(p);
    }
    free(ddir);
    return found;
}

/* The .data file's train list, and its valid list when a metric will be read. */
static int dt_sweep__check_data(dt_sweep__ctx *c)
{
    dt_sweep *sw = c->sw;
    int line = dt_sweep_line(sw, "darknet", "data");
    dt_cfg *d;
    dt_err e;
    if (dt_cfg_read(&d, sw->data, &e) < 0) return dt_sweep__fail(c, line, "%s", e.msg);
    int eval = sw->metric != DT_METRIC_LOSS || sw->eval_interval > 0;
    /* In-process, darktune reads the images itself: a classifier needs the labels
     * too; a detector its classes (boxes come from the label files) and names. */
    int inproc = sw->runner == DT_RUNNER_LIBDARKNET, detector = sw->task == DT_TASK_DETECTOR;
    const char *names = detector && !dt_cfg_get(d, "", "names", NULL) ? "labels" : "names";
    const char *keys[] = {"train", eval ? "valid" : NULL, inproc ? (detector ? names : "labels") : NULL};
    int rc = 0;
    if (inproc && detector) {
        const char *v = dt_cfg_get(d, "", "classes", NULL);
        long classes;
        if (!v)
            rc = dt_sweep__fail(c, line, "runner libdarknet trains a detector on %s's 'classes', but it has none",
                                dt_basename(sw->data));
        else if (dt_parse_long(v, &classes) != 0 || classes < 1)
            rc = dt_sweep__fail(c, line, "%s: classes = '%s' is not a whole number >= 1", dt_basename(sw->data), v);
    }
    for (int i = 0; i < 3 && rc == 0; i++) {
        if (!keys[i]) continue;
        int dline;
        const char *rel = dt_cfg_get(d, "", keys[i], &dline);
        char *found = rel ? dt_sweep_data_path(sw, rel) : NULL;
        if (!rel && i == 0)
            rc = dt_sweep__fail(c, line, "%s has no 'train' list", dt_basename(sw->data));
        else if (!rel && i == 1)
            rc = dt_sweep__fail(c, line, "metric %s needs a validation list, but %s has no 'valid'",
                                dt_metric_name(sw->metric), dt_basename(sw->data));
        else if (!rel)
            rc = dt_sweep__fail(c, line, "runner libdarknet needs the class names, but %s has no '%s'",
                                dt_basename(sw->data), detector ? "names" : "labels");
        else if (!found)
            rc = dt_sweep__fail(c, line, "cannot find '%s', the %s list of %s (line %d)", rel, keys[i],
                                dt_basename(sw->data), dline);
        free(found);
    }
    dt_cfg_free(d);
    return rc;
}

/* How many texts of a parameter the checks look at: its fixed text, each choice,
 * or the two bounds of a numeric range. */
static int dt_sweep__ntexts(const dt_param *p)
{
    return p->kind == DT_FIXED || p->kind == DT_CHOICE ? p->nchoices : 2;
}

/* The i-th of those texts (i < dt_sweep__ntexts(p)), into buf. */
static void dt_sweep__text(const dt_param *p, int i, char *buf, size_t n)
{
    if (p->kind == DT_FIXED || p->kind == DT_CHOICE) snprintf(buf, n, "%s", p->choices[i]);
    else snprintf(buf, n, "%.17g", i ? p->high : p->low);
}

/* One [space] parameter against Darknet: a field the fork reads, inside its range,
 * and, for policy, a policy the fork knows. */
static int dt_sweep__check_param(dt_sweep__ctx *c, const dt_param *p)
{
    int fork = c->sw->fork;
    if (strcmp(p->name, "max_batches") == 0)
        return dt_sweep__fail(c, p->line, "max_batches is set in [darknet] (the budget of each trial), "
                              "not in [space]");
    if (!dt_cfg_net_key_known(fork, p->name)) {
        const char *const *keys;
        int n = dt_cfg_net_keys(fork, &keys);
        const char *hint = dt_sweep__near(p->name, keys, n);
        if (hint)
            return dt_sweep__fail(c, p->line, "'%s' is not a [net] field Darknet reads; did you mean '%s'?",
                                  p->name, hint);
        if (fork == DT_FORK_PJREDDIE && dt_cfg_net_key_known(DT_FORK_ALEXEYAB, p->name))
            return dt_sweep__fail(c, p->line, "'%s' is not a [net] field %s reads (only AlexeyAB's and "
                                  "hank-ai's do)", p->name, dt_fork_words(fork));
        return dt_sweep__fail(c, p->line, "'%s' is not a [net] field %s reads", p->name,
                              dt_fork_words(fork));
    }
    char text[DT_TEXT];
    const dt_net_range *g = dt_net_range_of(p->name);
    if (g && g->whole && (p->kind == DT_UNIFORM || p->kind == DT_LOG))
        return dt_sweep__fail(c, p->line, "%s takes whole numbers; use int(), logint() or choice()", p->name);
    for (int i = 0; g && i < dt_sweep__ntexts(p); i++) {
        double x;
        dt_sweep__text(p, i, text, sizeof text);
        if (dt_parse_double(text, &x) < 0 || !isfinite(x))
            return dt_sweep__fail(c, p->line, "%s '%s' is not a number", p->name, text);
        if (!dt_net_range_holds(g, x))
            return dt_sweep__fail(c, p->line, "%s %s is out of range: it must be %s", p->name, text, g->says);
    }
    if (strcmp(p->name, "policy") != 0) return 0;
    for (int i = 0; i < dt_sweep__ntexts(p); i++) {
        dt_sweep__text(p, i, text, sizeof text);
        if (dt_cfg_policy_known(fork, text)) continue;
        const char *const *names;
        dt_buf list = {0};
        dt_sweep__join(&list, names, dt_cfg_policies(fork, &names), ", ");
        dt_sweep__fail(c, p->line, "policy '%s' is not supported by %s; it knows %s", text,
                       dt_fork_words(fork), list.p);
        dt_buf_free(&list);
        return -1;
    }
    return 0;
}

/* Every whole value an integer field (batch, subdivisions) can take: from the space,
 * plus the base cfg's (or Darknet's default 1) when the space leaves it unset in some
 * trials. *line and *file say where to point. Caller frees *vals. */
static int dt_sweep__whole_values(dt_sweep__ctx *c, const char *name, long **vals, int *line, const char **file)
{
    const dt_space *s = &c->sw->space;
    int j = dt_space_find(s, name), n = 0;
    long cap = 1 << 20;   /* more values than that: some trial's batch will not divide anyway */
    *vals = dt_xmalloc(sizeof **vals);
    *line = 0;
    *file = c->sw->path;
    if (j >= 0) {
        const dt_param *p = &s->p[j];
        *line = p->line;
        if (p->kind == DT_INT || p->kind == DT_LOGINT) {
            double step = p->kind == DT_INT && p->step > 0 ? p->step : 1;
            for (double x = p->low; x <= p->high && n < cap; x += step) {
                *vals = dt_xrealloc(*vals, (size_t)(n + 1) * sizeof **vals);
                (*vals)[n++] = (long)x;
            }
        } else {
            char text[DT_TEXT];
            for (int i = 0; i < dt_sweep__ntexts(p); i++) {
                double x;
                dt_sweep__text(p, i, text, sizeof text);
                if (dt_parse_double(text, &x) < 0) continue;   /* refused by the range check already */
                *vals = dt_xrealloc(*vals, (size_t)(n + 1) * sizeof **vals);
                (*vals)[n++] = (long)x;
            }
        }
        if (!p->cond_key) return n;
    }
    int cline = 0;
    const char *v = dt_cfg_get(c->cfg, "net", name, &cline);
    long x = 1;
    if (v && dt_parse_long(v, &x) < 0) x = 1;
    if (!*line) {
        *line = cline;
        *file = c->sw->cfg;
    }
    *vals = dt_xrealloc(*vals, (size_t)(n + 1) * sizeof **vals);
    (*vals)[n++] = x;
    return n;
}

/* Every batch a trial can get must split evenly into every subdivisions it can get. */
static int dt_sweep__check_batch(dt_sweep__ctx *c)
{
    long *b, *s;
    int bline, sline;
    const char *bfile, *sfile;
    int nb = dt_sweep__whole_values(c, "batch", &b, &bline, &bfile);
    int ns = dt_sweep__whole_values(c, "subdivisions", &s, &sline, &sfile);
    int rc = 0;
    for (int i = 0; i < nb && rc == 0; i++)
        for (int k = 0; k < ns && rc == 0; k++)
            if (s[k] > 0 && b[i] % s[k] != 0) {
                /* Blame the tuned one: subdivisions when it is in the space, else batch. */
                int in_space = dt_space_find(&c->sw->space, "subdivisions") >= 0;
                rc = dt_sweep__fail_in(c, in_space ? sfile : bfile, in_space ? sline : bline,
                                       "batch %ld is not divisible by subdivisions %ld", b[i], s[k]);
            }
    free(b);
    free(s);
    return rc;
}

/* Where a [net] field's possible texts come from: the space, else the base cfg. */
typedef struct dt_sweep__source {
    const dt_param *p;   /* in the space, or NULL */
    const char *text;    /* the base cfg's value when p is NULL (NULL: absent) */
    const char *file;
    int line;
} dt_sweep__source;

/* The source of field name. */
static dt_sweep__source dt_sweep__source_of(dt_sweep__ctx *c, const char *name)
{
    dt_sweep__source src = {NULL, NULL, c->sw->path, 0};
    int j = dt_space_find(&c->sw->space, name);
    if (j >= 0) {
        src.p = &c->sw->space.p[j];
        src.line = src.p->line;
    } else {
        src.text = dt_cfg_get(c->cfg, "net", name, &src.line);
        src.file = c->sw->cfg;
    }
    return src;
}

/* How many texts a source can give (0: the field is set nowhere). */
static int dt_sweep__source_n(const dt_sweep__source *src)
{
    return src->p ? dt_sweep__ntexts(src->p) : src->text != NULL;
}

/* The i-th text of a source, into buf. */
static void dt_sweep__source_text(const dt_sweep__source *src, int i, char *buf, size_t n)
{
    if (src->p) dt_sweep__text(src->p, i, buf, n);
    else snprintf(buf, n, "%s", src->text);
}

/* When a trial can run policy steps: its steps fit in max_batches and there are as
 * many scales as steps (Darknet reads past the shorter list otherwise). */
static int dt_sweep__check_steps(dt_sweep__ctx *c)
{
    char text[DT_TEXT], out[1024];
    dt_sweep__source pol = dt_sweep__source_of(c, "policy");
    int steps_possible = 0;
    for (int i = 0; i < dt_sweep__source_n(&pol); i++) {
        dt_sweep__source_text(&pol, i, text, sizeof text);
        steps_possible |= strcmp(text, "steps") == 0;
    }
    if (!steps_possible) return 0;
    dt_sweep__source st = dt_sweep__source_of(c, "steps"), sc = dt_sweep__source_of(c, "scales");
    if (!dt_sweep__source_n(&st) || !dt_sweep__source_n(&sc))
        return dt_sweep__fail_in(c, pol.file, pol.line, "policy steps needs steps and scales (in [space] or the "
                                 "base cfg)");
    int nsteps = -1;
    for (int i = 0; i < dt_sweep__source_n(&st); i++) {
        dt_err e;
        dt_sweep__source_text(&st, i, text, sizeof text);
        /* The base cfg's steps count its own iterations; scaled, they shrink with the trial. */
        long limit = c->sw->max_batches;
        if (!st.p && dt_sweep_schedule_scale(c->sw) < 1) limit = c->sw->base_max_batches;
        if (dt_cfg_steps_to_iterations(text, limit, out, sizeof out, &e) < 0)
            return dt_sweep__fail_in(c, st.file, st.line, "%s%s", e.msg,
                                     st.p ? " (steps in [space] count the trial's iterations; fractions such "
                                            "as 0.8, 0.9 follow max_batches)"
                                          : " (with schedule = scaled in [darknet], the base cfg's steps "
                                            "shrink with the trial)");
        int n = 1;
        for (const char *t = text; *t; t++) n += *t == ',';
        if (nsteps >= 0 && n != nsteps)
            return dt_sweep__fail_in(c, st.file, st.line, "steps choices have different counts (%d and %d)",
                                     nsteps, n);
        nsteps = n;
    }
    for (int i = 0; i < dt_sweep__source_n(&sc); i++) {
        dt_sweep__source_text(&sc, i, text, sizeof text);
        int n = 1;
        for (const char *t = text; *t; t++) n += *t == ',';
        if (n != nsteps)
            return dt_sweep__fail_in(c, sc.file, sc.line, "steps has %d value%s but scales has %d", nsteps,
                                     nsteps == 1 ? "" : "s", n);
    }
    return 0;
}

/* [space] against the fork and the base cfg, then its conditions resolved. */
static int dt_sweep__check_space(dt_sweep__ctx *c)
{
    dt_space *s = &c->sw->space;
    for (int i = 0; i < s->n; i++)
        if (dt_sweep__check_param(c, &s->p[i]) < 0) return -1;
    /* A base cfg policy nobody tunes must still be one the fork knows. */
    dt_sweep__source pol = dt_sweep__source_of(c, "policy");
    if (!pol.p && pol.text && !dt_cfg_policy_known(c->sw->fork, pol.text))
        return dt_sweep__fail_in(c, pol.file, pol.line, "policy '%s' is not supported by %s", pol.text,
                                 dt_fork_words(c->sw->fork));
    for (int i = 0; i < c->nconds; i++) {
        const char *key = c->conds[i].key;
        if (dt_space_find(s, key) >= 0) continue;
        const char **names = dt_xmalloc((size_t)(s->n + 1) * sizeof *names);
        for (int k = 0; k < s->n; k++) names[k] = s->p[k].name;
        const char *hint = dt_sweep__near(key, names, s->n);
        if (hint)
            dt_sweep__fail(c, c->conds[i].line,
                           "[%s] depends on '%s', which is not in [space]; did you mean '%s'?",
                           c->conds[i].section, key, hint);
        else
            dt_sweep__fail(c, c->conds[i].line, "[%s] depends on '%s', which is not in [space]",
                           c->conds[i].section, key);
        free(names);
        return -1;
    }
    dt_err e;
    if (dt_space_resolve(s, &e) < 0) {
        return dt_sweep__fail(c, e.line, "%s", e.msg);
    }
    if (dt_sweep__check_batch(c) < 0 || dt_sweep__check_steps(c) < 0) return -1;
    return 0;
}

/* ---- Public. */

/* Defaults from the tables, then inih with the reader and handler above, then the
 * checks in an order where each can rely on what the earlier ones settled. */
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

    c.f = fopen(path, "r");
    if (!c.f) {
        dt_errf(err, "cannot open '%s': %s", path, strerror(errno));
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
    int rc = ini_parse_stream(dt_sweep__read, &c, dt_sweep__on_key, &c);
    fclose(c.f);
    if (!c.failed && rc > 0)
        dt_sweep__fail(&c, rc, "cannot read this line: expected [section], key = value, or a comment");
    else if (!c.failed && rc != 0)
        dt_sweep__fail(&c, 0, "cannot read the file (inih error %d)", rc);

    if (!c.failed && (dt_sweep__check_study(&c) < 0 || dt_sweep__check_files(&c) < 0 ||
                      dt_sweep__check_available(&c) < 0 || dt_sweep__check_exec(&c) < 0 ||
                      dt_sweep__check_table(&c) < 0 ||
                      dt_sweep__check_objective(&c) < 0 || dt_sweep__check_data(&c) < 0 ||
                      dt_sweep__check_space(&c) < 0))
        c.failed = 1;
    if (!c.failed) dt_sweep_resolve_sampler(sw);

    dt_cfg_free(c.cfg);
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

/* [sampler] type = auto, following the practitioners' rules of thumb that
 * ../shared/TUNING-GUIDE.md collects (in our words):
 * - a grid only pays when it is small: one or two parameters, or every tuned parameter
 *   discrete (choices, integers: the grid is the space itself), and the whole grid
 *   fits in the budget; past about a hundred configurations random covers more;
 * - a model of the results needs data: under about 20 trials, random;
 * - otherwise TPE (it helps most with many parameters, and beats random on fewer).
 * The budget counts the trials the sampler fills: the baseline takes one. */
void dt_sweep_resolve_sampler(dt_sweep *sw)
{
    if (sw->sampler.kind != DT_SAMPLER_AUTO && !sw->sampler_auto) return;
    sw->sampler_auto = 1;
    int tuned = dt_space_tuned(&sw->space), discrete = 1;
    for (int i = 0; i < sw->space.n; i++) {
        dt_kind k = sw->space.p[i].kind;
        if (k == DT_UNIFORM || k == DT_LOG) discrete = 0;
    }
    long budget = (long)sw->trials - (sw->baseline ? 1 : 0), rows = 0;
    const char *s = tuned == 1 ? "" : "s";
    dt_value *grid = NULL;
    dt_err e;
    if (budget >= 1 && (discrete || tuned <= 2) &&
        dt_space_grid(&sw->space, sw->sampler.grid_points, budget < 100000 ? budget : 100000, &grid, &rows, &e) == 0) {
        free(grid);
        sw->sampler.kind = DT_SAMPLER_GRID;
        snprintf(sw->sampler_why, sizeof sw->sampler_why,
                 "%d parameter%s, a grid of %ld fits in %ld trials: try every configuration", tuned, s, rows,
                 budget);
    } else if (sw->trials < 20) {
        sw->sampler.kind = DT_SAMPLER_RANDOM;
        snprintf(sw->sampler_why, sizeof sw->sampler_why,
                 "%d parameter%s, %d trials: a model does not pay off under ~20 trials", tuned, s, sw->trials);
    } else {
        sw->sampler.kind = DT_SAMPLER_TPE;
        snprintf(sw->sampler_why, sizeof sw->sampler_why,
                 "%d parameter%s, %d trials: a model pays off past ~20 trials", tuned, s, sw->trials);
    }
}

/* Frees what the sweep owns and zeroes it; a zeroed sweep frees to nothing. */
void dt_sweep_free(dt_sweep *sw)
{
    if (!sw) return;
    char **strs[] = {&sw->path, &sw->dir, &sw->name, &sw->output, &sw->storage, &sw->data, &sw->cfg,
                     &sw->weights, &sw->command, &sw->eval_command, &sw->table};
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
    return o;
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
