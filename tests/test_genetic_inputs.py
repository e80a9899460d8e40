"""Inputs built from the genotypes: LD clumping equal to plink1.9 --clump, the cross-fitted polygenic score,
the SNP screen and its check over every SNP, unpenalised inputs, and projection shrinkage of PC scores."""

import subprocess

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import require_tool

from riata.embedding import GenotypeSelection, fit_pca
from riata.genetics.association import associations, null_model
from riata.genetics.ld import clump
from riata.genetics.scores import RawScores, choose_and_standardize
from riata.genetics.screen import ScreenGenotypes, fit_screened
from riata.io.plink import BedBlocks, read_bim, read_fam
from riata.penalties import Groups, penalty_value, proximal
from riata.settings import ScreenSettings, SimulationSettings, TrainSettings
from riata.simulate import simulate_cohort
from riata.tasks import Task
from riata.train import fit_penalty, group_dual_norms


def training_p_values(cohort) -> np.ndarray:
    train, y = cohort["train"], cohort["outcomes"]["logistic"]
    model = null_model("logistic", y[train], cohort["covariates"][train], np.arange(len(train)))
    blocks = associations(cohort["source"], train, np.arange(len(cohort["bim"])), [model])
    return np.vstack([result[0] for _, result in blocks])[:, 4]


def test_clumping_equals_plink19_clump(signal_cohort, tmp_path):
    plink = require_tool("plink1.9")
    bim, fam, train = signal_cohort["bim"], signal_cohort["fam"], signal_cohort["train"]
    p_values = training_p_values(signal_cohort)
    pd.DataFrame({"SNP": bim["snp"], "P": p_values}).to_csv(tmp_path / "assoc.txt", sep="\t", index=False)
    fam.iloc[train][["fid", "iid"]].to_csv(tmp_path / "keep.txt", sep="\t", index=False, header=False)
    subprocess.run([plink, "--bfile", str(signal_cohort["folder"] / "genotypes"), "--keep", str(tmp_path / "keep.txt"),
                    "--clump", str(tmp_path / "assoc.txt"), "--clump-p1", "0.2", "--clump-p2", "0.2", "--clump-r2",
                    "0.1", "--clump-kb", "250", "--out", str(tmp_path / "clumped")],
                   check=True, capture_output=True)  # fmt: skip
    theirs = set(pd.read_csv(tmp_path / "clumped.clumped", sep=r"\s+")["SNP"])
    ours = set()
    for chromosome in bim["chrom"].unique():
        candidates = np.flatnonzero((bim["chrom"] == chromosome).to_numpy() & (p_values <= 0.2))
        codes = signal_cohort["source"].read_codes(train, candidates)[0].T
        index = clump(bim["pos"].to_numpy()[candidates], p_values[candidates], codes, r2=0.1, window_bp=250_000)
        ours |= set(bim["snp"].to_numpy()[candidates][index])
    assert len(theirs) > 50
    assert ours == theirs


def test_training_samples_get_the_score_of_the_gwas_without_their_fold():
    """Every GWAS's score is standardized over the training samples; fold f's training samples take the
    score of GWAS f + 1 (fitted without fold f); held-out samples take the full GWAS's."""
    rng = np.random.default_rng(0)
    split = np.array(["train"] * 9 + ["validation"] * 4 + ["test"] * 3)
    folds = np.array([0, 1, 2] * 3)
    scores = rng.normal(size=(4, len(split), 2))  # full GWAS, then three folds; two cut-offs
    scores[0, split == "validation", 1] = [-2, -1, 1, 2]
    scores[0, split == "validation", 0] = [2, -1, 1, -2]
    outcome = (scores[0, :, 1] > 0).astype(int)
    candidates = pd.DataFrame({"method": "ct", "parameter": [0.01, 0.1]})
    raw = RawScores(candidates, scores, np.array([[3, 5]] * 4), np.zeros((10, 2)))
    result = choose_and_standardize(raw, "binary", outcome, split, folds)
    assert result.chosen == 1  # the full score at the second cut-off predicts the validation outcome exactly
    training = split == "train"
    for fold in range(3):
        own = scores[fold + 1][training, 1]
        expected = (own - own.mean()) / own.std()
        np.testing.assert_allclose(result.score[training][folds == fold], expected[folds == fold])
    full = scores[0][:, 1]
    np.testing.assert_allclose(
        result.score[~training], (full[~training] - full[training].mean()) / full[training].std()
    )


