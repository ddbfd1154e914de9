"""Dates as a stage of their own: date phrases of a sentence, resolved against the publication date and tense.

What it decides:

- which phrases are dates ("30 June 2023", "June 30, 2023", "July 2023", "2012", "from 2013 to 2022", "on Monday",
  "last week", "two days ago", "by the end of the year") and which are not (a dateline "BAMAKO, March 3 –", a
  reporting phrase "officials said on Monday" (marked ``reporting``: it never dates an event), timing "six months
  earlier than planned", a period "in three years");
- the date, its precision (day, month, year) and for deadlines ("by May 2024", "until the end of the year") the
  last day of the period (``deadline``);
- the year of a day or month written without one: from a coordinated date ("in January and September 2022"),
  else the latest such date not after publication, or not before it when the phrase's own verb is in the future
  (the tense of the verb the phrase hangs on, not of the sentence);
- a phrase it cannot place (a month without a year far from any anchor) is kept with ``ambiguous=True``.

>>> import datetime as dt
>>> mentions = date_phrases_in("It will leave by the end of the year.", dt.date(2023, 9, 24))
>>> mentions[0].date, mentions[0].precision, mentions[0].deadline
(datetime.date(2023, 12, 31), 'day', True)
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from geo.documents.facts import PRECISIONS, STATE_KINDS

# ================================================================================================ dates
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}
NUM_WORD = "|".join(sorted((w for w in NUMBER_WORDS if w not in ("a", "an")), key=len, reverse=True))
_COUNT = rf"(?P<n>\d+|{NUM_WORD}|an?)"
_UNIT = r"(?P<unit>days?|weeks?|months?|years?)"
_WEEKDAYS = [d.lower() for d in calendar.day_name]
_QUALIFIER = r"(?:early|mid|late|the end of|end of|the beginning of|the start of|beginning of|start of)"
_DATE_PATTERNS: tuple[tuple[str, re.Pattern], ...] = tuple((kind, re.compile(p)) for kind, p in (
    ("range_years", r"\b(?:from|between)\s+(?P<y1>(?:19|20)\d\d)\s+(?:to|and|until)\s+(?P<y2>(?:19|20)\d\d)\b"),
    ("dmy", rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b"),
    ("mdy", rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b"),
    ("my", rf"\b(?:{_QUALIFIER}[- ]+)?{_MONTH},?\s+{_YEAR}\b"),
    ("dm", rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b"),
    ("md", rf"\b{_MONTH}\s+{_DAY}\b(?![,.]?\d)"),
    ("m", rf"(?:(?<=\()|\b(?:[Ee]arlier|[Ll]ater|[Ee]arly|[Ll]ate|[Mm]id|[Ii]n|[Ss]ince|[Bb]y|[Uu]ntil|[Ll]ast|[Tt]his|[Nn]ext|and|or|of)"
          rf"(?:\s+in)?[- ]+){_MONTH}\b"),
    ("y", rf"\b(?:(?i:in|since|by|until|from|of|during)\s+)?(?:(?i:{_QUALIFIER})[- ]+)?{_YEAR}\b(?!\s*(?:troops|"
          r"soldiers|people|civilians|peacekeepers|km|kilomet|%|per))"),
    ("weekday", r"\b(?:(?P<last>last|this|next)\s+)?(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
                r"Sunday)\b"),
    ("ago", rf"\b(?:yesterday|{_COUNT}\s+(?:{_UNIT}|decades?)\s+ago|last\s+(?:week|month|year)|this\s+(?:week|month|year)|"
            r"earlier\s+this\s+(?:week|month|year))\b"),
    ("now", r"\b(?:now|currently|at present|so far|to date)\b"),
    ("open", r"\buntil further notice\b|\bindefinitely\b"),
    ("unknown", r"\bin the past\b|\bat some point\b"),
))
RELATION = re.compile(rf"\b{_COUNT}\s+{_UNIT}\s+(?P<dir>after|before)\b", re.I)
LATER = re.compile(rf"\b{_COUNT}\s+{_UNIT}\s+(?P<dir>later|earlier)\b(?!\s+than)", re.I)
TIMING = re.compile(rf"\b(?:(?P<offset>{_COUNT}\s+{_UNIT})\s+)?(?P<dir>earlier|later|sooner|ahead of schedule|"
                     r"behind schedule)(?:\s+than\s+(?:initially\s+|originally\s+|first\s+)?"
                     r"(?:planned|scheduled|expected|foreseen|agreed|announced))?", re.I)
PERIOD = re.compile(rf"\b(?:in|within|over|during)\s+(?:the\s+(?:past|last)\s+)?(?P<n>\d+|{NUM_WORD})\s+"
                     r"(?P<unit>years?|months?)\b", re.I)


@dataclass
class DateMention:
    """A date phrase: character and token range, resolved date(s), precision and kind."""

    start: int
    end: int
    tok_start: int
    tok_end: int
    text: str
    kind: str  # point, range, now, open, unknown
    date: dt.date | None = None
    date_end: dt.date | None = None
    precision: str = "unknown"
    deadline: bool = False  # "by May 2024": the last day of the period
    reporting: bool = False  # hangs on a verb of saying ("officials said on Monday"): dates the report only
    ambiguous: bool = False  # a month or day whose year could not be placed with confidence
    verb: int | None = None  # token index of the verb the phrase hangs on


def parse_count(text: str) -> int | None:
    """An integer from digits ("1,500") or an English number word ("four"); None if neither."""
    text = text.lower().replace(",", "")
    if text in NUMBER_WORDS:
        return NUMBER_WORDS[text]
    tens, _, unit = text.partition("-")  # "seventy-one"
    if unit and tens in NUMBER_WORDS and unit in NUMBER_WORDS:
        return NUMBER_WORDS[tens] + NUMBER_WORDS[unit]
    try:
        return int(float(text))
    except ValueError:
        return None


def shift_date(day: dt.date, n: int, unit: str) -> dt.date:
    """``day`` moved by ``n`` days, weeks, months or years (month ends clipped: 31 March + 1 month = 30 April)."""
    unit = unit.lower().rstrip("s")
    if unit == "day":
        return day + dt.timedelta(days=n)
    if unit == "week":
        return day + dt.timedelta(weeks=n)
    months = n * (12 if unit == "year" else 1)
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _infer_year(month: int, day: int, published: dt.date, future: bool, year: int | None) -> int:
    if year is not None:
        return year
    if future:
        return published.year if (month, day) >= (published.month, published.day) else published.year + 1
    return published.year if (month, day) <= (published.month, published.day) else published.year - 1


#: Verbs of saying: a date phrase attached to one dates the report, not the event reported.
REPORTING_VERBS = frozenset({"say", "tell", "confirm", "report", "add", "state", "claim", "write", "insist",
                             "explain", "quote", "note", "warn"})
_FUTURE_AUX = frozenset({"will", "'ll", "shall", "wo", "would", "must", "should"})  # (obligations lie ahead)
#: A dateline at the start of a sentence: "BAMAKO, March 3 –", "N'DJAMENA, Aug. 22 (Reuters) –", "PARIS –".
DATELINE = re.compile(r"^\s*[A-ZÀ-Ý][A-ZÀ-Ý'’ .\-]{2,}(?:,\s*[A-Z][\w .'’-]*?)?(?:,?\s*(?:" + _MONTH +
                      r"\s+\d{1,2}|\d{1,2}\s+" + _MONTH.replace("?P<month>", "?:") + r"))?"
                      r"\s*(?:\([^)]*\))?\s*[–—-]\s")
#: Words that make a date phrase a deadline ("by 31 December", "until the end of the year").
_DEADLINE_BEFORE = re.compile(r"(?i)\b(?:by|until|till|no later than)\s+(?:the\s+)?(?:end(?:\s+of)?\s+)?$")
_END_OF_YEAR = re.compile(r"(?i)\b(?P<lead>by|until|till|before)\s+(?:the\s+)?(?:end\s+of\s+(?:the\s+|this\s+)?"
                          r"year|year'?s\s+end|year-end)\b")
_START_OF = re.compile(rf"(?i)\b(?:by|at|from)\s+the\s+(?:start|beginning)\s+of\s+{_YEAR}\b")
_WEEKEND = re.compile(r"(?i)\b(?:over|at|during)\s+the\s+weekend\b|\blast\s+weekend\b")
_DAY_RANGE = re.compile(rf"(?:\b(?i:between)\s+(?P<d1>[0-3]?\d)\s+and\s+|\b(?i:from)\s+(?P<d3>[0-3]?\d)\s+to\s+|"
                        rf"\b(?P<d4>[0-3]?\d)\s*[-–]\s*|(?:\b(?i:on)\s+(?:the\s+night\s+of\s+)?|\b(?i:the\s+night\s+of)\s+)"
                        rf"(?P<d5>[0-3]?\d)\s+"
                        rf"(?:and|to)\s+)(?P<d2>[0-3]?\d)\s+{_MONTH}(?:,?\s+{_YEAR})?\b")
_COORDINATION = re.compile(r"(?i)^[\s,;(]*(?:and|or|to|until|through|then|-|–|,)?(?:\s+(?:again|later|then|also))?"
                           r"(?:\s+(?:in|on))?[\s,;)]*$")


def _names_a_noun(doc: Doc, span: Span) -> bool:
    """Does the date phrase modify a noun directly ("the 26 July coup", "Thursday's attack")? Then it is that
    noun's own date, never a report's, whatever verb of saying the noun hangs on."""
    heads = {t.head.i for t in span if not span.start <= t.head.i < span.end}
    return len(heads) == 1 and all(t.dep_ in ("compound", "nummod", "amod", "nmod", "poss") for t in span
                                   if not span.start <= t.head.i < span.end) and \
        doc[heads.pop()].pos_ == "NOUN"


def _governing_verb(doc: Doc, i: int):
    """The verb a date phrase's first token hangs on (through prepositions and nouns), or None."""
    tok = doc[i]
    for _ in range(6):
        if tok.pos_ in ("VERB", "AUX") and tok.dep_ != "aux":
            return tok
        if tok.head.i == tok.i:
            return tok if tok.pos_ in ("VERB", "AUX") else None
        tok = tok.head
    return None


