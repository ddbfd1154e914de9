"""From facts to what the model uses: dated tables (deployment timeline, drivers, onsets) and per-country attributes.

What it decides: which foreign forces are where from when until when, with how many troops and at which bases;
which drivers (coups, partnerships with armed groups or military companies) are in force from which date; where
and when the insurgency began; and which facts are outcomes (epicentre, spread, casualties, displacement) that the
model is judged on and must never take as drivers (:data:`geo.documents.facts.OUTCOME_KINDS`).

Entry points for the simulation layer::

    facts = facts_from_seeds("seeds", overrides=None)
    timeline = deployment_timeline(facts)       # one row per (actor, mission, host): from, until, size, bases
    drivers = driver_table(facts)               # one row per coup or partnership: country, kind, date, actor
    onsets = onset_table(facts)                 # one row per onset place: place, country, date, precision
    attributes = country_attributes(facts, ["MLI", "BFA", "NER"])   # DataFrame indexed by ADM0_A3
    onset_places(facts)                         # [("northern Mali", 2012), …] (phrases for geo.places)

>>> facts = facts_from_seeds("seeds")
>>> row = deployment_timeline(facts).query("mission == 'MINUSMA' and actor == 'United Nations'").iloc[0]
>>> row.present_from.date(), row.present_until.date(), float(row["size_min"]), float(row["size"])
(datetime.date(2013, 7, 1), datetime.date(2023, 12, 31), 11000.0, 13000.0)

Attribute columns (:data:`ATTRIBUTE_COLUMNS`; every requested country has a row, 0 or NaN where no fact says
anything):

- ``coups``: number of coups, the larger of the largest stated count ("two coups in three years" → 2) and the
  number of distinct months in which a dated coup happened (a coup mentioned twice in one month counts once);
  1 if coups are mentioned without count or month.
- ``armed_partner``: 1 if the government works with an armed group or a foreign military company (a
  ``partnership`` fact, or a company such as Wagner deploying there), else 0.
- ``protests``: 1 if protests against foreign forces are reported, else 0.
- ``epicentre``: 1 if the country is called the epicentre of the conflict, else 0.
- ``onset_year``: earliest year in which the insurgency is said to have begun there (NaN if none).
- ``spread_into``: 1 if the insurgency is said to have spread into the country, else 0.
- ``casualties_log10``, ``displaced_log10``: order of magnitude of the largest reported number of people killed
  or displaced: ``floor(log10(n))`` for a number, or the magnitude word (dozens 1, hundreds 2, thousands 3, tens
  of thousands 4, hundreds of thousands 5, millions 6); NaN if none.
- ``facts``: number of facts about the country.

Timeline (:func:`deployment_timeline`): presence facts (deployment, withdrawal, suspension) grouped by actor
(ADM0_A3 for states, else the name), mission and host. A fact without a mission belongs to every row of the same
actor and host that names one ("the UK troop pullout" joins UK/MINUSMA/Mali; "France would withdraw its troops
from Mali" ends both Serval and Barkhane there), and has a row of its own only when there is none. Barkhane's
facts come one per host, so it has one row per host. Columns:

- ``actor``, ``actor_code``, ``actor_kind`` (state, mission, organisation, company, other), ``mission``, ``host``;
- ``present_from``: earliest dated deployment (NaT: unknown, before the documents);
- ``present_until``: the earliest withdrawal or suspension the documents report as done ("has cut short",
  "halted", "left Mali on Monday"); when they only announce it ("will now be leaving", "decided to end"), the
  earliest announcement date, and ``planned`` is True. NaT: still present, or no date stated (then ``ended_by``
  still says how it ended). ``until_precision`` is its date precision;
- ``ended_by``: "withdrawal", "suspension" or None;
- ``planned_until``: the originally planned end when stated ("six months earlier than planned" → present_until
  + 6 months), else the latest later announced end date, else NaT;
- ``size``: largest stated number of troops (NaN if none); ``size_min`` the lower end of a stated range or the
  smallest stated number when several are (NaN if none);
- ``bases``: the garrison towns named for the row (";"-joined, in first-mention order); ``bases_closed``: the
  bases the documents say were closed or left, each with its date ("Kidal 2021;Ménaka 2022-06"). An exit that
  names only bases ("closed its bases in Kidal", "left Ménaka") ends those bases, not the row; the row ends with
  its last base when every base it had is closed;
- provenance of the fact that fixed the end (else the first fact): ``document``, ``span``, ``rule``; and
  ``facts``, the ids of every fact in the row joined by ";".

Manual facts (from overrides) win: when a row has manual end facts, only they date its end.
"""
from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.atomic import atomic_path
from geo.documents.dates import parse_count, shift_date
from geo.documents.document import extract_facts
from geo.documents.facts import MANUAL, PRECISIONS, PRESENCE_KINDS, Fact
from geo.documents.lexicon import ARMED_GROUPS, COMPANIES, MISSIONS, ORGANISATIONS
from geo.documents.quantities import MAGNITUDES
from geo.documents.read import Document, load_documents
from geo.errors import SpilloverError

