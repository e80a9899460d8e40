# Simulated data with known truth (only when config simulate.enabled is true).
if SIMULATED:

    rule simulate:
        output:
            **simulated_outputs(),
        log:
            f"{LOGS}/simulate.log",
        benchmark:
            f"{BENCHMARKS}/simulate.tsv"
        conda:
            "../../envs/riata.yaml"
        params:
            out=folder_of_output,
            options=verb_options("simulate"),
        shell:
            "riata simulate --out {params.out:q} {params.options} 2> {log:q}"
