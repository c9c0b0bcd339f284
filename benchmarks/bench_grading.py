"""Per-submission grading time of some notebooks (a benchmark, not a test).

For each notebook, a batch of REPEAT copies of its solution (students s1, s2, ...) is graded
with ``python -m autograder.grade --workers 1``; the wall-clock seconds per submission come
from results.json (time from reading the submission to the score, start-up excluded): median,
min and max, and notebooks per hour of one worker (3600 / median). The CPU seconds per
submission (every process of the grader and its kernels, so independent of other load on
the machine) are the CPU of that batch minus the CPU of a batch of one, over REPEAT - 1.
Extra arguments after ``--`` go to the grader (e.g. ``-- --no-reduce``).

    python benchmarks/bench_grading.py [--notebooks 00 02 07] [--repeat 3] [-- GRADER ARGS]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--notebooks", nargs="+", default=["00", "02", "07"], help="assignment number prefixes")
    p.add_argument("--repeat", type=int, default=4, help="submissions per notebook (default 4, at least 2)")
    p.add_argument("--root", type=Path, default=ROOT, help="repository whose grader is timed")
    args = p.parse_args(argv)
    for prefix in args.notebooks:
        [folder] = sorted((args.root / "solutions").glob(f"{prefix}_*"))
        a = folder.name
        cpu, rows = {}, []
        for n in (1, args.repeat):       # CPU of the batch of REPEAT minus that of 1: start-up excluded
            with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
                subs = Path(tmp) / "subs"
                for k in range(1, n + 1):
                    (subs / f"s{k}" / a).mkdir(parents=True)
                    shutil.copy(folder / f"{a}.ipynb", subs / f"s{k}" / a / f"{a}.ipynb")
                out = Path(tmp) / "out"
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                proc = subprocess.run([sys.executable, "-m", "autograder.grade", str(subs), "--out", str(out),
                                       "--workers", "1", *extra], cwd=args.root, capture_output=True, text=True)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if proc.returncode:
                    print(proc.stdout, proc.stderr)
                    return 1
                cpu[n] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
                rows = json.loads((out / "results.json").read_text())
        secs = sorted(r["seconds"] for r in rows)
        scores = {f"{r['score']:g}/{r['max_score']:g}" for r in rows}
        med = statistics.median(secs)
        per_cpu = (cpu[args.repeat] - cpu[1]) / (args.repeat - 1)
        print(f"{a}: wall median {med:.1f} s per submission (min {secs[0]:.1f}, max {secs[-1]:.1f}, "
              f"n={len(secs)}), {3600 / med:.0f} notebooks/hour per worker; CPU {per_cpu:.1f} s per "
              f"submission, {3600 / per_cpu:.0f} notebooks/hour per core; scores {sorted(scores)}; "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
