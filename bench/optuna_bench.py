"""Optuna's side of `make bench-sampler` (bench/sampler.sh runs it beside
bench/sampler_bench.c and prints both together). The spaces and functions are those
of bench/problems.h, written again in Python; both minimize, regret = f(x) - f*.

  optuna_bench.py quality random|tpe|tpe-uni SEEDS TRIALS
  optuna_bench.py speed tpe|tpe-uni N

Besides the functions, "darknet-table": the recorded Darknet runs of
bench/fashion.table ($BENCH_TABLE), scored as sampler_bench.c scores them: 1 - the
final top-1 of the nearest recorded run, by darknet/dt_table.h's distance; skipped
when the file is absent.
"""
import math
import os
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def branin(t):
    x1, x2 = t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15)
    b, c, s = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - s) * math.cos(x1) + 10


A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[.1312, .1696, .5569, .0124, .8283, .5886], [.2329, .4135, .8307, .3736, .1004, .9991],
     [.2348, .1451, .3522, .2883, .3047, .6650], [.4047, .8828, .8732, .5743, .1091, .0381]]
ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(t):
    x = [t.suggest_float(f"x{j + 1}", 0, 1) for j in range(6)]
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6))) for i in range(4))


def rosenbrock4log(t):
    v = [t.suggest_float(f"x{j + 1}", 0.01, 100, log=True) for j in range(4)]
    return math.log1p(sum(100 * (v[i + 1] - v[i] ** 2) ** 2 + (1 - v[i]) ** 2 for i in range(3)))


def catcond(t):
    opt = t.suggest_categorical("opt", ["sgd", "adam", "rms"])
    if opt == "sgd":
        lr, mom = t.suggest_float("sgd_lr", 1e-4, 1, log=True), t.suggest_float("momentum", 0, 0.99)
        return 0.5 * (math.log10(lr) + 1.5) ** 2 + 4 * (mom - 0.9) ** 2 + 0.1
    if opt == "adam":
        return 0.5 * (math.log10(t.suggest_float("adam_lr", 1e-5, 0.1, log=True)) + 3) ** 2
    lr, dec = t.suggest_float("rms_lr", 1e-4, 1, log=True), t.suggest_float("rms_decay", 0.8, 0.999)
    return 0.5 * (math.log10(lr) + 2) ** 2 + 20 * (dec - 0.95) ** 2 + 0.05


PROBLEMS = [("branin", branin, 0.397887357729738), ("hartmann6", hartmann6, -3.32236801141551),
            ("rosenbrock4log", rosenbrock4log, 0.0), ("catcond", catcond, 0.0)]


def number(text):
    """The text as a finite float, or None (as dt_parse_double with isfinite)."""
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def read_table(path):
    """params [(name, kind)], rows [(texts, final)] of a darktune table (darknet/dt_table.h)."""
    params, rows = None, []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            head, _, rest = line.partition(" ")
            if head == "params":
                params = [tuple(w.split(":", 1)) for w in rest.split()]
            elif head == "row":
                fields = [x.strip() for x in rest.split("|")]
                rows.append((fields[0].split(), float(fields[3])))
    return params, rows


