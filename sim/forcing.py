"""Forcing: from a scenario, the grid and the document-derived inputs to the model's coefficient tables.

Units: the model's clock is in days, lengths in km. Scenario rates are per year and converted with 365.25 days.

- **Diffusivity on faces.** ``κ = kappa_km2_per_year / 365.25`` (km²/day) on every face between two modelled
  cells; a face between countries a and b is scaled by ``permeability[a, b]`` (default 1, 0 closes the border).
- **Growth per country** (1/day)::

      r_c = r0 · max(0, 1 + w_coups·coups_c + w_armed_partner·armed_partner_c + w_protests·protests_c
                           + w_epicentre·epicentre_c + w_spread·spread_into_c)

  with the attribute columns of :func:`geo.documents.attributes.country_attributes` and the weights of ``[growth]``,
  times the analyst's ``growth.country_factor`` for c (default 1; e.g. state capacity, which no document states).
- **Suppression per country and day** (1/day)::

      σ_c(t) = troops_effect_per_year / 365.25 · Σ_k troops_k,c(t) / 1000

  summed over the contingents k of the deployment timeline present in country c on day t. A contingent is present
  from ``present_from`` (unknown = before the run) until ``present_until`` shifted by ``exit_shift_days`` (unknown
  = to the end); with ``forces_stay`` nobody leaves. Its troops are the size the documents state, else the
  scenario's ``contingent_sizes`` for its actor or mission, else ``default_contingent_size``; an (actor, mission)
  with several hosts is split evenly among them. Private military companies (``actor_kind == "company"``, e.g.
  Wagner) are not counted: the documents' partnership with them raises growth instead.
- **Initial risk** ``u0``: ``initial.risk`` in the cells of the onset places (those the documents state when
  ``from_documents``, and ``initial.places``), 0 elsewhere, plus seeded uniform noise of amplitude
  ``initial.noise``, clipped to [0, 1]; or the last snapshot of a previous run (``initial.state``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import SpilloverError
from geo.grid import SAHEL_ALBERS, Grid, build_grid
from geo.places import resolve_place
from geo.shapes import load_countries
from sim.scenario import Scenario

DAYS_PER_YEAR = 365.25
#: Timeline actors whose presence does not suppress the insurgency (their partnership raises r instead).
NON_SUPPRESSING_KINDS = ("company",)
ATTRIBUTE_WEIGHTS = {
    "coups": "weight_coups",
    "armed_partner": "weight_armed_partner",
    "protests": "weight_protests",
    "epicentre": "weight_epicentre",
    "spread_into": "weight_spread",
}


@dataclass(frozen=True)
class DocumentInputs:
    """What the model takes from the documents."""

    attributes: pd.DataFrame  # indexed by ADM0_A3, columns of geo.documents.attributes.country_attributes
    timeline: pd.DataFrame  # rows of geo.documents.attributes.deployment_timeline
    onsets: tuple[tuple[str, int | None], ...]  # (place phrase, year)
    documents: tuple[dict, ...]  # id, path, sha256 of each document read (for provenance)


@dataclass(frozen=True)
class Forcing:
    """Coefficient tables for one scenario on one grid (index 0 of every table = outside the mask)."""

    kappa: float  # km²/day
    perm: np.ndarray  # (n+1, n+1) face permeability
    r_tab: np.ndarray  # (n+1,) growth rate, 1/day
    u0: np.ndarray  # (ny, nx) initial risk
    troops: pd.DataFrame  # contingents with resolved troop numbers and effective presence dates
    troop_changes: tuple[tuple[dt.date, np.ndarray], ...]  # (first day, troops per country id), sorted
    sigma_per_troop: float  # 1/day per soldier

    @property
    def sigma_changes(self) -> tuple[tuple[dt.date, np.ndarray], ...]:
        """(first day, σ table in 1/day), sorted."""
        return tuple((day, self.sigma_per_troop * table) for day, table in self.troop_changes)

    def troops_on(self, day: dt.date) -> np.ndarray:
        """(n+1,) troops present per country id on ``day``."""
        current = self.troop_changes[0][1]
        for start, table in self.troop_changes:
            if start > day:
                break
            current = table
        return current

    def sigma_on(self, day: dt.date) -> np.ndarray:
        """The σ table (1/day) in force on ``day``."""
        return self.sigma_per_troop * self.troops_on(day)


# ------------------------------------------------------------------------------------------------ loading
@lru_cache(maxsize=8)
def _grid_cached(cell_km: float, codes: tuple[str, ...], crs: str) -> Grid:
    return build_grid(load_countries(), cell_km=cell_km, codes=codes, crs=crs or SAHEL_ALBERS)


def scenario_grid(scenario: Scenario) -> Grid:
    """The scenario's grid (cached: sweeps over the same grid build it once)."""
    g = scenario.grid
    return _grid_cached(float(g.cell_km), tuple(g.countries), g.crs)


