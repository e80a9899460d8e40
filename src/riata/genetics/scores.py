"""A polygenic score from the training GWAS: LD clumping and p-value thresholding (C+T), cross-fitted.

Candidates are the SNPs with p at most the largest cut-off. Chromosome by chromosome, the candidates'
genotypes are read once for every sample; the training samples' genotypes clump them
(:func:`riata.genetics.ld.clump`) for the full training GWAS and for each cross-fitting fold's GWAS (the
GWAS of the training samples outside the fold). A cut-off c keeps the index SNPs with p <= c, and a score
is sum_j beta_j (g_j - 2 p_j) over them, p_j the SNP's training frequency (a missing call adds 0).

The cut-off is the one whose full-GWAS score best predicts the validation samples' outcome (AUROC, or the
squared correlation for a continuous outcome). Validation and test samples get the full-GWAS score at that
cut-off. A GWAS scores its own samples too well (its SNPs and betas fit their outcomes), so each training
sample gets the score of the GWAS without its fold (cross-fitting); without folds it gets the full score.
Each score is standardized by the mean and SD of its weights' score over all training samples.
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
    """Every GWAS's score at every cut-off, before the cut-off is chosen."""

    scores: np.ndarray  # (GWASes, samples, cut-offs)
    n_snps: np.ndarray  # (GWASes, cut-offs): index SNPs kept at each cut-off
    index_snps: np.ndarray  # (SNPs,) bool: index SNPs of the full GWAS's clumping


def raw_scores(inputs: ScoreInputs, cutoffs: np.ndarray, *, r2: float, window_bp: int) -> RawScores:
    """Clump each GWAS's candidates per chromosome on the training genotypes and score every sample."""
    p_values = inputs.gwas[inputs.p_values].to_numpy()
    candidate = np.isfinite(p_values) & (p_values <= cutoffs.max())  # (SNPs, GWASes)
    if not candidate[:, 0].any():
        raise RiataError(f"prs: no SNP of the training GWAS has p <= {cutoffs.max():g}; raise prs.p_values")
    scores = np.zeros((len(inputs.betas), len(inputs.sample_rows), len(cutoffs)))
    n_snps = np.zeros((len(inputs.betas), len(cutoffs)), dtype=int)
    index_snps = np.zeros(len(inputs.gwas), dtype=bool)
    chromosomes = inputs.gwas["chrom"].astype(str).to_numpy()
    for chromosome in progress(pd.unique(chromosomes), total=len(pd.unique(chromosomes)), description="clumping"):
        rows = np.flatnonzero((chromosomes == chromosome) & candidate.any(axis=1))
        if not len(rows):
            continue
        codes = inputs.source.read_codes(inputs.sample_rows, inputs.variant_index[rows])[0].T  # (SNPs, samples)
        training = np.ascontiguousarray(codes[:, inputs.training])
        frequency = inputs.gwas["a1_freq"].to_numpy()[rows, None].astype(np.float32)
        centred = np.where(codes == MISSING_CODE, 0, codes - 2 * frequency).astype(np.float32)
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
                index_snps[rows[chosen]] = True
    return RawScores(scores, n_snps, index_snps)


def prediction_metric(kind: str, outcome: np.ndarray, score: np.ndarray) -> float:
    """How well a score predicts an outcome: AUROC (binary) or squared correlation (continuous); NaN for a
    constant score."""
    from sklearn.metrics import roc_auc_score

    if np.std(score) == 0:
        return float("nan")
    if kind == "binary":
        return float(roc_auc_score(outcome, score))
    return float(np.corrcoef(outcome, score)[0, 1] ** 2)


@dataclass(frozen=True)
class PolygenicScore:
    """The chosen cut-off, every sample's standardized score, and each cut-off's record."""

    cutoff: int  # position in the cut-off grid
    score: np.ndarray  # (samples,)
    mean: float  # of the full GWAS's score over the training samples, at the cut-off
    sd: float
    cutoffs: pd.DataFrame  # one row per cut-off


def choose_and_standardize(raw: RawScores, cutoffs: np.ndarray, kind: str, outcome: np.ndarray, split: np.ndarray,
                           folds: np.ndarray | None) -> PolygenicScore:  # fmt: skip
    """Pick the cut-off on the validation samples and give every sample its standardized score (module doc).

    ``outcome`` and ``split`` have one entry per sample; ``folds`` holds each training sample's fold.
    """
    training, validation = split == "train", split == "validation"
    full = raw.scores[0]
    table = pd.DataFrame({"p_value": cutoffs, "n_snps": raw.n_snps[0]})
    table["validation"] = [
        prediction_metric(kind, outcome[validation], full[validation, c]) for c in range(len(cutoffs))
    ]
    table["training_in_sample"] = [prediction_metric(kind, outcome[training], full[training, c])
                                   for c in range(len(cutoffs))]  # fmt: skip
    out_of_fold = _out_of_fold(raw, folds, training) if folds is not None else None
    if out_of_fold is not None:
        table["training_out_of_fold"] = [prediction_metric(kind, outcome[training], out_of_fold[:, c])
                                         for c in range(len(cutoffs))]  # fmt: skip
    if table["validation"].isna().all():
        raise RiataError("prs: no cut-off keeps a SNP; raise prs.p_values")
    chosen = int(table["validation"].idxmax())
    table["chosen"] = table.index == chosen
    mean, sd = float(full[training, chosen].mean()), float(full[training, chosen].std())
    score = (full[:, chosen] - mean) / sd
    if out_of_fold is not None:
        score[training] = out_of_fold[:, chosen]
    log.info("prs: cut-off p <= %g, %d SNPs; validation %s %.3f (training in-sample %.3f)", cutoffs[chosen],
             raw.n_snps[0, chosen], "AUROC" if kind == "binary" else "r2", table.loc[chosen, "validation"],
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
