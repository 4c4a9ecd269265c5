/* dt_db: SQLite and PostgreSQL behind one small interface (see dt_db.h).
 *
 * SQLite: prepared statements, bound natively; a 10 s busy timeout plus a retry of
 * BEGIN IMMEDIATE while the file is locked, so that several workers on one machine
 * wait for each other rather than fail with "database is locked".
 * PostgreSQL (libpq): parameters as text (numbers printed with 17 significant
 * digits, which read back to the same double), results as text parsed on access.
 * A writer's transaction takes pg_advisory_xact_lock(DT_DB__LOCK), released by
 * COMMIT or ROLLBACK, which serialises writers the way BEGIN IMMEDIATE does. */
#include "dt_db.h"

#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DT_DB__LOCK 0x64746b6eLL    /* "dtkn": the advisory lock writers take */
#define DT_DB__PARAMS 32            /* parameters per statement, at most */
#define DT_DB__BUSY_MS 10000        /* SQLite: how long one statement waits for a lock */

struct dt_db {
    dt_db_kind kind;
    char *target;        /* as opened (the URI with its password: to reconnect) */
    char *name;          /* for messages */
    sqlite3 *lite;
    PGconn *pg;
    int in_tx;
    int lost;            /* the last failure was a lost connection */
    char why[512];       /* the database's own words for the last failure */
    double reconnect_s;
};

/* A statement failed: keeps the database's own words (callers that add their own
 * context read them back with dt_db_why) and says them, with the store's name. */
static int dt_db__fail(dt_db *db, dt_err *err, const char *why)
{
    snprintf(db->why, sizeof db->why, "%s", why);
    db->why[strcspn(db->why, "\n")] = '\0';
    return dt_errf(err, "store '%s': %s%s", db->name, db->lost ? "connection lost: " : "", db->why);
}

int dt_db_is_postgres(const char *target)
{
    return strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0;
}

/* The URI without a password: "postgresql://user:secret@host/db" -> "postgresql://user@host/db". */
static char *dt_db__public_name(const char *uri)
{
    const char *scheme = strstr(uri, "://"), *at = strchr(uri, '@');
    if (!scheme || !at) return dt_xstrdup(uri);
    const char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
    if (!colon) return dt_xstrdup(uri);
    return dt_xasprintf("%.*s%s", (int)(colon - uri), uri, at);
}

/* Notices ("relation ... does not exist, skipping") are not errors: dropped. */
static void dt_db__pg_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Connects (or reconnects) db->pg; 0 when the connection is up. */
static int dt_db__pg_connect(dt_db *db, dt_err *err)
{
    if (db->pg) PQfinish(db->pg);
    db->pg = PQconnectdb(db->target);
    if (PQstatus(db->pg) == CONNECTION_OK) {
        PQsetNoticeProcessor(db->pg, dt_db__pg_notice, NULL);
        return 0;
    }
    /* libpq's message ends with a newline and may span lines: keep its first line. */
    char msg[512];
    snprintf(msg, sizeof msg, "%s", PQerrorMessage(db->pg));
    msg[strcspn(msg, "\n")] = '\0';
    return dt_errf(err, "cannot connect to '%s': %s", db->name, msg);
}

static int dt_db__open(dt_db **out, const char *target, int readonly, dt_err *err);

int dt_db_open(dt_db **out, const char *target, dt_err *err)
{
    return dt_db__open(out, target, 0, err);
}

int dt_db_open_readonly(dt_db **out, const char *target, dt_err *err)
{
    return dt_db__open(out, target, 1, err);
}

