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

**Path** (:func:`fit_path`). Each seed's unpenalised (dense) network is trained first. Each seed then has
its own grid: lambdas log-spaced from the seed's lambda_max down to lambda_max x lambda_min_ratio, where
lambda_max comes from the gradient at a zero first layer (as glmnet's) with the dense network's later layers.
With ``warm_start`` every seed's path is trained from its smallest lambda up, starting from the dense
network and then each lambda from the previous solution (dense to sparse, as LassoNet does: a zero first
layer is a symmetric saddle that training cannot leave well); otherwise all (lambda, seed) networks start
from their seed's dense network in one batch. Because later layers grow during training, a network can
keep inputs at the computed lambda_max; a seed's path is then extended upwards until its first layer is
empty, so it always ends at an empty model. With ``adaptive`` each group's penalty factor is 1 / its
weights' size in the seed's dense network (the adaptive lasso), per model of a stack. With ``relax`` (the
default) every point is then trained again with its dropped groups held at zero and its kept groups penalised at
``relax_penalty_share`` x its lambda (:func:`relaxed_path`), and lambda is chosen on those fits. Seeds are batched
together, but nothing about a seed (grid, extension, stopping, factors) depends on the others, so a seed's
path is the same trained alone or with any others.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase

import numpy as np
import pandas as pd
import torch

from riata.errors import RiataError
from riata.evaluate import dead_units, group_norms, selected_variables
from riata.model import StackedMLP
from riata.penalties import Groups, ProximalOperator, penalty_value, soft_threshold
from riata.progress import progress
from riata.settings import PENALTIES, TrainSettings
from riata.tasks import LARGER_IS_BETTER, SELECTION_METRICS, Task

log = logging.getLogger("riata")

UNPENALISED_FIT_LAMBDA = 1e6  # zeroes every penalised group at each proximal step
COLD_EXTENSION = 8  # lambdas a cold-start path adds above its grid at once while its largest keeps inputs
MAX_PATH_EXTENSION = 30  # lambdas a warm-start path may add above its grid to reach an empty layer


def penalised_layers(
    network: StackedMLP, input_groups: Groups, settings: TrainSettings
) -> list[tuple[torch.Tensor, Groups]]:
    """The weight matrices the penalty applies to, each with its groups (biases never)."""
    layers = [(network.first_layer, input_groups)]
    if settings.penalised_layers == "all":
        layers += [(weight, Groups.rows(weight.shape[1])) for weight in network.weights[1:]]
    return layers


def group_dual_norms(penalty: str, gradient: torch.Tensor, groups: Groups, l1_ratio: float) -> torch.Tensor:
    """Per model and group, the smallest lambda at which the group's zero weights are optimal, from the data
    loss's gradient there; (models, inputs, hidden) -> (models, groups).

    Zero is optimal when the gradient lies in lambda x the penalty's subdifferential at zero: ``max |g|``
    for l1 (and l2, to set its scale), ``max |g| / l1_ratio`` for elastic net, ``||g_g|| / sqrt(p_g)`` for
    group lasso, and for sparse group lasso the smallest lambda with ``||S(g_g, lambda alpha)|| <= lambda
    (1 - alpha) sqrt(p_g)`` (found by bisection). A group's penalty factor divides its value (factor 0: 0).
    """
    largest = groups.maxima(gradient.abs())
    weights = groups.sizes(gradient.shape[2]).sqrt().to(gradient.dtype)
    if penalty in ("l1", "l2"):
        norms = largest
    elif penalty == "elastic_net":
        norms = largest / l1_ratio
    elif penalty == "group_lasso":
        norms = groups.norms(gradient) / weights
    elif penalty == "sparse_group_lasso":
        low, high = torch.zeros_like(largest), largest / l1_ratio  # at `high` every weight is thresholded to 0
        for _ in range(60):
            middle = (low + high) / 2
            thresholds = (middle * l1_ratio)[:, groups.index].unsqueeze(2)
            feasible = groups.norms(soft_threshold(gradient, thresholds)) <= middle * (1 - l1_ratio) * weights + 1e-12
            high, low = torch.where(feasible, middle, high), torch.where(feasible, low, middle)
        norms = high
    else:
        raise ValueError(f"no lambda grid for penalty {penalty!r}")
    if groups.factors is None:
        return norms
    factors = groups.factors.to(norms.dtype)
    return torch.where(factors > 0, norms / factors.clamp_min(1e-300), torch.zeros_like(norms))


def penalty_dual_norm(penalty: str, gradient: torch.Tensor, groups: Groups, l1_ratio: float) -> torch.Tensor:
    """Smallest lambda at which a zero first layer (its penalised groups) is optimal, per model."""
    return group_dual_norms(penalty, gradient, groups, l1_ratio).amax(dim=1)


def lambda_max(
    task: Task,
    penalty: str,
    x: torch.Tensor,
    y: torch.Tensor,
    groups: Groups,
    seeds: list[int],
    settings: TrainSettings,
    network: StackedMLP | None = None,
) -> np.ndarray:
    """Per seed (seeds,), the lambda at which the seed's network, penalised first-layer groups at zero, is
    optimal (x: samples x inputs, y: targets).

    By default the network is the seed's initialisation with a zero first layer and the intercept-only
    output bias: without hidden layers this is exactly glmnet's lambda_max. With unpenalised groups,
    ``network`` is the seeds' networks fitted with only those groups free (:func:`fit_path`).
    """
    if network is None:
        network = StackedMLP(x.shape[1], settings.hidden_layers, seeds, task.n_outputs)
        with torch.no_grad():
            network.first_layer.zero_()
            network.biases[-1].copy_(task.intercept(y).expand_as(network.biases[-1]))
    loss = task.losses(network(x), y).mean(dim=1).sum()  # each model's gradient is its own loss's
    (gradient,) = torch.autograd.grad(loss, network.first_layer)
    return penalty_dual_norm(penalty, gradient, groups, settings.l1_ratio).double().numpy()


@dataclass
class StackFit:
    """Result of :func:`fit_stack`: the networks at their best epochs and how they got there."""

    network: StackedMLP
    best_epoch: np.ndarray  # (models,), 1-based
    validation_objective: np.ndarray  # (epochs run, models): validation data loss + penalty
    train_loss: np.ndarray  # (epochs run, models): mean data loss over the epoch's minibatches
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)  # epoch -> first layers, NaN once stopped


