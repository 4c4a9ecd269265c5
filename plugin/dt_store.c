/* dt_store: studies, trials, parameters and intermediate values in one SQLite file.
 *
 * Schema version 2 (PRAGMA user_version):
 *   study(id, name, direction, metric, created)
 *   trial(study, number, state, value, iterations, seconds, started, finished, reason, baseline,
 *         fate, seed_trial, rerun_of)
 *   param(study, number, name, text, num)      one row per active value of a trial
 *   point(study, number, step, kind, value)    intermediate values
 * fate ('counts', 'interrupted', 'oom': dt_fate_name) says whether a trial counts
 * against the budget and whether its configuration runs again; seed_trial is the trial
 * whose number seeds it; rerun_of the trial whose configuration it runs again (NULL
 * none). The reason is for people and is never read back as data.
 * Version 1 (every darktune before version 2) had no fate, seed_trial or rerun_of:
 * opening such a file migrates it once, in one transaction (dt_store__migrate_1).
 * SQLite cannot store NaN (it becomes NULL), so every REAL that may be NaN is written
 * as NULL and NULL is read back as NAN; ±inf are stored as they are. Times are unix
 * seconds. Every call that writes runs in one BEGIN IMMEDIATE transaction, which also
 * serialises the darktune processes that share the file.
 *
 * It does not cache anything between calls, does not know the sampler's or the
 * pruner's rules, and never deletes a trial. */
#include "dt_store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The schema version this code writes; it opens older ones by migrating them. */
#define DT_STORE_VERSION 2

struct dt_store {
    sqlite3 *db;
    char *path;   /* as given to dt_store_open, for messages */
};

/* What a version 2 store holds. The foreign keys keep parameters and points from
 * outliving (or preceding) their trial. */
static const char dt_store__schema[] =
    "CREATE TABLE study(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, direction TEXT,"
    " metric TEXT, created REAL);"
    "CREATE TABLE trial(study INTEGER NOT NULL REFERENCES study(id), number INTEGER NOT NULL,"
    " state TEXT NOT NULL, value REAL, iterations INTEGER, seconds REAL, started REAL,"
    " finished REAL, reason TEXT, baseline INTEGER, fate TEXT NOT NULL DEFAULT 'counts',"
    " seed_trial INTEGER, rerun_of INTEGER, PRIMARY KEY(study, number));"
    "CREATE TABLE param(study INTEGER NOT NULL, number INTEGER NOT NULL, name TEXT NOT NULL,"
    " text TEXT, num REAL, PRIMARY KEY(study, number, name),"
    " FOREIGN KEY(study, number) REFERENCES trial(study, number));"
    "CREATE TABLE point(study INTEGER NOT NULL, number INTEGER NOT NULL, step INTEGER,"
    " kind INTEGER, value REAL, FOREIGN KEY(study, number) REFERENCES trial(study, number));"
    "CREATE INDEX point_trial ON point(study, number);"
    "PRAGMA user_version = 2;";

/* SQL that is true when trials A and B (table aliases) of one study ran the same
 * configuration: the same baseline flag and the same parameters, name for name and text
 * for text. This is the comparison version 1's scheduler made (dt_values_equal) to tell
 * which trial ran an interrupted configuration again. */
#define DT_STORE__SAME(A, B)                                                                            \
    "(" A ".baseline IS " B ".baseline"                                                                 \
    " AND (SELECT count(*) FROM param p WHERE p.study = " A ".study AND p.number = " A ".number) ="      \
    "  (SELECT count(*) FROM param q WHERE q.study = " B ".study AND q.number = " B ".number)"           \
    " AND NOT EXISTS (SELECT 1 FROM param p WHERE p.study = " A ".study AND p.number = " A ".number"     \
    "  AND NOT EXISTS (SELECT 1 FROM param q WHERE q.study = " B ".study AND q.number = " B ".number"    \
    "   AND q.name = p.name AND q.text IS p.text)))"

/* Version 1 to 2. Version 1 kept a trial's fate only in its reason, and a rerun's link
 * and seed nowhere: its scheduler found them again on every resume. These statements
 * read the reasons once, here, and record what that scheduler inferred:
 * - fate: a FAIL whose reason begins "interrupted" or "out of GPU memory (runs again)";
 *   a RUNNING trial stays RUNNING (and counts): the scheduler makes it interrupted on
 *   resume, as it does with a version 2 store.
 * - rerun_of: a trial runs again the nearest earlier trial with the same configuration
 *   when that one was cut short (its first later equal trial was its rerun).
 * - seed_trial: a trial's own number, except that a rerun, and a trial whose
 *   configuration may still run again, take the first trial with the same configuration,
 *   the seed version 1 would have given (or gave) the rerun. */