__all__ = [
    "Document", "Fact", "load_documents", "extract_facts", "facts_from_seeds", "ATTRIBUTE_COLUMNS",
    "country_attributes", "deployment_timeline", "TIMELINE_COLUMNS", "onset_places", "attributes_layer",
    "write_attributes_gpkg", "LAYER", "driver_table", "DRIVER_COLUMNS", "onset_table", "ONSET_COLUMNS",
    "outcome_facts", "OUTCOME_COLUMNS",
]

#: GeoPackage layer name of :func:`write_attributes_gpkg`.
LAYER = "attributes"
#: Attribute columns and what each means (see the module docstring).
ATTRIBUTE_COLUMNS: dict[str, str] = {
    "coups": "number of coups (largest stated count or distinct coup months)",
    "armed_partner": "1 if the government works with an armed group or foreign military company",
    "protests": "1 if protests against foreign forces are reported",
    "epicentre": "1 if called the epicentre of the conflict (an outcome: never a driver)",
    "onset_year": "earliest year the insurgency began there (NaN if none)",
    "spread_into": "1 if the insurgency spread into the country (an outcome)",
    "casualties_log10": "order of magnitude of people killed (thousands → 3; NaN if none; an outcome)",
    "displaced_log10": "order of magnitude of people displaced (millions → 6; NaN if none; an outcome)",
    "facts": "number of facts about the country",
}
TIMELINE_COLUMNS: tuple[str, ...] = (
    "actor", "actor_code", "actor_kind", "mission", "host", "present_from", "from_precision", "present_until",
    "until_precision", "ended_by", "planned", "planned_until", "size", "size_min", "bases", "bases_closed",
    "document", "span", "rule", "facts",
)
#: Columns of :func:`driver_table`.
DRIVER_COLUMNS: tuple[str, ...] = ("country", "kind", "date", "precision", "actor", "document", "span", "rule",
                                   "facts")
#: Columns of :func:`onset_table`.
ONSET_COLUMNS: tuple[str, ...] = ("place", "country", "adm1_code", "date", "precision", "document", "span", "rule",
                                  "facts")
#: Attribute columns that come from outcome facts (what the model is judged on, never a driver).
OUTCOME_COLUMNS: tuple[str, ...] = ("epicentre", "spread_into", "casualties_log10", "displaced_log10")


def facts_from_seeds(seed_dir: str | os.PathLike = "seeds", overrides: str | os.PathLike | None = None,
                     published: dt.date | str | None = None) -> list[Fact]:
    """Facts of every document in ``seed_dir`` (a folder or one file), with ``overrides`` applied.

    ``published`` dates documents that have no sidecar date.
    """
    return extract_facts(load_documents(seed_dir, published=published), overrides=overrides)


def country_attributes(facts: list[Fact], codes) -> pd.DataFrame:
    """Per-country attributes (columns :data:`ATTRIBUTE_COLUMNS`) for every code in ``codes``, in that order."""
    codes = list(codes)
    table = pd.DataFrame(0.0, index=pd.Index(codes, name="ADM0_A3"), columns=list(ATTRIBUTE_COLUMNS))
    for column in ("onset_year", "casualties_log10", "displaced_log10"):
        table[column] = np.nan
    companies = set(COMPANIES)
    for code in codes:
        mine = [f for f in facts if f.country == code]
        table.loc[code, "facts"] = len(mine)
        coups = [f for f in mine if f.kind == "coup"]
        if coups:
            months = {(f.date.year, f.date.month) for f in coups if f.date and f.date_precision in ("day", "month")}
            table.loc[code, "coups"] = max([len(months), 1] + [f.count or 0 for f in coups])
        partner = any(f.kind == "partnership" for f in mine) or any(
            f.kind == "deployment" and f.actor in companies for f in mine)
        table.loc[code, "armed_partner"] = float(partner)
        table.loc[code, "protests"] = float(any(f.kind == "protest" for f in mine))
        table.loc[code, "epicentre"] = float(any(f.kind == "epicentre" for f in mine))
        table.loc[code, "spread_into"] = float(any(f.kind == "spread" for f in mine))
        years = [f.date.year for f in mine if f.kind == "onset" and f.date]
        if years:
            table.loc[code, "onset_year"] = float(min(years))
        for kind, column in (("casualties", "casualties_log10"), ("displacement", "displaced_log10")):
            orders = [order for f in mine if f.kind == kind and (order := magnitude_log10(f)) is not None]
            if orders:
                table.loc[code, column] = max(orders)
    return table