class StackOptimizer:
    """SGD with momentum, or Adam, over a stack's parameters: the updates of ``torch.optim.SGD`` (no dampening or
    Nesterov) and ``torch.optim.Adam`` (betas 0.9 and 0.999, eps 1e-8), elementwise, so each model of the stack
    has its own. Written out because torch.optim's first use imports torch._dynamo: seconds in every process."""

    BETAS, EPS = (0.9, 0.999), 1e-8

    def __init__(self, parameters, settings: TrainSettings, steps: int = 0):
        self.parameters, self.settings, self.steps = list(parameters), settings, steps
        self.state: dict[torch.Tensor, list[torch.Tensor]] = {}  # SGD: [momentum buffer]; Adam: [mean, mean square]

    def zero_grad(self) -> None:
        for parameter in self.parameters:
            parameter.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.steps += 1
        rate, parameters = self.settings.learning_rate, self.parameters
        gradients = [parameter.grad for parameter in parameters]
        if self.settings.optimizer == "sgd":
            if not self.state:
                self.state = {p: [gradient.clone()] for p, gradient in zip(parameters, gradients, strict=True)}
            else:
                buffers = [self.state[parameter][0] for parameter in parameters]
                torch._foreach_mul_(buffers, self.settings.momentum)
                torch._foreach_add_(buffers, gradients)
            torch._foreach_add_(parameters, [self.state[parameter][0] for parameter in parameters], alpha=-rate)
            return
        beta1, beta2 = self.BETAS
        for parameter in parameters:
            if parameter not in self.state:
                self.state[parameter] = [torch.zeros_like(parameter), torch.zeros_like(parameter)]
        means, squares = ([self.state[parameter][k] for parameter in parameters] for k in (0, 1))
        torch._foreach_lerp_(means, gradients, 1 - beta1)
        torch._foreach_mul_(squares, beta2)
        torch._foreach_addcmul_(squares, gradients, gradients, value=1 - beta2)
        denominators = torch._foreach_sqrt(squares)
        torch._foreach_div_(denominators, math.sqrt(1 - beta2**self.steps))
        torch._foreach_add_(denominators, self.EPS)
        torch._foreach_addcdiv_(parameters, means, denominators, value=-rate / (1 - beta1**self.steps))

    def proximal_step(self, weight: torch.Tensor, lambdas: torch.Tensor) -> torch.Tensor:
        """Step size x lambda for the proximal operator: per model for SGD, per weight for Adam (module doc)."""
        if self.settings.optimizer == "sgd":
            return self.settings.learning_rate / (1 - self.settings.momentum) * lambdas
        corrected = self.state[weight][1] / (1 - self.BETAS[1] ** self.steps)
        return self.settings.learning_rate * lambdas.view(-1, 1, 1) / (corrected.sqrt() + self.EPS)

    def kept(self, parameters, keep: torch.Tensor) -> StackOptimizer:
        """The optimiser of ``parameters``, this one's (in the same order) shrunk to the models at positions
        ``keep``, with their state."""
        shrunk = StackOptimizer(parameters, self.settings, self.steps)
        for old, new in zip(self.parameters, shrunk.parameters, strict=True):
            if old in self.state:
                shrunk.state[new] = [value[keep].clone() for value in self.state[old]]
        return shrunk


def _keep_models(network: StackedMLP, optimizer: StackOptimizer, keep: torch.Tensor) -> StackOptimizer:
    """Shrink the stack (and the optimiser's per-weight state) to the models at positions ``keep``."""
    for layers in (network.weights, network.biases):
        for j in range(len(layers)):
            layers[j] = layers[j].detach()[keep].requires_grad_()
    return optimizer.kept(network.parameters(), keep)


def _total_penalty(penalty: str, layers: list[tuple[torch.Tensor, Groups]], lambdas: torch.Tensor,
                   l1_ratio: float) -> torch.Tensor:  # fmt: skip
    """The penalty of each model in the stack (models,), over every penalised layer."""
    return sum(penalty_value(penalty, w, lambdas, g, l1_ratio) for w, g in layers)


