"""Undo what ordinary JupyterLab habits do to nbgrader metadata, before nbgrader sees a notebook.

nbgrader 0.9.6 rejects or mis-grades a notebook for reasons a learner did not cause:
copy/paste of a cell keeps its nbgrader metadata (two cells with one grade_id: the notebook
fails validation, or the copy wins), a renamed or deleted grade_id makes ``autograde``
raise ``KeyError: 'grade_id'`` with ``add_missing_cells``, a cell pasted from another
notebook brings a grade_id this notebook does not have. :func:`repair` maps the
submission's nbgrader cells onto the release's, one to one:

1. a cell whose grade_id is in the release and whose cell id is the release's keeps it;
2. else the first cell with that grade_id keeps it;
3. a cell with nbgrader metadata but an unknown or missing grade_id is matched to a release
   cell not yet matched, by cell id, else by source (when that source is unique in the
   release), else by position (the only unmatched release cell of the same kind between its
   matched neighbours);
4. any other nbgrader cell (a second copy, a cell pasted from another notebook) becomes a
   plain cell: it still runs, but is neither graded nor restored.

Matched cells get the release's metadata (and cell type) back. Every change is a note.
The result always passes ``nbgrader.nbgraderformat.MetadataValidator().validate_nb``.
"""
from __future__ import annotations

import copy
import re

import nbformat

from autograder.intake.names import shown

SURROGATE = re.compile("[\ud800-\udfff]")


def read(path) -> tuple[nbformat.NotebookNode, list[str]]:
    """Read a notebook; bytes that are not UTF-8 and lone surrogates become U+FFFD (noted)."""
    with open(path, "rb") as fh:
        data = fh.read()
    notes = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        notes.append("the file is not valid UTF-8: undecodable bytes replaced by U+FFFD")
    nb = nbformat.reads(text, as_version=4)
    if _fix_strings(nb):
        notes.append("the notebook held invalid characters (lone surrogates): replaced by U+FFFD")
    return nb, notes


def _fix_strings(node) -> int:
    """Replace lone surrogates in every string of a JSON tree, in place; returns how many strings changed."""
    n = 0
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in list(items):
        if isinstance(v, str):
            if SURROGATE.search(v):
                node[k] = SURROGATE.sub("\ufffd", v)
                n += 1
        elif isinstance(v, (dict, list)):
            n += _fix_strings(v)
    if isinstance(node, dict):
        for k in [k for k in node if isinstance(k, str) and SURROGATE.search(k)]:
            node[SURROGATE.sub("\ufffd", k)] = node.pop(k)
            n += 1
    return n


def _md(cell) -> dict | None:
    md = cell.get("metadata", {}).get("nbgrader")
    return md if isinstance(md, dict) else None


def _gid(cell):
    md = _md(cell)
    gid = md.get("grade_id") if md else None
    return gid if isinstance(gid, str) and gid else None


def _kind(cell) -> tuple:
    md = _md(cell) or {}
    return (bool(md.get("grade")), bool(md.get("solution")), bool(md.get("locked")))


def _label(cell, i: int) -> str:
    return f"cell {i + 1}" + (f" ({shown(_gid(cell))!r})" if _gid(cell) else "")


def _valid(cell) -> bool:
    from nbgrader.nbgraderformat import MetadataValidator, ValidationError
    from nbgrader.nbgraderformat.common import SchemaMismatchError
    try:
        MetadataValidator().validate_cell(cell)
        return True
    except (ValidationError, SchemaMismatchError, KeyError, TypeError):
        return False


def _set_type(cell, cell_type: str) -> None:
    if cell.cell_type == cell_type:
        return
    cell.cell_type = cell_type
    if cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def repair(nb, released) -> list[str]:
    """Make ``nb``'s nbgrader cells match ``released`` one to one (in place); returns notes."""
    notes: list[str] = []
    rel = [c for c in released.cells if _gid(c)]
    order = {_gid(c): k for k, c in enumerate(rel)}
    by_gid = {_gid(c): c for c in rel}
    by_id = {c.get("id"): _gid(c) for c in rel if c.get("id")}
    sources: dict[str, list[str]] = {}
    for c in rel:
        sources.setdefault(c.source.strip(), []).append(_gid(c))
    by_src = {s: g[0] for s, g in sources.items() if len(g) == 1 and s}

    cells = nb.cells
    match: dict[int, str] = {}        # submission cell index -> release grade_id
    taken: set[str] = set()
    graded = [i for i, c in enumerate(cells) if _md(c) is not None and any(_kind(c)) or _gid(c)]
    # 1 and 2: the grade_id is the release's
    for strict in (True, False):
        for i in graded:
            g = _gid(cells[i])
            if i in match or g not in by_gid or g in taken:
                continue
            if strict and cells[i].get("id") != by_gid[g].get("id"):
                continue
            match[i], taken = g, taken | {g}
    # 3: unknown or missing grade_id: cell id, unique source, position
    for how in ("id", "source", "position"):
        for i in graded:
            if i in match or _gid(cells[i]) in by_gid:
                continue
            g = None
            if how == "id":
                g = by_id.get(cells[i].get("id"))
            elif how == "source":
                g = by_src.get(cells[i].get("source", "").strip())
            else:
                before = [order[match[j]] for j in match if j < i]
                after = [order[match[j]] for j in match if j > i]
                lo, hi = max(before, default=-1), min(after, default=len(rel))
                gap = [_gid(c) for c in rel[lo + 1:hi] if _gid(c) not in taken
                       and _kind(c) == _kind(cells[i]) and c.cell_type == cells[i].cell_type]
                g = gap[0] if len(gap) == 1 else None
            if g and g not in taken:
                match[i], taken = g, taken | {g}
                old = _gid(cells[i])
                notes.append(f"{_label(cells[i], i)}: " + (f"grade_id {shown(old)!r} is not in the release"
                                                           if old else "its grade_id was missing")
                             + f"; matched to {g!r} by {how}")
    # 4: every other nbgrader cell becomes a plain cell
    for i in graded:
        if i in match:
            continue
        g = _gid(cells[i])
        if g in by_gid:
            why = f"a second copy of {g!r} (JupyterLab copy/paste keeps nbgrader's metadata); graded as a plain cell"
        else:
            why = "nbgrader metadata from elsewhere (a cell pasted from another notebook?); graded as a plain cell"
        notes.append(f"{_label(cells[i], i)}: {why}")
        del cells[i].metadata["nbgrader"]
    for i, g in match.items():
        cell, ref = cells[i], by_gid[g]
        if cell.cell_type != ref.cell_type:
            notes.append(f"{_label(cell, i)} was turned into a {cell.cell_type} cell; back to {ref.cell_type}")
            _set_type(cell, ref.cell_type)
        md = copy.deepcopy(ref.metadata["nbgrader"])
        if _md(cell) != md:
            cell.metadata["nbgrader"] = md
    # anything the validator still rejects (a broken plain-cell metadata) loses its metadata
    for i, cell in enumerate(cells):
        if _md(cell) is not None and not _valid(cell):
            notes.append(f"{_label(cell, i)}: invalid nbgrader metadata removed")
            del cell.metadata["nbgrader"]
        elif "nbgrader" in cell.get("metadata", {}) and _md(cell) is None:
            del cell.metadata["nbgrader"]
    from nbgrader.nbgraderformat import MetadataValidator
    MetadataValidator().validate_nb(nb)        # raises if this module missed a case
    return notes
