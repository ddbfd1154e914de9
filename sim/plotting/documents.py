"""The documents figure: the per-country attribute map beside the timeline of foreign deployments and withdrawals.

Left, the Sahel on an equal-area projection: countries shaded by the number of coups the documents report, with
symbols for a partnership with an armed group or military company, protests against foreign forces and the
epicentre of the conflict; the insurgency's onset places hatched and arrows to the countries it spread into.
Right, one bar per foreign force (actor and mission) per host country, grouped by host: from its arrival (or the
left edge when the documents do not say) to its withdrawal or suspension (or the right edge if it stays); a
filled end marker is a reported exit, a hollow one an announced exit, and a dashed tail the originally planned
end ("six months earlier than planned").
"""
from __future__ import annotations

import os

import geopandas as gpd
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from pyproj import Transformer

from geo.documents.attributes import country_attributes, deployment_timeline, onset_places
from geo.documents.facts import Fact
from geo.grid import SAHEL_ALBERS
from geo.names import country_names
from geo.places import resolve_place
from geo.errors import SpilloverError
from geo.shapes import REGION, SAHEL_G5
from sim.plotting.style import BORDER_COLOUR, FOCUS, FOCUS_COLOURS, OTHER_COLOUR, apply_style, save_figure

COUP_COLOURS = ("#f2f0ec", "#fcbba1", "#fb6a4a", "#a50f15")  # 0, 1, 2, ≥3 coups
SYMBOLS = {  # attribute: (marker, colour, size, legend label)
    "armed_partner": ("P", "#54278f", 70, "works with an armed group or military company"),
    "protests": ("^", "#e6550d", 60, "protests against foreign forces"),
    "epicentre": ("*", "#000000", 150, "epicentre of the conflict"),
}
ONSET_COLOUR = "#7a0177"


def plot_documents(facts: list[Fact], countries: gpd.GeoDataFrame, out_path: str | os.PathLike,
                   formats: tuple[str, ...] = ("png",)) -> list:
    """Draw the attribute map and the deployment timeline of ``facts``; save to ``out_path``; return the paths.

    ``countries`` is :func:`geo.load_countries` (or a subset holding the Sahel G5). Raises
    :class:`SpilloverError` when no facts are given.
    """
    if not facts:
        raise SpilloverError("no facts to draw; the documents gave none (check them with `spillover extract`)")
    apply_style()
    timeline = deployment_timeline(facts)
    rows = len(timeline) + timeline["host"].nunique() if not timeline.empty else 4
    fig = plt.figure(figsize=(16, max(7.0, 0.36 * rows + 2.2)))
    grid = fig.add_gridspec(1, 2, width_ratios=(1.2, 1.0), wspace=0.06, left=0.01, right=0.99, top=0.90,
                            bottom=0.12)
    _draw_map(fig.add_subplot(grid[0]), facts, countries)
    _draw_timeline(fig.add_subplot(grid[1]), timeline)
    documents = sorted({f.document for f in facts if f.document != "manual"})
    fig.suptitle("What the documents say: coups, partners, protests and the insurgency's spread (left); "
                 "foreign forces arriving and leaving (right)", x=0.01, ha="left", fontsize=11)
    manual = sum(1 for f in facts if f.rule == "manual")
    fig.text(0.01, 0.015, f"{len(facts)} facts from {len(documents)} document(s): {', '.join(documents)[:180]}"
             + (f"; {manual} from overrides" if manual else "")
             + ". Borders: Natural Earth 1:10m admin-0 v5.1.1 (public domain).", fontsize=7, color="#555555")
    return save_figure(fig, out_path, formats)


