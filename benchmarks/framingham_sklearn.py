"""The real Framingham analysis through scikit-learn's penalised logistic regression, beside riata's networks.

Reads a finished riata run on config/framingham.yaml (`make framingham`): the design riata fitted on the training
samples (features/: median-imputed, standardized numeric covariates, one-hot MONTH) and its comparison table. Fits
scikit-learn's LogisticRegression with an L1 and an elastic-net (l1_ratio 0.5) penalty (saga) on the same training
samples over 30 values of C from 1e-3 to 1e2, chooses C by the validation log loss (as riata's lambda_rule best)
and by the one-standard-error rule (riata's default: the smallest C whose validation loss is within one standard
error of the best), and prints for each the test AUROC with a 95% bootstrap interval (riata's own bootstrap), the
variables kept (one-hot columns grouped by variable) and the largest coefficient; then riata's rows. The last line
is machine-readable: ``sklearn_l1_auroc=<> riata_l1_auroc=<> riata_largest=<>``.

    python benchmarks/framingham_sklearn.py results/framingham
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

from riata.evaluate import bootstrap_intervals, group_norms
from riata.io.clinical import OUTCOME
from riata.io.results import read_features
from riata.tasks import Task

C_GRID = np.logspace(-3, 2, 30)


def fits(x: dict, y: dict, l1_ratio: float) -> list[tuple[float, LogisticRegression, float, float]]:
    """(C, fitted model, validation log loss, its standard error) along the C grid."""
    path = []
    for c in C_GRID:
        model = LogisticRegression(C=c, l1_ratio=l1_ratio, solver="saga", max_iter=5000, tol=1e-6).fit(
            x["train"], y["train"]
        )
        probability = model.predict_proba(x["validation"])[:, 1]
        losses = -(y["validation"] * np.log(probability) + (1 - y["validation"]) * np.log(1 - probability))
        path.append((c, model, log_loss(y["validation"], probability), losses.std(ddof=1) / np.sqrt(len(losses))))
    return path


def chosen(path, rule: str):
    best = min(range(len(path)), key=lambda k: path[k][2])
    if rule == "best":
        return path[best]
    bar = path[best][2] + path[best][3]
    return next(point for point in path if point[2] <= bar)  # the smallest C (strongest penalty) within one SE


def describe(name: str, model: LogisticRegression, x: dict, y: dict, columns: pd.DataFrame) -> dict:
    probability = model.predict_proba(x["test"])[:, 1]
    low, high = bootstrap_intervals(Task("binary"), y["test"], probability, seed=1)["auroc"]
    weights = pd.DataFrame(model.coef_.T, index=columns["column"])
    norms = group_norms(weights, columns.set_index("column")["variable"])
    kept = norms[norms > 0]
    return {"model": name, "C": model.C, "test_auroc": roc_auc_score(y["test"], probability), "auroc_low": low,
            "auroc_high": high, "kept": len(kept), "variables kept": ", ".join(kept.index),
            "largest": norms.idxmax()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="results folder of a riata run on config/framingham.yaml")
    arguments = parser.parse_args()
    tables, columns, _ = read_features(arguments.results / "features")
    names = columns["column"].tolist()
    x = {split: table[names].to_numpy() for split, table in tables.items()}
    y = {split: table[OUTCOME].to_numpy() for split, table in tables.items()}
    sizes = ", ".join(f"{split} {len(values)}" for split, values in y.items())
    print(f"samples: {sizes}; {len(names)} input columns; CHD within 10 years in {y['train'].mean():.1%} of the "
          "training samples")  # fmt: skip
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for penalty, l1_ratio in (("l1", 1.0), ("elastic_net", 0.5)):
            path = fits(x, y, l1_ratio)
            for rule in ("best", "one_se"):
                rows.append(describe(f"scikit-learn {penalty}, C by {rule}", chosen(path, rule)[1], x, y, columns))
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    comparison = pd.read_csv(arguments.results / "comparison.tsv", sep="\t")
    riata = comparison.groupby("penalty", sort=False).agg(test_auroc=("auroc", "mean"), auroc_sd=("auroc", "std"),
                                                          kept=("n_selected", "mean"))  # fmt: skip
    print("\nriata (mean over seeds):")
    print(riata.to_string(float_format=lambda v: f"{v:.4g}"))
    largest = _riata_largest(arguments.results, comparison)
    print(f"riata's largest first-layer group norm, per model: {largest.value_counts().to_dict()}")
    sklearn_l1 = table.loc[table["model"] == "scikit-learn l1, C by one_se", "test_auroc"].item()
    print(f"sklearn_l1_auroc={sklearn_l1:.4f} riata_l1_auroc={riata.loc['l1', 'test_auroc']:.4f} "
          f"riata_largest={largest.value_counts().idxmax()}")  # fmt: skip


def _riata_largest(results: Path, comparison: pd.DataFrame) -> pd.Series:
    """The variable with the largest first-layer group norm in each of riata's models."""
    largest = []
    for model in comparison.itertuples():
        folder = results / "models" / model.feature_set / model.penalty / f"seed{model.seed}"
        layer = pd.read_csv(folder / "first_layer.tsv", sep="\t").set_index("input")
        inputs = pd.read_csv(folder / "inputs.tsv", sep="\t").set_index("column")
        largest.append(group_norms(layer, inputs["variable"]).idxmax())
    return pd.Series(largest)


if __name__ == "__main__":
    main()
