"""What UCDP recorded: a map of deaths (per admin-1 unit or per grid cell, log colour scale) over the chosen years,
beside the yearly deaths of every country in the file (best estimate, with UCDP's low-high range as a band).

The map draws on the shared base map (:mod:`sim.plotting.basemap`) of the grid's countries; units or cells with no
recorded death are left pale grey (admin-1) or blank (cells), never coloured as "few". Every figure carries a
footer with the GED file, its SHA-256 prefix, the filters and the precision rule used.
"""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

from geo.grid import Grid
from sim.plotting.basemap import draw_basemap, extent
from sim.plotting.style import FOCUS, FOCUS_COLOURS, apply_style, save_figure

DEATHS_CMAP = "YlOrRd"
NO_DEATHS_COLOUR = "#eeeeee"
#: Colours of the countries other than Mali, Burkina Faso and Niger in the series panel (muted).
OTHER_COLOURS = ("#8c6d31", "#7b4173", "#637939", "#6b6ecf", "#843c39", "#5254a3", "#8ca252", "#bd9e39")


def _footer(provenance: dict) -> str:
    filters = provenance.get("filters", {})
    agg = provenance.get("aggregate", {})
    parts = [f"UCDP GED ({Path(provenance.get('file', '?')).name}, sha256 {provenance.get('sha256', '?')[:12]}; "
             "CC BY 4.0)"]
    if "violence" in filters:
        parts.append(f"violence types {','.join(str(v) for v in filters['violence'])}")
    if agg:
        parts.append(f"where_prec ≤ {agg.get('where_prec_max')} at the map's level")
    return " · ".join(parts)


