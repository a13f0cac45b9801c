"""Where inputs come from: paths, folders and stdin, read with size checks first."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .dates import parse_published
from .errors import InputProblem
from .jsonl import load_json

STDIN_NAME = "<stdin>"
_MAX_SIDECAR_BYTES = 16 * 2**20
#: A folder may hold this file: {"file name": {"published", "outlet", "url"}} for its other files.
SIDECAR_NAME = "conflictwire-meta.json"


@dataclass
class Source:
    """One input file (or stdin) to read, named as the user gave it."""

    name: str
    path: str | None  # None for stdin
    meta: dict[str, str] | None = None  # from the folder's sidecar file, if any
    #: Found by walking a folder: read only if it is a regular file (a pipe there would block for ever).
    regular_only: bool = False


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
            yield Source(shown(path), path)
        else:
            yield shown(path), InputProblem("not-found", "no such file or folder")


def _walk(folder: str) -> Iterator[Source | tuple[str, InputProblem]]:
    """Depth-first, name-sorted walk that skips hidden entries and does not follow folder links."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        yield shown(folder), InputProblem("unreadable", f"cannot list the folder: {e.strerror or e}")
        return
    sidecar: dict[str, dict[str, str]] = {}
    if any(e.name == SIDECAR_NAME for e in entries):
        try:
            sidecar = read_sidecar(os.path.join(folder, SIDECAR_NAME))
        except InputProblem as problem:
            yield shown(os.path.join(folder, SIDECAR_NAME)), problem
    for entry in entries:
        if entry.name.startswith(".") or entry.name == SIDECAR_NAME:
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path)
            continue
        try:
            mode = entry.stat(follow_symlinks=True).st_mode
        except OSError:
            mode = None  # a broken link: read_file names it
        if mode is not None and not stat.S_ISREG(mode):
            yield shown(entry.path), InputProblem("not-a-file", f"{_kind_of(mode)}, not a regular file: skipped")
            continue
        yield Source(shown(entry.path), entry.path, sidecar.get(entry.name), regular_only=True)


def shown(path: str) -> str:
    """A path as it can be printed and stored: bytes of a file name that are not UTF-8 (which Python
    keeps as lone surrogates) are written as \\xNN escapes; the path itself still opens the file."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")


def _kind_of(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "a special file"


def read_sidecar(path: str) -> dict[str, dict[str, str]]:
    """The metadata a folder's sidecar file gives its other files, by file name."""
    try:
        data = load_json(read_file(path, _MAX_SIDECAR_BYTES, regular_only=True))
    except InputProblem as problem:
        raise InputProblem(problem.code, f"sidecar metadata file cannot be read: {problem.message}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputProblem("invalid-field", "sidecar metadata must map file names to objects")
    if not all(isinstance(v, str | int | float) or v is None for meta in data.values() for v in meta.values()):
        raise InputProblem("invalid-field", "sidecar metadata values must be strings")
    out = {name: {k: str(v) for k, v in meta.items() if v is not None} for name, meta in data.items()}
    for name, meta in out.items():
        try:
            parse_published(meta.get("published"))
        except InputProblem as problem:
            raise InputProblem(problem.code, f"entry {name!r}: {problem.message}") from None
    return out


def read_file(path: str, max_bytes: int, regular_only: bool = False) -> bytes:
    """Read a file after checking with stat that it exists, is not empty and not too large.

    With ``regular_only`` anything but a regular file is refused, checked on the opened file itself
    (opened without blocking, so a pipe swapped in after the folder was listed cannot hang the batch).
    A path named on the command line may be a pipe (``<(zcat feed.gz)``) and is read as one.
    """
    try:
        fd = os.open(path, os.O_RDONLY | (os.O_NONBLOCK if regular_only else 0))
    except FileNotFoundError:
        raise InputProblem("not-found", "no such file (or a broken link)") from None
    except IsADirectoryError:
        raise InputProblem("not-a-file", "a folder, not a regular file") from None
    except OSError as e:
        raise InputProblem("unreadable", f"cannot open the file: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if stat.S_ISREG(info.st_mode):
                _check_size(info.st_size, max_bytes)
            elif regular_only or stat.S_ISDIR(info.st_mode):
                raise InputProblem("not-a-file", f"{_kind_of(info.st_mode)}, not a regular file: skipped")
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
