"""riata's lambda path against LassoNet's, in one process, on the same data.

For each problem: one train/test split (70/30, stratified for classification), inputs standardised on the
training samples, then each tool's whole path and its choice of lambda on 10% of the training samples held
out (each tool draws its own inner split of that size):

* riata: ``PenalizedMLPClassifierCV`` / ``PenalizedMLPRegressorCV`` with their defaults (group lasso, 16
  hidden units, every lambda at once from the unpenalised network with adaptive factors, the half-relaxed path,
  lambda with the best validation loss), ``--n-lambdas`` lambdas over a 100-fold range (lambda_min_ratio 0.01);
* LassoNet 0.0.21 (``pip install --no-deps lassonet==0.0.21`` beside riata's torch) with its defaults
  (100 hidden units, M = 10, dense start then the path), the path multiplier set to riata's grid ratio so
  both have the same resolution, and the model with the best validation loss, as its documentation does.

The figure of merit is wall time for the whole path up to the chosen model, the median of ``--repeats`` runs
(the two tools take turns, as a shared machine's speed drifts); then test AUROC (R2 for regression), inputs
kept, and precision / recall of the kept inputs where the truth is known. Problems: scikit-learn's breast
cancer table (no truth), make_classification with 10 informative inputs of 200 (the first 10) and
make_friedman1 (a nonlinear regression; its first 5 of 50 inputs matter).

    python benchmarks/lassonet.py                 # every problem, 40 lambdas, 1 thread
    python benchmarks/lassonet.py --problems breast_cancer --n-lambdas 20

The last run's table is in benchmarks/results_lassonet.txt.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, make_classification, make_friedman1
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from riata import PenalizedMLPClassifierCV, PenalizedMLPRegressorCV

LAMBDA_RANGE = 100  # lambda_max / smallest lambda, riata's default lambda_min_ratio 0.01


def problems() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None, bool]]:
    """name -> (inputs (samples, features), outcome (samples,), indices of the informative inputs or None,
    is classification)."""
    cancer = load_breast_cancer()
    x_cls, y_cls = make_classification(n_samples=2000, n_features=200, n_informative=10, n_redundant=0,
                                       shuffle=False, random_state=1)  # fmt: skip
    x_reg, y_reg = make_friedman1(n_samples=1000, n_features=50, noise=1.0, random_state=0)
    return {
        "breast_cancer": (cancer.data, cancer.target, None, True),
        "make_classification": (x_cls, y_cls, np.arange(10), True),
        "make_friedman1": (x_reg, (y_reg - y_reg.mean()) / y_reg.std(), np.arange(5), False),
    }


def run_riata(x_train, y_train, x_test, classification: bool, n_lambdas: int, seed: int):
    """Wall time, test predictions and kept input indices of riata's chosen network."""
    estimator = PenalizedMLPClassifierCV if classification else PenalizedMLPRegressorCV
    start = time.perf_counter()
    model = estimator(n_lambdas=n_lambdas, random_state=seed).fit(x_train, y_train)
    seconds = time.perf_counter() - start
    prediction = model.predict_proba(x_test)[:, 1] if classification else model.predict(x_test)
    return seconds, prediction, np.flatnonzero(model.support_), len(model.path_)


def run_lassonet(x_train, y_train, x_test, classification: bool, n_lambdas: int, seed: int):
    """Wall time, test predictions and kept input indices of LassoNet's model with the best validation loss."""
    here = Path(__file__).resolve().parent  # this script is lassonet.py too: import the package, not itself
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
    from lassonet import LassoNetClassifier, LassoNetRegressor

    multiplier = LAMBDA_RANGE ** (1 / (n_lambdas - 1))
    estimator = LassoNetClassifier if classification else LassoNetRegressor
    start = time.perf_counter()
    model = estimator(path_multiplier=multiplier, val_size=0.1, random_state=seed, torch_seed=seed, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = model.path(x_train, y_train, return_state_dicts=True)
    best = min(path, key=lambda item: item.val_loss)
    model.load(best.state_dict)
    seconds = time.perf_counter() - start
    prediction = model.predict_proba(x_test)[:, 1] if classification else model.predict(x_test).ravel()
    return seconds, prediction, np.flatnonzero(best.selected.cpu().numpy()), len(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(problems()), choices=list(problems()))
    parser.add_argument("--n-lambdas", type=int, default=40, help="riata's grid size; LassoNet gets the same ratio")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="runs per tool and problem; the median time is shown")
    options = parser.parse_args()
    torch.set_num_threads(options.threads)
    ratio = LAMBDA_RANGE ** (1 / (options.n_lambdas - 1))
    print(
        f"{options.n_lambdas} lambdas per 100-fold range (ratio {ratio:.3f}), {options.threads} thread(s), "
        f"median of {options.repeats} runs\n"
    )
    print("| problem | tool | whole path (s) | lambdas trained | kept | test AUROC / R2 | precision / recall |")
    print("|---|---|---|---|---|---|---|")
    data = problems()
    for name in options.problems:
        x, y, truth, classification = data[name]
        stratify = y if classification else None
        x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=options.seed,
                                                            stratify=stratify)  # fmt: skip
        scaler = StandardScaler().fit(x_train)
        x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
        runs = {"riata": [], "LassoNet": []}
        for _ in range(options.repeats):
            for tool, run in (("riata", run_riata), ("LassoNet", run_lassonet)):
                runs[tool].append(run(x_train, y_train, x_test, classification, options.n_lambdas, options.seed))
        for tool, results in runs.items():
            seconds = float(np.median([result[0] for result in results]))
            _, prediction, kept, n_trained = results[0]
            if any(not np.array_equal(result[2], kept) for result in results):
                print(f"WARNING: {tool} kept different inputs in its repeated runs on {name}", file=sys.stderr)
            quality = roc_auc_score(y_test, prediction) if classification else r2_score(y_test, prediction)
            found = "-"
            if truth is not None:
                hits = np.isin(kept, truth).sum()
                found = f"{hits / max(len(kept), 1):.2f} / {hits / len(truth):.2f}"
            print(f"| {name} | {tool} | {seconds:.1f} | {n_trained} | {len(kept)} | {quality:.4f} | {found} |",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
