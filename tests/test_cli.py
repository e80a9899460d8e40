"""The `riata` command: every verb listed, errors as one `ERROR:` line with exit 2 and no output left."""

import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from riata.commands import COMMANDS, verb_of
from riata.io.results import SEED_FILES

VERBS = [
    "check",
    "convert",
    "simulate",
    "framingham",
    "truth",
    "split",
    "qc",
    "embed",
    "features",
    "gwas",
    "score",
    "train",
    "knockoffs",
    "compare",
    "figures",
    "calibration",
    "snps",
    "heatmaps",
    "bundle",
    "predict",
    "validate",
]


def riata(*arguments, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "riata", *map(str, arguments)], capture_output=True, text=True, cwd=cwd
    )


def test_help_lists_every_verb():
    result = riata("--help")
    assert result.returncode == 0
    for verb in VERBS:  # a long verb's summary starts on the next line
        assert re.search(rf"^    {verb}\s", result.stdout, flags=re.MULTILINE), verb
    assert [verb_of(command) for command in COMMANDS] == VERBS


def assert_clean_error(result, message, *must_not_exist):
    assert result.returncode == 2, result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert error_lines == [f"ERROR: {message}"], result.stderr
    for path in must_not_exist:
        assert not path.exists(), path


def test_missing_clinical_file_names_the_absolute_path_tried(tmp_path):
    out = tmp_path / "split.tsv"
    result = riata("split", "--clinical", "data/none.tsv", "--id-column", "id", "--outcome", "y", "--out", out,
                   cwd=tmp_path)  # fmt: skip
    assert_clean_error(result, f"data/none.tsv: table not found (looked for {tmp_path.resolve() / 'data/none.tsv'}: "
                       "relative paths are read from the working directory)", out)  # fmt: skip


def test_shares_that_leave_no_training_samples(tiny_cohort, tmp_path):
    out = tmp_path / "split.tsv"
    result = riata(
        "split", "--clinical", tiny_cohort / "clinical.tsv", "--id-column", "sample_id", "--outcome", "CHD",
        "--validation-share", "0.5", "--test-share", "0.5", "--out", out,
    )  # fmt: skip
    assert_clean_error(result, "split: validation_share + test_share is 1; it must be below 1", out)


def test_bed_with_a_wrong_magic_number(tiny_cohort, tmp_path):
    for suffix in [".bim", ".fam"]:
        shutil.copy(tiny_cohort / f"genotypes{suffix}", tmp_path / f"bad{suffix}")
    bed = (tiny_cohort / "genotypes.bed").read_bytes()
    (tmp_path / "bad.bed").write_bytes(b"\x00\x00\x00" + bed[3:])
    split = tmp_path / "split.tsv"
    assert riata("split", "--clinical", tiny_cohort / "clinical.tsv", "--id-column", "sample_id", "--outcome", "CHD",
                 "--out", split).returncode == 0  # fmt: skip
    result = riata("qc", "--genotypes", tmp_path / "bad", "--split", split, "--out-dir", tmp_path / "qc")
    assert_clean_error(
        result, f"{tmp_path / 'bad.bed'}: not a variant-major PLINK 1 .bed (magic number 000000, expected 6c1b01)",
        tmp_path / "qc",
    )  # fmt: skip


