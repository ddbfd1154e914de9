"""``risk.nc``: the CF-1.8 NetCDF of a run's risk snapshots, laid out as xarray and rioxarray expect.

Layout (the contract; :func:`risk_dataset` builds the same thing in memory for ``run(..., out=None)``)::

    dimensions  time (unlimited), y, x
    spatial_ref ()        int32   grid mapping: CF attributes of the (named) Albers CRS, crs_wkt, GDAL's
                                  spatial_ref and GeoTransform
    x (x), y (y)          float64 projected cell centres in metres (projection_x/y_coordinate)
    lat, lon (y, x)       float32 latitude/longitude of the cell centres (auxiliary coordinates)
    time (time)           float64 days since scenario.start (standard calendar)
    country_id (y, x)     int8    CF flags: flag_values 1..n, flag_meanings the ADM0_A3 codes; 0 = not modelled
                                  (int16 above 127 countries: CF-1.8 has no unsigned types)
    admin1_id (y, x)      int16   CF flags of the Natural Earth admin-1 units (``adm1_codes`` exactly; CF-safe
                                  ``flag_meanings``), when the grid has them
    risk (time, y, x)     float32 or float64, NaN outside the modelled countries, valid_min/valid_max of its type,
                                  grid_mapping = "spatial_ref", coordinates = "spatial_ref lat lon"

With default arguments ``xr.open_dataset("risk.nc").rio.crs``, ``rioxarray.open_rasterio("risk.nc")``, GDAL
(``NETCDF:"risk.nc":risk``) and QGIS read it georeferenced. The global attributes carry the provenance of
``run.json`` (``provenance`` as a JSON string; ``scenario_toml``; a few flat keys for quick reading).

Writing is off the critical path: :class:`RiskNetCDF` is fed by a forked child (:mod:`sim.writerproc`) or by
:class:`sim.output.SnapshotWriter`'s background thread, into a temporary file renamed on close. netCDF4 creates the file (dimensions, coordinates, attributes and
the ``risk`` variable with HDF5's standard shuffle + deflate filters, chunks of one snapshot of at most 1024 × 1024
cells); the snapshots are then appended through h5py as pre-filtered chunks (``write_direct_chunk``): byte shuffle
in numpy and deflate by ISA-L (``isal``, level 2), about 5x faster than zlib level 1 for the same size. The bytes
are exactly what HDF5's own filters decode, so every netCDF/HDF5 reader (netCDF4, xarray, GDAL, QGIS) reads the
same values; only the encoder differs. Appending through HDF5's filter pipeline cost about 10 ms a snapshot (2 s of
a default run's 184 snapshots), the writer thread's largest share.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from geo.atomic import atomic_path
from geo.grid import Grid

GRID_MAPPING = "spatial_ref"
#: The name given to the default equal-area CRS (a PROJ string has none: "unknown" otherwise).
ALBERS_NAME = "Sahel Albers equal-area conic (sahel-spillover)"
RISK_ATTRS = {
    "long_name": "insurgency risk (abstract index: 0 none, 1 saturated; not a probability)",
    "units": "1",
    "comment": "u of du/dt = div(kappa grad u) + r u (1 - u) - sigma u; NaN outside the modelled countries",
}


def named_crs(crs):
    """``crs`` with a name (and a named base CRS) when it has none: the default Albers is named :data:`ALBERS_NAME`."""
    from pyproj import CRS

    crs = CRS.from_user_input(crs)
    if crs.name not in ("unknown", ""):
        return crs
    data = crs.to_json_dict()
    data["name"] = ALBERS_NAME if "Albers" in crs.to_wkt() else "equal-area grid CRS (sahel-spillover)"
    if isinstance(data.get("base_crs"), dict) and data["base_crs"].get("name") in ("unknown", ""):
        datum = crs.datum.name if crs.datum else ""
        data["base_crs"]["name"] = "WGS 84" if "1984" in datum else (datum or "geographic CRS")
    if isinstance(data.get("conversion"), dict) and data["conversion"].get("name") in ("unknown", ""):
        data["conversion"]["name"] = data["name"]
    named = CRS.from_json_dict(data)
    return named if named.equals(crs) else crs


def flag_dtype(n_codes: int) -> np.dtype:
    """The smallest signed integer type for country ids 0..n (CF-1.8 has no unsigned types)."""
    return np.dtype("int8") if n_codes <= 127 else np.dtype("int16") if n_codes <= 32767 else np.dtype("int32")


def grid_mapping_attrs(grid: Grid) -> dict:
    crs = named_crs(grid.crs)
    attrs = {"long_name": "coordinate reference system (CF grid mapping)"}
    attrs.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in crs.to_cf().items()})
    t = grid.transform
    attrs["spatial_ref"] = crs.to_wkt()  # GDAL and rioxarray read this
    attrs["GeoTransform"] = " ".join(repr(float(v)) for v in (t.c, t.a, t.b, t.f, t.d, t.e))
    return attrs


def lonlat_rows(grid: Grid, rows_per_block: int = 256):
    """Yield (row slice, lon, lat) of the cell centres block by block (bounded memory on large grids)."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    ny = grid.shape[0]
    for r0 in range(0, ny, rows_per_block):
        rows = slice(r0, min(ny, r0 + rows_per_block))
        xx, yy = np.meshgrid(grid.x, grid.y[rows])
        lon, lat = to_lonlat.transform(xx, yy)
        yield rows, lon.astype("float32"), lat.astype("float32")


