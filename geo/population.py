"""Where people live: a population surface on the grid from GeoNames places, scaled to Natural Earth's POP_EST.

Inputs: the GeoNames places of :mod:`geo.gazetteer` (population ``p_i`` at ``x_i``, country ``c(i)``) and each
country's total ``N_c`` (Natural Earth ``POP_EST``, 2019, in ``shapes/sahel_countries.gpkg``).

The difficulty is GeoNames' uneven coverage: 94 places for Mali's ~20 million people, 5,136 for Ivory Coast's
~26 million. Listed populations add up to 39 % of Mali's total, 17 % of Niger's, 117 % of Ivory Coast's. So the
surface is built from two parts whose weights come from the country totals, not from the place counts:

**Listed towns** (share ``1 − ρ_c`` of ``N_c``): each place's population spread over its footprint, a Gaussian of
``σ_i = √(p_i / (2π D_u))`` with ``D_u`` = :data:`URBAN_DENSITY` (a town of p people at urban density D_u), integrated
over the cells (so any cell size conserves it), normalised within the country::

    U_c(x) = Σ_{i ∈ c} p_i ∫_cell(x) g_σi(y − x_i) dy ,     urban_c(x) = (1 − ρ_c) N_c U_c(x) / Σ_x U_c

**Everyone else** (share ``ρ_c = max(ρ_min, 1 − Σ_{i∈c} p_i / N_c)``, :data:`MIN_RURAL_SHARE` where the listed
places add up to more than the total): spread around the listed places with a wide Gaussian kernel of
:data:`RURAL_KERNEL_KM` and weights that grow with the log of the population (a town of 100,000 is a market for a
wider hinterland than a village of 1,000, but not 100 times wider), plus a uniform floor share ``f``
(:data:`FLOOR_SHARE`) over the country's cells (the nomadic and unlisted population)::

    S_c(x) = Σ_{i ∈ c} w_i G_L(x − x_i),   w_i = log(1 + max(p_i, p_seat) / p_seat)
    rural_c(x) = ρ_c N_c [ (1 − f) S_c(x) / Σ_x S_c + f / n_c ]

Each country's units use its own places only, so a densely listed neighbour does not pull people across the
border; the normalisation within each country makes the result independent of how many places a country lists,
within the country only their relative positions and sizes matter. The people per cell are
``urban_c + rural_c``; :attr:`Population.density` is that over the cell area (people/km²). The totals equal
``POP_EST`` exactly. ``p_seat`` (:data:`SEAT_POPULATION`) stands for the places listed with population 0 (seats of
administration).

**Distance to the nearest settlement**: the Euclidean distance (km, in the equal-area grid CRS) from each cell's
centre to the centre of the nearest cell holding a listed place of any country (exact Euclidean distance
transform, :mod:`geo.distance`), so it is quantised to the cell size.

The choice of ``L``, ``ρ_min`` and ``f`` and the evidence for it (shares of each country's population per admin-1
unit against published censuses) are in ``benchmarks/results_population.md``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.ndimage
from scipy.special import erf

from geo.errors import SpilloverError
from geo.grid import Grid

#: Density (people/km²) of a listed town's footprint: a town of p people covers ~p / URBAN_DENSITY km².
URBAN_DENSITY = 5000.0
#: σ (km) of the Gaussian that spreads the unlisted population around the listed places.
RURAL_KERNEL_KM = 30.0
#: Least share of a country's population counted as unlisted, where the listed places add up to more.
MIN_RURAL_SHARE = 0.3
#: Share of the unlisted population spread evenly over the country's cells.
FLOOR_SHARE = 0.02
#: Exponent on the settlement potential: > 1 concentrates the unlisted population where places cluster
#: (tried and not kept: it does not improve the census shares, see benchmarks/results_population.md).
CLUSTERING = 1.0
#: Population assumed for places listed without one (seats of administration), and the scale of the log weights.
SEAT_POPULATION = 500.0
#: Cells of at most this fraction of the rural kernel are computed on coarser blocks and interpolated.
FINE_FRACTION = 0.25


@dataclass(frozen=True, eq=False)
class Population:
    """A population surface on a grid (read-only arrays).

    Attributes
    ----------
    density : (ny, nx) float32, people per km², 0 outside the modelled cells.
    distance_km : (ny, nx) float32, km from each cell to the nearest cell holding a listed settlement.
    cell_km : the grid's cell size.
    totals : people per country (ADM0_A3 → POP_EST used).
    params : the method's parameters.
    """

    density: np.ndarray
    distance_km: np.ndarray
    cell_km: float
    totals: dict
    params: dict

    @property
    def people(self) -> np.ndarray:
        """(ny, nx) people per cell."""
        return self.density.astype(np.float64) * self.cell_km**2

    def per_country(self, grid: Grid) -> pd.Series:
        """People per country (ADM0_A3)."""
        sums = np.bincount(grid.country_id.ravel(), weights=self.people.ravel(), minlength=len(grid.codes) + 1)
        return pd.Series(sums[1:], index=list(grid.codes), name="people")

    def per_admin1(self, grid: Grid) -> pd.DataFrame:
        """People per admin-1 unit: adm0_a3, adm1_code, name, people, share (of the country's people)."""
        sums = np.bincount(grid.admin1_id.ravel(), weights=self.people.ravel(),
                           minlength=len(grid.admin1_codes) + 1)[1:]
        frame = pd.DataFrame({"adm0_a3": grid.admin1_country, "adm1_code": grid.admin1_codes,
                              "name": grid.admin1_names or grid.admin1_codes, "people": sums})
        frame["share"] = frame["people"] / frame.groupby("adm0_a3")["people"].transform("sum")
        return frame


def population_surface(grid: Grid, rural_kernel_km: float = RURAL_KERNEL_KM, min_rural_share: float = MIN_RURAL_SHARE,
                       floor_share: float = FLOOR_SHARE, urban_density: float = URBAN_DENSITY,
                       clustering: float = CLUSTERING, places: pd.DataFrame | None = None,
                       totals: dict | None = None) -> Population:
    """The population surface of ``grid`` (see the module docstring), cached per grid and parameters.

    ``places`` (default: :func:`geo.gazetteer.load_places`) and ``totals`` (ADM0_A3 → people; default: Natural
    Earth ``POP_EST`` of the committed countries) replace the inputs, e.g. in tests.

    Examples
    --------
    >>> from geo import build_grid, load_countries
    >>> grid = build_grid(load_countries(), cell_km=20, codes=["MLI", "BFA", "NER"])
    >>> pop = population_surface(grid)
    >>> round(pop.per_country(grid)["MLI"] / 1e6, 2)  # POP_EST 2019
    19.66
    """
    for name, value, low, high in (("rural_kernel_km", rural_kernel_km, 0.0, 1e4),
                                   ("min_rural_share", min_rural_share, 0.0, 1.0),
                                   ("floor_share", floor_share, 0.0, 1.0), ("urban_density", urban_density, 0, 1e6),
                                   ("clustering", clustering, 0.0, 5.0)):
        if not np.isfinite(value) or not low <= value <= high or (name in ("rural_kernel_km", "urban_density")
                                                                  and value <= 0):
            raise SpilloverError(f"population: {name}={value!r} is outside its range ({low}, {high}]")
    if places is None and totals is None:
        key = (_grid_key(grid), float(rural_kernel_km), float(min_rural_share), float(floor_share),
               float(urban_density), float(clustering), _inputs_key())
        cached = _CACHE.pop(key, None)
        if cached is None:
            cached = _compute(grid, rural_kernel_km, min_rural_share, floor_share, urban_density, clustering,
                              None, None)
        _CACHE[key] = cached  # most recently used last
        while len(_CACHE) > 1 and sum(p.density.nbytes + p.distance_km.nbytes for p in _CACHE.values()) > CACHE_BYTES:
            _CACHE.pop(next(iter(_CACHE)))
        return cached
    return _compute(grid, rural_kernel_km, min_rural_share, floor_share, urban_density, clustering, places, totals)


#: Surfaces kept in memory (least recently used dropped first; a 1 km surface is 180 MB, a 10 km one 1.8 MB).
CACHE_BYTES = 400_000_000
_CACHE: dict = {}


def _grid_key(grid: Grid) -> tuple:
    t = grid.transform
    ids = hashlib.blake2b(np.ascontiguousarray(grid.country_id).data, digest_size=16).hexdigest()
    return (grid.crs.to_wkt(), (t.a, t.b, t.c, t.d, t.e, t.f), grid.shape, grid.codes, ids)


def _inputs_key() -> tuple:
    from geo.gazetteer import DEFAULT_PLACES
    from geo.shapes import DEFAULT_SHAPES

    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in (DEFAULT_PLACES, DEFAULT_SHAPES)
                 if p.exists())


