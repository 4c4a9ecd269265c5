/* test_fanova: parameter importance by fANOVA.
 *
 * With no argument: the unit checks. Shares of an additive function whose shares are
 * known (y = 2 a + b on uniform a, b: 4/5 and 1/5), a choice that decides everything,
 * a parameter the objective ignores, the parameters that get 0 or NAN, which trials
 * count, the seed, the errors, and the time for 300 trials of 10 parameters.
 *
 * With arguments, the tool tests/t_fanova.sh compares with Optuna:
 *   test_fanova --shares SPACE CSV SEED   prints "name share" per parameter
 *   test_fanova --fixture SPACE N SEED    writes N trials of the fixture's function as CSV
 * SPACE holds "name = distribution" lines (a sweep's [space]); CSV has the columns
 * number,state,value and one per parameter of SPACE, in its order (an empty field:
 * inactive). */
#include "dt_fanova.h"
#include "dt_test.h"
#include "dt_test_space.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* A trial of space s, COMPLETE with the given value, its parameters from numbers
 * (a choice's number is its index). */
static void set_trial(const dt_space *s, dt_trial *t, int number, double value, const double *x)
{
    dt_trial_init(t, s->n);
    t->number = number;
    t->state = DT_COMPLETE;
    t->value = value;
    for (int j = 0; j < s->n; j++) {
        const dt_param *p = &s->p[j];
        if (p->kind == DT_CHOICE || p->kind == DT_FIXED) dt_value_choice(p, (int)x[j], &t->values[j]);
        else dt_value_num(p, x[j], &t->values[j]);
    }
    dt_space_activate(s, t->values);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* y = 2a + b + 0 c + noise: a main-effects function whose shares are the variances
 * of its terms (a, b uniform on [0, 1]): 4/5, 1/5, 0. */
static void test_additive(void)
{
    dt_space s = {0};
    dt_test_add(&s, "a", "uniform(0, 1)", NULL, NULL);
    dt_test_add(&s, "b", "uniform(0, 1)", NULL, NULL);
    dt_test_add(&s, "c", "uniform(0, 1)", NULL, NULL);
    dt_test_add(&s, "fixed", "0.9", NULL, NULL);
    dt_err err = {0};
    CHECK(dt_space_resolve(&s, &err) == 0);
    int n = 200;
    dt_trial *ts = dt_xcalloc((size_t)n, sizeof *ts);
    dt_rng r;
    dt_rng_seed(&r, 3, 0);
    for (int i = 0; i < n; i++) {
        double x[4] = {dt_rng_uniform(&r), dt_rng_uniform(&r), dt_rng_uniform(&r), 0};
        set_trial(&s, &ts[i], i, 2 * x[0] + x[1] + 0.01 * dt_rng_normal(&r), x);
    }
    double sh[4];
    CHECK(dt_fanova_importance(&s, ts, n, 7, sh, &err) == n);
    printf("additive: a %.3f b %.3f c %.3f fixed %.3f (want 0.8 0.2 0 0)\n", sh[0], sh[1], sh[2], sh[3]);
    CHECK_NEAR(sh[0], 0.8, 0.05);
    CHECK_NEAR(sh[1], 0.2, 0.05);
    CHECK(sh[2] >= 0 && sh[2] < 0.02);
    CHECK(sh[3] == 0);
    CHECK_NEAR(sh[0] + sh[1] + sh[2], 1, 1e-9);

    /* The seed: the same shares again, other (close) shares from another. */
    double again[4], other[4];
    CHECK(dt_fanova_importance(&s, ts, n, 7, again, &err) == n);
    CHECK(memcmp(sh, again, sizeof sh) == 0);
    CHECK(dt_fanova_importance(&s, ts, n, 8, other, &err) == n);
    CHECK(other[0] != sh[0]);
    CHECK_NEAR(other[0], sh[0], 0.03);

    /* The direction does not matter: -y has the same variance decomposition. */
    for (int i = 0; i < n; i++) ts[i].value = -ts[i].value;
    CHECK(dt_fanova_importance(&s, ts, n, 7, other, &err) == n);
    CHECK_NEAR(other[0], sh[0], 1e-9);
    CHECK_NEAR(other[1], sh[1], 1e-9);

    /* Only COMPLETE trials with a finite value count. */
    ts[0].state = DT_PRUNED;
    ts[1].state = DT_FAIL;
    ts[2].value = NAN;
    ts[3].state = DT_RUNNING;
    CHECK(dt_fanova_importance(&s, ts, n, 7, other, &err) == n - 4);
    /* A baseline with a value outside its range is left out. */
    dt_value_text(&s.p[0], "1.5", &ts[4].values[0]);
    ts[4].values[0].active = 1;
    CHECK(dt_fanova_importance(&s, ts, n, 7, other, &err) == n - 5);

    /* The errors: fewer than two trials; one value for all; one point for all. */
    CHECK(dt_fanova_importance(&s, ts + 5, 1, 7, other, &err) == -1);
    CHECK_STR(err.msg, "parameter importance needs 2 complete trials, there is 1");
    CHECK(dt_fanova_importance(&s, ts, 4, 7, other, &err) == -1);
    CHECK_STR(err.msg, "parameter importance needs 2 complete trials, there are 0");
    for (int i = 5; i < 15; i++) ts[i].value = 0.5;
    CHECK(dt_fanova_importance(&s, ts + 5, 10, 7, other, &err) == -1);
    CHECK_STR(err.msg, "parameter importance needs different values: all 10 complete trials have 0.5");
    CHECK(other[0] == 0 && other[3] == 0);
    for (int i = 5; i < 15; i++) {
        ts[i].value = i;
        memcpy(ts[i].values, ts[5].values, sizeof(dt_value) * (size_t)s.n);
    }
    CHECK(dt_fanova_importance(&s, ts + 5, 10, 7, other, &err) == -1);
    CHECK_STR(err.msg, "parameter importance needs trials at different points: all 10 complete trials have the "
                       "same parameters");
    dt_trials_free(ts, n);
    dt_space_free(&s);
}

/* A choice that decides the objective, a number it ignores, a conditional parameter
 * (inactive in some trials: not assessed), a choice of one word (cannot vary). */
static void test_choice(void)
{
    dt_space s = {0};
    dt_test_add(&s, "policy", "choice(constant, steps, poly)", NULL, NULL);
    dt_test_add(&s, "lr", "log(1e-4, 1e-1)", NULL, NULL);
    dt_test_add(&s, "one", "choice(only)", NULL, NULL);
    dt_test_add(&s, "power", "uniform(1, 4)", "policy", "poly");
    dt_err err = {0};
    CHECK(dt_space_resolve(&s, &err) == 0);
    int n = 90;
    dt_trial *ts = dt_xcalloc((size_t)n, sizeof *ts);
    dt_rng r;
    dt_rng_seed(&r, 5, 0);
    const double effect[3] = {0.1, 0.5, 0.3};
    for (int i = 0; i < n; i++) {
        int k = i % 3;
        double x[4] = {k, 1e-4 * pow(1e3, dt_rng_uniform(&r)), 0, 1 + 3 * dt_rng_uniform(&r)};
        set_trial(&s, &ts[i], i, effect[k] + 0.001 * dt_rng_normal(&r), x);
    }
    int ip = dt_space_find(&s, "policy"), il = dt_space_find(&s, "lr"), io = dt_space_find(&s, "one"),
        iw = dt_space_find(&s, "power");
    double sh[4];
    CHECK(dt_fanova_importance(&s, ts, n, 1, sh, &err) == n);
    printf("choice: policy %.3f lr %.3f one %.3f power %g\n", sh[ip], sh[il], sh[io], sh[iw]);
    CHECK(sh[ip] > 0.98);
    CHECK(sh[il] < 0.02);
    CHECK(sh[io] == 0);
    CHECK(isnan(sh[iw]));
    dt_trials_free(ts, n);
    dt_space_free(&s);
}

/* The report calls this at the end of every run: 300 trials of 10 parameters (one a
 * choice of 4) must take well under a second. */
static void test_speed(void)
{
    dt_space s = {0};
    char name[16];
    for (int j = 0; j < 9; j++) {
        snprintf(name, sizeof name, "p%d", j);
        dt_test_add(&s, name, j % 3 == 0 ? "log(1e-5, 1)" : j % 3 == 1 ? "uniform(0, 1)" : "int(0, 1000)", NULL, NULL);
    }
    dt_test_add(&s, "k", "choice(a, b, c, d)", NULL, NULL);
    dt_err err = {0};
    CHECK(dt_space_resolve(&s, &err) == 0);
    int n = 300;
    dt_trial *ts = dt_xcalloc((size_t)n, sizeof *ts);
    dt_rng r;
    dt_rng_seed(&r, 9, 0);
    for (int i = 0; i < n; i++) {
        double x[10], y = 0;
        for (int j = 0; j < 9; j++) {
            x[j] = s.p[j].low + (s.p[j].high - s.p[j].low) * dt_rng_uniform(&r);
            y += sin((j + 1) * x[j] / (s.p[j].high - s.p[j].low));
        }
        x[9] = (double)dt_rng_below(&r, 4);
        y += x[9] * 0.3 + 0.1 * dt_rng_normal(&r);
        set_trial(&s, &ts[i], i, y, x);
    }
    double sh[10], t0 = now();
    CHECK(dt_fanova_importance(&s, ts, n, 1, sh, &err) == n);
    double secs = now() - t0, sum = 0;
    for (int j = 0; j < 10; j++) sum += sh[j];
    printf("speed: 300 trials x 10 parameters in %.3f s\n", secs);
    CHECK(secs < 1.0);
    CHECK_NEAR(sum, 1, 1e-9);
    dt_trials_free(ts, n);
    dt_space_free(&s);
}

/* Reads SPACE: "name = distribution" lines; blank lines, comments (; #) and
 * [section] lines are skipped. */
static int read_space(const char *path, dt_space *s, dt_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return dt_errf(err, "cannot open '%s': %s", path, strerror(errno));
    char line[512];
    int ln = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        char *l = dt_trim(line);
        if (!*l || *l == ';' || *l == '#' || *l == '[') continue;
        char *eq = strchr(l, '=');
        char *c = strstr(l, " ;");
        if (c) *c = 0;
        if (!eq) {
            fclose(f);
            return dt_errf(err, "%s:%d: expected 'name = distribution'", path, ln);
        }
        *eq = 0;
        dt_param p = {0};
        p.name = dt_xstrdup(dt_trim(l));
        p.line = ln;
        if (dt_param_parse(&p, eq + 1, err) != 0) {
            fclose(f);
            dt_param_free(&p);
            return dt_errf(err, "%s:%d: %s", path, ln, err->msg);
        }
        dt_space_add(s, p);
    }
    fclose(f);
    return dt_space_resolve(s, err);
}

/* Reads CSV (see the top of this file) into trials of s. */
static int read_trials(const char *path, const dt_space *s, dt_trial **out, int *n, dt_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return dt_errf(err, "cannot open '%s': %s", path, strerror(errno));
    char line[4096];
    int ln = 0, cap = 0;
    *out = NULL;
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        if (ln++ == 0) continue;   /* the header */
        line[strcspn(line, "\r\n")] = 0;
        if (!*line) continue;
        if (*n == cap) *out = dt_xrealloc(*out, sizeof **out * (size_t)(cap = cap ? 2 * cap : 64));
        dt_trial *t = &(*out)[(*n)++];
        dt_trial_init(t, s->n);
        char *rest = line, *field;
        int col = 0;
        /* strsep keeps empty fields (an inactive parameter). */
        while ((field = strsep(&rest, ",")) != NULL) {
            long num;
            if (col == 0 && dt_parse_long(field, &num) == 0) t->number = (int)num;
            else if (col == 1) t->state = dt_state_parse(field) < 0 ? DT_FAIL : (dt_state)dt_state_parse(field);
            else if (col == 2 && dt_parse_double(field, &t->value) != 0) t->value = NAN;
            else if (col >= 3 && col - 3 < s->n && *field) {
                dt_value_text(&s->p[col - 3], field, &t->values[col - 3]);
                t->values[col - 3].active = 1;
            }
            col++;
        }
        if (col != 3 + s->n) {
            fclose(f);
            return dt_errf(err, "%s:%d: %d fields, want %d", path, ln, col, 3 + s->n);
        }
    }
    fclose(f);
    return 0;
}

