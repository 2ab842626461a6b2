"""The "staying safe" page (``content/staying-safe.yaml``): one plain text per language, resolved with fallbacks."""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

import yaml

from bot.content.derived import read_derivation
from bot.languages.discovery import LANGUAGE_TAG, REFERENCE_LANGUAGE, fallback_chain

__all__ = ["REVIEW_STATES", "STAYING_SAFE_FILE", "load_staying_safe", "staying_safe_problems"]

STAYING_SAFE_FILE = "staying-safe.yaml"
REVIEW_STATES = frozenset({"machine-assisted", "reviewed"})
TEXT_MAX = 3000  # under Telegram's 4096 with the discreet-mode sentence and the HTML around it


def _read(content_root: Path) -> object:
    return yaml.safe_load((content_root / STAYING_SAFE_FILE).read_text(encoding="utf-8"))


def staying_safe_problems(content_root: Path, languages: Iterable[str]) -> list[str]:
    """What is wrong with the page's file (empty when it is usable)."""
    codes = frozenset(languages)
    try:
        raw = _read(content_root)
    except (OSError, yaml.YAMLError) as exc:
        return [f"{STAYING_SAFE_FILE}: cannot be read: {exc}"]
    if not isinstance(raw, dict) or not isinstance(raw.get("texts"), dict):
        return [f"{STAYING_SAFE_FILE}: expected 'texts', a text per language code"]
    problems = []
    texts, review = raw["texts"], raw.get("review") or {}
    if REFERENCE_LANGUAGE not in texts:
        problems.append(f"{STAYING_SAFE_FILE}: texts.{REFERENCE_LANGUAGE} is required")
    for code, text in texts.items():
        if not isinstance(code, str) or not LANGUAGE_TAG.match(code):
            problems.append(f"{STAYING_SAFE_FILE}: texts.{code}: not a language tag (e.g. kk, uz-Cyrl)")
        elif code not in codes:
            continue  # a language this deployment does not ship
        elif not isinstance(text, str) or not text.strip() or len(text) > TEXT_MAX:
            problems.append(f"{STAYING_SAFE_FILE}: texts.{code}: expected a text of at most {TEXT_MAX} characters")
    for code, state in review.items() if isinstance(review, dict) else ():
        if code not in texts or state not in REVIEW_STATES:
            problems.append(f"{STAYING_SAFE_FILE}: review.{code}: expected one of {sorted(REVIEW_STATES)}")
    return problems


def load_staying_safe(content_root: Path, languages: Iterable[str]) -> dict[str, str]:
    """The page as HTML for each shipped language (its title in bold); raise ``ValueError`` on a problem."""
    codes = tuple(languages)
    problems = staying_safe_problems(content_root, codes)
    if problems:
        raise ValueError("\n".join(problems))
    raw = _read(content_root)
    assert isinstance(raw, dict)
    texts: dict[str, str] = raw["texts"]
    pages = {}
    for code in codes:
        rule = read_derivation(content_root, code)
        if code not in texts and rule is not None and rule.source in texts:
            texts = {**texts, code: rule.convert(texts[rule.source])}  # Uzbek in Cyrillic from the Latin
        text = next(texts[c] for c in (*fallback_chain(code), REFERENCE_LANGUAGE) if c in texts)
        title, _, body = text.strip().partition("\n")
        pages[code] = f"<b>{html.escape(title)}</b>\n{html.escape(body)}"
    return pages
