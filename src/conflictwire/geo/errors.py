"""Typed errors of the geo package."""

from __future__ import annotations


class GeoError(Exception):
    """Base class of every error the geo package raises."""


class GazetteerBuildError(GeoError):
    """The gazetteer file cannot be built (a source package is missing or its data is malformed)."""


class GazetteerOpenError(GeoError):
    """A gazetteer file is missing, unreadable, or of another schema version."""


class AdditionsError(GazetteerBuildError):
    """A row of the gazetteer additions file is malformed."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"gazetteer additions line {line}: {message}")
        self.line = line
