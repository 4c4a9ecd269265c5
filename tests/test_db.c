/* test_db: dt_db on SQLite (always) and on PostgreSQL (when DT_TEST_PG names a
 * database: tests/t_workers.sh starts a throwaway one): values come back exactly as
 * written (doubles to the last bit, NaN as NULL, ±inf, NULL text), a rolled-back
 * transaction leaves nothing, `?` inside quotes stays a `?`, wrong parameter counts
 * and bad SQL are errors with the store named. */
#include "dt_db.h"
#include "dt_test.h"

#include <stdlib.h>
#include <unistd.h>

static void test_engine(const char *target)
{
    dt_db *db;
    dt_err err = {0};
    CHECK(dt_db_open(&db, target, &err) == 0);
    if (!db) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK(dt_db_kind_of(db) == (dt_db_is_postgres(target) ? DT_DB_POSTGRES : DT_DB_SQLITE));
    CHECK(dt_db_exec(db, &err, "DROP TABLE IF EXISTS t_db; CREATE TABLE t_db(id INTEGER, x DOUBLE PRECISION,"
                     " s TEXT)", "") == 0);

    double xs[] = {1.0 / 3, 1e-300, -2.5e300, 0.1, INFINITY, -INFINITY, NAN};
    CHECK(dt_db_begin(db, &err) == 0);
    for (int i = 0; i < 7; i++)
        CHECK(dt_db_exec(db, &err, "INSERT INTO t_db VALUES (?, ?, ?)", "irt", i, xs[i], i == 6 ? NULL : "a'b?") == 0);
    CHECK(dt_db_commit(db, &err) == 0);

    dt_rows r;
    CHECK(dt_db_query(db, &r, &err, "SELECT id, x, s, 'q?' FROM t_db WHERE id >= ? ORDER BY id", "l", 0L) == 0);
    CHECK(r.n == 7 && r.ncols == 4);
    int exact = 1;
    for (int i = 0; i < 6 && i < r.n; i++) exact &= dt_rows_num(&r, i, 1) == xs[i] && dt_rows_int(&r, i, 0) == i;
    CHECK(exact);
    CHECK(isnan(dt_rows_num(&r, 6, 1)) && dt_rows_isnull(&r, 6, 1));
    CHECK_STR(dt_rows_text(&r, 0, 2), "a'b?");
    CHECK(dt_rows_isnull(&r, 6, 2) && strcmp(dt_rows_text(&r, 6, 2), "") == 0);
    CHECK_STR(dt_rows_text(&r, 0, 3), "q?");                       /* a quoted ? is no parameter */
    CHECK(dt_rows_isnull(&r, 99, 0) && isnan(dt_rows_num(&r, 0, 9)));  /* out of range reads NULL */
    dt_rows_free(&r);

    /* A rolled-back transaction leaves nothing. */
    CHECK(dt_db_begin(db, &err) == 0);
    CHECK(dt_db_exec(db, &err, "INSERT INTO t_db VALUES (?, ?, ?)", "irt", 99, 1.0, "x") == 0);
    dt_db_rollback(db);
    CHECK(dt_db_query(db, &r, &err, "SELECT count(*) FROM t_db WHERE id = ?", "i", 99) == 0);
    CHECK(dt_rows_int(&r, 0, 0) == 0);
    dt_rows_free(&r);

    /* Errors name the store; a failed query leaves an empty result. */
    CHECK(dt_db_exec(db, &err, "INSERT INTO t_db VALUES (?, ?, ?)", "ir", 1, 1.0) == -1);
    CHECK(dt_db_query(db, &r, &err, "SELECT nothing FROM nowhere", "") == -1 && r.n == 0 && !r.cell);
    CHECK(strstr(err.msg, dt_db_name(db)) != NULL);
    /* ... and the database's own words are kept apart, for callers that add context. */
    const char *why = dt_db_why(db);
    CHECK(why[0] && strstr(why, dt_db_name(db)) == NULL);
    CHECK(strlen(err.msg) > strlen(why) && strcmp(err.msg + strlen(err.msg) - strlen(why), why) == 0);
    CHECK(!dt_db_lost(db));
    dt_db_close(db);
}

int main(void)
{
    char dir[] = "/tmp/test_db_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/sub/a.db", dir);   /* the folder is made */
    test_engine(path);

    dt_db *db;
    dt_err err = {0};
    snprintf(path, sizeof path, "%s/file", dir);
    FILE *f = fopen(path, "w");
    if (f) fclose(f);
    snprintf(path, sizeof path, "%s/file/a.db", dir);   /* a folder that is a file */
    CHECK(dt_db_open(&db, path, &err) == -1 && db == NULL);
    CHECK(dt_db_is_postgres("postgresql://u@h/d") && dt_db_is_postgres("postgres://h/d") && !dt_db_is_postgres("a.db"));
    /* A password never reaches a message. */
    CHECK(dt_db_open(&db, "postgresql://u:secret@127.0.0.1:1/none?connect_timeout=2", &err) == -1);
    CHECK(strstr(err.msg, "cannot connect to 'postgresql://u@127.0.0.1:1/none") == err.msg);
    CHECK(strstr(err.msg, "secret") == NULL);

    const char *pg = getenv("DT_TEST_PG");
    if (pg && *pg) test_engine(pg);   /* unset in the unit run: tests/t_workers.sh runs this again with it */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return dt_test_done("db");
}
