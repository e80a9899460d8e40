# Tables and figures of the results, all of them in the Snakemake HTML report (aggregate results only).


# The truth (config truth.path, or a simulated cohort's own) checked against the data before any training result.
if TRUTH_SOURCE:

    rule truth:
        input:
            **truth_inputs(),
        output:
            f"{RESULTS}/truth.tsv",
        log:
            f"{LOGS}/truth.log",
        benchmark:
            f"{BENCHMARKS}/truth.tsv"
        conda:
            "../../envs/riata.yaml"
        params:
            genotypes=snp_genotype_option,
        shell:
            "riata truth --truth {input.truth:q} --clinical {input.clinical:q} {params.genotypes}"
            " --out {output:q} 2> {log:q}"


rule compare:
    input:
        models=files_in(ALL_MODELS, compare.MODEL_FILES),
        features=features_files(compare.FEATURE_FILES),
        truth=truth_file(),
        knockoffs=knockoff_files(),
    output:
        tsv=report(
            f"{RESULTS}/comparison.tsv",
            caption="../report/comparison.rst",
            category="Comparison",
        ),
        md=f"{RESULTS}/comparison.md",
        stability=report(
            f"{RESULTS}/stability.tsv",
            caption="../report/stability_table.rst",
            category="Selection",
        ),
        truth=(
            report(
                f"{RESULTS}/truth_check.tsv",
                caption="../report/truth.rst",
                category="Selection",
            )
            if TRUTH_SOURCE
            else []
        ),
    log:
        f"{LOGS}/compare.log",
    benchmark:
        f"{BENCHMARKS}/compare.tsv"
    conda:
        "../../envs/riata.yaml"
    params:
        models=model_dirs_of,
        features=folder_of_input_features,
        truth=truth_option,
        knockoffs=knockoffs_option,
        outputs=optional_output_options,
    shell:
        "riata compare {params.models} --features {params.features:q} {params.truth} {params.knockoffs}"
        " --out-tsv {output.tsv:q}"
        " --out-md {output.md:q} --out-stability {output.stability:q} {params.outputs} 2> {log:q}"


rule heatmaps:
    input:
        models=files_in(HEATMAP_MODELS, heatmaps.MODEL_FILES),
    output:
        png=report(
            f"{RESULTS}/figures/heatmaps.png",
            caption="../report/heatmaps.rst",
            category="Figures",
        ),
        svg=f"{RESULTS}/figures/heatmaps.svg",
    log:
        f"{LOGS}/heatmaps.log",
    benchmark:
        f"{BENCHMARKS}/heatmaps.tsv"
    conda:
        "../../envs/riata.yaml"
    params:
        models=model_dirs_of,
    shell:
        "riata heatmaps {params.models} --out-png {output.png:q} --out-svg {output.svg:q} 2> {log:q}"


rule figures:
    input:
        models=files_in(FIGURE_MODELS, figures.MODEL_FILES),
        weights=files_in([WEIGHTS_MODEL], figures.WEIGHTS_MODEL_FILES),
        stability=f"{RESULTS}/stability.tsv",
    output:
        paths=report(
            f"{RESULTS}/figures/paths.png",
            caption="../report/paths.rst",
            category="Figures",
        ),
        training=report(
            f"{RESULTS}/figures/training.png",
            caption="../report/training.rst",
            category="Figures",
        ),
        weights=report(
            f"{RESULTS}/figures/weights_over_epochs.png",
            caption="../report/weights.rst",
            category="Figures",
        ),
        stability=report(
            f"{RESULTS}/figures/stability.png",
            caption="../report/stability.rst",
            category="Selection",
        ),
    log:
        f"{LOGS}/figures.log",
    benchmark:
        f"{BENCHMARKS}/figures.tsv"
    conda:
        "../../envs/riata.yaml"
    params:
        models=model_dirs_of,
        weights=weights_dir_of,
    shell:
        "riata figures {params.models} --stability {input.stability:q} --weights-model {params.weights:q}"
        " --out-paths {output.paths:q} --out-training {output.training:q} --out-weights {output.weights:q}"
        " --out-stability {output.stability:q} 2> {log:q}"


