"""Event frames: trigger words by lemma for every fact kind, and how a trigger takes its arguments.

What it decides: which words open a frame (:data:`TRIGGERS`, one rule per trigger class, e.g. ``withdrawal.verb``:
withdraw, leave, quit, pull out, draw down, hand over, cut short …), which frame wins where two overlap, whether
a trigger is negated or hypothetical (dropped), and the date and place attached to each draft.

>>> [rule for rule, kind, form, _ in TRIGGERS][:3]
['withdrawal.verb', 'withdrawal.handover', 'withdrawal.noun']
"""
from __future__ import annotations

from functools import lru_cache

from spacy.matcher import Matcher
from spacy.tokens import Doc

from geo.documents.dates import LATER, RELATION, DateMention, parse_count
from geo.documents.frames_events import coup_frame, epicentre_frame, partnership_frame, protest_frame
from geo.documents.frames_onsets import onset_frame, place_phrase, spread_frame
from geo.documents.frames_presence import contributor_with, part_of_force_at, presence_frame
from geo.documents.frames_tolls import toll_frame
from geo.documents.lexicon import CONFLICT_NOUNS, FORCE_NOUNS, NOW_MARKERS, under_decision
from geo.documents.facts import PRESENCE_KINDS, STATE_KINDS
from geo.documents.nlp import pipeline
from geo.documents.sentence import Draft, Sentence, domain_of, negated

# ================================================================================================ triggers
#: Verbs that change a force's size to "to N" in a main clause ("doubled its contingent to 95 soldiers").
GROW_VERBS = ("double", "triple", "increase", "raise", "boost", "expand", "reduce", "cut", "trim", "scale")


def _words(*forms: str) -> dict:
    return {"LOWER": {"IN": list(forms)}}


