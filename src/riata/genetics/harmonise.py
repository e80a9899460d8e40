"""A model's variants in a new cohort's genotypes: matching, allele orientation, and streamed inputs.

A model variant (chromosome, position, alleles a1/a2, training frequency of a1) matches a variant of the
new cohort's .bim at the same chromosome and position (a leading "chr" ignored) whose alleles are the
same pair: in the same order (the dosage is used as read), swapped (dosage 2 - g, as the new file counts
the other allele), or named on the other strand (complemented, either order). A strand-ambiguous SNP
(A/T or C/G) cannot tell a strand flip from a swap by its alleles: it is kept when its training minor
allele frequency is at most :data:`AMBIGUOUS_MAX_MAF`, oriented by whichever of f or 1 - f of the new
cohort's frequency is closer to the training frequency, and dropped otherwise (``ambiguous="frequency"``,
the default); with ``ambiguous="labels"`` its allele labels are trusted as for any other SNP (for a cohort
genotyped and called as the training one was, e.g. more samples of the same study). A variant not found
(or dropped) takes its training mean, as a missing call does: its centred dosage is 0.

The inputs computed from the matched variants are those of the workflow: principal components
(standardized dosages times the loadings, divided by the projection shrinkage), the polygenic score's raw
sum (centred dosages times the per-allele weights) and standardized SNP dosages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riata.errors import RiataError
from riata.io.plink import MISSING_CODE, BedBlocks
from riata.settings import AMBIGUOUS_RULES

log = logging.getLogger("riata")

AMBIGUOUS_MAX_MAF = 0.4  # strand-ambiguous SNPs further from 0.5 than this are oriented by frequency
BLOCK_BYTES = 32 * 2**20  # float32 calls read at once: blocks shrink as the cohort grows
COMPLEMENT = str.maketrans("ACGT", "TGCA")


@dataclass(frozen=True)
class Harmonised:
    """Where each model variant is in the new .bed (-1: not found or dropped) and whether its dosage flips."""

    bed_rows: np.ndarray  # (model variants,) int
    flipped: np.ndarray  # (model variants,) bool
    counts: dict[str, int]  # matched, swapped, strand_flipped, ambiguous_kept, ambiguous_dropped, missing

    @property
    def missing_share(self) -> float:
        return self.counts["missing"] / max(len(self.bed_rows), 1)


def _chromosome(values: pd.Series) -> pd.Series:
    return values.astype(str).str.removeprefix("chr").str.removeprefix("CHR")


def _orientation(model: pd.DataFrame, new: pd.DataFrame, ambiguous_rule: str) -> pd.Series:
    """Per candidate pair (rows of both aligned): 'same', 'swapped', 'strand', 'strand_swapped', 'ambiguous' (with
    the frequency rule) or ''."""
    a1, a2 = model["a1"].str.upper(), model["a2"].str.upper()
    b1, b2 = new["a1"].str.upper().to_numpy(), new["a2"].str.upper().to_numpy()
    c1, c2 = a1.str.translate(COMPLEMENT), a2.str.translate(COMPLEMENT)
    same, swapped = (a1 == b1) & (a2 == b2), (a1 == b2) & (a2 == b1)
    ambiguous = (a1 == c2) & (same | swapped) & (ambiguous_rule == "frequency")  # A/T or C/G
    choices = [ambiguous, same, swapped, (c1 == b1) & (c2 == b2), (c1 == b2) & (c2 == b1)]
    labels = ["ambiguous", "same", "swapped", "strand", "strand_swapped"]
    return pd.Series(np.select(choices, labels, default=""), index=model.index)


def harmonise(variants: pd.DataFrame, bim: pd.DataFrame, source: BedBlocks, ambiguous: str = "frequency") -> Harmonised:
    """Match ``variants`` (the model's: chrom, pos, a1, a2, a1_freq) to ``bim`` (:func:`riata.io.plink.read_bim`
    of the new cohort, whose .bed is ``source``); ``ambiguous`` is the rule for strand-ambiguous SNPs (module
    doc)."""
    if ambiguous not in AMBIGUOUS_RULES:
        raise RiataError(f"the rule for strand-ambiguous SNPs must be one of {', '.join(AMBIGUOUS_RULES)}")
    model = variants.reset_index(drop=True).assign(
        key_chrom=lambda t: _chromosome(t["chrom"]), model_row=lambda t: t.index
    )
    new = bim.reset_index(drop=True).assign(key_chrom=lambda t: _chromosome(t["chrom"]), bed_row=lambda t: t.index)
    pairs = model.merge(
        new[["key_chrom", "pos", "a1", "a2", "bed_row"]], on=["key_chrom", "pos"], suffixes=("", "_new")
    )
    new_alleles = pairs[["a1_new", "a2_new"]].set_axis(["a1", "a2"], axis=1)
    orientation = _orientation(pairs[["a1", "a2"]], new_alleles, ambiguous)
    pairs = pairs.assign(orientation=orientation.to_numpy())
    pairs = pairs[pairs["orientation"] != ""].drop_duplicates("model_row")
    bed_rows = np.full(len(model), -1)
    flipped = np.zeros(len(model), dtype=bool)
    bed_rows[pairs["model_row"]] = pairs["bed_row"]
    flipped[pairs["model_row"]] = pairs["orientation"].isin(["swapped", "strand_swapped"]).to_numpy()
    ambiguous = pairs.loc[pairs["orientation"] == "ambiguous", "model_row"].to_numpy()
    kept, flips = _orient_by_frequency(model["a1_freq"].to_numpy()[ambiguous], source, bed_rows[ambiguous])
    bed_rows[ambiguous[~kept]] = -1
    flipped[ambiguous] = flips & kept
    counts = {"matched": int((bed_rows >= 0).sum()), "swapped": int((pairs["orientation"] == "swapped").sum()),
              "strand_flipped": int(pairs["orientation"].str.startswith("strand").sum()),
              "ambiguous_kept": int(kept.sum()), "ambiguous_dropped": int((~kept).sum()),
              "missing": int((bed_rows < 0).sum())}  # fmt: skip
    return Harmonised(bed_rows, flipped, counts)


def _orient_by_frequency(
    train_freq: np.ndarray, source: BedBlocks, bed_rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Strand-ambiguous SNPs: which are kept (training MAF at most AMBIGUOUS_MAX_MAF) and which flip (the new
    frequency nearer 1 - f than f). (SNPs,) bool each."""
    kept = np.minimum(train_freq, 1 - train_freq) <= AMBIGUOUS_MAX_MAF
    flips = np.zeros(len(train_freq), dtype=bool)
    if kept.any():
        codes, _ = source.read_codes(None, bed_rows[kept])
        calls = np.where(codes == MISSING_CODE, np.nan, codes)
        new_freq = np.nanmean(calls, axis=0) / 2
        flips[kept] = np.abs(new_freq - (1 - train_freq[kept])) < np.abs(new_freq - train_freq[kept])
    return kept, flips


