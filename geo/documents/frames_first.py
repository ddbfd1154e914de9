"""A first strike told as a noun: "the first jihadist attack on Ivorian soil" is the onset of the war there.

An attack named as the *first* on a country's ground ("on Ivorian soil", "on Nigerien territory", "the first
time that … strike on Chadian territory") or in a part of it ("the first attack of this kind in the south of the
country") opens the conflict there: an onset dated like the event the noun phrase stands beside, in the country
of that ground, at the town the event names ("the camp of the gendarmerie of Misseni", "the resort town of
Grand-Bassam"). The phrase must tell the event itself: as the attribute of a copula ("It is the first deadly
attack on Togolese soil") it only comments on an event told before, and makes no onset of its own.

Example: "Gunmen stormed beach hotels in the resort town of Grand-Bassam on Sunday, killing 16 civilians in the
first jihadist attack on Ivorian soil." → onset in CIV, place "Grand-Bassam" (dated Sunday by the date layer).
"""
from __future__ import annotations

from geo.documents.sentence import mentions_at

#: Nouns of a country's ground: "on Ivorian soil", "on Nigerien territory".
GROUND_NOUNS = frozenset({"soil", "territory", "ground"})

#: Nouns whose "of <Name>" names the place attacked: "the village of Ngouboua", "the mine of Tambao".
PLACE_NOUNS = frozenset({"town", "village", "city", "locality", "commune", "camp", "base", "post", "gendarmerie",
                         "mine", "market", "outpost", "garrison", "barracks"})

#: Verbs of an attack a "first time that …" clause must hold.
STRIKE_VERBS = frozenset({"strike", "attack", "hit", "raid"})

_NOT_PLACES = ("COUNTRY", "DEMONYM", "ARMED", "ORG", "MISSION", "UN_MISSION", "COMPANY", "FORCE")


def first_strike(doc, info, draft, domain, place_phrase) -> bool:
    """Fill ``draft`` (an ``onset.first_noun`` match) with country and place; False when it is no onset.

    ``place_phrase`` is :func:`geo.documents.frames_onsets.place_phrase` (passed in to keep the modules acyclic).
    """
    start, end = draft.trigger
    noun = doc[end - 1]
    if noun.dep_ == "attr" or (noun.dep_ in ("nsubj", "nsubjpass") and noun.head.lemma_ == "be"):
        return False  # "It is the first deadly attack on Togolese soil": a comment on an event told before
    right = sorted(t.i for t in noun.subtree if t.i >= end)
    if noun.lower_ == "time" and not any(doc[k].lemma_ in STRIKE_VERBS for k in right):
        return False
    ground = next((k for k in right if doc[k].lower_ in GROUND_NOUNS and doc[k].head.lower_ == "on"), None)
    code = None
    if ground is not None:
        states = mentions_at(info, [c.i for c in doc[ground].lefts], lambda m: m.label in ("DEMONYM", "COUNTRY"))
        code = states[0].code if states else None
        if code is None:
            return False
        draft.tokens.append((min(c.i for c in doc[ground].lefts), ground + 1))
    part = None
    if code is None:
        inside = [k for k in right if doc[k].head.lower_ == "in" or doc[k].lower_ == "in"]
        part = place_phrase(doc, info, inside) if inside else None
        if part is None:
            return False  # "the first attack on a French base this year": no country's ground, no onset
    town = _attacked_place(doc, info, [k for k in domain if k < start])
    if part is not None:  # "in the south of the country": the document's host, resolved later
        phrase, code, tokens, draft.the_country_place = part
        draft.place = phrase
        draft.tokens.append(tokens)
    if town is not None:
        draft.place, code = town[0], code or town[1]
        draft.tokens.append(town[2])
    draft.country = code
    return True


def _attacked_place(doc, info, tokens: list[int]):
    """The first town named among ``tokens``: a gazetteer town, or "<place noun> of <Name>" (text, code, range)."""
    for k in tokens:
        town = next((m for m in info.mentions if m.start == k and m.label == "TOWN"), None)
        if town is not None:
            return doc[town.start:town.end].text, town.code, (town.start, town.end)
        tok = doc[k]
        if tok.pos_ == "PROPN" and tok.dep_ == "pobj" and tok.head.lower_ == "of" and \
                tok.head.head.lower_ in PLACE_NOUNS and not mentions_at(info, [k], lambda m: m.label in _NOT_PLACES):
            first = k
            while first - 1 >= 0 and doc[first - 1].pos_ == "PROPN" and doc[first - 1].head.i == k:
                first -= 1
            return doc[first:k + 1].text, None, (first, k + 1)
    return None
