"""Frames of foreign forces: deployment, withdrawal and suspension (who, where, how many, planned or done).

What it decides, for a presence trigger (launch, deploy, send, station, arrive, land, remain, keep, reinforce, take
over; withdraw, leave, quit, pull out, hand over, end; halt, suspend): the actor (a state, mission, organisation,
company or a force phrase), the host(s) (a location, never a nationality adjective), the mission, the number
attached to the force noun, the bases named with it, whether it is planned, and the timing against the plan.

Example: "Chad has withdrawn 600 of its 1,200 soldiers from Niger" → withdrawal, actor Chad, host Niger, size 600
(and a deployment of 1,200 kept as a state).
"""
from __future__ import annotations

from dataclasses import replace

from geo.documents.arguments import (number_token, object_tokens, own_phrase, own_subtree, partitive_of_pronoun,
                                    subject_tokens)
from geo.documents.dates import TIMING
from geo.documents.lexicon import (FORCE_NOUNS, MISSION_BY_NAME, MODALS, PRESENCE_OBJECTS, UN_MISSIONS_BY_HOST,
                                   under_decision)
from geo.documents.frames_actors import (ACTOR_FROM_DOCUMENT, crowd_demand, expelled, militants,
                                         subject_or_antecedent, subjects, set_actor)
from geo.documents.frames_places import (PARTITIVES, find_bases, find_hosts, partitive_towns, region_only,
                                         town_reference)
from geo.documents.frames_size import attach_size, new_size
from geo.documents.sentence import Draft, Mention, coordinated_places, left_of, mentions_at, no_date, right_of

