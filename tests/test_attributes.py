"""Facts → per-country attributes, the deployment timeline, onset places, the GeoPackage layer, `spillover extract`
and the documents figure."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.documents.attributes import (ATTRIBUTE_COLUMNS, LAYER, TIMELINE_COLUMNS, attributes_layer, country_attributes,
                            deployment_timeline, facts_from_seeds, onset_places, write_attributes_gpkg)
from geo.documents import read_document
from geo.places import resolve_place
from geo.shapes import SAHEL_G5

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = ROOT / "tests" / "fixtures" / "documents"
T = pd.Timestamp


@pytest.fixture(scope="module")
def seed_facts():
    return facts_from_seeds(SEEDS / "000_e52ff93ba690b6b9.txt")  # the TRT World report (the other seeds: below)


@pytest.fixture(scope="module")
def fixture_facts():
    return facts_from_seeds(FIXTURES)


def row(timeline: pd.DataFrame, **fields) -> pd.Series:
    mask = np.ones(len(timeline), bool)
    for key, value in fields.items():
        mask &= (timeline[key] == value).to_numpy()
    assert mask.sum() == 1, f"{mask.sum()} rows match {fields}"
    return timeline[mask].iloc[0]


def test_seed_attributes(seed_facts):
    codes = list(SAHEL_G5) + ["GHA"]
    table = country_attributes(seed_facts, codes)
    assert list(table.index) == codes and list(table.columns) == list(ATTRIBUTE_COLUMNS)
    mali, burkina, niger = table.loc["MLI"], table.loc["BFA"], table.loc["NER"]
    assert (mali.coups, mali.armed_partner, mali.protests, mali.epicentre, mali.onset_year) == (2, 1, 1, 0, 2012)
    assert (burkina.protests, burkina.epicentre, burkina.spread_into) == (1, 1, 1)
    assert (burkina.casualties_log10, burkina.displaced_log10) == (3, 6)
    assert (niger.spread_into, niger.coups) == (1, 0) and np.isnan(niger.onset_year)
    assert table.loc["GHA", ["coups", "armed_partner", "protests", "epicentre", "spread_into", "facts"]].sum() == 0
    assert table.loc["GHA", ["onset_year", "casualties_log10", "displaced_log10"]].isna().all()


def test_fixture_attributes_count_coups_once_per_month(fixture_facts):
    table = country_attributes(fixture_facts, ["MLI", "BFA", "NER", "BEN"])
    assert table.loc[["MLI", "BFA", "NER"], "coups"].tolist() == [2, 2, 1]  # Niger's coup is mentioned twice
    assert table.loc["BFA", "displaced_log10"] == 6 and table.loc["BFA", "casualties_log10"] == 1
    assert table.loc["BFA", "onset_year"] == 2015 and table.loc["BEN", "spread_into"] == 1


def test_seed_timeline(seed_facts):
    timeline = deployment_timeline(seed_facts)
    assert list(timeline.columns) == list(TIMELINE_COLUMNS)
    uk = row(timeline, actor_code="GBR")
    assert (uk.mission, uk.host, uk.present_until, uk["size"], uk.ended_by) == (
        "MINUSMA", "MLI", T("2022-11-14"), 300.0, "withdrawal")
    assert uk.planned_until == T("2023-05-14") and pd.isna(uk.present_from) and not uk.planned
    assert len(uk.facts.split(";")) == 5  # every UK sentence, the mission-less ones included
    barkhane = timeline[timeline["mission"] == "Barkhane"]
    assert sorted(barkhane["host"]) == ["BFA", "MLI", "MRT", "NER", "TCD"]
    assert (barkhane["present_until"] == T("2022-11-10")).all() and barkhane["planned"].all()
    germany = row(timeline, actor_code="DEU")
    assert (germany.host, germany.present_until, germany.until_precision, germany.ended_by) == (
        "MLI", T("2022-08-01"), "month", "suspension")
    sweden = row(timeline, actor_code="SWE")
    assert (sweden.mission, sweden.present_until, sweden.until_precision, sweden.planned) == (
        "MINUSMA", T("2022-03-01"), "month", True)
    text = read_document(SEEDS / "000_e52ff93ba690b6b9.txt").text
    start, end = germany.span
    assert (germany.document, germany.rule) == ("000_e52ff93ba690b6b9", "suspension.verb")
    assert text[start:end].startswith("Earlier in August, Germany, too, halted troops deployment")


def test_fixture_timeline_prefers_reported_exits_over_announcements(fixture_facts):
    timeline = deployment_timeline(fixture_facts)
    un = row(timeline, actor="United Nations")
    assert (un.mission, un.present_until, un.planned_until, un["size"], un.actor_kind) == (
        "MINUSMA", T("2023-06-30"), T("2023-12-31"), 13000.0, "organisation")
    serval = row(timeline, actor_code="FRA", mission="Serval")
    assert serval.present_from == T("2013-01-01")
    # "Serval, which was replaced by Operation Barkhane in August 2014": Barkhane arrives then, and the February 2022
    # announcement ("France would withdraw its troops") is Barkhane's, the force in Mali at the time. (Serval's own
    # end at the hand-over is not derived yet: benchmarks/results_extract.md.)
    barkhane = row(timeline, actor_code="FRA", mission="Barkhane", host="MLI")
    assert (barkhane.present_from, barkhane.present_until, barkhane.planned) == (
        T("2014-08-01"), T("2022-08-15"), False)  # left in August, not at the February announcement
    announced = [f for f in fixture_facts if f.kind == "withdrawal" and f.date == dt.date(2022, 2, 17)]
    assert [(f.actor_code, f.mission) for f in announced] == [("FRA", "Barkhane")]
    sabre = row(timeline, mission="Sabre")
    assert (sabre.host, sabre.present_until, sabre.planned) == ("BFA", T("2023-02-18"), False)


def test_overrides_win_in_the_timeline(tmp_path, seed_facts):
    sweden = next(f for f in seed_facts if f.actor_code == "SWE")
    path = tmp_path / "overrides.toml"
    path.write_text(f'[[correct]]\nid = "{sweden.id}"\ndate = "2023-12"\nplanned = false\n', encoding="utf-8")
    timeline = deployment_timeline(facts_from_seeds(SEEDS, overrides=path))
    corrected = row(timeline, actor_code="SWE")
    assert (corrected.present_until, corrected.until_precision, corrected.rule, corrected.planned) == (
        T("2023-12-01"), "month", "manual", False)


def test_onset_places_resolve(seed_facts, fixture_facts, countries):
    assert onset_places(seed_facts) == [("northern Mali", 2012)]
    places = onset_places(fixture_facts)
    assert places == [("Burkina Faso", 2015), ("northern Mali", 2012)]
    for phrase, _ in places:
        resolve_place(phrase, countries)


def test_attributes_gpkg(tmp_path, seed_facts, countries):
    layer = attributes_layer(seed_facts, countries)
    assert len(layer) == len(countries) and layer.crs == countries.crs
    path = write_attributes_gpkg(tmp_path / "attributes.gpkg", seed_facts, countries)
    back = gpd.read_file(path, layer=LAYER).set_index("ADM0_A3")
    assert back.loc["MLI", "coups"] == 2 and back.loc["BFA", "epicentre"] == 1
    assert back.loc["MLI", "onset_year"] == 2012
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attributes.gpkg"]


# ------------------------------------------------------------------------------------------------ command line
def spillover(*args: str) -> int:
    from sim.cli import main

    return main(["extract", *args])


def test_cli_json_prints_json_lines_only(capsys, seed_facts):
    assert spillover(str(SEEDS / "000_e52ff93ba690b6b9.txt"), "--json") == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(seed_facts)
    facts = [json.loads(line) for line in out]
    assert {f["kind"] for f in facts} >= {"withdrawal", "suspension", "coup", "partnership", "protest", "onset",
                                          "spread", "casualties", "displacement", "epicentre"}
    uk = facts[0]
    assert (uk["country"], uk["actor"], uk["actor_code"], uk["date"], uk["span"]) == (
        "MLI", "United Kingdom", "GBR", "2022-11-14", [53, 175])


def test_cli_plain_file_with_published_and_outputs(tmp_path, capsys):
    plain = FIXTURES / "plain" / "chad_recall.txt"
    table, gpkg = tmp_path / "facts.csv", tmp_path / "attributes.gpkg"
    assert spillover(str(plain), "--published", "2023-11-05", "--table", str(table), "--gpkg", str(gpkg)) == 0
    captured = capsys.readouterr()
    assert "Tchad has recalled" in captured.out and "deployment timeline" in captured.out
    assert len(pd.read_csv(table)) == 4 and gpd.read_file(gpkg, layer=LAYER).shape[0] > 5
    admin1 = gpd.read_file(gpkg, layer="admin1")  # the same facts on the admin-1 units, beside the countries'
    assert len(admin1) > 300 and "adm1_code" in admin1.columns


def test_cli_errors_name_the_file_and_write_nothing(tmp_path, capsys):
    plain = FIXTURES / "plain" / "chad_recall.txt"
    table = tmp_path / "facts.csv"
    assert spillover(str(plain), "--table", str(table)) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "chad_recall.txt" in err and "--published" in err
    bad = tmp_path / "overrides.toml"
    bad.write_text('[[add]]\nkind = "coup"\ncountry = "Narnia"\n', encoding="utf-8")
    assert spillover(str(SEEDS), "--overrides", str(bad), "--table", str(table)) == 2
    assert "overrides.toml: line 3" in " ".join(capsys.readouterr().err.split())
    assert spillover(str(plain), "--published", "2023-13-01") == 2
    assert "--published" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["overrides.toml"]


def test_documents_figure(tmp_path, fixture_facts, countries):
    from sim.plotting.documents import plot_documents

    written = plot_documents(fixture_facts, countries, tmp_path / "documents.png")
    assert [p.name for p in written] == ["documents.png"] and written[0].stat().st_size > 50_000
    assert dt.date.today()  # the figure has no date-dependent content; nothing else to check here
