"""A catalog change that cannot be applied (issue 21): its photo is gone. It is set aside, shown
by /ready and to staff with its reason, every other change applies, and it applies later: when
the file is back (retried with a growing wait) or when a new change fixes it (a new upload)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from bench.loadgen import _free_port
from core.catalog import point_id
from core.changes import open_changes, uploads_dir
from core.keys import KeyStore
from core.store import open_store
from ranking.catalog import upload_relpath
from ranking.catalog_held import RETRY_FIRST_S
from ranking.index import LiveIndex
from tests.conftest import scratch_settings
from tests.hosts import start_api, stop_all, until

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _photo(world: Path, article_id: str) -> Path:
    return world / "images" / article_id[:3] / f"{article_id}.jpg"


def test_a_change_whose_photo_is_gone_is_set_aside_and_every_other_change_applies(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    """Two processes (private copies): a photo is uploaded, both stop, the file is deleted, both
    start again: both get ready, show the change set aside, serve ten more changes, and the
    article keeps the photo it had; a new upload then applies on both."""
    settings = scratch_settings(tiny_settings, tmp_path)
    keys = KeyStore(settings.db_path)
    merch = {"X-API-Key": keys.create("merchandiser", "failed-merch")[1]}
    admin = {"X-API-Key": keys.create("admin", "failed-admin")[1]}
    keys.close()
    articles = pd.read_csv(tiny_world / "articles.csv", dtype=str)
    aid, model = articles.article_id[320], articles.article_id[321]
    ports = [_free_port(), _free_port()]
    one, two = (f"http://127.0.0.1:{p}" for p in ports)
    logs = [tmp_path / f"api-{i}.log" for i in range(2)]

    procs = [start_api(settings, tiny_world, p, log) for p, log in zip(ports, logs, strict=True)]
    try:
        own_photo = httpx.get(f"{one}/images/{aid}.jpg").content
        files = {"file": ("p.jpg", _photo(tiny_world, model).read_bytes(), "image/jpeg")}
        r = httpx.put(f"{one}/admin/articles/{aid}/image", files=files, headers=merch)
        assert r.status_code == 200, r.text
        seq = r.json()["seq"]
        until(lambda: httpx.get(f"{two}/ready").json()["catalog_seq"] == seq, "not applied")
    finally:
        stop_all(procs)
    (upload,) = uploads_dir(settings.db_path).rglob("*.jpg")
    upload.unlink()  # gone from the disk and from the database (which every host fetches from)
    log = open_changes(settings.db_path)
    assert log.drop_uploads([upload.relative_to(uploads_dir(settings.db_path)).as_posix()]) == 1
    log.close()

    procs = [start_api(settings, tiny_world, p, log) for p, log in zip(ports, logs, strict=True)]
    try:
        for base in (one, two):
            ready = httpx.get(f"{base}/ready").json()
            assert ready["catalog_seq"] == seq and ready["catalog_failed"] == 1
            failed = httpx.get(f"{base}/admin/catalog/failed", headers=admin)
            assert failed.status_code == 200, failed.text
            (item,) = failed.json()["items"]
            assert (item["seq"], item["article_id"], item["op"]) == (seq, aid, "patch")
            assert "photo" in item["reason"] and item["attempts"] >= 1
            assert str(tmp_path) not in item["reason"]  # no server paths for a client
            assert httpx.get(f"{base}/admin/catalog/failed", headers=merch).status_code == 200
            assert httpx.get(f"{base}/admin/catalog/failed").status_code == 401
            # The article keeps what it served before the change: its own photo.
            assert httpx.get(f"{base}/images/{aid}.jpg").content == own_photo

        # Ten more changes, through either process: both serve all ten.
        prices = {a: 10.0 + i for i, a in enumerate(articles.article_id[330:340])}
        for i, (a, price) in enumerate(prices.items()):
            src = (one, two)[i % 2]
            r = httpx.patch(f"{src}/admin/articles/{a}", json={"price": price}, headers=merch)
            assert r.status_code == 200, r.text
            last = r.json()["seq"]
        for base in (one, two):
            until(lambda b=base: httpx.get(f"{b}/ready").json()["catalog_seq"] == last, base)
            for a, price in prices.items():
                assert httpx.get(f"{base}/articles/{a}").json()["price"] == price
            assert httpx.get(f"{base}/ready").json()["catalog_failed"] == 1

        # A new upload fixes it: applied on both, nothing set aside any more.
        new_photo = _photo(tiny_world, model).read_bytes()
        files = {"file": ("p.jpg", new_photo, "image/jpeg")}
        assert httpx.put(f"{two}/admin/articles/{aid}/image", files=files, headers=merch).is_success
        for base in (one, two):
            until(lambda b=base: httpx.get(f"{b}/ready").json()["catalog_failed"] == 0, base)
            assert httpx.get(f"{base}/images/{aid}.jpg").content == new_photo
            assert httpx.get(f"{base}/admin/catalog/failed", headers=admin).json()["items"] == []
    finally:
        stop_all(procs)


def test_a_set_aside_change_is_retried_and_applies_once_its_photo_is_back(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    """The photo a logged change names is missing, then comes back: the change is retried after
    a wait that grows with each failure, and once it applies the article's image vector is the
    photo's (the same photo as another article: the same vector)."""
    settings = scratch_settings(tiny_settings, tmp_path)
    changes = open_changes(settings.db_path)
    index = LiveIndex(settings, open_store(settings), changes)
    try:
        articles = pd.read_csv(tiny_world / "articles.csv", dtype=str)
        aid, model = articles.article_id[350], articles.article_id[351]
        rel = upload_relpath(aid, "late")
        (seq,) = changes.append([(aid, "patch", {"image": str(rel)})], "test")
        changes.append([(articles.article_id[352], "patch", {"price": 12.5})], "test")
        snap = index.catch_up()
        assert snap.catalog_seq == seq + 1  # the other change applied
        (held,) = snap.held.values()
        assert (held.article_id, [c.seq for c in held.changes]) == (aid, [seq])
        assert held.attempts >= 1 and "photo" in held.reason
        # Retried when due (not before), and failing again waits twice as long.
        assert index.catch_up().held[aid] == held or time.monotonic() >= held.retry_at
        tries = held.attempts + 1
        until(lambda: index.catch_up().held[aid].attempts == tries, "not retried", 20.0)
        again = index.catch_up().held[aid]
        assert again.retry_at - held.retry_at >= RETRY_FIRST_S * 2**held.attempts

        path = uploads_dir(settings.db_path) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(_photo(tiny_world, model), path)
        until(lambda: not index.catch_up().held, "not applied once the photo is back", 10.0)
        snap = index.catch_up()
        assert snap.catalog_seq == seq + 1
        vectors = snap.vectors
        assert vectors is not None
        mine, theirs = vectors.rows("image", [point_id(aid), point_id(model)])
        assert float(np.dot(mine, theirs)) == pytest.approx(1.0, abs=1e-4)
    finally:
        index.close()
        changes.close()
