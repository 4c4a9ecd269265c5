/* dt_runner_exec: dt_runner for `runner = exec`: an external Darknet program.
 *
 * The training command runs under dt_exec; its console is parsed with dt_logparse
 * into iteration and mAP events. When it ends, the verdict comes from what it
 * printed and left, not from its exit status (Debian's darknet aborts after a good
 * run): it trained when the last iteration reached max_batches or it wrote its end
 * weights. Then eval_command, when set, gives the final metric, and with time_reps the
 * final weights are timed in a libdarknet child (dt_lib_timer). The scheduler
 * decides everything else (pruning, retries); this file only reports.
 *
 * dt_runner.c dispatches to this file through dt_runner_exec_ops (dt_runner_impl.h);
 * `runner = libdarknet` is dt_runner_lib.c. */
#include "dt_runner_impl.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "dt_exec.h"
#include "dt_logparse.h"
#include "dt_darknet.h"

#define DT_RUN_GRACE_S 2.0  /* seconds between SIGTERM and SIGKILL (no fork saves on SIGTERM) */
#define DT_RUN_REAP_S 5.0   /* how long a program that closed its output may take to exit */

typedef enum { DT_RUN__TRAIN, DT_RUN__EVAL, DT_RUN__TIME, DT_RUN__DONE } dt_run__phase;


typedef struct dt_run_exec {
    int metric;             /* dt_metric */
    long max_batches;
    double hang_s, timeout_s;
    int gpu;
    char *workdir, *log, *cfgbase;
    char *eval_template;    /* NULL: no eval_command */
    char *values[DT_PH_COUNT];
    dt_proc *proc;          /* the command running now, NULL when none */
    int time_reps;          /* > 0: the final weights are timed after the metric (res.ms) */
    char *cfg;              /* the trial's cfg, which the timing loads */
    dt_lib_timer *timer;    /* DT_RUN__TIME: the timing child */
    dt_run__phase phase;
    double started;         /* dt_now() at start, for timeout_s */
    double wall_started;    /* dt_wall() at start, to tell this run's weights from older ones */
    long last_iter;         /* -1: no iteration line yet */
    double last_loss, last_avg, last_map, top1, topk;
    long metric_iter;       /* iteration of the last METRIC event: one per evaluation */
    char oom[160];          /* the line that said the GPU ran out of memory, "" when none */
    dt_run_result res;
} dt_run_exec;

static void dt_run__free(void *state);
static void dt_run__start_time(dt_run_exec *r);

/* Appends v to b as one shell word: as is when it holds only characters the shell
 * leaves alone, else in single quotes. An empty value adds nothing, so that an
 * optional argument such as {weights} simply disappears. */
static void dt_run__quote(dt_buf *b, const char *v)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-";
    if (v[strspn(v, safe)] == '\0') {
        dt_buf_add(b, v, strlen(v));
        return;
    }
    dt_buf_add(b, "'", 1);
    for (; *v; v++) {
        if (*v == '\'') dt_buf_add(b, "'\\''", 4);
        else dt_buf_add(b, v, 1);
    }
    dt_buf_add(b, "'", 1);
}

/* The template with every {placeholder} replaced by its (quoted) value; other
 * braces, such as the shell's ${HOME}, stay as they are. Caller frees. */
static char *dt_run__fill(const dt_run_exec *r, const char *tmpl)
{
    dt_buf b = { 0 };
    dt_buf_add(&b, "", 0);
    for (const char *s = tmpl; *s;) {
        int done = 0;
        for (int i = 0; i < DT_PH_COUNT && *s == '{' && !done; i++) {
            size_t n = strlen(dt_placeholder_names[i]);
            if (strncmp(s + 1, dt_placeholder_names[i], n) == 0 && s[1 + n] == '}') {
                dt_run__quote(&b, r->values[i] ? r->values[i] : "");
                s += n + 2;
                done = 1;
            }
        }
        if (!done) dt_buf_add(&b, s++, 1);
    }
    return b.p;
}

/* Starts one command of this run (training or evaluation) under dt_exec.
 * CUDA_VISIBLE_DEVICES names the trial's GPU unless the command places it itself
 * with {gpu}: with both, "-i {gpu}" would name a device the program cannot see. */