def screen_setting(signal_cohort, effect_snp):
    """A continuous outcome driven by one common SNP that the GWAS given to the screen ranks last."""
    fam, bim, train = signal_cohort["fam"], signal_cohort["bim"], signal_cohort["train"]
    rng = np.random.default_rng(2)
    dosage = np.nan_to_num(signal_cohort["dosage"][:, effect_snp])
    y = (dosage - dosage.mean()) / dosage.std() + 0.5 * rng.normal(size=len(fam))
    ids = fam["sample_id"].to_numpy()
    held_out = np.setdiff1d(np.arange(len(fam)), train)
    split_rows = {"train": train, "validation": held_out[:100], "test": held_out[100:]}
    tables = {split: pd.DataFrame({"outcome": y[rows], "AGE": rng.normal(size=len(rows))},
                                  index=pd.Index(ids[rows], name="sample_id"))
              for split, rows in split_rows.items()}  # fmt: skip
    columns = pd.DataFrame({"column": ["AGE"], "variable": ["AGE"], "source": ["clinical"]})
    frequency = np.nanmean(signal_cohort["dosage"][train], axis=0) / 2
    p_values = np.linspace(1e-8, 0.5, len(bim))
    p_values[effect_snp] = 1.0
    gwas = bim[["snp", "chrom", "pos"]].assign(a1_freq=frequency, p=p_values)
    genotypes = ScreenGenotypes(signal_cohort["source"], pd.Series(np.arange(len(fam)), index=ids), gwas,
                                np.arange(len(bim)))  # fmt: skip
    return tables, columns, genotypes


def test_the_screen_check_finds_a_snp_left_out_and_widens_the_screen(signal_cohort):
    frequency = np.nanmean(signal_cohort["dosage"], axis=0) / 2
    effect_snp = int(np.argmax(np.minimum(frequency, 1 - frequency)))
    tables, columns, genotypes = screen_setting(signal_cohort, effect_snp)
    settings = TrainSettings(
        hidden_layers=(4,), max_epochs=60, patience=10, n_lambdas=4, learning_rate=0.05, lambda_rule="one_se"
    )  # as the test was built: the sparse choice keeps the found SNP
    common = {"feature_set": "clinical_snps", "penalty": "group_lasso", "task": Task("continuous"), "seeds": [1],
              "settings": settings}  # fmt: skip
    narrow = fit_screened(tables, columns, genotypes, screen=ScreenSettings(size=20, rounds=0), **common)
    assert narrow.rounds == 1 and narrow.violations[1] > 0  # the screen missed the SNP, and the check says so
    assert signal_cohort["bim"]["snp"][effect_snp] not in set(narrow.columns["variable"])
    widened = fit_screened(tables, columns, genotypes, screen=ScreenSettings(size=20, rounds=3), **common)
    assert widened.rounds >= 2 and widened.screened > 20
    assert signal_cohort["bim"]["snp"][effect_snp] in widened.results[0].selected  # found, and kept


def test_group_dual_norms_per_group_and_with_penalty_factors():
    gradient = torch.tensor([[[3.0, -4.0], [1.0, 0.5], [-2.0, 0.0]]], dtype=torch.float64)  # 1 model, 3 rows
    groups = Groups.from_labels(["a", "b", "b"])
    np.testing.assert_allclose(group_dual_norms("l1", gradient, groups, 0.5), [[4.0, 2.0]])
    np.testing.assert_allclose(group_dual_norms("elastic_net", gradient, groups, 0.5), [[8.0, 4.0]])
    np.testing.assert_allclose(group_dual_norms("group_lasso", gradient, groups, 0.5),
                               [[5.0 / np.sqrt(2), np.sqrt(5.25) / 2]])  # fmt: skip
    unpenalised = Groups.from_labels(["a", "b", "b"], {"a"})
    assert group_dual_norms("group_lasso", gradient, unpenalised, 0.5)[0, 0] == 0  # never needs a lambda
    weights = torch.ones(1, 3, 2, dtype=torch.float64)
    shrunk = proximal("l1", weights, torch.tensor([0.5]), unpenalised, 0.5)
    assert (shrunk[0, 0] == 1).all() and (shrunk[0, 1:] == 0.5).all()
    assert penalty_value("l1", weights, torch.tensor([1.0]), unpenalised, 0.5).item() == 4.0


