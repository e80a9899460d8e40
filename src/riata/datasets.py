"""Real data sets riata can run offline: the Framingham Heart Study table that the PyPI package survset ships.

``survset`` (SurvSet/resources/pickles/Framingham.pickle) holds 4,699 participants of the Framingham Heart Study:
systolic and diastolic blood pressure, serum cholesterol, age, body-mass index, sex and the month of the exam,
with the time in days from the exam to coronary heart disease (CHD) or censoring and an event flag (31% events;
33 cholesterol and 9 body-mass-index values missing). :func:`framingham_clinical` turns it into a riata clinical
table: the columns renamed as in the case study (SYSBP, DIABP, TOTCHOL, AGE, BMI, SEX, MONTH), the follow-up in
years (TIMECHD) with the event (CHD), and the binary outcome CHD10, CHD within ``horizon`` years: 1 with an event
by then, 0 when followed beyond it without one, and missing (left out by riata) when censored earlier.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riata.errors import RiataError

DAYS_PER_YEAR = 365.25
COLUMNS = {"num_sbp": "SYSBP", "num_dbp": "DIABP", "num_scl": "TOTCHOL", "num_age": "AGE", "num_bmi": "BMI",
           "fac_sex": "SEX", "fac_month": "MONTH"}  # fmt: skip


def survset_framingham() -> pd.DataFrame:
    """survset's Framingham table, as shipped (read from the installed package, no download)."""
    from importlib.resources import files

    try:
        resource = files("SurvSet") / "resources" / "pickles" / "Framingham.pickle"
    except ModuleNotFoundError:
        raise RiataError("framingham: the survset package is not installed (pip install 'riata[data]')") from None
    with resource.open("rb") as handle:
        return pd.read_pickle(handle)


def framingham_clinical(table: pd.DataFrame, horizon: float = 10.0) -> pd.DataFrame:
    """A riata clinical table (one row per participant, module doc) from survset's Framingham ``table``."""
    missing = sorted({"pid", "event", "time", *COLUMNS} - set(table.columns))
    if missing:
        raise RiataError(f"framingham: the survset table lacks column(s) {', '.join(missing)}")
    years = table["time"].to_numpy(dtype=float) / DAYS_PER_YEAR
    event = table["event"].to_numpy(dtype=int)
    within = np.where(event.astype(bool) & (years <= horizon), 1.0, np.where(years > horizon, 0.0, np.nan))
    clinical = table.rename(columns=COLUMNS)[list(COLUMNS.values())].astype(
        {"SEX": int, "MONTH": int, "SYSBP": float, "DIABP": float, "AGE": float}
    )
    clinical.insert(0, "sample_id", [f"FHS{pid:05d}" for pid in table["pid"]])
    return clinical.assign(TIMECHD=years.round(4), CHD=event, CHD10=pd.array(within, dtype="Int64"))