static int dt_run__launch(dt_run_exec *r, const char *tmpl, dt_err *err)
{
    char *cmd = dt_run__fill(r, tmpl);
    char cuda[64];
    char *env[2] = { NULL, NULL };
    if (r->gpu >= 0 && !strstr(tmpl, "{gpu}")) {
        snprintf(cuda, sizeof cuda, "CUDA_VISIBLE_DEVICES=%d", r->gpu);
        env[0] = cuda;
    }
    int rc = dt_proc_start(&r->proc, cmd, r->workdir, env, r->log, err);
    free(cmd);
    return rc;
}

/* Ends the run as a failure with reason (printf-style). Whichever way a program that
 * said the GPU ran out of memory then ended (an abort, an exit, a hang), that is the
 * reason: the scheduler retries such a trial with fewer trials on the GPU. */
static void dt_run__fail(dt_run_exec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dt_run__fail(dt_run_exec *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->res.reason, sizeof r->res.reason, fmt, ap);
    va_end(ap);
    if (r->oom[0]) snprintf(r->res.reason, sizeof r->res.reason, "out of GPU memory: %s", r->oom);
    r->res.oom = r->oom[0] != '\0';
    r->res.ok = 0;
    r->phase = DT_RUN__DONE;
}

/* Kills the current command (if any), keeps what it had already printed in the log,
 * and forgets it. */
static void dt_run__drop_proc(dt_run_exec *r, double grace_s)
{
    if (!r->proc) return;
    dt_proc_kill(r->proc, grace_s);
    const char *line;
    while (dt_proc_line(r->proc, &line) == 1) {}
    dt_proc_free(r->proc);
    r->proc = NULL;
}

/* The last line of the current command's output, for messages ("" when none). */
static void dt_run__last_line(const dt_run_exec *r, char *buf, size_t n)
{
    const char *tail = r->proc ? dt_proc_tail(r->proc) : "";
    const char *nl = strrchr(tail, '\n');
    snprintf(buf, n, "%s", nl ? nl + 1 : tail);
}

/* Waits for a command whose output has ended; one that lingers without output past
 * DT_RUN_REAP_S is killed. */
