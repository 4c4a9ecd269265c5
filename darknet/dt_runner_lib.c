/* dt_runner_lib: dt_runner for `runner = libdarknet`: the trial trains in a forked
 * child with libdarknet's own functions (dt_train), on images decoded once.
 *
 * The study's dt_runner_ctx holds the lists, classes and top the tuner read from
 * the .data (this runner never reads a trial's .data), the labels read once, and
 * each image list, which the parent decodes the first time a trial needs it: every
 * later trial's fork shares those pixels copy-on-write and starts training at once.
 * The child reports fixed-size dt_train_rec records on a pipe; its stdout and stderr
 * are the trial's log.txt. The verdict comes from the records: a DONE record is a finished trial;
 * end of file without one is a crash or an early exit (Darknet calls exit() on bad
 * cfgs), told with the child's wait status and the last line of its log, in the
 * exec runner's words. This runner trains classifiers and detectors on the CPU
 * (the Debian libdarknet has no CUDA); it decides nothing else: the scheduler prunes.
 * The same child machinery times trained weights for the exec runner (dt_lib_timer,
 * dt_runner_impl.h): a child that runs dt_train_time instead of dt_train_run. */
#include "dt_runner_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dt_data.h"
#include "dt_exec.h"
#include "dt_logparse.h"
#include "dt_darknet.h"
#include "dt_train.h"

#define DT_LIB_REAP_S 5.0   /* how long a child that closed its pipe may take to exit */
#define DT_LIB_RECS 64      /* records read at once */
#define DT_LIB_MAX_REPS 100000  /* time_reps: far more than a median needs */

/* The context's share: the setup, the labels, and each list once decoded. The parent
 * decodes (before it forks) and frees; a child only reads, then leaves with _exit. */
typedef struct dt_lib__shared {
    const dt_runner_setup *setup;  /* the context's own copy */
    char **labels;                 /* classifier: the first `classes` labels (all with 0) */
    int nlabels;
    int classes;                   /* truth columns: the labels compared, or a detector's classes */
    int topk;                      /* classifier: top, at most nlabels; detector: 1 */
    dt_dataset *train, *valid;     /* NULL until a run needs them; valid is train when the lists are one */
} dt_lib__shared;

typedef struct dt_run_lib {
    int metric;             /* dt_metric */
    double hang_s, timeout_s;
    pid_t pid;              /* the child, 0 once reaped */
    int fd;                 /* the pipe's read end, -1 once closed */
    char *log, *weights;
    double started;         /* dt_now() at start */
    double last_record;     /* dt_now() of the last record (or of the start) */
    double paused;          /* dt_now() when dt_run_pause stopped the child, 0 when it runs */
    unsigned char buf[DT_LIB_RECS * sizeof(dt_train_rec)];
    size_t start, len;      /* unread bytes are buf[start, len) */
    int done_seen;          /* a DONE record arrived */
    dt_train_rec done;
    int over;               /* dt_run_next says -1 from now on */
    int timing;             /* a timing child (dt_lib_timer), not a training run */
    long last_iter;         /* -1: no ITER record yet */
    double last_avg;
    dt_run_result res;
} dt_run_lib;

static void dt_lib__free(void *state);

/* Ends the run as a failure with reason (printf-style). */
static void dt_lib__fail(dt_run_lib *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dt_lib__fail(dt_run_lib *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->res.reason, sizeof r->res.reason, fmt, ap);
    va_end(ap);
    r->res.ok = 0;
    r->over = 1;
}


/* 1 when a run of this metric and eval_interval validates: the valid list is decoded. */
static int dt_lib__needs_valid(int metric, long eval_interval)
{
    return metric != DT_METRIC_LOSS || eval_interval > 0;
}

/* The .data file as messages name it. */
static const char *dt_lib__data(const dt_runner_setup *setup)
{
    return setup->data ? setup->data : "the .data file";
}

/* The context's share: what the .data must hold for this task (the tuner's sweep
 * checks have said so already; a setup made by hand is checked here), and a
 * classifier's labels, read once. Darknet compares the first `classes` labels;
 * without classes, all of them. */
