"""The shared customers table: what the build writes is what a look-up by id reads back, and
the feed made from it is the one made from the store's customers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.customers import CustomerTable, save_customer_table

ARTICLES = ["0100000001", "0100000002", "0100000003", "0100000004"]
CUSTOMERS = ["f" * 64, "a" * 64, "c" * 64]


def _table(tmp_path: Path) -> CustomerTable:
    cf = np.array([[1, 2], [3, 4], [0, 0]], dtype=np.float32)
    histories = [
        (["0100000003", "0100000001"], [20, 11], ["0100000003", "0100000001"]),
        (["0100000002"], [5], ["0100000002", "0100000004"]),
        ([], [], []),
    ]
    save_customer_table(tmp_path, CUSTOMERS, cf, histories, ARTICLES)
    table = CustomerTable.load(tmp_path, ARTICLES)
    assert table is not None
    return table


def test_each_customer_reads_back_its_own_row(tmp_path: Path) -> None:
    table = _table(tmp_path)
    assert len(table) == 3
    first = table.get("f" * 64)
    assert first is not None
    assert first.cf.tolist() == [1.0, 2.0]
    assert first.recent == ["0100000003", "0100000001"] and first.recent_days == [20, 11]
    assert first.bought == ["0100000003", "0100000001"] and first.n_purchases == 2
    second = table.get("a" * 64)
    assert second is not None
    assert second.cf.tolist() == [3.0, 4.0] and second.bought == ["0100000002", "0100000004"]
    empty = table.get("c" * 64)
    assert empty is not None and empty.recent == [] and empty.n_purchases == 0


def test_an_unknown_customer_is_none(tmp_path: Path) -> None:
    table = _table(tmp_path)
    assert table.get("b" * 64) is None and table.get("0" * 64) is None
    assert "b" * 64 not in table and "a" * 64 in table


def test_an_index_without_the_table_is_none_and_bad_input_says_what(tmp_path: Path) -> None:
    assert CustomerTable.load(tmp_path, ARTICLES) is None
    with pytest.raises(ValueError, match="one row per customer"):
        save_customer_table(tmp_path, CUSTOMERS, np.zeros((2, 2), np.float32), [], ARTICLES)
    with pytest.raises(ValueError, match="duplicate customer_id"):
        save_customer_table(
            tmp_path, ["a" * 64, "a" * 64], np.zeros((2, 2), np.float32), [([], [], [])] * 2, []
        )


@pytest.mark.slow
def test_the_table_holds_what_the_store_holds(tiny_settings: Any, tiny_index: Any) -> None:
    """Built by the indexer: every customer's cf vector and history as in the store."""
    from core.catalog import point_id, unpack
    from core.store import open_store
    from ranking.index import LiveIndex

    live = LiveIndex(tiny_settings, open_store(tiny_settings))
    snap = live.snapshot()
    assert snap.customers is not None
    store = open_store(tiny_settings).open_reader(snap.version)
    with np.load(snap.models_dir / "ids.npz", allow_pickle=False) as f:
        ids = [str(c) for c in f["customer_id"]]
    records = store.retrieve("customers", [point_id(c) for c in ids], with_vectors=["cf"])
    assert len(records) == len(ids) == len(snap.customers)
    for cid, rec in zip(ids, records, strict=True):
        row = snap.customers.get(cid)
        assert row is not None
        assert row.cf.tolist() == pytest.approx(rec.vectors["cf"], abs=1e-6)
        assert row.recent == unpack(rec.payload["recent"])
        assert row.recent_days == [int(d) for d in unpack(rec.payload["recent_days"])]
        assert row.bought == unpack(rec.payload["bought"])
        assert row.n_purchases == rec.payload["n_purchases"]
    # The feed's view of a customer is the same from the table as from the store (the
    # snapshot reads articles only when it has the table: the store's reader stands in).
    from dataclasses import replace

    from ranking.taste import load_customer

    without_table = replace(snap, reader=store, customers=None)
    for cid in ids[:200]:
        from_table = load_customer(snap, cid)
        from_store = load_customer(without_table, cid)
        assert from_table.recent == from_store.recent and from_table.bought == from_store.bought
        assert from_table.recent_days == from_store.recent_days
        assert (from_table.cf is None) == (from_store.cf is None)
        if from_table.cf is not None:
            assert from_table.cf == pytest.approx(from_store.cf, abs=1e-6)
    store.close()
    live.close()
