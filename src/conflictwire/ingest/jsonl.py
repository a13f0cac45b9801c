"""JSON inputs: one object, an array of objects, or JSON Lines.

Fields follow the ``conflictwire extract`` contract: ``id`` (kept as the external id),
``text`` (required), ``title``, ``published`` (YYYY-MM-DD or ISO datetime), ``url``,
``outlet``, ``language``. A bad line or object is one error; the others go on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from conflictwire.model import Article

from .base import Item, decode_utf8, item_source, pair, to_error
from .dates import parse_published
from .errors import InputProblem

def read_jsonl(data: bytes, source: str) -> Iterator[Item]:
    """Read JSON Lines: one article per non-blank line, named ``source#LINE``."""
    if not data.strip():
        raise InputProblem("empty", f"no JSON lines ({len(data):,} bytes of whitespace)")
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        name = item_source(source, number)
        try:
            article = article_from_obj(_load_line(line, number))
        except InputProblem as problem:
            yield to_error(name, problem)
            continue
        yield pair(article, line.rstrip(b"\r"), name)


def read_json(data: bytes, source: str) -> Iterator[Item]:
    """Read a JSON object or array; fall back to JSON Lines when the file is that."""
    text = decode_utf8(data)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        if _first_line_is_json(data):
            yield from read_jsonl(data, source)
            return
        raise InputProblem("malformed-json", f"line {e.lineno}, column {e.colno}: {e.msg}") from None
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
    for number, obj in enumerate(items, start=1):
        name = item_source(source, number)
        try:
            article = article_from_obj(obj)
        except InputProblem as problem:
            yield to_error(name, problem)
            continue
        # Re-serialised so each article archives its own item, not the whole array.
        raw = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        yield pair(article, raw, name)


def _load_line(line: bytes, number: int) -> Any:
    """Parse one JSONL line; the error names the line number."""
    try:
        return json.loads(decode_utf8(line))
    except InputProblem as problem:
        raise InputProblem(problem.code, f"line {number}: {problem.message}") from None
    except json.JSONDecodeError as e:
        raise InputProblem("malformed-json", f"line {number}, column {e.colno}: {e.msg}") from None


def _first_line_is_json(data: bytes) -> bool:
    """True when the first non-blank line parses alone: the file is JSON Lines."""
    first = next((line for line in data.split(b"\n") if line.strip()), b"")
    try:
        json.loads(first)
    except (json.JSONDecodeError, UnicodeDecodeError):
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
    return Article(
        text=text,  # as given: extract reports evidence offsets into the input text
        title=_optional_str(obj, "title"),
        external_id=_external_id(obj.get("id")),
        outlet=_optional_str(obj, "outlet"),
        url=_optional_str(obj, "url"),
        published=parse_published(obj.get("published")),
        language=_optional_str(obj, "language"),
    )


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
