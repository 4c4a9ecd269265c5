/* test_store: dt_store round trips, numbering, crash recovery, refusals, and the
 * migration of a version 1 store (fates, reruns and seeds that were only text then).
 * The space is built by hand so that the test needs neither dt_space.c nor a sweep. */
#include "dt_store.h"
#include "dt_test.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIR "tests/tmp/store"
#define DB DIR "/sub/study.db"

static char *batch_choices[] = {"32", "64", "128"};
static char *policy_choices[] = {"constant", "steps"};
static char *steps_text[] = {"0.8, 0.9"};

/* learning_rate, batch, policy, and steps only when policy = steps. */
static dt_param params[] = {
    {.name = "learning_rate", .kind = DT_LOG, .low = 1e-4, .high = 1e-1, .cond = -1},
    {.name = "batch", .kind = DT_CHOICE, .nchoices = 3, .choices = batch_choices, .cond = -1},
    {.name = "policy", .kind = DT_CHOICE, .nchoices = 2, .choices = policy_choices, .cond = -1},
    {.name = "steps", .kind = DT_FIXED, .nchoices = 1, .choices = steps_text, .cond = 2,
     .cond_key = "policy", .cond_value = "steps"},
};
static const dt_space space = {4, params};

/* Another sweep's space: no batch, a new momentum, another order. */
static dt_param params2[] = {
    {.name = "momentum", .kind = DT_UNIFORM, .low = 0.8, .high = 0.99, .cond = -1},
    {.name = "policy", .kind = DT_CHOICE, .nchoices = 2, .choices = policy_choices, .cond = -1},
    {.name = "learning_rate", .kind = DT_LOG, .low = 1e-4, .high = 1e-1, .cond = -1},
};
static const dt_space space2 = {3, params2};

/* Removes the database and its WAL companions, so that each run starts afresh. */
static void rm_db(const char *path)
{
    char *p;
    unlink(path);
    p = dt_xasprintf("%s-wal", path); unlink(p); free(p);
    p = dt_xasprintf("%s-shm", path); unlink(p); free(p);
}

/* Sets one value as dt_space would: active, the text, its number, its choice index. */
static void set(dt_value *v, const char *text, double num, int idx)
{
    v->active = 1;
    snprintf(v->text, sizeof v->text, "%s", text);
    v->num = num;
    v->idx = idx;
}

/* Two doubles that are both NaN, or equal (inf included). */
static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* Every stored field of got equals want's; values compared where want's are active. */
static void check_trial(const dt_trial *got, const dt_trial *want, int nvalues)
{
    CHECK(got->number == want->number);
    CHECK(got->state == want->state);
    CHECK(same(got->value, want->value));
    CHECK(same(got->ms, want->ms));
    CHECK(same(got->bflops, want->bflops));
    CHECK(got->iterations == want->iterations);
    CHECK(got->seconds == want->seconds);
    CHECK(got->started == want->started);
    CHECK(got->finished == want->finished);
    CHECK_STR(got->reason, want->reason);
    CHECK(got->baseline == want->baseline);
    CHECK(got->fate == want->fate);
    CHECK(got->diverged == want->diverged);
    CHECK(got->seed_trial == want->seed_trial);
    CHECK(got->rerun_of == want->rerun_of);
    for (int i = 0; i < nvalues; i++) {
        CHECK(got->values[i].active == want->values[i].active);
        if (!want->values[i].active) continue;
        CHECK_STR(got->values[i].text, want->values[i].text);
        CHECK(same(got->values[i].num, want->values[i].num));
        CHECK(got->values[i].idx == want->values[i].idx);
    }
}

/* A child that stores a trial and its points, then dies without closing the store. */
static void child_dies_after_commit(void)
{
    dt_store *st;
    dt_err e;
    long long sid;
    dt_trial t;
    if (dt_store_open(&st, DB, &e) || dt_store_study(st, "fashion", "maximize", "top1", &sid, &e)) _exit(2);
    dt_trial_init(&t, space.n);
    set(&t.values[0], "0.05", 0.05, -1);
    if (dt_store_create_trial(st, sid, &space, &t, &e)) _exit(3);
    dt_point pts[] = {{100, DT_POINT_LOSS, 2.5}, {100, DT_POINT_METRIC, 0.41}};
    if (dt_store_add_points(st, sid, t.number, pts, 2, &e)) _exit(4);
    _exit(0);
}

/* A child killed inside a write transaction, holding the write lock. */
static void child_dies_in_transaction(void)
{
    sqlite3 *db;
    if (sqlite3_open(DB, &db) != SQLITE_OK) _exit(2);
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO trial(study, number, state)"
                     " SELECT id, 999, 'RUNNING' FROM study WHERE name = 'fashion';", NULL, NULL, NULL) != SQLITE_OK)
        _exit(3);
    raise(SIGKILL);
    _exit(4);
}

/* Runs fn in a child process and returns its wait status. */
static int in_child(void (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0) fn();
    int status = -1;
    waitpid(pid, &status, 0);
    return status;
}

/* The schema main wrote as version 1 (before fate, seed_trial and rerun_of), kept
 * here as it was so that the migration is tested on what old files really hold. */
