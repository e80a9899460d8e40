# The comparison table and the first-layer heat maps, also shown in the Snakemake HTML report.


rule compare:
    input:
        all_metrics(),
    output:
        tsv=report(
            f"{RESULTS}/comparison.tsv",
            caption="../report/comparison.rst",
            category="Comparison",
        ),
        md=f"{RESULTS}/comparison.md",
    log:
        f"{LOGS}/compare.log",
    benchmark:
        f"{BENCHMARKS}/compare.tsv"
    conda:
        "../../envs/riata.yaml"
    shell:
        "riata compare {input:q} --out-tsv {output.tsv:q} --out-md {output.md:q} 2> {log:q}"


rule heatmaps:
    input:
        heatmap_inputs(),
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
    shell:
        "riata heatmaps {input:q} --out-png {output.png:q} --out-svg {output.svg:q} 2> {log:q}"
