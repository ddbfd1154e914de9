"""An ensemble's yearly mean risk: the median and the 90% band of Mali, Burkina Faso and Niger, and of the admin-1
units with the highest median in the last year (:mod:`sim.ensemble` computes them)."""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from sim.plotting.style import CAVEAT, FOCUS, FOCUS_COLOURS, apply_style, risk_vmax, save_figure

#: Admin-1 panels: this many units, the highest median in the last year first.
TOP_UNITS = 6


def _band(ax, frame: pd.DataFrame, colour: str, label: str) -> None:
    frame = frame.sort_values("year")
    ax.fill_between(frame["year"], frame["q05"], frame["q95"], color=colour, alpha=0.2, lw=0)
    ax.plot(frame["year"], frame["q50"], color=colour, lw=2, label=label)


def plot_ensemble(countries: pd.DataFrame, admin1: pd.DataFrame, names: dict[str, str], out: str | os.PathLike,
                  title: str, footer: str, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Write the ensemble figure from the bands of :func:`sim.ensemble.band` (countries and admin-1 units).

    ``names`` maps ADM0_A3 codes and ``adm1_code``s to names; ``footer`` is the provenance line.
    """
    apply_style()
    focus = [c for c in FOCUS if c in set(countries["unit"])]
    last = int(admin1["year"].max())
    top = (admin1[(admin1["year"] == last) & admin1["unit"].str[:3].isin(focus)]
           .sort_values("q50", ascending=False)["unit"].head(TOP_UNITS).tolist())
    fig = plt.figure(figsize=(12, 8.6))
    grid = fig.add_gridspec(3, 3, height_ratios=[1.5, 1, 1], hspace=0.55, wspace=0.25, top=0.9, bottom=0.12,
                            left=0.07, right=0.98)
    ax = fig.add_subplot(grid[0, :])
    for code in focus:
        _band(ax, countries[countries["unit"] == code], FOCUS_COLOURS[code], names.get(code, code))
    members = int(countries["members"].max()) if len(countries) else 0
    ax.set_ylim(0, risk_vmax(float(countries.loc[countries["unit"].isin(focus), "q95"].max()) * 1.1))
    ax.set_ylabel("yearly mean risk\nover the country")
    ax.set_title(f"Median and 90% band over {members} members (shaded: 5th–95th percentile)", loc="left",
                 fontsize=10)
    ax.legend(loc="upper left", frameon=False)
    top_q95 = float(admin1.loc[admin1["unit"].isin(top), "q95"].max()) if top else 1.0
    if top:
        fig.text(0.07, 0.585, f"Admin-1 units of Mali, Burkina Faso and Niger with the highest median in {last}",
                 fontsize=10)
    for k, code in enumerate(top):
        sub = fig.add_subplot(grid[1 + k // 3, k % 3])
        _band(sub, admin1[admin1["unit"] == code], FOCUS_COLOURS.get(code[:3], "#555555"), code)
        sub.set_ylim(0, risk_vmax(top_q95 * 1.1))
        sub.set_title(f"{names.get(code, code)} ({code[:3]})", fontsize=9, loc="left")
        if k % 3 == 0:
            sub.set_ylabel("yearly mean risk\nof the unit")
    fig.suptitle(title, x=0.01, ha="left", fontsize=12)
    fig.text(0.01, 0.045, CAVEAT, fontsize=7, color="#555555")
    fig.text(0.01, 0.02, footer, fontsize=7, color="#555555")
    return save_figure(fig, out, formats, description=footer)
