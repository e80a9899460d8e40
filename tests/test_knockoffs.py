"""Model-X knockoffs: the sampler's joint covariance, the knockoff+ threshold against knockpy's, and the
selection on a cohort whose causal variables are known."""

import numpy as np
import pandas as pd
import pytest
from knockpy.knockoff_stats import data_dependent_threshhold

from riata.errors import RiataError
from riata.knockoffs import (
    GaussianKnockoffs,
    deeppink_importance,
    knockoff_plus_threshold,
    knockoff_selection,
    with_knockoff_columns,
)
from riata.report import knockoff_models, stability_table
from riata.settings import KnockoffSettings, TrainSettings
from riata.tasks import Task


@pytest.mark.parametrize("fdr", [0.1, 0.2, 0.3])
def test_the_knockoff_plus_filter_keeps_what_knockpy_keeps(fdr):
    rng = np.random.default_rng(0)
    compared = 0
    for _ in range(300):
        p = int(rng.integers(5, 60))
        statistics = rng.normal(loc=rng.uniform(0, 2), size=p)
        statistics[rng.random(p) < 0.2] = 0.0  # variables neither network used
        ours = statistics >= knockoff_plus_threshold(statistics, fdr)
        theirs = statistics >= data_dependent_threshhold(statistics, fdr=fdr)
        np.testing.assert_array_equal(ours, theirs)
        compared += ours.any()
    assert compared > 50  # many draws select something, so the comparison is not only of empty sets


def test_the_threshold_needs_one_over_q_positive_statistics():
    assert knockoff_plus_threshold(np.arange(1.0, 10.0), 0.1) == np.inf  # 9 positives, none negative: (1+0)/9 > 0.1
    assert knockoff_plus_threshold(np.arange(1.0, 11.0), 0.1) == 1.0  # 10 positives: all kept


def test_gaussian_knockoffs_have_the_joint_covariance_of_knockoffs():
    """Cov([X, X~]) = [[Sigma, Sigma - S], [Sigma - S, Sigma]], with one two-column group (as a one-hot
    variable), on 40,000 samples."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40_000, 5)) @ np.array(
        [[1, 0.6, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 2, 0.5, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]]
    )
    knockoffs = GaussianKnockoffs.fit(x, np.array([1, 2, 3, 3, 4]), "mvr")
    fake = knockoffs.sample(x, np.random.default_rng(4))
    joint = np.cov(np.hstack([x, fake]).T)
    sigma, s = knockoffs.covariance, knockoffs.s_matrix
    np.testing.assert_allclose(joint[5:, 5:], sigma, atol=0.06)
    np.testing.assert_allclose(joint[:5, 5:], sigma - s, atol=0.06)
    assert s[2, 3] != 0 and s[0, 1] == 0  # the group's block is one, other variables are on their own
    assert np.diag(s).min() > 0.2  # knockoffs that differ from their variables


def test_the_s_matrix_is_the_same_in_every_run_and_the_global_random_state_is_left_alone():
    """knockpy's MVR solver shuffles with numpy's global random state: unseeded, two fits on the same data
    differed by 1e-3 and the knockoff selections of a benchmark changed between runs."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 8))
    x[:, 1] += x[:, 0]
    x[:, 3] += x[:, 2]
    groups = np.array([1, 2, 3, 3, 4, 5, 6, 6])
    np.random.seed(1)
    first = GaussianKnockoffs.fit(x, groups, "mvr").s_matrix
    np.random.seed(2)
    expected_next = np.random.random()
    np.random.seed(2)
    second = GaussianKnockoffs.fit(x, groups, "mvr").s_matrix
    np.testing.assert_array_equal(first, second)
    assert np.random.random() == expected_next


def test_deeppink_importance_is_the_product_of_absolute_weights():
    first, second = np.array([[1.0, -2.0], [0.0, 0.0], [0.5, 0.5]]), np.array([[3.0], [-1.0]])
    np.testing.assert_allclose(deeppink_importance([first, second]), [5.0, 0.0, 2.0])


def test_a_column_named_like_a_knockoff_is_refused():
    columns = pd.DataFrame({"column": ["AGE", "AGE~knockoff"], "variable": ["AGE", "X"], "source": "clinical"})
    with pytest.raises(RiataError, match="'AGE~knockoff' has the name of a knockoff column"):
        with_knockoff_columns(columns)