_LEAVE = ("leave", "withdraw", "depart", "quit", "go", "withdrawal", "departure", "exit")
_PULL = ("pull", "pulls", "pulled", "pulling")
#: (rule, kind, form, Matcher patterns). ``form``: verb (actor to the left), noun (also to the right),
#: expel (actor is the force ordered out, host the government ordering).
TRIGGERS: tuple[tuple[str, str, str, list], ...] = (
    ("withdrawal.verb", "withdrawal", "verb", [
        [_words("withdraw", "withdraws", "withdrew", "withdrawn", "withdrawing", "leave", "leaves", "leaving",
                "left", "quit", "quits", "quitted", "quitting", "depart", "departs", "departed", "departing", "exit",
                "exits", "exited", "exiting", "recall", "recalls", "recalled", "recalling")],
        [_words(*_PULL), {"IS_PUNCT": False, "OP": "{,6}"}, {"LOWER": "out"}],  # ("pull its more than 1,000
        # military personnel out of Niger")
        [_words("draw", "draws", "drew", "drawing", "drawn"), {"LOWER": "down"}],
        [_words("call", "calls", "called", "calling"), {"IS_PUNCT": False, "OP": "{,4}"}, {"LOWER": "back"}],
        [_words("bring", "brings", "brought", "bringing"), {"IS_PUNCT": False, "OP": "{,4}"}, {"LOWER": "home"}],
        [_words("cut", "cuts", "cutting"), {"LOWER": "short"}],
        # "the last soldiers must be out of Niger by 22 December"
        [{"LEMMA": "be", "POS": {"IN": ["AUX", "VERB"]}}, {"LOWER": "out"}, {"LOWER": "of"}],
    ]),
    ("withdrawal.handover", "withdrawal", "verb", [
        [{"LEMMA": "hand"}, {"IS_ALPHA": True, "OP": "{,6}"}, {"LOWER": "over"}],
        [{"LEMMA": "hand", "POS": "VERB"}],
        [{"LEMMA": {"IN": ["close", "vacate", "evacuate", "abandon"]}}],
        [{"LEMMA": "lower"}, {"IS_ALPHA": True, "OP": "{,3}"}, {"LEMMA": "flag"}],
        [{"LEMMA": "flag"}, {"LEMMA": "be"}, {"LOWER": "lowered"}],  # "where the UN flag was lowered"
    ]),
    ("withdrawal.noun", "withdrawal", "noun", [
        [_words("withdrawal", "withdrawals", "pullout", "pullouts", "departure", "drawdown", "exit",
                "disengagement", "retreat")],
        [_words("pull"), {"ORTH": "-"}, {"LOWER": "out"}],
    ]),
    ("withdrawal.end", "withdrawal", "verb", [
        [_words("end", "ends", "ended", "ending", "terminate", "terminates", "terminated", "terminating")],
        [_words("put", "puts", "putting"), {"LOWER": "an"}, {"LOWER": "end"}, {"LOWER": "to"}],
    ]),
    ("withdrawal.expulsion", "withdrawal", "expel", [
        [_words("expel", "expels", "expelled", "expelling", "expulsion")],
        [{"LEMMA": {"IN": ["remove", "evict", "oust"]}, "POS": "VERB"}, {"IS_PUNCT": False, "OP": "{,4}"}, {"LOWER": {"IN": ["troops", "forces",
                                                                                          "soldiers"]}}],
        [_words("kicked", "kick", "kicks", "threw", "throw", "thrown"), {"LOWER": "out"}],
    ]),
    ("withdrawal.order", "withdrawal", "expel", [
        [_words("ordered", "orders", "order", "asked", "asks", "told", "tells", "demanded", "demands", "gave",
                "give", "gives"), {"OP": "{,10}"}, _words(*_LEAVE)],
        [_words("ordered", "orders", "order", "wanted", "want", "wants"), {"IS_PUNCT": False, "OP": "{1,4}"},
         {"LOWER": "out"}, {"LOWER": "of"}],
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
    ("deployment.send", "deployment", "verb", [[_words("send", "sends", "sent", "sending")],
                                               # "has engaged/committed 2,500 soldiers in Niger" (with a force)
                                               [{"LEMMA": {"IN": ["engage", "commit"]}, "POS": "VERB"}],
                                               [{"LEMMA": "cross"}, {"LOWER": "the", "OP": "?"},  # "crossed (the
                                                {"LOWER": {"IN": ["border", "frontier"]}, "OP": "?"},  # border) into"
                                                {"LOWER": "into"}],
                                               [{"LEMMA": {"IN": ["reinforce", "land"]}, "POS": "VERB"}]]),
    ("deployment.hold", "deployment", "verb", [
        [{"LEMMA": {"IN": ["remain", "stay", "keep", "count", "number", "base", "garrison", "station", "serve",
                           "grow", "retake", "recapture", "reach", "enter", "liberate"]},
          "POS": {"IN": ["VERB", "AUX"]}}],
    ]),
    ("deployment.launch", "deployment", "verb", [
        [{"LEMMA": {"IN": ["launch", "create", "establish", "authorise", "authorize", "open", "join", "contribute",
                           "pledge", "approve"]}, "POS": "VERB"}],
        [{"LEMMA": "take"}, {"LOWER": "over"}],
        [{"LEMMA": "become"}, {"LOWER": {"IN": ["operational", "active"]}}],  # "Takuba became operational in Mali"
    ]),
    ("deployment.arrive", "deployment", "verb", [[_words("arrive", "arrives", "arrived", "arriving")]]),
    # "in 2020 it doubled its contingent to 95 soldiers": a force grown (or cut) to a stated size, a presence
    ("deployment.grow", "deployment", "verb", [[{"LEMMA": {"IN": list(GROW_VERBS)}, "POS": "VERB"}]]),
    # "the French have been replaced by Russian instructors": the agent arrives (the replaced may have left)
    ("deployment.replace", "deployment", "verb", [[{"LEMMA": "replace", "POS": "VERB"}, {"LOWER": "by"}]]),
    # "the United States has about 1,100 troops in Niger": a state, only with a force noun and a host named
    ("deployment.have", "deployment", "verb", [[{"LEMMA": "have", "POS": "VERB", "TAG": {"IN": ["VBZ", "VBP"]}}]]),
    # "about 1,500 French soldiers are in Niger", "there are 1,000 US troops in Niger": a state, with a number
    ("deployment.be", "deployment", "verb", [[{"LEMMA": "be", "POS": {"IN": ["AUX", "VERB"]},
                                              "DEP": {"IN": ["ROOT", "ccomp", "conj"]}}]]),
    # "a second contingent of 200 is expected": a deployment announced (no other verb completes "expected")
    ("deployment.expected", "deployment", "verb", [[{"LEMMA": "expect", "TAG": "VBN"}]]),
    # "Chad is the largest contributor, with 1,450 soldiers. Bangladesh provides 1,330": a bare count after troops
    ("deployment.provide", "deployment", "verb", [[{"LEMMA": {"IN": ["provide", "supply", "field"]}, "POS": "VERB"}]]),
    # "the remaining 260 soldiers are due in Gao in January": a force due somewhere is a deployment planned
    ("deployment.due", "deployment", "verb", [[{"LOWER": "due", "DEP": "acomp"}, {"LOWER": {"IN": ["in", "at"]}}]]),
    # the host is the subject, the force the object: "Niger welcomed Russian instructors in April"
    ("deployment.welcome", "deployment", "expel", [[{"LEMMA": {"IN": ["welcome", "host"]}, "POS": "VERB"}]]),
    ("deployment.noun", "deployment", "noun", [[_words("deployment", "deployments", "arrival", "activation", "dispatch"),
                                                {"LOWER": "of"}]]),
    ("coup.noun", "coup", "noun", [[_words("coup", "coups", "putsch", "putsches")],
                                   [_words("military", "army"), _words("takeover", "takeovers")]]),
    # "the junta, which came to power in August 2020": only with a military subject (elections bring others)
    ("coup.came", "coup", "verb", [[_words("come", "comes", "came", "coming"), {"LOWER": "to"}, {"LOWER": "power"}]]),
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
                "ties", "allied", "agreement", "agreements", "accord", "pact", "arrangement"), {"LOWER": "with"}],
        [_words("work", "works", "worked", "working"), {"IS_ALPHA": True, "OP": "{,2}"},
         {"LOWER": {"IN": ["with", "alongside"]}}],
        # "Wagner fighters have fought alongside Malian soldiers": fighting beside a state's army
        [{"LEMMA": {"IN": ["fight", "operate", "serve", "patrol", "deploy"]}}, {"IS_ALPHA": True, "OP": "{,2}"},
         {"LOWER": "alongside"}],
        [{"LEMMA": {"IN": ["fight", "operate", "serve", "patrol"]}}, {"IS_ALPHA": True, "OP": "{,2}"},
         {"LOWER": "with"}, {"LOWER": {"IN": ["the", "malian", "burkinabe", "burkinabè", "nigerien", "chadian",
                                               "mauritanian", "sudanese", "libyan", "central"]}, "OP": "?"},
         {"LOWER": {"IN": ["army", "armies", "troops", "soldiers", "forces", "military", "junta", "government"]}}],
        # "with the help of Wagner fighters, the army retook …": the partner is to the right
        [{"LOWER": "with"}, {"LOWER": "the"}, _words("help", "support", "backing", "assistance"), {"LOWER": "of"}],
    ]),
    ("partnership.verb", "partnership", "verb", [
        [_words("hire", "hires", "hired", "hiring", "recruit", "recruits", "recruited", "recruiting", "enlisted",
                "enlist", "invited", "invite", "contracted")],
        [_words("turn", "turns", "turned", "turning"), {"LOWER": "to"}],
        [_words("rely", "relies", "relied", "relying"), {"POS": "ADV", "OP": "{,2}"}, {"LOWER": "on"}],
        [_words("backed", "supported", "assisted", "aided"), {"LOWER": "by"}],
        [_words("brought", "bring", "brings", "bringing"), {"LOWER": "in"}],
        [_words("pay", "pays", "paid", "paying")],  # "Mali pays the Wagner Group $10 million a month"
    ]),
    ("protest", "protest", "verb", [
        [_words("protest", "protests", "protested", "protesting", "protesters", "protestors", "demonstrate",
                "demonstrates", "demonstrated", "demonstrating", "demonstration", "demonstrations",
                "demonstrators", "rally", "rallies", "rallied", "rallying", "marched", "marching", "marchers")],
        [_words("took", "take", "taking", "takes"), {"LOWER": "to"}, {"LOWER": "the"}, {"LOWER": "streets"}],
        [_words("sit"), {"ORTH": "-"}, _words("in", "ins")],
    ]),
    # "crowds had gathered in Kaya, accusing the French army …": only with a crowd as the subject (protest_frame)
    ("protest.crowd", "protest", "crowd", [
        [{"LEMMA": {"IN": ["gather", "assemble", "converge", "besiege", "chant"]},
          "POS": "VERB"}],
    ]),
    ("onset.verb", "onset", "verb", [
        [_words("erupted", "erupt", "erupts", "began", "begun", "begins", "started", "starts", "emerged",
                "emerges", "launched", "sparked", "ignited", "flared")],
        [_words("broke", "broken", "breaks"), {"LOWER": "out"}],
        [_words("took", "taken"), {"LOWER": "root"}],
        [_words("outbreak", "onset", "start", "beginning"), {"LOWER": "of"}],
    ]),
    # "opened a new front in central Mali": the phrase itself names the fighting
    ("onset.front", "onset", "arms", [[{"LEMMA": "open", "POS": "VERB"}, {"IS_PUNCT": False, "OP": "{,2}"},
                                       {"LEMMA": "front", "DEP": "dobj"}]]),
    # "where Boko Haram first struck in February 2015": an armed group's first strike in a place (verb only: "the
    # first attack on Togolese soil" may be a spread)
    ("onset.first", "onset", "first", [[{"LOWER": "first"}, {"LEMMA": {"IN": ["strike", "attack", "appear"]},
                                                             "POS": "VERB"}]]),
    # "in the first jihadist attack on Ivorian soil", "the first time that … strike on Chadian territory"
    ("onset.first_noun", "onset", "first_noun", [
        [{"LOWER": "first"}, {"POS": {"IN": ["ADJ", "PROPN", "NOUN"]}, "LOWER": {"NOT_IN": ["time"]}, "OP": "{,2}"},
         {"LEMMA": {"IN": ["attack", "assault", "strike", "raid"]}, "POS": "NOUN"}],
        [{"LOWER": "first"}, {"LOWER": "time"}]]),
    ("onset.since", "onset", "since", [[{"LOWER": {"IN": sorted(CONFLICT_NOUNS)}}, {"OP": "{,3}"},
                                        {"LOWER": "since"}],
                                       [{"LOWER": {"IN": sorted(CONFLICT_NOUNS)}, "DEP": {"IN": ["nsubj", "nsubjpass"]}},
                                        {"IS_PUNCT": False, "LOWER": {"NOT_IN": ["when", "after", "which", "that"]},
                                         "OP": "{,6}"}, {"LOWER": "since"}],
                                       # "jihadist attacks that have killed thousands of people since 2015": the
                                       # conflict a relative clause says has gone on since a date
                                       [{"LOWER": {"IN": sorted(CONFLICT_NOUNS)}}, {"LOWER": {"IN": ["that", "which"]}},
                                        {"LOWER": {"IN": ["has", "have"]}},
                                        {"IS_PUNCT": False, "LOWER": {"NOT_IN": ["when", "after", "before"]},
                                         "OP": "{1,6}"}, {"LOWER": "since"}]]),
    ("spread", "spread", "verb", [
        [_words("spilled", "spill", "spills", "spilling", "spilt"), {"LOWER": {"IN": ["over", "into", "across"]}}],
        [_words("spillover")],
        [_words("spill"), {"ORTH": "-"}, {"LOWER": "over"}],
        [_words("spread", "spreads", "spreading", "expanded", "expand", "expands", "expanding", "extended",
                "extends", "extending", "reached", "reaches", "reaching", "engulfed", "engulfs", "engulfing")],
        [_words("moved", "moves", "moving", "crossed", "crosses", "crossing"), _words("into")],
        [{"LEMMA": "cross"}, {"LOWER": "the", "OP": "?"}, _words("border", "frontier"), _words("into", "from")],
    ]),
    ("casualties", "casualties", "verb", [
        [_words("killed", "killing", "kills", "kill", "dead", "deaths", "died", "die", "massacred",
                "slaughtered", "slain", "fatalities", "casualties", "executed")],
        [_words("lost"), {"LOWER": "their"}, {"LOWER": "lives"}],
        [{"LEMMA": "claim"}, {"LOWER": "the"}, {"LOWER": "lives"}, {"LOWER": "of"}],
        # "the massacre claimed 160 lives", "cost at least 30 lives"
        [{"LEMMA": {"IN": ["claim", "cost", "take"]}}, {"IS_PUNCT": False, "OP": "{1,4}"}, {"LOWER": "lives"}],
        [_words("death"), {"LOWER": "toll"}],
    ]),
    ("casualties.toll", "casualties", "verb", [[{"LOWER": "toll"}, {"LOWER": {"IN": ["at", "of", "to"]}}]]),
    ("displacement", "displacement", "verb", [
        [_words("displaced", "displacement", "fled", "fleeing", "flee", "flees", "uprooted", "refugees", "idps")],
        [_words("forced"), {"LOWER": "from"}, {"LOWER": "their"}, {"LOWER": "homes"}],
        [{"LEMMA": {"IN": ["force", "drive", "chase"]}}, {"IS_PUNCT": False, "OP": "{1,6}"}, {"LOWER": "from"},
         {"LOWER": {"IN": ["their", "his", "her"]}}, {"LOWER": {"IN": ["homes", "home", "villages"]}}],
        [{"LEMMA": {"IN": ["abandon", "leave", "desert"]}}, {"LOWER": {"IN": ["their", "his", "her"]}},
         {"LOWER": {"IN": ["homes", "home", "villages", "village", "farms", "fields", "towns"]}}],
        # "19,000 have sought refuge in Mali": people who fled, counted where they come from
        [{"LEMMA": {"IN": ["seek", "take", "find"]}}, {"LOWER": {"IN": ["refuge", "shelter", "sanctuary"]}}],
    ]),
    ("epicentre", "epicentre", "verb", [[_words("epicentre", "epicenter", "épicentre", "hotbed")]]),
)
TRIGGER_KINDS = {rule: (kind, form) for rule, kind, form, _ in TRIGGERS}
#: Objects a suspension verb or "end" must have nearby (to its right) to be about foreign forces.


