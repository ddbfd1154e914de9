"""Frames of tolls: casualties and displacement (how many, where, and by whom).

What it decides for a toll trigger (killed, died, wounded, fled, displaced, "forced from their homes"): the
number that counts the victims (the nearest quantity, the number on the trigger's subject or object, or what a
toll "rose to"; never the attackers' dead, a part "including …", a number of nationalities or attacks, nor the
argument of a coordinated verb), a range's two ends, a sum of coordinated victim groups, the place (for the
displaced, the country they left, never the one they reached) and the perpetrator.

Example: "Gunmen killed 30 soldiers and 12 civilians in Boulkessi, Mali" → casualties, size 42, country MLI;
"19,000 Burkinabè have sought refuge in Mali" → displacement from BFA.
"""
from __future__ import annotations

from geo.documents.frames_actors import MILITANT_NOUNS
from geo.documents.frames_events import nearest_state
from geo.documents.lexicon import NOT_PEOPLE
from geo.documents.quantities import ranges_of
from geo.documents.sentence import left_of, mentions_at, right_of


def toll_frame(doc, info, draft, form, domain, earlier):
    """Casualties and displacement: a quantity near the trigger, the place, and (casualties) the perpetrator."""
    start, end = draft.trigger
    used = {(t[0]) for d in earlier for t in d.tokens}
    candidates = [q for q in info.quantities if q.tok_start in domain and q.tok_start not in used]
    subset = _subset_tokens(doc, info)  # "Twenty people, including 14 foreigners, died": 14 is part of the 20
    candidates = [q for q in candidates if q.tok_start not in subset] or candidates
    if draft.kind == "casualties":  # "the army said 15 attackers were killed": the attackers' dead are no victims
        candidates = [q for q in candidates if not _attackers(doc, q)]
    candidates = [q for q in candidates if not _counts_other(doc, q, start)]
    left = [q for q in candidates if 0 <= start - q.tok_end <= 4]
    right = [q for q in candidates if 0 <= q.tok_start - end <= 3]
    inside = [q for q in candidates if start < q.tok_start < end]  # "forced some 2 million people from their homes"
    quantity = (inside[0] if inside else None) or (left[-1] if left else None) or (right[0] if right else None) \
        or _reached(doc, start, candidates) or _on_argument(doc, start, candidates)
    if quantity is None and draft.kind == "casualties":
        quantity = _one_victim(doc, start)
    if quantity is None:
        return []
    draft.size = quantity.value
    draft.magnitude = quantity.text if quantity.vague else None
    draft.tokens.append((quantity.tok_start, quantity.tok_end))
    for low, high in ranges_of(info.span, info.quantities):  # "between 120 and 150 civilians": both ends
        if quantity in (low, high):
            draft.size_min, draft.size = low.value, high.value
            draft.tokens += [(low.tok_start, low.tok_end), (high.tok_start, high.tok_end)]
    if draft.kind == "casualties" and draft.size_min is None and draft.size is not None:
        first = _first_group(doc, quantity, candidates)
        if first is not quantity:  # "30 soldiers, 12 volunteers and four civilians were killed": from the first
            quantity = first
            draft.size, draft.magnitude = first.value, first.text if first.vague else None
            draft.tokens.append((first.tok_start, first.tok_end))
        for q in _summed_groups(doc, quantity, candidates):  # "30 soldiers and 12 civilians": one toll of 42
            draft.size += q.value
            draft.tokens.append((q.tok_start, q.tok_end))
    place_ok = lambda m: m.label in ("COUNTRY", "CAPITAL", "TOWN") and m.role == "location" or (  # noqa: E731
        m.label == "TOWN" and _town_of(doc, m))
    places = mentions_at(info, sorted(domain, key=lambda k: abs(k - start)), place_ok)
    # "jihadists who crossed from Burkina Faso killed … in northern Ivory Coast": the origin is no place of the toll
    if draft.kind == "displacement":  # "30,000 people fled from Mali to Niger": displaced from Mali
        places = [m for m in places if m.prep == "from"] or places
    else:
        places = [m for m in places if m.prep != "from"] or places
    if not places:  # "… were killed when militants ambushed a patrol in Niger": the when-clause's place
        after = next((c for c in info.clauses if c.start >= end and c.start > draft.trigger[0]), None)
        if after is not None and doc[after.start].lower_ in ("when", "as", "after"):
            places = mentions_at(info, list(range(after.start, after.end)), place_ok)
    country = places[0] if places else nearest_state(info, domain, start, end)
    origin = _displaced_people(info, quantity) if draft.kind == "displacement" else None
    if origin is not None:  # "19,000 Burkinabè have sought refuge in Mali": displaced from Burkina Faso
        country = origin
    elif draft.kind == "displacement" and country is not None and country.label == "COUNTRY" and \
            country.role == "location" and country.prep in ("into", "to"):
        # "hundreds of families have fled across the border into Niger": displaced from the country they left,
        # which the sentence or the document names, never the one they reached
        draft.not_places = tuple(m.start for m in info.mentions if m.code == country.code)
        draft.inferred.append(f"country:left-for:{country.code}")
        country = None
    if country is not None:
        draft.country = country.code
        draft.tokens.append((country.start, country.end))
    if draft.kind == "casualties":
        armed = mentions_at(info, left_of(domain, start)[:8], lambda m: m.label in ("ARMED", "COMPANY"))
        by = [k for k in right_of(domain, end)[:3] if doc[k].lower_ == "by"]
        if by:
            armed = mentions_at(info, right_of(domain, by[0] + 1)[:4], lambda m: m.label in ("ARMED", "COMPANY"))
        if armed:
            draft.actor = armed[0].name
            draft.tokens.append((armed[0].start, armed[0].end))
    return [draft]


