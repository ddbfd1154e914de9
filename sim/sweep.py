"""Parameter sweeps: designs, ensemble batches run in worker processes or on a Dask cluster, a resumable store.

A sweep varies numeric scenario keys (dotted paths, ``Scenario.numeric_parameters``) over ranges, runs every
design point (times ``replicates`` seeds) and stores one row of metrics per run::

    spillover sweep scenarios/withdrawal.toml --param growth.weight_coups=0:0.5 \\
        --param suppression.exit_shift_days=-730:730 --method sobol --n 64 --out sweeps/exit

Design (:class:`SweepConfig`)
    ``grid``: ``n`` evenly spaced levels per parameter, every combination (``n ** D`` points, first parameter
    slowest). ``lhs``: ``n`` points of a Latin hypercube (``SALib.sample.latin``). ``sobol``: Saltelli's scheme on a
    scrambled Sobol' sequence (``SALib.sample.sobol``), ``n`` base samples (a power of 2), ``n (D + 2)`` points, or
    ``n (2 D + 2)`` with second-order indices. ``morris``: ``n`` trajectories on a ``levels``-level grid
    (``SALib.sample.morris``), ``n (D + 1)`` points. Integer keys (``suppression.exit_shift_days``,
    ``scenario.output_every_days``) are rounded to whole numbers when a run is built (the design keeps the
    unrounded values, which the Sobol'/Morris estimators use). ``scenario.seed`` is not a parameter: each run gets
    its own seed, ``seed = base seed + run index``, recorded in the results; replicates of a design point differ
    only in their seed (which matters where the scenario uses ``initial.noise``).

Runs and batches
    Run ``i`` (``run_id = "r%06d" % i``) is replicate ``i % R`` of design point ``i // R``. Runs that share a grid
    and a calendar (``grid.cell_km``, ``scenario.output_every_days`` after rounding; everything else that must be
    equal within an ensemble is fixed by the scenario) are cut into batches of ``batch`` runs; a worker integrates
    a batch's members in one kernel call per segment (:func:`sim.model.integrate`'s ensemble axis), so at 10 km a
    sweep is limited by the kernel's arithmetic, not by Python. Within a batch, members are integrated together
    only if they step alike (same sub-steps per day), so a run's numbers do not depend on which batch it lands in:
    a resumed or rebatched sweep gives bit-identical metrics.

Metrics (:class:`Metrics`), computed in the snapshot callback from the state (``np.bincount`` by country id; no
time series is kept), with the definitions of :mod:`sim.output`:
    ``cross_days_<ISO>``: days from the start to the first snapshot at which at least
    ``output.crossing_area_fraction`` of the country's area has risk ≥ ``output.threshold`` (NaN if never, or the
    run length + 1 with ``censor``); ``crossed_<ISO>``: whether it crossed; ``cross_date_<ISO>``: that snapshot's
    ISO date (empty if never); ``mean_risk_<ISO>_<H>`` and
    ``area_at_risk_km2_<ISO>_<H>`` at each horizon ``H`` (``end`` = the last day, or an ISO date: the last
    snapshot at or before it). The time resolution is the scenario's ``output_every_days``.

Execution (:func:`run_sweep`)
    Local (default): a ``concurrent.futures.ProcessPoolExecutor`` of ``workers`` long-lived processes (spawned,
    because numba's OpenMP runtime is not fork-safe), each warmed once by an initializer that loads the kernels
    from numba's cache (compiling them only if the cache is cold) and splits the cores between workers. It is
    preferred over a Dask ``LocalCluster`` here: the sweep is a plain map of independent batches, and the pool
    needs no scheduler, nanny or ports and starts in the time it takes to import the package.
    ``scheduler="tcp://host:port"``: the same batch tasks go to an existing ``dask.distributed`` cluster through
    ``Client(address)``; every worker is warmed once with ``client.run``. Start workers with ``--nthreads 1`` and
    split the cores between worker processes with ``NUMBA_NUM_THREADS`` (the kernel is parallel itself, and kernel
    calls in one process are serialised), e.g. on a 16-core node ``NUMBA_NUM_THREADS=4 dask worker ADDRESS
    --nworkers 4 --nthreads 1``. Workers need the package installed
    and the files the scenario names (``initial.state``); the documents are read once here and sent with the
    tasks. ``workers=0`` runs the batches in this process (tests, debugging). At most ``2 × workers`` batches are in
    flight at any time.

Store (:class:`ResultStore`), in the folder ``out``:
    ``sweep.json``: the spec (resolved scenario, parameters, method, n, seed, replicates, metrics, the design
    matrix and the SALib call that made it, package versions). ``results.parquet``: one row per run (``run_id``,
    ``point``, ``replicate``, the parameter columns by dotted name, ``seed``, ``status`` "ok"/"failed", ``error``,
    ``seconds`` (the run's share of its batch's time), ``days``, ``substeps``, the metrics). Each finished batch is
    written atomically to ``parts/`` and the parts are folded into ``results.parquet`` (atomically, then deleted)
    every few seconds and at the end, so a kill at any moment loses at most the batches in flight and never leaves
    a truncated file. Running the same sweep again resumes: finished runs (ok or failed; ``retry_failed`` reruns
    failed ones) are skipped; a different spec in the same folder is refused. A run that fails (invalid scenario,
    an exception, a worker that died) is recorded with its error and the others go on.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import math
import os
import threading
import time
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from geo.atomic import atomic_path, write_text_atomic
from geo.errors import SpilloverError
from sim.scenario import Scenario

SWEEP_FILE = "sweep.json"
RESULTS_FILE = "results.parquet"
PARTS_DIR = "parts"
LOCK_FILE = ".lock"
SPEC_VERSION = 1

METHODS = ("grid", "lhs", "sobol", "morris")
MODELS = ("spillover", "ishigami")
DEFAULT_COUNTRIES = ("MLI", "BFA", "NER")
#: Default horizons: the last day, and 2025-01-01 where the run covers it.
DEFAULT_HORIZONS = ("end", "2025-01-01")
#: Scenario keys that are not sweep parameters (each run gets its own seed).
RESERVED = ("scenario.seed",)
#: Numeric keys whose value must be equal within an ensemble batch (they change the grid or the calendar).
BATCH_KEYS = ("grid.cell_km", "scenario.output_every_days")
#: Seconds between foldings of parts/ into results.parquet while a sweep runs.
CONSOLIDATE_EVERY_S = 10.0

RUN_COLUMNS = ["run_id", "point", "replicate"]
STATUS_COLUMNS = ["seed", "status", "error", "seconds", "days", "substeps"]

#: The Ishigami function's parameters (a test model with known Sobol' indices; see :func:`ishigami_indices`).
ISHIGAMI_PARAMETERS = {
    f"x{i}": {"default": 0.0, "type": "float", "units": "", "lo": -math.pi, "hi": math.pi, "lo_open": False,
              "doc": f"Ishigami input x{i} (uniform on [-π, π])"}
    for i in (1, 2, 3)
}

_KERNEL_LOCK = threading.Lock()  # one kernel call at a time per process (numba threads do the parallel work)


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


# ================================================================================================= parameters
@dataclass(frozen=True)
class Param:
    """A swept parameter: a numeric scenario key and its range ``[lo, hi]``."""

    name: str
    lo: float
    hi: float
    integer: bool = False

    def to_dict(self) -> dict:
        return {"name": self.name, "lo": self.lo, "hi": self.hi, "integer": self.integer}

    @classmethod
    def from_dict(cls, d: dict) -> "Param":
        return cls(d["name"], float(d["lo"]), float(d["hi"]), bool(d.get("integer", False)))


def sweep_parameters(model: str = "spillover") -> dict[str, dict]:
    """The keys a sweep of ``model`` can vary, with default, type, units, range and doc."""
    if model == "ishigami":
        return dict(ISHIGAMI_PARAMETERS)
    return {k: v for k, v in Scenario.numeric_parameters().items() if k not in RESERVED}


def parse_param(text: str, model: str = "spillover") -> Param:
    """``NAME=LOW:HIGH`` → :class:`Param`, checked against the key's type and allowed range."""
    known = sweep_parameters(model)
    name, sep, rng = text.partition("=")
    name = name.strip()
    if not sep:
        raise SpilloverError(f"--param {text!r}: expected NAME=LOW:HIGH, e.g. growth.weight_coups=0:0.5")
    if name in RESERVED:
        raise SpilloverError(f"--param {name}: each run gets its own seed (base seed + run index); use --seed for "
                             "the base seed and --replicates for several seeds per design point")
    if name not in known:
        raise SpilloverError(f"--param {name!r} is not a numeric scenario key; `spillover sweep SCENARIO "
                             f"--list-params` lists them: {', '.join(sorted(known))}")
    lo_s, sep, hi_s = rng.rpartition(":") if rng.count(":") == 1 else ("", "", "")
    try:
        lo, hi = float(lo_s), float(hi_s)
    except ValueError:
        raise SpilloverError(f"--param {text!r}: expected NAME=LOW:HIGH with two numbers, e.g. {name}="
                             f"{_fmt(known[name]['default'])}:{_fmt(known[name]['default'] * 2 or 1)}") from None
    meta = known[name]
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        raise SpilloverError(f"--param {text!r}: need finite LOW < HIGH")
    units = f" {meta['units']}" if meta.get("units") else ""
    klo, khi = meta.get("lo"), meta.get("hi")
    if klo is not None and (lo <= klo if meta.get("lo_open") else lo < klo):
        raise SpilloverError(f"--param {text!r}: LOW {_fmt(lo)} is outside the valid range of {name} "
                             f"({'>' if meta.get('lo_open') else '≥'} {_fmt(klo)}{units})")
    if khi is not None and hi > khi:
        raise SpilloverError(f"--param {text!r}: HIGH {_fmt(hi)} is outside the valid range of {name} "
                             f"(≤ {_fmt(khi)}{units})")
    integer = meta["type"] == "int"
    if integer and math.floor(hi) < math.ceil(lo):
        raise SpilloverError(f"--param {text!r}: {name} is a whole number and [{lo:g}, {hi:g}] holds none")
    return Param(name, lo, hi, integer)


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def parse_set(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` (VALUE in TOML syntax, or a bare string) → (dotted key, value), for fixed overrides."""
    key, sep, raw = text.partition("=")
    if not sep or "." not in key:
        raise SpilloverError(f"--set {text!r}: expected KEY=VALUE with a dotted key, e.g. documents.seeds=\"\" or "
                             "'initial.places=[\"northern Mali\"]'")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip(), value


# ================================================================================================= metrics
@dataclass(frozen=True)
class Metrics:
    """Which metrics every run reports (see the module docstring)."""

    countries: tuple[str, ...] = DEFAULT_COUNTRIES
    horizons: tuple[str, ...] = ("end",)
    censor: bool = False

    def columns(self, model: str = "spillover") -> list[str]:
        if model == "ishigami":
            return ["y"]
        cols = []
        for c in self.countries:
            cols += [f"cross_days_{c}", f"crossed_{c}", f"cross_date_{c}"]
        for h in self.horizons:
            for c in self.countries:
                cols += [f"mean_risk_{c}_{h}", f"area_at_risk_km2_{c}_{h}"]
        return cols

    def to_dict(self) -> dict:
        return {"countries": list(self.countries), "horizons": list(self.horizons), "censor": self.censor}

    @classmethod
    def from_dict(cls, d: dict) -> "Metrics":
        return cls(tuple(d["countries"]), tuple(d["horizons"]), bool(d["censor"]))


def default_horizons(scenario: Scenario) -> tuple[str, ...]:
    """``end``, plus each of :data:`DEFAULT_HORIZONS`' dates that falls inside the run."""
    out = []
    for h in DEFAULT_HORIZONS:
        if h == "end" or scenario.scenario.start < dt.date.fromisoformat(h) < scenario.scenario.end:
            out.append(h)
    return tuple(out)


def check_horizons(horizons: Sequence[str], scenario: Scenario) -> tuple[str, ...]:
    out = []
    for h in horizons:
        h = str(h).strip()
        if h != "end":
            try:
                when = dt.date.fromisoformat(h)
            except ValueError:
                raise SpilloverError(f"--horizon {h!r}: give an ISO date such as 2025-01-01, or 'end'") from None
            info = scenario.scenario
            if not info.start <= when <= info.end:
                raise SpilloverError(f"--horizon {h}: outside the run [{info.start}, {info.end}]")
            h = when.isoformat()
        if h not in out:
            out.append(h)
    if not out:
        raise SpilloverError("--horizon: give at least one date or 'end'")
    return tuple(out)


# ================================================================================================= design
@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: design point, replicate, parameter values (integers rounded) and seed."""

    index: int
    point: int
    replicate: int
    params: dict
    seed: int

    @property
    def run_id(self) -> str:
        return run_id(self.index)


def run_id(index: int) -> str:
    return f"r{index:06d}"


@dataclass(frozen=True)
class SweepConfig:
    """Everything that determines a sweep's results (what ``sweep.json`` records and a resume must match)."""

    scenario: Scenario
    params: tuple[Param, ...]
    method: str = "sobol"
    n: int = 16
    seed: int = 0
    replicates: int = 1
    metrics: Metrics = field(default_factory=Metrics)
    second_order: bool = False
    levels: int = 4
    model: str = "spillover"
    scenario_file: str = ""

    def __post_init__(self):
        if self.method not in METHODS:
            raise SpilloverError(f"--method {self.method!r}; valid: {', '.join(METHODS)}")
        if self.model not in MODELS:
            raise SpilloverError(f"--model {self.model!r}; valid: {', '.join(MODELS)}")
        if not self.params:
            raise SpilloverError("no --param given: name at least one parameter as NAME=LOW:HIGH (see --list-params)")
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise SpilloverError(f"--param: each parameter once, got {names}")
        if self.n < 1 or self.replicates < 1:
            raise SpilloverError(f"--n ({self.n}) and --replicates ({self.replicates}) must be ≥ 1")
        if self.seed < 0:
            raise SpilloverError(f"--seed {self.seed}: must be ≥ 0")
        if self.method == "sobol" and self.n & (self.n - 1):
            lo = 1 << (self.n.bit_length() - 1)
            raise SpilloverError(f"--method sobol: --n {self.n} must be a power of 2 (Sobol' sequence balance), "
                                 f"e.g. {lo} or {lo * 2}")
        if self.method == "grid" and self.n ** len(self.params) > 10_000_000:
            raise SpilloverError(f"--method grid: {self.n}^{len(self.params)} points is too many; use lhs or sobol")
        if self.method == "morris" and self.levels < 2:
            raise SpilloverError(f"--levels {self.levels}: Morris needs at least 2 levels")
        if self.model == "spillover":
            codes = set(self.scenario.grid.countries)
            missing = [c for c in self.metrics.countries if c not in codes]
            if missing:
                raise SpilloverError(f"--countries {missing} not modelled; the scenario's grid.countries are "
                                     f"{list(self.scenario.grid.countries)}")

    # ------------------------------------------------------------------------------------------- design
    def problem(self) -> dict:
        """SALib's problem dict."""
        return {"num_vars": len(self.params), "names": [p.name for p in self.params],
                "bounds": [[p.lo, p.hi] for p in self.params]}

    def sampler(self) -> str:
        """The call that makes the design (recorded in sweep.json)."""
        return {
            "grid": f"cartesian product of numpy.linspace(lo, hi, {self.n}) per parameter (first slowest)",
            "lhs": f"SALib.sample.latin.sample(problem, {self.n}, seed={self.seed})",
            "sobol": f"SALib.sample.sobol.sample(problem, {self.n}, calc_second_order={self.second_order}, "
                     f"scramble=True, seed={self.seed})",
            "morris": f"SALib.sample.morris.sample(problem, {self.n}, num_levels={self.levels}, seed={self.seed})",
        }[self.method]

    def design(self) -> np.ndarray:
        """The design matrix (points × parameters), unrounded."""
        problem = self.problem()
        if self.method == "grid":
            axes = [np.linspace(p.lo, p.hi, self.n) for p in self.params]
            return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(self.params))
        if self.method == "lhs":
            from SALib.sample import latin

            return np.asarray(latin.sample(problem, self.n, seed=self.seed), dtype=float)
        if self.method == "sobol":
            from SALib.sample import sobol

            return np.asarray(sobol.sample(problem, self.n, calc_second_order=self.second_order, scramble=True,
                                           seed=self.seed), dtype=float)
        from SALib.sample import morris

        return np.asarray(morris.sample(problem, self.n, num_levels=self.levels, seed=self.seed), dtype=float)

    def runs(self, design: np.ndarray) -> list[RunSpec]:
        out = []
        for point, row in enumerate(design):
            params = {p.name: (int(round(v)) if p.integer else float(v)) for p, v in zip(self.params, row)}
            for rep in range(self.replicates):
                i = point * self.replicates + rep
                out.append(RunSpec(i, point, rep, params, self.seed + i))
        return out

    def columns(self) -> list[str]:
        return RUN_COLUMNS + [p.name for p in self.params] + STATUS_COLUMNS + self.metrics.columns(self.model)

    # --------------------------------------------------------------------------------------------- spec
    def spec(self, design: np.ndarray | None = None) -> dict:
        design = self.design() if design is None else design
        return {
            "spec_version": SPEC_VERSION,
            "model": self.model,
            "scenario_file": self.scenario_file,
            "base_dir": self.scenario.base_dir,
            "scenario": self.scenario.to_dict(),
            "params": [p.to_dict() for p in self.params],
            "method": self.method,
            "n": self.n,
            "seed": self.seed,
            "replicates": self.replicates,
            "second_order": self.second_order,
            "levels": self.levels,
            "metrics": self.metrics.to_dict(),
            "problem": self.problem(),
            "sampler": self.sampler(),
            "points": int(len(design)),
            "runs": int(len(design) * self.replicates),
            "seeds": "seed = base seed + run index; run index = point * replicates + replicate",
            "columns": self.columns(),
            "design": design.tolist(),
            "versions": {"sahel-spillover": _version("sahel-spillover"), "SALib": _version("SALib"),
                         "numpy": _version("numpy"), "numba": _version("numba")},
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }


#: Keys of sweep.json that must match for a resume (the rest is informative).
SPEC_KEYS = ("spec_version", "model", "scenario", "params", "method", "n", "seed", "replicates", "second_order",
             "levels", "metrics")


def config_from_spec(spec: dict) -> SweepConfig:
    """Rebuild the :class:`SweepConfig` of a stored sweep."""
    scenario = Scenario.from_dict(spec["scenario"], source=SWEEP_FILE, base_dir=spec.get("base_dir", "."))
    return SweepConfig(
        scenario=scenario, params=tuple(Param.from_dict(p) for p in spec["params"]), method=spec["method"],
        n=int(spec["n"]), seed=int(spec["seed"]), replicates=int(spec["replicates"]),
        metrics=Metrics.from_dict(spec["metrics"]), second_order=bool(spec["second_order"]),
        levels=int(spec["levels"]), model=spec["model"], scenario_file=spec.get("scenario_file", ""))


# ================================================================================================= worker side
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


# ================================================================================================= store
class ResultStore:
    """The sweep folder: ``sweep.json``, ``results.parquet`` and ``parts/`` (see the module docstring)."""

    def __init__(self, out: str | os.PathLike):
        self.out = Path(out)
        self.parts = self.out / PARTS_DIR
        self.results = self.out / RESULTS_FILE
        self.spec_path = self.out / SWEEP_FILE
        self._seq = 0

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive use of the folder (released by the OS if the process dies)."""
        import fcntl

        self.out.mkdir(parents=True, exist_ok=True)
        with open(self.out / LOCK_FILE, "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise SpilloverError(f"{self.out} is in use by another sweep process; wait for it or use another "
                                     "--out folder") from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def read_spec(self) -> dict | None:
        if not self.spec_path.exists():
            return None
        return json.loads(self.spec_path.read_text(encoding="utf-8"))

    def open(self, spec: dict) -> dict:
        """Write ``spec`` to a new folder, or check it against the stored one; return the stored (authoritative)."""
        stored = self.read_spec()
        if stored is None:
            if self.results.exists() or (self.parts.exists() and any(self.parts.glob("*.parquet"))):
                raise SpilloverError(f"{self.out} holds results but no {SWEEP_FILE}: not a sweep folder this "
                                     "version can resume; use another --out folder")
            write_text_atomic(self.spec_path, json.dumps(spec, indent=1) + "\n")
            return spec
        diffs = [k for k in SPEC_KEYS if _canon(stored.get(k)) != _canon(spec.get(k))]
        if diffs:
            details = "; ".join(_differences(_canon(stored.get(k)), _canon(spec.get(k)), k) for k in diffs)
            raise SpilloverError(f"{self.out}/{SWEEP_FILE} is a different sweep ({details}); resume it with the "
                                 "same scenario and options, or use another --out folder")
        return stored

    def _files(self) -> list[Path]:
        files = [self.results] if self.results.exists() else []
        if self.parts.exists():
            files += sorted(self.parts.glob("part-*.parquet"))
        return files

    def clean_temporaries(self) -> None:
        """Delete temporary files left by a process killed while writing (never complete files)."""
        for folder, pattern in ((self.out, f".{Path(RESULTS_FILE).stem}.*"), (self.parts, ".part-*")):
            if folder.exists():
                for tmp in folder.glob(pattern):
                    with contextlib.suppress(OSError):
                        tmp.unlink()

    def load(self) -> pd.DataFrame:
        """Every stored row (results.parquet and parts), one per run id (the latest), ordered by run."""
        for attempt in range(5):  # a running sweep may fold (delete) parts while we read: list them again
            try:
                frames = [pd.read_parquet(p) for p in self._files()]
                break
            except FileNotFoundError:
                if attempt == 4:
                    raise
                time.sleep(0.2)
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame()
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        frame = frame.drop_duplicates("run_id", keep="last")
        order = frame["run_id"].str.slice(1).astype(int).to_numpy().argsort(kind="stable")
        return frame.iloc[order].reset_index(drop=True)

    def write_part(self, frame: pd.DataFrame) -> Path:
        self._seq += 1
        path = self.parts / f"part-{time.time_ns():020d}-{self._seq:06d}-{frame['run_id'].iloc[0]}.parquet"
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=False)
        return path

    def consolidate(self, columns: list[str] | None = None, dtypes: dict | None = None) -> pd.DataFrame:
        """Fold parts/ into results.parquet (atomically), then delete the folded parts."""
        parts = sorted(self.parts.glob("part-*.parquet")) if self.parts.exists() else []
        frame = self.load()
        if columns is not None:
            frame = frame.reindex(columns=columns)
            if dtypes is not None:
                frame = _cast(frame, dtypes)
        if not parts and self.results.exists():
            return frame
        with atomic_path(self.results) as tmp:
            frame.to_parquet(tmp, index=False)
        for p in parts:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        return frame


def _canon(value):
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _differences(old, new, key: str, limit: int = 6) -> str:
    """``key.sub: stored A ≠ now B`` for each differing leaf of two nested dicts (at most ``limit``)."""
    out: list[str] = []

    def walk(a, b, path):
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                walk(a.get(k), b.get(k), f"{path}.{k}")
        elif a != b:
            out.append(f"{path}: stored {_short(a)} ≠ now {_short(b)}")

    walk(old, new, key)
    more = f"; … {len(out) - limit} more" if len(out) > limit else ""
    return "; ".join(out[:limit]) + more


def _short(value, limit: int = 80) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _dtypes(config: SweepConfig) -> dict[str, str]:
    out = {"run_id": "string", "point": "int64", "replicate": "int64", "seed": "int64", "status": "string",
           "error": "string", "seconds": "float64", "days": "Int64", "substeps": "Int64"}
    for p in config.params:
        out[p.name] = "Int64" if p.integer else "float64"
    for c in config.metrics.columns(config.model):
        out[c] = ("boolean" if c.startswith("crossed_") else "string" if c.startswith("cross_date_")
                  else "float64")
    return out


def _cast(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    return frame.astype({c: t for c, t in dtypes.items() if c in frame.columns})


def rows_frame(rows: list[dict], config: SweepConfig) -> pd.DataFrame:
    """Rows as a frame with the sweep's columns and dtypes (stable schema across parts)."""
    frame = pd.DataFrame(rows).reindex(columns=config.columns())
    return _cast(frame, _dtypes(config))


# ================================================================================================= execution
def _inline(tasks: Iterable[BatchTask]) -> Iterator[tuple[BatchTask, list[dict] | BaseException]]:
    for task in tasks:
        try:
            yield task, run_batch(task)
        except Exception as exc:
            yield task, exc


def _local_pool(tasks: Iterable[BatchTask], workers: int, dtypes: tuple[str, ...],
                log: Callable[[str], None]) -> Iterator[tuple[BatchTask, list[dict] | BaseException]]:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    threads = max(1, (os.cpu_count() or 1) // workers)
    ctx = multiprocessing.get_context("spawn")  # numba's OpenMP layer is not fork-safe

    def new_pool():
        return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=warm_worker,
                                   initargs=(threads, dtypes))

    queue = list(tasks)[::-1]
    pool = new_pool()
    pending: dict = {}
    try:
        while queue or pending:
            while queue and len(pending) < 2 * workers:
                task = queue.pop()
                try:
                    pending[pool.submit(run_batch, task)] = task
                except BrokenProcessPool:
                    queue.append(task)
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = new_pool()
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                task = pending.pop(fut)
                try:
                    yield task, fut.result()
                except BrokenProcessPool as exc:
                    broken = True
                    yield task, RuntimeError(f"a worker process died while this batch ran ({exc or 'killed'}); "
                                             "out of memory? rerun with --retry-failed")
                except Exception as exc:
                    yield task, exc
            if broken:
                log("a worker process died; starting a new pool")
                pool.shutdown(wait=False, cancel_futures=True)
                pool = new_pool()
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)


def _dask(tasks: Iterable[BatchTask], address: str, dtypes: tuple[str, ...],
          log: Callable[[str], None]) -> Iterator[tuple[BatchTask, list[dict] | BaseException]]:
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover
        raise SpilloverError("--scheduler needs dask.distributed: pip install distributed") from None
    try:
        client = Client(address, timeout=30)
    except (OSError, TimeoutError) as exc:
        raise SpilloverError(f"--scheduler {address}: cannot connect ({exc}); start one with `dask scheduler` and "
                             "`dask worker ADDRESS --nthreads 1`") from None
    try:
        try:
            client.wait_for_workers(1, timeout=60)
        except TimeoutError:
            raise SpilloverError(f"--scheduler {address}: no worker joined within 60 s; start one with "
                                 f"`dask worker {address} --nthreads 1`") from None
        warmed = client.run(warm_worker, None, dtypes)
        log(f"dask: {len(warmed)} worker(s) warmed at {address} "
            f"({max(w['seconds'] for w in warmed.values()):.1f} s)")
        slots = max(1, sum(client.nthreads().values()))
        queue = list(tasks)[::-1]
        futures = {}
        ac = as_completed()
        while queue and len(futures) < 2 * slots:
            task = queue.pop()
            fut = client.submit(run_batch, task, pure=False)
            futures[fut.key] = (fut, task)
            ac.add(fut)
        for fut in ac:
            _, task = futures.pop(fut.key)
            try:
                yield task, fut.result()
            except Exception as exc:
                yield task, exc
            fut.release()
            if queue:
                nxt = queue.pop()
                new = client.submit(run_batch, nxt, pure=False)
                futures[new.key] = (new, nxt)
                ac.add(new)
    finally:
        client.close()


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


# ================================================================================================= reading
def load_sweep(path: str | os.PathLike) -> tuple[dict, pd.DataFrame]:
    """(spec, results) of a sweep folder or of its results.parquet (with sweep.json beside it).

    Rows still in parts/ (a sweep that was killed) are included.
    """
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if not path.exists():
        raise SpilloverError(f"{path} does not exist; give a sweep folder (spillover sweep ... --out DIR) or its "
                             f"{RESULTS_FILE}")
    store = ResultStore(folder)
    spec = store.read_spec()
    if spec is None:
        raise SpilloverError(f"{folder} has no {SWEEP_FILE}: not a sweep folder (spillover sweep ... --out DIR)")
    if path.is_file() and path.name != RESULTS_FILE:
        frame = pd.read_parquet(path)
    else:
        frame = store.load()
    if not len(frame):
        raise SpilloverError(f"{folder} has no results yet; run (or resume) the sweep first")
    return spec, frame


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, np.ndarray]:
    """The exact first-order and total Sobol' indices of the Ishigami function (inputs uniform on [-π, π])."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return {"S1": np.array([v1, v2, 0.0]) / var, "ST": np.array([v1 + v13, v2, v13]) / var}
