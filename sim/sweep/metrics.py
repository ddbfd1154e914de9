"""What every sweep run reports: threshold crossings per country and mean risk / area at risk at horizons."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence


from geo.errors import SpilloverError
from sim.scenario import Scenario

DEFAULT_COUNTRIES = ("MLI", "BFA", "NER")
#: Default horizons: the last day, and 2025-01-01 where the run covers it.
DEFAULT_HORIZONS = ("end", "2025-01-01")


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
