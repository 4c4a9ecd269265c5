/* bench/problems.h: the test functions of `make bench-sampler`, shared by the C
 * harness (bench/sampler_bench.c). bench/optuna_bench.py defines the same spaces and
 * functions in Python; both print the same problem names, so the script can put
 * their numbers side by side. Every problem is minimized; regret = f(x) - f*.
 * Then the problems of several objectives of `make bench-pareto` (bench/pareto_bench.c;
 * bench/optuna_pareto.py writes them again): ZDT1, ZDT2, ZDT3 and DTLZ2. */
#ifndef BENCH_PROBLEMS_H
#define BENCH_PROBLEMS_H

#include <math.h>
#include <string.h>

#include "dt_sampler.h"

/* The median milliseconds of 31 single suggestions after the n trials of t (numbers n,
 * n + 1, ... into t[n], initialised by the caller): a shared machine's hiccups stay out
 * of a median. -1 with the message in err when the sampler fails. */
static inline double bench_suggest_ms(dt_sampler *smp, dt_trial *t, int n, dt_err *err)
{
    enum { REPS = 31 };
    double ms[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = dt_now();
        if (dt_sampler_suggest(smp, t, n, n + r, t[n].values, err) != 0) return -1;
        ms[r] = (dt_now() - t0) * 1e3;
        for (int k = r; k > 0 && ms[k] < ms[k - 1]; k--) {
            double x = ms[k];
            ms[k] = ms[k - 1];
            ms[k - 1] = x;
        }
    }
    return ms[REPS / 2];
}

typedef struct bench_param {
    const char *name, *spec;  /* a [space] line: name = spec */
    const char *cond;         /* NULL, or "parent=value" */
} bench_param;

typedef struct bench_problem {
    const char *name;
    int n;
    bench_param p[8];
    double fmin;              /* the known minimum */
} bench_problem;

static const bench_problem bench_problems[] = {
    {"branin", 2, {{"x1", "uniform(-5, 10)", 0}, {"x2", "uniform(0, 15)", 0}}, 0.397887357729738},
    {"hartmann6", 6, {{"x1", "uniform(0, 1)", 0}, {"x2", "uniform(0, 1)", 0}, {"x3", "uniform(0, 1)", 0},
                      {"x4", "uniform(0, 1)", 0}, {"x5", "uniform(0, 1)", 0}, {"x6", "uniform(0, 1)", 0}},
     -3.32236801141551},
    {"rosenbrock4log", 4, {{"x1", "log(0.01, 100)", 0}, {"x2", "log(0.01, 100)", 0},
                           {"x3", "log(0.01, 100)", 0}, {"x4", "log(0.01, 100)", 0}}, 0},
    {"catcond", 6, {{"opt", "choice(sgd, adam, rms)", 0}, {"sgd_lr", "log(1e-4, 1)", "opt=sgd"},
                    {"momentum", "uniform(0, 0.99)", "opt=sgd"}, {"adam_lr", "log(1e-5, 0.1)", "opt=adam"},
                    {"rms_lr", "log(1e-4, 1)", "opt=rms"}, {"rms_decay", "uniform(0.8, 0.999)", "opt=rms"}},
     0},
};
#define BENCH_NPROBLEMS ((int)(sizeof bench_problems / sizeof *bench_problems))

/* Looks a value up by name among (names, x); NAN when inactive or absent. */
static inline double bench_get(const char *const *names, const double *x, const char *const *words, int n,
                               const char *name, const char **word)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) {
            if (word) *word = words[i];
            return x[i];
        }
    return NAN;
}

