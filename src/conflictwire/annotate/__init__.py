"""Annotate: sentences, tokens, entities and parse with spaCy, corrected by the project's dictionaries."""

from conflictwire.annotate.dictionaries import ActorDictionary, CountryTable, OutletRegistry
from conflictwire.annotate.pipeline import build_nlp

__all__ = ["ActorDictionary", "CountryTable", "OutletRegistry", "build_nlp"]
