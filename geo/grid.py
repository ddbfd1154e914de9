"""The equal-area raster grid the model runs on.

A :class:`Grid` is a north-up raster in an equal-area projection (default: an Albers conic fitted to the Sahel,
:data:`SAHEL_ALBERS`) with square cells of ``cell_km`` kilometres. Every cell has the same true area
(``cell_km²``), so sums over cells are areas and the model's diffusion needs no metric terms.

Each cell holds the id of the country whose polygon contains its centre (rasterio's centre-sampling rasterize):
``0`` outside every selected country, ``i + 1`` for ``codes[i]``. The mask of modelled cells is ``country_id > 0``.
Row 0 is the northern edge; ``transform`` maps (col, row) to projected metres.

Beside it, ``admin1_id`` holds the admin-1 unit of each cell (:mod:`geo.admin1`): ``0`` outside, ``j + 1`` for
``admin1_codes[j]`` (Natural Earth ``adm1_code``), burned the same way. Every modelled cell of a country that has
units gets exactly one of *its* units: a cell whose centre falls in no unit of its country (a floating-point
sliver between the country and unit outlines) takes the unit of the nearest cell that has one.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from affine import Affine
from pyproj import CRS, Transformer

from geo.errors import SpilloverError

#: Albers equal-area conic fitted to the Sahel band (standard parallels 10°N and 24°N, centred on 5°E, 15°N).
SAHEL_ALBERS = "+proj=aea +lat_0=15 +lon_0=5 +lat_1=10 +lat_2=24 +datum=WGS84 +units=m +no_defs"

#: Refuse grids above this many cells (about 4 GB of float32 state at 1e9); a larger grid is almost surely a typo.
MAX_CELLS = 400_000_000


@dataclass(frozen=True, eq=False)
class Grid:
    """An equal-area raster over a set of countries.

    Attributes
    ----------
    crs : the projected, equal-area CRS (metres).
    transform : affine transform from (col, row) to projected x, y in metres (north-up).
    shape : (ny, nx).
    cell_km : cell side in km; every cell has area ``cell_km ** 2`` km².
    codes : ADM0_A3 code of each country id (id ``i + 1`` is ``codes[i]``).
    country_id : (ny, nx) uint8/uint16 array of country ids, 0 outside the selected countries.
    admin1_codes : ``adm1_code`` of each admin-1 id (id ``j + 1`` is ``admin1_codes[j]``); empty without units.
    admin1_id : (ny, nx) uint16 array of admin-1 ids, 0 outside (all 0 without units).
    admin1_country : ADM0_A3 code of the country of each admin-1 id.
    admin1_names : Natural Earth name of each admin-1 id.
    """

    crs: CRS
    transform: Affine
    shape: tuple[int, int]
    cell_km: float
    codes: tuple[str, ...]
    country_id: np.ndarray = field(repr=False)
    admin1_codes: tuple[str, ...] = field(default=(), repr=False)
    admin1_id: np.ndarray | None = field(default=None, repr=False)
    admin1_country: tuple[str, ...] = field(default=(), repr=False)
    admin1_names: tuple[str, ...] = field(default=(), repr=False)

    def __post_init__(self):
        if self.admin1_id is None:
            object.__setattr__(self, "admin1_id", np.zeros(self.shape, dtype=np.uint16))
        n = len(self.admin1_codes)
        if len(self.admin1_country) != n or (self.admin1_names and len(self.admin1_names) != n):
            raise SpilloverError(f"grid admin-1 tables disagree: {n} codes, {len(self.admin1_country)} countries, "
                                 f"{len(self.admin1_names)} names")

    @property
    def mask(self) -> np.ndarray:
        """Boolean (ny, nx): cells inside a selected country (the modelled cells)."""
        return self.country_id > 0

    @property
    def cell_area_km2(self) -> float:
        return self.cell_km**2

    @cached_property
    def x(self) -> np.ndarray:
        """Projected x of cell centres (m), one per column."""
        return self.transform.c + self.transform.a * (np.arange(self.shape[1]) + 0.5)

    @cached_property
    def y(self) -> np.ndarray:
        """Projected y of cell centres (m), one per row, decreasing (north first)."""
        return self.transform.f + self.transform.e * (np.arange(self.shape[0]) + 0.5)

    def lonlat(self, rows: np.ndarray | None = None, cols: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Longitude and latitude of cell centres: of the given (rows, cols), else of the whole grid (2-D)."""
        if rows is None:
            xx, yy = np.meshgrid(self.x, self.y)
        else:
            xx, yy = self.x[np.asarray(cols)], self.y[np.asarray(rows)]
        to_lonlat = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        return to_lonlat.transform(xx, yy)

    def cell_of(self, lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of the cells containing the given lon/lat points (may lie outside the grid)."""
        to_xy = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
        x, y = to_xy.transform(np.asarray(lon, float), np.asarray(lat, float))
        inv = ~self.transform  # written out: affine's `*` on points is deprecated in favour of `@`
        col = inv.a * x + inv.b * y + inv.c
        row = inv.d * x + inv.e * y + inv.f
        return np.floor(row).astype(np.int64), np.floor(col).astype(np.int64)

    def id_of(self, code: str) -> int:
        try:
            return self.codes.index(code) + 1
        except ValueError:
            raise SpilloverError(f"country {code!r} is not on this grid; grid countries: {list(self.codes)}") from None

    def cells_per_country(self) -> dict[str, int]:
        counts = np.bincount(self.country_id.ravel(), minlength=len(self.codes) + 1)
        return {code: int(counts[i + 1]) for i, code in enumerate(self.codes)}

    def admin1_id_of(self, adm1_code: str) -> int:
        try:
            return self.admin1_codes.index(adm1_code) + 1
        except ValueError:
            raise SpilloverError(f"admin-1 unit {adm1_code!r} is not on this grid; e.g. "
                                 f"{list(self.admin1_codes[:5])}") from None

    def cells_per_admin1(self) -> dict[str, int]:
        counts = np.bincount(self.admin1_id.ravel(), minlength=len(self.admin1_codes) + 1)
        return {code: int(counts[j + 1]) for j, code in enumerate(self.admin1_codes)}

    @property
    def admin1_parent(self) -> np.ndarray:
        """(n_admin1 + 1,) country id of each admin-1 id (index 0: 0)."""
        ids = {code: i + 1 for i, code in enumerate(self.codes)}
        return np.array([0] + [ids.get(c, 0) for c in self.admin1_country], dtype=np.int64)

    def rasterize(self, geometries: gpd.GeoSeries, all_touched: bool = False) -> np.ndarray:
        """Boolean (ny, nx): cells whose centre lies in any of ``geometries`` (any CRS; reprojected)."""
        import rasterio.features

        geoms = geometries.to_crs(self.crs) if geometries.crs is not None else geometries
        shapes = [(g, 1) for g in geoms.values if g is not None and not g.is_empty]
        if not shapes:
            return np.zeros(self.shape, dtype=bool)
        burned = rasterio.features.rasterize(
            shapes, out_shape=self.shape, transform=self.transform, fill=0, dtype="uint8", all_touched=all_touched
        )
        return burned.astype(bool)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in projected metres."""
        ny, nx = self.shape
        return (self.transform.c, self.transform.f + self.transform.e * ny,
                self.transform.c + self.transform.a * nx, self.transform.f)


def build_grid(
    countries: gpd.GeoDataFrame,
    cell_km: float = 10.0,
    codes: list[str] | tuple[str, ...] | None = None,
    crs: str | CRS = SAHEL_ALBERS,
    pad_cells: int = 1,
    admin1: gpd.GeoDataFrame | str | None = "committed",
) -> Grid:
    """Rasterize ``countries`` (indexed by ADM0_A3) onto an equal-area grid of ``cell_km`` km cells.

    Parameters
    ----------
    countries : GeoDataFrame indexed by ADM0_A3, e.g. from :func:`geo.load_countries`.
    cell_km : cell side in km (> 0).
    codes : the countries to model (default: all rows of ``countries``), in id order.
    crs : an equal-area projected CRS in metres (default :data:`SAHEL_ALBERS`).
    pad_cells : empty cells added around the countries' bounding box.
    admin1 : admin-1 units (a GeoDataFrame like :func:`geo.admin1.load_admin1`'s, with ``adm0_a3``, ``adm1_code``
        and ``name``); ``"committed"`` (default): the committed units of those countries that have some; None:
        no admin-1 ids.

    Examples
    --------
    >>> from geo import load_countries
    >>> grid = build_grid(load_countries(), cell_km=50, codes=["MLI", "BFA", "NER"])
    >>> grid.codes, grid.cell_area_km2
    (('MLI', 'BFA', 'NER'), 2500.0)
    """
    # numbers.Real admits numpy scalars (np.float32, np.int64); bool is excluded (True is not a cell size).
    if isinstance(cell_km, bool) or not isinstance(cell_km, numbers.Real) or not np.isfinite(cell_km) or cell_km <= 0:
        raise SpilloverError(f"cell size must be a positive number of km, got cell_km={cell_km!r}")
    codes = tuple(countries.index) if codes is None else tuple(codes)
    if not codes:
        raise SpilloverError("no countries selected for the grid; pass ADM0_A3 codes such as ['MLI', 'BFA', 'NER']")
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:
        raise SpilloverError(f"country code(s) {repeated} given more than once in {list(codes)}; give each once")
    unknown = [c for c in codes if c not in countries.index]
    if unknown:
        raise SpilloverError(f"unknown country code(s) {unknown}; valid ADM0_A3 codes: {sorted(countries.index)}")
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        raise SpilloverError(f"grid CRS must be a projected equal-area CRS in metres, got {crs.to_string()!r}")
    selected = countries.loc[list(codes)].to_crs(crs)
    cell_m = float(cell_km) * 1000.0
    xmin, ymin, xmax, ymax = selected.total_bounds
    # Estimate the size in floating point first: for absurdly small cells the exact computation overflows.
    with np.errstate(over="ignore"):
        est_cells = ((xmax - xmin) / cell_m + 2 * pad_cells + 2) * ((ymax - ymin) / cell_m + 2 * pad_cells + 2)
    if not np.isfinite(est_cells) or est_cells > MAX_CELLS:
        _too_many_cells(cell_km, est_cells, xmax - xmin, ymax - ymin, pad_cells)
    x0 = np.floor(xmin / cell_m - pad_cells) * cell_m
    y1 = np.ceil(ymax / cell_m + pad_cells) * cell_m
    nx = int(np.ceil((xmax - x0) / cell_m + pad_cells))
    ny = int(np.ceil((y1 - ymin) / cell_m + pad_cells))
    if nx * ny > MAX_CELLS:
        _too_many_cells(cell_km, float(nx * ny), xmax - xmin, ymax - ymin, pad_cells)
    transform = Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1)
    dtype = "uint8" if len(codes) < 255 else "uint16"
    import rasterio.features  # here, not at import: a cached grid (sim.geocache) needs neither it nor geopandas

    country_id = rasterio.features.rasterize(
        [(geom, i + 1) for i, geom in enumerate(selected.geometry.values)],
        out_shape=(ny, nx), transform=transform, fill=0, dtype=dtype, all_touched=False,
    )
    if not country_id.any():
        raise SpilloverError(
            f"the selection {list(codes)} has no cell at cell_km={cell_km}: each country is smaller than a cell; "
            "use smaller cells"
        )
    units = _admin1_units(admin1, codes)
    admin1_id = _rasterize_admin1(units, codes, country_id, crs, transform)
    return Grid(crs=crs, transform=transform, shape=(ny, nx), cell_km=float(cell_km), codes=codes,
                country_id=country_id, admin1_codes=tuple(units["adm1_code"]), admin1_id=admin1_id,
                admin1_country=tuple(units["adm0_a3"]), admin1_names=tuple(units["name"]))


