/* dt_table: the recorded-runs table (format and distance in dt_table.h).
 *
 * The whole file is read at once and checked line by line; every refusal names the
 * file and the line. Rows keep their texts and numbers side by side so that the
 * nearest-row search parses nothing per row. */
#include "dt_table.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DT_TABLE__MAGIC "darktune-table"
#define DT_TABLE__VERSION 1L

static const char *const dt_table__kinds[] = {"log", "linear", "categorical"};

/* A row as stored: the public view plus the arrays it points into. */
typedef struct dt_table__row {
    dt_table_row pub;
    char **text;
    double *num, *loss, *metric;
} dt_table__row;

struct dt_table {
    int np;
    char **names;
    dt_table_kind *kinds;
    double *min, *max;        /* numeric parameters: the recorded range */
    char ***words;            /* categorical parameters: distinct words, first seen first */
    int *nwords;
    long iterations, eval;
    int nrows, cap;
    dt_table__row *rows;
};

/* Reading state: where we are, for messages. */
typedef struct dt_table__ctx {
    dt_table *t;
    const char *name;
    int line;
    dt_err *err;
} dt_table__ctx;

/* "NAME:LINE: message" into err; returns -1. */
static int dt_table__fail(dt_table__ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int dt_table__fail(dt_table__ctx *c, const char *fmt, ...)
{
    char msg[sizeof c->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dt_errf(c->err, "%s:%d: %s", c->name, c->line, msg);
}

/* Splits s in place at every sep (blanks around each piece trimmed); returns how
 * many pieces, at most max (the last keeps any further separators). An empty or
 * blank s is one empty piece. */
static int dt_table__split(char *s, char sep, char **pieces, int max)
{
    int n = 0;
    for (;;) {
        char *at = n + 1 < max ? strchr(s, sep) : NULL;
        if (at) *at = '\0';
        pieces[n++] = dt_trim(s);
        if (!at) return n;
        s = at + 1;
    }
}

/* Splits s in place at blanks into words; returns how many (at most max + 1, so
 * that the caller can tell "too many"). */
static int dt_table__words(char *s, char **words, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *w = strtok_r(s, " \t", &save); w && n <= max; w = strtok_r(NULL, " \t", &save)) words[n++] = w;
    return n;
}

/* A comma-separated list of numbers into a fresh array; "" is the empty list.
 * what names the field in messages. */
static int dt_table__numbers(dt_table__ctx *c, char *s, const char *what, double **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!*s) return 0;
    int cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    char **pieces = dt_xmalloc(sizeof *pieces * (size_t)cap);
    int k = dt_table__split(s, ',', pieces, cap);
    *out = dt_xmalloc(sizeof **out * (size_t)k);
    for (int i = 0; i < k; i++)
        if (dt_parse_double(pieces[i], &(*out)[i]) != 0) {
            dt_table__fail(c, "%s value %d, '%s', is not a number", what, i + 1, pieces[i]);
            free(pieces);
            free(*out);
            *out = NULL;
            return -1;
        }
    free(pieces);
    *n = k;
    return 0;
}

/* The `params NAME:KIND ...` line. */
static int dt_table__params(dt_table__ctx *c, char *rest)
{
    dt_table *t = c->t;
    int cap = 1;
    for (const char *p = rest; *p; p++) cap += *p == ' ' || *p == '\t';
    char **w = dt_xmalloc(sizeof *w * (size_t)(cap + 1));
    int n = dt_table__words(rest, w, cap);
    int rc = 0;
    if (n == 0) rc = dt_table__fail(c, "params names no parameter");
    t->names = dt_xcalloc((size_t)n + 1, sizeof *t->names);
    t->kinds = dt_xcalloc((size_t)n + 1, sizeof *t->kinds);
    for (int i = 0; i < n && rc == 0; i++) {
        char *colon = strchr(w[i], ':');
        if (!colon || colon == w[i]) {
            rc = dt_table__fail(c, "parameter '%s' must be written NAME:KIND (log, linear or categorical)", w[i]);
            break;
        }
        *colon = '\0';
        int k = -1;
        for (int j = 0; j < 3; j++)
            if (strcmp(colon + 1, dt_table__kinds[j]) == 0) k = j;
        if (k < 0) {
            rc = dt_table__fail(c, "parameter '%s' has kind '%s'; kinds are log, linear and categorical", w[i],
                                colon + 1);
            break;
        }
        for (int j = 0; j < t->np; j++)
            if (strcmp(t->names[j], w[i]) == 0) rc = dt_table__fail(c, "parameter '%s' is named twice", w[i]);
        if (rc) break;
        t->names[t->np] = dt_xstrdup(w[i]);
        t->kinds[t->np++] = (dt_table_kind)k;
    }
    free(w);
    if (rc) return -1;
    t->min = dt_xmalloc(sizeof *t->min * (size_t)t->np);
    t->max = dt_xmalloc(sizeof *t->max * (size_t)t->np);
    t->words = dt_xcalloc((size_t)t->np, sizeof *t->words);
    t->nwords = dt_xcalloc((size_t)t->np, sizeof *t->nwords);
    for (int j = 0; j < t->np; j++) t->min[j] = t->max[j] = NAN;
    return 0;
}

