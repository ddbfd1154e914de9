"""Quantities: numbers and magnitude words of a sentence ("2,300", "2 300", "1.2 million", "thousands").

What it decides: the value of a number phrase (thousands separators ",", space and no-break space are one number:
"2 300 soldiers" is 2,300), whether it is vague ("more than", "about", magnitude words), and what is no count
(percentages, distances, durations, years).

>>> [q.value for q in quantities_in("Some 2 300 soldiers and 1.2 million people, 15 km away.")]
[2300, 1200000]
>>> [q.value for q in quantities_in("Two hundred and fifty soldiers and Seventy-one police.")]
[250, 71]
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from geo.documents.dates import DateMention, NUM_WORD, parse_count

# ================================================================================================ quantities
#: Magnitude words and their order of magnitude (log10).
MAGNITUDES = {"dozens": 1, "scores": 1, "hundreds": 2, "thousands": 3, "tens of thousands": 4,
               "hundreds of thousands": 5, "millions": 6}
_QUAL = r"(?:at least|more than|over|nearly|almost|about|around|some|roughly|approximately|an estimated|up to|" \
        r"close to|fewer than|less than|well over|just over|~)"
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_QUANTITY = re.compile(
    rf"(?P<qual>\b{_QUAL}\s+|~)?(?:(?P<mag>\b(?:tens of thousands|hundreds of thousands|dozens|scores|hundreds|"
    rf"thousands|millions)\b)|(?P<num>\b\d{{1,3}}(?:,\d{{3}})+\b|\b\d+(?:\.\d+)?\b|\b(?:{_TENS})-(?:{_UNITS})\b|\b(?:{NUM_WORD})\b)"
    r"(?:\s+(?P<scale>million|thousand|hundred|billion)\b|(?P<m>m)\b)?(?P<strong>\s*-\s*strong)?)", re.I)
_NOT_COUNTS = re.compile(r"^\s*(?:%|per ?cent|km|kilomet|miles|hours?|days?|weeks?|months?|years?|-year|-month|"
                         r"times|o'clock|am\b|pm\b)", re.I)


#: A ratio ("one in twenty Burkinabè", "one out of every 10 people"): neither number is a count.
_RATIO = re.compile(rf"\b(?:one|1)\s+(?:in|out\s+of)\s+(?:every\s+)?(?:\d[\d,]*|(?:{_TENS})"
                    rf"(?:-(?:{_UNITS}))?|ten|eleven|twelve|fifteen|{_UNITS}|hundred|a\s+hundred|a\s+thousand)\b", re.I)


@dataclass
class Quantity:
    """A quantity phrase: character and token range, value (or None for a magnitude word) and its text."""

    start: int
    end: int
    tok_start: int
    tok_end: int
    text: str
    value: int | None
    log10: float
    vague: bool


_TEENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_SMALL = rf"(?:(?:{_TENS})(?:-(?:{_UNITS}))?|{_TEENS}|{_UNITS})"
#: Number words with a scale: "two hundred and fifty", "Three thousand", "one thousand two hundred".
_WORDS = re.compile(rf"(?P<qual>\b{_QUAL}\s+)?\b(?P<words>{_SMALL}(?:\s+(?:and\s+)?(?:{_SMALL}|hundred|thousand))+)"
                    r"\b", re.I)


def _words_value(m: re.Match) -> int | None:
    """The value of a run of number words with at least one scale word, else None."""
    words = [w for w in re.split(r"\s+", m.group("words").lower()) if w != "and"]
    if not any(w in ("hundred", "thousand") for w in words):
        return None
    total = current = 0
    for w in words:
        if w == "hundred":
            current = (current or 1) * 100
        elif w == "thousand":
            total, current = total + (current or 1) * 1000, 0
        else:
            n = parse_count(w)
            if n is None:
                return None
            current += n
    return total + current


def quantities_of(doc: Doc, sent: Span, dates: list[DateMention]) -> list[Quantity]:
    text, base = sent.text, sent.start_char
    out = []
    taken = [m.span() for m in _RATIO.finditer(text)]  # ratios are no counts
    for m in _WORDS.finditer(text):  # "two hundred and fifty soldiers": one number
        a, b = m.span()
        value = _words_value(m)
        if value is None or _NOT_COUNTS.match(text[b:]) or any(a < y and x < b for x, y in taken):
            continue
        span = doc.char_span(base + a, base + b, alignment_mode="expand")
        out.append(Quantity(base + a, base + b, span.start, span.end, m.group(0).strip(), value,
                            float(math.floor(math.log10(value))), bool(m.group("qual"))))
        taken.append((a, b))
    for m in _QUANTITY.finditer(text):
        a, b = m.span()
        if any(base + a < d.end and d.start < base + b for d in dates) or _NOT_COUNTS.match(text[b:]) or any(
                a < y and x < b for x, y in taken):
            continue
        if m.group("num") and m.group("num").lower() == "one" and text[b:b + 3] == " of":
            continue
        bare = (m.group("num") or "").lower() in ("hundred", "thousand") and re.search(
            r"(?i)\b(?:several|few|many)\s+$", text[:a])  # "several hundred soldiers": a magnitude, no count
        if m.group("mag") or bare:
            value = None
            log10 = float(MAGNITUDES[m.group("mag").lower()]) if m.group("mag") else \
                (2.0 if m.group("num").lower() == "hundred" else 3.0)
        else:
            value = parse_count(m.group("num"))
            if value is None:
                continue
            scale = {"million": 10 ** 6, "thousand": 10 ** 3, "hundred": 100, "billion": 10 ** 9}.get(
                (m.group("scale") or "").lower(), 10 ** 6 if m.group("m") else 1)
            value = int(round(float(m.group("num").replace(",", "")) * scale)) if m.group("num")[0].isdigit() \
                else value * scale
            if value <= 0:
                continue
            log10 = float(math.floor(math.log10(value)))
        phrase = m.group(0).strip()
        span = doc.char_span(base + a, base + b, alignment_mode="expand")
        vague = value is None or bool(m.group("qual"))
        out.append(Quantity(base + a, base + b, span.start, span.end, phrase, value, log10, vague))
    return sorted(out, key=lambda q: q.start)



_RANGE = re.compile(r"(?i)\b(?:(?:between|from)\s+(?P<a>[\d,.]+)(?:\s+\w+){0,3}?\s+(?:and|to)\s+(?:about\s+|some\s+"
                    r"|around\s+|roughly\s+|nearly\s+)?|(?P<a2>\d[\d,.]*)\s*(?:to|-|–)\s*)(?P<b>\d[\d,.]*)\b")


def ranges_of(sent: Span, quantities: list[Quantity]) -> list[tuple[Quantity, Quantity]]:
    """Pairs (low, high) of quantities written as a range ("between 11,000 and 13,000", "from 3,000 soldiers in
    2014 to about 5,100")."""
    out = []
    for m in _RANGE.finditer(sent.text):
        first = "a" if m.group("a") else "a2"
        a = next((q for q in quantities if q.start == sent.start_char + m.start(first)), None)
        b = next((q for q in quantities if q.start <= sent.start_char + m.start("b") < q.end), None)
        if a is not None and b is not None and a.value and b.value and a.value < b.value:
            out.append((a, b))
    return out


def quantities_in(text: str) -> list[Quantity]:
    """The quantities of a one-sentence ``text`` (parsed here); for examples and tests."""
    from geo.documents.nlp import pipeline
    from geo.documents.read import text_for_nlp

    doc = pipeline()(text_for_nlp(text))
    return quantities_of(doc, doc[:], [])
