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


def test_deeppink_importance_is_the_product_of_absolute_weights():
    first, second = np.array([[1.0, -2.0], [0.0, 0.0], [0.5, 0.5]]), np.array([[3.0], [-1.0]])
    np.testing.assert_allclose(deeppink_importance([first, second]), [5.0, 0.0, 2.0])


def test_a_column_named_like_a_knockoff_is_refused():
    columns = pd.DataFrame({"column": ["AGE", "AGE~knockoff"], "variable": ["AGE", "X"], "source": "clinical"})
    with pytest.raises(RiataError, match="'AGE~knockoff' has the name of a knockoff column"):
        with_knockoff_columns(columns)


def test_knockoff_selection_finds_the_strong_effects_and_few_null_variables():
    """20 variables (one pair correlated 0.5), 8 with log-odds effects 0.5-1 per SD: at q = 0.2 the filter keeps
    most of the 8 and at most 2 of the 12 null variables; the selection reaches stability.tsv's rows."""
    rng = np.random.default_rng(11)
    n, p = 1500, 20
    x = rng.normal(size=(n, p))
    x[:, 1] = 0.5 * x[:, 0] + np.sqrt(0.75) * x[:, 1]
    effects = np.zeros(p)
    effects[:8] = [1.0, 0.8, -0.8, 0.7, 0.6, -0.6, 0.5, 0.5]
    outcome = (rng.random(n) < 1 / (1 + np.exp(-(x @ effects)))).astype(int)
    names = [f"v{j}" for j in range(p)]
    frame = pd.DataFrame(x, columns=names).assign(outcome=outcome)
    tables = {"train": frame.iloc[:1000], "validation": frame.iloc[1000:]}
    columns = pd.DataFrame({"column": names, "variable": names, "source": "clinical"})
    training = TrainSettings(hidden_layers=(8,), n_lambdas=12, max_epochs=150, patience=15)
    table = knockoff_selection(tables, columns, task=Task("binary"), seeds=[5], training=training,
                               knockoffs=KnockoffSettings(fdr=(0.2,)))  # fmt: skip
    assert list(table["variable"]) == names and (table["seed"] == 5).all()
    kept = set(table.loc[table["selected_q0.2"] == 1, "variable"])
    assert len(kept & set(names[:8])) >= 6, kept
    assert len(kept - set(names[:8])) <= 2, kept
    np.testing.assert_allclose(table["statistic"], table["importance"] - table["knockoff_importance"])

    models, inputs = knockoff_models(table.assign(feature_set="clinical"))
    assert models[["penalty", "seed"]].values.tolist() == [["knockoff+ q=0.2", 5]]
    stability = stability_table(models, inputs)
    assert set(stability.loc[stability["selected"] == 1, "variable"]) == kept
