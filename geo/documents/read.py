r"""Documents: a news text exactly as published, and its metadata (title, source, publication date, language).

Layout
------
One UTF-8 text file per document, e.g. ``seeds/000_e52ff93ba690b6b9.txt``, and beside it a sidecar metadata file
with the same stem and the suffix ``.meta.toml``::

    id = "000_e52ff93ba690b6b9"          # optional; default: the file's stem
    title = "UK pulls troops out of Mali"  # optional
    source = "TRTWorld and agencies"       # optional; credit the source as the document does
    published = 2022-11-14                 # required (TOML date or "YYYY-MM-DD"), unless given by the caller
    language = "en"                        # optional, ISO 639-1; default "en"
    url = "https://..."                    # optional

A sidecar is preferred over front matter so that the text file stays byte-identical to the published text and
every character offset (span) of a fact points into it. A plain text file without a sidecar is accepted when the
caller gives its publication date (``published=`` here, ``--published`` on the command line); a date in a sidecar
wins over the caller's.

Text and offsets
----------------
:attr:`Document.text` is the file's bytes decoded as UTF-8 with nothing translated (no newline conversion), so
``document.text[start:end]`` is what a reader of the file sees at those character offsets.

What is a document
------------------
A folder gives its ``*.txt`` and ``*.md`` files (:data:`DOCUMENT_SUFFIXES`), sorted by name, not recursing.
Sidecars (``*.meta.toml``, and ``*.key.toml`` answer keys of the evaluation corpus) are skipped silently; any
other file is skipped with a note (``notes``) naming it. A document over :data:`MAX_DOCUMENT_BYTES` (8 MiB; the
environment variable ``SPILLOVER_MAX_DOCUMENT_MB`` changes it) is refused with an error naming the file, before
anything is read.

Input hygiene
-------------
The NLP pipeline reads :func:`text_for_nlp`, a copy of the text *of the same length* (so every offset still points
into :attr:`Document.text`): a byte-order mark and carriage returns become spaces, curly quotes, guillemets and
primes become ASCII quotes, no-break and thin spaces become spaces, and a space or no-break space between digit
groups ("2 300", "12\u00a0000") becomes a comma ("2,300").

>>> text_for_nlp("\ufeff\u00abFrance\u00bb sent 2\u00a0300 soldiers.\r\n")
' "France" sent 2,300 soldiers. \n'
>>> text_for_nlp("some 2 300 soldiers")
'some 2,300 soldiers'

Every problem (missing, empty, oversized or binary file, bad TOML, unknown key, missing date, duplicate id) raises
:class:`~geo.errors.SpilloverError` naming the file and, where one applies, the line.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from geo.errors import SpilloverError

#: Suffix of the sidecar metadata file that sits beside each document.
META_SUFFIX = ".meta.toml"
#: Suffixes of sidecars that are never documents (metadata, answer keys of the evaluation corpus).
SIDECAR_SUFFIXES = (META_SUFFIX, ".key.toml")
#: File suffixes taken as documents in a folder.
DOCUMENT_SUFFIXES = (".txt", ".md")
#: Largest document read (bytes); ``SPILLOVER_MAX_DOCUMENT_MB`` overrides it.
MAX_DOCUMENT_BYTES = 8 * 2 ** 20
#: Metadata keys a sidecar may hold.
META_KEYS = ("id", "title", "source", "published", "language", "url")
_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class Document:
    """A news document and its metadata.

    Attributes
    ----------
    id : str
        Document id (the sidecar's ``id``, else the file's stem); facts name their document by it.
    text : str
        The file's content, decoded as UTF-8 and otherwise untouched; spans are offsets into it.
    published : datetime.date
        Publication date; relative dates ("in March", "four days after") are resolved against it.
    path : pathlib.Path
        The text file.
    title, source, url : str or None
        As given in the sidecar.
    language : str
        ISO 639-1 code (default ``"en"``).
    meta_path : pathlib.Path or None
        The sidecar, if there is one.
    """

    id: str
    text: str
    published: dt.date
    path: Path
    title: str | None = None
    source: str | None = None
    language: str = "en"
    url: str | None = None
    meta_path: Path | None = None


def read_document(path: str | os.PathLike, published: dt.date | str | None = None) -> Document:
    """Read one document and its sidecar metadata.

    Parameters
    ----------
    path : path of the text file.
    published : publication date for a file without a sidecar date (``datetime.date`` or ``"YYYY-MM-DD"``).

    Raises
    ------
    SpilloverError
        If the file is missing, empty or binary, the sidecar is invalid, or no publication date is known.

    Examples
    --------
    >>> doc = read_document("seeds/000_e52ff93ba690b6b9.txt")
    >>> doc.published.isoformat(), doc.source
    ('2022-11-14', 'TRTWorld and agencies')
    """
    path = Path(path)
    if not path.is_file():
        raise SpilloverError(f"{path}: no such document file; give a text file or a folder of .txt files")
    limit = max_document_bytes()
    size = path.stat().st_size
    if size > limit:
        raise SpilloverError(f"{path}: {size / 2 ** 20:,.1f} MiB is over the {limit / 2 ** 20:,.0f} MiB limit for one "
                             "document; split it, or raise SPILLOVER_MAX_DOCUMENT_MB")
    text = decode_text(path.read_bytes(), path)
    meta_path = sidecar_path(path)
    meta = read_metadata(meta_path) if meta_path.exists() else {}
    when = meta.get("published")
    if when is None and published is not None:
        when = parse_date(published, f"--published {published!r}")
    if when is None:
        where = (f"{meta_path} has no 'published' key; add published = YYYY-MM-DD to it"
                 if meta_path.exists() else f"add {meta_path.name} with published = YYYY-MM-DD")
        raise SpilloverError(f"{path}: line 1: the document has no publication date; {where}, "
                             "or pass --published YYYY-MM-DD")
    return Document(
        id=meta.get("id", path.stem), text=text, published=when, path=path, title=meta.get("title"),
        source=meta.get("source"), language=meta.get("language", "en"), url=meta.get("url"),
        meta_path=meta_path if meta_path.exists() else None,
    )


def load_documents(paths: str | os.PathLike | Iterable[str | os.PathLike],
                   published: dt.date | str | None = None, notes: list[str] | None = None) -> list[Document]:
    """Read documents from files and folders (a folder: its ``*.txt`` and ``*.md`` files, sorted by name).

    ``published`` is the publication date of files that have no sidecar date. Sidecars are skipped; other files
    (in a folder or given by name) are skipped with a note appended to ``notes``. Raises :class:`SpilloverError`
    for a missing path, a folder without documents, an unreadable document or two documents with the same id.

    Examples
    --------
    >>> notes = []
    >>> [d.id for d in load_documents("seeds", notes=notes)][:1]
    ['000_e52ff93ba690b6b9']
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[Path] = []
    skipped: list[Path] = []
    for item in paths:
        item = Path(item)
        if item.is_dir():
            found = []
            for p in sorted(item.iterdir()):
                if not p.is_file() or is_sidecar(p):
                    continue
                (found if is_document_file(p) else skipped).append(p)
            if not found:
                raise SpilloverError(f"{item}: folder holds no .txt or .md documents; add one per document "
                                     f"(with a {META_SUFFIX} sidecar)")
            files.extend(found)
        elif item.is_file():
            if is_sidecar(item):
                continue
            (files if is_document_file(item) else skipped).append(item)
        elif item.exists():
            skipped.append(item)
        else:
            raise SpilloverError(f"{item}: no such file or folder; give document files or folders of .txt files")
    for path in skipped:
        if notes is not None:
            notes.append(f"skipped {path}: not a document (documents end in {' or '.join(DOCUMENT_SUFFIXES)})")
    if not files:
        raise SpilloverError("no documents given; give at least one .txt or .md file or a folder of them")
    documents, seen = [], {}
    for file in files:
        doc = read_document(file, published)
        if doc.id in seen:
            raise SpilloverError(f"{file}: document id {doc.id!r} is also the id of {seen[doc.id]}; ids must be "
                                 "unique (rename the file or set a different id in its sidecar)")
        seen[doc.id] = file
        documents.append(doc)
    return documents