def _admin1_units(admin1, codes: tuple[str, ...]) -> gpd.GeoDataFrame:
    """The admin-1 units of ``codes`` (in country order), from ``admin1`` as :func:`build_grid` takes it."""
    import geopandas as gpd

    empty = gpd.GeoDataFrame({"adm0_a3": [], "adm1_code": [], "name": []}, geometry=[], crs="EPSG:4326")
    if admin1 is None:
        return empty
    if isinstance(admin1, str):
        if admin1 != "committed":
            raise SpilloverError(f"admin1={admin1!r}: give a GeoDataFrame of units, 'committed' or None")
        from geo.admin1 import load_admin1

        admin1 = load_admin1()
    missing = [c for c in ("adm0_a3", "adm1_code", "name", "geometry") if c not in admin1.columns]
    if missing:
        raise SpilloverError(f"admin-1 units lack columns {missing}; load them with geo.admin1.load_admin1()")
    order = {c: i for i, c in enumerate(codes)}
    units = admin1[admin1["adm0_a3"].isin(order)]
    units = units.iloc[units["adm0_a3"].map(order).argsort(kind="stable")]
    if len(units) >= np.iinfo(np.uint16).max:
        raise SpilloverError(f"{len(units)} admin-1 units: at most {np.iinfo(np.uint16).max - 1} fit a uint16 id")
    return units if len(units) else empty


