"""Every user setting of riata, defined once: name, type, default, allowed values and help.

Each section of the workflow's config is a frozen dataclass whose fields are declared with
:func:`setting`. Everything else derives from these classes: the config schema (:func:`config_schema`,
JSON schema draft 2020-12, used by the workflow and by ``riata check``), the command-line options of
the verbs (:class:`Options`), the options a workflow rule passes to its verb (:meth:`Options.words`)
and the checks every settings object runs when it is made (:meth:`Settings.validate`). A field marked
``workflow=True`` is read by the workflow itself (which files, which models) and is no verb's option.
No heavy imports here: every ``riata`` command loads this module.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from riata.errors import RiataError

SPLITS = ("train", "validation", "test")
# Each feature set's input columns, by source, in the order the network (and its heat map) sees them:
# genetic components, polygenic score, screened SNPs, the true genetic liability of a simulated cohort
# (the oracle, which the workflow adds itself), clinical variables.
FEATURE_SET_SOURCES = {
    "clinical": ("clinical",),
    "genetic": ("genetic",),
    "clinical_genetic": ("genetic", "clinical"),
    "prs": ("prs",),
    "clinical_prs": ("prs", "clinical"),
    "snps": ("snp",),
    "clinical_snps": ("snp", "clinical"),
    "oracle": ("oracle", "clinical"),
}
FEATURE_SETS = tuple(FEATURE_SET_SOURCES)
CONFIGURABLE_FEATURE_SETS = tuple(fs for fs in FEATURE_SETS if fs != "oracle")
# Knockoffs need every input of the feature set in one Gaussian model: not the screened SNPs.
KNOCKOFF_FEATURE_SETS = tuple(fs for fs in CONFIGURABLE_FEATURE_SETS if "snp" not in FEATURE_SET_SOURCES[fs])
PENALTIES = ("none", "l1", "l2", "elastic_net", "group_lasso", "sparse_group_lasso")
OUTCOME_TYPES = ("binary", "multiclass", "continuous", "survival")
REGRESSION_LOSSES = ("squared", "absolute")
GENETIC_PREFIX = "genetic_"  # embedding columns genetic_0 .. genetic_k-1
PCA_ALGORITHMS = ("auto", "relationship", "krylov")
COHORT_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]*$"  # a plain folder name under results/
# Scoring new cohorts (riata predict): how strand-ambiguous SNPs are matched, and the share of a model's variants
# a new cohort may lack before scoring is refused.
AMBIGUOUS_RULES = ("frequency", "labels")
DEFAULT_MAX_MISSING_SHARE = 0.1

REQUIRED = dataclasses.MISSING
SettingsType = TypeVar("SettingsType", bound="Settings")


def setting(
    default: Any = REQUIRED,
    help: str = "",  # noqa: A002 - mirrors argparse
    *,
    choices: tuple[str, ...] | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    below: float | None = None,
    non_empty: bool = False,
    workflow: bool = False,
) -> Any:
    """A settings field: its default (none: the setting is required) and help text, and what it allows.

    ``choices`` are the allowed values; ``minimum`` / ``maximum`` are inclusive bounds, ``above`` /
    ``below`` exclusive ones. For a list setting these apply to every item, and ``non_empty`` asks
    for at least one item, all different. ``workflow`` marks a key the workflow reads itself.
    """
    metadata = {"help": help, "choices": choices, "minimum": minimum, "maximum": maximum, "above": above,
                "below": below, "non_empty": non_empty, "workflow": workflow}  # fmt: skip
    if isinstance(default, list | tuple):
        default = tuple(default)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True)
class FieldType:
    """What a field's annotation says: its Python type, whether it is a list of them, whether None is allowed."""

    python: type
    is_list: bool
    nullable: bool

    @classmethod
    def of(cls, annotation: Any) -> FieldType:
        nullable = isinstance(annotation, types.UnionType) and type(None) in typing.get_args(annotation)
        if nullable:
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        if typing.get_origin(annotation) is tuple:
            return cls(typing.get_args(annotation)[0], True, nullable)
        return cls(annotation, False, nullable)

    def json_type(self) -> str:
        return {bool: "boolean", int: "integer", float: "number", str: "string"}[self.python]


def _bounds_text(spec: dict) -> str | None:
    """'in [0, 1)', 'at least 1', 'positive', ... from a field's bounds; None when it has none."""
    low = ("[", spec["minimum"]) if spec["minimum"] is not None else ("(", spec["above"])
    high = ("]", spec["maximum"]) if spec["maximum"] is not None else (")", spec["below"])
    if low[1] is not None and high[1] is not None:
        return f"in {low[0]}{low[1]:g}, {high[1]:g}{high[0]}"
    if low[1] is not None:
        if low[0] == "[":
            return f"at least {low[1]:g}"
        return "positive" if low[1] == 0 else f"above {low[1]:g}"
    if high[1] is not None:
        return f"at most {high[1]:g}" if high[0] == "]" else f"below {high[1]:g}"
    return None