@lru_cache(maxsize=1)
def _default_totals() -> dict:
    from geo.shapes import load_countries

    countries = load_countries()
    return {code: float(pop) for code, pop in zip(countries.index, countries["POP_EST"])}


def _compute(grid, rural_kernel_km, min_rural_share, floor_share, urban_density, clustering, places,
             totals) -> Population:
    from geo.gazetteer import load_places

    places = load_places() if places is None else places
    totals = _default_totals() if totals is None else totals
    missing = [c for c in grid.codes if c not in totals]
    if missing:
        raise SpilloverError(f"population: no total population for {missing}; give totals for every grid country")
    rows, cols, cid, pop = _place_cells(grid, places)
    density = np.zeros(grid.shape, dtype=np.float32)
    boxes = scipy.ndimage.find_objects(grid.country_id, max_label=len(grid.codes))
    for k, (code, box) in enumerate(zip(grid.codes, boxes), start=1):
        if box is None:
            continue
        inside = grid.country_id[box] == k
        n_cells = int(inside.sum())
        total = float(totals[code])
        mine = cid == k
        listed = float(pop[mine].sum())
        rural_share = max(min_rural_share, 1.0 - listed / total) if total > 0 else 1.0
        r, c = rows[mine] - box[0].start, cols[mine] - box[1].start
        urban = _urban(inside.shape, r, c, pop[mine], grid.cell_km, urban_density, grid.admin1_id[box])
        rural = _rural(inside.shape, r, c, pop[mine], grid.cell_km, rural_kernel_km)
        if clustering != 1.0:
            np.power(rural, clustering, out=rural)
        urban *= inside
        rural *= inside
        u_sum, r_sum = float(urban.sum()), float(rural.sum())
        if u_sum <= 0:
            rural_share = 1.0
        if r_sum <= 0:
            floor = 1.0  # no place at all: everyone spread evenly
        else:
            floor = floor_share
        per_km2 = 1.0 / grid.cell_km**2
        part = rural
        part *= rural_share * total * (1.0 - floor) / r_sum * per_km2 if r_sum > 0 else 0.0
        if u_sum > 0:
            part += urban * ((1.0 - rural_share) * total / u_sum * per_km2)
        part[inside] += rural_share * total * floor / n_cells * per_km2
        density[box] += part
    distance = _distance_km(grid, rows, cols)
    for array in (density, distance):
        array.setflags(write=False)
    params = {"rural_kernel_km": rural_kernel_km, "min_rural_share": min_rural_share, "floor_share": floor_share,
              "urban_density": urban_density, "clustering": clustering, "seat_population": SEAT_POPULATION}
    return Population(density=density, distance_km=distance, cell_km=grid.cell_km,
                      totals={c: float(totals[c]) for c in grid.codes}, params=params)