def is_sidecar(path: Path) -> bool:
    """Is ``path`` a sidecar (metadata or answer key) rather than a document?"""
    return path.name.endswith(SIDECAR_SUFFIXES)


def is_document_file(path: Path) -> bool:
    """Does ``path`` have a document suffix (:data:`DOCUMENT_SUFFIXES`)?"""
    return path.suffix.lower() in DOCUMENT_SUFFIXES and not is_sidecar(path)


def max_document_bytes() -> int:
    """The size limit of one document in bytes (``SPILLOVER_MAX_DOCUMENT_MB`` or :data:`MAX_DOCUMENT_BYTES`)."""
    value = os.environ.get("SPILLOVER_MAX_DOCUMENT_MB")
    if not value:
        return MAX_DOCUMENT_BYTES
    try:
        megabytes = float(value)
    except ValueError:
        raise SpilloverError(f"SPILLOVER_MAX_DOCUMENT_MB={value!r} is not a number of MiB, e.g. 8") from None
    if not 0 < megabytes < 10 ** 6:
        raise SpilloverError(f"SPILLOVER_MAX_DOCUMENT_MB={value!r} must be a positive number of MiB, e.g. 8")
    return int(megabytes * 2 ** 20)


_QUOTES = str.maketrans({"\ufeff": " ", "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
                         "\u2039": '"', "\u203a": '"', "\u201c": '"', "\u201d": '"', "\u201e": '"',
                         "\u00ab": '"', "\u00bb": '"', "\u2033": '"', "\u00a0": " ", "\u202f": " ",
                         "\u2009": " ", "\u2007": " "})
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f\u2009\u2007]\d{3})+(?![\d])")
_GROUP_SPACE = re.compile(r"[ \u00a0\u202f\u2009\u2007]")


