/* dt_space: the search space of a sweep's [space] and [space:KEY=VALUE] sections.
 *
 * A parameter is one Darknet [net] field with a distribution: uniform, log-uniform,
 * integer (optionally stepped, optionally log-scaled), a categorical choice, or a
 * fixed text. A parameter may depend on another (its condition): it is active only
 * when the parent's value has the given text, e.g. steps only when policy = steps.
 *
 * A trial's values are an array of dt_value aligned with space->p. Every value keeps
 * the exact text that goes into the cfg; numbers are rounded to what that text says
 * (6 significant digits), so what is stored, shown and written is one and the same.
 *
 * This module knows nothing of Darknet's meaning of the fields, nor of files. */
#ifndef DT_SPACE_H
#define DT_SPACE_H

#include "dt_rng.h"
#include "dt_util.h"

typedef enum dt_kind {
    DT_FIXED,    /* "0.8, 0.9": one text for every trial; "same(width)": another parameter's value */
    DT_UNIFORM,  /* uniform(a, b) */
    DT_LOG,      /* log(a, b): log-uniform, 0 < a < b */
    DT_INT,      /* int(a, b) or int(a, b, step=s): integers a, a+s, ..., b */
    DT_LOGINT,   /* logint(a, b): integers, log-uniform, 0 < a < b */
    DT_CHOICE,   /* choice(x, y, z): categorical, words or numbers */
} dt_kind;

typedef struct dt_param {
    char *name;        /* the [net] key, e.g. "learning_rate" */
    dt_kind kind;
    double low, high;  /* UNIFORM, LOG, INT, LOGINT: inclusive bounds */
    double step;       /* INT: the step (1 when not given); UNIFORM/LOG: 0 */
    int nchoices;      /* CHOICE: number of words; FIXED: 1 */
    char **choices;    /* CHOICE: the words as written, trimmed; FIXED: choices[0] is the text */
    int cond;          /* index in the space of the parameter this one depends on, -1 for none */
    char *cond_key;    /* the KEY of [space:KEY=VALUE], NULL for none (cond is resolved from it) */
    char *cond_value;  /* the VALUE: active only when the parent's text equals it */
    int line;          /* line in the sweep file, for messages */
} dt_param;

typedef struct dt_space {
    int n;
    dt_param *p;
} dt_space;

#define DT_TEXT 96

/* One parameter's value in one trial. Plain data: copy it freely. */
typedef struct dt_value {
    int active;         /* 0: the parameter's condition does not hold; the other fields are empty */
    double num;         /* numeric value (NAN for words); for CHOICE of numbers, the number */
    int idx;            /* CHOICE: index into choices, -1 when the text is none of them (a baseline) */
    char text[DT_TEXT]; /* exactly what goes into the cfg */
} dt_value;

/* Parses one distribution as written in the sweep file ("log(1e-4, 1e-1)",
 * "int(0, 400, step=50)", "choice(a, b)", "0.9", "0.8, 0.9", ...) into *out
 * (name and line are set by the caller; cond fields are left empty). On error,
 * err says what is wrong, without the file and line, which the caller prepends. */
int dt_param_parse(dt_param *out, const char *spec, dt_err *err);
/* "uniform", "log", "int", "logint", "choice" as sweeps write them; "" for DT_FIXED. */
const char *dt_kind_name(dt_kind k);
void dt_param_free(dt_param *p);

/* Appends p to the space; the space owns p's memory from then on. */
void dt_space_add(dt_space *s, dt_param p);
void dt_space_free(dt_space *s);
int dt_space_find(const dt_space *s, const char *name);   /* index or -1 */
/* Resolves every cond_key to an index and orders the space so that a parent always
 * comes before the parameters that depend on it (stable otherwise). Fails on an
 * unknown parent, a parent that is not a CHOICE or FIXED, a VALUE the parent can
 * never take, or a cycle; err->line is then the line at fault. */
int dt_space_resolve(dt_space *s, dt_err *err);

/* A parameter written "same(NAME)" (a FIXED text: height = same(width) keeps a network
 * square) takes NAME's value in every trial: the index of NAME, or -1 for any other
 * parameter. Samplers and the store see the FIXED text; whatever writes a cfg or reads
 * a trial's value of the field reads NAME's instead. */
int dt_space_tie(const dt_space *s, int i);
/* 1 when p is written same(NAME), whether or not NAME is in the space. */
int dt_param_is_same(const dt_param *p);

/* Number of parameters that are sampled (not FIXED). */
int dt_space_tuned(const dt_space *s);

/* Value constructors: round and format as the cfg will read them. */
void dt_value_num(const dt_param *p, double x, dt_value *v);   /* UNIFORM, LOG, INT, LOGINT, CHOICE of numbers */
void dt_value_choice(const dt_param *p, int idx, dt_value *v); /* CHOICE, FIXED (idx 0) */
/* From a text (a base cfg value, a stored value): numbers are parsed, words looked up.
 * Never fails: a text outside the distribution is kept as it is (idx -1). */
void dt_value_text(const dt_param *p, const char *text, dt_value *v);

/* Marks each value active or not from the conditions, in order (parents first). */
void dt_space_activate(const dt_space *s, dt_value *vals);

/* Draws one point uniformly from the space (log-uniform where the distribution is
 * log), inactive parameters left empty. vals has s->n entries. */
void dt_space_sample(const dt_space *s, dt_rng *rng, dt_value *vals);

/* Enumerates the grid: every combination of choices and integer steps, and `points`
 * evenly spaced values (log-spaced for log) of each continuous parameter; a
 * conditional parameter multiplies only the branches where it is active. *out is
 * an array of *n rows of s->n values each (row-major), caller frees. Fails when
 * the grid would exceed max_rows. */
int dt_space_grid(const dt_space *s, int points, long max_rows, dt_value **out, long *n, dt_err *err);

/* True when two trials' values are the same point (inactive parameters ignored). */
int dt_values_equal(const dt_space *s, const dt_value *a, const dt_value *b);

#endif