static int cmd_shares(const char *space, const char *csv, const char *seed_text)
{
    dt_space s = {0};
    dt_trial *ts = NULL;
    int n = 0;
    long seed;
    dt_err err = {0};
    if (dt_parse_long(seed_text, &seed) != 0) {
        fprintf(stderr, "test_fanova: '%s' is not a seed\n", seed_text);
        return 2;
    }
    if (read_space(space, &s, &err) != 0 || read_trials(csv, &s, &ts, &n, &err) != 0) {
        fprintf(stderr, "test_fanova: %s\n", err.msg);
        return 2;
    }
    double *sh = dt_xmalloc(sizeof(double) * (size_t)(s.n ? s.n : 1));
    int rc = dt_fanova_importance(&s, ts, n, (uint64_t)seed, sh, &err);
    if (rc < 0) fprintf(stderr, "test_fanova: %s\n", err.msg);
    else
        for (int j = 0; j < s.n; j++) printf("%s %.6f\n", s.p[j].name, sh[j]);
    free(sh);
    dt_trials_free(ts, n);
    dt_space_free(&s);
    return rc < 0 ? 1 : 0;
}

/* The fixture's objective (a top-1 in [0, 1]): a learning rate best near 0.02 on a
 * log scale, a mild momentum slope, a policy worth a few points, burn_in nearly
 * irrelevant, and noise. Written for tests/fanova/trials.csv. */
