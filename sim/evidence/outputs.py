"""The output folder of ``spillover observed``: the aggregates as CSV, the figure, and a manifest with provenance.

``DIR/observed_<by>_<period>.csv`` holds the tidy aggregate of :func:`~sim.evidence.aggregate.aggregate`
(``level, unit, [adm0_a3 | row, col], period, events, deaths_best, deaths_low, deaths_high``; admin-1 rows also
carry the unit's ``name``); ``DIR/observed_country_year.csv`` is always written too (the series of the figure);
``DIR/observed.png`` is the map and series figure (:mod:`sim.plotting.observed`); ``DIR/observed.json`` (written
last) records the GED file and its SHA-256, the filters, the precision limit per level, what was left out, the
grid and the package version. The folder is opened through :func:`sim.outdir.output_folder`: a folder holding
anything else is refused, and a previous output is replaced only with ``force``.

Example
-------
>>> from sim.evidence.outputs import write_observed
>>> written = write_observed(read_ged("GEDEvent_v24_1.csv"), "runs/observed", by="admin1",
...                          years=(2012, 2019))  # doctest: +SKIP
"""
from __future__ import annotations

import os
from pathlib import Path

from sim.evidence.aggregate import ObservedCounts, aggregate
from sim.evidence.observed import ObservedEvents, check_years

MANIFEST = "observed.json"
#: Cell size (km) of the grid behind cell aggregates and the figure's base map.
DEFAULT_CELL_KM = 25.0


def figure_codes(events: ObservedEvents) -> tuple[str, ...]:
    """Countries on the figure's grid: the G5 Sahel and every country of the region with an event in the file."""
    from geo.shapes import REGION, SAHEL_G5

    seen = set(events.events["adm0_a3"])
    return tuple(c for c in REGION if c in SAHEL_G5 or c in seen)


def observed_counts(events: ObservedEvents, by: str, period: str, years=None, max_precision=None,
                    cell_km: float = DEFAULT_CELL_KM):
    """``(counts, grid, admin1)`` for ``by``/``period``: the grid (region countries) and polygons it needed."""
    from geo.admin1 import load_admin1
    from geo.grid import build_grid
    from geo.shapes import load_countries

    grid = build_grid(load_countries(), cell_km=cell_km, codes=list(figure_codes(events)))
    admin1 = load_admin1()
    counts = aggregate(events, by=by, period=period, years=years, grid=grid, admin1=admin1,
                       max_precision=max_precision)
    if by == "admin1":
        names = dict(zip(admin1["adm1_code"], admin1["name"]))
        frame = counts.frame.copy()
        frame.insert(frame.columns.get_loc("unit") + 1, "name", frame["unit"].map(names).fillna(""))
        counts = ObservedCounts(**{**counts.__dict__, "frame": frame})
    return counts, grid, admin1


def write_observed(events: ObservedEvents, out: str | os.PathLike, by: str = "admin1", period: str = "year",
                   years=None, max_precision: int | None = None, cell_km: float = DEFAULT_CELL_KM,
                   force: bool = False, formats: tuple[str, ...] = ("png",), log=None) -> tuple[ObservedCounts, list[Path]]:
    """Aggregate ``events`` and write the CSVs, the figure and the manifest into ``out``; return what was written.

    The figure maps the whole year range per admin-1 unit (``by`` = ``country`` or ``admin1``) or per cell
    (``by="cell"``), beside the yearly deaths per country.
    """
    from geo.shapes import load_countries
    from sim import __version__
    from sim.outdir import output_folder
    from sim.plotting.observed import plot_observed

    if years is not None:
        years = check_years(years)
    counts, grid, admin1 = observed_counts(events, by, period, years, max_precision, cell_km)
    series = aggregate(events, by="country", period="year", years=years, max_precision=max_precision)
    map_by = "cell" if by == "cell" else "admin1"
    if by == map_by and period == "year":
        map_counts = counts
    else:
        map_counts = aggregate(events, by=map_by, period="year", years=years, grid=grid, admin1=admin1,
                               max_precision=max_precision)
    written = []
    with output_folder(out, manifest=MANIFEST, kind="observed", mode="replace", force=force) as folder:
        for name, data in {f"observed_{by}_{period}.csv": counts, "observed_country_year.csv": series}.items():
            path = folder.file(name)
            data.frame.to_csv(path, index=False)
            written.append(path)
        figure = folder.file("observed.png")
        for fmt in formats:
            if fmt != "png":
                folder.file(f"observed.{fmt}")
        written += plot_observed(events, map_counts, series, grid, load_countries(), figure, admin1=admin1,
                                 formats=formats)
        manifest = {
            "sahel_spillover_version": __version__, "ged": events.provenance(),
            "aggregate": counts.provenance.get("aggregate", {}), "units": len(counts.units),
            "periods": [counts.periods[0], counts.periods[-1]],
            "grid": {"cell_km": grid.cell_km, "codes": list(grid.codes), "crs": grid.crs.to_string()},
            "figure_map": {"level": map_counts.level, "where_prec_max": map_counts.precision},
        }
        written.append(folder.commit(manifest))
    if log:
        for path in written:
            log(f"wrote {path}")
    return counts, written
