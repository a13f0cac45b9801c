"""Extract: event mentions and types, actors, claimants and modality, numbers, dates."""

from conflictwire.extract.reports import Extractor

__all__ = ["Extractor"]
