"""The layering contract of the package, checked on its source with :mod:`ast` (nothing of it is imported).

The layers, lowest first, are the table ``LAYERS`` below. The rules, each with its name in the messages:

``layer``
    A module imports only modules of its own layer or of a layer below it. Every import counts, also those
    under ``if TYPE_CHECKING:`` and inside functions. The foundation imports nothing of the package; every
    module of the package is in the table.
``cycle``
    No import cycle between modules. Imports made when the module is imported count; imports under
    ``if TYPE_CHECKING:`` and inside functions do not.
``subpackage-cycle``
    Inside a layer, its sub-packages and modules (for example ``report.build`` and ``report.render``) may
    import each other, but without a cycle (counted as for ``cycle``).
``function-import``
    No import inside a function or method body, except in :data:`LAZY_IMPORTS` (the CLI's lazy imports).
``private-import``
    No module imports a ``_private`` name or a ``_private`` module from another module (rename it to a
    public name when it is shared); dunder names such as ``__version__`` are public.
``relative-import``
    Imports of the package are absolute (``from openindex.x import y``).

The tests at the end plant one violation of each rule in a few lines of source and check that the checker
reports it, naming the module, the import and the rule.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "openindex"

# The layer table, lowest first: (layer name, the modules and packages in it). A package stands for all its
# modules; the package root (``openindex/__init__.py``, the public API) is the top layer and stands only for
# itself, so no module of the package imports the root.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("openindex.errors", "openindex.lazy", "openindex.version")),
    ("methods", ("openindex.methods",)),
    ("model", ("openindex.model",)),
    ("io", ("openindex.io",)),
    ("i18n", ("openindex.i18n",)),
    ("data", ("openindex.data",)),
    ("engine", ("openindex.engine",)),
    ("analysis", ("openindex.analysis",)),
    ("selfassess", ("openindex.selfassess",)),
    ("report", ("openindex.report",)),
    ("workflows", ("openindex.workflows",)),
    ("cli", ("openindex.cli", "openindex.__main__")),
    ("api", ("openindex",)),
)
SEALED_LAYERS = frozenset({"foundation"})  # layers whose modules import nothing of the package
LAZY_IMPORTS = frozenset({"openindex.cli"})  # modules that may import inside functions
#: (module, third-party module) pairs that may be imported inside a function: a heavy dependency of one method,
#: so that listing methods (`openindex methods`) and `validate` stay fast. Never a module of the package.
LAZY_THIRD_PARTY = frozenset({
    ("openindex.methods.aggregate", "scipy.optimize"),  # benefit of the doubt: linprog, only when `bod` runs
    ("openindex.methods.aggregate", "scipy.sparse"),
})
RULES = ("layer", "cycle", "subpackage-cycle", "function-import", "private-import", "relative-import")


@dataclass(frozen=True)
class Import:
    """One imported module of one import statement (a statement importing several modules gives several)."""

    path: str  # the importing file, for example ``openindex/engine/build.py``
    module: str  # the importing module, ``openindex.engine.build``
    line: int
    target: str  # the imported module: ``from P import n`` targets ``P.n`` when that is a module, else ``P``
    names: tuple[str, ...]  # the names imported from ``target`` (none when the target itself is imported)
    statement: str  # the import statement as written (on one line)
    absolute: str | None  # the absolute form of a relative import, else None
    function: str | None  # the enclosing function, or None at module level
    type_checking: bool  # under ``if TYPE_CHECKING:``

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def at_import_time(self) -> bool:
        return self.function is None and not self.type_checking


@dataclass(frozen=True)
class Violation:
    rule: str
    module: str
    message: str

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------------------------------- reading


def read_package(root: Path, package: str = PACKAGE) -> dict[str, str]:
    """Return ``{relative POSIX path: source}`` for every ``.py`` file of ``root/package``."""
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted((root / package).rglob("*.py"))
    }


def module_name(path: str) -> str:
    """``openindex/engine/build.py`` -> ``openindex.engine.build``; a package's ``__init__.py`` -> the package."""
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(
    nodes: list[ast.AST], scope: str, in_function: bool, type_checking: bool
) -> Iterator[tuple[ast.Import | ast.ImportFrom, str | None, bool]]:
    """Yield every import statement under ``nodes``, its enclosing function (or None) and TYPE_CHECKING context."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, scope if in_function else None, type_checking
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            inner = f"{scope}.{node.name}".lstrip(".")
            is_function = in_function or not isinstance(node, ast.ClassDef)
            yield from _import_nodes(list(ast.iter_child_nodes(node)), inner, is_function, type_checking)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _import_nodes(list(node.body), scope, in_function, True)
            yield from _import_nodes(list(node.orelse), scope, in_function, type_checking)
        else:
            yield from _import_nodes(list(ast.iter_child_nodes(node)), scope, in_function, type_checking)


def _statement(node: ast.Import | ast.ImportFrom) -> str:
    return " ".join(ast.unparse(node).split())


def find_imports(path: str, source: str, modules: frozenset[str]) -> list[Import]:
    """Every import of the file at ``path`` (``modules``: every module of the package, to resolve targets)."""
    module = module_name(path)
    is_package = path.endswith("/__init__.py")
    found = []
    for node, function, type_checking in _import_nodes([ast.parse(source, filename=path)], "", False, False):
        statement, absolute = _statement(node), None
        targets: dict[str, list[str]] = {}
        if isinstance(node, ast.Import):
            for alias in node.names:
                targets.setdefault(alias.name, [])
        else:
            base = node.module or ""
            if node.level:  # resolve a relative import against the importing module
                parts = module.split(".")
                anchor = parts[: len(parts) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
                absolute = _statement(ast.ImportFrom(module=base, names=node.names, level=0))
            for alias in node.names:
                name = f"{base}.{alias.name}"
                if name in modules:
                    targets.setdefault(name, [])
                else:
                    targets.setdefault(base, []).append(alias.name)
        for target, names in targets.items():
            found.append(
                Import(path, module, node.lineno, target, tuple(names), statement, absolute, function, type_checking)
            )
    return found


# -------------------------------------------------------------------------------------------------- checking


def _in_package(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def layer_of(module: str, layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS) -> tuple[int, str] | None:
    """``(position, layer name)`` of the longest table entry containing ``module``, or None."""
    best: tuple[int, int, str] | None = None
    for position, (name, members) in enumerate(layers):
        for member in members:
            root_entry = "." not in member  # the package root stands only for itself
            if module == member or (not root_entry and module.startswith(member + ".")):
                if best is None or len(member) > best[0]:
                    best = (len(member), position, name)
    return None if best is None else (best[1], best[2])


def _unit(module: str, layers: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """The sub-package or module directly inside the layer's package that holds ``module``."""
    for _name, members in layers:
        for member in members:
            if "." in member and module.startswith(member + "."):
                return member + "." + module[len(member) + 1 :].split(".")[0]
    return module


