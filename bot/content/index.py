"""``content/themes.yaml``: which themes the brief has and which sections each of them has, in reading order.

The one place that names them: the loader reads ``<code>/<theme>.yaml`` for each listed theme, the check
says which file is missing or not listed, and every feature takes its themes from the loaded content.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.content.model import ABOUT_FILE, ContentError, ContentProblem
from bot.content.validation import is_id

__all__ = ["ID_MAX", "INDEX_FILE", "ContentIndex", "content_index", "read_index"]

INDEX_FILE = "themes.yaml"
# A theme and a section id are both part of a deep link (``p_<theme>_<section>_<page>_<language>``, 64 characters
# at most) and of button payloads (64 bytes): 20 characters each leaves room for the rest.
ID_MAX = 20


@dataclass(frozen=True, slots=True)
class ContentIndex:
    """Theme ids and section ids, each in reading order."""

    themes: tuple[str, ...]
    sections: tuple[str, ...]

    @property
    def file_names(self) -> tuple[str, ...]:
        """The files of one complete language, without ``.yaml``: each theme's, then the about page's."""
        return (*self.themes, ABOUT_FILE)


def _ids(raw: dict[str, Any], key: str, problems: list[ContentProblem]) -> tuple[str, ...]:
    value = raw.get(key)
    if not isinstance(value, list) or not value:
        problems.append(ContentProblem(INDEX_FILE, key, "expected a non-empty list of ids"))
        return ()
    seen: set[str] = set()
    for index, element in enumerate(value):
        where = f"{key}[{index}]"
        if not isinstance(element, str) or not is_id(element) or len(element) > ID_MAX:
            problems.append(
                ContentProblem(
                    INDEX_FILE, where, f"{element!r} is not an id (a-z, 0-9 joined by '-', at most {ID_MAX})"
                )
            )
        elif element in seen:
            problems.append(ContentProblem(INDEX_FILE, where, f"{element!r} is listed twice"))
        elif key == "themes" and element == ABOUT_FILE:
            problems.append(ContentProblem(INDEX_FILE, where, f"{ABOUT_FILE!r} is the about page, not a theme"))
        seen.add(str(element))
    return tuple(str(v) for v in value)


def read_index(root: Path, problems: list[ContentProblem]) -> ContentIndex | None:
    """Read ``root/themes.yaml``; on any problem add it to ``problems`` and return None."""
    path = root / INDEX_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(ContentProblem(INDEX_FILE, "", "file is missing (it lists the themes and sections)"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(ContentProblem(INDEX_FILE, "", f"cannot read: {exc}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(ContentProblem(INDEX_FILE, "", f"not valid YAML: {getattr(exc, 'problem', exc)}"))
        return None
    if not isinstance(raw, dict):
        problems.append(ContentProblem(INDEX_FILE, "", "expected a mapping with 'themes' and 'sections'"))
        return None
    found: list[ContentProblem] = []
    themes, sections = _ids(raw, "themes", found), _ids(raw, "sections", found)
    for key in raw:
        if key not in ("themes", "sections"):
            found.append(ContentProblem(INDEX_FILE, str(key), "unknown key (expected: themes, sections)"))
    problems.extend(found)
    return None if found else ContentIndex(themes, sections)


def content_index(root: Path) -> ContentIndex:
    """What ``root/themes.yaml`` lists; raise ``ContentError`` when it is missing or wrong."""
    problems: list[ContentProblem] = []
    index = read_index(root, problems)
    if index is None:
        raise ContentError(problems)
    return index
