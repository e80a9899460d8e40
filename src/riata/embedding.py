"""Out-of-core genetic embedding, fitted on training samples and applied to every sample.

Genotypes are standardized per variant with the training frequency p of the counted allele,
``x = (g - 2p) / sqrt(2p(1-p))``; a missing call becomes 0 (mean imputation). Variant blocks are read
with bed-reader as float32 dosages; a missing call is set to 2p, after which X = D s - 1 (2p s)^T for
the block's dosages D and scales s, so products with X need no standardized copy of the block. The
full matrix is never held in memory.

**Algorithm: randomized block Krylov** (Musco & Musco 2015; Halko, Martinsson & Tropp 2011) rather
than an exact relationship matrix. An exact GRM costs 2 n^2 m flops for n training samples and m
variants (6e12 at 1,800 x 500,000); the Krylov method costs about (4q + 2) n m l for l = k +
oversampling and q iterations (1.4e12 at l = 30, q = 6) and reads the .bed q + 2 times. Genotype
spectra are a few population-structure eigenvalues on top of a flat noise bulk; on a flat spectrum
plain subspace iteration needs many passes to capture the top-k variance, while the Krylov space
[X Omega, (X X^T) X Omega, ..., (X X^T)^(q-1) X Omega] of dimension L = q l captures it in a few
(see tests and benchmarks/embedding.py).

Passes: the sketch pass forms X Omega (Omega drawn block by block from the seed); pass i forms
Y_i = X (X^T Q_{i-1}), one product per block, and Q_i is an orthonormal basis of Y_i orthogonal to
Q_0 .. Q_{i-1}. The Krylov basis K = [Q_0 .. Q_{q-1}] then satisfies X X^T K = [Y_1 .. Y_q] with no
further pass, so the Rayleigh-Ritz step K^T X X^T K = Z S^2 Z^T gives the singular values S and the training scores
X_train V = X X^T K Z S^-1 directly. One last pass forms the loadings V = X_train^T (K Z S^-1), block
by block (spilled to a temporary file, then written), and the held-out scores X_other V, so that
training and held-out samples are embedded alike and memory does not grow with the number of
variants. In all, q + 2 passes and about (4q + 2) n m l + 4 n m k flops.

Eigenvalues are reported as plink2 --pca does, for the relationship matrix X X^T / m.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import dask
import numpy as np
import torch

from riata.errors import RiataError
from riata.io.plink import BedBlocks
from riata.progress import progress

log = logging.getLogger("riata")


def standardize(dosage: np.ndarray, a1_freq: np.ndarray) -> np.ndarray:
    """Standardize a dosage block (samples x variants, NaN missing) with per-variant frequencies."""
    p = np.asarray(a1_freq, dtype=np.float32)
    return np.nan_to_num((dosage - 2 * p) / np.sqrt(2 * p * (1 - p)), nan=0.0).astype(np.float32, copy=False)


@dataclass(frozen=True)
class Block:
    """One task's variants: .bed rows ``variants``, their training frequencies, and their position."""

    index: int
    variants: np.ndarray  # increasing .bed rows
    a1_freq: np.ndarray  # (variants,)
    offset: int  # position of the block's first variant among all selected variants


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float32 matrix product through torch (MKL): faster than numpy's bundled OpenBLAS here."""
    return torch.matmul(torch.from_numpy(a), torch.from_numpy(np.ascontiguousarray(b))).numpy()


@dataclass(frozen=True)
class StandardizedBlock:
    """X = dosage * scale - shift for one block: dosage (samples x variants) with missing set to 2p."""

    dosage: np.ndarray
    scale: np.ndarray  # 1 / sqrt(2p(1-p)), (variants,)
    shift: np.ndarray  # 2p / sqrt(2p(1-p)), (variants,)

    @classmethod
    def read(cls, source: BedBlocks, block: Block, rows: np.ndarray | None) -> StandardizedBlock:
        dosage = source.read(rows, block.variants)
        p = block.a1_freq.astype(np.float32)
        missing = np.isnan(dosage)
        if missing.any():
            sample, variant = np.nonzero(missing)
            dosage[sample, variant] = 2 * p[variant]
        scale = 1 / np.sqrt(2 * p * (1 - p))
        return cls(dosage, scale, 2 * p * scale)

    def rows(self, start: int, stop: int) -> StandardizedBlock:
        """The same block for samples start..stop-1 (a view, no copy)."""
        return StandardizedBlock(self.dosage[start:stop], self.scale, self.shift)

    def t_times(self, q: np.ndarray) -> np.ndarray:
        """X^T q: (variants, l) from q (samples, l)."""
        product = _matmul(self.dosage.T, q.astype(np.float32, copy=False))
        return self.scale[:, None] * product - self.shift[:, None] * q.sum(axis=0)[None, :]

    def times(self, w: np.ndarray) -> np.ndarray:
        """X w: (samples, l) from w (variants, l)."""
        scaled = (self.scale[:, None] * w).astype(np.float32, copy=False)
        return _matmul(self.dosage, scaled) - (self.shift @ w)[None, :]

    def sum_of_squares(self) -> float:
        p2 = self.shift / self.scale  # 2p
        column_sum = self.dosage.sum(axis=0, dtype=np.float64)
        column_squares = np.einsum("ij,ij->j", self.dosage, self.dosage, dtype=np.float64)
        n = self.dosage.shape[0]
        return float((self.scale.astype(np.float64) ** 2 * (column_squares - 2 * p2 * column_sum + n * p2**2)).sum())


