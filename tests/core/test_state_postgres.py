"""The state on PostgreSQL (issue 22): sequence numbers that commit late are never skipped,
the schema is versioned and checked, and the SQLite state moves into an empty database."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from core.attribution import Impression, ImpressionLog
from core.changes import open_changes
from core.db import PARTS, Database
from core.events import Event, open_log
from core.keys import KeyStore
from core.preferences import Preferences, PreferenceStore
from core.state import SchemaMismatch, open_part, status, upgrade
from core.state_copy import TargetNotEmpty, copy_state
from tests.conftest import pg_database

A, B = "0108775015", "0108775044"
_INSERT_CHANGE = text(
    "INSERT INTO catalog_changes (article_id, op, body, actor, received) "
    "VALUES (:a, 'patch', '{}', 'held', 0) RETURNING seq"
)


def _held_open(
    db: Database, serial: str | None, drawn: list[int], release: threading.Event
) -> None:
    """A writer that draws a sequence number and holds its commit until ``release``."""
    with db.write(serial=serial) as conn:
        drawn.append(int(conn.execute(_INSERT_CHANGE, {"a": A}).scalar_one()))
        release.wait(10)


def test_a_sequence_number_that_commits_late_is_never_skipped(pg_cluster: Any) -> None:
    """One transaction draws seq 1 and holds its commit; another appends meanwhile. A reader
    that remembers the last seq it applied must get 1 before 2, never 2 alone."""
    url = pg_database(pg_cluster)
    db = open_part(url, "events")
    changes = open_changes(url)
    try:
        # Without the log's lock the pitfall is real: 2 is visible while 1 is not committed.
        drawn: list[int] = []
        release = threading.Event()
        writer = threading.Thread(target=_held_open, args=(db, None, drawn, release))
        writer.start()
        while not drawn:
            time.sleep(0.01)
        with db.write() as conn:  # a plain insert, as a naive store would make it
            late = int(conn.execute(_INSERT_CHANGE, {"a": B}).scalar_one())
        assert [c.seq for c in changes.since(0)] == [late] and late > drawn[0]
        release.set()
        writer.join()
        applied_upto = late  # a reader that applied "up to 2" ...
        assert [c.seq for c in changes.since(applied_upto)] == []  # ... never sees 1
        assert [c.seq for c in changes.since(0)] == [drawn[0], late]

        # The log's own appends: the second waits for the first's commit.
        drawn, release = [], threading.Event()
        writer = threading.Thread(target=_held_open, args=(db, "catalog_changes", drawn, release))
        writer.start()
        while not drawn:
            time.sleep(0.01)
        seen = changes.high_water()
        appended: list[list[int]] = []
        second = threading.Thread(
            target=lambda: appended.append(changes.append([(B, "patch", {"price": 1.0})], "b"))
        )
        second.start()
        second.join(0.5)
        assert second.is_alive() and not appended  # waits behind the open transaction
        assert changes.high_water() == seen  # nothing new is visible meanwhile
        release.set()
        writer.join()
        second.join(10)
        ((after,),) = appended
        assert after > drawn[0]
        # In sequence order, a reader that remembered ``seen`` gets both, the late one first.
        assert [c.seq for c in changes.since(seen)] == [drawn[0], after]
    finally:
        changes.close()
        db.close()


def test_event_batches_commit_in_sequence_order_under_concurrent_writers(pg_cluster: Any) -> None:
    """Eight writers append batches at once while a reader follows the log by "the last seq I
    read": it ends with every event, each once, in increasing order."""
    url = pg_database(pg_cluster)
    log = open_log(url)
    try:

        def write(w: int) -> None:
            for b in range(25):
                batch = [Event(f"w{w}-b{b}-{i}", "view", f"c{w}", A, 1.0e9 + i) for i in range(20)]
                assert log.append(batch) == (20, 0)

        writers = [threading.Thread(target=write, args=(w,)) for w in range(8)]
        for t in writers:
            t.start()
        read: list[int] = []
        last = 0
        while any(t.is_alive() for t in writers) or last < log.high_water():
            with log.db.read() as conn:
                rows = conn.execute(
                    text("SELECT seq FROM events WHERE seq > :s ORDER BY seq"), {"s": last}
                ).all()
            read += [int(r[0]) for r in rows]
            last = read[-1] if read else 0
        assert len(read) == len(set(read)) == 8 * 25 * 20 == log.count()
        assert read == sorted(read)
    finally:
        log.close()


