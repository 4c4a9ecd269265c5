"""Optuna's side of `make bench-pareto` (bench/pareto.sh runs it beside
bench/pareto_bench.c and prints both together). The problems are those of
bench/problems.h, written again in Python: ZDT1-3 with 10 variables, DTLZ2 with 3
objectives and 12; every objective minimized, every variable uniform(0, 1).

  optuna_pareto.py quality tpe|tpe-mv|random SEED TRIALS   per problem: "NAME optuna-tpe SEED HV50 HV100 HVTRIALS"
  optuna_pareto.py speed N [REPS]                          per problem: "speed NAME optuna-tpe N MS"

tpe: TPESampler(seed=SEED) with its defaults for several objectives (independent
sampling, 10 startup trials, 24 candidates, default_gamma_multiobjective); tpe-mv the
same with multivariate=True. The hypervolume is Optuna's own, to the problem's
reference point (tests/t_pareto.sh checks that it and darktune's agree to 1e-9).
"""
import math
import sys
import time

import numpy as np
import optuna
from optuna._hypervolume import compute_hypervolume

optuna.logging.set_verbosity(optuna.logging.WARNING)


def zdt(which, x):
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    r = x[0] / g
    if which == 0:
        return [x[0], g * (1 - math.sqrt(r))]
    if which == 1:
        return [x[0], g * (1 - r * r)]
    return [x[0], g * (1 - math.sqrt(r) - r * math.sin(10 * math.pi * x[0]))]


def dtlz2(x, m=3):
    g = sum((v - 0.5) ** 2 for v in x[m - 1:])
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return [(1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b), (1 + g) * math.sin(a)]


# name, variables, objectives, reference point, f
PROBLEMS = [("zdt1", 10, 2, [1.1, 11], lambda x: zdt(0, x)), ("zdt2", 10, 2, [1.1, 11], lambda x: zdt(1, x)),
            ("zdt3", 10, 2, [1.1, 11], lambda x: zdt(2, x)), ("dtlz2", 12, 3, [3.5, 3.5, 3.5], dtlz2)]


def hv(values, ref):
    pts = np.asarray(values, dtype=float)
    ref = np.asarray(ref, dtype=float)
    pts = pts[np.all(pts <= ref, axis=1)]
    return compute_hypervolume(pts, ref) if len(pts) else 0.0


def sampler(name, seed):
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe-mv":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    return optuna.samplers.TPESampler(seed=seed)


def quality(name, seed, budget):
    for pname, nvar, nobj, ref, f in PROBLEMS:
        study = optuna.create_study(directions=["minimize"] * nobj, sampler=sampler(name, seed))
        values, marks = [], {}
        for k in range(budget):
            tr = study.ask()
            x = [tr.suggest_float(f"x{i + 1}", 0, 1) for i in range(nvar)]
            v = f(x)
            study.tell(tr, v)
            values.append(v)
            if k + 1 in (50, 100):
                marks[k + 1] = hv(values, ref)
        print(f"{pname} optuna-{name} {seed} {marks[50]:.9g} {marks[100]:.9g} {hv(values, ref):.9g}", flush=True)


def speed(n, reps):
    """ms per suggestion after n finished trials at random points (as pareto_bench's speed)."""
    for pname, nvar, nobj, ref, f in PROBLEMS:
        dists = {f"x{i + 1}": optuna.distributions.FloatDistribution(0, 1) for i in range(nvar)}
        study = optuna.create_study(directions=["minimize"] * nobj, sampler=sampler("tpe", 2))
        rng = np.random.RandomState(1)
        trials = []
        for _ in range(n):
            x = rng.rand(nvar)
            params = {f"x{i + 1}": float(x[i]) for i in range(nvar)}
            trials.append(optuna.trial.create_trial(params=params, distributions=dists, values=f(list(x))))
        study.add_trials(trials)
        ms = []
        for _ in range(reps):   # the median of single suggestions, as pareto_bench takes it
            t0 = time.perf_counter()
            tr = study.ask(dists)   # fixed distributions: every variable sampled
            ms.append((time.perf_counter() - t0) * 1e3)
            study.tell(tr, state=optuna.trial.TrialState.FAIL)
        print(f"speed {pname} optuna-tpe {n} {sorted(ms)[reps // 2]:.4f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "quality":
        quality(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) in (3, 4) and sys.argv[1] == "speed":
        speed(int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) == 4 else 7)
    else:
        sys.exit(__doc__)
