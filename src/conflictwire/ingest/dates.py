"""Publication dates from the forms inputs give them in."""

from __future__ import annotations

import datetime as dt
import email.utils
import re

from .errors import InputProblem

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FOUR_DIGITS = re.compile(r"(?<![\d:+\-])\d{4}(?![\d:])")


def parse_published(value: object, field: str = "published") -> dt.date | None:
    """Parse YYYY-MM-DD, an ISO datetime or an RFC 822 date into a date; None for no value.

    The date is taken as the publisher wrote it, in the publisher's own time zone, so an
    evening story is not moved to the next day by converting to UTC.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputProblem("invalid-field", f"'{field}' must be a date string, not {type(value).__name__}")
    text = value.strip()
    parsed = _parse_iso(text) or _parse_rfc822(text)
    if parsed is None:
        raise InputProblem("invalid-field", f"'{field}' is not a date (YYYY-MM-DD or ISO 8601): {text[:40]!r}")
    return parsed


def _parse_iso(text: str) -> dt.date | None:
    """Parse an ISO 8601 date or datetime, or return None."""
    try:
        if _ISO_DATE.match(text):
            return dt.date.fromisoformat(text)
        # fromisoformat in 3.11 takes "Z" and offsets; the date part is the local one.
        return dt.datetime.fromisoformat(text).date()
    except (ValueError, OverflowError):
        return None


def _parse_rfc822(text: str) -> dt.date | None:
    """Parse an RFC 822 date (RSS pubDate), or return None."""
    try:
        parsed = email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    year = _FOUR_DIGITS.search(text)
    if year and int(year.group(0)) != parsed.year:
        return None  # "0000" is read as 2000 by the two-digit-year rule: a year written in full is kept as written
    return parsed
