/* dt_util: shared helpers (errors, allocation, parsing, paths, files, clocks). */
#include "dt_util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

int dt_errf(dt_err *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->line = 0;
    }
    return -1;
}

int dt_errl(dt_err *err, int line, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->line = line;
    }
    return -1;
}

static void dt__oom(size_t n)
{
    fprintf(stderr, "darktune: out of memory (%zu bytes)\n", n);
    abort();
}

void *dt_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) dt__oom(n);
    return p;
}

void *dt_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) dt__oom(count * size);
    return p;
}

void *dt_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) dt__oom(n);
    return q;
}

char *dt_xstrdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    return memcpy(dt_xmalloc(n), s, n);
}

char *dt_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = dt_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

char *dt_trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

static int dt__only_space(const char *s)
{
    while (isspace((unsigned char)*s)) s++;
    return *s == '\0';
}

int dt_parse_double(const char *s, double *out)
{
    if (!s || dt__only_space(s)) return -1;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || !dt__only_space(end)) return -1;
    /* Overflow is no number darktune can use; underflow (1e-320, a subnormal, or a
     * value that rounds to 0) is still the number written, as near as a double goes. */
    if (errno == ERANGE && isinf(x)) return -1;
    *out = x;
    return 0;
}

int dt_parse_long(const char *s, long *out)
{
    if (!s || dt__only_space(s)) return -1;
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno == ERANGE || end == s || !dt__only_space(end)) return -1;
    *out = x;
    return 0;
}

int dt_parse_duration(const char *s, double *seconds)
{
    if (!s) return -1;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || errno == ERANGE || x < 0) return -1;
    while (isspace((unsigned char)*end)) end++;
    double unit = 1;
    switch (*end) {
    case '\0': break;
    case 's': unit = 1; end++; break;
    case 'm': unit = 60; end++; break;
    case 'h': unit = 3600; end++; break;
    case 'd': unit = 86400; end++; break;
    default: return -1;
    }
    if (!dt__only_space(end)) return -1;
    *seconds = x * unit;
    return 0;
}

int dt_parse_bool(const char *s)
{
    static const char *yes[] = {"yes", "true", "on", "1"}, *no[] = {"no", "false", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) return 1;
        if (strcasecmp(s, no[i]) == 0) return 0;
    }
    return -1;
}

char *dt_path_join(const char *dir, const char *rel)
{
    char *p;
    if (rel[0] == '/' || !dir || !dir[0] || strcmp(dir, ".") == 0) {
        p = dt_xstrdup(rel);
    } else {
        size_t n = strlen(dir);
        p = dt_xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", rel);
    }
    if (p[0] != '/') return p;
    /* Absolute results are cleaned ("a/../b" -> "b"), as Go's filepath.Join does. */
    char *clean = dt_abspath(p);
    free(p);
    return clean;
}

char *dt_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return dt_xstrdup(".");
    if (slash == path) return dt_xstrdup("/");
    char *d = dt_xmalloc((size_t)(slash - path) + 1);
    memcpy(d, path, (size_t)(slash - path));
    d[slash - path] = '\0';
    return d;
}

const char *dt_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

char *dt_abspath(const char *path)
{
    char cwd[PATH_MAX];
    char *joined = path[0] == '/' || !getcwd(cwd, sizeof cwd) ? dt_xstrdup(path) : dt_path_join(cwd, path);
    if (joined[0] != '/') return joined;
    /* Lexically drop "." and empty components and fold "x/.." so that paths shown
     * to users read as they would type them (no symlinks are followed). */
    char *out = dt_xmalloc(strlen(joined) + 2);
    size_t n = 0;
    for (char *tok = strtok(joined, "/"); tok; tok = strtok(NULL, "/")) {
        if (strcmp(tok, ".") == 0) continue;
        if (strcmp(tok, "..") == 0) {
            while (n > 0 && out[n - 1] != '/') n--;
            if (n > 0) n--;
            continue;
        }
        out[n++] = '/';
        size_t k = strlen(tok);
        memcpy(out + n, tok, k);
        n += k;
    }
    if (n == 0) out[n++] = '/';
    out[n] = '\0';
    free(joined);
    return out;
}

int dt_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}

int dt_dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int dt_mkdirs(const char *path, dt_err *err)
{
    char *p = dt_xstrdup(path);
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                dt_errf(err, "cannot create folder '%s': %s", p, strerror(e));
                free(p);
                return -1;
            }
            *s = c;
            if (!c) break;
        }
    }
    free(p);
    if (!dt_dir_exists(path)) return dt_errf(err, "'%s' exists and is not a folder", path);
    return 0;
}

