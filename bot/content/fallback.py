"""A partial translation laid over the fallback locale, string by string, with the share really translated;
and the name a language gets in itself while its own is not translated yet.
"""

from __future__ import annotations

import re
from typing import Any

from babel import Locale, UnknownLocaleError

from bot.content.model import ABOUT_FILE, FALLBACK_LOCALE, ContentProblem
from bot.content.validation import TRANSLATOR_KEYS, join_path
from bot.languages.discovery import babel_locale

# --------------------------------------------------------------------------------------------- fallback


def overlay(
    base: Any, partial: Any, path: str, file: str, problems: list[ContentProblem], key: str = ""
) -> tuple[Any, int, int]:
    """Lay a partial translation over the fallback; return (merged, translated strings, strings to translate).

    Only prose counts towards coverage: ids, URLs and names (no lower-case word) stay as they are.
    """
    if isinstance(base, dict):
        if not isinstance(partial, dict):
            problems.append(ContentProblem(file, path, "expected a mapping"))
            return base, 0, count_strings(base, key)
        for k in partial:
            if k not in base and k not in TRANSLATOR_KEYS:
                problems.append(ContentProblem(file, join_path(path, str(k)), "unknown key"))
        merged: dict[str, Any] = {}
        done = total = 0
        for k, v in base.items():
            if k in partial:
                merged[k], d, t = overlay(v, partial[k], join_path(path, k), file, problems, k)
            else:
                merged[k], d, t = v, 0, count_strings(v, k)
            done, total = done + d, total + t
        for k in TRANSLATOR_KEYS & partial.keys() - base.keys():
            merged[k] = partial[k]  # a note of this translation's own, where the fallback has none
        return merged, done, total
    if isinstance(base, list):
        if not isinstance(partial, list):
            problems.append(ContentProblem(file, path, "expected a list"))
            return base, 0, count_strings(base, key)
        by_id = all(isinstance(e, dict) and "id" in e for e in base)
        if by_id:
            given = {e.get("id"): e for e in partial if isinstance(e, dict)}
            for unknown in set(given) - {e["id"] for e in base}:
                problems.append(ContentProblem(file, path, f"unknown id {unknown!r}"))
            pairs = [(e, given.get(e["id"])) for e in base]
        elif len(partial) == len(base):
            pairs = list(zip(base, partial, strict=True))
        else:
            problems.append(ContentProblem(file, path, f"expected {len(base)} entries, found {len(partial)}"))
            return base, 0, count_strings(base, key)
        out: list[Any] = []
        done = total = 0
        for index, (b, p) in enumerate(pairs):
            if p is None:
                out.append(b)
                total += count_strings(b, key)
                continue
            m, d, t = overlay(b, p, join_path(path, index), file, problems, key)
            out.append(m)
            done, total = done + d, total + t
        return out, done, total
    if isinstance(base, str):
        counted = int(_is_prose(base, key))
        if isinstance(partial, str) and partial.strip():
            # A string still identical to the fallback is not translated yet.
            return partial, counted * int(partial != base), counted
        return base, 0, counted
    return partial if type(partial) is type(base) else base, 0, 0


_PROSE_WORD = re.compile(r"\b[^\W\d_A-ZА-ЯЁ][^\W\d_]{3,}\b")  # a lower-case word of four letters or more
_WEB_ADDRESS = re.compile(r"\S+\.[a-z]{2,}\S*")


def _is_prose(text: str, key: str) -> bool:
    """Whether ``text`` is something to translate (not an id, a URL, or a name such as "CC BY-NC 4.0")."""
    return key not in ("id", "url") and bool(_PROSE_WORD.search(_WEB_ADDRESS.sub(" ", text)))


def count_strings(node: Any, key: str = "") -> int:
    if isinstance(node, dict):
        return sum(count_strings(v, k) for k, v in node.items())
    if isinstance(node, list):
        return sum(count_strings(v, key) for v in node)
    return int(_is_prose(node, key)) if isinstance(node, str) else 0


def native_name(code: str) -> str:
    """CLDR's name of language ``code`` in itself, capitalised."""
    try:
        name = Locale.parse(babel_locale(code)).get_display_name(babel_locale(code)) or code
    except (ValueError, UnknownLocaleError):
        name = code
    return name[:1].upper() + name[1:]


def fallback_name(raw: dict[str, dict[str, Any]]) -> Any:
    return raw[FALLBACK_LOCALE][ABOUT_FILE]["language_name"]
