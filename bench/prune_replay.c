/* bench/prune_replay: a pruner's decisions replayed over a study trained without
 * pruning. bench/prune.sh trains the demo's space to the end once per seed (pruner
 * none), then asks each pruner what it would have done with those very curves:
 *
 *   prune_replay SWEEP.ini [ORDER N]
 *
 * SWEEP.ini is the recorded study's sweep with [pruner] replaced; its `storage`
 * names the recorded store. The in-process trainer seeds each trial from the study
 * seed and its number, so a trial cut short by a pruner would have trained the first
 * part of the recorded curve: the replay is what a run with that pruner trains,
 * except for one thing: trials are judged in number order, one at a time, where a run
 * with 2 slots judges each against the trials that happened to finish before it.
 * Each trial gets its burn-in hold and lag first, as dt_sched does.
 *
 * ORDER N: replay N of the recorded trials in an order drawn from seed ORDER instead
 * of all of them in number order. The recorded order is one draw among many, and
 * which trials come first decides much of what a pruner does (the first trials at a
 * rung go on unopposed), so a verdict on a pruner wants many orders.
 *
 * Prints one line: iterations trained, iterations of the recording, the best
 * COMPLETE value and its trial, complete and pruned counts, and the best value of
 * the replayed trials without pruning. With PRUNE_REPLAY_TRIALS=1 in the
 * environment, also one line per trial on stderr: its number, recorded final value,
 * burn-in and the pruner's reason, for reading why a best was lost. With
 * PRUNE_REPLAY_NOLAG=1, trials that warmed up are compared at their own iterations
 * (no lag, as before dt_burn_in_lag), to measure what the lag changes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dt_out.h"
#include "dt_rng.h"
#include "dt_pruner.h"
#include "dt_store.h"
#include "dt_sweep.h"

static void die(const char *msg)
{
    fprintf(stderr, "prune_replay: %s\n", msg);
    exit(1);
}

/* Reports in the order the scheduler sees them: by iteration, the loss first. */
static int by_step(const void *a, const void *b)
{
    const dt_point *x = a, *y = b;
    if (x->step != y->step) return x->step < y->step ? -1 : 1;
    return x->kind - y->kind;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: prune_replay SWEEP.ini [ORDER N]\n");
        return 2;
    }
    dt_sweep sw = {0};
    dt_err err;
    if (dt_sweep_load(&sw, argv[1], &err) != 0) die(err.msg);
    dt_store *st;
    long long id;
    dt_trial *trials;
    int n;
    dt_pruner *p;
    dt_pruner_opts popts = dt_sweep_pruner(&sw);
    if (dt_store_open(&st, sw.storage, &err) != 0 ||
        dt_store_study(st, sw.name, sw.maximize ? "maximize" : "minimize", dt_metric_name(sw.metric), &id, &err) ||
        dt_store_load(st, id, &sw.space, sw.pruner.on_loss ? DT_POINT_LOSS : DT_POINT_METRIC, &trials, &n, &err) != 0 ||
        dt_pruner_create(&p, &popts, &err) != 0)
        die(err.msg);
    int *order = dt_xmalloc((size_t)n * sizeof *order), m = n;
    for (int i = 0; i < n; i++) order[i] = i;
    if (argc == 4) {
        dt_rng r;
        dt_rng_seed(&r, strtoull(argv[2], NULL, 10), 0);
        dt_rng_shuffle(&r, order, n);
        m = atoi(argv[3]);
        if (m < 1 || m > n) die("N must be between 1 and the recorded trials");
    }
    long trained = 0, recorded = 0;
    double none = NAN;
    int best = -1, complete = 0, pruned = 0;
    const char *env = getenv("PRUNE_REPLAY_TRIALS");
    int verbose = env && *env == '1';
    env = getenv("PRUNE_REPLAY_NOLAG");
    int nolag = env && *env == '1';
    for (int o = 0; o < m; o++) {
        int i = order[o];
        dt_trial *t = &trials[i];
        dt_point *pts;
        int np;
        if (dt_store_points(st, id, t->number, &pts, &np, &err) != 0) die(err.msg);
        qsort(pts, (size_t)np, sizeof *pts, by_step);
        long lag, until = dt_out_burn_in(&sw, t->values, &lag);
        if (nolag) lag = 0;
        dt_pruner_hold(p, t->number, until, lag);
        long stop = -1;
        char reason[256];
        for (int k = 0; k < np && stop < 0; k++)
            if (dt_pruner_decide(p, t->number, pts[k], reason, sizeof reason)) stop = pts[k].step;
        free(pts);
        if (verbose)
            fprintf(stderr, "trial %3d  %s %.4f  burn_in %ld  %s\n", t->number, dt_state_name(t->state), t->value,
                    until, stop >= 0 ? reason : "kept");
        recorded += t->iterations;
        if (t->state == DT_COMPLETE && (isnan(none) || (sw.maximize ? t->value > none : t->value < none)))
            none = t->value;
        /* A trial the recording itself stopped (diverged) ends as it did there. */
        int done = stop < 0 && t->state == DT_COMPLETE;
        trained += stop >= 0 ? stop : t->iterations;
        dt_pruner_finish(p, t->number, done ? DT_COMPLETE : DT_PRUNED);
        if (!done) {
            pruned++;
            continue;
        }
        complete++;
        if (best < 0 || (sw.maximize ? t->value > trials[best].value : t->value < trials[best].value)) best = i;
    }
    printf("%ld %ld %.4f %d %d %d %.4f\n", trained, recorded, best >= 0 ? trials[best].value : NAN,
           best >= 0 ? trials[best].number : -1, complete, pruned, none);
    free(order);
    dt_pruner_free(p);
    dt_trials_free(trials, n);
    dt_store_close(st);
    dt_sweep_free(&sw);
    return 0;
}
