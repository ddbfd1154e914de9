"""Observed events and deaths per unit and period: grid cells, admin-1 units or countries, by year or month.

For a level ``L`` (``cell``, ``admin1``, ``country``) and a period ``p`` (``year`` or ``month``) the aggregate of
the events ``E_L`` that level may use (``where_prec`` ≤ :func:`~sim.evidence.observed.precision_limit`) is

    n[p, i]     = #{e ∈ E_L : unit(e) = i, period(e) = p}                (events)
    d_q[p, i]   = Σ_{e ∈ E_L : unit(e) = i, period(e) = p} q(e),   q ∈ {best, low, high}   (deaths)

with zeros for every unit and period of the requested range that has no event (zeros are data: a score that
never sees them favours models that predict conflict everywhere). An event's period is that of its ``date_start``
(GED dates 3% of events over a span of days that may cross a month's end; UCDP's own yearly totals count events by
``year``, which equals ``date_start``'s year).

Units:

- ``country``: the event's GED ``country`` mapped to ADM0_A3 (:func:`~sim.evidence.observed.ged_country_code`),
  the rule by which UCDP publishes its country totals (the shared file's Mali 2018 sums to 1,281, UCDP publishes
  1,279). An event placed outside its country's polygon still counts in that country.
- ``admin1``: the Natural Earth admin-1 unit (``adm1_code``) of the event's own GED country that contains its
  coordinates, else the nearest unit of that country within ``max_km`` (default 25 km: points on a coast or a
  border line); otherwise the event counts in no admin-1 unit (``dropped``). Restricting to the event's own country
  makes admin-1 totals add up to the country totals of the same events.
- ``cell``: the grid cell containing the coordinates (:meth:`geo.grid.Grid.cell_of`); events outside the grid's
  extent are ``dropped``. With ``mask_only=True`` events in cells outside the grid's countries are dropped too.

Conservation (tested): for the same events and precision, deaths summed over a country's admin-1 units (or over
the in-grid cells) equal its country total.

Example
-------
>>> from sim.evidence.observed import read_ged
>>> from sim.evidence.aggregate import aggregate
>>> counts = aggregate(read_ged("ged.csv"), by="country", period="year", years=(2012, 2019))  # doctest: +SKIP
>>> counts.array("deaths_best").sel(unit="MLI", period=2018).item()  # doctest: +SKIP
1281.0
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.errors import SpilloverError
from sim.evidence.observed import LEVELS, ObservedEvents, check_years, precision_limit

PERIODS: tuple[str, ...] = ("year", "month")
QUANTITIES: tuple[str, ...] = ("events", "deaths_best", "deaths_low", "deaths_high")
#: Default distance (km) within which an event outside every polygon of its country joins the nearest unit.
ADMIN1_SNAP_KM = 25.0
#: Equal-area CRS used only to measure that snapping distance (EASE-Grid 2.0 global, metres).
_METRIC_CRS = "EPSG:6933"


@dataclass(frozen=True)
class ObservedCounts:
    """Events and deaths per (unit, period) of one level, tidy, with what was left out.

    Attributes
    ----------
    frame : one row per (unit, period): ``level, unit, period, events, deaths_best, deaths_low, deaths_high``
        (+ ``row, col`` for cells, ``adm0_a3`` for admin-1 units); every unit × period for countries and admin-1
        units, only cells with events for cells (see :meth:`cell_array` for the dense form).
    level, period : as requested.
    units : the unit codes, in order (countries/admin-1: every unit requested or seen; cells: those with events).
    periods : every period of the range, in order (ints for years, ``"YYYY-MM"`` for months).
    precision : the ``where_prec`` limit applied.
    dropped : events (and best deaths) that had the precision but no unit: ``{"events": n, "deaths_best": d}``.
    provenance : the source file's provenance (:meth:`ObservedEvents.provenance`) and these settings.
    """

    frame: pd.DataFrame = field(repr=False)
    level: str
    period: str
    units: tuple
    periods: tuple
    precision: int
    dropped: dict
    provenance: dict = field(default_factory=dict, repr=False)

    def array(self, quantity: str = "deaths_best"):
        """``quantity`` as an xarray DataArray of dims ``(period, unit)`` (zeros where nothing was recorded).

        Examples
        --------
        >>> counts.array("events").values.shape  # doctest: +SKIP
        (8, 7)
        """
        import xarray as xr

        _check_quantity(quantity)
        table = self.frame.pivot_table(index="period", columns="unit", values=quantity, aggfunc="sum",
                                       fill_value=0, observed=False)
        table = table.reindex(index=list(self.periods), columns=list(self.units), fill_value=0)
        return xr.DataArray(table.to_numpy(dtype=float), dims=("period", "unit"),
                            coords={"period": list(self.periods), "unit": list(self.units)},
                            name=quantity, attrs={"level": self.level, "precision": self.precision})

    def cell_array(self, grid, quantity: str = "deaths_best"):
        """For ``level="cell"``: ``quantity`` as a dense DataArray ``(period, y, x)`` on ``grid``."""
        import xarray as xr

        if self.level != "cell":
            raise SpilloverError(f"cell_array needs counts by cell, these are by {self.level}")
        _check_quantity(quantity)
        ny, nx = grid.shape
        index = {p: k for k, p in enumerate(self.periods)}
        out = np.zeros((len(self.periods), ny, nx), dtype=float)
        f = self.frame
        np.add.at(out, (f["period"].map(index).to_numpy(), f["row"].to_numpy(), f["col"].to_numpy()),
                  f[quantity].to_numpy(dtype=float))
        return xr.DataArray(out, dims=("period", "y", "x"),
                            coords={"period": list(self.periods), "y": grid.y, "x": grid.x},
                            name=quantity, attrs={"level": "cell", "precision": self.precision,
                                                  "cell_km": grid.cell_km})

    def total(self, quantity: str = "deaths_best") -> float:
        _check_quantity(quantity)
        return float(self.frame[quantity].sum())


def _check_quantity(quantity: str) -> None:
    if quantity not in QUANTITIES:
        raise SpilloverError(f"unknown quantity {quantity!r}; valid: {list(QUANTITIES)}")


def event_periods(events: pd.DataFrame, period: str) -> np.ndarray:
    """Each event's period: its ``year`` (int) or its ``date_start`` month (``"YYYY-MM"``)."""
    if period == "year":
        return events["year"].to_numpy(dtype=np.int64)
    if period == "month":
        return events["date_start"].dt.strftime("%Y-%m").to_numpy(dtype=object)
    raise SpilloverError(f"unknown period {period!r}; valid: {list(PERIODS)}")


