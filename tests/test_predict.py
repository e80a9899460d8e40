"""Scoring new patients: variant harmonisation, model bundles and `riata predict`."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riata.errors import RiataError
from riata.genetics.harmonise import GeneticWeights, genetic_inputs, harmonise, report
from riata.io.plink import BedBlocks, read_bim, write_plink

COMPLEMENT = {"A": "T", "T": "A", "C": "G", "G": "C"}


def write_fileset(prefix, dosages: np.ndarray, variants: pd.DataFrame) -> tuple[BedBlocks, pd.DataFrame]:
    """A PLINK 1 fileset of ``dosages`` (samples x variants, NaN missing); its reader and .bim."""
    samples = pd.DataFrame(
        {"fid": [f"S{i}" for i in range(len(dosages))], "iid": [f"S{i}" for i in range(len(dosages))]}
    )
    with write_plink(f"{prefix}.bed", f"{prefix}.bim", f"{prefix}.fam", samples, variants) as writer:
        for column in dosages.T:
            writer.write(column)
    return BedBlocks(f"{prefix}.bed", len(dosages), len(variants)), read_bim(f"{prefix}.bim")


def bim_of(source: BedBlocks) -> pd.DataFrame:
    return read_bim(Path(source.path).with_suffix(".bim"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """200 samples x 60 variants: the model's variants, their training frequencies and the genotypes."""
    rng = np.random.default_rng(4)
    n, m = 200, 60
    frequency = rng.uniform(0.05, 0.95, m)
    frequency[:6] = [0.1, 0.2, 0.85, 0.45, 0.5, 0.55]  # strand-ambiguous SNPs below: 3 settled, 3 near 0.5
    dosages = rng.binomial(2, frequency, (n, m)).astype(float)
    dosages[rng.random((n, m)) < 0.01] = np.nan
    alleles = [("A", "T"), ("C", "G"), ("T", "A"), ("G", "C"), ("A", "T"), ("C", "G")]
    unambiguous = [("A", "G"), ("A", "C"), ("G", "T"), ("C", "T"), ("G", "A"), ("T", "C")]
    alleles += [unambiguous[k] for k in rng.integers(0, len(unambiguous), m - 6)]
    variants = pd.DataFrame({"chrom": np.repeat(["1", "2"], m // 2), "snp": [f"v{j}" for j in range(m)],
                             "pos": np.tile(np.arange(1, m // 2 + 1) * 1000, 2), "a1": [a for a, _ in alleles],
                             "a2": [b for _, b in alleles]})  # fmt: skip
    source, bim = write_fileset(tmp_path_factory.mktemp("reference") / "cohort", dosages, variants)
    model = bim[["snp", "chrom", "pos", "a1", "a2"]].assign(a1_freq=np.nanmean(dosages, axis=0) / 2)
    weights = GeneticWeights(a1_freq=model["a1_freq"].to_numpy(), loadings=rng.normal(size=(m, 3)).astype(np.float32),
                             shrinkage=np.array([0.9, 0.8, 1.0]), score_weights=rng.normal(size=m).astype(np.float32),
                             snp_inputs=np.array([3, 10, 41]))  # fmt: skip
    return dosages, variants, model, weights, source


def perturbed(tmp_path, dosages, variants, rng, *, swap, strand, drop, prefix="new"):
    """The same genotypes with variants reordered, ``swap`` of them allele-swapped (dosages flipped),
    ``strand`` named on the other strand and ``drop`` removed."""
    m = len(variants)
    order = rng.permutation(m)
    order = order[~np.isin(order, drop)]
    table = variants.copy()
    values = dosages.copy()
    table.loc[swap, ["a1", "a2"]] = table.loc[swap, ["a2", "a1"]].to_numpy()
    values[:, swap] = 2 - values[:, swap]
    for column in ("a1", "a2"):
        table.loc[strand, column] = table.loc[strand, column].map(COMPLEMENT)
    table["chrom"] = "chr" + table["chrom"]
    return write_fileset(tmp_path / prefix, values[:, order], table.iloc[order].reset_index(drop=True))


def test_the_same_file_matches_itself_and_gives_the_direct_computation(reference):
    dosages, _, model, weights, source = reference
    harmonised = harmonise(model, bim_of(source), source)
    # Strand-ambiguous SNPs with frequencies near 0.5 (3, 4, 5) are dropped even here: their alleles cannot say.
    assert (harmonised.bed_rows == np.where(np.isin(np.arange(len(model)), [3, 4, 5]), -1, np.arange(len(model)))).all()
    assert not harmonised.flipped.any() and harmonised.counts["missing"] == 3
    components, score, snps = genetic_inputs(source, np.arange(len(dosages)), harmonised, weights)
    p = weights.a1_freq
    centred = np.nan_to_num(dosages - 2 * p)
    centred[:, [3, 4, 5]] = 0  # the training mean
    standardized = centred / np.sqrt(2 * p * (1 - p))
    np.testing.assert_allclose(components, standardized @ weights.loadings / weights.shrinkage, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(score, centred @ weights.score_weights, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(snps, standardized[:, weights.snp_inputs], rtol=1e-5, atol=1e-6)


def test_reordered_swapped_strand_flipped_and_missing_variants_are_harmonised(reference, tmp_path):
    dosages, variants, model, weights, source = reference
    rng = np.random.default_rng(0)
    m = len(variants)
    swap = np.concatenate([[0, 2, 4], rng.choice(np.arange(6, 50), 20, replace=False)])  # a third, ambiguous ones too
    strand = np.setdiff1d(np.arange(6, 50), swap)[:8]
    drop = np.array([50, 59])
    new_source, new_bim = perturbed(tmp_path, dosages, variants, rng, swap=swap, strand=strand, drop=drop)
    harmonised = harmonise(model, new_bim, new_source)
    counts = harmonised.counts
    # Ambiguous SNPs 3-5 (frequencies 0.45-0.55) cannot be oriented: dropped, like the 2 removed variants.
    assert counts["ambiguous_kept"] == 3 and counts["ambiguous_dropped"] == 3 and counts["missing"] == 5
    assert counts["strand_flipped"] == 8 and counts["swapped"] == len(swap) - 3  # swapped ambiguous ones: by frequency
    assert harmonised.flipped[swap[swap >= 6]].all() and harmonised.flipped[[0, 2]].all()  # 0, 2: by frequency
    assert not harmonised.flipped[strand].any() and not harmonised.flipped[1]
    kept = np.setdiff1d(np.arange(m), np.concatenate([drop, [3, 4, 5]]))
    assert (new_bim.loc[harmonised.bed_rows[kept], "snp"].to_numpy() == model.loc[kept, "snp"].to_numpy()).all()
    # Inputs equal those of the original file with the missing variants at their training mean.
    same = harmonise(model, bim_of(source), source)
    same.bed_rows[np.isin(np.arange(m), [3, 4, 5, 50, 59])] = -1
    expected = genetic_inputs(source, np.arange(len(dosages)), same, weights)
    found = genetic_inputs(new_source, np.arange(len(dosages)), harmonised, weights)
    for new, old in zip(found, expected, strict=True):
        np.testing.assert_allclose(new, old, rtol=1e-5, atol=1e-4)


def test_scoring_is_refused_above_the_missing_share_and_with_no_shared_variant(reference, tmp_path):
    dosages, variants, model, _, _ = reference
    rng = np.random.default_rng(1)
    new_source, new_bim = perturbed(tmp_path, dosages, variants, rng, swap=[], strand=[], drop=np.arange(6, 20))
    harmonised = harmonise(model, new_bim, new_source)
    report(harmonised, "new.bim", max_missing_share=0.5)  # 17 of 60 missing: accepted
    with pytest.raises(RiataError, match=r"new.bim: 17 of the model's 60 variants \(28.3%\) are missing, above the "
                       r"allowed 10%"):  # fmt: skip
        report(harmonised, "new.bim", max_missing_share=0.1)
    other_build = new_bim.assign(pos=new_bim["pos"] + 17)
    with pytest.raises(RiataError, match=r"new\.bim: none of the model's 60 variants is in the file"):
        report(harmonise(model, other_build, new_source), "new.bim", max_missing_share=1.0)
