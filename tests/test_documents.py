"""Reading documents and their sidecar metadata; every bad input names the file and the line."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from geo.documents.read import load_documents, read_document, sidecar_path
from geo.errors import SpilloverError

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_e52ff93ba690b6b9.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "documents"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def test_seed_is_byte_identical_and_credited():
    assert hashlib.sha256(SEED.read_bytes()).hexdigest() == (
        "ac9219e33b898a3aaf216e5539ab7aa0f2d2a0c78f6063f94fe0c1b07ff52b76")
    doc = read_document(SEED)
    assert doc.id == "000_e52ff93ba690b6b9"
    assert doc.published == dt.date(2022, 11, 14)
    assert doc.source == "TRTWorld and agencies"
    assert doc.text.endswith("Source: TRTWorld and agencies")
    assert doc.language == "en" and doc.title
    assert doc.meta_path == sidecar_path(SEED)
    assert doc.text == SEED.read_bytes().decode("utf-8")


def test_folder_gives_its_txt_documents_sorted_not_recursing():
    docs = load_documents(FIXTURES)
    assert [d.id for d in docs] == ["burkina_displacement", "mali_france_exit", "minusma_mandate_end",
                                    "niger_coup"]
    assert all(d.source == "sahel-spillover test fixture" for d in docs)


def test_plain_file_needs_published(tmp_path):
    path = write(tmp_path / "brief.txt", "France withdrew its troops from Mali.\n")
    with pytest.raises(SpilloverError) as err:
        read_document(path)
    message = str(err.value)
    assert str(path) in message and "line 1" in message and "--published" in message
    doc = read_document(path, published="2022-08-16")
    assert doc.published == dt.date(2022, 8, 16) and doc.id == "brief" and doc.meta_path is None


def test_sidecar_date_wins_over_published_argument(tmp_path):
    path = write(tmp_path / "a.txt", "Text.\n")
    write(tmp_path / "a.meta.toml", 'published = 2023-07-01\nid = "a1"\n')
    doc = read_document(path, published=dt.date(2000, 1, 1))
    assert doc.published == dt.date(2023, 7, 1) and doc.id == "a1"


def test_line_endings_are_kept(tmp_path):
    path = write(tmp_path / "crlf.txt", b"First line.\r\nSecond line.\r\n")
    assert read_document(path, published="2022-01-01").text == "First line.\r\nSecond line.\r\n"


@pytest.mark.parametrize("content, line", [
    (b"", 1),
    (b"  \n\n \t\n", 1),
    (b"Mali.\nNiger.\nab\x00cd", 3),
    (b"Mali.\n\xff\xfe broken", 2),
])
def test_empty_and_binary_documents_name_file_and_line(tmp_path, content, line):
    path = write(tmp_path / "bad.txt", content)
    write(tmp_path / "bad.meta.toml", "published = 2022-11-14\n")
    with pytest.raises(SpilloverError) as err:
        read_document(path)
    assert str(path) in str(err.value) and f"line {line}:" in str(err.value)


def test_sidecar_without_published(tmp_path):
    path = write(tmp_path / "doc.txt", "Text.\n")
    write(tmp_path / "doc.meta.toml", 'title = "t"\n')
    with pytest.raises(SpilloverError, match=r"doc\.meta\.toml has no 'published' key"):
        read_document(path)


@pytest.mark.parametrize("meta, pattern", [
    ('title = "t"\npublished = 2022-11-14\nauthor = "x"\n', r"doc\.meta\.toml: line 3: unknown key 'author'; valid"),
    ('title = "t"\npublished = "14/11/2022"\n', r"doc\.meta\.toml: line 2: '14/11/2022' is not a date"),
    ('published = 2022-11-14\nlanguage = "English"\n', r"line 2: language 'English' must be an ISO 639-1"),
    ('published = 2022-11-14\ntitle = = "x"\n', r"doc\.meta\.toml: invalid TOML: .*line 2"),
    ('published = 2022-11-14\nid = "a b"\n', r"line 2: id 'a b' may hold only"),
])
def test_bad_sidecars_name_file_and_line(tmp_path, meta, pattern):
    path = write(tmp_path / "doc.txt", "Text.\n")
    write(tmp_path / "doc.meta.toml", meta)
    with pytest.raises(SpilloverError, match=pattern):
        read_document(path)


def test_duplicate_ids_missing_paths_and_empty_folders(tmp_path):
    write(tmp_path / "one" / "x.txt", "A.\n")
    write(tmp_path / "two" / "x.txt", "B.\n")
    with pytest.raises(SpilloverError, match=r"document id 'x' is also the id of"):
        load_documents([tmp_path / "one", tmp_path / "two"], published="2022-01-01")
    with pytest.raises(SpilloverError, match="no such file or folder"):
        load_documents(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SpilloverError, match="holds no .txt or .md documents"):
        load_documents(tmp_path / "empty")
