"""Find who submitted which notebook, in folders and LMS zips; every odd file becomes a reason.

Layouts understood (any enclosing folders are ignored):
- nbgrader's ``<student>/<assignment>/<notebook>.ipynb`` and ``<student>/<notebook>.ipynb``;
- Canvas flat files ``<name>[_LATE]_<userid>_<subid>_<original name>.ipynb``
  (Canvas appends ``-1``, ``-2`` to re-submitted file names);
- Moodle folders ``<Full Name>_<id>_assignsubmission_file_/<notebook>.ipynb``.
The assignment is found from the folder, else the file name, else the notebook's
content (its nbgrader grade_ids), so a renamed notebook is still recognized.

Nothing here can stop a batch: names are handled as the file system gives them (bytes
that are not UTF-8 stay as surrogate escapes and are shown as ``\\xNN``), symbolic links are
never followed, FIFOs, devices and sockets are never opened, files over a size cap are not
read, and each of these becomes a skipped line and a flag on its owner's row.
Submitters keep their names (see :mod:`autograder.intake.names`): two folders are never merged.
"""
from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from autograder.intake import unzip
from autograder.intake.names import Identities, shown

CANVAS = re.compile(r"^(?P<name>[^\W_](?:[^\W_]|-)*?)(?:_LATE)?_(?P<uid>\d+)_(?P<sid>\d+)_(?P<orig>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_[a-z]+_?$")
COPY_SUFFIX = re.compile(r"(-\d+| \(\d+\)|-Copy\d*| copy( \d+)?| \(zip duplicate \d+\))$", re.IGNORECASE)
SKIP_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".git"}
MAX_FILE = 100 * 1024**2          # a notebook larger than this is not read (bytes)
MAX_UNZIPPED = 2 * 1024**3


@dataclass
class Found:
    student: str
    assignment: str
    notebook: str             # expected notebook stem (the source's)
    path: Path
    rel: str                  # path as shown to the instructor (printable)
    flags: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def extract_zip(zpath: Path, dest: Path, skipped: list, problems: list | None = None,
                member_cap: int = MAX_FILE) -> Path:
    """Extract ``zpath`` into ``dest`` (see :mod:`autograder.intake.unzip`).

    Appends ``(shown path, reason)`` to ``skipped`` and ``(parts, reason, flag)`` to ``problems``.
    """
    found = unzip.extract(zpath, dest, member_cap=member_cap, total_cap=MAX_UNZIPPED)
    for parts, reason, flag in found:
        skipped.append((shown("/".join(parts)), reason))
        if problems is not None:
            problems.append((parts, reason, flag))
    return dest


def grade_ids(path: Path) -> set[str]:
    try:
        if os.lstat(path).st_size > MAX_FILE:
            return set()
        nb = json.loads(Path(path).read_text(encoding="utf-8", errors="surrogateescape"))
        return {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.get("cells", [])} - {None}
    except Exception:
        return set()


def walk(root: Path):
    """Yield ``(path, parts, kind, detail)`` for everything under ``root``, following no link.

    kind: ``file``, ``symlink``, ``special`` (FIFO, device, socket), ``loop`` (a folder seen
    before), ``unreadable`` (a folder that cannot be listed). Hidden and tool folders
    (``.ipynb_checkpoints``, ``__MACOSX``...) are yielded as ``ignored``.
    """
    seen: set[tuple[int, int]] = set()

    def visit(path: str, parts: tuple):
        try:
            st = os.lstat(path) if parts else os.stat(path)     # the root itself may be a link
        except OSError as exc:
            yield path, parts, "unreadable", exc.strerror or type(exc).__name__
            return
        if stat.S_ISLNK(st.st_mode):
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            yield path, parts, "symlink", target
            return
        if stat.S_ISREG(st.st_mode):
            yield path, parts, "file", st.st_size
            return
        if not stat.S_ISDIR(st.st_mode):
            kind = ("FIFO" if stat.S_ISFIFO(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode)
                    else "device")
            yield path, parts, "special", kind
            return
        if parts and (parts[-1] in SKIP_DIRS or parts[-1].startswith(".")):
            yield path, parts, "ignored", None
            return
        if (st.st_dev, st.st_ino) in seen:
            yield path, parts, "loop", None
            return
        seen.add((st.st_dev, st.st_ino))
        try:
            names = sorted(os.listdir(path))
        except OSError as exc:
            yield path, parts, "unreadable", exc.strerror or type(exc).__name__
            return
        for name in names:
            yield from visit(os.path.join(path, name), parts + (name,))

    yield from visit(os.fspath(root), ())


