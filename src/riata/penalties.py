"""Penalties on a network's first layer and their proximal operators, as pure tensor functions.

The penalised weights ``w`` have shape (models, inputs, hidden): row i of model m holds the outgoing
first-layer weights of input column i, so a stack of independent networks is penalised at once. Each
model has its own strength ``lam`` (shape (models,)). With ``|w|`` the elementwise absolute value:

* ``none``:        0
* ``l1``:          lam * sum |w|
* ``l2``:          lam / 2 * sum w^2
* ``elastic_net``: lam * (alpha * sum |w| + (1 - alpha) / 2 * sum w^2)     (glmnet's parametrisation)
* ``group_lasso``: lam * sum_g sqrt(p_g) * ||w_g||_2

A group g is the set of rows of one input variable (one row for a numeric variable or a genetic
component, all one-hot rows of a categorical variable) and p_g its number of weights (rows x hidden),
as in the group-sparse network literature (Scardapane et al. 2017). The proximal operator of step t
solves argmin_v ||v - w||^2 / 2 + t * penalty(v); with t = learning rate x lam it is applied after
each gradient step, which is what makes weights exactly zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Groups:
    """Assignment of input rows to groups: ``index`` (inputs,) holds each row's group in 0..n-1."""

    index: torch.Tensor
    n_groups: int

    @classmethod
    def from_labels(cls, labels: list[str]) -> Groups:
        """Groups from one label per input row (rows with the same label form one group)."""
        order = list(dict.fromkeys(labels))
        position = {label: g for g, label in enumerate(order)}
        return cls(torch.tensor([position[label] for label in labels], dtype=torch.long), len(order))

    def sizes(self, n_hidden: int) -> torch.Tensor:
        """Number of weights per group (rows x hidden), shape (groups,)."""
        return torch.bincount(self.index, minlength=self.n_groups).to(torch.float64) * n_hidden

    def norms(self, w: torch.Tensor) -> torch.Tensor:
        """Euclidean norm of each group's weights; (models, inputs, hidden) -> (models, groups)."""
        squares = w.square().sum(dim=2)
        totals = torch.zeros(w.shape[0], self.n_groups, dtype=w.dtype, device=w.device)
        return totals.index_add_(1, self.index.to(w.device), squares).sqrt()


def _strength(lam: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Per-model strength (models,) reshaped to broadcast against w (models, inputs, hidden)."""
    return torch.as_tensor(lam, dtype=w.dtype, device=w.device).reshape(-1, 1, 1)


def soft_threshold(w: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
    """sign(w) * max(|w| - threshold, 0): the proximal operator of threshold * |w|."""
    return torch.sign(w) * torch.clamp(w.abs() - threshold, min=0)


def penalty_value(name: str, w: torch.Tensor, lam: torch.Tensor, groups: Groups, l1_ratio: float = 0.5) -> torch.Tensor:
    """Penalty of each model's first layer, shape (models,)."""
    lam = _strength(lam, w).reshape(-1)
    if name == "none":
        return torch.zeros_like(lam)
    if name == "l1":
        return lam * w.abs().sum(dim=(1, 2))
    if name == "l2":
        return lam / 2 * w.square().sum(dim=(1, 2))
    if name == "elastic_net":
        return lam * (l1_ratio * w.abs().sum(dim=(1, 2)) + (1 - l1_ratio) / 2 * w.square().sum(dim=(1, 2)))
    if name == "group_lasso":
        weights = groups.sizes(w.shape[2]).sqrt().to(w.dtype)
        return lam * (groups.norms(w) * weights).sum(dim=1)
    raise ValueError(f"unknown penalty {name!r}")


def proximal(name: str, w: torch.Tensor, step: torch.Tensor, groups: Groups, l1_ratio: float = 0.5) -> torch.Tensor:
    """Proximal operator of ``step`` x penalty for each model; ``step`` (models,) is learning rate x lam."""
    t = _strength(step, w)
    if name == "none":
        return w
    if name == "l1":
        return soft_threshold(w, t)
    if name == "l2":
        return w / (1 + t)
    if name == "elastic_net":
        return soft_threshold(w, t * l1_ratio) / (1 + t * (1 - l1_ratio))
    if name == "group_lasso":
        weights = groups.sizes(w.shape[2]).sqrt().to(w.dtype)  # (groups,)
        norms = groups.norms(w)  # (models, groups)
        shrink = torch.clamp(1 - t.reshape(-1, 1) * weights / norms.clamp_min(torch.finfo(w.dtype).tiny), min=0)
        return w * shrink[:, groups.index.to(w.device)].unsqueeze(2)
    raise ValueError(f"unknown penalty {name!r}")
