"""Time expressions resolved against the publication date, with a precision and a reason when empty.

No year is ever guessed: without a publication date, "17th October" keeps its text and an empty value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from conflictwire.model import DateInfo

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = {d: i for i, d in enumerate(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}

_MON = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(rf"\b{_YEAR}-(?P<m>[01]\d)-(?P<day>[0-3]\d)\b")),
    ("dmy", re.compile(rf"\b{_DAY}(?:\s+of)?\s+{_MON}(?:,?\s+{_YEAR})?\b", re.I)),
    ("mdy", re.compile(rf"\b{_MON}\s+{_DAY}(?:,?\s+{_YEAR})?\b(?!\s*(?:am|pm|a\.m|p\.m|:))", re.I)),
    ("my", re.compile(rf"\b(?:in|during|since|early|late|mid-?|of)\s+{_MON}(?:\s+{_YEAR})?\b", re.I)),
    ("weekday", re.compile(r"\b(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)),
    ("relday", re.compile(r"\b(?P<rel>yesterday|today|tonight|last night|this morning|this afternoon|this evening|"
                          r"overnight|earlier today|on the eve of|right now|just now|minutes ago|an hour ago|"
                          r"since dawn|at dawn today|this dawn|since this morning|"
                          r"hours ago)\b", re.I)),
    # a live blog's entry time: "14:05 - Heavy fire reported ..." happened on the day of publication
    ("relday", re.compile(r"^\s*(?P<rel>[0-2]?\d[:.][0-5]\d)\s*(?:[-–—:]|GMT|UTC|local)", re.M)),
    ("relweek", re.compile(r"\b(?P<rel>last week|this week|earlier this week|past week|last weekend|this weekend)\b", re.I)),
    ("relmonth", re.compile(r"\b(?P<rel>last month|this month|earlier this month|past month)\b", re.I)),
    ("relyear", re.compile(r"\b(?P<rel>last year|this year|earlier this year)\b", re.I)),
    ("year", re.compile(rf"\b(?:in|since|during|of)\s+{_YEAR}\b", re.I)),
    # "the 2013 sarin attack", "its 2022 offensive": a year that names when the thing happened
    ("year", re.compile(rf"\b(?:the|its|their|a|that)\s+{_YEAR}\b(?!\s*[-/])", re.I)),
    # "six years ago", "ten years since", "a year ago"
    ("ago", re.compile(r"\b(?P<n>a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
                       r"thirty|forty|fifty|\d{1,3})\s+(?P<unit>years?|months?|weeks?|decades?)\s+(?:ago|since|after)\b", re.I)),
]
#: Lines that carry dates that are never event dates.
_FOOTER = re.compile(r"(copyright|©|\(c\)\s*\d{4}|all rights reserved)", re.I)


@dataclass(frozen=True)
class TimeExpression:
    text: str
    start: int
    end: int
    kind: str
    groups: dict[str, str | None]


def find_time_expressions(text: str) -> list[TimeExpression]:
    """Time expressions in text, longest and most specific first where they overlap, in text order."""
    found: list[TimeExpression] = []
    for kind, rx in _PATTERNS:
        for m in rx.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            line_end = text.find("\n", m.end())
            if _FOOTER.search(text[line_start:line_end if line_end >= 0 else len(text)]):
                continue
            if any(f.start <= m.start() < f.end or m.start() <= f.start < m.end() for f in found):
                continue
            found.append(TimeExpression(m.group(0), m.start(), m.end(), kind, m.groupdict()))
    return sorted(found, key=lambda f: f.start)


def resolve(expr: TimeExpression, published: dt.date | None) -> DateInfo:
    """A DateInfo for one expression: value and precision, or no value with the reason."""
    g = expr.groups
    kind = expr.kind
    if kind == "iso":
        return _checked(expr, int(g["year"] or 0), int(g["m"] or 0), int(g["day"] or 0), "day")
    if kind in ("dmy", "mdy"):
        month = MONTHS[(g["mon"] or "").lower()[:3]]
        day = int(g["day"] or 0)
        if g.get("year"):
            return _checked(expr, int(g["year"] or 0), month, day, "day")
        if published is None:
            return DateInfo(expr.text, None, None,
                            "the text gives day and month but no year, and the publication date is unknown")
        year = published.year if (month, day) <= (published.month, published.day) else published.year - 1
        return _checked(expr, year, month, day, "day")
    if kind == "my":
        month = MONTHS[(g["mon"] or "").lower()[:3]]
        if g.get("year"):
            return _checked(expr, int(g["year"] or 0), month, 1, "month")
        if published is None:
            return DateInfo(expr.text, None, None, "the text gives a month but no year, and the publication date is unknown")
        year = published.year if month <= published.month else published.year - 1
        return _checked(expr, year, month, 1, "month")
    if kind == "year":
        return _checked(expr, int(g["year"] or 0), 1, 1, "year")
    if kind == "ago":
        if published is None:
            return DateInfo(expr.text, None, None, f"'{expr.text}' is relative and the publication date is unknown")
        n = {"a": 1, "an": 1}.get((g["n"] or "").lower()) or _small_number(g["n"] or "")
        unit = (g["unit"] or "").lower().rstrip("s")
        days = {"year": 365, "month": 30, "week": 7, "decade": 3650}[unit] * n
        value = published - dt.timedelta(days=days)
        precision = "year" if unit in ("year", "decade") else ("month" if unit == "month" else "week")
        first = value.replace(month=1, day=1) if precision == "year" else (
            value.replace(day=1) if precision == "month" else value)
        return DateInfo(expr.text, first.isoformat(), precision)  # type: ignore[arg-type]
    if published is None:
        return DateInfo(expr.text, None, None, f"'{expr.text}' is relative and the publication date is unknown")
    if kind == "weekday":
        back = (published.weekday() - WEEKDAYS[(g["wd"] or "").lower()]) % 7
        return DateInfo(expr.text, (published - dt.timedelta(days=back)).isoformat(), "day")
    rel = (g["rel"] or "").lower()
    if kind == "relday":
        back = 1 if rel in ("yesterday", "last night", "overnight", "on the eve of") else 0
        return DateInfo(expr.text, (published - dt.timedelta(days=back)).isoformat(), "day")
    if kind == "relweek":
        back = 7 if rel.startswith("last") or rel == "past week" else 0
        start = published - dt.timedelta(days=published.weekday() + back)
        return DateInfo(expr.text, start.isoformat(), "week")
    if kind == "relmonth":
        first = published.replace(day=1)
        if rel == "last month":
            first = (first - dt.timedelta(days=1)).replace(day=1)
        return DateInfo(expr.text, first.isoformat(), "month")
    year = published.year - (1 if rel == "last year" else 0)
    return DateInfo(expr.text, dt.date(year, 1, 1).isoformat(), "year")


def _small_number(word: str) -> int:
    """An integer from digits or a small number word ("six" -> 6); 0 if neither."""
    from conflictwire.extract.numbers import word_to_int

    return word_to_int(word) or 0


def _checked(expr: TimeExpression, year: int, month: int, day: int, precision: str) -> DateInfo:
    """A DateInfo for a calendar date, or an empty one naming why the date is impossible."""
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return DateInfo(expr.text, None, None, f"'{expr.text}' is not a valid calendar date")
    return DateInfo(expr.text, value.isoformat(), precision)  # type: ignore[arg-type]


def event_date(text: str, offset: int, published: dt.date | None, anchor: int | None = None,
               not_before: int = 0, skip: Callable[[int, int], bool] | None = None) -> tuple[DateInfo, int, int] | None:
    """The best date for an event described in ``text`` (which starts at ``offset`` of the article).

    Among the time expressions, prefer one that resolves, is not after the publication date, and
    lies closest to ``anchor`` (the trigger's offset). Expressions ending before ``not_before`` (a
    dateline: the filing date, not the event's) are skipped. Returns the date and its absolute span.
    """
    best: tuple[float, DateInfo, int, int] | None = None
    for expr in find_time_expressions(text):
        if offset + expr.end <= not_before:
            continue
        # the day a statement was made stands in only when the text dates nothing else
        penalty = 5000 if skip and skip(offset + expr.start, offset + expr.end) else 0
        info = resolve(expr, published)
        if info.value and published and info.as_date and info.as_date > published:
            continue  # a date after publication is a plan, not this event's date
        dist = abs((offset + expr.start) - anchor) if anchor is not None else expr.start
        rank = (0 if info.value else 10_000) + penalty + dist + {"day": 0, "week": 50, "month": 100, "year": 200}.get(info.precision or "", 0)
        if best is None or rank < best[0]:
            best = (rank, info, offset + expr.start, offset + expr.end)
    return (best[1], best[2], best[3]) if best else None


#: Parts of the day, in order round the clock (night wraps to morning).
PARTS_OF_DAY = ("morning", "afternoon", "evening", "night")
_PART_WORDS = re.compile(
    r"\b(?P<morning>morning|dawn|daybreak|sunrise)\b|\b(?P<afternoon>afternoon|midday|noon)\b"
    r"|\b(?P<evening>evening|dusk|sunset|nightfall)\b|\b(?P<night>night|overnight|midnight|small hours)\b", re.I)
_CLOCK = re.compile(
    r"\b(?:at|around|about|shortly (?:after|before)|before|after|until|from)\s+(?:about\s+|around\s+)?"
    r"(?:(?P<h>2[0-3]|[01]?\d)(?:[:.](?P<m>[0-5]\d))?\b|(?P<mil>[01]\d|2[0-3])(?P<milm>[0-5]\d)\b)"
    r"\s*(?P<ampm>[ap]\.?\s?m\b\.?)?(?P<h24>\s*(?:hours|hrs|GMT|UTC|local time))?",
    re.I)


def _clock_hours(text: str) -> list[float]:
    """The clock times a text names, as hours (0-24): "9:20 a.m." 9.33, "21:40" 21.67, "0300 GMT" 3."""
    out = []
    for m in _CLOCK.finditer(text):
        hour = int(m.group("h") or m.group("mil"))
        ampm = (m.group("ampm") or "").lower()
        if not (ampm or m.group("m") or m.group("h24")) or (m.group("mil") and not m.group("h24")):
            continue  # "at 9" is too loose to be a time
        if ampm.startswith("p") and hour < 12:
            hour += 12
        elif ampm.startswith("a") and hour == 12:
            hour = 0
        minutes = m.group("m") or m.group("milm")
        out.append(hour + (int(minutes) / 60 if minutes else 0.0))
    return out


def clock_hour(text: str) -> float | None:
    """The one clock time a text names, in hours, or None (none, or several)."""
    hours = _clock_hours(text)
    return hours[0] if len(hours) == 1 else None


def hours_apart(a: float, b: float) -> float:
    """Hours between two clock times round the clock (23:00 and 01:00 are two hours apart)."""
    d = abs(a - b) % 24
    return min(d, 24 - d)


def part_of_day(text: str) -> str | None:
    """The one part of the day ("morning", "afternoon", "evening", "night") a text times its event
    at, from words ("on Tuesday evening", "overnight") and clock times ("at 9:20 a.m.", "at about
    21:40"); None when it names none or several ("a morning drone and an evening bomb")."""
    found: set[str] = set()
    for m in _PART_WORDS.finditer(text):
        found.add(next(k for k, v in m.groupdict().items() if v))
    for hour in _clock_hours(text):
        found.add("morning" if 5 <= hour < 12 else "afternoon" if 12 <= hour < 17
                  else "evening" if 17 <= hour < 22 else "night")
    return found.pop() if len(found) == 1 else None


def parts_apart(a: str, b: str) -> bool:
    """Whether two parts of the day are neither the same nor neighbours (evening and night are)."""
    i, j = PARTS_OF_DAY.index(a), PARTS_OF_DAY.index(b)
    return min((i - j) % 4, (j - i) % 4) > 1
