"""bench/store_peer.py: Optuna's RDB storage doing what bench/store_bench.c does with
darktune's store: one trial with two parameters (ask), 100 intermediate values
(report), then its value (tell). Prints milliseconds per trial.

    store_peer.py URL TRIALS   (URL: sqlite:///path or postgresql+psycopg2://...)
"""
import os
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
url, n = sys.argv[1], int(sys.argv[2])
storage = optuna.storages.RDBStorage(url)
study = optuna.create_study(storage=storage, study_name=f"store-peer-{os.getpid()}", direction="maximize")
t0 = time.perf_counter()
for i in range(n):
    trial = study.ask()
    trial.suggest_float("learning_rate", 1e-4, 0.1, log=True)
    trial.suggest_float("momentum", 0.5, 0.99)
    for k in range(100):
        trial.report(2.0 / (k + 1), k + 1)
    study.tell(trial, 0.8)
print(f"{1000 * (time.perf_counter() - t0) / n:.3f}")
