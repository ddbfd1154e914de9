"""Who acts in a presence frame: the actor of a trigger (a state, mission, organisation, company or a force
phrase), the force an order sends away, and a crowd's demand (a protest, not an order).

What it decides: the subject's named mentions (one actor per conjunct: "Côte d'Ivoire, Benin and Sweden pulled
out"), a relative pronoun's antecedent ("… and Sweden, which sent 150 special forces" → Sweden), a mission in the
subject's apposition, a pronoun's antecedent among the facts before, or a placeholder the document pass fills
("the troops will leave": whose troops, the document says).

>>> CROWD_NOUNS >= {"protesters", "supporters"}
True
"""
from __future__ import annotations

from geo.documents.arguments import object_tokens, partitive_of_pronoun, subject_tokens
from geo.documents.facts import PRESENCE_KINDS
from geo.documents.lexicon import FORCE_NOUNS, MISSION_BY_NAME, PRONOUNS
from geo.documents.sentence import Draft, Mention, Sentence, left_of, list_before, mentions_at, right_of
from geo.names import country_names

def _actor_ok(m: Mention) -> bool:
    """Can ``m`` be the actor of a presence fact (a state, mission, organisation, company or force phrase)?"""
    return (m.label in ("COUNTRY", "DEMONYM", "CAPITAL", "ORG", "COMPANY", "MISSION", "UN_MISSION", "FORCE")
            and m.role not in ("location", "modifier", "agent", "dateline"))  # ("NIAMEY, April 12 –": no actor)


#: Placeholder actor: the subject is a force noun or pronoun without a named owner; the document pass fills it.
ACTOR_FROM_DOCUMENT = ("", None, None)


def subjects(doc, info, domain, draft, form, earlier) -> list:
    """The actor(s) of an ordinary trigger: the nearest eligible mention to the left (a list such as "Côte
    d'Ivoire, Benin and Sweden" gives each), for nouns also to the right, else a pronoun's antecedent."""
    start, end = draft.trigger
    subject = subject_tokens(doc, doc[start])
    if len(subject) == 1 and subject[0].lower_ in ("which", "who", "that") and form != "noun":
        noun = _relative_antecedent(subject[0])  # "… and Sweden, which sent 150 special forces": Sweden (the
        inside = {t.i for t in noun.subtree} if noun is not None else set()  # conjunct just before the pronoun)
        named = [m for m in info.mentions if m.start in inside and m.end <= subject[0].i and m.label in (
            "COUNTRY", "DEMONYM", "ORG", "COMPANY", "MISSION", "UN_MISSION") and m.role != "modifier"
            and all(doc[k].text in (",", "—", "–") for k in range(m.end, subject[0].i))]
        if named:
            return named[-1:]
    if subject:
        inside = {t.i for t in subject} & set(domain)
        named = [m for m in info.mentions if m.start in inside and _actor_ok(m) and m.label != "FORCE"]
        states = [m for m in named if m.label not in ("MISSION", "UN_MISSION")]
        if states or named:
            # one fact per conjunct of the subject ("Côte d'Ivoire, Benin and Sweden pulled …")
            companies = [m for m in named if m.label == "COMPANY"]  # "Russian mercenaries from the Wagner Group"
            return companies[:1] or states or named[:1]
        pronoun = any(t.lower_ in PRONOUNS for t in subject)
        if form != "noun" and _definite_mission(subject):  # "the mission handed over its camp": the one before
            return [ACTOR_FROM_DOCUMENT]
        if form != "noun" and partitive_of_pronoun(subject):  # "about 1,000 of them will stay": the force before
            previous = _previous_actor(earlier)
            return [previous] if previous else [ACTOR_FROM_DOCUMENT]
        force_noun = any(t.lemma_ in FORCE_NOUNS or t.lower_ in FORCE_NOUNS for t in subject)
        if pronoun and force_noun and form != "noun" and not any(t.lower_ in ("it", "they") for t in subject):
            previous = _previous_actor(earlier)
            if previous:
                return [previous]
            owner = [m for m in info.mentions if m.end <= subject[0].i and m.label == "COMPANY"]
            # "Wagner has worked with the army since 2021, when its first fighters landed": the company's
            return owner[-1:] or [ACTOR_FROM_DOCUMENT]  # "its troops are based in Gao": the document decides
        if not pronoun and form != "noun" and force_noun:
            whole = {t.i for s in doc[start].children if s.dep_ in ("nsubj", "nsubjpass") for t in s.subtree}
            named = [m for m in info.mentions if m.start in whole and m.label == "MISSION"]
            if named:  # "the last soldiers of the force Barkhane" (an apposition): the mission's
                return named[:1]
            return [ACTOR_FROM_DOCUMENT]  # "the troops will leave": whose troops, the document pass decides
        if len(subject) == 1 and subject[0].lower_ in ("it", "they") and form != "noun":
            conjunct = _conjunct_subject(doc, info, doc[start])
            if conjunct is not None:  # "Tallinn saw …, and in 2020 it doubled its contingent": Tallinn
                return [conjunct]
        if len(subject) == 1 and subject[0].lower_ in ("it", "they", "them") and form != "noun":
            previous = _previous_actor(earlier)  # "… gave it a month to withdraw": the actor named before
            if previous:
                return [previous]
    elif form != "noun" and not mentions_at(info, left_of(domain, start)[:12], _actor_ok) and any(
            doc[k].lower_ in FORCE_NOUNS and doc[k].lower_ not in ("presence", "operation", "deployment")
            for k in left_of(domain, start)[:6]):
        return [ACTOR_FROM_DOCUMENT]  # no subject parsed, but "… soldiers and police served …"
    left = [m for m in mentions_at(info, left_of(domain, start)[:12], _actor_ok)
            if (m.label != "FORCE" or draft.kind == "deployment") and not _is_object(info, m)]
    if left:
        states = [m for m in left if m.label not in ("MISSION", "UN_MISSION")]
        first = states[0] if states else left[0]
        return [m for m in list_before(info, first, _actor_ok) if m.label != "FORCE"]
    if form == "noun":
        right = mentions_at(info, right_of(domain, end)[:5], _actor_ok)
        right = sorted(right, key=lambda m: m.label in ("MISSION", "UN_MISSION"))
        if right and right[0].label != "FORCE":
            return [right[0]]
    if any(doc[k].lower_ in PRONOUNS for k in left_of(domain, start)):
        previous = _previous_actor(earlier)
        return [previous] if previous else []
    obj = object_tokens(doc, doc[start])
    if obj and form != "noun" and obj[-1].head.i == start or obj and any(
            t.dep_ == "dobj" and t.lower_ in ("deployment", "mission", "contingent", "presence") for t in obj):
        if not any(m.start in {t.i for t in obj} for m in info.mentions) and any(
                t.lower_ in ("deployment", "mission", "contingent", "presence", "troops", "soldiers") for t in obj):
            if not mentions_at(info, left_of(domain, start)[:12], _actor_ok):
                return [ACTOR_FROM_DOCUMENT]  # "voted to end the deployment": whose, the document says
    return []


