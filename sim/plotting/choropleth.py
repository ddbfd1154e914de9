"""Admin-1 choropleth of a run: each unit coloured by its mean risk (``admin1.csv``) at one or more dates.

The units are painted through the run's ``admin1_id`` raster (``risk.nc``), so a unit looks exactly as the model
sees it; a unit smaller than a cell (Conakry at 10 km) has no cell and no colour.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sim.plotting.maps import (add_footer, countries_for, display_field, opened, save, scenario_title, select)
from sim.plotting.basemap import draw_basemap
from sim.plotting.style import FOCUS, RISK_CMAP, apply_style, risk_vmax

#: Default number of panels (first snapshot, the withdrawal, the last, and a round date between).
DEFAULT_PANELS = 4


def admin1_values(data, index: int) -> np.ndarray:
    """(ny, nx) mean risk of each cell's admin-1 unit at snapshot ``index`` (NaN outside), from ``admin1.csv``."""
    grid = data.grid
    table = data.admin1
    when = np.datetime64(data.dates[index])
    rows = table[table["time"].values.astype("datetime64[D]") == when].set_index("adm1_code")["mean_risk"]
    lookup = np.full(len(grid.admin1_codes) + 1, np.nan)
    lookup[1:] = rows.reindex(list(grid.admin1_codes)).to_numpy(dtype=float)
    return lookup[grid.admin1_id]


def plot_admin1_choropleth(run, out: str | os.PathLike, dates=None, formats: tuple[str, ...] = ("png",)
                           ) -> list[Path]:
    """Small multiples of the admin-1 mean risk at ``dates`` (default: 4 dates over the run); returns the paths,
    or [] for a run without ``admin1.csv``."""
    from sim.plotting.maps import default_dates

    with opened(run) as data:
        if data.admin1 is None or not data.grid.admin1_codes:
            return []
        chosen = select(data, dates or default_dates(data, DEFAULT_PANELS))
        apply_style()
        countries = countries_for(data)
        n = len(chosen)
        ncols = 1 if n == 1 else 2 if n <= 4 else 3
        nrows = int(math.ceil(n / ncols))
        ny, nx = data.grid.shape
        panel_w = 9.0 if n == 1 else 4.6
        panel_h = panel_w * ny / nx + 0.3
        top_in, bottom_in = 0.5, 1.15
        height = panel_h * nrows + top_in + bottom_in
        fig, axes = plt.subplots(nrows, ncols, figsize=(panel_w * ncols, height), squeeze=False)
        image = None
        withdrawal = data.withdrawal_date()
        vmax = risk_vmax(float(data.admin1["mean_risk"].max()))  # units' means: their own scale
        for ax, (index, wanted) in zip(axes.flat, chosen):
            field, ext = display_field(admin1_values(data, index), data.grid)
            image = ax.imshow(field, cmap=RISK_CMAP, vmin=0.0, vmax=vmax, extent=ext, interpolation="nearest",
                              zorder=0)
            labels = tuple(c for c in FOCUS if c in data.grid.codes)
            draw_basemap(ax, data.grid, countries.loc[list(data.grid.codes)], label_codes=labels, capitals=False,
                         scale_bar=ax is axes.flat[0], text_scale=1.0 if n == 1 else 0.85)
            note = " (withdrawal)" if wanted == withdrawal else ""
            ax.set_title(f"{data.dates[index].isoformat()}{note}", fontweight="bold", pad=3)
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        fig.suptitle(f"Mean risk per admin-1 unit, {scenario_title(data)}", fontsize=12, x=0.01,
                     y=1 - 0.12 / height, ha="left", va="top")
        fig.subplots_adjust(left=0.005, right=0.995, top=1 - top_in / height, bottom=bottom_in / height,
                            wspace=0.03, hspace=0.3 / panel_h)
        cax = fig.add_axes([0.3, 0.68 / height, 0.4, 0.13 / height])
        bar = fig.colorbar(image, cax=cax, orientation="horizontal")
        bar.set_label("mean insurgency risk of the unit (0–1)", labelpad=2)
        add_footer(fig, data, "Natural Earth 10m admin-1 units (Burkina Faso: provinces); admin1.csv")
        return save(fig, data, out, formats)