# ------------------------------------------------------------------------------------------------ map
def _draw_map(ax, facts: list[Fact], countries: gpd.GeoDataFrame) -> None:
    codes = [c for c in REGION if c in countries.index]
    if not all(c in countries.index for c in SAHEL_G5):
        raise SpilloverError(f"the countries table lacks Sahel G5 countries {sorted(set(SAHEL_G5) - set(codes))}")
    attributes = country_attributes(facts, codes)
    shapes = countries.loc[codes].to_crs(SAHEL_ALBERS)
    coups = attributes["coups"].clip(upper=3).to_numpy()
    cmap = ListedColormap(COUP_COLOURS)
    shapes.assign(coups=coups).plot(ax=ax, column="coups", cmap=cmap, norm=BoundaryNorm([-0.5, 0.5, 1.5, 2.5, 3.5], 4),
                                    edgecolor=BORDER_COLOUR, linewidth=0.6, zorder=1)
    xmin, ymin, xmax, ymax = shapes.loc[list(SAHEL_G5)].total_bounds
    pad_x, pad_y = 0.08 * (xmax - xmin), 0.10 * (ymax - ymin)
    ax.set_xlim(xmin - pad_x, xmax + pad_x)
    ax.set_ylim(ymin - 1.6 * pad_y, ymax + pad_y)
    to_xy = Transformer.from_crs("EPSG:4326", SAHEL_ALBERS, always_xy=True)
    anchor = {c: to_xy.transform(countries.loc[c, "LABEL_X"], countries.loc[c, "LABEL_Y"]) for c in codes}
    country_onsets = _draw_onsets(ax, facts, countries, anchor)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    for code in codes:
        x, y = anchor[code]
        if not (x0 < x < x1 and y0 < y < y1):
            continue
        focus = code in FOCUS
        name = countries.loc[code, "NAME_EN"]
        if code in country_onsets:
            name += f"\n(onset {country_onsets[code]})" if country_onsets[code] else "\n(onset)"
        ax.text(x, y, name, ha="center", va="center", fontsize=8.5 if focus else 7,
                fontweight="bold" if focus else "normal", zorder=6,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7))
        present = [name for name in SYMBOLS if attributes.loc[code, name] > 0]
        for k, name in enumerate(present):
            marker, colour, size, _ = SYMBOLS[name]
            dx = (k - (len(present) - 1) / 2) * 0.045 * (x1 - x0)
            ax.scatter(x + dx, y - 0.045 * (y1 - y0), marker=marker, s=size, c=colour, edgecolors="white",
                       linewidths=0.6, zorder=7)
        magnitudes = [f"{label} 10{_superscript(attributes.loc[code, column])}"
                      for column, label in (("casualties_log10", "killed"), ("displaced_log10", "displaced"))
                      if not np.isnan(attributes.loc[code, column])]
        if magnitudes:
            ax.text(x, y - 0.085 * (y1 - y0), ", ".join(magnitudes), ha="center", va="center", fontsize=6.5,
                    color="#333333", zorder=6, bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.6))
    handles = [Patch(fc=COUP_COLOURS[k], ec=BORDER_COLOUR, lw=0.5, label=label) for k, label in
               enumerate(("no coup reported", "1 coup", "2 coups", "3 or more coups"))]
    handles += [Line2D([], [], ls="none", marker=m, ms=np.sqrt(s), mfc=c, mec="white", label=label)
                for m, c, s, label in SYMBOLS.values()]
    handles += [Patch(fc="none", ec=ONSET_COLOUR, hatch="////", label="insurgency onset (year)"),
                Line2D([], [], color=ONSET_COLOUR, lw=1.4, marker=">", ms=5, label="spread into")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), fontsize=7, frameon=False, ncol=3)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for side in ax.spines.values():
        side.set_visible(True)
        side.set_linewidth(0.5)
    ax.set_title("Per-country attributes (Albers equal-area)", loc="left")


def _draw_onsets(ax, facts, countries, anchor) -> dict[str, int | None]:
    """Hatch each onset place and draw arrows to the countries the insurgency entered.

    A part of a country is labelled with its year on the map; returns {country: year} for onsets of whole
    countries, whose year goes under the country's name instead.
    """
    origins, whole = [], {}
    for phrase, year in onset_places(facts):
        try:
            place = resolve_place(phrase, countries)
        except SpilloverError:
            continue
        shape = gpd.GeoSeries([place.geometry], crs="EPSG:4326").to_crs(SAHEL_ALBERS)
        shape.plot(ax=ax, facecolor="none", edgecolor=ONSET_COLOUR, hatch="////", linewidth=1.0, zorder=3)
        centre = shape.iloc[0].representative_point()
        origins.append((centre.x, centre.y, place.codes[0]))
        if place.kind == "country":
            whole.setdefault(place.codes[0], year)
            continue
        ax.annotate(f"onset {year}" if year else "onset", (centre.x, centre.y), xytext=(0, 12),
                    textcoords="offset points", ha="center", fontsize=7.5, color=ONSET_COLOUR, fontweight="bold",
                    zorder=8, bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.8))
    if not origins:
        return whole
    targets = dict.fromkeys(f.country for f in facts if f.kind == "spread" and f.country in anchor)
    for code in targets:
        x0, y0, origin = min(origins, key=lambda o: np.hypot(o[0] - anchor[code][0], o[1] - anchor[code][1]))
        if origin == code:
            continue
        x1, y1 = anchor[code]
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=14, color=ONSET_COLOUR,
                                     lw=1.4, shrinkA=4, shrinkB=14, connectionstyle="arc3,rad=0.15", zorder=5))
    return whole


def _superscript(value: float) -> str:
    return str(int(value)).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