static double fixture_objective(double lr, double momentum, double burn_in, int policy, dt_rng *r)
{
    const double by_policy[3] = {0.0, 0.06, 0.03};  /* constant, steps, poly */
    double d = log10(lr) - log10(0.02);
    return 0.82 - 0.06 * d * d + 0.12 * (momentum - 0.5) + by_policy[policy] + 0.0001 * burn_in +
           0.01 * dt_rng_normal(r);
}

static int cmd_fixture(const char *space, const char *count, const char *seed_text)
{
    dt_space s = {0};
    dt_err err = {0};
    long n, seed;
    if (dt_parse_long(count, &n) != 0 || dt_parse_long(seed_text, &seed) != 0 || read_space(space, &s, &err) != 0) {
        fprintf(stderr, "test_fanova: %s\n", err.msg[0] ? err.msg : "want --fixture SPACE N SEED");
        return 2;
    }
    int ilr = dt_space_find(&s, "learning_rate"), im = dt_space_find(&s, "momentum"), ib = dt_space_find(&s, "burn_in"),
        ip = dt_space_find(&s, "policy");
    if (ilr < 0 || im < 0 || ib < 0 || ip < 0) {
        fprintf(stderr, "test_fanova: the fixture's space has learning_rate, momentum, burn_in and policy\n");
        dt_space_free(&s);
        return 2;
    }
    dt_value *v = dt_xcalloc((size_t)s.n, sizeof *v);
    printf("number,state,value");
    for (int j = 0; j < s.n; j++) printf(",%s", s.p[j].name);
    printf("\n");
    for (long i = 0; i < n; i++) {
        dt_rng r;
        dt_rng_seed(&r, (uint64_t)seed, (uint64_t)i);
        dt_space_sample(&s, &r, v);
        double y = fixture_objective(v[ilr].num, v[im].num, v[ib].num, v[ip].idx, &r);
        printf("%ld,COMPLETE,%.6f", i, y);
        for (int j = 0; j < s.n; j++) printf(",%s", v[j].active ? v[j].text : "");
        printf("\n");
    }
    free(v);
    dt_space_free(&s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--shares") == 0) return cmd_shares(argv[2], argv[3], argv[4]);
    if (argc == 5 && strcmp(argv[1], "--fixture") == 0) return cmd_fixture(argv[2], argv[3], argv[4]);
    if (argc != 1) {
        fprintf(stderr, "usage: test_fanova [--shares SPACE CSV SEED | --fixture SPACE N SEED]\n");
        return 2;
    }
    test_additive();
    test_choice();
    test_speed();
    return dt_test_done("fanova");
}
