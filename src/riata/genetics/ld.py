"""Linkage disequilibrium on training genotypes: r-squared between SNPs, and greedy LD clumping.

r-squared is plink's: the squared correlation of the two SNPs' alleles on the same haplotype, from the
haplotype frequencies that maximise the likelihood of the unphased genotypes. Every pair of genotypes
but the double heterozygote tells its two haplotypes; the double heterozygotes are shared between the
two possible phases by EM (Excoffier & Slatkin 1995). Samples with a missing call of either SNP are left
out of that pair.

Clumping is plink's too: SNPs are visited by increasing p-value; one not yet clumped becomes an index
SNP, and every SNP not yet clumped on its chromosome within ``window_bp`` with r-squared above ``r2``
joins its clump. An index SNP with p <= c is decided by SNPs with smaller p only, so the index SNPs of a
clumping at threshold c are those of the clumping of every candidate with p <= c: one clumping serves
every p-value cut-off. Under Hardy-Weinberg equilibrium the squared correlation of the two SNPs' dosages
estimates the same r-squared; a pair whose dosage r-squared is below ``PREFILTER`` x the threshold is
passed over without EM, which leaves most pairs of a window.
"""

from __future__ import annotations

import numpy as np

EM_ITERATIONS = 100
EM_TOLERANCE = 1e-7
PREFILTER = 0.25  # pairs with dosage r-squared below this share of the threshold skip the haplotype EM


def standardized(codes: np.ndarray) -> np.ndarray:
    """(SNPs x samples) int8 dosages (missing: any other value) centred on each SNP's mean, missing calls at
    the mean, and scaled to unit norm (float32): the dot product of two rows is the dosages' correlation."""
    missing = (codes < 0) | (codes > 2)
    values = np.where(missing, 0, codes).astype(np.float32)
    called = np.maximum((~missing).sum(axis=1, keepdims=True), 1)
    centred = np.where(missing, 0, values - values.sum(axis=1, keepdims=True) / called)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    return np.divide(centred, norms, out=np.zeros_like(centred), where=norms > 0)


def genotype_indicators(codes: np.ndarray) -> np.ndarray:
    """(SNPs x samples) int8 dosages (missing: any other value) to (SNPs, 3, samples) float32 indicators of
    0, 1 and 2 copies of the counted allele."""
    return np.stack([codes == dosage for dosage in (0, 1, 2)], axis=1).astype(np.float32)


def haplotype_r_squared(snp: np.ndarray, others: np.ndarray) -> np.ndarray:
    """r-squared of one SNP with each of ``others``: indicators (3, samples) and (others, 3, samples)."""
    counts = np.tensordot(others, snp, axes=([2], [1])).transpose(0, 2, 1).astype(np.float64)  # (others, 3, 3)
    known = {
        "11": 2 * counts[:, 2, 2] + counts[:, 2, 1] + counts[:, 1, 2],
        "10": 2 * counts[:, 2, 0] + counts[:, 2, 1] + counts[:, 1, 0],
        "01": 2 * counts[:, 0, 2] + counts[:, 1, 2] + counts[:, 0, 1],
        "00": 2 * counts[:, 0, 0] + counts[:, 1, 0] + counts[:, 0, 1],
    }
    double = counts[:, 1, 1]
    total = np.maximum(2 * counts.sum(axis=(1, 2)), 1)
    coupling = np.full(len(others), 0.5)  # share of double heterozygotes with haplotypes 11 and 00
    for _ in range(EM_ITERATIONS):
        h11, h00 = (known["11"] + double * coupling) / total, (known["00"] + double * coupling) / total
        h10, h01 = (known["10"] + double * (1 - coupling)) / total, (known["01"] + double * (1 - coupling)) / total
        cis, trans = h11 * h00, h10 * h01
        updated = np.divide(cis, cis + trans, out=np.full_like(cis, 0.5), where=cis + trans > 0)
        converged = np.abs(updated - coupling).max(initial=0) < EM_TOLERANCE
        coupling = updated
        if converged:
            break
    p_a, p_b = h11 + h10, h11 + h01
    variance = p_a * (1 - p_a) * p_b * (1 - p_b)
    return np.divide((h11 * h00 - h10 * h01) ** 2, variance, out=np.zeros_like(variance), where=variance > 0)


def clump(positions: np.ndarray, p_values: np.ndarray, codes: np.ndarray, *, r2: float,
          window_bp: int) -> np.ndarray:  # fmt: skip
    """Index SNPs of one chromosome's candidates: a boolean mask (candidates,).

    ``positions`` (candidates,), ``p_values`` (candidates,) and ``codes`` (candidates x samples, int8
    dosages as :meth:`riata.io.plink.BedBlocks.read_codes` gives them); ties in p go to the earlier
    position.
    """
    by_position = np.argsort(positions, kind="stable")
    sorted_positions = positions[by_position]
    correlations = standardized(codes)
    free = np.ones(len(positions), dtype=bool)
    index = np.zeros(len(positions), dtype=bool)
    for snp in np.lexsort((positions, p_values)):
        if not free[snp]:
            continue
        index[snp], free[snp] = True, False
        low = np.searchsorted(sorted_positions, positions[snp] - window_bp, side="left")
        high = np.searchsorted(sorted_positions, positions[snp] + window_bp, side="right")
        window = by_position[low:high]
        window = window[free[window]]
        window = window[(correlations[window] @ correlations[snp]) ** 2 > PREFILTER * r2]
        if len(window):
            r_squared = haplotype_r_squared(
                genotype_indicators(codes[snp : snp + 1])[0], genotype_indicators(codes[window])
            )
            free[window[r_squared > r2]] = False
    return index