def report(harmonised: Harmonised, where: str, max_missing_share: float) -> None:
    """Log the matching; refuse (RiataError) when more than ``max_missing_share`` of the variants are missing."""
    counts = harmonised.counts
    total = len(harmonised.bed_rows)
    log.info("%s: %d of %d model variants matched (%d with swapped alleles, %d named on the other strand, %d "
             "strand-ambiguous kept by frequency, %d dropped); %d (%.1f%%) missing, filled with the training mean",
             where, counts["matched"], total, counts["swapped"], counts["strand_flipped"], counts["ambiguous_kept"],
             counts["ambiguous_dropped"], counts["missing"], 100 * harmonised.missing_share)  # fmt: skip
    if total and counts["matched"] == 0:
        raise RiataError(f"{where}: none of the model's {total} variants is in the file (matched by chromosome, "
                         "position and alleles)")  # fmt: skip
    if harmonised.missing_share > max_missing_share:
        share = 100 * harmonised.missing_share
        raise RiataError(f"{where}: {counts['missing']} of the model's {total} variants ({share:.1f}%) are missing, "
                         f"above the allowed {100 * max_missing_share:g}% (another genome build, or another array? "
                         "raise --max-missing-share to accept)")  # fmt: skip


@dataclass(frozen=True)
class GeneticWeights:
    """What the model computes from genotypes, one row per model variant (aligned with the harmonisation)."""

    a1_freq: np.ndarray  # (variants,)
    loadings: np.ndarray  # (variants, components); components = standardized dosages @ loadings / shrinkage
    shrinkage: np.ndarray  # (components,)
    score_weights: np.ndarray  # (variants,): the polygenic score's raw sum = centred dosages @ weights
    snp_inputs: np.ndarray  # (SNP inputs,) positions among the variants of standardized dosages used as inputs


