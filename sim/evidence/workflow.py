"""The calibrate → forecast → evaluate chain on files: what ``spillover calibrate|forecast|evaluate`` call.

- :func:`calibrate_files`: design runs (:mod:`sim.evidence.calibrate`) on the training years, then
  ``DIR/fit.json`` (estimates ± sd, draws, likelihood, temperature, runs used, grid, data file sha256),
  ``DIR/calibrated.toml`` (``extends`` the input with the posterior means of the dynamic keys) and
  ``DIR/fit_countries.png`` (observed yearly deaths per country against the fitted expectation, 5-95% band).
- :func:`forecast_files`: the design of a fit rerun to the last year, :func:`sim.evidence.forecast.forecast_members`
  at admin-1 and country level, ``DIR/predictions.csv`` and ``DIR/fan_countries.png``.
- :func:`evaluate_files`: rolling origins 2016, 2017, 2018 to 2019, the model beside the baselines
  (:func:`sim.evidence.baselines.baseline_skill`), ``DIR/skill.csv`` and ``DIR/skill.md``.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from geo.atomic import atomic_path, write_text_atomic
from geo.errors import SpilloverError
from sim.evidence import calibrate as cal
from sim.evidence import forecast as fcm

FOCUS = ("MLI", "BFA", "NER")


def _read(ged: Path, years=None):
    from geo.admin1 import load_admin1
    from sim.evidence.aggregate import aggregate
    from sim.evidence.observed import read_ged

    events = read_ged(ged)
    admin1 = load_admin1()
    first, last = int(events.events["year"].min()), int(events.events["year"].max())
    counts = {"admin1": aggregate(events, by="admin1", period="year", years=(first, last), admin1=admin1),
              "country": aggregate(events, by="country", period="year", years=(first, last))}
    names = dict(zip(admin1["adm1_code"], admin1["name"])) if "name" in admin1 else {}
    return events, counts, names, dict(zip(admin1["adm1_code"], admin1["adm0_a3"]))


#: The manifests: a calibration folder is marked by its fit.json (with ``tool``, ``kind`` and ``outputs``), a forecast
#: folder by forecast.json; both are opened through :func:`sim.outdir.output_folder` (a lock, never a user's files,
#: ``--force`` only for a previous output of the same command, partial outputs removed). A calibration's ``runs/``
#: is a marked cache (:func:`sim.outdir.mark_cache`) kept across ``--force`` and reused by forecast and evaluate.
FIT_MANIFEST, FORECAST_MANIFEST = "fit.json", "forecast.json"


def _calibration_folder(out: Path, force: bool, mode: str = "replace", flag: str = "--out"):
    from sim.outdir import output_folder

    return output_folder(out, manifest=FIT_MANIFEST, kind="calibration", mode=mode, force=force, flag=flag,
                         caches=("runs",))


def _executor(workers: int, scheduler: str | None):
    from sim.sweep.execute import executor_for

    return executor_for(workers, scheduler) if (workers or scheduler) else None


def design_runs(scenario, box: dict, points: int, years, cell_km: float, out: Path, workers=0, scheduler=None,
                seed: int = 0, progress: bool = True, pts=None):
    from sim.progress import Progress

    pts = cal.design(box, points, seed) if pts is None else np.asarray(pts, float)
    ex = _executor(workers, scheduler)
    try:
        if ex is not None and hasattr(ex, "__enter__"):
            ex.__enter__()
        with Progress(len(pts), "calibration runs", "runs", enabled=progress) as bar:
            return cal.run_design(scenario, list(box), pts, years, cell_km, executor=ex, store=out,
                                  on_batch=bar.advance)
    finally:
        if ex is not None and hasattr(ex, "__exit__"):
            ex.__exit__(None, None, None)


def calibrate_files(scenario_path: Path, ged: Path, train: tuple[int, int], box: dict, out: Path, points: int = 64,
                    cell_km: float = 25.0, ess: float = cal.DEFAULT_ESS, workers: int = 0,
                    scheduler: str | None = None, seed: int = 0, force: bool = False, command: str = "",
                    progress: bool = True) -> dict:
    """Fit ``box``'s keys (and α, φ, u_0) to ``ged``'s admin-1 yearly deaths of ``train``; write ``out``."""
    from sim import Scenario
    from sim.evidence.observed import file_sha256

    out = Path(out)
    scenario = Scenario.load(scenario_path)
    years = tuple(range(train[0], train[1] + 1))
    check_runs(scenario, points, "--points")
    with _calibration_folder(out, force) as folder:
        events, counts, names, country_of = _read(ged)
        runs = design_runs(scenario, box, points, years, cell_km, out, workers, scheduler, seed, progress)
        lv = fcm.align(runs, counts["admin1"], "admin1")
        prof = cal.fit_points(lv.y, lv.exposure, lv.people, lv.ok, years, years)
        post = cal.posterior(runs, prof, ess=ess, seed=seed)
        fit = {
            "method": "Sobol design, runs through sim.sweep.run_ensemble, alpha/phi/u0 profiled per point on "
                      "admin-1 yearly deaths (gamma = beta = 1), tempered importance posterior "
                      "(sim/evidence/calibrate.py)",
            "command": command, "scenario": str(Path(scenario_path).resolve()), "observed": str(ged),
            "observed_sha256": file_sha256(Path(ged)),
            "train": list(train), "cell_km": cell_km, "points": points, "runs_ok": int(runs.ok.sum()),
            "runs_seconds": runs.seconds, "box": {k: list(v) for k, v in box.items()}, "seed": seed,
            "temperature": post["temperature"], "ess": post["ess"], "estimates": post["estimates"],
            "best": post["best"],
            "loglik": {"max": float(np.nanmax(prof["loglik"])), "per_point": [float(v) for v in prof["loglik"]]},
            "design": {"keys": list(runs.keys), "points": runs.points.tolist()},
            "draws": post["draws"], "written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }
        rel = os.path.relpath(Path(scenario_path).resolve(), out.resolve())
        lines = [f"# Calibrated by: {command}" if command else "# Calibrated (sim.evidence.workflow.calibrate_files)",
                 f"# {cell_km:g} km grid, train {train[0]}-{train[1]}, {points} design points, posterior mean ± sd:",
                 f"extends = {json.dumps(rel)}", ""]
        sections: dict[str, list[str]] = {}
        for k in runs.keys:
            e = post["estimates"][k]
            section, key = k.rsplit(".", 1)
            sections.setdefault(section, []).append(f"{key} = {e['mean']:.6g}  # sd {e['sd']:.3g}")
        for section, items in sections.items():
            lines += [f"[{section}]", *items, ""]
        toml_path = folder.file("calibrated.toml")
        toml_path.write_text("\n".join(lines), encoding="utf-8")
        Scenario.load(toml_path)  # it must load
        _fit_figure(lv, prof, post, runs, folder.file("fit_countries.png"), country_of)
        folder.commit(fit)  # fit.json, last: the manifest of the calibration folder
    return fit


def check_runs(scenario, runs: int, option: str) -> None:
    """Refuse more model runs than the scenario's ``numerics.max_runs``, naming the option and the key."""
    limit = scenario.numerics.max_runs
    if runs > limit:
        raise SpilloverError(f"{option} {runs:,}: more model runs than numerics.max_runs = {limit:,}; give fewer, or "
                             "raise numerics.max_runs in the scenario")


