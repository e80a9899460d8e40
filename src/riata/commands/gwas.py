"""Genome-wide association of the outcome on the training samples, adjusted for principal components."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from riata.commands.common import GENOTYPES, add_genotype_arguments
from riata.settings import GwasSettings, Options

GWAS = Options(GwasSettings)
CONFIG_OPTIONS = (GENOTYPES, GWAS)
FEATURE_FILES = ("train", "columns", "parameters")
FLOAT64_BLOCK_BYTES = 1 << 24  # a block of float64 dosages stays within 16 MiB

log = logging.getLogger("riata")


def register_arguments(parser: argparse.ArgumentParser) -> None:
    add_genotype_arguments(parser)
    parser.add_argument("--qc", required=True, help="folder written by `riata qc` (reads variants.tsv)")
    parser.add_argument(
        "--features",
        required=True,
        help="folder written by `riata features` (reads train.tsv, columns.tsv and preprocessing.json)",
    )
    parser.add_argument("--out", required=True, help="associations to write (.parquet, or .tsv text)")
    parser.add_argument("--out-folds", help="with gwas folds: each training sample's cross-fitting fold (.tsv)")
    parser.add_argument(
        "--out-fold-associations", help="with gwas folds: per SNP, beta_<f> and p_<f> without fold f (.parquet)"
    )


def run(arguments: argparse.Namespace) -> None:
    """Test every QC-passing SNP on the training samples (and on each cross-fitting fold's complement)."""
    import numpy as np
    import pandas as pd

    from riata.errors import RiataError
    from riata.genetics import association
    from riata.io.plink import BedBlocks, check_bed, plink_paths, read_fam, sample_positions
    from riata.io.results import read_features, read_variant_statistics
    from riata.io.tables import atomic_outputs
    from riata.tasks import Task

    settings = GWAS.read(arguments)
    if settings.folds and not (arguments.out_folds and arguments.out_fold_associations):
        raise RiataError("gwas: with folds, give --out-folds and --out-fold-associations")
    tables, columns, parameters = read_features(arguments.features, splits=("train",))
    train = tables["train"]
    outcome_type = parameters["outcome"]["type"]
    kind = association.test_kind(outcome_type)
    covariates = train[association.covariate_columns(columns, settings.principal_components, settings.covariates)]
    paths = plink_paths(arguments.genotypes)
    fam = read_fam(paths["fam"], use_fid=arguments.use_fid)
    variants_path = Path(arguments.qc) / "variants.tsv"
    passing = read_variant_statistics(variants_path, ["pass"])["pass"].to_numpy()
    check_bed(paths["bed"], len(fam), len(passing))
    rows = sample_positions(fam, train.index.tolist())
    order = np.argsort(rows)  # samples in .fam order: reading them is a sorted gather
    y, x = Task(outcome_type).targets(train)[order], covariates.to_numpy()[order]
    models = [association.null_model(kind, association.working_outcome(outcome_type, y, x), x, np.arange(len(y)))]
    strata = y[:, 1] if outcome_type == "survival" else y
    folds = association.cross_fitting_folds(strata, settings.folds, settings.seed) if settings.folds else None
    for fold in range(settings.folds):
        kept = np.flatnonzero(folds != fold)
        working = association.working_outcome(outcome_type, y[kept], x[kept])
        models.append(association.null_model(kind, working, x[kept], kept))
    source = BedBlocks(paths["bed"], len(fam), len(passing))
    block_variants = min(GENOTYPES.read(arguments).block_variants, FLOAT64_BLOCK_BYTES // (8 * len(rows)))
    stream = association.associations(source, rows[order], np.flatnonzero(passing), models,
                                      block_variants=max(64, block_variants), threads=arguments.threads)  # fmt: skip
    outputs = [arguments.out] + ([arguments.out_folds, arguments.out_fold_associations] if settings.folds else [])
    with atomic_outputs(outputs) as temporaries:
        chi_squares = _write(stream, temporaries, variants_path, settings.folds)
        if settings.folds:
            pd.DataFrame({"sample_id": train.index[order], "fold": folds}).to_csv(temporaries[1], sep="\t", index=False)
    inflation = np.nanmedian(chi_squares) / 0.4549364
    log.info("%s tests of %d SNPs on %d training samples, %d covariate directions; genomic inflation %.3f",
             kind, len(chi_squares), len(y), models[0].rank, inflation)  # fmt: skip


def _write(stream, paths, variants_path, n_folds: int):
    """Write the streamed tests (and the folds' betas and p-values); returns every SNP's chi-square."""
    import contextlib

    import numpy as np

    from riata.io.variant_tables import associations_writer, fold_associations_writer

    chi_squares = []
    with contextlib.ExitStack() as stack:
        write = stack.enter_context(associations_writer(paths[0], variants_path))
        if n_folds:
            write_folds = stack.enter_context(fold_associations_writer(paths[2], variants_path, n_folds))
        for first, results in stream:
            write(first, results[0])
            chi_squares.append(results[0][:, 3] ** 2)
            if n_folds:
                write_folds(first, np.column_stack([result[:, [1, 4]] for result in results[1:]]))
    return np.concatenate(chi_squares)
