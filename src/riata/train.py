"""Training penalised networks: all (lambda, seed) models of one penalty as one batched computation.

Each gradient step (Adam on the mean binary cross-entropy of a minibatch) is followed by the penalty's
proximal step with step size learning rate x lambda, so first-layer weights become exactly zero.
Each model keeps its own early stopping on validation loss and is restored to its best epoch; the
result is the same as training the models one by one, because Adam acts elementwise, each model has
its own loss, and a model's best epoch only depends on epochs before its patience ran out.
Per seed, lambda is chosen on the validation set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from riata.errors import RiataError
from riata.evaluate import METRICS, binary_metrics, selected_variables
from riata.model import StackedMLP
from riata.penalties import PENALTIES, Groups, proximal
from riata.progress import progress
from riata.settings import setting

log = logging.getLogger("riata")


@dataclass(frozen=True)
class TrainSettings:
    """How networks are trained and lambda is chosen."""

    hidden_layers: tuple[int, ...] = setting((16,), "units of each hidden layer")
    learning_rate: float = setting(0.02, "SGD learning rate")
    momentum: float = setting(0.9, "SGD momentum")
    batch_size: int = setting(64, "minibatch size")
    max_epochs: int = setting(300, "most epochs per network")
    patience: int = setting(30, "epochs without a better validation loss before a network stops")
    n_lambdas: int = setting(10, "lambda values per penalty")
    lambda_min_ratio: float = setting(0.01, "smallest lambda as a share of the largest")
    lambda_max: float | None = setting(None, "largest lambda; default: computed from the gradient at zero")
    l1_ratio: float = setting(0.5, "elastic net mixing: 1 is L1, towards 0 is L2")
    selection_metric: str = setting("loss", "validation metric that chooses lambda: loss, auroc or accuracy")

    def validate(self) -> None:
        checks = [
            (all(h >= 1 for h in self.hidden_layers), "hidden_layers must be positive integers"),
            (self.learning_rate > 0, "learning_rate must be positive"),
            (0 <= self.momentum < 1, "momentum must be in [0, 1)"),
            (self.batch_size >= 1, "batch_size must be at least 1"),
            (self.max_epochs >= 1, "max_epochs must be at least 1"),
            (self.patience >= 1, "patience must be at least 1"),
            (self.n_lambdas >= 1, "n_lambdas must be at least 1"),
            (0 < self.lambda_min_ratio <= 1, "lambda_min_ratio must be in (0, 1]"),
            (self.lambda_max is None or self.lambda_max > 0, "lambda_max must be positive"),
            (0 < self.l1_ratio <= 1, "l1_ratio must be in (0, 1]"),
            (self.selection_metric in METRICS, f"selection_metric must be one of {', '.join(METRICS)}"),
        ]
        for ok, message in checks:
            if not ok:
                raise RiataError(f"train: {message}")


def lambda_max(penalty: str, x: np.ndarray, y: np.ndarray, groups: Groups, l1_ratio: float) -> float:
    """Scale of the lambda grid, from the gradient at zero as glmnet computes it.

    With ``g = X^T (mean(y) - y) / n`` (x: samples x inputs, y: 0/1), it is ``max |g_j|`` for l1 and l2,
    ``max |g_j| / l1_ratio`` for elastic net and ``max_g ||g_g|| / sqrt(rows_g)`` for group lasso: the
    smallest lambda at which a network without hidden layers (logistic regression) has an all-zero
    first layer. With hidden layers it is the same bound for second-layer weights of unit size.
    """
    gradient = x.T @ (y.mean() - y) / len(y)
    if penalty in ("l1", "l2"):
        return float(np.abs(gradient).max())
    if penalty == "elastic_net":
        return float(np.abs(gradient).max() / l1_ratio)
    if penalty == "group_lasso":
        index = groups.index.numpy()
        norms = np.sqrt(np.bincount(index, weights=gradient**2, minlength=groups.n_groups))
        rows = np.bincount(index, minlength=groups.n_groups)
        return float((norms / np.sqrt(rows)).max())
    raise ValueError(f"no lambda grid for penalty {penalty!r}")


def lambda_grid(penalty: str, x: np.ndarray, y: np.ndarray, groups: Groups, settings: TrainSettings) -> np.ndarray:
    """Decreasing log-spaced lambdas from lambda_max to lambda_max x lambda_min_ratio; [0] for none."""
    if penalty == "none":
        return np.zeros(1)
    top = settings.lambda_max or lambda_max(penalty, x, y, groups, settings.l1_ratio)
    return np.geomspace(top, top * settings.lambda_min_ratio, settings.n_lambdas)


@dataclass
class StackFit:
    """Result of :func:`fit_stack`: the networks at their best epochs and how they got there."""

    network: StackedMLP
    best_epoch: np.ndarray  # (models,), 1-based
    validation_loss: np.ndarray  # (epochs run, models)
    train_loss: np.ndarray  # (epochs run, models), mean data loss over the epoch's minibatches


def fit_stack(
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_val: torch.Tensor,
    y_val: torch.Tensor,
    *,
    penalty: str,
    lambdas: np.ndarray,
    seeds: np.ndarray,
    groups: Groups,
    settings: TrainSettings,
    description: str = "training",
) -> StackFit:
    """Train ``len(lambdas)`` networks at once: model m has strength lambdas[m] and seed seeds[m].

    x_*: (samples, inputs) float32, y_*: (samples,) float32 0/1. Minibatch order comes from the seed,
    so models sharing a seed see the same batches and differ only by lambda.
    """
    if penalty not in PENALTIES:
        raise RiataError(f"unknown penalty {penalty!r}; choose from {', '.join(PENALTIES)}")
    n_models, n_train = len(lambdas), len(y_train)
    network = StackedMLP(x_train.shape[1], settings.hidden_layers, seeds)
    optimizer = torch.optim.SGD(network.parameters(), lr=settings.learning_rate, momentum=settings.momentum)
    # With momentum mu the steady-state update is lr / (1 - mu) x gradient; scaling the proximal step
    # the same way makes its fixed points those of the penalised problem (|gradient| <= lambda at zero).
    step = torch.as_tensor(settings.learning_rate / (1 - settings.momentum) * np.asarray(lambdas), dtype=torch.float32)
    distinct_seeds, seed_slot = np.unique(seeds, return_inverse=True)
    generators = [torch.Generator().manual_seed(int(s) + 7919) for s in distinct_seeds]
    batch_size = min(settings.batch_size, n_train)

    best_loss = torch.full((n_models,), float("inf"))
    best_epoch = np.zeros(n_models, dtype=int)
    best_state = [p.detach().clone() for p in network.parameters()]
    active = torch.ones(n_models, dtype=torch.bool)
    stale = torch.zeros(n_models, dtype=torch.long)
    validation_history, train_history = [], []

    for epoch in progress(range(1, settings.max_epochs + 1), total=settings.max_epochs, description=description):
        orders = torch.stack([torch.randperm(n_train, generator=g) for g in generators])[seed_slot]  # (models, n)
        epoch_loss = torch.zeros(n_models)
        for start in range(0, n_train, batch_size):
            batch = orders[:, start : start + batch_size]
            logits = network(x_train[batch])
            losses = F.binary_cross_entropy_with_logits(logits, y_train[batch], reduction="none").mean(dim=1)
            optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()
            optimizer.step()
            with torch.no_grad():
                network.first_layer.copy_(proximal(penalty, network.first_layer, step, groups, settings.l1_ratio))
            epoch_loss += losses.detach() * batch.shape[1] / n_train
        with torch.no_grad():
            logits = network(x_val)
            validation_loss = F.binary_cross_entropy_with_logits(
                logits, y_val.expand_as(logits), reduction="none"
            ).mean(dim=1)
            improved = active & (validation_loss < best_loss - 1e-6)
            for best, parameter in zip(best_state, network.parameters(), strict=True):
                best.copy_(torch.where(improved.view(-1, 1, 1), parameter, best))
        best_loss = torch.where(improved, validation_loss, best_loss)
        best_epoch[improved.numpy()] = epoch
        stale = torch.where(improved, 0, stale + 1)
        active &= stale < settings.patience
        validation_history.append(validation_loss.numpy().copy())
        train_history.append(epoch_loss.numpy())
        if not active.any():
            log.info("%s: every model stopped early by epoch %d", description, epoch)
            break
    with torch.no_grad():
        for best, parameter in zip(best_state, network.parameters(), strict=True):
            parameter.copy_(best)
    return StackFit(network, best_epoch, np.array(validation_history), np.array(train_history))


@dataclass
class SeedResult:
    """The model chosen for one seed, and the whole lambda path it was chosen from."""

    seed: int
    lambda_: float
    best_epoch: int
    first_layer: pd.DataFrame  # input columns x hidden units
    selected: list[str]
    path: pd.DataFrame  # one row per lambda
    probabilities: dict[str, np.ndarray] = field(default_factory=dict)  # split -> (samples,)
    state: dict[str, list[torch.Tensor]] = field(default_factory=dict)  # weights and biases of the network


def _choose(path: pd.DataFrame, metric: str) -> int:
    """Row of the best validation metric; ties go to the largest lambda (the sparsest model)."""
    by_lambda = path.sort_values("lambda", ascending=False, kind="stable")
    scores = by_lambda[f"validation_{metric}"]
    best = scores.idxmin() if metric == "loss" else scores.idxmax()
    return int(best)


def fit_penalty(
    tables: dict[str, pd.DataFrame],
    columns: pd.DataFrame,
    *,
    penalty: str,
    seeds: list[int],
    settings: TrainSettings,
    outcome: str = "outcome",
) -> list[SeedResult]:
    """Train every (lambda, seed) network for one penalty and pick lambda per seed on validation.

    ``tables`` maps train/validation/test to frames with the outcome and the input ``columns``
    (metadata rows: column, variable); returns one result per seed, in the order of ``seeds``.
    """
    settings.validate()
    if not seeds:
        raise RiataError("train: at least one seed is needed")
    names = columns["column"].tolist()
    groups = Groups.from_labels(columns["variable"].tolist())
    variable_of = pd.Series(columns["variable"].to_numpy(), index=names)
    x = {split: torch.tensor(t[names].to_numpy(), dtype=torch.float32) for split, t in tables.items()}
    y = {split: torch.tensor(t[outcome].to_numpy(), dtype=torch.float32) for split, t in tables.items()}

    lambdas = lambda_grid(penalty, x["train"].numpy(), y["train"].numpy(), groups, settings)
    grid_lambdas = np.tile(lambdas, len(seeds))
    grid_seeds = np.repeat(np.asarray(seeds), len(lambdas))
    log.info(
        "%s: %d lambdas x %d seeds, lambda %.3g .. %.3g", penalty, len(lambdas), len(seeds), lambdas[0], lambdas[-1]
    )
    fit = fit_stack(
        x["train"], y["train"], x["validation"], y["validation"],
        penalty=penalty, lambdas=grid_lambdas, seeds=grid_seeds, groups=groups, settings=settings,
        description=f"training {penalty}",
    )  # fmt: skip

    with torch.no_grad():
        probabilities = {split: torch.sigmoid(fit.network(x[split])).numpy() for split in x}
    first_layers = fit.network.first_layer.detach().numpy()
    results = []
    for seed in seeds:
        rows = []
        for m in np.flatnonzero(grid_seeds == seed):
            validation = binary_metrics(y["validation"].numpy(), probabilities["validation"][m])
            layer = pd.DataFrame(first_layers[m], index=names)
            rows.append(
                {
                    "model": m,
                    "lambda": grid_lambdas[m],
                    "best_epoch": fit.best_epoch[m],
                    **{f"validation_{metric}": validation[metric] for metric in METRICS},
                    "n_selected": len(selected_variables(layer, variable_of)),
                }
            )
        path = pd.DataFrame(rows)
        chosen = _choose(path, settings.selection_metric)
        m = int(path.loc[chosen, "model"])
        path["chosen"] = path.index == chosen
        first_layer = pd.DataFrame(
            first_layers[m],
            index=pd.Index(names, name="input"),
            columns=[f"hidden_{h}" for h in range(first_layers.shape[2])],
        )
        results.append(
            SeedResult(
                seed=int(seed),
                lambda_=float(grid_lambdas[m]),
                best_epoch=int(fit.best_epoch[m]),
                first_layer=first_layer,
                selected=selected_variables(first_layer, variable_of),
                path=path.drop(columns="model"),
                probabilities={split: p[m] for split, p in probabilities.items()},
                state={
                    "weights": [w.detach()[m].clone() for w in fit.network.weights],
                    "biases": [b.detach()[m].clone() for b in fit.network.biases],
                },
            )
        )
    return results
