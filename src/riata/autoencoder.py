"""A second genetic embedding: an autoencoder trained on training samples streamed from the .bed.

The encoder maps a sample's standardized genotypes (the same standardization as the PCA, with
training frequencies, missing calls 0) to ``k`` codes, code = ELU(x W_e + b_e); the decoder maps the
codes back, x_hat = code W_d + b_d, and the mean squared reconstruction error is minimised with Adam
over minibatches of training samples, each read from the .bed for all selected variants (memory
holds one minibatch, about batch x variants x 4 bytes, and the two weight matrices). After training,
every sample's codes are computed in one pass over variant blocks, since x W_e is a sum over blocks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from riata.embedding import GenotypeSelection
from riata.errors import RiataError
from riata.io.plink import BedBlocks
from riata.progress import progress

log = logging.getLogger("riata")


def _standardized(source: BedBlocks, rows: np.ndarray, variants: np.ndarray, a1_freq: np.ndarray) -> torch.Tensor:
    """Standardized genotypes (rows x variants), missing calls 0."""
    dosage = torch.from_numpy(np.ascontiguousarray(source.read(rows, variants)))
    p = torch.as_tensor(a1_freq, dtype=torch.float32)
    return torch.nan_to_num((dosage - 2 * p) / torch.sqrt(2 * p * (1 - p)), nan=0.0)


class GenotypeAutoencoder(nn.Module):
    """variants -> k codes (ELU) -> variants."""

    def __init__(self, n_variants: int, n_components: int):
        super().__init__()
        self.encoder = nn.Linear(n_variants, n_components)
        self.decoder = nn.Linear(n_components, n_variants)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.elu(self.encoder(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x))


@dataclass(frozen=True)
class AutoencoderEmbedding:
    """Codes of training and held-out samples, the encoder's weights (variants x k), the loss curve."""

    train_codes: np.ndarray
    other_codes: np.ndarray
    encoder_weights: np.ndarray
    losses: list[float]


def fit_autoencoder(
    genotypes: GenotypeSelection,
    *,
    n_components: int,
    epochs: int = 20,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    block_variants: int = 4096,
    seed: int = 0,
) -> AutoencoderEmbedding:
    """Train the autoencoder on the training samples and encode every sample (see the module doc)."""
    source, variant_index, a1_freq = genotypes.source, genotypes.variant_index, genotypes.a1_freq
    train_rows, other_rows = genotypes.train_rows, genotypes.other_rows
    if n_components < 1 or len(train_rows) < 2:
        raise RiataError("embed: the autoencoder needs at least 1 component and 2 training samples")
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = GenotypeAutoencoder(len(variant_index), n_components)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses = []
    for _epoch in progress(range(epochs), total=epochs, description="autoencoder epochs"):
        order = np.asarray(train_rows)[torch.randperm(len(train_rows), generator=generator).numpy()]
        total = 0.0
        for start in range(0, len(order), batch_size):
            rows = np.sort(order[start : start + batch_size])
            x = _standardized(source, rows, variant_index, a1_freq)
            loss = nn.functional.mse_loss(model(x), x)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        losses.append(total / len(order))
    log.info(
        "autoencoder: reconstruction MSE %.4f after %d epochs (%.4f after the first)", losses[-1], epochs, losses[0]
    )

    weights = model.encoder.weight.detach().T.contiguous()  # (variants, k)
    bias = model.encoder.bias.detach()

    def encode(rows: np.ndarray) -> np.ndarray:
        pre = torch.zeros(len(rows), n_components)
        for start in range(0, len(variant_index), block_variants):
            block = slice(start, start + block_variants)
            pre += _standardized(source, rows, variant_index[block], a1_freq[block]) @ weights[block]
        return nn.functional.elu(pre + bias).numpy()

    with torch.no_grad():
        train_codes = encode(np.asarray(train_rows))
        other_codes = encode(np.asarray(other_rows)) if len(other_rows) else np.empty((0, n_components))
    return AutoencoderEmbedding(train_codes, other_codes, weights.numpy(), losses)
