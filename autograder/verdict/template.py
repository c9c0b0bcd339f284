"""Each assignment prepared once from the trusted source: its release, gradebook and test cells."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.intake.submissions import grade_ids
from autograder.release import generate
from autograder.reporting import redact
from autograder.verdict import tamper


@dataclass
class Template:
    """One assignment prepared once: source copy, release and gradebook in ``root``."""
    assignment: str
    root: Path
    notebooks: dict          # stem -> info dict (tests, locked sources, order)


def build_template(source: Path, assignment: str, workdir: Path, cell_timeout: int) -> Template:
    root = workdir / "template" / assignment
    generate(source, assignment, root, cell_timeout=cell_timeout)
    notebooks = {}
    for path in sorted((root / "source" / assignment).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        full = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
        released = nbformat.read(root / "release" / assignment / path.name, as_version=4)
        info = {"tests": {}, "locked": {}, "order": [], "grade_ids": set(), "answers": []}
        for cell in released.cells:
            md = cell.metadata.get("nbgrader", {})
            gid = md.get("grade_id")
            if not gid:
                continue
            info["grade_ids"].add(gid)
            if md.get("grade"):
                info["tests"][gid] = {"points": float(md.get("points", 0)), "source": cell.source,
                                      "full": full.get(gid, cell.source),
                                      "type": cell.cell_type}
                info["order"].append(gid)
            if md.get("locked"):
                info["locked"][gid] = cell.source
            if md.get("solution"):
                info["answers"].append(gid)
        code_locked = [c.source for c in nb.cells if c.cell_type == "code"
                       and c.metadata.get("nbgrader", {}).get("locked") and not c.metadata["nbgrader"].get("grade")]
        info["protected"] = tamper.protected_imports(code_locked)
        info["used"] = tamper.test_usage([t["full"] for t in info["tests"].values()], info["protected"])
        info["redactor"] = redact.Redactor.from_notebooks(nb, released)
        info["released"] = released
        notebooks[path.stem] = info
    return Template(assignment, root, notebooks)


def source_notebooks(source: Path, assignments: list[str]) -> dict:
    out = {}
    for a in assignments:
        for path in sorted((source / a).glob("*.ipynb")):
            out[path.stem] = (a, grade_ids(path))
    return out
