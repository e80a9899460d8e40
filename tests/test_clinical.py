from pathlib import Path

import pytest

from riata.errors import RiataError
from riata.io.clinical import MISSING_VALUES, read_clinical
from riata.settings import ClinicalSpec

SPEC = ClinicalSpec(id_column="id", outcome="CHD", numeric=["AGE"], categorical=["DIAB"])


def write(tmp_path, text, name="c.tsv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_outcome_numeric_and_categorical(tmp_path):
    path = write(tmp_path, "id\tCHD\tAGE\tDIAB\na\t1\t50\t1.0\nb\t0\t\t0\nc\t\t61\t1\nd\t0\t40\t\n")
    table = read_clinical(path, SPEC)
    frame = table.frame
    assert table.classes == ["0", "1"]
    assert frame.index.tolist() == ["a", "b", "d"]  # c has no outcome
    assert frame["outcome"].tolist() == [1, 0, 0]
    assert frame["AGE"].isna().tolist() == [False, True, False]
    assert frame["DIAB"].tolist()[:2] == ["1", "0"]  # 1.0 and 1 are one level


def test_the_documented_missing_value_codes_are_missing_and_others_are_values(tmp_path):
    rows = "".join(f"p{k},{k % 2},{code},{code}\n" for k, code in enumerate(MISSING_VALUES))
    frame = read_clinical(write(tmp_path, f"id,CHD,AGE,DIAB\n{rows}p98,1,50,.\np99,0,60,-9\n", "c.csv"), SPEC).frame
    assert frame["AGE"].isna().sum() == frame["DIAB"].isna().sum() == len(MISSING_VALUES)
    assert frame["DIAB"].tolist()[-2:] == [".", "-9"]
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert all(f"`{code}`" in readme for code in MISSING_VALUES if code)


def test_csv_and_other_outcome_labels(tmp_path):
    path = write(tmp_path, "id,CHD,AGE,DIAB\na,yes,50,x\nb,no,60,y\n", name="c.csv")
    spec = ClinicalSpec(id_column="id", outcome="CHD", numeric=["AGE"], categorical=["DIAB"], positive_label="yes")
    table = read_clinical(path, spec)
    assert table.frame["outcome"].tolist() == [1, 0]
    assert table.classes == ["no", "yes"]


def test_multiclass_and_continuous_outcomes(tmp_path):
    path = write(tmp_path, "id\tY\tAGE\tDIAB\na\t10\t50\tx\nb\t2\t60\ty\nc\t2.0\t61\tx\nd\t3\t40\ty\n")
    multiclass = read_clinical(
        path,
        ClinicalSpec(id_column="id", outcome="Y", numeric=["AGE"], categorical=["DIAB"], outcome_type="multiclass"),
    )
    assert multiclass.classes == ["2", "3", "10"]  # numeric labels in numeric order; 2 and 2.0 are one class
    assert multiclass.frame["outcome"].tolist() == [2, 0, 0, 1]
    continuous = read_clinical(
        path,
        ClinicalSpec(id_column="id", outcome="Y", numeric=["AGE"], categorical=["DIAB"], outcome_type="continuous"),
    )
    assert continuous.classes == []
    assert continuous.frame["outcome"].tolist() == [10.0, 2.0, 2.0, 3.0]
    text = write(tmp_path, "id\tY\tAGE\tDIAB\na\thigh\t50\tx\nb\t2\t60\ty\n", name="t.tsv")
    with pytest.raises(RiataError, match=r"t\.tsv: line 2: numeric column 'Y' has non-numeric value 'high'"):
        read_clinical(
            text,
            ClinicalSpec(id_column="id", outcome="Y", numeric=["AGE"], categorical=["DIAB"], outcome_type="continuous"),
        )
    with pytest.raises(
        RiataError,
        match="clinical: outcome_type must be one of binary, multiclass, continuous, survival, got 'ordinal'",
    ):
        ClinicalSpec(id_column="id", outcome="Y", outcome_type="ordinal")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ID\tCHD\tAGE\tDIAB\na\t1\t5\t1\n", "c.tsv: id column 'id' not found"),
        ("id\tY\tAGE\tDIAB\na\t1\t5\t1\n", "c.tsv: outcome column 'CHD' not found"),
        ("id\tCHD\tDIAB\na\t1\t1\nb\t0\t1\n", "c.tsv: declared covariate column 'AGE' not found"),
        ("id\tCHD\tAGE\tDIAB\na\t1\t5\t1\na\t0\t6\t1\n", "c.tsv: duplicate sample id 'a' in column 'id'"),
        (
            "id\tCHD\tAGE\tDIAB\na\t1\t5\t1\nb\t0\tfifty\t1\n",
            "c.tsv: line 3: numeric column 'AGE' has non-numeric value 'fifty'",
        ),
        ("id\tCHD\tAGE\tDIAB\na\t1\t\t1\nb\t0\t\t1\n", "c.tsv: covariate column 'AGE' has no values \\(all missing\\)"),
        ("id\tCHD\tAGE\tDIAB\na\t1\t5\t1\nb\t1\t6\t1\n", "c.tsv: outcome column 'CHD' is constant"),
        ("id\tCHD\tAGE\tDIAB\na\t1\t5\t1\nb\t2\t6\t1\nc\t3\t6\t1\n", "c.tsv: outcome column 'CHD' has 3 labels"),
        (
            "id\tCHD\tAGE\tDIAB\na\tx\t5\t1\nb\ty\t6\t1\n",
            "c.tsv: outcome column 'CHD' has labels \\['x', 'y'\\], not the positive label '1'",
        ),
    ],
)
def test_bad_tables_are_refused_naming_file_and_column(tmp_path, text, message):
    with pytest.raises(RiataError, match=message):
        read_clinical(write(tmp_path, text), SPEC)


def test_ids_stay_text(tmp_path):
    path = write(tmp_path, "id\tCHD\tAGE\tDIAB\n007\t1\t5\t1\n8\t0\t6\t1\n")
    assert read_clinical(path, SPEC).frame.index.tolist() == ["007", "8"]
