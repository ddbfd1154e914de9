"""Geography of sahel-spillover: Natural Earth countries, borders, the equal-area grid and place phrases.

``geo`` knows nothing of the simulation; ``sim`` builds on it.
"""
from geo.errors import SpilloverError
from geo.shapes import load_countries, SAHEL_G5, REGION
from geo.adjacency import land_borders, neighbours
from geo.grid import Grid, build_grid

__all__ = [
    "SpilloverError",
    "load_countries",
    "SAHEL_G5",
    "REGION",
    "land_borders",
    "neighbours",
    "Grid",
    "build_grid",
]
