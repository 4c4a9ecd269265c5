/* dt_space: parameters as the sweep writes them, their values, random points and grids.
 *
 * Parsing turns one [space] line into a dt_param; values carry the exact cfg text
 * (6 significant digits for floats, integers snapped to their step); sampling and
 * grids walk the parameters in order, parents first, so a condition is always
 * decided before the parameters that depend on it.
 *
 * It deliberately reads no file and knows no Darknet field: the sweep parser gives
 * it the text and the line, and checks the names against the cfg itself. */
#include "dt_space.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The distributions, indexed like dt_kind minus one (DT_FIXED has no name). */
static const char *const dt_space__dists[] = {"uniform", "log", "int", "logint", "choice"};

const char *dt_kind_name(dt_kind k)
{
    return k >= DT_UNIFORM && k <= DT_CHOICE ? dt_space__dists[k - 1] : "";
}

/* A value that is not there: the parameter's condition does not hold. */
static void dt_space__empty(dt_value *v)
{
    memset(v, 0, sizeof *v);
    v->num = NAN;
    v->idx = -1;
}

/* An active value with no content yet, for the constructors to fill. */
static void dt_space__blank(dt_value *v)
{
    dt_space__empty(v);
    v->active = 1;
}

/* Splits args at its commas into trimmed pieces (in place: they point into args), so
 * that "1e-4, 1e-1" gives {"1e-4", "1e-1"}; a blank args gives none. Returns the
 * count; *parts is the caller's to free. */
static int dt_space__split(char *args, char ***parts)
{
    int n = 1;
    for (const char *c = args; *c; c++) n += *c == ',';
    *parts = dt_xmalloc((size_t)n * sizeof **parts);
    char *s = dt_trim(args);
    if (!*s) return 0;
    int k = 0;
    for (;;) {
        char *comma = strchr(s, ',');
        if (comma) *comma = '\0';
        (*parts)[k++] = dt_trim(s);
        if (!comma) return k;
        s = comma + 1;
    }
}

/* Reads one argument of spec as a finite number; the error quotes both. */
static int dt_space__number(const char *arg, const char *spec, double *x, dt_err *err)
{
    if (dt_parse_double(arg, x) < 0 || !isfinite(*x))
        return dt_errf(err, "'%s' is not a number in '%s'", arg, spec);
    return 0;
}

/* Reads an integer argument (an int bound, a step): "0.5" is a number but not one.
 * The 1e15 cap keeps every such value exact in a double and in a long. `rule` is
 * the message's start, e.g. "int bounds must be integers". */
static int dt_space__integer(const char *arg, const char *rule, const char *spec, double *x,
                             dt_err *err)
{
    if (dt_space__number(arg, spec, x, err) < 0) return -1;
    if (*x != floor(*x) || fabs(*x) > 1e15) return dt_errf(err, "%s, got '%s' in '%s'", rule, arg, spec);
    return 0;
}

/* Fills p's bounds (and step) from the arguments of uniform, log, int or logint,
 * checking what each distribution needs; a[] are the trimmed arguments. */
