"""The import graph of sim/: no cycles, and the core imports no reader or writer.

Every ``import`` statement counts, wherever it is: module level, inside a function (a lazy
import) or under ``TYPE_CHECKING``. A lazy import only postpones a cycle, and a type-only
import still ties the core to a reader's module.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sim"

# Pure economics over arrays and plain records.
CORE = frozenset(
    {
        "sim.adjustment",
        "sim.analytic",
        "sim.at_rest",
        "sim.axissum",
        "sim.datatypes",
        "sim.daymean",
        "sim.indicators",
        "sim.inverse_cdf",
        "sim.model",
        "sim.nested",
        "sim.percent",
        "sim.period_welfare",
        "sim.processing",
        "sim.policy",
        "sim.policytypes",
        "sim.quarters",
        "sim.quota",
        "sim.sector_parts",
        "sim.solve",
        "sim.tables",
        "sim.timepath",
        "sim.uncertainty",
        "sim.welfare",
        "sim.gravity.policy",
        "sim.gravity.solve",
        "sim.gravity.tables",
        "sim.gravity.types",
    }
)
# What the core may use besides itself: the error types, the column formatting of tables
# and the declaration of the result files' columns (data, no I/O).
CORE_MAY_IMPORT = CORE | {"sim", "sim.errors", "sim.csvtext", "sim.resultschema"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The sim modules that ``name`` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                found.add(submodule if submodule in known else origin)
    return {m for m in found if m in known and m != name}


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, set(known)) for name, path in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of modules (first repeated last), or an empty list."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for child in sorted(graph[node]):
            if state.get(child) == 1:
                return [*stack[stack.index(child) :], child]
            if child not in state:
                cycle = visit(child)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return []


def test_the_walker_sees_lazy_and_type_only_imports(tmp_path: Path) -> None:
    source = tmp_path / "sim" / "example.py"
    source.parent.mkdir()
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from sim.scenario import Scenario\n"
        "def f():\n    from sim.gravity import run\n    import sim.dataset\n"
    )
    known = {"sim.scenario", "sim.gravity.run", "sim.gravity", "sim.dataset", "sim.example"}
    assert imports_of("sim.example", source, known) == {
        "sim.scenario",
        "sim.gravity.run",
        "sim.dataset",
    }


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_every_core_module_exists() -> None:
    assert CORE <= set(modules())


def test_sim_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert not cycle, " -> ".join(cycle)


@pytest.mark.parametrize("core", sorted(CORE))
def test_core_module_imports_no_reader_or_writer(core: str) -> None:
    forbidden = sorted(import_graph()[core] - CORE_MAY_IMPORT)
    assert not forbidden, f"{core} imports {', '.join(forbidden)}"


# The command line is the outermost layer: it may use everything, nothing uses it.
CLI = frozenset(m for m in modules() if m == "sim.cli" or m.startswith("sim.cli."))
ENTRY_POINTS = frozenset({"sim.__main__"})
# What the command line may load when it starts, so that `tradesim --help` stays fast.
CLI_STARTS_WITH = frozenset({"click", "sim._version", "sim.errors"})


def module_level_imports(path: Path) -> set[str]:
    """The modules a file imports when it is itself imported (not inside functions)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.add(node.module or "")
    return found


def test_the_command_line_is_a_package_of_small_modules() -> None:
    assert {"sim.cli", "sim.cli.options", "sim.cli.render"} <= CLI
    for name in CLI:
        lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
        assert lines <= 400, f"{name} has {lines} lines"


def test_nothing_but_the_entry_points_imports_the_command_line() -> None:
    for name, imported in import_graph().items():
        if name not in CLI | ENTRY_POINTS:
            assert not imported & CLI, f"{name} imports {', '.join(sorted(imported & CLI))}"


@pytest.mark.parametrize("name", sorted(CLI))
def test_the_command_line_loads_only_click_and_itself_at_start(name: str) -> None:
    heavy = {
        m
        for m in module_level_imports(modules()[name])
        if m.split(".")[0] not in sys.stdlib_module_names and m not in CLI_STARTS_WITH | CLI
    }
    assert not heavy, f"{name} imports {', '.join(sorted(heavy))} at module level"