#: Nouns of a settlement named by "of" ("in the central town of Moura").
_SETTLEMENT_NOUNS = frozenset({"town", "village", "city", "commune", "locality", "hamlet"})


def _town_of(doc, m) -> bool:
    """Is the town named as "the town/village of X" in a phrase of place ("in the central town of Moura", "near
    the village of Solhan")? Its role is plain (its preposition is "of"), but it is where the toll happened."""
    of = doc[m.end - 1].head
    noun = of.head
    return of.lower_ == "of" and noun.lemma_.lower() in _SETTLEMENT_NOUNS and noun.dep_ == "pobj" and \
        noun.head.lower_ in ("in", "at", "near", "outside", "around")


def _attackers(doc, quantity) -> bool:
    """Does the number count the attackers ("15 attackers", "some 80 jihadists", "dozens of militants")?"""
    tok = doc[quantity.tok_end - 1]
    noun = tok.head if tok.dep_ in ("nummod", "quantmod") else tok
    if noun.lower_ == "of" or (noun.i + 1 < len(doc) and doc[noun.i + 1].lower_ == "of" and noun is tok):
        noun = next((c for c in doc[noun.i + 1].children if c.dep_ == "pobj"), noun) if noun is tok else \
            next((c for c in noun.children if c.dep_ == "pobj"), noun)
    return noun.lower_ in MILITANT_NOUNS | {"fighters", "assailants", "jihadist", "terrorist"}


def _counts_other(doc, quantity, start) -> bool:
    """Is the number the argument of a verb coordinated with the trigger ("three attackers were killed and 126
    hostages freed", "were killed and more than 30 wounded")? It counts for that verb, not the toll."""
    tok = doc[quantity.tok_end - 1]
    noun = tok.head if tok.dep_ in ("nummod", "quantmod") else tok
    verb = noun.head
    if noun.lemma_ in NOT_PEOPLE:
        return True  # "of at least 18 nationalities", "in 12 attacks": no people counted
    return noun.dep_ in ("nsubj", "nsubjpass", "dobj") and verb.pos_ == "VERB" and verb.dep_ == "conj" and \
        verb.head.i == start and verb.i != start


def _subset_tokens(doc, info) -> set[int]:
    """Tokens of "including …" and "among them …" phrases of the sentence: the part of a toll, not the toll."""
    out: set[int] = set()
    for tok in info.span:
        if tok.lower_ == "including" and tok.dep_ in ("prep", "advcl", "acl"):
            out |= {t.i for t in tok.subtree if t.i != tok.i}
        elif tok.lower_ == "among" and tok.i + 1 < info.span.end and doc[tok.i + 1].lower_ in ("them", "whom"):
            out |= {t.i for t in tok.head.subtree if t.i > tok.i + 1}
    return out


def _displaced_people(info, quantity):
    """The nationality of the people counted ("19,000 Burkinabè", "30,000 Malian refugees"), or None."""
    near = range(quantity.tok_end, quantity.tok_end + 3)
    found = [m for m in info.mentions if m.label == "DEMONYM" and m.start in near and m.code]
    return found[0] if found else None


