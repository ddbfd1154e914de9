"""``spillover observed``: what UCDP recorded, aggregated per cell, admin-1 unit or country (registered in
:mod:`sim.cli`)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from geo.errors import SpilloverError
from sim.cli.common import (CsvFlag, Format, FormatOption, JsonFlag, QuietOption, VerboseOption, choose_format,
                            emit_table, say, set_verbosity, warn)


def observed_command(
    ged: Annotated[Path, typer.Argument(help="a UCDP GED CSV (full GEDEvent download or a per-country export)",
                                        metavar="GED.csv")],
    years: Annotated[Optional[str], typer.Option(help="years to keep, FIRST:LAST or YEAR (default: all)",
                                                 metavar="FIRST:LAST")] = None,
    violence: Annotated[str, typer.Option(
        help="violence types: 1 state-based, 2 non-state, 3 one-sided (comma-separated)", metavar="1,2,3")] = "1,2,3",
    max_precision: Annotated[Optional[int], typer.Option(
        help="coarsest GED where_prec used (1 exact .. 6 country); default per level: cell 3, admin1 4, country 6; "
        "coarser events still count at the levels their precision allows", metavar="N")] = None,
    by: Annotated[str, typer.Option(help="cell, admin1 or country")] = "admin1",
    period: Annotated[str, typer.Option(help="year or month")] = "year",
    out: Annotated[Optional[Path], typer.Option(
        help="folder for the aggregates (CSV), the figure and observed.json", metavar="DIR")] = None,
    cell_km: Annotated[float, typer.Option(help="cell side in km of the cell grid and the figure's map")] = 25.0,
    force: Annotated[bool, typer.Option(help="replace a previous `spillover observed` output in DIR")] = False,
    fmt: FormatOption = Format.table,
    as_json: JsonFlag = False,
    as_csv: CsvFlag = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Read a GED CSV, check it, filter it and print (and with --out write) events and deaths per unit and period."""
    from sim.evidence.aggregate import PERIODS
    from sim.evidence.observed import LEVELS, check_precision, check_violence, check_years, read_ged
    from sim.evidence.outputs import observed_counts, write_observed

    set_verbosity(quiet, verbose)
    fmt = choose_format(fmt, as_json, as_csv)
    # every option is checked before the file is read
    if by not in LEVELS:
        raise SpilloverError(f"--by {by!r}: unknown level {by!r}; valid: {', '.join(LEVELS)}")
    if period not in PERIODS:
        raise SpilloverError(f"--period {period!r}: unknown period {period!r}; valid: {', '.join(PERIODS)}")
    years = check_years(years) if years is not None else None
    kinds = check_violence(violence)
    if max_precision is not None:
        check_precision(max_precision)
    events = read_ged(ged, years=years, violence=kinds)
    say(f"read {events.n_read:,} events from {ged}; kept {len(events.events):,} "
        f"({events.events['best'].sum():,} deaths, best estimate)")
    if events.unmapped_countries:
        warn(f"GED country names with no ADM0_A3 code (their events count in no country): "
             f"{', '.join(events.unmapped_countries)}")
    if out is not None:
        counts, _ = write_observed(events, out, by=by, period=period, years=years, max_precision=max_precision,
                                   cell_km=cell_km, force=force, log=say)
    else:
        counts = observed_counts(events, by, period, years, max_precision, cell_km)[0]
    if counts.dropped["events"]:
        say(f"{counts.dropped['events']:,} events ({counts.dropped['deaths_best']:,.0f} deaths) with "
            f"where_prec ≤ {counts.precision} fall in no {by} unit" + (" of the grid" if by == "cell" else ""))
    emit_table(counts.frame, fmt)
