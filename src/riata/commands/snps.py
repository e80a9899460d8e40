"""SNP importance of the models with genetic inputs along the genome, the SNPs kept, and their truth."""

from __future__ import annotations

import argparse

from riata.commands.common import add_model_arguments

CONFIG_OPTIONS = ()
MODEL_FILES = ("metrics.tsv", "first_layer.tsv", "inputs.tsv")


def register_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser, MODEL_FILES, "with genetic components or screened SNPs (every seed)")
    parser.add_argument("--loadings", help="loadings written by `riata embed` (models on genetic components)")
    parser.add_argument("--gwas", help="associations written by `riata gwas` (models on screened SNPs)")
    parser.add_argument("--truth", help="truth.tsv written by `riata truth`: causal SNPs near the top, and kept")
    parser.add_argument("--genotypes", help="PLINK 1 prefix: LD of kept and causal SNPs (with --truth and --gwas)")
    parser.add_argument("--split", help="split.tsv whose training samples give that LD (with --genotypes)")
    parser.add_argument("--use-fid", action="store_true", help="match samples on FID and IID (default: IID)")
    parser.add_argument("--out-tsv", required=True, help="snp_importance.tsv to write")
    parser.add_argument("--out-png", required=True, help="Manhattan-style figure to write")
    parser.add_argument("--out-selected", help="selected_snps.tsv to write (with --gwas)")
    parser.add_argument("--out-truth", help="snp_truth.tsv to write (with --truth)")


def run(arguments: argparse.Namespace) -> None:
    from pathlib import Path

    from riata.errors import RiataError
    from riata.io.results import read_inputs, read_model_metrics
    from riata.io.tables import atomic_outputs, read_table
    from riata.io.truth import causal_names, read_truth
    from riata.io.variant_tables import read_loadings
    from riata.plots import draw_manhattan
    from riata.report import causal_snps_in_top, selected_snps, snp_importance

    if not (arguments.loadings or arguments.gwas):
        raise RiataError("snps: give --loadings, --gwas or both")
    loadings, gwas = None, None
    if arguments.loadings:
        variants, loadings = read_loadings(arguments.loadings)
    if arguments.gwas:
        gwas = read_table(arguments.gwas, dtype={"snp": str, "chrom": str})
        variants = gwas
    layers, snp_layers = {}, {}
    for model_dir in map(Path, arguments.models):
        metrics, inputs = read_model_metrics(model_dir), read_inputs(model_dir)
        layer = read_table(model_dir / "first_layer.tsv", dtype={"input": str}).set_index("input")
        model = (metrics["feature_set"], metrics["penalty"], int(metrics["seed"]))
        layers[model] = layer
        if (inputs["source"] == "snp").any():
            snp_layers[model] = layer
    importance = snp_importance(variants, loadings, layers)
    selected = selected_snps(snp_layers, gwas) if gwas is not None and snp_layers else None
    truth = read_truth(arguments.truth) if arguments.truth else None
    outputs = [arguments.out_tsv, arguments.out_png]
    outputs += [arguments.out_selected] if selected is not None else []
    outputs += [arguments.out_truth] if truth is not None else []
    causal = causal_names(truth, "snp") if truth is not None else []
    with atomic_outputs(outputs) as paths:
        importance.to_csv(paths[0], sep="\t", index=False, float_format="%.6g")
        draw_manhattan(importance, [paths[1]], causal)
        if selected is not None:
            selected.to_csv(paths[2], sep="\t", index=False, float_format="%.6g")
        if truth is not None:
            table = causal_snps_in_top(importance, set(causal))
            if selected is not None:
                table = _with_selection_truth(table, selected, list(snp_layers), causal, arguments)
            table.to_csv(paths[-1], sep="\t", index=False, float_format="%.4g")


def _with_selection_truth(table, selected, models, causal, arguments):
    """The rank-based truth table with, for each model on screened SNPs, precision and recall of its kept
    SNPs (hits: causal or in LD r-squared >= 0.5 with a causal SNP, on the training genotypes)."""
    import numpy as np
    import pandas as pd

    from riata.errors import RiataError
    from riata.genetics.ld import genotype_indicators, haplotype_r_squared
    from riata.io.plink import BedBlocks, plink_paths, read_bim, read_fam, sample_positions
    from riata.io.results import read_split
    from riata.report import selected_snp_truth

    if not (arguments.genotypes and arguments.split):
        raise RiataError("snps: checking kept SNPs against the truth needs --genotypes and --split")
    paths = plink_paths(arguments.genotypes)
    fam, bim = read_fam(paths["fam"], use_fid=arguments.use_fid), read_bim(paths["bim"])
    split = read_split(arguments.split)
    train_rows = np.sort(sample_positions(fam, split.index[split == "train"].tolist()))
    row_of = pd.Series(np.arange(len(bim)), index=bim["snp"])
    kept = list(dict.fromkeys(selected["snp"]))
    snps = list(dict.fromkeys(kept + causal))
    rows = row_of.loc[snps].to_numpy()
    order = np.argsort(rows)
    codes = np.empty((len(snps), len(train_rows)), dtype=np.int8)
    codes[order] = BedBlocks(paths["bed"], len(fam), len(bim)).read_codes(train_rows, rows[order])[0].T
    indicators = genotype_indicators(codes)
    chromosome = bim["chrom"].astype(str).to_numpy()[rows]
    position = {snp: k for k, snp in enumerate(snps)}  # the kept SNPs come first
    r_squared = pd.DataFrame(0.0, index=kept, columns=causal)
    for j, snp in enumerate(causal):
        same = np.flatnonzero(chromosome[: len(kept)] == chromosome[position[snp]])
        if len(same):
            r_squared.iloc[same, j] = haplotype_r_squared(indicators[position[snp]], indicators[same])
    found = selected_snp_truth(selected, models, causal, r_squared)
    found.insert(0, "model", found["feature_set"] + " " + found["penalty"] + ", seed " + found["seed"].astype(str))
    return table.merge(found.drop(columns=["feature_set", "penalty", "seed", "causal_snps"]), on="model", how="left")
