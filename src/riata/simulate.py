"""Simulated data with known truth: Framingham-shaped cohorts, and two small tabular demos.

Genotypes come from the coalescent with recombination (msprime), so allele frequencies and linkage
disequilibrium are realistic; several demes (an island model) add population structure. Clinical
variables follow the distributions, correlations and missingness of the Framingham teaching data.
The outcome CHD is drawn from a logistic model whose linear predictor has a clinical part (AGE has
the largest effect) and a polygenic part from causal SNPs, with the genetic share of its variance and
the prevalence set by the caller. A survival outcome uses the same linear predictor as log hazard
ratios of a Weibull proportional-hazards model: the time to CHD is censored at the end of follow-up
and by an exponential loss to follow-up, giving TIMECHD (years) and the event indicator CHD.
``truth.tsv`` records every variable's role and effect, and ``liability.tsv`` each sample's genetic
part of the linear predictor (what an oracle would know).

External validation cohorts (``external_samples``) come from the same ancestry simulation, causal SNPs
and outcome model (standardised with the main cohort's means and SDs, with its baseline risk), one with
the main cohort's case mix and one older (:data:`EXTERNAL_COHORTS`). Their genotype files test
harmonisation: some variants have A1 and A2 swapped, the variant order is shuffled across chromosomes
(plink2 reads such a .bim only through ``--make-pgen --sort-vars``) and some variants are left out, as
each folder's ``harmonisation.tsv`` records.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import msprime
import numpy as np
import pandas as pd
import tskit
from scipy.optimize import brentq
from scipy.special import expit

from riata.errors import RiataError
from riata.io.plink import write_plink
from riata.io.tables import atomic_outputs
from riata.progress import progress
from riata.settings import SimulationSettings

log = logging.getLogger("riata")

MUTATION_RATE = 1e-8  # per base pair per generation
RECOMBINATION_RATE = 1e-8  # per base pair per generation (1 cM per Mb)
OUTCOME = "CHD"
TIME = "TIMECHD"  # survival outcomes: years to CHD or to censoring
WEIBULL_SHAPE = 1.5  # hazard rising with time since baseline, as CHD incidence rises with age
ID_COLUMN = "sample_id"
NUMERIC_VARIABLES = [
    "SEX", "AGE", "SYSBP", "DIABP", "TOTCHOL", "BMI", "CURSMOKE", "CIGPDAY", "BPMEDS", "HEARTRTE",
    "GLUCOSE", "lucky_number",
]  # fmt: skip
CATEGORICAL_VARIABLES = ["DIABETES", "EDUC", "favorite_color", "favorite_animal"]

# Log-odds of CHD per standard deviation of each clinical variable (for a 0/1 variable, of its
# indicator; SEX is coded 1 = male, 2 = female as in Framingham, so its effect is negative).
# Variables with effect 0 are noise: some are correlated with causal ones (DIABP with SYSBP), some
# are pure noise (favorite_color, favorite_animal, lucky_number).
CLINICAL_EFFECTS = {
    "AGE": 0.90,
    "SYSBP": 0.45,
    "SEX": -0.40,
    "TOTCHOL": 0.30,
    "CURSMOKE": 0.25,
    "CIGPDAY": 0.15,
    "DIABETES": 0.25,
    "GLUCOSE": 0.15,
    "BMI": 0.15,
    "BPMEDS": 0.10,
    "DIABP": 0.0,
    "HEARTRTE": 0.0,
    "EDUC": 0.0,
    "lucky_number": 0.0,
    "favorite_color": 0.0,
    "favorite_animal": 0.0,
}

# Share of missing values per variable, close to the Framingham teaching data's first exam.
MISSING_SHARES = {
    "TOTCHOL": 0.012, "BMI": 0.005, "CIGPDAY": 0.007, "BPMEDS": 0.013, "HEARTRTE": 0.001,
    "GLUCOSE": 0.09, "EDUC": 0.025, "favorite_color": 0.01, "favorite_animal": 0.01,
}  # fmt: skip


@dataclass(frozen=True)
class ExternalCohort:
    """An external cohort: its folder, its sample id prefix and how its case mix differs from the main cohort's."""

    folder: str
    id_prefix: str
    age_shift: float = 0.0  # years added to every age (and to its range)
    sysbp_shift: float = 0.0  # mmHg added to systolic pressure beyond what age brings (diastolic pressure follows)


