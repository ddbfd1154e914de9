"""Frames of events and outcomes: coup, partnership, protest, onset, spread, casualties, displacement, epicentre.

What it decides for each trigger: its country, actor and arguments. Coups ("seized power", "ousted", "putsch";
attempted or failed coups dropped; one fact per coordinated date or country), partnerships with a military
company or armed group ("relied on Wagner"; a state such as Turkey is no partner), protests against a foreign
force, the onset of an insurgency with its place ("in the country's north" → "northern Mali"), its spread into
countries, and tolls (one event with a range of tolls keeps both ends).

Example: "soldiers seized power in Mali (August 2020 and May 2021) and Guinea (September 2021)" → three coups.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from geo.documents.arguments import subject_tokens
from geo.documents.dates import NUMBER_WORDS, PERIOD, DateMention, parse_count
from geo.documents.frames_actors import subject_or_antecedent
from geo.documents.frames_first import first_strike
from geo.documents.frames_presence import MILITANT_NOUNS, militants, set_actor
from geo.documents.lexicon import (CONFLICT_NOUNS, DIRECTION_ADJECTIVES, DIRECTIONS, FORCE_NOUNS, GENERIC_ARMED,
                                   NOT_PEOPLE, PRONOUNS)
from geo.documents.quantities import ranges_of
from geo.documents.sentence import Mention, coordinated_places, left_of, list_of, mentions_at, no_date, right_of
from geo.names import country_names

# ------------------------------------------------------------------------------------------------ other kinds
def _nearest_state(info, domain, start, end, forces: bool = True) -> Mention | None:
    """The nearest country, demonym, capital or town left of the trigger in its domain, else right of it
    (without ``forces``, no nationality adjective of a force: "would not allow French troops" is not France)."""
    doc = info.span.doc
    subject = {t.i for t in subject_tokens(doc, doc[start])} | set(range(start, end))
    ok = lambda m: m.label in ("COUNTRY", "DEMONYM", "CAPITAL", "TOWN") and m.role != "modifier" and (  # noqa
        forces or not (m.label == "DEMONYM" and m.role == "force")) and not _compared(doc, m) and (
        forces or m.label != "DEMONYM" or doc[m.end - 1].head.i in subject)
    left = mentions_at(info, left_of(domain, start), ok)
    if left:
        return left[0]
    right = mentions_at(info, right_of(domain, end), ok)
    return right[0] if right else None


def _compared(doc, m: Mention) -> bool:
    """Is the mention a partner or a comparison ("ties with France", "like Mali"), no place of the event?"""
    head = doc[m.end - 1]
    return head.dep_ == "pobj" and head.head.lower_ in ("with", "like", "unlike", "than")


_MILITARY = frozenset({"junta", "juntas", "army", "military", "soldiers", "officers", "colonels", "mutineers",
                       "guard", "captain", "colonel", "lieutenant-colonel", "general"})


def coup_frame(doc, info, draft, form, domain, earlier):
    start, end = draft.trigger
    if draft.rule == "coup.came":
        subject = subject_tokens(doc, doc[start])
        if len(subject) == 1 and subject[0].lower_ in ("which", "who", "that"):
            verb = subject[0].head  # "the junta, which came to power": the noun the clause is about
            subject = list(verb.head.subtree) if verb.dep_ == "relcl" else subject
        if not any(t.lower_ in _MILITARY for t in subject):
            return []
    window = [doc[k].lower_ for k in domain if start - 2 <= k <= end + 1]
    if any(w in ("attempt", "attempted", "failed", "foiled", "plot", "alleged", "thwarted", "bid", "attempts")
           for w in window):
        return []
    head = next((a for a in doc[start].ancestors if a.pos_ in ("VERB", "AUX")), None)
    if form == "noun" and head is not None and head.lemma_ in ("foil", "thwart", "fail", "prevent", "avert"):
        return []  # "the coup in Sierra Leone in November was foiled"
    years = [c for c in doc[start].children if c.like_num and c.dep_ in ("nummod", "compound", "amod")
             and c.text.isdigit() and 1950 <= int(c.text) <= 2100]
    if form == "noun" and years and draft.date is None:  # "since the 2020 coup": the coup's year
        y = years[0]
        draft.date = DateMention(y.idx, y.idx + len(y.text), y.i, y.i + 1, y.text, "point",
                                 dt.date(int(y.text), 1, 1), None, "year")
        draft.tokens.append((y.i, y.i + 1))
    country = _nearest_state(info, domain, start, end, forces=False)
    named = [m for m in info.mentions if m.start == end + 1 and doc[end].lower_ in ("in", "of") and m.label in (
        "COUNTRY", "CAPITAL") and form == "noun"]
    if not named and form == "noun":  # "a new coup d'État in Bamako": the place of the noun phrase, by the parse
        noun = doc[start].head if doc[start].dep_ == "compound" else doc[start]
        objects = {o.i for p in noun.children if p.dep_ == "prep" and p.lower_ in ("in", "of")
                   for o in p.children if o.dep_ == "pobj"}
        named = [m for m in info.mentions if any(m.start <= k < m.end for k in objects) and m.label in (
            "COUNTRY", "CAPITAL")]
    if named:  # "since the coup in Niger, France has …": the country named with the noun
        country = named[0]
    if country is not None:
        draft.country = country.code
        draft.tokens.append((country.start, country.end))
    else:  # the document pass may take a state of the sentence: never a partner or a thing's nationality
        draft.not_places = tuple(m.start for m in info.mentions if _compared(doc, m) or m.label == "DEMONYM"
                                 and m.role not in ("government", "force"))
    prev = doc[start - 1] if start > info.span.start else None
    if prev is not None and (prev.like_num or prev.lower_ in NUMBER_WORDS) and prev.lower_ not in ("a", "an"):
        draft.count = parse_count(prev.text)
        draft.tokens.append((prev.i, prev.i + 1))
    for k in domain:
        if start - 4 <= k <= end + 4 and doc[k].lower_ in ("twice", "second"):
            draft.count = 2
        elif start - 4 <= k <= end + 4 and doc[k].lower_ in ("third",):
            draft.count = 3
    if draft.count is None and doc[start].lower_ in ("coup", "putsch") or form == "verb":
        draft.count = draft.count or 1
    for k in domain:
        if start - 3 <= k < start and doc[k].lower_ in ("army", "military", "soldiers", "junta", "officers",
                                                          "guard", "mutineers", "colonels"):
            draft.actor = doc[k].text.lower()
            draft.actor_code = draft.country
    period = _period(info, domain, end)
    if period is not None:
        draft.period = period
    pairs = coordinated_places(doc, info, domain, end)
    if len(pairs) >= 2 or pairs and pairs[0][1] and (country is None or country.start > end):
        # "in Mali in 2020, in Burkina Faso in 2022 and in Niger in 2023"; "Mali (August 2020 and May 2021),
        # Guinea (September 2021)": one coup per country and date
        out = []
        for m, dates in pairs:
            for d in dates or [no_date(m)]:
                tokens = draft.tokens + [(m.start, m.end)] + ([(d.tok_start, d.tok_end)] if d else [])
                out.append(replace(draft, country=m.code, date=d, tokens=tokens, inferred=[],
                                   actor_code=draft.actor_code and m.code))
        return out
    after = [d for d in info.dates if d.kind == "point" and d.tok_start in domain and d.tok_start >= end
             and d.precision in ("day", "month", "year")]
    finer = {d.date.year for d in after if d.precision in ("day", "month")}
    after = [d for d in after if d.precision != "year" or d.date.year not in finer]  # "twice in 2022, in January …"
    if len(after) >= 2:
        return [replace(draft, date=d, tokens=draft.tokens + [(d.tok_start, d.tok_end)], inferred=[])
                for d in after]
    return [draft]


def _period(info, domain, end) -> str | None:
    doc = info.span.doc
    for m in PERIOD.finditer(info.span.text):
        span = doc.char_span(info.span.start_char + m.start(), info.span.start_char + m.end(), alignment_mode="expand")
        if span.start in domain and 0 <= span.start - end <= 3:
            return f"{m.group('n')} {m.group('unit')}"
    return None


def partnership_frame(doc, info, draft, form, domain, earlier):
    start, end = draft.trigger
    partners = mentions_at(info, right_of(domain, end)[:8] if form != "verb" or not doc[start].lower_.endswith(
        ("backed", "supported", "assisted", "aided")) else right_of(domain, end)[:7],
        lambda m: m.label == "COMPANY" or (m.label == "ARMED" and m.name not in GENERIC_ARMED))
    if not partners and info.context.get("company") is not None and any(
            doc[k].lower_ in ("group", "company", "firm", "mercenaries", "contractor") for k in right_of(domain, end)[:4]):
        partners = [info.context["company"]]  # "hired the group" after "the Wagner Group"
        draft.inferred.append("actor:coreference")
    host_right = None
    verb = doc[start]
    if not partners and form == "verb" and verb.dep_ == "relcl":  # "the Wagner Group, which the junta hired in
        partners = [m for m in info.mentions if m.label == "COMPANY" and m.start <= verb.head.i < m.end]  # 2021"
    if not partners and form != "verb":  # "Wagner has worked alongside the Malian army": the company is the subject
        subject = {t.i for t in subject_tokens(doc, doc[start])}
        partners = [m for m in info.mentions if m.start in subject and m.label == "COMPANY"]
        states = mentions_at(info, right_of(domain, end)[:6], lambda m: m.is_state and m.role != "modifier")
        host_right = states[0] if partners and states else None
    if not partners:
        return []
    subject_side = mentions_at(info, left_of(domain, start)[:8], lambda m: m.label == "ARMED")
    named = {k for m in info.mentions if m.label == "COMPANY" for k in range(m.start, m.end)}  # "the Wagner Group"
    if subject_side or any(doc[k].lower_ in ("group", "groups", "militants", "jihadists") and k not in named for k in
                           left_of(domain, start)[:3]):
        return []  # "Al-Mourabitoun, a group allied with AQIM": armed groups among themselves
    partner = partners[0]
    draft.actor, draft.actor_code = partner.name, None
    if "actor:coreference" not in draft.inferred:
        draft.tokens.append((partner.start, partner.end))
    ok = lambda m: m.label in ("COUNTRY", "DEMONYM", "CAPITAL", "TOWN") and m.role not in ("modifier", "force") \
        or m.label == "DEMONYM" and m.role == "force"  # noqa: E731  ("Malian troops, supported by Wagner")
    left = [host_right] if host_right else mentions_at(info, left_of(domain, start), ok)
    if left:  # the partner's host is on the subject's side; "since the departure of French forces" is not it
        draft.country = left[0].code
        draft.tokens.append((left[0].start, left[0].end))
    else:  # "the junta turned to Russia's Wagner Group after France left": no state right of it is the host
        draft.not_places = tuple(m.start for m in info.mentions if m.start > start)
    return [draft]


#: Subjects that make a crowd of a gathering ("crowds gathered", "thousands of people besieged the base").
CROWD_NOUNS = frozenset({"crowd", "crowds", "people", "protesters", "protestors", "demonstrators", "youths",
                         "youth", "men", "women", "residents", "supporters", "students", "thousands", "hundreds",
                         "dozens", "activists", "villagers", "inhabitants"})


def protest_frame(doc, info, draft, form, domain, earlier):
    start, end = draft.trigger
    if form == "crowd" and not any(t.lower_ in CROWD_NOUNS for t in subject_or_antecedent_tokens(doc, start)):
        return []  # "troops gathered in Gao": no crowd, no protest
    forces = [m for m in info.mentions if m.role == "force" or m.label in ("MISSION", "UN_MISSION", "FORCE")]
    against = [k for k in domain if end <= k <= end + 4 and doc[k].lower_ == "against"]
    anti = any(t.lower_ == "anti" for t in info.span)
    target = None
    if against:
        after = [m for m in forces if m.start > against[0]]
        target = after[0] if after else None
        if target is None and any(doc[k].lower_ in PRONOUNS | {"foreign"} for k in range(against[0], against[0] + 3)
                                  if k < info.span.end):
            target = forces[0] if forces else None
    elif anti or forces:
        target = forces[0] if forces else None
    if target is None:
        return []
    if target.label == "FORCE" and target.code is None:
        draft.actor = target.name
    else:
        set_actor(draft, target)
    draft.tokens.append(target.evidence)
    if against:  # "against their presence", "against the French military presence"
        stop = next((k for k in range(against[0], min(against[0] + 6, info.span.end))
                     if doc[k].lower_ in FORCE_NOUNS), against[0])
        draft.tokens.append((against[0], stop + 1))
    place_ok = lambda m: (m.label in ("COUNTRY", "CAPITAL", "TOWN") and m.role == "location"  # noqa: E731
                          and m.code != draft.actor_code)
    places = mentions_at(info, sorted(domain, key=lambda k: abs(k - start)), place_ok)
    if not places:
        return [draft]
    group = sorted(list_of(info, min(places, key=lambda m: m.start) if len(places) > 1 else places[0], place_ok),
                   key=lambda m: m.start)
    codes = tuple(dict.fromkeys(m.code for m in group))
    out = []
    for m in group:
        if not any(d.country == m.code for d in out):
            out.append(replace(draft, country=m.code, countries=codes, tokens=draft.tokens + [(m.start, m.end)],
                               inferred=[]))
    return out


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
        country = _nearest_state(info, domain, start, end)
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


def subject_or_antecedent_tokens(doc, start):
    return [doc[k] for k in sorted(subject_or_antecedent(doc, doc[start]))]


#: What spreads: the conflict, and its threat ("the jihadist threat has spread to Benin and Togo").
SPREAD_NOUNS = CONFLICT_NOUNS | {"threat", "threats"}


def _conflict_subject(doc, start) -> bool:
    """Is the trigger's subject (or a relative pronoun's antecedent) the conflict itself ("the war … has crossed
    into Benin")? Only the subject's head counts: "refugees fleeing the fighting" is about people."""
    subject = subject_or_antecedent(doc, doc[start])
    heads = [k for k in subject if doc[k].head.i not in subject or doc[k].head.i == k]
    return any(doc[k].lower_ in SPREAD_NOUNS for k in heads)


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
    place_ok = lambda m: m.label in ("COUNTRY", "CAPITAL", "TOWN") and m.role == "location"  # noqa: E731
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
    country = places[0] if places else _nearest_state(info, domain, start, end)
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
        if tok.dep_ in ("nsubj", "nsubjpass") or tok.head is tok or tok.pos_ in ("VERB", "AUX") and tok.dep_ not in (
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


def epicentre_frame(doc, info, draft, form, domain, earlier):
    start, end = draft.trigger
    country = _nearest_state(info, domain, start, end)
    if country is not None:
        draft.country = country.code
        draft.tokens.append((country.start, country.end))
    return [draft]


