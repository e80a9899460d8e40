"""riata: which clinical and genetic variables does a neural network actually need?

The scikit-learn estimators ``riata.PenalizedMLPClassifierCV`` and ``riata.PenalizedMLPRegressorCV`` (the lambda
path, lambda chosen on held-out samples), ``riata.PenalizedMLPClassifier``, ``riata.PenalizedMLPRegressor`` and
``riata.PenalizedMLPSurvival`` (one lambda), and ``riata.load_model`` (a model bundle, to score new patients), are
imported on first use, so that the command line starts without loading torch.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("riata")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

_ESTIMATORS = (
    "PenalizedMLPClassifierCV",
    "PenalizedMLPRegressorCV",
    "PenalizedMLPClassifier",
    "PenalizedMLPRegressor",
    "PenalizedMLPSurvival",
)


def __getattr__(name: str):
    if name in _ESTIMATORS:
        from riata import estimators

        return getattr(estimators, name)
    if name == "load_model":
        from riata.scoring import load_model

        return load_model
    raise AttributeError(f"module 'riata' has no attribute {name!r}")


__all__ = [*_ESTIMATORS, "__version__", "load_model"]
