"""``spillover run`` and ``spillover demo``: run scenarios into run folders."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sim.cli.common import (CsvFlag, Format, FormatOption, JsonFlag, QuietOption, VerboseOption, choose_format,
                            emit_table, say, set_verbosity, verbosity)


def run_scenario(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file, e.g. scenarios/withdrawal.toml",
                                             metavar="SCENARIO.toml")],
    out: Annotated[Path, typer.Option(
        help="run folder to write (risk.nc, countries.csv, crossings.csv, run.json)", metavar="DIR")],
    geotiff: Annotated[Optional[list[str]], typer.Option(
        help="also write a GeoTIFF snapshot at this ISO date (repeatable)", metavar="YYYY-MM-DD")] = None,
    fmt: FormatOption = Format.table,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Run a scenario, write its outputs into a run folder and print each country's first crossing date."""
    from sim.runner import run
    from sim.scenario import Scenario

    set_verbosity(quiet, verbose)
    fmt = choose_format(fmt, as_json, as_csv)
    loaded = Scenario.load(scenario)
    if geotiff:
        loaded = loaded.replace(**{"output.geotiff_days": list(loaded.output.geotiff_days) + list(geotiff)})
    result = run(loaded, out, progress=verbosity() >= 1, log=say)
    say(f"wrote {result.out}/ in {result.seconds:.1f} s")
    print_crossings(result.crossings, fmt)


def print_crossings(frame, fmt: str = "table") -> None:
    """Each country's first crossing date (``never`` in the table, null in JSON, empty in CSV)."""
    if fmt != "table":
        emit_table(frame, fmt)
        return
    title = "first date with ≥ {:.0%} of the country's area at risk ≥ {:g}".format(
        frame["crossing_area_fraction"].iloc[0], frame["threshold"].iloc[0])
    view = frame[["country", "first_crossing"]].rename(columns={"first_crossing": "first crossing"})
    view = view.assign(**{"first crossing": [v or "never" for v in view["first crossing"]]})
    emit_table(view, "table", title=title)


def demo(
    figures: Annotated[Path, typer.Option(help="folder for the figures", metavar="DIR")] = Path("figures"),
    runs: Annotated[Path, typer.Option(help="folder for the two run folders", metavar="DIR")] = Path("runs"),
    scenarios: Annotated[Path, typer.Option(help="folder holding withdrawal.toml and stay.toml",
                                            metavar="DIR")] = Path("scenarios"),
) -> None:
    """The main job: run the default scenario (withdrawal) and its counterfactual (stay), then write the region map,
    the withdrawal run's figures and the comparison withdrawal against stay into figures/."""
    import time

    from sim.cli.geo import population_map, region_map
    from sim.plotting.run_figures import compare_runs, run_figures

    t0 = time.perf_counter()
    region_map(out=figures / "region.png")
    population_map(out=figures / "population.png")
    for name in ("withdrawal", "stay"):
        run_scenario(scenarios / f"{name}.toml", out=runs / name, geotiff=None)
    t1 = time.perf_counter()
    written = run_figures(runs / "withdrawal", figures, log=say)
    written += compare_runs(runs / "stay", runs / "withdrawal", figures, name="withdrawal_stay", log=say)
    t2 = time.perf_counter()
    say(f"wrote {len(written)} figure files into {figures}/ in {t2 - t1:.0f} s "
        f"(runs and region map: {t1 - t0:.0f} s; total {t2 - t0:.0f} s)")
