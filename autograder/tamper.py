"""Detect a submission that rebinds what the tests rely on (``np.allclose = lambda *a: True``).

Two checks, both best effort (the student's code runs in the same Python process as the
tests, so no check inside it can be airtight; see README "What cannot be prevented"):

- static: :func:`scan_cell` walks the AST of every cell the student may write and reports
  assignments, ``del``, ``setattr``/``delattr`` on modules (``np``, ``numpy``, ``deeplib``,
  ``builtins``, ``sys.modules``, ``math``...), writes through ``__dict__``/``vars()``/
  ``globals()``/``__builtins__``, and top-level rebinding of names that locked cells import;
- dynamic: :func:`check_cell_source` is a last cell appended to the graded COPY; it
  fingerprints the functions of those modules in the kernel and prints a JSON verdict
  tagged with a per-run nonce, compared by the parent with fingerprints it computed itself.
"""
from __future__ import annotations

import ast
import importlib
import json
import os
import pkgutil

MODULE_ROOTS = {"np", "numpy", "deeplib", "builtins", "__builtins__", "sys", "math", "checks",
                "importlib", "warnings", "operator", "functools"}
BUILTIN_NAMES = ("abs", "all", "any", "bool", "dict", "float", "int", "isinstance", "issubclass",
                 "len", "list", "max", "min", "print", "range", "repr", "round", "sorted", "str",
                 "sum", "tuple", "type", "zip", "getattr", "setattr", "hasattr", "__import__",
                 "AssertionError", "Exception", "ValueError", "TypeError", "NotImplementedError")
CHECKED_MODULES = ("numpy", "numpy.testing", "numpy.linalg", "numpy.random", "math")
MARKER = "AUTOGRADER-TAMPER-CHECK"

# Shared verbatim by the parent (exec) and the check cell, so both compute the same thing.
FINGERPRINT_SOURCE = '''
def _autograder_fp(obj):
    import hashlib
    code = getattr(obj, "__code__", None)
    kind = type(obj).__module__ + "." + type(obj).__qualname__
    name = str(getattr(obj, "__module__", "")) + ":" + str(getattr(obj, "__qualname__", getattr(obj, "__name__", "")))
    if code is not None and hasattr(code, "co_code"):
        h = hashlib.sha256(repr((code.co_filename, code.co_firstlineno, code.co_code)).encode()).hexdigest()[:16]
        return kind + "|" + name + "|" + h
    return kind + "|" + name
'''
_ns: dict = {}
exec(FINGERPRINT_SOURCE, _ns)
fingerprint = _ns["_autograder_fp"]


# ---------------------------------------------------------------- static scan
def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover
        return "?"


def protected_imports(sources: list[str]) -> dict[str, tuple[str, str | None]]:
    """Names bound by import statements in (locked) cells: name -> (module, attribute)."""
    out: dict[str, tuple[str, str | None]] = {}
    for src in sources:
        try:
            tree = ast.parse(_strip_magics(src))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for a in node.names:
                    name = a.asname or a.name.split(".")[0]
                    out[name] = (a.name if a.asname else a.name.split(".")[0], None)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*":
                        out[a.asname or a.name] = (node.module, a.name)
    return out


def _strip_magics(src: str) -> str:
    return "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())


