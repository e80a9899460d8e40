"""Genetic embedding (principal components or an autoencoder) fitted on training samples, applied to all."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from riata.commands.common import GENOTYPES, add_genotype_arguments
from riata.settings import EmbeddingSettings, Options

EMBEDDING = Options(EmbeddingSettings)
CONFIG_OPTIONS = (GENOTYPES, EMBEDDING)

log = logging.getLogger("riata")


def register_arguments(parser: argparse.ArgumentParser) -> None:
    add_genotype_arguments(parser)
    parser.add_argument("--qc", required=True, help="folder written by `riata qc` (reads variants.tsv, split.tsv)")
    parser.add_argument("--out-components", required=True, help="per-sample components (.tsv)")
    parser.add_argument("--out-loadings", required=True, help="per-variant loadings (.parquet, or .tsv text)")
    parser.add_argument("--out-eigenvalues", required=True, help="eigenvalues and variance explained (.tsv)")


def run(arguments: argparse.Namespace) -> None:
    """Learn the embedding on the training samples that passed QC; write every passing sample's
    components, the loadings (PCA) or encoder weights (autoencoder) of the variants that passed QC, and
    the spectrum (PCA eigenvalues, or the autoencoder codes' training variances)."""
    import torch

    from riata.io.results import write_components, write_spectrum
    from riata.io.tables import atomic_outputs
    from riata.io.variant_tables import loadings_writer
    from riata.settings import GENETIC_PREFIX

    settings = EMBEDDING.read(arguments)
    torch.set_num_threads(arguments.threads)
    genotypes, sample_ids, splits = _training_genotypes(arguments)
    names = [f"{GENETIC_PREFIX}{j}" for j in range(settings.n_components)]
    outputs = [arguments.out_components, arguments.out_loadings, arguments.out_eigenvalues]
    with (
        atomic_outputs(outputs) as (components, loadings, spectrum),
        loadings_writer(loadings, Path(arguments.qc) / "variants.tsv", settings.n_components) as write_loadings,
    ):
        scores, quantities = _fit(settings, genotypes, write_loadings, arguments)
        write_components(components, sample_ids, splits, scores, names)
        write_spectrum(spectrum, names, quantities)


def _training_genotypes(arguments: argparse.Namespace):
    """The genotypes the embedding reads (training and held-out .fam rows of the samples that passed QC,
    QC-passing variants with their training frequencies), and those samples' ids and splits in the
    order of the scores: training samples first."""
    import numpy as np

    from riata.embedding import GenotypeSelection
    from riata.io.plink import BedBlocks, check_bed, plink_paths, read_fam, sample_positions
    from riata.io.results import read_split, read_variant_statistics

    paths = plink_paths(arguments.genotypes)
    fam = read_fam(paths["fam"], use_fid=arguments.use_fid)
    split = read_split(Path(arguments.qc) / "split.tsv")
    statistics = read_variant_statistics(Path(arguments.qc) / "variants.tsv", ["a1_freq", "pass"])
    check_bed(paths["bed"], len(fam), len(statistics))
    variant_index = np.flatnonzero(statistics["pass"].to_numpy())
    ids = np.concatenate([split.index[split == "train"], split.index[split != "train"]])
    rows = sample_positions(fam, ids.tolist())
    n_train = int((split == "train").sum())
    selection = GenotypeSelection(
        source=BedBlocks(paths["bed"], len(fam), len(statistics)), train_rows=rows[:n_train],
        other_rows=rows[n_train:], variant_index=variant_index, a1_freq=statistics["a1_freq"].to_numpy()[variant_index],
    )  # fmt: skip
    return selection, ids, split[ids].to_numpy()


def heldout_variance_ratio(train_scores, other_scores):
    """Per component, the mean square of held-out samples' scores over the training scores' variance: 1
    when new samples are on the training scale (a diagnostic; nothing is fitted on held-out samples)."""
    import numpy as np

    if not len(other_scores):
        return np.full(train_scores.shape[1], np.nan)
    return (other_scores**2).mean(axis=0) / train_scores.var(axis=0)


def _fit(settings, genotypes, write_loadings, arguments) -> tuple:
    """Scores (training samples, then held-out samples, x k) and the spectrum's columns."""
    import numpy as np

    block_variants = GENOTYPES.read(arguments).block_variants
    if settings.method == "pca":
        from riata.cluster import dask_scheduler
        from riata.embedding import fit_pca

        with dask_scheduler(settings.scheduler, arguments.threads) as client:
            pca = fit_pca(
                genotypes, n_components=settings.n_components, write_loadings=write_loadings,
                algorithm=settings.algorithm, relationship_max_samples=settings.relationship_max_samples,
                oversampling=settings.oversampling, power_iterations=settings.power_iterations, seed=settings.seed,
                block_variants=block_variants, threads=arguments.threads, scheduler=client,
                spill_dir=str(Path(arguments.out_loadings).parent), shrinkage_folds=settings.shrinkage_folds,
            )  # fmt: skip
        ratio = heldout_variance_ratio(pca.train_scores, pca.other_scores)
        log.info("held-out / training score variance, first components: %s (shrinkage factors %s)",
                 " ".join(f"{r:.2f}" for r in ratio[:5]), " ".join(f"{f:.2f}" for f in pca.shrinkage[:5]))  # fmt: skip
        spectrum = {"singular_value": pca.singular_values, "eigenvalue": pca.eigenvalues,
                    "variance_explained": pca.variance_explained, "shrinkage": pca.shrinkage,
                    "heldout_variance_ratio": ratio}  # fmt: skip
        return np.vstack([pca.train_scores, pca.other_scores]), spectrum
    from riata.autoencoder import fit_autoencoder

    autoencoder = fit_autoencoder(
        genotypes, n_components=settings.n_components, epochs=settings.autoencoder_epochs,
        batch_size=settings.autoencoder_batch_size, learning_rate=settings.autoencoder_learning_rate,
        block_variants=block_variants, seed=settings.seed,
    )  # fmt: skip
    write_loadings(0, autoencoder.encoder_weights)
    codes = np.vstack([autoencoder.train_codes, autoencoder.other_codes])
    return codes, {"training_variance": autoencoder.train_codes.var(axis=0)}