def is_future(verb) -> bool:
    """Is ``verb`` in the future ("will leave", "is to leave", "are due to", "plans to leave")?"""
    if verb is None:
        return False
    words = {c.lower_ for c in verb.children if c.dep_ in ("aux", "auxpass")}
    if words & _FUTURE_AUX or "'ll" in words:
        return True
    if any(c.dep_ == "acomp" and c.lower_ == "due" for c in verb.children):
        return True  # "are due in Gao in January": the January ahead
    if verb.dep_ == "xcomp" and verb.head.lemma_ in ("plan", "intend", "be", "want", "aim", "expect", "agree",
                                                     "decide", "promise", "vow", "pledge", "hope", "due"):
        return True
    return verb.dep_ == "xcomp" and is_future(verb.head)


def date_phrases(doc: Doc, sent: Span, published: dt.date) -> list[DateMention]:
    """The date phrases of ``sent`` (see the module docstring), resolved against ``published``."""
    text, base = sent.text, sent.start_char
    taken: list[tuple[int, int]] = [(m.start(), m.end()) for m in TIMING.finditer(text) if m.group("offset")
                                    or " than " in m.group(0) or "schedule" in m.group(0)]
    dateline = DATELINE.match(text)
    if dateline:  # "BAMAKO, March 3 –": when the report was filed, never an event's date
        taken.append((0, dateline.end()))
    taken += [(m.start(), m.end()) for m in RELATION.finditer(text)]
    taken += [(m.start(), m.end()) for m in LATER.finditer(text)]
    taken += [(m.start(), m.end()) for m in PERIOD.finditer(text)]
    found: list[tuple[str, re.Match]] = []
    for kind, pattern in _SPECIAL + _DATE_PATTERNS:
        for m in pattern.finditer(text):
            a, b = m.span()
            if any(a < y and x < b for x, y in taken):
                continue
            found.append((kind, m))
            taken.append((a, b))
    found.sort(key=lambda x: x[1].start())
    out: list[DateMention] = []
    for index, (kind, m) in enumerate(found):
        a, b = m.span()
        span = doc.char_span(base + a, base + b, alignment_mode="expand")
        first = span.start  # ("and in June": the phrase hangs where its preposition does, not its "and")
        while first < span.end - 1 and doc[first].dep_ in ("cc", "punct"):
            first += 1
        verb = _governing_verb(doc, first)
        k = span.start - (2 if span.start - 1 >= sent.start and doc[span.start - 1].lower_ == "on" else 1)
        if k >= sent.start and doc[k].pos_ in ("VERB", "AUX") and doc[k].lemma_ in REPORTING_VERBS:
            verb = doc[k]  # "Sweden said on Thursday it would withdraw …": the report's day, however parsed
        year = _coordinated_year(text, found, index)
        mention = _resolve_date(kind, m, published, is_future(verb), year)
        if mention is None:
            continue
        mention.start, mention.end, mention.text = base + a, base + b, m.group(0)
        mention.tok_start, mention.tok_end = span.start, span.end
        mention.reporting = verb is not None and verb.lemma_ in REPORTING_VERBS and not _names_a_noun(doc, span)
        mention.verb = verb.i if verb is not None else None
        mention.ambiguous = kind in ("dm", "md", "m") and year is None and verb is None
        deadline = re.match(r"(?i)(?:by|until|till)\b", m.group(0)) or _DEADLINE_BEFORE.search(text[:a]) or (
            re.search(r"(?i)\bbefore\s+$", text[:a]) and re.match(r"(?i)(?:the\s+)?end\s+of\b", m.group(0)))
        # ("before the end of 2023": a deadline too, at its last day)
        anchor = next((x for x in reversed(out) if x.kind == "point" and not x.deadline and not x.reporting), None)
        if deadline and kind in ("dm", "md", "m") and year is None and anchor is not None and \
                mention.kind == "point" and mention.date < anchor.date:
            # "ended the mandate in May 2024, giving it until 30 November to leave": the first such day after
            mention.date = mention.date.replace(year=anchor.date.year + (mention.date.replace(  # the sentence's
                year=anchor.date.year) < anchor.date))  # own date, not the latest before publication
        if deadline and kind == "start_of":
            mention.deadline = True  # "by the start of 2022": January, at month precision
        elif deadline and mention.kind == "point":
            mention.deadline = True
            mention.date, mention.precision = _last_day(mention.date, mention.precision), "day"
        out.append(mention)
        if kind in ("dm", "md", "m") and year is None and not deadline:
            _year_of_main_clause(text, base, out, mention)
    return sorted(out, key=lambda d: d.start)


