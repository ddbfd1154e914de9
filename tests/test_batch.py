"""The ensemble batch engine: per-unit reductions (numba against numpy), yearly unit sums against a full run's
country series, results independent of batching and of the member layout, failures isolated, members put back in
order across grids, and the same numbers from a real worker process.

Everything runs on 100 km cells over a few years so that a run takes a fraction of a second.
"""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from sim import Scenario, run
from sim.forcing import scenario_grid
from sim.sweep import (CountryMetrics, LocalPool, Member, Metrics, NoMetrics, UnitIndex, UnitYearSums, plan_members,
                       run_ensemble, unit_sums, unit_sums_numpy)

SMALL = {
    "grid.cell_km": 100.0,
    "grid.countries": ["MLI", "BFA", "NER", "DZA", "MRT"],
    "scenario.start": "2012-01-01",
    "scenario.end": "2015-01-01",
    "scenario.output_every_days": 30,
    "documents.seeds": "",
    "initial.places": ["northern Mali"],
    "initial.from_documents": False,
    # K = p ≈ 1 wherever anyone lives, so the onset place starts at risk 1 (above the threshold)
    "initial.risk": 1.0, "growth.population_half_per_km2": 1e-3, "output.threshold": 0.5,
    "output.geotiff_days": [],
    "growth.base_rate_per_year": 2.5,
    "diffusion.kappa_km2_per_year": 8000.0,
}
YEARS = (2012, 2013, 2014)


def small(**changes) -> Scenario:
    return Scenario().replace(**{**SMALL, **changes})


def members(n: int = 6) -> list[Member]:
    rates = np.linspace(1.0, 3.0, n)
    return [Member({"growth.base_rate_per_year": float(r), "initial.noise": 0.02}, seed=i)
            for i, r in enumerate(rates)]


def country_units(grid) -> np.ndarray:
    return grid.country_id.astype(np.int64) - 1  # units 0 … n-1 in grid.codes order, -1 outside


