"""Genome-wide association on training samples: every SNP tested against the outcome, adjusted for covariates.

Each SNP j is tested in the regression of the outcome on [1, covariates, g_j] over the samples whose call
of SNP j is not missing (plink2 --glm's sample set), so every SNP has its own n.

**Continuous outcome: linear regression**, exactly as plink2 --glm: beta, its standard error, the t
statistic and its p-value on n - r - 1 degrees of freedom (r: the rank of [1, covariates]).

**Survival outcome: linear regression of martingale residuals.** A Cox model of the outcome on the
covariates alone is fitted (Breslow), and each sample's martingale residual M_i = event_i - H0(t_i)
exp(eta_i) is tested as a continuous outcome. g'M is exactly the Cox score for the SNP at zero effect
(the sum over events of the SNP's difference from its risk-set mean); the linear test's variance treats
the residuals' variance as constant, an approximation that holds for small effects (as in SPACox's
normal approximation). beta is then the slope of the residual on dosage, not a log hazard ratio.

**Binary outcome: a score test.** The null model (logistic regression of the outcome on [1, covariates])
is fitted once; a SNP's score is U = g'(y - mu) and its efficient information V = g'Wg - (C'Wg)'(C'WC)^-1
(C'Wg), W = mu(1 - mu). Reported: statistic z = U / sqrt(V) with a two-sided normal p-value, beta = U / V
(one Newton step from zero: the per-allele log odds ratio to first order) and SE = 1 / sqrt(V). Score and
Wald tests agree for the small effects of single SNPs; tests measure how closely they follow plink2's
Wald test. The score test needs no iteration per SNP, so a block of SNPs costs a few matrix products.

Both are one computation. With sample weights w (1 for linear, mu(1 - mu) for logistic), s = sqrt(w),
working response t (y for linear, (y - mu) / w for logistic) and B an orthonormal basis of s * [1, C],
each SNP needs x = s * g (missing calls 0), b = B'x, x'x, x't; a SNP with missing calls M corrects B'B =
I by A = I - B_M'B_M (and B't, t't by the rows of M) and solves with A. Then g'Pg = x'x - b'A^-1 b and
g'Pt = x't - b'A^-1 B't, P projecting out the covariates on the called samples.

Genotypes are streamed from the .bed in blocks (:class:`riata.io.plink.BedBlocks`), as dask tasks, and
each block's rows are handed on in order, so memory does not grow with the number of SNPs. Several sample
sets (all training samples, and each cross-fitting fold's complement) are tested in the same pass.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import dask
import numpy as np
import pandas as pd
from scipy import special
from threadpoolctl import threadpool_limits

from riata.errors import RiataError
from riata.io.plink import MISSING_CODE, BedBlocks
from riata.progress import progress

log = logging.getLogger("riata")

RESULT_COLUMNS = ["n", "beta", "se", "statistic", "p"]
RANK_TOLERANCE = 1e-9  # covariate directions with a smaller singular value (relative) are dropped


@dataclass(frozen=True)
class NullModel:
    """One sample set's fit without the SNP: rows (positions among the streamed training samples) and
    the weighted quantities every SNP's test reuses (see the module doc)."""

    kind: str  # linear or logistic
    rows: np.ndarray  # (samples,)
    sqrt_weight: np.ndarray  # (samples,) s
    response: np.ndarray  # (samples,) t, the working response
    basis: np.ndarray  # (samples, r) B, orthonormal
    basis_response: np.ndarray  # (r,) B't
    response_squares: float  # t't

    @property
    def projector(self) -> np.ndarray:
        """[s * B, s * t] (samples x (r + 1)): its transpose times dosages g gives B'x and x't, x = s * g."""
        return np.column_stack([self.basis, self.response]) * self.sqrt_weight[:, None]

    @property
    def rank(self) -> int:
        return self.basis.shape[1]


