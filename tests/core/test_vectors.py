"""The memory-mapped article matrices give the engine's own exact scores, so re-scoring from
them ranks exactly as re-scoring through the engine does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.catalog import point_id
from core.store import open_store
from core.store.base import VectorQuery
from core.vectors import ArticleVectors, save_article_vectors

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded(tiny_settings: Any, tiny_index: Any) -> tuple[Any, ArticleVectors, list[int]]:
    store = open_store(tiny_settings)
    version = store.current_version()
    models = tiny_settings.index_dir / "models" / str(version)
    with np.load(models / "ids.npz", allow_pickle=False) as f:
        ids = [str(a) for a in f["article_id"]]
    vectors = ArticleVectors.load(models, ids)
    assert vectors is not None
    return store.open_reader(version), vectors, [point_id(a) for a in ids]


def test_numpy_scores_are_the_engines(loaded: tuple[Any, ArticleVectors, list[int]]) -> None:
    reader, vectors, pids = loaded
    rng = np.random.default_rng(3)
    dims = {"text": 384, "image": None, "cf": 32}
    for signal in ("text", "image", "cf"):
        dim = dims[signal] or vectors._m["image"].shape[1]
        for _ in range(3):
            q = rng.normal(size=dim).astype(np.float32).tolist()
            engine = reader.score_ids_many("articles", [VectorQuery(signal, q, 0)], pids)[0]
            mine = vectors.scores(signal, q, pids)
            want = np.array([engine.get(i, np.nan) for i in pids])
            assert np.array_equal(np.isnan(mine), np.isnan(want)), signal  # no image: absent
            ok = ~np.isnan(want)
            assert np.max(np.abs(mine[ok] - want[ok])) < 1e-5, signal
    assert np.isnan(vectors.scores("text", [1.0] * 384, [12345])).all()  # unknown id


def test_an_index_without_matrices_scores_through_the_engine(tmp_path: Path) -> None:
    assert ArticleVectors.load(tmp_path, ["0108775015"]) is None
    with pytest.raises(ValueError, match="one row per article"):
        save_article_vectors(
            tmp_path,
            text=np.ones((2, 4), np.float32),
            image=np.ones((1, 4), np.float32),
            has_image=np.ones(2, bool),
            cf=np.ones((2, 3), np.float32),
        )


def test_score_stats_are_the_catalogues_own(loaded: tuple[Any, ArticleVectors, list[int]]) -> None:
    """The mean and deviation of a query's scores over every article, from the moments, equal
    the ones computed from every score (articles without the vector left out)."""
    _, vectors, ids = loaded
    rng = np.random.default_rng(3)
    for signal, cosine in (("text", False), ("image", False), ("cf", False), ("cf", True)):
        q = vectors.rows(signal, ids[:1])[0] + 0.1 * rng.normal(
            size=vectors.rows(signal, ids[:1]).shape[1]
        )
        scores = vectors.scores(signal, q, ids)
        if cosine:
            norms = np.linalg.norm(vectors.rows("cf", ids), axis=1)
            scores = np.where(norms > 0, scores / (np.linalg.norm(q) * norms), np.nan)
        mean, std = vectors.score_stats(signal, q, cosine=cosine)
        assert mean == pytest.approx(np.nanmean(scores), abs=1e-6), signal
        assert std == pytest.approx(np.nanstd(scores), rel=1e-4), signal


def test_the_feed_ranks_the_same_either_way(
    tiny_settings: Any, tiny_index: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same feed from the matrices as from the engine, under one normalisation: min–max,
    since an index without matrices has no catalogue statistics for the floor."""
    import ranking.pool
    from ranking.feed import feed, feed_pool
    from scoring.normalise import minmax

    monkeypatch.setattr(ranking.pool, "_normalise", lambda raw, *_: minmax(raw))
    from ranking.index import LiveIndex
    from ranking.pool import page_of, weights_of
    from ranking.request import ListFilters, Page
    from tests.conftest import TROUSERS_FAN

    live = LiveIndex(tiny_settings, open_store(tiny_settings))
    snap = live.snapshot()
    assert snap.vectors is not None
    pages = []
    matrices = snap.vectors
    for vectors in (matrices, None):
        snap.vectors = vectors
        pool, _ = feed_pool(snap, tiny_settings, TROUSERS_FAN, None, ListFilters(), Page(limit=30))
        page = page_of(pool, weights_of(tiny_settings), limit=30, offset=0, collapse=False)
        pages.append(([r.payload["article_id"] for r in page.records], page.scores))
    # The whole feed, reasons included (tastes and "you bought" from the matrices or not).
    feeds = []
    for vectors in (matrices, None):
        snap.vectors = vectors
        ranked, reasons = feed(snap, tiny_settings, TROUSERS_FAN, None, ListFilters(), Page(12))
        feeds.append(([r.payload["article_id"] for r in ranked.records], reasons))
    live.close()
    assert pages[0][0] == pages[1][0]
    assert np.allclose(pages[0][1], pages[1][1], atol=1e-5)
    assert feeds[0] == feeds[1]
    assert any("you bought" in why for why in feeds[0][1])
