"""The Makefile's install step: PYTHON=... rebuilds a .venv made from another interpreter.

Runs the project's real Makefile in a scratch project whose pyproject.toml installs nothing,
so the venv and pip steps are real but quick. The "other interpreter" is a stand-in
``.venv/bin/python`` that reports another path and version, as a venv made from another
Python would.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PY_ID = "import os, sys; print(os.path.realpath(sys.executable), sys.version.split()[0])"
PYPROJECT = """[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "probe"
version = "0"

[project.optional-dependencies]
test = []

[tool.setuptools]
py-modules = []
package-dir = {"" = "."}   # as the course's pyproject.toml: a quiet editable install
"""
pytestmark = pytest.mark.slow


def base_python():
    """The interpreter this test's venv was made from (what PYTHON= names below)."""
    out = subprocess.run([sys.executable, "-c", "import sys; print(sys._base_executable)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    return os.path.realpath(out)


def make(project, *args, python=None):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "VIRTUAL_ENV", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    if python:
        env["PYTHON"] = python
    proc = subprocess.run(["make", "--no-print-directory", *args], cwd=project, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    lines = [ln for ln in proc.stdout.splitlines() if not re.match(r"WARNING: Location '.*' is ignored", ln)]
    return proc.returncode, lines


def fake_venv(project, identity):
    """A .venv whose python says it was made from `identity` ("path version")."""
    (project / ".venv" / "bin").mkdir(parents=True)
    fake = project / ".venv" / "bin" / "python"
    fake.write_text(f"#!/bin/sh\necho '{identity}'\n")
    fake.chmod(0o755)
    (project / ".venv" / ".installed").write_text(identity + "\n")


def test_python_names_the_interpreter_and_a_venv_from_another_is_rebuilt(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    python = base_python()
    fake_venv(tmp_path, "/opt/other/bin/python3.99 3.99.0")

    # Without PYTHON= the existing .venv is kept, whatever it was made from.
    code, lines = make(tmp_path, ".venv/.installed")
    assert code == 0 and lines == [f"make: '.venv/.installed' is up to date."], lines

    # PYTHON=... names another interpreter: one line says so, .venv is rebuilt from it.
    code, lines = make(tmp_path, ".venv/.installed", python=python)
    assert code == 0, lines
    assert lines[0].startswith(f"PYTHON={python} is {python} ") and lines[0].endswith(
        "but .venv was made from /opt/other/bin/python3.99 3.99.0: rebuilding .venv"), lines
    assert lines[1:] == ["Installing the course's packages into .venv/ (about a minute, only once)"], lines
    recorded = (tmp_path / ".venv" / ".installed").read_text().strip()
    assert recorded.startswith(python + " ") and recorded == subprocess.run(
        [python, "-c", PY_ID], capture_output=True, text=True).stdout.strip()

    # The same PYTHON again: nothing to do, nothing printed.
    code, lines = make(tmp_path, ".venv/.installed", python=python)
    assert code == 0 and lines == [f"make: '.venv/.installed' is up to date."], lines
