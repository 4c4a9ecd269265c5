/* Tests of dt_util (parsing, paths, files, hints, buffers) and dt_rng. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dt_rng.h"
#include "dt_test.h"
#include "dt_util.h"

static void test_numbers(void)
{
    double d;
    long l;
    CHECK(dt_parse_double(" 1e-3 ", &d) == 0 && d == 1e-3);
    CHECK(dt_parse_double("0.1x", &d) == -1);
    CHECK(dt_parse_double("", &d) == -1);
    CHECK(dt_parse_double("1e999", &d) == -1);
    CHECK(dt_parse_double("-1e999", &d) == -1);
    /* A subnormal is a number. Its value is not compared here: a process that loads
     * Debian's libdarknet (built with -ffast-math, whose start-up code sets the CPU's
     * flush-to-zero and denormals-are-zero modes) compares subnormals as 0. */
    CHECK(dt_parse_double("1e-320", &d) == 0);
    CHECK(dt_parse_double("1e-400", &d) == 0 && d == 0);                /* below them, rounded to 0 */
    CHECK(dt_parse_long("42", &l) == 0 && l == 42);
    CHECK(dt_parse_long("4.2", &l) == -1);
    CHECK(dt_parse_long("99999999999999999999", &l) == -1);
    CHECK(dt_parse_duration("90s", &d) == 0 && d == 90);
    CHECK(dt_parse_duration("15m", &d) == 0 && d == 900);
    CHECK(dt_parse_duration("1.5h", &d) == 0 && d == 5400);
    CHECK(dt_parse_duration("2", &d) == 0 && d == 2);
    CHECK(dt_parse_duration("2 h", &d) == 0 && d == 7200);
    CHECK(dt_parse_duration("2x", &d) == -1);
    CHECK(dt_parse_duration("-1s", &d) == -1);
    CHECK(dt_parse_duration("h", &d) == -1);
    CHECK(dt_parse_bool("Yes") == 1 && dt_parse_bool("off") == 0 && dt_parse_bool("maybe") == -1);
}

static void test_paths(void)
{
    char *p;
    CHECK_STR(p = dt_path_join("/a/b", "c.ini"), "/a/b/c.ini");
    free(p);
    CHECK_STR(p = dt_path_join("/a/b/", "../c/./d"), "/a/c/d");
    free(p);
    CHECK_STR(p = dt_path_join("/a/b", "/x/y"), "/x/y");
    free(p);
    CHECK_STR(p = dt_path_join("a", "b"), "a/b");
    free(p);
    CHECK_STR(p = dt_path_join(".", "b"), "b");
    free(p);
    CHECK_STR(p = dt_path_join("/a", "../../.."), "/");
    free(p);
    CHECK_STR(p = dt_dirname("a/b.ini"), "a");
    free(p);
    CHECK_STR(p = dt_dirname("b.ini"), ".");
    free(p);
    CHECK_STR(p = dt_dirname("/b.ini"), "/");
    free(p);
    CHECK_STR(dt_basename("x/y/z.cfg"), "z.cfg");
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    char *want = dt_xasprintf("%s/tests", cwd);
    CHECK_STR(p = dt_abspath("./tests/../tests/."), want);
    free(p);
    free(want);
    CHECK(dt_file_exists("Makefile") && !dt_file_exists("tests") && dt_dir_exists("tests"));
    p = dt_which("sh");
    CHECK(p && p[0] == '/');
    free(p);
    CHECK(dt_which("no-such-program-here") == NULL);
    CHECK(dt_which("tests") == NULL);   /* a folder is not a program */
}

static void test_files(void)
{
    dt_err err;
    CHECK(dt_mkdirs("tests/tmp/util/a/b", &err) == 0 && dt_dir_exists("tests/tmp/util/a/b"));
    CHECK(dt_write_file("tests/tmp/util/a/f.txt", "one\0two", 7, &err) == 0);
    char *buf;
    size_t n;
    CHECK(dt_read_file("tests/tmp/util/a/f.txt", &buf, &n, &err) == 0 && n == 7 && memcmp(buf, "one\0two", 7) == 0);
    free(buf);
    CHECK(dt_read_file("tests/tmp/util/none", &buf, &n, &err) == -1);
    CHECK(strstr(err.msg, "cannot open 'tests/tmp/util/none'") != NULL);
    CHECK(dt_mkdirs("tests/tmp/util/a/f.txt/x", &err) == -1);
}

static void test_hints(void)
{
    const char *keys[] = {"learning_rate", "momentum", "decay", "batch"};
    CHECK(dt_levenshtein("kitten", "sitting") == 3);
    CHECK_STR(dt_nearest("learning_rat", keys, 4), "learning_rate");
    CHECK_STR(dt_nearest("momentun", keys, 4), "momentum");
    CHECK(dt_nearest("subdivisions", keys, 4) == NULL);
}

static void test_buf(void)
{
    dt_buf b = {0};
    for (int i = 0; i < 1000; i++) dt_buf_printf(&b, "%d,", i);
    CHECK(b.len == strlen(b.p));
    CHECK(strncmp(b.p, "0,1,2,", 6) == 0 && strcmp(b.p + b.len - 4, "999,") == 0);
    dt_buf_free(&b);
    CHECK(b.p == NULL && b.len == 0);
}