def document_inputs(scenario: Scenario) -> DocumentInputs:
    """Read the scenario's documents (and overrides) into attributes, timeline and onsets (cached by paths)."""
    seeds = scenario.resolve_path(scenario.documents.seeds)
    overrides = scenario.resolve_path(scenario.documents.overrides)
    return _document_inputs_cached(str(seeds) if seeds else "", str(overrides) if overrides else "",
                                   tuple(scenario.grid.countries))


@lru_cache(maxsize=8)
def _document_inputs_cached(seeds: str, overrides: str, codes: tuple[str, ...]) -> DocumentInputs:
    if not seeds:  # a scenario without documents: no attributes, no forces, onsets from initial.places only
        timeline = pd.DataFrame(columns=["actor", "mission", "host", "present_from", "present_until", "size"])
        return DocumentInputs(pd.DataFrame(index=list(codes)), timeline, (), ())
    if not Path(seeds).exists():
        raise SpilloverError(f"documents.seeds: {seeds} does not exist; point it at a folder of documents "
                             "such as seeds/")
    from geo.documents.read import load_documents, sidecar_path
    from sim import cache

    documents = load_documents(seeds)
    files = [p for d in documents for p in (d.path, sidecar_path(d.path)) if p.is_file()]
    entry = cache.key(files, Path(overrides) if overrides else None, codes)
    hit = cache.load(entry)
    if hit is not None:
        return hit
    from geo.documents.attributes import country_attributes, deployment_timeline, facts_from_seeds, onset_places
    from geo.documents.nlp import pipeline_info

    facts = facts_from_seeds(seeds, overrides=overrides or None)
    inputs = DocumentInputs(
        attributes=country_attributes(facts, list(codes)),
        timeline=deployment_timeline(facts),
        onsets=tuple(onset_places(facts)),
        documents=tuple(_fingerprints(files, Path(overrides) if overrides else None))
        + ({"pipeline": pipeline_info()},),
    )
    cache.store(entry, inputs)
    return inputs


