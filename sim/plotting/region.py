"""The region map: the modelled countries on the equal-area grid, with names and capitals."""
from __future__ import annotations

import os

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from geo.grid import Grid
from geo.shapes import SAHEL_G5
from sim.plotting.basemap import draw_basemap, extent
from sim.plotting.style import apply_style, save_figure


def plot_region(grid: Grid, countries: gpd.GeoDataFrame, out: str | os.PathLike,
                formats: tuple[str, ...] = ("png",)) -> list:
    """Draw the grid's country raster (G5 Sahel darker, neighbours lighter) with borders, names and capitals."""
    apply_style()
    fig, ax = plt.subplots(figsize=(9, 5.7))
    g5 = np.isin(np.array(grid.codes), SAHEL_G5)
    # class per cell: 0 outside, 1 neighbour, 2 G5 Sahel
    classes = np.where(grid.country_id == 0, 0, np.where(g5[np.maximum(grid.country_id, 1) - 1], 2, 1))
    cmap = ListedColormap(["#ffffff", "#e8e2d0", "#c9b98f"])
    ax.imshow(classes, cmap=cmap, vmin=-0.5, vmax=2.5, extent=extent(grid), interpolation="nearest", zorder=0)
    draw_basemap(ax, grid, countries.loc[list(grid.codes)])
    ny, nx = grid.shape
    ax.set_title(
        f"The Sahel (G5, darker) and its neighbours on the equal-area grid\n"
        f"Albers equal-area conic, {grid.cell_km:g} km cells ({ny} × {nx}, {int(grid.mask.sum()):,} land cells); "
        "□ capitals"
    )
    fig.text(0.01, 0.005, "Borders: Natural Earth 1:10m admin-0 v5.1.1 (public domain). "
             "Capitals: GeoNames (CC-BY 4.0).", fontsize=6, color="#555555")
    return save_figure(fig, out, formats)
