"""Frames of the conflict's course: its onset (where and when an insurgency began) and its spread into countries.

What it decides: whether a trigger ("began", "broke out", "took up arms", "since 2015", "the first attack on
Ivorian soil") is the onset of the conflict, and its place as written: a part of a country ("in the country's
north" → "northern Mali", resolved with the document's host), a named area ("the Tillabéri region", "Soum
province") or a town; whether a spread ("spilled into", "has crossed into", "spread to") is the conflict's or
its threat's (never people fleeing it), and the countries reached, one fact per country (and per own date).

Example: "The insurgency that began in northern Mali in 2012 spread to Burkina Faso in 2015 and to Niger in
2017." → an onset in "northern Mali" (2012) and two spreads, BFA 2015 and NER 2017.
"""
from __future__ import annotations

from dataclasses import replace

from geo.documents.arguments import subject_tokens
from geo.documents.frames_actors import MILITANT_NOUNS, militants, subject_or_antecedent
from geo.documents.frames_events import nearest_state
from geo.documents.frames_first import first_strike
from geo.documents.lexicon import CONFLICT_NOUNS, DIRECTION_ADJECTIVES, DIRECTIONS
from geo.documents.sentence import coordinated_places, list_of, mentions_at, no_date, right_of, left_of
from geo.names import country_names


def onset_frame(doc, info, draft, form, domain, earlier):
    start, end = draft.trigger
    if form == "since":
        since = end - 1
        years = [d for d in info.dates if d.tok_start == since + 1 or (d.tok_start == since and d.precision)]
        if not years:
            return []
        draft.date = years[0]
        draft.tokens.append((years[0].tok_start, years[0].tok_end))
    elif form == "first":
        if not mentions_at(info, left_of(domain, start)[:6], lambda m: m.label == "ARMED") and not any(
                doc[k].lower_ in MILITANT_NOUNS for k in left_of(domain, start)[:4]):
            return []  # "the army first attacked …": only an armed group's first strike
    elif form == "first_noun":  # "the first jihadist attack on Ivorian soil" (frames_first)
        if not first_strike(doc, info, draft, domain, place_phrase):
            return []
        return [draft]
    elif form != "arms":
        before = [k for k in domain if start - 7 <= k < start]
        after = [k for k in domain if end <= k < end + 4]
        if not any(doc[k].lower_ in CONFLICT_NOUNS for k in before + after) and not mentions_at(
                info, before, lambda m: m.label == "ARMED"):
            return []
        noun = [k for k in before + after if doc[k].lower_ in CONFLICT_NOUNS]
        if noun:
            draft.tokens.append((noun[0], noun[0] + 1))
    # "violence has grown in the Tillabéri region since 2017": the place may stand inside the matched phrase
    around = [k for k in domain if start < k < end] if form == "since" else []
    place = place_phrase(doc, info, around + right_of(domain, end)[:12])
    verb = next((a for a in doc[start].ancestors if a.pos_ in ("VERB", "AUX")), None)
    if place is None and verb is not None and doc[start].head.dep_ == "agent":
        # "central Mali has been engulfed by violence since 2015": the place is the passive's subject
        place = place_phrase(doc, info, [t.i for t in subject_tokens(doc, verb) if t.i in set(domain)])
    verb_tok = doc[end - 1] if form == "first" else doc[start]
    if place is None and verb_tok.dep_ == "relcl" and any(c.lower_ == "where" for c in verb_tok.children):
        # "into northern Burkina Faso, where Ansarul Islam took up arms": the place the relative clause is about
        place = place_phrase(doc, info, [t.i for t in verb_tok.head.lefts] + [verb_tok.head.i])
    if place is not None:
        phrase, code, tokens, the_country = place
        draft.country, draft.place, draft.the_country_place = code, phrase, the_country
        draft.tokens.append(tokens)
    else:
        country = nearest_state(info, domain, start, end)
        named = _named_area(doc, info, around + right_of(domain, end)[:12])
        if named is None and verb_tok.dep_ == "relcl" and any(c.lower_ == "where" for c in verb_tok.children):
            # "in the Diffa region, where Boko Haram first struck": the area the relative clause is about
            named = _named_area(doc, info, [t.i for t in verb_tok.head.lefts] + [verb_tok.head.i])
        if named is not None:  # "in the Tillabéri region", "around Djibo": the place as written
            phrase, code, tokens = named
            draft.place, draft.country = phrase, code or (country.code if country else None)
            draft.tokens.append(tokens)
        elif country is not None:
            draft.country, draft.place = country.code, country_names().english.get(country.code)
            draft.tokens.append((country.start, country.end))
    return [draft]


