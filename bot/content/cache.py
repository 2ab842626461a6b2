"""A pickle of what start-up builds from files (the parsed brief, its search index), keyed by their hashes.

Parsing and validating the YAML of seven languages and indexing them takes about a second; unpickling the
result takes a few hundredths. The key is a hash of every input file and of the bot's own code, so an edited
file or a new release never sees a stale copy; an unreadable or corrupt cache is rebuilt. The cache lives in
the bot's own data directory: whoever can write there can already change the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

__all__ = ["cached", "tree_key"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
_PREFIX = "static-"
_SUFFIX = ".pickle"


def tree_key(roots: Iterable[Path]) -> str:
    """A hash of every file under ``roots`` (names and bytes), of the bot's code and of the Python version."""
    digest = hashlib.sha256(sys.version.encode())
    code = Path(__file__).resolve().parent.parent  # the whole bot package
    for root in [code, *roots]:
        for path in sorted(p for p in Path(root).rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def cached(directory: Path, key: str, build: Callable[[], T]) -> T:
    """``build()``'s result, from ``directory`` if a copy for ``key`` is there, else built and stored."""
    path = directory / f"{_PREFIX}{key}{_SUFFIX}"
    try:
        with path.open("rb") as file:
            value: T = pickle.load(file)
        return value
    except FileNotFoundError:
        pass
    except Exception:  # a corrupt or incompatible file: build again and overwrite it
        logger.warning("start-up cache %s is unreadable; rebuilding it", path.name)
    value = build()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob(f"{_PREFIX}*{_SUFFIX}"):
            with contextlib.suppress(OSError):
                old.unlink()
        # Written whole, then renamed: a concurrent start never reads half a file.
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".static-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:  # a read-only directory: run without the cache
        logger.warning("cannot write the start-up cache in %s: %s", directory, exc.strerror or exc)
    return value
