"""What a trained network says: the input variables it keeps, their weight, dead hidden units, and its
test metrics with bootstrap intervals (one row of metrics.tsv).

Each task's metrics (accuracy, AUROC, ...) are defined in :mod:`riata.tasks`.
"""

from __future__ import annotations

import itertools
import warnings

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


def model_metrics(task, targets: dict[str, np.ndarray], result, source_of: dict[str, str], settings, *,
                  feature_set: str, penalty: str, reference=None) -> dict:  # fmt: skip
    """One row of metrics.tsv: the model, its test metrics with 95% bootstrap intervals, its validation
    loss and what it kept. ``targets`` holds the train, validation and test outcomes, ``result`` is a
    :class:`riata.train.SeedResult` and ``source_of`` maps each input variable to its source (clinical, or a
    genetic one: components, polygenic score, SNPs, the oracle's liability). A binary model's metrics add its
    calibration (:mod:`riata.calibration`); a survival model's those that need the training samples
    (``reference``, a :class:`riata.survival.SurvivalReference`)."""
    survival = None
    if reference is not None:
        survival = (reference, reference.baseline_hazard(result.predictions["train"]))
    test = metrics_with_intervals(task, targets["test"], result.predictions["test"], seed=result.seed,
                                  survival=survival)  # fmt: skip
    validation = task.metrics(targets["validation"], result.predictions["validation"])
    return {
        "feature_set": feature_set, "penalty": penalty, "seed": result.seed, "outcome_type": task.kind,
        "mode": settings.mode, "lambda": result.lambda_, "best_epoch": result.best_epoch, **test,
        "validation_loss": validation["loss"], "n_inputs": len(source_of),
        "n_selected": len(result.selected),
        "n_selected_clinical": sum(source_of[v] == "clinical" for v in result.selected),
        "n_selected_genetic": sum(source_of[v] != "clinical" for v in result.selected),
        "n_selected_above_threshold": len(result.selected_above_threshold), "zero_threshold": settings.zero_threshold,
        "n_dead_units": result.n_dead_units, "selected": ";".join(result.selected),
        "selected_above_threshold": ";".join(result.selected_above_threshold),
    }  # fmt: skip


def metrics_with_intervals(task, target: np.ndarray, prediction: np.ndarray, *, seed: int, survival=None) -> dict:
    """Each test metric of ``prediction`` with its 95% bootstrap interval (``<metric>``, ``<metric>_low``,
    ``<metric>_high``), then ``test_loss``; ``survival`` as for :func:`resample_metrics`."""
    everyone = np.arange(len(target))[None]  # one "resample": every sample once
    test = {name: float(values[0]) for name, values in resample_metrics(task, target, prediction, everyone,
                                                                        survival=survival).items()}  # fmt: skip
    test |= task.metrics(target, prediction)  # the task's own metrics as scikit-learn computes them
    intervals = bootstrap_intervals(task, target, prediction, seed=seed, survival=survival)
    with_intervals = {
        column: value
        for name in test
        if name != "loss"
        for column, value in [(name, test[name]), (f"{name}_low", intervals[name][0]),
                              (f"{name}_high", intervals[name][1])]
    }  # fmt: skip
    return with_intervals | {"test_loss": test["loss"]}


