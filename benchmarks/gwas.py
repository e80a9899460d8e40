"""riata's training GWAS against plink2 --glm, side by side on the same samples, SNPs and covariates.

Simulates (or reuses, see --cohort) a cohort of the case study's shape (3,000 samples x 500,000 SNPs,
two demes, missing calls), then runs riata's own preparation on it once: split (60% training), QC,
the 20-component embedding and the features. Both tools then test every QC-passing SNP on the training
samples, adjusted for the same 10 principal components (the features' standardized genetic_0..9):

* a continuous outcome (SYSBP): riata's linear regression and plink2 --glm's, which must agree;
* the binary outcome (CHD, the case study's): riata's score test and plink2 --glm's logistic regression
  in its recommended mode (Firth fallback), whose p-values follow the same asymptotics.

Each run is timed with its peak RSS (wait4). The cross-fitting folds are off in these runs, as plink2
has none. Debian's plink2 is a static build with its own BLAS. Its last line is machine-readable:
``riata_s=<> plink2_s=<> speedup=<> riata_rss_gb=<> max_abs_log10p_diff=<>`` (the binary outcome).

    python benchmarks/gwas.py [--samples 3000] [--snps 500000] [--cohort PREFIX] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

CACHE = Path(__file__).resolve().parent / ".cache"
PRINCIPAL_COMPONENTS = 10


def run(command: list[str], log: Path) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak RSS in GB) measured with wait4."""
    start = time.perf_counter()
    with open(log, "w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed ({log}): {' '.join(command)}\n{log.read_text()[-3000:]}")
    return seconds, usage.ru_maxrss / 1024**2


def riata(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "riata", *map(str, arguments)]


def cohort(options) -> Path:
    if options.cohort:
        return Path(options.cohort)
    folder = CACHE / f"gwas_cohort_{options.samples}x{options.snps}"
    if not (folder / "genotypes.bed").exists():
        print(f"simulating {options.samples} x {options.snps} into {folder} (once; reused later)", flush=True)
        run(riata("simulate", "--out", folder, "--n-samples", options.samples, "--n-snps", options.snps,
                  "--n-chromosomes", "10", "--n-demes", "2", "--migration-rate", "0.0005", "--n-causal-snps", "100",
                  "--prevalence", "0.3", "--seed", "2024"), CACHE / "simulate_gwas.log")  # fmt: skip
    return folder / "genotypes"


def prepare(prefix: Path, work: Path, threads: int) -> None:
    """riata's split, QC and embedding, and the features of each outcome (binary CHD, continuous SYSBP)."""
    clinical = prefix.parent / "clinical.tsv"
    ids = ["--id-column", "sample_id"]
    steps = [
        ("split", riata("split", "--clinical", clinical, *ids, "--outcome", "CHD", "--genotypes", prefix,
                        "--out", work / "split.tsv")),
        ("qc", riata("qc", "--genotypes", prefix, "--split", work / "split.tsv", "--threads", threads,
                     "--out-dir", work / "qc")),
        ("embed", riata("embed", "--genotypes", prefix, "--qc", work / "qc", "--threads", threads,
                        "--out-components", work / "components.tsv", "--out-loadings", work / "loadings.parquet",
                        "--out-eigenvalues", work / "eigenvalues.tsv")),
    ]  # fmt: skip
    for outcome, kind in [("CHD", "binary"), ("SYSBP", "continuous")]:
        steps.append((f"features_{outcome}", riata("features", "--clinical", clinical, *ids, "--outcome", outcome,
                                                   "--outcome-type", kind, "--numeric", "AGE", "--split",
                                                   work / "qc" / "split.tsv", "--components", work / "components.tsv",
                                                   "--out-dir", work / f"features_{outcome}")))  # fmt: skip
    for name, command in steps:
        if not (work / f"{name}.done").exists():
            print(f"preparing: {name}", flush=True)
            run(command, work / f"{name}.log")
            (work / f"{name}.done").touch()


def plink2_inputs(work: Path, outcome: str) -> None:
    """keep.txt (training samples), pheno and covar files holding exactly what riata's GWAS uses."""
    train = pd.read_csv(work / f"features_{outcome}" / "train.tsv", sep="\t", dtype={"sample_id": str})
    ids = pd.DataFrame({"FID": train["sample_id"], "IID": train["sample_id"]})
    ids.to_csv(work / "keep.txt", sep="\t", index=False, header=False)
    phenotype = train["outcome"] + 1 if outcome == "CHD" else train["outcome"]  # plink codes controls 1, cases 2
    ids.assign(y=phenotype).to_csv(work / f"pheno_{outcome}.txt", sep="\t", index=False)
    components = [f"genetic_{j}" for j in range(PRINCIPAL_COMPONENTS)]
    pd.concat([ids, train[components]], axis=1).to_csv(work / "covar.txt", sep="\t", index=False)


