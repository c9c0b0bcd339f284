"""Start every grading kernel inside bubblewrap (``bwrap``): the learner's code sees nothing else.

nbgrader's autograde (the trusted process: it holds the gradebook and the test sources) starts
its kernel through jupyter_client; :class:`SandboxKernelManager` (set as
``Execute.kernel_manager_class``) changes only how that kernel is started:

- transport ``ipc``: the ZMQ sockets are Unix sockets in a fresh run folder ``RUN`` (connection
  file + sockets, nothing else) that is bound into this kernel's sandbox alone, so the network
  namespace stays empty;
- ``bwrap`` gives the kernel its own PID, IPC, network, UTS (and cgroup) namespaces, a new session,
  ``--die-with-parent``, an empty environment plus a few variables (no ``PYTHONWARNINGS``, no
  ``MPLBACKEND``: the warning filters are a learner's JupyterLab ones), and a file system that is
  a tmpfs root with read-only binds of ``/usr`` (and the ``/lib``, ``/bin`` links), the
  interpreter's install prefix, the venv and ``deeplib/``; a private writable tmpfs home
  (``/home/learner``, the kernel's working directory) holding a copy of the assignment's own
  files (never the notebook's folder of the grader), and a tmpfs ``/tmp``. Not the repository,
  ``solutions/``, ``tests/``, gradebooks, other submissions, the output or the host's ``/proc``;
- in the sandbox a small boot script (:data:`BOOT`) drops to an unprivileged user when bwrap ran
  as root (uid 65534 in a user namespace of its own: real root is exempt from process limits),
  sets ``RLIMIT_NPROC`` (a process/thread-count limit counted per sandbox) and runs
  ``ipykernel_launcher``. ``RLIMIT_AS`` (memory) is inherited from the grader's task process;
  the wall-clock limit is the grader's: killing the task kills bwrap, and the PID namespace ends
  with every process the notebook started.

``sandbox = False`` (``--no-sandbox``) keeps only the clean environment and the ipc transport.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Int, Unicode

HOME = "/home/learner"
NOBODY = 65534
TMPFS_MB = 512           # size of each tmpfs (/tmp and the home): files there take RAM
INSTALL_HINT = ("error: bubblewrap (bwrap) is not installed; the grader runs every notebook in it. "
                "Install it (Debian/Ubuntu: apt-get install -y bubblewrap) or, on a machine that "
                "cannot have it, pass --no-sandbox (learner code then runs with your rights).")

#: Run as ``python -c BOOT -f CONNECTION_FILE ...`` inside the sandbox, before any learner code.
BOOT = r'''
import os, sys, resource
if os.getuid() == 0 and os.environ.get("AUTOGRADER_DROP") == "1":
    import ctypes
    os.setgroups([]); os.setgid(65534); os.setuid(65534)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x10000000) == 0:                     # CLONE_NEWUSER: a user namespace of its own
        for cap in range(64):
            libc.prctl(24, cap, 0, 0, 0)                  # PR_CAPBSET_DROP
        hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)
        libc.capset(hdr, (ctypes.c_uint32 * 6)())         # no capability left
for k in ("AUTOGRADER_DROP",):
    os.environ.pop(k, None)
n = int(os.environ.pop("AUTOGRADER_NPROC", "0") or 0)
if n:
    resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
import runpy
sys.argv[0] = "ipykernel_launcher"
runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
'''


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def require() -> None:
    """Stop with one line saying how to install bubblewrap when it is missing."""
    if bwrap_path() is None:
        raise SystemExit(INSTALL_HINT)


def font_cache() -> str:
    """matplotlib's font list of this venv (copied into each sandbox so no kernel rebuilds it)."""
    try:
        import matplotlib
        from matplotlib import font_manager  # noqa: F401  (builds the list if there is none)
        found = sorted(Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))
        return str(found[-1]) if found else ""
    except Exception:  # pragma: no cover - matplotlib missing or broken
        return ""


