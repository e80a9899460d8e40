from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from riata.errors import RiataError
from riata.model import StackedMLP
from riata.penalties import Groups, penalty_value
from riata.settings import TrainSettings
from riata.tasks import Task
from riata.train import (
    StackOptimizer,
    _largest_lambdas,
    choose_lambda,
    design_tensors,
    fit_path,
    fit_penalty,
    fit_stack,
    lambda_max,
    relaxed_path,
)

BINARY = Task("binary")


def make_data(n=240, p=6, seed=0):
    """Standardized inputs where only the first two columns carry signal; returns torch tensors."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    logits = 1.5 * x[:, 0] - 1.0 * x[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype(np.float32)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def singletons(p):
    return Groups.from_labels([f"v{i}" for i in range(p)])


@pytest.mark.parametrize(("optimizer", "momentum"), [("sgd", 0.9), ("sgd", 0.0), ("adam", 0.9)])
def test_the_stack_optimiser_steps_as_torch_optim_does(optimizer, momentum):
    """50 steps on a quadratic of two stacked parameters (shrunk to two of their three models half way): the same
    parameters as torch.optim.SGD / Adam, whose state is shrunk the same way."""
    settings = TrainSettings(optimizer=optimizer, learning_rate=0.05, momentum=momentum)
    start = [torch.randn(3, 4, 2, generator=torch.Generator().manual_seed(k)) for k in (1, 2)]
    ours = [torch.nn.Parameter(value.clone()) for value in start]
    theirs = [torch.nn.Parameter(value.clone()) for value in start]
    stack = StackOptimizer(ours, settings)
    reference = (torch.optim.SGD(theirs, lr=0.05, momentum=momentum) if optimizer == "sgd"
                 else torch.optim.Adam(theirs, lr=0.05))  # fmt: skip
    keep = torch.tensor([0, 2])
    for step in range(50):
        for parameters, optimiser in ((ours, stack), (theirs, reference)):
            optimiser.zero_grad()
            sum(((p - 1) ** 2 * torch.arange(1.0, 9.0).view(1, 4, 2)).sum() for p in parameters).backward()
            optimiser.step()
        if step == 24:  # the stack loses its second model, as when its early stopping fires
            ours = [torch.nn.Parameter(p.detach()[keep].clone()) for p in ours]
            stack = stack.kept(ours, keep)
            states = [{key: value[keep].clone() if value.dim() else value for key, value in reference.state[p].items()}
                      for p in theirs]  # fmt: skip
            theirs = [torch.nn.Parameter(p.detach()[keep].clone()) for p in theirs]
            reference = type(reference)(theirs, **reference.defaults)
            reference.state.update(zip(theirs, states, strict=True))
    for mine, torchs in zip(ours, theirs, strict=True):
        torch.testing.assert_close(mine.detach(), torchs.detach(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("hidden_layers", "n_outputs"), [((4,), 1), ((4, 3), 1), ((4,), 3)])
def test_each_model_of_a_stack_is_its_own_network_on_shared_or_per_run_inputs(hidden_layers, n_outputs):
    """The stack's outputs equal each model's layers applied one by one, with every model on the same inputs or
    each run of models on its own (the minibatches of one seed)."""
    network = StackedMLP(5, hidden_layers, [0, 1, 2], n_outputs)
    generator = torch.Generator().manual_seed(0)
    shared, per_run = torch.randn(7, 5, generator=generator), torch.randn(2, 7, 5, generator=generator)

    def one_network(m: int, x: torch.Tensor) -> torch.Tensor:
        for j, (weight, bias) in enumerate(zip(network.weights, network.biases, strict=True)):
            x = x @ weight[m] + bias[m]
            x = torch.relu(x) if j < len(hidden_layers) else x
        return x

    expected = torch.stack([one_network(m, shared) for m in range(3)])
    torch.testing.assert_close(network(shared), expected)
    expected = torch.stack([one_network(0, per_run[0]), one_network(1, per_run[0]), one_network(2, per_run[1])])
    torch.testing.assert_close(network(per_run, [2, 1]), expected)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_batched_models_equal_models_trained_one_by_one(optimizer):
    """Including models that stop early and leave the stack while the others go on, and seeds in any order (the
    stack sorts its models by seed)."""
    x, y = make_data()
    settings = TrainSettings(hidden_layers=(4,), max_epochs=60, patience=5, batch_size=32, optimizer=optimizer,
                             learning_rate=0.02 if optimizer == "sgd" else 0.03)  # fmt: skip
    lambdas, seeds = np.array([0.05, 0.01, 0.002, 0.05]), np.array([1, 2, 1, 1])
    common = {"task": BINARY, "penalty": "l1", "groups": singletons(6), "settings": settings}
    together = fit_stack(x, y, x, y, lambdas=lambdas, seeds=seeds, **common)
    assert len(set(together.best_epoch)) > 1  # the models stopped at different epochs
    for m in range(4):
        alone = fit_stack(x, y, x, y, lambdas=lambdas[m : m + 1], seeds=seeds[m : m + 1], **common)
        assert alone.best_epoch[0] == together.best_epoch[m]
        torch.testing.assert_close(alone.network.first_layer[0], together.network.first_layer[m], atol=1e-5, rtol=1e-4)


def test_proximal_mode_gives_exact_zeros_and_subgradient_mode_does_not():
    x, y = make_data(n=600)
    settings = TrainSettings(hidden_layers=(8,), max_epochs=200, patience=0, batch_size=600, learning_rate=0.2)
    common = {"task": BINARY, "penalty": "group_lasso", "lambdas": np.array([0.02]), "seeds": np.array([1])}
    proximal_fit = fit_stack(x, y, x, y, groups=singletons(6), settings=settings, **common)
    rows = (proximal_fit.network.first_layer[0] != 0).any(dim=1).tolist()
    assert rows[:2] == [True, True]  # the two signal inputs stay
    assert sum(rows[2:]) <= 1  # the four noise inputs are (nearly all) exactly zero
    subgradient = TrainSettings(**{**settings.__dict__, "mode": "subgradient"})
    subgradient_fit = fit_stack(x, y, x, y, groups=singletons(6), settings=subgradient, **common)
    assert (subgradient_fit.network.first_layer != 0).all()


def test_l1_and_elastic_net_without_hidden_layers_match_scikit_learn_on_real_whas500(whas500_binary):
    """No hidden layer: the network is penalised logistic regression (real data: WHAS500's 14 covariates).

    riata minimises mean loss + lam (a |w|_1 + (1 - a) / 2 |w|^2); scikit-learn sum loss + (a |w|_1 +
    (1 - a) / 2 |w|^2) / C, so C = 1 / (n lam).
    """
    x, y = (torch.tensor(values, dtype=torch.float32) for values in whas500_binary)
    lam = 0.03
    settings = TrainSettings(
        hidden_layers=(), max_epochs=4000, patience=0, batch_size=len(y), learning_rate=1.0, momentum=0.0
    )
    for penalty, l1_ratio in [("l1", 1.0), ("elastic_net", 0.5)]:
        fit = fit_stack(
            x, y, x, y, task=BINARY, penalty=penalty, lambdas=np.array([lam]), seeds=np.array([1]),
            groups=singletons(x.shape[1]), settings=TrainSettings(**{**settings.__dict__, "l1_ratio": l1_ratio}),
        )  # fmt: skip
        reference = LogisticRegression(
            l1_ratio=l1_ratio, C=1 / (len(y) * lam), solver="saga", tol=1e-10, max_iter=100_000
        ).fit(x.numpy(), y.numpy())
        ours = fit.network.first_layer[0, :, 0].detach().numpy()
        # saga's own answer moves by about 1e-3 (0.84897 or 0.84894) with its stopping on these correlated covariates
        np.testing.assert_allclose(ours, reference.coef_[0], atol=2e-3)
        assert ((ours == 0) == (reference.coef_[0] == 0)).all(), penalty
        assert (ours == 0).sum() >= 1, penalty


@pytest.mark.parametrize("penalty", ["l1", "elastic_net", "group_lasso", "sparse_group_lasso"])
def test_lambda_max_is_where_a_linear_model_becomes_empty(penalty):
    x, y = make_data(n=300, p=5, seed=4)
    groups = Groups.from_labels(["a", "a", "b", "c", "c"])
    settings = TrainSettings(
        hidden_layers=(), max_epochs=1500, patience=0, batch_size=300, learning_rate=1.0, momentum=0.0
    )
    (top,) = lambda_max(BINARY, penalty, x, y, groups, [1], settings)
    fit = fit_stack(
        x, y, x, y, task=BINARY, penalty=penalty, lambdas=np.array([top * 1.02, top * 0.9]), seeds=np.array([1, 1]),
        groups=groups, settings=settings,
    )  # fmt: skip
    layer = fit.network.first_layer.detach()
    assert (layer[0] == 0).all()
    assert (layer[1] != 0).any()


def test_lambda_max_comes_from_the_initialisation_when_every_hidden_unit_is_off_at_an_empty_first_layer():
    """A dense network whose first-layer biases are all negative has no gradient at an empty first layer (ReLU units
    off): its lambda_max is 0, which once gave an all-zero, NaN grid. The seed's initialisation gives it instead."""
    x, y = make_data(n=200, p=4, seed=5)
    settings = TrainSettings(hidden_layers=(8,))
    groups = singletons(4)
    dense = StackedMLP(4, settings.hidden_layers, [1, 2])
    with torch.no_grad():
        dense.biases[0].fill_(-1.0)
        dense.biases[0][1].fill_(0.5)  # seed 2 keeps its hidden units on: its own lambda_max stands
    tops = _largest_lambdas({"train": x}, {"train": y}, [1, 2], dense, task=BINARY, penalty="group_lasso",
                            groups=groups, settings=settings)  # fmt: skip
    from_initialisation = lambda_max(BINARY, "group_lasso", x, y, groups, [1, 2], settings)
    assert tops[0] == pytest.approx(from_initialisation[0]) and tops[0] > 0
    assert tops[1] > 0 and tops[1] != pytest.approx(from_initialisation[1])


def test_multiclass_and_continuous_tasks_train_and_penalise_every_layer():
    rng = np.random.default_rng(1)
    x = torch.tensor(rng.normal(size=(300, 4)), dtype=torch.float32)
    classes = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    settings = TrainSettings(hidden_layers=(6,), max_epochs=80, patience=0, penalised_layers="all")
    task = Task("multiclass", n_classes=3)
    fit = fit_stack(x, classes, x, classes, task=task, penalty="l1", lambdas=np.array([0.0, 0.05]),
                    seeds=np.array([1, 1]), groups=singletons(4), settings=settings)  # fmt: skip
    probabilities = task.predict(fit.network(x).detach())
    assert probabilities.shape == (2, 300, 3)
    assert task.metrics(classes.numpy(), probabilities[0])["accuracy"] > 0.8
    assert (fit.network.weights[1][1] == 0).sum() > (fit.network.weights[1][0] == 0).sum()  # later layer sparse too

    target = torch.tensor(2 * x[:, 2].numpy() + 0.1 * rng.normal(size=300), dtype=torch.float32)
    regression = Task("continuous", regression_loss="absolute")
    fit = fit_stack(x, target, x, target, task=regression, penalty="none", lambdas=np.zeros(1), seeds=np.array([1]),
                    groups=singletons(4), settings=settings)  # fmt: skip
    assert regression.metrics(target.numpy(), regression.predict(fit.network(x).detach())[0])["r2"] > 0.9


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


def tabular_problem():
    x, y = make_data(n=400, p=6, seed=5)
    frame = pd.DataFrame(x.numpy(), columns=["a", "b", "c_1", "c_2", "d", "e"])
    frame["outcome"] = y.numpy().astype(int)
    tables = {"train": frame.iloc[:240], "validation": frame.iloc[240:320], "test": frame.iloc[320:]}
    columns = pd.DataFrame({"column": frame.columns[:6], "variable": ["a", "b", "c", "c", "d", "e"]})
    return tables, columns


@pytest.mark.parametrize("warm_start", [True, False])
def test_fit_penalty_chooses_per_seed_and_the_path_ends_empty(warm_start):
    tables, columns = tabular_problem()
    settings = TrainSettings(hidden_layers=(4,), max_epochs=150, patience=20, n_lambdas=6, warm_start=warm_start)
    results = fit_penalty(tables, columns, task=BINARY, penalty="sparse_group_lasso", seeds=[3, 4], settings=settings)
    assert [r.seed for r in results] == [3, 4]
    for result in results:
        path = result.path
        assert path["lambda"].is_monotonic_decreasing
        assert path["n_selected"].iloc[0] == 0  # largest lambda: empty first layer
        beyond_grid = path["n_selected"].iloc[: len(path) - settings.n_lambdas]
        assert (beyond_grid.iloc[1:] > 0).all()  # an extended path stops at its first empty layer
        assert path["chosen"].sum() == 1
        assert result.lambda_ == path.loc[path["chosen"], "lambda"].item()
        assert {"a", "b"} <= set(result.selected) <= {"a", "b", "c", "d", "e"}
        assert [c for c in path.columns if c.startswith("norm:")] == ["norm:a", "norm:b", "norm:c", "norm:d", "norm:e"]
        assert (path.loc[path["n_selected"] == 0, ["norm:a", "norm:b"]] == 0).all().all()
        assert result.first_layer.shape == (6, 4)
        assert len(result.predictions["test"]) == 80


def test_the_relaxed_path_keeps_each_points_inputs_and_shrinks_them_by_phi():
    """Relaxed fits hold dropped inputs at zero and keep no new ones; with phi = 0.5 (kept inputs penalised at half
    their lambda) the kept first-layer weights are smaller than unpenalised (phi = 0) at every point."""
    tables, columns = tabular_problem()
    settings = TrainSettings(hidden_layers=(4,), max_epochs=80, patience=0, n_lambdas=4, relax=False)
    x, y, groups, _ = design_tensors(tables, columns, BINARY, settings)
    common = {"task": BINARY, "penalty": "group_lasso", "groups": groups, "settings": settings}
    path = fit_path(x, y, seeds=[2], **common)
    assert path.factors is not None  # adaptive by default: phi scales the seed's own factors
    relaxed = {share: relaxed_path(x, y, path, **common, kept_penalty_share=share) for share in (0.0, 0.5)}
    sizes = {share: [] for share in (1.0, 0.0, 0.5)}  # 1.0: the path itself
    for point, free, half in zip(path.points, relaxed[0.0].points, relaxed[0.5].points, strict=True):
        kept = groups.norms(torch.as_tensor(point.first_layer)[None])[0] > 0
        for share, fitted in ((1.0, point), (0.0, free), (0.5, half)):
            norms = groups.norms(torch.as_tensor(fitted.first_layer)[None])[0]
            assert (norms[~kept] == 0).all(), share
            sizes[share].append(float(norms.sum()))
    partly_kept = [k for k, size in enumerate(sizes[1.0]) if size > 0]
    assert partly_kept, "no point of the path keeps an input"
    for k in partly_kept:
        assert sizes[0.5][k] < sizes[0.0][k], (k, sizes)
    # The settings relax and relax_penalty_share (riata train --relax --relax-penalty-share) give the same fits.
    for share in (0.0, 0.5):
        configured = replace(settings, relax=True, relax_penalty_share=share)
        trained = fit_path(x, y, seeds=[2], **{**common, "settings": configured})
        for point, expected in zip(trained.points, relaxed[share].points, strict=True):
            np.testing.assert_allclose(point.first_layer, expected.first_layer, atol=1e-6)


@pytest.mark.parametrize("warm_start", [True, False])
def test_a_seeds_path_is_the_same_alone_or_batched_with_other_seeds(warm_start):
    """Each seed has its own grid and stopping, so batching is only an optimisation (and no test table is needed)."""
    tables, columns = tabular_problem()
    del tables["test"]
    settings = TrainSettings(hidden_layers=(4,), max_epochs=15, patience=4, n_lambdas=3, warm_start=warm_start)
    common = {"task": BINARY, "penalty": "group_lasso", "settings": settings}
    together = fit_penalty(tables, columns, seeds=[3, 4], **common)
    assert together[0].path["lambda"].iloc[-1] != together[1].path["lambda"].iloc[-1]  # each seed its own grid
    for result in together:
        (alone,) = fit_penalty(tables, columns, seeds=[result.seed], **common)
        pd.testing.assert_frame_equal(alone.path, result.path, atol=1e-5, rtol=1e-5)
        np.testing.assert_allclose(alone.first_layer, result.first_layer, atol=1e-5)
        assert alone.lambda_ == result.lambda_ and set(alone.predictions) == {"train", "validation"}


def test_stability_refits_keep_the_signal_variables_more_often_than_noise():
    tables, columns = tabular_problem()
    settings = TrainSettings(
        hidden_layers=(4,),
        max_epochs=60,
        patience=8,
        n_lambdas=4,
        stability_refits=4,
        lambda_rule="one_se",
        relax=False,
    )  # a sparse chosen lambda of the path itself, where refits tell signal from noise
    results = fit_penalty(tables, columns, task=BINARY, penalty="group_lasso", seeds=[3, 4], settings=settings)
    for result in results:
        frequency = result.refit_frequency
        assert frequency.index.tolist() == ["a", "b", "c", "d", "e"]
        assert np.allclose(frequency * 4, np.round(frequency * 4))  # shares of 4 refits
        assert frequency["a"] == 1.0  # the strongest effect survives every half-sample
        assert frequency[["c", "d", "e"]].max() < frequency[["a", "b"]].min()
    plain = fit_penalty(tables, columns, task=BINARY, penalty="l1", seeds=[3], settings=TrainSettings(
        hidden_layers=(4,), max_epochs=60, patience=8, n_lambdas=4))  # fmt: skip
    assert plain[0].refit_frequency.empty


def test_bad_penalty_metric_and_settings_are_refused():
    tables, columns = tabular_problem()
    with pytest.raises(RiataError, match="unknown penalty 'lasso'"):
        fit_penalty(tables, columns, task=BINARY, penalty="lasso", seeds=[1], settings=TrainSettings())
    with pytest.raises(RiataError, match="selection_metric 'r2' does not apply to a binary outcome"):
        fit_penalty(
            tables, columns, task=BINARY, penalty="l1", seeds=[1], settings=TrainSettings(selection_metric="r2")
        )
    with pytest.raises(RiataError, match="training: lambda_rule must be one of one_se, best"):
        TrainSettings(lambda_rule="smallest").validate()
    with pytest.raises(RiataError, match="training: mode must be one of proximal, subgradient"):
        TrainSettings(mode="exact").validate()


def test_subgradient_mode_adds_the_penalty_to_the_loss():
    """One plain SGD step in subgradient mode moves weights by lr x (data gradient + penalty gradient)."""
    x, y = make_data(n=64, p=3)
    settings = TrainSettings(hidden_layers=(), max_epochs=1, patience=0, batch_size=64, momentum=0.0,
                             learning_rate=0.1, mode="subgradient")  # fmt: skip
    lam = np.array([0.3])
    fit = fit_stack(x, y, x, y, task=BINARY, penalty="l2", lambdas=lam, seeds=np.array([1]), groups=singletons(3),
                    settings=settings)  # fmt: skip
    start = fit_stack(x, y, x, y, task=BINARY, penalty="l2", lambdas=lam, seeds=np.array([1]), groups=singletons(3),
                      settings=TrainSettings(**{**settings.__dict__, "learning_rate": 1e-12}))  # fmt: skip
    w0 = start.network.first_layer.detach().clone().requires_grad_(True)
    b0 = start.network.biases[0].detach()
    loss = (
        BINARY.losses(torch.matmul(x, w0) + b0, y).mean() + penalty_value("l2", w0, torch.tensor(lam), singletons(3))[0]
    )
    (gradient,) = torch.autograd.grad(loss, w0)
    torch.testing.assert_close(fit.network.first_layer.detach(), (w0 - 0.1 * gradient).detach(), atol=1e-6, rtol=1e-5)
