/* test_pareto: dominance, non-domination ranks, hypervolume, contributions and the knee
 * (plugin/dt_pareto.c). Hand-checked sets (2, 3 and 4 objectives, duplicates, points
 * beyond ref, ties); then random sets: the hypervolume against an exact union of grid
 * cells, contributions against differences of hypervolumes, ranks against peeling
 * fronts by the definition.
 *
 *   test_pareto                 the checks
 *   test_pareto --sets FILE     each set of FILE (tests/pareto_optuna.py writes them):
 *                               "hv ID VALUE" and "rank ID R..." lines, as the script
 *                               prints Optuna's (tests/t_pareto.sh compares them) */
#include "dt_pareto.h"
#include "dt_rng.h"
#include "dt_test.h"
#include "dt_util.h"

#include <stdlib.h>

/* The volume of the union of the boxes [p, ref) by brute force: the points' and ref's
 * coordinates cut each axis into intervals, and a cell of that grid is inside the union
 * when some point is <= its lower corner. Exact, and (n + 1)^m cells. */
static double grid_hv(const double *pts, int n, int m, const double *ref)
{
    double *cuts = malloc((size_t)m * (n + 1) * sizeof *cuts);
    int *nc = malloc((size_t)m * sizeof *nc), *at = calloc((size_t)m, sizeof *at);
    for (int c = 0; c < m; c++) {
        double *cc = cuts + (size_t)c * (n + 1);
        int k = 0;
        for (int i = 0; i < n; i++)
            if (pts[(size_t)i * m + c] < ref[c]) cc[k++] = pts[(size_t)i * m + c];
        cc[k++] = ref[c];
        for (int i = 1; i < k; i++)
            for (int j = i; j > 0 && cc[j - 1] > cc[j]; j--) {
                double t = cc[j];
                cc[j] = cc[j - 1];
                cc[j - 1] = t;
            }
        nc[c] = k;
    }
    double hv = 0;
    for (;;) {
        double vol = 1;
        int inside = 0;
        for (int c = 0; c < m; c++) {
            const double *cc = cuts + (size_t)c * (n + 1);
            vol *= at[c] + 1 < nc[c] ? cc[at[c] + 1] - cc[at[c]] : 0;
        }
        if (vol > 0)
            for (int i = 0; i < n && !inside; i++) {
                int c = 0;
                while (c < m && pts[(size_t)i * m + c] <= cuts[(size_t)c * (n + 1) + at[c]]) c++;
                inside = c == m;
            }
        if (inside) hv += vol;
        int c = 0;
        while (c < m && ++at[c] >= nc[c]) at[c++] = 0;
        if (c == m) break;
    }
    free(cuts);
    free(nc);
    free(at);
    return hv;
}

/* Ranks by the definition: the points no remaining point dominates form the next front. */
static void peel_ranks(const double *pts, int n, int m, int *rank)
{
    int left = n;
    for (int i = 0; i < n; i++) rank[i] = -1;
    for (int r = 0; left > 0; r++) {
        int *front = calloc((size_t)n, sizeof *front);
        for (int i = 0; i < n; i++) {
            if (rank[i] >= 0) continue;
            int dom = 0;
            for (int k = 0; k < n && !dom; k++)
                dom = rank[k] < 0 && dt_pareto_dominates(pts + (size_t)k * m, pts + (size_t)i * m, m);
            front[i] = !dom;
        }
        for (int i = 0; i < n; i++)
            if (front[i]) {
                rank[i] = r;
                left--;
            }
        free(front);
    }
}

static void test_dominates(void)
{
    double a[] = {1, 2}, b[] = {1, 3}, c[] = {0, 4}, d[] = {1, 2};
    CHECK(dt_pareto_dominates(a, b, 2));
    CHECK(!dt_pareto_dominates(b, a, 2));
    CHECK(!dt_pareto_dominates(a, c, 2) && !dt_pareto_dominates(c, a, 2));
    CHECK(!dt_pareto_dominates(a, d, 2));   /* equal: neither */
    double e[] = {0, 0, 0}, f[] = {0, 0, 1};
    CHECK(dt_pareto_dominates(e, f, 3) && !dt_pareto_dominates(f, e, 3));
}

static void test_ranks(void)
{
    /* Front (1,3) (2,2) (3,1) with (2,2) twice; (3,2) behind (2,2); (3,3) behind (3,2); (4,4) behind that. */
    double p[] = {3, 3, 1, 3, 2, 2, 4, 4, 3, 1, 2, 2, 3, 2};
    int want[] = {2, 0, 0, 3, 0, 0, 1}, r[7];
    dt_pareto_ranks(p, 7, 2, r);
    int same = 1;
    for (int i = 0; i < 7; i++) same &= r[i] == want[i];
    CHECK(same);
    /* 3 objectives: (0,0,1) and (1,1,0) the front; (1,1,1) behind both; (2,2,2) behind it; (1,1,1) again. */
    double q[] = {1, 1, 1, 0, 0, 1, 2, 2, 2, 1, 1, 0, 1, 1, 1};
    int want3[] = {1, 0, 2, 0, 1}, r3[5];
    dt_pareto_ranks(q, 5, 3, r3);
    same = 1;
    for (int i = 0; i < 5; i++) same &= r3[i] == want3[i];
    CHECK(same);
    /* One objective: ranks by value, equal values sharing one. */
    double s[] = {2, 0.5, 2, 1}, r1w[] = {2, 0, 2, 1};
    int r1[4];
    dt_pareto_ranks(s, 4, 1, r1);
    CHECK(r1[0] == r1w[0] && r1[1] == r1w[1] && r1[2] == r1w[2] && r1[3] == r1w[3]);
}

