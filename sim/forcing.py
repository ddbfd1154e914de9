"""Forcing: from a scenario, the grid and the document-derived inputs to the model's coefficient tables.

Units: the model's clock is in days, lengths in km. Scenario rates are per year and converted with 365.25 days.

- **Diffusivity on faces.** ``κ = kappa_km2_per_year / 365.25`` (km²/day) on every face between two modelled
  cells; a face between countries a and b is scaled by ``permeability[a, b]`` (default 1, 0 closes the border).
- **Population factor and capacity.** ``p(x) = ρ(x) / (ρ(x) + ρ_half)`` with ``ρ`` the people per km² of
  :func:`geo.population.population_surface` and ``ρ_half = growth.population_half_per_km2``; ``K(x) = p(x)``.
- **Growth per cell and day** (1/day)::

      r(x, t) = r0 · p(x) · D_c(t),   D_c(t) = f_c · max(0, 1 + w_coups · coups_c(t) + w_armed_partner · partners_c(t))

  where ``coups_c(t)`` counts the documented coups in country c dated on or before t and ``partners_c(t)`` the
  documented partnerships with armed groups or military companies started on or before t
  (:func:`geo.documents.attributes.driver_table`); ``f_c = growth.country_factor`` (default 1). Outcomes
  (epicentre, spread, casualties) are never drivers.
- **Loss** ``δ = growth.loss_per_year / 365.25`` (1/day) everywhere.
- **Suppression per cell and day** (1/day)::

      σ(x, t) = s · Σ_g troops_g(t) / 1000 · exp(−|x − x_g|² / (2 ℓ²))

  over the garrisons g (base towns of the contingents present on day t: the GeoNames town of that name in the
  host, never the region named after it), plus the state's own ``s_cap exp(−d_cap²/2ℓ_cap²)`` with ``d_cap`` the
  distance to the cell's own capital (:func:`state_field`), ``s = troops_effect_per_year / 365.25``,
  ``ℓ = footprint_km``. A contingent's troops (the size the documents state, else ``contingent_sizes``, else
  ``default_contingent_size``; a mission with several hosts split evenly between them) are split evenly between
  its base towns: the documents' ``bases``, else :data:`DEFAULT_BASES` of its host. It is present from
  ``present_from`` (unknown = before the run) until ``present_until`` shifted by ``exit_shift_days`` (unknown
  = to the end); with ``forces_stay`` nobody leaves. Private military companies (``actor_kind == "company"``,
  Wagner) do not suppress: their partnership raises growth.
- **Dated onsets**: on the documented onset date of each onset place (:func:`geo.documents.attributes.onset_table`,
  when ``from_documents``) risk is raised to ``initial.risk · K(x)`` in its cells (``u ← max(u, risk K)``; the place is resolved in the onset's own country, a town is its cell); places
  dated before ``scenario.start`` and ``initial.places`` are seeded in ``u0``, plus seeded uniform noise of
  amplitude ``initial.noise`` (times K); or ``u0`` is the last snapshot of a previous run (``initial.state``,
  :mod:`sim.initial_state`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from geo.errors import SpilloverError
from geo.grid import SAHEL_ALBERS, Grid, build_grid
from geo.shapes import load_countries
from sim.lazyframe import Deferred, FrameField
from sim.noise import noise_at, noise_days, noise_field
from sim.scenario import Scenario

DAYS_PER_YEAR = 365.25
#: Timeline actors whose presence does not suppress the insurgency (their partnership raises r instead).
NON_SUPPRESSING_KINDS = ("company",)
#: Driver kinds of :func:`geo.documents.attributes.driver_table` and the growth weight of each.
DRIVER_WEIGHTS = {"coup": "weight_coups", "partnership": "weight_armed_partner"}
#: Garrison towns assumed for a contingent whose documents name no base (the missions' main bases, public record).
DEFAULT_BASES = {
    "MLI": ("Gao", "Timbuktu", "Kidal", "Ménaka", "Mopti"),
    "NER": ("Niamey", "Ouallam"),
    "BFA": ("Ouagadougou",),
    "TCD": ("N'Djamena",),
    "MRT": ("Nouakchott",),
}


def _frame_of(columns=None):
    """An empty DataFrame (with ``columns``): a table field's default."""
    import pandas as pd

    return pd.DataFrame(columns=columns)


