"""The workflow and the dask embedding on a live single-node SLURM, started by the tests themselves.

tests/slurm/start.sh starts munged, slurmctld and slurmd (Debian's SLURM; `make test` installs it);
the fixture stops them again by PID. The workflow runs through profiles/slurm, as on a cluster.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ENVIRONMENT, ROOT, SMALL_CONFIG, SMALL_TARGET, comparison_of, require_tool, snakemake_command

pytestmark = pytest.mark.slurm

# Without slurmdbd there is no sacct: poll squeue (MinJobAge=600 keeps finished jobs visible), quickly.
SLURM_FLAGS = ["--profile", str(ROOT / "profiles" / "slurm"), "--slurm-no-account", "--slurm-status-command",
               "squeue", "--slurm-init-seconds-before-status-checks", "2", "--seconds-between-status-checks", "2",
               "--latency-wait", "5"]  # fmt: skip


@pytest.fixture(scope="session")
def live_slurm(tmp_path_factory):
    """Environment variables pointing at a running single-node SLURM."""
    for tool in ("slurmctld", "slurmd", "munged", "sbatch"):
        require_tool(tool)
    if os.geteuid() != 0:
        pytest.skip("starting SLURM daemons needs root")
    folder = tmp_path_factory.mktemp("slurm")
    started = subprocess.run([str(ROOT / "tests" / "slurm" / "start.sh"), str(folder)], capture_output=True, text=True)
    assert started.returncode == 0, started.stderr + started.stdout
    environment = {**ENVIRONMENT, "SLURM_CONF": started.stdout.strip().splitlines()[-1]}
    yield environment
    subprocess.run([str(ROOT / "tests" / "slurm" / "stop.sh"), str(folder)], check=False)


def on_slurm(workdir: Path, environment: dict, *extra) -> subprocess.Popen:
    command = snakemake_command(workdir, *SLURM_FLAGS, *extra, cores=False)  # the profile's jobs, not local cores
    return subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_workflow_on_slurm_survives_a_cancelled_job_and_gives_the_local_results(live_slurm, small_run, tmp_path):
    """The small workflow (up to the comparison) through profiles/slurm; one training job is cancelled while it
    runs (scancel), the profile's retries resubmit it, and the results equal those of a local run."""
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(SMALL_CONFIG))
    process = on_slurm(tmp_path, live_slurm, SMALL_TARGET)
    cancelled, deadline = None, time.monotonic() + 600
    while cancelled is None and time.monotonic() < deadline and process.poll() is None:
        queue = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-o", "%i %k"], capture_output=True, text=True,
                               env=live_slurm).stdout  # fmt: skip
        running = [line.split()[0] for line in queue.splitlines() if "train" in line]
        if running:
            cancelled = running[0]
            subprocess.run(["scancel", cancelled], check=True, env=live_slurm)
        time.sleep(0.5)
    assert cancelled, "no training job was seen running"
    _, stderr = process.communicate(timeout=900)
    assert process.returncode == 0, stderr[-5000:]
    assert (
        f"SLURM-job '{cancelled}' failed"
        in (tmp_path / ".snakemake" / "log")
        .joinpath(next(p.name for p in (tmp_path / ".snakemake" / "log").iterdir()))
        .read_text()
    )
    assert comparison_of(tmp_path) == comparison_of(small_run)


def test_a_rule_that_always_fails_stops_the_workflow_with_its_log(live_slurm, tmp_path):
    config = {**SMALL_CONFIG, "clinical": {**SMALL_CONFIG["clinical"], "outcome": "NOT_A_COLUMN"}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    process = on_slurm(tmp_path, live_slurm, "--retries", "0")
    _, stderr = process.communicate(timeout=600)
    assert process.returncode != 0
    assert "ERROR: " in stderr and "outcome column 'NOT_A_COLUMN' not found" in stderr  # the rule's log, shown


def test_dask_workers_as_slurm_jobs_give_the_threaded_components(live_slurm, tiny_cohort, tmp_path):
    def riata(*arguments):
        result = subprocess.run([sys.executable, "-m", "riata", *map(str, arguments)], capture_output=True,
                                text=True, env=live_slurm, cwd=tmp_path)  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]

    riata("split", "--clinical", tiny_cohort / "clinical.tsv", "--id-column", "sample_id", "--outcome", "CHD",
          "--genotypes", tiny_cohort / "genotypes", "--out", "split.tsv")  # fmt: skip
    riata("qc", "--genotypes", tiny_cohort / "genotypes", "--split", "split.tsv", "--out-dir", "qc")
    for name, scheduler in [("threads", []), ("slurm", ["--scheduler", "slurm"])]:
        riata("embed", "--genotypes", tiny_cohort / "genotypes", "--qc", "qc", "--n-components", "4", "--threads", "2",
              *scheduler, "--out-components", f"{name}.tsv", "--out-loadings", f"{name}_loadings.tsv",
              "--out-eigenvalues", f"{name}_eigenvalues.tsv")  # fmt: skip
    threaded = pd.read_csv(tmp_path / "threads.tsv", sep="\t")
    clustered = pd.read_csv(tmp_path / "slurm.tsv", sep="\t")
    columns = [f"genetic_{j}" for j in range(4)]
    # A component is defined up to its sign; the rule that fixes it (largest loading positive) can flip
    # when two loadings are equal to rounding, as block sums in other processes may make them.
    signs = np.sign((clustered[columns].to_numpy() * threaded[columns].to_numpy()).sum(axis=0))
    np.testing.assert_allclose(clustered[columns] * signs, threaded[columns], rtol=1e-4, atol=1e-3)
