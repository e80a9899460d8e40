"""The clinical table: one row per sample, an id column, an outcome and covariates.

The outcome is binary (coded 1 for the positive label, 0 for the other), multiclass (coded 0..K-1 in
the sorted order of its labels), continuous (a number) or survival (the event coded as a binary outcome,
beside a non-negative follow-up time).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from riata.errors import RiataError
from riata.io.tables import read_table
from riata.settings import GENETIC_PREFIX, ClinicalSpec

log = logging.getLogger("riata")

OUTCOME = "outcome"  # name of the coded outcome column in every table riata writes (survival: the event)
OUTCOME_TIME = "outcome_time"  # survival outcomes: the follow-up time, beside the event
# Names of riata's own columns and generated inputs, which no covariate may take (with GENETIC_PREFIX*).
RESERVED_NAMES = (OUTCOME, OUTCOME_TIME, "sample_id", "split", "prs")
# Cell texts that mean "missing" in a delimited clinical table (pandas' defaults, pinned and documented in the
# README); '.', '-9' or '?' are values. A parquet table's nulls are missing.
MISSING_VALUES = ("", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "null", "NULL", "None", "<NA>", "#N/A",
                  "#N/A N/A", "#NA", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN")  # fmt: skip


def _normalise_level(value: object) -> object:
    """Labels and categorical levels as written, except that integral numbers lose a '.0' (1, 1.0 and '1.0'
    are one level, '1'), since a table written with missing values often has its integers as floats."""
    if pd.isna(value):
        return np.nan
    if isinstance(value, bool | np.bool_):
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else str(value)


def _sorted_labels(labels) -> list[str]:
    """Labels in numeric order when they are all numbers, otherwise in text order."""
    numbers = pd.to_numeric(pd.Series(labels, dtype=object), errors="coerce")
    if numbers.notna().all():
        return [label for _, label in sorted(zip(numbers, labels, strict=True))]
    return sorted(labels)


def _coded_outcome(values: pd.Series, spec: ClinicalSpec, path: os.PathLike | str) -> tuple[pd.Series, list[str]]:
    """The outcome column coded as riata uses it, and the class labels (empty for a continuous outcome)."""
    if spec.outcome_type == "continuous":
        numbers = _numeric_column(values, spec.outcome, path)
        if numbers.nunique() < 2:
            raise RiataError(f"{path}: outcome column {spec.outcome!r} is constant")
        return numbers, []
    values = values.map(_normalise_level)
    labels = _sorted_labels(list(values.dropna().unique()))
    if len(labels) < 2:
        raise RiataError(f"{path}: outcome column {spec.outcome!r} is constant ({labels})")
    if spec.outcome_type == "multiclass":
        code = {label: k for k, label in enumerate(labels)}
        return values.map(code), labels
    if len(labels) > 2:
        expected = "2 (event and censored)" if spec.outcome_type == "survival" else "2"
        raise RiataError(
            f"{path}: outcome column {spec.outcome!r} has {len(labels)} labels {labels[:5]}; expected {expected}"
        )
    if spec.positive_label not in labels:
        raise RiataError(
            f"{path}: outcome column {spec.outcome!r} has labels {labels}, "
            f"not the positive label {spec.positive_label!r}"
        )
    negative = next(label for label in labels if label != spec.positive_label)
    return (values == spec.positive_label).astype(int).where(values.notna()), [negative, spec.positive_label]


def _follow_up_times(values: pd.Series, column: str, path: os.PathLike | str) -> pd.Series:
    """A survival outcome's times: numbers, none missing, none negative."""
    times = _numeric_column(values, column, path)
    for problem, bad in (("missing", times.isna()), ("negative", times < 0)):
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            written = "" if problem == "missing" else f" '{values.iloc[row]}'"
            raise RiataError(f"{path}: line {row + 2}: time column {column!r} has a {problem} time{written}")
    return times


