"""Screenshots of the page for the README: docs/screenshot-map.png and docs/screenshot-event.png.

    pip install '.[test]' && python tools/screenshots.py [--db URL] [--out docs]

Ingests the bundled corpus (examples/corpus/articles) into a temporary SQLite store (or uses --db),
serves it with uvicorn on a free loopback port, and photographs the map page and the event page of
the event whose sources differ the most, with Debian's chromium driven by Playwright (as in
tests/test_browser.py; nothing is downloaded).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CONFLICTWIRE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fill(url: str) -> None:
    """Ingest the bundled corpus into the store at ``url``."""
    from conflictwire.extract import Extractor
    from conflictwire.ingest import read_inputs
    from conflictwire.pipeline import Pipeline
    from conflictwire.store import Store

    store = Store.open(url)
    try:
        summary = Pipeline(store, Extractor.default()).ingest(read_inputs([str(ROOT / "examples/corpus/articles")]))
        print(f"ingested {summary.articles_new} articles", file=sys.stderr)
    finally:
        store.close()


def _pick_event(base: str) -> str:
    """The id of the event with the most distinct sources that disagree on the dead (else the most sources)."""
    with urlopen(f"{base}/api/events?limit=1000", timeout=30) as response:  # noqa: S310 (loopback)
        events = json.load(response)["events"]

    def score(ev: dict[str, Any]) -> tuple[int, int]:
        dead = {r["fatalities"]["best"] for r in ev["reports"] if r.get("fatalities")}
        return (len(dead), ev["independent_sources"])

    return str(max(events, key=score)["id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an existing store to show (default: the corpus in a temporary store)")
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder for the PNG files")
    args = parser.parse_args(argv)

    import uvicorn
    from playwright.sync_api import sync_playwright

    from conflictwire.api import create_app
    from conflictwire.store import Store

    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cw-shots-") as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'conflictwire.db'}"
        if not args.db:
            _fill(url)
        store = Store.open(url)
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise SystemExit("error: the server did not start")
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_page(viewport={"width": 1280, "height": 860})
                page.goto(f"{base}/")
                page.wait_for_function("() => document.querySelectorAll('#event-list li.event[data-id]').length > 0")
                page.wait_for_function("() => document.querySelectorAll('.leaflet-countries-pane path').length > 0")
                page.wait_for_timeout(600)  # the map's zoom animation
                page.screenshot(path=str(out / "screenshot-map.png"))
                page.set_viewport_size({"width": 1100, "height": 1400})
                page.goto(f"{base}/events/{_pick_event(base)}")
                page.wait_for_load_state("load")
                page.screenshot(path=str(out / "screenshot-event.png"))
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            store.close()
    print(f"wrote {out / 'screenshot-map.png'} and {out / 'screenshot-event.png'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
