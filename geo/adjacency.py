"""Land borders between countries: who borders whom, and the border length in km (geodesic, WGS84).

Natural Earth's admin-0 polygons share their vertices along land borders, so the intersection of two countries'
boundaries is the shared border itself (a line); a mere touching point is not counted as a border.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import Geod
from shapely.geometry import GeometryCollection, MultiPolygon
from shapely.geometry.polygon import orient

_GEOD = Geod(ellps="WGS84")


def geodesic_area_km2(geom) -> float:
    """Geodesic area (km²) on the WGS84 ellipsoid of a lon/lat polygon or multipolygon (holes subtracted).

    pyproj sums the *signed* areas of all rings, so the rings are first oriented (exteriors counter-clockwise,
    holes clockwise); otherwise a hole drawn in the exterior's direction would be added, and a multipolygon with
    parts of mixed orientation would have them cancel.
    """
    area, _ = _GEOD.geometry_area_perimeter(_oriented(geom))
    return abs(area) / 1e6


def _oriented(geom):
    if geom.geom_type == "Polygon":
        return orient(geom, 1.0)
    if geom.geom_type == "MultiPolygon":
        return MultiPolygon([orient(part, 1.0) for part in geom.geoms])
    if geom.geom_type == "GeometryCollection":
        return GeometryCollection([_oriented(part) for part in geom.geoms])
    return geom


def land_borders(countries: gpd.GeoDataFrame) -> pd.DataFrame:
    """Every pair of countries that share a land border, with its geodesic length.

    Returns a DataFrame with columns ``a``, ``b`` (ADM0_A3, a < b) and ``length_km``.
    """
    geoms = countries.geometry
    tree = shapely.STRtree(geoms.values)
    left, right = tree.query(geoms.values, predicate="intersects")
    rows = []
    for i, j in zip(left, right):
        if i >= j:
            continue
        shared = shapely.intersection(geoms.iloc[i].boundary, geoms.iloc[j].boundary)
        length = _GEOD.geometry_length(shared) / 1e3 if not shared.is_empty else 0.0
        if length > 0.0:
            a, b = sorted((geoms.index[i], geoms.index[j]))
            rows.append((a, b, length))
    return pd.DataFrame(rows, columns=["a", "b", "length_km"]).sort_values(["a", "b"]).reset_index(drop=True)


def neighbours(countries: gpd.GeoDataFrame, code: str) -> list[str]:
    """ADM0_A3 codes of the countries sharing a land border with ``code``, sorted."""
    borders = land_borders(countries)
    found = set(borders.loc[borders.a == code, "b"]) | set(borders.loc[borders.b == code, "a"])
    return sorted(found)

