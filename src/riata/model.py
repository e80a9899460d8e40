"""A stack of independent feed-forward networks evaluated as one batched computation."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn


class StackedMLP(nn.Module):
    """``len(seeds)`` independent networks inputs -> hidden layers (ReLU) -> ``n_outputs`` outputs.

    Layer j holds weights of shape (models, in_j, out_j) and biases (models, 1, out_j), so the first
    layer's weights ``first_layer`` are (models, inputs, hidden): one row per input column, as penalised
    and drawn in heat maps. Model m is initialised from ``seeds[m]`` exactly like ``torch.nn.Linear``
    (uniform in +-1/sqrt(fan_in)), so models with the same seed start from the same weights.
    """

    def __init__(self, n_inputs: int, hidden_layers: Sequence[int], seeds: Sequence[int], n_outputs: int = 1):
        super().__init__()
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
        self.weights = nn.ParameterList(weights)
        self.biases = nn.ParameterList(biases)

    @property
    def n_models(self) -> int:
        return self.weights[0].shape[0]

    @property
    def first_layer(self) -> nn.Parameter:
        return self.weights[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs (models, samples, outputs) from inputs (samples, inputs) or (models, samples, inputs)."""
        hidden = x
        last = len(self.weights) - 1
        for j, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            hidden = torch.matmul(hidden, weight) + bias
            if j < last:
                hidden = torch.relu(hidden)
        return hidden