_EARLIER_CLAUSE = re.compile(r"(?i)\b(?:after|when|once)\b")


def _year_of_main_clause(text: str, base: int, out: list[DateMention], mention: DateMention) -> None:
    """A month without a year in an "after"/"when" clause belongs to the year its main clause names ("took control
    of the north last year, after a rebellion erupted there in January": January of last year)."""
    main = next((x for x in reversed(out[:-1]) if x.kind == "point" and x.precision == "year" and not x.reporting
                 and _EARLIER_CLAUSE.search(text[x.end - base:mention.start - base])), None)
    if main is None or mention.date is None or mention.date.year <= main.date.year:
        return
    mention.date = mention.date.replace(year=main.date.year)
    if mention.date_end is not None:
        mention.date_end = mention.date_end.replace(year=main.date.year)


def date_phrases_in(text: str, published: dt.date) -> list[DateMention]:
    """The date phrases of a one-sentence ``text`` (parsed here); for examples and tests."""
    from geo.documents.nlp import pipeline

    doc = pipeline()(text)
    return date_phrases(doc, doc[:], published)


def _coordinated_year(text: str, found: list, index: int) -> int | None:
    """The year of a date coordinated with the ``index``-th phrase ("in January and September 2022")."""
    for step in (1, -1):
        j = index + step
        while 0 <= j < len(found):
            kind, m = found[j]
            _, here = found[index]
            gap = text[here.end():m.start()] if step == 1 else text[m.end():here.start()]
            if not _COORDINATION.match(gap):
                break
            if "year" in m.re.groupindex and m.group("year"):
                return int(m.group("year"))
            if kind not in ("dm", "md", "m"):
                break
            here_index, j = j, j + step
            index = here_index
    return None


