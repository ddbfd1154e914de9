"""Rules of the news-fact extractor (geo.documents), fourth file: the conflict as the subject of a spread, and the
rules added with the nine dev documents of 2026-12-03 (afternoon). Each test is a sentence written for it, not
taken from the corpus."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from geo.documents import Document, extract_document

D = dt.date


def facts_of(text: str, published: dt.date = D(2023, 12, 1)):
    return extract_document(Document("t", text, published, Path("t.txt")))


def kinds(facts, kind):
    return sorted(f.country for f in facts if f.kind == kind)


def test_the_conflict_as_the_subject_of_crossed_into_is_a_spread():
    facts = facts_of("The insurgency that began in Mali has since crossed into Niger and Chad, officials say.")
    assert kinds(facts, "spread") == ["NER", "TCD"]


def test_people_fleeing_the_conflict_across_a_border_still_spread_nothing():
    facts = facts_of("Families fleeing the violence in Mali have crossed into Mauritania.")
    assert kinds(facts, "spread") == []


def displaced(facts):
    return sorted((f.country, f.size) for f in facts if f.kind == "displacement")


def test_a_ratio_is_no_count():
    facts = facts_of('"One in ten Malians has had to leave home," an aid worker said.', D(2020, 5, 1))
    assert all(f.size != 10 for f in facts)


def test_seeking_refuge_is_displacement_counted_where_the_people_come_from():
    facts = facts_of("Some 12,000 Nigerians have sought refuge in Niger since the attacks began.", D(2015, 6, 1))
    assert displaced(facts) == [("NGA", 12000)]


def test_taking_refuge_without_a_nationality_is_counted_where_they_are():
    facts = facts_of("About 4,000 villagers took refuge in Djibo after the raid.", D(2020, 6, 1))
    assert displaced(facts) == [("BFA", 4000)]


def test_a_participle_that_states_the_new_total_is_a_presence_of_that_size():
    facts = facts_of("Some 300 more Spanish soldiers landed in Mali in May, taking the contingent to 800.",
                     D(2014, 7, 1))
    assert sorted((f.country, f.actor_code, f.size, f.date) for f in facts if f.kind == "deployment") == [
        ("MLI", "ESP", 300, D(2014, 5, 1)), ("MLI", "ESP", 800, D(2014, 5, 1))]


def test_a_withdrawal_that_cuts_the_force_to_a_size_leaves_a_presence_of_that_size():
    facts = facts_of("Belgium withdrew 120 soldiers from Niger in June, reducing its contingent to 80.",
                     D(2019, 8, 1))
    assert [(f.kind, f.size) for f in facts if f.actor_code == "BEL"] == [("withdrawal", 120), ("deployment", 80)]


def test_a_where_clause_puts_the_presence_in_the_place_it_is_about():
    facts = facts_of("The aid convoy was heading for Kidal, where Chadian peacekeepers are stationed.", D(2016, 3, 1))
    assert [(f.country, f.actor_code, tuple(f.bases)) for f in facts if f.kind == "deployment"] == [
        ("MLI", "TCD", ("Kidal",))]


def partners(facts):
    return sorted((f.country, f.actor) for f in facts if f.kind == "partnership")


def test_a_company_fighting_alongside_an_army_is_its_partner():
    facts = facts_of("Fighters of the Wagner Group have fought alongside Malian troops near Gao since 2022.")
    assert partners(facts) == [("MLI", "Wagner Group")]


def test_an_agreement_with_a_company_or_its_help_is_a_partnership():
    assert partners(facts_of("Burkina Faso's junta reached an agreement with the Africa Corps in May.")) == [
        ("BFA", "Africa Corps")]
    assert partners(facts_of("Mali's soldiers, with the support of Wagner, took Anefis in October.")) == [
        ("MLI", "Wagner Group")]


def test_paying_a_company_is_a_partnership():
    assert partners(facts_of("Mali pays the Wagner Group some $10 million a month, diplomats say.")) == [
        ("MLI", "Wagner Group")]


def test_an_agreement_between_states_is_no_partnership():
    assert partners(facts_of("Niger signed an agreement with Turkey on drones in May.")) == []


def test_a_crowd_that_gathers_against_a_foreign_force_is_a_protest():
    facts = facts_of("Hundreds of youths gathered in Gao on Monday, accusing MINUSMA of doing nothing.",
                     D(2016, 7, 14))
    assert [(f.kind, f.country, f.actor) for f in facts if f.kind == "protest"] == [
        ("protest", "MLI", "United Nations")]


def test_soldiers_who_gather_are_no_protest():
    facts = facts_of("French troops gathered in Gao before the offensive in January.", D(2013, 2, 1))
    assert [f for f in facts if f.kind == "protest"] == []


def test_a_sit_in_against_a_foreign_force_is_a_protest():
    facts = facts_of("Students held a sit-in against the French military presence in Niamey on Friday.",
                     D(2023, 8, 5))
    assert [(f.country, f.actor_code) for f in facts if f.kind == "protest"] == [("NER", "FRA")]


def test_villagers_who_abandon_their_homes_are_displaced():
    facts = facts_of("Some 8,000 villagers abandoned their homes around Djibo in May.", D(2020, 7, 1))
    assert displaced(facts) == [("BFA", 8000)]
    assert [f for f in facts if f.kind == "withdrawal"] == []


def test_a_number_of_displaced_that_tripled_to_n_is_that_size():
    facts = facts_of("The number of displaced people in Niger has tripled to 300,000 in two years.", D(2021, 1, 5))
    assert displaced(facts) == [("NER", 300000)]


def test_a_toll_with_no_date_takes_the_event_date_of_the_sentence_before():
    facts = facts_of("Gunmen attacked an army camp near Gao on Sunday. At least 30 soldiers were killed, officials said.",
                     D(2019, 11, 5))
    assert [(f.size, f.date) for f in facts if f.kind == "casualties"] == [(30, D(2019, 11, 3))]


def test_a_toll_summed_over_years_takes_no_date_from_the_sentence_before():
    facts = facts_of("The mission closed its last camp on Friday. Over ten years, 300 peacekeepers were killed.",
                     D(2023, 12, 11))
    assert [f.date for f in facts if f.kind == "casualties" and f.size == 300] != [D(2023, 12, 8)]


def test_forces_that_must_be_out_of_a_country_by_a_day_withdraw_that_day():
    facts = facts_of("All 800 Belgian soldiers must be out of Mali by 15 January, the ministry said.", D(2022, 12, 20))
    assert [(f.kind, f.country, f.actor_code, f.size, f.date, f.planned) for f in facts] == [
        ("withdrawal", "MLI", "BEL", 800, D(2023, 1, 15), True)]


def test_an_obligation_puts_a_day_without_a_year_ahead_of_publication():
    facts = facts_of("Danish troops must leave Mali by 2 March, the junta said.", D(2022, 12, 20))
    assert [f.date for f in facts if f.kind == "withdrawal"] == [D(2023, 3, 2)]


def test_a_month_in_an_after_clause_takes_the_year_of_its_main_clause():
    from geo.documents.dates import date_phrases_in
    found = date_phrases_in("Jihadists seized Kidal last year, after the army withdrew in March.", D(2013, 2, 1))
    assert [(m.date, m.precision) for m in found] == [(D(2012, 1, 1), "year"), (D(2012, 3, 1), "month")]


def test_a_month_in_an_after_clause_keeps_its_own_year_when_the_main_clause_is_later():
    from geo.documents.dates import date_phrases_in
    found = date_phrases_in("Talks resumed in 2019, after they collapsed in March.", D(2019, 6, 1))
    assert [m.date for m in found] == [D(2019, 1, 1), D(2019, 3, 1)]


def test_a_count_that_reached_n_in_a_month_is_dated_by_that_month():
    facts = facts_of("The number of displaced people in Niger reached 250,000 in March.", D(2021, 6, 1))
    assert [(f.country, f.size, f.date, f.date_precision) for f in facts if f.kind == "displacement"] == [
        ("NER", 250000, D(2021, 3, 1), "month")]


def tolls(facts):
    return [(f.country, f.size) for f in facts if f.kind == "casualties"]


def test_a_massacre_that_claimed_n_lives_is_a_toll_of_n():
    assert tolls(facts_of("The raid on Djibo claimed at least 45 lives, residents said.", D(2023, 3, 1))) == [
        ("BFA", 45)]


def test_the_part_named_after_including_is_not_the_toll():
    facts = facts_of("Thirty people, including 9 children, died in the attack on Ménaka on Sunday.", D(2022, 5, 3))
    assert tolls(facts) == [("MLI", 30)]


def coups(facts):
    return [(f.country, f.date) for f in facts if f.kind == "coup"]


def test_a_clause_subject_after_the_coup_country_is_no_second_coup():
    assert coups(facts_of("After the coup in Mali, Sweden suspended its aid.", D(2020, 9, 1))) == [("MLI", None)]


def test_a_coup_named_by_its_leaders_takes_no_date_from_their_verb():
    facts = facts_of("Soldiers in Niger overthrew President Mohamed Bazoum on 26 July. The coup leaders warned ECOWAS "
                     "against any intervention on Sunday.", D(2023, 8, 7))
    assert coups(facts) == [("NER", D(2023, 7, 26))]


def test_a_number_of_troops_that_is_in_a_country_is_a_presence_without_a_date():
    facts = facts_of("Some 900 Spanish soldiers are in Mali, most of them at a base near Koulikoro.", D(2019, 4, 1))
    assert [(f.country, f.actor_code, f.size, f.date) for f in facts if f.kind == "deployment"] == [
        ("MLI", "ESP", 900, None)]


def test_people_in_a_convoy_or_troops_without_a_number_are_no_presence():
    assert [f for f in facts_of("Two soldiers were in the convoy that was ambushed near Gao.") if
            f.kind == "deployment"] == []
    assert [f for f in facts_of("The soldiers are in Gao.") if f.kind == "deployment"] == []


def test_an_arrival_cited_as_a_reason_is_no_deployment():
    facts = facts_of("Norway will leave the UN mission in Mali, citing the arrival of Russian mercenaries.",
                     D(2022, 5, 1))
    assert [(f.country, f.actor_code) for f in facts if f.kind == "deployment"] == []
    assert [(f.country, f.actor_code) for f in facts if f.kind == "withdrawal"] == [("MLI", "NOR")]


def test_an_arrival_that_is_condemned_is_still_a_deployment():
    facts = facts_of("Ten European states condemned the deployment of Wagner mercenaries in Mali on Thursday.",
                     D(2021, 12, 24))
    assert [(f.country, f.actor) for f in facts if f.kind == "deployment"] == [("MLI", "Wagner Group")]


def test_a_toll_dated_only_by_its_report_takes_the_attack_date_of_the_sentence_before():
    facts = facts_of("Gunmen attacked a police post near Téra on Saturday. Nine policemen were killed, the interior "
                     "ministry said on Monday.", D(2020, 5, 12))
    assert [(f.size, f.date) for f in facts if f.kind == "casualties"] == [(9, D(2020, 5, 9))]


def test_the_attackers_dead_are_no_toll():
    assert tolls(facts_of("The army said it killed some 60 jihadists near Djibo on Sunday.", D(2021, 3, 2))) == []
    assert tolls(facts_of("Jihadists killed 12 soldiers near Djibo on Sunday.", D(2021, 3, 2))) == [("BFA", 12)]


def withdrawals(facts):
    return [(f.actor_code, f.size, f.date, f.planned) for f in facts if f.kind == "withdrawal"]


def test_a_plan_is_dated_by_the_report_even_across_a_while_clause():
    facts = facts_of("Spain will withdraw the 200 soldiers it has in Mali, while keeping its trainers, the minister "
                     "said on Tuesday.", D(2022, 6, 8))
    assert withdrawals(facts) == [("ESP", 200, D(2022, 6, 7), True)]


def test_a_plan_in_an_after_clause_is_not_dated_by_the_report():
    facts = facts_of("Sweden said on Thursday it would withdraw its 150 soldiers from Mali, days after the junta "
                     "demanded that they leave.", D(2022, 2, 4))
    assert [f.date for f in facts if f.kind == "withdrawal" and f.size is None] == [None]


def test_a_day_right_after_a_verb_of_saying_dates_the_report_however_it_is_parsed():
    from geo.documents.dates import date_phrases_in
    found = date_phrases_in("Sweden said on Thursday it would withdraw its 150 soldiers from Mali.", D(2022, 2, 4))
    assert [(m.date, m.reporting) for m in found] == [(D(2022, 2, 3), True)]
    facts = facts_of("Sweden said on Thursday it would withdraw its 150 soldiers from Mali.", D(2022, 2, 4))
    assert withdrawals(facts) == [("SWE", 150, D(2022, 2, 3), True)]


def test_the_demonstrators_of_a_march_told_before_take_its_date():
    facts = facts_of("Hundreds of students marched through Bamako on Friday. The protesters demanded the departure "
                     "of French troops.", D(2022, 1, 17))
    assert [(f.country, f.actor_code, f.date) for f in facts if f.kind == "protest"] == [
        ("MLI", "FRA", D(2022, 1, 14))]


def test_a_part_of_a_force_that_is_in_a_country_is_a_presence_of_that_part():
    facts = facts_of("About 700 of Germany's 1,100 soldiers in the Sahel are in Mali.", D(2022, 3, 1))
    assert [(f.country, f.actor_code, f.size) for f in facts if f.kind == "deployment"] == [("MLI", "DEU", 700)]


def test_an_armed_groups_first_strike_is_an_onset_in_the_area_of_the_where_clause():
    facts = facts_of("In the Ménaka region, where ISGS first struck in March 2017, schools are closed.",
                     D(2020, 1, 10))
    assert onsets(facts) == [("MLI", "Ménaka region", D(2017, 3, 1), "month")]


def test_an_armys_first_attack_is_no_onset():
    assert onsets(facts_of("The army first attacked the camp near Djibo in May 2019.", D(2020, 1, 10))) == []


def onsets(facts):
    return [(f.country, f.place, f.date, f.date_precision) for f in facts if f.kind == "onset"]


def test_a_copula_without_troops_takes_no_date_or_actor_from_another_trigger():
    facts = facts_of("And in March, it was Norway that announced it would be leaving the MINUSMA mission.",
                     D(2022, 11, 15))
    assert [(f.actor_code, f.date, f.date_precision) for f in facts if f.kind == "withdrawal"] == [
        ("NOR", D(2022, 3, 1), "month")]


def test_the_total_of_a_mission_of_several_hosts_is_not_the_hosts():
    facts = facts_of("Spain will send 200 more soldiers to Mali, bringing Barkhane to 5,300 troops.")
    assert [f.size for f in facts if f.kind == "deployment"] == [200]


def test_ranges_of_days_in_several_forms():
    from geo.documents.dates import date_phrases_in
    for text in ("The raids on 2 and 3 March killed 30.", "Fighting raged from 2 to 3 March.",
                 "Talks on 2-3 March failed.", "Between 2 and 3 March, 30 died."):
        assert [(m.date, m.date_end, m.kind) for m in date_phrases_in(text, D(2022, 3, 17))] == [
            (D(2022, 3, 2), D(2022, 3, 3), "range")], text


def test_pull_out_with_a_long_object_between():
    facts = facts_of("Canada agreed on Friday to pull its more than 1,000 military personnel out of Mali.",
                     D(2024, 4, 20))
    assert withdrawals(facts) == [("CAN", 1000, D(2024, 4, 19), True)]


def test_several_hundred_is_a_magnitude_not_one_hundred():
    facts = facts_of("Ghana and Togo have each sent several hundred soldiers to Mali.", D(2013, 2, 1))
    assert sorted((f.actor_code, f.size) for f in facts if f.kind == "deployment") == [("GHA", None), ("TGO", None)]


def test_a_company_the_relative_clause_says_was_hired_is_the_partner():
    facts = facts_of("Mali's junta fell out with France in 2021. The Wagner Group, which the junta hired in "
                     "December 2021, denies any abuses.", D(2022, 6, 1))
    assert [(f.country, f.actor, f.date) for f in facts if f.kind == "partnership"] == [
        ("MLI", "Wagner Group", D(2021, 12, 1))]


def test_a_state_after_the_partnership_trigger_is_not_its_host():
    facts = facts_of("The junta turned to the Wagner Group after France left.", D(2022, 6, 1))
    assert [f.country for f in facts if f.kind == "partnership"] in ([], [None])


def test_a_threat_that_spreads_into_countries_is_a_spread():
    assert kinds(facts_of("The jihadist threat has spread to Ghana and Togo.", D(2022, 6, 1)), "spread") == [
        "GHA", "TGO"]


def test_the_year_on_a_coup_noun_dates_it_and_the_next_clause_names_no_coup():
    assert coups(facts_of("Since the 2021 coup, Chad has turned to Russia.", D(2023, 9, 1))) == [
        ("TCD", D(2021, 1, 1))]


def test_a_coup_bid_or_a_foiled_coup_is_no_coup():
    assert coups(facts_of("The coup bid in Guinea-Bissau in February failed.", D(2022, 6, 1))) == []
    assert coups(facts_of("The coup in Sierra Leone in November was foiled.", D(2023, 12, 1))) == []


def test_people_who_fled_from_a_country_are_displaced_from_it():
    assert displaced(facts_of("Some 30,000 people fled from Mali to Niger in 2012.", D(2013, 1, 10))) == [
        ("MLI", 30000)]


def test_a_mission_that_became_operational_in_a_country_is_deployed_there():
    facts = facts_of("Task Force Takuba became operational in Mali in July.", D(2020, 9, 1))
    assert [(f.country, f.mission, f.date) for f in facts if f.kind == "deployment"] == [
        ("MLI", "Takuba", D(2020, 7, 1))]
