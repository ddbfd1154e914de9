"""sim.csvtable writes the bytes pandas' to_csv wrote for the run tables (write_table's contract)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.csvtable import csv_rows
from sim.output import pandas_csv, write_table


def pandas_bytes(frame: pd.DataFrame, path) -> bytes:
    """What write_table wrote before sim.csvtable: the conversions, then to_csv with %.6g."""
    pandas_csv(frame, path)
    return path.read_bytes()


FRAMES = {
    "mixed": pd.DataFrame({
        "t": pd.to_datetime(["2012-01-01", None, "2013-05-06 12:00"], format="mixed"),
        "s": ["a,b", 'q"x', None], "f": [0.1, np.nan, np.inf], "i": [1, -2, 3], "b": [True, False, True],
        "o": [1.5, np.nan, "x"], "g": np.array([1e-7, 123456789.0, -0.0], dtype=np.float32),
        "n": ["line\nbreak", "", "ü"], "u": np.array([0, 7, 65535], dtype=np.uint16),
        "big": [1.23456789e300, -5e-324, 2.5e-5]}),
    "empty": pd.DataFrame({"a": pd.Series([], dtype=float), "t": pd.Series([], dtype="datetime64[ns]")}),
    "run-like": pd.DataFrame({"time": pd.DatetimeIndex(np.repeat(pd.to_datetime(["2012-01-01", "2012-01-31"]), 2)),
                              "country": ["MLI", "BFA"] * 2, "mean_risk": [0.00833848, 0.0, 1 / 3, np.nan],
                              "troops": [1650.0, 500.0, np.nan, 0.0]}),
}


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_same_bytes_as_pandas(name, tmp_path):
    frame = FRAMES[name]
    assert csv_rows(frame) is not None  # the fast path, not the fallback
    write_table(tmp_path / "fast.csv", frame)
    assert (tmp_path / "fast.csv").read_bytes() == pandas_bytes(frame, tmp_path / "pandas.csv")


def test_other_dtypes_fall_back_to_pandas(tmp_path):
    frame = pd.DataFrame({"c": pd.Categorical(["x", "y"]), "d": pd.to_timedelta([1, 2], unit="D")})
    assert csv_rows(frame) is None
    write_table(tmp_path / "fast.csv", frame)
    assert (tmp_path / "fast.csv").read_bytes() == pandas_bytes(frame, tmp_path / "pandas.csv")


ROWS = {
    "plain": [["a", "b", "c"], ("1", "", "x y"), ("2.5", "ü", "")],
    "comma": [["a", "b"], ("1,5", "x")],
    "quote": [["a", "b"], ('q"x', "y")],
    "newline": [["a", "b"], ("line\nbreak", "y")],
    "return": [["a", "b"], ("cr\rhere", "y")],
    "one column": [["a"], ("",), ("x",)],
    "not strings": [["a", "b"], (1, None)],
    "ragged": [["a", "b"], ("1",)],
    "empty": [],
    "header only": [["a", "b"]],
}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_write_rows_writes_what_csv_writer_writes(name):
    """The joined fast path and csv.writer agree on every table, quoting or not."""
    import csv
    import io

    from sim.csvtable import _joined, write_rows

    rows = ROWS[name]
    expected = io.StringIO(newline="")
    csv.writer(expected, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    got = io.StringIO(newline="")
    write_rows(got, rows)
    assert got.getvalue() == expected.getvalue()
    assert (_joined(rows) is not None) == (name in ("plain", "header only"))  # the fast path where it is safe
