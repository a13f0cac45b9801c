"""Actors: named groups from the dictionary and generic actors named in ACLED's style, with roles."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from conflictwire.annotate.dictionaries import ActorDictionary, CountryTable
from conflictwire.annotate.pipeline import ACTOR_LABEL, doc_text, ents_in
from conflictwire.model import Actor

#: Generic heads and the ACLED-style name template and kind they stand for.
_GENERIC: dict[str, tuple[str, str]] = {
    **{w: ("Military Forces of {c}", "state") for w in ("drone", "missile", "rocket", "shell", "artillery", "strike",
                                                         "airstrike", "bombardment", "aircraft", "helicopter", "plane",
                                                         "shelling", "mortar", "tank", "defence", "defense")},
    "crowd": ("Rioters ({c})", "rioters"), "settler": ("Settlers ({c})", "settlers"),
    "army": ("Military Forces of {c}", "state"), "military": ("Military Forces of {c}", "state"),
    "troops": ("Military Forces of {c}", "state"), "soldier": ("Military Forces of {c}", "state"),
    "force": ("Military Forces of {c}", "state"), "forces": ("Military Forces of {c}", "state"),
    "serviceman": ("Military Forces of {c}", "state"), "marine": ("Military Forces of {c}", "state"),
    "navy": ("Military Forces of {c}", "state"), "airforce": ("Military Forces of {c}", "state"),
    "jet": ("Military Forces of {c}", "state"), "warplane": ("Military Forces of {c}", "state"),
    "police": ("Police Forces of {c}", "state"), "policeman": ("Police Forces of {c}", "state"),
    "gendarme": ("Police Forces of {c}", "state"), "gendarmerie": ("Police Forces of {c}", "state"),
    "authority": ("Government of {c}", "state"), "government": ("Government of {c}", "state"),
    "ministry": ("Government of {c}", "state"), "minister": ("Government of {c}", "state"),
    "cabinet": ("Government of {c}", "state"), "president": ("Government of {c}", "state"),
    "parliament": ("Government of {c}", "state"), "junta": ("Military Forces of {c}", "state"),
    "regime": ("Military Forces of {c}", "state"),
    "protester": ("Protesters ({c})", "protesters"), "demonstrator": ("Protesters ({c})", "protesters"),
    "rioter": ("Rioters ({c})", "rioters"), "mob": ("Rioters ({c})", "rioters"),
    "civilian": ("Civilians ({c})", "civilians"), "resident": ("Civilians ({c})", "civilians"),
    "villager": ("Civilians ({c})", "civilians"), "worshipper": ("Civilians ({c})", "civilians"),
    "farmer": ("Civilians ({c})", "civilians"), "student": ("Civilians ({c})", "civilians"),
    "passenger": ("Civilians ({c})", "civilians"), "journalist": ("Civilians ({c})", "civilians"),
    "child": ("Civilians ({c})", "civilians"), "woman": ("Civilians ({c})", "civilians"),
    "schoolgirl": ("Civilians ({c})", "civilians"), "family": ("Civilians ({c})", "civilians"),
    "gunman": ("Unidentified Armed Group ({c})", "unidentified"),
    "gang": ("Unidentified Armed Group ({c})", "unidentified"),
    "gangster": ("Unidentified Armed Group ({c})", "unidentified"),
    "pirate": ("Unidentified Armed Group ({c})", "unidentified"),
    "kidnapper": ("Unidentified Armed Group ({c})", "unidentified"),
    "youth": ("Rioters ({c})", "rioters"),
    "guard": ("Military Forces of {c}", "state"),
    "militant": ("Unidentified Armed Group ({c})", "unidentified"),
    "assailant": ("Unidentified Armed Group ({c})", "unidentified"),
    "attacker": ("Unidentified Armed Group ({c})", "unidentified"),
    "insurgent": ("Unidentified Armed Group ({c})", "unidentified"),
    "jihadist": ("Unidentified Armed Group ({c})", "unidentified"),
    "islamist": ("Unidentified Armed Group ({c})", "unidentified"),
    "rebel": ("Unidentified Armed Group ({c})", "unidentified"),
    "bandit": ("Unidentified Armed Group ({c})", "unidentified"),
    "fighter": ("Unidentified Armed Group ({c})", "unidentified"),
}
_PLACE_ENTS = {"GPE", "LOC", "FAC"}
_FORCE_NOUNS = {"attack", "offensive", "army", "military", "force", "forces", "troops", "raid", "assault", "operation",
                "campaign", "bombing", "invasion", "incursion", "soldier", "air force", "police"}
#: Verbs whose subject speaks or feels rather than acts.
_NON_ACTS = {"say", "tell", "report", "claim", "deny", "accuse", "blame", "hope", "want", "fear", "warn", "call",
             "urge", "condemn", "announce", "state", "insist", "argue", "believe", "expect", "be", "have"}
_AFFILIATION = re.compile(r"^(?:[-\s]*(?:linked|affiliated|aligned|allied|backed|inspired|loyal|leaning)\b|"
                          r"(?:'s|’s)?\s+(?:[A-Z][\w-]+\s+){0,2}(?:affiliate|branch|wing|offshoot|franchise|arm|faction|"
                          r"splinter group|province)s?\b)")
#: Weapons and strikes that name their user's state forces only through a demonym ("Russian drones").
_WEAPONS = {"drone", "missile", "rocket", "shell", "artillery", "strike", "airstrike", "bombardment", "aircraft",
            "helicopter", "jet", "warplane", "plane", "shelling", "mortar", "navy", "tank", "defence", "defense"}


#: Country names that take "the" after "Forces of" / "Government of", as ACLED writes them.
_WITH_ARTICLE = {"Democratic Republic of Congo", "Republic of Congo", "United States", "United Kingdom",
                 "United Arab Emirates", "Central African Republic", "Philippines", "Netherlands", "Gambia",
                 "Comoros", "Maldives", "Bahamas", "Czech Republic", "Dominican Republic"}


def with_article(country: str) -> str:
    """ "Democratic Republic of Congo" -> "the Democratic Republic of Congo"; others unchanged."""
    return f"the {country}" if country in _WITH_ARTICLE else country


def generic_key(tok: Token) -> str | None:
    """The _GENERIC key a noun stands for: lemma, lower case or a naive singular ("Gunmen" -> gunman)."""
    low = tok.lower_
    if tok.lemma_.lower() in _WEAPONS or low.rstrip("s") in _WEAPONS:
        return tok.lemma_.lower() if tok.lemma_.lower() in _WEAPONS else low.rstrip("s")
    for key in (tok.lemma_.lower(), low, low[:-1] if low.endswith("s") else low,
                low[:-3] + "man" if low.endswith("men") else low):
        if key in _GENERIC:
            return key
    if low in ("men", "man") and any(c.lower_ == "armed" for c in tok.children):
        return "gunman"  # "armed men"
    return None


#: Modifiers that turn a generic "forces" into state forces even without a demonym.
_STATE_MODIFIERS = {"government", "security", "state", "regime", "pro-government", "army", "military", "armed",
                    "national", "federal", "defence", "defense", "joint", "bolivarian", "border", "special"}
CIVILIAN_KINDS = {"civilians"}
#: Modifiers that make a "guard" a civilian employee ("security guard", "night guard", "bank guard").
_CIVIL_GUARDS = {"security", "private", "night", "bank", "factory", "site", "school", "hospital", "shop", "mall",
                 "hotel", "museum", "company", "mine", "farm"}


@dataclass(frozen=True)
class ActorMention:
    actor: Actor
    start: int  # char offsets in the doc
    end: int
    token: Token  # the mention's root token


class ActorFinder:
    """Finds actor mentions in sentences and names them in ACLED's style."""

    def __init__(self, actors: ActorDictionary, countries: CountryTable) -> None:
        self.actors = actors
        self.countries = countries

    def find(self, sent: Span, country: str | None) -> list[ActorMention]:
        """Named and generic actors in a sentence, in text order; ``country`` names generic ones."""
        pairs = self._named_ents(sent)
        found = [m for m, _ in pairs]
        taken = {i for _, ent in pairs for i in range(ent.start, ent.end)}
        for ent in ents_in(sent):
            m = self._country_as_actor(ent) if ent.label_ == "GPE" and not (set(range(ent.start, ent.end)) & taken) else None
            if m:
                found.append(m)
                taken.update(range(ent.start, ent.end))
        for tok in sent:
            if tok.i in taken or tok.pos_ not in ("NOUN", "PROPN") or tok.ent_type_ in _PLACE_ENTS:
                continue
            m = self._generic(tok, country)
            if m:
                found.append(m)
                taken.add(tok.i)
        return sorted(found, key=lambda m: m.start)

    def named(self, where: Span | Doc) -> list[ActorMention]:
        """The dictionary's actors that the entity rules tagged, in text order."""
        return [m for m, _ in self._named_ents(where)]

    def _named_ents(self, where: Span | Doc) -> list[tuple[ActorMention, Span]]:
        found = []
        text = doc_text(where.doc if isinstance(where, Span) else where)
        for ent in ents_in(where):
            if ent.label_ != ACTOR_LABEL or _AFFILIATION.match(text[ent.end_char:ent.end_char + 40]):
                continue  # "the al Qaeda-linked group": a description, not the actor
            entry = self.actors.by_name(ent.ent_id_) or self.actors.find(ent.text)
            if entry:
                found.append((ActorMention(Actor(ent.text, entry.name, entry.kind, entry.side), ent.start_char, ent.end_char,
                                           ent.root), ent))
        return found

    def _country_as_actor(self, ent: Span) -> ActorMention | None:
        """A country that acts ("Russia launched missiles", "struck by Israel", "Ukraine's drones"):
        its military forces."""
        root = ent.root
        # "Russia's drones" acts; "Mali's Menaka region" only locates
        poss_act = root.dep_ == "poss" and (root.head.lemma_.lower() in _WEAPONS or root.head.lemma_.lower() in _FORCE_NOUNS)
        blamed = root.dep_ == "dobj" and root.head.lemma_.lower() in ("accuse", "blame")
        acting = root.dep_ == "nsubj" or poss_act or blamed or (root.dep_ == "pobj" and root.head.lower_ == "by")
        country = self.countries.find(ent.text)
        if not acting or country is None:
            return None
        if root.dep_ == "nsubj" and root.head.lemma_.lower() in _NON_ACTS:
            return None  # "Russia said", "Ukraine hopes": speaking is no act of force
        name = f"Military Forces of {with_article(country.name)}"
        return ActorMention(Actor(ent.text, name, "state", side=f"government-{country.iso2}"), ent.start_char, ent.end_char, root)

    def _generic(self, tok: Token, country: str | None) -> ActorMention | None:
        """A generic actor for a noun such as "soldiers", "Syrian troops" or "security forces"."""
        lemma = generic_key(tok)
        if lemma is None:
            return None
        if tok.dep_ in ("compound", "amod") and generic_key(tok.head) is not None:
            return None  # "government forces": the head noun names the actor
        if tok.dep_ == "compound" and tok.head.pos_ == "PROPN":
            return None  # part of a name: "Kajuru Local Government Area", "Police Command"
        template, kind = _GENERIC[lemma]
        mods = [c for c in tok.children if c.dep_ in ("amod", "compound", "nmod", "poss")]
        # "Russian and Syrian military": the demonyms are conjuncts of the first modifier
        mods += [cc for c in list(mods) for cc in c.conjuncts]
        c_iso = None
        for m in mods:
            hit = self.countries.find(m.text)
            if hit:
                c_iso = hit.iso2
                break
        if lemma in ("force", "forces") and c_iso is None and not any(m.lower_ in _STATE_MODIFIERS for m in mods):
            return None  # "forces" alone may be anyone's
        if lemma in _WEAPONS and c_iso is None:
            return None  # "drones" alone say nothing of whose
        if lemma in ("fighter", "rebel", "militant") and tok.ent_type_ == ACTOR_LABEL:
            return None
        if lemma == "guard" and any(m.lower_ in _CIVIL_GUARDS for m in mods):
            template, kind = _GENERIC["civilian"]  # a security guard at a plant is a civilian, a border guard is not
        iso = c_iso or country
        cname = self.countries.name_of(iso) if iso else None
        if cname is None:
            if kind == "state":
                return None  # a state actor without a country is no actor we can name
            name = template.replace(" ({c})", "").replace(" of {c}", "")
        else:
            name = template.format(c=with_article(cname) if " of {c}" in template else cname)
        left = min([tok.i, *(m.i for m in mods)])
        span = tok.doc[left:tok.i + 1]
        actor = Actor(span.text, name, kind, side=f"government-{iso}" if kind == "state" and iso else None)
        return ActorMention(actor, span.start_char, span.end_char, tok)


