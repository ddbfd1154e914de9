"""Where a foreign force is: the hosts and bases of a presence trigger.

What it decides, for a deployment, withdrawal or suspension: the host countries (a location right of the trigger,
lists expanded, a withdrawal's origin "from", never a destination; the trigger's own phrase before a coordinated
verb's; "where" clauses; a suspension's partner "with Niamey"), the towns that are its bases (in the trigger's
own subtree, a partitive "most of them at …", a coordinated verb of waiting, a definite "the town" referring
back, "the capital" of the host), and whether its place is only a region ("across the Sahel").

Example: "France keeps 1,500 soldiers in Niger, most of them at Air Base 101 in Niamey" → host Niger, base
Niamey.
"""
from __future__ import annotations

from dataclasses import replace

from geo.documents.arguments import object_tokens, own_subtree, subject_tokens
from geo.documents.lexicon import FORCE_NOUNS, GOVERNMENT_NOUNS
from geo.documents.sentence import Mention, left_of, list_of, mentions_at, right_of
from geo.names import capital_of
from geo.shapes import REGION


_REGIONS = frozenset({"sahel", "africa", "subregion"})


def region_only(doc, domain) -> bool:
    """Is the place of the trigger a region ("across the Sahel", "in West Africa") rather than a country?"""
    inside = set(domain)
    for k in domain:
        if doc[k].lower_ in _REGIONS and doc[k].dep_ == "pobj" and doc[k].head.lower_ in (
                "in", "across", "to", "into", "throughout", "from", "around") and doc[k].head.i in inside:
            return True
    return False


def find_bases(doc, info, domain, draft) -> list[Mention]:
    """Towns and capitals named as places of the trigger ("stationed in Niamey and Ouallam", "left Gao",
    "deployed to Ménaka"): in the trigger's own subtree (not a coordinated verb's), else in its domain."""
    inside = set(domain)
    away = ("to", "into", "towards", "toward") if draft.kind == "withdrawal" else ()
    ok = [m for m in info.mentions if m.label in ("TOWN", "CAPITAL") and m.start in inside
          and m.role in ("location", "plain") and m.prep not in away and m.prep != "from" or
          (m.label == "TOWN" or m.label == "CAPITAL" and m.role == "location") and m.start in inside and m.prep == "from"
          and draft.kind == "withdrawal" or  # "pull 75 soldiers out of N'Djamena": the capital left
          m.label == "CAPITAL" and m.role == "government" and doc[m.end - 1].dep_ == "dobj"
          and doc[m.end - 1].head.i == draft.trigger[0]]  # "left Niamey": the capital as the place left
    ok = [m for m in ok if not _of_government(doc, m)]
    tok = doc[draft.trigger[0]]
    own = {t.i for t in own_subtree(tok)}
    for c in tok.children:  # "crossed into Niger and is waiting at Ouallam": where the force then waits
        if c.dep_ == "conj" and c.lemma_ in WAIT_VERBS and c.i not in info.triggers:
            own |= {t.i for t in c.subtree}
    verb = tok if tok.dep_ == "relcl" else tok.head if tok.head.dep_ == "relcl" else None
    if verb is not None and any(c.lower_ == "where" for c in verb.children):
        own.add(verb.head.i)  # "headquarters in Bamako, where the UN flag was lowered": Bamako
        ok += [m for m in info.mentions if m.label in ("TOWN", "CAPITAL") and m.end - 1 == verb.head.i
               and m not in ok]
    mine = [m for m in ok if m.start in own]
    if mine or tok.dep_ in ("conj", "relcl", "acl", "advcl") or tok.pos_ == "NOUN" or any(
            c.dep_ == "conj" and c.pos_ in ("VERB", "AUX") for c in tok.children):
        return mine  # the towns of the trigger's own phrase; a noun or a side clause takes no others
    return ok


#: Verbs of a force waiting or gathering where it has moved to: a coordinated one names the trigger's bases.
WAIT_VERBS = frozenset({"wait", "await", "camp", "mass", "regroup", "settle", "assemble", "gather"})