@lru_cache(maxsize=1)
def _matcher() -> Matcher:
    matcher = Matcher(pipeline().vocab)
    for rule, _kind, _form, patterns in TRIGGERS:
        matcher.add(rule, patterns)
    return matcher


def trigger_matches(doc: Doc) -> list[tuple[str, int, int]]:
    """Trigger matches, longest first where they overlap (an expulsion beats the "leave" inside it)."""
    vocab = doc.vocab.strings
    raw = sorted(((vocab[mid], s if doc[s].lemma_ != "flag" else e - 1, e) for mid, s, e in _matcher()(doc)),
                 key=lambda x: (-(x[2] - x[1]), x[1]))  # "the flag was lowered": the verb is the trigger
    kept: list[tuple[str, int, int]] = []
    for rule, s, e in raw:
        kind = TRIGGER_KINDS[rule][0]
        if rule == "withdrawal.verb" and doc[s].lemma_ == "leave" and _resultative(doc, e):
            continue  # "the raid left 14 soldiers dead": a toll, nobody leaves
        if rule == "withdrawal.verb" and doc[s].lemma_ == "leave" and doc[s].dep_ == "acl" and not any(
                c.dep_.startswith("nsubj") for c in doc[s].children):
            continue  # "the largest French force left in the Sahel": what remains, nobody leaves
        if rule == "deployment.be" and not any(c.dep_ in ("nsubj", "attr") and any(
                t.like_num for t in c.subtree) and any(t.lower_ in FORCE_NOUNS for t in c.subtree)
                for c in doc[s].children) and not contributor_with(doc[s]) and not part_of_force_at(doc[s]):
            continue  # a copula is a trigger only with a number in its subject ("1,500 soldiers are in Niger")
        if any(s < ke and ks < e and TRIGGER_KINDS[kr][0] == kind for kr, ks, ke in kept):
            continue
        if any(s < ke and ks < e and kr.startswith(("withdrawal", "suspension")) for kr, ks, ke in kept) \
                and kind in PRESENCE_KINDS:
            continue
        kept.append((rule, s, e))
    return sorted(kept, key=lambda x: (x[1], x[2]))


