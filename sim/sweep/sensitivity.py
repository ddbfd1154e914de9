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
import textwrap
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from geo.errors import SpilloverError
from sim.sweep.store import load_sweep

SOBOL_COLUMNS = ["S1", "S1_conf", "ST", "ST_conf"]
#: Most bootstrap resamples accepted (the analysis time grows linearly with them).
MAX_RESAMPLES = 100_000
MORRIS_COLUMNS = ["mu_star", "mu_star_conf", "sigma", "mu"]


@dataclass(frozen=True)
class Sensitivity:
    """Indices of every analysed metric: ``table`` has one row per (metric, parameter)."""

    method: str
    table: pd.DataFrame
    notes: tuple[str, ...]
    spec: dict
    conf_level: float = 0.95
    runs: dict = field(default_factory=dict)  # metric -> successful runs the indices use
    censored: dict = field(default_factory=dict)  # metric -> runs counted as censored (never crossed)

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
        flag = "crossed_" + metric[len("cross_days_"):]
        never = ~ok[flag].astype("boolean").fillna(False) if flag in ok.columns else missing  # --censor stores them
        censored = int(never.sum())
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
    if not 1 <= num_resamples <= MAX_RESAMPLES:
        raise SpilloverError(f"--resamples {num_resamples}: give a number of bootstrap resamples in "
                             f"[1, {MAX_RESAMPLES:,}], e.g. 1000")
    _check_points(spec, frame)
    problem = {"num_vars": int(spec["problem"]["num_vars"]), "names": list(spec["problem"]["names"]),
               "bounds": [list(b) for b in spec["problem"]["bounds"]]}
    metrics = list(metrics) if metrics else default_metrics(spec)
    rows, notes = [], []
    used, censoring = {}, {}
    ok_runs = int((frame["status"] == "ok").sum())
    for metric in metrics:
        y, censored = point_values(spec, frame, metric)
        used[metric], censoring[metric] = ok_runs, censored
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
    return Sensitivity(method, pd.DataFrame(rows, columns=columns), tuple(notes), spec, conf_level, used, censoring)


def analyze_path(path: str | os.PathLike, metrics: Sequence[str] | None = None, **kwargs) -> Sensitivity:
    """:func:`analyze` of the sweep folder (or results.parquet) ``path``."""
    spec, frame = load_sweep(path)
    return analyze(spec, frame, metrics, **kwargs)


# ------------------------------------------------------------------------------------------------ output
def describe_metric(metric: str, spec: dict) -> str:
    """A metric column in words, e.g. ``cross_days_BFA`` → "days until 10% of Burkina Faso has risk ≥ 0.5".

    Examples
    --------
    >>> spec = {"scenario": {"output": {"threshold": 0.5, "crossing_area_fraction": 0.1},
    ...                      "scenario": {"end": "2026-01-01"}}, "model": "spillover"}
    >>> describe_metric("mean_risk_NER_2025-01-01", spec)
    'mean risk in Niger on 2025-01-01'
    """
    if spec.get("model") == "ishigami" and metric == "y":
        return "Ishigami function y"
    output = (spec.get("scenario") or {}).get("output", {})
    threshold, fraction = output.get("threshold", 0.5), output.get("crossing_area_fraction", 0.1)
    end = (spec.get("scenario") or {}).get("scenario", {}).get("end", "")
    for prefix, words in (("cross_days_", None), ("mean_risk_", "mean risk in {c}"),
                          ("area_at_risk_km2_", "area of {c} at risk ≥ {t:g} (km²)")):
        if not metric.startswith(prefix):
            continue
        rest = metric[len(prefix):]
        code, _, horizon = rest.partition("_")
        country = _country_name(code)
        if words is None:
            return f"days until {fraction:.0%} of {country} has risk ≥ {threshold:g}"
        when = f"at the end ({end})" if horizon == "end" else f"on {horizon}"
        return f"{words.format(c=country, t=threshold)} {when}"
    return metric