static int dt_space__bounds(dt_param *p, char **a, int n, const char *spec, dt_err *err)
{
    const char *name = dt_space__dists[p->kind - 1];
    int integral = p->kind == DT_INT || p->kind == DT_LOGINT;
    int most = p->kind == DT_INT ? 3 : 2;
    if (n < 2 || n > most)
        return dt_errf(err, "%s needs %s, got %d value%s in '%s'", name,
                       most == 3 ? "a low, a high and an optional step" : "a low and a high", n,
                       n == 1 ? "" : "s", spec);
    if (integral) {
        const char *rule = p->kind == DT_INT ? "int bounds must be integers" : "logint bounds must be integers";
        if (dt_space__integer(a[0], rule, spec, &p->low, err) < 0 ||
            dt_space__integer(a[1], rule, spec, &p->high, err) < 0)
            return -1;
    } else if (dt_space__number(a[0], spec, &p->low, err) < 0 ||
               dt_space__number(a[1], spec, &p->high, err) < 0) {
        return -1;
    }
    if (p->kind == DT_LOG && p->low <= 0) return dt_errf(err, "log needs a low above 0, got %s", a[0]);
    if (p->kind == DT_LOGINT && p->low < 1)
        return dt_errf(err, "logint needs a low of at least 1, got %s", a[0]);
    if (p->low >= p->high)
        return dt_errf(err, "low %s must be below high %s in '%s'", a[0], a[1], spec);
    p->step = integral ? 1 : 0;
    if (n < 3) return 0;

    /* int's step, written "step=50" or just "50". */
    char *s = a[2], *eq = strchr(s, '=');
    if (eq) {
        if (strncmp(s, "step", 4) != 0 || s + 4 + strspn(s + 4, " \t") != eq)
            return dt_errf(err, "expected 'step=N', got '%s' in '%s'", a[2], spec);
        s = eq + 1;
    }
    if (dt_space__integer(s, "the step must be an integer", spec, &p->step, err) < 0) return -1;
    if (p->step <= 0) return dt_errf(err, "step must be above 0, got %s in '%s'", dt_trim(s), spec);
    if (fmod(p->high - p->low, p->step) != 0)
        return dt_errf(err, "step %.0f does not divide the range %.0f..%.0f", p->step, p->low, p->high);
    return 0;
}

/* Fills p's choices from choice(...)'s arguments: at least one, none empty or too long
 * for a value, no two the same (as texts, or as numbers: 32 and 32.0 are one batch). */
static int dt_space__choices(dt_param *p, char **a, int n, const char *spec, dt_err *err)
{
    if (n == 0) return dt_errf(err, "choice() has no values");
    for (int i = 0; i < n; i++) {
        if (!*a[i]) return dt_errf(err, "empty value in '%s'", spec);
        if (strlen(a[i]) >= DT_TEXT)
            return dt_errf(err, "'%s' is longer than %d characters", a[i], DT_TEXT - 1);
        for (int j = 0; j < i; j++) {
            double x, y;
            if (strcmp(a[i], a[j]) == 0) return dt_errf(err, "'%s' appears twice in '%s'", a[i], spec);
            if (dt_parse_double(a[i], &x) == 0 && dt_parse_double(a[j], &y) == 0 && x == y)
                return dt_errf(err, "'%s' is the same number as '%s' in '%s'", a[i], a[j], spec);
        }
    }
    p->nchoices = n;
    p->choices = dt_xmalloc((size_t)n * sizeof *p->choices);
    for (int i = 0; i < n; i++) p->choices[i] = dt_xstrdup(a[i]);
    return 0;
}

/* "same(NAME)": a FIXED text, resolved to NAME's value in every trial (dt_space_tie).
 * open: the '(' of spec. */
