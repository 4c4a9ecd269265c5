/* dt_exec: one external command under a pseudo-terminal and a supervisor, its output
 * read line by line.
 *
 * forkpty makes the supervisor the leader of a new session, the pty its terminal. It
 * forks the command, which makes a process group of its own (the terminal's
 * foreground one, as a shell would) and execs /bin/sh -c. The pty is raw (no echo, no
 * "\n" -> "\r\n"); stdin is /dev/null. The supervisor keeps no copy of the pty, so
 * that after the command and all it started close it, the master answers EIO, which
 * is end-of-file here, as without a supervisor.
 *
 * The supervisor is a fork of darktune that never execs: from the fork to its _exit
 * it calls only async-signal-safe functions (darktune may have threads), on what
 * dt_proc_start prepared before the fork. Its whole life is sigtimedwait on SIGCHLD
 * and the signals that end a trial (SIGTERM, SIGINT, SIGHUP), all blocked so that
 * none is lost between two waits. This module parses nothing but ANSI codes (for
 * the tail) and decides nothing about trials. */
#include "dt_exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "dt_logparse.h"

extern char **environ;

#define DT_EXEC_TAIL 2048          /* bytes of recent output kept for messages */
#define DT_EXEC_READ 65536         /* bytes read from the pty at once */
#define DT_EXEC_MAX_LINE (1 << 20) /* a "line" longer than this is cut: memory stays bounded */
#define DT_EXEC_MAX_LIVE 256       /* process groups dt_proc_kill_all can know of */
#define DT_EXEC_CGROUP_MAX 440     /* a longer cgroup path: no cgroup (the store keeps 512 bytes) */
#define DT_EXEC_SWEEP_S 10         /* seconds the supervisor spends ending what is left, at most */

struct dt_proc {
    pid_t pid;            /* the command: also its process group id */
    pid_t super;          /* its supervisor, darktune's child: the process reaped here */
    char *cgroup;         /* the command's cgroup folder, NULL when none */
    int fd;               /* pty master, non-blocking */
    int log_fd;           /* -1: no log */
    int reaped, status;   /* the command's wait status once the supervisor is reaped */
    int killed;           /* dt_proc_kill ran */
    int eof;              /* the master gave EIO or 0: no more output */
    char *buf;            /* unread output is buf[start, len); buf[len] is room for a NUL */
    size_t start, len, cap;
    double last_output;   /* dt_now() of the last byte read (or of the start) */
    char tail[DT_EXEC_TAIL + 1];
    size_t tail_len;
};

/* Live commands for dt_proc_kill_all: process group i and its supervisor. A signal
 * handler may read these at any moment, so each slot is one sig_atomic_t written in
 * a single store; a group is in use while non-zero (written last, cleared first). */
static volatile sig_atomic_t dt_exec__live[DT_EXEC_MAX_LIVE];
static volatile sig_atomic_t dt_exec__live_super[DT_EXEC_MAX_LIVE];

/* Records pgid and its supervisor as live (silently not when the table is full:
 * kill_all is a last resort). */
static void dt_exec__live_add(pid_t pgid, pid_t super)
{
    for (int i = 0; i < DT_EXEC_MAX_LIVE; i++)
        if (dt_exec__live[i] == 0) {
            dt_exec__live_super[i] = super;
            dt_exec__live[i] = pgid;
            return;
        }
}

/* Forgets pgid once its group is gone. */
static void dt_exec__live_remove(pid_t pgid)
{
    for (int i = 0; i < DT_EXEC_MAX_LIVE; i++)
        if (dt_exec__live[i] == pgid) {
            dt_exec__live[i] = 0;
            dt_exec__live_super[i] = 0;
        }
}

/* Called from signal handlers: only reads the table and calls kill(). */
void dt_proc_kill_all(void)
{
    for (int i = 0; i < DT_EXEC_MAX_LIVE; i++) {
        pid_t g = dt_exec__live[i], s = dt_exec__live_super[i];
        if (g > 0) kill(-g, SIGKILL);
        if (g > 0 && s > 0) kill(s, SIGTERM);   /* and what left the group */
    }
}

/* Builds the child's environment before the fork (the child must not allocate):
 * darktune's own, with each "KEY=VALUE" of extra replacing or adding KEY. Caller frees
 * the array only (the strings are borrowed). */