def scan_cell(src: str, protected: dict[str, tuple[str, str | None]], cell_name: str) -> list[str]:
    """Problems found in one cell's source (empty list when clean)."""
    try:
        tree = ast.parse(_strip_magics(src))
    except SyntaxError:
        return []
    modules = set(MODULE_ROOTS) | {n for n, (m, a) in protected.items() if a is None}
    for node in ast.walk(tree):  # module aliases the cell itself creates
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                if _is_module(f"{node.module}.{a.name}"):
                    modules.add(a.asname or a.name)
    problems = []

    def report(node, what):
        problems.append(f"cell `{cell_name}` line {getattr(node, 'lineno', '?')}: {what}")

    def check_target(t, node, verb):
        if isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                check_target(e, node, verb)
        elif isinstance(t, ast.Starred):
            check_target(t.value, node, verb)
        elif isinstance(t, (ast.Attribute, ast.Subscript)):
            text = _dotted(t)
            if _root_name(t) in modules or any(k in text for k in ("__dict__", "vars(", "sys.modules",
                                                                     "globals()", "__builtins__")):
                report(node, f"{verb} {text}")

    globals_declared = {n for node in ast.walk(tree) if isinstance(node, ast.Global) for n in node.names}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                check_target(t, node, "assigns")
        elif isinstance(node, ast.Delete):
            for t in node.targets:
                check_target(t, node, "deletes")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("setattr", "delattr") and node.args:
            target = node.args[0]
            if _root_name(target) in modules or "sys.modules" in _dotted(target):
                report(node, f"{node.func.id}({_dotted(target)}, ...)")
        elif isinstance(node, ast.Name) and node.id == "__builtins__":
            report(node, "uses __builtins__")
    # top-level (or `global`) rebinding of a name a locked cell imported
    for node in ast.walk(tree):
        bound = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound = [n for t in targets for n in _bound_names(t)]
            top = node in tree.body
            bound = [b for b in bound if top or b in globals_declared]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node in tree.body:
            bound = [node.name]
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and node in tree.body:
            for a in node.names:
                name = a.asname or a.name.split(".")[0]
                if name in protected:
                    if isinstance(node, ast.Import):
                        binding = (a.name if a.asname else a.name.split(".")[0], None)
                    else:
                        binding = (node.module, a.name)
                    if binding != protected[name]:
                        report(node, f"re-imports `{name}` as something else")
            continue
        for b in bound:
            if b in protected:
                report(node, f"rebinds `{b}` (imported by a locked cell)")
    return problems


def _bound_names(t) -> list[str]:
    if isinstance(t, ast.Name):
        return [t.id]
    if isinstance(t, (ast.Tuple, ast.List)):
        return [n for e in t.elts for n in _bound_names(e)]
    if isinstance(t, ast.Starred):
        return _bound_names(t.value)
    return []


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:
        return False


# ---------------------------------------------------------------- dynamic check
def expected_fingerprints() -> dict[str, dict[str, str]]:
    """module name -> {attribute: fingerprint} computed in this (clean) process."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    names = list(CHECKED_MODULES)
    try:
        import deeplib
        names.append("deeplib")
        names += [f"deeplib.{m.name}" for m in pkgutil.iter_modules(deeplib.__path__)]
    except ImportError:
        pass
    out: dict[str, dict[str, str]] = {}
    for name in names:
        try:
            mod = importlib.import_module(name)
        except Exception:
            continue
        out[name] = {a: fingerprint(v) for a, v in sorted(vars(mod).items())
                     if not a.startswith("_") and callable(v)}
        out[name]["__file__"] = "file:" + str(getattr(mod, "__file__", ""))
    import builtins
    out["builtins"] = {a: fingerprint(getattr(builtins, a)) for a in BUILTIN_NAMES}
    return out


def check_cell_source(nonce: str, expected: dict, protected: dict) -> str:
    """Source of the last cell appended to the graded copy; prints MARKER nonce JSON."""
    return (FINGERPRINT_SOURCE + f'''
def _autograder_check(nonce, expected, protected):
    import sys, json
    changed = []
    for modname, attrs in expected.items():
        mod = sys.modules.get(modname)
        if mod is None:
            continue
        d = getattr(mod, "__dict__", {{}})
        for attr, want in attrs.items():
            if attr == "__file__":
                got = "file:" + str(d.get("__file__", ""))
            else:
                got = _autograder_fp(d[attr]) if attr in d else "missing"
            if got != want:
                changed.append(modname + "." + attr)
    g = globals()
    for name, (modname, attr) in protected.items():
        mod = sys.modules.get(modname)
        if mod is None or name not in g:
            continue
        want = mod if attr is None else getattr(mod, attr, None)
        if g[name] is not want:
            changed.append(name)
    np = sys.modules.get("numpy")
    geterr = np.geterr() if np is not None else {{}}
    print("{MARKER}", nonce, json.dumps({{"changed": sorted(changed), "geterr": geterr}}))
_autograder_check({nonce!r}, __import__("json").loads({json.dumps(expected)!r}),
                  __import__("json").loads({json.dumps(protected)!r}))
''')


def parse_verdict(text: str, nonce: str) -> dict | None:
    """The verdict the check cell printed, or None if it is not there."""
    for line in text.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] == MARKER and parts[1] == nonce:
            try:
                return json.loads(parts[2])
            except ValueError:
                return None
    return None
