"""Place phrases → geometry: countries, cardinal parts, capitals, the Liptako-Gourma tri-border area."""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo.adjacency import geodesic_area_km2
from geo.errors import SpilloverError
from geo.names import capital_of
from geo.places import TRI_BORDER_RADIUS_KM, country_part, resolve_place, tri_border_area, tri_point
from geo.shapes import REGION

_GEOD = Geod(ellps="WGS84")


def _within(part, whole, rel=1e-7) -> bool:
    """``part`` lies in ``whole`` up to floating-point slivers from the round trip through the grid CRS."""
    return part.difference(whole).area <= rel * part.area


def _centroid(geom):
    c = geom.centroid
    return c.x, c.y


@pytest.fixture(scope="module")
def units():
    from geo.admin1 import load_admin1

    return load_admin1()


@pytest.fixture(scope="module")
def northern_mali(countries):
    return resolve_place("northern Mali", countries)


# --- parts of countries ----------------------------------------------------------------------------------------

def test_northern_mali(countries, geodesic_areas, northern_mali):
    mli = countries.geometry["MLI"]
    place = northern_mali
    assert place.kind == "part" and place.codes == ("MLI",) and place.direction == "north"
    assert _within(place.geometry, mli)
    fraction = geodesic_area_km2(place.geometry) / geodesic_areas["MLI"]
    assert 0.3 < fraction < 0.7
    assert _centroid(place.geometry)[1] > _centroid(mli)[1] + 1.0  # clearly north
    # it is the northern part: Timbuktu (16.77°N) is south of the cut, Kidal (18.44°N) and Tessalit north of it
    assert not place.geometry.contains(shapely.Point(-3.0, 16.77))
    assert place.geometry.contains(shapely.Point(1.41, 18.44)) and place.geometry.contains(shapely.Point(1.0, 20.2))


@pytest.mark.parametrize("phrase", ["the north of Mali", "north of Mali", "North Mali", "Mali's north",
                                    "NORTHERN MALI", "northern Malian"])
def test_phrasings_of_the_north_agree(countries, northern_mali, phrase):
    assert resolve_place(phrase, countries).geometry.equals(northern_mali.geometry)


def test_the_countrys_north_uses_context(countries, northern_mali):
    place = resolve_place("the country's north", countries, context="Mali")
    assert place.codes == ("MLI",) and place.geometry.equals(northern_mali.geometry)


def test_north_and_south_halves_tile_the_country(countries, geodesic_areas):
    north = country_part(countries, "MLI", "north")
    south = country_part(countries, "MLI", "south")
    assert geodesic_area_km2(north.intersection(south)) < 1e-6 * geodesic_areas["MLI"]
    assert geodesic_area_km2(north.union(south)) == pytest.approx(geodesic_areas["MLI"], rel=1e-6)


def test_the_east_of_burkina_faso(countries, geodesic_areas):
    bfa = countries.geometry["BFA"]
    place = resolve_place("the east of Burkina Faso", countries)
    assert place.codes == ("BFA",) and place.direction == "east"
    assert _within(place.geometry, bfa)
    assert _centroid(place.geometry)[0] > _centroid(bfa)[0] + 0.5
    assert 0.2 < geodesic_area_km2(place.geometry) / geodesic_areas["BFA"] < 0.8
    # Fada N'Gourma (0.35°E) is in the east, Bobo-Dioulasso (4.3°W) is not
    assert place.geometry.contains(shapely.Point(0.35, 12.06))
    assert not place.geometry.contains(shapely.Point(-4.30, 11.18))


def test_central_mali_is_mopti_and_segou(countries, units):
    # "central Mali" (le centre du Mali) names the Mopti and Ségou regions in conflict reporting; the compass
    # reading (the middle third of the extent) would be mostly Timbuktu's desert.
    place = resolve_place("central Mali", countries)
    assert place.kind == "part" and place.direction == "central" and place.codes == ("MLI",)
    assert place.adm1_codes == ("MLI-2809", "MLI-2810")
    assert place.geometry.equals(shapely.union_all(units.geometry.loc[["MLI-2809", "MLI-2810"]].values))
    assert _within(place.geometry, countries.geometry["MLI"])
    assert place.geometry.contains(shapely.Point(-4.19, 14.49))  # Mopti
    assert place.geometry.contains(shapely.Point(-6.27, 13.45))  # Ségou
    assert not place.geometry.contains(shapely.Point(-3.0, 16.77))  # Timbuktu
    assert resolve_place("the centre of Mali", countries).geometry.equals(place.geometry)


def test_compass_central_part_of_other_countries(countries, geodesic_areas):
    place = resolve_place("central Niger", countries)
    ner = countries.geometry["NER"]
    fraction = geodesic_area_km2(place.geometry) / geodesic_areas["NER"]
    assert place.direction == "central" and _within(place.geometry, ner) and 0.05 < fraction < 0.4
    x0, y0, x1, y1 = ner.bounds
    px0, py0, px1, py1 = place.geometry.bounds
    assert x0 + 0.2 * (x1 - x0) < px0 and px1 < x1 - 0.2 * (x1 - x0)
    assert y0 + 0.2 * (y1 - y0) < py0 and py1 < y1 - 0.2 * (y1 - y0)