static const char schema_v1[] =
    "CREATE TABLE study(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, direction TEXT,"
    " metric TEXT, created REAL);"
    "CREATE TABLE trial(study INTEGER NOT NULL REFERENCES study(id), number INTEGER NOT NULL,"
    " state TEXT NOT NULL, value REAL, iterations INTEGER, seconds REAL, started REAL,"
    " finished REAL, reason TEXT, baseline INTEGER, PRIMARY KEY(study, number));"
    "CREATE TABLE param(study INTEGER NOT NULL, number INTEGER NOT NULL, name TEXT NOT NULL,"
    " text TEXT, num REAL, PRIMARY KEY(study, number, name),"
    " FOREIGN KEY(study, number) REFERENCES trial(study, number));"
    "CREATE TABLE point(study INTEGER NOT NULL, number INTEGER NOT NULL, step INTEGER,"
    " kind INTEGER, value REAL, FOREIGN KEY(study, number) REFERENCES trial(study, number));"
    "CREATE INDEX point_trial ON point(study, number);"
    "PRAGMA user_version = 1;";

/* One trial of a version 1 file: its state, reason, baseline flag and learning rate
 * (its configuration; "" for none: a trial whose only parameter is batch 64). */
typedef struct v1_trial {
    const char *state, *reason;
    int baseline;
    const char *lr;
    /* What version 2 must make of it, and version 6 of its reason. */
    dt_fate fate;
    int seed_trial, rerun_of, runs_again;
    int diverged;
} v1_trial;

/* Study "old", as main's scheduler left it, and what each trial means:
 *   0-1  complete, 0.1 and 0.2
 *   2    interrupted (0.3), run again by 3, which was interrupted too, run again by 4
 *   5    out of GPU memory (0.4), run again by 6 (a retry, complete)
 *   7    interrupted (0.5), not run again yet
 *   8    out of GPU memory (0.6), not run again yet
 *   9    the baseline, interrupted, with 0.1: trial 0's values but not its configuration
 *   10   a FAIL whose reason only mentions "interrupted": an outcome; 0.7
 *   11   0.1 again, sampled: no rerun of anything, its own seed
 *   12   interrupted with 0.2, sampled like trial 1's: version 1 would run it again
 *        with trial 1's seed (the first with that configuration)
 *   13   left RUNNING by kill -9, 0.1 sampled again: stays RUNNING for the scheduler to
 *        make interrupted, which version 1 would then run again with trial 0's seed
 *   14   a PRUNED one without the learning rate (batch 64 only)
 *   15-16 diverged, pruned on a nan loss and failed with one (0.8, 0.9)
 *   17   complete, whatever its reason says (1.0) */
static const v1_trial v1[] = {
    {"COMPLETE", NULL, 0, "0.1", DT_FATE_COUNTS, 0, -1, 0, 0},
    {"COMPLETE", NULL, 0, "0.2", DT_FATE_COUNTS, 1, -1, 0, 0},
    {"FAIL", "interrupted (signal)", 0, "0.3", DT_FATE_INTERRUPTED, 2, -1, 0, 0},
    {"FAIL", "interrupted (darktune stopped)", 0, "0.3", DT_FATE_INTERRUPTED, 2, 2, 0, 0},
    {"COMPLETE", NULL, 0, "0.3", DT_FATE_COUNTS, 2, 3, 0, 0},
    {"FAIL", "out of GPU memory (runs again): CUDA Error: out of memory", 0, "0.4", DT_FATE_OOM, 5, -1, 0, 0},
    {"COMPLETE", NULL, 0, "0.4", DT_FATE_COUNTS, 5, 5, 0, 0},
    {"FAIL", "interrupted (study timeout)", 0, "0.5", DT_FATE_INTERRUPTED, 7, -1, 1, 0},
    {"FAIL", "out of GPU memory (runs again): CUDA Error: out of memory", 0, "0.6", DT_FATE_OOM, 8, -1, 1, 0},
    {"FAIL", "interrupted (signal)", 1, "0.1", DT_FATE_INTERRUPTED, 9, -1, 1, 0},
    {"FAIL", "could not start: interrupted system call", 0, "0.7", DT_FATE_COUNTS, 10, -1, 0, 0},
    {"COMPLETE", NULL, 0, "0.1", DT_FATE_COUNTS, 11, -1, 0, 0},
    {"FAIL", "interrupted (signal)", 0, "0.2", DT_FATE_INTERRUPTED, 1, -1, 1, 0},
    {"RUNNING", NULL, 0, "0.1", DT_FATE_COUNTS, 0, -1, 0, 0},
    {"PRUNED", "median: worse", 0, "", DT_FATE_COUNTS, 14, -1, 0, 0},
    {"PRUNED", "diverged: loss nan at iteration 12", 0, "0.8", DT_FATE_COUNTS, 15, -1, 0, 1},
    {"FAIL", "diverged: the last average loss is nan", 0, "0.9", DT_FATE_COUNTS, 16, -1, 0, 1},
    {"COMPLETE", "diverged", 0, "1.0", DT_FATE_COUNTS, 17, -1, 0, 0},   /* complete: the reason is not a state */
};
#define NV1 (int)(sizeof v1 / sizeof v1[0])

/* Writes a version 1 file at path with study "old" (v1[]) and study "other", whose one
 * interrupted trial has 0.3 like old's trial 2 and 3: studies must not mix. */
