"""Survival outcomes: calibration at the horizon and Kaplan-Meier curves by predicted risk group (test set)."""

from __future__ import annotations

import argparse

from riata.commands.common import add_model_arguments

CONFIG_OPTIONS = ()
MODEL_FILES = ("metrics.tsv", "predictions.tsv")
FEATURE_FILES = ("parameters",)


def register_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser, MODEL_FILES, "one calibration table each; the first --drawn of them are drawn")
    parser.add_argument("--features", required=True, help="folder written by `riata features` (reads "
                        "preprocessing.json: the horizon)")  # fmt: skip
    parser.add_argument("--drawn", type=int, default=6, help="models drawn, from the first (default 6)")
    parser.add_argument("--groups", type=int, default=10, help="predicted-risk groups of the calibration table")
    parser.add_argument("--risk-groups", type=int, default=3, help="predicted-risk groups of the Kaplan-Meier curves")
    parser.add_argument("--out-tsv", required=True, help="calibration.tsv to write")
    parser.add_argument("--out-calibration", required=True, help="calibration figure to write (.png or .svg)")
    parser.add_argument("--out-kaplan-meier", required=True, help="Kaplan-Meier figure to write (.png or .svg)")


def run(arguments: argparse.Namespace) -> None:
    from pathlib import Path

    import pandas as pd

    from riata.errors import RiataError
    from riata.io.clinical import OUTCOME, OUTCOME_TIME
    from riata.io.results import model_label, read_features, read_model_metrics
    from riata.io.tables import atomic_outputs, read_table
    from riata.plots import draw_calibration, draw_kaplan_meier
    from riata.survival import calibration_table

    _, _, parameters = read_features(arguments.features, splits=())
    if parameters["outcome"]["type"] != "survival":
        raise RiataError(f"survival: the outcome is {parameters['outcome']['type']}, not survival")
    horizon = parameters["outcome"]["horizon"]
    tables, drawn = [], []
    for index, model_dir in enumerate(map(Path, arguments.models)):
        metrics = read_model_metrics(model_dir)
        predictions = read_table(model_dir / "predictions.tsv")
        test = predictions[predictions["split"] == "test"]
        target = test[[OUTCOME_TIME, OUTCOME]].to_numpy(dtype=float)
        table = calibration_table(target, test["risk_at_horizon"].to_numpy(), horizon, groups=arguments.groups)
        tables.append(table.assign(feature_set=metrics["feature_set"], penalty=metrics["penalty"],
                                   seed=metrics["seed"]))  # fmt: skip
        if index < arguments.drawn:
            drawn.append((f"{metrics['feature_set']}, {model_label(metrics)}", test, table))
    calibration = pd.concat(tables, ignore_index=True)
    calibration = calibration[["feature_set", "penalty", "seed", *calibration.columns[:-3]]]
    with atomic_outputs([arguments.out_tsv, arguments.out_calibration, arguments.out_kaplan_meier]) as paths:
        calibration.to_csv(paths[0], sep="\t", index=False, float_format="%.4g")
        draw_calibration([(title, table) for title, _, table in drawn], horizon, [paths[1]])
        draw_kaplan_meier([(title, test) for title, test, _ in drawn], horizon, arguments.risk_groups, [paths[2]])
