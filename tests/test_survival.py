"""Survival outcomes: the Cox loss, metrics against scikit-survival, the reference optimum of Coxnet on real
data (WHAS500, GBSG2: data sets scikit-survival ships), the estimator, input checks and the simulation."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks
from sksurv.datasets import load_gbsg2, load_whas500
from sksurv.linear_model import CoxnetSurvivalAnalysis, CoxPHSurvivalAnalysis
from sksurv.metrics import (
    concordance_index_censored,
    concordance_index_ipcw,
    cumulative_dynamic_auc,
    integrated_brier_score,
)
from sksurv.preprocessing import OneHotEncoder

from riata import PenalizedMLPSurvival
from riata.errors import RiataError
from riata.evaluate import bootstrap_intervals, resample_metrics
from riata.io.clinical import OUTCOME, OUTCOME_TIME, read_clinical
from riata.penalties import Groups
from riata.settings import ClinicalSpec, SimulationSettings, SplitSettings, TrainSettings
from riata.simulate import CLINICAL_EFFECTS, _clinical_predictor, simulate_clinical, survival_outcome
from riata.split import stratified_split
from riata.survival import SurvivalReference, concordance, cox_losses, cox_sample_losses, structured
from riata.tasks import Task
from riata.train import fit_penalty, fit_stack, lambda_max

SURVIVAL = Task("survival")


def standardized(frame: pd.DataFrame) -> pd.DataFrame:
    encoded = OneHotEncoder().fit_transform(frame).astype(float)
    return (encoded - encoded.mean()) / encoded.std(ddof=0)


@pytest.fixture(scope="module")
def whas500():
    """WHAS500 (500 heart-attack patients, 215 deaths): standardized one-hot inputs, [time, event] target."""
    x, y = load_whas500()
    return standardized(x), np.column_stack([y["lenfol"], y["fstat"]]).astype(float), y


@pytest.fixture(scope="module")
def gbsg2_cox():
    """GBSG2 (686 breast cancer patients) split 450 / 236, a Cox model's risk scores on both parts."""
    x, y = load_gbsg2()
    x = standardized(x)
    order = np.random.default_rng(0).permutation(len(y))
    train, test = order[:450], order[450:]
    model = CoxPHSurvivalAnalysis().fit(x.iloc[train], y[train])
    return {"x": x, "y": y, "train": train, "test": test, "model": model,
            "target": np.column_stack([y["time"], y["cens"]]).astype(float),
            "train_risk": model.predict(x.iloc[train]), "test_risk": model.predict(x.iloc[test])}  # fmt: skip


def direct_partial_likelihood(target, risk):
    """Mean negative log partial likelihood, Breslow ties, sample by sample."""
    time, event = target[:, 0], target[:, 1]
    return np.mean([event[i] * (np.log(np.exp(risk[time >= time[i]]).sum()) - risk[i]) for i in range(len(time))])


def test_cox_loss_equals_the_partial_likelihood_with_tied_times_for_every_model_of_a_stack():
    rng = np.random.default_rng(1)
    target = np.column_stack([rng.integers(1, 8, size=40), rng.random(40) < 0.6]).astype(float)  # many ties
    risks = rng.normal(size=(3, 40))
    losses = cox_losses(torch.tensor(risks), torch.tensor(target))
    assert losses.shape == (3, 40)
    for m in range(3):
        assert losses[m].mean().item() == pytest.approx(direct_partial_likelihood(target, risks[m]), rel=1e-12)
    # a minibatch per model: (models, samples, 2) targets with each model's own samples
    rows = torch.tensor(np.stack([rng.permutation(40)[:16] for _ in range(3)]))
    batched = cox_losses(torch.tensor(risks).gather(1, rows), torch.tensor(target)[rows])
    for m in range(3):
        picked = rows[m].numpy()
        assert batched[m].mean().item() == pytest.approx(direct_partial_likelihood(target[picked], risks[m, picked]))


def test_concordance_auc_and_brier_equal_scikit_survival(gbsg2_cox):
    c = gbsg2_cox
    target, y = c["target"][c["test"]], c["y"][c["test"]]
    train_y = c["y"][c["train"]]
    harrell = concordance_index_censored(y["cens"], y["time"], c["test_risk"])[0]
    assert concordance(target, c["test_risk"])[0] == pytest.approx(harrell, rel=1e-12)
    assert SURVIVAL.metrics(target, c["test_risk"])["concordance"] == pytest.approx(harrell, rel=1e-12)
    horizon = 1500.0
    reference = SurvivalReference(c["target"][c["train"]], horizon)
    ours = reference.metrics(target, c["test_risk"], reference.baseline_hazard(c["train_risk"]))
    uno = concordance_index_ipcw(train_y, y, c["test_risk"], tau=horizon)[0]
    assert ours["uno_concordance"][0] == pytest.approx(uno, rel=1e-12)
    auc = cumulative_dynamic_auc(train_y, y, c["test_risk"], [horizon])[0][0]
    assert ours["horizon_auc"][0] == pytest.approx(auc, rel=1e-12)
    times = reference.brier_times()
    curves = np.vstack([f(times) for f in c["model"].predict_survival_function(c["x"].iloc[c["test"]])])
    np.testing.assert_allclose(reference.survival_curves(c["train_risk"], c["test_risk"], times), curves, rtol=1e-10)
    assert ours["integrated_brier"][0] == pytest.approx(integrated_brier_score(train_y, y, curves, times), rel=1e-10)