def test_diagonal_part(countries):
    nga = countries.geometry["NGA"]
    place = resolve_place("north-east Nigeria", countries)
    assert place.codes == ("NGA",) and place.direction == "north-east" and _within(place.geometry, nga)
    cx, cy = _centroid(place.geometry)
    assert cx > _centroid(nga)[0] and cy > _centroid(nga)[1]
    assert place.geometry.contains(shapely.Point(13.16, 11.85))  # Maiduguri


# --- countries and capitals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("phrase, code", [("Mali", "MLI"), ("Burkina", "BFA"), ("Nigerien", "NER"), ("NER", "NER"),
                                          ("the Niger", "NER"), ("Tchad", "TCD")])
def test_country_phrases(countries, phrase, code):
    place = resolve_place(phrase, countries)
    assert place.kind == "country" and place.codes == (code,)
    assert place.geometry.equals(countries.geometry[code])


def test_country_outside_the_loaded_set_is_a_clear_error(countries):
    with pytest.raises(SpilloverError, match=r"'Sweden' is SWE, which is not among the loaded countries"):
        resolve_place("Sweden", countries)


@pytest.mark.parametrize("code", REGION)
def test_capitals_are_points_in_their_country(countries, code):
    name, lon, lat = capital_of(code)
    place = resolve_place(name, countries)
    assert place.kind == "capital" and place.codes == (code,)
    assert place.geometry.geom_type == "Point"
    assert countries.geometry[code].contains(place.geometry)


def test_capital_with_radius_is_a_disc(countries):
    place = resolve_place("Bamako", countries, radius_km=50)
    assert place.geometry.geom_type == "Polygon"
    assert place.geometry.contains(shapely.Point(-7.975, 12.609))
    assert geodesic_area_km2(place.geometry) == pytest.approx(np.pi * 50**2, rel=1e-3)
    lon, lat = shapely.get_coordinates(place.geometry).T
    _, lon0, lat0 = capital_of("MLI")
    dist = _GEOD.inv(np.full_like(lon, lon0), np.full_like(lat, lat0), lon, lat)[2]
    np.testing.assert_allclose(dist, 50_000, rtol=1e-9)


# --- the tri-border area ---------------------------------------------------------------------------------------

def test_tri_point_is_the_real_mali_burkina_niger_tripoint(countries):
    p = tri_point(countries)
    # the Mali–Burkina Faso–Niger tripoint lies near 0.2°E, 15.0°N (on the Béli, north of Markoye)
    assert p.x == pytest.approx(0.2, abs=0.15) and p.y == pytest.approx(15.0, abs=0.15)
    for code in ("MLI", "BFA", "NER"):
        assert countries.geometry[code].boundary.distance(p) < 1e-9


@pytest.mark.parametrize("phrase", ["tri-border area", "the tri-border area", "Liptako-Gourma", "the Liptako-Gourma",
                                    "Liptako Gourma", "the three borders", "zone des trois frontières", "the triborder"])
def test_tri_border_area(countries, phrase):
    place = resolve_place(phrase, countries)
    assert place.kind == "tri-border" and place.codes == ("MLI", "BFA", "NER")
    area = place.geometry
    for code in ("MLI", "BFA", "NER"):
        assert area.intersection(countries.geometry[code]).area > 0.1 * area.area / 3
    p = tri_point(countries)
    assert area.distance(p) < 1e-9 and area.buffer(1e-6).contains(p)
    # no further than the radius from the tri-point, and not much smaller than the disc
    lon, lat = shapely.get_coordinates(area).T
    _, _, dist = _GEOD.inv(np.full_like(lon, p.x), np.full_like(lat, p.y), lon, lat)
    assert dist.max() <= TRI_BORDER_RADIUS_KM * 1000 * 1.0005  # a geodesic disc, not a projected one
    disc = np.pi * TRI_BORDER_RADIUS_KM**2
    assert 0.7 * disc < geodesic_area_km2(area) <= 1.01 * disc


def test_tri_border_area_lies_in_the_three_countries(countries):
    area = tri_border_area(countries)
    union = shapely.union_all([countries.geometry[k] for k in ("MLI", "BFA", "NER")])
    assert _within(area, union)


# --- bad phrases -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("phrase", ["the moon", "northern Narnia", "upper Mali", "", "the country's north"])
def test_bad_phrase_lists_valid_forms(countries, phrase):
    with pytest.raises(SpilloverError) as err:
        resolve_place(phrase, countries)
    msg = str(err.value)
    assert f"cannot resolve place {phrase!r}" in msg
    for form in ("'Mali'", "'northern Mali'", "'Bamako'", "'Liptako-Gourma'", "'Tillabéri region'", "'Djibo'"):
        assert form in msg


def test_unknown_direction_in_country_part(countries):
    with pytest.raises(SpilloverError, match=r"unknown direction 'up'; valid: .*'north-east'.*'central'"):
        country_part(countries, "MLI", "up")
