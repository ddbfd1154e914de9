"""Running a sweep: the design's runs as ensemble batches, executed locally or on Dask, stored as they finish.

Run ``i`` (``run_id = "r%06d" % i``) is replicate ``i % R`` of design point ``i // R`` with seed ``base seed +
i``. :func:`run_sweep` opens (or resumes) the folder (:class:`~sim.sweep.store.ResultStore`), skips the runs
already stored, cuts the others into batches (:func:`plan_batches`: runs that share a grid and a calendar, at most
``batch`` each, balanced over the workers), and sends each batch (:class:`SweepBatch`) to an executor
(:mod:`sim.sweep.execute`); a worker integrates it with the batch engine (:func:`sim.sweep.batch.integrate_batch`
and :class:`sim.sweep.metrics.CountryMetrics`) and returns one row per run, which is stored at once.

A run that fails (invalid scenario, an exception, a worker that died) is recorded with its error and the others
go on; :attr:`SweepOutcome.failed` counts them (the CLI exits non-zero unless ``--allow-failures``).
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from geo.errors import SpilloverError
from sim.scenario import Scenario
from sim.sweep.batch import (EnsembleBatch, Member, balanced_batch, batch_key, error_text, integrate_batch,
                             read_inputs)
from sim.sweep.design import RunSpec, SweepConfig
from sim.sweep.metrics import CountryMetrics, Metrics
from sim.sweep.store import SWEEP_FILE, ResultStore, column_dtypes, rows_frame

#: Seconds between foldings of parts/ into results.parquet while a sweep runs.
CONSOLIDATE_EVERY_S = 10.0


# ================================================================================================= worker side
@dataclass(frozen=True)
class SweepBatch:
    """One unit of a sweep's work: runs integrated together (picklable; sent to worker processes or Dask)."""

    model: str
    scenario: Scenario | None
    inputs: Any  # sim.forcing.DocumentInputs, read once by the caller
    runs: tuple[RunSpec, ...]
    metrics: Metrics


def run_batch(task: SweepBatch) -> list[dict]:
    """Run a batch and return one row per run (never raises for a run's own failure: it is recorded)."""
    if task.model == "ishigami":
        from sim.sweep.ishigami import evaluate

        t0 = time.perf_counter()
        y = evaluate([r.params for r in task.runs])
        each = (time.perf_counter() - t0) / max(1, len(task.runs))
        return [_row(r, "ok", seconds=each, metrics={"y": float(v)}) for r, v in zip(task.runs, y)]
    members = tuple(Member(r.params, r.seed) for r in task.runs)
    result = integrate_batch(EnsembleBatch(task.scenario, members, tuple(range(len(members))),
                                           CountryMetrics(task.metrics), task.inputs))
    start = task.scenario.scenario.start
    rows = []
    for k, run in enumerate(task.runs):
        if result.ok[k]:
            days = int(result.days[k])
            rows.append(_row(run, "ok", seconds=float(result.seconds[k]), days=days,
                             substeps=int(result.substeps[k]),
                             metrics=task.metrics.row_values(result.values, k, start, days)))
        else:
            rows.append(_row(run, "failed", result.errors[k], float(result.seconds[k])))
    return rows


def _row(run: RunSpec, status: str, error: str = "", seconds: float = float("nan"), days=None, substeps=None,
         metrics: dict | None = None) -> dict:
    return {"run_id": run.run_id, "point": run.point, "replicate": run.replicate, **run.params, "seed": run.seed,
            "status": status, "error": error, "seconds": seconds, "days": days, "substeps": substeps,
            **(metrics or {})}


def scenario_for(base: Scenario, run: RunSpec) -> Scenario:
    """The base scenario with the run's parameter values and seed (validated again)."""
    return Member(run.params, run.seed).scenario(base)


def plan_batches(runs: Sequence[RunSpec], scenario: Scenario | None, model: str, batch: int) -> list[list[RunSpec]]:
    """Group runs by :func:`~sim.sweep.batch.batch_key` and cut each group into batches of at most ``batch``
    (ordered by first run)."""
    if batch < 1:
        raise SpilloverError(f"--batch {batch}: must be ≥ 1")
    groups: dict[tuple, list[RunSpec]] = {}
    for run in runs:
        groups.setdefault(batch_key(run.params, scenario if model == "spillover" else None), []).append(run)
    batches = [g[i:i + batch] for g in groups.values() for i in range(0, len(g), batch)]
    return sorted(batches, key=lambda b: b[0].index)


# ================================================================================================= the sweep
@dataclass(frozen=True)
class SweepOutcome:
    """What :func:`run_sweep` did."""

    out: Path
    results: pd.DataFrame
    spec: dict
    ran: int
    skipped: int
    seconds: float

    @property
    def ok(self) -> int:
        return int((self.results["status"] == "ok").sum()) if len(self.results) else 0

    @property
    def failed(self) -> int:
        return int((self.results["status"] == "failed").sum()) if len(self.results) else 0


