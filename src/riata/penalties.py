"""Penalties on a network's first layer and their proximal operators, as pure tensor functions.

The penalised weights ``w`` have shape (models, inputs, hidden): row i of model m holds the outgoing
first-layer weights of input column i, so a stack of independent networks is penalised at once. Each
model has its own strength ``lambda_`` (shape (models,)). With ``|w|`` the elementwise absolute value
and ``a`` the mixing ``l1_ratio``:

* ``none``:        0
* ``l1``:          lambda * sum |w|
* ``l2``:          lambda / 2 * sum w^2
* ``elastic_net``: lambda * (a * sum |w| + (1 - a) / 2 * sum w^2)     (glmnet's parametrisation)
* ``group_lasso``: lambda * sum_g sqrt(p_g) * ||w_g||_2
* ``sparse_group_lasso``: lambda * ((1 - a) * sum_g sqrt(p_g) * ||w_g||_2 + a * sum |w|)  (Simon et al. 2013)

A group g is a set of rows: for the first layer, the rows of one input variable (one row for a
numeric variable or a genetic component, all one-hot rows of a categorical variable); for a later
layer, the row of one hidden unit (its outgoing weights). p_g is the group's number of weights (rows
x columns), as in the group-sparse network literature (Scardapane et al. 2017). Each group may carry a
penalty factor (glmnet's penalty.factor) multiplying its terms; a factor 0 leaves the group unpenalised.

The proximal operator of step t solves argmin_v ||v - w||^2 / 2 + t * penalty(v). With t = step size
x lambda applied after each gradient step, weights become exactly zero. ``step`` may be one value per
model (shape (models,)) or one per weight (the shape of w, for a diagonally preconditioned optimiser
such as Adam); a group penalty then uses the mean step over each group's weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from riata.settings import PENALTIES


@dataclass(frozen=True)
class Groups:
    """Assignment of input rows to groups: ``index`` (inputs,) holds each row's group in 0..n-1, and
    ``factors``, when given, each group's penalty factor (0: unpenalized; None: all 1): (groups,) for every
    model of a stack, or (models, groups) for each its own (:meth:`of_models` follows a shrinking stack)."""

    index: torch.Tensor
    n_groups: int
    factors: torch.Tensor | None = None

    @classmethod
    def from_labels(cls, labels: list[str], unpenalized: set[str] | frozenset[str] = frozenset()) -> Groups:
        """Groups from one label per input row (rows with the same label form one group); the groups
        labelled in ``unpenalized`` get penalty factor 0."""
        order = list(dict.fromkeys(labels))
        position = {label: g for g, label in enumerate(order)}
        factors = None
        if unpenalized & set(order):
            factors = torch.tensor([0.0 if label in unpenalized else 1.0 for label in order], dtype=torch.float64)
        return cls(torch.tensor([position[label] for label in labels], dtype=torch.long), len(order), factors)

    @classmethod
    def rows(cls, n_rows: int) -> Groups:
        """Every row its own group (the hidden units of a later layer)."""
        return cls(torch.arange(n_rows), n_rows)

    def sizes(self, n_hidden: int) -> torch.Tensor:
        """Number of weights per group (rows x hidden), shape (groups,)."""
        return torch.bincount(self.index, minlength=self.n_groups).to(torch.float64) * n_hidden

    def means(self, values: torch.Tensor) -> torch.Tensor:
        """Mean of each group's entries; (models, inputs, hidden) -> (models, groups)."""
        totals = torch.zeros(values.shape[0], self.n_groups, dtype=values.dtype, device=values.device)
        totals.index_add_(1, self.index.to(values.device), values.sum(dim=2))
        return totals / self.sizes(values.shape[2]).to(values.dtype)

    def norms(self, w: torch.Tensor) -> torch.Tensor:
        """Euclidean norm of each group's weights; (models, inputs, hidden) -> (models, groups)."""
        squares = w.square().sum(dim=2)
        totals = torch.zeros(w.shape[0], self.n_groups, dtype=w.dtype, device=w.device)
        return totals.index_add_(1, self.index.to(w.device), squares).sqrt()

    def maxima(self, values: torch.Tensor) -> torch.Tensor:
        """Largest entry of each group; (models, inputs, hidden) -> (models, groups)."""
        index = self.index.to(values.device).expand(values.shape[0], -1)
        largest = torch.full((values.shape[0], self.n_groups), -torch.inf, dtype=values.dtype, device=values.device)
        return largest.scatter_reduce(1, index, values.amax(dim=2), reduce="amax")

    def row_factors(self, w: torch.Tensor) -> torch.Tensor:
        """Each row's penalty factor, (1 or models, inputs, 1) in w's dtype (needs ``factors``)."""
        factors = self.factors.to(w.dtype).to(w.device)
        return factors[..., self.index.to(w.device)].reshape(-1, len(self.index), 1)

    def of_models(self, models: torch.Tensor) -> Groups:
        """The groups of the stack's models at positions ``models``: per-model factors follow them."""
        if self.factors is None or self.factors.dim() == 1:
            return self
        return Groups(self.index, self.n_groups, self.factors[models])


