/* dt_exec: run one external command the way a trial needs it run.
 *
 * The command runs through /bin/sh -c under a new pseudo-terminal, so that
 * Darknet (which never flushes stdout) writes line by line and no line is lost
 * when it is killed; stdin is /dev/null, so a program that asks a question on the
 * terminal gets end-of-file at once instead of waiting forever. It leads its own
 * process group: dt_proc_kill ends it and everything it started. Every byte it prints
 * is appended to a log file. Output is split into lines at '\n', '\r' and BEL
 * (AlexeyAB's title line ends in BEL, no newline).
 *
 * Between darktune and the command sits a supervisor, darktune's child and the
 * command's parent, so that nothing the command starts outlives it: not what stays
 * in its process group, and not a daemon that leaves it with setsid either (the
 * supervisor is a child subreaper: orphans below it become its children, not init's).
 * When the command ends, however it ends, the supervisor kills every process left
 * below it, then exits as the command did (its exit status, or its signal), which is
 * what dt_proc_wait gives. When darktune dies, even by SIGKILL, the supervisor hears
 * it (PR_SET_PDEATHSIG) and ends everything the same way. Where the machine lets
 * darktune make cgroups (dt_cgroup_own; not when $DARKTUNE_CGROUP is "none"), the
 * supervisor and all below it run in a cgroup of their own, removed at the end:
 * dt_proc_cgroup names it, so that a later darktune can end what is left in it when
 * darktune and the supervisor were both killed. Elsewhere, silently, the process
 * group and the subreaper alone. */
#ifndef DT_EXEC_H
#define DT_EXEC_H

#include <sys/types.h>  /* pid_t */

#include "dt_util.h"

typedef struct dt_proc dt_proc;

/* Starts cmd in folder cwd (NULL: the current one) with env (NULL-terminated
 * "KEY=VALUE" entries added to darktune's environment; NULL for none), appending
 * everything it prints to log_path (NULL: no log). */
int dt_proc_start(dt_proc **out, const char *cmd, const char *cwd, char *const *env,
                  const char *log_path, dt_err *err);
/* The descriptor to poll() for output. */
int dt_proc_fd(const dt_proc *p);
/* Gives the next complete line of output, without its terminator, in *line (valid
 * until the next call). Reads only what is available, never blocks. Returns 1 with
 * a line, 0 when none is ready yet, -1 once all output has been read (the last
 * unterminated fragment is returned as a line first). */
int dt_proc_line(dt_proc *p, const char **line);
/* Reaps the command once it has ended and the supervisor has ended what it left:
 * returns 1 and the command's wait status in *status, 0 while it runs. block = 1
 * waits for it. */
int dt_proc_wait(dt_proc *p, int *status, int block);
/* SIGTERM to the whole process group, then SIGKILL after grace_s seconds if anything
 * is left; reaps the leader. Safe to call twice. */
void dt_proc_kill(dt_proc *p, double grace_s);
/* Seconds since the process last printed something (or started). */
double dt_proc_idle(const dt_proc *p);
/* The last lines it printed (up to about 2 KiB), ANSI codes removed. */
const char *dt_proc_tail(const dt_proc *p);
/* The command's pid, also its process group id. */
pid_t dt_proc_pid(const dt_proc *p);
/* The folder of the command's cgroup (NULL when it has none): valid while p lives. */
const char *dt_proc_cgroup(const dt_proc *p);
void dt_proc_free(dt_proc *p);  /* kills it first if it still runs */

/* "exit status 3", "killed by signal 6 (Aborted)". */
void dt_proc_describe(int status, char *buf, size_t n);

/* Kills every process group started by dt_proc_start that is still alive, and tells
 * their supervisors to end what is left below them. Async-signal-safe: darktune calls
 * it from its SIGINT/SIGTERM handler. */
void dt_proc_kill_all(void);

#endif
