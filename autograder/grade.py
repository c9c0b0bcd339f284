"""Grade a folder or an LMS zip of submissions, in parallel, safely.

    python -m autograder.grade SUBMISSIONS [--workers N] [--out DIR] [--overwrite]

Each notebook is graded in its own temporary nbgrader course directory (a copy of the
source assignment and of a gradebook made once per assignment by generate_assignment)
by an ``nbgrader autograde`` subprocess in its own process group, under a memory limit
(RLIMIT_AS, inherited by the kernel) and a wall-clock limit after which the process
group and the kernel are killed. Submissions are never modified (copies are graded).

Writes OUT/grades.csv (one row per student x assignment, sorted, no timings, so a rerun
gives the same bytes), OUT/feedback/<student>/<assignment>.html, OUT/results.json (per
cell details). Without --out a new folder grading-output/run-NNN is made; an existing
non-empty --out is refused unless --overwrite is given (then its grades.csv, results.json
and feedback/ are replaced).
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import csv
import hashlib
import html
import io
import json
import os
import re
import resource
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import redact, sandbox, tamper
from autograder import reduce as reducer
from autograder import repair
from autograder.names import say, shown
from autograder.release import ROOT, discover_assignments, ensure_venv_on_path, generate
from autograder.results_store import Store, atomic_write
from autograder.submissions import MAX_FILE, Found, extract_zip, grade_ids, identify

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_MESSAGE = 1500          # characters of a failure message shown in feedback
HUGE_OUTPUT = 200_000       # characters of output in one notebook that count as huge
KILLERS = ("_exit", "kill", "abort", "killpg")
NB_STUDENT = "learner"      # the student id nbgrader sees: names never reach its command line


@dataclass
class Template:
    """One assignment prepared once: source copy, release and gradebook in ``root``."""
    assignment: str
    root: Path
    notebooks: dict          # stem -> info dict (tests, locked sources, order)


@dataclass
class Result:
    student: str
    assignment: str
    notebook: str
    score: float = 0.0
    max_score: float = 0.0
    cells: dict = field(default_factory=dict)     # test grade_id -> {points, max, passed, message}
    errors: list = field(default_factory=list)    # non-test cells that raised: {cell, grade_id, kind, ename, evalue}
    flags: set = field(default_factory=set)
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    rel: str = ""


# ------------------------------------------------------------------ preparation
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


# ------------------------------------------------------------------ one notebook
def _kill_tree(pid: int) -> None:
    """SIGKILL ``pid``, its process group and every descendant (kernels have their own session)."""
    victims = sandbox.descendants(pid)
    for p in victims:
        for kill in (lambda: os.killpg(p, signal.SIGKILL), lambda: os.kill(p, signal.SIGKILL)):
            try:
                kill()
            except (ProcessLookupError, PermissionError):
                pass


class Runner:
    """One fork server (autograder._runner) per worker thread."""
    _local = threading.local()
    _all: list = []

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder._runner"], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.ready = False
        Runner._all.append(self)

    @classmethod
    def prestart(cls, n: int) -> None:
        """Start n runners now (their imports overlap with the template's preparation)."""
        cls._spare = [cls() for _ in range(n)]

    @classmethod
    def get(cls) -> "Runner":
        r = getattr(cls._local, "runner", None)
        if r is None or r.proc.poll() is not None:
            spare = getattr(cls, "_spare", [])
            r = cls._local.runner = spare.pop() if spare else cls()
        if not r.ready:
            r._read(None)
            r.ready = True
        return r

    def _read(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the grading runner stopped")
        return json.loads(line)

    def start(self, task: dict) -> int:
        self.proc.stdin.write(json.dumps(task) + "\n")
        self.proc.stdin.flush()
        return self._read(None)["pid"]

    def wait(self, timeout):
        msg = self._read(timeout)
        return None if msg is None else msg["status"]

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    @classmethod
    def close_all(cls):
        for r in cls._all:
            r.close()
        cls._all.clear()


def _limits(memory_mb: int):
    def apply():
        if memory_mb:
            b = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (b, b))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def _outputs_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(str(out.get("data", {}).get("text/plain", "")))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
    return "".join(parts)


def _truncate(text: str, n: int = MAX_MESSAGE) -> str:
    text = ANSI.sub("", text)
    return text if len(text) <= n else text[:n] + f"\n... ({len(text) - n} more characters not shown)"


def _failure(cell, owners: dict) -> str | None:
    """Feedback for a test cell: the check's message or a short error (see autograder.redact)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return redact.test_message(out, owners)
    err = "".join(o.get("text", "") for o in cell.get("outputs", [])
                  if o.get("output_type") == "stream" and o.get("name") == "stderr")
    if err.strip():
        return redact.stderr_message(err)
    return None


def prepare_copy(found: Found, tpl: Template, nonce: str, expected: dict, result: Result,
                 neutralize: bool = False, reduce: bool = True) -> nbformat.NotebookNode | None:
    """Read the submission, record flags, return the notebook to grade (a copy), or None.

    The copy is repaired (autograder.repair: duplicated, renamed or pasted nbgrader cells)
    and, if ``reduce``, stripped of the released cells no test needs (autograder.reduce).
    """
    info = tpl.notebooks[found.notebook]
    try:
        nb, read_notes = repair.read(found.path)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
        fixes = read_notes + repair.repair(nb, info["released"])
    except Exception as exc:
        result.flags.add("corrupt_notebook")
        result.notes.append(f"cannot read the notebook: {type(exc).__name__}")
        return None
    if fixes:
        result.flags.add("cells_repaired")
        result.notes += [n for n in fixes if n not in result.notes]
    locked_sources = {s.strip() for s in info["locked"].values()}
    present = {}
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid:
            present[gid] = cell
    for gid, test in info["tests"].items():
        if gid not in present:
            result.flags.add("test_cell_restored")
            result.notes.append(f"test cell {gid} was deleted; restored and graded")
        elif present[gid].get("source", "").strip() not in (test["source"].strip(), test["full"].strip()):
            result.flags.add("test_cell_edited")
            result.notes.append(f"test cell {gid} was edited; restored from the source")
    for gid, src in info["locked"].items():
        if gid not in info["tests"] and gid in present and present[gid].get("source", "").strip() != src.strip():
            result.notes.append(f"locked cell {gid} was edited; restored from the source")
    problems, suspect = [], []
    for i, cell in enumerate(nb.cells):
        md = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or md.get("grade_id") in info["locked"] \
                or cell.get("source", "").strip() in locked_sources:   # e.g. a pasted copy of the setup cell
            continue
        name = md.get("grade_id") or f"#{i + 1}"
        zero, review = tamper.scan(cell.get("source", ""), info["protected"], info["used"], name)
        problems += zero
        suspect += review
        if neutralize and _kills_kernel(cell.get("source", "")):
            cell["source"] = ('raise RuntimeError("The grader removed this cell\'s code: '
                              'it stopped the Python kernel (os._exit, os.kill...).")')
            result.notes.append(f"cell {name} stopped the kernel; graded again without it")
    if problems:
        result.flags.add("tampering")
        result.notes += problems
    if suspect:
        result.flags.add("tampering_suspected")
        result.notes += ["review: " + n for n in suspect]
    if reduce:
        reducer.reduce(nb, info["released"])
    for cell in nb.cells:  # nbgrader clears outputs anyway; keep the copy small
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    check = nbformat.v4.new_code_cell(tamper.check_cell_source(
        nonce, expected, info["protected"], {g: t["full"] for g, t in info["tests"].items()}))
    check.metadata["autograder"] = "tamper-check"
    nb.cells.append(check)
    return nb


def _unsandboxed(opts) -> set:
    return {"unsandboxed"} if getattr(opts, "no_sandbox", False) else set()


def _kills_kernel(src: str) -> bool:
    return any(re.search(rf"\b(os|posix|signal)\s*\.\s*{k}\b", src) for k in KILLERS) or "os._exit" in src


def run_autograde(task_root: Path, tpl: Template, found: Found, nb, opts) -> tuple[str, Path]:
    """Run nbgrader autograde on one copied notebook; returns (status, autograded path)."""
    a, s = tpl.assignment, NB_STUDENT
    if task_root.exists():
        shutil.rmtree(task_root)
    shutil.copytree(tpl.root / "source", task_root / "source")
    shutil.copy2(tpl.root / "gradebook.db", task_root / "gradebook.db")
    sub = task_root / "submitted" / s / a
    sub.mkdir(parents=True)
    nbformat.write(nb, sub / f"{found.notebook}.ipynb")
    (task_root / "nbgrader_config.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "from autograder.settings import apply\n"
        f"apply(get_config(), root={str(task_root)!r}, cell_timeout={int(opts.cell_timeout)})\n"
        "c = get_config()\n" + sandbox.config_text(sandbox=not opts.no_sandbox, files=str(tpl.root / "source" / a),
                                                   nproc=opts.max_processes, mpl_cache=opts.mpl_cache))
    env = {"PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "MPLBACKEND": "Agg", "IPYTHONDIR": str(task_root / ".ipython"),
           "JUPYTER_RUNTIME_DIR": str(task_root / ".runtime"), "PYTHONWARNINGS": "ignore"}
    runner = Runner.get()
    pid = runner.start({"cwd": str(task_root), "argv": ["autograde", a, "--student", s],
                        "log": str(task_root / "autograde.log"), "memory_mb": opts.memory_mb, "env": env})
    status = "done"
    if runner.wait(opts.notebook_timeout) is None:
        _kill_tree(pid)
        status = "killed"
        if runner.wait(30) is None:  # pragma: no cover - the runner itself is stuck
            runner.close()
    _kill_tree(pid)  # a kernel left behind, if any (in the sandbox its PID namespace ends with it)
    return status, task_root / "autograded" / s / a / f"{found.notebook}.ipynb"


def grade_one(found: Found, tpl: Template, opts, expected: dict, workdir: Path) -> Result:
    t0 = time.monotonic()
    info = tpl.notebooks[found.notebook]
    result = Result(found.student, found.assignment, found.notebook, rel=found.rel,
                    flags=set(found.flags) | _unsandboxed(opts), notes=list(found.notes),
                    max_score=sum(t["points"] for t in info["tests"].values()))
    result.cells = {gid: {"points": 0.0, "max": t["points"], "passed": False, "message": "not graded"}
                    for gid, t in info["tests"].items()}
    task_root = workdir / "tasks" / hashlib.sha256(f"{found.student}/{found.rel}".encode(
        "utf-8", "surrogateescape")).hexdigest()[:16]
    for attempt in (0, 1):
        nonce = secrets.token_hex(8)
        nb = prepare_copy(found, tpl, nonce, expected, result, neutralize=attempt == 1,
                          reduce=getattr(opts, "reduce", True))
        if nb is None:
            break
        status, graded = run_autograde(task_root, tpl, found, nb, opts)
        log = (task_root / "autograde.log").read_text(errors="replace")
        if status == "killed":
            result.flags.add("killed_timeout")
            result.notes.append(f"grading took longer than {opts.notebook_timeout} s and was killed "
                                "(a loop that ignores interrupts?)")
            break
        if graded.exists():
            _read_graded(result, graded, task_root, tpl, found, nonce, info, opts)
            break
        if "MemoryError" in log or "Cannot allocate memory" in log:
            result.flags.add("memory_limit")
        if "DeadKernelError" in log or "Kernel died" in log or "kernel died" in log.lower():
            result.flags.add("kernel_died")
            if attempt == 0:
                src_ok, _ = repair.read(found.path)
                if any(_kills_kernel(c.source) for c in src_ok.cells if c.cell_type == "code"):
                    result.flags -= {"tampering", "tampering_suspected"}
                    result.notes = [n for n in result.notes if not n.startswith(("cell `", "review: cell `"))]
                    continue
            result.notes.append("the Python kernel died while running the notebook")
        elif "Timeout" in log or "timeout" in log:
            result.flags.add("killed_timeout")
            if "_autograder_fp" in log:   # the timed-out cell is the grader's own final check
                result.notes.append("after the notebook's cells ran, the kernel no longer answered (most often a "
                                    "cell that filled the memory limit and kept the memory, e.g. a list that "
                                    "grows forever); the grader's final check could not run: not graded")
            else:
                result.notes.append(f"a cell ignored the interrupt sent after {opts.cell_timeout} s "
                                    "(a loop that catches KeyboardInterrupt?); grading stopped")
        else:
            result.flags.add("grading_error")
            tail = [ln for ln in ANSI.sub("", log).splitlines() if "error" in ln.lower()][-3:]
            result.notes.append("nbgrader could not grade it: " + " | ".join(
                re.sub(r"/\S+", "<path>", ln.strip()) for ln in tail))
        break
    if result.flags & {"tampering", "killed_timeout", "corrupt_notebook"} or (
            "kernel_died" in result.flags and not any(c["message"] != "not graded" for c in result.cells.values())):
        for c in result.cells.values():
            c["points"] = 0.0
            c["passed"] = False
    redact.apply(result, info["redactor"], trusted=found.notes)
    result.score = sum(c["points"] for c in result.cells.values())
    result.seconds = time.monotonic() - t0
    if not opts.keep_work:
        shutil.rmtree(task_root, ignore_errors=True)
    return result


def _read_graded(result, graded: Path, task_root: Path, tpl, found, nonce, info, opts) -> None:
    from nbgrader.api import Gradebook
    nb = nbformat.read(graded, as_version=4)
    total_output = 0
    verdict = None
    owners = {}
    for i, cell in enumerate(nb.cells):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and cell.get("execution_count"):
            kind = "test" if gid in info["tests"] else ("locked" if gid in info["locked"] else "learner")
            owners[cell.execution_count] = (gid or f"#{i + 1}", kind)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        text = _outputs_text(cell)
        if cell.metadata.get("autograder") == "tamper-check":
            verdict = tamper.parse_verdict(text, nonce)
            continue
        total_output += len(text)
        if "... Output truncated ..." in text:   # nbgrader's LimitOutput kept only 1000 lines
            total_output += HUGE_OUTPUT
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        for out in cell.outputs:
            if out.get("output_type") != "error":
                continue
            ename = out.get("ename", "")
            where = f"cell {gid or '#' + str(i + 1)}"
            if ename in ("CellTimeoutError",) or (ename == "KeyboardInterrupt"):
                result.flags.add("cell_timeout")
                result.notes.append(f"{where} was interrupted after {opts.cell_timeout} s")
            if ename == "MemoryError":
                result.flags.add("memory_limit")
                result.notes.append(f"{where} ran out of memory (limit {opts.memory_mb} MiB)")
            if ename == "SystemExit":
                result.flags.add("sys_exit")
                result.notes.append(f"{where} called sys.exit()")
            if gid not in info["tests"]:
                result.errors.append({"cell": i + 1, "grade_id": gid,
                                      "kind": "answer" if gid in info["answers"] else ("locked" if gid else "other"),
                                      "ename": ename, "evalue": redact.error_summary(out, owners)})
        if gid in info["tests"]:
            result.cells[gid]["message"] = _failure(cell, owners)
            if result.cells[gid]["message"] is None:
                missing = tamper.missing_prints(info["tests"][gid]["full"], text)
                if missing:
                    result.flags.add("tampering")
                    result.notes.append(f"test cell {gid} passed without printing {missing[0]!r}: "
                                        "it did not run as written")
    if total_output > HUGE_OUTPUT:
        result.flags.add("huge_output")
        result.notes.append(f"the notebook printed {total_output} characters; feedback truncated")
    if verdict is None:
        result.flags.add("tamper_check_missing")
        result.notes.append("the final integrity check printed nothing (review by hand)")
    else:
        zero, review = tamper.judge_verdict(verdict, info["used"])
        if zero:
            result.flags.add("tampering")
            result.notes += zero
        if review:
            result.flags.add("tampering_suspected")
            result.notes += ["review: " + n for n in review]
        if verdict.get("geterr", {}).get("over") == "ignore" or verdict.get("geterr", {}).get("invalid") == "ignore":
            result.flags.add("warnings_silenced")
            result.notes.append("np.seterr was changed globally: numpy warnings tests look for are hidden")
    with Gradebook(f"sqlite:///{task_root / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(found.notebook, tpl.assignment, NB_STUDENT)
        for grade in sub.grades:
            if grade.name not in result.cells:
                continue
            c = result.cells[grade.name]
            c["points"] = float(grade.score or 0.0)
            c["max"] = float(grade.max_score)
            c["passed"] = c["points"] >= c["max"] and c["message"] is None
            if grade.needs_manual_grade:
                result.flags.add("needs_manual_grading")
            if c["message"] is None:
                c["message"] = "" if c["passed"] else "partial credit"


# ------------------------------------------------------------------ reports
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


def missing_row(student: str, assignment: str, stem: str, info: dict, problems: list) -> Result:
    """The row of a student who submitted something, but not this notebook."""
    r = Result(student, assignment, stem, max_score=sum(t["points"] for t in info["tests"].values()),
               flags={"missing_notebook"}, notes=[f"no {stem}.ipynb submitted"])
    r.cells = {g: {"points": 0.0, "max": t["points"], "passed": False, "message": "not submitted"}
               for g, t in info["tests"].items()}
    for which, flag, note in problems:     # e.g. a symlink or a damaged zip member in its place
        if which in (None, stem):
            r.flags.add(flag)
            r.notes.append(note)
    return r


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m autograder.grade", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("submissions", type=Path, nargs="+",
                   help="folders or .zip files of submitted notebooks (graded as one batch)")
    p.add_argument("--workers", type=int, default=2, help="notebooks graded at once (default 2)")
    p.add_argument("--out", type=Path, help="output folder (default: a new grading-output/run-NNN)")
    p.add_argument("--overwrite", action="store_true", help="replace the results in an existing --out")
    p.add_argument("--resume", action="store_true",
                   help="keep the notebooks already graded into --out (its results.jsonl), grade the rest")
    p.add_argument("--source", type=Path, default=ROOT / "solutions", help="nbgrader source folder")
    p.add_argument("--assignment", action="append", default=[],
                   help="only these assignments (repeatable); a student without one gets missing_notebook")
    p.add_argument("--cell-timeout", type=int, default=30, help="seconds per cell (default 30)")
    p.add_argument("--notebook-timeout", type=int, default=300,
                   help="wall-clock seconds per notebook before everything is killed (default 300)")
    p.add_argument("--memory-mb", type=int, default=3072, help="address-space limit per notebook (MiB)")
    p.add_argument("--max-file-mb", type=float, default=MAX_FILE / 2**20,
                   help="a notebook or zip member larger than this is not read (default 100)")
    p.add_argument("--no-reduce", dest="reduce", action="store_false",
                   help="run every cell, experiments included (default: only what tests need)")
    p.add_argument("--keep-work", action="store_true", help="keep the temporary course directories")
    p.add_argument("--max-processes", type=int, default=256,
                   help="processes + threads a notebook may run at once (RLIMIT_NPROC in the sandbox)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run kernels without bubblewrap (UNSAFE: learner code runs with your rights; "
                        "every row gets the flag unsandboxed)")
    opts = p.parse_args(argv)
    ensure_venv_on_path()
    if not opts.no_sandbox:
        sandbox.require()
    for sub in opts.submissions:
        if not os.path.lexists(sub):
            p.error(f"{shown(sub)} does not exist")
        if sub.is_file() and sub.suffix.lower() != ".zip":
            p.error("SUBMISSIONS must be folders or .zip files")
    assignments = opts.assignment or discover_assignments(opts.source)
    if not assignments:
        p.error(f"no assignment in {shown(opts.source)}")
    if opts.resume and opts.out is None:
        p.error("--resume needs --out (the folder to finish)")
    out = choose_out(opts.out, opts.overwrite, opts.resume)
    workdir = Path(tempfile.mkdtemp(prefix="grade-"))
    t_start = time.monotonic()
    cap = int(opts.max_file_mb * 2**20)
    try:
        skipped: list[tuple[str, str]] = []
        roots, problems = [], []
        for k, sub in enumerate(opts.submissions):
            problems.append([])
            if sub.is_file():     # an LMS zip: extracted (streamed, member by member) into the work folder
                dest = workdir / "unzipped" / f"{k}" / sub.name
                more: list = []
                extract_zip(sub, dest, more, problems[-1], member_cap=cap)
                skipped += [(f"{shown(sub.name)}:{f}", why) for f, why in more]
                roots.append(dest)
            else:
                roots.append(sub)
        if len(roots) == 1:
            roots, problems = roots[0], problems[0]
        found, more, students = identify(roots, source_notebooks(opts.source, assignments), problems, cap)
        skipped += more
        wanted = sorted(set(opts.assignment) or {f.assignment for f in found})
        say(f"{len(found)} notebook(s) of {len(students)} student(s) for {', '.join(wanted) or '-'}")
        store = Store(out, {"cell_timeout": opts.cell_timeout, "memory_mb": opts.memory_mb,
                            "notebook_timeout": opts.notebook_timeout, "reduce": opts.reduce,
                            "source": str(opts.source.resolve())}, opts.resume)
        todo = [f for f in found if f.assignment in wanted]
        keys = {id(f): store.key(f.student, f.notebook, f.path) for f in todo}
        results: list[Result] = []
        for f in todo:
            done = store.get(keys[id(f)])
            if done is not None:
                results.append(Result(**{**done, "flags": set(done["flags"])}))
        todo = [f for f in todo if store.get(keys[id(f)]) is None]
        if results:
            say(f"{len(results)} notebook(s) already graded in {shown(out / 'results.jsonl')}: kept (--resume)")
        Runner.prestart(max(1, min(opts.workers, len(todo))))
        templates = {a: build_template(opts.source, a, workdir, opts.cell_timeout) for a in wanted}
        expected = tamper.expected_fingerprints()
        opts.mpl_cache = sandbox.font_cache()
        have = {(f.student, f.notebook) for f in found}
        for s in students:
            for a in wanted:
                for stem, info in templates[a].notebooks.items():
                    if (s, stem) not in have:
                        results.append(missing_row(s, a, stem, info, students[s]))
                        results[-1].flags |= _unsandboxed(opts)
        last_write = time.monotonic()
        with cf.ThreadPoolExecutor(max_workers=max(1, opts.workers)) as pool:
            futures = {pool.submit(grade_one, f, templates[f.assignment], opts, expected, workdir): f for f in todo}
            for k, fut in enumerate(cf.as_completed(futures), 1):
                f = futures[fut]
                try:
                    r = fut.result()
                except Exception as exc:  # never lose the batch: a row with every test cell at 0
                    r = missing_row(f.student, f.assignment, f.notebook, templates[f.assignment].notebooks[f.notebook], [])
                    r.rel, r.flags = f.rel, {"grading_error", *f.flags} | _unsandboxed(opts)
                    r.notes = [*f.notes, f"internal error: {type(exc).__name__}: {shown(exc)}"]
                    for c in r.cells.values():
                        c["message"] = "not graded (internal error)"
                results.append(r)
                store.add(keys[id(f)], r)          # on disk now: a crash later loses nothing
                if time.monotonic() - last_write > 5:
                    write_outputs(out, results, templates)
                    last_write = time.monotonic()
                flags = f"  [{', '.join(sorted(r.flags))}]" if r.flags else ""
                say(f"[{k}/{len(todo)}] {r.student}/{r.assignment} {r.score:g}/{r.max_score:g} "
                    f"{r.seconds:.1f}s{flags}", flush=True)
        table = write_outputs(out, results, templates)
        from autograder.gradebook_sync import record  # the course's nbgrader gradebook (one call)
        record(results, templates, opts)
        if skipped:
            atomic_write(out / "skipped.txt", "".join(f"{shown(f)}: {shown(why)}\n" for f, why in skipped))
        elapsed = time.monotonic() - t_start
        say(f"\n{len(table)} grade(s) written to {out / 'grades.csv'}; feedback in {out / 'feedback'}")
        if table:
            mean = sum(float(r["score"]) for r in table) / len(table)
            say(f"mean score {mean:.2f}; {len(todo)} notebook(s) graded in {elapsed:.1f} s "
                f"with {opts.workers} worker(s)")
        flagged = [r for r in table if r["flags"]]
        counts: dict[str, int] = {}
        for r in flagged:
            for fl in r["flags"].split(";"):
                counts[fl] = counts.get(fl, 0) + 1
        if counts:
            say("flags: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
            for r in flagged:
                say(f"  {r['student']}/{r['assignment']}: {r['flags']}")
        for f, why in skipped:
            say(f"skipped {f}: {why}")
        if opts.no_sandbox:
            say("WARNING: graded with --no-sandbox: learner code ran with your rights, unconfined "
                "(every row is flagged unsandboxed)")
        return 0
    finally:
        Runner.close_all()
        if opts.keep_work:
            say(f"work kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