def _train_epoch(
    network,
    optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    orders: torch.Tensor,
    models_per_order: list[int],
    *,
    task: Task,
    penalty: str,
    lambdas: torch.Tensor,
    groups: Groups,
    settings: TrainSettings,
) -> torch.Tensor:
    """One pass over the training samples in minibatches: the stack's first models_per_order[0] models in the
    order of ``orders`` row 0 (orders: (runs, samples)), the next models_per_order[1] in row 1's, and so on;
    returns each model's mean data loss over the epoch (models,)."""
    layers, n_train = penalised_layers(network, groups, settings), len(y)

    def proximal_operators() -> list[tuple[torch.Tensor, ProximalOperator]]:
        return [(weight, ProximalOperator(penalty, optimizer.proximal_step(weight, lambdas), layer_groups, weight,
                                          settings.l1_ratio)) for weight, layer_groups in layers]  # fmt: skip

    proximal_steps = settings.mode == "proximal" and penalty != "none"
    fixed_operators = proximal_operators() if proximal_steps and settings.optimizer == "sgd" else None  # SGD: fixed
    batch_size = min(settings.batch_size, n_train)
    epoch_loss = torch.zeros(network.n_models)
    run_of_model = torch.arange(len(orders)).repeat_interleave(torch.tensor(models_per_order))  # (models,)
    for start in range(0, n_train, batch_size):
        batch = orders[:, start : start + batch_size]
        losses = task.losses(network(x[batch], models_per_order), y[batch][run_of_model]).mean(dim=1)  # (models,)
        objective = (
            losses + _total_penalty(penalty, layers, lambdas, settings.l1_ratio)
            if settings.mode == "subgradient"
            else losses
        )
        optimizer.zero_grad()
        objective.sum().backward()
        optimizer.step()
        if proximal_steps:
            with torch.no_grad():
                for weight, operator in fixed_operators or proximal_operators():
                    weight.copy_(operator(weight))
        epoch_loss += losses.detach() * batch.shape[1] / n_train
    return epoch_loss


@dataclass
class _Progress:
    """Each model's best validation objective, epoch and parameters so far, and its history, by the model's
    position in the original stack (models leave the stack when their patience runs out)."""

    best_objective: torch.Tensor  # (models,)
    best_epoch: np.ndarray  # (models,)
    best_state: list[torch.Tensor]  # parameters of the full stack
    stale: torch.Tensor  # (models,): epochs since the last improvement
    validation: np.ndarray  # (max epochs, models)
    train: np.ndarray  # (max epochs, models)
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)

    @classmethod
    def start(cls, parameters: list[torch.Tensor], max_epochs: int) -> _Progress:
        """Progress of a stack holding ``parameters`` (in the original model order) before training."""
        n_models = len(parameters[0])
        return cls(torch.full((n_models,), float("inf")), np.zeros(n_models, dtype=int),
                   [p.detach().clone() for p in parameters], torch.zeros(n_models, dtype=torch.long),
                   np.full((max_epochs, n_models), np.nan), np.full((max_epochs, n_models), np.nan))  # fmt: skip

    def record(self, epoch: int, alive: torch.Tensor, network: StackedMLP, validation_objective: torch.Tensor,
               epoch_loss: torch.Tensor, settings: TrainSettings) -> None:  # fmt: skip
        """After an epoch of the models ``alive`` (original positions): keep the improved ones' parameters."""
        if settings.patience:
            improved = validation_objective < self.best_objective[alive] - 1e-7
        else:  # no early stopping: every epoch replaces the kept state, so the last one is returned
            improved = torch.ones(len(alive), dtype=torch.bool)
        with torch.no_grad():
            for best, parameter in zip(self.best_state, network.parameters(), strict=True):
                best[alive[improved]] = parameter[improved]
        self.best_objective[alive[improved]] = validation_objective[improved]
        self.best_epoch[alive[improved].numpy()] = epoch
        self.stale[alive] = torch.where(improved, 0, self.stale[alive] + 1)
        self.validation[epoch - 1, alive.numpy()] = validation_objective.numpy()
        self.train[epoch - 1, alive.numpy()] = epoch_loss.numpy()
        if settings.snapshot_every and (epoch == 1 or epoch % settings.snapshot_every == 0):
            snapshot = np.full((len(self.best_epoch), *network.first_layer.shape[1:]), np.nan, dtype=np.float32)
            snapshot[alive.numpy()] = network.first_layer.detach().numpy()
            self.snapshots[epoch] = snapshot


