"""Results survive a crash: one journal line per graded notebook, written when it finishes.

``OUT/results.jsonl`` gets one JSON object per graded notebook (flushed and fsynced at
once), keyed by the submitter, the notebook, the SHA-256 of the submitted file and the
grading options. ``python -m autograder.grade ... --out OUT --resume`` reads it back and
grades only what is not in it (or whose file or options changed); grades.csv, results.json
and feedback/ are then rebuilt from all results. A line cut short by a crash is ignored.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

JOURNAL = "results.jsonl"


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Store:
    def __init__(self, out: Path, options: dict, resume: bool):
        self.path = Path(out) / JOURNAL
        self.options = json.dumps(options, sort_keys=True)
        self.done: dict[str, dict] = {}
        if resume and self.path.exists():
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                        self.done[entry["key"]] = entry["result"]
                    except (ValueError, KeyError, TypeError):
                        continue          # a line cut short by a crash
        elif not resume:
            self.path.unlink(missing_ok=True)

    def key(self, student: str, notebook: str, path: Path) -> str:
        try:
            digest = file_hash(path)
        except OSError:
            digest = "unreadable"
        return hashlib.sha256(json.dumps([student, notebook, digest, self.options]).encode()).hexdigest()

    def get(self, key: str) -> dict | None:
        return self.done.get(key)

    def add(self, key: str, result) -> None:
        d = dataclasses.asdict(result)
        d["flags"] = sorted(d["flags"])
        line = json.dumps({"key": key, "result": d}, sort_keys=True, ensure_ascii=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.done[key] = d


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves the old or the new file, never half."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
