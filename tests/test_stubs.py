"""Type stubs of the compiled modules: written from the modules themselves,
checked against them.

The ``.pyi`` file beside each ``.pyx`` gives editors and type checkers the
compiled functions' parameters (``help()`` shows them too: the build embeds
each signature in its docstring).  After changing a ``.pyx``, rebuild and
rewrite the stubs with::

    python tests/test_stubs.py

which reads every signature Cython embedded (``embedsignature``) and turns
its C types into Python ones.  The tests below check that each stub names the
same functions, classes and parameters as the built module.
"""

from __future__ import annotations

import ast
import enum
import importlib
import inspect
import re
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "voxelize_cy"
COMPILED = sorted(p for p in SOURCE.rglob("*.pyx"))

_PYTHON_TYPE = {
    "double": "float", "float": "float", "int": "int", "long": "int", "Py_ssize_t": "int",
    "int64_t": "int", "int32_t": "int", "bint": "bool", "bool": "bool", "str": "str",
    "list": "list", "tuple": "tuple", "dict": "dict", "object": "Any", "ndarray": "NDArray",
    "bytes": "bytes",
}
_SIGNATURE = re.compile(r"^(?P<name>\w+)\((?P<params>.*)\)(?:\s*->\s*(?P<ret>[\w.\[\], ]+))?$")


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(SOURCE.parent).with_suffix("").parts)


def _split_params(text: str):
    depth, current, params = 0, "", []
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            params.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        params.append(current.strip())
    return params


def _python_param(param: str, classes) -> str:
    """``const double[::1] x`` -> ``x: NDArray``; ``int n=3`` -> ``n: int = ...``."""
    head, eq, default = param.partition("=")
    head = head.replace("not None", "").replace("const ", "").strip()
    if head.startswith("*"):
        return head
    words = head.split()
    name = words[-1]
    ctype = " ".join(words[:-1])
    if "[" in ctype:
        annotation = "NDArray"
    elif ctype in classes:
        annotation = ctype
    else:
        annotation = _PYTHON_TYPE.get(ctype, "Any") if ctype else None
    if annotation not in (None, "Any") and default.strip() == "None":
        annotation += " | None"
    text = name if annotation is None else f"{name}: {annotation}"
    return text + (" = ..." if eq else "")


def _constructors(pyx: Path):
    """{class: [parameter text]} of the ``__cinit__``/``__init__`` of each cdef
    class of a ``.pyx`` (their signatures are not embedded)."""
    text = pyx.read_text()
    found = {}
    for match in re.finditer(r"^cdef class (\w+)[^\n]*:\n(?P<body>(?:[ \t]+[^\n]*\n|\n)*)",
                             text, re.M):
        init = re.search(r"def __c?init__\(self,?\s*(?P<params>[^)]*)\)", match.group("body"))
        if init:
            found[match.group(1)] = _split_params(" ".join(init.group("params").split()))
    return found


def compiled_classes():
    """{class name: module} of every cdef class of the compiled modules."""
    found = {}
    for pyx in COMPILED:
        module = importlib.import_module(module_name(pyx))
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                found[value.__name__] = module.__name__
    return found


def _signature_line(obj):
    doc = getattr(obj, "__doc__", None) or ""
    return doc.split("\n", 1)[0].strip()


def _stub_function(name, obj, classes, indent="", method=False):
    match = _SIGNATURE.match(_signature_line(obj).rpartition(".")[2]
                             if method else _signature_line(obj))
    if not match or match.group("name") != name:
        params = ["self", "*args: Any", "**kwargs: Any"] if method else ["*args: Any",
                                                                         "**kwargs: Any"]
        ret = "Any"
    else:
        params = [_python_param(p, classes) for p in _split_params(match.group("params"))]
        if method and (not params or params[0] != "self"):
            params.insert(0, "self")
        ret = match.group("ret") or "Any"
        ret = _PYTHON_TYPE.get(ret, ret if ret in classes else "Any")
    return f"{indent}def {name}({', '.join(params)}) -> {ret}: ..."


def _packed(statements, width=88):
    """Statements joined by "; " into indented lines of at most ``width``."""
    lines = [""]
    for statement in statements:
        if lines[-1] and len(lines[-1]) + len(statement) + 6 > width:
            lines.append("")
        lines[-1] += ("; " if lines[-1] else "") + statement
    return ["    " + line for line in lines]


