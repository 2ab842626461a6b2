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
import multiprocessing
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.languages.i18n import I18n
from bot.offline.document import BRIEF, Form, build_document
from bot.offline.pdf import render_pdf
from bot.offline.settings import OfflineSettings
from bot.offline.store import MANIFEST, PREFIX, Shelf, file_name, shelf_directory
from bot.offline.webpage import render_html
from bot.reading.library import Library

__all__ = ["build_files", "open_shelf"]

logger = logging.getLogger(__name__)

RENDERERS = {Form.PDF: render_pdf, Form.HTML: render_html}


Built = tuple[str, str, Form, bytes]  # code, subject, form, the file's bytes


@dataclass(frozen=True, slots=True)
class _Job:
    """What building one language's files needs (handed to worker processes by fork, not pickled)."""

    library: Library
    i18n: I18n
    settings: OfflineSettings
    username: str | None
    subjects: tuple[str, ...]
    forms: tuple[Form, ...]
    themes: tuple[str, ...]

    def language(self, code: str) -> list[Built]:
        t = self.i18n.get(code)
        out: list[Built] = []
        for subject in self.subjects:
            doc = build_document(
                self.library, code, subject, t, date=self.settings.date, username=self.username, themes=self.themes
            )
            out += [(code, subject, form, RENDERERS[form](doc)) for form in self.forms]
        return out


_JOB: _Job | None = None  # the job of a worker process


def _worker_language(code: str) -> list[Built]:
    assert _JOB is not None
    return _JOB.language(code)


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
    workers: int = 1,
) -> Iterator[Built]:
    """``(code, subject, form, bytes)`` of each file: every shipped language (from the content) by default,
    every theme the settings allow plus the whole brief (of those themes; of all with ``every_theme``).

    With ``workers`` > 1 the languages are built by that many forked processes (a single-threaded caller only,
    such as the build process or the command line): the same files, in the same order, in less time.
    """
    global _JOB
    content = library.content
    themes = tuple(theme.id for theme in content.get(content.default).themes)
    allowed = themes if every_theme else tuple(t for t in themes if settings.allows(t))
    chosen = tuple(subjects) if subjects is not None else (*allowed, BRIEF)
    job = _Job(library, i18n, settings, username, chosen, tuple(forms), allowed)
    languages = list(codes if codes is not None else content.codes)
    if workers <= 1 or len(languages) < 2:
        for code in languages:
            yield from job.language(code)
        return
    _JOB = job
    try:
        with multiprocessing.get_context("fork").Pool(min(workers, len(languages))) as pool:
            for files in pool.imap(_worker_language, languages):
                yield from files
    finally:
        _JOB = None


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
    (directory / MANIFEST).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return rows


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
    for old in cache_dir.glob(f"{PREFIX}*"):
        if old != directory:
            shutil.rmtree(old, ignore_errors=True)
    logger.info("built the offline files in %s", directory.name)
    return Shelf.load(directory)