def sweep_inputs(config: SweepConfig) -> dict:
    """The content hashes a resume of ``config`` must match (:func:`sim.sweep.inputs.input_fingerprints`)."""
    if config.model != "spillover":
        return {}
    from sim.sweep.inputs import input_fingerprints

    return input_fingerprints(config.scenario, config.scenario_file or None)


def run_sweep(config: SweepConfig, out: str | os.PathLike, *, workers: int = 2, batch: int = 16,
              scheduler: str | None = None, retry_failed: bool = False, progress: bool = True,
              log: Callable[[str], None] | None = None, stop_after: int | None = None, executor: Any = None,
              worker_timeout: float = 60.0) -> SweepOutcome:
    """Run (or resume) the sweep ``config`` into the folder ``out``; see the module docstring.

    ``executor`` (an executor of :mod:`sim.sweep.execute`, kept open by the caller) overrides ``workers`` and
    ``scheduler``. ``stop_after`` stops once that many batches are stored (tests of interrupted sweeps). An
    interrupt (KeyboardInterrupt) stops the workers and propagates once every finished batch is stored.

    Examples
    --------
    >>> cfg = SweepConfig(Scenario.load("scenarios/withdrawal.toml"),  # doctest: +SKIP
    ...                   (parse_param("growth.weight_coups=0:0.5"),), method="lhs", n=8)
    >>> run_sweep(cfg, "sweeps/coups").results  # doctest: +SKIP
    """
    from sim.sweep.execute import executor_for

    log = log or (lambda msg: None)
    if workers < 0:
        raise SpilloverError(f"--workers {workers}: must be ≥ 0 (0 = in this process)")
    if batch < 1:
        raise SpilloverError(f"--batch {batch}: must be ≥ 1")
    from sim.outdir import output_folder
    from sim.progress import Progress

    store = ResultStore(out)
    t_start = time.perf_counter()
    if store.spec_path.is_file():
        store.read_spec()  # an unreadable sweep.json: say so before anything else
    spec = config.spec(inputs=sweep_inputs(config))
    with output_folder(store.out, manifest=SWEEP_FILE, kind="sweep", mode="resume"):
        stored = store.open(spec)
        store.clean_temporaries()
        design = np.asarray(stored["design"], dtype=float).reshape(-1, len(config.params))
        columns, dtypes = config.columns(), column_dtypes(config)
        done = store.consolidate(columns, dtypes)
        runs = config.runs(design)
        finished = set()
        if len(done):
            keep = done if not retry_failed else done[done["status"] == "ok"]
            finished = set(keep["run_id"])
        todo = [r for r in runs if r.run_id not in finished]
        if finished:
            log(f"resuming {store.out}: {len(finished)} of {len(runs)} runs stored, {len(todo)} to run")
        inputs = read_inputs(config.scenario) if config.model == "spillover" and todo else None
        bar = Progress(len(todo), "sweep", unit="runs", enabled=progress and bool(todo))
        if not todo:
            return SweepOutcome(store.out, done, stored, 0, len(finished), time.perf_counter() - t_start)
        owned = executor is None
        if not owned:
            batch = balanced_batch(len(todo), batch, executor.slots)
        elif not scheduler and workers > 1:
            batch = balanced_batch(len(todo), batch, workers)
        plans = plan_batches(todo, config.scenario, config.model, batch)
        if owned:
            executor = executor_for(min(workers, len(plans)), scheduler, (config.scenario.output.dtype,), log,
                                    worker_timeout)
        tasks = [SweepBatch(config.model, config.scenario if config.model == "spillover" else None, inputs,
                            tuple(b), config.metrics) for b in plans]
        stored_batches = 0
        last_fold = time.monotonic()
        try:
            with (executor if owned else contextlib.nullcontext()), bar:
                stream = executor.map(run_batch, tasks)
                try:
                    for task, result in stream:
                        if isinstance(result, BaseException):
                            rows = [_row(r, "failed", error_text(result)) for r in task.runs]
                        else:
                            rows = result
                        store.write_part(rows_frame(rows, config))
                        stored_batches += 1
                        bar.advance(len(rows))
                        if time.monotonic() - last_fold > CONSOLIDATE_EVERY_S:
                            store.consolidate(columns, dtypes)
                            last_fold = time.monotonic()
                        if stop_after is not None and stored_batches >= stop_after:
                            break
                finally:
                    stream.close()
        finally:
            results = store.consolidate(columns, dtypes)
            with contextlib.suppress(OSError):
                store.parts.rmdir()  # only if empty
    return SweepOutcome(out=store.out, results=results, spec=stored, ran=bar.done, skipped=len(finished),
                        seconds=time.perf_counter() - t_start)
