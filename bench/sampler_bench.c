/* bench/sampler_bench: darktune's samplers on the functions of bench/problems.h, and
 * the time one suggestion takes with many finished trials. Driven by bench/sampler.sh,
 * which runs bench/optuna_bench.py beside it and prints both side by side.
 *
 *   sampler_bench quality random|tpe|tpe-uni SEEDS TRIALS   one line per (problem, seed):
 *                                                            regret after 25, 50, TRIALS
 *   sampler_bench speed tpe|tpe-uni N                       ms per suggestion after N trials
 *
 * Besides the functions, "darknet-table": the recorded Darknet runs of
 * bench/fashion.table (bench/record.sh; another file with $BENCH_TABLE), where a
 * configuration scores 1 - the final top-1 of its nearest recorded run (dt_table's
 * rule) and regret is that minus the table's best. Its space is the table's: log(min,
 * max) for log parameters, uniform(min, max) for linear ones, choice() of the recorded
 * words for categorical ones. Skipped, with a note, when the file is absent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/problems.h"
#include "dt_sampler.h"
#include "dt_space.h"
#include "dt_sampler.h"
#include "dt_table.h"

static void die(const char *msg)
{
    fprintf(stderr, "sampler_bench: %s\n", msg);
    exit(1);
}

/* A dt_space from a problem's [space] lines. */
static void build_space(const bench_problem *pb, dt_space *s)
{
    dt_err err;
    memset(s, 0, sizeof *s);
    for (int i = 0; i < pb->n; i++) {
        dt_param p;
        memset(&p, 0, sizeof p);
        if (dt_param_parse(&p, pb->p[i].spec, &err) != 0) die(err.msg);
        p.name = dt_xstrdup(pb->p[i].name);
        p.cond = -1;
        p.line = i + 1;
        if (pb->p[i].cond) {
            const char *eq = strchr(pb->p[i].cond, '=');
            p.cond_key = dt_xasprintf("%.*s", (int)(eq - pb->p[i].cond), pb->p[i].cond);
            p.cond_value = dt_xstrdup(eq + 1);
        }
        dt_space_add(s, p);
    }
    if (dt_space_resolve(s, &err) != 0) die(err.msg);
}

/* The sampler options a sweep would give: startup 10, candidates auto, multivariate or
 * not, minimizing. */
static dt_sampler_opts options(dt_sampler_kind kind, int multivariate)
{
    dt_sampler_opts o = {.kind = kind, .tpe = DT_TPE_OPTS_DEFAULT};
    o.tpe.multivariate = multivariate;
    return o;
}

static dt_sampler_kind kind_of(const char *name, int *multivariate)
{
    *multivariate = strcmp(name, "tpe-uni") != 0;
    if (strcmp(name, "random") == 0) return DT_SAMPLER_RANDOM;
    if (strncmp(name, "tpe", 3) == 0) return DT_SAMPLER_TPE;
    die("sampler: random, tpe or tpe-uni");
    return DT_SAMPLER_RANDOM;
}

/* An objective over a space: f of one trial's values. */
typedef double (*objective_fn)(const void *ctx, const dt_space *s, const dt_value *v);

/* f of one trial's active values; ctx points to the problem's index. */
static double evaluate(const void *ctx, const dt_space *s, const dt_value *v)
{
    int which = *(const int *)ctx;
    const char *names[16], *words[16];
    double x[16];
    int n = 0;
    for (int i = 0; i < s->n; i++) {
        if (!v[i].active) continue;
        names[n] = s->p[i].name;
        words[n] = v[i].text;
        x[n++] = v[i].num;
    }
    return bench_eval(which, names, x, words, n);
}

/* The recorded Darknet table as a problem: its space, and each table parameter's
 * index in that space (dt_space_resolve may reorder). */
typedef struct table_problem {
    dt_table *t;
    dt_space s;
    int col[64];
} table_problem;

