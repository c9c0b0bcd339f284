"""What grading one notebook gives: per test cell verdicts, the score, flags and notes."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Result:
    student: str
    assignment: str
    notebook: str
    score: float = 0.0
    max_score: float = 0.0
    cells: dict = field(default_factory=dict)     # test grade_id -> {points, max, passed, message}
    errors: list = field(default_factory=list)    # non-test cells that raised: {cell, grade_id, kind, ename, evalue}
    flags: set = field(default_factory=set)
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    rel: str = ""


def missing_row(student: str, assignment: str, stem: str, info: dict, problems: list) -> Result:
    """The row of a student who submitted something, but not this notebook."""
    r = Result(student, assignment, stem, max_score=sum(t["points"] for t in info["tests"].values()),
               flags={"missing_notebook"}, notes=[f"no {stem}.ipynb submitted"])
    r.cells = {g: {"points": 0.0, "max": t["points"], "passed": False, "message": "not submitted"}
               for g, t in info["tests"].items()}
    for which, flag, note in problems:     # e.g. a symlink or a damaged zip member in its place
        if which in (None, stem):
            r.flags.add(flag)
            r.notes.append(note)
    return r
