"""Out-of-core genetic embedding, fitted on training samples and applied to every sample.

Genotypes are standardized per variant with the training frequency p of the counted allele,
``x = (g - 2p) / sqrt(2p(1-p))``; a missing call becomes 0 (mean imputation). X is the standardized
training matrix (n training samples x m variants), K = X X^T its relationship matrix. Variant blocks
are read from the packed .bed (:class:`riata.io.plink.BedBlocks`); the full matrix is never held in
memory. Two algorithms find a subspace U (n x L, L = k + oversampling rounded up to a multiple of 16)
holding the top-k principal components; both end with the same exact pass, so only the subspace is
approximate: at 3,000 x 500,000 it captures 0.99999 of the exact top-20 variance
(benchmarks/embedding.py).

**relationship** (``algorithm: auto`` up to ``relationship_max_samples`` training samples): one pass
accumulates K in integer arithmetic. A variant's centred-by-one dosages (g - 1: -1, 0, 1) times an
integer weight w_j in 16..127 are exact int8 values, and their products exact int32 sums
(``torch._int_mm``: VNNI/AVX2 int8 kernels, about 4x the float32 rate here). w_j is the scale
1/sqrt(2p(1-p)) rounded on a grid shared by the variants whose scales lie within a factor 8 of each
other (a weight class; one class when MAF >= 0.02), so K is approximated only through that rounding
(at most 3% per variant). The per-variant shift (1 instead of 2p) and mean imputation disappear in
C K C, C = I - 11^T/n, because the training columns of X have mean zero; missing calls count as
round(2p) here. Only the upper triangle is formed, in row panels. U = its top L eigenvectors. Cost:
n^2 m int8 operations (9e12 at 3,000 x 500,000: about 8 s on 2 cores) and n^2 x 4 bytes per thread.

**krylov** (more training samples): randomized block Krylov (Musco & Musco 2015; Halko, Martinsson &
Tropp 2011), memory independent of n. A sketch pass forms X Omega; pass i forms Y_i = X (X^T Q_{i-1})
and Q_i, an orthonormal basis of Y_i orthogonal to Q_0 .. Q_{i-1}. In the Krylov basis B = [Q_0 ..
Q_{q-1}], X X^T B = [Y_1 .. Y_q] is known, so Rayleigh-Ritz B^T X X^T B = Z S^2 Z^T needs no further
pass, and U = B Z. Genotype spectra are a few population-structure eigenvalues on a flat noise bulk,
where plain subspace iteration needs many passes; the Krylov space captures it in a few. q + 1 passes
and (4q + 2) n m l flops.

**The exact pass** (both): P = X^T U block by block (spilled to a temporary file), with P^T P = U^T K U
and the products X_all P for training and held-out samples. Rayleigh-Ritz on U^T K U = R Theta R^T
gives singular values sqrt(theta), loadings V = P R Theta^-1/2 and scores X_all V, so eigenvalues,
loadings and the scores of training and held-out samples are exact for K restricted to U, computed
alike for every sample, and memory does not grow with the number of variants.

**Projection shrinkage.** When variants far outnumber training samples, a new sample's projection onto
the training loadings is shrunk towards zero relative to the training samples' own scores, which the
fit bends towards them (Lee, Zou & Wright 2010; bigsnpr corrects it by OADP projection). A network
trained on training scores would then see smaller values on new samples. With the relationship algorithm
the shrinkage is measured on the training samples alone: folds of them are held out, each fold projected
onto the PCA of the others, all from K without another pass over the .bed
(:func:`projection_shrinkage`); held-out samples' scores are divided by the square root of the mean
held-out over in-sample variance ratio of each component.

Each dask task runs torch on one thread; dask supplies the parallelism (threads, or distributed
workers). Eigenvalues are reported as plink2 --pca does, for the relationship matrix K / m.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace

import dask
import numpy as np
import scipy.linalg
import torch

from riata.errors import RiataError
from riata.io.plink import MISSING_CODE, BedBlocks
from riata.progress import progress
from riata.settings import PCA_ALGORITHMS

log = logging.getLogger("riata")

WEIGHT_MAX = 127  # int8 (dosage - 1) x weight, in -127..127
WEIGHT_RANGE = 8  # scales within a factor 8 share one integer grid: weights in 16..127
RELATIONSHIP_BLOCK = 8192  # variants per int8 product
RELATIONSHIP_PANELS = 6  # row panels of the upper triangle (measured fastest at 3,000 samples)
VECTOR_WIDTH = 16  # float32 lanes of AVX-512: subspace widths are rounded up to a multiple
# Float blocks of at most 16 MiB: glibc serves them from its heap and reuses them; larger ones are
# fresh mmaps that page-fault on every block (3 s more per pass at 3,000 x 500,000 with 4096 variants).
FLOAT_BLOCK_BYTES = 1 << 24


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


@dataclass(frozen=True)
class GenotypeSelection:
    """What an embedding reads: the .bed, the .fam rows of training and held-out samples, and the .bim rows
    of the variants used (increasing) with their training frequencies of the counted allele."""

    source: BedBlocks
    train_rows: np.ndarray  # (training samples,)
    other_rows: np.ndarray  # (held-out samples,)
    variant_index: np.ndarray  # (variants,)
    a1_freq: np.ndarray  # (variants,), strictly in (0, 1)


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float32 matrix product through torch (oneDNN/MKL): faster than numpy's bundled OpenBLAS here."""
    return torch.matmul(torch.from_numpy(a), torch.from_numpy(np.ascontiguousarray(b))).numpy()


