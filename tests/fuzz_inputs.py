"""Hostile inputs for the fuzzer (``bench/fuzz.py``) and the property tests (``tests/test_fuzz.py``).

Every generator is a function ``gen(rng, limit)`` of a ``random.Random`` and a size limit in bytes
(roughly the largest input it may make), so an input is fully determined by the seed it was drawn
with: ``reader_case(name, seed, limit)`` rebuilds the same bytes anywhere. There are four families:

* reader inputs (``READER_GENERATORS``): whole files for ``conflictwire.ingest.read_bytes``, with the
  file name that guides the format (valid seeds of each format, mutations of them, deep nesting, huge
  numbers, wrong field types, hostile feeds and WARCs, huge lines, pathological text, random bytes);
* folder inputs (``folder_case``): small folder trees for ``read_inputs`` and ``conflictwire ingest``
  (a hostile ``conflictwire-meta.json``, a named pipe, links, a file name that is not UTF-8);
* record lines (``RECORD_GENERATORS``): one JSONL line for ``conflictwire extract`` / ``geoparse``;
* API bodies (``api_body``): raw bodies for ``POST /api/articles``.

All texts here were written for these tests (fictional incidents); nothing is downloaded.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_README_CODES = (
    "not-found unreadable empty binary invalid-encoding too-large no-text malformed-json missing-field "
    "invalid-field malformed-feed malformed-warc unknown-format store-failed".split()
)


def _documented_codes() -> frozenset[str]:
    """The input error codes the README lists ("Input error codes: `a`, `b`, ..."), read at import so a
    code documented later counts; the list as of issue 13 if the README cannot be read."""
    import re
    from pathlib import Path

    try:
        readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    except OSError:
        return frozenset(_README_CODES)
    m = re.search(r"Input error codes:(.*?)\.\s", readme, re.S)
    codes = re.findall(r"`([a-z][a-z-]*)`", m.group(1)) if m else []
    return frozenset(codes) if len(codes) >= 5 else frozenset(_README_CODES)


#: The input error codes the README documents (exit status section).
DOCUMENTED_CODES = _documented_codes()

# --- valid seed inputs -----------------------------------------------------------------------------

TITLE = "Shelling hits market in Northtown"
BODY = (
    "Artillery shells struck the central market of Northtown on Tuesday morning, killing at least four "
    "people and wounding eleven, local medics said. The regional governor blamed the Eastern Brigade for "
    "the attack, which the group denied in a statement posted online.\n\n"
    "Residents said the shelling began shortly after dawn and lasted for nearly an hour."
)
BODY2 = (
    "Gunmen on motorcycles attacked a market in the village of Kautikari in Nigeria's Borno state on "
    "Tuesday, killing at least nine traders, a local official said. The attackers set fire to stalls "
    "before fleeing, residents said."
)
BODY3 = (
    "Police fired tear gas at several hundred protesters in Nairobi on Monday as they marched towards "
    "parliament, witnesses said. Dozens were arrested."
)


def text_article(title: str = TITLE, body: str = BODY) -> bytes:
    """A plain-text article in the seed's layout: title line, blank line, body."""
    return f"{title}\n\n{body}\n".encode()


def html_page(title: str = TITLE, body: str = BODY, date: str = "2023-03-14T09:30:00+02:00") -> bytes:
    paras = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + title + "</title>"
        "<meta property=\"og:site_name\" content=\"Valley Courier\">"
        f"<meta property=\"article:published_time\" content=\"{date}\">"
        "<meta name=\"author\" content=\"Mara Voss\"></head>\n<body><nav><a href=\"/\">Home</a></nav>"
        f"<article><h1>{title}</h1>{paras}</article><footer>Valley Courier</footer></body></html>\n"
    ).encode()


def json_record(text: str = BODY, **fields: object) -> dict[str, object]:
    rec: dict[str, object] = {"id": "a-1", "title": TITLE, "text": text, "published": "2023-03-14",
                              "url": "https://example.org/a-1", "outlet": "Valley Courier", "language": "en"}
    rec.update(fields)
    return rec


def json_object(text: str = BODY) -> bytes:
    return json.dumps(json_record(text), ensure_ascii=False, indent=1).encode()


def json_array(texts: tuple[str, ...] = (BODY, BODY2)) -> bytes:
    return json.dumps([json_record(t, id=f"a-{i}") for i, t in enumerate(texts, 1)], ensure_ascii=False).encode()


def jsonl(texts: tuple[str, ...] = (BODY, BODY2, BODY3)) -> bytes:
    return "".join(json.dumps(json_record(t, id=f"l-{i}"), ensure_ascii=False) + "\n"
                   for i, t in enumerate(texts, 1)).encode()


def rss_item(title: str = TITLE, desc: str = BODY, date: str = "Tue, 14 Mar 2023 09:30:00 +0200",
             link: str = "https://example.org/1", guid: str = "urn:1", extra: str = "") -> str:
    return (f"<item><title>{title}</title><link>{link}</link><guid>{guid}</guid>"
            f"<pubDate>{date}</pubDate><author>desk@example.org (Mara Voss)</author>"
            f"<description><![CDATA[<p>{desc}</p>]]></description>{extra}</item>")


def rss(items: list[str] | None = None, channel_title: str = "Valley Courier", decl: str = "UTF-8") -> bytes:
    if items is None:
        items = [rss_item(), rss_item("Market attack in Borno", BODY2, link="https://example.org/2", guid="urn:2")]
    head = f'<?xml version="1.0" encoding="{decl}"?>\n' if decl else ""
    return (head + f'<rss version="2.0"><channel><title>{channel_title}</title><link>https://example.org/</link>'
            + "".join(items) + "</channel></rss>\n").encode()


def atom_entry(title: str = TITLE, content: str = BODY, updated: str = "2023-03-14T09:30:00+02:00",
               eid: str = "urn:e1", ctype: str = "html") -> str:
    from html import escape

    value = escape(f"<p>{content}</p>") if ctype == "html" else content
    return (f"<entry><title>{title}</title><id>{eid}</id><updated>{updated}</updated>"
            f'<link href="https://example.org/e1"/><author><name>Mara Voss</name></author>'
            f'<content type="{ctype}">{value}</content></entry>')


def atom(entries: list[str] | None = None) -> bytes:
    if entries is None:
        entries = [atom_entry(), atom_entry("Protest in Nairobi", BODY3, eid="urn:e2")]
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>Valley Courier</title><id>urn:feed</id><updated>2023-03-14T10:00:00Z</updated>"
            + "".join(entries) + "</feed>\n").encode()


