"""Reading ``content/<locale>/*.yaml``: every file that ``content/themes.yaml`` lists parsed, validated and
overlaid, then built into the model.

Every problem is collected before raising, so one run of the check lists them all.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from bot.content.derived import Derivation, derivation, derive_files
from bot.content.fallback import count_strings, fallback_name, native_name, overlay
from bot.content.index import INDEX_FILE, read_index
from bot.content.model import (
    ABOUT_FILE,
    FALLBACK_LOCALE,
    REFERENCE_LOCALE,
    About,
    Content,
    ContentError,
    ContentProblem,
    Group,
    Item,
    LocaleContent,
    Note,
    Section,
    Theme,
)
from bot.content.review import REVIEW_FILE, content_places, read_review
from bot.content.validation import claimed, compare, language_problems, validate_file
from bot.languages.discovery import LANGUAGE_TAG

# --------------------------------------------------------------------------------------------- building


def _build_theme(raw: dict[str, Any]) -> Theme:
    sections = []
    for s in raw["sections"]:
        raw_groups = s.get("groups") or [{"id": "all", "title": None, "items": s["items"]}]
        groups = tuple(
            Group(
                id=g["id"],
                title=g["title"],
                items=tuple(
                    Item(
                        id=i["id"],
                        text=i["text"],
                        notes=tuple(Note(text=n.get("text"), url=n.get("url")) for n in i.get("notes", [])),
                        translator_note=i.get("translator_note"),
                    )
                    for i in g["items"]
                ),
            )
            for g in raw_groups
        )
        sections.append(
            Section(
                id=s["id"],
                title=s["title"],
                short_title=s["short_title"],
                intro=s.get("intro"),
                groups=groups,
            )
        )
    return Theme(
        id=raw["id"],
        title=raw["title"],
        short_title=raw["short_title"],
        moderator_name=raw["moderator"]["name"],
        moderator_country=raw["moderator"]["country"],
        countries=tuple(raw["countries"]),
        protect_content=raw["protect_content"],
        sections=tuple(sections),
    )


def _native_share(root: Path, code: str, rule: Derivation | None, places: list[str]) -> float | None:
    """The share of ``code``'s strings a native speaker has checked (a derived language: its source's).

    None for the English original and the Russian fallback, which the about page shows as they are.
    """
    if code in (REFERENCE_LOCALE, FALLBACK_LOCALE):
        return None
    return read_review(root / (rule.source if rule else code)).share(places)


def _build_about(raw: dict[str, Any], native_checked: float | None = None) -> About:
    bg, lic = raw["background"], raw["licence"]
    return About(
        title=raw["title"],
        short_title=raw["short_title"],
        initiative=raw["initiative"],
        background_title=bg["title"],
        background_text=bg["text"],
        topics=tuple(bg["topics"]),
        participants=bg["participants"],
        by_country=tuple(bg["by_country"]),
        purpose=raw["purpose"],
        authors=tuple(raw["authors"]),
        editors=tuple(raw["editors"]),
        illustrations=raw["illustrations"],
        disclaimer=raw["disclaimer"],
        licence_notice=lic["notice"],
        licence_terms=lic["terms"],
        licence_name=lic["name"],
        licence_url=lic["url"],
        attribution=lic["attribution"],
        language_name=raw["language_name"],
        translation_notice=raw.get("translation_notice"),
        native_checked=native_checked,
    )


# --------------------------------------------------------------------------------------------- loading


def _read_yaml(path: Path, problems: list[ContentProblem], root: Path) -> Any:
    name = str(path.relative_to(root))
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(ContentProblem(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(ContentProblem(name, "", f"cannot read: {exc}"))
    return None


def load_content(root: Path) -> Content:
    """Load and validate every locale under ``root``; raise ``ContentError`` listing every problem."""
    problems: list[ContentProblem] = []
    if not root.is_dir():
        raise ContentError([ContentProblem(str(root), "", "content directory not found")])
    index = read_index(root, problems)
    if index is None:
        raise ContentError(problems)
    file_names = index.file_names
    listed = ", ".join(f"{name}.yaml" for name in file_names)
    locale_dirs = sorted(p for p in root.iterdir() if p.is_dir() and LANGUAGE_TAG.match(p.name))
    raw: dict[str, dict[str, Any]] = {}
    for directory in locale_dirs:
        files: dict[str, Any] = {}
        for yaml_path in sorted(directory.glob("*.yaml")):
            rel = f"{directory.name}/{yaml_path.name}"
            if yaml_path.name == REVIEW_FILE:
                continue  # what native speakers have checked: read below for the share, not content
            if yaml_path.stem not in file_names:
                problems.append(ContentProblem(rel, "", f"unknown file: not a theme in {INDEX_FILE} (files: {listed})"))
                continue
            files[yaml_path.stem] = _read_yaml(yaml_path, problems, root)
        raw[directory.name] = files
    # Derived languages (uz-Cyrl from uz): the source's text transliterated, their own files laid over it.
    rules = {code: derivation(code, files.get(ABOUT_FILE), root / code, problems) for code, files in raw.items()}
    for code, rule in rules.items():
        if rule is None:
            continue
        if rules.get(rule.source) is not None:
            problems.append(ContentProblem(f"{code}/{ABOUT_FILE}.yaml", "derived_from", "a derived language"))
            continue
        raw[code] = derive_files(code, rule, raw, problems)
    missing_locales = [code for code in (REFERENCE_LOCALE, FALLBACK_LOCALE) if code not in raw]
    for code in missing_locales:
        problems.append(ContentProblem(f"{code}/", "", "required locale is missing"))
    if missing_locales:
        raise ContentError(problems)

    # Structure of each complete locale on its own, then parity with English.
    for code in (REFERENCE_LOCALE, FALLBACK_LOCALE):
        for name in file_names:
            file = f"{code}/{name}.yaml"
            if name not in raw[code]:
                listed_as = f": {INDEX_FILE} lists the theme {name!r}" if name != ABOUT_FILE else ""
                problems.append(ContentProblem(file, "", f"file is missing{listed_as}"))
                continue
            problems.extend(validate_file(raw[code][name], name, file, index.sections))
    if problems:
        raise ContentError(problems)
    for name in file_names:
        compare(
            raw[REFERENCE_LOCALE][name],
            raw[FALLBACK_LOCALE][name],
            "",
            f"{FALLBACK_LOCALE}/{name}.yaml",
            problems,
        )
        for code in (REFERENCE_LOCALE, FALLBACK_LOCALE):
            language_problems(code, raw[code][name], "", f"{code}/{name}.yaml", problems)
    if "translation_notice" not in raw[FALLBACK_LOCALE][ABOUT_FILE]:
        problems.append(
            ContentProblem(f"{FALLBACK_LOCALE}/{ABOUT_FILE}.yaml", "translation_notice", "a translation needs it")
        )

    # Partial locales: overlay on the fallback, then validate the result like a complete file.
    merged: dict[str, dict[str, Any]] = {
        REFERENCE_LOCALE: raw[REFERENCE_LOCALE],
        FALLBACK_LOCALE: raw[FALLBACK_LOCALE],
    }
    coverage: dict[str, float] = {REFERENCE_LOCALE: 1.0, FALLBACK_LOCALE: 1.0}
    for code, files in raw.items():
        if code in merged:
            continue
        done = total = 0
        merged[code] = {}
        for name in file_names:
            base = copy.deepcopy(raw[FALLBACK_LOCALE][name])
            file = f"{code}/{name}.yaml"
            if name in files:
                language_problems(code, claimed(files[name], raw[FALLBACK_LOCALE][name]), "", file, problems)
                merged_file, d, t = overlay(base, files[name], "", file, problems)
            else:
                merged_file, d, t = base, 0, count_strings(base)
            problems.extend(validate_file(merged_file, name, file, index.sections))
            merged[code][name] = merged_file
            done, total = done + d, total + t
        coverage[code] = done / total if total else 0.0
    if problems:
        raise ContentError(problems)
    for code, files in merged.items():
        about = files[ABOUT_FILE]
        if code not in (REFERENCE_LOCALE, FALLBACK_LOCALE) and about["language_name"] == fallback_name(raw):
            about["language_name"] = native_name(code)  # not translated yet: CLDR's name beats "Русский"

    places = [p for name in file_names for p in content_places(name, raw[REFERENCE_LOCALE][name])]
    locales = {
        code: LocaleContent(
            code=code,
            themes=tuple(_build_theme(files[t]) for t in index.themes),
            about=_build_about(files[ABOUT_FILE], _native_share(root, code, rules.get(code), places)),
            coverage=coverage[code],
            derived_from=rule.source if (rule := rules.get(code)) else None,
            offer=rule.offer if rule else None,
        )
        for code, files in merged.items()
    }
    return Content(locales=locales)


def check_content(root: Path) -> tuple[Content | None, list[ContentProblem]]:
    """Validate ``root``; return the content (or None) and the problems found."""
    try:
        return load_content(root), []
    except ContentError as exc:
        return None, list(exc.problems)