def test_bootstrap_resamples_equal_the_metrics_of_the_resampled_samples(gbsg2_cox):
    c = gbsg2_cox
    target, risk = c["target"][c["test"]], c["test_risk"]
    indices = np.random.default_rng(3).integers(0, len(risk), size=(5, len(risk)))
    reference = SurvivalReference(c["target"][c["train"]], 1500.0)
    scores = resample_metrics(
        SURVIVAL, target, risk, indices, survival=(reference, reference.baseline_hazard(c["train_risk"]))
    )
    for r, rows in enumerate(indices):
        drawn = target[rows]
        assert scores["concordance"][r] == pytest.approx(concordance_index_censored(
            drawn[:, 1] > 0, drawn[:, 0], risk[rows])[0], rel=1e-12)  # fmt: skip
        again = reference.metrics(drawn, risk[rows], reference.baseline_hazard(c["train_risk"]))
        for name in ("uno_concordance", "horizon_auc", "integrated_brier"):
            assert scores[name][r] == pytest.approx(again[name][0], rel=1e-10), name
    intervals = bootstrap_intervals(
        SURVIVAL, target, risk, resamples=200, survival=(reference, reference.baseline_hazard(c["train_risk"]))
    )
    low, high = intervals["concordance"]
    assert low < concordance(target, risk)[0] < high


@pytest.mark.parametrize(("penalty", "l1_ratio", "lam"), [("l1", 1.0, 0.02), ("elastic_net", 0.5, 0.03)])
def test_a_network_without_hidden_layers_reaches_coxnets_optimum_on_whas500(whas500, penalty, l1_ratio, lam):
    """Both minimise mean negative log partial likelihood (Breslow) + lam (a |w|_1 + (1 - a) / 2 |w|^2)."""
    x, target, y = whas500
    settings = TrainSettings(hidden_layers=(), max_epochs=300, patience=0, batch_size=len(target), learning_rate=1.0,
                             momentum=0.0, l1_ratio=l1_ratio)  # fmt: skip
    inputs, targets = torch.tensor(x.to_numpy(), dtype=torch.float32), torch.tensor(target, dtype=torch.float32)
    fit = fit_stack(inputs, targets, inputs, targets, task=SURVIVAL, penalty=penalty, lambdas=np.array([lam]),
                    seeds=np.array([1]), groups=Groups.from_labels(list(x.columns)), settings=settings)  # fmt: skip
    ours = fit.network.first_layer[0, :, 0].detach().numpy().astype(float)
    coxnet = CoxnetSurvivalAnalysis(l1_ratio=l1_ratio, alphas=[lam], tol=1e-12, max_iter=1_000_000).fit(x, y)
    theirs = coxnet.coef_[:, 0]

    def objective(beta):
        penalty_value = lam * (l1_ratio * np.abs(beta).sum() + (1 - l1_ratio) / 2 * (beta**2).sum())
        return cox_sample_losses(target, x.to_numpy() @ beta).mean() + penalty_value

    assert abs(objective(ours) - objective(theirs)) / objective(theirs) <= 1e-3
    assert ((ours == 0) == (theirs == 0)).all()
    assert 0 < (theirs == 0).sum() < len(theirs)  # a real selection: some inputs kept, some dropped


def test_lambda_max_equals_coxnets_largest_alpha_and_empties_the_layer(whas500):
    x, target, y = whas500
    inputs, targets = torch.tensor(x.to_numpy(), dtype=torch.float32), torch.tensor(target, dtype=torch.float32)
    groups = Groups.from_labels(list(x.columns))
    settings = TrainSettings(hidden_layers=(), max_epochs=200, patience=0, batch_size=len(target), learning_rate=1.0,
                             momentum=0.0)  # fmt: skip
    (top,) = lambda_max(SURVIVAL, "l1", inputs, targets, groups, [1], settings)
    assert top == pytest.approx(CoxnetSurvivalAnalysis(l1_ratio=1.0, n_alphas=3).fit(x, y).alphas_[0], rel=1e-5)
    fit = fit_stack(inputs, targets, inputs, targets, task=SURVIVAL, penalty="l1", lambdas=np.array([top * 1.02,
                    top * 0.8]), seeds=np.array([1, 1]), groups=groups, settings=settings)  # fmt: skip
    layer = fit.network.first_layer.detach()
    assert (layer[0] == 0).all() and (layer[1] != 0).any()


