"""Which selection keeps the real effects? Clinical variables kept, measured against truth.tsv.

Each cohort is made by ``riata simulate`` (Framingham-shaped clinical variables with known effects, see
riata.simulate.CLINICAL_EFFECTS, scaled by ``--clinical-effect-scale``; 200 SNPs and no genetic part, since only
the clinical selection is measured here), split and turned into features by ``riata split`` and ``riata features``
with the demo config's covariates, as the workflow does. Then, with the workflow's training settings:
- each sparse penalty's lambda path is trained once for three seeds (riata.train.fit_path, the engine of
  ``riata train``, with ``relax: false``), then relaxed (riata.train.relaxed_path: ``relaxed`` with the kept inputs
  unpenalised, ``relax_penalty_share: 0``, and ``half-relaxed`` with them penalised at half their lambda, the
  default ``relax: true``, ``relax_penalty_share: 0.5``); every lambda rule picks its lambda from each of these
  paths: ``best`` and ``one_se`` (the workflow's rules), ``half_se`` (the largest lambda within half a standard
  error of the best), and ``majority``: the variables kept by at least 2 of the 3 seeds under ``best`` (each seed
  keeps that set; test AUROC is the best-rule network's);
- knockoff selection (riata.knockoffs.knockoff_selection, the engine of ``riata knockoffs``) at q = 0.1 and 0.2,
  one knockoff draw and network per seed.

For each selection, over cohorts: recall of the variables with a strong effect (at least 0.5 on the logit scale:
per SD for a numeric variable, between the levels of a two-level one), recall of every causal variable, precision
(kept variables with a non-zero true effect over all kept; the false discovery proportion is 1 - precision, and 0
when nothing is kept), F1, the share of seeds keeping at least one noise variable, the most seeds keeping any
one noise variable, and test AUROC beside the oracle's (the true linear predictor on the test samples). Means with
95% intervals over cohorts (t-based); one row per cohort, selection and seed in the --out table.

    python benchmarks/selection.py                      # 20 cohorts: 600..2,500 people, effects x1 and x1.5
    python benchmarks/selection.py --sizes 600 --scales 1 --replicates 1   # a quick look
    python benchmarks/selection.py --replicates 5 --only knockoffs         # knockoff FDR over 50 cohorts
    python benchmarks/selection.py --only rules --penalties group_lasso --stability-refits 10   # + stable sets
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml
from scipy import stats
from sklearn.metrics import roc_auc_score

from riata.cli import main as riata_main
from riata.config import validate_config
from riata.features import feature_columns
from riata.io.results import read_features
from riata.knockoffs import knockoff_selection
from riata.report import STABLE_SHARE
from riata.settings import KnockoffSettings, TrainSettings, from_config
from riata.tasks import Task
from riata.train import choose_lambda, design_tensors, fit_path, path_table, refit_frequencies, relaxed_path

ROOT = Path(__file__).resolve().parents[1]
STRONG = 0.5  # logit-scale effect that a default rule must find
PENALTIES = ("l1", "elastic_net", "group_lasso")
RULES = {"best": ("best", 1.0), "one_se": ("one_se", 1.0), "half_se": ("one_se", 0.5)}  # name: rule, SEs
SEEDS = [1, 2, 3]
FDRS = (0.1, 0.2)
STABLE_SHARES = (0.5, 0.6, STABLE_SHARE)  # Meinshausen and Buhlmann's pi_thr; the report uses STABLE_SHARE


def riata(*arguments) -> None:
    """``riata ARGUMENTS`` in this process, its log silenced; stops the benchmark when it fails."""
    log = io.StringIO()
    with contextlib.redirect_stderr(log):
        status = riata_main([str(a) for a in arguments])
    if status:
        raise SystemExit(f"riata {arguments[0]} failed:\n{log.getvalue()[-2000:]}")


def logit_scale_effects(folder: Path) -> pd.Series:
    """Each clinical variable's true effect on the logit scale: per SD, or between levels for a two-level
    variable (truth.tsv gives effects per SD of the variable)."""
    truth = pd.read_csv(folder / "truth.tsv", sep="\t").query("kind == 'clinical'").set_index("variable")
    clinical = pd.read_csv(folder / "clinical.tsv", sep="\t")
    effects = {}
    for variable, effect in truth["effect_per_sd"].items():
        values = pd.to_numeric(clinical[variable], errors="coerce")
        two_levels = values.notna().any() and values.dropna().nunique() == 2
        effects[variable] = abs(effect) / values.std() * np.ptp(values.dropna()) if two_levels else abs(effect)
    return pd.Series(effects)


def oracle_auroc(folder: Path, split: pd.Series) -> float:
    """AUROC of the true clinical linear predictor (from truth.tsv, standardised as the simulation did; a missing
    value counts as the mean) on the test samples."""
    truth = pd.read_csv(folder / "truth.tsv", sep="\t").query("kind == 'clinical'").set_index("variable")
    clinical = pd.read_csv(folder / "clinical.tsv", sep="\t", dtype={"sample_id": str}).set_index("sample_id")
    standardised = {v: pd.to_numeric(clinical[v], errors="coerce") for v in truth.index}
    standardised = {v: ((values - values.mean()) / values.std()).fillna(0) for v, values in standardised.items()}
    predictor = sum(effect * standardised[v] for v, effect in truth["effect_per_sd"].items() if effect)
    test = split.index[split == "test"]
    return roc_auc_score(clinical.loc[test, "CHD"], predictor.loc[test])


def kept_by_rule(tables, columns, task: Task, settings: TrainSettings, penalties: list[str]) -> list[dict]:
    """Per penalty, seed and rule: the variables kept and the chosen network's test AUROC, every rule from one
    trained path per penalty and from its relaxed path (riata.train.relaxed_path, ``relax: true``); with
    ``settings.stability_refits``, also the stable set of each seed's ``best`` network (``stable best``)."""
    settings = replace(settings, relax=False)  # the path as trained, then relaxed here in both ways
    x, y, groups, variable_of = design_tensors(tables, columns, task, settings)
    found = []
    for penalty in penalties:
        common = {"task": task, "penalty": penalty, "groups": groups, "settings": settings}
        path = fit_path(x, y, seeds=SEEDS, **common)
        variants = {"": path, "relaxed ": relaxed_path(x, y, path, **common),
                    "half-relaxed ": relaxed_path(x, y, path, **common, kept_penalty_share=0.5)}  # fmt: skip
        for variant, variant_path in variants.items():
            best_sets, best_lambdas = {}, {}
            for seed in SEEDS:
                points = variant_path.of_seed(seed)
                table = path_table(points, task, y["validation"].numpy(), variable_of, settings.zero_threshold)
                for rule, (chooser, standard_errors) in RULES.items():
                    chosen = choose_lambda(table, settings.selection_metric, chooser, standard_errors)
                    kept = set(filter(None, str(table.loc[chosen, "selected"]).split(";"))) - {"nan"}
                    auroc = roc_auc_score(y["test"].numpy(), points[chosen].predictions["test"])
                    found.append({"selection": f"{penalty} {variant}{rule}", "seed": seed, "kept": kept,
                                  "auroc": auroc})  # fmt: skip
                    if rule == "best":
                        best_sets[seed], best_lambdas[seed] = kept, points[chosen].lambda_
            counts = pd.Series([v for kept in best_sets.values() for v in kept], dtype=str).value_counts()
            majority = set(counts.index[counts >= 2])
            best_auroc = {f["seed"]: f["auroc"] for f in found if f["selection"] == f"{penalty} {variant}best"}
            found += [{"selection": f"{penalty} {variant}majority", "seed": seed, "kept": majority,
                       "auroc": best_auroc[seed]} for seed in SEEDS]  # fmt: skip
            if variant == "" and settings.stability_refits:
                found += stable_sets(x, y, path, best_lambdas, best_auroc, variable_of, **common)
    return found


