"""The equal-area grid: true equal area, rasterized areas, convergence, round trips and bad input."""
from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS

import geo.grid
from geo.errors import SpilloverError
from geo.grid import MAX_CELLS, SAHEL_ALBERS, build_grid
from geo.shapes import REGION, SAHEL_G5


def _g5_abs_error_km2(countries, areas, cell_km, crs=SAHEL_ALBERS) -> float:
    grid = build_grid(countries, cell_km=cell_km, codes=list(SAHEL_G5), crs=crs)
    counts = grid.cells_per_country()
    return sum(abs(counts[c] * grid.cell_area_km2 - areas[c]) for c in SAHEL_G5)


# --- the projection is equal-area ------------------------------------------------------------------------------

@pytest.mark.parametrize("code", SAHEL_G5 + ("DZA", "NGA", "SAH"))
def test_grid_crs_is_equal_area(countries, geodesic_areas, code):
    projected_km2 = countries.loc[[code]].to_crs(SAHEL_ALBERS).area.iloc[0] / 1e6
    assert projected_km2 == pytest.approx(geodesic_areas[code], rel=1e-3)


def test_equal_area_check_would_catch_a_conformal_projection(countries, geodesic_areas):
    # The same measurement in a conformal projection is far off: the check above has teeth.
    mercator_km2 = countries.loc[["MLI"]].to_crs("EPSG:3857").area.iloc[0] / 1e6
    assert abs(mercator_km2 / geodesic_areas["MLI"] - 1) > 0.03


def test_grid_geometry(g5_grid_10km):
    g = g5_grid_10km
    assert g.crs == CRS.from_user_input(SAHEL_ALBERS)
    assert g.codes == SAHEL_G5
    assert g.cell_area_km2 == 100.0
    assert g.transform.a == 10_000.0 and g.transform.e == -10_000.0
    assert g.country_id.shape == g.shape and g.country_id.dtype == np.uint8
    assert np.all(np.diff(g.y) < 0) and np.all(np.diff(g.x) > 0)  # row 0 is the north edge
    xmin, ymin, xmax, ymax = g.bounds
    assert (xmax - xmin, ymax - ymin) == (g.shape[1] * 10_000.0, g.shape[0] * 10_000.0)
    # one empty cell of padding all round
    assert not g.mask[0].any() and not g.mask[-1].any() and not g.mask[:, 0].any() and not g.mask[:, -1].any()


# --- rasterized areas ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", SAHEL_G5)
def test_rasterized_area_within_one_percent_at_10km(g5_grid_10km, geodesic_areas, code):
    cells = g5_grid_10km.cells_per_country()[code]
    assert cells * g5_grid_10km.cell_area_km2 == pytest.approx(geodesic_areas[code], rel=0.01)


def test_cell_counts_add_up(g5_grid_10km):
    g = g5_grid_10km
    assert sum(g.cells_per_country().values()) == int(g.mask.sum())
    assert set(np.unique(g.country_id)) == set(range(len(g.codes) + 1))
    for code in g.codes:
        assert int((g.country_id == g.id_of(code)).sum()) == g.cells_per_country()[code]


def test_rasterization_error_shrinks_with_cell_size(countries, geodesic_areas):
    """Total |cells × cell area − geodesic area| over the G5 falls as cells shrink (40 → 20 → 10 km).

    One grid alignment can be lucky or unlucky, so the error is averaged over several grid offsets (shifting the
    projection's false easting/northing by a fraction of a cell). Centre-sampling error is a boundary effect that
    scales like cell^1.5 (perimeter/cell boundary cells, each off by ±cell² at random): a fit of log error against
    log cell size must give a slope well above 1 and each halving must cut the mean error by a clear factor.
    """
    rng = np.random.default_rng(20240607)
    sizes = (40.0, 20.0, 10.0)
    mean_error = []
    for cell_km in sizes:
        offsets = rng.uniform(0.0, cell_km * 1000.0, size=(6, 2))
        errors = [_g5_abs_error_km2(countries, geodesic_areas, cell_km, f"{SAHEL_ALBERS} +x_0={ox:.1f} +y_0={oy:.1f}")
                  for ox, oy in offsets]
        mean_error.append(np.mean(errors))
    assert mean_error[1] < 0.6 * mean_error[0] and mean_error[2] < 0.6 * mean_error[1], mean_error
    slope = np.polyfit(np.log(sizes), np.log(mean_error), 1)[0]
    assert slope > 1.1, (slope, mean_error)
    # and relative to the G5 total area the 10 km error is tiny
    assert mean_error[2] / sum(geodesic_areas[c] for c in SAHEL_G5) < 0.002


