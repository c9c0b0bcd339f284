"""The learner's JupyterLab, started for real as `make lab` starts it.

- Opening is not editing: every course notebook, opened through the server's REST API with
  a kernel session, given the kernel's metadata as JupyterLab gives it, and saved, is
  byte-identical to the file before.
- A learner's tools only: with jupyter-config/learner/, the page config disables nbgrader's
  instructor and exchange plugins (Validate stays), their server endpoints are gone, and the
  server log from start to a first cell run and a Validate holds no warning or error.
- `make lab` adds --allow-root as root, passes LAB_ARGS, points Jupyter at the learner config.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from autograder.authoring.kernel_metadata import reference_python
from tests.labserver import LabServer

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
LEARNER_CONFIG = ROOT / "jupyter-config" / "learner"
NOTEBOOKS = sorted(p.relative_to(COURSE).as_posix() for p in COURSE.glob("[0-9][0-9]_*/*.ipynb"))
INSTRUCTOR_PLUGINS = {"@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:course-list",
                      "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:formgrader",
                      "@jupyter/nbgrader:menu"}
pytestmark = pytest.mark.slow
EXPECTED_WARNINGS = (
    # jupyter_server, on opening a notebook this machine has not signed yet (it signs it on save)
    r"\[W .* ServerApp\] Notebook \S+\.ipynb is not trusted$",
    # this test's own probes that the instructor endpoints are gone
    r"\[W .* ServerApp\] 404 GET /(formgrader|assignments|courses) ",
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The learner's lab over a copy of course/ (the test saves notebooks)."""
    base = tmp_path_factory.mktemp("lab")
    shutil.copytree(COURSE, base / "course")
    with LabServer(base / "course", home=base / "home", config_path=[LEARNER_CONFIG]) as server:
        yield server


def open_connect_save(lab, path):
    """Open `path` as JupyterLab does, let the kernel connect, save; return the kernel's version."""
    model = lab.api("GET", f"/api/contents/{path}?type=notebook&content=1")
    nb = model["content"]
    session = lab.start_session(path, nb["metadata"]["kernelspec"]["name"])
    kernel = session["kernel"]
    try:
        info = lab.kernel_request(kernel["id"], "kernel_info_request")
        spec = lab.api("GET", "/api/kernelspecs")["kernelspecs"][kernel["name"]]["spec"]
        # JupyterLab's NotebookPanel._updateSpec and _updateLanguage, verbatim:
        nb["metadata"]["kernelspec"] = {"name": kernel["name"], "display_name": spec["display_name"],
                                        "language": spec["language"]}
        nb["metadata"]["language_info"] = info["language_info"]
        lab.api("PUT", f"/api/contents/{path}", {"type": "notebook", "format": "json", "content": nb})
    finally:
        lab.api("DELETE", f"/api/sessions/{session['id']}")
    return info["language_info"]["version"]


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_opening_a_course_notebook_leaves_it_byte_identical(lab, path):
    before = (COURSE / path).read_bytes()
    version = open_connect_save(lab, path)
    after = (lab.root_dir / path).read_bytes()
    if version == reference_python():
        assert after == before, f"{path} changed on disk when opened, connected and saved"
    else:  # a kernel on another Python: JupyterLab rewrites exactly that version, nothing else
        nb = nbformat.reads(before.decode(), as_version=4)
        nb.metadata.language_info.version = version
        assert after.decode() == nbformat.writes(nb) + "\n", f"{path}: more than the version changed"
        pytest.skip(f"the kernel runs Python {version}, not the reference {reference_python()}: "
                    "only language_info.version changed (checked)")


def test_learner_page_config_keeps_validate_only(lab):
    config = lab.page_config()
    disabled = set(config["disabledExtensions"])
    assert INSTRUCTOR_PLUGINS <= disabled, INSTRUCTOR_PLUGINS - disabled
    assert "@jupyter/nbgrader:validate-assignment" not in disabled
    assert "@jupyter/nbgrader" in {e["name"] for e in config["federated_extensions"]}
    for endpoint in ("/formgrader", "/assignments", "/courses"):  # instructor / exchange servers
        assert lab.request("GET", endpoint)[0] == 404, f"{endpoint} is still served"
    assert lab.api("GET", "/nbgrader_version?version=" + __import__("nbgrader").__version__)["success"]


def test_server_log_is_clean_from_start_to_a_first_run_and_validate(lab):
    path = NOTEBOOKS[0]
    lab.api("GET", f"/api/contents/{path}?type=notebook&content=1")
    session = lab.start_session(path)
    try:
        reply = lab.kernel_request(session["kernel"]["id"], "execute_request",
                                   {"code": "import numpy as np\nprint(np.arange(3).sum())",
                                    "silent": False, "store_history": True})
        assert reply["status"] == "ok", reply
        assert any(m["msg_type"] == "stream" and m["content"]["text"] == "3\n" for m in reply["iopub"])
    finally:
        lab.api("DELETE", f"/api/sessions/{session['id']}")
    # The Validate button: runs the notebook, lists the failing visible tests (answers missing).
    result = lab.api("POST", "/assignments/validate", {"path": path})
    assert result["success"] and result["value"].get("failed"), result
    assert "NotImplementedError" in result["value"]["failed"][0]["raw_error"]
    bad = [ln for ln in lab.log_text().splitlines()
           if (re.match(r"\[(W|E|C) ", ln) or re.search(r"WARNING|ERROR|CRITICAL|Traceback", ln)
               or re.search(r"nbgrader_config|[Ee]xchange|[Ff]ormgrader|[Cc]ourse [Ll]ist", ln))
           and not any(re.search(pattern, ln) for pattern in EXPECTED_WARNINGS)]
    assert not bad, "warnings or errors in the learner's server log:\n" + "\n".join(bad)


def test_make_lab_starts_the_learners_lab(tmp_path):
    """`make lab` itself (as root: with --allow-root), LAB_ARGS passed, the learner config used."""
    with LabServer(COURSE, home=tmp_path, make_lab=ROOT) as lab:
        disabled = set(lab.page_config()["disabledExtensions"])
        contents = lab.api("GET", "/api/contents")
        log = lab.log_text()
    assert INSTRUCTOR_PLUGINS <= disabled
    assert "00_getting_started" in {c["name"] for c in contents["content"]}      # root_dir=course
    root_line = "make lab: you are root (a container?): JupyterLab is started with --allow-root"
    assert (root_line in log.splitlines()) == (os.geteuid() == 0), log[:2000]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_make_lab_as_an_ordinary_user_adds_no_allow_root():
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           "make", "--no-print-directory", "-n", "lab", "LAB_ARGS=--no-browser"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lab_line = proc.stdout[proc.stdout.index("jupyter lab"):]
    assert "--allow-root" not in proc.stdout and "you are root" not in proc.stdout
    assert lab_line.rstrip().endswith("--no-browser")