def coordinate_attrs() -> dict[str, dict]:
    return {
        "x": {"standard_name": "projection_x_coordinate", "long_name": "x of cell centre", "units": "m", "axis": "X"},
        "y": {"standard_name": "projection_y_coordinate", "long_name": "y of cell centre", "units": "m", "axis": "Y"},
        "lat": {"standard_name": "latitude", "long_name": "latitude of cell centre", "units": "degrees_north"},
        "lon": {"standard_name": "longitude", "long_name": "longitude of cell centre", "units": "degrees_east"},
    }


def country_attrs(grid: Grid) -> dict:
    dtype = flag_dtype(len(grid.codes))
    return {
        "long_name": "modelled country of each cell (0: not modelled)",
        "flag_values": np.arange(1, len(grid.codes) + 1, dtype=dtype),
        "flag_meanings": " ".join(grid.codes),
        "valid_range": np.array([0, len(grid.codes)], dtype=dtype),
        "grid_mapping": GRID_MAPPING,
        "coordinates": "lat lon",
    }


def admin1_attrs(grid: Grid) -> dict | None:
    """CF flag attributes of ``admin1_id``, or None when the grid has no admin-1 units."""
    codes = tuple(getattr(grid, "admin1_codes", ()) or ())
    if not codes:
        return None
    dtype = flag_dtype(len(codes))
    safe = ["".join(ch if ch.isalnum() or ch in "_-.+@" else "_" for ch in code) for code in codes]
    return {
        "long_name": "Natural Earth admin-1 unit of each cell (0: not modelled)",
        "flag_values": np.arange(1, len(codes) + 1, dtype=dtype),
        "flag_meanings": " ".join(safe),
        "valid_range": np.array([0, len(codes)], dtype=dtype),
        "adm1_codes": " ".join(codes),
        "adm0_a3": " ".join(grid.admin1_country),
        "grid_mapping": GRID_MAPPING,
        "coordinates": "lat lon",
        "source": "Natural Earth 1:10m admin-1 (public domain), shapes/sahel_admin1.gpkg",
    }


def risk_attrs(dtype: str) -> dict:
    kind = np.dtype(dtype)
    return {**RISK_ATTRS, "valid_min": kind.type(0.0), "valid_max": kind.type(1.0), "grid_mapping": GRID_MAPPING,
            "coordinates": f"{GRID_MAPPING} lat lon"}


