"""Reading GED CSVs: synthetic rows, columns a full download adds, malformed files (file, row and column named),
filters, the precision rule per level and GED's country names."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.evidence.observed
from geo.errors import SpilloverError
from ged_synthetic import COLUMNS, basic_rows, event, write_ged
from sim.evidence.observed import (
    REQUIRED, check_precision, check_violence, check_years, default_ged_path, ged_country_code, precision_limit,
    read_ged, shared_dir,
)


@pytest.fixture
def ged(tmp_path):
    return write_ged(tmp_path / "ged.csv", basic_rows())


def test_reads_synthetic_rows_with_types_and_codes(ged):
    events = read_ged(ged)
    frame = events.events
    assert len(frame) == events.n_read == 9
    assert frame["id"].dtype == np.int64 and frame["best"].dtype == np.int64
    assert frame["latitude"].dtype == np.float64
    assert str(frame["date_start"].dtype).startswith("datetime64")
    assert list(frame["adm0_a3"]) == ["MLI", "MLI", "MLI", "MLI", "NER", "NER", "BFA", "CIV", "MLI"]
    assert list(frame["row"]) == list(range(2, 11))  # the header is row 1
    # columns a full download has and the project does not use are not read
    assert "geom_wkt" not in frame.columns and "source_article" not in frame.columns
    assert events.unmapped_countries == []
    prov = events.provenance()
    assert prov["events_in_file"] == 9 and len(prov["sha256"]) == 64


def test_reads_the_required_columns_only_in_any_order(tmp_path):
    columns = list(reversed(REQUIRED))
    path = write_ged(tmp_path / "minimal.csv", basic_rows(), columns=columns)
    frame = read_ged(path).events
    assert frame["best"].sum() == sum(r["best"] for r in basic_rows())
    assert "adm_1" not in frame.columns


def test_dates_with_a_time_part_and_a_byte_order_mark(tmp_path):
    rows = basic_rows()
    rows[0]["date_start"] = rows[0]["date_end"] = "2017-02-01 00:00:00.000"
    path = write_ged(tmp_path / "ged.csv", rows)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    frame = read_ged(path).events
    assert frame.loc[0, "date_start"] == pd.Timestamp("2017-02-01")


def test_unknown_country_names_are_listed_not_guessed(tmp_path):
    rows = basic_rows() + [event(20, "mopti", country="Atlantis")]
    events = read_ged(write_ged(tmp_path / "ged.csv", rows))
    assert events.unmapped_countries == ["Atlantis"]
    assert events.events["adm0_a3"].iloc[-1] == ""


@pytest.mark.parametrize("name, code", [
    ("Ivory Coast", "CIV"), ("Mali", "MLI"), ("Burkina Faso", "BFA"), ("Niger", "NER"), ("Nigeria", "NGA"),
    ("DR Congo (Zaire)", "COD"), ("Russia (Soviet Union)", "RUS"), ("Yemen (North Yemen)", "YEM"),
    ("Myanmar (Burma)", "MMR"), ("Cameroon", "CMR"), ("Chad", "TCD"), ("Senegal", "SEN"), ("Togo", "TGO"),
])
def test_ged_country_names(name, code):
    assert ged_country_code(name) == code


def test_missing_columns_are_named(tmp_path):
    path = write_ged(tmp_path / "ged.csv", basic_rows(), columns=[c for c in COLUMNS if c not in ("where_prec", "low")])
    with pytest.raises(SpilloverError, match=r"ged\.csv: missing column\(s\) \['where_prec', 'low'\]"):
        read_ged(path)


BAD_VALUES = [
    ("latitude", "abc", "not a number"),
    ("latitude", 95.0, r"latitude outside \[-90, 90\]"),
    ("longitude", -181.0, r"longitude outside \[-180, 180\]"),
    ("best", "2.5", "not a whole number"),
    ("best", -1, "deaths must be >= 0"),
    ("high", "", "empty value"),
    ("where_prec", 8, "where_prec must be 1..7"),
    ("type_of_violence", 4, "type_of_violence must be 1"),
    ("date_start", "2018-13-01", "not an ISO date"),
    ("date_start", "05/03/2018", "not an ISO date"),
    ("date_end", "2018-03-01", "date_end is before date_start"),
    ("year", 2017, "year differs from date_start's year"),
    ("id", 900001, "id already used by row 2"),
    ("country", "", "empty value"),
]


@pytest.mark.parametrize("column, value, what", BAD_VALUES)
def test_each_bad_value_names_file_row_and_column(tmp_path, column, value, what):
    rows = basic_rows()
    rows[1][column] = value  # the second event: row 3 of the file
    path = write_ged(tmp_path / "bad.csv", rows)
    with pytest.raises(SpilloverError) as info:
        read_ged(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message and "row 3" in message and f"column {column!r}" in message
    assert re.search(what, message), message


def test_many_bad_rows_are_counted(tmp_path):
    rows = basic_rows()
    for row in rows[3:6]:
        row["where_prec"] = 9
    with pytest.raises(SpilloverError, match=r"row 5, column 'where_prec'.*\(and 2 more row\(s\)\)"):
        read_ged(write_ged(tmp_path / "bad.csv", rows))


def test_best_outside_low_high_is_kept(tmp_path):
    rows = basic_rows()
    rows[0].update(best=10, low=12, high=11)  # UCDP delivers some such rows
    assert read_ged(write_ged(tmp_path / "ged.csv", rows)).events.loc[0, "best"] == 10


def test_unreadable_files(tmp_path):
    with pytest.raises(SpilloverError, match="does not exist"):
        read_ged(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(SpilloverError, match="empty.csv is empty"):
        read_ged(empty)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"id,year\n\xff\xfe\x00\x81,2\n")
    with pytest.raises(SpilloverError, match="binary.csv"):
        read_ged(binary)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(SpilloverError, match=r"other.csv: missing column\(s\) \['id'"):
        read_ged(other)


def test_a_header_only_file_reads_as_no_events(tmp_path):
    events = read_ged(write_ged(tmp_path / "ged.csv", []))
    assert len(events.events) == 0


# --- filters --------------------------------------------------------------------------------------------------

def test_filters(ged):
    events = read_ged(ged)
    assert set(events.filter(years=(2018, 2018)).events["year"]) == {2018}
    assert set(events.filter(years="2017:2018").events["year"]) == {2017, 2018}
    assert set(events.filter(violence=(2, 3)).events["type_of_violence"]) == {2, 3}
    assert events.filter(max_precision=2).events["where_prec"].max() == 2
    both = read_ged(ged, years=(2019, 2019), violence="1", max_precision=4)
    assert list(both.events["id"]) == [900005, 900007, 900009]
    assert both.provenance()["filters"] == {"years": [2019, 2019], "violence": [1], "max_precision": 4}


@pytest.mark.parametrize("bad", ["2019-2012", "19:20", "2019:2012", "x"])
def test_bad_years(bad):
    with pytest.raises(SpilloverError, match="years"):
        check_years(bad)


def test_years_forms():
    assert check_years("2012:2019") == (2012, 2019)
    assert check_years("2015") == (2015, 2015)
    assert check_years(2015) == (2015, 2015)
    assert check_years((2012, 2019)) == (2012, 2019)


@pytest.mark.parametrize("bad", ["1,4", "0", "a", [], "state"])
def test_bad_violence(bad):
    with pytest.raises(SpilloverError, match="violence type"):
        check_violence(bad)


@pytest.mark.parametrize("bad", [0, 8, 2.5, "x", True, None])
def test_bad_precision(bad):
    with pytest.raises(SpilloverError, match="where_prec code 1..7"):
        check_precision(bad)


def test_precision_rule_per_level():
    assert (precision_limit("cell"), precision_limit("admin1"), precision_limit("country")) == (3, 4, 6)
    assert precision_limit("cell", 7) == 4 and precision_limit("admin1", 6) == 4 and precision_limit("country", 7) == 6
    assert precision_limit("country", 2) == 2 and precision_limit("cell", "4") == 4
    with pytest.raises(SpilloverError, match="unknown level"):
        precision_limit("province")


def test_shared_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SPILLOVER_SHARED", str(tmp_path))
    assert shared_dir() == tmp_path
    assert default_ged_path() == tmp_path / "data" / "ucdp_ged_sahel_2010_2019.csv"
    monkeypatch.delenv("SPILLOVER_SHARED")
    repo_root = Path(sim.evidence.observed.__file__).resolve().parents[2]
    assert shared_dir() == repo_root.parent / "shared"
