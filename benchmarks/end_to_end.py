"""Wall time and peak memory of every rule of a finished run, from Snakemake's benchmark files.

Snakemake writes one benchmark file per job (results/<cohort>/benchmarks/...): seconds (wall time) and
max_rss (peak resident memory, MB). This prints them per rule, the sum over rules (simulation excluded
from the total), the run's wall time from its first to its last job (jobs in parallel overlap), and a
last, machine-readable line ``total_s=<> max_rule_rss_gb=<>``. The wall time comes from the benchmark
files' modification times, so it is right for a run whose jobs all ran in one go (``make case-study``
from scratch, the simulated cohort excepted).

    python benchmarks/end_to_end.py results/case_study
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def job_table(results: Path) -> pd.DataFrame:
    """One row per finished job of a run: job, rule, seconds, max_rss_gb, end (epoch seconds)."""
    folder = results / "benchmarks"
    rows = []
    for path in sorted(folder.rglob("*.tsv")):
        table = pd.read_csv(path, sep="\t")
        job = str(path.relative_to(folder).with_suffix(""))
        rows.append({"job": job, "rule": job.split("/")[0], "seconds": table["s"].iloc[-1],
                     "max_rss_gb": table["max_rss"].iloc[-1] / 1024, "end": path.stat().st_mtime})  # fmt: skip
    if not rows:
        raise SystemExit(f"no benchmark files under {folder}")
    return pd.DataFrame(rows)


def per_rule(jobs: pd.DataFrame) -> pd.DataFrame:
    """Jobs, summed seconds and the largest peak RSS of each rule, in order of first appearance."""
    return jobs.groupby("rule", sort=False).agg(jobs=("job", "size"), seconds=("seconds", "sum"),
                                                max_rss_gb=("max_rss_gb", "max"))  # fmt: skip


def analysis_jobs(jobs: pd.DataFrame) -> pd.DataFrame:
    """The jobs after simulation (a simulated cohort is made once and cached)."""
    return jobs[jobs["rule"] != "simulate"]


def wall_seconds(jobs: pd.DataFrame) -> float:
    """Seconds from the start of the first of ``jobs`` to the end of the last."""
    return float(jobs["end"].max() - (jobs["end"] - jobs["seconds"]).min())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="results/<cohort> of a finished run")
    jobs = job_table(Path(parser.parse_args().results))
    print(f"{'rule':<12}{'jobs':>6}{'seconds':>10}{'peak RSS GB':>13}")
    for rule, row in per_rule(jobs).iterrows():
        print(f"{rule:<12}{int(row['jobs']):>6}{row['seconds']:>10.1f}{row['max_rss_gb']:>13.2f}")
    analysis = analysis_jobs(jobs)
    wall = wall_seconds(analysis)
    print(f"sum of job times, simulation excluded: {analysis['seconds'].sum():.1f} s (CPU-bound jobs ran side by side)")
    print(f"wall time from the first job after simulation to the last: {wall:.1f} s")
    print(f"total_s={wall:.1f} max_rule_rss_gb={analysis['max_rss_gb'].max():.3f}")


if __name__ == "__main__":
    main()
