"""What the frames read from one sentence: named mentions and their roles, clauses, and the draft facts.

What it decides: for each mention of a country, mission, organisation, company or armed group its *role* in the
sentence (location after a preposition of place, modifier in "X-backed" or "Russia's Wagner", agent after "by",
force head in "French troops", government in "Mali's junta"); how the sentence is cut into clauses (at
subordinating words and ", and" + new subject; relative clauses kept apart) and so which words a trigger may take
arguments from (its *domain*).

Example: in "Denmark pulled its troops out of Mali, days after the junta demanded their withdrawal", "Mali" is a
location (prep "from"), and the two triggers live in two clauses.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from geo.documents.dates import DATELINE, DateMention
from geo.documents.lexicon import (CLAUSE_WORDS, FORCE_ADJECTIVES, FORCE_NOUNS, GOVERNMENT_NOUNS, LOCATION_PREPS,
                                   MODIFIER_SUFFIXES, NEGATIONS, RELATIVE_WORDS, SKIPPABLE)
from geo.documents.quantities import Quantity
from geo.names import country_names

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


def mentions_of(doc: Doc, sent: Span) -> list[Mention]:
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
            noun = force_noun_after(doc, tok.i + 1, sent.end)
            if noun is not None:
                out.append(Mention(tok.i, noun + 1, "FORCE", None, doc[tok.i:noun + 1].text, role="force"))
    out.sort(key=lambda m: m.start)
    for m in out:
        if m.label == "DEMONYM" and m.end < sent.end and doc[m.end].lower_ in ("territory", "soil"):
            m.label = "COUNTRY"  # "the Malian territory", "on Nigerien soil": the country itself
    for m in out:
        _assign_role(doc, sent, m, out)
    dateline = DATELINE.match(sent.text)
    if dateline:  # "AGADEZ, Niger, Aug 5 –": where the report was filed, no host or base of an event
        stop = sent.start_char + dateline.end()
        for m in out:
            if doc[m.start].idx < stop:
                m.role = "dateline"
    return out


def force_noun_after(doc: Doc, i: int, stop: int) -> int | None:
    """Index of a force noun at ``i`` (after 's, 'military', 'special', a quote or a number), else None."""
    skipped = 0
    while i < stop and skipped <= 3:
        low = doc[i].lower_
        if low in FORCE_NOUNS and not (low in ("military", "force") and i + 1 < stop
                                       and doc[i + 1].lower_ in FORCE_NOUNS):
            return i
        if low in ("'s", "’s", "military", "special", "armed", "defence", "defense", "remaining", "“", '"',
                   "combat", "ground", "air", "naval", "own") or doc[i].like_num or low in ("-", "strong") or \
                doc[i].ent_type_ == "DEMONYM" and skipped < 3:  # "300 Senegalese soldiers"
            i += 1
            skipped += 1
            continue
        if low in MEMBER_NOUNS and i + 1 < stop and doc[i + 1].lower_ == "of":
            # "the first 135 members of a Chinese peacekeeping contingent": the members are the force's
            for k in range(i + 2, min(i + 7, stop)):
                if doc[k].lower_ in FORCE_NOUNS:
                    return k
                if doc[k].is_punct or doc[k].pos_ in ("VERB", "AUX", "ADP"):
                    break
        return None
    return None


#: Nouns of the people of a group: "135 members of the contingent", "200 elements of the battalion".
MEMBER_NOUNS = frozenset({"members", "elements", "men", "women"})


def _assign_role(doc: Doc, sent: Span, m: Mention, mentions: list[Mention]) -> None:
    after = doc[m.end] if m.end < sent.end else None
    after2 = doc[m.end + 1] if m.end + 1 < sent.end else None
    if after is not None and after.text in ("-", "–") and after2 is not None and after2.lower_ in MODIFIER_SUFFIXES:
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
    noun = force_noun_after(doc, m.end, sent.end) if m.label != "TOWN" else None
    if noun is not None:
        m.role, m.force_end = "force", noun + 1
    elif m.label == "CAPITAL" or (after is not None and (after.lower_ in GOVERNMENT_NOUNS or (
            after.lower_ in ("'s", "’s", "military", "transitional", "ruling")
            and after2 is not None and after2.lower_ in GOVERNMENT_NOUNS | {"military", "army"}))):
        m.role = "government"


def _location_prep(doc: Doc, sent: Span, m: Mention, mentions: list[Mention]) -> str | None:
    """The location preposition governing ``m`` ("in", "from", "comprising" …), through lists; else None."""
    j, skipped = m.start - 1, 0
    while j >= sent.start and skipped < 4 and doc[j].lower_ in SKIPPABLE:
        if doc[j].lower_ == "as" and j > sent.start and doc[j - 1].lower_ == "such":
            return "as"
        j -= 1
        skipped += 1
    if j < sent.start:
        return None
    low = doc[j].lower_
    if low == "of":  # "out of Mali" is an origin; "the north of Mali" is no preposition of place
        if j > sent.start and doc[j - 1].lower_ in ("base", "bases", "camp", "garrison", "airport"):
            return "at"  # "the air base of Niamey": a base at Niamey
        if j > sent.start and doc[j - 1].lower_ == "out":
            return "from"
        noun = doc[j].head  # "into the northern regions of Benin": the preposition that governs the noun
        if doc[j].dep_ == "prep" and noun.lower_ in _AREAS and noun.head.dep_ == "prep" and \
                noun.head.lower_ in LOCATION_PREPS - {"of"}:
            return noun.head.lower_
        return None
    if low in LOCATION_PREPS:
        return low
    if low == "between" and doc[j].head.dep_ == "pobj" and doc[j].head.head.lower_ in LOCATION_PREPS - {"of"}:
        return "between"  # "deploy in the border area between Mali, Niger and Burkina Faso": places of the area
    if low in (":", "–", "—"):
        back = [doc[k].lower_ for k in range(max(sent.start, j - 7), j)]
        found = [w for w in back if w in LOCATION_PREPS and w != "of"]
        return found[-1] if found else None
    if low in (",", "and", "or", "&"):
        if _gapped_subject(doc, sent, m):
            return None  # "… 1,400 soldiers in Mali, and Togo about 900": a new subject, not another place
        k = j - 1 if not (low == "and" and doc[j - 1].text == ",") else j - 2
        previous = [p for p in mentions if p.end - 1 == k]
        if previous and previous[0].role == "location":
            return previous[0].prep
    return None


def _gapped_subject(doc: Doc, sent: Span, m: Mention) -> bool:
    """Is the mention followed by a bare number (a gapped clause: "and Togo about 900, most of them …")?"""
    k = m.end
    while k < sent.end and doc[k].lower_ in ("some", "about", "around", "roughly", "nearly", "almost", "over",
                                              "just", "another"):
        k += 1
    return k > m.end - 1 and k < sent.end and doc[k].like_num and doc[k].pos_ == "NUM" and (
        k + 1 >= sent.end or doc[k + 1].is_punct)


#: Parts of a country named before "of" ("the northern regions of Benin", "the border areas of Niger").
_AREAS = frozenset({"region", "regions", "parts", "part", "areas", "area", "provinces", "province", "districts",
                    "borderlands", "zones", "zone", "states", "countries", "neighbours", "neighbors", "north",
                    "south", "east", "west", "centre", "center", "north-east", "north-west", "south-east",
                    "south-west", "northeast", "northwest", "southeast", "southwest"})


# ================================================================================================ clauses
@dataclass
class Clause:
    """A clause of a sentence (token range) and the relative clauses inside it (kept apart)."""

    start: int
    end: int
    relatives: list[tuple[int, int]] = field(default_factory=list)


def clauses_of(doc: Doc, sent: Span, dates: list["DateMention"]) -> list[Clause]:
    date_starts = {d.tok_start for d in dates}
    cuts = [sent.start]
    for tok in sent:
        if tok.i == sent.start:
            continue
        nxt = doc[tok.i + 1] if tok.i + 1 < sent.end else None
        low = tok.lower_
        if low in CLAUSE_WORDS:
            year = nxt is not None and nxt.like_num and len(nxt.text) == 4 and nxt.text[:2] in ("19", "20")
            if nxt is None or nxt.is_punct or tok.i in date_starts or nxt.i in date_starts or year:
                continue
            if low == "until" and nxt.lower_ == "further":
                continue
            if low == "since" and doc[tok.i - 1].lower_ in ("has", "have", "had", "'s", "’s", "ever", "long"):
                continue  # the adverb: "has since become"
            if tok.dep_ == "prep" and tok.head.pos_ in ("VERB", "AUX", "NOUN") and not any(
                    t.pos_ in ("VERB", "AUX") and t.dep_ not in ("amod", "compound") for t in tok.subtree):
                continue  # a preposition with a noun phrase ("since the departure of French forces"): no clause
            cuts.append(tok.i)
        elif low == ";":
            cuts.append(tok.i + 1)
        elif low in ("and", "but") and doc[tok.i - 1].text == "," and nxt is not None and (
                nxt.text[:1].isupper() or nxt.lower_ in ("the", "a", "an", "its", "their", "it", "they", "he",
                                                          "she", "attacks")):
            cuts.append(tok.i)
    first = doc[sent.start]
    if first.lower_ in CLAUSE_WORDS and first.dep_ == "mark" and first.head.dep_ == "advcl" and \
            first.head.head.i > first.head.i:
        # "After France said it would leave, Estonia decided on Thursday …": the opening clause ends before the
        # main clause (its own words only: the main clause's date is not the opening clause's)
        last = max(t.i for t in first.head.subtree) + 1
        if sent.start < last < first.head.head.i:
            cuts.append(last)
    cuts = sorted(set(cuts)) + [sent.end]
    clauses = [Clause(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]
    for tok in sent:  # non-restrictive relative clauses (", which …"), as the parser delimits them
        if tok.dep_ == "relcl":
            first = min(t.i for t in tok.subtree)
            last = _relative_end(doc, tok, max(t.i for t in tok.subtree) + 1)
            clause = next((c for c in clauses if c.start <= first < c.end), None)
            if clause is not None and first > clause.start and doc[first - 1].text == "," and \
                    _relative_word(doc, first, sent.end):
                clause.relatives.append((first, min(last, clause.end)))
    for clause in clauses:
        if clause.relatives:
            continue
        i = clause.start
        while i < clause.end - 1:
            if doc[i].text == "," and _relative_word(doc, i + 1, clause.end):
                stop = next((k for k in range(i + 2, clause.end) if doc[k].text in (",", "—", "–")), clause.end)
                clause.relatives.append((i + 1, stop))
                i = stop
            i += 1
    return clauses


def _relative_word(doc: Doc, i: int, stop: int) -> bool:
    """Does a relative clause open at ``i``: "which …", "who …", or a part of the noun before it ("some of whom
    joined Takuba", "most of which are in Gao")?"""
    if doc[i].lower_ in RELATIVE_WORDS:
        return True
    return i + 2 < stop and doc[i + 1].lower_ == "of" and doc[i + 2].lower_ in ("whom", "which") and (
        doc[i].like_num or doc[i].pos_ in ("DET", "PRON", "ADJ", "NUM"))


def _relative_end(doc: Doc, relcl, last: int) -> int:
    """End of a relative clause inside a subject ("The juntas, which seized power in Mali in 2020, in Burkina Faso
    in 2022 and in Niger in 2023, formed …"): the parser often hangs the later conjuncts on the noun, but the
    clause runs to the comma before the main verb when only verbless phrases lie between."""
    noun = relcl.head
    verb = noun.head
    if noun.dep_ not in ("nsubj", "nsubjpass") or verb.i <= last:
        return last
    commas = [k for k in range(last, verb.i) if doc[k].text == ","]
    if not commas or any(doc[k].pos_ in ("VERB", "AUX") for k in range(last, commas[-1])):
        return last
    return commas[-1]


def domain_of(clauses: list[Clause], i: int) -> list[int]:
    """Token indices a trigger at ``i`` may take arguments from (see the module docstring)."""
    clause = next(c for c in clauses if c.start <= i < c.end)
    inside = next(((a, b) for a, b in clause.relatives if a <= i < b), None)
    if inside:
        a, b = inside
        main = [k for k in range(clause.start, a) if not any(x <= k < y for x, y in clause.relatives)]
        return main + list(range(a, b))
    return [k for k in range(clause.start, clause.end) if not any(x <= k < y for x, y in clause.relatives)]

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
    size_min: int | None = None
    magnitude: str | None = None
    bases: tuple[str, ...] = ()
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
    char_span: tuple[int, int] | None = None  # evidence [start, end) in the document
    host_dates: dict | None = None  # host code → its own date mention, for coordinated hosts
    headline: bool = False  # stated in the document's headline (a first line without a full stop)
    not_places: tuple = ()  # starts of mentions of the sentence that are no place of the fact ("ties with France")
    town_candidates: tuple = ()  # (town as written, its country) named with the trigger: bases of the final host

    @property
    def actor_key(self) -> str | None:
        return self.actor_code or self.actor


@dataclass
class Sentence:
    """Everything the rules read from one sentence."""

    index: int
    span: Span
    mentions: list[Mention]
    dates: list[DateMention]
    quantities: list[Quantity]
    clauses: list[Clause]
    triggers: set[int]  # tokens of presence triggers (a country right after one is its object, not an actor)
    offset: int = 0  # character offset of the parsed piece in the document
    matches: list = field(default_factory=list)  # (rule, start, end) of the triggers in the sentence
    context: dict = field(default_factory=dict)  # what earlier sentences leave (the last company named)
    sentence_span: tuple[int, int] | None = None  # [start, end) in the document, without surrounding spaces

    def __post_init__(self):
        sent = self.span
        s0 = sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
        s1 = sent.end_char - (len(sent.text) - len(sent.text.rstrip()))
        self.sentence_span = (self.offset + s0, self.offset + s1)

    def release(self) -> None:
        """Drop the parse (kept: index, mentions, sentence span): what the document pass needs."""
        self.span, self.dates, self.quantities, self.clauses, self.triggers = None, [], [], [], set()
        self.matches = []


def negated(doc: Doc, domain: list[int], start: int) -> bool:
    before = [k for k in domain if start - 3 <= k < start]
    return any(doc[k].lower_ in NEGATIONS for k in before)


def left_of(domain: list[int], start: int) -> list[int]:
    return [k for k in reversed(domain) if k < start]


def right_of(domain: list[int], end: int) -> list[int]:
    return [k for k in domain if k >= end]


def mentions_at(info: Sentence, tokens: list[int], ok) -> list[Mention]:
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


def list_of(info: Sentence, first: Mention, ok) -> list[Mention]:
    """``first`` and the mentions joined to it by commas, "and" or "or" (a list such as "Chad, Mali and Niger")."""
    doc = info.span.doc
    out, last = [first], first
    for m in sorted((m for m in info.mentions if m.start >= first.end and ok(m)), key=lambda m: m.start):
        gap = [t.lower_ for t in doc[last.end:m.start]]
        if gap and gap[-1] == "the" and len(gap) > 1:  # "Germany and the United Kingdom"
            gap = gap[:-1]
        if not (gap and len(gap) <= 2 and all(g in (",", "and", "or", "&") for g in gap)):
            break
        if doc[m.end - 1].dep_ in ("nsubj", "nsubjpass") and doc[m.end - 1].head.pos_ in ("VERB", "AUX"):
            break  # "… in Niger, and France keeps a base in Niamey": the next clause's subject, no list member
        out.append(m)
        last = m
    return out


def list_before(info: Sentence, last: Mention, ok) -> list[Mention]:
    """The list that ends with ``last`` ("Côte d'Ivoire, Benin and Sweden" from "Sweden"), in text order."""
    doc = info.span.doc
    out, first = [last], last
    for m in sorted((m for m in info.mentions if m.end <= last.start and ok(m)), key=lambda m: -m.start):
        gap = [t.lower_ for t in doc[m.end:first.start]]
        if gap and gap[-1] == "the" and len(gap) > 1:
            gap = gap[:-1]
        if not (gap and len(gap) <= 2 and all(g in (",", "and", "or", "&") for g in gap)):
            break
        out.insert(0, m)
        first = m
    return out


def no_date(m: Mention) -> DateMention:
    """A date mention that says: this conjunct has no date of its own (none is borrowed from its neighbours)."""
    return DateMention(0, 0, m.start, m.end, "", "unknown")


def coordinated_places(doc, info, domain, end) -> list[tuple[Mention, list]]:
    """Countries named after a trigger, each with the dates that follow it before the next country.

    "seized power in Mali in 2020, in Burkina Faso in 2022 and in Niger in 2023" →
    [(Mali, [2020]), (Burkina Faso, [2022]), (Niger, [2023])]; a list without dates gives each country no date.
    """
    inside = set(domain)
    places = [m for m in info.mentions if m.label in ("COUNTRY", "CAPITAL") and m.start >= end and m.start in inside
              and m.role in ("location", "plain")]
    if not places:
        return []
    # "since the coup in Niger, France has halted …": a clause's subject ends the list
    cut = next((i for i, m in enumerate(places) if doc[m.end - 1].dep_ in ("nsubj", "nsubjpass")
                and doc[m.end - 1].head.i != end - 1), None)  # (the trigger's own subject does not count)
    places = places[:cut]
    if not places:
        return []
    dates = [d for d in info.dates if d.kind in ("point", "range") and d.tok_start >= places[0].start
             and d.tok_start in inside]
    out = []
    for i, m in enumerate(places):
        stop = places[i + 1].start if i + 1 < len(places) else 10 ** 9
        out.append((m, [d for d in dates if m.end <= d.tok_start < stop and not _leads(doc, d, places[i + 1:])]
                    + [d for d in dates if _leads(doc, d, [m])]))
    return out


def _leads(doc, d: "DateMention", following: list) -> bool:
    """Does the date phrase stand before the next conjunct as its own ("…, Niger (July 2023) and, on Wednesday,
    Gabon")? Only commas and "and" lie on either side of it."""
    if not following:
        return False
    gap = [t.lower_ for t in doc[d.tok_end:following[0].start]]
    k = d.tok_start - 1
    if k > 0 and doc[k].lower_ in ("on", "in"):
        k -= 1
    before = doc[k].lower_ if k >= 0 else ""
    return bool(gap) and all(g in (",", "and", "or") for g in gap) and before in (",", "and", "or")
