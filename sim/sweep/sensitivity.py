"""Sensitivity indices of a sweep's metrics: Sobol' first-order and total indices, or Morris μ*, σ, with
confidence intervals (SALib), printed as a table and drawn as bars with error bars.

The design is read back from the sweep's ``sweep.json`` (SALib needs the problem and the sample order): the
metric of design point ``p`` is the mean over its successful replicates (runs ``p * R .. p * R + R - 1``).

- **Sobol'** (``--method sobol`` sweeps): ``SALib.analyze.sobol.analyze``; S1 and ST with bootstrap confidence
  intervals (half-widths at ``conf_level``).
- **Morris** (``--method morris`` sweeps): ``SALib.analyze.morris.analyze``; μ* (with its bootstrap confidence
  interval), σ and μ.

Missing values are handled explicitly, never passed to SALib:

- ``cross_days_<ISO>`` is NaN where the country never crossed during the run; such runs are *censored*: they count
  as the run length + 1 day (the earliest day the crossing could happen), and the number of censored runs is
  reported. (Sweeps made with ``--censor`` store that value already.)
- A design point with no successful run makes the estimators undefined: the analysis stops with the failed runs'
  errors (narrow the ranges, or rerun them with ``spillover sweep ... --retry-failed``).
- A metric that is constant over the design, or NaN for other reasons (a horizon outside some runs), is skipped
  with a note.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from geo.errors import SpilloverError
from sim.sweep import load_sweep

SOBOL_COLUMNS = ["S1", "S1_conf", "ST", "ST_conf"]
MORRIS_COLUMNS = ["mu_star", "mu_star_conf", "sigma", "mu"]


@dataclass(frozen=True)
class Sensitivity:
    """Indices of every analysed metric: ``table`` has one row per (metric, parameter)."""

    method: str
    table: pd.DataFrame
    notes: tuple[str, ...]
    spec: dict
    conf_level: float = 0.95

    @property
    def metrics(self) -> list[str]:
        return list(dict.fromkeys(self.table["metric"]))


def default_metrics(spec: dict) -> list[str]:
    """The numeric metric columns of a sweep (``crossed_*`` and ``cross_date_*`` excluded: ``cross_days_*`` carries
    them)."""
    fixed = {"run_id", "point", "replicate", "seed", "status", "error", "seconds", "days", "substeps"}
    params = {p["name"] for p in spec["params"]}
    return [c for c in spec["columns"]
            if c not in fixed | params and not c.startswith(("crossed_", "cross_date_"))]


def point_values(spec: dict, frame: pd.DataFrame, metric: str) -> tuple[np.ndarray, int]:
    """(Y per design point, number of censored runs): the mean of the successful replicates of each point."""
    if metric not in frame.columns:
        raise SpilloverError(f"--metric {metric!r} is not a column of the results; metrics: "
                             f"{', '.join(default_metrics(spec))}")
    ok = frame[frame["status"] == "ok"]
    values = ok[metric].astype("float64")
    censored = 0
    if metric.startswith("cross_days_"):
        missing = values.isna()
        censored = int(missing.sum())
        values = values.where(~missing, ok["days"].astype("float64") + 1)
    means = values.groupby(ok["point"]).mean()
    return means.reindex(range(int(spec["points"]))).to_numpy(dtype=float), censored


def _check_points(spec: dict, frame: pd.DataFrame) -> None:
    ok_points = set(frame.loc[frame["status"] == "ok", "point"].astype(int))
    missing = [p for p in range(int(spec["points"])) if p not in ok_points]
    if not missing:
        return
    stored = set(frame["point"].astype(int))
    not_run = [p for p in missing if p not in stored]
    if not_run:
        raise SpilloverError(f"{len(not_run)} of {spec['points']} design points have no stored run yet: resume the "
                             "sweep (run the same `spillover sweep` command again) before the analysis")
    failed = frame[(frame["status"] != "ok") & frame["point"].isin(missing)]
    examples = "; ".join(f"{r.run_id}: {r.error}" for r in failed.head(3).itertuples())
    raise SpilloverError(f"{len(missing)} of {spec['points']} design points have no successful run ({examples}); "
                         "the indices need every point: narrow the parameter ranges, or rerun the failed runs with "
                         "`spillover sweep ... --retry-failed`")


def analyze(spec: dict, frame: pd.DataFrame, metrics: Sequence[str] | None = None, conf_level: float = 0.95,
            num_resamples: int = 1000, seed: int = 0) -> Sensitivity:
    """Sobol' or Morris indices of ``metrics`` (default: :func:`default_metrics`) for a stored sweep."""
    method = spec["method"]
    if method not in ("sobol", "morris"):
        raise SpilloverError(f"sensitivity indices need a sweep made with --method sobol or --method morris; this "
                             f"one used {method!r}")
    if not 0 < conf_level < 1:
        raise SpilloverError(f"--conf {conf_level}: give a level in (0, 1), e.g. 0.95")
    _check_points(spec, frame)
    problem = {"num_vars": int(spec["problem"]["num_vars"]), "names": list(spec["problem"]["names"]),
               "bounds": [list(b) for b in spec["problem"]["bounds"]]}
    metrics = list(metrics) if metrics else default_metrics(spec)
    rows, notes = [], []
    for metric in metrics:
        y, censored = point_values(spec, frame, metric)
        if censored:
            notes.append(f"{metric}: {censored} run(s) never crossed; counted as run length + 1 day (censored)")
        if np.isnan(y).any():
            notes.append(f"{metric}: undefined for {int(np.isnan(y).sum())} design point(s) (horizon outside "
                         "the run?); skipped")
            continue
        if np.ptp(y) == 0:
            notes.append(f"{metric}: constant ({y[0]:g}) over the design; no sensitivity; skipped")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if method == "sobol":
                from SALib.analyze import sobol

                res = sobol.analyze(problem, y, calc_second_order=bool(spec["second_order"]),
                                    num_resamples=num_resamples, conf_level=conf_level, seed=seed)
                cols = SOBOL_COLUMNS
            else:
                from SALib.analyze import morris

                x = np.asarray(spec["design"], dtype=float).reshape(-1, problem["num_vars"])
                res = morris.analyze(problem, x, y, num_resamples=num_resamples, conf_level=conf_level,
                                     num_levels=int(spec["levels"]), seed=seed)
                cols = MORRIS_COLUMNS
        for i, name in enumerate(problem["names"]):
            rows.append({"metric": metric, "parameter": name, **{c: float(np.asarray(res[c])[i]) for c in cols}})
    columns = ["metric", "parameter"] + (SOBOL_COLUMNS if method == "sobol" else MORRIS_COLUMNS)
    return Sensitivity(method, pd.DataFrame(rows, columns=columns), tuple(notes), spec, conf_level)


