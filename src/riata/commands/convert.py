"""Convert PLINK 2 / VCF / BCF genotypes to a PLINK 1 fileset with plink2."""

from __future__ import annotations

import argparse

CONFIG_OPTIONS = ()


def register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", required=True, choices=["pgen", "vcf", "bcf"], help="input format")
    parser.add_argument("--input", required=True, help="pgen prefix, or .vcf/.vcf.gz/.bcf file")
    parser.add_argument("--out", required=True, help="prefix of the .bed/.bim/.fam to write")
    parser.add_argument("--threads", type=int, default=1, help="plink2 threads")


def run(arguments: argparse.Namespace) -> None:
    from riata.io.convert import convert_genotypes

    convert_genotypes(source=arguments.input, genotype_format=arguments.format, out_prefix=arguments.out,
                      threads=arguments.threads)  # fmt: skip
