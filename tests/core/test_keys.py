"""API keys: stored only as a hash, revocation seen at once by every connection (process),
names never reused; and the audit trail pages newest first. On both backends (`state`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from core.audit import AuditLog
from core.errors import InvalidInput, NotFound
from core.keys import KeyStore, digest
from core.state import open_part


def test_only_a_hash_of_the_key_is_stored(state: Path | str) -> None:
    record, key = KeyStore(state).create("merchandiser", "team-a")
    assert key.startswith("lbk_") and len(key) == 4 + 43 and key.startswith(record.hint)
    with open_part(state, "main").read() as conn:
        dump = "\n".join(str(tuple(r)) for r in conn.execute(text("SELECT * FROM api_keys")))
    assert key not in dump and key[len(record.hint) :] not in dump
    assert digest(key) in dump


def test_a_revocation_holds_at_once_for_every_connection(state: Path | str) -> None:
    mine, other = KeyStore(state), KeyStore(state)  # as two API processes
    _, key = mine.create("service", "storefront")
    found = other.lookup(key)
    assert found is not None and (found.name, found.role) == ("storefront", "service")
    assert other.lookup(key) == found  # remembered
    mine.revoke("storefront")
    assert other.lookup(key) is None
    _, own = other.create("admin", "ops")
    assert other.lookup(own) is not None
    other.revoke("ops")
    assert other.lookup(own) is None


def test_made_up_keys_and_bad_input(state: Path | str) -> None:
    keys = KeyStore(state)
    keys.create("admin", "root")
    for made_up in ("", "lbk_", "lbk_" + "A" * 43, "Bearer x"):
        assert keys.lookup(made_up) is None
    with pytest.raises(InvalidInput, match="name"):
        keys.create("service", "root")  # taken
    keys.revoke("root")
    with pytest.raises(InvalidInput, match="never reused"):
        keys.create("service", "root")
    with pytest.raises(InvalidInput, match="role"):
        keys.create("owner", "x")
    with pytest.raises(InvalidInput, match="name"):
        keys.create("service", "../x")
    with pytest.raises(NotFound):
        keys.revoke("nobody")
    assert [(k.name, k.revoked_at is not None) for k in keys.list()] == [("root", True)]


def test_the_audit_trail_pages_newest_first(state: Path | str) -> None:
    log = AuditLog(state)
    ids = [log.append("k", "admin", "POST", f"/p/{i}", 200 + i) for i in range(5)]
    first = log.page(limit=2)
    assert [e.path for e in first] == ["/p/4", "/p/3"]
    rest = log.page(limit=10, before=first[-1].id)
    assert [e.id for e in rest] == ids[2::-1]
    assert rest[0].status == 202
