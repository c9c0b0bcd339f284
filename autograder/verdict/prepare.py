"""The copy of a submission that is graded: repaired, checked for tampering, reduced."""
from __future__ import annotations

import re

import nbformat

from autograder.intake import repair
from autograder.verdict import reduce as reducer
from autograder.verdict import tamper
from autograder.verdict.result import Result
from autograder.verdict.template import Template
from autograder.intake.submissions import Found

KILLERS = ("_exit", "kill", "abort", "killpg")


def prepare_copy(found: Found, tpl: Template, nonce: str, expected: dict, result: Result,
                 neutralize: bool = False, reduce: bool = True) -> nbformat.NotebookNode | None:
    """Read the submission, record flags, return the notebook to grade (a copy), or None.

    The copy is repaired (autograder.intake.repair: duplicated, renamed or pasted nbgrader cells)
    and, if ``reduce``, stripped of the released cells no test needs (autograder.verdict.reduce).
    """
    info = tpl.notebooks[found.notebook]
    try:
        nb, read_notes = repair.read(found.path)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
        fixes = read_notes + repair.repair(nb, info["released"])
    except Exception as exc:
        result.flags.add("corrupt_notebook")
        result.notes.append(f"cannot read the notebook: {type(exc).__name__}")
        return None
    if fixes:
        result.flags.add("cells_repaired")
        result.notes += [n for n in fixes if n not in result.notes]
    locked_sources = {s.strip() for s in info["locked"].values()}
    present = {}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid:
            present[gid] = cell
    for gid, test in info["tests"].items():
        if gid not in present:
            result.flags.add("test_cell_restored")
            result.notes.append(f"test cell {gid} was deleted; restored and graded")
        elif present[gid].get("source", "").strip() not in (test["source"].strip(), test["full"].strip()):
            result.flags.add("test_cell_edited")
            result.notes.append(f"test cell {gid} was edited; restored from the source")
    for gid, src in info["locked"].items():
        if gid not in info["tests"] and gid in present and present[gid].get("source", "").strip() != src.strip():
            result.notes.append(f"locked cell {gid} was edited; restored from the source")
    problems, suspect = [], []
    for i, cell in enumerate(nb.cells):
        md = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or md.get("grade_id") in info["locked"] \
                or cell.get("source", "").strip() in locked_sources:   # e.g. a pasted copy of the setup cell
            continue
        name = md.get("grade_id") or f"#{i + 1}"
        zero, review = tamper.scan(cell.get("source", ""), info["protected"], info["used"], name)
        problems += zero
        suspect += review
        if neutralize and kills_kernel(cell.get("source", "")):
            cell["source"] = ('raise RuntimeError("The grader removed this cell\'s code: '
                              'it stopped the Python kernel (os._exit, os.kill...).")')
            result.notes.append(f"cell {name} stopped the kernel; graded again without it")
    if problems:
        result.flags.add("tampering")
        result.notes += problems
    if suspect:
        result.flags.add("tampering_suspected")
        result.notes += ["review: " + n for n in suspect]
    if reduce:
        reducer.reduce(nb, info["released"])
    for cell in nb.cells:  # nbgrader clears outputs anyway; keep the copy small
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    check = nbformat.v4.new_code_cell(tamper.check_cell_source(
        nonce, expected, info["protected"], {g: t["full"] for g, t in info["tests"].items()}))
    check.metadata["autograder"] = "tamper-check"
    nb.cells.append(check)
    return nb


def kills_kernel(src: str) -> bool:
    return any(re.search(rf"\b(os|posix|signal)\s*\.\s*{k}\b", src) for k in KILLERS) or "os._exit" in src