static int dt_db__open(dt_db **out, const char *target, int readonly, dt_err *err)
{
    *out = NULL;
    dt_db *db = dt_xcalloc(1, sizeof *db);
    db->target = dt_xstrdup(target);
    db->reconnect_s = 60;
    if (dt_db_is_postgres(target)) {
        db->kind = DT_DB_POSTGRES;
        db->name = dt_db__public_name(target);
        if (dt_db__pg_connect(db, err) != 0) {
            dt_db_close(db);
            return -1;
        }
        *out = db;
        return 0;
    }
    db->kind = DT_DB_SQLITE;
    db->name = dt_xstrdup(target);
    if (readonly) {
        /* immutable: no -shm or -wal to create beside it (a copy on a read-only disk,
         * or a file without write permission): it is read as it stands. */
        char *uri = dt_xasprintf("file:%s?mode=ro&immutable=1", target);
        int ok = sqlite3_open_v2(uri, &db->lite, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK;
        free(uri);
        if (!ok) {
            dt_errf(err, "cannot open store '%s': %s", target, db->lite ? sqlite3_errmsg(db->lite) : "out of memory");
            dt_db_close(db);
            return -1;
        }
        *out = db;
        return 0;
    }
    char *dir = dt_dirname(target);
    int rc = dt_mkdirs(dir, err);
    free(dir);
    if (rc != 0) {
        dt_db_close(db);
        return -1;
    }
    if (sqlite3_open_v2(target, &db->lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        dt_errf(err, "cannot open store '%s': %s", target, db->lite ? sqlite3_errmsg(db->lite) : "out of memory");
        dt_db_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db->lite, DT_DB__BUSY_MS);
    *out = db;
    return 0;
}

void dt_db_close(dt_db *db)
{
    if (!db) return;
    dt_db_rollback(db);
    if (db->lite) sqlite3_close(db->lite);
    if (db->pg) PQfinish(db->pg);
    free(db->target);
    free(db->name);
    free(db);
}

dt_db_kind dt_db_kind_of(const dt_db *db)
{
    return db->kind;
}

const char *dt_db_why(const dt_db *db)
{
    return db->why;
}

const char *dt_db_name(const dt_db *db)
{
    return db->name;
}

void dt_db_set_reconnect(dt_db *db, double seconds)
{
    db->reconnect_s = seconds;
}

int dt_db_lost(const dt_db *db)
{
    return db->lost;
}

/* ---- Parameters. */

/* The arguments of one statement, as SQLite binds them or as PostgreSQL's text. */
typedef struct dt_db__args {
    int n;
    char type[DT_DB__PARAMS];
    long long i[DT_DB__PARAMS];
    double r[DT_DB__PARAMS];
    const char *t[DT_DB__PARAMS];
    char num[DT_DB__PARAMS][32];   /* PostgreSQL: numbers as text */
    const char *text[DT_DB__PARAMS];
} dt_db__args;

static int dt_db__collect(dt_db__args *a, const char *types, va_list ap, dt_err *err)
{
    a->n = (int)strlen(types);
    if (a->n > DT_DB__PARAMS) return dt_errf(err, "dt_db: %d parameters, at most %d", a->n, DT_DB__PARAMS);
    for (int k = 0; k < a->n; k++) {
        a->type[k] = types[k];
        switch (types[k]) {
        case 'i': a->i[k] = va_arg(ap, int); break;
        case 'l': a->i[k] = va_arg(ap, long); break;
        case 'L': a->i[k] = va_arg(ap, long long); break;
        case 'r': a->r[k] = va_arg(ap, double); break;
        case 't': a->t[k] = va_arg(ap, const char *); break;
        default: return dt_errf(err, "dt_db: unknown parameter type '%c'", types[k]);
        }
    }
    return 0;
}

/* PostgreSQL's text for each parameter; NULL for SQL NULL. */
static void dt_db__pg_text(dt_db__args *a)
{
    for (int k = 0; k < a->n; k++) {
        switch (a->type[k]) {
        case 'r':
            if (isnan(a->r[k])) a->text[k] = NULL;
            else {
                if (isinf(a->r[k])) snprintf(a->num[k], sizeof a->num[k], "%sInfinity", a->r[k] < 0 ? "-" : "");
                else snprintf(a->num[k], sizeof a->num[k], "%.17g", a->r[k]);
                a->text[k] = a->num[k];
            }
            break;
        case 't': a->text[k] = a->t[k]; break;
        default:
            snprintf(a->num[k], sizeof a->num[k], "%lld", a->i[k]);
            a->text[k] = a->num[k];
        }
    }
}

/* sql with each `?` outside quotes turned into $1, $2, ... */
static char *dt_db__pg_sql(const char *sql)
{
    dt_buf b = {0};
    int k = 0, quoted = 0;
    for (const char *s = sql; *s; s++) {
        if (*s == '\'') quoted = !quoted;
        if (*s == '?' && !quoted) dt_buf_printf(&b, "$%d", ++k);
        else dt_buf_add(&b, s, 1);
    }
    return b.p ? b.p : dt_xstrdup("");
}

/* ---- Statements. */

/* Room for one more row of ncols cells; returns it. Grows by doubling. */
static dt_cell *dt_db__rows_add(dt_rows *r, int ncols, int *cap)
{
    r->ncols = ncols;
    if (r->n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        r->cell = dt_xrealloc(r->cell, sizeof *r->cell * (size_t)*cap * (size_t)(ncols ? ncols : 1));
    }
    dt_cell *row = &r->cell[(size_t)r->n++ * (size_t)ncols];
    memset(row, 0, sizeof *row * (size_t)ncols);
    return row;
}

/* SQLite: one statement (types given) or a script (types ""), rows into r when r. */
static int dt_db__lite_run(dt_db *db, dt_rows *r, dt_err *err, const char *sql, const dt_db__args *a, int script)
{
    if (script) {
        char *msg = NULL;
        if (sqlite3_exec(db->lite, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
        dt_db__fail(db, err, msg ? msg : sqlite3_errmsg(db->lite));
        sqlite3_free(msg);
        return -1;
    }
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db->lite, sql, -1, &s, NULL);
    if (rc == SQLITE_OK && sqlite3_bind_parameter_count(s) != a->n) {
        sqlite3_finalize(s);
        return dt_errf(err, "dt_db: %d parameters given to a statement of %d: %s", a->n,
                       sqlite3_bind_parameter_count(s), sql);
    }
    for (int k = 0; rc == SQLITE_OK && k < a->n; k++) {
        switch (a->type[k]) {
        case 'r': rc = isnan(a->r[k]) ? sqlite3_bind_null(s, k + 1) : sqlite3_bind_double(s, k + 1, a->r[k]); break;
        case 't': rc = sqlite3_bind_text(s, k + 1, a->t[k], -1, SQLITE_TRANSIENT); break;
        default: rc = sqlite3_bind_int64(s, k + 1, a->i[k]);
        }
    }
    int cap = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (!r) continue;
        int nc = sqlite3_column_count(s);
        dt_cell *row = dt_db__rows_add(r, nc, &cap);
        for (int c = 0; c < nc; c++) {
            switch (sqlite3_column_type(s, c)) {
            case SQLITE_NULL: break;
            case SQLITE_INTEGER:
                row[c].type = DT_CELL_INT;
                row[c].i = sqlite3_column_int64(s, c);
                break;
            case SQLITE_FLOAT:
                row[c].type = DT_CELL_REAL;
                row[c].r = sqlite3_column_double(s, c);
                break;
            default:
                row[c].type = DT_CELL_TEXT;
                row[c].text = dt_xstrdup((const char *)sqlite3_column_text(s, c));
            }
        }
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    if (rc != SQLITE_OK) dt_db__fail(db, err, sqlite3_errmsg(db->lite));
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? 0 : -1;
}

/* PostgreSQL: one statement (parameters) or a script; rows into r when r. */
static int dt_db__pg_run(dt_db *db, dt_rows *r, dt_err *err, const char *sql, dt_db__args *a, int script)
{
    PGresult *res;
    if (script) res = PQexec(db->pg, sql);
    else {
        char *q = dt_db__pg_sql(sql);
        dt_db__pg_text(a);
        res = PQexecParams(db->pg, q, a->n, NULL, a->text, NULL, NULL, 0);
        free(q);
    }
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        db->lost = PQstatus(db->pg) != CONNECTION_OK;
        dt_db__fail(db, err, db->lost ? PQerrorMessage(db->pg) : PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    if (r && st == PGRES_TUPLES_OK) {
        int nr = PQntuples(res), nc = PQnfields(res), cap = 0;
        for (int i = 0; i < nr; i++) {
            dt_cell *row = dt_db__rows_add(r, nc, &cap);
            for (int c = 0; c < nc; c++) {
                if (PQgetisnull(res, i, c)) continue;
                row[c].type = DT_CELL_TEXT;
                row[c].text = dt_xstrdup(PQgetvalue(res, i, c));
            }
        }
        r->ncols = nc;
    }
    PQclear(res);
    return 0;
}

static int dt_db__run(dt_db *db, dt_rows *r, dt_err *err, const char *sql, const char *types, va_list ap)
{
    dt_db__args a;
    db->lost = 0;
    if (dt_db__collect(&a, types, ap, err) != 0) return -1;
    int script = !types[0] && !r;
    if (db->kind == DT_DB_SQLITE) return dt_db__lite_run(db, r, err, sql, &a, script);
    return dt_db__pg_run(db, r, err, sql, &a, script);
}

int dt_db_exec(dt_db *db, dt_err *err, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = dt_db__run(db, NULL, err, sql, types, ap);
    va_end(ap);
    return rc;
}

int dt_db_query(dt_db *db, dt_rows *rows, dt_err *err, const char *sql, const char *types, ...)
{
    memset(rows, 0, sizeof *rows);
    va_list ap;
    va_start(ap, types);
    int rc = dt_db__run(db, rows, err, sql, types, ap);
    va_end(ap);
    if (rc != 0) dt_rows_free(rows);
    return rc;
}

int dt_db_last_id(dt_db *db, long long *id, dt_err *err)
{
    if (db->kind == DT_DB_SQLITE) {
        *id = sqlite3_last_insert_rowid(db->lite);
        return 0;
    }
    dt_rows r;
    if (dt_db_query(db, &r, err, "SELECT lastval()", "") != 0) return -1;
    *id = dt_rows_int(&r, 0, 0);
    dt_rows_free(&r);
    return 0;
}

/* ---- Transactions. */

static void dt_db__sleep(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static int dt_db__begin(dt_db *db, int write, dt_err *err);

int dt_db_begin(dt_db *db, dt_err *err)
{
    return dt_db__begin(db, 1, err);
}

int dt_db_begin_read(dt_db *db, dt_err *err)
{
    return dt_db__begin(db, 0, err);
}

static int dt_db__begin(dt_db *db, int write, dt_err *err)
{
    db->lost = 0;
    if (db->kind == DT_DB_SQLITE && !write) {
        if (sqlite3_exec(db->lite, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return dt_db__fail(db, err, sqlite3_errmsg(db->lite));
        db->in_tx = 1;
        return 0;
    }
    if (db->kind == DT_DB_SQLITE) {
        /* The busy timeout covers BEGIN IMMEDIATE too; a writer that holds the file
         * longer than that (a slow disk) is waited for again rather than failed. */
        double until = dt_now() + 6 * DT_DB__BUSY_MS / 1000.0;
        for (;;) {
            int rc = sqlite3_exec(db->lite, "BEGIN IMMEDIATE", NULL, NULL, NULL);
            if (rc == SQLITE_OK) break;
            if (rc != SQLITE_BUSY || dt_now() > until)
                return dt_db__fail(db, err, sqlite3_errmsg(db->lite));
        }
        db->in_tx = 1;
        return 0;
    }
    /* A broken connection is reopened, with a growing pause, for up to reconnect_s. */
    double until = dt_now() + db->reconnect_s, pause = 0.1;
    for (;;) {
        if (PQstatus(db->pg) != CONNECTION_OK) {
            PQreset(db->pg);
            if (PQstatus(db->pg) != CONNECTION_OK) {
                if (dt_now() + pause > until) {
                    db->lost = 1;
                    return dt_errf(err, "cannot reach store '%s' for %.0f s: %s", db->name, db->reconnect_s,
                                   strtok(PQerrorMessage(db->pg), "\n"));
                }
                dt_db__sleep(pause);
                pause = pause < 2 ? pause * 2 : 2;
                continue;
            }
        }
        dt_err e;
        if (dt_db_exec(db, &e, write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ", "") == 0 &&
            (!write || dt_db_exec(db, &e, "SELECT pg_advisory_xact_lock(?)", "L", (long long)DT_DB__LOCK) == 0)) {
            db->in_tx = 1;
            return 0;
        }
        if (!db->lost) {
            dt_db_exec(db, NULL, "ROLLBACK", "");
            return dt_errf(err, "%s", e.msg);
        }
    }
}

int dt_db_commit(dt_db *db, dt_err *err)
{
    int rc = dt_db_exec(db, err, "COMMIT", "");
    if (rc != 0) dt_db_rollback(db);
    db->in_tx = 0;
    return rc;
}

void dt_db_rollback(dt_db *db)
{
    if (db->kind == DT_DB_SQLITE) {
        if (db->lite && !sqlite3_get_autocommit(db->lite)) sqlite3_exec(db->lite, "ROLLBACK", NULL, NULL, NULL);
    } else if (db->in_tx && db->pg && PQstatus(db->pg) == CONNECTION_OK) {
        PQclear(PQexec(db->pg, "ROLLBACK"));
    }
    db->in_tx = 0;
}

/* ---- Rows. */

void dt_rows_free(dt_rows *r)
{
    if (!r) return;
    for (size_t k = 0; k < (size_t)r->n * (size_t)r->ncols; k++) free(r->cell[k].text);
    free(r->cell);
    memset(r, 0, sizeof *r);
}

static const dt_cell *dt_rows__cell(const dt_rows *r, int row, int col)
{
    static const dt_cell null_cell;
    if (row < 0 || row >= r->n || col < 0 || col >= r->ncols) return &null_cell;
    return &r->cell[(size_t)row * (size_t)r->ncols + (size_t)col];
}

const char *dt_rows_text(const dt_rows *r, int row, int col)
{
    const dt_cell *c = dt_rows__cell(r, row, col);
    return c->type == DT_CELL_TEXT ? c->text : "";
}

int dt_rows_isnull(const dt_rows *r, int row, int col)
{
    return dt_rows__cell(r, row, col)->type == DT_CELL_NULL;
}

double dt_rows_num(const dt_rows *r, int row, int col)
{
    const dt_cell *c = dt_rows__cell(r, row, col);
    switch (c->type) {
    case DT_CELL_INT: return (double)c->i;
    case DT_CELL_REAL: return c->r;
    /* PostgreSQL writes ±inf as "Infinity", NaN as "NaN": strtod reads both. */
    case DT_CELL_TEXT: return strtod(c->text, NULL);
    default: return NAN;
    }
}

long long dt_rows_int(const dt_rows *r, int row, int col)
{
    const dt_cell *c = dt_rows__cell(r, row, col);
    switch (c->type) {
    case DT_CELL_INT: return c->i;
    case DT_CELL_REAL: return (long long)c->r;
    case DT_CELL_TEXT: return strtoll(c->text, NULL, 10);
    default: return 0;
    }
}
