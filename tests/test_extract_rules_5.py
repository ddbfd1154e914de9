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


def test_a_force_grown_to_a_stated_size_is_a_presence_of_that_size():
    facts = facts_of("In 2019 Spain increased its contingent in Mali to 600 soldiers.", D(2019, 12, 1))
    assert deployments(facts) == [("MLI", "ESP", 600, D(2019, 1, 1))]
    facts = facts_of("Germany cut its contingent in Mali to 300 soldiers in May.", D(2022, 8, 1))
    assert deployments(facts) == [("MLI", "DEU", 300, D(2022, 5, 1))]
    # a number grown that is no force, and a force grown without a new size, are no presence
    assert deployments(facts_of("Food prices in Mali increased to 300 francs in May.", D(2022, 8, 1))) == []
    assert deployments(facts_of("Spain increased its contingent in Mali in May.", D(2022, 8, 1))) == []


def test_a_pronoun_subject_of_a_coordinated_clause_is_the_state_of_the_first_clause():
    facts = facts_of("Vilnius saw the mission as a debt repaid to France, and in 2021 it doubled its contingent in "
                     "Mali to about 60 soldiers.", D(2021, 12, 1))
    assert deployments(facts) == [("MLI", "LTU", 60, D(2021, 1, 1))]


def test_a_partitive_relative_clause_keeps_its_places_and_missions_to_itself():
    facts = facts_of("Sweden sent 250 soldiers to Mali in 2015, several of whom had served with Barkhane in Chad.",
                     D(2015, 12, 1))
    assert [(f.country, f.mission) for f in facts if f.kind == "deployment"] == [("MLI", None)]


def test_engaging_or_committing_soldiers_in_a_country_is_a_deployment():
    facts = facts_of("Senegal has engaged since March about 600 soldiers in Gambia.", D(2017, 5, 1))
    assert deployments(facts) == [("GMB", "SEN", 600, D(2017, 3, 1))]
    facts = facts_of("Chad committed 1,200 troops to Mali in January.", D(2013, 3, 1))
    assert deployments(facts) == [("MLI", "TCD", 1200, D(2013, 1, 1))]
    # without a force, committing is no deployment
    assert deployments(facts_of("Chad committed itself to fight the sect in Niger.", D(2015, 3, 1))) == []


def test_a_gapped_state_with_a_number_shares_the_verb_and_takes_the_towns_after_it():
    facts = facts_of("Chad keeps 1,400 soldiers with the UN mission in Mali, and Togo about 900, most of them in "
                     "Douentza.", D(2021, 4, 1))
    assert sorted((f.actor_code, f.size, f.bases) for f in facts if f.kind == "deployment") == [
        ("TCD", 1400, ()), ("TGO", 900, ("Douentza",))]
    facts = facts_of("France has 1,500 soldiers in Niger and Italy about 300, most of them in Niamey.", D(2021, 4, 1))
    assert sorted((f.country, f.actor_code, f.size, f.bases) for f in facts if f.kind == "deployment") == [
        ("NER", "FRA", 1500, ()), ("NER", "ITA", 300, ("Niamey",))]


def tolls(facts):
    return sorted((f.country, f.size) for f in facts if f.kind == "casualties")


def test_a_number_of_a_verb_coordinated_with_the_toll_is_no_toll():
    facts = facts_of("Four gunmen were killed in Bamako and 170 guests rescued.", D(2015, 11, 21))
    assert tolls(facts) == []  # the attackers' dead are no toll, the rescued none either
    facts = facts_of("Gunmen killed 12 soldiers in Mali and wounded 40 more.", D(2019, 5, 1))
    assert tolls(facts) == [("MLI", 12)]


def test_an_opening_subordinate_clause_takes_no_date_from_the_main_clause():
    facts = facts_of("Norway has 60 soldiers in Mali. After Sweden said it would withdraw from Mali, the Norwegian "
                     "government decided on Tuesday to bring its soldiers home by the end of the year.", D(2022, 3, 10))
    assert sorted((f.actor_code, f.date) for f in facts if f.kind == "withdrawal") == [
        ("NOR", D(2022, 12, 31)), ("SWE", None)]


def test_a_coup_noun_takes_the_place_of_its_own_phrase_by_the_parse():
    facts = facts_of("Germany has halted its training flights, the ministry said on Monday, a week after a new coup "
                     "d'État in Niamey.", D(2023, 8, 2))
    assert [f.country for f in facts if f.kind == "coup"] == ["NER"]


def test_the_object_of_a_suspension_may_stand_after_a_parenthesis():
    facts = facts_of("Germany decided on Friday to suspend, for the time being, its military operations with the "
                     "Nigerien army.", D(2023, 8, 4))
    assert [(f.kind, f.country, f.actor_code) for f in facts] == [("suspension", "NER", "DEU")]