_SUBORDINATE = frozenset({"after", "before", "when", "since", "until", "once", "as"})


def _reports(doc, verb: int | None, start: int) -> bool:
    """Is the trigger part of what the verb of saying reports, not of a clause about another time ("…, days
    after the junta demanded that they leave")?"""
    if verb is None:
        return False
    tok = doc[start]
    while tok.i != verb:
        if any(c.dep_ in ("mark", "advmod") and c.lower_ in _SUBORDINATE for c in tok.children):
            return False
        if tok.head.i == tok.i:
            return False
        tok = tok.head
    return True


def _resultative(doc, end: int) -> bool:
    """Does "left" read "left <them> dead/wounded/homeless" (a result, before any punctuation)?"""
    for k in range(end, min(end + 8, len(doc))):
        if doc[k].is_punct:
            return False
        if doc[k].lower_ in ("dead", "wounded", "injured", "homeless", "destitute"):
            return True
    return False


def apply_rule(doc: Doc, info: Sentence, rule: str, start: int, end: int, earlier: list[Draft]) -> list[Draft]:
    kind, form = TRIGGER_KINDS[rule]
    clause_no = next(k for k, c in enumerate(info.clauses) if c.start <= start < c.end)
    domain = domain_of(info.clauses, start)
    if negated(doc, domain, start) or hypothetical(doc[start]):
        return []
    draft = Draft(kind, rule, info.index, (start, end), clause_no, [(start, end)])
    builder = {"deployment": presence_frame, "withdrawal": presence_frame, "suspension": presence_frame, "coup": coup_frame,
               "partnership": partnership_frame, "protest": protest_frame, "onset": onset_frame, "spread": spread_frame,
               "casualties": toll_frame, "displacement": toll_frame, "epicentre": epicentre_frame}[kind]
    drafts = builder(doc, info, draft, form, domain, earlier)
    for d in drafts:
        if kind == "coup" and form == "noun" and doc[start].dep_ in ("compound", "amod", "nmod") and \
                doc[start].head.pos_ in ("NOUN", "PROPN"):
            continue  # "the coup leaders warned … on Sunday": a coup named by its people; the date is theirs
        _attach_date(doc, info, d, domain)
        if d.place is None and kind not in ("onset",):
            _attach_place(doc, info, d, domain)
    return drafts