def _binary_scores(target: np.ndarray, probability: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, AUROC and average precision of each bootstrap resample: one sort, not one per resample.

    ``target`` and ``probability`` have shape (samples,); ``counts`` (resamples, samples) says how often
    each resample draws each sample. Samples with equal probabilities form one threshold group (ties,
    as in scikit-learn): AUROC is the Mann-Whitney statistic with ties counted one half, average
    precision scikit-learn's step-wise sum of precision times the recall gained at each threshold.
    """
    order = np.argsort(probability, kind="stable")
    group_starts = np.flatnonzero(np.r_[True, np.diff(probability[order]) != 0])  # increasing probability
    weights = counts[:, order].astype(float)
    positives_in = np.add.reduceat(weights * target[order], group_starts, axis=1)
    negatives_in = np.add.reduceat(weights * (1 - target[order]), group_starts, axis=1)
    positives, negatives = positives_in.sum(axis=1), negatives_in.sum(axis=1)
    negatives_below = np.cumsum(negatives_in, axis=1) - negatives_in
    # Thresholds from the highest probability down: true positives and samples at or above each one.
    true_positives = np.cumsum(positives_in[:, ::-1], axis=1)
    seen = np.cumsum((positives_in + negatives_in)[:, ::-1], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auroc = (positives_in * (negatives_below + negatives_in / 2)).sum(axis=1) / (positives * negatives)
        precision = np.where(seen > 0, true_positives / np.maximum(seen, 1), 0.0)
        average_precision = (precision * positives_in[:, ::-1]).sum(axis=1) / positives
    correct = (probability[order] >= 0.5) == target[order].astype(bool)
    accuracy = weights @ correct / weights.sum(axis=1)
    return {"accuracy": accuracy, "auroc": auroc, "average_precision": average_precision}


def _draw_counts(indices: np.ndarray) -> np.ndarray:
    """How often each bootstrap resample (rows of ``indices``) draws each sample: (resamples, samples)."""
    resamples, samples = indices.shape
    flat = (np.arange(resamples)[:, None] * samples + indices).ravel()
    return np.bincount(flat, minlength=resamples * samples).reshape(resamples, samples)


def resample_metrics(task, target: np.ndarray, prediction: np.ndarray, indices: np.ndarray, *,
                     survival=None, calibration: bool = True) -> dict[str, np.ndarray]:  # fmt: skip
    """Test metrics of ``prediction`` on each bootstrap resample (rows of ``indices``), metric -> (resamples,).

    Binary outcomes add the calibration intercept, slope and Brier score unless ``calibration`` is False (their fits
    cost ten times the other metrics); ``survival`` (a :class:`riata.survival.SurvivalReference` and the model's
    :class:`riata.survival.BaselineHazard`) adds the survival metrics that need the censoring distribution and
    survival curves.
    """
    if task.kind == "binary":
        from riata.calibration import calibration_metrics

        counts = _draw_counts(indices)
        scores = _binary_scores(target.astype(float), prediction, counts)
        return scores | calibration_metrics(target, prediction, counts=counts) if calibration else scores
    if task.kind == "survival":
        from riata.survival import concordance

        counts = _draw_counts(indices)
        scores = {"concordance": concordance(target, prediction, counts=counts)}
        if survival is not None:
            reference, baseline = survival
            scores |= reference.metrics(target, prediction, baseline, counts=counts)
        return scores
    counts = _draw_counts(indices)
    if task.kind == "multiclass":
        return _multiclass_scores(target, prediction, counts)
    return _continuous_scores(target, prediction, counts)


def _multiclass_scores(target: np.ndarray, probability: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy and one-vs-rest macro AUROC (scikit-learn's ``multi_class="ovr"``) of each bootstrap resample, for
    ``target`` (samples,) class indices, ``probability`` (samples, classes) and ``counts`` (resamples, samples). A
    class that a resample does not draw is left out of its mean."""
    weights = counts.astype(float)
    accuracy = weights @ (probability.argmax(axis=1) == target) / weights.sum(axis=1)
    per_class = [_binary_scores((target == k).astype(float), probability[:, k], counts)["auroc"]
                 for k in range(probability.shape[1])]  # fmt: skip
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample drawing one class only: nan
        auroc = np.nanmean(per_class, axis=0)
    return {"accuracy": accuracy, "auroc": auroc}


def _continuous_scores(target: np.ndarray, prediction: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
    """RMSE, MAE and R2 of each bootstrap resample (``counts`` (resamples, samples) as for the binary scores)."""
    weights = counts.astype(float)
    drawn = weights.sum(axis=1)
    residual = prediction - target
    squared = weights @ residual**2
    mean_target = weights @ target / drawn
    total = weights @ target**2 - drawn * mean_target**2
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = 1 - squared / total
    return {"rmse": np.sqrt(squared / drawn), "mae": weights @ np.abs(residual) / drawn, "r2": r2}


def bootstrap_intervals(
    task, target: np.ndarray, prediction: np.ndarray, *, resamples: int = 1000, seed: int = 0, survival=None
) -> dict[str, tuple[float, float]]:
    """95% percentile bootstrap interval of each test metric over test samples (``survival`` as for
    :func:`resample_metrics`)."""
    indices = np.random.default_rng(seed).integers(0, len(target), size=(resamples, len(target)))
    scores = resample_metrics(task, np.asarray(target), np.asarray(prediction), indices, survival=survival)
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
        resample_metrics(task, target, prediction, indices, calibration=False)[metric]
        - resample_metrics(task, target, baseline, indices, calibration=False)[metric]
    )
    differences = differences[np.isfinite(differences)]
    low, high = np.percentile(differences, [2.5, 97.5])
    below, above = (differences <= 0).mean(), (differences >= 0).mean()
    return {"difference": float(observed), "low": float(low), "high": float(high),
            "p_value": float(min(1.0, 2 * min(below, above)))}  # fmt: skip
