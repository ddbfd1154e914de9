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


def test_a_date_on_a_noun_trigger_dates_that_noun_not_only_the_verb_above_it():
    facts = facts_of("The junta in Chad has relied on Russia since the departure of French forces last year.",
                     D(2025, 3, 1))
    exit_ = [f for f in facts if f.kind == "withdrawal"]
    assert [(f.country, f.actor_code, f.date, f.date_precision) for f in exit_] == [
        ("TCD", "FRA", D(2024, 1, 1), "year")]


def test_a_coup_named_again_with_a_coarser_date_is_the_same_coup():
    facts = facts_of("Officers seized power in Gabon on 30 August 2023. The junta in Gabon dissolved parliament "
                     "soon after the coup of August.", D(2023, 10, 1))
    assert summary(facts, "coup") == [("GAB", D(2023, 8, 30), "day")]


def test_the_driver_table_keeps_the_finer_date_of_one_coup_across_documents():
    from geo.documents.attributes import driver_table

    facts = facts_of("The army took power in Gabon in August 2023.", D(2023, 10, 1)) + facts_of(
        "Officers seized power in Gabon on 30 August 2023.", D(2023, 10, 1))
    coups = driver_table(facts)
    assert [(r.country, r.date.date(), r.precision) for r in coups.itertuples()] == [("GAB", D(2023, 8, 30), "day")]


def test_the_country_of_a_coup_is_no_partner_and_no_nationality_adjective_of_a_thing():
    facts = facts_of("Mali's army chief spoke on state television. Ties with France soured after the coup in "
                     "2021.", D(2022, 1, 10))
    assert summary(facts, "coup") == [("MLI", D(2021, 1, 1), "year")]
    facts = facts_of("Mali's army chief spoke on state television. The junta has relied on Turkish drones since "
                     "the coup.", D(2022, 1, 10))
    assert [f.country for f in facts if f.kind == "coup"] == ["MLI"]


def test_things_that_arrive_are_no_deployment_but_troops_are():
    assert not [f for f in facts_of("Turkish drones arrived in Niger in March.", D(2023, 6, 1))
                if f.kind == "deployment"]
    found = [(f.country, f.actor_code) for f in facts_of("Turkish soldiers arrived in Niger in March.", D(2023, 6, 1))
             if f.kind == "deployment"]
    assert found == [("NER", "TUR")]


def test_an_infinitive_under_a_verb_with_an_object_takes_the_object_as_its_subject_and_number():
    facts = facts_of("The Security Council ended the MINUSMA mandate in May at the request of Chad's junta, giving it "
                     "until 30 November to withdraw its 700 peacekeepers.", D(2024, 6, 1))
    withdrawals = sorted(((f.actor, f.country, f.size, f.date, f.planned) for f in facts if f.kind == "withdrawal"),
                         key=lambda x: x[3])
    assert withdrawals == [("United Nations", "MLI", None, D(2024, 5, 1), False),
                           ("United Nations", "MLI", 700, D(2024, 11, 30), True)]


def test_a_deadline_without_a_year_follows_the_sentences_own_date():
    from geo.documents.dates import date_phrases_in

    mentions = date_phrases_in("The junta gave the force until 15 March to go, after the talks failed in October "
                               "2021.", D(2021, 11, 20))
    # "15 March" comes first here: no anchor before it, so the publication date decides (the past: 2021)
    assert [(m.date, m.deadline) for m in mentions] == [(D(2021, 3, 15), True), (D(2021, 10, 1), False)]
    mentions = date_phrases_in("Talks failed in October 2021, and the junta gave the force until 15 March to go.",
                               D(2021, 11, 20))
    assert [(m.date, m.deadline) for m in mentions] == [(D(2021, 10, 1), False), (D(2022, 3, 15), True)]