static char **dt_exec__environment(char *const *extra)
{
    size_t n = 0, m = 0;
    while (environ[n]) n++;
    while (extra && extra[m]) m++;
    char **envp = dt_xcalloc(n + m + 1, sizeof *envp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t key = strcspn(environ[i], "=");
        int replaced = 0;
        for (size_t j = 0; j < m && !replaced; j++)
            replaced = strncmp(extra[j], environ[i], key) == 0 && extra[j][key] == '=';
        if (!replaced) envp[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++) envp[k++] = extra[j];
    envp[k] = NULL;
    return envp;
}

/* What the report pipe carries: one record from the supervisor once the command is
 * forked, and one from whichever process failed (the command before its exec, the
 * supervisor when it could not fork). Every end of the pipe closes at an exec or an
 * exit, so end-of-file means the command runs (or has already ended). */
enum { DT_EXEC__CHDIR, DT_EXEC__EXEC, DT_EXEC__FORKPTY, DT_EXEC__FORK, DT_EXEC__STARTED };
typedef struct dt_exec__report {
    int what;     /* DT_EXEC__* */
    int value;    /* STARTED: the command's pid; otherwise errno */
    int cgroup;   /* STARTED: 1 when it runs in a cgroup of its own */
} dt_exec__report;

/* Everything the supervisor needs, made before the fork. */
typedef struct dt_exec__plan {
    const char *cmd, *cwd;
    char **envp;
    pid_t parent;       /* darktune: a different parent means it died */
    char *cg;           /* "<own cgroup>/darktune.<darktune's pid>." with room for the supervisor's
                         * pid and "/cgroup.procs"; NULL: no cgroup */
    size_t cg_len;      /* the length of that prefix */
    char *cg_home;      /* "<own cgroup>/cgroup.procs": where the supervisor goes back to */
} dt_exec__plan;

/* Writes v in decimal at s (NUL-terminated); returns the digits written. */
static size_t dt_exec__decimal(char *s, unsigned long v)
{
    char tmp[24];
    size_t n = 0;
    do tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    for (size_t i = 0; i < n; i++) s[i] = tmp[n - 1 - i];
    s[n] = '\0';
    return n;
}

/* Writes all of text to the file at path; 0 or -1. */
static int dt_exec__put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Sends SIGKILL to every child of this process (every process whose parent, in
 * /proc/PID/stat, is self). Returns how many, -1 when /proc cannot be read. */
static int dt_exec__kill_children(pid_t self)
{
    int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -1;
    char ents[4096];
    int n = 0;
    ssize_t got;
    while ((got = getdents64(dir, ents, sizeof ents)) > 0) {
        for (ssize_t off = 0; off < got;) {
            const struct dirent64 *d = (const struct dirent64 *)(ents + off);
            off += d->d_reclen;
            unsigned long pid = 0;
            const char *c = d->d_name;
            for (; *c >= '0' && *c <= '9'; c++) pid = pid * 10 + (unsigned long)(*c - '0');
            if (*c || pid == 0 || (pid_t)pid == self) continue;
            /* "PID (COMM) STATE PPID ...": COMM may hold blanks and ')', so the last ')'. */
            char path[64], stat[512];
            size_t k = dt_exec__decimal(path, pid);
            memcpy(path + k, "/stat", 6);
            int fd = openat(dir, path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            ssize_t len = read(fd, stat, sizeof stat - 1);
            close(fd);
            if (len <= 0) continue;
            stat[len] = '\0';
            const char *paren = NULL;
            for (const char *s = stat; *s; s++)
                if (*s == ')') paren = s;
            if (!paren || paren[1] != ' ' || !paren[2] || paren[3] != ' ') continue;
            unsigned long ppid = 0;
            for (c = paren + 4; *c >= '0' && *c <= '9'; c++) ppid = ppid * 10 + (unsigned long)(*c - '0');
            if ((pid_t)ppid != self) continue;
            kill((pid_t)pid, SIGKILL);
            n++;
        }
    }
    close(dir);
    return n;
}

/* Ends everything below the supervisor: the command's group, then its children over
 * and over (a process killed orphans its own children, who become ours) until none is
 * left to reap, or DT_EXEC_SWEEP_S has passed. */
static void dt_exec__sweep(pid_t self, pid_t cmd)
{
    kill(-cmd, SIGKILL);
    struct timespec start, now, pause = {0, 5 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        dt_exec__kill_children(self);
        int st;
        pid_t w;
        while ((w = waitpid(-1, &st, WNOHANG)) > 0) {}
        if (w < 0 && errno == ECHILD) return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= DT_EXEC_SWEEP_S) return;
        nanosleep(&pause, NULL);
    }
}

/* The command's side of the supervisor's fork: a process group of its own in the
 * terminal's foreground, defaults for signals, /dev/null for stdin, then exec. On
 * failure it reports { step, errno } and exits. */
static void dt_exec__command(const dt_exec__plan *pl, int report)
{
    /* Defaults first, then unblock: a handler of darktune's never runs here. */
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);  /* ignored ones survive exec */
    sigset_t ttou;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, NULL);   /* tcsetpgrp from a background group */
    setpgid(0, 0);
    tcsetpgrp(STDOUT_FILENO, getpid());
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    int null = open("/dev/null", O_RDONLY);
    if (null >= 0 && null != 0) {
        dup2(null, 0);
        close(null);
    }
    dt_exec__report r = {DT_EXEC__CHDIR, 0, 0};
    if (!pl->cwd || chdir(pl->cwd) == 0) {
        char *argv[] = { "sh", "-c", (char *)pl->cmd, NULL };
        execve("/bin/sh", argv, pl->envp);
        r.what = DT_EXEC__EXEC;
    }
    r.value = errno;
    if (write(report, &r, sizeof r) < 0) _exit(127);
    _exit(127);
}