def _stack(n_inputs: int, seeds: np.ndarray, task: Task, settings: TrainSettings,
           parameters: list[torch.Tensor] | None) -> StackedMLP:  # fmt: skip
    """A stack initialised from its seeds, or holding ``parameters`` (of a stack of the same shape)."""
    network = StackedMLP(n_inputs, settings.hidden_layers, seeds, task.n_outputs)
    if parameters is not None:
        with torch.no_grad():
            for parameter, value in zip(network.parameters(), parameters, strict=True):
                parameter.copy_(value)
    return network


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
    """Train ``len(lambdas)`` networks at once: model m has penalty strength lambdas[m] and seed seeds[m].

    x_*: (samples, inputs) float32; y_*: targets as :meth:`Task.target_tensor` makes them; ``groups``
    groups the first layer's rows. Minibatch order comes from the seed, so models sharing a seed see
    the same batches. ``initial`` (the parameters of a stack of the same shape) replaces the seeds'
    initialisation, for warm starts. Models whose patience ran out leave the stack, so the others
    train faster. Inside the stack the models are ordered by seed, so that the models of one seed take
    each minibatch as one matrix product.
    """
    if penalty not in PENALTIES:
        raise RiataError(f"unknown penalty {penalty!r}; choose from {', '.join(PENALTIES)}")
    seeds = np.asarray(seeds)
    alive = torch.as_tensor(np.argsort(seeds, kind="stable"))  # original position of each model in the stack
    network = _stack(x_train.shape[1], seeds[alive.numpy()], task, settings,
                     None if initial is None else [p[alive] for p in initial])  # fmt: skip
    optimizer = StackOptimizer(network.parameters(), settings)
    all_lambdas = torch.as_tensor(np.asarray(lambdas), dtype=torch.float32)
    distinct_seeds, seed_slots = np.unique(seeds, return_inverse=True)
    generators = [torch.Generator().manual_seed(int(s) + 7919) for s in distinct_seeds]
    progress_so_far = _Progress.start([p[torch.argsort(alive)] for p in network.parameters()], settings.max_epochs)
    common = {"task": task, "penalty": penalty, "groups": groups, "settings": settings}
    epoch = 0
    for epoch in progress(range(1, settings.max_epochs + 1), total=settings.max_epochs, description=description):
        permutations = torch.stack([torch.randperm(len(y_train), generator=g) for g in generators])
        slots, models_per_slot = np.unique(seed_slots[alive.numpy()], return_counts=True)  # sorted, as the stack
        common["groups"] = groups.of_models(alive)
        epoch_loss = _train_epoch(network, optimizer, x_train, y_train, permutations[slots], models_per_slot.tolist(),
                                  lambdas=all_lambdas[alive], **common)  # fmt: skip
        with torch.no_grad():
            layers = penalised_layers(network, common["groups"], settings)
            validation_objective = task.losses(network(x_val), y_val).mean(dim=1) + _total_penalty(
                penalty, layers, all_lambdas[alive], settings.l1_ratio
            )
        progress_so_far.record(epoch, alive, network, validation_objective, epoch_loss, settings)
        if settings.patience:
            still = progress_so_far.stale[alive] < settings.patience
            if not still.any():
                log.debug("%s: every model stopped early by epoch %d", description, epoch)
                break
            if not still.all():
                keep = torch.nonzero(still).flatten()
                optimizer = _keep_models(network, optimizer, keep)
                alive = alive[keep]
    best = _stack(x_train.shape[1], seeds, task, settings, progress_so_far.best_state)
    return StackFit(best, progress_so_far.best_epoch, progress_so_far.validation[:epoch],
                    progress_so_far.train[:epoch], progress_so_far.snapshots)  # fmt: skip


@dataclass
class PathPoint:
    """One trained network of a path: its lambda, seed, best epoch, parameters and predictions."""

    lambda_: float
    seed: int
    best_epoch: int
    parameters: list[torch.Tensor]  # in StackedMLP parameter order: weights of each layer, then biases
    predictions: dict[str, np.ndarray]  # split (train, validation, test) -> Task.predict output for this network
    history: pd.DataFrame  # epoch, train_loss, validation_objective (while the network trained)
    snapshots: dict[int, np.ndarray]  # epoch -> first layer (inputs, hidden)

    @property
    def first_layer(self) -> np.ndarray:
        return self.parameters[0].numpy()


def _points(fit: StackFit, task: Task, x: dict[str, torch.Tensor], lambdas, seeds) -> list[PathPoint]:
    with torch.no_grad():
        predictions = {split: task.predict(fit.network(x[split])) for split in x}
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


def _is_empty(point: PathPoint) -> bool:
    return not point.first_layer.any()


@dataclass
class LambdaPath:
    """Every network of a lambda path: one point per (lambda, seed); with no penalty, one per seed at lambda 0."""

    points: list[PathPoint]
    factors: dict[int, torch.Tensor] | None = None  # seed -> the adaptive penalty factor of each group, if any

    def of_seed(self, seed: int) -> list[PathPoint]:
        """The seed's points, largest lambda first."""
        return sorted((p for p in self.points if p.seed == seed), key=lambda p: -p.lambda_)

    def lambdas(self, seed: int) -> np.ndarray:
        """The lambdas trained for the seed, increasing."""
        return np.array([p.lambda_ for p in reversed(self.of_seed(seed))])