class SurvivalOnNumericTargets(PenalizedMLPSurvival):
    """scikit-learn's checks make numeric targets; this turns them into survival targets (time |y| + 1, one
    sample in four censored) and leaves everything else to the estimator."""

    def fit(self, X, y):
        if y is not None and np.asarray(y).dtype.names is None:
            values = np.real(np.asarray(y)).astype(float).ravel()
            y = structured(np.column_stack([np.abs(values) + 1, np.arange(len(values)) % 4 != 3]))
        return super().fit(X, y)

    def score(self, X, y):
        if np.asarray(y).dtype.names is None:
            y = structured(np.column_stack([np.abs(np.asarray(y, dtype=float)) + 1, np.ones(len(y))]))
        return super().score(X, y)


@parametrize_with_checks([SurvivalOnNumericTargets()])
def test_survival_estimator_passes_scikit_learns_checks(estimator, check):
    check(estimator)


def test_survival_estimator_on_whas500_ranks_risk_and_predicts_survival_curves(whas500):
    x, target, y = whas500
    order = np.random.default_rng(0).permutation(len(y))
    train, test = order[:350], order[350:]
    model = PenalizedMLPSurvival(hidden_layer_sizes=(8,), penalty="group_lasso", alpha=0.005, batch_size=350,
                                 learning_rate=0.1, max_iter=300, random_state=0)  # fmt: skip
    model.fit(x.iloc[train], y[train])
    assert model.score(x.iloc[test], y[test]) > 0.72  # Cox regression reaches about 0.75 here
    curves = model.predict_survival_function(x.iloc[test], return_array=True)
    assert curves.shape == (len(test), len(model.unique_times_))
    assert (np.diff(curves, axis=1) <= 1e-12).all() and (curves >= 0).all() and (curves <= 1).all()
    hazards = model.predict_cumulative_hazard_function(x.iloc[test[:3]])
    np.testing.assert_allclose(np.exp(-hazards[0](model.unique_times_)), curves[0], rtol=1e-4)  # float32 network
    with pytest.raises(ValueError, match="all samples are censored"):
        PenalizedMLPSurvival().fit(x.iloc[:20], structured(np.column_stack([target[:20, 0], np.zeros(20)])))


def write_table(tmp_path, rows):
    path = tmp_path / "clinical.tsv"
    pd.DataFrame(rows).to_csv(path, sep="\t", index=False)
    return path


SPEC = ClinicalSpec(id_column="id", outcome="dead", outcome_type="survival", time_column="years", positive_label="yes")


def test_survival_table_reads_times_and_events_and_refuses_bad_ones(tmp_path):
    good = {"id": ["a", "b", "c"], "dead": ["yes", "no", "yes"], "years": [1.5, 10, 0], "age": [50, 60, 70]}
    table = read_clinical(write_table(tmp_path, good), SPEC)
    assert table.frame[OUTCOME].tolist() == [1, 0, 1]
    assert table.frame[OUTCOME_TIME].tolist() == [1.5, 10.0, 0.0]
    assert list(table.spec.numeric) == ["age"]  # the time column is no covariate
    for change, message in [
        ({"years": [1.5, -2, 3]}, "line 3: time column 'years' has a negative time"),
        ({"years": [1.5, None, 3]}, "line 3: time column 'years' has a missing time"),
        ({"years": [1.5, "soon", 3]}, "line 3: numeric column 'years' has non-numeric value 'soon'"),
        ({"dead": ["yes", "no", "maybe"]}, "has 3 labels .* expected 2 \\(event and censored\\)"),
        ({"dead": ["no", "no", "lost"]}, "not the positive label 'yes'"),
    ]:
        with pytest.raises(RiataError, match=message):
            read_clinical(write_table(tmp_path, {**good, **change}), SPEC)
    with pytest.raises(RiataError, match="time column 'when' not found"):
        read_clinical(write_table(tmp_path, good), ClinicalSpec(**{**SPEC.__dict__, "time_column": "when"}))


def test_survival_settings_need_a_time_column_and_only_survival_has_one():
    with pytest.raises(RiataError, match="clinical: outcome_type survival needs time_column"):
        ClinicalSpec(id_column="id", outcome="dead", outcome_type="survival")
    with pytest.raises(RiataError, match="time_column is for survival outcomes, not binary"):
        ClinicalSpec(id_column="id", outcome="dead", time_column="years")
    with pytest.raises(RiataError, match="horizon must be positive"):
        ClinicalSpec(**{**SPEC.__dict__, "horizon": 0})