/* Joins a cgroup of its own (see dt_exec__plan); 1 when it did. */
static int dt_exec__cgroup_join(dt_exec__plan *pl, pid_t self)
{
    if (!pl->cg) return 0;
    size_t k = pl->cg_len + dt_exec__decimal(pl->cg + pl->cg_len, (unsigned long)self);
    if (mkdir(pl->cg, 0755) != 0) {
        pl->cg = NULL;   /* there already (a dead darktune's, of the same pids): not ours */
        return 0;
    }
    memcpy(pl->cg + k, "/cgroup.procs", 14);
    int ok = dt_exec__put(pl->cg, "0") == 0;   /* "0": the writing process */
    pl->cg[k] = '\0';
    if (!ok) {
        rmdir(pl->cg);
        pl->cg = NULL;
    }
    return ok;
}

/* Leaves the supervisor's cgroup, empty by now, and removes it (dt_proc_wait does it
 * again when this fails: it knows the name too). */
static void dt_exec__cgroup_leave(const dt_exec__plan *pl)
{
    if (!pl->cg || dt_exec__put(pl->cg_home, "0") != 0) return;
    for (int i = 0; i < 100 && rmdir(pl->cg) != 0 && errno == EBUSY; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* The supervisor's whole life, in the child of forkpty: see dt_exec.h. It never
 * returns. */
static void dt_exec__supervise(dt_exec__plan *pl, int report)
{
    sigset_t wake;
    sigemptyset(&wake);
    sigaddset(&wake, SIGCHLD);
    sigaddset(&wake, SIGTERM);
    sigaddset(&wake, SIGINT);
    sigaddset(&wake, SIGHUP);
    sigprocmask(SIG_SETMASK, &wake, NULL);
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    pid_t self = getpid();
    /* darktune's death: SIGTERM here (and a check, in case it died before this line). */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    int ending = getppid() != pl->parent;
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    /* Only the report pipe and the pty (0-2) stay: darktune's store, other trials'
     * ptys and logs are not the supervisor's to hold open. */
    if (report != 3) {
        dup2(report, 3);
        report = 3;
    }
    fcntl(report, F_SETFD, FD_CLOEXEC);
    if (close_range(4, ~0U, 0) != 0)
        for (int fd = 4; fd < 1024; fd++) close(fd);
    int in_cgroup = dt_exec__cgroup_join(pl, self);

    dt_exec__report r = {DT_EXEC__STARTED, 0, in_cgroup};
    pid_t cmd = ending ? -1 : fork();
    if (cmd == 0) dt_exec__command(pl, report);
    if (cmd < 0) {
        r.what = DT_EXEC__FORK;
        r.value = ending ? ESRCH : errno;
        if (write(report, &r, sizeof r) < 0) {}
        dt_exec__cgroup_leave(pl);
        _exit(127);
    }
    setpgid(cmd, cmd);   /* as the command does: the group exists before darktune hears of it */
    r.value = cmd;
    if (write(report, &r, sizeof r) < 0) {}
    close(report);
    int null = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3 && null >= 0; fd++) dup2(null, fd);
    if (null > 2) close(null);

    int status = 0, reaped = 0;
    while (!reaped) {
        if (ending) {
            kill(-cmd, SIGKILL);
            dt_exec__kill_children(self);
        }
        struct timespec second = {1, 0};
        siginfo_t info;
        int sig = sigtimedwait(&wake, &info, &second);
        if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || getppid() != pl->parent) ending = 1;
        int st;
        pid_t w;
        while ((w = waitpid(-1, &st, WNOHANG)) > 0)
            if (w == cmd) status = st, reaped = 1;
    }
    dt_exec__sweep(self, cmd);
    dt_exec__cgroup_leave(pl);
    if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
    /* Ended by a signal: the same signal ends the supervisor (without a second core). */
    int sig = WTERMSIG(status);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);   /* SIGPIPE was ignored here */
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    kill(self, sig);
    _exit(128 + sig);
}