def magnitude_log10(fact: Fact) -> float | None:
    """Order of magnitude of a fact's quantity: floor(log10(size)), else from its magnitude word; None if none."""
    if fact.size:
        return float(math.floor(math.log10(fact.size)))
    text = (fact.magnitude or "").lower()
    for word, order in sorted(MAGNITUDES.items(), key=lambda kv: -len(kv[0])):
        if word in text:
            return float(order)
    return None


def deployment_timeline(facts: list[Fact]) -> pd.DataFrame:
    """Which foreign forces are present in which host when: one row per (actor, mission, host) (see above)."""
    presence = [f for f in facts if f.kind in PRESENCE_KINDS and f.country and (f.actor or f.actor_code)]
    groups: dict[tuple, list[Fact]] = {}
    for fact in presence:
        if fact.mission is not None:
            groups.setdefault((fact.actor_code or fact.actor, fact.mission, fact.country), []).append(fact)
    spans = {key: _own_span(members) for key, members in groups.items()}
    for fact in presence:
        if fact.mission is None:
            actor = fact.actor_code or fact.actor
            named = [k for k in groups if k[0] == actor and k[2] == fact.country and k[1] is not None]
            # a fact without a mission joins the named rows of its actor and host that are present on its date
            live = [k for k in named if fact.date is None or (spans[k][0] is None or spans[k][0] <= fact.date)
                    and (spans[k][1] is None or fact.date <= spans[k][1])]
            for key in live or named or [(actor, None, fact.country)]:
                groups.setdefault(key, []).append(fact)
    rows = [_timeline_row(sorted(members, key=_order)) for members in groups.values()]
    table = pd.DataFrame(rows, columns=list(TIMELINE_COLUMNS))
    for column in ("present_from", "present_until", "planned_until"):
        table[column] = pd.to_datetime(table[column])
    table["size"] = table["size"].astype(float)
    table["size_min"] = table["size_min"].astype(float)
    table = table.astype({"mission": object, "ended_by": object, "actor_code": object})
    table = table.where(table.notna(), None).astype({"size": float, "size_min": float})
    return table.sort_values(["host", "present_until", "actor"], na_position="last").reset_index(drop=True)


def _own_span(members: list[Fact]) -> tuple[dt.date | None, dt.date | None]:
    """(first dated deployment, last dated reported exit) of a row's own facts."""
    starts = [f.date for f in members if f.kind == "deployment" and f.date]
    ends = [f.date for f in members if f.kind in ("withdrawal", "suspension") and f.date and f.planned is False
            and not _is_base_exit(f)]
    return (min(starts) if starts else None), (max(ends) if ends else None)


def _start(starts: list[Fact]) -> Fact | None:
    """The earliest deployment; a year (or month) yields to a more precise date within it ("in 2014" and
    "on 1 August 2014" → 1 August 2014)."""
    if not starts:
        return None
    first = min(starts, key=lambda f: (f.date, PRECISIONS.index(f.date_precision)))
    finer = [f for f in starts if PRECISIONS.index(f.date_precision) < PRECISIONS.index(first.date_precision)
             and _within(f.date, first)]
    return min(finer, key=lambda f: f.date) if finer else first


def _within(day: dt.date, fact: Fact) -> bool:
    if fact.date_precision == "year":
        return day.year == fact.date.year
    if fact.date_precision == "month":
        return (day.year, day.month) == (fact.date.year, fact.date.month)
    return day == fact.date


def _order(fact: Fact) -> tuple:
    return fact.document, fact.span or (0, 0)


def _is_base_exit(fact: Fact) -> bool:
    return fact.kind == "withdrawal" and "scope:bases" in fact.inferred and bool(fact.bases)


