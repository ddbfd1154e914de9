"""Arguments from the dependency parse: who acted (the subject), how many (the number on the troop noun).

What it decides: the tokens of a trigger's subject (``nsubj``/``nsubjpass``, through ``conj``, ``xcomp`` and
participles to the noun they modify; the agent of a passive; for a noun trigger its ``of`` object and its
possessor), without appositions and relative clauses ("the Danish special forces, part of the task force
Takuba, arrived" → "the Danish special forces"); and the number attached to the force noun of the subject or
object ("600 of its 1,200 soldiers" → 600; "bringing Barkhane to 5,100 troops" is no argument of "send").

>>> from geo.documents.nlp import pipeline
>>> doc = pipeline()("France will send 600 soldiers, bringing Barkhane to 5,100 troops.")
>>> [t.text for t in subject_tokens(doc, doc[2])]
['France']
>>> number_token(doc, doc[2]).text
'600'
"""
from __future__ import annotations

from spacy.tokens import Doc, Token

from geo.documents.lexicon import FORCE_NOUNS

_SUBJECTS = ("nsubj", "nsubjpass", "csubj")
_CUT = ("appos", "relcl", "acl", "advcl", "parataxis", "punct", "cc")
_OBJECTS = ("dobj", "obj", "attr", "oprd")


def _span_tokens(tok: Token) -> list[Token]:
    """``tok``'s subtree without appositions, relative clauses and other side clauses."""
    out = [tok]
    for child in tok.children:
        if child.dep_ in _CUT or child.dep_ == "conj" and child.pos_ in ("VERB", "AUX"):
            continue
        out += _span_tokens(child)
    return sorted(out, key=lambda t: t.i)


def subject_tokens(doc: Doc, trigger: Token) -> list[Token]:
    """Tokens of the subject of the verb (or noun) ``trigger`` (see the module docstring); [] if none."""
    verb = trigger
    for _ in range(4):
        subjects = [c for c in verb.children if c.dep_ in _SUBJECTS]
        if subjects:
            tokens = []
            for s in subjects:
                tokens += _span_tokens(s)
            return tokens
        agents = [c for c in verb.children if c.dep_ == "agent"]
        if agents:
            return [t for a in agents for t in _span_tokens(a) if t.dep_ != "agent"]
        if verb.dep_ in ("acl",) and verb.head.pos_ in ("NOUN", "PROPN"):
            noun = verb.head
            if noun.dep_ == "pobj" and noun.head.lower_ == "of" and (noun.head.head.lower_ in FORCE_NOUNS or
                                                                     noun.head.head.lemma_ in FORCE_NOUNS):
                noun = noun.head.head  # "400 special forces of Operation Sabre, based at …": the forces
            return _span_tokens(noun)
        infinitive = verb.dep_ == "advcl" and any(c.dep_ == "aux" and c.lower_ == "to" for c in verb.children)
        if verb.dep_ == "xcomp" or infinitive:  # "ordered French troops to leave", "giving it a month to leave":
            objects = [c for c in verb.head.children if c.dep_ in _OBJECTS]  # the object; "decided to leave":
            if objects:  # the subject
                return [t for o in objects for t in _span_tokens(o)]
        if verb.dep_ in ("conj", "xcomp", "ccomp") and verb.head.i != verb.i:
            verb = verb.head
            continue
        break
    if trigger.pos_ in ("NOUN", "PROPN"):
        tokens = []
        for child in trigger.children:
            if child.dep_ == "poss":
                tokens += _span_tokens(child)
            elif child.dep_ == "prep" and child.lower_ in ("of", "by"):
                tokens += [t for t in _span_tokens(child) if t is not child]
            elif child.dep_ in ("compound", "amod", "nmod"):
                tokens += _span_tokens(child)
        return sorted(tokens, key=lambda t: t.i)
    return []


def object_tokens(doc: Doc, trigger: Token) -> list[Token]:
    """Tokens of the direct object of ``trigger`` (without side clauses)."""
    return [t for c in trigger.children if c.dep_ in _OBJECTS for t in _span_tokens(c)]


def number_token(doc: Doc, trigger: Token) -> Token | None:
    """The number on the force noun of ``trigger``'s object, subject or passive subject, else None."""
    for tokens in (object_tokens(doc, trigger), subject_tokens(doc, trigger)):
        for tok in tokens:
            if tok.like_num and any(c.lower_ in ("all", "the", "these", "those", "both", "each") for c in
                                    tok.children):
                continue  # "all three (states) have expelled …": a count of the actors, not of troops
            if tok.like_num and tok.dep_ in ("nummod", "dobj", "nsubj", "nsubjpass", "pobj", "quantmod", "appos"):
                head = tok.head
                while head.dep_ in ("compound", "amod") and head.head.i != head.i and head.pos_ != "NOUN":
                    head = head.head  # "three hundred Chadian troops": the parser hangs it on the adjective
                if tok.dep_ in ("dobj", "nsubj", "nsubjpass") or head.lemma_ in FORCE_NOUNS or head.lower_ in \
                        FORCE_NOUNS or any(c.lower_ == "of" for c in tok.children) or (
                        tok.dep_ == "pobj" and head.lower_ == "of" and head.head.lower_ in FORCE_NOUNS):
                    return tok  # (… "a contingent of 200")
    return None


def partitive_of_pronoun(tokens: list[Token]) -> bool:
    """Is the phrase a number of a pronoun ("about 1,000 of them", "200 of those"): a part of the force named
    before?"""
    return any(t.like_num and any(c.dep_ == "prep" and c.lower_ == "of" and any(
        g.dep_ == "pobj" and g.lower_ in ("them", "those", "these") for g in c.children) for c in t.children)
        for t in tokens)


def own_phrase(tok) -> list:
    """``tok`` and its dependents, without side clauses (relative, adverbial, coordinated verbs)."""
    out = [tok]
    for child in tok.children:
        if child.dep_ in ("relcl", "advcl", "acl", "ccomp", "parataxis") or child.dep_ == "conj" and child.pos_ in (
                "VERB", "AUX"):
            continue
        out += own_phrase(child)
    return out


def own_subtree(tok) -> list:
    """``tok`` and its dependents, without coordinated verbs and their dependents."""
    out = [tok]
    for child in tok.children:
        if child.dep_ == "conj" and child.pos_ in ("VERB", "AUX"):
            continue
        out += own_subtree(child)
    return out
