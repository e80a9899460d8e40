"""Test-set calibration: binned, with decision curves (binary); at the horizon, with Kaplan-Meier curves (survival).

A binary outcome's calibration groups the test samples by predicted risk and draws the net benefit of treating by
risk threshold; a survival outcome's compares predicted risk by the horizon with Kaplan-Meier risk and draws the
Kaplan-Meier curves of predicted-risk groups.
"""

from __future__ import annotations

import argparse

from riata.commands.common import add_model_arguments

CONFIG_OPTIONS = ()
MODEL_FILES = ("metrics.tsv", "predictions.tsv")
FEATURE_FILES = ("parameters",)
FIGURES = {"binary": "out_decision_curve", "survival": "out_kaplan_meier"}  # each outcome's second figure


def register_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser, MODEL_FILES, "one calibration table each; the first --drawn of them are drawn")
    parser.add_argument("--features", required=True, help="folder written by `riata features` (reads "
                        "preprocessing.json: the outcome type and a survival outcome's horizon)")  # fmt: skip
    parser.add_argument("--drawn", type=int, default=6, help="models drawn, from the first (default 6)")
    parser.add_argument("--groups", type=int, default=10, help="predicted-risk groups of the calibration table")
    parser.add_argument("--risk-groups", type=int, default=3, help="survival: predicted-risk groups of the "
                        "Kaplan-Meier curves")  # fmt: skip
    parser.add_argument("--thresholds", type=float, nargs=2, default=(0.01, 0.99), metavar=("LOW", "HIGH"),
                        help="binary: decision curve thresholds, every 0.01 (default 0.01 0.99)")  # fmt: skip
    parser.add_argument("--out-tsv", required=True, help="calibration.tsv to write")
    parser.add_argument("--out-calibration", required=True, help="calibration figure to write (.png or .svg)")
    parser.add_argument("--out-decision-curve", help="binary: decision curve figure to write (.png or .svg)")
    parser.add_argument("--out-kaplan-meier", help="survival: Kaplan-Meier figure to write (.png or .svg)")


def second_figure(arguments: argparse.Namespace, kind: str) -> str:
    """The path of the outcome type's second figure, after checking that only its option is given (the
    ``calibration`` and ``validate`` verbs)."""
    from riata.errors import RiataError

    if kind not in FIGURES:
        raise RiataError(f"calibration: the outcome is {kind}; calibration is drawn for binary and survival outcomes")
    for other, option in FIGURES.items():
        if other != kind and getattr(arguments, option) is not None:
            raise RiataError(f"calibration: --{option.replace('_', '-')} is for {other} outcomes")
    if getattr(arguments, FIGURES[kind]) is None:
        raise RiataError(f"calibration: a {kind} outcome needs --{FIGURES[kind].replace('_', '-')}")
    return getattr(arguments, FIGURES[kind])


def run(arguments: argparse.Namespace) -> None:
    from pathlib import Path

    import pandas as pd

    from riata import calibration
    from riata.io.results import model_label, read_features, read_model_metrics
    from riata.io.tables import atomic_outputs, read_table

    _, _, parameters = read_features(arguments.features, splits=())
    kind = parameters["outcome"]["type"]
    second = second_figure(arguments, kind)
    horizon = parameters["outcome"]["horizon"] if kind == "survival" else None
    thresholds = calibration.threshold_grid(*arguments.thresholds)
    tables, drawn = [], []
    for index, model_dir in enumerate(map(Path, arguments.models)):
        metrics = read_model_metrics(model_dir)
        predictions = read_table(model_dir / "predictions.tsv")
        test = predictions[predictions["split"] == "test"]
        table, shown = calibration.model_panels(kind, test, horizon, groups=arguments.groups, thresholds=thresholds)
        tables.append(table.assign(feature_set=metrics["feature_set"], penalty=metrics["penalty"],
                                   seed=metrics["seed"]))  # fmt: skip
        if index < arguments.drawn:
            drawn.append((f"{metrics['feature_set']}, {model_label(metrics)}", table, shown))
    table = pd.concat(tables, ignore_index=True)
    table = table[["feature_set", "penalty", "seed", *table.columns[:-3]]]
    with atomic_outputs([arguments.out_tsv, arguments.out_calibration, second]) as paths:
        table.to_csv(paths[0], sep="\t", index=False, float_format="%.4g")
        draw_calibration_figures(kind, drawn, horizon, arguments.risk_groups, paths[1], paths[2])


def draw_calibration_figures(kind: str, drawn: list, horizon: float | None, risk_groups: int, calibration_path,
                             second_path) -> None:  # fmt: skip
    """The calibration figure and the second one (binary: decision curves; survival: Kaplan-Meier curves) of
    ``drawn``: (title, calibration table, second figure's data) per model."""
    from riata.plots import draw_calibration, draw_decision_curve, draw_kaplan_meier

    draw_calibration([(title, own) for title, own, _ in drawn], horizon, [calibration_path])
    if kind == "survival":
        draw_kaplan_meier([(title, shown) for title, _, shown in drawn], horizon, risk_groups, [second_path])
    else:
        draw_decision_curve([(title, shown) for title, _, shown in drawn], [second_path])