def soft_threshold(w: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
    """sign(w) * max(|w| - threshold, 0): the proximal operator of threshold * |w|."""
    return torch.sign(w) * torch.clamp(w.abs() - threshold, min=0)


def penalty_value(
    name: str, w: torch.Tensor, lambda_: torch.Tensor, groups: Groups, l1_ratio: float = 0.5
) -> torch.Tensor:
    """Penalty of each model's weights ``w`` (models, rows, columns) at its ``lambda_`` (models,), shape (models,)."""
    lambda_ = torch.as_tensor(lambda_, dtype=w.dtype, device=w.device).reshape(-1)
    rows = 1.0 if groups.factors is None else groups.row_factors(w)

    def l1() -> torch.Tensor:
        return (w.abs() * rows).sum(dim=(1, 2))

    def squares() -> torch.Tensor:
        return (w.square() * rows).sum(dim=(1, 2))

    def group_norms() -> torch.Tensor:
        per_group = groups.norms(w) * groups.sizes(w.shape[2]).sqrt().to(w.dtype)
        return (per_group if groups.factors is None else per_group * groups.factors.to(w.dtype)).sum(dim=1)

    if name == "none":
        return torch.zeros_like(lambda_)
    if name == "l1":
        return lambda_ * l1()
    if name == "l2":
        return lambda_ / 2 * squares()
    if name == "elastic_net":
        return lambda_ * (l1_ratio * l1() + (1 - l1_ratio) / 2 * squares())
    if name == "group_lasso":
        return lambda_ * group_norms()
    if name == "sparse_group_lasso":
        return lambda_ * ((1 - l1_ratio) * group_norms() + l1_ratio * l1())
    raise ValueError(f"unknown penalty {name!r}")


def proximal(name: str, w: torch.Tensor, step: torch.Tensor, groups: Groups, l1_ratio: float = 0.5) -> torch.Tensor:
    """Proximal operator of ``step`` x penalty, per model; ``step`` is step size x lambda (see the module doc).
    Penalty factors scale each row's step (a factor 0 leaves the row as it is)."""
    return ProximalOperator(name, step, groups, w, l1_ratio)(w)


class ProximalOperator:
    """:func:`proximal` at fixed steps, for weights shaped like ``like`` (models, rows, columns): what does not
    depend on the weights (each row's or group's threshold) is computed once, for the many proximal steps a
    stack takes between changes of its step."""

    def __init__(self, name: str, step: torch.Tensor, groups: Groups, like: torch.Tensor, l1_ratio: float = 0.5):
        if name not in PENALTIES:
            raise ValueError(f"unknown penalty {name!r}")
        self.name, self.l1_ratio = name, l1_ratio
        step = torch.as_tensor(step, dtype=like.dtype, device=like.device)
        per_weight = step.shape == like.shape
        if name in ("group_lasso", "sparse_group_lasso"):
            per_group = groups.means(step) if per_weight else step.reshape(-1, 1)  # (models, 1 or groups)
            if groups.factors is not None:
                per_group = per_group * groups.factors.to(like.dtype)
            share = 1 - l1_ratio if name == "sparse_group_lasso" else 1.0
            self.group_threshold = share * per_group * groups.sizes(like.shape[2]).sqrt().to(like.dtype)
            self.groups = groups
            rows = like.shape[1]
            self.one_row_each = groups.n_groups == rows and torch.equal(groups.index, torch.arange(rows))
        t = step if per_weight else step.reshape(-1, 1, 1)
        self.row_step = t if groups.factors is None else t * groups.row_factors(like)  # broadcasts against w

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        t, name = self.row_step, self.name
        if name == "none":
            return w
        if name == "l1":
            return soft_threshold(w, t)
        if name == "l2":
            return w / (1 + t)
        if name == "elastic_net":
            return soft_threshold(w, t * self.l1_ratio) / (1 + t * (1 - self.l1_ratio))
        if name == "sparse_group_lasso":
            w = soft_threshold(w, t * self.l1_ratio)
        return self._group_shrink(w)

    def _group_shrink(self, w: torch.Tensor) -> torch.Tensor:
        """w with each group scaled by max(1 - threshold_g / ||w_g||, 0): the proximal operator of
        sum_g threshold_g * ||w_g||."""
        norms = w.square().sum(dim=2).sqrt_() if self.one_row_each else self.groups.norms(w)
        shrink = (1 - self.group_threshold / norms.clamp_min_(torch.finfo(w.dtype).tiny)).clamp_(min=0)
        return w * (shrink if self.one_row_each else shrink[:, self.groups.index]).unsqueeze(2)
