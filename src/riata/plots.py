"""Figures: heat maps of first-layer weights, one row per input column, one column per hidden unit."""

from __future__ import annotations

import math
import string
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import SymLogNorm
from matplotlib.patches import Patch

ZERO_COLOUR = "#9e9e9e"  # exact zeros: grey, outside the diverging colour map


def draw_heatmaps(panels: Sequence[tuple[str, pd.DataFrame]], paths: Sequence[str | Path], *, columns: int = 3) -> None:
    """One heat map per (title, first layer) panel, lettered A, B, ..., saved to each of ``paths``.

    Each first layer is a frame (input columns x hidden units). All panels share one colour scale,
    symmetric around zero and logarithmic beyond 1% of the largest weight (so that the small weights of
    penalised networks stay visible beside unpenalised ones); weights that are exactly zero are grey.
    """
    n_rows = max(len(layer) for _, layer in panels)
    limit = max(float(np.abs(layer.to_numpy()).max()) for _, layer in panels) or 1.0
    grid_rows = math.ceil(len(panels) / columns)
    grid_columns = min(columns, len(panels))
    panel_height = max(3.0, 0.16 * n_rows + 1.0)
    figure, axes = plt.subplots(
        grid_rows,
        grid_columns,
        figsize=(4.6 * grid_columns + 1.2, panel_height * grid_rows),
        squeeze=False,
        gridspec_kw={"wspace": 0.65, "hspace": 0.12 + 1.0 / panel_height},
    )
    scale = SymLogNorm(linthresh=limit / 100, vmin=-limit, vmax=limit, base=10)
    colour_map = plt.get_cmap("RdBu_r").copy()
    colour_map.set_bad(ZERO_COLOUR)
    image = None
    for index, axis in enumerate(axes.flat):
        if index >= len(panels):
            axis.set_visible(False)
            continue
        title, layer = panels[index]
        weights = np.ma.masked_equal(layer.to_numpy(dtype=float), 0.0)
        image = axis.imshow(weights, cmap=colour_map, norm=scale, aspect="auto", interpolation="nearest")
        axis.set_title(f"{string.ascii_uppercase[index]}  {title}", loc="left", fontsize=10)
        axis.set_yticks(range(len(layer)), labels=[str(name) for name in layer.index], fontsize=6.5)
        axis.set_xticks(range(layer.shape[1]), labels=[str(h) for h in range(layer.shape[1])], fontsize=6)
        axis.set_xlabel("hidden unit", fontsize=8)
    colour_bar = figure.colorbar(image, ax=axes.ravel().tolist(), shrink=0.4, label="first-layer weight")
    colour_bar.ax.legend(
        handles=[Patch(facecolor=ZERO_COLOUR, label="exactly zero")],
        loc="upper left",
        bbox_to_anchor=(0.0, -0.04),
        fontsize=8,
        frameon=False,
    )
    for path in paths:
        figure.savefig(path, dpi=150, bbox_inches="tight", format=Path(path).suffix.lstrip("."))
    plt.close(figure)
