"""`python -m api serve`: several API processes behind one port, each on its own copy of the
published Edge version; all switch to a newly published version, and one killed is replaced
without failing the others' requests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import copy_index

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    base: str
    proc: subprocess.Popen[bytes]
    store: Path
    log: Path

    def ready(self) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"{self.base}/ready", timeout=10).json()
        return body

    def processes(self, want: int, timeout_s: float) -> dict[int, str]:
        """Ask /ready until ``want`` processes answered (process id → version)."""
        seen: dict[int, str] = {}
        deadline = time.monotonic() + timeout_s
        while len(seen) < want and time.monotonic() < deadline:
            # A new connection each time: the kernel spreads them over the processes.
            with httpx.Client(timeout=10) as c:
                body = c.get(f"{self.base}/ready").json()
            seen[int(body["process"])] = str(body["version"])
        return seen


@pytest.fixture
def served(tiny_settings: Any, tiny_index: Any, tmp_path: Path) -> Iterator[Served]:
    index = copy_index(tiny_settings.index_dir, tmp_path / "index")
    port = _free_port()
    env = {
        **os.environ,
        "LOOKBOOK_INDEX_DIR": str(index),
        "LOOKBOOK_DATA_DIR": str(tiny_settings.data_dir),
        "LOOKBOOK_DB_PATH": str(tmp_path / "lookbook.db"),
        "LOOKBOOK_AUTH__MODE": "demo",
        "LOOKBOOK_WORKERS": str(WORKERS),
    }
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    s = Served(f"http://127.0.0.1:{port}", proc, index / "store", log)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if len(s.processes(WORKERS, 5)) == WORKERS:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        yield s
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_every_process_answers_from_its_own_copy(served: Served) -> None:
    seen = served.processes(WORKERS, 30)
    assert len(seen) == WORKERS, served.log.read_text()[-3000:]
    current = (served.store / "CURRENT").read_text().strip()
    assert set(seen.values()) == {current}
    copies = sorted(p.name for p in (served.store / "replicas").iterdir())
    assert copies == sorted(f"{pid}-{current}" for pid in seen)
    # Only the articles are copied: customers are read from the shared table.
    for name in copies:
        assert sorted(p.name for p in (served.store / "replicas" / name).iterdir()) == [
            "COMPLETE.json",
            "articles",
        ]
    r = httpx.get(f"{served.base}/articles?limit=3")
    assert r.status_code == 200 and len(r.json()["items"]) == 3


def _publish_copy(store: Path, index_dir: Path, name: str) -> None:
    """Publish a new version: the current one under another name (a build's result, fast)."""
    current = (store / "CURRENT").read_text().strip()
    copy_index(store / "versions" / current, store / "versions" / name)
    marker = store / "versions" / name / "COMPLETE.json"
    marker.write_text(json.dumps({**json.loads(marker.read_text()), "version": name}))
    shutil.copytree(index_dir / "models" / current, index_dir / "models" / name)
    (store / "CURRENT").write_text(name + "\n")


@dataclass
class Load:
    """A client thread sending GETs over fresh connections until stopped."""

    base: str
    statuses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            try:
                with httpx.Client(timeout=30) as c:
                    r = c.get(f"{self.base}/articles?limit=2&offset={i % 50}")
                self.statuses.append(r.status_code)
            except httpx.HTTPError as exc:
                self.errors.append(repr(exc))


def test_a_version_switch_under_load_fails_no_request(served: Served) -> None:
    load = Load(served.base)
    thread = threading.Thread(target=load.run)
    thread.start()
    try:
        time.sleep(1)
        _publish_copy(served.store, served.store.parent, "v-next")
        published = time.monotonic()
        switched: dict[int, float] = {}
        while len(switched) < WORKERS and time.monotonic() - published < 30:
            for pid, version in served.processes(WORKERS, 5).items():
                if version == "v-next":
                    switched.setdefault(pid, time.monotonic() - published)
        time.sleep(1)
    finally:
        load.stop.set()
        thread.join(timeout=60)
    assert len(switched) == WORKERS, switched
    assert max(switched.values()) < 5.0, switched
    assert load.errors == [] and len(load.statuses) > 20
    assert set(load.statuses) == {200}, sorted(set(load.statuses))
    # Each process has its copy of the new version; the old one stays open (and copied) only
    # until the next switch, for requests that still hold it.
    copies = [p.name.split("-", 1) for p in (served.store / "replicas").iterdir()]
    assert {int(pid) for pid, v in copies if v == "v-next"} == set(switched)
    assert len(copies) <= 2 * WORKERS


def test_a_killed_process_is_replaced_and_the_others_keep_answering(served: Served) -> None:
    before = served.processes(WORKERS, 30)
    victim = next(iter(before))
    load = Load(served.base)
    thread = threading.Thread(target=load.run)
    thread.start()
    try:
        time.sleep(0.5)
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        time.sleep(2)
        answered_after_kill = len(load.statuses)
        replaced: dict[int, str] = {}
        while time.monotonic() - killed < 60:
            replaced = served.processes(WORKERS, 5)
            if len(replaced) == WORKERS and victim not in replaced:
                break
    finally:
        load.stop.set()
        thread.join(timeout=60)
    # Fresh connections go to live processes: at most the one in flight on the victim failed.
    assert len(load.errors) <= 1, load.errors
    assert set(load.statuses) == {200}
    assert answered_after_kill > 5
    assert victim not in replaced and len(replaced) == WORKERS, (victim, replaced)
    # The dead process's copy was removed when its replacement made its own.
    names = [p.name for p in (served.store / "replicas").iterdir()]
    assert not any(n.startswith(f"{victim}-") for n in names), names


def test_a_reused_connection_is_answered_after_the_process_stood_still(served: Served) -> None:
    """A process that stands still for seconds (a re-index swap: the engine loading the fresh
    copy holds the interpreter) must not close, when it wakes, a keep-alive connection that a
    client reused within its own idle limit (httpx and Node: 5 s or less; proxies: 60 s).
    Under uvloop the overdue keep-alive timer runs before the request that waits in the
    socket, and closing a socket with unread data resets it: the client's request is lost."""
    with httpx.Client(timeout=30) as client:
        pid = int(client.get(f"{served.base}/ready").json()["process"])
        answered: list[int | str] = []

        def again() -> None:
            try:
                r = client.get(f"{served.base}/ready")
                answered.append(int(r.json()["process"]))
            except httpx.HTTPError as exc:
                answered.append(repr(exc))

        time.sleep(1.0)
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(3.0)  # the connection has been idle 4 s: the client reuses it
            thread = threading.Thread(target=again)
            thread.start()
            time.sleep(3.0)  # 7 s since the process answered on it
        finally:
            os.kill(pid, signal.SIGCONT)
        thread.join(timeout=30)
    assert answered == [pid]
