"""Country names → ADM0_A3: Natural Earth names (English, French), aliases, demonyms, codes and capitals."""
from __future__ import annotations

import pytest

from geo.errors import SpilloverError
from geo.names import ALIASES, DEMONYMS, capital_of, country_names, fold
from geo.shapes import REGION, load_country_names


@pytest.fixture(scope="module")
def names():
    return country_names()


@pytest.mark.parametrize("text, code", [
    # Natural Earth English and French names
    ("Mali", "MLI"), ("Burkina Faso", "BFA"), ("Niger", "NER"), ("Chad", "TCD"), ("Mauritania", "MRT"),
    ("Tchad", "TCD"), ("Mauritanie", "MRT"), ("Sénégal", "SEN"), ("Algérie", "DZA"), ("Allemagne", "DEU"),
    ("Côte d'Ivoire", "CIV"), ("Côte d’Ivoire", "CIV"), ("Cote d'Ivoire", "CIV"), ("CÔTE D'IVOIRE", "CIV"),
    ("Western Sahara", "SAH"), ("Sahara occidental", "SAH"), ("France", "FRA"), ("Norway", "NOR"),
    ("Sweden", "SWE"), ("Germany", "DEU"), ("United Kingdom", "GBR"), ("United States of America", "USA"),
    # aliases
    ("Britain", "GBR"), ("Great Britain", "GBR"), ("UK", "GBR"), ("Ivory Coast", "CIV"), ("Burkina", "BFA"),
    ("Russia", "RUS"), ("the Netherlands", "NLD"), ("US", "USA"),
    # demonyms, and the Niger/Nigeria trap
    ("Malian", "MLI"), ("Malians", "MLI"), ("Burkinabe", "BFA"), ("Burkinabè", "BFA"), ("Chadian", "TCD"),
    ("Nigerien", "NER"), ("Nigérien", "NER"), ("Nigerian", "NGA"), ("Nigerians", "NGA"), ("Nigeria", "NGA"),
    ("French", "FRA"), ("Russian", "RUS"), ("Mauritanian", "MRT"), ("Ivorian", "CIV"),
    # codes, as written in upper case; ISO_A3 where it differs from ADM0_A3
    ("MLI", "MLI"), ("NER", "NER"), ("NGA", "NGA"), ("SAH", "SAH"), ("ESH", "SAH"), ("FRA", "FRA"),
    # case, accents, spacing, leading article
    ("  mali ", "MLI"), ("the Niger", "NER"), ("TCHAD", "TCD"),
])
def test_country_names_resolve(names, text, code):
    assert names.country(text) == code
    assert names.resolve(text) == code


def test_niger_and_nigeria_never_mix(names):
    for text in ("Niger", "Nigerien", "Nigériens", "NER"):
        assert names.resolve(text) == "NER"
    for text in ("Nigeria", "Nigerian", "Nigerians", "NGA"):
        assert names.resolve(text) == "NGA"


@pytest.mark.parametrize("capital, code", [
    ("Bamako", "MLI"), ("Ouagadougou", "BFA"), ("Niamey", "NER"), ("N'Djamena", "TCD"), ("Nouakchott", "MRT"),
    ("London", "GBR"), ("Berlin", "DEU"), ("Paris", "FRA"), ("Oslo", "NOR"), ("Abuja", "NGA"),
])
def test_capitals_stand_for_their_countries(names, capital, code):
    assert names.capitals[fold(capital)] == code


def test_capital_coordinates(names):
    name, lon, lat = capital_of("MLI")
    assert name == "Bamako" and lon == pytest.approx(-8.0, abs=0.1) and lat == pytest.approx(12.64, abs=0.1)
    name, lon, lat = capital_of("GBR")
    assert name == "London" and lon == pytest.approx(-0.13, abs=0.1) and lat == pytest.approx(51.5, abs=0.1)
    # France's ISO_A3 is -99 in Natural Earth; its capital is still found through ADM0_A3
    assert capital_of("FRA")[0] == "Paris"
    with pytest.raises(SpilloverError, match="no capital known for country code 'XYZ'"):
        capital_of("XYZ")


def test_every_natural_earth_name_resolves_to_its_own_country(names):
    table = load_country_names()
    for col in ("NAME_EN", "NAME", "ADMIN"):
        wrong = [(r.ADM0_A3, getattr(r, col)) for r in table.itertuples() if names.country(getattr(r, col)) != r.ADM0_A3]
        assert wrong == [], col
    # French names too (the world table has one genuine clash: 'Saint-Martin' is both SXM and MAF)
    wrong = [(r.ADM0_A3, r.NAME_FR) for r in table.itertuples() if names.country(r.NAME_FR) != r.ADM0_A3]
    assert wrong == [("SXM", "Saint-Martin")]
    region = table.set_index("ADM0_A3").loc[list(REGION)]
    assert all(names.resolve(n) == c for c, n in region.NAME_FR.items())


def test_alias_and_demonym_tables_point_at_real_codes():
    codes = set(load_country_names().ADM0_A3)
    assert set(ALIASES.values()) <= codes
    assert set(DEMONYMS.values()) <= codes


def test_english_short_names(names):
    assert names.english["NER"] == "Niger" and names.english["BFA"] == "Burkina Faso"


@pytest.mark.parametrize("text, suggestion", [("Malli", "mali"), ("Nigerr", "niger"), ("Burkino Faso", "burkina faso"),
                                              ("Mauretania", "mauritania")])
def test_unknown_name_is_an_error_with_suggestions(names, text, suggestion):
    assert names.country(text) is None
    with pytest.raises(SpilloverError) as err:
        names.resolve(text)
    msg = str(err.value)
    assert f"unknown country {text!r}" in msg and "did you mean" in msg and repr(suggestion) in msg


def test_hopeless_name_says_what_is_valid(names):
    with pytest.raises(SpilloverError, match="unknown country 'Qwxz'; use an English or French name or an ADM0_A3"):
        names.resolve("Qwxz")


def test_lower_case_code_is_not_a_code(names):
    # codes count only as written (upper case); 'ner' is no name either
    assert names.country("ner") is None


def test_fold():
    assert fold("Côte d’Ivoire") == "cote d'ivoire"
    assert fold("  BURKINABÈ ") == "burkinabe"