def config_text(*, sandbox: bool, files: str, nproc: int, mpl_cache: str) -> str:
    """Lines for a task's nbgrader_config.py that put the kernel in the sandbox."""
    return ("c.Execute.kernel_manager_class = 'autograder.execution.sandbox.SandboxKernelManager'\n"
            f"c.SandboxKernelManager.sandbox = {bool(sandbox)!r}\n"
            f"c.SandboxKernelManager.files = {str(files)!r}\n"
            f"c.SandboxKernelManager.nproc = {int(nproc)}\n"
            f"c.SandboxKernelManager.mpl_cache = {str(mpl_cache)!r}\n")


def _dirs_for(path: str, made: set) -> list[str]:
    """bwrap arguments creating every missing ancestor of ``path`` world-readable (bwrap's are 0700)."""
    args = []
    parts = Path(path).parts
    for i in range(2, len(parts)):
        d = str(Path(*parts[:i]))
        if d not in made:
            made.add(d)
            args += ["--perms", "0755", "--dir", d]
    return args


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = "/" + name
        if os.path.islink(p):
            args += ["--symlink", os.readlink(p), p]
        elif os.path.isdir(p):
            args += ["--ro-bind", p, p]
    for f in ("/etc/ld.so.cache", "/etc/localtime", "/etc/fonts"):
        args += ["--ro-bind-try", f, f]
    return args