def _last_day(day: dt.date, precision: str) -> dt.date:
    if precision == "year":
        return dt.date(day.year, 12, 31)
    if precision == "month":
        return dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    return day


def _resolve_date(kind: str, m: re.Match, published: dt.date, future: bool,
                  sentence_year: int | None) -> DateMention | None:
    point = lambda day, precision: DateMention(0, 0, 0, 0, "", "point", day, None, precision)  # noqa: E731
    try:
        if kind == "end_of_year":
            return point(dt.date(published.year, 12, 31), "year")
        if kind == "start_of":
            return point(dt.date(int(m.group("year")), 1, 1), "month")
        if kind == "weekend":
            saturday = published - dt.timedelta(days=(published.weekday() - 5) % 7)
            return DateMention(0, 0, 0, 0, "", "range", saturday, min(published, saturday + dt.timedelta(days=1)),
                               "day")
        if kind == "day_range":
            month = _MONTHS[m.group("month").lower().rstrip(".")]
            year = int(m.group("year")) if m.group("year") else _infer_year(month, 1, published, future, None)
            first = int(next(m.group(g) for g in ("d1", "d3", "d4", "d5") if m.group(g)))
            if first >= int(m.group("d2")):
                return None  # ("12 to 3 March" is no range of days)
            return DateMention(0, 0, 0, 0, "", "range", dt.date(year, month, first),
                               dt.date(year, month, int(m.group("d2"))), "day")
        if kind == "range_years":
            first, last = int(m.group("y1")), int(m.group("y2"))
            return DateMention(0, 0, 0, 0, "", "range", dt.date(first, 1, 1), dt.date(last, 12, 31), "year")
        if kind in ("dmy", "mdy"):
            month = _MONTHS[m.group("month").lower().rstrip(".")]
            return point(dt.date(int(m.group("year")), month, int(m.group("day"))), "day")
        if kind == "my":
            month = _MONTHS[m.group("month").lower().rstrip(".")]
            return point(dt.date(int(m.group("year")), month, 1), "month")
        if kind in ("dm", "md"):
            month, day = _MONTHS[m.group("month").lower().rstrip(".")], int(m.group("day"))
            year = _infer_year(month, day, published, future, sentence_year)
            return point(dt.date(year, month, day), "day")
        if kind == "m":
            word = m.group("month")
            if word in ("May", "March") and not re.match(r"(?i)(earlier|later|early|late|mid|in|since|by|until|last|"
                                                         r"this|next|and|or)", m.group(0)):
                return None
            month = _MONTHS[word.lower().rstrip(".")]
            last = calendar.monthrange(published.year, month)[1]
            # the past: the latest such month that has begun by publication; the future: one not yet over
            year = _infer_year(month, last if future else 1, published, future, sentence_year)
            return point(dt.date(year, month, 1), "month")
        if kind == "y":
            return point(dt.date(int(m.group("year")), 1, 1), "year")
        if kind == "weekday":
            target = _WEEKDAYS.index(m.group("weekday").lower())
            if (m.group("last") or "").lower() == "next" or (future and not m.group("last")):
                return point(published + dt.timedelta(days=(target - published.weekday()) % 7), "day")
            back = (published.weekday() - target) % 7
            if (m.group("last") or "").lower() == "last" and back == 0:
                back = 7
            return point(published - dt.timedelta(days=back), "day")
        if kind == "ago" and m.group(0).lower().endswith("week"):
            monday = published - dt.timedelta(days=published.weekday())
            if m.group(0).lower().startswith("last"):
                return DateMention(0, 0, 0, 0, "", "range", monday - dt.timedelta(days=7),
                                   monday - dt.timedelta(days=1), "day")
            return DateMention(0, 0, 0, 0, "", "range", monday, published, "day")
        if kind == "ago" and re.search(r"(?i)\bthis\s+(?:year|month)$", m.group(0)):
            # "earlier this year", "this month": the publication's year or month
            if m.group(0).lower().endswith("year"):
                return point(dt.date(published.year, 1, 1), "year")
            return point(published.replace(day=1), "month")
        if kind == "ago" and "decade" in m.group(0).lower():
            n = parse_count(m.group("n") or "a") or 1
            return point(dt.date(published.year - 10 * n, 1, 1), "year")
        if kind == "ago":
            return _relative_phrase(m.group(0), published)
    except ValueError:  # an impossible calendar date such as 31 June
        return None
    if kind in ("now", "open", "unknown"):
        return DateMention(0, 0, 0, 0, "", kind)
    return None


