"""LMS import tables (Canvas, Moodle, Moodle worksheets) from the course's nbgrader gradebook.

The formats are described in ``autograder/export.py`` (the command).
"""
from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass

CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_FIXED = ["First name", "Last name", "Email address"]
WORKSHEET = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
             "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
             "Feedback comments"]


@dataclass
class Table:
    assignments: list[tuple[str, float]]      # (name, max score), sorted by name
    students: list[dict]                      # id, first_name, last_name, email, lms_user_id
    scores: dict                              # (student id, assignment) -> score


def read_gradebook(url: str, only: list[str] | None = None) -> Table:
    """Assignments, students and total scores from the nbgrader gradebook at ``url``."""
    from nbgrader.api import Gradebook
    with Gradebook(url) as gb:
        assignments = sorted((a.name, float(a.max_score)) for a in gb.assignments if not only or a.name in only)
        names = {a for a, _ in assignments}
        students = [{"id": s.id, "first_name": s.first_name or "", "last_name": s.last_name or "",
                     "email": s.email or "", "lms_user_id": s.lms_user_id or ""}
                    for s in sorted(gb.students, key=lambda s: s.id)]
        scores = {(sub.student.id, sub.assignment.name): float(sub.score)
                  for s in gb.students for sub in s.submissions if sub.assignment.name in names}
    return Table(assignments, students, scores)


def _num(x: float) -> str:
    return f"{x:g}"


def _full_name(s: dict, last_first: bool = False) -> str:
    if s["first_name"] or s["last_name"]:
        return (f"{s['last_name']}, {s['first_name']}" if last_first and s["last_name"]
                else f"{s['first_name']} {s['last_name']}".strip())
    return s["id"]


def canvas(t: Table) -> list[list[str]]:
    rows = [CANVAS_FIXED + [a for a, _ in t.assignments],
            ["    Points Possible", "", "", "", ""] + [_num(m) for _, m in t.assignments]]
    for s in t.students:
        rows.append([_full_name(s, last_first=True), s["lms_user_id"], "", "", ""] +
                    [_num(t.scores[s["id"], a]) if (s["id"], a) in t.scores else "" for a, _ in t.assignments])
    return rows


def moodle(t: Table) -> list[list[str]]:
    rows = [MOODLE_FIXED + [a for a, _ in t.assignments]]
    for s in t.students:
        rows.append([s["first_name"] or s["id"], s["last_name"], s["email"]] +
                    [_num(t.scores[s["id"], a]) if (s["id"], a) in t.scores else "" for a, _ in t.assignments])
    return rows


def moodle_worksheets(t: Table, now: float | None = None) -> dict[str, list[list[str]]]:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
    out = {}
    for a, max_score in t.assignments:
        rows = [list(WORKSHEET)]
        for s in t.students:
            if (s["id"], a) not in t.scores or not s["lms_user_id"]:
                continue
            rows.append([f"Participant {s['lms_user_id']}", _full_name(s), s["email"], "Submitted for grading",
                         _num(t.scores[s["id"], a]), _num(max_score), "Yes", "", stamp, ""])
        out[a] = rows
    return out


def missing_ids(t: Table, key: str) -> list[str]:
    return [s["id"] for s in t.students if not s[key]]


def to_csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()
