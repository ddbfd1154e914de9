"""The document-level pass: from the drafts of every sentence to the document's facts.

What it decides: the document's main host; a presence fact without a host takes the previous host of the same
actor (``country:continuity``) or the main host (``country:document``), never every host of a mission when one is
named; the headline's fact is merged into the lead's; one event with several tolls is one fact with a range; a
state's own troops deployed abroad are kept (Chad's battalion in Niger), its own troops at home are not a foreign
presence; dates are resolved (:mod:`geo.documents.dates`); spans and ids are made.

>>> from geo.documents.read import read_document
>>> facts = extract_document(read_document("seeds/000_e52ff93ba690b6b9.txt"))
>>> facts[0].kind, facts[0].actor, facts[0].country
('withdrawal', 'United Kingdom', 'MLI')
"""
from __future__ import annotations

import os
from collections import Counter

from spacy.tokens import Doc

from geo.documents.dates import DATELINE, date_phrases, resolve_dates
from geo.documents.facts import PRESENCE_KINDS, Fact, apply_overrides, read_overrides
from geo.documents.frames_places import split_dated_bases
from geo.documents.frames import TRIGGER_KINDS, apply_rule, trigger_matches
from geo.documents.lexicon import LANGUAGES, UN_MISSIONS_BY_HOST
from geo.documents.links import carry_launches
from geo.documents.nlp import parse, pipeline_label, sentences_of
from geo.documents.quantities import quantities_of
from geo.documents.read import Document, text_for_nlp
from geo.documents.sentence import Draft, Sentence, clauses_of, mentions_of
from geo.documents.totals import earlier_counts, gapped_counts, running_totals
from geo.errors import SpilloverError
from geo.names import country_names
from geo.shapes import SAHEL_G5

def extract_facts(documents: list[Document], overrides: str | os.PathLike | None = None) -> list[Fact]:
    """Facts of all ``documents`` (in order), with the overrides file applied if given (overrides win)."""
    facts = [fact for document in documents for fact in extract_document(document)]
    if overrides is not None:
        facts = apply_overrides(facts, read_overrides(overrides))
    return facts


def extract_document(document: Document) -> list[Fact]:
    """All facts of one document, in text order (see :mod:`geo.documents.frames` and the module docstring).

    The text is parsed paragraph by paragraph (:func:`geo.documents.nlp.parse`): time is linear in its length and
    only one piece's parse is held at a time.
    """
    if document.language not in LANGUAGES:
        raise SpilloverError(f"{document.meta_path or document.path}: language {document.language!r} is not "
                             f"supported; the rules read {list(LANGUAGES)} (country names may be French)")
    sentences, drafts, context = [], [], {}
    for offset, doc in parse(_without_datelines(text_for_nlp(document.text))):
        first = len(sentences)
        matches = trigger_matches(doc)
        for sent in sentences_of(doc):
            if not sent.text.strip():
                continue
            dates = date_phrases(doc, sent, document.published)
            triggers = {k for rule, a, b in matches if sent.start <= a < sent.end and TRIGGER_KINDS[rule][0] in
                        PRESENCE_KINDS and rule != "deployment.be" for k in range(a, b)}  # ("it was Sweden that
            # announced …": a copula is no trigger whose object Sweden would be)
            info = Sentence(len(sentences), sent, mentions_of(doc, sent), dates, quantities_of(doc, sent, dates),
                            clauses_of(doc, sent, dates), triggers, offset)
            info.matches = [x for x in matches if sent.start <= x[1] < sent.end]
            info.context = context
            sentences.append(info)
            found: list[Draft] = []
            for rule, start, end in matches:
                if sent.start <= start < sent.end:
                    found += apply_rule(doc, info, rule, start, end, found)
            companies = [m for m in info.mentions if m.label == "COMPANY"]
            if companies:
                context["company"] = companies[-1]  # "the group" in a later sentence
            towns = [m for m in info.mentions if m.label == "TOWN" and m.role != "dateline"]
            if towns:
                context["town"] = (doc[towns[-1].start:towns[-1].end].text, towns[-1].code)  # "the town" later
            found = split_dated_bases(doc, info, _merge(earlier_counts(doc, info, gapped_counts(doc, info, running_totals(
                doc, info, _fold_participles(doc, found))))))
            if any(d.kind == "deployment" and d.size is not None for d in found):
                context["counted"] = info.index  # troops counted: "Bangladesh provides 1,330" next
            if len(sentences) > first + 1:
                _toll_dates_from_before(info, sentences[-2], found)
                _onset_dates_from_next(info, [d for d in drafts if d.sentence_index == sentences[-2].index])
            if info.index == 0 and not sent.text.rstrip().endswith((".", "!", "?", '"', "'")) and \
                    len(sentences_of(doc)) > 1:
                for d in found:
                    d.headline = True
            for d in found:
                d.char_span = _char_span(doc, offset, d.tokens)
            drafts += found
        for info in sentences[first:]:
            info.release()  # keep what the document pass needs, drop the parse
    return _document_pass(document, sentences, drafts)


