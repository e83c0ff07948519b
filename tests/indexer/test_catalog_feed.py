"""Catalog feeds and compaction (issue 16): `indexer apply FILE` logs the valid rows of a CSV
or JSON-lines feed and rejects the others with their line numbers; `indexer compact` folds the
served changes into the data folder, and a build from it serves the same catalog."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.changes import open_changes
from core.settings import get_settings
from core.store import open_store
from indexer.__main__ import main
from indexer.build.pipeline import build
from indexer.catalog import SHOP_FILE, apply_file, compact
from tests.conftest import copy_index

pytestmark = pytest.mark.slow
NEW = "9200000001"


def _settings(tiny_settings: Any, root: Path, data: Path | None = None) -> Any:
    update = {
        "index_dir": copy_index(tiny_settings.index_dir, root / "index"),
        "db_path": root / "lookbook.db",
    }
    if data is not None:
        update["data_dir"] = data
    return tiny_settings.model_copy(update=update)


def _versions(settings: Any) -> list[str]:
    store = open_store(settings)
    try:
        return store.versions()
    finally:
        store.close()


def _feed(path: Path, articles: pd.DataFrame) -> dict[str, Any]:
    """A feed with good and bad rows; what the good ones must do."""
    a, b, c, d = (articles.article_id.iloc[i] for i in (3, 4, 5, 6))
    model = articles.iloc[8]
    new = {k: model[k] for k in articles.columns if k.endswith(("_no", "_code", "_id"))}
    new.pop("article_id")
    rows = [
        {"article_id": a, "price": "12.5"},  # line 2
        {"article_id": b, "in_stock": "false"},  # 3
        {"article_id": "9999999999", "price": "3"},  # 4: unknown article
        {"article_id": c, "price": "-4"},  # 5: negative price
        {"article_id": c, "op": "rename", "price": "4"},  # 6: unknown op
        {"article_id": c, "colour_group_code": "4242"},  # 7: unknown colour code
        {"article_id": NEW, "op": "put", "prod_name": "Feedline parka", "price": "80", **new},
        {"article_id": d, "op": "delete"},  # 9
        {"article_id": NEW, "price": "75"},  # 10: a patch of the article put above
    ]
    columns = sorted({k for r in rows for k in r}, key=lambda k: (k != "article_id", k))
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        fh.write(f"{a},too,many,fields,{',' * len(columns)}\n")  # line 11
    return {"price": {a: 12.5, NEW: 75.0}, "out": {b}, "deleted": {d}, "rejected": [4, 5, 6, 7, 11]}


def _check_served(api: TestClient, want: dict[str, Any]) -> None:
    """The feed's valid rows as the API serves them."""
    for aid, price in want["price"].items():
        assert api.get(f"/articles/{aid}").json()["price"] == price
    for aid in want["out"]:
        assert api.get(f"/articles/{aid}").json()["in_stock"] is False
    for aid in want["deleted"]:
        assert api.get(f"/articles/{aid}").status_code == 404
    assert api.get(f"/articles/{NEW}").json()["prod_name"] == "Feedline parka"


def test_a_feed_logs_the_valid_rows_and_rejects_the_others_by_line(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    settings = _settings(tiny_settings, tmp_path)
    articles = pd.read_csv(tiny_world / "articles.csv", dtype=str)
    feed = tmp_path / "feed.csv"
    want = _feed(feed, articles)
    summary = apply_file(settings, feed)
    assert summary.rows == 10 and summary.rejected == 5
    assert summary.applied == {"put": 1, "patch": 3, "delete": 1}
    rejects = pd.read_csv(summary.rejects_path, dtype=str)
    assert [int(x) for x in rejects.line] == want["rejected"]
    reasons = list(rejects.reason)
    assert "article_id" in reasons[0] and "price" in reasons[1] and "op" in reasons[2]
    assert "colour_group_code" in reasons[3] and "fields" in reasons[4]
    with TestClient(create_app(settings)) as api:
        _check_served(api, want)

    # JSON lines through the command line; a file whose header lacks article_id is an error.
    lines = tmp_path / "stock.jsonl"
    rows = [{"article_id": aid, "in_stock": True} for aid in want["out"]] + [{"op": 1}]
    lines.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    env = {"LOOKBOOK_INDEX_DIR": str(settings.index_dir), "LOOKBOOK_DB_PATH": str(settings.db_path)}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        get_settings.cache_clear()
        assert main(["apply", str(lines)]) == 3  # some rows rejected
        bad = tmp_path / "bad.csv"
        bad.write_text("sku,price\n1,2\n")
        assert main(["apply", str(bad)]) == 2
    get_settings.cache_clear()
    log = open_changes(settings.db_path)
    assert log.high_water() == 5 + len(want["out"])
    log.close()


def test_compact_folds_the_served_changes_into_the_data_and_a_build_serves_the_same(
    tiny_settings: Any, tiny_index: Any, tiny_world: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(tiny_world, data)
    settings = _settings(tiny_settings, tmp_path, data)
    articles = pd.read_csv(data / "articles.csv", dtype=str)
    want = _feed(tmp_path / "feed.csv", articles)
    apply_file(settings, tmp_path / "feed.csv")
    older = _versions(settings)
    build(settings, data_dir=data)  # the served version now holds the changes (catalog_seq)
    for version in older:  # given up: compaction keeps what a version still in the store lacks
        shutil.rmtree(settings.index_dir / "store" / "versions" / version)
        shutil.rmtree(settings.index_dir / "models" / version)
    later = articles.article_id.iloc[20]
    log = open_changes(settings.db_path)
    log.append([(later, "patch", {"price": 33.0})], "test")  # after the build: stays logged
    log.close()

    summary = compact(settings, data)
    assert summary.folded == 5 and summary.added == 1 and summary.deleted == 1
    log = open_changes(settings.db_path)
    assert [c.article_id for c in log.since(0)] == [later]
    log.close()
    rewritten = pd.read_csv(data / "articles.csv", dtype=str)
    assert len(rewritten) == len(articles) + 1
    assert rewritten.set_index("article_id").loc[NEW, "prod_name"] == "Feedline parka"
    shop = pd.read_csv(data / SHOP_FILE, dtype={"article_id": str}).set_index("article_id")
    assert shop.loc[NEW, "price"] == 75.0

    build(settings, data_dir=data)
    with TestClient(create_app(settings)) as api:
        _check_served(api, want)
        assert api.get(f"/articles/{later}").json()["price"] == 33.0
