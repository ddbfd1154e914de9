"""Rules of the news-fact extractor (geo.documents), each on a sentence written for this test (not from the
corpus): coordination, dates, numbers, triggers, hosts and the document pass."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from geo.documents import Document, extract_document

D = dt.date


def facts_of(text: str, published: dt.date = D(2023, 12, 1)):
    return extract_document(Document("t", text, published, Path("t.txt")))


def summary(facts, kind):
    return sorted((f.country, f.date, f.date_precision) for f in facts if f.kind == kind)


def test_a_relative_clause_in_the_subject_keeps_its_whole_list():
    facts = facts_of("The rebels, who took power in Chad in 2005, in Sudan in 2009 and in Libya in 2011, signed a "
                     "peace deal.", D(2012, 3, 1))
    assert summary(facts, "coup") == [("LBY", D(2011, 1, 1), "year"), ("SDN", D(2009, 1, 1), "year"),
                                      ("TCD", D(2005, 1, 1), "year")]


def test_a_state_acting_without_a_host_takes_the_host_a_later_sentence_names_for_it():
    facts = facts_of("Niger has withdrawn 300 of its 900 soldiers from the Multinational Joint Task Force. The "
                     "Nigerien battalion had arrived in Maiduguri, in north-eastern Nigeria, in March.", D(2022, 9, 1))
    withdrawal = [f for f in facts if f.kind == "withdrawal"]
    assert [(f.country, f.actor_code, f.size) for f in withdrawal] == [("NGA", "NER", 300)]