@dataclass(frozen=True)
class StandardizedBlock:
    """X = dosage * scale - shift for one block: dosage (samples x variants) with missing set to 2p."""

    dosage: np.ndarray
    scale: np.ndarray  # 1 / sqrt(2p(1-p)), (variants,)
    shift: np.ndarray  # 2p / sqrt(2p(1-p)), (variants,)

    @classmethod
    def read(cls, source: BedBlocks, block: Block, rows: np.ndarray | None) -> StandardizedBlock:
        """The block for .fam rows ``rows`` (``None``: every sample)."""
        codes, may_miss = source.read_codes(rows, block.variants)
        return cls.from_codes(codes, missing_calls(codes, may_miss), block.a1_freq)

    @classmethod
    def from_codes(cls, codes: np.ndarray, missing: np.ndarray | None, a1_freq: np.ndarray) -> StandardizedBlock:
        """From int8 dosages (samples x variants) as :meth:`BedBlocks.read_codes` returns them and
        their :func:`missing_calls`."""
        dosage = codes.astype(np.float32, order="F")
        p = a1_freq.astype(np.float32)
        if missing is not None:
            np.copyto(dosage, 2 * p[None, :], where=missing)
        scale = 1 / np.sqrt(2 * p * (1 - p))
        return cls(dosage, scale, 2 * p * scale)

    def t_times(self, q: np.ndarray) -> np.ndarray:
        """X^T q: (variants, l) from q (samples, l)."""
        product = _matmul(self.dosage.T, q.astype(np.float32, copy=False))
        return self.scale[:, None] * product - self.shift[:, None] * q.sum(axis=0)[None, :]

    def times(self, w: np.ndarray) -> np.ndarray:
        """X w: (samples, l) from w (variants, l)."""
        scaled = (self.scale[:, None] * w).astype(np.float32, copy=False)
        return _matmul(self.dosage, scaled) - (self.shift @ w)[None, :]


def missing_calls(codes: np.ndarray, may_miss: np.ndarray) -> np.ndarray | None:
    """Where ``codes`` (int8 dosages) are missing, or None when no variant in the block may be."""
    return codes == MISSING_CODE if len(may_miss) else None


