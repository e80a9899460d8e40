"""What a network predicts: binary classification, multiclass classification, regression or survival.

A task fixes the number of network outputs, the data loss, the intercept-only fit (where lambda_max is
computed), how outputs become predictions, and the metrics reported. Network outputs have shape
(models, samples, outputs); targets are 0/1 (binary), class indices 0..K-1 (multiclass), numbers, or
(samples, 2) [time, event] rows (survival: the output is a log relative hazard, see :mod:`riata.survival`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
)

from riata.errors import RiataError
from riata.io.clinical import OUTCOME, OUTCOME_TIME
from riata.settings import OUTCOME_TYPES, REGRESSION_LOSSES
from riata.survival import concordance, cox_losses, cox_sample_losses

# Validation metrics that can choose lambda, per task ("loss" is the task's own data loss).
SELECTION_METRICS = {"binary": ("loss", "auroc", "accuracy"), "multiclass": ("loss", "auroc", "accuracy"),
                     "continuous": ("loss", "r2"), "survival": ("loss", "concordance")}  # fmt: skip
LARGER_IS_BETTER = {"loss": False, "auroc": True, "accuracy": True, "r2": True, "concordance": True}


@dataclass(frozen=True)
class Task:
    """The prediction task: ``kind`` is binary, multiclass, continuous or survival."""

    kind: str = "binary"
    n_classes: int = 2
    regression_loss: str = "squared"

    def __post_init__(self):
        if self.kind not in OUTCOME_TYPES:
            raise RiataError(f"unknown outcome type {self.kind!r}; choose from {', '.join(OUTCOME_TYPES)}")
        if self.regression_loss not in REGRESSION_LOSSES:
            raise RiataError(f"unknown regression loss {self.regression_loss!r}; choose from squared, absolute")
        if self.kind == "multiclass" and self.n_classes < 2:
            raise RiataError("a multiclass outcome needs at least 2 classes")

    @property
    def n_outputs(self) -> int:
        return self.n_classes if self.kind == "multiclass" else 1

    def targets(self, table: pd.DataFrame) -> np.ndarray:
        """The coded outcome of a riata table: (samples,), or (samples, 2) [time, event] for survival."""
        if self.kind == "survival":
            return table[[OUTCOME_TIME, OUTCOME]].to_numpy(dtype=float)
        return table[OUTCOME].to_numpy()

    def target_tensor(self, values: np.ndarray) -> torch.Tensor:
        dtype = torch.long if self.kind == "multiclass" else torch.float32
        return torch.as_tensor(np.asarray(values), dtype=dtype)

    def losses(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Per-sample data losses (models, samples) from outputs (models, samples, outputs).

        ``targets`` has shape (samples,) shared by all models, or (models, samples); survival targets have
        a last axis of 2. A survival sample's loss depends on the others in its set (its risk set).
        """
        if self.kind == "survival":
            return cox_losses(outputs[..., 0], targets)
        targets = targets.expand(outputs.shape[:2])
        if self.kind == "binary":
            return F.binary_cross_entropy_with_logits(outputs[..., 0], targets, reduction="none")
        if self.kind == "multiclass":
            return F.cross_entropy(outputs.transpose(1, 2), targets, reduction="none")
        residual = outputs[..., 0] - targets
        return residual.square() if self.regression_loss == "squared" else residual.abs()

    def intercept(self, targets: torch.Tensor) -> torch.Tensor:
        """Output bias of the best constant prediction (outputs,), where lambda_max is computed (survival: any)."""
        if self.kind == "survival":
            return torch.zeros(1)
        if self.kind == "binary":
            return torch.logit(targets.float().mean()).reshape(1)
        if self.kind == "multiclass":
            counts = torch.bincount(targets, minlength=self.n_classes).float()
            return torch.log(counts.clamp_min(0.5) / counts.sum())
        centre = targets.mean() if self.regression_loss == "squared" else targets.median()
        return centre.reshape(1)

    def predict(self, outputs: torch.Tensor) -> np.ndarray:
        """Probabilities of the positive class (models, samples), of each class (models, samples, K), values, or
        risk scores (survival: log relative hazards)."""
        if self.kind == "binary":
            return torch.sigmoid(outputs[..., 0]).numpy()
        if self.kind == "multiclass":
            return torch.softmax(outputs, dim=-1).numpy()
        return outputs[..., 0].numpy()

    def metrics(self, target: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
        """Test metrics of one model: ``prediction`` is one row of :meth:`predict`'s result.

        Survival: Harrell's concordance and the partial likelihood loss; the metrics that need the training
        samples are :meth:`riata.survival.SurvivalReference.metrics`.
        """
        if self.kind == "survival":
            return {"concordance": float(concordance(target, prediction)[0]),
                    "loss": float(cox_sample_losses(target, prediction).mean())}  # fmt: skip
        if self.kind == "binary":
            probability = np.clip(prediction, 1e-7, 1 - 1e-7)
            return {
                "accuracy": float(accuracy_score(target, probability >= 0.5)),
                "auroc": float(roc_auc_score(target, probability)),
                "average_precision": float(average_precision_score(target, probability)),
                "loss": float(log_loss(target, probability, labels=[0, 1])),
            }
        if self.kind == "multiclass":
            labels = np.arange(self.n_classes)
            present = np.isin(labels, target)
            clipped = np.clip(prediction, 1e-7, 1)
            return {
                "accuracy": float(accuracy_score(target, prediction.argmax(axis=1))),
                "auroc": float(
                    roc_auc_score(target, prediction[:, present] / prediction[:, present].sum(axis=1, keepdims=True),
                                  multi_class="ovr", labels=labels[present])
                    if present.sum() > 2 else np.nan
                ),
                "loss": float(log_loss(target, clipped / clipped.sum(axis=1, keepdims=True), labels=labels)),
            }  # fmt: skip
        residual = prediction - target
        loss = np.mean(residual**2) if self.regression_loss == "squared" else np.mean(np.abs(residual))
        return {
            "rmse": float(np.sqrt(np.mean(residual**2))),
            "mae": float(mean_absolute_error(target, prediction)),
            "r2": float(r2_score(target, prediction)),
            "loss": float(loss),
        }

    def standard_errors(self, target: np.ndarray, prediction: np.ndarray,
                        metrics: dict[str, float] | None = None) -> dict[str, float]:  # fmt: skip
        """Standard errors of the selection metrics: per-sample SD / sqrt(n); AUROC by Hanley-McNeil.
        ``metrics``: the prediction's :meth:`metrics`, when the caller has them already.

        Survival: a sample's partial-likelihood term is 0 when censored and about log(n) for an event, whatever
        the model, so the SD of the terms measures how many events the set has, not how models differ; the
        loss's SE is that of each sample's term minus its term under the empty model (risk 0 for all), a
        paired SE whose mean differs from the loss by a constant. Concordance: as if it were the AUROC of
        events against censored samples (an approximation).
        """
        n = len(target)
        if self.kind == "survival":
            paired = self.sample_losses(target, prediction) - self.sample_losses(target, np.zeros(n))
            events = float(target[:, 1].sum())
            concordance_value = (metrics or self.metrics(target, prediction))["concordance"]
            return {"loss": float(paired.std(ddof=1) / np.sqrt(n)),
                    "concordance": hanley_mcneil_se(concordance_value, events, n - events)}  # fmt: skip
        errors = {"loss": float(self.sample_losses(target, prediction).std(ddof=1) / np.sqrt(n))}
        if self.kind == "continuous":
            squared = (prediction - target) ** 2
            errors["r2"] = float(squared.std(ddof=1) / np.sqrt(n) / max(np.var(target), 1e-12))
            return errors
        predicted_class = (prediction >= 0.5).astype(int) if self.kind == "binary" else prediction.argmax(axis=1)
        correct = predicted_class == target
        errors["accuracy"] = float(correct.std(ddof=1) / np.sqrt(n))
        auroc = (metrics or self.metrics(target, prediction))["auroc"]
        positives = int(target.sum()) if self.kind == "binary" else n / self.n_classes
        errors["auroc"] = hanley_mcneil_se(auroc, positives, n - positives)
        return errors

    def sample_losses(self, target: np.ndarray, prediction: np.ndarray) -> np.ndarray:
        """The data loss of each sample (samples,), from one model's predictions."""
        if self.kind == "survival":
            return cox_sample_losses(target, prediction)
        if self.kind == "binary":
            probability = np.clip(prediction, 1e-7, 1 - 1e-7)
            return -(target * np.log(probability) + (1 - target) * np.log(1 - probability))
        if self.kind == "multiclass":
            return -np.log(np.clip(prediction[np.arange(len(target)), target], 1e-7, 1))
        residual = prediction - target
        return residual**2 if self.regression_loss == "squared" else np.abs(residual)


def hanley_mcneil_se(auroc: float, positives: float, negatives: float) -> float:
    """Standard error of an AUROC (Hanley & McNeil 1982)."""
    if np.isnan(auroc) or positives < 1 or negatives < 1:
        return float("nan")
    q1, q2 = auroc / (2 - auroc), 2 * auroc**2 / (1 + auroc)
    variance = (auroc * (1 - auroc) + (positives - 1) * (q1 - auroc**2) + (negatives - 1) * (q2 - auroc**2)) / (
        positives * negatives
    )
    return float(np.sqrt(max(variance, 0.0)))
