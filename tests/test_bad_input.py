"""Every kind of bad input: one `ERROR:` line naming the file and the column, line or key, exit status 2,
and no output left behind."""

import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def riata(*arguments, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "riata", *map(str, arguments)], capture_output=True, text=True,
                          cwd=cwd)  # fmt: skip


def assert_error(result, message, *must_not_exist):
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, result.stderr
    assert message in errors[0], errors[0]
    for path in must_not_exist:
        assert not path.exists(), path


@pytest.fixture
def cohort(tmp_path):
    """A 60-sample clinical table (id, CHD 0/1, AGE, COLOR) and a matching .fam."""
    rng = np.random.default_rng(0)
    ids = [f"p{i}" for i in range(60)]
    table = pd.DataFrame({"id": ids, "CHD": [1] * 20 + [0] * 40, "AGE": rng.normal(50, 8, 60).round(1),
                          "COLOR": rng.choice(["red", "blue"], 60)})  # fmt: skip
    table.to_csv(tmp_path / "clinical.tsv", sep="\t", index=False)
    (tmp_path / "g.fam").write_text("".join(f"{i} {i} 0 0 1 -9\n" for i in ids))
    return tmp_path


def split(cohort, *extra, table="clinical.tsv", out="split.tsv"):
    return riata("split", "--clinical", cohort / table, "--id-column", "id", "--outcome", "CHD", *extra,
                 "--out", cohort / out)  # fmt: skip


def features(cohort, *covariates, table="clinical.tsv"):
    assert split(cohort).returncode == 0
    return riata("features", "--clinical", cohort / table, "--id-column", "id", "--outcome", "CHD", *covariates,
                 "--split", cohort / "split.tsv", "--out-dir", cohort / "features")  # fmt: skip


def edit(cohort, change, name="edited.tsv"):
    table = pd.read_csv(cohort / "clinical.tsv", sep="\t", dtype={"id": str})
    change(table)
    table.to_csv(cohort / name, sep="\t", index=False)
    return name


def test_missing_clinical_file(cohort):
    assert_error(split(cohort, table="absent.tsv"), "absent.tsv: table not found", cohort / "split.tsv")


def test_duplicate_ids_in_the_clinical_table(cohort):
    name = edit(cohort, lambda t: t.__setitem__("id", ["p0", *t["id"][1:-1], "p0"]))
    assert_error(split(cohort, table=name), "edited.tsv: duplicate sample id 'p0' in column 'id'", cohort / "split.tsv")


def test_outcome_missing_constant_or_without_the_positive_label(cohort):
    assert_error(split(cohort, table=edit(cohort, lambda t: t.rename(columns={"CHD": "chd"}, inplace=True))),
                 "edited.tsv: outcome column 'CHD' not found")  # fmt: skip
    assert_error(split(cohort, table=edit(cohort, lambda t: t.__setitem__("CHD", 1))),
                 "edited.tsv: outcome column 'CHD' is constant")  # fmt: skip
    assert_error(split(cohort, "--positive-label", "yes"),
                 "clinical.tsv: outcome column 'CHD' has labels ['0', '1'], not the positive label 'yes'")  # fmt: skip


def test_shares_and_too_few_positives(cohort):
    assert_error(split(cohort, "--validation-share", "0.6", "--test-share", "0.4"),
                 "split: validation_share + test_share is 1; it must be below 1", cohort / "split.tsv")  # fmt: skip
    few = edit(cohort, lambda t: t.__setitem__("CHD", [1] * 3 + [0] * 57))
    assert_error(split(cohort, table=few), "split: only 3 positive sample(s); a stratified split with these shares "
                 "needs at least 6", cohort / "split.tsv")  # fmt: skip


