"""Every user setting of riata: names, defaults, help text and checks, with no heavy imports.

The settings dataclasses' fields carry their own help text; :func:`add_settings_arguments` turns them
into command-line options, and the workflow's config schema must state the same defaults (a test
checks it).
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

from riata.errors import RiataError

SPLITS = ("train", "validation", "test")
FEATURE_SETS = ("clinical", "genetic", "clinical_genetic")
PENALTIES = ("none", "l1", "l2", "elastic_net", "group_lasso", "sparse_group_lasso")
GROUP_PENALTIES = ("group_lasso", "sparse_group_lasso")
OUTCOME_TYPES = ("binary", "multiclass", "continuous")
REGRESSION_LOSSES = ("squared", "absolute")
METRICS = ("loss", "auroc", "accuracy", "r2")  # validation metrics that can choose lambda
LAMBDA_RULES = ("one_se", "best")
SIMULATION_KINDS = ("cohort", "multiclass", "line")
MODES = ("proximal", "subgradient")
OPTIMIZERS = ("sgd", "adam")
PENALISED_LAYERS = ("first", "all")

Settings = TypeVar("Settings")


def setting(default: Any, help: str, type: type | None = None) -> Any:  # noqa: A002 - mirrors argparse
    """A dataclass field with a default and the help text its command-line option shows.

    ``type`` is needed only when the default is None (the option's type cannot be read off it).
    """
    metadata = {"help": help, "type": type}
    if isinstance(default, list | tuple):
        return dataclasses.field(default=tuple(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def add_settings_arguments(parser: argparse.ArgumentParser, settings_class: type) -> None:
    """Add one ``--field-name`` option per field of ``settings_class``, typed by its default."""
    group = parser.add_argument_group(f"{settings_class.__name__} options")
    for field in dataclasses.fields(settings_class):
        option = "--" + field.name.replace("_", "-")
        help_text = f"{field.metadata.get('help', '')} (default: {field.default})"
        if isinstance(field.default, tuple):
            group.add_argument(option, type=int, nargs="*", default=field.default, help=help_text)
        elif isinstance(field.default, bool):
            group.add_argument(option, action=argparse.BooleanOptionalAction, default=field.default, help=help_text)
        elif field.default is None:
            group.add_argument(option, type=field.metadata.get("type") or float, default=None, help=help_text)
        else:
            group.add_argument(option, type=type(field.default), default=field.default, help=help_text)


def settings_from_arguments(arguments: argparse.Namespace, settings_class: type[Settings]) -> Settings:
    """Build ``settings_class`` from the options added by :func:`add_settings_arguments`."""
    values = {}
    for field in dataclasses.fields(settings_class):
        value = getattr(arguments, field.name)
        values[field.name] = tuple(value) if isinstance(field.default, tuple) else value
    return settings_class(**values)


@dataclass(frozen=True)
class QcThresholds:
    """What passes QC: samples and variants at or above the call rates, MAF and HWE p-value."""

    min_sample_call_rate: float = 0.95
    min_call_rate: float = 0.95
    min_maf: float = 0.01
    min_hwe_p: float = 1e-6

    def validate(self) -> None:
        for name in ("min_sample_call_rate", "min_call_rate", "min_hwe_p"):
            if not 0 <= getattr(self, name) <= 1:
                raise RiataError(f"qc: {name} must be in [0, 1], got {getattr(self, name)}")
        if not 0 <= self.min_maf < 0.5:
            raise RiataError(f"qc: min_maf must be in [0, 0.5), got {self.min_maf}")


GENETIC_PREFIX = "genetic_"  # embedding columns genetic_0 .. genetic_k-1
EMBEDDING_METHODS = ("pca", "autoencoder")
PCA_ALGORITHMS = ("auto", "relationship", "krylov")


@dataclass(frozen=True)
class EmbeddingSettings:
    """How the genetic embedding is learnt (see riata.embedding and riata.autoencoder)."""

    method: str = setting("pca", "pca (principal components) or autoencoder")
    n_components: int = setting(20, "dimensions of the embedding (genetic_0 .. genetic_k-1)")
    algorithm: str = setting(
        "auto", "pca: relationship (int8 relationship matrix), krylov (randomized block Krylov) or auto"
    )
    relationship_max_samples: int = setting(
        6000, "pca, auto: relationship up to this many training samples (memory n^2 x 4 bytes per thread), then krylov"
    )
    oversampling: int = setting(10, "pca: extra dimensions of the subspace beyond n_components")
    power_iterations: int = setting(7, "pca, krylov: block Krylov iterations, one pass over the .bed each")
    seed: int = setting(1, "seed of the random sketch or of the autoencoder's initialisation")
    scheduler: str | None = setting(
        None, "pca: dask.distributed 'local', 'slurm' (workers as SLURM jobs) or a scheduler address", type=str
    )
    autoencoder_epochs: int = setting(20, "autoencoder: passes over the training samples")
    autoencoder_batch_size: int = setting(64, "autoencoder: training samples per minibatch")
    autoencoder_learning_rate: float = setting(1e-3, "autoencoder: Adam learning rate")

    def validate(self) -> None:
        checks = [
            (self.method in EMBEDDING_METHODS, f"method must be one of {', '.join(EMBEDDING_METHODS)}"),
            (self.n_components >= 1, "n_components must be at least 1"),
            (self.algorithm in PCA_ALGORITHMS, f"algorithm must be one of {', '.join(PCA_ALGORITHMS)}"),
            (self.relationship_max_samples >= 0, "relationship_max_samples must be at least 0"),
            (self.oversampling >= 0, "oversampling must be at least 0"),
            (self.power_iterations >= 1, "power_iterations must be at least 1"),
            (self.autoencoder_epochs >= 1, "autoencoder_epochs must be at least 1"),
            (self.autoencoder_batch_size >= 1, "autoencoder_batch_size must be at least 1"),
            (self.autoencoder_learning_rate > 0, "autoencoder_learning_rate must be positive"),
        ]
        for ok, message in checks:
            if not ok:
                raise RiataError(f"embed: {message}")


@dataclass(frozen=True)
class SimulationSettings:
    """What to simulate. Defaults give the small demo cohort (seconds); see config/case_study.yaml."""

    kind: str = setting(
        "cohort", "cohort: clinical + genotypes; multiclass: 10 inputs, 4 classes; line: a noisy line with outliers"
    )
    n_samples: int = setting(600, "number of samples (diploid individuals for a cohort)")
    n_snps: int = setting(20_000, "number of SNPs written (common biallelic sites, thinned at random)")
    n_chromosomes: int = setting(2, "independent chromosomes the SNPs are spread over")
    n_demes: int = setting(1, "demes of an island model; more than 1 adds population structure")
    migration_rate: float = setting(1e-4, "per-generation migration rate between demes")
    population_size: int = setting(10_000, "effective size of each deme")
    n_causal_snps: int = setting(50, "SNPs with an effect on the outcome")
    genetic_share: float = setting(0.1, "share of the linear predictor's variance from causal SNPs")
    prevalence: float = setting(0.25, "expected share of cases (CHD = 1)")
    min_maf: float = setting(0.01, "ascertainment: minimum minor allele frequency of a written SNP")
    genotype_missing_rate: float = setting(0.002, "share of missing genotype calls")
    bad_variant_share: float = setting(0.005, "share of SNPs with one call in ten missing (for call-rate QC)")
    seed: int = setting(1, "random seed; the same seed gives the same cohort")

    def validate(self) -> None:
        checks = [
            (self.kind in SIMULATION_KINDS, f"kind must be one of {', '.join(SIMULATION_KINDS)}"),
            (self.n_samples >= 20, "n_samples must be at least 20"),
            (self.n_snps >= self.n_chromosomes, "n_snps must be at least n_chromosomes"),
            (self.n_chromosomes >= 1, "n_chromosomes must be at least 1"),
            (self.n_demes >= 1, "n_demes must be at least 1"),
            (self.n_samples >= self.n_demes, "n_samples must be at least n_demes"),
            (0 <= self.n_causal_snps <= self.n_snps, "n_causal_snps must be between 0 and n_snps"),
            (0 <= self.genetic_share < 1, "genetic_share must be in [0, 1)"),
            (0 < self.prevalence < 1, "prevalence must be in (0, 1)"),
            (0 < self.min_maf < 0.5, "min_maf must be in (0, 0.5)"),
            (0 <= self.genotype_missing_rate < 0.5, "genotype_missing_rate must be in [0, 0.5)"),
            (0 <= self.bad_variant_share <= 1, "bad_variant_share must be in [0, 1]"),
            (self.migration_rate > 0, "migration_rate must be positive"),
            (self.population_size > 0, "population_size must be positive"),
        ]
        for ok, message in checks:
            if not ok:
                raise RiataError(f"simulate: {message}")


@dataclass(frozen=True)
class TrainSettings:
    """How networks are trained and lambda is chosen."""

    hidden_layers: tuple[int, ...] = setting((16,), "units of each hidden layer")
    mode: str = setting(
        "proximal", "proximal: gradient step then proximal step (exact zeros); subgradient: penalty in the loss"
    )
    optimizer: str = setting("sgd", "sgd (with momentum) or adam")
    learning_rate: float = setting(0.02, "learning rate")
    momentum: float = setting(0.9, "SGD momentum")
    batch_size: int = setting(64, "minibatch size")
    max_epochs: int = setting(300, "most epochs per network (per lambda when warm starting)")
    patience: int = setting(
        30, "epochs without a better validation objective (loss + penalty) before a network stops; 0: never"
    )
    penalised_layers: str = setting("first", "first: only the first layer's weights; all: every layer's weights")
    n_lambdas: int = setting(10, "lambda values per penalty")
    lambda_min_ratio: float = setting(0.01, "smallest lambda as a share of lambda_max")
    lambda_max: float | None = setting(None, "largest lambda; default: from the gradient at zero, raised until empty")
    warm_start: bool = setting(True, "train the path from the smallest lambda up, each lambda starting from the last")
    l1_ratio: float = setting(0.5, "elastic net and sparse group lasso mixing: 1 is all L1")
    regression_loss: str = setting("squared", "data loss for a continuous outcome: squared or absolute")
    selection_metric: str = setting("loss", "validation metric that chooses lambda: loss, auroc, accuracy or r2")
    lambda_rule: str = setting(
        "one_se", "best: lambda with the best validation metric; one_se: largest lambda within one standard error of it"
    )
    zero_threshold: float = setting(
        1e-3, "|weight| below which a weight counts as near zero (reported beside exact zeros)"
    )
    snapshot_every: int = setting(10, "keep the first layer every this many epochs, for figures (0: never)")
    stability_refits: int = setting(
        0, "stability selection: refit each seed's chosen network on this many random halves of the training samples"
    )

    def validate(self) -> None:
        checks = [
            (all(h >= 1 for h in self.hidden_layers), "hidden_layers must be positive integers"),
            (self.learning_rate > 0, "learning_rate must be positive"),
            (0 <= self.momentum < 1, "momentum must be in [0, 1)"),
            (self.batch_size >= 1, "batch_size must be at least 1"),
            (self.max_epochs >= 1, "max_epochs must be at least 1"),
            (self.patience >= 0, "patience must be at least 0"),
            (self.n_lambdas >= 1, "n_lambdas must be at least 1"),
            (0 < self.lambda_min_ratio <= 1, "lambda_min_ratio must be in (0, 1]"),
            (self.lambda_max is None or self.lambda_max > 0, "lambda_max must be positive"),
            (0 < self.l1_ratio <= 1, "l1_ratio must be in (0, 1]"),
            (self.mode in MODES, f"mode must be one of {', '.join(MODES)}"),
            (self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}"),
            (self.penalised_layers in PENALISED_LAYERS, "penalised_layers must be first or all"),
            (self.regression_loss in REGRESSION_LOSSES, "regression_loss must be squared or absolute"),
            (self.zero_threshold >= 0, "zero_threshold must be at least 0"),
            (self.snapshot_every >= 0, "snapshot_every must be at least 0"),
            (self.stability_refits >= 0, "stability_refits must be at least 0"),
            (self.selection_metric in METRICS, f"selection_metric must be one of {', '.join(METRICS)}"),
            (self.lambda_rule in LAMBDA_RULES, f"lambda_rule must be one of {', '.join(LAMBDA_RULES)}"),
        ]
        for ok, message in checks:
            if not ok:
                raise RiataError(f"train: {message}")
