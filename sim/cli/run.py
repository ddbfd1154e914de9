"""``spillover run`` and ``spillover demo``: run scenarios into run folders."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sim.cli.common import (CsvFlag, Format, FormatOption, JsonFlag, QuietOption, VerboseOption, choose_format,
                            detail, emit_table, interrupted, say, set_verbosity, verbosity)


def run_scenario(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file, e.g. scenarios/withdrawal.toml",
                                             metavar="SCENARIO.toml")],
    out: Annotated[Path, typer.Option(
        help="run folder to write (risk.nc, countries.csv, crossings.csv, run.json)", metavar="DIR")],
    geotiff: Annotated[Optional[list[str]], typer.Option(
        help="also write a GeoTIFF of the last snapshot at or before this ISO date (repeatable)",
        metavar="YYYY-MM-DD")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="replace a previous run in --out (a folder of other files is never touched)")] = False,
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
    try:
        result = run(loaded, out, force=force, progress=verbosity() >= 1, log=say)
    except KeyboardInterrupt:
        raise interrupted(f"interrupted: nothing was stored; the partial run in {out} was removed") from None
    say(f"wrote {result.out}/ in {result.seconds:.1f} s")
    if result.estimate is not None:
        detail(f"estimate before the run: {result.estimate.describe()}; took {result.seconds:.1f} s")
    print_crossings(result, fmt)


def ensemble_command(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file, e.g. scenarios/withdrawal.toml",
                                             metavar="SCENARIO.toml")],
    out: Annotated[Path, typer.Option(help="ensemble folder to write (members.csv, band_*.csv, ensemble.png, "
                                      "ensemble.json)", metavar="DIR")],
    members: Annotated[int, typer.Option("--members", "-n", help="number of members")] = 20,
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", "-p", help="NAME=LOW:HIGH: a numeric scenario key drawn per member from a Latin hypercube over "
        "the range (repeatable; see spillover sweep --list-params)", metavar="NAME=LOW:HIGH")] = None,
    noise: Annotated[Optional[float], typer.Option(
        help="growth.noise_sd for every member (default: the scenario's; 0 = no stochastic term)")] = None,
    seed: Annotated[Optional[int], typer.Option(help="first member's seed (member j: seed + j) and the design's "
                                                "seed; default: the scenario's scenario.seed")] = None,
    workers: Annotated[int, typer.Option(help="local worker processes (0: in this process)")] = 2,
    scheduler: Annotated[Optional[str], typer.Option(
        help="address of a trusted Dask scheduler to run the batches on (see spillover sweep)",
        metavar="ADDRESS")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace a previous ensemble in --out")] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Run an ensemble: members that differ in parameters and in the seeded growth noise; write every member's
    yearly series per country and admin-1 unit, their median and 90% band, and a figure of them."""
    from sim.ensemble import design, ensemble_folder, run_members, write_ensemble
    from sim.progress import Progress
    from sim.scenario import Scenario
    from sim.sweep import check_scheduler_address, parse_param, require_dask
    from sim.sweep.execute import executor_for

    set_verbosity(quiet, verbose)
    if scheduler:
        scheduler = check_scheduler_address(scheduler)
        require_dask()
    base = Scenario.load(scenario)
    if noise is not None:
        base = base.replace(**{"growth.noise_sd": float(noise)})
    ranges = {p.name: (p.lo, p.hi) for p in (parse_param(text) for text in (param or []))}
    chosen = design(base, members, ranges, seed)
    try:
        with ensemble_folder(out, force=force) as folder:  # refused (or locked) before any member runs
            with executor_for(workers, scheduler, log=say) as pool, \
                    Progress(len(chosen), base.scenario.name, unit="members", enabled=verbosity() >= 1) as bar:
                ensemble = run_members(base, chosen, executor=pool, on_batch=lambda b: bar.advance(len(b.index)))
            written = write_ensemble(ensemble, base, out, ranges, folder=folder)
    except KeyboardInterrupt:
        raise interrupted(f"interrupted: nothing was stored in {out}") from None
    failed = int((~ensemble.members["ok"]).sum())
    say(f"wrote {len(written)} files into {out}/ ({len(chosen) - failed} of {len(chosen)} members ok) in "
        f"{ensemble.seconds:.1f} s")


def print_crossings(result, fmt: str = "table") -> None:
    """Each country's first crossing date of a :class:`~sim.runner.RunResult` (``never`` in the table, null in JSON,
    empty in CSV). The table comes from the result's plain records (no pandas); JSON and CSV from its DataFrame."""
    import sys

    from sim.cli.common import render_rows, table_width

    if fmt != "table":
        emit_table(result.crossings, fmt)
        return
    rows = [r for r in result.records if r["level"] == "country"] or result.crossings.to_dict("records")
    title = "first date with ≥ {:.0%} of the country's area at risk ≥ {:g}".format(
        rows[0]["crossing_area_fraction"], rows[0]["threshold"])
    cells = [[str(r["country"]), _crossing_text(r["first_crossing"], r["at_start"])] for r in rows]
    print(render_rows(["country", "first crossing"], cells, [False, False], title, table_width(sys.stdout)),
          flush=True)


def _crossing_text(when, at_start) -> str:
    """A first crossing as the table shows it: ``YYYY-MM-DD``, ``never``, ``… (at the start)``."""
    text = "never" if when is None or when != when else str(when)[:10]
    return f"{text} (at the start)" if at_start else text