_SPECIAL: tuple[tuple[str, re.Pattern], ...] = (
    ("end_of_year", _END_OF_YEAR), ("start_of", _START_OF), ("weekend", _WEEKEND), ("day_range", _DAY_RANGE),
)


def _relative_phrase(phrase: str, published: dt.date) -> DateMention:
    import dateparser

    when = dateparser.parse(phrase, settings={"RELATIVE_BASE": dt.datetime.combine(published, dt.time()),
                                              "PREFER_DATES_FROM": "past"})
    low = phrase.lower()
    precision = "year" if "year" in low else "month" if "month" in low else "day"
    if when is None:
        return DateMention(0, 0, 0, 0, "", "unknown")
    day = when.date()
    if precision == "year":
        day = dt.date(day.year, 1, 1)
    elif precision == "month":
        day = dt.date(day.year, day.month, 1)
    return DateMention(0, 0, 0, 0, "", "point", day, None, precision)



def resolve_dates(drafts: list, sentences: list, published: dt.date) -> None:
    """Turn date mentions, relations and tense into (date, date_end, text, precision, basis) on each draft."""
    for d in drafts:
        d.resolved = _base_date(d, published)
    for i, d in enumerate(drafts):
        if d.relation is None:
            continue
        clause, n, unit = d.relation[:3]
        anchor = d.relation[3] if len(d.relation) > 3 else None
        if anchor is not None and anchor.date is not None:  # "on Tuesday, two weeks after …": from that date
            coarse = {"day": 0, "week": 0, "month": 1, "year": 2}[unit.lower().rstrip("s")]
            precision = PRECISIONS[max(PRECISIONS.index(anchor.precision), coarse)]
            d.resolved = (_floor(shift_date(anchor.date, n, unit), precision), None, d.date.text, precision,
                          "relative")
            continue
        if clause >= 0:
            anchors = [a for a in drafts if a.sentence_index == d.sentence_index and a.clause == clause
                       and a.resolved[0] is not None]
        else:
            anchors = [a for a in reversed(drafts[:i]) if a.resolved[0] is not None and a.sentence_index
                       < d.sentence_index][:1]
        if not anchors and clause >= 0:  # "The assault came a month after …": the event the sentence before dates
            anchors = [a for a in reversed(drafts[:i]) if a.resolved[0] is not None and a.sentence_index
                       == d.sentence_index - 1][:1]
        if anchors:
            anchor_date, _, _, precision, _ = anchors[0].resolved
            coarse = {"day": 0, "week": 0, "month": 1, "year": 2}[unit.lower().rstrip("s")]
            precision = PRECISIONS[max(PRECISIONS.index(precision), coarse)]
            d.resolved = (_floor(shift_date(anchor_date, n, unit), precision), None, d.date.text, precision,
                          "relative")
        else:
            d.resolved = (None, None, d.date.text, "unknown", "unknown")