def test_a_toll_written_as_a_range_keeps_both_ends():
    for text in ("Between 35 and 48 herders were killed near Ménaka on Friday.",
                 "Gunmen killed 35 to 48 herders near Ménaka on Friday."):
        facts = [f for f in facts_of(text, D(2022, 3, 10)) if f.kind == "casualties"]
        assert [(f.country, f.size_min, f.size) for f in facts] == [("MLI", 35, 48)]


def test_that_mission_is_the_mission_named_before_it_in_the_sentence():
    facts = facts_of("Sweden's engineers worked at the UN mission in Mali until that mission ended in December.",
                     D(2024, 2, 1))
    found = [(f.actor, f.mission, f.country, f.date) for f in facts if f.kind == "withdrawal"]
    assert found == [("United Nations", "MINUSMA", "MLI", D(2023, 12, 1))]


def test_a_demonym_used_as_a_noun_is_the_force_an_order_sends_away():
    facts = facts_of("The junta in Bamako told the Danes to leave.", D(2022, 1, 30))
    assert [(f.actor_code, f.country, f.planned) for f in facts if f.kind == "withdrawal"] == [("DNK", "MLI", True)]


def test_this_year_and_this_month_are_the_publications():
    from geo.documents.dates import date_phrases_in

    found = [(m.date, m.precision) for m in date_phrases_in(
        "The army retook the town earlier this year, and more troops came this month.", D(2024, 9, 2))]
    assert found == [(D(2024, 1, 1), "year"), (D(2024, 9, 1), "month")]


def test_no_base_from_a_dateline_or_from_the_seat_of_a_government():
    facts = facts_of("GAO, Mali, May 3 – Swedish troops left their camp near Timbuktu on Tuesday, as the junta in "
                     "Bamako had demanded.", D(2022, 5, 3))
    found = [(f.actor_code, f.country, f.bases) for f in facts if f.kind == "withdrawal"
             and f.rule != "withdrawal.order"]
    assert found == [("SWE", "MLI", ("Timbuktu",))]


def test_a_count_of_the_actors_is_no_troop_number():
    facts = facts_of("All three have expelled Danish forces from Mali.", D(2022, 3, 1))
    assert [(f.actor_code, f.size) for f in facts if f.kind == "withdrawal"] == [("DNK", None)]


def test_a_host_that_welcomes_a_force_is_the_subject_not_a_nationality_adjective():
    facts = facts_of("Burkina Faso's junta, which has bought Chinese armoured vehicles and welcomed Russian "
                     "instructors in January, expelled French forces.", D(2024, 3, 1))
    found = sorted((f.kind, f.actor_code, f.country, f.date) for f in facts if f.kind == "deployment")
    assert found == [("deployment", "RUS", "BFA", D(2024, 1, 1))]


def test_a_presence_in_the_present_is_a_state_without_a_date_even_with_now():
    text = "Gunmen killed 12 soldiers in Niger on Monday. Spain's small training mission is staying for now."
    found = [(f.actor_code, f.country, f.date) for f in facts_of(text, D(2024, 5, 1)) if f.kind == "deployment"]
    assert found == [("ESP", "NER", None)]
    text = "About 90 Spanish soldiers are currently stationed in Niamey."
    found = [(f.actor_code, f.size, f.date) for f in facts_of(text, D(2024, 5, 1)) if f.kind == "deployment"]
    assert found == [("ESP", 90, None)]


def test_a_coup_dated_relative_to_another_date_is_its_own_coup():
    text = "Colonel Assimi Goïta was sworn in as Mali's president on Monday, three days after he and other officers " \
           "ousted the interim president, who had himself come to office after a coup in August 2020."
    assert summary(facts_of(text, D(2021, 6, 9)), "coup") == [("MLI", D(2020, 8, 1), "month"),
                                                               ("MLI", D(2021, 6, 4), "day")]


