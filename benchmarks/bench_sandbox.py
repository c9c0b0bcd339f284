"""What the bubblewrap sandbox costs per notebook.

    python benchmarks/bench_sandbox.py [--notebooks 4] [--repeat 3] [--kernels 10]

0. the sandbox's own start-up: ``/usr/bin/true`` in bwrap with the grader's arguments (namespaces,
   mounts, the font list copied) or plainly, alternating, 3 x ``--kernels`` times each: median and
   minimum wall clock (CPU time cannot be read: bwrap's PID namespace hides it from this process);
1. kernel start + one cell + shutdown, with and without the sandbox (alternating, ``--kernels``
   times each): wall-clock median (CPU time is not comparable here: a sandboxed kernel is killed
   with its PID namespace, so its CPU time is never reported to this process);
2. ``python -m autograder.grade`` on ``--notebooks`` correct submissions of notebook 00, one
   worker, with and without ``--no-sandbox`` (alternating, ``--repeat`` times each): wall clock per
   notebook (median of the runs) and CPU time of the whole grading per notebook.
CPU time is the figure to trust on a loaded machine; the wall clock is printed with the load.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cpu() -> float:  # this process and the children it waited for
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def one_launch(sandbox: bool) -> float:
    """Wall-clock seconds of /usr/bin/true, in bwrap with the grader's arguments or plainly."""
    from autograder.execution import sandbox as sb
    km = sb.SandboxKernelManager()
    km._root = os.geteuid() == 0
    km._run = tempfile.mkdtemp(prefix="agk-")
    km.mpl_cache = sb.font_cache()
    cmd = (km._bwrap_args(sys.executable) + ["--", "/usr/bin/true"]) if sandbox else ["/usr/bin/true"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, pass_fds=tuple(getattr(km, "_fds", [])))
    took = time.perf_counter() - t0
    for fd in getattr(km, "_fds", []):
        os.close(fd)
    os.rmdir(km._run)
    return took


def one_kernel(sandbox: bool, mpl: str) -> tuple[float, float]:
    import nbformat
    from nbclient import NotebookClient

    from autograder.execution.sandbox import SandboxKernelManager
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    c0, t0 = cpu(), time.perf_counter()
    client = NotebookClient(nb, kernel_manager_class=SandboxKernelManager, timeout=60)
    client.km = client.create_kernel_manager()
    client.km.sandbox, client.km.mpl_cache = sandbox, mpl
    client.execute()
    return time.perf_counter() - t0, cpu() - c0


def grading(n: int, sandbox: bool, work: Path) -> tuple[float, float]:
    from tests.fixtures import hostile
    import nbformat
    subs = work / "subs"
    if not subs.exists():
        for i in range(n):
            path = subs / f"s{i:02d}" / hostile.NAME / f"{hostile.NAME}.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(hostile.notebook("correct", None, {}), path)
    out = work / f"out-{sandbox}-{time.monotonic_ns()}"
    c0, t0 = cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder.grade", str(subs), "--out", str(out), "--workers", "1",
                    *([] if sandbox else ["--no-sandbox"])], cwd=ROOT, check=True, capture_output=True)
    return (time.perf_counter() - t0) / n, (cpu() - c0) / n


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--notebooks", type=int, default=4)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--kernels", type=int, default=10)
    p.add_argument("--launch-only", action="store_true", help="only part 0")
    a = p.parse_args()
    from autograder.execution.sandbox import font_cache
    mpl = font_cache()
    print(f"load average at start: {os.getloadavg()}")
    launch = {True: [], False: []}
    for _ in range(3 * a.kernels):
        for sb in (True, False):
            launch[sb].append(one_launch(sb))
    for sb in (True, False):
        print(f"/usr/bin/true, sandbox={sb}: wall {1000 * statistics.median(launch[sb]):.1f} ms (median), "
              f"{1000 * min(launch[sb]):.1f} ms (min)")
    print(f"  sandbox start-up: {1000 * (statistics.median(launch[True]) - statistics.median(launch[False])):+.1f} ms "
          f"(median), {1000 * (min(launch[True]) - min(launch[False])):+.1f} ms (min)")
    if a.launch_only:
        return
    res = {True: [], False: []}
    for _ in range(a.kernels):
        for sb in (True, False):
            res[sb].append(one_kernel(sb, mpl))
    for sb in (True, False):
        w = statistics.median(x[0] for x in res[sb])
        c = statistics.median(x[1] for x in res[sb])
        print(f"kernel start + 1 cell + shutdown, sandbox={sb}: wall {w:.3f} s (median)")
    print(f"  sandbox overhead per kernel: wall {statistics.median(x[0] for x in res[True]) - statistics.median(x[0] for x in res[False]):+.3f} s")
    with tempfile.TemporaryDirectory() as tmp:
        g = {True: [], False: []}
        for _ in range(a.repeat):
            for sb in (True, False):
                g[sb].append(grading(a.notebooks, sb, Path(tmp)))
        for sb in (True, False):
            print(f"grading notebook 00, 1 worker, sandbox={sb}: wall {statistics.median(x[0] for x in g[sb]):.2f} s "
                  f"per notebook (median of {a.repeat}, start-up included)")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
