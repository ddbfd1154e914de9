"""``spillover sweep`` and ``spillover sensitivity``: parameter sweeps and their Sobol'/Morris indices.

Registered on the main app in :mod:`sim.cli`; the work is done by :mod:`sim.sweep`. Exit status of ``sweep``: 0
when every run is stored and ok, 1 when some runs failed (unless ``--allow-failures``) or the Dask cluster lost
every worker, 2 for bad input, 130 when interrupted (it says how many runs are stored: the same command resumes).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from geo.errors import SpilloverError
from sim.cli.common import (EXIT_ENVIRONMENT, CsvFlag, Format, FormatOption, JsonFlag, QuietOption, VerboseOption,
                            choose_format, emit_table, interrupted, say, set_verbosity, verbosity, warn)


def sweep_command(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file, e.g. scenarios/withdrawal.toml",
                                             metavar="SCENARIO.toml")],
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", "-p", help="NAME=LOW:HIGH: a numeric scenario key (dotted) and its range (repeatable; "
        "see --list-params)", metavar="NAME=LOW:HIGH")] = None,
    method: Annotated[str, typer.Option(help="design: grid | lhs | sobol | morris", metavar="METHOD")] = "sobol",
    n: Annotated[int, typer.Option("--n", help="grid: levels per parameter; lhs: points; sobol: base samples "
                                   "(power of 2; N·(D+2) points); morris: trajectories (N·(D+1) points)")] = 16,
    out: Annotated[Optional[Path], typer.Option(help="sweep folder (sweep.json, results.parquet); the same "
                                                "command again resumes it", metavar="DIR")] = None,
    replicates: Annotated[int, typer.Option(help="runs per design point, each with its own seed")] = 1,
    seed: Annotated[Optional[int], typer.Option(help="design seed and base run seed (run seed = base + run "
                                                "index); default: the scenario's scenario.seed")] = None,
    countries: Annotated[str, typer.Option(help="comma-separated ADM0_A3 codes to report metrics for",
                                           metavar="CODES")] = "MLI,BFA,NER",
    horizon: Annotated[Optional[list[str]], typer.Option(
        help="ISO date (or 'end') for mean risk and area at risk, the last snapshot at or before it "
        "(repeatable; default: end and 2025-01-01 if inside the run)", metavar="YYYY-MM-DD")] = None,
    censor: Annotated[bool, typer.Option(help="store cross_days of a country that never crosses as run length "
                                         "+ 1 instead of NaN (crossed_<ISO> says which)")] = False,
    set_: Annotated[Optional[list[str]], typer.Option(
        "--set", help="KEY=VALUE: change a scenario value for every run (VALUE in TOML syntax), e.g. "
        "grid.cell_km=50 (repeatable)", metavar="KEY=VALUE")] = None,
    workers: Annotated[int, typer.Option(help="local worker processes (0: run in this process)")] = 2,
    batch: Annotated[int, typer.Option(help="runs integrated together in one kernel call (ensemble size)")] = 16,
    scheduler: Annotated[Optional[str], typer.Option(
        help="address of a trusted Dask scheduler, e.g. tls://10.0.0.5:8786, to run the batches on its workers "
        "(needs pip install 'sahel-spillover[dask]'; see the README on TLS)", metavar="ADDRESS")] = None,
    worker_timeout: Annotated[float, typer.Option(
        help="with --scheduler: give up after this many seconds without a live worker (or, up to 30 s, "
        "without reaching the scheduler)")] = 60.0,
    retry_failed: Annotated[bool, typer.Option(help="when resuming, rerun runs recorded as failed")] = False,
    allow_failures: Annotated[bool, typer.Option(
        help="exit 0 even if some runs failed (they are recorded with their error)")] = False,
    second_order: Annotated[bool, typer.Option(help="sobol: also sample for second-order indices "
                                               "(N·(2D+2) points)")] = False,
    levels: Annotated[int, typer.Option(help="morris: grid levels")] = 4,
    list_params: Annotated[bool, typer.Option("--list-params", help="list the sweepable keys with their values, "
                                              "defaults and units, and exit")] = False,
    dry_run: Annotated[bool, typer.Option(help="show the design's size, its first rows and an estimate of the "
                                          "time from a short timed run; run nothing")] = False,
    fmt: FormatOption = Format.table,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    model: Annotated[str, typer.Option(hidden=True, help="test model: spillover | ishigami")] = "spillover",
) -> None:
    """Sweep scenario parameters over a grid, Latin hypercube, Sobol' or Morris design; one row per run."""
    from sim.scenario import Scenario
    from sim.sweep import (Metrics, SweepConfig, check_horizons, check_scheduler_address, default_horizons,
                           parse_param, parse_set, require_dask)

    set_verbosity(quiet, verbose)
    fmt = choose_format(fmt, as_json, as_csv)
    if scheduler:
        scheduler = check_scheduler_address(scheduler)
        require_dask()
    if worker_timeout <= 0:
        raise SpilloverError(f"--worker-timeout {worker_timeout:g}: give a number of seconds > 0, e.g. 60")
    loaded = Scenario.load(scenario)
    if set_:
        loaded = loaded.replace(**dict(parse_set(s) for s in set_))
    if list_params:
        emit_table(params_table(loaded, model), fmt, title="sweepable keys (--param NAME=LOW:HIGH); values from "
                   f"scenario {loaded.scenario.name!r}")
        return
    params = tuple(parse_param(p, model) for p in (param or []))
    metrics = Metrics(
        countries=tuple(c.strip() for c in countries.split(",") if c.strip()),
        horizons=check_horizons(horizon, loaded) if horizon else default_horizons(loaded),
        censor=censor,
    )
    config = SweepConfig(loaded, params, method=method, n=n, seed=loaded.scenario.seed if seed is None else seed,
                         replicates=replicates, metrics=metrics, second_order=second_order, levels=levels,
                         model=model, scenario_file=str(scenario))
    if dry_run:
        _dry_run(config, workers, batch, scheduler, fmt)
        return
    if out is None:
        raise SpilloverError("--out DIR is required: the folder for sweep.json and results.parquet")
    from sim.sweep import run_sweep

    try:
        outcome = run_sweep(config, out, workers=workers, batch=batch, scheduler=scheduler,
                            retry_failed=retry_failed, progress=verbosity() >= 1, log=say,
                            worker_timeout=worker_timeout)
    except KeyboardInterrupt:
        raise interrupted(f"interrupted: {_stored(out)} of {config.point_count() * replicates} runs are stored in "
                          f"{out}; run the same command again to resume") from None
    # WorkersLost (every Dask worker gone) is a ConnectionError: one line, exit 1 (sim.cli.common.run_app)
    _summary(outcome, config, fmt)
    if outcome.failed and not allow_failures:
        print(f"error: {outcome.failed} of {len(outcome.results)} runs failed (their errors are in the error column "
              f"of {outcome.out}/results.parquet); rerun them with --retry-failed, or pass --allow-failures to exit 0",
              file=sys.stderr, flush=True)
        raise typer.Exit(EXIT_ENVIRONMENT)


