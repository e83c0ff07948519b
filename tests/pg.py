"""A throwaway PostgreSQL cluster for the tests of the state on PostgreSQL (issue 22): the
machine's PostgreSQL server programs (`initdb`, `pg_ctl`; `make test` installs Debian's
`postgresql` where they are missing), a temporary data folder, a free loopback port, removed at
the end. The server refuses to run as root: as root (CI) it runs as the `postgres` user."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg


def server_bin() -> Path | None:
    """The newest installed PostgreSQL's programs folder (None: none installed)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


class Cluster:
    """One PostgreSQL server on 127.0.0.1:<port>, trust authentication (loopback only). Its
    folder (``root``, default a new one under the temporary folder) must be reachable by the
    `postgres` user when run as root: pytest's own tmp_path is not."""

    def __init__(self, root: Path | None = None) -> None:
        bin_dir = server_bin()
        if bin_dir is None:
            raise RuntimeError(
                "PostgreSQL's server programs are not installed: `make install` installs "
                "Debian's postgresql package (or: apt-get install postgresql)"
            )
        self.bin = bin_dir
        self.root = root or Path(tempfile.mkdtemp(prefix="lookbook-pg-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
            os.chmod(self.root, 0o700)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-instructions",
        )
        self.start()

    def _user(self) -> dict[str, str]:
        return {"user": "postgres", "group": "postgres"} if self._as_root else {}

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [str(self.bin / program), *args],
            check=True,
            capture_output=True,
            cwd=self.root,
            **self._user(),  # type: ignore[call-overload]
        )

    def start(self) -> None:
        """Run the server as a child of this process (so a SIGKILL'd one is reaped here and
        its lock file is free for the next start), answering within 60 s."""
        log = open(self.root / "log", "ab")  # noqa: SIM115 (the server's for its lifetime)
        self.proc = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-k",
                str(self.root),
                "-c",
                "max_connections=300",
                "-c",
                "fsync=on",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            **self._user(),  # type: ignore[call-overload]
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((self.root / "log").read_text()[-2000:]) from None
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the server (postmaster and backends): a crash, not a shutdown."""
        children = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        for pid in [self.proc.pid, *map(int, children)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(30)
        deadline = time.monotonic() + 30
        while any(_alive(int(p)) for p in children):
            if time.monotonic() > deadline:
                raise TimeoutError("the server's processes outlived SIGKILL by 30 s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # immediate shutdown
            self.proc.wait(30)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = f"lb_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
