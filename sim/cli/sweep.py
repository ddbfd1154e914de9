"""``spillover sweep`` and ``spillover sensitivity``: parameter sweeps and their Sobol'/Morris indices.

Registered on the main app in :mod:`sim.cli`; the work is done by :mod:`sim.sweep` and :mod:`sim.sensitivity`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from geo.errors import SpilloverError

err = Console(stderr=True)


def sweep_command(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file, e.g. scenarios/withdrawal.toml")],
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", "-p", help="NAME=LOW:HIGH: a numeric scenario key (dotted) and its range (repeatable; "
        "see --list-params)")] = None,
    method: Annotated[str, typer.Option(help="design: grid | lhs | sobol | morris")] = "sobol",
    n: Annotated[int, typer.Option("--n", help="grid: levels per parameter; lhs: points; sobol: base samples "
                                   "(power of 2; N·(D+2) points); morris: trajectories (N·(D+1) points)")] = 16,
    out: Annotated[Optional[Path], typer.Option(help="sweep folder (sweep.json, results.parquet); the same "
                                                "command again resumes it")] = None,
    replicates: Annotated[int, typer.Option(help="runs per design point, each with its own seed")] = 1,
    seed: Annotated[Optional[int], typer.Option(help="design seed and base run seed (run seed = base + run "
                                                "index); default: the scenario's scenario.seed")] = None,
    countries: Annotated[str, typer.Option(help="comma-separated ADM0_A3 codes to report metrics for")] = (
        "MLI,BFA,NER"),
    horizon: Annotated[Optional[list[str]], typer.Option(
        help="ISO date (or 'end') for mean risk and area at risk, the last snapshot at or before it "
        "(repeatable; default: end and 2025-01-01 if inside the run)")] = None,
    censor: Annotated[bool, typer.Option(help="store cross_days of a country that never crosses as run length "
                                         "+ 1 instead of NaN (crossed_<ISO> says which)")] = False,
    set_: Annotated[Optional[list[str]], typer.Option(
        "--set", help="KEY=VALUE: change a scenario value for every run (VALUE in TOML syntax), e.g. "
        "grid.cell_km=50 (repeatable)")] = None,
    workers: Annotated[int, typer.Option(help="local worker processes (0: run in this process)")] = 2,
    batch: Annotated[int, typer.Option(help="runs integrated together in one kernel call (ensemble size)")] = 16,
    scheduler: Annotated[Optional[str], typer.Option(help="address of a Dask distributed scheduler, e.g. "
                                                     "tcp://10.0.0.5:8786, to run the batches on its workers (start them with --nthreads 1 and "
        "NUMBA_NUM_THREADS = cores per worker process)")] = None,
    retry_failed: Annotated[bool, typer.Option(help="when resuming, rerun runs recorded as failed")] = False,
    second_order: Annotated[bool, typer.Option(help="sobol: also sample for second-order indices "
                                               "(N·(2D+2) points)")] = False,
    levels: Annotated[int, typer.Option(help="morris: grid levels")] = 4,
    list_params: Annotated[bool, typer.Option("--list-params", help="list the sweepable keys with their values, "
                                              "defaults and units, and exit")] = False,
    dry_run: Annotated[bool, typer.Option(help="print the design size and batches, run nothing")] = False,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    model: Annotated[str, typer.Option(hidden=True, help="test model: spillover | ishigami")] = "spillover",
) -> None:
    """Sweep scenario parameters over a grid, Latin hypercube, Sobol' or Morris design; one row per run."""
    from sim.scenario import Scenario
    from sim.sweep import (Metrics, SweepConfig, balanced_batch, check_horizons, default_horizons, parse_param,
                           parse_set, plan_batches, run_sweep)

    loaded = Scenario.load(scenario)
    if set_:
        loaded = loaded.replace(**dict(parse_set(s) for s in set_))
    if list_params:
        _list_params(loaded, model)
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
        design = config.design()
        runs = config.runs(design)
        if not scheduler and workers > 1:
            batch = balanced_batch(len(runs), batch, workers)
        batches = plan_batches(runs, loaded, model, batch)
        err.print(f"{method} design: {len(design)} points × {replicates} replicate(s) = {len(runs)} runs in "
                  f"{len(batches)} batch(es) of ≤ {batch}; sampler: {config.sampler()}", highlight=False)
        return
    if out is None:
        raise SpilloverError("--out DIR is required: the folder for sweep.json and results.parquet")
    try:
        outcome = run_sweep(config, out, workers=workers, batch=batch, scheduler=scheduler,
                            retry_failed=retry_failed, progress=not quiet, log=lambda m: err.print(m, highlight=False))
    except KeyboardInterrupt:
        from sim.sweep import ResultStore

        stored = len(ResultStore(out).load())
        err.print(f"interrupted: {stored} runs are stored in {out}; run the same command again to resume",
                  highlight=False)
        raise typer.Exit(130) from None
    _summary(outcome, config)