def _stored(out: Path) -> int:
    from sim.sweep import ResultStore

    try:
        store = ResultStore(out)
        store.read_spec()
        return len(store.load())
    except (SpilloverError, OSError):
        return 0


def params_table(scenario, model: str = "spillover"):
    """The sweepable keys: key, current value, default, units, range and meaning."""
    import pandas as pd

    from sim.sweep import sweep_parameters

    rows = []
    for key, meta in sweep_parameters(model).items():
        value = scenario.get(key) if model == "spillover" else meta["default"]
        lo, hi = meta.get("lo"), meta.get("hi")
        rng = ("(" if meta.get("lo_open") else "[") + (f"{lo:g}" if lo is not None else "-inf") + ", " + (
            f"{hi:g}]" if hi is not None else "inf)")
        rows.append({"key": key, "value": value, "default": meta["default"], "units": meta.get("units") or "",
                     "range": rng + (" whole" if meta["type"] == "int" else ""), "meaning": meta.get("doc", "")})
    return pd.DataFrame(rows, columns=["key", "value", "default", "units", "range", "meaning"])


def _dry_run(config, workers: int, batch: int, scheduler: str | None, fmt: str) -> None:
    from sim.sweep import balanced_batch, design_preview, estimate, plan_batches
    from sim.sweep.dryrun import duration

    runs = config.runs(config.design())
    if not scheduler and workers > 1:
        batch = balanced_batch(len(runs), batch, workers)
    batches = plan_batches(runs, config.scenario, config.model, batch)
    say(f"{config.method} design: {config.point_count()} points × {config.replicates} replicate(s) = {len(runs):,} "
        f"runs in {len(batches)} batch(es) of ≤ {batch}; sampler: {config.sampler()}")
    emit_table(design_preview(config, 5), fmt, title=f"first {min(5, len(runs))} of {len(runs):,} runs")
    guess = estimate(config, batch=batch, pool=bool(workers) and not scheduler)
    say(guess.describe())
    if guess.long:
        warn(f"this sweep would run for about {duration(guess.seconds)} on this machine ({len(runs):,} runs); use "
             "fewer runs (--n), a shorter period or a coarser grid (--set grid.cell_km=20), or a cluster "
             "(--scheduler); it can be interrupted and resumed")


