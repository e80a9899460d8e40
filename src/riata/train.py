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
from riata.evaluate import binary_metrics, metric_standard_errors, selected_variables
from riata.model import StackedMLP
from riata.penalties import Groups, proximal
from riata.progress import progress
from riata.settings import METRICS, PENALTIES, TrainSettings

log = logging.getLogger("riata")

GRID_EXTENSIONS = 4  # times the grid may be raised (x4 each) until its largest lambda empties the first layer


def penalty_dual_norm(penalty: str, gradient: torch.Tensor, groups: Groups, l1_ratio: float) -> torch.Tensor:
    """Smallest lambda for which a zero first layer satisfies the optimality condition, per model.

    ``gradient`` is the data loss's gradient with respect to the first layer at zero, shape
    (models, inputs, hidden). Zero is optimal when the gradient lies in lambda x the penalty's
    subdifferential at zero: ``max |g|`` for l1 (and l2, for scale), ``max |g| / l1_ratio`` for elastic
    net, ``max_g ||g_g|| / sqrt(p_g)`` for group lasso.
    """
    largest = gradient.abs().amax(dim=(1, 2))
    if penalty in ("l1", "l2"):
        return largest
    if penalty == "elastic_net":
        return largest / l1_ratio
    if penalty == "group_lasso":
        weights = groups.sizes(gradient.shape[2]).sqrt().to(gradient.dtype)
        return (groups.norms(gradient) / weights).amax(dim=1)
    raise ValueError(f"no lambda grid for penalty {penalty!r}")


def lambda_max(
    penalty: str, x: torch.Tensor, y: torch.Tensor, groups: Groups, seeds: list[int], settings: TrainSettings
) -> float:
    """The largest useful lambda, computed from the gradient at zero as glmnet does.

    For each seed's initial network with its first layer set to zero, the gradient of the mean
    binary cross-entropy (x: samples x inputs, y: samples) with respect to the first layer gives the
    smallest lambda at which that zero layer is optimal (:func:`penalty_dual_norm`); the largest over
    seeds is returned. Without hidden layers this is exactly glmnet's lambda_max for logistic
    regression with standardized inputs.
    """
    network = StackedMLP(x.shape[1], settings.hidden_layers, seeds)
    with torch.no_grad():
        network.first_layer.zero_()
        network.biases[-1].fill_(float(torch.logit(y.mean())))  # the intercept-only fit
    logits = network(x)
    loss = F.binary_cross_entropy_with_logits(logits, y.expand_as(logits), reduction="none").mean(dim=1).sum()
    (gradient,) = torch.autograd.grad(loss, network.first_layer)
    return float(penalty_dual_norm(penalty, gradient, groups, settings.l1_ratio).max())


def lambda_grid(penalty: str, top: float, settings: TrainSettings) -> np.ndarray:
    """Decreasing log-spaced lambdas from ``top`` to top x lambda_min_ratio; [0] for no penalty."""
    if penalty == "none":
        return np.zeros(1)
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
            if settings.patience:
                improved = active & (validation_loss < best_loss - 1e-6)
            else:  # no early stopping: every epoch replaces the kept state, so the last one is returned
                improved = torch.ones(n_models, dtype=torch.bool)
            for best, parameter in zip(best_state, network.parameters(), strict=True):
                best.copy_(torch.where(improved.view(-1, 1, 1), parameter, best))
        best_loss = torch.where(improved, validation_loss, best_loss)
        best_epoch[improved.numpy()] = epoch
        stale = torch.where(improved, 0, stale + 1)
        if settings.patience:
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


