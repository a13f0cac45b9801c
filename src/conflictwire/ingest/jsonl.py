"""JSON inputs: one object, an array of objects, or JSON Lines.

Fields follow the ``conflictwire extract`` contract: ``id`` (kept as the external id),
``text`` (required), ``title``, ``published`` (YYYY-MM-DD or ISO datetime), ``url``,
``outlet``, ``language``. A bad line or object is one error; the others go on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from conflictwire.model import Article

from conflictwire.limits import MAX_BAD_ITEMS, MAX_JSON_DEPTH, MAX_JSON_NUMBER_DIGITS

from .base import Item, checked, decode_utf8, item_source, pair, to_error
from .dates import parse_published

from .errors import InputProblem

_SPECIAL = re.compile(r'[\\"\[\]{}]')


def load_json(text: str | bytes, where: str = "") -> Any:
    """Parse JSON within the limits on nesting depth and number size; raise InputProblem otherwise.

    ``where`` ("line 3: ") prefixes every message.
    """
    if isinstance(text, bytes):
        try:
            text = decode_utf8(text)
        except InputProblem as problem:
            raise InputProblem(problem.code, where + problem.message) from None
    check_depth(text, where)
    try:
        return json.loads(text, parse_int=_parse_int, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        at = f"line {e.lineno}, column {e.colno}" if not where else f"column {e.colno}"
        raise InputProblem("malformed-json", f"{where}{at}: {e.msg}") from None
    except _NumberTooLong as e:
        raise InputProblem("too-large", f"{where}a number of {e.digits:,} digits (the limit is "
                                        f"{MAX_JSON_NUMBER_DIGITS})") from None
    except RecursionError:  # the depth check should have caught it: a safety net, not the rule
        raise InputProblem("too-deep", f"{where}JSON nested too deeply to read") from None


class _NumberTooLong(ValueError):
    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def _no_constant(name: str) -> Any:
    """NaN and Infinity are Python's extension, not JSON."""
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def _parse_int(text: str) -> int:
    if len(text) > MAX_JSON_NUMBER_DIGITS:
        raise _NumberTooLong(len(text))
    return int(text)


def check_depth(text: str, where: str = "") -> None:
    """Raise InputProblem ``too-deep`` when arrays and objects nest deeper than MAX_JSON_DEPTH.

    One linear pass over the characters that matter (brackets, quotes, backslashes), skipping
    brackets inside strings; done only when the text has more brackets than the limit at all.
    """
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return
    depth = 0
    in_string = False
    skip = -1
    for m in _SPECIAL.finditer(text):
        pos = m.start()
        if pos == skip:
            continue
        c = m.group()
        if c == "\\":
            skip = pos + 1
        elif c == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif c in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise InputProblem("too-deep", f"{where}JSON nested more than {MAX_JSON_DEPTH} levels deep")
        else:
            depth -= 1


def read_jsonl(data: bytes, source: str) -> Iterator[Item]:
    """Read JSON Lines: one article per non-blank line, named ``source#LINE``."""
    if not data.strip():
        raise InputProblem("empty", f"no JSON lines ({len(data):,} bytes of whitespace)")
    bad = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        name = item_source(source, number)
        try:
            article = article_from_obj(_load_line(line, number))
        except InputProblem as problem:
            yield to_error(name, problem)
            bad += 1
            if bad >= MAX_BAD_ITEMS:
                raise InputProblem(problem.code, f"{bad:,} bad lines up to line {number:,}: the rest was not read") from None
            continue
        yield pair(article, line.rstrip(b"\r"), name)


def read_json(data: bytes, source: str) -> Iterator[Item]:
    """Read a JSON object or array; fall back to JSON Lines when the file is that."""
    text = decode_utf8(data)
    try:
        doc = load_json(text)
    except InputProblem as problem:
        if problem.code in ("malformed-json", "too-deep", "too-large") and _first_line_is_json(data):
            # JSON Lines: each line is read (and refused) on its own
            yield from read_jsonl(data, source)
            return
        raise
    if isinstance(doc, dict):
        yield pair(article_from_obj(doc), data, source)
    elif isinstance(doc, list):
        yield from _read_array(doc, source)
    else:
        raise InputProblem("malformed-json", f"expected an object or an array of objects, got {type(doc).__name__}")


def _read_array(items: list[Any], source: str) -> Iterator[Item]:
    """Yield one article per array element, named ``source#INDEX`` (1-based)."""
    if not items:
        raise InputProblem("no-text", "the JSON array is empty")
    bad = 0
    for number, obj in enumerate(items, start=1):
        name = item_source(source, number)
        try:
            article = article_from_obj(obj)
        except InputProblem as problem:
            yield to_error(name, problem)
            bad += 1
            if bad >= MAX_BAD_ITEMS:
                raise InputProblem(problem.code, f"{bad:,} bad items up to item {number:,}: the rest was not read") from None
            continue
        # Re-serialised so each article archives its own item, not the whole array.
        yield pair(article, _item_bytes(obj), name)


def _item_bytes(obj: Any) -> bytes:
    """One array item as JSON bytes; escaped to ASCII when it holds what UTF-8 cannot (a lone surrogate)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, separators=(",", ":")).encode("ascii")


def _load_line(line: bytes, number: int) -> Any:
    """Parse one JSONL line; the error names the line number."""
    return load_json(line, f"line {number}: ")


def _first_line_is_json(data: bytes) -> bool:
    """True when the first non-blank line parses alone: the file is JSON Lines."""
    first = next((line for line in data.split(b"\n") if line.strip()), b"")
    try:
        load_json(first)
    except InputProblem:
        return False
    return True


def article_from_obj(obj: Any) -> Article:
    """Build an article from one JSON object; raise InputProblem for a missing or bad field."""
    if not isinstance(obj, dict):
        raise InputProblem("malformed-json", f"expected a JSON object, got {type(obj).__name__}")
    text = obj.get("text")
    if text is None:
        raise InputProblem("missing-field", "no 'text' field")
    if not isinstance(text, str):
        raise InputProblem("invalid-field", f"'text' must be a string, not {type(text).__name__}")
    if not text.strip():
        raise InputProblem("no-text", "'text' is blank")
    return checked(Article(
        text=text,  # as given: extract reports evidence offsets into the input text
        title=_optional_str(obj, "title"),
        external_id=_external_id(obj.get("id")),
        outlet=_optional_str(obj, "outlet"),
        url=_optional_str(obj, "url"),
        published=parse_published(obj.get("published")),
        language=_optional_str(obj, "language"),
    ))


def _optional_str(obj: dict[str, Any], name: str) -> str | None:
    """Read an optional string field; an empty string counts as absent."""
    value = obj.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputProblem("invalid-field", f"'{name}' must be a string, not {type(value).__name__}")
    return value.strip() or None


def _external_id(value: Any) -> str | None:
    """Keep an input id as text: numbers are common ids, objects are not."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputProblem("invalid-field", f"'id' must be a string or an integer, not {type(value).__name__}")
    return str(value)