def _within_bounds(value: float, spec: dict) -> bool:
    return not (
        (spec["minimum"] is not None and value < spec["minimum"])
        or (spec["maximum"] is not None and value > spec["maximum"])
        or (spec["above"] is not None and value <= spec["above"])
        or (spec["below"] is not None and value >= spec["below"])
    )


@dataclass(frozen=True)
class Settings:
    """Base of the settings classes: one config section each (``section``), checked when made."""

    section: ClassVar[str]

    def __post_init__(self) -> None:
        for field, kind in self.fields():  # lists are kept as tuples, whoever made the settings
            if kind.is_list and not isinstance(getattr(self, field.name), tuple):
                object.__setattr__(self, field.name, tuple(getattr(self, field.name)))
        self.validate()

    @classmethod
    @functools.cache
    def fields(cls) -> list[tuple[dataclasses.Field, FieldType]]:
        """Every field of the class with what its annotation says."""
        hints = typing.get_type_hints(cls)
        return [(field, FieldType.of(hints[field.name])) for field in dataclasses.fields(cls)]

    def validate(self) -> None:
        """Raise a RiataError naming the section and the setting for a value it does not allow."""
        for field, kind in self.fields():
            value, spec = getattr(self, field.name), field.metadata
            if value is None and kind.nullable:
                continue
            values = list(value) if kind.is_list else [value]
            if kind.is_list and spec["non_empty"] and (not values or len(set(values)) < len(values)):
                self.refuse(f"{field.name} needs at least one value and no value twice, got {list(values)}")
            for item in values:
                if spec["choices"] is not None and item not in spec["choices"]:
                    self.refuse(f"{field.name} must be one of {', '.join(spec['choices'])}, got {item!r}")
                bounds = _bounds_text(spec)
                if bounds is not None and not _within_bounds(item, spec):
                    every = "every value of " if kind.is_list else ""
                    self.refuse(f"{every}{field.name} must be {bounds}, got {item:g}")
        for ok, message in self.combination_checks():
            if not ok:
                self.refuse(message)

    def combination_checks(self) -> list[tuple[bool, str]]:
        """Checks across settings, as (holds, message) pairs; a section without any has none."""
        return []

    def refuse(self, message: str) -> typing.NoReturn:
        raise RiataError(f"{self.section}: {message}")


