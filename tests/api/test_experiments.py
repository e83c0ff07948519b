"""Experiments through HTTP (issue 25): a visitor's variant is the assignment's, in the
response and its rec_id; a variant's overlay gives that variant's weights; cached answers do not
leak between variants; events count for their variant in the results; invalid or overlapping
experiments are a 422 naming the field; staff only; a stopped experiment serves no variant."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.experiments import ExperimentIn, assign
from core.keys import KeyStore
from tests.conftest import scratch_settings

pytestmark = pytest.mark.slow
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def shop(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    settings = scratch_settings(tiny_settings, tmp_path_factory.mktemp("experiments"))
    store = KeyStore(settings.db_path)
    keys = {
        r: {"X-API-Key": store.create(r, f"x-{r}")[1]} for r in ("service", "merchandiser", "admin")
    }
    store.close()
    customers = pd.read_csv(tiny_world / "customers.csv", dtype=str).customer_id.tolist()
    with TestClient(create_app(settings)) as client:
        yield client, keys, customers


BODY: dict[str, Any] = {
    "name": "Image only against the blend",
    "surfaces": ["feed", "trending"],
    "starts_at": (NOW - timedelta(hours=1)).isoformat(),
    "ends_at": (NOW + timedelta(days=14)).isoformat(),
    "variants": [
        {"name": "A", "share": 0.5},
        {"name": "B", "share": 0.5, "overlay": {"weights": {"cf": 0, "text": 0, "image": 1}}},
    ],
}


def test_experiments_end_to_end(shop: Any) -> None:
    client, keys, customers = shop
    staff, service = keys["merchandiser"], keys["service"]
    # Staff only; a whitelist of settings; no overlap.
    assert client.post("/admin/experiments", json=BODY).status_code == 401
    assert client.post("/admin/experiments", json=BODY, headers=service).status_code == 403
    bad = {
        **BODY,
        "variants": [
            BODY["variants"][0],
            {"name": "B", "share": 0.5, "overlay": {"secret_key": "x"}},
        ],
    }
    r = client.post("/admin/experiments", json=bad, headers=staff)
    assert r.status_code == 422 and "variants.1.overlay.secret_key" in r.text
    r = client.post("/admin/experiments", json=BODY, headers=staff)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["status"] == "running" and made["created_by"] == "x-merchandiser"
    again = client.post(
        "/admin/experiments", json={**BODY, "surfaces": ["trending"]}, headers=staff
    )
    assert again.status_code == 422 and f"experiment {made['id']}" in again.text
    assert [
        x["id"] for x in client.get("/admin/experiments", headers=staff).json()["experiments"]
    ] == [made["id"]]

    variants = ExperimentIn.model_validate(BODY).variants
    xid = made["id"]
    # The feed: each customer in their variant; B ranks by image only.
    seen = set()
    for c in customers[:12]:
        body = client.get(f"/recommendations/{c}", headers=service).json()
        want = assign(xid, c, variants).name
        assert (body["experiment"], body["variant"]) == (xid, want)
        assert body["rec_id"].split(".")[2] == f"x{xid}-{want}"
        weights = body["weights"]
        if want == "B":
            assert weights == {"cf": 0.0, "text": 0.0, "image": 1.0}
            for item in body["items"]:
                assert item["score"] == pytest.approx(item["parts"]["image"] or 0.0, abs=1e-4)
        else:
            assert weights == {"cf": 0.5, "text": 0.3, "image": 0.2}
        seen.add(want)
    assert seen == {"A", "B"}
    # Search is not covered: no experiment.
    assert client.get("/search?q=black").json()["experiment"] is None

    # Anonymous visitors on trending, by their visitor id; the cache keeps variants apart.
    by_variant: dict[str, str] = {}
    for i in range(40):
        v = f"visitor-{i:04d}"
        by_variant.setdefault(assign(xid, v, variants).name, v)
        if len(by_variant) == 2:
            break
    answers = {}
    for name, v in sorted(by_variant.items()):
        r = client.get("/trending?limit=5", headers={"X-Visitor-Id": v})
        answers[name] = r
        assert r.json()["variant"] == name and r.headers["x-cache"] == "miss"
    r = client.get("/trending?limit=5", headers={"X-Visitor-Id": by_variant["B"]})
    assert r.headers["x-cache"] == "hit" and r.json()["variant"] == "B"
    assert r.json()["rec_id"] != answers["B"].json()["rec_id"]
    assert r.json()["rec_id"].split(".")[2] == f"x{xid}-B"

    # Events on a variant's list count for that variant.
    a_list = answers["A"].json()
    event = {
        "event_id": uuid.uuid4().hex,
        "type": "view",
        "customer_id": customers[0],
        "article_id": a_list["items"][0]["article_id"],
        "rec_id": a_list["rec_id"],
        "position": 1,
    }
    assert client.post("/events", json={"events": [event]}, headers=service).status_code == 200
    client.app.state.attribution.log.flush()  # type: ignore[attr-defined]
    res = client.get(f"/admin/experiments/{xid}/results", headers=staff).json()
    rows = {v["name"]: v for v in res["variants"]}
    assert rows["A"]["control"] and not rows["B"]["control"]
    feed_visitors = {
        n: sum(assign(xid, c, variants).name == n for c in customers[:12]) for n in "AB"
    }
    # Each visitor once: the feed's customers, the two trending visitors.
    assert rows["A"]["visitors"] == feed_visitors["A"] + 1
    assert rows["B"]["visitors"] == feed_visitors["B"] + 1
    assert rows["A"]["metrics"]["click_through"]["value"] == pytest.approx(
        1 / rows["A"]["visitors"]
    )
    assert rows["B"]["metrics"]["click_through"]["value"] == 0.0
    assert "Welch" in res["test"] and res["sample_ratio"]["flagged"] is False
    assert res["verdict"].startswith("No difference detected")

    # Stopped: back on the shop's settings at once.
    stopped = client.post(f"/admin/experiments/{xid}/stop", headers=staff).json()
    assert stopped["status"] == "stopped"
    audit = client.get("/admin/audit?limit=50", headers=keys["admin"]).json()["items"]
    said = {(a["key_name"], a["method"], a["path"]) for a in audit}
    assert ("x-merchandiser", "POST", "/admin/experiments") in said
    assert ("x-merchandiser", "POST", f"/admin/experiments/{xid}/stop") in said
    body = client.get(f"/recommendations/{customers[0]}", headers=service).json()
    assert body["experiment"] is None and body["rec_id"].split(".")[2] == "-"
    assert (
        client.get("/trending?limit=5", headers={"X-Visitor-Id": by_variant["B"]}).json()["variant"]
        is None
    )
