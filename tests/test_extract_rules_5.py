"""Rules of the news-fact extractor (geo.documents), fifth file: the rules added with the six dev documents of
2026-12-03 (second round). Each test is a sentence written for it, not taken from the corpus."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from geo.documents import Document, extract_document

D = dt.date


def facts_of(text: str, published: dt.date = D(2023, 12, 1)):
    return extract_document(Document("t", text, published, Path("t.txt")))


def deployments(facts):
    return sorted((f.country, f.actor_code, f.size, f.date) for f in facts if f.kind == "deployment")


def test_units_and_arms_of_service_are_force_nouns():
    facts = facts_of("A platoon of 40 Danish infantrymen arrived in Gao in June.", D(2019, 8, 1))
    assert deployments(facts) == [("MLI", "DNK", 40, D(2019, 6, 1))]
    facts = facts_of("About 150 Belgian commandos landed in Niger in March.", D(2018, 5, 1))
    assert deployments(facts) == [("NER", "BEL", 150, D(2018, 3, 1))]
