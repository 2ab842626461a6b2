"""The emulator package's shape, kept as the bot's is (tests/test_structure.py): no import cycle between its
modules, no module too long to follow, and nothing of the bot imported (the emulator is a distribution of its own).

The emulator imports its own modules relatively (``from ._core import ...``), so the graph resolves relative
imports; every ``import`` counts, also one inside a function or under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.test_structure import LONG_REASON, MAX_LINES, cycles

PACKAGE = Path(__file__).resolve().parent.parent / "emulator"
MODULES = sorted(PACKAGE.glob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement names, relative ones resolved against the importing module's package."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module_name(path).split(".")
        if path.name != "__init__.py":
            package = package[:-1]
        anchor = package[: len(package) - (node.level - 1)]
        base = ".".join([*anchor, *([node.module] if node.module else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph() -> tuple[dict[str, set[str]], set[str]]:
    """Module -> the package's modules it imports; and every top-level package any module imports."""
    modules = {module_name(path): path for path in MODULES}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    roots: set[str] = set()
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                targets = imported(path, node)
                roots.update(t.split(".")[0] for t in targets if t)
                graph[name].update(t for t in targets if t in modules and t != name)
    return graph, roots


def test_the_emulator_has_no_import_cycle() -> None:
    graph, _ = import_graph()
    assert "emulator._models" in graph["emulator._core"]  # relative imports are seen at all
    assert "emulator._server" in graph["emulator"]
    assert cycles(graph) == []


def test_the_emulator_imports_nothing_of_the_bot() -> None:
    _, roots = import_graph()
    assert "telegram" in roots  # the graph sees absolute imports too
    assert "bot" not in roots


def test_a_relative_import_resolves_against_its_package() -> None:
    node = ast.parse("from ._core import Params").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert imported(PACKAGE / "_server.py", node) == ["emulator._core", "emulator._core.Params"]
    assert imported(PACKAGE / "__init__.py", node) == ["emulator._core", "emulator._core.Params"]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_no_emulator_module_is_too_long(path: Path) -> None:
    name = str(path.relative_to(PACKAGE.parent))
    source = path.read_text(encoding="utf-8")
    lines = len(source.splitlines())
    reason = LONG_REASON in (ast.get_docstring(ast.parse(source)) or "")
    assert lines <= MAX_LINES or reason, f"{name} has {lines} lines: split it, or say why ({LONG_REASON!r})"
