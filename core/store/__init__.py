"""The vector store: `open_store(settings)` picks the engine (see DESIGN §4)."""

from __future__ import annotations

import math

from qdrant_client import QdrantClient

from core.settings import Settings
from core.store.base import Store
from core.store.edge import EdgeStore
from core.store.server import ServerStore


def open_store(settings: Settings, *, client: QdrantClient | None = None) -> Store:
    """Qdrant Edge under ``index_dir/store`` when ``qdrant_url`` is empty, else the server.

    ``client`` replaces the connection the server engine would open (tests pass
    ``QdrantClient(":memory:")``); the store then leaves closing it to the caller.
    """
    if client is not None:
        return ServerStore(client, settings.qdrant)
    if not settings.qdrant_url:
        return EdgeStore(settings.index_dir / "store", private_copies=settings.private_index)
    client = QdrantClient(
        url=settings.qdrant_url,
        api_key=settings.qdrant_api_key or None,
        timeout=math.ceil(settings.qdrant.timeout_s),
    )
    return ServerStore(client, settings.qdrant, owns_client=True)


__all__ = ["EdgeStore", "ServerStore", "Store", "open_store"]
