"""Sweep designs: the swept parameters, their parsing, the SALib designs, run ids and seeds, the spec."""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from geo.errors import SpilloverError
from sim.scenario import Scenario
from sim.sweep.metrics import Metrics
from sim.sweep.ishigami import ISHIGAMI_PARAMETERS

SPEC_VERSION = 2
#: The largest seed (seeds are stored as int64).
MAX_SEED = 2**63 - 1
METHODS = ("grid", "lhs", "sobol", "morris")
MODELS = ("spillover", "ishigami")
#: Scenario keys that are not sweep parameters (each run gets its own seed).
RESERVED = ("scenario.seed",)

RUN_COLUMNS = ["run_id", "point", "replicate"]
STATUS_COLUMNS = ["seed", "status", "error", "seconds", "days", "substeps"]


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
        runs, limit = self.point_count() * self.replicates, self.scenario.numerics.max_runs
        if runs > limit:
            raise SpilloverError(f"--method {self.method} --n {self.n} with {len(self.params)} parameter(s) and "
                                 f"--replicates {self.replicates} gives {runs:,} runs, more than numerics.max_runs = "
                                 f"{limit:,}; give a smaller --n, or raise numerics.max_runs in the scenario "
                                 "(--set numerics.max_runs=N)")
        last = self.seed + self.point_count() * self.replicates - 1
        if last > MAX_SEED:
            raise SpilloverError(f"--seed {self.seed}: run seeds go up to seed + runs − 1 = {last}, above the largest "
                                 f"seed 2**63 − 1 = {MAX_SEED}; give a seed ≤ "
                                 f"{max(0, MAX_SEED - self.point_count() * self.replicates + 1)}")
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

    def point_count(self) -> int:
        """Design points, without building the design."""
        d = len(self.params)
        return {"grid": self.n ** d, "lhs": self.n, "morris": self.n * (d + 1),
                "sobol": self.n * ((2 * d + 2) if self.second_order else (d + 2))}[self.method]

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
    def spec(self, design: np.ndarray | None = None, inputs: dict | None = None) -> dict:
        """What ``sweep.json`` records: everything that determines the results (:data:`SPEC_KEYS`, ``inputs``: the
        content hashes of :func:`sim.sweep.inputs.input_fingerprints`), the design, versions and a ``sweep_id``."""
        design = self.design() if design is None else design
        spec = {
            "tool": "sahel-spillover",
            "kind": "sweep",
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
            "inputs": inputs or {},
        }
        spec["sweep_id"] = sweep_id(spec)
        return spec


#: Keys of sweep.json that must match for a resume (the rest is informative).
SPEC_KEYS = ("spec_version", "model", "scenario", "params", "method", "n", "seed", "replicates", "second_order",
             "levels", "metrics", "inputs")


def canonical(value):
    """``value`` as plain JSON data (tuples as lists, keys sorted): what two specs are compared on."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def sweep_id(spec: dict) -> str:
    """A short hash of what determines a sweep's results (:data:`SPEC_KEYS`), written into every results file."""
    data = json.dumps({k: canonical(spec.get(k)) for k in SPEC_KEYS}, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()[:16]
