"""Match samples and split them into train / validation / test, stratified on the outcome."""

from __future__ import annotations

import argparse

from riata.settings import ClinicalSpec, Options, SplitSettings

CLINICAL = Options(
    ClinicalSpec, only=("id_column", "outcome", "outcome_type", "positive_label", "fid_column", "time_column")
)
SPLIT = Options(SplitSettings)
CONFIG_OPTIONS = (CLINICAL, SPLIT)


def register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clinical", required=True, help="clinical table (.tsv, .txt, .csv or .parquet)")
    parser.add_argument("--genotypes", help="PLINK 1 fileset prefix whose .fam samples must match")
    parser.add_argument("--out", required=True, help="split.tsv to write")


def run(arguments: argparse.Namespace) -> None:
    from riata.io.clinical import OUTCOME, read_clinical
    from riata.io.plink import read_fam
    from riata.io.results import write_split
    from riata.io.tables import atomic_output
    from riata.split import split_samples

    spec, settings = CLINICAL.read(arguments), SPLIT.read(arguments)
    clinical = read_clinical(arguments.clinical, spec, covariates=False).frame
    genotype_ids, genotype_file = None, None
    if arguments.genotypes is not None:
        genotype_file = f"{arguments.genotypes}.fam"
        genotype_ids = read_fam(genotype_file, use_fid=spec.fid_column is not None)["sample_id"].tolist()
    split = split_samples(clinical[OUTCOME], settings, outcome_type=spec.outcome_type, clinical_file=arguments.clinical,
                          genotype_ids=genotype_ids, genotype_file=genotype_file)  # fmt: skip
    with atomic_output(arguments.out) as temporary:
        write_split(split, temporary)
