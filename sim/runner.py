"""Run scenarios end to end: forcing → model loop → the result as data, and files only when asked.

:func:`run` runs one scenario; :func:`run_ensemble` runs several that share a grid and a calendar in one kernel
pass (every member advanced by the same kernel call). Both return :class:`RunResult` objects holding the risk
snapshots as an xarray Dataset (``result.dataset``), the per-country series and the crossing dates as DataFrames
with real dates (``NaT`` for never), built when first read (:mod:`sim.lazyframe`: a run that is only written and
printed never imports pandas). With ``out`` they also write a run folder (:mod:`sim.output`), guarded by
:func:`sim.outdir.output_folder`: a folder that is not empty and not a previous run is refused, a previous run is
replaced only with ``force=True``, and an error or interrupt leaves nothing half-written.

Before any heavy work the run is estimated and bounded (:mod:`sim.budget`): cells, memory and sub-steps per day
above the ``numerics.max_*`` limits are refused with the key named.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np

from geo.errors import SpilloverError
from sim.forcing import build_forcing, document_inputs, scenario_grid
from sim.model import integrate, snapshot_days
from sim.model import stepping as choose_stepping
from sim.lazyframe import Deferred, FrameField
from sim.scenario import Scenario


@dataclass
class RunResult:
    """What a run computed (and wrote, when it had an ``out`` folder).

    Attributes
    ----------
    out : Path or None
        The run folder, or None when nothing was written.
    series : pandas.DataFrame
        One row per snapshot and country (``time`` as datetime64; see ``countries.csv`` in :mod:`sim.output`).
    crossings : pandas.DataFrame
        Per country: ``first_crossing`` (datetime64, NaT if never), ``at_start``, ``threshold``,
        ``crossing_area_fraction``.
    stepping : sim.model.Stepping
        Sub-steps per day and dt.
    seconds : float
        Wall time of the run.
    estimate : sim.budget.Estimate
        The estimate made before the run.
    admin1 : pandas.DataFrame
        One row per snapshot and admin-1 unit (``admin1.csv``).
    admin1_crossings : pandas.DataFrame
        The admin-1 rows of ``crossings.csv``.
    dataset : xarray.Dataset
        ``risk`` (time, y, x) with ``country_id``, ``lat``/``lon`` and ``spatial_ref`` (the layout of ``risk.nc``);
        opened lazily from the run folder when there is one, else held in memory.
    records : list of dict
        The crossings table as plain rows (:func:`sim.output.crossing_records`: dates as ``datetime.date``, None
        for never), countries first.

    The DataFrames may be given as :class:`sim.lazyframe.Deferred` builders: they are built on first read.
    """

    out: Path | None
    series: pd.DataFrame = FrameField()
    crossings: pd.DataFrame = FrameField()
    stepping: object
    seconds: float
    estimate: object = None
    admin1: pd.DataFrame | None = FrameField(default=None)
    admin1_crossings: pd.DataFrame | None = FrameField(default=None)
    records: list = field(default_factory=list, repr=False)
    _memory: object = field(default=None, repr=False)

    @cached_property
    def dataset(self):
        if self._memory is not None:
            return self._memory
        import xarray as xr

        from sim.output import RISK_FILE

        return xr.open_dataset(self.out / RISK_FILE)

    def first_crossing(self, country: str) -> dt.date | None:
        """The first crossing date of ``country`` as a date, or None if it never crosses.

        Parameters
        ----------
        country : str
            ADM0_A3 code of a modelled country, e.g. ``"BFA"``.

        Returns
        -------
        datetime.date or None
            The first date on which at least ``output.crossing_area_fraction`` of the country has risk
            ≥ ``output.threshold``; None if that never happens in the run.

        Raises
        ------
        geo.errors.SpilloverError
            ``country`` is not modelled in this run.

        Examples
        --------
        >>> from sim import Scenario, run
        >>> result = run(Scenario.load("scenarios/withdrawal.toml").replace(**{"grid.cell_km": 50}))  # doctest: +SKIP
        >>> result.first_crossing("BFA")                                 # doctest: +SKIP
        datetime.date(2016, 1, 10)
        >>> result.first_crossing("SAH") is None                         # doctest: +SKIP
        True
        """
        if self.records:
            rows = [r for r in self.records if r["level"] == "country"]
            found = [r["first_crossing"] for r in rows if r["country"] == country]
            if not found:
                raise SpilloverError(f"country {country!r} is not in this run; it has {[r['country'] for r in rows]}")
            return found[0]
        import pandas as pd

        row = self.crossings.loc[self.crossings["country"] == country, "first_crossing"]
        if not len(row):
            raise SpilloverError(f"country {country!r} is not in this run; it has {list(self.crossings['country'])}")
        return None if pd.isna(row.iloc[0]) else row.iloc[0].date()


def run(scenario: Scenario | str | os.PathLike, out: str | os.PathLike | None = None, *, force: bool = False,
        progress: bool = False, log=None) -> RunResult:
    """Run one scenario; return its result as data, and write a run folder if ``out`` is given.

    Parameters
    ----------
    scenario : Scenario or path
        A :class:`~sim.scenario.Scenario` or the path of a scenario TOML file.
    out : path, optional
        Run folder to write (``risk.nc``, ``countries.csv``, ``crossings.csv``, GeoTIFFs, ``scenario.toml``,
        ``run.json``). None (default): write nothing and keep the snapshots in memory.
    force : bool
        Replace a previous run in ``out`` (never a folder of other files).
    progress : bool
        Show progress on stderr (a bar on a terminal, plain lines otherwise).
    log : callable, optional
        Called with one-line messages (stepping, estimates of long work).

    Returns
    -------
    RunResult
        ``.dataset`` (xarray), ``.series``, ``.crossings`` (dates; NaT for never), ``.stepping``, ``.out``.

    Raises
    ------
    geo.errors.SpilloverError
        Bad input (scenario values, initial state, limits in ``[numerics]``), or an ``out`` folder that is not a
        previous run (or one without ``force``).

    Examples
    --------
    >>> from sim import Scenario, run
    >>> s = Scenario.load("scenarios/withdrawal.toml").replace(**{"grid.cell_km": 50, "scenario.end": "2016-01-01"})
    >>> result = run(s)                                    # nothing written  # doctest: +SKIP
    >>> result.first_crossing("BFA")                       # a datetime.date, or None  # doctest: +SKIP
    >>> float(result.dataset.risk.sel(time="2015-06-01", method="ffill").mean())  # doctest: +SKIP
    >>> run(s, "runs/coarse", force=True).out              # a run folder  # doctest: +SKIP
    PosixPath('runs/coarse')
    """
    return run_ensemble([scenario], None if out is None else [out], force=force, progress=progress, log=log)[0]


def run_ensemble(scenarios: Sequence[Scenario | str | os.PathLike], outs: Sequence | None = None, *,
                 force: bool = False, progress: bool = False, log=None) -> list[RunResult]:
    """Run several scenarios in one kernel pass (an ensemble); one :class:`RunResult` per scenario.

    The scenarios must share the grid (``grid.*``), the calendar (``scenario.start``, ``end``,
    ``output_every_days``), ``output.dtype`` and ``numerics.dt_days``; every member is advanced with the smallest
    stable step of the ensemble (so a member's numbers can differ in the last digits from its single run when
    another member needs smaller steps).

    Parameters
    ----------
    scenarios : sequence of Scenario or path
    outs : sequence of paths, optional
        One run folder per scenario (or None: nothing written).
    force, progress, log
        As for :func:`run`.

    Returns
    -------
    list of RunResult
        One per scenario, in the order given (``.dataset``, ``.series``, ``.crossings`` as for :func:`run`).

    Raises
    ------
    geo.errors.SpilloverError
        No scenario, a number of folders that does not match, or members that differ in grid or calendar.

    Examples
    --------
    >>> from sim import Scenario, run_ensemble
    >>> base = Scenario.load("scenarios/withdrawal.toml").replace(**{"grid.cell_km": 50})
    >>> early, late = (base.replace(**{"suppression.exit_shift_days": d}) for d in (-365, 365))
    >>> a, b = run_ensemble([early, late])                 # doctest: +SKIP
    >>> a.first_crossing("BFA"), b.first_crossing("BFA")    # doctest: +SKIP
    """
    from sim import budget, threads
    from sim.progress import Progress

    t0 = time.perf_counter()
    members = [s if isinstance(s, Scenario) else Scenario.load(s) for s in scenarios]
    if not members:
        raise SpilloverError("run_ensemble: no scenario given")
    if outs is not None and len(outs) != len(members):
        raise SpilloverError(f"run_ensemble: {len(members)} scenarios but {len(outs)} output folders")
    _check_compatible(members)
    first = members[0]
    estimate = budget.check_grid(members, keep_snapshots=outs is None)
    with contextlib.ExitStack() as stack:
        folders = [stack.enter_context(_folder(o, force)) for o in outs] if outs is not None else [None] * len(members)
        grid = scenario_grid(first)
        inputs = [document_inputs(s) for s in members]
        if len(members) == 1:  # a single run: the forcing from the disk cache when its inputs are unchanged
            from sim import geocache

            forcings = [geocache.forcing(members[0], grid, inputs[0])]
        else:
            forcings = [build_forcing(s, grid, i) for s, i in zip(members, inputs)]
        step = choose_stepping(forcings, grid.cell_km, first.numerics.dt_days,
                               country_id=np.ascontiguousarray(grid.country_id, dtype=np.uint8))
        estimate = budget.check_stepping(estimate, step, forcings, first)
        if log and estimate.seconds > budget.ANNOUNCE_SECONDS:
            log(f"estimate: {estimate.describe()}")
        sinks = [_MemberOutput(s, grid, f, i.documents, step, folder)
                 for s, f, i, folder in zip(members, forcings, inputs, folders)]
        writers = [sink.writer() for sink in sinks]
        try:
            label = first.scenario.name if len(members) == 1 else f"{len(members)} scenarios"
            forked = sum(isinstance(w, _ForkedOutput) for w in writers)  # a core each for the writer children
            with Progress(first.days, label, unit="days", enabled=bool(progress)) as bar, threads.beside(forked):
                def on_snapshot(day, date, u, sigma):
                    for m, writer in enumerate(writers):
                        writer.put(day, date, u[m], sigma[m])

                integrate(forcings, grid, first.scenario.start, first.days, first.scenario.output_every_days,
                          on_snapshot, dtype=first.output.dtype, progress=bar.advance,
                          dt_days=first.numerics.dt_days, device=first.numerics.device)
            for writer in writers:
                writer.close()
        except BaseException as exc:
            for writer in writers:
                writer.abort(exc)
            raise
        if log:
            log(f"stepping: {step.describe()}")
        seconds = time.perf_counter() - t0
        return [sink.result(estimate, seconds) for sink in sinks]


def _check_compatible(members: list[Scenario]) -> None:
    first = members[0]
    for s in members[1:]:
        for key in ("grid.cell_km", "grid.countries", "grid.crs", "scenario.start", "scenario.end",
                    "scenario.output_every_days", "output.dtype", "numerics.dt_days", "numerics.device"):
            if s.get(key) != first.get(key):
                raise SpilloverError(f"run_ensemble: members differ in {key} ({first.get(key)!r} against "
                                     f"{s.get(key)!r}); an ensemble shares the grid and the calendar")


@contextlib.contextmanager
def _folder(out, force: bool):
    from sim.outdir import output_folder
    from sim.output import MANIFEST_FILE, RUN_KIND

    with output_folder(out, manifest=MANIFEST_FILE, kind=RUN_KIND, mode="replace", force=force) as folder:
        yield folder


class _MemberOutput:
    """Everything one member produces from its snapshots, fed in the writer thread: NetCDF, series, GeoTIFFs (or
    the snapshots kept in memory when there is no folder)."""

    def __init__(self, scenario: Scenario, grid, forcing, documents, step, folder):
        from sim.output import Admin1Series, CountrySeries, metadata_attrs, provenance
        from sim.sweep.reduce import LevelIndex

        self.scenario, self.grid, self.forcing, self.step, self.folder = scenario, grid, forcing, step, folder
        relative = folder.path if folder is not None else None
        self.prov = provenance(scenario, documents, step, forcing.contingent_records(), relative_to=relative)
        self.attrs = metadata_attrs(scenario, self.prov)
        self.series = CountrySeries(grid, scenario.output.threshold)
        self.admin1 = Admin1Series(grid, scenario.output.threshold)
        self._levels = LevelIndex.of([i for i in (self.series.index, self.admin1.index) if i is not None])
        self.days = snapshot_days(scenario.days, scenario.scenario.output_every_days)
        self._geotiffs = _geotiff_plan(scenario, self.days)
        #: the GeoTIFFs written, in the order they are written (the plan's)
        self.tifs = [f"risk_{w.isoformat()}.tif" for day in sorted(self._geotiffs) for w in self._geotiffs[day]]
        self.nc = None
        self.kept = None
        if folder is None:
            self.kept = np.full((len(self.days), *grid.shape), np.nan, dtype=scenario.output.dtype)
        self.n = 0

    def writer(self):
        """The snapshot writer: a forked child for the files where :func:`sim.writerproc.available` (the series
        stay here), else the writer thread for everything."""
        from sim import writerproc
        from sim.output import RISK_FILE, SnapshotWriter

        if self.folder is None or not writerproc.available():
            return SnapshotWriter(self)
        for name in (RISK_FILE, *self.tifs):  # journalled here: the child's journal is not the parent's
            self.folder.file(name)
        return _ForkedOutput(self)

    # --- called in the writer thread or the writer process (the files), and here or there (the series)
    def __call__(self, day: int, date: dt.date, u: np.ndarray, sigma: np.ndarray) -> None:
        self.write(day, date, u)
        self.tally(date, u, sigma)

    def start(self) -> None:
        """Create ``risk.nc`` (its temporary), before the first snapshot comes."""
        from sim.output import RISK_FILE

        if self.folder is not None and self.nc is None:
            from sim.netcdf import RiskNetCDF

            s = self.scenario
            self.nc = RiskNetCDF(self.folder.file(RISK_FILE), self.grid, s.scenario.start, s.output.dtype,
                                 self.attrs)

    def write(self, day: int, date: dt.date, u: np.ndarray) -> None:
        """The files of a snapshot: its NetCDF slice and the GeoTIFFs it serves (nothing without a folder)."""
        from sim.output import write_geotiff

        if self.folder is None:
            return
        s = self.scenario
        self.start()
        self.nc.append(day, u)
        for wanted in self._geotiffs.get(day, ()):
            name = f"risk_{wanted.isoformat()}.tif"
            tags = {**self.attrs, "date": date.isoformat(), "requested_date": wanted.isoformat(),
                    "units": "1", "scenario_toml": s.to_toml(relative_to=self.folder.path)}
            write_geotiff(self.folder.file(name), self.grid, u, tags)

    def tally(self, date: dt.date, u: np.ndarray, sigma: np.ndarray) -> None:
        """The series of a snapshot (and the snapshot itself, kept in memory, without a folder)."""
        if self.folder is None:
            self.kept[self.n] = np.where(self.grid.mask, u, np.nan)
        from sim.sweep.reduce import level_sums

        sums = level_sums(u, self._levels, self.series.threshold)  # countries and admin-1 in one pass
        self.series.add(date, u, sigma, self.forcing.r_on(date), self.forcing.troops_on(date), sums=sums[0])
        if len(sums) > 1:
            self.admin1.add(date, u, sums=sums[1])
        self.n += 1

    def finish(self) -> None:  # noqa: D401 - the writer's end-of-stream hook (a method of the protocol)
        if self.nc is not None:
            self.nc.close()

    def abort(self, exc: BaseException) -> None:
        if self.nc is not None:
            self.nc.abort(exc)

    # --- called in the main thread after the writer joined
    def result(self, estimate, seconds: float) -> RunResult:
        from geo.atomic import write_text_atomic
        from sim.output import (ADMIN1_FILE, CROSSINGS_FILE, SCENARIO_FILE, SERIES_FILE, crossing_csv_rows,
                                crossing_records, write_csv_rows)

        s = self.scenario
        names = _country_names()
        dates = self.series.dates()
        fractions = self.series.fractions()
        countries = [(code, names.get(code, code), code, dates, fractions[:, i]) for i, code in enumerate(self.grid.codes)]
        records = crossing_records(countries, self.admin1.units(), s.output.threshold, s.output.crossing_area_fraction,
                                   dates[0] if dates else None)
        memory = None
        if self.folder is not None:
            write_csv_rows(self.folder.file(SERIES_FILE), self.series.csv_rows())
            write_csv_rows(self.folder.file(ADMIN1_FILE), self.admin1.csv_rows())
            write_csv_rows(self.folder.file(CROSSINGS_FILE), crossing_csv_rows(records))
            write_text_atomic(self.folder.file(SCENARIO_FILE), s.to_toml(relative_to=self.folder.path))
            self.folder.commit({**self.prov, "grid": {
                "shape": list(self.grid.shape), "cell_km": self.grid.cell_km, "crs": self.grid.crs.srs,
                "codes": list(self.grid.codes), "land_cells": int(self.grid.mask.sum())},
                "snapshots": len(self.days), "geotiffs": self.tifs, "seconds": round(seconds, 3),
                "estimate": {"shape": list(estimate.shape), "memory_gb": round(estimate.memory_gb, 3),
                             "seconds": round(estimate.seconds, 1)}})
        else:
            from sim.netcdf import risk_dataset

            memory = risk_dataset(self.grid, s.scenario.start, np.array(self.days), self.kept, s.output.dtype,
                                  self.attrs)
        return RunResult(out=self.folder.path if self.folder is not None else None,
                         series=Deferred(self.series.frame), stepping=self.step, seconds=seconds, estimate=estimate,
                         crossings=Deferred(_level_frame, records, "country"), admin1=Deferred(self.admin1.frame),
                         admin1_crossings=Deferred(_level_frame, records, "admin1"), records=records, _memory=memory)


class _ForkedOutput:
    """A member's writer where a forked child writes the files (:class:`sim.writerproc.ProcessWriter`): each
    snapshot is handed to the child first, then its series are summed here while the child encodes."""

    def __init__(self, sink: _MemberOutput):
        from sim.output import RISK_FILE
        from sim.writerproc import ProcessWriter

        self.sink = sink
        self.child = ProcessWriter(sink, sink.grid.shape, sink.scenario.output.dtype, sink.folder.path / RISK_FILE)

    def put(self, day: int, date: dt.date, u: np.ndarray, sigma: np.ndarray) -> None:
        self.child.put(day, date, u)
        self.sink.tally(date, u, sigma)

    def close(self) -> None:
        self.child.close()

    def abort(self, exc: BaseException) -> None:
        self.child.abort(exc)


def _level_frame(records: list[dict], level: str):
    """The crossings of one level (``country`` or ``admin1``) as a DataFrame, index from 0."""
    from sim.output import crossing_frame

    frame = crossing_frame(records)
    return frame[frame["level"] == level].reset_index(drop=True)


def _country_names() -> dict:
    from sim import geocache

    return geocache.country_names()  # {code: NAME_EN} of load_countries(), stored on disk (sim.geocache)


def _geotiff_plan(scenario: Scenario, days: list[int]) -> dict[int, list[dt.date]]:
    """Snapshot day → the requested GeoTIFF dates it serves (the last snapshot at or before each date)."""
    start = scenario.scenario.start
    plan: dict[int, list[dt.date]] = {}
    for value in sorted({dt.date.fromisoformat(str(d)) for d in scenario.output.geotiff_days}):
        offset = (value - start).days
        day = max(d for d in days if d <= offset)
        plan.setdefault(day, []).append(value)
    return plan
