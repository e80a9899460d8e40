import numpy as np
import pandas as pd
import pytest

from riata.errors import RiataError
from riata.features import build_design, feature_columns, with_inputs
from riata.io.clinical import ClinicalTable
from riata.settings import ClinicalSpec

SPEC = ClinicalSpec(id_column="id", outcome="y", numeric=["AGE", "BMI"], categorical=["COLOR"])


def example(n=12):
    ids = [f"s{i}" for i in range(n)]
    rng = np.random.default_rng(0)
    clinical = pd.DataFrame(
        {
            "outcome": rng.integers(0, 2, n),
            "AGE": rng.normal(50, 8, n),
            "BMI": rng.normal(25, 4, n),
            "COLOR": rng.choice(["red", "blue"], n).astype(object),
        },
        index=ids,
    )
    split = pd.Series(["train"] * (n // 2) + ["validation"] * (n // 4) + ["test"] * (n - n // 2 - n // 4), index=ids)
    components = pd.DataFrame(rng.normal(size=(n, 2)), index=ids, columns=["genetic_0", "genetic_1"])
    return clinical, split, components


def build(clinical, split, components):
    inputs = {"genetic": components} if components is not None else None
    return build_design(ClinicalTable(clinical, ["0", "1"], SPEC), split, inputs)


def test_columns_are_named_and_grouped_genetic_first():
    clinical, split, components = example()
    design = build(clinical, split, components)
    assert design.columns["column"].tolist() == ["genetic_0", "genetic_1", "AGE", "BMI", "COLOR_blue", "COLOR_red"]
    assert design.columns["variable"].tolist() == ["genetic_0", "genetic_1", "AGE", "BMI", "COLOR", "COLOR"]
    assert feature_columns(design.columns, "clinical")["column"].tolist() == ["AGE", "BMI", "COLOR_blue", "COLOR_red"]
    assert feature_columns(design.columns, "genetic")["variable"].tolist() == ["genetic_0", "genetic_1"]
    assert design.parameters["outcome"] == {"type": "binary", "classes": ["0", "1"]}
    train = design.tables["train"]
    np.testing.assert_allclose(train[["AGE", "BMI", "genetic_0"]].mean(), 0, atol=1e-12)
    np.testing.assert_allclose(train[["AGE", "BMI", "genetic_0"]].std(ddof=0), 1)


def test_imputation_and_unseen_levels():
    clinical, split, components = example()
    clinical.loc["s0", "AGE"] = np.nan
    clinical.loc["s11", "COLOR"] = "green"  # a test sample with a level unseen in training
    design = build(clinical, split, components)
    train_ids = split.index[split == "train"]
    median = clinical.loc[train_ids, "AGE"].median()
    mean, scale = design.parameters["numeric"]["AGE"]["mean"], design.parameters["numeric"]["AGE"]["scale"]
    assert design.tables["train"].loc["s0", "AGE"] == pytest.approx((median - mean) / scale)
    assert design.tables["test"].loc["s11", ["COLOR_blue", "COLOR_red"]].tolist() == [0.0, 0.0]


def test_nothing_about_held_out_samples_changes_what_is_fitted():
    clinical, split, components = example()
    changed_clinical, changed_components = clinical.copy(), components.copy()
    held_out = split.index[split != "train"]
    changed_clinical.loc[held_out, ["AGE", "BMI"]] = 1e6
    changed_clinical.loc[held_out, "outcome"] = 1 - changed_clinical.loc[held_out, "outcome"]
    changed_components.loc[held_out] = -1e6
    original = build(clinical, split, components)
    changed = build(changed_clinical, split, changed_components)
    assert original.parameters == changed.parameters
    pd.testing.assert_frame_equal(original.tables["train"], changed.tables["train"])


def test_clinical_only_and_missing_inputs():
    clinical, split, _ = example()
    design = build(clinical, split, None)
    assert set(design.columns["source"]) == {"clinical"}
    with pytest.raises(RiataError, match="feature set 'genetic' has no input columns"):
        feature_columns(design.columns, "genetic")
    with pytest.raises(RiataError, match="unknown feature set 'both'"):
        feature_columns(design.columns, "both")
    with pytest.raises(RiataError, match="sample 's0' of the split has no genetic inputs"):
        build(clinical, split, example()[2].drop(index="s0"))


def test_more_inputs_join_every_split_as_variables_of_their_own():
    clinical, split, components = example()
    design = build(clinical, split, components)
    score = pd.DataFrame({"prs": np.arange(len(split), dtype=float)}, index=split.index)
    tables, columns = with_inputs(design.tables, design.columns, score, "prs")
    assert columns.iloc[-1].tolist() == ["prs", "prs", "prs"]
    assert tables["test"]["prs"].tolist() == score.loc[tables["test"].index, "prs"].tolist()
    assert feature_columns(columns, "clinical_prs")["column"].tolist()[:2] == ["prs", "AGE"]  # the score first
    with pytest.raises(RiataError, match="features: prs inputs lack train samples"):
        with_inputs(design.tables, design.columns, score.iloc[1:], "prs")
