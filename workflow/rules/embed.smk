# Genetic embedding: randomized PCA of standardized genotypes, fitted on training samples only.


rule embed:
    input:
        genotypes=genotype_files(),
        split=f"{RESULTS}/split.tsv",
        qc=f"{RESULTS}/qc/variants.tsv",
    output:
        components=f"{RESULTS}/embedding/components.tsv",
        loadings=f"{RESULTS}/embedding/loadings.tsv",
        eigenvalues=f"{RESULTS}/embedding/eigenvalues.tsv",
    log:
        f"{LOGS}/embed.log",
    benchmark:
        f"{BENCHMARKS}/embed.tsv"
    conda:
        "../../envs/riata.yaml"
    # Dask threads for reading blocks and BLAS; profiles may raise this.
    threads: 2
    params:
        prefix=genotype_prefix_of_input,
        embedding=options(
            config["embedding"],
            ["n_components", "oversampling", "power_iterations", "seed"],
        ),
        block=config["genotypes"]["block_variants"],
    shell:
        "riata embed --genotypes {params.prefix:q} --split {input.split:q} --qc {input.qc:q} {params.embedding}"
        " --threads {threads} --block-variants {params.block} --out-components {output.components:q}"
        " --out-loadings {output.loadings:q} --out-eigenvalues {output.eigenvalues:q} 2> {log:q}"
