"""Optuna's hypervolume, non-domination ranks and MOTPE split on random sets, for
tests/t_pareto.sh to compare with plugin/dt_pareto.c's and dt_tpe_split's.

  pareto_optuna.py write FILE SEED         writes the point sets (test_pareto --sets reads them)
  pareto_optuna.py run FILE                prints "hv ID VALUE" and "rank ID R..." per set
  pareto_optuna.py write-split FILE SEED   writes studies of 2 or 3 objectives (test_tpe --split reads them)
  pareto_optuna.py split FILE DARKTUNE     the trials TPESampler's _split_trials takes as good
                                           against DARKTUNE's (test_tpe --split's "below ID
                                           NUMBERS..." lines), one line per study: "same ID",
                                           "tie ID" or "differ ID"

The sets: 2 to 5 objectives, 1 to 60 points, uniform or on a coarse grid (ties and
duplicates), with some points beyond the reference point. Optuna's compute_hypervolume
refuses points not below ref: those are left out of its input (they add nothing to a
hypervolume, which is what dt_pareto_hv's contract says), never out of the ranks.
"""
import sys

import numpy as np
import optuna
from optuna._hypervolume import compute_hypervolume
from optuna.samplers._tpe.sampler import _get_reference_point
from optuna.samplers._tpe.sampler import _split_trials
from optuna.samplers._tpe.sampler import default_gamma_multiobjective
from optuna.study._multi_objective import _fast_non_domination_rank
from optuna.trial import TrialState


def write(path, seed):
    rng = np.random.RandomState(seed)
    with open(path, "w") as f:
        sid = 0
        for m in (2, 3, 4, 5):
            for _ in range(25 if m < 5 else 10):
                n = int(rng.randint(1, 61 if m < 5 else 25))
                coarse = rng.rand() < 0.3
                pts = rng.randint(0, 6, size=(n, m)).astype(float) if coarse else rng.randn(n, m) * 3
                ref = np.full(m, 6.0) if coarse else pts.max(axis=0) * 0.9 + rng.rand(m)
                f.write(f"set {sid} {m} {n}\nref {' '.join(repr(float(x)) for x in ref)}\n")
                for p in pts:
                    f.write(f"p {' '.join(repr(float(x)) for x in p)}\n")
                sid += 1


def run(path):
    sets, cur = [], None
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "set":
                cur = [int(w[1]), int(w[2]), None, []]
                sets.append(cur)
            elif w[0] == "ref":
                cur[2] = np.array([float(x) for x in w[1:]])
            else:
                cur[3].append([float(x) for x in w[1:]])
    for sid, m, ref, pts in sets:
        pts = np.array(pts).reshape(-1, m)
        inside = pts[np.all(pts <= ref, axis=1)]
        print(f"hv {sid} {compute_hypervolume(inside, ref):.17g}")
        print(f"rank {sid} {' '.join(str(int(r)) for r in _fast_non_domination_rank(pts))}")


STATES = {"complete": TrialState.COMPLETE, "pruned": TrialState.PRUNED, "running": TrialState.RUNNING,
          "fail": TrialState.FAIL}


def write_split(path, seed):
    """Studies of 2 or 3 objectives, some maximized; 5 to 150 trials, mostly complete,
    some pruned, running or failed; values uniform, on a coarse grid (ties, duplicates,
    whole ranks that fit exactly) or a front with noise."""
    rng = np.random.RandomState(seed)
    with open(path, "w") as f:
        for sid in range(60):
            m = 2 if sid % 3 else 3
            n = int(rng.randint(5, 151))
            maxi = rng.rand(m) < 0.3
            kind = sid % 4
            f.write(f"study {sid} {m} {' '.join(str(int(x)) for x in maxi)}\n")
            for k in range(n):
                u = rng.rand()
                state = "complete" if u < 0.8 else "pruned" if u < 0.9 else "running" if u < 0.95 else "fail"
                if kind == 0:
                    v = rng.randint(0, 4, size=m).astype(float)
                elif kind == 1:
                    v = rng.rand(m) * 10 - 5
                else:
                    t = rng.rand()
                    base = [t, 1 - t] if m == 2 else [t, (1 - t) * rng.rand(), 0]
                    if m == 3:
                        base[2] = 1 - base[0] - base[1]
                    v = np.array(base) + rng.rand(m) * (0.3 if kind == 2 else 0.02)
                    v = np.where(maxi, -v, v)
                vals = " ".join(repr(float(x)) for x in v) if state == "complete" else " ".join(["nan"] * m)
                f.write(f"t {k} {state} {vals}\n")


def tie(study, trials, n_below, ours, theirs):
    """Whether two good sets differ only where the hypervolume subset selection met a tie:
    in the complete trials of the non-domination rank it breaks, with the same hypervolume
    (1e-9 relative, the reference point Optuna takes for that rank). Exact ties are broken
    by rounding (two contributions of 2.99 computed as 2.99 and 2.990000000000002), which
    has come out differently on different machines, not by the algorithm."""
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if n_below >= len(complete):
        return False
    sign = [-1.0 if d == optuna.study.StudyDirection.MAXIMIZE else 1.0 for d in study.directions]
    lvals = np.array([t.values for t in complete]) * sign
    ranks = _fast_non_domination_rank(lvals, n_below=n_below)
    r, counts = np.unique(ranks, return_counts=True)
    last = int(np.max(r[np.cumsum(counts) <= n_below], initial=-1))
    at = {t.number: i for i, t in enumerate(complete) if ranks[i] == last + 1}
    if not (set(ours) ^ set(theirs)) <= set(at):
        return False
    ref = _get_reference_point(lvals[list(at.values())])
    hv = [compute_hypervolume(lvals[[at[n] for n in b if n in at]], ref) for b in (ours, theirs)]
    return abs(hv[0] - hv[1]) <= 1e-9 * max(abs(hv[1]), 1e-300)


def split(path, darktune):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    theirs = {}
    with open(darktune) as f:
        for line in f:
            w = line.split()
            theirs[int(w[1])] = [int(x) for x in w[2:]]
    studies = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[0] == "study":
                studies.append((int(w[1]), int(w[2]), [bool(int(x)) for x in w[3:]], []))
            else:
                studies[-1][3].append((int(w[1]), w[2], [float(x) for x in w[3:]]))
    for sid, m, maxi, rows in studies:
        dirs = ["maximize" if x else "minimize" for x in maxi]
        study = optuna.create_study(directions=dirs)
        for number, state, vals in rows:
            st = STATES[state]
            study.add_trial(optuna.trial.create_trial(state=st, values=vals if st == TrialState.COMPLETE else None,
                                                      params={}, distributions={}))
        # As TPESampler._sample without the constant liar: complete and pruned trials,
        # n of them, gamma = default_gamma_multiobjective.
        trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
        n_below = default_gamma_multiobjective(len(trials))
        below, _ = _split_trials(study, trials, n_below)
        ours = sorted(t.number for t in below)
        if sid not in theirs or ours != theirs[sid]:
            print(f"{'tie' if sid in theirs and tie(study, trials, n_below, ours, theirs[sid]) else 'differ'} {sid}")
        else:
            print(f"same {sid}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "run":
        run(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "write-split":
        write_split(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "split":
        split(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
