"""``spillover figures`` and ``spillover compare``: the figure commands (registered in :mod:`sim.cli`).

Both print the list of files written on stdout (``--format table|json|csv``) and messages on stderr; the figure
folder is guarded (:func:`sim.plotting.run_figures.figure_folder`): never a folder of other files, a previous figure
replaced only with ``--force``.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from geo.errors import SpilloverError
from sim.cli.common import (CsvFlag, Format, FormatOption, JsonFlag, QuietOption, VerboseOption, choose_format,
                            emit_table, interrupted, say, set_verbosity)

ForceOption = Annotated[bool, typer.Option(
    "--force", help="replace figures spillover wrote before in --out (other files are never touched)")]


def _formats(value: str) -> tuple[str, ...]:
    from sim.plotting.style import FORMATS

    formats = tuple(f.strip().lower().lstrip(".") for f in value.split(",") if f.strip())
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise SpilloverError(f"--formats {value!r}: valid formats are {', '.join(FORMATS)} (comma-separated; PNG is "
                             "always written)")
    return formats


def list_written(paths, fmt: str) -> None:
    """The files written, one row each (``file``, ``bytes``), on stdout."""
    import pandas as pd

    rows = [{"file": str(p), "bytes": Path(p).stat().st_size if Path(p).exists() else None} for p in paths]
    emit_table(pd.DataFrame(rows, columns=["file", "bytes"]), fmt)


def figures_command(
    run_dir: Annotated[Path, typer.Argument(help="run folder written by `spillover run` (risk.nc, countries.csv, ...)",
                                            metavar="RUN_DIR")],
    out: Annotated[Path, typer.Option(help="folder for the figures", metavar="DIR")] = Path("figures"),
    formats: Annotated[str, typer.Option(help="comma-separated: png, svg, pdf (PNG always)", metavar="LIST")] = "png",
    date: Annotated[Optional[list[str]], typer.Option(
        help="ISO date of a risk map and of the admin-1 choropleth (repeatable; default: 6 and 4 dates over the run);"
             " the last snapshot at or before it", metavar="YYYY-MM-DD")] = None,
    animation: Annotated[str, typer.Option(help="gif, mp4 (needs ffmpeg, else GIF) or none",
                                           metavar="gif|mp4|none")] = "gif",
    every: Annotated[Optional[int], typer.Option(
        help="animation: every k-th snapshot (default: at most 62 frames)", min=1, metavar="K")] = None,
    force: ForceOption = False,
    fmt: FormatOption = Format.table,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Write a run's figures: risk maps, country time series, admin-1 choropleth, animation (and the documents
    figure)."""
    from sim.plotting.run_figures import run_figures

    set_verbosity(quiet, verbose)
    fmt = choose_format(fmt, as_json, as_csv)
    if animation not in ("gif", "mp4", "none"):
        raise SpilloverError(f"--animation {animation!r}; valid: gif, mp4, none")
    t0 = time.perf_counter()
    try:
        written = run_figures(run_dir, out, _formats(formats), dates=date or None,
                              animation=None if animation == "none" else animation, every=every, log=say, force=force)
    except KeyboardInterrupt:
        raise interrupted(f"interrupted: the figures of this command were removed from {out}") from None
    say(f"wrote {len(written)} files into {out}/ in {time.perf_counter() - t0:.1f} s")
    list_written(written, fmt)


def compare_command(
    run_a: Annotated[Path, typer.Argument(help="run folder A (the baseline, e.g. runs/stay)", metavar="RUN_A")],
    run_b: Annotated[Path, typer.Argument(help="run folder B (e.g. runs/withdrawal); the map shows B − A",
                                          metavar="RUN_B")],
    out: Annotated[Path, typer.Option(help="folder for the figures", metavar="DIR")] = Path("figures"),
    formats: Annotated[str, typer.Option(help="comma-separated: png, svg, pdf (PNG always)", metavar="LIST")] = "png",
    date: Annotated[Optional[str], typer.Option(
        help="ISO date of the difference map (default: the last date both runs reach)", metavar="YYYY-MM-DD")] = None,
    name: Annotated[Optional[str], typer.Option(
        help="file-name stem: compare_NAME.png, crossings_NAME.png (default: A_B from the scenario names)",
        metavar="NAME")] = None,
    force: ForceOption = False,
    fmt: FormatOption = Format.table,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Compare two runs: the difference map B − A and each country's threshold-crossing date in A and B."""
    from sim.plotting.run_figures import compare_runs

    set_verbosity(quiet, verbose)
    fmt = choose_format(fmt, as_json, as_csv)
    t0 = time.perf_counter()
    try:
        written = compare_runs(run_a, run_b, out, _formats(formats), date=date, name=name, log=say, force=force)
    except KeyboardInterrupt:
        raise interrupted(f"interrupted: the figures of this command were removed from {out}") from None
    say(f"wrote {len(written)} files into {out}/ in {time.perf_counter() - t0:.1f} s")
    list_written(written, fmt)
