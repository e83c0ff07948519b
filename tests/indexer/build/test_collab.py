"""ALS and the confidence matrix on worlds whose right answer is known in advance.

The block world follows implicit's `get_checker_board`: customers of block b buy only
articles of block b, with some of those purchases held out. A sound model recommends the
held-out articles of the customer's own block and finds an article's neighbours in its block.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse

from core.errors import NonFiniteFactors
from indexer.build.collab import AlsModel, confidence_matrix, train_als

BLOCKS, CUSTOMERS_PER_BLOCK, ARTICLES_PER_BLOCK, BASKET = 4, 50, 30, 8
N_CUSTOMERS = BLOCKS * CUSTOMERS_PER_BLOCK + 1  # the last customer buys nothing
N_ARTICLES = BLOCKS * ARTICLES_PER_BLOCK + 2  # the last two articles nobody buys
#: As in implicit's own checker-board test, the rank matches the structure (one per block).
FACTORS = BLOCKS


def block_of_article(a: int) -> int:
    return a // ARTICLES_PER_BLOCK


def block_world() -> tuple[np.ndarray, np.ndarray]:
    """(customer_idx, article_idx): customer c buys BASKET random articles of block c % BLOCKS."""
    rng = np.random.default_rng(0)
    customers, articles = [], []
    for c in range(BLOCKS * CUSTOMERS_PER_BLOCK):
        first = (c % BLOCKS) * ARTICLES_PER_BLOCK
        customers += [c] * BASKET
        articles += (first + rng.choice(ARTICLES_PER_BLOCK, BASKET, replace=False)).tolist()
    return np.array(customers, dtype=np.int32), np.array(articles, dtype=np.int32)


def als(matrix: scipy.sparse.csr_matrix, seed: int = 1) -> AlsModel:
    return train_als(matrix, FACTORS, 15, 0.05, seed=seed, progress=False)


@pytest.fixture(scope="module")
def world() -> tuple[scipy.sparse.csr_matrix, AlsModel]:
    c, a = block_world()
    day = np.full(len(c), 1000, dtype=np.int32)
    matrix = confidence_matrix(c, a, day, N_CUSTOMERS, N_ARTICLES, 1000, 60.0)
    return matrix, als(matrix)


def test_factor_shapes_cover_everyone(world: tuple[scipy.sparse.csr_matrix, AlsModel]) -> None:
    _, model = world
    assert model.user_factors.shape == (N_CUSTOMERS, FACTORS)
    assert model.item_factors.shape == (N_ARTICLES, FACTORS)
    assert model.user_factors.dtype == model.item_factors.dtype == np.float32
    assert np.isfinite(model.user_factors).all() and np.isfinite(model.item_factors).all()


def test_recommendations_stay_in_the_block(world: tuple[scipy.sparse.csr_matrix, AlsModel]) -> None:
    matrix, model = world
    scores = model.user_factors @ model.item_factors.T
    for c in range(BLOCKS * CUSTOMERS_PER_BLOCK):
        bought = set(matrix[c].indices.tolist())
        ranked = [int(a) for a in np.argsort(-scores[c]) if int(a) not in bought]
        assert {block_of_article(a) for a in ranked[:12]} == {c % BLOCKS}


def test_similar_items_are_in_the_same_block(
    world: tuple[scipy.sparse.csr_matrix, AlsModel],
) -> None:
    _, model = world
    items = model.item_factors[: BLOCKS * ARTICLES_PER_BLOCK]
    unit = items / np.linalg.norm(items, axis=1, keepdims=True)
    cosine = unit @ unit.T
    np.fill_diagonal(cosine, -np.inf)
    for a in range(len(items)):
        nearest = np.argsort(-cosine[a])[:10]
        assert {block_of_article(int(n)) for n in nearest} == {block_of_article(a)}


def test_deterministic_for_a_seed(world: tuple[scipy.sparse.csr_matrix, AlsModel]) -> None:
    matrix, model = world
    again = als(matrix)
    np.testing.assert_array_equal(again.user_factors, model.user_factors)
    np.testing.assert_array_equal(again.item_factors, model.item_factors)
    other = als(matrix, seed=2)
    assert not np.array_equal(other.item_factors, model.item_factors)


def test_recent_purchases_win_over_old_ones() -> None:
    """A customer bought from block 0 a year ago and from block 1 last week: block 1 first."""
    c, a = block_world()
    day = np.full(len(c), 1000, dtype=np.int32)
    extra_a = np.r_[0:4, 30:34].astype(np.int32)  # four block-0 and four block-1 articles
    extra_day = np.r_[[635] * 4, [995] * 4].astype(np.int32)
    c = np.r_[c, np.full(8, N_CUSTOMERS - 1, dtype=np.int32)]
    matrix = confidence_matrix(
        c, np.r_[a, extra_a], np.r_[day, extra_day], N_CUSTOMERS, N_ARTICLES, 1000, 60.0
    )
    model = als(matrix)
    scores = model.user_factors[-1] @ model.item_factors.T
    unbought_0, unbought_1 = scores[4:30], scores[34:60]
    assert unbought_1.min() > unbought_0.max()


def test_decayed_weights_by_hand() -> None:
    c = np.array([0, 0, 0, 1, 1], dtype=np.int32)
    a = np.array([0, 0, 1, 1, 1], dtype=np.int32)
    day = np.array([100, 40, 100, -20, 101], dtype=np.int32)  # 101 is after as_of: left out
    m = confidence_matrix(c, a, day, n_customers=3, n_articles=2, as_of_day=100, half_life_days=60)
    assert isinstance(m, scipy.sparse.csr_matrix)
    assert m.dtype == np.float32 and m.shape == (3, 2)
    expected = np.array([[1.0 + 0.5, 1.0], [0.0, 0.25], [0.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(m.toarray(), expected, rtol=1e-6)


def test_input_errors() -> None:
    c = np.array([0, 1], dtype=np.int32)
    a = np.array([0, 1], dtype=np.int32)
    day = np.array([1, 2], dtype=np.int32)
    with pytest.raises(ValueError, match="same length"):
        confidence_matrix(c, a[:1], day, 2, 2, 2, 60.0)
    with pytest.raises(ValueError, match="customer_idx"):
        confidence_matrix(c, a, day, 1, 2, 2, 60.0)
    with pytest.raises(ValueError, match="article_idx"):
        confidence_matrix(c, a, day, 2, 1, 2, 60.0)
    with pytest.raises(ValueError, match="half_life"):
        confidence_matrix(c, a, day, 2, 2, 2, 0.0)
    negative = scipy.sparse.csr_matrix(np.array([[-1.0, 0.0]], dtype=np.float32))
    with pytest.raises(ValueError, match="negative"):
        train_als(negative, 4, 2, 0.05, seed=0, progress=False)
    with pytest.raises(ValueError, match="shapes"):
        AlsModel(np.zeros((2, 4), np.float32), np.zeros((3, 5), np.float32))


def test_nan_factors_are_a_named_error() -> None:
    users = np.zeros((2, 4), np.float32)
    items = np.zeros((3, 4), np.float32)
    items[1, 2] = np.nan
    with pytest.raises(NonFiniteFactors):
        AlsModel(users, items)


def test_tiny_world_trains() -> None:
    m = confidence_matrix(
        np.array([0], np.int32), np.array([1], np.int32), np.array([5], np.int32), 2, 3, 5, 60.0
    )
    model = train_als(m, 8, 3, 0.05, seed=0, progress=False)
    assert model.user_factors.shape == (2, 8) and model.item_factors.shape == (3, 8)


def test_save_load_round_trip(
    world: tuple[scipy.sparse.csr_matrix, AlsModel], tmp_path: Path
) -> None:
    _, model = world
    path = tmp_path / "als.npz"
    model.save_npz(path)
    with np.load(path, allow_pickle=False) as raw:
        assert sorted(raw.files) == ["item_factors", "user_factors"]
    loaded = AlsModel.load_npz(path)
    np.testing.assert_array_equal(loaded.user_factors, model.user_factors)
    np.testing.assert_array_equal(loaded.item_factors, model.item_factors)
    assert loaded.item_factors.dtype == np.float32
