/* cmd_run: `darktune run SWEEP.ini [--trials N] [--output DIR]`, and `darktune worker`,
 * the same without the outputs: one of many processes sharing a study.
 * One line per finished trial; on a terminal, a live status line under them. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "dt_exec.h"
#include "dt_out.h"
#include "dt_sched.h"

static volatile sig_atomic_t dt_run__stop;

/* First signal: stop cleanly (trials recorded as interrupted). Second: kill every
 * trial's process group and leave at once; the store stays consistent either way. */
static void dt_run__signal(int sig)
{
    if (dt_run__stop) {
        dt_proc_kill_all();
        _exit(128 + sig);
    }
    dt_run__stop = sig;
}

typedef struct dt_run_ui {
    const dt_sweep *sw;
    int tty;
    int status_shown;   /* a live status line is on screen */
} dt_run_ui;

static void dt_run__clear(dt_run_ui *ui)
{
    if (ui->status_shown) fputs("\r\033[K", stdout);
    ui->status_shown = 0;
}

static void dt_run__note(void *user, const char *msg)
{
    dt_run_ui *ui = user;
    dt_run__clear(ui);
    printf("%s\n", msg);
    fflush(stdout);
}

static void dt_run__finished(void *user, const dt_trial *t, const dt_trial *best, int done, int budget,
                             double elapsed, double eta)
{
    dt_run_ui *ui = user;
    const char *metric = dt_metric_name(ui->sw->metric);
    char v[32], bv[32], el[32], et[32];
    dt_out_value(t->value, v, sizeof v);
    dt_cmd_duration(elapsed, el, sizeof el);
    if (eta >= 0) dt_cmd_duration(eta, et, sizeof et);
    else snprintf(et, sizeof et, "?");
    dt_run__clear(ui);
    printf("trial %3d  %-8s %s %-8s", t->number, dt_state_name(t->state), metric, v[0] ? v : "-");
    char bs[64] = "-";
    if (best) {
        dt_out_value(best->value, bv, sizeof bv);
        snprintf(bs, sizeof bs, "%s (#%d)", bv, best->number);
    }
    printf("  best %-14s", bs);
    printf("  %5ld it %6.1f s  [%d/%d, elapsed %s, eta %s]", t->iterations, t->seconds, done, budget, el, et);
    if (t->baseline) printf("  baseline");
    if (t->reason[0]) printf("  %s", t->reason);
    printf("\n");
    fflush(stdout);
}

/* The live line on a terminal, rewritten in place: finished/total, best so far,
 * elapsed and ETA, then each running trial's iteration and last values. */
static void dt_run__tick(void *user, const dt_live *live, int nlive, const dt_trial *best, int done, int budget,
                         double elapsed, double eta)
{
    dt_run_ui *ui = user;
    if (!ui->tty) return;
    char el[32], et[32] = "?", bv[64];
    dt_cmd_duration(elapsed, el, sizeof el);
    if (eta >= 0) dt_cmd_duration(eta, et, sizeof et);
    fputs("\r\033[K", stdout);
    printf("[%d/%d done", done, budget);
    if (best) {
        dt_out_value(best->value, bv, sizeof bv);
        printf(", best %s %s (#%d)", dt_metric_name(ui->sw->metric), bv, best->number);
    }
    printf(", %s, eta %s]", el, et);
    for (int i = 0; i < nlive && i < 6; i++) {
        printf("  #%d it %ld/%ld", live[i].number, live[i].iteration, ui->sw->max_batches);
        if (!isnan(live[i].loss)) printf(" loss %.3g", live[i].loss);
        if (!isnan(live[i].metric)) printf(" %s %.3g", dt_metric_name(ui->sw->metric), live[i].metric);
    }
    if (nlive > 6) printf("  +%d more", nlive - 6);
    fflush(stdout);
    ui->status_shown = 1;
}

/* A study with no completed trial: when every trial failed, that is an error (exit 1)
 * with the first reason, since every trial would fail again; pruned ones are a result. */