def stable_sets(x, y, path, chosen: dict[int, float], auroc: dict[int, float], variable_of: pd.Series, *,
                task: Task, penalty: str, groups, settings: TrainSettings) -> list[dict]:  # fmt: skip
    """Per seed and share in STABLE_SHARES: the variables that at least that share of the stability refits keep at
    the seed's ``chosen`` lambda (the one ``best`` chose on ``path``; the stable set of Meinshausen and Buhlmann),
    with that network's test ``auroc``."""
    grids = {seed: path.lambdas(seed) for seed in SEEDS}
    frequencies = refit_frequencies(x, y, grids, chosen, task=task, penalty=penalty, groups=groups,
                                    variable_of=variable_of, settings=settings)  # fmt: skip
    return [{"selection": f"{penalty} stable {share:g} best", "seed": seed, "auroc": auroc[seed],
             "kept": set(frequencies[seed].index[frequencies[seed] >= share])}
            for share in STABLE_SHARES for seed in SEEDS]  # fmt: skip


def kept_by_knockoffs(tables, columns, task: Task, settings: TrainSettings) -> list[dict]:
    """Per seed and target FDR: the variables the knockoff+ filter keeps."""
    table = knockoff_selection(tables, columns, task=task, seeds=SEEDS, training=settings,
                               knockoffs=KnockoffSettings(fdr=FDRS))  # fmt: skip
    return [
        {"selection": f"knockoff+ q={fdr:g}", "seed": seed, "kept": set(own.loc[own[f"selected_q{fdr:g}"] == 1,
         "variable"]), "auroc": np.nan}
        for seed, own in table.groupby("seed") for fdr in FDRS
    ]  # fmt: skip


