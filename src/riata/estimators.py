"""scikit-learn estimators for penalised networks, on the same engine as the workflow.

``PenalizedMLPClassifier`` (binary or multiclass), ``PenalizedMLPRegressor`` and ``PenalizedMLPSurvival``
(a Cox proportional-hazards network, in scikit-survival's conventions) train one network at one penalty
strength ``alpha`` with :func:`riata.train.fit_stack`. ``PenalizedMLPClassifierCV`` and
``PenalizedMLPRegressorCV`` train the whole lambda path with :func:`riata.train.fit_path` (the workflow's
path) and choose lambda on an inner validation split or by K-fold cross-validation, as scikit-learn's
``LogisticRegressionCV`` and ``ElasticNetCV`` do. Defaults come from :class:`riata.settings.TrainSettings`,
as the workflow's do.

All follow scikit-learn's contract: ``__init__`` only stores arguments, ``fit`` validates, learns and returns
``self``, fitted attributes end in ``_``, randomness comes from ``random_state``, so they work in
``Pipeline``, ``GridSearchCV``, ``clone`` and ``pickle``. Inputs are used as given; put a ``StandardScaler``
in front, as the penalty's strength depends on input scale.

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> model = make_pipeline(StandardScaler(), PenalizedMLPClassifierCV(penalty="group_lasso"))
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import check_cv, train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from riata.errors import RiataError
from riata.penalties import Groups
from riata.settings import TrainSettings
from riata.tasks import Task
from riata.train import check_training, choose_lambda, fit_path, fit_stack, path_table

DEFAULTS = TrainSettings()  # the workflow's defaults, shared by every estimator


class _Network(BaseEstimator):
    """What every estimator shares: settings from its parameters, groups, the fitted network and its outputs."""

    def _settings(self, **extra) -> TrainSettings:
        return TrainSettings(
            hidden_layers=tuple(int(h) for h in self.hidden_layer_sizes),
            mode=self.mode,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            momentum=self.momentum,
            batch_size=self.batch_size,
            max_epochs=self.max_iter,
            penalised_layers=self.penalised_layers,
            l1_ratio=self.l1_ratio,
            **extra,
        )

    def _group_labels(self, n_features: int) -> list:
        labels = list(range(n_features)) if self.groups is None else list(self.groups)
        if len(labels) != n_features:
            raise ValueError(f"groups has {len(labels)} labels for {n_features} features")
        return labels

    def _set_network(self, parameters: list[torch.Tensor], labels: list) -> None:
        """Fitted attributes from one network's parameters (StackedMLP order: each layer's weights (in, out),
        then each layer's biases (1, out)) and the features' group labels."""
        n_layers = len(parameters) // 2
        self.coefs_ = [p.detach().numpy().copy() for p in parameters[:n_layers]]
        self.intercepts_ = [p.detach()[0].numpy().copy() for p in parameters[n_layers:]]
        self.groups_ = list(dict.fromkeys(labels))
        groups = Groups.from_labels(labels)
        self.group_norms_ = groups.norms(torch.as_tensor(self.coefs_[0])[None])[0].numpy()
        self.support_ = (self.coefs_[0] != 0).any(axis=1)
        self.selected_features_ = self._feature_names()[self.support_]

    def _feature_names(self) -> np.ndarray:
        """Input names: a DataFrame's columns (``feature_names_in_``), else x0, x1, ..."""
        if hasattr(self, "feature_names_in_"):
            return np.asarray(self.feature_names_in_, dtype=object)
        return np.array([f"x{i}" for i in range(self.n_features_in_)], dtype=object)

    @property
    def first_layer_weights_(self) -> np.ndarray:
        """First-layer weights (features, hidden units): row i holds feature i's outgoing weights."""
        check_is_fitted(self, "coefs_")
        return self.coefs_[0]

    def _outputs(self, X) -> np.ndarray:
        """Network outputs (samples, outputs) for new inputs."""
        check_is_fitted(self, "coefs_")
        return self._forward(validate_data(self, X, reset=False, dtype=np.float32))

    def _forward(self, hidden: np.ndarray) -> np.ndarray:
        """Network outputs (samples, outputs) of checked inputs (samples, features), computed in float64 so that
        a sample's output does not depend on the other samples of the batch (float32 BLAS kernels may round
        differently by batch size)."""
        hidden = hidden.astype(np.float64)
        last = len(self.coefs_) - 1
        for j, (weight, bias) in enumerate(zip(self.coefs_, self.intercepts_, strict=True)):
            hidden = hidden @ weight + bias
            if j < last:
                hidden = np.maximum(hidden, 0)
        return hidden


