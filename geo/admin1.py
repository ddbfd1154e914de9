"""Admin-1 units (regions, provinces, states) of the modelled countries: Natural Earth 10m admin-1.

The committed ``shapes/sahel_admin1.gpkg`` (layer ``admin1``, EPSG:4326) holds one row per unit, keyed by Natural
Earth's ``adm1_code`` (``MLI-2809`` Mopti, ``NER-4859`` Tillabéri, ``BFA-2806`` Soum). It is rebuilt by
:mod:`geo.admin1_build` (``spillover shapes build``), which clips the units to their country and fills the gaps, so
a country's units tile it: every land cell of a country lies in exactly one of its units.

What Natural Earth's units are (see ``shapes/README.md``): Mali's 8 regions and the Bamako district as before 2016
(Ménaka, created in 2016, lies inside Gao, and Taoudénit, created in 2023, inside Timbuktu); Niger's 7 regions
and Niamey; Burkina Faso's 45 **provinces**, each with its ``region`` (one of the 13 regions: Sahel, Nord,
Est, ...), see :func:`regions`.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.errors import SpilloverError
from geo.shapes import DEFAULT_ADMIN1

LAYER = "admin1"

#: Columns of the committed file (and geometry). ``name_alt``: ``|``-separated variants; ``type``: Natural Earth's
#: local type (``Région``, ``Département``), ``type_en`` its English one; ``region``: Burkina Faso only, the region
#: of each province; ``latitude``/``longitude``: Natural Earth's label point; ``area_km2``: geodesic (WGS84) area.
ADMIN1_COLUMNS: tuple[str, ...] = (
    "adm0_a3", "adm1_code", "name", "name_alt", "type", "type_en", "region",
    "latitude", "longitude", "area_km2",
)


def load_admin1(path: str | os.PathLike | None = None, codes: tuple[str, ...] | list[str] | None = None
                ) -> gpd.GeoDataFrame:
    """The committed admin-1 units as a GeoDataFrame indexed by ``adm1_code`` (EPSG:4326).

    Parameters
    ----------
    path : a GeoPackage written by :func:`geo.admin1_build.build_admin1` (default ``shapes/sahel_admin1.gpkg``).
    codes : optional ADM0_A3 codes: keep the units of these countries, in this country order.

    Raises
    ------
    SpilloverError
        If the file is missing or unreadable, or a country code has no units in it.

    Examples
    --------
    >>> units = load_admin1(codes=["MLI"])
    >>> units.loc["MLI-2809", "name"], len(units)
    ('Mopti', 9)
    """
    path = Path(path) if path else DEFAULT_ADMIN1
    if not path.exists():
        raise SpilloverError(f"admin-1 file {path} does not exist; rebuild it with `spillover shapes build`")
    stat = path.stat()
    units = _read_admin1(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if codes is not None:
        codes = list(codes)
        unknown = [c for c in codes if c not in set(units["adm0_a3"])]
        if unknown:
            raise SpilloverError(f"no admin-1 units for country code(s) {unknown} in {path}; "
                                 f"valid ADM0_A3 codes: {sorted(set(units['adm0_a3']))}")
        order = {c: i for i, c in enumerate(codes)}
        keep = units[units["adm0_a3"].isin(order)]
        units = keep.iloc[keep["adm0_a3"].map(order).argsort(kind="stable")]
    return units.copy()


@lru_cache(maxsize=4)
def _read_admin1(path: str, mtime_ns: int, size: int) -> gpd.GeoDataFrame:
    """Read and check an admin-1 GeoPackage (cached per file version)."""
    try:
        units = gpd.read_file(path, layer=LAYER, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ...
        raise SpilloverError(f"cannot read admin-1 file {path} (layer {LAYER!r}): {exc}; "
                             "rebuild it with `spillover shapes build`") from exc
    missing = [c for c in (*ADMIN1_COLUMNS, "geometry") if c not in units.columns]
    if missing or units.empty:
        raise SpilloverError(f"admin-1 file {path} lacks columns {missing or 'rows'}; rebuild it with "
                             "`spillover shapes build`")
    for column in ("name_alt", "type", "type_en", "region"):
        units[column] = units[column].fillna("")
    if not units["adm1_code"].is_unique:
        dup = sorted(units.loc[units["adm1_code"].duplicated(), "adm1_code"])
        raise SpilloverError(f"admin-1 file {path} repeats adm1_code {dup[:5]}; rebuild it")
    return units.set_index("adm1_code", drop=False).rename_axis("code")


def regions(units: gpd.GeoDataFrame | None = None, code: str = "BFA") -> gpd.GeoDataFrame:
    """Burkina Faso's 13 regions, dissolved from its 45 provinces (indexed by region name, EPSG:4326).

    Columns: ``adm0_a3``, ``region``, ``provinces`` (their adm1_codes, ``|``-separated), ``area_km2`` and geometry.

    Examples
    --------
    >>> sahel = regions().loc["Sahel"]
    >>> sorted(sahel.provinces.split("|"))
    ['BFA-2805', 'BFA-2806', 'BFA-2876', 'BFA-2877']
    """
    units = units if units is not None else load_admin1(codes=[code])
    units = units[(units["adm0_a3"] == code) & (units["region"] != "")]
    if units.empty:
        raise SpilloverError(f"no admin-1 unit of {code} carries a region; only Burkina Faso's provinces do")
    rows = []
    for name, group in units.groupby("region", sort=True):
        rows.append({"adm0_a3": code, "region": name, "provinces": "|".join(group["adm1_code"]),
                     "area_km2": float(group["area_km2"].sum()),
                     "geometry": shapely.union_all(group.geometry.values)})
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=units.crs).set_index("region", drop=False)


# ------------------------------------------------------------------------------- admin-1 layer of the attributes
#: GeoPackage layer of :func:`write_admin1_layer`.
ATTRIBUTES_LAYER = "admin1"


def fact_units(fact) -> tuple[str, ...]:
    """The adm1_codes a fact is about: its ``adm1_code`` if it has one (the document layer may set it), else the
    units its ``place`` phrase names or covers (:func:`geo.places.resolve_place`), else ()."""
    code = getattr(fact, "adm1_code", None)
    if code:
        return (code,)
    place = getattr(fact, "place", None)
    if not place:
        return ()
    from geo.places import resolve_place
    from geo.shapes import load_countries

    try:
        resolved = resolve_place(place, load_countries(), context=getattr(fact, "country", None))
    except SpilloverError:
        return ()
    return () if resolved.kind == "country" else resolved.adm1_codes


def admin1_attributes_layer(facts: list, units: gpd.GeoDataFrame | None = None,
                            codes: tuple[str, ...] | list[str] | None = None) -> gpd.GeoDataFrame:
    """The admin-1 units (of ``codes``, default all) with what the documents say about each.

    Columns: ``adm0_a3``, ``adm1_code``, ``name``, ``region``, ``facts`` (number of facts about the unit, by its
    ``adm1_code`` or place phrase; see :func:`fact_units`), ``kinds`` (their kinds, ``|``-separated, sorted),
    ``onset_year`` (earliest documented onset there, NaN if none) and geometry. Facts about a whole country are
    in the country layer (``geo.documents.attributes.write_attributes_gpkg``), not here.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> fact = SimpleNamespace(kind="onset", place="central Mali", country="MLI", date=None)
    >>> layer = admin1_attributes_layer([fact], codes=["MLI"])
    >>> layer.loc["MLI-2809", "facts"], layer.loc["MLI-2809", "kinds"]
    (1, 'onset')
    """
    units = units if units is not None else load_admin1(codes=codes)
    if codes is not None and units is not None:
        units = units[units["adm0_a3"].isin(list(codes))]
    layer = units[["adm0_a3", "adm1_code", "name", "region", "geometry"]].copy()
    counts = dict.fromkeys(layer.index, 0)
    kinds: dict[str, set] = {code: set() for code in layer.index}
    onset: dict[str, float] = {}
    for fact in facts:
        for code in fact_units(fact):
            if code not in counts:
                continue
            counts[code] += 1
            kinds[code].add(fact.kind)
            date = getattr(fact, "date", None)
            if fact.kind == "onset" and date is not None:
                onset[code] = min(onset.get(code, 9999.0), float(date.year))
    layer["facts"] = pd.Series(counts)
    layer["kinds"] = pd.Series({code: "|".join(sorted(k)) for code, k in kinds.items()})
    layer["onset_year"] = pd.Series(onset, dtype=float).reindex(layer.index)
    return gpd.GeoDataFrame(layer, geometry="geometry", crs=units.crs)


def write_admin1_layer(path: str | os.PathLike, facts: list, units: gpd.GeoDataFrame | None = None,
                       codes: tuple[str, ...] | list[str] | None = None) -> Path:
    """Add (or replace) layer ``admin1`` of :func:`admin1_attributes_layer` in the GeoPackage ``path``, atomically.

    Meant for the attributes GeoPackage: call it after
    ``geo.documents.attributes.write_attributes_gpkg(path, facts)``; the
    file's other layers are kept. ``path`` may also be a new file.
    """
    import shutil

    from geo.atomic import atomic_path

    path = Path(path)
    layer = admin1_attributes_layer(facts, units, codes).reset_index(drop=True)
    with atomic_path(path) as tmp:
        if path.exists():
            shutil.copyfile(path, tmp)
        layer.to_file(tmp, layer=ATTRIBUTES_LAYER, driver="GPKG", engine="pyogrio")
    return path
