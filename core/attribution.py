"""Attribution (DESIGN §10): every ranked list the API answers gets a ``rec_id`` and is recorded
as an impression; the events that follow from a list carry its ``rec_id`` and the position.

A ``rec_id`` names its list and proves the API issued it, with no look-up:
``<surface>.<version>.<variant>.<issued, ms, base 36>.<nonce>.<signature>``, the signature an
HMAC-SHA256 (16 hex digits) under a key derived from ``LOOKBOOK_SECRET_KEY``, which every API
process of a shop shares. An event whose ``rec_id`` does not verify is refused (422).

Impressions are written in batches by one thread per process (every `FLUSH_S`, or at `BATCH`
rows), so a request only appends to a list in memory; a process that stops flushes first.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.db import Database, DatabaseUnavailable
from core.state import open_part

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)

#: The lists that carry a rec_id (photo: search by an uploaded photo).
SURFACES = ("feed", "trending", "similar", "search", "photo", "browse", "buyagain")
MAX_REC_ID = 160
#: How often the impressions of a process are written, and at most how many wait.
FLUSH_S = 0.2
BATCH = 500
MAX_PENDING = 50_000
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_PART = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MOVED = (
    "INSERT INTO impression_rules (rec_id, position, rule_id) VALUES (:rec_id, :position, "
    ":rule_id) ON CONFLICT (rec_id, position, rule_id) DO NOTHING"
)
_INSERT = (
    "INSERT INTO impressions (rec_id, surface, ts, customer_id, visitor_id, query, n, items, "
    "experiment, variant) VALUES (:rec_id, :surface, :ts, :customer_id, :visitor_id, :query, "
    ":n, :items, :experiment, :variant) "
    "ON CONFLICT (rec_id) DO NOTHING"
)


def _base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if n == 0:
            return out


@dataclass(frozen=True)
class RecId:
    value: str
    surface: str
    version: str
    variant: str
    issued: float  # seconds since 1970


class RecIds:
    """Issue and verify list ids under the shop's secret."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"lookbook rec_id\0" + secret.encode()).digest()

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:16]

    def issue(
        self, surface: str, version: str, variant: str = "-", now: float | None = None
    ) -> str:
        if surface not in SURFACES:
            raise ValueError(f"unknown surface {surface!r}")
        issued = _base36(int((now if now is not None else time.time()) * 1000))
        body = f"{surface}.{version}.{variant}.{issued}.{secrets.token_hex(6)}"
        return f"{body}.{self._sign(body)}"

    def parse(self, value: str) -> RecId | None:
        """The list ``value`` names, or None when it is malformed or not the API's own."""
        if len(value) > MAX_REC_ID:
            return None
        parts = value.split(".")
        if len(parts) != 6 or not all(_PART.match(p) for p in parts):
            return None
        surface, version, variant, issued, _nonce, mac = parts
        if surface not in SURFACES:
            return None
        if not hmac.compare_digest(mac, self._sign(value[: -len(mac) - 1])):
            return None
        try:
            at = int(issued, 36) / 1000
        except ValueError:
            return None
        return RecId(value, surface, version, variant, at)


@dataclass(frozen=True)
class Impression:
    """One ranked list answered."""

    rec_id: str
    surface: str
    ts: float
    article_ids: tuple[str, ...]
    customer_id: str | None = None
    visitor_id: str | None = None
    query: str | None = None
    #: (position, rule id) of each item a merchandising rule moved.
    moved: tuple[tuple[int, int], ...] = ()
    #: The experiment and variant the list was served in (`core.experiments`), if any.
    experiment: int | None = None
    variant: str | None = None

    def row(self) -> dict[str, object]:
        items = np.array([int(a) for a in self.article_ids], dtype="<i8").tobytes()
        return {
            "rec_id": self.rec_id,
            "surface": self.surface,
            "ts": self.ts,
            "customer_id": self.customer_id,
            "visitor_id": self.visitor_id,
            "query": self.query,
            "n": len(self.article_ids),
            "items": items,
            "experiment": self.experiment,
            "variant": self.variant,
        }


def unpack_items(blob: bytes) -> list[str]:
    """An impression's article ids, in order."""
    return [f"{int(x):010d}" for x in np.frombuffer(blob, dtype="<i8")]


class ImpressionLog:
    """This process's impressions, written in batches by a thread of their own."""

    def __init__(self, target: Settings | Path | str, flush_s: float = FLUSH_S) -> None:
        self._db = open_part(target, "events")
        self._flush_s = flush_s
        self._pending: list[Impression] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped = 0

    @property
    def db(self) -> Database:
        """The database the impressions are written to (the events part)."""
        return self._db

    def record(self, imp: Impression) -> None:
        with self._lock:
            if len(self._pending) >= MAX_PENDING:
                self.dropped += 1  # the database is away for long: keep serving, count it
                return
            self._pending.append(imp)
            full = len(self._pending) >= BATCH
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="impressions", daemon=True)
                self._thread.start()
        if full:
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._flush_s)
            self._wake.clear()
            try:
                self.flush()
            except DatabaseUnavailable:
                time.sleep(1.0)  # kept in memory; written when the database is back
            except Exception:
                log.exception("impressions: a batch could not be written; kept for the next try")
                time.sleep(1.0)

    def flush(self) -> int:
        """Write what waits (one transaction); how many were written."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            moved = [
                {"rec_id": i.rec_id, "position": pos, "rule_id": rule}
                for i in batch
                for pos, rule in i.moved
            ]
            with self._db.write() as conn:
                self._db.execute_many(conn, _INSERT, [i.row() for i in batch])
                if moved:
                    self._db.execute_many(conn, _MOVED, moved)
        except Exception:
            with self._lock:
                self._pending[:0] = batch
            raise
        return len(batch)

    def prune(self, before: float) -> int:
        """Delete the impressions recorded before ``before`` (retention)."""
        from sqlalchemy import text

        with self._db.write() as conn:
            conn.execute(
                text(
                    "DELETE FROM impression_rules WHERE rec_id IN "
                    "(SELECT rec_id FROM impressions WHERE ts < :t)"
                ),
                {"t": before},
            )
            return int(
                conn.execute(text("DELETE FROM impressions WHERE ts < :t"), {"t": before}).rowcount
            )

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.flush()
        except Exception:
            log.exception("impressions: the last batch could not be written")
        self._db.close()
