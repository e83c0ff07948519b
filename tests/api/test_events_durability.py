"""Every event the API acknowledged is in the log exactly once, though the API process is
SIGKILLed at random points while a client posts batches (and retries what was not answered)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.events import events_path
from core.keys import KeyStore
from tests.api.test_durability import _free_port, _start
from tests.conftest import copy_index

pytestmark = pytest.mark.slow
KILLS = 3
BATCH = 50


@pytest.fixture
def api_env(tiny_settings: Any, tiny_index: Any, tmp_path: Path) -> Iterator[dict[str, str]]:
    index = tmp_path / "index"
    copy_index(tiny_settings.index_dir, index)
    yield {
        **os.environ,
        "LOOKBOOK_INDEX_DIR": str(index),
        "LOOKBOOK_DATA_DIR": str(tiny_settings.data_dir),
        "LOOKBOOK_DB_PATH": str(tmp_path / "lookbook.db"),
        "LOOKBOOK_AUTH__MODE": "demo",
        "LOOKBOOK_RATE_LIMIT__SERVICE": "100000/minute",
    }


def test_acknowledged_events_survive_sigkills_exactly_once(
    api_env: dict[str, str], tiny_world: Path
) -> None:
    db = Path(api_env["LOOKBOOK_DB_PATH"])
    keys = KeyStore(db)
    _, key = keys.create("service", "durability")
    keys.close()
    article = (tiny_world / "articles.csv").read_text().splitlines()[1].split(",")[0]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = {"p": _start(api_env, port)}
    rng = random.Random(15)
    stop = threading.Event()
    kills: list[float] = []

    def killer() -> None:
        # SIGKILL at random moments, restart, and again: requests are in flight each time.
        for _ in range(KILLS):
            if stop.wait(rng.uniform(0.3, 1.2)):
                return
            os.kill(proc["p"].pid, signal.SIGKILL)
            proc["p"].wait(timeout=10)
            kills.append(time.monotonic())
            proc["p"] = _start(api_env, port)

    acked: dict[str, int] = {}  # event id → batch
    answers: list[dict[str, int]] = []
    thread = threading.Thread(target=killer)
    thread.start()
    batch_no = 0
    try:
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=5) as client:
            while thread.is_alive() or batch_no < 20:
                ids = [f"b{batch_no}-e{i}" for i in range(BATCH)]
                body = {
                    "events": [
                        {
                            "event_id": e,
                            "type": "purchase" if i % 5 == 0 else "view",
                            "customer_id": f"{batch_no % 7:02x}" * 32,
                            "article_id": article,
                        }
                        for i, e in enumerate(ids)
                    ]
                }
                # A client retries a batch that got no answer, with the same event ids.
                while True:
                    try:
                        r = client.post("/events", json=body)
                    except httpx.HTTPError:
                        time.sleep(0.05)
                        continue
                    if r.status_code == 200:
                        break
                    assert r.status_code == 503, r.text  # index not yet loaded after a restart
                    time.sleep(0.05)
                answer = r.json()
                assert answer["accepted"] + answer["duplicates"] == BATCH
                answers.append(answer)
                acked.update(dict.fromkeys(ids, batch_no))
                batch_no += 1
    finally:
        stop.set()
        thread.join(timeout=60)
        proc["p"].terminate()
        proc["p"].wait(timeout=20)
    assert len(kills) == KILLS
    with sqlite3.connect(events_path(db)) as conn:
        rows = conn.execute("SELECT event_id, COUNT(*) FROM events GROUP BY event_id").fetchall()
    logged = dict(rows)
    assert set(logged) == set(acked)  # every acknowledged event, and nothing else
    assert set(logged.values()) == {1}  # each exactly once
    # A batch commits whole or not at all: a retry after a commit whose answer was lost counts
    # every event of it as a duplicate, never twice.
    whole = ({"accepted": BATCH, "duplicates": 0}, {"accepted": 0, "duplicates": BATCH})
    assert all(a in whole for a in answers), answers
    retried = sum(a["duplicates"] == BATCH for a in answers)
    assert sum(a["accepted"] for a in answers) + BATCH * retried == len(acked)
