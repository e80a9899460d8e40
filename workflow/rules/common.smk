# Configuration, validated once against the schema (which also fills in defaults), and the helpers
# that rules use to name their files and options. No logic about the science lives here: every rule
# calls a `riata` verb whose code is in src/riata and tested without Snakemake.
import os
import shlex

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from riata.config import load_schema, validate_config
from riata.errors import RiataError

# riata's check first: it names the key at fault and the nearest valid key for a misspelt one.
try:
    validate_config(
        config,
        schema=load_schema(workflow.source_path("../schemas/config.schema.yaml")),
    )
except RiataError as error:
    raise WorkflowError(f"ERROR: {error}") from None
validate(config, schema="../schemas/config.schema.yaml")

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
USES_GENOTYPES = any(fs in ("genetic", "clinical_genetic") for fs in FEATURE_SETS)
# The files `riata train` writes per seed (riata.steps.SEED_FILES; a test checks they agree).
SEED_FILES = [
    "metrics.tsv",
    "first_layer.tsv",
    "path.tsv",
    "predictions.tsv",
    "model.pt",
    "training.tsv",
    "first_layer_epochs.tsv",
    "first_layer.png",
    "stability_refits.tsv",
]
HEATMAP_FEATURE_SET = (
    "clinical_genetic" if "clinical_genetic" in FEATURE_SETS else FEATURE_SETS[-1]
)

GENOTYPE_FORMAT = config["genotypes"]["format"]


wildcard_constraints:
    feature_set="|".join(FEATURE_SETS),
    penalty="|".join(PENALTIES),


def options(settings, names):
    """`--name value` options for settings keys: lists give several values, booleans --name or
    --no-name, None is left out."""
    words = []
    for name in names:
        value, option = settings[name], name.replace("_", "-")
        if value is None:
            continue
        if isinstance(value, bool):
            words.append(f"--{option}" if value else f"--no-{option}")
            continue
        words.append(f"--{option}")
        words.extend(str(v) for v in (value if isinstance(value, list) else [value]))
    return " ".join(shlex.quote(word) for word in words)


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
    """Files `riata simulate` writes: a cohort has genotypes, the tabular demos only a table."""
    outputs = {
        "clinical": f"{RESULTS}/simulated/clinical.tsv",
        "truth": f"{RESULTS}/simulated/truth.tsv",
    }
    if SIMULATION_KIND == "cohort":
        outputs["genotypes"] = multiext(
            f"{RESULTS}/simulated/genotypes", ".bed", ".bim", ".fam"
        )
    return outputs


def genotype_files():
    return multiext(genotype_prefix(), ".bed", ".bim", ".fam")


def clinical_options():
    clinical = config["clinical"]
    return options(
        clinical,
        ["id_column", "outcome", "outcome_type", "positive_label", "fid_column"],
    )


def fid_option():
    return "--use-fid" if config["clinical"]["fid_column"] else ""


def analysis_split():
    """The split after sample QC when genotypes are used, else the split itself."""
    return f"{RESULTS}/qc/split.tsv" if USES_GENOTYPES else f"{RESULTS}/split.tsv"


def covariate_options():
    names = ["numeric", "categorical", "numeric_imputation", "categorical_imputation"]
    return options(config["clinical"], names)


def section_options(section, exclude=()):
    """Options for every key of a config section, in sorted order: reordering a config file (or
    defaults filled in by the schema) leaves a rule's parameters, and so Snakemake's rerun decision,
    unchanged."""
    settings = config[section]
    return options(settings, sorted(k for k in settings if k not in exclude))


def simulate_options():
    return section_options("simulate", exclude=("enabled",))


def train_options():
    return section_options("training", exclude=("feature_sets", "penalties"))


def feature_inputs():
    inputs = {"clinical": clinical_table(), "split": analysis_split()}
    if USES_GENOTYPES:
        inputs["components"] = f"{RESULTS}/embedding/components.tsv"
    return inputs


def component_option(wildcards, input):
    return (
        f"--components {shlex.quote(input.components)}"
        if "components" in input.keys()
        else ""
    )


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


def model_files(feature_set, penalty, name):
    return [
        f"{RESULTS}/models/{feature_set}/{penalty}/seed{seed}/{name}" for seed in SEEDS
    ]


def all_metrics():
    return [
        m
        for fs in FEATURE_SETS
        for p in PENALTIES
        for m in model_files(fs, p, "metrics.tsv")
    ]


def heatmap_inputs():
    """First layers of the heat map panels: each penalty's first seed, then group lasso's second seed."""
    panels = [
        model_files(HEATMAP_FEATURE_SET, p, "first_layer.tsv")[0] for p in PENALTIES
    ]
    if "group_lasso" in PENALTIES and len(SEEDS) > 1:
        panels.append(
            model_files(HEATMAP_FEATURE_SET, "group_lasso", "first_layer.tsv")[1]
        )
    return panels


def figure_inputs():
    """Training curves and paths of each penalty's first seed (heat map feature set), and stability."""
    return {
        "models": [
            model_files(HEATMAP_FEATURE_SET, p, "path.tsv")[0] for p in PENALTIES
        ],
        "training": [
            model_files(HEATMAP_FEATURE_SET, p, "training.tsv")[0] for p in PENALTIES
        ],
        "weights": model_files(
            HEATMAP_FEATURE_SET, WEIGHTS_PENALTY, "first_layer_epochs.tsv"
        )[0],
        "stability": f"{RESULTS}/stability.tsv",
    }


def model_dirs_of(wildcards, input):
    return " ".join(shlex.quote(os.path.dirname(path)) for path in input.models)


def weights_dir_of(wildcards, input):
    return os.path.dirname(input.weights)


GENETIC_FEATURE_SETS = [
    fs for fs in FEATURE_SETS if fs in ("genetic", "clinical_genetic")
]
WEIGHTS_PENALTY = "group_lasso" if "group_lasso" in PENALTIES else PENALTIES[-1]


def snp_inputs():
    """First layers (first seed, every penalty) of the models with genetic inputs."""
    return [
        model_files(fs, p, "first_layer.tsv")[0]
        for fs in GENETIC_FEATURE_SETS
        for p in PENALTIES
    ]


def truth_file():
    return [f"{RESULTS}/simulated/truth.tsv"] if SIMULATED else []


def truth_option(wildcards, input):
    return f"--truth {shlex.quote(input.truth[0])}" if input.truth else ""


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
    if SIMULATED:
        outputs.append(f"{RESULTS}/truth_check.tsv")
    if USES_GENOTYPES and GENETIC_FEATURE_SETS:
        outputs += [f"{RESULTS}/snp_importance.tsv", f"{RESULTS}/figures/manhattan.png"]
        if SIMULATED:
            outputs.append(f"{RESULTS}/snp_truth.tsv")
    return outputs
