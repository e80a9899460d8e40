"""Metrics of a binary classifier and the input variables a network's first layer keeps."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, average_precision_score, log_loss, roc_auc_score


def binary_metrics(outcome: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """Accuracy (threshold 0.5), AUROC, average precision and log loss; inputs have shape (samples,)."""
    outcome = np.asarray(outcome, dtype=int)
    probability = np.clip(np.asarray(probability, dtype=float), 1e-7, 1 - 1e-7)
    return {
        "accuracy": float(accuracy_score(outcome, probability >= 0.5)),
        "auroc": float(roc_auc_score(outcome, probability)),
        "average_precision": float(average_precision_score(outcome, probability)),
        "loss": float(log_loss(outcome, probability, labels=[0, 1])),
    }


def metric_standard_errors(outcome: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """Standard errors of loss, accuracy (per-sample standard deviation / sqrt(n)) and AUROC (Hanley-McNeil)."""
    outcome = np.asarray(outcome, dtype=int)
    probability = np.clip(np.asarray(probability, dtype=float), 1e-7, 1 - 1e-7)
    n = len(outcome)
    losses = -(outcome * np.log(probability) + (1 - outcome) * np.log(1 - probability))
    correct = (probability >= 0.5) == outcome
    auroc = roc_auc_score(outcome, probability)
    positives, negatives = int(outcome.sum()), int(n - outcome.sum())
    q1, q2 = auroc / (2 - auroc), 2 * auroc**2 / (1 + auroc)
    auroc_variance = (auroc * (1 - auroc) + (positives - 1) * (q1 - auroc**2) + (negatives - 1) * (q2 - auroc**2)) / (
        positives * negatives
    )
    return {
        "loss": float(losses.std(ddof=1) / np.sqrt(n)),
        "accuracy": float(correct.std(ddof=1) / np.sqrt(n)),
        "auroc": float(np.sqrt(max(auroc_variance, 0.0))),
    }


def selected_variables(first_layer: pd.DataFrame, variable_of: pd.Series) -> list[str]:
    """Input variables whose first-layer rows are not all exactly zero, in row order.

    ``first_layer`` is indexed by input column (rows) with one column per hidden unit; ``variable_of``
    maps each input column to its variable (a one-hot column to its categorical variable).
    """
    nonzero_rows = first_layer.index[(first_layer.to_numpy() != 0).any(axis=1)]
    return list(dict.fromkeys(variable_of.loc[nonzero_rows]))
