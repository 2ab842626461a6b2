"""Packages ``content/`` and ``locales/`` whole, so adding a language needs no edit here or in pyproject.toml.

Everything else about the package is in ``pyproject.toml``; setuptools merges the two. An installed bot finds
the data in ``<prefix>/share/brief-bot/`` (see ``bot/ops/paths.py``).
"""

from pathlib import Path

from setuptools import setup

DATA_TREES = ("content", "locales")
SHARE = Path("share") / "brief-bot"


def data_files() -> list[tuple[str, list[str]]]:
    """One (target directory, files) pair per directory of the data trees."""
    pairs: dict[str, list[str]] = {}
    for tree in DATA_TREES:
        for path in sorted(Path(tree).rglob("*")):
            if path.is_file() and path.suffix in {".yaml", ".po", ".pot", ".md", ".txt"}:
                pairs.setdefault(str(SHARE / path.parent), []).append(str(path))
    return sorted(pairs.items())


setup(data_files=data_files())