def fit_path(
    x: dict[str, torch.Tensor],
    y: dict[str, torch.Tensor],
    *,
    task: Task,
    penalty: str,
    groups: Groups,
    seeds: list[int],
    settings: TrainSettings,
    lambdas: np.ndarray | dict[int, np.ndarray] | None = None,
) -> LambdaPath:
    """Train the lambda path of every seed (see the module doc) on ``x["train"]`` (samples, inputs), stopping
    early on ``x["validation"]``; every split in ``x`` is predicted.

    Without ``lambdas`` each seed's grid runs from its lambda_max x lambda_min_ratio up to its lambda_max
    (or the configured lambda_max) and is raised until the seed's first layer is empty where the penalty
    can empty it; ``lambdas`` (increasing: one grid for every seed, or seed -> grid) trains exactly that.
    """
    common = {"task": task, "penalty": penalty, "groups": groups, "settings": settings}
    dense = fit_stack(x["train"], y["train"], x["validation"], y["validation"], lambdas=np.zeros(len(seeds)),
                      seeds=np.asarray(seeds), **common, description="dense networks")  # fmt: skip
    if penalty == "none":
        return LambdaPath(_points(dense, task, x, np.zeros(len(seeds)), seeds))
    factors = _adaptive_factors(dense.network, groups, seeds) if settings.adaptive else None
    if lambdas is None:
        if settings.lambda_max is None:
            tops = _largest_lambdas(
                x, y, seeds, dense.network, **{**common, "groups": _for_models(groups, factors, seeds)}
            )
        else:
            tops = np.full(len(seeds), settings.lambda_max)
        ratios = np.geomspace(settings.lambda_min_ratio, 1, settings.n_lambdas)  # increasing
        grids = {seed: top * ratios for seed, top in zip(seeds, tops, strict=True)}
        must_empty = settings.lambda_max is None and _gives_zeros(penalty, settings)
    elif isinstance(lambdas, dict):
        grids, must_empty = {seed: np.asarray(lambdas[seed], dtype=float) for seed in seeds}, False
    else:
        grids, must_empty = {seed: np.asarray(lambdas, dtype=float) for seed in seeds}, False
    starts = {seed: [p.detach()[m] for p in dense.network.parameters()] for m, seed in enumerate(seeds)}
    train_path = _warm_path if settings.warm_start else _cold_path
    path = LambdaPath(train_path(x, y, grids, must_empty, starts, factors, **common), factors)
    if not settings.relax:
        return path
    return relaxed_path(x, y, path, **common, kept_penalty_share=settings.relax_penalty_share)


def _gives_zeros(penalty: str, settings: TrainSettings) -> bool:
    """Whether first-layer groups become exactly zero: only with proximal steps, and never with L2's."""
    return settings.mode == "proximal" and penalty != "l2"


def relaxed_path(x, y, path: LambdaPath, *, task: Task, penalty: str, groups: Groups, settings: TrainSettings,
                 kept_penalty_share: float = 0.0) -> LambdaPath:  # fmt: skip
    """The relaxed path (Meinshausen 2007): every point's network trained again, in one batch, from its
    parameters with its dropped input groups held at zero and its kept groups penalised at
    ``kept_penalty_share`` x its lambda (Meinshausen's phi; 0: unpenalised), later layers unpenalised. A penalty
    that gives no exact zeros (subgradient mode, L2) has nothing to relax: ``path`` is returned."""
    if not _gives_zeros(penalty, settings):
        return path
    points = path.points
    seeds = np.array([p.seed for p in points])
    lambdas = np.array([p.lambda_ for p in points])
    dropped = torch.stack([groups.norms(torch.as_tensor(p.first_layer)[None])[0] == 0 for p in points])
    if kept_penalty_share > 0:
        base = _for_models(groups, path.factors, seeds).factors
        base = torch.ones(dropped.shape, dtype=torch.float64) if base is None else base.expand(dropped.shape)
        relaxed_lambdas = kept_penalty_share * lambdas
        held = UNPENALISED_FIT_LAMBDA / torch.as_tensor(relaxed_lambdas)[:, None]
        factors = torch.where(dropped, held, base.double())
    else:
        relaxed_lambdas, factors = np.full(len(points), UNPENALISED_FIT_LAMBDA), dropped.double()
    fit = fit_stack(x["train"], y["train"], x["validation"], y["validation"], task=task, penalty=penalty,
                    groups=replace(groups, factors=factors), settings=replace(settings, penalised_layers="first"),
                    lambdas=relaxed_lambdas, seeds=seeds, initial=_stacked([p.parameters for p in points]),
                    description="relaxed fits")  # fmt: skip
    return LambdaPath(_points(fit, task, x, lambdas, seeds), path.factors)


def _adaptive_factors(dense: StackedMLP, groups: Groups, seeds: list[int]) -> dict[int, torch.Tensor]:
    """Per seed, the adaptive penalty factor of each group (groups,): 1 / the root mean square of its weights in
    the seed's ``dense`` first layer, scaled to mean 1 over the penalised groups (unpenalised ones stay 0)."""
    sizes = groups.sizes(dense.first_layer.shape[2])
    strength = (groups.norms(dense.first_layer.detach().double()) / sizes.sqrt()).clamp_min(1e-12)
    factors = 1 / strength  # (seeds, groups)
    if groups.factors is not None:
        factors = factors * groups.factors
    factors = factors / (factors.sum(dim=1, keepdim=True) / (factors > 0).sum(dim=1, keepdim=True))
    return dict(zip(seeds, factors, strict=True))


def _for_models(groups: Groups, factors: dict[int, torch.Tensor] | None, seeds) -> Groups:
    """``groups`` for a stack whose model m has seed seeds[m]: with each seed's adaptive ``factors`` if any."""
    if factors is None:
        return groups
    return replace(groups, factors=torch.stack([factors[int(seed)] for seed in seeds]))