def _attach_date(doc, info, draft, domain) -> None:
    """The date phrase nearest the trigger in its domain; the relation to another clause; the tense."""
    start, end = draft.trigger
    words = {doc[k].lower_ for k in domain}
    present = {"is", "are", "'re", "am"} if draft.kind in STATE_KINDS else set()  # "the partnership is …"
    draft.now = _own_now(doc[start], present) or bool(words & {"now", "currently", "today", "latest", "comes",
                                                               "says", "say"}) or doc[start].lower_ in (
        "leaves", "withdraws", "ends", "halts", "suspends", "deploys", "quits")
    if draft.kind == "deployment" and _simple_present(doc[start]) and (
            not _own_now(doc[start], set()) or draft.rule == "deployment.have"):
        draft.now = False  # "about 800 troops are currently stationed in Niger": a state in the present, no date
    if draft.date is None:
        found = [d for d in info.dates if d.tok_start in domain]
        own = [d for d in found if not d.reporting]
        found = own or found  # a report's date only when the event has none of its own
        head_verb = doc[start].head.i if doc[start].pos_ in ("NOUN", "PROPN", "ADJ") else None
        if draft.kind in ("casualties", "displacement") and (doc[start].dep_ == "amod" or head_verb is not None) \
                and (head_verb is None or doc[head_verb].pos_ not in ("VERB", "AUX")):
            # "the number of displaced people reached 400,000 in March": the verb above the trigger's noun
            head_verb = next((a.i for a in doc[start].ancestors if a.pos_ in ("VERB", "AUX")), head_verb)
        mine = [d for d in found if (d.verb in (start, head_verb) or _hangs_on(doc, d, start)) and d.kind in (
            "point", "range")]  # (a noun or adjective trigger: the verb it is an argument of, "left 30 dead")
        others = {k for r, a, b in info.matches if a != start and not (  # (a crowd that gathered on Sunday
            draft.kind == "protest" and TRIGGER_KINDS[r][0] == "protest")  # demanding …: one protest, one date)
                  for k in range(a, b)} if info.matches else set()
        opened = [d for d in found if d.kind == "open"]
        found = mine + opened or [d for d in found if d.verb is None or d.verb == start or d.verb not in others]
        # (5) "stationed … before the coup of July": the date of another event, not of this one
        found = [d for d in found if not _inside_relative_phrase(doc, d, start) and not _other_relative(doc, d, start)]
        decision = under_decision(doc[start]) if draft.kind in PRESENCE_KINDS else None
        if decision is not None:  # "is due to vote on Monday on sending soldiers": Monday is the vote's
            found = [d for d in found if d.verb != decision.i]
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
                if nearest.kind == "now" and draft.kind == "deployment" and _simple_present(doc[start]):
                    draft.now, draft.date = False, None  # "is staying for now": a state, no date
                if nearest.kind == "unknown":
                    draft.now = False
                if nearest.kind in ("point", "range"):
                    draft.tokens.append((nearest.tok_start, nearest.tok_end))
    if draft.date is not None and draft.date.ambiguous and "date:ambiguous" not in draft.inferred:
        draft.inferred.append("date:ambiguous")  # a month or day placed in a year without a verb or anchor to go by
    clause = info.clauses[draft.clause]
    if draft.date is None:  # "…, when Katiba Macina began attacks": a when-clause shares its main clause's date
        for k in (draft.clause - 1, draft.clause + 1):
            if not 0 <= k < len(info.clauses):
                continue
            later = info.clauses[max(k, draft.clause)]
            since = k == draft.clause + 1 and draft.kind in STATE_KINDS and doc[later.start].lower_ == "since"
            if doc[later.start].lower_ not in ("when", "as") and not since:
                continue  # (a state "since the violence began in 2015" is dated from then)
            near = [x for x in info.dates if info.clauses[k].start <= x.tok_start < info.clauses[k].end
                    and x.kind in ("point", "range") and not x.deadline and not x.reporting]
            if near:
                draft.date = near[0]
                draft.tokens.append((near[0].tok_start, near[0].tok_end))
                if since:
                    draft.inferred.append("date:since")  # from then until at least publication
                break
    if draft.date is None and draft.kind in ("casualties", "displacement"):
        _date_of_antecedent(doc, info, draft)  # "an attack … on 26 September, in which 11 soldiers were killed"
    if draft.date is None and draft.kind in PRESENCE_KINDS and draft.planned:
        # "Germany will … withdraw its 300 soldiers, while staying …, the minister said on Wednesday": a plan with
        # no date of its own is dated by its announcement, in whichever clause the report's date stands
        reports = [x for x in info.dates if x.reporting and x.kind == "point" and _reports(doc, x.verb, start)]
        if len(reports) == 1 and not any(x.deadline for x in info.dates):  # (a deadline told with the plan,
            # "will withdraw …, and they will all have left by the end of the year", dates it, not its report)
            draft.date = reports[0]
            draft.tokens.append((reports[0].tok_start, reports[0].tok_end))
    for m in RELATION.finditer(info.span.text):
        span = doc.char_span(info.span.start_char + m.start(), info.span.start_char + m.end(), alignment_mode="expand")
        boundary = span.end - 1
        if clause.start == boundary and draft.clause > 0 and (draft.date is None or draft.date.reporting
                                                              or draft.date.kind not in ("point", "range")):
            n = parse_count(m.group("n")) or 1
            sign = -1 if m.group("dir").lower() == "after" else 1
            before = info.clauses[draft.clause - 1]
            anchors = [x for x in info.dates if before.start <= x.tok_start < before.end and x.kind == "point"
                       and not x.deadline]
            draft.relation = (draft.clause - 1, sign * n, m.group("unit"), anchors[-1] if anchors else None)
            draft.date = DateMention(span.start_char, span.end_char, span.start, span.end, m.group(0), "relation")
            draft.tokens.append((span.start, span.end))
    for m in RELATION.finditer(info.span.text):  # "five months after the coup": the noun is dated from the clause
        span = doc.char_span(info.span.start_char + m.start(), info.span.start_char + m.end(), alignment_mode="expand")
        word = doc[span.end - 1]
        inside = {t.i for t in word.subtree}
        own = draft.date is not None and draft.date.kind in ("point", "range") and not draft.date.reporting \
            and draft.date.tok_start in inside  # "after the coup that ousted Bazoum on 26 July": its own date
        if word.dep_ == "prep" and start in inside and start >= span.end and not own:
            n = parse_count(m.group("n")) or 1
            sign = -1 if m.group("dir").lower() == "after" else 1
            anchors = [x for x in info.dates if x.tok_end <= span.start and x.kind == "point" and not x.deadline]
            draft.relation = (draft.clause, sign * n, m.group("unit"), anchors[-1] if anchors else None)
            draft.date = DateMention(span.start_char, span.end_char, span.start, span.end, m.group(0), "relation")
            draft.tokens.append((span.start, span.end))
    for m in LATER.finditer(info.span.text):
        span = doc.char_span(info.span.start_char + m.start(), info.span.start_char + m.end(), alignment_mode="expand")
        if span.start in domain and draft.date is None:
            n = parse_count(m.group("n")) or 1
            sign = 1 if m.group("dir").lower() == "later" else -1
            draft.relation = (-1, sign * n, m.group("unit"))
            draft.date = DateMention(span.start_char, span.end_char, span.start, span.end, m.group(0), "relation")
            draft.tokens.append((span.start, span.end))


