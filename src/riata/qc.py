"""Quality control: sample call rate, then variant call rate, monomorphism, MAF and Hardy-Weinberg.

Variant statistics are counted on training samples only, so that nothing about validation or test
samples shapes what is learnt later. A sample's call rate is its own property (not learnt from other
samples), so every sample is checked, and failing samples leave the analysis whatever their split.
Counting is one streamed pass over the .bed (dask, block by block); a second pass is needed only
when some training samples fail their call rate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riata.errors import RiataError
from riata.hwe import hwe_exact_pvalues
from riata.io.plink import PlinkGenotypes, map_variant_blocks
from riata.settings import QcThresholds

log = logging.getLogger("riata")


def _counts(block: np.ndarray, training: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample missing calls (samples,) and per-variant counts over training rows (variants, 4).

    The counts are, per variant: samples with 0, 1, 2 copies of a1, and missing calls.
    """
    train = block[training]
    variant_counts = np.stack(
        [(train == 0).sum(axis=0), (train == 1).sum(axis=0), (train == 2).sum(axis=0), np.isnan(train).sum(axis=0)],
        axis=1,
    )
    return np.isnan(block).sum(axis=1), variant_counts


def count_genotypes(
    genotypes: PlinkGenotypes, sample_index: np.ndarray, training: np.ndarray, *, threads: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """One pass: missing calls of each sample in ``sample_index`` (over all variants), and per-variant
    counts (variants x 4, see :func:`_counts`) over the samples where the boolean ``training`` is True."""
    parts = map_variant_blocks(
        genotypes, lambda block, _columns: _counts(block, training), sample_index=sample_index, threads=threads
    )
    return sum(missing for missing, _ in parts), np.concatenate([counts for _, counts in parts])


def variant_statistics(variants: pd.DataFrame, counts: np.ndarray) -> pd.DataFrame:
    """Per-variant statistics from genotype counts (variants x 4: 0, 1, 2 copies of a1, missing).

    Columns: snp, chrom, pos, a1, a2, n_a1_0, n_a1_1, n_a1_2, n_missing, call_rate, a1_freq (the
    counted allele's frequency, plink2's ALT_FREQS), maf and hwe_p (exact test, plink2 --hardy's P).
    """
    n0, n1, n2, n_missing = counts.T
    called = n0 + n1 + n2
    with np.errstate(invalid="ignore", divide="ignore"):
        a1_freq = (n1 + 2 * n2) / (2 * called)
    statistics = variants[["snp", "chrom", "pos", "a1", "a2"]].copy()
    statistics["n_a1_0"], statistics["n_a1_1"], statistics["n_a1_2"] = n0, n1, n2
    statistics["n_missing"] = n_missing
    statistics["call_rate"] = called / (called + n_missing)
    statistics["a1_freq"] = a1_freq
    statistics["maf"] = np.minimum(a1_freq, 1 - a1_freq)
    statistics["hwe_p"] = hwe_exact_pvalues(n1, n0, n2)
    return statistics


def apply_variant_filters(statistics: pd.DataFrame, thresholds: QcThresholds) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mark variants that pass; return (statistics with ``pass`` and ``fail_reason``, summary rows).

    Filters apply in order: call rate, monomorphic (one allele only among called training
    genotypes), minor allele frequency, Hardy-Weinberg; a variant is counted under the first it fails.
    """
    reason = pd.Series("", index=statistics.index)
    filters = [
        ("call_rate", statistics["call_rate"] < thresholds.min_call_rate),
        ("monomorphic", ~(statistics["maf"] > 0)),
        ("maf", statistics["maf"] < thresholds.min_maf),
        ("hwe", statistics["hwe_p"] < thresholds.min_hwe_p),
    ]
    summary_rows = []
    for name, failed in filters:
        newly = failed & (reason == "")
        reason[newly] = name
        summary_rows.append(
            {"unit": "variants", "filter": name, "removed": int(newly.sum()), "remaining": int((reason == "").sum())}
        )
    statistics = statistics.assign(**{"pass": reason == "", "fail_reason": reason})
    log.info(
        "variant QC: %d of %d variants pass (%s)",
        int(statistics["pass"].sum()),
        len(statistics),
        ", ".join(f"{row['filter']} removed {row['removed']}" for row in summary_rows),
    )
    if not statistics["pass"].any():
        raise RiataError("qc: no variant passes quality control; relax min_call_rate, min_maf or min_hwe_p")
    return statistics, pd.DataFrame(summary_rows)


@dataclass(frozen=True)
class QcResult:
    """Per-sample and per-variant QC tables, a summary, and the split without failing samples."""

    samples: pd.DataFrame  # sample_id, split, call_rate, pass
    variants: pd.DataFrame  # see variant_statistics, plus pass and fail_reason
    summary: pd.DataFrame  # unit, filter, removed, remaining
    split: pd.Series  # sample id -> split, passing samples only


def run_qc(
    genotypes: PlinkGenotypes, split: pd.Series, positions: np.ndarray, thresholds: QcThresholds, *, threads: int = 1
) -> QcResult:
    """Sample and variant QC; ``positions`` are the .fam rows of the samples in ``split`` (same order)."""
    training = (split == "train").to_numpy()
    missing, counts = count_genotypes(genotypes, positions, training, threads=threads)
    call_rate = 1 - missing / genotypes.n_variants
    passing = call_rate >= thresholds.min_sample_call_rate
    samples = pd.DataFrame(
        {"sample_id": split.index, "split": split.to_numpy(), "call_rate": call_rate, "pass": passing}
    )
    if not passing[training].all():  # variant statistics must not count failing training samples
        kept = training & passing
        log.info(
            "recounting variants without %d training sample(s) below the call rate", int((training & ~passing).sum())
        )
        _, counts = count_genotypes(genotypes, positions[kept], np.ones(int(kept.sum()), bool), threads=threads)
    if not (training & passing).any():
        raise RiataError("qc: no training sample passes the sample call rate; relax min_sample_call_rate")
    variants, variant_summary = apply_variant_filters(variant_statistics(genotypes.variants, counts), thresholds)
    sample_summary = pd.DataFrame(
        [
            {
                "unit": "samples",
                "filter": "sample_call_rate",
                "removed": int((~passing).sum()),
                "remaining": int(passing.sum()),
            }
        ]
    )
    log.info("sample QC: %d of %d samples pass the call rate", int(passing.sum()), len(passing))
    return QcResult(samples, variants, pd.concat([sample_summary, variant_summary], ignore_index=True), split[passing])
