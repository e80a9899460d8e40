"""Metrics of a binary classifier and the input variables a network's first layer keeps."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, average_precision_score, log_loss, roc_auc_score

METRICS = ("loss", "auroc", "accuracy")  # metrics that can choose lambda on the validation set


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


def selected_variables(first_layer: pd.DataFrame, variable_of: pd.Series) -> list[str]:
    """Input variables whose first-layer rows are not all exactly zero, in row order.

    ``first_layer`` is indexed by input column (rows) with one column per hidden unit; ``variable_of``
    maps each input column to its variable (a one-hot column to its categorical variable).
    """
    nonzero_rows = first_layer.index[(first_layer.to_numpy() != 0).any(axis=1)]
    return list(dict.fromkeys(variable_of.loc[nonzero_rows]))
