"""A polygenic score from the training GWAS: clumping and thresholding (C+T) or a lasso, cross-fitted.

Two families of candidate scores, each a sum_j w_j (g_j - 2 p_j) over SNPs j (p_j the training frequency of
the counted allele, a missing call adds 0):

* **C+T**: candidates are the SNPs with p at most the largest cut-off. Chromosome by chromosome, their
  genotypes are read once for every sample; the training samples' genotypes clump them
  (:func:`riata.genetics.ld.clump`) for each GWAS. Cut-off c keeps the index SNPs with p <= c, weighted by
  their GWAS betas.
* **lasso**: an L1-penalised regression (logistic, or linear for a continuous outcome) of the outcome on
  the ``lasso_snps`` SNPs most associated in the GWAS, standardized, beside the principal components
  (scaled so that their penalty is negligible), over a grid of penalties; joint effects, fewer SNPs
  double-counted through LD than C+T, shrunk rather than thresholded.

The candidate (cut-off or penalty) whose full-GWAS score best predicts the validation samples' outcome
(AUROC, or the squared correlation for a continuous outcome) is kept. Validation and test samples get the
full training model's score. A model scores its own training samples too well (its SNPs and weights fit
their outcomes), so each training sample gets the score of the model built, in the same way, from the
training samples outside its fold (the fold's GWAS, screen, clumping and lasso: cross-fitting); without
folds it gets the full score. Each score is standardized by the mean and SD of its weights' score over all
training samples.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riata.errors import RiataError
from riata.genetics.ld import clump
from riata.io.plink import MISSING_CODE, BedBlocks
from riata.progress import progress

log = logging.getLogger("riata")
PC_SCALE = 100.0  # principal components enter the lasso this many times larger: their L1 penalty vanishes
METRIC_NAMES = {"binary": "AUROC", "survival": "concordance", "continuous": "r2"}  # prediction_metric's, by outcome


@dataclass(frozen=True)
class ScoreInputs:
    """What a score is built from. ``gwas`` has one row per QC-passing SNP (``variant_index``, its .bed
    rows): chrom, pos, a1_freq and one (beta, p) column pair per GWAS, the full training GWAS first.
    ``sample_rows`` are the .fam rows of every analysed sample, ``training`` marks the training ones."""

    source: BedBlocks
    variant_index: np.ndarray  # (SNPs,)
    gwas: pd.DataFrame  # (SNPs, ...)
    betas: list[str]  # beta column of each GWAS: full, then folds
    p_values: list[str]  # p column of each GWAS
    sample_rows: np.ndarray  # (samples,), increasing
    training: np.ndarray  # (samples,) bool


@dataclass(frozen=True)
class RawScores:
    """Every model's score at every candidate (cut-off or penalty), before one is chosen."""

    candidates: pd.DataFrame  # method and parameter of each candidate
    scores: np.ndarray  # (models: full, then folds; samples; candidates)
    n_snps: np.ndarray  # (models, candidates): SNPs with a non-zero weight
    weights: np.ndarray  # (SNPs, candidates): the full model's per-allele weights

    @staticmethod
    def joined(parts: list[RawScores]) -> RawScores:
        """Candidates of several families side by side."""
        return RawScores(pd.concat([p.candidates for p in parts], ignore_index=True),
                         np.concatenate([p.scores for p in parts], axis=2),
                         np.concatenate([p.n_snps for p in parts], axis=1),
                         np.concatenate([p.weights for p in parts], axis=1))  # fmt: skip


def centred_dosages(codes: np.ndarray, a1_freq: np.ndarray) -> np.ndarray:
    """(SNPs x samples) int8 codes to float32 g - 2p (a missing call 0)."""
    frequency = np.asarray(a1_freq, dtype=np.float32)[:, None]
    return np.where(codes == MISSING_CODE, 0, codes - 2 * frequency).astype(np.float32)


