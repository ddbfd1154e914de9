"""A disk cache of what the model takes from the documents, so a run does not re-read them with spaCy each time.

Reading the seed documents (importing spaCy and running the extractor) is the slowest step of a default run
after the kernel (~2.5 s). Its result (:class:`sim.forcing.DocumentInputs`: attributes, timeline, onsets and
fingerprints) depends only on the documents' bytes, the overrides' bytes, the modelled countries and the code and
libraries that extract them, so it is stored under a key made of all of these:

- the sha256 of every document file and of the overrides file (content, not paths or times),
- the countries, the sahel-spillover version, the spaCy and dateparser versions,
- the sha256 of every source file of the ``geo`` package and of ``shapes/sahel_places.csv``, the place gazetteer's
  GeoNames extract (an edited extractor or gazetteer never reuses an old result).

Entries are strict JSON (records with each column's dtype, dates as ISO strings), never pickles, written
atomically under ``$SPILLOVER_CACHE`` (default ``$XDG_CACHE_HOME/sahel-spillover`` or
``~/.cache/sahel-spillover``). ``SPILLOVER_CACHE=off`` disables it; an unreadable entry is ignored and rewritten.
A cache hit changes nothing in the outputs (the provenance records the same fingerprints). A hit's tables are
built as DataFrames only when read (:mod:`sim.lazyframe`); its records (:func:`table_records`) key the forcing
cache (:mod:`sim.geocache`) without pandas.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

#: Bump when the entry layout changes.
LAYOUT = 2


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is off."""
    value = os.environ.get("SPILLOVER_CACHE", "")
    if value.lower() in ("off", "0", "no", "false"):
        return None
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sahel-spillover"


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


@lru_cache(maxsize=1)
def _code_hash() -> str:
    import geo

    digest = hashlib.sha256()
    root = Path(geo.__file__).resolve().parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".csv", ".json", ".toml", ".txt"):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    from geo.shapes import DEFAULT_PLACES  # the GeoNames extract the place gazetteer reads

    if DEFAULT_PLACES.is_file():
        digest.update(hashlib.sha256(DEFAULT_PLACES.read_bytes()).digest())
    return digest.hexdigest()


def key(files: list[Path], overrides: Path | None, codes: tuple[str, ...]) -> str:
    """The cache key of a document read (see the module docstring)."""
    digest = hashlib.sha256()
    parts = {"layout": LAYOUT, "codes": list(codes), "version": _version("sahel-spillover"),
             "spacy": _version("spacy"), "dateparser": _version("dateparser"), "code": _code_hash()}
    digest.update(json.dumps(parts, sort_keys=True).encode())
    for path in [*files, *([overrides] if overrides else [])]:
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load(entry_key: str):
    """The cached DocumentInputs for ``entry_key``, or None (its tables built as DataFrames when first read)."""
    from sim.forcing import DocumentInputs
    from sim.lazyframe import Deferred

    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"documents-{entry_key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        records = {name: data[name] for name in TABLES}
        if not all(_is_records(table) for table in records.values()) or "index_name" not in records["attributes"]:
            return None
        onsets = tuple((str(p), None if y is None else int(y)) for p, y in data["onsets"])
        documents = tuple(dict(d) for d in data["documents"])
        onset_dates = tuple((str(p), None if d is None else str(d), None if c is None else str(c))
                            for p, d, c in data["onset_dates"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return DocumentInputs(attributes=Deferred(_indexed_frame, records["attributes"]),
                          timeline=Deferred(_frame, records["timeline"]), onsets=onsets, documents=documents,
                          drivers=Deferred(_frame, records["drivers"]), onset_dates=onset_dates, records=records)


#: The tables of a DocumentInputs, as :func:`table_records` names them.
TABLES = ("attributes", "timeline", "drivers")


def table_records(inputs) -> dict:
    """The tables of a DocumentInputs as the JSON records an entry holds (``attributes`` with its index as the
    column ``index`` and its name as ``index_name``): the ones it was read from, or made from its DataFrames."""
    if inputs.records is not None:
        return inputs.records
    attributes = inputs.attributes
    return {"attributes": {**_records(attributes.rename_axis("index").reset_index()),
                           "index_name": attributes.index.name},
            "timeline": _records(inputs.timeline.reset_index(drop=True)),
            "drivers": _records(inputs.drivers.reset_index(drop=True))}


def store(entry_key: str, inputs) -> None:
    """Write ``inputs`` under ``entry_key`` (quietly skipped when the cache folder cannot be written)."""
    from geo.atomic import write_text_atomic

    folder = cache_dir()
    if folder is None:
        return
    try:
        text = json.dumps({
            **table_records(inputs),
            "onsets": [list(o) for o in inputs.onsets],
            "documents": list(inputs.documents),
            "onset_dates": [list(o) for o in inputs.onset_dates],
        }, allow_nan=False)
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(folder / f"documents-{entry_key}.json", text)
    except (OSError, ValueError, TypeError):
        return


def _records(frame) -> dict:
    from sim.strict_json import json_value

    return {"columns": [str(c) for c in frame.columns], "dtypes": [str(t) for t in frame.dtypes],
            "rows": [[json_value(v) for v in row] for row in frame.itertuples(index=False, name=None)]}


def _is_records(data) -> bool:
    """Whether ``data`` has the layout of :func:`_records` (columns, dtypes and rows of as many values)."""
    try:
        columns, dtypes, rows = data["columns"], data["dtypes"], data["rows"]
        return (isinstance(columns, list) and isinstance(dtypes, list) and isinstance(rows, list)
                and len(columns) == len(dtypes) and all(isinstance(r, list) and len(r) == len(columns) for r in rows))
    except (KeyError, TypeError):
        return False


def _indexed_frame(data: dict):
    """:func:`_frame` of the attributes records, indexed by their ``index`` column, named ``index_name``."""
    return _frame(data).set_index("index").rename_axis(data["index_name"])


def _frame(data: dict):
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(data["rows"], columns=data["columns"], dtype=object)
    for column, dtype in zip(data["columns"], data["dtypes"]):
        if dtype.startswith("datetime64"):
            frame[column] = pd.to_datetime(frame[column]).astype(dtype)
        elif dtype not in ("object",):
            frame[column] = frame[column].astype(np.dtype(dtype) if dtype[0] in "fiub" else dtype)
    return frame
