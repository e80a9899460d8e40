# Configuration, validated once against the schema of riata.settings (which also fills in defaults),
# and the helpers that rules use to name their files and options. No logic about the science lives here: every rule
# calls a `riata` verb whose code is in src/riata and tested without Snakemake.
import os
import shlex
import sys

from snakemake.exceptions import WorkflowError
from snakemake.settings.types import DeploymentMethod

from riata.commands import (
    bundle,
    calibration,
    compare,
    config_options,
    figures,
    gwas,
    heatmaps,
    snps,
)
from riata.config import read_yaml, uses_genotypes, validate_config
from riata.errors import RiataError
from riata.io.results import FEATURE_FILES, QC_FILES, SEED_FILES
from riata.settings import FEATURE_SET_SOURCES

# Validated once, with riata's own check (the schema derives from riata.settings): it names the key at
# fault and the nearest valid key for a misspelt one, and fills in every default.
# Snakemake's own YAML reading keeps the last of a key given twice: each config file is read again, refusing that.
try:
    for config_file in workflow.configfiles:
        read_yaml(config_file)
    config.update(validate_config(config))
except RiataError as error:
    raise WorkflowError(f"ERROR: {error}") from None

# Jobs call the riata of the environment Snakemake runs in, activated or not (a SLURM job does not inherit an
# activated shell); with --use-conda each job keeps its own environment's. The prefix keeps bash's strict mode.
if DeploymentMethod.CONDA not in workflow.deployment_settings.deployment_method:
    shell.prefix(
        f'set -euo pipefail; export PATH={shlex.quote(os.path.dirname(sys.executable))}:"$PATH"; '
    )

# conda users (--use-conda): envs/riata.yaml installs riata from this checkout through this variable.
os.environ.setdefault("RIATA_SOURCE", str(Path(workflow.basedir)))

COHORT = config["cohort"]
RESULTS = f"results/{COHORT}"
LOGS = f"logs/{COHORT}"
BENCHMARKS = f"{RESULTS}/benchmarks"
SIMULATED = config["simulate"]["enabled"]
SIMULATION_KIND = config["simulate"]["kind"]
TRAINING = config["training"]
FEATURE_SETS = TRAINING["feature_sets"]
PENALTIES = TRAINING["penalties"]
SEEDS = TRAINING["seeds"]
KNOCKOFF_FEATURE_SETS = config["knockoffs"]["feature_sets"]
USES_GENOTYPES = uses_genotypes(config)
# Inputs built from the training GWAS: the polygenic score, and the screened SNPs.
PRS_FEATURE_SETS = [fs for fs in FEATURE_SETS if "prs" in FEATURE_SET_SOURCES[fs]]
SNP_FEATURE_SETS = [fs for fs in FEATURE_SETS if "snp" in FEATURE_SET_SOURCES[fs]]
USES_GWAS = bool(PRS_FEATURE_SETS or SNP_FEATURE_SETS)
GWAS_FOLDS = config["gwas"]["folds"] if PRS_FEATURE_SETS else 0
# A simulated cohort's oracle: the unpenalised network on clinical inputs + the true genetic liability.
ORACLE = SIMULATED and SIMULATION_KIND == "cohort"
TRAINED = [(fs, p) for fs in FEATURE_SETS for p in PENALTIES] + (
    [("oracle", "none")] if ORACLE else []
)
HEATMAP_FEATURE_SET = (
    "clinical_genetic" if "clinical_genetic" in FEATURE_SETS else FEATURE_SETS[-1]
)

GENOTYPE_FORMAT = config["genotypes"]["format"]
# What selections are checked against: the config's truth file, else a simulated cohort's own truth.
TRUTH_SOURCE = config["truth"]["path"] or (
    f"{RESULTS}/simulated/truth.tsv" if SIMULATED else None
)


wildcard_constraints:
    feature_set="|".join(FEATURE_SETS + (["oracle"] if ORACLE else [])),
    penalty="|".join(PENALTIES),


def verb_options(verb):
    """Options for `riata <verb>`, from the config: every setting the verb takes."""
    return config_options(verb, config)


def train_options(wildcards):
    """The training settings, and the screen's for the snps feature sets."""
    screened = "snp" in FEATURE_SET_SOURCES[wildcards.feature_set]
    return config_options(
        "train", config, ("training", "screen") if screened else ("training",)
    )