def _number_of(noun, candidates):
    nums = [n.i for n in noun.children if n.dep_ == "nummod"]
    return next((q for q in candidates if any(q.tok_start <= k < q.tok_end for k in nums) and q.value), None)


def _first_group(doc, quantity, candidates):
    """The quantity of the first of coordinated victim nouns, when ``quantity`` is on a later one."""
    tok = doc[quantity.tok_end - 1]
    if tok.dep_ != "nummod":
        return quantity
    noun, first = tok.head, quantity
    while noun.dep_ == "conj" and noun.head.pos_ in ("NOUN", "PROPN"):
        noun = noun.head
        found = _number_of(noun, candidates)
        if found is None:
            return quantity  # "more than 20 soldiers and park rangers": not a list of tolls
        first = found
    return first


def _summed_groups(doc, quantity, candidates) -> list:
    """Quantities of the victim nouns coordinated with the toll's ("killed 30 soldiers and 12 civilians" → 12;
    "eight soldiers were killed and 13 wounded" → none: the wounded hang on another verb)."""
    tok = doc[quantity.tok_end - 1]
    if tok.dep_ != "nummod":
        return []
    out, noun = [], tok.head
    for conj in (c for c in noun.children if c.dep_ == "conj" and c.pos_ in ("NOUN", "PROPN")):
        chain = [conj] + [c for c in conj.subtree if c.dep_ == "conj" and c.head.dep_ == "conj"]
        for c in chain:
            if c.lower_ in MILITANT_NOUNS | {"fighters", "assailants"}:
                continue  # "seven soldiers and 30 jihadists were killed": the attackers' dead are no victims
            found = _number_of(c, candidates)
            if found is not None and found is not quantity:
                out.append(found)
    return out


def _on_argument(doc, start, candidates):
    """The number on the head noun of the trigger's subject or object, however far ("Twenty-four people,
    including a pastor, were killed"), or None."""
    tok = doc[start]
    heads = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass", "dobj")]
    for head in heads:
        nums = {c.i for c in head.children if c.dep_ == "nummod"} | ({head.i} if head.like_num else set())
        found = next((q for q in candidates if any(q.tok_start <= k < q.tok_end for k in nums)), None)
        if found is not None:
            return found
    return None


def _reached(doc, start, candidates):
    """The number a toll's subject reached ("the death toll … has risen to 58", "the number of displaced people
    reached 1.9 million"), or None."""
    tok = doc[start]
    for _ in range(5):
        if tok.dep_ in ("nsubj", "nsubjpass") or tok.head.i == tok.i or tok.pos_ in ("VERB", "AUX") and tok.dep_ not in (
                "amod", "acl"):
            break
        tok = tok.head
    verb = tok.head
    if tok.dep_ not in ("nsubj", "nsubjpass") or verb.lemma_ not in (
            "rise", "reach", "climb", "stand", "top", "exceed", "pass", "jump", "surpass", "triple", "double",
            "grow", "increase", "swell", "soar", "hit", "total", "quadruple"):
        return None
    inside = {t.i for t in verb.subtree if t.i > tok.i}
    return next((q for q in candidates if q.tok_start in inside and q.tok_start > verb.i), None)




#: Nouns of one victim that "a"/"an" counts ("a gendarme killed", "killing a French soldier").
VICTIM_NOUNS = frozenset({"gendarme", "soldier", "policeman", "civilian", "officer", "peacekeeper", "guard",
                          "villager", "teacher", "official", "farmer", "pastor", "priest", "chief", "mayor"})


def _one_victim(doc, start):
    """A single victim named with "a"/"an" as the trigger's argument ("… and a gendarme killed", "killing a
    French soldier", "a soldier was killed"): a toll of one, or None."""
    from geo.documents.quantities import Quantity

    tok = doc[start]
    nouns = [c for c in tok.children if c.dep_ in ("nsubjpass", "dobj")]
    if tok.dep_ == "acl" and tok.tag_ == "VBN":
        nouns.append(tok.head)  # "a gendarme killed": the participle on its noun
    for noun in nouns:
        det = [c for c in noun.children if c.dep_ == "det"]
        if noun.lower_ in VICTIM_NOUNS and det and det[0].lower_ in ("a", "an"):
            return Quantity(det[0].idx, det[0].idx + len(det[0].text), det[0].i, det[0].i + 1, det[0].text, 1, 0.0,
                            False)
    return None
