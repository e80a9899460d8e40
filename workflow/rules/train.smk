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