static void make_v1(const char *path)
{
    sqlite3 *db;
    rm_db(path);
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, schema_v1, NULL, NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "INSERT INTO study VALUES (1, 'old', 'maximize', 'top1', 0);"
                       "INSERT INTO study VALUES (2, 'other', 'maximize', 'top1', 0);"
                       "INSERT INTO trial(study, number, state, reason, baseline)"
                       " VALUES (2, 0, 'FAIL', 'interrupted (signal)', 0);"
                       "INSERT INTO param VALUES (2, 0, 'learning_rate', '0.3', 0.3);"
                       "INSERT INTO param VALUES (2, 0, 'batch', '64', 64);", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_stmt *t, *p;
    CHECK(sqlite3_prepare_v2(db, "INSERT INTO trial(study, number, state, value, iterations, seconds, started,"
                             " finished, reason, baseline) VALUES (1, ?, ?, NULL, 10, 1.5, 100, 101.5, ?, ?)",
                             -1, &t, NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "INSERT INTO param VALUES (1, ?, ?, ?, ?)", -1, &p, NULL) == SQLITE_OK);
    for (int i = 0; i < NV1; i++) {
        sqlite3_reset(t);
        sqlite3_bind_int(t, 1, i);
        sqlite3_bind_text(t, 2, v1[i].state, -1, SQLITE_STATIC);
        if (v1[i].reason) sqlite3_bind_text(t, 3, v1[i].reason, -1, SQLITE_STATIC);
        else sqlite3_bind_null(t, 3);
        sqlite3_bind_int(t, 4, v1[i].baseline);
        CHECK(sqlite3_step(t) == SQLITE_DONE);
        sqlite3_reset(p);
        sqlite3_bind_int(p, 1, i);
        sqlite3_bind_text(p, 2, "batch", -1, SQLITE_STATIC);
        sqlite3_bind_text(p, 3, "64", -1, SQLITE_STATIC);
        sqlite3_bind_double(p, 4, 64);
        CHECK(sqlite3_step(p) == SQLITE_DONE);
        if (!v1[i].lr[0]) continue;
        sqlite3_reset(p);
        sqlite3_bind_int(p, 1, i);
        sqlite3_bind_text(p, 2, "learning_rate", -1, SQLITE_STATIC);
        sqlite3_bind_text(p, 3, v1[i].lr, -1, SQLITE_STATIC);
        sqlite3_bind_double(p, 4, strtod(v1[i].lr, NULL));
        CHECK(sqlite3_step(p) == SQLITE_DONE);
    }
    sqlite3_finalize(t);
    sqlite3_finalize(p);
    sqlite3_close(db);
}

/* The file's PRAGMA user_version, read past dt_store; -1 when it cannot be read. */
static int user_version(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    int v = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return v;
}

/* Runs sql on the file past dt_store; 0 on success. */
static int exec_on(const char *path, const char *sql)
{
    sqlite3 *db;
    int rc = sqlite3_open(path, &db) == SQLITE_OK ? sqlite3_exec(db, sql, NULL, NULL, NULL) : -1;
    sqlite3_close(db);
    return rc;
}

/* A version 1 file opens as version 6 (through 2 to 5) with each trial's fate, rerun, seed and divergence as main's
 * scheduler inferred them; reopened, nothing changes; a migration that fails, or a
 * newer file, leaves the file as it was. */
static void test_migrate(void)
{
    const char *old = DIR "/v1.db";
    dt_store *st;
    dt_err err = {0};
    long long sid;
    dt_trial *ts;
    int n;
    make_v1(old);
    CHECK(user_version(old) == 1);
    for (int round = 0; round < 2; round++) {   /* the second open finds version 6: no migration */
        CHECK(dt_store_open(&st, old, &err) == 0);
        CHECK(user_version(old) == 6);
        CHECK(dt_store_study(st, "old", "maximize", "top1", &sid, &err) == 0 && sid == 1);
        CHECK(dt_store_load(st, sid, &space, DT_POINT_METRIC, &ts, &n, &err) == 0);
        CHECK(n == NV1);
        for (int i = 0; i < n && n == NV1; i++) {
            if (ts[i].fate != v1[i].fate || ts[i].seed_trial != v1[i].seed_trial || ts[i].rerun_of != v1[i].rerun_of)
                fprintf(stderr, "trial %d: fate %s seed_trial %d rerun_of %d\n", i, dt_fate_name(ts[i].fate),
                        ts[i].seed_trial, ts[i].rerun_of);
            CHECK(ts[i].fate == v1[i].fate);
            CHECK(ts[i].seed_trial == v1[i].seed_trial);
            CHECK(ts[i].rerun_of == v1[i].rerun_of);
            CHECK(ts[i].diverged == v1[i].diverged);
            CHECK(dt_trial_runs_again(&ts[i], ts, n) == v1[i].runs_again);
            CHECK(dt_trial_counts(&ts[i]) == (v1[i].fate == DT_FATE_COUNTS && strcmp(v1[i].state, "RUNNING") != 0));
            CHECK_STR(ts[i].reason, v1[i].reason ? v1[i].reason : "");   /* kept for people */
        }
        CHECK(n == NV1 && ts[13].state == DT_RUNNING);
        dt_trials_free(ts, n);
        /* The other study's trial has old's 0.3 but is nobody's rerun, and runs again. */
        CHECK(dt_store_study(st, "other", "maximize", "top1", &sid, &err) == 0 && sid == 2);
        CHECK(dt_store_load(st, sid, &space, DT_POINT_METRIC, &ts, &n, &err) == 0);
        CHECK(n == 1 && ts[0].fate == DT_FATE_INTERRUPTED && ts[0].seed_trial == 0 && ts[0].rerun_of == -1);
        CHECK(n == 1 && dt_trial_runs_again(&ts[0], ts, n));
        dt_trials_free(ts, n);
        dt_store_close(st);
    }

    /* A migration that fails (a column it would add is there already) changes nothing. */
    make_v1(old);
    CHECK(exec_on(old, "ALTER TABLE trial ADD COLUMN rerun_of TEXT") == SQLITE_OK);
    CHECK(dt_store_open(&st, old, &err) == -1 && st == NULL);
    CHECK_STR(err.msg, "cannot migrate store '" DIR "/v1.db' from schema version 1: duplicate column name: rerun_of");
    CHECK(user_version(old) == 1);
    CHECK(exec_on(old, "SELECT fate FROM trial") != SQLITE_OK);

    /* A newer darktune's store is refused, and left as it is. */
    make_v1(old);
    CHECK(exec_on(old, "PRAGMA user_version = 7") == SQLITE_OK);
    CHECK(dt_store_open(&st, old, &err) == -1 && st == NULL);
    CHECK_STR(err.msg, "'" DIR "/v1.db' is a store of a newer darktune (schema version 7; this one reads 6 at most)");
    CHECK(user_version(old) == 7);
    CHECK(exec_on(old, "SELECT fate FROM trial") != SQLITE_OK);
    rm_db(old);
}