def _date_of_antecedent(doc, info, draft) -> None:
    """A toll told in a relative clause "in/during which …" or "where …" takes the date of the noun the clause is
    on: the date phrase that is that noun or in its own phrase ("after an attack near Gaskindé on 26 September,
    in which 11 soldiers were killed"), or, where the parse makes the clause the main one, the date phrase just
    before "in/during which"."""
    verb = doc[draft.trigger[0]]
    for _ in range(3):
        if verb.dep_ == "relcl" or verb.head.i == verb.i:
            break
        verb = verb.head
    which = next((c for c in verb.children if c.dep_ == "prep" and c.lower_ in ("in", "during") and any(
        g.lower_ == "which" for g in c.children)), None)
    own = [x for x in info.dates if x.kind in ("point", "range") and not x.reporting and not x.deadline]
    if verb.dep_ == "relcl" and (which is not None or any(c.lower_ == "where" for c in verb.children)):
        head = verb.head
        phrase = {t.i for t in head.subtree} - {t.i for t in verb.subtree}
        near = [x for x in own if x.tok_start <= head.i < x.tok_end or x.tok_start in phrase]
    elif which is not None and which.i < verb.i:
        near = [x for x in own if which.i - 2 <= x.tok_end <= which.i and all(
            doc[k].is_punct for k in range(x.tok_end, which.i))]
    else:
        return
    if near:
        draft.date = near[-1]
        draft.tokens.append((near[-1].tok_start, near[-1].tok_end))
        draft.inferred.append("date:antecedent")


