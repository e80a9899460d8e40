"""The real Framingham table that survset ships, as riata's clinical input."""

import numpy as np
import pytest
import yaml
from conftest import ROOT

from riata.datasets import DAYS_PER_YEAR, framingham_clinical, survset_framingham
from riata.io.clinical import OUTCOME, OUTCOME_TIME, read_clinical
from riata.settings import ClinicalSpec, from_config


@pytest.fixture(scope="module")
def survset():
    return survset_framingham()


def test_the_binary_outcome_is_chd_within_the_horizon_and_censored_people_are_missing(survset):
    clinical = framingham_clinical(survset, horizon=10)
    years = survset["time"].to_numpy() / DAYS_PER_YEAR
    event = survset["event"].to_numpy() == 1
    assert len(clinical) == len(survset) and clinical["sample_id"].is_unique
    assert (clinical["CHD10"][event & (years <= 10)] == 1).all()
    assert (clinical["CHD10"][years > 10] == 0).all()
    assert clinical["CHD10"][~event & (years <= 10)].isna().all()
    np.testing.assert_allclose(clinical["TIMECHD"], years, atol=5e-5)
    assert clinical["SYSBP"].tolist() == survset["num_sbp"].astype(float).tolist()
    assert clinical["TOTCHOL"].isna().sum() == survset["num_scl"].isna().sum()


@pytest.mark.parametrize("config_name", ["framingham.yaml", "framingham_survival.yaml"])
def test_the_shipped_configs_read_the_table(survset, tmp_path, config_name):
    path = tmp_path / "clinical.tsv"
    framingham_clinical(survset).to_csv(path, sep="\t", index=False)
    section = yaml.safe_load((ROOT / "config" / config_name).read_text())["clinical"]
    table = read_clinical(path, from_config(ClinicalSpec, section))
    binary = config_name == "framingham.yaml"
    kept = survset["event"].eq(1) | (survset["time"] / DAYS_PER_YEAR > 10) if binary else survset["event"].notna()
    assert len(table.frame) == kept.sum() and set(table.frame[OUTCOME]) == {0, 1}
    assert binary or (table.frame[OUTCOME_TIME] >= 0).all()
