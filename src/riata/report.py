"""Result tables: the model comparison, the paired comparison with the baseline, selection stability
and the check of selections against a truth; and their readable Markdown version."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riata.settings import FEATURE_SETS, PENALTIES

# Test metrics in display order; a comparison shows those its task has (classification, regression, survival).
TEST_METRICS = ("accuracy", "auroc", "average_precision", "calibration_intercept", "calibration_slope", "brier",
                "rmse", "mae", "r2", "concordance", "uno_concordance", "horizon_auc", "integrated_brier")  # fmt: skip
LABELS = {"auroc": "AUROC", "average_precision": "average precision", "calibration_intercept": "calibration intercept",
          "calibration_slope": "calibration slope", "brier": "Brier", "rmse": "RMSE", "mae": "MAE", "r2": "R²",
          "concordance": "Harrell's C", "uno_concordance": "Uno's C", "horizon_auc": "AUC at horizon",
          "integrated_brier": "integrated Brier"}  # fmt: skip


# compared with the baseline
PRIMARY_METRIC = {"binary": "auroc", "multiclass": "auroc", "continuous": "r2", "survival": "concordance"}
BASELINE = ("clinical", "none")  # the clinical-only, unpenalised model
ORACLE = ("oracle", "none")  # a simulated cohort's clinical variables + the true genetic liability


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
    comparison: pd.DataFrame,
    stability: pd.DataFrame | None = None,
    truth: pd.DataFrame | None = None,
    knockoffs: pd.DataFrame | None = None,
) -> str:
    """Markdown: summary over seeds, every seed with intervals and the variables it kept, then the knockoff
    selections (:func:`riata.knockoffs.knockoff_selection` rows with a feature_set column), the selection
    frequencies and the check against the truth when given."""
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
    if knockoffs is not None and len(knockoffs):
        sections += _knockoff_section(knockoffs)
    return "\n\n".join(sections + _selection_sections(stability, truth)) + "\n"


def _knockoff_section(knockoffs: pd.DataFrame) -> list[str]:
    """Each feature set, seed and target FDR: the knockoff+ threshold and the variables kept."""
    rows = []
    for (feature_set, seed), table in knockoffs.groupby(["feature_set", "seed"], sort=False):
        for fdr in knockoff_targets(knockoffs):
            kept = table.loc[table[f"selected_q{fdr:g}"] == 1, "variable"]
            rows.append({"feature set": feature_set, "seed": seed, "target FDR q": f"{fdr:g}",
                         "threshold": f"{table[f'threshold_q{fdr:g}'].iloc[0]:.3g}", "kept": len(kept),
                         "variables kept": ", ".join(kept)})  # fmt: skip
    return [
        "## False-discovery control: model-X knockoffs",
        "Each seed draws Gaussian knockoffs of the inputs (fitted on training samples) and trains one network on "
        "inputs and knockoffs; a variable is kept when its importance exceeds its knockoff's by the knockoff+ "
        "threshold, which keeps the expected share of false discoveries at most q. An infinite threshold keeps "
        "nothing (at least 1/q variables must beat their knockoffs).",
        _markdown_table(pd.DataFrame(rows)),
    ]


def knockoff_targets(knockoffs: pd.DataFrame) -> list[float]:
    """The target FDRs of a knockoff table (its selected_q<q> columns), in column order."""
    return [float(c.removeprefix("selected_q")) for c in knockoffs.columns if c.startswith("selected_q")]


def knockoff_label(fdr: float) -> str:
    """The name knockoff selection at target FDR ``fdr`` takes where penalties are listed."""
    return f"knockoff+ q={fdr:g}"


def knockoff_models(knockoffs: pd.DataFrame) -> tuple[pd.DataFrame, dict[tuple, pd.DataFrame]]:
    """Knockoff selections as models for :func:`stability_table` and :func:`truth_table`: rows (feature_set,
    penalty = :func:`knockoff_label`, seed, selected) and each one's inputs (variable, source)."""
    rows, inputs = [], {}
    for (feature_set, seed), table in knockoffs.groupby(["feature_set", "seed"], sort=False):
        for fdr in knockoff_targets(knockoffs):
            key = (feature_set, knockoff_label(fdr), seed)
            kept = table.loc[table[f"selected_q{fdr:g}"] == 1, "variable"]
            rows.append(dict(zip(["feature_set", "penalty", "seed"], key, strict=True)) | {"selected": ";".join(kept)})
            inputs[key] = table[["variable", "source"]]
    return pd.DataFrame(rows, columns=["feature_set", "penalty", "seed", "selected"]), inputs


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
            **(
                {"share of oracle gain": comparison["oracle_gain_recovered"].map(lambda v: f"{v:.2f}")}
                if "oracle_gain_recovered" in comparison
                else {}
            ),
            "kept": comparison["n_selected"].astype(str) + " / " + comparison["n_inputs"].astype(str),
            "variables kept": comparison["selected"].fillna("").str.replace(";", ", "),
        }
    )


