"""Scoring new samples at scale: ``riata predict`` against plink2 --score on the same genotypes and loadings.

Reuses (--cohort) or simulates a cohort of the case study's shape (3,000 samples x 500,000 SNPs), then:

* new cohorts of N samples (default 2,500, 5,000 and 10,000) are written as PLINK 1 filesets in a temporary
  folder by resampling the cohort's samples with replacement, streamed over blocks of variants;
* a model bundle holds the genetic inputs of the case study's largest model: 20 principal-component inputs
  over every variant of the loadings (riata's loadings.parquet with --loadings, otherwise random normal
  loadings of unit norm over every polymorphic variant), the cohort's A1 frequencies as training frequencies,
  shrinkage 1, mean 0, scale 1, and a small random network (16 hidden units, binary outcome) on those 20 inputs;
* for each N, ``riata predict`` and plink2 --score (the same 20 loading columns, the same frequencies through
  --read-freq, variance-standardize, score sums) run in turn, each timed with its peak RSS (wait4, from a
  small launcher process: see LAUNCHER). Both read the new .bed just written, from the page cache.

A missing call is filled with the training mean by riata, so it adds 0 to a component. plink2 --score's
default mean imputation should add the same 0 once centred, but Debian's plink2 v2.00a3.5 (9 Aug 2022)
adds 2p / sqrt(2p(1 - p)) with variance-standardize (and 2p with center): its centring is not applied to
imputed calls (seen on one variant with one missing call). plink2 therefore runs with no-mean-imputation,
which leaves missing calls out of the sums, i.e. adds exactly 0; only its averages, not used here, differ.

riata's component inputs are sum_j (g_ij - 2 p_j) / sqrt(2 p_j (1 - p_j)) * loading_jk, exactly plink2's
variance-standardized score sums (cols=scoresums). Their agreement is checked once, untimed, on the smallest
N: riata's inputs come from the Python API (``riata.load_model(...).inputs``); the figure is the largest
|riata - plink2| over samples, divided by the largest |plink2| of the component, over the 20 components.
Strand-ambiguous SNPs are taken as labelled (``--ambiguous labels``): the new cohorts are the same study's
genotypes, and plink2 matches on ids and alleles only.

The projection to 100,000 samples is linear in N from the measured slope (least squares over the sizes), for
time and peak RSS; memory is said to grow with N when the peak RSS at the largest N exceeds that at the
smallest by more than 10%. riata predict uses numpy's BLAS threads (every core), plink2 --threads (2 by
default). The last line is machine-readable, at the largest N: ``riata_<N>_s=<> riata_<N>_rss_gb=<>
plink2_<N>_s=<> plink2_<N>_rss_gb=<> max_rel_diff=<>``.

    python benchmarks/predict.py [--cohort PREFIX] [--loadings loadings.parquet] [--sizes 2500 5000 10000]
        [--threads 2] [--tmp DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

CACHE = Path(__file__).resolve().parent / ".cache"
COMPONENTS = 20
HIDDEN = 16
PROJECTED = 100_000
BLOCK_CODES = 32 * 2**20  # int8 calls (samples x variants) resampled at once
# .bed 2-bit codes of a dosage of the .bim's 5th-column allele (index: dosage + 1, missing -1 first):
# missing -> 01, 0 -> 11 (homozygous A2), 1 -> 10, 2 -> 00 (homozygous A1); riata.io.plink decodes the same.
CODE_OF_DOSAGE = np.array([0b01, 0b11, 0b10, 0b00], dtype=np.uint8)


# Runs argv[2:] and writes its wall seconds, peak RSS (KiB) and exit code to argv[1]. A child forked from this
# script would start its peak RSS at this script's resident size (Linux copies it at fork), which holds the
# cohort's tables; forked from this small launcher (about 10 MB), the tool's own peak is what wait4 reports.
LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
_, status, usage = os.wait4(subprocess.Popen(sys.argv[2:]).pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{time.perf_counter() - start} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run(command: list[str], log: Path) -> tuple[float, float]:
    """Run a command through LAUNCHER; return its (wall seconds, peak RSS in GB) measured with wait4."""
    measured = log.with_suffix(".measured")
    with open(log, "w") as output:
        subprocess.run([sys.executable, "-c", LAUNCHER, str(measured), *map(str, command)], stdout=output,
                       stderr=subprocess.STDOUT, check=False)  # fmt: skip
    seconds, peak_kib, code = measured.read_text().split()
    if int(code) != 0:
        sys.exit(f"failed ({log}): {' '.join(map(str, command))}\n{log.read_text()[-3000:]}")
    return float(seconds), int(peak_kib) / 1024**2


def riata(*arguments) -> list[str]:
    return [sys.executable, "-m", "riata", *map(str, arguments)]


def cohort(options) -> Path:
    """The PLINK prefix of --cohort, or of a cohort simulated once at the case study's settings (kept in .cache)."""
    if options.cohort:
        return Path(options.cohort)
    folder = CACHE / f"predict_cohort_{options.samples}x{options.snps}"
    if not (folder / "genotypes.bed").exists():
        print(f"simulating {options.samples} x {options.snps} into {folder} (once; reused later)", flush=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        run(riata("simulate", "--out", folder, "--n-samples", options.samples, "--n-snps", options.snps,
                  "--n-chromosomes", "10", "--n-demes", "2", "--migration-rate", "0.0005", "--n-causal-snps", "100",
                  "--genetic-share", "0.1", "--prevalence", "0.3", "--seed", "2024"),
            CACHE / "simulate_predict.log")  # fmt: skip
    return folder / "genotypes"


def open_cohort(prefix: Path):
    """The cohort's reader (BedBlocks) and .bim."""
    from riata.io.plink import BedBlocks, check_bed, plink_paths, read_bim, read_fam

    paths = plink_paths(prefix)
    bim, fam = read_bim(paths["bim"]), read_fam(paths["fam"])
    check_bed(paths["bed"], len(fam), len(bim))
    return BedBlocks(paths["bed"], len(fam), len(bim)), bim


def variant_blocks(n_variants: int, n_samples: int) -> list[np.ndarray]:
    """Consecutive variant rows in blocks of about BLOCK_CODES calls of ``n_samples`` samples each."""
    size = max(64, BLOCK_CODES // max(n_samples, 1))
    return [np.arange(start, min(start + size, n_variants)) for start in range(0, n_variants, size)]


def a1_frequencies(source) -> np.ndarray:
    """(variants,) frequency of the .bim's A1 among the non-missing calls of every sample, streamed."""
    frequencies = np.empty(source.n_variants)
    for rows in variant_blocks(source.n_variants, source.n_samples):
        codes, _ = source.read_codes(None, rows)
        called = codes != -1
        frequencies[rows] = np.where(called, codes, 0).sum(axis=0) / np.maximum(2 * called.sum(axis=0), 1)
    return frequencies


def pack(codes: np.ndarray) -> np.ndarray:
    """.bed bytes (variants, ceil(samples / 4)) of int8 dosages (samples, variants; -1 missing): SNP-major,
    2 bits per sample, the first sample in the lowest bits (CODE_OF_DOSAGE), the last byte padded with 00."""
    n_samples, n_variants = codes.shape
    two_bits = np.zeros((n_variants, 4 * ((n_samples + 3) // 4)), dtype=np.uint8)
    two_bits[:, :n_samples] = CODE_OF_DOSAGE[codes.T + 1]
    quads = two_bits.reshape(n_variants, -1, 4)
    return quads[:, :, 0] | (quads[:, :, 1] << 2) | (quads[:, :, 2] << 4) | (quads[:, :, 3] << 6)


def resample(source, prefix: Path, out: Path, n_samples: int, seed: int) -> None:
    """A PLINK 1 fileset ``out`` of ``n_samples`` samples drawn with replacement from ``source``'s, streamed over
    blocks of variants (memory: about 4 x BLOCK_CODES bytes); the .bim is copied, the .fam has new ids."""
    from riata.io.plink import BED_MAGIC, BedBlocks

    rows = np.sort(np.random.default_rng(seed).integers(0, source.n_samples, n_samples))
    with open(f"{out}.bed", "wb") as bed:
        bed.write(BED_MAGIC)
        for variants in variant_blocks(source.n_variants, n_samples):
            codes, _ = source.read_codes(rows, variants)
            bed.write(pack(codes).tobytes())
    shutil.copyfile(f"{prefix}.bim", f"{out}.bim")
    ids = [f"N{i:06d}" for i in range(n_samples)]
    pd.DataFrame({"fid": ids, "iid": ids, "father": 0, "mother": 0, "sex": 0, "phenotype": -9}).to_csv(
        f"{out}.fam", sep="\t", header=False, index=False
    )
    check = BedBlocks(Path(f"{out}.bed"), n_samples, source.n_variants).read_codes(None, np.arange(64))[0]
    assert np.array_equal(check, source.read_codes(rows, np.arange(64))[0]), "packed .bed does not read back"


def model_variants(bim: pd.DataFrame, frequencies: np.ndarray, loadings: str | None, seed: int) -> pd.DataFrame:
    """The bundle's variants.parquet (snp, chrom, pos, a1, a2, a1_freq, loading_0..19, score_weight, snp_input):
    the loadings' variants with their real loadings, or every polymorphic variant with random normal ones."""
    ids = ["snp", "chrom", "pos", "a1", "a2"]
    table = bim[ids].assign(a1_freq=frequencies)
    names = [f"loading_{j}" for j in range(COMPONENTS)]
    if loadings:
        real = pd.read_parquet(loadings, columns=["snp", "a1", *names])
        table = table.merge(real, on="snp", suffixes=("", "_loadings"))
        if not (table["a1"] == table.pop("a1_loadings")).all():
            sys.exit(f"{loadings}: its a1 alleles are not the cohort's")
    else:
        table = table[(frequencies > 0) & (frequencies < 1)].reset_index(drop=True)
        random = np.random.default_rng(seed).normal(size=(len(table), COMPONENTS)) / np.sqrt(len(table))
        table = pd.concat([table, pd.DataFrame(random.astype(np.float32), columns=names)], axis=1)
    return table.assign(score_weight=0.0, snp_input=False)


def write_model(folder: Path, variants: pd.DataFrame, seed: int) -> None:
    """A bundle of a 20 -> 16 -> 1 network (random weights, binary outcome) on the 20 component inputs."""
    import torch

    from riata.bundle import write_bundle

    columns = [f"genetic_{j}" for j in range(COMPONENTS)]
    generator = torch.Generator().manual_seed(seed)
    shapes = [(COMPONENTS, HIDDEN), (HIDDEN, 1), (1, HIDDEN), (1, 1)]  # weights (in, out), then biases (1, out)
    parameters = [torch.randn(*shape, generator=generator) / 4 for shape in shapes]
    description = {
        "riata_version": "benchmark", "feature_set": "genetic", "penalty": "none", "seed": seed, "lambda": 0.0,
        "outcome": {"type": "binary", "classes": ["0", "1"]}, "hidden_layers": [HIDDEN],
        "inputs": [{"column": c, "variable": c, "source": "genetic"} for c in columns], "selected": columns,
        "clinical": {"id_column": "sample_id", "outcome": "CHD", "outcome_type": "binary", "positive_label": "1",
                     "numeric": [], "categorical": []},
        "preprocessing": {},
        "genetic": {"components": {"columns": columns, "shrinkage": [1.0] * COMPONENTS, "mean": [0.0] * COMPONENTS,
                                   "scale": [1.0] * COMPONENTS}, "snps": 0},
    }  # fmt: skip
    write_bundle(folder, description, parameters, variants)


def plink2_inputs(variants: pd.DataFrame, work: Path, training_samples: int) -> None:
    """score.tsv (ID, A1, loading_0..19) and train.afreq (the training A1 frequencies as plink2's ALT_FREQS:
    plink2 reads the .bim's 5th column as ALT)."""
    names = [f"loading_{j}" for j in range(COMPONENTS)]
    variants[["snp", "a1", *names]].to_csv(work / "score.tsv", sep="\t", index=False, float_format="%.8g")
    frequencies = pd.DataFrame({"#CHROM": variants["chrom"], "ID": variants["snp"], "REF": variants["a2"],
                                "ALT": variants["a1"], "ALT_FREQS": variants["a1_freq"],
                                "OBS_CT": 2 * training_samples})  # fmt: skip
    frequencies.to_csv(work / "train.afreq", sep="\t", index=False, float_format="%.10g")


def plink2_command(plink2: str, prefix: Path, work: Path, threads: int, out: Path) -> list[str]:
    return [plink2, "--bfile", str(prefix), "--read-freq", str(work / "train.afreq"), "--score",
            str(work / "score.tsv"), "1", "2", "header-read", "variance-standardize", "no-mean-imputation",
            "cols=scoresums", "--score-col-nums", f"3-{2 + COMPONENTS}", "--threads", str(threads), "--out",
            str(out)]  # fmt: skip


def agreement(bundle: Path, clinical: Path, prefix: Path, sscore: Path) -> float:
    """Largest |riata - plink2| of the 20 component inputs over the samples, relative to the component's largest
    |plink2| value, over the components (riata's inputs from the Python API, untimed)."""
    import riata

    design = riata.load_model(bundle).inputs(clinical, prefix, ambiguous="labels").design
    theirs = pd.read_csv(sscore, sep="\t", dtype=str).rename(columns=lambda name: name.lstrip("#"))
    theirs = theirs.set_index("IID").loc[design.index]
    ours = design[[f"genetic_{j}" for j in range(COMPONENTS)]].to_numpy(np.float64)
    reference = theirs[[f"loading_{j}_SUM" for j in range(COMPONENTS)]].astype(np.float64).to_numpy()
    return float((np.abs(ours - reference).max(axis=0) / np.abs(reference).max(axis=0)).max())


def measure(n: int, source, prefix: Path, work: Path, options, plink2: str) -> dict:
    """Resample a cohort of n samples (untimed), then time riata predict and plink2 --score on it."""
    out = work / f"cohort_{n}"
    print(f"writing a cohort of {n} samples", flush=True)
    resample(source, prefix, out, n, seed=n)
    clinical = work / f"clinical_{n}.tsv"
    pd.DataFrame({"sample_id": [f"N{i:06d}" for i in range(n)]}).to_csv(clinical, sep="\t", index=False)
    print(f"scoring {n} samples: riata predict, then plink2 --score (load average {os.getloadavg()[0]:.1f})",
          flush=True)  # fmt: skip
    riata_s, riata_gb = run(riata("predict", "--model", work / "bundle", "--clinical", clinical, "--genotypes", out,
                                  "--ambiguous", "labels", "--out", work / f"predictions_{n}.tsv"),
                            work / f"riata_{n}.log")  # fmt: skip
    plink_s, plink_gb = run(plink2_command(plink2, out, work, options.threads, work / f"plink2_{n}"),
                            work / f"plink2_{n}.log")  # fmt: skip
    result = {"n": n, "riata_s": riata_s, "riata_gb": riata_gb, "plink2_s": plink_s, "plink2_gb": plink_gb}
    if n == min(options.sizes):
        result["max_rel_diff"] = agreement(work / "bundle", clinical, out, work / f"plink2_{n}.sscore")
    for suffix in (".bed", ".bim", ".fam"):
        Path(f"{out}{suffix}").unlink()
    return result


def projection(results: list[dict], tool: str) -> tuple[float, str]:
    """Seconds at PROJECTED samples (least-squares line over N) and a sentence on the peak RSS: whether it grows
    with N (by more than 10% from the smallest to the largest N) and its own line's value at PROJECTED."""
    sizes = np.array([r["n"] for r in results], dtype=float)
    seconds = np.polyval(np.polyfit(sizes, [r[f"{tool}_s"] for r in results], 1), PROJECTED)
    peaks = [r[f"{tool}_gb"] for r in results]
    projected_gb = np.polyval(np.polyfit(sizes, peaks, 1), PROJECTED)
    verdict = "grows with N" if peaks[-1] > 1.1 * peaks[0] else "flat in N"
    return seconds, f"{verdict} ({peaks[0]:.2f} -> {peaks[-1]:.2f} GB; its line gives {projected_gb:.2f} GB)"


def report(results: list[dict], variants: int, options) -> None:
    """The table, the projection to PROJECTED samples and the machine-readable last line."""
    print(f"\n{variants} variants x {COMPONENTS} components (loadings: {options.loadings or 'random normal'}), "
          f"plink2 --threads {options.threads}, riata on {os.cpu_count()} cores")  # fmt: skip
    print(f"{'N':>8}{'riata s':>10}{'riata GB':>10}{'plink2 s':>10}{'plink2 GB':>11}")
    for r in results:
        print(f"{r['n']:>8}{r['riata_s']:>10.1f}{r['riata_gb']:>10.2f}{r['plink2_s']:>10.1f}{r['plink2_gb']:>11.2f}")
    for tool in ("riata", "plink2"):
        seconds, memory = projection(results, tool)
        print(f"{tool} at {PROJECTED} samples (projected): {seconds:.0f} s; peak RSS {memory}")
    difference = next(r["max_rel_diff"] for r in results if "max_rel_diff" in r)
    print(f"agreement at N={results[0]['n']}: max relative difference of the 20 inputs {difference:.2e}")
    last = results[-1]
    n = last["n"]
    print(f"riata_{n}_s={last['riata_s']:.2f} riata_{n}_rss_gb={last['riata_gb']:.3f} "
          f"plink2_{n}_s={last['plink2_s']:.2f} plink2_{n}_rss_gb={last['plink2_gb']:.3f} "
          f"max_rel_diff={difference:.3g}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort", help="PLINK 1 prefix of the cohort to resample (default: simulate one)")
    parser.add_argument("--samples", type=int, default=3000, help="simulated cohort's samples (without --cohort)")
    parser.add_argument("--snps", type=int, default=500_000, help="simulated cohort's SNPs (without --cohort)")
    parser.add_argument("--loadings", help="riata's loadings.parquet of the cohort (default: random loadings)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2500, 5000, 10_000], help="new cohorts' samples")
    parser.add_argument("--threads", type=int, default=2, help="plink2's threads")
    parser.add_argument("--tmp", help="folder for the temporary work folder (default: the system's)")
    options = parser.parse_args()
    options.sizes = sorted(options.sizes)
    plink2 = shutil.which("plink2") or sys.exit("plink2 not found: apt-get install plink2")
    prefix = cohort(options)
    source, bim = open_cohort(prefix)
    with tempfile.TemporaryDirectory(prefix="riata_predict_", dir=options.tmp) as folder:
        work = Path(folder)
        print(f"training frequencies and the bundle ({source.n_samples} x {source.n_variants})", flush=True)
        variants = model_variants(bim, a1_frequencies(source), options.loadings, seed=1)
        write_model(work / "bundle", variants, seed=1)
        plink2_inputs(variants, work, source.n_samples)
        results = [measure(n, source, prefix, work, options, plink2) for n in options.sizes]
    report(results, len(variants), options)


if __name__ == "__main__":
    main()
