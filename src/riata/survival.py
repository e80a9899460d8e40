"""Time-to-event outcomes: the Cox partial likelihood, concordance, horizon AUC, Brier score and calibration.

A survival target is a (samples, 2) array of [time, event] (event 1, censored 0); a network's output
is a log relative hazard ("risk score", larger means earlier events). The training loss is Cox's
negative log partial likelihood with Breslow's handling of tied times, as a mean over the samples of a
set, which is the scaling of glmnet's and scikit-survival's Coxnet objective:

    loss = (1 / n) sum over events i of [ log sum_{j: t_j >= t_i} exp(r_j) - r_i ]

In a minibatch the risk sets are the batch's own (as DeepSurv trains); early stopping and lambda
choice use whole validation sets. Concordance and the time-dependent AUC follow scikit-survival's
definitions exactly (its ``concordance_index_censored``, ``concordance_index_ipcw`` and
``cumulative_dynamic_auc``; tests check equality), computed here as weighted pair counts so that a
thousand bootstrap resamples cost a few matrix products. Censoring weights (Uno's concordance, the
AUC and the Brier score) come from the Kaplan-Meier estimate of the censoring distribution on the
training samples; survival curves from Breslow's baseline hazard on the training samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from riata.errors import RiataError

TIED_RISK = 1e-8  # risk scores closer than this count as tied (scikit-survival's tied_tol)
PAIR_BLOCK = 20_000_000  # pairs held at once when counting concordant pairs
BRIER_TIMES = 50  # points of the time grid the integrated Brier score is computed on


def cox_losses(risk: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-sample negative log partial likelihood (models, samples), Breslow ties, within each row's set.

    ``risk`` (models, samples); ``targets`` (samples, 2) or (models, samples, 2) of [time, event].
    Censored samples contribute 0; the mean over samples is the loss of the module doc.
    """
    targets = targets.expand(*risk.shape, 2)
    time, event = targets[..., 0], targets[..., 1]
    order = torch.argsort(time, dim=1, descending=True, stable=True)
    later_first = -time.gather(1, order)  # increasing: the samples still at risk come first
    sorted_risk = risk.gather(1, order)
    log_at_risk = torch.logcumsumexp(sorted_risk, dim=1)
    # Breslow: every sample tied at time t has the whole risk set {t_j >= t}, which ends at the last tie.
    last_tie = torch.searchsorted(later_first.contiguous(), later_first.contiguous(), right=True) - 1
    sorted_losses = event.gather(1, order) * (log_at_risk.gather(1, last_tie) - sorted_risk)
    return torch.empty_like(sorted_losses).scatter_(1, order, sorted_losses)


def cox_sample_losses(target: np.ndarray, risk: np.ndarray) -> np.ndarray:
    """:func:`cox_losses` of one model in float64: target (samples, 2), risk (samples,) -> (samples,)."""
    losses = cox_losses(torch.as_tensor(risk, dtype=torch.float64)[None], torch.as_tensor(target, dtype=torch.float64))
    return losses[0].numpy()


