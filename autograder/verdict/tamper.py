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
import re
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
    if isinstance(obj, (str, bytes, int, float, bool, tuple, frozenset, type(None))):
        return kind + "|" + hashlib.sha256(repr(obj).encode()).hexdigest()[:16]
    if kind == "builtins.module":
        return kind + "|" + str(getattr(obj, "__name__", ""))
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
#: Names whose use hooks into how cells run: reported for review, with the line.
HOOKS = ("settrace", "setprofile", "addaudithook", "input_transformers_cleanup", "input_transformers_post",
         "ast_transformers", "input_transformer_manager", "set_custom_exc", "register_callback",
         "pre_run_cell", "post_run_cell", "pre_execute", "showwarning", "excepthook")
#: Modules whose attributes tests may rely on (an alias of one is watched wherever it is imported).
WATCHED = ("numpy", "deeplib", "builtins", "sys", "math", "importlib", "warnings", "operator", "functools")
DEFAULT_ALIASES = {"np": "numpy", "numpy": "numpy", "deeplib": "deeplib", "builtins": "builtins",
                   "__builtins__": "builtins", "sys": "sys", "math": "math", "checks": "deeplib.checks",
                   "importlib": "importlib", "warnings": "warnings", "operator": "operator",
                   "functools": "functools"}


def _root_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover
        return "?"


