"""A preferences write answered 200 survives a SIGKILL of the API process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TROUSERS_FAN, copy_index

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"API exited with {proc.returncode}")
        time.sleep(0.5)
    proc.kill()
    raise TimeoutError("API did not become ready in 120 s")


@pytest.fixture
def api_env(tiny_settings: Any, tiny_index: Any, tmp_path: Path) -> Iterator[dict[str, str]]:
    # The test session's own API holds the index open (one process per Edge shard): copy it.
    index = tmp_path / "index"
    copy_index(tiny_settings.index_dir, index)
    env = {
        **os.environ,
        "LOOKBOOK_INDEX_DIR": str(index),
        "LOOKBOOK_DATA_DIR": str(tiny_settings.data_dir),
        "LOOKBOOK_DB_PATH": str(tmp_path / "prefs.db"),
        "LOOKBOOK_AUTH__MODE": "demo",
    }
    yield env


def test_preferences_survive_sigkill(api_env: dict[str, str]) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(api_env, port)
    prefs = {"favourite_colours": ["Black"], "style": "sharp tailoring", "max_price": 80.0}
    try:
        token = httpx.post(f"{base}/session", json={"customer_id": TROUSERS_FAN}).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        r = httpx.put(f"{base}/customers/{TROUSERS_FAN}/preferences", json=prefs, headers=auth)
        assert r.status_code == 200
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    proc = _start(api_env, port)
    try:
        got = httpx.get(f"{base}/customers/{TROUSERS_FAN}/preferences", headers=auth).json()
        assert {k: got[k] for k in prefs} == prefs
    finally:
        proc.terminate()
        proc.wait(timeout=20)
