"""Optuna's fANOVA importance of the trials darktune's importance reads (tests/t_fanova.sh).

    bench/.venv/bin/python bench/fanova_optuna.py SPACE CSV SEED

SPACE holds "name = distribution" lines in darktune's words (log, uniform, int,
logint, choice); CSV has the columns number,state,value and one per parameter (an
empty field: inactive), as build/tests/test_fanova reads them. The COMPLETE trials
become an Optuna study (optuna.trial.create_trial with the matching distributions),
and optuna.importance.get_param_importances(study,
evaluator=FanovaImportanceEvaluator(seed=SEED)) gives the shares, printed as
"name share" in the space's order ("nan" for a parameter Optuna did not assess).
"""
import csv
import re
import sys

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.importance import FanovaImportanceEvaluator


def read_space(path):
    """Returns [(name, distribution or None for a fixed text, kind)] in the file's order."""
    space = []
    with open(path) as f:
        for line in f:
            line = re.split(r"\s[;#]", line, maxsplit=1)[0].strip()
            if not line or line[0] in ";#[":
                continue
            name, spec = (s.strip() for s in line.split("=", 1))
            m = re.fullmatch(r"(\w+)\((.*)\)", spec)
            if not m:
                space.append((name, None, "fixed"))
                continue
            kind, args = m.group(1), [a.strip() for a in m.group(2).split(",")]
            if kind == "choice":
                space.append((name, CategoricalDistribution(args), kind))
                continue
            step = 1
            for a in args[2:]:
                step = int(a.split("=")[-1])
            low, high = args[0], args[1]
            if kind == "log":
                dist = FloatDistribution(float(low), float(high), log=True)
            elif kind == "uniform":
                dist = FloatDistribution(float(low), float(high))
            elif kind == "int":
                dist = IntDistribution(int(low), int(high), step=step)
            elif kind == "logint":
                dist = IntDistribution(int(low), int(high), log=True)
            else:
                sys.exit(f"{path}: unknown distribution '{spec}'")
            space.append((name, dist, kind))
    return space


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    space_path, csv_path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    space = read_space(space_path)
    trials = []
    with open(csv_path) as f:
        for row in csv.DictReader(f):
            if row["state"] != "COMPLETE":
                continue
            params, dists = {}, {}
            for name, dist, kind in space:
                text = row.get(name, "")
                if dist is None or text == "":
                    continue
                if kind == "choice":
                    params[name] = text
                elif isinstance(dist, IntDistribution):
                    params[name] = int(text)
                else:
                    params[name] = float(text)
                dists[name] = dist
            trials.append(optuna.trial.create_trial(params=params, distributions=dists, value=float(row["value"])))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    study.add_trials(trials)
    shares = optuna.importance.get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=seed))
    for name, dist, _ in space:
        share = 0.0 if dist is None else shares.get(name, float("nan"))
        print(f"{name} {share:.6f}")


if __name__ == "__main__":
    main()
