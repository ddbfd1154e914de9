"""Admin-1 ids on the grid: one unit of its own country per modelled cell, areas converging to the polygons'."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from geo.admin1 import load_admin1
from geo.errors import SpilloverError
from geo.grid import SAHEL_ALBERS, Grid, build_grid
from geo.shapes import REGION

FOCUS3 = ("MLI", "BFA", "NER")


@pytest.fixture(scope="module")
def units():
    return load_admin1()


@pytest.fixture(scope="module")
def focus_grids(countries):
    return {km: build_grid(countries, cell_km=km, codes=list(FOCUS3)) for km in (50.0, 20.0, 10.0, 5.0)}


def test_every_modelled_cell_has_one_unit_of_its_own_country(region_grid_20km, units):
    g = region_grid_20km
    assert g.admin1_id.dtype == np.uint16 and g.admin1_id.shape == g.shape
    assert g.admin1_codes == tuple(units["adm1_code"]) and len(g.admin1_codes) == 343  # REGION order = file order
    assert g.admin1_country == tuple(units["adm0_a3"]) and g.admin1_names[g.admin1_codes.index("MLI-2809")] == "Mopti"
    assert (g.admin1_id[~g.mask] == 0).all()
    assert (g.admin1_id[g.mask] > 0).all()
    assert (g.admin1_parent[g.admin1_id] == g.country_id).all()


def test_admin1_codes_follow_the_grid_countries(focus_grids, units):
    g = focus_grids[20.0]
    assert set(g.admin1_country) == set(FOCUS3) and len(g.admin1_codes) == 9 + 45 + 8
    assert g.admin1_country[:9] == ("MLI",) * 9 and g.admin1_id_of("NER-4859") > 45 + 9
    with pytest.raises(SpilloverError, match=r"admin-1 unit 'DZA-2143' is not on this grid"):
        g.admin1_id_of("DZA-2143")


def test_admin1_areas_converge_to_the_polygons(focus_grids, units):
    # Cells are equal-area, so a unit's cell count × cell area estimates its area. The error comes from the
    # ~P/s cells its outline (perimeter P) cuts, each off by a fraction of a cell, roughly independently: about
    # 0.3·√(P/s)·s² (measured: rms 0.25-0.4 of √(P/s)·s² at 2-20 km). Every unit stays within 2.5 √(P/s)·s², and
    # the total error shrinks with the cells (∝ s^1.5).
    perimeter_km = units.to_crs(SAHEL_ALBERS).length / 1e3
    errors = {}
    for km, g in focus_grids.items():
        cells = g.cells_per_admin1()
        for code in g.admin1_codes:
            error = abs(cells[code] * g.cell_area_km2 - units.loc[code, "area_km2"])
            assert error <= 2.5 * np.sqrt(perimeter_km[code] / km) * km**2, (km, code)
        errors[km] = sum(abs(cells[c] * g.cell_area_km2 - units.loc[c, "area_km2"]) for c in g.admin1_codes)
    sizes = sorted(errors, reverse=True)
    assert all(errors[a] > errors[b] for a, b in zip(sizes, sizes[1:])), errors
    assert errors[5.0] < 0.25 * errors[50.0]
    big = [c for c in focus_grids[5.0].admin1_codes if units.loc[c, "area_km2"] > 50_000]
    cells = focus_grids[5.0].cells_per_admin1()
    for code in big:  # Mopti, Tillabéri, Agadez, ...: within 1 % at 5 km
        assert cells[code] * 25.0 == pytest.approx(units.loc[code, "area_km2"], rel=0.01), code


def test_admin1_cells_add_up_to_the_country_cells(region_grid_20km):
    g = region_grid_20km
    per_country = dict.fromkeys(g.codes, 0)
    for code, n in g.cells_per_admin1().items():
        per_country[g.admin1_country[g.admin1_codes.index(code)]] += n
    assert per_country == g.cells_per_country()


def test_known_towns_fall_in_their_unit(region_grid_20km):
    g = region_grid_20km
    for lon, lat, code in [(-4.19, 14.49, "MLI-2809"),  # Mopti
                           (1.45, 13.98, "NER-4859"),  # Tillabéri
                           (-1.63, 14.10, "BFA-2806"),  # Djibo, Soum
                           (12.61, 13.31, "NER-796")]:  # Diffa
        row, col = g.cell_of(lon, lat)
        assert g.admin1_codes[g.admin1_id[row, col] - 1] == code


def test_no_admin1_and_plain_grids_have_zero_ids(countries):
    g = build_grid(countries, cell_km=50.0, codes=["MLI"], admin1=None)
    assert g.admin1_codes == () and (g.admin1_id == 0).all() and g.admin1_id.dtype == np.uint16
    plain = Grid(CRS.from_user_input(SAHEL_ALBERS), Affine(1000.0, 0, 0, 0, -1000.0, 0), (2, 3), 1.0, ("MLI",),
                 np.ones((2, 3), np.uint8))
    assert plain.admin1_id.shape == (2, 3) and not plain.admin1_id.any()
    with pytest.raises(SpilloverError, match="admin1='nope'"):
        build_grid(countries, cell_km=50.0, codes=["MLI"], admin1="nope")


def _square_country(code="TNY", size_deg=2.0):
    return gpd.GeoDataFrame({"ADM0_A3": [code]}, geometry=[shapely.box(0, 10, size_deg, 10 + size_deg)],
                            crs="EPSG:4326").set_index("ADM0_A3", drop=False)


def test_cells_outside_every_unit_take_the_nearest_unit_of_their_country():
    # Two units leave a gap (x from 0.9 to 1.1°) and overhang the country: the gap's cells go to the nearer unit,
    # the overhang gets no id, and a country without units keeps 0.
    country = _square_country()
    units = gpd.GeoDataFrame({"adm0_a3": ["TNY", "TNY"], "adm1_code": ["TNY-1", "TNY-2"], "name": ["W", "E"]},
                             geometry=[shapely.box(-1, 10, 0.9, 12), shapely.box(1.1, 10, 3, 12)], crs="EPSG:4326")
    g = build_grid(country, cell_km=10.0, admin1=units)
    assert (g.admin1_id[g.mask] > 0).all() and (g.admin1_id[~g.mask] == 0).all()
    lon, _ = g.lonlat()
    west, east = g.mask & (lon < 0.98), g.mask & (lon > 1.02)
    assert (g.admin1_id[west] == 1).all() and (g.admin1_id[east] == 2).all()
    bare = build_grid(country, cell_km=10.0, admin1=units.iloc[:0])
    assert bare.admin1_codes == () and not bare.admin1_id.any()


def test_units_of_another_country_are_ignored(countries, units):
    g = build_grid(countries, cell_km=50.0, codes=["BFA"], admin1=units)
    assert set(g.admin1_country) == {"BFA"} and len(g.admin1_codes) == 45
    assert (g.admin1_parent[g.admin1_id][g.mask] == 1).all()


def test_grid_admin1_tables_must_agree():
    with pytest.raises(SpilloverError, match="admin-1 tables disagree"):
        Grid(CRS.from_user_input(SAHEL_ALBERS), Affine(1000.0, 0, 0, 0, -1000.0, 0), (1, 1), 1.0, ("MLI",),
             np.ones((1, 1), np.uint8), admin1_codes=("MLI-1",), admin1_country=())


@pytest.mark.parametrize("code", ["MLI", "NER", "BFA", "SAH", "SDN"])
def test_each_country_is_tiled_by_its_units_on_the_grid(region_grid_20km, code):
    g = region_grid_20km
    cid = g.id_of(code)
    inside = g.country_id == cid
    parents = g.admin1_parent[g.admin1_id[inside]]
    assert (parents == cid).all()
    assert set(np.unique(g.admin1_id[inside])) <= {g.admin1_id_of(c) for c, p in
                                                   zip(g.admin1_codes, g.admin1_country) if p == code}
    assert code in REGION