/* A whole number of at least min, for the header lines. */
static int dt_table__count(dt_table__ctx *c, const char *key, const char *rest, long min, long *out)
{
    if (dt_parse_long(rest, out) != 0 || *out < min)
        return dt_table__fail(c, "%s '%s' must be a whole number of at least %ld", key, rest, min);
    return 0;
}

/* Frees one row's arrays. */
static void dt_table__row_free(dt_table__row *r, int np)
{
    if (r->text)
        for (int j = 0; j < np; j++) free(r->text[j]);
    free(r->text);
    free(r->num);
    free(r->loss);
    free(r->metric);
}

/* Records a row's values in the ranges and word lists. */
static void dt_table__note(dt_table *t, const dt_table__row *r)
{
    for (int j = 0; j < t->np; j++) {
        if (t->kinds[j] != DT_TABLE_CATEGORICAL) {
            if (isnan(t->min[j]) || r->num[j] < t->min[j]) t->min[j] = r->num[j];
            if (isnan(t->max[j]) || r->num[j] > t->max[j]) t->max[j] = r->num[j];
            continue;
        }
        int seen = 0;
        for (int k = 0; k < t->nwords[j] && !seen; k++) seen = strcmp(t->words[j][k], r->text[j]) == 0;
        if (seen) continue;
        t->words[j] = dt_xrealloc(t->words[j], sizeof **t->words * (size_t)(t->nwords[j] + 1));
        t->words[j][t->nwords[j]++] = dt_xstrdup(r->text[j]);
    }
}

/* One `row VALUES | LOSSES | TOP1S | FINAL` line (rest: after "row"). */
static int dt_table__add_row(dt_table__ctx *c, char *rest)
{
    dt_table *t = c->t;
    char *f[5];
    int nf = dt_table__split(rest, '|', f, 5);
    if (nf != 4)
        return dt_table__fail(c, "a row has 4 fields separated by '|' (values | losses | top-1s | final "
                              "top-1), this one has %d", nf);
    dt_table__row r = {0};
    r.pub.line = c->line;
    char **w = dt_xmalloc(sizeof *w * (size_t)(t->np + 1));
    int nw = dt_table__words(f[0], w, t->np);
    int rc = 0;
    if (nw != t->np)
        rc = dt_table__fail(c, "the row has %s%d value%s, params names %d", nw > t->np ? "more than " : "",
                            nw > t->np ? t->np : nw, nw == 1 ? "" : "s", t->np);
    if (rc == 0) {
        r.text = dt_xcalloc((size_t)t->np, sizeof *r.text);
        r.num = dt_xmalloc(sizeof *r.num * (size_t)t->np);
    }
    for (int j = 0; j < t->np && rc == 0; j++) {
        r.text[j] = dt_xstrdup(w[j]);
        if (strchr(w[j], ',')) rc = dt_table__fail(c, "%s '%s': values hold no ','", t->names[j], w[j]);
        if (dt_parse_double(w[j], &r.num[j]) != 0 || !isfinite(r.num[j])) r.num[j] = NAN;
        if (rc == 0 && t->kinds[j] != DT_TABLE_CATEGORICAL && isnan(r.num[j]))
            rc = dt_table__fail(c, "%s '%s' is not a number (its kind is %s)", t->names[j], w[j],
                                dt_table__kinds[t->kinds[j]]);
        if (rc == 0 && t->kinds[j] == DT_TABLE_LOG && r.num[j] <= 0)
            rc = dt_table__fail(c, "%s %s must be above 0 (its kind is log)", t->names[j], w[j]);
    }
    free(w);
    if (rc == 0) rc = dt_table__numbers(c, f[1], "loss", &r.loss, &r.pub.nloss);
    if (rc == 0) rc = dt_table__numbers(c, f[2], "top-1", &r.metric, &r.pub.nmetric);
    if (rc == 0 && r.pub.nloss < 1) rc = dt_table__fail(c, "the row has no loss values");
    if (rc == 0 && r.pub.nloss > t->iterations)
        rc = dt_table__fail(c, "the row has %d losses, more than the table's %ld iterations", r.pub.nloss,
                            t->iterations);
    if (rc == 0 && r.pub.nloss < t->iterations && isfinite(r.loss[r.pub.nloss - 1]))
        rc = dt_table__fail(c, "the row stops at iteration %d of %ld without diverging (its last loss, %g, "
                            "is finite)", r.pub.nloss, t->iterations, r.loss[r.pub.nloss - 1]);
    long fit = t->eval > 0 ? r.pub.nloss / t->eval : 0;
    if (rc == 0 && r.pub.nmetric > fit)
        rc = dt_table__fail(c, "the row has %d top-1 values, but %ld evaluation%s fit in its %d iterations "
                            "(eval_interval %ld)", r.pub.nmetric, fit, fit == 1 ? "" : "s", r.pub.nloss, t->eval);
    for (int i = 0; i < r.pub.nmetric && rc == 0; i++)
        if (!(r.metric[i] >= 0 && r.metric[i] <= 1))
            rc = dt_table__fail(c, "top-1 value %d, %g, is not a fraction in [0, 1]", i + 1, r.metric[i]);
    if (rc == 0 && (dt_parse_double(f[3], &r.pub.final) != 0 || !(r.pub.final >= 0 && r.pub.final <= 1)))
        rc = dt_table__fail(c, "the final top-1 '%s' is not a fraction in [0, 1]", f[3]);
    if (rc) {
        dt_table__row_free(&r, t->np);
        return -1;
    }
    r.pub.text = (const char *const *)r.text;
    r.pub.num = r.num;
    r.pub.loss = r.loss;
    r.pub.metric = r.metric;
    if (t->nrows == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->rows = dt_xrealloc(t->rows, sizeof *t->rows * (size_t)t->cap);
    }
    t->rows[t->nrows++] = r;
    dt_table__note(t, &r);
    return 0;
}