static const char dt_store__migrate_1[] =
    "ALTER TABLE trial ADD COLUMN fate TEXT NOT NULL DEFAULT 'counts';"
    "ALTER TABLE trial ADD COLUMN seed_trial INTEGER;"
    "ALTER TABLE trial ADD COLUMN rerun_of INTEGER;"
    "UPDATE trial SET fate = 'interrupted'"
    " WHERE state = 'FAIL' AND substr(reason, 1, length('interrupted')) = 'interrupted';"
    "UPDATE trial SET fate = 'oom' WHERE state = 'FAIL'"
    " AND substr(reason, 1, length('out of GPU memory (runs again)')) = 'out of GPU memory (runs again)';"
    "UPDATE trial SET rerun_of = (SELECT CASE WHEN e.fate != 'counts' THEN e.number END FROM trial e"
    " WHERE e.study = trial.study AND e.number < trial.number AND " DT_STORE__SAME("e", "trial")
    " ORDER BY e.number DESC LIMIT 1);"
    "UPDATE trial SET seed_trial = CASE WHEN rerun_of IS NULL AND fate = 'counts' AND state != 'RUNNING'"
    " THEN number ELSE (SELECT min(f.number) FROM trial f"
    "  WHERE f.study = trial.study AND f.number <= trial.number AND " DT_STORE__SAME("f", "trial") ") END;"
    "PRAGMA user_version = 2;";

/* Writes "cannot WHAT in store 'path': sqlite's message" into err. Called right where
 * the SQLite call failed, before anything else can replace the connection's message. */
static int dt_store__fail(dt_store *st, dt_err *err, const char *what)
{
    return dt_errf(err, "cannot %s in store '%s': %s", what, st->path, sqlite3_errmsg(st->db));
}

/* Undoes the open transaction, if any, so that a failed call changes nothing.
 * Statements must be finalized first; err is left alone (it already says why). */
static void dt_store__rollback(dt_store *st)
{
    if (!sqlite3_get_autocommit(st->db)) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Binds the statement's parameters from the arguments, one letter of types each:
 * 'i' int, 'l' long, 'L' long long, 'r' double (NaN becomes NULL), 't' text (NULL
 * stays NULL, copied). The arguments must have exactly those C types, one per
 * parameter of the statement: a count that differs is SQLITE_RANGE. Returns a
 * SQLite result code. */
static int dt_store__bindv(sqlite3_stmt *s, const char *types, va_list ap)
{
    int rc = SQLITE_OK;
    /* A wrong count or letter is a bug here; binding index 0 records SQLITE_RANGE and
     * its message on the connection, so that it surfaces like any SQLite error. */
    if ((int)strlen(types) != sqlite3_bind_parameter_count(s)) return sqlite3_bind_null(s, 0);
    for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
        int col = i + 1;
        switch (types[i]) {
        case 'i': rc = sqlite3_bind_int(s, col, va_arg(ap, int)); break;
        case 'l': rc = sqlite3_bind_int64(s, col, va_arg(ap, long)); break;
        case 'L': rc = sqlite3_bind_int64(s, col, va_arg(ap, long long)); break;
        case 'r': {
            double x = va_arg(ap, double);
            rc = isnan(x) ? sqlite3_bind_null(s, col) : sqlite3_bind_double(s, col, x);
            break;
        }
        case 't': rc = sqlite3_bind_text(s, col, va_arg(ap, const char *), -1, SQLITE_TRANSIENT); break;
        default: rc = sqlite3_bind_null(s, 0); break;
        }
    }
    return rc;
}

/* Rebinds a statement that was already used (see dt_store__bindv for types). */
static int dt_store__bind(sqlite3_stmt *s, const char *types, ...)
{
    sqlite3_reset(s);
    va_list ap;
    va_start(ap, types);
    int rc = dt_store__bindv(s, types, ap);
    va_end(ap);
    return rc;
}

/* Prepares sql into *s and binds its parameters (see dt_store__bindv for types;
 * "" leaves them for dt_store__bind). Returns a SQLite result code; the connection's
 * message says why. *s is NULL or a statement the caller finalizes, whatever the result. */