@dataclass(frozen=True)
class DocumentInputs:
    """What the model takes from the documents. The tables may be given as :class:`sim.lazyframe.Deferred`
    builders (a documents cache hit: :mod:`sim.cache`), with ``records``, their JSON records, then."""

    attributes: pd.DataFrame = FrameField()  # indexed by ADM0_A3, columns of geo.documents.attributes.country_attributes
    timeline: pd.DataFrame = FrameField()  # rows of geo.documents.attributes.deployment_timeline
    onsets: tuple[tuple[str, int | None], ...]  # (place phrase, year)
    documents: tuple[dict, ...]  # id, path, sha256 of each document read (for provenance)
    drivers: pd.DataFrame = FrameField(default=Deferred(_frame_of, ["country", "kind", "date"]))
    onset_dates: tuple[tuple[str, str | None, str | None], ...] = ()  # (place phrase, ISO date, ADM0_A3)
    records: dict | None = field(default=None, repr=False, compare=False)  # sim.cache.table_records of the tables


@dataclass(frozen=True)
class Forcing:
    """Coefficient fields for one scenario on one grid (index 0 of every country table = outside the mask).

    ``changes`` holds, for each day on which a driver or a garrison changes, the per-country growth table
    ``r0 D_c(t)`` (1/day) and the suppression field ``σ(x, t)`` (1/day); the kernel's fields are
    ``l = r_c p − δ − σ`` and ``q = r_c`` (so ``q = r / K`` with ``r = r_c p`` and ``K = p``).
    """

    kappa: float  # km²/day
    perm: np.ndarray  # (n+1, n+1) face permeability
    p: np.ndarray  # (ny, nx) population factor = capacity K, in [0, 1)
    delta: float  # 1/day
    changes: tuple  # ((date, r_c (n+1,) 1/day, sigma (ny, nx) float32 1/day[, noise ε (ny, nx) or None]), ...)
    u0: np.ndarray  # (ny, nx) initial risk
    onsets: tuple = ()  # ((date, cell mask (ny, nx) bool, level), ...) applied during the run
    troops: pd.DataFrame = FrameField(default=Deferred(_frame_of))  # contingents with troops and effective dates
    garrisons: pd.DataFrame = FrameField(default=Deferred(_frame_of))  # base, host, x, y, troops, from, until
    country_id: np.ndarray | None = None  # (ny, nx) for per-country summaries
    _sigma_summaries: dict = field(default_factory=dict, repr=False, compare=False)  # change date → sigma_on
    _presence: list = field(default_factory=list, repr=False, compare=False)  # [garrison_presence of garrisons]
    _contingents: list | None = field(default=None, repr=False, compare=False)  # contingent_records, when known

    def _at(self, day: dt.date):
        current = self.changes[0]
        for change in self.changes:
            if change[0] > day:
                break
            current = change
        return current

    @property
    def r_tab(self) -> np.ndarray:
        """(n+1,) the largest per-country growth table r0 D_c over the run (1/day)."""
        return np.max(np.stack([c[1] for c in self.changes]), axis=0)

    def r_on(self, day: dt.date) -> np.ndarray:
        """(n+1,) per-country growth coefficient ``r0 D_c`` in force on ``day`` (1/day)."""
        return self._at(day)[1]

    def sigma_field_on(self, day: dt.date) -> np.ndarray:
        """(ny, nx) suppression σ in force on ``day`` (1/day)."""
        return self._at(day)[2]

    def sigma_on(self, day: dt.date) -> np.ndarray:
        """(n+1,) the largest σ in each country's cells on ``day`` (1/day; a summary for the series).

        Computed once per change of the fields (every snapshot asks for it)."""
        change = self._at(day)
        cached = self._sigma_summaries.get(change[0])
        if cached is not None:
            return cached.copy()
        out = np.zeros(len(self.perm))
        if self.country_id is not None:
            np.maximum.at(out, self.country_id.ravel().astype(np.intp), change[2].ravel().astype(float))
            out[0] = 0.0
        self._sigma_summaries[change[0]] = out
        return out.copy()

    def troops_on(self, day: dt.date) -> np.ndarray:
        """(n+1,) foreign troops present per country id on ``day``."""
        out = np.zeros(len(self.perm))
        stamp = _stamp_ns(day)
        for host, troops, arrive, leave in self.presence():  # _present's test on integer nanoseconds
            if (arrive is None or arrive <= stamp) and (leave is None or stamp < leave):
                out[host] += troops
        return out

    def presence(self) -> list[tuple]:
        """:attr:`garrisons` as :meth:`troops_on` reads them (:func:`garrison_presence`), parsed once (every
        snapshot asks)."""
        if not self._presence:
            g = self.garrisons
            self._presence.append(garrison_presence(zip(g["host_id"], g["troops"], g["present_from"],
                                                        g["effective_until"])) if len(g) else [])
        return self._presence[0]

    def contingent_records(self) -> list[dict]:
        """:attr:`troops` as provenance records (:func:`sim.output.contingent_records`)."""
        if self._contingents is not None:
            return self._contingents
        from sim.output import contingent_records

        return contingent_records(self.troops)

    def level_fields(self, day: dt.date, dt_days: float, dtype) -> tuple[np.ndarray, np.ndarray]:
        """The kernel's ``L = dt l`` and ``Q = dt q`` (ny, nx) for ``day``."""
        change = self._at(day)
        r_c, sigma = change[1], change[2]
        cid = self.country_id
        rc = r_c[cid] if noise_of(change) is None else r_c[cid] * noise_of(change)
        L = np.where(cid > 0, dt_days * (rc * self.p - self.delta - sigma), 0.0).astype(dtype)
        Q = np.where(cid > 0, dt_days * rc, 0.0).astype(dtype)
        return L, Q


