/* dt_exec: one external command under a pseudo-terminal, its output read line by line.
 *
 * The child is the leader of a new session (forkpty), so its process group id is
 * its pid and kill(-pid, ...) reaches everything it started. The pty is raw (no
 * echo, no "\n" -> "\r\n"); stdin is /dev/null. The parent reads the master side
 * without blocking; after the last writer closes the slave, Linux answers EIO,
 * which is end-of-file here. This module parses nothing but ANSI codes (for the
 * tail) and decides nothing about trials. */
#include "dt_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

struct dt_proc {
    pid_t pid;            /* also the process group id */
    int fd;               /* pty master, non-blocking */
    int log_fd;           /* -1: no log */
    int reaped, status;   /* the leader's wait status once reaped */
    int killed;           /* dt_proc_kill ran */
    int eof;              /* the master gave EIO or 0: no more output */
    char *buf;            /* unread output is buf[start, len); buf[len] is room for a NUL */
    size_t start, len, cap;
    double last_output;   /* dt_now() of the last byte read (or of the start) */
    char tail[DT_EXEC_TAIL + 1];
    size_t tail_len;
};

/* Live process groups for dt_proc_kill_all. A signal handler may read this at any
 * moment, so each slot is one sig_atomic_t written in a single store. */
static volatile sig_atomic_t dt_exec__live[DT_EXEC_MAX_LIVE];

/* Records pgid as live (silently not when the table is full: kill_all is a last resort). */
static void dt_exec__live_add(pid_t pgid)
{
    for (int i = 0; i < DT_EXEC_MAX_LIVE; i++)
        if (dt_exec__live[i] == 0) {
            dt_exec__live[i] = pgid;
            return;
        }
}

/* Forgets pgid once its group is gone. */
static void dt_exec__live_remove(pid_t pgid)
{
    for (int i = 0; i < DT_EXEC_MAX_LIVE; i++)
        if (dt_exec__live[i] == pgid) dt_exec__live[i] = 0;
}

/* Called from signal handlers: only reads the table and calls kill(). */
void dt_proc_kill_all(void)
{
    for (int i = 0; i < DT_EXEC_MAX_LIVE; i++) {
        pid_t g = dt_exec__live[i];
        if (g > 0) kill(-g, SIGKILL);
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

/* The child's side of the fork: defaults for signals, /dev/null for stdin, then exec.
 * On failure it writes { step, errno } to report (step 0: chdir, 1: exec; the pipe is
 * close-on-exec, so a successful exec writes nothing) and exits. Only async-signal-safe
 * calls: the parent may have threads. */
static void dt_exec__child(const char *cmd, const char *cwd, char **envp, int report)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);  /* ignored ones survive exec */

    int null = open("/dev/null", O_RDONLY);
    if (null >= 0 && null != 0) {
        dup2(null, 0);
        close(null);
    }
    int failure[2] = { 0, 0 };
    if (!cwd || chdir(cwd) == 0) {
        char *argv[] = { "sh", "-c", (char *)cmd, NULL };
        execve("/bin/sh", argv, envp);
        failure[0] = 1;
    }
    failure[1] = errno;
    if (write(report, failure, sizeof failure) < 0) _exit(127);
    _exit(127);
}

/* Opens the log, forks under a new pty, and returns once the child has exec'd. */
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

    /* report: the child writes here when chdir or exec fails; its closing
     * (at exec) also tells us the child is a session leader before we return, so
     * dt_proc_kill_all can never miss a group that dt_proc_start has announced. */
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        int e = errno;
        if (log_fd >= 0) close(log_fd);
        return dt_errf(err, "cannot start '%s': %s", cmd, strerror(e));
    }
    char **envp = dt_exec__environment(env);
    int fd;
    pid_t pid = forkpty(&fd, NULL, &raw, &ws);
    if (pid == 0) {
        close(report[0]);
        dt_exec__child(cmd, cwd, envp, report[1]);
    }
    int failure[2] = { 2, errno };  /* step 2: forkpty itself */
    free(envp);
    close(report[1]);
    if (pid > 0) {
        ssize_t n;
        do n = read(report[0], failure, sizeof failure);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof failure) {  /* the child failed and exits */
            waitpid(pid, NULL, 0);
            close(fd);
            pid = -1;
        }
    }
    close(report[0]);
    if (pid < 0) {
        if (log_fd >= 0) close(log_fd);
        if (failure[0] == 0)
            return dt_errf(err, "cannot change to folder '%s': %s", cwd, strerror(failure[1]));
        return dt_errf(err, "cannot start '%s': %s", cmd, strerror(failure[1]));
    }

    dt_exec__live_add(pid);
    fcntl(fd, F_SETFD, FD_CLOEXEC);  /* later children must not hold this trial's pty */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    dt_proc *p = dt_xcalloc(1, sizeof *p);
    p->pid = pid;
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

/* The leader, also the process group id. */
pid_t dt_proc_pid(const dt_proc *p)
{
    return p->pid;
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

/* The leader is gone: whatever it left running in its group goes too, so that the
 * pty reaches end-of-file and nothing outlives its trial. */
static void dt_exec__end_group(dt_proc *p)
{
    kill(-p->pid, SIGKILL);
    dt_exec__live_remove(p->pid);
}

/* Reaps the leader (once); later calls give the saved status. */
int dt_proc_wait(dt_proc *p, int *status, int block)
{
    if (!p->reaped) {
        pid_t r;
        do r = waitpid(p->pid, &p->status, block ? 0 : WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == 0) return 0;
        if (r < 0) p->status = 255 << 8;  /* reaped by someone else: status unknown */
        p->reaped = 1;
        dt_exec__end_group(p);
    }
    if (status) *status = p->status;
    return 1;
}

/* SIGTERM to the group, up to grace_s for the leader to go, then SIGKILL. */
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