#: Verbs that make what they govern hypothetical or denied ("threatened to pull out", "denied hiring Wagner").
HYPOTHETICAL_VERBS = frozenset({"threaten", "consider", "mull", "weigh", "contemplate", "propose", "debate",
                                "refuse", "deny", "reject", "doubt", "rule", "discuss", "study", "warn"})


def _simple_present(tok) -> bool:
    """Is the verb in the simple or progressive present ("are stationed", "is staying", "remain"), not the
    perfect or the future?"""
    aux = {c.lower_ for c in tok.children if c.dep_ in ("aux", "auxpass")}
    if aux & {"has", "have", "had", "will", "'ll", "would", "shall", "was", "were"}:
        return False
    return tok.tag_ in ("VBZ", "VBP") or bool(tok.tag_ in ("VBG", "VBN") and aux & {"is", "are", "'s", "'re"})


def _own_now(tok, present: set) -> bool:
    """Is the trigger's own verb (or the verb it completes) in the perfect or the future ("has cut short", "will
    leave", "has become the latest … to draw down")? Another verb's tense in the clause does not count."""
    for _ in range(4):
        if any(c.dep_ in ("aux", "auxpass") and c.lower_ in NOW_MARKERS | present for c in tok.children):
            return True
        if present and tok.lower_ in present:
            return True
        if tok.head.i == tok.i:
            return False
        if tok.dep_ in ("xcomp", "conj") or tok.pos_ in ("NOUN", "PROPN") and tok.dep_ in (
                "nsubj", "nsubjpass", "dobj", "attr"):
            tok = tok.head  # the verb the trigger completes, or of which the trigger noun is an argument
        elif tok.dep_ == "relcl":  # "an insurgency …, which spilled over": the clause the noun belongs to
            tok = tok.head
            while tok.pos_ not in ("VERB", "AUX") and tok.head.i != tok.i:
                tok = tok.head
        else:
            return False
    return False


