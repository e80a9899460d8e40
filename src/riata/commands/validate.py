"""External validation: score another cohort with every model bundle; transported performance and its drop."""

from __future__ import annotations

import argparse

from riata.commands.calibration import second_figure
from riata.settings import Options, ValidationSettings

VALIDATION = Options(ValidationSettings)
CONFIG_OPTIONS = (VALIDATION,)


def register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundles", nargs="+", metavar="BUNDLE_DIR", help="model bundles written by `riata bundle`")
    parser.add_argument("--name", required=True, help="the validation cohort's name (a column of the tables)")
    parser.add_argument("--clinical", required=True, help="the cohort's clinical table, outcome included")
    parser.add_argument("--genotypes", help="the cohort's PLINK 1 prefix (models with genetic inputs)")
    parser.add_argument("--use-fid", action="store_true", help="match samples on FID and IID (default: IID)")
    parser.add_argument("--comparison", required=True, help="comparison.tsv of the training run: each model's "
                        "internal test metrics")  # fmt: skip
    parser.add_argument("--out-performance", required=True, help="one row per model: external metrics with "
                        "95%% bootstrap intervals, the internal test metrics and the drop (.tsv)")  # fmt: skip
    parser.add_argument("--out-predictions", required=True, help="every model's predictions of the cohort (.tsv)")
    parser.add_argument("--drawn", type=int, default=6, help="models drawn in the figures, from the first (default 6)")
    parser.add_argument("--out-calibration", help="binary and survival outcomes: calibration figure (.png or .svg)")
    parser.add_argument("--out-decision-curve", help="binary: decision curve figure to write (.png or .svg)")
    parser.add_argument("--out-kaplan-meier", help="survival: Kaplan-Meier figure to write (.png or .svg)")


def run(arguments: argparse.Namespace) -> None:
    import logging

    import pandas as pd

    from riata.io.tables import atomic_outputs, read_table

    settings = VALIDATION.read(arguments)
    internal = read_table(arguments.comparison).set_index(["feature_set", "penalty", "seed"])
    rows, predictions, outcome = [], [], None
    for bundle in arguments.bundles:
        row, table, outcome = _validated(bundle, arguments, settings, internal)
        rows.append(row)
        predictions.append(table)
        logging.getLogger("riata").info("%s on %s: %s", bundle, arguments.name, ", ".join(
            f"{key} {value:.3f}" for key, value in row.items() if key.endswith("_drop")))  # fmt: skip
    outputs = [arguments.out_performance, arguments.out_predictions]
    figures = []
    if arguments.out_calibration:
        figures = [arguments.out_calibration, second_figure(arguments, outcome["type"])]
    with atomic_outputs(outputs + figures) as paths:
        pd.DataFrame(rows).to_csv(paths[0], sep="\t", index=False, float_format="%.6g")
        pd.concat(predictions).to_csv(paths[1], sep="\t", index=False, float_format="%.7g")
        if figures:
            _draw(predictions[: arguments.drawn], outcome, arguments.name, *paths[2:])


def _draw(predictions: list, outcome: dict, cohort: str, calibration_path, second_path) -> None:
    """Calibration (and decision or Kaplan-Meier curves) of each model's predictions of the cohort."""
    from riata.calibration import model_panels
    from riata.commands.calibration import draw_calibration_figures

    horizon = outcome.get("horizon")
    drawn = []
    for table in predictions:
        first = table.iloc[0]
        title = f"{cohort}: {first['feature_set']}, {first['penalty']}, seed {first['seed']}"
        drawn.append((title, *model_panels(outcome["type"], table, horizon)))
    draw_calibration_figures(outcome["type"], drawn, horizon, 3, calibration_path, second_path)


def _validated(bundle: str, arguments: argparse.Namespace, settings, internal):
    """One model's row of the performance table, its predictions of the cohort and its outcome description."""
    import numpy as np

    from riata.errors import RiataError
    from riata.evaluate import metrics_with_intervals
    from riata.io.clinical import OUTCOME
    from riata.scoring import load_model

    model = load_model(bundle)
    description = model.bundle.description
    scored = model.inputs(arguments.clinical, arguments.genotypes, use_fid=arguments.use_fid,
                          max_missing_share=settings.max_missing_share, ambiguous=settings.ambiguous)  # fmt: skip
    if OUTCOME not in scored.clinical:
        raise RiataError(f"{arguments.clinical}: validation cohort {arguments.name!r} has no outcome column "
                         f"{model.clinical_spec.outcome!r}")  # fmt: skip
    prediction = model.predictions(scored.design)
    table = model.prediction_table(scored, prediction)
    target = model.task.targets(scored.clinical)
    survival = None
    if model.outcome_type == "survival":
        from riata.survival import SurvivalReference

        # Uno's weights and the Brier score's censoring distribution: the validation cohort's own.
        survival = (SurvivalReference(target, description["outcome"]["horizon"]), model.baseline_hazard())
    metrics = metrics_with_intervals(model.task, target, prediction, seed=description["seed"], survival=survival)
    key = (description["feature_set"], description["penalty"], description["seed"])
    own = internal.loc[key] if key in internal.index else None
    variants = model.bundle.variants
    events = {"survival": lambda: target[:, 1].sum(), "binary": lambda: target.sum()}.get(model.outcome_type)
    row = {"cohort": arguments.name, "feature_set": key[0], "penalty": key[1], "seed": key[2], "n": len(target),
           "n_events": int(events()) if events else np.nan,
           "missing_variant_share": scored.harmonisation["missing"] / len(variants) if variants is not None else 0.0,
           **metrics}  # fmt: skip
    for name in [m for m in metrics if not m.endswith(("_low", "_high")) and m != "test_loss"]:
        if own is not None and name in own:
            row[f"internal_{name}"] = float(own[name])
            row[f"{name}_drop"] = float(own[name]) - metrics[name]
    table = table.assign(cohort=arguments.name, feature_set=key[0], penalty=key[1], seed=key[2])
    return row, table, description["outcome"]
