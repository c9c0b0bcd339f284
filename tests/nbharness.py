"""Run one nbgrader test cell of a course notebook in-process, as the autograder would.

    from tests.nbharness import Notebook
    NB = Notebook("solutions/00_getting_started/00_getting_started.ipynb")
    NB.assert_passes("test_relative_error")
    NB.assert_fails("test_relative_error", relative_error='''
    def relative_error(a, b):
        return np.linalg.norm(a - b)
    ''')

`Notebook.run(test_id, visible_only=False, **replacements)` executes, in a fresh
namespace: the setup cells (grade_id starting with ``setup``) and the answer cells
(``"solution": true``) that come before the test cell, in notebook order, with the
answer cells named in ``replacements`` (by grade_id) replaced by the given source;
then the test cell, either whole (hidden-test markers removed) or only its visible
part (before ``### BEGIN HIDDEN TESTS``). IPython magics and shell lines (``%...``,
``!...``) are dropped; matplotlib uses the Agg backend.

As under nbgrader, the test cell fails if it raises OR writes anything to stderr
(warnings included). An answer or setup cell that raises is reported as a failure too
(under nbgrader the test cell would then fail on a missing name). NumPy's module
attributes and error state are restored after each run, so a replacement that
rebinds ``np.allclose`` does not leak into other tests.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
_MAGIC = re.compile(r"^\s*[%!]")


@dataclass(frozen=True)
class Result:
    """Outcome of one test cell: passed, and the failure message ('' when passed)."""

    passed: bool
    message: str
    stdout: str = ""

    def __bool__(self):
        return self.passed


@dataclass(frozen=True)
class _Cell:
    index: int
    grade_id: str
    source: str
    solution: bool
    grade: bool


_CACHE: dict[tuple[str, float], list[_Cell]] = {}


def _parse(path: Path) -> list[_Cell]:
    """The notebook's code cells that carry nbgrader metadata (cached per path and mtime)."""
    key = (str(path), os.stat(path).st_mtime)
    if key not in _CACHE:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = []
        for i, cell in enumerate(nb["cells"]):
            meta = cell.get("metadata", {}).get("nbgrader")
            if cell.get("cell_type") != "code" or not meta or "grade_id" not in meta:
                continue
            source = cell["source"]
            if isinstance(source, list):
                source = "".join(source)
            cells.append(_Cell(i, meta["grade_id"], source, bool(meta.get("solution")),
                               bool(meta.get("grade"))))
        _CACHE[key] = cells
    return _CACHE[key]


def _strip_magics(source: str) -> str:
    return "\n".join("" if _MAGIC.match(line) else line for line in source.splitlines())


def _test_source(source: str, visible_only: bool) -> str:
    if visible_only:
        return source.split(HIDDEN_BEGIN, 1)[0]
    return "\n".join(
        line for line in source.splitlines() if line.strip() not in (HIDDEN_BEGIN, HIDDEN_END)
    )


@contextlib.contextmanager
def _numpy_restored():
    """Restore numpy's (and numpy.testing's) attributes and error state afterwards."""
    saved = {mod: dict(vars(mod)) for mod in (np, np.testing, np.linalg, np.random)}
    try:
        with np.errstate():
            yield
    finally:
        for mod, attrs in saved.items():
            current = vars(mod)
            for name in [n for n in current if n not in attrs]:
                delattr(mod, name)
            for name, value in attrs.items():
                if current.get(name, value) is not value or name not in current:
                    setattr(mod, name, value)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