static void test_rng(void)
{
    dt_rng a, b;
    dt_rng_seed(&a, 7, 3);
    dt_rng_seed(&b, 7, 3);
    int same = 1;
    for (int i = 0; i < 100; i++) same &= dt_rng_u64(&a) == dt_rng_u64(&b);
    CHECK(same);
    dt_rng_seed(&b, 7, 4);
    CHECK(dt_rng_u64(&a) != dt_rng_u64(&b));
    /* Moments of 100k draws: uniform mean 1/2, variance 1/12; normal mean 0, variance 1. */
    double su = 0, su2 = 0, sn = 0, sn2 = 0;
    int counts[7] = {0};
    const int N = 100000;
    for (int i = 0; i < N; i++) {
        double u = dt_rng_uniform(&a), z = dt_rng_normal(&a);
        su += u, su2 += u * u, sn += z, sn2 += z * z;
        counts[dt_rng_below(&a, 7)]++;
    }
    CHECK_NEAR(su / N, 0.5, 0.01);
    CHECK_NEAR(su2 / N - (su / N) * (su / N), 1.0 / 12, 0.003);
    CHECK_NEAR(sn / N, 0.0, 0.02);
    CHECK_NEAR(sn2 / N, 1.0, 0.03);
    for (int k = 0; k < 7; k++) CHECK_NEAR(counts[k], N / 7.0, 600);
    int perm[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, seen = 0;
    dt_rng_shuffle(&a, perm, 10);
    for (int i = 0; i < 10; i++) seen |= 1 << perm[i];
    CHECK(seen == 0x3ff);
}

/* dt_file_cap: a long file keeps whole lines of its head and tail, and says what went. */
static void test_cap(void)
{
    const char *path = "tests/tmp/cap.txt";
    dt_err err;
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 1000; i++) fprintf(f, "line %04d\n", i);   /* 10 bytes each */
    fclose(f);
    CHECK(dt_file_cap(path, 20000, 20000, &err) == 0);                /* short enough: kept */
    CHECK(dt_file_cap(path, 105, 95, &err) == 1);
    char *text;
    size_t len;
    CHECK(dt_read_file(path, &text, &len, &err) == 0);
    CHECK(strncmp(text, "line 0000\nline 0001\n", 20) == 0);      /* the head, whole lines */
    CHECK(strstr(text, "line 0009\n\n==== darktune: log capped: 9810 bytes left out here") != NULL);
    size_t tl = strlen(text);
    CHECK(tl > 20 && strcmp(text + tl - 20, "line 0998\nline 0999\n") == 0);   /* the tail */
    CHECK(strstr(text, "line 0500") == NULL);
    free(text);
    unlink(path);
    CHECK(dt_file_cap("tests/tmp/none.txt", 1, 1, &err) == 0);      /* absent: nothing to do */
}

/* dt_cgroup_end: a folder that is no cgroup is left alone (a store may name anything);
 * one that is, with a process in it, is emptied by force and removed. */
static void test_cgroup(void)
{
    dt_err err;
    CHECK(dt_mkdirs("tests/tmp/not-a-cgroup", &err) == 0);
    CHECK(dt_cgroup_end("tests/tmp/not-a-cgroup", 0.1) == -1);
    CHECK(dt_dir_exists("tests/tmp/not-a-cgroup"));
    CHECK(dt_cgroup_end("tests/tmp/no-such-cgroup", 0.1) == 0);   /* gone already */
    char own[512];
    if (dt_cgroup_own(own, sizeof own) != 0) {
        SKIP("no writable cgroup v2 here: dt_cgroup_end on a real cgroup is not checked");
        return;
    }
    CHECK(own[0] == '/' && dt_dir_exists(own));
    char *cg = dt_xasprintf("%s/darktune.test.%ld", own, (long)getpid());
    char *procs = dt_xasprintf("%s/cgroup.procs", cg);
    CHECK(mkdir(cg, 0755) == 0);
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)child);
    FILE *f = fopen(procs, "w");
    CHECK(f && fputs(pid, f) >= 0 && fclose(f) == 0);
    CHECK(dt_cgroup_end(cg, 2.0) == 0);
    int status = 0;
    pid_t w = 0;
    for (int i = 0; i < 100 && w == 0; i++) {
        w = waitpid(child, &status, WNOHANG);
        if (w == 0) usleep(10000);
    }
    CHECK(w == child && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    if (w == 0) {   /* not ended by it: not left behind by the test either */
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    CHECK(!dt_dir_exists(cg));
    free(procs);
    free(cg);
}

/* dt_median sorts in place and takes the middle, or the mean of the two middle values. */
static void test_median(void)
{
    double odd[] = {3, -1, 2}, even[] = {0.9, 0.7, 0.8, 0.75}, one[] = {5};
    CHECK(dt_median(odd, 3) == 2);
    CHECK(odd[0] == -1 && odd[1] == 2 && odd[2] == 3);
    CHECK(fabs(dt_median(even, 4) - 0.775) < 1e-12);
    CHECK(even[0] == 0.7 && even[3] == 0.9);
    CHECK(dt_median(one, 1) == 5);
}

int main(void)
{
    test_numbers();
    test_paths();
    test_files();
    test_hints();
    test_buf();
    test_rng();
    test_cap();
    test_cgroup();
    test_median();
    return dt_test_done("util");
}