def descendants(pid: int) -> list[int]:
    """``pid`` and all its descendants (host PIDs), parents first."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            ppid = int(text.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop(0)
        out.append(p)
        todo += children.get(p, [])
    return out


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in bubblewrap and talks over ipc sockets."""

    sandbox = Bool(True, help="start the kernel in bwrap (False: --no-sandbox)").tag(config=True)
    nproc = Int(256, help="RLIMIT_NPROC in the sandbox (processes + threads); 0: none").tag(config=True)
    files = Unicode("", help="assignment folder whose non-notebook files are copied to the home").tag(config=True)
    mpl_cache = Unicode("", help="matplotlib font list to copy into the sandbox").tag(config=True)

    _run: str | None = None
    _fds: list

    # ------------------------------------------------------------ start
    async def _async_pre_start_kernel(self, **kw):
        base = tempfile.gettempdir()
        if len(base) > 60:          # Unix socket paths are limited to 107 bytes
            base = "/tmp"
        self._run = tempfile.mkdtemp(prefix="agk-", dir=base)
        self._root = os.geteuid() == 0
        if self._root and self.sandbox:
            os.chown(self._run, NOBODY, NOBODY)
        self.transport = "ipc"
        self.ip = os.path.join(self._run, "k")
        self.connection_file = os.path.join(self._run, "kernel.json")
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        if cmd[1:3] != ["-m", "ipykernel_launcher"]:
            raise RuntimeError(f"unexpected kernel command {cmd[:3]}: the grader runs ipykernel only")
        python = cmd[0]
        kernel = [python, "-c", BOOT, *cmd[3:]]
        if not self.sandbox:
            return kernel
        return self._bwrap_args(python) + ["--", *kernel]

    def _bwrap_args(self, python: str) -> list[str]:
        self._fds = []
        venv = str(Path(python).parent.parent)
        prefix = str(Path(os.path.realpath(python)).parent.parent)
        import deeplib
        lib = str(Path(deeplib.__file__).resolve().parent)
        made = {"/usr", "/tmp", "/home", HOME, "/proc", "/dev"}
        args = [bwrap_path(), "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
        if self._root:   # no user namespace from bwrap (it would map to real root); BOOT makes one
            args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            args += ["--unshare-user"]
        size = str(TMPFS_MB * 1024 * 1024)
        args += ["--perms", "1777", "--size", size, "--tmpfs", "/tmp"]   # before any bind under /tmp
        args += _system_binds()
        for path in dict.fromkeys([prefix, venv, lib]):
            if not path.startswith("/usr/"):
                args += _dirs_for(path, made)
            args += ["--ro-bind", path, path]
        args += _dirs_for(self._run, made) + ["--bind", self._run, self._run]
        args += ["--proc", "/proc", "--dev", "/dev", "--perms", "0755", "--dir", "/home",
                 "--perms", "0777", "--size", size, "--tmpfs", HOME]
        args += self._copy_files()
        if self.mpl_cache and os.path.exists(self.mpl_cache):
            args += ["--perms", "0777", "--dir", "/tmp/mpl"]
            args += ["--perms", "0644", "--file", self._open(self.mpl_cache),
                     "/tmp/mpl/" + os.path.basename(self.mpl_cache)]
        env = {"HOME": HOME, "PATH": f"{venv}/bin:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
               "MPLCONFIGDIR": "/tmp/mpl", "IPYTHONDIR": "/tmp/.ipython", "PYTHONNOUSERSITE": "1",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "AUTOGRADER_NPROC": str(self.nproc), "AUTOGRADER_DROP": "1" if self._root else "0"}
        for k, v in env.items():
            args += ["--setenv", k, v]
        return args + ["--chdir", HOME]

    def _open(self, path: str) -> str:
        fd = os.open(path, os.O_RDONLY)
        self._fds.append(fd)
        return str(fd)

    def _copy_files(self) -> list[str]:
        """bwrap arguments copying the assignment's non-notebook files into the tmpfs home."""
        if not self.files or not os.path.isdir(self.files):
            return []
        args, root = [], Path(self.files)
        for p in sorted(root.rglob("*")):
            rel = p.relative_to(root)
            if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
                continue
            dest = f"{HOME}/{rel.as_posix()}"
            if p.is_dir():
                args += ["--perms", "0777", "--dir", dest]
            elif p.is_file() and p.suffix != ".ipynb":
                args += ["--perms", "0666", "--file", self._open(str(p)), dest]
        return args

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        kw["env"] = self._kernel_env(kw.get("env") or os.environ)
        if self.sandbox:
            if self._root:
                os.chmod(self.connection_file, 0o644)   # read by the unprivileged kernel
            log = os.open(self._run + ".log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._fds.append(log)
            kw["stdout"] = kw["stderr"] = log        # never the task's log, which the grader reads
            kw["stdin"] = None
            kw["pass_fds"] = tuple(self._fds)        # and every other inherited descriptor closed
        try:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            for fd in getattr(self, "_fds", []):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._fds = []

    def _kernel_env(self, env) -> dict:
        """The kernel's environment: a learner's (no PYTHONWARNINGS, no MPLBACKEND, no grader paths)."""
        if self.sandbox:
            return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}   # bwrap clears it anyway
        env = {k: v for k, v in env.items() if k not in ("PYTHONWARNINGS", "MPLBACKEND")}
        env.update({"AUTOGRADER_NPROC": "0", "AUTOGRADER_DROP": "0"})
        return env

    # ------------------------------------------------------------ interrupt, cleanup
    async def _async_interrupt_kernel(self) -> None:
        """SIGINT to every process in the sandbox (bwrap does not forward signals)."""
        proc = getattr(self.provisioner, "process", None) if self.provisioner else None
        if not self.sandbox or proc is None:
            return await super()._async_interrupt_kernel()
        for pid in descendants(proc.pid):
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() != "bwrap":
                    os.kill(pid, signal.SIGINT)
            except (OSError, ProcessLookupError):
                continue

    interrupt_kernel = _async_interrupt_kernel

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self._run:
            shutil.rmtree(self._run, ignore_errors=True)
            try:
                os.unlink(self._run + ".log")
            except OSError:
                pass
            self._run = None

    cleanup_resources = _async_cleanup_resources


if __name__ == "__main__":  # pragma: no cover - manual check: python -m autograder.execution.sandbox
    require()
    print("bwrap:", bwrap_path(), file=sys.stderr)