def http_block(payload: bytes, ctype: str = "text/html; charset=utf-8", extra: list[str] | None = None,
               status: str = "HTTP/1.1 200 OK", content_length: bool = True) -> bytes:
    lines = [status, f"Content-Type: {ctype}"] + (extra or [])
    if content_length:
        lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def warc_record(rec_type: str, block: bytes, uri: str | None = "https://example.org/1", n: int = 1,
                content_type: str | None = "application/http; msgtype=response", drop: tuple[str, ...] = (),
                length: str | None = None, version: str = "WARC/1.0", extra: list[str] | None = None) -> bytes:
    """One WARC record written by hand, so any header can be dropped or falsified."""
    headers = [("WARC-Type", rec_type), ("WARC-Record-ID", f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>"),
               ("WARC-Date", "2023-03-14T09:30:00Z")]
    if uri is not None:
        headers.append(("WARC-Target-URI", uri))
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    headers.append(("Content-Length", str(len(block)) if length is None else length))
    lines = [version] + [f"{k}: {v}" for k, v in headers if k not in drop] + (extra or [])
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape") + block + b"\r\n\r\n"


def warc(records: list[bytes] | None = None, compress: bool = False) -> bytes:
    if records is None:
        records = [
            warc_record("warcinfo", b"software: fuzz\r\n", uri=None, n=1, content_type="application/warc-fields"),
            warc_record("request", b"GET /1 HTTP/1.1\r\nHost: example.org\r\n\r\n", n=2,
                        content_type="application/http; msgtype=request"),
            warc_record("response", http_block(html_page()), n=3),
            warc_record("response", http_block(b"\x89PNG\r\n\x1a\n" + bytes(40), ctype="image/png"),
                        uri="https://example.org/x.png", n=4),
            warc_record("response", http_block(html_page("Market attack in Borno", BODY2)),
                        uri="https://example.org/2", n=5),
        ]
    if compress:
        return b"".join(gzip.compress(r, mtime=0) for r in records)
    return b"".join(records)


#: (bytes, file name) of each valid seed input.
SEEDS: dict[str, tuple[bytes, str]] = {
    "text": (text_article(), "article.txt"),
    "html": (html_page(), "page.html"),
    "json": (json_object(), "article.json"),
    "json-array": (json_array(), "articles.json"),
    "jsonl": (jsonl(), "articles.jsonl"),
    "rss": (rss(), "feed.rss"),
    "atom": (atom(), "feed.atom"),
    "warc": (warc(), "crawl.warc"),
    "warc-gz": (warc(compress=True), "crawl.warc.gz"),
}

#: For each seed, the names under which it may be given: its own, one that makes the reader sniff,
#: and misleading ones (a feed named .json, a page named .txt).
_NAMES = {
    "text": ["article.txt", None, "a.md", "a.json", "a.html"],
    "html": ["page.html", None, "page.txt", "page.xml", "page.htm"],
    "json": ["article.json", None, "article.jsonl", "article.txt"],
    "json-array": ["articles.json", None, "articles.jsonl"],
    "jsonl": ["articles.jsonl", None, "articles.json", "articles.ndjson", "a.txt"],
    "rss": ["feed.rss", None, "feed.xml", "feed.atom", "feed.json"],
    "atom": ["feed.atom", None, "feed.xml", "feed.rss"],
    "warc": ["crawl.warc", None, "crawl.warc.gz", "crawl.txt"],
    "warc-gz": ["crawl.warc.gz", None, "crawl.warc"],
}

# --- hostile pieces --------------------------------------------------------------------------------

INVALID_UTF8 = [b"\xff", b"\xfe", b"\xc3", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                b"\xc0\xaf", b"\x80", b"\xf8\x88\x80\x80\x80"]
BOMS = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\x2b\x2f\x76\x38"]
JSON_SURROGATES = ["\\ud800", "\\udfff", "\\udbff", "a\\ud83d", "\\udc00\\ud800", "\\ud800\\u0000"]
CHAR_REFS = ["&#xD800;", "&#99999999999;", "&#x110000;", "&#0;", "&#x0;", "&#xDFFF;", "&#55296;", "&#xFFFE;",
             "&#1114112;", "&#9999999999999999999999999999;", "&#x7FFFFFFF;", "&#-1;", "&#x;", "&#;",
             "&#x1F;", "&#8;", "&amp;#xD800;", "&#x0000000000D800;", "&#xFFFFFFFFFFFFFFFF;"]
FEED_DATES = [
    "Sat, 01 Jan 0000 00:00:00 GMT", "0000-01-01T00:00:00Z", "0000-00-00", "Mon, 01 Jan 99999 00:00:00 GMT",
    "99999-01-01T00:00:00Z", "Fri, 01 Jan 0001 00:00:00 +0100", "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-14:00", "Fri, 31 Dec 9999 23:59:59 -1400", "Tue, 30 Feb 2024 00:00:00 GMT",
    "2024-13-45", "2024-01-01T25:61:61Z", "Thu, 01 Jan 1970 00:00:00 +99999", "1" * 5000, "-1",
    "Mon, 01 Jan 2024 00:00:00 +0000 +0000", "2024-W99-9", "", "   ", "0", "Sat, 00 Jan 0000 00:00:00 GMT",
    "Sun, 01 Jan -001 00:00:00 GMT", "2024-01-01T00:00:00+99:99", "\u0662\u0660\u0662\u0664-01-01",
]
PUBLISHED_VALUES: list[object] = [12345, 1.5, True, [], {}, "0000-00-00", "99999-01-01", "2024-02-30",
                                  "2024-01-01T00:00:00+25:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59",
                                  "2024", "20240101", "\u0662\u0660\u0662\u0664-01-01", "Sat, 01 Jan 0000 00:00:00 GMT",
                                  " ", "1" * 5000, "2024-01-01\x00"]
WRONG_TYPES: list[object] = [5, 1.5, -0.0, [], {}, True, False, [1, "a"], {"a": {"b": []}}, 10**30, "", " "]
FIELDS = ["id", "title", "text", "published", "url", "outlet", "language"]
CUE_WORDS = ["killed", "attack", "shelling", "clashes", "protest", "bombing", "airstrike", "wounded",
             "abducted", "explosion", "fighting", "riot", "killing", "looted", "executed"]
WORDS = ("the army said fighters from the north attacked a convoy near Aleppo on Tuesday and "
         "several villagers in Idlib province were wounded while police in Nairobi arrested "
         "protesters at least twelve people").split()


def _big_digits(rng: random.Random) -> str:
    return rng.choice(["1", "9", "-1", "0."]) + "".join(rng.choice("0123456789") for _ in range(rng.choice([4301, 5000, 20000])))


def _huge_number(rng: random.Random) -> str:
    return rng.choice([
        _big_digits(rng), "1e999999", "-1e400", "1E+99999999999999999999", "NaN", "Infinity", "-Infinity",
        "0." + "0" * 5000 + "1", "123456789012345678901234567890", str(2**63), str(-(2**63) - 1), "-0",
    ])


# --- mutations -------------------------------------------------------------------------------------


def _pos(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data) + 1)


def _bitflip(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def _setbyte(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    b = bytearray(data)
    b[rng.randrange(len(b))] = rng.choice([0, 0xFF, 0x7F, 0x80, ord("<"), ord('"'), ord("{"), ord("\n"), ord("&")])
    return bytes(b)


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: _pos(rng, data)]


def _drop_chunk(rng: random.Random, data: bytes) -> bytes:
    i = _pos(rng, data)
    return data[:i] + data[i + rng.randint(1, 64):]


def _dup_chunk(rng: random.Random, data: bytes) -> bytes:
    i = _pos(rng, data)
    j = min(len(data), i + rng.randint(1, 200))
    return data[:j] + data[i:j] * rng.randint(1, 50) + data[j:]


def _splice(rng: random.Random, data: bytes) -> bytes:
    other = rng.choice(list(SEEDS.values()))[0]
    return data[: _pos(rng, data)] + other[_pos(rng, other):]


def _insert(rng: random.Random, data: bytes, piece: bytes) -> bytes:
    i = _pos(rng, data)
    return data[:i] + piece + data[i:]


def _insert_nul(rng: random.Random, data: bytes) -> bytes:
    return _insert(rng, data, rng.choice([b"\x00", b"\\u0000", b"&#0;", b"\x00" * 3]))


def _insert_surrogate(rng: random.Random, data: bytes) -> bytes:
    """A lone surrogate escaped in JSON, placed inside a string value when there is one."""
    piece = rng.choice(JSON_SURROGATES).encode()
    quotes = [i for i in range(len(data)) if data[i:i + 1] == b'"'][:400]
    if quotes and rng.random() < 0.8:
        i = rng.choice(quotes) + 1
        return data[:i] + piece + data[i:]
    return _insert(rng, data, piece)


def _insert_invalid_utf8(rng: random.Random, data: bytes) -> bytes:
    return _insert(rng, data, rng.choice(INVALID_UTF8))


def _insert_bom(rng: random.Random, data: bytes) -> bytes:
    bom = rng.choice(BOMS)
    return bom + data if rng.random() < 0.7 else _insert(rng, data, bom)


def _insert_cr(rng: random.Random, data: bytes) -> bytes:
    if rng.random() < 0.5:
        return data.replace(b"\n", rng.choice([b"\r\n", b"\r", b"\r\r\n"]))
    return _insert(rng, data, b"\r" * rng.randint(1, 3))


def _insert_hostile(rng: random.Random, data: bytes) -> bytes:
    piece = rng.choice([b"<", b"]]>", b"<![CDATA[", b"&", b"&amp;", b"\\", b'"', b"}", b"]", b"{", b"\n\n",
                        b"WARC/1.0\r\n", b"<!DOCTYPE x [<!ENTITY a \"b\">]>", b"&a;", b"\x0c", b"\x1b[31m",
                        rng.choice(CHAR_REFS).encode(), "\u2028\u202e\ufeff\u200b".encode()])
    return _insert(rng, data, piece)


MUTATIONS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "bitflip": _bitflip, "setbyte": _setbyte, "truncate": _truncate, "drop": _drop_chunk, "dup": _dup_chunk,
    "splice": _splice, "nul": _insert_nul, "surrogate": _insert_surrogate, "invalid-utf8": _insert_invalid_utf8,
    "bom": _insert_bom, "cr": _insert_cr, "hostile": _insert_hostile,
}


