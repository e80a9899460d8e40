"""Sample and variant QC (call rates, MAF, Hardy-Weinberg) counted on training samples."""

from __future__ import annotations

import argparse

from riata.commands.common import GENOTYPES, add_genotype_arguments
from riata.settings import Options, QcThresholds

QC = Options(QcThresholds)
CONFIG_OPTIONS = (GENOTYPES, QC)


def register_arguments(parser: argparse.ArgumentParser) -> None:
    add_genotype_arguments(parser)
    parser.add_argument("--split", required=True, help="split.tsv written by `riata split`")
    parser.add_argument("--out-dir", required=True, help="folder for samples, variants, summary and split .tsv")


def run(arguments: argparse.Namespace) -> None:
    from riata.io.plink import open_plink, sample_positions
    from riata.io.results import read_split, write_qc
    from riata.qc import run_qc

    thresholds = QC.read(arguments)
    block_variants = GENOTYPES.read(arguments).block_variants
    genotypes = open_plink(arguments.genotypes, block_variants=block_variants, use_fid=arguments.use_fid)
    split = read_split(arguments.split)
    positions = sample_positions(genotypes.samples, split.index.tolist())
    write_qc(run_qc(genotypes, split, positions, thresholds, threads=arguments.threads), arguments.out_dir)