def _largest_lambdas(x, y, seeds, dense: StackedMLP, *, task, penalty, groups, settings) -> np.ndarray:
    """:func:`lambda_max` per seed at its trained network with an empty first layer: the networks fitted with
    only the unpenalised groups free when there are any (a lambda so large that every penalised group is zero
    after each proximal step), else the ``dense`` networks (unpenalised) with a zero first layer, the output
    bias set so that their constant output is the intercept-only fit."""
    if groups.factors is not None and (groups.factors == 0).any():
        fit = fit_stack(x["train"], y["train"], x["validation"], y["validation"], task=task, penalty=penalty,
                        lambdas=np.full(len(seeds), UNPENALISED_FIT_LAMBDA), seeds=np.asarray(seeds), groups=groups,
                        settings=replace(settings, mode="proximal"), description="unpenalised inputs")  # fmt: skip
        network = fit.network
    else:
        network = _stack(x["train"].shape[1], np.asarray(seeds), task, settings, list(dense.parameters()))
        with torch.no_grad():
            network.first_layer.zero_()
            constant = network(x["train"][:1])  # (models, 1, outputs)
            network.biases[-1].add_(task.intercept(y["train"]) - constant)
    tops = lambda_max(task, penalty, x["train"], y["train"], groups, seeds, settings, network)
    if (tops > 0).all():
        return tops
    # A zero gradient: every hidden unit is off at an empty first layer (first-layer biases <= 0), so no lambda makes
    # an input enter there. The seeds' initialisations give a start instead; the path is raised until it is empty.
    fallback = lambda_max(task, penalty, x["train"], y["train"], groups, seeds, settings)
    for seed, top, other in zip(seeds, tops, fallback, strict=True):
        if top <= 0:
            log.info("%s seed %d: no input can enter an empty first layer (hidden units off); lambda_max %.3g from "
                     "the initialisation", penalty, seed, other)  # fmt: skip
    return np.where(tops > 0, tops, np.where(fallback > 0, fallback, 1.0))


def _fit_stage(x, y, lambdas: np.ndarray, seeds: np.ndarray, factors, *, initial, description: str,
               **common) -> list[PathPoint]:  # fmt: skip
    """One fit_stack call (model m: lambdas[m], seeds[m], the seed's adaptive ``factors`` if any) as path points."""
    common = {**common, "groups": _for_models(common["groups"], factors, seeds)}
    fit = fit_stack(x["train"], y["train"], x["validation"], y["validation"], lambdas=lambdas, seeds=seeds,
                    initial=initial, description=description, **common)  # fmt: skip
    return _points(fit, common["task"], x, lambdas, seeds)


def _cold_path(x, y, grids: dict[int, np.ndarray], must_empty: bool, starts: dict[int, list[torch.Tensor]],
               factors: dict[int, torch.Tensor] | None, **common) -> list[PathPoint]:  # fmt: skip
    """All (lambda, seed) networks in one batch, each starting from its seed's dense network ``starts``. While
    ``must_empty`` the path must reach an empty first layer: where a seed's largest grid lambda keeps inputs, the
    path goes on along the seed's grid continued geometrically up to its first empty layer (at most
    ``MAX_PATH_EXTENSION`` lambdas), ``COLD_EXTENSION`` lambdas per batch; the first of these batches is trained
    alongside the grid whether needed or not, which costs less than a batch of its own."""
    penalty, points = common["penalty"], []
    ahead = COLD_EXTENSION if must_empty else 0
    steps = {seed: np.arange(len(grid) + ahead) for seed, grid in grids.items()}  # steps of the continued grids
    added = dict.fromkeys(grids, 0)  # lambdas beyond the grid kept so far
    while steps:
        lambdas = np.array([_grid_value(grids[seed], k) for seed, seed_steps in steps.items() for k in seed_steps])
        grid_seeds = np.concatenate([np.full(len(seed_steps), seed) for seed, seed_steps in steps.items()])
        log.info("%s: %d (lambda, seed) networks in one batch", penalty, len(lambdas))
        initial = _stacked([starts[seed] for seed in grid_seeds])
        stage = _fit_stage(x, y, lambdas, grid_seeds, factors, initial=initial, description=f"training {penalty}",
                           **common)  # fmt: skip
        following = {}
        for seed, seed_steps in steps.items():
            trained = [p for p in stage if p.seed == seed]  # in step order
            on_grid = max(len(grids[seed]) - seed_steps[0], 0)
            kept, beyond = trained[:on_grid], trained[on_grid:]
            if must_empty and (not kept or not _is_empty(kept[-1])):
                first_empty = next((i for i, point in enumerate(beyond) if _is_empty(point)), len(beyond) - 1)
                kept += beyond[: first_empty + 1]
                added[seed] += first_empty + 1
            points += kept
            if not must_empty or _is_empty(kept[-1]):
                continue
            count = min(COLD_EXTENSION, MAX_PATH_EXTENSION - added[seed])
            if count == 0:
                log.warning("%s seed %d: lambda %.3g still keeps inputs; the path does not reach an empty layer",
                            penalty, seed, kept[-1].lambda_)  # fmt: skip
                continue
            following[seed] = seed_steps[-1] + 1 + np.arange(count)
        steps = following
    return points


