"""The sandbox's pieces: the missing-bwrap message, --no-sandbox, what a sandboxed kernel sees,
feedback redaction and the tampering rules (no false zeros). The hostile batch is test_hostile.py."""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.reporting import redact
from autograder.verdict import tamper

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "grading" / "source"
NAME = "00_mini"
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason=(
    "bubblewrap (bwrap) is not installed, so the sandbox cannot be tested: apt-get install -y bubblewrap"))


def grade(subs, out, *extra, env=None):
    return subprocess.run([sys.executable, "-m", "autograder.grade", str(subs), "--source", str(FIXTURE),
                           "--out", str(out), "--workers", "1", *extra], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env=env)


def source_as_submission(dest: Path) -> Path:
    """The fixture's source notebook (solutions in place) as one student's submission."""
    path = dest / "alice" / NAME / f"{NAME}.ipynb"
    path.parent.mkdir(parents=True)
    shutil.copy(FIXTURE / NAME / f"{NAME}.ipynb", path)
    return dest


def test_missing_bwrap_stops_with_one_line(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    env = dict(os.environ, PATH=str(bindir))     # no bwrap on PATH
    proc = grade(source_as_submission(tmp_path / "subs"), tmp_path / "out", env=env)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "apt-get install -y bubblewrap" in lines[0] and "--no-sandbox" in lines[0]


def test_no_sandbox_flags_every_row(tmp_path):
    subs = source_as_submission(tmp_path / "subs")
    (subs / "bob").mkdir()
    (subs / "bob" / "notes.txt").write_text("no notebook")
    proc = grade(subs, tmp_path / "out", "--no-sandbox")
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "out" / "grades.csv", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert float(rows["alice"]["score"]) == 5 and rows["alice"]["flags"] == "unsandboxed"
    assert "unsandboxed" in rows["bob"]["flags"].split(";")
    assert "WARNING: graded with --no-sandbox" in proc.stdout


@needs_bwrap
def test_sandboxed_kernel_sees_only_its_own_files(tmp_path):
    """A kernel started like the grader starts it: no repository, no network, own PIDs, limits."""
    from nbclient import NotebookClient

    from autograder.execution.sandbox import SandboxKernelManager, font_cache
    probe = (
        "import os, socket, resource, warnings\n"
        f"print('repo', os.path.exists({str(ROOT / 'solutions')!r}), os.path.exists({str(ROOT / 'tests')!r}))\n"
        f"print('tmp', os.listdir('/tmp'), os.getcwd(), os.listdir('.'))\n"
        "print('pids', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\n"
        "print('nproc', resource.getrlimit(resource.RLIMIT_NPROC)[0])\n"
        "print('warnings', os.environ.get('PYTHONWARNINGS'))\n"
        "try:\n    socket.create_connection(('127.0.0.1', 22), timeout=1); print('net yes')\n"
        "except OSError:\n    print('net no')\n"
        "try:\n    open(os.path.join(os.path.dirname(__import__('deeplib').__file__), 'x'), 'w'); print('ro no')\n"
        "except OSError:\n    print('ro yes')\n")
    data = tmp_path / "assignment"
    data.mkdir()
    (data / "data.csv").write_text("1,2\n")
    (data / "a.ipynb").write_text("{}")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)])
    client = NotebookClient(nb, kernel_manager_class=SandboxKernelManager, timeout=60)
    client.km = client.create_kernel_manager()
    client.km.files, client.km.nproc, client.km.mpl_cache = str(data), 64, font_cache()
    client.execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "repo False False" in text
    assert "/home/learner ['data.csv']" in text          # a copy of the data, not the notebook
    assert "pids [1, 2]" in text and "nproc 64" in text
    assert "warnings None" in text and "net no" in text and "ro yes" in text
    assert not any(o.get("name") == "stderr" for o in nb.cells[0].outputs), nb.cells[0].outputs


# ------------------------------------------------------------------ redaction (no kernel)
SOURCE = nbformat.v4.new_notebook(cells=[
    nbformat.v4.new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return np.maximum(x, 0) * scale_factor\n"
                              "    ### END SOLUTION"),
    nbformat.v4.new_code_cell("check_close(f(np.ones(2)), np.ones(2), case='ones')\n### BEGIN HIDDEN TESTS\n"
                              "check_close(f(np.arange(7.0) - 3), np.clip(np.arange(7.0) - 3, 0, None), "
                              "case='hidden range')\n### END HIDDEN TESTS"),
])
RELEASED = nbformat.v4.new_notebook(cells=[
    nbformat.v4.new_code_cell("def f(x):\n    raise NotImplementedError()"),
    nbformat.v4.new_code_cell("check_close(f(np.ones(2)), np.ones(2), case='ones')"),
])