# ------------------------------------------------------------------------------------------------ presence
def presence_frame(doc, info, draft, form, domain, earlier):
    """Deployment, withdrawal and suspension: actor(s), host(s), mission, size, timing, planned."""
    start, end = draft.trigger
    anaphor = None
    if draft.rule in ("withdrawal.end", "suspension.verb"):
        target = _object_of(doc, info, domain, end)
        if target is None and draft.rule == "withdrawal.end":
            subject = {t.i for t in subject_tokens(doc, doc[start])}
            named = [m for m in info.mentions if m.start in subject and m.label in ("MISSION", "UN_MISSION")]
            if not named and any(doc[k].lower_ in ("mission", "operation") and any(
                    c.lower_ in ("that", "the", "this") for c in doc[k].children) for k in subject):
                # "… the UN mission in Mali until that mission ended": the mission named before it
                named = [m for m in info.mentions if m.end <= start and m.label in ("MISSION", "UN_MISSION")][-1:]
                anaphor = named[0] if named else None
                resolved = _mission(info, [anaphor.start], anaphor.start, []) if anaphor else None
                draft.mission = resolved[0] if resolved else None
            target = (named[0].start, named[0].end) if named else None
        if target is None:
            return []
        if draft.kind == "suspension" and any(doc[k].lemma_ in ("agreement", "accord", "treaty", "pact", "deal")
                                              for k in range(target[0], min(target[1] + 2, len(doc)))):
            return []  # suspending a treaty or an agreement is no suspension of forces
        draft.tokens.append(target)
        if any(doc[k].lower_ in ("mandate", "mandates") for k in range(target[0], target[1])):
            draft.inferred.append("object:mandate")  # the end of a mandate: the departure follows it
    if draft.rule == "deployment.send" and not _force_after(doc, domain, end) and not _names_force(doc, info, start):
        return []
    if doc[start].lemma_ == "cross" and militants(doc, info, start):
        return []  # "jihadist fighters crossed the border into Benin": a spread, no deployment
    if draft.rule == "deployment.expected" and not (
            any(c.dep_ == "auxpass" for c in doc[start].children) and not any(
                c.dep_ in ("xcomp", "ccomp") for c in doc[start].children) and any(
                t.lower_ in FORCE_NOUNS for c in doc[start].children if c.dep_ == "nsubjpass" for t in c.subtree)):
        return []
    if draft.rule == "deployment.provide" and not _bare_count(doc, info, doc[start]):
        return []
    if draft.rule == "deployment.due" and not any(t.lower_ in FORCE_NOUNS for t in subject_tokens(doc, doc[start].head)):
        return []  # only a force is due: "the vote is due in May" is none
    if draft.rule == "deployment.have" and not (any(
            t.lower_ in FORCE_NOUNS - {"presence", "operation", "military"} for t in object_tokens(doc, doc[start]))
            and number_token(doc, doc[start]) is not None):
        return []  # "has about 1,100 troops in Niger": a stated number of troops
    if draft.rule == "deployment.grow" and (new_size(doc, info, doc[start]) is None or doc[start].tag_ == "VBG"):
        return []  # only a force object and a new size "to N" (a participle clause is a running total)
    if draft.rule == "deployment.be" and not (_troops_in(doc, info, doc[start]) or contributor_with(doc[start])
                                               or part_of_force_at(doc[start])):
        return []
    if draft.rule == "deployment.noun" and _a_reason(doc[start]):
        return []  # "…, citing the arrival of Russian mercenaries": a reason given for something else
    if any(t.lower_ == "no" and t.dep_ == "det" for t in object_tokens(doc, doc[start])):
        return []  # "had no troops in Burkina Faso", "sent no soldiers"
    if draft.rule in ("deployment.hold", "withdrawal.handover", "deployment.launch",
                      "deployment.arrive") and not _state_mission(doc, info, start) and not _names_force(
            doc, info, start, bases=draft.rule == "withdrawal.handover", missions=draft.rule != "deployment.hold"
            or True):
        return []
    if draft.kind == "withdrawal":
        first_right = mentions_at(info, right_of(domain, end)[:3], lambda m: True)
        if first_right and first_right[0].label == "ORG":  # leaving an organisation, not a country
            return []
    if draft.kind == "withdrawal" and crowd_demand(doc, info, start):
        # "supporters gathered …, some calling for France to leave": no withdrawal, a protest against France
        targets = [a for a in subjects(doc, info, domain, draft, form, earlier) if isinstance(a, Mention)
                   and (a.is_state or a.label in ("MISSION", "UN_MISSION"))] if form != "noun" else []
        out = []
        for target in targets[:1]:
            protest = replace(draft, kind="protest", rule="protest.demand", tokens=draft.tokens + [target.evidence],
                              inferred=list(draft.inferred))
            set_actor(protest, target)
            protest.not_places = tuple(m.start for m in info.mentions if m.label == "DEMONYM" and m.role not in (
                "government", "force"))  # "waving Russian flags": no place of the protest
            out.append(protest)
        return out
    if form == "expel":
        actors = expelled(doc, info, domain, start, end, earlier)
        host_ok = lambda m: m.is_state and m.role != "modifier" and (  # noqa: E731
            m.label != "DEMONYM" or m.role == "government")  # "relying on Turkish drones": no host
        subject = subject_or_antecedent(doc, doc[start])
        host_found = [m for m in info.mentions if m.start in subject and host_ok(m)] or mentions_at(
            info, left_of(domain, start), host_ok)
        hosts = [host_found[0]] if host_found else []
    elif draft.rule == "deployment.replace":  # "replaced by Russian instructors": the agent, if a force
        agent = {t.i for c in doc[start].children if c.dep_ == "agent" for t in c.subtree}
        words = {doc[k].lower_ for k in agent}
        actors = [m for m in info.mentions if m.start in agent and m.role != "location" and (
            m.label == "COMPANY" or m.label in ("COUNTRY", "DEMONYM", "MISSION", "UN_MISSION") and (
                m.role == "force" or words & FORCE_NOUNS))]
        actors = ([m for m in actors if m.label == "COMPANY"] or actors)[:1]  # "Russian mercenaries of Wagner"
        hosts = find_hosts(doc, info, domain, draft)
    else:
        actors = [anaphor] if anaphor else subjects(doc, info, domain, draft, form, earlier)
        hosts = find_hosts(doc, info, domain, draft)
        if draft.rule == "deployment.have" and not hosts and not _in_the_country(doc, doc[start]):
            return []  # "Mali has 10,000 soldiers": no host named, no foreign presence (but "in the country":
            # the document's host, which the document pass gives it)
        pairs = coordinated_places(doc, info, domain, end)
        if len(pairs) >= 2 and sum(1 for _, dates in pairs if dates) >= 2:
            # "quit Chad in January and Senegal in July": each host with its own date
            hosts = [m for m, _ in pairs]
            draft.host_dates = {m.code: (dates[0] if dates else no_date(m)) for m, dates in pairs}
    if any(t.lower_ in ("other", "more", "additional", "further", "another", "second", "new", "extra", "fresh")
           for t in subject_tokens(doc, doc[start]) + object_tokens(doc, doc[start])):
        draft.inferred.append("group:another")  # "other troops were sent to Gao": not the fact told before
    out = []
    for actor in actors:
        d = replace(draft, tokens=list(draft.tokens), inferred=list(draft.inferred))
        if isinstance(actor, Mention):
            set_actor(d, actor)
            d.tokens.append(actor.evidence)
            if actor.label == "DEMONYM" and actor.role == "force" and actor.start > info.span.start and \
                    doc[actor.start - 1].lower_ in ("the", "this", "that", "these", "those"):
                d.inferred.append("actor:definite")  # "the Dutch unit": the force named before, referred back
        elif actor is ACTOR_FROM_DOCUMENT:
            d.actor, d.actor_code = None, None
            d.inferred.append("actor:pending")
        else:
            d.actor, d.actor_code, d.mission = actor
        out += _withfind_hosts(doc, info, d, form, domain, hosts)
    return out


