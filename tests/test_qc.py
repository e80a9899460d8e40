import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import require_tool

from riata.errors import RiataError
from riata.io.plink import open_plink
from riata.qc import apply_variant_filters, variant_statistics


@pytest.fixture(scope="module")
def training_half(tiny_cohort):
    genotypes = open_plink(tiny_cohort / "genotypes", block_variants=700)
    return genotypes, np.arange(0, genotypes.n_samples, 2)


def test_statistics_match_numpy_on_the_whole_matrix(training_half):
    genotypes, train = training_half
    statistics = variant_statistics(genotypes, train, threads=2)
    dosage = genotypes.dosage.compute()[train]
    np.testing.assert_array_equal(statistics["n_missing"], np.isnan(dosage).sum(axis=0))
    np.testing.assert_array_equal(statistics["n_a1_2"], (dosage == 2).sum(axis=0))
    np.testing.assert_allclose(statistics["a1_freq"], np.nanmean(dosage, axis=0) / 2)
    np.testing.assert_allclose(statistics["call_rate"], 1 - np.isnan(dosage).mean(axis=0))


def test_frequencies_and_missingness_match_plink2_on_training_samples(training_half, tiny_cohort, tmp_path):
    plink2 = require_tool("plink2")
    genotypes, train = training_half
    keep = genotypes.samples.iloc[train][["fid", "iid"]]
    keep.to_csv(tmp_path / "keep.txt", sep="\t", header=False, index=False)
    subprocess.run(
        [plink2, "--bfile", str(tiny_cohort / "genotypes"), "--keep", str(tmp_path / "keep.txt"),
         "--freq", "--missing", "variant-only", "--out", str(tmp_path / "ref")],
        check=True, capture_output=True,
    )  # fmt: skip
    frequencies = pd.read_csv(tmp_path / "ref.afreq", sep="\t")
    missing = pd.read_csv(tmp_path / "ref.vmiss", sep="\t")
    statistics = variant_statistics(genotypes, train)
    assert (frequencies["ID"] == statistics["snp"]).all()
    np.testing.assert_allclose(statistics["a1_freq"], frequencies["ALT_FREQS"], atol=5e-6)
    np.testing.assert_allclose(1 - statistics["call_rate"], missing["F_MISS"], atol=5e-6)


def test_filters_count_each_variant_under_its_first_failure():
    statistics = pd.DataFrame({"call_rate": [1.0, 0.5, 0.99, 1.0, 0.4], "maf": [0.2, 0.2, 0.0, 0.005, 0.0]})
    marked, summary = apply_variant_filters(statistics, min_call_rate=0.9, min_maf=0.01)
    assert marked["fail_reason"].tolist() == ["", "call_rate", "monomorphic", "maf", "call_rate"]
    assert marked["pass"].tolist() == [True, False, False, False, False]
    assert summary.to_dict("list") == {
        "filter": ["call_rate", "monomorphic", "maf"],
        "removed": [2, 1, 1],
        "remaining": [3, 2, 1],
    }


def test_nothing_passing_is_an_error():
    statistics = pd.DataFrame({"call_rate": [0.5], "maf": [0.3]})
    with pytest.raises(RiataError, match="qc: no variant passes quality control"):
        apply_variant_filters(statistics, min_call_rate=0.9, min_maf=0.01)