def noise_of(change: tuple) -> np.ndarray | None:
    """The growth noise field ε of one entry of :attr:`Forcing.changes` (None: no noise)."""
    return change[3] if len(change) > 3 else None


def garrison_presence(rows) -> list[tuple]:
    """``(host_id, troops, present_from, effective_until)`` rows of a garrison table as :meth:`Forcing.troops_on`
    reads them: the dates as integer nanoseconds, None when missing."""
    return [(host, troops, _stamp_ns(arrive), _stamp_ns(leave)) for host, troops, arrive, leave in rows]


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _stamp_ns(value) -> int | None:
    """A date as integer nanoseconds (``pd.Timestamp(value).value``); None when missing. A ``datetime.date`` or an
    ISO string (a JSON record's) is converted without pandas.

    Examples
    --------
    >>> _stamp_ns(dt.date(1970, 1, 2)), _stamp_ns("1970-01-02T00:00:00"), _stamp_ns(None)
    (86400000000000, 86400000000000, None)
    """
    if value is None or value != value:  # None, NaN, NaT
        return None
    if type(value) is dt.date:
        return (value.toordinal() - _EPOCH_ORDINAL) * 86_400_000_000_000
    if isinstance(value, str):
        return int(np.datetime64(value, "ns").astype(np.int64))
    import pandas as pd

    stamp = pd.Timestamp(value)
    return None if pd.isna(stamp) else stamp.value


def _present(arrive, leave, stamp) -> bool:
    import pandas as pd

    arrive, leave = pd.Timestamp(arrive), pd.Timestamp(leave)
    return (pd.isna(arrive) or arrive <= stamp) and (pd.isna(leave) or stamp < leave)


