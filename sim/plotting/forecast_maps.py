"""Forecast maps per admin-1 unit: the members' median deaths and the probability of at least 25 deaths in one
forecast year (from ``predictions.csv`` of ``spillover forecast``)."""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.colors import LogNorm

from sim.plotting.style import apply_style, save_figure

NO_DATA = "#eeeeee"


def plot_forecast_maps(predictions: pd.DataFrame, year: int, admin1, countries, out: str | os.PathLike,
                       footer: str, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Two maps of ``year``: median deaths (log colour scale; units whose median is 0 left pale grey) and
    P(≥ 25 deaths), for the admin-1 units in ``predictions`` (others drawn as outlines only)."""
    apply_style()
    rows = predictions[(predictions["level"] == "admin1") & (predictions["year"] == year)].set_index("unit")
    shown = admin1[admin1["adm1_code"].isin(rows.index)].copy()
    shown["median"] = shown["adm1_code"].map(rows["deaths_q50"])
    shown["p25"] = shown["adm1_code"].map(rows["p_ge_25"])
    codes = sorted(set(shown["adm0_a3"]))
    land = countries[countries.index.isin(codes)] if len(countries) else countries
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    xmin, ymin, xmax, ymax = shown.total_bounds
    top = max(float(shown["median"].max()), 10.0)
    for ax, column, title in ((axes[0], "median", f"median deaths in {year}"),
                              (axes[1], "p25", f"probability of ≥ 25 deaths in {year}")):
        if column == "median":
            zero = shown[shown["median"] < 1]
            zero.plot(ax=ax, color=NO_DATA, edgecolor="#999999", lw=0.3)
            shown[shown["median"] >= 1].plot(ax=ax, column="median", cmap="YlOrRd", norm=LogNorm(1, top),
                                             edgecolor="#999999", lw=0.3, legend=True,
                                             legend_kwds={"label": "deaths (UCDP best), median of the members",
                                                          "shrink": 0.7})
        else:
            shown.plot(ax=ax, column="p25", cmap="PuRd", vmin=0, vmax=1, edgecolor="#999999", lw=0.3, legend=True,
                       legend_kwds={"label": "share of members with ≥ 25 deaths", "shrink": 0.7})
        land.boundary.plot(ax=ax, color="#333333", lw=0.8)
        ax.set_xlim(xmin - 0.5, xmax + 0.5)
        ax.set_ylim(ymin - 0.5, ymax + 0.5)
        ax.set_title(title, loc="left", fontsize=11)
        ax.set_xlabel("longitude (°)")
        ax.set_ylabel("latitude (°)")
    axes[0].text(0.01, 0.01, "grey: median below 1 death", transform=axes[0].transAxes, fontsize=8)
    fig.text(0.01, 0.01, footer, fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return save_figure(fig, out, formats, description=footer)
