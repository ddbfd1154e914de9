"""The project's own gazetteers and word classes: missions, organisations, companies, armed groups, force nouns.

The trained pipeline's entity recogniser is weak on this domain (it tags "Barkhane" as a person and "Sahel" as a
country), so the names that decide a fact are listed here and matched exactly (case-insensitively) by the
``EntityRuler`` of :mod:`geo.documents.nlp`. Countries, demonyms and capitals come from :mod:`geo.names`.

Example: ``MISSION_BY_NAME["Barkhane"].hosts`` is the five Sahel hosts; ``"peacekeepers" in FORCE_NOUNS``.

>>> MISSION_BY_NAME["MINUSMA"].lead
'United Nations'
"""
from __future__ import annotations

from dataclasses import dataclass

from geo.shapes import SAHEL_G5

LANGUAGES = ("en",)

# ================================================================================================ vocabulary
@dataclass(frozen=True)
class Mission:
    """A foreign mission or operation: canonical name, lead actor (and its ADM0_A3), hosts and surface forms."""

    name: str
    lead: str
    lead_code: str | None
    hosts: tuple[str, ...]
    surfaces: tuple[str, ...]


MISSIONS: tuple[Mission, ...] = (
    Mission("MINUSMA", "United Nations", None, ("MLI",), (
        "MINUSMA", "Multidimensional Integrated Stabilisation Mission in Mali",
        "Multidimensional Integrated Stabilization Mission in Mali")),
    Mission("Barkhane", "France", "FRA", SAHEL_G5, ("Barkhane", "Operation Barkhane", "Opération Barkhane")),
    Mission("Serval", "France", "FRA", ("MLI",), ("Operation Serval", "Opération Serval", "Serval")),
    Mission("Sabre", "France", "FRA", ("BFA",), ("Operation Sabre", "Task Force Sabre", "Sabre special forces")),
    Mission("Takuba", "France", "FRA", ("MLI", "NER"), ("Takuba", "Task Force Takuba", "Takuba task force")),
    Mission("EUTM Mali", "European Union", None, ("MLI",), ("EUTM Mali", "EUTM", "EU Training Mission in Mali")),
    Mission("EUCAP Sahel Mali", "European Union", None, ("MLI",), ("EUCAP Sahel Mali",)),
    Mission("EUCAP Sahel Niger", "European Union", None, ("NER",), ("EUCAP Sahel Niger",)),
    Mission("G5 Sahel Joint Force", "G5 Sahel", None, SAHEL_G5, ("G5 Sahel Joint Force", "FC-G5S")),
    Mission("AFISMA", "African Union", None, ("MLI",), (
        "AFISMA", "African-led International Support Mission to Mali",
        "African-led International Support Mission in Mali")),
    Mission("MNJTF", "Lake Chad Basin Commission", None, ("NGA", "NER", "TCD", "CMR"), (
        "MNJTF", "Multinational Joint Task Force")),
)
MISSION_BY_NAME = {m.name: m for m in MISSIONS}
#: The UN peacekeeping mission in each host ("the UN's peacekeeping mission in Mali" → MINUSMA).
UN_MISSIONS_BY_HOST = {"MLI": "MINUSMA", "CAF": "MINUSCA", "COD": "MONUSCO", "SSD": "UNMISS", "SAH": "MINURSO",
                       "SDN": "UNAMID"}
ORGANISATIONS = {
    "United Nations": ("UN", "U.N.", "United Nations", "UN Security Council", "U.N. Security Council",
                       "United Nations Security Council", "Security Council"),
    "European Union": ("EU", "European Union"),
    "ECOWAS": ("ECOWAS", "Economic Community of West African States"),
    "African Union": ("African Union",),
    "NATO": ("NATO",),
}
#: Private military companies.
COMPANIES = {"Wagner Group": ("Wagner", "Wagner Group", "Wagner group", "Wagner PMC"),
             "Africa Corps": ("Africa Corps",)}