if CALIBRATION:

    rule calibration:
        input:
            models=files_in(CALIBRATION_MODELS, calibration.MODEL_FILES),
            features=features_files(calibration.FEATURE_FILES),
        output:
            tsv=report(
                f"{RESULTS}/calibration.tsv",
                caption="../report/calibration_table.rst",
                category="Calibration",
            ),
            calibration=report(
                f"{RESULTS}/figures/calibration.png",
                caption="../report/calibration.rst",
                category="Calibration",
            ),
            kaplan_meier=(
                report(
                    f"{RESULTS}/figures/kaplan_meier.png",
                    caption="../report/kaplan_meier.rst",
                    category="Calibration",
                )
                if SURVIVAL
                else []
            ),
            decision_curve=(
                []
                if SURVIVAL
                else report(
                    f"{RESULTS}/figures/decision_curve.png",
                    caption="../report/decision_curve.rst",
                    category="Calibration",
                )
            ),
        log:
            f"{LOGS}/calibration.log",
        benchmark:
            f"{BENCHMARKS}/calibration.tsv"
        conda:
            "../../envs/riata.yaml"
        params:
            models=model_dirs_of,
            features=folder_of_input_features,
            drawn=len(CALIBRATION_DRAWN),
            outputs=optional_output_options,
        shell:
            "riata calibration {params.models} --features {params.features:q} --drawn {params.drawn}"
            " --out-tsv {output.tsv:q} --out-calibration {output.calibration:q} {params.outputs} 2> {log:q}"


if SNP_MODELS:

    rule snps:
        input:
            **snp_rule_inputs(),
        output:
            tsv=report(
                f"{RESULTS}/snp_importance.tsv",
                caption="../report/snps.rst",
                category="SNPs",
            ),
            png=report(
                f"{RESULTS}/figures/manhattan.png",
                caption="../report/manhattan.rst",
                category="SNPs",
            ),
            selected=(
                report(
                    f"{RESULTS}/selected_snps.tsv",
                    caption="../report/selected_snps.rst",
                    category="SNPs",
                )
                if SNP_FEATURE_SETS
                else []
            ),
            truth=(
                report(
                    f"{RESULTS}/snp_truth.tsv",
                    caption="../report/snp_truth.rst",
                    category="SNPs",
                )
                if TRUTH_SOURCE
                else []
            ),
        log:
            f"{LOGS}/snps.log",
        benchmark:
            f"{BENCHMARKS}/snps.tsv"
        conda:
            "../../envs/riata.yaml"
        params:
            models=model_dirs_of,
            files=file_options("loadings", "gwas", "truth", "split"),
            genotypes=snp_genotype_option,
            outputs=optional_output_options,
            fid=fid_option(),
        shell:
            "riata snps {params.models} {params.files} {params.genotypes} {params.fid} --out-tsv {output.tsv:q} --out-png {output.png:q}"
            " {params.outputs} 2> {log:q}"


# External validation: every bundle applied to each validation cohort (config section validation).
rule validate:
    input:
        unpack(validation_inputs),
    output:
        performance=report(
            f"{RESULTS}/validation/{{validation_cohort}}/performance.tsv",
            caption="../report/validation.rst",
            category="External validation",
            subcategory="{validation_cohort}",
        ),
        predictions=f"{RESULTS}/validation/{{validation_cohort}}/predictions.tsv",
        calibration=(
            report(
                f"{RESULTS}/validation/{{validation_cohort}}/calibration.png",
                caption="../report/validation_figures.rst",
                category="External validation",
                subcategory="{validation_cohort}",
            )
            if CALIBRATION
            else []
        ),
        kaplan_meier=(
            report(
                f"{RESULTS}/validation/{{validation_cohort}}/kaplan_meier.png",
                caption="../report/validation_figures.rst",
                category="External validation",
                subcategory="{validation_cohort}",
            )
            if CALIBRATION and SURVIVAL
            else []
        ),
        decision_curve=(
            report(
                f"{RESULTS}/validation/{{validation_cohort}}/decision_curve.png",
                caption="../report/validation_figures.rst",
                category="External validation",
                subcategory="{validation_cohort}",
            )
            if CALIBRATION and not SURVIVAL
            else []
        ),
    log:
        f"{LOGS}/validate/{{validation_cohort}}.log",
    benchmark:
        f"{BENCHMARKS}/validate/{{validation_cohort}}.tsv"
    conda:
        "../../envs/riata.yaml"
    params:
        bundles=lambda wildcards, input: " ".join(shlex.quote(b) for b in input.bundles),
        genotypes=validation_genotype_option,
        options=verb_options("validate"),
        figures=lambda wildcards, output: (
            f"--out-calibration {shlex.quote(output.calibration)}"
            if output.calibration
            else ""
        ),
        outputs=optional_output_options,
    shell:
        "riata validate {params.bundles} --name {wildcards.validation_cohort} --clinical {input.clinical:q}"
        " {params.genotypes} --comparison {input.comparison:q} {params.options} {params.figures} {params.outputs}"
        " --out-performance {output.performance:q} --out-predictions {output.predictions:q} 2> {log:q}"