static int dt_store__prepare(dt_store *st, sqlite3_stmt **s, const char *sql, const char *types, ...)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);
    if (rc != SQLITE_OK || !types[0]) return rc;
    va_list ap;
    va_start(ap, types);
    rc = dt_store__bindv(*s, types, ap);
    va_end(ap);
    return rc;
}

/* Runs a statement that returns no rows; 0 when it did, else -1. */
static int dt_store__run(sqlite3_stmt *s)
{
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

/* A REAL column that may be NULL, which stands for NaN. */
static double dt_store__num(sqlite3_stmt *s, int col)
{
    return sqlite3_column_type(s, col) == SQLITE_NULL ? NAN : sqlite3_column_double(s, col);
}

/* A TEXT column, "" for NULL, so that callers can strcmp or copy it directly. */
static const char *dt_store__text(sqlite3_stmt *s, int col)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    return t ? t : "";
}

/* Brings a freshly opened file to schema version 2, inside one IMMEDIATE transaction
 * (so that two processes opening a new or old file at once create or migrate it once):
 * creates the tables in an empty file, migrates version 1, accepts version 2, refuses
 * anything else. A migration that fails changes nothing. */
static int dt_store__ensure_schema(dt_store *st, dt_err *err)
{
    sqlite3_stmt *s = NULL;
    int version = -1, tables = 0;
    for (int locked = 0; locked < 2; locked++) {
        /* First without a lock (the usual case, the current version, needs none), then
         * again under the write lock, as another process may have created or migrated
         * it meanwhile. */
        if (locked && sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) goto fail;
        if (dt_store__prepare(st, &s, "SELECT (SELECT user_version FROM pragma_user_version),"
                              " (SELECT count(*) FROM sqlite_master)", "") != SQLITE_OK ||
            sqlite3_step(s) != SQLITE_ROW)
            goto fail;
        version = sqlite3_column_int(s, 0);
        tables = sqlite3_column_int(s, 1);
        sqlite3_finalize(s);
        s = NULL;
        if (version < 0 || version >= DT_STORE_VERSION) break;   /* nothing to write */
    }
    if (version == 0 && tables > 0) {
        dt_errf(err, "'%s' is not a darktune store: it holds other tables", st->path);
        goto undo;
    }
    if (version < 0) {
        dt_errf(err, "'%s' is not a darktune store: schema version %d", st->path, version);
        goto undo;
    }
    if (version > DT_STORE_VERSION) {
        dt_errf(err, "'%s' is a store of a newer darktune (schema version %d; this one reads %d at most)",
                st->path, version, DT_STORE_VERSION);
        goto undo;
    }
    if (version == 0 && sqlite3_exec(st->db, dt_store__schema, NULL, NULL, NULL) != SQLITE_OK) goto fail;
    if (version == 1 && sqlite3_exec(st->db, dt_store__migrate_1, NULL, NULL, NULL) != SQLITE_OK) {
        dt_errf(err, "cannot migrate store '%s' from schema version 1: %s", st->path, sqlite3_errmsg(st->db));
        goto undo;
    }
    if (!sqlite3_get_autocommit(st->db) && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    return 0;
fail:
    if (sqlite3_errcode(st->db) == SQLITE_NOTADB)
        dt_errf(err, "'%s' is not a darktune store: %s", st->path, sqlite3_errmsg(st->db));
    else
        dt_errf(err, "cannot open store '%s': %s", st->path, sqlite3_errmsg(st->db));
undo:
    sqlite3_finalize(s);
    dt_store__rollback(st);
    return -1;
}

/* Opens the file (and its folder), sets the connection up for several processes
 * sharing it (WAL, a 10 s busy timeout) and checks or creates the schema. */
int dt_store_open(dt_store **out, const char *path, dt_err *err)
{
    *out = NULL;
    char *dir = dt_dirname(path);
    int rc = dt_mkdirs(dir, err);
    free(dir);
    if (rc != 0) return -1;

    dt_store *st = dt_xcalloc(1, sizeof *st);
    st->path = dt_xstrdup(path);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        dt_errf(err, "cannot open store '%s': %s",
                path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
        dt_store_close(st);
        return -1;
    }
    sqlite3_busy_timeout(st->db, 10000);
    /* Reading the schema first is what finds out whether the file is a database at
     * all, before any pragma could change someone else's file. */
    if (dt_store__ensure_schema(st, err) != 0) {
        dt_store_close(st);
        return -1;
    }
    if (sqlite3_exec(st->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                     " PRAGMA foreign_keys = ON;", NULL, NULL, NULL) != SQLITE_OK) {
        dt_errf(err, "cannot open store '%s': %s", path, sqlite3_errmsg(st->db));
        dt_store_close(st);
        return -1;
    }
    *out = st;
    return 0;
}

/* Closes the connection; a store whose process dies without this is still whole. */
void dt_store_close(dt_store *st)
{
    if (!st) return;
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

/* Finds or creates the study in one transaction, so that two processes starting
 * the same sweep agree on one id. */
int dt_store_study(dt_store *st, const char *name, const char *direction, const char *metric,
                   long long *id, dt_err *err)
{
    sqlite3_stmt *s = NULL;
    int rc;
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) goto fail;
    if (dt_store__prepare(st, &s, "SELECT id, direction, metric FROM study WHERE name = ?", "t", name) !=
        SQLITE_OK)
        goto fail;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *d = dt_store__text(s, 1), *m = dt_store__text(s, 2);
        if (strcmp(d, direction) != 0 || strcmp(m, metric) != 0) {
            dt_errf(err, "study '%s' in '%s' is a %s study of %s; this sweep asks for %s %s",
                    name, st->path, d, m, direction, metric);
            goto undo;
        }
        *id = sqlite3_column_int64(s, 0);
    } else if (rc == SQLITE_DONE) {
        sqlite3_finalize(s);
        if (dt_store__prepare(st, &s, "INSERT INTO study(name, direction, metric, created) VALUES (?, ?, ?, ?)",
                              "tttr", name, direction, metric, dt_wall()) != SQLITE_OK ||
            dt_store__run(s) != 0)
            goto fail;
        *id = sqlite3_last_insert_rowid(st->db);
    } else {
        goto fail;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) goto fail;
    return 0;
fail:
    dt_store__fail(st, err, "find the study");
undo:
    sqlite3_finalize(s);
    dt_store__rollback(st);
    return -1;
}