def check_target(target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times (float) and events (bool) of a (samples, 2) survival target."""
    target = np.asarray(target, dtype=float)
    if target.ndim != 2 or target.shape[1] != 2:
        raise RiataError(f"a survival target has two columns, time and event; got shape {target.shape}")
    return target[:, 0], target[:, 1] > 0


def _weighted_pairs(rows: np.ndarray, row_weights: np.ndarray, pair_scores, counts: np.ndarray) -> np.ndarray:
    """sum_r over rows i and all samples j of counts[r, i] row_weights[i] counts[r, j] pair_scores(i, j).

    ``rows`` are the samples that can be first in a pair; ``pair_scores(block)`` gives the (block, samples)
    scores of a block of them; ``counts`` (resamples, samples) is how often each resample draws each sample.
    """
    total = np.zeros(counts.shape[0])
    block = max(1, PAIR_BLOCK // max(counts.shape[1], 1))
    for start in range(0, len(rows), block):
        chunk = rows[start : start + block]
        weighted = counts[:, chunk] * row_weights[chunk]
        total += np.einsum("rj,rj->r", weighted @ pair_scores(chunk), counts)
    return total


def concordance(target: np.ndarray, risk: np.ndarray, *, weights: np.ndarray | None = None,
                counts: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Concordance index of each resample (rows of ``counts``; default one resample of every sample once).

    A pair (i, j) is comparable when i has an event and j lives longer (or is censored at i's time);
    it is concordant when r_i > r_j, half when tied. Each pair counts ``weights[i]`` (default 1:
    Harrell's C; squared inverse censoring weights truncated at tau: Uno's C).
    """
    time, event = check_target(target)
    risk = np.asarray(risk, dtype=float)
    weights = np.ones(len(time)) if weights is None else np.asarray(weights, dtype=float)
    counts = np.ones((1, len(time))) if counts is None else np.asarray(counts, dtype=float)
    rows = np.flatnonzero(event & (weights > 0))

    def comparable(chunk):
        later = time[None, :] > time[chunk, None]
        return (later | ((time[None, :] == time[chunk, None]) & ~event[None, :])).astype(float)

    def concordant(chunk):
        difference = risk[chunk, None] - risk[None, :]
        tied = np.abs(difference) <= TIED_RISK
        return comparable(chunk) * np.where(tied, 0.5, (difference > 0).astype(float))

    with np.errstate(invalid="ignore", divide="ignore"):
        return _weighted_pairs(rows, weights, concordant, counts) / _weighted_pairs(rows, weights, comparable, counts)


def horizon_auc(target: np.ndarray, risk: np.ndarray, horizon: float, case_weights: np.ndarray, *,
                counts: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Cumulative/dynamic AUC at ``horizon`` of each resample: cases have an event by the horizon (each
    weighted by ``case_weights``, the inverse censoring weights), controls are event-free beyond it."""
    time, event = check_target(target)
    risk = np.asarray(risk, dtype=float)
    counts = np.ones((1, len(time))) if counts is None else np.asarray(counts, dtype=float)
    cases = np.flatnonzero(event & (time <= horizon))
    control = (time > horizon).astype(float)

    def ranked_above(chunk):
        difference = risk[chunk, None] - risk[None, :]
        tied = np.abs(difference) <= TIED_RISK
        return control[None, :] * np.where(tied, 0.5, (difference > 0).astype(float))

    with np.errstate(invalid="ignore", divide="ignore"):
        case_mass = (counts[:, cases] * case_weights[cases]).sum(axis=1)
        return _weighted_pairs(cases, case_weights, ranked_above, counts) / (case_mass * (counts @ control))


@dataclass(frozen=True)
class BaselineHazard:
    """Breslow's cumulative baseline hazard H0, a step function: ``cumulative_hazard[i]`` from ``times[i]`` on
    (the training samples' distinct times), held at its last value beyond them and at its first before."""

    times: np.ndarray  # (distinct training times,)
    cumulative_hazard: np.ndarray  # (distinct training times,)

    def __call__(self, times: np.ndarray) -> np.ndarray:
        """H0 at ``times`` (times,), as scikit-survival's StepFunction with times clipped to the last one."""
        from sksurv.functions import StepFunction

        step = StepFunction(np.asarray(self.times, dtype=float), np.asarray(self.cumulative_hazard, dtype=float))
        return np.atleast_1d(step(np.clip(np.asarray(times, dtype=float), None, self.times[-1])))

    def survival_curves(self, risk: np.ndarray, times: np.ndarray) -> np.ndarray:
        """S(t | x) = exp(-H0(t) exp(r)) of each risk score at each time (samples, times)."""
        return np.exp(-np.outer(np.exp(np.asarray(risk, dtype=float)), self(times)))


@dataclass(frozen=True)
class SurvivalReference:
    """What survival metrics of new predictions need from the training samples: their [time, event]
    target (censoring distribution, Breslow baseline) and the horizon at which risk is assessed."""

    train_target: np.ndarray  # (training samples, 2)
    horizon: float

    def __post_init__(self):
        time, event = check_target(self.train_target)
        if not event.any():
            raise RiataError("survival: the training samples have no events")
        if not 0 < self.horizon < time.max():
            raise RiataError(f"survival: horizon {self.horizon:g} must be positive and below the longest training "
                             f"follow-up ({time.max():g})")  # fmt: skip

    def censoring_survival(self, times: np.ndarray) -> np.ndarray:
        """Kaplan-Meier probability of remaining uncensored beyond each time (scikit-survival's G)."""
        from sksurv.nonparametric import CensoringDistributionEstimator

        estimator = CensoringDistributionEstimator().fit(structured(self.train_target))
        return estimator.predict_proba(np.asarray(times, dtype=float))

    def inverse_censoring_weights(self, target: np.ndarray, until: float) -> np.ndarray:
        """1 / G(t_i) for samples with an event at or before ``until``, 0 otherwise (samples,)."""
        time, event = check_target(target)
        weights = np.zeros(len(time))
        used = event & (time <= until)
        survival = self.censoring_survival(time[used])
        if (survival <= 0).any():
            raise RiataError(f"survival: no training sample stays uncensored up to {until:g}; choose a shorter horizon")
        weights[used] = 1 / survival
        return weights

    def baseline_hazard(self, train_risk: np.ndarray) -> BaselineHazard:
        """Breslow's cumulative baseline hazard from a model's training risk scores."""
        from sksurv.linear_model.coxph import BreslowEstimator

        time, event = check_target(self.train_target)
        step = BreslowEstimator().fit(np.asarray(train_risk, dtype=float), event, time).cum_baseline_hazard_
        return BaselineHazard(step.x, step.y)

    def survival_curves(self, train_risk: np.ndarray, risk: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Predicted survival S(t | x) = exp(-H0(t) exp(r)) of each sample at each time (samples, times)."""
        return self.baseline_hazard(train_risk).survival_curves(risk, times)

    def brier_times(self) -> np.ndarray:
        """The grid the integrated Brier score uses: from the first training event to the horizon."""
        time, event = check_target(self.train_target)
        start = time[event].min()
        return np.linspace(start, self.horizon, BRIER_TIMES) if start < self.horizon else np.array([self.horizon])

    def brier_contributions(self, target: np.ndarray, curves: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Each sample's inverse-censoring-weighted squared error at each time (samples, times); their mean
        over samples is scikit-survival's ``brier_score``."""
        time, event = check_target(target)
        died = (time[:, None] <= times[None, :]) & event[:, None]
        alive = time[:, None] > times[None, :]
        weights = self.inverse_censoring_weights(target, times.max())
        return curves**2 * died * weights[:, None] + (1 - curves) ** 2 * alive / self.censoring_survival(times)

    def metrics(self, target: np.ndarray, risk: np.ndarray, baseline: BaselineHazard, *,
                counts: np.ndarray | None = None) -> dict[str, np.ndarray]:  # fmt: skip
        """Uno's concordance (truncated at the horizon), AUC at the horizon and the integrated Brier score
        up to it (survival curves from the model's ``baseline`` hazard), of each resample (rows of
        ``counts``; default all samples once)."""
        time, _ = check_target(target)
        counts = np.ones((1, len(time))) if counts is None else np.asarray(counts, dtype=float)
        inverse = self.inverse_censoring_weights(target, self.horizon)
        uno_weights = np.where(time < self.horizon, inverse**2, 0.0)
        times = self.brier_times()
        brier = counts @ self.brier_contributions(target, baseline.survival_curves(risk, times), times)
        brier /= counts.sum(axis=1, keepdims=True)
        span = times[-1] - times[0]
        integrated = np.trapezoid(brier, times, axis=1) / span if span > 0 else brier[:, 0]
        return {
            "uno_concordance": concordance(target, risk, weights=uno_weights, counts=counts),
            "horizon_auc": horizon_auc(target, risk, self.horizon, inverse, counts=counts),
            "integrated_brier": integrated,
        }


def structured(target: np.ndarray) -> np.ndarray:
    """The structured (event, time) array scikit-survival takes, from a (samples, 2) [time, event] target."""
    time, event = check_target(target)
    return np.array(list(zip(event, time, strict=True)), dtype=[("event", bool), ("time", float)])


def kaplan_meier_risk(target: np.ndarray, horizon: float) -> tuple[float, float, float]:
    """Observed risk by the horizon, 1 - KM(horizon), with its 95% interval (log-log), from scikit-survival."""
    from sksurv.nonparametric import kaplan_meier_estimator

    time, event = check_target(target)
    times, survival, interval = kaplan_meier_estimator(event, time, conf_type="log-log")
    at = np.searchsorted(times, horizon, side="right") - 1
    if at < 0:
        return 0.0, 0.0, 0.0
    return float(1 - survival[at]), float(1 - interval[1, at]), float(1 - interval[0, at])


def calibration_table(target: np.ndarray, predicted_risk: np.ndarray, horizon: float, *, groups: int = 10):
    """Calibration at the horizon: samples in ``groups`` equal-sized groups of predicted risk (1 - S(horizon)),
    each group's mean predicted risk against its Kaplan-Meier observed risk with a 95% interval."""
    import pandas as pd

    from riata.calibration import prediction_groups

    rows = []
    for group, members in enumerate(prediction_groups(predicted_risk, groups)):
        observed, low, high = kaplan_meier_risk(target[members], horizon)
        rows.append({"group": group + 1, "samples": len(members), "events": int(target[members, 1].sum()),
                     "predicted_risk": float(predicted_risk[members].mean()), "observed_risk": observed,
                     "observed_low": low, "observed_high": high})  # fmt: skip
    return pd.DataFrame(rows)


def martingale_residuals(target: np.ndarray, covariates: np.ndarray) -> np.ndarray:
    """event_i - H0(t_i) exp(eta_i) of a Cox model of the target (samples x [time, event]) on the covariates
    (samples x c, possibly none), Breslow ties, from scikit-survival; (samples,)."""
    from sksurv.linear_model import CoxPHSurvivalAnalysis
    from sksurv.linear_model.coxph import BreslowEstimator

    time, event = check_target(target)
    if not event.any():
        raise RiataError("survival: the samples have no events")
    risk = np.zeros(len(time))
    if covariates.shape[1]:
        risk = CoxPHSurvivalAnalysis(ties="breslow").fit(covariates, structured(target)).predict(covariates)
    hazard = BreslowEstimator().fit(risk, event, time).cum_baseline_hazard_(time)
    return event - hazard * np.exp(risk)