#: Named armed groups (jihadist groups, rebels and militias).
ARMED_GROUPS = {
    "JNIM": ("JNIM", "GSIM", "Jama'at Nusrat al-Islam wal-Muslimin", "Group for the Support of Islam and Muslims"),
    "Islamic State Sahel Province": ("Islamic State in the Greater Sahara", "ISGS", "Islamic State Sahel Province",
                                     "IS Sahel", "ISSP", "Islamic State"),
    "AQIM": ("AQIM", "al-Qaeda in the Islamic Maghreb", "Al-Qaeda in the Islamic Maghreb"),
    "al-Qaeda": ("al-Qaeda", "Al-Qaeda", "al Qaeda", "al-Qaida", "Al Qaeda"),
    "Ansarul Islam": ("Ansarul Islam", "Ansaroul Islam"),
    "Ansar Dine": ("Ansar Dine",),
    "Katiba Macina": ("Katiba Macina", "Macina Liberation Front"),
    "Boko Haram": ("Boko Haram",),
    "ISWAP": ("ISWAP", "Islamic State West Africa Province"),
    "MNLA": ("MNLA", "National Movement for the Liberation of Azawad"),
    "VDP": ("VDP", "Volunteers for the Defence of the Homeland", "Volunteers for the Defense of the Homeland"),
    "Dan Na Ambassagou": ("Dan Na Ambassagou",),
}
#: Unnamed armed actors ("Jihadists killed 40 soldiers"); usable as perpetrators, never as partners.
GENERIC_ARMED = ("jihadists", "jihadist fighters", "jihadist groups", "militants", "insurgents", "gunmen",
                 "rebels", "terrorists", "islamists", "armed men", "armed groups", "extremists")

FORCE_NOUNS = frozenset({
    "troops", "troop", "forces", "force", "soldiers", "soldier", "military", "militaries", "army", "contingent",
    "contingents", "personnel", "peacekeepers", "peacekeeper", "mercenaries", "mercenary", "instructors",
    "presence", "units", "battalion", "battalions", "servicemen", "trainers", "advisers", "advisors",
    "paratroopers", "legionnaires", "deployment", "detachment", "garrison", "operation", "operations",
    "reinforcements", "fighters", "marines", "gendarmes", "police",
    # units and arms of service ("a platoon of 50 infantrymen", "200 commandos")
    "platoon", "platoons", "unit", "infantrymen", "infantry", "commandos", "sappers", "airmen",
})
GOVERNMENT_NOUNS = frozenset({"government", "governments", "junta", "juntas", "authorities", "regime", "rulers",
                              "leaders", "leadership", "president", "administration", "minister", "ministry"})
#: Adjectives that make a force phrase without naming a state ("European militaries", "foreign forces").
FORCE_ADJECTIVES = frozenset({"european", "western", "foreign", "international", "french-led", "un"})
CONFLICT_NOUNS = frozenset({
    "insurgency", "insurgencies", "rebellion", "rebellions", "uprising", "uprisings", "jihad", "jihadism",
    "conflict", "conflicts", "violence", "war", "fighting", "unrest", "crisis", "attacks", "insecurity",
    "militancy", "insurrection",
})
LOCATION_PREPS = frozenset({"in", "into", "from", "to", "across", "throughout", "within", "comprising",
                             "including", "near", "around", "at", "inside", "towards", "toward", "outside", "over",
                             "among", "via", "of"})
SKIPPABLE = frozenset({"the", "neighbouring", "neighboring", "nearby", "coastal", "fellow", "northern",
                        "southern", "eastern", "western", "central", "north", "south", "east", "west", "northeastern",
                        "northwestern", "southeastern", "southwestern", "north-eastern", "north-western",
                        "south-eastern", "south-western", "landlocked", "neighbour", "neighbor", "countries",
                        "such", "as", "states"})
MODIFIER_SUFFIXES = frozenset({"backed", "led", "based", "sponsored", "allied", "funded", "supported", "trained",
                                "brokered", "run", "born"})
MODALS = frozenset({"will", "would", "'ll", "shall", "must", "should", "could", "might", "may"})
NEGATIONS = frozenset({"not", "n't", "never", "no", "cannot", "denied", "denies", "deny", "denying", "rejected",
                        "refused", "without"})
NOW_MARKERS = frozenset({"has", "have", "'ve", "will", "'ll", "shall", "now",
                          "currently", "says", "say", "comes", "latest", "today", "must"})
FUTURE_MARKERS = frozenset({"will", "'ll", "shall", "must", "next", "scheduled"})
PRONOUNS = frozenset({"it", "its", "they", "their", "them"})
CLAUSE_WORDS = frozenset({"after", "before", "when", "while", "whereas", "because", "although", "though",
                           "whether", "but", "since", "until", "unless", "once"})