def _timeline_row(members: list[Fact]) -> dict:
    first = members[0]
    starts = [f for f in members if f.kind == "deployment" and f.date and f.planned is not True]
    starts = starts or [f for f in members if f.kind == "deployment" and f.date]
    start = _start(starts)
    ends = [f for f in members if f.kind in ("withdrawal", "suspension") and not _is_base_exit(f)]
    closures = [f for f in members if _is_base_exit(f) and f.date and f.planned is not True]
    manual_ends = [f for f in ends if f.rule == MANUAL]
    dated = [f for f in (manual_ends or ends) if f.date and (start is None or f.date >= start.date)]
    reported = [f for f in dated if f.planned is not True]
    departures = [f for f in reported if "object:mandate" not in f.inferred]
    reported = departures or reported  # "ended the mandate on 30 June" yields to "left on 31 December"
    until, defining = None, (ends[0] if ends else first)
    if dated:
        # a reported exit dates the end; an announcement only when nothing reports the exit itself
        defining = min(reported or dated, key=lambda f: f.date)
        until = defining.date
    bases = list(dict.fromkeys(b for f in members for b in f.bases))
    closed = {b: f for f in sorted(closures, key=lambda f: f.date) for b in f.bases}
    if not reported and bases and all(b in closed for b in bases):
        defining = max((closed[b] for b in bases), key=lambda f: f.date)  # its last base closed: it left
        until = defining.date
    sizes = [f.size for f in members if f.size]
    lows = [f.size_min for f in members if f.size_min] + sizes
    cut = {"day": 10, "month": 7, "year": 4}
    return {
        "actor": first.actor, "actor_code": first.actor_code, "actor_kind": _actor_kind(first),
        "mission": next((f.mission for f in members if f.mission), None), "host": first.country,
        "present_from": start.date if start else None, "from_precision": start.date_precision if start else None,
        "present_until": until, "until_precision": defining.date_precision if until else None,
        "ended_by": defining.kind if (ends or until) else None, "planned": bool(dated) and not reported and not (
            until and defining in closures),
        "planned_until": _planned_until(until, [f for f in ends if f.date]),
        "size": float(max(sizes)) if sizes else np.nan,
        "size_min": float(min(lows)) if len(lows) > 1 or any(f.size_min for f in members) else np.nan,
        "bases": ";".join(bases),
        "bases_closed": ";".join(f"{b} {closed[b].date.isoformat()[:cut.get(closed[b].date_precision, 10)]}"
                                 for b in closed),
        "document": defining.document, "span": defining.span, "rule": defining.rule,
        "facts": ";".join(f.id for f in members),
    }


def _planned_until(until: dt.date | None, ends: list[Fact]) -> dt.date | None:
    if until is None:
        return None
    for f in ends:
        if f.timing and f.timing_offset:
            n, unit = f.timing_offset.split()[-2:]
            offset = parse_count(n) or 1
            return shift_date(f.date, offset if f.timing == "earlier" else -offset, unit)
    later = [f.date for f in ends if f.planned and f.date > until]
    return max(later) if later else None


def _actor_kind(fact: Fact) -> str:
    if fact.actor_code:
        return "state"
    if fact.actor in COMPANIES:
        return "company"
    if fact.actor in ORGANISATIONS or fact.actor in {m.lead for m in MISSIONS}:
        return "organisation"
    if fact.actor in ARMED_GROUPS:
        return "armed group"
    return "other"


def onset_places(facts: list[Fact]) -> list[tuple[str, int | None]]:
    """(place phrase, year or None) of every insurgency onset, first mention first, without repeats.

    The phrases are accepted by :func:`geo.places.resolve_place` ("northern Mali", "Burkina Faso").
    """
    out: list[tuple[str, int | None]] = []
    for fact in facts:
        if fact.kind == "onset" and fact.place:
            item = (fact.place, fact.date.year if fact.date else None)
            if item not in out:
                out.append(item)
    return out