def test_coordinated_countries_with_dates_in_brackets_and_a_date_before_the_last_conjunct():
    text = "Juntas have taken power in Chad (April and October 2021), Sudan (June 2022) and, on Friday, Guinea."
    assert summary(facts_of(text, D(2023, 3, 5)), "coup") == [
        ("GIN", D(2023, 3, 3), "day"), ("SDN", D(2022, 6, 1), "month"), ("TCD", D(2021, 4, 1), "month"),
        ("TCD", D(2021, 10, 1), "month")]


def test_an_onset_since_a_date_with_its_place_before_since_and_its_when_clause_is_one_onset():
    text = "Fighting has spread in the Diffa region since early 2015, when militants from Nigeria began raiding " \
           "border towns."
    onsets = [(f.country, f.place, f.date) for f in facts_of(text, D(2016, 4, 1)) if f.kind == "onset"]
    assert onsets == [("NER", "Diffa region", D(2015, 1, 1))]


def test_an_onset_in_a_passive_takes_its_subject_as_the_place():
    text = "Northern Burkina Faso has been gripped by insurgency since 2016."
    onsets = [(f.country, f.place, f.date) for f in facts_of(text, D(2019, 4, 1)) if f.kind == "onset"]
    assert onsets == [("BFA", "northern Burkina Faso", D(2016, 1, 1))]


def test_a_relative_pronoun_subject_is_the_conjunct_just_before_it():
    text = "Gunmen killed 12 soldiers in Mali on Monday. The mission has drawn troops from Ghana, Togo and Senegal, " \
           "which sent some 400 soldiers in 2019."
    found = [(f.actor_code, f.country, f.size, f.date) for f in facts_of(text, D(2021, 5, 1))
             if f.kind == "deployment"]
    assert found == [("SEN", "MLI", 400, D(2019, 1, 1))]


def test_a_date_of_a_relative_clause_does_not_date_the_trigger_outside_it():
    text = "Islamists hold northern Mali. Ghana said it would send about 250 soldiers to an African force that the "\
           "summit approved in March."
    found = [(f.actor_code, f.size, f.date, f.planned) for f in facts_of(text, D(2013, 5, 1)) if f.kind == "deployment"]
    assert found == [("GHA", 250, None, True)]


def test_a_state_is_dated_by_a_since_clause_with_a_date():
    text = "Some 300,000 people have fled their homes in Niger since the insurgency spread there in 2017."
    found = [(f.country, f.size, f.date, f.date_precision, f.date_end) for f in facts_of(text, D(2020, 5, 1))
             if f.kind == "displacement"]
    assert found == [("NER", 300000, D(2017, 1, 1), "year", D(2020, 5, 1))]


def test_translated_wording_quitted_the_national_territory_and_the_base_of_a_town():
    text = "The last soldiers of the operation Serval have quitted the Malian territory on 3 March. France will " \
           "keep some 500 soldiers in Chad, at the air base of N'Djamena."
    facts = facts_of(text, D(2014, 3, 5))
    assert [(f.kind, f.actor_code, f.mission, f.country, f.date) for f in facts if f.kind == "withdrawal"] == [
        ("withdrawal", "FRA", "Serval", "MLI", D(2014, 3, 3))]
    assert [(f.country, f.size, f.bases) for f in facts if f.kind == "deployment"] == [("TCD", 500, ("N'Djamena",))]


def test_an_undated_restatement_in_the_next_sentence_adds_its_base_to_the_dated_fact():
    text = "Danish troops left Mali on Friday. The last detachment left the camp of Ménaka, handed over to the " \
           "Malian army."
    found = [(f.actor_code, f.country, f.date, f.bases) for f in facts_of(text, D(2022, 2, 1))
             if f.kind == "withdrawal"]
    assert found == [("DNK", "MLI", D(2022, 1, 28), ("Ménaka",))]