PARTITIVES = frozenset({"most", "many", "some", "all", "half", "part", "several", "few", "bulk", "majority"})


def partitive_towns(doc, info, draft) -> list[Mention]:
    """Towns of a partitive phrase that follows the force of a presence trigger ("… 800 troops in Niger, most of
    them at a drone base near Agadez" → Agadez): the quantifier with "of them"/"of whom" after the trigger, whose
    nearest force noun before it is the trigger's own; its towns up to the next comma or the sentence's end."""
    if draft.kind != "deployment":
        return []
    tok = doc[draft.trigger[0]]
    force = {t.i for t in subject_tokens(doc, tok) + object_tokens(doc, tok)}
    if tok.dep_ in ("acl", "relcl"):
        force.add(tok.head.i)
    end = info.span.end
    for k in range(draft.trigger[1], end - 2):
        if doc[k].lemma_ in PARTITIVES and doc[k + 1].lower_ == "of" and doc[k + 2].lower_ in (
                "them", "whom", "these", "those"):
            nouns = [j for j in range(info.span.start, k) if doc[j].lower_ in FORCE_NOUNS]
            if not nouns or nouns[-1] not in force:
                return []
            stop = next((j for j in range(k + 3, end) if doc[j].is_punct or doc[j].lower_ in ("that", "who",
                                                                                           "which")), end)
            return [m for m in info.mentions if m.label in ("TOWN", "CAPITAL") and k + 3 <= m.start < stop]
    return []


#: Nouns that refer back to a town named before ("the northern town", "the city").
TOWN_NOUNS = frozenset({"town", "city", "garrison town", "locality"})


def town_reference(doc, info, draft) -> tuple:
    """A definite "the (northern) town / city" in the trigger's own phrase: the last town named before it, in
    the sentence or the sentences before ("took Kidal, two weeks after UN peacekeepers left their camp in the
    northern town" → Kidal); as (town, country) candidates of the fact's bases, else ()."""
    subtree = own_subtree(doc[draft.trigger[0]])
    own = [t for t in subtree if t.lower_ in TOWN_NOUNS and t.dep_ in (
        "pobj", "dobj") and any(c.dep_ == "det" and c.lower_ == "the" for c in t.children)]
    if not own:
        if any(t.lower_ == "capital" and any(c.dep_ == "det" and c.lower_ == "the" for c in t.children)
               for t in subtree):  # "left Air Base 101, next to the capital's airport": the host's capital
            return tuple((capital_of(code)[0], code) for code in REGION)
        return ()
    before = [m for m in info.mentions if m.label == "TOWN" and m.end <= own[0].i and m.role != "dateline"]
    if before:
        return ((doc[before[-1].start:before[-1].end].text, before[-1].code),)
    last = info.context.get("town") if info.context else None
    return (last,) if last else ()


def _of_government(doc, m: Mention) -> bool:
    """Does the place say where a government sits ("the junta in Niamey", "authorities in Bamako"), not a base?"""
    head = doc[m.end - 1]
    return head.dep_ == "pobj" and head.head.dep_ == "prep" and head.head.head.lower_ in GOVERNMENT_NOUNS


