"""Rules of the news-fact extractor (geo.documents), second file: facts told over two sentences, references back
to a force named before, tolls as sums, and triggers (cross the border, approve a force, replaced by). Each test
is a sentence written for it, not taken from the corpus."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from geo.documents import Document, extract_document

D = dt.date


def facts_of(text: str, published: dt.date = D(2023, 12, 1)):
    return extract_document(Document("t", text, published, Path("t.txt")))


def presence(facts, kind="deployment"):
    return sorted((f.country, f.actor_code or f.actor, f.mission, f.size, f.date, f.planned) for f in facts
                  if f.kind == kind)


# ------------------------------------------------------------------------------------------------ two sentences
def test_a_launch_gives_its_size_and_date_to_the_hosts_the_next_sentence_names():
    facts = facts_of("Spain launched Operation Duna on 3 May, a force of 400 soldiers. The troops will be stationed "
                     "in Mali and Mauritania.", D(2023, 6, 1))
    assert presence(facts) == [("MLI", "ESP", None, 400, D(2023, 5, 3), False),
                               ("MRT", "ESP", None, 400, D(2023, 5, 3), False)]


def test_a_force_an_organisation_authorised_is_the_mission_named_next():
    facts = facts_of("The African Union on 12 March authorised a force of 5,000 troops to fight the insurgents. The "
                     "G5 Sahel Joint Force will be based in Mali and Niger.", D(2023, 4, 1))
    assert presence(facts) == [("MLI", "G5 Sahel", "G5 Sahel Joint Force", 5000, D(2023, 3, 12), True),
                               ("NER", "G5 Sahel", "G5 Sahel Joint Force", 5000, D(2023, 3, 12), True)]


def test_a_regional_deployment_gives_its_size_to_the_hosts_of_the_next_sentence():
    facts = facts_of("Italy will send 300 more soldiers to the Sahel. The reinforcements will deploy in the border "
                     "zone between Niger and Burkina Faso.", D(2023, 6, 1))
    assert [(c, a, s, p) for c, a, _, s, _, p in presence(facts)] == [("BFA", "ITA", 300, True),
                                                                     ("NER", "ITA", 300, True)]


def test_other_troops_in_the_next_sentence_do_not_take_the_launch_size():
    facts = facts_of("Spain launched Operation Duna on 3 May, a force of 400 soldiers. Other troops will be "
                     "stationed in Mauritania.", D(2023, 6, 1))
    assert [(f.country, f.size) for f in facts if f.kind == "deployment" and f.sentence_index == 1] == [
        ("MRT", None)]


def test_a_number_of_them_is_part_of_the_force_named_before():
    facts = facts_of("Portugal sent 900 soldiers to Mali in May. About 300 of them will stay in Gao.", D(2023, 6, 1))
    assert presence(facts) == [("MLI", "PRT", None, 300, None, True), ("MLI", "PRT", None, 900, D(2023, 5, 1), False)]


def test_the_contingent_that_crosses_a_border_is_the_force_named_before():
    facts = facts_of("Chad sent a contingent of 2,000 soldiers to Cameroon in March. The contingent crossed the "
                     "border into Nigeria on 2 April.", D(2023, 6, 1))
    assert presence(facts) == [("CMR", "TCD", None, 2000, D(2023, 3, 1), False),
                               ("NGA", "TCD", None, None, D(2023, 4, 2), False)]


def test_militants_crossing_a_border_spread_the_conflict_and_deploy_nothing():
    facts = facts_of("Jihadist fighters crossed the border into Togo in 2022.", D(2023, 6, 1))
    assert [(f.kind, f.country) for f in facts] == [("spread", "TGO")]
    facts = facts_of("Militants who crossed the border from Mali attacked a police post in northern Mauritania.",
                     D(2023, 6, 1))
    assert [(f.kind, f.country) for f in facts] == [("spread", "MRT")]


# ------------------------------------------------------------------------------------------------ tolls
def test_a_toll_of_several_groups_is_their_sum():
    facts = facts_of("Gunmen killed at least 25 soldiers and nine civilians near Djibo on Monday.", D(2023, 6, 1))
    assert [(f.country, f.size) for f in facts if f.kind == "casualties"] == [("BFA", 34)]
    facts = facts_of("Eleven soldiers, six volunteers and two civilians were killed in Mali on Monday.", D(2023, 6, 1))
    assert [(f.country, f.size) for f in facts if f.kind == "casualties"] == [("MLI", 19)]


def test_the_wounded_and_groups_without_a_number_are_not_added_to_the_toll():
    facts = facts_of("Six Beninese soldiers were killed and 14 wounded in Benin on Monday.", D(2023, 6, 1))
    assert [(f.country, f.size) for f in facts if f.kind == "casualties"] == [("BEN", 6)]
    facts = facts_of("Militants killed 15 soldiers and park rangers in Benin on Monday.", D(2023, 6, 1))
    assert [(f.country, f.size) for f in facts if f.kind == "casualties"] == [("BEN", 15)]


def test_the_country_the_killers_came_from_is_not_the_place_of_the_toll():
    facts = facts_of("Jihadists from Niger killed 14 soldiers at a post in northern Benin on Monday.", D(2023, 6, 1))
    assert [(f.country, f.size) for f in facts if f.kind == "casualties"] == [("BEN", 14)]


# ------------------------------------------------------------------------------------------------ triggers
def test_a_force_approved_is_a_planned_deployment_of_the_mission_named():
    facts = facts_of("The Security Council approved a force of 4,000 soldiers, known as AFISMA, on 5 June.",
                     D(2013, 6, 10))
    assert [(f.country, f.mission, f.size, f.date, f.planned) for f in facts if f.kind == "deployment"] == [
        ("MLI", "AFISMA", 4000, D(2013, 6, 5), True)]


def test_those_who_replace_a_force_are_deployed():
    facts = facts_of("In Burkina Faso the French have been replaced by Russian instructors of the Africa Corps.",
                     D(2024, 6, 1))
    assert [(f.country, f.actor) for f in facts if f.kind == "deployment"] == [("BFA", "Africa Corps")]
    facts = facts_of("In Niger the curfew was replaced by a night-time ban on motorbikes.", D(2024, 6, 1))
    assert not [f for f in facts if f.kind == "deployment"]


def test_a_relative_pronoun_whose_antecedent_is_a_force_names_the_force():
    facts = facts_of("The junta turned to Russian mercenaries of the Africa Corps, who began arriving in Burkina "
                     "Faso in January.", D(2024, 6, 1))
    assert [(f.country, f.actor, f.date) for f in facts if f.kind == "deployment"] == [
        ("BFA", "Africa Corps", D(2024, 1, 1))]


def test_a_un_take_over_keeps_the_un_mission_not_the_african_force_it_absorbs():
    facts = facts_of("The United Nations took over peacekeeping in Mali on Monday: some 5,000 soldiers of the African "
                     "force AFISMA put on blue helmets and became troops of MINUSMA.", D(2013, 7, 2))
    assert [(f.actor, f.mission, f.size) for f in facts if f.kind == "deployment"] == [
        ("United Nations", "MINUSMA", 5000)]


# ------------------------------------------------------------------------------------------------ back-references
def test_the_mission_as_a_subject_is_the_mission_named_before():
    facts = facts_of("MINUSMA ended its patrols in Mali in June. The mission handed over its Tessalit camp on "
                     "10 August.", D(2023, 9, 1))
    found = [(f.mission, f.country, f.date, f.bases) for f in facts if f.kind == "withdrawal" and f.sentence_index == 1]
    assert found == [("MINUSMA", "MLI", D(2023, 8, 10), ("Tessalit",))]


def test_the_town_refers_back_to_the_town_named_before():
    facts = facts_of("Rebels entered Ménaka on Friday, a week after French troops left their base in the town.",
                     D(2022, 6, 20))
    assert [(f.actor_code, f.country, f.bases) for f in facts if f.kind == "withdrawal"] == [
        ("FRA", "MLI", ("Ménaka",))]
    facts = facts_of("Jihadists besieged Djibo for months. In March, French soldiers left their camp in the town.",
                     D(2022, 6, 20))
    assert [(f.actor_code, f.country, f.bases) for f in facts if f.kind == "withdrawal"] == [
        ("FRA", "BFA", ("Djibo",))]


def test_a_flag_lowered_where_a_town_is_named_is_a_departure_from_that_town():
    facts = facts_of("The ceremony took place at the camp in Gao, where the German flag was lowered on 12 December.",
                     D(2023, 12, 20))
    assert [(f.actor_code, f.country, f.bases, f.date) for f in facts if f.kind == "withdrawal"] == [
        ("DEU", "MLI", ("Gao",), D(2023, 12, 12))]


def test_troops_named_again_with_their_own_owner_do_not_take_the_launch_size():
    facts = facts_of("Spain launched Operation Duna on 3 May, a force of 400 soldiers. Spanish troops are also "
                     "stationed in Mauritania.", D(2023, 6, 1))
    assert [(f.country, f.size, f.date) for f in facts if f.kind == "deployment" and f.sentence_index == 1] == [
        ("MRT", None, None)]


def test_people_fleeing_across_a_border_spread_no_conflict():
    facts = facts_of("Thousands of villagers fleeing the fighting crossed the border into Niger in May.", D(2023, 6, 1))
    assert not [f for f in facts if f.kind in ("spread", "deployment")]


def test_the_attackers_killed_are_not_added_to_the_toll():
    facts = facts_of("Seven soldiers and 20 jihadists were killed in clashes in Niger on Monday.", D(2023, 6, 1))
    assert [(f.country, f.size) for f in facts if f.kind == "casualties"] == [("NER", 7)]
