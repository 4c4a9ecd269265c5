"""Optuna's side of tests/t_interop.sh, run with the latest Optuna (bench/.venv).

  check JOURNAL STUDY_DB NAME KIND TUNED [COND]  load the journal darktune exported with
      optuna.load_study(JournalStorage(JournalFileBackend(JOURNAL))) and compare every
      trial with the store darktune ran it in (read with sqlite3, not with darktune):
      numbers, states, values, parameters (TUNED: the comma-separated tuned names; COND
      "param:parent=value" must hold exactly where param is set), intermediate values
      (the store's points of KIND: 0 loss, 1 metric). Prints the best trial and each
      distribution; exits 1 at the first mismatch of each kind.
  make JOURNAL      an Optuna study over tests/study/warm.ini's space whose good region is
      learning_rate near 0.1, plus trials darktune must leave out; prints what it made.
  refuses JOURNAL...  for each file, whether Optuna fails to load it ("refused" or "loaded").
"""
import math
import os
import sqlite3
import sys

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

optuna.logging.set_verbosity(optuna.logging.ERROR)


def storage(path):
    return JournalStorage(JournalFileBackend(path))


def same(a, b):
    """Equal floats, NaN equal to NaN."""
    if a is None or b is None:
        return a is None and b is None
    return (math.isnan(a) and math.isnan(b)) or a == b


def check(journal, db, name, kind, tuned, cond):
    study = optuna.load_study(study_name=name, storage=storage(journal))
    con = sqlite3.connect(db)
    sid, direction = con.execute("SELECT id, direction FROM study WHERE name = ?", (name,)).fetchone()
    rows = con.execute("SELECT number, state, value FROM trial WHERE study = ? AND number >= 0 ORDER BY number",
                       (sid,)).fetchall()
    params = {}
    for number, pname, text, num in con.execute("SELECT number, name, text, num FROM param WHERE study = ?", (sid,)):
        params.setdefault(number, {})[pname] = (text, num)
    points = {}
    for number, step, value in con.execute("SELECT number, step, value FROM point WHERE study = ? AND kind = ?"
                                           " ORDER BY step, id", (sid, kind)):
        points.setdefault(number, {})[step] = float("nan") if value is None else value
    errors = []

    def bad(msg):
        errors.append(msg)
        print("MISMATCH: " + msg)

    want_dir = optuna.study.StudyDirection.MAXIMIZE if direction == "maximize" else optuna.study.StudyDirection.MINIMIZE
    if study.direction != want_dir:
        bad(f"direction {study.direction}, store says {direction}")
    trials = study.get_trials(deepcopy=False)
    if len(trials) != len(rows):
        bad(f"{len(trials)} trials, store has {len(rows)}")
    dists = set()
    for t, (number, state, value) in zip(trials, rows):
        if t.number != number:
            bad(f"trial number {t.number}, store has {number}")
        if t.state.name != state:
            bad(f"trial {number}: state {t.state.name}, store has {state}")
        if state in ("COMPLETE", "PRUNED") and not same(t.value, value):
            bad(f"trial {number}: value {t.value}, store has {value}")
        if state == "FAIL" and t.value is not None:
            bad(f"trial {number}: a failed trial with value {t.value}")
        outside = t.user_attrs.get("darktune_outside_space", {})
        stored = {k: v for k, v in params.get(number, {}).items() if k in tuned}
        for pname, (text, num) in stored.items():
            if pname not in t.params:
                if outside.get(pname) != text:
                    bad(f"trial {number}: no {pname} (store has {text})")
                continue
            got = t.params[pname]
            ok = str(got) == text if isinstance(got, str) else num is not None and float(got) == num
            if not ok:
                bad(f"trial {number}: {pname} = {got!r}, store has {text}")
        for pname in t.params:
            if pname not in stored:
                bad(f"trial {number}: {pname} = {t.params[pname]!r}, which the store does not have")
        for pname, dist in t.distributions.items():
            dists.add(f"{pname} {dist!r}")
        if cond:
            child, rule = cond.split(":")
            parent, value = rule.split("=")
            if (child in t.params) != (str(t.params.get(parent)) == value):
                bad(f"trial {number}: {child} set {child in t.params}, {parent} = {t.params.get(parent)!r}")
        want_iv = points.get(number, {})
        got_iv = t.intermediate_values
        if sorted(got_iv) != sorted(want_iv) or any(not same(got_iv[s], want_iv[s]) for s in want_iv):
            bad(f"trial {number}: intermediate values {got_iv}, store has {want_iv}")
    for d in sorted(dists):
        print("distribution " + d)
    best = study.best_trial
    print(f"best trial {best.number}: {best.value}")
    print(f"optuna: {len(trials)} trials, " + ", ".join(
        f"{s.name} {sum(t.state == s for t in trials)}" for s in optuna.trial.TrialState))
    return 1 if errors else 0


def make(journal):
    """Trials over warm.ini's space: learning_rate log(1e-3, 1), momentum uniform(0.5, 0.95),
    batch choice(32, 64). The value peaks at learning_rate 0.1, whatever the rest."""
    if os.path.exists(journal):
        os.remove(journal)
    study = optuna.create_study(study_name="elsewhere", storage=storage(journal), direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=3))
    made = {"complete": 0, "pruned": 0, "fail": 0, "unknown": 0, "outside": 0}
    # One trial outside the sweep's range, enqueued: the name and kind fit, the value does not.
    study.enqueue_trial({"learning_rate": 5.0})

    def objective(trial):
        high = 10.0 if trial.number == 0 else 1.0
        lr = trial.suggest_float("learning_rate", 1e-3, high, log=True)
        trial.suggest_float("momentum", 0.5, 0.95)
        trial.suggest_categorical("batch", [32, 64])
        if trial.number % 9 == 4:
            trial.suggest_float("decay", 1e-5, 1e-2, log=True)   # not in the sweep's space
        if trial.number % 11 == 6:
            raise RuntimeError("a crash")
        value = 0.9 - 0.3 * (math.log10(lr) + 1) ** 2
        for step in (5, 10, 15, 20):
            trial.report(value * step / 20, step)
            if lr < 0.004 and step == 10:
                raise optuna.TrialPruned()
        return value

    study.optimize(objective, n_trials=40, catch=(RuntimeError,))
    for t in study.trials:
        if t.params.get("learning_rate", 0) > 1:
            made["outside"] += 1
        elif "decay" in t.params:
            made["unknown"] += 1
        elif t.state == optuna.trial.TrialState.FAIL:
            made["fail"] += 1
        elif t.state == optuna.trial.TrialState.PRUNED:
            made["pruned"] += 1
        else:
            made["complete"] += 1
    print(" ".join(f"{k} {v}" for k, v in made.items()))
    return 0


def refuses(paths):
    for p in paths:
        try:
            s = storage(p)
            for summary in optuna.get_all_study_summaries(storage=s):
                optuna.load_study(study_name=summary.study_name, storage=s).get_trials()
            print(f"{os.path.basename(p)} loaded")
        except Exception as e:   # what Optuna raises differs by case: any exception is a refusal
            print(f"{os.path.basename(p)} refused ({type(e).__name__})")
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "check":
        sys.exit(check(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6].split(","),
                       sys.argv[7] if len(sys.argv) > 7 else None))
    if cmd == "make":
        sys.exit(make(sys.argv[2]))
    if cmd == "refuses":
        sys.exit(refuses(sys.argv[2:]))
    sys.exit(f"unknown command {cmd}")