static int dt_lib__ctx_create(void **shared, const dt_runner_setup *setup, dt_err *err)
{
    *shared = NULL;
    const char *data = dt_lib__data(setup);
    int detector = setup->task == DT_TASK_DETECTOR;
    if (!setup->train) return dt_errf(err, "%s has no 'train' list", data);
    if (!detector && !setup->labels)
        return dt_errf(err, "%s has no 'labels' (runner libdarknet reads the images itself)", data);
    if (dt_lib__needs_valid(setup->metric, setup->eval_interval) && !setup->valid)
        return dt_errf(err, "%s has no 'valid' list", data);
    if (detector && (setup->classes < 1 || setup->classes > 100000))
        return dt_errf(err, "%s: classes = %ld: out of range", data, setup->classes);
    if (!detector && (setup->classes < 0 || setup->top < 1 || setup->top > 1000))
        return dt_errf(err, "%s: classes = %ld, top = %ld: out of range", data, setup->classes, setup->top);
    dt_lib__shared *sh = dt_xcalloc(1, sizeof *sh);
    sh->setup = setup;
    sh->classes = (int)setup->classes;
    sh->topk = 1;
    if (!detector) {
        if (dt_labels_read(setup->labels, (int)setup->classes, &sh->labels, &sh->nlabels, err) != 0) {
            free(sh);
            return -1;
        }
        sh->classes = sh->nlabels;
        sh->topk = setup->top > sh->nlabels ? sh->nlabels : (int)setup->top;
    }
    *shared = sh;
    return 0;
}

/* Frees the labels and the decoded lists (in the parent, once its runs are gone). */
static void dt_lib__ctx_free(void *shared)
{
    dt_lib__shared *sh = shared;
    if (sh->valid != sh->train) dt_dataset_free(sh->valid);
    dt_dataset_free(sh->train);
    dt_labels_free(sh->labels, sh->nlabels);
    free(sh);
}

/* Decodes a list into *slot unless it is decoded already, noting the time in the
 * trial's log. A list that fails stays undecoded: the next trial tries again, and
 * fails with the same message. */
static int dt_lib__decode(dt_lib__shared *sh, const char *list, dt_dataset **slot, const char *log, dt_err *err)
{
    if (*slot) return 0;
    const dt_runner_setup *su = sh->setup;
    int rc = su->task == DT_TASK_DETECTOR
                 ? dt_dataset_load_detection(slot, list, su->workdir, sh->classes, 0, err)
                 : dt_dataset_load(slot, list, su->workdir, sh->labels, sh->nlabels, 0, err);
    if (rc != 0) return -1;
    const dt_dataset *ds = *slot;
    dt_append_note(log, "decoded %d images of %s in %.2f s (%d threads), once for the study", dt_dataset_count(ds),
                 list, dt_dataset_seconds(ds), dt_dataset_threads(ds));
    if (su->task == DT_TASK_DETECTOR)
        dt_append_note(log, "%ld boxes in the label files of %s; %d images without a label file", dt_dataset_boxes(ds),
                     list, dt_dataset_unlabelled(ds));
    return 0;
}

/* What the child trains on: the decoded lists (decoded now when this is the first
 * run to need them), classes and top. */
static int dt_lib__prepare(dt_lib__shared *sh, const dt_run_spec *spec, dt_train_spec *ts, dt_err *err)
{
    const dt_runner_setup *su = sh->setup;
    int need_valid = dt_lib__needs_valid(spec->metric, spec->eval_interval);
    if (need_valid && !su->valid) return dt_errf(err, "%s has no 'valid' list", dt_lib__data(su));
    if (dt_lib__decode(sh, su->train, &sh->train, spec->log, err) != 0) return -1;
    /* One list named twice is decoded once. */
    if (need_valid && !sh->valid && strcmp(su->valid, su->train) == 0) sh->valid = sh->train;
    if (need_valid && dt_lib__decode(sh, su->valid, &sh->valid, spec->log, err) != 0) return -1;
    ts->train = sh->train;
    ts->valid = need_valid ? sh->valid : NULL;
    ts->classes = sh->classes;
    ts->topk = sh->topk;
    return 0;
}

/* In the child: the log as stdout and stderr, nothing on stdin, default signals,
 * its own process group (a Ctrl-C reaches darktune, which stops trials itself),
 * and death with the parent. Then trains and leaves with _exit: the parent's
 * atexit handlers and stdio buffers are not the child's. */
