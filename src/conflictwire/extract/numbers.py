"""Numbers in event sentences: fatalities as low/best/high with their qualifier, and other counts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from conflictwire.model import Fatalities, Quantity

_UNITS_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a hundred": 100,
    "hundred": 100, "a dozen": 12, "dozen": 12, "a couple of": 2, "a hundred and fifty": 150,
}
#: Vague plurals, coded as ACLED codes them: the conservative figure, with the word kept as qualifier.
_VAGUE = {"dozens of": 12, "dozens": 12, "scores of": 20, "hundreds of": 100, "hundreds": 100,
          "several": 3, "a few": 3, "few": 3, "many": 10, "numerous": 10, "thousands of": 1000}

_NUM_WORD = "|".join(sorted((re.escape(w) for w in _UNITS_WORDS), key=len, reverse=True))
_NUM = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+|(?:{_NUM_WORD})(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?)"
_QUAL = (r"(?:at least|not less than|no fewer than|no less than|more than|over|upwards of|nearly|almost|"
         r"about|around|approximately|roughly|some|an estimated|up to|as many as|at most|fewer than|less than)")
_VAGUE_RE = "|".join(sorted((re.escape(w) for w in _VAGUE), key=len, reverse=True))
_AMOUNT = rf"(?P<vague>{_VAGUE_RE})\b|(?:(?P<qual>{_QUAL})\s+)?(?:(?P<lo>{_NUM})\s*(?:-|–|to|and)\s*)?(?P<num>{_NUM})\b"

_VICTIM = (r"(?:(?:[\w'-]+\s+){0,3}?(?:person|man|woman|child|boy|girl|soldier|civilian|policeman|officer|"
           r"fighter|militant|ranger|guard|worker|student|resident|villager|farmer|journalist|"
           r"people|persons|civilians|soldiers|troops|fighters|militants|insurgents|rebels|"
           r"members|servicemen|police(?:men|\s+officers)?|officers|guards|children|women|men|villagers|residents|"
           r"islamists|jihadists|protesters|demonstrators|worshippers|students|passengers|workers|farmers|"
           r"others|of them|individuals|combatants|personnel|gunmen|attackers|assailants|bandits|miners|pilgrims|"
           r"migrants|refugees|displaced people|police officers|policemen|family members|relatives|"
           r"[a-z]+s)\s+)?")
_KILL_AFTER = (r"(?:(?:were|was|have been|had been|are|being|been|reportedly|allegedly|believed|confirmed|later|all)\s+)*"
               r"(?:killed|dead|died|slain|murdered|executed|shot dead|lost their lives|lost his life|lost her life|"
               r"perished|massacred|drowned|neutrali[sz]ed|did not survive|succumbed|blown up|beaten to death|"
               r"beheaded|confirmed dead|gunned down|burned to death|killed in action)")

_KILLED_AFTER_RE = re.compile(rf"\b(?P<amount>{_AMOUNT})\s+{_VICTIM}{_KILL_AFTER}\b", re.I)
_KILLED_BEFORE_RE = re.compile(
    rf"\b(?:killing|killed|kill|shot dead|shooting dead|neutrali[sz]ing|neutrali[sz]ed|claimed the lives of|"
    rf"claiming the lives of|took the lives of|taking the lives of|killing of|killings of|"
    rf"left|leaving|death toll (?:rose|climbed|has risen|reached|stood at|stands at|increased|rising)?\s*(?:to|at|of)?|"
    rf"toll (?:rose|climbed|reached) to|dead numbered|bodies of|death of|deaths of)\s+"
    rf"(?P<amount>{_AMOUNT})\b(?P<tail>\s+{_VICTIM}(?:dead|killed)?)?",
    re.I,
)
#: "Two members of the Sinjar Resistance Units were killed": a count, then its noun phrase, then a passive death.
_LONG_VICTIM_RE = re.compile(
    rf"\b(?P<amount>{_AMOUNT})\s+(?:[\w'-]+,?\s+){{1,8}}?(?:were|was|have been|had been)\s+"
    rf"(?:all\s+)?(?:killed|shot dead|gunned down|beheaded|executed|blown up|beaten to death)\b", re.I)
_SINGLE = (r"(?:man|woman|teenager|boy|girl|child|person|soldier|civilian|journalist|farmer|policeman|officer|"
           r"fighter|militant|student|worker|trader|driver|resident|villager|guard|priest|imam|teacher|doctor)")
#: "killing a teenager", "a woman was beaten to death": one death said with an article.
_ONE_RE = re.compile(
    rf"\b(?:killing|killed|lynched|lynching|beat to death|beating to death|shot dead|shooting dead)\s+(?:a|an|one)\s+"
    rf"(?:[\w'-]+\s+){{0,2}}?{_SINGLE}\b|\b(?:a|an)\s+(?:[\w'-]+\s+){{0,3}}?{_SINGLE}\s+(?:\w+\s+){{0,12}}?"
    rf"(?:was|has been)\s+(?:killed|shot dead|beaten to death|lynched|stabbed to death|burned to death|executed)\b",
    re.I)
_NUM_ONLY = rf"(?:{_QUAL}\s+)?{_NUM}"
#: "at least nine fighters and one soldier died": two counts, added.
_PAIR_RE = re.compile(
    rf"\b(?P<a>{_NUM_ONLY})\s+(?:[\w'-]+\s+){{1,3}}?and\s+(?P<b>{_NUM_ONLY})\s+(?:[\w'-]+\s+){{1,3}}?"
    rf"(?:were\s+|was\s+)?(?:killed|died|dead|lost their lives)\b", re.I)
#: "The number of people killed when a bomb hit the building on Tuesday rose to 19": the toll and its verb apart.
_TOLL_ROSE_RE = re.compile(
    rf"\b(?:(?:death|casualty)\s+toll|number of (?:the\s+)?(?:dead|deaths|(?:\w+\s+)?(?:killed|dead))|toll(?!\s+of\b))\b"
    rf"[^.;]{{0,140}}?\b(?:rose|risen|climbed|increased|jumped|reached|stood at|stands at|now stands at)\s+(?:to\s+)?"
    rf"(?P<amount>{_AMOUNT})\b", re.I)
_TOLL_RE = re.compile(rf"\b(?P<amount>{_AMOUNT})\s+(?:deaths|fatalities|dead|bodies|casualties dead|lives)\b", re.I)
_WOUNDED_RES = (
    re.compile(rf"\b(?P<amount>{_AMOUNT})\s+{_VICTIM}(?:(?:were|was|have been|had been|others)\s+)*"
               rf"(?:wounded|injured|hurt|hospitali[sz]ed)\b", re.I),
    re.compile(rf"\b(?:wounding|injuring|wounded|injured)\s+(?P<amount>{_AMOUNT})\b", re.I),
)
_COUNT_UNITS = (
    r"fighters|militants|insurgents|rebels|soldiers|troops|civilians|people|protesters|demonstrators|buses|"
    r"vehicles|trucks|tanks|armou?red vehicles|drones|missiles|rockets|shells|mortar rounds|mortars|rounds|"
    r"houses|homes|buildings|shops|families|hostages|prisoners|detainees|students|schoolgirls|children|"
    r"villagers|residents|policemen|police officers|officers|gunmen|members|aircraft|helicopters|jets|"
    r"warplanes|bombs|grenades|landmines|mines|weapons|rifles|cars|boats|checkpoints|positions|villages"
)
_COUNT_RE = re.compile(rf"\b(?P<amount>{_AMOUNT})\s+(?:[\w'-]+\s+){{0,2}}?(?P<unit>{_COUNT_UNITS})\b", re.I)


@dataclass(frozen=True)
class Amount:
    low: int | None
    best: int | None
    high: int | None
    qualifier: str | None
    stated: int | None = None  # the figure as written ("more than 150" states 150)


def word_to_int(text: str) -> int | None:
    """An integer from digits ("1,200") or English number words ("twenty-five", "a dozen")."""
    t = text.strip().lower().replace(",", "")
    if t.isdigit():
        return int(t)
    if t in _UNITS_WORDS:
        return _UNITS_WORDS[t]
    parts = re.split(r"[- ]", t)
    if len(parts) == 2 and parts[0] in _UNITS_WORDS and parts[1] in _UNITS_WORDS:
        return _UNITS_WORDS[parts[0]] + _UNITS_WORDS[parts[1]]
    return None


def parse_amount(m: re.Match[str], group: str = "amount") -> Amount | None:
    """Low/best/high from a matched amount: "at least 12", "8 to 11", "dozens", "up to 30"."""
    text = m.group(group)
    if text is None:
        return None
    sub = re.match(_AMOUNT, text, re.I)
    if sub is None:
        return None
    if sub.group("vague"):
        word = sub.group("vague").lower()
        return Amount(_VAGUE[word], _VAGUE[word], None, word.removesuffix(" of"), _VAGUE[word])
    num = word_to_int(sub.group("num"))
    if num is None:
        return None
    qual = (sub.group("qual") or "").lower() or None
    if sub.group("lo") and not sub.group("lo").isdigit():
        # "thirty-five" is one number, not the range thirty to five
        whole = word_to_int(text[sub.start("lo"):sub.end("num")].removeprefix(sub.group("qual") or "").strip())
        if whole is not None:
            num = whole
            if qual in ("at least", "not less than", "no fewer than", "no less than", "upwards of", "more than", "over"):
                return Amount(num, num, None, qual, num)
            return Amount(num, num, num, qual, num)
    if sub.group("lo"):
        lo = word_to_int(sub.group("lo"))
        if lo is not None and lo < num:
            return Amount(lo, lo, num, "range", lo)
    if qual in ("at least", "not less than", "no fewer than", "no less than", "upwards of"):
        return Amount(num, num, None, qual, num)
    if qual in ("more than", "over"):
        # ACLED codes the stated figure: "more than 100" is 100, the lower bound as written
        return Amount(num, num, None, qual, num)
    if qual in ("up to", "as many as", "at most"):
        return Amount(None, num, num, qual, num)
    if qual in ("fewer than", "less than"):
        return Amount(None, max(num - 1, 0), max(num - 1, 0), qual, num)
    if qual in ("nearly", "almost"):
        return Amount(None, num, num, qual, num)
    return Amount(num, num, num, qual, num)


def _is_year_or_time(text: str, m: re.Match[str]) -> bool:
    """Numbers that are years or clock times, not counts."""
    num = m.group("amount") or ""
    if re.fullmatch(r"(1[89]|20)\d\d", num.strip()):
        return True
    after = text[m.end("amount"):m.end("amount") + 4]
    return bool(re.match(r"\s*(?:am|pm|a\.m|p\.m|:|h\b)", after, re.I))


def find_fatalities(text: str) -> list[tuple[Fatalities, int, int]]:
    """Fatality figures in a text, each with its character span (relative to ``text``)."""
    out: list[tuple[Fatalities, int, int]] = []
    for m in _PAIR_RE.finditer(text):
        a, b = (re.match(rf"(?:(?P<q>{_QUAL})\s+)?(?P<n>{_NUM})", m.group(g), re.I) for g in ("a", "b"))
        na, nb = word_to_int(a.group("n")) if a else None, word_to_int(b.group("n")) if b else None
        if na is not None and nb is not None:
            qual = (a.group("q") or "").lower() or None if a else None
            total = na + nb
            out.append((Fatalities(total, total, None if qual else total, m.group(0).strip(), qual), m.start(), m.end()))
    for m in _ONE_RE.finditer(text):
        if not any(st <= m.start() < en for _, st, en in out):
            out.append((Fatalities(1, 1, 1, m.group(0).strip(), None), m.start(), m.end()))
    for rx in (_KILLED_AFTER_RE, _KILLED_BEFORE_RE, _LONG_VICTIM_RE, _TOLL_ROSE_RE, _TOLL_RE):
        for m in rx.finditer(text):
            if rx is _KILLED_BEFORE_RE and m.group(0).lower().startswith(("left", "leaving")) and not re.search(
                r"dead|killed", m.group("tail") or "", re.I
            ):
                continue  # "left 30 wounded" / "leaving 5 injured" are not deaths
            if _is_year_or_time(text, m):
                continue
            amt = parse_amount(m)
            if amt is None:
                continue
            if any(s <= m.start() < e for _, s, e in out):
                continue
            out.append((Fatalities(amt.low, amt.best, amt.high, m.group(0).strip(), amt.qualifier), m.start(), m.end()))
    out.sort(key=lambda x: x[1])
    return out


def find_wounded(text: str) -> list[tuple[Quantity, int, int]]:
    """Counts of wounded, kept apart from fatalities."""
    out = []
    for m in (m for rx in _WOUNDED_RES for m in rx.finditer(text)):
        amt = parse_amount(m)
        if amt and amt.stated is not None:
            out.append((Quantity(amt.stated, "injured", amt.qualifier, m.group(0).strip()), m.start(), m.end()))
    return out


def find_quantities(text: str) -> list[tuple[Quantity, int, int]]:
    """Counts of people, vehicles, munitions and the like ("more than 150 militants", "five buses")."""
    out = []
    for m in _COUNT_RE.finditer(text):
        if _is_year_or_time(text, m):
            continue
        amt = parse_amount(m)
        if amt is None or amt.stated is None:
            continue
        out.append((Quantity(amt.stated, m.group("unit").lower(), amt.qualifier, m.group(0).strip()), m.start(), m.end()))
    return out
