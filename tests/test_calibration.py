"""Calibration of binary outcomes against references: the Brier score and calibration slope against scikit-learn,
the calibration intercept against a root of the offset model's score equation, binned calibration against
scikit-learn's calibration_curve and scipy's Wilson interval, and the decision curve against confusion counts, on
the breast cancer data set scikit-learn ships; then `riata calibration` on small model folders."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq
from scipy.special import expit, logit
from scipy.stats import binomtest
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from test_cli import assert_clean_error, riata

from riata.calibration import (
    CLIP,
    calibration_metrics,
    calibration_table,
    decision_curve,
    threshold_grid,
    wilson_interval,
)
from riata.errors import RiataError
from riata.evaluate import resample_metrics
from riata.tasks import Task


@pytest.fixture(scope="module")
def breast_cancer():
    """Held-out probabilities of a logistic regression on two of the breast cancer features (mean radius and
    texture: a useful model whose probabilities are not all near 0 or 1); y = 1 for a malignant tumour."""
    data = load_breast_cancer()
    x = data.data[:, :2]
    y = 1 - data.target  # scikit-learn codes benign as 1
    rng = np.random.default_rng(0)
    train = rng.permutation(len(y)) < len(y) // 2
    model = LogisticRegression(C=1.0, l1_ratio=0, max_iter=1000).fit(x[train], y[train])
    return y[~train].astype(float), model.predict_proba(x[~train])[:, 1]


def miscalibrated(n=2000, seed=1, shift=0.5, stretch=1.6):
    """Outcomes drawn from true risks, and predictions that are too extreme and too high."""
    rng = np.random.default_rng(seed)
    true_logit = -1 + 1.2 * rng.normal(size=n)
    y = (rng.random(n) < expit(true_logit)).astype(float)
    return y, expit(shift + stretch * true_logit)


# far off: Newton's method from a = 0, b = 1 overshoots without step halving
@pytest.mark.parametrize("case", ["breast_cancer", "miscalibrated", "far_off"])
def test_brier_slope_and_intercept_equal_references(case, breast_cancer):
    y, p = {"breast_cancer": breast_cancer, "miscalibrated": miscalibrated(),
            "far_off": miscalibrated(shift=6, stretch=3)}[case]  # fmt: skip
    metrics = {name: values[0] for name, values in calibration_metrics(y, p).items()}
    assert metrics["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    offset = logit(np.clip(p, CLIP, 1 - CLIP))
    reference = LogisticRegression(C=np.inf, l1_ratio=0, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    reference.fit(offset[:, None], y)
    assert metrics["calibration_slope"] == pytest.approx(reference.coef_[0, 0], abs=1e-6)
    # the offset model's maximum: the root of its score equation sum(y - expit(a + logit p)) = 0
    intercept = brentq(lambda a: np.sum(y - expit(a + offset)), -30, 30, xtol=1e-14)
    assert metrics["calibration_intercept"] == pytest.approx(intercept, abs=1e-8)


def test_perfect_calibration_has_slope_one_and_intercept_zero_and_distortions_are_recovered():
    rng = np.random.default_rng(7)
    p = expit(-1 + 1.5 * rng.normal(size=20000))
    y = (rng.random(len(p)) < p).astype(float)
    perfect = calibration_metrics(y, p)
    assert abs(perfect["calibration_slope"][0] - 1) < 0.1 and abs(perfect["calibration_intercept"][0]) < 0.05
    too_extreme = calibration_metrics(y, expit(2 * logit(p)))["calibration_slope"][0]
    too_high = calibration_metrics(y, expit(logit(p) + 1))["calibration_intercept"][0]
    assert too_extreme == pytest.approx(0.5, abs=0.05) and too_high == pytest.approx(-1, abs=0.05)


def test_bootstrap_resamples_equal_each_resample_fitted_alone(breast_cancer):
    y, p = breast_cancer
    indices = np.random.default_rng(2).integers(0, len(y), size=(20, len(y)))
    scores = resample_metrics(Task("binary"), y, p, indices)
    for row, rows in enumerate(indices):
        alone = calibration_metrics(y[rows], p[rows])
        for name in ("calibration_intercept", "calibration_slope", "brier"):
            assert scores[name][row] == pytest.approx(alone[name][0], abs=1e-9), name


def test_separated_or_constant_predictions_have_no_slope_and_bad_input_stops():
    y, p = np.array([0.0, 0.0, 1.0, 1.0]), np.array([0.1, 0.2, 0.8, 0.9])
    metrics = calibration_metrics(y, p)
    assert np.isnan(metrics["calibration_slope"][0]) and np.isfinite(metrics["calibration_intercept"][0])
    # an empty network predicts one probability for everyone: in rounding, its slope could come out as anything
    y = np.random.default_rng(4).integers(0, 2, 60).astype(float)
    indices = np.random.default_rng(5).integers(0, 60, size=(200, 60))
    constant = resample_metrics(Task("binary"), y, np.full(60, 0.17647), indices)
    assert np.isnan(constant["calibration_slope"]).all()
    assert np.isnan(calibration_metrics(y, np.full(60, 0.3))["calibration_slope"][0])
    expected = np.log(y[indices].mean(axis=1) / (1 - y[indices].mean(axis=1))) - logit(0.17647)
    np.testing.assert_allclose(constant["calibration_intercept"], expected, atol=1e-8)
    with pytest.raises(RiataError, match="a binary outcome is coded 0 or 1"):
        calibration_metrics(np.array([0, 2]), np.array([0.1, 0.2]))
    with pytest.raises(RiataError, match="predicted probabilities must lie in"):
        calibration_table(np.array([0, 1]), np.array([0.1, 1.2]))


def test_binned_calibration_equals_scikit_learns_quantile_bins_and_scipys_wilson_interval():
    y, p = miscalibrated(n=1000)  # 1000 distinct probabilities: ten quantile bins of 100 each
    table = calibration_table(y, p, groups=10)
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="quantile")
    np.testing.assert_allclose(table["observed_risk"], observed, atol=1e-12)
    np.testing.assert_allclose(table["predicted_risk"], predicted, atol=1e-12)
    assert (table["samples"] == 100).all() and table["events"].sum() == y.sum()
    for row in table.itertuples():
        interval = binomtest(row.events, row.samples).proportion_ci(method="wilson")
        assert (row.observed_low, row.observed_high) == pytest.approx((interval.low, interval.high), abs=1e-12)
    low, high = wilson_interval(np.array([0, 5]), np.array([5, 5]))
    assert low[0] == 0 and high[1] == 1


@pytest.mark.parametrize("rounded", [False, True])  # rounded: probabilities tie with thresholds and each other
def test_net_benefit_equals_confusion_counts_and_treat_all_the_prevalence_formula(rounded, breast_cancer):
    y, p = breast_cancer
    p = np.round(p, 2) if rounded else p
    curve = decision_curve(y, p)
    t = threshold_grid()
    assert len(t) == 99 and t[0] == pytest.approx(0.01) and t[-1] == pytest.approx(0.99)
    treated = p[None, :] >= t[:, None]
    true_positives = (treated & (y[None, :] == 1)).sum(axis=1)
    false_positives = (treated & (y[None, :] == 0)).sum(axis=1)
    n = len(y)
    expected = true_positives / n - false_positives / n * t / (1 - t)
    np.testing.assert_allclose(curve["net_benefit"], expected, atol=1e-12)
    prevalence = y.mean()
    np.testing.assert_allclose(curve["treat_all"], prevalence - (1 - prevalence) * t / (1 - t), atol=1e-12)
    assert curve["net_benefit"].iloc[0] > curve["treat_all"].iloc[0] - 0.05  # a useful model, at a low threshold
    with pytest.raises(RiataError, match="thresholds must satisfy"):
        threshold_grid(0.0, 0.5)


def model_folders(tmp_path, outcome: dict, n=200):
    """A features folder (preprocessing.json, columns.tsv) and two model folders (metrics.tsv, predictions.tsv)."""
    features = tmp_path / "features"
    features.mkdir()
    (features / "preprocessing.json").write_text(json.dumps({"outcome": outcome}))
    pd.DataFrame({"column": ["a"], "variable": ["a"], "source": ["clinical"]}).to_csv(
        features / "columns.tsv", sep="\t", index=False
    )
    rng = np.random.default_rng(3)
    folders = []
    for penalty in ("none", "group_lasso"):
        folder = tmp_path / "models" / penalty / "seed1"
        folder.mkdir(parents=True)
        pd.DataFrame([{"feature_set": "clinical", "penalty": penalty, "seed": 1}]).to_csv(
            folder / "metrics.tsv", sep="\t", index=False
        )
        p = rng.uniform(0.05, 0.95, n)
        split = np.where(np.arange(n) < n // 2, "validation", "test")
        predictions = pd.DataFrame({"sample_id": [f"S{i}" for i in range(n)], "split": split,
                                    "outcome": (rng.random(n) < p).astype(int), "probability": p})  # fmt: skip
        predictions.to_csv(folder / "predictions.tsv", sep="\t", index=False)
        folders.append(folder)
    return features, folders


def test_riata_calibration_of_binary_models_writes_the_table_and_both_figures(tmp_path):
    features, folders = model_folders(tmp_path, {"type": "binary", "classes": ["no", "yes"]})
    out = {name: tmp_path / name for name in ("calibration.tsv", "calibration.png", "decision_curve.png")}
    result = riata(
        "calibration",
        *folders,
        "--features",
        features,
        "--drawn",
        1,
        "--out-tsv",
        out["calibration.tsv"],
        "--out-calibration",
        out["calibration.png"],
        "--out-decision-curve",
        out["decision_curve.png"],
    )
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out["calibration.tsv"], sep="\t")
    assert table.columns[:3].tolist() == ["feature_set", "penalty", "seed"] and len(table) == 2 * 10
    test = pd.read_csv(folders[1] / "predictions.tsv", sep="\t").query("split == 'test'")
    expected = calibration_table(test["outcome"].to_numpy(), test["probability"].to_numpy())
    own = table[table["penalty"] == "group_lasso"].reset_index(drop=True)
    np.testing.assert_allclose(own["observed_risk"], expected["observed_risk"], rtol=1e-3)
    for figure in ("calibration.png", "decision_curve.png"):
        assert out[figure].read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("outcome", "figure", "message"),
    [({"type": "binary", "classes": ["no", "yes"]}, [], "calibration: a binary outcome needs --out-decision-curve"),
     ({"type": "binary", "classes": ["no", "yes"]}, ["--out-kaplan-meier", "km.png"],
      "calibration: --out-kaplan-meier is for survival outcomes"),
     ({"type": "multiclass", "classes": ["a", "b", "c"]}, ["--out-decision-curve", "dc.png"],
      "calibration: the outcome is multiclass; calibration is drawn for binary and survival outcomes")],
)  # fmt: skip
def test_riata_calibration_refuses_the_wrong_outcome_or_figure_and_writes_nothing(tmp_path, outcome, figure, message):
    features, folders = model_folders(tmp_path, outcome)
    outputs = [tmp_path / "calibration.tsv", tmp_path / "calibration.png"]
    result = riata(
        "calibration",
        *folders,
        "--features",
        features,
        "--out-tsv",
        outputs[0],
        "--out-calibration",
        outputs[1],
        *[tmp_path / word if word.endswith(".png") else word for word in figure],
    )
    assert_clean_error(result, message, *outputs)