static int dt_space__same(dt_param *p, const char *open, const char *spec, dt_err *err)
{
    const char *close = strrchr(spec, ')');
    if (!close || close < open) return dt_errf(err, "missing ')' in '%s'", spec);
    if (close[1]) return dt_errf(err, "unexpected '%s' after ')' in '%s'", close + 1, spec);
    char *arg = dt_xasprintf("%.*s", (int)(close - open - 1), open + 1);
    const char *nm = dt_trim(arg);
    int rc = 0;
    if (!*nm || nm[strspn(nm, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")])
        rc = dt_errf(err, "same() takes the name of one [space] parameter, as in height = same(width); not '%s'",
                     spec);
    else if (strlen(nm) + 7 > DT_TEXT)
        rc = dt_errf(err, "'%s' is longer than %d characters", spec, DT_TEXT - 1);
    if (rc == 0) {
        p->kind = DT_FIXED;
        p->nchoices = 1;
        p->choices = dt_xmalloc(sizeof *p->choices);
        p->choices[0] = dt_xasprintf("same(%s)", nm);
    }
    free(arg);
    return rc;
}

int dt_param_is_same(const dt_param *p)
{
    return p->kind == DT_FIXED && p->nchoices == 1 && strncmp(p->choices[0], "same(", 5) == 0;
}

int dt_space_tie(const dt_space *s, int i)
{
    const dt_param *p = &s->p[i];
    if (!dt_param_is_same(p)) return -1;
    size_t n = strlen(p->choices[0]) - 6;   /* between "same(" and ")" */
    for (int j = 0; j < s->n; j++)
        if (j != i && strlen(s->p[j].name) == n && strncmp(s->p[j].name, p->choices[0] + 5, n) == 0) return j;
    return -1;
}

/* Parses "name(args)" once the text is known to hold a '(': the name must be a
 * distribution and the text must end at its ')'. */
static int dt_space__dist(dt_param *p, const char *spec, dt_err *err)
{
    const char *open = strchr(spec, '(');
    char *name = dt_xasprintf("%.*s", (int)(open - spec), spec);
    const char *word = dt_trim(name);
    int kind = -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(word, dt_space__dists[i]) == 0) kind = i + 1;
    if (strcmp(word, "same") == 0) {
        free(name);
        return dt_space__same(p, open, spec, err);
    }
    if (kind < 0) {
        const char *hint = dt_nearest(word, dt_space__dists, 5);
        if (hint) dt_errf(err, "unknown distribution '%s'; did you mean '%s'?", word, hint);
        else dt_errf(err, "unknown distribution '%s' in '%s' (known: uniform, log, int, logint, choice)",
                     word, spec);
        free(name);
        return -1;
    }
    free(name);

    const char *close = strrchr(spec, ')');
    if (!close || close < open) return dt_errf(err, "missing ')' in '%s'", spec);
    if (close[1]) return dt_errf(err, "unexpected '%s' after ')' in '%s'", close + 1, spec);

    char *args = dt_xasprintf("%.*s", (int)(close - open - 1), open + 1);
    char **a;
    int n = dt_space__split(args, &a);
    p->kind = (dt_kind)kind;
    int rc = kind == DT_CHOICE ? dt_space__choices(p, a, n, spec, err)
                               : dt_space__bounds(p, a, n, spec, err);
    free(a);
    free(args);
    return rc;
}

/* Parses one [space] value: a distribution when it holds a '(', else a fixed text.
 * Only the distribution fields are written; on failure nothing is left allocated. */
int dt_param_parse(dt_param *out, const char *spec, dt_err *err)
{
    out->kind = DT_FIXED;
    out->low = out->high = out->step = 0;
    out->nchoices = 0;
    out->choices = NULL;
    out->cond = -1;

    char *copy = dt_xstrdup(spec);
    const char *text = dt_trim(copy);
    int rc = 0;
    if (strchr(text, '(')) {
        rc = dt_space__dist(out, text, err);
    } else if (!*text) {
        rc = dt_errf(err, "no value: write a fixed value or a distribution such as uniform(0, 1)");
    } else if (strlen(text) >= DT_TEXT) {
        rc = dt_errf(err, "'%s' is longer than %d characters", text, DT_TEXT - 1);
    } else {
        out->nchoices = 1;
        out->choices = dt_xmalloc(sizeof *out->choices);
        out->choices[0] = dt_xstrdup(text);
    }
    if (rc < 0) out->kind = DT_FIXED;
    free(copy);
    return rc;
}

/* Releases what p owns and leaves it empty; a second call does nothing. */
void dt_param_free(dt_param *p)
{
    if (!p) return;
    for (int i = 0; i < p->nchoices; i++) free(p->choices[i]);
    free(p->choices);
    free(p->name);
    free(p->cond_key);
    free(p->cond_value);
    p->choices = NULL;
    p->nchoices = 0;
    p->name = p->cond_key = p->cond_value = NULL;
}

/* Appends p (its memory now the space's); the space grows one slot at a time, which is
 * plenty for the dozen lines a [space] holds. */
void dt_space_add(dt_space *s, dt_param p)
{
    s->p = dt_xrealloc(s->p, (size_t)(s->n + 1) * sizeof *s->p);
    s->p[s->n++] = p;
}

/* Frees every parameter and leaves an empty space. */
void dt_space_free(dt_space *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) dt_param_free(&s->p[i]);
    free(s->p);
    s->p = NULL;
    s->n = 0;
}

/* The index of the parameter called name, or -1. */
int dt_space_find(const dt_space *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->p[i].name, name) == 0) return i;
    return -1;
}