def test_troops_that_are_expected_are_a_planned_deployment_with_their_number():
    text = "About 300 Rwandan soldiers arrived in Mozambique on Friday. A second battalion of 700 is expected."
    found = [(f.actor_code, f.country, f.size, f.planned) for f in facts_of(text, D(2021, 7, 12))
             if f.kind == "deployment"]
    assert found == [("RWA", "MOZ", 300, False), ("RWA", "MOZ", 700, True)]
    assert not [f for f in facts_of("The vote is expected in May. Rwanda sent troops to Mozambique.", D(2021, 7, 12))
                if f.rule == "deployment.expected"]


def test_a_crowds_demand_that_a_force_leave_is_a_protest_against_it():
    text = "Thousands of people gathered in Niamey on Sunday, some waving Algerian flags and demanding that the " \
           "United States withdraw its troops."
    facts = facts_of(text, D(2024, 4, 15))
    assert not [f for f in facts if f.kind == "withdrawal"]
    assert [(f.kind, f.actor_code, f.country, f.date) for f in facts] == [
        ("protest", "USA", "NER", D(2024, 4, 14))]


def test_an_order_to_the_force_named_before_by_a_definite_force_noun():
    text = "Denmark's special forces arrived in Mali on 18 January. Three days later the junta demanded that the " \
           "soldiers leave."
    found = [(f.actor_code, f.country, f.planned, f.rule) for f in facts_of(text, D(2022, 1, 30))
             if f.kind == "withdrawal"]
    assert found == [("DNK", "MLI", True, "withdrawal.order")]


def test_a_participle_on_a_mission_named_after_its_forces_takes_the_forces_as_subject():
    # the parse as the pipeline gives it for "… 400 French forces of Operation Sabre, based at Kamboinsin"
    # ("based" hangs on "Sabre"), built by hand so that the test does not depend on the parser's choice
    from spacy.tokens import Doc

    from geo.documents.arguments import number_token, subject_tokens
    from geo.documents.nlp import pipeline

    words = ["the", "400", "French", "forces", "of", "Operation", "Sabre", ",", "based", "at", "Kamboinsin"]
    heads = [3, 3, 3, 3, 3, 6, 4, 6, 6, 8, 9]
    deps = ["det", "nummod", "amod", "ROOT", "prep", "compound", "pobj", "punct", "acl", "prep", "pobj"]
    pos = ["DET", "NUM", "ADJ", "NOUN", "ADP", "PROPN", "PROPN", "PUNCT", "VERB", "ADP", "PROPN"]
    doc = Doc(pipeline().vocab, words=words, heads=heads, deps=deps, pos=pos)
    assert [t.text for t in subject_tokens(doc, doc[8])][:4] == ["the", "400", "French", "forces"]
    assert number_token(doc, doc[8]).text == "400"


def test_a_country_after_the_regions_of_is_a_location_of_the_preposition_before():
    text = "Fighting that began in Nigeria has spread into the border regions of Cameroon and Chad."
    assert sorted(f.country for f in facts_of(text, D(2016, 1, 1)) if f.kind == "spread") == ["CMR", "TCD"]


def test_a_company_working_alongside_an_army_and_its_fighters_landing():
    text = "Officials say Wagner has worked alongside the Central African army since March 2018, when its first " \
           "instructors landed in Bangui."
    facts = facts_of(text, D(2019, 1, 10))
    assert [(f.actor, f.country, f.date) for f in facts if f.kind == "partnership"] == [
        ("Wagner Group", "CAF", D(2018, 3, 1))]
    assert [(f.actor, f.country, f.date, f.bases) for f in facts if f.kind == "deployment"] == [
        ("Wagner Group", "CAF", D(2018, 3, 1), ("Bangui",))]