RELATIVE_WORDS = frozenset({"which", "who", "where", "whose", "whom"})
#: Capitals whose names are also ordinary English words or names; not read as governments.
AMBIGUOUS_CAPITALS = frozenset({"male", "victoria", "hamilton", "kingston", "georgetown", "plymouth"})

DIRECTIONS = {
    "north": "northern", "south": "southern", "east": "eastern", "west": "western", "centre": "central",
    "center": "central", "north-east": "north-eastern", "northeast": "north-eastern", "north-west":
    "north-western", "northwest": "north-western", "south-east": "south-eastern", "southeast": "south-eastern",
    "south-west": "south-western", "southwest": "south-western",
}
DIRECTION_ADJECTIVES = {adj: adj for adj in set(DIRECTIONS.values())} | {
    "northeastern": "north-eastern", "northwestern": "north-western", "southeastern": "south-eastern",
    "southwestern": "south-western"}


PRESENCE_OBJECTS = FORCE_NOUNS | {"mission", "missions", "mandate", "cooperation", "participation",
                                   "contribution", "training", "activities", "patrols", "engagement",
                                   "commitment", "agreement", "accord", "accords", "partnership"}




#: Armed forces named for their state ("the Bundeswehr left Gao"): read as that state's forces.
STATE_FORCES: dict[str, str] = {"Bundeswehr": "DEU", "Légion étrangère": "FRA", "Foreign Legion": "FRA",
                                "Armée de terre": "FRA", "FAMa": "MLI", "Pentagon": "USA", "AFRICOM": "USA"}

#: Garrison towns, bases and sites of the region that GeoNames' towns (≥ 15,000 people) miss or share with other
#: countries; recognised as TOWN anywhere (other towns only after a preposition of place).
BASE_TOWNS: dict[str, str] = {
    "Gao": "MLI", "Tombouctou": "MLI", "Timbuktu": "MLI", "Tessalit": "MLI", "Aguelhok": "MLI", "Aguelhoc": "MLI",
    "Ménaka": "MLI", "Menaka": "MLI", "Sévaré": "MLI", "Sevare": "MLI", "Gossi": "MLI", "Ber": "MLI",
    "Konna": "MLI", "Moura": "MLI", "Ogossagou": "MLI", "Ansongo": "MLI", "Boulkessi": "MLI", "Léré": "MLI",
    "Hombori": "MLI", "Douentza": "MLI", "Kidal": "MLI", "Mopti": "MLI", "Ségou": "MLI", "Segou": "MLI",
    "Ouallam": "NER", "Madama": "NER", "Bosso": "NER", "Inates": "NER", "Tongo Tongo": "NER", "Chinagodrar": "NER",
    "Ayorou": "NER", "Arlit": "NER", "Dirkou": "NER", "Agadez": "NER", "Téra": "NER", "Tera": "NER",
    "Tillabéri": "NER", "Tillaberi": "NER", "Diffa": "NER",
    "Kamboinsin": "BFA", "Sebba": "BFA", "Solhan": "BFA", "Nassoumbou": "BFA", "Djibo": "BFA",
    "Faya": "TCD", "Faya-Largeau": "TCD", "Abéché": "TCD", "Barkaram": "TCD", "Kpinkankandi": "TGO",
}

#: Words of a decision still to be taken: "vote on sending soldiers", "a decision on deploying troops".
DECISION_WORDS = frozenset({"vote", "decide", "decision", "debate", "deliberate", "rule", "consult", "talks"})


def under_decision(tok):
    """The decision word a trigger verb is the object of ("is due to vote on Monday on sending soldiers": vote)."""
    if tok.dep_ == "pcomp" and tok.head.dep_ == "prep" and tok.head.lower_ in ("on", "about", "whether") and \
            tok.head.head.lemma_ in DECISION_WORDS:
        return tok.head.head
    return None

#: Nouns a number counts that are no people: "29 people of at least 18 nationalities", "in 12 attacks".
NOT_PEOPLE = frozenset({"nationality", "country", "village", "town", "hour", "day", "week", "month", "year",
                        "attack", "raid", "vehicle", "motorcycle", "kilometre", "kilometer", "mile"})

