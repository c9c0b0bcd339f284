"""One gradebook: what ``make grade`` computed, recorded in the course's nbgrader gradebook.

    python -m autograder.reporting.gradebook [--db-url URL] [--refresh]   # put the assignments in it

``autograder.grade`` grades each notebook in a throw-away course, then calls :func:`record`
once: every (student, assignment) row of ``grades.csv`` becomes an nbgrader submission
whose grade of each test cell is the points ``grades.csv`` shows (0 for a flagged
``tampering`` / ``killed_timeout`` / ``corrupt_notebook`` row, as there). The notebook is
``flagged`` when the row has flags, and the comment of its first answer cell carries the
flags, the notes and the failure message of each failed test. So Formgrader, manual
grading and ``nbgrader export`` show what ``grades.csv`` shows. Regrading replaces a
student's submission (removed, then added again): never two rows, and a manual score
given in Formgrader before the regrade is dropped with it.

Which gradebook: ``$NBGRADER_DB_URL`` if set (any SQLAlchemy URL, e.g.
``postgresql+psycopg2://user@/gradebook?host=/run/postgresql``), else the course's
(``CourseDirectory.db_url`` of ``autograder/nbgrader_config.py``: sqlite in
``autograder/work/``) when the course's own ``solutions/`` were graded; grading another
``--source`` without ``NBGRADER_DB_URL`` records nothing.

Students get the identities read from LMS submission names (see :func:`identity`):
``lms_user_id`` (the Canvas user id, or the Moodle participant id) and, from Moodle's
"First Last_<id>_assignsubmission_file_" folders, first and last name. Values already in
the gradebook (an e-mail the instructor imported) are never cleared.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path, PurePath

from autograder.release import ROOT, discover_assignments, ensure_venv_on_path, generate
from autograder.intake import submissions

SOURCE = ROOT / "solutions"


def course_config():
    """``CourseDirectory`` section of the course's nbgrader config (honours $NBGRADER_DB_URL...)."""
    from traitlets.config.loader import PyFileConfigLoader
    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT / "autograder")).load_config().CourseDirectory


def course_db_url() -> str:
    """``CourseDirectory.db_url`` of the course's nbgrader config."""
    return course_config().db_url


def open_gradebook(url: str):
    """nbgrader's Gradebook at ``url``, for the course's ``course_id`` (as nbgrader's apps open it)."""
    from nbgrader.api import Gradebook
    return Gradebook(url, course_config().course_id)


def target_url(source: Path) -> str | None:
    """The gradebook :func:`record` writes to, or None (see the module docstring)."""
    if os.environ.get("NBGRADER_DB_URL"):
        return os.environ["NBGRADER_DB_URL"]
    if Path(source).resolve() == SOURCE.resolve():
        return course_db_url()
    return None


