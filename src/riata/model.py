"""A stack of independent feed-forward networks evaluated as one batched computation."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch


class StackedMLP:
    """``len(seeds)`` independent networks inputs -> hidden layers (ReLU) -> ``n_outputs`` outputs.

    Layer j holds weights of shape (models, in_j, out_j) and biases (models, 1, out_j), so the first
    layer's weights ``first_layer`` are (models, inputs, hidden): one row per input column, as penalised
    and drawn in heat maps. Model m is initialised from ``seeds[m]`` exactly like ``torch.nn.Linear``
    (uniform in +-1/sqrt(fan_in)), so models with the same seed start from the same weights. The parameters
    are plain leaf tensors that require gradients (``parameters()``: every layer's weights, then biases): no
    ``torch.nn.Module``, whose attribute and container lookups cost more than the small layers' arithmetic.
    """

    def __init__(self, n_inputs: int, hidden_layers: Sequence[int], seeds: Sequence[int], n_outputs: int = 1):
        sizes = [n_inputs, *hidden_layers, n_outputs]
        weights, biases = [], []
        for fan_in, fan_out in itertools.pairwise(sizes):
            weights.append(torch.empty(len(seeds), fan_in, fan_out, dtype=torch.float32))
            biases.append(torch.empty(len(seeds), 1, fan_out, dtype=torch.float32))
        for m, seed in enumerate(seeds):
            generator = torch.Generator().manual_seed(int(seed))
            for weight, bias in zip(weights, biases, strict=True):
                bound = 1 / math.sqrt(weight.shape[1])
                weight[m].uniform_(-bound, bound, generator=generator)
                bias[m].uniform_(-bound, bound, generator=generator)
        self.weights = [weight.requires_grad_() for weight in weights]
        self.biases = [bias.requires_grad_() for bias in biases]

    def parameters(self) -> list[torch.Tensor]:
        return self.weights + self.biases

    @property
    def n_models(self) -> int:
        return self.weights[0].shape[0]

    @property
    def first_layer(self) -> torch.Tensor:
        return self.weights[0]

    def __call__(self, x: torch.Tensor, models_per_input: Sequence[int] | None = None) -> torch.Tensor:
        """Outputs (models, samples, outputs) from inputs (samples, inputs) that every model sees, or from
        inputs (runs, samples, inputs) with ``models_per_input`` (runs,): the first models_per_input[0] models
        see x[0], the next models_per_input[1] models x[1], and so on. Each run's first layer is one matrix
        product of its inputs with its models' weights side by side."""
        if x.dim() == 2:
            x, models_per_input = x[None], [self.n_models]
        if len(x) == 1:
            hidden = _shared_product(x[0], self.first_layer)
        else:
            runs = zip(x, models_per_input, itertools.accumulate(models_per_input), strict=True)
            hidden = torch.cat([_shared_product(inputs, self.first_layer[end - count : end])
                                for inputs, count, end in runs])  # fmt: skip
        for weight, bias in zip(self.weights[1:], self.biases[:-1], strict=True):
            hidden = _later_product(torch.relu(hidden + bias), weight)
        return hidden + self.biases[-1]


def _shared_product(x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """x (samples, inputs) times each model's weights (models, inputs, out) -> (models, samples, out), contiguous
    so that every later sum over samples runs model by model, the same whatever else is in the stack."""
    n_models, n_inputs, n_out = weights.shape
    side_by_side = x @ weights.transpose(0, 1).reshape(n_inputs, n_models * n_out)
    return side_by_side.view(len(x), n_models, n_out).transpose(0, 1).contiguous()


def _later_product(hidden: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Each model's activations (models, samples, in) times its weights (models, in, out) -> (models, samples,
    out); one output is a dot product per model, cheaper than a batch of tiny matrix products."""
    if weights.shape[2] == 1:
        return (hidden * weights.transpose(1, 2)).sum(dim=2, keepdim=True)
    return torch.bmm(hidden, weights)
