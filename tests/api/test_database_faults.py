"""PostgreSQL SIGKILLed and restarted under load (issue 22): a client posts event batches and
retries the unanswered ones with the same ids. Every acknowledged event is in the log exactly
once, nothing else is; the API answered 503 (never a 500) while the database was down, kept
serving reads from the index, and needed no restart."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from sqlalchemy import text

from bench.loadgen import _free_port
from core.keys import KeyStore
from core.state import open_part
from tests.conftest import copy_index, pg_database
from tests.hosts import start_api, stop_all
from tests.pg import Cluster

pytestmark = pytest.mark.slow


def test_events_survive_a_database_crash_exactly_once(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    cluster = Cluster()  # its own server: this test kills it (under /tmp: postgres must reach it)
    try:
        url = pg_database(cluster)
        keys = KeyStore(url)
        service = {"X-API-Key": keys.create("service", "shop-server")[1]}
        keys.close()
        settings = tiny_settings.model_copy(
            update={
                "index_dir": copy_index(tiny_settings.index_dir, tmp_path / "index"),
                "db_path": tmp_path / "state" / "lookbook.db",
            }
        )
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_api(
            settings, tiny_world, port, tmp_path / "api.log", LOOKBOOK_DATABASE_URL=url
        )
        articles = pd.read_csv(tiny_world / "articles.csv", dtype=str).article_id.tolist()
        customers = pd.read_csv(tiny_world / "customers.csv", dtype=str).customer_id.tolist()
        acknowledged: set[str] = set()
        statuses: dict[int, int] = {}
        down_reads: list[int] = []
        stop = threading.Event()

        def post_batches() -> None:
            with httpx.Client(base_url=base, timeout=10) as client:
                n = 0
                while not stop.is_set():
                    batch = [
                        {
                            "event_id": uuid.uuid4().hex,
                            "type": ("view", "add_to_cart", "purchase")[i % 3],
                            "customer_id": customers[(n + i) % len(customers)],
                            "article_id": articles[(n * 7 + i) % len(articles)],
                        }
                        for i in range(20)
                    ]
                    n += 1
                    while True:  # the same ids until acknowledged
                        try:
                            r = client.post("/events", json={"events": batch}, headers=service)
                            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                            if r.status_code == 200:
                                acknowledged.update(e["event_id"] for e in batch)
                                break
                            assert r.status_code == 503, r.text
                            assert r.headers["retry-after"] == "5"
                        except httpx.TransportError:
                            statuses[0] = statuses.get(0, 0) + 1
                        time.sleep(0.1)

        poster = threading.Thread(target=post_batches)
        poster.start()
        time.sleep(2)
        cluster.kill()
        # Down: writes are 503 (seen by the poster); reads answer from the index.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            for path in ("/trending?limit=5", "/articles?limit=5", "/search?q=black%20dress"):
                down_reads.append(httpx.get(base + path, timeout=10).status_code)
            feed = f"/recommendations/{customers[0]}?limit=5"
            down_reads.append(httpx.get(base + feed, headers=service, timeout=10).status_code)
        ready = httpx.get(f"{base}/ready", timeout=10).json()["database"]
        assert ready["reachable"] is False
        cluster.start()
        time.sleep(3)  # the API reconnects by itself
        stop.set()
        poster.join(60)
        assert not poster.is_alive()
        assert proc.poll() is None  # never restarted

        assert statuses.get(500, 0) == 0 and statuses[503] >= 1 and statuses[200] >= 10
        assert set(down_reads) == {200}, down_reads
        with open_part(url, "events").read() as conn:
            logged = [r[0] for r in conn.execute(text("SELECT event_id FROM events"))]
        assert len(logged) == len(set(logged))  # each once
        assert set(logged) == acknowledged  # every acknowledged one, nothing else
        assert httpx.get(f"{base}/ready").json()["database"]["reachable"] is True
        stop_all([proc])
    finally:
        cluster.remove()
