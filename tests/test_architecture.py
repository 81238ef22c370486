"""The layers, read from the code: which `forum` module imports which.

Built with `ast` from the source files, so nothing is imported and the answer does not depend on
what happened to be loaded first.

Circles are counted over module-level imports only (those in a module's body, including inside a
top-level `if` or `try`). A module-level circle breaks at import time or depends on import order;
an import inside a function runs later and is the sanctioned way to load something heavy or
optional late (the CLI, the scheduler's jobs). Deferring an import to hide a circle is not: the
shared helpers live in modules of their own (forum/errors.py, tokens.py, timezones.py,
uploads.py, people.py, spreadsheets.py; services/bodies.py and services/counters.py) so that
services import them at the top. The layer rules below count every import, wherever it is.
"""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "forum"


@cache
def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The dotted names an import statement loads: `from forum.services import posting` loads
    forum.services.posting, `from forum.services import DomainError` loads forum.services."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".")
        if path.name != "__init__.py":
            base = base[:-1]
        base = base[: len(base) - node.level + 1]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    return [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in modules() else prefix for alias in node.names]


def _statements(tree: ast.Module, module_level: bool):
    if not module_level:
        yield from ast.walk(tree)
        return
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, (ast.If, ast.Try)):
            pending += node.body + node.orelse + getattr(node, "finalbody", [])
            pending += [statement for handler in getattr(node, "handlers", []) for statement in handler.body]


@cache
def imports(module_level: bool) -> dict[str, frozenset[str]]:
    """module -> every name it imports (forum modules and outside ones, e.g. flask.request)."""
    graph = {}
    for module, path in modules().items():
        names = set()
        for node in _statements(ast.parse(path.read_text(encoding="utf-8")), module_level):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update(_targets(module, path, node))
                if isinstance(node, ast.ImportFrom) and not node.level and node.module == "flask":
                    names.update(f"flask.{alias.name}" for alias in node.names)
        graph[module] = frozenset(names)
    return graph


def forum_edges(module_level: bool) -> dict[str, set[str]]:
    """module -> the forum modules it imports (a name inside a module counts as that module)."""
    known = modules()
    edges = {}
    for module, names in imports(module_level).items():
        targets = set()
        for name in names:
            while name not in known and "." in name:
                name = name.rsplit(".", 1)[0]
            if name in known and name != module:
                targets.add(name)
        edges[module] = targets
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _offenders(prefix: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    result = {}
    for module, names in imports(module_level=False).items():
        if module == prefix or module.startswith(prefix + "."):
            bad = sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))
            if bad:
                result[module] = bad
    return result


def test_the_graph_sees_the_package():
    """A guard for the guard: a reader that found no modules or no imports would pass everything."""
    edges = forum_edges(module_level=True)
    assert {"forum.services.posting", "forum.views.forums", "forum.models.forum"} <= set(edges)
    assert "forum.services.counters" in edges["forum.services.posting"]
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_circle_among_forum_modules():
    assert circles(forum_edges(module_level=True)) == []


def test_models_know_no_service_or_view():
    assert _offenders("forum.models", ("forum.services", "forum.views")) == {}


def test_services_know_no_view_and_no_request():
    assert _offenders("forum.services", ("forum.views", "flask.request")) == {}


def test_shared_helpers_do_not_reach_up_into_services():
    """Email, tokens, errors, time zones, uploads: below the services, which all use them."""
    helpers = ("forum.mail", "forum.errors", "forum.tokens", "forum.timezones", "forum.uploads",
               "forum.people", "forum.spreadsheets", "forum.markup", "forum.text")
    offenders = {}
    for helper in helpers:
        offenders.update(_offenders(helper, ("forum.services", "forum.views")))
    assert offenders == {}


QUERY_METHODS = {"execute", "scalar", "scalars", "get", "query"}
QUERY_BUILDERS = {"select", "insert", "update", "delete"}
VIEW_QUERY_HELPERS = {("forum.views.util", "get_or_none")}  # a row by primary key, for get_or_404 too


def _query_calls(tree: ast.AST, name: str = "<module>") -> list[tuple[str, int]]:
    """(innermost function, line) of each `db.session.<query>(...)`, `session.<query>(...)` or
    `select(...)` (also `db.select`, `sa.select`): a view that builds or runs a query itself."""
    found = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found += _query_calls(node, node.name)
            continue
        if isinstance(node, ast.Call):
            target = node.func
            if isinstance(target, ast.Name) and target.id in QUERY_BUILDERS:
                found.append((name, node.lineno))
            elif isinstance(target, ast.Attribute):
                owner = ast.unparse(target.value)
                if target.attr in QUERY_METHODS and owner.split(".")[-1] == "session" or target.attr in QUERY_BUILDERS and owner in {"db", "sa", "sqlalchemy"}:
                    found.append((name, node.lineno))
        found += _query_calls(node, name)
    return sorted(set(found))


def test_views_query_only_through_services():
    """Views parse, call a service, render: every read lives in a service (a page's reads in one
    named for it), so visibility comes from the policy's clauses in one place. The one exception
    is a row by primary key (`util.get_or_none`, used by `get_or_404`) before a permission check."""
    offenders = {}
    for module, path in modules().items():
        if not module.startswith("forum.views"):
            continue
        calls = [(name, line) for name, line in _query_calls(ast.parse(path.read_text(encoding="utf-8")))
                 if (module, name) not in VIEW_QUERY_HELPERS]
        if calls:
            offenders[module] = calls
    assert offenders == {}


def test_the_query_check_sees_queries():
    """A guard for the guard: each way a view could query is caught."""
    source = ("def a():\n    db.session.execute(select(User))\n"
              "def b():\n    return db.session.get(User, 1)\n"
              "def c():\n    return db.select(User)\n"
              "def d():\n    return render_template('x.html', rows=service.rows())\n")
    assert {name for name, _line in _query_calls(ast.parse(source))} == {"a", "b", "c"}
