"""Parts of the day: what tells a morning strike from an evening one on the same day."""

from __future__ import annotations

import pytest

from conflictwire.extract.dates import part_of_day, parts_apart


@pytest.mark.parametrize("text, part", [
    ("A drone struck the plant on Tuesday morning, killing a guard.", "morning"),
    ("The drone hit a workshop at about 9:20 a.m., the mayor said.", "morning"),
    ("The bomb struck the building at about 21:40, tearing open apartments.", "evening"),
    ("At about 9:40 p.m., a guided bomb struck a high-rise.", "evening"),
    ("Gunmen attacked the village overnight.", "night"),
    ("The convoy was hit at 0300 GMT.", "night"),
    ("Protesters gathered in the square on Friday afternoon.", "afternoon"),
    # nothing, or two parts: no single time for the event
    ("Russian forces struck the city twice, in the morning and in the evening.", None),
    ("Shelling killed 12 people in the town on Monday.", None),
    ("Police said 1,500 people took part; the march began at 3 in the square.", None),
    ("At 1200 people, the rally was the largest this year.", None),
])
def test_part_of_day(text, part):
    assert part_of_day(text) == part


def test_parts_apart_wraps_round_the_clock():
    assert parts_apart("morning", "evening") and parts_apart("afternoon", "night")
    assert not parts_apart("evening", "night") and not parts_apart("night", "morning")
    assert not parts_apart("morning", "morning")