def text_for_nlp(text: str) -> str:
    """The text the pipeline reads: same length as ``text``, with the hygiene of the module docstring."""
    text = _GROUPED.sub(lambda m: _GROUP_SPACE.sub(",", m.group(0)), text)
    text = re.sub(r"\r(?!\n)", "\n", text).replace("\r", " ")
    return text.translate(_QUOTES)


def sidecar_path(path: str | os.PathLike) -> Path:
    """The metadata sidecar of a document: ``x.txt`` → ``x.meta.toml``."""
    path = Path(path)
    return path.with_name(path.stem + META_SUFFIX)


def decode_text(data: bytes, path: Path) -> str:
    """Decode a document's bytes as UTF-8; reject empty, blank and binary content naming the file and line."""
    if not data.strip():
        raise SpilloverError(f"{path}: line 1: the document is empty; give the article's text (UTF-8)")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise SpilloverError(f"{path}: line {line}: binary data (NUL byte); documents must be UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpilloverError(f"{path}: line {line}: not valid UTF-8 (byte {data[exc.start]:#04x} at offset "
                             f"{exc.start}); save the document as UTF-8 text") from None


def read_toml(path: Path) -> tuple[dict, str]:
    """Parse a TOML file; return (data, text). Syntax errors name the file and TOML's line and column."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SpilloverError(f"{path}: line {line}: not valid UTF-8; save the file as UTF-8 TOML") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise SpilloverError(f"{path}: invalid TOML: {exc}") from None


def key_line(text: str, key: str, table: str | None = None, index: int = 0) -> int:
    """1-based line of ``key = ...`` in TOML ``text``; inside the ``index``-th ``[[table]]`` if ``table`` is given.

    Falls back to the table header's line (or 1) when the key is not written literally.
    """
    lines = text.splitlines()
    start, stop = 0, len(lines)
    if table is not None:
        headers = [i for i, line in enumerate(lines) if re.match(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]", line)]
        if index < len(headers):
            start = headers[index]
            later = [i for i, line in enumerate(lines) if i > start and re.match(r"^\s*\[", line)]
            stop = later[0] if later else len(lines)
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for i in range(start, stop):
        if pattern.match(lines[i]):
            return i + 1
    return start + 1


def parse_date(value, where: str) -> dt.date:
    """A ``datetime.date`` from a TOML date/datetime or an ISO ``YYYY-MM-DD`` string; ``where`` names the source."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise SpilloverError(f"{where}: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2022-11-14")


def read_metadata(meta_path: Path) -> dict:
    """Read and validate a sidecar; values are checked and errors name the sidecar and the key's line."""
    data, text = read_toml(meta_path)
    unknown = sorted(set(data) - set(META_KEYS))
    if unknown:
        raise SpilloverError(f"{meta_path}: line {key_line(text, unknown[0])}: unknown key {unknown[0]!r}; "
                             f"valid keys: {list(META_KEYS)}")
    meta: dict = {}
    for key in ("id", "title", "source", "language", "url"):
        if key in data:
            value = data[key]
            if not isinstance(value, str) or not value.strip():
                raise SpilloverError(f"{meta_path}: line {key_line(text, key)}: {key} must be a non-empty "
                                     f"string, got {value!r}")
            meta[key] = value.strip()
    if "id" in meta and not _ID.match(meta["id"]):
        raise SpilloverError(f"{meta_path}: line {key_line(text, 'id')}: id {meta['id']!r} may hold only "
                             "letters, digits, '_', '.' and '-'")
    if "language" in meta and not _LANGUAGE.match(meta["language"]):
        raise SpilloverError(f"{meta_path}: line {key_line(text, 'language')}: language {meta['language']!r} "
                             "must be an ISO 639-1 code such as 'en'")
    if "published" in data:
        meta["published"] = parse_date(data["published"], f"{meta_path}: line {key_line(text, 'published')}")
    return meta
