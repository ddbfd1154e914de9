"""Fact extraction: the seed's facts with their exact sentences and spans, generality on unseen fixture documents,
overrides and serialisation."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from geo.documents import Document, load_documents, read_document
from geo.errors import SpilloverError
from geo.documents import extract_document, extract_facts
from geo.documents.nlp import pipeline
from geo.documents.sentence import mentions_of
from geo.documents.facts import FIELDS, KINDS, Fact, facts_table, read_overrides, to_json_lines, write_facts_table
from geo.places import resolve_place

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_e52ff93ba690b6b9.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "documents"
D = dt.date


@pytest.fixture(scope="module")
def seed():
    doc = read_document(SEED)
    return doc, extract_document(doc)


@pytest.fixture(scope="module")
def fixtures():
    return {doc.id: (doc, extract_document(doc)) for doc in load_documents(FIXTURES)}


def pick(facts, **fields) -> list[Fact]:
    return [f for f in facts if all(getattr(f, k) == v for k, v in fields.items())]


def one(facts, **fields) -> Fact:
    found = pick(facts, **fields)
    assert len(found) == 1, f"{len(found)} facts match {fields}: {[f.id for f in found]}"
    return found[0]


def evidence(doc: Document, fact: Fact) -> str:
    return doc.text[fact.span[0]:fact.span[1]]


def brief(text: str, published: dt.date = D(2023, 12, 23)) -> list[Fact]:
    """Facts of a one-paragraph document published on ``published``."""
    return extract_document(Document("brief", text, published, Path("brief.txt")))


# ------------------------------------------------------------------------------------------------ seed
def test_every_seed_fact_quotes_its_sentence_and_evidence(seed):
    doc, facts = seed
    assert facts and {f.kind for f in facts} == set(KINDS) - {"deployment"}
    for f in facts:
        assert f.document == doc.id and f.rule and f.sentence_index is not None
        assert doc.text[f.sentence_span[0]:f.sentence_span[1]] == f.sentence
        assert f.sentence_span[0] <= f.span[0] < f.span[1] <= f.sentence_span[1]
    assert len({f.id for f in facts}) == len(facts)


def test_uk_leaves_minusma_six_months_early_announced_2022_11_14(seed):
    doc, facts = seed
    uk = pick(facts, kind="withdrawal", actor_code="GBR", country="MLI")
    assert uk and all(f.actor == "United Kingdom" for f in uk)
    first = one(uk, sentence_index=0)
    assert first.sentence == ("Following in the footsteps of its European partners, Britain too has cut short its "
                              "troop deployment with the UN’s peacekeeping mission in Mali, six months earlier than "
                              "planned.")
    assert first.span == (53, 175) and evidence(doc, first) == (
        "Britain too has cut short its troop deployment with the UN’s peacekeeping mission in Mali, six months "
        "earlier than planned")
    assert (first.mission, first.date, first.date_basis, first.date_precision) == (
        "MINUSMA", D(2022, 11, 14), "publication", "day")
    assert (first.timing, first.timing_offset, first.planned) == ("earlier", "six months", False)
    size = one(uk, sentence_index=1)
    assert size.size == 300 and size.span == (178, 359) and evidence(doc, size).endswith(
        "its 300-strong contingent from Mali")
    announced = one(uk, sentence_index=2)
    assert evidence(doc, announced) == "UK contingent will... now be leaving the MINUSMA mission earlier than planned"
    assert (announced.mission, announced.planned, announced.timing, announced.date) == (
        "MINUSMA", True, "earlier", D(2022, 11, 14))
    assert announced.inferred == ("country:mission-host",)


def test_france_ends_barkhane_four_days_earlier_across_five_hosts(seed):
    doc, facts = seed
    barkhane = pick(facts, kind="withdrawal", actor_code="FRA", mission="Barkhane")
    assert sorted(f.country for f in barkhane) == ["BFA", "MLI", "MRT", "NER", "TCD"]
    for f in barkhane:
        assert f.countries == ("BFA", "TCD", "MLI", "MRT", "NER")
        assert (f.date, f.date_text, f.date_basis, f.planned) == (D(2022, 11, 10), "four days after", "relative", True)
        assert f.sentence.startswith("UK’s troops withdrawal comes four days after France decided to end")
        assert f.span[0] == 892
    niger = one(barkhane, country="NER")
    assert evidence(doc, niger) == ("four days after France decided to end ‘Operation Barkhane’ in the Sahel — a "
                                    "categorisation used for a group of countries comprising Burkina Faso, Chad, "
                                    "Mali, Mauritania and Niger")
    anchor = one(facts, kind="withdrawal", sentence_index=5, actor_code="GBR")
    assert evidence(doc, anchor) == "UK’s troops withdrawal"
    assert anchor.inferred == ("mission:continuity", "country:continuity") and anchor.mission == "MINUSMA"


def test_germany_halts_in_august_until_further_notice_not_russia(seed):
    doc, facts = seed
    germany = one(facts, kind="suspension")
    assert (germany.actor, germany.actor_code, germany.country) == ("Germany", "DEU", "MLI")
    assert (germany.date, germany.date_precision, germany.date_text) == (D(2022, 8, 1), "month", "Earlier in August")
    assert germany.period == "until further notice" and germany.date_end is None and germany.planned is False
    assert germany.span == (1073, 1152) and evidence(doc, germany) == (
        "Earlier in August, Germany, too, halted troops deployment “until further notice")
    assert germany.inferred == ("country:document",)
    assert not pick(facts, actor_code="RUS")


def test_sweden_announced_in_march_it_would_leave_minusma(seed):
    doc, facts = seed
    sweden = one(facts, actor_code="SWE")
    assert (sweden.kind, sweden.mission, sweden.country, sweden.planned) == ("withdrawal", "MINUSMA", "MLI", True)
    assert (sweden.date, sweden.date_precision) == (D(2022, 3, 1), "month")
    assert sweden.sentence == "And in March, it was Sweden that announced it would be leaving the MINUSMA mission altogether."
    assert evidence(doc, sweden) == "in March, it was Sweden that announced it would be leaving the MINUSMA"


def test_two_coups_in_three_years_in_mali(seed):
    doc, facts = seed
    coup = one(facts, kind="coup")
    assert (coup.country, coup.count, coup.period) == ("MLI", 2, "three years")
    assert (coup.date, coup.date_end, coup.date_basis) == (D(2019, 11, 14), D(2022, 11, 14), "relative")
    assert coup.sentence == "“Two coups in three years have undermined international efforts to advance peace."
    assert coup.span == (599, 608) and evidence(doc, coup) == "Two coups"


def test_malian_government_partnership_with_wagner(seed):
    doc, facts = seed
    partners = pick(facts, kind="partnership")
    assert [(f.country, f.actor, f.actor_code) for f in partners] == [("MLI", "Wagner Group", None)] * 2
    assert [evidence(doc, f) for f in partners] == ["Bamako of working with the Wagner group",
                                                    "Malian government’s partnership with Wagner group"]
    assert partners[1].span == (2310, 2359) and partners[1].date_end == D(2022, 11, 14)
    assert all("denied" not in f.sentence for f in facts)  # "Mali has … denied turning to Wagner" is no fact


def test_protests_against_foreign_forces_in_mali_and_burkina(seed):
    doc, facts = seed
    protests = pick(facts, kind="protest")
    assert [f.country for f in protests] == ["MLI", "BFA"]
    for f in protests:
        assert f.actor == "European militaries" and f.countries == ("MLI", "BFA")
        assert evidence(doc, f).startswith("European militaries – officially justified")
        assert evidence(doc, f).endswith("where residents have repeatedly demonstrated against their presence")


def test_onset_in_northern_mali_2012_and_spread_into_niger_and_burkina(seed, countries):
    doc, facts = seed
    onset = one(facts, kind="onset")
    assert (onset.country, onset.place, onset.date, onset.date_precision) == ("MLI", "northern Mali", D(2012, 1, 1),
                                                                             "year")
    assert evidence(doc, onset) == "insurgency that first erupted in the country’s north in 2012"
    assert onset.inferred == ("place:the-country",)
    assert resolve_place(onset.place, countries).codes == ("MLI",)
    spread = pick(facts, kind="spread")
    assert [f.country for f in spread] == ["NER", "BFA"]
    assert evidence(doc, spread[1]).endswith("has now spilled over into neighbouring Niger and Burkina Faso")
    assert all(f.date is None and f.date_end == D(2022, 11, 14) for f in spread)


def test_burkina_epicentre_thousands_killed_millions_displaced(seed):
    doc, facts = seed
    sentence = ("Burkina Faso has since become the epicentre of the conflict, where thousands of people have been "
                "killed and millions displaced.")
    epicentre = one(facts, kind="epicentre")
    killed = one(facts, kind="casualties")
    displaced = one(facts, kind="displacement")
    for f in (epicentre, killed, displaced):
        assert f.country == "BFA" and f.sentence == sentence and f.sentence_span == (1889, 2016)
    assert evidence(doc, epicentre) == "Burkina Faso has since become the epicentre"
    assert (killed.magnitude, killed.size) == ("thousands", None)
    assert evidence(doc, killed).endswith("where thousands of people have been killed")
    assert (displaced.magnitude, displaced.size) == ("millions", None)
    assert evidence(doc, displaced).endswith("and millions displaced")


# ------------------------------------------------------------------------------------------------ generality
def test_fixture_mali_france_exit(fixtures):
    doc, facts = fixtures["mali_france_exit"]
    left = one(facts, kind="withdrawal", mission="Barkhane", planned=False)
    assert (left.actor_code, left.country, left.date, left.planned) == ("FRA", "MLI", D(2022, 8, 15), False)
    assert evidence(doc, left) == ("French soldiers of Operation Barkhane left Mali on Monday, ending a nine-year "
                                   "military presence")
    serval = one(facts, kind="deployment", mission="Serval")
    assert (serval.actor_code, serval.country, serval.mission, serval.date, serval.date_precision) == (
        "FRA", "MLI", "Serval", D(2013, 1, 1), "month")
    barkhane = one(facts, kind="deployment", mission="Barkhane")  # "Serval, which was replaced by Barkhane in …"
    assert (barkhane.country, barkhane.date, barkhane.date_precision) == ("MLI", D(2014, 8, 1), "month")
    coups = pick(facts, kind="coup")
    assert [(f.country, f.date) for f in coups] == [("MLI", D(2020, 8, 1)), ("MLI", D(2021, 5, 1))]
    announced = one(facts, kind="withdrawal", date=D(2022, 2, 17))
    assert (announced.actor_code, announced.planned, announced.country) == ("FRA", True, "MLI")
    assert not [f for f in facts if "ambassador" in evidence(doc, f)]  # an ambassador is no force
    wagner = one(facts, kind="partnership")
    assert (wagner.country, wagner.actor, wagner.date, wagner.date_end) == ("MLI", "Wagner Group", D(2021, 1, 1),
                                                                             D(2022, 8, 16))
    assert not pick(facts, actor_code="RUS") and not pick(facts, country="RUS")
    protest = one(facts, kind="protest")
    assert (protest.country, protest.actor_code) == ("MLI", "FRA")
    assert evidence(doc, protest) == "demonstrated in Bamako against the French presence"
    denmark = one(facts, actor_code="DNK", planned=False)
    assert (denmark.country, denmark.date, denmark.date_precision) == ("MLI", D(2022, 1, 1), "month")
    demand = one(facts, actor_code="DNK", planned=True)  # "days after the junta demanded their withdrawal"
    assert (demand.country, demand.date) == ("MLI", None)


def test_fixture_minusma_mandate_end(fixtures):
    doc, facts = fixtures["minusma_mandate_end"]
    mandate = one(facts, kind="withdrawal", date=D(2023, 6, 30))
    assert (mandate.actor, mandate.mission, mandate.country, mandate.planned) == (
        "United Nations", "MINUSMA", "MLI", False)
    assert evidence(doc, mandate) == "UN Security Council ended MINUSMA's mandate on 30 June 2023"
    deadline = one(facts, kind="withdrawal", date=D(2023, 12, 31))
    assert (deadline.size, deadline.magnitude, deadline.planned) == (13000, "roughly 13,000", True)
    germany = one(facts, actor_code="DEU")
    assert (germany.size, germany.date, germany.planned, germany.country) == (1100, D(2024, 5, 31), True, "MLI")  # by May: its last day
    assert sorted(f.actor_code for f in facts if f.date == D(2022, 1, 1)) == ["BEN", "CIV", "SWE"]
    killed = one(facts, kind="casualties")
    assert (killed.country, killed.size, killed.date, killed.date_end) == ("MLI", 300, D(2013, 1, 1), D(2023, 7, 1))
    assert one(facts, kind="onset").place == "northern Mali"
    assert [f.country for f in pick(facts, kind="spread")] == ["BFA", "NER"]


def test_fixture_niger_coup(fixtures):
    doc, facts = fixtures["niger_coup"]
    coup = one(facts, kind="coup", date=D(2023, 7, 26))
    assert (coup.country, coup.actor, coup.actor_code) == ("NER", "army", "NER")
    assert evidence(doc, coup).startswith("Niger's army seized power on 26 July 2023")
    protest = one(facts, kind="protest")
    assert (protest.country, protest.actor_code, protest.date) == ("NER", "FRA", D(2023, 8, 1))
    done = one(facts, kind="withdrawal", date=D(2023, 12, 22))
    assert (done.actor_code, done.country, done.size, done.planned) == ("FRA", "NER", 1500, False)
    ordered = one(facts, kind="withdrawal", rule="withdrawal.order")
    assert (ordered.actor_code, ordered.country, ordered.planned) == ("FRA", "NER", True)
    killed = one(facts, kind="casualties")
    assert (killed.country, killed.size, killed.magnitude, killed.date, killed.place) == (
        "NER", 17, "at least 17", D(2023, 8, 15), "western Niger")
    us = one(facts, kind="suspension")
    assert (us.actor_code, us.country, us.date) == ("USA", "NER", D(2023, 10, 1))


def test_fixture_burkina_displacement(fixtures):
    doc, facts = fixtures["burkina_displacement"]
    killed = one(facts, kind="casualties")
    assert (killed.country, killed.size, killed.actor, killed.date) == ("BFA", 40, "jihadists", D(2023, 6, 12))
    assert evidence(doc, killed) == "Jihadists killed 40 soldiers near Djibo on Monday"
    fled = one(facts, kind="displacement")
    assert (fled.country, fled.size, fled.magnitude, fled.date_end) == (
        "BFA", 2_000_000, "More than 2 million", D(2023, 6, 15))
    assert one(facts, kind="onset").date == D(2015, 1, 1)
    coups = pick(facts, kind="coup")
    assert [(f.date, f.count) for f in coups] == [(D(2022, 1, 1), 2), (D(2022, 9, 1), 2)]
    sabre = one(facts, kind="withdrawal", mission="Sabre")
    assert (sabre.actor_code, sabre.country, sabre.date, sabre.planned) == ("FRA", "BFA", D(2023, 2, 18), False)
    asked = one(facts, kind="withdrawal", date=D(2023, 1, 1))
    assert (asked.actor_code, asked.planned, asked.rule) == ("FRA", True, "withdrawal.order")
    assert one(facts, kind="epicentre").country == "BFA"
    assert [f.country for f in pick(facts, kind="spread")] == ["BEN", "TGO"]


def test_plain_file_with_french_names():
    doc = read_document(FIXTURES / "plain" / "chad_recall.txt", published="2023-11-05")
    facts = extract_document(doc)
    chad = one(facts, kind="withdrawal")
    assert (chad.actor, chad.actor_code, chad.country, chad.mission, chad.size) == ("Chad", "TCD", "MLI", "MINUSMA",
                                                                                   1400)
    killed = one(facts, kind="casualties")
    assert (killed.country, killed.place, killed.date, killed.date_end) == ("BEN", "northern Benin", D(2023, 10, 23),
                                                                            D(2023, 10, 29))
    assert [f.country for f in pick(facts, kind="spread")] == ["BEN", "TGO"]


def test_country_names_in_french_english_aliases_demonyms_and_capitals():
    nlp = pipeline()
    doc = nlp("Tchad, Mauritanie, Royaume-Uni, Allemagne, Côte d’Ivoire, Britain, the Burkinabe army, "
              "Nigerien troops and officials in Bamako met.")
    codes = [m.code for m in mentions_of(doc, list(doc.sents)[0]) if m.code]
    assert codes == ["TCD", "MRT", "GBR", "DEU", "CIV", "GBR", "BFA", "NER", "MLI"]


@pytest.mark.parametrize("text, kind, expected", [
    ("Mali's junta ordered French troops to leave.", "withdrawal",
     dict(actor_code="FRA", country="MLI", planned=True, rule="withdrawal.order")),
    ("The UN Security Council ended MINUSMA's mandate on 30 June 2023.", "withdrawal",
     dict(actor="United Nations", mission="MINUSMA", country="MLI", date=D(2023, 6, 30))),
    ("Niger's army seized power on 26 July 2023.", "coup",
     dict(country="NER", date=D(2023, 7, 26), count=1, actor="army")),
    ("Jihadists killed 40 soldiers near Djibo.", "casualties", dict(country="BFA", size=40, actor="jihadists")),
    ("More than 2 million people have fled their homes in Burkina Faso.", "displacement",
     dict(country="BFA", size=2_000_000, date_end=D(2023, 12, 23))),
    ("Burkina Faso's junta expelled French special forces in January 2023.", "withdrawal",
     dict(actor_code="FRA", country="BFA", date=D(2023, 1, 1), planned=False, rule="withdrawal.expulsion")),
    ("Russia's Africa Corps deployed 100 instructors to Niger in April.", "deployment",
     dict(actor="Africa Corps", country="NER", size=100, date=D(2023, 4, 1))),
    ("The violence has spread into Benin and Togo.", "spread", dict(country="BEN")),
    ("Hundreds of Russian mercenaries from the Wagner Group arrived in Mali in December 2021.", "deployment",
     dict(actor="Wagner Group", actor_code=None, country="MLI", date=D(2021, 12, 1))),
    ("Burkina Faso has been hit by an insurgency since 2015, which spilled over from neighbouring Mali.", "spread",
     dict(country="BFA", date=D(2015, 1, 1), date_end=D(2023, 12, 23))),
    ("In February 2022, France announced the withdrawal of its troops from Mali.", "withdrawal",
     dict(actor_code="FRA", country="MLI", planned=True, date=D(2022, 2, 1), date_precision="month")),
])
def test_unseen_phrasings(text, kind, expected):
    facts = pick(brief(text), kind=kind)
    assert facts, f"no {kind} fact in {text!r}"
    for key, value in expected.items():
        assert getattr(facts[0], key) == value, (key, facts[0])


@pytest.mark.parametrize("text", [
    "This government cannot deploy our nation’s military to provide security.",
    "Mali has denied turning to Wagner's mercenaries.",
    "Chad's army foiled a coup attempt on Monday.",
    "Mali's junta ordered the French ambassador to leave the country.",
    "Protesters in Niamey demanded higher wages.",
    "Mali, Burkina Faso and Niger announced on 28 January 2024 that they would leave ECOWAS.",
    "The UN said 4 million people had been displaced across the central Sahel.",
])
def test_no_fact_where_none_is_stated(text):
    assert brief(text) == []


def test_undatable_event_stays_explicitly_unknown():
    fact = one(brief("France withdrew its troops from Mali after talks collapsed."), kind="withdrawal")
    assert (fact.date, fact.date_end, fact.date_precision, fact.date_basis) == (None, None, "unknown", "unknown")


def test_unsupported_language_is_refused(tmp_path):
    doc = Document("fr", "La France a retiré ses troupes.", D(2022, 1, 1), tmp_path / "fr.txt", language="fr")
    with pytest.raises(SpilloverError, match="language 'fr' is not supported"):
        extract_document(doc)


def test_pipeline_is_built_once():
    assert pipeline() is pipeline()


# ------------------------------------------------------------------------------------------------ overrides
def overrides_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "overrides.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_overrides_add_correct_and_reject(tmp_path, seed):
    doc, facts = seed
    germany = one(facts, kind="suspension")
    pullout = one(facts, kind="withdrawal", sentence_index=11)
    path = overrides_file(tmp_path, f"""
