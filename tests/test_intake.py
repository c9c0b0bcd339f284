"""Unit tests (no grading run) of repair, reduce, unzip and the safe walk of submissions."""
import copy
import os
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from autograder.verdict import reduce as reducer
from autograder.intake.names import Identities, shown, student_name
from autograder.intake.repair import repair
from autograder.intake.submissions import walk
from autograder.intake.unzip import extract

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course" / "00_getting_started" / "00_getting_started.ipynb"


@pytest.fixture
def released():
    return nbformat.read(COURSE, as_version=4)


def gid(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def index(nb, g):
    return next(i for i, c in enumerate(nb.cells) if gid(c) == g)


def test_duplicated_cells_keep_one_grade_id(released):
    nb = copy.deepcopy(released)
    for g in ("setup", "numerical_gradient", "test_numerical_gradient", "intro"):
        i = index(nb, g)
        dup = copy.deepcopy(nb.cells[i])
        dup["id"] = "copy-" + g.replace("_", "-")
        nb.cells.insert(i, dup)                 # the copy pasted above the original
    notes = repair(nb, released)
    MetadataValidator().validate_nb(nb)
    ids = [gid(c) for c in nb.cells if gid(c)]
    assert len(ids) == len(set(ids)) == len([c for c in released.cells if gid(c)])
    for g in ("setup", "numerical_gradient", "test_numerical_gradient", "intro"):
        assert nb.cells[index(nb, g)]["id"] != "copy-" + g.replace("_", "-"), "the release's cell keeps the id"
        assert any(f"second copy of {g!r}" in n for n in notes)


def test_renamed_missing_and_pasted_grade_ids(released):
    nb = copy.deepcopy(released)
    nb.cells[index(nb, "relative_error")].metadata["nbgrader"]["grade_id"] = "my answer!"   # invalid too
    del nb.cells[index(nb, "test_relative_error")].metadata["nbgrader"]["grade_id"]
    cell = nb.cells[index(nb, "fixed_dense")]
    cell.metadata["nbgrader"]["grade_id"], cell["id"] = "fixed", "new-id"
    cell.source = "class FixedDense(BuggyDense):\n    pass  # the learner's answer"
    pasted = nbformat.v4.new_code_cell("assert False")
    pasted.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 2,
                                   "schema_version": 3, "grade_id": "test_from_notebook_03"}
    nb.cells.insert(3, pasted)
    notes = " | ".join(repair(nb, released))
    MetadataValidator().validate_nb(nb)
    assert {gid(c) for c in nb.cells} - {None} == {gid(c) for c in released.cells} - {None}
    assert "matched to 'relative_error' by id" in notes and "matched to 'test_relative_error' by id" in notes
    assert "matched to 'fixed_dense' by position" in notes and "another notebook" in notes
    assert "nbgrader" not in nb.cells[3].metadata


def test_untouched_notebook_needs_no_repair(released):
    nb = copy.deepcopy(released)
    assert repair(nb, released) == [] and nb == released


def test_reduce_drops_unchanged_experiments_only(released):
    nb = copy.deepcopy(released)
    dropped = reducer.reduce(nb, released)
    kept = {c["id"] for c in nb.cells}
    assert dropped and all(gid(c) in {gid(k) for k in nb.cells} for c in released.cells if gid(c))
    assert not any(c.cell_type == "markdown" and "nbgrader" not in c.metadata for c in nb.cells)
    tour = [c for c in released.cells if c.cell_type == "code" and "nbgrader" not in c.metadata]
    assert tour and not any(c["id"] in kept for c in tour)


def test_reduce_keeps_what_a_learner_uses_or_changed(released):
    nb = copy.deepcopy(released)
    tour = [c for c in nb.cells if c.cell_type == "code" and "nbgrader" not in c.metadata]
    uses = nb.cells[index(nb, "relative_error")]
    uses.source = "print(X_train.shape)\n" + uses.source          # an answer reading a tour variable
    tour[-1].source += "\n# my comment"                             # a changed experiment
    reducer.reduce(nb, released)
    kept = {c["id"] for c in nb.cells}
    makes_x_train = next(c for c in tour if "X_train" in (reducer.binds(c.source) or set()))
    assert makes_x_train["id"] in kept and tour[-1]["id"] in kept


