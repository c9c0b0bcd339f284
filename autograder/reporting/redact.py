"""What feedback may say: the check's message or a short error, never hidden tests or solutions.

The kernel runs the hidden tests, so learner code can read them at run time (``In``, frames,
``linecache``) and raise or print them. Everything that comes out of a kernel is therefore
chosen and cleaned here before it reaches feedback, notes or results.json:

- :func:`test_message`: for a failing test cell, the ``deeplib.checks`` message (the text the
  learner also sees in JupyterLab) or the test's own assertion message; when the exception was
  raised in the learner's own code, its type, the line of their cell and at most
  :data:`SHORT` characters of its message;
- :class:`Redactor`: built from the source notebook (solution blocks and hidden tests, minus
  what the released notebook shows), it removes every line of a message that contains a secret
  line, or a fragment of :data:`FRAGMENT` characters of secret code (whitespace and string
  literals ignored), and every long run that looks like an encoded blob (base64, base85, hex...).
  Whatever it removed, the row gets the flag ``feedback_redacted``.
"""
from __future__ import annotations

import re

import nbformat

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SHORT = 200              # characters of a learner exception's message shown
LONG = 1500              # characters of a check's message shown
FRAGMENT = 24            # characters of secret code (no whitespace) that count as a leak
MIN_LINE = 12            # a secret line shorter than this is too common to look for
BLOB = re.compile(r"\S{40,}")                      # a long run without whitespace
TOKEN = re.compile(r"\S{16,}")
STRING = re.compile(r"""[rRbBuUfF]{0,2}("([^"\\\n]|\\.)*"|'([^'\\\n]|\\.)*')""")
MARKERS = {"solution": ("### BEGIN SOLUTION", "### END SOLUTION"),
           "hidden": ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")}
REMOVED = "[removed by the grader: text of a hidden test or solution]"
REMOVED_BLOB = "[removed by the grader: encoded-looking text]"
CELL_FRAME = re.compile(r"(?:Cell In\[(\d+)\]|Input In \[(\d+)\]), line (\d+)")
FILE_FRAME = re.compile(r"File (\S+?):(\d+)")


def _norm(text: str) -> str:
    return " ".join(text.split())


def secret_lines(source: nbformat.NotebookNode, released: nbformat.NotebookNode) -> list[str]:
    """Lines inside solution blocks and hidden-test blocks of ``source`` that ``released`` does not show."""
    visible = {_norm(line) for c in released.cells for line in c.source.splitlines()}
    out = []
    for cell in source.cells:
        inside = False
        for line in cell.source.splitlines():
            s = line.strip()
            if any(s == begin for begin, _ in MARKERS.values()):
                inside = True
                continue
            if any(s == end for _, end in MARKERS.values()):
                inside = False
                continue
            if inside and _norm(line) and _norm(line) not in visible:
                out.append(line)
    return out


def _is_blob(token: str) -> bool:
    """A token that looks like encoded data rather than words, numbers or code."""
    if len(token) >= 40:
        return True
    return len(token) >= 16 and all(re.search(p, token) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))


class Redactor:
    """Removes secret text from messages; ``lines``: secret source lines (see :func:`secret_lines`)."""

    def __init__(self, lines: list[str], visible: str = ""):
        self.lines = {_norm(line) for line in lines if len(_norm(line)) >= MIN_LINE}
        self.shingles: set[str] = set()
        for line in lines:
            code = STRING.sub("\0", line)
            for seg in "".join(code.split()).split("\0"):
                for i in range(len(seg) - FRAGMENT + 1):
                    self.shingles.add(seg[i:i + FRAGMENT])
        flat = "".join(visible.split())     # what the learner's notebook shows is no secret
        self.shingles = {sh for sh in self.shingles if sh not in flat}

    @classmethod
    def from_notebooks(cls, source, released) -> "Redactor":
        return cls(secret_lines(source, released), "\n".join(c.source for c in released.cells))

    def _secret(self, line: str) -> bool:
        n = _norm(line)
        if any(s in n for s in self.lines):
            return True
        flat = "".join(line.split())
        return any(flat[i:i + FRAGMENT] in self.shingles for i in range(len(flat) - FRAGMENT + 1))

    def clean(self, text: str) -> tuple[str, bool]:
        """``text`` with secret lines and encoded-looking runs removed; and whether anything was."""
        if not text:
            return text, False
        out, changed = [], False
        for line in text.splitlines():
            if self._secret(line):
                out.append(REMOVED)
                changed = True
                continue
            blobs = [t for t in TOKEN.findall(line) if _is_blob(t)]
            if BLOB.search(line) or sum(map(len, blobs)) >= 40:
                line = BLOB.sub(REMOVED_BLOB, line)
                for t in blobs:
                    line = line.replace(t, REMOVED_BLOB)
                changed = True
            out.append(line)
        # a secret split over several lines
        joined = "\n".join(out)
        if self._secret(joined.replace("\n", " ")) and not changed:
            return REMOVED, True
        return joined, changed