/* Fates, seeds and reruns round trip: what the scheduler writes is what it reads back. */
static void test_fate(void)
{
    const char *path = DIR "/fate.db";
    dt_store *st;
    dt_err err = {0};
    long long sid;
    dt_trial t[4], *ts;
    int n;
    rm_db(path);
    CHECK(dt_store_open(&st, path, &err) == 0);
    CHECK(user_version(path) == 6);
    CHECK(dt_store_study(st, "fate", "minimize", "loss", &sid, &err) == 0);
    for (int i = 0; i < 4; i++) dt_trial_init(&t[i], space.n);
    CHECK(t[0].seed_trial == -1 && t[0].rerun_of == -1 && t[0].fate == DT_FATE_COUNTS);
    /* 0 runs out of GPU memory, 1 retries it with its seed and is interrupted, 2 runs
     * 1's configuration again with the same seed; 3 is left running. */
    CHECK(dt_store_create_trial(st, sid, &space, &t[0], &err) == 0);
    CHECK(t[0].number == 0 && t[0].seed_trial == 0);   /* -1 became its own number */
    t[0].state = DT_FAIL;
    t[0].fate = DT_FATE_OOM;
    snprintf(t[0].reason, sizeof t[0].reason, "out of GPU memory (runs again): CUDA Error: out of memory");
    CHECK(dt_store_finish_trial(st, sid, &t[0], &err) == 0);
    t[1].seed_trial = t[0].seed_trial;
    t[1].rerun_of = 0;
    CHECK(dt_store_create_trial(st, sid, &space, &t[1], &err) == 0);
    CHECK(t[1].number == 1 && t[1].seed_trial == 0 && t[1].rerun_of == 0);
    t[1].state = DT_FAIL;
    t[1].fate = DT_FATE_INTERRUPTED;
    CHECK(dt_store_finish_trial(st, sid, &t[1], &err) == 0);
    t[2].seed_trial = t[1].seed_trial;
    t[2].rerun_of = 1;
    CHECK(dt_store_create_trial(st, sid, &space, &t[2], &err) == 0);
    t[2].state = DT_COMPLETE;
    t[2].value = 1.25;
    t[2].ms = 12.345678901234;   /* all of a double: PostgreSQL's REAL would round it */
    t[2].bflops = 0.0421;
    CHECK(dt_store_finish_trial(st, sid, &t[2], &err) == 0);
    CHECK(dt_store_create_trial(st, sid, &space, &t[3], &err) == 0);
    CHECK(dt_store_load(st, sid, &space, DT_POINT_LOSS, &ts, &n, &err) == 0);
    CHECK(n == 4);
    if (n == 4) {
        t[1].finished = ts[1].finished;   /* "now" when it finished */
        for (int i = 0; i < 4; i++) {
            if (ts[i].finished) t[i].finished = ts[i].finished;
            check_trial(&ts[i], &t[i], space.n);
        }
        CHECK(!dt_trial_counts(&ts[0]) && !dt_trial_counts(&ts[1]) && dt_trial_counts(&ts[2]));
        CHECK(!dt_trial_counts(&ts[3]));   /* running: not yet */
        for (int i = 0; i < 4; i++) CHECK(!dt_trial_runs_again(&ts[i], ts, n));
        /* Without trial 2, trial 1 is the one whose configuration runs again. */
        CHECK(dt_trial_runs_again(&ts[1], ts, 2));
        CHECK(!dt_trial_runs_again(&ts[0], ts, 2));
    }
    dt_trials_free(ts, n);
    /* A darktune killed with trial 3 running: it becomes interrupted and runs again. */
    CHECK(dt_store_fail_running(st, sid, "interrupted (darktune stopped)", &n, &err) == 0 && n == 1);
    CHECK(dt_store_load(st, sid, &space, DT_POINT_LOSS, &ts, &n, &err) == 0);
    CHECK(n == 4 && ts[3].state == DT_FAIL && ts[3].fate == DT_FATE_INTERRUPTED && ts[3].seed_trial == 3);
    CHECK(n == 4 && dt_trial_runs_again(&ts[3], ts, n) && !dt_trial_counts(&ts[3]));
    dt_trials_free(ts, n);
    /* A fate this code does not know is an error, not a guess. */
    CHECK(exec_on(path, "UPDATE trial SET fate = 'vanished' WHERE number = 2") == SQLITE_OK);
    CHECK(dt_store_load(st, sid, &space, DT_POINT_LOSS, &ts, &n, &err) == -1 && n == 0);
    CHECK_STR(err.msg, "trial 2 in store '" DIR "/fate.db' has an unknown fate 'vanished'");
    for (int i = 0; i < 4; i++) dt_trial_free(&t[i]);
    dt_store_close(st);
    rm_db(path);
}