/* The folder darktune may make cgroups in, unless $DARKTUNE_CGROUP is "none" (a
 * machine where darktune should leave cgroups alone); NULL when none. Caller frees. */
static char *dt_exec__cgroup_home(void)
{
    const char *env = getenv("DARKTUNE_CGROUP");
    char own[DT_EXEC_CGROUP_MAX];
    if ((env && strcmp(env, "none") == 0) || dt_cgroup_own(own, sizeof own) != 0) return NULL;
    return dt_xstrdup(own);
}

/* Opens the log, forks the supervisor under a new pty, and returns once the command
 * has exec'd. */
int dt_proc_start(dt_proc **out, const char *cmd, const char *cwd, char *const *env,
                  const char *log_path, dt_err *err)
{
    *out = NULL;
    int log_fd = -1;
    if (log_path) {
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) return dt_errf(err, "cannot open '%s': %s", log_path, strerror(errno));
    }

    struct termios raw;
    memset(&raw, 0, sizeof raw);
    cfmakeraw(&raw);  /* no echo, no line editing, "\n" stays "\n" */
    raw.c_cflag |= CREAD | CLOCAL;
    raw.c_cc[VMIN] = 1;
    cfsetspeed(&raw, B38400);
    struct winsize ws = { .ws_row = 50, .ws_col = 200 };

    /* report: see dt_exec__report. Its end-of-file also tells us that the command's
     * group exists before we return, so dt_proc_kill_all can never miss a group that
     * dt_proc_start has announced. */
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        int e = errno;
        if (log_fd >= 0) close(log_fd);
        return dt_errf(err, "cannot start '%s': %s", cmd, strerror(e));
    }
    dt_exec__plan pl = { .cmd = cmd, .cwd = cwd, .envp = dt_exec__environment(env), .parent = getpid() };
    char *home = dt_exec__cgroup_home();
    if (home) {
        size_t room = strlen(home) + 64;   /* "/darktune.PID.PID/cgroup.procs" */
        pl.cg = dt_xmalloc(room);
        pl.cg_len = (size_t)snprintf(pl.cg, room, "%s/darktune.%ld.", home, (long)pl.parent);
        pl.cg_home = dt_xasprintf("%s/cgroup.procs", home);
    }
    int fd;
    pid_t super = forkpty(&fd, NULL, &raw, &ws);
    if (super == 0) {
        close(report[0]);
        dt_exec__supervise(&pl, report[1]);
    }
    dt_exec__report r = { DT_EXEC__FORKPTY, errno, 0 }, failed = r;
    pid_t pid = -1;
    int in_cgroup = 0;
    free(pl.envp);
    free(pl.cg_home);
    close(report[1]);
    if (super > 0) {
        failed.what = -1;
        ssize_t n;
        for (;;) {
            do n = read(report[0], &r, sizeof r);
            while (n < 0 && errno == EINTR);
            if (n != (ssize_t)sizeof r) break;
            if (r.what == DT_EXEC__STARTED) pid = r.value, in_cgroup = r.cgroup;
            else failed = r;
        }
        if (failed.what >= 0 || pid <= 0) {
            if (failed.what < 0) failed = (dt_exec__report){ DT_EXEC__FORK, ECHILD, 0 };
            waitpid(super, NULL, 0);
            close(fd);
        }
    }
    close(report[0]);
    char *cgroup = NULL;
    if (home && super > 0) {
        cgroup = dt_xasprintf("%s/darktune.%ld.%ld", home, (long)pl.parent, (long)super);
        /* A start that failed leaves no folder behind (the supervisor removes it; this
         * is in case it could not). Not joined: the folder is not ours, if any. */
        if (in_cgroup && failed.what >= 0) dt_cgroup_end(cgroup, 1.0);
        if (!in_cgroup) {
            free(cgroup);
            cgroup = NULL;
        }
    }
    free(pl.cg);
    free(home);
    if (failed.what >= 0) {
        free(cgroup);
        if (log_fd >= 0) close(log_fd);
        if (failed.what == DT_EXEC__CHDIR)
            return dt_errf(err, "cannot change to folder '%s': %s", cwd, strerror(failed.value));
        return dt_errf(err, "cannot start '%s': %s", cmd, strerror(failed.value));
    }

    dt_exec__live_add(pid, super);
    fcntl(fd, F_SETFD, FD_CLOEXEC);  /* later children must not hold this trial's pty */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    dt_proc *p = dt_xcalloc(1, sizeof *p);
    p->pid = pid;
    p->super = super;
    p->cgroup = cgroup;
    p->fd = fd;
    p->log_fd = log_fd;
    p->cap = DT_EXEC_READ + 1;
    p->buf = dt_xmalloc(p->cap);
    p->last_output = dt_now();
    *out = p;
    return 0;
}