# --- round trips -----------------------------------------------------------------------------------------------

def test_cell_centres_lie_in_the_country_of_their_id(countries, region_grid_20km):
    """Cell centre → lon/lat → the polygon containing it → the same country id, for sampled cells."""
    g = region_grid_20km
    rng = np.random.default_rng(7)
    land = np.argwhere(g.mask)
    sea = np.argwhere(~g.mask)
    picks = np.concatenate([land[rng.choice(len(land), 3000, replace=False)],
                            sea[rng.choice(len(sea), 1000, replace=False)]])
    rows, cols = picks.T
    lon, lat = g.lonlat(rows, cols)
    found = np.zeros(len(rows), dtype=int)
    for i, code in enumerate(g.codes):
        inside = shapely.contains_xy(countries.geometry[code], lon, lat)
        assert not (inside & (found > 0)).any()  # countries do not overlap
        found[inside] = i + 1
    wrong = found != g.country_id[rows, cols]
    if wrong.any():  # only centres practically on a border may disagree
        borders = shapely.union_all(countries.loc[list(g.codes)].boundary.values)
        dist = shapely.distance(shapely.points(lon[wrong], lat[wrong]), borders)
        assert dist.max() < 1e-5 and wrong.sum() <= 3, (wrong.sum(), dist.max())
    assert (g.country_id[rows, cols] > 0).sum() == 3000


def test_cell_of_inverts_lonlat(region_grid_20km):
    g = region_grid_20km
    rng = np.random.default_rng(3)
    rows = rng.integers(0, g.shape[0], 2000)
    cols = rng.integers(0, g.shape[1], 2000)
    lon, lat = g.lonlat(rows, cols)
    r, c = g.cell_of(lon, lat)
    np.testing.assert_array_equal(r, rows)
    np.testing.assert_array_equal(c, cols)
    # any point inside a cell, not only its centre, maps back to that cell
    from pyproj import Transformer
    to_lonlat = Transformer.from_crs(g.crs, "EPSG:4326", always_xy=True)
    fx, fy = rng.uniform(0.02, 0.98, (2, 2000))
    x = g.transform.c + (cols + fx) * g.transform.a
    y = g.transform.f + (rows + fy) * g.transform.e
    r, c = g.cell_of(*to_lonlat.transform(x, y))
    np.testing.assert_array_equal(r, rows)
    np.testing.assert_array_equal(c, cols)


def test_full_lonlat_is_consistent_with_indexed_lonlat(g5_grid_10km):
    g = g5_grid_10km
    lon, lat = g.lonlat()
    assert lon.shape == g.shape
    r, c = np.array([0, 5, g.shape[0] - 1]), np.array([0, 7, g.shape[1] - 1])
    lo, la = g.lonlat(r, c)
    np.testing.assert_allclose(lon[r, c], lo)
    np.testing.assert_allclose(lat[r, c], la)


def test_capitals_fall_in_their_countries_cells(countries, region_grid_20km):
    g = region_grid_20km
    # Bamako, Ouagadougou, Niamey, N'Djamena (well inside their countries)
    lon = np.array([-7.975, -1.534, 2.110, 15.044])
    lat = np.array([12.609, 12.366, 13.514, 12.107])
    r, c = g.cell_of(lon, lat)
    assert [g.codes[i - 1] for i in g.country_id[r, c]] == ["MLI", "BFA", "NER", "TCD"]


def test_rasterize_extra_geometries(countries, g5_grid_10km):
    g = g5_grid_10km
    mli = g.rasterize(countries.loc[["MLI"]].geometry)
    np.testing.assert_array_equal(mli, g.country_id == g.id_of("MLI"))
    assert not g.rasterize(gpd.GeoSeries([], crs="EPSG:4326")).any()
    assert g.rasterize(countries.loc[["MLI"]].geometry, all_touched=True).sum() > mli.sum()


