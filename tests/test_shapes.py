"""The committed Natural Earth subset (shapes/): contents, repairs, reproducible rebuild and atomic writes."""
from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo.adjacency import geodesic_area_km2
from geo.atomic import atomic_path, write_text_atomic
from geo.errors import SpilloverError
from geo.shapes import (
    DEFAULT_NAMES, DEFAULT_SHAPES, KEEP_COLUMNS, NAME_COLUMNS, REGION, SAHEL_G5, build_shapes, load_countries,
    load_country_names, natural_earth_zip, read_natural_earth,
)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    """A fresh ``build_shapes`` from the Natural Earth wheel into a temporary folder: (gpkg path, csv path)."""
    folder = tmp_path_factory.mktemp("rebuild")
    out, names_out = folder / "sahel_countries.gpkg", folder / "country_names.csv"
    assert build_shapes(out, names_out) == out
    return out, names_out


@pytest.fixture(scope="module")
def world():
    return read_natural_earth()


# --- the committed files ---------------------------------------------------------------------------------------

def test_committed_gpkg_holds_exactly_region_in_order(countries):
    assert tuple(countries.index) == REGION
    assert len(set(REGION)) == len(REGION) == 18
    assert set(SAHEL_G5) <= set(REGION)
    assert countries.crs.to_epsg() == 4326


def test_committed_gpkg_keeps_exactly_the_listed_columns(countries):
    assert list(countries.columns) == list(KEEP_COLUMNS) + ["geometry"]
    assert (countries["ADM0_A3"] == countries.index).all()


def test_committed_geometries_are_valid_polygons(countries):
    geoms = countries.geometry.values
    assert shapely.is_valid(geoms).all()
    assert set(countries.geom_type) <= {"Polygon", "MultiPolygon"}
    assert not countries.geometry.is_empty.any()


def test_western_sahara_is_its_own_feature_sah(countries, world):
    sah = countries.loc["SAH"]
    assert sah.ADMIN == "Western Sahara" and sah.ISO_A3 == "ESH"
    # German point of view: Morocco and Western Sahara are separate, non-overlapping features.
    overlap = world.geometry["MAR"].intersection(world.geometry["SAH"])
    assert overlap.area < 1e-6 * world.geometry["SAH"].area
    assert geodesic_area_km2(sah.geometry) == pytest.approx(266_000, rel=0.03)  # published area 266,000 km²


def test_names_are_decoded_as_utf8(countries):
    civ = countries.loc["CIV"]
    # In Natural Earth 5.1.1 NAME_EN of CIV is "Ivory Coast"; NAME and NAME_FR carry the accent.
    assert civ.NAME == "Côte d'Ivoire"
    assert civ.NAME_FR == "Côte d'Ivoire"
    assert countries.loc["TCD", "NAME_FR"] == "Tchad"
    table = load_country_names()
    assert table.set_index("ADM0_A3").loc["CIV", "NAME"] == "Côte d'Ivoire"
    assert table.set_index("ADM0_A3").loc["EGY", "NAME_FR"] == "Égypte"
    # no mojibake of a UTF-8 file decoded as Latin-1 anywhere ('Ã' starts every such pair)
    text = [*table.astype(str).to_numpy().ravel(), *countries.drop(columns="geometry").astype(str).to_numpy().ravel()]
    assert not any("Ã" in s for s in text)
    assert table.set_index("ADM0_A3").loc["STP", "NAME_EN"] == "São Tomé and Príncipe"


def test_name_table_covers_the_world_keyed_by_adm0_a3():
    table = load_country_names()
    assert list(table.columns) == list(NAME_COLUMNS)
    assert table.ADM0_A3.is_unique and len(table) > 240
    codes = set(table.ADM0_A3)
    assert {"FRA", "NOR", "GBR", "DEU", "USA", "SWE", *REGION} <= codes
    # ISO_A3 is -99 for France and Norway: that is why the key is ADM0_A3
    assert table.set_index("ADM0_A3").loc[["FRA", "NOR"], "ISO_A3"].tolist() == ["-99", "-99"]


# --- rebuild from the Natural Earth wheel ----------------------------------------------------------------------

def test_rebuild_reproduces_committed_gpkg(rebuilt, countries):
    fresh = load_countries(rebuilt[0])
    assert list(fresh.index) == list(countries.index)
    assert list(fresh.columns) == list(countries.columns)
    pd.testing.assert_frame_equal(pd.DataFrame(fresh.drop(columns="geometry")),
                                  pd.DataFrame(countries.drop(columns="geometry")))
    a = np.array([geodesic_area_km2(g) for g in fresh.geometry])
    b = np.array([geodesic_area_km2(g) for g in countries.geometry])
    np.testing.assert_allclose(a, b, rtol=1e-9)
    assert shapely.equals_exact(fresh.geometry.values, countries.geometry.values, tolerance=1e-12).all()


def test_rebuild_reproduces_committed_name_table(rebuilt):
    fresh = pd.read_csv(rebuilt[1], dtype=str, keep_default_na=False, encoding="utf-8")
    pd.testing.assert_frame_equal(fresh, load_country_names())


