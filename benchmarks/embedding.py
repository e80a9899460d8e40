"""riata's embedding against plink2's exact PCA, side by side on the same samples and variants.

Simulates (or reuses, see --cohort) a cohort without missing calls (plink2 normalises its relationship
matrix per pair of samples by their jointly called variants, riata mean-imputes: with no missing calls
the two definitions coincide, so the comparison measures the algorithms), keeps variants with
MAF >= 0.01 and call rate >= 0.95,
computes allele frequencies once, then times ``riata embed`` and ``plink2 --read-freq ... --pca k``
on those variants and all samples (both given the same frequencies), with each one's peak RSS. Prints
each component's correlation with plink2's, the captured variance (sum of the top-k eigenvalues)
relative to plink2's exact result, and how riata's time and memory grow with the number of SNPs. Its
last line is machine-readable:
``riata_s=<> plink2_s=<> speedup=<> riata_rss_gb=<> plink2_rss_gb=<> captured_variance_rel=<> min_structure_corr=<>``.

Debian's plink2 links the reference BLAS unless an optimised one is installed; install
``libopenblas0-pthread`` so the peer runs at its best (the script warns when it is missing).

    python benchmarks/embedding.py [--samples 3000] [--snps 500000] [--cohort PREFIX] [--threads 2]
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
    return [sys.executable, "-m", "riata", *arguments]


def cohort(options) -> Path:
    if options.cohort:
        return Path(options.cohort)
    folder = CACHE / f"cohort_{options.samples}x{options.snps}"
    CACHE.mkdir(parents=True, exist_ok=True)  # a fresh clone has no cache yet
    if not (folder / "genotypes.bed").exists():
        print(f"simulating {options.samples} x {options.snps} into {folder} (once; reused later)", flush=True)
        run(riata("simulate", "--out", str(folder), "--n-samples", str(options.samples), "--n-snps", str(options.snps),
                  "--n-chromosomes", "10", "--n-demes", "3", "--migration-rate", "0.0005", "--seed", "7",
                  "--genotype-missing-rate", "0", "--bad-variant-share", "0"),
            CACHE / "simulate.log")  # fmt: skip
    return folder / "genotypes"


def canonical_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosines of the principal angles between the column spaces of a and b (samples x components)."""
    qa, qb = np.linalg.qr(a - a.mean(axis=0))[0], np.linalg.qr(b - b.mean(axis=0))[0]
    return np.linalg.svd(qa.T @ qb, compute_uv=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--snps", type=int, default=500_000)
    parser.add_argument("--cohort", help="PLINK prefix of an existing cohort (default: simulate and cache one)")
    parser.add_argument("--components", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scaling", type=int, nargs="*", default=[100_000, 250_000, 500_000])
    options = parser.parse_args()
    plink2 = shutil.which("plink2") or sys.exit("plink2 not found: apt-get install plink2")
    if not any(Path(d).glob("libopenblas*.so*") for d in ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"]):
        print("WARNING: no OpenBLAS found; plink2 runs on the reference BLAS (apt-get install libopenblas0-pthread)")
    prefix = cohort(options)
    work = CACHE / f"run_{prefix.parent.name}"
    work.mkdir(parents=True, exist_ok=True)
    fam = pd.read_csv(f"{prefix}.fam", sep=r"\s+", header=None, dtype=str)
    pd.DataFrame({"sample_id": fam[1], "split": "train"}).to_csv(work / "split.tsv", sep="\t", index=False)

    qc_seconds, qc_rss = run(riata("qc", "--genotypes", str(prefix), "--split", str(work / "split.tsv"),
                                   "--min-hwe-p", "0", "--min-sample-call-rate", "0", "--threads",
                                   str(options.threads), "--out-dir", str(work / "qc")), work / "qc.log")  # fmt: skip
    variants = pd.read_csv(work / "qc" / "variants.tsv", sep="\t", usecols=["snp", "pass"])
    kept = variants.loc[variants["pass"], "snp"]
    kept.to_csv(work / "kept.txt", index=False, header=False)
    subprocess.run([plink2, "--bfile", str(prefix), "--extract", str(work / "kept.txt"), "--freq", "--threads",
                    str(options.threads), "--out", str(work / "plink2")], check=True, capture_output=True)  # fmt: skip

    def embed(qc_dir: Path, tag: str) -> tuple[float, float]:
        outputs = [
            "--out-components",
            str(work / f"components_{tag}.tsv"),
            "--out-loadings",
            str(work / f"loadings_{tag}.parquet"),  # as the workflow writes them
            "--out-eigenvalues",
            str(work / f"eigenvalues_{tag}.tsv"),
        ]
        return run(riata("embed", "--genotypes", str(prefix), "--qc", str(qc_dir), "--n-components",
                         str(options.components), "--threads", str(options.threads), *outputs),
                   work / f"embed_{tag}.log")  # fmt: skip

    riata_seconds, riata_rss = embed(work / "qc", "all")
    algorithm = "relationship" if "relationship PCA" in (work / "embed_all.log").read_text() else "krylov"
    plink_seconds, plink_rss = run([plink2, "--bfile", str(prefix), "--extract", str(work / "kept.txt"),
                                    "--read-freq", str(work / "plink2.afreq"), "--pca", str(options.components),
                                    "--threads", str(options.threads), "--out", str(work / "plink2")],
                                   work / "plink2_pca.log")  # fmt: skip

    ours = pd.read_csv(work / "components_all.tsv", sep="\t").set_index("sample_id")
    theirs = pd.read_csv(work / "plink2.eigenvec", sep="\t").set_index("IID")
    ours = ours.loc[theirs.index.astype(str)]
    k = options.components
    our_scores = ours[[f"genetic_{j}" for j in range(k)]].to_numpy()
    their_scores = theirs[[f"PC{j + 1}" for j in range(k)]].to_numpy()
    correlations = [abs(np.corrcoef(our_scores[:, j], their_scores[:, j])[0, 1]) for j in range(k)]
    their_eigenvalues = np.loadtxt(work / "plink2.eigenval")
    our_eigenvalues = pd.read_csv(work / "eigenvalues_all.tsv", sep="\t")["eigenvalue"].to_numpy()
    captured = our_eigenvalues.sum() / their_eigenvalues.sum()
    # Structure: the leading components up to the last eigenvalue more than 10% above the next one.
    gaps = np.flatnonzero(their_eigenvalues[:-1] / their_eigenvalues[1:] > 1.1)
    leading = int(gaps.max()) + 1 if len(gaps) else 0
    structure = canonical_correlations(our_scores[:, :leading], their_scores[:, :leading]) if leading else np.ones(1)

    print(f"\n{len(fam)} samples x {len(kept)} variants (of {len(variants)}), k = {k}, {options.threads} threads")
    print(f"frequencies: riata qc {qc_seconds:.1f} s, {qc_rss:.2f} GB peak RSS (not in the times below)")
    print(f"{'tool':<32}{'seconds':>10}{'peak RSS GB':>14}")
    print(f"{'riata embed (' + algorithm + ')':<32}{riata_seconds:>10.1f}{riata_rss:>14.2f}")
    print(f"{'plink2 --pca (exact)':<32}{plink_seconds:>10.1f}{plink_rss:>14.2f}")
    print(f"speedup {plink_seconds / riata_seconds:.1f}x")
    print("component  eigenvalue riata  eigenvalue plink2  |corr|")
    for j in range(k):
        print(f"{j:>9}  {our_eigenvalues[j]:>16.4f}  {their_eigenvalues[j]:>17.4f}  {correlations[j]:.4f}")
    print(f"captured variance relative to exact: {captured:.5f}")
    print(f"structure components (eigenvalue > 1.1 x next): {leading}; canonical correlations {np.round(structure, 5)}")

    print("\nscaling of riata embed with the number of SNPs")
    print(f"{'SNPs':>10}{'seconds':>10}{'peak RSS GB':>14}")
    passing = np.flatnonzero(pd.read_csv(work / "qc" / "variants.tsv", sep="\t", usecols=["pass"])["pass"])
    for n_snps in options.scaling:
        if n_snps > len(passing):
            continue
        subset = work / f"qc_{n_snps}"
        subset.mkdir(exist_ok=True)
        table = pd.read_csv(work / "qc" / "variants.tsv", sep="\t", dtype={"snp": str, "chrom": str})
        table["pass"] = False
        table.loc[passing[np.linspace(0, len(passing) - 1, n_snps).astype(int)], "pass"] = True
        table.to_csv(subset / "variants.tsv", sep="\t", index=False)
        shutil.copy(work / "qc" / "split.tsv", subset / "split.tsv")
        seconds, rss = embed(subset, str(n_snps))
        print(f"{n_snps:>10}{seconds:>10.1f}{rss:>14.2f}")

    print(
        f"riata_s={riata_seconds:.2f} plink2_s={plink_seconds:.2f} speedup={plink_seconds / riata_seconds:.2f} "
        f"riata_rss_gb={riata_rss:.3f} plink2_rss_gb={plink_rss:.3f} captured_variance_rel={captured:.5f} "
        f"min_structure_corr={structure.min():.5f}"
    )


if __name__ == "__main__":
    main()