[[add]]
kind = "coup"
country = "Niger"
date = 2023-07-26
note = "not in the seed"

[[correct]]
id = "{germany.id}"
mission = "MINUSMA"

[[reject]]
id = "{pullout.id}"
""")
    result = extract_facts([doc], overrides=path)
    assert len(result) == len(facts)
    added = one(result, kind="coup", country="NER")
    assert (added.rule, added.document, added.date, added.date_basis, added.note) == (
        "manual", "manual", D(2023, 7, 26), "manual", "not in the seed")
    fixed = one(result, id=germany.id)
    assert (fixed.mission, fixed.rule, fixed.span) == ("MINUSMA", "manual", germany.span)
    assert "suspension.verb" in fixed.note
    assert not pick(result, id=pullout.id)


def test_documented_overrides_example_applies(tmp_path, seed):
    import textwrap

    import geo.documents.facts

    doc, facts = seed
    example = geo.documents.facts.__doc__.split("carry ``rule = \"manual\"``::")[1].split("Errors name")[0]
    result = extract_facts([doc], overrides=overrides_file(tmp_path, textwrap.dedent(example)))
    assert len(result) == len(facts)  # one added, one rejected
    assert one(result, kind="suspension").mission == "MINUSMA"


@pytest.mark.parametrize("text, pattern", [
    ('[[add]]\nkind = "coup"\ncountry = "Atlantis"\n', r"overrides\.toml: line 3: \[\[add\]\] country 'Atlantis' is not"),
    ('\n[[reject]]\nid = "000_e52ff93ba690b6b9:coup:MLI:599-609"\n',
     r"overrides\.toml: line 3: \[\[reject\]\] names unknown fact .*did you mean"),
    ('[[add]]\nkind = "riot"\ncountry = "Mali"\n', r"line 2: \[\[add\]\] unknown kind 'riot'; valid"),
    ('[[add]]\nkind = "coup"\ncountry = "MLI"\nwhen = 2020\n', r"line 4: \[\[add\]\] unknown key 'when'"),
    ('[[add]]\nkind = "coup"\ncountry = "MLI"\ndate = "last spring"\n', r"line 4: .*not a date"),
    ('[[add]]\nkind = "coup"\n', r"line 2: \[\[add\]\] lacks 'country'"),
    ('[[remove]]\nid = "x"\n', r"line 1: unknown section 'remove'"),
])
def test_bad_overrides_name_file_and_line(tmp_path, seed, text, pattern):
    doc, _ = seed
    path = overrides_file(tmp_path, text)
    with pytest.raises(SpilloverError, match=pattern):
        extract_facts([doc], overrides=path)


def test_overrides_file_must_exist(tmp_path):
    with pytest.raises(SpilloverError, match="no such overrides file"):
        read_overrides(tmp_path / "none.toml")


# ------------------------------------------------------------------------------------------------ serialisation
def test_json_lines_and_table_round_trip(tmp_path, seed):
    _, facts = seed
    lines = to_json_lines(facts).splitlines()
    assert len(lines) == len(facts)
    first = json.loads(lines[0])
    assert list(first) == list(FIELDS)
    for key in ("kind", "country", "actor", "mission", "date", "date_end", "size", "magnitude", "document",
                "sentence", "span", "rule"):
        assert key in first
    assert first["date"] == "2022-11-14" and first["span"] == [53, 175]
    assert [Fact.from_dict(json.loads(line)) for line in lines] == facts
    path = write_facts_table(tmp_path / "facts.csv", facts)
    table = facts_table(facts)
    assert len(table) == len(facts) and path.read_text(encoding="utf-8").startswith("id,kind,country,actor")
    assert list(tmp_path.iterdir()) == [path]