def _nc_attr(value):
    """Attribute values netCDF4 stores as they are: strings, numbers, numpy arrays (no Python reprs)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, tuple)):
        return np.asarray(value)
    return value


class RiskNetCDF:
    """Append-only writer of ``risk.nc`` (see the module docstring), to a temporary file renamed on :meth:`close`.

    Create, append and close it from one thread (HDF5 is not thread-safe): the run's snapshot writer thread.
    """

    def __init__(self, path: Path, grid: Grid, start: dt.date, dtype: str, attrs: dict):
        import netCDF4

        self.path = Path(path)
        self._atomic = atomic_path(self.path)
        self._tmp = self._atomic.__enter__()
        self._mask = np.asarray(grid.mask, dtype=bool)
        self._ftype = np.dtype(dtype)
        self._values = np.full(grid.shape, np.nan, dtype=self._ftype)  # NaN outside the mask, refilled inside
        self.ds = None
        self.h5 = None
        try:
            self.ds = netCDF4.Dataset(self._tmp, "w", format="NETCDF4")
            self._create(grid, start, dtype, attrs)
            self.ds.close()
            self._open_chunks()
        except BaseException as exc:
            self.abort(exc)
            if isinstance(exc, (RuntimeError, OSError)):
                raise write_error(exc, self.path) from exc
            raise

    def _create(self, grid: Grid, start: dt.date, dtype: str, attrs: dict) -> None:
        ds = self.ds
        ny, nx = grid.shape
        ds.set_fill_off()
        ds.createDimension("time", None)
        ds.createDimension("y", ny)
        ds.createDimension("x", nx)
        mapping = ds.createVariable(GRID_MAPPING, "i4")
        mapping.assignValue(0)
        mapping.setncatts({k: _nc_attr(v) for k, v in grid_mapping_attrs(grid).items()})
        coords = coordinate_attrs()
        for name, values in (("x", grid.x), ("y", grid.y)):
            var = ds.createVariable(name, "f8", (name,))
            var[:] = values
            var.setncatts(coords[name])
        lat = ds.createVariable("lat", "f4", ("y", "x"), zlib=True, complevel=1)
        lon = ds.createVariable("lon", "f4", ("y", "x"), zlib=True, complevel=1)
        lat.setncatts({**coords["lat"], "grid_mapping": GRID_MAPPING})  # GDAL/rioxarray: every subdataset georeferenced
        lon.setncatts({**coords["lon"], "grid_mapping": GRID_MAPPING})
        for rows, lo, la in lonlat_rows(grid):
            lon[rows, :] = lo
            lat[rows, :] = la
        time = ds.createVariable("time", "f8", ("time",))
        time.setncatts({"standard_name": "time", "long_name": "time", "units": f"days since {start.isoformat()}",
                        "calendar": "standard", "axis": "T"})
        cattrs = country_attrs(grid)
        cid = ds.createVariable("country_id", cattrs["flag_values"].dtype, ("y", "x"), zlib=True)
        cid[:] = grid.country_id.astype(cattrs["flag_values"].dtype)
        cid.setncatts(cattrs)
        aattrs = admin1_attrs(grid)
        if aattrs is not None:
            var = ds.createVariable("admin1_id", aattrs["flag_values"].dtype, ("y", "x"), zlib=True)
            var[:] = grid.admin1_id.astype(aattrs["flag_values"].dtype)
            var.setncatts(aattrs)
        chunk = (1, min(ny, 1024), min(nx, 1024))
        risk = ds.createVariable("risk", self._ftype.str[1:], ("time", "y", "x"), zlib=True, complevel=1,
                                 shuffle=True, chunksizes=chunk, fill_value=self._ftype.type(np.nan))
        risk.setncatts(risk_attrs(dtype))
        ds.setncatts({"Conventions": "CF-1.8", **{k: _nc_attr(v) for k, v in attrs.items()}})
        self._chunk = chunk[1:]
        self.n = 0

    def _open_chunks(self) -> None:
        import h5py

        self.h5 = h5py.File(self._tmp, "r+")
        self.risk, self.time = self.h5["risk"], self.h5["time"]
        if self.risk.chunks != (1, *self._chunk) or not self.risk.shuffle or self.risk.compression != "gzip":
            raise RuntimeError(f"risk variable laid out as {self.risk.chunks} {self.risk.compression}: "
                               "not the chunks this writer encodes")

    def append(self, day: int, u: np.ndarray) -> None:
        """Write the snapshot of ``day`` (u is masked here: NaN outside the modelled countries)."""
        values = self._values  # what np.where(mask, u, nan).astype(dtype) gives, without two new arrays a snapshot
        np.copyto(values, u, where=self._mask, casting="same_kind")
        try:
            self.risk.resize(self.n + 1, axis=0)
            self.time.resize(self.n + 1, axis=0)
            self.time[self.n] = float(day)
            for (iy, ix), payload in encoded_chunks(values, self._chunk):
                self.risk.id.write_direct_chunk((self.n, iy, ix), payload)
        except (RuntimeError, OSError) as exc:
            raise write_error(exc, self.path) from exc
        self.n += 1

    def _close_h5(self) -> None:
        h5, self.h5 = self.h5, None
        self.risk = self.time = None
        if h5 is not None and h5.id.valid:
            h5.close()

    def close(self) -> None:
        try:
            self.h5.flush()  # the last writes; if they fail, abort() frees the blocks before closing any handle
        except BaseException as exc:
            self.abort(exc)
            if isinstance(exc, (RuntimeError, OSError)):
                raise write_error(exc, self.path) from exc
            raise
        try:
            self._close_h5()
        except BaseException as exc:
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            if isinstance(exc, (RuntimeError, OSError)):
                raise write_error(exc, self.path) from exc
            raise
        self._atomic.__exit__(None, None, None)

    def abort(self, exc: BaseException | None = None) -> None:
        exc = exc or RuntimeError("aborted")
        try:
            if self.h5 is not None:
                # The file is discarded: free its blocks first, so that HDF5 can flush and close its handles even
                # on a full disk (a dataset handle it failed to close crashes the interpreter at exit).
                import os

                os.truncate(self._tmp, 0)
            self._close_h5()
            if self.ds is not None and self.ds.isopen():
                self.ds.close()
        except Exception:  # the file is removed anyway
            pass
        finally:
            try:
                self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            except BaseException:  # atomic_path re-raises the error it was given
                pass


def encoded_chunks(values: np.ndarray, chunk: tuple[int, int]):
    """``((iy, ix), bytes)`` for each HDF5 chunk of a 2-D snapshot: the chunk (edge chunks padded with NaN to the full
    chunk shape, as HDF5 stores them) byte-shuffled, then deflated into a zlib stream: what HDF5's shuffle and deflate
    filters would store."""
    from isal import isal_zlib

    cy, cx = chunk
    ny, nx = values.shape
    size = values.dtype.itemsize
    for iy in range(0, ny, cy):
        for ix in range(0, nx, cx):
            block = values[iy:iy + cy, ix:ix + cx]
            if block.shape != (cy, cx):
                full = np.full((cy, cx), np.nan, dtype=values.dtype)
                full[:block.shape[0], :block.shape[1]] = block
                block = full
            shuffled = np.ascontiguousarray(block).view(np.uint8).reshape(-1, size).T
            yield (iy, ix), isal_zlib.compress(np.ascontiguousarray(shuffled), 2)


def write_error(exc: BaseException, path: Path) -> OSError:
    """A failed HDF5/netCDF write (``RuntimeError: NetCDF: HDF error``) as an OSError naming ``path``: ENOSPC when
    the file system is (nearly) full, else EIO with netCDF's message."""
    import errno
    import os

    if isinstance(exc, OSError) and exc.errno:
        return OSError(exc.errno, exc.strerror or str(exc), str(path))
    try:
        stats = os.statvfs(Path(path).parent)
        full = stats.f_bavail * stats.f_frsize < 64 * 1024 * 1024
    except OSError:
        full = False
    if full or "No space" in str(exc):
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    return OSError(errno.EIO, f"writing failed ({' '.join(str(exc).split())[:80]})", str(path))


