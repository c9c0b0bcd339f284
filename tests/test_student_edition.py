"""`make student-edition`: a repository to publish that holds no answer and passes its own tests.

The edition is built once (module fixture) from this checkout. deeplib/ is published on
purpose (the experiments run its reference implementations, as the notebooks say), so a
solution line that deeplib's source also holds is not a secret; every other line of a
solution or hidden-test block must appear in no file of the edition.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.release import discover_assignments
from autograder.student_edition import library_tests
from tests.test_release import MARKERS, REGION

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
REPO = "someone/deep-nets-2027"
pytestmark = pytest.mark.slow


def build(dest, *args):
    return subprocess.run([sys.executable, "-m", "autograder.student_edition", str(dest), *args],
                          cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    dest = tmp_path_factory.mktemp("edition") / "deep-nets"
    proc = build(dest, "--repo", REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dest


def files(root):
    return sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts)


def test_edition_has_what_a_learner_needs_and_nothing_else(edition):
    rel = {p.relative_to(edition).as_posix() for p in files(edition)}
    top = {r.split("/")[0] for r in rel}
    assert top == {".gitignore", "Makefile", "README.md", "pyproject.toml", "environment.yml", "postBuild",
                   "start", "course", "deeplib", "docs", "jupyter-config", "tests", "tools"}
    for a in discover_assignments(SOLUTIONS):
        assert (edition / "course" / a / f"{a}.ipynb").read_bytes() == (ROOT / "course" / a / f"{a}.ipynb").read_bytes()
    for p in files(ROOT / "deeplib"):
        if "__pycache__" not in p.parts:
            assert (edition / p.relative_to(ROOT)).read_bytes() == p.read_bytes()
    tests = {r for r in rel if r.startswith("tests/test_")}
    assert tests == {f"tests/{p.name}" for p in library_tests()} | {"tests/test_course_notebooks.py"}
    assert not [r for r in rel if re.search(r"solutions|autograder|nbharness|tests/notebooks|fixtures", r)]
    assert (edition / "start").stat().st_mode & 0o111 and (edition / "postBuild").stat().st_mode & 0o111


def answer_lines():
    """Lines found only inside solution or hidden-test blocks: in no notebook's published part
    (what release keeps, in any assignment) and not in deeplib's source (published on purpose)."""
    hidden, public = set(), set()
    for src in sorted(SOLUTIONS.glob("*/*.ipynb")):
        for cell in nbformat.read(src, as_version=4).cells:
            text = cell.source.replace("\r\n", "\n")
            hidden |= {ln.strip() for m in REGION.finditer(text) for ln in m.group(2).splitlines()}
            public |= {ln.strip() for ln in REGION.sub("", text).splitlines()}
    library = {ln.strip() for p in files(ROOT / "deeplib") if p.suffix == ".py"
               for ln in p.read_text(encoding="utf-8").splitlines()}
    return {ln for ln in hidden - public - library if len(ln) >= 8 and not ln.startswith("#")}


def test_no_line_of_a_solution_or_hidden_test_reaches_the_edition(edition):
    secrets = answer_lines()
    assert len(secrets) > 100, "too few solution lines found: the check would have no teeth"
    copied_tests = {f"tests/{p.name}": p for p in library_tests()}
    leaks = []
    for p in files(edition):
        rel = p.relative_to(edition).as_posix()
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # digits.npz
        if p.suffix == ".ipynb":
            text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
        leaks += [f"{rel}: {m}" for m in MARKERS if m in text]
        if rel in copied_tests:
            # deeplib's own tests, published on purpose and copied verbatim; they share generic
            # statements with solutions (`for p in model.parameters():`), so are not scanned by line.
            assert p.read_bytes() == copied_tests[rel].read_bytes()
            continue
        leaks += [f"{rel}: {ln.strip()}" for ln in text.splitlines() if ln.strip() in secrets]
    assert not leaks, f"{len(leaks)} answer line(s) in the student edition: {leaks[:10]}"


def test_the_leak_check_has_teeth(tmp_path):
    """A solution notebook copied into course/ would be caught, line by line."""
    secrets = answer_lines()
    src = sorted(SOLUTIONS.glob("*/*.ipynb"))[0]
    code = "\n".join(c.source for c in nbformat.read(src, as_version=4).cells)
    assert [ln for ln in code.splitlines() if ln.strip() in secrets]


def test_readme_binder_link_and_git_commit(edition):
    readme = (edition / "README.md").read_text(encoding="utf-8")
    assert f"https://mybinder.org/v2/gh/{REPO}/main?urlpath=lab/tree/course/00_getting_started/" in readme
    assert "make lab" in readme and "make test" in readme and "${" not in readme
    log = subprocess.run(["git", "log", "--oneline"], cwd=edition, capture_output=True, text=True).stdout
    status = subprocess.run(["git", "status", "--porcelain"], cwd=edition, capture_output=True, text=True).stdout
    assert len(log.splitlines()) == 1 and status == ""


def test_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    proc = build(tmp_path)
    assert proc.returncode == 2 and "not empty" in proc.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_a_fresh_clone_installs_and_passes_its_own_make_test(edition, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(edition), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items()   # as a learner's shell: not inside our make or venv
           if k not in ("VIRTUAL_ENV", "PYTHON", "PYTEST_ADDOPTS", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
           and not k.startswith("PYTEST_XDIST")}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != venv_bin)
    proc = subprocess.run(["make", "test"], cwd=clone, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=3600)
    out = proc.stdout
    assert proc.returncode == 0, out[-5000:]
    # What the install printed, but for pip's complaints about this machine's pip.conf
    # (an extra index folder that does not exist), which are not the project's.
    lines = out.splitlines()
    first_test = next(i for i, ln in enumerate(lines) if "-m pytest" in ln)
    install = [ln for ln in lines[:first_test] if not re.match(r"WARNING: Location '.*' is ignored", ln)]
    assert install == ["Installing the course's packages into .venv/ (about a minute, only once)"], install
    assert re.search(r"\d+ passed", out) and " failed" not in out