def stub_text(module, pyx: Path, classes) -> str:
    """The ``.pyi`` of a compiled module; ``classes``: ``compiled_classes()``."""
    public = {k: v for k, v in vars(module).items()
              if not k.startswith("__") and not inspect.ismodule(v)}
    constructors = _constructors(pyx)
    body = []
    enums = False
    for name, obj in public.items():
        if isinstance(obj, type) and issubclass(obj, enum.IntEnum):
            # a cpdef enum: an IntEnum of its members
            enums = True
            body += ["", f"class {obj.__name__}(enum.IntEnum):"]
            body += _packed([f"{m.name} = {int(m)}" for m in obj]) + [""]
        elif isinstance(obj, type):
            if obj.__module__ != module.__name__:
                continue
            bases = [b.__name__ for b in obj.__bases__ if b is not object]
            body.append("")
            body.append(f"class {obj.__name__}{'(' + ', '.join(bases) + ')' if bases else ''}:")
            members = []
            if obj.__name__ in constructors:
                params = ["self"] + [_python_param(p, classes)
                                     for p in constructors[obj.__name__]]
                members.append(f"    def __init__({', '.join(params)}) -> None: ...")
            for attr, value in vars(obj).items():
                if attr.startswith("__") and attr not in ("__init__", "__len__",
                                                         "__getitem__", "__iter__"):
                    continue
                if inspect.isgetsetdescriptor(value) or isinstance(value, property):
                    members.append(f"    {attr}: Any")
                elif isinstance(value, (staticmethod, classmethod)):
                    members.append(f"    @{type(value).__name__}")
                    members.append(_stub_function(attr, value.__func__, classes, "    "))
                elif callable(value):
                    members.append(_stub_function(attr, value, classes, "    ", method=True))
            body.extend(members or ["    ..."])
            body.append("")
        elif callable(obj):
            body.append(_stub_function(name, obj, classes))
        else:
            kind = type(obj).__name__
            body.append(f"{name}: {kind if kind in _PYTHON_TYPE.values() else 'Any'}")
    text = "\n".join(body)
    lines = [f'"""Signatures of the compiled module {module.__name__} (written by '
             f'tests/test_stubs.py)."""', "", *(["import enum"] if enums else []),
             "from typing import Any", "",
             "from numpy.typing import NDArray", ""]
    used = sorted((c for c, owner in classes.items()
                   if owner != module.__name__ and re.search(rf"\b{c}\b", text)),
                  key=lambda c: (classes[c], c))  # isort's order
    for owner in sorted({classes[c] for c in used}):
        lines.append(f"from {owner} import {', '.join(c for c in used if classes[c] == owner)}")
    while body and not body[0]:  # one blank line after the imports
        body.pop(0)
    return "\n".join(lines + ([""] if used else []) + body).rstrip() + "\n"


def _stub_names(path: Path):
    """{name: [parameter names]} of a stub's functions and classes' methods."""
    tree = ast.parse(path.read_text())
    names = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign):
            names[node.target.id] = None
        elif isinstance(node, ast.FunctionDef):
            names[node.name] = [a.arg for a in node.args.args + node.args.kwonlyargs]
        elif isinstance(node, ast.ClassDef):
            names[node.name] = None
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    names[f"{node.name}.{item.name}"] = [
                        a.arg for a in item.args.args + item.args.kwonlyargs]
    return names


@pytest.mark.parametrize("pyx", COMPILED, ids=lambda p: p.stem)
def test_each_compiled_module_has_a_stub_that_matches_it(pyx):
    stub = pyx.with_suffix(".pyi")
    assert stub.exists(), f"no {stub.name}: run python tests/test_stubs.py"
    module = importlib.import_module(module_name(pyx))
    names = _stub_names(stub)
    for name, obj in vars(module).items():
        if name.startswith("__") or inspect.ismodule(obj):
            continue
        if isinstance(obj, type) and obj.__module__ != module.__name__:
            continue
        assert name in names, f"{module.__name__}.{name} is missing from {stub.name}"
        if callable(obj) and not isinstance(obj, type):
            try:
                runtime = list(inspect.signature(obj).parameters)
            except (TypeError, ValueError):
                continue
            assert names[name] == runtime, (name, names[name], runtime)
    for name in names:
        owner, _, attr = name.partition(".")
        assert hasattr(module, owner), f"{stub.name} names {owner}, which the module lacks"
        if attr:
            assert hasattr(getattr(module, owner), attr), f"{stub.name}: {name}"


def test_the_package_is_marked_typed():
    assert (SOURCE / "py.typed").exists()


def test_help_shows_a_compiled_functions_parameters():
    from voxelize_cy.core import _kernels

    text = _kernels.sphere_box_overlap_A3.__doc__
    assert text.startswith("sphere_box_overlap_A3(double cx, double cy, double cz, "
                           "double radius_A")


if __name__ == "__main__":
    all_classes = compiled_classes()
    for pyx in COMPILED:
        text = stub_text(importlib.import_module(module_name(pyx)), pyx, all_classes)
        pyx.with_suffix(".pyi").write_text(text)
        print("wrote", pyx.with_suffix(".pyi").relative_to(SOURCE.parent))
    sys.exit(0)
