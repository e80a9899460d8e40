"""Simulate a clinical + genetic cohort (or a tabular demo) with known truth."""

from __future__ import annotations

import argparse

from riata.settings import Options, SimulationSettings

SIMULATION = Options(SimulationSettings)
CONFIG_OPTIONS = (SIMULATION,)


def register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", required=True, help="folder for clinical.tsv, truth.tsv and genotypes.* (and the external cohorts' "
        "folders external/ and external_shifted/ with --external-samples)",
    )  # fmt: skip


def run(arguments: argparse.Namespace) -> None:
    from riata.simulate import simulate

    simulate(SIMULATION.read(arguments), arguments.out)