static void dt_run__reap(dt_run_exec *r, int *status)
{
    double end = dt_now() + DT_RUN_REAP_S;
    while (!dt_proc_wait(r->proc, status, 0)) {
        if (dt_now() >= end) {
            dt_proc_kill(r->proc, DT_RUN_GRACE_S);
            dt_proc_wait(r->proc, status, 1);
            return;
        }
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* Looks for the weights training left: the newest of <backup>/<cfgbase>.weights,
 * _final.weights and _last.weights goes into res.final_weights. Returns 1 when an
 * end-of-training file (the first two; _last is only a checkpoint) was written by
 * this run. */
static int dt_run__find_weights(dt_run_exec *r)
{
    static const char *const suffixes[] = { ".weights", "_final.weights", "_last.weights" };
    struct timespec newest = { 0, 0 };
    int end_written = 0;
    r->res.final_weights[0] = '\0';
    for (int i = 0; i < 3; i++) {
        char *path = dt_xasprintf("%s/%s%s", r->values[DT_PH_BACKUP], r->cfgbase, suffixes[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (i < 2 && (double)st.st_mtime >= r->wall_started - 1) end_written = 1;
            if (!r->res.final_weights[0] || st.st_mtim.tv_sec > newest.tv_sec ||
                (st.st_mtim.tv_sec == newest.tv_sec && st.st_mtim.tv_nsec > newest.tv_nsec)) {
                newest = st.st_mtim;
                snprintf(r->res.final_weights, sizeof r->res.final_weights, "%s", path);
            }
        }
        free(path);
    }
    return end_written;
}

/* Times the final weights in a libdarknet child (the program that trained them may be
 * any fork; what pjreddie's libdarknet cannot load as they are is refused, never
 * timed). The run fails when there is nothing to time or the timing fails: a run asked
 * for its ms has none to give otherwise. */
static void dt_run__start_time(dt_run_exec *r)
{
    if (!r->res.final_weights[0]) {
        dt_run__fail(r, "cannot time the final weights: training left none in %s", r->values[DT_PH_BACKUP]);
        return;
    }
    dt_err err;
    if (dt_lib_timer_start(&r->timer, r->cfg, r->res.final_weights, r->gpu, r->time_reps, r->log, r->hang_s,
                           &err) != 0) {
        dt_run__fail(r, "cannot time the final weights: %s", err.msg);
        return;
    }
    r->phase = DT_RUN__TIME;
}

/* The timing child's news: the ms, or the reason it has none. Returns 0 while it times. */
static int dt_run__time_poll(dt_run_exec *r)
{
    char why[sizeof r->res.reason];
    double ms;
    int rc = dt_lib_timer_poll(r->timer, &ms, why, sizeof why);
    if (rc == 0) {
        if (r->timeout_s > 0 && dt_now() - r->started > r->timeout_s) {
            dt_lib_timer_free(r->timer);
            r->timer = NULL;
            dt_run__fail(r, "timed out after %g s (timing the final weights)", r->timeout_s);
            return 1;
        }
        return 0;
    }
    dt_lib_timer_free(r->timer);
    r->timer = NULL;
    if (rc < 0) {
        dt_run__fail(r, "cannot time the final weights: %s", why);
        return 1;
    }
    r->res.ms = ms;
    r->phase = DT_RUN__DONE;
    return 1;
}

/* Reads the final metric from what was seen; ends the run. how: "" after training
 * alone, else a note on how eval_command ended, for the message when it printed nothing. */
static void dt_run__finish(dt_run_exec *r, const char *how)
{
    double m = NAN;
    switch (r->metric) {
    case DT_METRIC_TOP1: m = r->top1; break;
    case DT_METRIC_TOP5: m = r->topk; break;
    case DT_METRIC_MAP50: m = r->last_map; break;
    default: m = r->last_avg; break;
    }
    r->res.metric = m;
    r->phase = DT_RUN__DONE;
    if (!isnan(m)) {
        r->res.ok = 1;
        r->res.reason[0] = '\0';
        if (r->time_reps > 0) dt_run__start_time(r);
        return;
    }
    if (r->metric == DT_METRIC_LOSS && r->last_iter < 0)
        dt_run__fail(r, "no metric: no iteration line was printed");
    else if (r->metric == DT_METRIC_LOSS) {
        dt_run__fail(r, "diverged: the last average loss is nan");
        r->res.diverged = !r->res.oom;   /* out of memory says so instead */
    } else if (r->eval_template)
        dt_run__fail(r, "no metric: eval_command printed no %s line (%s)",
                     r->metric == DT_METRIC_MAP50 ? "mAP" : "top-k", how);
    else if (r->metric == DT_METRIC_MAP50)
        dt_run__fail(r, "no metric: training printed no mAP; set eval_command");
    else
        dt_run__fail(r, "no metric: set eval_command");
}

/* Starts eval_command after a successful training, after a marker line in the log. */
static void dt_run__start_eval(dt_run_exec *r)
{
    free(r->values[DT_PH_FINAL]);
    r->values[DT_PH_FINAL] = dt_xstrdup(r->res.final_weights);
    char *cmd = dt_run__fill(r, r->eval_template);
    FILE *log = fopen(r->log, "a");
    if (log) {
        fprintf(log, "\n==== darktune: eval_command: %s ====\n", cmd);
        fclose(log);
    }
    free(cmd);
    r->last_map = r->top1 = r->topk = NAN;  /* the metric comes from the evaluation */
    dt_err err;
    if (dt_run__launch(r, r->eval_template, &err) != 0) {
        dt_run__fail(r, "cannot start eval_command: %s", err.msg);
        return;
    }
    r->phase = DT_RUN__EVAL;
}

/* Describes how a command ended into buf. Every command runs under sh, which reports
 * a child killed by signal N as exit status 128 + N: both read "killed by signal N".
 * Returns N, or 0 when the command exited. */
static int dt_run__describe(int status, char *buf, size_t n)
{
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) > 128 && WEXITSTATUS(status) < 128 + NSIG)
        sig = WEXITSTATUS(status) - 128;
    if (sig)
        snprintf(buf, n, "killed by signal %d (%s)", sig, strsignal(sig));
    else
        dt_proc_describe(status, buf, n);
    return sig;
}

/* The current command's output has ended: reap it and decide what comes next. */
static void dt_run__command_ended(dt_run_exec *r)
{
    int status;
    char desc[96], last[160], how[288];
    dt_run__reap(r, &status);
    int sig = dt_run__describe(status, desc, sizeof desc);
    dt_run__last_line(r, last, sizeof last);
    snprintf(how, sizeof how, "%s%s%s", desc, last[0] ? "; last output: " : "", last);
    dt_run__drop_proc(r, 0);

    if (r->phase == DT_RUN__EVAL) {
        dt_run__finish(r, how);
        return;
    }
    /* Every fork prints the number of updates done (pjreddie: the batch count after the
     * update), so the last line of a full run says max_batches. */
    int end_weights = dt_run__find_weights(r);
    if (r->last_iter < r->max_batches && !end_weights) {
        if (sig)
            dt_run__fail(r, "crashed: %s", how);
        else
            dt_run__fail(r, "exited early at iteration %ld: %s", r->last_iter < 0 ? 0 : r->last_iter, how);
        return;
    }
    /* Evaluating weights that are not there would read an empty {final_weights}. */
    if (r->eval_template && strstr(r->eval_template, "{final_weights}") && !r->res.final_weights[0]) {
        dt_run__fail(r, "no weights: training reached iteration %ld but left no weights in %s", r->last_iter,
                     r->values[DT_PH_BACKUP]);
        return;
    }
    if (r->eval_template)
        dt_run__start_eval(r);
    else
        dt_run__finish(r, "");
}

/* Turns one output line into an event; returns 1 when ev was filled. */
static int dt_run__on_line(dt_run_exec *r, const char *text, dt_event *ev)
{
    dt_line line;
    switch (dt_logparse_line(text, &line)) {
    case DT_LINE_ITER:
        if (r->phase != DT_RUN__TRAIN) return 0;
        /* An iteration that goes back, or past max_batches, is a garbled line (two
         * writers on one terminal, a fork's odd print), not data: said in the log. */
        if (line.iteration < r->last_iter || line.iteration > r->max_batches) {
            dt_append_note(r->log, "ignored a line whose iteration %ld %s: %s", line.iteration,
                             line.iteration > r->max_batches ? "is past max_batches" : "goes back", text);
            return 0;
        }
        r->last_iter = line.iteration;
        r->last_loss = line.loss;
        r->last_avg = line.avg_loss;
        memset(ev, 0, sizeof *ev);
        ev->kind = DT_EV_ITER;
        ev->iteration = line.iteration;
        ev->loss = line.loss;
        ev->avg_loss = line.avg_loss;
        ev->rate = line.rate;
        ev->seconds = line.seconds;
        ev->metric = NAN;
        return 1;
    case DT_LINE_MAP:
        r->last_map = line.map;
        /* AlexeyAB's evaluation prints two mAP lines (detector map's, then its own): one event */
        if (r->phase != DT_RUN__TRAIN || r->metric != DT_METRIC_MAP50 || r->metric_iter == r->last_iter)
            return 0;
        r->metric_iter = r->last_iter;
        memset(ev, 0, sizeof *ev);
        ev->kind = DT_EV_METRIC;
        ev->iteration = r->last_iter < 0 ? 0 : r->last_iter;
        ev->loss = ev->avg_loss = ev->rate = ev->seconds = NAN;
        ev->metric = line.map;
        return 1;
    case DT_LINE_TOP:
        r->top1 = line.top1;
        r->topk = line.topk;
        return 0;
    case DT_LINE_OOM:
        if (!r->oom[0]) dt_logparse_clean(text, r->oom, sizeof r->oom);
        return 0;
    default:
        return 0;
    }
}

/* Kills the command when it hung or the run is out of time; returns 1 when it did. */
static int dt_run__watch(dt_run_exec *r)
{
    if (r->timeout_s > 0 && dt_now() - r->started > r->timeout_s) {
        dt_run__drop_proc(r, DT_RUN_GRACE_S);
        dt_run__fail(r, "timed out after %g s", r->timeout_s);
        return 1;
    }
    if (r->hang_s > 0 && dt_proc_idle(r->proc) > r->hang_s) {
        dt_run__drop_proc(r, DT_RUN_GRACE_S);
        dt_run__fail(r, "hung: no output for %g s", r->hang_s);
        return 1;
    }
    /* Reap a leader that exited: what it left behind is killed and the pty ends. */
    dt_proc_wait(r->proc, NULL, 0);
    return 0;
}

/* dt_run_start for runner = exec. */
static int dt_run__start(void **out, void *shared, const dt_run_spec *spec, dt_err *err)
{
    *out = NULL;
    if (!spec->command || !spec->command[0]) return dt_errf(err, "runner 'exec' needs a command");
    if (spec->time_reps < 0) return dt_errf(err, "time_reps = %d: out of range", spec->time_reps);
    dt_run_exec *r = dt_xcalloc(1, sizeof *r);
    r->metric = spec->metric;
    r->max_batches = spec->max_batches;
    r->hang_s = spec->hang_s;
    r->timeout_s = spec->timeout_s;
    r->gpu = spec->gpu;
    r->workdir = dt_xstrdup(spec->workdir);
    r->log = dt_xstrdup(spec->log);
    r->eval_template = spec->eval_command && spec->eval_command[0] ? dt_xstrdup(spec->eval_command) : NULL;
    const char *base = dt_basename(spec->cfg);
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".cfg") == 0) n -= 4;
    r->cfgbase = dt_xasprintf("%.*s", (int)n, base);
    r->values[DT_PH_DATA] = dt_xstrdup(spec->data);
    r->values[DT_PH_CFG] = dt_xstrdup(spec->cfg);
    r->values[DT_PH_WEIGHTS] = dt_xstrdup(spec->weights ? spec->weights : "");
    r->values[DT_PH_GPU] = spec->gpu >= 0 ? dt_xasprintf("%d", spec->gpu) : dt_xstrdup("");
    r->values[DT_PH_BACKUP] = dt_xstrdup(spec->backup);
    r->values[DT_PH_FINAL] = dt_xstrdup("");
    r->last_iter = -1;
    r->metric_iter = -2;  /* no evaluation reported yet */
    r->last_loss = r->last_avg = r->last_map = r->top1 = r->topk = NAN;
    r->res.metric = r->res.final_loss = r->res.ms = NAN;
    r->time_reps = spec->time_reps;
    r->cfg = dt_xstrdup(spec->cfg);
    r->started = dt_now();
    r->wall_started = dt_wall();
    r->phase = DT_RUN__TRAIN;
    if (dt_run__launch(r, spec->command, err) != 0) {
        dt_run__free(r);
        return -1;
    }
    *out = r;
    return 0;
}

