"""What a trained network's weights say: the input variables it keeps, their weight, dead hidden units.

Task metrics (accuracy, AUROC, ...) live in :mod:`riata.tasks`.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd


def selected_variables(first_layer: pd.DataFrame, variable_of: pd.Series, threshold: float = 0.0) -> list[str]:
    """Input variables with a first-layer weight whose magnitude exceeds ``threshold``, in row order.

    With the default threshold 0 these are the variables whose rows are not all exactly zero.
    ``first_layer`` is indexed by input column with one column per hidden unit; ``variable_of`` maps
    each input column to its variable (a one-hot column to its categorical variable).
    """
    kept_rows = first_layer.index[(np.abs(first_layer.to_numpy()) > threshold).any(axis=1)]
    return list(dict.fromkeys(variable_of.loc[kept_rows]))


def group_norms(first_layer: pd.DataFrame, variable_of: pd.Series) -> pd.Series:
    """Euclidean norm of each variable's first-layer weights (all its rows together), in row order."""
    squares = pd.Series((first_layer.to_numpy() ** 2).sum(axis=1), index=variable_of.loc[first_layer.index].to_numpy())
    return np.sqrt(squares.groupby(level=0, sort=False).sum())


def dead_units(weights: list[np.ndarray]) -> int:
    """Hidden units switched off: all incoming or all outgoing weights exactly zero.

    ``weights`` are one network's weight matrices, layer by layer, each (inputs, outputs).
    """
    dead = 0
    for incoming, outgoing in itertools.pairwise(weights):
        dead += int(((incoming == 0).all(axis=0) | (outgoing == 0).all(axis=1)).sum())
    return dead


def _binary_scores(target: np.ndarray, probability: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, AUROC and average precision of each row of (resamples, samples) arrays, vectorised.

    AUROC is the Mann-Whitney statistic with mid-ranks for ties; average precision is scikit-learn's
    step-wise definition (precision at each distinct threshold times the recall gained there).
    """
    positives = target.sum(axis=1)
    negatives = target.shape[1] - positives
    order = np.argsort(probability, axis=1, kind="stable")
    sorted_probability = np.take_along_axis(probability, order, axis=1)
    ranks = np.empty_like(probability)
    np.put_along_axis(ranks, order, np.arange(1, target.shape[1] + 1, dtype=float)[None, :], axis=1)
    # mid-ranks for ties: average the ranks within each run of equal probabilities
    for row in np.flatnonzero((np.diff(sorted_probability, axis=1) == 0).any(axis=1)):
        _, inverse = np.unique(probability[row], return_inverse=True)
        ranks[row] = (np.bincount(inverse, weights=ranks[row]) / np.bincount(inverse))[inverse]
    descending = np.take_along_axis(target, order[:, ::-1], axis=1)
    descending_probability = sorted_probability[:, ::-1]
    true_positives = np.cumsum(descending, axis=1)
    seen = np.arange(1, target.shape[1] + 1)[None, :]
    # Thresholds between distinct probabilities only (tied samples enter together, as in scikit-learn).
    group_end = np.concatenate(
        [descending_probability[:, 1:] != descending_probability[:, :-1], np.ones((len(target), 1), bool)], axis=1
    )
    previous_end = np.concatenate(
        [np.zeros((len(target), 1)), np.maximum.accumulate(np.where(group_end, true_positives, 0), axis=1)[:, :-1]],
        axis=1,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        auroc = ((ranks * target).sum(axis=1) - positives * (positives + 1) / 2) / (positives * negatives)
        gains = np.where(group_end, (true_positives / seen) * (true_positives - previous_end), 0.0)
        average_precision = gains.sum(axis=1) / positives
    accuracy = ((probability >= 0.5) == target.astype(bool)).mean(axis=1)
    return {"accuracy": accuracy, "auroc": auroc, "average_precision": average_precision}


def resample_metrics(task, target: np.ndarray, prediction: np.ndarray, indices: np.ndarray) -> dict[str, np.ndarray]:
    """Test metrics of ``prediction`` on each bootstrap resample (rows of ``indices``), metric -> (resamples,)."""
    if task.kind == "binary":
        return _binary_scores(target[indices].astype(float), prediction[indices])
    values = [task.metrics(target[rows], prediction[rows]) for rows in indices]
    return {name: np.array([v[name] for v in values]) for name in values[0] if name != "loss"}


def bootstrap_intervals(
    task, target: np.ndarray, prediction: np.ndarray, *, resamples: int = 1000, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """95% percentile bootstrap interval of each test metric over test samples."""
    indices = np.random.default_rng(seed).integers(0, len(target), size=(resamples, len(target)))
    scores = resample_metrics(task, np.asarray(target), np.asarray(prediction), indices)
    return {name: tuple(np.nanpercentile(values, [2.5, 97.5])) for name, values in scores.items()}


def paired_difference(
    task, metric: str, target: np.ndarray, prediction: np.ndarray, baseline: np.ndarray, *, resamples: int = 1000,
    seed: int = 0,
) -> dict[str, float]:  # fmt: skip
    """Paired bootstrap of ``metric`` (model minus baseline) on the same test samples.

    Returns the observed difference, its 95% interval and a two-sided p-value (twice the share of
    resamples on the other side of zero, at most 1).
    """
    target, prediction, baseline = (np.asarray(a) for a in (target, prediction, baseline))
    observed = task.metrics(target, prediction)[metric] - task.metrics(target, baseline)[metric]
    indices = np.random.default_rng(seed).integers(0, len(target), size=(resamples, len(target)))
    differences = (
        resample_metrics(task, target, prediction, indices)[metric]
        - resample_metrics(task, target, baseline, indices)[metric]
    )
    differences = differences[np.isfinite(differences)]
    low, high = np.percentile(differences, [2.5, 97.5])
    below, above = (differences <= 0).mean(), (differences >= 0).mean()
    return {"difference": float(observed), "low": float(low), "high": float(high),
            "p_value": float(min(1.0, 2 * min(below, above)))}  # fmt: skip