def _place_cells(grid: Grid, places: pd.DataFrame):
    """(row, col, country id, population) of the places whose country is on the grid; a place whose cell lies
    outside its country (a coastal town, a border town) moves to the nearest cell of its country within 3 cells
    (else it is left out)."""
    ids = {code: k for k, code in enumerate(grid.codes, start=1)}
    on_grid = places[places["adm0_a3"].isin(ids)]
    rows, cols = grid.cell_of(on_grid["longitude"].to_numpy(), on_grid["latitude"].to_numpy())
    cid = on_grid["adm0_a3"].map(ids).to_numpy()
    pop = on_grid["population"].to_numpy(dtype=float)
    ny, nx = grid.shape
    ok = (rows >= 0) & (rows < ny) & (cols >= 0) & (cols < nx)
    ok[ok] = grid.country_id[rows[ok], cols[ok]] == cid[ok]
    for i in np.flatnonzero(~ok):
        r0, c0 = rows[i], cols[i]
        window = (slice(max(r0 - 3, 0), max(min(r0 + 4, ny), 0)), slice(max(c0 - 3, 0), max(min(c0 + 4, nx), 0)))
        rr, cc = np.nonzero(grid.country_id[window] == cid[i])
        if len(rr):
            j = np.argmin((rr + window[0].start - r0) ** 2 + (cc + window[1].start - c0) ** 2)
            rows[i], cols[i], ok[i] = rr[j] + window[0].start, cc[j] + window[1].start, True
    return rows[ok], cols[ok], cid[ok], pop[ok]


