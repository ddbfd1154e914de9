"""What every sweep run reports, accumulated from the state at each snapshot (no time series is kept).

With the definitions of :mod:`sim.output` (``u`` compared with the threshold in the state's dtype, means over a
country's cells):

``cross_days_<ISO>``
    days from the start to the first snapshot at which at least ``output.crossing_area_fraction`` of the country's
    area has risk ≥ ``output.threshold`` (NaN if never, or the run length + 1 with ``censor``);
``crossed_<ISO>``
    whether it crossed; ``cross_date_<ISO>``: that snapshot's ISO date (empty if never);
``mean_risk_<ISO>_<H>``, ``area_at_risk_km2_<ISO>_<H>``
    at each horizon ``H`` (``end`` = the last day, or an ISO date: the last snapshot at or before it).

The time resolution is the scenario's ``output_every_days``. :class:`CountryMetrics` is the accumulator of the
batch engine (:mod:`sim.sweep.batch`) that computes them for a whole ensemble at once (:func:`sim.sweep.reduce.
unit_sums` over the country-id raster); :meth:`Metrics.row_values` turns its arrays into a run's columns.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from geo.errors import SpilloverError
from sim.scenario import Scenario
from sim.sweep.reduce import UnitIndex, unit_sums

DEFAULT_COUNTRIES = ("MLI", "BFA", "NER")
#: Default horizons: the last day, and 2025-01-01 where the run covers it.
DEFAULT_HORIZONS = ("end", "2025-01-01")


@dataclass(frozen=True)
class Metrics:
    """Which metrics every run reports (see the module docstring).

    Examples
    --------
    >>> Metrics(countries=("BFA",), horizons=("end",)).columns()
    ['cross_days_BFA', 'crossed_BFA', 'cross_date_BFA', 'mean_risk_BFA_end', 'area_at_risk_km2_BFA_end']
    """

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

    def row_values(self, values: dict[str, np.ndarray], k: int, start: dt.date, days: int) -> dict[str, Any]:
        """Member ``k``'s columns from :class:`CountryMetrics`' arrays (a run of ``days`` days from ``start``)."""
        out: dict[str, Any] = {}
        cross = values["cross_days"][k]
        for j, code in enumerate(self.countries):
            crossed = bool(np.isfinite(cross[j]))
            out[f"cross_days_{code}"] = float(cross[j]) if crossed else (float(days + 1) if self.censor
                                                                          else float("nan"))
            out[f"crossed_{code}"] = crossed
            out[f"cross_date_{code}"] = (start + dt.timedelta(days=int(cross[j]))).isoformat() if crossed else None
        for h, label in enumerate(self.horizons):
            for j, code in enumerate(self.countries):
                out[f"mean_risk_{code}_{label}"] = float(values["mean_risk"][k, h, j])
                out[f"area_at_risk_km2_{code}_{label}"] = float(values["area_at_risk_km2"][k, h, j])
        return out


@dataclass(frozen=True)
class CountryMetrics:
    """Batch-engine accumulator of :class:`Metrics`: per member ``cross_days`` (countries,), ``mean_risk`` and
    ``area_at_risk_km2`` (horizons, countries); NaN where a country never crossed or a horizon is outside the run.

    Examples
    --------
    >>> acc = CountryMetrics(Metrics(countries=("MLI", "BFA")))
    >>> # run_ensemble(base, members, acc).values["cross_days"] has shape (members, 2)
    """

    metrics: Metrics

    def begin(self, context) -> "_CountryAccumulation":
        return _CountryAccumulation(self.metrics, context)


class _CountryAccumulation:
    def __init__(self, metrics: Metrics, context):
        grid = context.grid
        ids = [grid.id_of(c) for c in metrics.countries]
        lut = np.full(len(grid.codes) + 1, -1, np.int64)
        lut[ids] = np.arange(len(ids))
        self.index = UnitIndex.from_raster(lut[grid.country_id], n_units=len(ids))
        self.cells = np.bincount(self.index.unit, minlength=len(ids)).astype(float)
        self.cell_area = grid.cell_area_km2
        scenarios = context.scenarios
        self.threshold = np.array([s.output.threshold for s in scenarios], dtype=context.dtype)
        self.fraction = np.array([s.output.crossing_area_fraction for s in scenarios])[:, None]
        m, n, h = len(scenarios), len(ids), len(metrics.horizons)
        self.at_horizon: dict[int, list[int]] = {}  # snapshot day -> horizon positions it stands for
        for pos, label in enumerate(metrics.horizons):
            day = context.days if label == "end" else (dt.date.fromisoformat(label) - context.start).days
            if 0 <= day <= context.days:
                self.at_horizon.setdefault(max(d for d in context.snapshot_days if d <= day), []).append(pos)
        self.cross = np.full((m, n), np.nan)
        self.mean = np.full((m, h, n), np.nan)
        self.area = np.full((m, h, n), np.nan)

    def on_snapshot(self, day: int, date: dt.date, u: np.ndarray) -> None:
        total, _, above = unit_sums(u, self.index, self.threshold)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = above / self.cells
            self.cross[np.isnan(self.cross) & (frac >= self.fraction)] = day
            for pos in self.at_horizon.get(day, ()):
                self.mean[:, pos] = total / self.cells
                self.area[:, pos] = above * self.cell_area

    def finish(self) -> dict[str, np.ndarray]:
        return {"cross_days": self.cross, "mean_risk": self.mean, "area_at_risk_km2": self.area}


def default_horizons(scenario: Scenario) -> tuple[str, ...]:
    """``end``, plus each of :data:`DEFAULT_HORIZONS`' dates that falls inside the run."""
    out = []
    for h in DEFAULT_HORIZONS:
        if h == "end" or scenario.scenario.start < dt.date.fromisoformat(h) < scenario.scenario.end:
            out.append(h)
    return tuple(out)


def check_horizons(horizons: Sequence[str], scenario: Scenario) -> tuple[str, ...]:
    """``--horizon`` values checked against the run: ``end`` or ISO dates inside it (duplicates dropped)."""
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
