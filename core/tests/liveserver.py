"""A real web server (gunicorn) for the fault tests: the platform as deployed, on a loopback port.

It serves the suite's settings (``config.settings_test``: DEBUG off, the suite's keys) with the
environment the test gives (a database, a Redis that is down...), so that what a test proves about
the server is what production does, connection handling and all.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``with Gunicorn(env) as server: server.request("GET", "/login/")``; stopped on exit."""

    def __init__(self, env: dict, workers: int = 2, threads: int = 4):
        self.port = free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings_test"),
            "DEBUG": "0",
            **env,
        }
        self.args = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--preload",
            "--log-level",
            "warning",
        ]
        self.process: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed when the server stops: __exit__)

    def start(self) -> Gunicorn:
        """Start the server without waiting for it (so that a test may start something else meanwhile)."""
        if self.process is None:
            self.process = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                # A file, not a pipe: nobody reads a pipe while the test runs, and a server logging
                # errors (a database restart's 500s) blocks for ever once the pipe's buffer is full.
                stderr=self.log,
                start_new_session=True,  # its own process group: stopped with its workers at once
            )
        return self

    def __enter__(self):
        self.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.errors()[-2000:]}")
            try:
                self.request("GET", "/login/", timeout=5)
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def __exit__(self, *exc):
        # The master and its workers at once: a graceful stop waits seconds for idle workers, and a
        # test's server holds nothing worth a graceful stop (every answer it gave was committed).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)
        self.log.close()

    def errors(self) -> str:
        """What the server wrote to its standard error so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def request(self, method: str, path: str, body=None, token: str = "", timeout: float = 30) -> tuple[int, dict]:
        """Send one request; return the status and the JSON body (``{}`` for any other body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Host": "127.0.0.1"}
        if token:
            headers["Authorization"] = f"Token {token}"
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, {}