def _without_datelines(text: str) -> str:
    """The text with each paragraph's dateline ("NIAMEY, 12 December –") blanked (same length): it names where and
    when the report was filed, never an event, and left in it, the parser takes its city for the subject of the
    first clause ("NIAMEY, Dec 12 – Seventy-one soldiers were killed": "soldiers" an apposition, no toll)."""
    out = []
    for line in text.splitlines(keepends=True):
        m = DATELINE.match(line)
        out.append(" " * m.end() + line[m.end():] if m else line)
    return "".join(out)


#: Words of a toll summed over a period or several events.
_SUMMARY_WORDS = frozenset({"years", "decade", "decades", "months", "weeks", "since", "total", "overall",
                            "altogether", "far", "all", "cumulative", "each", "every"})


def _toll_dates_from_before(info: Sentence, previous: Sentence, found: list[Draft]) -> None:
    """A toll told in a sentence with no date phrase of an event (a report's date aside) takes the one event date
    of the sentence before, in the same paragraph ("Fighters attacked the camp on Sunday. At least 30 soldiers were
    killed, officials said on Monday.")."""
    if any(not d.reporting for d in info.dates) or any(t.lower_ in _SUMMARY_WORDS for t in info.span):
        return  # "Over ten years, more than 300 were killed": a sum over a period, not the last event's toll
    dates = [d for d in previous.dates if d.kind in ("point", "range") and not d.reporting and not d.deadline]
    if len({(d.date, d.date_end, d.precision) for d in dates}) > 1:  # "ended a siege on Saturday, hours after
        doc = previous.span.doc  # gunmen stormed the hotel on Friday": the attack's date, when one is
        dates = [d for d in dates if d.verb is not None and doc[d.verb].lemma_ in _ATTACK_VERBS]
    if len({(d.date, d.date_end, d.precision) for d in dates}) != 1:
        return
    for d in found:  # (a report's date, "the government said on Tuesday", never dates the event it reports)
        if d.kind == "casualties" and (d.date is None or d.date.reporting) and d.relation is None:
            d.date = dates[0]
            d.inferred.append("date:previous-sentence")
        elif d.kind == "protest" and d.date is None and d.relation is None and _the_crowd(info, d):
            d.date = dates[0]  # "… marched on the embassy on Sunday. The demonstrators demanded …": that march
            d.inferred.append("date:previous-sentence")


#: Verbs of an attack that a sentence after an onset may tell as its first event.
_ATTACK_VERBS = frozenset({"attack", "strike", "storm", "ambush", "raid", "assault", "overrun", "seize"})


def _onset_dates_from_next(info: Sentence, previous: list[Draft]) -> None:
    """An onset told without a date ("Burkina Faso's war began in Soum province.") takes the date that opens the
    next sentence of its paragraph when that sentence tells an attack ("On 16 December 2016, fighters attacked an
    army post …"): the lede names the start, the next sentence its first event."""
    onsets = [d for d in previous if d.kind == "onset" and d.date is None and d.relation is None]
    if not onsets:
        return
    doc = info.span.doc
    opening = [d for d in info.dates if d.kind == "point" and not d.reporting and not d.deadline
               and d.tok_start <= info.span.start + 1]
    if not opening or not any(t.lemma_ in _ATTACK_VERBS and t.pos_ == "VERB" for t in info.span):
        return
    for d in onsets:
        d.date = opening[0]
        d.inferred.append("date:next-sentence")


