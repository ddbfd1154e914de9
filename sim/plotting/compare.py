"""Comparing two runs (say ``stay`` and ``withdrawal``): a difference map and the crossing dates side by side.

:func:`difference` is the data: risk in run B minus risk in run A at one date (the snapshot at or before it in
each run), NaN outside the modelled countries; exactly zero for identical runs. :func:`crossing_table` pairs the
runs' ``crossings.csv``. The figures draw them in the shared style.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from geo.errors import SpilloverError
from sim.plotting.maps import (FOOTER_STYLE, RunData, countries_for, display_field, draw_risk, opened, parse_date,
                               save)
from sim.plotting.basemap import draw_basemap
from sim.plotting.series import country_names
from sim.plotting.style import CAVEAT, DIFF_CMAP, FOCUS, FOCUS_COLOURS, RISK_CMAP, RISK_LABEL, apply_style

DIFF_LABEL = "risk difference (B − A)"
CROSSINGS_COMPARE_FILE = "crossings_compare.csv"


def _check_same_grid(a: RunData, b: RunData) -> None:
    ga, gb = a.grid, b.grid
    same = (ga.shape == gb.shape and np.allclose(a.ds["x"].values, b.ds["x"].values)
            and np.allclose(a.ds["y"].values, b.ds["y"].values) and ga.codes == gb.codes)
    if not same:
        raise SpilloverError(
            f"runs {a.path} and {b.path} are on different grids ({ga.shape[0]}×{ga.shape[1]} cells of {ga.cell_km:g} "
            f"km, {len(ga.codes)} countries vs {gb.shape[0]}×{gb.shape[1]} of {gb.cell_km:g} km, {len(gb.codes)}); "
            "compare runs of the same grid (grid.cell_km, grid.countries, grid.crs)")


def common_date(a: RunData, b: RunData, date=None) -> dt.date:
    """``date`` checked against both runs, or (default) the last date both runs reach."""
    if date is None:
        return min(a.dates[-1], b.dates[-1])
    when = parse_date(date)
    a.index_of(when)
    b.index_of(when)
    return when


def _difference(a: RunData, b: RunData, when: dt.date) -> np.ndarray:
    _check_same_grid(a, b)
    return b.snapshot(b.index_of(when)).astype("float64") - a.snapshot(a.index_of(when)).astype("float64")


def difference(run_a, run_b, date=None) -> np.ndarray:
    """Risk of ``run_b`` minus risk of ``run_a`` at ``date`` (ISO; default: the last date both runs reach).

    Each run contributes its snapshot at or before the date; a (y, x) float64 array, NaN outside the modelled
    countries. Raises :class:`SpilloverError` for runs on different grids or a date outside either run.
    """
    with opened(run_a) as a, opened(run_b) as b:
        return _difference(a, b, common_date(a, b, date))


def _labels(a: RunData, b: RunData) -> tuple[str, str]:
    if a.name != b.name:
        return a.name, b.name
    return f"{a.name} ({a.path.name})", f"{b.name} ({b.path.name})"


def _nice_limit(value: float) -> float:
    """A round symmetric colour-bar limit ≥ ``value``."""
    if not np.isfinite(value) or value <= 0:
        return 0.01
    exponent = np.floor(np.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        limit = step * 10**exponent
        if limit >= value * (1 - 1e-9):
            return float(min(limit, 1.0))
    return 1.0


def plot_difference_map(run_a, run_b, out: str | os.PathLike, date=None,
                        formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Risk in B and A at ``date`` (small, left) and B − A (large, right) on a diverging map centred on 0."""
    apply_style()
    with opened(run_a) as a, opened(run_b) as b:
        when = common_date(a, b, date)
        ia, ib = a.index_of(when), b.index_of(when)
        _check_same_grid(a, b)
        ra, rb = a.snapshot(ia), b.snapshot(ib)
        diff = rb.astype("float64") - ra.astype("float64")
        name_a, name_b = _labels(a, b)
        countries = countries_for(a)
        grid = a.grid
        ny, nx = grid.shape
        aspect = ny / nx
        big_w, small_w = 7.6, 3.6
        height = max(big_w * aspect, 2 * small_w * aspect + 0.5) + 1.9
        fig = plt.figure(figsize=(big_w + small_w + 0.3, height))
        gs = fig.add_gridspec(2, 2, width_ratios=[small_w, big_w], left=0.01, right=0.99, wspace=0.04, hspace=0.18,
                              top=1 - 0.75 / height, bottom=1.15 / height)
        ax_a, ax_b, ax_d = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[1, 0]), fig.add_subplot(gs[:, 1])
        image = None
        vmax = max(a.risk_vmax, b.risk_vmax)  # one colour scale for both runs
        for ax, data, values, index, label, tag in ((ax_a, a, ra, ia, name_a, "A"), (ax_b, b, rb, ib, name_b, "B")):
            image = draw_risk(ax, data, values, countries, focus_labels=True, capitals=False, graticule=False,
                              scale_bar=False, text_scale=0.8, vmax=vmax)
            ax.set_title(f"{tag}: {label}, {data.dates[index].isoformat()}", fontsize=9)
        cax = ax_b.inset_axes([0.1, -0.13, 0.8, 0.05])
        bar = fig.colorbar(image, cax=cax, orientation="horizontal")
        bar.set_label(RISK_LABEL, fontsize=7)
        bar.ax.tick_params(labelsize=7)

        limit = _nice_limit(float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 0.0)
        field, ext = display_field(diff, grid)
        shown = ax_d.imshow(field, cmap=DIFF_CMAP, vmin=-limit, vmax=limit, extent=ext, interpolation="nearest",
                            zorder=0)
        draw_basemap(ax_d, grid, countries.loc[list(grid.codes)])
        identical = bool(np.nanmax(np.abs(diff)) == 0) if np.isfinite(diff).any() else True
        note = " — identical: zero everywhere" if identical else ""
        ax_d.set_title(f"B − A: “{name_b}” minus “{name_a}”, {when.isoformat()}{note}", fontsize=10)
        dbar = fig.colorbar(shown, ax=ax_d, orientation="horizontal", fraction=0.045, pad=0.05, aspect=40,
                            extend="neither")
        dbar.set_label(f"{DIFF_LABEL}: red = higher risk in “{name_b}”, blue = lower")
        fig.suptitle(f"Scenario comparison on {when.isoformat()}: “{name_b}” against “{name_a}”", fontsize=12,
                     x=0.01, ha="left", y=1 - 0.15 / height, va="top")
        _footer(fig, a, b)
        return save(fig, b, out, formats, colour_maps=(RISK_CMAP, DIFF_CMAP))


