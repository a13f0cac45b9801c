"""Tests of the ingest stage: every format, every bad input, stdin, folders, copy detection."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from conflictwire.ingest import ArticleDefaults, read_inputs
from conflictwire.ingest.copies import credited_source, fingerprint, is_near_duplicate, similarity
from conflictwire.ingest.errors import FingerprintError
from conflictwire.model import Article, InputError, RawInput

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "examples" / "seed-article.txt"

# Fictional reports written for these tests.
SHELLING = (
    "Artillery shells struck the central market of Northtown on Tuesday morning, killing at least "
    "four people and wounding eleven, local medics said. The regional governor blamed the Eastern "
    "Brigade for the attack, which the group denied in a statement posted online. Residents said the "
    "shelling began shortly after dawn and lasted for nearly an hour before ambulances could reach "
    "the square."
)
CLASH = (
    "Fighters of the Valley Front and the Hill Guard clashed overnight near the river crossing at "
    "Eastford, a monitoring group said, adding that two fighters were killed."
)
PROTEST = (
    "Several hundred students marched through the capital on Saturday to demand the release of "
    "detained teachers, chanting slogans outside the ministry until police dispersed them peacefully."
)
PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><title>Shelling hits market in Northtown</title>
<meta property="og:site_name" content="Valley Courier">
<meta property="article:published_time" content="2023-03-14T09:30:00+02:00">
<meta name="author" content="Mara Voss"></head>
<body><nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Shelling hits market in Northtown</h1><p>{SHELLING}</p>
<p>The market had reopened only last month after repairs.</p></article>
<footer>Copyright 2024 Valley Courier. All rights reserved.</footer></body></html>"""


def collect(paths: list[str], **kwargs: object) -> tuple[list[tuple[Article, RawInput]], list[InputError]]:
    """Read everything and split articles from errors, asserting nothing else comes out."""
    items = list(read_inputs(paths, **kwargs))  # type: ignore[arg-type]
    good = [i for i in items if isinstance(i, tuple)]
    bad = [i for i in items if isinstance(i, InputError)]
    assert len(good) + len(bad) == len(items)
    return good, bad


