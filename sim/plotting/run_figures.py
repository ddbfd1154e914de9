"""The default figure set of a run folder, and of a comparison of two runs.

:func:`run_figures` writes, into ``out_dir``:

- ``risk_maps.png``: risk maps at 4–6 dates (start, withdrawal, end and round dates between) as small multiples
  (one date asked for: a single large map), plus ``risk_map_YYYY-MM-DD.png``, a single large map, for each of
  several dates asked for explicitly;
- ``country_series.png``: mean risk and area at risk per country, with the contingents' deployments and
  departures;
- ``admin1_risk.png``: the mean risk of every admin-1 unit at the same dates as the risk maps (default: 4 dates),
  a choropleth (:mod:`sim.plotting.choropleth`; skipped for a run without ``admin1.csv``);
- ``risk_animation.gif`` (or ``.mp4``): risk spreading, one frame per k-th snapshot, the date on every frame;
- ``documents.png``: the attribute map and deployment timeline of the document layer, when
  :mod:`sim.plotting.documents` and :mod:`geo.documents.attributes` are installed and the run's documents are found.

:func:`compare_runs` writes ``compare_A_B.png`` (the difference map), ``crossings_A_B.png`` (the crossing-date
table) and ``crossings_compare.csv``.

PNG always; SVG and PDF on request (``formats``) for the static figures.

The figure folder is guarded by :func:`sim.outdir.output_folder` (``mode="add"``, manifest ``figures.json``):
several commands may add figures to one folder, a file this tool did not write is never overwritten, a previous
figure is replaced only with ``force=True``, and a folder of other files is refused.
"""
from __future__ import annotations

import hashlib
import math
import os
import time
from pathlib import Path

from geo.errors import SpilloverError
from sim.plotting.maps import opened, plot_risk_map, plot_risk_maps, select

#: Most frames of the default animation (every k-th snapshot so that the GIF stays small).
MAX_FRAMES = 62
#: The manifest of a figure folder.
FIGURES_MANIFEST = "figures.json"


def figure_folder(out_dir, force: bool = False):
    """``with figure_folder(out) as folder``: the guarded figure folder (see the module docstring)."""
    from sim.outdir import output_folder

    return output_folder(out_dir, manifest=FIGURES_MANIFEST, kind="figures", mode="add", force=force)


def _claim(folder, path: Path, formats=("png",)) -> Path:
    """Journal every file a figure saved at ``path`` will write (PNG first, then the other formats)."""
    for fmt in dict.fromkeys(("png",) + tuple(formats)):
        folder.file(Path(path).with_suffix(f".{fmt}").name)
    return folder.path / Path(path).name


def default_every(n_snapshots: int, max_frames: int = MAX_FRAMES) -> int:
    return max(1, math.ceil(n_snapshots / max_frames))


def run_figures(run_dir: str | os.PathLike, out_dir: str | os.PathLike, formats: tuple[str, ...] = ("png",),
                dates=None, animation: str | None = "gif", every: int | None = None, log=None,
                force: bool = False) -> list[Path]:
    """Write the default figure set of ``run_dir`` into ``out_dir``; return the written paths.

    ``dates`` (ISO dates) replace the default dates of the small multiples and add one single map per date;
    ``animation`` is ``"gif"``, ``"mp4"`` (falls back to GIF without ffmpeg) or None; ``every`` takes every k-th
    snapshot for the animation (default: at most :data:`MAX_FRAMES` frames). ``log`` gets one line per figure;
    ``force`` replaces figures this tool wrote before into ``out_dir``.

    Examples
    --------
    >>> run_figures("runs/withdrawal", "figures/withdrawal", formats=("png", "pdf"))  # doctest: +SKIP
    [PosixPath('figures/withdrawal/risk_maps.png'), ...]
    """
    from sim.plotting.animate import animate_risk
    from sim.plotting.choropleth import plot_admin1_choropleth
    from sim.plotting.series import plot_country_series

    say = log or (lambda message: None)
    written: list[Path] = []
    with opened(run_dir) as data, figure_folder(out_dir, force) as folder:
        out = folder.path
        if dates:
            select(data, dates)  # check every date before drawing anything

        def timed(label, make):
            t0 = time.perf_counter()
            paths = make()
            if paths:
                say(f"{label}: {', '.join(str(p) for p in paths)} ({time.perf_counter() - t0:.1f} s)")
            written.extend(paths)

        timed("risk maps", lambda: plot_risk_maps(data, _claim(folder, out / "risk_maps.png", formats), dates,
                                                  formats))
        for when in dates if dates and len(dates) > 1 else ():
            index = data.index_of(when)
            target = _claim(folder, out / f"risk_map_{data.dates[index]}.png", formats)
            timed("risk map", lambda: plot_risk_map(data, when, target, formats))
        timed("country series", lambda: plot_country_series(data, _claim(folder, out / "country_series.png", formats),
                                                            formats))
        timed("admin-1 choropleth", lambda: plot_admin1_choropleth(
            data, _claim(folder, out / "admin1_risk.png", formats), dates, formats))
        if animation:
            k = every or default_every(len(data.dates))
            for suffix in dict.fromkeys((animation, "gif")):  # MP4 falls back to GIF without ffmpeg
                folder.file(f"risk_animation.{suffix}")
            timed("animation (every snapshot)" if k == 1 else f"animation (one frame per {k} snapshots)",
                  lambda: [animate_risk(data, out / "risk_animation", every=k, fmt=animation, log=say)[0]])
        timed("documents", lambda: documents_figure(data, out, formats, log=say, folder=folder))
        folder.commit({"figures_of": [str(data.path)]})
    return written