def analyse(folder: Path, n_samples: int, scale: float, replicate: int, config: dict, arguments) -> list[dict]:
    """Simulate one cohort, make every selection (or ``arguments.only`` the lambda rules or the knockoffs) and
    compare what was kept with the truth."""
    seed = 1000 * replicate + n_samples + int(100 * scale)
    clinical = config["clinical"]
    riata("simulate", "--out", folder, "--n-samples", n_samples, "--n-snps", 200, "--n-causal-snps", 0,
          "--genetic-share", 0, "--clinical-effect-scale", scale, "--seed", seed)  # fmt: skip
    spec = ["--id-column", "sample_id", "--outcome", "CHD", "--numeric", *clinical["numeric"], "--categorical",
            *clinical["categorical"]]  # fmt: skip
    riata("split", "--clinical", folder / "clinical.tsv", "--id-column", "sample_id", "--outcome", "CHD",
          "--seed", seed, "--out", folder / "split.tsv")  # fmt: skip
    riata("features", "--clinical", folder / "clinical.tsv", "--split", folder / "split.tsv", *spec,
          "--out-dir", folder / "features")  # fmt: skip
    effects = logit_scale_effects(folder)
    strong, causal = set(effects.index[effects >= STRONG]), set(effects.index[effects > 0])
    split = pd.read_csv(folder / "split.tsv", sep="\t", dtype={"sample_id": str}).set_index("sample_id")["split"]
    oracle = oracle_auroc(folder, split)
    tables, all_columns, _ = read_features(folder / "features")
    columns, task = feature_columns(all_columns, "clinical"), Task("binary")
    settings = from_config(TrainSettings, {**config["training"], "stability_refits": arguments.stability_refits})
    found = [] if arguments.only == "knockoffs" else kept_by_rule(tables, columns, task, settings, arguments.penalties)
    found += [] if arguments.only == "rules" else kept_by_knockoffs(tables, columns, task, settings)
    return [
        {"n_samples": n_samples, "effect_scale": scale, "replicate": replicate, "selection": f["selection"],
         "seed": f["seed"], "n_strong": len(strong), "n_kept": len(f["kept"]),
         "recall_strong": len(f["kept"] & strong) / len(strong) if strong else np.nan,
         "recall_causal": len(f["kept"] & causal) / len(causal),
         "precision": len(f["kept"] & causal) / len(f["kept"]) if f["kept"] else np.nan,
         "false_discovery_proportion": len(f["kept"] - causal) / max(len(f["kept"]), 1),
         "noise_kept": len(f["kept"] - causal), "noise_variables": ";".join(sorted(f["kept"] - causal)),
         "auroc": f["auroc"], "oracle_auroc": oracle,
         "kept": ";".join(sorted(f["kept"]))}
        for f in found
    ]  # fmt: skip


