"""Events: clustering reports into incidents, reconciling their fields, grading corroboration."""

from conflictwire.events.cluster import ClusterConfig, Clusterer, compatibility, event_id_for
from conflictwire.events.grade import SourceGroups, grade, independent_sources

__all__ = ["ClusterConfig", "Clusterer", "SourceGroups", "compatibility", "event_id_for", "grade", "independent_sources"]
