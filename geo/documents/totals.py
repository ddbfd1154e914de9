"""Running totals: a participle clause that states the force's new size ("arrived on Wednesday, bringing the
number of US troops in the country to about 100"; "withdrew 500 soldiers, reducing the contingent to 2,000").

What it decides: the new total is a presence of its own, a deployment of the same actor in the same host, with
the event's date and that size; the event keeps its own size (the 40 who arrived, the 500 who left).

Example: "Some 300 more Spanish soldiers landed in Mali in May, taking the contingent to 800." → a deployment of
300 (landed) and one of 800 (the total), both dated May.

Gapped counts: a coordinated state with a number and no verb of its own shares the verb of the count before it
("Senegal keeps 1,040 soldiers with the mission, and Germany some 550, most of them in Gao" → a presence of 550
for Germany, with the towns named after it; the towns are no longer Senegal's).

Earlier counts: "up/down from N in <date>" after a count states the same count at that earlier date ("More than
one million people have been forced from their homes …, up from 87,000 in January 2019" → a second displacement
of 87,000, dated January 2019).
"""
from __future__ import annotations

from dataclasses import replace

from geo.documents.lexicon import FORCE_NOUNS, MISSION_BY_NAME
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


#: Words that may stand between a gapped state and its number ("and Germany some 550").
_APPROXIMATE = frozenset({"some", "about", "around", "roughly", "nearly", "almost", "over", "more", "than", "just",
                          "another", "a", "further", "close", "to", "up"})


def gapped_counts(doc, info: Sentence, drafts: list[Draft]) -> list[Draft]:
    """``drafts`` with one presence per gapped conjunct "…, and <state> <N>" (see the module docstring)."""
    from geo.documents.frames_actors import set_actor

    out = list(drafts)
    for d in drafts:
        if d.kind != "deployment" or d.size is None or d.actor_code is None:
            continue
        q = next((q for q in info.quantities if q.value == d.size and (q.tok_start, q.tok_end) in d.tokens), None)
        if q is None:
            continue
        k = q.tok_end
        while k < info.span.end and doc[k].pos_ not in ("VERB", "AUX") and doc[k].lower_ != "and":
            k += 1
        if k >= info.span.end or doc[k].lower_ != "and":
            continue
        state = next((m for m in info.mentions if m.start == k + 1 and m.label in ("COUNTRY", "DEMONYM")
                      and m.code not in (d.country, d.actor_code) and m.role not in ("location", "dateline")), None)
        if state is None:
            continue
        j = state.end
        while j < info.span.end and doc[j].lower_ in _APPROXIMATE:
            j += 1
        count = next((x for x in info.quantities if state.end <= x.tok_start <= j < x.tok_end and x.value), None)
        if count is None:
            continue
        after = doc[count.tok_end] if count.tok_end < info.span.end else None
        if after is not None and not (after.is_punct or after.lower_ in FORCE_NOUNS):
            continue  # "and Germany some 550 of them left": a clause of its own
        towns = [m for m in info.mentions if m.label in ("TOWN", "CAPITAL") and m.start > count.tok_end
                 and m.code in (d.country or m.code,)]
        names = {doc[m.start:m.end].text for m in towns}
        copy = replace(d, size=count.value, size_min=None, magnitude=count.text if count.vague else None,
                       bases=tuple(b for b in d.bases if b in names),
                       town_candidates=tuple(c for c in d.town_candidates if c[0] in names),
                       tokens=d.tokens + [(state.start, state.end), (count.tok_start, count.tok_end)],
                       inferred=d.inferred + ["actor:gapped"])
        copy.mission = None
        set_actor(copy, state)
        d.bases = tuple(b for b in d.bases if b not in names)
        d.town_candidates = tuple(c for c in d.town_candidates if c[0] not in names)
        out.append(copy)
    return out


def earlier_counts(doc, info: Sentence, drafts: list[Draft]) -> list[Draft]:
    """``drafts`` with one fact per "up/down from N (in <date>)" of a count (see the module docstring)."""
    out = list(drafts)
    for d in drafts:
        if d.kind not in ("displacement", "deployment") or d.size is None:
            continue
        for k in range(info.span.start, info.span.end - 2):
            if doc[k].lower_ not in ("up", "down") or doc[k + 1].lower_ != "from":
                continue
            count = next((q for q in info.quantities if q.tok_start == k + 2 and q.value), None)
            if count is None or count.value == d.size:
                continue
            dates = [x for x in info.dates if x.kind == "point" and count.tok_end <= x.tok_start <= count.tok_end + 1]
            out.append(replace(d, size=count.value, size_min=None, magnitude=count.text if count.vague else None,
                               date=dates[0] if dates else None, now=False,
                               tokens=d.tokens + [(k, count.tok_end)], inferred=d.inferred + ["size:earlier"]))
            break
    return out