/* Fills a value from its stored text and number; the stored text is the truth, and
 * idx is found again among the parameter's current choices (-1 when none). */
static void dt_store__value(const dt_param *p, const char *text, double num, dt_value *v)
{
    memset(v, 0, sizeof *v);
    v->active = 1;
    snprintf(v->text, sizeof v->text, "%s", text);
    v->num = num;
    v->idx = -1;
    if (p->kind == DT_CHOICE || p->kind == DT_FIXED)
        for (int i = 0; i < p->nchoices; i++)
            if (strcmp(p->choices[i], text) == 0) {
                v->idx = i;
                break;
            }
}

/* Index of the parameter called name in the space, -1 when absent (a small linear
 * search, so that the store does not depend on dt_space.c). */
static int dt_store__find(const dt_space *space, const char *name)
{
    for (int i = 0; space && i < space->n; i++)
        if (strcmp(space->p[i].name, name) == 0) return i;
    return -1;
}

/* Reads every trial in one read transaction, so that a study written to meanwhile
 * is seen at one instant: trials, then each trial's parameters and last value of kind. */
int dt_store_load(dt_store *st, long long study, const dt_space *space, int kind, dt_trial **out, int *n,
                  dt_err *err)
{
    sqlite3_stmt *s = NULL, *ps = NULL, *ms = NULL;
    dt_trial *ts = NULL;
    int count = 0, cap = 0, rc;
    *out = NULL;
    *n = 0;
    if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) goto fail;
    if (dt_store__prepare(st, &s, "SELECT number, state, value, iterations, seconds, started, finished,"
                          " reason, baseline, fate, seed_trial, rerun_of FROM trial WHERE study = ? ORDER BY number",
                          "L", study) != SQLITE_OK ||
        dt_store__prepare(st, &ps, "SELECT name, text, num FROM param WHERE study = ? AND number = ?", "") !=
            SQLITE_OK ||
        dt_store__prepare(st, &ms, "SELECT value, step FROM point WHERE study = ? AND number = ? AND kind = ?"
                          " ORDER BY step DESC, rowid DESC LIMIT 1", "") != SQLITE_OK)
        goto fail;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? 2 * cap : 16;
            ts = dt_xrealloc(ts, (size_t)cap * sizeof *ts);
        }
        dt_trial *t = &ts[count++];
        dt_trial_init(t, space ? space->n : 0);
        t->number = sqlite3_column_int(s, 0);
        int state = dt_state_parse(dt_store__text(s, 1));
        if (state < 0) {
            dt_errf(err, "trial %d in store '%s' has an unknown state '%s'", t->number, st->path,
                    dt_store__text(s, 1));
            goto undo;
        }
        t->state = (dt_state)state;
        t->value = dt_store__num(s, 2);
        t->iterations = (long)sqlite3_column_int64(s, 3);
        t->seconds = sqlite3_column_double(s, 4);
        t->started = sqlite3_column_double(s, 5);
        t->finished = sqlite3_column_double(s, 6);   /* NULL while running reads as 0 */
        snprintf(t->reason, sizeof t->reason, "%s", dt_store__text(s, 7));
        t->baseline = sqlite3_column_int(s, 8);
        int fate = dt_fate_parse(dt_store__text(s, 9));
        if (fate < 0) {
            dt_errf(err, "trial %d in store '%s' has an unknown fate '%s'", t->number, st->path,
                    dt_store__text(s, 9));
            goto undo;
        }
        t->fate = (dt_fate)fate;
        t->seed_trial = sqlite3_column_int(s, 10);
        t->rerun_of = sqlite3_column_type(s, 11) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 11);

        if (dt_store__bind(ps, "Li", study, t->number) != SQLITE_OK) goto fail;
        while ((rc = sqlite3_step(ps)) == SQLITE_ROW) {
            int i = dt_store__find(space, dt_store__text(ps, 0));
            if (i >= 0) dt_store__value(&space->p[i], dt_store__text(ps, 1), dt_store__num(ps, 2), &t->values[i]);
        }
        if (rc != SQLITE_DONE) goto fail;

        t->last_kind = kind;
        if (dt_store__bind(ms, "Lii", study, t->number, kind) != SQLITE_OK) goto fail;
        rc = sqlite3_step(ms);
        if (rc == SQLITE_ROW) {
            t->last_value = dt_store__num(ms, 0);
            t->last_step = (long)sqlite3_column_int64(ms, 1);
        } else if (rc != SQLITE_DONE) {
            goto fail;
        }
    }
    if (rc != SQLITE_DONE) goto fail;
    sqlite3_finalize(s);
    sqlite3_finalize(ps);
    sqlite3_finalize(ms);
    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);   /* a read: nothing to lose */
    *out = ts;
    *n = count;
    return 0;