def driver_table(facts: list[Fact]) -> pd.DataFrame:
    """Dated drivers of growth: one row per coup (per country and month) and per partnership (per country and
    partner, from its earliest date; a military company deploying in a country is a partnership from then).

    Columns :data:`DRIVER_COLUMNS`; ``date`` is NaT when no document dates it (then ``precision`` is "unknown").
    Outcomes (epicentre, spread, casualties, displacement) are never drivers.
    """
    rows: dict[tuple, dict] = {}
    companies = set(COMPANIES)
    for f in facts:
        if f.kind == "coup" and f.country and f.date_basis in ("relative", "unknown", "publication") and any(
                g.kind == "coup" and g.country == f.country and g.date_basis in ("stated", "reported") for g in facts):
            continue  # "two coups in three years" beside the dated coups: not a coup of its own
        if f.kind == "coup" and f.country:
            month = (f.date.year, f.date.month) if f.date and f.date_precision in ("day", "month") else (
                f.date.year if f.date else None)
            key = (f.country, "coup", month)
            actor = f.actor
        elif f.country and (f.kind == "partnership" or f.kind == "deployment" and f.actor in companies):
            key = (f.country, "partnership", f.actor)
            actor = f.actor
        else:
            continue
        row = rows.get(key)
        if row is None or _earlier(f, row):
            rows[key] = {"country": f.country, "kind": key[1], "date": f.date, "precision": f.date_precision,
                         "actor": actor, "document": f.document, "span": f.span, "rule": f.rule,
                         "facts": f.id if row is None else f"{row['facts']};{f.id}"}
        else:
            row["facts"] += f";{f.id}"
    undated = {(r["country"], "coup") for r in rows.values() if r["kind"] == "coup" and r["date"] is not None}
    out = [r for k, r in rows.items() if not (k[1] == "coup" and k[2] is None and (k[0], "coup") in undated)]
    table = pd.DataFrame(out, columns=list(DRIVER_COLUMNS))
    table["date"] = pd.to_datetime(table["date"])
    return table.sort_values(["country", "date", "kind"], na_position="last").reset_index(drop=True)


def _earlier(fact: Fact, row: dict) -> bool:
    if fact.date is None:
        return False
    if row["date"] is not None and row.get("kind") == "coup":  # one coup written twice ("26 July 2023", "July"):
        fine, coarse = sorted(((fact.date, fact.date_precision), (row["date"], row["precision"])),
                              key=lambda x: PRECISIONS.index(x[1]))
        if fine[0].year == coarse[0].year and (coarse[1] == "year" or fine[0].month == coarse[0].month):
            return PRECISIONS.index(fact.date_precision) < PRECISIONS.index(row["precision"])  # the finer date
    return row["date"] is None or fact.date < row["date"] or (
        fact.date == row["date"] and PRECISIONS.index(fact.date_precision) < PRECISIONS.index(row["precision"]))


def onset_table(facts: list[Fact]) -> pd.DataFrame:
    """Dated onsets: one row per (place, country), the earliest date any document gives it.

    Columns :data:`ONSET_COLUMNS`; ``place`` is a phrase as written ("northern Mali", "Tillabéri region",
    "Djibo"); ``adm1_code`` is the fact's (filled by the geography layer where it maps the place).
    """
    rows: dict[tuple, dict] = {}
    for f in facts:
        if f.kind != "onset" or not f.place or not f.country:
            continue
        key = (f.place, f.country)
        row = rows.get(key)
        if row is None or _earlier(f, row):
            rows[key] = {"place": f.place, "country": f.country, "adm1_code": f.adm1_code, "date": f.date,
                         "precision": f.date_precision, "document": f.document, "span": f.span, "rule": f.rule,
                         "facts": f.id if row is None else f"{row['facts']};{f.id}"}
        else:
            row["facts"] += f";{f.id}"
    table = pd.DataFrame(list(rows.values()), columns=list(ONSET_COLUMNS))
    table["date"] = pd.to_datetime(table["date"])
    return table.sort_values(["date", "country"], na_position="last").reset_index(drop=True)


def outcome_facts(facts: list[Fact]) -> list[Fact]:
    """The outcome facts (epicentre, spread, casualties, displacement): what the model is judged on."""
    return [f for f in facts if f.outcome]


def attributes_layer(facts: list[Fact], countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The countries' polygons (ADM0_A3, NAME_EN, geometry) joined with :func:`country_attributes`."""
    missing = [c for c in ("ADM0_A3", "NAME_EN", "geometry") if c not in countries.columns]
    if missing:
        raise SpilloverError(f"countries table lacks columns {missing}; load it with geo.load_countries()")
    table = country_attributes(facts, list(countries.index))
    base = countries[["ADM0_A3", "NAME_EN", "geometry"]].copy()
    layer = base.join(table.rename_axis(base.index.name))
    return gpd.GeoDataFrame(layer, geometry="geometry", crs=countries.crs)


def write_attributes_gpkg(path: str | os.PathLike, facts: list[Fact],
                          countries: gpd.GeoDataFrame | None = None) -> Path:
    """Write :func:`attributes_layer` as GeoPackage layer ``attributes``, atomically; return the path."""
    from geo.shapes import load_countries

    layer = attributes_layer(facts, countries if countries is not None else load_countries())
    with atomic_path(path) as tmp:
        layer.reset_index(drop=True).to_file(tmp, layer=LAYER, driver="GPKG", engine="pyogrio")
    return Path(path)
