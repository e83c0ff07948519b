"""An unreachable or silent Qdrant gives a 503 problem within the timeout; /health stays up.
A 503 says what happened in words a client can use; the cause (paths, OS errors) is logged with
the request id, never sent."""

from __future__ import annotations

import logging
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.settings import AuthSettings, QdrantSettings, Settings
from tests.conftest import copy_index


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (kernel backlog) but never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield int(s.getsockname()[1])


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _logged_not_sent(r: Any, caplog: pytest.LogCaptureFixture, rid: str, cause: str) -> None:
    """``cause`` is in a log record of request ``rid``, and not in the answer."""
    assert r.headers["x-request-id"] == rid
    assert cause not in r.text, r.text
    logged = [m.getMessage() for m in caplog.records if getattr(m, "request_id", None) == rid]
    assert any(cause in m for m in logged), logged


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_unreachable_qdrant_is_503_within_the_timeout(
    kind: str, silent_port: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = silent_port if kind == "silent" else _closed_port()
    settings = Settings(
        qdrant_url=f"http://127.0.0.1:{port}",
        index_dir=tmp_path / "index",
        db_path=tmp_path / "db",
        qdrant=QdrantSettings(timeout_s=1.0, retries=1),
        auth=AuthSettings(mode="demo"),
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json() == {"status": "ok"}
        for url in ("/ready", "/articles", "/trending"):
            start = time.monotonic()
            rid = f"unreachable-{kind}{url.replace('/', '-')}"
            r = client.get(url, headers={"X-Request-ID": rid})
            assert time.monotonic() - start < 10
            assert r.status_code == 503
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["type"].endswith("/store-unavailable")
            # The client's error text (a socket's) is the operator's: logged, not sent.
            _logged_not_sent(r, caplog, rid, "Qdrant server unreachable")
        assert client.get("/health").status_code == 200


def test_an_index_not_ready_names_no_path(
    tiny_settings: Settings, tiny_index: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A published version whose model files are gone: a 503 that says the index is not
    ready, without the folder it looked in."""
    index = copy_index(tiny_settings.index_dir, tmp_path / "index")
    shutil.rmtree(index / "models")
    settings = tiny_settings.model_copy(update={"index_dir": index, "db_path": tmp_path / "db"})
    with TestClient(create_app(settings)) as client, caplog.at_level(logging.INFO):
        for url in ("/ready", "/articles", "/trending", "/search?q=dress"):
            rid = f"not-ready{url.replace('/', '-')}"
            r = client.get(url, headers={"X-Request-ID": rid})
            assert r.status_code == 503, r.text
            body = r.json()
            assert body["type"].endswith("/index-not-ready") and body["detail"]
            _logged_not_sent(r, caplog, rid, str(tmp_path))