class _Classifier(ClassifierMixin):
    """Class coding and predictions of the classifiers."""

    def _classification_task(self, X, y) -> tuple[np.ndarray, np.ndarray, Task]:
        """Checked inputs (samples, features), class codes (samples,) in the order of ``classes_``, and the task."""
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"a classifier needs at least two classes; got 1 class ({self.classes_[0]!r})")
        kind = "binary" if len(self.classes_) == 2 else "multiclass"
        return X, codes, Task(kind, n_classes=len(self.classes_))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (samples, classes), columns in the order of ``classes_``."""
        outputs = self._outputs(X).astype(np.float64)
        if len(self.classes_) == 2:
            positive = 1 / (1 + np.exp(-outputs[:, 0]))
            return np.column_stack([1 - positive, positive])
        outputs -= outputs.max(axis=1, keepdims=True)
        probabilities = np.exp(outputs)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        probabilities = self.predict_proba(X)  # checks that the model is fitted
        return self.classes_[probabilities.argmax(axis=1)]


class _PenalizedMLP(_Network):
    """One network at one penalty strength; see :class:`PenalizedMLPClassifier` for the parameters."""

    def __init__(
        self,
        hidden_layer_sizes=DEFAULTS.hidden_layers,
        penalty="group_lasso",
        alpha=1e-3,
        l1_ratio=DEFAULTS.l1_ratio,
        groups=None,
        mode=DEFAULTS.mode,
        optimizer=DEFAULTS.optimizer,
        learning_rate=DEFAULTS.learning_rate,
        momentum=DEFAULTS.momentum,
        batch_size=DEFAULTS.batch_size,
        max_iter=DEFAULTS.max_epochs,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=DEFAULTS.patience,
        penalised_layers=DEFAULTS.penalised_layers,
        random_state=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.groups = groups
        self.mode = mode
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.penalised_layers = penalised_layers
        self.random_state = random_state

    def _fit_network(self, x: np.ndarray, targets: np.ndarray, task: Task, stratify):
        """Train one network on x (samples, features) and set the fitted attributes."""
        if self.alpha < 0:
            raise ValueError(f"alpha must be at least 0, got {self.alpha}")
        settings = self._settings(patience=self.n_iter_no_change if self.early_stopping else 0,
                                  regression_loss=task.regression_loss)  # fmt: skip
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        if self.early_stopping:
            x_train, x_val, y_train, y_val = train_test_split(
                x, targets, test_size=self.validation_fraction, random_state=rng, stratify=stratify
            )
        else:  # no early stopping: the validation objective is only recorded, on the training data
            x_train, x_val, y_train, y_val = x, x, targets, targets
        labels = self._group_labels(x.shape[1])
        fit = fit_stack(
            torch.as_tensor(x_train, dtype=torch.float32),
            task.target_tensor(y_train),
            torch.as_tensor(x_val, dtype=torch.float32),
            task.target_tensor(y_val),
            task=task,
            penalty=self.penalty,
            lambdas=np.array([float(self.alpha)]),
            seeds=np.array([seed]),
            groups=Groups.from_labels(labels),
            settings=settings,
        )
        self._set_network([p.detach()[0] for p in fit.network.parameters()], labels)
        self.n_iter_ = len(fit.train_loss)
        self.best_epoch_ = int(fit.best_epoch[0])
        self.loss_curve_ = fit.train_loss[:, 0].tolist()
        return self


class PenalizedMLPClassifier(_Classifier, _PenalizedMLP):
    """A feed-forward network whose penalty on the first layer selects input features.

    Parameters
    ----------
    hidden_layer_sizes : units of each hidden layer (ReLU); () gives penalised logistic regression.
    penalty : none, l1, l2, elastic_net, group_lasso or sparse_group_lasso (see :mod:`riata.penalties`).
    alpha : the penalty's strength lambda; the objective is mean data loss + alpha x penalty.
    l1_ratio : elastic net and sparse group lasso mixing (1 is all L1).
    groups : one label per feature (features sharing a label form one group, e.g. one-hot columns of
        a categorical variable); default: every feature its own group.
    mode : proximal (exact zeros) or subgradient (penalty in the loss).
    optimizer, learning_rate, momentum, batch_size : the optimiser (sgd or adam) and its settings.
    max_iter : most epochs.
    early_stopping, validation_fraction, n_iter_no_change : stop when the validation objective (a held
        out share of the training data) has not improved for n_iter_no_change epochs, and keep the best.
    penalised_layers : first (default) or all weight matrices; biases are never penalised.
    random_state : seed of the initialisation, minibatches and validation split.

    Defaults other than ``penalty``, ``alpha`` and ``early_stopping`` are the workflow's
    (:class:`riata.settings.TrainSettings`).

    Fitted attributes: ``classes_``, ``coefs_`` / ``intercepts_`` (per layer), ``first_layer_weights_``
    (features x hidden units), ``groups_`` and ``group_norms_`` (norm of each group's first-layer
    weights), ``support_`` (features with a non-zero first-layer weight, a mask) and ``selected_features_``
    (their names), ``n_iter_``, ``best_epoch_``, ``loss_curve_``.
    """

    def fit(self, X, y):
        X, codes, task = self._classification_task(X, y)
        return self._fit_network(X, codes, task, codes if self.early_stopping else None)


class PenalizedMLPRegressor(RegressorMixin, _PenalizedMLP):
    """A feed-forward regression network whose penalty selects input features.

    Parameters are those of :class:`PenalizedMLPClassifier`, plus ``loss``: squared (default) or
    absolute error.
    """

    def __init__(
        self,
        hidden_layer_sizes=DEFAULTS.hidden_layers,
        penalty="group_lasso",
        alpha=1e-3,
        l1_ratio=DEFAULTS.l1_ratio,
        groups=None,
        mode=DEFAULTS.mode,
        optimizer=DEFAULTS.optimizer,
        learning_rate=DEFAULTS.learning_rate,
        momentum=DEFAULTS.momentum,
        batch_size=DEFAULTS.batch_size,
        max_iter=DEFAULTS.max_epochs,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=DEFAULTS.patience,
        penalised_layers=DEFAULTS.penalised_layers,
        random_state=None,
        loss=DEFAULTS.regression_loss,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            penalty=penalty,
            alpha=alpha,
            l1_ratio=l1_ratio,
            groups=groups,
            mode=mode,
            optimizer=optimizer,
            learning_rate=learning_rate,
            momentum=momentum,
            batch_size=batch_size,
            max_iter=max_iter,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            penalised_layers=penalised_layers,
            random_state=random_state,
        )
        self.loss = loss

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True)
        return self._fit_network(X, y.astype(np.float32), Task("continuous", regression_loss=self.loss), None)

    def predict(self, X) -> np.ndarray:
        return self._outputs(X)[:, 0].astype(np.float64)


class _PenalizedMLPPath(_Network):
    """The lambda path and the network chosen from it; see :class:`PenalizedMLPClassifierCV` for the parameters."""

    def __init__(
        self,
        hidden_layer_sizes=DEFAULTS.hidden_layers,
        penalty="group_lasso",
        n_lambdas=DEFAULTS.n_lambdas,
        lambda_min_ratio=DEFAULTS.lambda_min_ratio,
        lambdas=None,
        lambda_rule=DEFAULTS.lambda_rule,
        selection_metric=DEFAULTS.selection_metric,
        cv=None,
        validation_fraction=0.1,
        l1_ratio=DEFAULTS.l1_ratio,
        groups=None,
        adaptive=DEFAULTS.adaptive,
        relax=DEFAULTS.relax,
        relax_penalty_share=DEFAULTS.relax_penalty_share,
        warm_start=DEFAULTS.warm_start,
        mode=DEFAULTS.mode,
        optimizer=DEFAULTS.optimizer,
        learning_rate=DEFAULTS.learning_rate,
        momentum=DEFAULTS.momentum,
        batch_size=DEFAULTS.batch_size,
        max_iter=DEFAULTS.max_epochs,
        n_iter_no_change=DEFAULTS.patience,
        penalised_layers=DEFAULTS.penalised_layers,
        random_state=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.penalty = penalty
        self.n_lambdas = n_lambdas
        self.lambda_min_ratio = lambda_min_ratio
        self.lambdas = lambdas
        self.lambda_rule = lambda_rule
        self.selection_metric = selection_metric
        self.cv = cv
        self.validation_fraction = validation_fraction
        self.l1_ratio = l1_ratio
        self.groups = groups
        self.adaptive = adaptive
        self.relax = relax
        self.relax_penalty_share = relax_penalty_share
        self.warm_start = warm_start
        self.mode = mode
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.n_iter_no_change = n_iter_no_change
        self.penalised_layers = penalised_layers
        self.random_state = random_state

    def path(self, X, y) -> pd.DataFrame:
        """Fit, then return the path table ``path_`` (LassoNet's habit)."""
        return self.fit(X, y).path_

    def _fit_path(self, x: np.ndarray, targets: np.ndarray, task: Task, classes: np.ndarray | None):
        """Train the path on x (samples, features), choose lambda and set the fitted attributes; ``classes``
        (samples,) stratifies the validation split and the folds of a classifier."""
        settings = self._settings(
            patience=self.n_iter_no_change, n_lambdas=self.n_lambdas, lambda_min_ratio=self.lambda_min_ratio,
            warm_start=self.warm_start, adaptive=self.adaptive, relax=self.relax,
            relax_penalty_share=self.relax_penalty_share, lambda_rule=self.lambda_rule,
            selection_metric=self.selection_metric, regression_loss=task.regression_loss,
        )  # fmt: skip
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        try:
            check_training(task, self.penalty, [seed], settings)
        except RiataError as error:
            raise ValueError(str(error)) from None
        labels = self._group_labels(x.shape[1])
        self.n_features_in_ = x.shape[1]
        names = self._feature_names()  # the path's selected names: features, or the groups' labels
        variable_of = pd.Series(names if self.groups is None else [str(label) for label in labels], index=names)
        common = {"task": task, "penalty": self.penalty, "groups": Groups.from_labels(labels), "seeds": [seed],
                  "settings": settings}  # fmt: skip
        train, validation = _validation_split(len(x), self.validation_fraction, classes, rng)
        data = _split_tensors(x, targets, task, {"train": train, "validation": validation})
        lambdas = None if self.lambdas is None else np.sort(np.asarray(self.lambdas, dtype=float))
        points = fit_path(*data, lambdas=lambdas, **common).of_seed(seed)
        table = path_table(points, task, data[1]["validation"].numpy(), variable_of, settings.zero_threshold)
        if self.cv is not None:
            folds = check_cv(self.cv, classes, classifier=classes is not None, shuffle=True, random_state=seed)
            grid = np.sort(table["lambda"].to_numpy())
            scores = [_fold_metrics(x, targets, fold, grid, classes, rng, self.validation_fraction, **common)
                      for fold in folds.split(x, classes)]  # fmt: skip
            table = _cross_validated(table, scores)
        chosen = choose_lambda(table, settings.selection_metric, settings.lambda_rule)
        table["chosen"] = table.index == chosen
        table["selected"] = table["selected"].map(lambda names: names.split(";") if names else [])
        self.path_ = table.drop(columns=["n_selected_above_threshold"])
        self.lambdas_ = table["lambda"].to_numpy()
        self.lambda_ = float(points[chosen].lambda_)
        self.best_epoch_ = points[chosen].best_epoch
        self.n_iter_ = int(points[chosen].history["epoch"].max())
        self._set_network(points[chosen].parameters, labels)
        return self


def _validation_split(n_samples: int, fraction: float, classes: np.ndarray | None, rng) -> tuple[np.ndarray, ...]:
    """Training and validation sample positions: ``fraction`` of the samples (at least one per class) held
    out, stratified on ``classes`` (samples,) when every class has two samples."""
    n_classes = 1 if classes is None else len(np.unique(classes))
    if n_samples <= n_classes:
        raise ValueError(f"too few samples to hold out validation samples: n_samples = {n_samples}")
    size = min(max(round(fraction * n_samples), n_classes, 1), n_samples - n_classes)
    stratify = classes if classes is not None and np.bincount(classes).min() >= 2 else None
    return train_test_split(np.arange(n_samples), test_size=size, random_state=rng, stratify=stratify)


def _split_tensors(x: np.ndarray, targets: np.ndarray, task: Task, rows: dict[str, np.ndarray]):
    """Inputs and targets of each split (name -> sample positions) as fit_path takes them."""
    inputs = {split: torch.as_tensor(x[index], dtype=torch.float32) for split, index in rows.items()}
    return inputs, {split: task.target_tensor(targets[index]) for split, index in rows.items()}


def _fold_metrics(x, targets, fold, grid, classes, rng, fraction, **common) -> pd.DataFrame:
    """Metrics on one fold's held-out samples (one row per lambda of ``grid``, largest first) of the path
    trained on the fold's other samples (early stopping on an inner validation split of them)."""
    fitted, held_out = fold
    task = common["task"]
    inner = _validation_split(len(fitted), fraction, None if classes is None else classes[fitted], rng)
    rows = {"train": fitted[inner[0]], "validation": fitted[inner[1]], "held_out": held_out}
    points = fit_path(*_split_tensors(x, targets, task, rows), lambdas=grid, **common).of_seed(common["seeds"][0])
    return pd.DataFrame([task.metrics(targets[held_out], p.predictions["held_out"]) for p in points])


def _cross_validated(table: pd.DataFrame, folds: list[pd.DataFrame]) -> pd.DataFrame:
    """``table`` with each validation metric replaced by its mean over ``folds`` and its standard error by
    the folds' standard deviation / sqrt(folds), as glmnet's cv.glmnet does."""
    table = table.copy()
    for metric in [c.removeprefix("validation_").removesuffix("_se") for c in table if c.endswith("_se")]:
        values = np.stack([fold[metric].to_numpy() for fold in folds])  # (folds, lambdas)
        table[f"validation_{metric}"] = values.mean(axis=0)
        table[f"validation_{metric}_se"] = values.std(axis=0, ddof=1) / np.sqrt(len(folds))
    return table


class PenalizedMLPClassifierCV(_Classifier, _PenalizedMLPPath):
    """The lambda path of a penalised network classifier, and lambda chosen on held-out samples.

    ``fit`` holds out ``validation_fraction`` of the samples (stratified), trains the path on the rest
    with :func:`riata.train.fit_path` (every lambda at once, from the unpenalised network; the path is extended until
    the first layer is empty), and keeps the network at the lambda chosen on the held-out samples'
    ``selection_metric`` by ``lambda_rule`` (best, or one_se: the largest lambda within one standard
    error of the best). With ``cv`` (folds, or a scikit-learn splitter) the validation metric is instead
    the mean over K-fold cross-validation of paths on the same grid, and its standard error that of the
    folds; the chosen network is still the one trained on the first split.

    Parameters
    ----------
    n_lambdas, lambda_min_ratio : grid size and its smallest lambda as a share of lambda_max (computed from
        the gradient at a zero first layer of the network's initialisation).
    lambdas : an explicit grid instead (no extension).
    lambda_rule, selection_metric : how lambda is chosen (loss, auroc or accuracy for a classifier).
    cv, validation_fraction : K-fold cross-validation (None: one validation split) and the validation share.
    n_iter_no_change : early stopping patience on the validation objective; ``max_iter`` the most epochs
        per lambda.
    warm_start : train the path from the smallest lambda up (True) or every lambda from the initialisation.
    relax, relax_penalty_share : the relaxed path (each lambda's network trained again with its dropped inputs
        held at zero and its kept inputs penalised at relax_penalty_share x lambda; 0: unpenalised).
    The others are those of :class:`PenalizedMLPClassifier`. Defaults are the workflow's
    (:class:`riata.settings.TrainSettings`).

    Fitted attributes: ``lambda_`` (chosen), ``lambdas_`` (the path's, largest first), ``path_`` (one row per
    lambda, largest first: lambda, best epoch, each validation metric and its standard error, n_selected,
    selected (kept group names, a list), norm:<group> and chosen), ``selected_features_`` (kept feature
    names, from a DataFrame's columns or x0, x1, ...), ``support_``, ``classes_``, ``coefs_``,
    ``intercepts_``, ``first_layer_weights_``, ``groups_``, ``group_norms_``, ``best_epoch_``, ``n_iter_`` (epochs
    the chosen network trained).
    """

    def fit(self, X, y):
        X, codes, task = self._classification_task(X, y)
        return self._fit_path(X, codes, task, codes)


class PenalizedMLPRegressorCV(RegressorMixin, _PenalizedMLPPath):
    """The lambda path of a penalised regression network, and lambda chosen on held-out samples.

    As :class:`PenalizedMLPClassifierCV` (selection metric loss or r2), plus ``loss``: squared (default) or
    absolute error.
    """

    def __init__(
        self,
        hidden_layer_sizes=DEFAULTS.hidden_layers,
        penalty="group_lasso",
        n_lambdas=DEFAULTS.n_lambdas,
        lambda_min_ratio=DEFAULTS.lambda_min_ratio,
        lambdas=None,
        lambda_rule=DEFAULTS.lambda_rule,
        selection_metric=DEFAULTS.selection_metric,
        cv=None,
        validation_fraction=0.1,
        l1_ratio=DEFAULTS.l1_ratio,
        groups=None,
        adaptive=DEFAULTS.adaptive,
        relax=DEFAULTS.relax,
        relax_penalty_share=DEFAULTS.relax_penalty_share,
        warm_start=DEFAULTS.warm_start,
        mode=DEFAULTS.mode,
        optimizer=DEFAULTS.optimizer,
        learning_rate=DEFAULTS.learning_rate,
        momentum=DEFAULTS.momentum,
        batch_size=DEFAULTS.batch_size,
        max_iter=DEFAULTS.max_epochs,
        n_iter_no_change=DEFAULTS.patience,
        penalised_layers=DEFAULTS.penalised_layers,
        random_state=None,
        loss=DEFAULTS.regression_loss,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            penalty=penalty,
            n_lambdas=n_lambdas,
            lambda_min_ratio=lambda_min_ratio,
            lambdas=lambdas,
            lambda_rule=lambda_rule,
            selection_metric=selection_metric,
            cv=cv,
            validation_fraction=validation_fraction,
            l1_ratio=l1_ratio,
            groups=groups,
            adaptive=adaptive,
            relax=relax,
            relax_penalty_share=relax_penalty_share,
            warm_start=warm_start,
            mode=mode,
            optimizer=optimizer,
            learning_rate=learning_rate,
            momentum=momentum,
            batch_size=batch_size,
            max_iter=max_iter,
            n_iter_no_change=n_iter_no_change,
            penalised_layers=penalised_layers,
            random_state=random_state,
        )
        self.loss = loss

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True)
        return self._fit_path(X, y.astype(np.float32), Task("continuous", regression_loss=self.loss), None)

    def predict(self, X) -> np.ndarray:
        return self._outputs(X)[:, 0].astype(np.float64)


