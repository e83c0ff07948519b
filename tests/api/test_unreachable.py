"""An unreachable or silent Qdrant gives a 503 problem within the timeout; /health stays up."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.settings import AuthSettings, QdrantSettings, Settings


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


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_unreachable_qdrant_is_503_within_the_timeout(
    kind: str, silent_port: int, tmp_path: Path
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
            r = client.get(url)
            assert time.monotonic() - start < 10
            assert r.status_code == 503
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["type"].endswith("/store-unavailable")
        assert client.get("/health").status_code == 200
