"""The resumable results store of a sweep folder: sweep.json, results.parquet and parts/."""
from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Iterator

import pandas as pd

from geo.atomic import atomic_path, write_text_atomic
from geo.errors import SpilloverError
from sim.sweep.design import SPEC_KEYS, Param, SweepConfig
from sim.sweep.metrics import Metrics
from sim.scenario import Scenario

SWEEP_FILE = "sweep.json"
RESULTS_FILE = "results.parquet"
PARTS_DIR = "parts"
LOCK_FILE = ".lock"


def config_from_spec(spec: dict) -> SweepConfig:
    """Rebuild the :class:`SweepConfig` of a stored sweep."""
    scenario = Scenario.from_dict(spec["scenario"], source=SWEEP_FILE, base_dir=spec.get("base_dir", "."))
    return SweepConfig(
        scenario=scenario, params=tuple(Param.from_dict(p) for p in spec["params"]), method=spec["method"],
        n=int(spec["n"]), seed=int(spec["seed"]), replicates=int(spec["replicates"]),
        metrics=Metrics.from_dict(spec["metrics"]), second_order=bool(spec["second_order"]),
        levels=int(spec["levels"]), model=spec["model"], scenario_file=spec.get("scenario_file", ""))


class ResultStore:
    """The sweep folder: ``sweep.json``, ``results.parquet`` and ``parts/`` (see the module docstring)."""

    def __init__(self, out: str | os.PathLike):
        self.out = Path(out)
        self.parts = self.out / PARTS_DIR
        self.results = self.out / RESULTS_FILE
        self.spec_path = self.out / SWEEP_FILE
        self._seq = 0

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive use of the folder (released by the OS if the process dies)."""
        import fcntl

        self.out.mkdir(parents=True, exist_ok=True)
        with open(self.out / LOCK_FILE, "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise SpilloverError(f"{self.out} is in use by another sweep process; wait for it or use another "
                                     "--out folder") from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def read_spec(self) -> dict | None:
        if not self.spec_path.exists():
            return None
        return json.loads(self.spec_path.read_text(encoding="utf-8"))

    def open(self, spec: dict) -> dict:
        """Write ``spec`` to a new folder, or check it against the stored one; return the stored (authoritative)."""
        stored = self.read_spec()
        if stored is None:
            if self.results.exists() or (self.parts.exists() and any(self.parts.glob("*.parquet"))):
                raise SpilloverError(f"{self.out} holds results but no {SWEEP_FILE}: not a sweep folder this "
                                     "version can resume; use another --out folder")
            write_text_atomic(self.spec_path, json.dumps(spec, indent=1) + "\n")
            return spec
        diffs = [k for k in SPEC_KEYS if _canon(stored.get(k)) != _canon(spec.get(k))]
        if diffs:
            details = "; ".join(_differences(_canon(stored.get(k)), _canon(spec.get(k)), k) for k in diffs)
            raise SpilloverError(f"{self.out}/{SWEEP_FILE} is a different sweep ({details}); resume it with the "
                                 "same scenario and options, or use another --out folder")
        return stored

    def _files(self) -> list[Path]:
        files = [self.results] if self.results.exists() else []
        if self.parts.exists():
            files += sorted(self.parts.glob("part-*.parquet"))
        return files

    def clean_temporaries(self) -> None:
        """Delete temporary files left by a process killed while writing (never complete files)."""
        for folder, pattern in ((self.out, f".{Path(RESULTS_FILE).stem}.*"), (self.parts, ".part-*")):
            if folder.exists():
                for tmp in folder.glob(pattern):
                    with contextlib.suppress(OSError):
                        tmp.unlink()

    def load(self) -> pd.DataFrame:
        """Every stored row (results.parquet and parts), one per run id (the latest), ordered by run."""
        for attempt in range(5):  # a running sweep may fold (delete) parts while we read: list them again
            try:
                frames = [pd.read_parquet(p) for p in self._files()]
                break
            except FileNotFoundError:
                if attempt == 4:
                    raise
                time.sleep(0.2)
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame()
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        frame = frame.drop_duplicates("run_id", keep="last")
        order = frame["run_id"].str.slice(1).astype(int).to_numpy().argsort(kind="stable")
        return frame.iloc[order].reset_index(drop=True)

    def write_part(self, frame: pd.DataFrame) -> Path:
        self._seq += 1
        path = self.parts / f"part-{time.time_ns():020d}-{self._seq:06d}-{frame['run_id'].iloc[0]}.parquet"
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, index=False)
        return path

    def consolidate(self, columns: list[str] | None = None, dtypes: dict | None = None) -> pd.DataFrame:
        """Fold parts/ into results.parquet (atomically), then delete the folded parts."""
        parts = sorted(self.parts.glob("part-*.parquet")) if self.parts.exists() else []
        frame = self.load()
        if columns is not None:
            frame = frame.reindex(columns=columns)
            if dtypes is not None:
                frame = _cast(frame, dtypes)
        if not parts and self.results.exists():
            return frame
        with atomic_path(self.results) as tmp:
            frame.to_parquet(tmp, index=False)
        for p in parts:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        return frame


def _canon(value):
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _differences(old, new, key: str, limit: int = 6) -> str:
    """``key.sub: stored A ≠ now B`` for each differing leaf of two nested dicts (at most ``limit``)."""
    out: list[str] = []

    def walk(a, b, path):
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                walk(a.get(k), b.get(k), f"{path}.{k}")
        elif a != b:
            out.append(f"{path}: stored {_short(a)} ≠ now {_short(b)}")

    walk(old, new, key)
    more = f"; … {len(out) - limit} more" if len(out) > limit else ""
    return "; ".join(out[:limit]) + more


def _short(value, limit: int = 80) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _dtypes(config: SweepConfig) -> dict[str, str]:
    out = {"run_id": "string", "point": "int64", "replicate": "int64", "seed": "int64", "status": "string",
           "error": "string", "seconds": "float64", "days": "Int64", "substeps": "Int64"}
    for p in config.params:
        out[p.name] = "Int64" if p.integer else "float64"
    for c in config.metrics.columns(config.model):
        out[c] = ("boolean" if c.startswith("crossed_") else "string" if c.startswith("cross_date_")
                  else "float64")
    return out


def _cast(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    return frame.astype({c: t for c, t in dtypes.items() if c in frame.columns})


def rows_frame(rows: list[dict], config: SweepConfig) -> pd.DataFrame:
    """Rows as a frame with the sweep's columns and dtypes (stable schema across parts)."""
    frame = pd.DataFrame(rows).reindex(columns=config.columns())
    return _cast(frame, _dtypes(config))



def load_sweep(path: str | os.PathLike) -> tuple[dict, pd.DataFrame]:
    """(spec, results) of a sweep folder or of its results.parquet (with sweep.json beside it).

    Rows still in parts/ (a sweep that was killed) are included.
    """
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if not path.exists():
        raise SpilloverError(f"{path} does not exist; give a sweep folder (spillover sweep ... --out DIR) or its "
                             f"{RESULTS_FILE}")
    store = ResultStore(folder)
    spec = store.read_spec()
    if spec is None:
        raise SpilloverError(f"{folder} has no {SWEEP_FILE}: not a sweep folder (spillover sweep ... --out DIR)")
    if path.is_file() and path.name != RESULTS_FILE:
        frame = pd.read_parquet(path)
    else:
        frame = store.load()
    if not len(frame):
        raise SpilloverError(f"{folder} has no results yet; run (or resume) the sweep first")
    return spec, frame