def short(text: str, n: int) -> str:
    text = ANSI.sub("", str(text)).strip()
    return text if len(text) <= n else text[:n] + f" ... ({len(text) - n} more characters not shown)"


def _origin(traceback: list[str], owners: dict[int, tuple[str, str]]):
    """(kind, cell name, line, in_checks) of the innermost notebook cell in a traceback.

    ``owners``: execution count -> (cell name, kind) with kind "test", "locked" or "learner".
    ``in_checks``: the innermost frame is in deeplib/checks.py.
    """
    in_checks = None
    for entry in reversed([ANSI.sub("", e) for e in traceback or []]):
        cell = CELL_FRAME.search(entry)
        if cell:
            count = int(cell.group(1) or cell.group(2))
            name, kind = owners.get(count, (f"In[{count}]", "learner"))
            return kind, name, int(cell.group(3)), bool(in_checks)
        f = FILE_FRAME.search(entry)
        if f and in_checks is None:
            in_checks = f.group(1).replace("\\", "/").endswith("deeplib/checks.py")
    return None, None, None, bool(in_checks)


def test_message(out: dict, owners: dict) -> str:
    """Feedback for a test cell whose error output is ``out`` (nbformat error output)."""
    ename = str(out.get("ename", "Error"))
    evalue = ANSI.sub("", str(out.get("evalue", ""))).strip()
    if ename == "CellTimeoutError" or (ename == "KeyboardInterrupt" and not evalue):
        return "the cell did not finish within the time limit (an infinite loop?)"
    kind, name, line, in_checks = _origin(out.get("traceback", []), owners)
    if ename == "AssertionError" and (in_checks or kind == "test"):
        return f"{ename}: {short(evalue, LONG)}" if evalue else f"{ename} (no message)"
    if kind in ("learner", "locked"):
        where = f"your cell `{name}`" if kind == "learner" else f"cell `{name}`"
        msg = short(evalue, SHORT)
        return f"{ename} raised in {where}, line {line}" + (f": {msg}" if msg else "")
    msg = short(evalue, LONG if kind == "test" else SHORT)
    return f"{ename}: {msg}" if msg else f"{ename} (no message)"


def error_summary(out: dict, owners: dict) -> str:
    """Line and short message of an exception raised in a learner's (non-test) cell."""
    _, name, line, _ = _origin(out.get("traceback", []), owners)
    msg = short(out.get("evalue", ""), SHORT)
    return (f"line {line}: " if line else "") + msg


WARNING_LINE = re.compile(r"^.*?:\d+: (\w*Warning): (.*)$")


def stderr_message(text: str) -> str:
    """Feedback for a test cell that wrote to stderr: the warnings' categories and messages only."""
    warns = [f"{m.group(1)}: {m.group(2)}" for m in map(WARNING_LINE.match, text.splitlines()) if m]
    if warns:
        return "the cell printed a warning (a warning in a test cell counts as a failure): " + \
            short("; ".join(dict.fromkeys(warns)), SHORT)
    return "the cell wrote to stderr (this counts as a failure): " + short(text, SHORT)


def apply(result, redactor: Redactor, trusted: list[str] = ()) -> None:
    """Clean every message, error and note of a grader ``Result``; flag ``feedback_redacted``.

    ``trusted``: notes the grader wrote before any learner code ran (about the submitted files:
    names, zip entries, repaired cells); they are kept as they are.
    """
    changed = False
    for c in result.cells.values():
        c["message"], ch = redactor.clean(c.get("message") or "") if c.get("message") else (c.get("message"), False)
        changed |= ch
    for e in result.errors:
        e["evalue"], ch = redactor.clean(str(e.get("evalue", "")))
        changed |= ch
    notes = []
    for n in result.notes:
        if n in trusted:
            notes.append(n)
            continue
        n, ch = redactor.clean(n)
        notes.append(n)
        changed |= ch
    result.notes = notes
    if changed:
        result.flags.add("feedback_redacted")
        result.notes.append("parts of the feedback were removed: they repeated hidden tests or "
                            "solutions, or looked like encoded data")
