"""The package's shape, kept by tests: no import cycle between its modules, features that meet only through
small named surfaces, and no module too long to follow.

Imports are read from the source (every ``import``, also those inside functions or under TYPE_CHECKING: a lazy
import that closes a loop is still a loop for a reader of the code).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "bot"
# A module longer than this is split at its seams; one that must stay longer says why in its docstring, in a
# sentence starting with LONG_REASON (e.g. bot/announcing/delivery/run.py).
MAX_LINES = 400
LONG_REASON = f"Over {MAX_LINES} lines on purpose:"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (``from a import b`` counts a.b when b is a module)."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            found = {t for t in targets if t in modules and t != name}
            # Importing bot.x.y first runs bot/x/__init__.py: a package's own imports are part of the path.
            found |= {parent for t in found for parent in _parents(t) if parent not in _parents(name) | {name}}
            graph[name].update(found)
    return graph


def _parents(module: str) -> set[str]:
    """The packages whose ``__init__`` importing ``module`` runs first (not ``bot`` itself: it is empty)."""
    parts = module.split(".")
    return {".".join(parts[:n]) for n in range(2, len(parts))}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "bot.storage.database" in graph["bot.storage"]  # the graph sees the package's imports at all
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_no_module_is_too_long(path: Path) -> None:
    name = str(path.relative_to(PACKAGE.parent))
    source = path.read_text(encoding="utf-8")
    lines = len(source.splitlines())
    reason = LONG_REASON in (ast.get_docstring(ast.parse(source)) or "")
    assert lines <= MAX_LINES or reason, f"{name} has {lines} lines: split it, or say why ({LONG_REASON!r})"


# ------------------------------------------------------------------------------------------------ features

# The features (what the bot does) and the shared packages they stand on (content, languages, storage, telegram).
FEATURES = ("reading", "reports", "announcing", "impact", "help", "offline", "polls", "translations")
SHARED = ("content", "languages", "storage", "telegram")
# What a feature may import of another: its package (whose ``__init__`` names its surface) and, for reading, the
# modules of the handler kit and of the screens other features build on (reading's ``__init__`` imports nothing,
# so that importing one of them never loads reading's handlers).
SURFACE = {
    "reading": {
        "bot.reading.context",  # BotContext, Reader, Services, show
        "bot.reading.screens",  # Screen
        "bot.reading.keyboards",  # Keyboard and the shared buttons (Hide, menu, checkboxes)
        "bot.reading.callbacks",  # the reading payloads other screens link to (Menu, ThemePage, Hide)
        "bot.reading.stale",  # a pressed button read once: a stale one answered with a fresh menu
        "bot.reading.hooks",  # where polls add "was this useful?" and a step of /forget
        "bot.reading.library",  # the paginated brief (offline copies render the same)
        "bot.reading.render",
        "bot.reading.deeplinks",  # links to a page (a report carries one)
    },
}
# Which feature must never import which (whatever the surface): reading is what the others build on.
NEVER = {"reading": {"announcing", "impact", "help", "polls", "translations"}}


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FEATURES else None


def surface_breaches(graph: dict[str, set[str]]) -> list[str]:
    """Imports from one feature into another's internals, or between features that must not meet."""
    found = []
    for module, targets in sorted(graph.items()):
        source = feature_of(module)
        top = module.split(".")[1] if "." in module else ""
        for target in sorted(targets):
            feature = feature_of(target)
            if feature is None or feature == source:
                continue
            if top in SHARED:
                found.append(f"{module} (shared) imports the feature module {target}")
            elif source is None:
                continue  # the composition root, the commands table and ops assemble the features
            elif feature in NEVER.get(source, ()):
                found.append(f"{module} imports {target}: {source} never imports {feature}")
            elif target != f"bot.{feature}" and target not in SURFACE.get(feature, set()):
                found.append(f"{module} imports {target}, not in {feature}'s surface (bot.{feature})")
    return found


def test_features_meet_only_through_their_surfaces() -> None:
    graph = import_graph()
    assert {feature_of(m) for m in graph} >= set(FEATURES)  # every feature is a package of bot/
    assert surface_breaches(graph) == []


def test_the_surface_check_finds_a_breach() -> None:
    graph = {
        "bot.reading.handlers": {"bot.announcing.wizard"},
        "bot.polls.views": {"bot.help.directory", "bot.help", "bot.reading.context"},
        "bot.storage.readers": {"bot.polls"},
        "bot.app": {"bot.polls.handlers"},
    }
    assert surface_breaches(graph) == [
        "bot.polls.views imports bot.help.directory, not in help's surface (bot.help)",
        "bot.reading.handlers imports bot.announcing.wizard: reading never imports announcing",
        "bot.storage.readers (shared) imports the feature module bot.polls",
    ]


def test_the_root_holds_only_the_composition() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 5, modules
