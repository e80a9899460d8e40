"""Result tables: the model comparison, the paired comparison with the baseline, selection stability
and the check of selections against a simulation's truth; and their readable Markdown version."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riata.settings import FEATURE_SETS, PENALTIES

# Test metrics in display order; a comparison shows those its task has (classification or regression).
TEST_METRICS = ("accuracy", "auroc", "average_precision", "rmse", "mae", "r2")
LABELS = {"auroc": "AUROC", "average_precision": "average precision", "rmse": "RMSE", "mae": "MAE", "r2": "R²"}


PRIMARY_METRIC = {"binary": "auroc", "multiclass": "auroc", "continuous": "r2"}  # compared with the baseline
BASELINE = ("clinical", "none")  # the clinical-only, unpenalised model


def present_metrics(comparison: pd.DataFrame) -> list[str]:
    """The test metrics that the comparison's models have values for."""
    return [m for m in TEST_METRICS if m in comparison and comparison[m].notna().any()]


def order_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    """Rows in the case study's order: feature set, then penalty, then seed."""
    rank = {
        "feature_set": {name: i for i, name in enumerate(FEATURE_SETS)},
        "penalty": {name: i for i, name in enumerate(PENALTIES)},
    }
    return comparison.sort_values(
        ["feature_set", "penalty", "seed"],
        key=lambda column: column.map(rank[column.name]) if column.name in rank else column,
        kind="stable",
    ).reset_index(drop=True)


def summarise_over_seeds(comparison: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds of each model's test metrics and selection size."""
    grouped = comparison.groupby(["feature_set", "penalty"], sort=False)[[*present_metrics(comparison), "n_selected"]]
    summary = grouped.agg(["mean", "std"])
    summary.columns = [f"{metric}_{statistic}" for metric, statistic in summary.columns]
    summary.insert(0, "seeds", grouped.size())
    return summary.reset_index()


def _markdown_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(str(value) for value in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _mean_sd(mean: float, sd: float) -> str:
    return f"{mean:.3f} ± {sd:.3f}" if pd.notna(sd) else f"{mean:.3f}"


def _with_interval(frame: pd.DataFrame, metric: str) -> pd.Series:
    """'0.843 [0.771, 0.905]' when the bootstrap interval is there, else the value alone."""
    if f"{metric}_low" not in frame:
        return frame[metric].map(lambda v: f"{v:.3f}")
    return pd.Series(
        [
            f"{v:.3f} [{lo:.3f}, {hi:.3f}]"
            for v, lo, hi in zip(frame[metric], frame[f"{metric}_low"], frame[f"{metric}_high"], strict=True)
        ],
        index=frame.index,
    )


def _paired_text(frame: pd.DataFrame) -> tuple[str, pd.Series] | None:
    column = next((c for c in frame.columns if c.endswith("_vs_baseline")), None)
    if column is None:
        return None
    text = [
        "" if pd.isna(d) else f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}], p = {p:.2g}"
        for d, lo, hi, p in zip(
            frame[column], frame[f"{column}_low"], frame[f"{column}_high"], frame[f"{column}_p"], strict=True
        )
    ]
    return f"{LABELS.get(column.removesuffix('_vs_baseline'), column)} minus baseline", pd.Series(
        text, index=frame.index
    )


def comparison_markdown(
    comparison: pd.DataFrame, stability: pd.DataFrame | None = None, truth: pd.DataFrame | None = None
) -> str:
    """Markdown: summary over seeds, every seed with intervals and the variables it kept, then the
    selection frequencies and the check against the truth when given."""
    metrics = present_metrics(comparison)
    per_seed = _per_seed_table(comparison, metrics)
    paired = _paired_text(comparison)
    if paired is not None:
        per_seed.insert(len(per_seed.columns) - 2, paired[0], paired[1])
    sections = [
        "# Model comparison on the test set",
        "Mean ± standard deviation over seeds. Variables kept: input variables whose first-layer "
        "weights are not all exactly zero (a one-hot categorical variable counts once).",
        _markdown_table(_summary_table(comparison, metrics)),
        "## Every seed",
        "Test metrics with 95% bootstrap intervals over test samples"
        + ("; the paired difference with the clinical-only unpenalised model of the same seed, on the same "
           "test samples (paired bootstrap)." if paired is not None else "."),
        _markdown_table(per_seed),
    ]  # fmt: skip
    return "\n\n".join(sections + _selection_sections(stability, truth)) + "\n"


