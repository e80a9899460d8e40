"""Preprocess the inputs (imputation, scaling, one-hot columns), fitted on training samples."""

from __future__ import annotations

import argparse

from riata.settings import ClinicalSpec, Options

CLINICAL = Options(ClinicalSpec)
CONFIG_OPTIONS = (CLINICAL,)


def register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clinical", required=True, help="clinical table (.tsv, .txt, .csv or .parquet)")
    parser.add_argument("--split", required=True, help="split.tsv written by `riata split` or `riata qc`")
    parser.add_argument("--components", help="components.tsv written by `riata embed` (omit: clinical only)")
    parser.add_argument("--liability", help="liability.tsv of a simulated cohort: the oracle's true genetic liability")
    parser.add_argument("--out-dir", required=True, help="folder for train/validation/test.tsv, columns.tsv and "
                        "preprocessing.json")  # fmt: skip


def run(arguments: argparse.Namespace) -> None:
    from riata.features import build_design
    from riata.io.clinical import read_clinical
    from riata.io.results import read_components, read_split, write_features
    from riata.io.tables import read_table

    clinical = read_clinical(arguments.clinical, CLINICAL.read(arguments))
    inputs = {}
    if arguments.components:
        inputs["genetic"] = read_components(arguments.components)
    if arguments.liability:
        inputs["oracle"] = read_table(arguments.liability, dtype={"sample_id": str}).set_index("sample_id")
    write_features(build_design(clinical, read_split(arguments.split), inputs), arguments.out_dir)
