"""A fork server for ``nbgrader autograde`` (importing nbgrader costs seconds; forking, nothing).

Started once per worker by :mod:`autograder.grade`. Reads one JSON task per line on stdin:
``{"cwd": DIR, "argv": [...], "log": FILE, "memory_mb": N, "env": {...}}``; forks a child
that starts its own session (so it and its kernel can be killed as a group), sets
RLIMIT_AS (inherited by the kernel), and runs nbgrader's app; prints ``{"pid": P}`` at
once and ``{"status": S}`` (the exit status, negative for a signal) when the child ends.
Warnings are silenced here for nbgrader's own noise only: the kernel does not inherit this
environment (``autograder.execution.sandbox.SandboxKernelManager`` gives it a learner's, without
``PYTHONWARNINGS``), so a warning in a test cell fails it as in JupyterLab.
"""
import json
import os
import resource
import sys


def _child(task):
    os.setsid()
    if task.get("memory_mb"):
        b = int(task["memory_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (b, b))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    fd = os.open(task["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.chdir(task["cwd"])
    os.environ.update(task.get("env", {}))
    sys.argv = ["nbgrader", *task["argv"]]
    code = 1
    try:
        from nbgrader.apps.nbgraderapp import NbGraderApp
        NbGraderApp.launch_instance(argv=task["argv"])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:  # noqa: BLE001 - report anything, then leave
        print(f"runner: {type(exc).__name__}: {exc}", flush=True)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main():
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    import warnings
    warnings.simplefilter("ignore")
    import nbgrader.apps.nbgraderapp  # noqa: F401  (the point: import once, fork many times)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        task = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(task)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        print(json.dumps({"status": code}), flush=True)


if __name__ == "__main__":
    main()
