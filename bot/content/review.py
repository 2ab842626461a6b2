"""Review status: which strings a native speaker has checked, kept in ``content/<code>/review.yaml``.

A string not listed there is machine-assisted (translated and reviewed without a native speaker). A listed one
was checked by a native speaker on a date, and names the reviewer only if they chose to be named. Content
strings are keyed by their place (``gbv › barriers › legislative › barriers-1 › text``), interface strings by
their English message id. A derived language (uz-Cyrl) shares its source's status: its text is the source's.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "PLACE_SEPARATOR",
    "REVIEW_FILE",
    "Check",
    "ReviewStatus",
    "checked_share",
    "content_places",
    "percent",
    "read_review",
    "write_review",
]

REVIEW_FILE = "review.yaml"
PLACE_SEPARATOR = " › "
# Keys whose values are identifiers, links or switches, not words a translator changes.
NOT_TEXT = frozenset({"id", "url", "protect_content"})
_HEADER = (
    "# Strings a native speaker has checked (brief-bot translations import writes this file).\n"
    "# content: place -> check; interface: English message -> check. Anything not listed is machine-assisted.\n"
)


@dataclass(frozen=True, slots=True)
class Check:
    """A native speaker checked the string on ``date`` (``by``: their name, only if they gave it)."""

    date: dt.date
    by: str | None = None

    def as_data(self) -> dict[str, Any]:
        return {"checked": self.date.isoformat(), **({"by": self.by} if self.by else {})}


@dataclass(slots=True)
class ReviewStatus:
    """One language's checked strings."""

    content: dict[str, Check]
    interface: dict[str, Check]

    def share(self, places: Iterable[str], interface: bool = False) -> float:
        """The share of ``places`` (content places, or message ids) a native speaker has checked."""
        return checked_share(self.interface if interface else self.content, places)


def checked_share(checks: Mapping[str, Check], keys: Iterable[str]) -> float:
    """The share of ``keys`` in ``checks`` (0 for no keys)."""
    wanted = list(keys)
    return sum(1 for k in wanted if k in checks) / len(wanted) if wanted else 0.0


def percent(share: float | None) -> str:
    """``share`` as a whole percentage rounded down (99.6% checked is not 100%); "-" for None."""
    return "-" if share is None else f"{math.floor(share * 100)}%"


def _checks(raw: Any) -> dict[str, Check]:
    result = {}
    if isinstance(raw, dict):
        for key, value in raw.items():
            if isinstance(value, dict) and "checked" in value:
                date = value["checked"]
                date = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date))
                result[str(key)] = Check(date, str(value["by"]) if value.get("by") else None)
    return result


def read_review(directory: Path) -> ReviewStatus:
    """The review status kept in ``directory`` (a language's content directory); empty when there is none."""
    path = directory / REVIEW_FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    raw = raw if isinstance(raw, dict) else {}
    return ReviewStatus(_checks(raw.get("content")), _checks(raw.get("interface")))


def write_review(directory: Path, status: ReviewStatus) -> None:
    """Write ``status`` into ``directory`` (sorted: one checked string is one line pair in a diff)."""
    data = {
        "content": {k: status.content[k].as_data() for k in sorted(status.content)},
        "interface": {k: status.interface[k].as_data() for k in sorted(status.interface)},
    }
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)
    (directory / REVIEW_FILE).write_text(_HEADER + text, encoding="utf-8")


def content_places(name: str, node: Any, key: tuple[str, ...] = ()) -> Iterator[str]:
    """The place of every string of the loaded file ``name`` (as bot/translations/entries.py names them)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k not in NOT_TEXT:
                yield from content_places(name, v, key if _has_ids(v) else (*key, str(k)))
    elif isinstance(node, list):
        for index, element in enumerate(node, start=1):
            own = element.get("id") if isinstance(element, dict) else None
            yield from content_places(name, element, (*key, str(own) if own else str(index)))
    elif isinstance(node, str) and key:
        yield PLACE_SEPARATOR.join((name, *key))


def _has_ids(node: Any) -> bool:
    """A list of things with ids (sections, groups, items): its key adds nothing the ids do not say."""
    return isinstance(node, list) and bool(node) and all(isinstance(e, dict) and e.get("id") for e in node)
