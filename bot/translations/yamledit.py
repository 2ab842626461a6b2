"""Replace one string of a YAML file in place, keeping every other line as it is.

The content files use folded ``>-`` blocks wrapped at ``WRAP_WIDTH`` characters. A changed block keeps its line
breaks wherever the words around them are unchanged, so a one-word fix is a one-line diff; only a line that
grows past the width is wrapped again. Other scalars keep their quoting style and become a folded block only
when they no longer fit on their line. The file is never dumped again.
"""

from __future__ import annotations

import difflib
import json

import yaml

__all__ = ["WRAP_WIDTH", "replace_scalar"]

WRAP_WIDTH = 110


def replace_scalar(text: str, node: yaml.ScalarNode, value: str) -> str:
    """``text`` (the file ``node`` was composed from) with ``node``'s string replaced by ``value``."""
    lines = text.splitlines(keepends=True)
    start, end = node.start_mark, node.end_mark
    if node.style in (">", "|") and "\n" not in value:
        first = start.line + 1
        last = first
        while last < len(lines) and last < end.line and lines[last].strip():
            last += 1
        indent = len(lines[first]) - len(lines[first].lstrip(" "))
        old = [line.strip() for line in lines[first:last]]
        new = _rewrapped(old, value.split(), WRAP_WIDTH - indent) if node.style == ">" else [value]
        block = [" " * indent + line + "\n" for line in new]
        return "".join(lines[:first] + block + lines[last:])
    indent = _content_indent(lines[start.line], start.column)
    rendered = _inline(value, node.style)
    line_end = text.find("\n", end.index)
    rest = text[end.index : line_end if line_end >= 0 else len(text)]  # a comment after the string, if any
    if "\n" in rendered or start.column + len(rendered) + len(rest) > WRAP_WIDTH:
        header, body = _block(value, indent)
        return text[: start.index] + header + rest + "\n" + body + text[end.index + len(rest) :]
    return text[: start.index] + rendered + text[end.index :]


def _rewrapped(old_lines: list[str], new_words: list[str], width: int) -> list[str]:
    """``new_words`` laid out on ``old_lines``' line breaks where the words around them did not change."""
    old_words = [(word, n) for n, line in enumerate(old_lines) for word in line.split()]
    matcher = difflib.SequenceMatcher(None, [w for w, _ in old_words], new_words, autojunk=False)
    placed: list[tuple[int, str]] = []
    for tag, i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            placed += [(old_words[i1 + k][1], new_words[j1 + k]) for k in range(j2 - j1)]
        elif tag in ("replace", "insert"):
            line = old_words[i1][1] if i1 < len(old_words) else (old_words[-1][1] if old_words else 0)
            if placed:
                line = max(line, placed[-1][0])
            placed += [(line, word) for word in new_words[j1:j2]]
    grouped: dict[int, list[str]] = {}
    for line, word in placed:
        grouped.setdefault(line, []).append(word)
    return _carry_over(list(grouped.values()), width)


def _carry_over(lines: list[list[str]], width: int) -> list[str]:
    """Move the words that overflow a line to the start of the next one, only as far as needed."""
    result: list[str] = []
    carry: list[str] = []
    for line in lines:
        words = carry + line
        carry = []
        while len(words) > 1 and len(" ".join(words)) > width:
            carry.insert(0, words.pop())
        result.append(" ".join(words))
    if carry:
        result += _wrap(carry, width)
    return result


def _wrap(words: list[str], width: int) -> list[str]:
    """Greedy wrap; a word longer than ``width`` gets a line of its own."""
    lines: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def _content_indent(line: str, column: int) -> int:
    """The indentation a block scalar starting at ``column`` of ``line`` takes (a key's value or a list entry)."""
    before = line[:column].rstrip()
    if before.endswith("-"):  # "  - value": the entry's text sits two past the dash
        return len(before) + 1
    stripped = before.lstrip(" -")
    return len(before) - len(stripped) + 2  # "key: value": two past the key


def _inline(value: str, style: str | None) -> str:
    """``value`` on one line in ``style`` (plain when YAML reads it back unchanged, else double-quoted)."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style is None and value == value.strip() and "\n" not in value:
        try:
            if yaml.safe_load(value) == value and ": " not in value and " #" not in value:
                return value
        except yaml.YAMLError:
            pass
    return json.dumps(value, ensure_ascii=False)


def _block(value: str, indent: int) -> tuple[str, str]:
    """``value`` as a folded block wrapped at the width (a literal block when it has line breaks): the header
    (``>-``, where a comment may follow) and the indented body."""
    if "\n" in value:
        return "|-", "\n".join(" " * indent + line if line else "" for line in value.split("\n"))
    return ">-", "\n".join(" " * indent + line for line in _wrap(value.split(), WRAP_WIDTH - indent))
