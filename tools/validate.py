"""Run the tests of course notebooks as nbgrader's Validate button does, and say what failed.

    python tools/validate.py 00            # the notebook in course/00_*/
    python tools/validate.py 03 05         # several
    python tools/validate.py               # every notebook of course/
    python tools/validate.py path/to/notebook.ipynb

nbgrader's ``Validator`` runs the whole notebook in a fresh kernel, top to bottom, with the
learner's settings (``jupyter-config/learner/nbgrader_config.py``: the grader's time limit per
cell), and lists the test cells that fail. A course notebook holds only the *visible* tests:
the grade also counts hidden ones. Exit status: 0 if every notebook passes, 1 if one fails,
2 if a notebook cannot be found or read. (``nbgrader validate`` itself exits 0 even on failure.)
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
LEARNER_CONFIG = ROOT / "jupyter-config" / "learner" / "nbgrader_config.py"


def find_notebooks(selectors: list[str], course: Path = COURSE) -> list[Path]:
    """Notebooks named by ``selectors``: a path, or the start of a folder name of ``course``.

    ``"00"`` selects ``course/00_*/*.ipynb``; no selector selects every notebook. Raises
    LookupError when a selector matches no folder or several.
    """
    folders = sorted(p for p in course.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))
    if not selectors:
        return [nb for f in folders for nb in sorted(f.glob("*.ipynb"))]
    found = []
    for sel in selectors:
        if sel.endswith(".ipynb") and Path(sel).is_file():
            found.append(Path(sel).resolve())
            continue
        match = [f for f in folders if f.name.startswith(sel)]
        if len(match) != 1:
            names = ", ".join(f.name for f in folders)
            raise LookupError(f"NB={sel} matches {len(match)} folders of {course} (one is needed); "
                              f"they are: {names}")
        found += sorted(match[0].glob("*.ipynb"))
    return found


def validate(path: Path) -> bool:
    """Validate one notebook, print nbgrader's report, return True if it passes."""
    from traitlets.config.loader import PyFileConfigLoader
    from nbgrader.validator import Validator

    config = PyFileConfigLoader(LEARNER_CONFIG.name, str(LEARNER_CONFIG.parent)).load_config()
    validator = Validator(config=config)
    print(f"== {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
    results = validator.validate(str(path))
    validator.validate = lambda filename: results  # print this run's results, nbgrader's way
    validator.validate_and_print(str(path))
    return not (results.get("failed") or results.get("changed") or results.get("type_changed"))


def main(argv: list[str] | None = None) -> int:
    selectors = sys.argv[1:] if argv is None else argv
    try:
        notebooks = find_notebooks(selectors)
    except LookupError as e:
        print(e)
        return 2
    failed = []
    for nb in notebooks:
        try:
            ok = validate(nb)
        except Exception as e:  # unreadable notebook, old nbgrader metadata, ...
            print(f"could not validate {nb.name}: {type(e).__name__}: {e}")
            return 2
        if not ok:
            failed.append(nb.name)
    if len(notebooks) > 1:
        print(f"{len(notebooks) - len(failed)} of {len(notebooks)} notebooks pass their visible tests"
              + (f"; failing: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
