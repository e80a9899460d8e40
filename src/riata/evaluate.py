"""What a trained network's weights say: the input variables it keeps, their weight, dead hidden units.

Task metrics (accuracy, AUROC, ...) live in :mod:`riata.tasks`.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd


def selected_variables(first_layer: pd.DataFrame, variable_of: pd.Series, threshold: float = 0.0) -> list[str]:
    """Input variables with a first-layer weight whose magnitude exceeds ``threshold``, in row order.

    With the default threshold 0 these are the variables whose rows are not all exactly zero.
    ``first_layer`` is indexed by input column with one column per hidden unit; ``variable_of`` maps
    each input column to its variable (a one-hot column to its categorical variable).
    """
    kept_rows = first_layer.index[(np.abs(first_layer.to_numpy()) > threshold).any(axis=1)]
    return list(dict.fromkeys(variable_of.loc[kept_rows]))


def group_norms(first_layer: pd.DataFrame, variable_of: pd.Series) -> pd.Series:
    """Euclidean norm of each variable's first-layer weights (all its rows together), in row order."""
    squares = pd.Series((first_layer.to_numpy() ** 2).sum(axis=1), index=variable_of.loc[first_layer.index].to_numpy())
    return np.sqrt(squares.groupby(level=0, sort=False).sum())


def dead_units(weights: list[np.ndarray]) -> int:
    """Hidden units switched off: all incoming or all outgoing weights exactly zero.

    ``weights`` are one network's weight matrices, layer by layer, each (inputs, outputs).
    """
    dead = 0
    for incoming, outgoing in itertools.pairwise(weights):
        dead += int(((incoming == 0).all(axis=0) | (outgoing == 0).all(axis=1)).sum())
    return dead