def _withfind_hosts(doc, info, draft, form, domain, hosts) -> list[Draft]:
    """Attach mission, size, timing and planned to ``draft``; one draft per host (explicit or the mission's)."""
    start = draft.trigger[0]
    tok = doc[start]
    scope = domain
    if tok.dep_ == "conj" or any(c.dep_ == "conj" and c.pos_ in ("VERB", "AUX") for c in tok.children):
        own = {t.i for t in own_subtree(tok)}
        scope = [k for k in domain if k in own] or domain
    mission = _mission(info, scope, start, hosts)
    if mission is not None and draft.actor == "United Nations" and mission[0] in MISSION_BY_NAME and \
            MISSION_BY_NAME[mission[0]].lead != "United Nations" and any(
                m.label == "UN_MISSION" or m.label == "MISSION" and MISSION_BY_NAME[m.name].lead == "United Nations"
                for m in info.mentions):
        mission = None  # "the UN took over: soldiers of the African mission AFISMA became MINUSMA's": MINUSMA
    if mission is not None:
        draft.mission = draft.mission or mission[0]
        draft.tokens.append(mission[1])
    attach_size(doc, info, draft, domain)
    _attach_timing(info, draft, domain)
    draft.planned = _planned(doc, domain, start, form, draft.rule)
    hosts = [h for h in hosts if h.code != draft.actor_code]
    towns = find_bases(doc, info, domain, draft)
    towns += [m for m in partitive_towns(doc, info, draft) if m not in towns]
    draft.town_candidates = tuple((doc[m.start:m.end].text, m.code) for m in towns)
    if not towns:
        draft.town_candidates = town_reference(doc, info, draft)
    if draft.kind == "withdrawal" and towns and not any(h.label == "COUNTRY" for h in hosts) and (
            hosts or any(m.role == "plain" for m in towns)):
        draft.inferred.append("scope:bases")  # "left Ménaka", "closed its bases in Kidal": bases, not the country
    if hosts:
        codes = tuple(dict.fromkeys(h.code for h in hosts))
        out = []
        for host in hosts:
            if not any(d.country == host.code for d in out):
                mine = [m for m in towns if m.code == host.code]
                own = draft.host_dates.get(host.code) if draft.host_dates else None
                out.append(replace(draft, date=own or draft.date,
                                   tokens=draft.tokens + [(host.start, host.end)] + [(m.start, m.end) for m
                                                                                          in mine],
                                   country=host.code, countries=codes, explicit_host=True, inferred=list(draft.inferred),
                                   bases=tuple(dict.fromkeys(doc[m.start:m.end].text for m in mine))))
        return out
    if region_only(doc, [t.i for t in own_phrase(doc[start])]):  # "across the Sahel": no one host is guessed
        draft.inferred.append("country:region")
    if any(doc[k].lower_ in ("border", "borders", "frontier", "frontiers") and k + 1 < len(doc)
           and doc[k + 1].lower_ == "with" for k in domain):
        draft.inferred.append("country:region")  # "along its borders with Burkina Faso": its own side
    if draft.mission in MISSION_BY_NAME and len(MISSION_BY_NAME[draft.mission].hosts) == 1:
        # a mission with one host (MINUSMA: Mali); a mission of several hosts is never spread over all of them:
        # the document pass gives it the host the document is about
        mission_hosts = MISSION_BY_NAME[draft.mission].hosts
        return [replace(draft, country=code, countries=mission_hosts, inferred=draft.inferred + ["country:mission-host"],
                        tokens=list(draft.tokens)) for code in mission_hosts if code != draft.actor_code]
    return [draft]


