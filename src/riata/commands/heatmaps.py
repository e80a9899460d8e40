"""Draw first-layer weight heat maps, one panel per model (titled with its penalty, seed and lambda)."""

from __future__ import annotations

import argparse

from riata.commands.common import add_model_arguments

CONFIG_OPTIONS = ()
MODEL_FILES = ("metrics.tsv", "first_layer.tsv", "inputs.tsv")


def register_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser, MODEL_FILES, "one panel each")
    parser.add_argument("--out-png", required=True, help="PNG to write")
    parser.add_argument("--out-svg", required=True, help="SVG to write")


def run(arguments: argparse.Namespace) -> None:
    from pathlib import Path

    from riata.io.results import read_inputs, read_model_metrics
    from riata.io.tables import atomic_outputs, read_table
    from riata.plots import draw_heatmaps, shown_rows

    panels = []
    for model_dir in map(Path, arguments.models):
        metrics = read_model_metrics(model_dir)
        layer = read_table(model_dir / "first_layer.tsv", dtype={"input": str}).set_index("input")
        title = f"{metrics['penalty']}, seed {metrics['seed']}, λ {metrics['lambda']:.3g}"
        panels.append(shown_rows(title, layer, read_inputs(model_dir)))
    with atomic_outputs([arguments.out_png, arguments.out_svg]) as (png, svg):
        draw_heatmaps(panels, [png, svg])
