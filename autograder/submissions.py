"""Find who submitted which notebook, in a folder or an LMS zip.

Layouts understood (any enclosing folders are ignored):
- nbgrader's ``<student>/<assignment>/<notebook>.ipynb`` and ``<student>/<notebook>.ipynb``;
- Canvas flat files ``<name>[_LATE]_<userid>_<subid>_<original name>.ipynb``
  (Canvas appends ``-1``, ``-2`` to re-submitted file names);
- Moodle folders ``<Full Name>_<id>_assignsubmission_file_/<notebook>.ipynb``.
The assignment is found from the folder, else the file name, else the notebook's
content (its nbgrader grade_ids), so a renamed notebook is still recognized.
"""
from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

CANVAS = re.compile(r"^(?P<name>[A-Za-z0-9-]+?)(?:_LATE)?_(?P<uid>\d+)_(?P<sid>\d+)_(?P<orig>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_[a-z]+_?$")
COPY_SUFFIX = re.compile(r"(-\d+| \(\d+\)|-Copy\d*| copy( \d+)?)$", re.IGNORECASE)
SKIP_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".git"}
MAX_UNZIPPED = 2 * 1024**3


@dataclass
class Found:
    student: str
    assignment: str
    notebook: str             # expected notebook stem (the source's)
    path: Path
    rel: str                  # path as shown to the instructor
    flags: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text.strip()).strip("_") or "unknown"


def extract_zip(zpath: Path, dest: Path, skipped: list) -> Path:
    """Extract ``zpath`` into ``dest`` refusing unsafe paths and zip bombs."""
    total = 0
    with zipfile.ZipFile(zpath) as zf:
        for info in zf.infolist():
            name = PurePosixPath(info.filename)
            if info.is_dir():
                continue
            if name.is_absolute() or ".." in name.parts:
                skipped.append((info.filename, "unsafe path in the zip (absolute or '..'), not extracted"))
                continue
            total += info.file_size
            if total > MAX_UNZIPPED:
                skipped.append((info.filename, "zip expands beyond 2 GiB; rest not extracted"))
                break
            target = dest.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                out.write(src.read())
    return dest


def grade_ids(path: Path) -> set[str]:
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        return {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.get("cells", [])} - {None}
    except Exception:
        return set()


def identify(root: Path, notebooks: dict[str, tuple[str, set[str]]]):
    """Map the files under ``root`` to submissions.

    ``notebooks``: expected notebook stem -> (assignment, grade_ids of its source).
    Returns (found, skipped, students): skipped is a list of (relative path, reason),
    students everyone who submitted any file (a student without the notebook gets 0).
    """
    root = Path(root)
    assignments = {a for a, _ in notebooks.values()}
    by_stem = {stem.lower(): stem for stem in notebooks}
    found: list[Found] = []
    skipped: list[tuple[str, str]] = []
    people: dict[str, set[str]] = {}     # display name -> lms ids (to resolve clashes)
    raw = []
    seen: set[str] = set()               # students who submitted something (maybe no notebook)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        parts = rel.parts
        if any(part in SKIP_DIRS or part.startswith(".") for part in parts):
            continue
        if path.suffix.lower() != ".ipynb":
            owner = next((MOODLE.match(p)["name"] for p in parts[:-1] if MOODLE.match(p)), None)
            if owner is None and len(parts) >= 2:
                owner = parts[-3] if len(parts) >= 3 and parts[-2] in assignments else parts[-2]
            if owner:
                seen.add(safe_id(owner))
            skipped.append((str(rel), "not a notebook" + (" (nested zips are not opened)" if path.suffix.lower() == ".zip" else "")))
            continue
        stem = path.stem
        student = uid = folder_assignment = None
        moodle = next((MOODLE.match(p) for p in parts[:-1] if MOODLE.match(p)), None)
        canvas = CANVAS.match(stem)
        if moodle:
            student, uid = safe_id(moodle["name"]), moodle["uid"]
        elif canvas and len(parts) <= 2:
            student, uid, stem = canvas["name"], canvas["uid"], canvas["orig"]
        elif len(parts) >= 3 and parts[-2] in assignments:
            student, folder_assignment = parts[-3], parts[-2]
        elif len(parts) >= 2:
            student = parts[-2]
        else:
            skipped.append((str(rel), "cannot tell whose it is: put it in a folder named after the student"))
            continue
        student = safe_id(student)
        people.setdefault(student, set()).add(uid)
        raw.append((path, rel, student, uid, stem, folder_assignment))

    for path, rel, student, uid, stem, folder_assignment in raw:
        if len(people[student] - {None}) > 1:   # two LMS users with the same name
            student = f"{student}_{uid}"
        clean = COPY_SUFFIX.sub("", stem)
        flags, notes = [], []
        expected = by_stem.get(clean.lower())
        if folder_assignment and (expected is None or notebooks[expected][0] != folder_assignment):
            candidates = [s for s, (a, _) in notebooks.items() if a == folder_assignment]
            expected = _best_by_content(path, {s: notebooks[s] for s in candidates}) or \
                (candidates[0] if len(candidates) == 1 else None)
        if expected is None:
            expected = _best_by_content(path, notebooks)
            if expected is None and len(notebooks) == 1:
                expected = next(iter(notebooks))
        if expected is None:
            skipped.append((str(rel), "matches no assignment (by folder, file name or content)"))
            continue
        if clean != expected:
            flags.append("renamed_notebook")
            notes.append(f"submitted as {path.name}")
        found.append(Found(student, notebooks[expected][0], expected, path, str(rel), flags, notes))

    # one notebook per student x expected notebook: prefer the correctly named one
    chosen: dict[tuple[str, str], Found] = {}
    for f in sorted(found, key=lambda f: ("renamed_notebook" in f.flags, f.rel)):
        key = (f.student, f.notebook)
        if key in chosen:
            skipped.append((f.rel, f"another notebook of {f.student} for {f.notebook} is graded: {chosen[key].rel}"))
            if "renamed_notebook" in chosen[key].flags:
                chosen[key].flags.append("several_notebooks")
        else:
            chosen[key] = f
    found = sorted(chosen.values(), key=lambda f: (f.student, f.assignment, f.notebook))
    return found, sorted(skipped), sorted(seen | {f.student for f in found})


def _best_by_content(path: Path, notebooks: dict) -> str | None:
    ids = grade_ids(path)
    if not ids:
        return None
    scored = sorted(((len(ids & gids) / len(ids | gids), stem) for stem, (_, gids) in notebooks.items()),
                    reverse=True)
    return scored[0][1] if scored and scored[0][0] > 0 else None