/* The running command's pty (the timing child's pipe while it times), -1 between
 * commands and after the end. */
static int dt_run__fd(const void *state)
{
    const dt_run_exec *r = state;
    if (r->timer) return dt_lib_timer_fd(r->timer);
    return r->proc ? dt_proc_fd(r->proc) : -1;
}

/* Reads output until it makes an event, runs out, or the run ends. */
static int dt_run__next(void *state, dt_event *ev)
{
    dt_run_exec *r = state;
    while (r->phase != DT_RUN__DONE) {
        if (r->phase == DT_RUN__TIME) {
            if (!dt_run__time_poll(r)) return 0;
            continue;
        }
        const char *line;
        int got = dt_proc_line(r->proc, &line);
        if (got == 1) {
            if (dt_run__on_line(r, line, ev)) return 1;
        } else if (got == 0) {
            if (!dt_run__watch(r)) return 0;
        } else {
            dt_run__command_ended(r);
        }
    }
    return -1;
}

/* Kills the current command at once; the run ends as "stopped". */
static void dt_run__stop(void *state)
{
    dt_run_exec *r = state;
    if (r->phase == DT_RUN__DONE) return;
    dt_run__drop_proc(r, 0);
    dt_lib_timer_free(r->timer);
    r->timer = NULL;
    r->oom[0] = '\0';  /* stopped by darktune, whatever it printed */
    dt_run__fail(r, "stopped");
}