def _sketch(source, block, train, width, seed):
    x = StandardizedBlock.read(source, block, train)
    omega = np.random.default_rng([seed, block.index]).standard_normal((len(block.variants), width), dtype=np.float32)
    return x.times(omega).astype(np.float64), x.sum_of_squares()


def _power(source, block, train, q):
    x = StandardizedBlock.read(source, block, train)
    return x.times(x.t_times(q)).astype(np.float64)


def _final(source, block, train, others, to_loadings, spill_path):
    """For one block: the loadings V_b = X_b^T W (spilled) and the held-out products X_other,b V_b."""
    x = StandardizedBlock.read(source, block, np.concatenate([train, others]))
    training, held_out = x.rows(0, len(train)), x.rows(len(train), len(train) + len(others))
    loadings = training.t_times(to_loadings)  # (block variants, k)
    with open(spill_path, "r+b") as handle:
        os.pwrite(handle.fileno(), np.ascontiguousarray(loadings, dtype=np.float32).tobytes(),
                  block.offset * to_loadings.shape[1] * 4)  # fmt: skip
    return held_out.times(loadings).astype(np.float64) if len(others) else None


@dataclass(frozen=True)
class Embedding:
    """Result of :func:`randomized_pca`: scores of the training and held-out samples and the spectrum."""

    train_scores: np.ndarray  # (training samples, k)
    other_scores: np.ndarray  # (held-out samples, k)
    singular_values: np.ndarray  # (k,)
    total_variance: float  # squared Frobenius norm of the standardized training matrix
    n_variants: int

    @property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of the relationship matrix X X^T / m, as plink2 --pca reports."""
        return self.singular_values**2 / self.n_variants

    @property
    def variance_explained(self) -> np.ndarray:
        return self.singular_values**2 / self.total_variance


def blocks_of(variant_index: np.ndarray, a1_freq: np.ndarray, block_variants: int) -> list[Block]:
    """Split the selected variants (increasing .bed rows) into blocks of ``block_variants``."""
    if not np.all((a1_freq > 0) & (a1_freq < 1)):
        raise ValueError("a1_freq must be strictly between 0 and 1 (monomorphic variants removed by QC)")
    return [
        Block(j, variant_index[start : start + block_variants], a1_freq[start : start + block_variants], start)
        for j, start in enumerate(range(0, len(variant_index), block_variants))
    ]


def _run(tasks: list, threads: int, scheduler: object | None) -> list:
    """Compute dask tasks: on threads by default, or on a dask.distributed ``Client``."""
    if scheduler is None:
        return list(dask.compute(*tasks, scheduler="threads", num_workers=threads))
    return list(dask.compute(*tasks, scheduler=scheduler))


def _orthonormal(matrix: np.ndarray) -> np.ndarray:
    return np.linalg.qr(matrix)[0]


def _orthogonal_complement(block: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """An orthonormal basis of ``block`` orthogonal to the orthonormal columns of ``previous``.

    Block Gram-Schmidt done twice ("twice is enough"), so that the Krylov basis stays orthonormal to
    working precision even when its blocks become nearly dependent (converged structure components).
    """
    for _ in range(2):
        block = block - previous @ (previous.T @ block)
    return _orthonormal(block)


def randomized_pca(
    source: BedBlocks,
    *,
    train_rows: np.ndarray,
    other_rows: np.ndarray,
    variant_index: np.ndarray,
    a1_freq: np.ndarray,
    n_components: int,
    write_loadings: Callable[[int, np.ndarray], None],
    oversampling: int = 10,
    power_iterations: int = 7,
    seed: int = 0,
    block_variants: int = 4096,
    threads: int = 1,
    scheduler: object | None = None,
    spill_dir: str | None = None,
) -> Embedding:
    """Top ``n_components`` principal components of the standardized training genotypes.

    ``train_rows`` / ``other_rows``: .fam rows of training and held-out samples; ``variant_index``:
    increasing .bim rows used, with training frequencies ``a1_freq`` strictly in (0, 1).
    ``write_loadings(first, loadings)`` receives the loadings (variants x k) of consecutive chunks
    of the selected variants, ``first`` being the position of the chunk's first variant. Blocks run
    as dask tasks on ``threads`` threads, or on ``scheduler`` (a dask.distributed ``Client``); B^T
    is spilled to a temporary file in ``spill_dir``, which distributed workers must share.
    """
    n_train, n_variants = len(train_rows), len(variant_index)
    room = min(n_train, n_variants)  # the Krylov basis cannot be wider than the training matrix's rank
    if n_components < 1 or power_iterations < 1 or n_components > room:
        raise RiataError(
            f"embed: {n_components} components need at least {n_components} training samples and variants "
            f"(and at least one iteration); have {n_train} samples and {n_variants} variants"
        )
    width = min(n_components + oversampling, room)
    if power_iterations * width > room:
        log.info("embed: %d iterations of width %d exceed %d dimensions; using %d", power_iterations, width, room,
                 max(room // width, 1))  # fmt: skip
        power_iterations = max(room // width, 1)
    blocks = blocks_of(np.asarray(variant_index), np.asarray(a1_freq), block_variants)
    train_rows, other_rows = np.asarray(train_rows), np.asarray(other_rows)
    delayed = dask.delayed

    parts = _run([delayed(_sketch)(source, b, train_rows, width, seed) for b in blocks], threads, scheduler)
    total_variance = sum(sum_of_squares for _, sum_of_squares in parts)
    krylov = [_orthonormal(sum(product for product, _ in parts))]  # Q_0
    powers = []  # Y_i = X X^T Q_{i-1}
    for _ in progress(range(power_iterations), total=power_iterations, description="PCA Krylov iterations"):
        q = krylov[-1].astype(np.float32)
        powers.append(sum(_run([delayed(_power)(source, b, train_rows, q) for b in blocks], threads, scheduler)))
        krylov.append(_orthogonal_complement(powers[-1], np.hstack(krylov)))

    # Rayleigh-Ritz in the orthonormal Krylov basis K = [Q_0 .. Q_{q-1}], whose products X X^T K =
    # [Y_1 .. Y_q] are already known.
    basis, products = np.hstack(krylov[:-1]), np.hstack(powers)
    gram = basis.T @ products
    eigenvalues, rotation = np.linalg.eigh((gram + gram.T) / 2)  # K^T X X^T K = Z S^2 Z^T
    order = np.argsort(eigenvalues)[::-1][:n_components]
    singular_values = np.sqrt(np.maximum(eigenvalues[order], 0))
    rotation = rotation[:, order] / singular_values  # Z S^-1
    train_scores = products @ rotation  # X X^T K Z S^-1 = X_train V
    to_loadings = (basis @ rotation).astype(np.float32)  # W = K Z S^-1, so that V = X_train^T W
    handle, spill_path = tempfile.mkstemp(prefix=".riata-pca-", suffix=".f32", dir=spill_dir)
    try:
        os.ftruncate(handle, n_variants * n_components * 4)
        os.close(handle)
        held_out = _run(
            [delayed(_final)(source, b, train_rows, other_rows, to_loadings, spill_path) for b in blocks],
            threads, scheduler,
        )  # fmt: skip
        sign = _deterministic_signs(spill_path, n_variants, n_components, block_variants)
        train_scores = train_scores * sign
        other_scores = sum(held_out) * sign if len(other_rows) else np.empty((0, n_components))
        _stream_loadings(spill_path, sign, n_variants, n_components, block_variants, write_loadings)
    finally:
        os.unlink(spill_path)
    log.info(
        "randomized block Krylov PCA on %d training samples x %d variants (%d iterations, Krylov dimension %d): "
        "%d components explain %.2f%%",
        n_train, n_variants, power_iterations, basis.shape[1], n_components,
        100 * (singular_values**2).sum() / total_variance,
    )  # fmt: skip
    return Embedding(train_scores, other_scores, singular_values, total_variance, n_variants)


def _spilled_chunks(spill_path: str, n_variants: int, width: int, chunk: int):
    with open(spill_path, "rb") as handle:
        for first in range(0, n_variants, chunk):
            rows = min(chunk, n_variants - first)
            data = os.pread(handle.fileno(), rows * width * 4, first * width * 4)
            yield first, np.frombuffer(data, dtype=np.float32).reshape(rows, width)


def _deterministic_signs(spill_path: str, n_variants: int, k: int, chunk: int) -> np.ndarray:
    """+1 or -1 per component so that its largest loading (in magnitude) is positive."""
    largest = np.zeros(k)
    for _, loadings in _spilled_chunks(spill_path, n_variants, k, chunk):
        candidate = loadings[np.abs(loadings).argmax(axis=0), np.arange(k)]
        bigger = np.abs(candidate) > np.abs(largest)
        largest[bigger] = candidate[bigger]
    return np.where(largest < 0, -1.0, 1.0)


def _stream_loadings(spill_path, sign, n_variants, k, chunk, write_loadings) -> None:
    for first, loadings in _spilled_chunks(spill_path, n_variants, k, chunk):
        write_loadings(first, loadings * sign)