def _components(edges: Mapping[str, Mapping[str, Import]]) -> list[set[str]]:
    """The strongly connected components of two or more nodes of the graph ``edges`` (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, {})):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = {stack.pop()}
            while node not in component:
                component.add(stack.pop())
            if len(component) > 1:
                components.append(component)

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return sorted(components, key=min)


def _shortest_cycle(edges: Mapping[str, Mapping[str, Import]], component: set[str]) -> list[str]:
    """A shortest cycle ``[a, b, ..., a]`` through the first node of ``component`` (breadth-first)."""
    start = min(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while True:
        node = queue.popleft()
        if start in edges[node]:
            cycle = [node]
            while cycle[-1] != start:
                cycle.append(came_from[cycle[-1]])
            return [*reversed(cycle), start]
        for nxt in sorted(edges[node]):
            if nxt in component and nxt not in came_from and nxt != start:
                came_from[nxt] = node
                queue.append(nxt)


def _cycle(rule: str, what: str, component: set[str], edges: Mapping[str, Mapping[str, Import]]) -> Violation:
    cycle = _shortest_cycle(edges, component)
    steps = [edges[a][b] for a, b in zip(cycle, cycle[1:], strict=False)]
    links = "; ".join(f"{imp.where} {imp.module}: '{imp.statement}'" for imp in steps)
    if len(component) > len(steps):
        links += f"; {len(component)} are tied in cycles: {', '.join(sorted(component))}"
    return Violation(rule, cycle[0], f"{what} import each other in a cycle {' -> '.join(cycle)} ({links}) [{rule}]")


def _layer_violation(imp: Import, layers: tuple[tuple[str, tuple[str, ...]], ...], said: str) -> str | None:
    own, theirs = layer_of(imp.module, layers), layer_of(imp.target, layers)
    if own is None or imp.target == imp.module:
        return None
    if theirs is None:
        return f"{said}, which is in no layer [layer]"
    if own[1] in SEALED_LAYERS:
        return f"{said}; the '{own[1]}' layer imports nothing of the package [layer]"
    if theirs[0] > own[0]:
        return (f"{said}: layer '{own[1]}' imports layer '{theirs[1]}' above it; a module imports only its own "
                "layer or layers below [layer]")
    return None


def check(
    files: Mapping[str, str],
    layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS,
    package: str = PACKAGE,
) -> list[Violation]:
    """Every violation of the rules by the files ``{relative POSIX path: source}`` of the package."""
    modules = frozenset(module_name(path) for path in files)
    imports = [imp for path, source in sorted(files.items()) for imp in find_imports(path, source, modules)]
    violations = [
        Violation("layer", module_name(path), f"{path}: {module_name(path)} is in no layer; add it to LAYERS in "
                  "tests/test_architecture.py [layer]")
        for path in sorted(files)
        if layer_of(module_name(path), layers) is None
    ]
    for imp in imports:
        said = f"{imp.where}: {imp.module} imports {imp.target} ('{imp.statement}')"
        if imp.absolute is not None:
            violations.append(Violation("relative-import", imp.module,
                                        f"{said}: a relative import; write '{imp.absolute}' [relative-import]"))
        if imp.function is not None and imp.module not in LAZY_IMPORTS \
                and (imp.module, imp.target) not in LAZY_THIRD_PARTY:
            violations.append(Violation("function-import", imp.module, f"{said} inside the function "
                                        f"'{imp.function}'; only {', '.join(sorted(LAZY_IMPORTS))} may import "
                                        "inside a function; import at module level [function-import]"))
        if not _in_package(imp.target, package):
            continue
        private = [p for p in (*imp.target.split("."), *imp.names) if p.startswith("_") and not p.startswith("__")]
        if private:
            names = ", ".join(f"'{name}'" for name in private)
            violations.append(Violation("private-import", imp.module, f"{said}: {names} private to its module; "
                                        "give it a public name if it is shared [private-import]"))
        message = _layer_violation(imp, layers, said)
        if message is not None:
            violations.append(Violation("layer", imp.module, message))

    # cycles: module-level imports only (those under TYPE_CHECKING and inside functions do not run on import)
    module_edges: dict[str, dict[str, Import]] = {}
    unit_edges: dict[str, dict[str, Import]] = {}
    for imp in imports:
        if imp.at_import_time and imp.target in modules and imp.target != imp.module:
            module_edges.setdefault(imp.module, {}).setdefault(imp.target, imp)
            a, b = _unit(imp.module, layers), _unit(imp.target, layers)
            if a != b and layer_of(imp.module, layers) == layer_of(imp.target, layers):
                unit_edges.setdefault(a, {}).setdefault(b, imp)
    module_cycles = _components(module_edges)
    for component in module_cycles:
        violations.append(_cycle("cycle", "modules", component, module_edges))
    shown = [{_unit(m, layers) for m in component} for component in module_cycles]
    for component in _components(unit_edges):
        if not any(component <= units for units in shown):  # one that no module cycle already shows
            violations.append(_cycle("subpackage-cycle", "sub-packages of one layer", component, unit_edges))
    return violations


# --------------------------------------------------------------------------------------- the package itself


@pytest.fixture(scope="module")
def package_violations() -> list[Violation]:
    return check(read_package(ROOT))


@pytest.mark.parametrize("rule", RULES)
def test_the_package_keeps_the_rule(package_violations: list[Violation], rule: str) -> None:
    found = [str(v) for v in package_violations if v.rule == rule]
    assert not found, f"{len(found)} violation(s) of the '{rule}' rule:\n" + "\n".join(found)


def test_the_layer_table_names_each_module_once() -> None:
    members = [member for _name, entries in LAYERS for member in entries]
    assert len(members) == len(set(members))


# ------------------------------------------------------------------------- each rule fails on a planted case


def _only(files: Mapping[str, str], rule: str) -> Violation:
    found = check(files)
    assert [v.rule for v in found] == [rule], [str(v) for v in found]
    return found[0]


def test_an_import_of_a_higher_layer_is_reported() -> None:
    v = _only({"openindex/methods/norm.py": "from openindex.engine.build import build\n"}, "layer")
    assert v.module == "openindex.methods.norm"
    assert str(v).startswith("openindex/methods/norm.py:1: openindex.methods.norm imports openindex.engine.build")
    assert "layer 'methods' imports layer 'engine' above it" in str(v) and str(v).endswith("[layer]")


def test_an_import_of_a_higher_layer_under_type_checking_is_reported() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from openindex.report.tables import T\n"
    v = _only({"openindex/engine/result.py": source}, "layer")
    assert "openindex/engine/result.py:3: openindex.engine.result imports openindex.report.tables" in str(v)


def test_an_import_of_the_package_root_is_reported() -> None:
    v = _only({"openindex/engine/manifest.py": "from openindex import __version__\n"}, "layer")
    assert "imports openindex ('from openindex import __version__')" in str(v) and "layer 'api'" in str(v)


def test_the_foundation_imports_nothing_of_the_package() -> None:
    v = _only({"openindex/errors.py": "from openindex.version import __version__\n"}, "layer")
    assert "openindex.errors imports openindex.version" in str(v) and "imports nothing of the package" in str(v)


def test_a_module_missing_from_the_layer_table_is_reported() -> None:
    v = _only({"openindex/extra.py": "import numpy\n"}, "layer")
    assert str(v).startswith("openindex/extra.py: openindex.extra is in no layer")


def test_own_and_lower_layers_and_other_packages_are_allowed() -> None:
    files = {
        "openindex/engine/build.py": "import numpy as np\nfrom openindex.methods import normalise\n"
        "from openindex.engine.plan import plan\nfrom openindex.errors import MethodError\n",
        "openindex/engine/plan.py": "from openindex.model.spec import BuildSpec\n",
        "openindex/methods/normalise.py": "",
        "openindex/cli.py": "def main():\n    from openindex.workflows import run\n",
        "openindex/__init__.py": "from openindex.engine.build import build\n",
    }
    assert check(files) == []


def test_an_import_cycle_is_reported() -> None:
    files = {
        "openindex/engine/build.py": "import numpy\nfrom openindex.engine.result import Result\n",
        "openindex/engine/result.py": "from openindex.engine.build import build\n",
    }
    v = _only(files, "cycle")
    assert "openindex.engine.build -> openindex.engine.result -> openindex.engine.build" in str(v)
    assert "openindex/engine/build.py:2 openindex.engine.build: 'from openindex.engine.result import Result'" in str(v)
    assert "openindex/engine/result.py:1 openindex.engine.result: 'from openindex.engine.build import build'" in str(v)


def test_a_longer_cycle_through_a_package_init_is_reported() -> None:
    files = {
        "openindex/analysis/audit/__init__.py": "from openindex.analysis.audit.run import run_audit\n",
        "openindex/analysis/audit/run.py": "from openindex.analysis.audit import stats\n",
        "openindex/analysis/audit/stats.py": "from openindex.analysis.audit import run_audit\n",
    }
    v = _only(files, "cycle")
    assert ("openindex.analysis.audit -> openindex.analysis.audit.run -> openindex.analysis.audit.stats "
            "-> openindex.analysis.audit") in str(v)


def test_every_module_tied_in_cycles_is_named() -> None:
    files = {
        "openindex/engine/a.py": "from openindex.engine.b import f\n",
        "openindex/engine/b.py": "from openindex.engine.a import g\nfrom openindex.engine.c import h\n",
        "openindex/engine/c.py": "from openindex.engine.b import f\n",
    }
    v = _only(files, "cycle")
    assert "cycle openindex.engine.a -> openindex.engine.b -> openindex.engine.a (" in str(v)
    assert "; 3 are tied in cycles: openindex.engine.a, openindex.engine.b, openindex.engine.c) [cycle]" in str(v)


def test_imports_under_type_checking_or_in_the_cli_functions_make_no_cycle() -> None:
    files = {
        "openindex/engine/build.py": "from openindex.engine.result import Result\n",
        "openindex/engine/result.py": "import typing\nif typing.TYPE_CHECKING:\n"
        "    from openindex.engine.build import build\nelse:\n    import numpy\n",
        "openindex/cli.py": "def main():\n    import openindex.__main__\n",
        "openindex/__main__.py": "from openindex.cli import main\n",
    }
    assert check(files) == []
    files["openindex/cli.py"] = "import openindex.__main__\n"
    v = _only(files, "cycle")  # shown once, as a cycle of modules, though they are two units of the layer 'cli'
    assert "openindex.__main__ -> openindex.cli -> openindex.__main__" in str(v)


def test_a_cycle_between_sub_packages_of_a_layer_is_reported() -> None:
    files = {  # no module cycle: build -> page, and overview -> build
        "openindex/report/build.py": "from openindex.report.render.page import page\n",
        "openindex/report/render/__init__.py": "",
        "openindex/report/render/page.py": "",
        "openindex/report/render/overview.py": "from openindex.report.build import SECTIONS\n",
    }
    v = _only(files, "subpackage-cycle")
    assert v.module == "openindex.report.build"
    assert "openindex.report.build -> openindex.report.render -> openindex.report.build" in str(v)
    assert ("(openindex/report/build.py:1 openindex.report.build: 'from openindex.report.render.page import page'; "
            "openindex/report/render/overview.py:1 openindex.report.render.overview: "
            "'from openindex.report.build import SECTIONS')") in str(v)


def test_a_module_cycle_across_sub_packages_is_shown_once_as_a_module_cycle() -> None:
    files = {
        "openindex/report/build.py": "from openindex.report.render.page import page\n",
        "openindex/report/render/page.py": "from openindex.report.render.overview import overview\n",
        "openindex/report/render/overview.py": "from openindex.report.build import SECTIONS\n",
    }
    v = _only(files, "cycle")
    assert ("openindex.report.build -> openindex.report.render.page -> openindex.report.render.overview "
            "-> openindex.report.build") in str(v)


def test_sub_packages_of_a_layer_may_import_each_other_without_a_cycle() -> None:
    files = {
        "openindex/report/build.py": "from openindex.report.render.page import page\n",
        "openindex/report/render/page.py": "from openindex.report.tables import table\n",
        "openindex/report/tables.py": "from openindex.analysis.audit.run import run_audit\n",
        "openindex/analysis/audit/run.py": "from openindex.analysis.uncertainty.summary import rank_summary\n",
        "openindex/analysis/uncertainty/summary.py": "",
        "openindex/analysis/whatif.py": "from openindex.analysis.audit.run import run_audit\n",
    }
    assert check(files) == []


def test_an_import_inside_a_function_is_reported() -> None:
    source = "class Result:\n    def table(self):\n        import pandas as pd\n        return pd\n"
    v = _only({"openindex/engine/result.py": source}, "function-import")
    assert str(v).startswith("openindex/engine/result.py:3: openindex.engine.result imports pandas")
    assert "inside the function 'Result.table'" in str(v) and str(v).endswith("[function-import]")


def test_an_import_inside_a_nested_function_is_reported() -> None:
    source = "def outer():\n    async def inner():\n        from openindex.errors import DataError\n"
    v = _only({"openindex/io.py": source}, "function-import")
    assert "openindex/io.py:3: openindex.io imports openindex.errors" in str(v) and "'outer.inner'" in str(v)


def test_the_cli_may_import_inside_functions() -> None:
    assert check({"openindex/cli.py": "def main():\n    import pandas\n    from openindex.io import read\n"}) == []


def test_an_import_of_a_private_name_is_reported() -> None:
    v = _only({"openindex/analysis/whatif.py": "from openindex.engine.build import _plans, build\n"},
              "private-import")
    assert str(v).startswith("openindex/analysis/whatif.py:1: openindex.analysis.whatif imports openindex.engine.build")
    assert "'_plans' private to its module" in str(v) and str(v).endswith("[private-import]")


def test_an_import_of_a_private_module_is_reported() -> None:
    files = {
        "openindex/methods/_stats.py": "",
        "openindex/methods/normalise.py": "from openindex.methods import _stats\n",
        "openindex/methods/rank.py": "import openindex.methods._stats\n",
        "openindex/methods/treat.py": "from openindex.methods._stats import mean\n",
    }
    found = check(files)
    assert [v.rule for v in found] == ["private-import"] * 3
    assert [v.module for v in found] == ["openindex.methods.normalise", "openindex.methods.rank",
                                         "openindex.methods.treat"]
    assert all("imports openindex.methods._stats" in str(v) for v in found)
    assert all("'_stats' private to its module" in str(v) for v in found)


def test_dunder_names_are_public() -> None:
    assert check({"openindex/cli.py": "from openindex.version import __version__\nimport openindex.__main__\n",
                  "openindex/__main__.py": ""}) == []


def test_a_relative_import_is_reported() -> None:
    files = {"openindex/report/render/page.py": "from .base import esc\n", "openindex/report/render/base.py": ""}
    v = _only(files, "relative-import")
    assert str(v).startswith("openindex/report/render/page.py:1: openindex.report.render.page imports "
                             "openindex.report.render.base ('from .base import esc')")
    assert "a relative import; write 'from openindex.report.render.base import esc'" in str(v)


def test_a_relative_import_in_a_package_init_is_resolved_and_checked_for_its_layer() -> None:
    found = check({"openindex/methods/__init__.py": "from ..engine import build\n"})
    assert sorted(v.rule for v in found) == ["layer", "relative-import"]
    assert all("openindex.methods imports openindex.engine" in str(v) for v in found)


def test_a_planted_package_on_disk_is_read_and_checked(tmp_path: Path) -> None:
    for path, source in {
        "openindex/__init__.py": "from openindex.engine.build import build\n",
        "openindex/engine/__init__.py": "",
        "openindex/engine/build.py": "from openindex.report.tables import table\n",
        "openindex/report/__init__.py": "",
        "openindex/report/tables.py": "def table():\n    from openindex.engine import _private\n",
    }.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(source, encoding="utf-8")
    found = check(read_package(tmp_path))
    assert sorted((v.rule, v.module) for v in found) == [
        ("function-import", "openindex.report.tables"),
        ("layer", "openindex.engine.build"),
        ("private-import", "openindex.report.tables"),
    ]


def test_only_the_listed_third_party_import_may_be_lazy():
    """`bod` imports scipy.optimize when it runs (LAZY_THIRD_PARTY); any other lazy import is still refused."""
    ok = "def bod():\n    import scipy.optimize\n"
    assert check({"openindex/methods/aggregate.py": ok}) == []
    v = _only({"openindex/methods/aggregate.py": "def bod():\n    import pandas\n"}, "function-import")
    assert "inside the function 'bod'" in str(v)
    v = _only({"openindex/methods/normalise.py": ok.replace("bod", "minmax")}, "function-import")
    assert "openindex.methods.normalise imports scipy.optimize" in str(v)
