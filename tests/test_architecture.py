"""The package's architecture, checked: no import cycles, each subpackage
imports only what its ``__init__`` docstring allows ("May import: ..."), and
uses another subpackage only through its interface: what its ``__init__``
(or a public module, or a ``.pxd``) offers, never a private module or name.

The imports are read from the source (``ast`` for ``.py``, the ``cimport``
and ``import`` lines of ``.pyx``/``.pxd``), including imports inside
functions, so a deferred import cannot hide a cycle.  Run as a script to
print the graph's layers::

    python tests/test_architecture.py
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

PACKAGE = "voxelize_cy"
SOURCE = Path(__file__).resolve().parents[1] / PACKAGE
_CYTHON_IMPORT = re.compile(
    r"^\s*(?:from\s+(?P<base>[\w.]+)\s+c?import\s+(?P<names>\(?[\w\s,()]*)"
    r"|c?import\s+(?P<module>[\w.]+))", re.M)


def module_name(path: Path) -> str:
    """The dotted name of a source file of the package."""
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports_of_python(text: str, name: str, is_package: bool):
    """(base, [names]) of every import statement, relative ones resolved."""
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            yield base, [alias.name for alias in node.names]


def _imports_of_cython(text: str):
    for match in _CYTHON_IMPORT.finditer(text):
        if match.group("module"):
            yield match.group("module"), []
        else:
            names = re.findall(r"\w+", match.group("names").split(")")[0])
            yield match.group("base"), names


def import_graph():
    """{module: set of the package's modules it imports}."""
    files = sorted(p for p in SOURCE.rglob("*") if p.suffix in (".py", ".pyx", ".pxd"))
    modules = {module_name(p) for p in files}
    graph = {m: set() for m in modules}
    for path in files:
        name = module_name(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            found = _imports_of_python(text, name, path.name == "__init__.py")
        else:
            found = _imports_of_cython(text)
        for base, names in found:
            targets = [f"{base}.{n}" for n in names if f"{base}.{n}" in modules]
            if len(targets) < len(names) or not names:
                targets.append(base)  # names defined in base itself
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def cycles(graph):
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def subpackages():
    """{subpackage: the docstring of its __init__} for each folder of the package."""
    return {f"{PACKAGE}.{p.parent.name}": ast.get_docstring(ast.parse(p.read_text()))
            for p in sorted(SOURCE.glob("*/__init__.py"))}


def allowed_imports(docstring: str):
    """The subpackages a docstring's "May import:" paragraph names (None: all)."""
    paragraph = docstring.split("May import:", 1)[1].split("\n\n")[0]
    if paragraph.strip().startswith("every subpackage"):
        return None
    return set(re.findall(rf"``({PACKAGE}\.\w+)``", paragraph))


def layer_violations(graph):
    """(module, imported module) pairs a subpackage's docstring does not allow."""
    bad = []
    for package, doc in subpackages().items():
        allowed = allowed_imports(doc)
        if allowed is None:
            continue
        for module in sorted(m for m in graph if m == package or m.startswith(package + ".")):
            for target in sorted(graph[module]):
                home = ".".join(target.split(".")[:2])
                if target.startswith(package + ".") or target == package:
                    continue
                if home not in allowed or target == PACKAGE:
                    bad.append((module, target))
    return bad


#: The original module's import path: its helpers are spelled with a leading
#: underscore by the original (ORIGINAL_MODULE.md), and are public there.
ORIGINAL_NAMESPACE = f"{PACKAGE}.voxelize"


def _home(module: str) -> str:
    """The subpackage (or top-level module) a module belongs to."""
    return ".".join(module.split(".")[:2])


def private_imports():
    """(module, what it imports) pairs that reach into another subpackage's
    private modules (``core._kernels``) or private names (``draw._mode``)."""
    bad = []
    for path in sorted(p for p in SOURCE.rglob("*") if p.suffix in (".py", ".pyx", ".pxd")):
        name = module_name(path)
        text = path.read_text(encoding="utf-8")
        found = (_imports_of_python(text, name, path.name == "__init__.py")
                 if path.suffix == ".py" else _imports_of_cython(text))
        for base, names in found:
            if not base.startswith(PACKAGE + ".") or _home(base) == _home(name):
                continue
            if any(part.startswith("_") for part in base.split(".")[2:]):
                bad.append((name, base))
            elif ORIGINAL_NAMESPACE not in (base, name):  # the original's own names
                bad += [(name, f"{base}.{n}") for n in names
                        if n.startswith("_") and not n.startswith("__")]
    return bad


# ---------------------------------------------------------------------------


def test_subpackages_use_each_other_only_through_their_interfaces():
    assert private_imports() == []


def test_the_graph_sees_the_imports_it_should():
    graph = import_graph()
    # a module-level import, a function-level one, a cimport, a package re-export
    assert "voxelize_cy.images._checks" in graph["voxelize_cy.images.draw"]
    assert "voxelize_cy.io.example" in graph["voxelize_cy.cli.main"]
    assert "voxelize_cy.core._geometry" in graph["voxelize_cy.core._select"]
    assert "voxelize_cy.macromol._api" in graph["voxelize_cy.macromol"]
    assert "voxelize_cy.core" in graph["voxelize_cy.images.draw"]
    assert "voxelize_cy.core._kernels" in graph["voxelize_cy.core"]


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_every_subpackage_says_what_it_holds_and_may_import():
    packages = subpackages()
    assert set(packages) == {
        "voxelize_cy.core", "voxelize_cy.chemistry", "voxelize_cy.images", "voxelize_cy.io",
        "voxelize_cy.pictures", "voxelize_cy.macromol", "voxelize_cy.training",
        "voxelize_cy.cli", "voxelize_cy.gnina", "voxelize_cy.molgrid"}
    for package, doc in packages.items():
        assert doc and "Holds" in doc and "May import:" in doc, package
        allowed = allowed_imports(doc)
        assert allowed is None or allowed <= set(packages), (package, allowed)


def test_subpackages_import_only_what_their_docstrings_allow():
    assert layer_violations(import_graph()) == []


def test_layer_check_reports_a_violation():
    graph = {"voxelize_cy.core._kernels": {"voxelize_cy.images.draw"},
             "voxelize_cy.images.draw": set()}
    assert layer_violations(graph) == [("voxelize_cy.core._kernels", "voxelize_cy.images.draw")]


def _layers(graph):
    """Subpackages in the order they may be built (each after what it
    imports), and {subpackage: the subpackages it imports}."""
    packages = set(subpackages())
    uses = {p: sorted({".".join(t.split(".")[:2]) for m in graph if m.startswith(p + ".")
                       or m == p for t in graph[m]} & packages - {p}) for p in packages}
    order, waiting = [], dict(uses)
    while waiting:
        ready = sorted(p for p, d in waiting.items() if set(d) <= set(order))
        if not ready:
            raise RuntimeError(f"subpackages import each other: {sorted(waiting)}")
        order.extend(ready)
        for p in ready:
            del waiting[p]
    return order, uses


if __name__ == "__main__":
    graph = import_graph()
    found = cycles(graph)
    bad = layer_violations(graph) + private_imports()
    order, uses = _layers(graph)
    print(f"{len(graph)} modules, {sum(map(len, graph.values()))} imports within the package")
    for package in order:
        print(f"  {package:24s} imports {', '.join(uses[package]) or 'nothing of the package'}")
    print(f"import cycles: {found or 'none'}")
    print(f"imports a docstring does not allow, or of private parts: {bad or 'none'}")
    sys.exit(1 if found or bad else 0)
