"""Documents → facts → dated attributes: the document layer, one module per stage.

``read`` (documents, metadata, input hygiene) → ``nlp`` (the verified spaCy pipeline and the project's gazetteers
of ``lexicon``) → ``dates`` and ``quantities`` → ``frames`` (event frames by lemma: ``frames_presence`` and
``frames_places`` (who is where, how many), ``frames_actors``, ``frames_size``, ``frames_events`` (coups,
partnerships, protests), ``frames_onsets`` and ``frames_first`` (onset, spread), ``frames_tolls`` (casualties,
displacement), with ``arguments`` from the dependency parse and the ``sentence`` structures) → ``document`` (the
document-level pass) → ``facts`` (fact model, overrides) → ``attributes`` (dated tables for the model:
deployment timeline, drivers, onsets). ``corpus`` scores the extractor on the evaluation corpus of
``tests/fixtures/documents``.

>>> from geo.documents import extract_facts, load_documents
>>> facts = extract_facts(load_documents("seeds"))
"""
from __future__ import annotations

import importlib

#: Names importable from the package, each from its module; imported on first use, so that reading documents
#: (geo.documents.read) or the cache of what they give (sim.cache) does not import spaCy.
_EXPORTS = {"extract_document": "document", "extract_facts": "document", "FIELDS": "facts", "KINDS": "facts",
            "Fact": "facts", "apply_overrides": "facts", "read_overrides": "facts", "Document": "read",
            "load_documents": "read", "read_document": "read"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"geo.documents.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'geo.documents' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_EXPORTS])
