"""Languages derived from another by a transliterator: ``uz-Cyrl`` is ``uz`` in Cyrillic.

A derived language says so in its ``about.yaml``::

    derived_from: uz              # the language whose text is transliterated
    transliterate: uz-Latn-Cyrl   # a scheme of bot/languages/transliterate.py
    overrides: overrides.txt      # optional, beside about.yaml: words the rules get wrong
    offer: Кирилл алифбосида ўқиш # optional: a button on the source's first menu choosing this language

Its text is the source's, transliterated string by string when the content is loaded (so once per change of
the files: the start-up cache keeps the result), with whatever its own YAML files say laid over it (its
``language_name``, a sentence the transliteration cannot get right). Fixing a sentence in ``content/uz/`` fixes
it in Cyrillic too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.content.model import ABOUT_FILE, ContentProblem
from bot.languages.transliterate import SCHEMES, OverrideError, Overrides, read_overrides
from bot.telegram.limits import BUTTON_TEXT_MAX

__all__ = ["DERIVATION_KEYS", "Derivation", "derivation", "derive_files", "read_derivation", "transliterated"]

DERIVATION_KEYS = ("derived_from", "transliterate", "overrides", "offer")
_NOT_PROSE = frozenset({"id", "url", "urls", "protect_content"})


@dataclass(frozen=True, slots=True)
class Derivation:
    """How a language's text is made from another's."""

    source: str
    scheme: str
    overrides: Overrides
    offer: str | None = None

    def convert(self, text: str) -> str:
        """``text`` of the source language in this one."""
        return SCHEMES[self.scheme](text, self.overrides)


def derivation(code: str, about: Any, directory: Path, problems: list[ContentProblem]) -> Derivation | None:
    """Take the derivation keys out of a language's raw ``about`` mapping; None if it is not derived."""
    if not isinstance(about, dict) or "derived_from" not in about:
        return None
    file = f"{code}/{ABOUT_FILE}.yaml"
    source, scheme, overrides_name, offer = (about.pop(key, None) for key in DERIVATION_KEYS)
    if not isinstance(source, str) or not source:
        problems.append(ContentProblem(file, "derived_from", "expected a language code"))
        return None
    if scheme not in SCHEMES:
        known = ", ".join(SCHEMES)
        problems.append(ContentProblem(file, "transliterate", f"unknown scheme {scheme!r} (known: {known})"))
        return None
    overrides: dict[str, str] = {}
    if overrides_name is not None:
        path = directory / str(overrides_name)
        try:
            overrides = read_overrides(path)
        except OSError as exc:
            problems.append(ContentProblem(file, "overrides", f"cannot read {overrides_name}: {exc.strerror}"))
        except OverrideError as exc:
            problems.append(ContentProblem(f"{code}/{overrides_name}", "", str(exc)))
    if offer is not None and (not isinstance(offer, str) or not 0 < len(offer) <= BUTTON_TEXT_MAX):
        problems.append(ContentProblem(file, "offer", f"expected a button label of 1 to {BUTTON_TEXT_MAX} characters"))
        offer = None
    return Derivation(source, scheme, overrides, offer)


def transliterated(node: Any, convert: Callable[[str], str], key: str = "") -> Any:
    """A copy of ``node`` with every prose string converted (ids, URLs and flags as they are)."""
    if isinstance(node, dict):
        return {k: v if k in _NOT_PROSE else transliterated(v, convert, str(k)) for k, v in node.items()}
    if isinstance(node, list):
        return [transliterated(v, convert, key) for v in node]
    if isinstance(node, str) and key not in _NOT_PROSE:
        return convert(node)
    return node


def _laid_over(base: Any, own: Any) -> Any:
    """``own`` over ``base``: mappings key by key, lists of mappings with ids id by id, anything else replaced."""
    if isinstance(base, dict) and isinstance(own, dict):
        merged = dict(base)
        for k, v in own.items():
            merged[k] = _laid_over(base[k], v) if k in base else v
        return merged
    if isinstance(base, list) and isinstance(own, list):
        if all(isinstance(e, dict) and "id" in e for e in base) and all(isinstance(e, dict) for e in own):
            given = {e.get("id"): e for e in own}
            extra = [e for e in own if e.get("id") not in {b["id"] for b in base}]
            return [_laid_over(b, given[b["id"]]) if b["id"] in given else b for b in base] + extra
        if len(base) == len(own):
            return [_laid_over(b, o) for b, o in zip(base, own, strict=True)]
    return own


def derive_files(
    code: str, rule: Derivation, raw: dict[str, dict[str, Any]], problems: list[ContentProblem]
) -> dict[str, Any]:
    """The files of derived language ``code``: its source's, converted, with its own laid over them."""
    source = raw.get(rule.source)
    if source is None:
        problems.append(ContentProblem(f"{code}/{ABOUT_FILE}.yaml", "derived_from", f"no language {rule.source!r}"))
        return raw[code]
    own = raw[code]
    files = {name: transliterated(text, rule.convert) for name, text in source.items() if text is not None}
    for name, text in own.items():
        files[name] = _laid_over(files[name], text) if name in files else text
    return files


def read_derivation(root: Path, code: str) -> Derivation | None:
    """The derivation ``content/<code>/about.yaml`` declares, or None (also when the file cannot be read)."""
    path = root / code / f"{ABOUT_FILE}.yaml"
    try:
        about = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return derivation(code, about, root / code, [])
