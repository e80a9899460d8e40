"""Calibration and clinical usefulness of predicted probabilities of a binary outcome.

Outcomes ``y`` (samples,) are 0 or 1 and ``p`` (samples,) the predicted probabilities of a 1. Calibration follows
Van Calster et al. (2019, BMC Medicine) and TRIPOD: the calibration intercept (calibration-in-the-large) is ``a`` of
the logistic model logit P(y = 1) = a + logit(p) with logit(p) as an offset (0 when the predicted risks are right
on average), the calibration slope is ``b`` of logit P(y = 1) = a + b logit(p) (1 when they are neither too extreme,
b < 1, nor too modest, b > 1); both are maximum-likelihood fits by Newton's method with step halving, vectorised over
bootstrap resamples given as sample counts. The decision curve (Vickers and Elkin 2006) gives the net benefit of
treating the samples whose predicted risk reaches a threshold t: TP/n - FP/n * t / (1 - t).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from riata.errors import RiataError

CLIP = 1e-7  # predicted probabilities are clipped to [CLIP, 1 - CLIP] before their logit (as the log loss is)
NEWTON_STEPS = 50  # a fit that has not converged by then (a separated resample) is NaN
NEWTON_TOLERANCE = 1e-10  # converged: the last Newton step changes no coefficient by more than this
HALVINGS = 30  # at most this many halvings of a Newton step that lowers the likelihood
HALVING_SLACK = 1e-9  # relative loss of log-likelihood that counts as lower (not rounding)
WILSON_Z = 1.959963984540054  # the normal quantile of a 95% interval


def check_binary(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes and probabilities (samples,) as floats, after checking they are 0/1 and in [0, 1]."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    if y.ndim != 1 or y.shape != p.shape:
        raise RiataError(f"calibration: outcomes {y.shape} and probabilities {p.shape} must be equal-length vectors")
    if not np.isin(y, (0, 1)).all():
        raise RiataError("calibration: a binary outcome is coded 0 or 1")
    if not ((p >= 0) & (p <= 1)).all():
        raise RiataError("calibration: predicted probabilities must lie in [0, 1]")
    return y, p


def _log_likelihood(y, offset, counts, a, b):
    eta = a[:, None] + b[:, None] * offset
    return (counts * (y * eta - np.logaddexp(0, eta))).sum(axis=1)


def _logistic_fit(y, offset, counts, *, slope: bool) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood a and b of logit P(y = 1) = a + b * offset of each resample (rows of ``counts``,
    (resamples, samples)), with b fixed at 1 unless ``slope``; NaN where the fit does not converge."""
    a, b = np.zeros(len(counts)), np.ones(len(counts))
    with np.errstate(all="ignore"):
        for _ in range(NEWTON_STEPS):
            mu = expit(a[:, None] + b[:, None] * offset)
            residual, information = counts * (y - mu), counts * mu * (1 - mu)
            g_a, h_aa = residual.sum(axis=1), information.sum(axis=1)
            if slope:
                g_b, h_ab, h_bb = residual @ offset, information @ offset, information @ offset**2
                determinant = h_aa * h_bb - h_ab**2
                step_a, step_b = (h_bb * g_a - h_ab * g_b) / determinant, (h_aa * g_b - h_ab * g_a) / determinant
            else:
                step_a, step_b = g_a / h_aa, np.zeros_like(a)
            current, scale = _log_likelihood(y, offset, counts, a, b), np.ones_like(a)
            for _ in range(HALVINGS):  # a loss beyond rounding (a step near the optimum may lose a few ulps)
                trial = _log_likelihood(y, offset, counts, a + scale * step_a, b + scale * step_b)
                worse = trial < current - HALVING_SLACK * np.abs(current)
                if not worse.any():
                    break
                scale[worse] /= 2
            a, b = a + scale * step_a, b + scale * step_b
            converged = np.maximum(np.abs(step_a), np.abs(step_b)) < NEWTON_TOLERANCE
            if converged.all():
                break
    return np.where(converged, a, np.nan), np.where(converged, b, np.nan)


