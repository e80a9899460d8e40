"""Polygenic score of every sample from the training GWAS (clumping and thresholding or a lasso, cross-fitted)."""

from __future__ import annotations

import argparse

from riata.commands.common import add_genotype_arguments
from riata.settings import Options, PrsSettings

PRS = Options(PrsSettings)
CONFIG_OPTIONS = (PRS,)


def register_arguments(parser: argparse.ArgumentParser) -> None:
    add_genotype_arguments(parser)
    parser.add_argument("--qc", required=True, help="folder written by `riata qc` (reads variants.tsv)")
    parser.add_argument("--features", required=True, help="folder written by `riata features` (reads the "
                        "train/validation/test tables' samples and outcomes, and preprocessing.json)")  # fmt: skip
    parser.add_argument("--gwas", required=True, help="associations written by `riata gwas`")
    parser.add_argument("--folds", help="cross-fitting folds written by `riata gwas` (with --fold-associations)")
    parser.add_argument("--fold-associations", help="fold associations written by `riata gwas`")
    parser.add_argument("--out-scores", required=True, help="every sample's standardized score (.tsv)")
    parser.add_argument("--out-weights", required=True, help="the SNPs and per-allele weights of the score (.tsv)")
    parser.add_argument(
        "--out-candidates", required=True, help="each candidate (cut-off or penalty): SNPs kept, metrics (.tsv)"
    )


def run(arguments: argparse.Namespace) -> None:
    import numpy as np
    import pandas as pd

    from riata.errors import RiataError
    from riata.genetics.scores import RawScores, choose_and_standardize
    from riata.io.tables import atomic_outputs
    from riata.tasks import Task

    settings = PRS.read(arguments)
    if bool(arguments.folds) != bool(arguments.fold_associations):
        raise RiataError("score: give both --folds and --fold-associations, or neither")
    inputs, samples, components, folds, kind = _score_inputs(arguments)
    families = []
    if settings.method in ("best", "ct"):
        families.append(_clumped(inputs, settings))
    if settings.method in ("best", "lasso"):
        families.append(_lasso(inputs, samples, components, folds, kind, settings))
    raw = RawScores.joined(families)
    score = choose_and_standardize(raw, kind, Task(kind).targets(samples), samples["split"].to_numpy(), folds)
    weights = inputs.gwas[["snp", "chrom", "pos", "a1", "a2", "a1_freq", "p"]].assign(
        weight=raw.weights[:, score.chosen]
    )
    chosen = score.candidates["chosen"]
    candidates = score.candidates.assign(training_mean=np.where(chosen, score.mean, np.nan),
                                         training_sd=np.where(chosen, score.sd, np.nan))  # fmt: skip
    outputs = [arguments.out_scores, arguments.out_weights, arguments.out_candidates]
    with atomic_outputs(outputs) as (scores_path, weights_path, candidates_path):
        pd.DataFrame({"sample_id": samples.index, "split": samples["split"], "prs": score.score}).to_csv(
            scores_path, sep="\t", index=False, float_format="%.7g"
        )
        weights[weights["weight"] != 0].to_csv(weights_path, sep="\t", index=False, float_format="%.7g")
        candidates.to_csv(candidates_path, sep="\t", index=False, float_format="%.6g")


def _score_inputs(arguments: argparse.Namespace):
    """What the score is built from; the samples (in .fam order: outcome and split), their principal
    components (samples x k), the training samples' folds (or None) and the outcome type."""
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from riata.genetics.scores import ScoreInputs
    from riata.io.clinical import OUTCOME, OUTCOME_TIME
    from riata.io.plink import BedBlocks, check_bed, plink_paths, read_fam, sample_positions
    from riata.io.results import read_features, read_variant_statistics
    from riata.io.tables import read_table

    tables, columns, parameters = read_features(arguments.features)
    components = columns.loc[columns["source"] == "genetic", "column"].tolist()
    outcome = [OUTCOME, OUTCOME_TIME] if parameters["outcome"]["type"] == "survival" else [OUTCOME]
    samples = pd.concat([table.assign(split=split)[[*outcome, "split", *components]]
                         for split, table in tables.items()])  # fmt: skip
    paths = plink_paths(arguments.genotypes)
    fam = read_fam(paths["fam"], use_fid=arguments.use_fid)
    passing = read_variant_statistics(Path(arguments.qc) / "variants.tsv", ["pass"])["pass"].to_numpy()
    check_bed(paths["bed"], len(fam), len(passing))
    rows = sample_positions(fam, samples.index.tolist())
    samples = samples.iloc[np.argsort(rows)]
    gwas, betas, p_values = _gwas_table(arguments, int(passing.sum()))
    folds = None
    if arguments.folds:
        fold_of = read_table(arguments.folds, dtype={"sample_id": str}).set_index("sample_id")["fold"]
        folds = fold_of.loc[samples.index[samples["split"] == "train"]].to_numpy()
    inputs = ScoreInputs(BedBlocks(paths["bed"], len(fam), len(passing)), np.flatnonzero(passing), gwas, betas,
                         p_values, np.sort(rows), (samples["split"] == "train").to_numpy())  # fmt: skip
    return inputs, samples, samples[components].to_numpy(), folds, parameters["outcome"]["type"]


def _clumped(inputs, settings):
    import numpy as np

    from riata.genetics.scores import clumped_scores

    cutoffs = np.sort(np.asarray(settings.p_values))
    return clumped_scores(inputs, cutoffs, r2=settings.clump_r2, window_bp=1000 * settings.clump_kb)


def _lasso(inputs, samples, components, folds, kind, settings):
    from riata.genetics.scores import lasso_scores
    from riata.tasks import Task

    return lasso_scores(inputs, components, Task(kind).targets(samples), folds, kind=kind,
                        n_snps=settings.lasso_snps, n_penalties=settings.lasso_penalties)  # fmt: skip


def _gwas_table(arguments: argparse.Namespace, n_passing: int):
    """The training GWAS beside each fold's betas and p-values, and the names of those column pairs."""
    import pandas as pd

    from riata.errors import RiataError
    from riata.io.tables import read_table

    gwas = read_table(arguments.gwas, dtype={"snp": str, "chrom": str})
    if len(gwas) != n_passing:
        raise RiataError(f"{arguments.gwas}: {len(gwas)} SNPs, but {n_passing} passed QC; run riata gwas again")
    betas, p_values = ["beta"], ["p"]
    if arguments.fold_associations:
        folds = read_table(arguments.fold_associations, dtype={"snp": str})
        if not folds["snp"].equals(gwas["snp"]):
            raise RiataError(f"{arguments.fold_associations}: its SNPs are not those of {arguments.gwas}")
        n_folds = (len(folds.columns) - 1) // 2
        betas += [f"beta_{f}" for f in range(n_folds)]
        p_values += [f"p_{f}" for f in range(n_folds)]
        gwas = pd.concat([gwas, folds.drop(columns="snp")], axis=1)
    return gwas, betas, p_values
