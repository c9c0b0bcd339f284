"""The notebook metadata the course's kernel puts in a notebook when JupyterLab connects to it.

When a notebook's kernel connects, JupyterLab writes into the notebook's metadata

- ``kernelspec``: ``{"name", "display_name", "language"}`` of the kernel it started, and
- ``language_info``: the kernel's ``kernel_info_reply["language_info"]``, verbatim;

if either differs from the file, the notebook is marked modified and autosaved. A released
notebook carries exactly these values (``autograder.release`` writes them), so that opening
it changes nothing on disk. They come from the course's pinned ipykernel: its kernelspec
(``python3``, "Python 3 (ipykernel)") and ``IPythonKernel.language_info``.

The one value that depends on the machine is ``language_info["version"]``, the kernel's
Python version. A release must not depend on who runs it, so it records the course's
reference Python, the exact version ``environment.yml`` pins (what Binder installs; CI and the
machine the course is tested on run it too). A learner whose kernel runs another Python
version sees JupyterLab rewrite that one line when the notebook is first saved;
``make release`` does not count it as work (see ``release.holds_learner_work``).
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENT = ROOT / "environment.yml"


def reference_python(environment: Path = ENVIRONMENT) -> str:
    """The Python version ``environment.yml`` pins (``- python=3.11.7`` gives ``"3.11.7"``)."""
    text = Path(environment).read_text(encoding="utf-8")
    m = re.search(r"^\s*-\s*python\s*=+\s*(\d+\.\d+\.\d+)\s*$", text, re.M)
    if not m:
        raise ValueError(f"{environment} must pin an exact Python version (- python=X.Y.Z): "
                         "released notebooks record it as the kernel's version")
    return m.group(1)


def kernelspec() -> dict:
    """What JupyterLab writes as ``metadata.kernelspec`` for the course's kernel."""
    from ipykernel.kernelspec import KERNEL_NAME, get_kernel_dict

    spec = get_kernel_dict()
    return {"display_name": spec["display_name"], "language": spec["language"], "name": KERNEL_NAME}


def language_info(version: str | None = None) -> dict:
    """The kernel's ``language_info`` with ``version`` (default: the reference Python)."""
    from ipykernel.ipkernel import IPythonKernel

    info = dict(IPythonKernel.language_info)
    info["version"] = version or reference_python()
    return info


def notebook_metadata(version: str | None = None) -> dict:
    """``{"kernelspec": ..., "language_info": ...}``: a released notebook's whole metadata."""
    return {"kernelspec": kernelspec(), "language_info": language_info(version)}