fail:
    dt_store__fail(st, err, "load the trials");
undo:
    sqlite3_finalize(s);
    sqlite3_finalize(ps);
    sqlite3_finalize(ms);
    dt_store__rollback(st);
    dt_trials_free(ts, count);
    return -1;
}

/* Numbers the trial inside the write transaction that inserts it, which is what
 * keeps two workers from taking the same number; seed_trial -1 becomes that number.
 * t is updated only on success. */
int dt_store_create_trial(dt_store *st, long long study, const dt_space *space, dt_trial *t,
                          dt_err *err)
{
    sqlite3_stmt *s = NULL;
    int number, seed;
    double started = dt_wall();
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) goto fail;
    if (dt_store__prepare(st, &s, "SELECT COALESCE(MAX(number), -1) + 1 FROM trial WHERE study = ?", "L",
                          study) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_ROW)
        goto fail;
    number = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    seed = t->seed_trial >= 0 ? t->seed_trial : number;
    if (dt_store__prepare(st, &s, "INSERT INTO trial(study, number, state, value, iterations, seconds, started,"
                          " finished, reason, baseline, fate, seed_trial, rerun_of)"
                          " VALUES (?, ?, 'RUNNING', ?, ?, ?, ?, NULL, ?, ?, 'counts', ?, NULLIF(?, -1))",
                          "Lirlrrtiii", study, number, t->value, t->iterations, t->seconds, started,
                          t->reason[0] ? t->reason : NULL, t->baseline ? 1 : 0, seed,
                          t->rerun_of >= 0 ? t->rerun_of : -1) != SQLITE_OK ||
        dt_store__run(s) != 0)
        goto fail;
    sqlite3_finalize(s);
    if (dt_store__prepare(st, &s, "INSERT INTO param(study, number, name, text, num) VALUES (?, ?, ?, ?, ?)",
                          "") != SQLITE_OK)
        goto fail;
    for (int i = 0; space && i < space->n; i++) {
        const dt_value *v = &t->values[i];
        if (!v->active) continue;
        if (dt_store__bind(s, "Littr", study, number, space->p[i].name, v->text, v->num) != SQLITE_OK ||
            dt_store__run(s) != 0)
            goto fail;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) goto fail;
    t->number = number;
    t->state = DT_RUNNING;
    t->fate = DT_FATE_COUNTS;
    t->seed_trial = seed;
    t->started = started;
    t->finished = 0;
    return 0;
