"""Admin-1 units, Burkina Faso's regions and towns as places, and the adm1_code the document layer asks for."""
from __future__ import annotations

import pytest
import shapely

from geo.admin1 import load_admin1
from geo.names import adm1_code, admin1_codes, resolve_admin1
from geo.places import resolve_place

SAHEL_BFA = ("BFA-2805", "BFA-2806", "BFA-2876", "BFA-2877")


@pytest.fixture(scope="module")
def units():
    return load_admin1()


@pytest.mark.parametrize("phrase, code", [
    ("Tillabéri", "NER-4859"), ("Tillaberi", "NER-4859"), ("TILLABERI REGION", "NER-4859"),
    ("the Tillabéri region", "NER-4859"), ("région de Tillabéri", "NER-4859"), ("Tillabéri region of Niger", "NER-4859"),
    ("Mopti", "MLI-2809"), ("the Mopti region", "MLI-2809"), ("région de Mopti", "MLI-2809"),
    ("Soum province", "BFA-2806"), ("province du Soum", "BFA-2806"), ("the province of Soum", "BFA-2806"),
    ("Diffa", "NER-796"), ("Diffa region", "NER-796"), ("Tombouctou", "MLI-2688"), ("Timbuktu", "MLI-2688"),
    ("Gao", "MLI-2690"), ("Kidal", "MLI-2689"), ("Ségou", "MLI-2810"), ("Segou", "MLI-2810"),
    ("Agadès", "NER-800"), ("Niger state", "NGA-2851"), ("Plateau state", "NGA-2866"), ("Borno", "NGA-2839"),
    # Mali's newer regions lie inside Natural Earth's older units
    ("Ménaka", "MLI-2690"), ("Menaka region", "MLI-2690"), ("Taoudénit", "MLI-2688"),
])
def test_admin1_phrases(units, phrase, code):
    place = resolve_place(phrase, units_countries())
    assert place.kind == "admin1" and place.adm1_codes == (code,)
    assert place.codes == (units.loc[code, "adm0_a3"],)
    assert place.geometry.equals(units.loc[code].geometry.geoms[0]) or place.geometry.equals(units.loc[code].geometry)
    assert adm1_code(phrase) == code


def units_countries():
    from geo.shapes import load_countries

    return load_countries()


@pytest.mark.parametrize("phrase", ["the Sahel region of Burkina Faso", "Sahel region", "Burkina Faso's Sahel region",
                                    "la région du Sahel", "Sahel region of Burkina"])
def test_burkina_faso_sahel_region_is_its_four_provinces(units, phrase):
    place = resolve_place(phrase, units_countries())
    assert place.kind == "region" and place.codes == ("BFA",) and place.adm1_codes == SAHEL_BFA
    assert place.geometry.equals(shapely.union_all(units.geometry.loc[list(SAHEL_BFA)].values))
    assert place.geometry.contains(shapely.Point(-0.03, 14.03))  # Dori
    assert adm1_code(phrase) is None and admin1_codes(phrase) == SAHEL_BFA


def test_bare_sahel_and_country_names_are_not_admin1_units():
    assert resolve_admin1("Sahel") is None  # the Sahel, not Burkina Faso's region
    assert resolve_admin1("Mali") is None  # the country, not Guinea's prefecture Mali
    assert resolve_admin1("Niger") is None  # the country, not Nigeria's state
    assert resolve_admin1("Sahel", context="BFA").codes == SAHEL_BFA
    assert resolve_admin1("Centre-Nord").codes == ("BFA-2811", "BFA-2824", "BFA-2825")


@pytest.mark.parametrize("town, code", [
    ("Djibo", "BFA-2806"), ("Dori", "BFA-2876"), ("Arbinda", "BFA-2806"), ("Douentza", "MLI-2809"),
    ("Ouagadougou", "BFA-2815"), ("Ansongo", "MLI-2690"), ("Bandiagara", "MLI-2809"), ("Ouallam", "NER-4859"),
])
def test_towns_map_to_their_unit(units, town, code):
    assert adm1_code(town) == code
    place = resolve_place(town, units_countries())
    assert place.kind == ("capital" if town == "Ouagadougou" else "town")
    assert place.adm1_codes == (code,) and place.geometry.geom_type == "Point"
    assert units.loc[code].geometry.buffer(0.25).contains(place.geometry)


def test_context_breaks_ties_between_countries():
    assert adm1_code("Adrar") == "MRT-2795"  # Mauritania comes before Algeria in REGION
    assert adm1_code("Adrar", context="Algeria") == "DZA-2143"
    assert adm1_code("Adrar region of Algeria") == "DZA-2143"
    assert adm1_code("Gao") == "MLI-2690"  # the Malian region, not Burkina Faso's town of Gao
    assert adm1_code("Gao", context="BFA") == "BFA-2821"  # ... unless the document is about Burkina Faso


def test_unknown_phrases_give_none():
    for phrase in ("the moon", "", "northern Narnia", "central Mali"):
        assert adm1_code(phrase) is None
    assert admin1_codes("central Mali") == ()


def test_areal_places_list_the_units_they_cover():
    countries = units_countries()
    tri = resolve_place("the tri-border area", countries)
    assert {"MLI-2690", "BFA-2806", "BFA-2805", "NER-4859"} <= set(tri.adm1_codes)
    assert "NER-800" not in tri.adm1_codes and "MLI-2689" not in tri.adm1_codes  # Agadez, Kidal: far away
    assert len(resolve_place("Mali", countries).adm1_codes) == 9
    assert resolve_place("Bamako", countries).adm1_codes == ("MLI-2792",)
