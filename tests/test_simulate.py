import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_COHORT, require_tool

from riata.errors import RiataError
from riata.io.plink import open_plink
from riata.settings import SimulationSettings
from riata.simulate import (
    CATEGORICAL_VARIABLES,
    CLINICAL_EFFECTS,
    EXTERNAL_COHORTS,
    NUMERIC_VARIABLES,
    fit_outcome_model,
    intercept_for_prevalence,
    simulate_clinical,
    simulate_cohort,
)


def test_writes_the_cohort_files_with_the_expected_shape(tiny_cohort):
    clinical = pd.read_csv(tiny_cohort / "clinical.tsv", sep="\t")
    assert list(clinical.columns[:2]) == ["sample_id", "CHD"]
    assert sorted(clinical.columns[2:]) == sorted([*NUMERIC_VARIABLES, *CATEGORICAL_VARIABLES])
    assert len(clinical) == TINY_COHORT.n_samples
    assert set(clinical["CHD"]) == {0, 1}
    assert clinical["GLUCOSE"].isna().any() and not clinical["AGE"].isna().any()
    assert clinical["AGE"].between(32, 70).all()
    assert set(clinical["favorite_color"].dropna()) <= {"red", "green", "blue", "yellow", "purple"}

    genotypes = open_plink(tiny_cohort / "genotypes")
    assert genotypes.n_samples == TINY_COHORT.n_samples
    assert genotypes.n_variants == TINY_COHORT.n_snps
    assert genotypes.samples["iid"].tolist() == clinical["sample_id"].tolist()
    assert sorted(genotypes.variants["chrom"].unique()) == ["1", "2"]
    dosage = genotypes.dosage.compute()
    assert set(np.unique(dosage[~np.isnan(dosage)])) == {0.0, 1.0, 2.0}
    assert 0 < np.isnan(dosage).mean() < 0.01


def test_truth_lists_every_clinical_variable_and_the_causal_snps(tiny_cohort):
    truth = pd.read_csv(tiny_cohort / "truth.tsv", sep="\t")
    clinical = truth[truth["kind"] == "clinical"].set_index("variable")
    assert set(clinical.index) == set(NUMERIC_VARIABLES) | set(CATEGORICAL_VARIABLES)
    assert clinical["effect_per_sd"].abs().idxmax() == "AGE"
    assert (clinical.loc[["favorite_color", "favorite_animal", "lucky_number"], "role"] == "noise").all()
    snps = truth[truth["kind"] == "snp"]
    assert len(snps) == TINY_COHORT.n_causal_snps and (snps["role"] == "causal").all()
    bim_ids = set(open_plink(tiny_cohort / "genotypes").variants["snp"])
    assert set(snps["variable"]) <= bim_ids


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path):
    settings = SimulationSettings(n_samples=40, n_snps=300, n_causal_snps=5, seed=11)
    simulate_cohort(settings, tmp_path / "a")
    simulate_cohort(settings, tmp_path / "b")
    simulate_cohort(SimulationSettings(n_samples=40, n_snps=300, n_causal_snps=5, seed=12), tmp_path / "c")
    for name in ["clinical.tsv", "truth.tsv", "genotypes.bed", "genotypes.bim", "genotypes.fam"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "genotypes.bed").read_bytes() != (tmp_path / "c" / "genotypes.bed").read_bytes()


def test_age_is_the_strongest_clinical_predictor_of_chd(tmp_path):
    simulate_cohort(SimulationSettings(n_samples=2000, n_snps=200, n_causal_snps=10, seed=5), tmp_path)
    clinical = pd.read_csv(tmp_path / "clinical.tsv", sep="\t")
    numeric = [v for v in NUMERIC_VARIABLES if CLINICAL_EFFECTS[v] != 0]
    correlations = clinical[numeric].corrwith(clinical["CHD"]).abs()
    assert correlations.idxmax() == "AGE"
    assert abs(clinical["CHD"].mean() - 0.25) < 0.04
    assert abs(clinical[["lucky_number"]].corrwith(clinical["CHD"]).iloc[0]) < 0.08


def test_intercept_reaches_the_requested_prevalence():
    predictor = np.random.default_rng(0).normal(size=10_000)
    intercept = intercept_for_prevalence(predictor, 0.1)
    assert abs((1 / (1 + np.exp(-(intercept + predictor)))).mean() - 0.1) < 1e-9


