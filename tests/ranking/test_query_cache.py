"""Query embeddings are remembered: a repeated query is not encoded again, and gets the vector
a fresh encoding gives."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from core.store import open_store
from ranking import index as index_module
from ranking.index import LiveIndex

pytestmark = pytest.mark.slow


def test_a_repeated_query_is_looked_up_not_encoded(
    tiny_settings: Any, tiny_index: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = LiveIndex(tiny_settings, open_store(tiny_settings))
    snap = live.snapshot()
    calls: list[list[str]] = []
    real = snap.text_encoder.encode

    def counting(texts: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(list(texts))
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(snap.text_encoder, "encode", counting)
    first = snap.embed_text("black denim trousers, query cache test")
    again = snap.embed_text("black denim trousers, query cache test")
    other = snap.embed_text("white cotton shirt, query cache test")
    assert calls == [
        ["black denim trousers, query cache test"],
        ["white cotton shirt, query cache test"],
    ]
    assert again is first and not first.flags.writeable
    assert np.allclose(first, real(["black denim trousers, query cache test"])[0])
    assert not np.allclose(first, other)
    # Bounded: the oldest entries go first.
    monkeypatch.setattr(index_module, "QUERY_CACHE", 1)
    snap.embed_text("a third query, query cache test")
    snap.embed_text("black denim trousers, query cache test")
    assert calls[-1] == ["black denim trousers, query cache test"]
    live.close()
