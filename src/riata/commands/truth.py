"""Check a truth file (the variables and SNPs known to matter) against the data, and write it in riata's form."""

from __future__ import annotations

import argparse

CONFIG_OPTIONS = ()
SHOWN_COLUMNS = 12  # the error for an unknown variable lists this many of the table's columns


def register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--truth", required=True, help="truth file: a column 'variable', optionally 'kind' (snp for "
                        "a SNP id) and 'role' (causal or noise); see riata.io.truth")  # fmt: skip
    parser.add_argument("--clinical", required=True, help="clinical table whose columns the variables must be")
    parser.add_argument("--genotypes", help="PLINK 1 prefix whose .bim the SNP ids must be in (without it they are "
                        "not checked)")  # fmt: skip
    parser.add_argument("--out", required=True, help="truth.tsv to write: variable, kind (clinical or snp), role")


def run(arguments: argparse.Namespace) -> None:
    import pandas as pd

    from riata.io.plink import plink_paths, read_bim
    from riata.io.tables import atomic_output, read_table
    from riata.io.truth import check_truth_names, read_truth

    truth = read_truth(arguments.truth)
    columns = pd.Series(read_table(arguments.clinical, nrows=0).columns.astype(str))
    shown = ", ".join(columns[:SHOWN_COLUMNS]) + (", ..." if len(columns) > SHOWN_COLUMNS else "")
    check_truth_names(truth, "clinical", columns, arguments.truth, arguments.clinical, f" (its columns: {shown})")
    if arguments.genotypes:
        bim = plink_paths(arguments.genotypes)["bim"]
        check_truth_names(truth, "snp", read_bim(bim)["snp"].astype(str), arguments.truth, str(bim))
    with atomic_output(arguments.out) as temporary:
        truth.to_csv(temporary, sep="\t", index=False)
