"""Every course notebook is intact, and its setup runs in this installation.

This checks the notebooks, not your answers: `make validate NB=00` and `make check` run the
visible tests on your answers.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "course").glob("[0-9][0-9]_*/*.ipynb"))
MAGIC = re.compile(r"^\s*[%!].*$", re.M)  # IPython magics and shell lines: not plain Python


def nbgrader_cells(path):
    nb = nbformat.read(path, as_version=4)
    return nb, [(c, c.metadata.get("nbgrader", {})) for c in nb.cells]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 1 and (ROOT / "course" / "00_getting_started").is_dir()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_notebook_is_intact(path):
    nb, cells = nbgrader_cells(path)
    nbformat.validate(nb)
    MetadataValidator().validate_nb(nb)          # raises on broken nbgrader metadata
    tests = [c for c, meta in cells if meta.get("grade") and c.cell_type == "code"]
    assert tests, f"{path.name} has no test cell"
    for cell in tests:                          # visible tests only, and they are Python
        compile(MAGIC.sub("", cell.source), f"{path.name}:{cell.get('id')}", "exec")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_notebook_setup_runs(path):
    """The setup cells (imports, data, helpers) run here, silently, as in JupyterLab."""
    _, cells = nbgrader_cells(path)
    code = "\n\n".join(MAGIC.sub("", c.source) for c, meta in cells
                       if c.cell_type == "code" and meta.get("grade_id", "").startswith("setup"))
    assert code, f"{path.name} has no setup cell"
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONWARNINGS="error")
    proc = subprocess.run([sys.executable, "-c", code], cwd=path.parent, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