def clinical_table():
    return (
        f"{RESULTS}/simulated/clinical.tsv" if SIMULATED else config["clinical"]["path"]
    )


def genotype_prefix():
    """The PLINK 1 fileset the workflow reads: simulated, given, or converted from pgen/vcf/bcf."""
    if SIMULATED:
        return f"{RESULTS}/simulated/genotypes"
    if GENOTYPE_FORMAT == "bed":
        return config["genotypes"]["path"]
    return f"{RESULTS}/genotypes/converted"


def conversion_inputs():
    """The files `riata convert` reads for the configured format."""
    path = config["genotypes"]["path"]
    if GENOTYPE_FORMAT == "pgen":
        return multiext(path, ".pgen", ".pvar", ".psam")
    return [path]


def simulated_outputs():
    """Files `riata simulate` writes: a cohort has genotypes (and, with simulate.external_samples, two external
    cohorts in external/ and external_shifted/), the tabular demos only a table."""
    outputs = {
        "clinical": f"{RESULTS}/simulated/clinical.tsv",
        "truth": f"{RESULTS}/simulated/truth.tsv",
    }
    if SIMULATION_KIND == "cohort":
        outputs["genotypes"] = multiext(
            f"{RESULTS}/simulated/genotypes", ".bed", ".bim", ".fam"
        )
        outputs["liability"] = f"{RESULTS}/simulated/liability.tsv"
    if SIMULATION_KIND == "cohort" and config["simulate"]["external_samples"] > 0:
        outputs["external"] = expand(
            f"{RESULTS}/simulated/{{folder}}/{{name}}",
            folder=["external", "external_shifted"],
            name=[
                "clinical.tsv",
                "liability.tsv",
                "harmonisation.tsv",
                "genotypes.bed",
                "genotypes.bim",
                "genotypes.fam",
            ],
        )
    return outputs


def genotype_files():
    """The PLINK 1 fileset's files; none for an analysis of the clinical table alone (whose genotype rules
    are then never run)."""
    if not USES_GENOTYPES:
        return []
    return multiext(genotype_prefix(), ".bed", ".bim", ".fam")


def genotype_option(wildcards, input):
    """``--genotypes PREFIX`` from the rule's ``fam`` input, or nothing when there is none."""
    fams = [input.fam] if isinstance(input.fam, str) else list(input.fam)
    return f"--genotypes {shlex.quote(os.path.splitext(fams[0])[0])}" if fams else ""


def fid_option():
    return "--use-fid" if config["clinical"]["fid_column"] else ""


def analysis_split():
    """The split after sample QC when genotypes are used, else the split itself."""
    return f"{RESULTS}/qc/split.tsv" if USES_GENOTYPES else f"{RESULTS}/split.tsv"


def feature_inputs():
    inputs = {"clinical": clinical_table(), "split": analysis_split()}
    if USES_GENOTYPES:
        inputs["components"] = f"{RESULTS}/embedding/components.tsv"
    if ORACLE:
        inputs["liability"] = f"{RESULTS}/simulated/liability.tsv"
    return inputs


def file_options(*names):
    """A params function giving ``--name FILE`` for each of the rule's named inputs ``names`` it has."""

    def options(wildcards, input):
        words = []
        for name in names:
            value = input[name] if name in input.keys() else []
            paths = [value] if isinstance(value, str) else list(value)
            if paths:
                words.append(f"--{name.replace('_', '-')} {shlex.quote(paths[0])}")
        return " ".join(words)

    return options


def gwas_outputs():
    outputs = {"associations": f"{RESULTS}/gwas/associations.parquet"}
    if GWAS_FOLDS:
        outputs["folds"] = f"{RESULTS}/gwas/folds.tsv"
        outputs["fold_associations"] = f"{RESULTS}/gwas/fold_associations.parquet"
    return outputs


def optional_output_options(wildcards, output):
    """``--out-<name> FILE`` for each optional named output a rule has."""
    names = [
        n
        for n in ("selected", "truth", "kaplan_meier", "decision_curve")
        if n in output.keys() and output[n]
    ]
    return " ".join(
        f"--out-{name.replace('_', '-')} {shlex.quote(output[name])}" for name in names
    )


