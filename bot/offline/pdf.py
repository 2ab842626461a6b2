"""A document as an A4 PDF to print (readable two pages per sheet): cover, short table of contents, headings,
numbered items with their footnotes, page numbers; DejaVu Sans (shipped with matplotlib) embedded and subset,
so every letter of every shipped alphabet renders with no system font. The same document gives the same bytes:
the creation date is the text's date and the file id a hash of the content."""

from __future__ import annotations

import copy
import datetime as dt
import functools
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.outline import OutlineSection

from bot.offline.document import Chapter, Document

__all__ = ["FONT_FILES", "covered", "printable", "render_pdf"]

_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FAMILY = "DejaVu"
FONT_FILES = {
    "": _FONT_DIR / "DejaVuSans.ttf",
    "B": _FONT_DIR / "DejaVuSans-Bold.ttf",
    "I": _FONT_DIR / "DejaVuSans-Oblique.ttf",
    "BI": _FONT_DIR / "DejaVuSans-BoldOblique.ttf",
}
# Sizes in points and millimetres. 11 pt body text is still 7.7 pt when two A4 pages share a sheet.
BODY, SMALL, HEADING, TITLE = 11.0, 8.5, 14.0, 20.0
LINE = 5.6  # mm per body line
MARGIN = 20.0
INK, GREY, ACCENT = (17, 17, 17), (90, 90, 90), (134, 59, 122)


@functools.cache
def covered() -> frozenset[int]:
    """The code points every one of the four fonts has a glyph for."""
    maps = [set(TTFont(path, lazy=True).getBestCmap()) for path in FONT_FILES.values()]
    return frozenset(set.intersection(*maps))


def printable(text: str) -> str:
    """``text`` without the characters the font cannot draw (and the space after one): pictographs such as 📖
    only decorate a label, and a missing glyph would print as an empty box."""
    have = covered()
    if all(ord(c) in have or c == "\n" for c in text):
        return text
    out: list[str] = []
    skip_space = False
    for c in text:
        if ord(c) in have or c == "\n":
            if not (skip_space and c == " "):
                out.append(c)
            skip_space = False
        else:
            skip_space = True
    return "".join(out)


@functools.cache
def _parsed_fonts() -> dict[str, TTFFont]:
    """The four fonts as fpdf2 reads them (metrics, glyph ids), once per process."""
    pdf = FPDF()
    for style, path in FONT_FILES.items():
        pdf.add_font(FAMILY, style, str(path))
    return {key: font for key, font in pdf.fonts.items() if isinstance(font, TTFFont)}


@dataclass
class _Run:
    text: str
    style: str
    link: str | None


@dataclass
class _Runs(HTMLParser):
    """Telegram's HTML subset (b, i, u, a, line breaks) as runs of text with a font style and a link."""

    runs: list[_Run] = field(default_factory=list)
    _bold: int = 0
    _italic: int = 0
    _underline: int = 0
    _link: str | None = None

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._count(tag, 1)
        if tag == "a":
            self._link = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        self._count(tag, -1)
        if tag == "a":
            self._link = None

    def _count(self, tag: str, step: int) -> None:
        if tag in ("b", "strong"):
            self._bold += step
        elif tag in ("i", "em"):
            self._italic += step
        elif tag == "u":
            self._underline += step

    def handle_data(self, data: str) -> None:
        style = ("B" if self._bold else "") + ("I" if self._italic else "") + ("U" if self._underline else "")
        self.runs.append(_Run(printable(data), style, self._link))


def _runs(markup: str) -> list[_Run]:
    parser = _Runs()
    parser.feed(markup)
    parser.close()
    return parser.runs


