"""Rules of the news-fact extractor (geo.documents), sixth file: the rules added with the six dev documents of
2026-12-03 (third round). Each test is a sentence written for it, not taken from the corpus."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from geo.documents import Document, extract_document

D = dt.date


def facts_of(text: str, published: dt.date = D(2023, 12, 1)):
    return extract_document(Document("t", text, published, Path("t.txt")))


def onsets(facts):
    return sorted((f.country, f.place, f.date) for f in facts if f.kind == "onset")


def test_a_first_attack_on_a_countrys_soil_is_an_onset_at_the_town_attacked():
    facts = facts_of("Gunmen raided a market in the town of Kandi on Friday, killing nine traders in the first "
                     "jihadist attack on Beninese soil, officials said on Saturday.", D(2019, 5, 5))
    assert onsets(facts) == [("BEN", "Kandi", D(2019, 5, 3))]
    # a part of "the country" is the document's host
    facts = facts_of("Niger's army said militants attacked the police post of Tombolo on 3 March, the first assault "
                     "of its kind in the south of the country.", D(2021, 3, 5))
    assert onsets(facts) == [("NER", "Tombolo", D(2021, 3, 3))]


def test_a_first_attack_as_a_copulas_attribute_or_without_a_countrys_ground_is_no_onset():
    # a comment on an event told before, and a first attack on a base (no country's ground)
    assert onsets(facts_of("It is the first deadly jihadist attack on Ghanaian soil.", D(2022, 6, 1))) == []
    assert onsets(facts_of("Insurgents shelled the airport of Gao on Monday, the first attack on a French base "
                           "this year.", D(2021, 6, 9))) == []


def withdrawals(facts):
    return sorted((f.country, f.actor_code, f.size, f.date, f.bases) for f in facts if f.kind == "withdrawal")


def test_left_as_a_participle_after_a_noun_is_what_remains_no_withdrawal():
    facts = facts_of("Some 400 Belgian soldiers are based in Niger, the last Belgian contingent left in the region.",
                     D(2022, 3, 1))
    assert withdrawals(facts) == []
    # the verb still is one
    assert [f.country for f in facts_of("The Belgian contingent left Niger in March.", D(2022, 6, 1))
            if f.kind == "withdrawal"] == ["NER"]


def test_a_capital_a_force_is_pulled_out_of_is_a_base_left():
    facts = facts_of("Washington said on 3 May that it would pull about 60 soldiers out of Niamey within weeks.",
                     D(2024, 5, 4))
    assert withdrawals(facts) == [("NER", "USA", 60, D(2024, 5, 3), ("Niamey",))]


def deployments(facts):
    return sorted((f.country, f.actor_code, f.size, f.date) for f in facts if f.kind == "deployment")


def test_members_of_a_force_give_its_size():
    facts = facts_of("The first 80 members of a Portuguese training contingent landed in Bamako on Tuesday.",
                     D(2019, 2, 7))
    assert deployments(facts) == [("MLI", "PRT", 80, D(2019, 2, 5))]
    # members of no force give no size
    facts = facts_of("Nine members of parliament visited the Portuguese troops who arrived in Mali in May.",
                     D(2019, 7, 1))
    assert [f.size for f in facts if f.kind == "deployment"] == [None]


def test_a_force_due_somewhere_is_a_planned_deployment_dated_ahead():
    facts = facts_of("The remaining 300 Senegalese soldiers are due in Timbuktu in February, the ministry said.",
                     D(2013, 11, 20))
    assert [(f.country, f.actor_code, f.size, f.date, f.planned) for f in facts if f.kind == "deployment"] == [
        ("MLI", "SEN", 300, D(2014, 2, 1), True)]
    # only a force is due
    assert deployments(facts_of("A vote on the Senegalese mission is due in March in Dakar.", D(2013, 11, 20))) == []


def test_the_capital_in_the_phrase_of_a_force_leaving_is_the_hosts_capital():
    facts = facts_of("The Italian trainers in Niger had already left Camp Aero, next to the capital's airport, on "
                     "20 April.", D(2024, 5, 10))
    assert [(f.country, f.date, f.bases) for f in facts if f.kind == "withdrawal"] == [
        ("NER", D(2024, 4, 20), ("Niamey",))]


def test_a_deployment_still_to_be_voted_on_is_planned_and_takes_no_date_from_the_vote():
    facts = facts_of("Ghana's parliament will vote on Tuesday on sending 300 soldiers into Burkina Faso.",
                     D(2023, 3, 1))
    assert [(f.country, f.actor_code, f.size, f.date, f.planned) for f in facts if f.kind == "deployment"] == [
        ("BFA", "GHA", 300, None, True)]


def tolls(facts):
    return sorted((f.country, f.size, f.date) for f in facts if f.kind == "casualties")


def test_a_number_of_nationalities_or_attacks_is_no_toll():
    facts = facts_of("Fourteen people of at least nine nationalities were killed in Bamako on Friday.", D(2015, 11, 22))
    assert tolls(facts) == [("MLI", 14, D(2015, 11, 20))]
    facts = facts_of("More than 40 soldiers were killed in Niger in 12 attacks in March.", D(2021, 4, 2))
    assert tolls(facts) == [("NER", 40, D(2021, 3, 1))]


def test_an_undated_toll_takes_the_date_of_the_attack_told_before_among_several_dates():
    facts = facts_of("Soldiers retook the hotel in Bamako on Saturday, a day after gunmen stormed it on Friday. "
                     "Twenty people were killed, the government said.", D(2015, 11, 22))
    assert tolls(facts) == [("MLI", 20, D(2015, 11, 20))]


def test_a_datelines_capital_is_never_an_actor():
    facts = facts_of("NIAMEY, April 12 – Russian military instructors arrived in Niamey on Wednesday with equipment "
                     "to train Niger's army, state television reported, a sign of the junta's turn towards Moscow.",
                     D(2024, 4, 12))
    assert [(f.country, f.actor_code, f.bases) for f in facts if f.kind == "deployment"] == [
        ("NER", "RUS", ("Niamey",))]


def test_a_state_that_has_troops_in_the_country_is_present_in_the_documents_host():
    facts = facts_of("About 300 Spanish soldiers are based in Mauritania. Italy has about 40 military personnel in "
                     "the country.", D(2020, 1, 10))
    assert deployments(facts) == [("MRT", "ESP", 300, None), ("MRT", "ITA", 40, None)]
    # without "in the country", a state that has troops is no foreign presence
    assert deployments(facts_of("Mauritania has about 15,000 soldiers.", D(2020, 1, 10))) == []


def test_a_state_that_provides_a_bare_count_after_a_troop_count_is_present_with_it():
    facts = facts_of("Niger is the largest contributor to the force, with about 900 soldiers in Mali. Togo provides "
                     "650 and Ghana 420.", D(2016, 5, 1))
    assert deployments(facts) == [("MLI", "GHA", 420, None), ("MLI", "NER", 900, None), ("MLI", "TGO", 650, None)]
    # a bare count with no troops counted just before is no presence
    assert deployments(facts_of("Mali's mines are rich. Togo provides 650 and Ghana 420.", D(2016, 5, 1))) == []