def fold_output_options(wildcards, output):
    if "folds" not in output.keys():
        return ""
    return f"--out-folds {shlex.quote(output.folds)} --out-fold-associations {shlex.quote(output.fold_associations)}"


def score_inputs():
    outputs = gwas_outputs()
    return {
        "genotypes": genotype_files(),
        "qc": [f"{RESULTS}/qc/variants.tsv"],
        "features": features_files(FEATURE_FILES),
        "gwas": outputs["associations"],
        **(
            {key: outputs[key] for key in ("folds", "fold_associations")}
            if GWAS_FOLDS
            else {}
        ),
    }


def train_inputs(wildcards):
    """The features, and the polygenic score or the training GWAS and genotypes the feature set needs."""
    inputs = {"features": features_files(FEATURE_FILES)}
    sources = FEATURE_SET_SOURCES[wildcards.feature_set]
    if "prs" in sources:
        inputs["prs"] = f"{RESULTS}/prs/scores.tsv"
    if "snp" in sources:
        inputs["gwas"] = f"{RESULTS}/gwas/associations.parquet"
        inputs["genotypes"] = genotype_files()
        inputs["qc"] = [f"{RESULTS}/qc/variants.tsv"]
    return inputs


def bundle_inputs(wildcards):
    """The seeds' model folders of a feature set and penalty, the preprocessing, and what its genetic inputs
    are made from (QC'd variants, loadings, the polygenic score's weights)."""
    folders = [model_dir(wildcards.feature_set, wildcards.penalty, s) for s in SEEDS]
    inputs = {
        "models": files_in(folders, bundle.MODEL_FILES),
        "features": features_files(("parameters",)),
    }
    sources = FEATURE_SET_SOURCES[wildcards.feature_set]
    if {"genetic", "prs", "snp"} & set(sources):
        inputs["qc"] = [f"{RESULTS}/qc/variants.tsv"]
    if "genetic" in sources:
        inputs["loadings"] = f"{RESULTS}/embedding/loadings.parquet"
        inputs["eigenvalues"] = f"{RESULTS}/embedding/eigenvalues.tsv"
    if "prs" in sources:
        inputs["prs_weights"] = f"{RESULTS}/prs/weights.tsv"
        inputs["prs_candidates"] = f"{RESULTS}/prs/candidates.tsv"
    return inputs


def model_folders_of_input(wildcards, input):
    """The distinct model folders of a rule's ``models`` input, quoted for the shell."""
    folders = dict.fromkeys(os.path.dirname(path) for path in input.models)
    return " ".join(shlex.quote(folder) for folder in folders)


def qc_option(wildcards, input):
    return (
        f"--qc {shlex.quote(os.path.dirname(input.qc[0]))}"
        if "qc" in input.keys()
        else ""
    )


# External validation cohorts: name -> clinical table and genotype prefix, from the config section validation
# and, for a simulated cohort with simulate.external_samples, its two simulated external cohorts.
VALIDATION_COHORTS = {
    name: {
        "clinical": clinical,
        "genotypes": (
            config["validation"]["genotypes"]
            or [None] * len(config["validation"]["names"])
        )[k],
    }
    for k, (name, clinical) in enumerate(
        zip(config["validation"]["names"], config["validation"]["clinical"])
    )
}
if SIMULATED and SIMULATION_KIND == "cohort" and config["simulate"]["external_samples"]:
    VALIDATION_COHORTS |= {
        name: {
            "clinical": f"{RESULTS}/simulated/{name}/clinical.tsv",
            "genotypes": f"{RESULTS}/simulated/{name}/genotypes",
        }
        for name in ("external", "external_shifted")
    }


def validation_inputs(wildcards):
    """A validation cohort's files, the training run's comparison, and the bundles it can score: all of them
    with genotypes, the clinical feature sets' without."""
    cohort = VALIDATION_COHORTS[wildcards.validation_cohort]
    with_genotypes = bool(cohort["genotypes"])
    feature_sets = [
        fs
        for fs in FEATURE_SETS
        if with_genotypes or set(FEATURE_SET_SOURCES[fs]) == {"clinical"}
    ]
    inputs = {
        "bundles": [
            f"{RESULTS}/bundles/{fs}/{p}" for fs in feature_sets for p in PENALTIES
        ],
        "comparison": f"{RESULTS}/comparison.tsv",
        "clinical": cohort["clinical"],
    }
    if with_genotypes:
        inputs["genotypes"] = multiext(cohort["genotypes"], ".bed", ".bim", ".fam")
    return inputs


