"""``brief-bot translations export|import``: the command line of the translations round trip."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog

__all__ = ["add_parser", "reported_places", "run"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``translations export`` and ``translations import`` to the command line."""
    parser = sub.add_parser("translations", help="export a language for translators, import their file back")
    actions = parser.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="write a language's content and interface as PO (or CSV)")
    export.add_argument("--lang", required=True, help="the language to export (kk, ky, tg, tk, uz, ru)")
    export.add_argument("--out", type=Path, required=True, help="the file to write (.po, or .csv for a sheet)")
    export.add_argument(
        "--reported", action="store_true", help="only the items readers reported (needs the bot's database)"
    )
    export.add_argument("--since", type=dt.date.fromisoformat, default=None, help="with --reported: YYYY-MM-DD")
    imp = actions.add_parser("import", help="check a translator's file, then write only what changed")
    imp.add_argument("path", type=Path, help="the .po or .csv file a translator sent back")
    imp.add_argument("--lang", default=None, help="the file's language (default: the PO file's Language header)")
    imp.add_argument("--reviewer", default=None, help="the native reviewer's name, only if they want it shown")
    imp.add_argument("--dry-run", action="store_true", help="check and print the summary, write nothing")


def run(args: argparse.Namespace, content_root: Path, locales_root: Path, reported: set[str] | None) -> int:
    """Run ``translations export`` or ``import``; return the exit code."""
    if args.action == "export":
        return _export(args, content_root, locales_root, reported)
    return _import(args, content_root, locales_root)


def _export(args: argparse.Namespace, content_root: Path, locales_root: Path, reported: set[str] | None) -> int:
    from bot.content.derived import read_derivation
    from bot.languages.discovery import discover_languages
    from bot.translations.exporting import export_catalog, to_csv, to_po

    code = args.lang
    if code not in discover_languages(content_root) or code == "en":
        print(f"no translation {code!r} to export (English is the source)", file=sys.stderr)
        return 2
    if (rule := read_derivation(content_root, code)) is not None:
        print(f"{code} is made from {rule.source}: export {rule.source} instead", file=sys.stderr)
        return 2
    catalog = export_catalog(content_root, locales_root, code, reported)
    if args.out.suffix.lower() == ".csv":
        args.out.write_text(to_csv(catalog), encoding="utf-8")
    else:
        args.out.write_bytes(to_po(catalog))
    count = sum(1 for m in catalog if m.id)
    print(f"{args.out}: {count} entries of {code} ({sum(1 for m in catalog if m.id and m.fuzzy)} not yet checked)")
    return 0


def _import(args: argparse.Namespace, content_root: Path, locales_root: Path) -> int:
    from bot.translations.importing import TranslationFileError, import_catalog, read_catalog

    try:
        data = args.path.read_bytes()
        catalog = from_csv(data.decode("utf-8")) if args.path.suffix.lower() == ".csv" else read_catalog(data)
        result = import_catalog(
            catalog,
            content_root,
            locales_root,
            code=args.lang,
            today=dt.datetime.now(dt.UTC).date(),
            reviewer=args.reviewer,
            dry_run=args.dry_run,
        )
    except (OSError, UnicodeDecodeError, TranslationFileError) as exc:
        print(f"import failed: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    return 1 if result.rejected else 0


def from_csv(text: str) -> Catalog:
    """A sheet exported by ``to_csv`` (and filled in by a reviewer) as a catalogue."""
    from bot.translations.exporting import CSV_COLUMNS
    from bot.translations.importing import TranslationFileError

    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0][: len(CSV_COLUMNS)]) != CSV_COLUMNS:
        raise TranslationFileError(f"the first row must be the exported header: {', '.join(CSV_COLUMNS)}")
    catalog = Catalog(fuzzy=False)
    for row in rows[1:]:
        context, english, _, translation, checked = (row + [""] * 5)[:5]
        flags = () if checked.strip().lower() in ("yes", "y", "1", "x") else ("fuzzy",)
        catalog.add(english, translation, context=context, flags=flags)
    return catalog


def reported_places(database: Path, content_root: Path, code: str, since: dt.date | None) -> set[str] | None:
    """The places of the items readers reported in ``code`` (or a language made from it) since ``since``.

    None (and a line on stderr) when there is no database to read.
    """
    import sqlite3

    from bot.content.derived import read_derivation
    from bot.languages.discovery import discover_languages
    from bot.storage.reported import REPORTED_KEEP_DAYS, reported_since
    from bot.translations.entries import language_entries

    if not database.is_file():
        print(f"no database at {database}: set DATABASE_PATH to the bot's database", file=sys.stderr)
        return None
    day = since or dt.datetime.now(dt.UTC).date() - dt.timedelta(days=REPORTED_KEEP_DAYS)
    languages = {code} | {
        other
        for other in discover_languages(content_root)
        if (rule := read_derivation(content_root, other)) is not None and rule.source == code
    }
    try:
        reported = reported_since(database, languages, day)
    except sqlite3.Error as exc:
        print(f"cannot read the reports from {database}: {exc}", file=sys.stderr)
        return None
    return {
        entry.place
        for entry in language_entries(content_root, code)
        if any(entry.file == theme and item in entry.key for theme, item in reported)
    }
