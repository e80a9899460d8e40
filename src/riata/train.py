"""Training penalised networks: many (lambda, seed) networks as one batched computation.

**Engine** (:func:`fit_stack`). M independent networks are stacked (weights of shape (M, in, out)) and
trained together. In ``proximal`` mode each step is a gradient step on the data loss (SGD with
momentum, or Adam) followed by the penalty's proximal step, so weights become exactly zero; in
``subgradient`` mode the penalty is added to the loss and weights only approach zero. Each model
stops early on its own validation objective (validation data loss + its penalty, as LassoNet does),
and is restored to its best epoch. The result equals training the models one by one: SGD and Adam
act elementwise, each model has its own loss, and a model's best epoch only depends on the epochs
before its patience ran out.

Proximal step sizes: with SGD and momentum mu the steady-state update is lr / (1 - mu) x gradient, so
the proximal step is lr / (1 - mu) x lambda, and the fixed points are those of the penalised problem.
With Adam the update is lr x m / (sqrt(v) + eps), so the proximal step uses the same diagonal metric:
lr x lambda / (sqrt(v) + eps) per weight (a group penalty uses its group's mean step).

**Path** (:func:`fit_path`). Lambdas are log-spaced from lambda_max (from the gradient at zero, as
glmnet does) down to lambda_max x lambda_min_ratio. With ``warm_start`` the path is trained from the
smallest lambda up, all seeds at once, each lambda starting from the previous solution (dense to
sparse, as LassoNet does: a zero first layer is a symmetric saddle that training cannot leave well);
otherwise all (lambda, seed) networks start from their seed's initialisation in one batch. Because
later layers grow during training, a network can keep inputs at the computed lambda_max; the path is
then extended upwards until every first layer is empty, so it always ends at an empty model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import torch
from torch import nn

from riata.errors import RiataError
from riata.evaluate import dead_units, group_norms, selected_variables
from riata.model import StackedMLP
from riata.penalties import Groups, penalty_value, proximal, soft_threshold
from riata.progress import progress
from riata.settings import PENALTIES, TrainSettings
from riata.tasks import LARGER_IS_BETTER, SELECTION_METRICS, Task

log = logging.getLogger("riata")

COLD_GRID_RAISES = 4  # times a cold-start grid is raised fourfold until its largest lambda empties the layer
MAX_PATH_EXTENSION = 30  # lambdas a warm-start path may add above its grid to reach an empty layer


def penalised_layers(
    network: StackedMLP, input_groups: Groups, settings: TrainSettings
) -> list[tuple[nn.Parameter, Groups]]:
    """The weight matrices the penalty applies to, each with its groups (biases never)."""
    layers = [(network.first_layer, input_groups)]
    if settings.penalised_layers == "all":
        layers += [(weight, Groups.rows(weight.shape[1])) for weight in network.weights[1:]]
    return layers


def penalty_dual_norm(penalty: str, gradient: torch.Tensor, groups: Groups, l1_ratio: float) -> torch.Tensor:
    """Smallest lambda at which a zero first layer is optimal, per model, from the gradient there.

    ``gradient`` (models, inputs, hidden) is the data loss's gradient at a zero first layer. Zero is
    optimal when the gradient lies in lambda x the penalty's subdifferential at zero: ``max |g|`` for
    l1 (and l2, to set its scale), ``max |g| / l1_ratio`` for elastic net, ``max_g ||g_g|| /
    sqrt(p_g)`` for group lasso; for sparse group lasso the smallest lambda with
    ``||S(g_g, lambda alpha)|| <= lambda (1 - alpha) sqrt(p_g)`` in every group (found by bisection).
    """
    largest = gradient.abs().amax(dim=(1, 2))
    if penalty in ("l1", "l2"):
        return largest
    if penalty == "elastic_net":
        return largest / l1_ratio
    weights = groups.sizes(gradient.shape[2]).sqrt().to(gradient.dtype)
    if penalty == "group_lasso":
        return (groups.norms(gradient) / weights).amax(dim=1)
    if penalty == "sparse_group_lasso":
        low, high = torch.zeros_like(largest), largest / l1_ratio  # at `high` every weight is thresholded to 0
        for _ in range(60):
            middle = (low + high) / 2
            residual = groups.norms(soft_threshold(gradient, middle.view(-1, 1, 1) * l1_ratio))
            feasible = (residual <= middle.view(-1, 1) * (1 - l1_ratio) * weights + 1e-12).all(dim=1)
            high, low = torch.where(feasible, middle, high), torch.where(feasible, low, middle)
        return high
    raise ValueError(f"no lambda grid for penalty {penalty!r}")


def lambda_max(
    task: Task,
    penalty: str,
    x: torch.Tensor,
    y: torch.Tensor,
    groups: Groups,
    seeds: list[int],
    settings: TrainSettings,
) -> float:
    """The lambda at which each seed's initial network, first layer at zero, is optimal (largest over seeds).

    The later layers are those of the seed's initialisation and the output bias is the intercept-only
    fit (x: samples x inputs, y: targets). Without hidden layers this is exactly glmnet's lambda_max.
    """
    network = StackedMLP(x.shape[1], settings.hidden_layers, seeds, task.n_outputs)
    with torch.no_grad():
        network.first_layer.zero_()
        network.biases[-1].copy_(task.intercept(y).expand_as(network.biases[-1]))
    loss = task.losses(network(x), y).mean(dim=1).sum()
    (gradient,) = torch.autograd.grad(loss, network.first_layer)
    return float(penalty_dual_norm(penalty, gradient, groups, settings.l1_ratio).max())


@dataclass
class StackFit:
    """Result of :func:`fit_stack`: the networks at their best epochs and how they got there."""

    network: StackedMLP
    best_epoch: np.ndarray  # (models,), 1-based
    validation_objective: np.ndarray  # (epochs run, models): validation data loss + penalty
    train_loss: np.ndarray  # (epochs run, models): mean data loss over the epoch's minibatches
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)  # epoch -> first layers, NaN once stopped


def _proximal_step(
    optimizer: torch.optim.Optimizer, weight: nn.Parameter, lambdas: torch.Tensor, settings
) -> torch.Tensor:
    """Step size x lambda for the proximal operator: per model for SGD, per weight for Adam (module doc)."""
    if settings.optimizer == "sgd":
        return settings.learning_rate / (1 - settings.momentum) * lambdas
    state = optimizer.state[weight]
    beta2, eps = optimizer.param_groups[0]["betas"][1], optimizer.param_groups[0]["eps"]
    corrected = state["exp_avg_sq"] / (1 - beta2 ** float(state["step"]))
    return settings.learning_rate * lambdas.view(-1, 1, 1) / (corrected.sqrt() + eps)


def _new_optimizer(network: StackedMLP, settings: TrainSettings) -> torch.optim.Optimizer:
    if settings.optimizer == "sgd":
        return torch.optim.SGD(network.parameters(), lr=settings.learning_rate, momentum=settings.momentum)
    return torch.optim.Adam(network.parameters(), lr=settings.learning_rate)


def _keep_models(network: StackedMLP, optimizer: torch.optim.Optimizer, keep: torch.Tensor, settings: TrainSettings):
    """Shrink the stack (and the optimiser's per-weight state) to the models at positions ``keep``."""
    old_parameters = list(network.parameters())
    with torch.no_grad():
        for layers in (network.weights, network.biases):
            for j in range(len(layers)):
                layers[j] = nn.Parameter(layers[j][keep].clone())
    shrunk = _new_optimizer(network, settings)
    for old, new in zip(old_parameters, network.parameters(), strict=True):
        state = optimizer.state.get(old)
        if state:
            shrunk.state[new] = {
                key: value[keep].clone() if torch.is_tensor(value) and value.dim() > 0 else value
                for key, value in state.items()
            }
    return shrunk


def fit_stack(
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_val: torch.Tensor,
    y_val: torch.Tensor,
    *,
    task: Task,
    penalty: str,
    lambdas: np.ndarray,
    seeds: np.ndarray,
    groups: Groups,
    settings: TrainSettings,
    initial: list[torch.Tensor] | None = None,
    description: str = "training",
) -> StackFit:
    """Train ``len(lambdas)`` networks at once: model m has strength lambdas[m] and seed seeds[m].

    x_*: (samples, inputs) float32; y_*: targets as :meth:`Task.target_tensor` makes them; ``groups``
    groups the first layer's rows. Minibatch order comes from the seed, so models sharing a seed see
    the same batches. ``initial`` (the parameters of a stack of the same shape) replaces the seeds'
    initialisation, for warm starts. Models whose patience ran out leave the stack, so the others
    train faster.
    """
    if penalty not in PENALTIES:
        raise RiataError(f"unknown penalty {penalty!r}; choose from {', '.join(PENALTIES)}")
    n_models, n_train = len(lambdas), len(y_train)
    network = StackedMLP(x_train.shape[1], settings.hidden_layers, seeds, task.n_outputs)
    if initial is not None:
        with torch.no_grad():
            for parameter, value in zip(network.parameters(), initial, strict=True):
                parameter.copy_(value)
    optimizer = _new_optimizer(network, settings)
    all_strengths = torch.as_tensor(np.asarray(lambdas), dtype=torch.float32)
    distinct_seeds, all_seed_slots = np.unique(seeds, return_inverse=True)
    generators = [torch.Generator().manual_seed(int(s) + 7919) for s in distinct_seeds]
    batch_size = min(settings.batch_size, n_train)

    alive = torch.arange(n_models)  # original index of each model still in the stack
    best_objective = torch.full((n_models,), float("inf"))
    best_epoch = np.zeros(n_models, dtype=int)
    best_state = [p.detach().clone() for p in network.parameters()]  # full size, by original index
    stale = torch.zeros(n_models, dtype=torch.long)
    validation_history = np.full((settings.max_epochs, n_models), np.nan)
    snapshots = {}
    train_history = np.full((settings.max_epochs, n_models), np.nan)

    epoch = 0
    for epoch in progress(range(1, settings.max_epochs + 1), total=settings.max_epochs, description=description):
        strengths, layers = all_strengths[alive], penalised_layers(network, groups, settings)

        def penalties(layers=layers, strengths=strengths) -> torch.Tensor:
            return sum(penalty_value(penalty, w, strengths, g, settings.l1_ratio) for w, g in layers)

        permutations = torch.stack([torch.randperm(n_train, generator=g) for g in generators])
        orders = permutations[all_seed_slots[alive.numpy()]]  # (models alive, samples)
        epoch_loss = torch.zeros(len(alive))
        for start in range(0, n_train, batch_size):
            batch = orders[:, start : start + batch_size]
            losses = task.losses(network(x_train[batch]), y_train[batch]).mean(dim=1)  # (models alive,)
            objective = losses + penalties() if settings.mode == "subgradient" else losses
            optimizer.zero_grad(set_to_none=True)
            objective.sum().backward()
            optimizer.step()
            if settings.mode == "proximal":
                with torch.no_grad():
                    for weight, layer_groups in layers:
                        step = _proximal_step(optimizer, weight, strengths, settings)
                        weight.copy_(proximal(penalty, weight, step, layer_groups, settings.l1_ratio))
            epoch_loss += losses.detach() * batch.shape[1] / n_train
        with torch.no_grad():
            validation_objective = task.losses(network(x_val), y_val).mean(dim=1) + penalties()
            if settings.patience:
                improved = validation_objective < best_objective[alive] - 1e-7
            else:  # no early stopping: every epoch replaces the kept state, so the last one is returned
                improved = torch.ones(len(alive), dtype=torch.bool)
            for best, parameter in zip(best_state, network.parameters(), strict=True):
                best[alive[improved]] = parameter[improved]
        best_objective[alive[improved]] = validation_objective[improved]
        best_epoch[alive[improved].numpy()] = epoch
        stale[alive] = torch.where(improved, 0, stale[alive] + 1)
        validation_history[epoch - 1, alive.numpy()] = validation_objective.numpy()
        train_history[epoch - 1, alive.numpy()] = epoch_loss.numpy()
        if settings.snapshot_every and (epoch == 1 or epoch % settings.snapshot_every == 0):
            snapshot = np.full((n_models, *network.first_layer.shape[1:]), np.nan, dtype=np.float32)
            snapshot[alive.numpy()] = network.first_layer.detach().numpy()
            snapshots[epoch] = snapshot
        if settings.patience:
            still = stale[alive] < settings.patience
            if not still.any():
                log.debug("%s: every model stopped early by epoch %d", description, epoch)
                break
            if not still.all():
                keep = torch.nonzero(still).flatten()
                optimizer = _keep_models(network, optimizer, keep, settings)
                alive = alive[keep]
    network = StackedMLP(x_train.shape[1], settings.hidden_layers, seeds, task.n_outputs)
    with torch.no_grad():
        for best, parameter in zip(best_state, network.parameters(), strict=True):
            parameter.copy_(best)
    return StackFit(network, best_epoch, validation_history[:epoch], train_history[:epoch], snapshots)


@dataclass
class PathPoint:
    """One trained network of a path: its lambda, seed, best epoch, parameters and predictions."""

    lambda_: float
    seed: int
    best_epoch: int
    parameters: list[torch.Tensor]  # in StackedMLP parameter order: weights of each layer, then biases
    predictions: dict[str, np.ndarray]  # split -> Task.predict output for this network
    history: pd.DataFrame  # epoch, train_loss, validation_objective (while the network trained)
    snapshots: dict[int, np.ndarray]  # epoch -> first layer (inputs, hidden)

    @property
    def first_layer(self) -> np.ndarray:
        return self.parameters[0].numpy()


def _points(fit: StackFit, task: Task, x: dict[str, torch.Tensor], lambdas, seeds) -> list[PathPoint]:
    with torch.no_grad():
        predictions = {split: task.predict(fit.network(x[split])) for split in ("validation", "test")}
    parameters = [p.detach().clone() for p in fit.network.parameters()]
    return [
        PathPoint(
            lambda_=float(lambdas[m]),
            seed=int(seeds[m]),
            best_epoch=int(fit.best_epoch[m]),
            parameters=[p[m] for p in parameters],
            predictions={split: values[m] for split, values in predictions.items()},
            history=_history(fit, m),
            snapshots={epoch: layers[m] for epoch, layers in fit.snapshots.items() if not np.isnan(layers[m]).any()},
        )
        for m in range(len(lambdas))
    ]


def _history(fit: StackFit, m: int) -> pd.DataFrame:
    trained = ~np.isnan(fit.train_loss[:, m])
    return pd.DataFrame(
        {
            "epoch": np.flatnonzero(trained) + 1,
            "train_loss": fit.train_loss[trained, m],
            "validation_objective": fit.validation_objective[trained, m],
        }
    )


def _all_empty(points: list[PathPoint]) -> bool:
    return all((p.first_layer == 0).all() for p in points)


def fit_path(
    x: dict[str, torch.Tensor],
    y: dict[str, torch.Tensor],
    *,
    task: Task,
    penalty: str,
    groups: Groups,
    seeds: list[int],
    settings: TrainSettings,
) -> list[PathPoint]:
    """Train the lambda path of every seed (see the module doc); one point per (lambda, seed)."""
    common = {"task": task, "penalty": penalty, "groups": groups, "settings": settings}
    data = (x["train"], y["train"], x["validation"], y["validation"])
    if penalty == "none":
        fit = fit_stack(*data, lambdas=np.zeros(len(seeds)), seeds=np.asarray(seeds), **common, description="training")
        return _points(fit, task, x, np.zeros(len(seeds)), seeds)
    top = settings.lambda_max or lambda_max(task, penalty, x["train"], y["train"], groups, seeds, settings)
    grid = np.geomspace(top * settings.lambda_min_ratio, top, settings.n_lambdas)  # increasing
    # Only proximal steps give exact zeros, and L2's never do: only then can the path end at an empty layer.
    must_empty = settings.lambda_max is None and settings.mode == "proximal" and penalty != "l2"
    if not settings.warm_start:
        for _ in range(COLD_GRID_RAISES + 1):
            lambdas, grid_seeds = np.tile(grid, len(seeds)), np.repeat(seeds, len(grid))
            log.info(
                "%s: %d lambdas x %d seeds in one batch, lambda %.3g .. %.3g",
                penalty,
                len(grid),
                len(seeds),
                grid[0],
                grid[-1],
            )
            fit = fit_stack(*data, lambdas=lambdas, seeds=grid_seeds, **common, description=f"training {penalty}")
            points = _points(fit, task, x, lambdas, grid_seeds)
            if not must_empty or _all_empty([p for p in points if p.lambda_ == grid[-1]]):
                return points
            grid = grid * 4
        log.warning("%s: lambda %.3g still keeps inputs; the path does not reach an empty layer", penalty, grid[-1] / 4)
        return points

    factor = grid[1] / grid[0] if len(grid) > 1 else 2.0
    points, state, lambda_ = [], None, grid[0]
    log.info("%s: warm-start path over %d seeds from lambda %.3g up", penalty, len(seeds), grid[0])
    for step in range(settings.n_lambdas + MAX_PATH_EXTENSION):
        lambda_ = grid[step] if step < len(grid) else lambda_ * factor
        lambdas = np.full(len(seeds), lambda_)
        fit = fit_stack(*data, lambdas=lambdas, seeds=np.asarray(seeds), initial=state, **common,
                        description=f"training {penalty} lambda {lambda_:.3g}")  # fmt: skip
        stage = _points(fit, task, x, lambdas, seeds)
        points += stage
        state = [p.detach().clone() for p in fit.network.parameters()]
        if step >= len(grid) - 1 and (not must_empty or _all_empty(stage)):
            break
    else:
        log.warning("%s: lambda %.3g still keeps inputs; the path does not reach an empty layer", penalty, lambda_)
    if len(points) > len(grid) * len(seeds):
        log.info("%s: path extended to lambda %.3g to reach an empty first layer", penalty, lambda_)
    return points


def choose_lambda(path: pd.DataFrame, metric: str, rule: str) -> int:
    """Row label of ``path`` chosen on the validation metric.

    ``best``: the best value of ``validation_<metric>``. ``one_se``: the largest lambda whose value is
    within one standard error (column ``validation_<metric>_se``) of the best, as glmnet's lambda.1se.
    Ties go to the largest lambda, the sparsest model.
    """
    by_lambda = path.sort_values("lambda", ascending=False, kind="stable")
    sign = -1 if LARGER_IS_BETTER[metric] else 1  # sign x score: smaller is better
    scores = sign * by_lambda[f"validation_{metric}"]
    best = scores.idxmin()
    if rule == "best":
        return int(best)
    within = scores <= scores[best] + by_lambda.loc[best, f"validation_{metric}_se"]
    return int(within.idxmax())  # the first True in decreasing-lambda order


@dataclass
class SeedResult:
    """The model chosen for one seed, and the whole lambda path it was chosen from."""

    seed: int
    lambda_: float
    best_epoch: int
    first_layer: pd.DataFrame  # input columns x hidden units
    selected: list[str]  # variables with a non-zero first-layer weight
    selected_above_threshold: list[str]  # variables with a first-layer |weight| above zero_threshold
    n_dead_units: int
    path: pd.DataFrame  # one row per lambda, largest first
    predictions: dict[str, np.ndarray] = field(default_factory=dict)  # validation / test
    parameters: list[torch.Tensor] = field(default_factory=list)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)  # epoch, train_loss, validation_objective
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)  # epoch -> first layer
    refit_frequency: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))  # variable -> share of refits


