/* dt_util: the few helpers every darktune module shares.
 *
 * Errors: library functions return 0 on success and -1 on failure, after writing
 * one lower-case line into a dt_err that the caller owns (git's error() style,
 * SQLite's errmsg kept on the side). Only the command line prints or exits.
 *
 * Memory: dt_x* allocators abort with a message when the system is out of memory
 * (git's xmalloc): every caller would otherwise have the same dead branch, and a
 * tuner that cannot allocate a few bytes cannot store anything useful either.
 * Nothing here knows about Darknet or about sweeps. */
#ifndef DT_UTIL_H
#define DT_UTIL_H

#include <stddef.h>
#include <stdint.h>

typedef struct dt_err {
    char msg[1024];
    int line;       /* the line of the caller's input the message is about; 0: none */
} dt_err;

/* Writes the formatted message into err (when err is not NULL) and returns -1,
 * so that `return dt_errf(err, "%s:%d: ...", path, line);` reads as one step. */
int dt_errf(dt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, about a line of the caller's input (a module that reads lines it did not
 * open: the caller names the file): err->line = line, the message without it. */
int dt_errl(dt_err *err, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void *dt_xmalloc(size_t n);
void *dt_xcalloc(size_t count, size_t size);
void *dt_xrealloc(void *p, size_t n);
char *dt_xstrdup(const char *s);                 /* NULL in, NULL out */
char *dt_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strips leading and trailing white space in place; returns s. */
char *dt_trim(char *s);

/* Whole-string numbers: leading/trailing blanks allowed, anything else refused.
 * Return 0 on success, -1 when s is not such a number (out is untouched). */
int dt_parse_double(const char *s, double *out);
int dt_parse_long(const char *s, long *out);

/* Durations as users write them: "90", "90s", "15m", "2h", "1.5h", "1d". Seconds out. */
int dt_parse_duration(const char *s, double *seconds);

/* "yes|no|true|false|on|off|1|0" -> 1/0; -1 when it is none of them. */
int dt_parse_bool(const char *s);

/* Paths. dt_path_join returns rel itself (copied) when it is absolute; an absolute
 * result is cleaned of "." and ".." components (lexically: no symlink is followed). */
char *dt_path_join(const char *dir, const char *rel);
char *dt_dirname(const char *path);               /* "a/b.ini" -> "a", "b.ini" -> "." */
const char *dt_basename(const char *path);        /* pointer into path */
char *dt_abspath(const char *path);               /* against the current directory, cleaned the same way */
int dt_file_exists(const char *path);             /* a regular file we can read */
int dt_dir_exists(const char *path);
int dt_mkdirs(const char *path, dt_err *err);     /* mkdir -p */
/* Finds an executable: a path with a '/' is checked as is, else each $PATH entry. Caller frees. */
char *dt_which(const char *prog);

/* A name for this process that stays unique across machines and time:
 * "host:pid:start" (start: its start time since boot, in clock ticks, so that a pid
 * used again names another process). */
void dt_process_name(char *buf, size_t n);
/* The start time of process pid since boot, in clock ticks (what dt_process_name
 * records); 0 when there is no such process. */
unsigned long long dt_process_start(long pid);
/* Whether the process a dt_process_name names still runs: 1 yes, 0 no (this host,
 * and no such pid with that start), -1 unknown (another host, or not such a name). */
int dt_process_alive(const char *name);

/* The folder of this process's cgroup in the unified (v2) hierarchy, when this
 * process may make cgroups in it (a trial's own, which its processes cannot leave by
 * starting a session): 0 with the folder in buf, -1 when there is none (no cgroup v2,
 * a read-only or foreign hierarchy, a path longer than n). */
int dt_cgroup_own(char *buf, size_t n);
/* Ends the cgroup at path: kills every process in it (cgroup.kill, else each pid of
 * cgroup.procs), waits up to wait_s seconds for it to empty, and removes it. 0 when it
 * is gone (or was), -1 when something stayed or path is no cgroup v2 folder. */
int dt_cgroup_end(const char *path, double wait_s);

/* Appends the line "darktune: <message>" to the file at path: a note in a trial's
 * log, between Darknet's own lines (best effort: a log that cannot be written costs
 * the note, not the trial). */
void dt_append_note(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Caps the file at path to its first `head` and last `tail` bytes (each cut at a line
 * end), with a line between them saying how many bytes were left out, when it is
 * longer than head + tail. Returns 1 when it cut, 0 when the file was short enough
 * (or absent), -1 with err. The file is rewritten beside itself and renamed over it. */
int dt_file_cap(const char *path, long head, long tail, dt_err *err);

/* Whole-file I/O. dt_read_file NUL-terminates (len excludes it). dt_write_file writes
 * a temporary file beside path and renames it over path, so readers never see half a file. */
int dt_read_file(const char *path, char **buf, size_t *len, dt_err *err);
int dt_write_file(const char *path, const char *buf, size_t len, dt_err *err);

/* Clocks, in seconds: monotonic for durations, wall for timestamps people read. */
double dt_now(void);
double dt_wall(void);

/* qsort's order for doubles (NaN compares equal to everything: keep it out). */
int dt_cmp_double(const void *a, const void *b);
/* The median of v[0..n), n > 0, sorting v in place: the middle value, or the mean of the
 * two middle ones. */
double dt_median(double *v, int n);

/* Edit distance, for "did you mean" hints. */
int dt_levenshtein(const char *a, const char *b);
/* The candidate nearest to word when it is close enough to be a likely typo, else NULL. */
const char *dt_nearest(const char *word, const char *const *candidates, int n);

/* A growable byte buffer (redis sds in miniature). Always NUL-terminated. */
typedef struct dt_buf {
    char *p;
    size_t len, cap;
} dt_buf;
void dt_buf_add(dt_buf *b, const char *s, size_t n);
void dt_buf_printf(dt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dt_buf_free(dt_buf *b);

#endif
