"""The document cache (sim.cache): a hit gives exactly what a fresh read gives; any change of input misses."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim import cache, forcing
from sim.scenario import Scenario

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture
def private(tmp_path, monkeypatch):
    monkeypatch.setenv("SPILLOVER_CACHE", str(tmp_path / "cache"))
    forcing._document_inputs_cached.cache_clear()
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    yield Scenario().replace(**{"documents.seeds": str(seeds), "grid.countries": ["MLI", "BFA", "NER"]}), seeds
    forcing._document_inputs_cached.cache_clear()


def _equal(a, b) -> None:
    pd.testing.assert_frame_equal(a.attributes, b.attributes)
    pd.testing.assert_frame_equal(a.timeline.reset_index(drop=True), b.timeline.reset_index(drop=True))
    assert a.onsets == b.onsets and a.documents == b.documents


def test_a_hit_equals_a_fresh_read_and_an_edit_misses(private, tmp_path, monkeypatch):
    scenario, seeds = private
    fresh = forcing.document_inputs(scenario)
    assert len(list((tmp_path / "cache").glob("documents-*.json"))) == 1
    forcing._document_inputs_cached.cache_clear()
    calls = []
    import geo.documents.attributes

    real = geo.documents.attributes.facts_from_seeds
    monkeypatch.setattr(geo.documents.attributes, "facts_from_seeds", lambda *a, **k: calls.append(1) or real(*a, **k))
    _equal(forcing.document_inputs(scenario), fresh)
    assert calls == []  # read from the cache
    text = next(seeds.glob("*.txt"))
    text.write_text(text.read_text() + "\nFrance withdrew its troops from Niger on 2023-12-22.\n")
    forcing._document_inputs_cached.cache_clear()
    forcing.document_inputs(scenario)
    assert calls == [1]  # the edited document is read again


def test_off_and_corrupt_entries(private, tmp_path, monkeypatch):
    scenario, _ = private
    forcing.document_inputs(scenario)
    entry = next((tmp_path / "cache").glob("documents-*.json"))
    entry.write_text("{not json")
    forcing._document_inputs_cached.cache_clear()
    again = forcing.document_inputs(scenario)  # ignored and rewritten
    assert entry.read_text().startswith("{") and len(again.timeline)
    monkeypatch.setenv("SPILLOVER_CACHE", "off")
    assert cache.cache_dir() is None


def test_the_key_changes_with_the_place_gazetteer_extract(tmp_path, monkeypatch):
    import geo.shapes
    from sim import cache

    places = tmp_path / "sahel_places.csv"
    places.write_text("name,country\nOursi,BF\n", encoding="utf-8")
    monkeypatch.setattr(geo.shapes, "DEFAULT_PLACES", places)
    cache._code_hash.cache_clear()
    before = cache._code_hash()
    places.write_text("name,country\nOursi,BF\nSamorogouan,BF\n", encoding="utf-8")
    cache._code_hash.cache_clear()
    try:
        assert cache._code_hash() != before
    finally:
        cache._code_hash.cache_clear()
