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


def test_clock_hours_and_how_far_apart_they_are():
    from conflictwire.extract.dates import clock_hour, hours_apart

    assert clock_hour("at about 9:20 a.m.") == pytest.approx(9 + 20 / 60)
    assert clock_hour("at about 21:40") == pytest.approx(21 + 40 / 60)
    assert clock_hour("at 0300 GMT") == 3.0
    assert clock_hour("at 2145 local time") == pytest.approx(21.75)
    assert clock_hour("between 9 a.m. and 11 a.m.") is None  # two times: no one time
    assert hours_apart(23.0, 1.0) == 2.0 and hours_apart(7.0, 22.5) == 8.5
