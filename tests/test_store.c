/* test_store: dt_store round trips, numbering, crash recovery and refusals.
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
    CHECK(got->iterations == want->iterations);
    CHECK(got->seconds == want->seconds);
    CHECK(got->started == want->started);
    CHECK(got->finished == want->finished);
    CHECK_STR(got->reason, want->reason);
    CHECK(got->baseline == want->baseline);
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
    snprintf(want[1].reason, sizeof want[1].reason, "diverged at iteration 12");
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
    return dt_test_done("store");
}
