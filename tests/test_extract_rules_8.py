"""Rules of the fifth round of 2026-12-04, after the blind set was folded into dev (see
benchmarks/results_extract.md), each on sentences written for it."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from geo.documents import extract_document
from geo.documents.read import Document

D = dt.date


def facts_of(text: str, published: dt.date = D(2023, 12, 1)):
    return extract_document(Document("t", text, published, Path("t.txt")))


def _protests(facts):
    return sorted((f.country, f.actor_code, f.date) for f in facts if f.kind == "protest")


def test_a_crowd_at_a_foreign_states_embassy_or_base_protests_against_that_state():
    facts = facts_of("On Friday, hundreds of demonstrators threw stones at the French embassy in Bamako.",
                     D(2022, 2, 7))
    assert _protests(facts) == [("MLI", "FRA", D(2022, 2, 4))]
    facts = facts_of("Thousands of people rallied in front of the American base in Agadez on 12 May to demand the "
                     "soldiers' departure.", D(2024, 5, 14))
    assert _protests(facts) == [("NER", "USA", D(2024, 5, 12))]
    facts = facts_of("On Monday, protesters stormed France's embassy in Ouagadougou.", D(2022, 10, 5))
    assert _protests(facts) == [("BFA", "FRA", D(2022, 10, 3))]
    facts = facts_of("On Friday, demonstrators in Bamako waved Russian flags and called for closer ties with Moscow.",
                     D(2022, 2, 7))
    assert _protests(facts) == []


def test_one_protest_told_twice_on_the_same_day_is_one_fact():
    facts = facts_of("On Sunday, thousands of supporters of the junta marched on the French embassy in Niamey. "
                     "The protesters demanded the departure of the French soldiers.", D(2023, 7, 31))
    assert _protests(facts) == [("NER", "FRA", D(2023, 7, 30))]


def test_a_coup_named_twice_with_the_same_date_is_one_fact():
    facts = facts_of("Soldiers seized power in Niger on 26 July. The 26 July coup was condemned by ECOWAS.",
                     D(2023, 8, 10))  # (the first coup's actor is the army, the second's none: still one event)
    coups = [(f.country, f.date) for f in facts if f.kind == "coup"]
    assert coups == [("NER", D(2023, 7, 26))], coups


def test_a_dateline_is_blanked_before_the_parse_so_its_city_is_no_subject():
    # left in, the parser takes the dateline's city for the subject of "were killed" and the soldiers for its
    # apposition: no toll (day-month datelines, "NIAMEY, 4 March –", are datelines too)
    for text, country, size in [
            ("NIAMEY, 4 March – Twenty-nine soldiers of the Nigerien army were killed on Thursday near Tillia.",
             "NER", 29),
            ("BAMAKO, Mar 5 – Thirty-three soldiers of the Malian army were killed on Thursday near Mondoro.",
             "MLI", 33),
            ("GAO, Mali, 5 March – Sixteen soldiers of the Malian army died on Thursday near Tessit.", "MLI", 16)]:
        facts = facts_of(text, D(2022, 3, 5))
        tolls = [(f.country, f.size, f.date) for f in facts if f.kind == "casualties"]
        assert tolls == [(country, size, D(2022, 3, 3))], (text, tolls)
        assert all(f.span[0] >= text.index("–") for f in facts)  # offsets still point into the text


def test_a_day_month_dateline_is_a_dateline():
    from geo.documents.dates import DATELINE

    assert DATELINE.match("NIAMEY, 12 December – Soldiers were killed.")
    assert DATELINE.match("AGADEZ, Niger, 5 August – The last soldiers left.")
    assert not DATELINE.match("In 12 December – a date, no dateline.")


def _exits(facts):
    return sorted((f.bases, f.date, f.date_precision) for f in facts if f.kind == "withdrawal")


def test_bases_listed_each_with_its_own_date_are_one_withdrawal_each():
    facts = facts_of("MINUSMA left Ber in August and Kidal in October.")
    assert _exits(facts) == [(("Ber",), D(2023, 8, 1), "month"), (("Kidal",), D(2023, 10, 1), "month")]
    facts = facts_of("The French army left Gossi in April 2022 and Ménaka in June 2022.")
    assert _exits(facts) == [(("Gossi",), D(2022, 4, 1), "month"), (("Ménaka",), D(2022, 6, 1), "month")]
    facts = facts_of("Danish soldiers left Ménaka and Gao in May.")  # one date for both: one withdrawal
    assert _exits(facts) == [(("Ménaka", "Gao"), D(2023, 5, 1), "month")]


def test_a_date_that_modifies_an_event_noun_is_its_own_date_not_a_reports():
    # "26 July" hangs on "said" through "after … coup", but it names the coup's day: no "two months after" reading
    facts = facts_of("Guinea's junta freed political prisoners, its leader said on Sunday, two months after the "
                     "5 September coup.", D(2021, 11, 8))
    coups = [(f.country, f.date, f.date_precision) for f in facts if f.kind == "coup"]
    assert coups == [("GIN", D(2021, 9, 5), "day")], coups


def test_a_plan_with_a_deadline_is_dated_by_the_deadline_not_by_its_announcement():
    facts = facts_of("Belgium will withdraw its 200 soldiers from Mali, and they will all have left by the end of "
                     "the year, the minister said on Sunday.", D(2022, 8, 20))
    exits = [(f.size, f.date, f.planned) for f in facts if f.kind == "withdrawal"]
    assert exits == [(200, D(2022, 12, 31), True)], exits


def test_a_coordinated_date_phrase_hangs_on_its_own_verb_not_on_the_and():
    # "and in June" was read as hanging on the first clause's verb (through "and"): June dated the first toll
    facts = facts_of("In July an army post near Djibo was attacked and a gendarme killed, and in August gunmen killed "
                     "four traders near Arbinda.")
    tolls = sorted((f.size, f.date) for f in facts if f.kind == "casualties")
    assert tolls == [(1, D(2023, 7, 1)), (4, D(2023, 8, 1))], tolls
    facts = facts_of("In March a convoy was ambushed near Djibo and a soldier killed, and in April jihadists killed "
                     "three villagers near Arbinda.")
    assert [(f.size, f.date) for f in facts if f.kind == "casualties" and f.size == 3] == [(3, D(2023, 4, 1))]


def test_a_toll_in_an_in_which_clause_takes_the_date_of_its_antecedent():
    # the main verb ("had grown") is itself a trigger word, so its date was no candidate for the toll
    facts = facts_of("Mali has asked for help. Discontent had grown after an ambush on a patrol near Tessit, in the "
                     "east, on 7 August, in which 15 soldiers were killed.", D(2023, 9, 1))
    assert [(f.country, f.size, f.date) for f in facts if f.kind == "casualties"] == [("MLI", 15, D(2023, 8, 7))]
    # the parse makes "died" the root: the date just before "during which" is the raid's
    facts = facts_of("Pressure on the junta grew after a raid on a camp near Djibo, in the north of Burkina Faso, on "
                     "14 July, during which 22 soldiers died.", D(2023, 9, 1))
    assert [(f.country, f.size, f.date) for f in facts if f.kind == "casualties"] == [("BFA", 22, D(2023, 7, 14))]


def test_the_night_of_one_day_to_the_next_is_a_range_of_two_days():
    facts = facts_of("Jihadists killed 40 villagers near Djibo during the night of 12 to 13 March.", D(2023, 3, 15))
    tolls = [(f.size, f.date, f.date_end) for f in facts if f.kind == "casualties"]
    assert tolls == [(40, D(2023, 3, 12), D(2023, 3, 13))], tolls


def test_the_town_of_x_is_the_place_of_a_toll_not_the_killers_nationality():
    facts = facts_of("Gunmen, described by survivors as Nigerians, killed 25 herders in the village of Tillia on "
                     "Sunday.", D(2023, 3, 15))
    assert [(f.country, f.size, f.date) for f in facts if f.kind == "casualties"] == [("NER", 25, D(2023, 3, 12))]
