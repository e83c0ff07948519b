"""A build whose counts do not verify is never published, and never served.

Each build here runs on a sparse copy of the session's tiny index (its vector cache included,
so text and image vectors are cache hits: only ALS and the write run) or on an empty index
that has only that cache; one article point is lost on its way to the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from core.errors import BuildError, IndexNotReady, NotFound
from core.settings import Settings
from core.store import open_store
from core.store.base import Collection, Point
from core.store.edge import EdgeWriter
from ranking.index import LiveIndex
from tests.conftest import copy_index

pytestmark = pytest.mark.slow


def _settings(tiny_settings: Settings, tmp_path: Path, previous: bool) -> Settings:
    root = tmp_path / "index"
    src = tiny_settings.index_dir
    if previous:
        copy_index(src, root)
    else:
        root.mkdir()
        copy_index(src / "cache", root / "cache")
    return tiny_settings.model_copy(update={"index_dir": root, "db_path": tmp_path / "db"})


def _lose_one_article(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the writer drop the last article point of its first batch; returns its id."""
    lost: list[int] = []
    upsert = EdgeWriter.upsert

    def lossy(self: EdgeWriter, collection: Collection, points: Sequence[Point]) -> None:
        if collection == "articles" and not lost and points:
            lost.append(points[-1].id)
            points = points[:-1]
        upsert(self, collection, points)

    monkeypatch.setattr(EdgeWriter, "upsert", lossy)
    return lost


@pytest.mark.parametrize("previous", [True, False], ids=["over-a-version", "first-build"])
def test_a_build_that_does_not_verify_is_never_published(
    tiny_settings: Settings,
    tiny_index: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    previous: bool,
) -> None:
    from indexer.build.pipeline import build

    settings = _settings(tiny_settings, tmp_path, previous)
    store = open_store(settings)
    before = store.current_version()
    # The shared index's published version (another test may have published a newer one).
    assert (before is not None) == previous
    live = LiveIndex(settings, store)
    if previous:
        assert live.snapshot().version == before

    lost = _lose_one_article(monkeypatch)
    stages: list[str] = []
    n = tiny_index.articles
    with pytest.raises(BuildError, match=rf"articles has {n - 1} points, expected {n}"):
        build(settings, data_dir=settings.data_dir, version="v-bad", after_stage=stages.append)
    assert len(lost) == 1
    # It failed in the write stage, once every point was written and counted.
    assert stages[-1] == "ranker"
    # The manifest (what an API needs to open a version) is written only once verified.
    assert not (settings.index_dir / "models" / "v-bad" / "manifest.json").exists()

    assert store.current_version() == before
    assert open_store(settings).current_version() == before  # as a fresh process reads it
    if previous:
        snap = live.snapshot()
        assert snap.version == before
        assert len(snap.columns) == n
        assert snap.reader.count("articles") == n
    else:
        with pytest.raises(IndexNotReady):
            live.snapshot()
    live.close()


def test_a_version_that_failed_verification_is_not_served_even_if_published(
    tiny_settings: Settings, tiny_index: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rolling back is publishing an older version (`store.versions()` lists the choices): a
    failed build published by mistake is refused by a running API, which keeps its version."""
    import ranking.index
    from indexer.build.pipeline import build

    settings = _settings(tiny_settings, tmp_path, previous=True)
    store = open_store(settings)
    live = LiveIndex(settings, store)
    before = live.snapshot().version
    _lose_one_article(monkeypatch)
    with pytest.raises(BuildError, match="verification failed"):
        build(settings, data_dir=settings.data_dir, version="v-bad")
    monkeypatch.setattr(ranking.index, "CHECK_EVERY_S", 0.0)
    with pytest.raises(NotFound):  # the failed build was never marked finished
        store.publish("v-bad")
    assert live.snapshot().version == before
    assert LiveIndex(settings, store).snapshot().version == before
    live.close()


def test_a_version_that_failed_verification_is_not_listed(
    tiny_settings: Settings, tiny_index: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from indexer.build.pipeline import build

    settings = _settings(tiny_settings, tmp_path, previous=False)
    _lose_one_article(monkeypatch)
    with pytest.raises(BuildError, match="verification failed"):
        build(settings, data_dir=settings.data_dir, version="v-bad")
    assert open_store(settings).versions() == []
