"""``spillover figures`` and ``spillover compare``: the figure commands (registered in :mod:`sim.cli`)."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from geo.errors import SpilloverError
from sim.cli.common import say


def _formats(value: str) -> tuple[str, ...]:
    from sim.plotting.style import FORMATS

    formats = tuple(f.strip().lower().lstrip(".") for f in value.split(",") if f.strip())
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise SpilloverError(f"--formats {value!r}: valid formats are {', '.join(FORMATS)} (comma-separated; PNG is "
                             "always written)")
    return formats


def figures_command(
    run_dir: Annotated[Path, typer.Argument(help="run folder written by `spillover run` (risk.nc, countries.csv, ...)")],
    out: Annotated[Path, typer.Option(help="folder for the figures")] = Path("figures"),
    formats: Annotated[str, typer.Option(help="comma-separated: png, svg, pdf (PNG always)")] = "png",
    date: Annotated[Optional[list[str]], typer.Option(
        help="ISO date of a risk map and of the admin-1 choropleth (repeatable; default: 6 and 4 dates over the run);"
             " the snapshot at or before it")] = None,
    animation: Annotated[str, typer.Option(help="gif, mp4 (needs ffmpeg, else GIF) or none")] = "gif",
    every: Annotated[Optional[int], typer.Option(
        help="animation: every k-th snapshot (default: at most 62 frames)", min=1)] = None,
) -> None:
    """Write a run's figures: risk maps, country time series, admin-1 choropleth, animation (and the documents
    figure)."""
    from sim.plotting.run_figures import run_figures

    if animation not in ("gif", "mp4", "none"):
        raise SpilloverError(f"--animation {animation!r}; valid: gif, mp4, none")
    t0 = time.perf_counter()
    written = run_figures(run_dir, out, _formats(formats), dates=date or None,
                          animation=None if animation == "none" else animation, every=every, log=say)
    say(f"wrote {len(written)} files into {out}/ in {time.perf_counter() - t0:.1f} s")


def compare_command(
    run_a: Annotated[Path, typer.Argument(help="run folder A (the baseline, e.g. runs/stay)")],
    run_b: Annotated[Path, typer.Argument(help="run folder B (e.g. runs/withdrawal); the map shows B − A")],
    out: Annotated[Path, typer.Option(help="folder for the figures")] = Path("figures"),
    formats: Annotated[str, typer.Option(help="comma-separated: png, svg, pdf (PNG always)")] = "png",
    date: Annotated[Optional[str], typer.Option(
        help="ISO date of the difference map (default: the last date both runs reach)")] = None,
    name: Annotated[Optional[str], typer.Option(
        help="file-name stem: compare_NAME.png, crossings_NAME.png (default: A_B from the scenario names)")] = None,
) -> None:
    """Compare two runs: the difference map B − A and each country's threshold-crossing date in A and B."""
    from sim.plotting.run_figures import compare_runs

    t0 = time.perf_counter()
    written = compare_runs(run_a, run_b, out, _formats(formats), date=date, name=name, log=say)
    say(f"wrote {len(written)} files into {out}/ in {time.perf_counter() - t0:.1f} s")
