"""The size of a presence frame: the troop number attached to the force of a deployment or withdrawal.

What it decides: the number on the force noun of the trigger's object or subject ("withdrew 600 of its 1,200
soldiers"), else the nearest number in the trigger's domain that a force noun follows or precedes ("a 300-strong
contingent", "roughly 1,500 soldiers") and that is not the argument of another presence trigger; "to N" of a force
grown or cut ("doubled its contingent to roughly 95 soldiers"); both ends of a range ("between 11,000 and 13,000").

Example: "France will deploy between 3,000 and 3,500 troops" → size 3,500, size_min 3,000.
"""
from __future__ import annotations

from geo.documents.arguments import number_token
from geo.documents.lexicon import FORCE_NOUNS
from geo.documents.quantities import ranges_of
from geo.documents.sentence import force_noun_after


def new_size(doc, info, verb):
    """The quantity of "to N" of a verb whose object is a force ("doubled its contingent to roughly 95
    soldiers", "increased the number of its troops to 600"), else None."""
    objects = [c for c in verb.children if c.dep_ == "dobj"]
    if not any(t.lower_ in FORCE_NOUNS | {"number", "strength", "size"} for c in objects for t in c.subtree):
        return None
    for prep in verb.children:
        if prep.dep_ == "prep" and prep.lower_ == "to":
            inside = {t.i for t in prep.subtree}
            found = [q for q in info.quantities if q.value and q.tok_start in inside]
            if found:
                return found[0]
    return None


def attach_size(doc, info, draft, domain) -> None:
    if draft.rule == "deployment.grow":
        q = new_size(doc, info, doc[draft.trigger[0]])
        draft.size, draft.magnitude = q.value, q.text if q.vague else None
        draft.tokens.append((q.tok_start, q.tok_end))
        return
    attach_number(doc, info, draft, domain)
    for low, high in ranges_of(info.span, info.quantities):  # "between 11,000 and 13,000": both ends
        if draft.size in (low.value, high.value) and low.tok_start in set(domain):
            draft.size_min, draft.size = low.value, high.value
            draft.tokens += [(low.tok_start, low.tok_end), (high.tok_start, high.tok_end)]


def attach_number(doc, info, draft, domain) -> None:
    """Troop numbers next to a force noun: "300-strong contingent", "roughly 1,500 soldiers"."""
    start = draft.trigger[0]
    best = None
    number = number_token(doc, doc[start])
    if number is not None:  # the number on the troop noun of the trigger's object or subject
        best = next((q for q in info.quantities if q.tok_start <= number.i < q.tok_end and q.value), None)
        if best is not None:
            draft.size, draft.magnitude = best.value, best.text if best.vague else None
            draft.tokens.append((best.tok_start, best.tok_end))
            return
    for q in info.quantities:
        if q.tok_start not in domain or q.value is None or _another_triggers(doc, info, q, draft.trigger):
            continue
        nxt = force_noun_after(doc, q.tok_end, info.span.end)
        before = doc[q.tok_start - 2:q.tok_start] if q.tok_start >= 2 else []
        if nxt is not None or q.text.lower().endswith("strong") or any(t.lower_ in FORCE_NOUNS for t in before):
            if best is None or abs(q.tok_start - start) < abs(best.tok_start - start):
                best = q
    if best is not None:
        draft.size, draft.magnitude = best.value, best.text if best.vague else None
        draft.tokens.append((best.tok_start, best.tok_end))


def _another_triggers(doc, info, q, trigger) -> bool:
    """Is the number an argument of another presence trigger of the sentence ("ended the mandate …, giving it until
    31 December to withdraw its 13,000 peacekeepers": 13,000 is the withdrawal's, not the end's)?"""
    tok = doc[q.tok_end - 1]
    for _ in range(5):
        if tok.head.i == tok.i:
            return False
        tok = tok.head
        if tok.pos_ in ("VERB", "AUX"):
            return tok.i in info.triggers and not trigger[0] <= tok.i < trigger[1]
    return False
