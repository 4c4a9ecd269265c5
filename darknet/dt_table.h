/* dt_table: a recorded table of real Darknet training runs, and the nearest recorded
 * run to a configuration.
 *
 * The file is text, one record per line, so that a re-recording reads as a diff:
 *
 *   # comments (and blank lines) anywhere
 *   darktune-table 1
 *   params learning_rate:log momentum:linear decay:log batch:categorical policy:categorical
 *   iterations 100
 *   eval_interval 10
 *   row 0.001 0.9 0.0001 64 poly | 2.31,2.298,...,0.61 | 0.31,0.52,...,0.74 | 0.74
 *
 * The four header lines come first, in that order, once each: the format's version,
 * the parameters ([net] keys) with their kinds, the iterations of a full recorded
 * run, and how often it was validated (0: only at the end). A row is the values
 * of the parameters in `params` order (words without blanks, '|' or ','), then three
 * '|'-separated fields: Darknet's average loss after iterations 1, 2, ... (comma-
 * separated, %.4g; `nan`, `inf` allowed), the top-1 (a fraction) at iterations
 * eval_interval, 2*eval_interval, ... (may be empty), and the final top-1. A row
 * whose loss curve is shorter than `iterations` is a run that diverged: its last
 * loss must be nan or inf (a replay must show the divergence), and its final top-1
 * is whatever the recorder wrote (bench/record.sh writes 0.1, chance on 10 classes:
 * what Darknet reports for a net whose outputs are nan).
 * Kinds: log (positive numbers, compared as log10), linear (numbers), categorical
 * (words; two numbers are the same word when they are equal as numbers).
 *
 * Distance between a configuration and a row: the sum over parameters of
 * |log10 a - log10 b| / (log10 max - log10 min) for log ones, |a - b| / (max - min)
 * for linear ones (min and max over the recorded rows; a parameter recorded at one
 * value only has range 1), and 0 or 1 for categorical ones. Ties go to the lower row.
 *
 * It does not know Darknet's defaults or cfg files (dt_runner_table.c does), nor
 * does it run anything. */
#ifndef DT_TABLE_H
#define DT_TABLE_H

#include "dt_util.h"

typedef enum dt_table_kind { DT_TABLE_LOG, DT_TABLE_LINEAR, DT_TABLE_CATEGORICAL } dt_table_kind;

/* One recorded run. Arrays are owned by the table, valid until dt_table_free. */
typedef struct dt_table_row {
    const char *const *text;  /* [nparams]: the values as written */
    const double *num;        /* [nparams]: the values as numbers (NAN for words) */
    int nloss;                /* losses recorded: iterations 1..nloss */
    const double *loss;       /* [nloss]: average loss after each iteration */
    int nmetric;              /* top-1s recorded: iterations eval_interval * (1..nmetric) */
    const double *metric;     /* [nmetric] */
    double final;             /* the final top-1 */
    int line;                 /* its line in the file, for messages */
} dt_table_row;

typedef struct dt_table dt_table;

/* Reads and checks a table file. Returns 0, or -1 with "FILE:LINE: what is wrong"
 * (or "cannot open 'FILE': ...") in err and *out NULL. Caller frees with dt_table_free. */
int dt_table_load(dt_table **out, const char *path, dt_err *err);
/* Same, from text in memory; name stands for the file in messages. */
int dt_table_parse(dt_table **out, const char *text, const char *name, dt_err *err);
void dt_table_free(dt_table *t);   /* NULL is fine */

int dt_table_nparams(const dt_table *t);
/* Parameter j's name ([net] key); *kind (when not NULL) gets its kind. */
const char *dt_table_param(const dt_table *t, int j, dt_table_kind *kind);
/* Index of the parameter called name, or -1. */
int dt_table_find(const dt_table *t, const char *name);
/* Smallest and largest recorded value of numeric parameter j (NAN for categorical). */
void dt_table_range(const dt_table *t, int j, double *min, double *max);
/* The distinct recorded words of categorical parameter j, in first-seen order:
 * returns how many, *words owned by the table. */
int dt_table_words(const dt_table *t, int j, const char *const **words);
long dt_table_iterations(const dt_table *t);
long dt_table_eval_interval(const dt_table *t);

int dt_table_nrows(const dt_table *t);
const dt_table_row *dt_table_row_at(const dt_table *t, int i);
/* The row with the highest final top-1 (the lower index on a tie). */
int dt_table_best(const dt_table *t);

/* The row nearest to a configuration: values[j] is the text of parameter j (the
 * header's order). *row gets its index, *dist (when not NULL) its distance.
 * Fails when a numeric parameter's text is not a number, or a log one is not above 0. */
int dt_table_nearest(const dt_table *t, const char *const *values, int *row, double *dist, dt_err *err);

#endif
