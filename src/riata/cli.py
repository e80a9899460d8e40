"""``riata <verb>``: argument parsing only; each verb calls one function of :mod:`riata.steps`.

A :class:`~riata.errors.RiataError` is printed as one ``ERROR: <message>`` line and exits with status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from riata import __version__
from riata.errors import RiataError
from riata.io.clinical import ClinicalSpec
from riata.settings import (
    FEATURE_SETS,
    OUTCOME_TYPES,
    PENALTIES,
    EmbeddingSettings,
    QcThresholds,
    SimulationSettings,
    TrainSettings,
    add_settings_arguments,
    settings_from_arguments,
)

log = logging.getLogger("riata")


def _add_clinical_arguments(parser: argparse.ArgumentParser, *, covariates: bool) -> None:
    parser.add_argument("--clinical", required=True, help="clinical table (.tsv, .txt or .csv)")
    parser.add_argument("--id-column", required=True, help="column holding sample ids (the .fam IID)")
    parser.add_argument("--outcome", required=True, help="outcome column")
    parser.add_argument(
        "--outcome-type", choices=OUTCOME_TYPES, default="binary", help="binary, multiclass or continuous"
    )
    parser.add_argument("--positive-label", default="1", help="binary outcome: label of cases (default: 1)")
    parser.add_argument("--fid-column", help="family id column: match samples on FID and IID (default: IID only)")
    parser.add_argument("--missing", choices=["impute", "refuse"], default="impute",
                        help="missing covariate values: impute (fitted on training samples) or refuse")  # fmt: skip
    if covariates:
        parser.add_argument("--numeric", nargs="*", default=[], help="numeric covariate columns")
        parser.add_argument("--categorical", nargs="*", default=[], help="categorical covariate columns")
        parser.add_argument("--numeric-imputation", choices=["median", "mean"], default="median")
        parser.add_argument("--categorical-imputation", choices=["most_frequent", "missing_level"],
                            default="most_frequent")  # fmt: skip


def _clinical_spec(arguments: argparse.Namespace) -> ClinicalSpec:
    return ClinicalSpec(
        id_column=arguments.id_column,
        outcome=arguments.outcome,
        numeric=list(getattr(arguments, "numeric", [])),
        categorical=list(getattr(arguments, "categorical", [])),
        positive_label=arguments.positive_label,
        outcome_type=arguments.outcome_type,
        fid_column=arguments.fid_column,
        missing=arguments.missing,
        numeric_imputation=getattr(arguments, "numeric_imputation", "median"),
        categorical_imputation=getattr(arguments, "categorical_imputation", "most_frequent"),
    )


def _add_genotype_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--genotypes", required=True, help="PLINK 1 fileset prefix (.bed/.bim/.fam)")
    parser.add_argument("--use-fid", action="store_true", help="match samples on FID and IID (default: IID)")
    parser.add_argument("--threads", type=int, default=1, help="threads (or local dask workers)")
    parser.add_argument("--block-variants", type=int, default=4096, help="variants per streamed block")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riata", description="Which clinical and genetic variables does a neural network actually need?"
    )
    parser.add_argument("--version", action="version", version=f"riata {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    check = verbs.add_parser("check", help="validate a workflow config and preview its inputs")
    check.add_argument("--config", required=True, help="config YAML file")

    convert = verbs.add_parser("convert", help="convert PLINK 2 / VCF / BCF genotypes to PLINK 1 with plink2")
    convert.add_argument("--format", required=True, choices=["pgen", "vcf", "bcf"], help="input format")
    convert.add_argument("--input", required=True, help="pgen prefix, or .vcf/.vcf.gz/.bcf file")
    convert.add_argument("--out", required=True, help="prefix of the .bed/.bim/.fam to write")
    convert.add_argument("--threads", type=int, default=1, help="plink2 threads")

    simulate = verbs.add_parser("simulate", help="simulate a clinical + genetic cohort with known truth")
    simulate.add_argument("--out", required=True, help="folder for clinical.tsv, genotypes.* and truth.tsv")
    add_settings_arguments(simulate, SimulationSettings)

    split = verbs.add_parser("split", help="match samples and split them into train / validation / test")
    _add_clinical_arguments(split, covariates=False)
    split.add_argument("--genotypes", help="PLINK 1 fileset prefix whose .fam samples must match")
    split.add_argument("--validation-share", type=float, default=0.2, help="share of samples for validation")
    split.add_argument("--test-share", type=float, default=0.2, help="share of samples for testing")
    split.add_argument("--seed", type=int, default=1, help="random seed of the split")
    split.add_argument("--min-matched", type=int, default=50, help="fewest samples in both files to go on")
    split.add_argument("--out", required=True, help="split.tsv to write")

    qc = verbs.add_parser("qc", help="sample and variant QC (call rates, MAF, HWE) on training samples")
    _add_genotype_arguments(qc)
    qc.add_argument("--split", required=True, help="split.tsv written by `riata split`")
    defaults = QcThresholds()
    qc.add_argument("--min-sample-call-rate", type=float, default=defaults.min_sample_call_rate,
                    help="smallest sample call rate kept")  # fmt: skip
    qc.add_argument("--min-call-rate", type=float, default=defaults.min_call_rate, help="smallest variant call rate")
    qc.add_argument("--min-maf", type=float, default=defaults.min_maf, help="smallest minor allele frequency kept")
    qc.add_argument("--min-hwe-p", type=float, default=defaults.min_hwe_p, help="smallest HWE exact-test p kept")
    qc.add_argument("--out-dir", required=True, help="folder for samples, variants, summary and split .tsv")

    embed = verbs.add_parser("embed", help="genetic embedding: randomized PCA fitted on training samples")
    _add_genotype_arguments(embed)
    embed.add_argument("--qc", required=True, help="folder written by `riata qc`")
    add_settings_arguments(embed, EmbeddingSettings)
    embed.add_argument("--out-components", required=True, help="per-sample components (.tsv)")
    embed.add_argument("--out-loadings", required=True, help="per-variant loadings (.parquet, or .tsv text)")
    embed.add_argument("--out-eigenvalues", required=True, help="eigenvalues and variance explained (.tsv)")

    features = verbs.add_parser("features", help="preprocess inputs (fitted on training samples)")
    _add_clinical_arguments(features, covariates=True)
    features.add_argument("--split", required=True, help="split.tsv written by `riata split`")
    features.add_argument("--components", help="components.tsv written by `riata embed` (omit: clinical only)")
    features.add_argument("--out-dir", required=True, help="folder for train/validation/test.tsv, columns.tsv")

    train = verbs.add_parser("train", help="train penalised networks for one feature set and penalty")
    train.add_argument("--features", required=True, help="folder written by `riata features`")
    train.add_argument("--feature-set", required=True, help=f"one of {', '.join(FEATURE_SETS)}")
    train.add_argument("--penalty", required=True, help=f"one of {', '.join(PENALTIES)}")
    train.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="network initialisation seeds")
    train.add_argument("--threads", type=int, default=1, help="torch threads")
    train.add_argument("--out-dir", required=True, help="folder for seed<N>/ results")
    add_settings_arguments(train, TrainSettings)

    compare = verbs.add_parser("compare", help="gather models' metrics into the comparison table")
    compare.add_argument("metrics", nargs="+", help="metrics.tsv files written by `riata train`")
    compare.add_argument("--out-tsv", required=True, help="comparison.tsv to write")
    compare.add_argument("--features", required=True, help="folder written by `riata features`")
    compare.add_argument("--truth", help="truth.tsv of a simulated cohort: check selections against it")
    compare.add_argument("--out-md", required=True, help="comparison.md to write")
    compare.add_argument("--out-stability", required=True, help="stability.tsv to write")
    compare.add_argument("--out-truth", help="truth_check.tsv to write (with --truth)")

    figures = verbs.add_parser("figures", help="regularisation paths, training curves, weights over epochs, stability")
    figures.add_argument("model_dirs", nargs="+", help="model folders (seed<N>), one panel each")
    figures.add_argument("--stability", required=True, help="stability.tsv written by `riata compare`")
    figures.add_argument("--weights-model", required=True, help="model folder whose first layer over epochs is drawn")
    for name in ("paths", "training", "weights", "stability"):
        figures.add_argument(f"--out-{name}", required=True, help=f"{name} figure to write (.png or .svg)")

    snp_parser = verbs.add_parser("snps", help="SNP importance through the genetic components models keep")
    snp_parser.add_argument("first_layers", nargs="+", help="first_layer.tsv files of models with genetic inputs")
    snp_parser.add_argument("--loadings", required=True, help="loadings written by `riata embed`")
    snp_parser.add_argument("--truth", help="truth.tsv of a simulated cohort: count causal SNPs near the top")
    snp_parser.add_argument("--out-tsv", required=True, help="snp_importance.tsv to write")
    snp_parser.add_argument("--out-png", required=True, help="Manhattan-style figure to write")
    snp_parser.add_argument("--out-truth", help="causal SNPs in the top ranks (with --truth)")

    heatmaps = verbs.add_parser("heatmaps", help="draw first-layer weight heat maps")
    heatmaps.add_argument("first_layers", nargs="+", help="first_layer.tsv files, one panel each")
    heatmaps.add_argument("--out-png", required=True, help="PNG to write")
    heatmaps.add_argument("--out-svg", required=True, help="SVG to write")
    return parser


def run(arguments: argparse.Namespace) -> None:
    """Dispatch a parsed command line to its step (imported here: each verb loads only what it needs)."""
    from riata import steps

    if arguments.verb == "check":
        print(steps.check(config_path=arguments.config))
    elif arguments.verb == "convert":
        steps.convert_genotypes(
            source=arguments.input,
            genotype_format=arguments.format,
            out_prefix=arguments.out,
            threads=arguments.threads,
        )
    elif arguments.verb == "simulate":
        steps.simulate(settings_from_arguments(arguments, SimulationSettings), arguments.out)
    elif arguments.verb == "split":
        steps.split_samples(
            clinical_path=arguments.clinical,
            spec=_clinical_spec(arguments),
            fam_path=f"{arguments.genotypes}.fam" if arguments.genotypes else None,
            validation_share=arguments.validation_share,
            test_share=arguments.test_share,
            seed=arguments.seed,
            min_matched=arguments.min_matched,
            out=arguments.out,
        )
    elif arguments.verb == "qc":
        steps.quality_control(
            genotypes_prefix=arguments.genotypes,
            split_path=arguments.split,
            thresholds=QcThresholds(
                min_sample_call_rate=arguments.min_sample_call_rate,
                min_call_rate=arguments.min_call_rate,
                min_maf=arguments.min_maf,
                min_hwe_p=arguments.min_hwe_p,
            ),
            use_fid=arguments.use_fid,
            threads=arguments.threads,
            block_variants=arguments.block_variants,
            out_dir=arguments.out_dir,
        )
    elif arguments.verb == "embed":
        steps.embed(
            genotypes_prefix=arguments.genotypes,
            qc_dir=arguments.qc,
            settings=settings_from_arguments(arguments, EmbeddingSettings),
            use_fid=arguments.use_fid,
            threads=arguments.threads,
            block_variants=arguments.block_variants,
            out_components=arguments.out_components,
            out_loadings=arguments.out_loadings,
            out_eigenvalues=arguments.out_eigenvalues,
        )
    elif arguments.verb == "features":
        steps.build_features(
            clinical_path=arguments.clinical,
            spec=_clinical_spec(arguments),
            split_path=arguments.split,
            components_path=arguments.components,
            out_dir=arguments.out_dir,
        )
    elif arguments.verb == "train":
        steps.train_models(
            features_dir=arguments.features,
            feature_set=arguments.feature_set,
            penalty=arguments.penalty,
            seeds=arguments.seeds,
            settings=settings_from_arguments(arguments, TrainSettings),
            threads=arguments.threads,
            out_dir=arguments.out_dir,
        )
    elif arguments.verb == "compare":
        steps.compare(
            metrics_paths=arguments.metrics,
            features_dir=arguments.features,
            truth_path=arguments.truth,
            out_tsv=arguments.out_tsv,
            out_md=arguments.out_md,
            out_stability=arguments.out_stability,
            out_truth=arguments.out_truth,
        )
    elif arguments.verb == "figures":
        steps.figures(
            model_dirs=arguments.model_dirs,
            stability_path=arguments.stability,
            weights_dir=arguments.weights_model,
            out_paths=arguments.out_paths,
            out_training=arguments.out_training,
            out_weights=arguments.out_weights,
            out_stability=arguments.out_stability,
        )
    elif arguments.verb == "snps":
        steps.snps(
            loadings_path=arguments.loadings,
            first_layer_paths=arguments.first_layers,
            truth_path=arguments.truth,
            out_tsv=arguments.out_tsv,
            out_png=arguments.out_png,
            out_truth=arguments.out_truth,
        )
    elif arguments.verb == "heatmaps":
        steps.heatmaps(first_layer_paths=arguments.first_layers, out_png=arguments.out_png, out_svg=arguments.out_svg)


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s riata %(levelname)s %(message)s", stream=sys.stderr)
    for noisy in ("msprime", "matplotlib", "distributed"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``riata`` command; returns the exit status."""
    arguments = build_parser().parse_args(argv)
    configure_logging()
    try:
        run(arguments)
    except RiataError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    return 0