def test_fam_problems_and_too_few_matched_samples(cohort):
    (cohort / "dup.fam").write_text("a p0 0 0 1 -9\nb p0 0 0 1 -9\n")
    assert_error(split(cohort, "--genotypes", cohort / "dup"), "dup.fam: duplicate sample id 'p0' in column IID")
    (cohort / "short.fam").write_text("p0 p0 0 0 1\n")
    assert_error(split(cohort, "--genotypes", cohort / "short"), "short.fam: line 1: expected 6 columns, found 5")
    (cohort / "few.fam").write_text("".join(f"p{i} p{i} 0 0 1 -9\n" for i in range(10)))
    assert_error(split(cohort, "--genotypes", cohort / "few"),
                 "only 10 samples are in both the clinical table and the genotypes (50 only clinical, 0 only "
                 "genotyped); at least 50 needed", cohort / "split.tsv")  # fmt: skip


def test_covariate_problems(cohort):
    out = cohort / "features"
    assert_error(features(cohort, "--numeric", "AGE", "BMI"), "declared covariate column 'BMI' not found", out)
    text = edit(cohort, lambda t: t.__setitem__("AGE", ["fifty", *t["AGE"][1:]]))
    assert_error(features(cohort, "--numeric", "AGE", table=text),
                 "edited.tsv: line 2: numeric column 'AGE' has non-numeric value 'fifty'", out)  # fmt: skip
    for value in ("inf", "1e400"):
        huge = edit(cohort, lambda t, value=value: t.__setitem__("AGE", [value, *t["AGE"][1:]]))
        message = "edited.tsv: line 2: numeric column 'AGE' has an infinite or too large value"
        assert_error(features(cohort, "--numeric", "AGE", table=huge), message, out)
    empty = edit(cohort, lambda t: t.__setitem__("AGE", np.nan))
    assert_error(features(cohort, "--numeric", "AGE", table=empty),
                 "edited.tsv: covariate column 'AGE' has no values (all missing)", out)  # fmt: skip
    gap = edit(cohort, lambda t: t.__setitem__("AGE", [np.nan, *t["AGE"][1:]]))
    refusal = "edited.tsv: line 2: column 'AGE' has a missing value and clinical.missing is refuse"
    assert_error(features(cohort, "--numeric", "AGE", "--missing", "refuse", table=gap), refusal, out)


def test_bed_problems(tiny_cohort, tmp_path):
    for suffix in [".bim", ".fam"]:
        shutil.copy(tiny_cohort / f"genotypes{suffix}", tmp_path / f"bad{suffix}")
    split_table = tmp_path / "split.tsv"
    assert riata("split", "--clinical", tiny_cohort / "clinical.tsv", "--id-column", "sample_id", "--outcome", "CHD",
                 "--out", split_table).returncode == 0  # fmt: skip
    bed = (tiny_cohort / "genotypes.bed").read_bytes()

    def qc():
        return riata("qc", "--genotypes", tmp_path / "bad", "--split", split_table, "--out-dir", tmp_path / "qc")

    (tmp_path / "bad.bed").write_bytes(bed[:-10])
    assert_error(qc(), "bad.bed: size", tmp_path / "qc")
    (tmp_path / "bad.bed").write_bytes(bed)
    lines = (tiny_cohort / "genotypes.bim").read_text().splitlines()
    (tmp_path / "bad.bim").write_text("\n".join([lines[0] + "\textra", *lines[1:]]) + "\n")
    assert_error(qc(), "bad.bim: line 1: expected 6 columns, found 7", tmp_path / "qc")


def test_training_names_and_lambdas(tmp_path):
    out = tmp_path / "models"
    base = ["train", "--features", tmp_path, "--out-dir", out]
    assert_error(riata(*base, "--feature-set", "clinical", "--penalty", "lasso"), "unknown penalty 'lasso'", out)
    assert_error(riata(*base, "--feature-set", "clinical", "--penalty", "l1", "--lambda-max", "-1"),
                 "training: lambda_max must be positive, got -1", out)  # fmt: skip
    assert_error(riata(*base, "--feature-set", "clinicals", "--penalty", "l1"), "unknown feature set 'clinicals'", out)


