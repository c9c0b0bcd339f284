"""A real JupyterLab server for tests, started as `make lab` starts it, and a small client.

    with LabServer(root_dir, config_path=[LEARNER_CONFIG], home=tmp) as lab:
        model = lab.api("GET", "/api/contents/00/00.ipynb?type=notebook")
        session = lab.start_session("00/00.ipynb")
        info = lab.kernel_request(session["kernel"]["id"], "kernel_info_request")
        lab.log_text()      # everything the server wrote (its log)

The server listens on 127.0.0.1 on a free port, with a random token, no browser, and
``--allow-root`` when the tests run as root (as `make lab` adds it). ``home`` holds the
server's own Jupyter config, data and runtime folders, so the user's ~/.jupyter does not
change what is tested; ``config_path`` goes first on JUPYTER_CONFIG_PATH.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import websocket  # websocket-client, a dependency of jupyter_server

STARTUP_TIMEOUT = 180  # seconds; generous: a loaded machine starts JupyterLab slowly


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    def __init__(self, root_dir: Path, *, home: Path, config_path: list[Path] = (), make_lab: Path | None = None):
        """``make_lab``: a project folder whose `make lab` starts the server (LAB_ARGS set here)."""
        self.root_dir, self.home, self.make_lab = Path(root_dir), Path(home), make_lab
        self.config_path = [str(p) for p in config_path]
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = self.home / "server.log"
        self.proc = None

    def __enter__(self) -> "LabServer":
        env = dict(os.environ)
        for var in ("JUPYTER_CONFIG_PATH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
            env.pop(var, None)
        for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                         ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
            env[var] = str(self.home / sub)
        if self.config_path:
            env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(self.config_path)
        args = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}"]
        if self.make_lab:
            cmd, cwd = ["make", "--no-print-directory", "lab", "LAB_ARGS=" + " ".join(args)], self.make_lab
        else:
            cmd = [sys.executable, "-m", "jupyterlab", *args, f"--ServerApp.root_dir={self.root_dir}"]
            cmd += ["--allow-root"] if os.geteuid() == 0 else []
            cwd = self.root_dir
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                self.api("GET", "/api/status")
                return self
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise RuntimeError("JupyterLab did not start:\n" + self.log_text())
                time.sleep(0.25)

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            try:  # shuts the kernels down too
                self.api("POST", "/api/shutdown")
                self.proc.wait(timeout=30)
            except Exception:
                self.proc.terminate()
                self.proc.wait(timeout=30)
        self._log.close()

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def request(self, method: str, path: str, body=None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def api(self, method: str, path: str, body=None):
        status, data = self.request(method, path, body)
        if status >= 400:
            raise urllib.error.HTTPError(self.base + path, status, data.decode(errors="replace"), None, None)
        return json.loads(data) if data else None

    def start_session(self, path: str, kernel_name: str = "python3") -> dict:
        """What JupyterLab does when it opens a notebook: a session with a new kernel."""
        return self.api("POST", "/api/sessions", {"path": path, "name": Path(path).name,
                                                  "type": "notebook", "kernel": {"name": kernel_name}})

    def kernel_request(self, kernel_id: str, msg_type: str, content: dict | None = None,
                       channel: str = "shell") -> dict:
        """Send one message to the kernel through the server's websocket; return its reply.

        The reply's ``content``, with the iopub messages of the request under ``"iopub"``
        (collected until the kernel is idle again).
        """
        session = uuid.uuid4().hex
        url = (f"ws://127.0.0.1:{self.port}/api/kernels/{kernel_id}/channels"
               f"?token={self.token}&session_id={session}")
        ws = websocket.create_connection(url, timeout=120)
        try:
            msg_id = uuid.uuid4().hex
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": msg_type, "username": "test",
                           "session": session, "version": "5.3"},
                "parent_header": {}, "metadata": {}, "content": content or {},
                "channel": channel, "buffers": []}))
            reply, iopub, idle = None, [], False
            while reply is None or not idle:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if msg["channel"] == channel and msg["msg_type"] == msg_type.replace("_request", "_reply"):
                    reply = msg["content"]
                elif msg["channel"] == "iopub":
                    iopub.append(msg)
                    idle = idle or (msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle")
            return {**reply, "iopub": iopub}
        finally:
            ws.close()

    def page_config(self, path: str = "/lab") -> dict:
        """The ``jupyter-config-data`` JSON a JupyterLab page starts from."""
        status, html = self.request("GET", path)
        assert status == 200, status
        text = html.decode()
        start = text.index('<script id="jupyter-config-data" type="application/json">')
        start = text.index(">", start) + 1
        return json.loads(text[start:text.index("</script>", start)])
