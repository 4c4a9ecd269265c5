/* dt_runner_lib: dt_runner for `runner = libdarknet`: the trial trains in a forked
 * child with libdarknet's own functions (dt_train), on images decoded once.
 *
 * The parent decodes each image list the first time a trial needs it and keeps it
 * in a table for the life of the process (the study): every later trial's fork
 * shares those pixels copy-on-write and starts training at once. The child reports
 * fixed-size dt_train_rec records on a pipe; its stdout and stderr are the trial's
 * log.txt. The verdict comes from the records: a DONE record is a finished trial;
 * end of file without one is a crash or an early exit (Darknet calls exit() on bad
 * cfgs), told with the child's wait status and the last line of its log, in the
 * exec runner's words. This runner trains classifiers and detectors on the CPU
 * (the Debian libdarknet has no CUDA); it decides nothing else: the scheduler prunes. */
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

#include "dt_cfg.h"
#include "dt_data.h"
#include "dt_exec.h"
#include "dt_logparse.h"
#include "dt_darknet.h"
#include "dt_train.h"

#define DT_LIB_REAP_S 5.0   /* how long a child that closed its pipe may take to exit */
#define DT_LIB_RECS 64      /* records read at once */

/* Datasets decoded in this process, by (list, labels, classes) or, for detection
 * lists, (list, classes): decoded on the first
 * trial that needs them, shared by every later fork, never freed (they live as long
 * as the study). */
typedef struct dt_lib__cached {
    char *key;
    dt_dataset *ds;
} dt_lib__cached;
static dt_lib__cached *dt_lib__cache;
static int dt_lib__ncache, dt_lib__cache_cap;

