"""The ensemble batch engine: runs that share a grid and calendar integrated together in one kernel pass."""
from __future__ import annotations

import datetime as dt
import math
import os
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from geo.errors import SpilloverError
from sim.scenario import Scenario
from sim.sweep.design import RunSpec
from sim.sweep.metrics import Metrics

#: Numeric keys whose value must be equal within an ensemble batch (they change the grid or the calendar).
BATCH_KEYS = ("grid.cell_km", "scenario.output_every_days")
_KERNEL_LOCK = threading.Lock()  # one kernel call at a time per process (numba threads do the parallel work)


@dataclass(frozen=True)
class BatchTask:
    """One unit of work: runs integrated together (picklable; sent to worker processes or Dask workers)."""

    model: str
    scenario: Scenario | None
    inputs: Any  # sim.forcing.DocumentInputs, read once by the caller
    runs: tuple[RunSpec, ...]
    metrics: Metrics
    threads: int | None = None


def warm_worker(threads: int | None = None, dtypes: Sequence[str] = ("float32",)) -> dict:
    """Prepare a worker process once: numba threads, the kernels loaded (from numba's cache; compiled only if the
    cache is cold) for both kernel variants and the given dtypes, the country shapes read.

    The pool initializer, and what ``client.run`` calls on every Dask worker.
    """
    import numba

    t0 = time.perf_counter()
    if threads:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    from sim.faces import Faces
    from sim.kernel import advance
    from sim.rates import fill_rate

    cid = np.ones((4, 4), np.uint8)
    cid[0, 0] = 0
    faces = Faces.from_ids(cid, [[0, 0], [0, 1]])
    with _KERNEL_LOCK:
        for name in dtypes:
            ft = np.dtype(name)
            L = fill_rate(np.zeros((1, 4, 4), ft), cid, np.zeros((1, 1, 2)), np.ones((1, 4, 4), ft), 0.1)
            for block in (1, 2):
                u = np.zeros((1, 4, 4), ft)
                advance(u, np.zeros_like(u), faces, np.full(1, 0.1, ft), L, L.copy(), 2, block=block)
    from geo.shapes import load_countries

    load_countries()
    return {"pid": os.getpid(), "threads": numba.get_num_threads(), "seconds": time.perf_counter() - t0}


def run_batch(task: BatchTask) -> list[dict]:
    """Run a batch and return one row per run (never raises for a run's own failure: it is recorded)."""
    if task.threads:
        import numba

        numba.set_num_threads(max(1, min(int(task.threads), numba.config.NUMBA_NUM_THREADS)))
    if task.model == "ishigami":
        return _ishigami_batch(task)
    return _spillover_batch(task)


def _row(run: RunSpec, status: str, error: str = "", seconds: float = float("nan"), days=None, substeps=None,
         metrics: dict | None = None) -> dict:
    return {"run_id": run.run_id, "point": run.point, "replicate": run.replicate, **run.params, "seed": run.seed,
            "status": status, "error": error, "seconds": seconds, "days": days, "substeps": substeps,
            **(metrics or {})}


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _ishigami_batch(task: BatchTask) -> list[dict]:
    from SALib.test_functions import Ishigami

    t0 = time.perf_counter()
    x = np.array([[r.params[f"x{i}"] for i in (1, 2, 3)] for r in task.runs], dtype=float)
    y = Ishigami.evaluate(x)
    each = (time.perf_counter() - t0) / max(1, len(task.runs))
    return [_row(r, "ok", seconds=each, metrics={"y": float(v)}) for r, v in zip(task.runs, y)]


def scenario_for(base: Scenario, run: RunSpec) -> Scenario:
    """The base scenario with the run's parameter values and seed (validated again)."""
    return base.replace(**run.params, **{"scenario.seed": run.seed})


@dataclass
class _Member:
    run: RunSpec
    scenario: Scenario
    forcing: Any
    substeps: int
    setup_s: float


def _spillover_batch(task: BatchTask) -> list[dict]:
    from sim.forcing import build_forcing, scenario_grid
    from sim.model import stepping

    rows: dict[int, dict] = {}
    groups: dict[tuple, list[_Member]] = defaultdict(list)
    for run in task.runs:
        t0 = time.perf_counter()
        try:
            s = scenario_for(task.scenario, run)
            grid = scenario_grid(s)
            forcing = build_forcing(s, grid, task.inputs)
            step = stepping([forcing], grid.cell_km, s.numerics.dt_days, country_id=grid.country_id)
        except Exception as exc:  # an invalid scenario or forcing: recorded, the others go on
            rows[run.index] = _row(run, "failed", _error_text(exc), time.perf_counter() - t0)
            continue
        info = s.scenario
        key = (s.grid.cell_km, tuple(s.grid.countries), s.grid.crs, info.start, info.end, info.output_every_days,
               s.output.dtype, s.numerics.dt_days, s.numerics.device, step.substeps)
        groups[key].append(_Member(run, s, forcing, step.substeps, time.perf_counter() - t0))
    for members in groups.values():
        try:
            for member, row in zip(members, _integrate_members(members, task.metrics)):
                rows[member.run.index] = row
        except Exception as exc:
            if len(members) == 1:
                m = members[0]
                rows[m.run.index] = _row(m.run, "failed", _error_text(exc), m.setup_s)
                continue
            for m in members:  # isolate the culprit: integrate each member alone
                try:
                    rows[m.run.index] = _integrate_members([m], task.metrics)[0]
                except Exception as exc1:
                    rows[m.run.index] = _row(m.run, "failed", _error_text(exc1), m.setup_s)
    return [rows[r.index] for r in task.runs]


