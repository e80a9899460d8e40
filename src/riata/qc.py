"""Variant quality control on training samples: call rate and minor allele frequency.

Statistics are counted in one streamed pass over the .bed (dask, block by block), on training
samples only, so that no property of validation or test samples leaks into what is learnt later.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from riata.errors import RiataError
from riata.io.plink import PlinkGenotypes, map_variant_blocks

log = logging.getLogger("riata")


def _genotype_counts(block: np.ndarray, _columns: np.ndarray) -> np.ndarray:
    """Counts per variant of dosage 0, 1, 2 and missing; block (samples, variants) -> (variants, 4)."""
    return np.stack(
        [(block == 0).sum(axis=0), (block == 1).sum(axis=0), (block == 2).sum(axis=0), np.isnan(block).sum(axis=0)],
        axis=1,
    )


def variant_statistics(genotypes: PlinkGenotypes, sample_index: np.ndarray, *, threads: int = 1) -> pd.DataFrame:
    """Per-variant genotype counts, call rate and allele frequencies over the samples in ``sample_index``.

    Returns one row per .bim variant: snp, chrom, pos, a1, a2, n_a1_0 / n_a1_1 / n_a1_2 (samples
    carrying 0, 1, 2 copies of a1), n_missing, call_rate, a1_freq (frequency of the counted allele,
    plink2's ALT_FREQS), maf.
    """
    counts = np.concatenate(map_variant_blocks(genotypes, _genotype_counts, sample_index=sample_index, threads=threads))
    n0, n1, n2, n_missing = counts.T
    called = n0 + n1 + n2
    with np.errstate(invalid="ignore", divide="ignore"):
        a1_freq = (n1 + 2 * n2) / (2 * called)
    statistics = genotypes.variants[["snp", "chrom", "pos", "a1", "a2"]].copy()
    statistics["n_a1_0"], statistics["n_a1_1"], statistics["n_a1_2"] = n0, n1, n2
    statistics["n_missing"] = n_missing
    statistics["call_rate"] = called / len(sample_index)
    statistics["a1_freq"] = a1_freq
    statistics["maf"] = np.minimum(a1_freq, 1 - a1_freq)
    return statistics


def apply_variant_filters(
    statistics: pd.DataFrame, *, min_call_rate: float, min_maf: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mark variants that pass; return (statistics with ``pass`` and ``fail_reason``, summary).

    Filters apply in order: call rate, then monomorphic (no copy of one allele among called
    training genotypes), then minor allele frequency; a variant is counted under the first it fails.
    """
    if not 0 <= min_call_rate <= 1:
        raise RiataError(f"qc: min_call_rate must be in [0, 1], got {min_call_rate}")
    if not 0 <= min_maf < 0.5:
        raise RiataError(f"qc: min_maf must be in [0, 0.5), got {min_maf}")
    reason = pd.Series("", index=statistics.index)
    filters = [
        ("call_rate", statistics["call_rate"] < min_call_rate),
        ("monomorphic", ~(statistics["maf"] > 0)),
        ("maf", statistics["maf"] < min_maf),
    ]
    summary_rows = []
    for name, failed in filters:
        newly = failed & (reason == "")
        reason[newly] = name
        summary_rows.append({"filter": name, "removed": int(newly.sum()), "remaining": int((reason == "").sum())})
    statistics = statistics.assign(**{"pass": reason == "", "fail_reason": reason})
    summary = pd.DataFrame(summary_rows)
    log.info(
        "variant QC: %d of %d variants pass (%s)",
        int(statistics["pass"].sum()),
        len(statistics),
        ", ".join(f"{row['filter']} removed {row['removed']}" for row in summary_rows),
    )
    if not statistics["pass"].any():
        raise RiataError("qc: no variant passes quality control; relax min_call_rate or min_maf")
    return statistics, summary
