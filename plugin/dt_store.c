/* dt_store: studies, trials, parameters and intermediate values, in a SQLite file or
 * in PostgreSQL (dt_db: the same SQL for both).
 *
 * Schema version 6:
 *   study(id, name, direction, metric, created, sweep)
 *   trial(study, number, state, value, iterations, seconds, started, finished, reason, baseline,
 *         fate, seed_trial, rerun_of, worker, heartbeat, weights, process, last_loss, last_loss_step,
 *         last_metric, last_metric_step, final, ms, bflops, diverged)
 *   param(study, number, name, text, num)      one row per active value of a trial
 *   point(id, study, number, step, kind, value) intermediate values; id grows with each write
 * fate ('counts', 'interrupted', 'oom', 'lost': dt_fate_name) says whether a trial counts
 * against the budget and whether its configuration runs again; seed_trial is the trial
 * whose number seeds it; rerun_of the trial whose configuration it runs again (NULL
 * none). worker names the process that runs it ("host:pid:start"), heartbeat is when
 * that process last said it was alive (the database's clock), weights where the
 * trial's final weights are on that host, process the trial program's process group
 * ("pgid:start[:cgroup]", exec only); last_loss, last_metric (and their steps) its
 * value at the highest step of each series, kept as points are added, so that loading
 * a study reads no points. final is 1 for a finalist's run: the configuration of trial
 * rerun_of trained again with a new seed after the search ([final]); such runs have a
 * budget of their own. ms and bflops are its inference time per image and its size
 * ([study] objectives; NULL where not measured). diverged is 1 for a trial stopped
 * because its loss or metric went nan or inf. The reason is for people and is never read
 * back as data (migrations from older versions read it once, to fill the columns that
 * took its place).
 * A SQLite file keeps its version in PRAGMA user_version, PostgreSQL in the table
 * darktune_meta. Older SQLite files are migrated when opened, in one transaction:
 * version 1 (every darktune before fate), 2 (before workers), 3 (before finalists) and
 * 4 (before ms and bflops) and 5 (before diverged); PostgreSQL stores began at 3.
 * Trials run elsewhere (an Optuna journal, dt_store_import) sit in the same tables with
 * numbers below 0, fate 'imported', worker naming the journal they came from and their
 * last intermediate value in last_metric: the study's own trials are those numbered from
 * 0 (dt_store_load), so nothing that counts, numbers or runs trials sees them, and no
 * schema change was needed (a darktune before them refuses the unknown fate).
 * NaN is stored as NULL and NULL is read back as NAN (SQLite cannot hold NaN); ±inf
 * are stored as they are. Times are unix seconds.
 *
 * Every call that writes is one writer's transaction (dt_db_begin: the whole
 * database's write lock), which serialises the workers that share a study: numbering
 * a trial, checking the budget and claiming a configuration to run again happen in
 * one step. A transaction cut by a lost connection runs again once dt_db_begin has
 * reconnected (dt_store__tx), so a write is done whole or reported, never lost.
 *
 * It does not cache anything between calls, does not know the sampler's or the
 * pruner's rules, and never deletes a trial (an import replaces the trials it imported
 * before from the same journal, and only those). */
#include "dt_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dt_db.h"

/* The schema version this code writes; it opens older ones by migrating them. */
#define DT_STORE_VERSION 6

struct dt_store {
    dt_db *db;
};

/* What a new version 6 store holds, per engine (PostgreSQL's REAL is 4 bytes, and it
 * numbers rows with identity columns). The foreign keys keep parameters and points from
 * outliving (or preceding) their trial. */
static const char dt_store__schema_sqlite[] =
    "CREATE TABLE study(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, direction TEXT,"
    " metric TEXT, created REAL, sweep TEXT);"
    "CREATE TABLE trial(study INTEGER NOT NULL REFERENCES study(id), number INTEGER NOT NULL,"
    " state TEXT NOT NULL, value REAL, iterations INTEGER, seconds REAL, started REAL,"
    " finished REAL, reason TEXT, baseline INTEGER, fate TEXT NOT NULL DEFAULT 'counts',"
    " seed_trial INTEGER, rerun_of INTEGER, worker TEXT, heartbeat REAL, weights TEXT, process TEXT,"
    " last_loss REAL, last_loss_step INTEGER, last_metric REAL, last_metric_step INTEGER,"
    " final INTEGER NOT NULL DEFAULT 0, ms REAL, bflops REAL, diverged INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(study, number));"
    "CREATE TABLE param(study INTEGER NOT NULL, number INTEGER NOT NULL, name TEXT NOT NULL,"
    " text TEXT, num REAL, PRIMARY KEY(study, number, name),"
    " FOREIGN KEY(study, number) REFERENCES trial(study, number));"
    "CREATE TABLE point(id INTEGER PRIMARY KEY, study INTEGER NOT NULL, number INTEGER NOT NULL,"
    " step INTEGER, kind INTEGER, value REAL, FOREIGN KEY(study, number) REFERENCES trial(study, number));"
    "CREATE INDEX point_trial ON point(study, number);"
    "PRAGMA user_version = 6;";

static const char dt_store__schema_postgres[] =
    "CREATE TABLE study(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
    " direction TEXT, metric TEXT, created DOUBLE PRECISION, sweep TEXT);"
    "CREATE TABLE trial(study BIGINT NOT NULL REFERENCES study(id), number INTEGER NOT NULL,"
    " state TEXT NOT NULL, value DOUBLE PRECISION, iterations BIGINT, seconds DOUBLE PRECISION,"
    " started DOUBLE PRECISION, finished DOUBLE PRECISION, reason TEXT, baseline INTEGER,"
    " fate TEXT NOT NULL DEFAULT 'counts', seed_trial INTEGER, rerun_of INTEGER, worker TEXT,"
    " heartbeat DOUBLE PRECISION, weights TEXT, process TEXT, last_loss DOUBLE PRECISION, last_loss_step BIGINT,"
    " last_metric DOUBLE PRECISION, last_metric_step BIGINT, final INTEGER NOT NULL DEFAULT 0,"
    " ms DOUBLE PRECISION, bflops DOUBLE PRECISION, diverged INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(study, number));"
    "CREATE TABLE param(study BIGINT NOT NULL, number INTEGER NOT NULL, name TEXT NOT NULL,"
    " text TEXT, num DOUBLE PRECISION, PRIMARY KEY(study, number, name),"
    " FOREIGN KEY(study, number) REFERENCES trial(study, number));"
    "CREATE TABLE point(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, study BIGINT NOT NULL,"
    " number INTEGER NOT NULL, step BIGINT, kind INTEGER, value DOUBLE PRECISION,"
    " FOREIGN KEY(study, number) REFERENCES trial(study, number));"
    "CREATE INDEX point_trial ON point(study, number);"
    "INSERT INTO darktune_meta(key, value) VALUES ('version', '6');";

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

