"""Fan charts of a forecast per country: the observed record, the forecast median and its 50% and 90% ranges.

What it draws: one panel per country of Mali, Burkina Faso and Niger (those the forecast has), deaths per calendar
year on a symmetric-log axis (linear below 10, so years with no death show as 0), the origin as a dotted line.
With a second scenario (``spillover forecast --against``) both fans are drawn in two colours: SCENARIO's in red, the
other's in blue, so the reader sees where the two ranges part.

Example
-------
>>> plot_fan_chart(level, fc, "fan_countries.png", 2020, names={"MLI": "Mali"},
...                labels=("withdrawal", "stay"))  # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np

from sim.plotting.style import FOCUS

SCENARIO_COLOUR, AGAINST_COLOUR = "C3", "C0"


def _fan(ax, years, draws, colour, label):
    for lo, hi, alpha in ((0.05, 0.95, 0.18), (0.25, 0.75, 0.32)):
        ax.fill_between(years, np.quantile(draws, lo, axis=0), np.quantile(draws, hi, axis=0), color=colour,
                        alpha=alpha, lw=0, label=f"{label}: {int(lo * 100)}-{int(hi * 100)}%")
    ax.plot(years, np.median(draws, axis=0), color=colour, lw=1.6, label=f"{label}: median")


def plot_fan_chart(lv, fc: dict, path, origin: int, names: dict | None = None,
                   labels: tuple[str, ...] = ("forecast",), footer: str = "") -> None:
    """Draw the fan chart of country-level forecast ``fc``; with two labels (``fc`` holds ``against_members``) the
    second scenario's median and 90% range as lines over the first's fan, and a second row with the paired
    difference (first − second: median, 50% and 90% of the members' differences)."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    names = names or {}
    show = [u for u in FOCUS if u in lv.units] or list(lv.units)[:3]
    paired = len(labels) > 1
    fig, axes = plt.subplots(2 if paired else 1, len(show), figsize=(3.9 * len(show), 6.4 if paired else 3.5),
                             squeeze=False, sharex="col")
    years = np.array(fc["years"])
    t0 = lv.years.index(origin)
    for col, unit in enumerate(show):
        ax, i = axes[0][col], lv.units.index(unit)
        _fan(ax, years, fc["members"][:, i], SCENARIO_COLOUR, labels[0])
        if paired:
            other = fc["against_members"][:, i]
            ax.plot(years, np.median(other, axis=0), color=AGAINST_COLOUR, lw=1.4, label=f"{labels[1]}: median")
            for q, label in ((0.05, f"{labels[1]}: 5% and 95%"), (0.95, None)):
                ax.plot(years, np.quantile(other, q, axis=0), color=AGAINST_COLOUR, lw=0.9, ls="--", label=label)
        ax.plot(lv.years[:t0], lv.y[i, :t0], "ko-", ms=3, lw=0.8, label="UCDP GED observed")
        later = [k for k in range(t0, len(lv.years)) if np.isfinite(lv.y[i, k])]
        if later:
            ax.plot([lv.years[k] for k in later], lv.y[i, later], "o", mfc="white", mec="k", ms=4,
                    label="observed after the origin")
        ax.set_title(f"{names.get(unit, unit)}: forecast from 1 January {origin}")
        ax.set_yscale("symlog", linthresh=10)
        ax.set_ylim(bottom=0)
        if paired:
            diff = fc["members"][:, i] - fc["against_members"][:, i]
            dax = axes[1][col]
            for lo, hi, alpha in ((0.05, 0.95, 0.18), (0.25, 0.75, 0.32)):
                dax.fill_between(years, np.quantile(diff, lo, axis=0), np.quantile(diff, hi, axis=0), color="C4",
                                 alpha=alpha, lw=0, label=f"{int(lo * 100)}-{int(hi * 100)}% of members")
            dax.plot(years, np.median(diff, axis=0), color="C4", lw=1.6, label="median of members")
            dax.axhline(0, color="k", lw=0.6)
            dax.set_yscale("symlog", linthresh=10)
            dax.set_title(f"{names.get(unit, unit)}: {labels[0]} − {labels[1]}", fontsize=9)
    for row in axes:
        for ax in row:
            ax.axvline(origin - 0.5, color="grey", ls=":", lw=1)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        row[0].set_ylabel("deaths per year (UCDP GED best)")
    for ax in axes[-1]:
        ax.set_xlabel("year")
    axes[0][0].legend(fontsize=6.5, loc="lower left")
    if paired:
        axes[1][0].set_ylabel("difference in deaths per year\n(same members, same random streams)")
        axes[1][0].legend(fontsize=6.5, loc="upper left")
    # characters per footer line: the figure's width over a 6.5 pt glyph's mean width (~0.6 em, DejaVu Sans)
    width = int(fig.get_figwidth() * 72 / (0.6 * 6.5))
    lines = textwrap.wrap(footer, width) if footer else []
    step = 6.5 * 1.5 / (72 * fig.get_figheight())  # one footer line, as a fraction of the figure's height
    for k, line in enumerate(lines):
        fig.text(0.01, 0.004 + step * (len(lines) - 1 - k), line, fontsize=6.5, color="#555555", va="bottom")
    fig.tight_layout(rect=(0, step * (len(lines) + 0.5) if lines else 0, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
