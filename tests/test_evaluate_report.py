import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)

from riata.evaluate import dead_units, group_norms, resample_metrics, selected_variables
from riata.report import (
    comparison_markdown,
    order_comparison,
    stability_selection_bounds,
    stability_table,
    summarise_over_seeds,
)
from riata.tasks import Task


def test_binary_metrics_on_a_small_example():
    outcome = np.array([0, 0, 1, 1])
    probability = np.array([0.1, 0.6, 0.4, 0.9])
    metrics = Task("binary").metrics(outcome, probability)
    assert metrics["accuracy"] == 0.5
    assert metrics["auroc"] == 0.75
    assert metrics["average_precision"] == pytest.approx((1 + 2 / 3) / 2)
    assert metrics["loss"] == pytest.approx(-np.mean(np.log([0.9, 0.4, 0.4, 0.9])))


def test_multiclass_and_continuous_metrics():
    target = np.array([0, 1, 2, 2])
    probabilities = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
    metrics = Task("multiclass", n_classes=3).metrics(target, probabilities)
    assert metrics["accuracy"] == 0.75
    assert metrics["loss"] == pytest.approx(-np.mean(np.log([0.7, 0.5, 0.8, 0.3])))
    assert 0.5 < metrics["auroc"] <= 1
    regression = Task("continuous").metrics(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 2.0]))
    assert regression["rmse"] == pytest.approx(np.sqrt((0.25 + 1) / 3))
    assert regression["mae"] == pytest.approx(0.5)
    assert regression["r2"] == pytest.approx(1 - 1.25 / 2)
    absolute = Task("continuous", regression_loss="absolute")
    assert absolute.metrics(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 2.0]))["loss"] == pytest.approx(0.5)


def test_vectorised_bootstrap_metrics_equal_scikit_learn_on_every_resample():
    rng = np.random.default_rng(3)
    outcome = rng.integers(0, 2, 300)
    # rounded probabilities tie across samples as well as within a resample's repeated draws
    probability = np.round(1 / (1 + np.exp(-(outcome + rng.normal(size=300)))), 2)
    indices = rng.integers(0, 300, size=(50, 300))
    scores = resample_metrics(Task("binary"), outcome, probability, indices)
    for row, rows in enumerate(indices):
        y, p = outcome[rows], probability[rows]
        assert scores["auroc"][row] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
        assert scores["average_precision"][row] == pytest.approx(average_precision_score(y, p), abs=1e-12)
        assert scores["accuracy"][row] == pytest.approx(accuracy_score(y, p >= 0.5), abs=1e-12)


def test_vectorised_multiclass_and_continuous_bootstrap_metrics_equal_scikit_learn():
    rng = np.random.default_rng(4)
    classes = rng.integers(0, 4, 120)
    logits = rng.normal(size=(120, 4)) + np.eye(4)[classes]
    probability = np.round(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True), 2)  # ties, rows sum ~1
    probability /= probability.sum(axis=1, keepdims=True)
    outcome = rng.normal(size=120)
    prediction = outcome + rng.normal(size=120)
    indices = rng.integers(0, 120, size=(40, 120))
    multiclass = resample_metrics(Task("multiclass", n_classes=4), classes, probability, indices)
    continuous = resample_metrics(Task("continuous"), outcome, prediction, indices)
    assert set(multiclass) == {"accuracy", "auroc"} and set(continuous) == {"rmse", "mae", "r2"}
    for row, rows in enumerate(indices):
        y, p = classes[rows], probability[rows]
        assert multiclass["auroc"][row] == pytest.approx(roc_auc_score(y, p, multi_class="ovr"), abs=1e-12)
        assert multiclass["accuracy"][row] == pytest.approx(accuracy_score(y, p.argmax(axis=1)), abs=1e-12)
        t, q = outcome[rows], prediction[rows]
        assert continuous["rmse"][row] == pytest.approx(np.sqrt(mean_squared_error(t, q)), rel=1e-10)
        assert continuous["mae"][row] == pytest.approx(mean_absolute_error(t, q), rel=1e-10)
        assert continuous["r2"][row] == pytest.approx(r2_score(t, q), rel=1e-10)


def test_multiclass_loss_needs_no_renormalising_by_scikit_learn(recwarn):
    """Probabilities clipped away from 0 are renormalised before the log loss: no scikit-learn warning."""
    probability = np.array([[1.0, 0.0, 0.0], [0.2, 0.5, 0.3], [0.0, 0.0, 1.0]])
    loss = Task("multiclass", n_classes=3).metrics(np.array([0, 1, 2]), probability)["loss"]
    assert loss == pytest.approx(-np.log(0.5) / 3, abs=1e-5)
    assert not [w for w in recwarn if "sum to one" in str(w.message)]


def test_auroc_standard_error_is_close_to_the_bootstrap():
    rng = np.random.default_rng(0)
    outcome = rng.integers(0, 2, 400)
    probability = 1 / (1 + np.exp(-(outcome + rng.normal(size=400))))
    task = Task("binary")
    standard_error = task.standard_errors(outcome, probability)["auroc"]
    draws = [rng.integers(0, 400, 400) for _ in range(400)]
    bootstrap = np.std([task.metrics(outcome[d], probability[d])["auroc"] for d in draws])
    assert standard_error == pytest.approx(bootstrap, rel=0.2)
    loss_error = task.standard_errors(outcome, probability)["loss"]
    assert loss_error == pytest.approx(task.sample_losses(outcome, probability).std(ddof=1) / 20)