/* Version 1 to 2 (SQLite only: PostgreSQL stores began at 3). Version 1 kept a
 * trial's fate only in its reason, and a rerun's link and seed nowhere: its scheduler
 * found them again on every resume. These statements read the reasons once, here, and
 * record what that scheduler inferred:
 * - fate: a FAIL whose reason begins "interrupted" or "out of GPU memory (runs again)";
 *   a RUNNING trial stays RUNNING (and counts): the scheduler makes it interrupted on
 *   resume, as it does with a current store.
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

/* Version 2 to 3: the worker columns, and points numbered by an id that workers read
 * new points by (the rowid they had, kept). A trial RUNNING in a version 2 store has no
 * worker: it is taken for one of a darktune that stopped (dt_store_reap). */
static const char dt_store__migrate_2[] =
    "ALTER TABLE study ADD COLUMN sweep TEXT;"
    "ALTER TABLE trial ADD COLUMN worker TEXT;"
    "ALTER TABLE trial ADD COLUMN heartbeat REAL;"
    "ALTER TABLE trial ADD COLUMN weights TEXT;"
    "ALTER TABLE trial ADD COLUMN process TEXT;"
    "ALTER TABLE trial ADD COLUMN last_loss REAL;"
    "ALTER TABLE trial ADD COLUMN last_loss_step INTEGER;"
    "ALTER TABLE trial ADD COLUMN last_metric REAL;"
    "ALTER TABLE trial ADD COLUMN last_metric_step INTEGER;"
    "CREATE TABLE point3(id INTEGER PRIMARY KEY, study INTEGER NOT NULL, number INTEGER NOT NULL,"
    " step INTEGER, kind INTEGER, value REAL, FOREIGN KEY(study, number) REFERENCES trial(study, number));"
    "INSERT INTO point3(id, study, number, step, kind, value) SELECT rowid, study, number, step, kind, value"
    " FROM point;"
    "DROP TABLE point;"
    "ALTER TABLE point3 RENAME TO point;"
    "CREATE INDEX point_trial ON point(study, number);"
    "UPDATE trial SET"
    " last_loss_step = (SELECT max(step) FROM point p WHERE p.study = trial.study AND p.number = trial.number"
    "  AND p.kind = 0),"
    " last_metric_step = (SELECT max(step) FROM point p WHERE p.study = trial.study AND p.number = trial.number"
    "  AND p.kind = 1);"
    "UPDATE trial SET"
    " last_loss = (SELECT value FROM point p WHERE p.study = trial.study AND p.number = trial.number"
    "  AND p.kind = 0 AND p.step = trial.last_loss_step ORDER BY p.id DESC LIMIT 1),"
    " last_metric = (SELECT value FROM point p WHERE p.study = trial.study AND p.number = trial.number"
    "  AND p.kind = 1 AND p.step = trial.last_metric_step ORDER BY p.id DESC LIMIT 1);"
    "PRAGMA user_version = 3;";

/* Version 3 to 4: finalists' runs ([final]) marked; every older trial is a search trial.
 * The version itself is set per engine (dt_store__ensure_schema). */
static const char dt_store__migrate_3[] = "ALTER TABLE trial ADD COLUMN final INTEGER NOT NULL DEFAULT 0;";

/* Version 4 to 5: a trial's inference time and size ([study] objectives); older trials
 * measured neither (NULL). PostgreSQL's REAL would round them to 4 bytes. */
static const char dt_store__migrate_4_sqlite[] = "ALTER TABLE trial ADD COLUMN ms REAL;"
                                                 "ALTER TABLE trial ADD COLUMN bflops REAL;";
static const char dt_store__migrate_4_postgres[] = "ALTER TABLE trial ADD COLUMN ms DOUBLE PRECISION;"
                                                   "ALTER TABLE trial ADD COLUMN bflops DOUBLE PRECISION;";

/* Version 5 to 6: a divergence as a column. Version 5 said so only in the reason, which
 * every darktune that wrote one began with "diverged" (the pruner's nan or inf, a final
 * metric that was not finite, a run whose last loss was nan): read here, once. The same
 * SQL for both engines. */
static const char dt_store__migrate_5[] =
    "ALTER TABLE trial ADD COLUMN diverged INTEGER NOT NULL DEFAULT 0;"
    "UPDATE trial SET diverged = 1"
    " WHERE state IN ('PRUNED', 'FAIL') AND substr(reason, 1, length('diverged')) = 'diverged';";

/* The database's clock in unix seconds, as SQL: heartbeats are written and judged by
 * one clock, whatever the workers' own. */
static const char *dt_store__now(const dt_store *st)
{
    return dt_db_kind_of(st->db) == DT_DB_POSTGRES ? "extract(epoch from clock_timestamp())"
                                                   : "((julianday('now') - 2440587.5) * 86400.0)";
}

/* Runs body(st, ctx, err) inside one writer's transaction: commits when it returns 0,
 * rolls back otherwise (its return value is passed on: > 0 is an answer, not an
 * error). A body cut by a lost connection runs again after dt_db_begin reconnects. */
typedef int (*dt_store__body)(dt_store *st, void *ctx, dt_err *err);
static int dt_store__run(dt_store *st, int write, dt_store__body body, void *ctx, const char *what, dt_err *err)
{
    for (int attempt = 0;; attempt++) {
        dt_err e = {0};
        int rc = (write ? dt_db_begin(st->db, &e) : dt_db_begin_read(st->db, &e)) == 0 ? body(st, ctx, &e) : -1;
        if (rc == 0 && dt_db_commit(st->db, &e) == 0) return 0;
        dt_db_rollback(st->db);
        if (rc > 0) return rc;
        if (dt_db_lost(st->db) && attempt < 3) continue;
        /* The database's own messages ("store 'x': ...") say what failed, not what
         * darktune was doing: that goes first. */
        if (what && strncmp(e.msg, "store '", 7) == 0) dt_errf(err, "cannot %s in %s", what, e.msg);
        else if (err) *err = e;
        return -1;
    }
}

static int dt_store__tx(dt_store *st, dt_store__body body, void *ctx, const char *what, dt_err *err)
{
    return dt_store__run(st, 1, body, ctx, what, err);
}

/* The same for a body that only reads: it sees the store at one instant. */
static int dt_store__read(dt_store *st, dt_store__body body, void *ctx, const char *what, dt_err *err)
{
    return dt_store__run(st, 0, body, ctx, what, err);
}

/* ---- Opening: the schema created, migrated or checked. */

