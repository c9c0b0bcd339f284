"""Read the notebook nbgrader executed: per test cell verdicts, errors and flags into a Result."""
from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.execution.runner import NB_STUDENT
from autograder.reporting import redact
from autograder.verdict import tamper

HUGE_OUTPUT = 200_000       # characters of output in one notebook that count as huge


def outputs_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(str(out.get("data", {}).get("text/plain", "")))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
    return "".join(parts)


def _failure(cell, owners: dict) -> str | None:
    """Feedback for a test cell: the check's message or a short error (see autograder.reporting.redact)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return redact.test_message(out, owners)
    err = "".join(o.get("text", "") for o in cell.get("outputs", [])
                  if o.get("output_type") == "stream" and o.get("name") == "stderr")
    if err.strip():
        return redact.stderr_message(err)
    return None


def read_graded(result, graded: Path, task_root: Path, tpl, found, nonce, info, opts) -> None:
    from nbgrader.api import Gradebook
    nb = nbformat.read(graded, as_version=4)
    total_output = 0
    verdict = None
    owners = {}
    for i, cell in enumerate(nb.cells):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and cell.get("execution_count"):
            kind = "test" if gid in info["tests"] else ("locked" if gid in info["locked"] else "learner")
            owners[cell.execution_count] = (gid or f"#{i + 1}", kind)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        text = outputs_text(cell)
        if cell.metadata.get("autograder") == "tamper-check":
            verdict = tamper.parse_verdict(text, nonce)
            continue
        total_output += len(text)
        if "... Output truncated ..." in text:   # nbgrader's LimitOutput kept only 1000 lines
            total_output += HUGE_OUTPUT
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        for out in cell.outputs:
            if out.get("output_type") != "error":
                continue
            ename = out.get("ename", "")
            where = f"cell {gid or '#' + str(i + 1)}"
            if ename in ("CellTimeoutError",) or (ename == "KeyboardInterrupt"):
                result.flags.add("cell_timeout")
                result.notes.append(f"{where} was interrupted after {opts.cell_timeout} s")
            if ename == "MemoryError":
                result.flags.add("memory_limit")
                result.notes.append(f"{where} ran out of memory (limit {opts.memory_mb} MiB)")
            if ename == "SystemExit":
                result.flags.add("sys_exit")
                result.notes.append(f"{where} called sys.exit()")
            if gid not in info["tests"]:
                result.errors.append({"cell": i + 1, "grade_id": gid,
                                      "kind": "answer" if gid in info["answers"] else ("locked" if gid else "other"),
                                      "ename": ename, "evalue": redact.error_summary(out, owners)})
        if gid in info["tests"]:
            result.cells[gid]["message"] = _failure(cell, owners)
            if result.cells[gid]["message"] is None:
                missing = tamper.missing_prints(info["tests"][gid]["full"], text)
                if missing:
                    result.flags.add("tampering")
                    result.notes.append(f"test cell {gid} passed without printing {missing[0]!r}: "
                                        "it did not run as written")
    if total_output > HUGE_OUTPUT:
        result.flags.add("huge_output")
        result.notes.append(f"the notebook printed {total_output} characters; feedback truncated")
    if verdict is None:
        result.flags.add("tamper_check_missing")
        result.notes.append("the final integrity check printed nothing (review by hand)")
    else:
        zero, review = tamper.judge_verdict(verdict, info["used"])
        if zero:
            result.flags.add("tampering")
            result.notes += zero
        if review:
            result.flags.add("tampering_suspected")
            result.notes += ["review: " + n for n in review]
        if verdict.get("geterr", {}).get("over") == "ignore" or verdict.get("geterr", {}).get("invalid") == "ignore":
            result.flags.add("warnings_silenced")
            result.notes.append("np.seterr was changed globally: numpy warnings tests look for are hidden")
    with Gradebook(f"sqlite:///{task_root / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(found.notebook, tpl.assignment, NB_STUDENT)
        for grade in sub.grades:
            if grade.name not in result.cells:
                continue
            c = result.cells[grade.name]
            c["points"] = float(grade.score or 0.0)
            c["max"] = float(grade.max_score)
            c["passed"] = c["points"] >= c["max"] and c["message"] is None
            if grade.needs_manual_grade:
                result.flags.add("needs_manual_grading")
            if c["message"] is None:
                c["message"] = "" if c["passed"] else "partial credit"