def compare(work: Path, outcome: str, prefix: Path, plink2: str, threads: int) -> dict:
    """Both tools on one outcome: seconds, peak RSS and the agreement of their p-values."""
    plink2_inputs(work, outcome)
    riata_seconds, riata_rss = run(riata("gwas", "--genotypes", prefix, "--qc", work / "qc", "--features",
                                         work / f"features_{outcome}", "--principal-components",
                                         PRINCIPAL_COMPONENTS, "--folds", "0", "--threads", threads, "--out",
                                         work / f"riata_{outcome}.parquet"), work / f"riata_{outcome}.log")  # fmt: skip
    passing = pd.read_csv(work / "qc" / "variants.tsv", sep="\t", usecols=["snp", "pass"])
    passing.loc[passing["pass"], "snp"].to_csv(work / "kept.txt", index=False, header=False)
    plink_seconds, plink_rss = run([plink2, "--bfile", str(prefix), "--keep", str(work / "keep.txt"), "--extract",
                                    str(work / "kept.txt"), "--pheno", str(work / f"pheno_{outcome}.txt"), "--covar",
                                    str(work / "covar.txt"), "--glm", "hide-covar", "omit-ref", "--threads",
                                    str(threads), "--out", str(work / f"plink2_{outcome}")],
                                   work / f"plink2_{outcome}.log")  # fmt: skip
    suffix = "logistic.hybrid" if outcome == "CHD" else "linear"
    theirs = pd.read_csv(work / f"plink2_{outcome}.y.glm.{suffix}", sep="\t", usecols=["ID", "P"])
    ours = pd.read_parquet(work / f"riata_{outcome}.parquet", columns=["snp", "p"])
    both = ours.merge(theirs, left_on="snp", right_on="ID")
    difference = np.abs(np.log10(both["p"]) - np.log10(both["P"])).dropna()
    return {"riata_s": riata_seconds, "plink2_s": plink_seconds, "riata_rss_gb": riata_rss,
            "plink2_rss_gb": plink_rss, "snps": len(both), "max": difference.max(),
            "q99": difference.quantile(0.99), "median": difference.median()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--snps", type=int, default=500_000)
    parser.add_argument("--cohort", help="PLINK prefix of an existing simulated cohort (with its clinical.tsv)")
    parser.add_argument("--threads", type=int, default=2)
    options = parser.parse_args()
    plink2 = shutil.which("plink2") or sys.exit("plink2 not found: apt-get install plink2")
    prefix = cohort(options)
    work = CACHE / f"gwas_run_{prefix.parent.name}"
    work.mkdir(parents=True, exist_ok=True)
    prepare(prefix, work, options.threads)
    results = {outcome: compare(work, outcome, prefix, plink2, options.threads) for outcome in ["SYSBP", "CHD"]}
    print(f"\n{results['CHD']['snps']} SNPs, training samples of {prefix}, {PRINCIPAL_COMPONENTS} principal components,"
          f" {options.threads} threads")  # fmt: skip
    print(f"{'outcome':<34}{'riata s':>9}{'plink2 s':>10}{'speedup':>9}{'riata GB':>10}{'plink2 GB':>11}"
          f"{'|dlog10 p| median / 99% / max':>32}")  # fmt: skip
    names = {"SYSBP": "SYSBP: linear / linear", "CHD": "CHD: score test / logistic (Firth)"}
    for outcome, result in results.items():
        agreement = f"{result['median']:.2g} / {result['q99']:.2g} / {result['max']:.2g}"
        print(f"{names[outcome]:<34}{result['riata_s']:>9.1f}{result['plink2_s']:>10.1f}"
              f"{result['plink2_s'] / result['riata_s']:>8.1f}x{result['riata_rss_gb']:>10.2f}"
              f"{result['plink2_rss_gb']:>11.2f}{agreement:>32}")  # fmt: skip
    chd = results["CHD"]
    print(f"riata_s={chd['riata_s']:.2f} plink2_s={chd['plink2_s']:.2f} speedup={chd['plink2_s'] / chd['riata_s']:.2f} "
          f"riata_rss_gb={chd['riata_rss_gb']:.3f} max_abs_log10p_diff={chd['max']:.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