def _fit_figure(lv, prof, post, runs, path: Path, country_of: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    countries = [c for c in dict.fromkeys(country_of.get(u) for u in lv.units) if c]
    mus = np.array([fcm._mu(lv, prof, m) for m in post["draw_index"]])  # (draws, units, years)
    fig, axes = plt.subplots(1, len(countries), figsize=(3.2 * len(countries), 3.0), squeeze=False)
    for ax, c in zip(axes[0], countries):
        sel = np.array([country_of.get(u) == c for u in lv.units])
        tot = mus[:, sel].sum(axis=1)
        ax.fill_between(lv.years, *np.quantile(tot, [0.05, 0.95], axis=0), alpha=0.3,
                        label="expected, 5-95% of draws")
        ax.plot(lv.years, np.median(tot, axis=0), label="expected, median draw")
        ax.plot(lv.years, np.nansum(lv.y[sel], axis=0), "ko", ms=3, label="GED observed")
        ax.set_title(c)
        ax.set_xlabel("year")
    axes[0][0].set_ylabel("deaths per year (admin-1 sum)")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _fit_design(fit_path: Path) -> dict:
    """The fit.json of ``spillover calibrate`` at ``fit_path``, checked as far as forecast and evaluate use it."""
    path = Path(fit_path)
    if path.is_dir():
        raise SpilloverError(f"{fit_path} is a folder; give the fit.json of `spillover calibrate` in it")
    try:
        fit = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpilloverError(f"{fit_path}: no such fit; run `spillover calibrate` first") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpilloverError(f"{fit_path}: not a fit.json of `spillover calibrate` (not JSON: {exc})") from None
    problem = _fit_problem(fit)
    if problem:
        raise SpilloverError(f"{fit_path}: not a fit.json of `spillover calibrate` ({problem}); run "
                             "`spillover calibrate` again")
    return fit


def _fit_problem(fit) -> str:
    """What makes ``fit`` unusable, or ''."""
    def number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)

    if not isinstance(fit, dict):
        return "not a JSON object"
    design, box, train = fit.get("design"), fit.get("box"), fit.get("train")
    if not isinstance(design, dict) or not isinstance(design.get("keys"), list) or not design["keys"]:
        return "no design keys"
    keys, points = design["keys"], design.get("points")
    if not all(isinstance(k, str) for k in keys):
        return "design keys are not names"
    if not isinstance(points, list) or len(points) < 2 or not all(
            isinstance(p, list) and len(p) == len(keys) and all(number(v) for v in p) for p in points):
        return f"design points are not lists of {len(keys)} numbers"
    if not isinstance(box, dict) or not all(isinstance(box.get(k), list) and len(box[k]) == 2
                                            and all(number(v) for v in box[k]) for k in keys):
        return "box does not give LOW, HIGH for every design key"
    if not (isinstance(train, list) and len(train) == 2 and all(isinstance(y, int) and not isinstance(y, bool)
                                                                 for y in train)):
        return "train is not [FIRST, LAST]"
    if not number(fit.get("cell_km")) or not 0 < fit["cell_km"] <= 1000:
        return "cell_km is not a number in (0, 1000]"
    if not isinstance(fit.get("scenario", ""), str):
        return "scenario is not a path"
    return ""