def _bare_count(doc, info, verb) -> bool:
    """Is the verb's object a bare number and the sentence before about troops ("… the largest troop contributor,
    with about 1,450 soldiers. Bangladesh provides 1,330")?"""
    objects = [c for c in verb.children if c.dep_ == "dobj"]
    return bool(objects) and objects[0].like_num and not any(
        c.dep_ in ("prep", "amod", "compound") for c in objects[0].children) and (
        info.context or {}).get("counted") == info.index - 1


def _in_the_country(doc, verb) -> bool:
    """Does the verb's own phrase say "in the country" ("has about 100 military personnel in the country")?"""
    return any(t.lower_ == "country" and t.dep_ == "pobj" and t.head.lower_ == "in" and (t.head.head.i == verb.i or
               t.head.head.dep_ == "dobj" and t.head.head.head.i == verb.i) and
               any(c.lower_ == "the" for c in t.children) for t in verb.subtree)



def _object_of(doc, info, domain, end) -> tuple[int, int] | None:
    """Token range of what "end"/"halt" acts on (a mission, deployment, operation …), or None: not about forces."""
    right = right_of(domain, end)[:5]
    missions = mentions_at(info, right, lambda m: m.label in ("MISSION", "UN_MISSION"))
    nouns = [k for k in right if doc[k].lower_ in PRESENCE_OBJECTS]
    right = right_of(domain, end)[:8]
    if missions and (not nouns or missions[0].start <= nouns[0]):
        return missions[0].start, missions[0].end
    if not nouns and end < len(doc) and doc[end].text == "," and end + 1 < len(doc) and doc[end + 1].pos_ in (
            "ADP", "ADV"):
        # "to suspend, on a temporary basis, its joint operations with …": the object after a parenthesis
        close = next((k for k in right_of(domain, end + 1)[:10] if doc[k].text == ","), None)
        if close is not None:
            right = right_of(domain, close)[:8]
            nouns = [k for k in right[:5] if doc[k].lower_ in PRESENCE_OBJECTS]
    if not nouns:
        return None
    last = nouns[0]
    while last + 1 in right and doc[last + 1].lower_ in PRESENCE_OBJECTS:  # "military presence"
        last += 1
    return nouns[0], last + 1


