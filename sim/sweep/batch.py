"""The ensemble batch engine: many variants of one scenario integrated as ensemble members, metrics on the fly.

Calibration, forecast ensembles and sweeps all need the same thing: a base :class:`~sim.scenario.Scenario`, a list
of members (each a set of parameter overrides and a seed), and per-member numbers reduced from the state as it
evolves (never a time series, never a file). :func:`run_ensemble` does that in as few kernel passes as it can:

1. Members are planned into batches of at most ``batch``; members that need another grid or calendar
   (:data:`BATCH_KEYS`) never share a batch.
2. A batch (:class:`EnsembleBatch`, picklable, so it can run in a worker process or on a Dask worker:
   :func:`integrate_batch`) builds each member's scenario and forcing; members that step alike (same sub-steps per
   day) are integrated together, one :func:`sim.model.integrate` call advancing all of them.
3. At each snapshot, the batch's accumulation gets the whole ensemble state ``u`` of shape
   ``(members, ny, nx)`` and reduces it (:mod:`sim.sweep.reduce`: one pass over the cells, no Python per cell).
   At the end it returns per-member arrays.
4. :func:`run_ensemble` puts the arrays back in the order of the members given.

A member whose scenario is invalid, or whose integration raises, is recorded as failed with its error; the others
go on (a failing group is retried member by member to isolate the culprit). Results are bit-identical whatever the
batching: a member's numbers never depend on which other members share its kernel call (tested).

Accumulators
------------
An accumulator is a small picklable object with ``begin(context) -> accumulation``, called once per group of
members integrated together; the accumulation has ``on_snapshot(day, date, u)`` (``u``: the members' state,
valid only during the call) and ``finish() -> dict[str, np.ndarray]`` whose arrays have the members on their
first axis. :class:`BatchContext` tells it the grid, the members' scenarios and the calendar. Two ship with the
package: :class:`sim.sweep.metrics.CountryMetrics` (the sweep's crossing days and horizon metrics) and
:class:`sim.sweep.aggregates.UnitYearSums` (per-unit, per-year sums of risk and of risk × exposure: what a
likelihood against observed events needs). Failed members get NaN rows (False for boolean arrays).

Example (calibration: 64 parameter sets, yearly risk × population per admin-1 unit, on a local pool)::

    from geo.population import population_surface
    from sim import Scenario
    from sim.forcing import scenario_grid
    from sim.sweep import LocalPool, Member, UnitYearSums, run_ensemble

    base = Scenario.load("scenarios/withdrawal.toml")
    grid = scenario_grid(base)
    members = [Member({"growth.base_rate_per_year": r, "diffusion.kappa_km2_per_year": k}, seed=i)
               for i, (r, k) in enumerate(samples)]
    acc = UnitYearSums.admin1(grid, range(2012, 2020), exposure=population_surface(grid).people)
    with LocalPool(workers=2) as pool:             # long-lived, warmed workers; reuse it across generations
        result = run_ensemble(base, members, acc, executor=pool)
    result.values["u_exposure_sum"]                # (64, 343, 8) float64; NaN rows where result.ok is False
    result.errors[~result.ok]                      # why

Without ``executor`` the batches run in this process (numba uses every core).
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence

import numpy as np

from geo.errors import SpilloverError
from sim.scenario import Scenario

#: Keys whose values must be equal within a batch (they change the grid or the calendar).
BATCH_KEYS = ("grid.cell_km", "scenario.output_every_days")
#: Default members per batch (10 km: about 2 MB of state per member).
DEFAULT_BATCH = 32
_KERNEL_LOCK = threading.Lock()  # one kernel call at a time per process (numba threads do the parallel work)


# ================================================================================================= the API
@dataclass(frozen=True)
class Member:
    """One ensemble member: dotted scenario keys to change (``Scenario.replace``) and its ``scenario.seed``.

    Examples
    --------
    >>> Member({"growth.base_rate_per_year": 1.5}, seed=7).seed
    7
    """

    overrides: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None  # None: the base scenario's seed

    def scenario(self, base: Scenario) -> Scenario:
        """The base scenario with this member's values (validated again)."""
        changes = dict(self.overrides)
        if self.seed is not None:
            changes["scenario.seed"] = int(self.seed)
        return base.replace(**changes) if changes else base