def sum_of_squares(codes: np.ndarray, missing: np.ndarray | None, a1_freq: np.ndarray, chosen: np.ndarray) -> float:
    """Squared norm of the standardized genotypes of the samples ``chosen`` (int8 0/1 per sample).

    ``codes``: int8 dosages (samples x variants) and their :func:`missing_calls`. Sums of d, d^2 and
    missing calls over chosen samples are exact int8 products; a missing call (-1) adds -1 and 1.
    """
    chosen_columns = torch.from_numpy(np.repeat(chosen.astype(np.int8)[:, None], 8, axis=1))  # 8 for the kernel

    def chosen_sums(values: np.ndarray) -> np.ndarray:  # (variants,) sums over chosen samples
        return torch._int_mm(torch.from_numpy(values.T), chosen_columns)[:, 0].numpy().astype(np.float64)

    dosage_sum, square_sum = chosen_sums(codes), chosen_sums(codes * codes)
    observed = np.full(codes.shape[1], float(chosen.sum()))
    if missing is not None:
        missed = chosen_sums(missing.view(np.int8))
        dosage_sum += missed
        square_sum -= missed
        observed -= missed
    p2 = 2 * a1_freq.astype(np.float64)  # missing calls are imputed as 2p: they add nothing
    return float(((square_sum - 2 * p2 * dosage_sum + observed * p2**2) / (p2 * (1 - p2 / 2))).sum())


