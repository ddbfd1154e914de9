"""Geography of sahel-spillover: Natural Earth countries, borders, the equal-area grid and place phrases.

``geo`` knows nothing of the simulation; ``sim`` builds on it. The names below are imported on first use, so
that importing a light module (``geo.errors``) does not load geopandas.
"""
import importlib

from geo import lazyblas as _lazyblas

_lazyblas.install()  # numba starts without importing scipy.linalg (see geo.lazyblas)

_EXPORTS = {
    "SpilloverError": "geo.errors",
    "load_countries": "geo.shapes",
    "SAHEL_G5": "geo.shapes",
    "REGION": "geo.shapes",
    "land_borders": "geo.adjacency",
    "neighbours": "geo.adjacency",
    "Grid": "geo.grid",
    "build_grid": "geo.grid",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'geo' has no attribute {name!r}")