def write(path: Path, data: str | bytes) -> str:
    """Write a test file and return its path as a string."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return str(path)


# --- plain text ---------------------------------------------------------------------------


def test_seed_article_layout() -> None:
    (article, raw), = collect([str(SEED)])[0]
    assert article.title == "First Footage of Withdrawal of Militants From East Aleppo"
    assert article.translator == "Ollie Richardson"
    assert article.byline is None
    assert article.text.startswith("The correspondents of Federal News Agency")
    assert "Translated by" not in article.text
    assert article.published is None  # the "Copyright 2022" footer is no publication date
    assert raw.data == SEED.read_bytes()
    assert article.raw_sha256 == raw.sha256 == hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert article.source == str(SEED)
    assert credited_source(article.text) == "Federal News Agency"


def test_text_body_is_kept_as_written(tmp_path: Path) -> None:
    body = "First paragraph,\nwrapped by hand.\n\n\nSecond   paragraph with  spacing."
    path = write(tmp_path / "a.txt", f"\ufeffClash at Eastford\n\nBy Lena de Vries and Omar al-Khatib\n\n{body}\n\n")
    (article, _), = collect([path])[0]
    assert article.title == "Clash at Eastford"
    assert article.byline == "Lena de Vries and Omar al-Khatib"
    assert article.text == body


def test_prose_starting_with_by_is_not_a_byline(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "Town falls\n\nBy nightfall the army had entered the town.\n\nMore text.")
    (article, _), = collect([path])[0]
    assert article.byline is None
    assert article.text.startswith("By nightfall the army")


def test_text_without_title_line_is_all_body(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", CLASH)
    (article, _), = collect([path])[0]
    assert article.title is None
    assert article.text == CLASH


def test_invalid_utf8_names_offset(tmp_path: Path) -> None:
    data = b"Title\n\nCaf\xe9 ruins"
    path = write(tmp_path / "latin1.txt", data)
    good_path = write(tmp_path / "good.txt", f"Clash\n\n{CLASH}")
    good, bad = collect([path, good_path])
    assert [e.code for e in bad] == ["invalid-encoding"]
    assert bad[0].source == path
    offset = data.index(b"\xe9")
    assert f"offset {offset}" in bad[0].message
    assert good[0][0].text == CLASH


# --- HTML -------------------------------------------------------------------------------------


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    path = write(tmp_path / "page.html", PAGE)
    (article, raw), = collect([path])[0]
    assert article.title == "Shelling hits market in Northtown"
    assert article.text.startswith("Artillery shells struck")
    assert "Home" not in article.text and "Copyright" not in article.text
    assert article.outlet == "Valley Courier"
    assert article.byline == "Mara Voss"
    assert article.published == dt.date(2023, 3, 14)
    assert raw.data == PAGE.encode()


def test_html_date_not_guessed_from_footer(tmp_path: Path) -> None:
    page = PAGE.replace('<meta property="article:published_time" content="2023-03-14T09:30:00+02:00">', "")
    (article, _), = collect([write(tmp_path / "page.htm", page)])[0]
    assert article.published is None


def test_txt_that_is_html_is_read_as_html(tmp_path: Path) -> None:
    (article, _), = collect([write(tmp_path / "saved.txt", PAGE)])[0]
    assert article.title == "Shelling hits market in Northtown"
    assert "<p>" not in article.text


# --- JSON -------------------------------------------------------------------------------------


def test_jsonl_lines_with_bad_ones_among_good(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "r-1", "text": SHELLING, "title": "Market shelled", "published": "2023-03-14",
                    "url": "https://example.org/1", "outlet": "Valley Courier", "language": "en"}),
        "",
        '{"id": "r-2", "text": "broken',
        json.dumps({"id": 3, "title": "No text here"}),
        json.dumps({"id": "r-4", "text": CLASH, "published": "2023-03-15T23:10:00-05:00"}),
        json.dumps({"id": "r-5", "text": PROTEST, "published": "next week"}),
    ]
    path = write(tmp_path / "batch.jsonl", "\n".join(lines) + "\n")
    good, bad = collect([path])
    assert [(a.external_id, a.source) for a, _ in good] == [("r-1", f"{path}#1"), ("r-4", f"{path}#5")]
    first = good[0][0]
    assert (first.title, first.published, first.url, first.outlet, first.language) == (
        "Market shelled", dt.date(2023, 3, 14), "https://example.org/1", "Valley Courier", "en")
    assert good[1][0].published == dt.date(2023, 3, 15)  # the date as published, not shifted to UTC
    assert good[0][1].data == lines[0].encode()  # each article archives its own line
    assert good[0][0].raw_sha256 == hashlib.sha256(lines[0].encode()).hexdigest()
    assert [(e.source, e.code) for e in bad] == [
        (f"{path}#3", "malformed-json"), (f"{path}#4", "missing-field"), (f"{path}#6", "invalid-field")]
    assert "line 3" in bad[0].message


def test_json_object_and_array(tmp_path: Path) -> None:
    one = write(tmp_path / "one.json", json.dumps({"id": "x", "text": CLASH}, indent=2))
    many = write(tmp_path / "many.json", json.dumps([{"id": "a", "text": SHELLING}, {"text": 5}, {"id": "c", "text": PROTEST}]))
    good, bad = collect([one, many])
    assert [(a.external_id, a.source) for a, _ in good] == [("x", one), ("a", f"{many}#1"), ("c", f"{many}#3")]
    assert json.loads(good[2][1].data) == {"id": "c", "text": PROTEST}
    assert [(e.source, e.code) for e in bad] == [(f"{many}#2", "invalid-field")]


def test_malformed_json_document(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.json", '{\n  "id": "x",\n  "text": oops\n}')
    _, bad = collect([path])
    assert [(e.source, e.code) for e in bad] == [(path, "malformed-json")]
    assert "line 3" in bad[0].message


# --- feeds ------------------------------------------------------------------------------------

RSS = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Frontline Wire</title><link>https://wire.example</link>
<item><title>Market shelled in Northtown</title><link>https://wire.example/1</link>
<pubDate>Tue, 14 Mar 2023 22:30:00 -0500</pubDate>
<description>&lt;p&gt;{SHELLING}&lt;/p&gt;&lt;p&gt;Second &lt;b&gt;paragraph&lt;/b&gt;.&lt;/p&gt;</description></item>
<item><title>Title only</title><link>https://wire.example/2</link></item>
<item><title>Night clash at Eastford</title><link>https://wire.example/3</link>
<description>{CLASH}</description></item>
</channel></rss>"""

ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Capital Dispatch</title><id>urn:x</id><updated>2023-04-02T10:00:00Z</updated>
<entry><title>Students march</title><id>urn:x:1</id><link href="https://dispatch.example/1"/>
<updated>2023-04-01T18:00:00Z</updated><content type="html">&lt;div&gt;{PROTEST}&lt;/div&gt;</content></entry>
</feed>"""


def test_rss_feed_items(tmp_path: Path) -> None:
    path = write(tmp_path / "feed.xml", RSS)
    good, bad = collect([path])
    assert [a.source for a, _ in good] == [f"{path}#1", f"{path}#3"]
    first = good[0][0]
    assert first.title == "Market shelled in Northtown"
    assert first.text == f"{SHELLING}\n\nSecond paragraph."
    assert first.url == "https://wire.example/1"
    assert first.outlet == "Frontline Wire"
    assert first.published == dt.date(2023, 3, 14)
    assert good[0][1].data.startswith(b"<item>") and b"Northtown" in good[0][1].data
    assert b"Eastford" not in good[0][1].data  # one item's bytes, not the whole feed
    assert [(e.source, e.code) for e in bad] == [(f"{path}#2", "no-text")]


def test_atom_feed_sniffed_without_extension(tmp_path: Path) -> None:
    path = write(tmp_path / "dispatch", ATOM)
    (article, _), = collect([path])[0]
    assert (article.title, article.text, article.url) == ("Students march", PROTEST, "https://dispatch.example/1")
    assert (article.outlet, article.published, article.source) == ("Capital Dispatch", dt.date(2023, 4, 1), f"{path}#1")


# --- WARC -------------------------------------------------------------------------------------


def make_warc(path: Path, compress: bool) -> None:
    """Write a WARC with a warcinfo record, an HTML response, an image response and an empty page."""
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=compress)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        pages = [
            ("https://courier.example/shelling", "text/html; charset=utf-8", PAGE.encode()),
            ("https://courier.example/logo.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00"),
            ("https://courier.example/empty", "text/html", b"<html><body><script>x()</script></body></html>"),
        ]
        for uri, ctype, body in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=headers))


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_warc_html_responses(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    make_warc(path, compress=name.endswith(".gz"))
    good, bad = collect([str(path)])
    (article, raw), = good
    assert article.source == f"{path}#2"
    assert article.url == "https://courier.example/shelling"
    assert article.title == "Shelling hits market in Northtown"
    assert raw.data == PAGE.encode()
    assert [(e.source, e.code) for e in bad] == [(f"{path}#4", "no-text")]


# --- bad inputs -------------------------------------------------------------------------------


def test_each_bad_input_is_named_and_the_batch_goes_on(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.txt", b"")
    binary = write(tmp_path / "photo.txt", b"\x01\x02\x00\x03" * 64)
    no_text = write(tmp_path / "blank.html", "<html><head><title>x</title></head><body><nav></nav></body></html>")
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as f:
        f.truncate(100 * 2**20)  # sparse: no disk is used
    missing = str(tmp_path / "missing.txt")
    good1 = write(tmp_path / "good1.txt", f"Clash at Eastford\n\n{CLASH}")
    good2 = write(tmp_path / "good2.txt", f"Students march\n\n{PROTEST}")
    good, bad = collect([empty, good1, binary, no_text, str(huge), missing, good2])
    assert [a.text for a, _ in good] == [CLASH, PROTEST]
    assert [(e.source, e.code) for e in bad] == [
        (empty, "empty"), (binary, "binary"), (no_text, "no-text"), (str(huge), "too-large"), (missing, "not-found")]
    assert bad[0].message == "file is empty (0 bytes)"
    assert bad[3].message == "file is 104,857,600 bytes, over the 52,428,800-byte limit (--max-bytes)"


def test_too_large_is_rejected_by_stat_without_reading(tmp_path: Path) -> None:
    huge = tmp_path / "huge.jsonl"
    with open(huge, "wb") as f:
        f.truncate(100 * 2**20)
    tracemalloc.start()
    try:
        _, bad = collect([str(huge)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [e.code for e in bad] == ["too-large"]
    assert peak < 2**20  # reading even the first 50 MB would show here


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("Title\n\nBody")
    path.chmod(0)
    try:
        _, bad = collect([str(path)])
    finally:
        path.chmod(0o600)
    assert [e.code for e in bad] == ["unreadable"]


def test_gzip_that_is_not_warc_is_binary(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.gz", gzip.compress(b"just some text"))
    _, bad = collect([path])
    assert [e.code for e in bad] == ["binary"]


# --- stdin, folders, defaults -----------------------------------------------------------------


def test_stdin_is_sniffed(tmp_path: Path) -> None:
    data = "\n".join(json.dumps({"id": f"s{i}", "text": t}) for i, t in enumerate([CLASH, PROTEST])).encode()
    good, bad = collect(["-"], stdin=io.BytesIO(data))
    assert not bad
    assert [(a.external_id, a.source) for a, _ in good] == [("s0", "<stdin>#1"), ("s1", "<stdin>#2")]


def test_stdin_plain_text_and_empty() -> None:
    good, _ = collect(["-"], stdin=io.BytesIO(f"Clash\n\n{CLASH}".encode()))
    assert (good[0][0].title, good[0][0].source) == ("Clash", "<stdin>")
    _, bad = collect(["-"], stdin=io.BytesIO(b""))
    assert [(e.source, e.code) for e in bad] == [("<stdin>", "empty")]


def test_stdin_over_limit() -> None:
    _, bad = collect(["-"], stdin=io.BytesIO(b"x" * 2000), max_bytes=1000)
    assert [e.code for e in bad] == ["too-large"]


def test_folders_recursive_sorted_skip_hidden(tmp_path: Path) -> None:
    root = tmp_path / "in"
    write(root / "b.txt", f"B\n\n{CLASH}")
    write(root / "a" / "z.txt", f"AZ\n\n{SHELLING}")
    write(root / "a" / "deep" / "y.txt", f"ADY\n\n{PROTEST}")
    write(root / "c.jsonl", json.dumps({"text": CLASH, "title": "C"}))
    write(root / ".hidden.txt", f"Hidden\n\n{CLASH}")
    write(root / ".git" / "x.txt", f"Hidden too\n\n{CLASH}")
    good, bad = collect([str(root)])
    assert not bad
    assert [a.title for a, _ in good] == ["ADY", "AZ", "B", "C"]
    assert good[0][0].source == str(root / "a" / "deep" / "y.txt")


def test_defaults_fill_only_missing_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "b.jsonl", "\n".join([
        json.dumps({"text": CLASH, "published": "2023-01-02", "outlet": "Own Outlet"}),
        json.dumps({"text": PROTEST}),
    ]))
    defaults = ArticleDefaults(published=dt.date(2016, 10, 20), outlet="Default Outlet", url="https://d.example")
    good, _ = collect([path], defaults=defaults)
    assert [(a.published, a.outlet, a.url) for a, _ in good] == [
        (dt.date(2023, 1, 2), "Own Outlet", "https://d.example"),
        (dt.date(2016, 10, 20), "Default Outlet", "https://d.example"),
    ]


# --- copies -----------------------------------------------------------------------------------


def test_lightly_edited_copy_is_near_duplicate() -> None:
    story = f"{SHELLING}\n\n{CLASH}"
    # A syndicated copy: a dateline credit added, one word respelled, punctuation and case changed.
    copy = "NORTHTOWN (Frontline Wire) - " + story.replace("eleven", "11").replace("Tuesday", "TUESDAY,")
    original, edited, unrelated = fingerprint(story), fingerprint(copy), fingerprint(PROTEST)
    assert len(original) == 64
    assert similarity(original, edited) >= 0.8
    assert is_near_duplicate(original, edited)
    assert similarity(original, unrelated) < 0.3
    assert not is_near_duplicate(original, unrelated)


def test_fingerprint_is_stable_across_processes() -> None:
    code = "from conflictwire.ingest.copies import fingerprint; print(fingerprint('Shells fell on the market at dawn today', 8))"
    env = {**os.environ, "PYTHONHASHSEED": "random", "PYTHONPATH": os.pathsep.join(sys.path)}
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
        for _ in range(2)
    }
    assert runs == {f"{fingerprint('Shells fell on the market at dawn today', 8)}\n"}


def test_fingerprints_of_different_lengths_do_not_compare() -> None:
    with pytest.raises(FingerprintError):
        similarity(fingerprint(CLASH, 16), fingerprint(CLASH, 32))


@pytest.mark.parametrize(
    ("text", "credited"),
    [
        ("DAMASCUS (Reuters) - Shells fell on the market.", "Reuters"),
        ("Shells fell on the market overnight. — AFP", "AFP"),
        ("Eight people died, according to the Associated Press.", "Associated Press"),
        ("Earlier, SANA reported that the road had reopened.", "SANA"),
        ("The footage was reported by Federal News Agency on Monday.", "Federal News Agency"),
        ("Two died, according to military sources.", None),
        ("The convoy left, according to the UN.", None),
        ("By nightfall the army had entered the town.", None),
    ],
)
def test_credited_source(text: str, credited: str | None) -> None:
    assert credited_source(text) == credited
