#!/usr/bin/env python3
"""The Optuna peer of the end-to-end benchmark (bench/e2e.sh, `make bench-e2e`).

What a Darknet user would write today: the latest Optuna, TPE (seeded) and the
MedianPruner with their defaults, driving the Debian `darknet classifier train` by
subprocess, two trials at a time (n_jobs=2, threads). Each trial writes its own cfg
(the base cfg with learning_rate, momentum, decay and max_batches rewritten in [net])
and its own .data (backup in the trial's folder), reads the per-iteration lines, and
reports -avg_loss every REPORT iterations (the study maximizes top-1, and MedianPruner
compares intermediate values in the study's direction). A pruned trial's process
group is killed; nan or inf is pruned too. A finished trial is scored by
`darknet classifier valid` (the last "N: top 1: X, top 5: Y" line).

usage: e2e_peer.py SEED OUTDIR [--data F] [--cfg F] [--trials N] [--iters N] [--jobs N]

Writes OUTDIR/peer.csv: number,state,value,seconds,iterations,ms_per_iteration,finished
(value: top-1 of a COMPLETE trial, empty otherwise; seconds: finish time since the study started; finished: unix time of the finish;
ms_per_iteration: median of Darknet's own "Loaded:" + per-iteration seconds), and
OUTDIR/trials/<n>/ (trial.cfg, trial.data, train.log, valid.log, weights).
It does not read anything of darktune's.
"""
import argparse
import csv
import math
import os
import re
import signal
import statistics
import subprocess
import threading
import time

import optuna

REPORT = 10  # iterations between two trial.report calls
# pjreddie classifier: "%ld, %.3f: %f, %f avg, %f rate, %lf seconds, %ld images"
ITER_RE = re.compile(r"(\d+), [-0-9.naif]+: (\S+), (\S+) avg, (\S+) rate, (\S+) seconds, (\d+) images")
LOADED_RE = re.compile(r"Loaded: (\S+) seconds")
TOP1_RE = re.compile(r"\d+: top 1: (\S+), top \d+: (\S+)")


class TrialFailed(Exception):
    """Darknet ended without its final weights or short of max_batches."""


def write_cfg(base, path, values):
    """The base cfg with values' keys rewritten in place in [net] (appended there when absent)."""
    out, section, seen = [], None, set()
    with open(base) as f:
        lines = f.read().splitlines()
    for line in lines:
        s = line.strip()
        if s.startswith("["):
            if section in ("[net]", "[network]"):
                out.extend(f"{k}={v}" for k, v in values.items() if k not in seen)
            section = s
        elif section in ("[net]", "[network]") and "=" in s and not s.startswith(("#", ";")):
            key = s.split("=", 1)[0].strip()
            if key in values:
                line = f"{key}={values[key]}"
                seen.add(key)
        out.append(line)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def write_data(base, path, backup):
    """The base .data with backup pointing at the trial's folder."""
    with open(base) as f:
        lines = [l for l in f.read().splitlines() if l.split("=", 1)[0].strip() != "backup"]
    with open(path, "w") as f:
        f.write("\n".join(lines + [f"backup={backup}"]) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("seed", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--data", default="bench/out/e2e/e2e.data")
    ap.add_argument("--cfg", default="cfg/fashion.cfg")
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    outdir = os.path.abspath(a.outdir)
    data, cfg = os.path.abspath(a.data), os.path.abspath(a.cfg)
    os.makedirs(outdir, exist_ok=True)
    stats = {}  # trial number -> (iterations, ms per iteration)
    lock = threading.Lock()

    def objective(trial):
        values = {
            "learning_rate": trial.suggest_float("learning_rate", 1e-4, 0.3, log=True),
            "momentum": trial.suggest_float("momentum", 0.7, 0.95),
            "decay": trial.suggest_float("decay", 1e-5, 1e-2, log=True),
            "max_batches": a.iters,
        }
        tdir = os.path.join(outdir, "trials", str(trial.number))
        os.makedirs(tdir, exist_ok=True)
        tcfg, tdata = os.path.join(tdir, "trial.cfg"), os.path.join(tdir, "trial.data")
        write_cfg(cfg, tcfg, values)
        write_data(data, tdata, tdir)
        it, loaded, ms, verdict = 0, 0.0, [], None
        with open(os.path.join(tdir, "train.log"), "w") as log:
            # Darknet never flushes stdout: stdbuf -oL, or lines arrive late. Its own
            # process group, so that a pruned trial is killed whole.
            p = subprocess.Popen(["stdbuf", "-oL", "darknet", "classifier", "train", tdata, tcfg],
                                 cwd=tdir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=log, text=True, start_new_session=True)
            ended = False
            try:
                for line in p.stdout:
                    log.write(line)
                    m = LOADED_RE.search(line)
                    if m:
                        loaded = float(m.group(1))
                        continue
                    m = ITER_RE.search(line)
                    if not m:
                        continue
                    it = int(m.group(1))
                    loss, avg = float(m.group(2)), float(m.group(3))
                    ms.append(1000 * (loaded + float(m.group(5))))
                    loaded = 0.0
                    if not (math.isfinite(loss) and math.isfinite(avg)):
                        verdict = "diverged"
                        break
                    if it % REPORT == 0:
                        trial.report(-avg, it)
                        if trial.should_prune():
                            verdict = "pruned"
                            break
                else:
                    ended = True  # end of output: darknet is exiting by itself
            finally:
                if not ended:
                    os.killpg(p.pid, signal.SIGKILL)
                p.stdout.close()
                p.wait()
        with lock:
            stats[trial.number] = (it, statistics.median(ms) if ms else float("nan"))
        if verdict:
            raise optuna.TrialPruned(verdict)
        # The exit status is no verdict (the Debian darknet may abort after saving):
        # the final weights and the iteration count are.
        weights = os.path.join(tdir, "trial.weights")
        if it < a.iters or not os.path.exists(weights):
            raise TrialFailed(f"trial {trial.number}: exit {p.returncode} at iteration {it}")
        r = subprocess.run(["darknet", "classifier", "valid", tdata, tcfg, weights], cwd=tdir,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        with open(os.path.join(tdir, "valid.log"), "w") as f:
            f.write(r.stdout + r.stderr)
        tops = TOP1_RE.findall(r.stdout)
        if not tops:
            raise TrialFailed(f"trial {trial.number}: no top-1 from classifier valid (exit {r.returncode})")
        return float(tops[-1][0])

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    t0 = time.time()
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=a.seed),
                                pruner=optuna.pruners.MedianPruner())
    study.optimize(objective, n_trials=a.trials, n_jobs=a.jobs, catch=(TrialFailed,))
    with open(os.path.join(outdir, "peer.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["number", "state", "value", "seconds", "iterations", "ms_per_iteration", "finished"])
        for t in sorted(study.trials, key=lambda t: t.number):
            fin = t.datetime_complete.timestamp() if t.datetime_complete else float("nan")
            its, ms = stats.get(t.number, (0, float("nan")))
            # A pruned trial's Optuna value is its last report (-avg_loss): left out.
            value = f"{t.value:.6f}" if t.state == optuna.trial.TrialState.COMPLETE else ""
            w.writerow([t.number, t.state.name, value,
                        f"{fin - t0:.3f}", its, f"{ms:.1f}", f"{fin:.3f}"])


if __name__ == "__main__":
    main()
