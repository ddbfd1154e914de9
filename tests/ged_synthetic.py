"""Synthetic GED-like CSVs for tests: UCDP's column names, invented events (no row of any real GED file).

A full GED download has ~50 columns; the synthetic files carry the 25 of the per-country export plus a few extra
ones, so the reader is tested on files with columns it must ignore.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

COLUMNS = [
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_new_id", "conflict_name",
    "dyad_name", "side_a", "side_b", "source_article", "where_prec", "adm_1", "adm_2", "latitude", "longitude",
    "geom_wkt", "priogrid_gid", "country", "country_id", "region", "event_clarity", "date_prec", "date_start",
    "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best", "high", "low",
]

#: Invented places (lon, lat, GED country) used by the tests.
PLACES = {
    "mopti": (-4.19, 14.49, "Mali"), "gao": (0.04, 16.27, "Mali"), "tillaberi": (1.45, 14.21, "Niger"),
    "diffa": (12.61, 13.32, "Niger"), "djibo": (-1.63, 14.10, "Burkina Faso"), "abidjan": (-4.02, 5.35, "Ivory Coast"),
}


def event(i: int, place: str = "mopti", date: str = "2018-03-05", end: str | None = None, best: int = 3,
          low: int | None = None, high: int | None = None, where_prec: int = 1, violence: int = 1,
          lon: float | None = None, lat: float | None = None, country: str | None = None) -> dict:
    """One synthetic event row with every column of :data:`COLUMNS`."""
    plon, plat, pcountry = PLACES[place]
    lon, lat = (plon if lon is None else lon), (plat if lat is None else lat)
    return {
        "id": 900000 + i, "relid": f"SYN-{i}", "year": int(date[:4]), "active_year": 1, "code_status": "Clear",
        "type_of_violence": violence, "conflict_new_id": 1, "conflict_name": "Synthetic, conflict",
        "dyad_name": "A - B", "side_a": "A", "side_b": "B", "source_article": "invented", "where_prec": where_prec,
        "adm_1": f"{place} region", "adm_2": "", "latitude": lat, "longitude": lon,
        "geom_wkt": f"POINT ({lon} {lat})", "priogrid_gid": 1, "country": country or pcountry, "country_id": 1,
        "region": "Africa", "event_clarity": 1, "date_prec": 1, "date_start": date, "date_end": end or date,
        "deaths_a": best, "deaths_b": 0, "deaths_civilians": 0, "deaths_unknown": 0, "best": best,
        "high": best if high is None else high, "low": best if low is None else low,
    }


def write_ged(path: Path, rows: list[dict], columns: list[str] | None = None) -> Path:
    """Write ``rows`` as a GED CSV (all :data:`COLUMNS`, or ``columns``) and return the path."""
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if columns is not None:
        frame = frame[columns]
    frame.to_csv(path, index=False)
    return path


def basic_rows() -> list[dict]:
    """A small record: Mali, Niger, Burkina Faso and Ivory Coast, 2017-2019, mixed precision and violence."""
    return [
        event(1, "mopti", "2017-02-01", best=10, low=8, high=12),
        event(2, "mopti", "2018-03-05", best=5, violence=3),
        event(3, "gao", "2018-07-09", best=7, where_prec=2, violence=2),
        event(4, "gao", "2018-07-30", end="2018-08-02", best=2, where_prec=3),
        event(5, "tillaberi", "2019-01-15", best=20, low=15, high=40, where_prec=4),
        event(6, "diffa", "2019-05-05", best=4, where_prec=5),
        event(7, "djibo", "2019-06-06", best=30, where_prec=1),
        event(8, "abidjan", "2017-11-11", best=1, where_prec=6, violence=3),
        event(9, "mopti", "2019-12-31", best=0, low=0, high=3),
    ]
