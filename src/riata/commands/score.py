"""Polygenic score of every sample from the training GWAS (clumping and thresholding, cross-fitted)."""

from __future__ import annotations

import argparse
from pathlib import Path

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
    parser.add_argument("--out-weights", required=True, help="the index SNPs and weights of the score (.tsv)")
    parser.add_argument("--out-cutoffs", required=True, help="each cut-off: SNPs kept, validation metric (.tsv)")


def run(arguments: argparse.Namespace) -> None:
    import numpy as np
    import pandas as pd

    from riata.errors import RiataError
    from riata.genetics.scores import ScoreInputs, choose_and_standardize, raw_scores
    from riata.io.clinical import OUTCOME
    from riata.io.plink import BedBlocks, check_bed, plink_paths, read_fam, sample_positions
    from riata.io.results import read_features, read_variant_statistics
    from riata.io.tables import atomic_outputs, read_table

    settings = PRS.read(arguments)
    if bool(arguments.folds) != bool(arguments.fold_associations):
        raise RiataError("score: give both --folds and --fold-associations, or neither")
    tables, _, parameters = read_features(arguments.features)
    samples = pd.concat([table.assign(split=split)[[OUTCOME, "split"]] for split, table in tables.items()])
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
    cutoffs = np.sort(np.asarray(settings.p_values))
    raw = raw_scores(inputs, cutoffs, r2=settings.clump_r2, window_bp=1000 * settings.clump_kb)
    score = choose_and_standardize(raw, cutoffs, parameters["outcome"]["type"], samples[OUTCOME].to_numpy(),
                                   samples["split"].to_numpy(), folds)  # fmt: skip
    weights = gwas.loc[raw.index_snps & (gwas["p"] <= cutoffs[score.cutoff]).to_numpy(),
                       ["snp", "chrom", "pos", "a1", "a2", "a1_freq", "beta", "p"]]  # fmt: skip
    cutoff_table = score.cutoffs.assign(training_mean=np.where(score.cutoffs["chosen"], score.mean, np.nan),
                                        training_sd=np.where(score.cutoffs["chosen"], score.sd, np.nan))  # fmt: skip
    outputs = [arguments.out_scores, arguments.out_weights, arguments.out_cutoffs]
    with atomic_outputs(outputs) as (scores_path, weights_path, cutoffs_path):
        pd.DataFrame({"sample_id": samples.index, "split": samples["split"], "prs": score.score}).to_csv(
            scores_path, sep="\t", index=False, float_format="%.7g"
        )
        weights.to_csv(weights_path, sep="\t", index=False, float_format="%.7g")
        cutoff_table.to_csv(cutoffs_path, sep="\t", index=False, float_format="%.6g")


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
