"""Train the penalised networks of one feature set and penalty: every (lambda, seed) in one batch."""

from __future__ import annotations

import argparse
import logging

from riata.settings import FEATURE_SET_SOURCES, FEATURE_SETS, PENALTIES, Options, ScreenSettings, TrainSettings

TRAINING = Options(TrainSettings)
SCREEN = Options(ScreenSettings)
CONFIG_OPTIONS = (TRAINING, SCREEN)

log = logging.getLogger("riata")


def register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--features", required=True, help="folder written by `riata features` (reads every file)")
    parser.add_argument("--feature-set", required=True, help=f"one of {', '.join(FEATURE_SETS)}")
    parser.add_argument("--penalty", required=True, help=f"one of {', '.join(PENALTIES)}")
    parser.add_argument("--prs", help="scores.tsv written by `riata score` (the prs feature sets)")
    parser.add_argument("--gwas", help="associations written by `riata gwas` (the snps feature sets)")
    parser.add_argument("--genotypes", help="PLINK 1 fileset prefix (the snps feature sets)")
    parser.add_argument("--qc", help="folder written by `riata qc` (reads variants.tsv; the snps feature sets)")
    parser.add_argument("--use-fid", action="store_true", help="match samples on FID and IID (default: IID)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--out-dir", required=True, help="folder for the seed<N>/ model folders")


def run(arguments: argparse.Namespace) -> None:
    """Train, choose each seed's lambda on the validation set, and write each seed's model folder."""
    import torch

    from riata.errors import RiataError
    from riata.features import feature_columns, with_polygenic_score
    from riata.io.results import read_features
    from riata.tasks import Task
    from riata.train import fit_penalty

    settings, screen = TRAINING.read(arguments), SCREEN.read(arguments)  # settings first, before reading files
    feature_set, penalty = arguments.feature_set, arguments.penalty
    if penalty not in PENALTIES:
        raise RiataError(f"unknown penalty {penalty!r}; choose from {', '.join(PENALTIES)}")
    if feature_set not in FEATURE_SETS:
        raise RiataError(f"unknown feature set {feature_set!r}; choose from {', '.join(FEATURE_SETS)}")
    torch.set_num_threads(arguments.threads)
    tables, all_columns, parameters = read_features(arguments.features)
    if arguments.prs:
        tables, all_columns = with_polygenic_score(tables, all_columns, arguments.prs)
    outcome = parameters["outcome"]
    task = Task(outcome["type"], n_classes=max(len(outcome["classes"]), 2), regression_loss=settings.regression_loss)
    common = {"task": task, "penalty": penalty, "seeds": list(settings.seeds), "settings": settings}
    if "snp" in FEATURE_SET_SOURCES[feature_set]:
        from riata.genetics.screen import fit_screened

        fit = fit_screened(tables, all_columns, _screen_genotypes(arguments), feature_set=feature_set,
                           screen=screen, **common)  # fmt: skip
        results, columns = fit.results, fit.columns
        screen_record = {seed: {"n_screened": fit.screened, "screen_rounds": fit.rounds, "screen_violations": count}
                         for seed, count in fit.violations.items()}  # fmt: skip
    else:
        columns = feature_columns(all_columns, feature_set)
        results, screen_record = fit_penalty(tables, columns, **common), {}
    _write_models(arguments.out_dir, results, tables, columns, task, outcome, settings, feature_set, penalty,
                  screen_record)  # fmt: skip


def _screen_genotypes(arguments: argparse.Namespace):
    """The genotypes and training GWAS the snps feature sets screen."""
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from riata.errors import RiataError
    from riata.genetics.screen import ScreenGenotypes
    from riata.io.plink import BedBlocks, check_bed, plink_paths, read_fam
    from riata.io.results import read_variant_statistics
    from riata.io.tables import read_table

    if not (arguments.gwas and arguments.genotypes and arguments.qc):
        raise RiataError("train: the snps feature sets need --gwas, --genotypes and --qc")
    paths = plink_paths(arguments.genotypes)
    fam = read_fam(paths["fam"], use_fid=arguments.use_fid)
    passing = read_variant_statistics(Path(arguments.qc) / "variants.tsv", ["pass"])["pass"].to_numpy()
    check_bed(paths["bed"], len(fam), len(passing))
    gwas = read_table(arguments.gwas, dtype={"snp": str, "chrom": str})
    if len(gwas) != passing.sum():
        raise RiataError(f"{arguments.gwas}: {len(gwas)} SNPs, but {passing.sum()} passed QC; run riata gwas again")
    fam_row = pd.Series(np.arange(len(fam)), index=fam["sample_id"])
    return ScreenGenotypes(BedBlocks(paths["bed"], len(fam), len(passing)), fam_row, gwas, np.flatnonzero(passing))


def _write_models(out_dir, results, tables, columns, task, outcome, settings, feature_set, penalty,
                  screen_record) -> None:  # fmt: skip
    """Each seed's folder (:data:`riata.io.results.SEED_FILES`), all of them together or none."""
    from riata.evaluate import model_metrics
    from riata.io.results import SEED_FILES, predictions_table, seed_directory, write_model, write_seed_tables
    from riata.io.tables import atomic_outputs
    from riata.plots import draw_heatmaps, shown_rows
    from riata.report import TEST_METRICS
    from riata.survival import SurvivalReference

    source_of = dict(zip(columns["variable"], columns["source"], strict=False))
    targets = {split: task.targets(table) for split, table in tables.items()}
    reference = SurvivalReference(targets["train"], outcome["horizon"]) if task.kind == "survival" else None
    outputs = [seed_directory(out_dir, r.seed) / name for r in results for name in SEED_FILES]
    with atomic_outputs(outputs) as paths:
        for index, result in enumerate(results):
            own = dict(zip(SEED_FILES, paths[index * len(SEED_FILES) : (index + 1) * len(SEED_FILES)], strict=True))
            metrics = model_metrics(
                task,
                targets,
                result,
                source_of,
                settings,
                feature_set=feature_set,
                penalty=penalty,
                reference=reference,
            ) | screen_record.get(result.seed, {})
            predictions = predictions_table(tables, task, outcome["classes"], result.predictions, reference)
            write_seed_tables(own, result, metrics, predictions, settings.stability_refits, columns)
            title = f"{feature_set}, {penalty}, seed {result.seed}, λ {result.lambda_:.3g}"
            draw_heatmaps([shown_rows(title, result.first_layer, columns)], [own["first_layer.png"]], columns=1)
            baseline = reference.baseline_hazard(result.predictions["train"]) if reference is not None else None
            write_model(own["model.pt"], columns["column"].tolist(), list(settings.hidden_layers), outcome,
                        result.parameters, baseline)  # fmt: skip
            test = ", ".join(f"test {name} {metrics[name]:.3f}" for name in TEST_METRICS if name in metrics)
            kept = f"{len(result.selected)} of {len(source_of)} variables kept"
            log.info("%s/%s seed %d: lambda %.3g, epoch %d, %s, %s", feature_set, penalty, result.seed,
                     result.lambda_, result.best_epoch, test, kept)  # fmt: skip