fail:
    dt_store__fail(st, err, "add a trial");
    sqlite3_finalize(s);
    dt_store__rollback(st);
    return -1;
}

/* Inserts the points with one prepared statement in one transaction: a trial's
 * curve is never half written. */
int dt_store_add_points(dt_store *st, long long study, int number, const dt_point *pts, int n,
                        dt_err *err)
{
    sqlite3_stmt *s = NULL;
    if (n <= 0) return 0;
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
        dt_store__prepare(st, &s, "INSERT INTO point(study, number, step, kind, value) VALUES (?, ?, ?, ?, ?)",
                          "") != SQLITE_OK)
        goto fail;
    for (int i = 0; i < n; i++)
        if (dt_store__bind(s, "Lilir", study, number, pts[i].step, pts[i].kind, pts[i].value) != SQLITE_OK ||
            dt_store__run(s) != 0)
            goto fail;
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) goto fail;
    return 0;
fail:
    dt_store__fail(st, err, "add intermediate values");
    sqlite3_finalize(s);
    dt_store__rollback(st);
    return -1;
}

/* Writes the trial's outcome; finished is t->finished, or now when it is 0. A trial
 * that is not in the store is an error, not a silent no-op. */
int dt_store_finish_trial(dt_store *st, long long study, const dt_trial *t, dt_err *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
        dt_store__prepare(st, &s, "UPDATE trial SET state = ?, value = ?, iterations = ?, seconds = ?,"
                          " finished = ?, reason = ?, fate = ? WHERE study = ? AND number = ?",
                          "trlrrttLi", dt_state_name(t->state), t->value, t->iterations, t->seconds,
                          t->finished ? t->finished : dt_wall(), t->reason[0] ? t->reason : NULL,
                          dt_fate_name(t->fate), study, t->number) != SQLITE_OK ||
        dt_store__run(s) != 0)
        goto fail;
    if (sqlite3_changes(st->db) != 1) {
        dt_errf(err, "trial %d of study %lld is not in store '%s'", t->number, study, st->path);
        goto undo;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) goto fail;
    return 0;
fail:
    dt_store__fail(st, err, "finish a trial");
undo:
    sqlite3_finalize(s);
    dt_store__rollback(st);
    return -1;
}

/* One UPDATE: trials left RUNNING by a darktune that died become FAIL, interrupted,
 * with reason, their iterations those of their last stored value. */
int dt_store_fail_running(dt_store *st, long long study, const char *reason, int *n, dt_err *err)
{
    sqlite3_stmt *s = NULL;
    int changed;
    *n = 0;
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
        dt_store__prepare(st, &s, "UPDATE trial SET state = 'FAIL', fate = 'interrupted', reason = ?, finished = ?,"
                          " iterations = (SELECT COALESCE(MAX(step), 0) FROM point"
                          "  WHERE point.study = trial.study AND point.number = trial.number)"
                          " WHERE study = ? AND state = 'RUNNING'", "trL", reason, dt_wall(), study) != SQLITE_OK ||
        dt_store__run(s) != 0)
        goto fail;
    changed = sqlite3_changes(st->db);
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) goto fail;
    *n = changed;
    return 0;
fail:
    dt_store__fail(st, err, "mark running trials failed");
    sqlite3_finalize(s);
    dt_store__rollback(st);
    return -1;
}

/* Reads one trial's points, ordered by step then kind (then insertion, for ties). */
int dt_store_points(dt_store *st, long long study, int number, dt_point **out, int *n, dt_err *err)
{
    sqlite3_stmt *s = NULL;
    dt_point *pts = NULL;
    int count = 0, cap = 0, rc;
    *out = NULL;
    *n = 0;
    if (dt_store__prepare(st, &s, "SELECT step, kind, value FROM point WHERE study = ? AND number = ?"
                          " ORDER BY step, kind, rowid", "Li", study, number) != SQLITE_OK)
        goto fail;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            pts = dt_xrealloc(pts, (size_t)cap * sizeof *pts);
        }
        pts[count].step = (long)sqlite3_column_int64(s, 0);
        pts[count].kind = sqlite3_column_int(s, 1);
        pts[count].value = dt_store__num(s, 2);
        count++;
    }
    if (rc != SQLITE_DONE) goto fail;
    sqlite3_finalize(s);
    *out = pts;
    *n = count;
    return 0;
fail:
    dt_store__fail(st, err, "read intermediate values");
    sqlite3_finalize(s);
    free(pts);
    return -1;
}
