"""Country time series of a run: mean risk and area at risk per country, with the foreign contingents' presence.

Mali, Burkina Faso and Niger are drawn thick in their :data:`~sim.plotting.style.FOCUS_COLOURS`, every other
modelled country thin and grey, each labelled with its ISO code at its right end. A third panel is the deployment
timeline of the run's contingents (from ``run.json``: the documents' deployment dates and the departures the
scenario applied), one row per contingent so no label overlaps, and each departure is marked by a dotted line
through the risk panels. A departure the documents date to a month (or year) only is drawn as that whole month
(or year), labelled so; the model applies it on the first day of that period. A country already over the
crossing condition on the first day gets no crossing marker (that is the initial state, not a crossing).
"""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D

from sim.plotting.maps import add_footer, opened, save, scenario_title
from sim.plotting.style import FOCUS, FOCUS_COLOURS, OTHER_COLOUR, apply_style, risk_vmax

DEPARTURE_COLOUR = "#555555"


def country_names(codes) -> dict[str, str]:
    """English names of ADM0_A3 codes (the code itself if unknown)."""
    from geo.shapes import load_countries

    table = load_countries()
    return {c: str(table.loc[c, "NAME_EN"]) if c in table.index else c for c in codes}


def contingent_rows(contingents: pd.DataFrame) -> pd.DataFrame:
    """One row per contingent (actor, mission, arrival, departure), its hosts joined and troops summed."""
    if contingents.empty:
        return pd.DataFrame(columns=["label", "present_from", "present_until", "effective_until", "until_precision",
                                     "troops"])
    frame = contingents.copy()
    if "until_precision" not in frame:
        frame["until_precision"] = "day"
    frame["until_precision"] = frame["until_precision"].fillna("day").astype(str)
    keys = ["actor", "mission", "present_from", "present_until", "effective_until", "until_precision"]
    for key in keys:
        frame[key] = frame[key].astype(object).where(frame[key].notna(), None)
    rows = []
    for key, group in frame.groupby(keys, dropna=False, sort=False):
        actor, mission, arrive, until, leave, precision = key
        name = " — ".join(str(p) for p in (actor, mission) if p)
        hosts = ", ".join(dict.fromkeys(h for h in group["host"] if h))
        rows.append({"label": f"{name or 'contingent'} ({hosts})" if hosts else name,
                     "present_from": arrive, "present_until": until, "effective_until": leave,
                     "until_precision": precision or "day", "troops": group["troops"].sum(min_count=1)})
    out = pd.DataFrame(rows)
    for column in ("present_from", "present_until", "effective_until"):
        out[column] = pd.to_datetime(out[column])
    order = out["effective_until"].fillna(out["present_until"]).fillna(pd.Timestamp.max)
    return out.assign(_order=order).sort_values(["_order", "label"]).drop(columns="_order").reset_index(drop=True)


