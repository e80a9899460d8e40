"""Shared fixtures: a tiny simulated cohort (seconds), and helpers to find reference tools."""

from __future__ import annotations

import shutil

import pytest

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


def require_tool(name: str) -> str:
    """Path of a reference tool, or skip the test saying how the test set-up installs it."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed; `make test` installs it with apt-get (needs root)")
    return path
