"""sim.geocache: a cache hit gives the same grid, forcing and names as building them; bad entries are misses."""
from __future__ import annotations

import numpy as np
import pytest

from geo.grid import SAHEL_ALBERS
from sim import geocache
from sim.forcing import build_forcing, document_inputs
from sim.scenario import Scenario

SCENARIO = "scenarios/withdrawal.toml"


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SPILLOVER_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def coarse():
    return Scenario.load(SCENARIO).replace(**{"grid.cell_km": 50})


def _grid(s):
    g = s.grid
    return geocache.grid(float(g.cell_km), tuple(g.countries), g.crs or SAHEL_ALBERS)


def test_grid_hit_equals_built(cache, coarse):
    built = _grid(coarse)
    assert len(list(cache.glob("grid-*.npz"))) == 1
    hit = _grid(coarse)
    assert hit is not built
    assert geocache.grid_digest(hit) == geocache.grid_digest(built)
    assert hit.crs == built.crs and hit.crs.srs == built.crs.srs and hit.transform == built.transform
    assert hit.country_id.dtype == built.country_id.dtype and hit.admin1_id.dtype == built.admin1_id.dtype
    assert np.array_equal(hit.x, built.x) and np.array_equal(hit.y, built.y)


def test_forcing_hit_equals_build_forcing(cache, coarse):
    g = _grid(coarse)
    inputs = document_inputs(coarse)
    reference = build_forcing(coarse, g, inputs)
    first = geocache.forcing(coarse, g, inputs)  # a miss: built and stored
    assert len(list(cache.glob("forcing-*.npz"))) == 1
    second = geocache.forcing(coarse, g, inputs)  # a hit
    assert geocache.same_forcing(first, reference) and geocache.same_forcing(second, reference)
    day = coarse.scenario.start
    assert np.array_equal(second.troops_on(day), reference.troops_on(day))
    assert np.array_equal(second.sigma_on(day), reference.sigma_on(day))


def test_another_scenario_is_another_entry(cache, coarse):
    g = _grid(coarse)
    inputs = document_inputs(coarse)
    geocache.forcing(coarse, g, inputs)
    other = coarse.replace(**{"suppression.exit_shift_days": 365})
    f = geocache.forcing(other, g, inputs)
    assert len(list(cache.glob("forcing-*.npz"))) == 2
    assert geocache.same_forcing(f, build_forcing(other, g, inputs))
    assert not geocache.same_forcing(f, build_forcing(coarse, g, inputs))


def test_a_broken_entry_is_a_miss(cache, coarse):
    g = _grid(coarse)
    inputs = document_inputs(coarse)
    geocache.forcing(coarse, g, inputs)
    (entry,) = cache.glob("forcing-*.npz")
    entry.write_bytes(b"not an npz")
    f = geocache.forcing(coarse, g, inputs)
    assert geocache.same_forcing(f, build_forcing(coarse, g, inputs))
    (grid_entry,) = cache.glob("grid-*.npz")
    grid_entry.write_bytes(b"")
    assert geocache.grid_digest(_grid(coarse)) == geocache.grid_digest(g)


def test_cache_off_writes_nothing(tmp_path, monkeypatch, coarse):
    monkeypatch.setenv("SPILLOVER_CACHE", "off")
    g = _grid(coarse)
    f = geocache.forcing(coarse, g, document_inputs(coarse))
    assert geocache.same_forcing(f, build_forcing(coarse, g, document_inputs(coarse)))
    assert geocache.country_names()["MLI"] == "Mali"
    assert not list(tmp_path.rglob("*.npz"))


def test_only_the_newest_forcings_are_kept(cache, coarse, monkeypatch):
    monkeypatch.setattr(geocache, "KEEP_FORCINGS", 2)
    g = _grid(coarse)
    inputs = document_inputs(coarse)
    for shift in (0, 100, 200):
        geocache.forcing(coarse.replace(**{"suppression.exit_shift_days": shift}), g, inputs)
    assert len(list(cache.glob("forcing-*.npz"))) == 2


def test_names_hit_equals_read(cache):
    from geo.shapes import load_countries

    table = load_countries()
    expected = {code: str(table.loc[code, "NAME_EN"]) for code in table.index}
    assert geocache.country_names() == expected
    assert geocache.country_names() == expected


def test_bounds_are_total_bounds(cache):
    from geo.shapes import load_countries

    table = load_countries()
    for codes in (list(table.index), ["MLI", "BFA", "NER"], ["SEN"]):
        assert geocache.country_bounds(codes) == tuple(float(v) for v in table.loc[codes].total_bounds)