def integer_weights(a1_freq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per variant: an int8 weight (16..127) and the unit it counts in, weight x unit ~ 1/sqrt(2p(1-p)).

    Variants whose scales lie within a factor ``WEIGHT_RANGE`` of each other share a unit (a weight
    class), so each weight keeps at least 4 significant bits. Returns (weights, units), both (variants,).
    """
    scale = 1 / np.sqrt(2 * a1_freq * (1 - a1_freq))
    weight_class = np.floor(np.log(scale / scale.min()) / np.log(WEIGHT_RANGE) + 1e-12)
    units = scale.min() * float(WEIGHT_RANGE) ** (weight_class + 1) / WEIGHT_MAX
    weights = np.clip(np.rint(scale / units), 1, WEIGHT_MAX).astype(np.int8)
    return weights, units


def _relationship_part(source, blocks, train, weights, units):
    """Upper row panels of sum_b (W_b (G_b - 1))(W_b (G_b - 1))^T unit_b^2 over ``blocks`` (training
    samples, float32).

    G_b: int8 dosages with missing calls set to round(2p); W_b: integer weights. Subtracting 1 (a
    per-variant shift, removed by the centring later) makes W (G - 1) fit int8 for weights up to 127.
    The variants of a weight class form one int8 product per row panel.
    """
    torch.set_num_threads(1)
    n = source.n_samples if train is None else len(train)
    edges = np.linspace(0, n, RELATIONSHIP_PANELS + 1).astype(int)
    total = torch.zeros((n, n), dtype=torch.float32)
    for block in blocks:
        position = slice(block.offset, block.offset + len(block.variants))
        block_units = units[position]
        order = np.argsort(block_units, kind="stable")  # weight classes contiguous
        codes, may_miss = source.read_codes(train, block.variants[order])
        codes = codes.T  # (variants, samples), C order
        missing = missing_calls(codes, may_miss)
        if missing is not None:
            np.copyto(codes, np.rint(2 * block.a1_freq[order]).astype(np.int8)[:, None], where=missing)
        np.subtract(codes, 1, out=codes)
        np.multiply(codes, weights[position][order][:, None], out=codes)
        weighted = torch.from_numpy(codes)
        unit_values, starts = np.unique(block_units[order], return_index=True)
        for unit, start, stop in zip(unit_values, starts, [*starts[1:], len(order)], strict=True):
            part = weighted[start:stop]
            for top, bottom in itertools.pairwise(edges):
                total[top:bottom, top:].add_(torch._int_mm(part[:, top:bottom].T, part[:, top:]), alpha=unit**2)
    return total.numpy(), edges


def projection_shrinkage(relationship: np.ndarray, n_components: int, folds: int, seed: int) -> np.ndarray:
    """How much a new sample's score on each of the top ``n_components`` components shrinks: the square root
    of the variance of held-out scores over that of in-sample scores, mean over ``folds`` folds of the
    training samples, from their centred relationship matrix (n x n). (n_components,)

    Fold F is held out: the PCA of the rest R is the eigendecomposition of C_R K_RR C_R (C_R centres on
    R's mean), its in-sample scores have variance theta / |R|, and F's scores are (K_FR - 1 r') C_R U
    theta^-1/2, r' the column means of K_RR (module doc). No genotype is read again.
    """
    from scipy.sparse.linalg import eigsh

    fold_of = np.random.default_rng(seed).permutation(len(relationship)) % folds
    ratios = []
    for fold in range(folds):
        rest, held = np.flatnonzero(fold_of != fold), np.flatnonzero(fold_of == fold)
        inner = relationship[np.ix_(rest, rest)]
        column_means = inner.mean(axis=0)
        inner -= column_means[None, :]
        inner -= inner.mean(axis=1)[:, None]
        theta, vectors = eigsh(inner, k=n_components, which="LA", v0=np.ones(len(rest), dtype=inner.dtype))
        order = np.argsort(theta)[::-1]
        theta, vectors = theta[order], vectors[:, order]
        del inner
        cross = relationship[np.ix_(held, rest)] - column_means[None, :]
        cross -= cross.mean(axis=1)[:, None]
        held_scores = (cross @ vectors) / np.sqrt(theta)
        ratios.append((held_scores**2).mean(axis=0) / (theta / len(rest)))
    return np.sqrt(np.mean(ratios, axis=0))


def _relationship_matrix(source, variant_index, train, a1_freq, threads, scheduler) -> np.ndarray:
    """The centred integer-weighted K of the training samples (n x n float32, in .fam order). Blocks of
    ``RELATIONSHIP_BLOCK`` variants keep the int8 products efficient."""
    weights, units = integer_weights(a1_freq)
    blocks = blocks_of(variant_index, a1_freq, RELATIONSHIP_BLOCK)
    in_file_order = np.sort(train)  # a sorted gather reads faster; every sample: no gather
    rows = None if np.array_equal(in_file_order, np.arange(source.n_samples)) else in_file_order
    # One task (one n x n buffer) per thread, each over every threads-th block.
    tasks = [dask.delayed(_relationship_part)(source, blocks[i::threads], rows, weights, units) for i in range(threads)
             if blocks[i::threads]]  # fmt: skip
    parts = _compute(tasks, threads, scheduler)
    relationship, edges = parts[0]
    for part, _ in parts[1:]:
        relationship += part
    del parts
    for top, bottom in itertools.pairwise(edges):  # mirror the panels' upper triangle, in place
        relationship[bottom:, top:bottom] = relationship[top:bottom, bottom:].T
    relationship -= relationship.mean(axis=0)[None, :]
    relationship -= relationship.mean(axis=1)[:, None]
    log.info("integer-weighted relationship matrix of %d training samples x %d variants (%d weight classes)",
             len(train), len(a1_freq), len(np.unique(units)))  # fmt: skip
    return relationship


def _top_eigenvectors(relationship: np.ndarray, width: int, train: np.ndarray) -> np.ndarray:
    """The top ``width`` eigenvectors of the relationship matrix (in .fam order), as training samples in
    ``train`` order x width; the matrix is overwritten."""
    n = len(relationship)
    _, vectors = scipy.linalg.eigh(relationship, subset_by_index=[n - width, n - 1], driver="evr", overwrite_a=True)
    return vectors[np.searchsorted(np.sort(train), train), ::-1]


def _sketch(source, block, train, width, seed):
    x = StandardizedBlock.read(source, block, train)
    omega = np.random.default_rng([seed, block.index]).standard_normal((len(block.variants), width), dtype=np.float32)
    return (x.times(omega).astype(np.float64),)


def _power(source, block, train, q):
    x = StandardizedBlock.read(source, block, train)
    return (x.times(x.t_times(q)).astype(np.float64),)


def _krylov_basis(source, blocks, train, width, power_iterations, seed, threads, scheduler) -> np.ndarray:
    """Ritz vectors (training samples x width) of randomized block Krylov with ``power_iterations`` passes."""
    (sketch,) = sum_over_blocks(_sketch, source, blocks, (train, width, seed), threads, scheduler)
    krylov = [_orthonormal(sketch)]
    powers = []  # Y_i = X X^T Q_{i-1}
    for _ in progress(range(power_iterations), total=power_iterations, description="PCA Krylov iterations"):
        q = krylov[-1].astype(np.float32)
        powers.append(sum_over_blocks(_power, source, blocks, (train, q), threads, scheduler)[0])
        krylov.append(_orthogonal_complement(powers[-1], np.hstack(krylov)))
    # Rayleigh-Ritz in the orthonormal Krylov basis B = [Q_0 .. Q_{q-1}], whose products X X^T B =
    # [Y_1 .. Y_q] are already known.
    basis = np.hstack(krylov[:-1])
    gram = basis.T @ np.hstack(powers)
    eigenvalues, rotation = np.linalg.eigh((gram + gram.T) / 2)
    log.info("randomized block Krylov: %d iterations, Krylov dimension %d", power_iterations, basis.shape[1])
    return basis @ rotation[:, np.argsort(eigenvalues)[::-1][:width]]


def _project(source, block, basis, training, spill_path):
    """One block's share of the exact pass, over every .fam sample: spills P_b = X_train,b^T U; returns
    X_b P_b, P_b^T P_b and the training rows' ||X_b||^2. ``basis``: U in .fam order, zero outside the
    training samples (so P_b holds training genotypes only); ``training``: bool per .fam sample."""
    codes, may_miss = source.read_codes(None, block.variants)
    missing = missing_calls(codes, may_miss)
    x = StandardizedBlock.from_codes(codes, missing, block.a1_freq)
    projection = x.t_times(basis)  # (block variants, L)
    with open(spill_path, "r+b") as handle:
        os.pwrite(handle.fileno(), np.ascontiguousarray(projection, dtype=np.float32).tobytes(),
                  block.offset * basis.shape[1] * 4)  # fmt: skip
    squares = sum_of_squares(codes, missing, block.a1_freq, training)
    return x.times(projection).astype(np.float64), projection.T @ projection, squares


@dataclass(frozen=True)
class Embedding:
    """Result of :func:`fit_pca`: scores of the training and held-out samples and the spectrum."""

    train_scores: np.ndarray  # (training samples, k)
    other_scores: np.ndarray  # (held-out samples, k)
    singular_values: np.ndarray  # (k,)
    total_variance: float  # squared Frobenius norm of the standardized training matrix
    n_variants: int
    shrinkage: np.ndarray | None = None  # (k,): held-out scores were divided by it (ones: not corrected)

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


def _summed(per_block: Callable, source: BedBlocks, blocks: list[Block], *arguments) -> tuple:
    """One dask task: the sum over ``blocks`` of ``per_block(source, block, *arguments)`` (a tuple of
    arrays or numbers), with torch on one thread, since dask runs tasks side by side."""
    torch.set_num_threads(1)
    total = None
    for block in blocks:
        part = per_block(source, block, *arguments)
        total = part if total is None else tuple(a + b for a, b in zip(total, part, strict=True))
    return total


def sum_over_blocks(per_block, source, blocks, arguments, threads, scheduler, tasks_per_thread=4) -> tuple:
    """Sum of ``per_block`` over all blocks, computed as ``tasks_per_thread x threads`` dask tasks of
    consecutive blocks, on threads by default or on a dask.distributed ``Client``. Each task returns
    one sum, so memory does not grow with the number of blocks (variants)."""
    groups = [blocks[g[0] : g[-1] + 1] for g in np.array_split(np.arange(len(blocks)), tasks_per_thread * threads)
              if len(g)]  # fmt: skip
    parts = _compute([dask.delayed(_summed)(per_block, source, group, *arguments) for group in groups], threads,
                     scheduler)  # fmt: skip
    return tuple(sum(values) for values in zip(*parts, strict=True))


def _compute(tasks: list, threads: int, scheduler: object | None) -> tuple:
    """Compute dask tasks: on threads by default, or on a dask.distributed ``Client``."""
    if scheduler is None:
        return dask.compute(*tasks, scheduler="threads", num_workers=threads)
    return dask.compute(*tasks, scheduler=scheduler)


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


def choose_algorithm(algorithm: str, n_train: int, relationship_max_samples: int) -> str:
    """``auto``: the relationship matrix up to ``relationship_max_samples`` training samples, else Krylov."""
    if algorithm not in PCA_ALGORITHMS:
        raise RiataError(f"embed: algorithm must be one of {', '.join(PCA_ALGORITHMS)}, not {algorithm!r}")
    if algorithm == "auto":
        return "relationship" if n_train <= relationship_max_samples else "krylov"
    return algorithm


def _restores_torch_threads(function: Callable) -> Callable:
    """Decorator: torch's thread count as it was before ``function``, whose dask tasks set it to one."""

    @functools.wraps(function)
    def wrapped(*arguments, **options):
        threads = torch.get_num_threads()
        try:
            return function(*arguments, **options)
        finally:
            torch.set_num_threads(threads)

    return wrapped


@_restores_torch_threads
def check_embedding_size(n_components: int, n_train: int, n_variants: int) -> None:
    """Refuse an embedding wider than the training genotype matrix (``n_train`` x ``n_variants``) can hold."""
    if n_components > min(n_train, n_variants):
        raise RiataError(f"embed: {n_components} components need at least {n_components} training samples and "
                         f"variants; have {n_train} samples and {n_variants} variants")  # fmt: skip


def fit_pca(
    genotypes: GenotypeSelection,
    *,
    n_components: int,
    write_loadings: Callable[[int, np.ndarray], None],
    algorithm: str = "auto",
    relationship_max_samples: int = 6000,
    oversampling: int = 10,
    power_iterations: int = 7,
    seed: int = 0,
    block_variants: int = 4096,
    threads: int = 1,
    scheduler: object | None = None,
    spill_dir: str | None = None,
    shrinkage_folds: int = 0,
) -> Embedding:
    """Top ``n_components`` principal components of the standardized training genotypes.

    The subspace comes from the relationship or the Krylov algorithm (``algorithm``, see the module
    doc), then one exact pass gives the spectrum, scores and loadings. ``write_loadings(first,
    loadings)`` receives the loadings (variants x k) of consecutive chunks of the selected variants,
    ``first`` being the position of the chunk's first variant. Blocks (of at most ``block_variants``
    variants and ``FLOAT_BLOCK_BYTES`` of float32 dosages) run as dask tasks on ``threads`` threads, or
    on ``scheduler`` (a dask.distributed ``Client``); the exact pass spills X^T U to a temporary file in
    ``spill_dir``, which distributed workers must share. With ``shrinkage_folds`` and the relationship
    algorithm, held-out samples' scores are divided by :func:`projection_shrinkage`'s factors, so that
    they have the training scores' scale.
    """
    n_train, n_variants = len(genotypes.train_rows), len(genotypes.variant_index)
    room = min(n_train, n_variants)  # no subspace can be wider than the training matrix's rank
    check_embedding_size(n_components, n_train, n_variants)
    if power_iterations < 1:
        raise RiataError(f"embed: power_iterations must be at least 1, got {power_iterations}")
    width = min(-(-(n_components + oversampling) // VECTOR_WIDTH) * VECTOR_WIDTH, room)
    algorithm = choose_algorithm(algorithm, n_train, relationship_max_samples)
    block_variants = max(64, min(block_variants, FLOAT_BLOCK_BYTES // (4 * genotypes.source.n_samples)))
    blocks = blocks_of(np.asarray(genotypes.variant_index), np.asarray(genotypes.a1_freq), block_variants)
    if scheduler is not None:  # as many task groups as the cluster has threads
        threads = max(threads, sum(scheduler.nthreads().values()))
    shrinkage = np.ones(n_components)
    if algorithm == "relationship":
        relationship = _relationship_matrix(genotypes.source, np.asarray(genotypes.variant_index),
                                            np.asarray(genotypes.train_rows), np.asarray(genotypes.a1_freq), threads,
                                            scheduler)  # fmt: skip
        if shrinkage_folds:
            shrinkage = projection_shrinkage(relationship, n_components, shrinkage_folds, seed)
        basis = _top_eigenvectors(relationship, width, np.asarray(genotypes.train_rows))
        del relationship
    else:
        iterations = min(power_iterations, max(room // width, 1))  # the Krylov space fits in the matrix's rank
        basis = _krylov_basis(genotypes.source, blocks, np.asarray(genotypes.train_rows), width, iterations, seed,
                              threads, scheduler)  # fmt: skip
    embedding = _exact_pass(genotypes, blocks, basis, n_components, write_loadings, threads, scheduler, spill_dir)
    embedding = replace(embedding, other_scores=embedding.other_scores / shrinkage, shrinkage=shrinkage)
    log.info("%s PCA on %d training samples x %d variants: %d components explain %.2f%%", algorithm, n_train,
             n_variants, n_components, 100 * embedding.variance_explained.sum())  # fmt: skip
    return embedding


def _exact_pass(genotypes: GenotypeSelection, blocks: list[Block], basis: np.ndarray, n_components: int,
                write_loadings, threads: int, scheduler, spill_dir: str | None) -> Embedding:  # fmt: skip
    """Rayleigh-Ritz on the exact standardized genotypes within the subspace ``basis`` (training samples x
    L): spectrum, every sample's scores, and the loadings streamed to ``write_loadings`` (module doc)."""
    source, n_variants, width = genotypes.source, len(genotypes.variant_index), basis.shape[1]
    train_rows, other_rows = np.asarray(genotypes.train_rows), np.asarray(genotypes.other_rows)
    handle, spill_path = tempfile.mkstemp(prefix=".riata-pca-", suffix=".f32", dir=spill_dir)
    try:
        os.ftruncate(handle, n_variants * width * 4)
        os.close(handle)
        training = np.zeros(source.n_samples, dtype=np.int8)
        training[train_rows] = 1
        basis_by_sample = np.zeros((source.n_samples, width), dtype=np.float32)
        basis_by_sample[train_rows] = basis
        # products X X_train^T U (.fam samples x L), gram U^T K U, total_variance ||X_train||^2
        products, gram, total_variance = sum_over_blocks(_project, source, blocks, (basis_by_sample, training,
                                                         spill_path), threads, scheduler)  # fmt: skip
        eigenvalues, rotation = np.linalg.eigh((gram + gram.T) / 2)
        order = np.argsort(eigenvalues)[::-1][:n_components]
        singular_values = np.sqrt(np.maximum(eigenvalues[order], 0))
        rotation = rotation[:, order] / singular_values  # V = P R Theta^-1/2
        rotation = rotation * _deterministic_signs(spill_path, n_variants, rotation)
        scores = products[np.concatenate([train_rows, other_rows])] @ rotation
        _stream_loadings(spill_path, n_variants, rotation, write_loadings)
    finally:
        os.unlink(spill_path)
    n_train = len(train_rows)
    return Embedding(scores[:n_train], scores[n_train:], singular_values, total_variance, n_variants)


def _loading_chunks(spill_path: str, n_variants: int, rotation: np.ndarray, chunk: int):
    """(first variant, loadings (variants x k)) of consecutive chunks: the spilled X^T U times ``rotation``."""
    width = rotation.shape[0]
    with open(spill_path, "rb") as handle:
        for first in range(0, n_variants, chunk):
            rows = min(chunk, n_variants - first)
            data = os.pread(handle.fileno(), rows * width * 4, first * width * 4)
            yield first, np.frombuffer(data, dtype=np.float32).reshape(rows, width) @ rotation


def _deterministic_signs(spill_path: str, n_variants: int, rotation: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """+1 or -1 per component so that its largest loading (in magnitude) is positive."""
    k = rotation.shape[1]
    largest = np.zeros(k)
    for _, loadings in _loading_chunks(spill_path, n_variants, rotation, chunk):
        candidate = loadings[np.abs(loadings).argmax(axis=0), np.arange(k)]
        bigger = np.abs(candidate) > np.abs(largest)
        largest[bigger] = candidate[bigger]
    return np.where(largest < 0, -1.0, 1.0)


def _stream_loadings(spill_path, n_variants, rotation, write_loadings, chunk: int = 65536) -> None:
    for first, loadings in _loading_chunks(spill_path, n_variants, rotation, chunk):
        write_loadings(first, loadings.astype(np.float32))