def validation_genotype_option(wildcards, input):
    if "genotypes" not in input.keys():
        return ""
    return f"--genotypes {shlex.quote(os.path.splitext(input.genotypes[0])[0])} {fid_option()}"


def screen_genotype_options(wildcards, input):
    """--genotypes and --qc of a snps feature set's training job."""
    if "qc" not in input.keys():
        return ""
    prefix = os.path.splitext(input.genotypes[0])[0]
    return f"--genotypes {shlex.quote(prefix)} --qc {shlex.quote(os.path.dirname(input.qc[0]))} {fid_option()}"


# Folder and prefix parameters derived from a rule's own files (as `snakemake --lint` asks), so they
# stay right wherever the files are staged.
def genotype_prefix_of_input(wildcards, input):
    return os.path.splitext(input.genotypes[0])[0]


def folder_of_input_features(wildcards, input):
    return os.path.dirname(input.features[0])


def folder_of_input_qc(wildcards, input):
    return os.path.dirname(input.qc[0])


def folder_of_input(wildcards, input):
    return os.path.dirname(input[0])


def folder_of_output(wildcards, output):
    return os.path.dirname(output[0])


def models_folder_of_output(wildcards, output):
    """results/<cohort>/models/<feature set>/<penalty>, the parent of the seed<N> folders."""
    return os.path.dirname(os.path.dirname(output[0]))


def model_dir(feature_set, penalty, seed):
    return f"{RESULTS}/models/{feature_set}/{penalty}/seed{seed}"


def files_in(folders, names):
    """Every file ``names`` of every folder: what a verb given the folders reads."""
    return [f"{folder}/{name}" for folder in folders for name in names]


def features_files(which):
    """Files of the features folder, by their keys in riata.io.results.FEATURE_FILES."""
    return [f"{RESULTS}/features/{FEATURE_FILES[key]}" for key in which]


GENETIC_FEATURE_SETS = [
    fs for fs in FEATURE_SETS if fs in ("genetic", "clinical_genetic")
]
WEIGHTS_PENALTY = "group_lasso" if "group_lasso" in PENALTIES else PENALTIES[-1]
ALL_MODELS = [model_dir(fs, p, s) for fs, p in TRAINED for s in SEEDS]
SURVIVAL = config["clinical"]["outcome_type"] == "survival"
CALIBRATION = config["clinical"]["outcome_type"] in ("binary", "survival")
# Figures: each penalty's first seed of the heat map feature set; the heat maps add group lasso's
# second seed, and the weights over epochs are group lasso's (or the last penalty's) first seed.
FIGURE_MODELS = [model_dir(HEATMAP_FEATURE_SET, p, SEEDS[0]) for p in PENALTIES]
HEATMAP_MODELS = FIGURE_MODELS + (
    [model_dir(HEATMAP_FEATURE_SET, "group_lasso", SEEDS[1])]
    if "group_lasso" in PENALTIES and len(SEEDS) > 1
    else []
)
WEIGHTS_MODEL = model_dir(HEATMAP_FEATURE_SET, WEIGHTS_PENALTY, SEEDS[0])
# SNP importance: every seed of every penalty of the models on components or on screened SNPs.
SNP_MODELS = [
    model_dir(fs, p, s)
    for fs in GENETIC_FEATURE_SETS + SNP_FEATURE_SETS
    for p in PENALTIES
    for s in SEEDS
]

# Calibration (binary and survival outcomes): every model's table; the first seed of the clinical baseline and
# of each penalty of the heat map feature set come first, as they are the ones drawn.
CALIBRATION_DRAWN = (
    list(dict.fromkeys([model_dir("clinical", "none", SEEDS[0])] + FIGURE_MODELS))
    if ("clinical", "none") in TRAINED
    else FIGURE_MODELS
)
CALIBRATION_MODELS = list(dict.fromkeys(CALIBRATION_DRAWN + ALL_MODELS))
# Each outcome type's second calibration figure.
CALIBRATION_FIGURE = "kaplan_meier" if SURVIVAL else "decision_curve"