def risk_dataset(grid: Grid, start: dt.date, days: np.ndarray, risk: np.ndarray, dtype: str, attrs: dict):
    """The in-memory xarray Dataset with the layout of ``risk.nc`` (decoded as ``xr.open_dataset`` would)."""
    import pandas as pd
    import xarray as xr

    lon = np.empty(grid.shape, "float32")
    lat = np.empty(grid.shape, "float32")
    for rows, lo, la in lonlat_rows(grid):
        lon[rows], lat[rows] = lo, la
    coords = coordinate_attrs()
    cattrs = country_attrs(grid)
    aattrs = admin1_attrs(grid)
    extra = {} if aattrs is None else {"admin1_id": (("y", "x"), grid.admin1_id.astype(aattrs["flag_values"].dtype),
                                                     {k: v for k, v in aattrs.items() if k != "coordinates"})}
    times = (pd.Timestamp(start) + pd.to_timedelta(np.asarray(days, dtype=float), unit="D")).as_unit("ns")
    ds = xr.Dataset(
        {
            "risk": (("time", "y", "x"), risk.astype(dtype, copy=False),
                     {k: v for k, v in risk_attrs(dtype).items() if k != "coordinates"}),
            "country_id": (("y", "x"), grid.country_id.astype(cattrs["flag_values"].dtype),
                           {k: v for k, v in cattrs.items() if k != "coordinates"}),
            **extra,
        },
        coords={
            "time": ("time", times, {"standard_name": "time", "long_name": "time", "axis": "T"}),
            "y": ("y", grid.y, coords["y"]),
            "x": ("x", grid.x, coords["x"]),
            "lat": (("y", "x"), lat, coords["lat"]),
            "lon": (("y", "x"), lon, coords["lon"]),
            GRID_MAPPING: ((), np.int32(0), grid_mapping_attrs(grid)),
        },
        attrs={"Conventions": "CF-1.8", **attrs},
    )
    return ds
