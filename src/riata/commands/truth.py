"""Check a truth file (the variables and SNPs known to matter) against the data, and write it in riata's form."""

from __future__ import annotations

import argparse

CONFIG_OPTIONS = ()


def register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--truth", required=True, help="truth file: a column 'variable', optionally 'kind' (snp for "
                        "a SNP id) and 'role' (causal or noise); see riata.io.truth")  # fmt: skip
    parser.add_argument("--clinical", required=True, help="clinical table whose columns the variables must be")
    parser.add_argument("--genotypes", help="PLINK 1 prefix whose .bim the SNP ids must be in (without it they are "
                        "not checked)")  # fmt: skip
    parser.add_argument("--out", required=True, help="truth.tsv to write: variable, kind (clinical or snp), role")


def run(arguments: argparse.Namespace) -> None:
    from riata.io.plink import plink_paths
    from riata.io.tables import atomic_output
    from riata.io.truth import read_checked_truth

    bim = plink_paths(arguments.genotypes)["bim"] if arguments.genotypes else None
    truth = read_checked_truth(arguments.truth, arguments.clinical, bim)
    with atomic_output(arguments.out) as temporary:
        truth.to_csv(temporary, sep="\t", index=False)