def _rasterize_admin1(units: gpd.GeoDataFrame, codes: tuple[str, ...], country_id: np.ndarray, crs: CRS,
                      transform: Affine) -> np.ndarray:
    """uint16 admin-1 ids: centre sampling, then each modelled cell of a country with units gets one of its own."""
    admin1_id = np.zeros(country_id.shape, dtype=np.uint16)
    if units.empty:
        return admin1_id
    import rasterio.features

    projected = units.to_crs(crs).geometry.values
    rasterio.features.rasterize([(geom, j + 1) for j, geom in enumerate(projected)], out=admin1_id,
                                transform=transform, all_touched=False)
    ids = {c: i + 1 for i, c in enumerate(codes)}
    parent = np.array([0] + [ids[c] for c in units["adm0_a3"]], dtype=country_id.dtype)
    has_units = np.zeros(len(codes) + 1, dtype=bool)
    has_units[np.unique(parent[1:])] = True
    # the cells that must carry one of their country's units: every modelled cell, unless some country has none
    expected = country_id > 0 if has_units[1:].all() else has_units[country_id]
    np.putmask(admin1_id, ~expected, 0)
    bad = parent[admin1_id] != country_id
    bad &= expected
    if bad.any():
        for cid in np.unique(country_id[bad]):
            _fill_nearest(admin1_id, country_id, bad, int(cid), units, parent)
    return admin1_id


