"""Frames of political and other events: coup, partnership, protest, epicentre.

What it decides for each trigger: its country, actor and arguments. Coups ("seized power", "ousted", "putsch";
attempted or failed coups dropped; one fact per coordinated date or country), partnerships with a military
company or armed group ("relied on Wagner"; a state such as Turkey is no partner), protests against a foreign
force, and the epicentre of the conflict. The onset and spread of the conflict are decided in
``frames_onsets``, tolls (casualties, displacement) in ``frames_tolls``; both take the host of a trigger with no
place phrase from :func:`nearest_state`.

Example: "soldiers seized power in Mali (August 2020 and May 2021) and Guinea (September 2021)" → three coups.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from geo.documents.arguments import subject_tokens
from geo.documents.dates import NUMBER_WORDS, PERIOD, DateMention, parse_count
from geo.documents.frames_actors import set_actor, subject_or_antecedent
from geo.documents.lexicon import FORCE_NOUNS, GENERIC_ARMED, PRONOUNS
from geo.documents.sentence import Mention, coordinated_places, left_of, list_of, mentions_at, no_date, right_of


def nearest_state(info, domain, start, end, forces: bool = True) -> Mention | None:
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
    country = nearest_state(info, domain, start, end, forces=False)
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
    if target is None:  # "protesters attacked the French embassy", "rallied outside the French base"
        target = _site_owner(doc, info, domain)
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


#: Buildings and sites that stand for a foreign state in a protest against it ("the French embassy").
SITE_NOUNS = frozenset({"embassy", "embassies", "consulate", "consulates", "base", "bases", "camp", "institute",
                        "institutes", "chancery", "residence", "legation"})


def _site_owner(doc, info, domain) -> Mention | None:
    """The state whose embassy, consulate, base or institute the crowd targets, by the parse: a demonym modifying
    the site noun ("the French cultural institute") or a country's possessive ("France's embassy"); never a state
    whose flags or ties are meant ("waved Russian flags", "closer ties with Moscow")."""
    for m in info.mentions:
        if m.label not in ("DEMONYM", "COUNTRY") or m.start not in domain or m.role == "dateline":
            continue
        tok = doc[m.end - 1]
        if tok.dep_ in ("amod", "compound", "poss") and tok.head.lemma_.lower() in SITE_NOUNS and (
                m.label == "DEMONYM" or tok.dep_ == "poss" or any(c.dep_ == "case" for c in tok.children)):
            return m
    return None


def subject_or_antecedent_tokens(doc, start):
    return [doc[k] for k in sorted(subject_or_antecedent(doc, doc[start]))]



def epicentre_frame(doc, info, draft, form, domain, earlier):
    start, end = draft.trigger
    country = nearest_state(info, domain, start, end)
    if country is not None:
        draft.country = country.code
        draft.tokens.append((country.start, country.end))
    return [draft]