def _the_crowd(info: Sentence, d: Draft) -> bool:
    """Is the protest's trigger a crowd referred back to ("the demonstrators", "the protesters")?"""
    doc = info.span.doc
    tok = doc[d.trigger[0]]
    noun = tok if tok.pos_ in ("NOUN", "PROPN") else next((c for c in tok.children if c.dep_ == "nsubj"), None)
    return noun is not None and noun.lower_ in ("demonstrators", "protesters", "protestors", "crowd", "crowds",
                                                "marchers") and any(c.lower_ in ("the", "these", "those")
                                                                    for c in noun.children)


def _char_span(doc: Doc, offset: int, tokens: list[tuple[int, int]]) -> tuple[int, int]:
    a = min(doc[s].idx for s, _ in tokens)
    b = max(doc[e - 1].idx + len(doc[e - 1].text) for _, e in tokens)
    return offset + a, offset + b


def _fold_participles(doc: Doc, drafts: list[Draft]) -> list[Draft]:
    """A participle clause of a presence trigger states its consequence, not a second event ("would leave by
    15 September, ending a partnership"; "left Mali, ending a nine-year presence"): it joins the trigger."""
    out = []
    for d in drafts:
        tok = doc[d.trigger[0]]
        purpose = tok.tag_ == "VB" and tok.dep_ == "advcl" and any(c.dep_ == "aux" and c.lower_ == "to"
                                                                   for c in tok.children)  # "arrived … to join X"
        head = next((o for o in drafts if o is not d and o.kind == d.kind and o.actor_key == d.actor_key
                     and (tok.tag_ == "VBG" and tok.dep_ in ("advcl", "xcomp") or purpose)
                     and tok.head.i == o.trigger[0]), None)
        if head is None:
            out.append(d)
            continue
        head.tokens += d.tokens
        head.mission = head.mission or d.mission
    return out


def _merge(drafts: list[Draft]) -> list[Draft]:
    """Merge drafts of one sentence that state the same thing (same kind and actor, no conflicting fields).

    Hosts guessed from a mission's known hosts give way to a host the sentence names for the same actor ("left
    Mali …, ending a nine-year presence" is about Mali, not every Barkhane country).
    """
    named = {(d.kind, d.actor_key) for d in drafts if d.explicit_host}
    drafts = [d for d in drafts if not ("country:mission-host" in d.inferred and (d.kind, d.actor_key) in named)
              or d.country in {x.country for x in drafts if x.explicit_host and x.actor_key == d.actor_key}]
    out: list[Draft] = []
    for d in drafts:
        twin = next((o for o in out if _same(o, d)), None)
        if twin is None:
            out.append(d)
            continue
        for name in ("country", "mission", "date", "size", "magnitude", "planned", "timing", "timing_offset",
                     "count", "period", "place", "relation"):
            if getattr(twin, name) is None:
                setattr(twin, name, getattr(d, name))
        twin.countries = twin.countries or d.countries
        twin.tokens += d.tokens
        twin.now = twin.now or d.now
        if d.explicit_host and not twin.explicit_host:  # the sentence names the host: nothing is inferred
            twin.explicit_host, twin.inferred = True, [x for x in twin.inferred if not x.startswith("country:")]
    return out


