"""Train the penalised networks of one feature set and penalty: every (lambda, seed) in one batch."""

from __future__ import annotations

import argparse
import logging

from riata.settings import FEATURE_SETS, PENALTIES, Options, TrainSettings

TRAINING = Options(TrainSettings)
CONFIG_OPTIONS = (TRAINING,)

log = logging.getLogger("riata")


def register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--features", required=True, help="folder written by `riata features` (reads every file)")
    parser.add_argument("--feature-set", required=True, help=f"one of {', '.join(FEATURE_SETS)}")
    parser.add_argument("--penalty", required=True, help=f"one of {', '.join(PENALTIES)}")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--out-dir", required=True, help="folder for the seed<N>/ model folders")


def run(arguments: argparse.Namespace) -> None:
    """Train, choose each seed's lambda on the validation set, and write each seed's model folder."""
    import torch

    from riata.errors import RiataError
    from riata.features import feature_columns
    from riata.io.results import read_features
    from riata.tasks import Task
    from riata.train import fit_penalty

    settings = TRAINING.read(arguments)  # names and settings first, before reading any file
    feature_set, penalty = arguments.feature_set, arguments.penalty
    if penalty not in PENALTIES:
        raise RiataError(f"unknown penalty {penalty!r}; choose from {', '.join(PENALTIES)}")
    if feature_set not in FEATURE_SETS:
        raise RiataError(f"unknown feature set {feature_set!r}; choose from {', '.join(FEATURE_SETS)}")
    torch.set_num_threads(arguments.threads)
    tables, all_columns, parameters = read_features(arguments.features)
    outcome = parameters["outcome"]
    task = Task(outcome["type"], n_classes=max(len(outcome["classes"]), 2), regression_loss=settings.regression_loss)
    columns = feature_columns(all_columns, feature_set)
    results = fit_penalty(tables, columns, task=task, penalty=penalty, seeds=list(settings.seeds), settings=settings)
    _write_models(arguments.out_dir, results, tables, columns, task, outcome, settings, feature_set, penalty)


def _write_models(out_dir, results, tables, columns, task, outcome, settings, feature_set, penalty) -> None:
    """Each seed's folder (:data:`riata.io.results.SEED_FILES`), all of them together or none."""
    from riata.evaluate import model_metrics
    from riata.io.clinical import OUTCOME
    from riata.io.results import SEED_FILES, predictions_table, seed_directory, write_model, write_seed_tables
    from riata.io.tables import atomic_outputs
    from riata.plots import draw_heatmaps
    from riata.report import TEST_METRICS

    source_of = dict(zip(columns["variable"], columns["source"], strict=False))
    outputs = [seed_directory(out_dir, r.seed) / name for r in results for name in SEED_FILES]
    with atomic_outputs(outputs) as paths:
        for index, result in enumerate(results):
            own = dict(zip(SEED_FILES, paths[index * len(SEED_FILES) : (index + 1) * len(SEED_FILES)], strict=True))
            targets = {split: tables[split][OUTCOME].to_numpy() for split in ("validation", "test")}
            metrics = model_metrics(task, targets, result, source_of, settings, feature_set=feature_set,
                                    penalty=penalty)  # fmt: skip
            predictions = predictions_table(tables, task, outcome["classes"], result.predictions)
            write_seed_tables(own, result, metrics, predictions, settings.stability_refits)
            title = f"{feature_set}, {penalty}, seed {result.seed}, λ {result.lambda_:.3g}"
            draw_heatmaps([(title, result.first_layer)], [own["first_layer.png"]], columns=1)
            write_model(own["model.pt"], columns["column"].tolist(), list(settings.hidden_layers), outcome,
                        result.parameters)  # fmt: skip
            test = ", ".join(f"test {name} {metrics[name]:.3f}" for name in TEST_METRICS if name in metrics)
            log.info(
                "%s/%s seed %d: lambda %.3g, epoch %d, %s, %d of %d variables kept",
                feature_set,
                penalty,
                result.seed,
                result.lambda_,
                result.best_epoch,
                test,
                len(result.selected),
                len(source_of),
            )
