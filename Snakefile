# riata: which clinical and genetic variables does a neural network actually need?
# Entry point: config validation and helpers in common.smk, one rule file per stage.
from snakemake.utils import min_version

min_version("9.0")


# The demo config is the default; a config given with --configfile replaces it rather than being
# merged into it, so an analysis never inherits the demo's keys.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/prepare.smk"
include: "workflow/rules/embed.smk"
include: "workflow/rules/genetics.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
