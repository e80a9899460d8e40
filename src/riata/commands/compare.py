"""Gather the trained models into the comparison table, selection stability and the check against a truth."""

from __future__ import annotations

import argparse

from riata.commands.common import add_model_arguments

CONFIG_OPTIONS = ()
MODEL_FILES = ("metrics.tsv", "predictions.tsv", "stability_refits.tsv", "inputs.tsv")
FEATURE_FILES = ("parameters",)


def register_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser, MODEL_FILES, "one row each")
    parser.add_argument(
        "--features",
        required=True,
        help="folder written by `riata features` (reads columns.tsv and preprocessing.json)",
    )
    parser.add_argument("--truth", help="truth.tsv written by `riata truth`: check selections against it")
    parser.add_argument("--knockoffs", action="append", default=[],
                        help="a table written by `riata knockoffs` (repeat for each feature set)")  # fmt: skip
    parser.add_argument("--out-tsv", required=True, help="comparison.tsv to write")
    parser.add_argument("--out-md", required=True, help="comparison.md to write")
    parser.add_argument("--out-stability", required=True, help="stability.tsv to write")
    parser.add_argument("--out-truth", help="truth_check.tsv to write (with --truth)")


def run(arguments: argparse.Namespace) -> None:
    """comparison.tsv (with each model's paired difference from the clinical-only unpenalised baseline),
    stability.tsv, truth_check.tsv (both with the knockoff selections, when given) and a readable comparison.md."""
    from pathlib import Path

    import pandas as pd

    from riata.io.results import (
        read_features,
        read_inputs,
        read_metrics_table,
        read_refit_frequencies,
        read_test_predictions,
    )
    from riata.io.tables import atomic_outputs, read_table
    from riata.io.truth import read_truth
    from riata.report import (
        against_baseline,
        comparison_markdown,
        knockoff_models,
        oracle_gain_recovered,
        order_comparison,
        stability_table,
        truth_table,
    )
    from riata.tasks import Task

    _, _, parameters = read_features(arguments.features, splits=())
    outcome = parameters["outcome"]
    task = Task(outcome["type"], n_classes=max(len(outcome["classes"]), 2))
    tables = [read_metrics_table(model_dir) for model_dir in arguments.models]  # one row each
    models = [(Path(model_dir), table.iloc[0]) for model_dir, table in zip(arguments.models, tables, strict=True)]
    comparison = order_comparison(pd.concat(tables, ignore_index=True))
    predictions = {(m["feature_set"], m["penalty"], m["seed"]): read_test_predictions(model_dir)
                   for model_dir, m in models}  # fmt: skip
    comparison = oracle_gain_recovered(against_baseline(comparison, predictions, task), task)
    if comparison["oracle_gain_recovered"].isna().all():
        comparison = comparison.drop(columns="oracle_gain_recovered")
    inputs = {(m["feature_set"], m["penalty"], m["seed"]): read_inputs(model_dir) for model_dir, m in models}
    refits = pd.concat([read_refit_frequencies(model_dir, m) for model_dir, m in models], ignore_index=True)
    knockoffs = (
        pd.concat([read_table(path, dtype={"variable": str}) for path in arguments.knockoffs], ignore_index=True)
        if arguments.knockoffs
        else None
    )
    selections, inputs_of_selections = comparison, inputs
    if knockoffs is not None:
        knockoff_rows, knockoff_inputs = knockoff_models(knockoffs)
        selections = pd.concat([comparison, knockoff_rows], ignore_index=True)
        inputs_of_selections = inputs | knockoff_inputs
    stability = stability_table(selections, inputs_of_selections, refits)
    truth = truth_table(selections, inputs_of_selections, read_truth(arguments.truth)) if arguments.truth else None
    outputs = [arguments.out_tsv, arguments.out_md, arguments.out_stability]
    with atomic_outputs(outputs + ([arguments.out_truth] if truth is not None else [])) as paths:
        comparison.to_csv(paths[0], sep="\t", index=False, float_format="%.6g")
        paths[1].write_text(comparison_markdown(comparison, stability, truth, knockoffs))
        stability.to_csv(paths[2], sep="\t", index=False, float_format="%.4g")
        if truth is not None:
            truth.to_csv(paths[3], sep="\t", index=False, float_format="%.4g")