def test_selected_variables_group_one_hot_rows():
    layer = pd.DataFrame(
        [[0.0, 0.0], [0.0, 0.3], [0.0, 0.0], [0.0, 0.0], [1.0, 0.0]], index=["AGE", "COL_a", "COL_b", "SEX", "BMI"]
    )
    variable_of = pd.Series(["AGE", "COL", "COL", "SEX", "BMI"], index=layer.index)
    assert selected_variables(layer, variable_of) == ["COL", "BMI"]
    assert selected_variables(layer, variable_of, threshold=0.5) == ["BMI"]
    assert group_norms(layer, variable_of).to_dict() == {"AGE": 0.0, "COL": 0.3, "SEX": 0.0, "BMI": 1.0}


def test_dead_units_count_hidden_units_without_inputs_or_outputs():
    first = np.array([[1.0, 0.0, 2.0], [0.5, 0.0, 0.0]])  # unit 1 gets no input
    second = np.array([[1.0], [1.0], [0.0]])  # unit 2 sends no output
    assert dead_units([first, second]) == 2
    assert dead_units([np.ones((2, 3)), np.ones((3, 1))]) == 0


def comparison_rows():
    rows = []
    for feature_set in ["clinical_genetic", "clinical"]:
        for penalty in ["group_lasso", "none"]:
            for seed in [2, 1]:
                rows.append(
                    {"feature_set": feature_set, "penalty": penalty, "seed": seed, "lambda": 0.01 * seed,
                     "best_epoch": 10, "accuracy": 0.7 + 0.01 * seed, "auroc": 0.8, "average_precision": 0.6,
                     "n_inputs": 3, "n_selected": seed, "selected": "AGE;SEX"[: 3 * seed + (seed - 1)]}
                )  # fmt: skip
    return pd.DataFrame(rows)


def test_rows_follow_feature_set_then_penalty_then_seed():
    ordered = order_comparison(comparison_rows())
    assert list(zip(ordered["feature_set"], ordered["penalty"], ordered["seed"], strict=True))[:3] == [
        ("clinical", "none", 1),
        ("clinical", "none", 2),
        ("clinical", "group_lasso", 1),
    ]
    summary = summarise_over_seeds(ordered)
    assert summary["accuracy_mean"].iloc[0] == pytest.approx(0.715)
    assert summary["seeds"].tolist() == [2, 2, 2, 2]


def test_markdown_has_a_summary_and_every_seed():
    text = comparison_markdown(order_comparison(comparison_rows()))
    assert "| clinical | none | 2 | 0.715 ± 0.007 |" in text
    assert "| clinical_genetic | group_lasso | 2 | 0.02 | 10 | 0.720 | 0.800 | 0.600 | 2 / 3 | AGE, SEX |" in text


def test_stability_table_adds_refit_frequencies_where_there_are_refits():
    comparison = pd.DataFrame({"feature_set": "clinical", "penalty": ["none", "group_lasso"], "seed": 1,
                               "selected": ["AGE;SEX", "AGE"]})  # fmt: skip
    columns = pd.DataFrame({"column": ["AGE", "SEX"], "variable": ["AGE", "SEX"], "source": "clinical"})
    inputs = {("clinical", penalty, 1): columns for penalty in ["none", "group_lasso"]}
    refits = pd.DataFrame({"feature_set": "clinical", "penalty": "group_lasso", "seed": 1, "variable": ["AGE", "SEX"],
                           "refit_frequency": [1.0, 0.3]})  # fmt: skip
    table = stability_table(comparison, inputs, refits).set_index(["penalty", "variable"])
    assert table.loc[("group_lasso", "AGE"), "selected"] == 1 and table.loc[("group_lasso", "SEX"), "selected"] == 0
    assert table.loc[("group_lasso", "SEX"), "refit_frequency"] == 0.3
    assert table.loc["none", "refit_frequency"].isna().all()
    assert "refit_frequency" not in stability_table(comparison, inputs, refits.iloc[:0]).columns
    assert (table["source"] == "clinical").all()


def test_stability_selection_gives_the_meinshausen_buhlmann_bound():
    """4 variables, refit frequencies 1, 0.9, 0.5, 0.1: stable at 0.8 are AGE and SEX, q = 2.5 kept per refit, and
    the bound is q^2 / ((2 x 0.8 - 1) x 4) = 6.25 / 2.4."""
    stability = pd.DataFrame({"feature_set": "clinical", "penalty": "l1", "seed": 1, "source": "clinical",
                              "variable": ["AGE", "SEX", "BMI", "noise"], "selected": [1, 1, 1, 0],
                              "frequency": [1, 1, 1, 0], "refit_frequency": [1.0, 0.9, 0.5, 0.1]})  # fmt: skip
    (bound,) = stability_selection_bounds(stability).to_dict("records")
    assert bound["stable"] == "AGE, SEX" and bound["variables"] == 4
    assert bound["mean_kept_per_refit"] == pytest.approx(2.5)
    assert bound["expected_false_at_most"] == pytest.approx(6.25 / 2.4)
    text = comparison_markdown(order_comparison(comparison_rows()), stability)
    assert "## Stability selection" in text and "| clinical | l1 | 1 | AGE, SEX | 2.5 | 4 | 2.60 |" in text