def test_toll_and_displacement_phrasings():
    def one(text, kind):
        return [(f.country, f.size, f.date) for f in facts_of(text, D(2022, 6, 15)) if f.kind == kind]

    assert one("The raid left 14 Chadian soldiers dead near Bol on Thursday.", "casualties") == [
        ("TCD", 14, D(2022, 6, 9))]
    assert one("The assault claimed the lives of 26 villagers in Niger on Monday.", "casualties") == [
        ("NER", 26, D(2022, 6, 13))]
    assert one("The death toll from Saturday's raid on a mine in Mali has climbed to 41.", "casualties") == [
        ("MLI", 41, D(2022, 6, 11))]
    assert one("The fighting has forced some 150,000 people from their homes in Niger.", "displacement") == [
        ("NER", 150000, None)]
    assert one("The number of displaced people in Chad reached 400,000.", "displacement") == [
        ("TCD", 400000, None)]


def test_a_list_of_actors_with_the_before_a_conjunct_gives_one_fact_each():
    text = "Sweden and the Czech Republic announced the withdrawal of their troops from Mali in March 2022."
    found = sorted(f.actor_code for f in facts_of(text, D(2022, 4, 1)) if f.kind == "withdrawal")
    assert found == ["CZE", "SWE"]


def test_spread_to_coordinated_countries_each_with_its_date_and_to_the_states_of_a_list():
    text = "The insurgency spread from Nigeria to Cameroon in 2013 and to Chad in 2015."
    assert summary(facts_of(text, D(2016, 1, 1)), "spread") == [("CMR", D(2013, 1, 1), "year"),
                                                                 ("TCD", D(2015, 1, 1), "year")]
    text = "Violence has spread to the coastal states of Ghana and Togo."
    assert sorted(f.country for f in facts_of(text, D(2022, 1, 1)) if f.kind == "spread") == ["GHA", "TGO"]


def test_number_words_with_a_scale_are_one_number():
    from geo.documents.quantities import quantities_in

    found = [q.value for q in quantities_in("Two hundred and fifty soldiers, one thousand two hundred police and "
                                            "some twenty-five thousand people.")]
    assert found == [250, 1200, 25000]
    facts = facts_of("Three hundred Chadian troops arrived in Niger on Tuesday.", D(2022, 6, 15))
    assert [(f.actor_code, f.size) for f in facts if f.kind == "deployment"] == [("TCD", 300)]


def test_before_the_end_of_a_year_is_a_deadline_at_its_last_day():
    from geo.documents.dates import date_phrases_in

    found = [(m.date, m.precision, m.deadline) for m in date_phrases_in(
        "Spain will pull its troops out of Mali before the end of 2024.", D(2024, 2, 1))]
    assert found == [(D(2024, 12, 31), "day", True)]


def test_no_fact_from_a_denied_report_or_a_suspended_agreement():
    assert not facts_of("Reports that Turkish troops had arrived in Niger were denied by the junta.", D(2023, 9, 1))
    assert not [f for f in facts_of("Mali suspended its defence agreement with Denmark in May 2022.", D(2022, 6, 1))
                if f.kind == "suspension"]


def test_a_state_that_has_a_stated_number_of_troops_in_a_host():
    def deployments(text):
        return [(f.actor_code, f.country, f.size, f.date) for f in facts_of(text, D(2023, 9, 24))
                if f.kind == "deployment"]

    assert deployments("Spain has about 600 soldiers in Mali.") == [("ESP", "MLI", 600, None)]
    assert deployments("Spain had no soldiers in Mali until May.") == []
    assert deployments("Spain has 600 soldiers.") == []


def test_joining_or_contributing_to_a_mission_is_a_deployment_and_a_pledge_a_plan():
    def deployments(text):
        return [(f.actor_code, f.country, f.size, f.planned) for f in facts_of(text, D(2023, 9, 24))
                if f.kind == "deployment"]

    assert deployments("Ghana contributed about 150 peacekeepers to MINUSMA.") == [("GHA", "MLI", 150, False)]
    assert deployments("Senegal pledged 500 troops to MINUSMA.") == [("SEN", "MLI", 500, True)]


def test_arriving_to_join_a_mission_is_one_deployment():
    found = [(f.actor_code, f.size, f.mission) for f in facts_of(
        "About 250 Irish soldiers have arrived in Mali to join MINUSMA.", D(2023, 9, 24)) if f.kind == "deployment"]
    assert found == [("IRL", 250, "MINUSMA")]


