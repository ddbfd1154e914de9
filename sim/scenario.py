"""Scenarios: a validated, frozen configuration read from TOML.

A scenario file has these tables (every key optional; defaults below; units are part of the key names)::

    [scenario]    name, description, start, end (ISO dates), output_every_days, seed
    [grid]        cell_km, countries (ADM0_A3 list), crs
    [documents]   seeds (folder of documents), overrides (TOML of manual facts), published (for bare .txt)
    [diffusion]   kappa_km2_per_year, permeability (table "AAA-BBB" = factor, 0 closes a border)
    [growth]      base_rate_per_year, population_half_per_km2, loss_per_year and the weights of dated drivers
    [suppression] troops_effect_per_year, footprint_km, contingent sizes, exit_shift_days, forces_stay
    [initial]     risk, places (phrases such as "northern Mali"), from_documents, noise, state
    [output]      threshold, crossing_area_fraction, geotiff_days, dtype
    [numerics]    dt_days (0 = automatic sub-stepping), device ("cpu" or "cuda"), max_substeps_per_day, max_cells,
                  max_memory_gb, max_runs (work limits)

``scenario.end`` is inclusive: it is the date of the run's last state (a snapshot is always written on it), and
every date from ``start`` to ``end`` may be asked for (GeoTIFFs, maps, metrics; the rule for a date D is the last
snapshot at or before D, see :mod:`sim.output`).

A file may start with ``extends = "other.toml"`` (relative to itself) to take every value from that scenario and
change only what it lists. Paths (``documents.seeds``, ``documents.overrides``, ``initial.state``) are resolved
against the folder of the file that wrote them, also through ``extends``; :meth:`Scenario.to_toml` with
``relative_to`` writes them relative to another folder (a run folder's ``scenario.toml`` reruns as is).

Loading rejects unknown keys (listing the valid ones), wrong types and out-of-range values with a message naming
the file and the dotted key. Every numeric key is a sweep parameter (``Scenario.numeric_parameters``), addressed by
its dotted path, e.g. ``growth.weight_coups``; a table entry is addressed with one more part, e.g.
``suppression.contingent_sizes.Barkhane``.

Examples
--------
>>> s = Scenario.load("scenarios/withdrawal.toml")  # doctest: +SKIP
>>> s.replace(**{"suppression.contingent_sizes.Barkhane": 3000}).suppression.contingent_sizes["Barkhane"]
... # doctest: +SKIP
3000
"""
from __future__ import annotations

import dataclasses
import functools
import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_origin, get_type_hints

import tomli_w

from geo.errors import SpilloverError
from geo.shapes import REGION

#: Where the model kernel can run (numerics.device).
DEVICES = ("cpu", "cuda")


def _p(default, doc: str, units: str = "", lo: float | None = None, hi: float | None = None,
       lo_open: bool = False, sweep: bool = True):
    """A scenario field: default, documentation, units and an allowed range [lo, hi] (lo exclusive if lo_open).

    ``sweep=False`` keeps a numeric key out of :meth:`Scenario.numeric_parameters` (work limits are no model
    parameters).
    """
    factory = None
    if isinstance(default, (list, dict)):
        factory, default = (lambda d=default: type(d)(d)), dataclasses.MISSING
    meta = {"doc": doc, "units": units, "lo": lo, "hi": hi, "lo_open": lo_open, "sweep": sweep}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ScenarioInfo:
    name: str = _p("unnamed", "scenario name, used in titles and file metadata")
    description: str = _p("", "one-line description")
    start: dt.date = _p(dt.date(2012, 1, 1), "first simulated day (the documented onset of the insurgency)")
    end: dt.date = _p(dt.date(2027, 1, 1), "date of the last state (inclusive: a snapshot is written on it)")
    output_every_days: int = _p(30, "days between saved snapshots", "days", lo=1, hi=36525)
    seed: int = _p(0, "random seed (initial noise; sweeps give each replicate its own)", lo=0, hi=2**63 - 1)


@dataclass(frozen=True)
class GridConfig:
    cell_km: float = _p(10.0, "grid cell side", "km", lo=0.0, hi=1000.0, lo_open=True)
    countries: list = _p(list(REGION), "ADM0_A3 codes of the modelled countries")
    crs: str = _p("", "equal-area projected CRS (PROJ string or EPSG); empty = Albers fitted to the Sahel")


