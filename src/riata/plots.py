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


PATH_LINES_SHOWN = 30  # a path panel of more variables (screened SNPs) draws those with the largest norms
SNP_ROWS_SHOWN = 40  # a heat map shows at most this many SNP rows: the kept ones with the largest norms


def shown_rows(title: str, layer: pd.DataFrame, inputs: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """A heat map panel of a first layer whose inputs (column, variable, source) may hold screened SNPs:
    only the kept SNP rows, at most ``SNP_ROWS_SHOWN`` with the largest norms, then the other inputs; the
    title says how many SNPs were kept."""
    snp_rows = layer.index.isin(inputs.loc[inputs["source"] == "snp", "column"])
    if not snp_rows.any():
        return title, layer
    norms = pd.Series(np.linalg.norm(layer.to_numpy()[snp_rows], axis=1), index=layer.index[snp_rows])
    kept = norms[norms > 0].sort_values(ascending=False)
    shown = kept.index[:SNP_ROWS_SHOWN]
    note = f"{len(kept)} of {snp_rows.sum()} SNPs kept" + (
        f", {len(shown)} largest shown" if len(kept) > len(shown) else ""
    )
    if not len(shown) and snp_rows.all():  # nothing kept and nothing else: a few of the zero rows
        shown = layer.index[:5]
    return f"{title}\n{note}", layer.loc[[*shown, *layer.index[~snp_rows]]]


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


def _grid(n_panels: int, columns: int, width: float, height: float, hspace: float = 0.45):
    """Panels of ``width`` x ``height`` inches, ``columns`` to a row; ``hspace``: the gap between rows as a share of
    a panel's height."""
    rows = math.ceil(n_panels / columns)
    figure, axes = plt.subplots(
        rows,
        min(columns, n_panels),
        figsize=(width * min(columns, n_panels), height * rows),
        squeeze=False,
        gridspec_kw={"wspace": 0.55, "hspace": hspace},
    )
    for axis in axes.flat[n_panels:]:
        axis.set_visible(False)
    return figure, axes.flat


def _save(figure, paths: Sequence[str | Path]) -> None:
    for path in paths:
        figure.savefig(path, dpi=130, bbox_inches="tight", format=Path(path).suffix.lstrip("."))
    plt.close(figure)


# A regularisation path's panels, by input source: genetic components and screened SNPs each apart, every other
# source (clinical variables, polygenic score, the oracle's liability) in the clinical panel.
PATH_GROUPS = {"genetic": "genetic components", "snp": "SNPs"}
SOURCE_NAMES = {"clinical": "clinical variables", "prs": "polygenic score", "oracle": "true genetic liability"}


def _path_panels(title: str, path: pd.DataFrame, inputs: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """One panel per input group of a model's path: (title naming the group, its norm columns); a group of
    more than ``PATH_LINES_SHOWN`` variables (screened SNPs) keeps those with the largest norms along the path."""
    source_of = inputs.drop_duplicates("variable").set_index("variable")["source"]
    groups: dict[str, list[str]] = {}
    for column in [c for c in path.columns if c.startswith("norm:")]:
        source = source_of.get(column.removeprefix("norm:"), "clinical")
        groups.setdefault(source if source in PATH_GROUPS else "clinical", []).append(column)
    panels = []
    for group, columns in groups.items():
        sources = {source_of.get(c.removeprefix("norm:"), "clinical") for c in columns}
        name = PATH_GROUPS.get(group) or " and ".join(SOURCE_NAMES[s] for s in SOURCE_NAMES if s in sources)
        if len(columns) > PATH_LINES_SHOWN:
            name += f" ({PATH_LINES_SHOWN} of {len(columns)} with the largest norms)"
            columns = list(path[columns].max().sort_values(ascending=False).index[:PATH_LINES_SHOWN])
        panels.append((f"{title}: {name}", columns))
    return panels


def _line_styles(count: int) -> list[tuple[tuple, str]]:
    """``count`` (colour, line style) pairs, none alike: tab20's ten dark colours, then its ten light ones,
    each set solid, then dashed, then dotted."""
    colours = plt.get_cmap("tab20").colors
    ordered = list(colours[0::2]) + list(colours[1::2])
    return [(ordered[k % 20], ("-", "--", ":")[(k // 20) % 3]) for k in range(count)]


def draw_paths(paths: Sequence[tuple[str, pd.DataFrame, pd.DataFrame]], out: Sequence[str | Path], *,
               metric: str = "loss") -> None:  # fmt: skip
    """Regularisation paths: each variable's first-layer group norm against lambda (log scale), the chosen
    lambda dashed, and the validation metric on a second axis; one row per (title, path.tsv, inputs.tsv) model
    and one panel per input group (clinical variables, genetic components, SNPs), every line in the legend."""
    rows = [(path.sort_values("lambda"), _path_panels(title, path, inputs)) for title, path, inputs in paths]
    columns = max(len(panels) for _, panels in rows)
    figure, axes = plt.subplots(len(rows), columns, figsize=(9.0 * columns, 3.6 * len(rows)), squeeze=False,
                                gridspec_kw={"wspace": 0.9, "hspace": 0.5})  # fmt: skip
    for (path, panels), row_axes in zip(rows, axes, strict=True):
        for axis, (title, norms) in zip(row_axes, panels, strict=False):
            for column, (colour, style) in zip(norms, _line_styles(len(norms)), strict=True):
                axis.plot(path["lambda"], path[column], color=colour, linestyle=style, linewidth=1.3,
                          label=column.removeprefix("norm:"))  # fmt: skip
            axis.set_xscale("log")
            axis.axvline(path.loc[path["chosen"], "lambda"].iloc[0], color="black", linestyle="--", linewidth=1)
            axis.set_xlabel("lambda (chosen: dashed)")
            axis.set_ylabel("group norm of first-layer weights")
            axis.set_title(title, loc="left", fontsize=10)
            second = axis.twinx()
            second.plot(path["lambda"], path[f"validation_{metric}"], color="black", marker=".", linewidth=1.5)
            second.set_ylabel(f"validation {metric} (black)")
            axis.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.2, 1.0), frameon=False,
                        ncols=1 + len(norms) // 16)  # fmt: skip
        for axis in row_axes[len(panels) :]:
            axis.set_visible(False)
    _save(figure, out)


def draw_training(curves: Sequence[tuple[str, pd.DataFrame]], out: Sequence[str | Path]) -> None:
    """Training loss and validation objective by epoch, best epoch dashed; one panel per (title, training.tsv)."""
    figure, axes = _grid(len(curves), 3, 4.6, 3.2)
    for axis, (title, curve) in zip(axes, curves, strict=False):
        axis.plot(curve["epoch"], curve["train_loss"], label="training loss")
        axis.plot(curve["epoch"], curve["validation_objective"], label="validation loss + penalty")
        axis.axvline(curve.loc[curve["best"], "epoch"].iloc[0], color="black", linestyle="--", linewidth=1)
        axis.set_xlabel("epoch")
        axis.set_title(title, loc="left", fontsize=10)
        axis.legend(fontsize=7, frameon=False)
    _save(figure, out)


def draw_weights_over_epochs(epochs: pd.DataFrame, title: str, out: Sequence[str | Path], *, panels: int = 8) -> None:
    """First-layer weights of one model (``title``) at up to ``panels`` snapshot epochs, on one shared scale."""
    available = sorted(epochs["epoch"].unique())
    chosen = [available[int(i)] for i in np.linspace(0, len(available) - 1, min(panels, len(available)))]
    layers = [
        (f"{title}, epoch {epoch}", epochs[epochs["epoch"] == epoch].drop(columns="epoch").set_index("input"))
        for epoch in dict.fromkeys(chosen)
    ]
    draw_heatmaps(layers, out, columns=4)


def _stability_rows(table: pd.DataFrame) -> pd.DataFrame:
    """One feature set's stability rows to draw: every variable, but of the screened SNPs only those some
    penalised network kept, at most ``SNP_ROWS_SHOWN`` of the most often kept."""
    if "source" not in table or not (table["source"] == "snp").any():
        return table
    snps = table[(table["source"] == "snp") & (table["penalty"] != "none")]
    kept = snps.groupby("variable")["selected"].mean()
    shown = kept[kept > 0].sort_values(ascending=False).index[:SNP_ROWS_SHOWN]
    return table[(table["source"] != "snp") | table["variable"].isin(shown)]


def draw_stability(stability: pd.DataFrame, out: Sequence[str | Path]) -> None:
    """Selected (dark) or not, per input variable (rows) and model (columns), one panel per feature set;
    with stability selection (a refit_frequency column), a second panel per feature set shades each
    model's cell by the share of its refits on half-samples that kept the variable."""
    feature_sets = list(dict.fromkeys(stability["feature_set"]))
    refitted = "refit_frequency" in stability and stability["refit_frequency"].notna().any()
    views = [("selected", "variables kept (dark) by each penalty and seed")]
    if refitted:
        views.append(("refit_frequency", "share of refits on half-samples that kept each variable (dark: all)"))
    panels = [(feature_set, value, title) for feature_set in feature_sets for value, title in views]
    shown = {fs: _stability_rows(stability[stability["feature_set"] == fs]) for fs in feature_sets}
    panel_height = 0.3 + 0.16 * max(t["variable"].nunique() for t in shown.values())
    label_height = 0.08 * max(len(f"{p} {s}") for p, s in zip(stability["penalty"], stability["seed"], strict=True))
    figure, axes = _grid(
        len(panels), 1, 12, panel_height + label_height + 0.4, hspace=(label_height + 0.4) / panel_height
    )  # rotated model names fit under each panel
    for axis, (feature_set, value, title) in zip(axes, panels, strict=False):
        table = shown[feature_set]
        matrix = table.pivot_table(index="variable", columns=["penalty", "seed"], values=value, sort=False,
                                   dropna=False)  # fmt: skip
        axis.imshow(matrix.to_numpy(), cmap="Greys", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
        axis.set_yticks(range(len(matrix)), labels=matrix.index, fontsize=6.5)
        axis.set_xticks(range(matrix.shape[1]), labels=[f"{p} {s}" for p, s in matrix.columns], rotation=90, fontsize=7)
        axis.set_title(f"{feature_set}: {title}", loc="left", fontsize=10)
    _save(figure, out)


def _nice_step(span: float, ticks: int) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks over ``span``."""
    raw = max(span, 1.0) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _genome_layout(chromosome: pd.Series, position: pd.Series) -> tuple[dict[str, int], dict[str, int]]:
    """Chromosomes laid end to end, in order of appearance: each one's span (its largest position) and offset."""
    spans = position.groupby(chromosome, sort=False).max().astype(int).to_dict()
    offsets = dict(zip(spans, np.cumsum([0, *spans.values()])[:-1].tolist(), strict=True))
    return spans, offsets


def _label_genome(axis, spans: dict[str, int], offsets: dict[str, int]) -> None:
    """Position ticks within each chromosome (kb or Mb, about 12 over the genome) and, below them, each
    chromosome's name at its middle."""
    scale, unit = (1e6, "Mb") if max(spans.values()) >= 5e6 else (1e3, "kb")
    step = _nice_step(sum(spans.values()) / scale, 12) * scale
    ticks, labels = [], []
    for name, span in spans.items():
        inside = np.arange(0, span * 0.9, step)  # none crowding the next chromosome's first tick
        ticks += list(offsets[name] + inside)
        labels += [f"{t / scale:g}" for t in inside]
    axis.set_xticks(ticks, labels=labels, fontsize=6)
    axis.set_xlabel(f"position ({unit})", fontsize=7, loc="right", labelpad=1)
    names = axis.secondary_xaxis(-0.22)
    names.set_xticks([offsets[n] + spans[n] / 2 for n in spans], labels=[f"chromosome {n}" for n in spans],
                     fontsize=8)  # fmt: skip
    names.tick_params(length=0)
    names.spines["bottom"].set_visible(False)


def draw_manhattan(importance: pd.DataFrame, out: Sequence[str | Path], causal=()) -> None:
    """SNP importance along the genome, one panel per ``mean_importance_<model>`` column (the mean over a
    feature set and penalty's seeds, :func:`riata.report.snp_importance`); causal SNPs (if known) in red. Models
    whose every seed kept no genetic input (importance zero everywhere) get no panel: a note names them."""
    models = [c.removeprefix("mean_importance_") for c in importance.columns if c.startswith("mean_importance_")]
    drawn = [m for m in models if importance[f"mean_importance_{m}"].max() > 0]
    chromosome = importance["chrom"].astype(str)
    spans, offsets = _genome_layout(chromosome, importance["pos"])
    x = (importance["pos"] + chromosome.map(offsets)).to_numpy(dtype=float)
    is_causal = importance["snp"].isin(set(causal)).to_numpy()
    shade = chromosome.map({name: i % 2 for i, name in enumerate(spans)}).to_numpy()
    figure, axes = _grid(max(len(drawn), 1), 1, 11, 2.8)
    figure.subplots_adjust(hspace=0.8, top=1 - 0.4 / figure.get_figheight())  # room for the chromosome names
    for axis, model in zip(axes, drawn, strict=False):
        y = importance[f"mean_importance_{model}"].to_numpy()
        # Line2D markers rather than scatter: Agg stamps one marker per point (7x faster at 500,000 SNPs).
        for parity, colour in enumerate(["#4c72b0", "#8fa8d2"]):
            points = (shade == parity) & ~is_causal
            axis.plot(x[points], y[points], linestyle="none", marker=".", markersize=1.5, color=colour, rasterized=True)
        axis.plot(x[is_causal], y[is_causal], linestyle="none", marker="o", markersize=3, color="#c0392b",
                  label="causal (truth)")  # fmt: skip
        axis.set_xlim(x.min(), x.max())
        _label_genome(axis, spans, offsets)
        axis.set_ylabel("importance")
        seeds = sum(c.startswith(f"importance_{model}, seed ") for c in importance.columns)
        axis.set_title(f"{model}: mean over {seeds} seed{'s' * (seeds > 1)}", loc="left", fontsize=10)
        if is_causal.any():
            axis.legend(fontsize=7, frameon=False, loc="upper right")
    empty = [m for m in models if m not in drawn]
    if empty:
        figure.suptitle(f"Not drawn, no genetic input kept by any seed: {', '.join(empty)}", x=0.01, y=1.0,
                        ha="left", va="top", fontsize=9)  # fmt: skip
    _save(figure, out)


def draw_calibration(panels: Sequence[tuple[str, pd.DataFrame]], horizon: float | None,
                     out: Sequence[str | Path]) -> None:  # fmt: skip
    """Calibration: each risk group's mean predicted risk against its observed risk (95% interval), the diagonal
    dashed; one panel per (title, calibration table). Survival (``horizon`` given): risk by the horizon against
    Kaplan-Meier (:func:`riata.survival.calibration_table`); binary (``horizon`` None): the share of events
    (:func:`riata.calibration.calibration_table`)."""
    figure, axes = _grid(len(panels), 3, 4.2, 4.0)
    for axis, (title, table) in zip(axes, panels, strict=False):
        top = max(table["predicted_risk"].max(), table["observed_high"].max(), 0.05) * 1.05
        axis.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1)
        below, above = table["observed_risk"] - table["observed_low"], table["observed_high"] - table["observed_risk"]
        axis.errorbar(table["predicted_risk"], table["observed_risk"], yerr=[below, above], fmt="o", color="black",
                      markersize=4)  # fmt: skip
        axis.set_xlim(0, top)
        axis.set_ylim(0, top)
        axis.set_xlabel("predicted risk" if horizon is None else f"predicted risk by time {horizon:g}")
        axis.set_ylabel("observed share of events" if horizon is None else "observed risk (Kaplan-Meier)")
        axis.set_title(title, loc="left", fontsize=10)
    _save(figure, out)


def draw_kaplan_meier(panels: Sequence[tuple[str, pd.DataFrame]], horizon: float, groups: int,
                      out: Sequence[str | Path]) -> None:  # fmt: skip
    """Kaplan-Meier survival of the test samples in ``groups`` equal-sized groups of predicted risk (lowest to
    highest), the horizon dashed; one panel per (title, test predictions with outcome, outcome_time, risk_score)."""
    from sksurv.nonparametric import kaplan_meier_estimator

    from riata.calibration import prediction_groups

    figure, axes = _grid(len(panels), 3, 4.6, 3.6)
    for axis, (title, test) in zip(axes, panels, strict=False):
        members_of = prediction_groups(test["risk_score"].to_numpy(), groups)
        colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(members_of)))
        for group, (members, colour) in enumerate(zip(members_of, colours, strict=True)):
            rows = test.iloc[members]
            times, survival = kaplan_meier_estimator(rows["outcome"].to_numpy() > 0, rows["outcome_time"].to_numpy())
            last = len(members_of) - 1
            name = "lowest" if group == 0 else "highest" if group == last else f"group {group + 1}"
            axis.step(times, survival, where="post", color=colour, label=f"{name} predicted risk (n={len(rows)})")
        axis.axvline(horizon, color="grey", linestyle="--", linewidth=1)
        axis.set_xlabel("time")
        axis.set_ylabel("event-free (Kaplan-Meier)")
        axis.set_title(title, loc="left", fontsize=10)
        axis.legend(fontsize=7, frameon=False, loc="lower left")
    _save(figure, out)


def draw_decision_curve(curves: Sequence[tuple[str, pd.DataFrame]], out: Sequence[str | Path]) -> None:
    """Decision curves: net benefit against the risk threshold of each (title, :func:`riata.calibration.decision_curve`)
    model, with treating everyone (the first model's treat_all: the models share their test samples) and no one."""
    figure, axes = _grid(1, 1, 6.4, 4.4)
    axis = next(iter(axes))
    colours = plt.get_cmap("tab10")(np.arange(len(curves)) % 10)
    for (title, curve), colour in zip(curves, colours, strict=True):
        axis.plot(curve["threshold"], curve["net_benefit"], color=colour, linewidth=1.3, label=title)
    first = curves[0][1]
    axis.plot(first["threshold"], first["treat_all"], color="grey", linestyle="--", linewidth=1, label="treat all")
    axis.axhline(0, color="black", linewidth=1, label="treat none")
    top = max(max(curve["net_benefit"].max() for _, curve in curves), first["treat_all"].max(), 0.01)
    axis.set_ylim(-0.1 * top, 1.1 * top)
    axis.set_xlim(first["threshold"].min(), first["threshold"].max())
    axis.set_xlabel("risk threshold")
    axis.set_ylabel("net benefit")
    axis.legend(fontsize=7, frameon=False, loc="upper right")
    _save(figure, out)
