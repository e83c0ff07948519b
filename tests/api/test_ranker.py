"""The learned ranker through HTTP: set for the shop (LOOKBOOK_RANKING__RANKER=learned) or by an
experiment's variant, the feed says ``ranker: learned`` instead of its weights, each item still
with its parts and a reason; a version whose model reads other features is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.keys import KeyStore
from scoring import learned
from tests.conftest import TROUSERS_FAN, scratch_settings

pytestmark = pytest.mark.slow


def _keys(settings: Any) -> dict[str, dict[str, str]]:
    store = KeyStore(settings.db_path)
    keys = {r: {"X-API-Key": store.create(r, f"ranker-{r}")[1]} for r in ("service", "admin")}
    store.close()
    return keys


def _window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    }


def _start(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    name: str,
    surface: str,
    overlays: list[dict[str, str]],
) -> Any:
    """POST an experiment of two even variants A and B with these overlays, running now."""
    variants = [
        {"name": v, "share": 0.5, "overlay": o} for v, o in zip("AB", overlays, strict=True)
    ]
    body = {"name": name, "surfaces": [surface], **_window(), "variants": variants}
    return client.post("/admin/experiments", headers=keys["admin"], json=body)


def test_the_shop_serves_the_learned_ranker(
    tiny_settings: Any, tiny_index: Any, tmp_path: Path
) -> None:
    settings = scratch_settings(tiny_settings, tmp_path)
    settings = settings.model_copy(
        update={"ranking": settings.ranking.model_copy(update={"ranker": "learned"})}
    )
    keys = _keys(settings)
    with TestClient(create_app(settings)) as client:
        body = client.get(f"/recommendations/{TROUSERS_FAN}", headers=keys["service"]).json()
        assert body["ranker"] == "learned" and body["weights"] is None
        assert len(body["items"]) == 12
        for item in body["items"]:
            assert item["reason"]
            assert any(v is not None for v in item["parts"].values())
        scores = [i["score"] for i in body["items"]]
        assert scores == sorted(scores, reverse=True)
        # Similar items and search are still the blend's.
        article = body["items"][0]["article_id"]
        similar = client.get(f"/articles/{article}/similar").json()
        assert similar["ranker"] is None and similar["weights"]


def test_an_experiment_variant_serves_the_learned_ranker(
    tiny_settings: Any, tiny_index: Any, tmp_path: Path
) -> None:
    settings = scratch_settings(tiny_settings, tmp_path)
    keys = _keys(settings)
    with TestClient(create_app(settings)) as client:
        made = _start(
            client,
            keys,
            "learned for all",
            "feed",
            [{"ranker": "learned"}, {"ranker": "learned"}],
        )
        assert made.status_code == 201, made.text
        body = client.get(f"/recommendations/{TROUSERS_FAN}", headers=keys["service"]).json()
        assert body["experiment"] == made.json()["id"]
        assert body["ranker"] == "learned" and body["weights"] is None
        wrong = _start(client, keys, "no such ranker", "trending", [{}, {"ranker": "forest"}])
        assert wrong.status_code == 422
        assert "variants.1.overlay.ranker" in wrong.text


def test_a_model_of_other_features_is_refused_with_words(
    tiny_settings: Any, tiny_index: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = scratch_settings(tiny_settings, tmp_path)
    settings = settings.model_copy(
        update={"ranking": settings.ranking.model_copy(update={"ranker": "learned"})}
    )
    models = settings.index_dir / "models"
    for folder in models.iterdir():
        meta = folder / learned.FOLDER / "ranker.json"
        if meta.is_file():
            written = json.loads(meta.read_text())
            written["features"] = written["features"][:-1]
            meta.write_text(json.dumps(written))
    keys = _keys(settings)
    with TestClient(create_app(settings)) as client:
        r = client.get(f"/recommendations/{TROUSERS_FAN}", headers=keys["service"])
        # The client is told the list cannot be served now; the log line with its request id
        # says why, in words an operator can act on.
        assert r.status_code == 503
        said = "\n".join(rec.getMessage() for rec in caplog.records)
        assert "learned ranker was trained on other features" in said
        assert "missing ['days_since_last']" in said and "rebuild the index" in said
        # The blend is still served where the ranker is not asked for.
        assert client.get("/trending").status_code == 200
