"""The comparison table: one row per (feature set, penalty, seed), and a readable Markdown version."""

from __future__ import annotations

import pandas as pd

from riata.settings import FEATURE_SETS, PENALTIES

# Test metrics in display order; a comparison shows those its task has (classification or regression).
TEST_METRICS = ("accuracy", "auroc", "average_precision", "rmse", "mae", "r2")
LABELS = {"auroc": "AUROC", "average_precision": "average precision", "rmse": "RMSE", "mae": "MAE", "r2": "R²"}


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


def comparison_markdown(comparison: pd.DataFrame) -> str:
    """Markdown: summary over seeds first, then every seed with the variables it kept."""
    metrics = present_metrics(comparison)
    summary = summarise_over_seeds(comparison)
    readable_summary = pd.DataFrame(
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
    per_seed = pd.DataFrame(
        {
            "feature set": comparison["feature_set"],
            "penalty": comparison["penalty"],
            "seed": comparison["seed"],
            "lambda": comparison["lambda"].map(lambda v: f"{v:.3g}"),
            "best epoch": comparison["best_epoch"],
            **{LABELS.get(m, m): comparison[m].map(lambda v: f"{v:.3f}") for m in metrics},
            "kept": comparison["n_selected"].astype(str) + " / " + comparison["n_inputs"].astype(str),
            "variables kept": comparison["selected"].fillna("").str.replace(";", ", "),
        }
    )
    return (
        "\n\n".join(
            [
                "# Model comparison on the test set",
                "Mean ± standard deviation over seeds. Variables kept: input variables whose first-layer "
                "weights are not all exactly zero (a one-hot categorical variable counts once).",
                _markdown_table(readable_summary),
                "## Every seed",
                _markdown_table(per_seed),
            ]
        )
        + "\n"
    )
