"""Hardy-Weinberg exact test (Wigginton, Cutler & Abecasis 2005), the test plink and plink2 use.

Given a variant's genotype counts, the number of heterozygotes is distributed, conditional on the
allele counts, as P(h) proportional to 2^h / (h! hom_rare! hom_common!), where hom_rare = (r - h) / 2
and hom_common = n - h - hom_rare for r copies of the rarer allele among n genotypes. The p-value is
the total probability of the heterozygote counts no more likely than the observed one.

The distribution depends only on (n, r), and a cohort has few distinct pairs (n varies only with
missing calls), so each distinct pair's distribution is computed once, vectorised: log-probabilities
follow from the ratio P(h + 2) / P(h) = 4 hom_rare hom_common / ((h + 1)(h + 2)) by a cumulative sum,
and sorting them gives the p-value of every possible heterozygote count. Each variant then looks its
p-value up.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

# Relative tolerance when comparing a configuration's probability with the observed one, so that
# configurations equally likely up to rounding count as "no more likely" (plink does the same).
_TIES = 1e-9


def hwe_exact_pvalues(het: np.ndarray, hom_a: np.ndarray, hom_b: np.ndarray, *, chunk: int = 2048) -> np.ndarray:
    """Exact Hardy-Weinberg p-values for genotype counts per variant (arrays of equal length).

    Variants with no called genotype get NaN; a variant with fewer than two rare alleles gets 1.
    """
    het, hom_a, hom_b = (np.asarray(a, dtype=np.int64) for a in (het, hom_a, hom_b))
    n = het + hom_a + hom_b
    rare = 2 * np.minimum(hom_a, hom_b) + het
    pvalues = np.where(n > 0, 1.0, np.nan)
    todo = np.flatnonzero(rare > 1)  # with r < 2 there is a single possible configuration
    if len(todo) == 0:
        return pvalues
    pairs, pair_of = np.unique(np.stack([rare[todo], n[todo]], axis=1), axis=0, return_inverse=True)
    pair_of = pair_of.reshape(-1)
    step_of = (het[todo] - rare[todo] % 2) // 2  # index of the observed count in its pair's grid
    for start in range(0, len(pairs), chunk):  # pairs are sorted by r, so a chunk's grids are similar
        table = _pvalue_table(pairs[start : start + chunk, 0], pairs[start : start + chunk, 1])
        members = (pair_of >= start) & (pair_of < start + chunk)
        pvalues[todo[members]] = table[pair_of[members] - start, step_of[members]]
    return pvalues


def _pvalue_table(rare: np.ndarray, n: np.ndarray) -> np.ndarray:
    """P-value of every possible heterozygote count (pairs, steps) for (r, n) pairs; h = r % 2 + 2 step."""
    steps = np.arange(rare.max() // 2 + 1)
    h = (rare % 2)[:, None] + 2 * steps[None, :]
    possible = h <= rare[:, None]
    hom_rare = np.where(possible, (rare[:, None] - h) // 2, 0)
    hom_common = np.where(possible, n[:, None] - h - hom_rare, 0)
    with np.errstate(divide="ignore"):
        log_ratio = np.log(4.0 * hom_rare * hom_common) - np.log((h + 1.0) * (h + 2.0))
    log_probability = np.concatenate([np.zeros((len(n), 1)), np.cumsum(log_ratio[:, :-1], axis=1)], axis=1)
    log_probability[~possible] = -np.inf
    log_probability -= logsumexp(log_probability, axis=1, keepdims=True)

    order = np.argsort(log_probability, axis=1, kind="stable")
    ascending = np.take_along_axis(log_probability, order, axis=1)
    cumulative = np.cumsum(np.exp(ascending), axis=1)
    # Configurations tied with the next (within _TIES) share the p-value at the end of their tie run.
    with np.errstate(invalid="ignore"):  # -inf - -inf (impossible counts) is NaN: not a tie
        tied_with_next = np.diff(ascending, axis=1) <= _TIES
    run_end = np.concatenate([~tied_with_next, np.ones((len(n), 1), dtype=bool)], axis=1)
    at_run_end = np.where(run_end, cumulative, np.inf)
    sorted_pvalues = np.minimum.accumulate(at_run_end[:, ::-1], axis=1)[:, ::-1]
    table = np.empty_like(sorted_pvalues)
    np.put_along_axis(table, order, sorted_pvalues, axis=1)
    return np.minimum(table, 1.0)