#: Nouns of places a force holds ("handed its base over", "closed the camp").
BASE_NOUNS = frozenset({"base", "bases", "camp", "camps", "post", "posts", "garrison", "headquarters", "flag"})


def _names_force(doc, info, start, bases: bool = False, missions: bool = True) -> bool:
    """Does the trigger's subject or object hold a force noun, a company or mission (or, with ``bases``, a
    base noun)? "French troops remained in Gao" yes; "the border remained closed" no."""
    tokens = subject_tokens(doc, doc[start]) + object_tokens(doc, doc[start])
    tokens += [t for c in doc[start].children if c.dep_ in ("prep", "agent") for t in c.subtree]
    tok = doc[start]
    if len(tokens) and tokens[0].lower_ in ("who", "which", "that"):  # "mercenaries …, who began arriving"
        tokens += [doc[k] for k in sorted(subject_or_antecedent(doc, tok))]
    if tok.dep_ == "conj" and object_tokens(doc, tok) and all(t.like_num or t.pos_ in ("ADV", "ADP", "NUM")
                                                              for t in object_tokens(doc, tok)):
        tokens += object_tokens(doc, tok.head)  # "withdraw 2,500 soldiers … and keep about 2,500 in Niger"
    words = {t.lower_ for t in tokens} | {t.lemma_ for t in tokens}
    if not bases and partitive_of_pronoun(subject_tokens(doc, doc[start])):
        return True  # "About 1,000 of them will stay": part of the force named before
    if bases:
        return bool(words & BASE_NOUNS)
    if words & (FORCE_NOUNS - {"presence", "operation", "operations", "deployment", "military"}):
        return True
    ids = {t.i for t in tokens}
    return any(m.start in ids and (m.label in ("COMPANY",) or missions and m.label in ("MISSION", "UN_MISSION"))
               for m in info.mentions)


def _state_mission(doc, info, start) -> bool:
    """Is the subject a state's mission ("Italy's training mission is staying", "the Italian mission remains")?"""
    subject = subject_tokens(doc, doc[start])
    ids = {t.i for t in subject}
    return any(t.lemma_ in ("mission", "operation") and t.dep_ in ("nsubj", "nsubjpass") for t in subject) and any(
        m.start in ids and m.is_state and m.role != "location" for m in info.mentions)


def _force_after(doc, domain, end) -> bool:
    return any(doc[k].lower_ in FORCE_NOUNS for k in right_of(domain, end)[:5])


#: Verbs that give a reason or a cause: an arrival they name is background, not the news.
REASON_VERBS = frozenset({"cite", "follow", "blame", "attribute", "invoke"})


def _a_reason(tok) -> bool:
    """Is the noun an argument (through conjunctions and prepositions) of a verb that gives a reason?"""
    for a in tok.ancestors:
        if a.pos_ in ("VERB", "AUX"):
            return a.lemma_ in REASON_VERBS
    return False


def _troops_in(doc, info, verb) -> bool:
    """Does the copula say a stated number of troops is in a named place ("about 1,500 French soldiers are in
    Niger", "there are some 1,000 US troops in Niger")? Never a partitive ("2,400 of them") nor no troops."""
    holders = [c for c in verb.children if c.dep_ in ("nsubj", "attr")]
    # "2,400 of France's 4,300 soldiers are in Mali": the number's own force noun ("of them" is no force noun)
    holders += [p for h in holders if h.like_num for c in h.children if c.lower_ == "of" for p in c.children
                if p.dep_ == "pobj"]
    force = [c for c in holders if c.lower_ in FORCE_NOUNS - {"presence", "operation", "operations", "military",
                                                              "deployment", "force", "forces"} or
             c.lower_ in ("forces", "force") and any(n.like_num for n in c.subtree)]
    if not force or not any(n.like_num and (n.dep_ in ("nummod", "quantmod") or n.head.i == verb.i) for f in
                            force + holders for n in ([f] + list(f.subtree))):
        return False
    if any(n.lower_ == "no" for f in force for n in f.children):
        return False
    places = [c for x in [verb] + force for c in x.children if c.dep_ == "prep" and c.lower_ in ("in", "inside")]
    return any(m.label in ("COUNTRY", "CAPITAL", "TOWN") and any(m.start <= t.i < m.end for p in places
                                                                  for t in p.subtree) for m in info.mentions)


