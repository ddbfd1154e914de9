"""Facts told over two sentences: a launch's size and date carried to the hosts the next sentence names.

What it decides: a deployment stated with a size or a date but no host of its own ("France launched Operation
Barkhane, a force of 3,000 soldiers", "authorised a regional force of 7,500 troops", "will send 600 soldiers to
the Sahel") followed, in the next sentence, by deployments that refer back to it ("the troops", "the reinforcements") or
name the force it authorised, and that give hosts but no size and no date ("The troops will be based in Mali, Niger and Chad", "The Multinational Joint Task
Force will be based in Nigeria, Niger, Chad and Cameroon"): those are one fact per host, with the launch's size,
date and planned status; the launch's own guessed host (or its host named again among them) is dropped.

Example: "Spain launched an operation of 400 soldiers on 3 May. The troops will be stationed in Mali and
Mauritania." → deployments of Spain in MLI and MRT, 400 soldiers each, 3 May, done (not planned).
"""
from __future__ import annotations

from geo.documents.sentence import Draft


def carry_launches(kept: list[Draft], regional: list[Draft]) -> list[Draft]:
    """``kept`` with launch sizes and dates carried to the next sentence's hosts (see the module docstring).

    ``regional`` holds deployments of the document with no host ("to the Sahel"): they give their size and date
    but are never facts themselves. Dates must be resolved (``Draft.resolved``).
    """
    sources = sorted([d for d in kept + regional if _is_launch(d)], key=lambda d: d.sentence_index)
    pairs = [(launch, [g for g in kept if g is not launch and _follows(launch, g)]) for launch in sources]
    dropped: set[int] = set()
    carried: set[int] = set()
    for launch, followers in pairs:  # (found before any is changed: a launch may give two drafts, one per host)
        if not followers:
            continue
        for g in followers:
            if id(g) in carried:
                continue
            carried.add(id(g))
            g.size, g.size_min, g.magnitude = launch.size, launch.size_min, launch.magnitude
            g.resolved = launch.resolved
            g.planned = launch.planned if launch.planned is not None else g.planned
            g.mission = g.mission or launch.mission
            g.inferred.append("size-date:launch")
        hosts = {g.country for g in followers}
        if launch in kept and (not launch.explicit_host or launch.country in hosts):
            dropped.add(id(launch))
    return [d for d in kept if id(d) not in dropped]


def _is_launch(d: Draft) -> bool:
    return d.kind == "deployment" and d.resolved is not None and (d.size is not None or d.resolved[0] is not None) \
        and d.relation is None


def _follows(launch: Draft, g: Draft) -> bool:
    """Is ``g`` a host of ``launch`` named in the next sentence (no size or date of its own, same force)?"""
    if g.kind != "deployment" or g.sentence_index != launch.sentence_index + 1 or not g.explicit_host:
        return False
    if g.size is not None or g.resolved is None or g.resolved[0] is not None or g.relation is not None:
        return False
    if "group:another" in g.inferred:
        return False  # "other troops will be based in Gao": not the launch's
    if launch.actor_key is not None and launch.actor_key == g.actor_key:
        # only a reference back ("the troops", "the reinforcements", "about 1,000 of them"): "French troops are
        # stationed in Niger" after a launch names troops of their own, not the launch's
        # ("the Dutch unit will be stationed in Gao" after "the Netherlands will contribute 380 soldiers": a
        # definite force of the same state refers back too)
        return ("actor:continuity" in g.inferred or "actor:definite" in g.inferred) and (
            launch.mission is None or g.mission in (None, launch.mission))
    # "authorised a regional force of 7,500 troops. The Multinational Joint Task Force will be based in …": the
    # force an organisation authorised is the mission named next
    return launch.actor_code is None and launch.mission is None and g.mission is not None
