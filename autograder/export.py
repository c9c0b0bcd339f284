"""Grades for an LMS to import, from the course's nbgrader gradebook.

    python -m autograder.export --format canvas  [--out FILE]     # Canvas gradebook CSV
    python -m autograder.export --format moodle  [--out FILE]     # Moodle gradebook import CSV
    python -m autograder.export --format moodle-worksheet --out DIR   # one Moodle grading worksheet per assignment
    options: --db-url URL (default: the course's gradebook, $NBGRADER_DB_URL), --assignment NAME (repeatable)

One row per student of the gradebook, one column per assignment (its total score, as in
``grades.csv`` and ``nbgrader export``; blank where the student has no submission). The
identities come from the gradebook's Student records, which ``make grade`` fills from the
LMS's submission names (autograder/reporting/gradebook.py), and which an instructor can complete
(``nbgrader db student import students.csv`` with id, first_name, last_name, email, lms_user_id).

- **canvas**: Canvas's gradebook layout: ``Student, ID, SIS User ID, SIS Login ID, Section``,
  then one column per assignment, and a second row ``Points Possible``. Canvas matches rows
  on ``ID``, the Canvas user id that its submission download puts in each file name
  (``doejane_12345_67890_nb.ipynb``); students without one are listed on stderr. A column
  whose title matches no Canvas assignment creates one on import; to fill an existing one,
  title the column as Canvas's own export does (``Name (assignment id)``).
- **moodle**: Moodle's "Import grades from CSV" (gradebook): ``First name, Last name,
  Email address``, then one column per grade item. Map ``Email address`` to the user's
  e-mail on import, and each assignment column to its grade item. Moodle's submission
  download gives names and participant numbers, not e-mails: import them first.
- **moodle-worksheet**: per assignment, the Moodle assignment's offline grading worksheet
  (``Identifier, Full name, Email address, Status, Grade, Maximum Grade, Grade can be
  changed, Last modified (submission), Last modified (grade), Feedback comments``), where
  ``Identifier`` is ``Participant <n>`` with the participant number of the submission
  folder ``Full Name_<n>_assignsubmission_file_``: upload it with "Upload grading worksheet".
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.reporting.lms import canvas, missing_ids, moodle, moodle_worksheets, read_gradebook, to_csv


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.export", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--format", required=True, choices=["canvas", "moodle", "moodle-worksheet"])
    p.add_argument("--db-url", help="gradebook URL (default: the course's, or $NBGRADER_DB_URL)")
    p.add_argument("--assignment", action="append", default=[], help="only these assignments (repeatable)")
    p.add_argument("--out", type=Path, help="file to write (default: standard output); "
                                            "a folder for moodle-worksheet")
    args = p.parse_args(argv)
    if args.db_url:
        url = args.db_url
    else:
        from autograder.reporting.gradebook import course_db_url
        url = course_db_url()
    t = read_gradebook(url, args.assignment or None)
    if args.format == "moodle-worksheet":
        if args.out is None:
            p.error("--out DIR is needed for moodle-worksheet (one file per assignment)")
        args.out.mkdir(parents=True, exist_ok=True)
        for a, rows in moodle_worksheets(t).items():
            (args.out / f"{a}.csv").write_text(to_csv(rows), encoding="utf-8")
            print(f"{args.out / (a + '.csv')}: {len(rows) - 1} grade(s)", file=sys.stderr)
        lacking, what = missing_ids(t, "lms_user_id"), "no Moodle participant number"
    else:
        text = to_csv(canvas(t) if args.format == "canvas" else moodle(t))
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        lacking, what = ((missing_ids(t, "lms_user_id"), "no Canvas user ID") if args.format == "canvas"
                         else (missing_ids(t, "email"), "no e-mail address"))
    if lacking:
        print(f"{len(lacking)} student(s) with {what} (the LMS cannot match them): {', '.join(lacking)}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
