"""Shared fixtures: a tiny simulated cohort (seconds), real binary cohorts that scikit-survival ships (offline), and
helpers to find reference tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from riata.io.plink import BedBlocks, read_bim, read_fam
from riata.settings import SimulationSettings
from riata.simulate import simulate_cohort

TINY_COHORT = SimulationSettings(
    n_samples=160, n_snps=3000, n_chromosomes=2, n_demes=3, migration_rate=5e-5, n_causal_snps=20, seed=3
)


@pytest.fixture(scope="session")
def tiny_cohort(tmp_path_factory):
    """Folder with clinical.tsv, truth.tsv and genotypes.bed/.bim/.fam of a 160 x 3000 cohort."""
    folder = tmp_path_factory.mktemp("tiny_cohort")
    simulate_cohort(TINY_COHORT, folder)
    return folder


@pytest.fixture(scope="session")
def signal_cohort(tmp_path_factory):
    """800 samples x 3000 SNPs with a strong polygenic signal, 600 training samples, three covariates."""
    folder = tmp_path_factory.mktemp("gwas_cohort")
    simulate_cohort(SimulationSettings(n_samples=800, n_snps=3000, n_demes=2, n_causal_snps=20, genetic_share=0.3,
                                       seed=3), folder)  # fmt: skip
    fam, bim = read_fam(folder / "genotypes.fam"), read_bim(folder / "genotypes.bim")
    clinical = pd.read_csv(folder / "clinical.tsv", sep="\t")
    rng = np.random.default_rng(0)
    train = np.sort(rng.choice(len(fam), 600, replace=False))
    covariates = np.column_stack([clinical["AGE"], clinical["SYSBP"], rng.normal(size=len(fam))])
    source = BedBlocks(folder / "genotypes.bed", len(fam), len(bim))
    dosage = source.read(None, np.arange(len(bim)))
    frequency = np.nanmean(dosage, axis=0) / 2
    common = int(np.argmax(np.minimum(frequency, 1 - frequency)))
    quantitative = 0.4 * np.nan_to_num(dosage[:, common]) + 0.01 * covariates[:, 0] + rng.normal(size=len(fam))
    outcomes = {"linear": quantitative, "logistic": clinical["CHD"].to_numpy()}
    return {"causal": common, "folder": folder, "fam": fam, "bim": bim, "train": train, "covariates": covariates,
            "source": source, "dosage": dosage, "outcomes": outcomes}  # fmt: skip


def real_binary_cohort(loader, outcome: str, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random people of a real cohort of scikit-survival: its numeric and two-level covariates (a missing
    value filled with the column's median), standardised, shape (n, covariates), and whether the event happened
    by the end of follow-up (0/1), shape (n,). Real correlations, skew (FLCHAIN's kappa and lambda) and
    missingness (FLCHAIN's creatinine, 17%)."""
    covariates, target = loader()
    columns = [c for c in covariates if covariates[c].dtype.kind == "f" or covariates[c].nunique() == 2]
    table = pd.DataFrame({c: covariates[c].cat.codes if covariates[c].dtype == "category" else covariates[c]
                          for c in columns}).astype(float)  # fmt: skip
    table = table.fillna(table.median())
    rows = np.random.default_rng(0).choice(len(table), n, replace=False)
    x = table.to_numpy()[rows]
    return (x - x.mean(axis=0)) / x.std(axis=0), target[outcome][rows].astype(int)


@pytest.fixture(scope="session")
def flchain_binary():
    """600 people of FLCHAIN (serum free light chains: age, sex, kappa, lambda, creatinine, mgus) and whether they
    died during follow-up (24% of these 600)."""
    from sksurv.datasets import load_flchain

    return real_binary_cohort(load_flchain, "death")


@pytest.fixture(scope="session")
def whas500_binary():
    """The 500 people of WHAS500 (Worcester Heart Attack Study: 14 covariates) and whether they died (43%)."""
    from sksurv.datasets import load_whas500

    return real_binary_cohort(load_whas500, "fstat", n=500)


def require_tool(name: str) -> str:
    """Path of a reference tool, or skip the test saying how the test set-up installs it."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed; `make test` installs it with apt-get (needs root)")
    return path


# The workflow, run with Snakemake in a scratch folder (tests/test_workflow.py, tests/test_slurm.py).
ROOT = Path(__file__).resolve().parents[1]

TINY_CONFIG = {
    "cohort": "tiny",
    "simulate": {
        "enabled": True,
        "n_samples": 240,
        "n_snps": 2000,
        "n_demes": 2,
        "n_causal_snps": 10,
        "seed": 2,
        "external_samples": 80,
    },
    "clinical": {
        "id_column": "sample_id",
        "outcome": "CHD",
        "numeric": ["SEX", "AGE", "SYSBP", "TOTCHOL", "CURSMOKE", "lucky_number"],
        "categorical": ["DIABETES", "favorite_color", "favorite_animal"],
    },
    "embedding": {"n_components": 5},
    "training": {"seeds": [1, 2], "hidden_layers": [8], "max_epochs": 40, "patience": 10, "n_lambdas": 4},
}
# Fewer jobs, for the runs that only compare results: determinism, recovery, SLURM. They make SMALL_TARGET and what
# it needs (no bundles, figures or validation: the tiny run makes those).
SMALL_CONFIG = {
    **TINY_CONFIG,
    "cohort": "small",
    "simulate": {**TINY_CONFIG["simulate"], "external_samples": 0},
    "training": {**TINY_CONFIG["training"], "feature_sets": ["clinical_genetic"], "penalties": ["none", "group_lasso"]},
}  # fmt: skip
SMALL_TARGET = "results/small/comparison.tsv"


ENVIRONMENT = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def snakemake_command(workdir, *arguments, cores: bool = True):
    return [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
            "--configfile", str(workdir / "config.yaml"), *(["--cores", "2"] if cores else []), *arguments]  # fmt: skip


def snakemake(workdir, *arguments):
    return subprocess.run(snakemake_command(workdir, *arguments), capture_output=True, text=True, env=ENVIRONMENT)


def run_once(folder: Path, config: dict, *targets: str) -> Path:
    """Run the workflow on ``config`` in ``folder`` (every rule, or what ``targets`` need); fail on an error."""
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(folder, *targets)
    assert result.returncode == 0, result.stderr[-5000:]
    return folder


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """The small workflow run once, uninterrupted: the reference for determinism, recovery and SLURM."""
    return run_once(tmp_path_factory.mktemp("small_run"), SMALL_CONFIG, SMALL_TARGET)


def comparison_of(folder: Path, cohort: str = "small") -> bytes:
    return (folder / "results" / cohort / "comparison.tsv").read_bytes()
