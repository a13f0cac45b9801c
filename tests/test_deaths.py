"""Deaths counted from the parse, on sentences written for these tests."""

from __future__ import annotations

import pytest

from conflictwire.extract.deaths import find_deaths
from conflictwire.extract.numbers import find_fatalities


@pytest.fixture(scope="module")
def nlp():
    from conflictwire.annotate.pipeline import default_nlp

    return default_nlp()


@pytest.mark.parametrize("text, dead", [
    ("Two farmers passed away in hospital overnight, their relatives said.", 2),
    ("A shopkeeper lost his life when the shell hit the market.", 1),
    ("The gunmen lined up six drivers beside the road and executed them.", 6),
    ("Seven soldiers and their interpreter died when the convoy struck a mine.", 8),
    ("The rocket killed a teacher and three of her pupils.", 4),
    ("The bomber blew himself up at the gate, killing himself and nine other people.", 10),
    ("Three guards and an unknown number of attackers lost their lives in the raid.", 3),
    ("The firefight cost the lives of five militiamen, the commander said.", 5),
    ("A crowd beat a suspected thief to death in the market on Friday.", 1),
    ("A 22-year-old was shot dead at the checkpoint.", 1),
    ("Nobody was killed in the blast.", 0),
])
def test_deaths_by_parse(nlp, text, dead):
    found = find_deaths(nlp(text)[:])
    assert found, text
    assert found[0][0].best == dead


@pytest.mark.parametrize("text", [
    "Police said the suspect was not killed but arrested.",
    "Officials warned that the militants could kill hostages.",  # no event verb in the past; no count either way
    "The soldiers were wounded in the clash.",
])
def test_no_deaths_where_none_are_said(nlp, text):
    assert [f.best for f, _, _ in find_deaths(nlp(text)[:]) if f.best] == []


def test_spans_point_at_the_words(nlp):
    text = "Residents said four fishermen drowned when the boat was fired on."
    doc = nlp(text)
    (f, start, end), = find_deaths(doc[:])
    assert text[start:end] == "four fishermen drowned"


@pytest.mark.parametrize("text, low, best, high", [
    ("Thirty-five people died when the depot burned.", 35, 35, 35),
    ("At least forty-two people were killed.", 42, 42, None),
    ("Eight to eleven people were killed.", 8, 8, 11),
])
def test_compound_number_words_are_one_number(text, low, best, high):
    f = find_fatalities(text)[0][0]
    assert (f.low, f.best, f.high) == (low, best, high)


@pytest.mark.parametrize("text, best", [
    ("The number of people killed when the bomb hit the building on Tuesday rose to 19, prosecutors said.", 19),
    ("The death toll from Sunday's attack has risen to 31.", 31),
    ("The toll from the ambush climbed to twelve on Friday.", 12),
    ("The number of dead stood at 7.", 7),
])
def test_a_toll_that_rose_is_the_new_figure(text, best):
    (f, _, _), = find_fatalities(text)
    assert f.best == best


@pytest.mark.parametrize("text", [
    "The number of displaced people rose to 4,000.",
    "The toll of destroyed homes rose to 40.",
])
def test_other_counts_that_rose_are_not_deaths(text):
    assert find_fatalities(text) == []
