"""The learner's feedback page of one (student, assignment): points, verdict and message per exercise."""
from __future__ import annotations

import html
import re
from pathlib import Path

from autograder.verdict.result import Result

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_MESSAGE = 1500          # characters of a failure message shown in feedback


def _truncate(text: str, n: int = MAX_MESSAGE) -> str:
    text = ANSI.sub("", text)
    return text if len(text) <= n else text[:n] + f"\n... ({len(text) - n} more characters not shown)"


def write_feedback(path: Path, rows: list[Result]) -> None:
    r0 = rows[0]
    score, max_score = sum(r.score for r in rows), sum(r.max_score for r in rows)
    flags = sorted(set().union(*(r.flags for r in rows)))
    e = html.escape
    parts = [f"<!doctype html><meta charset='utf-8'><title>{e(r0.assignment)}: {e(r0.student)}</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{border:1px solid #ccc;"
             "padding:.3em .6em;vertical-align:top}table{border-collapse:collapse}pre{white-space:pre-wrap;margin:0}"
             ".pass{color:#070}.fail{color:#b00}</style>",
             f"<h1>{e(r0.assignment)}: feedback for {e(r0.student)}</h1>",
             f"<p><b>Score: {score:g} / {max_score:g}</b></p>"]
    if flags:
        parts.append("<p>Flags: " + ", ".join(f"<code>{e(f)}</code>" for f in flags) + "</p>")
    for r in rows:
        parts.append(f"<h2>{e(r.notebook)}.ipynb</h2><table><tr><th>Exercise</th><th>Points</th>"
                     "<th>Result</th><th>Why</th></tr>")
        for gid, c in r.cells.items():
            ok = c["passed"]
            parts.append(f"<tr><td><code>{e(gid)}</code></td><td>{c['points']:g} / {c['max']:g}</td>"
                         f"<td class='{'pass' if ok else 'fail'}'>{'passed' if ok else 'failed'}</td>"
                         f"<td><pre>{e(_truncate(c['message'] or ''))}</pre></td></tr>")
        parts.append("</table>")
        errs = [x for x in r.errors if x["kind"] == "answer"]
        if errs:
            parts.append("<p>Your answer cells that raised an error:</p><ul>")
            parts += [f"<li><code>{e(str(x['grade_id']))}</code>: {e(x['ename'])}: {e(x['evalue'])}</li>" for x in errs]
            parts.append("</ul>")
        if r.notes:
            parts.append("<p>Notes from the grader:</p><ul>" + "".join(f"<li>{e(n)}</li>" for n in r.notes) + "</ul>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