def plot_observed(events, map_counts, country_counts, grid: Grid, countries, out: str | os.PathLike,
                  admin1=None, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Map of deaths over the years of ``map_counts`` and yearly deaths per country from ``country_counts``.

    Parameters
    ----------
    events : the :class:`~sim.evidence.observed.ObservedEvents` (for provenance).
    map_counts : :class:`~sim.evidence.aggregate.ObservedCounts` by ``cell`` (on ``grid``) or ``admin1``.
    country_counts : ObservedCounts by ``country`` and ``year``.
    grid : the grid giving the map's projection and extent.
    countries : the committed countries (``geo.load_countries()``), for borders and names.
    admin1 : the admin-1 polygons (for an admin-1 map).
    """
    apply_style()
    fig, (ax_map, ax_series) = plt.subplots(1, 2, figsize=(14, 5.8), gridspec_kw={"width_ratios": [1.45, 1]})
    first, last = map_counts.periods[0], map_counts.periods[-1]
    years = f"{first}" if first == last else f"{first}–{last}"
    totals = map_counts.array("deaths_best").sum("period")
    positive = totals.values[totals.values > 0]
    vmax = float(positive.max()) if positive.size else 10.0
    norm = LogNorm(vmin=1, vmax=max(vmax, 10.0))
    if map_counts.level == "admin1":
        if admin1 is None:
            raise ValueError("an admin-1 map needs the admin-1 polygons")
        shapes = admin1.to_crs(grid.crs).set_index("adm1_code", drop=False)
        shapes = shapes[shapes["adm0_a3"].isin(grid.codes)]
        values = totals.to_series().reindex(shapes.index).fillna(0.0)
        shapes = shapes.assign(deaths=values.to_numpy())
        covered = shapes["adm0_a3"].isin(set(events.events["adm0_a3"]))
        layers = [(shapes[~covered], dict(facecolor="white", edgecolor="#cccccc", hatch="////", linewidth=0.2)),
                  (shapes[covered & (shapes["deaths"] <= 0)],
                   dict(color=NO_DEATHS_COLOUR, edgecolor="#bbbbbb", linewidth=0.25)),
                  (shapes[shapes["deaths"] > 0],
                   dict(column="deaths", cmap=DEATHS_CMAP, norm=norm, edgecolor="#999999", linewidth=0.25))]
        for layer, style in layers:
            if len(layer):
                layer.plot(ax=ax_map, zorder=1, **style)
        mappable = plt.cm.ScalarMappable(norm=norm, cmap=DEATHS_CMAP)
        what = "admin-1 unit (Natural Earth; Burkina Faso by province)"
    else:
        cells = map_counts.cell_array(grid, "deaths_best").sum("period").values
        shown = np.where(cells > 0, cells, np.nan)
        mappable = ax_map.imshow(shown, cmap=DEATHS_CMAP, norm=norm, extent=extent(grid), interpolation="nearest",
                                 zorder=1)
        absent = [c for c in grid.codes if c not in set(events.events["adm0_a3"])]
        if absent:
            countries.loc[absent].to_crs(grid.crs).plot(ax=ax_map, facecolor="none", edgecolor="#cccccc",
                                                        hatch="////", linewidth=0.0, zorder=0.5)
        what = f"{grid.cell_km:g} km cell"
    draw_basemap(ax_map, grid, countries.loc[list(grid.codes)], text_scale=0.9)
    bar = fig.colorbar(mappable, ax=ax_map, orientation="horizontal", fraction=0.045, pad=0.03, aspect=35,
                       shrink=0.8)
    bar.set_label(f"deaths per {what}, {years}\n(UCDP best estimate, log scale)")
    from matplotlib.patches import Patch

    handles = [Patch(facecolor="white", edgecolor="#999999", hatch="////", label="country not in this GED file")]
    if map_counts.level == "admin1":
        handles.insert(0, Patch(facecolor=NO_DEATHS_COLOUR, edgecolor="#bbbbbb", label="no death recorded"))
    ax_map.legend(handles=handles, loc="upper left", fontsize=7, frameon=True, framealpha=0.9)
    dropped = map_counts.dropped["deaths_best"]
    ax_map.set_title(f"Deaths recorded by UCDP, {years}, per {what.split(' (')[0]}\n"
                     f"{map_counts.total():,.0f} deaths placed to this level (where_prec ≤ {map_counts.precision})"
                     + (f"; {dropped:,.0f} outside it" if dropped else ""))

    _draw_series(ax_series, country_counts)
    fig.text(0.01, 0.0, _footer({**events.provenance(), "aggregate": map_counts.provenance.get("aggregate", {})}),
             fontsize=6, color="#555555", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    return save_figure(fig, out, formats, description=_footer(events.provenance()))


def _draw_series(ax, country_counts) -> None:
    from sim.plotting.series import country_names

    best = country_counts.array("deaths_best")
    low, high = country_counts.array("deaths_low"), country_counts.array("deaths_high")
    periods = np.asarray(best["period"].values, dtype=int)
    units = list(best["unit"].values)
    names = country_names(units)
    order = [u for u in FOCUS if u in units] + [u for u in units if u not in FOCUS]
    others = iter(OTHER_COLOURS * 4)
    for unit in order:
        series = best.sel(unit=unit).values
        if unit in FOCUS:
            colour = FOCUS_COLOURS[unit]
            ax.fill_between(periods, low.sel(unit=unit).values, high.sel(unit=unit).values, color=colour,
                            alpha=0.15, lw=0, zorder=2)
            ax.plot(periods, series, color=colour, lw=2.2, marker="o", ms=3.5, zorder=4, label=names[unit])
        elif series.sum() > 0:
            ax.plot(periods, series, color=next(others), lw=0.9, marker=".", ms=3, alpha=0.85, zorder=3,
                    ls="--", label=names[unit])
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylim(bottom=0)
    ax.set_xticks(periods)
    ax.set_xticklabels([str(p) for p in periods], rotation=45)
    ax.set_xlabel("year")
    ax.set_ylabel("deaths per year (UCDP best; band: low–high; linear below 10)")
    ax.set_title("Deaths per country and year (all precisions placed in the country)")
    ax.grid(axis="y", color="#dddddd", lw=0.5)
    ax.legend(loc="upper left", frameon=True, framealpha=0.9, ncol=2, fontsize=7)