def test_people_who_fled_into_a_country_are_displaced_from_the_country_of_the_events_before():
    facts = facts_of("Gunmen killed 20 villagers in central Mali on Sunday. Hundreds of families have since fled "
                     "across the border into Burkina Faso.", D(2019, 3, 20))
    assert [f.country for f in facts if f.kind == "displacement"] == ["MLI"]
    facts = facts_of("About 4,000 villagers fled to Djibo after the raid.", D(2020, 6, 1))
    assert [f.country for f in facts if f.kind == "displacement"] == ["BFA"]  # a town reached: no border crossed


def test_a_conflict_that_a_relative_clause_says_has_gone_on_since_a_year_began_then():
    facts = facts_of("Niger's army blamed the jihadist violence that has displaced 300,000 people since 2017.",
                     D(2021, 3, 1))
    assert [(f.country, f.date) for f in facts if f.kind == "onset"] == [("NER", D(2017, 1, 1))]


def onsets(facts):
    return [(f.country, f.date) for f in facts if f.kind == "onset"]


def test_an_undated_onset_takes_the_date_that_opens_the_next_sentence_when_it_tells_an_attack():
    text = "Niger's war in the west began in Tillabéri. On 4 October 2017, gunmen ambushed a patrol near Tongo Tongo."
    assert onsets(facts_of(text, D(2019, 1, 1))) == [("NER", D(2017, 10, 4))]
    # a next sentence that tells no attack, or a date not at its start, dates nothing
    text = "Niger's war in the west began in Tillabéri. On 4 October 2017, the government declared an emergency."
    assert onsets(facts_of(text, D(2019, 1, 1))) == [("NER", None)]


def test_a_definite_force_of_the_same_state_refers_back_to_the_launch_before():
    text = ("Belgium will send up to 200 soldiers to Mali, the government said on Friday. The Belgian unit will be "
            "stationed in Gao.")
    facts = facts_of(text, D(2014, 3, 7))
    assert [(f.country, f.actor_code, f.size, f.date, f.bases) for f in facts if f.kind == "deployment"] == [
        ("MLI", "BEL", 200, D(2014, 3, 7), ("Gao",))]


def test_a_contributor_with_a_number_of_troops_is_a_presence():
    facts = facts_of("Togo is the second troop contributor to the UN mission in Mali, with some 930 soldiers.",
                     D(2020, 6, 1))
    assert deployments(facts) == [("MLI", "TGO", 930, None)]
    assert deployments(facts_of("Togo is the second contributor to the fund for Mali, with 930 dollars.",
                                D(2020, 6, 1))) == []
    facts = facts_of("The UN mission in Mali counts 13,000 troops. Chad is the largest troop contributor, with about "
                     "1,450 soldiers, most of them deployed in Kidal.", D(2021, 4, 1))
    assert [(f.actor_code, f.size, f.bases) for f in facts if f.actor_code == "TCD"] == [("TCD", 1450, ("Kidal",))]


def test_a_coordinated_verb_of_waiting_names_the_bases_of_the_move():
    facts = facts_of("A column of Togolese soldiers has crossed into Niger and is waiting at Ayorou.", D(2013, 2, 1))
    assert [(f.country, f.actor_code, f.bases) for f in facts if f.kind == "deployment"] == [
        ("NER", "TGO", ("Ayorou",))]


def test_part_of_a_force_told_before_that_a_copula_puts_at_towns_is_a_presence_there():
    text = ("Belgium and Mali agreed on Sunday that the 500 Belgian troops in the country would leave by June. "
            "Most of the troops are at a camp in Gao.")
    facts = facts_of(text, D(2022, 3, 1))
    assert [(f.country, f.actor_code, f.bases) for f in facts if f.kind == "deployment"] == [("MLI", "BEL", ("Gao",))]


def test_up_from_an_earlier_count_states_the_count_at_that_date():
    facts = facts_of("Some 400,000 people have now fled their homes in Niger, the UN said on Friday, up from 150,000 "
                     "in March 2020.", D(2021, 6, 4))
    assert sorted((f.country, f.size, f.date) for f in facts if f.kind == "displacement") == [
        ("NER", 150000, D(2020, 3, 1)), ("NER", 400000, None)]


def test_a_spread_across_a_region_and_into_a_country_reaches_the_country():
    facts = facts_of("The violence has since spread across the Tillabéri region and into eastern Burkina Faso.",
                     D(2019, 6, 1))
    assert sorted(f.country for f in facts if f.kind == "spread") == ["BFA"]


def test_the_activation_or_dispatch_of_a_force_is_a_deployment():
    facts = facts_of("ECOWAS leaders on Friday ordered the activation of the bloc's standby force to restore order "
                     "in Mali.", D(2012, 11, 10))
    assert [(f.country, f.actor, f.date, f.planned) for f in facts if f.kind == "deployment"] == [
        ("MLI", "ECOWAS", D(2012, 11, 9), True)]
