"""Compaction never loses a change or a photo (issue 21): `indexer compact` clears only the
changes every version that can still be served or rolled back to holds, and removes an
uploaded photo once no logged change and no such version names it."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.changes import open_changes, uploads_dir
from core.store import open_store
from indexer.build.pipeline import build
from indexer.catalog import compact
from ranking.catalog import upload_relpath
from tests.conftest import copy_index

pytestmark = pytest.mark.slow


def _world(tiny_settings: Any, tiny_world: Path, root: Path) -> tuple[Any, Path, list[str]]:
    """Settings on a copy of the tiny index and data; the versions that copy holds."""
    data = root / "data"
    shutil.copytree(tiny_world, data)
    settings = tiny_settings.model_copy(
        update={
            "index_dir": copy_index(tiny_settings.index_dir, root / "index"),
            "db_path": root / "lookbook.db",
            "data_dir": data,
        }
    )
    return settings, data, _versions(settings)


def _versions(settings: Any) -> list[str]:
    store = open_store(settings)
    try:
        return store.versions()
    finally:
        store.close()


def _publish(settings: Any, version: str) -> None:
    store = open_store(settings)
    try:
        store.publish(version)  # rolling back is publishing an older version again
    finally:
        store.close()


def _remove_version(settings: Any, version: str) -> None:
    """What an operator does to give up a version for good (Edge: its two folders)."""
    shutil.rmtree(settings.index_dir / "store" / "versions" / version)
    shutil.rmtree(settings.index_dir / "models" / version)


def _log(settings: Any, article_id: str, fields: dict[str, Any]) -> int:
    log = open_changes(settings.db_path)
    try:
        return log.append([(article_id, "patch", fields)], "test")[0]
    finally:
        log.close()


def _prices(settings: Any, want: dict[str, float]) -> tuple[str, dict[str, float]]:
    with TestClient(create_app(settings)) as api:
        version = api.app.state.index.snapshot().version  # type: ignore[attr-defined]
        return version, {a: api.get(f"/articles/{a}").json()["price"] for a in want}


def test_compaction_then_rollback_loses_no_change(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    settings, data, older = _world(tiny_settings, tiny_world, tmp_path)
    assert older  # the tiny index's version: catalog_seq 0
    arts = pd.read_csv(data / "articles.csv", dtype=str)
    a, b = arts.article_id.iloc[30], arts.article_id.iloc[31]
    want = {a: 11.0, b: 22.0}
    _log(settings, a, {"price": 11.0})  # seq 1: the new build holds it
    new = build(settings, data_dir=data).version
    _log(settings, b, {"price": 22.0})  # seq 2: after it

    summary = compact(settings, data)
    _publish(settings, older[-1])
    assert _prices(settings, want) == (older[-1], want)  # the rolled-back version has both
    # Compaction kept what the older versions lack, and said which versions held it back.
    assert (summary.folded, summary.upto_seq) == (0, 0)
    assert summary.held_by == dict.fromkeys(older, 0)
    assert all(v in summary.describe() for v in older)

    # Once the older versions are given up, it folds what every remaining version holds.
    _publish(settings, new)
    for version in older:
        _remove_version(settings, version)
    summary = compact(settings, data)
    assert (summary.folded, summary.upto_seq, summary.held_by) == (1, 1, {})
    log = open_changes(settings.db_path)
    assert [c.article_id for c in log.since(0)] == [b]
    log.close()
    assert _prices(settings, want) == (new, want)
    shop = pd.read_csv(data / "catalog_shop.csv", dtype={"article_id": str})
    assert shop.set_index("article_id").loc[a, "price"] == 11.0


def _upload(settings: Any, tiny_world: Path, article_id: str, tag: str, model: str) -> str:
    """An uploaded photo (``model``'s JPEG under a new name), written a day ago, and the
    change that names it; answers its path under the uploads folder."""
    rel = upload_relpath(article_id, tag)
    path = uploads_dir(settings.db_path) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tiny_world / "images" / model[:3] / f"{model}.jpg", path)
    day_ago = time.time() - 86400
    os.utime(path, (day_ago, day_ago))
    _log(settings, article_id, {"image": str(rel)})
    return str(rel)


def _uploads(settings: Any) -> set[str]:
    root = uploads_dir(settings.db_path)
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_compaction_removes_the_photos_nothing_needs_any_more(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    settings, data, older = _world(tiny_settings, tiny_world, tmp_path)
    arts = pd.read_csv(data / "articles.csv", dtype=str)
    with_photo = [a for a in arts.article_id if (data / "images" / a[:3] / f"{a}.jpg").is_file()]
    a, b = with_photo[40], with_photo[41]
    p1 = _upload(settings, tiny_world, a, "p1", with_photo[50])  # seq 1
    p2 = _upload(settings, tiny_world, a, "p2", with_photo[51])  # seq 2: replaces p1
    p3 = _upload(settings, tiny_world, b, "p3", with_photo[52])  # seq 3
    v1 = build(settings, data_dir=data).version  # serves p2 and p3
    p4 = _upload(settings, tiny_world, a, "p4", with_photo[53])  # seq 4: replaces p2, logged
    stray = uploads_dir(settings.db_path) / upload_relpath(b, "fresh")
    shutil.copyfile(data / "images" / b[:3] / f"{b}.jpg", stray)  # its change may be on its way

    compact(settings, data)  # the older versions hold everything back
    assert _uploads(settings) == {p1, p2, p3, p4, str(upload_relpath(b, "fresh"))}
    for version in older:
        _remove_version(settings, version)
    summary = compact(settings, data)  # seq ≤ 3 cleared: p1 was replaced, nothing names it
    assert _uploads(settings) == {p2, p3, p4, str(upload_relpath(b, "fresh"))}
    assert summary.photos_removed == 1

    v2 = build(settings, data_dir=data)  # serves p4; b's photo now comes from data/images
    assert v2.version != v1
    compact(settings, data)  # v1 can still be rolled back to: p2 and p3 stay
    assert {p2, p3} <= _uploads(settings)
    _remove_version(settings, v1)
    stale = time.time() - 86400
    os.utime(stray, (stale, stale))
    summary = compact(settings, data)
    assert summary.photos_removed == 3  # p2, p3 and the stray upload a day old
    assert _uploads(settings) == {p4}
    with TestClient(create_app(settings)) as api:
        for article_id in (a, b):
            assert api.get(f"/images/{article_id}.jpg").status_code == 200