def _selection_sections(stability: pd.DataFrame | None, truth: pd.DataFrame | None) -> list[str]:
    """Selection frequency across seeds and, with a truth, precision and recall against it."""
    sections = []
    if stability is not None and len(stability):
        ever = stability.groupby("variable")["selected"].transform("max") > 0
        stability = stability[(stability["source"] != "snp") | ever]  # SNPs only where some network kept them
        frequency = stability.drop_duplicates(["feature_set", "penalty", "variable"]).pivot_table(
            index=["feature_set", "variable"], columns="penalty", values="frequency", sort=False
        )
        ordered = [p for p in PENALTIES if p in frequency.columns] + [
            p for p in frequency.columns if p not in PENALTIES
        ]  # the penalties, then the knockoff selections
        frequency = frequency[ordered].map(lambda v: f"{v:.2f}")
        sections += [
            "## Selection frequency",
            "Share of seeds whose network (or knockoff filter) kept each input variable (screened SNPs: those some "
            "network kept).",
            _markdown_table(frequency.reset_index().rename(columns={"feature_set": "feature set"})),
        ]
    if stability is not None and "refit_frequency" in stability and stability["refit_frequency"].notna().any():
        bounds = stability_selection_bounds(stability)
        sections += [
            "## Stability selection",
            f"Variables kept in at least {STABLE_SHARE:g} of the refits on half-samples, with the Meinshausen-Buhlmann "
            "bound on the expected number of noise variables among them: q² / ((2 x threshold - 1) x p), q the mean "
            "number kept per refit and p the number of input variables.",
            _markdown_table(bounds.assign(
                expected_false_at_most=bounds["expected_false_at_most"].map(lambda v: f"{v:.2f}"),
                mean_kept_per_refit=bounds["mean_kept_per_refit"].map(lambda v: f"{v:.1f}"),
            ).rename(columns=lambda c: c.replace("_", " "))),
        ]  # fmt: skip
    if truth is not None and len(truth):
        summary_truth = truth.groupby(["feature_set", "penalty"], sort=False)[["precision", "recall"]].mean()
        sections += [
            "## Against the truth",
            "Precision and recall of the kept clinical variables (causal in the truth versus every other clinical "
            "variable), mean over seeds.",
            _markdown_table(summary_truth.map(lambda v: f"{v:.2f}").reset_index()),
        ]
    return sections


STABLE_SHARE = 0.8  # share of refits that makes a variable stably selected (Meinshausen and Buhlmann's pi_thr)


def stability_selection_bounds(stability: pd.DataFrame, threshold: float = STABLE_SHARE) -> pd.DataFrame:
    """Per model with refits (stability.tsv rows with a refit_frequency): the variables kept in at least
    ``threshold`` of its refits, the mean number kept per refit q (the sum of the refit frequencies), the number
    of input variables p, and the Meinshausen-Buhlmann (2010) bound q^2 / ((2 threshold - 1) p) on the expected
    number of noise variables among the stable ones (exchangeable noise, a procedure better than random)."""
    rows = []
    refitted = stability[stability["refit_frequency"].notna()]
    for (feature_set, penalty, seed), own in refitted.groupby(["feature_set", "penalty", "seed"], sort=False):
        q, p = own["refit_frequency"].sum(), len(own)
        stable = own.loc[own["refit_frequency"] >= threshold, "variable"]
        rows.append({"feature_set": feature_set, "penalty": penalty, "seed": seed, "stable": ", ".join(stable),
                     "mean_kept_per_refit": q, "variables": p,
                     "expected_false_at_most": q**2 / ((2 * threshold - 1) * p)})  # fmt: skip
    return pd.DataFrame(rows)


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