/* The index of text among p's choices (exact text), or -1. */
static int dt_space__choice_index(const dt_param *p, const char *text)
{
    for (int i = 0; i < p->nchoices; i++)
        if (strcmp(p->choices[i], text) == 0) return i;
    return -1;
}

/* Puts parameter i in order after its parent chain (parents first); done marks
 * those already placed. Only called once the conditions are known to have no cycle. */
static void dt_space__place(const dt_space *s, int i, int *order, int *k, char *done)
{
    if (done[i]) return;
    done[i] = 1;
    if (s->p[i].cond >= 0) dt_space__place(s, s->p[i].cond, order, k, done);
    order[(*k)++] = i;
}

/* Checks one condition: the parent exists, can be a condition, and can take the value. */
static int dt_space__check_cond(dt_space *s, dt_param *p, dt_err *err)
{
    int j = dt_space_find(s, p->cond_key);
    if (j < 0)
        return dt_errl(err, p->line, "condition on '%s', which is not a parameter in [space]",
                       p->cond_key);
    const dt_param *q = &s->p[j];
    if (q->kind != DT_CHOICE && q->kind != DT_FIXED)
        return dt_errl(err, p->line, "condition on '%s', which is %s(...); only a choice or a fixed value "
                       "can be a condition", q->name, dt_space__dists[q->kind - 1]);
    if (dt_space__choice_index(q, p->cond_value) < 0) {
        dt_buf list = {0};
        for (int i = 0; i < q->nchoices; i++) dt_buf_printf(&list, "%s%s", i ? ", " : "", q->choices[i]);
        dt_errl(err, p->line, "'%s' is never '%s' (its values: %s)", q->name, p->cond_value,
                list.p);
        dt_buf_free(&list);
        return -1;
    }
    p->cond = j;
    return 0;
}

/* Resolves conditions, refuses duplicates and cycles, then reorders parents first.
 * A chain that comes back to its start within n steps is a cycle. */