/* Finalists' runs: a budget of their own (the search's budget is of search trials
 * only), at most `seeds` runs per configuration that count or run, whatever the
 * number of workers claiming; an interrupted run leaves room for another; final reads
 * back. */
static void test_final_claim(void)
{
    const char *path = DIR "/final.db";
    dt_store *st;
    dt_err err = {0};
    long long sid;
    rm_db(path);
    CHECK(dt_store_open(&st, path, &err) == 0);
    CHECK(dt_store_study(st, "final", "maximize", "top1", &sid, &err) == 0);
    dt_trial t;
    dt_trial_init(&t, space.n);
    for (int i = 0; i < 2; i++) {   /* a search of 2 trials: its budget is spent */
        CHECK(dt_store_claim(st, sid, &space, &t, 2, "w:1:1", &err) == 0);
        t.state = DT_COMPLETE;
        t.value = 0.5 + i;
        CHECK(dt_store_finish_trial(st, sid, &t, &err) == 0);
    }
    CHECK(dt_store_claim(st, sid, &space, &t, 2, "w:1:1", &err) == DT_STORE_SPENT);
    t.final = 1;
    t.rerun_of = 1;
    int numbers[3];
    for (int i = 0; i < 2; i++) {   /* 2 seeds of trial 1's configuration */
        CHECK(dt_store_claim(st, sid, &space, &t, 2, "w:1:1", &err) == 0);
        numbers[i] = t.number;
    }
    CHECK(numbers[0] == 2 && numbers[1] == 3);
    CHECK(dt_store_claim(st, sid, &space, &t, 2, "w:2:1", &err) == DT_STORE_TAKEN);   /* two run already */
    t.number = numbers[0];
    t.state = DT_FAIL;
    t.fate = DT_FATE_INTERRUPTED;
    CHECK(dt_store_finish_trial(st, sid, &t, &err) == 0);
    t.seed_trial = -1;   /* as the scheduler asks: a seed of its own */
    CHECK(dt_store_claim(st, sid, &space, &t, 2, "w:2:1", &err) == 0 && t.number == 4);   /* room again */
    /* The search still counts 2 of its own: finalists' runs are not search trials. */
    t.final = 0;
    t.rerun_of = -1;
    CHECK(dt_store_claim(st, sid, &space, &t, 3, "w:1:1", &err) == 0 && t.number == 5);
    dt_trial *ts;
    int n;
    CHECK(dt_store_load(st, sid, &space, DT_POINT_LOSS, &ts, &n, &err) == 0 && n == 6);
    if (n == 6) {
        CHECK(!ts[0].final && !ts[1].final && ts[2].final && ts[3].final && ts[4].final && !ts[5].final);
        CHECK(ts[4].rerun_of == 1 && ts[4].seed_trial == 4);   /* a seed of its own */
        CHECK(!dt_trial_runs_again(&ts[2], ts, n));              /* interrupted: no rerun as such */
    }
    dt_trials_free(ts, n);
    dt_trial_free(&t);
    dt_store_close(st);
    rm_db(path);
}

/* Imported trials (an Optuna journal's): numbered below 0, never among the study's
 * own trials nor counted against its budget; importing a journal again replaces what it
 * gave before, and only that. */
