"""The Snakemake workflow end to end on a tiny simulated cohort, then a re-run that has nothing to do."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import require_tool

ROOT = Path(__file__).resolve().parents[1]

TINY_CONFIG = {
    "cohort": "tiny",
    "simulate": {"enabled": True, "n_samples": 240, "n_snps": 2000, "n_demes": 2, "n_causal_snps": 10, "seed": 2},
    "clinical": {
        "id_column": "sample_id",
        "outcome": "CHD",
        "numeric": ["SEX", "AGE", "SYSBP", "TOTCHOL", "CURSMOKE", "lucky_number"],
        "categorical": ["DIABETES", "favorite_color", "favorite_animal"],
    },
    "embedding": {"n_components": 5},
    "training": {"seeds": [1, 2], "hidden_layers": [8], "max_epochs": 60, "patience": 10, "n_lambdas": 4},
}


def snakemake(workdir, *arguments):
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
               "--configfile", str(workdir / "config.yaml"), "--cores", "2", *arguments]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, env=environment)


@pytest.mark.workflow
def test_workflow_runs_end_to_end_and_a_second_run_has_nothing_to_do(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(TINY_CONFIG))
    first = snakemake(tmp_path)
    assert first.returncode == 0, first.stderr[-5000:]

    results = tmp_path / "results" / "tiny"
    comparison = pd.read_csv(results / "comparison.tsv", sep="\t")
    assert len(comparison) == 3 * 5 * 2  # feature sets x penalties x seeds
    assert set(comparison["feature_set"]) == {"clinical", "genetic", "clinical_genetic"}
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
    for name in ["paths", "training", "weights_over_epochs", "stability", "manhattan"]:
        assert (results / "figures" / f"{name}.png").read_bytes()[:4] == b"\x89PNG", name
    assert {"auroc_low", "auroc_high", "auroc_vs_baseline", "auroc_vs_baseline_p"} <= set(comparison.columns)
    baseline = comparison[(comparison["feature_set"] == "clinical") & (comparison["penalty"] == "none")]
    assert (baseline["auroc_vs_baseline"] == 0).all()
    assert (comparison["auroc_low"] <= comparison["auroc"]).all() and (
        comparison["auroc"] <= comparison["auroc_high"]
    ).all()

    # The HTML report: aggregate results only, and it opens in a real browser showing the heat maps.
    made = snakemake(tmp_path, "--report", str(tmp_path / "report.html"))
    assert made.returncode == 0, made.stderr[-2000:]
    html = (tmp_path / "report.html").read_text()
    sample_ids = pd.read_csv(results / "simulated" / "clinical.tsv", sep="\t")["sample_id"]
    assert not any(sample in html for sample in sample_ids)
    shown = open_in_headless_chromium(tmp_path / "report.html", tmp_path / "report.png")
    assert shown["heatmap_shown"] and shown["heatmap_width"] > 500
    assert shown["errors"] == []


@pytest.mark.workflow
def test_tabular_multiclass_demo_runs_without_genotypes(tmp_path):
    config = yaml.safe_load((ROOT / "config" / "multiclass_demo.yaml").read_text())
    config["training"].update({"seeds": [1, 2], "max_epochs": 40, "n_lambdas": 4, "penalties": ["none", "group_lasso"]})
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path)
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