EXTERNAL_COHORTS = (
    ExternalCohort("external", "ext"),
    ExternalCohort("external_shifted", "shift", age_shift=8.0, sysbp_shift=6.0),
)
COHORT_FILES = ("clinical.tsv", "liability.tsv", "genotypes.bed", "genotypes.bim", "genotypes.fam")


@dataclass(frozen=True)
class SimulatedChromosome:
    """One chromosome's tree sequence restricted to the SNPs kept, and those SNPs' .bim rows."""

    tree_sequence: tskit.TreeSequence
    variants: pd.DataFrame


def _mutated_segment(settings: SimulationSettings, length: float, rng: np.random.Generator) -> tskit.TreeSequence:
    demography, samples = _demography(settings)
    ancestry = msprime.sim_ancestry(
        samples=samples,
        demography=demography,
        sequence_length=length,
        recombination_rate=RECOMBINATION_RATE,
        random_seed=int(rng.integers(1, 2**31 - 1)),
    )
    return msprime.sim_mutations(ancestry, rate=MUTATION_RATE, random_seed=int(rng.integers(1, 2**31 - 1)))


def common_site_density(settings: SimulationSettings, rng: np.random.Generator, pilot_length: float = 1e6) -> float:
    """Common biallelic sites per base pair, measured on a short pilot segment with the cohort's demography.

    Structure changes diversity a lot (an island model of d demes has about d times the sites of one
    deme), so the chromosome lengths are set from this measurement rather than from a formula.
    """
    pilot = _mutated_segment(settings, pilot_length, rng)
    return max(len(_common_single_mutation_sites(pilot, settings)), 1) / pilot_length