def period_range(first_year: int, last_year: int, period: str) -> tuple:
    """Every period from January ``first_year`` to December ``last_year``.

    >>> period_range(2018, 2019, "year"), period_range(2019, 2019, "month")[:2]
    ((2018, 2019), ('2019-01', '2019-02'))
    """
    if period == "year":
        return tuple(range(first_year, last_year + 1))
    if period == "month":
        return tuple(f"{y}-{m:02d}" for y in range(first_year, last_year + 1) for m in range(1, 13))
    raise SpilloverError(f"unknown period {period!r}; valid: {list(PERIODS)}")


def country_units(events: pd.DataFrame) -> np.ndarray:
    """ADM0_A3 of each event (``""`` where GED's country name is unknown)."""
    return events["adm0_a3"].to_numpy(dtype=object)


def cell_units(events: pd.DataFrame, grid, mask_only: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, inside) of each event on ``grid``; ``inside`` is False off the grid (or off its mask)."""
    row, col = grid.cell_of(events["longitude"].to_numpy(), events["latitude"].to_numpy())
    ny, nx = grid.shape
    inside = (row >= 0) & (row < ny) & (col >= 0) & (col < nx)
    if mask_only:
        inside[inside] = grid.mask[row[inside], col[inside]]
    return row, col, inside


def admin1_units(events: pd.DataFrame, admin1, max_km: float = ADMIN1_SNAP_KM) -> np.ndarray:
    """``adm1_code`` of each event's unit within its own country (``""`` if none; see the module docstring).

    Parameters
    ----------
    events : frame with ``longitude``, ``latitude``, ``adm0_a3``.
    admin1 : GeoDataFrame of admin-1 polygons with columns ``adm1_code`` and ``adm0_a3`` (any CRS).
    max_km : snapping distance for events outside every polygon of their country.
    """
    import geopandas as gpd

    missing = [c for c in ("adm1_code", "adm0_a3") if c not in admin1.columns]
    if missing:
        raise SpilloverError(f"admin-1 polygons lack column(s) {missing}; need adm1_code and adm0_a3 "
                             "(Natural Earth admin-1, e.g. shapes/sahel_admin1.gpkg)")
    units = admin1[["adm1_code", "adm0_a3", "geometry"]].reset_index(drop=True)
    if units.crs is None:
        units = units.set_crs("EPSG:4326")
    units = units.to_crs("EPSG:4326")
    out = np.full(len(events), "", dtype=object)
    if len(events) == 0:
        return out
    points = gpd.GeoDataFrame(
        {"_event": np.arange(len(events)), "_country": events["adm0_a3"].to_numpy(dtype=object)},
        geometry=gpd.points_from_xy(events["longitude"].to_numpy(), events["latitude"].to_numpy()),
        crs="EPSG:4326",
    )
    hits = gpd.sjoin(points, units, how="inner", predicate="intersects")
    hits = hits[hits["_country"] == hits["adm0_a3"]].drop_duplicates("_event")  # a point on a shared border
    out[hits["_event"].to_numpy()] = hits["adm1_code"].to_numpy(dtype=object)
    left = points[(out == "") & np.isin(points["_country"], units["adm0_a3"].unique())]
    if len(left) and max_km > 0:
        left_m, units_m = left.to_crs(_METRIC_CRS), units.to_crs(_METRIC_CRS)
        for country, group in left_m.groupby("_country"):
            own = units_m[units_m["adm0_a3"] == country]
            near = gpd.sjoin_nearest(group, own, how="inner", max_distance=max_km * 1000.0,
                                     distance_col="_m").sort_values("_m").drop_duplicates("_event")
            out[near["_event"].to_numpy()] = near["adm1_code"].to_numpy(dtype=object)
    return out


def cell_unit_index(grid, units, level: str = "admin1", admin1=None) -> np.ndarray:
    """Index into ``units`` of every grid cell, flattened row-major (``-1``: in none of them).

    The link between model cells and observed units for :class:`~sim.evidence.likelihood.CellExposure`:
    ``level="country"`` reads the grid's country ids; ``level="admin1"`` rasterizes the admin-1 polygons on the
    grid by cell centre (as the grid's country ids are), each cell in the unit of its own country that contains
    its centre.

    Examples
    --------
    >>> counts = aggregate(events, by="admin1", years=(2012, 2019))  # doctest: +SKIP
    >>> unit = cell_unit_index(grid, counts.units, "admin1", load_admin1())  # doctest: +SKIP
    >>> CellExposure(risk.reshape(members, years, -1), pop.ravel(), unit, n_units=len(counts.units))  # doctest: +SKIP
    """
    units = [str(u) for u in units]
    position = {u: k for k, u in enumerate(units)}
    if level == "country":
        lookup = np.array([-1] + [position.get(c, -1) for c in grid.codes], dtype=np.int64)
        return lookup[grid.country_id.ravel().astype(np.int64)]
    if level != "admin1":
        raise SpilloverError(f"cells map to units of level 'country' or 'admin1', not {level!r}")
    import rasterio.features

    if admin1 is None:
        admin1 = _default_admin1()
    shapes = admin1.reset_index(drop=True)
    shapes = shapes[shapes["adm1_code"].isin(position) & shapes["adm0_a3"].isin(grid.codes)].to_crs(grid.crs)
    missing = [u for u in units if u not in set(shapes["adm1_code"])]
    if missing:
        raise SpilloverError(f"admin-1 unit(s) {missing[:5]} have no polygon in a country of the grid "
                             f"{list(grid.codes)}")
    burned = rasterio.features.rasterize(
        [(geom, position[code] + 1) for geom, code in zip(shapes.geometry.values, shapes["adm1_code"])],
        out_shape=grid.shape, transform=grid.transform, fill=0, dtype="int32", all_touched=False)
    index = burned.ravel().astype(np.int64) - 1
    # a cell belongs to a unit of its own country only (the polygons tile their country; borders are shared)
    country_of_unit = np.array([grid.codes.index(c) + 1 for c in shapes.set_index("adm1_code").loc[units, "adm0_a3"]])
    own = index >= 0
    own[own] = country_of_unit[index[own]] == grid.country_id.ravel()[own]
    return np.where(own, index, -1)


def aggregate(events: ObservedEvents | pd.DataFrame, by: str = "country", period: str = "year", *,
              years=None, grid=None, admin1=None, units=None, max_precision: int | None = None,
              mask_only: bool = False, max_km: float = ADMIN1_SNAP_KM) -> ObservedCounts:
    """Events and deaths (best, low, high) per unit of level ``by`` and ``period``.

    Parameters
    ----------
    events : read GED events (:func:`~sim.evidence.observed.read_ged`) or their ``events`` frame.
    by : ``"cell"`` (needs ``grid``), ``"admin1"`` (needs ``admin1`` polygons) or ``"country"``.
    period : ``"year"`` or ``"month"``.
    years : (first, last) range of the periods (inclusive); events outside it are left out. Default: the events'.
    grid : a :class:`geo.grid.Grid` (for ``by="cell"``).
    admin1 : GeoDataFrame of admin-1 polygons with ``adm1_code`` and ``adm0_a3`` (for ``by="admin1"``).
    units : the units to report (country or adm1 codes), zeros where none was recorded; events in other units are
        left out. Default: every unit with an event (for admin-1: every polygon of the events' countries).
    max_precision : coarsest ``where_prec`` (see :func:`~sim.evidence.observed.precision_limit`).
    mask_only : for cells, drop events in cells outside the grid's countries.
    max_km : for admin-1, the snapping distance.

    Returns
    -------
    ObservedCounts

    Examples
    --------
    >>> counts = aggregate(events, by="admin1", admin1=polygons, years=(2017, 2019))  # doctest: +SKIP
    >>> counts.array().sel(unit="MLI-2809")  # Mopti  # doctest: +SKIP
    """
    if by not in LEVELS:
        raise SpilloverError(f"unknown level {by!r}; valid: {list(LEVELS)}")
    if period not in PERIODS:
        raise SpilloverError(f"unknown period {period!r}; valid: {list(PERIODS)}")
    provenance = events.provenance() if isinstance(events, ObservedEvents) else {}
    frame = events.events if isinstance(events, ObservedEvents) else events
    limit = precision_limit(by, max_precision)
    frame = frame[frame["where_prec"] <= limit]
    if years is not None:
        first, last = check_years(years)
        frame = frame[(frame["year"] >= first) & (frame["year"] <= last)]
    elif len(frame):
        first, last = int(frame["year"].min()), int(frame["year"].max())
    else:
        raise SpilloverError("no events to aggregate and no years given; pass years=(first, last)")
    frame = frame.reset_index(drop=True)
    extra: dict[str, np.ndarray] = {}
    if by == "country":
        unit = country_units(frame)
        keep = unit != ""
    elif by == "admin1":
        if admin1 is None:
            admin1 = _default_admin1()
        unit = admin1_units(frame, admin1, max_km=max_km)
        keep = unit != ""
        code_to_country = dict(zip(admin1["adm1_code"], admin1["adm0_a3"]))
    else:
        if grid is None:
            raise SpilloverError("aggregating by cell needs a grid (geo.grid.build_grid)")
        row, col, keep = cell_units(frame, grid, mask_only=mask_only)
        unit = np.array([f"r{r}c{c}" for r, c in zip(row, col)], dtype=object)
        extra = {"row": row, "col": col}
    if units is not None:
        wanted = tuple(dict.fromkeys(str(u) for u in units))
        keep = keep & np.isin(unit, wanted)
    dropped = {"events": int((~keep).sum()), "deaths_best": float(frame.loc[~keep, "best"].sum())}
    table = pd.DataFrame({
        "unit": unit[keep], "period": event_periods(frame, period)[keep], "events": 1,
        "deaths_best": frame["best"].to_numpy()[keep], "deaths_low": frame["low"].to_numpy()[keep],
        "deaths_high": frame["high"].to_numpy()[keep], **{k: v[keep] for k, v in extra.items()},
    })
    keys = ["unit", "period"] + list(extra)
    sums = table.groupby(keys, sort=True, as_index=False)[list(QUANTITIES)].sum()
    periods = period_range(first, last, period)
    if by == "cell":
        unit_list = tuple(dict.fromkeys(sums["unit"]))
        out = sums
    else:
        if units is not None:
            unit_list = wanted
        elif by == "admin1":
            seen = set(frame["adm0_a3"])
            unit_list = tuple(sorted(c for c, a in code_to_country.items() if a in seen))
        else:
            unit_list = tuple(sorted(set(sums["unit"])))
        full = pd.MultiIndex.from_product([unit_list, periods], names=["unit", "period"])
        out = sums.set_index(["unit", "period"]).reindex(full, fill_value=0).reset_index()
        if by == "admin1":
            out.insert(1, "adm0_a3", out["unit"].map(code_to_country).fillna(""))
    for column in QUANTITIES:
        out[column] = out[column].astype(np.int64)
    out.insert(0, "level", by)
    settings = {"level": by, "period": period, "years": [first, last], "where_prec_max": limit,
                "dropped": dropped}
    return ObservedCounts(frame=out.reset_index(drop=True), level=by, period=period, units=unit_list,
                          periods=periods, precision=limit, dropped=dropped,
                          provenance={**provenance, "aggregate": settings})


def _default_admin1():
    """The committed admin-1 polygons (``geo.admin1``), once the geography layer provides them."""
    try:
        from geo.admin1 import load_admin1  # type: ignore[import-not-found]
    except ImportError:
        raise SpilloverError("aggregating by admin1 needs admin-1 polygons: pass admin1=GeoDataFrame with "
                             "adm1_code and adm0_a3 (geo.admin1 is not available in this version)") from None
    return load_admin1()
