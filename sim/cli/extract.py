"""``spillover extract``: documents → facts, as JSON lines or a readable summary (registered in :mod:`sim.cli`).

Every input is read and checked before anything is written, and every file is written atomically, so a bad input
leaves no half-written output; an existing output file is replaced only with ``--force``. With ``--json`` (or
``--format json``) standard output carries only the JSON lines, with ``--format csv`` only the facts table;
messages go to stderr.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from geo.errors import SpilloverError
from sim.cli.common import Format, FormatOption, QuietOption, VerboseOption, choose_format, emit_table, say, \
    set_verbosity


def extract_command(
    paths: Annotated[list[Path], typer.Argument(
        help="document files or folders of .txt/.md documents (each with a .meta.toml sidecar, or use --published)")],
    json_lines: Annotated[bool, typer.Option(
        "--json", help="print one JSON object per fact per line, nothing else")] = False,
    published: Annotated[Optional[str], typer.Option(
        help="publication date YYYY-MM-DD of documents without a sidecar date")] = None,
    overrides: Annotated[Optional[Path], typer.Option(
        help="TOML file of manual facts: [[add]], [[correct]], [[reject]]")] = None,
    table: Annotated[Optional[Path], typer.Option(help="also write the facts table (CSV), e.g. facts.csv")] = None,
    gpkg: Annotated[Optional[Path], typer.Option(
        help="also write the attributes on the country polygons (GeoPackage layer 'attributes') and on the "
             "admin-1 units (layer 'admin1')")] = None,
    figure: Annotated[Optional[Path], typer.Option(
        help="also draw the attribute map beside the deployment timeline (PNG), e.g. figures/documents.png")] = None,
    fmt: FormatOption = Format.table,
    force: Annotated[bool, typer.Option("--force", help="replace existing --table/--gpkg/--figure files")] = False,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Extract dated facts (deployments, withdrawals, coups, protests, onset, spread, …) from news documents."""
    from geo.documents.attributes import deployment_timeline, extract_facts, load_documents, write_attributes_gpkg
    from geo.documents.read import parse_date
    from geo.documents.facts import to_json_lines, write_facts_table
    from geo.shapes import load_countries

    from geo.documents.nlp import pipeline_info

    set_verbosity(quiet, verbose)
    fmt = choose_format(fmt, as_json=json_lines)
    existing = [str(p) for p in (table, gpkg, figure) if p is not None and p.exists()]
    if existing and not force:
        raise SpilloverError(f"{', '.join(existing)} exists; pass --force to replace it, or choose another file "
                             "(nothing was changed)")
    when = parse_date(published, "--published") if published is not None else None
    notes: list[str] = []
    documents = load_documents(paths, published=when, notes=notes)
    for note in notes:
        say(note)
    facts = extract_facts(documents, overrides=overrides)  # every input error is raised here, before any write
    countries = load_countries() if (gpkg or figure) else None
    if figure:
        from sim.plotting.documents import plot_documents

        for path in plot_documents(facts, countries, figure):
            say(f"wrote {path}")
    if table:
        write_facts_table(table, facts)
        say(f"wrote {table} ({len(facts)} facts)")
    if gpkg:
        from geo.admin1 import write_admin1_layer

        write_attributes_gpkg(gpkg, facts, countries)
        write_admin1_layer(gpkg, facts)
        say(f"wrote {gpkg} (layers 'attributes', {len(countries)} countries, and 'admin1')")
    info = pipeline_info()
    pipeline = f"pipeline {info['package']} (spaCy {info['spacy']}, weights sha256 {info['weights_sha256'][:12]}…)"
    if fmt == "json":  # the pipeline is named in every fact ("pipeline"); stderr says it once
        say(pipeline)
        if facts:
            typer.echo(to_json_lines(facts))
        return
    if fmt == "csv":
        from geo.documents.facts import facts_table

        say(pipeline)
        emit_table(facts_table(facts), "csv")
        return
    from rich.console import Console  # only for the readable summary: `spillover run` never loads rich

    Console().print(pipeline, highlight=False, markup=False)
    _summary(documents, facts, deployment_timeline(facts))


