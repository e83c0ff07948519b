"""API processes for tests that need real ones (`python -m api serve`), as an operator runs
them: each answers /ready or the test fails with its log."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def start_api(
    settings: Any, world: Path, port: int, log: Path, **extra: str
) -> subprocess.Popen[bytes]:
    """One `python -m api serve` process on a private copy of the Edge version, answering /ready
    within 60 s of answering /health (a process that never gets ready fails the test);
    ``extra``: more environment (LOOKBOOK_DATABASE_URL...)."""
    env = {
        **os.environ,
        "LOOKBOOK_INDEX_DIR": str(settings.index_dir),
        "LOOKBOOK_DATA_DIR": str(world),
        "LOOKBOOK_DB_PATH": str(settings.db_path),
        "LOOKBOOK_AUTH__MODE": "demo",
        "LOOKBOOK_PRIVATE_INDEX": "true",
        "HF_HUB_OFFLINE": "1",
        **extra,
    }
    cmd = [sys.executable, "-m", "api", "serve", "--port", str(port), "--workers", "1"]
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base, healthy = f"http://127.0.0.1:{port}", None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the API process ended:\n{log.read_text()[-3000:]}"
        try:
            if httpx.get(f"{base}/ready", timeout=10).status_code == 200:
                return proc
            healthy = healthy or time.monotonic()
            assert time.monotonic() - healthy < 60, f"never ready:\n{log.read_text()[-3000:]}"
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise TimeoutError(log.read_text()[-3000:])


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def until(check: Any, what: str, timeout_s: float = 2.0) -> None:
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout_s, what
        time.sleep(0.02)
