"""The actor dictionary (data/actors.csv): valid rows, no shared or unsafe aliases, and known look-ups."""

from __future__ import annotations

from collections import defaultdict

import pytest
from spacy.lang.en.stop_words import STOP_WORDS

from conflictwire.annotate.dictionaries import ActorDictionary, CountryTable, name_key

KINDS = {"state", "rebel", "political_militia", "identity_militia", "external"}
#: Aliases ruled out outright: too ambiguous to match in running text.
BANNED = {"is", "aa", "ap", "afp", "cv", "epl"}


@pytest.fixture(scope="module")
def actors() -> ActorDictionary:
    return ActorDictionary.default()


def test_dictionary_is_large(actors):
    assert len(actors.entries) >= 250


def test_every_row_has_a_valid_kind_and_country(actors):
    bad = [(e.name, e.kind) for e in actors.entries if e.kind not in KINDS]
    assert bad == []
    odd = [(e.name, e.country) for e in actors.entries if e.country and not (len(e.country) == 2 and e.country.isupper())]
    assert odd == []


def test_canonical_names_are_unique(actors):
    seen: dict[str, str] = {}
    dups = []
    for e in actors.entries:
        key = name_key(e.name)
        if key in seen:
            dups.append(e.name)
        seen[key] = e.name
    assert dups == []


def test_no_alias_is_shared_between_rows(actors):
    owners: dict[str, set[str]] = defaultdict(set)
    for e in actors.entries:
        for form in (e.name, *e.aliases):
            owners[form.casefold()].add(e.name)
            owners[name_key(form)].add(e.name)
    shared = {k: sorted(v) for k, v in owners.items() if len(v) > 1}
    assert shared == {}


def test_no_alias_is_a_stop_word_or_too_short(actors):
    bad = []
    for e in actors.entries:
        for a in e.aliases:
            if a.casefold() in STOP_WORDS or a.casefold() in BANNED:
                bad.append((e.name, a))
            elif len(a) < 3 and a != a.upper():
                bad.append((e.name, a))
    assert bad == []


def test_no_alias_is_a_country_or_demonym(actors):
    countries = CountryTable.default()
    bad = [(e.name, a) for e in actors.entries for a in e.aliases if countries.find(a) is not None]
    assert bad == []


@pytest.mark.parametrize(("text", "name"), [
    ("Ahrar al-Sham", "Ahrar al-Sham"),
    ("Harakat Ahrar al-Sham al-Islamiyya", "Ahrar al-Sham"),
    ("HTS", "Hayat Tahrir al-Sham"),
    ("Tatmadaw", "Military Forces of Myanmar"),
    ("al-Shabab", "Al Shabaab"),
    ("Al Shabab", "Al Shabaab"),
    ("ISWAP", "Islamic State West Africa Province"),
    ("RSF", "Rapid Support Forces"),
    ("CJNG", "Jalisco New Generation Cartel"),
    ("Sudanese Armed Forces", "Military Forces of Sudan"),
    ("FARDC", "Military Forces of the Democratic Republic of Congo"),
    ("IDF", "Military Forces of Israel"),
    ("Rosgvardia", "Rosgvardia"),
    ("SBU", "Security Service of Ukraine"),
    ("the Wagner Group", "Wagner Group"),
    ("Huthi rebels", "Houthis"),
    ("Asa'ib Ahl al-Haq", "Asaib Ahl al-Haq"),
    ("SPLM-IO", "Sudan People's Liberation Movement-in-Opposition"),
    ("FDLR", "Democratic Forces for the Liberation of Rwanda"),
    ("Wazalendo", "Wazalendo"),
    ("Primeiro Comando da Capital", "Primeiro Comando da Capital"),
    ("Red Command", "Comando Vermelho"),
    ("Naxalites", "Communist Party of India (Maoist)"),
    ("Lashkar-e-Toiba", "Lashkar-e-Taiba"),
    ("Forces Armées Nigériennes", "Military Forces of Niger"),
    ("Border Guard Police", "Border Guard Police (Myanmar)"),
    ("Israeli settlers", "Settlers (Israel)"),
    ("Los Chapitos", "Los Chapitos"),
    ("400 Mawozo", "400 Mawozo"),
    ("VDP", "Volunteers for the Defense of the Homeland"),
])
def test_lookups(actors, text, name):
    hit = actors.find(text)
    assert hit is not None, text
    assert hit.name == name