static void test_import(void)
{
    const char *path = DIR "/import.db";
    rm_db(path);
    dt_store *st;
    dt_err err = {0};
    long long sid;
    CHECK(dt_store_open(&st, path, &err) == 0);
    CHECK(dt_store_study(st, "warm", "maximize", "top1", &sid, &err) == 0);
    dt_trial in[3];
    for (int i = 0; i < 3; i++) {
        dt_trial_init(&in[i], space.n);
        in[i].number = 10 + i;   /* the journal's numbers: the store numbers them anew */
        in[i].fate = DT_FATE_IMPORTED;
        set(&in[i].values[0], i ? "0.1" : "0.01", i ? 0.1 : 0.01, -1);
        set(&in[i].values[1], "64", 64, 1);
        set(&in[i].values[2], "constant", NAN, 0);
        snprintf(in[i].reason, sizeof in[i].reason, "imported: Optuna trial %d", i);
    }
    in[0].state = DT_COMPLETE, in[0].value = 0.8, in[0].last_step = 20, in[0].last_value = 0.8;
    in[1].state = DT_PRUNED, in[1].value = 0.3, in[1].last_step = 5, in[1].last_value = 0.3;
    in[2].state = DT_PRUNED, in[2].value = NAN;   /* pruned before it reported anything */
    CHECK(dt_store_import(st, sid, &space, "/j/a.jsonl", in, 3, &err) == 0);
    dt_trial *ts;
    int n;
    CHECK(dt_store_load(st, sid, &space, DT_POINT_METRIC, &ts, &n, &err) == 0);
    CHECK(n == 0);
    dt_trials_free(ts, n);
    CHECK(dt_store_imported(st, sid, &space, &ts, &n, &err) == 0);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(ts[0].number == -3 && ts[1].number == -2 && ts[2].number == -1);
        CHECK(ts[0].state == DT_COMPLETE && ts[0].value == 0.8 && ts[0].fate == DT_FATE_IMPORTED);
        CHECK(ts[0].last_kind == DT_POINT_METRIC && ts[0].last_step == 20 && ts[0].last_value == 0.8);
        CHECK(ts[1].state == DT_PRUNED && ts[1].last_step == 5 && ts[1].last_value == 0.3);
        CHECK(ts[2].last_step == -1 && isnan(ts[2].last_value) && isnan(ts[2].value));
        CHECK_STR(ts[1].values[0].text, "0.1");
        CHECK(ts[1].values[1].idx == 1 && ts[1].values[2].active && !ts[1].values[3].active);
        CHECK_STR(ts[0].worker, "/j/a.jsonl");
        CHECK_STR(ts[0].reason, "imported: Optuna trial 0");
    }
    dt_trials_free(ts, n);

    /* The study's own trials still start at 0, and the budget counts only them. */
    dt_trial t;
    dt_trial_init(&t, space.n);
    set(&t.values[0], "0.001", 0.001, -1);
    CHECK(dt_store_claim(st, sid, &space, &t, 1, NULL, &err) == 0);
    CHECK(t.number == 0);
    t.state = DT_COMPLETE;
    t.value = 0.5;
    CHECK(dt_store_finish_trial(st, sid, &t, &err) == 0);
    CHECK(dt_store_claim(st, sid, &space, &t, 1, NULL, &err) == DT_STORE_SPENT);
    dt_trial_free(&t);

    /* Again from a.jsonl: its three give way to one; b.jsonl's come below it. */
    CHECK(dt_store_import(st, sid, &space, "/j/a.jsonl", &in[1], 1, &err) == 0);
    CHECK(dt_store_import(st, sid, &space, "/j/b.jsonl", in, 2, &err) == 0);
    CHECK(dt_store_imported(st, sid, &space, &ts, &n, &err) == 0);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(ts[0].number == -3 && ts[1].number == -2 && ts[2].number == -1);
        CHECK_STR(ts[0].worker, "/j/b.jsonl");
        CHECK_STR(ts[2].worker, "/j/a.jsonl");
        CHECK(ts[2].state == DT_PRUNED);
    }
    dt_trials_free(ts, n);
    CHECK(dt_store_load(st, sid, &space, DT_POINT_METRIC, &ts, &n, &err) == 0);
    CHECK(n == 1 && ts[0].number == 0);
    dt_trials_free(ts, n);
    for (int i = 0; i < 3; i++) dt_trial_free(&in[i]);
    dt_store_close(st);
}

