"""Benchmark of the document layer: strict recall and precision on the evaluation corpus, and extraction time.

Prints, for the development set (``tests/fixtures/documents/dev`` and the four documents above it) and the
fresh set (``tests/fixtures/documents/fresh``, written before the extractor was run on it), strict recall and
precision per fact kind and overall (strict: every field of the key right; see ``tests/fixtures/CORPUS.md`` and :mod:`geo.documents.corpus`),
then the misses and the wrong facts of each set.

``--timing`` also measures extraction time per document after the pipeline has loaded (median of 3 over the
corpus), and the time for generated documents of 25k to 1.6M characters (the ratio time/length should stay flat:
linear time; the largest is above spaCy's 1M-character limit).

    python benchmarks/bench_extract.py             # scores
    python benchmarks/bench_extract.py --timing    # scores and timings
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.documents import Document, extract_document, load_documents  # noqa: E402
from geo.documents.corpus import score_folder  # noqa: E402
from geo.documents.facts import KINDS  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "documents"
SETS = {"dev": [FIXTURES, FIXTURES / "dev"], "fresh": [FIXTURES / "fresh"]}


def scores() -> dict:
    out = {}
    for name, folders in SETS.items():
        folders = [f for f in folders if f.is_dir()]
        if not folders:
            continue
        parts = [score_folder(folder, extract_document) for folder in folders]
        total = parts[0]
        for extra in parts[1:]:
            for field in ("key", "extracted", "matched_key", "matched_extracted"):
                table = getattr(total, field)
                for kind, n in getattr(extra, field).items():
                    table[kind] = table.get(kind, 0) + n
            total.misses += extra.misses
            total.wrong += extra.wrong
        out[name] = total
    return out


def _pct(x: float) -> str:
    return "  –  " if x != x else f"{100 * x:5.1f}"


def print_table(name: str, score) -> None:
    print(f"\n{name}: strict recall and precision (%), key facts / extracted facts")
    print(f"{'kind':<13} {'recall':>7} {'precision':>9} {'key':>5} {'extracted':>9}")
    for kind in KINDS:
        if score.key.get(kind) or score.extracted.get(kind):
            print(f"{kind:<13} {_pct(score.recall(kind)):>7} {_pct(score.precision(kind)):>9} "
                  f"{score.key.get(kind, 0):>5} {score.extracted.get(kind, 0):>9}")
    print(f"{'overall':<13} {_pct(score.recall()):>7} {_pct(score.precision()):>9} {sum(score.key.values()):>5} "
          f"{sum(score.extracted.values()):>9}")


def print_errors(name: str, score) -> None:
    print(f"\n{name}: misses (key facts not found strictly)")
    for doc, key in score.misses:
        fields = {k: v for k, v in key.items() if v not in (None, (None, "unknown"))}
        print(f"  {doc}: {fields}")
    print(f"{name}: wrong facts (extracted, matching no key fact)")
    for f in score.wrong:
        print(f"  {f.document}: {f.kind} {f.country} actor={f.actor_code or f.actor} mission={f.mission} "
              f"size={f.size} date={f.date} {f.date_precision} planned={f.planned} bases={getattr(f, 'bases', None)}"
              f" «{f.sentence[:70] if f.sentence else ''}»")


def timings() -> None:
    documents = load_documents(FIXTURES / "dev") + load_documents(FIXTURES / "fresh")
    extract_document(documents[0])  # load the pipeline
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        for doc in documents:
            extract_document(doc)
        runs.append((time.perf_counter() - start) / len(documents))
    print(f"\nextraction time per corpus document after load: median {statistics.median(runs) * 1000:.0f} ms "
          f"(min {min(runs) * 1000:.0f}, max {max(runs) * 1000:.0f}; {len(documents)} documents, 3 runs)")
    base = "\n\n".join(d.text.strip() for d in documents)
    print(f"{'characters':>11} {'seconds':>8} {'µs/char':>8} {'facts':>6}")
    for size in (25_000, 100_000, 400_000, 1_600_000):
        text = (base + "\n\n") * (size // len(base) + 1)
        doc = Document("generated", text[:size], dt.date(2024, 1, 1), Path("generated.txt"))
        start = time.perf_counter()
        facts = extract_document(doc)
        seconds = time.perf_counter() - start
        print(f"{size:>11,} {seconds:>8.2f} {seconds / size * 1e6:>8.1f} {len(facts):>6}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timing", action="store_true", help="also time extraction (corpus and generated)")
    parser.add_argument("--errors", action="store_true",
                        help="list misses and wrong facts of the development set")
    parser.add_argument("--fresh-errors", action="store_true",
                        help="also list the fresh set's errors (only after its learning-curve point is recorded)")
    args = parser.parse_args(argv)
    result = scores()
    for name, score in result.items():
        print_table(name, score)
    if args.errors:
        print_errors("dev", result["dev"])
    if args.fresh_errors and "fresh" in result:
        print_errors("fresh", result["fresh"])
    if args.timing:
        timings()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
