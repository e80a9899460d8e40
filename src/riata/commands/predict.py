"""Score new patients with a model bundle: clinical table (and genotypes) in, predictions out."""

from __future__ import annotations

import argparse

from riata.settings import AMBIGUOUS_RULES, DEFAULT_MAX_MISSING_SHARE

CONFIG_OPTIONS = ()


def register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model bundle folder written by `riata bundle`")
    parser.add_argument("--clinical", required=True, help="clinical table of the patients (.tsv, .txt, .csv or "
                        ".parquet; the outcome column is optional)")  # fmt: skip
    parser.add_argument("--genotypes", help="PLINK 1 fileset prefix (models with genetic inputs)")
    parser.add_argument("--use-fid", action="store_true", help="match samples on FID and IID (default: IID)")
    parser.add_argument("--max-missing-share", type=float, default=DEFAULT_MAX_MISSING_SHARE,
                        help="refuse to score when more than this share of the model's variants is missing "
                        f"from the genotypes (default {DEFAULT_MAX_MISSING_SHARE})")  # fmt: skip
    parser.add_argument("--ambiguous", choices=AMBIGUOUS_RULES, default="frequency",
                        help="strand-ambiguous SNPs (A/T, C/G): oriented by allele frequency, dropped near 0.5 "
                        "(frequency, the default), or taken as their labels say (labels: a cohort genotyped and "
                        "called as the training one)")  # fmt: skip
    parser.add_argument("--out", required=True, help="predictions (.tsv)")


def run(arguments: argparse.Namespace) -> None:
    import logging

    from riata.errors import RiataError
    from riata.io.tables import atomic_output
    from riata.scoring import load_model

    if not 0 <= arguments.max_missing_share <= 1:
        raise RiataError(f"--max-missing-share must be between 0 and 1, not {arguments.max_missing_share}")
    model = load_model(arguments.model)
    scored = model.inputs(arguments.clinical, arguments.genotypes, use_fid=arguments.use_fid,
                          max_missing_share=arguments.max_missing_share, ambiguous=arguments.ambiguous)  # fmt: skip
    table = model.prediction_table(scored, model.predictions(scored.design))
    with atomic_output(arguments.out) as path:
        table.to_csv(path, sep="\t", index=False, float_format="%.7g")
    logging.getLogger("riata").info("%r: scored %d samples", model, len(table))
