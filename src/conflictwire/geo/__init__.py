"""Gazetteer store and place resolution."""

from conflictwire.geo.errors import AdditionsError, GazetteerBuildError, GazetteerOpenError, GeoError
from conflictwire.geo.gazetteer import GazEntry, Gazetteer, NameMatch
from conflictwire.geo.geoparse import find_mentions, geoparse
from conflictwire.geo.normalize import normalize
from conflictwire.geo.resolve import GeoContext, PlaceResolver, context_from_mentions

__all__ = [
    "AdditionsError", "GazEntry", "Gazetteer", "GazetteerBuildError", "GazetteerOpenError", "GeoContext",
    "GeoError", "NameMatch", "PlaceResolver", "context_from_mentions", "find_mentions", "geoparse", "normalize",
]
