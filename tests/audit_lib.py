"""The audit of the course's exercises: what each answer cell must do, and where it is checked.

One file per notebook, ``tests/audit/<assignment>.json``, maps every answer cell's grade_id to

    {"requirements": [{"id": "dtype",
                       "stated": "where/what the text or the docstring states",
                       "visible": ["substring(s) of the VISIBLE part of one of its test cells"],
                       "hidden": "what the hidden tests add"}, ...],
     "tests": ["test_grade_id", ...]}

``tests/test_audit.py`` checks it against the notebook; ``python -m tests.audit_table``
writes docs/audit.md from it. The visible part of a test cell is its source before
``### BEGIN HIDDEN TESTS``. Requirements the notebook states in words that the audit must
list are derived from the text (``DERIVED``): the docstrings and comments of the answer
cell, and the Markdown cells just before it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AUDIT_DIR = REPO / "tests" / "audit"
SOLUTIONS = REPO / "solutions"
ASSIGNMENTS = ["00_getting_started", "01_vanishing_exploding_gradients", "02_activation_functions",
               "03_weight_initialization", "04_dropout", "05_minibatch_gradient_descent",
               "06_optimizers", "07_capstone"]
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
_SOLUTION = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION", re.S)

#: (pattern in the text, requirement id that the audit entry must then list)
DERIVED = [
    (r"float32|dtype", "dtype"),
    (r"not modif|in place|modifies the caller", "in_place"),
    (r"ValueError|\braises?\b", "raises"),
    (r"\brng\b|seed", "rng"),
    (r"extreme|±1000|overflow|1e4|1e30", "extremes"),
    (r"accumulat", "accumulates"),
]


def notebook_path(assignment: str) -> Path:
    return SOLUTIONS / assignment / f"{assignment}.ipynb"


def _source(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def cells(assignment: str) -> list[dict]:
    return json.loads(notebook_path(assignment).read_text(encoding="utf-8"))["cells"]


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def answer_cells(assignment: str) -> dict[str, str]:
    """{grade_id: the text that states its requirements} for every code answer cell.

    The text is the docstrings and comments of the cell as a learner sees it (solution
    blocks removed) and the Markdown cells right before it.
    """
    out, markdown = {}, []
    for cell in cells(assignment):
        if cell["cell_type"] == "markdown":
            markdown.append(_source(cell))
            continue
        meta = _meta(cell)
        if cell["cell_type"] == "code" and meta.get("solution"):
            code = _SOLUTION.sub("", _source(cell))
            docs = re.findall(r'"""(.*?)"""', code, re.S) + re.findall(r"#([^\n]*)", code)
            out[meta["grade_id"]] = "\n".join(markdown + docs)
        markdown = []
    return out


def visible_tests(assignment: str) -> dict[str, str]:
    """{test grade_id: the visible part of its source} for every test cell."""
    return {_meta(c)["grade_id"]: _source(c).split(HIDDEN_BEGIN, 1)[0]
            for c in cells(assignment) if c["cell_type"] == "code" and _meta(c).get("grade")}


def derived_ids(text: str) -> set[str]:
    return {rid for pattern, rid in DERIVED if re.search(pattern, text, re.I)}


def load(assignment: str) -> dict:
    return json.loads((AUDIT_DIR / f"{assignment}.json").read_text(encoding="utf-8"))


def problems(assignment: str) -> list[str]:
    """Everything wrong with the audit of one notebook (empty when it is complete)."""
    path = AUDIT_DIR / f"{assignment}.json"
    if not path.exists():
        return [f"{path.relative_to(REPO)} is missing"]
    audit, answers, tests = load(assignment), answer_cells(assignment), visible_tests(assignment)
    found = []
    for gid in answers:
        if gid not in audit:
            found.append(f"answer cell {gid!r} has no audit entry")
    for gid, entry in audit.items():
        if gid not in answers:
            found.append(f"audit entry {gid!r} is not an answer cell of the notebook")
            continue
        listed = entry.get("tests", [])
        if not listed or any(t not in tests for t in listed):
            found.append(f"{gid}: tests {listed} must be test cells of the notebook ({sorted(tests)})")
            continue
        visible = "\n".join(tests[t] for t in listed)
        ids = [r.get("id") for r in entry.get("requirements", [])]
        if len(ids) != len(set(ids)):
            found.append(f"{gid}: requirement ids repeat: {ids}")
        for req in entry.get("requirements", []):
            if not req.get("stated") or not req.get("hidden") or not req.get("visible"):
                found.append(f"{gid}/{req.get('id')}: 'stated', 'visible' and 'hidden' are required")
            for needle in req.get("visible", []):
                if needle not in visible:
                    found.append(f"{gid}/{req.get('id')}: {needle!r} is not in the visible part of {listed}")
        for rid in sorted(derived_ids(answers[gid]) - set(ids)):
            pattern = dict((i, p) for p, i in DERIVED)[rid]
            found.append(f"{gid}: the text states a {rid!r} requirement (matches {pattern!r}) "
                         f"but the audit lists none")
    return found


def table() -> str:
    """docs/audit.md: one table per notebook that has an audit file."""
    lines = ["# Audit: what each exercise requires, and where it is checked", "",
             "Generated by `python -m tests.audit_table` from `tests/audit/*.json` (do not edit by hand;",
             "`tests/test_audit.py` fails when it is out of date). For every answer cell: each requirement",
             "the notebook states, the check of the **visible** test cell (a phrase of its source), and",
             "what the hidden tests add (other values, shapes, seeds and steps, never a new requirement).", ""]
    for assignment in ASSIGNMENTS:
        if not (AUDIT_DIR / f"{assignment}.json").exists():
            continue
        lines += [f"## {assignment}", "", "| answer cell | requirement | stated | visible check | hidden tests add |",
                  "|---|---|---|---|---|"]
        for gid, entry in load(assignment).items():
            for k, req in enumerate(entry["requirements"]):
                cell = f"`{gid}` ({', '.join(entry['tests'])})" if k == 0 else ""
                visible = "; ".join(f"`{v}`".replace("|", "\\|") for v in req["visible"])
                row = [cell, req["id"], req["stated"], visible, req["hidden"]]
                lines.append("| " + " | ".join(str(c).replace("\n", " ").replace("|", "\\|")
                                               if i != 3 else c for i, c in enumerate(row)) + " |")
        lines.append("")
    return "\n".join(lines)
