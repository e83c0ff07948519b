"""The catalog's change log and builds (issue 16): a build serves every change logged before it
from the build itself, a change logged while a build runs is applied on top of it, and a build
killed while changes arrive loses none. Two API processes serve each other's changes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from bench.loadgen import _free_port, start_api
from core.changes import open_changes, put_fields
from core.keys import KeyStore
from core.store import open_store
from indexer.build.pipeline import build
from tests.conftest import scratch_settings

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _key(settings: Any, role: str = "merchandiser") -> dict[str, str]:
    keys = KeyStore(settings.db_path)
    try:
        return {"X-API-Key": keys.create(role, f"{role}-{time.monotonic_ns()}")[1]}
    finally:
        keys.close()


def _put_body(row: pd.Series, name: str) -> dict[str, Any]:
    return put_fields(row, prod_name=name, price=42.5)


class Expected:
    """What the changes made so far must look like, article by article."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[str, Any]] = {}
        self.deleted: set[str] = set()

    def check(self, api: TestClient) -> None:
        for aid, want in self.fields.items():
            r = api.get(f"/articles/{aid}")
            assert r.status_code == 200, f"{aid}: {r.text}"
            got = r.json()
            assert {k: got[k] for k in want} == want, aid
        for aid in self.deleted:
            assert api.get(f"/articles/{aid}").status_code == 404, aid


def _hundred_changes(
    api: TestClient, key: dict[str, str], articles: pd.DataFrame, start: int
) -> Expected:
    """100 changes through the API: 60 prices (one batch), 10 out of stock, 10 hidden, 10 new
    articles, 5 renamed, 5 deleted; on articles from ``start`` on."""
    exp = Expected()
    ids = list(articles.article_id[start : start + 90])
    items = [{"article_id": a, "price": round(10 + i * 0.5, 2)} for i, a in enumerate(ids[:60])]
    assert api.patch("/admin/articles", json={"items": items}, headers=key).status_code == 200
    for item in items:
        exp.fields[item["article_id"]] = {"price": item["price"]}
    for a in ids[60:70]:
        assert api.patch(f"/admin/articles/{a}", json={"in_stock": False}, headers=key).is_success
        exp.fields[a] = {"in_stock": False}
    for a in ids[70:80]:
        assert api.patch(f"/admin/articles/{a}", json={"hidden": True}, headers=key).is_success
        exp.fields[a] = {"hidden": True}
    for i in range(10):
        aid = f"{9_100_000_000 + start * 100 + i:010d}"
        body = _put_body(articles.iloc[i], f"Novelty {start}-{i} wrap")
        r = api.put(f"/admin/articles/{aid}", json=body, headers=key)
        assert r.status_code == 200, r.text
        exp.fields[aid] = {"prod_name": body["prod_name"], "price": 42.5, "in_stock": True}
    for a in ids[80:85]:
        name = f"Renamed {a}"
        assert api.patch(f"/admin/articles/{a}", json={"prod_name": name}, headers=key).is_success
        exp.fields[a] = {"prod_name": name}
    for a in ids[85:90]:
        assert api.delete(f"/admin/articles/{a}", headers=key).status_code == 200
        exp.deleted.add(a)
        exp.fields.pop(a, None)
    return exp