def _same(a: Draft, b: Draft) -> bool:
    if a.kind == b.kind == "onset" and a.date is not None and a.date is b.date and a.date.kind in ("point", "range"):
        return True  # "violence has grown in X since 2017, when jihadists began …": the when-clause's onset is X's
    if a.kind != b.kind or (a.actor_key != b.actor_key and a.kind != "coup"):
        return False
    if a.clause != b.clause and (a.relation or b.relation):
        return False  # "…, a month after he announced the end of X": another event, dated from this one
    if (a.rule in ("withdrawal.order", "withdrawal.expulsion")) != (b.rule in ("withdrawal.order",
                                                                             "withdrawal.expulsion")):
        return False  # the host's order and the force's own decision are two facts
    if a.size and b.size and a.size != b.size:
        return False  # "100 troops were sent …, and some 1,000 were later stationed": two facts
    if a.planned is not None and b.planned is not None and a.planned != b.planned:
        return False  # "pulled out in January, days after the junta demanded their withdrawal": two facts
    if a.kind in ("coup",) and a.date is not None and b.date is not None and a.date is not b.date:
        return False
    for name in ("country", "mission"):
        x, y = getattr(a, name), getattr(b, name)
        if x is not None and y is not None and x != y:
            return False
    x, y = a.date, b.date
    if x is not None and y is not None and (x.date, x.kind) != (y.date, y.kind):
        return False
    return a.kind in PRESENCE_KINDS + ("coup", "partnership", "epicentre", "protest")


# ================================================================================================ document pass
def _document_pass(document: Document, sentences: list[Sentence], drafts: list[Draft]) -> list[Fact]:
    main = _main_host(drafts, sentences)
    kept: list[Draft] = []
    regional: list[Draft] = []  # deployments "to the Sahel": no fact, but their size may carry to later hosts
    for i, d in enumerate(drafts):
        if "actor:pending" in d.inferred:  # "the troops will leave": the actor of the previous presence fact
            previous = next((p for p in reversed(drafts[:i]) if p.kind in PRESENCE_KINDS and p.actor_key
                             and "actor:pending" not in p.inferred), None)
            d.inferred.remove("actor:pending")
            if previous is None:
                continue
            d.actor, d.actor_code, d.mission = previous.actor, previous.actor_code, d.mission or previous.mission
            d.inferred.append("actor:continuity")
        if d.mission is None and d.kind in PRESENCE_KINDS and d.actor_key:
            same = next((p for p in reversed(kept) if p.kind in PRESENCE_KINDS and p.actor_key == d.actor_key
                         and p.mission and (d.country is None or p.country == d.country)), None)
            if same is not None:  # "At its peak, about 4,000 French troops were deployed" after "launched Serval"
                d.mission = same.mission
                d.inferred.append("mission:continuity")
        if d.country is None and d.kind in PRESENCE_KINDS and "country:region" not in d.inferred:
            previous = next((p for p in reversed(drafts[:i]) if p.kind in PRESENCE_KINDS and p.explicit_host
                             and p.actor_key == d.actor_key and p.country), None)
            later = None
            if previous is None and d.actor_code in SAHEL_G5:  # a Sahel state's own troops abroad: the host a
                later = next((p for p in drafts[i + 1:] if p.kind in PRESENCE_KINDS and p.explicit_host  # later
                              and p.actor_key == d.actor_key and p.country), None)  # sentence names for them
            if later is not None:
                d.country, d.countries = later.country, later.countries
                d.inferred.append("country:continuity")
            elif previous is not None:
                d.country, d.mission = previous.country, d.mission or previous.mission
                d.countries = previous.countries
                d.inferred.append("country:continuity")
            elif main and d.actor_code not in SAHEL_G5 and "country:region" not in d.inferred:
                d.country = main
                d.inferred.append("country:document")
        if d.the_country_place and main:  # (a first strike's town may stand for the place: "Misseni")
            d.country = d.country or main
            if d.place is None:
                d.place = f"{d.the_country_place} {country_names().english[main]}"
            d.inferred.append("place:the-country")
        reached = next((x.rsplit(":", 1)[1] for x in d.inferred if x.startswith("country:left-for:")), None)
        if d.country is None and reached:  # people who fled into a country: from the country of the events before
            d.country = next((p.country for p in reversed(drafts[:i]) if p.country and p.country != reached
                              and p.kind not in PRESENCE_KINDS), None)
        if d.country is None and d.kind not in PRESENCE_KINDS:
            near = _sentence_country(sentences[d.sentence_index], d)
            if near is not None:
                d.country = near
                d.inferred.append("country:sentence")
            elif main:
                d.country = main
                d.inferred.append("country:document")
        if d.country is None and d.kind == "deployment" and "country:region" in d.inferred:
            regional.append(d)
            continue
        if d.country is None or (d.kind in PRESENCE_KINDS and d.actor_code == d.country):
            continue
        if d.kind == "onset" and d.place is None:
            d.place = country_names().english[d.country]
        if d.kind == "coup" and d.actor and d.actor_code is None:
            d.actor_code = d.country
        if d.mission is None and d.kind in PRESENCE_KINDS and d.actor == "United Nations":
            d.mission = UN_MISSIONS_BY_HOST.get(d.country)
        kept.append(d)
    resolve_dates(kept, sentences, document.published)
    resolve_dates(regional, sentences, document.published)
    kept = carry_launches(kept, regional)
    kept = _one_event_each(kept, document)
    facts, seen = [], Counter()
    for d in kept:
        fact = _to_fact(document, sentences, d)
        seen[fact.id] += 1
        facts.append(fact if seen[fact.id] == 1 else fact.replace(id=f"{fact.id}.{seen[fact.id]}"))
    return facts


