/* test_exec: dt_exec (processes under a pty) and the exec runner, driven with the
 * fake Darknet scripts in tests/fake/. Run from the repository root; writes under tests/tmp/. */
#include "dt_exec.h"
#include "dt_runner.h"
#include "dt_sweep.h"
#include "dt_test.h"
#include "dt_util.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TMP "tests/tmp/exec"

/* All output lines of p, joined by '\n', until end-of-file (or 20 s). Caller frees. */
static char *collect(dt_proc *p, int *count)
{
    dt_buf b = { 0 };
    dt_buf_add(&b, "", 0);
    *count = 0;
    double end = dt_now() + 20;
    while (dt_now() < end) {
        struct pollfd pfd = { dt_proc_fd(p), POLLIN, 0 };
        poll(&pfd, 1, 200);
        const char *line;
        int rc;
        while ((rc = dt_proc_line(p, &line)) == 1) {
            if ((*count)++) dt_buf_add(&b, "\n", 1);
            dt_buf_add(&b, line, strlen(line));
        }
        if (rc < 0) break;
    }
    return b.p;
}

/* Runs cmd to its end; returns its output lines and wait status. */
static char *run_cmd(const char *cmd, const char *cwd, char *const *env, const char *log, int *status)
{
    dt_proc *p;
    dt_err err;
    int n;
    if (dt_proc_start(&p, cmd, cwd, env, log, &err) != 0) {
        fprintf(stderr, "start failed: %s\n", err.msg);
        return dt_xstrdup("");
    }
    char *out = collect(p, &n);
    CHECK(dt_proc_wait(p, status, 1) == 1);
    dt_proc_free(p);
    return out;
}

/* 1 when pid is gone (or only a zombie waiting for a reaper that is not us). */
static int process_gone(pid_t pid)
{
    if (kill(pid, 0) != 0) return 1;
    char path[64], *stat;
    size_t len;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (dt_read_file(path, &stat, &len, NULL) != 0) return 1;
    char *paren = strrchr(stat, ')');
    int zombie = paren && paren[1] == ' ' && paren[2] == 'Z';
    free(stat);
    return zombie;
}

/* Waits up to 2 s for pid to go. */
static int wait_gone(pid_t pid)
{
    for (int i = 0; i < 200; i++) {
        if (process_gone(pid)) return 1;
        usleep(10000);
    }
    return 0;
}

/* The pid a fake script wrote into path (waiting up to 2 s for it), 0 when none. */
static pid_t read_pid(const char *path)
{
    long pid = 0;
    for (int i = 0; i < 200 && pid <= 0; i++) {
        char *text;
        size_t len;
        if (dt_read_file(path, &text, &len, NULL) == 0) {
            dt_trim(text);
            if (dt_parse_long(text, &pid) != 0) pid = 0;
            free(text);
        }
        if (pid <= 0) usleep(10000);
    }
    return (pid_t)pid;
}

static void test_lines_and_log(void)
{
    const char *log = TMP "/lines.log";
    unlink(log);
    int status;
    char *out = run_cmd("printf 'one\\ntwo\\r\\nthree\\athree-b\\n'; printf '\\033[31mred\\033[0m\\nfrag'",
                        NULL, NULL, log, &status);
    CHECK_STR(out, "one\ntwo\nthree\nthree-b\n\033[31mred\033[0m\nfrag");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(out);

    /* raw pty: the log holds the bytes exactly as printed, no "\r" added before "\n" */
    char *text;
    size_t len;
    CHECK(dt_read_file(log, &text, &len, NULL) == 0);
    if (text) CHECK_STR(text, "one\ntwo\r\nthree\athree-b\n\033[31mred\033[0m\nfrag");
    free(text);
}

static void test_environment(void)
{
    int status;
    char *env[] = { "DT_TEST_VAR=hello world", "HOME=/nowhere", NULL };
    char *out = run_cmd("echo \"$DT_TEST_VAR|$HOME\"; pwd; read x && echo got || echo eof; [ -t 1 ] && echo tty",
                        TMP, env, NULL, &status);
    char *cwd = dt_abspath(TMP);
    char *want = dt_xasprintf("hello world|/nowhere\n%s\neof\ntty", cwd);
    CHECK_STR(out, want);
    free(out), free(want), free(cwd);

    dt_proc *p;
    dt_err err;
    CHECK(dt_proc_start(&p, "true", NULL, NULL, "/nonexistent/dir/log.txt", &err) == -1);
    CHECK(strstr(err.msg, "cannot open '/nonexistent/dir/log.txt'") != NULL);
    CHECK(dt_proc_start(&p, "true", "/nonexistent/dir", NULL, NULL, &err) == -1);
    CHECK_STR(err.msg, "cannot change to folder '/nonexistent/dir': No such file or directory");
}