def _warm_path(x, y, grids: dict[int, np.ndarray], must_empty: bool, starts: dict[int, list[torch.Tensor]],
               factors: dict[int, torch.Tensor] | None, **common) -> list[PathPoint]:  # fmt: skip
    """Every seed from its smallest lambda up, the first starting from the seed's dense network ``starts`` and
    each next one from the previous solution, the seeds' k-th lambdas in one batch; beyond its grid, a seed's
    lambda keeps growing by the grid's ratio (at most ``MAX_PATH_EXTENSION`` times) while ``must_empty`` and
    its first layer keeps inputs."""
    penalty, points, state = common["penalty"], [], starts
    running = list(grids)
    log.info("%s: warm-start path over %d seeds from lambda %.3g up", penalty, len(running),
             min(grid[0] for grid in grids.values()))  # fmt: skip
    for step in itertools.count():
        lambdas = np.array([_grid_value(grids[seed], step) for seed in running])
        stage = _fit_stage(x, y, lambdas, np.asarray(running), factors, initial=_stacked([state[s] for s in running]),
                           description=f"training {penalty} step {step + 1}", **common)  # fmt: skip
        points += stage
        state = {p.seed: p.parameters for p in stage}
        running = []
        for point in stage:
            grid, keeps_inputs = grids[point.seed], must_empty and not _is_empty(point)
            if step + 1 < len(grid) or (keeps_inputs and step + 1 < len(grid) + MAX_PATH_EXTENSION):
                running.append(point.seed)
            elif keeps_inputs:
                log.warning("%s seed %d: lambda %.3g still keeps inputs; the path does not reach an empty layer",
                            penalty, point.seed, point.lambda_)  # fmt: skip
            elif step + 1 > len(grid):
                log.info("%s seed %d: path extended to lambda %.3g to reach an empty first layer", penalty,
                         point.seed, point.lambda_)  # fmt: skip
        if not running:
            return points


def _stacked(networks: list[list[torch.Tensor]]) -> list[torch.Tensor]:
    """The parameters of a stack holding ``networks`` (each one network's parameters), in order."""
    return [torch.stack(values) for values in zip(*networks, strict=True)]


def _grid_value(grid: np.ndarray, step: int) -> float:
    """The grid's lambda at ``step``, continued geometrically by the grid's ratio (2 for one value) beyond it."""
    if step < len(grid):
        return float(grid[step])
    factor = grid[1] / grid[0] if len(grid) > 1 else 2.0
    return float(grid[-1] * factor ** (step - len(grid) + 1))


def choose_lambda(path: pd.DataFrame, metric: str, rule: str, standard_errors: float = 1.0) -> int:
    """Row label of ``path`` chosen on the validation metric.

    ``best``: the best value of ``validation_<metric>``. ``one_se``: the largest lambda whose value is
    within ``standard_errors`` (1: glmnet's lambda.1se) standard errors (column ``validation_<metric>_se``) of
    the best. Ties go to the largest lambda, the sparsest model.
    """
    by_lambda = path.sort_values("lambda", ascending=False, kind="stable")
    sign = -1 if LARGER_IS_BETTER[metric] else 1  # sign x score: smaller is better
    scores = sign * by_lambda[f"validation_{metric}"]
    best = scores.idxmin()
    if rule == "best":
        return int(best)
    within = scores <= scores[best] + standard_errors * by_lambda.loc[best, f"validation_{metric}_se"]
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
    predictions: dict[str, np.ndarray] = field(default_factory=dict)  # train / validation / test
    parameters: list[torch.Tensor] = field(default_factory=list)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)  # epoch, train_loss, validation_objective
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)  # epoch -> first layer
    refit_frequency: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))  # variable -> share of refits