@dataclass(frozen=True)
class DocumentsConfig:
    seeds: str = _p("../seeds", "folder (or file) of news documents, relative to the scenario file")
    overrides: str = _p("", "TOML file of manual fact overrides, relative to the scenario file; empty = none")


@dataclass(frozen=True)
class DiffusionConfig:
    kappa_km2_per_year: float = _p(
        2500.0, "base diffusivity of risk; Fisher-KPP front speed is 2*sqrt(r*kappa)", "km²/year", lo=0.0,
        hi=1e6)
    permeability: dict = _p({}, 'border permeability per country pair, e.g. "MLI-BFA" = 0.5 (default 1; 0 closes)')


@dataclass(frozen=True)
class GrowthConfig:
    base_rate_per_year: float = _p(0.6, "growth rate r0 of risk in a densely populated cell (p -> 1) before any "
                                   "driver is in force", "1/year", lo=0.0, hi=365.0)
    population_half_per_km2: float = _p(
        2.0, "population density at which the population factor p = rho/(rho + rho_half) is 1/2 (p scales both "
        "growth r = r0 p D and capacity K = p)", "people/km²", lo=0.0, hi=1e5, lo_open=True)
    loss_per_year: float = _p(0.1, "loss rate delta of risk everywhere (attrition, demobilisation, return to "
                              "normal life)", "1/year", lo=0.0, hi=365.0)
    weight_coups: float = _p(0.15, "relative increase of r per documented coup in force (from its date)",
                             "per coup", lo=-1.0, hi=10.0)
    weight_armed_partner: float = _p(
        0.25, "relative increase of r from the start of a documented partnership of the government with an armed "
        "group or foreign military company", "per partnership", lo=-1.0, hi=10.0)
    noise_sd: float = _p(
        0.0, "standard deviation of the seeded multiplicative noise on growth, r -> r exp(s z - s²/2) with z a "
        "smooth unit Gaussian field redrawn every noise_every_days (0 = deterministic)", "", lo=0.0, hi=3.0)
    noise_length_km: float = _p(100.0, "correlation length (Gaussian smoothing radius) of the growth noise field",
                                "km", lo=0.0, hi=5000.0, lo_open=True)
    noise_every_days: int = _p(365, "the growth noise field is redrawn every this many days", "days", lo=1,
                               hi=36500)
    country_factor: dict = _p({}, 'analyst\'s multiplier on r per country, e.g. DZA = 0.3 for strong state '
                              'control (default 1; not from the documents)')


@dataclass(frozen=True)
class SuppressionConfig:
    troops_effect_per_year: float = _p(
        0.05, "suppression rate sigma at a garrison per 1,000 foreign troops based there (times the footprint)",
        "1/year per 1000 troops", lo=0.0, hi=100.0)
    footprint_km: float = _p(100.0, "radius (Gaussian standard deviation) of the area a garrison suppresses around "
                             "its base town", "km", lo=0.0, hi=5000.0, lo_open=True)
    default_contingent_size: float = _p(
        500.0, "troops assumed for a contingent whose size no document or size table states", "troops", lo=0.0,
        hi=1e6)
    contingent_sizes: dict = _p(
        {}, 'assumed troops by actor or mission where the documents state none, e.g. Barkhane = 5000 (a '
        'mission across several hosts is split evenly between them)')
    exit_shift_days: int = _p(0, "shift every documented withdrawal or suspension by this many days "
                                 "(negative = earlier exit)", "days", lo=-36500, hi=36500)
    forces_stay: bool = _p(False, "ignore every withdrawal and suspension: foreign forces stay to the end")
    state_capital_per_year: float = _p(
        2.0, "suppression rate sigma at each modelled country's capital by its own state (decaying with distance, "
        "see state_reach_km); 0 = none", "1/year", lo=0.0, hi=100.0)
    state_reach_km: float = _p(100.0, "radius (Gaussian standard deviation) of the state's suppression around its "
                               "capital", "km", lo=0.0, hi=5000.0, lo_open=True)


@dataclass(frozen=True)
class InitialConfig:
    risk: float = _p(0.1, "initial risk inside the onset places, as a fraction of the local capacity K", "", lo=0.0, hi=1.0)
    places: list = _p([], 'place phrases seeded with `risk`, e.g. ["northern Mali"]')
    from_documents: bool = _p(True, "also seed the insurgency onset places that the documents state")
    noise: float = _p(0.0, "amplitude of uniform random noise added to the initial risk (seeded)", "", lo=0.0,
                      hi=1.0)
    state: str = _p("", "NetCDF of a previous run to start from (its last snapshot); empty = none")