def choose_lambda(path: pd.DataFrame, metric: str, rule: str) -> int:
    """Row of ``path`` chosen on the validation metric.

    ``best``: the best value of ``validation_<metric>``. ``one_se``: the largest lambda whose value is
    within one standard error (column ``validation_<metric>_se``) of the best, as glmnet's lambda.1se.
    Ties go to the largest lambda, the sparsest model.
    """
    by_lambda = path.sort_values("lambda", ascending=False, kind="stable")
    scores = by_lambda[f"validation_{metric}"]
    sign = 1 if metric == "loss" else -1  # sign x score: smaller is better
    best = (sign * scores).idxmin()
    if rule == "best":
        return int(best)
    tolerance = by_lambda.loc[best, f"validation_{metric}_se"]
    within = sign * scores <= sign * scores[best] + tolerance
    return int(within.idxmax())  # first True in decreasing-lambda order


def _top_models_empty(fit: StackFit, lambdas: np.ndarray) -> bool:
    """Whether every model at the largest lambda has an all-zero first layer."""
    top = np.flatnonzero(lambdas == lambdas.max())
    return bool((fit.network.first_layer.detach()[top] == 0).all())


def fit_path(
    x: dict[str, torch.Tensor],
    y: dict[str, torch.Tensor],
    *,
    penalty: str,
    groups: Groups,
    seeds: list[int],
    settings: TrainSettings,
) -> tuple[StackFit, np.ndarray, np.ndarray]:
    """Train the (lambda, seed) grid; return the fit and each model's lambda and seed.

    The grid starts at :func:`lambda_max`. Because later layers grow during training, a network can
    keep inputs at that lambda; the grid is then raised fourfold and trained again (at most
    ``GRID_EXTENSIONS`` times), so that the path starts from an empty first layer.
    """
    top = settings.lambda_max or (
        lambda_max(penalty, x["train"], y["train"], groups, seeds, settings) if penalty != "none" else 0.0
    )
    for extension in range(GRID_EXTENSIONS + 1):
        lambdas = lambda_grid(penalty, top, settings)
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
        needs_empty_top = penalty not in ("none", "l2") and settings.lambda_max is None
        if not needs_empty_top or _top_models_empty(fit, grid_lambdas):
            break
        if extension < GRID_EXTENSIONS:
            log.info("%s: lambda %.3g keeps inputs; raising the grid fourfold", penalty, top)
            top *= 4
    else:
        log.warning(
            "%s: even lambda %.3g keeps some inputs; the path does not reach an empty first layer", penalty, top
        )
    return fit, grid_lambdas, grid_seeds


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
    if penalty not in PENALTIES:
        raise RiataError(f"unknown penalty {penalty!r}; choose from {', '.join(PENALTIES)}")
    names = columns["column"].tolist()
    groups = Groups.from_labels(columns["variable"].tolist())
    variable_of = pd.Series(columns["variable"].to_numpy(), index=names)
    x = {split: torch.tensor(t[names].to_numpy(), dtype=torch.float32) for split, t in tables.items()}
    y = {split: torch.tensor(t[outcome].to_numpy(), dtype=torch.float32) for split, t in tables.items()}
    fit, grid_lambdas, grid_seeds = fit_path(x, y, penalty=penalty, groups=groups, seeds=seeds, settings=settings)

    with torch.no_grad():
        probabilities = {split: torch.sigmoid(fit.network(x[split])).numpy() for split in x}
    first_layers = fit.network.first_layer.detach().numpy()
    y_validation = y["validation"].numpy()
    results = []
    for seed in seeds:
        rows = []
        for m in np.flatnonzero(grid_seeds == seed):
            validation = binary_metrics(y_validation, probabilities["validation"][m])
            errors = metric_standard_errors(y_validation, probabilities["validation"][m])
            layer = pd.DataFrame(first_layers[m], index=names)
            rows.append(
                {
                    "model": m,
                    "lambda": grid_lambdas[m],
                    "best_epoch": fit.best_epoch[m],
                    **{f"validation_{metric}": validation[metric] for metric in METRICS},
                    **{f"validation_{metric}_se": errors[metric] for metric in METRICS},
                    "n_selected": len(selected_variables(layer, variable_of)),
                }
            )
        path = pd.DataFrame(rows)
        chosen = choose_lambda(path, settings.selection_metric, settings.lambda_rule)
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
