# Sample matching and stratified split, variant QC and clinical preprocessing (fitted on training samples).


rule split:
    input:
        clinical=clinical_table(),
        fam=f"{genotype_prefix()}.fam" if USES_GENOTYPES else [],
    output:
        f"{RESULTS}/split.tsv",
    log:
        f"{LOGS}/split.log",
    benchmark:
        f"{BENCHMARKS}/split.tsv"
    conda:
        "../../envs/riata.yaml"
    params:
        genotypes=genotype_option,
        options=verb_options("split"),
    shell:
        "riata split --clinical {input.clinical:q} {params.genotypes} {params.options} --out {output:q} 2> {log:q}"


rule qc:
    input:
        genotypes=genotype_files(),
        split=f"{RESULTS}/split.tsv",
    output:
        [f"{RESULTS}/qc/{name}" for name in QC_FILES],
    log:
        f"{LOGS}/qc.log",
    benchmark:
        f"{BENCHMARKS}/qc.tsv"
    conda:
        "../../envs/riata.yaml"
    # Streams the .bed with dask threads; profiles may raise this.
    threads: 2
    params:
        prefix=genotype_prefix_of_input,
        options=verb_options("qc"),
        fid=fid_option(),
        out=folder_of_output,
    shell:
        "riata qc --genotypes {params.prefix:q} --split {input.split:q} {params.options} {params.fid}"
        " --threads {threads} --out-dir {params.out:q} 2> {log:q}"


rule features:
    input:
        **feature_inputs(),
    output:
        features_files(FEATURE_FILES),
    log:
        f"{LOGS}/features.log",
    benchmark:
        f"{BENCHMARKS}/features.tsv"
    conda:
        "../../envs/riata.yaml"
    params:
        files=file_options("components", "liability"),
        options=verb_options("features"),
        out=folder_of_output,
    shell:
        "riata features --clinical {input.clinical:q} --split {input.split:q} {params.files}"
        " {params.options} --out-dir {params.out:q} 2> {log:q}"


if not SIMULATED and GENOTYPE_FORMAT != "bed":

    rule convert:
        input:
            conversion_inputs(),
        output:
            multiext(f"{RESULTS}/genotypes/converted", ".bed", ".bim", ".fam"),
        log:
            f"{LOGS}/convert.log",
        benchmark:
            f"{BENCHMARKS}/convert.tsv"
        conda:
            "../../envs/riata.yaml"
        # plink2's own threads.
        threads: 2
        params:
            source=config["genotypes"]["path"],
            format=GENOTYPE_FORMAT,
            out=f"{RESULTS}/genotypes/converted",
        shell:
            "riata convert --format {params.format} --input {params.source:q} --out {params.out:q}"
            " --threads {threads} 2> {log:q}"
