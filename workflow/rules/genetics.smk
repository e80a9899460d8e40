# Genetic inputs that carry the signal, fitted on the training samples: the training GWAS (adjusted for the
# top principal components), and the cross-fitted polygenic score built from it.
if USES_GWAS:

    rule gwas:
        input:
            genotypes=genotype_files(),
            qc=[f"{RESULTS}/qc/variants.tsv"],
            features=features_files(gwas.FEATURE_FILES),
        output:
            **gwas_outputs(),
        log:
            f"{LOGS}/gwas.log",
        benchmark:
            f"{BENCHMARKS}/gwas.tsv"
        conda:
            "../../envs/riata.yaml"
        # Dask threads read and test blocks of SNPs; profiles may raise this.
        threads: 2
        params:
            prefix=genotype_prefix_of_input,
            qc=folder_of_input_qc,
            features=folder_of_input_features,
            folds=fold_output_options,
            options=verb_options("gwas"),
            fid=fid_option(),
        shell:
            "riata gwas --genotypes {params.prefix:q} --qc {params.qc:q} --features {params.features:q} {params.fid}"
            " {params.options} --threads {threads} --out {output.associations:q} {params.folds} 2> {log:q}"


if PRS_FEATURE_SETS:

    rule score:
        input:
            **score_inputs(),
        output:
            scores=f"{RESULTS}/prs/scores.tsv",
            weights=f"{RESULTS}/prs/weights.tsv",
            candidates=report(
                f"{RESULTS}/prs/candidates.tsv",
                caption="../report/prs.rst",
                category="Genetic inputs",
            ),
        log:
            f"{LOGS}/score.log",
        benchmark:
            f"{BENCHMARKS}/score.tsv"
        conda:
            "../../envs/riata.yaml"
        params:
            prefix=genotype_prefix_of_input,
            qc=folder_of_input_qc,
            features=folder_of_input_features,
            files=file_options("gwas", "folds", "fold_associations"),
            options=verb_options("score"),
            fid=fid_option(),
        shell:
            "riata score --genotypes {params.prefix:q} --qc {params.qc:q} --features {params.features:q} {params.fid}"
            " {params.files} {params.options} --out-scores {output.scores:q} --out-weights {output.weights:q}"
            " --out-candidates {output.candidates:q} 2> {log:q}"
