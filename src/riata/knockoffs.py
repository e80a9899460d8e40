"""False-discovery control for the selected variables: model-X knockoffs (Candes et al. 2018).

For the inputs of a feature set (samples x columns, imputed and scaled on the training split), second-order
Gaussian knockoffs are drawn: mean and covariance (Ledoit-Wolf) are estimated on the training samples only, and
knockpy computes the S-matrix (MVR by default), as group knockoffs where a variable has several columns (a
one-hot categorical). Each seed draws its own knockoffs for the training and validation samples and trains a
penalised network on [X, X~] (each variable and each knockoff its own group), lambda chosen on validation as in
the workflow. A variable's importance is DeepPINK's (Lu et al. 2018) from that network:
``Z_j = sum over j's columns and the outputs of |W1| @ |W2| @ ... @ |WL|``, and its statistic is
``W_j = Z_j - Z~_j``. The knockoff+ filter keeps ``{j: W_j >= T}`` with T the smallest t > 0 such that
``(1 + #{W_j <= -t}) / max(1, #{W_j >= t}) <= q``, which controls the false discovery rate at q.

With few variables the filter has little power by design: selecting anything at q needs at least 1/q
variables with positive statistics (10 at q = 0.1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from riata.errors import RiataError
from riata.settings import KnockoffSettings, TrainSettings
from riata.tasks import Task

log = logging.getLogger("riata")

KNOCKOFF_SUFFIX = "~knockoff"  # a knockoff's column and variable name: the original's name + this
KNOCKOFF_STREAM = 0x6B6F  # with the seed, keys the knockoffs' random stream (never the same as default_rng(seed))


@dataclass(frozen=True)
class GaussianKnockoffs:
    """Second-order Gaussian (group) knockoffs of inputs (columns,) fitted on training samples."""

    mean: np.ndarray  # (columns,)
    covariance: np.ndarray  # (columns, columns), Ledoit-Wolf shrunk
    s_matrix: np.ndarray  # (columns, columns): Cov(X, X~) = covariance - s_matrix

    @classmethod
    def fit(cls, x_train: np.ndarray, groups: np.ndarray, method: str) -> GaussianKnockoffs:
        """From training inputs (samples, columns) and each column's group (columns,), integers from 1."""
        from knockpy import smatrix, utilities

        covariance, _ = utilities.estimate_covariance(x_train, tol=1e-2, shrinkage="ledoitwolf")
        # knockpy's solvers visit coordinates in an order drawn from numpy's global random state: seeded here, so
        # that the same data give the same S-matrix in every run, and the caller's global state left as it was
        caller_state = np.random.get_state()
        np.random.seed(KNOCKOFF_STREAM)
        try:
            s_matrix = smatrix.compute_smatrix(covariance, groups=groups, method=method)
        finally:
            np.random.set_state(caller_state)
        return cls(x_train.mean(axis=0), covariance, s_matrix)

    def sample(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Knockoffs (samples, columns) of ``x`` (samples, columns): X~ | X is Gaussian with mean
        ``x - (x - mean) Sigma^-1 S`` and covariance ``2S - S Sigma^-1 S``."""
        solved = np.linalg.solve(self.covariance, self.s_matrix)  # Sigma^-1 S
        conditional_mean = x - (x - self.mean) @ solved
        conditional_covariance = 2 * self.s_matrix - self.s_matrix @ solved
        conditional_covariance = (conditional_covariance + conditional_covariance.T) / 2
        lowest = np.linalg.eigvalsh(conditional_covariance).min()
        if lowest < 1e-8:  # rounding: shift to positive definite, as knockpy does
            conditional_covariance += (1e-8 - lowest) * np.eye(len(conditional_covariance))
        factor = np.linalg.cholesky(conditional_covariance)
        return conditional_mean + rng.standard_normal(x.shape) @ factor.T


def knockoff_plus_threshold(statistics: np.ndarray, fdr: float) -> float:
    """The knockoff+ threshold T of statistics W (variables,) at target FDR ``fdr``: the smallest t among the
    |W_j| > 0 with (1 + #{W_j <= -t}) / max(1, #{W_j >= t}) <= fdr; inf when no t qualifies."""
    for t in np.unique(np.abs(statistics[statistics != 0])):  # increasing
        if (1 + np.sum(statistics <= -t)) / max(1, np.sum(statistics >= t)) <= fdr:
            return float(t)
    return float("inf")


def deeppink_importance(weights: list[np.ndarray]) -> np.ndarray:
    """Per input column (inputs,): the sum over outputs of |W1| @ |W2| @ ... @ |WL| for one network's weight
    matrices ``weights`` (each (inputs, outputs) of its layer)."""
    product = np.abs(weights[0])
    for weight in weights[1:]:
        product = product @ np.abs(weight)
    return product.sum(axis=1)


def with_knockoff_columns(columns: pd.DataFrame) -> pd.DataFrame:
    """The column metadata (column, variable, source) followed by one row per knockoff column."""
    clash = set(columns["column"]) & {c + KNOCKOFF_SUFFIX for c in columns["column"]}
    if clash:
        raise RiataError(f"knockoffs: input column {sorted(clash)[0]!r} has the name of a knockoff column")
    knockoff = columns.assign(
        column=columns["column"] + KNOCKOFF_SUFFIX, variable=columns["variable"] + KNOCKOFF_SUFFIX
    )
    return pd.concat([columns, knockoff], ignore_index=True)


def knockoff_selection(
    tables: dict[str, pd.DataFrame],
    columns: pd.DataFrame,
    *,
    task: Task,
    seeds: list[int],
    training: TrainSettings,
    knockoffs: KnockoffSettings,
) -> pd.DataFrame:
    """Knockoff statistics and selections of the input variables of ``columns`` (rows: column, variable,
    source), one knockoff draw and network per seed, on ``tables`` (train and validation frames with the coded
    outcome and the columns).

    Returns one row per (seed, variable): source, importance, knockoff_importance, statistic (W), lambda,
    and per target FDR q of ``knockoffs.fdr`` the threshold ``threshold_q<q>`` and ``selected_q<q>`` (1 / 0).
    """
    from riata.train import fit_penalty

    names = columns["column"].tolist()
    variables = columns.drop_duplicates("variable")[["variable", "source"]].reset_index(drop=True)
    group_of = pd.Series(np.arange(1, len(variables) + 1), index=variables["variable"])
    sampler = GaussianKnockoffs.fit(
        tables["train"][names].to_numpy(dtype=float), group_of.loc[columns["variable"]].to_numpy(), knockoffs.method
    )
    doubled = with_knockoff_columns(columns)
    settings = replace(training, lambda_rule=knockoffs.lambda_rule, stability_refits=0, relax=False)
    rows = []
    for seed in seeds:
        rng = np.random.default_rng([seed, KNOCKOFF_STREAM])
        augmented = {}
        for split in ("train", "validation"):
            table = tables[split]
            fake = sampler.sample(table[names].to_numpy(dtype=float), rng)
            augmented[split] = table.assign(**dict(zip(doubled["column"][len(names) :], fake.T, strict=True)))
        (result,) = fit_penalty(augmented, doubled, task=task, penalty=knockoffs.penalty, seeds=[seed],
                                settings=settings)  # fmt: skip
        layers = [w.numpy() for w in result.parameters[: len(training.hidden_layers) + 1]]
        per_column = pd.Series(deeppink_importance(layers), index=doubled["variable"].to_numpy())
        per_variable = per_column.groupby(level=0, sort=False).sum()
        importance = per_variable.loc[variables["variable"]].to_numpy()
        knockoff_importance = per_variable.loc[variables["variable"] + KNOCKOFF_SUFFIX].to_numpy()
        statistic = importance - knockoff_importance
        row = variables.assign(seed=seed, importance=importance, knockoff_importance=knockoff_importance,
                               statistic=statistic, **{"lambda": result.lambda_})  # fmt: skip
        for fdr in knockoffs.fdr:
            threshold = knockoff_plus_threshold(statistic, fdr)
            row[f"threshold_q{fdr:g}"] = threshold
            row[f"selected_q{fdr:g}"] = (statistic >= threshold).astype(int)
        kept = {f"q={fdr:g}": list(row.loc[row[f"selected_q{fdr:g}"] == 1, "variable"]) for fdr in knockoffs.fdr}
        log.info("knockoffs seed %d: lambda %.3g, selected %s", seed, result.lambda_, kept)
        rows.append(row)
    ordered = ["seed", "variable", "source", "importance", "knockoff_importance", "statistic", "lambda"]
    table = pd.concat(rows, ignore_index=True)
    return table[ordered + [c for c in table.columns if c not in ordered]]
