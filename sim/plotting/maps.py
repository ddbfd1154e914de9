"""Risk maps of a run: one date as a single map, several dates as small multiples sharing one colour bar.

Figures read the run folder (:mod:`sim.output`) only: :class:`RunData` opens ``risk.nc`` lazily and rebuilds the
grid from its ``x``/``y``, ``country_id`` and CF grid mapping, so no figure re-rasterizes the countries, and a map
reads just the snapshots it shows (one ``(y, x)`` slice at a time), never the whole time series: a 1 km run's
maps need memory for one snapshot, not for all of them.

Dates are ISO dates (``"2022-11-14"``); each picks the snapshot at or before it, and a date before the first or
after the last snapshot is a :class:`~geo.errors.SpilloverError` that names the date and the run's range.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import warnings
from functools import cached_property
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS

from geo.errors import SpilloverError
from geo.grid import Grid
from sim.output import (ADMIN1_FILE, CROSSINGS_FILE, MANIFEST_FILE, RISK_FILE, SERIES_FILE, check_run_dir,
                        country_crossings)
from sim.plotting.basemap import draw_basemap, extent
from sim.plotting.style import CAVEAT, FOCUS, RISK_CMAP, RISK_LABEL, apply_style, risk_vmax, save_figure

#: PNG palette size of the figures (raster maps shrink several times; see style.save_figure)
PNG_COLOURS = 256

#: The documented end of the foreign withdrawals (France ends Barkhane, the UK leaves MINUSMA): a default map date
#: when the run's contingents give none.
WITHDRAWAL_DATE = dt.date(2022, 11, 14)
#: Most raster columns a map panel draws; larger grids (1 km) are block-averaged for display only.
MAX_DISPLAY_COLUMNS = 1400
FOOTER_STYLE = dict(fontsize=6, color="#555555", ha="left", va="bottom")


# ------------------------------------------------------------------------------------------- reading a run
class RunData:
    """A run folder opened for figures: the lazily opened risk cube, its grid, dates, series and provenance.

    Use as a context manager (or call :meth:`close`) to release the NetCDF file. ``reads`` counts the snapshots
    read so far (tests check that a map reads only what it shows).
    """

    def __init__(self, run_dir: str | os.PathLike):
        import xarray as xr

        self.path = check_run_dir(run_dir)
        try:
            self.manifest = json.loads((self.path / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SpilloverError(f"run folder {self.path}: cannot read {MANIFEST_FILE}: {exc}") from exc
        try:
            self.ds = xr.open_dataset(self.path / RISK_FILE, cache=False)
        except Exception as exc:  # netCDF4/h5py raise many kinds
            raise SpilloverError(f"run folder {self.path}: cannot open {RISK_FILE}: {exc}") from exc
        if "risk" not in self.ds or self.ds["risk"].dims != ("time", "y", "x") or self.ds.sizes["time"] == 0:
            self.ds.close()
            raise SpilloverError(f"run folder {self.path}: {RISK_FILE} has no risk snapshots (time, y, x)")
        self.reads = 0

    # context manager
    def __enter__(self) -> "RunData":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.ds.close()

    # -------------------------------------------------------------------------------------------- metadata
    @property
    def name(self) -> str:
        return str(self.manifest.get("scenario_name") or self.ds.attrs.get("scenario_name") or self.path.name)

    @property
    def description(self) -> str:
        return str(self.manifest.get("scenario", {}).get("scenario", {}).get("description", ""))

    @property
    def output_config(self) -> dict:
        return self.manifest.get("scenario", {}).get("output", {})

    @property
    def threshold(self) -> float:
        return float(self.output_config.get("threshold", 0.5))

    @property
    def crossing_fraction(self) -> float:
        return float(self.output_config.get("crossing_area_fraction", 0.1))

    @cached_property
    def dates(self) -> list[dt.date]:
        """The snapshot dates (the run's time axis)."""
        return [pd.Timestamp(t).date() for t in self.ds["time"].values]

    @cached_property
    def grid(self) -> Grid:
        """The run's grid, rebuilt from risk.nc (no re-rasterizing)."""
        mapping = "spatial_ref" if "spatial_ref" in self.ds.variables else "crs"  # "crs": runs before 0.2
        crs_var = self.ds[mapping].attrs
        wkt = crs_var.get("crs_wkt") or crs_var.get("spatial_ref")
        crs = CRS.from_wkt(wkt) if wkt else CRS.from_user_input(self.manifest["grid"]["crs"])
        x, y = self.ds["x"].values, self.ds["y"].values
        dx = float(x[1] - x[0]) if len(x) > 1 else float(self.manifest["grid"]["cell_km"]) * 1000
        dy = float(y[1] - y[0]) if len(y) > 1 else -dx
        transform = Affine(dx, 0.0, float(x[0]) - dx / 2, 0.0, dy, float(y[0]) - dy / 2)
        cid = self.ds["country_id"]
        codes = tuple(str(cid.attrs.get("flag_meanings", "")).split()) or tuple(self.manifest["grid"]["codes"])
        cell_km = float(self.manifest.get("grid", {}).get("cell_km", abs(dx) / 1000))
        admin1 = {}
        if "admin1_id" in self.ds:  # runs written before admin-1 ids have none
            var = self.ds["admin1_id"]
            admin1 = dict(admin1_id=np.asarray(var.values).astype(np.uint16), admin1_codes=tuple(var.attrs["adm1_codes"].split()),
                          admin1_country=tuple(var.attrs["adm0_a3"].split()))
        return Grid(crs=crs, transform=transform, shape=(len(y), len(x)), cell_km=cell_km, codes=codes,
                    country_id=np.asarray(cid.values), **admin1)

    @cached_property
    def series(self) -> pd.DataFrame:
        frame = pd.read_csv(self.path / SERIES_FILE, parse_dates=["time"])
        return frame

    @cached_property
    def crossings(self) -> pd.DataFrame:
        path = self.path / CROSSINGS_FILE
        if not path.exists():
            raise SpilloverError(f"run folder {self.path} has no {CROSSINGS_FILE}: not a complete run")
        return country_crossings(pd.read_csv(path, keep_default_na=False, dtype={"first_crossing": str}))

    @cached_property
    def admin1(self) -> pd.DataFrame | None:
        """``admin1.csv`` (time parsed), or None for a run written before admin-1 series existed."""
        path = self.path / ADMIN1_FILE
        if not path.exists():
            return None
        return pd.read_csv(path, parse_dates=["time"], keep_default_na=False, na_values=[""],
                           dtype={"adm1_code": str, "name": str, "adm0_a3": str})

    @cached_property
    def contingents(self) -> pd.DataFrame:
        """The run's contingents (actor, mission, host, present_from, effective_until, troops, ...), dates parsed."""
        frame = pd.DataFrame(self.manifest.get("contingents", []))
        for column in ("actor", "mission", "host"):
            if column not in frame:
                frame[column] = ""
            frame[column] = frame[column].fillna("").astype(str)
            frame[column] = frame[column].where(~frame[column].isin(["None", "nan", "NaN", "<NA>", "NaT"]), "")
        for column in ("present_from", "present_until", "effective_until"):
            frame[column] = pd.to_datetime(frame.get(column, pd.Series(dtype=str)), errors="coerce")
        frame["troops"] = pd.to_numeric(frame.get("troops", pd.Series(dtype=float)), errors="coerce")
        return frame

    def withdrawal_date(self) -> dt.date:
        """The last documented departure of a contingent (effective, else documented), else :data:`WITHDRAWAL_DATE`."""
        for column in ("effective_until", "present_until"):
            when = self.contingents[column].dropna()
            if len(when):
                return when.max().date()
        return WITHDRAWAL_DATE

    def footer(self) -> str:
        """One line of provenance for the bottom of every figure."""
        data = self.manifest.get("data", {})
        natural_earth = re.search(r"\d+\.\d+(\.\d+)?", str(data.get("natural_earth", "")))
        created = str(self.manifest.get("created", ""))[:10]
        parts = [f"scenario {self.name}", f"sahel-spillover {self.manifest.get('sahel_spillover_version', '?')}",
                 f"Natural Earth {natural_earth.group(0) if natural_earth else '?'} borders",
                 "GeoNames capitals (CC-BY 4.0)", f"run {created}"]
        return " · ".join(parts)

    # ----------------------------------------------------------------------------------------------- dates
    def index_of(self, date: str | dt.date) -> int:
        """Index of the snapshot at or before ``date``; a date outside the run is an error naming the range."""
        when = parse_date(date)
        first, last = self.dates[0], self.dates[-1]
        if not first <= when <= last:
            raise SpilloverError(f"date {when.isoformat()} is outside run {self.path} ({self.name}): its snapshots "
                                 f"run from {first.isoformat()} to {last.isoformat()}")
        return int(np.searchsorted(np.array(self.dates, dtype="datetime64[D]"), np.datetime64(when), "right") - 1)

    # ---------------------------------------------------------------------------------------------- values
    @cached_property
    def risk_vmax(self) -> float:
        """Upper end of this run's risk colour scale (:func:`sim.plotting.style.risk_vmax` of its largest risk)."""
        largest = float(self.ds["risk"].max(skipna=True).values)
        return risk_vmax(largest if np.isfinite(largest) else 1.0)

    def snapshot(self, index: int) -> np.ndarray:
        """The risk field of snapshot ``index`` as a (y, x) float array (NaN outside the modelled countries)."""
        self.reads += 1
        return np.asarray(self.ds["risk"].isel(time=int(index)).values)


def parse_date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise SpilloverError(f"date {value!r} is not an ISO date (YYYY-MM-DD)") from None


def open_run(run: "str | os.PathLike | RunData") -> RunData:
    return run if isinstance(run, RunData) else RunData(run)


class _Opened:
    """``with _Opened(run) as data``: opens a path (and closes it after), passes an open RunData through."""

    def __init__(self, run):
        self.owned = not isinstance(run, RunData)
        self.data = open_run(run)

    def __enter__(self) -> RunData:
        return self.data

    def __exit__(self, *exc) -> None:
        if self.owned:
            self.data.close()


def opened(run) -> _Opened:
    return _Opened(run)


# ------------------------------------------------------------------------------------------ date selection
def default_dates(data: RunData, n: int = 6) -> list[dt.date]:
    """``n`` dates spread over the run: the first and last snapshots, the withdrawal (if inside the run) and
    round dates (1 January, else the first of a month) in between, spaced in proportion to the time between."""
    first, last = data.dates[0], data.dates[-1]
    anchors = [first]
    withdrawal = data.withdrawal_date()
    if first < withdrawal < last:
        anchors.append(withdrawal)
    anchors.append(last)
    spare = max(0, n - len(anchors))
    total = (last - first).days or 1
    lengths = [(b - a).days for a, b in zip(anchors, anchors[1:])]
    counts = [int(math.floor(spare * length / total)) for length in lengths]
    for i in sorted(range(len(lengths)), key=lambda i: -(spare * lengths[i] / total - counts[i])):
        if sum(counts) >= spare:
            break
        counts[i] += 1
    out = [first]
    for (a, b), k in zip(zip(anchors, anchors[1:]), counts):
        for j in range(1, k + 1):
            out.append(_round_date(a + dt.timedelta(days=(b - a).days * j / (k + 1)), a, b))
        out.append(b)
    return sorted(dict.fromkeys(out))


def _round_date(when: dt.date, lo: dt.date, hi: dt.date) -> dt.date:
    """The nearest 1 January if strictly between lo and hi and within 6 months, else the first of the month."""
    for year in (when.year, when.year + 1):
        jan = dt.date(year, 1, 1)
        if lo < jan < hi and abs((jan - when).days) <= 183:
            return jan
    month = dt.date(when.year, when.month, 1)
    return month if lo < month < hi else when


def select(data: RunData, dates=None) -> list[tuple[int, dt.date]]:
    """(snapshot index, requested date) of each date (default :func:`default_dates`), without repeated snapshots."""
    wanted = [parse_date(d) for d in dates] if dates else default_dates(data)
    seen: dict[int, dt.date] = {}
    for when in wanted:
        seen.setdefault(data.index_of(when), when)
    return sorted(seen.items())


# ----------------------------------------------------------------------------------------------- drawing
def display_field(values: np.ndarray, grid: Grid, max_columns: int = MAX_DISPLAY_COLUMNS
                  ) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The field to draw and its extent: block-averaged (ignoring NaN) when wider than ``max_columns``."""
    ny, nx = values.shape
    k = int(math.ceil(nx / max_columns))
    if k <= 1:
        return values, extent(grid)
    ny2, nx2 = ny // k * k, nx // k * k
    blocks = values[:ny2, :nx2].reshape(ny2 // k, k, nx2 // k, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks outside the countries
        coarse = np.nanmean(blocks, axis=(1, 3))
    t = grid.transform
    left, top = t.c, t.f
    return coarse, (left, left + t.a * nx2, top + t.e * ny2, top)


def draw_risk(ax, data: RunData, values: np.ndarray, countries, focus_labels: bool = False,
              vmax: float | None = None, **basemap):
    """The risk raster (colour scale 0 to ``vmax``, default the run's :attr:`RunData.risk_vmax`, shared by every
    panel) with the base map on top; returns the image artist."""
    field, ext = display_field(values, data.grid)
    image = ax.imshow(field, cmap=RISK_CMAP, vmin=0.0, vmax=vmax or data.risk_vmax, extent=ext,
                      interpolation="nearest", zorder=0)
    labels = tuple(c for c in FOCUS if c in data.grid.codes) if focus_labels else None
    draw_basemap(ax, data.grid, countries.loc[list(data.grid.codes)], label_codes=labels, **basemap)
    return image


def countries_for(data: RunData):
    from geo.shapes import load_countries

    return load_countries()


def add_footer(fig, data: RunData, extra: str = "") -> None:
    """The caveat (risk is an abstract index) above one line of provenance, at the bottom left."""
    fig.text(0.01, 0.003, f"{CAVEAT}\n" + data.footer() + (f" · {extra}" if extra else ""), linespacing=1.4,
             **FOOTER_STYLE)


def save(fig, data: RunData, out, formats, colour_maps: tuple[str, ...] = (RISK_CMAP,)) -> list[Path]:
    """save_figure with the run's provenance line in the file metadata and a palette PNG."""
    return save_figure(fig, out, formats, description=data.footer(), max_colours=PNG_COLOURS,
                       colour_maps=colour_maps)


def scenario_title(data: RunData) -> str:
    return f"scenario “{data.name}”" + (f": {data.description}" if data.description else "")


def plot_risk_map(run, date, out: str | os.PathLike, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """One risk map at ``date`` (the snapshot at or before it): raster, borders, names, capitals, colour bar."""
    apply_style()
    with opened(run) as data:
        index = data.index_of(date)
        countries = countries_for(data)
        fig, ax = plt.subplots(figsize=(9, 6.2))
        image = draw_risk(ax, data, data.snapshot(index), countries)
        shown = data.dates[index]
        ax.set_title(f"Insurgency risk on {shown.isoformat()}", loc="left", fontsize=12, fontweight="bold", pad=18)
        ax.text(0.0, 1.01, scenario_title(data), transform=ax.transAxes, fontsize=9, va="bottom")
        bar = fig.colorbar(image, ax=ax, orientation="horizontal", fraction=0.05, pad=0.03, aspect=40)
        bar.set_label(RISK_LABEL)
        add_footer(fig, data, f"cells {data.grid.cell_km:g} km, Albers equal-area; □ capitals")
        return save(fig, data, out, formats)


def plot_risk_maps(run, out: str | os.PathLike, dates=None, formats: tuple[str, ...] = ("png",),
                   ncols: int | None = None) -> list[Path]:
    """Small multiples: the risk map at each of ``dates`` (default :func:`default_dates`), one shared colour bar.

    Each panel shows the snapshot at or before its date, titled with the snapshot's date; reads one snapshot at a
    time. A single date gives a single large map (:func:`plot_risk_map`).
    """
    with opened(run) as data:
        chosen = select(data, dates)
        if len(chosen) == 1:
            return plot_risk_map(data, chosen[0][1], out, formats)
        apply_style()
        countries = countries_for(data)
        n = len(chosen)
        ncols = ncols or (2 if n <= 4 else 3)
        nrows = int(math.ceil(n / ncols))
        ny, nx = data.grid.shape
        panel_w = 4.6
        panel_h = panel_w * ny / nx + 0.3  # + the panel title
        top_in, bottom_in, left_in = 0.5, 1.35, 0.35  # suptitle; graticule labels, colour bar, footer; labels
        height = panel_h * nrows + top_in + bottom_in
        width = panel_w * ncols + left_in
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False)
        withdrawal = data.withdrawal_date()
        image = None
        for k, (ax, (index, wanted)) in enumerate(zip(axes.flat, chosen)):
            row, col = divmod(k, ncols)
            sides = (("left",) if col == 0 else ()) + (("bottom",) if row == nrows - 1 or k + ncols >= n else ())
            image = draw_risk(ax, data, data.snapshot(index), countries, focus_labels=True, capitals=False,
                              scale_bar=ax is axes.flat[0], graticule_labels=sides)
            shown = data.dates[index]
            note = " (withdrawal)" if wanted == withdrawal else ""
            ax.set_title(f"{shown.isoformat()}{note}", fontweight="bold", pad=3)
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        fig.suptitle(f"Insurgency risk, {scenario_title(data)}", fontsize=12, x=0.01, y=1 - 0.12 / height,
                     ha="left", va="top")
        fig.subplots_adjust(left=left_in / width, right=0.995, top=1 - top_in / height, bottom=bottom_in / height,
                            wspace=0.03, hspace=0.45 / panel_h)
        cax = fig.add_axes([0.3, 0.72 / height, 0.4, 0.13 / height])
        bar = fig.colorbar(image, cax=cax, orientation="horizontal")
        bar.set_label(RISK_LABEL, labelpad=2)
        add_footer(fig, data, f"each panel: the snapshot at or before its date; {data.grid.cell_km:g} km cells, "
                              "Albers equal-area")
        return save(fig, data, out, formats)
