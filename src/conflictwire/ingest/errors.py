"""Typed errors of the ingest stage."""

from __future__ import annotations


class IngestError(Exception):
    """Base class of every error the ingest package raises."""


class InputProblem(IngestError):
    """One input cannot be read; ``read_inputs`` turns it into a ``model.InputError``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class FingerprintError(IngestError, ValueError):
    """Two fingerprints cannot be compared (different lengths)."""
