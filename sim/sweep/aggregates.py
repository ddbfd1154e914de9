r"""Per-unit, per-year aggregates of the risk state: what a likelihood against observed events needs.

For units given as a raster of ids (admin-1 units, countries; negative = not counted) and an exposure raster
``w`` (e.g. population per cell), :class:`UnitYearSums` returns for each member ``j``, unit ``k`` and calendar
year ``y``::

    u_sum[j, k, y]          = Σ_{snapshots s in y} Σ_{cells c in k} u_j(c, t_s)
    u_exposure_sum[j, k, y] = Σ_{snapshots s in y} Σ_{cells c in k} u_j(c, t_s) · w(c)
    snapshots[j, y]         = number of snapshots dated in y (the same for every member)

so the yearly mean of a unit's summed risk is ``u_sum / snapshots`` (and ``u_sum / (snapshots · cells)`` its
mean risk per cell). The time resolution is the scenario's ``output_every_days``: use e.g. 7 or 30 days. A
snapshot belongs to the year of its date; the run's last snapshot (on ``scenario.end``) counts in that year too,
so pass ``years`` to keep only whole years. Each snapshot costs one pass over the counted cells
(:func:`sim.sweep.reduce.unit_sums`), whatever the number of units.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from sim.sweep.reduce import UnitIndex, unit_sums


@dataclass(frozen=True, eq=False)
class UnitYearSums:
    """Batch-engine accumulator of yearly per-unit sums of ``u`` and ``u × exposure`` (see the module docstring).

    Parameters
    ----------
    unit_id : (ny, nx) integer raster of unit ids on the scenario grid, ``0 … n_units − 1``; negative = not counted.
    exposure : (ny, nx) weights (e.g. people per cell); None: 1 per cell (then ``u_exposure_sum == u_sum``).
    years : the calendar years to report, in this order (snapshots in other years are ignored).
    n_units : number of units (default: the largest id + 1), so units without cells still get a column.

    Examples
    --------
    >>> ids = np.array([[0, 0, -1], [1, 1, 1]])
    >>> acc = UnitYearSums(ids, exposure=np.full((2, 3), 10.0), years=(2012, 2013))
    >>> acc.index.n_units, acc.years
    (2, (2012, 2013))
    >>> # run_ensemble(base, members, acc).values["u_exposure_sum"] has shape (members, 2, 2)
    """

    index: UnitIndex
    years: tuple[int, ...]
    labels: tuple[str, ...]  # what each unit is (e.g. adm1_code), "" where not given

    def __init__(self, unit_id: np.ndarray, exposure: np.ndarray | None = None, years=(), n_units: int | None = None,
                 labels=()):
        years = tuple(int(y) for y in years)
        if not years:
            raise ValueError("UnitYearSums: give the calendar years to report, e.g. years=range(2012, 2020)")
        if len(set(years)) != len(years):
            raise ValueError(f"UnitYearSums: each year once, got {years}")
        index = UnitIndex.from_raster(unit_id, exposure, n_units)
        labels = tuple(str(x) for x in labels)
        if labels and len(labels) != index.n_units:
            raise ValueError(f"UnitYearSums: {len(labels)} labels for {index.n_units} units")
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "years", years)
        object.__setattr__(self, "labels", labels or ("",) * index.n_units)

    @classmethod
    def admin1(cls, grid, years, exposure: np.ndarray | None = None) -> "UnitYearSums":
        """Per admin-1 unit of ``grid`` (unit ``k`` is ``grid.admin1_codes[k]``, Natural Earth ``adm1_code``).

        ``exposure``: e.g. ``geo.population.population_surface(grid).people`` (people per cell).

        Examples
        --------
        >>> sums = UnitYearSums.admin1(scenario_grid(base), range(2012, 2020))  # doctest: +SKIP
        >>> sums.labels[:2]  # doctest: +SKIP
        ('BFA-...', 'BFA-...')
        """
        ids = np.asarray(grid.admin1_id).astype(np.int64) - 1  # 0 (outside) becomes -1
        return cls(ids, exposure, years, n_units=len(grid.admin1_codes), labels=grid.admin1_codes)

    @classmethod
    def countries(cls, grid, years, exposure: np.ndarray | None = None) -> "UnitYearSums":
        """Per modelled country of ``grid`` (unit ``k`` is ``grid.codes[k]``, ADM0_A3)."""
        ids = np.asarray(grid.country_id).astype(np.int64) - 1
        return cls(ids, exposure, years, n_units=len(grid.codes), labels=grid.codes)

    def begin(self, context) -> "_YearAccumulation":
        if tuple(context.grid.shape) != self.index.shape:
            raise ValueError(f"UnitYearSums: the unit raster is {self.index.shape} but the scenario grid is "
                             f"{tuple(context.grid.shape)}; build the raster on the scenario's grid")
        return _YearAccumulation(self, context.members)


class _YearAccumulation:
    def __init__(self, spec: UnitYearSums, members: int):
        self.spec = spec
        self.position = {y: i for i, y in enumerate(spec.years)}
        shape = (members, spec.index.n_units, len(spec.years))
        self.u_sum = np.zeros(shape)
        self.u_exposure_sum = np.zeros(shape)
        self.snapshots = np.zeros(len(spec.years), np.int64)

    def on_snapshot(self, day: int, date: dt.date, u: np.ndarray) -> None:
        y = self.position.get(date.year)
        if y is None:
            return
        total, weighted, _ = unit_sums(u, self.spec.index)
        self.u_sum[:, :, y] += total
        self.u_exposure_sum[:, :, y] += weighted
        self.snapshots[y] += 1

    def finish(self) -> dict[str, np.ndarray]:
        members = self.u_sum.shape[0]
        return {"u_sum": self.u_sum, "u_exposure_sum": self.u_exposure_sum,
                "snapshots": np.broadcast_to(self.snapshots, (members, len(self.snapshots))).copy()}