def _owner(parts: tuple, assignments: set[str]):
    """(raw name, lms id, folder assignment, stem) of a file at ``parts``, or None."""
    stem = parts[-1].rsplit(".", 1)[0] if "." in parts[-1] else parts[-1]
    moodle = next((MOODLE.match(p) for p in parts[:-1] if MOODLE.match(p)), None)
    canvas = CANVAS.match(stem)
    if moodle:
        return moodle["name"], moodle["uid"], None, stem
    if canvas and len(parts) <= 2:
        return canvas["name"], canvas["uid"], None, canvas["orig"]
    if len(parts) >= 3 and parts[-2] in assignments:
        return parts[-3], None, parts[-2], stem
    if len(parts) >= 2:
        return parts[-2], None, None, stem
    return None


KIND_REASON = {
    "symlink": ("a symbolic link (to {detail}): never followed, not graded", "symlink"),
    "special": ("a {detail}, not a file: not opened", "special_file"),
    "loop": ("a folder seen before (a loop): not entered again", "special_file"),
    "unreadable": ("cannot be read ({detail})", "unreadable_file"),
}


def identify(root, notebooks: dict[str, tuple[str, set[str]]], problems: list | None = None,
             max_file: int = MAX_FILE):
    """Map the files under ``root`` (a folder, or a list of folders) to submissions.

    ``notebooks``: expected notebook stem -> (assignment, grade_ids of its source).
    ``problems``: ``(parts, reason, flag)`` found before under ``root`` (e.g. while unzipping);
    with a list of roots, a list of such lists (one per root).
    Returns (found, skipped, students): skipped is a sorted list of (shown path, reason);
    students maps everyone who submitted any file (a student without the notebook gets 0)
    to the ``(notebook stem or None, flag, note)`` of their files that could not be graded.
    """
    several = isinstance(root, (list, tuple))
    roots = [Path(r) for r in (root if several else [root])]
    problems = list(problems or []) if several else [problems or []]
    problems += [[]] * (len(roots) - len(problems))
    assignments = {a for a, _ in notebooks.values()}
    by_stem = {stem.lower(): stem for stem in notebooks}
    skipped: list[tuple[str, str]] = []
    owned: list[tuple] = []        # (raw, uid, stem, flag, note) of problems with an owner
    raw = []
    for k, r in enumerate(roots):
        prefix = (r.name,) if len(roots) > 1 else ()
        items = [(p, parts, kind, detail) for p, parts, kind, detail in walk(r)]
        items += [(None, tuple(parts), "problem", (reason, flag)) for parts, reason, flag in problems[k]]
        for path, parts, kind, detail in items:
            shown_rel = shown("/".join(prefix + parts)) or shown(r.name)
            if kind == "ignored":
                skipped.append((shown_rel + "/", "a hidden or tool folder (checkpoints, __MACOSX...): ignored"))
                continue
            who = _owner(parts, assignments) if parts else None
            if kind != "file":
                if kind == "problem":
                    reason, flag = detail
                else:
                    reason, flag = KIND_REASON[kind]
                    reason = reason.format(detail=shown(detail))
                    skipped.append((shown_rel, reason))
                if who:
                    owned.append((who[0], who[1], who[3], flag, f"{shown(parts[-1])}: {reason}"))
                continue
            if parts[-1].lower().endswith(".ipynb") and detail > max_file:
                reason = f"larger than {max_file >> 20} MiB ({detail} bytes): not read"
                skipped.append((shown_rel, reason))
                if who:
                    owned.append((who[0], who[1], who[3], "file_too_large", f"{shown(parts[-1])}: {reason}"))
                continue
            if not parts[-1].lower().endswith(".ipynb"):
                if who:
                    owned.append((who[0], who[1], None, None, None))
                skipped.append((shown_rel, "not a notebook" + (" (nested zips are not opened)"
                                                               if parts[-1].lower().endswith(".zip") else "")))
                continue
            if who is None:
                skipped.append((shown_rel, "cannot tell whose it is: put it in a folder named after the student"))
                continue
            name, uid, folder_assignment, stem = who
            raw.append((Path(path), shown_rel, name, uid, stem, folder_assignment))

    # identities: a name is one submitter unless two LMS ids share it
    uids: dict[str, set] = {}
    for _, _, name, uid, _, _ in raw:
        uids.setdefault(name, set()).add(uid)
    for name, uid, *_ in owned:
        uids.setdefault(name, set()).add(uid)
    ids = Identities()

    def ident(name, uid):
        if len(uids.get(name, set()) - {None}) > 1:
            return ids.get((name, uid), f"{name}_{uid}")
        return ids.get((name, None), name)

    found: list[Found] = []
    for path, rel, name, uid, stem, folder_assignment in raw:
        student = ident(name, uid)
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
            skipped.append((rel, "matches no assignment (by folder, file name or content)"))
            continue
        if clean != expected:
            flags.append("renamed_notebook")
            notes.append(f"submitted as {shown(path.name)}")
        if student in ids.notes:
            notes.append(ids.notes[student])
        found.append(Found(student, notebooks[expected][0], expected, path, rel, flags, notes))

    # one notebook per student x expected notebook: the canonical name first, then copies
    chosen: dict[tuple[str, str], Found] = {}
    others: dict[tuple[str, str], list[Found]] = {}
    for f in sorted(found, key=_rank):
        key = (f.student, f.notebook)
        if key in chosen:
            others.setdefault(key, []).append(f)
            skipped.append((f.rel, f"another notebook of {f.student} for {f.notebook} is graded: {chosen[key].rel}"))
        else:
            chosen[key] = f
    for key, more in others.items():
        c = chosen[key]
        c.flags.append("several_notebooks")
        c.notes.append(f"graded {c.rel}; also submitted (not graded): " + ", ".join(m.rel for m in more))

    students: dict[str, list] = {f.student: [] for f in chosen.values()}
    for name, uid, stem, flag, note in owned:
        s = ident(name, uid)
        students.setdefault(s, [])
        if flag:
            clean = by_stem.get(COPY_SUFFIX.sub("", stem or "").lower()) if stem else None
            students[s].append((clean, flag, note))
    for f in chosen.values():      # a problem file next to a graded notebook flags that row
        for stem, flag, note in students.get(f.student, []):
            if stem in (None, f.notebook) and flag not in f.flags:
                f.flags.append(flag)
            if stem in (None, f.notebook):
                f.notes.append(note)
    found = sorted(chosen.values(), key=lambda f: (f.student, f.assignment, f.notebook))
    return found, sorted(skipped), dict(sorted(students.items()))


def _rank(f: Found):
    """Sort key of candidates: found by name before by content, canonical name before copies."""
    stem = f.path.name.rsplit(".", 1)[0]
    copy = COPY_SUFFIX.sub("", stem) != stem
    return ("renamed_notebook" in f.flags, copy, f.rel)


def _best_by_content(path: Path, notebooks: dict) -> str | None:
    ids = grade_ids(path)
    if not ids:
        return None
    scored = sorted(((len(ids & gids) / len(ids | gids), stem) for stem, (_, gids) in notebooks.items()),
                    reverse=True)
    return scored[0][1] if scored and scored[0][0] > 0 else None
