"""The run's CSV tables written with the csv module: the bytes pandas' ``to_csv`` writes, five times faster.

:func:`sim.output.write_table` wrote ``admin1.csv`` (63,112 rows at 10 km) with ``DataFrame.to_csv`` and
``float_format="%.6g"``: 0.3-0.5 s of a default run, almost all of it pandas formatting one value at a time through
its block machinery. :func:`csv_rows` formats the same columns the same way (floats with ``%.6g``, NaN empty;
integers with ``str``; ``true``/``false`` for booleans; ISO dates, NaT empty; objects with ``str``, missing empty)
and :func:`write_rows` hands them to :func:`csv.writer` with the dialect pandas uses (``,``, ``"`` quoting only
where needed, ``\\n`` line ends), so the file is byte for byte the one pandas writes (tested against it, with
commas, quotes and missing values). A column of any other dtype (categorical, timedelta, an extension dtype) is
left to pandas: :func:`csv_rows` returns None for the frame.
"""
from __future__ import annotations

import csv

import numpy as np

#: ``float_format`` of every run table.
FLOAT_FORMAT = "%.6g"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or type(value).__name__ in ("NaTType",
                                                                                                       "NAType")


def _column(series) -> list | None:
    """One column as the strings pandas writes for it (``write_table``'s conversions included), or None."""
    dtype = series.dtype
    kind = getattr(dtype, "kind", "")
    if str(dtype) in ("str", "string"):  # pandas' string dtype: the strings, missing empty
        values = series.astype(object).tolist()
        missing = series.isna().to_numpy()
        if not missing.any():
            return list(map(str, values))
        return ["" if m or _missing(v) else str(v) for v, m in zip(values, missing.tolist())]
    if not isinstance(dtype, np.dtype):
        return None
    values = series.to_numpy()
    if kind == "f":
        text = list(map(FLOAT_FORMAT.__mod__, values.tolist()))  # every value formatted, then NaN emptied
        for i in np.flatnonzero(np.isnan(values)).tolist():
            text[i] = ""
        return text
    if kind in "iu":
        return [str(v) for v in values.tolist()]
    if kind == "b":
        return ["true" if v else "false" for v in values.tolist()]
    if kind == "M":
        import pandas as pd

        stamps = values.astype("datetime64[ns]").view(np.int64)
        unique, inverse = np.unique(stamps, return_inverse=True)
        text = ["" if pd.isna(t) else t.strftime("%Y-%m-%d") for t in pd.to_datetime(unique)]
        return [text[i] for i in inverse.ravel().tolist()]
    if kind == "O":
        return ["" if _missing(v) else str(v) for v in values.tolist()]
    return None


def csv_rows(frame) -> list | None:
    """The header and the rows of ``frame`` (no index) as lists of strings, or None when a column needs pandas."""
    if not frame.columns.is_unique:
        return None
    columns = []
    for name in frame.columns:
        column = _column(frame[name])
        if column is None:
            return None
        columns.append(column)
    return [[str(name) for name in frame.columns], *zip(*columns)] if columns else None


def write_rows(handle, rows: list) -> None:
    """Write ``rows`` to an open text file (``newline=""``) in pandas' CSV dialect."""
    csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