/* Loads $BENCH_TABLE (bench/fashion.table) and builds its space; 0 when the file is absent. */
static int table_open(table_problem *tp)
{
    const char *path = getenv("BENCH_TABLE") ? getenv("BENCH_TABLE") : "bench/fashion.table";
    dt_err err;
    memset(tp, 0, sizeof *tp);
    if (!dt_file_exists(path)) {
        fprintf(stderr, "sampler_bench: %s is absent (make bench-record): skipping darknet-table\n", path);
        return 0;
    }
    if (dt_table_load(&tp->t, path, &err) != 0) die(err.msg);
    if (dt_table_nparams(tp->t) > 64) die("darknet-table: more than 64 parameters");
    for (int j = 0; j < dt_table_nparams(tp->t); j++) {
        dt_table_kind kind;
        const char *name = dt_table_param(tp->t, j, &kind);
        double lo, hi;
        dt_table_range(tp->t, j, &lo, &hi);
        dt_buf spec = {0};
        if (kind == DT_TABLE_CATEGORICAL) {
            const char *const *words;
            int n = dt_table_words(tp->t, j, &words);
            dt_buf_printf(&spec, n > 1 ? "choice(" : "");
            for (int k = 0; k < n; k++) dt_buf_printf(&spec, "%s%s", k ? ", " : "", words[k]);
            dt_buf_printf(&spec, n > 1 ? ")" : "");
        } else if (lo == hi) {
            dt_buf_printf(&spec, "%.17g", lo);   /* recorded at one value: fixed */
        } else {
            dt_buf_printf(&spec, "%s(%.17g, %.17g)", kind == DT_TABLE_LOG ? "log" : "uniform", lo, hi);
        }
        dt_param p;
        memset(&p, 0, sizeof p);
        if (dt_param_parse(&p, spec.p, &err) != 0) die(err.msg);
        dt_buf_free(&spec);
        p.name = dt_xstrdup(name);
        p.cond = -1;
        p.line = j + 1;
        dt_space_add(&tp->s, p);
    }
    if (dt_space_resolve(&tp->s, &err) != 0) die(err.msg);
    for (int j = 0; j < dt_table_nparams(tp->t); j++) tp->col[j] = dt_space_find(&tp->s, dt_table_param(tp->t, j, NULL));
    return 1;
}

/* 1 - the final top-1 of the row nearest to the trial's values. */
static double table_eval(const void *ctx, const dt_space *s, const dt_value *v)
{
    const table_problem *tp = ctx;
    const char *vals[64];
    int row;
    dt_err err;
    for (int j = 0; j < dt_table_nparams(tp->t); j++) vals[j] = v[tp->col[j]].text;
    if (dt_table_nearest(tp->t, vals, &row, NULL, &err) != 0) die(err.msg);
    return 1 - dt_table_row_at(tp->t, row)->final;
}

/* One problem, every seed: a line of regrets after 25, 50 and budget trials each. */
static void quality_one(const char *name, const dt_space *s, double fmin, objective_fn f, const void *ctx,
                        const char *sampler, int seeds, int budget)
{
    int multivariate;
    dt_sampler_kind kind = kind_of(sampler, &multivariate);
    dt_sampler_opts o = options(kind, multivariate);
    for (int seed = 0; seed < seeds; seed++) {
        dt_sampler *smp;
        dt_err err;
        if (dt_sampler_create(&smp, &o, s, (unsigned long long)seed, &err) != 0) die(err.msg);
        dt_trial *t = dt_xcalloc((size_t)budget, sizeof *t);
        double best = INFINITY, at25 = NAN, at50 = NAN;
        for (int k = 0; k < budget; k++) {
            dt_trial_init(&t[k], s->n);
            t[k].number = k;
            if (dt_sampler_suggest(smp, t, k, k, t[k].values, &err) != 0) die(err.msg);
            t[k].value = f(ctx, s, t[k].values);
            t[k].state = DT_COMPLETE;
            if (t[k].value < best) best = t[k].value;
            if (k + 1 == 25) at25 = best;
            if (k + 1 == 50) at50 = best;
        }
        printf("%s %s %d %.6g %.6g %.6g\n", name, sampler, seed, at25 - fmin, at50 - fmin, best - fmin);
        dt_trials_free(t, budget);
        dt_sampler_free(smp);
    }
}