def _one_event_each(drafts: list[Draft], document: Document) -> list[Draft]:
    """Merge what the document states twice: a coup mentioned again without a date of its own joins the dated
    coup of the same country; a second toll of one event ("later put the toll at about 160") makes a range;
    a withdrawal or deployment noun dated in the past is reported as done."""
    out: list[Draft] = []
    for d in drafts:
        date, _, _, precision, basis = d.resolved
        if d.headline and any(o.kind == d.kind and o.actor_key == d.actor_key and not o.headline and o.sentence_index
                              <= d.sentence_index + 3 and (o.country == d.country or d.country is None)
                              for o in drafts):
            continue  # the headline repeats the lead's fact (which has the date and details)
        if d.kind == "coup" and basis not in ("stated", "reported") and (d.count or 1) <= 1 and not (
                basis == "relative" and d.relation is not None and date is not None):  # "two days after he ousted"
            if any(o.kind == "coup" and o.country == d.country and o.resolved[4] in ("stated", "reported")
                   for o in drafts):
                continue
        if d.kind == "coup" and (d.count or 1) <= 1 and date is not None and any(
                o.kind == "coup" and o.country == d.country and o is not d and _within(o.resolved, d.resolved)
                for o in drafts):
            continue  # "the coup of July" again after "seized power on 26 July 2023": one event
        if d.kind in ("coup", "protest") and (d.count or 1) <= 1 and date is not None and any(
                o.kind == d.kind and o.country == d.country and (o.actor_key == d.actor_key or d.kind == "coup")
                and (o.count or 1) <= 1
                and o.resolved[0] == date and o.resolved[3] == precision for o in out):
            continue  # "protesters marched on the embassy on Sunday. The demonstrators demanded …": one event
        if d.kind == "casualties" and out:
            twin = next((o for o in reversed(out) if o.kind == "casualties" and o.country == d.country
                         and 0 <= d.sentence_index - o.sentence_index <= 1 and o.size and d.size
                         and (date is None or date == o.resolved[0]) and d.rule == "casualties.toll"), None)
            if twin is not None:
                low, high = sorted((twin.size_min or twin.size, twin.size, d.size))[::2]
                twin.size_min, twin.size = (low, high) if low != high else (None, high)
                continue
        if d.kind in PRESENCE_KINDS and date is None and "actor:continuity" in d.inferred and d.relation is None \
                and "group:another" not in d.inferred:
            twin = next((o for o in reversed(out) if o.kind == d.kind and o.actor_key == d.actor_key and o.country
                         == d.country and o.planned == d.planned and o.resolved[0] is not None and 0 <
                         d.sentence_index - o.sentence_index <= 1 and (o.size is None or d.size in (None, o.size))),
                        None)
            if twin is not None:  # "The last soldiers have left Mali on Monday. The last detachment left Gao":
                twin.bases = tuple(dict.fromkeys(twin.bases + d.bases))  # one exit, told twice
                twin.town_candidates = tuple(dict.fromkeys(twin.town_candidates + d.town_candidates))
                twin.size = twin.size or d.size
                continue
        if d.kind == "deployment" and date is None and d.size and any(
                o.kind == "deployment" and o.actor_key == d.actor_key and o.country == d.country and o.size == d.size
                and o.planned == d.planned for o in out):
            continue  # the same troops, named again without a date ("… has 1,100 troops in Niger")
        if d.kind in PRESENCE_KINDS and d.planned is None and date is not None and date < document.published:
            d.planned = False
        out.append(d)
    return out


