"""Run ``nbgrader autograde`` on one notebook: forked from a per-worker server, killed on time."""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from autograder.execution import sandbox
from autograder.release import ROOT

if TYPE_CHECKING:
    from autograder.intake.submissions import Found
    from autograder.verdict.template import Template

NB_STUDENT = "learner"      # the student id nbgrader sees: names never reach its command line


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid``, its process group and every descendant (kernels have their own session)."""
    victims = sandbox.descendants(pid)
    for p in victims:
        for kill in (lambda: os.killpg(p, signal.SIGKILL), lambda: os.kill(p, signal.SIGKILL)):
            try:
                kill()
            except (ProcessLookupError, PermissionError):
                pass


class Runner:
    """One fork server (autograder.execution.forkserver) per worker thread."""
    _local = threading.local()
    _all: list = []

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.execution.forkserver"], cwd=ROOT,
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
        kill_tree(pid)
        status = "killed"
        if runner.wait(30) is None:  # pragma: no cover - the runner itself is stuck
            runner.close()
    kill_tree(pid)  # a kernel left behind, if any (in the sandbox its PID namespace ends with it)
    return status, task_root / "autograded" / s / a / f"{found.notebook}.ipynb"
