"""Out-of-core genetic embedding: randomized PCA of standardized genotypes, fitted on training samples.

Genotypes are standardized per variant with the training allele frequency p of the counted allele,
``x = (g - 2p) / sqrt(2p(1-p))``, and a missing call becomes 0 (mean imputation). The top-k principal
components of the training matrix X (n_train x m) come from a blocked randomized SVD with subspace
(power) iterations (Halko, Martinsson & Tropp 2011, algorithms 4.4 and 5.1): every pass streams X
once, block of variants by block, and keeps only n x l and m x l matrices in memory (l = k +
oversampling). One power iteration is one pass, because X X^T Q = sum over blocks of X_b (X_b^T Q).

Samples are embedded as ``scores = X_s V`` (V: variants x k loadings), with X_s standardized with the
training frequencies; for training samples this equals U S.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from riata.errors import RiataError
from riata.io.plink import PlinkGenotypes, map_variant_blocks
from riata.progress import progress

log = logging.getLogger("riata")


def standardize(block: np.ndarray, a1_freq: np.ndarray) -> np.ndarray:
    """Standardize a dosage block (samples x variants) with per-variant frequencies; missing -> 0."""
    a1_freq = a1_freq.astype(np.float32)
    standardized = (block - 2 * a1_freq) / np.sqrt(2 * a1_freq * (1 - a1_freq))
    return np.nan_to_num(standardized, nan=0.0, copy=False).astype(np.float32, copy=False)


@dataclass(frozen=True)
class GeneticEmbedding:
    """A fitted embedding: loadings (variants x k), singular values (k,), and what defines X.

    ``variant_index`` are the .bim rows used, ``a1_freq`` their training frequencies and
    ``total_variance`` the squared Frobenius norm of the standardized training matrix.
    """

    variant_index: np.ndarray
    a1_freq: np.ndarray
    loadings: np.ndarray
    singular_values: np.ndarray
    total_variance: float

    @property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of the genetic relationship matrix X X^T / m, as plink2 --pca reports."""
        return self.singular_values**2 / len(self.variant_index)

    @property
    def variance_explained(self) -> np.ndarray:
        return self.singular_values**2 / self.total_variance


def _orthonormal_basis(matrix: np.ndarray) -> np.ndarray:
    return np.linalg.qr(matrix.astype(np.float64))[0]


def fit_randomized_pca(
    genotypes: PlinkGenotypes,
    *,
    train_index: np.ndarray,
    variant_index: np.ndarray,
    a1_freq: np.ndarray,
    n_components: int,
    oversampling: int = 10,
    power_iterations: int = 4,
    seed: int = 0,
    threads: int = 1,
) -> GeneticEmbedding:
    """Top ``n_components`` principal axes of the standardized training genotypes.

    ``variant_index`` (increasing .bim rows) and ``a1_freq`` (their training frequencies, strictly
    between 0 and 1) define the variants used; ``train_index`` the .fam rows of training samples.
    """
    n_train, n_variants = len(train_index), len(variant_index)
    width = n_components + oversampling
    if n_components < 1 or width > min(n_train, n_variants):
        raise RiataError(
            f"embed: {n_components} components + {oversampling} oversampling need at least {width} training "
            f"samples and variants; have {n_train} samples and {n_variants} variants"
        )
    if not np.all((a1_freq > 0) & (a1_freq < 1)):
        raise ValueError("a1_freq must be strictly between 0 and 1 (monomorphic variants removed by QC)")
    sketch = np.random.default_rng(seed).standard_normal((n_variants, width)).astype(np.float32)

    def stream(block_function):
        def on_block(block, columns):
            return block_function(standardize(block, a1_freq[columns]), columns)

        return map_variant_blocks(
            genotypes, on_block, sample_index=train_index, variant_index=variant_index, threads=threads
        )

    def first_pass(x, columns):
        return x @ sketch[columns], float(np.square(x, dtype=np.float64).sum())

    parts = stream(first_pass)
    total_variance = sum(sum_of_squares for _, sum_of_squares in parts)
    basis = _orthonormal_basis(sum(product.astype(np.float64) for product, _ in parts))
    for _ in progress(range(power_iterations), total=power_iterations, description="PCA power iterations"):
        q = basis.astype(np.float32)
        basis = _orthonormal_basis(sum(stream(lambda x, _columns, q=q: (x @ (x.T @ q)).astype(np.float64))))
    q = basis.astype(np.float32)
    projected = np.concatenate(stream(lambda x, _columns: x.T @ q)).astype(np.float64)  # (variants, width)
    left, singular_values, _ = np.linalg.svd(projected, full_matrices=False)
    loadings = left[:, :n_components]
    largest = np.abs(loadings).argmax(axis=0)  # deterministic signs: largest loading positive
    loadings = loadings * np.sign(loadings[largest, np.arange(n_components)])
    log.info(
        "randomized PCA on %d training samples x %d variants: %d components explain %.2f%% of variance",
        n_train,
        n_variants,
        n_components,
        100 * (singular_values[:n_components] ** 2).sum() / total_variance,
    )
    return GeneticEmbedding(
        variant_index=np.asarray(variant_index),
        a1_freq=np.asarray(a1_freq),
        loadings=loadings,
        singular_values=singular_values[:n_components],
        total_variance=total_variance,
    )


def embed_samples(
    genotypes: PlinkGenotypes, embedding: GeneticEmbedding, *, sample_index: np.ndarray | None = None, threads: int = 1
) -> np.ndarray:
    """Component scores (samples x k) of the samples in ``sample_index`` (all .fam rows when None)."""
    loadings = embedding.loadings.astype(np.float32)

    def block_scores(block, columns):
        return (standardize(block, embedding.a1_freq[columns]) @ loadings[columns]).astype(np.float64)

    parts = map_variant_blocks(
        genotypes, block_scores, sample_index=sample_index, variant_index=embedding.variant_index, threads=threads
    )
    return sum(parts)
