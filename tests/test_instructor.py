"""The instructor's nbgrader: Formgrader knows the course, and nbgrader's whole loop runs.

- `make instructor`'s server (python -m autograder.instructor) lists the 8 assignments with
  their points in Formgrader's REST API, with a working exchange;
- on one machine, through a folder exchange: the instructor releases notebook 00, two
  students fetch it (one answers from the solution, one leaves it blank) and submit; the
  instructor collects, autogrades, generates and releases feedback; the students fetch it.
  The scores are checked, and that no hidden test reaches the students' feedback.
"""
import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder.reporting import gradebook as gradebook_sync
from autograder.release import discover_assignments

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
BIN = os.path.dirname(sys.executable)
NAME = "00_getting_started"
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
pytestmark = pytest.mark.slow


def points(assignment: str) -> float:
    """Total points of the test cells of ``solutions/<assignment>/*.ipynb`` (from their metadata)."""
    return sum(float(c.metadata["nbgrader"].get("points", 0))
               for p in sorted((SOLUTIONS / assignment).glob("*.ipynb"))
               for c in nbformat.read(p, as_version=4).cells
               if c.metadata.get("nbgrader", {}).get("grade"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_formgrader_lists_the_eight_assignments_with_points(tmp_path):
    token = "t" + os.urandom(16).hex()
    port = free_port()
    env = {**os.environ, "NBGRADER_DB_URL": f"sqlite:///{tmp_path / 'gradebook.db'}",
           "NBGRADER_EXCHANGE": str(tmp_path / "exchange"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    args = [sys.executable, "-m", "autograder.instructor", "--no-browser", f"--port={port}",
            "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"]
    if os.getuid() == 0:
        args.append("--allow-root")
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/formgrader/api/assignments",
                                         headers={"Authorization": f"token {token}"})
        listed = None
        deadline = time.monotonic() + 600  # a safeguard only: the first start fills the gradebook
        while listed is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(request, timeout=30) as resp:
                    listed = json.loads(resp.read())
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
        assert listed is not None, "the server did not answer:\n" + (tmp_path / "server.log").read_text()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
    expected = discover_assignments(SOLUTIONS)
    assert len(expected) == 8
    assert sorted(a["name"] for a in listed) == expected
    for a in listed:
        assert a["max_score"] == points(a["name"]) > 0, a
        assert a["source_path"] == f"solutions/{a['name']}" and a["release_path"] == f"course/{a['name']}"
        assert a["releaseable"], "Formgrader sees no working exchange"


# ------------------------------------------------------------------ nbgrader's loop
def instructor_api(config_file: Path):
    """nbgrader's Python API (what Formgrader calls) on the configuration in ``config_file``."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader
    cfg = PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config()
    return NbGraderAPI(config=cfg)


def succeeded(result: dict) -> dict:
    assert result.get("success"), f"{result.get('error')}\n{result.get('log')}"
    return result


def as_student(exchange_class, sid: str, home: Path, exchange: Path, assignment: str):
    """Run one of nbgrader's exchange steps (fetch, submit, fetch feedback) as student ``sid``."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    c = Config()
    c.CourseDirectory.course_id = "training-dnn"
    c.CourseDirectory.student_id = sid
    c.CourseDirectory.root = str(home)
    c.Exchange.root = str(exchange)
    c.Exchange.cache = str(home / ".cache")
    c.Exchange.assignment_dir = str(home)
    coursedir = CourseDirectory(config=c)
    coursedir.assignment_id = assignment
    exchange_class(coursedir=coursedir, authenticator=Authenticator(config=c), config=c).start()


def visible_text(html_text: str) -> str:
    """The text a reader sees in an HTML page (tags removed, entities decoded), whitespace collapsed."""
    text = re.sub(r"<style.*?</style>|<script.*?</script>", " ", html_text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def squash(line: str) -> str:
    return " ".join(re.sub(r"([^\w\s])", r" \1 ", line).split())


def hidden_and_visible_lines(source_nb) -> tuple[list[str], list[str]]:
    """Lines only in hidden test blocks, and lines of the visible part of test cells."""
    hidden, visible = [], []
    for cell in source_nb.cells:
        if not cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif line.strip() and not line.strip().startswith("#"):
                (hidden if inside else visible).append(line.strip())
    # a hidden line that the released notebook also shows (e.g. the tail of a visible call split
    # over lines differently) reveals nothing: only text found nowhere in the release counts
    released = squash(" ".join(visible))
    hidden = [h for h in hidden if h not in visible and len(h) > 15 and squash(h) not in released]
    return hidden, visible


# nbgrader 0.9.6 warns in-process: SQLAlchemy (an object added to the session late),
# traitlets (release_feedback passes a misspelt `authentictor=`) and an unclosed file
# (release_feedback reads timestamp.txt); all harmless
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
@pytest.mark.filterwarnings("ignore:Passing unrecognized arguments:DeprecationWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_nbgrader_loop_through_the_exchange(tmp_path, monkeypatch):
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeFetchFeedback, ExchangeSubmit
    from autograder.release import ensure_venv_on_path
    ensure_venv_on_path()  # nbgrader runs alembic
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    exchange, instructor = tmp_path / "exchange", tmp_path / "instructor"
    instructor.mkdir()
    db_url = f"sqlite:///{instructor / 'gradebook.db'}"
    # the course's settings (autograder.settings + autograder.instructor) on a throw-away
    # course root; sources and student versions are the repository's (read only)
    (instructor / "nbgrader_config.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "from autograder.settings import apply\nfrom autograder.instructor import configure\n"
        "c = get_config()\n"
        f"apply(c, root={str(instructor)!r})\n"
        f"c.CourseDirectory.source_directory = {str(SOLUTIONS)!r}\n"
        f"c.CourseDirectory.release_directory = {str(ROOT / 'course')!r}\n"
        f"configure(c, {str(instructor)!r})\n"
        f"c.CourseDirectory.db_url = {db_url!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.Exchange.cache = {str(instructor / '.cache')!r}\n")
    gradebook_sync.init_course(SOLUTIONS, db_url, assignments=[NAME])
    api = instructor_api(instructor / "nbgrader_config.py")
    assert api.exchange_is_functional or not exchange.exists()
    students = {"alice": tmp_path / "alice", "bob": tmp_path / "bob"}

    succeeded(api.release_assignment(NAME))
    source = nbformat.read(SOLUTIONS / NAME / f"{NAME}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: "\n".join(l for l in c.source.splitlines() if not MARKER.match(l))
               for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    assert answers
    for sid, home in students.items():
        home.mkdir()
        as_student(ExchangeFetchAssignment, sid, home, exchange, NAME)
        path = home / NAME / f"{NAME}.ipynb"
        nb = nbformat.read(path, as_version=4)
        assert "BEGIN HIDDEN" not in json.dumps(nb) and "BEGIN SOLUTION" not in json.dumps(nb)
        if sid == "alice":
            for cell in nb.cells:
                gid = cell.metadata.get("nbgrader", {}).get("grade_id")
                if gid in answers:
                    cell.source = answers[gid]
            nbformat.write(nb, path)
        as_student(ExchangeSubmit, sid, home, exchange, NAME)

    succeeded(api.collect(NAME))
    assert sorted(p.name for p in (instructor / "submitted").iterdir()) == sorted(students)
    for sid in students:
        succeeded(api.autograde(NAME, sid))
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        scores = {s: gb.find_submission(NAME, s).score for s in students}
    assert scores == {"alice": points(NAME), "bob": 0.0}
    succeeded(api.generate_feedback(NAME))
    succeeded(api.release_feedback(NAME))

    hidden, visible = hidden_and_visible_lines(source)
    assert hidden and visible
    for sid, home in students.items():
        as_student(ExchangeFetchFeedback, sid, home, exchange, NAME)
        pages = sorted((home / NAME / "feedback").rglob("*.html"))
        assert len(pages) == 1, f"{sid} got {pages}"
        text = squash(visible_text(pages[0].read_text(encoding="utf-8")))
        leaked = [h for h in hidden if squash(h) in text]
        assert not leaked, f"hidden tests in {sid}'s feedback: {leaked[:3]}"
        assert squash(visible[0]) in text, "the feedback should show the visible tests"
        assert "hidden tests are not shown" in text
        (tmp_path / f"{sid}.txt").write_text(text)