@pytest.mark.parametrize("source, binds", [
    ("x = 1", {"x"}), ("import numpy as np", {"np"}), ("results.append(3)", {"results"}),
    ("plt.rcParams['a'] = 1", {"plt"}), ("np.seterr(all='ignore')", {"np"}), ("def f():\n    y = 2", {"f", "y"}),
])
def test_binds(source, binds):
    assert binds <= reducer.binds(source)


@pytest.mark.parametrize("source, reads", [
    ("y = x + 1", {"x"}), ("x = 1\ny = x", set()), ("for i in range(3):\n    print(i)", {"range", "print"}),
    ("def f(a):\n    return a + b", {"b"}), ("z = [v for v in w]", {"w"}), ("x = x + 1", {"x"}),
    ("check('errors' in globals())", {"check", "errors", "globals", "in"}),
])
def test_reads(source, reads):
    assert reducer.reads(source) == reads


def test_unzip_keeps_going(tmp_path):
    z = tmp_path / "a.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a/ok.ipynb", "{}" * 10)
        zf.writestr("b/bad.ipynb", "GOODDATA" * 10)
        zf.writestr("c/big.ipynb", "x" * 3000)
        zf.writestr("../evil.ipynb", "{}")
        zf.writestr("d/last.ipynb", "{}")
    data = z.read_bytes()
    z.write_bytes(data.replace(b"GOODDATA", b"BAD_DATA", 1))
    problems = extract(z, tmp_path / "x", member_cap=2000, total_cap=10**6)
    flags = {"/".join(p): f for p, _, f in problems}
    assert flags == {"b/bad.ipynb": "corrupt_zip_member", "c/big.ipynb": "file_too_large",
                     "../evil.ipynb": "unsafe_zip_entry"}, problems
    assert (tmp_path / "x" / "a" / "ok.ipynb").exists() and (tmp_path / "x" / "d" / "last.ipynb").exists()
    assert not (tmp_path / "x" / "b" / "bad.ipynb").exists() and not (tmp_path / "evil.ipynb").exists()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: data.index(b"c/big.ipynb") + 100])
    problems = extract(cut, tmp_path / "y", member_cap=10**6, total_cap=10**6)
    assert {f for _, _, f in problems} == {"corrupt_zip", "corrupt_zip_member"}
    assert (tmp_path / "y" / "a" / "ok.ipynb").read_text() == "{}" * 10


def test_walk_follows_no_link_and_opens_no_fifo(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "nb.ipynb").write_text("{}")
    os.symlink(COURSE, tmp_path / "alice" / "link.ipynb")
    os.symlink(tmp_path / "alice", tmp_path / "dirlink")
    os.mkfifo(tmp_path / "alice" / "pipe.ipynb")
    kinds = {"/".join(parts): kind for _, parts, kind, _ in walk(tmp_path)}
    assert kinds == {"alice/nb.ipynb": "file", "alice/link.ipynb": "symlink", "dirlink": "symlink",
                     "alice/pipe.ipynb": "special"}
    raw = os.fsencode(tmp_path) + b"/Fran\xe7ois"
    os.mkdir(raw)
    assert any(kind == "file" or parts == ("Fran\udce7ois",) for _, parts, kind, _ in walk(tmp_path))


def test_names_keep_unicode_and_never_merge():
    ids = Identities()
    got = [ids.get(n) for n in ["Jane Doe", "Jane_Doe", "José", "Josè", "张伟", "李娜", "a:b", "a_b", "-h", ".."]]
    assert got == ["Jane Doe", "Jane_Doe", "José", "Josè", "张伟", "李娜", "a_b", "a_b (2)", "-h", "__"]
    assert "not merged" in ids.notes["a_b (2)"]
    assert student_name("Jose\u0301") == "José"                              # NFC
    assert shown("evil\x1b[2J\udce9") == "evil\\x1b[2J\\xe9"
