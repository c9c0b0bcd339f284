"""Per-submission grading time of some notebooks (a benchmark, not a test).

For each notebook, a batch of REPEAT copies of its solution (students s1, s2, ...) is graded
with ``python -m autograder.grade --workers 1``; the seconds per submission come from
results.json (time from reading the submission to the score, start-up excluded). Prints the
median, min and max per notebook and the notebooks per hour of one worker (3600 / median).
Extra arguments after ``--`` go to the grader (e.g. ``-- --no-reduce``).

    python benchmarks/bench_grading.py [--notebooks 00 02 07] [--repeat 3] [-- GRADER ARGS]
"""
from __future__ import annotations

import argparse
import json
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
    p.add_argument("--repeat", type=int, default=3, help="submissions per notebook (default 3)")
    p.add_argument("--root", type=Path, default=ROOT, help="repository whose grader is timed")
    args = p.parse_args(argv)
    for prefix in args.notebooks:
        [folder] = sorted((args.root / "solutions").glob(f"{prefix}_*"))
        a = folder.name
        with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
            subs = Path(tmp) / "subs"
            for k in range(1, args.repeat + 1):
                (subs / f"s{k}" / a).mkdir(parents=True)
                shutil.copy(folder / f"{a}.ipynb", subs / f"s{k}" / a / f"{a}.ipynb")
            out = Path(tmp) / "out"
            proc = subprocess.run([sys.executable, "-m", "autograder.grade", str(subs), "--out", str(out),
                                   "--workers", "1", *extra], cwd=args.root, capture_output=True, text=True)
            if proc.returncode:
                print(proc.stdout, proc.stderr)
                return 1
            rows = json.loads((out / "results.json").read_text())
            secs = sorted(r["seconds"] for r in rows)
            scores = {f"{r['score']:g}/{r['max_score']:g}" for r in rows}
            med = statistics.median(secs)
            print(f"{a}: median {med:.1f} s per submission (min {secs[0]:.1f}, max {secs[-1]:.1f}, "
                  f"n={len(secs)}), {3600 / med:.0f} notebooks/hour per worker; scores {sorted(scores)}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
