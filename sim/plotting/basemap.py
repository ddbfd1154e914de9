"""The base map every map figure shares: the equal-area extent, admin-1 and country borders, names, capitals,
graticule and scale bar, drawn in the grid's projected coordinates (km from the projection centre).

Admin-1 borders (:mod:`geo.admin1`) are drawn thin and light under the country borders. The graticule's labels sit
outside the frame, as tick labels where the meridians cross its bottom edge and the parallels its left edge
(``graticule_labels`` chooses the sides, so small multiples label only their outer panels), and the view extends
:data:`MARGIN` beyond the grid so that nothing at its edge (Dakar) is cut.
"""
from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle
from pyproj import Transformer

from geo.grid import Grid
from geo.names import capital_of
from sim.plotting.style import ADMIN1_COLOUR, BORDER_COLOUR, FOCUS


#: Share of the grid's width and height left blank around it, so markers and labels at its edges are not clipped.
MARGIN = 0.025


def extent(grid: Grid) -> tuple[float, float, float, float]:
    """(left, right, bottom, top) of the grid in metres, for ``imshow(extent=...)``."""
    xmin, ymin, xmax, ymax = grid.bounds
    return (xmin, xmax, ymin, ymax)


def draw_basemap(ax, grid: Grid, countries: gpd.GeoDataFrame, names: bool = True, capitals: bool = True,
                 graticule: bool = True, scale_bar: bool = True, label_codes: tuple[str, ...] | None = None,
                 capital_labels: bool = True, text_scale: float = 1.0, admin1: bool = True,
                 graticule_labels: tuple[str, ...] = ("left", "bottom")) -> None:
    """Draw borders (and names, capitals, graticule, scale bar) of ``countries`` on ``ax`` in the grid CRS.

    ``label_codes`` limits names and capitals to those countries; ``capital_labels=False`` marks capitals without
    naming them and ``text_scale`` scales every label (both for small panels); ``admin1`` draws the admin-1
    borders of those countries thinly under the country borders; ``graticule_labels`` are the sides of the frame
    that get longitude/latitude labels (outside the frame).
    """
    projected = countries.to_crs(grid.crs)
    xmin, ymin, xmax, ymax = grid.bounds
    mx, my = MARGIN * (xmax - xmin), MARGIN * (ymax - ymin)
    ticks = _draw_graticule(ax, grid, (xmin - mx, ymin - my, xmax + mx, ymax + my)) if graticule else ([], [])
    if admin1:
        lines = admin1_lines(grid.crs.to_wkt(), tuple(countries.index))
        if lines:
            ax.add_collection(LineCollection(lines, colors=ADMIN1_COLOUR, linewidths=0.3, zorder=2.5))
    # a LineCollection rather than GeoSeries.plot, which redraws the whole figure (plt.draw) on every call; a light
    # halo keeps borders visible over the darkest colours of a map
    ax.add_collection(LineCollection(_lines(projected.boundary), colors=BORDER_COLOUR, linewidths=0.6, zorder=3,
                                     path_effects=[patheffects.withStroke(linewidth=1.6, foreground="white",
                                                                          alpha=0.75)]))
    to_xy = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True)
    codes = label_codes if label_codes is not None else tuple(countries.index)
    capital_xy = {code: to_xy.transform(*capital_of(code)[1:]) for code in codes}
    if names:
        for code in codes:
            row = countries.loc[code]
            x, y = to_xy.transform(row["LABEL_X"], row["LABEL_Y"])
            cx, cy = capital_xy[code]
            if abs(cx - x) < 250e3 and abs(cy - y) < 100e3:  # keep the name clear of the capital's label
                y = cy + 110e3
            if not (xmin < x < xmax and ymin < y < ymax):
                continue
            bold = code in FOCUS
            ax.text(x, y, row["NAME_EN"], ha="center", va="center", fontsize=(8 if bold else 6.5) * text_scale,
                    fontweight="bold" if bold else "normal", color="#111111", zorder=5,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.6))
    if capitals:
        for code in codes:
            name = capital_of(code)[0]
            x, y = capital_xy[code]
            if not (xmin < x < xmax and ymin < y < ymax):
                continue
            ax.plot(x, y, marker="s", ms=3.2, mfc="white", mec="black", mew=0.8, zorder=6, linestyle="none")
            if capital_labels:
                ax.annotate(name, (x, y), xytext=(3, -3), textcoords="offset points", fontsize=6 * text_scale,
                            style="italic", va="top", zorder=6, color="#111111",
                            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.55))
    if scale_bar:
        _draw_scale_bar(ax, grid)
    ax.set_xlim(xmin - mx, xmax + mx)
    ax.set_ylim(ymin - my, ymax + my)
    ax.set_aspect("equal")
    (xs, xlabels), (ys, ylabels) = ticks if graticule else (([], []), ([], []))
    bottom, left = "bottom" in graticule_labels, "left" in graticule_labels
    ax.set_xticks(xs if bottom else [], xlabels if bottom else [])
    ax.set_yticks(ys if left else [], ylabels if left else [])
    ax.tick_params(length=2, width=0.4, pad=1.5, labelsize=6 * max(text_scale, 0.8), colors="#777777",
                   labelcolor="#666666")
    ax.set_xlabel("")
    ax.set_ylabel("")
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(True)
        ax.spines[side].set_linewidth(0.5)


