"""Running a sweep: design, batches, execution and the store put together, with a progress bar."""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from geo.errors import SpilloverError
from sim.scenario import Scenario
from sim.sweep.batch import BatchTask, _error_text, _row, balanced_batch, plan_batches
from sim.sweep.design import SweepConfig
from sim.sweep.execute import _dask, _inline, _local_pool
from sim.sweep.store import ResultStore, _dtypes, rows_frame

#: Seconds between foldings of parts/ into results.parquet while a sweep runs.
CONSOLIDATE_EVERY_S = 10.0


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


def run_sweep(config: SweepConfig, out: str | os.PathLike, *, workers: int = 2, batch: int = 16,
              scheduler: str | None = None, retry_failed: bool = False, progress: bool = True,
              log: Callable[[str], None] | None = None, stop_after: int | None = None) -> SweepOutcome:
    """Run (or resume) the sweep ``config`` into the folder ``out``; see the module docstring.

    ``stop_after`` stops once that many batches are stored (tests of interrupted sweeps).

    Examples
    --------
    >>> cfg = SweepConfig(Scenario.load("scenarios/withdrawal.toml"),  # doctest: +SKIP
    ...                   (parse_param("growth.weight_coups=0:0.5"),), method="lhs", n=8)
    >>> run_sweep(cfg, "sweeps/coups").results  # doctest: +SKIP
    """
    log = log or (lambda msg: None)
    if workers < 0:
        raise SpilloverError(f"--workers {workers}: must be ≥ 0 (0 = in this process)")
    store = ResultStore(out)
    t_start = time.perf_counter()
    with store.lock():
        store.clean_temporaries()
        stored = store.open(config.spec())
        design = np.asarray(stored["design"], dtype=float).reshape(-1, len(config.params))
        columns, dtypes = config.columns(), _dtypes(config)
        done = store.consolidate(columns, dtypes)
        runs = config.runs(design)
        finished = set()
        if len(done):
            keep = done if not retry_failed else done[done["status"] == "ok"]
            finished = set(keep["run_id"])
        todo = [r for r in runs if r.run_id not in finished]
        if finished:
            log(f"resuming {store.out}: {len(finished)} of {len(runs)} runs stored, {len(todo)} to run")
        inputs = None
        if config.model == "spillover" and todo:
            inputs = _document_inputs(config.scenario)
        if not scheduler and workers > 1:
            batch = balanced_batch(len(todo), batch, workers)
        tasks = [BatchTask(config.model, config.scenario if config.model == "spillover" else None, inputs,
                           tuple(b), config.metrics)
                 for b in plan_batches(todo, config.scenario, config.model, batch)]
        dtypes_used = (config.scenario.output.dtype,)
        if scheduler:
            stream = _dask(tasks, scheduler, dtypes_used, log)
        elif workers == 0:
            stream = _inline(tasks)
        else:
            stream = _local_pool(tasks, min(workers, max(1, len(tasks))), dtypes_used, log)
        bar = _Bar(len(todo), len(runs), progress)
        stored_batches = 0
        last_fold = time.monotonic()
        try:
            with bar:
                for task, result in stream:
                    if isinstance(result, BaseException):
                        err = _error_text(result)
                        rows = [_row(r, "failed", err) for r in task.runs]
                    else:
                        rows = result
                    store.write_part(rows_frame(rows, config))
                    stored_batches += 1
                    bar.advance(len(rows), sum(r["status"] != "ok" for r in rows))
                    if time.monotonic() - last_fold > CONSOLIDATE_EVERY_S:
                        store.consolidate(columns, dtypes)
                        last_fold = time.monotonic()
                    if stop_after is not None and stored_batches >= stop_after:
                        break
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
            results = store.consolidate(columns, dtypes)
            with contextlib.suppress(OSError):
                store.parts.rmdir()  # only if empty
    return SweepOutcome(out=store.out, results=results, spec=stored, ran=bar.done, skipped=len(finished),
                        seconds=time.perf_counter() - t_start)


def _document_inputs(scenario: Scenario):
    from sim.forcing import document_inputs

    try:
        return document_inputs(scenario)
    except ImportError as exc:
        raise SpilloverError(f"reading the documents needs {exc.name or 'the document layer'}, which is not "
                             "available; sweep without documents with --set documents.seeds='\"\"' --set "
                             "initial.from_documents=false --set 'initial.places=[\"northern Mali\"]'") from None


class _Bar:
    """A rich progress bar over runs with runs/min and time left (or nothing when ``enabled`` is false)."""

    def __init__(self, todo: int, total: int, enabled: bool):
        self.todo, self.total, self.enabled = todo, total, enabled
        self.done = 0
        self.failed = 0
        self.t0 = time.perf_counter()
        self._progress = None

    def __enter__(self):
        if self.enabled and self.todo:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self._progress = Progress(
                TextColumn("[bold]sweep[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                TextColumn("{task.fields[rate]}"), TextColumn("{task.fields[failed]}"), TimeElapsedColumn(),
                TextColumn("left"), TimeRemainingColumn(), console=Console(stderr=True), speed_estimate_period=600)
            self._task = self._progress.add_task("sweep", total=self.todo, rate="", failed="")
            self._progress.start()
        return self

    def advance(self, n: int, failed: int) -> None:
        self.done += n
        self.failed += failed
        if self._progress is not None:
            minutes = (time.perf_counter() - self.t0) / 60
            self._progress.update(self._task, advance=n, rate=f"{self.done / max(minutes, 1e-9):,.1f}/min",
                                  failed=f"[red]{self.failed} failed[/]" if self.failed else "")

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()
        return False
