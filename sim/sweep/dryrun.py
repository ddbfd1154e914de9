"""Planning a sweep before running it (``spillover sweep ... --dry-run``): the first design rows and a time
estimate from a short timed run on this machine.

The estimate times one batch of the sweep's size (runs spread over the design, the first and the last among them:
their rates, and so their sub-steps per day, differ; a member of a batch of 16 costs several times less than one
of a batch of 3) through the same batch engine and metrics as the sweep, over
``short`` and over ``long`` days (the best of ``repeats`` timings each). A straight line through the two gives each run's fixed cost (scenario, forcing)
and its cost per simulated day, so::

    estimate = runs × (fixed + per_day × days of a run)  (+ a few seconds to start a worker pool)

for the machine it ran on, whatever ``--workers`` (the workers share its cores). A Dask cluster with more cores
divides it roughly by its share of the work. It is an estimate: runs whose rates need more sub-steps than the
sampled ones take longer.
"""
from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.sweep.design import SweepConfig

#: Above this many seconds the estimate is printed as a warning.
LONG_S = 1800.0
#: Seconds a local pool needs to start (spawned workers import the package and load the kernels).
POOL_START_S = 4.0


@dataclass(frozen=True)
class Estimate:
    """How long a sweep would take here (see the module docstring)."""

    runs: int
    days: int  # simulated days per run
    fixed_s: float  # per run
    per_day_s: float  # per run and simulated day
    sampled: int  # runs timed
    sample_days: tuple[int, int]
    seconds: float  # the whole sweep

    @property
    def long(self) -> bool:
        return self.seconds > LONG_S

    def describe(self) -> str:
        return (f"estimate: {self.runs:,} runs of {self.days:,} days ≈ {duration(self.seconds)} on this machine "
                f"(timed a batch of {self.sampled} run(s) of the design over {self.sample_days[0]} and "
                f"{self.sample_days[1]} days: {self.fixed_s:.2f} s per run + {self.per_day_s * 1e3:.2f} ms per "
                "simulated day)")


def duration(seconds: float) -> str:
    """``"45 s"``, ``"12 min"``, ``"3.1 hours"``, ``"2.5 days"``.

    Examples
    --------
    >>> duration(40), duration(720), duration(11_000)
    ('40 s', '12 min', '3.1 hours')
    """
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


def design_preview(config: SweepConfig, rows: int = 5) -> pd.DataFrame:
    """The first ``rows`` runs of the design: run id, point, replicate, each parameter's value and the seed.

    Examples
    --------
    >>> design_preview(cfg, 3).columns[:3].tolist()  # doctest: +SKIP
    ['run_id', 'point', 'replicate']
    """
    runs = config.runs(config.design())[:max(0, rows)]
    return pd.DataFrame([{"run_id": r.run_id, "point": r.point, "replicate": r.replicate, **r.params,
                          "seed": r.seed} for r in runs],
                        columns=["run_id", "point", "replicate", *(p.name for p in config.params), "seed"])


def estimate(config: SweepConfig, *, batch: int = 16, short: int = 15, long: int = 120, repeats: int = 2,
             pool: bool = False, inputs=None) -> Estimate:
    """Time a batch of ``batch`` runs of the design over ``short`` and ``long`` days (see the module docstring).

    ``pool``: add the start-up of a local worker pool. The Ishigami test model is timed as a whole.
    """
    from sim.sweep.batch import EnsembleBatch, Member, integrate_batch, read_inputs
    from sim.sweep.execute import warm_worker
    from sim.sweep.metrics import CountryMetrics, Metrics

    runs = config.runs(config.design())
    total = len(runs)
    if config.model != "spillover":
        from sim.sweep.ishigami import evaluate

        t0 = time.perf_counter()
        evaluate([r.params for r in runs])
        return Estimate(total, 0, (time.perf_counter() - t0) / total, 0.0, total, (0, 0),
                        time.perf_counter() - t0)
    pick = sorted(set(np.linspace(0, total - 1, max(1, min(batch, total))).round().astype(int).tolist()))
    members = tuple(Member(runs[i].params, runs[i].seed) for i in pick)
    info = config.scenario.scenario
    days = config.scenario.days
    inputs = inputs if inputs is not None else read_inputs(config.scenario)
    warm_worker(None, (config.scenario.output.dtype,))
    spans = (min(short, days), min(long, days))
    if spans[0] == spans[1]:
        spans = (max(1, spans[1] // 4), spans[1])
    timings = []
    for span in spans:
        end = info.start + dt.timedelta(days=span)
        base = config.scenario.replace(**{"scenario.end": end.isoformat(), "output.geotiff_days": [],
                                          "scenario.output_every_days": min(info.output_every_days, span)})
        horizons = tuple(h for h in config.metrics.horizons if h == "end" or dt.date.fromisoformat(h) <= end)
        metrics = Metrics(config.metrics.countries, horizons or ("end",), config.metrics.censor)
        task = EnsembleBatch(base, members, tuple(range(len(members))), CountryMetrics(metrics), inputs)
        best = math.inf
        for _ in range(repeats):  # the least disturbed of a few timings
            t0 = time.perf_counter()
            integrate_batch(task)
            best = min(best, (time.perf_counter() - t0) / len(members))
        timings.append(best)
    per_day = (timings[1] - timings[0]) / (spans[1] - spans[0])
    fixed = timings[0] - per_day * spans[0]
    if per_day <= 0 or fixed < 0:  # timing noise above the signal: all of it per day
        per_day, fixed = timings[1] / spans[1], 0.0
    seconds = total * (fixed + per_day * days) + (POOL_START_S if pool else 0.0)
    return Estimate(total, days, fixed, per_day, len(members), spans, seconds)
