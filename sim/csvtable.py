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


def text_column(values, kind: str) -> list[str]:
    """Plain values (a list or a 1-D numpy array) as the strings pandas writes for a column of that ``kind``: ``"f"``
    floats (``%.6g``, NaN empty), ``"i"`` integers, ``"b"`` booleans (``true``/``false``), ``"D"`` dates
    (``datetime.date``, ISO; None empty), ``"O"`` anything else (``str``; None and NaN empty).

    Examples
    --------
    >>> text_column([0.1, float("nan"), 1 / 3], "f"), text_column([None, __import__("datetime").date(2012, 1, 2)], "D")
    (['0.1', '', '0.333333'], ['', '2012-01-02'])
    """
    if kind == "f":
        values = np.asarray(values, dtype=float)
        text = list(map(FLOAT_FORMAT.__mod__, values.tolist()))  # every value formatted, then NaN emptied
        for i in np.flatnonzero(np.isnan(values)).tolist():
            text[i] = ""
        return text
    values = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if kind == "i":
        return [str(v) for v in values]
    if kind == "b":
        return ["true" if v else "false" for v in values]
    if kind == "D":  # a run's dates repeat (one per snapshot and unit): each distinct one formatted once
        text = {v: v.isoformat() for v in set(values) if v is not None}
        return ["" if v is None else text[v] for v in values]
    return [v if type(v) is str else "" if _missing(v) else str(v) for v in values]


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
    if kind in "fbO":
        return text_column(values, kind)
    if kind in "iu":
        return text_column(values, "i")
    if kind == "M":
        import pandas as pd

        stamps = values.astype("datetime64[ns]").view(np.int64)
        unique, inverse = np.unique(stamps, return_inverse=True)
        text = ["" if pd.isna(t) else t.strftime("%Y-%m-%d") for t in pd.to_datetime(unique)]
        return [text[i] for i in inverse.ravel().tolist()]
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
    return table_rows(frame.columns, columns) if columns else None


def table_rows(header, columns) -> list:
    """The header and the rows of a table given as its columns of strings (:func:`text_column`)."""
    return [[str(name) for name in header], *zip(*columns)]


def write_rows(handle, rows: list) -> None:
    """Write ``rows`` to an open text file (``newline=""``) in pandas' CSV dialect.

    Rows of strings that need no quoting (checked on the joined text: exactly ``columns - 1`` commas and no line
    break inside each row, no ``"``, at least two columns) are joined with ``,`` and ``\n`` directly, the bytes
    :func:`csv.writer` would write, about three times faster for ``admin1.csv``; anything else goes through
    :func:`csv.writer`.
    """
    text = _joined(rows)
    if text is not None:
        handle.write(text)
        return
    csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)


def _joined(rows: list) -> str | None:
    if not rows:
        return None
    width = len(rows[0])
    if width < 2 or any(len(row) != width for row in rows):
        return None
    try:
        text = "\n".join(map(",".join, rows))
    except TypeError:  # a value that is not a string: csv.writer converts it
        return None
    if ('"' in text or "\r" in text or text.count(",") != (width - 1) * len(rows)
            or text.count("\n") != len(rows) - 1):
        return None  # a field holds a comma, a quote or a line break: csv.writer quotes it
    return text + "\n"