def test_the_schema_is_checked_and_upgraded_by_the_command_only(pg_cluster: Any) -> None:
    url = pg_cluster.new_database()
    with pytest.raises(SchemaMismatch, match="python -m api db upgrade"):
        KeyStore(url)  # an empty database: the API refuses it, naming the command
    db = Database.open(url)
    try:
        assert {s.state for s in status(db, PARTS)} == {"empty"}
        assert {s.state for s in upgrade(db, PARTS)} == {"current"}
        assert {s.state for s in upgrade(db, PARTS)} == {"current"}  # twice: nothing to do
        with db.write() as conn:  # a newer code's revision
            conn.execute(
                text(
                    "UPDATE alembic_version SET version_num = 'main_9999' "
                    "WHERE version_num = 'main_0003'"
                )
            )
        with pytest.raises(SchemaMismatch, match="main is newer"):
            from core.state import check

            check(db, PARTS)
    finally:
        db.close()


def test_the_sqlite_state_is_copied_with_its_numbers_and_only_into_an_empty_database(
    pg_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "lookbook.db"
    keys = KeyStore(db_path)
    _, key = keys.create("admin", "ops")
    keys.revoke("ops")
    _, live = keys.create("service", "storefront")
    prefs = PreferenceStore(db_path)
    prefs.put("c" * 64, Preferences(favourite_colours=["Black"]))
    log = open_log(db_path)
    log.append(
        [
            Event(
                f"e{i}",
                "purchase" if i % 3 == 0 else "view",
                "c" * 64,
                A,
                1.0e9 + i,
                1.0 if i % 3 == 0 else None,
            )
            for i in range(12_000)
        ]
    )
    changes = open_changes(db_path)
    changes.append([(A, "patch", {"price": 2.0}), (B, "patch", {"in_stock": False})], "m")
    changes.clear_upto(1)  # a compacted log starts past 1
    source = {"events": log.high_water(), "changes": changes.high_water()}
    # Rows of a table keyed by several columns, which share their first one across the copy's
    # pages (of 2 here): none is skipped.
    impressions = ImpressionLog(db_path)
    for k in range(4):
        impressions.record(
            Impression(f"rec{k}", "search", 1.0e9, (A, B), moved=((1, 7), (2, 7), (2, 8)))
        )
    impressions.close()
    monkeypatch.setattr("core.state_copy.CHUNK", 2)

    url = pg_cluster.new_database()
    copied = {c.table: c for c in copy_state(db_path, url)}
    assert copied["impression_rules"].rows == 12 and copied["impressions"].rows == 4
    moved = Database.open(url)
    assert moved.rows("SELECT count(*) FROM impression_rules") == [(12,)]
    moved.close()
    assert copied["events"].rows == 12_000 and copied["events"].last == source["events"]
    assert copied["catalog_changes"].rows == 1 and copied["catalog_changes"].last == 2
    assert copied["api_keys"].rows == 2 and copied["preferences"].rows == 1

    moved_keys, moved_log, moved_changes = KeyStore(url), open_log(url), open_changes(url)
    try:
        assert moved_keys.lookup(key) is None  # revoked stays revoked
        found = moved_keys.lookup(live)
        assert found is not None and found.name == "storefront"
        assert moved_log.high_water() == source["events"] and moved_log.count() == 12_000
        assert [p.seq for p in moved_log.purchases()] == [p.seq for p in log.purchases()]
        assert [c.seq for c in moved_changes.since(0)] == [2]
        pref = PreferenceStore(url).get("c" * 64)
        assert pref is not None and pref[0].favourite_colours == ["Black"]
        # New rows continue after the copied numbers.
        assert moved_changes.append([(A, "delete", {})], "m") == [3]
        moved_log.append([Event("new", "view", "c" * 64, A, 2.0e9)])
        assert moved_log.high_water() == source["events"] + 1
        # A second copy into the same (now non-empty) database is refused, nothing written.
        with pytest.raises(TargetNotEmpty, match="already holds state"):
            copy_state(db_path, url)
        assert moved_log.count() == 12_001
    finally:
        for store in (moved_keys, moved_log, moved_changes, keys, prefs, log, changes):
            store.close()
