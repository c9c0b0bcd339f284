"""Released notebooks carry the course kernel's metadata, and metadata alone is not work."""
import subprocess
import sys
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager

from autograder.authoring.kernel_metadata import language_info, notebook_metadata, reference_python
from autograder.release import holds_learner_work

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "grading" / "source"


def test_reference_python_is_the_pinned_one():
    version = reference_python()
    assert version.count(".") == 2 and f"python={version}" in (ROOT / "environment.yml").read_text()
    assert language_info()["version"] == version


def test_kernelspec_is_the_installed_kernel():
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert notebook_metadata()["kernelspec"] == {"name": "python3", "display_name": spec.display_name,
                                                 "language": spec.language}


def test_every_course_notebook_has_the_kernel_metadata():
    expected = notebook_metadata()
    for path in sorted((ROOT / "course").glob("*/*.ipynb")):
        assert nbformat.read(path, as_version=4).metadata == expected, f"{path}: run `make release`"


def release(dest, *extra):
    return subprocess.run([sys.executable, "-m", "autograder.release", "--source", str(FIXTURE),
                           "--course-root", str(dest), *extra], cwd=ROOT, capture_output=True, text=True)


def test_a_kernel_on_another_python_is_not_learner_work(tmp_path):
    assert release(tmp_path).returncode == 0
    path = tmp_path / "00_mini" / "00_mini.ipynb"
    released = path.read_bytes()
    nb = nbformat.reads(released.decode(), as_version=4)
    nb.metadata.language_info.version = "3.12.1"          # saved by JupyterLab on Python 3.12.1
    nbformat.write(nb, path)
    assert not holds_learner_work(path)
    proc = release(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert path.read_bytes() == released
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="ran it\n")]
    nbformat.write(nb, path)
    assert holds_learner_work(path)                        # outputs are: release refuses
    assert release(tmp_path).returncode == 2 and b"ran it" in path.read_bytes()