def test_whole_chain_on_a_tiny_cohort_in_a_folder_with_spaces(tiny_cohort, tmp_path):
    """split -> qc -> embed -> features -> train -> compare -> heatmaps -> calibration, paths with spaces and
    quotes."""
    work = tmp_path / "my cohort's files"
    work.mkdir()
    clinical = ["--clinical", tiny_cohort / "clinical.tsv", "--id-column", "sample_id", "--outcome", "CHD"]
    genotypes = tiny_cohort / "genotypes"
    steps = [
        ["split", *clinical, "--genotypes", genotypes, "--out", work / "split.tsv"],
        ["qc", "--genotypes", genotypes, "--split", work / "split.tsv", "--out-dir", work / "qc"],
        ["embed", "--genotypes", genotypes, "--qc", work / "qc", "--n-components", "4", "--power-iterations", "3",
         "--out-components", work / "components.tsv", "--out-loadings", work / "loadings.tsv",
         "--out-eigenvalues", work / "eigenvalues.tsv"],
        ["features", *clinical, "--numeric", "AGE", "SYSBP", "lucky_number", "--categorical", "favorite_color",
         "--split", work / "qc" / "split.tsv", "--components", work / "components.tsv", "--out-dir",
         work / "features"],
    ]  # fmt: skip
    for step in steps:
        result = riata(*step)
        assert result.returncode == 0, result.stderr
    train = ["train", "--features", work / "features", "--feature-set", "clinical_genetic", "--seeds", "1", "2",
             "--max-epochs", "30", "--n-lambdas", "4"]  # fmt: skip
    refits = {"none": [], "group_lasso": ["--stability-refits", "3"]}  # stability selection for one penalty
    for penalty in ["none", "group_lasso"]:
        result = riata(*train, "--penalty", penalty, *refits[penalty], "--out-dir", work / "models" / penalty)
        assert result.returncode == 0, result.stderr
    models = [work / "models" / p / f"seed{s}" for p in ["none", "group_lasso"] for s in [1, 2]]
    compared = riata("compare", *models, "--features", work / "features", "--out-tsv", work / "comparison.tsv",
                     "--out-md", work / "comparison.md", "--out-stability", work / "stability.tsv")  # fmt: skip
    assert compared.returncode == 0, compared.stderr
    layers = [work / "models" / p / "seed1" / "first_layer.tsv" for p in ["none", "group_lasso"]]
    assert (
        riata(
            "heatmaps", *(layer.parent for layer in layers), "--out-png", work / "h.png", "--out-svg", work / "h.svg"
        ).returncode
        == 0
    )
    calibrated = riata("calibration", *models, "--features", work / "features", "--out-tsv", work / "calibration.tsv",
                       "--out-calibration", work / "c.png", "--out-decision-curve", work / "d.png")  # fmt: skip
    assert calibrated.returncode == 0, calibrated.stderr
    assert len(pd.read_csv(work / "calibration.tsv", sep="\t")) == 4 * 10 and (work / "d.png").exists()

    comparison = pd.read_csv(work / "comparison.tsv", sep="\t")
    assert comparison[["penalty", "seed"]].values.tolist() == [
        ["none", 1],
        ["none", 2],
        ["group_lasso", 1],
        ["group_lasso", 2],
    ]
    assert (comparison["n_inputs"] == 8).all()  # 4 components + 3 numeric + favorite_color
    assert comparison["auroc"].between(0, 1).all()
    unpenalised = comparison[comparison["penalty"] == "none"]  # a constant prediction has no calibration slope
    assert (unpenalised["calibration_slope_low"] < unpenalised["calibration_slope_high"]).all()
    layer = pd.read_csv(layers[0], sep="\t", index_col="input")
    assert layer.index.tolist()[:5] == ["genetic_0", "genetic_1", "genetic_2", "genetic_3", "AGE"]
    assert (work / "h.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in (work / "models" / "none" / "seed1").iterdir()) == sorted(SEED_FILES)
    stability = pd.read_csv(work / "stability.tsv", sep="\t")
    refitted = stability[stability["penalty"] == "group_lasso"]
    thirds = 3 * refitted["refit_frequency"]  # 3 refits: 0, 1/3, 2/3 or 1, written to 4 digits
    assert len(refitted) == 2 * 8 and np.allclose(thirds, thirds.round(), atol=1e-3)
    assert stability.loc[stability["penalty"] == "none", "refit_frequency"].isna().all()


def test_unknown_penalty_writes_nothing(tiny_cohort, tmp_path):
    out = tmp_path / "models"
    result = riata("train", "--features", tmp_path / "missing", "--feature-set", "clinical", "--penalty", "lasso",
                   "--out-dir", out)  # fmt: skip
    assert result.returncode == 2
    assert not out.exists()


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help(verb):
    result = riata(verb, "--help")
    assert result.returncode == 0 and "usage: riata" in result.stdout


def test_a_riata_process_starts_and_trains_without_loading_what_it_does_not_use():
    """Every rule starts a riata process: the command line loads no pandas, torch, dask, scikit-learn, scipy or
    matplotlib (seconds each), and training never loads torch._dynamo (torch.optim's first step does)."""
    heavy = ("pandas", "torch", "dask", "sklearn", "scipy", "matplotlib")
    code = (
        "import sys, riata.cli\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
        "import numpy as np, torch\n"
        "from riata.penalties import Groups\nfrom riata.settings import TrainSettings\n"
        "from riata.tasks import Task\nfrom riata.train import fit_stack\n"
        "x, y = torch.randn(40, 3), (torch.rand(40) > 0.5).float()\n"
        "for optimizer in ('sgd', 'adam'):\n"
        "    fit_stack(x, y, x, y, task=Task('binary'), penalty='l1', lambdas=np.array([0.01]),\n"
        "              seeds=np.array([1]), groups=Groups.from_labels(['a', 'b', 'c']),\n"
        "              settings=TrainSettings(max_epochs=3, optimizer=optimizer))\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(
        "\n"
    )
    assert printed[:2] == ["[]", "False"]
