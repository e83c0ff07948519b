"""Edge at a size where it builds HNSW graphs and int8 copies: still the right neighbours,
with exact cosine scores (the quantised walk is rescored on the original vectors)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.store.base import CollectionSpec, Filter, Match, Point, VectorQuery
from core.store.edge import EdgeStore

N, DIM, K = 30_000, 96, 12


@pytest.mark.slow
def test_indexed_edge_search_matches_brute_force(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    centres = rng.normal(size=(40, DIM)).astype(np.float32)
    cluster = rng.integers(40, size=N)
    vecs = centres[cluster] + 0.7 * rng.normal(size=(N, DIM)).astype(np.float32)
    colours = np.array(["Black", "Blue", "Red"])[rng.integers(3, size=N)]
    store = EdgeStore(tmp_path / "store")
    writer = store.new_writer("big")
    writer.create("articles", CollectionSpec({"text": DIM}, keyword_fields=("colour",)))
    for lo in range(0, N, 5000):
        writer.upsert(
            "articles",
            [
                Point(i + 1, {"text": vecs[i].tolist()}, {"colour": str(colours[i])})
                for i in range(lo, lo + 5000)
            ],
        )
    writer.finish()
    reader = store.open_reader("big")
    assert reader._shard("articles").info().indexed_vectors_count == N  # HNSW really built
    unit = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    flt = Filter(must=(Match("colour", ("Blue",)),))
    blue = colours == "Blue"
    recalls = []
    for s in range(100):
        q = vecs[rng.integers(N)] + 0.3 * rng.normal(size=DIM).astype(np.float32)
        f = flt if s % 2 else None
        hits = reader.search("articles", VectorQuery("text", q.tolist(), K), f)
        scores = unit @ (q / np.linalg.norm(q))
        if f is not None:
            scores = np.where(blue, scores, -np.inf)
        exact = set((np.argsort(-scores)[:K] + 1).tolist())
        recalls.append(len(exact & {h.id for h in hits}) / K)
        assert [h.score for h in hits] == pytest.approx([scores[h.id - 1] for h in hits], abs=1e-4)
        assert f is None or all(colours[h.id - 1] == "Blue" for h in hits)
    reader.close()
    # The graph differs between builds of the same points (random levels; several threads),
    # and so does the recall: 0.98-1.0 in 7 builds here, idle or with three CPU burners
    # beside it, but 0.978 once and 0.939 once in CI. A broken walk (wrong metric, filter
    # applied after the walk, no rescoring) gives far less; the served pages' agreement with
    # the exact answer at H&M size is judged by bench/served.py.
    assert np.mean(recalls) >= 0.9
