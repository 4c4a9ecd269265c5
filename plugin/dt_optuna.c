/* dt_optuna: Optuna journals written from a study and read back into trials (see the
 * header for the format and the mapping). */
#include "dt_optuna.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dt_json.h"

/* The worker_id of every operation written: Optuna compares it only with its own
 * process's (a uuid), so any name that is not one will do, and this one says who. */
#define DT_OPTUNA__WORKER "darktune"

/* Optuna's JournalOperation numbers (optuna/storages/journal/_storage.py). */
enum {
    DT_OP_CREATE_STUDY = 0,
    DT_OP_DELETE_STUDY = 1,
    DT_OP_SET_STUDY_USER_ATTR = 2,
    DT_OP_SET_STUDY_SYSTEM_ATTR = 3,
    DT_OP_CREATE_TRIAL = 4,
    DT_OP_SET_TRIAL_PARAM = 5,
    DT_OP_SET_TRIAL_STATE_VALUES = 6,
    DT_OP_SET_TRIAL_INTERMEDIATE_VALUE = 7,
    DT_OP_SET_TRIAL_USER_ATTR = 8,
    DT_OP_SET_TRIAL_SYSTEM_ATTR = 9,
    DT_OP_DISCARD_TRIALS = 10,   /* Rustuna's; Optuna's own replay skips it */
};

static const char *const dt_optuna__ops[] = {
    "create_study", "delete_study", "set_study_user_attr", "set_study_system_attr", "create_trial",
    "set_trial_param", "set_trial_state_values", "set_trial_intermediate_value", "set_trial_user_attr",
    "set_trial_system_attr", "discard_trials",
};

static const char *const dt_optuna__states[] = {"RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING"};

/* ---- Writing. */

/* Opens one operation's object: {"op_code":N,"worker_id":"darktune" (the caller adds
 * its fields, each starting with a comma, and dt_optuna__end closes it). */
static void dt_optuna__op(dt_buf *b, int code)
{
    dt_buf_printf(b, "{\"op_code\":%d,\"worker_id\":\"" DT_OPTUNA__WORKER "\"", code);
}

static void dt_optuna__end(dt_buf *b)
{
    dt_buf_add(b, "}\n", 2);
}

/* A unix time as Optuna writes datetimes: isoformat(timespec="microseconds") in UTC,
 * "2026-12-06T05:23:04.683797+00:00"; null when unknown (0). */
static void dt_optuna__time(dt_buf *b, double t)
{
    if (!(t > 0)) {
        dt_buf_printf(b, "null");
        return;
    }
    double whole = floor(t);
    long long us = llround((t - whole) * 1e6);
    time_t s = (time_t)whole;
    if (us >= 1000000) s++, us -= 1000000;
    struct tm tm;
    gmtime_r(&s, &tm);
    dt_buf_printf(b, "\"%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00\"", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, us);
}

/* Whether text is a JSON number as written ("32", "-0.5", "1e-3"): then a choice goes
 * into the journal as that number, as Optuna users would write it. */
static int dt_optuna__numeric(const char *text, double *x)
{
    if (!*text || strspn(text, "0123456789+-.eE") != strlen(text)) return 0;
    return dt_parse_double(text, x) == 0 && isfinite(*x);
}

/* A choice's JSON: an integer as an int, another number as a float, a word as a string. */
static void dt_optuna__choice(dt_buf *b, const char *text)
{
    double x;
    if (!dt_optuna__numeric(text, &x)) dt_json_str(b, text);
    else if (strcspn(text, ".eE") == strlen(text) && fabs(x) < 9e15) dt_buf_printf(b, "%lld", (long long)x);
    else dt_json_num(b, x);
}

/* A number for an Optuna int attribute: the integer itself. */
static void dt_optuna__int(dt_buf *b, double x)
{
    dt_buf_printf(b, "%lld", (long long)llround(x));
}

/* The distribution of p as distribution_to_json writes it: json.dumps of {"name",
 * "attributes"} with Python's default separators, attributes in the order the
 * distribution's __dict__ has them. */
