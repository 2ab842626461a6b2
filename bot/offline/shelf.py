"""Every offline file, built once per content version into a directory of the disk cache, with a manifest of
names, sizes and hashes; what the bot sends and ``brief-bot export`` copies.

The directory's name is a hash of the content and interface files, the builder's version and the bot's username
(printed in the files): a new content version or release builds afresh, a restart finds the files ready. Files
are written to a temporary directory and renamed into place whole, so a crash never leaves half a set.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bot.i18n import I18n
from bot.library import Library
from bot.offline.document import BRIEF, Form, build_document
from bot.offline.pdf import render_pdf
from bot.offline.settings import OfflineSettings
from bot.offline.webpage import render_html

__all__ = [
    "BUILDER_VERSION",
    "OfflineFile",
    "Shelf",
    "build_files",
    "file_name",
    "open_shelf",
    "shelf_directory",
    "shelf_key",
]

logger = logging.getLogger(__name__)

BUILDER_VERSION = "1"  # bump when the layout of the files changes: every cached set is then built again
_PREFIX = "offline-"
_MANIFEST = "manifest.json"
RENDERERS = {Form.PDF: render_pdf, Form.HTML: render_html}


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
    """A hash of every file under ``roots``, the builder's and fpdf2's versions and the bot's username."""
    digest = hashlib.sha256(f"{BUILDER_VERSION}\0{metadata.version('fpdf2')}\0{username or ''}\0".encode())
    for root in roots:
        for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:24]


def build_files(
    library: Library,
    i18n: I18n,
    settings: OfflineSettings,
    username: str | None,
    *,
    codes: Iterable[str] | None = None,
    subjects: Iterable[str] | None = None,
    forms: Iterable[Form] = tuple(Form),
    every_theme: bool = False,
) -> Iterator[tuple[str, str, Form, bytes]]:
    """``(code, subject, form, bytes)`` of each file: every shipped language (from the content) by default,
    every theme the settings allow plus the whole brief (of those themes; of all with ``every_theme``)."""
    content = library.content
    themes = tuple(theme.id for theme in content.get(content.default).themes)
    allowed = themes if every_theme else tuple(t for t in themes if settings.allows(t))
    chosen_subjects = tuple(subjects) if subjects is not None else (*allowed, BRIEF)
    for code in codes if codes is not None else content.codes:
        t = i18n.get(code)
        for subject in chosen_subjects:
            doc = build_document(library, code, subject, t, date=settings.date, username=username, themes=allowed)
            for form in forms:
                yield code, subject, form, RENDERERS[form](doc)


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
        rows = json.loads((directory / _MANIFEST).read_text(encoding="utf-8"))
        files = [
            OfflineFile(r["code"], r["subject"], Form(r["form"]), directory / r["name"], int(r["size"]), r["sha256"])
            for r in rows
        ]
        for file in files:
            if not file.path.is_file() or file.path.stat().st_size != file.size:
                raise ValueError(f"{file.path} is missing or damaged")
        return cls(directory, files)


def _write(directory: Path, built: Iterable[tuple[str, str, Form, bytes]]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for code, subject, form, data in built:
        name = file_name(code, subject, form)
        (directory / name).write_bytes(data)
        rows.append(
            {
                "code": code,
                "subject": subject,
                "form": form.value,
                "name": name,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    (directory / _MANIFEST).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return rows


def shelf_directory(cache_dir: Path, key: str) -> Path:
    """Where the files of content version ``key`` are kept."""
    return cache_dir / f"{_PREFIX}{key}"


def open_shelf(cache_dir: Path, key: str, build: Iterable[tuple[str, str, Form, bytes]]) -> Shelf:
    """The shelf for ``key`` from ``cache_dir``, built from ``build`` (consumed only when not there yet)."""
    directory = shelf_directory(cache_dir, key)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return Shelf.load(directory)
    cache_dir.mkdir(parents=True, exist_ok=True)
    for stale in cache_dir.glob(".offline-*"):  # left by a build that was stopped
        shutil.rmtree(stale, ignore_errors=True)
    temporary = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".offline-"))
    try:
        temporary.chmod(0o755)
        _write(temporary, build)
        shutil.rmtree(directory, ignore_errors=True)
        temporary.replace(directory)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    for old in cache_dir.glob(f"{_PREFIX}*"):
        if old != directory:
            shutil.rmtree(old, ignore_errors=True)
    logger.info("built the offline files in %s", directory.name)
    return Shelf.load(directory)