/* The pty master, for poll(). */
int dt_proc_fd(const dt_proc *p)
{
    return p->fd;
}

/* The command, also its process group id. */
pid_t dt_proc_pid(const dt_proc *p)
{
    return p->pid;
}

/* Its cgroup's folder, NULL when none. */
const char *dt_proc_cgroup(const dt_proc *p)
{
    return p->cgroup;
}

/* Seconds since the last byte of output. */
double dt_proc_idle(const dt_proc *p)
{
    return dt_now() - p->last_output;
}

/* The recent lines, for failure messages. */
const char *dt_proc_tail(const dt_proc *p)
{
    return p->tail;
}

/* Adds one line (ANSI removed) to the tail, dropping the oldest whole lines to keep
 * it within DT_EXEC_TAIL bytes. Lines are separated by '\n', with none at the end. */
static void dt_exec__tail_add(dt_proc *p, const char *line)
{
    char copy[DT_EXEC_TAIL];
    size_t n = strlen(line);
    if (n > sizeof copy - 1) line += n - (sizeof copy - 1);  /* keep a long line's end */
    snprintf(copy, sizeof copy, "%s", line);
    dt_logparse_strip_ansi(copy);
    n = strlen(copy);
    if (n == 0) return;

    size_t need = n + (p->tail_len ? 1 : 0);
    if (p->tail_len + need > DT_EXEC_TAIL) {
        size_t drop = p->tail_len + need - DT_EXEC_TAIL;
        char *nl = drop <= p->tail_len ? memchr(p->tail + drop - 1, '\n', p->tail_len - drop + 1) : NULL;
        size_t cut = nl ? (size_t)(nl - p->tail) + 1 : p->tail_len;
        memmove(p->tail, p->tail + cut, p->tail_len - cut);
        p->tail_len -= cut;
        need = n + (p->tail_len ? 1 : 0);
    }
    if (p->tail_len) p->tail[p->tail_len++] = '\n';
    memcpy(p->tail + p->tail_len, copy, n);
    p->tail_len += n;
    p->tail[p->tail_len] = '\0';
}