def oracle_gain_recovered(comparison: pd.DataFrame, task) -> pd.DataFrame:
    """With oracle models (simulated cohorts): each model's share of the oracle's gain in the primary test
    metric over the clinical baseline, same seed: (model - baseline) / (oracle - baseline)."""
    metric = PRIMARY_METRIC[task.kind]
    by_model = comparison.set_index(["feature_set", "penalty", "seed"])[metric]
    gains = []
    for model in comparison.itertuples(index=False):
        baseline, oracle = by_model.get((*BASELINE, model.seed)), by_model.get((*ORACLE, model.seed))
        if baseline is None or oracle is None or oracle <= baseline:
            gains.append(np.nan)
            continue
        gains.append((getattr(model, metric) - baseline) / (oracle - baseline))
    return comparison.assign(oracle_gain_recovered=gains)


def _selected(model) -> set[str]:
    return set(str(model.selected).split(";")) if isinstance(model.selected, str) else set()


def stability_table(
    comparison: pd.DataFrame, inputs: dict[tuple, pd.DataFrame], refits: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per (feature set, penalty, seed, input variable): its source, selected 1 / 0, plus the share
    of seeds of that (feature set, penalty) that selected the variable (selection frequency).

    ``inputs`` maps each model's (feature set, penalty, seed) to its inputs (column, variable, source);
    ``refits`` (feature_set, penalty, seed, variable, refit_frequency; stability selection, see
    :func:`riata.train.refit_frequencies`) adds a refit_frequency column when it has rows.
    """
    rows = []
    for model in comparison.itertuples(index=False):
        selected = _selected(model)
        variables = inputs[(model.feature_set, model.penalty, model.seed)].drop_duplicates("variable")
        rows += [
            {"feature_set": model.feature_set, "penalty": model.penalty, "seed": model.seed, "variable": variable,
             "source": source, "selected": int(variable in selected)}
            for variable, source in zip(variables["variable"], variables["source"], strict=True)
        ]  # fmt: skip
    table = pd.DataFrame(rows)
    frequency = table.groupby(["feature_set", "penalty", "variable"], sort=False)["selected"].transform("mean")
    table = table.assign(frequency=frequency)
    if refits is None or refits.empty:
        return table
    keys = ["feature_set", "penalty", "seed", "variable"]
    return table.merge(refits[[*keys, "refit_frequency"]], on=keys, how="left", validate="one_to_one")


def truth_table(comparison: pd.DataFrame, inputs: dict[tuple, pd.DataFrame], truth: pd.DataFrame) -> pd.DataFrame:
    """Each model's selected clinical variables against a truth (:func:`riata.io.truth.read_truth`): its causal
    clinical variables matter, every other clinical input variable is noise.

    ``inputs`` as for :func:`stability_table`. Only clinical inputs are counted (genetic inputs have no role
    here; selected SNPs are checked by :func:`selected_snp_truth`).
    """
    from riata.io.truth import causal_names

    causal_variables = set(causal_names(truth, "clinical"))
    rows = []
    for model in comparison.itertuples(index=False):
        selected = _selected(model)
        own = inputs[(model.feature_set, model.penalty, model.seed)]
        variables = set(own.loc[own["source"] == "clinical", "variable"])
        causal = variables & causal_variables
        noise = variables - causal
        true_positives, false_positives = len(selected & causal), len(selected & noise)
        rows.append(
            {"feature_set": model.feature_set, "penalty": model.penalty, "seed": model.seed,
             "causal": len(causal), "noise": len(noise), "true_positives": true_positives,
             "false_positives": false_positives, "false_negatives": len(causal) - true_positives,
             "true_negatives": len(noise) - false_positives,
             "precision": true_positives / max(true_positives + false_positives, 1) if selected & variables
             else np.nan,
             "recall": true_positives / len(causal) if causal else np.nan,
             "noise_kept": ";".join(sorted(selected & noise))}
        )  # fmt: skip
    return pd.DataFrame(rows)


def snp_importance(
    variants: pd.DataFrame, loadings: pd.DataFrame | None, first_layers: dict[tuple, pd.DataFrame]
) -> pd.DataFrame:
    """Importance of each SNP for each model (``first_layers`` keyed by feature set, penalty, seed): one column
    ``importance_<feature set> <penalty>, seed <seed>`` per model, then ``mean_importance_<feature set> <penalty>``
    the mean over its seeds.

    A model on screened SNPs (first-layer rows named by SNP id): the SNP's first-layer group norm (0 for a
    SNP it does not see). A model on genetic components: the sum over the components it keeps of
    |loading| x the component's group norm (0 for every SNP when it keeps none); ``loadings`` (variants x
    components) names each column as the component's input column (genetic_<j>). ``variants`` has snp,
    chrom, pos, one row per SNP, in the loadings' order.
    """
    table = variants[["snp", "chrom", "pos"]].copy()
    seeds_of: dict[str, list[str]] = {}
    for (feature_set, penalty, seed), layer in first_layers.items():
        column = f"importance_{feature_set} {penalty}, seed {seed}"
        seeds_of.setdefault(f"{feature_set} {penalty}", []).append(column)
        norms = pd.Series(np.linalg.norm(layer.to_numpy(), axis=1), index=layer.index)
        if table["snp"].isin(layer.index).any():
            table[column] = table["snp"].map(norms).fillna(0.0).to_numpy()
            continue
        components = np.array([norms.get(row, 0.0) for row in loadings.columns])
        table[column] = np.abs(loadings.to_numpy()) @ components
    means = {f"mean_importance_{model}": table[columns].mean(axis=1) for model, columns in seeds_of.items()}
    return pd.concat([table, pd.DataFrame(means)], axis=1)


def selected_snps(first_layers: dict[tuple, pd.DataFrame], gwas: pd.DataFrame) -> pd.DataFrame:
    """The SNPs each model on screened SNPs kept: feature set, penalty, seed (``first_layers`` keys), snp,
    chrom, pos, its first-layer group norm and its training GWAS p-value, largest norm first."""
    positions = gwas.set_index("snp")
    rows = []
    for (feature_set, penalty, seed), layer in first_layers.items():
        norms = pd.Series(np.linalg.norm(layer.to_numpy(), axis=1), index=layer.index)
        kept = norms[(norms > 0) & norms.index.isin(positions.index)].sort_values(ascending=False)
        rows += [{"feature_set": feature_set, "penalty": penalty, "seed": seed, "snp": snp,
                  "chrom": positions.loc[snp, "chrom"], "pos": positions.loc[snp, "pos"], "group_norm": norm,
                  "gwas_p": positions.loc[snp, "p"]} for snp, norm in kept.items()]  # fmt: skip
    columns = ["feature_set", "penalty", "seed", "snp", "chrom", "pos", "group_norm", "gwas_p"]
    return pd.DataFrame(rows, columns=columns)


def selected_snp_truth(selected: pd.DataFrame, models: list[tuple], causal: list[str], r_squared: pd.DataFrame, *,
                       threshold: float = 0.5) -> pd.DataFrame:  # fmt: skip
    """Precision and recall of each model's kept SNPs (``selected`` as :func:`selected_snps` gives it, for
    the ``models``' (feature set, penalty, seed)) against a simulation's causal SNPs: a kept SNP is a
    hit when it is causal or in LD (r-squared >= ``threshold``) with a causal SNP, and a causal SNP is
    found when a kept SNP is it or in such LD with it. ``r_squared`` (kept SNPs x causal SNPs) holds the
    pairs' r-squared on training genotypes (0 across chromosomes)."""
    tagged = r_squared.ge(threshold) | pd.DataFrame(
        r_squared.index.to_numpy()[:, None] == r_squared.columns.to_numpy()[None, :], index=r_squared.index,
        columns=r_squared.columns,
    )  # fmt: skip
    rows = []
    for feature_set, penalty, seed in models:
        own = (selected["feature_set"] == feature_set) & (selected["penalty"] == penalty) & (selected["seed"] == seed)
        kept = selected[own]
        hits = tagged.loc[kept["snp"]]
        is_hit, found = hits.any(axis=1), hits.any(axis=0)
        rows.append({"feature_set": feature_set, "penalty": penalty, "seed": seed, "kept_snps": len(kept),
                     "causal_snps": len(causal), "hits": int(is_hit.sum()), "causal_found": int(found.sum()),
                     "precision": is_hit.mean() if len(kept) else np.nan,
                     "recall": found.sum() / max(len(causal), 1)})  # fmt: skip
    columns = ["feature_set", "penalty", "seed", "kept_snps", "causal_snps", "hits", "causal_found", "precision",
               "recall"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


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
