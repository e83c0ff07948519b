"""Index builds: a build killed at any moment leaves the current version serving; builds repeat."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from core.errors import BuildError
from core.settings import ModelSettings, Settings
from core.store import open_store

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
#: Log lines at which the build is killed: before any store write, during it, while optimising
#: (the articles shard: long enough on the tiny world that the kill lands before the end).
KILL_AT = ("stage text", "stage write", "optimising articles")


def _checksum(settings: Settings, version: str) -> tuple[dict[str, int], str]:
    reader = open_store(settings).open_reader(version)
    digest = hashlib.sha256()
    counts = {}
    try:
        for collection in ("articles", "customers"):
            counts[collection] = reader.count(collection)
            records = reader.scroll(collection, limit=counts[collection])
            for r in sorted(records, key=lambda r: r.id):
                digest.update(json.dumps([r.id, r.payload], sort_keys=True).encode())
    finally:
        reader.close()
    return counts, digest.hexdigest()


def _build_and_kill(env: dict[str, str], data: Path, marker: str, version: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "indexer", "build", "--data", str(data), "--version", version],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 300
    for line in proc.stderr:
        if marker in line or time.monotonic() > deadline:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"build ended before {marker!r}"


def test_killed_builds_leave_the_current_version_serving(tiny_world: Path, tmp_path: Path) -> None:
    from indexer.build.pipeline import build

    settings = Settings(
        index_dir=tmp_path / "index", db_path=tmp_path / "db", models=ModelSettings(cnn_epochs=1)
    )
    first = build(settings, data_dir=tiny_world, version="v1")
    expected = _checksum(settings, "v1")
    env = {
        **os.environ,
        "LOOKBOOK_INDEX_DIR": str(settings.index_dir),
        "LOOKBOOK_MODELS__CNN_EPOCHS": "1",
        "OMP_WAIT_POLICY": "PASSIVE",
    }
    for i, marker in enumerate(KILL_AT):
        # A name of its own per kill: a killed build's folder keeps its name taken.
        _build_and_kill(env, tiny_world, marker, f"killed-{i}")
        store = open_store(settings)
        assert store.current_version() == "v1", marker
        assert store.versions() == ["v1"], marker
        assert _checksum(settings, "v1") == expected, marker

    # A taken name, finished or killed mid-optimise, is refused before anything is loaded.
    for taken in ("v1", "killed-2"):
        stages: list[str] = []
        with pytest.raises(BuildError, match="already exists"):
            build(settings, data_dir=tiny_world, version=taken, after_stage=stages.append)
        assert stages == [], taken

    # The same input built again: same counts, same payload checksum; v1 is kept.
    second = build(settings, data_dir=tiny_world, version="v2")
    assert open_store(settings).current_version() == "v2"
    assert open_store(settings).versions() == ["v1", "v2"]
    assert (first.articles, first.customers) == (second.articles, second.customers)
    assert _checksum(settings, "v2") == expected


def test_a_running_api_switches_to_a_new_version(client: Any, tiny_settings: Any) -> None:
    from indexer.build.pipeline import build

    before = client.get("/ready").json()["version"]
    summary = build(tiny_settings, data_dir=tiny_settings.data_dir, version="v-switch")
    time.sleep(1.1)  # the API looks for a new version at most once a second
    ready = client.get("/ready").json()
    assert ready["version"] == summary.version != before
    assert client.get("/articles?limit=1").headers["x-index-version"] == summary.version
