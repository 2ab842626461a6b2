"""Numbers that come back from outside (a button's payload, a command's argument) read as ids SQLite can store."""

from __future__ import annotations

import re

__all__ = ["SQLITE_INTEGER_MAX", "parse_id"]

# SQLite's INTEGER: ids (announcements are numbered by SQLite) and pages are at most this. Beyond it a number is
# forged: reading it into a query would raise instead of answering "this menu has expired".
SQLITE_INTEGER_MAX = 2**63 - 1
_NUMBER = re.compile(r"^(0|[1-9][0-9]{0,18})$")  # as str(int) writes it: no sign, no leading zeros


def parse_id(text: str) -> int | None:
    """A non-negative number written as ``str(int)`` writes it, within SQLite's INTEGER; None for anything else."""
    if not _NUMBER.match(text):
        return None
    value = int(text)
    return value if value <= SQLITE_INTEGER_MAX else None
