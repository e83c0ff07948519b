"""Two hosts sharing one PostgreSQL database (issue 22): two `python -m api serve` instances,
each with its own copy of the index and its own LOOKBOOK_DB_PATH folder, one
LOOKBOOK_DATABASE_URL. What is written through one is what the other serves."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from bench.loadgen import _free_port
from core.experiments import ExperimentIn, assign
from core.keys import KeyStore
from tests.conftest import copy_index, pg_database
from tests.hosts import start_api, stop_all, until

pytestmark = pytest.mark.slow


def test_two_hosts_share_events_catalog_keys_and_limits(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path, pg_cluster: Any
) -> None:
    url = pg_database(pg_cluster)
    keys = KeyStore(url)
    service = {"X-API-Key": keys.create("service", "shop-server")[1]}
    merch = {"X-API-Key": keys.create("merchandiser", "pricing")[1]}
    admin = {"X-API-Key": keys.create("admin", "ops")[1]}
    doomed = {"X-API-Key": keys.create("service", "old-integration")[1]}
    keys.close()
    hosts = []
    for name in ("a", "b"):
        root = tmp_path / name
        root.mkdir()
        settings = tiny_settings.model_copy(
            update={
                "index_dir": copy_index(tiny_settings.index_dir, root / "index"),
                "db_path": root / "state" / "lookbook.db",
            }
        )
        hosts.append((settings, _free_port(), root / "api.log"))
    env = {
        "LOOKBOOK_DATABASE_URL": url,
        "LOOKBOOK_RATE_LIMIT__SEARCH": "3/minute",
    }
    procs = [start_api(s, tiny_world, port, log, **env) for s, port, log in hosts]
    a, b = (f"http://127.0.0.1:{port}" for _, port, _ in hosts)
    try:
        for base in (a, b):
            db = httpx.get(f"{base}/ready").json()["database"]
            assert db == {
                "backend": "postgresql",
                "reachable": True,
                "schema": "current",
                "revisions": {
                    "main": "main_0003",
                    "events": "events_0005",
                    "limits": "limits_0001",
                },
            }

        # A purchase posted to A is gone from B's next feed.
        sales = pd.read_csv(tiny_world / "transactions_train.csv", dtype=str)
        customer = str(sales.customer_id.value_counts().index[0])
        feed = f"/recommendations/{customer}?limit=50&collapse=false"
        first = httpx.get(b + feed, headers=service).json()["items"]
        top = next(i["article_id"] for i in first if not i["reason"].startswith("You bought"))
        assert httpx.get(b + feed, headers=service).headers["x-cache"] == "hit"
        event = {
            "event_id": uuid.uuid4().hex,
            "type": "purchase",
            "customer_id": customer,
            "article_id": top,
        }
        r = httpx.post(f"{a}/events", json={"events": [event]}, headers=service)
        assert r.json() == {"accepted": 1, "duplicates": 0}
        after = httpx.get(b + feed, headers=service)
        assert after.headers["x-cache"] == "miss"
        # Bought now: left out, or kept as a likely rebuy that says so.
        reason = {i["article_id"]: i["reason"] for i in after.json()["items"]}.get(top)
        assert reason is None or reason.startswith("You bought it")
        # The same event posted again to B is a duplicate.
        r = httpx.post(f"{b}/events", json={"events": [event]}, headers=service)
        assert r.json() == {"accepted": 0, "duplicates": 1}

        # A catalog change through B is served by A within 2 s.
        article = pd.read_csv(tiny_world / "articles.csv", dtype=str).article_id[77]
        assert httpx.get(f"{a}/articles/{article}").status_code == 200  # cached on A now
        r = httpx.patch(f"{b}/admin/articles/{article}", json={"price": 12.34}, headers=merch)
        assert r.status_code == 200, r.text
        until(
            lambda: httpx.get(f"{a}/articles/{article}").json()["price"] == 12.34,
            "A never served B's change",
            2.0,
        )

        # A photo uploaded through B is served by A (it never had the file).
        photo = tiny_world / "images" / article[:3] / f"{article}.jpg"
        other = sorted((tiny_world / "images").rglob("*.jpg"))[5].read_bytes()
        assert other != photo.read_bytes()
        files = {"file": ("new.jpg", other, "image/jpeg")}
        r = httpx.put(f"{b}/admin/articles/{article}/image", files=files, headers=merch)
        assert r.status_code == 200, r.text
        until(
            lambda: httpx.get(f"{a}/images/{article}.jpg").content == other,
            "A never served B's photo",
            2.0,
        )

        # A merchandising rule created through A is applied by B within 2 s, and B's answer
        # cached before it is never served after it.
        listing = f"{b}/trending?limit=12"
        first = httpx.get(listing)
        assert httpx.get(listing).headers["x-cache"] == "hit"
        shown = {i["article_id"] for i in first.json()["items"]}
        trend = httpx.get(f"{b}/trending?limit=50").json()["items"]
        pinned = next(i["article_id"] for i in trend[::-1] if i["article_id"] not in shown)
        rule = {
            "name": "Shared pin",
            "scope": {"surfaces": ["trending"]},
            "action": {"type": "pin", "pins": [{"article_id": pinned, "position": 1}]},
        }
        r = httpx.post(f"{a}/admin/rules", json=rule, headers=merch)
        assert r.status_code == 201, r.text
        written = time.monotonic()
        until(
            lambda: httpx.get(listing).json()["items"][0]["article_id"] == pinned,
            "B never applied A's rule",
            2.0,
        )
        assert time.monotonic() - written < 2.0
        after_rule = httpx.get(listing)
        assert after_rule.json()["items"][0]["rules"][0]["name"] == "Shared pin"

        # An experiment started through A puts B's visitors in their variants within 2 s, and
        # one stopped through A takes them out.
        visitor = {"X-Visitor-Id": "two-hosts-visitor"}
        now = datetime.now(UTC)
        trial = {
            "name": "Shared split",
            "surfaces": ["trending"],
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(),
            "variants": [{"name": "A", "share": 0.5}, {"name": "B", "share": 0.5}],
        }
        r = httpx.post(f"{a}/admin/experiments", json=trial, headers=merch)
        assert r.status_code == 201, r.text
        xid, written = r.json()["id"], time.monotonic()
        want = assign(xid, "two-hosts-visitor", ExperimentIn.model_validate(trial).variants).name
        until(
            lambda: httpx.get(listing, headers=visitor).json()["variant"] == want,
            "B never applied A's experiment",
            2.0,
        )
        assert time.monotonic() - written < 2.0
        assert httpx.post(f"{a}/admin/experiments/{xid}/stop", headers=merch).status_code == 200
        until(
            lambda: httpx.get(listing, headers=visitor).json()["variant"] is None,
            "B kept serving a stopped experiment",
            2.0,
        )

        # A key revoked on A is refused by B at once.
        assert httpx.get(b + feed, headers=doomed).status_code == 200
        assert httpx.delete(f"{a}/admin/keys/old-integration", headers=admin).status_code == 204
        assert httpx.get(b + feed, headers=doomed).status_code == 401

        # A shopper over the search limit on A gets 429 on B.
        token = httpx.post(f"{a}/session", json={"customer_id": customer}).json()["access_token"]
        shopper = {"Authorization": f"Bearer {token}"}
        for i in range(3):
            assert httpx.get(f"{a}/search?q=dress{i}", headers=shopper).status_code == 200
        refused = httpx.get(f"{b}/search?q=dress", headers=shopper)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    finally:
        stop_all(procs)


def test_an_api_refuses_a_database_at_another_schema_naming_the_command(
    tiny_settings: Any, pg_cluster: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from api.main import create_app
    from core.db import Database
    from core.state import SchemaMismatch

    empty = pg_cluster.new_database()
    app = create_app(tiny_settings.model_copy(update={"database_url": empty}))
    with (
        pytest.raises(SchemaMismatch, match=r"empty.*run `python -m api db upgrade`"),
        TestClient(app),
    ):
        pass
    assert "refusing to start" in caplog.text

    newer = pg_database(pg_cluster)
    db = Database.open(newer)
    with db.write() as conn:
        conn.execute(
            text(
                "UPDATE alembic_version SET version_num = 'events_9999' "
                "WHERE version_num LIKE 'events_%'"
            )
        )
    db.close()
    app = create_app(tiny_settings.model_copy(update={"database_url": newer}))
    with pytest.raises(SchemaMismatch, match="events is newer"), TestClient(app):
        pass