def _list_params(scenario, model: str) -> None:
    from rich.table import Table

    from sim.sweep import sweep_parameters

    table = Table(title=f"sweepable keys (--param NAME=LOW:HIGH); values from scenario {scenario.scenario.name!r}",
                  title_justify="left")
    table.add_column("key", no_wrap=True)
    for col in ("value", "default", "units", "range", "meaning"):
        table.add_column(col, overflow="fold")
    for key, meta in sweep_parameters(model).items():
        value = scenario.get(key) if model == "spillover" else meta["default"]
        lo, hi = meta.get("lo"), meta.get("hi")
        rng = ("(" if meta.get("lo_open") else "[") + (f"{lo:g}" if lo is not None else "-∞") + ", " + (
            f"{hi:g}]" if hi is not None else "∞)")
        table.add_row(key, f"{value:g}", f"{meta['default']:g}", meta.get("units") or "", rng
                      + (" whole" if meta["type"] == "int" else ""), meta.get("doc", ""))
    Console().print(table)


def _summary(outcome, config) -> None:
    from rich.table import Table

    res = outcome.results
    rate = outcome.ran / outcome.seconds * 60 if outcome.seconds else 0.0
    err.print(f"{outcome.out}/results.parquet: {len(res)} runs ({outcome.ok} ok, {outcome.failed} failed); ran "
              f"{outcome.ran} now in {outcome.seconds:.1f} s ({rate:,.1f} runs/min), {outcome.skipped} were stored "
              "already", highlight=False)
    failed = res[res["status"] != "ok"]
    for row in failed.head(5).itertuples():
        err.print(f"  failed {row.run_id}: {row.error}", highlight=False)
    if len(failed) > 5:
        err.print(f"  … and {len(failed) - 5} more (see the error column)", highlight=False)
    ok = res[res["status"] == "ok"]
    if not len(ok):
        return
    table = Table(title="metrics over the successful runs", title_justify="left")
    for col in ("metric", "min", "median", "max", "NaN"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for col in config.metrics.columns(config.model):
        if col.startswith(("crossed_", "cross_date_")):
            continue
        v = ok[col].astype(float)
        table.add_row(col, *(f"{x:,.4g}" if x == x else "–" for x in (v.min(), v.median(), v.max())),
                      str(int(v.isna().sum())))
    Console().print(table)


def sensitivity_command(
    results: Annotated[Path, typer.Argument(help="sweep folder or its results.parquet")],
    metric: Annotated[Optional[list[str]], typer.Option(help="metric column to analyse (repeatable; default: "
                                                        "every metric)")] = None,
    out: Annotated[Optional[Path], typer.Option(help="figure path (default: DIR/sensitivity.png)")] = None,
    formats: Annotated[str, typer.Option(help="comma-separated: png, svg, pdf")] = "png",
    conf: Annotated[float, typer.Option(help="confidence level of the intervals")] = 0.95,
    resamples: Annotated[int, typer.Option(help="bootstrap resamples for the intervals")] = 1000,
    seed: Annotated[int, typer.Option(help="bootstrap seed")] = 0,
) -> None:
    """Print and plot Sobol' S1/ST (or Morris μ*, σ) per metric, with confidence intervals."""
    from sim.sensitivity import analyze_path, plot, print_table

    result = analyze_path(results, metric, conf_level=conf, num_resamples=resamples, seed=seed)
    print_table(result)
    folder = results if results.is_dir() else results.parent
    for path in plot(result, out or folder / "sensitivity.png", tuple(formats.split(","))):
        err.print(f"wrote {path}", highlight=False)