def test_unpenalised_inputs_are_always_kept_and_lambda_max_empties_the_others():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 4))
    y = (x[:, 0] + 0.8 * x[:, 1] + rng.normal(size=300) > 0).astype(int)
    tables = {split: pd.DataFrame(x[rows], columns=["x0", "x1", "x2", "x3"]).assign(outcome=y[rows])
              for split, rows in {"train": slice(0, 200), "validation": slice(200, 250),
                                  "test": slice(250, 300)}.items()}  # fmt: skip
    columns = pd.DataFrame({"column": ["x0", "x1", "x2", "x3"], "variable": ["x0", "x1", "x2", "x3"]})
    settings = TrainSettings(hidden_layers=(4,), max_epochs=80, patience=15, n_lambdas=5, unpenalised=("x0",),
                             learning_rate=0.05)  # fmt: skip
    result = fit_penalty(tables, columns, task=Task("binary"), penalty="group_lasso", seeds=[1], settings=settings)[0]
    path = result.path
    assert path["selected"].str.split(";").map(lambda kept: "x0" in kept).all()  # x0 at every lambda
    assert path.loc[path["lambda"].idxmax(), "selected"] == "x0"  # the top of the path keeps x0 alone


@pytest.fixture(scope="module")
def wide_cohort(tmp_path_factory):
    """300 samples x 20,000 SNPs in two demes: many more variants than training samples."""
    folder = tmp_path_factory.mktemp("wide")
    simulate_cohort(SimulationSettings(n_samples=300, n_snps=20_000, n_demes=2, migration_rate=5e-5, seed=4), folder)
    fam, bim = read_fam(folder / "genotypes.fam"), read_bim(folder / "genotypes.bim")
    return BedBlocks(folder / "genotypes.bed", len(fam), len(bim)), len(fam)


def test_projection_shrinkage_is_measured_on_training_samples_and_corrected(wide_cohort):
    source, n_samples = wide_cohort
    train = np.arange(n_samples) % 3 != 0  # two thirds train
    train_rows, held_out = np.flatnonzero(train), np.flatnonzero(~train)
    dosage = source.read(train_rows, np.arange(source.n_variants))
    frequency = np.nanmean(dosage, axis=0) / 2
    kept = np.flatnonzero((frequency > 0.02) & (frequency < 0.98))
    genotypes = GenotypeSelection(source, train_rows, held_out, kept, frequency[kept])
    common = {"n_components": 4, "write_loadings": lambda *_: None, "algorithm": "relationship"}
    plain, corrected = fit_pca(genotypes, **common), fit_pca(genotypes, shrinkage_folds=5, **common)

    def ratio(embedding):
        return (embedding.other_scores**2).mean(axis=0) / embedding.train_scores.var(axis=0)

    assert ratio(plain).mean() < 0.75  # new samples' scores shrink towards zero
    assert 0.8 < ratio(corrected).mean() < 1.25 and (corrected.shrinkage < 1).all()
    np.testing.assert_array_equal(plain.train_scores, corrected.train_scores)  # training scores as they were


def test_heat_maps_show_the_kept_snps_first_and_something_when_none_is_kept():
    from riata.plots import shown_rows

    inputs = pd.DataFrame({"column": ["1:10", "1:20", "1:30", "AGE"], "variable": ["1:10", "1:20", "1:30", "AGE"],
                           "source": ["snp", "snp", "snp", "clinical"]})  # fmt: skip
    layer = pd.DataFrame([[0.0, 0.0], [0.1, -0.2], [0.5, 0.0], [1.0, 1.0]], index=inputs["column"])
    title, shown = shown_rows("group lasso", layer, inputs)
    assert shown.index.tolist() == ["1:30", "1:20", "AGE"] and title.endswith("2 of 3 SNPs kept")
    snps_only = inputs.iloc[:3]
    title, shown = shown_rows("l1", layer.iloc[:3] * 0, snps_only)
    assert len(shown) == 3 and title.endswith("0 of 3 SNPs kept")
