"""The catalog's change log and what a run of changes means (`fold`): known answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.changes import ArticleState, Change, fold, open_changes
from core.events import Event, open_log

A, B, C = "0000000001", "0000000002", "0000000003"


def test_fold_applies_puts_patches_and_deletes_in_sequence_order() -> None:
    changes = [
        Change(5, A, "patch", {"in_stock": False}),
        Change(2, A, "put", {"prod_name": "Vera", "price": 20.0, "in_stock": True}),
        Change(3, B, "patch", {"price": 9.5}),
        Change(4, B, "patch", {"hidden": True}),
        Change(6, C, "put", {"prod_name": "Loke"}),
        Change(7, C, "delete"),
        Change(8, C, "patch", {"price": 1.0}),  # nothing left to patch
    ]
    assert fold(changes) == {
        # The patch after the put updates it; given out of order, the sequence decides.
        A: ArticleState({"prod_name": "Vera", "price": 20.0, "in_stock": False}, True, 5),
        # Patches only: on top of the built article, the later one added to the earlier one.
        B: ArticleState({"price": 9.5, "hidden": True}, False, 4),
        C: ArticleState(None, True, 7),
    }


def test_a_put_after_patches_replaces_them() -> None:
    state = fold([Change(1, A, "patch", {"price": 3.0}), Change(2, A, "put", {"prod_name": "X"})])
    assert state[A] == ArticleState({"prod_name": "X"}, True, 2)


def test_the_log_numbers_changes_and_reads_them_back(state: Path | str) -> None:
    log = open_changes(state)
    assert log.high_water() == 0
    seqs = log.append([(A, "put", {"price": 20.0}), (B, "patch", {"in_stock": False})], "merch")
    assert seqs == [1, 2]
    assert log.append([(A, "delete", {})], "svc") == [3]
    assert [(c.seq, c.article_id, c.op, dict(c.fields), c.actor) for c in log.since(1)] == [
        (2, B, "patch", {"in_stock": False}, "merch"),
        (3, A, "delete", {}, "svc"),
    ]
    assert [c.seq for c in log.since(0, upto_seq=2)] == [1, 2]
    with pytest.raises(ValueError, match="op must be one of"):
        log.append([(C, "put", {}), (C, "rename", {})], "merch")  # type: ignore[list-item]
    assert log.high_water() == 3  # the bad batch wrote nothing, its good change neither
    log.close()
    # Committed: another connection (another process) reads the same after a restart.
    again = open_changes(state)
    assert again.high_water() == 3
    again.close()


def test_changes_share_the_event_logs_file_without_touching_events(state: Path | str) -> None:
    events, changes = open_log(state), open_changes(state)
    events.append([Event("e1", "purchase", "ab" * 32, A, 1.0e9)])
    changes.append([(A, "patch", {"price": 1.0})], "merch")
    assert events.database == changes.database
    assert events.count() == 1 and events.high_water() == 1 and changes.high_water() == 1
    events.close()
    changes.close()