def genetic_inputs(source: BedBlocks, sample_rows: np.ndarray, harmonised: Harmonised,
                   weights: GeneticWeights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Components (samples x k), raw polygenic score (samples,) and SNP inputs (samples x s) of the .fam rows
    ``sample_rows``, streamed over blocks of matched variants (memory bounded by :data:`BLOCK_BYTES`).

    A variant's centred dosage is an affine function of its call g, ``slope * g + intercept`` (g - 2p, or
    2 - g - 2p when the new file counts the other allele), and 0 for a missing call (the training mean). So a
    block costs one product of its calls (samples x block variants, float32, a missing call replaced by the
    call whose centred dosage is 0) with the per-variant weights of the centred dosages (block variants x
    (k + 1): loadings / sqrt(2p(1 - p)) and the score weights) times the slopes, plus a constant row.
    """
    n, k = len(sample_rows), weights.loadings.shape[1]
    if np.array_equal(sample_rows, np.arange(source.n_samples)):
        sample_rows = None  # every sample in .fam order: the reader skips the gather
    twice_p = 2 * weights.a1_freq.astype(np.float64)
    sd = np.sqrt(twice_p * (1 - twice_p / 2))
    slope = np.where(harmonised.flipped, -1.0, 1.0)
    intercept = np.where(harmonised.flipped, 2 - twice_p, -twice_p)
    imputed = (-intercept / slope).astype(np.float32)  # the training mean as a call: 2p, or 2 - 2p when flipped
    per_centred = np.column_stack([weights.loadings / sd[:, None], weights.score_weights])  # (variants, k + 1)
    totals = np.zeros((n, k + 1))
    snps = np.zeros((n, len(weights.snp_inputs)), dtype=np.float32)
    snp_slot = np.full(len(weights.a1_freq), -1)
    snp_slot[weights.snp_inputs] = np.arange(len(weights.snp_inputs))
    matched = np.flatnonzero(harmonised.bed_rows >= 0)
    matched = matched[np.argsort(harmonised.bed_rows[matched], kind="stable")]  # read the file in order
    block = max(64, BLOCK_BYTES // (4 * max(source.n_samples, 1)))
    for start in range(0, len(matched), block):
        chosen = matched[start : start + block]
        codes, may_miss = source.read_codes(sample_rows, harmonised.bed_rows[chosen])
        calls = codes.astype(np.float32)
        if len(may_miss):  # the few missing calls take the call whose centred dosage is 0
            variant, sample = np.divmod(np.flatnonzero(codes.T == MISSING_CODE), codes.shape[0])
            calls[sample, variant] = imputed[chosen[variant]]
        centred_weights = per_centred[chosen]
        totals += calls @ (slope[chosen, None] * centred_weights).astype(np.float32)
        totals += intercept[chosen] @ centred_weights
        inputs = np.flatnonzero(snp_slot[chosen] >= 0)
        if len(inputs):
            snp_calls, variant = codes[:, inputs], chosen[inputs]
            values = (slope[variant] * snp_calls + intercept[variant]) / sd[variant]
            snps[:, snp_slot[variant]] = np.where(snp_calls == MISSING_CODE, 0, values)
    return totals[:, :k] / weights.shrinkage, totals[:, k], snps