char *dt_which(const char *prog)
{
    if (!prog || !prog[0]) return NULL;
    if (strchr(prog, '/')) return access(prog, X_OK) == 0 && !dt_dir_exists(prog) ? dt_xstrdup(prog) : NULL;
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        char *cand = dt_xasprintf("%.*s/%s", (int)n, n ? path : ".", prog);
        if (access(cand, X_OK) == 0 && !dt_dir_exists(cand)) return cand;
        free(cand);
        path += n + (colon ? 1 : 0);
    }
    return NULL;
}

int dt_read_file(const char *path, char **buf, size_t *len, dt_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return dt_errf(err, "cannot open '%s': %s", path, strerror(errno));
    dt_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) dt_buf_add(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        dt_buf_free(&b);
        return dt_errf(err, "cannot read '%s'", path);
    }
    if (!b.p) dt_buf_add(&b, "", 0);
    *buf = b.p;
    if (len) *len = b.len;
    return 0;
}

int dt_write_file(const char *path, const char *buf, size_t len, dt_err *err)
{
    char *tmp = dt_xasprintf("%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        dt_errf(err, "cannot write '%s': %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    int bad = fwrite(buf, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        dt_errf(err, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

double dt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

double dt_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int dt_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double dt_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, dt_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int dt_levenshtein(const char *a, const char *b)
{
    size_t n = strlen(b);
    int *row = dt_xmalloc((n + 1) * sizeof *row);
    for (size_t j = 0; j <= n; j++) row[j] = (int)j;
    for (size_t i = 1; a[i - 1]; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= n; j++) {
            int up = row[j];
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int best = diag + cost;
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    int d = row[n];
    free(row);
    return d;
}

const char *dt_nearest(const char *word, const char *const *candidates, int n)
{
    /* A typo is at most a third of the word's letters away (and at least one edit). */
    int limit = (int)strlen(word) / 3;
    if (limit < 1) limit = 1;
    const char *best = NULL;
    int bestd = limit + 1;
    for (int i = 0; i < n; i++) {
        int d = dt_levenshtein(word, candidates[i]);
        if (d < bestd) {
            bestd = d;
            best = candidates[i];
        }
    }
    return best;
}

void dt_buf_add(dt_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) cap *= 2;
        b->p = dt_xrealloc(b->p, cap);
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void dt_buf_printf(dt_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    dt_buf_add(b, "", 0);
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap;
        while (cap < b->len + (size_t)n + 1) cap *= 2;
        b->p = dt_xrealloc(b->p, cap);
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void dt_buf_free(dt_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Field 22 of /proc/PID/stat: the start time in clock ticks since boot; 0 when unknown.
 * The fields after the command name (which may hold spaces and parentheses) start
 * after its last ')'. */
static unsigned long long dt__start_ticks(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long long start = 0;
    for (int field = 2; p && field < 22; field++) p = strchr(p + 1, ' ');
    if (p) start = strtoull(p + 1, NULL, 10);
    return start;
}

unsigned long long dt_process_start(long pid)
{
    return dt__start_ticks(pid);
}

void dt_process_name(char *buf, size_t n)
{
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(buf, n, "%s:%ld:%llu", host, (long)getpid(), dt__start_ticks((long)getpid()));
}

int dt_process_alive(const char *name)
{
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    const char *colon = strrchr(name, ':');
    if (!colon || colon == name) return -1;
    const char *pid_at = colon - 1;
    while (pid_at > name && *pid_at != ':') pid_at--;
    if (*pid_at != ':' || (size_t)(pid_at - name) != strlen(host) || strncmp(name, host, strlen(host)) != 0)
        return -1;
    char *end;
    long pid = strtol(pid_at + 1, &end, 10);
    if (end != colon || pid <= 0) return -1;
    unsigned long long start = strtoull(colon + 1, &end, 10);
    if (*end) return -1;
    unsigned long long now = dt__start_ticks(pid);
    return now != 0 && now == start;
}


/* Undoes mountinfo's octal escapes ("\040" for a blank) in place. */
static void dt__unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

int dt_cgroup_own(char *buf, size_t n)
{
    char *cg, *mi;
    size_t len;
    if (dt_read_file("/proc/self/cgroup", &cg, &len, NULL) != 0) return -1;
    /* The unified hierarchy's line: "0::/path" (cgroup v1 lines have a number and names). */
    char *own = strstr(cg, "0::");
    while (own && own != cg && own[-1] != '\n') own = strstr(own + 1, "0::");
    if (!own || own[3] != '/') {
        free(cg);
        return -1;
    }
    own += 3;
    own[strcspn(own, "\n")] = '\0';
    if (dt_read_file("/proc/self/mountinfo", &mi, &len, NULL) != 0) {
        free(cg);
        return -1;
    }
    /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE ...": the
     * mount of fstype cgroup2 whose ROOT holds our path (a cgroup namespace or a bind
     * mount shows a subtree). */
    int rc = -1;
    char *save = NULL;
    for (char *line = strtok_r(mi, "\n", &save); line && rc != 0; line = strtok_r(NULL, "\n", &save)) {
        char *dash = strstr(line, " - cgroup2 ");
        if (!dash) continue;
        char root[4096], mnt[4096];
        if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2) continue;
        dt__unescape(root);
        dt__unescape(mnt);
        size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
        if (strncmp(own, root, rl) != 0 || (own[rl] != '/' && own[rl] != '\0')) continue;
        const char *rest = own + rl;
        if (strcmp(rest, "/") == 0) rest = "";
        int w = snprintf(buf, n, "%s%s", mnt, rest);
        if (w < 0 || (size_t)w >= n) continue;
        char *procs = dt_xasprintf("%s/cgroup.procs", buf);
        /* Ours to divide: we may make a folder in it and move a process in and out. */
        if (access(buf, W_OK) == 0 && access(procs, W_OK) == 0) rc = 0;
        free(procs);
    }
    free(mi);
    free(cg);
    return rc;
}

/* Writes text to the file at path (a cgroup's control file); 0 or -1 (errno set). */
static int dt__write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t w = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return w == (ssize_t)strlen(text) ? 0 : -1;
}

int dt_cgroup_end(const char *path, double wait_s)
{
    /* A path from a store names anything: only a cgroup v2 folder is ended. */
    struct statfs fs;
    if (statfs(path, &fs) != 0) return errno == ENOENT ? 0 : -1;
    if (fs.f_type != CGROUP2_SUPER_MAGIC || !dt_dir_exists(path)) return -1;
    if (rmdir(path) == 0 || errno == ENOENT) return 0;
    char *kill_file = dt_xasprintf("%s/cgroup.kill", path), *procs = dt_xasprintf("%s/cgroup.procs", path);
    double end = dt_now() + wait_s;
    int rc = -1;
    for (;;) {
        /* cgroup.kill (Linux 5.14) kills every process in it and below at once, a
         * process forking meanwhile included; without it, each pid it lists. */
        if (dt__write_text(kill_file, "1") != 0) {
            char *text;
            size_t len;
            if (dt_read_file(procs, &text, &len, NULL) == 0) {
                for (char *s = text, *e; *s; s = e) {
                    long pid = strtol(s, &e, 10);
                    if (e == s) break;
                    if (pid > 0) kill((pid_t)pid, SIGKILL);
                }
                free(text);
            }
        }
        if (rmdir(path) == 0 || errno == ENOENT) {
            rc = 0;
            break;
        }
        if (errno != EBUSY || dt_now() >= end) break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    free(kill_file);
    free(procs);
    return rc;
}
int dt_file_cap(const char *path, long head, long tail, dt_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0 || st.st_size <= head + tail) return 0;
    FILE *in = fopen(path, "rb");
    if (!in) return dt_errf(err, "cannot read '%s': %s", path, strerror(errno));
    char *tmp = dt_xasprintf("%s.cap", path);
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        fclose(in);
        dt_errf(err, "cannot write '%s': %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    /* The head up to its last line end, the tail from its first. */
    char *buf = dt_xmalloc((size_t)(head > tail ? head : tail) + 1);
    size_t h = fread(buf, 1, (size_t)head, in);
    while (h > 0 && buf[h - 1] != '\n') h--;
    fwrite(buf, 1, h, out);
    fseeko(in, st.st_size - tail, SEEK_SET);
    size_t t = fread(buf, 1, (size_t)tail, in), skip = 0;
    while (skip < t && buf[skip] != '\n') skip++;
    if (skip < t) skip++;
    long long left = (long long)st.st_size - (long long)h - (long long)(t - skip);
    fprintf(out, "\n==== darktune: log capped: %lld bytes left out here (the first %zu and the last %zu bytes are "
            "kept) ====\n\n", left, h, t - skip);
    fwrite(buf + skip, 1, t - skip, out);
    free(buf);
    fclose(in);
    int ok = fclose(out) == 0 && rename(tmp, path) == 0;
    if (!ok) {
        dt_errf(err, "cannot cap '%s': %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return ok ? 1 : -1;
}

void dt_append_note(const char *path, const char *fmt, ...)
{
    FILE *f = fopen(path, "a");
    if (!f) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("darktune: ", f);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
    fclose(f);
}
