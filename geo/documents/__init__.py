"""Documents → facts → dated attributes: the document layer, one module per stage.

``read`` (documents, metadata, input hygiene) → ``nlp`` (the verified spaCy pipeline and the project's gazetteers
of ``lexicon``) → ``dates`` and ``quantities`` → ``frames`` (event frames by lemma: ``frames_presence``,
``frames_events``, with ``arguments`` from the dependency parse and the ``sentence`` structures) → ``document`` (the document-level pass) → ``facts`` (fact model, overrides) → ``attributes``
(dated tables for the model: deployment timeline, drivers, onsets). ``corpus`` scores the extractor on the
evaluation corpus of ``tests/fixtures/documents``.

>>> from geo.documents import extract_facts, load_documents
>>> facts = extract_facts(load_documents("seeds"))
"""
from __future__ import annotations

from geo.documents.document import extract_document, extract_facts
from geo.documents.facts import FIELDS, KINDS, Fact, apply_overrides, read_overrides
from geo.documents.read import Document, load_documents, read_document

__all__ = ["Document", "Fact", "FIELDS", "KINDS", "apply_overrides", "extract_document", "extract_facts",
           "load_documents", "read_document", "read_overrides"]
