import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import require_tool

from riata.errors import RiataError
from riata.hwe import hwe_exact_pvalues
from riata.io.plink import open_plink, write_plink
from riata.io.tables import atomic_outputs
from riata.qc import apply_variant_filters, count_genotypes, run_qc, variant_statistics
from riata.settings import QcThresholds


@pytest.fixture(scope="module")
def training_half(tiny_cohort):
    genotypes = open_plink(tiny_cohort / "genotypes", block_variants=700)
    split = pd.Series(["train", "test"] * (genotypes.n_samples // 2), index=genotypes.samples["sample_id"])
    return genotypes, split


def statistics_of(genotypes, split):
    training = (split == "train").to_numpy()
    _, counts = count_genotypes(genotypes, np.arange(genotypes.n_samples), training, threads=2)
    return variant_statistics(genotypes.variants, counts)


def test_statistics_match_numpy_on_the_whole_matrix(training_half):
    genotypes, split = training_half
    statistics = statistics_of(genotypes, split)
    dosage = genotypes.dosage.compute()[(split == "train").to_numpy()]
    np.testing.assert_array_equal(statistics["n_missing"], np.isnan(dosage).sum(axis=0))
    np.testing.assert_array_equal(statistics["n_a1_2"], (dosage == 2).sum(axis=0))
    np.testing.assert_allclose(statistics["a1_freq"], np.nanmean(dosage, axis=0) / 2)
    np.testing.assert_allclose(statistics["call_rate"], 1 - np.isnan(dosage).mean(axis=0))


def test_frequencies_missingness_and_hwe_match_plink2_on_training_samples(training_half, tiny_cohort, tmp_path):
    plink2 = require_tool("plink2")
    genotypes, split = training_half
    keep = genotypes.samples[(split == "train").to_numpy()][["fid", "iid"]]
    keep.to_csv(tmp_path / "keep.txt", sep="\t", header=False, index=False)
    subprocess.run(
        [plink2, "--bfile", str(tiny_cohort / "genotypes"), "--keep", str(tmp_path / "keep.txt"),
         "--freq", "--missing", "variant-only", "--hardy", "--out", str(tmp_path / "ref")],
        check=True, capture_output=True,
    )  # fmt: skip
    frequencies = pd.read_csv(tmp_path / "ref.afreq", sep="\t")
    missing = pd.read_csv(tmp_path / "ref.vmiss", sep="\t")
    hardy = pd.read_csv(tmp_path / "ref.hardy", sep="\t")
    statistics = statistics_of(genotypes, split)
    assert (frequencies["ID"] == statistics["snp"]).all() and (hardy["ID"] == statistics["snp"]).all()
    np.testing.assert_allclose(statistics["a1_freq"], frequencies["ALT_FREQS"], atol=5e-6)
    np.testing.assert_allclose(1 - statistics["call_rate"], missing["F_MISS"], atol=5e-6)
    assert (hardy["P"] < 1e-3).sum() >= 10  # the demes make departures from HWE worth testing
    np.testing.assert_allclose(statistics["hwe_p"], hardy["P"], rtol=1e-4, atol=1e-300)


def test_hwe_exact_test_on_known_values():
    # Wigginton et al. 2005: 57 heterozygotes, 14 and 50 homozygotes (p computed by their code).
    np.testing.assert_allclose(hwe_exact_pvalues([57], [14], [50]), [0.842279757], rtol=1e-8)
    pvalues = hwe_exact_pvalues([0, 1, 0, 100, 0], [0, 0, 5, 0, 50], [0, 9, 5, 0, 50])
    assert np.isnan(pvalues[0])  # nothing called
    assert pvalues[1] == 1.0  # a single rare allele: one possible configuration
    assert pvalues[3] < 1e-25 and pvalues[4] < 1e-25  # all heterozygotes / no heterozygotes
    assert pvalues[2] < 1e-2


def test_filters_count_each_variant_under_its_first_failure():
    statistics = pd.DataFrame(
        {"call_rate": [1.0, 0.5, 0.99, 1.0, 0.4, 1.0], "maf": [0.2, 0.2, 0.0, 0.005, 0.0, 0.3],
         "hwe_p": [0.5, 0.5, 1.0, 0.5, 1.0, 1e-9]}
    )  # fmt: skip
    marked, summary = apply_variant_filters(statistics, QcThresholds(min_call_rate=0.9, min_maf=0.01, min_hwe_p=1e-6))
    assert marked["fail_reason"].tolist() == ["", "call_rate", "monomorphic", "maf", "call_rate", "hwe"]
    assert marked["pass"].tolist() == [True, False, False, False, False, False]
    assert summary["removed"].tolist() == [2, 1, 1, 1]
    assert summary["remaining"].tolist() == [4, 3, 2, 1]


def test_samples_below_the_call_rate_leave_and_are_not_counted(tiny_cohort, tmp_path):
    genotypes = open_plink(tiny_cohort / "genotypes")
    dosage = genotypes.dosage.compute()
    dosage[3, : genotypes.n_variants // 5] = np.nan  # sample 3 (training) misses 20% of its calls
    dosage[5, : genotypes.n_variants // 10] = np.nan  # sample 5 (test) misses 10%
    prefix = tmp_path / "gaps"
    with (
        atomic_outputs([f"{prefix}.bed", f"{prefix}.bim", f"{prefix}.fam"]) as (bed, bim, fam),
        write_plink(bed, bim, fam, genotypes.samples, genotypes.variants) as writer,
    ):
        for column in dosage.T:
            writer.write(column)
    gappy = open_plink(prefix)
    split = pd.Series(["train", "test"] * (gappy.n_samples // 2), index=gappy.samples["sample_id"])
    split.iloc[3], split.iloc[5] = "train", "test"
    result = run_qc(gappy, split, np.arange(gappy.n_samples), QcThresholds(min_hwe_p=0))
    assert result.samples.loc[~result.samples["pass"], "sample_id"].tolist() == [split.index[3], split.index[5]]
    assert split.index[3] not in result.split.index and len(result.split) == len(split) - 2
    training = (split == "train").to_numpy()
    training[3] = False
    expected = np.isnan(dosage[training]).sum(axis=0)
    np.testing.assert_array_equal(result.variants["n_missing"], expected)  # sample 3 not counted
    assert result.summary.iloc[0].to_dict() == {"unit": "samples", "filter": "sample_call_rate", "removed": 2,
                                                "remaining": len(split) - 2}  # fmt: skip


def test_nothing_passing_is_an_error():
    statistics = pd.DataFrame({"call_rate": [0.5], "maf": [0.3], "hwe_p": [1.0]})
    with pytest.raises(RiataError, match="qc: no variant passes quality control"):
        apply_variant_filters(statistics, QcThresholds(min_call_rate=0.9))
    with pytest.raises(RiataError, match="qc: min_hwe_p must be in"):
        QcThresholds(min_hwe_p=2).validate()