/* One non-comment line: the header lines in their order, then rows. */
static int dt_table__line(dt_table__ctx *c, char *s, int *stage)
{
    static const char *const heads[] = {DT_TABLE__MAGIC, "params", "iterations", "eval_interval", "row"};
    size_t len = strcspn(s, " \t");
    char *rest = dt_trim(s + len);
    s[len] = '\0';
    int k = -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(s, heads[i]) == 0) k = i;
    if (k < 0) return dt_table__fail(c, "unknown line '%s': expected %s", s, heads[*stage < 4 ? *stage : 4]);
    if (k != (*stage < 4 ? *stage : 4))
        return dt_table__fail(c, "'%s' here: expected %s%s", s, heads[*stage < 4 ? *stage : 4],
                              *stage == 0 ? " (a table starts with 'darktune-table 1')" : "");
    long v;
    switch (k) {
    case 0:
        if (dt_parse_long(rest, &v) != 0 || v != DT_TABLE__VERSION)
            return dt_table__fail(c, "table version '%s' is not one this darktune reads (%ld)", rest,
                                  DT_TABLE__VERSION);
        break;
    case 1:
        if (dt_table__params(c, rest) != 0) return -1;
        break;
    case 2:
        if (dt_table__count(c, "iterations", rest, 1, &c->t->iterations) != 0) return -1;
        break;
    case 3:
        if (dt_table__count(c, "eval_interval", rest, 0, &c->t->eval) != 0) return -1;
        break;
    default:
        return dt_table__add_row(c, rest);
    }
    (*stage)++;
    return 0;
}