#: Nouns that name a mission or force already introduced when definite ("the mission", "the operation").
MISSION_NOUNS = frozenset({"mission", "operation", "force", "task force", "contingent"})


def _definite_mission(subject) -> bool:
    """Is the subject a definite mission noun without a name ("the mission", "the UN mission", "this force")?"""
    heads = [t for t in subject if t.dep_ in ("nsubj", "nsubjpass", "ROOT")]  # (ROOT: "The mission handed …"
    # parsed as a noun with a participle)
    return any(h.lower_ in MISSION_NOUNS and any(c.dep_ == "det" and c.lower_ in ("the", "this", "that")
                                                 for c in h.children) for h in heads)


def _relative_antecedent(pronoun):
    """The noun a relative pronoun stands for ("Sweden, which sent …" → Sweden), or None."""
    verb = pronoun.head
    while verb.dep_ != "relcl" and verb.head.i != verb.i and verb.dep_ in ("conj", "xcomp"):
        verb = verb.head
    return verb.head if verb.dep_ == "relcl" else None


def subject_or_antecedent(doc, tok) -> set[int]:
    """Token indices of the subject of ``tok``; for a relative pronoun ("rulers, who … welcomed"), its noun's."""
    subject = subject_tokens(doc, tok)
    if len(subject) == 1 and subject[0].lower_ in ("who", "which", "that"):
        noun = _relative_antecedent(subject[0])
        if noun is not None:
            return {t.i for t in noun.subtree if t.i < subject[0].i}
    return {t.i for t in subject}


def _is_object(info: Sentence, m: Mention) -> bool:
    """Is ``m`` the object of a presence trigger ("left Mali", "quit the Sahel")?"""
    doc = info.span.doc
    k = m.start - 1
    if k >= info.span.start and doc[k].lower_ == "the":
        k -= 1
    return k in info.triggers


