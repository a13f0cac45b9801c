"""Where inputs come from: paths, folders and stdin, read with size checks first."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .dates import parse_published
from .errors import InputProblem

STDIN_NAME = "<stdin>"
#: A folder may hold this file: {"file name": {"published", "outlet", "url"}} for its other files.
SIDECAR_NAME = "conflictwire-meta.json"


@dataclass
class Source:
    """One input file (or stdin) to read, named as the user gave it."""

    name: str
    path: str | None  # None for stdin
    meta: dict[str, str] | None = None  # from the folder's sidecar file, if any


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
    sidecar: dict[str, dict[str, str]] = {}
    if any(e.name == SIDECAR_NAME for e in entries):
        try:
            sidecar = read_sidecar(os.path.join(folder, SIDECAR_NAME))
        except InputProblem as problem:
            yield os.path.join(folder, SIDECAR_NAME), problem
    for entry in entries:
        if entry.name.startswith(".") or entry.name == SIDECAR_NAME:
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path)
        else:
            yield Source(entry.path, entry.path, sidecar.get(entry.name))


def read_sidecar(path: str) -> dict[str, dict[str, str]]:
    """The metadata a folder's sidecar file gives its other files, by file name."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputProblem("malformed-json", f"sidecar metadata file cannot be read: {e}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputProblem("invalid-field", "sidecar metadata must map file names to objects")
    out = {name: {k: str(v) for k, v in meta.items() if v is not None} for name, meta in data.items()}
    for name, meta in out.items():
        try:
            parse_published(meta.get("published"))
        except InputProblem as problem:
            raise InputProblem(problem.code, f"entry {name!r}: {problem.message}") from None
    return out


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