/* Every function of bench/problems.h, then the recorded table when there is one. */
static int quality(const char *sampler, int seeds, int budget)
{
    for (int pi = 0; pi < BENCH_NPROBLEMS; pi++) {
        dt_space s;
        build_space(&bench_problems[pi], &s);
        quality_one(bench_problems[pi].name, &s, bench_problems[pi].fmin, evaluate, &pi, sampler, seeds, budget);
        dt_space_free(&s);
    }
    table_problem tp;
    if (table_open(&tp)) {
        double fmin = 1 - dt_table_row_at(tp.t, dt_table_best(tp.t))->final;
        quality_one("darknet-table", &tp.s, fmin, table_eval, &tp, sampler, seeds, budget);
        dt_space_free(&tp.s);
        dt_table_free(tp.t);
    }
    return 0;
}

/* Eight parameters of every kind, as a Darknet sweep has them. */
static const bench_problem speed_space = {
    "speed", 8,
    {{"learning_rate", "log(1e-5, 1)", 0}, {"momentum", "uniform(0.5, 0.99)", 0}, {"decay", "log(1e-6, 1e-2)", 0},
     {"batch", "choice(16, 32, 64, 128)", 0}, {"burn_in", "int(0, 1000, step=50)", 0},
     {"power", "uniform(1, 4)", 0}, {"subdivisions", "logint(1, 64)", 0}, {"policy", "choice(constant, steps, poly)", 0}},
    0};

static int speed(const char *sampler, int n)
{
    int multivariate;
    dt_sampler_kind kind = kind_of(sampler, &multivariate);
    dt_sampler_opts o = options(kind, multivariate);
    dt_space s;
    build_space(&speed_space, &s);
    dt_sampler *rnd, *smp;
    dt_err err;
    if (dt_sampler_create(&rnd, &(dt_sampler_opts){.kind = DT_SAMPLER_RANDOM}, &s, 1, &err) != 0 ||
        dt_sampler_create(&smp, &o, &s, 2, &err) != 0)
        die(err.msg);
    /* n finished trials at random points with a smooth objective, then time suggestions. */
    dt_trial *t = dt_xcalloc((size_t)n + 1, sizeof *t);
    for (int k = 0; k < n; k++) {
        dt_trial_init(&t[k], s.n);
        t[k].number = k;
        if (dt_sampler_suggest(rnd, t, k, k, t[k].values, &err) != 0) die(err.msg);
        t[k].state = DT_COMPLETE;
        t[k].value = pow(log10(t[k].values[0].num) + 2, 2) + t[k].values[1].num;
    }
    dt_trial_init(&t[n], s.n);
    double ms = bench_suggest_ms(smp, t, n, &err);
    if (ms < 0) die(err.msg);
    printf("speed %s %d %.4f\n", sampler, n, ms);
    dt_trials_free(t, n + 1);
    dt_sampler_free(rnd);
    dt_sampler_free(smp);
    dt_space_free(&s);
    return 0;
}

static int count(const char *s)
{
    long v;
    if (dt_parse_long(s, &v) != 0 || v < 1 || v > 1000000) die("counts are whole numbers from 1");
    return (int)v;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "quality") == 0) return quality(argv[2], count(argv[3]), count(argv[4]));
    if (argc == 4 && strcmp(argv[1], "speed") == 0) return speed(argv[2], count(argv[3]));
    fprintf(stderr, "usage: sampler_bench quality random|tpe|tpe-uni SEEDS TRIALS | speed tpe|tpe-uni N\n");
    return 2;
}