def test_the_same_troops_named_again_without_a_date_are_one_fact():
    text = "Spain deployed 600 soldiers to Mali in March. Spain now has 600 soldiers in Mali."
    found = [(f.actor_code, f.size, f.date) for f in facts_of(text, D(2023, 9, 24)) if f.kind == "deployment"]
    assert found == [("ESP", 600, D(2023, 3, 1))]


def test_translated_wordings_disengagement_and_the_north_of_a_country():
    facts = facts_of("The Belgian soldiers have completed their disengagement from Niger this Friday 22 December.",
                     D(2023, 12, 24))
    assert [(f.kind, f.actor_code, f.country, f.date) for f in facts] == [
        ("withdrawal", "BEL", "NER", D(2023, 12, 22))]
    facts = facts_of("The Togolese contingent of 700 men has been deployed since March 2013 in the north of Mali.",
                     D(2014, 1, 10))
    assert [(f.actor_code, f.country, f.size, f.date) for f in facts if f.kind == "deployment"] == [
        ("TGO", "MLI", 700, D(2013, 3, 1))]


def test_a_military_takeover_and_a_junta_that_came_to_power_are_coups_an_election_is_not():
    assert summary(facts_of("The military takeover in Guinea on 5 September 2021 was condemned.", D(2021, 10, 1)),
                   "coup") == [("GIN", D(2021, 9, 5), "day")]
    assert summary(facts_of("Chad's junta, which came to power in April 2021, met the rebels.", D(2021, 10, 1)),
                   "coup") == [("TCD", D(2021, 4, 1), "month")]
    assert summary(facts_of("Senegal's president, who came to power in April 2024, met the press.",
                            D(2024, 10, 1)), "coup") == []


def test_relying_with_an_adverb_on_a_company_is_a_partnership():
    facts = facts_of("Libya's eastern forces rely heavily on Wagner fighters.", D(2020, 6, 1))
    assert [(f.kind, f.actor, f.country) for f in facts] == [("partnership", "Wagner Group", "LBY")]


def test_a_verb_takes_no_host_from_the_verb_coordinated_with_it():
    facts = facts_of("Britain will withdraw 400 soldiers from the Sahel and station 300 troops in Niger.",
                     D(2023, 1, 10))
    assert [(f.kind, f.country, f.size) for f in facts] == [("deployment", "NER", 300)]


def test_a_capital_left_or_reached_as_the_object_is_a_base():
    facts = facts_of("The last 80 Belgian soldiers left Niamey on 30 June.", D(2024, 7, 2))
    assert [(f.actor_code, f.country, f.bases, f.date) for f in facts if f.kind == "withdrawal"] == [
        ("BEL", "NER", ("Niamey",), D(2024, 6, 30))]


def test_a_conjunct_verb_shares_the_force_noun_and_the_modal_of_the_first():
    facts = facts_of("Britain will withdraw 900 soldiers from the Sahel and keep about 400 in Niger.",
                     D(2023, 1, 10))
    assert [(f.kind, f.country, f.size, f.planned, f.date) for f in facts] == [
        ("deployment", "NER", 400, True, None)]


def test_a_toll_far_from_its_number_and_placed_by_its_when_clause():
    facts = facts_of("Thirty-one people, among them a priest, were killed in an attack on a church in Niger on Sunday.",
                     D(2023, 9, 24))
    assert [(f.country, f.size) for f in facts if f.kind == "casualties"] == [("NER", 31)]
    facts = facts_of("Six soldiers, two of them French, were killed on 9 May when gunmen ambushed a convoy near "
                     "Ménaka in Mali.", D(2023, 9, 24))
    assert [(f.country, f.size, f.date) for f in facts if f.kind == "casualties"] == [("MLI", 6, D(2023, 5, 9))]