def snp_rule_inputs():
    """The models, the loadings (models on components), the training GWAS (models on screened SNPs), and with
    a truth the checked truth, with the training genotypes for the LD of kept and causal SNPs.
    """
    inputs = {"models": files_in(SNP_MODELS, snps.MODEL_FILES), "truth": truth_file()}
    if GENETIC_FEATURE_SETS:
        inputs["loadings"] = f"{RESULTS}/embedding/loadings.parquet"
    if SNP_FEATURE_SETS:
        inputs["gwas"] = f"{RESULTS}/gwas/associations.parquet"
        if TRUTH_SOURCE:
            inputs["genotypes"] = genotype_files()
            inputs["split"] = f"{RESULTS}/qc/split.tsv"
    return inputs


def model_dirs_of(wildcards, input):
    """The model folders of a rule's ``models`` input files, in order, shell-quoted."""
    folders = dict.fromkeys(os.path.dirname(path) for path in input.models)
    return " ".join(shlex.quote(folder) for folder in folders)


def weights_dir_of(wildcards, input):
    return os.path.dirname(input.weights[0])


def truth_file():
    """The checked truth (`riata truth`) that selections are compared with; none without a truth."""
    return [f"{RESULTS}/truth.tsv"] if TRUTH_SOURCE else []


def knockoff_files():
    """The knockoff selections (`riata knockoffs`) of the feature sets that have them."""
    return [f"{RESULTS}/knockoffs/{fs}.tsv" for fs in KNOCKOFF_FEATURE_SETS]


def knockoffs_option(wildcards, input):
    return " ".join(f"--knockoffs {shlex.quote(path)}" for path in input.knockoffs)


def truth_option(wildcards, input):
    return f"--truth {shlex.quote(input.truth[0])}" if input.truth else ""


def truth_inputs():
    """The truth as given, the clinical table whose columns it names, and the genotypes for its SNP ids."""
    inputs = {"truth": TRUTH_SOURCE, "clinical": clinical_table()}
    if USES_GENOTYPES:
        inputs["genotypes"] = [f"{genotype_prefix()}.bim"]
    return inputs


def snp_genotype_option(wildcards, input):
    """--genotypes PREFIX when the rule reads genotypes."""
    if "genotypes" not in input.keys():
        return ""
    return f"--genotypes {shlex.quote(os.path.splitext(input.genotypes[0])[0])}"


def final_outputs():
    outputs = [
        f"{RESULTS}/comparison.tsv",
        f"{RESULTS}/comparison.md",
        f"{RESULTS}/stability.tsv",
        f"{RESULTS}/figures/heatmaps.png",
        f"{RESULTS}/figures/heatmaps.svg",
        f"{RESULTS}/figures/paths.png",
        f"{RESULTS}/figures/training.png",
        f"{RESULTS}/figures/weights_over_epochs.png",
        f"{RESULTS}/figures/stability.png",
    ]
    if TRUTH_SOURCE:
        outputs.append(f"{RESULTS}/truth_check.tsv")
    outputs += [f"{RESULTS}/bundles/{fs}/{p}" for fs in FEATURE_SETS for p in PENALTIES]
    outputs += [
        f"{RESULTS}/validation/{name}/performance.tsv" for name in VALIDATION_COHORTS
    ]
    if CALIBRATION:
        outputs += [
            f"{RESULTS}/calibration.tsv",
            f"{RESULTS}/figures/calibration.png",
            f"{RESULTS}/figures/{CALIBRATION_FIGURE}.png",
        ]
    if PRS_FEATURE_SETS:
        outputs.append(f"{RESULTS}/prs/candidates.tsv")
    if SNP_MODELS:
        outputs += [f"{RESULTS}/snp_importance.tsv", f"{RESULTS}/figures/manhattan.png"]
        if SNP_FEATURE_SETS:
            outputs.append(f"{RESULTS}/selected_snps.tsv")
        if TRUTH_SOURCE:
            outputs.append(f"{RESULTS}/snp_truth.tsv")
    return outputs