def mutate(rng: random.Random, data: bytes, n: int | None = None) -> bytes:
    for _ in range(n if n is not None else rng.randint(1, 4)):
        data = MUTATIONS[rng.choice(list(MUTATIONS))](rng, data)
    return data


# --- reader generators: (rng, limit) -> (bytes, file name or None) ------------------------------------

Gen = Callable[[random.Random, int], tuple[bytes, str | None]]


def _seed_name(rng: random.Random, seed: str) -> str | None:
    names = _NAMES[seed]
    return names[0] if rng.random() < 0.6 else rng.choice(names)


def _mutation_gen(seed: str) -> Gen:
    def gen(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
        return mutate(rng, SEEDS[seed][0]), _seed_name(rng, seed)

    gen.__name__ = f"mutate_{seed}"
    return gen


def gen_valid(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    """A valid seed input of some format, named as itself or left to sniffing."""
    seed = rng.choice(list(SEEDS))
    return SEEDS[seed][0], _seed_name(rng, seed)


def gen_random_bytes(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    n = min(limit, int(2 ** rng.uniform(0, 16)))
    data = rng.randbytes(n)
    if rng.random() < 0.5:  # steer format detection
        data = rng.choice([b"{", b"[", b"<rss", b"<?xml version='1.0'?><feed", b"<html>", b"WARC/1.0\r\n",
                           b"\x1f\x8b\x08\x00\x00\x00\x00\x00", b"Title\n\n", b"\xef\xbb\xbf"]) + data
    if rng.random() < 0.5:  # mostly printable noise
        data = bytes(32 + b % 95 if b > 40 else b for b in data)
    name = rng.choice([None, "x.txt", "x.json", "x.jsonl", "x.rss", "x.html", "x.warc", "x.warc.gz", "x.xml", "x"])
    return data, name


def gen_deep_json(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    depth = min(limit // 8, rng.choice([100, 999, 1000, 2000, 3000, 5000, 20000, 100000]))
    kind = rng.choice(["array", "object", "in-text-field", "in-extra-field", "jsonl-line", "unclosed"])
    if kind == "array":
        core = "[" * depth + "]" * depth
    elif kind == "object":
        core = '{"a":' * depth + "1" + "}" * depth
    elif kind == "unclosed":
        core = rng.choice(["[", '{"a":']) * depth
    else:
        nest = "[" * depth + "]" * depth
        core = ('{"id": 1, "text": ' + nest + "}") if kind == "in-text-field" else \
            ('{"id": 1, "text": "Shelling in Northtown killed four.", "extra": ' + nest + "}")
    if kind == "jsonl-line" or rng.random() < 0.3:
        line = '{"id": 2, "text": "Shelling in Northtown killed four.", "x": ' + "[" * depth + "]" * depth + "}"
        good = json.dumps(json_record(BODY2))
        return (good + "\n" + line + "\n" + good + "\n").encode(), rng.choice(["deep.jsonl", None, "deep.json"])
    return core.encode(), rng.choice(["deep.json", None, "deep.jsonl", "deep.txt"])


def gen_huge_number(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    number = _huge_number(rng)
    fld = rng.choice(["id", "text", "title", "published", "extra", "top", "array-item"])
    if fld == "top":
        doc = number
    elif fld == "array-item":
        doc = "[" + number + "]"
    else:
        pairs = {"id": '"n-1"', "text": json.dumps(BODY), "title": json.dumps(TITLE)}
        pairs[fld] = number
        doc = "{" + ", ".join(f'"{k}": {v}' for k, v in pairs.items()) + "}"
    if rng.random() < 0.4:
        return (json.dumps(json_record(BODY2)) + "\n" + doc + "\n").encode(), rng.choice(["n.jsonl", None])
    return doc.encode(), rng.choice(["n.json", None, "n.jsonl"])


def wrong_type_record(rng: random.Random) -> dict[str, object]:
    rec = json_record(rng.choice([BODY, BODY2, BODY3]))
    for _ in range(rng.randint(1, 3)):
        fld = rng.choice(FIELDS)
        if fld == "published" and rng.random() < 0.6:
            rec[fld] = rng.choice(PUBLISHED_VALUES)
        elif fld == "id" and rng.random() < 0.5:
            rec[fld] = rng.choice([{"a": 1}, [1], 1.5, True, 10**40, -1, 0, None, ""])
        elif rng.random() < 0.15:
            rec.pop(fld, None)
        else:
            rec[fld] = rng.choice(WRONG_TYPES)
    return rec


def gen_wrong_types(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    recs = [wrong_type_record(rng) for _ in range(rng.randint(1, 4))]
    shape = rng.choice(["object", "array", "jsonl"])
    if shape == "object":
        return json.dumps(recs[0]).encode(), rng.choice(["w.json", None])
    if shape == "array":
        return json.dumps(recs).encode(), rng.choice(["w.json", None])
    return "".join(json.dumps(r) + "\n" for r in recs).encode(), rng.choice(["w.jsonl", None, "w.json"])


def gen_json_escapes(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    """Lone surrogates and NUL escaped inside JSON string fields."""
    fld = rng.choice(["title", "text", "id", "outlet", "url", "language", "published"])
    esc = rng.choice(JSON_SURROGATES + ["\\u0000", "\\u0000\\u0000"])
    rec = json.dumps(json_record(BODY2))
    marker = json.dumps(json_record(BODY2)[fld])
    rec = rec.replace(marker, marker[:-1] + esc + '"', 1) if marker.startswith('"') else rec
    if rng.random() < 0.3:
        rec = rec.replace('"text": "', '"text": "' + esc, 1)
    return rec.encode(), rng.choice(["s.json", "s.jsonl", None])


def _feed_with(rng: random.Random, value: str) -> bytes:
    """An RSS or Atom feed with ``value`` placed raw in one of its fields."""
    fld = rng.choice(["title", "desc", "link", "date", "guid", "channel", "author", "extra", "cdata-body"])
    if rng.random() < 0.35:
        kw: dict[str, str] = {}
        if fld == "title":
            kw["title"] = f"Market {value} attack"
        elif fld in ("desc", "cdata-body"):
            kw["content"] = f"{BODY2} {value}"
            kw["ctype"] = rng.choice(["html", "text", "xhtml"])
        elif fld == "date":
            kw["updated"] = value
        else:
            kw["eid"] = value
        return atom([atom_entry(**kw), atom_entry("Protest in Nairobi", BODY3, eid="urn:e2")])
    if fld == "channel":
        return rss(channel_title=f"Courier {value}")
    item = {"title": lambda: rss_item(title=f"Market {value} attack"),
            "desc": lambda: rss_item(desc=f"{BODY2} {value}"),
            "cdata-body": lambda: rss_item(desc=f"{BODY2}").replace("<![CDATA[<p>", f"{value}<![CDATA[<p>"),
            "link": lambda: rss_item(link=value),
            "date": lambda: rss_item(date=value),
            "guid": lambda: rss_item(guid=value),
            "author": lambda: rss_item().replace("Mara Voss", f"Mara {value}"),
            "extra": lambda: rss_item(extra=f"<category>{value}</category><dc:creator>{value}</dc:creator>")}[fld]()
    return rss([item, rss_item("Protest in Nairobi", BODY3, link="https://example.org/3", guid="urn:3")])


def _feed_name(rng: random.Random) -> str | None:
    return rng.choice(["f.rss", "f.xml", None, "f.atom"])


def gen_feed_charref(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    refs = "".join(rng.choice(CHAR_REFS) for _ in range(rng.randint(1, 3)))
    return _feed_with(rng, refs), _feed_name(rng)


def gen_feed_date(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    return _feed_with(rng, rng.choice(FEED_DATES)) if rng.random() < 0.3 else \
        rss([rss_item(date=rng.choice(FEED_DATES)), rss_item("b", BODY3, date=rng.choice(FEED_DATES))]), _feed_name(rng)


def gen_feed_nul(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    piece = rng.choice(["&#0;", "&#x0;", "&#x00;", "\\u0000", "&amp;#0;", "\x00"])
    return _feed_with(rng, piece * rng.randint(1, 3)), _feed_name(rng)


def gen_feed_encoding(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    decl = rng.choice(["utf-16", "UTF-32", "bogus-enc", "ISO-8859-1", "shift_jis", "utf-7", "cp037", "x-mac-roman",
                       "utf-16le", "ascii", "", "UTF-8 ", "big5", "gb18030", "koi8-r", "euc-jp", "iso-2022-jp",
                       "x-user-defined", "hz-gb-2312", "utf8;charset=latin1"])
    body = rss(decl=decl) if decl else rss()
    how = rng.choice(["as-is", "latin1-body", "invalid-bytes", "bom16", "bom8", "utf16-body", "cp1252-quotes"])
    if how == "latin1-body":
        body = body.replace(b"Northtown", "Northt\xf6wn caf\xe9".encode("latin-1"))
    elif how == "invalid-bytes":
        body = _insert(rng, body, rng.choice(INVALID_UTF8))
    elif how == "bom16":
        body = rng.choice([b"\xff\xfe", b"\xfe\xff"]) + body
    elif how == "bom8":
        body = b"\xef\xbb\xbf" + body
    elif how == "utf16-body":
        body = body.decode().encode(rng.choice(["utf-16", "utf-16-le", "utf-32"]))
    elif how == "cp1252-quotes":
        body = body.replace(b"group", b"\x93group\x94 \x85")
    return body, _feed_name(rng)


def _nested_markup(rng: random.Random, depth: int) -> str:
    tag = rng.choice(["div", "b", "span", "p", "font", "table", "li", "a", "x:y"])
    return f"<{tag}>" * depth + "Shelling in Northtown killed four people" + f"</{tag}>" * depth


def gen_feed_deep(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    depth = rng.choice([500, 3000, 10000, 50000, 200000, 500000])
    how = rng.choice(["cdata", "escaped", "raw", "raw", "unclosed", "many-items", "many-items", "xhtml"])
    depth = max(10, min(depth, limit // (8 if how == "raw" else 30)))
    if how == "cdata":
        item = rss_item(desc=_nested_markup(rng, depth))
    elif how == "escaped":
        from html import escape

        item = rss_item().replace("<![CDATA[<p>" + BODY + "</p>]]>", escape(_nested_markup(rng, depth)))
    elif how == "raw":
        item = rss_item(extra="<x>" * depth + "y" + "</x>" * depth)
    elif how == "unclosed":
        item = rss_item(desc="<div>" * depth + BODY2)
    elif how == "xhtml":
        body = '<div xmlns="http://www.w3.org/1999/xhtml">' + _nested_markup(rng, depth) + "</div>"
        return atom([atom_entry(content=body, ctype="xhtml")]), _feed_name(rng)
    else:
        n = max(1, min(limit // 250, rng.choice([1000, 5000, 16000])))
        return rss([rss_item(f"t{i}", f"<p>{i} killed</p>", guid=f"urn:{i}") for i in range(n)]), _feed_name(rng)
    return rss([item]), _feed_name(rng)


def gen_feed_mixed(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    """A feed with several hostile items: refs, dates, entities, empty entries, odd structures."""
    parts = []
    for i in range(rng.randint(1, 6)):
        choice = rng.randrange(8)
        if choice == 0:
            parts.append("<item></item>")
        elif choice == 1:
            parts.append(rss_item(title=rng.choice(CHAR_REFS), desc=rng.choice(CHAR_REFS), guid=f"urn:{i}"))
        elif choice == 2:
            parts.append(rss_item(date=rng.choice(FEED_DATES), guid=f"urn:{i}"))
        elif choice == 3:
            parts.append(rss_item(desc="", guid=f"urn:{i}"))
        elif choice == 4:
            parts.append(rss_item(desc="<script>alert(1)</script><style>x</style>", guid=f"urn:{i}"))
        elif choice == 5:
            parts.append('<item><title>t</title><description>&lt;p&gt;a&lt;/p</description><enclosure url="x"/></item>')
        elif choice == 6:
            parts.append(rss_item(link="javascript:alert(1)", guid="", desc=BODY2))
        else:
            parts.append(rss_item(title="", desc="\u202e\u200b\ufeff" * 5))
    data = rss(parts)
    if rng.random() < 0.3:
        data = data.replace(b"<rss", b'<!DOCTYPE rss [<!ENTITY x "' + b"a" * 100 + b'"><!ENTITY y "&x;&x;&x;&x;">]><rss', 1)
    return data, _feed_name(rng)


def gen_warc_broken(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    page = html_page("Market attack in Borno", BODY2)
    how = rng.choice(["no-uri", "no-id", "no-type", "no-length", "no-date", "bad-length", "short-length",
                      "long-length", "no-http", "bad-status", "http-no-blank", "chunked", "bad-gzip-encoding",
                      "revisit", "version", "bad-header-line", "weird-uri", "empty-block", "many-headers",
                      "binary-html", "no-content-type", "only-warcinfo"])
    kw: dict[str, object] = {}
    block = http_block(page)
    if how.startswith("no-") and how not in ("no-http", "no-content-type"):
        if how == "no-uri":
            kw["uri"] = None
        else:
            kw["drop"] = ({"no-id": "WARC-Record-ID", "no-type": "WARC-Type", "no-length": "Content-Length",
                           "no-date": "WARC-Date"}[how],)
    elif how == "bad-length":
        kw["length"] = rng.choice(["-1", "abc", "1e3", "", " 12", "99999999999999999999", "0x10", "+5", "1.5"])
    elif how == "short-length":
        kw["length"] = str(max(0, len(block) - rng.randint(1, 200)))
    elif how == "long-length":
        kw["length"] = str(len(block) + rng.choice([1, 10, 10_000, 2**31]))
    elif how == "no-http":
        block = page
    elif how == "bad-status":
        block = http_block(page, status=rng.choice(["HTTP/1.1", "", "HTTP/9 999 X", "garbage", "HTTP/1.1 200 OK\x00"]))
    elif how == "http-no-blank":
        block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + page
    elif how == "chunked":
        block = http_block(rng.choice([b"zz\r\n" + page, b"5\r\nab", b"ffffffffffffffff\r\n" + page]),
                           extra=["Transfer-Encoding: chunked"], content_length=False)
    elif how == "bad-gzip-encoding":
        block = http_block(rng.choice([b"\x1f\x8b\x08\x00garbage", gzip.compress(page)[:40], page]),
                           extra=["Content-Encoding: " + rng.choice(["gzip", "br", "deflate", "x-unknown"])])
    elif how == "revisit":
        block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
        records = [warc_record("revisit", block, n=1, extra=["WARC-Profile: http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"])]
        return warc(records, compress=rng.random() < 0.3), rng.choice(["r.warc", None])
    elif how == "version":
        kw["version"] = rng.choice(["WARC/0.17", "WARC/2.0", "WARC/1.1", "WARC/", "WARC/1.0 extra", "warc/1.0"])
    elif how == "bad-header-line":
        kw["extra"] = [rng.choice(["no colon here", ": empty name", "X-A:\x00", "WARC-Target-URI: second",
                                   "X: " + "a" * 70000, "\udcff: x"])]
    elif how == "weird-uri":
        kw["uri"] = rng.choice(["", " ", "javascript:alert(1)", "not a uri", "http://[::1", "http://ex\u00e4mple.org/\u202e",
                                "a" * 100000, "<https://example.org/x>", "http://example.org/%ff%fe", "\x00"])
    elif how == "empty-block":
        block = b""
    elif how == "many-headers":
        block = http_block(page, extra=[f"X-H{i}: v" for i in range(rng.choice([100, 5000]))])
    elif how == "binary-html":
        block = http_block(rng.randbytes(2000))
    elif how == "no-content-type":
        kw["content_type"] = None
    elif how == "only-warcinfo":
        return warc([warc_record("warcinfo", b"software: x\r\n", uri=None, n=1)]), rng.choice(["i.warc", None])
    rec = warc_record("response", block, n=7, **kw)  # type: ignore[arg-type]
    records = [warc_record("warcinfo", b"software: fuzz\r\n", uri=None, n=1, content_type="application/warc-fields"), rec]
    if rng.random() < 0.5:
        records.append(warc_record("response", http_block(html_page()), n=8))
    compress = rng.random() < 0.35
    data = warc(records, compress=compress)
    if rng.random() < 0.25:
        data = data[: _pos(rng, data)]  # truncated (gzip or not)
    name = rng.choice(["b.warc.gz" if compress else "b.warc", None, "b.warc"])
    return data, name


def gen_warc_gzip(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    """Gzipped WARCs broken at the gzip layer: truncated, corrupted, concatenated with junk, a bomb."""
    data = SEEDS["warc-gz"][0]
    how = rng.choice(["truncate", "flip", "junk-tail", "junk-between", "plain-then-gz", "bomb", "empty-member"])
    if how == "truncate":
        data = data[: rng.randrange(2, len(data))]
    elif how == "flip":
        data = _bitflip(rng, data[:10]) + _bitflip(rng, data[10:])
    elif how == "junk-tail":
        data = data + rng.randbytes(rng.randint(1, 100))
    elif how == "junk-between":
        recs = [gzip.compress(r, mtime=0) for r in (warc_record("response", http_block(html_page()), n=1),
                                                    warc_record("response", http_block(html_page("B", BODY2)), n=2))]
        data = recs[0] + rng.randbytes(rng.randint(1, 30)) + recs[1]
    elif how == "plain-then-gz":
        data = warc_record("response", http_block(html_page()), n=1) + gzip.compress(warc_record("response", http_block(html_page("B", BODY2)), n=2))
    elif how == "bomb":
        size = min(max(limit, 1_000_000), 60_000_000)
        data = _gzip_bomb(size)
    else:
        data = gzip.compress(b"", mtime=0) + data
    return data, rng.choice(["g.warc.gz", None, "g.warc"])


_BOMBS: dict[int, bytes] = {}


def _gzip_bomb(size: int) -> bytes:
    """A gzipped WARC whose one HTML record holds ``size`` bytes (compressed, a few kB per MB)."""
    if size not in _BOMBS:
        head = ("WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\nWARC-Target-URI: http://x/\r\n"
                "Content-Type: application/http; msgtype=response\r\n").encode()
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>"
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)
        out = [comp.compress(head + f"Content-Length: {len(http) + size}\r\n\r\n".encode() + http)]
        chunk = b"a" * 1_000_000
        for _ in range(size // len(chunk)):
            out.append(comp.compress(chunk))
        out.append(comp.compress(b"\r\n\r\n"))
        out.append(comp.flush())
        _BOMBS[size] = b"".join(out)
    return _BOMBS[size]


def gen_huge_lines(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    n = min(limit, rng.choice([100_000, 1_000_001, 2_000_000, 4_000_000]))
    how = rng.choice(["text-one-line", "jsonl-one-line", "many-blank-lines", "many-short-lines", "title-huge",
                      "html-one-para", "json-huge-title"])
    if how == "text-one-line":
        return ("Title\n\n" + ("word " * (n // 5))).encode(), rng.choice(["h.txt", None])
    if how == "jsonl-one-line":
        return (json.dumps(json_record("killed " * (n // 7))) + "\n").encode(), rng.choice(["h.jsonl", None])
    if how == "many-blank-lines":
        return (b"\n" * n) + text_article(), rng.choice(["h.txt", "h.jsonl", None])
    if how == "many-short-lines":
        return b"a\n" * (n // 2), rng.choice(["h.txt", "h.jsonl", None])
    if how == "title-huge":
        return ("T" * n + "\n\n" + BODY).encode(), rng.choice(["h.txt", None])
    if how == "json-huge-title":
        return json.dumps(json_record(BODY, title="t" * n)).encode(), rng.choice(["h.json", None])
    return html_page(body="Shelling " * (n // 9)), rng.choice(["h.html", None])


def pathological_text(rng: random.Random, limit: int) -> str:
    """Texts that stress the extractor: repeated cue words, sentences without end, giant sizes."""
    how = rng.choice(["cue-repeat", "cue-mix", "no-punct", "giant", "place-list", "numbers", "long-token",
                      "combining", "dates", "quotes", "many-sentences", "unicode-soup", "newlines"])
    n = rng.choice([200, 1000, 2000, 5000])
    if how == "cue-repeat":
        return (rng.choice(CUE_WORDS) + " ") * n
    if how == "cue-mix":
        return " ".join(rng.choice(CUE_WORDS) for _ in range(n)) + "."
    if how == "no-punct":
        return " ".join(rng.choice(WORDS) for _ in range(rng.choice([2000, 10000, 50000])))
    if how == "giant":
        size = min(limit, rng.choice([1_000_001, 2_000_000]))
        return (BODY2 + " ") * (size // (len(BODY2) + 1) + 1)
    if how == "place-list":
        return "Fighting was reported in " + ", ".join(rng.choice(["Aleppo", "Homs", "Idlib", "Kano", "Goma", "Gao"])
                                                      for _ in range(n)) + "."
    if how == "numbers":
        return rng.choice(["At least 99999999999999999999999 people were killed.",
                           "Between 10 and " + "9" * 400 + " people were killed in Gao.",
                           " ".join(str(rng.randrange(10**6)) for _ in range(n)) + " killed.",
                           "At least 1e308 killed and " + "1," * 500 + "000 wounded."])
    if how == "long-token":
        return "Killed " + "a" * rng.choice([10_000, 100_000]) + " in Aleppo."
    if how == "combining":
        return "Killed in Alep" + "\u0301" * n + "po on Tuesday."
    if how == "dates":
        return " ".join(rng.choice(["on 31/02/99999", "on Tuesday", "in 0000", "on 00/00/0000", "March 99, 2024",
                                    "at 25:99", "yesterday", "in the year 10000"]) for _ in range(n // 10)) + " killed."
    if how == "quotes":
        return ('"' + "killed " * (n // 4)) * 3
    if how == "many-sentences":
        return " ".join(f"{rng.choice(WORDS).capitalize()} {rng.choice(CUE_WORDS)}." for _ in range(n * 2))
    if how == "newlines":
        return ("killed\n" * n) + ("\n" * n)
    points = [32, 0x2FF, 0x600, 0x6FF, 0x4E00, 0x4FFF]
    soup = [chr(rng.choice([rng.randrange(points[0], points[1]), rng.randrange(points[2], points[3]),
                            rng.randrange(points[4], points[5]), 0x200B, 0x202E, 0xFEFF, 0x1F4A5]))
            if rng.random() < 0.9 else " " for _ in range(n)]
    return "".join(soup)


def gen_pathological(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    text = pathological_text(rng, limit)
    fmt = rng.choice(["text", "json", "jsonl", "html"])
    if fmt == "text":
        return f"Title\n\n{text}".encode(), rng.choice(["p.txt", None])
    if fmt == "json":
        return json.dumps(json_record(text)).encode(), "p.json"
    if fmt == "jsonl":
        return (json.dumps(json_record(text)) + "\n").encode(), "p.jsonl"
    return html_page(body=text), "p.html"


def gen_html_hostile(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    how = rng.choice(["deep", "charset", "unclosed", "scripts", "meta-dates", "entities", "huge-attr", "frameset",
                      "no-body", "comment-bomb"])
    if how == "deep":
        depth = max(10, min(limit // 12, rng.choice([500, 3000, 10000, 100000])))
        return ("<html><body>" + _nested_markup(rng, depth) + "<p>" + BODY2 + "</p></body></html>").encode(), "d.html"
    if how == "charset":
        cs = rng.choice(["bogus", "utf-16", "utf-32", "iso-2022-jp", "x-user-defined", "utf-7", "cp037", ""])
        return html_page().replace(b'charset="utf-8"', f'charset="{cs}"'.encode()), rng.choice(["c.html", None])
    if how == "unclosed":
        return ("<html><body>" + "<p><b><i><table><tr><td>" * 200 + BODY2).encode(), "u.html"
    if how == "scripts":
        return html_page(body="<script>" + "a" * 10000 + "</script>" + BODY2), "s.html"
    if how == "meta-dates":
        dates = FEED_DATES + [v for v in PUBLISHED_VALUES if isinstance(v, str)]
        return html_page(date=rng.choice(dates)), rng.choice(["m.html", None])
    if how == "entities":
        return html_page(body=BODY2 + " " + "".join(rng.choice(CHAR_REFS) for _ in range(20))), "e.html"
    if how == "huge-attr":
        return html_page().replace(b"<article>", b'<article class="' + b"x" * min(limit, 1_000_000) + b'">'), "a.html"
    if how == "frameset":
        return b"<html><frameset><frame src='x'></frameset></html>", "f.html"
    if how == "no-body":
        return b"<html><head><title>" + TITLE.encode() + b"</title></head></html>", "n.html"
    return ("<html><body><!--" + "-" * 10000 + "<p>" + BODY2 + "</p></body></html>").encode(), "c.html"


def gen_bom_whole(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    """A whole document in UTF-16/32 (with or without BOM) or with a UTF-8 BOM."""
    seed = rng.choice(["text", "json", "jsonl", "rss", "html"])
    data, name = SEEDS[seed]
    enc = rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig", "utf-8-sig-twice"])
    if enc == "utf-8-sig-twice":
        return b"\xef\xbb\xbf\xef\xbb\xbf" + data, rng.choice([name, None])
    return data.decode().encode(enc), rng.choice([name, None])


def gen_text_layout(rng: random.Random, limit: int) -> tuple[bytes, str | None]:
    """Plain-text layouts at the edges: only a title, only blank lines, header lines, odd whitespace."""
    return rng.choice([
        b"Title only\n", b"\n\n\n", b"   \t  ", b"Title\n\nBy Mara Voss\n", b"Title\nBy Mara Voss\n\n",
        b"Title\n\nTranslated by Ali Haddad\nBy Mara Voss\n\n" + BODY.encode(), b"\n\nTitle\n\n\n\nBody text here.",
        "\u00a0\u2003\u3000\n\u3000".encode(), b"\x0c\x0b\x1c\x1d\x1e", "Title\u2028\u2029Body".encode(),
        b"T" * 301 + b"\n\n" + BODY.encode(), b"by\n\nby", b"\r\r\r\r", b"Title\r\rBody\r",
        ("a\n" * 10 + "\n").encode(), b"Title\n\n" + b"\t" * 1000, b"\xc2\xa0\n\n\xc2\xa0",
    ]), rng.choice(["t.txt", None, "t.md"])


READER_GENERATORS: dict[str, Gen] = {
    "valid": gen_valid,
    "random-bytes": gen_random_bytes,
    **{f"mutate-{seed}": _mutation_gen(seed) for seed in SEEDS},
    "deep-json": gen_deep_json,
    "huge-number": gen_huge_number,
    "wrong-types": gen_wrong_types,
    "json-escapes": gen_json_escapes,
    "feed-charref": gen_feed_charref,
    "feed-date": gen_feed_date,
    "feed-nul": gen_feed_nul,
    "feed-encoding": gen_feed_encoding,
    "feed-deep": gen_feed_deep,
    "feed-mixed": gen_feed_mixed,
    "warc-broken": gen_warc_broken,
    "warc-gzip": gen_warc_gzip,
    "huge-lines": gen_huge_lines,
    "pathological-text": gen_pathological,
    "html-hostile": gen_html_hostile,
    "bom-whole": gen_bom_whole,
    "text-layout": gen_text_layout,
}

#: Relative weights: cheap, varied generators often; the ones that make megabytes rarely.
READER_WEIGHTS: dict[str, float] = {name: 4.0 for name in READER_GENERATORS}
READER_WEIGHTS.update({"valid": 2.0, "random-bytes": 6.0, "huge-lines": 0.15, "feed-deep": 0.25,
                       "pathological-text": 1.0, "text-layout": 1.0, "bom-whole": 1.5, "warc-gzip": 2.0,
                       "html-hostile": 2.0})


@dataclass
class Case:
    """One reader input: bytes, the file name given with them, and how they were made."""

    generator: str
    seed: int
    data: bytes
    filename: str | None

    def __repr__(self) -> str:  # short, for hypothesis' falsifying-example output
        head = self.data[:120]
        return f"Case({self.generator!r}, seed={self.seed}, filename={self.filename!r}, {len(self.data)} bytes: {head!r}...)"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))


def pick_generator(rng: random.Random, names: list[str] | None = None) -> str:
    names = names or list(READER_GENERATORS)
    return rng.choices(names, weights=[READER_WEIGHTS.get(n, 1.0) for n in names])[0]


def reader_case(generator: str, seed: int, limit: int) -> Case:
    """The input generator ``generator`` makes from ``seed`` (the same bytes on every machine)."""
    rng = random.Random(f"{generator}:{seed}")
    data, name = READER_GENERATORS[generator](rng, limit)
    return Case(generator, seed, data, name)


# --- folders for read_inputs and `conflictwire ingest` --------------------------------------------

SIDECARS: list[bytes] = [
    b'{"a.txt": {"published": ' + b"1" * 5000 + b"}}",
    b'{"a.txt": {"published": "2024-01-01", "outlet": ' + b"9" * 5000 + b"}}",
    b"[" * 5000 + b"]" * 5000,
    b'{"a.txt": ' + b'{"x":' * 3000 + b"1" + b"}" * 3000 + b"}",
    b'{"a.txt": {"published": "0000-00-00"}}',
    b'{"a.txt": {"published": "99999-01-01"}}',
    b'{"a.txt": {"published": 12345}}',
    b'{"a.txt": {"published": {"y": 1}, "outlet": [1, 2]}}',
    b'{"a.txt": "2024-01-01"}',
    b'["a.txt"]',
    b"\xef\xbb\xbf{}",
    b'{"a.txt": {"outlet": "\\ud800"}}',
    b'{"\\ud800.txt": {"outlet": "x"}}',
    b'{"a.txt": {"published": "2024-01-01\\u0000"}}',
    b"\xff\xfe{}",
    b"",
    b"{",
    b'{"a.txt": {"published": NaN, "outlet": Infinity}}',
    b'{"a.txt": {"published": "2024-01-01", "url": 1e999999}}',
]


@dataclass
class Folder:
    """A folder tree to write: files (relative path -> bytes), named pipes, links; the good files' names."""

    files: dict[str, bytes] = field(default_factory=dict)
    fifos: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # link path -> target (relative to the link's folder)
    good: list[str] = field(default_factory=list)
    raw_names: dict[str, bytes] = field(default_factory=dict)  # relative path -> bytes name (not UTF-8)
    generator: str = "folder"
    seed: int = 0

    def write(self, root: str) -> None:
        import os

        for rel, data in self.files.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if rel in self.raw_names:
                path = os.path.join(os.fsencode(os.path.dirname(path)), self.raw_names[rel])  # type: ignore[assignment]
            with open(path, "wb") as f:
                f.write(data)
        for rel in self.fifos:
            os.mkfifo(os.path.join(root, rel))
        for rel, target in self.links.items():
            os.symlink(target, os.path.join(root, rel))

    def to_json(self) -> str:
        return json.dumps({"files": {k: base64.b64encode(v).decode() for k, v in self.files.items()},
                           "fifos": self.fifos, "links": self.links, "good": self.good,
                           "raw_names": {k: base64.b64encode(v).decode() for k, v in self.raw_names.items()},
                           "generator": self.generator, "seed": self.seed}, indent=1)


def same_path(name: str, path: str) -> bool:
    """Whether an item's source names the file ``path`` (or an item of it, ``path#N``), allowing a
    name that is not UTF-8 to be spelt with escapes (``caf\\xe9``) instead of surrogates."""
    def norm(s: str) -> str:
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")

    name, path = norm(name), norm(path)
    return name == path or name.startswith(path + "#")


def good_articles(tag: str) -> dict[str, bytes]:
    """One valid input of each format, each with its own text (so none is a copy of another)."""
    b1 = f"{BODY2} The attack on the market, case {tag}, was the third this month."
    b2 = f"{BODY3} Organisers said the march, case {tag}, would go on."
    b3 = f"{BODY} The market, case {tag}, had reopened only last month."
    return {
        f"good-{tag}.txt": text_article(f"Market attack {tag}", b1),
        f"good-{tag}.html": html_page(f"Shelling in Northtown {tag}", b3),
        f"good-{tag}.json": json_object(f"{b2} Object {tag}."),
        f"good-{tag}.jsonl": jsonl((f"{b1} Line one {tag}.", f"{b2} Line two {tag}.")),
        f"good-{tag}.rss": rss([rss_item(f"Feed item {tag}", f"{b3} Feed {tag}.", guid=f"urn:{tag}")]),
        f"good-{tag}.atom": atom([atom_entry(f"Atom entry {tag}", f"{b1} Atom {tag}.", eid=f"urn:a{tag}")]),
        f"good-{tag}.warc": warc([warc_record("response", http_block(html_page(f"Warc page {tag}", f"{b2} Warc {tag}.")),
                                              uri=f"https://example.org/{tag}")]),
    }


def folder_case(seed: int, limit: int, n_bad: int = 6, fifo: bool | None = None, sidecar: bool | None = None) -> Folder:
    """A folder of good articles of each format mixed with hostile files, a sidecar, links and pipes."""
    rng = random.Random(f"folder:{seed}")
    folder = Folder(seed=seed)
    goods = good_articles(f"s{seed}")
    for name in rng.sample(sorted(goods), rng.randint(2, len(goods))):
        sub = rng.choice(["", "", "sub/", "sub/deeper/"])
        folder.files[sub + name] = goods[name]
        folder.good.append(sub + name)
    for i in range(n_bad):
        gen = pick_generator(rng)
        case = reader_case(gen, rng.randrange(2**32), min(limit, 200_000))
        ext = ""
        if case.filename and "." in case.filename:
            ext = case.filename[case.filename.index("."):]
        folder.files[f"{rng.choice(['', 'sub/'])}bad-{i}-{gen}{ext}"] = case.data
    if sidecar if sidecar is not None else rng.random() < 0.4:
        folder.files["conflictwire-meta.json"] = rng.choice(SIDECARS)
        folder.files["a.txt"] = text_article("Sidecar file", f"{BODY3} Sidecar case s{seed}.")
        folder.good.append("a.txt")
    if fifo if fifo is not None else rng.random() < 0.05:
        folder.fifos.append(rng.choice(["pipe.txt", "pipe", "sub-pipe.jsonl"]))
    if rng.random() < 0.3:
        folder.links.update(rng.choice([{"loop": "."}, {"dangling.txt": "missing-target.txt"}, {"self.txt": "self.txt"},
                                        {"dev.txt": "/dev/zero"}, {"up": ".."}]))
    if rng.random() < 0.3:
        rel = f"good-latin1-name-s{seed}.txt"
        folder.files[rel] = text_article("Odd name", f"{BODY2} File name case s{seed}.")
        folder.raw_names[rel] = b"caf\xe9-" + rel.encode()
        folder.good.append(rel)
    return folder


# --- JSONL record lines for `extract` / `geoparse` --------------------------------------------------

RecordGen = Callable[[random.Random, int], bytes]


def _dump(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")


def rec_valid(rng: random.Random, limit: int) -> bytes:
    return _dump(json_record(rng.choice([BODY, BODY2, BODY3]), id=f"v-{rng.randrange(1000)}"))


def rec_wrong_types(rng: random.Random, limit: int) -> bytes:
    return _dump(wrong_type_record(rng))


def rec_escapes(rng: random.Random, limit: int) -> bytes:
    return gen_json_escapes(rng, limit)[0]


def rec_invalid_utf8(rng: random.Random, limit: int) -> bytes:
    line = rec_valid(rng, limit)
    return _insert(rng, line, rng.choice(INVALID_UTF8))


def rec_huge_number(rng: random.Random, limit: int) -> bytes:
    fld = rng.choice(["id", "title", "published", "extra", "text"])
    return b'{"id": "h", "text": ' + json.dumps(BODY2).encode() + b', "' + fld.encode() + b'": ' + _huge_number(rng).encode() + b"}"


def rec_deep(rng: random.Random, limit: int) -> bytes:
    depth = min(limit // 4, rng.choice([1000, 3000, 20000, 100000]))
    where = rng.choice(["line", "extra", "id", "text", "title"])
    nest = "[" * depth + "]" * depth
    if where == "line":
        return nest.encode()
    return ('{"id": "d", "text": ' + (nest if where == "text" else json.dumps(BODY2)) + (f', "{where}": {nest}' if where != "text" else "") + "}").encode()


def rec_not_object(rng: random.Random, limit: int) -> bytes:
    return rng.choice([b"[]", b'"text"', b"5", b"null", b"true", b"[{\"text\": \"a\"}]", b"{", b"{}", b'{"text": null}',
                       b'{"text": ""}', b'{"text": "   "}', b'{"text": "a", "text": 5}', b"\xef\xbb\xbf{\"text\": \"Gunmen killed two.\"}",
                       b'{"text": "Gunmen killed two."}\r', b'{"text": "x"} trailing', b"NaN", b'{"id": NaN, "text": "Two killed."}',
                       b'{"id": Infinity, "text": "Two killed."}', b"\x00", b'{"text": "a\x00b"}', b"\x1b[2J"])


def rec_pathological(rng: random.Random, limit: int) -> bytes:
    return _dump(json_record(pathological_text(rng, limit), id="p"))


def rec_mutated(rng: random.Random, limit: int) -> bytes:
    return mutate(rng, rec_valid(rng, limit)).replace(b"\n", b" ")


def rec_spans(rng: random.Random, limit: int) -> bytes:
    """A geoparse record with hostile spans (extract ignores the field)."""
    text = rng.choice([BODY, BODY2, "Fighting in Aleppo and Idlib."])
    n = len(text)
    spans = rng.choice([
        [{"start": -1, "end": 5}], [{"start": 10, "end": 2}], [{"start": 0, "end": n + 100}], [{"start": "3", "end": "9"}],
        [{"start": 1.5, "end": 4.5}], [{"start": 10**30, "end": 10**31}], [{"start": None, "end": None}],
        [{"start": True, "end": False}], "abc", {}, 5, [[1, 2]], [{"start": 0}], [{"start": 3, "end": 3}],
        [{"start": 0, "end": 5}] * rng.choice([1000, 10000]), [{"start": float("nan"), "end": 1}], [],
        [{"start": -(10**30), "end": 2}], [{"start": 0, "end": n}], [{"start": "1e3", "end": "x"}],
    ])
    return json.dumps({"id": "g", "text": text, "spans": spans}).encode()


RECORD_GENERATORS: dict[str, RecordGen] = {
    "valid": rec_valid, "wrong-types": rec_wrong_types, "escapes": rec_escapes, "invalid-utf8": rec_invalid_utf8,
    "huge-number": rec_huge_number, "deep": rec_deep, "not-object": rec_not_object, "pathological": rec_pathological,
    "mutated": rec_mutated, "spans": rec_spans,
}
RECORD_WEIGHTS = {"valid": 2.0, "wrong-types": 4.0, "escapes": 3.0, "invalid-utf8": 2.0, "huge-number": 2.0, "deep": 1.5,
                  "not-object": 2.0, "pathological": 1.0, "mutated": 3.0, "spans": 2.0}


@dataclass
class RecordCase:
    generator: str
    seed: int
    line: bytes

    def __repr__(self) -> str:
        return f"RecordCase({self.generator!r}, seed={self.seed}, {len(self.line)} bytes: {self.line[:160]!r}...)"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))


def record_case(generator: str, seed: int, limit: int) -> RecordCase:
    rng = random.Random(f"record:{generator}:{seed}")
    return RecordCase(generator, seed, RECORD_GENERATORS[generator](rng, limit))


def pick_record_generator(rng: random.Random, names: list[str] | None = None) -> str:
    names = names or list(RECORD_GENERATORS)
    return rng.choices(names, weights=[RECORD_WEIGHTS.get(n, 1.0) for n in names])[0]


def input_lines(data: bytes) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """The lines of JSONL input, split at LF (a CR before it dropped; JSON Lines has no other line
    break), read three ways, each a fair reading of "one output line per input line": (the non-blank
    lines as bytes, the lines non-blank also to ``str.strip`` (a line of only U+3000 or U+0085 is blank
    to it), every line (blank ones answered with an error))."""
    lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in data.split(b"\n")]
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last line starts no line
    as_bytes = [ln for ln in lines if ln.strip()]
    both = [ln for ln in as_bytes if ln.decode("utf-8", "surrogateescape").strip()]
    return as_bytes, both, lines


# --- API bodies -------------------------------------------------------------------------------------

@dataclass
class ApiCase:
    generator: str
    seed: int
    body: bytes
    content_type: str | None

    def __repr__(self) -> str:
        return f"ApiCase({self.generator!r}, seed={self.seed}, {self.content_type!r}, {len(self.body)} bytes: {self.body[:160]!r}...)"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))


def api_case(seed: int, limit: int) -> ApiCase:
    rng = random.Random(f"api:{seed}")
    kinds = ["record", "records", "array-many", "raw", "empty", "content-type", "deep", "huge-text", "bad-json"]
    how = rng.choices(kinds, weights=[4, 2, 1, 1, 1, 1, 1, 0.3, 1])[0]
    ctype: str | None = "application/json"
    if how == "record":
        gen = pick_record_generator(rng, [n for n in RECORD_GENERATORS if n != "pathological" or limit > 100_000])
        body = RECORD_GENERATORS[gen](rng, min(limit, 200_000))
        how = f"record-{gen}"
    elif how == "records":
        lines = [RECORD_GENERATORS[pick_record_generator(rng, ["valid", "wrong-types", "escapes", "huge-number", "not-object"])](rng, 10_000)
                 for _ in range(rng.randint(1, 4))]
        body = b"[" + b", ".join(lines) + b"]"
    elif how == "array-many":
        n = rng.choice([0, 20, 1001, 5000])
        body = json.dumps([{"text": f"Two killed in Gao, case {i}."} for i in range(n)]).encode()
    elif how == "raw":
        body = rng.randbytes(rng.randint(0, 300))
    elif how == "empty":
        body = rng.choice([b"", b" ", b"null", b"{}", b"[]", b'""', b"0"])
    elif how == "content-type":
        body = rec_valid(rng, limit)
        ctype = rng.choice([None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                            "application/json; charset=latin-1", "application/json; charset=bogus", "application/xml", "*/*"])
    elif how == "deep":
        body = rec_deep(rng, limit)
    elif how == "huge-text":
        body = json.dumps({"text": "Shelling in Gao. " * (min(limit, 1_200_000) // 17)}).encode()
    else:
        body = rng.choice([b"{", b'{"text": "a"', b"[1,2", b'{"text": "\\x"}', b'{"text": "\\ud800"}', b"\xff\xfe",
                           b'{"text": "Gao", "published": "2024-02-30"}', b'{"text": "Gao killed 2", "title": "\\udfff"}'])
    return ApiCase(how, seed, body, ctype)


# --- contracts: what the outputs must look like ----------------------------------------------------

REPORT_KEYS = {"event_type", "sub_event_type", "confidence", "actor1", "actor2", "associated_actors", "location",
               "date", "fatalities", "quantities", "claimant", "modality", "evidence", "why_empty"}
MODALITIES = {"asserted", "reported", "hedged", "denied"}


def strict_json(line: str) -> Any:
    def bad_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(line, parse_constant=bad_constant)


def _parse_input_line(line: bytes) -> tuple[bool, Any]:
    """(must this line be an error, its record if it is a JSON object). NaN and Infinity are not JSON,
    though Python reads them: such a line may be refused or read, and its record is not looked at."""
    try:
        text = line.decode("utf-8").removeprefix("\ufeff")  # a BOM may be accepted
        rec = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return True, None
    try:
        strict_json(text)
    except ValueError:
        return False, None
    if not isinstance(rec, dict):
        return True, None
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        return True, rec
    return False, rec


def check_jsonl_output(command: str, data: bytes, exit_code: int, stdout: str, stderr: str) -> list[str]:
    """Violations of the extract / geoparse contract for one run over ``data``."""
    problems: list[str] = []
    if exit_code not in (0, 1):
        problems.append(f"exit status {exit_code}")
    if "Traceback (most recent call last)" in stderr:
        problems.append("traceback on stderr")
    out_lines = stdout.split("\n")
    if out_lines and out_lines[-1] == "":
        out_lines.pop()
    as_bytes, both, every = input_lines(data)
    raw_lines = next((r for r in (as_bytes, both, every) if len(r) == len(out_lines)), as_bytes)
    in_lines = raw_lines
    if len(out_lines) != len(in_lines):
        problems.append(f"{len(out_lines)} output lines for {len(in_lines)} input lines")
    any_error = False
    for n, (raw, out) in enumerate(zip(raw_lines, out_lines), start=1):
        try:
            obj = strict_json(out)
        except (ValueError, RecursionError) as exc:
            problems.append(f"line {n}: output is not JSON ({str(exc)[:80]})")
            continue
        if not isinstance(obj, dict):
            problems.append(f"line {n}: output is not an object")
            continue
        listed = "reports" if command == "extract" else "places"
        missing = {"id", listed, "error"} - set(obj)
        if missing:
            problems.append(f"line {n}: output lacks {sorted(missing)}")
            continue
        must_fail, rec = _parse_input_line(raw)
        err = obj["error"]
        if err is not None:
            any_error = True
            if not (isinstance(err, dict) and isinstance(err.get("code"), str) and isinstance(err.get("message"), str)):
                problems.append(f"line {n}: error is not {{code, message}}: {str(err)[:80]}")
            elif err["code"] not in DOCUMENTED_CODES:
                problems.append(f"line {n}: undocumented error code {err['code']!r}")
            if obj[listed]:
                problems.append(f"line {n}: an error line with {listed}")
        elif must_fail:
            problems.append(f"line {n}: no error for an input line that is not a record with text")
        if not isinstance(obj[listed], list):
            problems.append(f"line {n}: {listed} is not a list")
            continue
        rid = rec.get("id") if isinstance(rec, dict) else None
        plain_id = (isinstance(rid, int) and not isinstance(rid, bool)) or (
            isinstance(rid, str) and not any("\ud800" <= ch <= "\udfff" for ch in rid))
        parsed = err is None or (isinstance(err, dict) and err.get("code") in ("invalid-field", "missing-field", "no-text"))
        if plain_id and parsed and obj["id"] != rid:
            problems.append(f"line {n}: id {str(obj['id'])[:40]!r} is not the input's {str(rec['id'])[:40]!r}")
        text = rec.get("text") if isinstance(rec, dict) else None
        if command == "extract":
            problems += [f"line {n}: {p}" for p in _check_reports(obj["reports"], text)]
        else:
            problems += [f"line {n}: {p}" for p in _check_places(obj["places"], text, rec, err)]
    expected_exit = 1 if any_error else 0
    if exit_code in (0, 1) and len(out_lines) == len(in_lines) and exit_code != expected_exit:
        problems.append(f"exit status {exit_code} where the lines say {expected_exit}")
    return problems


def _check_reports(reports: list[Any], text: Any) -> list[str]:
    problems = []
    for r in reports:
        if not isinstance(r, dict):
            problems.append("a report is not an object")
            continue
        missing = REPORT_KEYS - set(r)
        if missing:
            problems.append(f"report lacks {sorted(missing)}")
            continue
        conf = r["confidence"]
        if not isinstance(conf, int | float) or not 0 <= conf <= 1:
            problems.append(f"confidence {conf!r}")
        if r["modality"] not in MODALITIES:
            problems.append(f"modality {r['modality']!r}")
        for ev in r["evidence"] or []:
            s, e = ev.get("start"), ev.get("end")
            if not (isinstance(s, int) and isinstance(e, int) and 0 <= s <= e <= (len(text) if isinstance(text, str) else 0)):
                problems.append(f"evidence span {s!r}..{e!r} outside the text")
                break
    return problems


def _check_places(places: list[Any], text: Any, rec: Any, err: Any) -> list[str]:
    problems = []
    n = len(text) if isinstance(text, str) else 0
    spans = rec.get("spans") if isinstance(rec, dict) else None
    if err is None and isinstance(spans, list) and len(places) != len(spans):
        problems.append(f"{len(places)} places for {len(spans)} spans")
    for p in places:
        if not isinstance(p, dict) or not {"start", "end"} <= set(p):
            problems.append("a place without start/end")
            break
        if spans is None and not (isinstance(p["start"], int) and isinstance(p["end"], int) and 0 <= p["start"] <= p["end"] <= n):
            problems.append(f"place span {p['start']!r}..{p['end']!r} outside the text")
            break
    return problems


def check_api_response(status: int, text: str) -> list[str]:
    """Violations of the API's promises for one POST /api/articles answer: never a 5xx, errors as
    ``{"error": {"code", "message"}}``, success as ``{"accepted", "result"}``, no stack trace."""
    problems = []
    if status >= 500:
        problems.append(f"HTTP {status}: {text[:200]}")
    if "Traceback" in text:
        problems.append("traceback in the response")
    try:
        body = strict_json(text)
    except (ValueError, RecursionError):
        return problems + [f"HTTP {status} body is not JSON: {text[:100]!r}"]
    if status >= 400:
        err = body.get("error") if isinstance(body, dict) else None
        if not (isinstance(body, dict) and set(body) == {"error"} and isinstance(err, dict)
                and isinstance(err.get("code"), str) and isinstance(err.get("message"), str)):
            problems.append(f"error body is not {{error: {{code, message}}}}: {text[:120]}")
    elif not (isinstance(body, dict) and isinstance(body.get("accepted"), int) and isinstance(body.get("result"), dict)):
        problems.append(f"success body is not {{accepted, result}}: {text[:120]}")
    return problems
