"""Reading a full-size GED CSV: read_ged (checks every value) against a plain pandas read of the same file.

    .venv/bin/python benchmarks/bench_observed.py [--rows 300000]

Writes a synthetic GED-like file (UCDP's 49 column names of GEDEvent_v24_1, invented values; GED 24.1 has about
350,000 events) into a temporary folder and times, in the same process (median of 3): ``pandas.read_csv`` of the
whole file with the C engine (what a user would do first), the same with only the 12 needed columns, and
``read_ged``. Ratios are what to compare across machines.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.evidence.observed import read_ged

COLUMNS = ("id relid year active_year code_status type_of_violence conflict_dset_id conflict_new_id conflict_name "
           "dyad_dset_id dyad_new_id dyad_name side_a_dset_id side_a_new_id side_a side_b_dset_id side_b_new_id "
           "side_b number_of_sources source_article source_office source_date source_headline source_original "
           "where_prec where_coordinates where_description adm_1 adm_2 latitude longitude geom_wkt priogrid_gid "
           "country country_id region event_clarity date_prec date_start date_end deaths_a deaths_b "
           "deaths_civilians deaths_unknown best high low gwnoa gwnob").split()


def synthetic(path: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    day = pd.to_datetime("1989-01-01") + pd.to_timedelta(rng.integers(0, 35 * 365, rows), unit="D")
    best = rng.poisson(3, rows)
    frame = pd.DataFrame({c: "text, with a comma" for c in COLUMNS}, index=range(rows))
    frame = frame.assign(
        id=np.arange(rows), year=day.year, type_of_violence=rng.integers(1, 4, rows),
        where_prec=rng.integers(1, 8, rows), latitude=rng.uniform(-30, 50, rows).round(6),
        longitude=rng.uniform(-20, 120, rows).round(6), country=rng.choice(["Mali", "Niger", "Syria", "India"], rows),
        date_start=day.strftime("%Y-%m-%d"), date_end=day.strftime("%Y-%m-%d"), best=best, low=best, high=best + 1,
        source_article="A long source article title; quoted, with commas, and more words " * 3,
    )
    frame.to_csv(path, index=False)


def median_time(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "GEDEvent_synthetic.csv"
        synthetic(path, args.rows)
        size = path.stat().st_size / 1e6
        full = median_time(lambda: pd.read_csv(path, low_memory=False))
        needed = median_time(lambda: pd.read_csv(path, usecols=list(COLUMNS[:3]) + [
            "type_of_violence", "where_prec", "latitude", "longitude", "country", "date_start", "date_end",
            "best", "high", "low"]))
        ours = median_time(lambda: read_ged(path))
    print(f"{args.rows:,} rows, {len(COLUMNS)} columns, {size:.0f} MB")
    print(f"pandas.read_csv, all columns (C engine):   {full:6.2f} s  1.00")
    print(f"pandas.read_csv, 12 columns (C engine):    {needed:6.2f} s  {needed / full:.2f}")
    print(f"read_ged (pyarrow, checks every value):    {ours:6.2f} s  {ours / full:.2f}")


if __name__ == "__main__":
    main()
