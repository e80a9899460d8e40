"""scikit-learn estimators for one penalised network, on the same engine as the workflow.

``PenalizedMLPClassifier`` (binary or multiclass), ``PenalizedMLPRegressor`` and ``PenalizedMLPSurvival``
(a Cox proportional-hazards network, in scikit-survival's conventions) train one network with
:func:`riata.train.fit_stack` and follow scikit-learn's contract: ``__init__`` only stores arguments,
``fit`` validates, learns and returns ``self``, fitted attributes end in ``_``, randomness comes from
``random_state``, so they work in ``Pipeline``, ``GridSearchCV``, ``clone`` and ``pickle``. Inputs are
used as given; put a ``StandardScaler`` in front, as the penalty's strength depends on input scale.

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> model = make_pipeline(StandardScaler(), PenalizedMLPClassifier(penalty="group_lasso", alpha=0.01))
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from riata.errors import RiataError
from riata.penalties import Groups
from riata.settings import TrainSettings
from riata.tasks import Task
from riata.train import fit_stack


class _PenalizedMLP(BaseEstimator):
    """Shared fitting code; see :class:`PenalizedMLPClassifier` for the parameters."""

    def __init__(
        self,
        hidden_layer_sizes=(16,),
        penalty="group_lasso",
        alpha=1e-3,
        l1_ratio=0.5,
        groups=None,
        mode="proximal",
        optimizer="sgd",
        learning_rate=0.02,
        momentum=0.9,
        batch_size=64,
        max_iter=200,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=30,
        penalised_layers="first",
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

    def _settings(self, regression_loss: str = "squared") -> TrainSettings:
        settings = TrainSettings(
            hidden_layers=tuple(int(h) for h in self.hidden_layer_sizes),
            mode=self.mode,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            momentum=self.momentum,
            batch_size=self.batch_size,
            max_epochs=self.max_iter,
            patience=self.n_iter_no_change if self.early_stopping else 0,
            penalised_layers=self.penalised_layers,
            l1_ratio=self.l1_ratio,
            regression_loss=regression_loss,
        )
        if self.alpha < 0:
            raise ValueError(f"alpha must be at least 0, got {self.alpha}")
        return settings

    def _groups(self, n_features: int) -> Groups:
        labels = list(range(n_features)) if self.groups is None else list(self.groups)
        if len(labels) != n_features:
            raise ValueError(f"groups has {len(labels)} labels for {n_features} features")
        return Groups.from_labels(labels)

    def _fit_network(self, x: np.ndarray, targets: np.ndarray, task: Task, settings: TrainSettings, stratify):
        """Train one network on x (samples, features) and set the fitted attributes."""
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        if self.early_stopping:
            x_train, x_val, y_train, y_val = train_test_split(
                x, targets, test_size=self.validation_fraction, random_state=rng, stratify=stratify
            )
        else:  # no early stopping: the validation objective is only recorded, on the training data
            x_train, x_val, y_train, y_val = x, x, targets, targets
        groups = self._groups(x.shape[1])
        fit = fit_stack(
            torch.as_tensor(x_train, dtype=torch.float32),
            task.target_tensor(y_train),
            torch.as_tensor(x_val, dtype=torch.float32),
            task.target_tensor(y_val),
            task=task,
            penalty=self.penalty,
            lambdas=np.array([float(self.alpha)]),
            seeds=np.array([seed]),
            groups=groups,
            settings=settings,
        )
        self.coefs_ = [w.detach()[0].numpy().copy() for w in fit.network.weights]
        self.intercepts_ = [b.detach()[0, 0].numpy().copy() for b in fit.network.biases]
        self.n_iter_ = len(fit.train_loss)
        self.best_epoch_ = int(fit.best_epoch[0])
        self.loss_curve_ = fit.train_loss[:, 0].tolist()
        self.groups_ = list(dict.fromkeys(range(x.shape[1]) if self.groups is None else self.groups))
        norms = groups.norms(torch.as_tensor(self.coefs_[0])[None])[0].numpy()
        self.group_norms_ = norms
        self.selected_features_ = (self.coefs_[0] != 0).any(axis=1)
        return self

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


class PenalizedMLPClassifier(ClassifierMixin, _PenalizedMLP):
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

    Fitted attributes: ``classes_``, ``coefs_`` / ``intercepts_`` (per layer), ``first_layer_weights_``
    (features x hidden units), ``groups_`` and ``group_norms_`` (norm of each group's first-layer
    weights), ``selected_features_`` (features with a non-zero first-layer weight), ``n_iter_``,
    ``best_epoch_``, ``loss_curve_``.
    """

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"a classifier needs at least two classes; got 1 class ({self.classes_[0]!r})")
        kind = "binary" if len(self.classes_) == 2 else "multiclass"
        task = Task(kind, n_classes=len(self.classes_))
        stratify = codes if self.early_stopping else None
        return self._fit_network(X, codes, task, self._settings(), stratify)

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


class PenalizedMLPRegressor(RegressorMixin, _PenalizedMLP):
    """A feed-forward regression network whose penalty selects input features.

    Parameters are those of :class:`PenalizedMLPClassifier`, plus ``loss``: squared (default) or
    absolute error.
    """

    def __init__(
        self,
        hidden_layer_sizes=(16,),
        penalty="group_lasso",
        alpha=1e-3,
        l1_ratio=0.5,
        groups=None,
        mode="proximal",
        optimizer="sgd",
        learning_rate=0.02,
        momentum=0.9,
        batch_size=64,
        max_iter=200,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=30,
        penalised_layers="first",
        random_state=None,
        loss="squared",
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
        task = Task("continuous", regression_loss=self.loss)
        return self._fit_network(X, y.astype(np.float32), task, self._settings(self.loss), None)

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
            self._fit_network(X, targets, Task("survival"), self._settings(), stratify)
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
