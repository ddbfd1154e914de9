"""``spillover calibrate``, ``forecast`` and ``evaluate``: the model against UCDP GED (registered in :mod:`sim.cli`).

The work is done by :mod:`sim.evidence.workflow` (method: :mod:`sim.evidence.calibrate`,
:mod:`sim.evidence.forecast`).
"""
from __future__ import annotations

import datetime as dt
import shlex
import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from geo.errors import SpilloverError
from sim.cli.common import (CsvFlag, Format, FormatOption, JsonFlag, QuietOption, VerboseOption, choose_format,
                            emit_table, say, set_verbosity, verbosity)

Observed = Annotated[Path, typer.Option("--observed", help="a UCDP GED CSV", metavar="GED.csv")]
Workers = Annotated[int, typer.Option(help="local worker processes (0: in this process)")]
Scheduler = Annotated[Optional[str], typer.Option(help="Dask scheduler address (instead of local workers)",
                                                  metavar="HOST:PORT")]


def _year(text: str, option: str) -> int:
    try:
        return int(text) if len(text) == 4 else dt.date.fromisoformat(text).year
    except ValueError:
        raise SpilloverError(f"{option} {text!r}: give a year or a date, e.g. 2016 or 2016-01-01") from None


def estimates_frame(fit: dict):
    """The fitted parameters of ``fit.json`` as a table: ``parameter, mean, sd`` (what ``--json``/``--csv`` print)."""
    import pandas as pd

    rows = [{"parameter": k, "mean": e["mean"], "sd": e["sd"]} for k, e in fit["estimates"].items()]
    return pd.DataFrame(rows, columns=["parameter", "mean", "sd"])


def calibrate_command(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML to calibrate", metavar="SCENARIO")],
    observed: Observed,
    out: Annotated[Path, typer.Option(help="output folder (fit.json, calibrated.toml, figure, runs/)",
                                      metavar="DIR")],
    train: Annotated[str, typer.Option(help="training years FIRST:LAST", metavar="FIRST:LAST")] = "2012:2019",
    param: Annotated[Optional[List[str]], typer.Option(
        help="a dynamic key and its box KEY=LOW:HIGH (repeat); default: four growth/diffusion/suppression keys",
        metavar="KEY=LOW:HIGH")] = None,
    points: Annotated[int, typer.Option(help="design points (model runs)")] = 64,
    cell_km: Annotated[float, typer.Option(help="grid cell of the calibration runs (km)")] = 25.0,
    ess: Annotated[float, typer.Option(help="effective sample size the tempered posterior keeps")] = 8.0,
    seed: Annotated[int, typer.Option(help="seed of the design and the draws")] = 0,
    workers: Workers = 0,
    scheduler: Scheduler = None,
    force: Annotated[bool, typer.Option(help="replace a previous fit in DIR (runs there are reused)")] = False,
    fmt: FormatOption = Format.table,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Fit dynamic and observation parameters to GED admin-1 yearly deaths of the training years."""
    from sim import Scenario
    from sim.evidence.calibrate import DEFAULT_BOX, parse_param
    from sim.evidence.observed import check_years
    from sim.evidence.workflow import calibrate_files

    set_verbosity(quiet, verbose)
    fmt = choose_format(fmt, as_json, as_csv)
    first, last = check_years(train)
    if points < 2:
        raise SpilloverError(f"--points {points}: calibration needs at least 2 design points")
    if not (ess == ess and 1 <= ess < float("inf")):  # above the finite runs it is the number of finite runs
        raise SpilloverError(f"--ess {ess:g}: give an effective sample size ≥ 1 (at most the runs kept), e.g. 8")
    box = dict(DEFAULT_BOX) if not param else {}
    for text in param or []:
        key, lo, hi = parse_param(text)
        box[key] = (lo, hi)
    base = Scenario.load(scenario)
    for key, (lo, hi) in box.items():  # every key is checked before any run
        for v in (lo, hi):
            try:
                base.replace(**{key: v})
            except SpilloverError as exc:
                raise SpilloverError(f"--param {key}={lo:g}:{hi:g}: {exc}") from None
    command = "spillover " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["calibrate"] else ""
    fit = calibrate_files(scenario, observed, (first, last), box, out, points, cell_km, ess, workers, scheduler,
                          seed, force, command, progress=verbosity() >= 1)
    if fmt == "table":
        for k, e in fit["estimates"].items():
            print(f"{k} = {e['mean']:.4g} ± {e['sd']:.2g}")
    else:
        emit_table(estimates_frame(fit), fmt)
    say(f"wrote {out / 'fit.json'}, {out / 'calibrated.toml'}, {out / 'fit_countries.png'} "
        f"({fit['runs_ok']} runs, temperature {fit['temperature']:.3g}, ESS {fit['ess']:.1f})")


def forecast_command(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML (its timeline forces the forecast)",
                                             metavar="SCENARIO")],
    observed: Observed,
    fit: Annotated[Path, typer.Option(help="fit.json of `spillover calibrate`", metavar="FIT.json")],
    origin: Annotated[str, typer.Option(help="forecast made on 1 January of this year (YEAR or DATE)")],
    until: Annotated[str, typer.Option(help="last forecast year (YEAR or DATE)")],
    out: Annotated[Path, typer.Option(help="output folder (predictions.csv, fan chart)", metavar="DIR")],
    members: Annotated[int, typer.Option(help="ensemble members")] = 1000,
    seed: Annotated[int, typer.Option(help="seed of the draws")] = 0,
    against: Annotated[Optional[Path], typer.Option(
        help="another scenario TOML (e.g. scenarios/stay.toml): the same members drawn under its timeline, "
             "DIR/comparison.csv with the paired difference", metavar="SCENARIO")] = None,
    workers: Workers = 0,
    scheduler: Scheduler = None,
    force: Annotated[bool, typer.Option(help="replace previous predictions in DIR")] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Ensemble forecast per country and admin-1 unit and calendar year: DIR/predictions.csv."""
    from sim.evidence.workflow import check_members, forecast_files

    set_verbosity(quiet, verbose)
    check_members(members)
    first_year = _year(origin, "--origin")
    table = forecast_files(scenario, observed, fit, first_year, _year(until, "--until"), out,
                           members, workers, scheduler, seed, force, progress=verbosity() >= 1, against=against)
    also = f", {out / 'comparison.csv'}" if against is not None else ""
    say(f"wrote {out / 'predictions.csv'} ({len(table)} rows){also}, {out / 'fan_countries.png'} and "
        f"{out / f'admin1_{first_year}.png'}")


def evaluate_command(
    folder: Annotated[Path, typer.Argument(help="a `spillover calibrate` folder (fit.json)", metavar="DIR")],
    observed: Observed,
    members: Annotated[int, typer.Option(help="ensemble members per forecast")] = 1000,
    workers: Workers = 0,
    scheduler: Scheduler = None,
    fmt: FormatOption = Format.table,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Rolling origins 2016, 2017, 2018 to 2019: the model beside the baselines (DIR/skill.md, skill.csv)."""
    from sim.evidence.workflow import evaluate_files, skill_markdown

    set_verbosity(quiet, verbose)
    fmt = choose_format(fmt, as_json, as_csv)
    table = evaluate_files(folder, observed, members=members, workers=workers, scheduler=scheduler,
                           progress=verbosity() >= 1)
    if fmt == "table":
        print(skill_markdown(table))
    else:
        emit_table(table, fmt)
    say(f"wrote {folder / 'skill.md'} and {folder / 'skill.csv'}")