static int dt_store__version(dt_store *st, int *version, int *tables, dt_err *err)
{
    dt_rows r;
    if (dt_db_kind_of(st->db) == DT_DB_SQLITE) {
        if (dt_db_query(st->db, &r, err, "SELECT (SELECT user_version FROM pragma_user_version),"
                        " (SELECT count(*) FROM sqlite_master)", "") != 0)
            return -1;
        *version = (int)dt_rows_int(&r, 0, 0);
        *tables = (int)dt_rows_int(&r, 0, 1);
        dt_rows_free(&r);
        return 0;
    }
    if (dt_db_exec(st->db, err, "CREATE TABLE IF NOT EXISTS darktune_meta(key TEXT PRIMARY KEY, value TEXT)",
                   "") != 0 ||
        dt_db_query(st->db, &r, err, "SELECT value FROM darktune_meta WHERE key = 'version'", "") != 0)
        return -1;
    /* No row: a new store. A value that is no number is no version of ours (-1). */
    const char *v = r.n ? dt_rows_text(&r, 0, 0) : "0";
    char *end;
    long ver = strtol(v, &end, 10);
    *version = end != v && *end == '\0' && ver >= 0 && ver <= 1000000 ? (int)ver : -1;
    dt_rows_free(&r);
    if (dt_db_query(st->db, &r, err, "SELECT count(*) FROM information_schema.tables"
                    " WHERE table_schema = current_schema() AND table_name IN ('study', 'trial', 'param', 'point')",
                    "") != 0)
        return -1;
    *tables = (int)dt_rows_int(&r, 0, 0);
    dt_rows_free(&r);
    return 0;
}

/* Brings the store to the current version inside one writer's transaction (two
 * processes opening a new or old store at once create or migrate it once): creates the
 * tables in an empty store, migrates older versions, refuses newer ones and databases
 * that hold other tables. A migration that fails changes nothing. */
static int dt_store__ensure_schema(dt_store *st, void *ctx, dt_err *err)
{
    (void)ctx;
    int version, tables;
    const char *name = dt_db_name(st->db);
    if (dt_store__version(st, &version, &tables, err) != 0) return -1;
    if (version == 0 && tables > 0) return dt_errf(err, "'%s' is not a darktune store: it holds other tables", name);
    if (version < 0) return dt_errf(err, "'%s' is not a darktune store: schema version %d", name, version);
    if (version > DT_STORE_VERSION)
        return dt_errf(err, "'%s' is a store of a newer darktune (schema version %d; this one reads %d at most)",
                       name, version, DT_STORE_VERSION);
    dt_err e;
    if (version == 0 &&
        dt_db_exec(st->db, &e, dt_db_kind_of(st->db) == DT_DB_SQLITE ? dt_store__schema_sqlite
                                                                     : dt_store__schema_postgres, "") != 0)
        return dt_errf(err, "cannot create store '%s': %s", name, dt_db_why(st->db));
    if (version == 1 && dt_db_exec(st->db, &e, dt_store__migrate_1, "") != 0)
        return dt_errf(err, "cannot migrate store '%s' from schema version 1: %s", name, dt_db_why(st->db));
    if (version >= 1 && version < 3 && dt_db_exec(st->db, &e, dt_store__migrate_2, "") != 0)
        return dt_errf(err, "cannot migrate store '%s' from schema version 2: %s", name, dt_db_why(st->db));
    int sqlite = dt_db_kind_of(st->db) == DT_DB_SQLITE;
    if (version >= 1 && version < 4 && dt_db_exec(st->db, &e, dt_store__migrate_3, "") != 0)
        return dt_errf(err, "cannot migrate store '%s' from schema version 3: %s", name, dt_db_why(st->db));
    if (version >= 1 && version < 5 &&
        dt_db_exec(st->db, &e, sqlite ? dt_store__migrate_4_sqlite : dt_store__migrate_4_postgres, "") != 0)
        return dt_errf(err, "cannot migrate store '%s' from schema version 4: %s", name, dt_db_why(st->db));
    if (version >= 1 && version < 6 &&
        (dt_db_exec(st->db, &e, dt_store__migrate_5, "") != 0 ||
         dt_db_exec(st->db, &e, sqlite ? "PRAGMA user_version = 6"
                                       : "UPDATE darktune_meta SET value = '6' WHERE key = 'version'", "") != 0))
        return dt_errf(err, "cannot migrate store '%s' from schema version 5: %s", name, dt_db_why(st->db));
    return 0;
}

/* Reads a store without writing to it: a SQLite file that cannot be written (a
 * read-only copy of a study) must be of the current schema, since migrating it would
 * write. */
static int dt_store__check_version(dt_store *st, void *ctx, dt_err *err)
{
    (void)ctx;
    int version, tables;
    if (dt_store__version(st, &version, &tables, err) != 0) return -1;
    if (version == DT_STORE_VERSION) return 0;
    if (version > DT_STORE_VERSION)
        return dt_errf(err, "'%s' is a store of a newer darktune (schema version %d; this one reads %d at most)",
                       dt_db_name(st->db), version, DT_STORE_VERSION);
    return dt_errf(err, "'%s' cannot be written, and it is a store of an older darktune (schema version %d): "
                   "copy it where it can be written, and this darktune will bring it up to date", dt_db_name(st->db),
                   version);
}

int dt_store_open_read(dt_store **out, const char *target, dt_err *err)
{
    *out = NULL;
    if (dt_db_is_postgres(target) || access(target, W_OK) == 0) return dt_store_open(out, target, err);
    dt_store *st = dt_xcalloc(1, sizeof *st);
    if (dt_db_open_readonly(&st->db, target, err) != 0) {
        free(st);
        return -1;
    }
    if (dt_store__read(st, dt_store__check_version, NULL, "open the store", err) != 0) {
        dt_store_close(st);
        return -1;
    }
    *out = st;
    return 0;
}