static void test_hv(void)
{
    double ref2[] = {4, 4};
    double p[] = {1, 3, 2, 2, 3, 1};
    CHECK_NEAR(dt_pareto_hv(p, 3, 2, ref2), 6, 1e-12);   /* 3 + 2 + 1 */
    /* The same front with a duplicate, a dominated point, points beyond ref and one on its edge. */
    double q[] = {3, 3, 1, 3, 2, 2, 2, 2, 5, 0, 3, 1, 0, 4, 4, 4};
    CHECK_NEAR(dt_pareto_hv(q, 8, 2, ref2), 6, 1e-12);
    CHECK(dt_pareto_hv(q, 0, 2, ref2) == 0);
    double beyond[] = {5, 0, 0, 4};
    CHECK(dt_pareto_hv(beyond, 2, 2, ref2) == 0);

    double ref3[] = {1, 2, 3}, one[] = {0, 0, 0};
    CHECK_NEAR(dt_pareto_hv(one, 1, 3, ref3), 6, 1e-12);
    double two[] = {0, 0, 1, 1, 1, 0}, r3[] = {2, 2, 2};
    CHECK_NEAR(dt_pareto_hv(two, 2, 3, r3), 5, 1e-12);   /* 4 + 2 - 1 */
    /* Three points of the unit simplex's corners, ref (1,1,1): 1 - (what none covers) by inclusion-exclusion. */
    double corners[] = {0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5};
    double ones[] = {1, 1, 1};
    /* Each box 1 x .5 x .5 = .25; pairwise intersections .5^3 = .125; the triple .125. */
    CHECK_NEAR(dt_pareto_hv(corners, 4, 3, ones), 3 * 0.25 - 3 * 0.125 + 0.125, 1e-12);

    double four[] = {0, 0, 0, 1, 1, 1, 1, 0}, r4[] = {2, 2, 2, 2};
    CHECK_NEAR(dt_pareto_hv(four, 2, 4, r4), 9, 1e-12);   /* 8 + 2 - 1 */
    double five[] = {0, 0, 0, 0, 1}, r5[] = {1, 2, 3, 4, 5};
    CHECK_NEAR(dt_pareto_hv(five, 1, 5, r5), 1 * 2 * 3 * 4 * 4, 1e-12);
    double r1[] = {3}, line[] = {2, 1, 5};
    CHECK_NEAR(dt_pareto_hv(line, 3, 1, r1), 2, 1e-12);
}

static void test_contrib(void)
{
    double ref2[] = {4, 4};
    double p[] = {1, 3, 2, 2, 3, 1, 3, 3, 5, 0};
    double c[5];
    dt_pareto_contrib(p, 5, 2, ref2, c);
    CHECK_NEAR(c[0], 1, 1e-12);
    CHECK_NEAR(c[1], 1, 1e-12);
    CHECK_NEAR(c[2], 1, 1e-12);
    CHECK(c[3] == 0);   /* dominated by (2,2) */
    CHECK(c[4] == 0);   /* beyond ref */
    /* A point given twice: taking either away loses nothing. */
    double d[] = {1, 3, 2, 2, 2, 2};
    dt_pareto_contrib(d, 3, 2, ref2, c);
    CHECK_NEAR(c[0], 1, 1e-12);   /* its box (4-1) x (4-3) less what (2,2) covers of it, (4-2) x (4-3) */
    CHECK(c[1] == 0 && c[2] == 0);
    double two[] = {0, 0, 1, 1, 1, 0}, r3[] = {2, 2, 2};
    dt_pareto_contrib(two, 2, 3, r3, c);
    CHECK_NEAR(c[0], 3, 1e-12);
    CHECK_NEAR(c[1], 1, 1e-12);
}

static void test_knee(void)
{
    double p[] = {0, 1, 1, 0, 0.4, 0.4};
    CHECK(dt_pareto_knee(p, 3, 2) == 2);
    CHECK(dt_pareto_knee(p, 2, 2) == 0);   /* (0,1) and (1,0) tie: the first */
    double q[] = {1, 0, 0, 1};
    CHECK(dt_pareto_knee(q, 2, 2) == 0);
    CHECK(dt_pareto_knee(p, 0, 2) == -1);
    /* Scaled: (2, 80) is (0.17, 0.8), the nearest; unscaled, (12, 0) would be. */
    double s[] = {0, 100, 2, 80, 10, 40, 12, 0};
    CHECK(dt_pareto_knee(s, 4, 2) == 1);
    double one[] = {5, 5};
    CHECK(dt_pareto_knee(one, 1, 2) == 0);   /* every objective equal: scaled to 0 */
}