@dataclass(frozen=True)
class BatchContext:
    """What an accumulator is told about the members integrated together."""

    grid: Any  # geo.grid.Grid
    scenarios: tuple[Scenario, ...]
    start: dt.date
    days: int  # run length; snapshots at day offsets ``snapshot_days`` (0 … days)
    snapshot_days: tuple[int, ...]
    dtype: np.dtype
    substeps: int

    @property
    def members(self) -> int:
        return len(self.scenarios)

    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=d) for d in self.snapshot_days]


class Accumulation(Protocol):
    def on_snapshot(self, day: int, date: dt.date, u: np.ndarray) -> None: ...

    def finish(self) -> dict[str, np.ndarray]: ...


class Accumulator(Protocol):
    def begin(self, context: BatchContext) -> Accumulation: ...


class NoMetrics:
    """An accumulator that keeps nothing (kernel-only timings, warm-up)."""

    def begin(self, context: BatchContext) -> "NoMetrics":
        return self

    def on_snapshot(self, day: int, date: dt.date, u: np.ndarray) -> None:
        pass

    def finish(self) -> dict[str, np.ndarray]:
        return {}


@dataclass(frozen=True)
class EnsembleBatch:
    """One unit of work (picklable): members of one base scenario, the accumulator, the documents read once."""

    base: Scenario
    members: tuple[Member, ...]
    index: tuple[int, ...]  # positions of the members in the caller's list
    accumulator: Accumulator
    inputs: Any = None  # sim.forcing.DocumentInputs, read once by the caller (None: read here)


@dataclass
class BatchResult:
    """Per-member results of one :class:`EnsembleBatch`, in its member order."""

    index: tuple[int, ...]
    ok: np.ndarray  # (m,) bool
    errors: list[str]  # "" where ok
    values: dict[str, np.ndarray]  # (m, ...) each
    days: np.ndarray  # (m,) int64 run length, -1 where the scenario could not be built
    substeps: np.ndarray  # (m,) int64 sub-steps per day, 0 where failed before integrating
    seconds: np.ndarray  # (m,) float: setup + the member's share of its kernel pass


@dataclass
class EnsembleResult:
    """What :func:`run_ensemble` returns: per-member arrays in the order of the members given."""

    ok: np.ndarray
    errors: np.ndarray  # (n,) object: "" where ok
    values: dict[str, np.ndarray]
    days: np.ndarray
    substeps: np.ndarray
    seconds: np.ndarray
    wall_seconds: float = 0.0

    @property
    def failed(self) -> int:
        return int((~self.ok).sum())


def run_ensemble(base: Scenario, members: Sequence[Member | Mapping[str, Any]], accumulator: Accumulator, *,
                 inputs: Any = None, batch: int = DEFAULT_BATCH, executor: Any = None,
                 on_batch: Callable[[BatchResult], None] | None = None) -> EnsembleResult:
    """Integrate ``members`` (variants of ``base``) in few kernel passes and return the accumulator's arrays.

    Parameters
    ----------
    base : the scenario every member starts from.
    members : :class:`Member` objects, or plain dicts of overrides (the base's seed).
    accumulator : what to compute per member (see the module docstring); picklable if ``executor`` is a pool.
    inputs : the documents' :class:`sim.forcing.DocumentInputs` (read from ``base`` if None, once).
    batch : at most this many members per kernel pass.
    executor : None (this process) or a :class:`sim.sweep.execute.LocalPool` / :class:`~sim.sweep.execute.DaskPool`.
    on_batch : called with each :class:`BatchResult` as it arrives (progress, checkpoints).

    Returns
    -------
    EnsembleResult
        ``values[name]`` has shape ``(len(members), ...)``; rows of failed members are NaN (False for booleans).

    Examples
    --------
    >>> from sim.sweep import CountryMetrics, Metrics
    >>> base = Scenario.load("scenarios/withdrawal.toml").replace(**{"grid.cell_km": 100})  # doctest: +SKIP
    >>> res = run_ensemble(base, [{"growth.base_rate_per_year": r} for r in (0.5, 1, 2)],  # doctest: +SKIP
    ...                    CountryMetrics(Metrics()))
    >>> res.values["mean_risk"].shape  # doctest: +SKIP
    (3, 1, 3)
    """
    t0 = time.perf_counter()
    members = [m if isinstance(m, Member) else Member(dict(m)) for m in members]
    n = len(members)
    ok = np.zeros(n, bool)
    errors = np.full(n, "", dtype=object)
    days = np.full(n, -1, np.int64)
    substeps = np.zeros(n, np.int64)
    seconds = np.full(n, np.nan)
    parts: list[tuple[tuple[int, ...], dict[str, np.ndarray]]] = []
    for result in iter_ensemble(base, members, accumulator, inputs=inputs, batch=batch, executor=executor):
        idx = np.asarray(result.index, dtype=np.intp)
        ok[idx], days[idx], substeps[idx], seconds[idx] = result.ok, result.days, result.substeps, result.seconds
        errors[idx] = result.errors
        parts.append((result.index, result.values))
        if on_batch is not None:
            on_batch(result)
    return EnsembleResult(ok, errors, _gather(parts, n), days, substeps, seconds, time.perf_counter() - t0)