def _runs_for(fit: dict, scenario_path: Path, first: int, last: int, out: Path, workers, scheduler, progress):
    from sim import Scenario

    keys = fit["design"]["keys"]
    box = {k: tuple(fit["box"][k]) for k in keys}
    return design_runs(Scenario.load(scenario_path), box, len(fit["design"]["points"]), range(first, last + 1),
                       fit["cell_km"], out, workers, scheduler, progress=progress, pts=fit["design"]["points"])


def forecast_files(scenario_path: Path, ged: Path, fit_path: Path, origin: int, until: int, out: Path,
                   members: int = fcm.DEFAULT_MEMBERS, workers: int = 0, scheduler: str | None = None,
                   seed: int = 0, force: bool = False, progress: bool = True,
                   against: Path | None = None) -> pd.DataFrame:
    """Forecast every unit of the record from ``origin`` to ``until``; write predictions.csv, the fan chart and the
    admin-1 maps of the origin year (median deaths, P(≥ 25 deaths)). With ``against`` (another scenario), the same
    members are also drawn under its timeline: ``comparison.csv`` (:mod:`sim.evidence.comparison`) and both fans
    on the chart."""
    from sim.evidence.comparison import COLUMNS, comparison_rows

    out = Path(out)
    fit = _fit_design(fit_path)
    first = int(fit["train"][0])
    if not first < origin <= until:
        raise SpilloverError(f"--origin {origin}: must be after the fit's first year {first} and ≤ --until {until}")
    check_members(members)
    labels = tuple(_scenario_name(p) for p in (scenario_path, against) if p is not None)  # bad TOML: before any work
    from sim.outdir import output_folder

    names_of = ("predictions.csv", "fan_countries.png", f"admin1_{origin}.png") + (
        ("comparison.csv",) if against is not None else ())
    with output_folder(out, manifest=FORECAST_MANIFEST, kind="forecast", force=force) as folder:
        paths = [folder.file(n) for n in names_of]
        events, counts, names, country_of = _read(ged)
        record_last = int(counts["country"].array()["period"].max())
        if origin > record_last + 1:
            raise SpilloverError(f"--origin {origin}: the record ends in {record_last}; the origin can be at most "
                                 f"{record_last + 1} (the year before it must be observed)")
        # the runs are cached beside the fit (same design and years: no rerun)
        runs = _runs_for(fit, scenario_path, first, until, Path(fit_path).parent, workers, scheduler, progress)
        other = (_runs_for(fit, against, first, until, Path(fit_path).parent, workers, scheduler, progress)
                 if against is not None else None)
        country_names = _country_names()
        rows, compared, fans = [], [], {}
        for level in ("country", "admin1"):
            lv = fcm.align(runs, counts[level], level)
            lv_b = fcm.align(other, counts[level], level) if other is not None else None
            fc = fcm.forecast_members(lv, runs.keys, runs.points, origin, until, members=members, seed=seed,
                                      against=lv_b)
            level_names = names if level == "admin1" else country_names
            rows += fcm.summary_rows(lv, fc, level_names)
            if lv_b is not None:
                compared += comparison_rows(lv, fc, level_names)
            if level == "country":
                fans = {"lv": lv, "fc": fc}
        table = pd.DataFrame(rows)
        table.to_csv(paths[0], index=False)
        if against is not None:
            pd.DataFrame(compared, columns=list(COLUMNS)).to_csv(paths[3], index=False)
        footer = (f"fit {Path(fit_path)} ({fit.get('cell_km', '?'):g} km design, trained {fit['train'][0]}-"
                  f"{fit['train'][1]}, re-weighted on the years before {origin}) · {members} members, seed {seed}"
                  + (" · both scenarios drawn with the same members and random streams" if against else "")
                  + f" · UCDP GED {Path(events.source).name} (sha256 {events.sha256[:12]}; CC BY 4.0)")
        _fan_chart(fans["lv"], fans["fc"], paths[1], origin, country_names, labels, footer)
        _forecast_maps(table, origin, paths[2], events, fit)
        folder.commit({"scenario": str(scenario_path), "against": str(against) if against else None,
                       "fit": str(fit_path), "observed": str(ged),
                       "observed_sha256": events.sha256, "origin": origin, "until": until, "members": members,
                       "seed": seed, "written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    return table


def _country_names() -> dict:
    from sim.geocache import country_names

    return country_names()


def _scenario_name(path: Path) -> str:
    from sim import Scenario

    return Scenario.load(path).scenario.name


#: Most forecast members (draws) per unit and year: the draws are held in memory as (members, units, years).
MAX_MEMBERS = 100_000


def check_members(members: int) -> None:
    if not 10 <= members <= MAX_MEMBERS:
        raise SpilloverError(f"--members {members:,}: give 10 to {MAX_MEMBERS:,} (at least 10 for the 5-95% "
                             "quantiles; the draws are held in memory)")


def _forecast_maps(table: pd.DataFrame, year: int, path: Path, events, fit: dict) -> None:
    from geo.admin1 import load_admin1
    from geo.shapes import load_countries
    from sim.plotting.forecast_maps import plot_forecast_maps

    countries = load_countries()
    footer = (f"forecast made on 1 January {year}: the fit's design ({fit.get('cell_km', '?'):g} km) re-weighted on "
              f"{fit['train'][0]}-{year - 1} · UCDP GED {Path(events.source).name} (sha256 "
              f"{events.sha256[:12]}; CC BY 4.0) · Natural Earth admin-1")
    plot_forecast_maps(table, year, load_admin1(), countries, path, footer)


def _fan_chart(lv, fc, path: Path, origin: int, names: dict | None = None, labels=("forecast",),
               footer: str = "") -> None:
    from sim.plotting.forecast_fan import plot_fan_chart

    plot_fan_chart(lv, fc, path, origin, names, labels, footer)


def evaluate_files(folder: Path, ged: Path, scenario_path: Path | None = None, origins=(2016, 2017, 2018),
                   last: int = 2019, members: int = fcm.DEFAULT_MEMBERS, workers: int = 0,
                   scheduler: str | None = None, progress: bool = True) -> pd.DataFrame:
    """Rolling-origin skill of the fit in ``folder`` beside the baselines; writes skill.csv and skill.md."""
    from sim.evidence.baselines import baseline_skill

    folder = Path(folder)
    fit = _fit_design(folder / FIT_MANIFEST)
    check_members(members)
    scenario_path = scenario_path or fit.get("scenario")
    if not scenario_path:
        raise SpilloverError(f"{folder / FIT_MANIFEST} names no scenario; run `spillover calibrate` again")
    scenario_path = Path(scenario_path)
    # skill.csv and skill.md join the calibration's outputs (a rerun replaces them; a user's file is never touched)
    with _calibration_folder(folder, force=True, mode="add", flag="DIR") as out:
        skill_csv, skill_md = out.file("skill.csv"), out.file("skill.md")  # a user's file is refused before any run
        events, counts, names, country_of = _read(ged)
        runs = _runs_for(fit, scenario_path, int(fit["train"][0]), last, folder, workers, scheduler, progress)
        frames = []
        for level in ("country", "admin1"):
            lv = fcm.align(runs, counts[level], level)

            def predict(origin, last_year, lv=lv, assimilate=True, spread="nb"):
                return fcm.forecast_members(lv, runs.keys, runs.points, origin, last_year, members=members,
                                            assimilate=assimilate, spread=spread)["members"]

            focus = tuple(u for u in lv.units if (u if level == "country" else country_of.get(u)) in FOCUS)
            t = baseline_skill(counts[level], origins=tuple(origins), last=last, groups={"MLI+BFA+NER": focus},
                               predictions={"model (calibrated)": predict,
                                            "model (calibrated, mixed spread)":
                                                lambda o, l, lv=lv: predict(o, l, lv, True, "mixed"),
                                            "model (no assimilation)": lambda o, l, lv=lv: predict(o, l, lv, False)})
            frames.append(t)
        table = pd.concat(frames, ignore_index=True)
        with atomic_path(skill_csv) as tmp:  # atomic: a previous skill.csv is never left half replaced
            table.to_csv(tmp, index=False)
        write_text_atomic(skill_md, skill_markdown(table))
        out.commit({k: v for k, v in (out.previous or {}).items() if k not in ("tool", "kind", "outputs")})
    return table


def skill_markdown(table: pd.DataFrame) -> str:
    lines = []
    for (level, group), part in table.groupby(["level", "group"], sort=False):
        lines += [f"### {level}, {group}", "", "| forecaster | unit-years | log-MAE | CRPS | Brier ≥25 | coverage 90% | RMSLE |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for r in part.itertuples(index=False):
            lines.append(f"| {r.forecaster} | {r.n} | {r.log_mae:.3f} | {r.crps:.1f} | {r.brier_25:.3f} | "
                         f"{r.coverage_90:.2f} | {r.rmsle:.3f} |")
        lines.append("")
    return "\n".join(lines)