def clumped_scores(inputs: ScoreInputs, cutoffs: np.ndarray, *, r2: float, window_bp: int) -> RawScores:
    """C+T: clump each GWAS's candidates per chromosome on the training genotypes and score every sample."""
    p_values = inputs.gwas[inputs.p_values].to_numpy()
    candidate = np.isfinite(p_values) & (p_values <= cutoffs.max())  # (SNPs, GWASes)
    if not candidate[:, 0].any():
        raise RiataError(f"prs: no SNP of the training GWAS has p <= {cutoffs.max():g}; raise prs.p_values")
    scores = np.zeros((len(inputs.betas), len(inputs.sample_rows), len(cutoffs)))
    n_snps = np.zeros((len(inputs.betas), len(cutoffs)), dtype=int)
    full_weights = np.zeros((len(inputs.gwas), len(cutoffs)))
    chromosomes = inputs.gwas["chrom"].astype(str).to_numpy()
    for chromosome in progress(pd.unique(chromosomes), total=len(pd.unique(chromosomes)), description="clumping"):
        rows = np.flatnonzero((chromosomes == chromosome) & candidate.any(axis=1))
        if not len(rows):
            continue
        codes = inputs.source.read_codes(inputs.sample_rows, inputs.variant_index[rows])[0].T  # (SNPs, samples)
        training = np.ascontiguousarray(codes[:, inputs.training])
        centred = centred_dosages(codes, inputs.gwas["a1_freq"].to_numpy()[rows])
        positions = inputs.gwas["pos"].to_numpy()[rows]
        for g, beta in enumerate(inputs.betas):
            chosen = np.flatnonzero(candidate[rows, g])
            chosen = chosen[clump(positions[chosen], p_values[rows[chosen], g], training[chosen], r2=r2,
                                  window_bp=window_bp)]  # fmt: skip
            kept = p_values[rows[chosen], g][:, None] <= cutoffs[None, :]  # (index SNPs, cut-offs)
            weights = inputs.gwas[beta].to_numpy()[rows[chosen], None] * kept
            scores[g] += centred[chosen].T.astype(np.float64) @ weights
            n_snps[g] += kept.sum(axis=0)
            if g == 0:
                full_weights[rows[chosen]] = weights
    candidates = pd.DataFrame({"method": "ct", "parameter": cutoffs})
    return RawScores(candidates, scores, n_snps, full_weights)


def lasso_scores(inputs: ScoreInputs, components: np.ndarray, outcome: np.ndarray, folds: np.ndarray | None, *,
                 kind: str, n_snps: int, n_penalties: int) -> RawScores:  # fmt: skip
    """The lasso family (module doc): each model (full, then each fold's) screens its GWAS's ``n_snps`` most
    associated SNPs and is fitted, at every penalty of one grid, on its training samples. ``components``
    (samples x k) are the principal components, ``outcome`` (samples,; survival: samples x [time, event],
    whose martingale residuals on each model's training samples are regressed) and ``folds`` (training
    samples,)."""
    p_values = inputs.gwas[inputs.p_values].fillna(1.0).to_numpy()
    screens = [np.sort(np.argsort(p_values[:, g], kind="stable")[:n_snps]) for g in range(p_values.shape[1])]
    union = np.unique(np.concatenate(screens))
    codes = inputs.source.read_codes(inputs.sample_rows, inputs.variant_index[union])[0].T  # (SNPs, samples)
    frequency = inputs.gwas["a1_freq"].to_numpy()[union]
    sd = np.sqrt(2 * frequency * (1 - frequency))
    standardized = (centred_dosages(codes, frequency) / sd[:, None].astype(np.float32)).T  # (samples, SNPs)
    training = np.flatnonzero(inputs.training)
    fit_rows = [training] + [training[folds != f] for f in range(p_values.shape[1] - 1)]
    responses = [_lasso_response(kind, outcome[rows]) for rows in fit_rows]
    kind = "continuous" if kind == "survival" else kind
    penalties = _penalty_grid(kind, standardized[training][:, np.searchsorted(union, screens[0])], responses[0],
                              n_penalties)  # fmt: skip
    scores = np.zeros((len(screens), len(inputs.sample_rows), len(penalties)))
    counts = np.zeros((len(screens), len(penalties)), dtype=int)
    weights = np.zeros((len(inputs.gwas), len(penalties)))
    fits = list(zip(screens, fit_rows, responses, strict=True))
    for g, (screen, rows, response) in enumerate(progress(fits, total=len(screens), description="lasso scores")):
        x = standardized[:, np.searchsorted(union, screen)]
        design = np.hstack([x, PC_SCALE * components])
        for c, penalty in enumerate(penalties):
            coefficients = _lasso(kind, design[rows], response, penalty)[: len(screen)]
            scores[g, :, c] = x @ coefficients
            counts[g, c] = int((coefficients != 0).sum())
            if g == 0:
                weights[screen, c] = coefficients / sd[np.searchsorted(union, screen)]  # per allele
    candidates = pd.DataFrame({"method": "lasso", "parameter": penalties})
    return RawScores(candidates, scores, counts, weights)


def _lasso_response(kind: str, outcome: np.ndarray) -> np.ndarray:
    """What a lasso regresses: the outcome, or a survival outcome's martingale residuals (Nelson-Aalen, no
    covariates: the principal components are in the lasso's design)."""
    if kind != "survival":
        return outcome
    from riata.survival import martingale_residuals

    return martingale_residuals(outcome, np.empty((len(outcome), 0)))


