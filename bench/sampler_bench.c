/* bench/sampler_bench: darktune's samplers on the functions of bench/problems.h, and
 * the time one suggestion takes with many finished trials. Driven by bench/sampler.sh,
 * which runs bench/optuna_bench.py beside it and prints both side by side.
 *
 *   sampler_bench quality random|tpe|tpe-uni SEEDS TRIALS   one line per (problem, seed):
 *                                                            regret after 25, 50, TRIALS
 *   sampler_bench speed tpe|tpe-uni N                       ms per suggestion after N trials */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/problems.h"
#include "dt_sampler.h"
#include "dt_space.h"
#include "dt_sweep.h"

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

/* The sampler options a sweep would give: startup 10, 24 candidates, multivariate or not. */
static void options(dt_sweep *sw, int multivariate)
{
    memset(sw, 0, sizeof *sw);
    sw->maximize = 0;
    sw->startup_trials = 10;
    sw->ei_candidates = 24;
    sw->multivariate = multivariate;
}

static dt_sampler_kind kind_of(const char *name, int *multivariate)
{
    *multivariate = strcmp(name, "tpe-uni") != 0;
    if (strcmp(name, "random") == 0) return DT_SAMPLER_RANDOM;
    if (strncmp(name, "tpe", 3) == 0) return DT_SAMPLER_TPE;
    die("sampler: random, tpe or tpe-uni");
    return DT_SAMPLER_RANDOM;
}

/* f of one trial's active values. */
static double evaluate(int which, const dt_space *s, const dt_value *v)
{
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

static int quality(const char *sampler, int seeds, int budget)
{
    int multivariate;
    dt_sampler_kind kind = kind_of(sampler, &multivariate);
    dt_sweep sw;
    options(&sw, multivariate);
    for (int pi = 0; pi < BENCH_NPROBLEMS; pi++) {
        dt_space s;
        build_space(&bench_problems[pi], &s);
        for (int seed = 0; seed < seeds; seed++) {
            dt_sampler *smp;
            dt_err err;
            if (dt_sampler_create(&smp, kind, &s, (unsigned long long)seed, &sw, &err) != 0) die(err.msg);
            dt_trial *t = dt_xcalloc((size_t)budget, sizeof *t);
            double best = INFINITY, at25 = NAN, at50 = NAN;
            for (int k = 0; k < budget; k++) {
                dt_trial_init(&t[k], s.n);
                t[k].number = k;
                if (dt_sampler_suggest(smp, t, k, k, t[k].values, &err) != 0) die(err.msg);
                t[k].value = evaluate(pi, &s, t[k].values);
                t[k].state = DT_COMPLETE;
                if (t[k].value < best) best = t[k].value;
                if (k + 1 == 25) at25 = best;
                if (k + 1 == 50) at50 = best;
            }
            double fmin = bench_problems[pi].fmin;
            printf("%s %s %d %.6g %.6g %.6g\n", bench_problems[pi].name, sampler, seed, at25 - fmin, at50 - fmin,
                   best - fmin);
            dt_trials_free(t, budget);
            dt_sampler_free(smp);
        }
        dt_space_free(&s);
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
    dt_sweep sw;
    options(&sw, multivariate);
    dt_space s;
    build_space(&speed_space, &s);
    dt_sampler *rnd, *smp;
    dt_err err;
    if (dt_sampler_create(&rnd, DT_SAMPLER_RANDOM, &s, 1, &sw, &err) != 0 ||
        dt_sampler_create(&smp, kind, &s, 2, &sw, &err) != 0)
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
    int reps = n >= 10000 ? 5 : 50;
    double t0 = dt_now();
    for (int r = 0; r < reps; r++)
        if (dt_sampler_suggest(smp, t, n, n + r, t[n].values, &err) != 0) die(err.msg);
    double ms = (dt_now() - t0) / reps * 1e3;
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