static void dt_lib__child(int (*body)(const dt_train_spec *), const dt_train_spec *ts, int log_fd, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGALRM};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) signal(sigs[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Lines reach the log as they are printed, and survive a SIGKILL. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = body(ts);
    fflush(stdout);
    fflush(stderr);
    _exit(rc);
}

/* A run of r's fields, its child forked with body(ts) writing records on a pipe and
 * printing to log_fd (closed here). Frees r on failure. */
static int dt_lib__spawn(dt_run_lib *r, int (*body)(const dt_train_spec *), dt_train_spec *ts, int log_fd,
                         dt_err *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        dt_errf(err, "cannot make a pipe: %s", strerror(errno));
        close(log_fd);
        dt_lib__free(r);
        return -1;
    }
    ts->fd = p[1];
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        dt_lib__child(body, ts, log_fd, parent);
    }
    close(p[1]);
    close(log_fd);
    if (pid < 0) {
        dt_errf(err, "cannot fork: %s", strerror(errno));
        close(p[0]);
        dt_lib__free(r);
        return -1;
    }
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    r->pid = pid;
    r->fd = p[0];
    r->started = r->last_record = dt_now();
    return 0;
}

/* A run's state before its child starts: nothing seen, every number NAN. */
static dt_run_lib *dt_lib__new(const char *log, int metric, double hang_s, double timeout_s)
{
    dt_run_lib *r = dt_xcalloc(1, sizeof *r);
    r->log = dt_xstrdup(log);
    r->metric = metric;
    r->hang_s = hang_s;
    r->timeout_s = timeout_s;
    r->fd = -1;
    r->last_iter = -1;
    r->last_avg = NAN;
    r->res.metric = r->res.final_loss = r->res.ms = NAN;
    return r;
}

/* The device a child of this binary computes on: none but the CPU with the CPU libdarknet. */
static int dt_lib__gpu(int gpu)
{
    return strcmp(dt_train_build(), "CPU") == 0 ? -1 : gpu;
}

/* dt_run_start for runner = libdarknet. */
static int dt_lib__start(void **out, void *shared, const dt_run_spec *spec, dt_err *err)
{
    *out = NULL;
    if (spec->time_reps < 0 || spec->time_reps > DT_LIB_MAX_REPS)
        return dt_errf(err, "time_reps = %d: out of range (0 to %d)", spec->time_reps, DT_LIB_MAX_REPS);
    int log_fd = open(spec->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return dt_errf(err, "cannot open '%s': %s", spec->log, strerror(errno));
    dt_train_spec ts = {.cfg = spec->cfg, .weights = spec->weights, .task = spec->task, .metric = spec->metric,
                        .eval_interval = spec->eval_interval, .eval_images = spec->eval_images,
                        .seed = spec->seed, .stream = (uint64_t)spec->trial, .gpu = dt_lib__gpu(spec->gpu),
                        .time_reps = spec->time_reps};
    if (dt_lib__prepare(shared, spec, &ts, err) != 0) {
        close(log_fd);
        return -1;
    }
    if (spec->gpu >= 0 && ts.gpu < 0)
        dt_append_note(spec->log, "this darktune links the CPU libdarknet (make gpu builds darktune-cuda): this trial "
                                "trains on the CPU");
    const char *base = dt_basename(spec->cfg);
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".cfg") == 0) n -= 4;
    dt_run_lib *r = dt_lib__new(spec->log, spec->metric, spec->hang_s, spec->timeout_s);
    r->weights = dt_xasprintf("%s/%.*s.weights", spec->backup, (int)n, base);
    ts.weights_out = r->weights;
    if (dt_lib__spawn(r, dt_train_run, &ts, log_fd, err) != 0) return -1;
    *out = r;
    return 0;
}

/* The last non-empty line of the trial's log, for messages ("" when none), and the
 * line among the last ones that said the GPU ran out of memory ("" when none). */
static void dt_lib__last_line(const dt_run_lib *r, char *buf, size_t n, char *oom, size_t noom)
{
    char tail[4096 + 1];
    size_t got = 0;
    buf[0] = oom[0] = '\0';
    FILE *f = fopen(r->log, "rb");
    if (!f) return;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        fseek(f, size > 4096 ? size - 4096 : 0, SEEK_SET);
        got = fread(tail, 1, 4096, f);
    }
    fclose(f);
    tail[got] = '\0';
    dt_logparse_find(tail, DT_LINE_OOM, oom, noom);
    while (got && (tail[got - 1] == '\n' || tail[got - 1] == '\r' || tail[got - 1] == ' ')) tail[--got] = '\0';
    const char *nl = strrchr(tail, '\n');
    snprintf(buf, n, "%s", nl ? nl + 1 : tail);
}

/* Closes the pipe and waits for the child; one that lingers past DT_LIB_REAP_S
 * (or any child when kill_now) is killed first. Returns its wait status. */