class Notebook:
    """One nbgrader notebook whose test cells can be run against replaced answers."""

    def __init__(self, path):
        path = Path(path)
        if not path.is_absolute() and not path.exists():
            path = REPO / path
        if not path.exists():
            raise FileNotFoundError(f"notebook not found: {path}")
        self.path = path

    @property
    def cells(self) -> list[_Cell]:
        return _parse(self.path)

    def test_ids(self) -> list[str]:
        return [c.grade_id for c in self.cells if c.grade]

    def answer_ids(self) -> list[str]:
        return [c.grade_id for c in self.cells if c.solution]

    def _plan(self, test_id, replacements):
        cells = self.cells
        tests = [c for c in cells if c.grade_id == test_id and c.grade]
        if not tests:
            raise KeyError(f"no test cell {test_id!r} in {self.path.name}; "
                           f"test cells: {self.test_ids()}")
        test = tests[0]
        before = [c for c in cells if c.index < test.index
                  and (c.solution or c.grade_id.startswith("setup"))]
        known = {c.grade_id for c in before if c.solution}
        unknown = set(replacements) - known
        if unknown:
            raise ValueError(f"cannot replace {sorted(unknown)}: not an answer cell before "
                             f"{test_id!r} (answer cells before it: {sorted(known)})")
        return before, test

    def run(self, test_id: str, visible_only: bool = False, **replacements) -> Result:
        """Run the test cell `test_id` after the setup and answer cells before it."""
        before, test = self._plan(test_id, replacements)
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt

        namespace = {"__name__": "__main__", "__builtins__": __builtins__}
        stdout = io.StringIO()
        try:
            with _numpy_restored(), contextlib.redirect_stdout(stdout):
                for cell in before:
                    source = replacements.get(cell.grade_id, cell.source)
                    stderr = io.StringIO()
                    try:
                        with warnings.catch_warnings(), contextlib.redirect_stderr(stderr):
                            warnings.simplefilter("ignore")  # not graded, as in nbgrader
                            code = compile(_strip_magics(source), f"<cell {cell.grade_id}>",
                                           "exec")
                            exec(code, namespace)
                    except Exception as exc:  # noqa: BLE001 - reported, as nbgrader would
                        return Result(False, f"cell {cell.grade_id!r} raised "
                                             f"{_describe(exc)}", stdout.getvalue())
                return self._run_test(test, visible_only, namespace, stdout)
        finally:
            plt.close("all")

    @staticmethod
    def _run_test(test, visible_only, namespace, stdout) -> Result:
        source = _strip_magics(_test_source(test.source, visible_only))
        stderr = io.StringIO()
        with warnings.catch_warnings(record=True) as caught, \
                contextlib.redirect_stderr(stderr):
            warnings.simplefilter("always")
            try:
                exec(compile(source, f"<cell {test.grade_id}>", "exec"), namespace)
            except Exception as exc:  # noqa: BLE001
                return Result(False, _describe(exc), stdout.getvalue())
        if caught:
            w = caught[0]
            return Result(False, f"warning in the test cell (scores 0 under nbgrader): "
                                 f"{w.category.__name__}: {w.message}", stdout.getvalue())
        if stderr.getvalue().strip():
            return Result(False, f"the test cell wrote to stderr (scores 0 under nbgrader): "
                                 f"{stderr.getvalue().strip()[:500]}", stdout.getvalue())
        return Result(True, "", stdout.getvalue())

    def assert_passes(self, test_id: str, visible_only: bool = False, **replacements) -> Result:
        result = self.run(test_id, visible_only=visible_only, **replacements)
        if not result.passed:
            raise AssertionError(f"{self.path.name}: {test_id} should pass but failed:\n"
                                 f"{result.message}")
        return result

    def assert_fails(self, test_id: str, visible_only: bool = False, **replacements) -> Result:
        """Fail unless the test cell rejects the replaced answers; returns the Result."""
        if not replacements:
            raise ValueError("assert_fails needs at least one replaced answer cell")
        result = self.run(test_id, visible_only=visible_only, **replacements)
        if result.passed:
            part = "visible part of " if visible_only else ""
            raise AssertionError(f"{self.path.name}: the {part}{test_id} accepted a wrong "
                                 f"answer for {sorted(replacements)}")
        return result