static void test_large_output(void)
{
    dt_proc *p;
    dt_err err;
    CHECK(dt_proc_start(&p, "i=0; while [ $i -lt 5000 ]; do echo line $i; i=$((i+1)); done",
                        NULL, NULL, NULL, &err) == 0);
    int n, in_order = 1;
    char *out = collect(p, &n);
    CHECK(n == 5000);
    char *s = out;
    for (int i = 0; i < n && in_order; i++) {
        char want[32];
        int w = snprintf(want, sizeof want, "line %d", i);
        in_order = strncmp(s, want, (size_t)w) == 0 && (s[w] == '\n' || s[w] == '\0');
        s = strchr(s, '\n');
        s = s ? s + 1 : out + strlen(out);
    }
    CHECK(in_order);
    const char *tail = dt_proc_tail(p);
    CHECK(strlen(tail) <= 2048 && strlen(tail) > 1900);
    CHECK(strncmp(tail, "line ", 5) == 0);  /* whole lines only */
    size_t tl = strlen(tail);
    CHECK(tl >= 9 && strcmp(tail + tl - 9, "line 4999") == 0);
    free(out);
    dt_proc_free(p);
}

static void test_status_and_kill(void)
{
    char buf[128];
    int status;
    free(run_cmd("exit 3", NULL, NULL, NULL, &status));
    dt_proc_describe(status, buf, sizeof buf);
    CHECK_STR(buf, "exit status 3");
    free(run_cmd("kill -ABRT $$", NULL, NULL, NULL, &status));
    dt_proc_describe(status, buf, sizeof buf);
    CHECK_STR(buf, "killed by signal 6 (Aborted)");

    /* dt_proc_kill ends the whole group, the background child included */
    const char *pidfile = TMP "/kill.pid";
    unlink(pidfile);
    dt_proc *p;
    dt_err err;
    char *cmd = dt_xasprintf("sleep 30 & echo $! > %s; echo started; sleep 30", pidfile);
    CHECK(dt_proc_start(&p, cmd, NULL, NULL, NULL, &err) == 0);
    free(cmd);
    pid_t child = read_pid(pidfile);
    CHECK(child > 0);
    usleep(300000);
    CHECK(dt_proc_idle(p) >= 0.2);
    double t0 = dt_now();
    dt_proc_kill(p, 1.0);
    CHECK(dt_now() - t0 < 1.5);
    CHECK(dt_proc_wait(p, &status, 0) == 1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CHECK(child > 0 && wait_gone(child));
    dt_proc_kill(p, 1.0);  /* twice is harmless */
    dt_proc_free(p);

    /* dt_proc_kill_all reaches a group that is still running */
    CHECK(dt_proc_start(&p, "sleep 30", NULL, NULL, NULL, &err) == 0);
    dt_proc_kill_all();
    CHECK(dt_proc_wait(p, &status, 1) == 1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    dt_proc_free(p);
}

/* 1 when the cgroup folder cg lists pid among its processes. */
static int cgroup_holds(const char *cg, pid_t pid)
{
    char *path = dt_xasprintf("%s/cgroup.procs", cg), *text = NULL;
    size_t len;
    int found = 0;
    if (dt_read_file(path, &text, &len, NULL) == 0)
        for (char *s = text, *e; *s && !found; s = e) {
            long x = strtol(s, &e, 10);
            if (e == s) break;
            found = x == (long)pid;
        }
    free(text);
    free(path);
    return found;
}

/* How many cgroups named darktune.<parent>.* are under the folder own. */
static int cgroups_of(const char *own, pid_t parent)
{
    char *prefix = dt_xasprintf("darktune.%ld.", (long)parent);
    DIR *d = opendir(own);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d) closedir(d);
    free(prefix);
    return n;
}

/* The supervisor: a daemon the command starts with setsid (a session and group of its
 * own) goes when the command ends, when it is killed, and when darktune dies without
 * a word; the command's cgroup, where the machine gives one, holds it meanwhile and is
 * gone after. DARKTUNE_CGROUP=none: no cgroup, the daemon still goes. */
static void test_supervisor(void)
{
    const char *pidfile = TMP "/daemon.pid", *go = TMP "/go";
    char own[512];
    int cgroups = dt_cgroup_own(own, sizeof own) == 0;
    if (!cgroups) SKIP("no writable cgroup v2 here: the supervisor's cgroup is not checked");
    for (int round = 0; round < 4; round++) {
        int kill_it = round % 2, none = round >= 2;
        if (none) setenv("DARKTUNE_CGROUP", "none", 1);
        unlink(pidfile);
        unlink(go);
        /* The command waits for the checks below (the go file) before it ends. */
        char *cmd = dt_xasprintf("setsid sh -c 'echo $$ > %s; exec sleep 30' < /dev/null > /dev/null 2>&1 & "
                                 "while [ ! -e %s ]; do sleep 0.01; done; echo started%s", pidfile, go,
                                 kill_it ? "; sleep 30" : "");
        dt_proc *p;
        dt_err err;
        CHECK(dt_proc_start(&p, cmd, NULL, NULL, NULL, &err) == 0);
        free(cmd);
        pid_t daemon = read_pid(pidfile);
        CHECK(daemon > 0 && getsid(daemon) == daemon && getpgid(daemon) != dt_proc_pid(p));
        char *cg = dt_xstrdup(dt_proc_cgroup(p));
        if (cgroups && !none) {
            CHECK(cg && dt_dir_exists(cg) && cgroup_holds(cg, dt_proc_pid(p)) && cgroup_holds(cg, daemon));
            CHECK(cg && strncmp(cg, own, strlen(own)) == 0);
        } else {
            CHECK(cg == NULL);
        }
        dt_err gerr;
        CHECK(dt_write_file(go, "", 0, &gerr) == 0);
        int status = -1;
        if (kill_it) {
            dt_proc_kill(p, 1.0);
            CHECK(dt_proc_wait(p, &status, 0) == 1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
        } else {
            int n;
            char *out = collect(p, &n);
            CHECK_STR(out, "started");
            free(out);
            CHECK(dt_proc_wait(p, &status, 1) == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        /* Reaped by the supervisor before it exited: gone already, not just dying. */
        CHECK(daemon > 0 && process_gone(daemon));
        CHECK(!cg || !dt_dir_exists(cg));
        free(cg);
        dt_proc_free(p);
        if (none) unsetenv("DARKTUNE_CGROUP");
    }

    /* darktune dies without ending anything (as by SIGKILL): its supervisor hears it. */
    unlink(pidfile);
    const char *cmdfile = TMP "/command.pid";
    unlink(cmdfile);
    pid_t darktune = fork();
    if (darktune == 0) {
        dt_proc *p;
        char *cmd = dt_xasprintf("echo $$ > %s; setsid sh -c 'echo $$ > %s; exec sleep 30' < /dev/null > /dev/null "
                                 "2>&1 & sleep 30", cmdfile, pidfile);
        _exit(dt_proc_start(&p, cmd, NULL, NULL, NULL, NULL) == 0 && read_pid(pidfile) > 0 ? 0 : 1);
    }
    int status;
    CHECK(darktune > 0 && waitpid(darktune, &status, 0) == darktune && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0);
    pid_t daemon = read_pid(pidfile), command = read_pid(cmdfile);
    CHECK(daemon > 0 && wait_gone(daemon));
    CHECK(command > 0 && wait_gone(command));
    if (cgroups) {
        for (int i = 0; i < 200 && cgroups_of(own, darktune) > 0; i++) usleep(10000);
        CHECK(cgroups_of(own, darktune) == 0);
    }
    if (daemon > 0) kill(daemon, SIGKILL);
    if (command > 0) kill(command, SIGKILL);
    /* None of this process's trial cgroups is left either. */
    if (cgroups) CHECK(cgroups_of(own, getpid()) == 0);
}

/* ---- the exec runner ---- */

typedef struct outcome {
    dt_run_result res;
    int iters, metrics, nan_losses;
    long last_iteration;
    double first_avg;
    long metric_iter[8];
    double metric[8];
    double seconds;     /* wall time of the run */
    int stop_after;     /* > 0: dt_run_stop after this many ITER events */
    int next_after_end; /* what dt_run_next says once it has said -1 */
} outcome;

/* A spec for trial folder TMP/<name> (created, emptied of weights). Strings live in statics. */
static dt_run_spec make_spec(const char *name, const char *command, const char *eval, int metric, long max_batches)
{
    static char *dir, *cfg, *data, *backup, *log, *workdir;
    free(dir), free(cfg), free(data), free(backup), free(log), free(workdir);
    char *rel = dt_xasprintf(TMP "/%s", name);
    dir = dt_abspath(rel);
    free(rel);
    cfg = dt_xasprintf("%s/trial.cfg", dir);
    data = dt_xasprintf("%s/trial.data", dir);
    backup = dt_xasprintf("%s/backup", dir);
    log = dt_xasprintf("%s/log.txt", dir);
    workdir = dt_abspath(".");
    dt_mkdirs(backup, NULL);
    const char *files[] = { "trial.weights", "trial_final.weights", "trial_last.weights" };
    for (int i = 0; i < 3; i++) {
        char *w = dt_xasprintf("%s/%s", backup, files[i]);
        unlink(w);
        free(w);
    }
    unlink(log);
    dt_run_spec spec = {
        .runner = DT_RUNNER_EXEC, .task = DT_TASK_CLASSIFIER, .metric = metric, .workdir = workdir,
        .trial_dir = dir, .cfg = cfg, .data = data, .backup = backup, .weights = NULL, .log = log,
        .gpu = -1, .command = command, .eval_command = eval, .max_batches = max_batches,
        .hang_s = 10, .timeout_s = 0,
    };
    return spec;
}

/* Runs spec to its end the way the scheduler does (poll, then next until -1);
 * stop_after > 0 calls dt_run_stop after that many iterations. */
static outcome run_spec(const dt_run_spec *spec, int stop_after)
{
    outcome out, *o = &out;
    memset(o, 0, sizeof *o);
    o->stop_after = stop_after;
    dt_run *r;
    dt_err err;
    double t0 = dt_now();
    if (dt_run_start(&r, spec, &err) != 0) {
        fprintf(stderr, "dt_run_start: %s\n", err.msg);
        CHECK(0);
        return out;
    }
    dt_event ev;
    int rc;
    o->first_avg = NAN;
    while (dt_now() - t0 < 30) {
        int fd = dt_run_fd(r);
        if (fd >= 0) {
            struct pollfd pfd = { fd, POLLIN, 0 };
            poll(&pfd, 1, 100);
        }
        while ((rc = dt_run_next(r, &ev)) == 1) {
            if (ev.kind == DT_EV_ITER) {
                if (o->iters++ == 0) o->first_avg = ev.avg_loss;
                o->last_iteration = ev.iteration;
                if (isnan(ev.loss)) o->nan_losses++;
                if (o->stop_after && o->iters == o->stop_after) dt_run_stop(r);
            } else if (ev.kind == DT_EV_METRIC && o->metrics < 8) {
                o->metric_iter[o->metrics] = ev.iteration;
                o->metric[o->metrics++] = ev.metric;
            }
        }
        if (rc < 0) break;
    }
    o->next_after_end = dt_run_next(r, &ev);
    o->seconds = dt_now() - t0;
    dt_run_outcome(r, &o->res);
    CHECK(dt_run_fd(r) == -1);
    dt_run_free(r);
    return out;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int file_contains(const char *path, const char *needle)
{
    char *text;
    size_t len;
    if (dt_read_file(path, &text, &len, NULL) != 0) return 0;
    int found = strstr(text, needle) != NULL;
    free(text);
    return found;
}

static void test_run_classifier_with_eval(void)
{
    dt_run_spec spec = make_spec("classifier", "tests/fake/train_classifier.sh {cfg} {backup}",
                                 "tests/fake/eval_classifier.sh {data} {cfg} {final_weights}",
                                 DT_METRIC_TOP1, 20);
    outcome o = run_spec(&spec, 0);
    CHECK(o.res.ok == 1);  /* SIGABRT after saving weights is still a success */
    CHECK_NEAR(o.res.metric, 0.823, 1e-9);
    CHECK(o.iters == 20 && o.last_iteration == 20);
    CHECK(o.res.iterations == 20);
    CHECK_NEAR(o.first_avg, 1.49, 1e-9);
    CHECK_NEAR(o.res.final_loss, 1.30, 1e-9);
    CHECK(ends_with(o.res.final_weights, "/backup/trial.weights"));
    CHECK(o.next_after_end == -1);
    CHECK(file_contains(spec.log, "20, 0.020: 1.400000, 1.300000 avg"));
    CHECK(file_contains(spec.log, "==== darktune: eval_command: tests/fake/eval_classifier.sh "));
    CHECK(file_contains(spec.log, "100: top 1: 0.823000, top 5: 0.990000"));

    spec = make_spec("classifier5", "tests/fake/train_classifier.sh {cfg} {backup} 3",
                     "tests/fake/eval_classifier.sh", DT_METRIC_TOP5, 3);
    o = run_spec(&spec, 0);
    CHECK(o.res.ok == 1);
    CHECK_NEAR(o.res.metric, 0.99, 1e-9);
}

static void test_run_without_eval(void)
{
    dt_run_spec spec = make_spec("noeval", "tests/fake/train_classifier.sh {cfg} {backup} 3", NULL,
                                 DT_METRIC_TOP1, 3);
    outcome o = run_spec(&spec, 0);
    CHECK(o.res.ok == 0);
    CHECK_STR(o.res.reason, "no metric: set eval_command");
    CHECK(ends_with(o.res.final_weights, "/trial.weights"));

    spec = make_spec("loss", "tests/fake/train_classifier.sh {cfg} {backup} 5", NULL, DT_METRIC_LOSS, 5);
    o = run_spec(&spec, 0);
    CHECK(o.res.ok == 1);
    CHECK_NEAR(o.res.metric, 1.45, 1e-9);

    /* a path with a space is quoted: the weights land in the right folder */
    spec = make_spec("with space", "tests/fake/train_classifier.sh {cfg} {backup} 2 {weights}", NULL,
                     DT_METRIC_LOSS, 2);
    o = run_spec(&spec, 0);
    CHECK(o.res.ok == 1);
    CHECK(strstr(o.res.final_weights, "/with space/backup/trial.weights") != NULL);
    CHECK(dt_file_exists(o.res.final_weights));
}

static void test_run_detector_map(void)
{
    dt_run_spec spec = make_spec("detector", "tests/fake/train_detector.sh {cfg} {backup}", NULL,
                                 DT_METRIC_MAP50, 4);
    outcome o = run_spec(&spec, 0);
    CHECK(o.iters == 4);
    CHECK(o.metrics == 2);  /* one per evaluation, though AlexeyAB prints each twice */
    CHECK(o.metric_iter[0] == 2 && o.metric_iter[1] == 4);
    CHECK_NEAR(o.metric[0], 0.4, 1e-9);
    CHECK_NEAR(o.metric[1], 0.8, 1e-9);
    CHECK(o.res.ok == 1);
    CHECK_NEAR(o.res.metric, 0.8, 1e-9);
    CHECK(ends_with(o.res.final_weights, "/trial_final.weights"));
}

/* A real AlexeyAB log (tests/golden/logparse/alexeyab-detector-map.log, `detector
 * train -map`, iterations 100-104): one evaluation at 100, printed as detector map's
 * line and as its own, then "Last accuracy" before each later iteration, repeating
 * it. One metric value, at iteration 100. */
static void test_run_alexeyab_log(void)
{
    dt_run_spec spec = make_spec("alexeyab", "cat tests/golden/logparse/alexeyab-detector-map.log", NULL,
                                 DT_METRIC_MAP50, 104);
    outcome o = run_spec(&spec, 0);
    CHECK(o.iters == 5 && o.last_iteration == 104);
    CHECK(o.metrics == 1);
    CHECK(o.metric_iter[0] == 100);
    CHECK_NEAR(o.metric[0], 0.910030, 1e-9);
}

static void test_run_failures(void)
{
    /* nan: reported as such, and the loss objective cannot be read */
    dt_run_spec spec = make_spec("nan", "tests/fake/train_nan.sh {cfg} {backup}", NULL, DT_METRIC_LOSS, 3);
    outcome o = run_spec(&spec, 0);
    CHECK(o.iters == 3 && o.nan_losses == 2);
    CHECK(o.res.ok == 0);
    CHECK(o.res.diverged == 1);
    CHECK(strstr(o.res.reason, "nan") != NULL);

    spec = make_spec("crash", "exec tests/fake/train_crash.sh", NULL, DT_METRIC_LOSS, 10);
    o = run_spec(&spec, 0);
    CHECK(o.res.ok == 0);
    CHECK(o.res.iterations == 3);
    CHECK(o.res.diverged == 0);   /* a crash is no divergence */
    CHECK(strncmp(o.res.reason, "crashed: killed by signal 11", 28) == 0);
    CHECK(strstr(o.res.reason, "last output: about to crash") != NULL);

    /* a prompt on the terminal gets end-of-file at once */
    spec = make_spec("prompt", "tests/fake/train_prompt.sh", NULL, DT_METRIC_LOSS, 10);
    o = run_spec(&spec, 0);
    CHECK(o.seconds < 3);
    CHECK(o.res.ok == 0);
    CHECK(strstr(o.res.reason, "crashed: killed by signal 6 (Aborted)") != NULL);  /* sh's 134 */
    CHECK(strstr(o.res.reason, "EOF") != NULL);

    /* hung: killed with everything it started */
    const char *pidfile = TMP "/hang.pid";
    unlink(pidfile);
    spec = make_spec("hang", "tests/fake/train_hang.sh " TMP "/hang.pid", NULL, DT_METRIC_LOSS, 10);
    spec.hang_s = 1;
    o = run_spec(&spec, 0);
    CHECK(o.iters == 2);
    CHECK_STR(o.res.reason, "hung: no output for 1 s");
    CHECK(o.seconds < 3);
    pid_t child = read_pid(pidfile);
    CHECK(child > 0 && wait_gone(child));

    unlink(pidfile);
    spec = make_spec("timeout", "tests/fake/train_hang.sh " TMP "/hang.pid", NULL, DT_METRIC_LOSS, 10);
    spec.timeout_s = 1;
    o = run_spec(&spec, 0);
    CHECK_STR(o.res.reason, "timed out after 1 s");
    CHECK(o.seconds < 3);
    child = read_pid(pidfile);
    CHECK(child > 0 && wait_gone(child));

    /* stopped by the scheduler after the first iteration */
    spec = make_spec("stop", "tests/fake/train_classifier.sh {cfg} {backup}", NULL, DT_METRIC_LOSS, 20);
    o = run_spec(&spec, 1);
    CHECK(o.iters == 1);
    CHECK(o.res.ok == 0);
    CHECK_STR(o.res.reason, "stopped");
    CHECK(o.seconds < 1);
}

static void test_run_gpu_and_runner(void)
{
    /* CUDA_VISIBLE_DEVICES names the GPU unless the command places it with {gpu} */
    dt_run_spec spec = make_spec("gpu", "echo cuda=${CUDA_VISIBLE_DEVICES:-none}", NULL, DT_METRIC_LOSS, 1);
    spec.gpu = 3;
    outcome o = run_spec(&spec, 0);
    CHECK_STR(o.res.reason, "exited early at iteration 0: exit status 0; last output: cuda=3");

    spec = make_spec("gpu2", "echo cuda=${CUDA_VISIBLE_DEVICES:-none} gpu={gpu} w={weights}.", NULL,
                     DT_METRIC_LOSS, 1);
    spec.gpu = 3;
    o = run_spec(&spec, 0);
    CHECK_STR(o.res.reason, "exited early at iteration 0: exit status 0; last output: cuda=none gpu=3 w=.");

    /* The dispatch hands runner = libdarknet to dt_runner_lib, which trains on what the
     * study's context holds (this spec has none). */
    spec.runner = DT_RUNNER_LIBDARKNET;
    spec.task = DT_TASK_DETECTOR;
    dt_run *r;
    dt_err err;
    CHECK(dt_run_start(&r, &spec, &err) == -1);
    CHECK_STR(err.msg, "runner libdarknet needs the study's context (dt_runner_ctx_create)");
    spec.runner = 7;
    CHECK(dt_run_start(&r, &spec, &err) == -1);
    CHECK_STR(err.msg, "unknown runner 7");
}

int main(void)
{
    unsetenv("CUDA_VISIBLE_DEVICES");
    dt_mkdirs(TMP, NULL);
    test_lines_and_log();
    test_environment();
    test_large_output();
    test_status_and_kill();
    test_supervisor();
    test_run_classifier_with_eval();
    test_run_without_eval();
    test_run_detector_map();
    test_run_alexeyab_log();
    test_run_failures();
    test_run_gpu_and_runner();
    return dt_test_done("exec");
}
