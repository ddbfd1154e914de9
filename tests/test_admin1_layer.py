"""The admin-1 layer of the attributes GeoPackage: facts per unit, written beside the country layer."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from geo.admin1 import admin1_attributes_layer, fact_units, write_admin1_layer


def _fact(kind, place=None, country=None, date=None, adm1_code=None):
    return SimpleNamespace(kind=kind, place=place, country=country, date=date, adm1_code=adm1_code)


FACTS = [
    _fact("onset", "central Mali", "MLI", dt.date(2015, 1, 1)),
    _fact("onset", "the Sahel region of Burkina Faso", "BFA", dt.date(2016, 1, 1)),
    _fact("deployment", "Djibo", "BFA"),
    _fact("withdrawal", None, "MLI"),  # about the whole country: not in the admin-1 layer
    _fact("deployment", None, "NER", adm1_code="NER-4859"),  # the document layer may set adm1_code itself
    _fact("onset", "Mali", "MLI", dt.date(2012, 1, 1)),  # a country phrase: country layer only
    _fact("onset", "the moon", "MLI"),
]


def test_fact_units():
    assert fact_units(FACTS[0]) == ("MLI-2809", "MLI-2810")
    assert fact_units(FACTS[2]) == ("BFA-2806",)
    assert fact_units(FACTS[3]) == () and fact_units(FACTS[5]) == () and fact_units(FACTS[6]) == ()
    assert fact_units(FACTS[4]) == ("NER-4859",)


def test_layer_counts_facts_per_unit():
    layer = admin1_attributes_layer(FACTS, codes=["MLI", "BFA", "NER"])
    assert len(layer) == 62 and layer.crs.to_epsg() == 4326
    assert list(layer.columns) == ["adm0_a3", "adm1_code", "name", "region", "geometry", "facts", "kinds",
                                   "onset_year"]
    assert layer.loc["MLI-2809", ["facts", "kinds", "onset_year"]].tolist() == [1, "onset", 2015.0]
    assert layer.loc["BFA-2806", ["facts", "kinds", "onset_year"]].tolist() == [2, "deployment|onset", 2016.0]
    assert layer.loc["NER-4859", "facts"] == 1 and np.isnan(layer.loc["NER-4859", "onset_year"])
    assert layer["facts"].sum() == 2 + 4 * 1 + 1 + 1  # Mopti+Ségou, 4 Sahel provinces, Djibo, Tillabéri
    assert layer.loc["MLI-2689", "facts"] == 0 and layer.loc["MLI-2689", "kinds"] == ""


def test_write_adds_the_layer_and_keeps_the_others(tmp_path):
    path = tmp_path / "attributes.gpkg"
    gpd.GeoDataFrame({"ADM0_A3": ["MLI"]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4326").to_file(
        path, layer="attributes")
    assert write_admin1_layer(path, FACTS, codes=["MLI", "BFA", "NER"]) == path
    assert sorted(pyogrio.list_layers(path)[:, 0]) == ["admin1", "attributes"]
    back = gpd.read_file(path, layer="admin1")
    assert len(back) == 62 and back.set_index("adm1_code").loc["BFA-2806", "facts"] == 2
    write_admin1_layer(path, FACTS[:1], codes=["MLI"])  # rewriting replaces the layer
    assert len(gpd.read_file(path, layer="admin1")) == 9
    assert len(gpd.read_file(path, layer="attributes")) == 1
    new = write_admin1_layer(tmp_path / "new.gpkg", [], codes=["NER"])
    assert len(gpd.read_file(new, layer="admin1")) == 8
    assert not list(tmp_path.glob(".*"))