def twenty_variables(n: int = 1500) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, list[str]]:
    """Train (first 2/3) and validation tables of 20 standard normal variables (v0 and v1 correlated 0.5) whose
    first 8 have log-odds effects 0.5-1 per SD on a binary outcome; their column metadata; the causal names."""
    rng = np.random.default_rng(11)
    p = 20
    x = rng.normal(size=(n, p))
    x[:, 1] = 0.5 * x[:, 0] + np.sqrt(0.75) * x[:, 1]
    effects = np.zeros(p)
    effects[:8] = [1.0, 0.8, -0.8, 0.7, 0.6, -0.6, 0.5, 0.5]
    outcome = (rng.random(n) < 1 / (1 + np.exp(-(x @ effects)))).astype(int)
    names = [f"v{j}" for j in range(p)]
    frame = pd.DataFrame(x, columns=names).assign(outcome=outcome)
    tables = {"train": frame.iloc[: 2 * n // 3], "validation": frame.iloc[2 * n // 3 :]}
    columns = pd.DataFrame({"column": names, "variable": names, "source": "clinical"})
    return tables, columns, names[:8]


def test_knockoff_selection_finds_the_strong_effects_and_few_null_variables():
    """20 variables (one pair correlated 0.5), 8 with log-odds effects 0.5-1 per SD: at q = 0.2 the filter keeps
    most of the 8 and at most 2 of the 12 null variables; the selection reaches stability.tsv's rows."""
    tables, columns, causal = twenty_variables()
    names = columns["column"].tolist()
    training = TrainSettings(hidden_layers=(8,), n_lambdas=12, max_epochs=150, patience=15)
    table = knockoff_selection(tables, columns, task=Task("binary"), seeds=[5], training=training,
                               knockoffs=KnockoffSettings(fdr=(0.2,)))  # fmt: skip
    assert list(table["variable"]) == names and (table["seed"] == 5).all()
    kept = set(table.loc[table["selected_q0.2"] == 1, "variable"])
    assert len(kept & set(causal)) >= 6, kept
    assert len(kept - set(causal)) <= 2, kept
    np.testing.assert_allclose(table["statistic"], table["importance"] - table["knockoff_importance"])

    models, inputs = knockoff_models(table.assign(feature_set="clinical"))
    assert models[["penalty", "seed"]].values.tolist() == [["knockoff+ q=0.2", 5]]
    stability = stability_table(models, inputs)
    assert set(stability.loc[stability["selected"] == 1, "variable"]) == kept


def test_the_equicorrelated_s_matrix_is_one_correlation_for_every_variable():
    """method equicorrelated: S = s x diag(Sigma) with one s; MVR gives each variable its own."""
    tables, columns, _ = twenty_variables()
    x_train, groups = tables["train"][columns["column"]].to_numpy(), np.arange(1, 21)
    ratios = {}
    for method in ("equicorrelated", "mvr"):
        sampler = GaussianKnockoffs.fit(x_train, groups, method)
        ratios[method] = np.diag(sampler.s_matrix) / np.diag(sampler.covariance)
    np.testing.assert_allclose(ratios["equicorrelated"], ratios["equicorrelated"][0], rtol=1e-6)
    assert np.ptp(ratios["mvr"]) > 0.05, ratios["mvr"]


def test_the_knockoffs_settings_change_the_network_and_the_knockoffs():
    """penalty, lambda_rule and method each reach the selection: against the defaults, one_se chooses a larger
    lambda from the same path, and l1 or equicorrelated knockoffs give other statistics."""
    tables, columns, _ = twenty_variables(n=900)
    training = TrainSettings(hidden_layers=(8,), n_lambdas=8, max_epochs=60, patience=10)

    def selection(**changed):
        knockoffs = KnockoffSettings(fdr=(0.2,), **changed)
        return knockoff_selection(tables, columns, task=Task("binary"), seeds=[3], training=training,
                                  knockoffs=knockoffs)  # fmt: skip

    default = selection()
    one_se = selection(lambda_rule="one_se")
    assert one_se["lambda"].iloc[0] > default["lambda"].iloc[0]
    for changed in ({"penalty": "l1"}, {"method": "equicorrelated"}):
        other = selection(**changed)
        assert not np.allclose(other["statistic"], default["statistic"]), changed
