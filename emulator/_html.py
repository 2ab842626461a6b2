"""Telegram-compatible HTML parse mode: converts HTML to plain text plus UTF-16 based entities."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HTMLParseError", "parse_html", "trim_text", "utf16_len"]

logger = logging.getLogger(__name__)

# tag name -> entity type ("" = decided by attributes); mirrors tdlib's parse_html.
_TAG_TYPES: dict[str, str] = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\f\v"


class HTMLParseError(ValueError):
    """Raised with Telegram's own wording when a text is not valid Telegram HTML."""


def utf16_len(text: str) -> int:
    """Return the length of a string in UTF-16 code units, as Telegram counts entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    """A start tag waiting for its end tag."""

    name: str
    argument: str
    offset: int
    language: str = ""
    children: list[dict[str, Any]] = field(default_factory=list)


def _byte_offset(src: str, index: int) -> int:
    """Return the UTF-8 byte offset of a character index (Telegram reports byte offsets)."""
    return len(src[:index].encode("utf-8"))


def _decode_entity(src: str, i: int) -> tuple[str, int] | None:
    """Decode an HTML entity starting at ``src[i] == '&'``; return (text, consumed) or None."""
    end = src.find(";", i + 1, i + 12)
    if end == -1:
        return None
    body = src[i + 1 : end]
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body], end - i + 1
    if body.startswith("#"):
        digits = body[1:]
        try:
            code = int(digits[1:], 16) if digits[:1] in ("x", "X") else int(digits, 10)
        except ValueError:
            return None
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), end - i + 1
    return None


def _read_attribute_value(src: str, i: int, tag: str, begin: int) -> tuple[str, int]:
    """Read a quoted or bare attribute value at ``i``; return (value, next index)."""
    n = len(src)
    if src[i] not in "'\"":
        start = i
        while i < n and (src[i].isalnum() or src[i] in ".-"):
            i += 1
        if i >= n:
            raise HTMLParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        if src[i] not in _SPACES and src[i] != ">":
            raise HTMLParseError(f"Unexpected end of name token at byte offset {_byte_offset(src, start)}")
        return src[start:i].lower(), i
    quote = src[i]
    i += 1
    value: list[str] = []
    while i < n and src[i] != quote:
        if src[i] == "&":
            decoded = _decode_entity(src, i)
            if decoded is not None:
                value.append(decoded[0])
                i += decoded[1]
                continue
        value.append(src[i])
        i += 1
    if i >= n:
        raise HTMLParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
    return "".join(value), i + 1


def _parse_start_tag(src: str, begin: int) -> tuple[_OpenTag, int]:
    """Parse a start tag at ``src[begin] == '<'``; return the open tag (offset unset) and next index."""
    n = len(src)
    i = begin + 1
    while i < n and src[i] not in _SPACES and src[i] != ">":
        i += 1
    if i >= n:
        raise HTMLParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
    name = src[begin + 1 : i].lower()
    if name not in _TAG_TYPES:
        raise HTMLParseError(f'Unsupported start tag "{name}" at byte offset {_byte_offset(src, begin)}')
    argument = ""
    while True:
        while i < n and src[i] in _SPACES:
            i += 1
        if i >= n:
            raise HTMLParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        if src[i] == ">":
            break
        attr_begin = i
        while i < n and src[i] not in _SPACES and src[i] not in "=>":
            i += 1
        attr = src[attr_begin:i].lower()
        if not attr:
            raise HTMLParseError(
                f'Empty attribute name in the tag "{name}" at byte offset {_byte_offset(src, attr_begin)}'
            )
        while i < n and src[i] in _SPACES:
            i += 1
        if i < n and src[i] != "=" and name == "blockquote" and attr == "expandable":
            argument = "1"
            continue
        if i >= n or src[i] != "=":
            raise HTMLParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                f"at byte offset {_byte_offset(src, begin)}"
            )
        i += 1
        while i < n and src[i] in _SPACES:
            i += 1
        if i >= n:
            raise HTMLParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        value, i = _read_attribute_value(src, i, name, begin)
        if name == "a" and attr == "href":
            argument = value
        elif name == "code" and attr == "class" and value.startswith("language-"):
            argument = value.removeprefix("language-")
        elif name == "span" and attr == "class" and value.startswith("tg-"):
            argument = value.removeprefix("tg-")
        elif name == "tg-emoji" and attr == "emoji-id":
            argument = value
        elif name == "blockquote" and attr == "expandable":
            argument = "1"
    if name == "span" and argument != "spoiler":
        raise HTMLParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(src, begin)}')
    return _OpenTag(name=name, argument=argument, offset=0), i + 1


def _make_entity(tag: _OpenTag, end: int) -> dict[str, Any] | None:
    """Build the entity for a closed tag, or None when the tag produces no entity."""
    length = end - tag.offset
    if length <= 0:
        return None
    kind = _TAG_TYPES[tag.name]
    entity: dict[str, Any] = {"type": kind, "offset": tag.offset, "length": length}
    if tag.name == "a":
        if not tag.argument:
            return None
        entity["url"] = tag.argument
    elif tag.name == "pre" and tag.language:
        entity["language"] = tag.language
    elif tag.name == "blockquote" and tag.argument:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        if not tag.argument:
            return None
        entity["custom_emoji_id"] = tag.argument
    return entity


def parse_html(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities) or raise HTMLParseError like the Bot API."""
    out: list[str] = []
    pos = 0  # current UTF-16 offset in the output
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    i = 0
    n = len(src)
    while i < n:
        ch = src[i]
        if ch == "&":
            decoded = _decode_entity(src, i)
            if decoded is not None:
                out.append(decoded[0])
                pos += utf16_len(decoded[0])
                i += decoded[1]
                continue
        if ch != "<":
            out.append(ch)
            pos += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        if i + 1 < n and src[i + 1] == "/":
            if not stack:
                raise HTMLParseError(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
            i += 2
            while i < n and src[i] not in _SPACES and src[i] != ">":
                i += 1
            end_name = src[begin + 2 : i].lower()
            while i < n and src[i] in _SPACES:
                i += 1
            if i >= n or src[i] != ">":
                raise HTMLParseError(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
            i += 1
            tag = stack.pop()
            if end_name and end_name != tag.name:
                raise HTMLParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                    f'expected "</{tag.name}>", found "</{end_name}>"'
                )
            if tag.name == "code" and tag.argument and stack and stack[-1].name == "pre":
                parent = stack[-1]
                if parent.offset == tag.offset:
                    parent.language = tag.argument
                    continue
            entity = _make_entity(tag, pos)
            if entity is not None:
                entities.append(entity)
            continue
        tag, i = _parse_start_tag(src, begin)
        tag.offset = pos
        stack.append(tag)
    if stack:
        raise HTMLParseError(f"Can't find end tag corresponding to start tag {stack[-1].name}")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def trim_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip leading/trailing whitespace like Telegram does, shifting and clipping entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result: list[dict[str, Any]] = []
    for entity in entities:
        start = max(0, int(entity["offset"]) - shift)
        end = min(total, int(entity["offset"]) + int(entity["length"]) - shift)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result