class PenalizedMLPSurvival(_PenalizedMLP):
    """A Cox proportional-hazards network whose penalty selects input features, in scikit-survival's conventions.

    ``fit(X, y)`` takes the structured array scikit-survival uses (an event indicator field, then a time
    field; see ``sksurv.util.Surv``); the loss is the negative log partial likelihood, Breslow ties (see
    :mod:`riata.survival`; with ``batch_size`` below the number of samples each minibatch is its own risk
    set). ``predict`` returns risk scores (log relative hazards), ``score`` Harrell's concordance, and
    ``predict_survival_function`` / ``predict_cumulative_hazard_function`` use Breslow's baseline hazard of
    the training samples. Parameters are those of :class:`PenalizedMLPClassifier`; early stopping holds out
    a share of the samples stratified on the event.

    Fitted attributes as for :class:`PenalizedMLPClassifier`, plus ``unique_times_`` (the training event
    times where survival functions step) and ``baseline_`` (``sksurv``'s ``BreslowEstimator``).
    """

    _predict_risk_score = True

    def fit(self, X, y):
        from sksurv.linear_model.coxph import BreslowEstimator
        from sksurv.util import check_array_survival

        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        X = validate_data(self, X, dtype=np.float32)
        event, time = check_array_survival(X, y)
        targets = np.column_stack([time, event]).astype(np.float32)
        stratify = event if self.early_stopping else None
        try:
            self._fit_network(X, targets, Task("survival"), stratify)
        except RiataError as error:
            raise ValueError(str(error)) from None
        self.baseline_ = BreslowEstimator().fit(self._forward(X)[:, 0].astype(np.float64), event, time)
        self.unique_times_ = self.baseline_.unique_times_
        return self

    def predict(self, X) -> np.ndarray:
        """Risk scores (samples,): log relative hazards, larger for earlier events."""
        return self._outputs(X)[:, 0].astype(np.float64)

    def score(self, X, y) -> float:
        """Harrell's concordance index of the risk scores (scikit-survival's ``concordance_index_censored``)."""
        from sksurv.metrics import concordance_index_censored

        event_field, time_field = y.dtype.names
        return concordance_index_censored(y[event_field], y[time_field], self.predict(X))[0]

    def predict_survival_function(self, X, return_array: bool = False):
        """Survival functions S(t | x) = S0(t)^exp(risk): scikit-survival StepFunctions, or with ``return_array``
        their values at ``unique_times_`` (samples, times)."""
        check_is_fitted(self, "baseline_")
        return self._curves("get_survival_function", X, return_array)

    def predict_cumulative_hazard_function(self, X, return_array: bool = False):
        """Cumulative hazards H(t | x) = H0(t) exp(risk), as :meth:`predict_survival_function`."""
        check_is_fitted(self, "baseline_")
        return self._curves("get_cumulative_hazard_function", X, return_array)

    def _curves(self, method: str, X, return_array: bool):
        functions = getattr(self.baseline_, method)(self.predict(X))
        if not return_array:
            return functions
        return np.vstack([function(self.unique_times_) for function in functions])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
