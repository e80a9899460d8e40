"""Design matrices: clinical preprocessing and genetic components, fitted on training samples only.

Numeric covariates: median imputation, then standardization. Categorical covariates: most-frequent
imputation, then one-hot columns named ``<VARIABLE>_<level>`` (all levels kept, so a group penalty
treats the variable as one group; a level unseen in training becomes all zeros). Genetic components
``genetic_0..k-1``: standardized. Every statistic (medians, means, scales, levels) comes from the
training samples; validation and test samples are only transformed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from riata.errors import RiataError
from riata.io.clinical import OUTCOME, OUTCOME_TIME, ClinicalSpec, ClinicalTable
from riata.settings import FEATURE_SET_SOURCES


@dataclass(frozen=True)
class DesignMatrices:
    """Feature tables per split (index sample id, one column per network input) and column metadata.

    ``columns`` has one row per input column: column, variable (the group it belongs to: the
    clinical variable or the genetic component), source (clinical or genetic).
    """

    tables: dict[str, pd.DataFrame]
    columns: pd.DataFrame
    parameters: dict


def _clinical_transformer(spec: ClinicalSpec) -> ColumnTransformer:
    numeric = make_pipeline(SimpleImputer(strategy=spec.numeric_imputation), StandardScaler())
    level_imputer = (
        SimpleImputer(strategy="most_frequent")
        if spec.categorical_imputation == "most_frequent"
        else SimpleImputer(strategy="constant", fill_value="missing")
    )
    categorical = make_pipeline(
        level_imputer,
        OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64),
    )
    return ColumnTransformer(
        [("numeric", numeric, list(spec.numeric)), ("categorical", categorical, list(spec.categorical))],
        verbose_feature_names_out=False,
    )


def _fitted_parameters(
    transformer: ColumnTransformer | None, spec: ClinicalSpec, scalers: dict[str, StandardScaler]
) -> dict:
    """The learnt preprocessing, as plain JSON-able values, for the record."""
    parameters: dict = {}
    if transformer is not None and spec.numeric:
        imputer, scaler = (step for _, step in transformer.named_transformers_["numeric"].steps)
        parameters["numeric"] = {
            column: {"median": float(median), "mean": float(mean), "scale": float(scale)}
            for column, median, mean, scale in zip(
                spec.numeric, imputer.statistics_, scaler.mean_, scaler.scale_, strict=True
            )
        }
    if transformer is not None and spec.categorical:
        imputer, encoder = (step for _, step in transformer.named_transformers_["categorical"].steps)
        parameters["categorical"] = {
            column: {"mode": str(mode), "levels": [str(level) for level in levels]}
            for column, mode, levels in zip(spec.categorical, imputer.statistics_, encoder.categories_, strict=True)
        }
    for source, scaler in scalers.items():
        parameters[source] = {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()}
    return parameters


def build_design(
    table: ClinicalTable, split: pd.Series, numeric_inputs: dict[str, pd.DataFrame] | None = None
) -> DesignMatrices:
    """Fit preprocessing on training samples and transform every split.

    ``table`` comes from :func:`riata.io.clinical.read_clinical`; ``split`` maps sample id to
    train/validation/test; ``numeric_inputs`` maps a source to its inputs (sample id x columns) that are
    only standardized: ``genetic`` (the components ``genetic_*``, see
    :func:`riata.io.results.read_components`; absent for clinical-only analyses) and ``oracle`` (a
    simulated cohort's true genetic liability). Their columns come first, as in the case study's heat
    maps. ``parameters`` records what was fitted, and the outcome's type and class labels.
    """
    clinical, spec = table.frame, table.spec
    missing = split.index.difference(clinical.index)
    if len(missing):
        raise RiataError(f"features: sample {missing[0]!r} of the split is not in the clinical table")
    train_ids = split.index[split == "train"]
    column_rows = []
    scalers = {}
    for source, values in (numeric_inputs or {}).items():
        absent = split.index.difference(values.index)
        if len(absent):
            raise RiataError(f"features: sample {absent[0]!r} of the split has no {source} inputs")
        scalers[source] = StandardScaler().fit(values.loc[train_ids])
        column_rows += [{"column": c, "variable": c, "source": source} for c in values.columns]

    transformer = None
    if spec.covariates:
        transformer = _clinical_transformer(spec).fit(clinical.loc[train_ids, spec.covariates])
        clinical_names = transformer.get_feature_names_out()
        levels = transformer.named_transformers_["categorical"].steps[1][1].categories_ if spec.categorical else []
        variable_of = {c: c for c in spec.numeric}
        for variable, variable_levels in zip(spec.categorical, levels, strict=True):
            variable_of.update({f"{variable}_{level}": variable for level in variable_levels})
        column_rows += [{"column": c, "variable": variable_of[c], "source": "clinical"} for c in clinical_names]

    tables = {}
    for name in ("train", "validation", "test"):
        ids = split.index[split == name]
        parts = [
            pd.DataFrame(scaler.transform(numeric_inputs[source].loc[ids]), index=ids,
                         columns=numeric_inputs[source].columns)
            for source, scaler in scalers.items()
        ]  # fmt: skip
        if transformer is not None:
            values = transformer.transform(clinical.loc[ids, spec.covariates])
            parts.append(pd.DataFrame(values, index=ids, columns=clinical_names))
        split_table = pd.concat(parts, axis=1)
        split_table.insert(0, OUTCOME, clinical.loc[ids, OUTCOME].to_numpy())
        if spec.outcome_type == "survival":
            split_table.insert(1, OUTCOME_TIME, clinical.loc[ids, OUTCOME_TIME].to_numpy())
        split_table.index.name = "sample_id"
        tables[name] = split_table
    parameters = _fitted_parameters(transformer, spec, scalers)
    parameters["outcome"] = {"type": spec.outcome_type, "classes": table.classes}
    if spec.outcome_type == "survival":
        parameters["outcome"]["horizon"] = _survival_horizon(clinical.loc[train_ids], spec)
    return DesignMatrices(tables=tables, columns=pd.DataFrame(column_rows), parameters=parameters)


def _survival_horizon(train: pd.DataFrame, spec: ClinicalSpec) -> float:
    """clinical.horizon, or the training samples' median follow-up; refused with no training events."""
    if not train[OUTCOME].any():
        raise RiataError("features: the training split has no events; a survival model cannot be fitted")
    horizon = spec.horizon if spec.horizon is not None else float(train[OUTCOME_TIME].median())
    if horizon >= train[OUTCOME_TIME].max():
        raise RiataError(f"features: clinical.horizon {horizon:g} is not below the longest training follow-up "
                         f"({train[OUTCOME_TIME].max():g})")  # fmt: skip
    return horizon


def feature_columns(columns: pd.DataFrame, feature_set: str) -> pd.DataFrame:
    """Rows of the column metadata that belong to ``feature_set``, its sources in the order of
    :data:`riata.settings.FEATURE_SET_SOURCES` (genetic inputs before clinical variables)."""
    if feature_set not in FEATURE_SET_SOURCES:
        raise RiataError(f"unknown feature set {feature_set!r}; choose from {', '.join(FEATURE_SET_SOURCES)}")
    sources = FEATURE_SET_SOURCES[feature_set]
    chosen = pd.concat([columns[columns["source"] == source] for source in sources])
    if chosen.empty:
        raise RiataError(f"feature set {feature_set!r} has no input columns (no {' or '.join(sources)} data)")
    return chosen.reset_index(drop=True)


def with_polygenic_score(
    tables: dict[str, pd.DataFrame], columns: pd.DataFrame, scores_path
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The design tables and column metadata with the polygenic score of scores.tsv (``riata score``) as input prs."""
    from riata.io.tables import read_table

    scores = read_table(scores_path, dtype={"sample_id": str}).set_index("sample_id")[["prs"]]
    return with_inputs(tables, columns, scores, "prs")


def with_inputs(
    tables: dict[str, pd.DataFrame], columns: pd.DataFrame, values: pd.DataFrame, source: str
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The design tables and column metadata with more inputs: ``values`` (sample id x inputs, already
    on the networks' scale) for every sample of the tables, each input a variable of its own, from ``source``."""
    missing = [split for split, table in tables.items() if not table.index.isin(values.index).all()]
    if missing:
        raise RiataError(f"features: {source} inputs lack {missing[0]} samples")
    extended = {split: pd.concat([table, values.loc[table.index]], axis=1) for split, table in tables.items()}
    added = pd.DataFrame({"column": values.columns, "variable": values.columns, "source": source})
    return extended, pd.concat([columns, added], ignore_index=True)