def _penalty_grid(kind: str, x: np.ndarray, y: np.ndarray, n_penalties: int) -> np.ndarray:
    """Penalties from just below the one that keeps a single SNP to one keeping many: sklearn's C for
    logistic regression (increasing: weaker), Lasso's alpha for linear (decreasing: weaker)."""
    if kind == "binary":
        from sklearn.svm import l1_min_c

        return l1_min_c(x, y, loss="log") * np.geomspace(1.5, 40, n_penalties)
    largest = np.abs(x.T @ (y - y.mean())).max() / len(y)
    return largest * np.geomspace(0.8, 0.02, n_penalties)


def _lasso(kind: str, x: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
    """The coefficients of an L1-penalised regression of y on x (samples x features) at one penalty."""
    if kind == "binary":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(l1_ratio=1.0, C=penalty, solver="liblinear", max_iter=1000, random_state=0)
        model.fit(x, y)
        return model.coef_[0]
    from sklearn.linear_model import Lasso

    return Lasso(alpha=penalty, max_iter=5000).fit(x, y).coef_


def prediction_metric(kind: str, outcome: np.ndarray, score: np.ndarray) -> float:
    """How well a score predicts an outcome: AUROC (binary), Harrell's concordance (survival; outcome: samples x
    [time, event]) or squared correlation (continuous); NaN for a constant score."""
    from sklearn.metrics import roc_auc_score

    if np.std(score) == 0:
        return float("nan")
    if kind == "survival":
        from riata.survival import concordance

        return float(concordance(outcome, score)[0])
    if kind == "binary":
        return float(roc_auc_score(outcome, score))
    return float(np.corrcoef(outcome, score)[0, 1] ** 2)


@dataclass(frozen=True)
class PolygenicScore:
    """The chosen candidate, every sample's standardized score, and each candidate's record."""

    chosen: int  # position among the candidates
    score: np.ndarray  # (samples,)
    mean: float  # of the full model's score over the training samples, at the chosen candidate
    sd: float
    candidates: pd.DataFrame  # one row per candidate: method, parameter, SNPs, metrics, chosen


def choose_and_standardize(raw: RawScores, kind: str, outcome: np.ndarray, split: np.ndarray,
                           folds: np.ndarray | None) -> PolygenicScore:  # fmt: skip
    """Pick the candidate on the validation samples and give every sample its standardized score (module doc).

    ``outcome`` and ``split`` have one entry per sample; ``folds`` holds each training sample's fold.
    """
    training, validation = split == "train", split == "validation"
    full, candidates = raw.scores[0], range(raw.scores.shape[2])
    table = raw.candidates.assign(n_snps=raw.n_snps[0])
    table["validation"] = [prediction_metric(kind, outcome[validation], full[validation, c]) for c in candidates]
    table["training_in_sample"] = [prediction_metric(kind, outcome[training], full[training, c]) for c in candidates]
    out_of_fold = _out_of_fold(raw, folds, training) if folds is not None else None
    if out_of_fold is not None:
        table["training_out_of_fold"] = [prediction_metric(kind, outcome[training], out_of_fold[:, c])
                                         for c in candidates]  # fmt: skip
    if table["validation"].isna().all():
        raise RiataError("prs: no candidate keeps a SNP; raise prs.p_values or prs.lasso_snps")
    chosen = int(table["validation"].idxmax())
    table["chosen"] = table.index == chosen
    mean, sd = float(full[training, chosen].mean()), float(full[training, chosen].std())
    score = (full[:, chosen] - mean) / sd
    if out_of_fold is not None:
        score[training] = out_of_fold[:, chosen]
    log.info("prs: %s with parameter %g, %d SNPs; validation %s %.3f (training in-sample %.3f)",
             table.loc[chosen, "method"], table.loc[chosen, "parameter"], raw.n_snps[0, chosen],
             METRIC_NAMES.get(kind, "r2"), table.loc[chosen, "validation"],
             table.loc[chosen, "training_in_sample"])  # fmt: skip
    return PolygenicScore(chosen, score, mean, sd, table)


def _out_of_fold(raw: RawScores, folds: np.ndarray, training: np.ndarray) -> np.ndarray:
    """Training samples' cross-fitted scores (training samples x cut-offs), each fold's score standardized
    by its weights' mean and SD over all training samples."""
    result = np.zeros((int(training.sum()), raw.scores.shape[2]))
    for fold in range(raw.scores.shape[0] - 1):
        own = raw.scores[fold + 1][training]
        sd = own.std(axis=0)
        standardized_own = np.divide(own - own.mean(axis=0), sd, out=np.zeros_like(own), where=sd > 0)
        result[folds == fold] = standardized_own[folds == fold]
    return result
