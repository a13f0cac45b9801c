"""conflictwire: news reports of armed conflict into an evidence-linked, graded event dataset."""

__version__ = "0.1.0"