/* Opens the file (and its folder) or connects, and checks or creates the schema. */
int dt_store_open(dt_store **out, const char *target, dt_err *err)
{
    *out = NULL;
    dt_store *st = dt_xcalloc(1, sizeof *st);
    if (dt_db_open(&st->db, target, err) != 0) {
        free(st);
        return -1;
    }
    if (dt_db_kind_of(st->db) == DT_DB_SQLITE) {
        /* Reading the schema first is what finds out whether the file is a database at
         * all, before any pragma could change someone else's file. */
        dt_rows r;
        dt_err e;
        if (dt_db_query(st->db, &r, &e, "SELECT count(*) FROM sqlite_master", "") != 0) {
            dt_errf(err, "'%s' is not a darktune store: %s", target, dt_db_why(st->db));
            dt_store_close(st);
            return -1;
        }
        dt_rows_free(&r);
    }
    if (dt_store__tx(st, dt_store__ensure_schema, NULL, NULL, err) != 0) {
        dt_store_close(st);
        return -1;
    }
    dt_err e;
    if (dt_db_kind_of(st->db) == DT_DB_SQLITE &&
        dt_db_exec(st->db, &e, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                   "") != 0) {
        dt_errf(err, "cannot open store '%s': %s", target, dt_db_why(st->db));
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
    dt_db_close(st->db);
    free(st);
}

const char *dt_store_name(const dt_store *st)
{
    return dt_db_name(st->db);
}

/* ---- Studies. */

typedef struct dt_store__study_ctx {
    const char *name, *direction, *metric;
    long long *id;
} dt_store__study_ctx;

static int dt_store__study(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__study_ctx *c = ctx;
    dt_rows r;
    if (dt_db_query(st->db, &r, err, "SELECT id, direction, metric FROM study WHERE name = ?", "t", c->name) != 0)
        return -1;
    if (r.n) {
        const char *d = dt_rows_text(&r, 0, 1), *m = dt_rows_text(&r, 0, 2);
        int same = strcmp(d, c->direction) == 0 && strcmp(m, c->metric) == 0;
        if (!same)
            dt_errf(err, "study '%s' in '%s' is a %s study of %s; this sweep asks for %s %s", c->name,
                    dt_db_name(st->db), d, m, c->direction, c->metric);
        else
            *c->id = dt_rows_int(&r, 0, 0);
        dt_rows_free(&r);
        return same ? 0 : -1;
    }
    dt_rows_free(&r);
    if (dt_db_exec(st->db, err, "INSERT INTO study(name, direction, metric, created) VALUES (?, ?, ?, ?)", "tttr",
                   c->name, c->direction, c->metric, dt_wall()) != 0)
        return -1;
    return dt_db_last_id(st->db, c->id, err);
}

/* The study called name without creating it: 0 with *id, 1 when there is none. */
typedef struct dt_store__find_ctx {
    const char *name;
    long long *id;
} dt_store__find_ctx;

static int dt_store__find_study(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__find_ctx *c = ctx;
    dt_rows r;
    if (dt_db_query(st->db, &r, err, "SELECT id FROM study WHERE name = ?", "t", c->name) != 0) return -1;
    int found = r.n > 0;
    if (found) *c->id = dt_rows_int(&r, 0, 0);
    dt_rows_free(&r);
    return found ? 0 : 1;
}

int dt_store_find_study(dt_store *st, const char *name, long long *id, dt_err *err)
{
    dt_store__find_ctx c = {name, id};
    return dt_store__read(st, dt_store__find_study, &c, "find the study", err);
}

/* Finds or creates the study in one transaction, so that two processes starting the
 * same sweep agree on one id. */
int dt_store_study(dt_store *st, const char *name, const char *direction, const char *metric,
                   long long *id, dt_err *err)
{
    dt_store__study_ctx c = {name, direction, metric, id};
    return dt_store__tx(st, dt_store__study, &c, "find the study", err);
}

typedef struct dt_store__sweep_ctx {
    long long id;
    const char *sweep;
    int force;
} dt_store__sweep_ctx;

/* The first line where a and b differ, as "was X, is now Y" (or one side missing). */
static void dt_store__first_difference(const char *a, const char *b, char *out, size_t n)
{
    while (*a || *b) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (la != lb || strncmp(a, b, la) != 0) {
            /* The key: what comes before " = " on either line. */
            const char *eq_a = memchr(a, '=', la), *eq_b = memchr(b, '=', lb);
            if (la && lb && eq_a && eq_b && eq_a - a == eq_b - b && strncmp(a, b, (size_t)(eq_a - a)) == 0)
                snprintf(out, n, "%.*s was %.*s, is now %.*s", (int)(eq_a - a - 1), a,
                         (int)(la - (size_t)(eq_a - a) - 2), eq_a + 2, (int)(lb - (size_t)(eq_b - b) - 2), eq_b + 2);
            else if (!lb || (la && strncmp(a, b, la < lb ? la : lb) < 0))
                snprintf(out, n, "%.*s is gone", (int)la, a);
            else
                snprintf(out, n, "%.*s is new", (int)lb, b);
            return;
        }
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    snprintf(out, n, "nothing");
}

static int dt_store__sweep(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__sweep_ctx *c = ctx;
    dt_rows r;
    if (dt_db_query(st->db, &r, err, "SELECT sweep, name FROM study WHERE id = ?", "L", c->id) != 0) return -1;
    int rc = 0;
    if (!r.n) rc = dt_errf(err, "study %lld is not in store '%s'", c->id, dt_db_name(st->db));
    else if (dt_rows_isnull(&r, 0, 0) || c->force)
        rc = dt_db_exec(st->db, err, "UPDATE study SET sweep = ? WHERE id = ?", "tL", c->sweep, c->id);
    else if (strcmp(dt_rows_text(&r, 0, 0), c->sweep) != 0) {
        char diff[512];
        dt_store__first_difference(dt_rows_text(&r, 0, 0), c->sweep, diff, sizeof diff);
        rc = dt_errf(err, "study '%s' in '%s' ran with another sweep: %s; its trials would mix with these "
                     "(run with --force if that is what you mean, or give the study another name)",
                     dt_rows_text(&r, 0, 1), dt_db_name(st->db), diff);
    }
    dt_rows_free(&r);
    return rc;
}

int dt_store_study_sweep(dt_store *st, long long id, const char *sweep, int force, dt_err *err)
{
    dt_store__sweep_ctx c = {id, sweep, force};
    return dt_store__tx(st, dt_store__sweep, &c, "check the study's sweep", err);
}

/* ---- Loading. */

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

/* The trial numbered number among ts[0..n) (numbers ascend: a binary search). */
static dt_trial *dt_store__trial(dt_trial *ts, int n, int number)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (ts[mid].number == number) return &ts[mid];
        if (ts[mid].number < number) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

typedef struct dt_store__load_ctx {
    long long study;
    const dt_space *space;
    int kind;
    int imported;   /* 1: the imported trials (numbers below 0); 0: the study's own */
    dt_trial *ts;
    int n;
} dt_store__load_ctx;

/* Two queries, whatever the number of trials: the trials (with their last value of
 * kind), then every parameter. */
static int dt_store__load(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__load_ctx *c = ctx;
    const char *name = dt_db_name(st->db);
    dt_rows r;
    /* The last value of the series kind: columns 15, 16. An imported trial's is what
     * its journal reported, kept as the metric's (in the study's direction). */
    char *sql = dt_xasprintf("SELECT number, state, value, iterations, seconds, started, finished, reason, baseline,"
                             " fate, seed_trial, rerun_of, worker, heartbeat, weights, %s, process, final, ms, bflops,"
                             " diverged FROM trial WHERE study = ? AND %s ORDER BY number",
                             c->kind == DT_POINT_LOSS ? "last_loss, last_loss_step" : "last_metric, last_metric_step",
                             c->imported ? "number < 0" : "number >= 0");
    int rc = dt_db_query(st->db, &r, err, sql, "L", c->study);
    free(sql);
    if (rc != 0) return -1;
    c->ts = r.n ? dt_xcalloc((size_t)r.n, sizeof *c->ts) : NULL;
    c->n = 0;
    for (int i = 0; i < r.n; i++) {
        dt_trial *t = &c->ts[c->n++];
        dt_trial_init(t, c->space ? c->space->n : 0);
        t->number = (int)dt_rows_int(&r, i, 0);
        int state = dt_state_parse(dt_rows_text(&r, i, 1));
        int fate = dt_fate_parse(dt_rows_text(&r, i, 9));
        if (state < 0 || fate < 0) {
            dt_errf(err, "trial %d in store '%s' has an unknown %s '%s'", t->number, name, state < 0 ? "state" : "fate",
                    dt_rows_text(&r, i, state < 0 ? 1 : 9));
            dt_rows_free(&r);
            return -1;
        }
        t->state = (dt_state)state;
        t->value = dt_rows_num(&r, i, 2);
        t->iterations = (long)dt_rows_int(&r, i, 3);
        t->seconds = dt_rows_isnull(&r, i, 4) ? 0 : dt_rows_num(&r, i, 4);
        t->started = dt_rows_isnull(&r, i, 5) ? 0 : dt_rows_num(&r, i, 5);
        t->finished = dt_rows_isnull(&r, i, 6) ? 0 : dt_rows_num(&r, i, 6);   /* NULL while running */
        snprintf(t->reason, sizeof t->reason, "%s", dt_rows_text(&r, i, 7));
        t->baseline = (int)dt_rows_int(&r, i, 8);
        t->fate = (dt_fate)fate;
        t->seed_trial = (int)dt_rows_int(&r, i, 10);
        t->rerun_of = dt_rows_isnull(&r, i, 11) ? -1 : (int)dt_rows_int(&r, i, 11);
        snprintf(t->worker, sizeof t->worker, "%s", dt_rows_text(&r, i, 12));
        t->heartbeat = dt_rows_isnull(&r, i, 13) ? 0 : dt_rows_num(&r, i, 13);
        snprintf(t->weights, sizeof t->weights, "%s", dt_rows_text(&r, i, 14));
        t->last_kind = c->kind;
        t->last_value = dt_rows_num(&r, i, 15);
        t->last_step = dt_rows_isnull(&r, i, 16) ? -1 : (long)dt_rows_int(&r, i, 16);
        snprintf(t->process, sizeof t->process, "%s", dt_rows_text(&r, i, 17));
        t->final = (int)dt_rows_int(&r, i, 18);
        t->ms = dt_rows_num(&r, i, 19);       /* NULL reads as NAN */
        t->bflops = dt_rows_num(&r, i, 20);
        t->diverged = (int)dt_rows_int(&r, i, 21);
    }
    dt_rows_free(&r);
    if (!c->n) return 0;

    if (dt_db_query(st->db, &r, err,
                    c->imported ? "SELECT number, name, text, num FROM param WHERE study = ? AND number < 0"
                                : "SELECT number, name, text, num FROM param WHERE study = ? AND number >= 0",
                    "L", c->study) != 0)
        return -1;
    for (int i = 0; i < r.n; i++) {
        dt_trial *t = dt_store__trial(c->ts, c->n, (int)dt_rows_int(&r, i, 0));
        int k = dt_store__find(c->space, dt_rows_text(&r, i, 1));
        if (t && k >= 0) dt_store__value(&c->space->p[k], dt_rows_text(&r, i, 2), dt_rows_num(&r, i, 3), &t->values[k]);
    }
    dt_rows_free(&r);
    return 0;
}

/* In one transaction, so that a study written to meanwhile is seen at one instant. */
static int dt_store__load_tx(dt_store *st, dt_store__load_ctx *c, dt_trial **out, int *n, dt_err *err)
{
    *out = NULL;
    *n = 0;
    if (dt_store__read(st, dt_store__load, c, c->imported ? "load the imported trials" : "load the trials", err) !=
        0) {
        dt_trials_free(c->ts, c->n);
        return -1;
    }
    *out = c->ts;
    *n = c->n;
    return 0;
}

int dt_store_load(dt_store *st, long long study, const dt_space *space, int kind, dt_trial **out, int *n,
                  dt_err *err)
{
    dt_store__load_ctx c = {.study = study, .space = space, .kind = kind};
    return dt_store__load_tx(st, &c, out, n, err);
}

int dt_store_imported(dt_store *st, long long study, const dt_space *space, dt_trial **out, int *n, dt_err *err)
{
    dt_store__load_ctx c = {.study = study, .space = space, .kind = DT_POINT_METRIC, .imported = 1};
    return dt_store__load_tx(st, &c, out, n, err);
}

static int dt_store__insert_params(dt_store *st, long long study, int number, const dt_space *space,
                                   const dt_value *values, dt_err *err);

typedef struct dt_store__import_ctx {
    long long study;
    const dt_space *space;
    const char *source;
    const dt_trial *ts;
    int n;
    int first;   /* the number the first of ts gets */
} dt_store__import_ctx;

/* What source imported before goes (its parameters first: they refer to their
 * trials), then ts come in below every number the study holds, in their order. */
static int dt_store__import(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__import_ctx *c = ctx;
    if (dt_db_exec(st->db, err, "DELETE FROM param WHERE study = ? AND number IN (SELECT number FROM trial"
                   " WHERE study = ? AND number < 0 AND fate = 'imported' AND worker = ?)", "LLt", c->study, c->study,
                   c->source) != 0 ||
        dt_db_exec(st->db, err, "DELETE FROM trial WHERE study = ? AND number < 0 AND fate = 'imported' AND worker = ?",
                   "Lt", c->study, c->source) != 0)
        return -1;
    dt_rows r;
    if (dt_db_query(st->db, &r, err, "SELECT COALESCE(MIN(number), 0) FROM trial WHERE study = ?", "L", c->study) != 0)
        return -1;
    long long low = dt_rows_int(&r, 0, 0);
    dt_rows_free(&r);
    if (low > 0) low = 0;
    if (low - c->n < -2000000000LL) return dt_errf(err, "too many imported trials in store '%s'", dt_db_name(st->db));
    c->first = (int)(low - c->n);
    for (int i = 0; i < c->n; i++) {
        const dt_trial *t = &c->ts[i];
        int number = c->first + i;
        if (dt_db_exec(st->db, err, "INSERT INTO trial(study, number, state, value, iterations, seconds, started,"
                       " finished, reason, baseline, fate, seed_trial, worker, last_metric, last_metric_step)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'imported', ?, ?, ?, NULLIF(?, -1))", "Litrlrrrtitrl",
                       c->study, number, dt_state_name(t->state), t->value, t->iterations, t->seconds,
                       t->started > 0 ? t->started : NAN, t->finished > 0 ? t->finished : NAN,
                       t->reason[0] ? t->reason : NULL, number, c->source, t->last_value, t->last_step) != 0 ||
            dt_store__insert_params(st, c->study, number, c->space, t->values, err) != 0)
            return -1;
    }
    return 0;
}

int dt_store_import(dt_store *st, long long study, const dt_space *space, const char *source, const dt_trial *ts,
                    int n, dt_err *err)
{
    dt_store__import_ctx c = {study, space, source, ts, n, 0};
    return dt_store__tx(st, dt_store__import, &c, "import trials", err);
}

/* ---- Trials. */

/* One row per active value of trial number (inside the caller's transaction). */
static int dt_store__insert_params(dt_store *st, long long study, int number, const dt_space *space,
                                   const dt_value *values, dt_err *err)
{
    for (int i = 0; space && i < space->n; i++)
        if (values[i].active &&
            dt_db_exec(st->db, err, "INSERT INTO param(study, number, name, text, num) VALUES (?, ?, ?, ?, ?)", "Littr",
                       study, number, space->p[i].name, values[i].text, values[i].num) != 0)
            return -1;
    return 0;
}

typedef struct dt_store__claim_ctx {
    long long study;
    const dt_space *space;
    dt_trial *t;
    int budget;            /* search trials that count; for a finalist's run, its runs that count */
    const char *worker;
    int number, seed;
} dt_store__claim_ctx;

static int dt_store__claim(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__claim_ctx *c = ctx;
    dt_trial *t = c->t;
    dt_rows r;
    /* Running trials count (their fate is counts until they end otherwise): the budget
     * holds for every worker at once. */
    if (dt_db_query(st->db, &r, err, "SELECT COALESCE(MAX(number), -1) + 1,"
                    " (SELECT count(*) FROM trial WHERE study = ? AND fate = 'counts' AND final = 0),"
                    " (SELECT count(*) FROM trial WHERE study = ? AND rerun_of = ? AND final = ?),"
                    " (SELECT count(*) FROM trial WHERE study = ? AND baseline = 1),"
                    " (SELECT count(*) FROM trial WHERE study = ? AND rerun_of = ? AND final = 1 AND fate = 'counts')"
                    " FROM trial WHERE study = ?", "LLiiLLiL", c->study, c->study, t->rerun_of, t->final ? 1 : 0,
                    c->study, c->study, t->rerun_of, c->study) != 0)
        return -1;
    c->number = (int)dt_rows_int(&r, 0, 0);
    long long counted = dt_rows_int(&r, 0, 1), again = dt_rows_int(&r, 0, 2), baselines = dt_rows_int(&r, 0, 3),
              seeded = dt_rows_int(&r, 0, 4);
    dt_rows_free(&r);
    if (t->final) {
        /* A finalist's runs: as many as it needs, running ones included. */
        if (seeded >= c->budget) return DT_STORE_TAKEN;
    } else {
        if (counted >= c->budget) return DT_STORE_SPENT;
        /* Another worker ran this configuration again first, or the baseline already runs. */
        if ((t->rerun_of >= 0 && again) || (t->baseline && t->rerun_of < 0 && baselines)) return DT_STORE_TAKEN;
    }
    c->seed = t->seed_trial >= 0 ? t->seed_trial : c->number;
    char *sql = dt_xasprintf("INSERT INTO trial(study, number, state, value, iterations, seconds, started, finished,"
                             " reason, baseline, fate, seed_trial, rerun_of, worker, heartbeat, final)"
                             " VALUES (?, ?, 'RUNNING', ?, ?, ?, ?, NULL, ?, ?, 'counts', ?, NULLIF(?, -1), ?, %s, ?)",
                             dt_store__now(st));
    int rc = dt_db_exec(st->db, err, sql, "Lirlrrtiiiti", c->study, c->number, t->value, t->iterations, t->seconds,
                        t->started, t->reason[0] ? t->reason : NULL, t->baseline ? 1 : 0, c->seed,
                        t->rerun_of >= 0 ? t->rerun_of : -1, c->worker && c->worker[0] ? c->worker : NULL,
                        t->final ? 1 : 0);
    free(sql);
    return rc == 0 ? dt_store__insert_params(st, c->study, c->number, c->space, t->values, err) : -1;
}

int dt_store_claim(dt_store *st, long long study, const dt_space *space, dt_trial *t, int budget,
                   const char *worker, dt_err *err)
{
    dt_store__claim_ctx c = {study, space, t, budget, worker, 0, 0};
    double started = dt_wall();
    t->started = started;
    int rc = dt_store__tx(st, dt_store__claim, &c, "add a trial", err);
    if (rc != 0) return rc;
    t->number = c.number;
    t->state = DT_RUNNING;
    t->fate = DT_FATE_COUNTS;
    t->seed_trial = c.seed;
    t->finished = 0;
    snprintf(t->worker, sizeof t->worker, "%s", worker ? worker : "");
    return 0;
}

typedef struct dt_store__params_ctx {
    long long study;
    const dt_space *space;
    const dt_trial *t;
} dt_store__params_ctx;

static int dt_store__params(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__params_ctx *c = ctx;
    return dt_store__insert_params(st, c->study, c->t->number, c->space, c->t->values, err);
}

int dt_store_set_params(dt_store *st, long long study, const dt_space *space, const dt_trial *t, dt_err *err)
{
    dt_store__params_ctx c = {study, space, t};
    return dt_store__tx(st, dt_store__params, &c, "add a trial's parameters", err);
}

/* Numbers the trial inside the write transaction that inserts it, which is what keeps
 * two workers from taking the same number; seed_trial -1 becomes that number. t is
 * updated only on success. */
int dt_store_create_trial(dt_store *st, long long study, const dt_space *space, dt_trial *t, dt_err *err)
{
    int rc = dt_store_claim(st, study, space, t, 2000000000, NULL, err);
    return rc > 0 ? dt_errf(err, "trial not created: %s", rc == DT_STORE_TAKEN ? "taken" : "budget spent") : rc;
}

typedef struct dt_store__points_ctx {
    long long study;
    int number;
    const dt_point *pts;
    int n;
} dt_store__points_ctx;

/* Many rows per INSERT: a statement per point costs a round trip each on PostgreSQL. */
#define DT_STORE__ROWS 32

static int dt_store__points(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__points_ctx *c = ctx;
    for (int i = 0; i < c->n; i += DT_STORE__ROWS) {
        int k = c->n - i < DT_STORE__ROWS ? c->n - i : DT_STORE__ROWS;
        /* One statement of k rows; each row's five values go in as literals
         * (numbers only: nothing to quote), NaN as NULL. */
        dt_buf sql = {0};
        dt_buf_printf(&sql, "INSERT INTO point(study, number, step, kind, value) VALUES ");
        for (int j = 0; j < k; j++) {
            const dt_point *p = &c->pts[i + j];
            char v[40];
            if (isnan(p->value)) snprintf(v, sizeof v, "NULL");
            else if (isinf(p->value))
                snprintf(v, sizeof v, dt_db_kind_of(st->db) == DT_DB_POSTGRES ? "'%sInfinity'::float8" : "%s9e999",
                         p->value < 0 ? "-" : "");
            else snprintf(v, sizeof v, "%.17g", p->value);
            dt_buf_printf(&sql, "%s(%lld, %d, %ld, %d, %s)", j ? ", " : "", c->study, c->number, p->step, p->kind, v);
        }
        int rc = dt_db_exec(st->db, err, sql.p, "");
        dt_buf_free(&sql);
        if (rc != 0) return -1;
    }
    /* Each series' value at its highest step (the later one of equal steps), into the
     * trial row when it is not behind what the row has. */
    for (int kind = DT_POINT_LOSS; kind <= DT_POINT_METRIC; kind++) {
        const dt_point *last = NULL;
        for (int i = 0; i < c->n; i++)
            if (c->pts[i].kind == kind && (!last || c->pts[i].step >= last->step)) last = &c->pts[i];
        if (!last) continue;
        const char *sql = kind == DT_POINT_LOSS
            ? "UPDATE trial SET last_loss = ?, last_loss_step = ? WHERE study = ? AND number = ?"
              " AND (last_loss_step IS NULL OR last_loss_step <= ?)"
            : "UPDATE trial SET last_metric = ?, last_metric_step = ? WHERE study = ? AND number = ?"
              " AND (last_metric_step IS NULL OR last_metric_step <= ?)";
        if (dt_db_exec(st->db, err, sql, "rlLil", last->value, last->step, c->study, c->number, last->step) != 0)
            return -1;
    }
    return 0;
}

/* A trial's values in one transaction: its curve is never half written. */
int dt_store_add_points(dt_store *st, long long study, int number, const dt_point *pts, int n, dt_err *err)
{
    if (n <= 0) return 0;
    dt_store__points_ctx c = {study, number, pts, n};
    return dt_store__tx(st, dt_store__points, &c, "add intermediate values", err);
}

typedef struct dt_store__finish_ctx {
    long long study;
    const dt_trial *t;
} dt_store__finish_ctx;

static int dt_store__finish(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__finish_ctx *c = ctx;
    const dt_trial *t = c->t;
    dt_rows r;
    if (dt_db_query(st->db, &r, err, "SELECT count(*) FROM trial WHERE study = ? AND number = ?", "Li", c->study,
                    t->number) != 0)
        return -1;
    long long found = dt_rows_int(&r, 0, 0);
    dt_rows_free(&r);
    if (!found)
        return dt_errf(err, "trial %d of study %lld is not in store '%s'", t->number, c->study, dt_db_name(st->db));
    return dt_db_exec(st->db, err, "UPDATE trial SET state = ?, value = ?, iterations = ?, seconds = ?, finished = ?,"
                      " reason = ?, fate = ?, weights = ?, ms = ?, bflops = ?, diverged = ? WHERE study = ? AND number = ?",
                      "trlrrtttrriLi", dt_state_name(t->state), t->value, t->iterations, t->seconds,
                      t->finished ? t->finished : dt_wall(), t->reason[0] ? t->reason : NULL, dt_fate_name(t->fate),
                      t->weights[0] ? t->weights : NULL, t->ms, t->bflops, t->diverged ? 1 : 0, c->study, t->number);
}

/* Writes the trial's outcome; finished is t->finished, or now when it is 0. A trial
 * that is not in the store is an error, not a silent no-op. */
int dt_store_finish_trial(dt_store *st, long long study, const dt_trial *t, dt_err *err)
{
    dt_store__finish_ctx c = {study, t};
    return dt_store__tx(st, dt_store__finish, &c, "finish a trial", err);
}

typedef struct dt_store__reap_ctx {
    long long study;
    const char *reason;
    int all;                 /* 1: every RUNNING trial; 0: those of worker */
    const char *worker;      /* NULL: trials that name no worker */
    int n;
} dt_store__reap_ctx;

/* RUNNING trials become FAIL, interrupted, with the reason and the iterations of
 * their last stored value. */
static int dt_store__reap(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__reap_ctx *c = ctx;
    const char *which = c->all ? "" : c->worker ? " AND worker = ?" : " AND worker IS NULL";
    const char *types = c->all || !c->worker ? "L" : "Lt";
    char *count = dt_xasprintf("SELECT count(*) FROM trial WHERE study = ? AND state = 'RUNNING'%s", which);
    char *update = dt_xasprintf("UPDATE trial SET state = 'FAIL', fate = 'interrupted', reason = ?, finished = ?,"
                                " iterations = (SELECT COALESCE(MAX(step), 0) FROM point"
                                "  WHERE point.study = trial.study AND point.number = trial.number)"
                                " WHERE study = ? AND state = 'RUNNING'%s", which);
    char update_types[8];
    snprintf(update_types, sizeof update_types, "tr%s", types);
    dt_rows r;
    int rc = dt_db_query(st->db, &r, err, count, types, c->study, c->worker);
    if (rc == 0) {
        c->n = (int)dt_rows_int(&r, 0, 0);
        dt_rows_free(&r);
        if (c->n) rc = dt_db_exec(st->db, err, update, update_types, c->reason, dt_wall(), c->study, c->worker);
    }
    free(count);
    free(update);
    return rc;
}

int dt_store_fail_running(dt_store *st, long long study, const char *reason, int *n, dt_err *err)
{
    dt_store__reap_ctx c = {study, reason, 1, NULL, 0};
    *n = 0;
    if (dt_store__tx(st, dt_store__reap, &c, "mark running trials failed", err) != 0) return -1;
    *n = c.n;
    return 0;
}

int dt_store_fail_worker(dt_store *st, long long study, const char *worker, const char *reason, int *n, dt_err *err)
{
    dt_store__reap_ctx c = {study, reason, 0, worker, 0};
    *n = 0;
    if (dt_store__tx(st, dt_store__reap, &c, "mark running trials failed", err) != 0) return -1;
    *n = c.n;
    return 0;
}

typedef struct dt_store__lost_ctx {
    long long study;
    double grace;
    int retries;
    const char *reason;
    int n;
} dt_store__lost_ctx;

/* Each silent trial is lost, or counts as failed once the configuration it runs has
 * been lost `retries` times already (its chain of rerun_of through lost trials). */
static int dt_store__lost(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__lost_ctx *c = ctx;
    dt_rows all, stale;
    char *sql = dt_xasprintf("SELECT number FROM trial WHERE study = ? AND state = 'RUNNING'"
                             " AND (heartbeat IS NULL OR heartbeat < %s - ?)", dt_store__now(st));
    int rc = dt_db_query(st->db, &stale, err, sql, "Lr", c->study, c->grace);
    free(sql);
    if (rc != 0) return -1;
    c->n = stale.n;
    if (!stale.n) {
        dt_rows_free(&stale);
        return 0;
    }
    if (dt_db_query(st->db, &all, err, "SELECT number, rerun_of, fate FROM trial WHERE study = ? ORDER BY number",
                    "L", c->study) != 0) {
        dt_rows_free(&stale);
        return -1;
    }
    for (int i = 0; i < stale.n && rc == 0; i++) {
        int number = (int)dt_rows_int(&stale, i, 0), lost = 0;
        /* Walk back through the configurations it runs again (numbers only go down). */
        for (int at = number, k = all.n - 1; k >= 0; k--) {
            if (dt_rows_int(&all, k, 0) != at) continue;
            if (at != number && strcmp(dt_rows_text(&all, k, 2), "lost") == 0) lost++;
            if (dt_rows_isnull(&all, k, 1)) break;
            at = (int)dt_rows_int(&all, k, 1);
        }
        int spent = lost >= c->retries;
        char reason[256];
        snprintf(reason, sizeof reason, "%s%s", c->reason, spent ? "; no retry left" : "");
        rc = dt_db_exec(st->db, err, "UPDATE trial SET state = 'FAIL', fate = ?, reason = ?, finished = ?,"
                        " iterations = (SELECT COALESCE(MAX(step), 0) FROM point"
                        "  WHERE point.study = trial.study AND point.number = trial.number)"
                        " WHERE study = ? AND number = ?", "ttrLi", spent ? "counts" : "lost", reason, dt_wall(),
                        c->study, number);
    }
    dt_rows_free(&all);
    dt_rows_free(&stale);
    return rc;
}

int dt_store_fail_silent(dt_store *st, long long study, double grace, int retries, const char *reason, int *n,
                         dt_err *err)
{
    dt_store__lost_ctx c = {study, grace, retries, reason, 0};
    *n = 0;
    if (dt_store__tx(st, dt_store__lost, &c, "mark lost trials failed", err) != 0) return -1;
    *n = c.n;
    return 0;
}

typedef struct dt_store__process_ctx {
    long long study;
    int number;
    const char *process;
} dt_store__process_ctx;

static int dt_store__process(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__process_ctx *c = ctx;
    return dt_db_exec(st->db, err, "UPDATE trial SET process = ? WHERE study = ? AND number = ?", "tLi", c->process,
                      c->study, c->number);
}

int dt_store_set_process(dt_store *st, long long study, int number, const char *process, dt_err *err)
{
    dt_store__process_ctx c = {study, number, process};
    return dt_store__tx(st, dt_store__process, &c, "record a trial's process", err);
}

typedef struct dt_store__beat_ctx {
    long long study;
    const char *worker;
} dt_store__beat_ctx;

static int dt_store__beat(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__beat_ctx *c = ctx;
    char *sql = dt_xasprintf("UPDATE trial SET heartbeat = %s WHERE study = ? AND worker = ? AND state = 'RUNNING'",
                             dt_store__now(st));
    int rc = dt_db_exec(st->db, err, sql, "Lt", c->study, c->worker);
    free(sql);
    return rc;
}

int dt_store_heartbeat(dt_store *st, long long study, const char *worker, dt_err *err)
{
    dt_store__beat_ctx c = {study, worker};
    return dt_store__tx(st, dt_store__beat, &c, "record a heartbeat", err);
}

typedef struct dt_store__pts_ctx {
    long long study, after;
    int number;         /* -1: every trial's points after `after` */
    dt_point *pts;
    dt_trial_point *tpts;
    int n;
    long long last;
} dt_store__pts_ctx;

static int dt_store__read_points(dt_store *st, void *ctx, dt_err *err)
{
    dt_store__pts_ctx *c = ctx;
    dt_rows r;
    int rc = c->number >= 0
        ? dt_db_query(st->db, &r, err, "SELECT id, number, step, kind, value FROM point WHERE study = ? AND number = ?"
                      " ORDER BY step, kind, id", "Li", c->study, c->number)
        : dt_db_query(st->db, &r, err, "SELECT id, number, step, kind, value FROM point WHERE study = ? AND id > ?"
                      " ORDER BY id", "LL", c->study, c->after);
    if (rc != 0) return -1;
    c->n = r.n;
    if (c->number >= 0) c->pts = r.n ? dt_xmalloc((size_t)r.n * sizeof *c->pts) : NULL;
    else c->tpts = r.n ? dt_xmalloc((size_t)r.n * sizeof *c->tpts) : NULL;
    for (int i = 0; i < r.n; i++) {
        dt_point p = {.step = (long)dt_rows_int(&r, i, 2), .kind = (int)dt_rows_int(&r, i, 3),
                      .value = dt_rows_num(&r, i, 4)};
        if (c->number >= 0) c->pts[i] = p;
        else c->tpts[i] = (dt_trial_point){(int)dt_rows_int(&r, i, 1), p};
        c->last = dt_rows_int(&r, i, 0);
    }
    dt_rows_free(&r);
    return 0;
}

/* Reads one trial's points, ordered by step then kind (then insertion, for ties). */
int dt_store_points(dt_store *st, long long study, int number, dt_point **out, int *n, dt_err *err)
{
    dt_store__pts_ctx c = {.study = study, .number = number};
    *out = NULL;
    *n = 0;
    if (dt_store__read(st, dt_store__read_points, &c, "read intermediate values", err) != 0) return -1;
    *out = c.pts;
    *n = c.n;
    return 0;
}

int dt_store_points_since(dt_store *st, long long study, long long after, dt_trial_point **out, int *n,
                          long long *last, dt_err *err)
{
    dt_store__pts_ctx c = {.study = study, .after = after, .number = -1, .last = *last};
    *out = NULL;
    *n = 0;
    if (dt_store__read(st, dt_store__read_points, &c, "read intermediate values", err) != 0) return -1;
    *out = c.tpts;
    *n = c.n;
    *last = c.last;
    return 0;
}