def _floor(day: dt.date, precision: str) -> dt.date:
    """A month as its first day, a year as 1 January."""
    if precision == "month":
        return day.replace(day=1)
    if precision == "year":
        return day.replace(month=1, day=1)
    return day


def _base_date(d, published: dt.date):
    """(date, date_end, date_text, precision, basis) of a draft before relations are applied."""
    m = d.date
    if m is not None and m.kind in ("point", "range"):
        end = m.date_end
        if d.kind in STATE_KINDS and end is None and (m.text.lower().startswith("since") or "date:since" in
                                                       d.inferred):
            end = published  # "has relied on Wagner since late 2021": from then until at least publication
        return m.date, end, m.text, m.precision, "reported" if m.reporting else "stated"
    if d.period and d.kind == "coup" and d.now:
        n, unit = d.period.split()
        start = shift_date(published, -(parse_count(n) or 1), unit)
        return start, published, f"in {d.period}", "year" if unit.startswith("year") else "month", "relative"
    if m is not None and m.kind in ("relation", "unknown"):
        return None, None, m.text or None, "unknown", "unknown"
    if d.now and (d.planned is not True or (m is not None and m.kind == "now")):
        if d.kind in STATE_KINDS:
            return None, published, None, "day", "publication"
        return published, None, None, "day", "publication"
    return None, None, None, "unknown", "unknown"


