"""Split a section (or any run of HTML blocks) into pages sized for slow connections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.telegram.limits import PAGE_HEADER_RESERVE, PAGE_TARGET_CHARS, TEXT_MAX

__all__ = ["BLOCK_SEPARATOR", "Page", "PageEntry", "paginate"]

BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class PageEntry:
    """One item as shown on a page."""

    item_id: str
    number: int  # 1-based position in the section
    html: str
    group_title: str | None = None  # set where a titled group starts


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a section."""

    number: int  # 0-based
    entries: tuple[PageEntry, ...]


def paginate(
    lengths: Sequence[int],
    target: int = PAGE_TARGET_CHARS,
    limit: int = TEXT_MAX - PAGE_HEADER_RESERVE,
) -> list[range]:
    """Group consecutive blocks of the given lengths into pages.

    A page takes blocks while it stays within ``target`` characters; a block never goes to the next page
    if the current one is still empty (so a long item is alone on its page, never split). No page but a
    single-block one exceeds ``limit``; the content check guarantees that a single block fits.
    """
    pages: list[range] = []
    start, size = 0, 0
    for index, length in enumerate(lengths):
        extra = length + (len(BLOCK_SEPARATOR) if index > start else 0)
        if index > start and (size + extra > target or size + extra > limit):
            pages.append(range(start, index))
            start, size = index, length
        else:
            size += extra
    if lengths:
        pages.append(range(start, len(lengths)))
    return pages
