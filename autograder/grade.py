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
import hashlib
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

from autograder.execution import sandbox
from autograder.execution.runner import Runner, run_autograde
from autograder.intake import repair
from autograder.intake.names import say, shown
from autograder.intake.submissions import MAX_FILE, Found, extract_zip, identify
from autograder.release import ROOT, discover_assignments, ensure_venv_on_path
from autograder.reporting import redact
from autograder.reporting.redact import ANSI
from autograder.reporting.results import choose_out, write_outputs
from autograder.reporting.results_store import Store, atomic_write
from autograder.verdict import tamper
from autograder.verdict.outcome import read_graded
from autograder.verdict.prepare import kills_kernel, prepare_copy
from autograder.verdict.result import Result, missing_row
from autograder.verdict.template import Template, build_template, source_notebooks


def _unsandboxed(opts) -> set:
    return {"unsandboxed"} if getattr(opts, "no_sandbox", False) else set()


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
            read_graded(result, graded, task_root, tpl, found, nonce, info, opts)
            break
        if "MemoryError" in log or "Cannot allocate memory" in log:
            result.flags.add("memory_limit")
        if "DeadKernelError" in log or "Kernel died" in log or "kernel died" in log.lower():
            result.flags.add("kernel_died")
            if attempt == 0:
                src_ok, _ = repair.read(found.path)
                if any(kills_kernel(c.source) for c in src_ok.cells if c.cell_type == "code"):
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
        from autograder.reporting.gradebook import record  # the course's nbgrader gradebook (one call)
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