def test_a_build_after_100_changes_serves_them_all_from_the_build(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    settings = scratch_settings(tiny_settings, tmp_path)
    key = _key(settings)
    articles = pd.read_csv(tiny_world / "articles.csv", dtype=str)
    with TestClient(create_app(settings)) as api:
        exp = _hundred_changes(api, key, articles, 100)
        exp.check(api)
    log = open_changes(settings.db_path)
    high = log.high_water()
    log.close()
    assert high == 100
    summary = build(settings, data_dir=tiny_world)
    with TestClient(create_app(settings)) as api:
        snap = api.app.state.index.snapshot()  # type: ignore[attr-defined]
        assert snap.version == summary.version
        assert snap.built_catalog_seq == 100 and snap.catalog_seq == 100  # nothing live
        exp.check(api)
        # The new articles are in the build, searchable by their words.
        new = {f"{9_100_000_000 + 100 * 100 + i:010d}" for i in range(10)}
        hits = api.get("/articles?q=Novelty+wrap&limit=10").json()["items"]
        assert len(new & {i["article_id"] for i in hits}) >= 5
        gone = [a for a in exp.deleted]
        assert not set(gone) & {
            i["article_id"] for i in api.get("/trending?limit=100").json()["items"]
        }
        total = api.get("/articles?limit=1").json()["total"]
        staff = api.get("/articles?limit=1&include_unavailable=true", headers=key).json()
        assert staff["total"] - total == 20  # 10 out of stock, 10 hidden
    assert summary.articles == len(articles) + 10 - 5


class _BuildLog:
    """A build process's log lines, read as they come (so its pipe never fills); ``loaded``
    is set once it logs that it read the data folder and the logs."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.loaded = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.lines.append(line.rstrip())
            if "stage load done" in line:
                self.loaded.set()

    def __str__(self) -> str:
        return "\n".join(self.lines[-20:])


def test_a_build_killed_while_changes_arrive_loses_none(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    settings = scratch_settings(tiny_settings, tmp_path)
    key = _key(settings)
    articles = pd.read_csv(tiny_world / "articles.csv", dtype=str)
    env = {
        **os.environ,
        "LOOKBOOK_INDEX_DIR": str(settings.index_dir),
        "LOOKBOOK_DB_PATH": str(settings.db_path),
        "LOOKBOOK_MODELS__ALS_FACTORS": str(settings.models.als_factors),
        "LOOKBOOK_MODELS__CNN_EPOCHS": str(settings.models.cnn_epochs),
        "HF_HUB_OFFLINE": "1",
    }
    name = "killed-part-way"
    cmd = [sys.executable, "-m", "indexer", "build", "--data", str(tiny_world), "--version", name]
    rng = random.Random(16)
    with TestClient(create_app(settings)) as api:
        before = api.app.state.index.snapshot().version  # type: ignore[attr-defined]
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        build_log = _BuildLog(proc)
        made: dict[str, Expected] = {}
        writer = threading.Thread(
            target=lambda: made.setdefault("exp", _hundred_changes(api, key, articles, 100))
        )
        writer.start()
        # Killed part-way: after it read the data and the log, before it could publish.
        deadline = time.monotonic() + 180
        while not build_log.loaded.wait(0.2):
            assert proc.poll() is None, f"the build ended before it loaded:\n{build_log}"
            assert time.monotonic() < deadline, f"the build did not load in 180 s:\n{build_log}"
        time.sleep(rng.uniform(0.0, 2.0))
        assert proc.poll() is None, f"the build ended before it was killed:\n{build_log}"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        writer.join()
        assert proc.returncode == -signal.SIGKILL
        assert not [line for line in build_log.lines if "published" in line]
        assert (settings.index_dir / "models" / name).is_dir()  # what it left part-way
        store = open_store(settings)
        assert name not in store.versions()
        store.close()
        # The version in hand still serves, with every change.
        assert api.app.state.index.snapshot().version == before  # type: ignore[attr-defined]
        exp = made["exp"]
        exp.check(api)

        # A build that runs while more changes arrive: those it read are in it, the later
        # ones are applied on top of it.
        done: dict[str, Any] = {}

        def later() -> None:
            time.sleep(0.5)
            done["exp"] = _hundred_changes(api, key, articles, 200)

        thread = threading.Thread(target=later)
        thread.start()
        summary = build(settings, data_dir=tiny_world)
        thread.join()
    with TestClient(create_app(settings)) as api:
        snap = api.app.state.index.snapshot()  # type: ignore[attr-defined]
        assert snap.version == summary.version
        assert snap.catalog_seq == 200
        exp.check(api)
        done["exp"].check(api)


def test_two_api_processes_serve_each_others_changes_within_two_seconds(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    """Two `python -m api serve` processes, each on its own private copy of the Edge version,
    one database: a change made through either is served by the other within 2 s."""
    settings = scratch_settings(tiny_settings, tmp_path)
    key = _key(settings)
    ports = [_free_port(), _free_port()]
    os.environ["LOOKBOOK_PRIVATE_INDEX"] = "true"
    try:
        procs = [
            start_api(settings.index_dir, tiny_world, p, 1, db=settings.db_path) for p in ports
        ]
    finally:
        os.environ.pop("LOOKBOOK_PRIVATE_INDEX")
    articles = pd.read_csv(tiny_world / "articles.csv", dtype=str)
    try:
        one, two = (f"http://127.0.0.1:{p}" for p in ports)
        pids = {httpx.get(f"{u}/ready").json()["process"] for u in (one, two)}
        assert len(pids) == 2
        waits = []
        for i, aid in enumerate(articles.article_id[300:306]):
            src, dst = (one, two) if i % 2 == 0 else (two, one)
            price = 11.0 + i
            r = httpx.patch(f"{src}/admin/articles/{aid}", json={"price": price}, headers=key)
            assert r.status_code == 200, r.text
            assert httpx.get(f"{src}/articles/{aid}").json()["price"] == price  # at once
            start = time.monotonic()
            while httpx.get(f"{dst}/articles/{aid}").json()["price"] != price:
                assert time.monotonic() - start < 2.0, f"{dst} did not serve the change in 2 s"
                time.sleep(0.02)
            waits.append(time.monotonic() - start)
        # Out of stock through one: gone from the other's browse within 2 s.
        aid = articles.article_id[310]
        url = f"{two}/articles?limit=1"
        total = httpx.get(url).json()["total"]
        httpx.patch(f"{one}/admin/articles/{aid}", json={"in_stock": False}, headers=key)
        start = time.monotonic()
        while httpx.get(url).json()["total"] != total - 1:
            assert time.monotonic() - start < 2.0
            time.sleep(0.02)
        assert float(np.max(waits)) < 2.0
    finally:
        for p in procs:
            p.terminate()
            p.wait(30)
