"""Regularisation paths, training curves, first-layer weights over epochs and selection stability."""

from __future__ import annotations

import argparse

from riata.commands.common import add_model_arguments

CONFIG_OPTIONS = ()
MODEL_FILES = ("metrics.tsv", "training.tsv", "path.tsv", "inputs.tsv")
WEIGHTS_MODEL_FILES = ("metrics.tsv", "first_layer_epochs.tsv")


def register_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser, MODEL_FILES, "one panel each")
    parser.add_argument("--stability", required=True, help="stability.tsv written by `riata compare`")
    parser.add_argument("--weights-model", required=True, help="model folder whose first layer over epochs is "
                        f"drawn (reads {', '.join(WEIGHTS_MODEL_FILES)})")  # fmt: skip
    for name in ("paths", "training", "weights", "stability"):
        parser.add_argument(f"--out-{name}", required=True, help=f"{name} figure to write (.png or .svg)")


def run(arguments: argparse.Namespace) -> None:
    from pathlib import Path

    from riata.io.results import model_label, read_inputs, read_model_metrics
    from riata.io.tables import atomic_outputs, read_table
    from riata.plots import draw_paths, draw_stability, draw_training, draw_weights_over_epochs

    paths, curves = [], []
    for model_dir in map(Path, arguments.models):
        metrics = read_model_metrics(model_dir)
        title = f"{metrics['feature_set']} {model_label(metrics)}"
        curves.append((title, read_table(model_dir / "training.tsv")))
        if metrics["penalty"] != "none":
            paths.append((title, read_table(model_dir / "path.tsv"), read_inputs(model_dir)))
    weights_dir = Path(arguments.weights_model)
    epochs = read_table(weights_dir / "first_layer_epochs.tsv")
    outputs = [arguments.out_paths, arguments.out_training, arguments.out_weights, arguments.out_stability]
    with atomic_outputs(outputs) as (paths_figure, training, weights, stability):
        if paths:
            draw_paths(paths, [paths_figure])
        else:
            draw_training(curves[:1], [paths_figure])  # no penalty configured: no path to draw
        draw_training(curves, [training])
        draw_weights_over_epochs(epochs, model_label(read_model_metrics(weights_dir)), [weights])
        draw_stability(read_table(arguments.stability), [stability])
