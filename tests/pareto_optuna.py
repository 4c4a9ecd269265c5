"""Optuna's hypervolume and non-domination ranks on random point sets, for
tests/t_pareto.sh to compare with plugin/dt_pareto.c's.

  pareto_optuna.py write FILE SEED   writes the sets (the format test_pareto --sets reads)
  pareto_optuna.py run FILE          prints "hv ID VALUE" and "rank ID R..." per set

The sets: 2 to 5 objectives, 1 to 60 points, uniform or on a coarse grid (ties and
duplicates), with some points beyond the reference point. Optuna's compute_hypervolume
refuses points not below ref: those are left out of its input (they add nothing to a
hypervolume, which is what dt_pareto_hv's contract says), never out of the ranks.
"""
import sys

import numpy as np
from optuna._hypervolume import compute_hypervolume
from optuna.study._multi_objective import _fast_non_domination_rank


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


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "run":
        run(sys.argv[2])
    else:
        sys.exit(__doc__)
