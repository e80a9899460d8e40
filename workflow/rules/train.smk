# One job per feature set x penalty: every (lambda, seed) network of it is trained as one batch. The prs
# feature sets read the polygenic score, the snps feature sets the training GWAS and the genotypes.


rule train:
    input:
        unpack(train_inputs),
    output:
        [
            f"{RESULTS}/models/{{feature_set}}/{{penalty}}/seed{seed}/{name}"
            for seed in SEEDS
            for name in SEED_FILES
        ],
    log:
        f"{LOGS}/train/{{feature_set}}_{{penalty}}.log",
    benchmark:
        f"{BENCHMARKS}/train/{{feature_set}}_{{penalty}}.tsv"
    conda:
        "../../envs/riata.yaml"
    # Small batched networks: one thread each lets jobs run side by side.
    threads: 1
    params:
        features=folder_of_input_features,
        files=file_options("prs", "gwas"),
        genotypes=screen_genotype_options,
        out=models_folder_of_output,
        options=train_options,
    shell:
        "riata train --features {params.features:q} --feature-set {wildcards.feature_set} --penalty {wildcards.penalty}"
        " {params.files} {params.genotypes} {params.options} --threads {threads} --out-dir {params.out:q} 2> {log:q}"


# One bundle per feature set and penalty: the seed of lowest validation loss, with everything needed to
# score new patients (`riata predict`, `riata.load_model`).
rule bundle:
    input:
        unpack(bundle_inputs),
    output:
        directory(f"{RESULTS}/bundles/{{feature_set}}/{{penalty}}"),
    log:
        f"{LOGS}/bundle/{{feature_set}}_{{penalty}}.log",
    benchmark:
        f"{BENCHMARKS}/bundle/{{feature_set}}_{{penalty}}.tsv"
    conda:
        "../../envs/riata.yaml"
    params:
        models=model_folders_of_input,
        features=folder_of_input_features,
        qc=qc_option,
        files=file_options("loadings", "eigenvalues", "prs_weights", "prs_candidates"),
        options=verb_options("bundle"),
    shell:
        "riata bundle {params.models} --features {params.features:q} {params.qc} {params.files}"
        " {params.options} --out-dir {output:q} 2> {log:q}"


# Model-X knockoff selection at target false discovery rates (config knockoffs): one job per feature set, every
# seed drawing its own knockoffs and training one network on the inputs and their knockoffs.
rule knockoffs:
    input:
        unpack(train_inputs),
    output:
        report(
            f"{RESULTS}/knockoffs/{{feature_set}}.tsv",
            caption="../report/knockoffs.rst",
            category="Selection",
        ),
    log:
        f"{LOGS}/knockoffs/{{feature_set}}.log",
    benchmark:
        f"{BENCHMARKS}/knockoffs/{{feature_set}}.tsv"
    conda:
        "../../envs/riata.yaml"
    # Small batched networks: one thread each lets jobs run side by side.
    threads: 1
    params:
        features=folder_of_input_features,
        files=file_options("prs"),
        options=verb_options("knockoffs"),
    shell:
        "riata knockoffs --features {params.features:q} --feature-set {wildcards.feature_set} {params.files}"
        " {params.options} --threads {threads} --out {output:q} 2> {log:q}"