def _footer(fig, a: RunData, b: RunData) -> None:
    created = str(a.manifest.get("created", ""))[:10]
    fig.text(0.01, 0.003, f"{CAVEAT}\nB: {b.footer()} · A: scenario {a.name}, run {created}", linespacing=1.4,
             **FOOTER_STYLE)


def crossing_table(run_a, run_b) -> pd.DataFrame:
    """Per country: the first crossing date in A and in B (``crossings.csv``) and B − A in days.

    Columns ``country, name, scenario_a, first_crossing_a, scenario_b, first_crossing_b, difference_days``;
    a country that never crosses has an empty date, and the difference is empty unless both cross.
    """
    with opened(run_a) as a, opened(run_b) as b:
        name_a, name_b = _labels(a, b)
        ca = a.crossings.set_index("country")["first_crossing"]
        cb = b.crossings.set_index("country")["first_crossing"]
        codes = list(dict.fromkeys(list(ca.index) + list(cb.index)))
        names = country_names(codes)
        rows = []
        for code in codes:
            da, db = str(ca.get(code, "") or ""), str(cb.get(code, "") or "")
            days = (dt.date.fromisoformat(db) - dt.date.fromisoformat(da)).days if da and db else None
            rows.append({"country": code, "name": names[code], "scenario_a": name_a, "first_crossing_a": da,
                         "scenario_b": name_b, "first_crossing_b": db, "difference_days": days})
        frame = pd.DataFrame(rows)
        frame["difference_days"] = frame["difference_days"].astype("Int64")
        focus = [c for c in FOCUS if c in codes]
        first = frame[["first_crossing_a", "first_crossing_b"]].replace("", "9999").min(axis=1)
        order = frame["country"].map(lambda c: focus.index(c) if c in focus else len(focus))
        return (frame.assign(_o=order, _f=first).sort_values(["_o", "_f", "country"])
                .drop(columns=["_o", "_f"]).reset_index(drop=True))