def plot_country_series(run, out: str | os.PathLike, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Mean risk and area at risk per country over time, with the contingents' deployments and departures."""
    apply_style()
    with opened(run) as data:
        series = data.series
        codes = list(dict.fromkeys(series["country"]))
        names = country_names(codes)
        focus = [c for c in FOCUS if c in codes]
        others = [c for c in codes if c not in focus]
        rows = contingent_rows(data.contingents)
        start, end = pd.Timestamp(data.dates[0]), pd.Timestamp(data.dates[-1])

        n_rows = len(rows)
        heights = [3.0, 3.0] + ([0.42 * n_rows + 0.4] if n_rows else [])
        fig, axes = plt.subplots(len(heights), 1, figsize=(9.5, sum(heights) + 0.9), sharex=True,
                                 gridspec_kw={"height_ratios": heights, "hspace": 0.12})
        ax_mean, ax_area = axes[0], axes[1]
        ends = {ax_mean: [], ax_area: []}
        for code in others:
            group = series[series["country"] == code]
            for ax, column, scale in ((ax_mean, "mean_risk", 1.0), (ax_area, "area_at_risk_km2", 1e-3)):
                ax.plot(group["time"], group[column] * scale, color=OTHER_COLOUR, lw=0.8, alpha=0.6, zorder=2)
                if len(group):
                    ends[ax].append((float(group[column].iloc[-1]) * scale, code))
        for code in focus:
            group = series[series["country"] == code]
            for ax, column, scale in ((ax_mean, "mean_risk", 1.0), (ax_area, "area_at_risk_km2", 1e-3)):
                ax.plot(group["time"], group[column] * scale, color=FOCUS_COLOURS[code], lw=2.4, zorder=4,
                        label=names[code])
        # first crossings of the focus countries
        crossings = data.crossings.set_index("country")["first_crossing"] if len(data.crossings) else pd.Series()
        crossed = False
        at_start = []
        for code in focus:
            when = crossings.get(code, "")
            if when and pd.Timestamp(when) <= start:  # the initial state already meets the condition
                at_start.append(names[code])
            elif when:
                when = pd.Timestamp(when)
                value = series.loc[(series["country"] == code) & (series["time"] == when), "area_at_risk_km2"]
                if len(value):
                    ax_area.plot(when, value.iloc[0] * 1e-3, "o", ms=7, mfc="white", mec=FOCUS_COLOURS[code],
                                 mew=2, zorder=5, clip_on=False)
                    crossed = True
        ax_mean.axhline(data.threshold, color="#333333", lw=0.9, ls="--", zorder=1)
        ax_mean.annotate(f"risk threshold {data.threshold:g} (a cell at or above it is at risk)",
                         (0.005, data.threshold), xycoords=("axes fraction", "data"), xytext=(0, 3),
                         textcoords="offset points", ha="left", va="bottom", fontsize=7, color="#333333",
                         bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))
        top = float(series["mean_risk"].max()) if len(series) else 0.0
        ax_mean.set_ylim(0, risk_vmax(max(top, data.threshold) * 1.15))  # the data and the threshold, not 0-1
        ax_mean.set_ylabel("mean risk over the country\n(abstract index, 0–1)")
        ax_area.set_ylabel(f"area with risk ≥ {data.threshold:g}\n(thousand km²)")
        ax_area.set_ylim(bottom=0)
        for ax, points in ends.items():
            _label_ends(ax, points, end)

        # departures through the risk panels
        departures = sorted({d for d in rows["effective_until"].dropna() if start <= d <= end}) if n_rows else []
        for ax in (ax_mean, ax_area):
            for when in departures:
                ax.axvline(when, color=DEPARTURE_COLOUR, lw=0.8, ls=":", zorder=1)

        handles = [Line2D([], [], color=FOCUS_COLOURS[c], lw=2.4, label=names[c]) for c in focus]
        if others:
            handles.append(Line2D([], [], color=OTHER_COLOUR, lw=0.8,
                                  label="other modelled countries (ISO code at the right)"))
        if crossed:
            handles.append(Line2D([], [], marker="o", ms=7, mfc="white", mec="#333333", mew=2, ls="none",
                                  label=f"first ≥ {data.crossing_fraction:.0%} of area at risk"))
        if at_start:
            handles.append(Line2D([], [], ls="none", label=f"{', '.join(at_start)}: ≥ {data.crossing_fraction:.0%} "
                                                           "at risk from the start (no crossing)"))
        if departures:
            handles.append(Line2D([], [], color=DEPARTURE_COLOUR, lw=0.8, ls=":", label="a contingent leaves"))
        ax_mean.legend(handles=handles, loc="upper left", frameon=True, framealpha=0.9, edgecolor="none", ncol=2)

        if n_rows:
            _draw_timeline(axes[2], rows, start, end)
        axes[-1].set_xlim(start, end)
        axes[-1].xaxis.set_major_locator(mdates.YearLocator(base=_year_step(start, end)))
        axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        if (end - start).days < 3 * 365:
            axes[-1].xaxis.set_minor_locator(mdates.MonthLocator(bymonth=(4, 7, 10)))
        for ax in axes:
            ax.grid(axis="x", color="#e6e6e6", lw=0.6, zorder=0)
        note = "" if n_rows else " (this run has no foreign contingents)"
        ax_mean.set_title(f"Risk per country, {scenario_title(data)}{note}", loc="left")
        fig.subplots_adjust(bottom=0.62 / fig.get_figheight(), top=1 - 0.35 / fig.get_figheight(), right=0.86)
        add_footer(fig, data, f"{data.grid.cell_km:g} km cells; series from countries.csv, contingents from "
                              "run.json")
        return save(fig, data, out, formats, colour_maps=())


def _year_step(start: pd.Timestamp, end: pd.Timestamp) -> int:
    years = (end - start).days / 365.25
    return 1 if years <= 12 else 2 if years <= 24 else 5