# --- bad input -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [0, 0.0, -10, float("nan"), float("inf"), -float("inf"), "10", None, True])
def test_bad_cell_size_is_a_clear_error(countries, bad):
    with pytest.raises(SpilloverError) as err:
        build_grid(countries, cell_km=bad, codes=["MLI"])
    assert f"cell_km={bad!r}" in str(err.value) and "positive number of km" in str(err.value)


def test_numpy_scalar_cell_size_is_accepted(countries):
    ref = build_grid(countries, cell_km=50.0, codes=["MLI"])
    for size in (np.float32(50), np.float64(50), np.int64(50), 50):
        g = build_grid(countries, cell_km=size, codes=["MLI"])
        assert g.shape == ref.shape and g.cell_km == 50.0 and isinstance(g.cell_km, float)


def test_absurdly_small_cells_are_refused_with_a_minimal_size(countries):
    with pytest.raises(SpilloverError) as err:
        build_grid(countries, cell_km=0.001)
    msg = str(err.value)
    assert "cell_km=0.001" in msg and f"limit of {MAX_CELLS:,} cells" in msg
    count = int(re.search(r"about ([\d,]+) cells", msg).group(1).replace(",", ""))
    assert 1e13 < count < 1e14  # ~2.3e13 cells of 1 m² over a ~3,900 × 5,900 km box
    assert re.search(r"at least 0\.2\d km", msg)


@pytest.mark.parametrize("tiny", [1e-300, 5e-324])
def test_vanishing_cells_do_not_overflow(countries, tiny):
    with pytest.raises(SpilloverError, match="more than 1e308 cells.*at least"):
        build_grid(countries, cell_km=tiny)


def test_suggested_minimal_cell_size_fits_the_limit(countries, monkeypatch):
    monkeypatch.setattr(geo.grid, "MAX_CELLS", 50_000)
    with pytest.raises(SpilloverError) as err:
        build_grid(countries, cell_km=5)
    minimal = float(re.search(r"at least ([\d.]+) km", str(err.value)).group(1))
    grid = build_grid(countries, cell_km=minimal)  # the suggestion works ...
    assert grid.shape[0] * grid.shape[1] <= 50_000
    with pytest.raises(SpilloverError):  # ... and is nearly the smallest that does
        build_grid(countries, cell_km=minimal * 0.97)


def test_unknown_country_code_is_a_clear_error(countries):
    with pytest.raises(SpilloverError) as err:
        build_grid(countries, cell_km=50, codes=["MLI", "XXX"])
    msg = str(err.value)
    assert "['XXX']" in msg and "valid ADM0_A3 codes" in msg and "'NER'" in msg


def test_duplicate_country_code_is_a_clear_error(countries):
    with pytest.raises(SpilloverError, match=r"\['MLI'\] given more than once"):
        build_grid(countries, cell_km=50, codes=["MLI", "NER", "MLI"])


def test_empty_selection_is_a_clear_error(countries):
    with pytest.raises(SpilloverError, match="no countries selected"):
        build_grid(countries, cell_km=50, codes=[])


def test_geographic_crs_is_refused(countries):
    with pytest.raises(SpilloverError, match="projected equal-area CRS"):
        build_grid(countries, cell_km=50, codes=["MLI"], crs="EPSG:4326")


def test_selection_without_cells_is_a_clear_error():
    # a 5 × 5 km country: no cell centre of a 200 km grid falls in it
    tiny = gpd.GeoDataFrame({"ADM0_A3": ["TNY"]}, geometry=[shapely.box(1.0, 15.0, 1.046, 15.045)],
                            crs="EPSG:4326").set_index("ADM0_A3", drop=False)
    with pytest.raises(SpilloverError) as err:
        build_grid(tiny, cell_km=200)
    msg = str(err.value)
    assert "['TNY']" in msg and "no cell at cell_km=200" in msg and "smaller cells" in msg
    assert build_grid(tiny, cell_km=1).cells_per_country()["TNY"] == pytest.approx(25, abs=6)


def test_id_of_unknown_code(g5_grid_10km):
    assert g5_grid_10km.id_of("MLI") == 1 and g5_grid_10km.id_of("MRT") == 5
    with pytest.raises(SpilloverError, match=r"'NGA' is not on this grid.*'MLI'"):
        g5_grid_10km.id_of("NGA")


def test_default_codes_are_all_rows_in_order(countries):
    g = build_grid(countries, cell_km=100)
    assert g.codes == REGION
    assert all(n > 0 for n in g.cells_per_country().values())
