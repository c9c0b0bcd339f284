"""One gradebook: `make grade` records what grades.csv shows in nbgrader's gradebook.

On sqlite and on a throw-away PostgreSQL server (initdb in a temporary folder, a unix
socket there and no TCP, stopped at the end): grade a small batch of the fixture
assignment (nbgrader layout, a Canvas file and a Moodle folder, a tampering and a missing
notebook), check that nbgrader's gradebook (what Formgrader shows) and `nbgrader export`
agree with grades.csv, regrade with one submission changed (replaced, never duplicated),
and write the Canvas and Moodle import files with the identities read from the LMS names.
"""
import csv
import io
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "grading" / "source"
NAME = "00_mini"
BIN = os.path.dirname(sys.executable)
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
TAMPER = "import numpy as _np\n_np.testing.assert_allclose = lambda *a, **k: None\n"
pytestmark = pytest.mark.slow


def run(*args, env=None, cwd=ROOT):
    proc = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"], **(env or {})})
    assert proc.returncode == 0, f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


# ------------------------------------------------------------------ PostgreSQL
def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


@pytest.fixture(scope="module")
def postgres_url():
    """A throw-away PostgreSQL server on a unix socket (no TCP); its SQLAlchemy URL."""
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server not installed (Debian package `postgresql`; .ci/run installs it)")
    base = Path(tempfile.mkdtemp(prefix="pg-"))  # under /tmp: reachable by an unprivileged user
    as_user = []
    if os.getuid() == 0:  # the server refuses to run as root: run it as nobody
        nobody = pwd.getpwnam("nobody")
        os.chown(base, nobody.pw_uid, nobody.pw_gid)
        as_user = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
    data = base / "data"
    try:
        run(*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C", cwd=base)
        run(*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w",
            "-o", f"-c listen_addresses='' -k {base}", "start", cwd=base)
        yield f"postgresql+psycopg2://postgres@/postgres?host={base}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                           cwd=base, capture_output=True, timeout=120)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gradebook.db'}"
    return request.getfixturevalue("postgres_url")


# ------------------------------------------------------------------ submissions
@pytest.fixture(scope="module")
def released(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    run(sys.executable, "-m", "autograder.release", "--source", str(FIXTURE), "--course-root", str(course))
    return nbformat.read(course / NAME / f"{NAME}.ipynb", as_version=4)


def answered(released, prefix=""):
    src = nbformat.read(FIXTURE / NAME / f"{NAME}.ipynb", as_version=4)
    code = {c.metadata["nbgrader"]["grade_id"]: "\n".join(l for l in c.source.splitlines() if not MARKER.match(l))
            for c in src.cells if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.from_dict(json.loads(json.dumps(released)))
    first = True
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in code:
            cell.source = (prefix if first else "") + code[gid]
            first = False
    return nb


def put(root: Path, rel: str, nb) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, str):
        path.write_text(nb)
    else:
        nbformat.write(nb, path)


def grade(subs: Path, out: Path, url: str, *extra) -> dict:
    proc = run(sys.executable, "-m", "autograder.grade", str(subs), "--source", str(FIXTURE), "--out", str(out),
               "--workers", "2", *extra, env={"NBGRADER_DB_URL": url})
    assert "gradebook: " in proc.stdout and "NOT updated" not in proc.stderr, proc.stdout + proc.stderr
    with open(out / "grades.csv", encoding="utf-8") as fh:
        return {(r["student"], r["assignment"]): r for r in csv.DictReader(fh)}


def nbgrader_export(url: str, tmp: Path) -> dict:
    """`nbgrader export` of the gradebook at ``url``: (student, assignment) -> row."""
    where = tmp / f"export-{len(list(tmp.glob('export-*')))}"
    where.mkdir()
    run(os.path.join(BIN, "nbgrader"), "export", f"--CourseDirectory.db_url={url}",
        f"--CsvExportPlugin.to={where / 'grades.csv'}", env={"JUPYTER_CONFIG_DIR": str(where)}, cwd=where)
    with open(where / "grades.csv", encoding="utf-8") as fh:
        return {(r["student_id"], r["assignment"]): r for r in csv.DictReader(fh)}


def counts(url: str) -> dict:
    from nbgrader.api import Gradebook, Grade, SubmittedAssignment, SubmittedNotebook, Student
    with Gradebook(url) as gb:
        return {t.__name__: gb.db.query(t).count() for t in (Student, SubmittedAssignment, SubmittedNotebook, Grade)}


def assert_agree(grades: dict, exported: dict) -> None:
    assert set(exported) == set(grades)
    for key, row in grades.items():
        assert float(exported[key]["score"]) == float(row["score"]), key
        assert float(exported[key]["max_score"]) == float(row["max_score"]), key


def test_gradebook_agrees_with_grades_csv_and_lms_exports(db_url, released, tmp_path):
    subs = tmp_path / "subs"
    put(subs, f"alice/{NAME}/{NAME}.ipynb", answered(released))
    put(subs, f"bob/{NAME}/{NAME}.ipynb", released)                        # blank
    put(subs, f"doejane_12345_67890_{NAME}.ipynb", answered(released))    # Canvas
    put(subs, f"Max Mustermann_765432_assignsubmission_file_/{NAME}.ipynb",
        answered(released, prefix=TAMPER))                                 # Moodle, tampering
    put(subs, "carol/notes.txt", "no notebook")                           # missing
    grades = grade(subs, tmp_path / "out1", db_url)
    full = float(grades["alice", NAME]["max_score"])
    assert full > 0
    assert {k[0]: float(r["score"]) for k, r in grades.items()} == {
        "alice": full, "bob": 0.0, "doejane": full, "Max Mustermann": 0.0, "carol": 0.0}
    assert "tampering" in grades["Max Mustermann", NAME]["flags"]
    assert "missing_notebook" in grades["carol", NAME]["flags"]

    assert_agree(grades, nbgrader_export(db_url, tmp_path))
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:  # what Formgrader shows: flags and the grader's notes
        for (student, a), row in grades.items():
            nb = gb.find_submission_notebook(NAME, a, student)
            assert nb.score == float(row["score"])
            assert nb.flagged == bool(row["flags"]), student
            assert not nb.needs_manual_grade
            text = "\n".join(c.auto_comment or "" for c in nb.comments)
            for flag in filter(None, row["flags"].split(";")):
                assert flag in text, (student, flag, text)
        jane, max_ = gb.find_student("doejane"), gb.find_student("Max Mustermann")
        assert jane.lms_user_id == "12345"
        assert (max_.first_name, max_.last_name, max_.lms_user_id) == ("Max", "Mustermann", "765432")
    before = counts(db_url)

    # regrade: bob has answered since; his row is replaced, nothing is duplicated
    put(subs, f"bob/{NAME}/{NAME}.ipynb", answered(released))
    grades = grade(subs, tmp_path / "out1", db_url, "--overwrite")
    assert float(grades["bob", NAME]["score"]) == full
    assert counts(db_url) == before
    assert_agree(grades, nbgrader_export(db_url, tmp_path))

    # LMS import files, from the gradebook
    env = {"NBGRADER_DB_URL": db_url}
    canvas = list(csv.reader(io.StringIO(run(sys.executable, "-m", "autograder.export", "--format", "canvas",
                                             env=env).stdout)))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", NAME]
    assert canvas[1][0].strip() == "Points Possible" and float(canvas[1][5]) == full
    by_id = {r[1]: r for r in canvas[2:]}
    assert float(by_id["12345"][5]) == full and float(by_id["765432"][5]) == 0.0
    assert by_id["765432"][0] == "Mustermann, Max"
    assert len(canvas) == 2 + 5

    moodle = list(csv.reader(io.StringIO(run(sys.executable, "-m", "autograder.export", "--format", "moodle",
                                             env=env).stdout)))
    assert moodle[0] == ["First name", "Last name", "Email address", NAME]
    assert ["Max", "Mustermann", "", "0"] in moodle and len(moodle) == 1 + 5

    run(sys.executable, "-m", "autograder.export", "--format", "moodle-worksheet", "--out", str(tmp_path / "ws"),
        env=env)
    sheet = list(csv.DictReader(io.StringIO((tmp_path / "ws" / f"{NAME}.csv").read_text(encoding="utf-8"))))
    assert {r["Identifier"]: float(r["Grade"]) for r in sheet} == {"Participant 765432": 0.0, "Participant 12345": full}
    assert all(r["Last modified (grade)"] and float(r["Maximum Grade"]) == full for r in sheet)
