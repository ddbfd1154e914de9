"""Shared, session-scoped fixtures: the committed countries, their geodesic areas and a few grids.

Everything here is read from the committed ``shapes/`` files (no network, no rebuild) and built once per test
process (once per xdist worker), so the geo tests stay fast.
"""
from __future__ import annotations

import pytest

from geo.adjacency import geodesic_area_km2
from geo.grid import build_grid
from geo.shapes import REGION, SAHEL_G5, load_countries


@pytest.fixture(scope="session")
def countries():
    """``geo.load_countries()``: the committed GeoPackage, indexed by ADM0_A3 (EPSG:4326)."""
    return load_countries()


@pytest.fixture(scope="session")
def geodesic_areas(countries) -> dict[str, float]:
    """Geodesic (WGS84) area in km² of every committed country polygon."""
    return {code: geodesic_area_km2(countries.geometry[code]) for code in countries.index}


@pytest.fixture(scope="session")
def g5_grid_10km(countries):
    """The G5 Sahel on the default equal-area grid at 10 km cells."""
    return build_grid(countries, cell_km=10.0, codes=list(SAHEL_G5))


@pytest.fixture(scope="session")
def region_grid_20km(countries):
    """The whole region (REGION, in that order) on the default equal-area grid at 20 km cells."""
    return build_grid(countries, cell_km=20.0, codes=list(REGION))


def pytest_configure(config):
    """A private document cache (sim.cache) for this test session; subprocesses inherit it."""
    import os
    import tempfile

    os.environ.setdefault("SPILLOVER_CACHE", tempfile.mkdtemp(prefix="spillover-cache-"))
