"""The web page: server-rendered HTML, every value escaped, no script."""

from conflictwire.web.pages import evidence_html, render_event, render_event_list

__all__ = ["evidence_html", "render_event", "render_event_list"]