def table_problem(path):
    """The objective and its minimum: 1 - final top-1 of the nearest row, as dt_table_nearest finds it."""
    params, rows = read_table(path)
    ranges = []
    for j, (name, kind) in enumerate(params):
        if kind == "categorical":
            words = []
            for texts, _ in rows:
                if texts[j] not in words:
                    words.append(texts[j])
            ranges.append(words)
        else:
            xs = [float(texts[j]) for texts, _ in rows]
            ranges.append((min(xs), max(xs)))

    def same(a, b):
        x, y = number(a), number(b)
        return a == b or (x is not None and y is not None and x == y)

    def nearest(values):
        best, bestd = -1, math.inf
        for i, (texts, _) in enumerate(rows):
            d = 0.0
            for j, (name, kind) in enumerate(params):
                if kind == "categorical":
                    d += 0 if same(texts[j], values[j]) else 1
                    continue
                lo, hi = ranges[j]
                q, x = float(values[j]), float(texts[j])
                if kind == "log":
                    lo, hi, q, x = math.log10(lo), math.log10(hi), math.log10(q), math.log10(x)
                d += abs(q - x) / (hi - lo if hi > lo else 1)
            if d < bestd:
                best, bestd = i, d
        return best

    def f(t):
        values = []
        for j, (name, kind) in enumerate(params):
            if kind == "categorical":
                words = ranges[j]
                values.append(t.suggest_categorical(name, words) if len(words) > 1 else words[0])
            else:
                lo, hi = ranges[j]
                values.append(repr(t.suggest_float(name, lo, hi, log=(kind == "log")) if hi > lo else lo))
        return 1 - rows[nearest(values)][1]

    return f, 1 - max(final for _, final in rows)


def problems():
    """The functions, then the recorded table when it exists."""
    path = os.environ.get("BENCH_TABLE", "bench/fashion.table")
    if not os.path.exists(path):
        print(f"optuna_bench: {path} is absent (make bench-record): skipping darknet-table", file=sys.stderr)
        return PROBLEMS
    f, fmin = table_problem(path)
    return PROBLEMS + [("darknet-table", f, fmin)]


def sampler(name, seed):
    """random, tpe (Optuna's default: multivariate for one objective since Optuna 4), tpe-uni."""
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe-uni":
        return optuna.samplers.TPESampler(seed=seed, multivariate=False, n_startup_trials=10)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=10)


def quality(name, seeds, budget):
    for pname, f, fmin in problems():
        for seed in range(seeds):
            study = optuna.create_study(sampler=sampler(name, seed))
            best, marks = math.inf, {}
            for k in range(budget):
                tr = study.ask()
                v = f(tr)
                study.tell(tr, v)
                best = min(best, v)
                if k + 1 in (25, 50):
                    marks[k + 1] = best
            print(f"{pname} optuna-{name} {seed} {marks[25] - fmin:.6g} {marks[50] - fmin:.6g} {best - fmin:.6g}",
                  flush=True)


def speed(name, n):
    """ms per suggestion of 8 parameters (as sampler_bench's speed space) after n trials."""
    d = optuna.distributions
    dists = {"learning_rate": d.FloatDistribution(1e-5, 1, log=True), "momentum": d.FloatDistribution(0.5, 0.99),
             "decay": d.FloatDistribution(1e-6, 1e-2, log=True), "batch": d.CategoricalDistribution([16, 32, 64, 128]),
             "burn_in": d.IntDistribution(0, 1000, step=50), "power": d.FloatDistribution(1, 4),
             "subdivisions": d.IntDistribution(1, 64, log=True),
             "policy": d.CategoricalDistribution(["constant", "steps", "poly"])}
    study = optuna.create_study(sampler=sampler(name, 2))
    rnd = optuna.samplers.RandomSampler(seed=1)
    trials = []
    for _ in range(n):
        params = {}
        for k, dist in dists.items():
            params[k] = rnd.sample_independent(study, None, k, dist)
        value = (math.log10(params["learning_rate"]) + 2) ** 2 + params["momentum"]
        trials.append(optuna.trial.create_trial(params=params, distributions=dists, value=value))
    study.add_trials(trials)
    reps = 5 if n >= 10000 else 11
    ms = []
    for _ in range(reps):   # the median of single suggestions, as sampler_bench takes it
        t0 = time.perf_counter()
        tr = study.ask(dists)   # ask with fixed distributions samples every parameter
        ms.append((time.perf_counter() - t0) * 1e3)
        study.tell(tr, state=optuna.trial.TrialState.FAIL)
    print(f"speed optuna-{name} {n} {sorted(ms)[reps // 2]:.4f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "quality":
        quality(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) == 4 and sys.argv[1] == "speed":
        speed(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
