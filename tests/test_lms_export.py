"""Fast checks of the pieces behind the gradebook: LMS identities, import layouts, hidden tests."""
import csv
import io

from autograder.reporting.lms import Table, canvas, moodle, moodle_worksheets, to_csv
from autograder.reporting.gradebook import identity, shown
from autograder.reporting.nbfeedback import HideTests, without_hidden


def table():
    return Table(assignments=[("00_a", 5.0), ("01_b", 4.0)],
                 students=[{"id": "Jane_Doe", "first_name": "Jane", "last_name": "Doe", "email": "jd@x.org",
                            "lms_user_id": "765432"},
                           {"id": "bob", "first_name": "", "last_name": "", "email": "", "lms_user_id": ""}],
                 scores={("Jane_Doe", "00_a"): 3.5, ("bob", "00_a"): 0.0, ("bob", "01_b"): 4.0})


def test_identities_read_from_lms_submission_names():
    assert identity("doejane_12345_67890_00_a.ipynb") == {"lms_user_id": "12345"}
    assert identity("doejane_LATE_12345_67890_00_a-1.ipynb") == {"lms_user_id": "12345"}
    assert identity("Jane van Doe_765432_assignsubmission_file_/00_a.ipynb") == {
        "lms_user_id": "765432", "first_name": "Jane", "last_name": "van Doe"}
    assert identity("alice/00_a/00_a.ipynb") == {}
    assert shown("postgresql+psycopg2://u:secret@host/db") == "postgresql+psycopg2://u:***@host/db"


def test_canvas_layout():
    rows = list(csv.reader(io.StringIO(to_csv(canvas(table())))))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "00_a", "01_b"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "5", "4"]
    assert rows[2] == ["Doe, Jane", "765432", "", "", "", "3.5", ""]     # no submission: blank, not 0
    assert rows[3] == ["bob", "", "", "", "", "0", "4"]


def test_moodle_layouts():
    rows = moodle(table())
    assert rows[0] == ["First name", "Last name", "Email address", "00_a", "01_b"]
    assert rows[1] == ["Jane", "Doe", "jd@x.org", "3.5", ""]
    sheets = moodle_worksheets(table(), now=0)
    assert sheets["00_a"][0][:5] == ["Identifier", "Full name", "Email address", "Status", "Grade"]
    assert "Last modified (grade)" in sheets["00_a"][0]
    assert [r[0] for r in sheets["00_a"][1:]] == ["Participant 765432"]   # bob has no participant number
    assert sheets["00_a"][1][4:6] == ["3.5", "5"] and sheets["01_b"][1:] == []


def test_hidden_blocks_and_tracebacks_leave_test_cells():
    src = "check(f(1))\n    ### BEGIN HIDDEN TESTS\n    check(f(2), 42)\n    ### END HIDDEN TESTS\nprint('ok')"
    assert without_hidden(src) == "check(f(1))\n    # (hidden tests are not shown)\nprint('ok')"
    cell = {"cell_type": "code", "source": src, "metadata": {"nbgrader": {"grade": True, "solution": False}},
            "outputs": [{"output_type": "error", "ename": "AssertionError", "evalue": "case 2",
                         "traceback": ["----> 3 check(f(2), 42)"]},
                        {"output_type": "stream", "name": "stderr", "text": "w.py:1: RuntimeWarning: x\n  f(2, 42)\n"}]}
    from nbformat import from_dict
    out, _ = HideTests().preprocess_cell(from_dict(cell), {}, 0)
    assert "42" not in out.source and out.outputs[0]["traceback"] == ["AssertionError: case 2"]
    assert out.outputs[1]["text"] == "w.py:1: RuntimeWarning: x\n"
    answer = from_dict({**cell, "metadata": {"nbgrader": {"grade": False, "solution": True}}})
    assert HideTests().preprocess_cell(answer, {}, 0)[0].source == src   # answer cells untouched