def plot_crossing_table(run_a, run_b, out: str | os.PathLike, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """The crossing dates of both runs as a table figure (focus countries first, bold; then the others)."""
    apply_style()
    with opened(run_a) as a, opened(run_b) as b:
        table = crossing_table(a, b)
        name_a, name_b = _labels(a, b)
        shown = table[(table["first_crossing_a"] != "") | (table["first_crossing_b"] != "")
                      | table["country"].isin(FOCUS)]
        hidden = len(table) - len(shown)
        end_a, end_b = a.dates[-1].isoformat(), b.dates[-1].isoformat()

        def cell(value: str, end: str, first: str) -> str:
            if value and value == first:
                return f"at the start ({value})"
            return value if value else f"not by {end}"

        def days(value) -> str:
            if pd.isna(value):
                return "–"
            if value == 0:
                return "same date"
            return f"{value:+,d}".replace("-", "−") + f" ({'later' if value > 0 else 'earlier'} in {name_b})"

        first_a, first_b = a.dates[0].isoformat(), b.dates[0].isoformat()
        body = [[row.name, cell(row.first_crossing_a, end_a, first_a), cell(row.first_crossing_b, end_b, first_b),
                 days(row.difference_days)] for row in shown.itertuples(index=False)]
        header = ["country", f"A: {name_a}", f"B: {name_b}", "B − A (days)"]
        row_in, title_in, notes_in = 0.3, 0.5, 0.75
        table_in = row_in * (len(body) + 1)
        height = title_in + table_in + notes_in
        fig = plt.figure(figsize=(8.6, height))
        ax = fig.add_axes([0.01, notes_in / height, 0.98, table_in / height])
        ax.axis("off")
        tab = ax.table(cellText=body, colLabels=header, bbox=[0, 0, 1, 1], cellLoc="left", colLoc="left",
                       colWidths=[0.25, 0.25, 0.25, 0.25])
        tab.auto_set_font_size(False)
        tab.set_fontsize(8.5)
        for (r, c), item in tab.get_celld().items():
            item.set_edgecolor("#cccccc")
            item.set_linewidth(0.5)
            if r == 0:
                item.set_text_props(fontweight="bold")
                item.set_facecolor("#eeeeee")
            else:
                code = shown.iloc[r - 1]["country"]
                if code in FOCUS:
                    item.set_text_props(fontweight="bold", color=FOCUS_COLOURS[code] if c == 0 else "#111111")
        fig.text(0.01, 1 - 0.12 / height, f"First date each country crosses the risk threshold: “{name_a}” (A) and "
                 f"“{name_b}” (B)", fontsize=10, va="top")
        lines = [f"Crossing: the first snapshot with ≥ {a.crossing_fraction:.0%} of the country's area at risk "
                 f"≥ {a.threshold:g} (from each run's crossings.csv); \"at the start\": the initial state already "
                 "meets it (no crossing)."]
        if (a.threshold, a.crossing_fraction) != (b.threshold, b.crossing_fraction):
            lines.append(f"Note: B uses threshold {b.threshold:g} and {b.crossing_fraction:.0%} of the area.")
        if hidden:
            lines.append(f"{hidden} other modelled countr{'y' if hidden == 1 else 'ies'} never cross in either run.")
        fig.text(0.01, (notes_in - 0.08) / height, "\n".join(lines), fontsize=7.5, va="top", color="#333333")
        _footer(fig, a, b)
        return save(fig, b, out, formats, colour_maps=())


def write_crossing_table(run_a, run_b, path: str | os.PathLike) -> Path:
    from sim.output import write_table

    return write_table(Path(path), crossing_table(run_a, run_b))