def test_plink2_reads_the_simulated_fileset(tiny_cohort, tmp_path):
    plink2 = require_tool("plink2")
    result = subprocess.run(
        [plink2, "--bfile", str(tiny_cohort / "genotypes"), "--freq", "--out", str(tmp_path / "ref")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
    frequencies = pd.read_csv(tmp_path / "ref.afreq", sep="\t")
    assert len(frequencies) == TINY_COHORT.n_snps
    assert frequencies["ALT_FREQS"].between(0.005, 0.995).all()


def test_equal_effects_and_the_genetic_liability(tmp_path):
    settings = SimulationSettings(n_samples=400, n_snps=500, n_causal_snps=8, genetic_share=0.3, snp_effects="equal",
                                  seed=6)  # fmt: skip
    simulate_cohort(settings, tmp_path)
    truth = pd.read_csv(tmp_path / "truth.tsv", sep="\t")
    effects = truth.loc[truth["kind"] == "snp", "effect_per_sd"].abs()
    assert len(effects) == 8 and np.allclose(effects, effects.iloc[0])
    liability = pd.read_csv(tmp_path / "liability.tsv", sep="\t")
    clinical = pd.read_csv(tmp_path / "clinical.tsv", sep="\t")
    assert liability["sample_id"].tolist() == clinical["sample_id"].tolist()
    assert abs(liability["genetic_liability"].mean()) < 1e-6 and liability["genetic_liability"].std() > 0.1
    cases = clinical["CHD"] == 1
    assert liability.loc[cases, "genetic_liability"].mean() > liability.loc[~cases, "genetic_liability"].mean()


def test_bad_settings_are_refused():
    with pytest.raises(RiataError, match="simulate: prevalence must be in"):
        SimulationSettings(prevalence=1.5).validate()


def test_tabular_demos_write_a_table_and_its_truth(tmp_path):
    from riata.simulate import simulate

    simulate(SimulationSettings(kind="multiclass", n_samples=280, seed=3), tmp_path / "multiclass")
    table = pd.read_csv(tmp_path / "multiclass" / "clinical.tsv", sep="\t")
    assert list(table.columns) == ["sample_id", "class"] + [f"x{j}" for j in range(10)]
    assert set(table["class"]) == {"c0", "c1", "c2", "c3"}
    truth = pd.read_csv(tmp_path / "multiclass" / "truth.tsv", sep="\t")
    assert truth.loc[truth["role"] == "causal", "variable"].tolist() == ["x0", "x1", "x2", "x3"]
    assert not (tmp_path / "multiclass" / "genotypes.bed").exists()

    simulate(SimulationSettings(kind="line", n_samples=200, seed=4), tmp_path / "line")
    line = pd.read_csv(tmp_path / "line" / "clinical.tsv", sep="\t")
    residual = line["y"] - (2 * line["x"] + 1)
    assert (residual.abs() > 2.5).mean() == pytest.approx(0.1, abs=0.05)  # the outliers
    assert residual[residual.abs() < 2.5].std() == pytest.approx(0.3, abs=0.05)


def test_a_chromosome_short_of_common_snps_is_simulated_again_longer(tmp_path):
    # With this seed the first segment of a chromosome has too few common SNPs; the longer retry must
    # still be a whole number of bases (msprime's discrete genome refused 1.5 x an odd length).
    settings = SimulationSettings(n_samples=40, n_snps=200, n_causal_snps=3, genetic_share=0.0, seed=3)
    simulate_cohort(settings, tmp_path)
    assert open_plink(tmp_path / "genotypes").n_variants == 200


EXTERNAL = SimulationSettings(n_samples=100, n_snps=500, n_demes=2, n_causal_snps=5, external_samples=300, seed=11)


@pytest.fixture(scope="module")
def external_cohorts(tmp_path_factory):
    """A 100 x 500 cohort and its two external cohorts of 300 samples each."""
    folder = tmp_path_factory.mktemp("external_cohorts")
    simulate_cohort(EXTERNAL, folder)
    return folder


def read_tsv(path):
    return pd.read_csv(path, sep="\t")


def test_external_cohorts_have_the_requested_size_and_ids_of_their_own(external_cohorts):
    main = read_tsv(external_cohorts / "clinical.tsv")
    seen = set(main["sample_id"])
    for cohort in EXTERNAL_COHORTS:
        folder = external_cohorts / cohort.folder
        clinical = read_tsv(folder / "clinical.tsv")
        assert list(clinical.columns) == list(main.columns)
        assert len(clinical) == EXTERNAL.external_samples
        assert clinical["sample_id"].str.startswith(cohort.id_prefix).all()
        assert not seen & set(clinical["sample_id"])
        seen |= set(clinical["sample_id"])
        assert open_plink(folder / "genotypes").samples["iid"].tolist() == clinical["sample_id"].tolist()
        assert read_tsv(folder / "liability.tsv")["sample_id"].tolist() == clinical["sample_id"].tolist()


def test_external_genotypes_need_harmonising_and_then_match_the_main_population(external_cohorts):
    main = open_plink(external_cohorts / "genotypes")
    main_bim = main.variants.set_index("snp")
    main_frequencies = pd.Series(np.nanmean(main.dosage.compute(), axis=0) / 2, index=main_bim.index)
    for cohort in EXTERNAL_COHORTS:
        harmonisation = read_tsv(external_cohorts / cohort.folder / "harmonisation.tsv").set_index("snp")
        assert harmonisation.index.tolist() == main_bim.index.tolist()
        missing_share = harmonisation["missing"].mean()
        assert missing_share == pytest.approx(EXTERNAL.external_missing_share, abs=1 / EXTERNAL.n_snps)
        external = open_plink(external_cohorts / cohort.folder / "genotypes")
        bim = external.variants.set_index("snp")
        assert set(bim.index) == set(harmonisation.index[~harmonisation["missing"]])
        main_order = main_bim.index.get_indexer(bim.index)
        assert (np.diff(main_order) < 0).sum() > len(bim) / 4  # shuffled, not merely by chromosome
        assert (bim["chrom"] != bim["chrom"].shift()).sum() > len(bim) / 4
        swapped = harmonisation.loc[bim.index, "swapped"].to_numpy()
        assert swapped.mean() == pytest.approx(EXTERNAL.external_swap_share, abs=1 / len(bim))
        main_alleles = main_bim.loc[bim.index, ["a1", "a2"]].to_numpy()
        reversed_where_swapped = np.where(swapped[:, None], main_alleles[:, ::-1], main_alleles)
        assert (bim[["a1", "a2"]].to_numpy() == reversed_where_swapped).all()
        written = np.nanmean(external.dosage.compute(), axis=0) / 2
        undone = np.where(swapped, 1 - written, written)
        expected = main_frequencies.loc[bim.index].to_numpy()
        assert np.corrcoef(undone, expected)[0, 1] > 0.95
        assert np.corrcoef(written, expected)[0, 1] < 0.8  # without undoing the swaps the populations differ


def test_external_cohorts_share_the_outcome_model_and_the_shifted_one_is_older_with_more_cases(external_cohorts):
    main = read_tsv(external_cohorts / "clinical.tsv")
    external, shifted = (read_tsv(external_cohorts / c.folder / "clinical.tsv") for c in EXTERNAL_COHORTS)
    assert external["CHD"].mean() == pytest.approx(EXTERNAL.prevalence, abs=0.07)
    assert shifted["AGE"].mean() - external["AGE"].mean() == pytest.approx(8, abs=1.5)
    assert shifted["SYSBP"].mean() - external["SYSBP"].mean() > 8
    assert shifted["CHD"].mean() > external["CHD"].mean() + 0.1
    assert main["AGE"].between(32, 70).all() and shifted["AGE"].between(40, 78).all()
    main_liability = read_tsv(external_cohorts / "liability.tsv")["genetic_liability"]
    liability = read_tsv(external_cohorts / "external" / "liability.tsv")["genetic_liability"]
    assert abs(liability.mean()) < 0.5 * main_liability.std()
    assert 0.6 < liability.std() / main_liability.std() < 1.6


def test_survival_external_cohorts_have_follow_up_and_the_same_seed_gives_the_same_files(tmp_path):
    settings = SimulationSettings(n_samples=60, n_snps=300, n_causal_snps=3, outcome_type="survival",
                                  external_samples=200, seed=4)  # fmt: skip
    simulate_cohort(settings, tmp_path / "a")
    simulate_cohort(settings, tmp_path / "b")
    columns = list(read_tsv(tmp_path / "a" / "clinical.tsv").columns)
    assert columns[:3] == ["sample_id", "CHD", "TIMECHD"]
    external, shifted = (read_tsv(tmp_path / "a" / c.folder / "clinical.tsv") for c in EXTERNAL_COHORTS)
    assert list(external.columns) == columns and list(shifted.columns) == columns
    assert external["TIMECHD"].between(0, settings.follow_up).all()
    assert shifted["CHD"].mean() > external["CHD"].mean() + 0.1
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 6 + 2 * 6
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


# md5 of each file of a small cohort as simulated before external cohorts existed (pinned msprime, numpy,
# bed-reader): without external samples the main cohort must stay the same byte for byte. A deliberate
# change to the simulation updates these.


def test_without_external_samples_no_external_cohort_is_written(tiny_cohort):
    assert not (tiny_cohort / "external").exists() and not (tiny_cohort / "external_shifted").exists()


def test_a_clinical_variable_constant_in_a_small_cohort_adds_nothing():
    rng = np.random.default_rng(0)
    clinical = simulate_clinical(50, rng).assign(BPMEDS=0.0)  # nobody treated, as often in 20 to 60 samples
    model = fit_outcome_model(clinical, np.empty((50, 0), dtype=np.float32), SimulationSettings(), rng)
    assert np.isfinite(model.clinical_part(clinical)).all() and np.isfinite(model.baseline)


def test_the_clinical_effect_scale_reaches_the_truth_and_the_outcome(tmp_path):
    from riata.cli import main

    for scale in ("1", "2"):
        options = ["--n-samples", "1000", "--n-snps", "100", "--n-causal-snps", "0", "--genetic-share", "0"]
        assert main(["simulate", "--out", str(tmp_path / scale), *options, "--clinical-effect-scale", scale]) == 0
    truth = {s: pd.read_csv(tmp_path / s / "truth.tsv", sep="\t").set_index("variable") for s in ("1", "2")}
    np.testing.assert_allclose(truth["2"]["effect_per_sd"], 2 * truth["1"]["effect_per_sd"])
    age_signal = {s: pd.read_csv(tmp_path / s / "clinical.tsv", sep="\t")[["AGE", "CHD"]].corr().iloc[0, 1]
                  for s in ("1", "2")}  # fmt: skip
    assert age_signal["2"] > age_signal["1"] + 0.05
