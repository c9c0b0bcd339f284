"""The batch's results on disk: grades.csv, results.json and the feedback folder; the output folder."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

from autograder.intake.names import shown
from autograder.release import ROOT
from autograder.reporting.feedback import write_feedback
from autograder.reporting.results_store import atomic_write
from autograder.verdict.result import Result


def write_outputs(out: Path, results: list[Result], templates: dict) -> list[dict]:
    rows: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        rows.setdefault((r.student, r.assignment), []).append(r)
    columns = [f"{a}:{gid}" for a in sorted(templates) for info in templates[a].notebooks.values()
               for gid in info["order"]]
    table = []
    for (student, assignment), rs in sorted(rows.items()):
        rs.sort(key=lambda r: r.notebook)
        row = {"student": student, "assignment": assignment,
               "score": f"{sum(r.score for r in rs):g}", "max_score": f"{sum(r.max_score for r in rs):g}"}
        for col in columns:
            row[col] = ""
        for r in rs:
            for gid, c in r.cells.items():
                row[f"{assignment}:{gid}"] = f"{c['points']:g}"
        row["flags"] = ";".join(sorted(set().union(*(r.flags for r in rs))))
        row["notes"] = "; ".join(dict.fromkeys(n for r in rs for n in r.notes))  # each note once
        table.append(row)
        write_feedback(out / "feedback" / student / f"{assignment}.html", rs)
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=["student", "assignment", "score", "max_score", *columns,
                                             "flags", "notes"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    atomic_write(out / "grades.csv", buf.getvalue())
    details = [{"student": r.student, "assignment": r.assignment, "notebook": r.notebook, "file": r.rel,
                "score": r.score, "max_score": r.max_score, "flags": sorted(r.flags), "notes": r.notes,
                "cells": r.cells, "errors": r.errors, "seconds": round(r.seconds, 2)}
               for r in sorted(results, key=lambda r: (r.student, r.assignment, r.notebook))]
    atomic_write(out / "results.json", json.dumps(details, indent=1, sort_keys=True) + "\n")
    return table


def choose_out(out: Path | None, overwrite: bool, resume: bool = False) -> Path:
    if out is None:
        base = ROOT / "grading-output"
        n = 1
        while (base / f"run-{n:03d}").exists():
            n += 1
        out = base / f"run-{n:03d}"
    elif out.exists() and any(out.iterdir()) and not resume:
        if not overwrite:
            raise SystemExit(f"error: {shown(out)} exists and is not empty; its earlier results would be lost. "
                             "Give another --out, --resume to finish grading into it, or --overwrite "
                             "to replace them.")
        for name in ("grades.csv", "results.json", "skipped.txt", "results.jsonl"):
            (out / name).unlink(missing_ok=True)
        shutil.rmtree(out / "feedback", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    return out


def tree_hash(path: Path) -> str:
    """SHA-256 of every file name and content under ``path`` (to prove nothing changed)."""
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for p in files:
        h.update(str(p.relative_to(path) if p != path else p.name).encode())
        h.update(p.read_bytes())
    return h.hexdigest()
