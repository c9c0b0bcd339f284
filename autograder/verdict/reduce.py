"""Grade only what grading needs: drop released cells no test can depend on.

A cell is *droppable* when it has no nbgrader metadata (not a setup, answer, test or
locked cell) and the learner left it as released (same cell id and same source as the
release): the course's experiments and explanations. Every other cell is kept: setup,
answer and test cells, and every cell the learner added or changed.

A droppable Markdown cell is dropped (it does not run). A droppable code cell is dropped
unless a kept cell after it may read a name it binds or changes. Going from the last cell
to the first with ``needed`` = the identifiers of the kept cells below::

    keep(c)  <=>  c is not droppable  or  binds(c) ∩ needed ≠ ∅
    needed  <-  needed ∪ reads(c)        for every kept c

``reads(c)`` is every name the cell may read from earlier cells: the names it loads before
binding them, in its functions and comprehensions too (a name bound only inside an ``if``,
``for`` or ``try`` is still read from before); a cell that uses ``globals()``, ``eval``,
``getattr``... or does not parse reads every identifier-like word of its source
(``"errors" in globals()`` reads ``errors``).
``binds(c)`` is every name the cell assigns, defines, imports or deletes, the base name of
every attribute or item it assigns (``plt.rcParams[...] = ...`` binds ``plt``), of every
mutating method it calls (``results.append(...)`` binds ``results``) and of every call
that changes global state (``np.seterr``, ``np.random.seed``, ``warnings.filterwarnings``...).
A droppable cell that does not parse is kept. Tests must not depend on the random draws
an experiment makes (a course rule checked by ``tests/notebooks``); the reduced notebook
scoring exactly like the full one is checked by ``tests/test_reduce.py`` for every notebook.
"""
from __future__ import annotations

import ast
import re

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MUTATORS = {"append", "extend", "insert", "update", "pop", "popitem", "clear", "remove", "setdefault",
            "add", "discard", "sort", "reverse", "fill", "resize", "put", "itemset", "__setitem__",
            "__delitem__"}
GLOBAL_STATE = {"seterr", "seed", "filterwarnings", "simplefilter", "set_printoptions", "setrecursionlimit",
                "chdir", "putenv", "use", "rc", "style", "register", "setattr", "delattr", "exec", "eval"}