def _summary(outcome, config, fmt: str) -> None:
    import pandas as pd

    res = outcome.results
    rate = outcome.ran / outcome.seconds * 60 if outcome.seconds else 0.0
    say(f"{outcome.out}/results.parquet: {len(res)} runs ({outcome.ok} ok, {outcome.failed} failed); ran "
        f"{outcome.ran} now in {outcome.seconds:.1f} s ({rate:,.1f} runs/min), {outcome.skipped} were stored already")
    failed = res[res["status"] != "ok"]
    shown = len(failed) if verbosity() >= 2 else 5  # -v: every failed run
    for row in failed.head(shown).itertuples():
        say(f"  failed {row.run_id}: {row.error}")
    if len(failed) > shown:
        say(f"  … and {len(failed) - shown} more (see the error column, or -v)")
    ok = res[res["status"] == "ok"]
    if not len(ok):
        return
    rows = []
    for col in config.metrics.columns(config.model):
        if col.startswith(("crossed_", "cross_date_")):
            continue
        v = ok[col].astype(float)
        rows.append({"metric": col, "min": v.min(), "median": v.median(), "max": v.max(), "NaN": int(v.isna().sum())})
    emit_table(pd.DataFrame(rows, columns=["metric", "min", "median", "max", "NaN"]), fmt,
               title="metrics over the successful runs")


def sensitivity_command(
    results: Annotated[Path, typer.Argument(help="sweep folder or its results.parquet", metavar="DIR")],
    metric: Annotated[Optional[list[str]], typer.Option(help="metric column to analyse (repeatable; default: "
                                                        "every metric)", metavar="COLUMN")] = None,
    out: Annotated[Optional[Path], typer.Option(
        help="figure path (default: DIR/sensitivity.png); indices.csv is written beside it", metavar="PATH")] = None,
    formats: Annotated[str, typer.Option(help="comma-separated: png, svg, pdf")] = "png",
    conf: Annotated[float, typer.Option(help="confidence level of the intervals")] = 0.95,
    resamples: Annotated[int, typer.Option(help="bootstrap resamples for the intervals")] = 1000,
    seed: Annotated[int, typer.Option(help="bootstrap seed")] = 0,
    force: Annotated[bool, typer.Option(help="with --out: replace a previous sensitivity figure there")] = False,
    fmt: FormatOption = Format.table,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Print and plot Sobol' S1/ST (or Morris μ*, σ) per metric, with confidence intervals; save indices.csv."""
    from sim.sweep.sensitivity import analyze_path, indices_frame, table_title

    set_verbosity(quiet, verbose)
    fmt = choose_format(fmt, as_json, as_csv)
    figure_formats = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    result = analyze_path(results, metric, conf_level=conf, num_resamples=resamples, seed=seed)
    frame = indices_frame(result)
    emit_table(frame if fmt != "table" else frame.drop(columns=["description", "conf_level"]), fmt,
               title=table_title(result))
    for note in result.notes:
        say(f"note: {note}")
    folder = results if results.is_dir() else results.parent
    for path in _write_sensitivity(result, frame, out, folder, figure_formats, force):
        say(f"wrote {path}")


def _write_sensitivity(result, frame, out: Path | None, sweep_folder: Path, formats: tuple[str, ...],
                       force: bool) -> list[Path]:
    """The figure and indices.csv: into the sweep folder (ours), or under ``--out`` through the folder guard."""
    from geo.atomic import atomic_path
    from sim.sweep.sensitivity import plot

    def write(figure: Path) -> list[Path]:
        written = plot(result, figure, formats)
        with atomic_path(figure.parent / "indices.csv") as tmp:
            frame.to_csv(tmp, index=False)
        return written + [figure.parent / "indices.csv"]

    figure = sweep_folder / "sensitivity.png" if out is None else Path(out)
    if not figure.suffix:
        figure = figure.with_suffix(".png")
    if figure.parent.resolve() == sweep_folder.resolve():
        return write(figure)  # the sweep folder is ours
    from sim.outdir import output_folder

    names = [figure.with_suffix(f".{f}").name for f in dict.fromkeys(("png", *formats))] + ["indices.csv"]
    with output_folder(figure.parent, manifest="figures.json", kind="figures", mode="add", force=force) as guard:
        for name in names:
            guard.file(name)
        written = write(figure)
        guard.commit({"command": "sensitivity"})
    return written
