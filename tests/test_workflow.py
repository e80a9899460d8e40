"""The Snakemake workflow end to end: a tiny simulated cohort (outputs, a re-run with nothing to do, the
HTML report in a browser, identical results from scratch and after an interrupted run), the tabular
demo without genotypes, and a messy cohort adapted by editing a copy of config/template.yaml only."""

import base64
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import (
    ENVIRONMENT,
    ROOT,
    SMALL_CONFIG,
    SMALL_TARGET,
    TINY_CONFIG,
    comparison_of,
    require_tool,
    run_once,
    snakemake,
    snakemake_command,
)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The tiny workflow, every feature set and penalty, run once."""
    return run_once(tmp_path_factory.mktemp("tiny_run"), TINY_CONFIG)


@pytest.mark.workflow
def test_workflow_runs_end_to_end_and_a_second_run_has_nothing_to_do(tiny_run):
    tmp_path = tiny_run

    results = tmp_path / "results" / "tiny"
    comparison = pd.read_csv(results / "comparison.tsv", sep="\t")
    assert len(comparison) == (3 * 5 + 1) * 2  # (feature sets x penalties + the oracle) x seeds
    assert set(comparison["feature_set"]) == {"clinical", "genetic", "clinical_genetic", "oracle"}
    assert comparison[["accuracy", "auroc", "average_precision"]].apply(lambda c: c.between(0, 1)).all().all()
    unpenalised = comparison[comparison["penalty"] == "none"]
    assert (unpenalised["n_selected"] == unpenalised["n_inputs"]).all()
    assert (comparison["n_selected"] <= comparison["n_inputs"]).all()
    clinical = comparison[comparison["feature_set"] == "clinical"]
    assert (clinical["n_inputs"] == 9).all()
    assert (comparison.loc[comparison["feature_set"] == "genetic", "n_inputs"] == 5).all()
    assert "| clinical | none |" in (results / "comparison.md").read_text()
    assert (results / "figures" / "heatmaps.png").read_bytes()[:4] == b"\x89PNG"
    assert (results / "figures" / "heatmaps.svg").read_text().lstrip().startswith("<?xml")
    layer = pd.read_csv(results / "models" / "clinical_genetic" / "group_lasso" / "seed1" / "first_layer.tsv", sep="\t")
    assert layer["input"].tolist()[:5] == [f"genetic_{j}" for j in range(5)]
    for step in ["simulate", "split", "qc", "embed", "features", "compare", "heatmaps"]:
        assert (tmp_path / "logs" / "tiny" / f"{step}.log").exists(), step
        assert (results / "benchmarks" / f"{step}.tsv").exists(), step

    second = snakemake(tmp_path)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "Nothing to be done" in second.stderr

    for name in ["stability.tsv", "truth_check.tsv", "snp_importance.tsv", "snp_truth.tsv"]:
        assert (results / name).stat().st_size > 0, name
    # Knockoff selection of the clinical variables (the default), beside the penalties in every selection table.
    knockoffs = pd.read_csv(results / "knockoffs" / "clinical.tsv", sep="\t")
    assert len(knockoffs) == 2 * 9 and {"statistic", "selected_q0.1", "selected_q0.2"} <= set(knockoffs.columns)
    assert "## False-discovery control: model-X knockoffs" in (results / "comparison.md").read_text()
    for name in ["stability.tsv", "truth_check.tsv"]:
        penalties = set(pd.read_csv(results / name, sep="\t")["penalty"])
        assert {"knockoff+ q=0.1", "knockoff+ q=0.2", "group_lasso"} <= penalties, name
    for name in ["paths", "training", "weights_over_epochs", "stability", "manhattan", "calibration", "decision_curve"]:
        assert (results / "figures" / f"{name}.png").read_bytes()[:4] == b"\x89PNG", name
    calibration = pd.read_csv(results / "calibration.tsv", sep="\t")
    assert len(calibration) == len(comparison) * 10 and calibration["observed_risk"].between(0, 1).all()
    assert not (results / "figures" / "kaplan_meier.png").exists()
    for metric in ("calibration_intercept", "calibration_slope", "brier"):
        assert {metric, f"{metric}_low", f"{metric}_high"} <= set(comparison.columns)
    assert comparison["brier"].between(0, 1).all() and comparison["calibration_intercept"].notna().all()
    assert unpenalised["calibration_slope"].notna().all()  # a constant prediction (an empty first layer) has none
    assert "calibration slope" in (results / "comparison.md").read_text()
    assert (tmp_path / "logs" / "tiny" / "calibration.log").exists()
    assert {"auroc_low", "auroc_high", "auroc_vs_baseline", "auroc_vs_baseline_p"} <= set(comparison.columns)
    baseline = comparison[(comparison["feature_set"] == "clinical") & (comparison["penalty"] == "none")]
    assert (baseline["auroc_vs_baseline"] == 0).all()
    assert (comparison["auroc_low"] <= comparison["auroc"]).all() and (
        comparison["auroc"] <= comparison["auroc_high"]
    ).all()

    # The HTML report: aggregate results only, and it opens in a real browser showing the heat maps.
    made = snakemake(tmp_path, "--report", str(tmp_path / "report.html"))
    assert made.returncode == 0, made.stderr[-2000:]
    sample_ids = pd.read_csv(results / "simulated" / "clinical.tsv", sep="\t")["sample_id"]
    any_sample = re.compile(r"\b(" + "|".join(map(re.escape, sample_ids)) + r")\b")
    texts = report_texts((tmp_path / "report.html").read_text())
    leaks = [match.group() for text in texts for match in any_sample.finditer(text)]
    assert leaks == []
    shown = open_in_headless_chromium(tmp_path / "report.html", tmp_path / "report.png")
    assert shown["heatmap_shown"] and shown["heatmap_width"] > 500
    assert shown["errors"] == []


def fileset_of_test_samples(results: Path, folder: Path, name: str, *, perturb: bool = False) -> Path:
    """The workflow's test samples in a clinical table without the outcome and a PLINK fileset of their own;
    ``perturb``: variants shuffled, a third allele-swapped (dosages flipped), 2% left out. Returns the prefix."""
    from riata.io.plink import BedBlocks, read_bim, read_fam, write_plink

    split = pd.read_csv(results / "qc" / "split.tsv", sep="\t", dtype={"sample_id": str}).set_index("sample_id")
    test = split.index[split["split"] == "test"]
    clinical = pd.read_csv(results / "simulated" / "clinical.tsv", sep="\t", dtype={"sample_id": str})
    clinical[clinical["sample_id"].isin(test)].drop(columns="CHD").to_csv(
        folder / "clinical.tsv", sep="\t", index=False
    )
    prefix = results / "simulated" / "genotypes"
    fam, bim = read_fam(f"{prefix}.fam"), read_bim(f"{prefix}.bim")
    rows = pd.Series(np.arange(len(fam)), index=fam["sample_id"]).loc[test].to_numpy()
    dosages = BedBlocks(f"{prefix}.bed", len(fam), len(bim)).read(rows, np.arange(len(bim)))
    order = np.arange(len(bim))
    if perturb:
        rng = np.random.default_rng(0)
        swap = rng.random(len(bim)) < 1 / 3
        bim.loc[swap, ["a1", "a2"]] = bim.loc[swap, ["a2", "a1"]].to_numpy()
        dosages[:, swap] = 2 - dosages[:, swap]
        order = rng.permutation(len(bim))[: round(0.98 * len(bim))]
    paths = [folder / f"{name}.{suffix}" for suffix in ("bed", "bim", "fam")]
    with write_plink(*paths, fam.iloc[rows][["fid", "iid"]], bim.iloc[order]) as writer:
        for j in order:
            writer.write(dosages[:, j])
    return folder / name


def run_predict(bundle: Path, folder: Path, genotypes: Path | None, *options: str) -> subprocess.CompletedProcess:
    """`riata predict` of folder/clinical.tsv into folder/predictions.tsv."""
    command = [sys.executable, "-m", "riata", "predict", "--model", str(bundle), "--clinical",
               str(folder / "clinical.tsv"), "--out", str(folder / "predictions.tsv"), *options]  # fmt: skip
    if genotypes is not None:
        command += ["--genotypes", str(genotypes)]
    return subprocess.run(command, capture_output=True, text=True, env=ENVIRONMENT)


def predict(bundle: Path, folder: Path, genotypes: Path | None, *options: str, column: str = "probability"):
    """`riata predict` of folder/clinical.tsv: the predictions (``column``) by sample, and its log."""
    result = run_predict(bundle, folder, genotypes, *options)
    assert result.returncode == 0, result.stderr[-2000:]
    table = pd.read_csv(folder / "predictions.tsv", sep="\t", dtype={"sample_id": str})
    return table.set_index("sample_id")[column], result.stderr


def workflow_test_predictions(results: Path, bundle: Path, column: str = "probability") -> pd.Series:
    """The test-set predictions (``column``) the workflow gave with the bundled model (its seed's predictions.tsv)."""
    import json

    seed = json.loads((bundle / "bundle.json").read_text())["seed"]
    feature_set, penalty = bundle.parts[-2:]
    table = pd.read_csv(results / "models" / feature_set / penalty / f"seed{seed}" / "predictions.tsv", sep="\t",
                        dtype={"sample_id": str})  # fmt: skip
    return table[table["split"] == "test"].set_index("sample_id")[column]


@pytest.mark.workflow
def test_bundles_score_new_files_of_the_test_samples_as_the_workflow_did(tiny_run, tmp_path):
    import riata

    results = tiny_run / "results" / "tiny"
    same = fileset_of_test_samples(results, tmp_path, "same")
    perturbed = fileset_of_test_samples(results, tmp_path, "perturbed", perturb=True)
    for feature_set, penalty in [("clinical_genetic", "none"), ("clinical_genetic", "group_lasso"), ("genetic", "l2")]:
        bundle = results / "bundles" / feature_set / penalty
        expected = workflow_test_predictions(results, bundle)
        # The same genotypes in a file of their own: the workflow's predictions to print precision (%.7g).
        found, _ = predict(bundle, tmp_path, same, "--ambiguous", "labels")
        assert found.index.equals(expected.index) and np.abs(found - expected).max() < 2e-6
        # Shuffled, a third swapped, 2% missing: measured |difference| up to 5e-3 (the missing SNPs' mean).
        found, log = predict(bundle, tmp_path, perturbed, "--ambiguous", "labels")
        share = re.search(r"with swapped alleles.*\((\d+\.\d)%\) missing, filled with the training mean", log)
        assert share and 1.5 <= float(share.group(1)) <= 2.5, log  # 2% of the file's variants left out
        assert np.abs(found - expected.loc[found.index]).max() < 0.01
        # The default orientation of strand-ambiguous SNPs (a third of the simulated SNPs) by frequency drops
        # those near 0.5 (3.2% of the variants here): measured |difference| up to 0.017.
        found, log = predict(bundle, tmp_path, same)
        assert "strand-ambiguous kept by frequency" in log and np.abs(found - expected).max() < 0.05
        model = riata.load_model(bundle)
        metrics = pd.read_csv(bundle.parents[2] / "models" / feature_set / penalty /
                              f"seed{model.bundle.description['seed']}" / "metrics.tsv", sep="\t")  # fmt: skip
        assert model.selected_variables == metrics["selected"].item().split(";")
    # Another genome build (every position moved): one error line, exit 2, no predictions.
    for suffix in ("bed", "fam"):
        (tmp_path / f"moved.{suffix}").write_bytes(same.with_suffix(f".{suffix}").read_bytes())
    bim = pd.read_csv(same.with_suffix(".bim"), sep="\t", header=None)
    bim[3] += 1000
    bim.to_csv(tmp_path / "moved.bim", sep="\t", header=False, index=False)
    (tmp_path / "predictions.tsv").unlink()
    moved = run_predict(bundle, tmp_path, tmp_path / "moved")
    assert moved.returncode == 2 and "ERROR: " in moved.stderr and "none of the model's" in moved.stderr
    assert not (tmp_path / "predictions.tsv").exists()
    # The simulated external cohorts (harmonisation needed: shuffled, a third swapped, 2% missing) are validated.
    for cohort in ("external", "external_shifted"):
        performance = pd.read_csv(results / "validation" / cohort / "performance.tsv", sep="\t")
        assert len(performance) == 15 and (performance["n"] == 80).all()
        assert performance[["auroc", "auroc_low", "auroc_high"]].apply(lambda c: c.between(0, 1)).all().all()
        assert np.allclose(performance["auroc_drop"], performance["internal_auroc"] - performance["auroc"])
        # Bundles with variants (genetic inputs not all dropped) miss 2% plus the ambiguous SNPs near 0.5.
        with_variants = [(results / "bundles" / fs / p / "variants.parquet").exists()
                         for fs, p in zip(performance["feature_set"], performance["penalty"], strict=True)]  # fmt: skip
        share = performance["missing_variant_share"]
        assert any(with_variants) and share[with_variants].between(0.015, 0.1).all()
        assert (share[~np.array(with_variants)] == 0).all()
        assert performance["calibration_slope"].notna().any() and performance["brier"].between(0, 1).all()
        for figure in ("calibration", "decision_curve"):
            assert (results / "validation" / cohort / f"{figure}.png").read_bytes()[:4] == b"\x89PNG"
    # A clinical-only model needs no genotypes.
    clinical = results / "bundles" / "clinical" / "l1"
    assert not (clinical / "variants.parquet").exists()
    found, _ = predict(clinical, tmp_path, None)
    assert np.abs(found - workflow_test_predictions(results, clinical)).max() < 2e-6


def report_texts(html: str) -> list[str]:
    """The report's own text and the decoded text of every file embedded in it. Raster images are left out:
    their base64 can contain any short string (a PNG held "S00033" once), and they hold no text."""
    embedded = re.compile(r"data:([\w/+.-]+)((?:;[^;,\"']*)*);base64,([A-Za-z0-9+/=]+)")
    files = [
        base64.b64decode(payload).decode("utf8", errors="replace")
        for mime, _, payload in embedded.findall(html)
        if not mime.startswith("image/") or mime == "image/svg+xml"
    ]
    return [embedded.sub("", html), *files]


@pytest.mark.workflow
def test_tabular_multiclass_demo_runs_without_genotypes(tmp_path):
    config = yaml.safe_load((ROOT / "config" / "multiclass_demo.yaml").read_text())
    config["training"].update({"seeds": [1, 2], "max_epochs": 40, "n_lambdas": 4, "penalties": ["none", "group_lasso"]})
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    # Run as `.venv/bin/snakemake` without an activated environment: the jobs still find riata.
    environment = {**os.environ, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(snakemake_command(tmp_path), capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr[-5000:]
    results = tmp_path / "results" / "multiclass_demo"
    comparison = pd.read_csv(results / "comparison.tsv", sep="\t")
    assert comparison["penalty"].tolist() == ["none", "none", "group_lasso", "group_lasso"]
    assert (comparison["outcome_type"] == "multiclass").all()
    assert comparison["accuracy"].between(0, 1).all() and "average_precision" not in comparison
    assert not (results / "embedding").exists() and not (results / "qc").exists()
    predictions = pd.read_csv(results / "models" / "clinical" / "none" / "seed1" / "predictions.tsv", sep="\t")
    assert [c for c in predictions.columns if c.startswith("probability:")] == [f"probability:c{k}" for k in range(4)]
    assert set(predictions["predicted"]) <= {"c0", "c1", "c2", "c3"}


def open_in_headless_chromium(report: Path, screenshot: Path) -> dict:
    """Open the report, show the heat maps, save a screenshot; return what the page showed."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.common.by import By

    chromium, chromedriver = require_tool("chromium"), require_tool("chromedriver")
    options = webdriver.ChromeOptions()
    for argument in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1100",
        f"--user-data-dir={screenshot.parent / 'chromium-profile'}",
    ]:
        options.add_argument(argument)  # fmt: skip
    options.binary_location = chromium
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(chromedriver), options=options)
    try:
        driver.get(report.as_uri())
        driver.implicitly_wait(10)
        driver.find_element(By.XPATH, "//*[normalize-space(text())='Figures']").click()
        row = driver.find_element(By.XPATH, "//td[contains(normalize-space(text()), 'figures/heatmaps.png')]/..")
        row.find_element(By.XPATH, ".//a[@iconname='eye']").click()
        image = driver.find_element(By.XPATH, "//img[contains(@src, 'heatmaps.png')]")
        driver.save_screenshot(str(screenshot))
        return {
            "heatmap_width": int(image.get_attribute("naturalWidth")),
            "heatmap_shown": image.is_displayed(),
            "errors": [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"],
        }
    finally:
        driver.quit()


@pytest.mark.workflow
def test_the_same_config_from_scratch_gives_the_same_comparison(small_run, tmp_path):
    assert comparison_of(run_once(tmp_path, SMALL_CONFIG, SMALL_TARGET)) == comparison_of(small_run)


@pytest.mark.workflow
def test_a_run_killed_during_training_completes_with_the_same_results(small_run, tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(SMALL_CONFIG))
    process = subprocess.Popen(snakemake_command(tmp_path, SMALL_TARGET), env=ENVIRONMENT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    models = tmp_path / "results" / "small" / "models"
    deadline = time.monotonic() + 300
    while not any(models.rglob("metrics.tsv")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
    assert process.poll() is None, "the workflow finished before it could be interrupted"
    os.killpg(process.pid, signal.SIGKILL)  # snakemake and the training jobs it started, mid-training
    process.wait()
    assert not (tmp_path / "results" / "small" / "comparison.tsv").exists()
    # A killed snakemake leaves its lock: --unlock, then --rerun-incomplete redoes the interrupted jobs.
    assert snakemake(tmp_path, "--unlock").returncode == 0
    resumed = snakemake(tmp_path, "--rerun-incomplete", SMALL_TARGET)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert comparison_of(tmp_path) == comparison_of(small_run)


def messy_cohort(tiny_cohort: Path, folder: Path) -> None:
    """The tiny cohort as another centre might deliver it: other column names, text categories, missing
    values, another sample order, a CSV file, 6 samples without genotypes and 4 genotyped samples without
    clinical data."""
    rng = np.random.default_rng(5)
    table = pd.read_csv(tiny_cohort / "clinical.tsv", sep="\t")
    table = table.rename(columns={"sample_id": "patient", "CHD": "coronary_event", "AGE": "age_years",
                                  "SYSBP": "systolic", "TOTCHOL": "cholesterol", "DIABETES": "diabetic",
                                  "favorite_color": "colour"})  # fmt: skip
    table["coronary_event"] = table["coronary_event"].map({1: "event", 0: "no event"})
    table["diabetic"] = table["diabetic"].map({1: "yes", 0: "no"})
    table.loc[rng.random(len(table)) < 0.05, "cholesterol"] = np.nan
    table = table.drop(index=table.index[:4])  # genotyped, no clinical data
    extra = table.iloc[:6].assign(patient=[f"NEW{i}" for i in range(6)])  # clinical data, no genotypes
    table = pd.concat([table, extra]).sample(frac=1, random_state=1)
    table[["patient", "coronary_event", "age_years", "systolic", "cholesterol", "diabetic", "colour"]].to_csv(
        folder / "patients.csv", index=False
    )


@pytest.mark.workflow
def test_a_new_cohort_runs_by_editing_a_copy_of_the_template(tiny_cohort, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    messy_cohort(tiny_cohort, data)
    for suffix in (".bed", ".bim", ".fam"):
        (data / f"genotypes{suffix}").write_bytes((tiny_cohort / f"genotypes{suffix}").read_bytes())
    config = yaml.safe_load((ROOT / "config" / "template.yaml").read_text())
    config["cohort"] = "messy"
    config["clinical"].update(path="data/patients.csv", id_column="patient", outcome="coronary_event",
                              positive_label="event", numeric=["age_years", "systolic", "cholesterol"],
                              categorical=["diabetic", "colour"])  # fmt: skip
    config["genotypes"]["path"] = "data/genotypes"
    config["split"]["min_matched"] = 100
    config["embedding"]["n_components"] = 4
    config["training"].update(seeds=[1], penalties=["none", "group_lasso"], max_epochs=40, n_lambdas=3)
    causal_snp = pd.read_csv(tiny_cohort / "truth.tsv", sep="\t").query("kind == 'snp'")["variable"].iloc[0]
    (data / "known.csv").write_text(f"variable,kind\nage_years,\nsystolic,\ncholesterol,\n{causal_snp},snp\n")
    config["truth"]["path"] = "data/known.csv"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    checked = subprocess.run([sys.executable, "-m", "riata", "check", "--config", "config.yaml"], cwd=tmp_path,
                             capture_output=True, text=True, env=ENVIRONMENT)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "156 in both files, 6 only in the clinical table, 4 only genotyped" in checked.stdout
    assert "outcome coronary_event (binary): no event:" in checked.stdout
    result = snakemake(tmp_path)
    assert result.returncode == 0, result.stderr[-5000:]
    results = tmp_path / "results" / "messy"
    split = pd.read_csv(results / "split.tsv", sep="\t")
    assert len(split) == 156 and not split["sample_id"].str.startswith("NEW").any()
    comparison = pd.read_csv(results / "comparison.tsv", sep="\t")
    assert len(comparison) == 3 * 2
    columns = pd.read_csv(results / "features" / "columns.tsv", sep="\t")
    assert {"diabetic_no", "diabetic_yes", "colour_red"} <= set(columns["column"])
    truth = pd.read_csv(results / "truth_check.tsv", sep="\t").query("feature_set != 'genetic'")
    assert len(truth) == 4 + 2  # clinical and clinical_genetic x 2 penalties, and the clinical knockoffs at 2 q
    assert (truth[["causal", "noise"]] == [3, 2]).all().all()  # the user's own truth
    assert pd.read_csv(results / "snp_truth.tsv", sep="\t")["causal_snps"].eq(1).all()


@pytest.mark.workflow
def test_genetic_inputs_and_the_oracle_run_end_to_end(tmp_path):
    """config/genetic_signal.yaml at a reduced size: three feature sets, two penalties, one seed."""
    config = yaml.safe_load((ROOT / "config" / "genetic_signal.yaml").read_text())
    config["simulate"].update(n_samples=400, n_snps=2000, n_chromosomes=2)
    config.update(embedding={"n_components": 4}, gwas={"principal_components": 2, "folds": 3},
                  screen={"size": 100, "rounds": 1})  # fmt: skip
    config["training"].update(seeds=[1], feature_sets=["clinical", "prs", "clinical_snps"], hidden_layers=[8],
                              penalties=["none", "group_lasso"], max_epochs=40, n_lambdas=4)  # fmt: skip
    run_once(tmp_path, config)
    results = tmp_path / "results" / "genetic_signal"
    comparison = pd.read_csv(results / "comparison.tsv", sep="\t")
    models = set(zip(comparison["feature_set"], comparison["penalty"], strict=True))
    assert models == {(fs, p) for fs in ["clinical", "prs", "clinical_snps"] for p in ["none", "group_lasso"]} | {
        ("oracle", "none")
    }
    oracle = comparison[comparison["feature_set"] == "oracle"]
    assert "genetic_liability" in oracle["selected"].iloc[0] and (oracle["oracle_gain_recovered"] == 1).all()
    baseline = (comparison["feature_set"] == "clinical") & (comparison["penalty"] == "none")
    assert (comparison.loc[baseline, "oracle_gain_recovered"].dropna() == 0).all()
    snps = comparison[comparison["feature_set"] == "clinical_snps"]
    assert (snps["n_screened"] >= 100).all() and snps["screen_violations"].notna().all()
    candidates = pd.read_csv(results / "prs" / "candidates.tsv", sep="\t")
    assert candidates["chosen"].sum() == 1 and set(candidates["method"]) == {"ct", "lasso"}
    assert (comparison.loc[comparison["feature_set"] == "prs", "n_inputs"] == 1).all()
    truth = pd.read_csv(results / "snp_truth.tsv", sep="\t")
    assert truth.loc[truth["model"] == "clinical_snps none, seed 1", "kept_snps"].item() >= 100
    selected = pd.read_csv(results / "selected_snps.tsv", sep="\t")
    assert set(selected["feature_set"]) == {"clinical_snps"} and (selected["group_norm"] > 0).all()
    assert (results / "figures" / "manhattan.png").read_bytes()[:4] == b"\x89PNG"
    # The polygenic score's and the screened SNPs' bundles score a file of the test samples as the workflow did.
    fileset = fileset_of_test_samples(results, tmp_path, "test_samples")
    for feature_set in ("prs", "clinical_snps"):
        bundle = results / "bundles" / feature_set / "none"
        found, _ = predict(bundle, tmp_path, fileset, "--ambiguous", "labels")
        assert np.abs(found - workflow_test_predictions(results, bundle)).max() < 2e-6, feature_set


@pytest.mark.workflow
def test_a_survival_outcome_runs_end_to_end_with_survival_metrics_and_figures(tmp_path):
    """config/case_study_survival.yaml at a reduced size: the clinical, clinical + genetic and clinical + prs
    Cox networks, two penalties, one seed, the survival figures and the report."""
    config = yaml.safe_load((ROOT / "config" / "case_study_survival.yaml").read_text())
    config["simulate"].update(n_samples=400, n_snps=2000, n_chromosomes=2)
    config.update(embedding={"n_components": 4}, gwas={"principal_components": 2, "folds": 3})
    config["training"].update(seeds=[1], feature_sets=["clinical", "clinical_genetic", "clinical_prs"], n_lambdas=4,
                              hidden_layers=[8], penalties=["none", "group_lasso"], max_epochs=40)  # fmt: skip
    run_once(tmp_path, config)
    results = tmp_path / "results" / "case_study_survival"
    clinical = pd.read_csv(results / "simulated" / "clinical.tsv", sep="\t")
    assert set(clinical["CHD"]) == {0, 1} and clinical["TIMECHD"].between(0, 24).all()
    comparison = pd.read_csv(results / "comparison.tsv", sep="\t")
    assert (comparison["outcome_type"] == "survival").all() and len(comparison) == 7  # + the oracle
    for metric in ("concordance", "uno_concordance", "horizon_auc"):
        assert comparison[metric].between(0, 1).all()
        assert (comparison[f"{metric}_low"] <= comparison[metric]).all()
        assert (comparison[metric] <= comparison[f"{metric}_high"]).all()
    assert comparison["integrated_brier"].between(0, 0.25).all()
    baseline = comparison[(comparison["feature_set"] == "clinical") & (comparison["penalty"] == "none")]
    assert baseline["concordance"].item() > 0.65 and baseline["concordance_vs_baseline"].item() == 0
    assert "AGE" in baseline["selected"].item()
    predictions = pd.read_csv(results / "models" / "clinical" / "none" / "seed1" / "predictions.tsv", sep="\t")
    assert {"outcome", "outcome_time", "risk_score", "risk_at_horizon"} <= set(predictions.columns)
    assert predictions["risk_at_horizon"].between(0, 1).all()
    calibration = pd.read_csv(results / "calibration.tsv", sep="\t")
    assert len(calibration) == 7 * 10 and calibration["observed_risk"].between(0, 1).all()
    for figure in ("calibration", "kaplan_meier", "heatmaps"):
        assert (results / "figures" / f"{figure}.png").read_bytes()[:4] == b"\x89PNG"
    assert not (results / "figures" / "decision_curve.png").exists() and "brier" not in comparison
    assert (tmp_path / "logs" / "case_study_survival" / "calibration.log").exists()  # `riata calibration`
    assert "Harrell's C" in (results / "comparison.md").read_text()
    # Bundles keep the Breslow baseline: a file of the test samples gets the workflow's risks at the horizon.
    fileset = fileset_of_test_samples(results, tmp_path, "test_samples")
    for feature_set in ("clinical", "clinical_genetic", "clinical_prs"):
        bundle = results / "bundles" / feature_set / "group_lasso"
        for column in ("risk_score", "risk_at_horizon"):
            found, _ = predict(bundle, tmp_path, fileset, "--ambiguous", "labels", column=column)
            expected = workflow_test_predictions(results, bundle, column)
            assert np.abs(found - expected).max() < 1e-5, (feature_set, column)  # 7 significant digits
    report = snakemake(tmp_path, "--report", "report.html")
    assert report.returncode == 0, report.stderr[-3000:]
    assert "kaplan_meier.png" in (tmp_path / "report.html").read_text()