def test_redactor_removes_secret_lines_fragments_and_blobs():
    r = redact.Redactor.from_notebooks(SOURCE, RELEASED)
    assert r.clean("Check failed for case: hidden range\n  expected 0 got 1") == (
        "Check failed for case: hidden range\n  expected 0 got 1", False)   # the check's own words stay
    text, changed = r.clean("ValueError: return np.maximum(x, 0) * scale_factor")
    assert changed and "scale_factor" not in text
    text, changed = r.clean("x = f(np.arange(7.0)-3),np.clip(np.arange(7.0)-3,0,None)")  # a fragment, respaced
    assert changed and "np.clip" not in text
    import base64
    import zlib
    blob = base64.b85encode(zlib.compress(b"anything at all, long enough")).decode()
    text, changed = r.clean(f"see {blob} here")
    assert changed and blob not in text
    assert r.clean("np.ones(2) fails: check_close(f(np.ones(2)), np.ones(2)") [1] is False  # visible text


def test_learner_exception_shows_type_line_and_short_message():
    owners = {3: ("relu", "learner"), 4: ("test_relu", "test")}
    tb = ["---", "Cell In[4], line 2\n  relu(x)", "Cell In[3], line 7, in relu(z)\n  raise ValueError(...)",
          "ValueError: " + "x" * 500]
    msg = redact.test_message({"ename": "ValueError", "evalue": "x" * 500, "traceback": tb}, owners)
    assert msg.startswith("ValueError raised in your cell `relu`, line 7: ") and len(msg) < 300
    check = ["---", "Cell In[4], line 2\n  check_close(...)",
             "File /x/deeplib/checks.py:80, in check_close(...)\n", "AssertionError: Check failed"]
    assert redact.test_message({"ename": "AssertionError", "evalue": "Check failed for case: c",
                                "traceback": check}, owners) == "AssertionError: Check failed for case: c"
    warn = "/tmp/ipykernel_2/1.py:3: RuntimeWarning: overflow encountered in exp\n  return np.exp(z)\n"
    assert redact.stderr_message(warn).endswith("RuntimeWarning: overflow encountered in exp")


# ------------------------------------------------------------------ tampering rules (no kernel)
PROTECTED = tamper.protected_imports(["import numpy as np\nimport matplotlib.pyplot as plt\n"
                                      "from deeplib.checks import call, check_close\n"
                                      "from deeplib.training import fit"])
USED = tamper.test_usage(["check_close(call(f, np.ones(2), case='c'), np.cos(np.ones(2)), case='c')"], PROTECTED)


@pytest.mark.parametrize("src", [
    'plt.rcParams["figure.dpi"] = 80',
    'import os\nos.environ["MY_SETTING"] = "1"',
    "def fit(model, data):\n    return model",
    "import numpy as np\nx = np.ones(3)",
])
def test_no_false_tampering(src):
    assert tamper.scan(src, PROTECTED, USED, "c") == ([], [])


@pytest.mark.parametrize("src, zero", [
    ("np.cos = np.sin", True),                                   # used by the tests
    ("def check_close(*a, **k):\n    pass", True),
    ("import sys\nsys.modules['deeplib.checks']._fail = print", True),
    ("np.tanh = np.sin", False),                                 # not used by the tests: review only
    ("import sys\nsys.settrace(lambda *a: None)", False),
    ("get_ipython().ast_transformers.append(object())", False),
])
def test_tampering_zero_only_when_a_test_used_object_is_replaced(src, zero):
    z, review = tamper.scan(src, PROTECTED, USED, "c")
    assert bool(z) == zero and (z or review)


def test_verdict_judged_by_what_tests_use():
    zero, review = tamper.judge_verdict({"changed": ["deeplib.checks._fail", "numpy.tanh", "global:fit"],
                                         "hooks": ["sys.settrace: <function>"], "rewrites": []}, USED)
    assert zero == ["rebound at run time (used by the tests): deeplib.checks._fail"]
    assert review == ["rebound at run time (not used by the tests): numpy.tanh", "sys.settrace: <function>"]