/* Appends what was read to the log; a full disk loses log bytes, never the trial. */
static void dt_exec__log(dt_proc *p, const char *s, size_t n)
{
    while (p->log_fd >= 0 && n > 0) {
        ssize_t w = write(p->log_fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

/* Hands out buf[start, start + n) as a line: NUL-terminates it in place. */
static int dt_exec__give(dt_proc *p, size_t n, size_t skip, const char **line)
{
    char *s = p->buf + p->start;
    s[n] = '\0';
    p->start += n + skip;
    dt_exec__tail_add(p, s);
    *line = s;
    return 1;
}

/* Splits buffered output into lines, reading more only when no line is complete. */
int dt_proc_line(dt_proc *p, const char **line)
{
    for (;;) {
        /* A complete line already read? Empty lines ("\r\n", "\n\n") are skipped. */
        while (p->start < p->len) {
            const char *s = p->buf + p->start;
            size_t n = p->len - p->start, i = 0;
            while (i < n && s[i] != '\n' && s[i] != '\r' && s[i] != '\a') i++;
            if (i == 0) {
                p->start++;
                continue;
            }
            if (i < n) return dt_exec__give(p, i, 1, line);
            if (i >= DT_EXEC_MAX_LINE) return dt_exec__give(p, i, 0, line);
            break;
        }
        if (p->eof) {
            if (p->start < p->len) return dt_exec__give(p, p->len - p->start, 0, line);
            return -1;
        }

        /* Make room (the line handed out last time may move now) and read more. */
        memmove(p->buf, p->buf + p->start, p->len - p->start);
        p->len -= p->start;
        p->start = 0;
        if (p->cap - p->len < DT_EXEC_READ + 1) {
            p->cap = p->len + DT_EXEC_READ + 1;
            p->buf = dt_xrealloc(p->buf, p->cap);
        }
        ssize_t r = read(p->fd, p->buf + p->len, p->cap - p->len - 1);
        if (r > 0) {
            dt_exec__log(p, p->buf + p->len, (size_t)r);
            p->len += (size_t)r;
            p->last_output = dt_now();
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else {
            p->eof = 1;  /* 0, or EIO: every writer closed the pty */
        }
    }
}

/* The command is gone, and the supervisor has ended what it left: whatever is still
 * in its group (the supervisor was killed itself) goes too, so that the pty reaches
 * end-of-file and nothing outlives its trial, and its cgroup is removed (ended, should
 * anything be left in it). */
static void dt_exec__end_group(dt_proc *p)
{
    kill(-p->pid, SIGKILL);
    dt_exec__live_remove(p->pid);
    if (p->cgroup) dt_cgroup_end(p->cgroup, 1.0);
}

/* Reaps the supervisor (once), which exits as the command did; later calls give the
 * saved status. */
int dt_proc_wait(dt_proc *p, int *status, int block)
{
    if (!p->reaped) {
        pid_t r;
        do r = waitpid(p->super, &p->status, block ? 0 : WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == 0) return 0;
        if (r < 0) p->status = 255 << 8;  /* reaped by someone else: status unknown */
        p->reaped = 1;
        dt_exec__end_group(p);
    }
    if (status) *status = p->status;
    return 1;
}

/* SIGTERM to the group, up to grace_s for the command to go, then SIGKILL to the
 * group and SIGTERM to the supervisor (which kills what left the group). */
void dt_proc_kill(dt_proc *p, double grace_s)
{
    if (p->killed) return;
    p->killed = 1;
    if (p->reaped) return;  /* its group was killed when it was reaped */
    kill(-p->pid, SIGTERM);
    double end = dt_now() + grace_s;
    while (!dt_proc_wait(p, NULL, 0) && dt_now() < end) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    if (!p->reaped) {
        kill(-p->pid, SIGKILL);
        kill(p->super, SIGTERM);
        dt_proc_wait(p, NULL, 1);
    }
}

/* Kills what still runs, then releases everything. */
void dt_proc_free(dt_proc *p)
{
    if (!p) return;
    dt_proc_kill(p, 1.0);
    close(p->fd);
    if (p->log_fd >= 0) close(p->log_fd);
    free(p->cgroup);
    free(p->buf);
    free(p);
}

/* How a wait status reads in a message. */
void dt_proc_describe(int status, char *buf, size_t n)
{
    if (WIFEXITED(status))
        snprintf(buf, n, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, n, "wait status 0x%x", (unsigned)status);
}
