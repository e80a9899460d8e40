"""scikit-learn contract of riata's estimators, and agreement with scikit-learn's own solvers."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from riata import PenalizedMLPClassifier, PenalizedMLPClassifierCV, PenalizedMLPRegressor, PenalizedMLPRegressorCV
from riata.settings import TrainSettings

SMALL_PATH = {"hidden_layer_sizes": (4,), "n_lambdas": 3, "max_iter": 15, "n_iter_no_change": 5, "learning_rate": 0.1}


# Every check of scikit-learn's suite runs; none is skipped (check_array_api_input skips itself unless
# SCIPY_ARRAY_API is set, which is scikit-learn's own condition). Small settings keep the checks fast.
@parametrize_with_checks(
    [
        PenalizedMLPClassifier(max_iter=200),
        PenalizedMLPRegressor(max_iter=200),
        PenalizedMLPClassifierCV(**SMALL_PATH),
        PenalizedMLPRegressorCV(**SMALL_PATH),
    ]
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_estimator_defaults_are_the_workflows():
    defaults, path = TrainSettings(), PenalizedMLPClassifierCV()
    assert (path.max_iter, path.n_iter_no_change, path.n_lambdas, path.lambda_rule, path.learning_rate) == (
        defaults.max_epochs,
        defaults.patience,
        defaults.n_lambdas,
        defaults.lambda_rule,
        defaults.learning_rate,
    )
    assert PenalizedMLPClassifier().max_iter == defaults.max_epochs


def scaled_classification(seed=0, n_features=8, informative=3):
    x, y = make_classification(
        n_samples=300, n_features=n_features, n_informative=informative, n_redundant=0, shuffle=False, random_state=seed
    )
    return StandardScaler().fit_transform(x), y


def test_without_hidden_layers_l1_classifier_matches_logistic_regression_on_real_flchain(flchain_binary):
    x, y = flchain_binary
    alpha = 0.02
    ours = PenalizedMLPClassifier(
        hidden_layer_sizes=(), penalty="l1", alpha=alpha, batch_size=len(y), learning_rate=1.0, momentum=0.0,
        max_iter=4000, random_state=0,
    ).fit(x, y)  # fmt: skip
    reference = LogisticRegression(l1_ratio=1.0, C=1 / (len(y) * alpha), solver="saga", tol=1e-10, max_iter=100_000)
    reference.fit(x, y)
    np.testing.assert_allclose(ours.first_layer_weights_[:, 0], reference.coef_[0], atol=1e-3)
    np.testing.assert_allclose(ours.intercepts_[-1], reference.intercept_, atol=1e-3)
    np.testing.assert_array_equal(ours.support_, reference.coef_[0] != 0)
    np.testing.assert_allclose(ours.predict_proba(x), reference.predict_proba(x), atol=1e-3)


def test_group_lasso_selects_the_informative_features_and_reports_groups():
    x, y = scaled_classification(n_features=10, informative=3)
    model = PenalizedMLPClassifier(
        hidden_layer_sizes=(8,), penalty="group_lasso", alpha=0.01, groups=list("aabbccddee")[:10], max_iter=300,
        random_state=1,
    ).fit(x, y)  # fmt: skip
    assert model.groups_ == list("abcde")
    assert model.group_norms_.shape == (5,)
    assert np.array_equal(model.support_[::2], model.support_[1::2])  # groups kept whole
    assert {"x0", "x1"} <= set(model.selected_features_)  # the first (informative) features' group is kept
    assert model.score(x, y) > 0.85
    assert model.n_iter_ == 300 and model.first_layer_weights_.shape == (10, 8)


def test_clone_pickle_pipeline_and_grid_search():
    x, y = scaled_classification()
    model = PenalizedMLPClassifier(hidden_layer_sizes=(4,), alpha=0.01, max_iter=50, random_state=0)
    restored = pickle.loads(pickle.dumps(model.fit(x, y)))
    np.testing.assert_array_equal(restored.predict_proba(x), model.predict_proba(x))
    assert clone(model).get_params() == model.get_params()
    pipeline = make_pipeline(StandardScaler(), clone(model))
    search = GridSearchCV(pipeline, {"penalizedmlpclassifier__alpha": [0.001, 0.1]}, cv=2).fit(x, y)
    assert search.best_params_["penalizedmlpclassifier__alpha"] in (0.001, 0.1)


def test_early_stopping_keeps_the_best_epoch():
    x, y = scaled_classification(seed=3)
    model = PenalizedMLPClassifier(
        hidden_layer_sizes=(32,), alpha=0.0, penalty="none", early_stopping=True, n_iter_no_change=5, max_iter=500,
        learning_rate=0.1, random_state=0,
    ).fit(x, y)  # fmt: skip
    assert model.n_iter_ < 500
    assert model.best_epoch_ == model.n_iter_ - 5


def test_regressor_with_absolute_loss_and_every_layer_penalised():
    x, y = make_regression(n_samples=300, n_features=5, n_informative=2, noise=1.0, random_state=0)
    x = StandardScaler().fit_transform(x)
    y = (y - y.mean()) / y.std()
    model = PenalizedMLPRegressor(
        hidden_layer_sizes=(8, 8), penalty="l1", alpha=0.003, penalised_layers="all", loss="absolute",
        max_iter=300, random_state=0,
    ).fit(x, y)  # fmt: skip
    assert model.score(x, y) > 0.9
    assert sum((w == 0).sum() for w in model.coefs_) > 0


def test_bad_parameters_are_refused_at_fit():
    x, y = scaled_classification()
    with pytest.raises(ValueError, match="training: mode must be one of proximal, subgradient"):
        PenalizedMLPClassifier(mode="exact").fit(x, y)
    with pytest.raises(ValueError, match="groups has 2 labels for 8 features"):
        PenalizedMLPClassifier(groups=["a", "b"]).fit(x, y)


def test_path_classifier_chooses_lambda_and_names_the_kept_columns():
    x, y = scaled_classification(n_features=6, informative=2)
    frame = pd.DataFrame(x, columns=["age", "bmi", "noise_a", "noise_b", "noise_c", "noise_d"])
    model = PenalizedMLPClassifierCV(**SMALL_PATH, relax=True, random_state=0)  # the relaxed path
    path = model.path(frame, y)
    assert path is model.path_ and path["lambda"].is_monotonic_decreasing
    assert {"lambda", "validation_loss", "validation_loss_se", "n_selected", "selected", "chosen"} <= set(path)
    assert path["selected"].iloc[0] == [] and path["n_selected"].iloc[0] == 0  # the path ends empty
    assert model.lambda_ == path.loc[path["chosen"], "lambda"].item() and model.lambda_ in model.lambdas_
    chosen = path.loc[path["chosen"]].iloc[0]
    assert list(model.selected_features_) == chosen["selected"] and {"age", "bmi"} <= set(chosen["selected"])
    assert model.score(frame, y) > 0.8 and model.predict_proba(frame).shape == (300, 2)


def test_path_estimators_cross_validate_and_work_in_pipeline_and_grid_search():
    x, y = scaled_classification(n_features=5, informative=2)
    folds = PenalizedMLPClassifierCV(**SMALL_PATH, cv=3, random_state=0).fit(x, y)
    single = PenalizedMLPClassifierCV(**SMALL_PATH, random_state=0).fit(x, y)
    np.testing.assert_array_equal(folds.lambdas_, single.lambdas_)  # the same grid, other validation metrics
    assert not np.allclose(folds.path_["validation_loss"], single.path_["validation_loss"])
    pipeline = make_pipeline(StandardScaler(), PenalizedMLPClassifierCV(**SMALL_PATH, random_state=0))
    search = GridSearchCV(pipeline, {"penalizedmlpclassifiercv__lambda_rule": ["best", "one_se"]}, cv=2).fit(x, y)
    assert search.best_params_["penalizedmlpclassifiercv__lambda_rule"] in ("best", "one_se")
    target = x[:, 0] - 0.5 * x[:, 1] ** 2
    regression = PenalizedMLPRegressorCV(**SMALL_PATH, selection_metric="r2", random_state=0).fit(x, target)
    assert regression.score(x, target) > 0.7 and {"x0", "x1"} <= set(regression.selected_features_)
