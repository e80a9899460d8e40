# A simulated cohort with known truth (only when config simulate.enabled is true).
if SIMULATED:

    rule simulate:
        output:
            clinical=f"{RESULTS}/simulated/clinical.tsv",
            truth=f"{RESULTS}/simulated/truth.tsv",
            genotypes=multiext(f"{RESULTS}/simulated/genotypes", ".bed", ".bim", ".fam"),
        params:
            out=f"{RESULTS}/simulated",
            options=simulate_options(),
        log:
            f"{LOGS}/simulate.log",
        benchmark:
            f"{BENCHMARKS}/simulate.tsv"
        conda:
            "../../envs/riata.yaml"
        shell:
            "riata simulate --out {params.out:q} {params.options} 2> {log:q}"
