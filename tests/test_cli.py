"""The command line: bad inputs named one by one while the batch goes on, the extract and geoparse
contracts, and a real `conflictwire serve` answering over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from conflictwire.cli import EXIT_OK, EXIT_SOME_BAD, main
from conflictwire.store import Store

GOOD_TEXT = """Gunmen attack market in Borno village

Gunmen on motorcycles attacked a market in the village of Kautikari in Nigeria's Borno state on Tuesday,
killing at least nine traders, a local official said.

The attackers set fire to stalls before fleeing, residents said.
"""


def _bad_folder(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder with one good article and one of each kind of bad input; returns expected codes by name."""
    d = tmp_path / "inbox"
    d.mkdir()
    (d / "good.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (d / "latin1.txt").write_bytes("Title\n\nCaf\xe9 shelled in Kharkiv on Monday.".encode("latin-1"))
    (d / "lines.jsonl").write_text(
        json.dumps({"id": "ok-1", "text": "Police fired tear gas at protesters in Nairobi on Monday.", "published": "2024-06-25"})
        + "\n{not json\n", encoding="utf-8")
    (d / "empty-page.html").write_text("<html><head><title>x</title></head><body><nav>Home</nav></body></html>")
    with open(d / "huge.txt", "wb") as f:
        f.truncate(100 * 2**20)  # sparse: costs no disk
    expected = {"empty.txt": "empty", "binary.txt": "binary", "latin1.txt": "invalid-encoding",
                "lines.jsonl#2": "malformed-json", "empty-page.html": "no-text", "huge.txt": "too-large",
                "missing.txt": "not-found"}
    return d, expected


def test_bad_inputs_are_named_and_the_rest_goes_on(tmp_path):
    folder, expected = _bad_folder(tmp_path)
    db = str(tmp_path / "cw.db")
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", str(folder), str(tmp_path / "missing.txt"), "--db", db,
                               "--published", "2024-06-26", "--json"])
    assert res.exit_code == EXIT_SOME_BAD, res.output
    errors = [line for line in res.stderr.splitlines() if line.startswith("error: ")]
    for name, code in expected.items():
        hits = [e for e in errors if name in e]
        assert hits, f"no error line names {name}: {errors}"
        assert f": {code}: " in hits[0], hits[0]
    assert len(errors) == len(expected)
    summary = json.loads(res.stdout)
    assert summary["articles_new"] == 2  # good.txt and the good JSONL line
    store = Store.open(db)
    counts = store.counts()
    assert counts["articles"] == 2 and counts["events"] >= 2
    # running the same batch again stores nothing twice and loses nothing
    res = runner.invoke(main, ["ingest", str(folder), "--db", db, "--json"])
    assert res.exit_code == EXIT_SOME_BAD
    assert json.loads(res.stdout)["articles_duplicate"] == 2
    assert Store.open(db).counts() == counts


def test_all_good_inputs_exit_zero_and_print_a_summary(tmp_path):
    (tmp_path / "a.txt").write_text(GOOD_TEXT, encoding="utf-8")
    res = CliRunner().invoke(main, ["ingest", str(tmp_path / "a.txt"), "--db", str(tmp_path / "x.db"),
                                    "--published", "2024-06-26", "--outlet", "Lake Chad Courier"])
    assert res.exit_code == EXIT_OK, res.output
    assert "1 new articles" in res.stdout and "events" in res.stdout


def test_stdin_ingest(tmp_path):
    res = CliRunner().invoke(main, ["ingest", "-", "--db", str(tmp_path / "x.db"), "--json", "--published", "2024-06-26"],
                             input=GOOD_TEXT)
    assert res.exit_code == EXIT_OK, res.output
    assert json.loads(res.stdout)["articles_new"] == 1


def test_extract_contract_keeps_order_and_reports_bad_lines():
    lines = [
        {"id": "a", "text": "Two soldiers were killed when a roadside bomb hit their patrol near Kandahar on Monday.",
         "published": "2021-03-02"},
        "{broken",
        {"id": "b", "text": ""},
        {"id": "c", "text": "The rebels could attack the town if talks fail, analysts warned."},
        {"id": "d", "text": "Protesters marched through Dhaka on Friday.", "published": "not a date"},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    res = CliRunner().invoke(main, ["extract"], input=stdin)
    assert res.exit_code == EXIT_SOME_BAD
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", None, "b", "c", "d"]
    a = out[0]
    assert a["error"] is None
    (rep,) = a["reports"]
    assert rep["sub_event_type"] == "Remote explosive/landmine/IED"
    assert rep["fatalities"]["best"] == 2 and rep["date"]["value"] == "2021-03-01"
    assert rep["location"]["country_code"] == "AF"
    text = lines[0]["text"]
    assert any("roadside bomb" in text[e["start"]:e["end"]] for e in rep["evidence"])
    assert out[1]["error"]["code"] == "malformed-json"
    assert out[2]["error"]["code"] == "no-text"  # as ingest names a blank text
    assert out[3]["error"] is None and out[3]["reports"] == []  # speculation is not an event
    assert out[4]["error"]["code"] == "invalid-field"


def test_geoparse_contract_with_and_without_spans():
    text = "Shelling hit Bustan al-Qasr in Aleppo, and residents fled towards Idlib province."
    spans = [{"start": text.index("Aleppo"), "end": text.index("Aleppo") + 6}, {"start": 0, "end": 8}]
    stdin = json.dumps({"id": 1, "text": text}) + "\n" + json.dumps({"id": 2, "text": text, "spans": spans}) + "\n"
    res = CliRunner().invoke(main, ["geoparse"], input=stdin)
    assert res.exit_code == EXIT_OK, res.output
    found, given = [json.loads(x) for x in res.stdout.splitlines()]
    names = {p["name"] for p in found["places"]}
    assert {"Bustan al-Qasr", "Aleppo", "Idlib"} <= names
    aleppo, shelling = given["places"]
    assert aleppo["geonameid"] == 170063 and aleppo["country_code"] == "SY"
    assert shelling["lat"] is None and shelling["why"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_over_http(tmp_path, workers):
    db = str(tmp_path / "cw.db")
    (tmp_path / "a.txt").write_text(GOOD_TEXT, encoding="utf-8")
    CliRunner().invoke(main, ["ingest", str(tmp_path / "a.txt"), "--db", db, "--published", "2024-06-26"])
    port = _free_port()
    exe = [sys.executable, "-m", "conflictwire.cli", "serve", "--db", db, "--port", str(port), "--workers", str(workers)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFLICTWIRE_")}
    if workers > 1:
        exe += ["--read-token", "s3cret"]  # each worker process must get the token too
    proc = subprocess.Popen(exe, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    token = "?token=s3cret" if workers > 1 else ""
    try:
        body = None
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/events{token}", timeout=2) as r:
                    body = json.loads(r.read())
                break
            except OSError:
                time.sleep(0.2)
        if workers > 1:
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/events", timeout=5)
            assert refused.value.code == 401
        assert body is not None, proc.stderr.read1().decode() if proc.poll() is not None else "server did not answer"
        assert body["events"] and body["events"][0]["event_type"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{token}", timeout=5) as r:
            page = r.read().decode()
        assert "Kautikari" in page or body["events"][0]["id"] in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=5) as r:
            assert "/api/events" in json.loads(r.read())["paths"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("cmd", ["ingest", "extract", "geoparse", "events", "changes", "serve"])
def test_every_command_is_documented_in_the_readme(cmd):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"conflictwire {cmd}" in readme