def demo(
    figures: Annotated[Path, typer.Option(help="folder for the figures", metavar="DIR")] = Path("figures"),
    runs: Annotated[Path, typer.Option(help="folder for the two run folders", metavar="DIR")] = Path("runs"),
    scenarios: Annotated[Path, typer.Option(help="folder holding withdrawal.toml and stay.toml",
                                            metavar="DIR")] = Path("scenarios"),
    observed: Annotated[Optional[Path], typer.Option(
        help="a UCDP GED CSV: also draw the hindcast (the withdrawal scenario over the recorded years against "
        "the recorded deaths) into figures/hindcast.png and hindcast.csv", metavar="GED.csv")] = None,
) -> None:
    """The main job: run the default scenario (withdrawal) and its counterfactual (stay), then write the region map,
    the withdrawal run's figures and the comparison withdrawal against stay into figures/; with --observed also
    the hindcast against the record."""
    import time

    from geo import build_grid, load_countries
    from geo.population import population_surface
    from sim.plotting.population import plot_population
    from sim.plotting.region import plot_region
    from sim.plotting.run_figures import _claim, compare_runs, figure_folder, run_figures

    t0 = time.perf_counter()
    events = None
    if observed is not None:  # a bad GED file is refused before anything runs
        from sim.evidence.observed import read_ged

        events = read_ged(observed)
    with figure_folder(figures, force=True) as folder:  # demo regenerates the figures it wrote before
        table = load_countries()
        grid = build_grid(table, cell_km=10.0)
        written = plot_region(grid, table, _claim(folder, figures / "region.png"))
        written += plot_population(grid, population_surface(grid), table, _claim(folder, figures / "population.png"))
        for path in written:
            say(f"wrote {path}")
        folder.commit({"figures_of": ["the region", "the population surface"]})
    for name in ("withdrawal", "stay"):  # demo regenerates its own outputs: a previous demo run is replaced
        run_scenario(scenarios / f"{name}.toml", out=runs / name, geotiff=None, force=True)
    t1 = time.perf_counter()
    written = run_figures(runs / "withdrawal", figures, log=say, force=True)
    written += compare_runs(runs / "stay", runs / "withdrawal", figures, name="withdrawal_stay", log=say, force=True)
    written += demo_ensemble(scenarios / "withdrawal.toml", runs / "ensemble", figures)
    if events is not None:
        written += demo_hindcast(scenarios / "withdrawal.toml", events, figures)
    t2 = time.perf_counter()
    say(f"wrote {len(written)} figure files into {figures}/ in {t2 - t1:.0f} s "
        f"(runs and region map: {t1 - t0:.0f} s; total {t2 - t0:.0f} s)")


#: The demo's ensemble: members with their own growth noise and parameters from ranges that did about as well
#: against GED 2017-2019 as the defaults (benchmarks/results_validity.md); `spillover ensemble` runs any other.
DEMO_ENSEMBLE = {"members": 16, "noise_sd": 0.3,
                 "ranges": {"growth.base_rate_per_year": (0.4, 0.8), "growth.loss_per_year": (0.05, 0.2),
                            "suppression.troops_effect_per_year": (0.02, 0.1)}}


def demo_hindcast(scenario: Path, events, figures: Path) -> list[Path]:
    """The hindcast of ``scenario`` against ``events`` (:mod:`sim.evidence.hindcast`) into figures/."""
    from geo.atomic import atomic_path
    from sim.evidence.hindcast import hindcast, plot_hindcast
    from sim.output import provenance
    from sim.plotting.run_figures import _claim, figure_folder
    from sim.scenario import Scenario

    loaded = Scenario.load(scenario)
    table, fit = hindcast(loaded, events)
    from sim import __version__

    footer = (f"sahel-spillover {__version__} · scenario {loaded.scenario.name} ({scenario}), {fit['cell_km']:g} km, "
              f"seed {loaded.scenario.seed} · "
              f"UCDP GED {Path(events.source).name} (sha256 {events.sha256[:12]}; CC BY 4.0) · Natural Earth admin-1")
    with figure_folder(figures, force=True) as folder:
        png, csv = _claim(folder, figures / "hindcast.png"), folder.file("hindcast.csv")
        written = plot_hindcast(table, fit, png, footer)
        with atomic_path(csv) as tmp:
            table.to_csv(tmp, index=False, float_format="%.6g")
        folder.commit({"figures_of": [f"the hindcast of {scenario}"],
                       "hindcast": {"fit": fit, "ged": events.provenance(), "run": provenance(loaded)}})
    say(f"hindcast {fit['years'][0]}-{fit['years'][1]} against {Path(events.source).name}: {png} and {csv} "
        f"(only the deaths scale fitted: alpha = {fit['alpha']:.2f})")
    return [*written, csv]


def demo_ensemble(scenario: Path, out: Path, figures: Path) -> list[Path]:
    """The demo's ensemble of the default scenario (:data:`DEMO_ENSEMBLE`) into ``out``, its figure into figures/."""
    import shutil

    from sim.ensemble import design, run_members, write_ensemble
    from sim.plotting.run_figures import _claim, figure_folder
    from sim.scenario import Scenario
    from sim.sweep.execute import executor_for

    base = Scenario.load(scenario).replace(**{"growth.noise_sd": DEMO_ENSEMBLE["noise_sd"]})
    ranges = DEMO_ENSEMBLE["ranges"]
    with executor_for(2, None, log=say) as pool:
        ensemble = run_members(base, design(base, DEMO_ENSEMBLE["members"], ranges), executor=pool)
    write_ensemble(ensemble, base, out, ranges, force=True)
    with figure_folder(figures, force=True) as folder:
        target = _claim(folder, figures / "ensemble.png")
        shutil.copyfile(out / "ensemble.png", target)
        folder.commit({"figures_of": ["the ensemble in " + str(out)]})
    say(f"ensemble ({DEMO_ENSEMBLE['members']} members): {target} ({ensemble.seconds:.0f} s)")
    return [target]
