"""Where inputs come from: paths, folders and stdin, read with size checks first."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .errors import InputProblem

STDIN_NAME = "<stdin>"


@dataclass
class Source:
    """One input file (or stdin) to read, named as the user gave it."""

    name: str
    path: str | None  # None for stdin


def expand(paths: Iterable[str]) -> Iterator[Source | tuple[str, InputProblem]]:
    """Yield the inputs in order, walking folders recursively in sorted order.

    A path that does not exist is yielded with its problem so the batch can report it.
    """
    for path in paths:
        if path == "-":
            yield Source(STDIN_NAME, None)
        elif os.path.isdir(path):
            yield from _walk(path)
        elif os.path.lexists(path):
            yield Source(path, path)
        else:
            yield path, InputProblem("not-found", "no such file or folder")


def _walk(folder: str) -> Iterator[Source | tuple[str, InputProblem]]:
    """Depth-first, name-sorted walk that skips hidden entries and does not follow folder links."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        yield folder, InputProblem("unreadable", f"cannot list the folder: {e.strerror or e}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path)
        else:
            yield Source(entry.path, entry.path)


def read_file(path: str, max_bytes: int) -> bytes:
    """Read a file after checking with stat that it exists, is not empty and not too large."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputProblem("not-found", "no such file (or a broken link)") from None
    except OSError as e:
        raise InputProblem("unreadable", f"cannot stat the file: {e.strerror or e}") from None
    if stat.S_ISREG(info.st_mode):
        _check_size(info.st_size, max_bytes)
    try:
        with open(path, "rb") as f:
            # Bounded read: a file that grew after stat (or a pipe) is still capped.
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise InputProblem("unreadable", f"cannot read the file: {e.strerror or e}") from None
    _check_read(data, max_bytes)
    return data


def read_stream(stream: BinaryIO, max_bytes: int) -> bytes:
    """Read a stream such as stdin, never more than ``max_bytes + 1`` bytes."""
    try:
        data = stream.read(max_bytes + 1)
    except OSError as e:
        raise InputProblem("unreadable", f"cannot read: {e.strerror or e}") from None
    _check_read(data, max_bytes)
    return data


def _check_size(size: int, max_bytes: int) -> None:
    """Reject an empty or over-limit file by its stated size."""
    if size == 0:
        raise InputProblem("empty", "file is empty (0 bytes)")
    if size > max_bytes:
        raise InputProblem("too-large", f"file is {size:,} bytes, over the {max_bytes:,}-byte limit (--max-bytes)")


def _check_read(data: bytes, max_bytes: int) -> None:
    """Reject what was read when it is empty or over the limit."""
    if not data:
        raise InputProblem("empty", "input is empty (0 bytes)")
    if len(data) > max_bytes:
        raise InputProblem("too-large", f"input is over the {max_bytes:,}-byte limit (--max-bytes)")
