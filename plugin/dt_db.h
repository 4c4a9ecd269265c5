/* dt_db: one SQL connection, to a SQLite file or to PostgreSQL, behind the few calls
 * the store needs, so that the store's SQL and its transactions are written once.
 *
 *   dt_db_open(&db, "runs/x/study.db" | "postgresql://user@host:port/db", &err)
 *   dt_db_begin(db, &err)  ...  dt_db_exec / dt_db_query  ...  dt_db_commit(db, &err)
 *
 * SQL is written in the dialect both engines share, with `?` for parameters (turned
 * into $1, $2, ... for PostgreSQL). Parameters are given by a string of type letters:
 * 'i' int, 'l' long, 'L' long long, 'r' double (NaN is stored as NULL: SQLite cannot
 * hold NaN), 't' text (NULL stays NULL). Results come back whole, as a dt_rows table.
 *
 * Transactions are writers' transactions: dt_db_begin takes the database's write lock
 * at once (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock),
 * so that processes sharing a study serialise their writes instead of failing them.
 * A connection that breaks (a PostgreSQL restart, a network cut) is reopened by
 * dt_db_begin, waiting up to the reconnect time (dt_db_set_reconnect): the caller
 * then runs its whole transaction again, and a write is never half done.
 *
 * Nothing here knows what the store keeps. */
#ifndef DT_DB_H
#define DT_DB_H

#include "dt_util.h"

typedef enum { DT_DB_SQLITE, DT_DB_POSTGRES } dt_db_kind;

typedef struct dt_db dt_db;

/* One value of a result. SQLite's are typed as stored (its text for a REAL keeps 15
 * digits only: not enough to give back the double that was written); PostgreSQL's
 * are its text (17 digits for a float8), read on access. */
typedef struct dt_cell {
    enum { DT_CELL_NULL, DT_CELL_INT, DT_CELL_REAL, DT_CELL_TEXT } type;
    long long i;
    double r;
    char *text;
} dt_cell;

/* A query's result: n rows of ncols cells. */
typedef struct dt_rows {
    int n, ncols;
    dt_cell *cell;   /* n * ncols, row-major */
} dt_rows;

/* 1 when target names a PostgreSQL database (postgresql:// or postgres://). */
int dt_db_is_postgres(const char *target);
/* Opens target: a PostgreSQL URI, or a SQLite file (created with its folder; WAL
 * mode, a busy timeout: several processes may share it). *out NULL on failure. */
int dt_db_open(dt_db **out, const char *target, dt_err *err);
/* The same for reading only: a SQLite file opened as it stands (read-only, immutable:
 * nothing is created beside it); PostgreSQL as dt_db_open. */
int dt_db_open_readonly(dt_db **out, const char *target, dt_err *err);
void dt_db_close(dt_db *db);   /* NULL is fine; an open transaction is rolled back */
dt_db_kind dt_db_kind_of(const dt_db *db);
/* The target for messages: the path, or the URI without its password. */
const char *dt_db_name(const dt_db *db);
/* The database's own words for the last failed statement, without the store's name
 * that the message in err begins with ("" before any failure). */
const char *dt_db_why(const dt_db *db);
/* How long dt_db_begin keeps trying to reopen a broken connection (default 60 s). */
void dt_db_set_reconnect(dt_db *db, double seconds);

/* Starts a writer's transaction (see above). -1 with a message in err when the
 * database cannot be reached for the reconnect time. */
int dt_db_begin(dt_db *db, dt_err *err);
/* Starts a reader's transaction: every query in it sees the database at one instant
 * (SQLite: a deferred BEGIN; PostgreSQL: REPEATABLE READ), without the write lock. It
 * reconnects as dt_db_begin does. */
int dt_db_begin_read(dt_db *db, dt_err *err);
int dt_db_commit(dt_db *db, dt_err *err);
void dt_db_rollback(dt_db *db);   /* no transaction open is fine */
/* 1 when the last failure was a lost connection (the transaction may be run again
 * after dt_db_begin has reconnected), 0 otherwise. */
int dt_db_lost(const dt_db *db);

/* Runs one statement (or, with types "", several separated by ';'), no rows back. */
int dt_db_exec(dt_db *db, dt_err *err, const char *sql, const char *types, ...);
/* Runs a query; *rows is filled (free with dt_rows_free) on success, empty on failure. */
int dt_db_query(dt_db *db, dt_rows *rows, dt_err *err, const char *sql, const char *types, ...);
/* The id of the row an INSERT just made (SQLite's rowid; PostgreSQL: lastval()). */
int dt_db_last_id(dt_db *db, long long *id, dt_err *err);

void dt_rows_free(dt_rows *r);
/* Cells: NULL reads as NAN, 0 or ""; a number read as text is "". */
const char *dt_rows_text(const dt_rows *r, int row, int col);
int dt_rows_isnull(const dt_rows *r, int row, int col);
double dt_rows_num(const dt_rows *r, int row, int col);
long long dt_rows_int(const dt_rows *r, int row, int col);

#endif