def _chain(node) -> list[str] | None:
    """``a.b.c`` -> ["a", "b", "c"]; None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


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


def _aliases(tree, protected) -> dict[str, str]:
    """name -> dotted object it stands for (imports of locked cells and of this source)."""
    out = dict(DEFAULT_ALIASES)
    for name, (mod, attr) in protected.items():
        out[name] = mod if attr is None else f"{mod}.{attr}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def test_usage(sources: list[str], protected: dict) -> set[str]:
    """What the test cells use: dotted names (``numpy.testing.assert_allclose``, ``builtins.sum``)
    and ``global:NAME`` for every global name they read (answers, names locked cells imported)."""
    import builtins
    used: set[str] = set()
    for src in sources:
        try:
            tree = ast.parse(_strip_magics(src))
        except SyntaxError:
            continue
        aliases = _aliases(tree, protected)
        in_chain = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and id(node) not in in_chain:
                chain = _chain(node)
                if chain:
                    sub = node.value
                    while isinstance(sub, ast.Attribute):
                        in_chain.add(id(sub))
                        sub = sub.value
                    in_chain.add(id(sub))
                    if chain[0] in aliases:
                        used.add(".".join([aliases[chain[0]], *chain[1:]]))
                    used.add("global:" + chain[0])
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and id(node) not in in_chain:
                used.add("global:" + node.id)
                if node.id in aliases:
                    used.add(aliases[node.id])
                elif hasattr(builtins, node.id):
                    used.add("builtins." + node.id)
            elif isinstance(node, ast.ImportFrom) and node.module:
                used |= {f"{node.module}.{a.name}" for a in node.names}
    return used


def is_used(entry: str, used: set[str]) -> bool:
    """Whether replacing ``entry`` (``module.attr``, ``global:name``) changes what the tests run."""
    if entry.startswith("deeplib.checks.") or entry == "deeplib.checks":
        return True
    return entry in used or any(u.startswith(entry + ".") for u in used)


def _strip_magics(src: str) -> str:
    return "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())


def scan(src: str, protected: dict, used: set[str], cell_name: str) -> tuple[list[str], list[str]]:
    """Static scan of one learner cell: (zero, review) lists of findings.

    ``zero``: the cell replaces something the tests use (``np.allclose = ...`` when a test calls
    ``np.allclose``, any attribute of ``deeplib.checks``, a name a test reads). ``review``: it
    replaces or hooks something else a test could depend on (trace, audit hooks, input
    transformers, ``vars(module)[...]``): the evidence goes to the notes, the score stays.
    Plotting settings, ``os.environ`` and the learner's own names are not findings.
    """
    try:
        tree = ast.parse(_strip_magics(src))
    except SyntaxError:
        return [], []
    aliases = _aliases(tree, protected)
    watched = {n for n, target in aliases.items()
               if target.split(".")[0] in WATCHED or is_used(target, used)}
    zero: list[str] = []
    review: list[str] = []

    def where(node):
        return f"cell `{cell_name}` line {getattr(node, 'lineno', '?')}"

    def judge(node, what, entry):
        if entry is not None and is_used(entry, used):
            zero.append(f"{where(node)}: {what} (used by the tests)")
        else:
            review.append(f"{where(node)}: {what}")

    def resolve(t) -> str | None:
        chain = _chain(t)
        if chain and chain[0] in aliases:
            return ".".join([aliases[chain[0]], *chain[1:]])
        text = _dotted(t)
        if "sys.modules" in text:
            m = re.search(r"sys\.modules\[['\"]([\w.]+)['\"]\]((?:\.\w+)*)", text)
            if m:
                return m.group(1) + m.group(2)
        return None

    def check_target(t, node, verb):
        if isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                check_target(e, node, verb)
        elif isinstance(t, ast.Starred):
            check_target(t.value, node, verb)
        elif isinstance(t, (ast.Attribute, ast.Subscript)):
            text = _dotted(t)
            generic = any(k in text for k in ("__dict__", "vars(", "sys.modules", "globals()", "__builtins__"))
            if _root_name(t) in watched or generic:
                judge(node, f"{verb} {text}", resolve(t) if isinstance(t, ast.Attribute) else
                      (resolve(t.value) if generic and "sys.modules" in text else None))

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
            if _root_name(target) in watched or "sys.modules" in _dotted(target):
                base = resolve(target)
                attr = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else None
                judge(node, f"{node.func.id}({_dotted(target)}, ...)",
                      f"{base}.{attr}" if base and isinstance(attr, str) else None)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update" \
                and any(k in _dotted(node.func.value) for k in ("__dict__", "vars(")):
            judge(node, f"updates {_dotted(node.func.value)}", None)
        elif isinstance(node, ast.Name) and node.id == "__builtins__":
            review.append(f"{where(node)}: uses __builtins__")
        hook = None
        if isinstance(node, ast.Attribute) and node.attr in HOOKS:
            hook = node.attr
        elif isinstance(node, ast.Name) and node.id in HOOKS:
            hook = node.id
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            hook = next((h for h in HOOKS if h in node.value), None)
        if hook:
            review.append(f"{where(node)}: uses {hook} (changes how cells or tests run)")
    # top-level (or `global`) rebinding of a name the tests read
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
                    if binding != protected[name] and f"global:{name}" in used:
                        zero.append(f"{where(node)}: re-imports `{name}` as something else (used by the tests)")
            continue
        for b in bound:
            if b in protected and f"global:{b}" in used:
                zero.append(f"{where(node)}: rebinds `{b}` (imported by a locked cell, used by the tests)")
    return list(dict.fromkeys(zero)), list(dict.fromkeys(review))


def scan_cell(src: str, protected: dict, cell_name: str, used: set[str] | None = None) -> list[str]:
    """Every finding of :func:`scan` (zero and review) in one list (kept for callers of old)."""
    zero, review = scan(src, protected, used or set(), cell_name)
    return zero + review


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
def _all_attributes(mod) -> dict[str, str]:
    """Every attribute of a deeplib module (private ones too) and the methods of its classes."""
    out = {}
    for a, v in sorted(vars(mod).items()):
        if a.startswith("__") or isinstance(v, (dict, list, set)):
            continue
        out[a] = fingerprint(v)
        if isinstance(v, type) and v.__module__ == mod.__name__:
            for m, f in sorted(vars(v).items()):
                if callable(f) or isinstance(f, (staticmethod, classmethod, property)):
                    out[f"{a}.{m}"] = fingerprint(f)
    return out


def expected_fingerprints() -> dict[str, dict[str, str]]:
    """module name -> {attribute: fingerprint} computed in this (clean) process.

    numpy, math: public callables; deeplib's modules: every attribute (``deeplib.checks`` keeps
    the NumPy functions it captured in private names) and the methods of their classes.
    """
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
        if name.startswith("deeplib"):
            out[name] = _all_attributes(mod)
        else:
            out[name] = {a: fingerprint(v) for a, v in sorted(vars(mod).items())
                         if not a.startswith("_") and callable(v)}
        out[name]["__file__"] = "file:" + str(getattr(mod, "__file__", ""))
    import builtins
    out["builtins"] = {a: fingerprint(getattr(builtins, a)) for a in BUILTIN_NAMES}
    out["@transformers"] = expected_transformers()
    return out


def expected_transformers() -> dict[str, list[str]]:
    """IPython's input/AST transformers in a fresh shell (what a clean kernel has)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover
        return {}
    tm = TransformerManager()

    def q(f):
        return getattr(f, "__qualname__", type(f).__qualname__)
    return {"cleanup": [q(f) for f in tm.cleanup_transforms], "line": [q(f) for f in tm.line_transforms],
            "token": [q(f) for f in tm.token_transformers], "post": [], "ast": []}


