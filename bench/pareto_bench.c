/* bench/pareto_bench: darktune's samplers on the problems of several objectives of
 * bench/problems.h (ZDT1-3, DTLZ2), and the time one suggestion takes with many
 * finished trials. Driven by bench/pareto.sh, which runs bench/optuna_pareto.py beside
 * it and prints both side by side.
 *
 *   pareto_bench quality tpe|tpe-mv|random SEED TRIALS   one line per problem: the
 *                                          hypervolume (to the problem's ref) after 50,
 *                                          100 and TRIALS trials
 *   pareto_bench speed tpe|tpe-mv N        per problem, ms per suggestion after N trials
 *
 * tpe is darktune's default, which with several objectives models each variable apart
 * (as Optuna's TPESampler does by default); tpe-mv: multivariate = 1, joint kernels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/problems.h"
#include "dt_pareto.h"
#include "dt_sampler.h"
#include "dt_space.h"

static void die(const char *msg)
{
    fprintf(stderr, "pareto_bench: %s\n", msg);
    exit(1);
}

/* x1 .. xn, each uniform(0, 1). */
static void build_space(int n, dt_space *s)
{
    dt_err err;
    memset(s, 0, sizeof *s);
    for (int i = 0; i < n; i++) {
        dt_param p;
        memset(&p, 0, sizeof p);
        if (dt_param_parse(&p, "uniform(0, 1)", &err) != 0) die(err.msg);
        p.name = dt_xasprintf("x%d", i + 1);
        p.cond = -1;
        p.line = i + 1;
        dt_space_add(s, p);
    }
    if (dt_space_resolve(s, &err) != 0) die(err.msg);
}

/* Options as a sweep of nobj objectives would give them: startup 10, candidates auto,
 * the objectives metric, ms, bflops in turn, each minimized. */
static dt_sampler_opts options(const char *name, int nobj)
{
    dt_sampler_opts o = {.kind = DT_SAMPLER_TPE, .tpe = DT_TPE_OPTS_DEFAULT};
    if (strcmp(name, "random") == 0) o.kind = DT_SAMPLER_RANDOM;
    else if (strcmp(name, "tpe-mv") == 0) o.tpe.multivariate = 1;
    else if (strcmp(name, "tpe") != 0) die("sampler: random, tpe or tpe-mv");
    o.tpe.nobj = nobj;
    for (int j = 0; j < nobj; j++) o.tpe.obj[j] = (dt_objective){.what = j, .maximize = 0};
    return o;
}

/* The trial's variables in order (dt_space_resolve keeps x1 .. xn's order: no conditions). */
static void evaluate(int which, const dt_space *s, dt_trial *t)
{
    double x[64], f[3] = {NAN, NAN, NAN};
    int n = bench_mo_problems[which].nvar;
    for (int i = 0; i < n; i++) x[i] = t->values[dt_space_find(s, s->p[i].name)].num;
    bench_mo_eval(which, x, f);
    t->value = f[0];
    t->ms = f[1];
    t->bflops = f[2];
    t->state = DT_COMPLETE;
}

/* The hypervolume of trials 0 .. n-1 to the problem's reference point. */
static double hv_of(int which, const dt_trial *t, int n)
{
    int m = bench_mo_problems[which].nobj;
    double *f = dt_xmalloc((size_t)n * m * sizeof *f);
    for (int i = 0; i < n; i++) {
        double v[3] = {t[i].value, t[i].ms, t[i].bflops};
        memcpy(f + (size_t)i * m, v, (size_t)m * sizeof *f);
    }
    double hv = dt_pareto_hv(f, n, m, bench_mo_problems[which].ref);
    free(f);
    return hv;
}

static int quality(const char *sampler, int seed, int budget)
{
    for (int pi = 0; pi < BENCH_NMO; pi++) {
        const bench_mo_problem *pb = &bench_mo_problems[pi];
        dt_space s;
        build_space(pb->nvar, &s);
        dt_sampler_opts o = options(sampler, pb->nobj);
        dt_sampler *smp;
        dt_err err;
        if (dt_sampler_create(&smp, &o, &s, (unsigned long long)seed, &err) != 0) die(err.msg);
        dt_trial *t = dt_xcalloc((size_t)budget, sizeof *t);
        double at50 = NAN, at100 = NAN;
        for (int k = 0; k < budget; k++) {
            dt_trial_init(&t[k], s.n);
            t[k].number = k;
            if (dt_sampler_suggest(smp, t, k, k, t[k].values, &err) != 0) die(err.msg);
            evaluate(pi, &s, &t[k]);
            if (k + 1 == 50) at50 = hv_of(pi, t, k + 1);
            if (k + 1 == 100) at100 = hv_of(pi, t, k + 1);
        }
        printf("%s darktune-%s %d %.9g %.9g %.9g\n", pb->name, sampler, seed, at50, at100, hv_of(pi, t, budget));
        fflush(stdout);
        dt_trials_free(t, budget);
        dt_sampler_free(smp);
        dt_space_free(&s);
    }
    return 0;
}

/* n trials at random points of each problem, then the median time of single suggestions. */
static int speed(const char *sampler, int n)
{
    for (int pi = 0; pi < BENCH_NMO; pi++) {
        const bench_mo_problem *pb = &bench_mo_problems[pi];
        dt_space s;
        build_space(pb->nvar, &s);
        dt_sampler_opts o = options(sampler, pb->nobj);
        dt_sampler *rnd, *smp;
        dt_err err;
        if (dt_sampler_create(&rnd, &(dt_sampler_opts){.kind = DT_SAMPLER_RANDOM}, &s, 1, &err) != 0 ||
            dt_sampler_create(&smp, &o, &s, 2, &err) != 0)
            die(err.msg);
        dt_trial *t = dt_xcalloc((size_t)n + 1, sizeof *t);
        for (int k = 0; k < n; k++) {
            dt_trial_init(&t[k], s.n);
            t[k].number = k;
            if (dt_sampler_suggest(rnd, t, k, k, t[k].values, &err) != 0) die(err.msg);
            evaluate(pi, &s, &t[k]);
        }
        dt_trial_init(&t[n], s.n);
        double ms = bench_suggest_ms(smp, t, n, &err);
        if (ms < 0) die(err.msg);
        printf("speed %s darktune-%s %d %.4f\n", pb->name, sampler, n, ms);
        dt_trials_free(t, n + 1);
        dt_sampler_free(rnd);
        dt_sampler_free(smp);
        dt_space_free(&s);
    }
    return 0;
}

static int count(const char *s, int least)
{
    long v;
    if (dt_parse_long(s, &v) != 0 || v < least || v > 1000000) die("counts are whole numbers");
    return (int)v;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "quality") == 0) return quality(argv[2], count(argv[3], 0), count(argv[4], 100));
    if (argc == 4 && strcmp(argv[1], "speed") == 0) return speed(argv[2], count(argv[3], 1));
    fprintf(stderr, "usage: pareto_bench quality random|tpe|tpe-mv SEED TRIALS | speed tpe|tpe-mv N\n");
    return 2;
}
