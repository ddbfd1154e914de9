"""The resumable results store of a sweep folder: ``sweep.json``, ``results.parquet`` and ``parts/``.

``sweep.json``
    the spec (:meth:`sim.sweep.design.SweepConfig.spec`: resolved scenario, parameters, method, n, seed,
    replicates, metrics, the design matrix and the SALib call that made it, the content hashes of every input,
    package versions) and its ``sweep_id``.
``results.parquet``
    one row per run (``run_id``, ``point``, ``replicate``, the parameter columns by dotted name, ``seed``,
    ``status`` "ok"/"failed", ``error``, ``seconds`` (the run's share of its batch's time), ``days``,
    ``substeps``, the metrics). Every Parquet file the store writes carries the ``sweep_id`` in its metadata.

Each finished batch is written atomically to ``parts/`` and the parts are folded into ``results.parquet``
(atomically, then deleted) every few seconds and at the end, so a kill at any moment loses at most the batches in
flight and never leaves a truncated file.

:func:`sim.sweep.run.run_sweep` opens the folder with :func:`sim.outdir.output_folder` (``mode="resume"``): an
exclusive lock for the whole sweep, and a folder that is neither new, nor empty, nor a sweep folder is refused,
naming what is there (the store never writes into, or deletes from, a folder of someone else's files). What the
store itself refuses (one-line :class:`~geo.errors.SpilloverError`, nothing touched):

- a resume with any difference in what determines the results: options, resolved scenario, or the content of an
  input file (documents, overrides, shapes, initial state, the scenario file and what it extends), each
  difference named;
- results that are not this sweep's: a Parquet file whose ``sweep_id`` differs from ``sweep.json``'s, or whose
  run ids or parameter values are not this sweep's ("96 runs stored, 64 of them not in this sweep of 32");
- an unreadable ``sweep.json`` or Parquet file (truncated, edited, not Parquet), naming the file.

Only files this store writes are ever deleted: the parts it has folded, and the temporary files of its own
atomic writes (``.results.XXXXXXXX.parquet``, ``parts/.part-….XXXXXXXX.parquet``, ``.sweep.XXXXXXXX.json``)
left by a killed process, once the folder is recognised as a sweep folder.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import time
from pathlib import Path
import numpy as np
import pandas as pd

from geo.atomic import atomic_path, write_text_atomic
from geo.errors import SpilloverError
from sim.scenario import Scenario
from sim.sweep.design import SPEC_KEYS, SPEC_VERSION, Param, SweepConfig, canonical, run_id
from sim.sweep.inputs import input_differences
from sim.sweep.metrics import Metrics

SWEEP_FILE = "sweep.json"
RESULTS_FILE = "results.parquet"
PARTS_DIR = "parts"
#: Parquet metadata key holding the sweep id.
ID_KEY = b"sahel_spillover.sweep_id"
#: What must be in a readable sweep.json.
REQUIRED = (*SPEC_KEYS, "design", "points", "runs", "columns", "problem")
#: Temporary files of this store's atomic writes (``geo.atomic.atomic_path``: ``.<stem>.<8 random><suffix>``).
_TEMPORARY = {".": re.compile(r"^\.(results|sweep)\.[A-Za-z0-9_]{8}\.(parquet|json)$"),
              PARTS_DIR: re.compile(r"^\.part-[0-9]{20}-[0-9]{6}-r[0-9]+\.[A-Za-z0-9_]{8}\.parquet$")}


def config_from_spec(spec: dict) -> SweepConfig:
    """Rebuild the :class:`SweepConfig` of a stored sweep."""
    scenario = Scenario.from_dict(spec["scenario"], source=SWEEP_FILE, base_dir=spec.get("base_dir", "."))
    return SweepConfig(
        scenario=scenario, params=tuple(Param.from_dict(p) for p in spec["params"]), method=spec["method"],
        n=int(spec["n"]), seed=int(spec["seed"]), replicates=int(spec["replicates"]),
        metrics=Metrics.from_dict(spec["metrics"]), second_order=bool(spec["second_order"]),
        levels=int(spec["levels"]), model=spec["model"], scenario_file=spec.get("scenario_file", ""))


class ResultStore:
    """The sweep folder ``out`` (see the module docstring)."""

    def __init__(self, out: str | os.PathLike):
        self.out = Path(out)
        self.parts = self.out / PARTS_DIR
        self.results = self.out / RESULTS_FILE
        self.spec_path = self.out / SWEEP_FILE
        self.spec: dict | None = None  # the stored spec, once opened or read
        self._seq = 0

    # --------------------------------------------------------------------------------------------- the spec
    def read_spec(self) -> dict | None:
        """The stored spec, None if there is none; a one-line error if it is unreadable."""
        if not self.spec_path.exists():
            return None
        try:
            spec = json.loads(self.spec_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self._unreadable_spec(f"not valid JSON: {exc}") from None
        if not isinstance(spec, dict):
            raise self._unreadable_spec(f"a JSON {type(spec).__name__}, not an object")
        if spec.get("spec_version") != SPEC_VERSION and "spec_version" in spec:
            raise SpilloverError(f"{self.spec_path} was written by another version of this tool (spec_version "
                                 f"{spec.get('spec_version')!r}, this one reads {SPEC_VERSION}); use another --out "
                                 "folder")
        missing = [k for k in REQUIRED if k not in spec]
        if missing:
            raise self._unreadable_spec(f"missing {', '.join(missing)}")
        try:
            design = np.asarray(spec["design"], dtype=float).reshape(int(spec["points"]), len(spec["params"]))
            if int(spec["runs"]) < 1 or design.size == 0:
                raise ValueError("no runs")
        except (TypeError, ValueError) as exc:
            raise self._unreadable_spec(f"its design does not match its points and parameters ({exc})") from None
        self.spec = spec
        return spec

    def _unreadable_spec(self, why: str) -> SpilloverError:
        return SpilloverError(f"{self.spec_path} is not a readable sweep spec ({why}); it was edited or truncated: "
                              "move it away (the results beside it cannot be resumed without it) or use another --out "
                              "folder")

    def open(self, spec: dict) -> dict:
        """Write ``spec`` to a new folder, or check it against the stored one; return the stored (authoritative)."""
        stored = self.read_spec()
        if stored is None:
            if self.results.exists() or (self.parts.exists() and any(self.parts.glob("*.parquet"))):
                raise SpilloverError(f"{self.out} holds results but no {SWEEP_FILE}: not a sweep folder this "
                                     "version can resume; use another --out folder")
            write_text_atomic(self.spec_path, json.dumps(spec, indent=1) + "\n")
            self.spec = spec
            return spec
        changed = input_differences(stored.get("inputs", {}), spec.get("inputs", {}))
        if changed:
            more = f"; … {len(changed) - 6} more" if len(changed) > 6 else ""
            raise SpilloverError(f"{self.out}: the inputs changed since this sweep began ({'; '.join(changed[:6])}"
                                 f"{more}); a resume would mix results of two input sets: restore them, or use "
                                 "another --out folder")
        diffs = [k for k in SPEC_KEYS if k != "inputs" and canonical(stored.get(k)) != canonical(spec.get(k))]
        if diffs:
            details = "; ".join(_differences(canonical(stored.get(k)), canonical(spec.get(k)), k) for k in diffs)
            raise SpilloverError(f"{self.out}/{SWEEP_FILE} is a different sweep ({details}); resume it with the "
                                 "same scenario and options, or use another --out folder")
        return stored

    # ------------------------------------------------------------------------------------------ the results
    def clean_temporaries(self) -> None:
        """Delete the temporary files of this store's own writes left by a killed process (never other files).

        Only in a recognised sweep folder (call after :meth:`open` or :meth:`read_spec`).
        """
        if self.spec is None:
            return
        for sub, pattern in _TEMPORARY.items():
            folder = self.out if sub == "." else self.out / sub
            if folder.is_dir():
                for path in folder.iterdir():
                    if pattern.match(path.name) and path.is_file():
                        with contextlib.suppress(OSError):
                            path.unlink()

    def _files(self) -> list[Path]:
        files = [self.results] if self.results.exists() else []
        if self.parts.exists():
            files += sorted(self.parts.glob("part-*.parquet"))
        return files

    def _read(self, path: Path) -> pd.DataFrame:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            meta = pq.read_schema(path).metadata or {}
            frame = pd.read_parquet(path)
        except FileNotFoundError:
            raise
        except (pa.ArrowException, OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SpilloverError(f"{path} is not a readable Parquet file ({first}); it was truncated or replaced "
                                 "outside this tool: move it away and run the sweep again (its runs are rerun), or "
                                 "use another --out folder") from None
        stored_id = meta.get(ID_KEY)
        own_id = (self.spec or {}).get("sweep_id")
        if stored_id is not None and own_id and stored_id.decode() != own_id:
            raise SpilloverError(f"{path} belongs to another sweep (sweep id {stored_id.decode()} ≠ {own_id} of "
                                 f"{self.spec_path}); move it away, or use another --out folder")
        return frame

    def load(self) -> pd.DataFrame:
        """Every stored row (results.parquet and parts), one per run id (the latest), ordered by run.

        Rows are checked against the spec when it is known (:meth:`check_rows`).
        """
        for attempt in range(5):  # a running sweep may fold (delete) parts while we read: list them again
            try:
                frames = [self._read(p) for p in self._files()]
                break
            except FileNotFoundError:
                if attempt == 4:
                    raise
                time.sleep(0.2)
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame()
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if "run_id" not in frame.columns:
            raise SpilloverError(f"{self.out}: stored results have no run_id column: not results of this tool; move "
                                 f"{RESULTS_FILE} and {PARTS_DIR}/ away, or use another --out folder")
        frame = frame.drop_duplicates("run_id", keep="last")
        if self.spec is not None:
            self.check_rows(frame)
        order = frame["run_id"].str.slice(1).astype(int).to_numpy().argsort(kind="stable")
        return frame.iloc[order].reset_index(drop=True)

    def check_rows(self, frame: pd.DataFrame) -> None:
        """Refuse rows that are not this sweep's: unknown run ids, or parameter values off its design."""
        spec = self.spec
        runs = int(spec["runs"])
        ids = frame["run_id"].astype(str)
        expected = {run_id(i) for i in range(runs)}
        foreign = ids[~ids.isin(expected)]
        if len(foreign):
            raise SpilloverError(f"{self.out}: {len(frame)} runs stored, {len(foreign)} of them not in this sweep of "
                                 f"{runs} (e.g. {foreign.iloc[0]}): the results are another sweep's; move "
                                 f"{RESULTS_FILE} and {PARTS_DIR}/ away, or use another --out folder")
        design = np.asarray(spec["design"], dtype=float).reshape(int(spec["points"]), -1)
        reps = int(spec["replicates"])
        index = ids.str.slice(1).astype(int).to_numpy()
        for j, param in enumerate(spec["params"]):
            name = param["name"]
            if name not in frame.columns:
                raise SpilloverError(f"{self.out}: stored results have no column {name!r}: another sweep's; move "
                                     f"{RESULTS_FILE} and {PARTS_DIR}/ away, or use another --out folder")
            want = design[index // reps, j]
            if param.get("integer"):
                want = np.round(want)
            have = frame[name].astype("float64").to_numpy()
            bad = ~np.isclose(have, want, rtol=1e-12, atol=0)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise SpilloverError(f"{self.out}: stored run {ids.iloc[k]} has {name} = {have[k]:g} but this sweep's "
                                     f"design gives {want[k]:g}: the results are another sweep's; move "
                                     f"{RESULTS_FILE} and {PARTS_DIR}/ away, or use another --out folder")

    def _write(self, frame: pd.DataFrame, target: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        own_id = (self.spec or {}).get("sweep_id")
        if own_id:
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), ID_KEY: own_id.encode()})
        with atomic_path(target) as tmp:
            pq.write_table(table, tmp)

    def write_part(self, frame: pd.DataFrame) -> Path:
        """One finished batch's rows, atomically, into ``parts/``."""
        self._seq += 1
        path = self.parts / f"part-{time.time_ns():020d}-{self._seq:06d}-{frame['run_id'].iloc[0]}.parquet"
        self._write(frame, path)
        return path

    def consolidate(self, columns: list[str] | None = None, dtypes: dict | None = None) -> pd.DataFrame:
        """Fold parts/ into results.parquet (atomically), then delete the folded parts."""
        parts = sorted(self.parts.glob("part-*.parquet")) if self.parts.exists() else []
        frame = self.load()
        if columns is not None:
            frame = frame.reindex(columns=columns)
            if dtypes is not None:
                frame = cast(frame, dtypes)
        if not parts and self.results.exists():
            return frame
        self._write(frame, self.results)
        for p in parts:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        return frame


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


