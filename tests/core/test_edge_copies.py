"""Private copies of an Edge version (one per API process): made on open, removed on close,
and a dead process's copy removed by the next process that makes one."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.store.edge import EdgeStore
from core.store.edge_copies import REPLICAS, remove_orphans
from tests.conftest import copy_index

pytestmark = pytest.mark.slow


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_private_copy_lives_as_long_as_its_reader(
    tiny_settings: Any, tiny_index: Any, tmp_path: Path
) -> None:
    index = copy_index(tiny_settings.index_dir, tmp_path / "index")
    store = EdgeStore(index / "store", private_copies=True)
    version = store.current_version()
    assert version is not None
    orphan = index / "store" / REPLICAS / f"{_dead_pid()}-{version}"
    orphan.mkdir(parents=True)
    reader = store.open_reader(version)
    copies = list((index / "store" / REPLICAS).iterdir())
    assert [c.name.split("-", 1)[1] for c in copies] == [version]  # the orphan is gone
    assert reader.count("articles") == tiny_index.articles
    # The same version opened by a plain store in this process reads the original folder.
    assert EdgeStore(index / "store").open_reader(version).count("articles") == tiny_index.articles
    reader.close()
    assert list((index / "store" / REPLICAS).iterdir()) == []


def test_only_dead_processes_copies_are_orphans(tmp_path: Path) -> None:
    import os

    live, dead = tmp_path / f"{os.getpid()}-v1", tmp_path / f".{_dead_pid()}-v1.partial"
    for d in (live, dead):
        d.mkdir()
    assert remove_orphans(tmp_path) == [dead]
    assert live.exists() and not dead.exists()
