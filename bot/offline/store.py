"""The offline files on disk: their names, the key of a content version's set, and a set's manifest (names,
sizes, hashes). Light on purpose: the running bot reads a built set without importing the builders."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bot.offline.document import BRIEF, Form

__all__ = ["BUILDER_VERSION", "MANIFEST", "OfflineFile", "Shelf", "file_name", "shelf_directory", "shelf_key"]

BUILDER_VERSION = "1"  # bump when the layout of the files changes: every cached set is then built again
PREFIX = "offline-"
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class OfflineFile:
    """One built file."""

    code: str
    subject: str  # a theme id or BRIEF
    form: Form
    path: Path
    size: int
    sha256: str

    @property
    def name(self) -> str:
        """The file's name as the reader sees it."""
        return self.path.name


def file_name(code: str, subject: str, form: Form) -> str:
    """``brief-climate-kk.pdf``, ``brief-kk.html``: ids only, the same in every language."""
    middle = "" if subject == BRIEF else f"-{subject}"
    return f"brief{middle}-{code}.{form.value}"


def shelf_key(roots: Iterable[Path], username: str | None) -> str:
    """A hash of every file under ``roots``, the builder's, fpdf2's and the fonts' versions and the bot's username."""
    # matplotlib's version stands for the DejaVu fonts it ships, which are embedded in the PDFs.
    tools = f"{metadata.version('fpdf2')}\0{metadata.version('matplotlib')}"
    digest = hashlib.sha256(f"{BUILDER_VERSION}\0{tools}\0{username or ''}\0".encode())
    for root in roots:
        for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:24]


def shelf_directory(cache_dir: Path, key: str) -> Path:
    """Where the files of content version ``key`` are kept."""
    return cache_dir / f"{PREFIX}{key}"


class Shelf:
    """The built files of one content version, by language, subject and form."""

    def __init__(self, directory: Path, files: Iterable[OfflineFile]) -> None:
        self.directory = directory
        self.files = {(f.code, f.subject, f.form): f for f in files}

    def get(self, code: str, subject: str, form: Form) -> OfflineFile | None:
        """The file, if it was built (a theme whose downloads are off has none)."""
        return self.files.get((code, subject, form))

    @classmethod
    def load(cls, directory: Path) -> Shelf:
        """Read a shelf's manifest (``ValueError`` or ``OSError`` when it is missing or damaged)."""
        rows = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        files = [
            OfflineFile(r["code"], r["subject"], Form(r["form"]), directory / r["name"], int(r["size"]), r["sha256"])
            for r in rows
        ]
        for file in files:
            if not file.path.is_file() or file.path.stat().st_size != file.size:
                raise ValueError(f"{file.path} is missing or damaged")
        return cls(directory, files)
