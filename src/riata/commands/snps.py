"""SNP importance through the genetic components each model keeps, along the genome."""

from __future__ import annotations

import argparse

from riata.commands.common import add_model_arguments

CONFIG_OPTIONS = ()
MODEL_FILES = ("metrics.tsv", "first_layer.tsv")


def register_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser, MODEL_FILES, "with genetic inputs")
    parser.add_argument("--loadings", required=True, help="loadings written by `riata embed`")
    parser.add_argument("--truth", help="truth.tsv of a simulated cohort: count causal SNPs near the top")
    parser.add_argument("--out-tsv", required=True, help="snp_importance.tsv to write")
    parser.add_argument("--out-png", required=True, help="Manhattan-style figure to write")
    parser.add_argument("--out-truth", help="causal SNPs in the top ranks (with --truth)")


def run(arguments: argparse.Namespace) -> None:
    """snp_importance.tsv, a Manhattan-style figure, and with a truth file, how many causal SNPs rank
    near the top."""
    from pathlib import Path

    from riata.io.results import model_label, read_model_metrics
    from riata.io.tables import atomic_outputs, read_table
    from riata.io.variant_tables import read_loadings
    from riata.plots import draw_manhattan
    from riata.report import causal_snps_in_top, snp_importance

    variants, loadings = read_loadings(arguments.loadings)
    layers = {}
    for model_dir in map(Path, arguments.models):
        metrics = read_model_metrics(model_dir)
        layer = read_table(model_dir / "first_layer.tsv").set_index("input")
        layers[f"{metrics['feature_set']} {model_label(metrics)}"] = layer
    importance = snp_importance(variants, loadings, layers)
    truth = read_table(arguments.truth) if arguments.truth else None
    causal = set(truth.loc[truth["kind"] == "snp", "variable"]) if truth is not None else set()
    outputs = [arguments.out_tsv, arguments.out_png] + ([arguments.out_truth] if truth is not None else [])
    with atomic_outputs(outputs) as paths:
        importance.to_csv(paths[0], sep="\t", index=False, float_format="%.6g")
        draw_manhattan(importance, [c for c in importance.columns if c.startswith("importance_")], [paths[1]], causal)
        if truth is not None:
            causal_snps_in_top(importance, causal).to_csv(paths[2], sep="\t", index=False, float_format="%.4g")
