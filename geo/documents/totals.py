"""Running totals: a participle clause that states the force's new size ("arrived on Wednesday, bringing the
number of US troops in the country to about 100"; "withdrew 500 soldiers, reducing the contingent to 2,000").

What it decides: the new total is a presence of its own, a deployment of the same actor in the same host, with
the event's date and that size; the event keeps its own size (the 40 who arrived, the 500 who left).

Example: "Some 300 more Spanish soldiers landed in Mali in May, taking the contingent to 800." → a deployment of
300 (landed) and one of 800 (the total), both dated May.
"""
from __future__ import annotations

from dataclasses import replace

from geo.documents.lexicon import MISSION_BY_NAME
from geo.documents.sentence import Draft, Sentence

#: Verbs of a participle clause that give a new total with "to N".
TOTAL_VERBS = frozenset({"bring", "raise", "take", "push", "increase", "boost", "swell", "reduce", "cut", "lower"})


def running_totals(doc, info: Sentence, drafts: list[Draft]) -> list[Draft]:
    """``drafts`` with one deployment per stated new total (see the module docstring)."""
    out = list(drafts)
    for d in drafts:
        if d.kind not in ("deployment", "withdrawal") or d.country is None:
            continue
        trigger = doc[d.trigger[0]]
        for clause in trigger.children:
            if clause.dep_ != "advcl" or clause.tag_ != "VBG" or clause.lemma_ not in TOTAL_VERBS:
                continue
            total = _total_of(clause, info)
            if total is None or total.value == d.size or _regional(info, clause):
                continue
            out.append(replace(d, kind="deployment", rule="deployment.total", size=total.value, size_min=None,
                               magnitude=total.text if total.vague else None, bases=(),
                               tokens=d.tokens + [(clause.i, clause.i + 1), (total.tok_start, total.tok_end)],
                               inferred=d.inferred + ["size:total"]))
    return out


def _regional(info: Sentence, clause) -> bool:
    """Does the clause give the total of a mission of several hosts ("bringing Barkhane to 5,100")? Its total
    is not the host's."""
    inside = {t.i for t in clause.subtree}
    return any(m.start in inside and m.label == "MISSION" and len(MISSION_BY_NAME[m.name].hosts) > 1
               for m in info.mentions if m.name in MISSION_BY_NAME)


def _total_of(clause, info: Sentence):
    """The quantity of the clause's "to N" ("bringing the total to about 100"), or None."""
    for prep in clause.children:
        if prep.dep_ != "prep" or prep.lower_ != "to":
            continue
        inside = {t.i for t in prep.subtree}
        found = [q for q in info.quantities if q.value and any(k in inside for k in range(q.tok_start, q.tok_end))]
        if found:
            return found[0]
    return None