def _fill_nearest(admin1_id, country_id, bad, cid: int, units, parent) -> None:
    """Give the ``bad`` cells of country ``cid`` the admin-1 id of the nearest good cell of that country."""
    rows, cols = np.nonzero(bad & (country_id == cid))
    pad = 8
    while True:
        r0, r1 = max(rows.min() - pad, 0), min(rows.max() + pad + 1, country_id.shape[0])
        c0, c1 = max(cols.min() - pad, 0), min(cols.max() + pad + 1, country_id.shape[1])
        good = (country_id[r0:r1, c0:c1] == cid) & ~bad[r0:r1, c0:c1]
        whole = r0 == 0 and c0 == 0 and r1 == country_id.shape[0] and c1 == country_id.shape[1]
        if good.any() or whole:
            break
        pad *= 4
    if not good.any():  # no cell of this country got one of its units: all go to its largest unit
        mine = np.flatnonzero(parent[1:] == cid)
        admin1_id[rows, cols] = mine[np.argmax(units.geometry.values[mine].area)] + 1
        return
    import scipy.ndimage  # here, not at import: 0.12 s that a run from a cached grid never needs

    _, (near_r, near_c) = scipy.ndimage.distance_transform_edt(~good, return_indices=True)
    window = admin1_id[r0:r1, c0:c1]
    admin1_id[rows, cols] = window[near_r[rows - r0, cols - c0], near_c[rows - r0, cols - c0]]


def _too_many_cells(cell_km: float, n_cells: float, width_m: float, height_m: float, pad_cells: int) -> None:
    if not np.isfinite(n_cells):
        count = "more than 1e308"
    else:
        count = f"about {n_cells:,.0f}" if n_cells < 1e15 else f"about {n_cells:.2e}"
    # Smallest cell side s (km, rounded up to 0.01 km) with (w/s + 2 pad + 2) (h/s + 2 pad + 2) <= MAX_CELLS.
    pad = 2 * pad_cells + 2
    a, b, c = MAX_CELLS - pad * pad, -pad * (width_m + height_m), -width_m * height_m
    side_m = (-b + np.sqrt(b * b - 4 * a * c)) / (2 * a)
    raise SpilloverError(
        f"cell_km={cell_km} gives {count} cells, above the limit of {MAX_CELLS:,} cells; "
        f"use cells of at least {np.ceil(side_m / 10.0) / 100:.2f} km"
    )
