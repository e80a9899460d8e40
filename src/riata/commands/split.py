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
    from riata.errors import RiataError
    from riata.io.clinical import OUTCOME, read_clinical
    from riata.io.plink import read_fam
    from riata.io.results import write_split
    from riata.io.tables import atomic_output
    from riata.split import match_samples, stratified_split

    spec, settings = CLINICAL.read(arguments), SPLIT.read(arguments)
    clinical = read_clinical(arguments.clinical, spec, covariates=False).frame
    ids = clinical.index.tolist()
    if arguments.genotypes is not None:
        fam = read_fam(f"{arguments.genotypes}.fam", use_fid=spec.fid_column is not None)
        ids = match_samples(ids, fam["sample_id"].tolist(), min_matched=settings.min_matched)
    elif len(ids) < settings.min_matched:
        raise RiataError(f"{arguments.clinical}: only {len(ids)} samples with an outcome; at least "
                         f"{settings.min_matched} needed")  # fmt: skip
    split = stratified_split(clinical.loc[ids, OUTCOME], settings, outcome_type=spec.outcome_type)
    with atomic_output(arguments.out) as temporary:
        write_split(split, temporary)