def _summary_table(comparison: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Each feature set and penalty: seeds, each metric's mean ± SD over seeds, variables kept."""
    summary = summarise_over_seeds(comparison)
    return pd.DataFrame(
        {
            "feature set": summary["feature_set"],
            "penalty": summary["penalty"],
            "seeds": summary["seeds"],
            **{
                LABELS.get(m, m): [
                    _mean_sd(a, b) for a, b in zip(summary[f"{m}_mean"], summary[f"{m}_std"], strict=True)
                ]
                for m in metrics
            },
            "variables kept (mean)": [f"{m:.1f}" for m in summary["n_selected_mean"]],
        }
    )


def _per_seed_table(comparison: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Each model: lambda, best epoch, metrics with intervals, variables kept (count and names)."""
    return pd.DataFrame(
        {
            "feature set": comparison["feature_set"],
            "penalty": comparison["penalty"],
            "seed": comparison["seed"],
            "lambda": comparison["lambda"].map(lambda v: f"{v:.3g}"),
            "best epoch": comparison["best_epoch"],
            **{LABELS.get(m, m): _with_interval(comparison, m) for m in metrics},
            "kept": comparison["n_selected"].astype(str) + " / " + comparison["n_inputs"].astype(str),
            "variables kept": comparison["selected"].fillna("").str.replace(";", ", "),
        }
    )


def _selection_sections(stability: pd.DataFrame | None, truth: pd.DataFrame | None) -> list[str]:
    """Selection frequency across seeds and, on a simulated cohort, precision and recall against the truth."""
    sections = []
    if stability is not None and len(stability):
        frequency = stability.drop_duplicates(["feature_set", "penalty", "variable"]).pivot_table(
            index=["feature_set", "variable"], columns="penalty", values="frequency", sort=False
        )
        frequency = frequency[[p for p in PENALTIES if p in frequency.columns]].map(lambda v: f"{v:.2f}")
        sections += [
            "## Selection frequency",
            "Share of seeds whose network kept each input variable.",
            _markdown_table(frequency.reset_index().rename(columns={"feature_set": "feature set"})),
        ]
    if truth is not None and len(truth):
        summary_truth = truth.groupby(["feature_set", "penalty"], sort=False)[["precision", "recall"]].mean()
        sections += [
            "## Against the simulation's truth",
            "Precision and recall of the kept clinical variables (causal versus noise in truth.tsv), mean over seeds.",
            _markdown_table(summary_truth.map(lambda v: f"{v:.2f}").reset_index()),
        ]
    return sections


def against_baseline(comparison: pd.DataFrame, predictions: dict, task, *, resamples: int = 1000) -> pd.DataFrame:
    """Paired bootstrap of each model's primary metric minus the baseline's, same seed, same test samples.

    ``predictions`` maps (feature_set, penalty, seed) to (test targets, test predictions). Adds columns
    ``<metric>_vs_baseline`` (difference), ``_low``, ``_high`` (95% interval) and ``_p`` (two-sided).
    """
    from riata.evaluate import paired_difference

    metric = PRIMARY_METRIC[task.kind]
    rows = []
    for model in comparison.itertuples(index=False):
        baseline = predictions.get((*BASELINE, model.seed))
        own = predictions[(model.feature_set, model.penalty, model.seed)]
        if baseline is None:
            rows.append(dict.fromkeys(["difference", "low", "high", "p_value"], np.nan))
            continue
        rows.append(paired_difference(task, metric, own[0], own[1], baseline[1], resamples=resamples, seed=model.seed))
    paired = pd.DataFrame(rows)
    names = {"difference": "", "low": "_low", "high": "_high", "p_value": "_p"}
    return comparison.assign(
        **{f"{metric}_vs_baseline{suffix}": paired[key].to_numpy() for key, suffix in names.items()}
    )


def stability_table(
    comparison: pd.DataFrame, columns: pd.DataFrame, refits: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per (feature set, penalty, seed, input variable): selected 1 / 0, plus the share of seeds
    of that (feature set, penalty) that selected the variable (selection frequency).

    ``refits`` (feature_set, penalty, seed, variable, refit_frequency; stability selection, see
    :func:`riata.train.refit_frequencies`) adds a refit_frequency column when it has rows.
    """
    from riata.features import feature_columns

    rows = []
    for model in comparison.itertuples(index=False):
        selected = set(str(model.selected).split(";")) if isinstance(model.selected, str) else set()
        variables = feature_columns(columns, model.feature_set)["variable"].drop_duplicates()
        rows += [
            {"feature_set": model.feature_set, "penalty": model.penalty, "seed": model.seed, "variable": variable,
             "selected": int(variable in selected)}
            for variable in variables
        ]  # fmt: skip
    table = pd.DataFrame(rows)
    frequency = table.groupby(["feature_set", "penalty", "variable"], sort=False)["selected"].transform("mean")
    table = table.assign(frequency=frequency)
    if refits is None or refits.empty:
        return table
    keys = ["feature_set", "penalty", "seed", "variable"]
    return table.merge(refits[[*keys, "refit_frequency"]], on=keys, how="left", validate="one_to_one")


def truth_table(comparison: pd.DataFrame, columns: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Each model's selected input variables against a simulation's truth (causal or noise).

    Only input variables whose role the truth gives are counted (genetic components have none).
    """
    from riata.features import feature_columns

    role = truth.loc[truth["kind"] != "snp"].set_index("variable")["role"]
    rows = []
    for model in comparison.itertuples(index=False):
        selected = set(str(model.selected).split(";")) if isinstance(model.selected, str) else set()
        variables = [v for v in feature_columns(columns, model.feature_set)["variable"].unique() if v in role.index]
        causal = {v for v in variables if role[v] == "causal"}
        noise = set(variables) - causal
        true_positives, false_positives = len(selected & causal), len(selected & noise)
        rows.append(
            {"feature_set": model.feature_set, "penalty": model.penalty, "seed": model.seed,
             "causal": len(causal), "noise": len(noise), "true_positives": true_positives,
             "false_positives": false_positives, "false_negatives": len(causal) - true_positives,
             "true_negatives": len(noise) - false_positives,
             "precision": true_positives / max(true_positives + false_positives, 1) if selected & set(variables)
             else np.nan,
             "recall": true_positives / len(causal) if causal else np.nan,
             "noise_kept": ";".join(sorted(selected & noise))}
        )  # fmt: skip
    return pd.DataFrame(rows)


def snp_importance(
    variants: pd.DataFrame, loadings: pd.DataFrame, first_layers: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """Importance of each SNP for each model: sum over the genetic components the model keeps of
    |loading| x the component's first-layer group norm (0 for every SNP when it keeps none).

    ``variants`` has snp, chrom, pos; ``loadings`` (variants x components) names each column as the
    component's input column (genetic_<j>); ``first_layers`` maps a model label to its first layer
    (input columns x hidden units).
    """
    table = variants[["snp", "chrom", "pos"]].copy()
    magnitude = np.abs(loadings.to_numpy())
    for label, layer in first_layers.items():
        norms = np.array([np.linalg.norm(layer.loc[row]) if row in layer.index else 0.0 for row in loadings.columns])
        table[f"importance_{label}"] = magnitude @ norms
    return table


def causal_snps_in_top(importance: pd.DataFrame, causal: set[str], tops: tuple[int, ...] = (100, 1000)) -> pd.DataFrame:
    """How many causal SNPs rank in the top N by each importance column, and how many chance would give."""
    rows = []
    for column in [c for c in importance.columns if c.startswith("importance_")]:
        ranked = importance.sort_values(column, ascending=False, kind="stable")
        row = {"model": column.removeprefix("importance_"), "causal_snps": len(causal)}
        for top in tops:
            row[f"causal_in_top_{top}"] = (
                int(ranked["snp"].iloc[:top].isin(causal).sum()) if ranked[column].max() > 0 else 0
            )
            row[f"expected_by_chance_top_{top}"] = len(causal) * min(top, len(ranked)) / len(ranked)
        rows.append(row)
    return pd.DataFrame(rows)