def _summary(documents, facts, timeline) -> None:
    """Readable terminal summary: per document, each sentence with its facts; the timeline; the attributes."""
    from rich.console import Console
    from rich.markup import escape

    from geo.documents.attributes import country_attributes

    out = Console()
    for doc in documents:
        mine = [f for f in facts if f.document == doc.id]
        out.rule(f"[bold]{escape(doc.id)}[/]", style="dim")
        out.print(f"{escape(doc.title or '(no title)')} — {escape(doc.source or 'source not given')}, published "
                  f"{doc.published.isoformat()}: [bold]{len(mine)}[/] facts", highlight=False)
        for index in dict.fromkeys(f.sentence_index for f in mine):
            group = [f for f in mine if f.sentence_index == index]
            out.print(f"\n[dim][{index}][/] [italic]{escape(_clip(group[0].sentence or ''))}[/]", highlight=False)
            for f in group:
                out.print(f"    [bold]{f.kind:<12}[/] {f.country or '-':<4} {escape(_describe(f))}", highlight=False)
    manual = [f for f in facts if f.rule == "manual"]
    if manual:
        out.rule("[bold]overrides[/]", style="dim")
        for f in manual:
            out.print(f"    [bold]{f.kind:<12}[/] {f.country or '-':<4} {escape(_describe(f))}", highlight=False)
    if not timeline.empty:
        import pandas as pd

        rows = []
        for row in timeline.itertuples(index=False):
            cut = {"month": 7, "year": 4}.get(row.until_precision, 10)
            until = "still present" if _missing(row.present_until) else (
                f"{row.present_until.date().isoformat()[:cut]}{' (announced)' if row.planned else ''}")
            start = "before" if _missing(row.present_from) else row.present_from.date().isoformat()
            rows.append({"host": row.host, "actor": row.actor or "", "mission": row.mission or "", "from": start,
                         "until": until, "ended by": row.ended_by or "",
                         "troops": "" if _missing(row.size) else f"{row.size:,.0f}"})
        out.print()
        emit_table(pd.DataFrame(rows), "table", title="foreign forces per host (deployment timeline)")
    codes = list(dict.fromkeys(f.country for f in facts if f.country))
    if codes:
        attributes = country_attributes(facts, codes)
        headers = {"armed_partner": "partner", "onset_year": "onset", "spread_into": "spread",
                   "casualties_log10": "killed 10^", "displaced_log10": "displ. 10^"}
        out.print()
        emit_table(attributes.rename(columns=headers).rename_axis("country").reset_index(), "table",
                   title="per-country attributes")


def _describe(f) -> str:
    """One line: who, which mission, when, how many, and the rule (with inferred fields)."""
    parts = []
    who = " · ".join(x for x in (f.actor, f.mission) if x)
    if who:
        parts.append(who)
    if f.place and f.kind == "onset":
        parts.append(f.place)
    parts.append(_when(f))
    if f.planned is not None and f.kind in ("deployment", "withdrawal", "suspension"):
        parts.append("announced" if f.planned else "reported")
    if f.timing:
        parts.append(f"{f.timing_offset + ' ' if f.timing_offset else ''}{f.timing} than planned")
    if f.period:
        parts.append(f.period)
    amount = f.magnitude or (f"{f.size:,}" if f.size else "")
    if amount:
        parts.append(amount)
    if f.count and f.kind == "coup":
        parts.append(f"count {f.count}")
    rule = f.rule + (f" ({', '.join(f.inferred)})" if f.inferred else "")
    return ", ".join(parts) + f"  [{rule}]"


def _when(f) -> str:
    if f.date is None and f.date_end is None:
        return "date unknown"
    cut = {"day": 10, "month": 7, "year": 4}.get(f.date_precision, 10)
    if f.date is None:
        return f"by {f.date_end.isoformat()}"
    start = f.date.isoformat()[:cut]
    return f"{start} – {f.date_end.isoformat()}" if f.date_end else start


def _missing(value) -> bool:
    return value is None or value != value or str(value) == "NaT"


def _clip(text: str, width: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