def part_of_force_at(verb) -> bool:
    """Does the copula put part of a force told before at named places ("Most of the troops are at Air Base 201
    near Agadez …, and at Air Base 101 in Niamey", "some of them are in Gao")?"""
    subject = [c for c in verb.children if c.dep_ == "nsubj" and c.lower_ in PARTITIVES]
    forces = [o for s in subject for p in s.children if p.lower_ == "of" for o in p.children if o.dep_ == "pobj" and (
        o.lower_ in ("them",) or o.lower_ in FORCE_NOUNS and any(d.lower_ in ("the", "its", "their", "these")
                                                                  for d in o.children))]
    if not forces:
        return False
    places = [c for c in verb.children if c.dep_ == "prep" and c.lower_ in ("at", "in")]
    return any(t.ent_type_ in ("TOWN", "CAPITAL") for p in places for t in p.subtree)


def contributor_with(verb) -> bool:
    """Does the copula make its subject a contributor of a stated number of troops ("Chad is the largest troop
    contributor, with about 1,450 soldiers")?"""
    attrs = [c for c in verb.children if c.dep_ == "attr" and c.lemma_ in ("contributor", "provider", "contingent")]
    if not attrs:
        return False
    withs = [c for x in [verb] + attrs for c in x.children if c.dep_ == "prep" and c.lower_ == "with"]
    return any(o.lower_ in FORCE_NOUNS and any(n.like_num for n in o.children if n.dep_ in ("nummod", "quantmod"))
               for w in withs for o in w.children if o.dep_ == "pobj")


def _mission(info, domain, start, hosts) -> tuple[str, tuple[int, int]] | None:
    """The mission or operation named in the domain nearest the trigger (UN missions resolved by host)."""
    found = mentions_at(info, sorted(domain, key=lambda k: abs(k - start)),
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


def _attach_timing(info, draft, domain) -> None:
    text, base = info.span.text, info.span.start_char
    doc = info.span.doc
    for m in TIMING.finditer(text):
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
    tok = doc[start]
    if tok.dep_ == "conj" and not any(c.dep_ in ("aux", "auxpass") for c in tok.children) and any(
            c.dep_ == "aux" and c.lower_ in MODALS for c in tok.head.children):
        return True  # "will withdraw … and keep 2,500 in Niger": the modal of the first conjunct
    if words and words[-1] == "to" and len(words) > 1 and words[-2] in (
            "started", "began", "begun", "starts", "begins", "continued", "continues", "start", "begin"):
        return False  # "started to leave": under way
    if under_decision(tok) is not None:
        return True  # "parliament will vote on sending soldiers": not decided yet
    if rule == "deployment.launch" and doc[start].lemma_ in ("create", "establish", "authorise", "authorize", "approve",
                                                            "pledge") or \
            rule in ("deployment.expected", "deployment.due"):
        return True  # a mission created or authorised, troops expected: not yet deployed
    if any(w in MODALS for w in words) or (words and words[-1] == "to") or \
            any(w in ("plans", "plan", "planned", "intends", "decided", "agreed", "going") for w in words[-3:]):
        return True
    if rule == "withdrawal.order":
        return True  # ordered, asked or given time to leave: the departure is still to come
    if form == "expel":
        return None if doc[start].lower_ == "expulsion" else False
    if form == "noun" or doc[start].pos_ == "NOUN":
        if any(w in ("announced", "announces", "announce", "announcing", "ordered", "demanded") for w in words):
            return True  # "announced the withdrawal of their troops"
        return False if any(w in ("completed", "finished", "complete", "completes") for w in words) else None
    return False