static int dt_lib__reap(dt_run_lib *r, int kill_now)
{
    int status = 0;
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
    if (!r->pid) return 0;
    if (kill_now) kill(r->pid, SIGKILL);
    double end = dt_now() + DT_LIB_REAP_S;
    for (;;) {
        pid_t w = waitpid(r->pid, &status, WNOHANG);
        if (w == r->pid || (w < 0 && errno != EINTR)) break;
        if (dt_now() >= end) {
            kill(r->pid, SIGKILL);
            waitpid(r->pid, &status, 0);
            break;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    r->pid = 0;
    return status;
}

/* The pipe ended: reap the child and give the verdict. */
static void dt_lib__ended(dt_run_lib *r)
{
    int status = dt_lib__reap(r, 0);
    struct stat st;
    if (r->weights && stat(r->weights, &st) == 0 && S_ISREG(st.st_mode))
        snprintf(r->res.final_weights, sizeof r->res.final_weights, "%s", r->weights);
    if (r->done_seen) {
        r->res.ok = 1;
        r->res.metric = r->done.metric;
        r->res.ms = r->done.ms;
        r->res.reason[0] = '\0';
        r->over = 1;
        return;
    }
    char desc[96], last[160], oom[160];
    dt_proc_describe(status, desc, sizeof desc);
    dt_lib__last_line(r, last, sizeof last, oom, sizeof oom);
    const char *sep = last[0] ? "; last output: " : "";
    if (oom[0]) {
        /* libdarknet's CUDA code aborts or exits on a failed allocation: the child's
         * log says why, and the scheduler retries such a trial with fewer per GPU. */
        dt_lib__fail(r, "out of GPU memory: %s", oom);
        r->res.oom = 1;
    } else if (WIFSIGNALED(status))
        dt_lib__fail(r, "crashed: %s%s%s", desc, sep, last);
    else if (r->timing)
        dt_lib__fail(r, "%s%s%s", desc, sep, last);
    else
        dt_lib__fail(r, "exited early at iteration %ld: %s%s%s", r->last_iter < 0 ? 0 : r->last_iter, desc, sep,
                     last);
}

/* Turns one record into an event; returns 1 when ev was filled. */
static int dt_lib__on_record(dt_run_lib *r, const dt_train_rec *rec, dt_event *ev)
{
    memset(ev, 0, sizeof *ev);
    switch (rec->kind) {
    case DT_REC_ITER:
        r->last_iter = (long)rec->iteration;
        r->last_avg = rec->avg;
        ev->kind = DT_EV_ITER;
        ev->iteration = (long)rec->iteration;
        ev->loss = rec->loss;
        ev->avg_loss = rec->avg;
        ev->rate = rec->rate;
        ev->seconds = rec->seconds;
        ev->metric = NAN;
        return 1;
    case DT_REC_METRIC:
        ev->kind = DT_EV_METRIC;
        ev->iteration = (long)rec->iteration;
        ev->loss = ev->avg_loss = ev->rate = ev->seconds = NAN;
        ev->metric = rec->metric;
        return 1;
    case DT_REC_DONE:
        r->done_seen = 1;
        r->done = *rec;
        if (rec->iteration > r->last_iter) r->last_iter = (long)rec->iteration;
        if (!isnan(rec->avg)) r->last_avg = rec->avg;
        return 0;
    default:
        return 0;
    }
}

/* Kills the child when it hung or the run is out of time; returns 1 when it did. */
static int dt_lib__watch(dt_run_lib *r)
{
    if (r->timeout_s > 0 && dt_now() - r->started > r->timeout_s) {
        dt_lib__reap(r, 1);
        dt_lib__fail(r, "timed out after %g s", r->timeout_s);
        return 1;
    }
    if (r->hang_s > 0 && dt_now() - r->last_record > r->hang_s) {
        dt_lib__reap(r, 1);
        dt_lib__fail(r, "hung: no report for %g s", r->hang_s);
        return 1;
    }
    return 0;
}

/* The pipe's read end, -1 once the run is over. */
static int dt_lib__fd(const void *state)
{
    const dt_run_lib *r = state;
    return r->over ? -1 : r->fd;
}

/* Reads records until one makes an event, none is left, or the run ends. */
static int dt_lib__next(void *state, dt_event *ev)
{
    dt_run_lib *r = state;
    while (!r->over) {
        if (r->len - r->start >= sizeof(dt_train_rec)) {
            dt_train_rec rec;
            memcpy(&rec, r->buf + r->start, sizeof rec);
            r->start += sizeof rec;
            if (dt_lib__on_record(r, &rec, ev)) return 1;
            continue;
        }
        /* Keep a partial record (never seen: writes are atomic) at the front. */
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
        ssize_t got = read(r->fd, r->buf + r->len, sizeof r->buf - r->len);
        if (got > 0) {
            r->len += (size_t)got;
            r->last_record = dt_now();
        } else if (got == 0) {
            dt_lib__ended(r);
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (!dt_lib__watch(r)) return 0;
        } else {
            dt_lib__reap(r, 1);
            dt_lib__fail(r, "cannot read the trial's reports: %s", strerror(errno));
        }
    }
    return -1;
}

/* Kills the child at once (SIGKILL: a pruned trial stops within an iteration). */
static void dt_lib__stop(void *state)
{
    dt_run_lib *r = state;
    if (r->over) return;
    dt_lib__reap(r, 1);
    dt_lib__fail(r, "stopped");
}

/* SIGSTOP and SIGCONT: the child keeps all it trained while it waits. The time it
 * waited is taken off both limits: its timeout is for training, and no report came
 * because it was stopped. */
static void dt_lib__pause(void *state, int paused)
{
    dt_run_lib *r = state;
    if (!r->pid || r->over || paused == (r->paused > 0)) return;
    if (paused) {
        kill(r->pid, SIGSTOP);
        r->paused = dt_now();
        return;
    }
    double waited = dt_now() - r->paused;
    r->started += waited;
    r->last_record += waited;
    r->paused = 0;
    kill(r->pid, SIGCONT);
}

/* Copies the result, with the iterations and average loss seen so far. */
static void dt_lib__outcome(const void *state, dt_run_result *res)
{
    const dt_run_lib *r = state;
    *res = r->res;
    res->iterations = r->last_iter < 0 ? 0 : r->last_iter;
    res->final_loss = r->last_avg;
}

/* Kills a child that still runs and releases the run. */
static void dt_lib__free(void *state)
{
    dt_run_lib *r = state;
    if (!r) return;
    dt_lib__reap(r, 1);
    free(r->log);
    free(r->weights);
    free(r);
}

const dt_runner_ops dt_runner_lib_ops = {
    "libdarknet", dt_lib__ctx_create, dt_lib__ctx_free,
    dt_lib__start, dt_lib__fd, dt_lib__next, dt_lib__stop, dt_lib__outcome, dt_lib__free,
    NULL, NULL,   /* the child dies with its parent (PR_SET_PDEATHSIG) */
    dt_lib__pause,
};

/* A timer is a run whose child times instead of training (dt_train_time): the same
 * pipe, records, hang watch and verdict. */
struct dt_lib_timer {
    dt_run_lib *run;
};

int dt_lib_timer_start(dt_lib_timer **out, const char *cfg, const char *weights, int gpu, int reps, const char *log,
                       double hang_s, dt_err *err)
{
    *out = NULL;
    if (reps <= 0 || reps > DT_LIB_MAX_REPS)
        return dt_errf(err, "time_reps = %d: out of range (1 to %d)", reps, DT_LIB_MAX_REPS);
    int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return dt_errf(err, "cannot open '%s': %s", log, strerror(errno));
    dt_train_spec ts = {.cfg = cfg, .weights = weights, .gpu = dt_lib__gpu(gpu), .time_reps = reps};
    if (gpu >= 0 && ts.gpu < 0)
        dt_append_note(log, "this darktune links the CPU libdarknet (make gpu builds darktune-cuda): the final "
                            "weights are timed on the CPU");
    dt_append_note(log, "timing %s with %s in libdarknet (%d predictions of one image)", cfg, weights, reps);
    dt_run_lib *r = dt_lib__new(log, DT_METRIC_LOSS, hang_s, 0);
    r->timing = 1;
    if (dt_lib__spawn(r, dt_train_time, &ts, log_fd, err) != 0) return -1;
    dt_lib_timer *t = dt_xcalloc(1, sizeof *t);
    t->run = r;
    *out = t;
    return 0;
}

int dt_lib_timer_fd(const dt_lib_timer *t)
{
    return dt_lib__fd(t->run);
}

int dt_lib_timer_poll(dt_lib_timer *t, double *ms, char *why, size_t n)
{
    dt_event ev;
    while (dt_lib__next(t->run, &ev) == 1) {}
    if (!t->run->over) return 0;
    if (t->run->res.ok && t->run->res.ms > 0) {
        *ms = t->run->res.ms;
        return 1;
    }
    snprintf(why, n, "%s", t->run->res.ok ? "the timing child sent no time" : t->run->res.reason);
    return -1;
}

void dt_lib_timer_free(dt_lib_timer *t)
{
    if (!t) return;
    dt_lib__free(t->run);
    free(t);
}