def _orthonormal_columns(matrix: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the column space of ``matrix`` (samples x columns), rank-revealing."""
    left, singular, _ = np.linalg.svd(matrix, full_matrices=False)
    return left[:, singular > RANK_TOLERANCE * singular[0]]


def _logistic_null(design: np.ndarray, y: np.ndarray, iterations: int = 50) -> np.ndarray:
    """Fitted probabilities of the logistic regression of 0/1 ``y`` on ``design`` (Newton's method)."""
    coefficients = np.zeros(design.shape[1])
    for _ in range(iterations):
        mu = 1 / (1 + np.exp(-(design @ coefficients)))
        weights = np.maximum(mu * (1 - mu), 1e-12)
        step = np.linalg.lstsq(design.T @ (design * weights[:, None]), design.T @ (y - mu), rcond=None)[0]
        coefficients += step
        if np.abs(step).max() < 1e-10:
            break
    return 1 / (1 + np.exp(-(design @ coefficients)))


def null_model(kind: str, y: np.ndarray, covariates: np.ndarray, rows: np.ndarray) -> NullModel:
    """The null model of the samples ``rows``: ``y`` (samples,) and ``covariates`` (samples x c) are theirs."""
    design = np.column_stack([np.ones(len(y)), covariates]).astype(np.float64)
    if kind == "linear":
        sqrt_weight, response = np.ones(len(y)), y.astype(np.float64)
    elif kind == "logistic":
        if not 0 < y.sum() < len(y):
            raise RiataError("gwas: the training samples need cases and controls")
        mu = _logistic_null(design, y.astype(np.float64))
        weight = mu * (1 - mu)
        sqrt_weight, response = np.sqrt(weight), (y - mu) / weight
    else:
        raise ValueError(f"unknown association test {kind!r}")
    basis = _orthonormal_columns(design * sqrt_weight[:, None])
    working = sqrt_weight * response
    return NullModel(kind, np.asarray(rows), sqrt_weight, working, basis, basis.T @ working, float(working @ working))


def test_block(model: NullModel, projector: np.ndarray, dosage: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Test every SNP of a block: ``dosage`` (samples x SNPs, float64, missing calls 0) and ``missing``
    (bool, same shape) over the model's samples, ``projector`` the model's :attr:`NullModel.projector`.
    Returns (SNPs, 5): n, beta, se, statistic, p. A missing call adds nothing to any sum over samples, so
    x'x, x't and B'x are those of the called samples; only A, B't and t't are corrected (module doc)."""
    sums = projector.T @ dosage
    projections, cross = sums[:-1], sums[-1]  # b (r, SNPs) and x't (SNPs,)
    squares = model.sqrt_weight**2 @ np.square(dosage)
    n = np.full(dosage.shape[1], float(len(model.rows)))
    g_p_g = squares - np.einsum("ij,ij->j", projections, projections)
    g_p_t = cross - projections.T @ model.basis_response
    t_p_t = np.full(dosage.shape[1], model.response_squares - model.basis_response @ model.basis_response)
    with_missing = np.flatnonzero(missing.any(axis=0))
    if len(with_missing):
        corrected = _missing_corrected(model, squares[with_missing], cross[with_missing],
                                       projections[:, with_missing], missing[:, with_missing])  # fmt: skip
        n[with_missing], g_p_g[with_missing], g_p_t[with_missing], t_p_t[with_missing] = corrected
    return _statistics(model, n, g_p_g, g_p_t, t_p_t)


def _missing_corrected(model: NullModel, squares, cross, projections, missing) -> tuple[np.ndarray, ...]:
    """n, g'Pg, g'Pt and t'Pt of SNPs with missing calls, over their called samples (module doc).

    The missing calls' outer products are summed per SNP by sorting them by SNP (np.add.reduceat)."""
    snps, samples = np.nonzero(missing.T)  # grouped by SNP; every SNP here has a missing call
    rank = model.rank
    starts = np.flatnonzero(np.r_[True, np.diff(snps) != 0])
    rows = model.basis[samples]
    outer = np.add.reduceat(rows[:, :, None] * rows[:, None, :], starts, axis=0)  # (SNPs, r, r)
    gram = np.eye(rank)[None] - outer
    response = model.response[samples]
    basis_response = model.basis_response[None, :] - np.add.reduceat(rows * response[:, None], starts, axis=0)
    response_squares = model.response_squares - np.add.reduceat(response**2, starts)
    solved = np.linalg.solve(gram, np.stack([projections.T, basis_response], axis=2))  # (SNPs, r, 2)
    n = len(model.rows) - np.diff(np.r_[starts, len(snps)])
    g_p_g = squares - np.einsum("ji,ji->j", projections.T, solved[:, :, 0])
    g_p_t = cross - np.einsum("ji,ji->j", projections.T, solved[:, :, 1])
    t_p_t = response_squares - np.einsum("ji,ji->j", basis_response, solved[:, :, 1])
    return n, g_p_g, g_p_t, t_p_t


def _statistics(model: NullModel, n, g_p_g, g_p_t, t_p_t) -> np.ndarray:
    """n, beta, se, statistic and p of each SNP from its projected sums (NaN where the SNP is constant)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        informative = g_p_g > 1e-8 * np.maximum(n, 1)
        beta = np.where(informative, g_p_t / g_p_g, np.nan)
        if model.kind == "linear":
            dof = n - model.rank - 1
            sigma2 = (t_p_t - beta * g_p_t) / dof
            se = np.sqrt(sigma2 / g_p_g)
            statistic = beta / se
            p = 2 * special.stdtr(dof, -np.abs(statistic))
        else:
            se = 1 / np.sqrt(g_p_g)
            statistic = g_p_t * se
            p = 2 * special.ndtr(-np.abs(statistic))
    result = np.column_stack([n, beta, se, statistic, p])
    result[~informative, 1:] = np.nan
    return result


def _block_results(source: BedBlocks, train_rows: np.ndarray, variants: np.ndarray,
                   models: list[tuple[NullModel, np.ndarray]]) -> list[np.ndarray]:  # fmt: skip
    """Every model's test results for one block of .bed rows ``variants`` (``models``: each with its projector)."""
    codes, may_miss = source.read_codes(train_rows, variants)
    missing = codes == MISSING_CODE if len(may_miss) else np.zeros(codes.shape, dtype=bool)
    dosage = codes.astype(np.float64)
    np.maximum(dosage, 0, out=dosage)  # a missing call (code -1) counts 0
    return [test_block(model, projector, *_rows(model, dosage, missing)) for model, projector in models]


def _rows(model: NullModel, dosage: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The block's rows of the model's samples (the block itself when the model has every sample)."""
    if len(model.rows) == len(dosage):
        return dosage, missing
    return dosage[model.rows], missing[model.rows]


def associations(
    source: BedBlocks,
    train_rows: np.ndarray,
    variant_index: np.ndarray,
    models: list[NullModel],
    *,
    block_variants: int = 2048,
    threads: int = 1,
) -> Iterator[tuple[int, list[np.ndarray]]]:
    """Stream the tests of every SNP ``variant_index`` (.bed rows, increasing) for every null model.

    ``train_rows`` are the .fam rows of the training samples, in the order of the models' samples
    (each model's ``rows`` index into them). Yields (position of the block's first SNP among
    ``variant_index``, one (SNPs x 5) array per model) in order; ``threads`` blocks run at once.
    """
    train_rows = np.asarray(train_rows)
    with_projectors = [(model, model.projector) for model in models]
    starts = list(range(0, len(variant_index), block_variants))
    groups = [starts[i : i + 2 * threads] for i in range(0, len(starts), 2 * threads)]
    for group in progress(groups, total=len(groups), description="association tests"):
        tasks = [dask.delayed(_block_results)(source, train_rows, variant_index[start : start + block_variants],
                                              with_projectors) for start in group]  # fmt: skip
        with threadpool_limits(limits=1):  # dask runs the blocks side by side: one BLAS thread each
            results = dask.compute(*tasks, scheduler="threads", num_workers=threads)
        yield from zip(group, results, strict=True)


def working_outcome(outcome_type: str, target: np.ndarray, covariates: np.ndarray) -> np.ndarray:
    """What a sample set's tests regress: the outcome, or for survival (target: samples x [time, event]) the
    martingale residuals of a Cox model on the covariates (samples x c) fitted on that set (module doc)."""
    if outcome_type != "survival":
        return target
    from riata.survival import martingale_residuals

    return martingale_residuals(target, covariates)


def cross_fitting_folds(outcome: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """A fold 0..n_folds-1 for each training sample, stratified on the (binary or binned) outcome."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if n_folds < 2:
        raise RiataError("gwas: cross-fitting needs at least 2 folds")
    classes = np.unique(outcome)
    folds = np.empty(len(outcome), dtype=int)
    if len(classes) <= 2:
        splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(outcome, outcome)
    else:
        splitter = KFold(n_folds, shuffle=True, random_state=seed).split(outcome)
    for fold, (_, held_out) in enumerate(splitter):
        folds[held_out] = fold
    return folds


def result_frame(results: np.ndarray, prefix: str = "") -> pd.DataFrame:
    """Test results (SNPs x 5) as columns n, beta, se, statistic, p (with ``prefix``)."""
    return pd.DataFrame(results, columns=[f"{prefix}{name}" for name in RESULT_COLUMNS])


def test_kind(outcome_type: str) -> str:
    """The association test of an outcome type: linear (continuous; survival, on martingale residuals) or
    logistic (binary)."""
    kinds = {"continuous": "linear", "binary": "logistic", "survival": "linear"}
    if outcome_type not in kinds:
        raise RiataError(f"gwas: a {outcome_type} outcome has no association test; use a binary, continuous or "
                         "survival one")  # fmt: skip
    return kinds[outcome_type]


def covariate_columns(columns: pd.DataFrame, principal_components: int, variables: tuple[str, ...]) -> list[str]:
    """The design columns adjusting every test: the top ``principal_components`` genetic components and
    every column of the clinical ``variables`` (``columns``: the features' column metadata)."""
    components = columns.loc[columns["source"] == "genetic", "column"].tolist()
    if principal_components > len(components):
        raise RiataError(f"gwas: principal_components is {principal_components} but the embedding has "
                         f"{len(components)} components")  # fmt: skip
    clinical = columns[columns["source"] == "clinical"]
    unknown = sorted(set(variables) - set(clinical["variable"]))
    if unknown:
        raise RiataError(f"gwas: covariate {unknown[0]!r} is not a clinical variable of the analysis "
                         f"({', '.join(clinical['variable'].unique()[:12])})")  # fmt: skip
    return components[:principal_components] + clinical.loc[clinical["variable"].isin(variables), "column"].tolist()