def documents_figure(data, out_dir: Path, formats: tuple[str, ...] = ("png",), log=None, folder=None) -> list[Path]:
    """``documents.png`` from the document layer, if it is installed and the run's documents are found; else []."""
    say = log or (lambda message: None)
    try:
        from geo.documents.attributes import facts_from_seeds
        from sim.plotting.documents import plot_documents
    except ImportError:
        say("documents figure skipped: the document layer (geo.documents.attributes, sim.plotting.documents) is not installed")
        return []
    documents = data.manifest.get("scenario", {}).get("documents", {})
    seeds = _find(data, documents.get("seeds", ""))
    if seeds is None:
        say("documents figure skipped: this run read no documents, or they are not found from here")
        return []
    overrides = _find(data, documents.get("overrides", "")) if documents.get("overrides") else None
    from geo.shapes import load_countries

    published = documents.get("published") or None
    facts = facts_from_seeds(seeds, overrides=overrides, published=published)
    if not facts:
        say(f"documents figure skipped: the documents in {seeds} give no facts")
        return []
    target = Path(out_dir) / "documents.png"
    if folder is not None:
        _claim(folder, target, formats)
    result = plot_documents(facts, load_countries(), target, formats)
    paths = [Path(p) for p in result] if isinstance(result, (list, tuple)) else [target]
    return [p for p in paths if p.exists()]


def _find(data, value: str) -> Path | None:
    """A path from the run's scenario: it was relative to the scenario file, which the run folder does not record,
    so try the run folder, ``scenarios/`` and the working folder; prefer the one whose files match the run's
    recorded document fingerprints."""
    if not value:
        return None
    path = Path(value)
    candidates = [path] if path.is_absolute() else [data.path / path, Path("scenarios") / path, path,
                                                    data.path.parent / path]
    existing = [c.resolve() for c in candidates if c.exists()]
    recorded = {d.get("sha256") for d in data.manifest.get("data", {}).get("documents", []) if isinstance(d, dict)}
    for candidate in existing:
        files = sorted(p for p in candidate.rglob("*") if p.is_file()) if candidate.is_dir() else [candidate]
        if recorded and any(hashlib.sha256(p.read_bytes()).hexdigest() in recorded for p in files):
            return candidate
    return existing[0] if existing else None


def compare_runs(run_a: str | os.PathLike, run_b: str | os.PathLike, out_dir: str | os.PathLike,
                 formats: tuple[str, ...] = ("png",), date=None, name: str | None = None, log=None,
                 force: bool = False) -> list[Path]:
    """Write the comparison of two runs (B against A) into ``out_dir``; return the written paths.

    ``compare_NAME.png``: risk in A and B and the difference map B − A at ``date`` (default: the last date both
    reach); ``crossings_NAME.png`` and ``crossings_compare.csv``: each country's first crossing in A and B.
    ``name`` defaults to ``A_B`` (the scenario names); ``force`` replaces figures this tool wrote before.

    Examples
    --------
    >>> compare_runs("runs/stay", "runs/withdrawal", "figures/compare")  # doctest: +SKIP
    [PosixPath('figures/compare/compare_stay_withdrawal.png'), ...]
    """
    from sim.plotting.compare import CROSSINGS_COMPARE_FILE, plot_crossing_table, plot_difference_map, \
        write_crossing_table

    say = log or (lambda message: None)
    written: list[Path] = []
    with opened(run_a) as a, opened(run_b) as b:
        stem = name or f"{_slug(a.name)}_{_slug(b.name)}"
        if date is not None:
            a.index_of(date), b.index_of(date)  # check the date before anything is written
        with figure_folder(out_dir, force) as folder:
            out = folder.path
            t0 = time.perf_counter()
            written += plot_difference_map(a, b, _claim(folder, out / f"compare_{stem}.png", formats), date, formats)
            say(f"difference map: {written[-1]} ({time.perf_counter() - t0:.1f} s)")
            t0 = time.perf_counter()
            written += plot_crossing_table(a, b, _claim(folder, out / f"crossings_{stem}.png", formats), formats)
            written.append(write_crossing_table(a, b, folder.file(CROSSINGS_COMPARE_FILE)))
            say(f"crossing table: {written[-2]}, {written[-1]} ({time.perf_counter() - t0:.1f} s)")
            folder.commit({"figures_of": [str(a.path), str(b.path)]})
    return written


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "run"