int dt_space_resolve(dt_space *s, dt_err *err)
{
    for (int i = 0; i < s->n; i++) {
        dt_param *p = &s->p[i];
        int first = dt_space_find(s, p->name);
        if (first != i)
            return dt_errl(err, p->line, "'%s' is already in the space (line %d)", p->name,
                           s->p[first].line);
        p->cond = -1;
    }
    for (int i = 0; i < s->n; i++)
        if (s->p[i].cond_key && dt_space__check_cond(s, &s->p[i], err) < 0) return -1;
    for (int i = 0; i < s->n; i++) {
        const dt_param *p = &s->p[i];
        if (!dt_param_is_same(p)) continue;
        int j = dt_space_tie(s, i);
        if (j < 0) {
            const char **names = dt_xmalloc((size_t)s->n * sizeof *names);
            for (int k = 0; k < s->n; k++) names[k] = s->p[k].name;
            char *want = dt_xasprintf("%.*s", (int)strlen(p->choices[0]) - 6, p->choices[0] + 5);
            const char *hint = strcmp(want, p->name) == 0 ? NULL : dt_nearest(want, names, s->n);
            dt_errl(err, p->line, "%s = %s: '%s' is %s%s%s%s", p->name, p->choices[0], want,
                    strcmp(want, p->name) == 0 ? "this parameter itself" : "not in [space]",
                    hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            free(want);
            free(names);
            return -1;
        }
        if (s->p[j].kind == DT_FIXED)
            return dt_errl(err, p->line, "%s = %s: %s is fixed; write its value here instead", p->name,
                           p->choices[0], s->p[j].name);
    }
    for (int i = 0; i < s->n; i++) {
        int j = s->p[i].cond;
        for (int steps = 0; j >= 0 && j != i && steps < s->n; steps++) j = s->p[j].cond;
        if (j != i) continue;
        dt_buf chain = {0};
        dt_buf_printf(&chain, "%s", s->p[i].name);
        for (j = s->p[i].cond; j != i; j = s->p[j].cond) dt_buf_printf(&chain, " -> %s", s->p[j].name);
        dt_errl(err, s->p[i].line, "the conditions form a cycle: %s -> %s", chain.p, s->p[i].name);
        dt_buf_free(&chain);
        return -1;
    }

    int *order = dt_xmalloc((size_t)s->n * sizeof *order), *pos = dt_xmalloc((size_t)s->n * sizeof *pos);
    char *done = dt_xcalloc((size_t)s->n, 1);
    int k = 0;
    for (int i = 0; i < s->n; i++) dt_space__place(s, i, order, &k, done);
    dt_param *sorted = dt_xmalloc((size_t)s->n * sizeof *sorted);
    for (int i = 0; i < s->n; i++) {
        sorted[i] = s->p[order[i]];
        pos[order[i]] = i;
    }
    for (int i = 0; i < s->n; i++)
        if (sorted[i].cond >= 0) sorted[i].cond = pos[sorted[i].cond];
    free(s->p);
    s->p = sorted;
    free(order);
    free(pos);
    free(done);
    return 0;
}

/* Counts the parameters a sampler chooses (FIXED ones are not chosen). */
int dt_space_tuned(const dt_space *s)
{
    int n = 0;
    for (int i = 0; i < s->n; i++) n += s->p[i].kind != DT_FIXED;
    return n;
}

/* Rounds x to p's grid of cfg texts: floats to 6 significant digits (the text is read
 * back so num is exactly what the cfg says), integers to low + k*step within bounds,
 * numeric choices to the nearest choice. */
void dt_value_num(const dt_param *p, double x, dt_value *v)
{
    dt_space__blank(v);
    switch (p->kind) {
    case DT_UNIFORM:
    case DT_LOG:
        x = !(x >= p->low) ? p->low : x > p->high ? p->high : x; /* NaN too becomes low */
        snprintf(v->text, DT_TEXT, "%.6g", x);
        dt_parse_double(v->text, &v->num);
        break;
    case DT_INT:
    case DT_LOGINT: {
        double step = p->step > 0 ? p->step : 1;
        double last = floor((p->high - p->low) / step);
        double k = round((x - p->low) / step);
        k = !(k >= 0) ? 0 : k > last ? last : k;
        long n = (long)(p->low + k * step);
        snprintf(v->text, DT_TEXT, "%ld", n);
        v->num = (double)n;
        break;
    }
    case DT_CHOICE: {
        int best = -1;
        double bestd = INFINITY, c;
        for (int i = 0; i < p->nchoices; i++)
            if (dt_parse_double(p->choices[i], &c) == 0 && fabs(c - x) < bestd) {
                bestd = fabs(c - x);
                best = i;
            }
        if (best >= 0) {
            dt_value_choice(p, best, v);
        } else {
            snprintf(v->text, DT_TEXT, "%.6g", x);
            dt_parse_double(v->text, &v->num);
        }
        break;
    }
    case DT_FIXED:
        dt_value_choice(p, 0, v);
        break;
    }
}

/* The idx-th choice (FIXED: idx 0, its text), with its number when it is one. */
void dt_value_choice(const dt_param *p, int idx, dt_value *v)
{
    dt_space__blank(v);
    v->idx = idx;
    snprintf(v->text, DT_TEXT, "%s", p->choices[idx]);
    dt_parse_double(v->text, &v->num);
}

/* Reads a text as the cfg would: its number when it is one; for a choice (or a fixed
 * value) the index of the same text, else of the same number ("64" for "64.0"). */
void dt_value_text(const dt_param *p, const char *text, dt_value *v)
{
    dt_space__blank(v);
    snprintf(v->text, DT_TEXT, "%s", text);
    char *t = dt_trim(v->text);
    memmove(v->text, t, strlen(t) + 1);
    dt_parse_double(v->text, &v->num);
    if (p->kind != DT_CHOICE && p->kind != DT_FIXED) return;
    v->idx = dt_space__choice_index(p, v->text);
    for (int i = 0; i < p->nchoices && v->idx < 0 && !isnan(v->num); i++) {
        double c;
        if (dt_parse_double(p->choices[i], &c) == 0 && c == v->num) v->idx = i;
    }
}

/* Whether parameter i's condition holds given the values of the parameters before it. */
static int dt_space__holds(const dt_space *s, const dt_value *vals, int i)
{
    const dt_param *p = &s->p[i];
    return p->cond < 0 || (vals[p->cond].active && strcmp(vals[p->cond].text, p->cond_value) == 0);
}

/* One pass in order: parents come first, so each condition reads a settled parent.
 * A value whose condition fails is emptied, so it cannot leak into the cfg later. */
void dt_space_activate(const dt_space *s, dt_value *vals)
{
    for (int i = 0; i < s->n; i++) {
        if (dt_space__holds(s, vals, i)) vals[i].active = 1;
        else dt_space__empty(&vals[i]);
    }
}

/* Draws each active parameter in turn (uniform, log-uniform, or a uniform index). */
void dt_space_sample(const dt_space *s, dt_rng *rng, dt_value *vals)
{
    for (int i = 0; i < s->n; i++) {
        const dt_param *p = &s->p[i];
        dt_value *v = &vals[i];
        if (!dt_space__holds(s, vals, i)) {
            dt_space__empty(v);
            continue;
        }
        double u;
        switch (p->kind) {
        case DT_UNIFORM:
            dt_value_num(p, p->low + dt_rng_uniform(rng) * (p->high - p->low), v);
            break;
        case DT_LOG:
            u = dt_rng_uniform(rng);
            dt_value_num(p, exp(log(p->low) + u * (log(p->high) - log(p->low))), v);
            break;
        case DT_INT: {
            uint64_t count = (uint64_t)((p->high - p->low) / p->step) + 1;
            dt_value_num(p, p->low + p->step * (double)dt_rng_below(rng, count), v);
            break;
        }
        case DT_LOGINT:
            /* floor over [low, high+1) gives integer k the log-width log((k+1)/k). */
            u = dt_rng_uniform(rng);
            dt_value_num(p, floor(exp(log(p->low) + u * (log(p->high + 1) - log(p->low)))), v);
            break;
        case DT_CHOICE:
            dt_value_choice(p, (int)dt_rng_below(rng, (uint64_t)p->nchoices), v);
            break;
        case DT_FIXED:
            dt_value_choice(p, 0, v);
            break;
        }
    }
}

/* The values one parameter takes in a grid. */
typedef struct dt_space__axis {
    int n;
    dt_value *vals;
} dt_space__axis;

/* Lists p's grid values: every choice, every int step, or `points` evenly spaced
 * values (log-spaced for log and logint) with both ends, rounded and deduplicated.
 * Refuses an axis longer than max_rows before allocating it. */
static int dt_space__axis_of(const dt_param *p, int points, long max_rows, dt_space__axis *ax, dt_err *err)
{
    double count = p->kind == DT_INT ? (p->high - p->low) / p->step + 1
                 : p->kind == DT_CHOICE || p->kind == DT_FIXED ? p->nchoices : points;
    if (count > max_rows)
        return dt_errf(err, "the grid has over %ld rows: '%s' alone takes %.0f values", max_rows, p->name, count);
    ax->vals = dt_xmalloc((size_t)count * sizeof *ax->vals);
    ax->n = 0;
    for (long k = 0; k < (long)count; k++) {
        dt_value v;
        if (p->kind == DT_CHOICE || p->kind == DT_FIXED) {
            dt_value_choice(p, (int)k, &v);
        } else if (p->kind == DT_INT) {
            dt_value_num(p, p->low + k * p->step, &v);
        } else {
            double t = count > 1 ? k / (count - 1) : 0.5;
            double x = p->kind == DT_UNIFORM ? p->low + t * (p->high - p->low)
                                             : exp(log(p->low) + t * (log(p->high) - log(p->low)));
            if (count > 1 && k == count - 1) x = p->high; /* the exact end, whatever exp() gives */
            dt_value_num(p, p->kind == DT_LOGINT ? round(x) : x, &v);
            if (ax->n > 0 && strcmp(ax->vals[ax->n - 1].text, v.text) == 0) continue;
        }
        ax->vals[ax->n++] = v;
    }
    return 0;
}

/* Grid rows below parameter i: the sum over its values of the product of the row
 * counts of the parameters active under that value (1 when none). */
static double dt_space__rows_under(const dt_space *s, const dt_space__axis *ax, int i)
{
    double total = 0;
    for (int v = 0; v < ax[i].n; v++) {
        double prod = 1;
        for (int c = i + 1; c < s->n; c++)
            if (s->p[c].cond == i && strcmp(s->p[c].cond_value, ax[i].vals[v].text) == 0)
                prod *= dt_space__rows_under(s, ax, c);
        total += prod;
    }
    return total;
}

/* Writes every row that completes row[0..i-1], first parameter slowest. */
static void dt_space__enumerate(const dt_space *s, const dt_space__axis *ax, int i, dt_value *row,
                                dt_value *out, long *k)
{
    if (i == s->n) {
        memcpy(out + *k * s->n, row, (size_t)s->n * sizeof *row);
        (*k)++;
        return;
    }
    if (!dt_space__holds(s, row, i)) {
        dt_space__empty(&row[i]);
        dt_space__enumerate(s, ax, i + 1, row, out, k);
        return;
    }
    for (int v = 0; v < ax[i].n; v++) {
        row[i] = ax[i].vals[v];
        dt_space__enumerate(s, ax, i + 1, row, out, k);
    }
}

/* Builds each axis, counts the rows from the tree (roots multiply, branches add),
 * and only then allocates and enumerates, so an oversized grid costs nothing. */
int dt_space_grid(const dt_space *s, int points, long max_rows, dt_value **out, long *n, dt_err *err)
{
    if (points < 1) return dt_errf(err, "a grid needs at least 1 point per continuous parameter, got %d", points);
    dt_space__axis *ax = dt_xcalloc((size_t)s->n, sizeof *ax);
    int rc = 0;
    double rows = 1;
    for (int i = 0; i < s->n && rc == 0; i++) rc = dt_space__axis_of(&s->p[i], points, max_rows, &ax[i], err);
    for (int i = 0; i < s->n && rc == 0; i++)
        if (s->p[i].cond < 0) rows *= dt_space__rows_under(s, ax, i);
    if (rc == 0 && rows > max_rows)
        rc = dt_errf(err, "the grid has %.*g rows, over the limit of %ld", rows < 1e15 ? 15 : 3, rows, max_rows);
    if (rc == 0) {
        dt_value *row = dt_xcalloc((size_t)s->n, sizeof *row);
        *out = dt_xmalloc((size_t)rows * (size_t)s->n * sizeof **out);
        *n = 0;
        dt_space__enumerate(s, ax, 0, row, *out, n);
        free(row);
    }
    for (int i = 0; i < s->n; i++) free(ax[i].vals);
    free(ax);
    return rc;
}

/* Same point: the same parameters active, with the same cfg texts. */
int dt_values_equal(const dt_space *s, const dt_value *a, const dt_value *b)
{
    for (int i = 0; i < s->n; i++) {
        if (a[i].active != b[i].active) return 0;
        if (a[i].active && strcmp(a[i].text, b[i].text) != 0) return 0;
    }
    return 1;
}
