"""Every prose string of one language's brief, with where it is: what the readability check measures.

Titles, intros, items, footnotes and the About page; not ids, links or names (authors are prose here: each
line also names an organisation). A string the language does not have itself, shown from its fallback, is
left out: it is measured in the language it is written in.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.content.model import ABOUT_FILE, About, LocaleContent, Theme

__all__ = ["Prose", "prose"]

Prose = tuple[str, str, str]  # file ("kk/climate.yaml"), place in it, text


def _theme(theme: Theme) -> Iterator[tuple[str, str | None]]:
    yield "title", theme.title
    yield "short_title", theme.short_title
    for s in theme.sections:
        at = f"sections[{s.id}]"
        yield f"{at}.title", s.title
        yield f"{at}.short_title", s.short_title
        yield f"{at}.intro", s.intro
        for g in s.groups:
            yield f"{at}.groups[{g.id}].title", g.title
            for item in g.items:
                yield f"{at}.items[{item.id}].text", item.text
                yield f"{at}.items[{item.id}].translator_note", item.translator_note
                for number, note in enumerate(item.notes):
                    yield f"{at}.items[{item.id}].notes[{number}].text", note.text


def _about(about: About) -> Iterator[tuple[str, str | None]]:
    for key in ("title", "short_title", "initiative", "purpose", "illustrations", "disclaimer"):
        yield key, getattr(about, key)
    yield "background.title", about.background_title
    yield "background.text", about.background_text
    yield "background.participants", about.participants
    for key, values in (("background.topics", about.topics), ("background.by_country", about.by_country)):
        for number, value in enumerate(values):
            yield f"{key}[{number}]", value
    for key, values in (("authors", about.authors), ("editors", about.editors)):
        for number, value in enumerate(values):
            yield f"{key}[{number}]", value
    yield "licence.notice", about.licence_notice
    yield "licence.terms", about.licence_terms
    yield "licence.attribution", about.attribution
    yield "translation_notice", about.translation_notice


def _places(content: LocaleContent) -> Iterator[tuple[str, str, str]]:
    for theme in content.themes:
        for place, text in _theme(theme):
            if text:
                yield f"{content.code}/{theme.id}.yaml", place, text
    for place, text in _about(content.about):
        if text:
            yield f"{content.code}/{ABOUT_FILE}.yaml", place, text


def prose(content: LocaleContent, fallback: LocaleContent | None = None) -> list[Prose]:
    """The prose of ``content``; with ``fallback``, only the strings that differ from it (its own)."""
    theirs = {(file.split("/", 1)[1], place): text for file, place, text in _places(fallback)} if fallback else {}
    return [
        (file, place, text)
        for file, place, text in _places(content)
        if theirs.get((file.split("/", 1)[1], place)) != text
    ]