def _python(source: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(source)


def _base(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def binds(source: str) -> set[str] | None:
    """Names a cell binds or changes (see the module docstring); None if it does not parse."""
    try:
        tree = ast.parse(_python(source))
    except (SyntaxError, ValueError):
        return None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(_base(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and (f.attr in MUTATORS or f.attr in GLOBAL_STATE):
                names.add(_base(f.value))
            elif isinstance(f, ast.Name) and f.id in GLOBAL_STATE:
                names.update(_base(a) for a in node.args)
                names.add("*")                        # setattr/exec/eval: anything may change
        elif isinstance(node, ast.NamedExpr):
            names.add(node.target.id)
    names.discard(None)
    return names


def _targets(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}


class _Reads:
    """Free names of a cell: read before the cell binds them, in functions and comprehensions too."""

    def __init__(self):
        self.free: set[str] = set()

    def expr(self, node, bound: set) -> None:
        """Names an expression reads that ``bound`` does not provide (scopes inside handled)."""
        if node is None:
            return
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load) and node.id not in bound:
                self.free.add(node.id)
            return
        if isinstance(node, ast.Lambda):
            args = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
            for d in node.args.defaults + node.args.kw_defaults:
                self.expr(d, bound)
            self.expr(node.body, bound | args)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            inner = set(bound)
            for gen in node.generators:
                self.expr(gen.iter, inner)
                inner |= _targets(gen.target)
                for cond in gen.ifs:
                    self.expr(cond, inner)
            for part in ([node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]):
                self.expr(part, inner)
            return
        for child in ast.iter_child_nodes(node):
            self.expr(child, bound)

    def body(self, stmts, bound: set) -> None:
        for st in stmts:
            self.stmt(st, bound)

    def stmt(self, st, bound: set) -> None:
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in st.decorator_list + st.args.defaults + st.args.kw_defaults:
                self.expr(d, bound)
            local = {a.arg for a in ast.walk(st.args) if isinstance(a, ast.arg)} | {st.name}
            for n in ast.walk(st):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    local.add(n.id)
                elif isinstance(n, (ast.Import, ast.ImportFrom)):
                    local |= {(a.asname or a.name).split(".")[0] for a in n.names}
                elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n is not st:
                    local.add(n.name)
                elif isinstance(n, ast.Global):
                    local -= set(n.names)
            self.body(st.body, bound | local)
            bound.add(st.name)
        elif isinstance(st, ast.ClassDef):
            for d in st.decorator_list + st.bases + [k.value for k in st.keywords]:
                self.expr(d, bound)
            self.body(st.body, set(bound))
            bound.add(st.name)
        elif isinstance(st, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            self.expr(st.value, bound)
            targets = st.targets if isinstance(st, ast.Assign) else [st.target]
            if isinstance(st, ast.AugAssign):
                self.expr(ast.Name(st.target.id, ast.Load()) if isinstance(st.target, ast.Name) else st.target, bound)
            for t in targets:           # subscripts and attributes read their base
                if not isinstance(t, ast.Name):
                    self.expr(t, bound)
                bound |= _targets(t) if isinstance(t, (ast.Name, ast.Tuple, ast.List, ast.Starred)) else set()
        elif isinstance(st, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in st.names}
        elif isinstance(st, (ast.For, ast.AsyncFor)):
            self.expr(st.iter, bound)
            inner = bound | _targets(st.target)
            self.body(st.body, inner)
            self.body(st.orelse, set(bound))
        elif isinstance(st, (ast.With, ast.AsyncWith)):
            for item in st.items:
                self.expr(item.context_expr, bound)
                if item.optional_vars is not None:
                    bound |= _targets(item.optional_vars)
            self.body(st.body, bound)
        elif isinstance(st, (ast.If, ast.While)):
            self.expr(st.test, bound)
            self.body(st.body, set(bound))
            self.body(st.orelse, set(bound))
        elif isinstance(st, ast.Try) or type(st).__name__ == "TryStar":
            self.body(st.body, set(bound))
            for h in st.handlers:
                self.expr(h.type, bound)
                self.body(h.body, bound | ({h.name} if h.name else set()))
            self.body(st.orelse, set(bound))
            self.body(st.finalbody, set(bound))
        else:
            self.expr(st, bound)


DYNAMIC = re.compile(r"\b(globals|locals|vars|eval|exec|getattr|hasattr|__dict__|get_ipython)\b")


def reads(source: str) -> set[str]:
    """Names a kept cell may read from earlier cells (every word if it is dynamic or does not parse)."""
    try:
        text = _python(source)
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set(WORD.findall(source))
    if DYNAMIC.search(text):
        return set(WORD.findall(source))
    r = _Reads()
    r.body(tree.body, set())
    return r.free


def _plain(cell) -> bool:
    return "nbgrader" not in cell.get("metadata", {})


def droppable(nb, released) -> list[bool]:
    """Per cell of ``nb``: has no nbgrader metadata and is the release's cell, unchanged."""
    rel = {c.get("id"): c.source for c in released.cells if c.get("id") and _plain(c)}
    return [_plain(c) and c.get("id") in rel and c.get("source") == rel[c.get("id")] for c in nb.cells]


def reduce(nb, released) -> list[int]:
    """Drop from ``nb`` (in place) the cells grading does not need; returns their indices."""
    drop_ok = droppable(nb, released)
    needed: set[str] = set()
    dropped = []
    for i in range(len(nb.cells) - 1, -1, -1):
        cell = nb.cells[i]
        if drop_ok[i]:
            if cell.cell_type != "code":
                dropped.append(i)
                continue
            b = binds(cell.source)
            if b is not None and "*" not in b and not (b & needed):
                dropped.append(i)
                continue
        if cell.cell_type == "code":
            needed |= reads(cell.get("source", ""))
    keep = set(range(len(nb.cells))) - set(dropped)
    nb.cells = [c for i, c in enumerate(nb.cells) if i in keep]
    return sorted(dropped)