/* Copies the result, with the iterations and loss seen so far. */
static void dt_run__outcome(const void *state, dt_run_result *res)
{
    const dt_run_exec *r = state;
    *res = r->res;
    res->iterations = r->last_iter < 0 ? 0 : r->last_iter;
    res->final_loss = r->last_avg;
}

/* Kills what still runs and releases the run. */
static void dt_run__free(void *state)
{
    dt_run_exec *r = state;
    if (!r) return;
    dt_run__drop_proc(r, DT_RUN_GRACE_S);
    dt_lib_timer_free(r->timer);
    free(r->cfg);
    for (int i = 0; i < DT_PH_COUNT; i++) free(r->values[i]);
    free(r->workdir);
    free(r->log);
    free(r->cfgbase);
    free(r->eval_template);
    free(r);
}

/* The running command's process group (training's, then eval_command's), 0 between
 * and after them. */
static long dt_run__group(const void *state)
{
    const dt_run_exec *r = state;
    return r->proc ? (long)dt_proc_pid(r->proc) : 0;
}

/* The running command's cgroup, NULL when it has none. */
static const char *dt_run__cgroup(const void *state)
{
    const dt_run_exec *r = state;
    return r->proc ? dt_proc_cgroup(r->proc) : NULL;
}

const dt_runner_ops dt_runner_exec_ops = {
    "exec", NULL, NULL, dt_run__start, dt_run__fd, dt_run__next, dt_run__stop, dt_run__outcome, dt_run__free,
    dt_run__group, dt_run__cgroup,
    NULL,   /* its supervisor would take a stopped program for a hung one: the sweep refuses wait */
};
