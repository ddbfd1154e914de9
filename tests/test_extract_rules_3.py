"""Rules of the news-fact extractor (geo.documents), third file: garrisons named in a partitive phrase after the
force, and a coordinated clause's subject kept out of a list of hosts. Each test is a sentence written for it,
not taken from the corpus."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from geo.documents import Document, extract_document

D = dt.date


def facts_of(text: str, published: dt.date = D(2023, 12, 1)):
    return extract_document(Document("t", text, published, Path("t.txt")))


def deployments(facts):
    return sorted((f.country, f.actor_code or f.actor, f.size, tuple(f.bases or ())) for f in facts
                  if f.kind == "deployment")


def test_towns_of_a_partitive_phrase_after_the_force_are_its_bases():
    facts = facts_of("Germany keeps some 400 soldiers in Mali, most of them at a camp outside Gao, officials said.")
    assert deployments(facts) == [("MLI", "DEU", 400, ("Gao",))]


def test_a_partitive_phrase_about_another_force_gives_no_bases():
    facts = facts_of("Spain has 300 soldiers in Mali, and the rebels, many of them near Kidal, refuse to talk.")
    assert all("Kidal" not in (f.bases or ()) for f in facts if f.kind == "deployment")


def test_the_subject_of_a_coordinated_clause_is_no_host_of_the_list_before_it():
    facts = facts_of("Italy already has some 250 soldiers in Niger, and Germany trains the army in Mali.")
    assert [(f.country, f.actor_code) for f in facts if f.kind == "deployment" and f.size == 250] == [
        ("NER", "ITA")]


def onsets(facts):
    return [(f.country, f.place, f.date, f.date_precision) for f in facts if f.kind == "onset"]


def test_opening_a_new_front_is_an_onset_in_that_place():
    facts = facts_of("In March 2019 jihadists opened a new front in eastern Burkina Faso.", D(2019, 6, 1))
    assert onsets(facts) == [("BFA", "eastern Burkina Faso", D(2019, 3, 1), "month")]


def test_a_front_opened_where_the_clause_before_names_the_place():
    facts = facts_of("Fighters then moved into western Niger, where they opened a second front in May 2018.",
                     D(2018, 9, 1))
    assert [(c, p, d) for c, p, d, _ in onsets(facts)] == [("NER", "western Niger", D(2018, 5, 1))]