/* Random sets of m objectives: hv against grid_hv; contributions against hv differences;
 * ranks against peel_ranks. Coordinates on a coarse grid half the time, so that ties
 * and duplicates are frequent. */
static void test_random(int m, int sets, int maxn)
{
    dt_rng rng;
    dt_rng_seed(&rng, 7, (uint64_t)m);
    int hv_ok = 0, contrib_ok = 0, ranks_ok = 0;
    for (int s = 0; s < sets; s++) {
        int n = 1 + (int)dt_rng_below(&rng, (uint64_t)maxn), coarse = s % 2;
        double *p = malloc((size_t)n * m * sizeof *p), *c = malloc((size_t)n * sizeof *c);
        double *without = malloc((size_t)n * m * sizeof *without), ref[8];
        int *r = malloc(2 * (size_t)n * sizeof *r);
        for (int i = 0; i < n * m; i++)
            p[i] = coarse ? (double)dt_rng_below(&rng, 5) : dt_rng_uniform(&rng) * 10 - 2;
        for (int j = 0; j < m; j++) ref[j] = coarse ? 4 : 6 + dt_rng_uniform(&rng);
        double hv = dt_pareto_hv(p, n, m, ref), want = grid_hv(p, n, m, ref);
        hv_ok += fabs(hv - want) <= 1e-9 * (fabs(want) > 1 ? fabs(want) : 1);
        dt_pareto_contrib(p, n, m, ref, c);
        int good = 1;
        for (int i = 0; i < n; i++) {
            memcpy(without, p, (size_t)i * m * sizeof *p);
            memcpy(without + (size_t)i * m, p + (size_t)(i + 1) * m, (size_t)(n - 1 - i) * m * sizeof *p);
            double lost = hv - dt_pareto_hv(without, n - 1, m, ref);
            good &= fabs(c[i] - lost) <= 1e-9 * (hv > 1 ? hv : 1) && c[i] >= 0;
        }
        contrib_ok += good;
        dt_pareto_ranks(p, n, m, r);
        peel_ranks(p, n, m, r + n);
        ranks_ok += memcmp(r, r + n, (size_t)n * sizeof *r) == 0;
        free(p);
        free(c);
        free(without);
        free(r);
    }
    printf("  %d objectives, %d random sets: hv %d, contributions %d, ranks %d agree\n", m, sets, hv_ok, contrib_ok,
           ranks_ok);
    CHECK(hv_ok == sets);
    CHECK(contrib_ok == sets);
    CHECK(ranks_ok == sets);
}

/* --sets FILE: "set ID M N", "ref R...", N lines "p X..."; prints "hv ID V" and "rank ID R...". */
static int run_sets(const char *path)
{
    char *buf;
    size_t len;
    dt_err err;
    if (dt_read_file(path, &buf, &len, &err) != 0) {
        fprintf(stderr, "test_pareto: %s\n", err.msg);
        return 1;
    }
    char *at = buf, *end;
    for (;;) {
        while (*at == ' ' || *at == '\n') at++;
        if (!*at) break;
        if (strncmp(at, "set ", 4) != 0) {
            fprintf(stderr, "test_pareto: %s: expected 'set' at '%.20s'\n", path, at);
            free(buf);
            return 1;
        }
        at += 4;
        long id = strtol(at, &end, 10), m = strtol(end, &at, 10), n = strtol(at, &end, 10);
        at = end;
        double *ref = malloc((size_t)m * sizeof *ref), *p = malloc((size_t)(n > 0 ? n : 1) * m * sizeof *p);
        int *r = malloc((size_t)(n > 0 ? n : 1) * sizeof *r);
        while (*at == ' ' || *at == '\n') at++;
        at += 3;   /* "ref" */
        for (long j = 0; j < m; j++) ref[j] = strtod(at, &at);
        for (long i = 0; i < n; i++) {
            while (*at == ' ' || *at == '\n') at++;
            at += 1;   /* "p" */
            for (long j = 0; j < m; j++) p[i * m + j] = strtod(at, &at);
        }
        printf("hv %ld %.17g\n", id, dt_pareto_hv(p, (int)n, (int)m, ref));
        dt_pareto_ranks(p, (int)n, (int)m, r);
        printf("rank %ld", id);
        for (long i = 0; i < n; i++) printf(" %d", r[i]);
        printf("\n");
        free(ref);
        free(p);
        free(r);
    }
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--sets") == 0) return run_sets(argv[2]);
    test_dominates();
    test_ranks();
    test_hv();
    test_contrib();
    test_knee();
    test_random(2, 300, 12);
    test_random(3, 300, 10);
    test_random(4, 120, 8);
    test_random(5, 40, 6);
    return dt_test_done("pareto");
}
