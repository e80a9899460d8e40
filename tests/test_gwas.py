"""The training GWAS: linear regression equal to plink2 --glm, the logistic score test close to plink2's Wald
test, cross-fitting folds, and nothing learnt from validation or test samples."""

import subprocess
import sys

import numpy as np
import pandas as pd
from conftest import require_tool

from riata.genetics.association import associations, null_model
from riata.io.tables import read_table


def riata_tests(cohort, kind: str) -> pd.DataFrame:
    train, y = cohort["train"], cohort["outcomes"][kind]
    model = null_model(kind, y[train], cohort["covariates"][train], np.arange(len(train)))
    blocks = associations(cohort["source"], train, np.arange(len(cohort["bim"])), [model], block_variants=512,
                          threads=2)  # fmt: skip
    results = np.vstack([result[0] for _, result in blocks])
    return pd.DataFrame(results, columns=["n", "beta", "se", "statistic", "p"]).assign(ID=cohort["bim"]["snp"])


def plink2_glm(cohort, kind: str, folder) -> pd.DataFrame:
    """plink2 --glm on the same training samples and covariates; A1 is the .bim's 5th column (omit-ref)."""
    plink2 = require_tool("plink2")
    fam, y = cohort["fam"], cohort["outcomes"][kind]
    ids = pd.DataFrame({"FID": fam["fid"], "IID": fam["iid"]})
    ids.iloc[cohort["train"]].to_csv(folder / "keep.txt", sep="\t", index=False, header=False)
    ids.assign(y=y if kind == "linear" else y + 1).to_csv(folder / "pheno.txt", sep="\t", index=False)  # 1/2 coded
    ids.assign(**{f"c{j}": cohort["covariates"][:, j] for j in range(3)}).to_csv(folder / "covar.txt", sep="\t",
                                                                                 index=False)  # fmt: skip
    modifiers = ["hide-covar", "omit-ref"] + (["no-firth"] if kind == "logistic" else [])
    subprocess.run([plink2, "--bfile", str(cohort["folder"] / "genotypes"), "--keep", str(folder / "keep.txt"),
                    "--pheno", str(folder / "pheno.txt"), "--covar", str(folder / "covar.txt"), "--glm", *modifiers,
                    "--threads", "2", "--out", str(folder / "out")], check=True, capture_output=True)  # fmt: skip
    suffix = "linear" if kind == "linear" else "logistic"
    return pd.read_csv(folder / f"out.y.glm.{suffix}", sep="\t")