def hypothetical(tok) -> bool:
    """Is the trigger ``tok`` threatened, considered, denied or conditional rather than done or decided?"""
    governed = ("xcomp", "ccomp", "pcomp", "pobj", "dobj", "advcl")
    for _ in range(3):
        if any(c.dep_ == "mark" and c.lower_ in ("if", "unless") for c in tok.children) or any(
                c.dep_ == "advcl" and any(g.dep_ == "mark" and g.lower_ in ("if", "unless") for g in c.children)
                for c in tok.children):
            return True  # "if attacks continue, Benin would withdraw"
        if tok.dep_ in governed and tok.head.lemma_ in HYPOTHETICAL_VERBS and (
                tok.dep_ != "advcl" or any(c.lower_ == "to" and c.dep_ == "aux" for c in tok.children)):
            return True  # "threatened to pull its troops out"
        if tok.dep_ in ("acl", "ccomp") and tok.head.pos_ == "NOUN" and tok.head.dep_ in (
                "nsubj", "nsubjpass", "dobj") and tok.head.head.lemma_ in HYPOTHETICAL_VERBS:
            return True  # "reports that Russian troops had arrived … were denied"
        if tok.head.i == tok.i or tok.dep_ not in governed + ("prep", "conj"):
            return False
        tok = tok.head
    return False


def _other_relative(doc, mention, trigger: int) -> bool:
    """Does the date phrase date a relative clause the trigger is not in ("would send 600 soldiers to a force
    that the Council approved in December": December dates the approval)?"""
    if mention.verb is None or mention.verb == trigger:
        return False
    verb = doc[mention.verb]
    return verb.dep_ in ("relcl", "acl") and trigger not in {t.i for t in verb.subtree} and not _hangs_on(
        doc, mention, trigger)


def _hangs_on(doc, mention, trigger: int) -> bool:
    """Does the date phrase hang on the noun trigger below its verb ("relied on Wagner since the departure of
    French forces last year": "last year" dates the departure)?"""
    if doc[trigger].pos_ not in ("NOUN", "PROPN"):
        return False
    tok = doc[mention.tok_start]
    for _ in range(4):
        if tok.head.i == tok.i or tok.pos_ in ("VERB", "AUX"):
            return False
        tok = tok.head
        if tok.i == trigger:
            return True
    return False


def _inside_relative_phrase(doc, mention, trigger: int) -> bool:
    """Is the date phrase inside "before/after <event>" (a PP about another event) rather than on the trigger?"""
    tok = doc[mention.tok_start]
    for _ in range(5):
        if tok.i == trigger or tok.head.i == tok.i:
            return False
        if tok.dep_ == "prep" and tok.lower_ in ("before", "after") and tok.i < mention.tok_start:
            return any(t.lower_ in ("coup", "attack", "attacks", "departure", "arrival", "election", "summit",
                                    "withdrawal", "putsch", "massacre", "ambush") for t in tok.subtree)
        tok = tok.head
    return False


def _attach_place(doc, info, draft, domain) -> None:
    """A part-of-country phrase near the trigger about the fact's own country ("in western Niger")."""
    start, end = draft.trigger
    place = place_phrase(doc, info, [k for k in domain if start - 12 <= k < end + 15])
    if place is not None and place[0] is not None and place[1] == draft.country:
        draft.place = place[0]