/* Parses text (NUL-terminated) line by line. */
int dt_table_parse(dt_table **out, const char *text, const char *name, dt_err *err)
{
    *out = NULL;
    dt_table *t = dt_xcalloc(1, sizeof *t);
    dt_table__ctx c = {t, name, 0, err};
    char *copy = dt_xstrdup(text);
    int stage = 0, rc = 0;
    for (char *s = copy; s && *s && rc == 0;) {
        char *nl = strchr(s, '\n');
        if (nl) *nl = '\0';
        c.line++;
        char *line = dt_trim(s);
        if (*line && *line != '#') rc = dt_table__line(&c, line, &stage);
        s = nl ? nl + 1 : NULL;
    }
    free(copy);
    if (rc == 0 && stage < 4) {
        static const char *const what[] = {"'darktune-table 1'", "a params line", "an iterations line",
                                           "an eval_interval line"};
        rc = dt_errf(err, "%s:%d: the table ends before %s", name, c.line ? c.line : 1, what[stage]);
    } else if (rc == 0 && t->nrows == 0) {
        rc = dt_errf(err, "%s:%d: the table has no rows", name, c.line);
    }
    if (rc) {
        dt_table_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

/* Reads the file, then parses it. */
int dt_table_load(dt_table **out, const char *path, dt_err *err)
{
    *out = NULL;
    char *buf;
    size_t len;
    if (dt_read_file(path, &buf, &len, err) != 0) return -1;
    if (memchr(buf, '\0', len)) {
        free(buf);
        return dt_errf(err, "%s: not a text file (it holds a NUL byte)", path);
    }
    int rc = dt_table_parse(out, buf, path, err);
    free(buf);
    return rc;
}

/* Frees everything the table owns. */
void dt_table_free(dt_table *t)
{
    if (!t) return;
    for (int i = 0; i < t->nrows; i++) dt_table__row_free(&t->rows[i], t->np);
    free(t->rows);
    for (int j = 0; j < t->np; j++) {
        free(t->names[j]);
        if (t->words)
            for (int k = 0; k < t->nwords[j]; k++) free(t->words[j][k]);
        if (t->words) free(t->words[j]);
    }
    free(t->names);
    free(t->kinds);
    free(t->min);
    free(t->max);
    free(t->words);
    free(t->nwords);
    free(t);
}

int dt_table_nparams(const dt_table *t)
{
    return t->np;
}

/* Name and kind of parameter j. */
const char *dt_table_param(const dt_table *t, int j, dt_table_kind *kind)
{
    if (kind) *kind = t->kinds[j];
    return t->names[j];
}

/* Linear search: tables have a handful of parameters. */
int dt_table_find(const dt_table *t, const char *name)
{
    for (int j = 0; j < t->np; j++)
        if (strcmp(t->names[j], name) == 0) return j;
    return -1;
}

/* The recorded range (NAN for categorical parameters). */
void dt_table_range(const dt_table *t, int j, double *min, double *max)
{
    int cat = t->kinds[j] == DT_TABLE_CATEGORICAL;
    *min = cat ? NAN : t->min[j];
    *max = cat ? NAN : t->max[j];
}

/* The distinct words of a categorical parameter (0 for numeric ones). */
int dt_table_words(const dt_table *t, int j, const char *const **words)
{
    *words = (const char *const *)t->words[j];
    return t->nwords[j];
}

long dt_table_iterations(const dt_table *t)
{
    return t->iterations;
}

long dt_table_eval_interval(const dt_table *t)
{
    return t->eval;
}

int dt_table_nrows(const dt_table *t)
{
    return t->nrows;
}

const dt_table_row *dt_table_row_at(const dt_table *t, int i)
{
    return &t->rows[i].pub;
}

/* Strictly greater wins, so the first of equal rows stays. */
int dt_table_best(const dt_table *t)
{
    int best = 0;
    for (int i = 1; i < t->nrows; i++)
        if (t->rows[i].pub.final > t->rows[best].pub.final) best = i;
    return best;
}

/* Two categorical texts are the same value: equal words, or equal numbers ("64" and "64.0"). */
static int dt_table__same(const char *a, double anum, const char *b)
{
    double bnum;
    if (strcmp(a, b) == 0) return 1;
    return !isnan(anum) && dt_parse_double(b, &bnum) == 0 && anum == bnum;
}

/* Parses the query once, then scans the rows (strictly smaller distance wins). */
int dt_table_nearest(const dt_table *t, const char *const *values, int *row, double *dist, dt_err *err)
{
    double *q = dt_xmalloc(sizeof *q * (size_t)t->np);
    for (int j = 0; j < t->np; j++) {
        if (t->kinds[j] == DT_TABLE_CATEGORICAL) {
            if (dt_parse_double(values[j], &q[j]) != 0 || !isfinite(q[j])) q[j] = NAN;
            continue;
        }
        if (dt_parse_double(values[j], &q[j]) != 0 || !isfinite(q[j])) {
            free(q);
            return dt_errf(err, "%s '%s' is not a number", t->names[j], values[j]);
        }
        if (t->kinds[j] == DT_TABLE_LOG) {
            if (q[j] <= 0) {
                free(q);
                return dt_errf(err, "%s %s must be above 0 to compare with the table (log)", t->names[j],
                               values[j]);
            }
            q[j] = log10(q[j]);
        }
    }
    int best = -1;
    double bestd = INFINITY;
    for (int i = 0; i < t->nrows; i++) {
        const dt_table__row *r = &t->rows[i];
        double d = 0;
        for (int j = 0; j < t->np; j++) {
            if (t->kinds[j] == DT_TABLE_CATEGORICAL) {
                d += dt_table__same(r->text[j], r->num[j], values[j]) ? 0 : 1;
                continue;
            }
            int lg = t->kinds[j] == DT_TABLE_LOG;
            double lo = lg ? log10(t->min[j]) : t->min[j], hi = lg ? log10(t->max[j]) : t->max[j];
            double x = lg ? log10(r->num[j]) : r->num[j];
            double range = hi > lo ? hi - lo : 1;
            d += fabs(q[j] - x) / range;
        }
        if (d < bestd) {
            bestd = d;
            best = i;
        }
    }
    free(q);
    *row = best;
    if (dist) *dist = bestd;
    return 0;
}