typedef struct dt_run_lib {
    int metric;             /* dt_metric */
    double hang_s, timeout_s;
    pid_t pid;              /* the child, 0 once reaped */
    int fd;                 /* the pipe's read end, -1 once closed */
    char *log, *weights;
    double started;         /* dt_now() at start */
    double last_record;     /* dt_now() of the last record (or of the start) */
    unsigned char buf[DT_LIB_RECS * sizeof(dt_train_rec)];
    size_t start, len;      /* unread bytes are buf[start, len) */
    int done_seen;          /* a DONE record arrived */
    dt_train_rec done;
    int over;               /* dt_run_next says -1 from now on */
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

/* Appends a note line to the trial's log (best effort: a log that cannot be
 * written costs the note, not the trial). */
static void dt_lib__note(const char *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dt_lib__note(const char *log, const char *fmt, ...)
{
    FILE *f = fopen(log, "a");
    if (!f) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("darktune: ", f);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
    fclose(f);
}

/* The decoded list, from the table or decoded now (noting the time in the log).
 * labels_path NULL: a detection list, its boxes from its label files, nlabels the classes. */
static int dt_lib__dataset(const char *list, const char *labels_path, char **labels, int nlabels,
                           const char *base, const char *log, const dt_dataset **out, dt_err *err)
{
    char *key = dt_xasprintf("%s\n%s\n%d", list, labels_path ? labels_path : "(detection)", nlabels);
    for (int i = 0; i < dt_lib__ncache; i++)
        if (strcmp(dt_lib__cache[i].key, key) == 0) {
            free(key);
            *out = dt_lib__cache[i].ds;
            return 0;
        }
    dt_dataset *ds;
    int rc = labels_path ? dt_dataset_load(&ds, list, base, labels, nlabels, 0, err)
                         : dt_dataset_load_detection(&ds, list, base, nlabels, 0, err);
    if (rc != 0) {
        free(key);
        return -1;
    }
    dt_lib__note(log, "decoded %d images of %s in %.2f s (%d threads), once for the study",
                 dt_dataset_count(ds), list, dt_dataset_seconds(ds), dt_dataset_threads(ds));
    if (!labels_path)
        dt_lib__note(log, "%ld boxes in the label files of %s; %d images without a label file", dt_dataset_boxes(ds),
                     list, dt_dataset_unlabelled(ds));
    if (dt_lib__ncache == dt_lib__cache_cap) {
        dt_lib__cache_cap = dt_lib__cache_cap ? 2 * dt_lib__cache_cap : 4;
        dt_lib__cache = dt_xrealloc(dt_lib__cache, sizeof *dt_lib__cache * (size_t)dt_lib__cache_cap);
    }
    dt_lib__cache[dt_lib__ncache++] = (dt_lib__cached){key, ds};
    *out = ds;
    return 0;
}

/* A whole-number key of the .data file, or def when it is absent. */
static int dt_lib__data_int(const dt_cfg *d, const char *path, const char *key, long def, long *out, dt_err *err)
{
    const char *v = dt_cfg_get(d, "", key, NULL);
    *out = def;
    if (v && dt_parse_long(v, out) != 0)
        return dt_errf(err, "%s: %s = '%s' is not a whole number", path, key, v);
    return 0;
}

/* A detector's lists: train and valid decoded with their label files' boxes;
 * classes (required, >= 1) bounds the label files' class column. */
static int dt_lib__prepare_detection(const dt_run_spec *spec, dt_train_spec *ts, dt_err *err)
{
    dt_cfg *d;
    if (dt_cfg_read(&d, spec->data, err) != 0) return -1;
    const char *train = dt_cfg_get(d, "", "train", NULL);
    const char *valid = dt_cfg_get(d, "", "valid", NULL);
    long classes = 0;
    int rc = 0, need_valid = spec->metric != DT_METRIC_LOSS || spec->eval_interval > 0;
    if (!train) rc = dt_errf(err, "%s has no 'train' list", spec->data);
    else if (need_valid && !valid) rc = dt_errf(err, "%s has no 'valid' list", spec->data);
    else if (!dt_cfg_get(d, "", "classes", NULL)) rc = dt_errf(err, "%s has no 'classes'", spec->data);
    if (rc == 0) rc = dt_lib__data_int(d, spec->data, "classes", 0, &classes, err);
    if (rc == 0 && (classes < 1 || classes > 100000))
        rc = dt_errf(err, "%s: classes = %ld: out of range", spec->data, classes);
    if (rc == 0) rc = dt_lib__dataset(train, NULL, NULL, (int)classes, spec->workdir, spec->log, &ts->train, err);
    if (rc == 0 && need_valid)
        rc = dt_lib__dataset(valid, NULL, NULL, (int)classes, spec->workdir, spec->log, &ts->valid, err);
    ts->classes = (int)classes;
    ts->topk = 1;
    dt_cfg_free(d);
    return rc;
}

/* What the child needs from the trial's .data (absolute paths, written by the
 * scheduler): the decoded lists, classes and top. */
static int dt_lib__prepare(const dt_run_spec *spec, dt_train_spec *ts, dt_err *err)
{
    if (spec->task == DT_TASK_DETECTOR) return dt_lib__prepare_detection(spec, ts, err);
    dt_cfg *d;
    if (dt_cfg_read(&d, spec->data, err) != 0) return -1;
    const char *train = dt_cfg_get(d, "", "train", NULL);
    const char *valid = dt_cfg_get(d, "", "valid", NULL);
    const char *labels_path = dt_cfg_get(d, "", "labels", NULL);
    long classes, top;
    char **labels = NULL;
    int nlabels = 0, rc = 0;
    int need_valid = spec->metric != DT_METRIC_LOSS || spec->eval_interval > 0;
    if (!train) rc = dt_errf(err, "%s has no 'train' list", spec->data);
    else if (!labels_path)
        rc = dt_errf(err, "%s has no 'labels' (runner libdarknet reads the images itself)", spec->data);
    else if (need_valid && !valid) rc = dt_errf(err, "%s has no 'valid' list", spec->data);
    if (rc == 0) rc = dt_lib__data_int(d, spec->data, "classes", 0, &classes, err);
    if (rc == 0) rc = dt_lib__data_int(d, spec->data, "top", 1, &top, err);
    if (rc == 0 && (classes < 0 || top < 1 || top > 1000))
        rc = dt_errf(err, "%s: classes = %ld, top = %ld: out of range", spec->data, classes, top);
    /* Darknet compares the first `classes` labels; without classes, all of them. */
    if (rc == 0) rc = dt_labels_read(labels_path, (int)classes, &labels, &nlabels, err);
    if (rc == 0) rc = dt_lib__dataset(train, labels_path, labels, nlabels, spec->workdir, spec->log, &ts->train, err);
    if (rc == 0 && need_valid)
        rc = dt_lib__dataset(valid, labels_path, labels, nlabels, spec->workdir, spec->log, &ts->valid, err);
    if (rc == 0 && top > nlabels) top = nlabels;
    ts->classes = nlabels;
    ts->topk = (int)top;
    dt_labels_free(labels, nlabels);
    dt_cfg_free(d);
    return rc;
}

/* In the child: the log as stdout and stderr, nothing on stdin, default signals,
 * its own process group (a Ctrl-C reaches darktune, which stops trials itself),
 * and death with the parent. Then trains and leaves with _exit: the parent's
 * atexit handlers and stdio buffers are not the child's. */
static void dt_lib__child(const dt_train_spec *ts, int log_fd, pid_t parent)
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
    int rc = dt_train_run(ts);
    fflush(stdout);
    fflush(stderr);
    _exit(rc);
}

/* dt_run_start for runner = libdarknet. */
static int dt_lib__start(void **out, const dt_run_spec *spec, dt_err *err)
{
    *out = NULL;
    int log_fd = open(spec->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return dt_errf(err, "cannot open '%s': %s", spec->log, strerror(errno));
    dt_train_spec ts = {.cfg = spec->cfg, .weights = spec->weights, .task = spec->task, .metric = spec->metric,
                        .eval_interval = spec->eval_interval, .eval_images = spec->eval_images,
                        .seed = spec->seed, .stream = (uint64_t)spec->trial,
                        .gpu = strcmp(dt_train_build(), "CPU") == 0 ? -1 : spec->gpu};
    if (dt_lib__prepare(spec, &ts, err) != 0) {
        close(log_fd);
        return -1;
    }
    if (spec->gpu >= 0 && ts.gpu < 0)
        dt_lib__note(spec->log, "this darktune links the CPU libdarknet (make gpu builds darktune-cuda): this trial "
                                "trains on the CPU");
    const char *base = dt_basename(spec->cfg);
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".cfg") == 0) n -= 4;
    dt_run_lib *r = dt_xcalloc(1, sizeof *r);
    r->weights = dt_xasprintf("%s/%.*s.weights", spec->backup, (int)n, base);
    r->log = dt_xstrdup(spec->log);
    r->metric = spec->metric;
    r->hang_s = spec->hang_s;
    r->timeout_s = spec->timeout_s;
    r->fd = -1;
    r->last_iter = -1;
    r->last_avg = NAN;
    r->res.metric = r->res.final_loss = NAN;
    ts.weights_out = r->weights;

    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        dt_errf(err, "cannot make a pipe: %s", strerror(errno));
        close(log_fd);
        dt_lib__free(r);
        return -1;
    }
    ts.fd = p[1];
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        dt_lib__child(&ts, log_fd, parent);
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
    if (stat(r->weights, &st) == 0 && S_ISREG(st.st_mode))
        snprintf(r->res.final_weights, sizeof r->res.final_weights, "%s", r->weights);
    if (r->done_seen) {
        r->res.ok = 1;
        r->res.metric = r->done.metric;
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
    "libdarknet", dt_lib__start, dt_lib__fd, dt_lib__next, dt_lib__stop, dt_lib__outcome, dt_lib__free,
};