static void dt_optuna__put_dist(dt_buf *b, const dt_param *p)
{
    switch (p->kind) {
    case DT_UNIFORM:
    case DT_LOG:
        dt_buf_printf(b, "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": ");
        dt_json_num(b, p->low);
        dt_buf_printf(b, ", \"high\": ");
        dt_json_num(b, p->high);
        dt_buf_printf(b, ", \"log\": %s}}", p->kind == DT_LOG ? "true" : "false");
        break;
    case DT_INT:
    case DT_LOGINT:
        dt_buf_printf(b, "{\"name\": \"IntDistribution\", \"attributes\": {\"log\": %s, \"step\": ",
                      p->kind == DT_LOGINT ? "true" : "false");
        dt_optuna__int(b, p->kind == DT_INT && p->step > 0 ? p->step : 1);
        dt_buf_printf(b, ", \"low\": ");
        dt_optuna__int(b, p->low);
        dt_buf_printf(b, ", \"high\": ");
        dt_optuna__int(b, p->high);
        dt_buf_printf(b, "}}");
        break;
    case DT_CHOICE:
        dt_buf_printf(b, "{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [");
        for (int i = 0; i < p->nchoices; i++) {
            if (i) dt_buf_printf(b, ", ");
            dt_optuna__choice(b, p->choices[i]);
        }
        dt_buf_printf(b, "]}}");
        break;
    case DT_FIXED:
        break;
    }
}

/* Whether v is a value of p's distribution (Optuna's _contains): the baseline's own
 * cfg values need not be. */
static int dt_optuna__holds(const dt_param *p, const dt_value *v)
{
    switch (p->kind) {
    case DT_UNIFORM:
    case DT_LOG:
        return v->num >= p->low && v->num <= p->high;
    case DT_INT:
    case DT_LOGINT: {
        double step = p->kind == DT_INT && p->step > 0 ? p->step : 1;
        return v->num >= p->low && v->num <= p->high && v->num == floor(v->num) && fmod(v->num - p->low, step) == 0;
    }
    case DT_CHOICE:
        return v->idx >= 0 && v->idx < p->nchoices;
    case DT_FIXED:
        return 0;
    }
    return 0;
}

/* One trial's user attribute: {"trial_id":k,"user_attr":{"key":VALUE}}, value from
 * the caller's text (already JSON). */
static void dt_optuna__attr(dt_buf *b, int id, const char *key, const char *json)
{
    dt_optuna__op(b, DT_OP_SET_TRIAL_USER_ATTR);
    dt_buf_printf(b, ",\"trial_id\":%d,\"user_attr\":{", id);
    dt_json_str(b, key);
    dt_buf_printf(b, ":%s}", json);
    dt_optuna__end(b);
}

static void dt_optuna__put_trial(dt_buf *b, const dt_optuna_study *st, const dt_trial *t, const dt_point *pts, int npts)
{
    const dt_space *s = st->space;
    int id = t->number;
    dt_optuna__op(b, DT_OP_CREATE_TRIAL);
    dt_buf_printf(b, ",\"study_id\":0,\"datetime_start\":");
    dt_optuna__time(b, t->started);
    dt_optuna__end(b);

    dt_buf outside = {0}, tmp = {0};
    for (int i = 0; i < s->n; i++) {
        const dt_param *p = &s->p[i];
        const dt_value *v = &t->values[i];
        if (p->kind == DT_FIXED || !v->active) continue;
        if (!dt_optuna__holds(p, v)) {
            dt_buf_add(&outside, outside.len ? ", " : "{", outside.len ? 2 : 1);
            dt_json_str(&outside, p->name);
            dt_buf_add(&outside, ": ", 2);
            dt_json_str(&outside, v->text);
            continue;
        }
        dt_optuna__op(b, DT_OP_SET_TRIAL_PARAM);
        dt_buf_printf(b, ",\"trial_id\":%d,\"param_name\":", id);
        dt_json_str(b, p->name);
        dt_buf_printf(b, ",\"param_value_internal\":");
        if (p->kind == DT_CHOICE) dt_buf_printf(b, "%d", v->idx);
        else dt_json_num(b, v->num);
        dt_buf_printf(b, ",\"distribution\":");
        tmp.len = 0;
        dt_optuna__put_dist(&tmp, p);
        dt_json_str(b, tmp.p);
        dt_optuna__end(b);
    }

    /* What Optuna has no field for, as the objective of a study.optimize would keep it. */
    char num[64];
    if (t->baseline) dt_optuna__attr(b, id, "darktune_baseline", "true");
    snprintf(num, sizeof num, "%ld", t->iterations);
    dt_optuna__attr(b, id, "darktune_iterations", num);
    tmp.len = 0;
    dt_json_num(&tmp, t->seconds);
    dt_optuna__attr(b, id, "darktune_seconds", tmp.p);
    if (t->reason[0]) {
        tmp.len = 0;
        dt_json_str(&tmp, t->reason);
        dt_optuna__attr(b, id, "darktune_reason", tmp.p);
    }
    if (t->fate != DT_FATE_COUNTS) {
        tmp.len = 0;
        dt_json_str(&tmp, dt_fate_name(t->fate));
        dt_optuna__attr(b, id, "darktune_fate", tmp.p);
    }
    if (outside.len) {
        dt_buf_add(&outside, "}", 1);
        dt_optuna__attr(b, id, "darktune_outside_space", outside.p);
    }
    dt_buf_free(&outside);
    dt_buf_free(&tmp);

    /* Of equal steps the last, as Optuna's dict of intermediate values keeps it. */
    for (int i = 0; i < npts && st->nobj < 2; i++) {
        const dt_point *pt = &pts[i];
        if (pt->kind != st->series) continue;
        int later = 0;
        for (int j = i + 1; j < npts && !later; j++) later = pts[j].kind == st->series && pts[j].step == pt->step;
        if (later) continue;
        dt_optuna__op(b, DT_OP_SET_TRIAL_INTERMEDIATE_VALUE);
        dt_buf_printf(b, ",\"trial_id\":%d,\"step\":%ld,\"intermediate_value\":", id, pt->step);
        dt_json_num(b, pt->value);
        dt_optuna__end(b);
    }

    if (t->state == DT_RUNNING) return;
    int state = t->state == DT_COMPLETE ? DT_OPTUNA_COMPLETE
                : t->state == DT_PRUNED ? DT_OPTUNA_PRUNED
                                        : DT_OPTUNA_FAIL;
    dt_optuna__op(b, DT_OP_SET_TRIAL_STATE_VALUES);
    dt_buf_printf(b, ",\"trial_id\":%d,\"state\":%d,\"values\":", id, state);
    /* Optuna keeps no value for a failed trial, nor a NaN one (a diverged trial); with
     * several objectives, a trial has all its values or none (a pruned one none). */
    int nv = st->nobj > 1 ? st->nobj : 1, ok = state != DT_OPTUNA_FAIL;
    double v[DT_OBJ_MAX];
    for (int j = 0; j < nv; j++) {
        v[j] = st->nobj > 1 ? dt_trial_objective(t, &st->obj[j]) : t->value;
        ok &= isfinite(v[j]) && (st->nobj < 2 || state == DT_OPTUNA_COMPLETE);
    }
    if (!ok) {
        dt_buf_printf(b, "null");
    } else {
        dt_buf_add(b, "[", 1);
        for (int j = 0; j < nv; j++) {
            if (j) dt_buf_add(b, ",", 1);
            dt_json_num(b, v[j]);
        }
        dt_buf_add(b, "]", 1);
    }
    dt_buf_printf(b, ",\"datetime_complete\":");
    dt_optuna__time(b, t->finished > 0 ? t->finished : t->started > 0 ? t->started + t->seconds : 0);
    dt_optuna__end(b);
}

int dt_optuna_write(dt_buf *out, const dt_optuna_study *st, const dt_trial *trials, int n, dt_point *const *pts,
                    const int *npts, dt_err *err)
{
    for (int i = 0; i < n; i++)
        if (trials[i].number != i)
            return dt_errf(err, "trial %d is number %d of the study: Optuna numbers trials 0, 1, 2, ... as they are "
                           "created, so a journal cannot hold these numbers", trials[i].number, i);
    dt_optuna__op(out, DT_OP_CREATE_STUDY);
    dt_buf_printf(out, ",\"study_name\":");
    dt_json_str(out, st->name);
    if (st->nobj > 1) {
        dt_buf_printf(out, ",\"directions\":[");
        for (int j = 0; j < st->nobj; j++)
            dt_buf_printf(out, "%s%d", j ? "," : "", st->obj[j].maximize ? DT_OPTUNA_MAXIMIZE : DT_OPTUNA_MINIMIZE);
        dt_buf_add(out, "]", 1);
    } else {
        dt_buf_printf(out, ",\"directions\":[%d]", st->maximize ? DT_OPTUNA_MAXIMIZE : DT_OPTUNA_MINIMIZE);
    }
    dt_optuna__end(out);
    const char *attrs[][2] = {{"darktune_metric", st->metric},
                              {"darktune_intermediate_values", st->nobj > 1 ? NULL : st->series_name},
                              {"darktune_objectives", st->nobj > 1 ? st->objectives : NULL}};
    for (int i = 0; i < 3; i++) {
        if (!attrs[i][1]) continue;
        dt_optuna__op(out, DT_OP_SET_STUDY_USER_ATTR);
        dt_buf_printf(out, ",\"study_id\":0,\"user_attr\":{");
        dt_json_str(out, attrs[i][0]);
        dt_buf_add(out, ":", 1);
        dt_json_str(out, attrs[i][1]);
        dt_buf_add(out, "}", 1);
        dt_optuna__end(out);
    }
    for (int i = 0; i < n; i++) dt_optuna__put_trial(out, st, &trials[i], pts ? pts[i] : NULL, npts ? npts[i] : 0);
    return 0;
}

/* ---- Reading: the replay. */

typedef enum { DT_OPTUNA__FLOAT, DT_OPTUNA__INT, DT_OPTUNA__CAT } dt_optuna__family;

/* A distribution as Optuna builds it from its JSON; cls keeps the class (Optuna's
 * compatibility check compares classes, and the old names are classes of their own). */
typedef struct dt_optuna__dist {
    int cls;                 /* index in dt_optuna__classes */
    dt_optuna__family family;
    double low, high, step;  /* FLOAT: step 0 when none */
    int log;
    int nchoices;
    dt_json *choices;        /* CAT: an array (owned) */
} dt_optuna__dist;

typedef struct dt_optuna__param {
    char *name;
    dt_optuna__dist dist;
    double internal;         /* Optuna's internal representation (a choice's index) */
} dt_optuna__param;

typedef struct dt_optuna__trial {
    int study, number, state;
    int line;                /* where it was created */
    dt_json *values;         /* an array of numbers, or NULL (owned) */
    double value;            /* create_trial's single value; NAN none */
    dt_optuna__param *params;
    int np;
    long long *steps;        /* intermediate values, by step */
    double *ivals;
    int ni;
} dt_optuna__trial;

/* The first trial (position in the study) that has a parameter: Optuna checks each new
 * parameter's distribution against that trial's. */
typedef struct dt_optuna__first {
    char *name;
    int pos;
} dt_optuna__first;

typedef struct dt_optuna__study {
    char *name;
    int line;
    int alive;               /* not deleted */
    dt_json *directions;     /* owned */
    int *trials;             /* trial ids in creation order: position = number */
    int nt;
    dt_optuna__first *firsts;
    int nfirsts;
} dt_optuna__study;

typedef struct dt_optuna__replay {
    const char *file;
    int line;
    dt_err *err;
    dt_optuna__study *studies;
    int ns;
    dt_optuna__trial *trials;
    int nt;
} dt_optuna__replay;

/* Optuna's distribution classes (the old names are classes of their own): each one's
 * family, whether it is log-scaled (-1: its "log" attribute says), and the attribute that
 * holds its step, with the step's default (NAN: none) and whether it must be given.
 * Their other keyword arguments are low and high, both required. */
static const struct dt_optuna__class {
    const char *name;
    dt_optuna__family family;
    int log;
    const char *step;
    double step_default;
    int step_required;
} dt_optuna__classes[] = {
    {"FloatDistribution", DT_OPTUNA__FLOAT, -1, "step", NAN, 0},
    {"UniformDistribution", DT_OPTUNA__FLOAT, 0, NULL, NAN, 0},
    {"LogUniformDistribution", DT_OPTUNA__FLOAT, 1, NULL, NAN, 0},
    {"DiscreteUniformDistribution", DT_OPTUNA__FLOAT, 0, "q", NAN, 1},
    {"IntDistribution", DT_OPTUNA__INT, -1, "step", 1, 0},
    {"IntUniformDistribution", DT_OPTUNA__INT, 0, "step", 1, 0},
    {"IntLogUniformDistribution", DT_OPTUNA__INT, 1, "step", 1, 0},
    {"CategoricalDistribution", DT_OPTUNA__CAT, 0, NULL, 0, 0},
};
#define DT_OPTUNA__NCLASSES ((int)(sizeof dt_optuna__classes / sizeof *dt_optuna__classes))
#define DT_OPTUNA__FLOAT_CLASS 0   /* the abbreviated form's classes */
#define DT_OPTUNA__INT_CLASS 4
#define DT_OPTUNA__CAT_CLASS 7

static int dt_optuna__fail(dt_optuna__replay *r, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int dt_optuna__fail(dt_optuna__replay *r, const char *op, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (op) return dt_errf(r->err, "%s:%d: %s: %s", r->file, r->line, op, msg);
    return dt_errf(r->err, "%s:%d: %s", r->file, r->line, msg);
}

static void dt_optuna__dist_free(dt_optuna__dist *d)
{
    dt_json_free(d->choices);
    d->choices = NULL;
}

static void dt_optuna__replay_free(dt_optuna__replay *r)
{
    for (int i = 0; i < r->nt; i++) {
        dt_optuna__trial *t = &r->trials[i];
        for (int k = 0; k < t->np; k++) {
            free(t->params[k].name);
            dt_optuna__dist_free(&t->params[k].dist);
        }
        free(t->params);
        free(t->steps);
        free(t->ivals);
        dt_json_free(t->values);
    }
    free(r->trials);
    for (int i = 0; i < r->ns; i++) {
        dt_optuna__study *s = &r->studies[i];
        free(s->name);
        free(s->trials);
        dt_json_free(s->directions);
        for (int k = 0; k < s->nfirsts; k++) free(s->firsts[k].name);
        free(s->firsts);
    }
    free(r->studies);
}

/* A deep copy of a JSON value (choices and values outlive the line they came from). */
static dt_json *dt_optuna__copy(const dt_json *j)
{
    dt_json *c = dt_xcalloc(1, sizeof *c);
    *c = *j;
    c->str = dt_xstrdup(j->str);
    c->keys = NULL;
    c->items = NULL;
    if (j->n) {
        c->items = dt_xcalloc((size_t)j->n, sizeof *c->items);
        if (j->keys) c->keys = dt_xcalloc((size_t)j->n, sizeof *c->keys);
        for (int i = 0; i < j->n; i++) {
            dt_json *item = dt_optuna__copy(&j->items[i]);
            c->items[i] = *item;
            free(item);
            if (j->keys) c->keys[i] = dt_xstrdup(j->keys[i]);
        }
    }
    return c;
}

/* A field that must be there: NULL with the message otherwise (what Optuna's
 * log["key"] raises KeyError on). */
static const dt_json *dt_optuna__field(dt_optuna__replay *r, const char *op, const dt_json *log, const char *key)
{
    const dt_json *v = dt_json_get(log, key);
    if (!v) dt_optuna__fail(r, op, "no '%s'", key);
    return v;
}

/* An integer field (ids, steps): 0, or -1 with the message. */
static int dt_optuna__intfield(dt_optuna__replay *r, const char *op, const dt_json *log, const char *key,
                               long long *out)
{
    const dt_json *v = dt_optuna__field(r, op, log, key);
    if (!v) return -1;
    if (v->type != DT_JSON_NUM || !isfinite(v->num) || v->num != floor(v->num) || fabs(v->num) > 9e15)
        return dt_optuna__fail(r, op, "'%s' is %s, not an integer", key, dt_json_type_name(v));
    *out = (long long)v->num;
    return 0;
}

/* A datetime field as Optuna reads it: a string (null where allowed). Its text is not
 * checked further: darktune reads no dates. */
static int dt_optuna__timefield(dt_optuna__replay *r, const char *op, const dt_json *log, const char *key,
                                int null_ok)
{
    const dt_json *v = dt_optuna__field(r, op, log, key);
    if (!v) return -1;
    if (v->type == DT_JSON_STR || (null_ok && v->type == DT_JSON_NULL)) return 0;
    return dt_optuna__fail(r, op, "'%s' is %s, not a date and time", key, dt_json_type_name(v));
}

/* A number attribute of a distribution: required ones must be there and not null;
 * others absent or null give def. A boolean reads as 1 or 0 (Python's bool is an int). */
static int dt_optuna__attrnum(dt_optuna__replay *r, const char *op, const dt_json *attrs, const char *key,
                              int required, double def, double *out)
{
    const dt_json *v = dt_json_get(attrs, key);
    if (!v || v->type == DT_JSON_NULL) {
        if (required) return dt_optuna__fail(r, op, "the distribution's '%s' is %s", key, v ? "null" : "missing");
        *out = def;
        return 0;
    }
    if (v->type != DT_JSON_NUM && v->type != DT_JSON_BOOL)
        return dt_optuna__fail(r, op, "the distribution's '%s' is %s, not a number", key, dt_json_type_name(v));
    if (isnan(v->num)) return dt_optuna__fail(r, op, "the distribution's '%s' is NaN", key);
    *out = v->num;
    return 0;
}

/* Whether every key of attrs is a keyword argument of class c: Optuna passes them to the
 * class, and an unknown one is a TypeError. */
static int dt_optuna__allowed(dt_optuna__replay *r, const char *op, const dt_json *attrs,
                              const struct dt_optuna__class *c)
{
    for (int i = 0; i < attrs->n; i++) {
        const char *k = attrs->keys[i];
        int ok = c->family == DT_OPTUNA__CAT ? strcmp(k, "choices") == 0
                                             : strcmp(k, "low") == 0 || strcmp(k, "high") == 0 ||
                                                   (c->log < 0 && strcmp(k, "log") == 0) ||
                                                   (c->step && strcmp(k, c->step) == 0);
        if (!ok) return dt_optuna__fail(r, op, "the distribution has an unknown attribute '%s'", k);
    }
    return 0;
}

/* A float or int distribution's numbers from attrs, as class c reads them. */
static int dt_optuna__numbers(dt_optuna__replay *r, const char *op, const dt_json *attrs,
                              const struct dt_optuna__class *c, dt_optuna__dist *d)
{
    double log = c->log > 0;
    d->step = c->step_default;
    if (dt_optuna__attrnum(r, op, attrs, "low", 1, 0, &d->low) != 0 ||
        dt_optuna__attrnum(r, op, attrs, "high", 1, 0, &d->high) != 0 ||
        (c->log < 0 && dt_optuna__attrnum(r, op, attrs, "log", 0, 0, &log) != 0) ||
        (c->step && dt_optuna__attrnum(r, op, attrs, c->step, c->step_required, c->step_default, &d->step) != 0))
        return -1;
    d->log = log != 0;
    return 0;
}

/* The checks of FloatDistribution's and IntDistribution's constructors, and their
 * lowering of a high that the step does not reach. */
static int dt_optuna__check_dist(dt_optuna__replay *r, const char *op, dt_optuna__dist *d)
{
    if (d->family == DT_OPTUNA__FLOAT) {
        if (d->log && !isnan(d->step)) return dt_optuna__fail(r, op, "a log FloatDistribution cannot have a step");
        if (d->low > d->high)
            return dt_optuna__fail(r, op, "the distribution's low %g is above its high %g", d->low, d->high);
        if (d->log && d->low <= 0)
            return dt_optuna__fail(r, op, "a log FloatDistribution needs low > 0, not %g", d->low);
        if (!isnan(d->step) && d->step <= 0)
            return dt_optuna__fail(r, op, "the distribution's step %g is not above 0", d->step);
        if (isnan(d->step)) d->step = 0;   /* none */
        if (d->step > 0) {
            double k = floor((d->high - d->low) / d->step + 1e-9);
            d->high = d->low + k * d->step;
        }
        return 0;
    }
    d->low = trunc(d->low), d->high = trunc(d->high), d->step = trunc(d->step);
    if (d->log && d->step != 1) return dt_optuna__fail(r, op, "a log IntDistribution needs step 1, not %g", d->step);
    if (d->low > d->high)
        return dt_optuna__fail(r, op, "the distribution's low %g is above its high %g", d->low, d->high);
    if (d->log && d->low < 1) return dt_optuna__fail(r, op, "a log IntDistribution needs low >= 1, not %g", d->low);
    if (d->step <= 0) return dt_optuna__fail(r, op, "the distribution's step %g is not above 0", d->step);
    d->high = d->low + floor((d->high - d->low) / d->step) * d->step;
    return 0;
}

/* A distribution from its JSON text (json_to_distribution: the full form with "name"
 * and "attributes", or the abbreviated one with "type"). */
static int dt_optuna__parse_dist(dt_optuna__replay *r, const char *op, const dt_json *text, dt_optuna__dist *d)
{
    memset(d, 0, sizeof *d);
    if (!text || text->type != DT_JSON_STR)
        return dt_optuna__fail(r, op, "a distribution is %s, not its JSON in a string", dt_json_type_name(text));
    dt_json *j;
    dt_err e;
    if (dt_json_parse(text->str, strlen(text->str), &j, &e) != 0)
        return dt_optuna__fail(r, op, "the distribution is not JSON: %s", e.msg);
    const dt_json *name = dt_json_get(j, "name"), *type = dt_json_get(j, "type"), *attrs = j;
    d->cls = -1;
    int rc = 0;
    if (j->type != DT_JSON_OBJ) {
        rc = dt_optuna__fail(r, op, "the distribution is %s, not an object", dt_json_type_name(j));
    } else if (name) {
        for (int i = 0; i < DT_OPTUNA__NCLASSES && name->type == DT_JSON_STR; i++)
            if (strcmp(name->str, dt_optuna__classes[i].name) == 0) d->cls = i;
        attrs = dt_json_get(j, "attributes");
        if (d->cls < 0)
            rc = name->type == DT_JSON_STR
                     ? dt_optuna__fail(r, op, "unknown distribution class '%s'", name->str)
                     : dt_optuna__fail(r, op, "the distribution's name is %s, not a class", dt_json_type_name(name));
        else if (!attrs || attrs->type != DT_JSON_OBJ)
            rc = dt_optuna__fail(r, op, "the distribution's attributes are %s, not an object",
                                 dt_json_type_name(attrs));
        else
            rc = dt_optuna__allowed(r, op, attrs, &dt_optuna__classes[d->cls]);
    } else if (type && type->type == DT_JSON_STR) {
        /* The abbreviated form, {"type": "float", "low": ...}: its other keys are not checked. */
        d->cls = strcmp(type->str, "float") == 0         ? DT_OPTUNA__FLOAT_CLASS
                 : strcmp(type->str, "int") == 0         ? DT_OPTUNA__INT_CLASS
                 : strcmp(type->str, "categorical") == 0 ? DT_OPTUNA__CAT_CLASS
                                                         : -1;
        if (d->cls < 0) rc = dt_optuna__fail(r, op, "unknown distribution type '%s'", type->str);
    } else {
        rc = dt_optuna__fail(r, op, "the distribution has neither a 'name' nor a 'type'");
    }
    if (rc == 0) {
        const struct dt_optuna__class *c = &dt_optuna__classes[d->cls];
        d->family = c->family;
        if (c->family != DT_OPTUNA__CAT) {
            rc = dt_optuna__numbers(r, op, attrs, c, d);
            if (rc == 0) rc = dt_optuna__check_dist(r, op, d);
        } else {
            const dt_json *choices = dt_json_get(attrs, "choices");
            if (!choices || choices->type != DT_JSON_ARR || choices->n == 0)
                rc = dt_optuna__fail(r, op, "a CategoricalDistribution needs a non-empty array of choices");
            else {
                d->choices = dt_optuna__copy(choices);
                d->nchoices = choices->n;
            }
        }
    }
    dt_json_free(j);
    if (rc != 0) dt_optuna__dist_free(d);
    return rc ? -1 : 0;
}

/* Python's == between two choices (1 == 1.0 == True; NaN equals NaN, as Optuna's
 * _categorical_choice_equal has it). */
static int dt_optuna__same_choice(const dt_json *a, const dt_json *b)
{
    int an = a->type == DT_JSON_NUM || a->type == DT_JSON_BOOL, bn = b->type == DT_JSON_NUM || b->type == DT_JSON_BOOL;
    if (an && bn) return a->num == b->num || (isnan(a->num) && isnan(b->num));
    if (a->type != b->type) return 0;
    if (a->type == DT_JSON_STR) return strcmp(a->str, b->str) == 0;
    if (a->type == DT_JSON_NULL) return 1;
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++) {
        if (a->keys && strcmp(a->keys[i], b->keys[i]) != 0) return 0;
        if (!dt_optuna__same_choice(&a->items[i], &b->items[i])) return 0;
    }
    return 1;
}

/* check_distribution_compatibility: the same class, the same log flag, the same choices. */
static int dt_optuna__compatible(const dt_optuna__dist *old, const dt_optuna__dist *new)
{
    if (old->cls != new->cls) return 0;
    if (old->family != DT_OPTUNA__CAT) return old->log == new->log;
    if (old->nchoices != new->nchoices) return 0;
    for (int i = 0; i < old->nchoices; i++)
        if (!dt_optuna__same_choice(&old->choices->items[i], &new->choices->items[i])) return 0;
    return 1;
}

/* The external value's index check for a categorical (Python's indexing: -1 is the
 * last) and int()'s truncation for an int; 0, or -1 with the message. */
static int dt_optuna__external(dt_optuna__replay *r, const char *op, const dt_optuna__dist *d, double internal)
{
    if (!isfinite(internal))
        return dt_optuna__fail(r, op, "a parameter's internal value %g is not a finite number", internal);
    if (d->family == DT_OPTUNA__CAT) {
        double k = trunc(internal);
        if (k < -d->nchoices || k >= d->nchoices)
            return dt_optuna__fail(r, op, "a parameter's choice index %g is out of range (%d choices)", internal,
                                   d->nchoices);
    }
    return 0;
}

static dt_optuna__study *dt_optuna__study_of(dt_optuna__replay *r, long long id)
{
    return id >= 0 && id < r->ns && r->studies[id].alive ? &r->studies[id] : NULL;
}

/* The trial with this id when Optuna would update it (it exists and is not finished). */
static dt_optuna__trial *dt_optuna__updatable(dt_optuna__replay *r, long long id)
{
    if (id < 0 || id >= r->nt) return NULL;
    dt_optuna__trial *t = &r->trials[id];
    return t->state == DT_OPTUNA_RUNNING || t->state == DT_OPTUNA_WAITING ? t : NULL;
}

/* Sets (or sets again) a parameter of t, taking the distribution. */
static void dt_optuna__set_param(dt_optuna__trial *t, const char *name, dt_optuna__dist *d, double internal)
{
    for (int k = 0; k < t->np; k++)
        if (strcmp(t->params[k].name, name) == 0) {
            dt_optuna__dist_free(&t->params[k].dist);
            t->params[k].dist = *d;
            t->params[k].internal = internal;
            return;
        }
    t->params = dt_xrealloc(t->params, (size_t)(t->np + 1) * sizeof *t->params);
    t->params[t->np++] = (dt_optuna__param){dt_xstrdup(name), *d, internal};
}

static dt_optuna__param *dt_optuna__param_of(dt_optuna__trial *t, const char *name)
{
    for (int k = 0; k < t->np; k++)
        if (strcmp(t->params[k].name, name) == 0) return &t->params[k];
    return NULL;
}

/* Notes that the trial at position pos of s has parameter name (the first such trial
 * is the one whose distribution later ones are checked against). */
static void dt_optuna__note_first(dt_optuna__study *s, const char *name, int pos)
{
    for (int k = 0; k < s->nfirsts; k++)
        if (strcmp(s->firsts[k].name, name) == 0) {
            if (pos < s->firsts[k].pos) s->firsts[k].pos = pos;
            return;
        }
    s->firsts = dt_xrealloc(s->firsts, (size_t)(s->nfirsts + 1) * sizeof *s->firsts);
    s->firsts[s->nfirsts++] = (dt_optuna__first){dt_xstrdup(name), pos};
}

static void dt_optuna__set_intermediate(dt_optuna__trial *t, long long step, double v)
{
    for (int k = 0; k < t->ni; k++)
        if (t->steps[k] == step) {
            t->ivals[k] = v;
            return;
        }
    t->steps = dt_xrealloc(t->steps, (size_t)(t->ni + 1) * sizeof *t->steps);
    t->ivals = dt_xrealloc(t->ivals, (size_t)(t->ni + 1) * sizeof *t->ivals);
    t->steps[t->ni] = step;
    t->ivals[t->ni++] = v;
}

/* A TrialState number: 0, or -1 with the message. */
static int dt_optuna__state(dt_optuna__replay *r, const char *op, const dt_json *v, int *state)
{
    if (!v || v->type != DT_JSON_NUM || v->num != floor(v->num) || v->num < 0 || v->num > 4)
        return dt_optuna__fail(r, op, "'state' is %s, not one of Optuna's trial states 0-4", dt_json_type_name(v));
    *state = (int)v->num;
    return 0;
}

/* A list of values: null, or an array of numbers. */
static int dt_optuna__values(dt_optuna__replay *r, const char *op, const dt_json *v)
{
    if (!v || v->type == DT_JSON_NULL) return 0;
    if (v->type != DT_JSON_ARR)
        return dt_optuna__fail(r, op, "'values' is %s, not a list of numbers", dt_json_type_name(v));
    for (int i = 0; i < v->n; i++)
        if (v->items[i].type != DT_JSON_NUM)
            return dt_optuna__fail(r, op, "value %d is %s, not a number", i, dt_json_type_name(&v->items[i]));
    return 0;
}

static int dt_optuna__create_study(dt_optuna__replay *r, const char *op, const dt_json *log)
{
    const dt_json *name = dt_optuna__field(r, op, log, "study_name");
    const dt_json *dirs = name ? dt_optuna__field(r, op, log, "directions") : NULL;
    if (!dirs) return -1;
    if (name->type != DT_JSON_STR)
        return dt_optuna__fail(r, op, "'study_name' is %s, not a string", dt_json_type_name(name));
    if (dirs->type != DT_JSON_ARR)
        return dt_optuna__fail(r, op, "'directions' is %s, not a list", dt_json_type_name(dirs));
    for (int i = 0; i < dirs->n; i++) {
        const dt_json *d = &dirs->items[i];
        if (d->type != DT_JSON_NUM)
            return dt_optuna__fail(r, op, "direction %d is %s, not 0, 1 or 2 (not set, minimize, maximize)", i + 1,
                                   dt_json_type_name(d));
        if (d->num != 0 && d->num != 1 && d->num != 2)
            return dt_optuna__fail(r, op, "direction %d is %g, not 0, 1 or 2 (not set, minimize, maximize)", i + 1,
                                   d->num);
    }
    /* A name taken already: Optuna ignores the operation. */
    for (int i = 0; i < r->ns; i++)
        if (r->studies[i].alive && strcmp(r->studies[i].name, name->str) == 0) return 0;
    r->studies = dt_xrealloc(r->studies, (size_t)(r->ns + 1) * sizeof *r->studies);
    r->studies[r->ns++] = (dt_optuna__study){.name = dt_xstrdup(name->str), .line = r->line, .alive = 1,
                                             .directions = dt_optuna__copy(dirs)};
    return 0;
}

static int dt_optuna__create_trial(dt_optuna__replay *r, const char *op, const dt_json *log)
{
    long long sid;
    if (dt_optuna__intfield(r, op, log, "study_id", &sid) != 0) return -1;
    dt_optuna__study *s = dt_optuna__study_of(r, sid);
    if (!s) return 0;   /* no such study (deleted): Optuna ignores it, and numbers no trial */
    if (dt_optuna__timefield(r, op, log, "datetime_start", 1) != 0) return -1;
    dt_optuna__trial t = {.study = (int)sid, .number = s->nt, .line = r->line, .value = NAN};
    const dt_json *state = dt_json_get(log, "state"), *value = dt_json_get(log, "value");
    const dt_json *values = dt_json_get(log, "values"), *dists = dt_json_get(log, "distributions");
    const dt_json *params = dt_json_get(log, "params"), *inter = dt_json_get(log, "intermediate_values");
    if (state && dt_optuna__state(r, op, state, &t.state) != 0) return -1;
    if (dt_json_get(log, "datetime_complete") && dt_optuna__timefield(r, op, log, "datetime_complete", 0) != 0)
        return -1;
    if (value && value->type != DT_JSON_NULL && value->type != DT_JSON_NUM)
        return dt_optuna__fail(r, op, "'value' is %s, not a number", dt_json_type_name(value));
    if (dt_optuna__values(r, op, values) != 0) return -1;
    if (value && value->type == DT_JSON_NUM && values && values->type == DT_JSON_ARR)
        return dt_optuna__fail(r, op, "both 'value' and 'values' are given");
    if (value && value->type == DT_JSON_NUM) t.value = value->num;
    if (values && values->type == DT_JSON_ARR) t.values = dt_optuna__copy(values);
    int rc = 0;
    if (dists && dists->type != DT_JSON_OBJ)
        rc = dt_optuna__fail(r, op, "'distributions' is %s, not an object", dt_json_type_name(dists));
    if (rc == 0 && params && params->type != DT_JSON_OBJ)
        rc = dt_optuna__fail(r, op, "'params' is %s, not an object", dt_json_type_name(params));
    for (int i = 0; rc == 0 && params && i < params->n; i++) {
        const dt_json *dj = dt_json_get(dists, params->keys[i]), *pv = &params->items[i];
        dt_optuna__dist d;
        if (!dj) rc = dt_optuna__fail(r, op, "parameter '%s' has no distribution", params->keys[i]);
        else if (pv->type != DT_JSON_NUM)
            rc = dt_optuna__fail(r, op, "parameter '%s' is %s, not a number", params->keys[i], dt_json_type_name(pv));
        else if (dt_optuna__parse_dist(r, op, dj, &d) != 0) rc = -1;
        else if (dt_optuna__external(r, op, &d, pv->num) != 0) {
            dt_optuna__dist_free(&d);
            rc = -1;
        } else {
            dt_optuna__set_param(&t, params->keys[i], &d, pv->num);
        }
    }
    /* Distributions of parameters that have no value: Optuna parses them too. */
    for (int i = 0; rc == 0 && dists && i < dists->n; i++) {
        if (dt_json_get(params, dists->keys[i])) continue;
        dt_optuna__dist d;
        if (dt_optuna__parse_dist(r, op, &dists->items[i], &d) != 0) rc = -1;
        else dt_optuna__dist_free(&d);
    }
    if (rc == 0 && inter && inter->type != DT_JSON_OBJ)
        rc = dt_optuna__fail(r, op, "'intermediate_values' is %s, not an object", dt_json_type_name(inter));
    for (int i = 0; rc == 0 && inter && i < inter->n; i++) {
        char *end;
        long long step = strtoll(inter->keys[i], &end, 10);
        if (!inter->keys[i][0] || *end)
            rc = dt_optuna__fail(r, op, "intermediate value step '%s' is not an integer", inter->keys[i]);
        else if (inter->items[i].type != DT_JSON_NUM)
            rc = dt_optuna__fail(r, op, "intermediate value %lld is %s, not a number", step,
                                 dt_json_type_name(&inter->items[i]));
        else dt_optuna__set_intermediate(&t, step, inter->items[i].num);
    }
    r->trials = dt_xrealloc(r->trials, (size_t)(r->nt + 1) * sizeof *r->trials);
    r->trials[r->nt++] = t;   /* even on failure, so that the replay's free frees it */
    if (rc != 0) return -1;
    s->trials = dt_xrealloc(s->trials, (size_t)(s->nt + 1) * sizeof *s->trials);
    s->trials[s->nt++] = r->nt - 1;
    for (int k = 0; k < t.np; k++) dt_optuna__note_first(s, t.params[k].name, t.number);
    return 0;
}

static int dt_optuna__set_trial_param(dt_optuna__replay *r, const char *op, const dt_json *log)
{
    long long id;
    if (dt_optuna__intfield(r, op, log, "trial_id", &id) != 0) return -1;
    dt_optuna__trial *t = dt_optuna__updatable(r, id);
    if (!t) return 0;
    const dt_json *name = dt_optuna__field(r, op, log, "param_name");
    const dt_json *v = name ? dt_optuna__field(r, op, log, "param_value_internal") : NULL;
    const dt_json *dj = v ? dt_optuna__field(r, op, log, "distribution") : NULL;
    if (!dj) return -1;
    if (name->type != DT_JSON_STR)
        return dt_optuna__fail(r, op, "'param_name' is %s, not a string", dt_json_type_name(name));
    if (v->type != DT_JSON_NUM)
        return dt_optuna__fail(r, op, "'param_value_internal' is %s, not a number", dt_json_type_name(v));
    dt_optuna__dist d;
    if (dt_optuna__parse_dist(r, op, dj, &d) != 0) return -1;
    /* Checked against the first trial of the study that has this parameter; Optuna
     * drops a parameter that conflicts with it. */
    dt_optuna__study *s = &r->studies[t->study];
    for (int k = 0; k < s->nfirsts; k++) {
        if (strcmp(s->firsts[k].name, name->str) != 0) continue;
        dt_optuna__param *first = dt_optuna__param_of(&r->trials[s->trials[s->firsts[k].pos]], name->str);
        if (first && !dt_optuna__compatible(&first->dist, &d)) {
            dt_optuna__dist_free(&d);
            return 0;
        }
    }
    if (dt_optuna__external(r, op, &d, v->num) != 0) {
        dt_optuna__dist_free(&d);
        return -1;
    }
    dt_optuna__set_param(t, name->str, &d, v->num);
    dt_optuna__note_first(s, name->str, t->number);
    return 0;
}

static int dt_optuna__set_state(dt_optuna__replay *r, const char *op, const dt_json *log)
{
    long long id;
    if (dt_optuna__intfield(r, op, log, "trial_id", &id) != 0) return -1;
    dt_optuna__trial *t = dt_optuna__updatable(r, id);
    if (!t) return 0;
    int state;
    if (dt_optuna__state(r, op, dt_optuna__field(r, op, log, "state"), &state) != 0) return -1;
    if (state == DT_OPTUNA_RUNNING && t->state == DT_OPTUNA_RUNNING) return 0;   /* another worker's: rejected */
    if (state == DT_OPTUNA_RUNNING && dt_optuna__timefield(r, op, log, "datetime_start", 0) != 0) return -1;
    int finished = state == DT_OPTUNA_COMPLETE || state == DT_OPTUNA_PRUNED || state == DT_OPTUNA_FAIL;
    if (finished && dt_optuna__timefield(r, op, log, "datetime_complete", 0) != 0) return -1;
    const dt_json *values = dt_optuna__field(r, op, log, "values");
    if (!values || dt_optuna__values(r, op, values) != 0) return -1;
    t->state = state;
    if (values->type == DT_JSON_ARR) {
        dt_json_free(t->values);
        t->values = dt_optuna__copy(values);
        t->value = NAN;
    }
    return 0;
}

static int dt_optuna__set_intermediate_op(dt_optuna__replay *r, const char *op, const dt_json *log)
{
    long long id, step;
    if (dt_optuna__intfield(r, op, log, "trial_id", &id) != 0) return -1;
    dt_optuna__trial *t = dt_optuna__updatable(r, id);
    if (!t) return 0;
    if (dt_optuna__intfield(r, op, log, "step", &step) != 0) return -1;
    const dt_json *v = dt_optuna__field(r, op, log, "intermediate_value");
    if (!v) return -1;
    if (v->type != DT_JSON_NUM)
        return dt_optuna__fail(r, op, "'intermediate_value' is %s, not a number", dt_json_type_name(v));
    dt_optuna__set_intermediate(t, step, v->num);
    return 0;
}

/* A user or system attribute: Optuna asserts one key per operation, where it applies it. */
static int dt_optuna__attr_op(dt_optuna__replay *r, const char *op, const dt_json *log, int study, const char *key)
{
    long long id;
    if (dt_optuna__intfield(r, op, log, study ? "study_id" : "trial_id", &id) != 0) return -1;
    int applies = study ? dt_optuna__study_of(r, id) != NULL : dt_optuna__updatable(r, id) != NULL;
    if (!applies) return 0;
    const dt_json *a = dt_optuna__field(r, op, log, key);
    if (!a) return -1;
    if (a->type != DT_JSON_OBJ || a->n != 1) return dt_optuna__fail(r, op, "'%s' is not an object of one key", key);
    return 0;
}

/* Replays one operation. */
static int dt_optuna__apply(dt_optuna__replay *r, const dt_json *log)
{
    if (log->type != DT_JSON_OBJ)
        return dt_optuna__fail(r, NULL, "an operation is a JSON object, not %s", dt_json_type_name(log));
    const dt_json *code = dt_json_get(log, "op_code");
    if (!code) return dt_optuna__fail(r, NULL, "an operation without an 'op_code'");
    if (code->type != DT_JSON_NUM || code->num != floor(code->num) || code->num < 0 || code->num > DT_OP_DISCARD_TRIALS)
        return code->type == DT_JSON_NUM
                   ? dt_optuna__fail(r, NULL, "op_code %g is none of Optuna's operations (0-10)", code->num)
                   : dt_optuna__fail(r, NULL, "op_code is %s, not one of Optuna's operations (0-10)",
                                     dt_json_type_name(code));
    int c = (int)code->num;
    const char *op = dt_optuna__ops[c];
    long long id;
    switch (c) {
    case DT_OP_CREATE_STUDY: return dt_optuna__create_study(r, op, log);
    case DT_OP_DELETE_STUDY: {
        if (dt_optuna__intfield(r, op, log, "study_id", &id) != 0) return -1;
        dt_optuna__study *s = dt_optuna__study_of(r, id);
        if (s) s->alive = 0;
        return 0;
    }
    case DT_OP_SET_STUDY_USER_ATTR: return dt_optuna__attr_op(r, op, log, 1, "user_attr");
    case DT_OP_SET_STUDY_SYSTEM_ATTR: return dt_optuna__attr_op(r, op, log, 1, "system_attr");
    case DT_OP_CREATE_TRIAL: return dt_optuna__create_trial(r, op, log);
    case DT_OP_SET_TRIAL_PARAM: return dt_optuna__set_trial_param(r, op, log);
    case DT_OP_SET_TRIAL_STATE_VALUES: return dt_optuna__set_state(r, op, log);
    case DT_OP_SET_TRIAL_INTERMEDIATE_VALUE: return dt_optuna__set_intermediate_op(r, op, log);
    case DT_OP_SET_TRIAL_USER_ATTR: return dt_optuna__attr_op(r, op, log, 0, "user_attr");
    case DT_OP_SET_TRIAL_SYSTEM_ATTR: return dt_optuna__attr_op(r, op, log, 0, "system_attr");
    default: return 0;   /* discard_trials */
    }
}

/* ---- Reading: fitting trials to the space. */

static void dt_optuna__skip(dt_optuna_in *in, int number, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void dt_optuna__skip(dt_optuna_in *in, int number, const char *fmt, ...)
{
    char why[sizeof in->skips->why];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    for (int i = 0; i < in->nskips; i++)
        if (strcmp(in->skips[i].why, why) == 0) {
            in->skips[i].count++;
            return;
        }
    in->skips = dt_xrealloc(in->skips, (size_t)(in->nskips + 1) * sizeof *in->skips);
    dt_optuna_skip *s = &in->skips[in->nskips++];
    snprintf(s->why, sizeof s->why, "%s", why);
    s->count = 1;
    s->first = number;
}

/* Writes a reason for leaving a trial out into why; returns -1. */
static int dt_optuna__why(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int dt_optuna__why(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* p as the sweep writes it, for reasons: "log(0.001, 1)". */
static void dt_optuna__spec(const dt_param *p, char *buf, size_t n)
{
    if (p->kind == DT_INT && p->step != 1) snprintf(buf, n, "int(%.6g, %.6g, step=%.6g)", p->low, p->high, p->step);
    else snprintf(buf, n, "%s(%.6g, %.6g)", dt_kind_name(p->kind), p->low, p->high);
}

/* The choice a categorical's internal value (an index, checked by dt_optuna__external)
 * names; Python's indexing: -1 is the last. */
static const dt_json *dt_optuna__choice_of(const dt_optuna__dist *d, double internal)
{
    int k = (int)trunc(internal);
    return &d->choices->items[k < 0 ? k + d->nchoices : k];
}

/* The value of parameter p from the journal's q into *v: 0, or a reason in why. */
static int dt_optuna__fit(const dt_param *p, const dt_optuna__param *q, dt_value *v, char *why, size_t n)
{
    const dt_optuna__dist *d = &q->dist;
    char spec[128];
    if (p->kind == DT_FIXED) {
        /* A parameter the sweep fixes fits when the journal has that very value. */
        int same;
        double fixed;
        if (d->family == DT_OPTUNA__CAT) {
            const dt_json *c = dt_optuna__choice_of(d, q->internal);
            same = c->type == DT_JSON_STR ? strcmp(c->str, p->choices[0]) == 0
                                          : c->type == DT_JSON_NUM && dt_parse_double(p->choices[0], &fixed) == 0 &&
                                                fixed == c->num;
        } else {
            double x = d->family == DT_OPTUNA__INT ? trunc(q->internal) : q->internal;
            same = dt_parse_double(p->choices[0], &fixed) == 0 && fixed == x;
        }
        if (!same)
            return dt_optuna__why(why, n, "'%s' differs from the value [space] fixes (%s)", p->name, p->choices[0]);
        dt_value_choice(p, 0, v);
        return 0;
    }
    int want = p->kind == DT_CHOICE ? DT_OPTUNA__CAT : p->kind == DT_INT || p->kind == DT_LOGINT ? DT_OPTUNA__INT
                                                                                                : DT_OPTUNA__FLOAT;
    if ((int)d->family != want) {
        static const char *const fam[] = {"a float", "an int", "a categorical"};
        return dt_optuna__why(why, n, "'%s' is %s in the journal, %s in [space]", p->name, fam[d->family],
                        p->kind == DT_CHOICE ? "a choice" : dt_kind_name(p->kind));
    }
    if (d->family == DT_OPTUNA__CAT) {
        const dt_json *c = dt_optuna__choice_of(d, q->internal);
        for (int i = 0; i < p->nchoices; i++) {
            double x;
            int match = c->type == DT_JSON_STR ? strcmp(c->str, p->choices[i]) == 0
                        : c->type == DT_JSON_NUM && dt_parse_double(p->choices[i], &x) == 0 && x == c->num;
            if (match) {
                dt_value_choice(p, i, v);
                return 0;
            }
        }
        return dt_optuna__why(why, n, "'%s' has a choice [space] does not list", p->name);
    }
    double x = d->family == DT_OPTUNA__INT ? trunc(q->internal) : q->internal;
    /* A relative slack of 1e-12 lets a bound written in other digits (0.1 against
     * 0.10000000000000001) hold. */
    double slack = 1e-12 * fmax(fabs(p->low), fabs(p->high));
    int inside = x >= p->low - slack && x <= p->high + slack;
    if (inside && (p->kind == DT_INT || p->kind == DT_LOGINT))
        inside = x == floor(x) && fmod(x - p->low, p->kind == DT_INT && p->step > 0 ? p->step : 1) == 0;
    if (!inside) {
        dt_optuna__spec(p, spec, sizeof spec);
        return dt_optuna__why(why, n, "'%s' outside %s", p->name, spec);
    }
    dt_value_num(p, x, v);
    return 0;
}

/* Whether p's condition holds given the values settled so far (parents come first). */
static int dt_optuna__holds_cond(const dt_param *p, const dt_value *vals)
{
    return p->cond < 0 || (vals[p->cond].active && strcmp(vals[p->cond].text, p->cond_value) == 0);
}

/* One finished trial of the study into out (a new dt_trial), or a reason to skip it. */
static int dt_optuna__convert(const dt_optuna_want *w, const dt_optuna__trial *q, const char *study, dt_trial *out,
                              char *why, size_t n)
{
    const dt_space *s = w->space;
    if (q->state != DT_OPTUNA_COMPLETE && q->state != DT_OPTUNA_PRUNED)
        return dt_optuna__why(why, n, "state %s: no value to learn from", dt_optuna__states[q->state]);
    double value = q->values ? (q->values->n == 1 ? q->values->items[0].num : NAN) : q->value;
    if (q->values && q->values->n != 1)
        return dt_optuna__why(why, n, "%d values: darktune studies have one objective", q->values->n);
    if (q->state == DT_OPTUNA_COMPLETE && !isfinite(value))
        return dt_optuna__why(why, n, "complete without a finite value");
    dt_trial_init(out, s->n);
    int *used = dt_xcalloc((size_t)(q->np ? q->np : 1), sizeof *used);
    int rc = 0;
    for (int i = 0; i < s->n && rc == 0; i++) {
        const dt_param *p = &s->p[i];
        if (!dt_optuna__holds_cond(p, out->values)) continue;
        int k = -1;
        for (int j = 0; j < q->np && k < 0; j++)
            if (strcmp(q->params[j].name, p->name) == 0) k = j;
        if (k < 0 && p->kind == DT_FIXED) {
            dt_value_choice(p, 0, &out->values[i]);
            continue;
        }
        if (k < 0) {
            rc = dt_optuna__why(why, n, "no '%s', which [space] tunes%s%s%s%s", p->name, p->cond_key ? " when " : "",
                          p->cond_key ? p->cond_key : "", p->cond_key ? " = " : "", p->cond_key ? p->cond_value : "");
            break;
        }
        used[k] = 1;
        rc = dt_optuna__fit(p, &q->params[k], &out->values[i], why, n);
    }
    for (int j = 0; j < q->np && rc == 0; j++) {
        if (used[j]) continue;
        int i = -1;
        for (int k = 0; k < s->n && i < 0; k++)
            if (strcmp(s->p[k].name, q->params[j].name) == 0) i = k;
        if (i < 0) rc = dt_optuna__why(why, n, "'%s' is not in [space]", q->params[j].name);
        else
            rc = dt_optuna__why(why, n, "'%s' is set, but [space:%s=%s] does not hold", q->params[j].name,
                                s->p[i].cond_key, s->p[i].cond_value);
    }
    free(used);
    if (rc != 0) {
        dt_trial_free(out);
        return -1;
    }
    out->number = q->number;
    out->state = q->state == DT_OPTUNA_COMPLETE ? DT_COMPLETE : DT_PRUNED;
    out->value = value;
    out->fate = DT_FATE_IMPORTED;
    out->last_kind = DT_POINT_METRIC;
    for (int k = 0; k < q->ni; k++)
        if (out->last_step < 0 || q->steps[k] > out->last_step) {
            out->last_step = (long)q->steps[k];
            out->last_value = q->ivals[k];
        }
    out->iterations = out->last_step > 0 ? out->last_step : 0;
    snprintf(out->reason, sizeof out->reason, "imported: Optuna trial %d of study '%.160s'", q->number, study);
    return 0;
}

/* Which study to read: 0 with *index, or -1 with a message about the whole file. */
static int dt_optuna__pick(dt_optuna__replay *r, const dt_optuna_want *w, int *index)
{
    int alive = 0, named = -1, fallback = -1, only = -1;
    for (int i = 0; i < r->ns; i++) {
        if (!r->studies[i].alive) continue;
        alive++;
        only = i;
        if (w->study && strcmp(r->studies[i].name, w->study) == 0) named = i;
        if (w->fallback && strcmp(r->studies[i].name, w->fallback) == 0) fallback = i;
    }
    dt_buf names = {0};
    for (int i = 0; i < r->ns; i++)
        if (r->studies[i].alive) dt_buf_printf(&names, "%s'%s'", names.len ? ", " : "", r->studies[i].name);
    int rc = 0;
    if (w->study && named < 0)
        rc = dt_errf(r->err, "%s: no study '%s' in the journal (it holds %s)", r->file, w->study,
                     alive ? names.p : "none");
    else if (!w->study && alive == 0)
        rc = dt_errf(r->err, "%s: the journal holds no study", r->file);
    else if (!w->study && alive > 1 && fallback < 0)
        rc = dt_errf(r->err, "%s: the journal holds %d studies (%s); name one (darktune import --study NAME)",
                     r->file, alive, names.p);
    dt_buf_free(&names);
    *index = w->study ? named : alive == 1 ? only : fallback;
    return rc;
}

int dt_optuna_parse(const char *name, const char *text, size_t len, const dt_optuna_want *w, dt_optuna_in *in,
                    dt_err *err)
{
    memset(in, 0, sizeof *in);
    dt_optuna__replay r = {.file = name, .err = err};
    int rc = 0;
    for (size_t at = 0; at < len && rc == 0;) {
        r.line++;
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (!nl) {
            /* Optuna leaves a last line without its newline out (a writer cut short). */
            in->cut = r.line;
            break;
        }
        size_t n = end - at;
        if (n && text[at + n - 1] == '\r') n--;
        dt_json *log;
        dt_err e;
        if (dt_json_parse(text + at, n, &log, &e) != 0) {
            rc = dt_errf(err, "%s:%d: not a JSON operation: %s", name, r.line, e.msg);
            break;
        }
        rc = dt_optuna__apply(&r, log);
        dt_json_free(log);
        at = end + 1;
    }
    int pick = -1;
    if (rc == 0) rc = dt_optuna__pick(&r, w, &pick);
    if (rc == 0) {
        const dt_optuna__study *s = &r.studies[pick];
        r.line = s->line;
        const dt_json *dirs = s->directions;
        if (dirs->n != 1)
            rc = dt_optuna__fail(&r, NULL, "study '%s' has %d objectives; a darktune study has one", s->name, dirs->n);
        else if (dirs->items[0].num == 0)
            rc = dt_optuna__fail(&r, NULL, "study '%s' has no direction (not set)", s->name);
        else if ((dirs->items[0].num == DT_OPTUNA_MAXIMIZE) != (w->maximize != 0))
            rc = dt_optuna__fail(&r, NULL, "study '%s' %s, and this sweep %s: its values would rank backwards",
                                 s->name, dirs->items[0].num == DT_OPTUNA_MAXIMIZE ? "maximizes" : "minimizes",
                                 w->maximize ? "maximizes" : "minimizes");
    }
    if (rc == 0) {
        const dt_optuna__study *s = &r.studies[pick];
        snprintf(in->study, sizeof in->study, "%s", s->name);
        in->total = s->nt;
        in->trials = s->nt ? dt_xcalloc((size_t)s->nt, sizeof *in->trials) : NULL;
        for (int k = 0; k < s->nt; k++) {
            char why[sizeof in->skips->why];
            const dt_optuna__trial *q = &r.trials[s->trials[k]];
            if (dt_optuna__convert(w, q, s->name, &in->trials[in->n], why, sizeof why) != 0) {
                dt_optuna__skip(in, q->number, "%s", why);
                continue;
            }
            if (in->trials[in->n].state == DT_COMPLETE) in->complete++;
            else in->pruned++;
            in->n++;
        }
    }
    dt_optuna__replay_free(&r);
    if (rc != 0) dt_optuna_in_free(in);
    return rc;
}

int dt_optuna_read(const char *path, const dt_optuna_want *w, dt_optuna_in *in, dt_err *err)
{
    char *text;
    size_t len;
    memset(in, 0, sizeof *in);
    dt_err e;
    if (dt_read_file(path, &text, &len, &e) != 0) return dt_errf(err, "%s: cannot read the journal: %s", path, e.msg);
    int rc = dt_optuna_parse(path, text, len, w, in, err);
    free(text);
    return rc;
}

void dt_optuna_in_free(dt_optuna_in *in)
{
    dt_trials_free(in->trials, in->n);
    free(in->skips);
    memset(in, 0, sizeof *in);
}

void dt_optuna_summary(const dt_optuna_in *in, dt_buf *b)
{
    int skipped = in->total - in->n;
    dt_buf_printf(b, "%d of %d trial%s fit (%d complete, %d pruned)", in->n, in->total, in->total == 1 ? "" : "s",
                  in->complete, in->pruned);
    if (skipped) {
        dt_buf_printf(b, ", %d left out:", skipped);
        for (int i = 0; i < in->nskips; i++)
            dt_buf_printf(b, "%s %d %s (trial %d%s)", i ? ";" : "", in->skips[i].count, in->skips[i].why,
                          in->skips[i].first, in->skips[i].count > 1 ? " first" : "");
    }
}