# ------------------------------------------------------------------------------------------------ timeline
def _draw_timeline(ax, timeline: pd.DataFrame) -> None:
    ax.set_title("Foreign forces per host country: present until withdrawal or suspension", loc="left")
    if timeline.empty:
        ax.text(0.5, 0.5, "the documents name no foreign deployment, withdrawal or suspension",
                ha="center", va="center", transform=ax.transAxes, fontsize=9, color="#555555")
        ax.set_axis_off()
        return
    dates = pd.concat([timeline[c] for c in ("present_from", "present_until", "planned_until")]).dropna()
    left = (dates.min() if len(dates) else pd.Timestamp("2012-01-01")) - pd.DateOffset(months=10)
    right = (dates.max() if len(dates) else pd.Timestamp("2024-01-01")) + pd.DateOffset(months=10)
    hosts = sorted(timeline["host"].unique(), key=lambda h: (FOCUS.index(h) if h in FOCUS else len(FOCUS), h))
    names = {h: country_names().english.get(h, h) for h in hosts}
    y = 0.0
    for host in hosts:
        rows = timeline[timeline["host"] == host].sort_values(["present_until", "actor"], na_position="last")
        colour = FOCUS_COLOURS.get(host, OTHER_COLOUR)
        ax.text(0.0, -y, f"in {names[host]}", transform=ax.get_yaxis_transform(), ha="left", va="center",
                fontsize=9, fontweight="bold", color=colour)
        y += 1.1
        for row in rows.itertuples(index=False):
            _draw_bar(ax, row, -y, left, right, colour)
            ax.annotate(_row_label(row), (0.0, -y), xycoords=("axes fraction", "data"), xytext=(2, 5),
                        textcoords="offset points", fontsize=7.5, va="bottom", ha="left", color="#111111")
            y += 1.25
        y += 0.3
    ax.set_yticks([])
    ax.set_ylim(-y + 0.4, 0.7)
    ax.set_xlim(left, right)
    ax.xaxis.set_major_locator(mdates.YearLocator(1 if (right - left).days < 12 * 365 else 2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.spines["left"].set_visible(False)
    ax.legend(handles=[
        Line2D([], [], ls="none", marker="|", ms=11, mew=2.2, color="black", label="withdrawal (reported)"),
        Line2D([], [], ls="none", marker="s", ms=6, color="black", label="suspension (reported)"),
        Line2D([], [], ls="none", marker="o", ms=6, mfc="white", mec="black", label="announced exit"),
        Line2D([], [], color="#777777", lw=1.2, ls="--", label="originally planned end"),
        Line2D([], [], ls="none", marker="<", ms=5, color="#777777", label="present before the documents"),
    ], loc="upper center", bbox_to_anchor=(0.5, -0.05), ncol=3, fontsize=7, frameon=False)


def _draw_bar(ax, row, y: float, left, right, colour: str) -> None:
    start = row.present_from if _known(row.present_from) else left
    end = row.present_until if _known(row.present_until) else right
    ax.plot([start, end], [y, y], color=colour, lw=5.5, solid_capstyle="butt", alpha=0.85, zorder=2)
    if not _known(row.present_from):
        ax.plot([left], [y], marker="<", ms=5, color="#777777", zorder=3, clip_on=False)
    if not _known(row.present_until):
        if row.ended_by:
            ax.text(right, y, f" {row.ended_by}, date not stated", va="center", ha="right", fontsize=6.5,
                    color="#555555")
        return
    if _known(row.planned_until):
        ax.plot([end, row.planned_until], [y, y], color="#777777", lw=1.2, ls="--", zorder=2)
        ax.plot([row.planned_until], [y], marker="|", ms=7, color="#777777", zorder=3)
        ax.annotate(f"planned {pd.Timestamp(row.planned_until).date().isoformat()[:7]}",
                    (mdates.date2num(pd.Timestamp(row.planned_until)), y), xytext=(4, 0),
                    textcoords="offset points", ha="left", va="center", fontsize=6.5, color="#555555")
    marker = "s" if row.ended_by == "suspension" else ("o" if row.planned else "|")
    style = dict(ms=6, mfc="white", mec="black", mew=1.2) if row.planned else (
        dict(ms=11, mew=2.2, color="black") if marker == "|" else dict(ms=6, color="black"))
    ax.plot([end], [y], marker=marker, ls="none", zorder=4, **style)
    cut = {"month": 7, "year": 4}.get(row.until_precision, 10)
    text = pd.Timestamp(end).date().isoformat()[:cut] + (" announced" if row.planned else "")
    # above the end, except in the left third, where the row's label above the bar would be written over: there
    # it goes right of the marker, at the bar
    early = (pd.Timestamp(end) - pd.Timestamp(left)) < (pd.Timestamp(right) - pd.Timestamp(left)) / 3
    ax.annotate(text, (mdates.date2num(pd.Timestamp(end)), y), xytext=(6, 0) if early else (0, 5),
                textcoords="offset points", ha="left" if early else "center", va="center" if early else "bottom",
                fontsize=6.5, color="#222222", zorder=5)


def _row_label(row) -> str:
    who = row.actor or "?"
    if row.mission:
        who += f" · {row.mission}"
    if _known(row.size):
        who += f" ({row.size:,.0f} troops)"
    return who


def _known(value) -> bool:
    return value is not None and not pd.isna(value)

