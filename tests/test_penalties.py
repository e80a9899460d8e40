import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import minimize

from riata.penalties import Groups, penalty_value, proximal, soft_threshold

weights = arrays(np.float64, (2, 4, 3), elements=st.floats(-5, 5, allow_nan=False))
steps = st.floats(0.0, 3.0, allow_nan=False)
GROUPS = Groups.from_labels(["a", "b", "b", "c"])


@settings(max_examples=30, deadline=None)
@given(weights, steps)
def test_soft_threshold_zeroes_small_weights_and_shrinks_the_rest(w, t):
    result = soft_threshold(torch.tensor(w), torch.tensor(t, dtype=torch.float64)).numpy()
    small = np.abs(w) <= t
    assert (result[small] == 0).all()
    np.testing.assert_allclose(np.abs(result[~small]), np.abs(w[~small]) - t)
    assert (np.sign(result[~small]) == np.sign(w[~small])).all()


@settings(max_examples=30, deadline=None)
@given(weights, steps)
def test_group_lasso_with_single_weight_groups_equals_l1(w, t):
    w1 = torch.tensor(w[:, :, :1])  # one hidden unit: each row is one weight
    singletons = Groups.from_labels(["a", "b", "c", "d"])
    step = torch.tensor([t, t / 2])
    np.testing.assert_allclose(proximal("group_lasso", w1, step, singletons), proximal("l1", w1, step, singletons))
    lam = torch.tensor([t, 2 * t])
    # atol: a group norm squares its weights, which underflows below about 1e-154 in float64
    np.testing.assert_allclose(
        penalty_value("group_lasso", w1, lam, singletons),
        penalty_value("l1", w1, lam, singletons),
        rtol=1e-12,
        atol=1e-100,
    )


@settings(max_examples=30, deadline=None)
@given(weights, steps)
def test_elastic_net_with_l1_ratio_one_equals_l1(w, t):
    w = torch.tensor(w)
    step = torch.tensor([t, 3 * t])
    np.testing.assert_allclose(proximal("elastic_net", w, step, GROUPS, l1_ratio=1.0), proximal("l1", w, step, GROUPS))
    np.testing.assert_allclose(
        penalty_value("elastic_net", w, step, GROUPS, l1_ratio=1.0), penalty_value("l1", w, step, GROUPS)
    )


@pytest.mark.parametrize("name", ["l1", "l2", "elastic_net", "group_lasso", "sparse_group_lasso"])
def test_proximal_operator_is_the_minimiser(name):
    """prox_t(w) = argmin_v ||v - w||^2 / 2 + t * penalty(v), checked against a numerical optimiser."""
    rng = np.random.default_rng(3)
    w = rng.normal(size=(1, 4, 3))
    t = 0.7
    result = proximal(name, torch.tensor(w), torch.tensor([t]), GROUPS, l1_ratio=0.3).numpy()

    def objective(v):
        v = torch.tensor(v.reshape(w.shape))
        return float(
            0.5 * ((v - torch.tensor(w)) ** 2).sum() + penalty_value(name, v, torch.tensor([t]), GROUPS, 0.3)[0]
        )

    numeric = minimize(objective, result.ravel() + 0.05, method="Powell", options={"xtol": 1e-10, "ftol": 1e-12})
    assert objective(result.ravel()) <= numeric.fun + 1e-9


def test_group_lasso_zeroes_whole_groups_with_sqrt_size_weights():
    w = torch.zeros(1, 4, 3)
    w[0, 0] = 0.5  # group a: 3 weights, norm 0.5*sqrt(3)
    w[0, 1:3] = 1.0  # group b: 6 weights, norm sqrt(6)
    w[0, 3] = 2.0  # group c: 3 weights, norm 2*sqrt(3)
    t = 0.5  # thresholds t * sqrt(size): a: 0.866, b: 1.22, c: 0.866
    result = proximal("group_lasso", w, torch.tensor([t]), GROUPS)
    assert (result[0, 0] == 0).all()
    np.testing.assert_allclose(result[0, 1:3], 1 - t * np.sqrt(6) / np.sqrt(6))
    np.testing.assert_allclose(result[0, 3], 2 * (1 - t * np.sqrt(3) / (2 * np.sqrt(3))))
    expected_value = 0.5 * (np.sqrt(3) * 0.5 * np.sqrt(3) + np.sqrt(6) * np.sqrt(6) + np.sqrt(3) * 2 * np.sqrt(3))
    assert penalty_value("group_lasso", w, torch.tensor([0.5]), GROUPS).item() == pytest.approx(expected_value)


def test_each_model_gets_its_own_strength():
    w = torch.ones(2, 4, 3)
    result = proximal("l1", w, torch.tensor([0.25, 2.0]), GROUPS)
    assert torch.allclose(result[0], torch.full((4, 3), 0.75))
    assert (result[1] == 0).all()
    assert torch.equal(proximal("none", w, torch.tensor([5.0, 5.0]), GROUPS), w)


@settings(max_examples=30, deadline=None)
@given(weights, steps)
def test_sparse_group_lasso_reduces_to_l1_and_to_group_lasso(w, t):
    w = torch.tensor(w)
    step = torch.tensor([t, t / 3], dtype=torch.float64)
    np.testing.assert_allclose(
        proximal("sparse_group_lasso", w, step, GROUPS, l1_ratio=1.0), proximal("l1", w, step, GROUPS)
    )
    np.testing.assert_allclose(
        proximal("sparse_group_lasso", w, step, GROUPS, l1_ratio=0.0), proximal("group_lasso", w, step, GROUPS)
    )


@settings(max_examples=30, deadline=None)
@given(weights, steps)
def test_sparse_group_lasso_is_soft_threshold_then_group_shrink(w, t):
    w = torch.tensor(w)
    step = torch.tensor([t, 2 * t], dtype=torch.float64)
    expected = proximal("group_lasso", soft_threshold(w, step.view(-1, 1, 1) * 0.4), step * 0.6, GROUPS)
    np.testing.assert_allclose(proximal("sparse_group_lasso", w, step, GROUPS, l1_ratio=0.4), expected)


def test_per_weight_steps_use_the_group_mean_for_group_penalties():
    w = torch.randn(2, 4, 3, dtype=torch.float64)
    per_weight = torch.rand(2, 4, 3, dtype=torch.float64)
    group_mean = GROUPS.means(per_weight)  # (models, groups)
    np.testing.assert_allclose(group_mean[0, 1], per_weight[0, 1:3].mean())
    elementwise = proximal("l1", w, per_weight, GROUPS)
    np.testing.assert_allclose(elementwise, soft_threshold(w, per_weight))
    for model in range(2):
        for group in range(3):
            rows = (GROUPS.index == group).nonzero().flatten()
            alone = proximal("group_lasso", w[model : model + 1][:, rows], group_mean[model, group].reshape(1),
                             Groups.from_labels(["g"] * len(rows)))  # fmt: skip
            np.testing.assert_allclose(proximal("group_lasso", w, per_weight, GROUPS)[model, rows], alone[0])
