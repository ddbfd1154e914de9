"""Run a scenario end to end: forcing → model loop → outputs in a run folder (see :mod:`sim.output`)."""
from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo.atomic import write_text_atomic
from geo.errors import SpilloverError
from sim.forcing import build_forcing, document_inputs, scenario_grid
from sim.model import Stepping, integrate, snapshot_days
from sim.output import (ADMIN1_FILE, CROSSINGS_FILE, RISK_FILE, SCENARIO_FILE, SERIES_FILE, Admin1Series,
                        CountrySeries, RiskNetCDF, country_crossings, crossings, provenance, write_geotiff,
                        write_manifest, write_table)
from sim.scenario import Scenario


@dataclass(frozen=True)
class RunResult:
    """What a run wrote and how it stepped."""

    out: Path
    series: pd.DataFrame
    crossings: pd.DataFrame  # the country rows of crossings.csv
    stepping: Stepping
    seconds: float
    admin1: pd.DataFrame | None = None  # admin1.csv
    admin1_crossings: pd.DataFrame | None = None  # the admin-1 rows of crossings.csv


def run(scenario: Scenario | str | os.PathLike, out: str | os.PathLike, progress: bool = False,
        log=None) -> RunResult:
    """Run ``scenario`` (a Scenario or a TOML path) and write its outputs into the folder ``out``.

    Examples
    --------
    >>> from sim import Scenario, run
    >>> result = run(Scenario.load("scenarios/withdrawal.toml"), "runs/withdrawal")  # doctest: +SKIP
    >>> result.crossings  # doctest: +SKIP
    """
    if not isinstance(scenario, Scenario):
        scenario = Scenario.load(scenario)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SpilloverError(f"--out {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    grid = scenario_grid(scenario)
    inputs = document_inputs(scenario)
    forcing = build_forcing(scenario, grid, inputs)
    prov = provenance(scenario, inputs.documents)
    attrs = {
        "title": f"sahel-spillover insurgency risk, scenario {scenario.scenario.name!r}",
        "institution": "sahel-spillover",
        "source": f"sahel-spillover {prov['sahel_spillover_version']} reaction-diffusion model",
        "history": f"{prov['created']} spillover run",
        "scenario_name": scenario.scenario.name,
        "scenario_toml": scenario.to_toml(),
        "seed": scenario.scenario.seed,
        "sahel_spillover_version": prov["sahel_spillover_version"],
        "natural_earth_version": prov["data"]["natural_earth"],
        "shapes_sha256": prov["data"]["shapes_sha256"] or "",
        "documents": str(prov["data"]["documents"]),
        "package_versions": str(prov["packages"]),
    }
    info = scenario.scenario
    total = scenario.days
    geotiff_dates = sorted(dt.date.fromisoformat(str(d)) for d in scenario.output.geotiff_days)
    series = CountrySeries(grid, scenario.output.threshold)
    admin1 = Admin1Series(grid, scenario.output.threshold)
    nc = RiskNetCDF(out / RISK_FILE, grid, info.start, scenario.output.dtype, attrs)
    written_tifs: list[Path] = []

    def on_snapshot(day: int, date: dt.date, u: np.ndarray, sigma: np.ndarray) -> None:
        nc.append(day, u[0])
        series.add(date, u[0], sigma[0], forcing.r_tab, forcing.troops_on(date))
        admin1.add(date, u[0])
        while geotiff_dates and geotiff_dates[0] <= date:
            wanted = geotiff_dates.pop(0)
            tags = {"date": date.isoformat(), "requested_date": wanted.isoformat(), "units": "1",
                    **{k: str(v) for k, v in attrs.items() if k != "scenario_toml"},
                    "scenario_toml": scenario.to_toml()}
            written_tifs.append(write_geotiff(out / f"risk_{wanted.isoformat()}.tif", grid, u[0], tags))

    from sim.progress import Progress

    try:
        with Progress(total, scenario.scenario.name, unit="days", enabled=bool(progress)) as bar:
            step = integrate([forcing], grid, info.start, total, info.output_every_days, on_snapshot,
                             dtype=scenario.output.dtype, progress=bar.advance, dt_days=scenario.numerics.dt_days,
                             device=scenario.numerics.device)
    except BaseException as exc:
        nc.abort(exc)
        raise
    nc.close()
    if log:
        log(f"stepping: {step.describe()}")
    frame = series.frame()
    units = admin1.frame()
    cross = crossings(frame, scenario.output.threshold, scenario.output.crossing_area_fraction, units,
                      _country_names())
    write_table(out / SERIES_FILE, frame)
    write_table(out / ADMIN1_FILE, units)
    write_table(out / CROSSINGS_FILE, cross)
    write_text_atomic(out / SCENARIO_FILE, scenario.to_toml())
    seconds = time.perf_counter() - t0
    write_manifest(out, prov, {
        "outputs": [RISK_FILE, SERIES_FILE, ADMIN1_FILE, CROSSINGS_FILE, SCENARIO_FILE]
        + [p.name for p in written_tifs],
        "grid": {"shape": list(grid.shape), "cell_km": grid.cell_km, "crs": grid.crs.srs, "codes": list(grid.codes),
                 "land_cells": int(grid.mask.sum())},
        "stepping": {"substeps_per_day": step.substeps, "dt_days": step.dt, "dt_max_days": step.dt_max},
        "snapshots": len(snapshot_days(total, info.output_every_days)),
        "contingents": forcing.troops.drop(columns=[c for c in ("provenance",) if c in forcing.troops])
        .astype(str).to_dict(orient="records"),
        "seconds": round(seconds, 3),
    })
    return RunResult(out=out, series=frame, crossings=country_crossings(cross), stepping=step, seconds=seconds,
                     admin1=units, admin1_crossings=cross[cross["level"] == "admin1"])


def _country_names() -> dict:
    from geo.shapes import load_countries

    countries = load_countries()
    return dict(zip(countries.index, countries["NAME_EN"]))
