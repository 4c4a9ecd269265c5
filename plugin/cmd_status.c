/* cmd_status, cmd_best and cmd_report: read a study from its store and print it; run
 * nothing. best also writes the outputs (trials.csv, report.txt, best.cfg, report.html)
 * as the store has them; report writes them and prints where report.html is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dt_front.h"
#include "dt_out.h"
#include "dt_sched.h"

static int dt_status__load(int argc, char **argv, const char *usage, dt_sweep *sw, dt_trial **trials, int *n)
{
    char *output = NULL, *path;
    const dt_opt opts[] = {
        {"--output", "DIR", "the study's output folder (as given to darktune run)", &output},
    };
    dt_cmd_args(argc, argv, usage, opts, 1, &path);
    dt_cmd_sweep(sw, path, NULL, output);
    dt_err err;
    if (dt_sched_load(sw, trials, n, &err) != 0) {
        fprintf(stderr, "darktune: %s\n", err.msg);
        dt_sweep_free(sw);
        return -1;
    }
    return 0;
}

int cmd_status(int argc, char **argv)
{
    dt_sweep sw;
    dt_trial *trials;
    int n;
    if (dt_status__load(argc, argv, "darktune status SWEEP.ini [--output DIR]", &sw, &trials, &n) != 0)
        return DT_EXIT_RUNTIME;
    dt_buf goal = {0};
    dt_sweep_objectives_text(&sw, &goal);
    printf("study '%s' (%s): %d trial%s\n", sw.name, goal.p, n, n == 1 ? "" : "s");
    dt_buf_free(&goal);
    printf("%6s  %-8s %-10s", "number", "state", "value");
    for (int i = 0; i < sw.space.n; i++)
        if (sw.space.p[i].kind != DT_FIXED) printf(" %-14s", sw.space.p[i].name);
    printf(" %10s %9s  %s\n", "iterations", "seconds", "reason");
    int best = dt_out_best(&sw, trials, n);
    for (int k = 0; k < n; k++) {
        const dt_trial *t = &trials[k];
        char v[32];
        dt_out_value(t->value, v, sizeof v);
        printf("%5d%s  %-8s %-10s", t->number, k == best ? "*" : " ", dt_state_name(t->state), v[0] ? v : "-");
        for (int i = 0; i < sw.space.n; i++)
            if (sw.space.p[i].kind != DT_FIXED) printf(" %-14s", t->values[i].active ? t->values[i].text : "-");
        printf(" %10ld %9.1f  %s%s\n", t->iterations, t->seconds, t->baseline ? "baseline " : "", t->reason);
    }
    /* Which worker runs what: one line per worker with running trials. */
    for (int k = 0; k < n; k++) {
        const dt_trial *t = &trials[k];
        if (t->state != DT_RUNNING) continue;
        int first = 1;
        for (int j = 0; j < k && first; j++)
            first = !(trials[j].state == DT_RUNNING && strcmp(trials[j].worker, t->worker) == 0);
        if (!first) continue;
        printf("worker %s runs trial", t->worker[0] ? t->worker : "(unnamed)");
        for (int j = k; j < n; j++)
            if (trials[j].state == DT_RUNNING && strcmp(trials[j].worker, t->worker) == 0)
                printf(" %d", trials[j].number);
        if (t->heartbeat > 0) printf("; last heartbeat %.0f s ago", dt_wall() - t->heartbeat);
        printf("\n");
    }
    dt_trials_free(trials, n);
    dt_sweep_free(&sw);
    return DT_EXIT_OK;
}

int cmd_best(int argc, char **argv)
{
    dt_sweep sw;
    dt_trial *trials;
    int n;
    if (dt_status__load(argc, argv, "darktune best SWEEP.ini [--output DIR]", &sw, &trials, &n) != 0)
        return DT_EXIT_RUNTIME;
    int best = dt_out_best(&sw, trials, n), rc = DT_EXIT_OK;
    /* The outputs, from the store as it is now: workers (darktune worker) write none,
     * and this may run on any machine that reaches the store. */
    dt_err err;
    dt_buf flags = {0};
    if (dt_mkdirs(sw.output, &err) != 0 || dt_sched_outputs(&sw, trials, n, 1, &flags, &err) != 0) {
        fprintf(stderr, "darktune: %s\n", err.msg);
        rc = DT_EXIT_RUNTIME;
    }
    if (best < 0) {
        fprintf(stderr, "darktune: study '%s' has no completed trial yet\n", sw.name);
        rc = DT_EXIT_RUNTIME;
    } else {
        const dt_trial *t = &trials[best];
        char v[32];
        printf("best trial %d%s:", t->number, t->baseline ? " (baseline)" : "");
        for (int j = 0; j < sw.nobj; j++) {
            dt_out_value(dt_trial_objective(t, &sw.obj[j]), v, sizeof v);
            printf("%s %s = %s", j ? "," : "", dt_sweep_objective_name(&sw, j), v);
        }
        printf("\n");
        if (sw.nobj > 1) {
            char why[256];
            dt_front_best(&sw, trials, n, why, sizeof why);
            printf("  (%s)\n", why);
        }
        for (int i = 0; i < sw.space.n; i++)
            if (t->values[i].active && sw.space.p[i].kind != DT_FIXED)
                printf("  %s = %s\n", sw.space.p[i].name, t->values[i].text);
        if (flags.p) fputs(flags.p, stdout);
        printf("%s/best.cfg\n", sw.output);
        if (sw.nobj > 1) {   /* the trade-offs: each row a deployable cfg, pareto/N.cfg */
            dt_buf front = {0};
            dt_front_table(&sw, trials, n, &front);
            fputs(front.p, stdout);
            printf("%s/pareto.csv\n", sw.output);
            dt_buf_free(&front);
        }
        /* The weights stay on the machine that trained them. */
        if (t->weights[0]) {
            char host[128];
            snprintf(host, sizeof host, "%s", t->worker);
            host[strcspn(host, ":")] = '\0';
            printf("weights: %s%s%s\n", host[0] ? host : "", host[0] ? ":" : "", t->weights);
        }
    }
    dt_buf_free(&flags);
    dt_trials_free(trials, n);
    dt_sweep_free(&sw);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    dt_sweep sw;
    dt_trial *trials;
    int n;
    if (dt_status__load(argc, argv, "darktune report SWEEP.ini [--output DIR]", &sw, &trials, &n) != 0)
        return DT_EXIT_RUNTIME;
    dt_err err;
    int rc = DT_EXIT_OK;
    if (dt_mkdirs(sw.output, &err) != 0 || dt_sched_outputs(&sw, trials, n, 1, NULL, &err) != 0) {
        fprintf(stderr, "darktune: %s\n", err.msg);
        rc = DT_EXIT_RUNTIME;
    } else {
        printf("%s/report.html\n", sw.output);
    }
    dt_trials_free(trials, n);
    dt_sweep_free(&sw);
    return rc;
}