def assign_roles(trigger: Token, mentions: list[ActorMention]) -> tuple[list[ActorMention], list[ActorMention]]:
    """Split actor mentions into agents (actor1 candidates) and targets (actor2 candidates).

    Uses the trigger's syntax: subjects and "by" agents act; objects, passive subjects and
    "on"/"against" objects are acted upon; "between A and B" puts A first and B second.
    """
    agents: list[ActorMention] = []
    targets: list[ActorMention] = []
    by_token = {m.token.i: m for m in mentions}

    def collect(tok: Token) -> list[ActorMention]:
        return [by_token[t.i] for t in tok.subtree if t.i in by_token]

    verb = trigger
    # a noun trigger ("clashes", "strike") takes its role words from its own preps and from the verb above it
    for child in trigger.children:
        dep = child.dep_
        if dep in ("nsubj", "agent", "poss") or (dep == "prep" and child.lower_ == "by"):
            agents += collect(child)
        elif dep in ("dobj", "nsubjpass", "attr") or (dep == "prep" and child.lower_ in ("on", "against", "targeting")):
            targets += collect(child)
        elif dep == "prep" and child.lower_ in ("between", "among"):
            both = collect(child)
            agents += both[:1]
            targets += both[1:]
        elif dep == "prep" and child.lower_ == "with" and trigger.pos_ in ("VERB", "NOUN"):
            targets += collect(child)
    if trigger.dep_ in ("dobj", "nsubj", "pobj") and trigger.head.pos_ == "VERB":
        verb = trigger.head
        for child in verb.children:
            if child.dep_ in ("nsubj",) and child.i != trigger.i:
                agents += [m for m in collect(child) if m not in agents]
    if trigger.dep_ == "nsubj":
        for child in trigger.head.children:
            if child.dep_ == "dobj":
                targets += collect(child)
    if trigger.dep_ == "conj" and trigger.pos_ == "VERB" and not agents:
        # "Gunmen raided the village and killed seventeen villagers": the first verb's subject acts
        for child in trigger.head.children:
            if child.dep_ == "nsubj":
                agents += collect(child)
    return _dedupe(agents), [m for m in _dedupe(targets) if m not in agents]


_SUFFER = {"die", "perish", "drown", "survive", "lose", "suffer", "sustain", "succumb"}


def is_victim(m: ActorMention) -> bool:
    """Whether a mention names those who suffered the event ("six soldiers died", "were killed")."""
    tok = m.token
    if tok.dep_ == "nsubjpass":
        return True
    if tok.dep_ == "nsubj" and tok.head.lemma_.lower() in _SUFFER:
        return True
    return tok.dep_ in ("dobj", "pobj") and tok.head.lemma_.lower() in ("kill", "wound", "injure", "abduct", "kidnap")


def _dedupe(ms: list[ActorMention]) -> list[ActorMention]:
    seen: set[str] = set()
    out = []
    for m in ms:
        if m.actor.name not in seen:
            seen.add(m.actor.name)
            out.append(m)
    return out
