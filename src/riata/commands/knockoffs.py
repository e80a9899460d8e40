"""Model-X knockoff selection of one feature set's input variables at target false discovery rates."""

from __future__ import annotations

import argparse

from riata.settings import KNOCKOFF_FEATURE_SETS, KnockoffSettings, Options, TrainSettings

# How the networks on inputs and knockoffs are trained: as configured, but lambda is chosen by the knockoffs'
# own rule, and there are no stability refits or relaxed fits.
NOT_TAKEN = ("lambda_rule", "stability_refits", "relax", "relax_penalty_share")
TRAINING = Options(TrainSettings, only=tuple(f.name for f, _ in TrainSettings.fields() if f.name not in NOT_TAKEN))
KNOCKOFFS = Options(KnockoffSettings)
CONFIG_OPTIONS = (TRAINING, KNOCKOFFS)


def register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--features", required=True, help="folder written by `riata features` (reads every file)")
    parser.add_argument("--feature-set", required=True, help=f"one of {', '.join(KNOCKOFF_FEATURE_SETS)}")
    parser.add_argument("--prs", help="scores.tsv written by `riata score` (the prs feature sets)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--out", required=True, help="knockoffs table to write (.tsv)")


def run(arguments: argparse.Namespace) -> None:
    """Draw knockoffs per seed, train a network on inputs and knockoffs, and write each variable's statistic
    and whether the knockoff+ filter keeps it at each target FDR (one row per seed and variable)."""
    import torch

    from riata.errors import RiataError
    from riata.features import feature_columns, with_polygenic_score
    from riata.io.results import read_features
    from riata.io.tables import atomic_outputs
    from riata.knockoffs import knockoff_selection
    from riata.tasks import Task

    training, knockoffs = TRAINING.read(arguments), KNOCKOFFS.read(arguments)
    if arguments.feature_set not in KNOCKOFF_FEATURE_SETS:
        raise RiataError(
            f"knockoffs: feature set {arguments.feature_set!r} cannot have knockoffs; choose from "
            f"{', '.join(KNOCKOFF_FEATURE_SETS)}"
        )
    torch.set_num_threads(arguments.threads)
    tables, all_columns, parameters = read_features(arguments.features, splits=("train", "validation"))
    if arguments.prs:
        tables, all_columns = with_polygenic_score(tables, all_columns, arguments.prs)
    outcome = parameters["outcome"]
    task = Task(outcome["type"], n_classes=max(len(outcome["classes"]), 2), regression_loss=training.regression_loss)
    columns = feature_columns(all_columns, arguments.feature_set)
    table = knockoff_selection(tables, columns, task=task, seeds=list(training.seeds), training=training,
                               knockoffs=knockoffs)  # fmt: skip
    with atomic_outputs([arguments.out]) as (path,):
        table.insert(0, "feature_set", arguments.feature_set)
        table.to_csv(path, sep="\t", index=False, float_format="%.6g")
