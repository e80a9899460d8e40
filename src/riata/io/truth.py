"""A truth file: the clinical variables and SNPs known to matter, that selections are checked against.

A table (.tsv, .txt or .csv) with a column ``variable``: one name per row, a column of the clinical table or,
where an optional column ``kind`` says ``snp``, a SNP id of the genotypes (other kinds, or none, are clinical
variables). An optional column ``role`` says ``causal`` (known to matter, the default) or ``noise`` (known not
to). A clinical variable the file does not list counts as noise. A simulated cohort's own truth.tsv (with
``kind``, ``role`` and ``effect_per_sd``) is such a file; a user's can hold a single column of names.
"""

from __future__ import annotations

import os

import pandas as pd

from riata.errors import RiataError
from riata.io.tables import read_table

ROLES = ("causal", "noise")
SHOWN_NAMES = 10  # an error lists at most this many unknown names
SHOWN_COLUMNS = 12  # the error for an unknown variable lists this many of the clinical table's columns


def read_truth(path: str | os.PathLike) -> pd.DataFrame:
    """The truth as variable, kind (``clinical`` or ``snp``) and role (``causal`` or ``noise``), one row per
    name; a RiataError naming the file for a missing ``variable`` column, an empty or repeated name or an
    unknown role."""
    table = read_table(path, dtype=str, keep_default_na=False)
    if "variable" not in table.columns:
        raise RiataError(f"{path}: a truth file needs a column 'variable' (columns: {', '.join(table.columns)})")
    names = table["variable"].str.strip()
    if names.eq("").any():
        raise RiataError(f"{path}: line {int(names.eq('').to_numpy().argmax()) + 2}: empty variable name")
    kind = table["kind"].str.strip() if "kind" in table else pd.Series("", index=table.index)
    role = table["role"].str.strip() if "role" in table else pd.Series("causal", index=table.index)
    unknown_roles = sorted(set(role) - set(ROLES))
    if unknown_roles:
        raise RiataError(f"{path}: column 'role' has {', '.join(map(repr, unknown_roles))}; use causal or noise")
    truth = pd.DataFrame({"variable": names, "kind": kind.where(kind == "snp", "clinical"), "role": role})
    repeated = truth.loc[truth.duplicated(["variable", "kind"]), "variable"]
    if len(repeated):
        raise RiataError(f"{path}: {repeated.iloc[0]!r} is listed twice")
    return truth.reset_index(drop=True)


def causal_names(truth: pd.DataFrame, kind: str) -> list[str]:
    """The truth's causal names of ``kind`` (``clinical`` or ``snp``), in its order."""
    return truth.loc[(truth["kind"] == kind) & (truth["role"] == "causal"), "variable"].tolist()


def check_truth_names(truth: pd.DataFrame, kind: str, known: pd.Series, path: str | os.PathLike, where: str,
                      hint: str = "") -> None:  # fmt: skip
    """Refuse the truth's names of ``kind`` that are not in ``known`` (the clinical table's columns, or the
    genotypes' SNP ids, from the file ``where``), listing them, then ``hint``."""
    names = truth.loc[truth["kind"] == kind, "variable"]
    unknown = names[~names.isin(known)].tolist()
    if unknown:
        shown = ", ".join(unknown[:SHOWN_NAMES]) + (f" and {len(unknown) - SHOWN_NAMES} more"
                                                    if len(unknown) > SHOWN_NAMES else "")  # fmt: skip
        label = "variable" if kind == "clinical" else "SNP id"
        plural = "s" if len(unknown) > 1 else ""
        raise RiataError(f"{path}: {len(unknown)} {label}{plural} not in {where}: {shown}{hint}")


def read_checked_truth(path: str | os.PathLike, clinical: str | os.PathLike, bim: str | os.PathLike | None = None):
    """A truth file (:func:`read_truth`) whose clinical variables are columns of the ``clinical`` table and, with
    ``bim``, whose SNP ids are in that .bim (without it they are not checked)."""
    from riata.io.plink import read_bim
    from riata.io.tables import read_table

    truth = read_truth(path)
    columns = pd.Series(read_table(clinical, nrows=0).columns.astype(str))
    shown = ", ".join(columns[:SHOWN_COLUMNS]) + (", ..." if len(columns) > SHOWN_COLUMNS else "")
    check_truth_names(truth, "clinical", columns, path, str(clinical), f" (its columns: {shown})")
    if bim is not None:
        check_truth_names(truth, "snp", read_bim(bim)["snp"].astype(str), path, str(bim))
    return truth
