"""The layout's two rules, read from the source with ``ast`` (no import is executed).

1. No import cycle among the project's modules (module-level and function-level imports both).
2. Data flows one way: symbolic -> numeric -> verify -> proofs and the command line.  symbolic
   imports nothing from numeric/verify/proofs; numeric nothing from verify/proofs; verify, except
   its command line ``verify/cli/``, nothing from proofs.

And every package's ``__init__`` says in a docstring what the wing owns.  The checker itself is
tested on small synthetic graphs, so a planted cycle or a backward import is seen to fail.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("symbolic", "numeric", "verify", "proofs")
#: ``layer -> packages it may not import``
FORBIDDEN = {"symbolic": {"numeric", "verify", "proofs"}, "numeric": {"verify", "proofs"}, "verify": {"proofs"}}
#: modules exempt from FORBIDDEN (the command line and the public API's implementation sit on top of everything)
EXEMPT = ("verify.cli", "verify.api")


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """``{dotted module name: path}`` for every ``.py`` file of the four packages."""
    out = {}
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def imports_of(name: str, source: str, is_package: bool, known: set[str]) -> set[str]:
    """The project modules ``name`` imports, anywhere in ``source``.

    ``from pkg import mod`` counts as importing ``pkg.mod`` when that is a module, else ``pkg``;
    relative imports are resolved against the module's package.
    """
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:  # import a.b.c of a non-module attribute: its module
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    files = module_files(root)
    known = set(files)
    return {m: imports_of(m, p.read_text(), p.name == "__init__.py", known) for m, p in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle ``[a, b, ..., a]`` of ``graph``, or None (iterative depth-first search)."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {v: WHITE for v in graph}
    for start in sorted(graph):
        if colour[start] != WHITE:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = GREY
        while stack:
            v, it = stack[-1]
            w = next(it, None)
            if w is None:
                colour[v] = BLACK
                stack.pop()
                path.pop()
            elif colour.get(w, BLACK) == GREY:
                return path[path.index(w):] + [w]
            elif colour.get(w) == WHITE:
                colour[w] = GREY
                stack.append((w, iter(sorted(graph[w]))))
                path.append(w)
    return None


def backward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Edges ``(importer, imported)`` against the one-way flow."""
    bad = []
    for m, targets in graph.items():
        if any(m == e or m.startswith(e + ".") for e in EXEMPT):
            continue
        banned = FORBIDDEN.get(m.split(".")[0], set())
        bad += [(m, t) for t in sorted(targets) if t.split(".")[0] in banned]
    return sorted(bad)


# ----------------------------------------------------------------------------- the checker itself
def test_checker_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_checker_accepts_a_dag():
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) is None


def test_checker_resolves_from_package_import_module(tmp_path):
    for rel, text in {"symbolic/__init__.py": '"""s"""', "symbolic/x.py": "from symbolic import y\n",
                      "symbolic/y.py": "def f():\n    from . import x\n",
                      "numeric/__init__.py": '"""n"""', "numeric/z.py": "import verify.w as w\n",
                      "verify/__init__.py": '"""v"""', "verify/w.py": "from numeric.z import thing\n",
                      "proofs/__init__.py": '"""p"""'}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    graph = import_graph(tmp_path)
    assert graph["symbolic.x"] == {"symbolic.y"} and graph["symbolic.y"] == {"symbolic.x"}
    assert find_cycle(graph) is not None
    assert backward_imports(graph) == [("numeric.z", "verify.w")]


# ----------------------------------------------------------------------------- the project
@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_the_graph_sees_the_packages(graph):
    assert {"symbolic.bregman", "numeric.problem", "verify.check", "verify.cli.app", "proofs.core"} <= set(graph)
    assert "verify.check" in graph["verify.cli.check"]


def test_no_import_cycle(graph):
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_data_flows_one_way(graph):
    assert backward_imports(graph) == []


def test_every_package_says_what_it_owns():
    missing = []
    for pkg in PACKAGES:
        for init in sorted((ROOT / pkg).rglob("__init__.py")):
            if not ast.get_docstring(ast.parse(init.read_text())):
                missing.append(str(init.relative_to(ROOT)))
    assert missing == []