@dataclass(frozen=True)
class OutputConfig:
    threshold: float = _p(0.05, "risk above which a cell counts as 'at risk'", "", lo=0.0, hi=1.0)
    crossing_area_fraction: float = _p(
        0.1, "a country 'crosses' the threshold on the first date this fraction of its area is at risk", "",
        lo=0.0, hi=1.0, lo_open=True)
    geotiff_days: list = _p([], "ISO dates to also write as GeoTIFF snapshots")
    dtype: str = _p("float32", "floating type of the state: float32 or float64")


@dataclass(frozen=True)
class NumericsConfig:
    dt_days: float = _p(0.0, "explicit time step; 0 = automatic sub-stepping within the stability limit "
                             "(a larger step is refused, never run)", "days", lo=0.0, hi=1.0)
    device: str = _p("cpu", 'where the kernel runs: "cpu" (numba) or "cuda" (numba.cuda on an NVIDIA GPU; needs '
                            "the [cuda] extra)")
    max_substeps_per_day: int = _p(1000, "refuse a run whose stability limit needs more explicit sub-steps per day",
                                   "steps/day", lo=1, sweep=False)
    max_cells: int = _p(50_000_000, "refuse a grid with more cells (the whole region at 1 km has 22.8 million)",
                        "cells", lo=1, sweep=False)
    max_memory_gb: float = _p(8.0, "refuse a run whose estimated memory is larger", "GB", lo=0.0, lo_open=True,
                              sweep=False)
    max_runs: int = _p(100_000, "refuse an ensemble, sweep or calibration with more model runs", "runs", lo=1,
                       sweep=False)


SECTIONS: dict[str, type] = {
    "scenario": ScenarioInfo,
    "grid": GridConfig,
    "documents": DocumentsConfig,
    "diffusion": DiffusionConfig,
    "growth": GrowthConfig,
    "suppression": SuppressionConfig,
    "initial": InitialConfig,
    "output": OutputConfig,
    "numerics": NumericsConfig,
}