def test_natural_earth_source_is_the_german_view_zip():
    path = natural_earth_zip()
    assert path.name == "ne_10m_admin_0_countries_deu.zip" and path.stat().st_size > 1_000_000


def test_read_natural_earth_repairs_invalid_geometry(world):
    # Egypt's polygon is invalid as shipped in 5.1.1; read_natural_earth must return it valid and polygonal.
    raw = pyogrio.read_dataframe(f"zip://{natural_earth_zip()}", encoding="utf-8").set_index("ADM0_A3")
    assert not shapely.is_valid(raw.geometry["EGY"])
    assert shapely.is_valid(world.geometry.values).all()
    assert set(world.geom_type) <= {"Polygon", "MultiPolygon"}
    # the repair keeps the country: same area up to the sliver that made it invalid
    assert world.geometry["EGY"].area == pytest.approx(raw.geometry["EGY"].buffer(0).area, rel=1e-3)


def test_read_natural_earth_is_keyed_by_adm0_a3_not_iso(world):
    assert world.index.is_unique
    assert world.loc["FRA", "ISO_A3"] == "-99" and world.loc["FRA", "NAME_EN"] == "France"
    assert world.loc["NOR", "ISO_A3"] == "-99"


def test_build_shapes_rejects_unknown_code(tmp_path):
    with pytest.raises(SpilloverError, match=r"unknown ADM0_A3 code\(s\) \['XYZ'\]"):
        build_shapes(tmp_path / "x.gpkg", tmp_path / "n.csv", codes=("MLI", "XYZ"))
    assert list(tmp_path.iterdir()) == []


# --- atomic writes ---------------------------------------------------------------------------------------------

def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_failed_gpkg_write_leaves_previous_file_intact(tmp_path, monkeypatch):
    out, names_out = tmp_path / "sahel_countries.gpkg", tmp_path / "country_names.csv"
    out.write_bytes(DEFAULT_SHAPES.read_bytes())
    names_out.write_bytes(DEFAULT_NAMES.read_bytes())
    before = _snapshot(tmp_path)
    seen = []

    def failing_to_file(self, filename, *args, **kwargs):
        seen.append(filename)
        with open(filename, "wb") as fh:  # a half-written temporary file ...
            fh.write(b"partial")
        raise OSError("disk full")  # ... then the writer fails

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", failing_to_file)
    with pytest.raises(OSError, match="disk full"):
        build_shapes(out, names_out)
    assert seen and os.fspath(seen[0]) != os.fspath(out)  # it wrote beside the target, not onto it
    assert _snapshot(tmp_path) == before  # target unchanged, no temporary left behind
    load_countries(out)


def test_failed_csv_write_leaves_previous_file_intact(tmp_path, monkeypatch):
    out, names_out = tmp_path / "sahel_countries.gpkg", tmp_path / "country_names.csv"
    names_out.write_text("previous\n", encoding="utf-8")

    def failing_to_csv(self, path, *args, **kwargs):
        open(path, "w").write("ADM0")
        raise OSError("interrupted")

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing_to_csv)
    with pytest.raises(OSError, match="interrupted"):
        build_shapes(out, names_out)
    assert names_out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["country_names.csv", "sahel_countries.gpkg"]


def test_atomic_path_replaces_on_success_and_keeps_suffix(tmp_path):
    target = tmp_path / "sub" / "f.gpkg"
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.suffix == ".gpkg" and not tmp.exists()
        tmp.write_text("new")
    assert target.read_text() == "new"
    write_text_atomic(target, "newer ✓")
    assert target.read_text(encoding="utf-8") == "newer ✓"
    assert [p.name for p in target.parent.iterdir()] == ["f.gpkg"]


# --- load_countries on bad input -------------------------------------------------------------------------------

def test_missing_shapes_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope.gpkg"
    with pytest.raises(SpilloverError) as err:
        load_countries(missing)
    assert str(missing) in str(err.value) and "does not exist" in str(err.value)
    assert "spillover shapes build" in str(err.value)


def test_corrupted_shapes_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.gpkg"
    bad.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(SpilloverError) as err:
        load_countries(bad)
    msg = str(err.value)
    assert msg.startswith(f"cannot read shapes file {bad}") and "layer 'countries'" in msg
    assert "spillover shapes build" in msg


def test_shapes_file_without_needed_columns_is_a_clear_error(tmp_path):
    path = tmp_path / "wrong.gpkg"
    gpd.GeoDataFrame({"ADM0_A3": ["MLI"]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4326").to_file(
        path, layer="countries", driver="GPKG")
    with pytest.raises(SpilloverError, match=r"lacks columns \['NAME_EN'\]"):
        load_countries(path)


def test_load_countries_selects_codes_in_order_and_rejects_unknown(countries):
    assert list(load_countries(codes=["NER", "MLI"]).index) == ["NER", "MLI"]
    with pytest.raises(SpilloverError) as err:
        load_countries(codes=["MLI", "FRA"])
    assert "['FRA']" in str(err.value) and "'MLI'" in str(err.value) and "valid ADM0_A3 codes" in str(err.value)


def test_missing_name_table_is_a_clear_error(tmp_path):
    with pytest.raises(SpilloverError, match="country name table .* does not exist"):
        load_country_names(tmp_path / "names.csv")