def iter_ensemble(base: Scenario, members: Sequence[Member], accumulator: Accumulator, *, inputs: Any = None,
                  batch: int = DEFAULT_BATCH, executor: Any = None) -> Iterator[BatchResult]:
    """:func:`run_ensemble` as a stream of :class:`BatchResult` in completion order (for stores and progress)."""
    if inputs is None:
        inputs = read_inputs(base)
    tasks = [EnsembleBatch(base, tuple(members[i] for i in group), tuple(group), accumulator, inputs)
             for group in plan_members(base, members, batch, getattr(executor, "slots", 1))]
    if executor is None:
        for task in tasks:
            yield integrate_batch(task)
        return
    for task, result in executor.map(integrate_batch, tasks):
        yield result if not isinstance(result, BaseException) else failed_batch(task, result)


def plan_members(base: Scenario, members: Sequence[Member], batch: int, slots: int = 1) -> list[list[int]]:
    """Member positions grouped by :func:`batch_key` and cut into batches of at most ``batch`` members.

    With ``slots`` > 1 (parallel workers) the batch size is lowered so that the batches divide evenly among them
    (:func:`balanced_batch`). Batches are ordered by their first member.
    """
    if batch < 1:
        raise SpilloverError(f"--batch {batch}: must be ≥ 1")
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, member in enumerate(members):
        groups[batch_key(member.overrides, base)].append(i)
    size = balanced_batch(len(members), batch, slots)
    return sorted((g[i:i + size] for g in groups.values() for i in range(0, len(g), size)), key=lambda b: b[0])


def batch_key(overrides: Mapping[str, Any], base: Scenario | None) -> tuple:
    """What must be equal for members to share a batch (from the values, without building scenarios)."""
    if base is None:
        return ()
    return tuple(overrides.get(k, base.get(k)) for k in BATCH_KEYS)


