"""A PostgreSQL server of the test's own, to restart or crash without touching anyone else's.

The suite's PostgreSQL is shared (by the other tests of a run, by other people's runs on the same
machine): restarting it would break them. A fault test that must restart the database starts this
one instead (``initdb`` in a temporary directory, on a free loopback port), copies the test
database into it (``pg_dump`` / ``pg_restore``), and restarts it as often as it likes; it is
stopped and removed afterwards. Under root the server runs as the ``postgres`` user, as
PostgreSQL requires.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from core.tests.liveserver import free_port


def server_bindir() -> Path | None:
    """The newest installed PostgreSQL server's binaries (Debian's layout, else the PATH's)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Cluster:
    """``with Cluster() as pg: pg.url("name"); pg.restart()``."""

    def __init__(self):
        self.bindir = server_bindir()
        if self.bindir is None:
            raise FileNotFoundError("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="gongzhi-pg-"))
        self.data = self.dir / "data"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, timeout=120)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def __enter__(self) -> Cluster:
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip
        self.start()
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                  "-w", "start")  # fmt: skip

    def restart(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: clients cut off; ``immediate``: a crash, recovered from the WAL) and start it."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
        self.start()

    def copy_database(self, source_url: str, name: str) -> str:
        """Copy the database at ``source_url`` (schema, rows, triggers) into this server; return its URL."""
        subprocess.run(["psql", self.url("postgres"), "-qc", f'CREATE DATABASE "{name}"'], check=True, timeout=60)
        dump = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", source_url], check=True, capture_output=True, timeout=120
        ).stdout
        subprocess.run(
            # One transaction: one commit to flush, where a statement each took seconds on a busy disk.
            ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "--dbname", self.url(name)],
            input=dump,
            check=True,
            capture_output=True,
            timeout=120,
        )
        return self.url(name)

    def __exit__(self, *exc) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