@dataclass(frozen=True)
class Scenario:
    """A complete, validated scenario. Build it with :meth:`load`, :meth:`from_dict` or :meth:`replace`."""

    scenario: ScenarioInfo = field(default_factory=ScenarioInfo)
    grid: GridConfig = field(default_factory=GridConfig)
    documents: DocumentsConfig = field(default_factory=DocumentsConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    growth: GrowthConfig = field(default_factory=GrowthConfig)
    suppression: SuppressionConfig = field(default_factory=SuppressionConfig)
    initial: InitialConfig = field(default_factory=InitialConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    numerics: NumericsConfig = field(default_factory=NumericsConfig)
    base_dir: str = "."  # folder that relative paths are resolved against (the scenario file's)

    # ----------------------------------------------------------------------------------------------- loading
    @classmethod
    def load(cls, path: str | Path) -> "Scenario":
        """Read and validate a scenario TOML file (following ``extends``).

        Parameters
        ----------
        path : str or Path
            The TOML file; relative paths in it are resolved against its folder.

        Returns
        -------
        Scenario

        Raises
        ------
        geo.errors.SpilloverError
            A missing file, bad TOML, an unknown table or key, a wrong type or a value out of range (the message
            names the file, the dotted key and what is valid).

        Examples
        --------
        >>> s = Scenario.load("scenarios/withdrawal.toml")  # doctest: +SKIP
        >>> s.scenario.start, s.grid.cell_km  # doctest: +SKIP
        (datetime.date(2012, 1, 1), 10.0)
        """
        path = Path(path)
        if not path.is_file():
            raise SpilloverError(f"scenario file {path} does not exist; see scenarios/ for examples")
        return cls.from_dict(_read_with_extends(path), source=str(path), base_dir=str(path.resolve().parent))

    @classmethod
    def from_dict(cls, data: dict, source: str = "<dict>", base_dir: str = ".") -> "Scenario":
        """Validate a nested dict (as read from TOML) into a Scenario.

        Examples
        --------
        >>> Scenario.from_dict({"grid": {"cell_km": 50.0}}).grid.cell_km
        50.0
        """
        if not isinstance(data, dict):
            raise SpilloverError(f"{source}: a scenario is a table of tables, got {type(data).__name__}")
        unknown = sorted(set(data) - set(SECTIONS))
        if unknown:
            raise SpilloverError(f"{source}: unknown table(s) {unknown}; valid tables: {list(SECTIONS)}")
        sections = {}
        for name, section_cls in SECTIONS.items():
            raw = data.get(name, {})
            if not isinstance(raw, dict):
                raise SpilloverError(f"{source}: [{name}] must be a table, got {raw!r}")
            sections[name] = _build_section(section_cls, raw, f"{source}: {name}")
        scenario = cls(**sections, base_dir=base_dir)
        scenario._check(source)
        return scenario

    def _check(self, source: str) -> None:
        info = self.scenario
        if info.end <= info.start:
            raise SpilloverError(f"{source}: scenario.end ({info.end}) must be after scenario.start ({info.start})")
        codes = list(self.grid.countries)
        if not codes or not all(isinstance(c, str) for c in codes):
            raise SpilloverError(f"{source}: grid.countries must be a non-empty list of ADM0_A3 codes")
        unknown = [c for c in codes if c not in _known_codes()]
        if unknown:
            raise SpilloverError(f"{source}: grid.countries has unknown country code(s) {unknown}; valid ADM0_A3 "
                                 f"codes: {sorted(_known_codes())}")
        for key, value in self.diffusion.permeability.items():
            parts = key.split("-")
            if len(parts) != 2 or not all(p in codes for p in parts) or parts[0] == parts[1]:
                raise SpilloverError(
                    f"{source}: diffusion.permeability key {key!r} must name two different modelled countries as "
                    f"'AAA-BBB' (ADM0_A3 codes from grid.countries: {codes})")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1e3:
                raise SpilloverError(
                    f"{source}: diffusion.permeability.{key} = {value!r}; valid: a number ≥ 0 (0 closes the border)")
        for key, value in self.growth.country_factor.items():
            if key not in codes:
                raise SpilloverError(f"{source}: growth.country_factor key {key!r} is not a modelled country; "
                                     f"valid: ADM0_A3 codes from grid.countries {codes}")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 100:
                raise SpilloverError(f"{source}: growth.country_factor.{key} = {value!r}; valid: a number in [0, 100]")
        for key, value in self.suppression.contingent_sizes.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1e6:
                raise SpilloverError(
                    f"{source}: suppression.contingent_sizes.{key} = {value!r}; valid: a troop count ≥ 0 and ≤ 1e6")
        if self.output.dtype not in ("float32", "float64"):
            raise SpilloverError(f"{source}: output.dtype = {self.output.dtype!r}; valid: 'float32' or 'float64'")
        if self.numerics.device not in DEVICES:
            raise SpilloverError(f"{source}: numerics.device = {self.numerics.device!r}; valid: "
                                 + " or ".join(repr(d) for d in DEVICES))
        for day in self.output.geotiff_days:
            try:
                when = dt.date.fromisoformat(str(day))
            except ValueError:
                raise SpilloverError(f"{source}: output.geotiff_days entry {day!r} is not an ISO date "
                                     "(YYYY-MM-DD)") from None
            if not info.start <= when <= info.end:
                raise SpilloverError(f"{source}: output.geotiff_days entry {day} is outside the run "
                                     f"[{info.start}, {info.end}] (scenario.start to scenario.end, inclusive)")
        if not all(isinstance(p, str) and p.strip() for p in self.initial.places):
            raise SpilloverError(f"{source}: initial.places must be a list of place phrases such as "
                                 "'northern Mali'")
        if self.grid.crs:
            _check_crs(self.grid.crs, source)

    # ------------------------------------------------------------------------------------------- utilities
    def to_dict(self, relative_to: str | Path | None = None) -> dict:
        """The resolved scenario as a nested dict of TOML-able values.

        With ``relative_to`` (a folder), the path keys (:data:`PATH_KEYS`) are written relative to that folder,
        so that a file saved there reads the same inputs.
        """
        out = {}
        for name in SECTIONS:
            section = getattr(self, name)
            out[name] = {f.name: _plain(getattr(section, f.name)) for f in fields(section)}
        if relative_to is not None:
            for section, key in PATH_KEYS:
                resolved = self.resolve_path(out[section][key])
                if resolved is not None:
                    out[section][key] = _relative(resolved, Path(relative_to))
        return out

    def to_toml(self, relative_to: str | Path | None = None) -> str:
        """The resolved scenario as TOML; with ``relative_to``, its paths are rewritten relative to that folder.

        Examples
        --------
        >>> print(Scenario().to_toml().splitlines()[0])
        [scenario]
        """
        return tomli_w.dumps(self.to_dict(relative_to))

    def replace(self, **dotted: Any) -> "Scenario":
        """A copy with some values changed by dotted key, validated again.

        Parameters
        ----------
        **dotted
            ``"section.key"`` = value, or ``"section.table.entry"`` = value for an entry of a table-valued key
            (``suppression.contingent_sizes``, ``growth.country_factor``, ``diffusion.permeability``).

        Returns
        -------
        Scenario
            The changed, validated copy (the original is unchanged).

        Examples
        --------
        >>> s = Scenario()
        >>> s.replace(**{"growth.weight_coups": 0.5}).growth.weight_coups
        0.5
        >>> s.replace(**{"suppression.contingent_sizes.Barkhane": 3000}).suppression.contingent_sizes
        {'Barkhane': 3000}
        """
        data = self.to_dict()
        for key, value in dotted.items():
            section, name, entry = _split_key(key, data)
            if entry is None:
                data[section][name] = value
            else:
                data[section][name] = {**data[section][name], entry: value}
        return Scenario.from_dict(data, source=f"scenario {self.scenario.name!r}", base_dir=self.base_dir)

    def get(self, dotted: str) -> Any:
        """The value of a dotted key (``"growth.weight_coups"``, ``"suppression.contingent_sizes.Barkhane"``)."""
        section, name, entry = _split_key(dotted, self.to_dict())
        value = getattr(getattr(self, section), name)
        if entry is None:
            return value
        if entry not in value:
            raise SpilloverError(f"scenario key {dotted!r}: {section}.{name} has no entry {entry!r}; it has "
                                 f"{sorted(value)}")
        return value[entry]

    @staticmethod
    def numeric_parameters() -> dict[str, dict]:
        """Every numeric key (dotted path) with its default, units, range and doc: what sweeps can vary."""
        out = {}
        for name, section_cls in SECTIONS.items():
            hints = get_type_hints(section_cls)
            for f in fields(section_cls):
                if hints[f.name] in (int, float) and f.metadata.get("sweep", True):
                    out[f"{name}.{f.name}"] = {"default": f.default, "type": hints[f.name].__name__, **f.metadata}
        return out

    def resolve_path(self, value: str) -> Path | None:
        """A path from the scenario, resolved against the scenario file's folder; None if empty."""
        if not value:
            return None
        path = Path(value)
        return path if path.is_absolute() else Path(self.base_dir) / path

    @property
    def days(self) -> int:
        """Days from ``scenario.start`` to ``scenario.end`` (the last state is on ``end``)."""
        return (self.scenario.end - self.scenario.start).days


#: (section, key) of every scenario value that is a path (resolved against the file that wrote it).
PATH_KEYS = (("documents", "seeds"), ("documents", "overrides"), ("initial", "state"))


def _relative(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` (both made absolute), as a POSIX string."""
    import os

    return Path(os.path.relpath(Path(path).resolve(), Path(folder).resolve())).as_posix()


def _split_key(key: str, data: dict) -> tuple[str, str, str | None]:
    """(section, key, table entry or None) of a dotted key, or a SpilloverError listing valid keys."""
    parts = str(key).split(".", 2)
    section, name = parts[0], parts[1] if len(parts) > 1 else ""
    if section not in data or name not in data[section]:
        valid = sorted(f"{s}.{k}" for s, keys in data.items() for k in keys)
        raise SpilloverError(f"unknown scenario key {key!r}; valid keys: {valid}")
    entry = parts[2] if len(parts) == 3 else None
    if entry is not None and not isinstance(data[section][name], dict):
        raise SpilloverError(f"scenario key {key!r}: {section}.{name} is not a table, so it has no entries; use "
                             f"{section}.{name}")
    if entry == "":
        raise SpilloverError(f"scenario key {key!r}: empty table entry; e.g. suppression.contingent_sizes.Barkhane")
    return section, name, entry


def _check_crs(value: str, source: str) -> None:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_user_input(value)
    except (CRSError, TypeError, ValueError) as exc:
        raise SpilloverError(f"{source}: grid.crs = {value!r} is not a CRS pyproj understands "
                             f"({' '.join(str(exc).split())[:160]}); valid: a PROJ string, 'EPSG:NNNN' or WKT of an "
                             "equal-area projected CRS in metres, or empty for the default Albers") from None
    if not crs.is_projected:
        raise SpilloverError(f"{source}: grid.crs = {value!r} is not projected; valid: an equal-area projected CRS "
                             "in metres (e.g. '+proj=aea ...' or 'EPSG:6933'), or empty for the default")
    units = {a.unit_name for a in crs.axis_info}
    if units - {"metre"}:
        raise SpilloverError(f"{source}: grid.crs = {value!r} has axis units {sorted(units)}; valid: a projected "
                             "CRS in metres")


def _read_with_extends(path: Path, seen: tuple[Path, ...] = (), top: Path | None = None) -> dict:
    """Read a scenario TOML; a top-level ``extends = "other.toml"`` starts from that file (deep-merged)."""
    if path.resolve() in seen:
        raise SpilloverError(f"{path}: 'extends' loops back to itself ({' -> '.join(map(str, seen))})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpilloverError(f"{path}: not valid TOML: {exc}") from exc
    if top is not None:
        _anchor_paths(data, path, top)
    base_name = data.pop("extends", None)
    if base_name is None:
        return data
    if not isinstance(base_name, str):
        raise SpilloverError(f"{path}: extends = {base_name!r}; valid: the path of another scenario file")
    base_path = path.parent / base_name
    if not base_path.is_file():
        raise SpilloverError(f"{path}: extends = {base_name!r}, but {base_path} does not exist")
    return _merge(_read_with_extends(base_path, seen + (path.resolve(),), top or path.resolve().parent), data)


def _anchor_paths(data: dict, path: Path, top: Path) -> None:
    """Rewrite the relative paths of ``path`` (a file reached through ``extends``), which are relative to its own
    folder, relative to ``top``, the folder of the scenario file being loaded (the scenario's ``base_dir``)."""
    folder = path.resolve().parent
    for section, key in PATH_KEYS:
        table = data.get(section)
        if isinstance(table, dict) and isinstance(table.get(key), str) and table[key]:
            if not Path(table[key]).is_absolute():
                table[key] = _relative(folder / table[key], top)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "permeability":
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@functools.lru_cache(maxsize=1)
def _known_codes() -> frozenset[str]:
    from sim import geocache

    return frozenset(geocache.country_names())  # load_countries()' codes, without reading the shapes when cached


def _build_section(cls, raw: dict, where: str):
    hints = get_type_hints(cls)
    valid = [f.name for f in fields(cls)]
    unknown = sorted(set(raw) - set(valid))
    if unknown:
        raise SpilloverError(f"{where}: unknown key(s) {unknown}; valid keys: {valid}")
    values = {}
    for f in fields(cls):
        if f.name not in raw:
            continue
        values[f.name] = _coerce(raw[f.name], hints[f.name], f, f"{where}.{f.name}")
    return cls(**values)


def _coerce(value, kind, f, where: str):
    meta = f.metadata
    units = f" [{meta['units']}]" if meta.get("units") else ""
    if kind is bool:
        if not isinstance(value, bool):
            raise SpilloverError(f"{where} = {value!r}; valid: true or false")
        return value
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
            raise SpilloverError(f"{where} = {value!r}; valid: a {'whole ' if kind is int else ''}number{units}")
        value = kind(value)
        if not math.isfinite(value):
            raise SpilloverError(f"{where} = {value!r}; valid: a finite number{units}")
        lo, hi = meta.get("lo"), meta.get("hi")
        too_low = lo is not None and (value <= lo if meta.get("lo_open") else value < lo)
        if too_low or (hi is not None and value > hi):
            shown = (lambda v: f"{v:,}") if kind is int else (lambda v: f"{v:g}")
            lo_s = "" if lo is None else (f"> {shown(lo)}" if meta.get("lo_open") else f"≥ {shown(lo)}")
            hi_s = "" if hi is None else f"≤ {shown(hi)}"
            rng = " and ".join(s for s in (lo_s, hi_s) if s)
            raise SpilloverError(f"{where} = {value!r} is out of range; valid: {rng}{units}")
        return value
    if kind is dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise SpilloverError(f"{where} = {value!r}; valid: an ISO date such as 2022-11-14") from None
    if kind is str:
        if not isinstance(value, str):
            raise SpilloverError(f"{where} = {value!r}; valid: a string")
        return value
    origin = get_origin(kind) or kind
    if origin is list:
        if not isinstance(value, list):
            raise SpilloverError(f"{where} = {value!r}; valid: a list")
        return list(value)
    if origin is dict:
        if not isinstance(value, dict):
            raise SpilloverError(f"{where} = {value!r}; valid: a table")
        return dict(value)
    raise TypeError(f"unsupported scenario field type {kind} at {where}")  # pragma: no cover


def _plain(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value