def find_hosts(doc, info, domain, draft) -> list[Mention]:
    """Host countries of a presence trigger (see the module docstring), in text order, lists expanded."""
    start, end = draft.trigger
    place_ok = lambda m: m.label in ("COUNTRY", "CAPITAL", "TOWN") and m.role == "location"  # noqa: E731
    right = mentions_at(info, right_of(domain, end), place_ok)
    if draft.kind == "withdrawal":
        origin = [m for m in right if m.prep == "from"]
        right = origin or [m for m in right if m.prep not in ("to", "into", "towards", "toward", "between")]
    else:
        right = [m for m in right if m.prep != "from"]
    direct = mentions_at(info, [k for k in right_of(domain, end)[:2] if doc[k].lower_ != "the"] or [],
                          lambda m: m.label in ("COUNTRY", "CAPITAL") and m.role in ("plain", "government"))
    if draft.rule in ("withdrawal.verb",) and direct:
        return list_of(info, direct[0], lambda m: m.label in ("COUNTRY", "CAPITAL"))
    tok = doc[start]
    if right and (tok.dep_ == "conj" or any(c.dep_ == "conj" and c.pos_ in ("VERB", "AUX") for c in tok.children)):
        own = {t.i for t in own_subtree(tok)}
        verbs = [c for c in tok.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")]
        theirs = {t.i for v in verbs for t in v.subtree}  # "withdraw … from the Sahel and keep 2,500 in Niger":
        right = [m for m in right if m.start in own] or [m for m in right if m.start not in theirs]  # not Niger
    if right and draft.kind == "deployment" and len({m.code for m in right}) > 1 and all(
            m.label in ("COUNTRY", "TOWN", "CAPITAL") for m in right):
        own = {t.i for t in own_subtree(tok)}
        inside = [m for m in right if m.start in own]
        if len({m.code for m in inside}) > 1:  # "based in Gao in Mali and in Niamey in Niger": both hosts
            return list({m.code: m for m in reversed(inside)}.values())[::-1]
    if right:
        first = right[0]
        return [m for m in list_of(info, first, place_ok) if m in right or m.role == "location"]
    left = mentions_at(info, left_of(domain, start), place_ok)
    if left:
        return [left[0]]
    where = where_place(doc, info, tok)
    if where is not None:  # "bound for Gao, where French troops are stationed": the place the clause is about
        return [where]
    if draft.kind == "suspension":  # "suspended its military cooperation with Niamey"
        partner = mentions_at(info, [k + 1 for k in right_of(domain, end)[:6] if doc[k].lower_ == "with"],
                               lambda m: m.is_state)
        return partner[:1]
    return []



def where_place(doc, info, tok) -> Mention | None:
    """The town or country a "where" relative clause of the trigger is about, or None."""
    verb = tok if tok.pos_ in ("VERB", "AUX") else tok.head
    while verb.dep_ in ("conj", "xcomp") and verb.head.i != verb.i:
        verb = verb.head
    if verb.dep_ != "relcl" or not any(c.lower_ == "where" for c in verb.children):
        return None
    return next((m for m in info.mentions if m.start <= verb.head.i < m.end
                 and m.label in ("COUNTRY", "CAPITAL", "TOWN") and m.role != "dateline"), None)




def split_dated_bases(doc, info, drafts: list) -> list:
    """One withdrawal or deployment per base when the bases are listed each with a date of its own ("it left Kidal
    in October and Tessalit in November": two withdrawals, one a month). A base without a date of its own keeps
    the draft's date unless that date was another base's; then it is left out here (a later trigger of the
    sentence may name it: "…, and handed its camp in Timbuktu over on 14 December")."""
    out = []
    for d in drafts:
        names = d.bases or tuple(t for t, _ in d.town_candidates)  # (towns of a host still to be found)
        if d.kind not in ("withdrawal", "deployment") or len(names) < 2:
            out.append(d)
            continue
        own = {}
        for base in names:
            m = next((m for m in info.mentions if m.label in ("TOWN", "CAPITAL") and doc[m.start:m.end].text == base),
                     None)
            if m is None:
                continue
            date = next((x for x in info.dates if x.kind in ("point", "range") and not x.reporting and
                         m.end <= x.tok_start <= m.end + 1 and (x.tok_start == m.end or doc[m.end].lower_ in (
                             "in", "on", "by", "from"))), None)
            if date is not None:
                own[base] = date
        if len({(x.date, x.precision) for x in own.values()}) < 2:
            out.append(d)
            continue

        def part(bases):
            if d.bases:
                return replace(d, bases=bases, tokens=list(d.tokens), inferred=list(d.inferred))
            return replace(d, town_candidates=tuple(c for c in d.town_candidates if c[0] in bases),
                           tokens=list(d.tokens), inferred=list(d.inferred))

        for base, date in own.items():
            one = part((base,))
            one.date = date
            one.inferred.append("date:own-base")
            out.append(one)
        rest = tuple(b for b in names if b not in own)
        if rest and (d.date is None or all(d.date is not x for x in own.values())):
            out.append(part(rest))
    return out
