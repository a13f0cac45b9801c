"""The web page: the map page (server-rendered shell and list, script in static files) and the event page.

Every value is escaped on the server; the script inserts data as text only.
"""

from conflictwire.web.pages import evidence_html, highlighted_text, render_event, render_index
from conflictwire.web.routes import STATIC_DIR, install_pages

__all__ = ["STATIC_DIR", "evidence_html", "highlighted_text", "install_pages", "render_event", "render_index"]