@lru_cache(maxsize=8)
def admin1_lines(crs_wkt: str, codes: tuple[str, ...]) -> list[np.ndarray]:
    """The admin-1 borders of ``codes`` (committed units) in the CRS, as line coordinates (cached); [] without
    the admin-1 file."""
    from geo.admin1 import load_admin1
    from geo.errors import SpilloverError

    try:
        units = load_admin1()
    except SpilloverError:
        return []
    units = units[units["adm0_a3"].isin(codes)]
    return _lines(units.to_crs(crs_wkt).boundary) if len(units) else []


def _lines(boundaries: gpd.GeoSeries) -> list[np.ndarray]:
    """Every part of ``boundaries`` as an (n, 2) coordinate array."""
    parts = shapely.get_parts(np.asarray(boundaries.dropna().values, dtype=object))
    return [shapely.get_coordinates(part) for part in parts if not part.is_empty]


def _draw_graticule(ax, grid: Grid, view: tuple[float, float, float, float], step: float = 5.0):
    """Meridians and parallels every ``step`` degrees; returns ((x ticks, labels), (y ticks, labels)) where they
    cross the bottom and left edges of ``view`` (xmin, ymin, xmax, ymax)."""
    lon, lat = grid.lonlat(np.array([0, 0, grid.shape[0] - 1, grid.shape[0] - 1]),
                           np.array([0, grid.shape[1] - 1, 0, grid.shape[1] - 1]))
    to_xy = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True)
    lon0, lon1 = np.floor(min(lon) / step - 1) * step, np.ceil(max(lon) / step + 1) * step
    lat0, lat1 = np.floor(min(lat) / step - 1) * step, np.ceil(max(lat) / step + 1) * step
    xmin, ymin, xmax, ymax = view
    xticks: tuple[list, list] = ([], [])
    yticks: tuple[list, list] = ([], [])
    for lo in np.arange(lon0, lon1 + step, step):
        lats = np.linspace(lat0, lat1, 200)
        x, y = to_xy.transform(np.full_like(lats, lo), lats)
        ax.plot(x, y, color="#bbbbbb", lw=0.4, ls=":", zorder=1)
        k = np.argmin(np.abs(np.asarray(y) - ymin))
        if xmin < x[k] < xmax:
            xticks[0].append(float(x[k]))
            xticks[1].append(f"{abs(lo):g}°{'E' if lo > 0 else 'W' if lo < 0 else ''}")
    for la in np.arange(lat0, lat1 + step, step):
        lons = np.linspace(lon0, lon1, 200)
        x, y = to_xy.transform(lons, np.full_like(lons, la))
        ax.plot(x, y, color="#bbbbbb", lw=0.4, ls=":", zorder=1)
        k = np.argmin(np.abs(np.asarray(x) - xmin))
        if ymin < y[k] < ymax:
            yticks[0].append(float(y[k]))
            yticks[1].append(f"{abs(la):g}°{'N' if la > 0 else 'S' if la < 0 else ''}")
    return xticks, yticks


def _draw_scale_bar(ax, grid: Grid) -> None:
    xmin, ymin, xmax, ymax = grid.bounds
    width = xmax - xmin
    length_km = 500 if width > 2.5e6 else 100 if width > 5e5 else 20
    x0 = xmax - 0.05 * width - length_km * 1000
    y0 = ymin + 0.04 * (ymax - ymin)
    ax.add_patch(Rectangle((x0, y0), length_km * 1000, 0.006 * (ymax - ymin), fc="black", ec="black", zorder=7))
    ax.text(x0 + length_km * 500, y0 + 0.012 * (ymax - ymin), f"{length_km} km", ha="center", va="bottom",
            fontsize=7, zorder=7)