def refit_frequencies(
    x: dict[str, torch.Tensor],
    y: dict[str, torch.Tensor],
    grids: dict[int, np.ndarray],
    chosen: dict[int, float],
    *,
    task: Task,
    penalty: str,
    groups: Groups,
    variable_of: pd.Series,
    settings: TrainSettings,
) -> dict[int, pd.Series]:
    """Stability selection (Meinshausen & Buehlmann 2010) of each seed's chosen network.

    Repeats the training procedure on ``settings.stability_refits`` random halves of the training
    samples (drawn without replacement, the same halves for every seed and penalty; early stopping on
    the whole validation set): each seed's path over its original lambdas ``grids[seed]`` up to its
    chosen lambda ``chosen[seed]``, warm-started as configured. Returns, per seed, the share of refits
    whose network at that lambda keeps each input variable (a Series indexed by variable, in input order).
    """
    needed = {seed: grids[seed][grids[seed] <= lambda_] for seed, lambda_ in chosen.items()}
    n_train = len(y["train"])
    rng = np.random.default_rng(n_train)
    kept = {seed: pd.Series(0.0, index=variable_of.unique()) for seed in chosen}
    refits = range(settings.stability_refits)
    for _ in progress(refits, total=len(refits), description=f"stability refits {penalty}"):
        half = torch.as_tensor(np.sort(rng.choice(n_train, n_train // 2, replace=False)))
        path = fit_path(
            {**x, "train": x["train"][half]},
            {**y, "train": y["train"][half]},
            task=task,
            penalty=penalty,
            groups=groups,
            seeds=list(chosen),
            settings=settings,
            lambdas=needed,
        )
        for seed in chosen:
            layer = pd.DataFrame(path.of_seed(seed)[0].first_layer, index=variable_of.index)
            kept[seed][selected_variables(layer, variable_of)] += 1
    return {seed: counts / len(refits) for seed, counts in kept.items()}


def path_table(points: list[PathPoint], task: Task, y_validation: np.ndarray, variable_of: pd.Series,
               threshold: float) -> pd.DataFrame:  # fmt: skip
    """One seed's path as path.tsv's rows, in the order of ``points``: lambda, best epoch, each validation
    metric and its standard error, inputs kept (``selected``: variable names joined by ";") and each
    variable's first-layer group norm (``norm:<variable>``). ``variable_of`` maps input columns to variables."""
    return pd.DataFrame([_path_row(p, task, y_validation, variable_of, threshold) for p in points])


def _path_row(point: PathPoint, task: Task, y_validation: np.ndarray, variable_of: pd.Series, threshold: float) -> dict:
    layer = pd.DataFrame(point.first_layer, index=variable_of.index)
    validation = task.metrics(y_validation, point.predictions["validation"])
    errors = task.standard_errors(y_validation, point.predictions["validation"], validation)
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


def _seed_result(point: PathPoint, path: pd.DataFrame, variable_of: pd.Series, settings: TrainSettings) -> SeedResult:
    """The chosen network ``point`` of a seed, with the seed's path table."""
    hidden_names = [f"hidden_{h}" for h in range(point.first_layer.shape[1])]
    first_layer = pd.DataFrame(point.first_layer, index=pd.Index(variable_of.index, name="input"),
                               columns=hidden_names)  # fmt: skip
    n_layers = len(settings.hidden_layers) + 1
    return SeedResult(
        seed=point.seed,
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


def check_training(task: Task, penalty: str, seeds: list[int], settings: TrainSettings) -> None:
    """Refuse what cannot be trained: no seed, an unknown penalty, a selection metric of another task."""
    if not seeds:
        raise RiataError("train: at least one seed is needed")
    if penalty not in PENALTIES:
        raise RiataError(f"unknown penalty {penalty!r}; choose from {', '.join(PENALTIES)}")
    if settings.selection_metric not in SELECTION_METRICS[task.kind]:
        raise RiataError(
            f"train: selection_metric {settings.selection_metric!r} does not apply to a {task.kind} outcome; "
            f"choose from {', '.join(SELECTION_METRICS[task.kind])}"
        )


def design_tensors(tables: dict[str, pd.DataFrame], columns: pd.DataFrame, task: Task, settings: TrainSettings):
    """What :func:`fit_path` takes from design ``tables`` (split -> frame) and their input ``columns``
    (column, variable): inputs x (split -> (samples, inputs) float32), targets y (split -> tensor), the
    first layer's groups (unpenalised as configured) and each input column's variable (a Series)."""
    names = columns["column"].tolist()
    variable_of = pd.Series(columns["variable"].to_numpy(), index=names)
    unpenalised = {v for v in variable_of.unique() if any(fnmatchcase(v, p) for p in settings.unpenalised)}
    groups = Groups.from_labels(variable_of.tolist(), unpenalised)
    x = {split: torch.tensor(t[names].to_numpy(), dtype=torch.float32) for split, t in tables.items()}
    y = {split: task.target_tensor(task.targets(t)) for split, t in tables.items()}
    return x, y, groups, variable_of


def fit_penalty(
    tables: dict[str, pd.DataFrame],
    columns: pd.DataFrame,
    *,
    task: Task,
    penalty: str,
    seeds: list[int],
    settings: TrainSettings,
) -> list[SeedResult]:
    """Train every (lambda, seed) network for one penalty and pick lambda per seed on validation.

    ``tables`` maps train, validation and optionally test to frames with the coded outcome
    (:meth:`Task.targets`) and the input ``columns`` (metadata rows: column, variable); returns one result per
    seed, in the order of ``seeds``, with predictions for every split given.
    """
    check_training(task, penalty, seeds, settings)
    x, y, groups, variable_of = design_tensors(tables, columns, task, settings)
    path = fit_path(x, y, task=task, penalty=penalty, groups=groups, seeds=seeds, settings=settings)
    results = []
    for seed in seeds:
        points = path.of_seed(seed)
        table = path_table(points, task, y["validation"].numpy(), variable_of, settings.zero_threshold)
        chosen = choose_lambda(table, settings.selection_metric, settings.lambda_rule)
        table["chosen"] = table.index == chosen
        results.append(_seed_result(points[chosen], table, variable_of, settings))
    if settings.stability_refits:
        frequencies = refit_frequencies(
            x,
            y,
            {seed: path.lambdas(seed) for seed in seeds},
            {r.seed: r.lambda_ for r in results},
            task=task,
            penalty=penalty,
            groups=groups,
            variable_of=variable_of,
            settings=settings,
        )
        for result in results:
            result.refit_frequency = frequencies[result.seed]
    return results
