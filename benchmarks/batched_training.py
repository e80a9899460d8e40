"""Batched training vs the same networks trained one at a time, in one run.

Trains every (lambda, seed) network of one penalty on a synthetic clinical-shaped problem twice: as one
stacked batch (riata's engine) and as a loop of single-network trainings with the same seeds and
settings. Prints a table, then one machine-readable line:
``batched_models_per_s=<x> loop_models_per_s=<y> speedup=<z> max_weight_diff=<d>``.

    python benchmarks/batched_training.py [--lambdas 10] [--seeds 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from riata.penalties import Groups
from riata.settings import TrainSettings
from riata.tasks import Task
from riata.train import fit_stack


def problem(n_samples: int, n_inputs: int, seed: int = 0):
    """Standardized inputs, 5 of them informative, and a binary outcome from a logistic model."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_samples, n_inputs)).astype(np.float32)
    logits = x[:, :5] @ np.array([1.0, -0.8, 0.6, 0.5, -0.4], dtype=np.float32)
    y = (rng.random(n_samples) < 1 / (1 + np.exp(-logits))).astype(np.float32)
    split = int(0.75 * n_samples)
    return (torch.tensor(x[:split]), torch.tensor(y[:split]), torch.tensor(x[split:]), torch.tensor(y[split:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lambdas", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=800)
    parser.add_argument("--inputs", type=int, default=36)
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--penalty", default="group_lasso")
    options = parser.parse_args()
    torch.set_num_threads(options.threads)

    data = problem(options.samples, options.inputs)
    groups = Groups.from_labels([f"v{i}" for i in range(options.inputs)])
    settings = TrainSettings(hidden_layers=(16,), max_epochs=options.epochs, patience=20, batch_size=64)
    lambdas = np.tile(np.geomspace(0.05, 0.0005, options.lambdas), options.seeds)
    seeds = np.repeat(np.arange(1, options.seeds + 1), options.lambdas)
    common = {"task": Task("binary"), "penalty": options.penalty, "groups": groups, "settings": settings}
    print(f"settings: hidden (16,), SGD lr {settings.learning_rate} momentum {settings.momentum}, batch 64, "
          f"at most {options.epochs} epochs, patience 20; lambdas {lambdas.max():g} .. {lambdas.min():g}")  # fmt: skip

    # Warm-up: torch's first calls pay one-off start-up costs that belong to neither engine.
    fit_stack(*data, lambdas=lambdas[:2], seeds=seeds[:2], **{**common, "settings": TrainSettings(max_epochs=2)})

    start = time.perf_counter()
    batched = fit_stack(*data, lambdas=lambdas, seeds=seeds, **common)
    batched_seconds = time.perf_counter() - start

    start = time.perf_counter()
    singles = [
        fit_stack(*data, lambdas=lambdas[m : m + 1], seeds=seeds[m : m + 1], **common) for m in range(len(lambdas))
    ]
    loop_seconds = time.perf_counter() - start

    differences = [
        float((batched_parameter[m] - single_parameter[0]).abs().max().detach())
        for m, single in enumerate(singles)
        for batched_parameter, single_parameter in zip(
            batched.network.parameters(), single.network.parameters(), strict=True
        )
    ]
    same_epochs = sum(int(single.best_epoch[0] == batched.best_epoch[m]) for m, single in enumerate(singles))
    n_models = len(lambdas)
    batched_rate, loop_rate = n_models / batched_seconds, n_models / loop_seconds
    print(f"{n_models} networks ({options.lambdas} lambdas x {options.seeds} seeds), {options.penalty}, "
          f"{options.samples} samples x {options.inputs} inputs, {options.threads} threads")  # fmt: skip
    print(f"{'engine':<22}{'seconds':>10}{'models/s':>12}")
    print(f"{'batched (riata)':<22}{batched_seconds:>10.2f}{batched_rate:>12.2f}")
    print(f"{'one at a time':<22}{loop_seconds:>10.2f}{loop_rate:>12.2f}")
    print(f"same best epoch: {same_epochs}/{n_models}; largest weight difference {max(differences):.2e}")
    print(
        f"batched_models_per_s={batched_rate:.3f} loop_models_per_s={loop_rate:.3f} "
        f"speedup={batched_rate / loop_rate:.2f} max_weight_diff={max(differences):.3e}"
    )


if __name__ == "__main__":
    main()
