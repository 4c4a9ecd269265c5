/* bench/store_bench: what the store costs per trial, as the scheduler uses it: claim a
 * trial with two parameters, report 100 intermediate values (in the scheduler's
 * batches of 64), finish it. Run by bench/storage.sh beside Optuna's RDB storage doing
 * the same on the same database.
 *
 *   store_bench TARGET TRIALS     (TARGET: a SQLite file or a postgresql:// URI)
 *
 * Prints one line: milliseconds per trial. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dt_store.h"

#define POINTS 100
#define FLUSH 64   /* dt_sched's DT_SCHED_FLUSH */

static void die(const char *msg)
{
    fprintf(stderr, "store_bench: %s\n", msg);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: store_bench TARGET TRIALS\n");
        return 2;
    }
    int n = atoi(argv[2]);
    dt_err err;
    dt_store *st;
    long long id;
    char name[64];
    snprintf(name, sizeof name, "store-bench-%d", (int)getpid());
    if (dt_store_open(&st, argv[1], &err) != 0 || dt_store_study(st, name, "maximize", "top1", &id, &err) != 0)
        die(err.msg);
    dt_space space = {0};
    dt_param a = {0}, b = {0};
    if (dt_param_parse(&a, "log(1e-4, 0.1)", &err) != 0 || dt_param_parse(&b, "uniform(0.5, 0.99)", &err) != 0)
        die(err.msg);
    a.name = "learning_rate", a.cond = -1;
    b.name = "momentum", b.cond = -1;
    space.n = 2;
    space.p = (dt_param[]){a, b};
    dt_point pts[POINTS];
    double t0 = dt_now();
    for (int i = 0; i < n; i++) {
        dt_trial t;
        dt_trial_init(&t, 2);
        dt_value_num(&space.p[0], 0.001 * (i + 1), &t.values[0]);
        dt_value_num(&space.p[1], 0.9, &t.values[1]);
        if (dt_store_claim(st, id, &space, &t, 1 << 30, "bench:1:1", &err) != 0) die(err.msg);
        for (int k = 0; k < POINTS; k++)
            pts[k] = (dt_point){.step = k + 1, .kind = DT_POINT_LOSS, .value = 2.0 / (k + 1)};
        for (int k = 0; k < POINTS; k += FLUSH)
            if (dt_store_add_points(st, id, t.number, pts + k, POINTS - k < FLUSH ? POINTS - k : FLUSH, &err) != 0)
                die(err.msg);
        t.state = DT_COMPLETE;
        t.value = 0.8;
        t.iterations = POINTS;
        if (dt_store_finish_trial(st, id, &t, &err) != 0) die(err.msg);
        dt_trial_free(&t);
    }
    printf("%.3f\n", 1000 * (dt_now() - t0) / n);
    dt_store_close(st);
    return 0;
}