def _urban(shape, rows, cols, pop, cell_km, urban_density, units=None) -> np.ndarray:
    """Σ_i p_i × (cell integral of the Gaussian footprint of place i), each footprint kept within the admin-1
    unit of the place's cell (``units``: admin-1 ids of the same cells; a capital district such as Bamako's or
    Niamey's holds its city) and renormalised there: mass-conserving at any cell size."""
    out = np.zeros(shape)
    sigma_cells = np.sqrt(pop / (2 * np.pi * urban_density)) / cell_km
    point = sigma_cells < 0.2  # under a fifth of a cell: (almost) all in its own cell
    np.add.at(out, (rows[point], cols[point]), pop[point])
    for r, c, p, s in zip(rows[~point], cols[~point], pop[~point], sigma_cells[~point]):
        half = int(np.ceil(3 * s))
        edges = np.arange(-half, half + 2) - 0.5  # cell edges relative to the place's cell centre, in cells
        w = np.diff(erf(edges / (np.sqrt(2) * s))) / 2
        r0, c0 = r - half, c - half
        rs, cs = slice(max(r0, 0), min(r + half + 1, shape[0])), slice(max(c0, 0), min(c + half + 1, shape[1]))
        footprint = np.outer(w[rs.start - r0:rs.stop - r0], w[cs.start - c0:cs.stop - c0])
        if units is not None and units[r, c]:
            footprint = footprint * (units[rs, cs] == units[r, c])
        out[rs, cs] += p * footprint / footprint.sum()
    return out


def _rural(shape, rows, cols, pop, cell_km, kernel_km) -> np.ndarray:
    """Σ_i w_i G_L(x − x_i) on the cells; on fine grids computed on blocks of cells and interpolated."""
    weights = np.log1p(np.maximum(pop, SEAT_POPULATION) / SEAT_POPULATION)
    k = max(1, int(FINE_FRACTION * kernel_km / cell_km))  # block size in cells
    coarse_shape = (-(-shape[0] // k), -(-shape[1] // k))
    burned = np.zeros(coarse_shape)
    np.add.at(burned, (rows // k, cols // k), weights)
    smooth = scipy.ndimage.gaussian_filter(burned, kernel_km / (cell_km * k), mode="constant", truncate=4.0)
    if k == 1:
        return smooth
    return _upsample(smooth.astype(np.float32), k, shape)


def _upsample(coarse: np.ndarray, k: int, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear interpolation of block values (block centres) to the cell centres of ``shape``, axis by axis."""
    out = coarse
    for axis, n in enumerate(shape):
        pos = (np.arange(n) + 0.5) / k - 0.5  # cell centres in block coordinates
        lo = np.clip(np.floor(pos).astype(int), 0, coarse.shape[axis] - 1)
        hi = np.minimum(lo + 1, coarse.shape[axis] - 1)
        frac = np.clip(pos - lo, 0.0, 1.0).astype(coarse.dtype)
        shape_f = (-1, 1) if axis == 0 else (1, -1)
        out = (np.take(out, lo, axis=axis) * (1 - frac).reshape(shape_f)
               + np.take(out, hi, axis=axis) * frac.reshape(shape_f))
    return out


def _distance_km(grid: Grid, rows, cols) -> np.ndarray:
    from geo.distance import distance_cells

    seeds = np.zeros(grid.shape, dtype=bool)
    seeds[rows, cols] = True
    return distance_cells(seeds, scale=grid.cell_km)