def _within(fine: tuple, coarse: tuple) -> bool:
    """Is the resolved date ``fine`` more precise than ``coarse`` and inside its month or year?"""
    order = ("day", "month", "year")
    if fine[0] is None or fine[3] not in order or coarse[3] not in order or order.index(fine[3]) >= order.index(
            coarse[3]):
        return False
    same_month = (fine[0].year, fine[0].month) == (coarse[0].year, coarse[0].month)
    return fine[0].year == coarse[0].year and (coarse[3] == "year" or same_month)


def _main_host(drafts: list[Draft], sentences: list[Sentence]) -> str | None:
    """The document's main host country (see the module docstring), or None."""
    hosts = [d.country for d in drafts if d.kind in PRESENCE_KINDS and d.explicit_host and d.country]
    if hosts:
        counts = Counter(hosts)
        best = max(counts.values())
        return next(h for h in hosts if counts[h] == best)
    named = [m.code for s in sentences for m in s.mentions if m.code in SAHEL_G5]
    if named:
        counts = Counter(named)
        best = max(counts.values())
        return next(c for c in named if counts[c] == best)
    return None


def _sentence_country(info: Sentence, d: Draft) -> str | None:
    states = [m for m in info.mentions if m.label in ("COUNTRY", "DEMONYM", "CAPITAL", "TOWN")
              and m.role not in ("modifier", "force") and m.code != d.actor_code and m.start not in d.not_places]
    if not states:
        return None
    return min(states, key=lambda m: abs(m.start - d.trigger[0])).code





def _adm1_code(place: str | None, bases: tuple[str, ...], country: str | None) -> str | None:
    """The admin-1 unit of the fact's place, else of its single base (:func:`geo.names.adm1_code`), or None.

    A place covering several units ("eastern Mali") gives none; its single base town, if any, then decides.
    """
    from geo.names import adm1_code

    for phrase in (place, bases[0] if len(bases) == 1 else None):
        code = adm1_code(phrase, context=country) if phrase else None
        if code:
            return code
    return None


def _to_fact(document: Document, sentences: list[Sentence], d: Draft) -> Fact:
    info = sentences[d.sentence_index]
    s0, s1 = info.sentence_span
    a, b = d.char_span
    date, date_end, date_text, precision, basis = d.resolved
    bases = tuple(d.bases) or tuple(dict.fromkeys(t for t, code in d.town_candidates if code == d.country))
    return Fact(
        kind=d.kind, country=d.country, document=document.id, rule=d.rule, actor=d.actor, actor_code=d.actor_code,
        mission=d.mission, date=date, date_end=date_end, date_text=date_text, date_precision=precision,
        date_basis=basis, size=d.size, size_min=d.size_min, magnitude=d.magnitude,
        bases=bases, adm1_code=_adm1_code(d.place, bases, d.country),
        planned=d.planned if d.kind in PRESENCE_KINDS else None, timing=d.timing, timing_offset=d.timing_offset,
        count=d.count, period=d.period, place=d.place, countries=tuple(d.countries), inferred=tuple(d.inferred),
        sentence=document.text[s0:s1], sentence_index=d.sentence_index, sentence_span=(s0, s1), span=(a, b),
        pipeline=pipeline_label(),
    )
