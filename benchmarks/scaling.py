"""Time and peak memory of each workflow stage as the cohort grows, from real workflow runs.

Runs the workflow (``snakemake --profile profiles/local``) on simulated cohorts derived from a base
config (default config/case_study.yaml) and prints, per stage, the summed job seconds and the largest
peak RSS (Snakemake's benchmark files, see end_to_end.py):

- ``--samples``: the whole workflow at the base number of SNPs with this many samples;
- ``--snps``: the stages that read genotypes (split, QC, embedding, feature tables) at the base number
  of samples with this many SNPs; training sees only the 20 embedding dimensions, so its cost does not
  change with the number of SNPs and is not re-run.

Each size is its own cohort (``results/scaling_<samples>x<snps>``; the base size reuses the base
cohort's results), simulated once and reused, so a second call only prints.

    python benchmarks/scaling.py [--samples 1000 3000 10000] [--snps 100000 500000 1000000]
"""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml
from end_to_end import analysis_jobs, job_table, per_rule, wall_seconds

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = Path(__file__).resolve().parent / ".cache" / "scaling"
STAGES_WITHOUT_TRAINING = "features"


def run_size(base: dict, n_samples: int, n_snps: int, whole_workflow: bool) -> Path:
    """Run (or reuse) the workflow for one cohort size; return its results folder."""
    config = copy.deepcopy(base)  # keys keep their order: Snakemake compares rule parameters as strings
    if (n_samples, n_snps) != (base["simulate"]["n_samples"], base["simulate"]["n_snps"]):
        config["cohort"] = f"scaling_{n_samples}x{n_snps}"
        config["simulate"].update(n_samples=n_samples, n_snps=n_snps)
    CONFIGS.mkdir(parents=True, exist_ok=True)
    path = CONFIGS / f"{config['cohort']}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    command = [sys.executable, "-m", "snakemake", "--profile", "profiles/local", "--configfile", str(path)]
    if not whole_workflow:
        command += ["--until", STAGES_WITHOUT_TRAINING]
    print(f"{n_samples} samples x {n_snps} SNPs: {' '.join(command[2:])}", flush=True)
    # Rules call `riata`: the one installed beside this interpreter.
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(command, cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return ROOT / "results" / config["cohort"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=str(ROOT / "config" / "case_study.yaml"))
    parser.add_argument("--samples", type=int, nargs="*", default=[1000, 3000, 10000])
    parser.add_argument("--snps", type=int, nargs="*", default=[100_000, 500_000, 1_000_000])
    options = parser.parse_args()
    base = yaml.safe_load(Path(options.base).read_text())
    base_samples, base_snps = base["simulate"]["n_samples"], base["simulate"]["n_snps"]
    sizes = [(n, base_snps, True) for n in options.samples]
    sizes += [(base_samples, m, False) for m in options.snps if (base_samples, m) not in {s[:2] for s in sizes}]

    rows = []
    for n_samples, n_snps, whole in sizes:
        jobs = job_table(run_size(base, n_samples, n_snps, whole))
        for rule, row in per_rule(jobs).iterrows():
            rows.append({"samples": n_samples, "snps": n_snps, "stage": rule, "jobs": int(row["jobs"]),
                         "seconds": row["seconds"], "peak_rss_gb": row["max_rss_gb"]})  # fmt: skip
        analysis = analysis_jobs(jobs)
        rows.append({"samples": n_samples, "snps": n_snps, "stage": "wall (no simulation)", "jobs": len(analysis),
                     "seconds": wall_seconds(analysis), "peak_rss_gb": analysis["max_rss_gb"].max()})  # fmt: skip
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))


if __name__ == "__main__":
    main()
