"""The packages of `bot/` import downward only, and no two of them import each other, even through others.

Computed from the source with `ast`, so it sees every import, including those inside functions and under
`TYPE_CHECKING`. A package is a first-level subpackage of `bot` or one of its top-level modules. docs/architecture.md
draws the same layers.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"

# Bottom first. A package may import the packages of lower layers and, without a cycle, of its own layer.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"planetscale", "storage", "config", "tasks", "metrics", "logsetup", "tls", "unsent"}),
    frozenset({"deploy_requests"}),  # what a deploy request is, may do and is waiting for
    frozenset({"render"}),  # pure: view models in, Block Kit out
    frozenset({"ports"}),  # what features may ask of Slack and of account linking
    frozenset({"linking", "watch", "digests", "notify", "cards", "home"}),
    frozenset({"commands"}),
    frozenset({"slack", "web"}),  # transports: the only ones that know Slack's SDK or HTTP routes
    frozenset({"runtime", "checks"}),  # the composition root, and `pscale-bot check` asking the same services
    frozenset({"cli", "sandbox", "healthcheck", "__main__"}),  # entry points
)
# Slack's SDK stays in the transport (and the sandbox, which stands in for Slack). Renderers may use its Block Kit
# classes, which are plain data that check Slack's limits.
SLACK_SDK_USERS = frozenset({"slack", "sandbox"})
BLOCK_KIT = "slack_sdk.models"


def package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "bot" and len(parts) > 1 else None


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(BOT.rglob("*.py")):
        parts = path.relative_to(BOT.parent).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imported_modules(module: str, path: Path) -> Iterator[str]:
    """Every module `module` imports (for `from a import b`, `a.b` as well as `a`, since `b` may be a module)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def package_imports() -> dict[str, dict[str, set[str]]]:
    """For each package, the packages it imports and, for each, which of its modules do."""
    known = packages()
    graph: dict[str, dict[str, set[str]]] = {}
    for module, path in modules():
        source = package_of(module)
        if source is None:
            continue
        edges = graph.setdefault(source, {})
        for imported in imported_modules(module, path):
            target = package_of(imported) or ""
            if target in known and target != source:
                edges.setdefault(target, set()).add(module)
    return graph


def find_cycle(graph: dict[str, dict[str, set[str]]]) -> list[str] | None:
    """One cycle as [a, b, …, a], or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph.get(node, {})):
            cycle = visit(target)
            if cycle is not None:
                return cycle
        path.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        cycle = visit(node)
        if cycle is not None:
            return cycle
    return None


def describe(graph: dict[str, dict[str, set[str]]], cycle: list[str]) -> str:
    return "\n".join(
        f"  {source} → {target} in {', '.join(sorted(graph[source][target]))}"
        for source, target in itertools.pairwise(cycle)
    )


def layer_of(package: str) -> int:
    return next(number for number, layer in enumerate(LAYERS) if package in layer)


def packages() -> set[str]:
    return {package for module, _ in modules() if (package := package_of(module)) is not None}


def test_every_package_has_a_layer_and_every_layer_entry_is_a_package() -> None:
    listed = set().union(*LAYERS)
    assert packages() - listed == set(), "give these packages a place in LAYERS (and in docs/architecture.md)"
    assert listed - packages() == set(), "LAYERS names packages that no longer exist"


def test_no_import_cycle_between_packages() -> None:
    graph = package_imports()
    cycle = find_cycle(graph)
    assert cycle is None, f"import cycle {' → '.join(cycle)}:\n{describe(graph, cycle)}"


def test_imports_go_down_the_layers() -> None:
    graph = package_imports()
    upward = [
        f"{source} → {target} in {', '.join(sorted(importers))}"
        for source, targets in sorted(graph.items())
        for target, importers in sorted(targets.items())
        if layer_of(target) > layer_of(source)
    ]
    assert upward == [], "imports reaching up a layer:\n" + "\n".join(upward)


def test_only_the_transport_knows_slacks_sdk() -> None:
    leaks = sorted(
        f"{module} imports {imported}"
        for module, path in modules()
        if package_of(module) not in SLACK_SDK_USERS
        for imported in imported_modules(module, path)
        if imported.split(".")[0] in ("slack_sdk", "slack_bolt")
        and not (package_of(module) == "render" and imported.startswith(BLOCK_KIT))
    )
    assert leaks == []


def test_the_checks_see_a_cycle_and_an_upward_import() -> None:
    """The cycle finder and the layer rule are code too: a made-up graph with both must be caught."""
    graph = {"cards": {"render": {"bot.cards.service"}}, "render": {"cards": {"bot.render.card"}}}
    assert find_cycle(graph) == ["cards", "render", "cards"]
    assert "render → cards in bot.render.card" in describe(graph, ["cards", "render", "cards"])
    assert layer_of("render") < layer_of("cards")
    assert find_cycle({"cards": {"render": {"bot.cards.service"}}, "render": {}}) is None
