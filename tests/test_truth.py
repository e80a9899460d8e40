"""A truth file of one's own: checked against the data by `riata truth`, then the selections against it."""

import pandas as pd
import pytest
import yaml

from riata.cli import main
from riata.report import truth_table

CLINICAL = "id,CHD,Age (years),smoking,sex\np1,yes,50,current,F\np2,no,61,never,M\n"
BIM = "1\trs1\t0\t100\tA\tG\n1\trs2\t0\t200\tC\tT\n"


def check(tmp_path, truth_text, *extra, name="known.csv"):
    """`riata truth` on ``truth_text`` (and the clinical table and .bim above): exit status, stderr, written truth."""
    (tmp_path / name).write_text(truth_text)
    (tmp_path / "patients.csv").write_text(CLINICAL)
    (tmp_path / "genotypes.bim").write_text(BIM)
    out = tmp_path / "truth.tsv"
    status = main(["truth", "--truth", str(tmp_path / name), "--clinical", str(tmp_path / "patients.csv"), *extra,
                   "--out", str(out)])  # fmt: skip
    return status, out


def test_a_list_of_names_is_a_truth_and_unlisted_clinical_variables_count_as_noise(tmp_path):
    status, out = check(tmp_path, "variable,kind\nAge (years),\nsmoking,clinical\nrs2,snp\n", "--genotypes",
                        str(tmp_path / "genotypes"))  # fmt: skip
    assert status == 0
    truth = pd.read_csv(out, sep="\t")
    assert truth.to_dict("list") == {"variable": ["Age (years)", "smoking", "rs2"], "kind": ["clinical", "clinical",
                                     "snp"], "role": ["causal"] * 3}  # fmt: skip
    inputs = pd.DataFrame({"column": ["genetic_0", "Age (years)", "smoking_current", "smoking_never", "sex_M"],
                           "variable": ["genetic_0", "Age (years)", "smoking", "smoking", "sex"],
                           "source": ["genetic", "clinical", "clinical", "clinical", "clinical"]})  # fmt: skip
    comparison = pd.DataFrame({"feature_set": "clinical_genetic", "penalty": "l1", "seed": [1, 2],
                               "selected": ["genetic_0;Age (years);sex", "smoking"]})  # fmt: skip
    models = {("clinical_genetic", "l1", seed): inputs for seed in (1, 2)}
    checked = truth_table(comparison, models, truth)
    assert checked[["causal", "noise", "true_positives", "false_positives"]].values.tolist() == [
        [2, 1, 1, 1],
        [2, 1, 1, 0],
    ]
    assert checked["precision"].tolist() == [0.5, 1.0] and checked["recall"].tolist() == [0.5, 0.5]
    assert checked["noise_kept"].fillna("").tolist() == ["sex", ""]


@pytest.mark.parametrize(
    ("truth_text", "message"),
    [
        ("name\nAge (years)\n", "a truth file needs a column 'variable' (columns: name)"),
        ("variable\nsmoker\nAge (years)\ncholesterol\n", "2 variables not in {clinical}: smoker, cholesterol (its "
         "columns: id, CHD, Age (years), smoking, sex)"),
        ("variable,role\nsmoking,maybe\n", "column 'role' has 'maybe'; use causal or noise"),
        ("variable\nsmoking\nsmoking\n", "'smoking' is listed twice"),
        ("variable,kind\nrs9,snp\n", "1 SNP id not in {bim}: rs9"),
    ],
)  # fmt: skip
def test_a_bad_truth_file_is_one_error_naming_it(tmp_path, capsys, truth_text, message):
    status, out = check(tmp_path, truth_text, "--genotypes", str(tmp_path / "genotypes"))
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ERROR: ")]
    expected = message.format(clinical=tmp_path / "patients.csv", bim=tmp_path / "genotypes.bim")
    assert status == 2 and errors == [f"ERROR: {tmp_path / 'known.csv'}: {expected}"]
    assert not out.exists()


def test_riata_check_reads_the_configured_truth_as_the_workflow_does(tmp_path, capsys):
    """config truth.path: `riata check` lists what the truth says, and refuses a name the table lacks with the
    truth step's message."""
    patients = pd.DataFrame({"id": [f"p{i}" for i in range(60)], "CHD": ["yes", "no"] * 30,
                             "Age (years)": range(40, 100), "smoking": ["current", "never", "former"] * 20,
                             "sex": ["F", "M"] * 30})  # fmt: skip
    patients.to_csv(tmp_path / "patients.csv", index=False)
    config = {"cohort": "mine", "clinical": {"path": str(tmp_path / "patients.csv"), "id_column": "id",
              "outcome": "CHD", "positive_label": "yes", "numeric": ["Age (years)"], "categorical": ["smoking", "sex"]},
              "training": {"feature_sets": ["clinical"]}}  # fmt: skip
    for truth_text, expected in [("variable,role\nsmoking,causal\nsex,noise\n", None),
                                 ("variable\nsmoker\n", "1 variable not in")]:  # fmt: skip
        (tmp_path / "known.csv").write_text(truth_text)
        config["truth"] = {"path": str(tmp_path / "known.csv")}
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
        status = main(["check", "--config", str(tmp_path / "config.yaml")])
        captured = capsys.readouterr()
        if expected is None:
            assert status == 0, captured.err
            assert f"truth {tmp_path / 'known.csv'}: 1 causal clinical, 1 noise clinical" in captured.out
        else:
            errors = [line for line in captured.err.splitlines() if line.startswith("ERROR: ")]
            assert status == 2 and len(errors) == 1 and expected in errors[0] and "smoker" in errors[0]
