"""A build reads the logged purchases on top of the CSVs: nothing acknowledged is lost, and the
API applies only what was logged after the build, so nothing is counted twice."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.events import open_log
from core.keys import KeyStore
from indexer.build.pipeline import build
from indexer.export import HEADER, export_purchases
from ranking.taste import load_customer

pytestmark = pytest.mark.slow
NEWCOMER = "e7" * 32


def _purchase(customer: str, article: str, price: float | None = None) -> dict[str, Any]:
    event = {"event_id": uuid.uuid4().hex, "type": "purchase"}
    event |= {"customer_id": customer, "article_id": article}
    return event if price is None else {**event, "price": price}


def test_a_build_folds_in_the_logged_purchases_once(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    settings = tiny_settings.model_copy(update={"db_path": tmp_path / "lookbook.db"})
    keys = KeyStore(settings.db_path)
    service = {"X-API-Key": keys.create("service", "build")[1]}
    keys.close()
    arts = sorted(pd.read_csv(tiny_world / "articles.csv", dtype=str).article_id)
    sales = pd.read_csv(tiny_world / "transactions_train.csv", dtype=str)
    regular = str(sales.customer_id.value_counts().index[0])
    fresh = next(a for a in arts if a not in set(sales[sales.customer_id == regular].article_id))
    with TestClient(create_app(settings)) as api:
        batch = [_purchase(regular, fresh, 25.0), _purchase(NEWCOMER, arts[0])]
        batch += [_purchase(NEWCOMER, arts[1]), {**_purchase(NEWCOMER, arts[2]), "type": "view"}]
        r = api.post("/events", json={"events": batch}, headers=service)
        assert r.json() == {"accepted": 4, "duplicates": 0}

    # The export reads like transactions_train.csv: the shop price back on the data's scale.
    out = io.StringIO()
    log = open_log(settings.db_path)
    assert export_purchases(log, out, None, settings.shop.price_multiplier) == 3
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == HEADER and len(rows) == 4
    assert rows[1][1:] == [regular, fresh, repr(25.0 / settings.shop.price_multiplier), "2"]
    assert pd.Timestamp(rows[1][0]).date() == pd.Timestamp.now("UTC").date()

    # A fresh build (its own index folder) over the same log.
    built = settings.model_copy(update={"index_dir": tmp_path / "index"})
    summary = build(built, data_dir=tiny_world)
    assert summary.customers == tiny_index.customers + 1  # the newcomer, known from the log
    assert summary.transactions == tiny_index.transactions + 3
    with TestClient(create_app(built)) as api:
        snap = api.app.state.index.snapshot()  # type: ignore[attr-defined]
        assert snap.events_seq == log.high_water() == 4
        assert snap.manifest["logged_purchases"] == 3
        assert snap.customers is not None
        row = snap.customers.get(regular)
        assert row is not None and fresh in row.bought and row.recent[0] == fresh
        newcomer = snap.customers.get(NEWCOMER)
        assert newcomer is not None and sorted(newcomer.bought) == arts[:2]
        # Nothing logged after the build: the API adds nothing on top (no purchase twice).
        assert not log.activity(regular, snap.events_seq, 50).purchases
        assert load_customer(snap, regular, log.activity(regular, snap.events_seq, 50)).cf == (
            row.cf.tolist()
        )
        # The newcomer now has a personal feed from the build itself.
        token = api.post("/session", json={"customer_id": NEWCOMER}).json()["access_token"]
        feed = api.get(
            f"/recommendations/{NEWCOMER}", headers={"Authorization": f"Bearer {token}"}
        ).json()["items"]
        assert feed and all(i["parts"]["cf"] is not None for i in feed)
        # A purchase logged after the build is applied on top of it, once.
        again = [_purchase(regular, arts[5])]
        api.post("/events", json={"events": again}, headers=service)
        later = log.activity(regular, snap.events_seq, 50).purchases
        assert [p.article_id for p in later] == [arts[5]]
    log.close()
