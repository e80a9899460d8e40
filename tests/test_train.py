import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from riata.errors import RiataError
from riata.penalties import Groups
from riata.settings import TrainSettings
from riata.train import choose_lambda, fit_penalty, fit_stack, lambda_max


def make_data(n=240, p=6, seed=0):
    """Standardized inputs where only the first two columns carry signal; returns torch tensors."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    logits = 1.5 * x[:, 0] - 1.0 * x[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype(np.float32)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def test_batched_models_equal_models_trained_one_by_one():
    x, y = make_data()
    groups = Groups.from_labels([f"v{i}" for i in range(x.shape[1])])
    settings = TrainSettings(hidden_layers=(4,), max_epochs=40, patience=5, batch_size=32)
    lambdas, seeds = np.array([0.05, 0.01, 0.05]), np.array([1, 1, 2])
    together = fit_stack(x, y, x, y, penalty="l1", lambdas=lambdas, seeds=seeds, groups=groups, settings=settings)
    for m in range(3):
        alone = fit_stack(
            x,
            y,
            x,
            y,
            penalty="l1",
            lambdas=lambdas[m : m + 1],
            seeds=seeds[m : m + 1],
            groups=groups,
            settings=settings,
        )
        assert alone.best_epoch[0] == together.best_epoch[m]
        torch.testing.assert_close(alone.network.first_layer[0], together.network.first_layer[m], atol=1e-5, rtol=1e-4)


def test_proximal_training_gives_exact_zeros_for_noise_inputs():
    x, y = make_data(n=600)
    groups = Groups.from_labels([f"v{i}" for i in range(x.shape[1])])
    settings = TrainSettings(hidden_layers=(8,), max_epochs=200, patience=0, batch_size=600, learning_rate=0.2)
    fit = fit_stack(
        x,
        y,
        x,
        y,
        penalty="group_lasso",
        lambdas=np.array([0.02]),
        seeds=np.array([1]),
        groups=groups,
        settings=settings,
    )
    rows = (fit.network.first_layer[0] != 0).any(dim=1).tolist()
    assert rows[:2] == [True, True]  # the two signal inputs stay
    assert sum(rows[2:]) <= 1  # the four noise inputs are (nearly all) exactly zero


def test_l1_without_hidden_layers_matches_scikit_learn():
    """No hidden layer: the network is L1 logistic regression; mean loss + lam * |w|_1 <=> C = 1 / (n lam)."""
    x, y = make_data(n=300, p=5, seed=2)
    lam = 0.03
    groups = Groups.from_labels([f"v{i}" for i in range(5)])
    settings = TrainSettings(
        hidden_layers=(), max_epochs=4000, patience=0, batch_size=300, learning_rate=1.0, momentum=0.0
    )
    fit = fit_stack(
        x, y, x, y, penalty="l1", lambdas=np.array([lam]), seeds=np.array([1]), groups=groups, settings=settings
    )
    reference = LogisticRegression(l1_ratio=1.0, C=1 / (len(y) * lam), solver="saga", tol=1e-10, max_iter=100_000).fit(
        x.numpy(), y.numpy()
    )
    ours = fit.network.first_layer[0, :, 0].detach().numpy()
    np.testing.assert_allclose(ours, reference.coef_[0], atol=2e-3)
    assert ((ours == 0) == (reference.coef_[0] == 0)).all()
    assert (ours == 0).sum() >= 2


def test_lambda_max_is_where_a_linear_model_becomes_empty():
    x, y = make_data(n=300, p=5, seed=4)
    groups = Groups.from_labels(["a", "a", "b", "c", "c"])
    settings = TrainSettings(
        hidden_layers=(), max_epochs=1500, patience=0, batch_size=300, learning_rate=1.0, momentum=0.0
    )
    for penalty in ["l1", "elastic_net", "group_lasso"]:
        top = lambda_max(penalty, x, y, groups, [1], settings)
        fit = fit_stack(
            x, y, x, y, penalty=penalty, lambdas=np.array([top * 1.02, top * 0.9]), seeds=np.array([1, 1]),
            groups=groups, settings=settings,
        )  # fmt: skip
        layer = fit.network.first_layer.detach()
        assert (layer[0] == 0).all(), penalty
        assert (layer[1] != 0).any(), penalty


def test_choose_lambda_best_and_one_standard_error():
    path = pd.DataFrame(
        {
            "lambda": [0.1, 0.05, 0.02, 0.01],
            "validation_loss": [0.60, 0.47, 0.45, 0.46],
            "validation_loss_se": [0.03, 0.03, 0.03, 0.03],
            "validation_auroc": [0.5, 0.80, 0.80, 0.79],
            "validation_auroc_se": [0.05, 0.04, 0.04, 0.04],
        }
    )
    assert choose_lambda(path, "loss", "best") == 2
    assert choose_lambda(path, "loss", "one_se") == 1
    assert choose_lambda(path, "auroc", "best") == 1  # tie goes to the larger lambda
    assert choose_lambda(path.iloc[::-1], "loss", "best") == 2  # row labels, whatever the order


def test_fit_penalty_chooses_per_seed_and_the_path_starts_empty():
    x, y = make_data(n=400, p=6, seed=5)
    frame = pd.DataFrame(x.numpy(), columns=["a", "b", "c_1", "c_2", "d", "e"])
    frame["outcome"] = y.numpy().astype(int)
    tables = {"train": frame.iloc[:240], "validation": frame.iloc[240:320], "test": frame.iloc[320:]}
    columns = pd.DataFrame({"column": frame.columns[:6], "variable": ["a", "b", "c", "c", "d", "e"]})
    settings = TrainSettings(hidden_layers=(4,), max_epochs=150, patience=20, n_lambdas=6)
    results = fit_penalty(tables, columns, penalty="group_lasso", seeds=[3, 4], settings=settings)
    assert [r.seed for r in results] == [3, 4]
    for result in results:
        assert result.path["n_selected"].iloc[0] == 0  # largest lambda: empty first layer
        assert result.path["chosen"].sum() == 1
        assert result.lambda_ == result.path.loc[result.path["chosen"], "lambda"].item()
        assert {"a", "b"} <= set(result.selected) <= {"a", "b", "c", "d", "e"}
        assert result.first_layer.shape == (6, 4)
        assert len(result.probabilities["test"]) == 80
    with pytest.raises(RiataError, match="unknown penalty 'lasso'"):
        fit_penalty(tables, columns, penalty="lasso", seeds=[1], settings=settings)


def test_bad_settings_are_refused():
    with pytest.raises(RiataError, match="train: lambda_rule must be one of one_se, best"):
        TrainSettings(lambda_rule="smallest").validate()
    with pytest.raises(RiataError, match="train: l1_ratio must be in"):
        TrainSettings(l1_ratio=0.0).validate()
