"""``spillover extract``: documents → facts, as JSON lines or a readable summary (registered in :mod:`sim.cli`).

Every input is read and checked before anything is written, and every file is written atomically, so a bad input
leaves no half-written output. With ``--json`` standard output carries only the JSON lines; messages go to stderr.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

err = Console(stderr=True)


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
        help="also write the per-country attributes on the country polygons (GeoPackage layer 'attributes')")] = None,
    figure: Annotated[Optional[Path], typer.Option(
        help="also draw the attribute map beside the deployment timeline (PNG), e.g. figures/documents.png")] = None,
) -> None:
    """Extract dated facts (deployments, withdrawals, coups, protests, onset, spread, …) from news documents."""
    from geo.documents.attributes import deployment_timeline, extract_facts, load_documents, write_attributes_gpkg
    from geo.documents.read import parse_date
    from geo.documents.facts import to_json_lines, write_facts_table
    from geo.shapes import load_countries

    from geo.documents.nlp import pipeline_info

    when = parse_date(published, "--published") if published is not None else None
    notes: list[str] = []
    documents = load_documents(paths, published=when, notes=notes)
    for note in notes:
        err.print(note, markup=False, highlight=False)
    facts = extract_facts(documents, overrides=overrides)  # every input error is raised here, before any write
    countries = load_countries() if (gpkg or figure) else None
    if figure:
        from sim.plotting.documents import plot_documents

        for path in plot_documents(facts, countries, figure):
            err.print(f"wrote {path}")
    if table:
        write_facts_table(table, facts)
        err.print(f"wrote {table} ({len(facts)} facts)")
    if gpkg:
        write_attributes_gpkg(gpkg, facts, countries)
        err.print(f"wrote {gpkg} (layer 'attributes', {len(countries)} countries)")
    info = pipeline_info()
    if json_lines:  # the pipeline is named in every fact ("pipeline"); stderr says it once
        err.print(f"pipeline {info['package']} (spaCy {info['spacy']}, weights sha256 {info['weights_sha256'][:12]}…)",
                  markup=False, highlight=False)
        if facts:
            typer.echo(to_json_lines(facts))
        return
    Console().print(f"pipeline {info['package']}, spaCy {info['spacy']}, weights sha256 "
                    f"{info['weights_sha256'][:12]}…", highlight=False, markup=False)
    _summary(documents, facts, deployment_timeline(facts))


def _summary(documents, facts, timeline) -> None:
    """Readable terminal summary: per document, each sentence with its facts; the timeline; the attributes."""
    from rich.markup import escape
    from rich.table import Table

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
        chart = Table(title="foreign forces per host (deployment timeline)", title_justify="left")
        for column in ("host", "actor", "mission", "from", "until", "ended by", "troops"):
            chart.add_column(column)
        for row in timeline.itertuples(index=False):
            cut = {"month": 7, "year": 4}.get(row.until_precision, 10)
            until = "still present" if _missing(row.present_until) else (
                f"{row.present_until.date().isoformat()[:cut]}{' (announced)' if row.planned else ''}")
            start = "before" if _missing(row.present_from) else row.present_from.date().isoformat()
            chart.add_row(row.host, row.actor or "", row.mission or "", start, until, row.ended_by or "",
                          "" if _missing(row.size) else f"{row.size:,.0f}")
        out.print(chart)
    codes = list(dict.fromkeys(f.country for f in facts if f.country))
    if codes:
        attributes = country_attributes(facts, codes)
        headers = {"armed_partner": "partner", "onset_year": "onset", "spread_into": "spread",
                   "casualties_log10": "killed 10^", "displaced_log10": "displ. 10^"}
        view = Table(title="per-country attributes", title_justify="left")
        view.add_column("country")
        for column in attributes.columns:
            view.add_column(headers.get(column, column), justify="right")
        for code, row in attributes.iterrows():
            view.add_row(code, *("" if _missing(v) else f"{v:g}" for v in row))
        out.print(view)


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