@dataclass(frozen=True, kw_only=True)
class SimulationSettings(Settings):
    """Simulate the cohort with `riata simulate` instead of reading clinical.path and genotypes.path."""

    section: ClassVar[str] = "simulate"

    enabled: bool = setting(False, "Simulate the data into results/<cohort>/simulated/.", workflow=True)
    kind: str = setting(
        "cohort", "cohort: clinical + genotypes (Framingham-shaped); multiclass: 10 inputs, 4 classes, 6 of them "
        "noise; line: a noisy line with outliers (continuous outcome).", choices=("cohort", "multiclass", "line"),
    )  # fmt: skip
    n_samples: int = setting(600, "Number of samples (diploid individuals for a cohort).", minimum=20)
    n_snps: int = setting(20_000, "Number of SNPs written (common biallelic sites, thinned at random).", minimum=1)
    n_chromosomes: int = setting(2, "Independent chromosomes the SNPs are spread over.", minimum=1)
    n_demes: int = setting(1, "Demes of an island model; more than 1 adds population structure.", minimum=1)
    migration_rate: float = setting(1e-4, "Per-generation migration rate between demes.", above=0)
    population_size: int = setting(10_000, "Effective size of each deme.", minimum=1)
    n_causal_snps: int = setting(50, "SNPs with an effect on the outcome.", minimum=0)
    genetic_share: float = setting(0.1, "Share of the linear predictor's variance from causal SNPs.", minimum=0,
                                   below=1)  # fmt: skip
    snp_effects: str = setting(
        "normal", "Causal SNPs' effects per SD: normal (a few large, many small) or equal (one size, random signs: a "
        "sparse, strong architecture).", choices=("normal", "equal"),
    )  # fmt: skip
    clinical_effect_scale: float = setting(
        1.0, "Multiplies every clinical variable's effect (1: the Framingham-like effects of riata.simulate, age "
        "0.9 per SD on the logit scale); truth.tsv gives the scaled effects.", minimum=0,
    )  # fmt: skip
    prevalence: float = setting(
        0.25, "Expected share of cases (CHD = 1); survival: expected share with CHD by the end of follow-up without "
        "loss to follow-up.", above=0, below=1,
    )  # fmt: skip
    outcome_type: str = setting(
        "binary", "binary: CHD from a logistic model; survival: TIMECHD (years) and CHD (1 event, 0 censored) from a "
        "Weibull proportional-hazards model with the same linear predictor (effects are log hazard ratios), "
        "censored at the end of follow-up and by random loss to follow-up.", choices=("binary", "survival"),
    )  # fmt: skip
    follow_up: float = setting(24.0, "survival: years of follow-up (administrative censoring).", above=0)
    loss_to_follow_up: float = setting(0.01, "survival: yearly hazard of leaving the study early.", minimum=0)
    min_maf: float = setting(
        0.01, "Minimum minor allele frequency of a written SNP (array-like ascertainment).", above=0, below=0.5
    )
    genotype_missing_rate: float = setting(0.002, "Share of missing genotype calls.", minimum=0, below=0.5)
    bad_variant_share: float = setting(0.005, "Share of SNPs with one call in ten missing (for call-rate QC).",
                                       minimum=0, maximum=1)  # fmt: skip
    seed: int = setting(1, "Random seed of the simulation; the same seed gives the same cohort.", minimum=0)
    external_samples: int = setting(
        0, "cohort: samples of each of two external validation cohorts from the same population (simulated in the "
        "same ancestry as the main cohort, with the same causal SNPs, effects and outcome model), written to "
        "external/ and external_shifted/ beside the main cohort; external_shifted has an older case mix (8 years "
        "older on average, systolic pressure 6 mmHg higher beyond what age brings) and so more cases. Their "
        "genotype files need harmonising (swapped alleles, another variant order, missing variants; "
        "harmonisation.tsv says which). 0: none, and the main cohort is the same as without this setting; more "
        "than 0 changes the main cohort too, as its samples then share the ancestry simulation.", minimum=0,
    )  # fmt: skip
    external_swap_share: float = setting(
        0.33, "Share of the external cohorts' variants written with A1 and A2 swapped (genotype codes flipped to "
        "match, so the genotypes are the same).", minimum=0, maximum=1,
    )  # fmt: skip
    external_missing_share: float = setting(
        0.02, "Share of the main cohort's variants left out of the external cohorts' genotype files.", minimum=0,
        below=1,
    )  # fmt: skip

    def combination_checks(self) -> list[tuple[bool, str]]:
        return [
            (self.n_snps >= self.n_chromosomes, "n_snps must be at least n_chromosomes"),
            (self.n_samples >= self.n_demes, "n_samples must be at least n_demes"),
            (self.n_causal_snps <= self.n_snps, "n_causal_snps must be at most n_snps"),
        ]


