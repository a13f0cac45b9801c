"""Limits on what one input may cost, enforced before the costly work (docs/RELIABILITY.md).

One place for every limit, so the command line, the readers, the extractor and the API agree.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

#: Bytes of one input file, stream or API request body (``--max-bytes`` on the command line).
MAX_INPUT_BYTES = 50 * 2**20

#: Characters of one article's text. A longer text is refused as ``too-large`` by every reader and
#: by ``POST /api/articles``: it is no news article, and the store keeps what it accepts whole.
MAX_ARTICLE_CHARS = 2_000_000

#: Characters of an article read for events. A longer text is stored whole, but only this much of it
#: is parsed; each of its reports says so in ``why_empty["text"]``.
MAX_READ_CHARS = 200_000

#: The parser sees a text in pieces of at most this many characters, cut at paragraph or line
#: breaks (spaCy needs about 1 GB a 100,000 characters and refuses more than 1,000,000 at once).
PARSE_CHUNK_CHARS = 50_000

#: Mentions of events read from one article; more are a list, not a story (the rest are dropped
#: and each report says so).
MAX_MENTIONS = 400

#: Nesting depth of a JSON input (an article is an object, maybe in an array: depth 2 or 3).
MAX_JSON_DEPTH = 64

#: Digits of one JSON number (Python refuses to read integers of more than 4,300 digits).
MAX_JSON_NUMBER_DIGITS = 100

#: Bad items (lines, array elements) of one input named one by one; past it the rest of that input is
#: not read, and one more error says so (a file of garbage is one problem, not millions).
MAX_BAD_ITEMS = 1000

#: Bytes of a feed or an HTML page before it is parsed: the parsers cost 2 to 16 microseconds a
#: byte, so this keeps one page under about a minute even when its markup is built to be slow.
MAX_MARKUP_BYTES = 4 * 2**20

#: Nesting depth of a feed's elements (libxml2's own default limit); deeper markup is refused as
#: ``too-deep`` before the parser spends seconds a megabyte on it.
MAX_MARKUP_DEPTH = 256

#: Seconds one input may take to read, or one article to extract, before it is stopped and
#: reported as ``timeout`` (``--timeout`` on the command line; 0 turns the limit off).
INPUT_SECONDS = 60.0


class TimeLimitExceeded(Exception):
    """One input took longer than its time limit (``timeout``); the batch goes on without it."""

    def __init__(self, seconds: float, what: str) -> None:
        super().__init__(f"{what} took over {seconds:g} s (--timeout) and was stopped")
        self.seconds = seconds


_local = threading.local()


def check_time() -> None:
    """Raise ``TimeLimitExceeded`` if this thread's ``time_limit`` has passed.

    Long loops call it between steps: where no timer can interrupt them (outside the main thread,
    as in the API's workers) this is what stops an input that takes too long.
    """
    limit = getattr(_local, "limit", None)
    if limit is not None and time.monotonic() > limit[0]:
        raise TimeLimitExceeded(limit[1], limit[2])


@contextlib.contextmanager
def time_limit(seconds: float | None, what: str = "this input") -> Iterator[None]:
    """Raise ``TimeLimitExceeded`` in the block once ``seconds`` of wall time have passed.

    In the main thread a real-time interval timer (SIGALRM) interrupts pure-Python work at the next
    bytecode, and C extensions when they return. Elsewhere (the API's worker threads) the limit is
    kept for ``check_time``, which the long loops call between steps. An inner limit never extends
    an outer one.
    """
    if not seconds or seconds <= 0:
        yield
        return
    previous_limit = getattr(_local, "limit", None)
    ends = time.monotonic() + seconds
    if previous_limit is None or ends < previous_limit[0]:
        _local.limit = (ends, seconds, what)
    try:
        if (threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer")
                or signal.getitimer(signal.ITIMER_REAL)[0] > 0):
            yield
            return

        def expire(signum: int, frame: FrameType | None) -> None:
            raise TimeLimitExceeded(seconds, what)

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    finally:
        _local.limit = previous_limit