def _demography(settings: SimulationSettings) -> tuple[msprime.Demography, list[msprime.SampleSet]]:
    """An island model of ``n_demes`` demes; the main cohort's samples, then each external cohort's, split
    over the demes as evenly as possible (so individual i of the tree sequence is the main cohort's i-th)."""
    sizes = [settings.population_size] * settings.n_demes
    demography = msprime.Demography.island_model(sizes, migration_rate=settings.migration_rate)
    n_external = len(EXTERNAL_COHORTS) if settings.external_samples else 0
    sample_sets = []
    for n_cohort in [settings.n_samples] + [settings.external_samples] * n_external:
        per_deme = np.full(settings.n_demes, n_cohort // settings.n_demes)
        per_deme[: n_cohort % settings.n_demes] += 1
        sample_sets += [msprime.SampleSet(int(n), population=population.name)
                        for population, n in zip(demography.populations, per_deme, strict=True) if n]  # fmt: skip
    return demography, sample_sets


def _common_single_mutation_sites(tree_sequence: tskit.TreeSequence, settings: SimulationSettings) -> np.ndarray:
    """Ids of sites with exactly one mutation (so biallelic) and minor allele frequency >= min_maf in the
    main cohort (the first 2 x n_samples sample nodes; external cohorts' samples follow them)."""
    main = tree_sequence.samples()[: 2 * settings.n_samples]
    keep = []
    for tree in tree_sequence.trees(tracked_samples=main):
        for site in tree.sites():
            if len(site.mutations) != 1:
                continue
            frequency = tree.num_tracked_samples(site.mutations[0].node) / len(main)
            if min(frequency, 1 - frequency) >= settings.min_maf:
                keep.append(site.id)
    return np.asarray(keep, dtype=np.int64)


def simulate_chromosome(
    settings: SimulationSettings, chromosome: int, n_snps: int, density: float, rng: np.random.Generator
) -> SimulatedChromosome:
    """Simulate one chromosome with enough common biallelic SNPs and keep ``n_snps`` of them at random.

    ``density`` (common sites per base, :func:`common_site_density`) sets the length, with a 15% margin.
    """
    sequence_length = float(np.ceil(1.15 * n_snps / density)) + 1000
    for _attempt in range(6):
        mutated = _mutated_segment(settings, sequence_length, rng)
        common = _common_single_mutation_sites(mutated, settings)
        if len(common) >= n_snps:
            break
        sequence_length = float(np.ceil(1.5 * sequence_length))  # msprime's discrete genome needs whole bases
    else:
        raise RiataError(f"simulate: could not reach {n_snps} common SNPs on chromosome {chromosome}")
    kept = np.sort(rng.choice(common, size=n_snps, replace=False))
    dropped = np.setdiff1d(np.arange(mutated.num_sites), kept)
    tree_sequence = mutated.delete_sites(dropped)
    positions = tree_sequence.tables.sites.position.astype(np.int64) + 1  # PLINK positions start at 1
    derived = [site.mutations[0].derived_state for site in tree_sequence.sites()]
    ancestral = [site.ancestral_state for site in tree_sequence.sites()]
    variants = pd.DataFrame(
        {
            "chrom": str(chromosome),
            "snp": [f"{chromosome}:{position}" for position in positions],
            "cm": positions * RECOMBINATION_RATE * 100,
            "pos": positions,
            "a1": derived,  # counted allele
            "a2": ancestral,
        }
    )
    return SimulatedChromosome(tree_sequence, variants)


def diploid_dosages(variant: tskit.Variant) -> np.ndarray:
    """Derived-allele count per individual (haplotypes 2i and 2i+1 belong to individual i)."""
    return variant.genotypes.reshape(-1, 2).sum(axis=1).astype(np.float32)


def _truncated_normal(rng: np.random.Generator, mean: float, sd: float, low: float, high: float, size: int):
    return np.clip(rng.normal(mean, sd, size), low, high)


def simulate_clinical(
    n_samples: int, rng: np.random.Generator, age_shift: float = 0.0, sysbp_shift: float = 0.0
) -> pd.DataFrame:
    """Clinical covariates with Framingham-like marginals and correlations, before missingness.

    ``age_shift`` (years) moves the age distribution and its range, and with it what depends on age;
    ``sysbp_shift`` (mmHg) adds to systolic pressure beyond that (a shifted case mix).
    """
    n = n_samples
    male = rng.random(n) < 0.44
    age = np.round(_truncated_normal(rng, 50 + age_shift, 8.6, 32 + age_shift, 70 + age_shift, n))
    z_age = (age - 50) / 8.6
    z_sys = 0.40 * z_age + 0.20 * male + np.sqrt(1 - 0.40**2) * rng.normal(size=n) + sysbp_shift / 22
    sysbp = np.round(np.clip(132 + 22 * z_sys, 84, 295), 1)
    diabp = np.round(np.clip(83 + 12 * (0.78 * z_sys + 0.63 * rng.normal(size=n)), 48, 143), 1)
    bmi = np.round(np.clip(25.8 + 4.1 * (0.33 * z_sys + 0.94 * rng.normal(size=n)), 15.5, 57), 2)
    z_bmi = (bmi - 25.8) / 4.1
    totchol = np.round(np.clip(237 + 44 * (0.26 * z_age - 0.10 * male + 0.96 * rng.normal(size=n)), 107, 600))
    smoker = rng.random(n) < expit(-0.25 + 0.6 * male - 0.35 * z_age)
    cigarettes = rng.choice([1, 3, 5, 9, 10, 15, 20, 20, 20, 20, 25, 30, 40, 43, 60], size=n)
    cigpday = np.where(smoker, cigarettes, 0).astype(float)
    diabetes = rng.random(n) < expit(-3.9 + 0.45 * z_bmi + 0.40 * z_age)
    glucose = np.where(
        diabetes,
        _truncated_normal(rng, 170, 80, 60, 394, n),
        _truncated_normal(rng, 80, 12, 40, 160, n),
    ).round()
    bpmeds = (rng.random(n) < expit(-4.6 + 1.2 * z_sys)).astype(float)
    heartrte = np.round(_truncated_normal(rng, 76 + 2 * (~male), 12, 44, 143, n))
    educ = rng.choice([1, 2, 3, 4], p=[0.41, 0.29, 0.17, 0.13], size=n)
    return pd.DataFrame(
        {
            "SEX": np.where(male, 1, 2),
            "AGE": age,
            "SYSBP": sysbp,
            "DIABP": diabp,
            "TOTCHOL": totchol,
            "BMI": bmi,
            "CURSMOKE": smoker.astype(int),
            "CIGPDAY": cigpday,
            "DIABETES": diabetes.astype(int),
            "BPMEDS": bpmeds,
            "HEARTRTE": heartrte,
            "GLUCOSE": glucose,
            "EDUC": educ,
            "favorite_color": rng.choice(["red", "green", "blue", "yellow", "purple"], size=n),
            "favorite_animal": rng.choice(["cat", "dog", "horse", "rabbit", "parrot"], size=n),
            "lucky_number": rng.integers(1, 101, size=n),
        }
    )


@dataclass(frozen=True)
class OutcomeModel:
    """The main cohort's outcome model, applied unchanged to its external cohorts.

    Variables are standardised with the main cohort's means and SDs (so a shifted case mix moves the
    linear predictor), and ``baseline`` (logistic intercept, or log Weibull scale for survival) is the
    one that gives the main cohort its prevalence.
    """

    clinical_scales: dict[str, tuple[float, float]]  # causal clinical variable -> its (mean, SD)
    snp_means: np.ndarray  # (causal SNPs,) dosage means
    snp_sds: np.ndarray  # (causal SNPs,) dosage SDs
    snp_draws: np.ndarray  # (causal SNPs,) effects per SD before scaling
    snp_scale: float  # gives the genetic part its share of the variance (0: no genetic part)
    baseline: float = 0.0
    clinical_effect_scale: float = 1.0  # multiplies every clinical effect of CLINICAL_EFFECTS

    @property
    def snp_effects(self) -> np.ndarray:
        """Log-odds (survival: log hazard ratio) per SD of each causal SNP, shape (causal SNPs,)."""
        return self.snp_draws * self.snp_scale

    def clinical_part(self, clinical: pd.DataFrame) -> np.ndarray:
        """Sum of effect x standardised clinical variable, shape (samples,)."""
        return self.clinical_effect_scale * _clinical_predictor(clinical, self.clinical_scales)

    def genetic_part(self, causal_dosages: np.ndarray) -> np.ndarray:
        """Polygenic part from ``causal_dosages`` (samples x causal SNPs, no missing), shape (samples,)."""
        if self.snp_scale == 0:
            return np.zeros(len(causal_dosages))
        return (causal_dosages - self.snp_means) / self.snp_sds @ self.snp_draws * self.snp_scale


def _clinical_scales(clinical: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Each causal clinical variable's (mean, SD) in ``clinical``; SD 1 for a constant one (in a small cohort
    nobody may take BPMEDS), which then adds nothing."""
    columns = {v: clinical[v].to_numpy(dtype=float) for v, effect in CLINICAL_EFFECTS.items() if effect != 0.0}
    return {variable: (values.mean(), values.std() or 1.0) for variable, values in columns.items()}


def _clinical_predictor(clinical: pd.DataFrame, scales: dict[str, tuple[float, float]] | None = None) -> np.ndarray:
    """Clinical part of the linear predictor, shape (samples,): sum of effect x variable standardised with
    ``scales`` (variable -> (mean, SD); by default the table's own)."""
    predictor = np.zeros(len(clinical))
    for variable, (mean, sd) in (_clinical_scales(clinical) if scales is None else scales).items():
        predictor += CLINICAL_EFFECTS[variable] * (clinical[variable].to_numpy(dtype=float) - mean) / sd
    return predictor


def fit_outcome_model(
    clinical: pd.DataFrame, causal_dosages: np.ndarray, settings: SimulationSettings, rng: np.random.Generator
) -> OutcomeModel:
    """The outcome model of the main cohort (``causal_dosages``: samples x causal SNPs, no missing).

    Effects per SD of the causal SNPs are normal (``snp_effects`` normal) or one size with random signs
    (equal), then scaled so that the genetic part's variance is ``genetic_share`` of the clinical +
    genetic variance; the baseline gives the expected ``prevalence``.
    """
    scales = _clinical_scales(clinical)
    clinical_part = settings.clinical_effect_scale * _clinical_predictor(clinical, scales)
    means, sds, n_causal = causal_dosages.mean(axis=0), causal_dosages.std(axis=0), causal_dosages.shape[1]
    draws, scale = np.zeros(n_causal), 0.0
    if n_causal and settings.genetic_share:
        if settings.snp_effects == "normal":
            draws = rng.normal(size=n_causal)
        else:
            draws = rng.choice([-1.0, 1.0], size=n_causal)
        score = (causal_dosages - means) / sds @ draws
        target_variance = settings.genetic_share / (1 - settings.genetic_share) * clinical_part.var()
        scale = float(np.sqrt(target_variance / score.var()))
    model = OutcomeModel(scales, means, sds, draws, scale, clinical_effect_scale=settings.clinical_effect_scale)
    predictor = clinical_part + model.genetic_part(causal_dosages)
    if settings.outcome_type == "survival":
        return replace(model, baseline=weibull_log_scale(predictor, settings))
    return replace(model, baseline=intercept_for_prevalence(predictor, settings.prevalence))


def intercept_for_prevalence(predictor: np.ndarray, prevalence: float) -> float:
    """Intercept b such that the mean of sigmoid(b + predictor) equals ``prevalence``."""
    return brentq(lambda b: expit(b + predictor).mean() - prevalence, -50, 50)


def weibull_log_scale(predictor: np.ndarray, settings: SimulationSettings) -> float:
    """Log Weibull scale such that the expected share with CHD by the end of follow-up is ``settings.prevalence``."""
    relative = np.exp(predictor)
    return brentq(lambda s: np.mean(1 - np.exp(-np.exp(s) * settings.follow_up**WEIBULL_SHAPE * relative))
                  - settings.prevalence, -60, 60)  # fmt: skip


def survival_outcome(predictor: np.ndarray, settings: SimulationSettings, rng: np.random.Generator,
                     log_scale: float | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Follow-up time (years) and event (1 CHD, 0 censored) of each sample, each of shape (samples,).

    The hazard of CHD is scale x shape x t^(shape - 1) x exp(predictor) (Weibull, :data:`WEIBULL_SHAPE`),
    its log scale ``log_scale`` or, when None, :func:`weibull_log_scale`'s for ``settings.prevalence``;
    follow-up ends at ``settings.follow_up`` years or earlier by loss to follow-up (exponential).
    """
    relative = np.exp(predictor)
    if log_scale is None:
        log_scale = weibull_log_scale(predictor, settings)
    to_chd = (rng.exponential(size=len(predictor)) / (np.exp(log_scale) * relative)) ** (1 / WEIBULL_SHAPE)
    lost = rng.exponential(1 / settings.loss_to_follow_up, len(predictor)) if settings.loss_to_follow_up else np.inf
    censored_at = np.minimum(lost, settings.follow_up)
    return np.minimum(to_chd, censored_at), (to_chd <= censored_at).astype(int)


def _inject_missing(clinical: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    clinical = clinical.astype({variable: object for variable in CATEGORICAL_VARIABLES}).copy()
    for variable, share in MISSING_SHARES.items():
        missing = rng.random(len(clinical)) < share
        clinical[variable] = clinical[variable].where(~missing)
    return clinical


def simulate_multiclass(n_samples: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ten inputs, four classes, as in the classic L1 demo; only x0..x3 drive the class.

    Inputs are uniform on [-1, 1]; a random 4-12-4 tanh network of x0..x3 plus Gumbel noise picks the
    class (c0..c3), so x4..x9 are pure noise that an unpenalised network can overfit.
    Returns the table (id, class, x0..x9) and the truth (variable, kind, role, effect_per_sd).
    """
    x = rng.uniform(-1, 1, size=(n_samples, 10))
    hidden_weights, output_weights = rng.normal(0, 1.5, size=(4, 12)), rng.normal(0, 1.5, size=(12, 4))
    scores = np.tanh(x[:, :4] @ hidden_weights) @ output_weights + rng.gumbel(0, 1.0, size=(n_samples, 4))
    table = pd.DataFrame(x.round(4), columns=[f"x{j}" for j in range(10)])
    table.insert(0, "class", [f"c{k}" for k in scores.argmax(axis=1)])
    table.insert(0, ID_COLUMN, [f"item{i + 1:04d}" for i in range(n_samples)])
    truth = pd.DataFrame(
        {
            "variable": table.columns[2:],
            "kind": "tabular",
            "role": ["causal"] * 4 + ["noise"] * 6,
            "effect_per_sd": np.nan,
        }
    )
    return table, truth


def simulate_line(n_samples: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A noisy line y = 2x + 1 + N(0, 0.3) with one point in ten an outlier (+-3 to 6 off the line)."""
    x = rng.uniform(-2, 2, size=n_samples)
    y = 2 * x + 1 + rng.normal(0, 0.3, size=n_samples)
    outliers = rng.random(n_samples) < 0.1
    y[outliers] += rng.choice([-1, 1], size=outliers.sum()) * rng.uniform(3, 6, size=outliers.sum())
    table = pd.DataFrame({ID_COLUMN: [f"point{i + 1:04d}" for i in range(n_samples)], "y": y.round(4), "x": x.round(4)})
    truth = pd.DataFrame({"variable": ["x"], "kind": "tabular", "role": ["causal"], "effect_per_sd": [2 * x.std()]})
    return table, truth


def simulate(settings: SimulationSettings, out_dir: str | Path) -> None:
    """Write the simulated data of ``settings.kind`` into ``out_dir``: clinical.tsv and truth.tsv, and
    for a cohort genotypes.bed/.bim/.fam and more (:func:`simulate_cohort`)."""
    if settings.kind == "cohort":
        simulate_cohort(settings, out_dir)
        return
    rng = np.random.default_rng(settings.seed)
    make = simulate_multiclass if settings.kind == "multiclass" else simulate_line
    table, truth = make(settings.n_samples, rng)
    with atomic_outputs([Path(out_dir) / "clinical.tsv", Path(out_dir) / "truth.tsv"]) as (table_tmp, truth_tmp):
        table.to_csv(table_tmp, sep="\t", index=False)
        truth.to_csv(truth_tmp, sep="\t", index=False, float_format="%.6g")
    log.info("simulated the %s demo: %d rows", settings.kind, settings.n_samples)


def simulate_cohort(settings: SimulationSettings, out_dir: str | Path) -> None:
    """Write clinical.tsv, genotypes.bed/.bim/.fam, truth.tsv and liability.tsv into ``out_dir``, and with
    ``external_samples`` each external cohort's :data:`COHORT_FILES` and harmonisation.tsv into its folder there."""
    out_dir = Path(out_dir)
    rng = np.random.default_rng(settings.seed)
    chromosomes = _simulate_chromosomes(settings, rng)
    variants = pd.concat([c.variants for c in chromosomes], ignore_index=True)
    sample_ids = [f"S{i + 1:05d}" for i in range(settings.n_samples)]
    causal = np.sort(rng.choice(len(variants), size=settings.n_causal_snps, replace=False))
    clinical = simulate_clinical(settings.n_samples, rng)
    bad_variants = rng.random(len(variants)) < settings.bad_variant_share
    missing_rates = np.where(bad_variants, 0.10, settings.genotype_missing_rate)
    externals = EXTERNAL_COHORTS if settings.external_samples else ()
    paths = [out_dir / name for name in (*COHORT_FILES, "truth.tsv")]
    paths += [out_dir / cohort.folder / name for cohort in externals for name in (*COHORT_FILES, "harmonisation.tsv")]
    with atomic_outputs(paths) as temporaries:
        causal_dosages = np.empty((settings.n_samples, len(causal)), dtype=np.float32)
        external_dosages = np.empty((len(variants), len(externals) * settings.external_samples), dtype=np.int8)
        rows = _main_cohort_dosages(chromosomes, causal, causal_dosages, external_dosages)
        _write_genotypes(temporaries[2:5], _plink_samples(sample_ids, clinical), variants, rows, missing_rates, rng)
        model = fit_outcome_model(clinical, causal_dosages, settings, rng)
        parts = model.clinical_part(clinical), model.genetic_part(causal_dosages)
        outcome = _write_tables(temporaries[:2], sample_ids, clinical, parts, model.baseline, settings, rng)
        truth = cohort_truth(variants["snp"].to_numpy()[causal], model.snp_effects, settings.clinical_effect_scale)
        truth.to_csv(temporaries[5], sep="\t", index=False, float_format="%.6g")
        # The latent scale's noise: logistic for a binary outcome, extreme-value (log of an exponential) for survival.
        noise = np.pi**2 / 6 if settings.outcome_type == "survival" else np.pi**2 / 3
        liability_share = parts[1].var() / ((parts[0] + parts[1]).var() + noise)
        log.info("simulated %d samples x %d SNPs on %d chromosome(s), %d deme(s); %s; the causal SNPs carry %.1f%% of "
                 "the latent liability", settings.n_samples, len(variants), settings.n_chromosomes, settings.n_demes,
                 _outcome_summary(outcome, settings), 100 * liability_share)  # fmt: skip
        for index, cohort in enumerate(externals):
            columns = slice(index * settings.external_samples, (index + 1) * settings.external_samples)
            files = temporaries[6 + 6 * index : 12 + 6 * index]
            _write_external_cohort(files, cohort, external_dosages[:, columns], variants, causal, missing_rates, model,
                                   settings, rng)  # fmt: skip


def _outcome_summary(outcome: np.ndarray, settings: SimulationSettings) -> str:
    """'150 cases (25.0%)' ('events' for survival) from the outcome, shape (samples,)."""
    kind = "events" if settings.outcome_type == "survival" else "cases"
    return f"{outcome.sum()} {kind} ({100 * outcome.mean():.1f}%)"


def _plink_samples(sample_ids: list[str], clinical: pd.DataFrame) -> pd.DataFrame:
    """The .fam's samples: family and individual id both the sample id, sex from the clinical table."""
    return pd.DataFrame({"fid": sample_ids, "iid": sample_ids, "sex": clinical["SEX"].to_numpy()})


def _simulate_chromosomes(settings: SimulationSettings, rng: np.random.Generator) -> list[SimulatedChromosome]:
    """The cohort's chromosomes, with the SNPs shared out as evenly as possible."""
    per_chromosome = np.full(settings.n_chromosomes, settings.n_snps // settings.n_chromosomes)
    per_chromosome[: settings.n_snps % settings.n_chromosomes] += 1
    density = common_site_density(settings, rng)
    described = progress(enumerate(per_chromosome), total=settings.n_chromosomes, description="simulating chromosomes")
    return [simulate_chromosome(settings, index + 1, int(n), density, rng) for index, n in described]


def _main_cohort_dosages(
    chromosomes: list[SimulatedChromosome], causal: np.ndarray, causal_dosages: np.ndarray, external_dosages: np.ndarray
) -> Iterator[np.ndarray]:
    """Each variant's main-cohort dosages, shape (samples,), in .bim order. On the way fills ``causal_dosages``
    (samples x causal SNPs) and ``external_dosages`` (variants x external samples: the individuals after the
    main cohort's), both without missing calls."""
    n_samples = len(causal_dosages)
    causal_slot = {int(index): slot for slot, index in enumerate(causal)}
    all_variants = (v for c in chromosomes for v in c.tree_sequence.variants())
    for index, variant in enumerate(all_variants):
        dosages = diploid_dosages(variant)
        if index in causal_slot:
            causal_dosages[:, causal_slot[index]] = dosages[:n_samples]
        external_dosages[index] = dosages[n_samples:]
        yield dosages[:n_samples]


def _write_genotypes(paths, samples, variants, dosages, missing_rates, rng) -> None:
    """Write the .bed/.bim/.fam (``paths``) from ``dosages``, one float32 array (samples,) per row of
    ``variants`` counting its a1 allele; each call is missing with its variant's ``missing_rates``."""
    with write_plink(*paths, samples, variants) as writer:
        for index, row in progress(enumerate(dosages), total=len(variants), description="writing SNPs"):
            row[rng.random(len(samples)) < missing_rates[index]] = np.nan
            writer.write(row)


def _write_tables(paths, sample_ids, clinical, parts, baseline, settings, rng) -> np.ndarray:
    """Draw the outcome from the linear predictor's ``parts`` (clinical, genetic; each (samples,)) and
    ``baseline``, and write clinical.tsv (with missing values) and liability.tsv (``paths``).
    Returns the outcome, shape (samples,)."""
    predictor = parts[0] + parts[1]
    if settings.outcome_type == "survival":
        time, outcome = survival_outcome(predictor, settings, rng, log_scale=baseline)
    else:
        outcome = (rng.random(len(predictor)) < expit(baseline + predictor)).astype(int)
    table = _inject_missing(clinical, rng)
    if settings.outcome_type == "survival":
        table.insert(0, TIME, time.round(3))
    table.insert(0, OUTCOME, outcome)
    table.insert(0, ID_COLUMN, sample_ids)
    table.to_csv(paths[0], sep="\t", index=False)
    liability = pd.DataFrame({ID_COLUMN: sample_ids, "genetic_liability": parts[1]})
    liability.to_csv(paths[1], sep="\t", index=False, float_format="%.6g")
    return outcome


def _write_external_cohort(paths, cohort, dosages, variants, causal, missing_rates, model, settings, rng) -> None:
    """Write one external cohort (``paths``: :data:`COHORT_FILES`, harmonisation.tsv) from ``dosages`` (variants x
    its samples, int8, in the main cohort's variant order and alleles): clinical values from its case mix, the
    outcome from the main cohort's ``model``, and genotype files to harmonise (:func:`_harmonisation`)."""
    sample_ids = [f"{cohort.id_prefix}{i + 1:05d}" for i in range(dosages.shape[1])]
    clinical = simulate_clinical(len(sample_ids), rng, cohort.age_shift, cohort.sysbp_shift)
    harmonisation, order = _harmonisation(variants, settings, rng)
    swapped = harmonisation["swapped"].to_numpy()[order]
    written = variants.iloc[order].reset_index(drop=True)
    written.loc[swapped, ["a1", "a2"]] = written.loc[swapped, ["a2", "a1"]].to_numpy()
    oriented = (dosages[index].astype(np.float32) for index in order)
    rows = (2 - row if flip else row for row, flip in zip(oriented, swapped, strict=True))
    _write_genotypes(paths[2:5], _plink_samples(sample_ids, clinical), written, rows, missing_rates[order], rng)
    parts = model.clinical_part(clinical), model.genetic_part(dosages[causal].T.astype(np.float32))
    outcome = _write_tables(paths[:2], sample_ids, clinical, parts, model.baseline, settings, rng)
    harmonisation.to_csv(paths[5], sep="\t", index=False)
    log.info("simulated the external cohort %s: %d samples, %d of %d SNPs written (%d with swapped alleles); %s",
             cohort.folder, len(sample_ids), len(order), len(variants), swapped.sum(),
             _outcome_summary(outcome, settings))  # fmt: skip


def _harmonisation(
    variants: pd.DataFrame, settings: SimulationSettings, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Which variants an external cohort leaves out (``external_missing_share`` of them, at least one kept)
    and which of the rest it writes with swapped alleles (``external_swap_share``), in a shuffled order.

    Returns harmonisation.tsv's table (snp, swapped, missing; a row per main-cohort variant, in its order)
    and the main-cohort indices of the written variants in file order, shape (written variants,).
    """
    n_variants = len(variants)
    missing = np.zeros(n_variants, dtype=bool)
    n_missing = min(round(settings.external_missing_share * n_variants), n_variants - 1)
    missing[rng.choice(n_variants, size=n_missing, replace=False)] = True
    present = np.flatnonzero(~missing)
    swapped = np.zeros(n_variants, dtype=bool)
    swapped[rng.choice(present, size=round(settings.external_swap_share * len(present)), replace=False)] = True
    table = pd.DataFrame({"snp": variants["snp"].to_numpy(), "swapped": swapped, "missing": missing})
    return table, rng.permutation(present)


def cohort_truth(causal_snps: np.ndarray, snp_effects: np.ndarray, clinical_effect_scale: float = 1.0) -> pd.DataFrame:
    """truth.tsv of a cohort: every clinical variable and each causal SNP, with its role and effect per SD."""
    effects = [clinical_effect_scale * effect for effect in CLINICAL_EFFECTS.values()]
    clinical = pd.DataFrame(
        {
            "variable": list(CLINICAL_EFFECTS),
            "kind": "clinical",
            "role": ["causal" if effect != 0 else "noise" for effect in effects],
            "effect_per_sd": effects,
        }
    )
    snps = pd.DataFrame({"variable": causal_snps, "kind": "snp", "role": "causal", "effect_per_sd": snp_effects})
    return pd.concat([clinical, snps], ignore_index=True)