CONFIG_PROBLEMS = [
    (lambda c: c.update(trainig={}), "unknown key 'trainig' (did you mean 'training'?)"),
    (
        lambda c: c["training"].update(penalty=["l1"]),
        "unknown key 'training.penalty' (did you mean 'training.penalties'?)",
    ),
    (lambda c: c["training"].update(penalties=["lasso"]), "training.penalties.0: 'lasso' is not one of"),
    (lambda c: c["training"].update(feature_sets=["x"]), "training.feature_sets.0: 'x' is not one of"),
    (lambda c: c["training"].update(lambda_max=-0.1), "training.lambda_max: -0.1 is less than or equal to the minimum"),
    (lambda c: c["training"].update(lambda_max="big"), "training.lambda_max: 'big' is not of type 'number', 'null'"),
    (lambda c: c.update(cohort="../x"), "cohort '../x' must be a plain name"),
    (lambda c: c["split"].update(validation_share=0.5, test_share=0.5), "split: validation_share + test_share is 1"),
    # Columns that must never be network inputs: with them a model reached AUROC 1.000 and exit 0.
    (
        lambda c: c["clinical"]["numeric"].append("CHD"),
        "clinical: outcome 'CHD' cannot also be a covariate (numeric or categorical)",
    ),
    (
        lambda c: c["clinical"]["categorical"].append("sample_id"),
        "clinical: id_column 'sample_id' cannot also be a covariate (numeric or categorical)",
    ),
    (
        lambda c: c["clinical"]["categorical"].append("AGE"),
        "clinical: column 'AGE' is declared both numeric and categorical",
    ),
    (lambda c: c["split"].update(seed=-1), "split.seed: -1 is less than the minimum of 0"),
    (
        lambda c: c["clinical"].update(positive_label=True),  # `positive_label: yes` unquoted
        "clinical.positive_label: True is not of type 'string'; YAML reads an unquoted yes, no, on, off, true or false"
        ' as a boolean: put the value in quotes, e.g. "yes"',
    ),
]


@pytest.mark.parametrize(("change", "message"), CONFIG_PROBLEMS)
def test_config_problems_name_the_key(tmp_path, change, message):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    change(config)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    assert_error(riata("check", "--config", tmp_path / "config.yaml"), message)


def test_covariates_whose_inputs_would_collide_with_riata_s_own_names(cohort):
    out = cohort / "features"
    renamed = edit(cohort, lambda t: t.rename(columns={"AGE": "genetic_0"}, inplace=True))
    message = "edited.tsv: column 'genetic_0' has a name riata gives its own columns (outcome, outcome_time, sample_id"
    assert_error(features(cohort, "--numeric", "genetic_0", table=renamed), message, out)
    one_hot = edit(cohort, lambda t: t.__setitem__("COLOR_red", t["AGE"]))
    assert_error(features(cohort, "--numeric", "COLOR_red", "--categorical", "COLOR", table=one_hot),
                 "edited.tsv: level 'red' of categorical column 'COLOR' makes the input 'COLOR_red', the same name as "
                 "numeric column 'COLOR_red'", out)  # fmt: skip


def test_check_opens_the_bed_and_matches_samples(tiny_cohort, tmp_path):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["simulate"]["enabled"] = False
    config["clinical"]["path"] = str(tiny_cohort / "clinical.tsv")
    config["genotypes"] = {"path": str(tmp_path / "cohort")}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    for suffix in (".bim", ".fam"):
        shutil.copy(tiny_cohort / f"genotypes{suffix}", tmp_path / f"cohort{suffix}")
    bed = (tiny_cohort / "genotypes.bed").read_bytes()
    (tmp_path / "cohort.bed").write_bytes(bed[:1000])
    assert_error(riata("check", "--config", tmp_path / "config.yaml"), f"cohort.bed: size 1000 bytes does not "
                 f"match 160 samples x 3000 variants ({len(bed)} bytes expected)")  # fmt: skip
    (tmp_path / "cohort.bed").write_bytes(bed)
    fam = (tiny_cohort / "genotypes.fam").read_text().replace("S0", "X0")
    (tmp_path / "cohort.fam").write_text(fam)
    assert_error(riata("check", "--config", tmp_path / "config.yaml"), "cohort.fam: none of its 160 samples is in "
                 "the clinical table")  # fmt: skip
