"""Offline copies (bot/offline/): what the PDF and HTML files hold, their sizes, fonts, reproducibility."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import html
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from bot.app import Static
from bot.content import INDEX_FILE, Content, load_content
from bot.languages.discovery import FALLBACK_LANGUAGE, REFERENCE_LANGUAGE, discover_languages
from bot.offline.callbacks import DownloadChoice, DownloadFile, read
from bot.offline.document import BRIEF, Form, build_document
from bot.offline.pdf import FONT_FILES, render_pdf
from bot.offline.service import start_offline
from bot.offline.settings import SETTINGS_FILE
from bot.offline.store import Shelf
from bot.offline.webpage import render_html
from bot.ops.paths import content_dir, locales_dir
from bot.reading.callbacks import CallbackDataError
from bot.reading.library import Library
from bot.storage import Storage
from tests.offline_files import BUILD_WARNINGS

LANGUAGES = discover_languages(content_dir())
# Every letter of the shipped alphabets beyond ASCII: Kazakh, Tajik, Turkmen, Uzbek Latin (with its modifier
# letters) and Cyrillic.
LETTERS = "әғқңөұүһі" + "ӣӯҳҷ" + "äçňöşüýž" + "ʻʼ" + "ЎўҳқғӘҒҚҢӨҰҮҺІӢӮҲҶÄÇŇÖŞÜÝŽ"
THEME_PDF_MAX, THEME_HTML_MAX, BRIEF_PDF_MAX = 200 * 1024, 60 * 1024, 600 * 1024
_TAG = re.compile(r"<[^>]+>")


def visible(markup: str) -> str:
    """The text a reader sees of Telegram HTML, without any whitespace (line breaks fall anywhere in a PDF)."""
    return re.sub(r"\s+", "", html.unescape(_TAG.sub("", markup)))


def pdf_text(data: bytes) -> str:
    """The text of every page without its footer (drawn last, so its last line): an item may go on overleaf."""
    pages = (page.extract_text().rstrip().rsplit("\n", 1)[0] for page in PdfReader(io.BytesIO(data)).pages)
    return "\n".join(pages)


def content_of(static: Static) -> Content:
    return static[0]


@pytest.mark.parametrize("path", sorted(FONT_FILES.values()), ids=lambda p: p.name)
def test_the_embedded_font_has_every_letter_of_every_alphabet(path: object) -> None:
    cmap = TTFont(path).getBestCmap()
    assert [c for c in LETTERS if ord(c) not in cmap] == []


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_theme_pdf_holds_every_item_in_order_in_its_language(
    static: Static, offline_shelf: Shelf, code: str
) -> None:
    content, _, library, _ = static
    for theme in content.get(code).themes:
        file = offline_shelf.get(code, theme.id, Form.PDF)
        assert file is not None, (code, theme.id)
        text = re.sub(r"\s+", "", pdf_text(file.path.read_bytes()))
        assert "\ufffd" not in text
        position = 0
        for section in theme.sections:
            for item in section.items:
                entry = library.entry(code, theme.id, item.id)
                assert entry is not None
                found = text.find(visible(entry.html), position)
                assert found >= 0, (code, theme.id, item.id)
                position = found + 1
        assert visible(theme.title) in text


def test_no_glyph_is_missing_in_any_language(offline_shelf: Shelf) -> None:
    """fpdf2 logs each glyph its font lacks: none while every file was built (the About's "📖" is dropped)."""
    assert offline_shelf.files
    assert BUILD_WARNINGS == []


def test_the_same_content_gives_the_same_bytes(static: Static) -> None:
    _, i18n, library, _ = static
    day = dt.date(2026, 12, 6)
    first, second = (build_document(library, "kk", "gbv", i18n.get("kk"), date=day, username="b_bot") for _ in range(2))
    assert render_pdf(first) == render_pdf(second)
    assert render_html(first) == render_html(second)
    info = PdfReader(io.BytesIO(render_pdf(first))).metadata
    assert info is not None and info.creation_date is not None
    assert info.creation_date.date() == day


def test_every_file_is_within_its_size_target(static: Static, offline_shelf: Shelf) -> None:
    content = content_of(static)
    for code in content.codes:
        for theme in content.get(code).themes:
            pdf, page = offline_shelf.get(code, theme.id, Form.PDF), offline_shelf.get(code, theme.id, Form.HTML)
            assert pdf is not None and page is not None
            assert pdf.size <= THEME_PDF_MAX, (pdf.name, pdf.size)
            assert page.size <= THEME_HTML_MAX, (page.name, page.size)
        brief = offline_shelf.get(code, BRIEF, Form.PDF)
        assert brief is not None and brief.size <= BRIEF_PDF_MAX, code


class _Page(HTMLParser):
    """Checks nesting, and collects the links, the scripts and the items' text of an offline page."""

    VOID = frozenset({"meta", "br", "link", "img"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self.items: list[str] = []
        self._item_depth: int | None = None
        self.attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        found = dict(attrs)
        if tag == "html":
            self.attrs = found
        self.urls += [v for k, v in attrs if k in ("href", "src", "action") and v]
        if tag in self.VOID:
            return
        self.stack.append(tag)
        if tag == "p" and found.get("class") == "item":
            self._item_depth = len(self.stack)
            self.items.append("")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        if self._item_depth == len(self.stack):
            self._item_depth = None
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._item_depth is not None:
            self.items[-1] += data


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_html_is_well_formed_local_and_says_what_the_bot_pages_say(
    static: Static, offline_shelf: Shelf, code: str
) -> None:
    content, _, library, _ = static
    loc = content.get(code)
    for theme in loc.themes:
        file = offline_shelf.get(code, theme.id, Form.HTML)
        assert file is not None
        page = _Page()
        page.feed(file.path.read_text(encoding="utf-8"))
        page.close()
        assert page.errors == [] and page.stack == [], file.name
        assert page.attrs.get("lang") == code and page.attrs.get("dir") == "ltr"
        assert not page.tags & {"script", "iframe", "img", "link", "object", "form"}
        own = {n.url for s in theme.sections for i in s.items for n in i.notes if n.url}
        allowed = own | {loc.about.licence_url, "https://t.me/brief_demo_bot"}
        assert [u for u in page.urls if not u.startswith("#") and html.unescape(u) not in allowed] == []
        # The items' visible text is the bot's pages' text, page after page.
        shown = "".join(
            visible(entry.html)
            for section in theme.sections
            for bot_page in library.pages(code, theme.id, section.id)
            for entry in bot_page.entries
        )
        assert "".join(re.sub(r"\s+", "", t) for t in page.items) == shown


def test_download_payloads_round_trip_and_refuse_what_is_not_theirs() -> None:
    for payload in (DownloadChoice("climate"), DownloadChoice(BRIEF), DownloadFile("gbv", Form.HTML)):
        assert read(payload.pack()) == payload
    assert read("1:t:climate") is None  # the reading menus' payload
    assert read("d1:f:climate:docx") is None
    assert read("d1:" + "x" * 70) is None
    with pytest.raises(CallbackDataError):
        DownloadChoice("no spaces").pack()


def test_a_theme_whose_downloads_are_off_is_in_no_file(static: Static) -> None:
    from bot.offline.settings import OfflineSettings
    from bot.offline.shelf import build_files

    _, i18n, library, _ = static
    off = OfflineSettings(dt.date(2026, 12, 6), frozenset({"gbv"}))
    built = {(c, s, f) for c, s, f, _ in build_files(library, i18n, off, None, codes=["en"], forms=[Form.HTML])}
    assert ("en", "gbv", Form.HTML) not in built and ("en", "climate", Form.HTML) in built
    brief = next(d for c, s, f, d in build_files(library, i18n, off, None, codes=["en"], subjects=[BRIEF]))
    gbv = content_of(static).get("en").theme("gbv")
    assert gbv is not None and gbv.title.encode() not in brief


async def test_the_running_bot_builds_missing_files_in_a_process_of_its_own_then_finds_them(tmp_path: Path) -> None:
    """An empty cache (a new content version): the build process fills it; the next start finds the files."""
    root = tmp_path / "content"
    for code in (REFERENCE_LANGUAGE, FALLBACK_LANGUAGE):  # two languages keep the build short
        shutil.copytree(content_dir() / code, root / code)
    shutil.copy(content_dir() / SETTINGS_FILE, root / SETTINGS_FILE)
    shutil.copy(content_dir() / INDEX_FILE, root / INDEX_FILE)
    content = load_content(root)
    library = Library(content)
    cache = tmp_path / "cache"
    async with await Storage.open(tmp_path / "bot.sqlite3") as storage:
        start = functools.partial(
            start_offline,
            database=storage.database,
            library=library,
            username="b_bot",
            content_root=root,
            locales_root=locales_dir(),
            cache_dir=cache,
            default_language=FALLBACK_LANGUAGE,
            delay=0,
        )
        offline = await start({})
        assert offline.shelf is None and offline.task is not None
        await asyncio.wait_for(offline.task, timeout=120)
        shelf = offline.shelf
        assert shelf is not None
        assert {(c, s) for c, s, _ in shelf.files} == {
            (c, s) for c in content.codes for s in (*(t.id for t in content.get(c).themes), BRIEF)
        }
        again = await start({})
        assert again.task is None and again.shelf is not None and again.shelf.directory == shelf.directory


def test_export_writes_the_chosen_files_and_says_what_it_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    assert main(["export", "--out", str(tmp_path), "--lang", "tk", "--theme", "srhr", "--bot", "b_bot"]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["brief-srhr-tk.html", "brief-srhr-tk.pdf"]
    out = capsys.readouterr().out
    for name in written:
        assert f"{(tmp_path / name).stat().st_size / 1024:8.0f} KB  {tmp_path / name}" in out
    assert "2 files" in out
    assert b"https://t.me/b_bot" in (tmp_path / "brief-srhr-tk.html").read_bytes()


def test_the_download_button_follows_the_admins_choice(static: Static) -> None:
    from bot.reading.screens import Screens

    _, i18n, library, search = static
    t = i18n.get("en")
    for downloads, expected in ((frozenset(), False), (frozenset({"climate", BRIEF}), True)):
        screens = Screens(library, i18n, search, "b_bot", downloads)
        theme, about = screens.theme("en", "climate", False), screens.about("en", 0)
        assert theme is not None and theme.keyboard is not None
        assert about is not None and about.keyboard is not None
        labels = [b.text for row in theme.keyboard.inline_keyboard for b in row]
        assert (t.gettext("📄 Download") in labels) == expected
        assert any(b.text.startswith("📄") for row in about.keyboard.inline_keyboard for b in row) == expected
    gbv = Screens(library, i18n, search, "b_bot", frozenset({"gbv"})).theme("en", "gbv", False)
    assert gbv is not None and gbv.protect and gbv.keyboard is not None
    labels = [b.text for row in gbv.keyboard.inline_keyboard for b in row]
    assert t.gettext("📄 Download (read in Telegram)") in labels