def _country_name(code: str) -> str:
    try:
        from geo.shapes import load_country_names

        names = load_country_names()
        row = names[names["ADM0_A3"] == code]
        return str(row["NAME"].iloc[0]) if len(row) else code
    except Exception:  # names are a nicety: the code will do
        return code


def table_title(result: Sensitivity) -> str:
    """What the indices table shows, with the design size."""
    spec = result.spec
    if result.method == "sobol":
        return (f"Sobol' indices ({spec['n']} base samples, {spec['points']} points × {spec['replicates']} "
                f"replicate(s)); *_conf = {result.conf_level:.0%} confidence half-width")
    return (f"Morris elementary effects ({spec['n']} trajectories, {spec['levels']} levels, {spec['replicates']} "
            f"replicate(s)); mu_star_conf = {result.conf_level:.0%} confidence half-width of mu_star")


def indices_frame(result: Sensitivity) -> pd.DataFrame:
    """The indices with each metric in words, its runs and censored runs: what ``indices.csv`` holds."""
    frame = result.table.copy()
    frame.insert(1, "description", [describe_metric(m, result.spec) for m in frame["metric"]])
    frame["runs"] = [result.runs.get(m) for m in frame["metric"]]
    frame["censored_runs"] = [result.censored.get(m, 0) for m in frame["metric"]]
    frame["conf_level"] = result.conf_level
    return frame


def _panel_title(result: Sensitivity, metric: str) -> str:
    words = describe_metric(metric, result.spec)
    n = result.runs.get(metric)
    line = f"N = {n:,} runs" if n is not None else ""
    censored = result.censored.get(metric, 0)
    if censored:
        line += f"; {censored:,} never crossed (censored at run length + 1 day)"
    return textwrap.fill(words.replace("≥ ", "≥\u00a0"), 52) + ("\n" + line if line else "")


def plot(result: Sensitivity, path: str | os.PathLike, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """One panel per metric: horizontal bars per parameter (S1 and ST, or μ* and σ) with confidence error bars;
    each panel titled with the metric in words, the number of runs and how many were censored."""
    import matplotlib.pyplot as plt

    from sim.plotting.style import apply_style, save_figure

    if result.table.empty:
        raise SpilloverError("nothing to plot: no metric has indices (see the notes)")
    apply_style()
    metrics = result.metrics
    names = list(dict.fromkeys(result.table["parameter"]))
    ncols = min(3, len(metrics))
    nrows = -(-len(metrics) // ncols)
    height = max(1.9, 0.35 * len(names) + 1.3)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.9 * ncols + 1.6, height * nrows + 0.6), squeeze=False,
                             sharey=True)
    if result.method == "sobol":
        bars = [("S1", "S1_conf", "first order S1 (the parameter alone)", "#1b4f9c"),
                ("ST", "ST_conf", "total ST (with its interactions)", "#c0392b")]
        xlabel = "Sobol' index (share of the metric's variance)"
    else:
        bars = [("mu_star", "mu_star_conf", "μ* (mean |elementary effect|)", "#1b4f9c"),
                ("sigma", None, "σ (spread of the effects)", "#c0392b")]
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
        ax.set_title(_panel_title(result, metric), fontsize=8, loc="left")
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_yticks(y, names)
        ax.set_ylim(len(names) - 0.5, -0.5)  # first parameter on top (the axis is shared: never invert twice)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    spec = result.spec
    subject = ("the Ishigami test function" if spec.get("model") == "ishigami"
               else f"scenario {spec['scenario']['scenario']['name']!r}")
    design = (f"{spec['n']} base samples" if result.method == "sobol"
              else f"{spec['n']} trajectories on {spec['levels']} levels")
    name = "Sobol'" if result.method == "sobol" else "Morris"
    fig.suptitle(f"{name} sensitivity of {subject}: "
                 f"{spec['runs']:,} runs ({design}, {spec['replicates']} replicate(s) per point); "
                 f"error bars: {result.conf_level:.0%} confidence intervals", fontsize=9)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False, fontsize=8)
    return save_figure(fig, path, formats)