@dataclass(frozen=True, kw_only=True)
class ClinicalSpec(Settings):
    """The clinical table and the meaning of its columns."""

    section: ClassVar[str] = "clinical"

    path: str | None = setting(
        None, "Clinical table (.tsv, .txt, .csv or .parquet); ignored when simulate.enabled.", workflow=True
    )
    id_column: str = setting(help="Column with sample ids (the .fam IID).")
    outcome: str = setting(help="Outcome column.")
    outcome_type: str = setting(
        "binary", "binary (two labels), multiclass (softmax over the labels), continuous (regression) or survival "
        "(time to an event with censoring: a Cox proportional-hazards network).",
        choices=OUTCOME_TYPES,
    )  # fmt: skip
    positive_label: str = setting("1", "Binary outcome label of cases (survival: of events).")
    time_column: str | None = setting(
        None, "survival: column with each sample's follow-up time (time to the event, or to censoring); the outcome "
        "column then says whether the event happened (positive_label) or the sample was censored.",
    )  # fmt: skip
    horizon: float | None = setting(
        None, "survival: time (in the time column's unit, e.g. 10 years) at which the AUC and calibration are "
        "assessed and up to which the Brier score is integrated; null: the training samples' median follow-up.",
        above=0,
    )  # fmt: skip
    fid_column: str | None = setting(
        None, "Family id column; when set, samples match the .fam on FID and IID instead of IID alone."
    )
    missing: str = setting(
        "impute", "impute: fill missing covariate values (fitted on training samples); refuse: stop at the first "
        "missing value. Missing: an empty cell, NA, N/A, n/a, NaN, nan, null, NULL, None, <NA>, #N/A and a few "
        "spreadsheet codes (README); '.', '-9' or '?' are values.", choices=("impute", "refuse"),
    )  # fmt: skip
    numeric_imputation: str = setting("median", "Value that fills a missing numeric covariate.",
                                      choices=("median", "mean"))  # fmt: skip
    categorical_imputation: str = setting(
        "most_frequent", "most_frequent: the training samples' commonest level; missing_level: a level of its own "
        "('missing').", choices=("most_frequent", "missing_level"),
    )  # fmt: skip
    numeric: tuple[str, ...] = setting(
        (), "Numeric covariate columns. With numeric and categorical both empty, every other column is a covariate "
        "and its type is inferred (numbers: numeric; anything else: categorical), and riata check prints the "
        "inference.",
    )  # fmt: skip
    categorical: tuple[str, ...] = setting((), "Categorical covariate columns (one-hot encoded, one group each).")

    @property
    def covariates(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def combination_checks(self) -> list[tuple[bool, str]]:
        survival = self.outcome_type == "survival"
        return [
            (not survival or self.time_column is not None, "outcome_type survival needs time_column"),
            (survival or self.time_column is None, f"time_column is for survival outcomes, not {self.outcome_type}"),
            (self.time_column not in (self.outcome, self.id_column), "time_column must differ from outcome and "
             "id_column"),
            *((column not in self.covariates, f"{role} {column!r} cannot also be a covariate (numeric or categorical)")
              for role, column in (("outcome", self.outcome), ("id_column", self.id_column),
                                   ("fid_column", self.fid_column), ("time_column", self.time_column))
              if column is not None),
            *((column not in self.categorical, f"column {column!r} is declared both numeric and categorical")
              for column in self.numeric),
            *((self.covariates.count(column) == 1, f"column {column!r} is listed twice as a covariate")
              for column in self.covariates),
            *((not column.startswith("-"), f"column name {column!r} starts with '-', which a command line reads as "
               "an option; rename the column")
              for column in (self.id_column, self.outcome, self.fid_column, self.time_column, *self.covariates)
              if column is not None),
        ]  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class GenotypeSettings(Settings):
    """The genotypes: a PLINK 1 fileset, or PLINK 2 / VCF / BCF files converted to one."""

    section: ClassVar[str] = "genotypes"

    path: str | None = setting(
        None, "The genotypes: a PLINK 1 prefix (x for x.bed/.bim/.fam), a PLINK 2 prefix (x for x.pgen/.pvar/.psam) "
        "or a .vcf/.vcf.gz/.bcf file; ignored when simulate.enabled.", workflow=True,
    )  # fmt: skip
    format: str = setting(
        "bed", "bed is read directly; pgen, vcf and bcf are converted once to PLINK 1 by plink2 "
        "(results/<cohort>/genotypes/).", choices=("bed", "pgen", "vcf", "bcf"), workflow=True,
    )  # fmt: skip
    block_variants: int = setting(
        4096, "Variants per streamed block (memory per block is samples x block_variants x 4 bytes).", minimum=64
    )


@dataclass(frozen=True, kw_only=True)
class SplitSettings(Settings):
    """Stratified train / validation / test split of the matched samples."""

    section: ClassVar[str] = "split"

    validation_share: float = setting(0.2, "Share of samples for choosing lambda and early stopping.", above=0,
                                      below=1)  # fmt: skip
    test_share: float = setting(0.2, "Share of samples for the reported metrics.", above=0, below=1)
    seed: int = setting(1, "Random seed of the stratified split.", minimum=0)
    min_matched: int = setting(50, "Fewest samples in both the clinical table and the genotypes to go on.", minimum=1)

    def combination_checks(self) -> list[tuple[bool, str]]:
        total = self.validation_share + self.test_share
        return [(total < 1, f"validation_share + test_share is {total:g}; it must be below 1")]


@dataclass(frozen=True, kw_only=True)
class QcThresholds(Settings):
    """Quality control: samples and variants at or above these call rates, MAF and HWE p-value pass."""

    section: ClassVar[str] = "qc"

    min_sample_call_rate: float = setting(
        0.95, "Smallest sample call rate kept; failing samples leave the analysis whatever their split.",
        minimum=0, maximum=1,
    )  # fmt: skip
    min_call_rate: float = setting(0.95, "Smallest variant call rate kept (training samples).", minimum=0,
                                   maximum=1)  # fmt: skip
    min_maf: float = setting(0.01, "Smallest minor allele frequency kept (training samples).", minimum=0,
                             below=0.5)  # fmt: skip
    min_hwe_p: float = setting(
        1e-6, "Smallest Hardy-Weinberg exact-test p-value kept (training samples; 0 keeps all).", minimum=0,
        maximum=1,
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class EmbeddingSettings(Settings):
    """Genetic embedding: principal components (or an autoencoder) of the standardized training genotypes."""

    section: ClassVar[str] = "embedding"

    method: str = setting(
        "pca", "pca: principal components of the standardized training genotypes; autoencoder: a torch autoencoder "
        "trained on minibatches of training samples streamed from the .bed.", choices=("pca", "autoencoder"),
    )  # fmt: skip
    n_components: int = setting(20, "Dimensions of the genetic embedding (genetic_0..k-1).", minimum=1)
    algorithm: str = setting(
        "auto", "pca: relationship accumulates the training samples' relationship matrix in int8 arithmetic in one "
        "pass (fastest for a few thousand samples; memory n^2 x 4 bytes per thread); krylov runs randomized block "
        "Krylov (power_iterations + 2 passes; memory independent of the number of samples); auto picks relationship "
        "up to relationship_max_samples training samples. Both end with one exact pass (see src/riata/embedding.py).",
        choices=PCA_ALGORITHMS,
    )  # fmt: skip
    relationship_max_samples: int = setting(
        6000, "pca, algorithm auto: the most training samples for the relationship algorithm.", minimum=0
    )
    oversampling: int = setting(10, "pca: dimensions of the subspace beyond n_components.", minimum=0)
    shrinkage_folds: int = setting(
        5, "pca, relationship: folds of the training samples that measure how much a new sample's score shrinks "
        "towards zero (many more variants than samples); held-out scores are rescaled by it to the training "
        "scale (0: not corrected; krylov does not correct).", minimum=0,
    )  # fmt: skip
    power_iterations: int = setting(
        7, "pca, krylov: block Krylov iterations; each is one pass over the training genotypes (see "
        "benchmarks/embedding.py for accuracy and time).", minimum=1,
    )  # fmt: skip
    seed: int = setting(1, "Seed of the random sketch or of the autoencoder's initialisation.", minimum=0)
    scheduler: str | None = setting(
        None, "pca: null for dask threads; local for a dask.distributed LocalCluster of the rule's threads; slurm to "
        "submit that many dask workers as SLURM jobs (dask-jobqueue); or a running scheduler's address "
        "(tcp://host:8786).",
    )  # fmt: skip
    autoencoder_epochs: int = setting(20, "autoencoder: passes over the training samples.", minimum=1)
    autoencoder_batch_size: int = setting(
        64, "autoencoder: training samples per minibatch (memory: batch x variants x 4 bytes).", minimum=1
    )
    autoencoder_learning_rate: float = setting(1e-3, "autoencoder: Adam learning rate.", above=0)


@dataclass(frozen=True, kw_only=True)
class GwasSettings(Settings):
    """Genome-wide association on the training samples (for the prs and snps feature sets): linear regression
    for a continuous outcome, a logistic score test for a binary one, adjusted for covariates."""

    section: ClassVar[str] = "gwas"

    principal_components: int = setting(
        10, "Top principal components of the embedding (genetic_0..) adjusting every test for ancestry.", minimum=0
    )
    covariates: tuple[str, ...] = setting((), "Clinical variables adjusting every test (e.g. [AGE, SEX]).")
    folds: int = setting(
        5, "Folds of the training samples for cross-fitting: each training sample's polygenic score comes from the "
        "GWAS of the other folds, so the network sees training scores as honest as new samples' (0: none).",
        minimum=0,
    )  # fmt: skip
    seed: int = setting(1, "Seed of the cross-fitting folds.", minimum=0)

    def combination_checks(self) -> list[tuple[bool, str]]:
        return [(self.folds != 1, "folds must be 0 (none) or at least 2")]


@dataclass(frozen=True, kw_only=True)
class PrsSettings(Settings):
    """The polygenic score (the prs feature sets), from the training GWAS: clumping and thresholding, or a lasso
    on the most associated SNPs; the candidate (cut-off or penalty) chosen on the validation samples."""

    section: ClassVar[str] = "prs"

    method: str = setting(
        "best", "ct: clumping and thresholding; lasso: an L1-penalised regression on the lasso_snps most associated "
        "SNPs; best: both families, the validation samples choose.", choices=("best", "ct", "lasso"),
    )  # fmt: skip
    p_values: tuple[float, ...] = setting(
        (5e-8, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.05, 0.1), "ct: the p-value cut-offs tried.", above=0, maximum=1,
        non_empty=True,
    )  # fmt: skip
    clump_r2: float = setting(0.1, "LD clumping: r-squared above which a SNP joins its index SNP's clump.", above=0,
                              maximum=1)  # fmt: skip
    clump_kb: int = setting(250, "LD clumping: kilobases either side of an index SNP.", minimum=1)
    lasso_snps: int = setting(1000, "lasso: the SNPs most associated in the training GWAS it chooses among.",
                              minimum=1)  # fmt: skip
    lasso_penalties: int = setting(12, "lasso: penalties tried, from one SNP kept to many.", minimum=1)


@dataclass(frozen=True, kw_only=True)
class ScreenSettings(Settings):
    """The SNP-level networks (the snps feature sets): the SNPs most associated in the training GWAS as inputs,
    the screen checked over every SNP and widened while a chosen network would use a SNP left out."""

    section: ClassVar[str] = "screen"

    size: int = setting(2000, "SNPs in the first screen, and the most added in a widening round.", minimum=1)
    rounds: int = setting(2, "Most widening rounds (each a new fit) when SNPs outside the screen would enter.",
                          minimum=0)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ValidationSettings(Settings):
    """External validation: every bundled model applied to other cohorts, each a clinical table (with the
    outcome) and, for models with genetic inputs, genotypes."""

    section: ClassVar[str] = "validation"

    names: tuple[str, ...] = setting((), "Names of the validation cohorts (results/<cohort>/validation/<name>/).",
                                     workflow=True)  # fmt: skip
    clinical: tuple[str, ...] = setting((), "Clinical table of each validation cohort, in the order of names: the "
                                        "training table's columns, outcome included.", workflow=True)  # fmt: skip
    genotypes: tuple[str, ...] = setting((), "PLINK 1 prefix of each validation cohort's genotypes, in the order of "
                                         "names (empty: clinical models only).", workflow=True)  # fmt: skip
    max_missing_share: float = setting(0.1, "Largest share of a model's variants that may be missing from a cohort's "
                                       "genotypes (filled with the training mean); above it scoring is refused.",
                                       minimum=0, maximum=1)  # fmt: skip
    ambiguous: str = setting("frequency", "Strand-ambiguous SNPs (A/T, C/G): oriented by allele frequency and dropped "
                             "near 0.5 (frequency), or taken as their labels say (labels).",
                             choices=("frequency", "labels"))  # fmt: skip

    def combination_checks(self) -> list[tuple[bool, str]]:
        import re

        return [
            (len(self.clinical) == len(self.names), "clinical needs one table per name"),
            (len(self.genotypes) in (0, len(self.names)), "genotypes needs one prefix per name, or none"),
            (len(set(self.names)) == len(self.names), "names must differ"),
            (all(re.match(COHORT_PATTERN, name) for name in self.names), "names must be plain folder names"),
        ]


@dataclass(frozen=True, kw_only=True)
class TrainSettings(Settings):
    """Penalised feed-forward networks: what to compare, how they are trained and how lambda is chosen."""

    section: ClassVar[str] = "training"

    feature_sets: tuple[str, ...] = setting(
        ("clinical", "genetic", "clinical_genetic"),
        "Input sets to compare: clinical variables, genetic (principal components of the genotypes), prs (a "
        "polygenic score from the training GWAS), snps (the SNPs most associated in the training GWAS, one group "
        "each), and each with the clinical variables (clinical_genetic, clinical_prs, clinical_snps).",
        choices=CONFIGURABLE_FEATURE_SETS, non_empty=True, workflow=True,
    )  # fmt: skip
    penalties: tuple[str, ...] = setting(
        ("none", "l1", "l2", "elastic_net", "group_lasso"),
        "Penalties to compare (on the first layer, or every layer with penalised_layers all).", choices=PENALTIES,
        non_empty=True, workflow=True,
    )  # fmt: skip
    seeds: tuple[int, ...] = setting(
        (1, 2, 3), "Network initialisation seeds; the heat maps show group lasso for the first two.", non_empty=True
    )
    hidden_layers: tuple[int, ...] = setting((16,), "Units of each hidden layer.", minimum=1)
    mode: str = setting(
        "proximal", "proximal: gradient step, then the penalty's proximal step (exact zeros); subgradient: penalty "
        "added to the loss (weights only approach zero).", choices=("proximal", "subgradient"),
    )  # fmt: skip
    optimizer: str = setting("sgd", "SGD with momentum, or Adam (with a matching diagonal proximal step).",
                             choices=("sgd", "adam"))  # fmt: skip
    learning_rate: float = setting(0.02, "Learning rate.", above=0)
    momentum: float = setting(0.9, "SGD momentum.", minimum=0, below=1)
    batch_size: int = setting(64, "Minibatch size.", minimum=1)
    max_epochs: int = setting(300, "Most epochs per network (per lambda when warm starting).", minimum=1)
    patience: int = setting(
        30, "Epochs without a better validation objective (loss + penalty) before a network stops; 0 disables early "
        "stopping (the last epoch is kept).", minimum=0,
    )  # fmt: skip
    penalised_layers: str = setting(
        "first", "first: only the first layer's weights; all: every layer's weights (biases never).",
        choices=("first", "all"),
    )  # fmt: skip
    unpenalised: tuple[str, ...] = setting(
        (), "Input variables whose first-layer weights carry no penalty (penalty factor 0; shell patterns such as "
        "'genetic_*' allowed), e.g. known confounders or the principal components: always kept, and lambda_max is "
        "computed with them fitted.",
    )  # fmt: skip
    n_lambdas: int = setting(40, "Lambda values per penalty.", minimum=1)
    lambda_min_ratio: float = setting(0.01, "Smallest lambda as a share of lambda_max.", above=0, maximum=1)
    lambda_max: float | None = setting(
        None, "Largest lambda; null computes it from the gradient at zero and extends the path until the first "
        "layer is empty.", above=0,
    )  # fmt: skip
    warm_start: bool = setting(
        False, "Train the path from the smallest lambda up, each lambda starting from the previous solution; false "
        "trains all lambdas at once, each starting from the seed's unpenalised network (much faster).",
    )  # fmt: skip
    adaptive: bool = setting(
        True, "Adaptive (reweighted) penalty: each input group's penalty factor is 1 / the root mean square of its "
        "first-layer weights in the seed's unpenalised network (mean 1), so strong inputs are shrunk less and weak "
        "ones dropped sooner (the adaptive lasso of Zou 2006, for groups Wang and Leng 2008).",
    )  # fmt: skip
    relax: bool = setting(
        True, "Relaxed path (Meinshausen 2007): each lambda's network is trained again with the inputs it dropped "
        "held at zero and the ones it kept penalised at relax_penalty_share x lambda, so lambda is chosen on the kept "
        "set rather than on shrunken weights (proximal mode; not L2, which keeps every input). About twice the "
        "training time; on the simulated cohorts of docs/selection.md it raised precision at a small cost in recall.",
    )  # fmt: skip
    relax_penalty_share: float = setting(
        0.5, "With relax: the kept inputs' penalty in the relaxed fit, as a share of their lambda (Meinshausen's "
        "phi; 0: unpenalised, sparser choices that drop more real effects; docs/selection.md).",
        minimum=0, maximum=1,
    )  # fmt: skip
    l1_ratio: float = setting(0.5, "Elastic net and sparse group lasso mixing; 1 is all L1.", above=0, maximum=1)
    regression_loss: str = setting("squared", "Data loss for a continuous outcome.", choices=REGRESSION_LOSSES)
    selection_metric: str = setting(
        "loss", "Validation metric that chooses lambda (auroc and accuracy: classification; r2: continuous "
        "outcomes; concordance: survival; loss: the task's own, for survival the Cox partial likelihood).",
        choices=("loss", "auroc", "accuracy", "r2", "concordance"),
    )  # fmt: skip
    lambda_rule: str = setting(
        "best", "best: lambda with the best validation metric; one_se: the largest lambda within one standard "
        "error of it (glmnet's lambda.1se), sparser but it drops real effects (docs/selection.md).",
        choices=("one_se", "best"),
    )  # fmt: skip
    snapshot_every: int = setting(
        10, "Keep the first layer every this many epochs for the weights-over-epochs figure (0 never).", minimum=0
    )
    zero_threshold: float = setting(
        1e-3, "|weight| below which a weight counts as near zero, reported beside exact zeros (subgradient mode "
        "never gives exact zeros).", minimum=0,
    )  # fmt: skip
    stability_refits: int = setting(
        0, "Stability selection (Meinshausen and Buhlmann): refit each seed's chosen network, at its lambda, on this "
        "many random halves of the training samples and report how often each variable is kept; 0 refits none.",
        minimum=0,
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class TruthSettings(Settings):
    """What is known to matter, to check the selections against (truth_check.tsv, and snp_truth.tsv for models
    with genetic inputs)."""

    section: ClassVar[str] = "truth"

    path: str | None = setting(
        None, "Table (.tsv, .txt or .csv) with a column 'variable' naming the clinical variables known to matter "
        "(and, in rows whose optional column 'kind' is snp, SNP ids); an optional column 'role' says causal (the "
        "default) or noise. Clinical variables it does not list count as noise. null: a simulated cohort's own "
        "truth.tsv, or no check.", workflow=True,
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class KnockoffSettings(Settings):
    """False-discovery control (model-X knockoffs): which variables are kept at a target false discovery rate,
    beside the lambda rule's selection."""

    section: ClassVar[str] = "knockoffs"

    feature_sets: tuple[str, ...] = setting(
        ("clinical",), "Feature sets whose input variables get knockoff selection (empty: none). Each seed draws its "
        "own Gaussian knockoffs and trains one penalised network on the inputs and their knockoffs.",
        choices=KNOCKOFF_FEATURE_SETS, workflow=True,
    )  # fmt: skip
    fdr: tuple[float, ...] = setting(
        (0.1, 0.2), "Target false discovery rates q of the knockoff+ filter (selecting anything at q needs at least "
        "1/q input variables).", above=0, below=1, non_empty=True,
    )  # fmt: skip
    penalty: str = setting(
        "group_lasso", "Penalty of the network on inputs and knockoffs, whose first-layer weights give the statistics.",
        choices=tuple(p for p in PENALTIES if p not in ("none", "l2")),
    )  # fmt: skip
    lambda_rule: str = setting(
        "best", "How that network's lambda is chosen on validation (as training.lambda_rule).",
        choices=("one_se", "best"),
    )  # fmt: skip
    method: str = setting(
        "mvr", "knockpy's S-matrix: mvr (minimum variance-based reconstructability), sdp or equicorrelated.",
        choices=("mvr", "sdp", "equicorrelated"),
    )  # fmt: skip


SECTIONS: tuple[type[Settings], ...] = (
    SimulationSettings, ClinicalSpec, GenotypeSettings, SplitSettings, QcThresholds, EmbeddingSettings, GwasSettings,
    PrsSettings, ScreenSettings, TrainSettings, ValidationSettings, TruthSettings, KnockoffSettings,
)  # fmt: skip


def _field_schema(field: dataclasses.Field, kind: FieldType) -> dict:
    spec = field.metadata
    value: dict[str, Any] = {"type": kind.json_type()}
    if spec["choices"] is not None:
        value = {"enum": list(spec["choices"])}
    for key, name in [("minimum", "minimum"), ("maximum", "maximum"), ("above", "exclusiveMinimum"),
                      ("below", "exclusiveMaximum")]:  # fmt: skip
        if spec[key] is not None:
            value[name] = spec[key]
    if kind.is_list:
        value = {"type": "array", "items": value}
        if spec["non_empty"]:
            value.update(minItems=1, uniqueItems=True)
    if kind.nullable:
        value["type"] = [value["type"], "null"]
    schema = {**value, "description": spec["help"]}
    if field.default is not REQUIRED:
        schema["default"] = list(field.default) if kind.is_list else field.default
    return schema


def section_schema(settings_class: type[Settings]) -> dict:
    """The JSON schema of one config section."""
    properties = {field.name: _field_schema(field, kind) for field, kind in settings_class.fields()}
    required = [field.name for field, _ in settings_class.fields() if field.default is REQUIRED]
    schema = {"type": "object", "description": settings_class.__doc__.strip(), "additionalProperties": False}
    return {**schema, **({"required": required} if required else {"default": {}}), "properties": properties}


def config_schema() -> dict:
    """The JSON schema (draft 2020-12) of a workflow config: ``cohort`` and one object per section."""
    sections = {settings_class.section: section_schema(settings_class) for settings_class in SECTIONS}
    cohort = {
        "type": "string",
        "pattern": COHORT_PATTERN,
        "description": "Name of the analysis; results go to results/<cohort>/ and logs to logs/<cohort>/.",
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "description": "Configuration of a riata analysis. Science settings only; threads, memory and runtime live "
        "in profiles/.",
        "type": "object",
        "additionalProperties": False,
        "required": ["cohort", *(name for name, schema in sections.items() if "required" in schema)],
        "properties": {"cohort": cohort, **sections},
    }


def from_config(settings_class: type[SettingsType], section: dict) -> SettingsType:
    """Settings from a config section: its keys that are fields of ``settings_class``."""
    return settings_class(**{field.name: section[field.name] for field, _ in settings_class.fields()
                             if field.name in section})  # fmt: skip


@dataclass(frozen=True)
class Options:
    """The command-line options of one settings class that a verb takes: every field the workflow does not
    read itself, or only ``only``. Each is ``--field-name``, typed by the field; the same declaration gives
    a workflow rule the options to pass (:meth:`words`)."""

    settings: type[Settings]
    only: tuple[str, ...] | None = None

    def fields(self) -> list[tuple[dataclasses.Field, FieldType]]:
        return [(field, kind) for field, kind in self.settings.fields()
                if not field.metadata["workflow"] and (self.only is None or field.name in self.only)]  # fmt: skip

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group(
            f"{self.settings.section} settings (config section '{self.settings.section}')"
        )
        for field, kind in self.fields():
            option, spec = "--" + field.name.replace("_", "-"), field.metadata
            required = field.default is REQUIRED
            shown = "required" if required else f"default: {list(field.default) if kind.is_list else field.default}"
            choices = f"; one of {', '.join(spec['choices'])}" if spec["choices"] else ""
            help_text = f"{spec['help']} ({shown}{choices})".replace("%", "%%")
            default = None if required else field.default
            if kind.python is bool:
                group.add_argument(option, action=argparse.BooleanOptionalAction, default=default, help=help_text)
            else:
                group.add_argument(option, type=kind.python, nargs="*" if kind.is_list else None, default=default,
                                   required=required, help=help_text)  # fmt: skip

    def read(self, arguments: argparse.Namespace) -> Settings:
        """The settings given on the command line (fields without an option keep their defaults)."""
        return self.settings(**{field.name: getattr(arguments, field.name) for field, _ in self.fields()})

    def words(self, section: dict) -> list[str]:
        """``--name value`` words for these options from a validated config section, in sorted order (so
        reordering a config file leaves a rule's parameters, and Snakemake's rerun decision, unchanged):
        lists give several values, booleans ``--name`` or ``--no-name``, None is left out."""
        words = []
        for field, _ in sorted(self.fields(), key=lambda pair: pair[0].name):
            value, option = section[field.name], field.name.replace("_", "-")
            if value is None:
                continue
            if isinstance(value, bool):
                words.append(f"--{option}" if value else f"--no-{option}")
                continue
            words.append(f"--{option}")
            words.extend(str(v) for v in (value if isinstance(value, list | tuple) else [value]))
        return words
