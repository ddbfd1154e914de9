"""Observed conflict events: read a UCDP GED CSV, check every value it needs, filter it.

The product reads any UCDP Georeferenced Event Dataset CSV the user downloads (a full ``GEDEvent_v24_1.csv`` with
its ~50 columns, or a per-country export with fewer); the project never ships GED. Only the columns the project
uses are read (:data:`REQUIRED`, and :data:`OPTIONAL` where present), as text through pyarrow, then converted and
checked column by column in vectorised form, so a full download (about 300,000 events) reads in a few seconds.

Every check failure is a :class:`~geo.errors.SpilloverError` of one line naming the file, the row and the column:
rows are numbered as in a spreadsheet, the header being row 1 and the first event row 2 (in a text editor the same
number is the line number, as GED has no line breaks inside fields). Checks: the required columns exist; no empty
value; whole numbers where GED has them; ISO dates (``YYYY-MM-DD``, a time part allowed); latitude in [-90, 90],
longitude in [-180, 180]; ``where_prec`` in 1..7; ``type_of_violence`` in 1..3; deaths ≥ 0; ``date_end`` not before
``date_start``; ``year`` equal to ``date_start``'s year; ids unique. Not an error (UCDP delivers it so): ``best``
outside ``[low, high]``, and coordinates outside the event's ``country``.

Filters (:meth:`ObservedEvents.filter`): years (inclusive), violence types (1 state-based, 2 non-state, 3 one-sided)
and the coarsest location precision kept. GED's ``where_prec`` codes (see :data:`PRECISION`) say how well an event
is placed. Each level of aggregation uses an event only where its precision allows (:func:`precision_limit`):

===========  ====================  ===================================================================================
level        default ``where_prec``  why
===========  ====================  ===================================================================================
``cell``     ≤ 3                    1 exact, 2 within 25 km, 3 the centroid of an adm_2 unit (a cercle or département,
                                    tens of km across); 4 would pile every adm_1-level event onto the region's centroid
                                    cell, a hot spot that is not there. Allowed up to 4 on request.
``admin1``   ≤ 4                    4 is "somewhere in this adm_1 unit": its centroid lies in the right unit.
``country``  ≤ 6                    6 is "somewhere in this country"; 7 (international waters or air space) is in none.
===========  ====================  ===================================================================================

A user's ``max_precision`` lowers (never raises) every level's limit, and may raise the cell limit to 4. So coarser
events are kept at the country (and admin-1) level where their precision allows: in the shared 2010-2019 file 91%
of deaths are placed to the cell, 94% to admin-1 and all to their country.

Country names: GED's ``country`` column names the country an event happened in ("Ivory Coast" for Côte d'Ivoire,
"DR Congo (Zaire)", "Russia (Soviet Union)", ...). :func:`ged_country_code` maps them to Natural Earth ADM0_A3 through
:mod:`geo.names` (the name before a parenthesis, then the one inside); names it cannot map get an empty code and
are listed in :attr:`ObservedEvents.unmapped_countries`, never silently counted elsewhere.

Example
-------
>>> from sim.evidence.observed import read_ged, default_ged_path
>>> events = read_ged(default_ged_path()).filter(years=(2018, 2018), violence=(1, 2, 3))  # doctest: +SKIP
>>> int(events.events.query("adm0_a3 == 'MLI'")["best"].sum())  # doctest: +SKIP
1281
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from geo.errors import SpilloverError

#: Columns every GED CSV must have (UCDP's names).
REQUIRED: tuple[str, ...] = (
    "id", "year", "date_start", "date_end", "latitude", "longitude", "where_prec", "type_of_violence",
    "best", "low", "high", "country",
)
#: Columns kept when present (for figures and checks); never required.
OPTIONAL: tuple[str, ...] = ("relid", "adm_1", "adm_2", "date_prec", "conflict_name")
INT_COLUMNS: tuple[str, ...] = ("id", "year", "where_prec", "type_of_violence", "best", "low", "high")
FLOAT_COLUMNS: tuple[str, ...] = ("latitude", "longitude")
DATE_COLUMNS: tuple[str, ...] = ("date_start", "date_end")

VIOLENCE_TYPES: dict[int, str] = {1: "state-based", 2: "non-state", 3: "one-sided"}
PRECISION: dict[int, str] = {
    1: "exact location", 2: "within about 25 km", 3: "second-order administrative unit (adm_2)",
    4: "first-order administrative unit (adm_1)", 5: "a larger area or linear feature (road, river, border)",
    6: "only the country", 7: "international waters or air space",
}
LEVELS: tuple[str, ...] = ("cell", "admin1", "country")
#: Coarsest ``where_prec`` each level uses by default, and the coarsest it ever accepts.
DEFAULT_MAX_PRECISION: dict[str, int] = {"cell": 3, "admin1": 4, "country": 6}
LEVEL_MAX_PRECISION: dict[str, int] = {"cell": 4, "admin1": 4, "country": 6}

#: GED country names that :mod:`geo.names` does not know as written (checked against GED 24.1's list).
GED_COUNTRY_NAMES: dict[str, str] = {
    "Ivory Coast": "CIV", "DR Congo (Zaire)": "COD", "Congo": "COG", "Kingdom of eSwatini (Swaziland)": "SWZ",
    "Bosnia-Herzegovina": "BIH", "Macedonia, FYR": "MKD", "North Macedonia": "MKD", "Yemen (North Yemen)": "YEM",
    "Serbia (Yugoslavia)": "SRB", "Russia (Soviet Union)": "RUS", "Cambodia (Kampuchea)": "KHM",
    "Myanmar (Burma)": "MMR", "Madagascar (Malagasy)": "MDG", "Zimbabwe (Rhodesia)": "ZWE", "Tanzania": "TZA",
    "Gambia": "GMB", "Guinea-Bissau": "GNB", "South Sudan": "SDS", "Sudan": "SDN", "Laos": "LAO", "Syria": "SYR",
    "Iran": "IRN", "Vietnam (North Vietnam)": "VNM", "Comoros": "COM", "Solomon Islands": "SLB",
}

ENV_SHARED = "SPILLOVER_SHARED"
SHARED_GED_FILE = "ucdp_ged_sahel_2010_2019.csv"


def shared_dir() -> Path:
    """The shared data folder: ``$SPILLOVER_SHARED`` if set, else ``../shared`` beside the repository root.

    CI clones the repository with ``shared/`` beside it; a git worktree has none beside it, so set
    ``SPILLOVER_SHARED=/work/shared`` there.
    """
    override = os.environ.get(ENV_SHARED)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2].parent / "shared"


def default_ged_path() -> Path:
    """``shared_dir()/data/ucdp_ged_sahel_2010_2019.csv``: the UCDP GED extract tests and benchmarks use."""
    return shared_dir() / "data" / SHARED_GED_FILE


@dataclass(frozen=True)
class ObservedEvents:
    """GED events read and checked, one row per event.

    Attributes
    ----------
    events : DataFrame with the :data:`REQUIRED` columns (ints as int64, coordinates float64, dates
        datetime64), the :data:`OPTIONAL` ones present in the file, ``adm0_a3`` (Natural Earth code of ``country``,
        ``""`` if unknown) and ``row`` (the event's row in the file, header = row 1).
    source : the file read.
    sha256 : hex SHA-256 of the file (provenance).
    n_read : events in the file.
    filters : the filters applied so far (years, violence, max_precision), for provenance.
    """

    events: pd.DataFrame = field(repr=False)
    source: Path
    sha256: str
    n_read: int
    filters: dict = field(default_factory=dict)

    def filter(self, years: tuple[int, int] | None = None, violence: Iterable[int] | None = None,
               max_precision: int | None = None) -> "ObservedEvents":
        """Keep the events of ``years`` (inclusive), of the ``violence`` types and with ``where_prec`` ≤ the limit.

        Examples
        --------
        >>> events.filter(years=(2012, 2019), violence=(1, 3), max_precision=4)  # doctest: +SKIP
        """
        frame, filters = self.events, dict(self.filters)
        if years is not None:
            first, last = check_years(years)
            frame = frame[(frame["year"] >= first) & (frame["year"] <= last)]
            filters["years"] = [first, last]
        if violence is not None:
            kinds = check_violence(violence)
            frame = frame[frame["type_of_violence"].isin(kinds)]
            filters["violence"] = list(kinds)
        if max_precision is not None:
            limit = check_precision(max_precision)
            frame = frame[frame["where_prec"] <= limit]
            filters["max_precision"] = limit
        return replace(self, events=frame, filters=filters)

    @property
    def unmapped_countries(self) -> list[str]:
        """GED country names that have no ADM0_A3 code here (their events count in no country)."""
        return sorted(set(self.events.loc[self.events["adm0_a3"] == "", "country"]))

    def provenance(self) -> dict:
        """What was read and how it was filtered: file, hash, counts, filters (goes into every output)."""
        return {"file": str(self.source), "sha256": self.sha256, "events_in_file": self.n_read,
                "events_kept": len(self.events), "filters": dict(self.filters),
                "unmapped_countries": self.unmapped_countries}


def check_years(years) -> tuple[int, int]:
    """``(first, last)`` from a pair of years or a ``"2012:2019"`` string; a single year is ``(y, y)``."""
    if isinstance(years, str):
        text = years.strip()
        match = re.fullmatch(r"(\d{4})(?::(\d{4}))?", text)
        if not match:
            raise SpilloverError(f"years {years!r} are not YEAR or FIRST:LAST, e.g. 2012:2019")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    elif isinstance(years, (int, np.integer)) and not isinstance(years, bool):
        first = last = int(years)
    else:
        try:
            first, last = (int(y) for y in years)
        except (TypeError, ValueError):
            raise SpilloverError(f"years {years!r} must be (first, last), e.g. (2012, 2019)") from None
    if first > last:
        raise SpilloverError(f"years {first}:{last} run backwards; give FIRST:LAST with FIRST <= LAST")
    return first, last


def check_violence(violence) -> tuple[int, ...]:
    """Violence types as a sorted tuple of 1, 2, 3 (also from ``"1,3"``)."""
    if isinstance(violence, str):
        violence = [v for v in violence.replace(" ", "").split(",") if v]
    try:
        kinds = sorted({int(v) for v in violence})
    except (TypeError, ValueError):
        raise SpilloverError(f"violence types {violence!r} must be among 1, 2, 3 "
                             f"({', '.join(f'{k} {v}' for k, v in VIOLENCE_TYPES.items())})") from None
    bad = [k for k in kinds if k not in VIOLENCE_TYPES]
    if bad or not kinds:
        raise SpilloverError(f"violence type(s) {bad or 'none'} given; valid: "
                             f"{', '.join(f'{k} {v}' for k, v in VIOLENCE_TYPES.items())}")
    return tuple(kinds)


def check_precision(max_precision) -> int:
    """``where_prec`` limit as an int in 1..7 (also from ``"4"``)."""
    limit = None
    if isinstance(max_precision, str) and max_precision.strip().isdigit():
        limit = int(max_precision)
    elif isinstance(max_precision, (int, np.integer)) and not isinstance(max_precision, bool):
        limit = int(max_precision)
    if limit is None or not 1 <= limit <= 7:
        raise SpilloverError(f"max precision {max_precision!r} must be a GED where_prec code 1..7 "
                             "(1 exact, 2 within 25 km, 3 adm_2, 4 adm_1, 5 larger area, 6 country, 7 waters)")
    return limit


def precision_limit(level: str, max_precision: int | None = None) -> int:
    """Coarsest ``where_prec`` used at ``level`` (see the module docstring's table).

    >>> precision_limit("cell"), precision_limit("country"), precision_limit("country", 2), precision_limit("cell", 6)
    (3, 6, 2, 4)
    """
    if level not in LEVELS:
        raise SpilloverError(f"unknown level {level!r}; valid: {list(LEVELS)}")
    if max_precision is None:
        return DEFAULT_MAX_PRECISION[level]
    return min(check_precision(max_precision), LEVEL_MAX_PRECISION[level])


def read_ged(path: str | os.PathLike, years=None, violence=None, max_precision=None) -> ObservedEvents:
    """Read and check a UCDP GED CSV (full download or per-country export); optionally filter it.

    Parameters
    ----------
    path : the CSV (``.csv``, or compressed ``.csv.gz`` / ``.zip``).
    years, violence, max_precision : filters, as in :meth:`ObservedEvents.filter`.

    Returns
    -------
    ObservedEvents

    Raises
    ------
    SpilloverError
        one line naming the file, row and column of the first bad value (and how many more rows share it).

    Examples
    --------
    >>> events = read_ged("GEDEvent_v24_1.csv", years="2012:2019")  # doctest: +SKIP
    >>> events.events[["id", "date_start", "adm0_a3", "best"]].head()  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise SpilloverError(f"GED file {path} does not exist; download GED from UCDP and give the CSV's path")
    events = _read_typed(path)
    if events is None:  # a value pyarrow could not type: read as text to name the row and column
        events = _convert(_read_text_columns(path), path)
    events["adm0_a3"] = events["country"].map({n: ged_country_code(n) or "" for n in events["country"].unique()})
    result = ObservedEvents(events=events, source=path, sha256=file_sha256(path), n_read=len(events))
    if years is not None or violence is not None or max_precision is not None:
        result = result.filter(years=years, violence=violence, max_precision=max_precision)
    return result


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _header(path: Path) -> list[str]:
    """The header's column names, after checking it names every required column once."""
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise SpilloverError(f"GED file {path} is empty; expected a CSV with a header row of GED columns") from None
    except (UnicodeDecodeError, pd.errors.ParserError, OSError) as exc:
        raise SpilloverError(f"GED file {path} is not a readable CSV: {_first_line(exc)}") from None
    columns = [str(c).strip() for c in header.columns]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise SpilloverError(f"GED file {path}: missing column(s) {missing}; a GED CSV has {', '.join(REQUIRED)} "
                             "(UCDP's column names, header in the first row)")
    repeated = sorted({c for c in columns if columns.count(c) > 1 and c in REQUIRED + OPTIONAL})
    if repeated:
        raise SpilloverError(f"GED file {path}: column(s) {repeated} appear more than once in the header")
    if columns != [str(c) for c in header.columns]:
        raise SpilloverError(f"GED file {path}: column names with spaces around them in the header; "
                             "use UCDP's names as they are")
    return columns


def _read_text_columns(path: Path) -> pd.DataFrame:
    """The needed columns as text (pyarrow), to find and name a value that does not convert."""
    wanted = [c for c in _header(path) if c in REQUIRED + OPTIONAL]
    try:
        raw = pd.read_csv(path, usecols=wanted, dtype=str, engine="pyarrow",
                          keep_default_na=False, na_values=[], encoding="utf-8")
    except Exception as exc:  # pyarrow raises ArrowInvalid, pandas ParserError/UnicodeDecodeError
        raise SpilloverError(f"GED file {path} is not a readable CSV: {_first_line(exc)}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw


def _read_typed(path: Path) -> pd.DataFrame | None:
    """The fast path: the needed columns typed by pyarrow and checked; None if any value would not type."""
    columns = _header(path)
    wanted = [c for c in columns if c in REQUIRED + OPTIONAL]
    import pyarrow as pa
    import pyarrow.csv as pacsv

    # pyarrow's own reader with explicit types is strict ("2.5" is not an int64; pandas' pyarrow engine would
    # infer a float and truncate it)
    types = {c: (pa.int64() if c in INT_COLUMNS else pa.float64() if c in FLOAT_COLUMNS else pa.string())
             for c in wanted}
    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types=types, include_columns=wanted, null_values=[""], strings_can_be_null=False))
        raw = table.to_pandas()
    except Exception:  # noqa: BLE001 - any failure: the text path finds and names the bad value
        return None
    if raw[list(INT_COLUMNS + FLOAT_COLUMNS)].isna().any().any():
        return None
    out = pd.DataFrame({c: raw[c].to_numpy() for c in INT_COLUMNS + FLOAT_COLUMNS})
    for column in DATE_COLUMNS:
        text = raw[column].fillna("").astype(str)
        parsed = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        long = text.str.len() > 10
        if parsed.isna().any() or (long.any() and not text[long].str.fullmatch(_DATE_PATTERN).all()):
            return None
        out[column] = parsed.astype("datetime64[ns]").to_numpy()
    for column in ("country",) + OPTIONAL:
        if column in raw.columns:
            out[column] = raw[column].fillna("").astype(str).str.strip().to_numpy()
    if (out["country"] == "").any() or not np.all(np.isfinite(out[list(FLOAT_COLUMNS)].to_numpy())):
        return None
    _check_ranges(out, raw, path)
    out["row"] = np.arange(2, len(out) + 2, dtype=np.int64)
    return out[[c for c in REQUIRED + tuple(c for c in OPTIONAL if c in raw.columns) + ("row",)]]


_DATE_PATTERN = r"\d{4}-\d{2}-\d{2}([ T][0-9:.]*)?"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _fail(path: Path, bad: np.ndarray, column: str, raw: pd.Series, what: str) -> None:
    """Raise for the first row flagged in ``bad`` (a boolean mask over the frame's positions)."""
    positions = np.flatnonzero(bad)
    first = int(positions[0])
    value = raw.iloc[first]
    more = f" (and {len(positions) - 1} more row(s))" if len(positions) > 1 else ""
    raise SpilloverError(f"GED file {path}: row {first + 2}, column {column!r}: {what}, got {value!r}{more}")


def _convert(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Typed, checked columns; the first bad value raises naming its row and column."""
    out = pd.DataFrame(index=pd.RangeIndex(len(raw)))
    text = {c: raw[c].fillna("").astype(str).str.strip() for c in raw.columns}
    for column in REQUIRED:
        empty = (text[column] == "").to_numpy()
        if empty.any():
            _fail(path, empty, column, raw[column], "empty value (every GED event has one)")
    for column in INT_COLUMNS:
        number = pd.to_numeric(text[column], errors="coerce")
        bad = number.isna().to_numpy()
        if bad.any():
            _fail(path, bad, column, raw[column], "not a number")
        values = number.to_numpy(dtype=float)
        fractional = values != np.round(values)
        if fractional.any():
            _fail(path, fractional, column, raw[column], "not a whole number")
        out[column] = values.astype(np.int64)
    for column in FLOAT_COLUMNS:
        number = pd.to_numeric(text[column], errors="coerce")
        bad = (number.isna() | ~np.isfinite(number)).to_numpy()
        if bad.any():
            _fail(path, bad, column, raw[column], "not a number")
        out[column] = number.to_numpy(dtype=float)
    for column in DATE_COLUMNS:
        # ISO date, optionally followed by a time ("2019-01-01 00:00:00.000" in some GED releases)
        day = text[column].str.slice(0, 10)
        shape_ok = text[column].str.fullmatch(_DATE_PATTERN).fillna(False).to_numpy()
        parsed = pd.to_datetime(day, format="%Y-%m-%d", errors="coerce")
        bad = ~shape_ok | parsed.isna().to_numpy()
        if bad.any():
            _fail(path, bad, column, raw[column], "not an ISO date YYYY-MM-DD")
        out[column] = parsed.astype("datetime64[ns]").to_numpy()
    out["country"] = text["country"].to_numpy()
    for column in OPTIONAL:
        if column in raw.columns:
            out[column] = text[column].to_numpy()
    _check_ranges(out, raw, path)
    out["row"] = np.arange(2, len(out) + 2, dtype=np.int64)
    return out


def _check_ranges(out: pd.DataFrame, raw: pd.DataFrame, path: Path) -> None:
    checks = [
        ("latitude", ~out["latitude"].between(-90, 90), "latitude outside [-90, 90]"),
        ("longitude", ~out["longitude"].between(-180, 180), "longitude outside [-180, 180]"),
        ("where_prec", ~out["where_prec"].between(1, 7), "where_prec must be 1..7 (GED location precision)"),
        ("type_of_violence", ~out["type_of_violence"].between(1, 3),
         "type_of_violence must be 1 (state-based), 2 (non-state) or 3 (one-sided)"),
        ("best", out["best"] < 0, "deaths must be >= 0"),
        ("low", out["low"] < 0, "deaths must be >= 0"),
        ("high", out["high"] < 0, "deaths must be >= 0"),
        ("date_end", out["date_end"] < out["date_start"], "date_end is before date_start"),
        ("year", out["year"] != out["date_start"].dt.year, "year differs from date_start's year"),
    ]
    repeated = out["id"].duplicated(keep="first").to_numpy()
    if repeated.any():
        first = int(np.flatnonzero(repeated)[0])
        earlier = int(np.flatnonzero(out["id"].to_numpy() == out["id"].iloc[first])[0])
        checks.append(("id", repeated, f"id already used by row {earlier + 2} (GED ids are unique)"))
    for column, bad, what in checks:
        bad = np.asarray(bad, dtype=bool)
        if bad.any():
            _fail(path, bad, column, raw[column], what)


@lru_cache(maxsize=None)
def ged_country_code(name: str) -> str | None:
    """Natural Earth ADM0_A3 code of a GED country name; None if unknown.

    >>> ged_country_code("Ivory Coast"), ged_country_code("Burkina Faso"), ged_country_code("DR Congo (Zaire)")
    ('CIV', 'BFA', 'COD')
    """
    from geo.names import country_names

    name = name.strip()
    if name in GED_COUNTRY_NAMES:
        return GED_COUNTRY_NAMES[name]
    names = country_names()
    candidates = [name]
    match = re.fullmatch(r"(.*?)\s*\((.*)\)\s*", name)
    if match:
        candidates += [match.group(1), match.group(2)]
    for candidate in candidates:
        code = names.country(candidate) if candidate else None
        if code:
            return code
    return None