static int dt_run__none_completed(const dt_sweep *sw)
{
    dt_trial *ts;
    int n, failed = 0, first = -1;
    dt_err err;
    if (dt_sched_load(sw, &ts, &n, &err) == 0) {
        for (int i = 0; i < n; i++)
            if (dt_trial_counts(&ts[i]) && ts[i].state == DT_FAIL) {
                failed++;
                if (first < 0) first = i;
            }
        int counted = 0;
        for (int i = 0; i < n; i++) counted += dt_trial_counts(&ts[i]);
        if (counted && failed == counted) {
            fprintf(stderr, "darktune: every trial failed (%d), so there is no best.cfg; the first, trial %d: %s "
                    "(see %s/report.txt and trials/%d/log.txt)\n", failed, ts[first].number, ts[first].reason,
                    sw->output, ts[first].number);
            dt_trials_free(ts, n);
            return DT_EXIT_RUNTIME;
        }
        dt_trials_free(ts, n);
    }
    printf("done: no trial completed, so there is no best.cfg; see %s/report.txt\n", sw->output);
    return DT_EXIT_OK;
}

/* run and worker: the same study loop; a worker writes no outputs. */
static int dt_run__main(int argc, char **argv, int worker)
{
    char *trials = NULL, *output = NULL, *force = NULL, *path;
    const dt_opt opts[] = {
        {"--trials", "N", "stop when N trials have finished (overrides [study] trials)", &trials},
        {"--output", "DIR", "write outputs (and the default store) here (overrides [study] output)", &output},
        {"--force", NULL, "go on with a study that ran with another sweep: its trials mix with these", &force},
    };
    dt_cmd_args(argc, argv, worker ? "darktune worker SWEEP.ini [--trials N] [--output DIR] [--force]"
                                   : "darktune run SWEEP.ini [--trials N] [--output DIR] [--force]", opts, 3, &path);
    dt_sweep sw;
    dt_cmd_sweep(&sw, path, trials, output);

    dt_err err;
    if (dt_sched_check(&sw, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        dt_sweep_free(&sw);
        return DT_EXIT_USAGE;
    }

    struct sigaction sa = {.sa_handler = dt_run__signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    dt_run_ui ui = {.sw = &sw, .tty = isatty(STDOUT_FILENO)};
    dt_sched_hooks hooks = {&ui, dt_run__note, dt_run__finished, dt_run__tick, worker, force != NULL};
    dt_buf goal = {0};
    dt_sweep_objectives_text(&sw, &goal);
    printf("study '%s': %d trial%s, %s sampler, %s pruner, %s, %ld iterations each; output %s\n", sw.name,
           sw.trials, sw.trials == 1 ? "" : "s", dt_sampler_name(sw.sampler.kind), dt_pruner_name(sw.pruner.kind),
           goal.p, sw.max_batches, sw.output);
    dt_buf_free(&goal);
    if (sw.sampler_auto) printf("sampler auto: %s (%s)\n", dt_sampler_name(sw.sampler.kind), sw.sampler_why);
    fflush(stdout);

    int rc = dt_sched_run(&sw, &hooks, &dt_run__stop, &err);
    dt_run__clear(&ui);
    int status = DT_EXIT_OK;
    if (rc < 0) {
        fprintf(stderr, "darktune: %s\n", err.msg);
        status = rc == -2 ? DT_EXIT_USAGE : DT_EXIT_RUNTIME;
    } else if (rc == 1) {
        printf("interrupted: running trials recorded as interrupted; run the same command again to resume\n");
        status = 128 + dt_run__stop;
    } else if (worker) {
        printf("done: this worker has no trial left to run\n");
    } else {
        char *best = dt_path_join(sw.output, "best.cfg");
        if (dt_file_exists(best)) printf("done: best configuration in %s\n", best);
        else status = dt_run__none_completed(&sw);
        free(best);
    }
    dt_sweep_free(&sw);
    return status;
}

int cmd_run(int argc, char **argv)
{
    return dt_run__main(argc, argv, 0);
}

int cmd_worker(int argc, char **argv)
{
    return dt_run__main(argc, argv, 1);
}