def analyze_path(path: str | os.PathLike, metrics: Sequence[str] | None = None, **kwargs) -> Sensitivity:
    """:func:`analyze` of the sweep folder (or results.parquet) ``path``."""
    spec, frame = load_sweep(path)
    return analyze(spec, frame, metrics, **kwargs)


# ------------------------------------------------------------------------------------------------ output
def print_table(result: Sensitivity, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    spec = result.spec
    if result.method == "sobol":
        title = (f"Sobol' indices ({spec['n']} base samples, {spec['points']} points × {spec['replicates']} "
                 f"replicate(s)); ± = confidence half-width")
        heads = ["S1", "± S1", "ST", "± ST"]
        cols = SOBOL_COLUMNS
    else:
        title = (f"Morris elementary effects ({spec['n']} trajectories, {spec['levels']} levels, "
                 f"{spec['replicates']} replicate(s)); ± = confidence half-width of μ*")
        heads = ["μ*", "± μ*", "σ", "μ"]
        cols = MORRIS_COLUMNS
    table = Table(title=title, title_justify="left")
    table.add_column("metric", no_wrap=True)
    table.add_column("parameter", no_wrap=True)
    for h in heads:
        table.add_column(h, justify="right")
    previous = None
    for row in result.table.itertuples(index=False):
        if previous is not None and row.metric != previous:
            table.add_section()
        table.add_row(row.metric if row.metric != previous else "", row.parameter,
                      *(_num(getattr(row, c)) for c in cols))
        previous = row.metric
    console.print(table)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)


def _num(x: float) -> str:
    if not np.isfinite(x):
        return "nan"
    return f"{x:.3f}" if abs(x) < 1000 else f"{x:,.0f}"


def plot(result: Sensitivity, path: str | os.PathLike, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """One panel per metric: horizontal bars per parameter (S1 and ST, or μ* and σ) with confidence error bars."""
    import matplotlib.pyplot as plt

    from sim.plotting.style import apply_style, save_figure

    if result.table.empty:
        raise SpilloverError("nothing to plot: no metric has indices (see the notes)")
    apply_style()
    metrics = result.metrics
    names = list(dict.fromkeys(result.table["parameter"]))
    ncols = min(3, len(metrics))
    nrows = -(-len(metrics) // ncols)
    height = max(1.6, 0.35 * len(names) + 0.9)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols + 1.2, height * nrows), squeeze=False,
                             sharey=True)
    if result.method == "sobol":
        bars = [("S1", "S1_conf", "first order S1", "#1b4f9c"), ("ST", "ST_conf", "total ST", "#c0392b")]
        xlabel = "Sobol' index"
    else:
        bars = [("mu_star", "mu_star_conf", "μ* (mean |effect|)", "#1b4f9c"), ("sigma", None, "σ", "#c0392b")]
        xlabel = "elementary effect (metric units)"
    y = np.arange(len(names))
    h = 0.38
    for ax, metric in zip(axes.flat, metrics):
        sub = result.table[result.table["metric"] == metric].set_index("parameter").reindex(names)
        for j, (col, conf, label, colour) in enumerate(bars):
            err = sub[conf].to_numpy() if conf else None
            ax.barh(y + (j - 0.5) * h, sub[col].to_numpy(), height=h, xerr=err, color=colour, label=label,
                    error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#333333"})
        ax.axvline(0, color="#333333", lw=0.6)
        ax.set_title(metric, fontsize=8)
        ax.set_xlabel(xlabel)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    spec = result.spec
    subject = ("the Ishigami test function" if spec.get("model") == "ishigami"
               else f"scenario {spec['scenario']['scenario']['name']!r}")
    fig.suptitle(f"{'Sobol' if result.method == 'sobol' else 'Morris'} sensitivity of {subject} "
                 f"({spec['runs']} runs); error bars: {result.conf_level:.0%} confidence intervals", fontsize=9)
    fig.tight_layout()
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=2, frameon=False, bbox_to_anchor=(0.5, 0.0))
    return save_figure(fig, path, formats)
