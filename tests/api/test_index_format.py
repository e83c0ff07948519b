"""The API serves only indexes in its own format; an old version is refused, not half-served."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from core.catalog import INDEX_FORMAT
from core.errors import IndexNotReady
from core.store import open_store
from ranking.index import LiveIndex
from tests.conftest import copy_index

pytestmark = pytest.mark.slow


def _copy_index(settings: Any, tmp_path: Path) -> tuple[Any, str]:
    root = tmp_path / "index"
    copy_index(settings.index_dir, root)
    shutil.rmtree(root / "cache", ignore_errors=True)
    copy = settings.model_copy(update={"index_dir": root})
    version = open_store(copy).current_version()
    assert version is not None
    return copy, version


def _add_old_version(settings: Any, version: str, old: str) -> None:
    """A copy of ``version`` named ``old`` whose manifest is from before index formats."""
    root = settings.index_dir
    copy_index(root / "store" / "versions" / version, root / "store" / "versions" / old)
    shutil.copytree(root / "models" / version, root / "models" / old)
    manifest = root / "models" / old / "manifest.json"
    data = json.loads(manifest.read_text())
    del data["format"]
    manifest.write_text(json.dumps(data))


def test_builds_write_the_current_format(tiny_settings: Any, tiny_index: Any) -> None:
    manifest = Path(tiny_index.models_dir) / "manifest.json"
    assert json.loads(manifest.read_text())["format"] == INDEX_FORMAT


def test_an_old_format_index_is_refused_with_a_rebuild_hint(
    tiny_settings: Any, tiny_index: Any, tmp_path: Path
) -> None:
    settings, version = _copy_index(tiny_settings, tmp_path)
    _add_old_version(settings, version, "vold")
    store = open_store(settings)
    store.publish("vold")
    live = LiveIndex(settings, store)
    with pytest.raises(IndexNotReady, match=r"format 1 .* rebuild the index"):
        live.snapshot()


def test_a_running_api_keeps_its_version_when_the_new_one_is_old_format(
    tiny_settings: Any, tiny_index: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ranking.index

    settings, version = _copy_index(tiny_settings, tmp_path)
    _add_old_version(settings, version, "vold")
    store = open_store(settings)
    live = LiveIndex(settings, store)
    assert live.snapshot().version == version
    store.publish("vold")
    monkeypatch.setattr(ranking.index, "CHECK_EVERY_S", 0.0)
    assert live.snapshot().version == version  # still serving the good one
    live.close()