def refit_frequencies(
    x: dict[str, torch.Tensor],
    y: dict[str, torch.Tensor],
    *,
    task: Task,
    penalty: str,
    groups: Groups,
    variable_of: pd.Series,
    seeds: list[int],
    chosen: list[float],
    path_lambdas: np.ndarray,
    settings: TrainSettings,
) -> dict[int, pd.Series]:
    """Stability selection (Meinshausen & Buehlmann 2010) of each seed's chosen network.

    Repeats the training procedure on ``settings.stability_refits`` random halves of the training
    samples (drawn without replacement, the same halves for every seed and penalty; early stopping on
    the whole validation set): the lambda path over the original ``path_lambdas`` up to the largest
    chosen lambda, warm-started as configured. Returns, per seed, the share of refits whose network at
    the seed's ``chosen`` lambda keeps each input variable (a Series indexed by variable, in input order).
    """
    path_lambdas = np.sort(np.asarray(path_lambdas))
    needed = path_lambdas[path_lambdas <= max(chosen) * (1 + 1e-9)]
    path_settings = {"lambda_max": float(needed[-1]), "lambda_min_ratio": float(needed[0] / needed[-1]),
                     "n_lambdas": len(needed)}  # fmt: skip
    refit_settings = settings if penalty == "none" else replace(settings, **path_settings)
    n_train = len(y["train"])
    rng = np.random.default_rng([*seeds, n_train])
    kept = {seed: pd.Series(0.0, index=variable_of.unique()) for seed in seeds}
    refits = range(settings.stability_refits)
    for _ in progress(refits, total=len(refits), description=f"stability refits {penalty}"):
        half = torch.as_tensor(np.sort(rng.choice(n_train, n_train // 2, replace=False)))
        points = fit_path({**x, "train": x["train"][half]}, {**y, "train": y["train"][half]}, task=task,
                          penalty=penalty, groups=groups, seeds=seeds, settings=refit_settings)  # fmt: skip
        for seed, lambda_ in zip(seeds, chosen, strict=True):
            point = next(p for p in points if p.seed == seed and np.isclose(p.lambda_, lambda_, rtol=1e-6, atol=0))
            layer = pd.DataFrame(point.first_layer, index=variable_of.index)
            kept[seed][selected_variables(layer, variable_of)] += 1
    return {seed: counts / len(refits) for seed, counts in kept.items()}


def _path_row(point: PathPoint, task: Task, y_validation: np.ndarray, variable_of: pd.Series, threshold: float) -> dict:
    layer = pd.DataFrame(point.first_layer, index=variable_of.index)
    validation = task.metrics(y_validation, point.predictions["validation"])
    errors = task.standard_errors(y_validation, point.predictions["validation"])
    selected = selected_variables(layer, variable_of)
    return {
        "lambda": point.lambda_,
        "best_epoch": point.best_epoch,
        **{f"validation_{m}": validation[m] for m in errors},
        **{f"validation_{m}_se": errors[m] for m in errors},
        "n_selected": len(selected),
        "n_selected_above_threshold": len(selected_variables(layer, variable_of, threshold)),
        "selected": ";".join(selected),
        **{f"norm:{variable}": norm for variable, norm in group_norms(layer, variable_of).items()},
    }


def fit_penalty(
    tables: dict[str, pd.DataFrame],
    columns: pd.DataFrame,
    *,
    task: Task,
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
    if settings.selection_metric not in SELECTION_METRICS[task.kind]:
        raise RiataError(
            f"train: selection_metric {settings.selection_metric!r} does not apply to a {task.kind} outcome; "
            f"choose from {', '.join(SELECTION_METRICS[task.kind])}"
        )
    names = columns["column"].tolist()
    variable_of = pd.Series(columns["variable"].to_numpy(), index=names)
    groups = Groups.from_labels(variable_of.tolist())
    x = {split: torch.tensor(t[names].to_numpy(), dtype=torch.float32) for split, t in tables.items()}
    y = {split: task.target_tensor(t[outcome].to_numpy()) for split, t in tables.items()}
    points = fit_path(x, y, task=task, penalty=penalty, groups=groups, seeds=seeds, settings=settings)

    y_validation = y["validation"].numpy()
    hidden_names = [f"hidden_{h}" for h in range(points[0].first_layer.shape[1])]
    results = []
    for seed in seeds:
        own = sorted((p for p in points if p.seed == seed), key=lambda p: -p.lambda_)
        path = pd.DataFrame([_path_row(p, task, y_validation, variable_of, settings.zero_threshold) for p in own])
        chosen = choose_lambda(path, settings.selection_metric, settings.lambda_rule)
        path["chosen"] = path.index == chosen
        point = own[chosen]
        first_layer = pd.DataFrame(point.first_layer, index=pd.Index(names, name="input"), columns=hidden_names)
        n_layers = len(settings.hidden_layers) + 1
        results.append(
            SeedResult(
                seed=int(seed),
                lambda_=point.lambda_,
                best_epoch=point.best_epoch,
                first_layer=first_layer,
                selected=selected_variables(first_layer, variable_of),
                selected_above_threshold=selected_variables(first_layer, variable_of, settings.zero_threshold),
                n_dead_units=dead_units([w.numpy() for w in point.parameters[:n_layers]]),
                path=path,
                predictions=point.predictions,
                parameters=point.parameters,
                history=point.history,
                snapshots=point.snapshots,
            )
        )
    if settings.stability_refits:
        path_lambdas = results[0].path["lambda"].to_numpy()
        frequencies = refit_frequencies(x, y, task=task, penalty=penalty, groups=groups, variable_of=variable_of,
                                        seeds=seeds, chosen=[r.lambda_ for r in results], path_lambdas=path_lambdas,
                                        settings=settings)  # fmt: skip
        for result in results:
            result.refit_frequency = frequencies[result.seed]
    return results