def check_cell_source(nonce: str, expected: dict, protected: dict, tests: dict | None = None) -> str:
    """Source of the last cell appended to the graded copy; prints MARKER nonce JSON.

    ``tests``: grade_id -> source of the test cells; a transformer that rewrites one of them
    (compared with a fresh IPython's transformation) is reported in ``rewrites``.
    """
    return (FINGERPRINT_SOURCE + f"""
def _autograder_check(nonce, expected, protected, tests):
    import sys, json, ast
    changed, hooks, rewrites = [], [], []
    for modname, attrs in expected.items():
        mod = sys.modules.get(modname)
        if mod is None or modname.startswith("@"):
            continue
        d = getattr(mod, "__dict__", {{}})
        for attr, want in attrs.items():
            if attr == "__file__":
                got = "file:" + str(d.get("__file__", ""))
            elif "." in attr:
                cls, meth = attr.split(".", 1)
                cd = getattr(d.get(cls), "__dict__", {{}})
                got = _autograder_fp(cd[meth]) if meth in cd else "missing"
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
            changed.append("global:" + name)
    for label, f in (("sys.settrace", sys.gettrace()), ("sys.setprofile", sys.getprofile())):
        if f is not None:
            hooks.append(label + ": " + repr(f)[:80])
    try:
        import threading
        for label, f in (("threading.settrace", threading.gettrace()), ("threading.setprofile", threading.getprofile())):
            if f is not None:
                hooks.append(label + ": " + repr(f)[:80])
    except Exception:
        pass
    ip = get_ipython() if "get_ipython" in g else None
    if ip is not None:
        q = lambda f: getattr(f, "__qualname__", type(f).__qualname__)
        tm = ip.input_transformer_manager
        now = {{"cleanup": [q(f) for f in tm.cleanup_transforms], "line": [q(f) for f in tm.line_transforms],
               "token": [q(f) for f in tm.token_transformers],
               "post": [q(f) for f in ip.input_transformers_post], "ast": [q(f) for f in ip.ast_transformers]}}
        want = expected.get("@transformers", {{}})
        odd = [k + ": " + ", ".join(v) for k, v in now.items() if k in want and v != want[k]]
        if odd:
            hooks.append("IPython input/AST transformers added: " + "; ".join(odd)[:200])
            from IPython.core.inputtransformer2 import TransformerManager
            for gid, src in tests.items():
                try:
                    ref = TransformerManager().transform_cell(src)
                    got = ip.transform_cell(src)
                    same = got == ref and ast.dump(ip.transform_ast(ast.parse(got))) == ast.dump(ast.parse(ref))
                except Exception:
                    same = False
                if not same:
                    rewrites.append(gid)
        for event, fs in getattr(ip.events, "callbacks", {{}}).items():
            for f in fs:
                if getattr(f, "__module__", None) == "__main__":
                    hooks.append("IPython event " + event + ": " + q(f))
    np = sys.modules.get("numpy")
    geterr = np.geterr() if np is not None else {{}}
    print("{MARKER}", nonce, json.dumps({{"changed": sorted(changed), "hooks": hooks, "rewrites": rewrites,
                                          "geterr": geterr}}))
_autograder_check({nonce!r}, __import__("json").loads({json.dumps(expected)!r}),
                  __import__("json").loads({json.dumps(protected)!r}),
                  __import__("json").loads({json.dumps(tests or {})!r}))
""")


def judge_verdict(verdict: dict, used: set[str]) -> tuple[list[str], list[str]]:
    """(zero, review) notes from a check cell's verdict (see :func:`is_used`)."""
    zero, review = [], []
    changed = verdict.get("changed", [])
    hit = [c for c in changed if is_used(c, used)]
    other = [c for c in changed if c not in hit and not c.startswith("global:")]
    if hit:
        zero.append("rebound at run time (used by the tests): " + ", ".join(hit[:10]))
    if other:
        review.append("rebound at run time (not used by the tests): " + ", ".join(other[:10]))
    if verdict.get("rewrites"):
        zero.append("an input/AST transformer rewrites test cells: " + ", ".join(verdict["rewrites"][:10]))
    review += verdict.get("hooks", [])[:10]
    return zero, review


def missing_prints(cell_source: str, output_text: str) -> list[str]:
    """Constant strings a test cell prints at its top level that are missing from its output
    (a passing test cell that did not print them did not run as written)."""
    try:
        tree = ast.parse(_strip_magics(cell_source))
    except SyntaxError:
        return []
    out = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Name) and node.value.func.id == "print" \
                and len(node.value.args) == 1 and isinstance(node.value.args[0], ast.Constant) \
                and isinstance(node.value.args[0].value, str) and not node.value.keywords:
            if node.value.args[0].value not in output_text:
                out.append(node.value.args[0].value)
    return out


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