def balanced_batch(runs: int, batch: int, slots: int) -> int:
    """A batch size ≤ ``batch`` that gives a multiple of ``slots`` batches, so no worker idles at the end.

    Examples
    --------
    >>> balanced_batch(40, 8, 2), balanced_batch(3, 16, 2)
    (7, 2)
    """
    if runs <= 0 or slots <= 1:
        return batch
    count = -(-runs // batch)
    count = -(-count // slots) * slots
    return max(1, -(-runs // count))


def read_inputs(scenario: Scenario):
    """The documents' inputs of ``scenario`` (read once; sent along with every batch)."""
    from sim.forcing import document_inputs

    try:
        return document_inputs(scenario)
    except ImportError as exc:
        raise SpilloverError(f"reading the documents needs {exc.name or 'the document layer'}, which is not "
                             "available; run without documents with documents.seeds = \"\", "
                             "initial.from_documents = false and initial.places = [\"northern Mali\"]") from None


# ================================================================================================= worker side
@dataclass
class _Prepared:
    position: int
    scenario: Scenario
    forcing: Any
    substeps: int
    setup_s: float


def integrate_batch(task: EnsembleBatch) -> BatchResult:
    """Build, integrate and reduce one batch (never raises for a member's own failure: it is recorded)."""
    from sim.forcing import build_forcing, scenario_grid
    from sim.model import stepping

    m = len(task.members)
    result = BatchResult(task.index, np.zeros(m, bool), [""] * m, {}, np.full(m, -1, np.int64),
                         np.zeros(m, np.int64), np.full(m, np.nan))
    groups: dict[tuple, list[_Prepared]] = defaultdict(list)
    for k, member in enumerate(task.members):
        t0 = time.perf_counter()
        try:
            s = member.scenario(task.base)
            grid = scenario_grid(s)
            forcing = build_forcing(s, grid, task.inputs)
            step = stepping([forcing], grid.cell_km, s.numerics.dt_days, country_id=grid.country_id)
        except Exception as exc:  # an invalid scenario or forcing: recorded, the others go on
            result.errors[k], result.seconds[k] = error_text(exc), time.perf_counter() - t0
            continue
        info = s.scenario
        key = (s.grid.cell_km, tuple(s.grid.countries), s.grid.crs, info.start, info.end, info.output_every_days,
               s.output.dtype, s.numerics.dt_days, s.numerics.device, step.substeps)
        groups[key].append(_Prepared(k, s, forcing, step.substeps, time.perf_counter() - t0))
    pieces: list[tuple[list[int], dict[str, np.ndarray]]] = []
    for members in groups.values():
        try:
            pieces.append(_integrate_group(members, task.accumulator, result))
        except Exception as exc:
            if len(members) == 1:
                result.errors[members[0].position] = error_text(exc)
                result.seconds[members[0].position] = members[0].setup_s
                continue
            for one in members:  # isolate the culprit: integrate each member alone
                try:
                    pieces.append(_integrate_group([one], task.accumulator, result))
                except Exception as exc1:
                    result.errors[one.position], result.seconds[one.position] = error_text(exc1), one.setup_s
    result.values = _gather(pieces, m)
    return result


def _integrate_group(members: list[_Prepared], accumulator: Accumulator, result: BatchResult
                     ) -> tuple[list[int], dict[str, np.ndarray]]:
    """Integrate members that share grid, calendar, dtype and stepping in one ensemble; their arrays."""
    from sim.forcing import scenario_grid
    from sim.model import integrate, snapshot_days

    s0 = members[0].scenario
    grid = scenario_grid(s0)
    info = s0.scenario
    context = BatchContext(grid, tuple(p.scenario for p in members), info.start, s0.days,
                           tuple(snapshot_days(s0.days, info.output_every_days)), np.dtype(s0.output.dtype),
                           members[0].substeps)
    accumulation = accumulator.begin(context)

    def on_snapshot(day: int, date: dt.date, u: np.ndarray, *_ignored) -> None:
        accumulation.on_snapshot(day, date, u)

    t0 = time.perf_counter()
    with _KERNEL_LOCK:
        step = integrate([p.forcing for p in members], grid, info.start, s0.days, info.output_every_days,
                         on_snapshot, dtype=s0.output.dtype, dt_days=s0.numerics.dt_days,
                         device=s0.numerics.device)
    values = accumulation.finish()
    each = (time.perf_counter() - t0) / len(members)
    for p in members:
        k = p.position
        result.ok[k], result.days[k], result.substeps[k] = True, s0.days, step.substeps
        result.seconds[k] = p.setup_s + each
    for name, array in values.items():
        if len(array) != len(members):
            raise SpilloverError(f"accumulator {type(accumulator).__name__}: {name!r} has {len(array)} rows for "
                                 f"{len(members)} members")
    return [p.position for p in members], values


def _gather(pieces: Sequence[tuple[Sequence[int], dict[str, np.ndarray]]], n: int) -> dict[str, np.ndarray]:
    """``(positions, arrays)`` pieces into one ``(n, ...)`` array per name; rows no piece covers are NaN (False
    for booleans; integer arrays become float64)."""
    out: dict[str, np.ndarray] = {}
    for positions, values in pieces:
        rows = np.asarray(positions, dtype=np.intp)
        for name, array in values.items():
            array = np.asarray(array)
            if name not in out:
                if array.dtype == bool:
                    out[name] = np.zeros((n, *array.shape[1:]), bool)
                else:
                    out[name] = np.full((n, *array.shape[1:]), np.nan,
                                        dtype=np.result_type(array.dtype, np.float32))
            out[name][rows] = array
    return out


def failed_batch(task: EnsembleBatch, exc: BaseException) -> BatchResult:
    """Every member of ``task`` failed with ``exc`` (e.g. its worker process died)."""
    m = len(task.members)
    return BatchResult(task.index, np.zeros(m, bool), [error_text(exc)] * m, {}, np.full(m, -1, np.int64),
                       np.zeros(m, np.int64), np.full(m, np.nan))


def error_text(exc: BaseException) -> str:
    """``Type: first line of the message`` (what a failed run records)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
