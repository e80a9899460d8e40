# Genetic embedding: principal components (or an autoencoder) of the standardized genotypes, fitted on
# training samples only.


rule embed:
    input:
        genotypes=genotype_files(),
        qc=multiext(f"{RESULTS}/qc/", "variants.tsv", "split.tsv"),
    output:
        components=f"{RESULTS}/embedding/components.tsv",
        loadings=f"{RESULTS}/embedding/loadings.parquet",
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
        options=verb_options("embed"),
        qc=folder_of_input_qc,
        fid=fid_option(),
    shell:
        "riata embed --genotypes {params.prefix:q} --qc {params.qc:q} {params.options} {params.fid}"
        " --threads {threads} --out-components {output.components:q}"
        " --out-loadings {output.loadings:q} --out-eigenvalues {output.eigenvalues:q} 2> {log:q}"