def test_the_split_stratifies_on_the_event():
    events = pd.Series(np.r_[np.ones(60, dtype=int), np.zeros(240, dtype=int)], index=[f"s{i}" for i in range(300)])
    split = stratified_split(events, SplitSettings(), outcome_type="survival")
    for name in ("train", "validation", "test"):
        assert events[split == name].mean() == pytest.approx(0.2, abs=0.02)
    with pytest.raises(RiataError, match="only 3 event sample"):
        stratified_split(pd.concat([events[events == 0], events[events == 1][:3]]), SplitSettings(),
                         outcome_type="survival")  # fmt: skip


def test_simulated_survival_follows_the_weibull_model_it_was_drawn_from():
    """A Cox regression on the simulated clinical variables recovers the log hazard ratios per SD."""
    rng = np.random.default_rng(5)
    clinical = simulate_clinical(6000, rng)
    predictor = _clinical_predictor(clinical)
    settings = SimulationSettings(outcome_type="survival", prevalence=0.3, follow_up=24, loss_to_follow_up=0.01)
    time, event = survival_outcome(predictor, settings, rng)
    assert (time > 0).all() and time.max() <= 24 and (time[event == 0] <= 24).all()
    assert 0.2 < event.mean() < 0.3  # 30% by 24 years without loss, fewer with it
    assert ((time == 24) & (event == 0)).mean() > 0.4  # administrative censoring at the end of follow-up
    design = pd.DataFrame({"AGE": clinical["AGE"], "SYSBP": clinical["SYSBP"], "rest": predictor})
    design["AGE"] /= clinical["AGE"].std()
    design["SYSBP"] /= clinical["SYSBP"].std()
    design["rest"] -= CLINICAL_EFFECTS["AGE"] * design["AGE"] + CLINICAL_EFFECTS["SYSBP"] * design["SYSBP"]
    cox = CoxPHSurvivalAnalysis().fit(design, structured(np.column_stack([time, event])))
    assert cox.coef_[0] == pytest.approx(CLINICAL_EFFECTS["AGE"], abs=0.08)
    assert cox.coef_[1] == pytest.approx(CLINICAL_EFFECTS["SYSBP"], abs=0.08)
    assert cox.coef_[2] == pytest.approx(1.0, abs=0.1)


def survival_tables(n=400, seed=0):
    """Inputs a, b (signal: log hazard ratios 1.0 and -0.7) and c, d, e (noise), a Weibull time with censoring."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    time, event = survival_outcome(1.0 * x[:, 0] - 0.7 * x[:, 1], SimulationSettings(outcome_type="survival",
                                                                                      prevalence=0.5), rng)  # fmt: skip
    frame = pd.DataFrame(x, columns=list("abcde")).assign(**{OUTCOME: event, OUTCOME_TIME: time})
    tables = {
        "train": frame.iloc[: n // 2],
        "validation": frame.iloc[n // 2 : 3 * n // 4],
        "test": frame.iloc[3 * n // 4 :],
    }
    return tables, pd.DataFrame({"column": list("abcde"), "variable": list("abcde")})


@pytest.mark.parametrize(
    ("penalty", "mode", "warm_start", "metric"),
    [("l1", "proximal", True, "loss"), ("elastic_net", "proximal", False, "concordance"),
     ("group_lasso", "proximal", True, "concordance"), ("sparse_group_lasso", "proximal", True, "loss"),
     ("l2", "proximal", True, "loss"), ("group_lasso", "subgradient", True, "loss"),
     ("none", "proximal", True, "loss")],
)  # fmt: skip
def test_cox_networks_train_every_penalty_and_path_and_keep_the_signal(penalty, mode, warm_start, metric):
    tables, columns = survival_tables()
    settings = TrainSettings(hidden_layers=(4,), max_epochs=100, patience=15, n_lambdas=5, batch_size=64, mode=mode,
                             warm_start=warm_start, selection_metric=metric)  # fmt: skip
    (result,) = fit_penalty(tables, columns, task=SURVIVAL, penalty=penalty, seeds=[2], settings=settings)
    target = SURVIVAL.targets(tables["test"])
    assert SURVIVAL.metrics(target, result.predictions["test"])["concordance"] > 0.7
    assert {f"validation_{metric}", f"validation_{metric}_se"} <= set(result.path.columns)
    if mode == "proximal" and penalty in ("l1", "elastic_net", "group_lasso", "sparse_group_lasso"):
        assert result.path["n_selected"].iloc[0] == 0  # the path ends at an empty first layer
        assert {"a", "b"} <= set(result.selected)
    norms = np.linalg.norm(result.first_layer.to_numpy(), axis=1)
    assert norms[:2].min() > norms[2:].max()  # the signal inputs carry more weight than every noise input