# ------------------------------------------------------------------------------------------------ reductions
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_level_sums_are_unit_sums_of_every_level_in_one_pass(dtype):
    """Countries and admin-1 units summed together (the run's series): the same bits as one unit_sums per level,
    with a threshold that lands exactly on values (compared in the state's dtype)."""
    from sim.sweep.reduce import LevelIndex, level_sums

    rng = np.random.default_rng(5)
    countries = rng.integers(-1, 4, size=(29, 37))
    admin1 = np.where(countries >= 0, rng.integers(-1, 9, size=(29, 37)), rng.integers(-1, 2, size=(29, 37)))
    levels = [UnitIndex.from_raster(countries, n_units=5), UnitIndex.from_raster(admin1, n_units=9)]
    u = rng.random((29, 37)).astype(dtype)
    u[3, :5] = np.asarray(0.3, dtype=dtype)  # equal to the threshold in u's dtype: counted as above
    fused = LevelIndex.of(levels)
    got = level_sums(u, fused, 0.3)
    assert [len(t) for t, _ in got] == [5, 9]
    for (total, above), index in zip(got, levels):
        ref_total, _, ref_above = unit_sums(u[None], index, 0.3)
        np.testing.assert_array_equal(total, ref_total[0])
        np.testing.assert_array_equal(above, ref_above[0])
    assert got[0][0][4] == 0 and got[0][1][4] == 0  # a unit without cells
    one = level_sums(u, LevelIndex.of(levels[1:]), 0.3)  # one level alone: the same numbers
    np.testing.assert_array_equal(one[0][0], got[1][0])
    with pytest.raises(ValueError):
        level_sums(u[:5], fused, 0.3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("parallel_min", [0, 1 << 40], ids=["parallel", "serial"])
def test_unit_sums_agree_with_numpy_in_both_member_layouts(dtype, parallel_min, monkeypatch):
    import sim.sweep.reduce as reduce

    monkeypatch.setattr(reduce, "PARALLEL_MIN", parallel_min)
    rng = np.random.default_rng(3)
    ids = rng.integers(-1, 5, size=(23, 31))
    weight = rng.uniform(0, 100, size=(23, 31))
    index = UnitIndex.from_raster(ids, weight, n_units=6)  # unit 5 has no cells
    u = rng.random((7, 23, 31)).astype(dtype)
    threshold = np.linspace(0.2, 0.8, 7)
    ref = unit_sums_numpy(u, index, threshold)
    fast = unit_sums(u, index, threshold)
    side_by_side = np.ascontiguousarray(np.moveaxis(u, 0, -1))  # (ny, nx, m): members innermost
    strided = unit_sums(np.moveaxis(side_by_side, -1, 0), index, threshold)
    for a, b, c in zip(ref, fast, strided):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    total, weighted, above = ref
    j, k = 4, 2
    cells = ids == k
    assert total[j, k] == pytest.approx(u[j][cells].astype(float).sum(), rel=1e-12)
    assert weighted[j, k] == pytest.approx((u[j][cells].astype(float) * weight[cells]).sum(), rel=1e-12)
    assert above[j, k] == (u[j][cells] >= np.asarray(threshold[j], dtype=dtype)).sum()
    assert (total[:, 5] == 0).all()
    # one member's sums do not depend on the others (the batch-independence the sweep relies on)
    alone = unit_sums(u[j:j + 1], index, threshold[j:j + 1])
    for a, b in zip(alone, fast):
        np.testing.assert_array_equal(a[0], b[j])


def test_unit_index_rejects_bad_rasters():
    with pytest.raises(ValueError, match="2-D integer raster"):
        UnitIndex.from_raster(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="does not match"):
        UnitIndex.from_raster(np.zeros((3, 3), int), np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        UnitIndex.from_raster(np.zeros((1, 2), int), np.array([[1.0, np.nan]]))


# ------------------------------------------------------------------------------------------------ the engine
@pytest.fixture(scope="module")
def reference():
    """Six members in one batch: the sweep's metrics and yearly sums (with a population-like exposure)."""
    base = small()
    grid = scenario_grid(base)
    exposure = np.where(grid.mask, 1.0 + np.arange(grid.mask.size).reshape(grid.shape) % 7, 0.0)
    acc = UnitYearSums(country_units(grid), exposure, YEARS, n_units=len(grid.codes))
    return base, grid, exposure, run_ensemble(base, members(), acc, batch=6), run_ensemble(
        base, members(), CountryMetrics(Metrics(horizons=("end", "2013-06-01"))), batch=6)


def test_yearly_unit_sums_equal_the_sums_of_a_full_runs_country_series(reference, tmp_path):
    """Twin check against sim.output: Σ over a year's snapshots of mean_risk × cells = u_sum of that country."""
    base, grid, exposure, sums, _ = reference
    assert sums.ok.all() and sums.values["u_sum"].shape == (6, len(grid.codes), 3)
    k = 3
    one = members()[k].scenario(base)
    series = run(one, tmp_path / "run").series
    series["year"] = series["time"].dt.year  # RunResult.series: time as datetime64
    cells = np.bincount(grid.country_id.ravel(), minlength=len(grid.codes) + 1)
    for i, code in enumerate(grid.codes):
        own = series[series.country == code]
        for y, year in enumerate(YEARS):
            rows = own[own.year == year]
            assert sums.values["snapshots"][k, y] == len(rows)
            expected = (rows["mean_risk"] * cells[i + 1]).sum()
            assert sums.values["u_sum"][k, i, y] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    # the snapshot on scenario.end (2015-01-01) is outside YEARS: not counted
    assert sums.values["snapshots"][0].tolist() == [13, 12, 12]
    # exposure-weighted sums: a constant exposure c gives c × u_sum exactly
    doubled = run_ensemble(base, members()[:2], UnitYearSums(country_units(grid), np.full(grid.shape, 2.0), YEARS,
                                                              n_units=len(grid.codes)))
    np.testing.assert_array_equal(doubled.values["u_exposure_sum"], 2 * doubled.values["u_sum"])
    np.testing.assert_array_equal(doubled.values["u_sum"], sums.values["u_sum"][:2])
    weighted = sums.values["u_exposure_sum"]
    assert (weighted > sums.values["u_sum"]).any() and np.isfinite(weighted).all()


def test_results_do_not_depend_on_batching(reference):
    base, grid, exposure, sums, metrics = reference
    acc = UnitYearSums(country_units(grid), exposure, YEARS, n_units=len(grid.codes))
    for batch in (1, 4):
        again = run_ensemble(base, members(), acc, batch=batch)
        for name, array in sums.values.items():
            np.testing.assert_array_equal(again.values[name], array)
    reordered = list(reversed(members()))
    back = run_ensemble(base, reordered, CountryMetrics(Metrics(horizons=("end", "2013-06-01"))), batch=4)
    for name, array in metrics.values.items():
        np.testing.assert_array_equal(back.values[name][::-1], array)
    assert metrics.values["cross_days"].shape == (6, 3) and metrics.values["mean_risk"].shape == (6, 2, 3)
    assert np.isfinite(metrics.values["cross_days"][:, 0]).all()  # Mali crosses in every member


def test_a_failing_member_is_recorded_and_the_others_go_on(reference):
    base, grid, exposure, sums, _ = reference
    bad = [members()[0], Member({"initial.risk": 0.0, "initial.noise": 0.0}), members()[2],
           Member({"scenario.output_every_days": -5})]
    res = run_ensemble(base, bad, UnitYearSums(country_units(grid), exposure, YEARS, n_units=len(grid.codes)))
    assert res.ok.tolist() == [True, False, True, False] and res.failed == 2
    assert "initial risk is zero everywhere" in res.errors[1]
    assert "output_every_days" in res.errors[3]
    assert np.isnan(res.values["u_sum"][1]).all() and np.isnan(res.values["u_sum"][3]).all()
    np.testing.assert_array_equal(res.values["u_sum"][[0, 2]], sums.values["u_sum"][[0, 2]])
    assert res.days.tolist()[0] == base.days and res.substeps[0] >= 1


def test_members_on_other_grids_get_their_own_batch_and_come_back_in_order():
    base = small(**{"scenario.end": "2013-01-01"})
    mixed = [Member({"grid.cell_km": 100.0}), Member({"grid.cell_km": 200.0}), Member({"grid.cell_km": 100.0}),
             Member({"scenario.output_every_days": 60})]
    assert plan_members(base, mixed, batch=8) == [[0, 2], [1], [3]]
    res = run_ensemble(base, mixed, CountryMetrics(Metrics(countries=("MLI",))), batch=8)
    assert res.ok.all()
    alone = run_ensemble(base, [mixed[1]], CountryMetrics(Metrics(countries=("MLI",))))
    np.testing.assert_array_equal(res.values["mean_risk"][1], alone.values["mean_risk"][0])
    assert res.values["mean_risk"][0, 0, 0] == res.values["mean_risk"][2, 0, 0]


def test_accumulators_pickle_and_a_worker_process_gives_the_same_numbers(reference):
    base, grid, exposure, sums, _ = reference
    acc = UnitYearSums(country_units(grid), exposure, YEARS, n_units=len(grid.codes))
    clone = pickle.loads(pickle.dumps(acc))
    np.testing.assert_array_equal(clone.index.cells, acc.index.cells)
    with LocalPool(workers=1) as pool:
        first = run_ensemble(base, members(), acc, batch=3, executor=pool)
        second = run_ensemble(base, members()[:2], NoMetrics(), executor=pool)  # the pool is reused
    assert second.ok.all() and second.values == {}
    for name, array in sums.values.items():
        np.testing.assert_array_equal(first.values[name], array)


def test_unit_year_sums_checks_its_inputs(reference):
    base, grid, *_ = reference
    with pytest.raises(ValueError, match="give the calendar years"):
        UnitYearSums(country_units(grid))
    res = run_ensemble(base, members()[:1], UnitYearSums(np.zeros((3, 3), int), years=YEARS))
    assert not res.ok[0] and "build the raster on the scenario's grid" in res.errors[0]


def test_admin1_sums_add_up_to_the_country_sums(reference):
    """Every modelled cell of a country lies in one of its admin-1 units, so per-unit sums add up to the country's."""
    base, grid, exposure, *_ = reference
    two = members()[:2]
    units = run_ensemble(base, two, UnitYearSums.admin1(grid, YEARS, exposure))
    countries = run_ensemble(base, two, UnitYearSums.countries(grid, YEARS, exposure))
    acc = UnitYearSums.admin1(grid, YEARS)
    assert acc.labels == tuple(grid.admin1_codes) and acc.index.n_units == len(grid.admin1_codes) > 20
    owner = np.array([grid.codes.index(c) for c in grid.admin1_country])
    for name in ("u_sum", "u_exposure_sum"):
        per_unit, per_country = units.values[name], countries.values[name]
        for i, code in enumerate(grid.codes):
            np.testing.assert_allclose(per_unit[:, owner == i].sum(axis=1), per_country[:, i], rtol=1e-12)
