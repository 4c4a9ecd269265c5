/* dt_test: the few macros darktune's C tests need (redis-style, in one header).
 * Each CHECK counts; SKIP("fmt", ...) counts a skip and prints "SKIP: reason" (say what is
 * missing and how to get it); dt_test_done prints "NAME: N passed, N failed, N skipped" and
 * returns the exit status (skips do not fail). */
#ifndef DT_TEST_H
#define DT_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int dt_test_pass, dt_test_fail, dt_test_skip;

#define CHECK(cond) do { \
    if (cond) dt_test_pass++; \
    else { dt_test_fail++; fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_STR(a, b) do { \
    const char *a_ = (a), *b_ = (b); \
    if (a_ && b_ && strcmp(a_, b_) == 0) dt_test_pass++; \
    else { dt_test_fail++; fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__, \
                                   b_ ? b_ : "(null)", a_ ? a_ : "(null)"); } \
} while (0)

#define CHECK_NEAR(a, b, tol) do { \
    double a_ = (a), b_ = (b); \
    if (fabs(a_ - b_) <= (tol)) dt_test_pass++; \
    else { dt_test_fail++; fprintf(stderr, "%s:%d: expected %g, got %g (tolerance %g)\n", __FILE__, __LINE__, \
                                   b_, a_, (double)(tol)); } \
} while (0)

/* SKIP("%s is missing: make data writes it", path): one line on stdout, as tests/lib.sh's skip. */
#define SKIP(...) do { \
    dt_test_skip++; \
    fputs("SKIP: ", stdout); \
    printf(__VA_ARGS__); \
    putchar('\n'); \
} while (0)

static int dt_test_done(const char *name)
{
    printf("%s: %d passed, %d failed, %d skipped\n", name, dt_test_pass, dt_test_fail, dt_test_skip);
    return dt_test_fail ? 1 : 0;
}

#endif