def test_linear_regression_equals_plink2_glm(signal_cohort, tmp_path):
    theirs = plink2_glm(signal_cohort, "linear", tmp_path)
    both = theirs.merge(riata_tests(signal_cohort, "linear"), on="ID")
    assert len(both) == len(signal_cohort["bim"]) and (both["A1"] == both["ALT"]).all()
    assert (both["OBS_CT"] == both["n"]).all()  # each SNP on its called training samples
    assert both["n"].min() < 600  # some SNPs have missing calls
    np.testing.assert_allclose(both["beta"], both["BETA"], rtol=2e-5, atol=1e-9)  # plink2 prints 6 digits
    np.testing.assert_allclose(both["se"], both["SE"], rtol=2e-5)
    np.testing.assert_allclose(both["statistic"], both["T_STAT"], rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(np.log10(both["p"]), np.log10(both["P"]), atol=1e-4)
    assert both["P"].idxmin() == signal_cohort["causal"] and both["P"].min() < 1e-6  # the outcome's SNP


def test_logistic_score_test_follows_plink2s_wald_test(signal_cohort, tmp_path):
    """Score and Wald tests are asymptotically equal, not identical: measured on common SNPs (training MAF
    >= 0.05), 99% of SNPs agree within 0.15 in log10 p, all within 0.3, and betas within 0.05 SE (median)."""
    theirs = plink2_glm(signal_cohort, "logistic", tmp_path)
    both = theirs.merge(riata_tests(signal_cohort, "logistic"), on="ID")
    frequency = np.nanmean(signal_cohort["dosage"][signal_cohort["train"]], axis=0) / 2
    common = (np.minimum(frequency, 1 - frequency) >= 0.05)[: len(both)]
    assert (both["OBS_CT"] == both["n"]).all()
    difference = np.abs(np.log10(both["p"]) - np.log10(both["P"]))[common]
    assert difference.quantile(0.99) < 0.15 and difference.max() < 0.3
    log_odds = np.log(both["OR"])
    assert (np.abs(both["beta"] - log_odds) / both["LOG(OR)_SE"])[common].median() < 0.05
    significant = both["P"] < 0.01
    assert (np.sign(both["beta"]) == np.sign(log_odds))[significant].all()
    assert pd.Series(both["p"]).corr(both["P"], method="spearman") > 0.999


def test_a_folds_complement_is_tested_as_its_own_sample_set(signal_cohort):
    train, y = signal_cohort["train"], signal_cohort["outcomes"]["logistic"]
    x = signal_cohort["covariates"][train]
    kept = np.arange(0, len(train), 3)
    together = [null_model("logistic", y[train], x, np.arange(len(train))),
                null_model("logistic", y[train][kept], x[kept], kept)]  # fmt: skip
    alone = null_model("logistic", y[train][kept], x[kept], np.arange(len(kept)))
    variants = np.arange(400)
    blocks = associations(signal_cohort["source"], train, variants, together, block_variants=128)
    paired = np.vstack([r[1] for _, r in blocks])
    single = np.vstack([r[0] for _, r in associations(signal_cohort["source"], train[kept], variants, [alone])])
    np.testing.assert_allclose(paired, single, rtol=1e-9, equal_nan=True)


def riata(*arguments):
    result = subprocess.run([sys.executable, "-m", "riata", *map(str, arguments)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result


def gwas_chain(clinical, genotypes, split, work):
    """qc -> embed -> features -> gwas (2 principal components, AGE, 3 folds) -> score, on a given split."""
    common = ["--id-column", "sample_id", "--outcome", "CHD"]
    riata("qc", "--genotypes", genotypes, "--split", split, "--out-dir", work / "qc")
    riata("embed", "--genotypes", genotypes, "--qc", work / "qc", "--n-components", "4", "--out-components",
          work / "components.tsv", "--out-loadings", work / "loadings.parquet", "--out-eigenvalues",
          work / "eigenvalues.tsv")  # fmt: skip
    riata("features", "--clinical", clinical, *common, "--numeric", "AGE", "SYSBP", "--split",
          work / "qc" / "split.tsv", "--components", work / "components.tsv",
          "--out-dir", work / "features")  # fmt: skip
    riata("gwas", "--genotypes", genotypes, "--qc", work / "qc", "--features", work / "features",
          "--principal-components", "2", "--covariates", "AGE", "--folds", "3", "--out", work / "gwas.parquet",
          "--out-folds", work / "folds.tsv", "--out-fold-associations", work / "folds.parquet")  # fmt: skip
    riata("score", "--genotypes", genotypes, "--qc", work / "qc", "--features", work / "features", "--gwas",
          work / "gwas.parquet", "--folds", work / "folds.tsv", "--fold-associations", work / "folds.parquet",
          "--p-values", "0.001", "0.01", "0.1", "0.5", "--out-scores", work / "prs.tsv", "--out-weights",
          work / "weights.tsv", "--out-candidates", work / "candidates.tsv")  # fmt: skip
    names = ["gwas.parquet", "folds.tsv", "folds.parquet", "prs.tsv", "weights.tsv", "candidates.tsv"]
    return dict(zip(names, (read_table(work / name, dtype={"sample_id": str}) for name in names), strict=True))


def changed_copy(tiny_cohort, split_table, work, samples):
    """The tiny cohort with other outcomes and random genotypes for ``samples``, through the chain."""
    work.mkdir()
    clinical = pd.read_csv(tiny_cohort / "clinical.tsv", sep="\t")
    changed = clinical["sample_id"].isin(samples)
    clinical.loc[changed, "CHD"] = 1 - clinical.loc[changed, "CHD"]
    clinical.to_csv(work / "clinical.tsv", sep="\t", index=False)
    scramble_genotypes(tiny_cohort / "genotypes", work / "genotypes", samples)
    return gwas_chain(work / "clinical.tsv", work / "genotypes", split_table, work)


def test_held_out_samples_change_nothing_fitted_on_training_samples(tiny_cohort, tmp_path):
    """The GWAS, its folds, the clumping (index SNPs at every cut-off) and the training scores' fit do not
    see validation or test samples; the validation outcomes choose the cut-off, the test samples nothing."""
    split_table = tmp_path / "split.tsv"
    riata("split", "--clinical", tiny_cohort / "clinical.tsv", "--id-column", "sample_id", "--outcome", "CHD",
          "--out", split_table)  # fmt: skip
    (tmp_path / "original").mkdir()
    original = gwas_chain(tiny_cohort / "clinical.tsv", tiny_cohort / "genotypes", split_table, tmp_path / "original")
    assert list(original["gwas.parquet"].columns) == ["snp", "chrom", "pos", "a1", "a2", "a1_freq", "n", "beta", "se",
                                                      "statistic", "p"]  # fmt: skip
    assert list(original["folds.parquet"].columns) == ["snp", "beta_0", "p_0", "beta_1", "p_1", "beta_2", "p_2"]
    counts = original["folds.tsv"]["fold"].value_counts()
    assert sorted(counts.index) == [0, 1, 2] and counts.max() - counts.min() <= 2
    assert original["candidates.tsv"]["chosen"].sum() == 1 and len(original["weights.tsv"]) > 0
    split = pd.read_csv(split_table, sep="\t")
    held_out = set(split.loc[split["split"] != "train", "sample_id"])
    test = set(split.loc[split["split"] == "test", "sample_id"])

    changed = changed_copy(tiny_cohort, split_table, tmp_path / "held_out", held_out)
    for name in ["gwas.parquet", "folds.tsv", "folds.parquet"]:
        pd.testing.assert_frame_equal(original[name], changed[name])
    training_only = ["method", "parameter", "n_snps", "training_in_sample", "training_out_of_fold"]
    pd.testing.assert_frame_equal(original["candidates.tsv"][training_only], changed["candidates.tsv"][training_only])

    changed = changed_copy(tiny_cohort, split_table, tmp_path / "test", test)
    for name in ["gwas.parquet", "folds.tsv", "folds.parquet", "weights.tsv", "candidates.tsv"]:
        pd.testing.assert_frame_equal(original[name], changed[name])
    before, after = original["prs.tsv"], changed["prs.tsv"]
    kept = before["split"] != "test"
    pd.testing.assert_frame_equal(before[kept], after[kept])
    assert not before.loc[~kept, "prs"].equals(after.loc[~kept, "prs"])


def scramble_genotypes(prefix, out, samples):
    """A copy of a fileset whose ``samples`` have random genotypes (no missing calls)."""
    from riata.io.plink import open_plink, write_plink

    genotypes = open_plink(prefix)
    dosage = genotypes.dosage.compute()
    rows = genotypes.samples["sample_id"].isin(samples).to_numpy()
    dosage[rows] = np.random.default_rng(1).integers(0, 3, size=(rows.sum(), dosage.shape[1]))
    with write_plink(f"{out}.bed", f"{out}.bim", f"{out}.fam", genotypes.samples, genotypes.variants) as writer:
        for column in dosage.T:
            writer.write(column)


def test_survival_test_on_martingale_residuals_follows_lifelines_cox_wald_test(signal_cohort):
    """A time-to-event outcome with one causal SNP: riata's test of martingale residuals against each SNP's Cox
    model (lifelines' CoxPHFitter, Wald z, the same covariates) on 61 SNPs, the causal one among them."""
    from lifelines import CoxPHFitter

    from riata.genetics.association import working_outcome
    from riata.settings import SimulationSettings
    from riata.simulate import survival_outcome

    c, rng = signal_cohort, np.random.default_rng(4)
    causal = np.nan_to_num(c["dosage"][:, c["causal"]])
    age = c["covariates"][:, 0]
    predictor = 0.4 * (causal - causal.mean()) / causal.std() + 0.5 * (age - age.mean()) / age.std()
    time, event = survival_outcome(predictor, SimulationSettings(outcome_type="survival", prevalence=0.4), rng)
    train = c["train"]
    target, covariates = np.column_stack([time, event])[train], c["covariates"][train]
    model = null_model("linear", working_outcome("survival", target, covariates), covariates, np.arange(len(train)))
    snps = np.sort(np.r_[c["causal"], rng.choice(np.setdiff1d(np.arange(len(c["bim"])), c["causal"]), 60, False)])
    blocks = associations(c["source"], train, snps, [model], block_variants=64, threads=1)
    ours = np.vstack([result[0] for _, result in blocks])
    theirs = []
    for snp in snps:
        frame = pd.DataFrame(covariates, columns=["c0", "c1", "c2"])
        frame = frame.assign(g=c["dosage"][train, snp], time=target[:, 0], event=target[:, 1]).dropna()
        fit = CoxPHFitter().fit(frame, duration_col="time", event_col="event")
        theirs.append(fit.summary.loc["g", "z"])
    theirs = np.array(theirs)
    assert np.corrcoef(ours[:, 3], theirs)[0, 1] > 0.99
    assert np.abs(ours[:, 3] - theirs).max() < 0.25
    assert np.argmax(np.abs(ours[:, 3])) == np.searchsorted(snps, c["causal"])  # the causal SNP stands out
    assert ours[np.searchsorted(snps, c["causal"]), 4] < 1e-6