def _integrate_members(members: list[_Member], metrics: Metrics) -> list[dict]:
    """Integrate members that share grid, calendar, dtype and stepping in one ensemble; their metric rows."""
    from sim.forcing import scenario_grid
    from sim.model import integrate, snapshot_days

    s0 = members[0].scenario
    grid = scenario_grid(s0)
    info = s0.scenario
    start, total, every = info.start, s0.days, info.output_every_days
    snaps = snapshot_days(total, every)
    at_horizon: dict[int, list[str]] = defaultdict(list)  # snapshot day -> horizon labels it stands for
    for label in metrics.horizons:
        day = total if label == "end" else (dt.date.fromisoformat(label) - start).days
        if 0 <= day <= total:
            at_horizon[max(d for d in snaps if d <= day)].append(label)
    m = len(members)
    n1 = len(grid.codes) + 1
    ids = np.array([grid.id_of(c) for c in metrics.countries], dtype=np.intp)
    cid = grid.country_id.ravel().astype(np.intp)
    index = (np.arange(m, dtype=np.intp)[:, None] * n1 + cid[None, :]).ravel()
    cells = np.bincount(cid, minlength=n1)[ids].astype(float)
    ftype = np.dtype(s0.output.dtype)
    threshold = np.array([mb.scenario.output.threshold for mb in members], dtype=ftype)[:, None]
    fraction = np.array([mb.scenario.output.crossing_area_fraction for mb in members])[:, None]
    cross = np.full((m, len(ids)), np.nan)
    mean: dict[str, np.ndarray] = {}
    area: dict[str, np.ndarray] = {}

    def on_snapshot(day: int, date: dt.date, u: np.ndarray, sigma: np.ndarray) -> None:
        flat = u.reshape(m, -1)
        total_risk = np.bincount(index, weights=flat.ravel(), minlength=m * n1).reshape(m, n1)[:, ids]
        at_risk = np.bincount(index, weights=(flat >= threshold).ravel(), minlength=m * n1).reshape(m, n1)[:, ids]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = at_risk / cells
            cross[np.isnan(cross) & (frac >= fraction)] = day
            for label in at_horizon.get(day, ()):
                mean[label] = total_risk / cells
                area[label] = at_risk * grid.cell_area_km2

    t0 = time.perf_counter()
    with _KERNEL_LOCK:
        step = integrate([mb.forcing for mb in members], grid, start, total, every, on_snapshot,
                         dtype=s0.output.dtype, dt_days=s0.numerics.dt_days, device=s0.numerics.device)
    each = (time.perf_counter() - t0) / m
    rows = []
    for k, mb in enumerate(members):
        values: dict[str, Any] = {}
        for j, code in enumerate(metrics.countries):
            crossed = not np.isnan(cross[k, j])
            values[f"cross_days_{code}"] = float(cross[k, j]) if crossed else (
                float(total + 1) if metrics.censor else float("nan"))
            values[f"crossed_{code}"] = crossed
            values[f"cross_date_{code}"] = (start + dt.timedelta(days=int(cross[k, j]))).isoformat() if crossed \
                else None
        for label in metrics.horizons:
            for j, code in enumerate(metrics.countries):
                values[f"mean_risk_{code}_{label}"] = float(mean[label][k, j]) if label in mean else float("nan")
                values[f"area_at_risk_km2_{code}_{label}"] = (float(area[label][k, j]) if label in area
                                                             else float("nan"))
        rows.append(_row(mb.run, "ok", seconds=mb.setup_s + each, days=total, substeps=step.substeps,
                         metrics=values))
    return rows


# ================================================================================================= batching
def batch_key(run: RunSpec, scenario: Scenario | None, model: str) -> tuple:
    """What must be equal for runs to share an ensemble (computed from the values, without building scenarios)."""
    if model != "spillover":
        return ()
    return tuple(run.params.get(k, scenario.get(k)) for k in BATCH_KEYS)


def plan_batches(runs: Sequence[RunSpec], scenario: Scenario | None, model: str, batch: int) -> list[list[RunSpec]]:
    """Group runs by :func:`batch_key` and cut each group into batches of at most ``batch`` (ordered by first run)."""
    if batch < 1:
        raise SpilloverError(f"--batch {batch}: must be ≥ 1")
    groups: dict[tuple, list[RunSpec]] = defaultdict(list)
    for run in runs:
        groups[batch_key(run, scenario, model)].append(run)
    batches = [g[i:i + batch] for g in groups.values() for i in range(0, len(g), batch)]
    return sorted(batches, key=lambda b: b[0].index)


def balanced_batch(runs: int, batch: int, slots: int) -> int:
    """A batch size ≤ ``batch`` that gives a multiple of ``slots`` batches, so no worker idles at the end."""
    if runs <= 0 or slots <= 1:
        return batch
    count = math.ceil(runs / batch)
    count = math.ceil(count / slots) * slots
    return max(1, math.ceil(runs / count))