def interval(values: pd.Series) -> str:
    values = values.dropna()
    if len(values) < 2:
        return f"{values.mean():.2f}"
    half = stats.t.ppf(0.975, len(values) - 1) * values.std() / np.sqrt(len(values))
    return f"{values.mean():.2f} ({values.mean() - half:.2f}-{values.mean() + half:.2f})"


def most_seeds(noise_variables: pd.Series) -> int:
    """The most seeds that kept any one noise variable (0 when no seed kept noise), from each seed's
    ";"-joined noise variables."""
    kept = [v for joined in noise_variables.fillna("") for v in str(joined).split(";") if v]
    return int(pd.Series(kept, dtype=str).value_counts().max()) if kept else 0


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (size band, selection): means over cohorts (each cohort's mean over seeds first); fdr is the mean false
    discovery proportion (the realised FDR); noise_seeds the share of seeds keeping any noise variable;
    noise_max_seeds the most seeds (of 3) keeping any one noise variable, and noise_at_most_1 the share of cohorts
    where that is at most 1."""
    rows = rows.assign(size_band=np.where(rows["n_samples"] >= 900, ">= 900", "< 900"))
    per_cohort = rows.groupby(["size_band", "selection", "n_samples", "effect_scale", "replicate"]).agg(
        recall_strong=("recall_strong", "mean"), recall_causal=("recall_causal", "mean"),
        precision=("precision", "mean"), fdr=("false_discovery_proportion", "mean"),
        noise_seeds=("noise_kept", lambda k: (k > 0).mean()),
        noise_max_seeds=("noise_variables", most_seeds),
        auroc=("auroc", "mean"), oracle_auroc=("oracle_auroc", "mean"), kept=("n_kept", "mean"),
    )  # fmt: skip
    per_cohort["noise_at_most_1"] = (per_cohort["noise_max_seeds"] <= 1).astype(float)
    per_cohort["f1"] = 2 * per_cohort["precision"] * per_cohort["recall_causal"] / (
        per_cohort["precision"] + per_cohort["recall_causal"])  # fmt: skip
    table = per_cohort.groupby(["size_band", "selection"], sort=False).agg(
        cohorts=("kept", "size"), **{column: (column, interval) for column in (
            "recall_strong", "recall_causal", "precision", "fdr", "f1", "noise_seeds", "noise_max_seeds",
            "noise_at_most_1", "kept", "auroc",
            "oracle_auroc")},
    )  # fmt: skip
    return table.reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[600, 900, 1200, 1800, 2500])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 1.5])
    parser.add_argument("--replicates", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results_selection.tsv"),
                        help="one row per cohort, penalty, rule and seed")  # fmt: skip
    parser.add_argument("--only", choices=("rules", "knockoffs"), help="only the lambda rules, or only the knockoffs")
    parser.add_argument("--penalties", nargs="+", choices=PENALTIES, default=list(PENALTIES))
    parser.add_argument("--stability-refits", type=int, default=0,
                        help="also the stable set of the best network, from this many half-sample refits")  # fmt: skip
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    config = validate_config(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()))
    rows, start = [], time.perf_counter()
    cohorts = list(itertools.product(arguments.sizes, arguments.scales, range(1, arguments.replicates + 1)))
    for k, (n_samples, scale, replicate) in enumerate(cohorts, start=1):
        with tempfile.TemporaryDirectory() as folder:
            rows += analyse(Path(folder), n_samples, scale, replicate, config, arguments)
        print(f"cohort {k}/{len(cohorts)}: {n_samples} people, effects x{scale:g}, replicate {replicate} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip
    table = pd.DataFrame(rows)
    Path(arguments.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(arguments.out, sep="\t", index=False, float_format="%.4g")
    print(summary(table).to_string(index=False))
    print(f"strong effects: at least {STRONG} on the logit scale; rows in {arguments.out}")


if __name__ == "__main__":
    main()