int main(void)
{
    dt_store *st, *st2;
    dt_err err = {0};
    long long sid, sid2, again;
    dt_trial *ts;
    int n;

    rm_db(DB);
    rmdir(DIR "/sub");

    /* Opening creates the folder and the schema. */
    CHECK(dt_store_open(&st, DB, &err) == 0);
    CHECK(dt_dir_exists(DIR "/sub"));

    /* Studies: found again by name, refused with another direction or metric. */
    CHECK(dt_store_study(st, "fashion", "maximize", "top1", &sid, &err) == 0);
    CHECK(dt_store_study(st, "fashion", "maximize", "top1", &again, &err) == 0);
    CHECK(again == sid);
    CHECK(dt_store_study(st, "other", "minimize", "loss", &sid2, &err) == 0);
    CHECK(sid2 != sid);
    CHECK(dt_store_study(st, "fashion", "minimize", "loss", &again, &err) == -1);
    CHECK_STR(err.msg, "study 'fashion' in '" DB "' is a maximize study of top1; this sweep asks for minimize loss");
    CHECK(dt_store_study(st, "fashion", "maximize", "top5", &again, &err) == -1);

    /* Three trials: a baseline, one with the conditional steps active, one left running.
     * policy's words have no number (NaN), steps is inactive unless policy = steps. */
    dt_trial want[3];
    for (int i = 0; i < 3; i++) dt_trial_init(&want[i], space.n);
    set(&want[0].values[0], "0.001", 0.001, -1);
    set(&want[0].values[1], "96", 96, -1);           /* a base cfg value outside the choices */
    set(&want[0].values[2], "constant", NAN, 0);
    want[0].baseline = 1;
    set(&want[1].values[0], "0.0316228", 0.0316228, -1);
    set(&want[1].values[1], "128", 128, 2);
    set(&want[1].values[2], "steps", NAN, 1);
    set(&want[1].values[3], "0.8, 0.9", NAN, 0);
    set(&want[2].values[0], "0.01", 0.01, -1);
    set(&want[2].values[1], "32", 32, 0);
    set(&want[2].values[2], "constant", NAN, 0);
    double before = dt_wall();
    for (int i = 0; i < 3; i++) {
        want[i].number = 77;   /* the store picks the number */
        CHECK(dt_store_create_trial(st, sid, &space, &want[i], &err) == 0);
        CHECK(want[i].number == i);
        CHECK(want[i].state == DT_RUNNING);
        CHECK(want[i].started >= before && want[i].started <= dt_wall());
    }
    /* Numbers count per study. */
    dt_trial other;
    dt_trial_init(&other, space.n);
    CHECK(dt_store_create_trial(st, sid2, &space, &other, &err) == 0);
    CHECK(other.number == 0);

    /* Intermediate values, written out of order; trial 1's are nan and inf. */
    dt_point p0[] = {{200, DT_POINT_METRIC, 0.5}, {100, DT_POINT_LOSS, 2.0}, {200, DT_POINT_LOSS, 1.5},
                     {100, DT_POINT_METRIC, 0.4}};
    dt_point p1[] = {{20, DT_POINT_LOSS, -INFINITY}, {10, DT_POINT_METRIC, NAN}, {10, DT_POINT_LOSS, INFINITY}};
    CHECK(dt_store_add_points(st, sid, 0, p0, 4, &err) == 0);
    CHECK(dt_store_add_points(st, sid, 1, p1, 3, &err) == 0);
    CHECK(dt_store_add_points(st, sid, 1, p1, 0, &err) == 0);

    /* Outcomes: a complete trial with its own finished time, a failed one without a value. */
    want[0].state = DT_COMPLETE;
    want[0].value = 0.8125;
    want[0].iterations = 600;
    want[0].seconds = 12.5;
    want[0].finished = 1700000000.25;
    CHECK(dt_store_finish_trial(st, sid, &want[0], &err) == 0);
    want[1].state = DT_FAIL;
    want[1].iterations = 20;
    want[1].seconds = 3;
    snprintf(want[1].reason, sizeof want[1].reason, "diverged: loss nan at iteration 12");
    want[1].diverged = 1;
    before = dt_wall();
    CHECK(dt_store_finish_trial(st, sid, &want[1], &err) == 0);

    /* A trial the store does not have: refused, and nothing is written. */
    dt_trial ghost;
    dt_trial_init(&ghost, space.n);
    ghost.number = 42;
    ghost.state = DT_COMPLETE;
    CHECK(dt_store_finish_trial(st, sid, &ghost, &err) == -1);
    CHECK_STR(err.msg, "trial 42 of study 1 is not in store '" DB "'");
    CHECK(dt_store_add_points(st, sid, 42, p0, 4, &err) == -1);
    CHECK(strstr(err.msg, "cannot add intermediate values in store '" DB "': FOREIGN KEY") == err.msg);
    dt_point *pts;
    CHECK(dt_store_points(st, sid, 42, &pts, &n, &err) == 0 && n == 0);
    free(pts);
    dt_store_close(st);

    /* Reopened, everything reads back as written. */
    CHECK(dt_store_open(&st, DB, &err) == 0);
    CHECK(dt_store_load(st, sid, &space, DT_POINT_METRIC, &ts, &n, &err) == 0);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(ts[1].finished >= before && ts[1].finished <= dt_wall());
        want[1].finished = ts[1].finished;
        for (int i = 0; i < 3; i++) check_trial(&ts[i], &want[i], space.n);
        CHECK(ts[0].last_value == 0.5 && ts[0].last_step == 200);
        CHECK(isnan(ts[1].last_value) && ts[1].last_step == 10);   /* a nan metric is still the last one */
        CHECK(isnan(ts[2].last_value) && ts[2].last_step == -1);   /* none at all */
        CHECK(ts[2].finished == 0);
    }
    dt_trials_free(ts, n);
    /* With the loss as the pruner's series, the last loss instead. */
    CHECK(dt_store_load(st, sid, &space, DT_POINT_LOSS, &ts, &n, &err) == 0);
    if (n == 3) {
        CHECK(ts[0].last_kind == DT_POINT_LOSS && ts[0].last_value == 1.5 && ts[0].last_step == 200);
        CHECK(isinf(ts[1].last_value) && ts[1].last_step == 20);
        CHECK(isnan(ts[2].last_value) && ts[2].last_step == -1);
    }
    dt_trials_free(ts, n);

    /* Points come back by step, then kind; inf stays inf, nan comes back NAN. */
    CHECK(dt_store_points(st, sid, 0, &pts, &n, &err) == 0);
    CHECK(n == 4);
    if (n == 4) {
        CHECK(pts[0].step == 100 && pts[0].kind == DT_POINT_LOSS && pts[0].value == 2.0);
        CHECK(pts[1].step == 100 && pts[1].kind == DT_POINT_METRIC && pts[1].value == 0.4);
        CHECK(pts[2].step == 200 && pts[2].kind == DT_POINT_LOSS && pts[2].value == 1.5);
        CHECK(pts[3].step == 200 && pts[3].kind == DT_POINT_METRIC && pts[3].value == 0.5);
    }
    free(pts);
    CHECK(dt_store_points(st, sid, 1, &pts, &n, &err) == 0);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(pts[0].step == 10 && pts[0].kind == DT_POINT_LOSS && isinf(pts[0].value) && pts[0].value > 0);
        CHECK(pts[1].step == 10 && pts[1].kind == DT_POINT_METRIC && isnan(pts[1].value));
        CHECK(pts[2].step == 20 && isinf(pts[2].value) && pts[2].value < 0);
    }
    free(pts);

    /* fail_running touches only this study's RUNNING trials, and counts the
     * iterations a killed trial had reported. */
    dt_point run_pts[] = {{5, DT_POINT_LOSS, 1.0}, {17, DT_POINT_LOSS, 0.9}};
    CHECK(dt_store_add_points(st, sid, 2, run_pts, 2, &err) == 0);
    CHECK(dt_store_fail_running(st, sid, "darktune was killed", &n, &err) == 0);
    CHECK(n == 1);
    CHECK(dt_store_fail_running(st, sid, "darktune was killed", &n, &err) == 0);
    CHECK(n == 0);
    CHECK(dt_store_load(st, sid, &space, DT_POINT_METRIC, &ts, &n, &err) == 0);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(ts[2].state == DT_FAIL);
        CHECK_STR(ts[2].reason, "darktune was killed");
        CHECK(ts[2].iterations == 17);
        CHECK(ts[2].finished >= before);
        check_trial(&ts[0], &want[0], space.n);
        check_trial(&ts[1], &want[1], space.n);
    }
    dt_trials_free(ts, n);
    CHECK(dt_store_load(st, sid2, &space, DT_POINT_METRIC, &ts, &n, &err) == 0);
    CHECK(n == 1 && ts[0].state == DT_RUNNING);
    dt_trials_free(ts, n);

    /* Another space: learning_rate and policy found by name, momentum inactive, batch ignored. */
    CHECK(dt_store_load(st, sid, &space2, DT_POINT_METRIC, &ts, &n, &err) == 0);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(!ts[1].values[0].active);
        CHECK_STR(ts[1].values[1].text, "steps");
        CHECK(ts[1].values[1].idx == 1 && isnan(ts[1].values[1].num));
        CHECK_STR(ts[1].values[2].text, "0.0316228");
        CHECK(ts[1].values[2].num == 0.0316228 && ts[1].values[2].idx == -1);
    }
    dt_trials_free(ts, n);

    /* Two handles on one file, creating in turn, never take the same number. */
    CHECK(dt_store_open(&st2, DB, &err) == 0);
    for (int i = 0; i < 6; i++) {
        dt_trial t;
        dt_trial_init(&t, space.n);
        CHECK(dt_store_create_trial(i % 2 ? st2 : st, sid, &space, &t, &err) == 0);
        CHECK(t.number == 3 + i);
        dt_trial_free(&t);
    }
    dt_store_close(st2);
    dt_store_close(st);

    /* A darktune that dies after its commits leaves them whole, WAL and all. */
    int status = in_child(child_dies_after_commit);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* One killed inside a transaction leaves nothing of it, and no lock behind. */
    status = in_child(child_dies_in_transaction);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(dt_store_open(&st, DB, &err) == 0);
    CHECK(dt_store_load(st, sid, &space, DT_POINT_METRIC, &ts, &n, &err) == 0);
    CHECK(n == 10);
    if (n == 10) {
        CHECK(ts[9].number == 9 && ts[9].state == DT_RUNNING);
        CHECK_STR(ts[9].values[0].text, "0.05");
        CHECK(ts[9].last_value == 0.41 && ts[9].last_step == 100);
    }
    dt_trials_free(ts, n);
    dt_trial t10;
    dt_trial_init(&t10, space.n);
    double t_start = dt_now();
    CHECK(dt_store_create_trial(st, sid, &space, &t10, &err) == 0);
    CHECK(t10.number == 10);
    CHECK(dt_now() - t_start < 5);   /* the dead child's lock did not make us wait */
    dt_trial_free(&t10);
    dt_store_close(st);

    /* A file that is not a database, an SQLite file of someone else, a folder that is a file. */
    const char *junk = DIR "/junk.db";
    CHECK(dt_write_file(junk, "name,value\nlr,0.1\n", 18, &err) == 0);
    CHECK(dt_store_open(&st, junk, &err) == -1 && st == NULL);
    CHECK_STR(err.msg, "'" DIR "/junk.db' is not a darktune store: file is not a database");
    const char *foreign = DIR "/foreign.db";
    rm_db(foreign);
    sqlite3 *db;
    CHECK(sqlite3_open(foreign, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "CREATE TABLE songs(title TEXT)", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK(dt_store_open(&st, foreign, &err) == -1);
    CHECK_STR(err.msg, "'" DIR "/foreign.db' is not a darktune store: it holds other tables");
    CHECK(dt_store_open(&st, DIR "/junk.db/x.db", &err) == -1);
    CHECK(strstr(err.msg, "junk.db") != NULL);

    for (int i = 0; i < 3; i++) dt_trial_free(&want[i]);
    dt_trial_free(&other);
    dt_trial_free(&ghost);

    test_fate();
    test_final_claim();
    test_migrate();
    test_import();
    return dt_test_done("store");
}