_AREA_NOUNS = frozenset({"region", "province", "district", "department", "area", "circle", "cercle"})


def _named_area(doc, info, tokens: list[int]):
    """The first named area among ``tokens``: "the Mopti region", "Soum province", a town ("around Djibo").

    Returns (phrase, country code or None, token range) or None.
    """
    for k in tokens:
        tok = doc[k]
        if tok.lower_ in _AREA_NOUNS and k > 0 and doc[k - 1].pos_ == "PROPN":
            first = k - 1
            while first - 1 >= 0 and doc[first - 1].pos_ == "PROPN" and doc[first - 1].ent_type_ not in (
                    "COUNTRY", "DEMONYM") and doc[first - 1].lower_ not in ("'s",):
                first -= 1
            town = next((m for m in info.mentions if m.start <= first < m.end and m.label == "TOWN"), None)
            owner = next((m for m in info.mentions if m.end in (first, first - 1) and m.label == "COUNTRY"
                          and doc[m.end].lower_ in ("'s", "’s")), None)
            code = town.code if town else owner.code if owner else None
            return f"{doc[first:k].text} {tok.lower_}", code, (first, k + 1)
        town = next((m for m in info.mentions if m.start == k and m.label == "TOWN" and m.role == "location"), None)
        if town is not None and town.end < len(doc) and doc[town.end].lower_ in _AREA_NOUNS:
            return f"{doc[town.start:town.end].text} {doc[town.end].lower_}", town.code, (town.start, town.end + 1)
        if town is not None:
            return doc[town.start:town.end].text, town.code, (town.start, town.end)
    return None


def place_phrase(doc, info, tokens: list[int]) -> tuple[str | None, str | None, tuple[int, int], str | None] | None:
    """The first part-of-country phrase among ``tokens``: (phrase, code, token range, direction).

    "northern Mali", "the north of Mali" and "Mali's north" give ("northern Mali", "MLI", …, None); "the
    country's north" and "the north of the country" give (None, None, …, "northern"), resolved later with the
    document's main host.
    """
    english = country_names().english
    for k in tokens:
        low = doc[k].lower_
        # "northern Mali", "north-eastern Nigeria"
        if low in DIRECTION_ADJECTIVES:
            m = mentions_at(info, [k + 1], lambda x: x.label == "COUNTRY")
            if m:
                return f"{DIRECTION_ADJECTIVES[low]} {english[m[0].code]}", m[0].code, (k, m[0].end), None
            if doc[k + 1].lower_ == "country" if k + 1 < len(doc) else False:
                return None, None, (k, k + 2), DIRECTION_ADJECTIVES[low]
        # "the north of Mali", "the north of the country"
        if low in DIRECTIONS and k + 1 < len(doc) and doc[k + 1].lower_ == "of":
            m = mentions_at(info, [k + 2, k + 3], lambda x: x.label == "COUNTRY")
            if m:
                return f"{DIRECTIONS[low]} {english[m[0].code]}", m[0].code, (k, m[0].end), None
            if any(doc[j].lower_ == "country" for j in (k + 2, k + 3) if j < len(doc)):
                return None, None, (k, k + 4), DIRECTIONS[low]
        # "Mali's north", "the country's north"
        if low in ("'s", "’s") and k + 1 < len(doc) and doc[k + 1].lower_ in DIRECTIONS:
            m = mentions_at(info, [k - 1], lambda x: x.label == "COUNTRY")
            if m:
                return f"{DIRECTIONS[doc[k + 1].lower_]} {english[m[0].code]}", m[0].code, (m[0].start, k + 2), None
            if doc[k - 1].lower_ == "country":
                first = k - 2 if doc[k - 2].lower_ in ("the", "host") else k - 1
                return None, None, (first, k + 2), DIRECTIONS[doc[k + 1].lower_]
    return None