def column_dtypes(config: SweepConfig) -> dict[str, str]:
    """The pandas dtype of every results column (a stable schema across parts)."""
    out = {"run_id": "string", "point": "int64", "replicate": "int64", "seed": "int64", "status": "string",
           "error": "string", "seconds": "float64", "days": "Int64", "substeps": "Int64"}
    for p in config.params:
        out[p.name] = "Int64" if p.integer else "float64"
    for c in config.metrics.columns(config.model):
        out[c] = ("boolean" if c.startswith("crossed_") else "string" if c.startswith("cross_date_")
                  else "float64")
    return out


def cast(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    return frame.astype({c: t for c, t in dtypes.items() if c in frame.columns})


def rows_frame(rows: list[dict], config: SweepConfig) -> pd.DataFrame:
    """Rows as a frame with the sweep's columns and dtypes (stable schema across parts)."""
    frame = pd.DataFrame(rows).reindex(columns=config.columns())
    return cast(frame, column_dtypes(config))


def load_sweep(path: str | os.PathLike) -> tuple[dict, pd.DataFrame]:
    """(spec, results) of a sweep folder or of its results.parquet (with sweep.json beside it).

    Rows still in parts/ (a sweep that was killed) are included.

    Examples
    --------
    >>> spec, results = load_sweep("sweeps/exit")  # doctest: +SKIP
    >>> spec["method"], len(results)  # doctest: +SKIP
    ('sobol', 1280)
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
        frame = store._read(path)
        if len(frame):
            store.check_rows(frame)
    else:
        frame = store.load()
    if not len(frame):
        raise SpilloverError(f"{folder} has no results yet; run (or resume) the sweep first")
    return spec, frame