def shown(url: str) -> str:
    """``url`` without its password (for messages)."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)


def copy_structure(gb, template_url: str) -> list[str]:
    """Create or update in ``gb`` every assignment of the gradebook at ``template_url``:
    its notebooks and their grade (points), solution, task and source cells. Returns the names."""
    from nbgrader.api import Gradebook
    names = []
    with Gradebook(template_url) as src:
        for a in src.assignments:
            names.append(a.name)
            gb.update_or_create_assignment(a.name)
            for nb in a.notebooks:
                gb.update_or_create_notebook(nb.name, a.name)
                for c in nb.grade_cells:
                    gb.update_or_create_grade_cell(c.name, nb.name, a.name, max_score=c.max_score,
                                                   cell_type=c.cell_type)
                for c in nb.solution_cells:
                    gb.update_or_create_solution_cell(c.name, nb.name, a.name)
                for c in nb.task_cells:
                    gb.update_or_create_task_cell(c.name, nb.name, a.name, max_score=c.max_score,
                                                  cell_type=c.cell_type)
                for c in nb.source_cells:
                    gb.update_or_create_source_cell(c.name, nb.name, a.name, cell_type=c.cell_type,
                                                    locked=c.locked, source=c.source, checksum=c.checksum)
    return names


def init_course(source: Path = SOURCE, db_url: str | None = None, refresh: bool = False,
                assignments: list[str] | None = None) -> list[str]:
    """Put each assignment of ``source`` (or those named) missing from the gradebook (all with
    ``refresh``) into it, from a throw-away ``generate_assignment`` (``course/`` is not touched)."""
    from nbgrader.api import MissingEntry
    ensure_venv_on_path()
    url = db_url or course_db_url()
    added = []
    with open_gradebook(url) as gb:
        for a in assignments or discover_assignments(source):
            try:
                if gb.find_assignment(a).notebooks and not refresh:
                    continue
            except MissingEntry:
                pass
            added.append(a)
        if added:
            print(f"gradebook {shown(url)}: adding {len(added)} assignment(s) from {source} ...", flush=True)
            with tempfile.TemporaryDirectory(prefix="gradebook-") as tmp:
                for a in added:  # one throw-away course for all: its gradebook is made once
                    generate(source, a, Path(tmp))
                copy_structure(gb, f"sqlite:///{Path(tmp) / 'gradebook.db'}")
    return added


def identity(rel: str) -> dict:
    """What an LMS submission's path says about its author: ``lms_user_id`` and names.

    ``doejane_12345_67890_nb.ipynb`` (Canvas) gives ``{"lms_user_id": "12345"}``;
    ``Jane Doe_123456_assignsubmission_file_/nb.ipynb`` (Moodle) gives
    ``{"lms_user_id": "123456", "first_name": "Jane", "last_name": "Doe"}``.
    """
    # the LMS name patterns are submissions.py's (the grader's reading of zips)
    moodle, canvas = getattr(submissions, "MOODLE", None), getattr(submissions, "CANVAS", None)
    if moodle is None or canvas is None:
        return {}
    parts = PurePath(rel).parts
    for part in parts[:-1]:
        m = moodle.match(part)
        if m:
            first, _, last = m["name"].strip().partition(" ")
            return {"lms_user_id": m["uid"], "first_name": first, "last_name": last or None}
    m = canvas.match(PurePath(rel).stem)
    if m and len(parts) <= 2:
        return {"lms_user_id": m["uid"]}
    return {}


def report(rows) -> str:
    """The comment written for a submission: score, flags, notes, failed tests."""
    lines = [f"make grade: {sum(r.score for r in rows):g} / {sum(r.max_score for r in rows):g}"]
    flags = sorted(set().union(*(r.flags for r in rows)))
    if flags:
        lines.append("flags: " + ", ".join(flags))
    lines += [f"note: {n}" for n in dict.fromkeys(n for r in rows for n in r.notes)]
    lines += [f"{gid}: {c['message']}" for r in rows for gid, c in r.cells.items()
              if not c["passed"] and c.get("message")]
    return "\n".join(lines)


def record(results, templates: dict, opts) -> str | None:
    """Record ``results`` (autograder.verdict.result.Result) in the course's gradebook; the URL used or None.

    Never raises: grades.csv is already written, so a gradebook problem is one line on stderr.
    """
    url = target_url(opts.source)
    if url is None:
        return None
    try:
        n = _record(url, results, templates)
    except Exception as exc:  # the batch is graded; say why the gradebook is not updated
        print(f"gradebook {shown(url)} NOT updated: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
    print(f"gradebook: {n} submission(s) recorded in {shown(url)}")
    return url


def _record(url: str, results, templates: dict) -> int:
    from nbgrader.api import MissingEntry
    rows: dict[tuple[str, str], list] = {}
    for r in results:
        rows.setdefault((r.student, r.assignment), []).append(r)
    with open_gradebook(url) as gb:
        for tpl in templates.values():
            copy_structure(gb, f"sqlite:///{tpl.root / 'gradebook.db'}")
        for (student, assignment), rs in sorted(rows.items()):
            who = {}
            for r in rs:
                who.update({k: v for k, v in identity(r.rel).items() if v})
            try:
                known = gb.find_student(student)
                who = {k: v for k, v in who.items() if getattr(known, k) != v}
                if who:
                    gb.update_or_create_student(student, **who)
            except MissingEntry:
                gb.add_student(student, **who)
            try:
                gb.remove_submission(assignment, student)
            except MissingEntry:
                pass
            sub = gb.add_submission(assignment, student)
            by_nb = {r.notebook: r for r in rs}
            for nb in sub.notebooks:
                r = by_nb.get(nb.name)
                for g in nb.grades:
                    c = r.cells.get(g.name) if r else None
                    g.auto_score = float(c["points"]) if c else 0.0
                    g.manual_score = None
                    g.needs_manual_grade = False
                nb.flagged = bool(r is None or r.flags)
                answers = templates[assignment].notebooks.get(nb.name, {}).get("answers", [])
                comments = {c.name: c for c in nb.comments}
                first = next((comments[a] for a in answers if a in comments), None) or \
                    next(iter(sorted(nb.comments, key=lambda c: c.name)), None)
                if first is not None:
                    first.auto_comment = report([r]) if r else f"no {nb.name}.ipynb submitted"
            gb.db.commit()
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.reporting.gradebook", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db-url", help="gradebook URL (default: the course's)")
    p.add_argument("--source", type=Path, default=SOURCE, help="nbgrader source folder")
    p.add_argument("--refresh", action="store_true", help="update assignments already in the gradebook")
    args = p.parse_args(argv)
    url = args.db_url or course_db_url()
    added = init_course(args.source, url, args.refresh)
    print(f"{shown(url)}: {len(added)} assignment(s) added or updated" + (f": {', '.join(added)}" if added else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