def spread_frame(doc, info, draft, form, domain, earlier):
    start, end = draft.trigger
    conflict = _conflict_subject(doc, start)  # "the war that broke out in Mali … has crossed into Benin"
    if doc[start].lemma_ == "cross" and not militants(doc, info, start) and not conflict:
        return []  # "refugees fleeing the fighting crossed the border into Niger": people fleeing, no spread
    before = left_of(domain, start)[:16]
    if not conflict and not any(doc[k].lower_ in SPREAD_NOUNS for k in before) and not mentions_at(
            info, before, lambda m: m.label == "ARMED"):
        return []
    ok = lambda m: m.label in ("COUNTRY", "CAPITAL", "TOWN") and m.prep != "from"  # noqa: E731
    right = mentions_at(info, right_of(domain, end)[:12], lambda m: ok(m) and (m.role == "location" or m.start <= end + 1))
    if not right:
        # "an insurgency since 2015, which spilled over from neighbouring Mali": into the country named before
        origin = mentions_at(info, right_of(domain, end)[:6], lambda m: m.prep == "from")
        antecedent = mentions_at(info, left_of(domain, start), lambda m: ok(m) and m.role != "modifier"
                                  and all(m.code != o.code for o in origin))
        right = antecedent[:1] if origin else []
        if origin and not right and doc[start].lemma_ == "cross":
            # "jihadists who crossed the border from Burkina Faso killed … in northern Ivory Coast": the place of
            # what they did, in the rest of the sentence
            right = [m for m in info.mentions if m.role == "location" and m.label == "COUNTRY" and m.prep != "from"
                     and all(m.code != o.code for o in origin)][:1]
    if not right:
        return []
    countries = [m for m in right if m.label == "COUNTRY" and m.prep in ("into", "to")]
    if countries and right[0].label == "TOWN" and right[0].code != countries[0].code:
        # "spread across the Mopti region and into northern Burkina Faso": the country reached, not a region of
        # the country it spreads from
        right = countries
    group = [m for m in list_of(info, right[0], ok)]
    codes = tuple(dict.fromkeys(m.code for m in group))
    noun = [k for k in before if doc[k].lower_ in SPREAD_NOUNS]
    tokens = draft.tokens + ([(noun[0], noun[0] + 1)] if noun else [])
    pairs = [(m, dates) for m, dates in coordinated_places(doc, info, domain, end) if m.prep != "from"]
    if len(pairs) >= 2 and sum(1 for _, dates in pairs if dates) >= 2:
        # "spread to Burkina Faso in 2015 and to Niger in 2017": each country with its own date
        return [replace(draft, country=m.code, countries=tuple(p.code for p, _ in pairs), date=dates[0] if dates
                        else no_date(m), tokens=tokens + [(m.start, m.end)], inferred=[]) for m, dates in pairs]
    out = []
    for m in group:
        if not any(d.country == m.code for d in out):
            out.append(replace(draft, country=m.code, countries=codes, tokens=tokens + [(m.start, m.end)],
                               inferred=[]))
    return out



#: What spreads: the conflict, and its threat ("the jihadist threat has spread to Benin and Togo").
SPREAD_NOUNS = CONFLICT_NOUNS | {"threat", "threats"}


def _conflict_subject(doc, start) -> bool:
    """Is the trigger's subject (or a relative pronoun's antecedent) the conflict itself ("the war … has crossed
    into Benin")? Only the subject's head counts: "refugees fleeing the fighting" is about people."""
    subject = subject_or_antecedent(doc, doc[start])
    heads = [k for k in subject if doc[k].head.i not in subject or doc[k].head.i == k]
    return any(doc[k].lower_ in SPREAD_NOUNS for k in heads)