def calibration_metrics(y: np.ndarray, p: np.ndarray, *, counts: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Calibration intercept, calibration slope and Brier score of each resample (rows of ``counts``,
    (resamples, samples): how often each resample draws each sample; default all samples once) -> (resamples,).
    A resample whose predictions are all equal (a network with an empty first layer) has no slope (NaN)."""
    y, p = check_binary(y, p)
    counts = np.ones((1, len(y))) if counts is None else np.asarray(counts, dtype=float)
    offset = logit(np.clip(p, CLIP, 1 - CLIP))
    intercept, _ = _logistic_fit(y, offset, counts, slope=False)
    _, calibration_slope = _logistic_fit(y, offset, counts, slope=True)
    drawn = counts > 0
    varied = np.where(drawn, offset, -np.inf).max(axis=1) > np.where(drawn, offset, np.inf).min(axis=1)
    brier = counts @ (p - y) ** 2 / counts.sum(axis=1)
    return {"calibration_intercept": intercept, "calibration_slope": np.where(varied, calibration_slope, np.nan),
            "brier": brier}  # fmt: skip


def prediction_groups(predicted: np.ndarray, groups: int) -> list[np.ndarray]:
    """Sample indices in ``groups`` equal-sized groups of increasing prediction (fewer with fewer samples)."""
    order = np.argsort(predicted, kind="stable")
    return np.array_split(order, min(groups, len(order)))


def wilson_interval(events: np.ndarray, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's 95% interval (low, high) of the share events / samples, elementwise."""
    events, samples = np.asarray(events, dtype=float), np.asarray(samples, dtype=float)
    z2 = WILSON_Z**2
    centre = (events + z2 / 2) / (samples + z2)
    half = WILSON_Z * np.sqrt(events * (samples - events) / samples + z2 / 4) / (samples + z2)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)  # within [0, 1] but for rounding


def calibration_table(y: np.ndarray, p: np.ndarray, *, groups: int = 10) -> pd.DataFrame:
    """Binned calibration: samples in ``groups`` equal-sized groups of predicted risk, each group's mean predicted
    risk against its observed share of events with Wilson's 95% interval; one row per group."""
    y, p = check_binary(y, p)
    members = prediction_groups(p, groups)
    samples = np.array([len(m) for m in members])
    events = np.array([y[m].sum() for m in members])
    low, high = wilson_interval(events, samples)
    return pd.DataFrame({"group": np.arange(1, len(members) + 1), "samples": samples, "events": events.astype(int),
                         "predicted_risk": [p[m].mean() for m in members], "observed_risk": events / samples,
                         "observed_low": low, "observed_high": high})  # fmt: skip


def threshold_grid(low: float = 0.01, high: float = 0.99, step: float = 0.01) -> np.ndarray:
    """Risk thresholds from ``low`` to ``high`` (both included) every ``step``, all strictly between 0 and 1."""
    if not 0 < low <= high < 1:
        raise RiataError(f"calibration: thresholds must satisfy 0 < low <= high < 1; got {low:g} to {high:g}")
    return np.linspace(low, high, round((high - low) / step) + 1)


def decision_curve(y: np.ndarray, p: np.ndarray, thresholds: np.ndarray | None = None) -> pd.DataFrame:
    """Net benefit at each threshold t (default :func:`threshold_grid`) of treating the samples with p >= t, and of
    treating everyone (treat_all); treating no one has net benefit 0. Columns threshold, net_benefit, treat_all."""
    y, p = check_binary(y, p)
    t = threshold_grid() if thresholds is None else np.asarray(thresholds, dtype=float)
    order = np.argsort(p, kind="stable")
    below = np.searchsorted(p[order], t, side="left")  # samples with p < t: not treated
    positives_below = np.r_[0.0, np.cumsum(y[order])][below]
    n, positives = len(y), y.sum()
    true_positives = positives - positives_below
    false_positives = (n - below) - true_positives
    odds = t / (1 - t)
    prevalence = positives / n
    return pd.DataFrame({"threshold": t, "net_benefit": true_positives / n - false_positives / n * odds,
                         "treat_all": prevalence - (1 - prevalence) * odds})  # fmt: skip


def model_panels(kind: str, predictions: pd.DataFrame, horizon: float | None, *, groups: int = 10,
                 thresholds: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """One model's calibration table and its second figure's data, from its predictions (rows of predictions.tsv
    or of ``riata predict``'s output, with the outcome): binary, the decision curve; survival (calibration at
    ``horizon`` against Kaplan-Meier), the predictions themselves for the Kaplan-Meier curves."""
    from riata.io.clinical import OUTCOME, OUTCOME_TIME
    from riata.survival import calibration_table as survival_calibration_table

    if kind == "survival":
        target = predictions[[OUTCOME_TIME, OUTCOME]].to_numpy(dtype=float)
        return survival_calibration_table(target, predictions["risk_at_horizon"].to_numpy(), horizon,
                                          groups=groups), predictions  # fmt: skip
    y, p = predictions[OUTCOME].to_numpy(), predictions["probability"].to_numpy()
    return calibration_table(y, p, groups=groups), decision_curve(y, p, thresholds)
