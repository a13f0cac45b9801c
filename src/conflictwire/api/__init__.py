"""The HTTP API (FastAPI) and the page it serves."""

from conflictwire.api.app import ArticleIn, IngestFn, create_app

__all__ = ["ArticleIn", "IngestFn", "create_app"]
