"""Content hashes of every file a sweep's results depend on, so that a resume never mixes two sets of inputs.

:func:`input_fingerprints` lists, with the sha256 of each file's bytes:

``scenario``
    the scenario file the sweep was started from and every file it ``extends`` (in that order);
``documents``
    the documents under ``documents.seeds`` and their metadata sidecars, as the document layer reads them (paths
    relative to it; other files there are not read, so they do not count), and ``documents.overrides``;
``shapes``
    the committed geography the grid is built from (every file in ``shapes/``);
``initial_state``
    the previous run's ``risk.nc`` named by ``initial.state``.

The resolved scenario (every value, ``--set`` included) is compared separately (:data:`sim.sweep.design.
SPEC_KEYS`). :func:`input_differences` names what changed between two listings, one clause per file.
"""
from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from sim.scenario import Scenario

GROUPS = ("scenario", "documents", "shapes", "initial_state")
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes (read in 1 MiB chunks: bounded memory whatever its size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def scenario_chain(path: str | Path) -> list[Path]:
    """The scenario file and the files it ``extends``, nearest first (resolved as :class:`Scenario` does)."""
    chain: list[Path] = []
    here = Path(path)
    while here.is_file() and here.resolve() not in chain:
        chain.append(here.resolve())
        try:
            parent = tomllib.loads(here.read_text(encoding="utf-8")).get("extends")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            break
        if not isinstance(parent, str) or not parent:
            break
        parent_path = Path(parent)
        here = parent_path if parent_path.is_absolute() else here.parent / parent_path
    return chain


def document_files(seeds: Path) -> list[Path]:
    """What the document layer reads from ``documents.seeds``: its documents (``geo.documents.read``: ``*.txt`` and
    ``*.md``, not recursing) and their metadata sidecars (which carry the publication dates)."""
    from geo.documents.read import is_document_file, sidecar_path

    documents = sorted(p for p in seeds.iterdir() if p.is_file() and is_document_file(p)) if seeds.is_dir() \
        else [seeds]
    files = []
    for doc in documents:
        files.append(doc)
        meta = sidecar_path(doc)
        if meta.is_file():
            files.append(meta)
    return files


def input_fingerprints(scenario: Scenario, scenario_file: str | Path | None = None) -> dict[str, list[dict]]:
    """``{group: [{"file": name, "sha256": hex}, ...]}`` for every input of ``scenario`` (see the docstring).

    Examples
    --------
    >>> prints = input_fingerprints(Scenario())  # doctest: +SKIP
    >>> [p["file"] for p in prints["shapes"]]  # doctest: +SKIP
    ['README.md', 'country_names.csv', 'sahel_countries.gpkg']
    """
    from geo.shapes import SHAPES_DIR

    out: dict[str, list[dict]] = {g: [] for g in GROUPS}
    if scenario_file:
        out["scenario"] = [{"file": str(p), "sha256": sha256_file(p)} for p in scenario_chain(scenario_file)]
    seeds = scenario.resolve_path(scenario.documents.seeds)
    if seeds is not None and seeds.exists():
        files = document_files(seeds)
        out["documents"] = [{"file": str(p.relative_to(seeds) if seeds.is_dir() else p), "sha256": sha256_file(p)}
                            for p in files]
    overrides = scenario.resolve_path(scenario.documents.overrides)
    if overrides is not None and overrides.is_file():
        out["documents"].append({"file": str(overrides), "sha256": sha256_file(overrides)})
    shapes = Path(SHAPES_DIR)
    if shapes.is_dir():
        out["shapes"] = [{"file": p.name, "sha256": sha256_file(p)} for p in sorted(shapes.iterdir()) if p.is_file()]
    state = scenario.resolve_path(scenario.initial.state)
    if state is not None and state.is_file():
        out["initial_state"] = [{"file": str(state), "sha256": sha256_file(state)}]
    return out


def input_differences(stored: dict, now: dict) -> list[str]:
    """One clause per input file that was added, removed or changed between two :func:`input_fingerprints`."""
    out: list[str] = []
    for group in GROUPS:
        before = {e["file"]: e["sha256"] for e in (stored or {}).get(group, [])}
        after = {e["file"]: e["sha256"] for e in (now or {}).get(group, [])}
        label = group.replace("_", " ")
        if group == "scenario" and before and after and list(before.values()) == list(after.values()):
            continue  # the same files, reached by another path
        for name in sorted(set(before) | set(after)):
            a, b = before.get(name), after.get(name)
            if a == b:
                continue
            if a is None:
                out.append(f"{label}: {name} is new")
            elif b is None:
                out.append(f"{label}: {name} is gone")
            else:
                out.append(f"{label}: {name} changed (sha256 {a[:12]}… ≠ now {b[:12]}…)")
    return out