def _overflows(value: object) -> bool:
    """Whether text reads as an infinite float ('inf', '1e400')."""
    try:
        return bool(np.isinf(float(str(value))))
    except ValueError:
        return False


def _numeric_column(values: pd.Series, column: str, path: os.PathLike | str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    unread = (numbers.isna() & values.notna()).to_numpy()  # "1e400" is unreadable here, "inf" infinite
    infinite = np.isinf(numbers.to_numpy())
    infinite[unread] = [_overflows(value) for value in values.to_numpy()[unread]]
    infinite = pd.Series(infinite, index=values.index)
    for problem, bad in (("an infinite or too large value", infinite), ("non-numeric value", unread & ~infinite)):
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise RiataError(f"{path}: line {row + 2}: numeric column {column!r} has {problem} '{values.iloc[row]}'")
    return numbers


@dataclass(frozen=True)
class ClinicalTable:
    """A checked clinical table: ``frame`` indexed by sample id, and the outcome's class labels.

    ``frame`` has column ``outcome`` (coded, see the module doc; samples with a missing outcome are
    dropped), for survival ``outcome_time``, numeric covariates as float and categorical covariates as
    text (NaN where missing), in the order of ``spec.covariates``. ``classes`` lists the outcome labels
    in code order (binary: [negative, positive]; empty for a continuous outcome).
    """

    frame: pd.DataFrame
    classes: list[str]
    spec: ClinicalSpec  # as given, or with the covariates and their types inferred


def infer_covariates(table: pd.DataFrame, spec: ClinicalSpec) -> ClinicalSpec:
    """Every column but the id, outcome and family id as a covariate: numeric when all its values are
    numbers, categorical otherwise."""
    reserved = {spec.id_column, spec.outcome, spec.fid_column, spec.time_column}
    numeric, categorical = [], []
    for column in (c for c in table.columns if c not in reserved):
        values = table[column]
        is_numeric = values.notna().any() and not (pd.to_numeric(values, errors="coerce").isna() & values.notna()).any()
        (numeric if is_numeric else categorical).append(str(column))
    log.info("inferred covariates: numeric %s; categorical %s", numeric or "none", categorical or "none")
    return replace(spec, numeric=numeric, categorical=categorical)


def read_clinical(path: str | os.PathLike, spec: ClinicalSpec, *, covariates: bool = True,
                  outcome_required: bool = True) -> ClinicalTable:  # fmt: skip
    """Read and check the clinical table; every problem is a RiataError naming the file and column.

    With ``covariates`` False only the ids and the outcome are read (and none are inferred). With
    ``outcome_required`` False (new patients to score) a table without the outcome column is accepted:
    its frame then has no ``outcome`` (nor ``outcome_time``) column and every sample is kept.
    """
    text_columns = [c for c in (spec.id_column, spec.fid_column) if c]
    if not str(path).lower().endswith(".parquet"):  # labels and levels as written (TRUE is not True)
        text_columns += [*spec.categorical, *([spec.outcome] if spec.outcome_type != "continuous" else [])]
    table = read_table(path, dtype=dict.fromkeys(text_columns, str), na_values=MISSING_VALUES, keep_default_na=False)
    return check_clinical(table, spec, path, covariates=covariates, outcome_required=outcome_required)


def check_clinical(table: pd.DataFrame, spec: ClinicalSpec, path: str | os.PathLike, *, covariates: bool = True,
                   outcome_required: bool = True) -> ClinicalTable:  # fmt: skip
    """:func:`read_clinical` on a table already read (``path`` names it in errors)."""
    has_outcome = outcome_required or spec.outcome in table.columns
    roles = [("id column", spec.id_column)]
    if has_outcome:
        roles.append(("outcome column", spec.outcome))
        if spec.time_column:
            roles.append(("time column", spec.time_column))
    if spec.fid_column:
        roles.append(("family id column", spec.fid_column))
    for role, column in roles:
        if column not in table.columns:
            raise RiataError(
                f"{path}: {role} {column!r} not found (columns: {', '.join(map(str, table.columns[:12]))})"
            )
    frame = pd.DataFrame(index=pd.Index(_sample_ids(table, spec, path), name="sample_id"))
    classes = []
    if has_outcome:  # ids and outcome first: what `riata split` reads, refused in the same order
        outcome, classes = _coded_outcome(table[spec.outcome], spec, path)
        frame[OUTCOME] = outcome.to_numpy()
        if spec.outcome_type == "survival":
            frame[OUTCOME_TIME] = _follow_up_times(table[spec.time_column], spec.time_column, path).to_numpy()
    if not covariates:
        spec = replace(spec, numeric=[], categorical=[])
    elif not spec.covariates:
        spec = infer_covariates(table, spec)
    for column in spec.covariates:
        if column not in table.columns:
            raise RiataError(f"{path}: declared covariate column {column!r} not found")
    for column in spec.numeric:
        frame[column] = _numeric_column(table[column], column, path).to_numpy()
    for column in spec.categorical:
        frame[column] = table[column].map(_normalise_level).to_numpy()
    _check_covariate_values(frame, spec, path)
    if has_outcome:
        missing_outcome = frame[OUTCOME].isna()
        if missing_outcome.any():
            log.warning("%s: %d sample(s) with a missing outcome are left out", path, int(missing_outcome.sum()))
            frame = frame[~missing_outcome]
        frame[OUTCOME] = frame[OUTCOME].astype(float if spec.outcome_type == "continuous" else int)
    return ClinicalTable(frame, classes, spec)


def _sample_ids(table: pd.DataFrame, spec: ClinicalSpec, path: str | os.PathLike) -> np.ndarray:
    """The sample ids (FID_IID with a family id column), checked: none empty, none repeated."""
    ids = table[spec.id_column]
    if spec.fid_column:
        ids = (table[spec.fid_column].astype(str) + "_" + ids.astype(str)).where(ids.notna())
    if ids.isna().any():
        raise RiataError(f"{path}: line {int(np.flatnonzero(ids.isna())[0]) + 2}: empty sample id")
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise RiataError(f"{path}: duplicate sample id {duplicated.iloc[0]!r} in column {spec.id_column!r}")
    return ids.astype(str).to_numpy()


def _check_input_names(frame: pd.DataFrame, spec: ClinicalSpec, path: str | os.PathLike) -> None:
    """Refuse covariates whose network input names would collide: with the names riata gives its own columns and
    inputs (:data:`RESERVED_NAMES`, ``genetic_*``), or a one-hot ``<variable>_<level>`` with another input."""
    for column in spec.covariates:
        if column in RESERVED_NAMES or column.startswith(GENETIC_PREFIX):
            raise RiataError(f"{path}: column {column!r} has a name riata gives its own columns "
                             f"({', '.join(RESERVED_NAMES)}, {GENETIC_PREFIX}*); rename it")  # fmt: skip
    seen = {column: f"numeric column {column!r}" for column in spec.numeric}
    for column in spec.categorical:
        for level in frame[column].dropna().unique():
            name = f"{column}_{level}"
            if name in seen:
                raise RiataError(f"{path}: level {level!r} of categorical column {column!r} makes the input "
                                 f"{name!r}, the same name as {seen[name]}; rename one of them")  # fmt: skip
            seen[name] = f"level {level!r} of categorical column {column!r}"


def _check_covariate_values(frame: pd.DataFrame, spec: ClinicalSpec, path: str | os.PathLike) -> None:
    _check_input_names(frame, spec, path)
    for column in spec.covariates:
        if frame[column].isna().all():
            raise RiataError(f"{path}: covariate column {column!r} has no values (all missing)")
        if spec.missing == "refuse" and frame[column].isna().any():
            line = int(np.flatnonzero(frame[column].isna().to_numpy())[0]) + 2
            raise RiataError(
                f"{path}: line {line}: column {column!r} has a missing value and clinical.missing is refuse"
            )