/* f(x) of problem `which`; names/x/words: the active parameters of one trial. */
static inline double bench_eval(int which, const char *const *names, const double *x, const char *const *words, int n)
{
#define V(nm) bench_get(names, x, words, n, nm, NULL)
    switch (which) {
    case 0: {   /* Branin-Hoo */
        double x1 = V("x1"), x2 = V("x2");
        double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
        return pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * cos(x1) + 10;
    }
    case 1: {   /* Hartmann-6 */
        static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14},
                                       {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
        static const double P[4][6] = {{.1312, .1696, .5569, .0124, .8283, .5886},
                                       {.2329, .4135, .8307, .3736, .1004, .9991},
                                       {.2348, .1451, .3522, .2883, .3047, .6650},
                                       {.4047, .8828, .8732, .5743, .1091, .0381}};
        static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
        const char *xs[6] = {"x1", "x2", "x3", "x4", "x5", "x6"};
        double f = 0;
        for (int i = 0; i < 4; i++) {
            double s = 0;
            for (int j = 0; j < 6; j++) s += A[i][j] * pow(V(xs[j]) - P[i][j], 2);
            f -= alpha[i] * exp(-s);
        }
        return f;
    }
    case 2: {   /* Rosenbrock in 4 log-scaled dimensions; optimum (1, 1, 1, 1) */
        double v[4] = {V("x1"), V("x2"), V("x3"), V("x4")}, f = 0;
        for (int i = 0; i < 3; i++) f += 100 * pow(v[i + 1] - v[i] * v[i], 2) + pow(1 - v[i], 2);
        return log1p(f);
    }
    case 3: {   /* an optimizer choice, each with its own conditional hyperparameters */
        const char *opt = "";
        bench_get(names, x, words, n, "opt", &opt);
        if (strcmp(opt, "sgd") == 0)
            return 0.5 * pow(log10(V("sgd_lr")) + 1.5, 2) + 4 * pow(V("momentum") - 0.9, 2) + 0.1;
        if (strcmp(opt, "adam") == 0) return 0.5 * pow(log10(V("adam_lr")) + 3, 2);
        return 0.5 * pow(log10(V("rms_lr")) + 2, 2) + 20 * pow(V("rms_decay") - 0.95, 2) + 0.05;
    }
    }
#undef V
    return NAN;
}

/* Several objectives, every one minimized, every variable uniform(0, 1): ZDT1-3 (Zitzler,
 * Deb, Thiele 2000) with 10 variables instead of their 30 (the same for both sides; 30
 * would triple Optuna's time per suggestion, its univariate TPE modelling each variable
 * apart), and DTLZ2 (Deb et al. 2002) with 3 objectives and its standard k = 10, so 12
 * variables. ref: the hypervolume's reference point, one that every point of the space
 * is below or on: ZDT f1 <= 1 and f2 <= g <= 10; DTLZ2 each f <= 1 + g <= 3.5. */
typedef struct bench_mo_problem {
    const char *name;
    int nvar, nobj;
    double ref[3];
} bench_mo_problem;

static const bench_mo_problem bench_mo_problems[] = {
    {"zdt1", 10, 2, {1.1, 11, 0}},
    {"zdt2", 10, 2, {1.1, 11, 0}},
    {"zdt3", 10, 2, {1.1, 11, 0}},
    {"dtlz2", 12, 3, {3.5, 3.5, 3.5}},
};
#define BENCH_NMO ((int)(sizeof bench_mo_problems / sizeof *bench_mo_problems))

/* The objectives f (nobj) of problem `which` at x (nvar values in [0, 1]). */
static inline void bench_mo_eval(int which, const double *x, double *f)
{
    const bench_mo_problem *p = &bench_mo_problems[which];
    if (which < 3) {
        double g = 0;
        for (int i = 1; i < p->nvar; i++) g += x[i];
        g = 1 + 9 * g / (p->nvar - 1);
        double r = x[0] / g;
        f[0] = x[0];
        f[1] = which == 0 ? g * (1 - sqrt(r)) : which == 1 ? g * (1 - r * r)
                                                           : g * (1 - sqrt(r) - r * sin(10 * M_PI * x[0]));
        return;
    }
    double g = 0;
    for (int i = p->nobj - 1; i < p->nvar; i++) g += (x[i] - 0.5) * (x[i] - 0.5);
    double a = x[0] * M_PI / 2, b = x[1] * M_PI / 2;
    f[0] = (1 + g) * cos(a) * cos(b);
    f[1] = (1 + g) * cos(a) * sin(b);
    f[2] = (1 + g) * sin(a);
}

#endif