# ------------------------------------------------------------------------------------------------ loading
@lru_cache(maxsize=8)
def _grid_cached(cell_km: float, codes: tuple[str, ...], crs: str) -> Grid:
    from sim import geocache

    return geocache.grid(cell_km, codes, crs or SAHEL_ALBERS)  # build_grid's grid, stored on disk (sim.geocache)


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
        import pandas as pd

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
    from geo.documents.attributes import (country_attributes, deployment_timeline, driver_table, facts_from_seeds,
                                          onset_places, onset_table)
    import pandas as pd

    from geo.documents.nlp import pipeline_info

    facts = facts_from_seeds(seeds, overrides=overrides or None)
    inputs = DocumentInputs(
        attributes=country_attributes(facts, list(codes)),
        timeline=deployment_timeline(facts),
        onsets=tuple(onset_places(facts)),
        drivers=driver_table(facts)[["country", "kind", "date"]].reset_index(drop=True),
        onset_dates=tuple((str(r.place), None if pd.isna(r.date) else pd.Timestamp(r.date).date().isoformat(),
                           None if pd.isna(r.country) else str(r.country))
                          for r in onset_table(facts).itertuples(index=False)),
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


def population_factor(scenario: Scenario, grid: Grid) -> np.ndarray:
    """(ny, nx) ``p = ρ / (ρ + ρ_half)`` (0 outside the mask): the capacity K and the growth's population factor."""
    from geo.population import population_surface

    rho = np.asarray(population_surface(grid).density, dtype=float)
    half = scenario.growth.population_half_per_km2
    p = np.where(grid.mask, rho / (rho + half), 0.0)
    return np.nan_to_num(p, nan=0.0)


def growth_table(scenario: Scenario, grid: Grid, drivers: pd.DataFrame, day: dt.date) -> np.ndarray:
    """(n+1,) ``r0 D_c(day)`` per country in 1/day: the drivers dated on or before ``day`` (module docstring)."""
    import pandas as pd

    g = scenario.growth
    position = {code: i for i, code in enumerate(grid.codes)}
    factor = np.ones(len(grid.codes))
    if len(drivers):
        in_force = (pd.to_datetime(drivers["date"]) <= pd.Timestamp(day)).to_numpy()  # NaT: never
        for code, kind, on in zip(drivers["country"], drivers["kind"], in_force):
            if on and code in position and kind in DRIVER_WEIGHTS:
                factor[position[code]] += getattr(g, DRIVER_WEIGHTS[kind])
    country = np.array([g.country_factor.get(code, 1.0) for code in grid.codes])
    r = np.zeros(len(grid.codes) + 1)
    r[1:] = g.base_rate_per_year / DAYS_PER_YEAR * np.maximum(0.0, factor) * country
    return r


def contingents(scenario: Scenario, timeline: pd.DataFrame) -> pd.DataFrame:
    """The timeline with resolved troops per host and the effective presence window (scenario applied)."""
    import pandas as pd

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


def garrisons(scenario: Scenario, grid: Grid, troops: pd.DataFrame, countries: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per (contingent, base town): host, host_id, base, x, y (grid CRS, km), troops, presence window."""
    rows = []
    for row in troops.itertuples(index=False):
        if row.host not in grid.codes:
            continue
        bases = [b for b in str(getattr(row, "bases", "") or "").split(";") if b.strip() and b != "nan"]
        bases = bases or list(DEFAULT_BASES.get(row.host, ()))
        points = [pt for pt in (_base_point(b, row.host, countries, grid) for b in bases) if pt is not None]
        if not points:
            continue
        for base, x, y in points:
            rows.append({"actor": row.actor, "mission": row.mission, "host": row.host,
                         "host_id": grid.id_of(row.host), "base": base, "x_km": x, "y_km": y,
                         "troops": row.troops / len(points), "present_from": row.present_from,
                         "effective_until": row.effective_until})
    columns = ["actor", "mission", "host", "host_id", "base", "x_km", "y_km", "troops", "present_from",
               "effective_until"]
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


@lru_cache(maxsize=256)
def _base_lonlat(name: str, host: str) -> tuple[float, float] | None:
    """A base's point: the town of that name in the host (never the region named after it), else any place."""
    from geo.names import town_point

    point = town_point(name, host)
    if point is not None:
        return point
    try:
        from geo.places import resolve_place

        place = resolve_place(name, load_countries(), context=host)
    except SpilloverError:
        return None
    lon, lat = place.geometry.centroid.coords[0]
    return float(lon), float(lat)


@lru_cache(maxsize=8)
def _to_grid(crs: str):
    """lon/lat → the grid's CRS (metres); building a pyproj Transformer costs milliseconds: once per CRS."""
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _base_point(name: str, host: str, countries, grid: Grid):
    ll = _base_lonlat(name.strip(), host)
    if ll is None:
        return None
    x, y = _to_grid(str(grid.crs)).transform(*ll)
    return name.strip(), x / 1000.0, y / 1000.0


def suppression_field(scenario: Scenario, grid: Grid, bases: pd.DataFrame, day: dt.date,
                      state: np.ndarray | None = None) -> np.ndarray:
    """(ny, nx) float32 σ(x, day) in 1/day: Gaussian footprints of the garrisons present plus the states' own
    ``state`` field (:func:`state_field`, built here when not given) (module docstring)."""
    import pandas as pd

    s = scenario.suppression
    out = np.zeros(grid.shape)
    stamp = pd.Timestamp(day)
    xs, ys = grid.x / 1000.0, grid.y / 1000.0
    two_l2 = 2.0 * s.footprint_km ** 2
    for row in bases.itertuples(index=False):
        if not _present(row.present_from, row.effective_until, stamp) or row.troops <= 0:
            continue
        gx = np.exp(-((xs - row.x_km) ** 2) / two_l2)
        gy = np.exp(-((ys - row.y_km) ** 2) / two_l2)
        out += (row.troops / 1000.0) * np.outer(gy, gx)
    rate = s.troops_effect_per_year / DAYS_PER_YEAR
    state = state_field(scenario, grid) if state is None else state  # the same every day: pass it once built
    return np.where(grid.mask, rate * out + state, 0.0).astype(np.float32)


def state_field(scenario: Scenario, grid: Grid) -> np.ndarray:
    """(ny, nx) the states' own suppression in 1/day: ``s_cap exp(−d²/2ℓ_cap²)`` with d the distance to the cell's
    own country's capital (module docstring); zeros when ``suppression.state_capital_per_year`` is 0."""
    s = scenario.suppression
    out = np.zeros(grid.shape)
    if s.state_capital_per_year <= 0:
        return out
    from geo.names import capital_of

    to_grid = _to_grid(str(grid.crs))
    xs, ys = grid.x / 1000.0, grid.y / 1000.0
    two_l2 = 2.0 * s.state_reach_km ** 2
    for i, code in enumerate(grid.codes, start=1):
        inside = grid.country_id == i
        if not inside.any():
            continue
        _, lon, lat = capital_of(code)
        cx, cy = (v / 1000.0 for v in to_grid.transform(lon, lat))
        bump = np.outer(np.exp(-((ys - cy) ** 2) / two_l2), np.exp(-((xs - cx) ** 2) / two_l2))
        out = np.where(inside, bump, out)
    return s.state_capital_per_year / DAYS_PER_YEAR * out


def change_days(scenario: Scenario, bases: pd.DataFrame, drivers: pd.DataFrame) -> list[dt.date]:
    """Days (within the run, with its start) on which a garrison arrives or leaves or a driver comes into force."""
    import pandas as pd

    start, end = scenario.scenario.start, scenario.scenario.end
    days = {start}
    whens = [pd.to_datetime(bases.get(c, pd.Series(dtype="datetime64[ns]"))) for c in ("present_from", "effective_until")]
    whens.append(pd.to_datetime(drivers.get("date", pd.Series(dtype="datetime64[ns]"))))
    for column in whens:
        for when in column:
            if not pd.isna(when) and start < when.date() < end:
                days.add(when.date())
    return sorted(days)


def _place_mask(phrase: str, grid: Grid, countries, context: str | None = None) -> np.ndarray:
    context = context or (grid.codes[0] if grid.codes else None)
    import geopandas as gpd

    from geo.places import resolve_place

    place = resolve_place(phrase, countries, context=context)
    inside = grid.rasterize(gpd.GeoSeries([place.geometry], crs="EPSG:4326"))
    if place.kind == "capital" or not inside.any():
        row, col = grid.cell_of(*place.geometry.centroid.coords[0])
        inside = np.zeros(grid.shape, bool)
        if 0 <= row < grid.shape[0] and 0 <= col < grid.shape[1]:
            inside[row, col] = True
    return inside & grid.mask


def onset_events(scenario: Scenario, grid: Grid, countries, inputs: DocumentInputs) -> list[tuple]:
    """(date, mask) of each documented onset place (``from_documents``); places geo.places cannot draw are skipped."""
    if not scenario.initial.from_documents:
        return []
    dated = list(inputs.onset_dates) or [(p, None if y is None else f"{y}-01-01", None) for p, y in inputs.onsets]
    out = []
    for phrase, when, country in dated:
        try:
            mask = _place_mask(phrase, grid, countries, context=country)
        except SpilloverError:
            continue
        day = dt.date.fromisoformat(when) if when else scenario.scenario.start
        out.append((day, mask))
    return sorted(out, key=lambda e: e[0])


def initial_risk(scenario: Scenario, grid: Grid, countries: gpd.GeoDataFrame, onsets: list[tuple],
                 capacity: np.ndarray) -> np.ndarray:
    """u0 on the grid (see the module docstring): ``initial.places`` and the onsets dated on or before the start."""
    init = scenario.initial
    state = scenario.resolve_path(init.state)
    if state is not None:
        from sim.initial_state import state_from_run

        return state_from_run(state, grid)
    u0 = np.zeros(grid.shape)
    for phrase in dict.fromkeys(init.places):
        u0[_place_mask(phrase, grid, countries)] = init.risk
    for day, mask in onsets:
        if day <= scenario.scenario.start:
            u0[mask] = init.risk
    if not u0.any() and not init.noise and not any(d > scenario.scenario.start for d, _ in onsets):
        raise SpilloverError(
            f"scenario {scenario.scenario.name!r}: the initial risk is zero everywhere: the documents give no "
            "insurgency onset and initial.places is empty; add e.g. initial.places = [\"northern Mali\"]")
    if init.noise:
        rng = np.random.default_rng(scenario.scenario.seed)
        u0 = u0 + init.noise * rng.random(grid.shape)
    return np.where(grid.mask, np.clip(u0 * capacity, 0.0, 1.0), 0.0)


def build_forcing(scenario: Scenario, grid: Grid | None = None, inputs: DocumentInputs | None = None) -> Forcing:
    """Everything the model loop needs for ``scenario`` (module docstring).

    Examples
    --------
    >>> from sim.scenario import Scenario
    >>> s = Scenario.load("scenarios/withdrawal.toml").replace(**{"grid.cell_km": 50})  # doctest: +SKIP
    >>> f = build_forcing(s)                                                              # doctest: +SKIP
    >>> f.level_fields(s.scenario.start, 1.0, "float64")[0].shape == f.p.shape            # doctest: +SKIP
    True
    """
    grid = grid or scenario_grid(scenario)
    inputs = inputs or document_inputs(scenario)
    countries = load_countries()
    troops = contingents(scenario, inputs.timeline)
    bases = garrisons(scenario, grid, troops, countries)
    p = population_factor(scenario, grid)
    drivers = inputs.drivers
    noise = noise_days(scenario)
    fields = [noise_field(scenario, grid, k) for k in range(len(noise))]
    days = sorted(set(change_days(scenario, bases, drivers)) | set(noise))
    state = state_field(scenario, grid)
    changes = tuple((day, growth_table(scenario, grid, drivers, day),
                     suppression_field(scenario, grid, bases, day, state), noise_at(noise, fields, day))
                    for day in days)
    onsets = onset_events(scenario, grid, countries, inputs)
    start = scenario.scenario.start
    level = scenario.initial.risk
    return Forcing(
        kappa=scenario.diffusion.kappa_km2_per_year / DAYS_PER_YEAR,
        perm=permeability_table(scenario, grid),
        p=p,
        delta=scenario.growth.loss_per_year / DAYS_PER_YEAR,
        changes=changes,
        u0=initial_risk(scenario, grid, countries, onsets, p),
        onsets=tuple((d, m, level) for d, m in onsets if d > start),
        troops=troops,
        garrisons=bases,
        country_id=np.ascontiguousarray(grid.country_id),
    )