class _Pdf(FPDF):
    """FPDF with the page footer: where the copy comes from, and the page number."""

    def __init__(self, doc: Document) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc = doc
        # The fonts' metrics are read once per process; each document gets its own copy (its own subset) and
        # a fresh handle on the font file, which fpdf2 subsets in place when it writes the document.
        for key, font in _parsed_fonts().items():
            own = copy.deepcopy(font)
            own.ttfont = TTFont(font.ttffile, recalcTimestamp=False, lazy=True)
            self.fonts[key] = own
        self.set_margins(MARGIN, MARGIN * 0.8, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        self.alias_nb_pages()
        self.set_creation_date(dt.datetime.combine(doc.date, dt.time(), tzinfo=dt.UTC))
        self.set_lang(doc.code)
        self.set_title(doc.title)
        self.set_subject(doc.subtitle or doc.title)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-MARGIN * 0.7)
        self.set_font(FAMILY, "", SMALL)
        self.set_text_color(*GREY)
        where = " · ".join(filter(None, [self.doc.labels.unofficial, self.doc.link and self.doc.link[8:]]))
        width = self.epw / 2
        self.cell(width, 4, printable(where), align="L")
        number = self.doc.labels.page.format(page=self.page_no(), total="{nb}")
        self.cell(width, 4, number, align="R")
        self.set_text_color(*INK)

    def blocks(self, markup: str, size: float = BODY, line: float = LINE, gap: float = 2.0) -> None:
        """One paragraph of Telegram HTML, then a small gap."""
        for run in _runs(markup):
            self.set_font(FAMILY, run.style, size)
            self.set_text_color(*(ACCENT if run.link else INK))
            self.write(line, run.text, link=run.link or "")
        self.set_text_color(*INK)
        self.ln(line + gap)

    def heading(self, text: str, size: float, level: int | None, space: float = 4.0) -> None:
        """A heading, kept with at least the first lines after it, in the outline when ``level`` is set."""
        if self.will_page_break(size * 0.6 + 3 * LINE):
            self.add_page()
        elif self.get_y() > self.t_margin + 1:
            self.ln(space)
        if level is not None:
            self.start_section(text, level=level)
        self.set_font(FAMILY, "B", size)
        self.set_text_color(*(ACCENT if level == 0 else INK))
        self.multi_cell(0, size * 0.5, printable(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.ln(1.5)


def _contents(doc: Document, levels: int) -> object:
    def render(pdf: FPDF, outline: list[OutlineSection]) -> None:
        pdf.set_xy(pdf.l_margin, pdf.t_margin)
        pdf.set_font(FAMILY, "B", HEADING)
        pdf.cell(0, 10, doc.labels.contents, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        for section in outline:
            if section.level >= levels:
                continue
            pdf.set_font(FAMILY, "B" if section.level == 0 and levels > 1 else "", BODY)
            pdf.set_x(pdf.l_margin + 6 * section.level)
            link = pdf.add_link(page=section.page_number)
            number = str(section.page_number)
            width = pdf.epw - 6 * section.level - pdf.get_string_width(number) - 2
            name = printable(section.name)
            while pdf.get_string_width(name) > width - 2 and len(name) > 8:
                name = name[:-2].rstrip() + "…"
            pdf.cell(width, 7, name, link=link)
            pdf.cell(0, 7, number, align="R", link=link, new_x="LMARGIN", new_y="NEXT")

    return render


def _cover(pdf: _Pdf, doc: Document) -> None:
    pdf.add_page()
    if doc.subtitle:
        pdf.set_font(FAMILY, "", BODY)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(0, LINE, printable(doc.subtitle), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.set_font(FAMILY, "B", TITLE)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, TITLE * 0.5, printable(doc.title), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(4)
    if len(doc.chapters) == 1 and not doc.front:
        for fact in doc.chapters[0].facts:
            pdf.blocks(_escape(fact), gap=0)
        pdf.ln(3)
    if doc.labels.unofficial and doc.notice:
        pdf.blocks(f"<b>{_escape(doc.labels.unofficial)}.</b> <i>{doc.notice}</i>", gap=3)
    pdf.blocks(_escape(doc.labels.date_line), gap=0)
    if doc.link and doc.labels.link_line:
        before, _, after = doc.labels.link_line.partition(doc.link)
        pdf.blocks(f'{_escape(before)}<a href="{doc.link}">{_escape(doc.link)}</a>{_escape(after)}')
    pdf.ln(4)
    for block in doc.cover:
        pdf.blocks(block, size=SMALL + 0.5, line=4.4, gap=2.5)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _chapter(pdf: _Pdf, chapter: Chapter, whole: bool) -> None:
    if whole:
        pdf.add_page()
        pdf.heading(chapter.title, HEADING + 3, 0)
        for fact in chapter.facts:
            pdf.blocks(_escape(fact), gap=0)
        pdf.ln(2)
    for part in chapter.parts:
        pdf.heading(part.title, HEADING, 1 if whole else 0, space=6)
        if part.intro:
            pdf.blocks(f"<i>{_escape(part.intro)}</i>")
        for entry in part.entries:
            if entry.group_title:
                pdf.heading(entry.group_title, BODY + 1, None, space=2)
            pdf.blocks(entry.html)


def render_pdf(doc: Document) -> bytes:
    """The PDF's bytes; the same document always gives the same bytes."""
    pdf = _Pdf(doc)
    whole = len(doc.chapters) != 1 or bool(doc.front)
    _cover(pdf, doc)
    pdf.add_page()
    pdf.insert_toc_placeholder(_contents(doc, 1), pages=1)  # type: ignore[arg-type]
    if doc.front:
        pdf.heading(doc.front_title, HEADING + 3, 0)
        for block in doc.front:
            pdf.blocks(block)
    for chapter in doc.chapters:
        _chapter(pdf, chapter, whole)
    return bytes(pdf.output())