def _draw_timeline(ax, rows: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """One bar per contingent from arrival (or the run's start) to departure (or the run's end)."""
    labels = []
    for i, row in rows.iterrows():
        y = len(rows) - 1 - i
        arrive, leave = row["present_from"], row["effective_until"]
        documented = row["present_until"]
        left = start if pd.isna(arrive) or arrive < start else arrive
        right = end if pd.isna(leave) or leave > end else leave
        if right < left:
            right = left
        precision = row.get("until_precision", "day") or "day"
        ax.barh(y, right - left, left=left, height=0.55, color="#c9c9c9", edgecolor="#666666", lw=0.6, zorder=2)
        if not (pd.isna(arrive) or arrive < start):
            ax.plot(arrive, y, marker="^", ms=6, color="#333333", zorder=3, ls="none")
        if not pd.isna(leave) and leave <= end and precision in ("month", "year"):
            span_end = leave + (pd.offsets.MonthBegin(1) if precision == "month" else pd.offsets.YearBegin(1))
            ax.barh(y, span_end - leave, left=leave, height=0.55, color="none", edgecolor="#111111", lw=0.8,
                    hatch="////", zorder=3)
        elif not pd.isna(leave) and leave <= end:
            ax.plot(leave, y, marker="v", ms=6, color="#111111", zorder=3, ls="none")
        elif not pd.isna(documented) and start <= documented <= end:
            ax.plot(documented, y, marker="v", ms=6, mfc="white", mec="#111111", zorder=3, ls="none")
        labels.append(f"{row['label']}\n{_presence(arrive, leave, documented, precision)}")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels[::-1], fontsize=7, linespacing=1.25)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("")
    ax.text(0.0, 1.02, "foreign contingents: ▲ arrives, ▼ leaves, ▽ documented exit not applied; hatched: an exit "
            "dated to the month only (applied on its first day)",
            transform=ax.transAxes, fontsize=7, color="#333333", va="bottom")


def _label_ends(ax, points: list[tuple[float, str]], end: pd.Timestamp) -> None:
    """ISO codes at the right ends of the grey lines; lines ending close together share one label (codes joined,
    five to a line), and labels are stacked so that none overlaps another."""
    if not points:
        return
    lo, hi = ax.get_ylim()
    fig = ax.get_figure()
    height_pt = ax.get_position().height * fig.get_figheight() * 72
    line = 7.0 / height_pt  # one 6 pt line, in axes fraction
    clusters: list[list[tuple[float, str]]] = []
    for value, code in sorted(points):
        frac = (value - lo) / (hi - lo) if hi > lo else 0.0
        if clusters and frac - clusters[-1][-1][0] < 2 * line:
            clusters[-1].append((frac, code))
        else:
            clusters.append([(frac, code)])
    top = -1.0
    for cluster in clusters:
        codes = [code for _, code in cluster]
        rows = [" ".join(codes[i:i + 5]) for i in range(0, len(codes), 5)]
        size = len(rows) * line
        centre = max(sum(f for f, _ in cluster) / len(cluster), top + size / 2, size / 2 - 0.02)
        top = centre + size / 2
        ax.annotate("\n".join(rows), (1.0, centre), xycoords="axes fraction", xytext=(3, 0),
                    textcoords="offset points", fontsize=6, color="#777777", va="center", ha="left",
                    annotation_clip=False, linespacing=1.0)


def _presence(arrive, leave, documented, precision: str = "day") -> str:
    """``arrives 2013-01-11 · leaves 2014-08-01`` (or what is unknown, or that the scenario keeps it)."""
    first = f"arrives {arrive.date().isoformat()}" if not pd.isna(arrive) else "present at the start"
    if not pd.isna(leave) and precision in ("month", "year"):
        period = leave.strftime("%Y-%m") if precision == "month" else leave.strftime("%Y")
        last = f"leaves in {period} ({precision} known; model: {leave.date().isoformat()})"
    elif not pd.isna(leave):
        last = f"leaves {leave.date().isoformat()}"
        if not pd.isna(documented) and documented != leave:
            last += f" (documents: {documented.date().isoformat()})"
    elif not pd.isna(documented):
        last = f"stays (documents: leaves {documented.date().isoformat()})"
    else:
        last = "stays to the end"
    return f"{first} · {last}"
