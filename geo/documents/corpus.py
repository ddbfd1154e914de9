"""Scoring the extractor on an evaluation corpus: answer keys beside documents, strict recall and precision.

What it decides: whether an extracted fact is *strictly right* against a key fact (see
``tests/fixtures/CORPUS.md``): kind, country, date and its precision (absent in the key = no date), size
(absent = none; ``[low, high]`` for a range), the actor for kinds that have one, and every optional field the key
states (``planned``, ``date_end``, ``place``, ``bases``). Key and extracted facts are matched one to one, per
document; recall = matched key facts / key facts, precision = matched extracted facts / extracted facts.

>>> keys = read_key("tests/fixtures/documents/dev/chad_tri_border.key.toml")
>>> keys[0]["kind"], keys[0]["size"]
('withdrawal', 600)
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from geo.documents.facts import KINDS, Fact
from geo.documents.read import load_documents, read_toml
from geo.errors import SpilloverError
from geo.names import fold

#: Kinds whose actor is scored.
ACTOR_KINDS = ("deployment", "withdrawal", "suspension", "partnership", "protest")
KEY_SUFFIX = ".key.toml"
_KEY_FIELDS = ("kind", "country", "actor", "size", "date", "date_end", "planned", "place", "bases")


def read_key(path: str | os.PathLike) -> list[dict]:
    """The facts of an answer key (``[[fact]]`` tables), checked; dates parsed into (date, precision)."""
    path = Path(path)
    data, _ = read_toml(path)
    facts = data.get("fact", [])
    out = []
    for i, fact in enumerate(facts):
        unknown = sorted(set(fact) - set(_KEY_FIELDS))
        if unknown or fact.get("kind") not in KINDS or not fact.get("country"):
            raise SpilloverError(f"{path}: fact {i + 1}: needs a kind of {list(KINDS)} and a country; unknown "
                                 f"keys {unknown}")
        entry = dict(fact)
        for key in ("date", "date_end"):
            entry[key] = _key_date(fact.get(key), path) if key in fact else (None, "unknown")
        size = fact.get("size")
        entry["size"] = tuple(size) if isinstance(size, list) else size
        out.append(entry)
    return out


def _key_date(value, path: Path) -> tuple[dt.date, str]:
    text = str(value)
    parts = text.split("-")
    try:
        if len(parts) == 3:
            return dt.date.fromisoformat(text), "day"
        if len(parts) == 2:
            return dt.date(int(parts[0]), int(parts[1]), 1), "month"
        return dt.date(int(parts[0]), 1, 1), "year"
    except ValueError:
        raise SpilloverError(f"{path}: date {value!r} must be YYYY-MM-DD, YYYY-MM or YYYY") from None


def matches(key: dict, fact: Fact) -> bool:
    """Is ``fact`` strictly right against the key fact ``key``?"""
    if fact.kind != key["kind"] or fact.country != key["country"]:
        return False
    date, precision = key["date"]
    if date is None:
        if fact.date is not None:
            return False
    elif (fact.date, fact.date_precision) != (date, precision):
        return False
    if key["date_end"][0] is not None and fact.date_end != key["date_end"][0]:
        return False
    size = key["size"]
    low = getattr(fact, "size_min", None)
    if isinstance(size, tuple):
        if (low, fact.size) != size:
            return False
    elif fact.size != size or (low is not None and size is not None and low != size):
        return False
    if key["kind"] in ACTOR_KINDS and "actor" in key:
        names = {x for x in (fact.actor_code, fact.actor, fact.mission) if x}
        if key["actor"] not in names:
            return False
    if "planned" in key and fact.planned is not key["planned"]:
        return False
    if "place" in key:
        a, b = fold(key["place"]), fold(fact.place or "")
        if not b or (a not in b and b not in a):
            return False
    if "bases" in key:
        if sorted(fold(x) for x in key["bases"]) != sorted(fold(x) for x in getattr(fact, "bases", ()) or ()):
            return False
    return True


@dataclass
class Score:
    """Counts of one corpus, overall and per kind."""

    key: dict[str, int]
    extracted: dict[str, int]
    matched_key: dict[str, int]
    matched_extracted: dict[str, int]
    misses: list[tuple[str, dict]]
    wrong: list[Fact]

    def recall(self, kind: str | None = None) -> float:
        k = sum(self.key.values()) if kind is None else self.key.get(kind, 0)
        m = sum(self.matched_key.values()) if kind is None else self.matched_key.get(kind, 0)
        return m / k if k else float("nan")

    def precision(self, kind: str | None = None) -> float:
        k = sum(self.extracted.values()) if kind is None else self.extracted.get(kind, 0)
        m = sum(self.matched_extracted.values()) if kind is None else self.matched_extracted.get(kind, 0)
        return m / k if k else float("nan")


def score_folder(folder: str | os.PathLike, extract) -> Score:
    """Score ``extract`` (documents → facts) on every document of ``folder`` that has an answer key."""
    folder = Path(folder)
    documents = [d for d in load_documents(folder) if (folder / f"{d.path.stem}{KEY_SUFFIX}").is_file()]
    if not documents:
        raise SpilloverError(f"{folder}: no document has an answer key ({KEY_SUFFIX})")
    score = Score({}, {}, {}, {}, [], [])
    for document in documents:
        keys = read_key(folder / f"{document.path.stem}{KEY_SUFFIX}")
        facts = extract(document)
        for key in keys:
            score.key[key["kind"]] = score.key.get(key["kind"], 0) + 1
        for fact in facts:
            score.extracted[fact.kind] = score.extracted.get(fact.kind, 0) + 1
        free = list(facts)
        for key in keys:
            hit = next((f for f in free if matches(key, f)), None)
            if hit is None:
                score.misses.append((document.id, key))
                continue
            free.remove(hit)
            score.matched_key[key["kind"]] = score.matched_key.get(key["kind"], 0) + 1
            score.matched_extracted[hit.kind] = score.matched_extracted.get(hit.kind, 0) + 1
        score.wrong += free
    return score