def _fingerprints(files: list[Path], overrides: Path | None) -> list[dict]:
    """Name and sha256 of every document, sidecar and overrides file read (data versions for provenance)."""
    files = sorted(files)
    if overrides is not None:
        files.append(overrides)
    return [{"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in files]


# ------------------------------------------------------------------------------------------------ tables
def permeability_table(scenario: Scenario, grid: Grid) -> np.ndarray:
    """(n+1, n+1) face permeability: 1 within and between countries unless configured, 0 to outside."""
    n = len(grid.codes)
    perm = np.ones((n + 1, n + 1))
    perm[0, :] = perm[:, 0] = 0.0
    for key, value in scenario.diffusion.permeability.items():
        a, b = (grid.id_of(code) for code in key.split("-"))
        perm[a, b] = perm[b, a] = float(value)
    return perm


def growth_table(scenario: Scenario, grid: Grid, attributes: pd.DataFrame) -> np.ndarray:
    """(n+1,) growth rate r per country in 1/day (see the module docstring)."""
    g = scenario.growth
    r = np.zeros(len(grid.codes) + 1)
    for i, code in enumerate(grid.codes, start=1):
        factor = 1.0
        if code in attributes.index:
            row = attributes.loc[code]
            for column, weight in ATTRIBUTE_WEIGHTS.items():
                value = row.get(column, 0.0)
                factor += getattr(g, weight) * (0.0 if pd.isna(value) else float(value))
        r[i] = g.base_rate_per_year / DAYS_PER_YEAR * max(0.0, factor) * g.country_factor.get(code, 1.0)
    return r


def contingents(scenario: Scenario, timeline: pd.DataFrame) -> pd.DataFrame:
    """The timeline with resolved troops per host and the effective presence window (scenario applied)."""
    s = scenario.suppression
    rows = timeline.copy()
    if "actor_kind" in rows:  # private military companies (Wagner) raise growth through attributes, never suppress
        rows = rows[~rows["actor_kind"].isin(NON_SUPPRESSING_KINDS)].reset_index(drop=True)
    if rows.empty:
        return rows.assign(troops=pd.Series(dtype=float), effective_until=pd.Series(dtype="datetime64[ns]"))
    hosts_per_contingent = rows.groupby(["actor", "mission"], dropna=False)["host"].transform("nunique")
    troops = []
    for row, n_hosts in zip(rows.itertuples(index=False), hosts_per_contingent):
        size = row.size
        if size is None or pd.isna(size):
            size = _assumed_size(s, row.actor, row.mission)
        troops.append(float(size) / n_hosts)
    rows["troops"] = troops
    until = pd.to_datetime(rows["present_until"])
    if s.forces_stay:
        until = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")
    else:
        until = until + pd.Timedelta(days=s.exit_shift_days)
    rows["effective_until"] = until
    return rows


def _assumed_size(s, actor, mission) -> float:
    table = {str(k).casefold(): v for k, v in s.contingent_sizes.items()}
    for key in (actor, mission):
        if isinstance(key, str) and key.casefold() in table:
            return float(table[key.casefold()])
    return s.default_contingent_size


def troops_present(grid: Grid, troops: pd.DataFrame, day: dt.date) -> np.ndarray:
    """(n+1,) foreign troops present in each country (by id) on ``day``."""
    table = np.zeros(len(grid.codes) + 1)
    stamp = pd.Timestamp(day)
    for row in troops.itertuples(index=False):
        if row.host not in grid.codes:
            continue
        arrive, leave = pd.Timestamp(row.present_from), pd.Timestamp(row.effective_until)
        if (pd.isna(arrive) or arrive <= stamp) and (pd.isna(leave) or stamp < leave):
            table[grid.id_of(row.host)] += row.troops
    return table


def troop_schedule(scenario: Scenario, grid: Grid, troops: pd.DataFrame) -> tuple[tuple[dt.date, np.ndarray], ...]:
    """Piecewise-constant troops per country: one table per day on which some contingent arrives or leaves."""
    start, end = scenario.scenario.start, scenario.scenario.end
    change_days = {start}
    for column in ("present_from", "effective_until"):
        for when in pd.to_datetime(troops.get(column, pd.Series(dtype="datetime64[ns]"))):
            if not pd.isna(when) and start < when.date() < end:
                change_days.add(when.date())
    return tuple((day, troops_present(grid, troops, day)) for day in sorted(change_days))


def initial_risk(scenario: Scenario, grid: Grid, countries: gpd.GeoDataFrame,
                 onsets: tuple[tuple[str, int | None], ...]) -> np.ndarray:
    """u0 on the grid (see the module docstring)."""
    init = scenario.initial
    state = scenario.resolve_path(init.state)
    if state is not None:
        return _state_from_run(state, grid)
    phrases = list(init.places)
    documented = [phrase for phrase, _ in onsets] if init.from_documents else []
    phrases += documented
    u0 = np.zeros(grid.shape)
    context = grid.codes[0] if grid.codes else None
    for phrase in dict.fromkeys(phrases):
        try:
            place = resolve_place(phrase, countries, context=context)
        except SpilloverError:
            if phrase in documented and phrase not in init.places:
                continue  # a documented onset place geo.places cannot draw yet ("Tillabéri region")
            raise
        inside = grid.rasterize(gpd.GeoSeries([place.geometry], crs="EPSG:4326"))
        if place.kind == "capital" or not inside.any():
            row, col = grid.cell_of(*place.geometry.centroid.coords[0])
            inside = np.zeros(grid.shape, bool)
            if 0 <= row < grid.shape[0] and 0 <= col < grid.shape[1]:
                inside[row, col] = True
        u0[inside & grid.mask] = init.risk
    if not u0.any() and not init.noise:
        raise SpilloverError(
            f"scenario {scenario.scenario.name!r}: the initial risk is zero everywhere: the documents give no "
            "insurgency onset and initial.places is empty; add e.g. initial.places = [\"northern Mali\"]")
    if init.noise:
        rng = np.random.default_rng(scenario.scenario.seed)
        u0 = u0 + init.noise * rng.random(grid.shape)
    return np.where(grid.mask, np.clip(u0, 0.0, 1.0), 0.0)


#: Carrying capacity of risk: the logistic saturates at u = 1 (a loaded state must lie in [0, K]).
CAPACITY = 1.0


def _state_from_run(path: Path, grid: Grid) -> np.ndarray:
    """The last snapshot of a previous run's risk.nc (or run folder), checked against this grid: same shape,
    coordinates and modelled cells; finite and within [0, K] inside the countries. Anything else is a
    :class:`SpilloverError` saying what is wrong."""
    import netCDF4

    where = f"initial.state: {path}"
    if path.is_dir():
        if not (path / "risk.nc").is_file():
            raise SpilloverError(f"{where} is a folder without risk.nc; give the risk.nc of a previous run")
        path, where = path / "risk.nc", f"initial.state: {path / 'risk.nc'}"
    if not path.exists():
        raise SpilloverError(f"{where} does not exist; give the risk.nc of a previous run")
    try:
        ds = netCDF4.Dataset(path, "r")
    except (OSError, RuntimeError, ValueError) as exc:
        raise SpilloverError(f"{where} is not a NetCDF file ({' '.join(str(exc).split())[:80]}); give the risk.nc "
                             "of a previous run") from None
    try:
        ds.set_auto_mask(False)
        if "risk" not in ds.variables:
            raise SpilloverError(f"{where} has no variable 'risk'; give the risk.nc of a previous run")
        risk = ds.variables["risk"]
        if tuple(risk.dimensions) != ("time", "y", "x") or risk.shape[0] == 0:
            raise SpilloverError(f"{where}: 'risk' has dimensions {tuple(risk.dimensions)} and shape {risk.shape}; "
                                 "valid: (time, y, x) with at least one snapshot")
        if tuple(risk.shape[1:]) != tuple(grid.shape):
            raise SpilloverError(f"{where} has a {tuple(risk.shape[1:])} grid but this scenario's grid is "
                                 f"{grid.shape}; use the same grid settings (grid.cell_km, grid.countries, grid.crs)")
        for axis, mine in (("x", grid.x), ("y", grid.y)):
            if axis in ds.variables:
                theirs = np.asarray(ds.variables[axis][:], dtype=float)
                if theirs.shape != mine.shape or not np.allclose(theirs, mine, rtol=0, atol=1.0):
                    raise SpilloverError(f"{where}: its {axis} coordinates differ from this scenario's grid; use "
                                         "the same grid settings (grid.cell_km, grid.countries, grid.crs)")
        if "country_id" in ds.variables:
            ids = np.asarray(ds.variables["country_id"][:])
            if ids.shape != grid.shape or not np.array_equal(ids > 0, grid.mask):
                raise SpilloverError(f"{where}: its modelled cells differ from this scenario's "
                                     f"({int((ids > 0).sum()):,} against {int(grid.mask.sum()):,}); use the same "
                                     "grid.countries")
        last = np.asarray(risk[risk.shape[0] - 1, :, :], dtype=float)
    except (OSError, RuntimeError, IndexError, KeyError) as exc:
        raise SpilloverError(f"{where} cannot be read ({' '.join(str(exc).split())[:80]}); give the risk.nc of a "
                             "previous run") from None
    finally:
        ds.close()
    inside = last[grid.mask]
    bad = ~np.isfinite(inside)
    if bad.any():
        raise SpilloverError(f"{where}: {int(bad.sum()):,} cells inside the modelled countries are not finite (NaN "
                             f"or infinite) in its last snapshot; valid: risk in [0, {CAPACITY:g}] everywhere inside")
    out_of_range = (inside < 0) | (inside > CAPACITY)
    if out_of_range.any():
        raise SpilloverError(f"{where}: {int(out_of_range.sum()):,} cells inside the modelled countries are outside "
                             f"[0, {CAPACITY:g}] (from {inside.min():.4g} to {inside.max():.4g}) in its last snapshot; "
                             f"valid: risk in [0, {CAPACITY:g}]")
    return np.where(grid.mask, last, 0.0)


def build_forcing(scenario: Scenario, grid: Grid | None = None, inputs: DocumentInputs | None = None) -> Forcing:
    """Everything the model loop needs for ``scenario``."""
    grid = grid or scenario_grid(scenario)
    inputs = inputs or document_inputs(scenario)
    countries = load_countries()
    troops = contingents(scenario, inputs.timeline)
    return Forcing(
        kappa=scenario.diffusion.kappa_km2_per_year / DAYS_PER_YEAR,
        perm=permeability_table(scenario, grid),
        r_tab=growth_table(scenario, grid, inputs.attributes),
        troop_changes=troop_schedule(scenario, grid, troops),
        sigma_per_troop=scenario.suppression.troops_effect_per_year / DAYS_PER_YEAR / 1000.0,
        u0=initial_risk(scenario, grid, countries, inputs.onsets),
        troops=troops,
    )
