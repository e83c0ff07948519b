"""Folding purchases into a customer's ALS vector: the same system implicit's
`recalculate_user` solves, on a model trained by implicit itself."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from scoring.foldin import fold_in, item_gram


@pytest.fixture(scope="module")
def model() -> tuple[object, scipy.sparse.csr_matrix]:
    import threadpoolctl
    from implicit.cpu.als import AlternatingLeastSquares

    rng = np.random.default_rng(0)
    m = scipy.sparse.random(300, 120, density=0.04, random_state=1, format="csr", dtype=np.float32)
    m.data = rng.uniform(0.2, 2.0, len(m.data)).astype(np.float32)
    with threadpoolctl.threadpool_limits(1, "blas"):
        als = AlternatingLeastSquares(
            factors=16, regularization=0.05, alpha=10.0, iterations=8, random_state=0, num_threads=1
        )
        als.fit(m, show_progress=False)
    return als, m


def test_fold_in_equals_implicits_recalculate_user(model: tuple[object, object]) -> None:
    als, m = model
    y = als.item_factors  # type: ignore[attr-defined]
    gram = item_gram(y)
    for user in range(0, 300, 37):
        row = m[user]  # type: ignore[index]
        if not row.nnz:
            continue
        expected = als.recalculate_user(user, row)  # type: ignore[attr-defined]
        got = fold_in(y[row.indices], 10.0 * row.data, gram, 0.05)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_a_new_purchase_moves_the_vector_towards_the_item(model: tuple[object, object]) -> None:
    als, m = model
    y = als.item_factors  # type: ignore[attr-defined]
    gram = item_gram(y)
    row = m[5]  # type: ignore[index]
    before = fold_in(y[row.indices], 10.0 * row.data, gram, 0.05)
    new = next(i for i in range(y.shape[0]) if i not in set(row.indices))
    after = fold_in(y[[*row.indices, new]], 10.0 * np.append(row.data, 1.0), gram, 0.05)
    assert after @ y[new] > before @ y[new]


def test_no_purchase_is_the_zero_vector_and_bad_shapes_are_refused() -> None:
    gram = np.eye(4)
    assert (fold_in(np.zeros((0, 4)), np.zeros(0), gram, 0.1) == 0).all()
    with pytest.raises(ValueError, match="shapes"):
        fold_in(np.zeros((2, 4)), np.zeros(3), gram, 0.1)
    with pytest.raises(ValueError, match="negative"):
        fold_in(np.zeros((1, 4)), np.array([-1.0]), gram, 0.1)
