"""nbgrader's feedback (``nbgrader generate_feedback``) without the hidden tests.

nbgrader renders the autograded notebook, in which the hidden tests were put back, as
the student's feedback: the hidden test blocks show in the test cells, and an error's
traceback quotes the failing lines. :class:`HideTests` runs before the HTML export
(``GenerateFeedback.preprocessors``, set in :mod:`autograder.instructor`) and, in every
test cell (``nbgrader.grade`` and not ``solution``):

- drops each ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block and puts one
  comment line in its place;
- replaces each traceback by its last line, ``ExceptionType: message`` (the message of a
  ``deeplib.checks`` assertion names the case, expected and got, never the test's code);
- keeps only the first line of what the cell wrote to stderr (a warning's first line
  names it; the next line would quote the source).
"""
from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
PLACEHOLDER = "# (hidden tests are not shown)"


def without_hidden(source: str) -> str:
    """``source`` with every hidden block (markers included) replaced by one comment line."""
    out, hidden = [], False
    for line in source.splitlines():
        if BEGIN in line:
            hidden = True
            out.append(line[: len(line) - len(line.lstrip())] + PLACEHOLDER)
        elif END in line:
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


class HideTests(NbGraderPreprocessor):
    """Remove hidden tests, tracebacks and warning sources from test cells (see the module).

    (An nbgrader preprocessor: enabled by default, which nbconvert's are not.)
    """

    def preprocess_cell(self, cell, resources, index):
        md = cell.get("metadata", {}).get("nbgrader", {})
        if not md.get("grade") or md.get("solution"):
            return cell, resources
        cell.source = without_hidden(cell.source)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                first = out.get("text", "").strip().splitlines()[:1]
                out["text"] = (first[0] + "\n") if first else ""
        return cell, resources