def expelled(doc, info, domain, start, end, earlier) -> list:
    """The force an expulsion or order names ("ordered French troops to leave"); an ambassador is no force."""
    inside = [k for k in domain if start < k < end] + right_of(domain, end)[:6]
    forces = mentions_at(info, inside, lambda m: _actor_ok(m) and m.label != "FORCE" and (
        m.role == "force" or m.label in ("MISSION", "UN_MISSION", "COMPANY")
        or (m.label == "DEMONYM" and doc[m.end - 1].pos_ in ("NOUN", "PROPN") and doc[m.end - 1].dep_ in (
            "dobj", "nsubj", "pobj"))  # "asked the Americans to go": the demonym as a noun, its forces
        or (m.label == "COUNTRY" and any(doc[k].lower_ in FORCE_NOUNS for k in inside if k >= m.end))))
    if forces:
        return [forces[0]]
    if any(doc[k].lower_ in PRONOUNS for k in inside):
        previous = _previous_actor(earlier)
        return [previous] if previous else []
    if any(doc[k].lower_ in FORCE_NOUNS - {"presence", "operation", "operations", "deployment", "military"}
           and any(c.lower_ in ("the", "these", "those") for c in doc[k].children) for k in inside):
        previous = _previous_actor(earlier)  # "demanded that the peacekeepers leave": the force named before
        return [previous] if previous else [ACTOR_FROM_DOCUMENT]
    return []


#: Nouns of crowds: their demands ("demanded that France leave") are protests, not orders.
CROWD_NOUNS = frozenset({"protesters", "protestors", "demonstrators", "crowds", "crowd", "supporters", "residents",
                         "marchers", "youths", "people", "thousands", "hundreds", "some", "activists"})


def crowd_demand(doc, info, start) -> bool:
    """Is the trigger a demand of a crowd (the subject of the nearest verb above it that has one is a crowd)?"""
    tok = doc[start]
    if any(a.lower_ in CROWD_NOUNS - {"people", "thousands", "hundreds", "some"} for a in tok.ancestors):
        return True  # "supporters gathered …, some calling for France to leave"
    for _ in range(4):
        subject = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")]
        if subject and not any(m.start <= subject[0].i < m.end and m.label in ("COUNTRY", "DEMONYM", "MISSION")
                               for m in info.mentions) and subject[0].lower_ not in FORCE_NOUNS:
            head = subject[0]
            if head.lower_ in ("thousands", "hundreds", "dozens", "some", "many"):
                inner = next((t for t in head.subtree if t.dep_ == "pobj"), None)
                if inner is not None:
                    return inner.lower_ in CROWD_NOUNS and inner.lower_ not in ("thousands", "hundreds", "some")
                if tok.head.i == tok.i:
                    return False
                tok = tok.head  # "some calling for France to leave": whose "some", the clause above says
                continue
            return head.lower_ in CROWD_NOUNS
        if tok.head.i == tok.i:
            break
        tok = tok.head
    return False


def set_actor(draft: Draft, m: Mention) -> None:
    if m.label in ("MISSION",):
        mission = MISSION_BY_NAME[m.name]
        draft.actor, draft.actor_code, draft.mission = mission.lead, mission.lead_code, mission.name
    elif m.label == "UN_MISSION":
        draft.actor, draft.actor_code = "United Nations", None
    elif m.is_state:
        draft.actor, draft.actor_code = country_names().english.get(m.code, m.name), m.code
    else:
        draft.actor, draft.actor_code = m.name, None


def _conjunct_subject(doc, info, verb) -> Mention | None:
    """The state that is the subject of the clause a pronoun's clause is coordinated with ("Tallinn saw the
    mission as …, and in 2020 it doubled …": Tallinn), else None."""
    if verb.dep_ != "conj" or verb.head.pos_ not in ("VERB", "AUX"):
        return None
    subject = {t.i for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass") for t in c.subtree}
    named = [m for m in info.mentions if m.start in subject and m.is_state and m.role not in (
        "modifier", "location", "dateline")]
    return named[0] if len(named) == 1 else None


def _previous_actor(earlier: list[Draft]) -> tuple[str, str | None, str | None] | None:
    for d in reversed(earlier):
        if d.kind in PRESENCE_KINDS and d.actor:
            return d.actor, d.actor_code, d.mission
    return None


#: Nouns of armed groups: their crossing is a spread of the conflict, not a deployment.
MILITANT_NOUNS = frozenset({"jihadists", "jihadist", "militants", "insurgents", "gunmen", "rebels", "terrorists",
                            "attackers", "islamists", "assailants"})


def militants(doc, info, start) -> bool:
    """Is the trigger's subject (or a relative pronoun's antecedent) an armed group or militants?"""
    subject = subject_or_antecedent(doc, doc[start])
    return any(doc[k].lower_ in MILITANT_NOUNS for k in subject) or any(
        m.start in subject and m.label == "ARMED" for m in info.mentions)
